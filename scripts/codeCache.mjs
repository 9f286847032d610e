// V8's code cache of the `waves` CLI's start-up (#37), written by the build beside each bundle the
// CLI loads (`dist/cli.js`, and `dist/engine.js`, which it loads on first use): `<bundle>.cache` is
// the SHA-1 of the bundle's bytes (20 bytes), then what `vm.Script#createCachedData` gives once the
// bundle's modules are set up — and, for the CLI, once it has validated two sample plans (a small
// one and one the direct read takes), so the plan analysis' functions are in it too and a command
// does not compile them first. bin/waves.js compiles the bundle with it when the bundle is those
// very bytes (V8 itself checks only the text's length) — the CLI's on-demand bundles through the
// loader it hands to the CLI (src/cli/bundleLoader.ts) — and V8 refuses it under another Node or
// other V8 flags: then the bundle is compiled as usual. (`validate` sets V8's heap flags back when
// its analysis is done, so a cache made after it is made under the flags a command starts with.)
//
// writeCodeCache(bundle, { warmUp }) makes it in a process of its own (a plain `node`, as
// bin/waves.js runs, so the flags match); `node scripts/codeCache.mjs <bundle> [--warm-up]` is
// that process.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/**
 * Writes `<bundle>.cache` (or removes a stale one and says why, when it cannot be made: the build
 * goes on). `warmUp`: the bundle is the CLI's, and validates two sample plans first.
 */
export function writeCodeCache(bundle, { warmUp = false } = {}) {
  const args = [fileURLToPath(import.meta.url), bundle, ...(warmUp ? ['--warm-up'] : [])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.status !== 0) {
    fs.rmSync(`${bundle}.cache`, { force: true });
    console.warn(`esbuild: no code cache for ${bundle}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0]}`);
  }
}

/** The bundle's text as one function of CommonJS's five names: bin/waves.js wraps it the very same way. */
const wrap = (text) => `(function (exports, require, module, __filename, __dirname) { ${text}\n});`;

/**
 * A plan of `count` packages in the format's usual fields (each depending on the one before, a
 * write scope and a lock of its own): at 200, past the size from which the reader takes the
 * direct read (64 KiB).
 */
function samplePlan(count) {
  const lines = ['schema_version: 1', 'feature:', '  id: code-cache-sample', '  plan_revision: 1', 'packages:'];
  for (let i = 0; i < count; i++) {
    lines.push(
      `  - package_id: sample-${i}`,
      `    title: Sample package ${i}`,
      '    task_type: implement',
      `    depends_on: [${i > 0 ? `sample-${i - 1}` : ''}]`,
      '    locks:',
      `      files: [src/sample${i}/index.ts]`,
      `      keys: ["api:GET /v1/sample${i}"]`,
      '    scope:',
      `      write_allow: ["src/sample${i}/**"]`,
      '      read_allow: ["src/**"]',
      '    verification:',
      '      tier_required: A',
      '      steps:',
      '        - { name: unit, kind: command, command: npm test }',
      '    outputs:',
      '      result_keys: [files_modified]',
    );
  }
  return `${lines.join('\n')}\n`;
}

async function makeCodeCache(bundle, warmUp) {
  const bytes = fs.readFileSync(bundle);
  const script = new vm.Script(wrap(bytes.toString('utf8')), { filename: bundle });
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, path.dirname(bundle));
  if (warmUp) {
    // The commands users run most, on a plan of each size: their functions compiled into the cache.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-cache-samples-'));
    try {
      const plans = [[3, 'small.yaml'], [200, 'large.yaml']].map(([count, name]) => {
        fs.writeFileSync(path.join(dir, name), samplePlan(count));
        return path.join(dir, name);
      });
      const code = await mod.exports.main(['validate', '--json', '--no-coupling', ...plans], mod.exports.nodeIo);
      if (code !== 0) throw new Error(`the sample plans did not validate (exit ${code})`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const digest = createHash('sha1').update(bytes).digest();
  // Whole or not at all: a command may start while the build writes it.
  const partial = `${bundle}.cache.${process.pid}`;
  fs.writeFileSync(partial, Buffer.concat([digest, script.createCachedData()]));
  fs.renameSync(partial, `${bundle}.cache`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await makeCodeCache(path.resolve(process.argv[2]), process.argv.includes('--warm-up'));
  process.exit(0); // whatever the bundle's modules set going
}

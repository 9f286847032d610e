// V8's code cache of the `waves` CLI's start-up (#37), written by the build beside each bundle the
// CLI loads (`dist/cli.js`, and `dist/engine.js`, which it loads on first use): `<bundle>.cache` is
// the SHA-1 of the bundle's bytes (20 bytes), then what `vm.Script#createCachedData` gives once the
// bundle's modules are set up. bin/waves.js compiles the bundle with it when the bundle is those
// very bytes (V8 itself checks only the text's length) — the CLI's on-demand bundles through the
// loader it hands to the CLI (src/cli/bundleLoader.ts) — and V8 refuses it under another Node or
// other V8 flags: then the bundle is compiled as usual. Every `waves` command starts without
// parsing the whole bundle first.
//
// writeCodeCache(bundle) makes it in a process of its own (a plain `node`, as bin/waves.js runs,
// so the flags match); `node scripts/codeCache.mjs <bundle>` is that process.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/** Writes `<bundle>.cache` (or removes a stale one and says why, when it cannot be made: the build goes on). */
export function writeCodeCache(bundle) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), bundle], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.status !== 0) {
    fs.rmSync(`${bundle}.cache`, { force: true });
    console.warn(`esbuild: no code cache for ${bundle}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0]}`);
  }
}

/** The bundle's text as one function of CommonJS's five names: bin/waves.js wraps it the very same way. */
const wrap = (text) => `(function (exports, require, module, __filename, __dirname) { ${text}\n});`;

function makeCodeCache(bundle) {
  const bytes = fs.readFileSync(bundle);
  const script = new vm.Script(wrap(bytes.toString('utf8')), { filename: bundle });
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, path.dirname(bundle));
  const digest = createHash('sha1').update(bytes).digest();
  // Whole or not at all: a command may start while the build writes it.
  const partial = `${bundle}.cache.${process.pid}`;
  fs.writeFileSync(partial, Buffer.concat([digest, script.createCachedData()]));
  fs.renameSync(partial, `${bundle}.cache`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  makeCodeCache(path.resolve(process.argv[2]));
  process.exit(0); // whatever the bundle's modules set going
}

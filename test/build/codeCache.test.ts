// The CLI's code cache (#37, scripts/codeCache.mjs): the build writes V8's compiled start-up of
// dist/cli.js beside it, and of dist/engine.js, which the CLI loads on first use; bin/waves.js
// compiles each bundle with its cache — only when the bundle is the very bytes it was made of (V8
// checks only the text's length). A changed bundle, a cache V8 refuses or no cache at all: the
// bundle is compiled as usual and the command runs the same.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { ON_DEMAND, exportsOf } from '../../scripts/on-demand.mjs';

const root = path.resolve(__dirname, '../..');
const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * `waves <args>` (`--version` unless told) through `bin` with a hook that records each script
 * compiled by `vm.Script` (whether with cached data, and whether V8 took it) and which bundles
 * ended up in `require.cache`.
 */
function versionWatched(bin: string, nodeOptions: string[] = [], args = ['--version']) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-code-cache-'));
  const out = path.join(dir, 'seen.json');
  const hook = path.join(dir, 'hook.js');
  fs.writeFileSync(
    hook,
    [
      "const vm = require('vm');",
      'const Script = vm.Script;',
      'const seen = [];',
      'vm.Script = class extends Script { constructor(code, options) { super(code, options); seen.push({ file: options && options.filename, cached: !!(options && options.cachedData), rejected: this.cachedDataRejected }); } };',
      `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ seen, loaded: Object.keys(require.cache).filter((f) => f.includes(require('path').sep + 'dist' + require('path').sep)) })));`,
    ].join('\n'),
  );
  const r = spawnSync(process.execPath, [...nodeOptions, '--require', hook, bin, ...args], { encoding: 'utf8', cwd: root, env: { ...process.env, NODE_OPTIONS: '' } });
  const { seen, loaded } = JSON.parse(fs.readFileSync(out, 'utf8')) as { seen: { file: string; cached: boolean; rejected?: boolean }[]; loaded: string[] };
  return { code: r.status, out: r.stdout.trim(), err: r.stderr, seen, loaded };
}

/** A copy of bin/waves.js and dist/cli.js (and its cache, if `withCache`) in a folder of its own. */
function copyOfCli(withCache: boolean): { bin: string; dist: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-cli-copy-'));
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.mkdirSync(path.join(dir, 'dist'));
  fs.copyFileSync(path.join(root, 'bin', 'waves.js'), path.join(dir, 'bin', 'waves.js'));
  for (const f of withCache ? ['cli.js', 'cli.js.cache'] : ['cli.js']) fs.copyFileSync(path.join(root, 'dist', f), path.join(dir, 'dist', f));
  return { bin: path.join(dir, 'bin', 'waves.js'), dist: path.join(dir, 'dist') };
}

before(() => {
  const r = spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

describe('the CLI starts from its code cache', () => {
  it('the build writes it, and bin/waves.js compiles the bundle with it: V8 takes it; the bundle is a module of require.cache', () => {
    assert.ok(fs.statSync(path.join(root, 'dist', 'cli.js.cache')).size > 20);
    const r = versionWatched(path.join(root, 'bin', 'waves.js'));
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, version);
    assert.deepEqual(r.seen, [{ file: path.join(root, 'dist', 'cli.js'), cached: true, rejected: false }]);
    assert.deepEqual(r.loaded, [path.join(root, 'dist', 'cli.js')]);
  });

  it('a bundle changed after the build (the same length) is compiled without it, and runs', () => {
    const { bin, dist } = copyOfCli(true);
    const file = path.join(dist, 'cli.js');
    const text = fs.readFileSync(file, 'utf8');
    const at = text.indexOf('// src/');
    assert.ok(at > 0, 'the bundle names its sources in comments');
    fs.writeFileSync(file, `${text.slice(0, at)}// srd/${text.slice(at + 7)}`);
    const r = versionWatched(bin);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, version);
    assert.deepEqual(r.seen, [], 'compiled by require, not from the cache');
    assert.deepEqual(r.loaded, [file]);
  });

  it('a cache V8 refuses (made by another Node, say) and no cache at all: the bundle is compiled as usual, and runs', () => {
    const refused = copyOfCli(true);
    const cacheFile = path.join(refused.dist, 'cli.js.cache');
    const cache = fs.readFileSync(cacheFile);
    fs.writeFileSync(cacheFile, Buffer.concat([cache.subarray(0, 20), Buffer.alloc(cache.length - 20, 7)]));
    const r = versionWatched(refused.bin);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, version);
    assert.deepEqual(r.seen, [{ file: path.join(refused.dist, 'cli.js'), cached: true, rejected: true }]);

    const none = versionWatched(copyOfCli(false).bin);
    assert.equal(none.code, 0, none.err);
    assert.equal(none.out, version);
    assert.deepEqual(none.seen, []);
  });

  it('is made after the CLI has validated sample plans: it holds more compiled code than the start-up alone, V8 takes it for `validate`, and the samples are gone', () => {
    const { bin, dist } = copyOfCli(false);
    const file = path.join(dist, 'cli.js');
    const script = path.join(root, 'scripts', 'codeCache.mjs');
    // The maker's temporary folder, a folder of its own: the sample plans must be gone from it.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-cache-tmp-'));
    const make = (args: string[]) => {
      const r = spawnSync(process.execPath, [script, file, ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', TMPDIR: tmp } });
      assert.equal(r.status, 0, r.stderr);
      return fs.statSync(`${file}.cache`).size;
    };
    const startUp = make([]);
    const warm = make(['--warm-up']);
    assert.ok(warm > startUp * 1.5, `${warm} bytes after the warm-up, ${startUp} for the start-up alone`);
    assert.deepEqual(fs.readdirSync(tmp), [], 'the sample plans are removed');
    const r = versionWatched(bin, [], ['validate', '--json', path.join(root, 'examples', 'demo', 'work-packages.yaml'), '--no-coupling']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.seen, [{ file, cached: true, rejected: false }]);
  });

  it('under --enable-source-maps the bundle is required (its stacks then name the sources), not compiled from the cache', () => {
    const r = versionWatched(path.join(root, 'bin', 'waves.js'), ['--enable-source-maps']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, version);
    assert.deepEqual(r.seen, []);
    assert.deepEqual(r.loaded, [path.join(root, 'dist', 'cli.js')]);
  });
});

describe('the CLI loads the engine from its code cache', () => {
  // The demo plan, in this repository: two of its writing packages may run at once, so `validate`
  // loads the engine for the coupling check after the analysis (which tunes V8's heap flags, and
  // V8 refuses a cache made under other flags); `status` loads it for the run's state.
  const demo = path.join('examples', 'demo', 'work-packages.yaml');

  it('the build writes it; `validate` (after the analysis) and `status` compile the engine with it, and V8 takes it', () => {
    assert.ok(fs.statSync(path.join(root, 'dist', 'engine.js.cache')).size > 20);
    for (const args of [['validate', '--json', demo], ['status', demo]]) {
      const r = versionWatched(path.join(root, 'bin', 'waves.js'), [], args);
      assert.ok(r.code === 0 || r.code === 1, `${args[0]}: exit ${r.code}: ${r.err}`);
      assert.deepEqual(
        r.seen,
        [
          { file: path.join(root, 'dist', 'cli.js'), cached: true, rejected: false },
          { file: path.join(root, 'dist', 'engine.js'), cached: true, rejected: false },
        ],
        args[0],
      );
      assert.deepEqual(r.loaded.sort(), [path.join(root, 'dist', 'cli.js'), path.join(root, 'dist', 'engine.js')], args[0]);
    }
  });

  it('an engine changed after the build (the same length) is compiled without it, and the command says what it said before', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-cli-copy-'));
    fs.cpSync(path.join(root, 'bin'), path.join(dir, 'bin'), { recursive: true });
    fs.cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true, filter: (f) => !f.endsWith('.vsix') && !f.endsWith('.map') });
    const file = path.join(dir, 'dist', 'engine.js');
    const text = fs.readFileSync(file, 'utf8');
    const at = text.indexOf('// src/');
    assert.ok(at > 0, 'the bundle names its sources in comments');
    fs.writeFileSync(file, `${text.slice(0, at)}// srd/${text.slice(at + 7)}`);
    const args = ['validate', '--json', path.join(root, demo)];
    const copy = versionWatched(path.join(dir, 'bin', 'waves.js'), [], args);
    const original = versionWatched(path.join(root, 'bin', 'waves.js'), [], args);
    assert.equal(copy.code, original.code, copy.err);
    assert.deepEqual(JSON.parse(copy.out).plans[0].diagnostics, JSON.parse(original.out).plans[0].diagnostics);
    assert.deepEqual(copy.seen, [{ file: path.join(dir, 'dist', 'cli.js'), cached: true, rejected: false }], 'the engine compiled by require, not from its cache');
    assert.deepEqual(copy.loaded.sort(), [path.join(dir, 'dist', 'cli.js'), file]);
  });
});

describe('the engine in the CLI gets plan analysis from the CLI', () => {
  it('`waves status` loads neither dist/planAnalysis.js nor dist/planSchema.js: the engine reads the plan with the CLI’s own modules', () => {
    const r = versionWatched(path.join(root, 'bin', 'waves.js'), [], ['status', path.join('examples', 'demo', 'work-packages.yaml')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /not run yet/);
    assert.deepEqual(r.loaded.sort(), [path.join(root, 'dist', 'cli.js'), path.join(root, 'dist', 'engine.js')]);
  });

  it('the CLI offers every name the engine’s stand-ins of those bundles read, and only to bundles of its own dist', async () => {
    const wanted: Record<string, string[]> = {};
    for (const bundle of ['planAnalysis', 'planSchema']) wanted[bundle] = (await exportsOf(ON_DEMAND.find((b) => b.bundle === bundle)!.entry)).sort();
    const probe = [
      "process.argv = [process.argv[0], 'waves', '--version'];",
      `require(${JSON.stringify(path.join(root, 'dist', 'cli.js'))}).run();`,
      "const offer = globalThis[Symbol.for('waves.ownBundles')];",
      `const dist = ${JSON.stringify(path.join(root, 'dist'))};`,
      'const names = (m) => (m ? Object.keys(m).sort() : null);',
      "console.log(JSON.stringify({ planAnalysis: names(offer('planAnalysis', dist)), planSchema: names(offer('planSchema', dist)), elsewhere: names(offer('planAnalysis', '/elsewhere')), other: names(offer('engine', dist)) }));",
    ].join('\n');
    const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    assert.equal(r.status, 0, r.stderr);
    const offered = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, string[] | null>;
    for (const bundle of ['planAnalysis', 'planSchema']) {
      assert.ok(offered[bundle], bundle);
      for (const name of wanted[bundle]) assert.ok(offered[bundle]!.includes(name), `${bundle}: ${name}`);
    }
    assert.equal(offered.elsewhere, null, 'a bundle of another folder (another build) is not answered');
    assert.equal(offered.other, null, 'nor a bundle the CLI does not hold');
  });
});

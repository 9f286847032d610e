/**
 * `waves validate` warns of coupling between parallel packages, as a user runs it:
 * the built bin in a real process, on real git repositories — a TypeScript example and a Python
 * one; no warning once the importing package depends on the other.
 *
 * Run: node --import tsx --test test/cli/coupling.test.ts (builds first)
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { planOf, PY_FILES, repoWith, TS_FILES } from '../fixtures/couplingRepo';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'waves.js');

function waves(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/**
 * `waves` as above, watched from inside its process (a `--require`d script): the bundles it
 * loaded (dist/*.js, not the parser's files under dist/treeSitter/) and the programs it
 * started, as written when the process exits.
 */
function wavesWatched(cwd: string, args: string[]) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-watched-')), 'seen.json');
  const hook = path.join(path.dirname(out), 'hook.js');
  fs.writeFileSync(
    hook,
    [
      "const fs = require('fs');",
      "const cp = require('child_process');",
      'const started = [];',
      "for (const name of ['spawn', 'execFile', 'fork']) { const f = cp[name]; cp[name] = function (file, ...rest) { started.push(String(file)); return f.call(this, file, ...rest); }; }",
      `process.on('exit', () => fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify({ loaded: Object.keys(require.cache).filter((f) => require('path').dirname(f) === ${JSON.stringify(path.join(root, 'dist'))}).map((f) => require('path').basename(f)), started })));`,
    ].join('\n'),
  );
  const r = spawnSync(process.execPath, ['--require', hook, bin, ...args], { encoding: 'utf8', cwd });
  const seen = JSON.parse(fs.readFileSync(out, 'utf8')) as { loaded: string[]; started: string[] };
  return { code: r.status, out: r.stdout, err: r.stderr, ...seen };
}

before(() => {
  const r = spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

describe('waves validate: coupling between parallel packages', () => {
  it('TypeScript: warns, positioned on the importing package, exit 0; gone with the dependency', () => {
    const dir = repoWith({ ...TS_FILES, 'work-packages.yaml': planOf('src/a/**', 'src/b/**') });
    const r = waves(dir, ['validate', 'work-packages.yaml']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.ok(
      r.out.includes(
        'work-packages.yaml:8:17 warning coupling wp-b imports src/a/api.ts (from src/b/use.ts), which wp-a may change: give wp-b a dependency on wp-a or a contract both read\n',
      ),
      r.out,
    );
    assert.match(r.out, /valid — 2 packages in 1 wave, 0 errors, 1 warning/);

    fs.writeFileSync(path.join(dir, 'work-packages.yaml'), planOf('src/a/**', 'src/b/**', true));
    const fixed = waves(dir, ['validate', 'work-packages.yaml']);
    assert.equal(fixed.code, 0);
    assert.doesNotMatch(fixed.out, /coupling/);
    assert.match(fixed.out, /0 errors, 0 warnings/);
  });

  it('Python: `from pkg_a.api import f` across parallel packages, also in --json with 1-based positions', () => {
    const dir = repoWith({ ...PY_FILES, 'plan/work-packages.yaml': planOf('pkg_a/**', 'pkg_b/**') });
    const r = waves(path.join(dir, 'plan'), ['validate', '--json', 'work-packages.yaml']);
    assert.equal(r.code, 0, r.err);
    const [plan] = JSON.parse(r.out).plans;
    assert.deepEqual(
      plan.diagnostics.map((d: { code: string; line: number; column: number; packageId: string; message: string }) => [d.code, d.line, d.column, d.packageId, d.message]),
      [['coupling', 8, 17, 'wp-b', 'wp-b imports pkg_a/api.py (from pkg_b/use.py), which wp-a may change: give wp-b a dependency on wp-a or a contract both read']],
    );
    fs.writeFileSync(path.join(dir, 'plan/work-packages.yaml'), planOf('pkg_a/**', 'pkg_b/**', true));
    assert.deepEqual(JSON.parse(waves(path.join(dir, 'plan'), ['validate', '--json', 'work-packages.yaml']).out).plans[0].diagnostics, []);
  });

  it('reads the repository as it is: an untracked file counts, an ignored one does not; --no-coupling skips the check', () => {
    const dir = repoWith(
      { 'src/a/api.ts': TS_FILES['src/a/api.ts'], '.gitignore': 'src/b/ignored.ts\n', 'work-packages.yaml': planOf('src/a/**', 'src/b/**') },
      { 'src/b/ignored.ts': "import '../a/api';\n" },
    );
    assert.doesNotMatch(waves(dir, ['validate', 'work-packages.yaml']).out, /coupling/);
    fs.writeFileSync(path.join(dir, 'src/b/new.ts'), "export * from '../a/api.js';\n");
    assert.match(waves(dir, ['validate', 'work-packages.yaml']).out, /warning coupling wp-b imports src\/a\/api\.ts \(from src\/b\/new\.ts\)/);
    assert.doesNotMatch(waves(dir, ['validate', '--no-coupling', 'work-packages.yaml']).out, /coupling/);
  });

  it('outside a git repository: no coupling check, no complaint', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-nogit-'));
    for (const [name, text] of Object.entries({ ...TS_FILES, 'work-packages.yaml': planOf('src/a/**', 'src/b/**') })) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    const r = wavesWatched(dir, ['validate', 'work-packages.yaml']);
    assert.equal(r.code, 0);
    assert.equal(r.err, '');
    assert.doesNotMatch(r.out, /coupling/);
    // Nothing to read, and known without asking git: no process started.
    assert.deepEqual(r.loaded, ['cli.js'], 'the bundles loaded');
    assert.deepEqual(r.started, [], 'the programs started');
  });

  it('in a repository the engine checks it: git is asked', () => {
    const dir = repoWith({ ...TS_FILES, 'work-packages.yaml': planOf('src/a/**', 'src/b/**') });
    const r = wavesWatched(dir, ['validate', 'work-packages.yaml']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /warning coupling wp-b imports src\/a\/api\.ts/);
    assert.ok(r.started.length > 0, 'git was asked');
  });
});

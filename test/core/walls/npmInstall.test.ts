/**
 * A set-up command that is npm installing what a laid node_modules already holds (ADR 0026): the
 * command recognised, the project's own install scripts, and npm's record of what it installed
 * compared with the lockfile.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { installedAsLocked, installScriptsOf, isNpmInstall, npmCiShim } from '../../../src/core/walls/dependencyFolders';

const dep = (version: string, extra: Record<string, unknown> = {}) => ({ version, resolved: `https://registry.npmjs.org/d/-/d-${version}.tgz`, integrity: `sha512-${version}`, ...extra });
const lockOf = (packages: Record<string, unknown>) => JSON.stringify({ name: 'p', lockfileVersion: 3, packages: { '': { name: 'p' }, ...packages } });
const hiddenOf = (packages: Record<string, unknown>) => JSON.stringify({ name: 'p', lockfileVersion: 3, packages });

describe('a set-up command a laid node_modules answers', () => {
  test('npm installing from the lockfile, by any of its names, with flags that change only its output', () => {
    for (const argv of [['npm', 'ci'], ['/usr/bin/npm', 'ci', '--no-audit', '--no-fund'], ['npm', 'clean-install'], ['npm', 'install'], ['npm', 'i', '--prefer-offline', '--loglevel=error']]) assert.equal(isNpmInstall(argv), true, argv.join(' '));
    for (const argv of [['npm', 'ci', '--omit=dev'], ['npm', 'install', 'left-pad'], ['npm', 'run', 'build'], ['pnpm', 'install'], ['sh', '-c', 'npm ci'], ['npm'], [], ['npx', 'ci']]) assert.equal(isNpmInstall(argv), false, argv.join(' '));
  });

  test("the project's own scripts npm runs on install, by name; none when it has none or the manifest cannot be read", () => {
    assert.deepEqual(installScriptsOf('{"scripts":{"test":"node --test","prepare":"tsc","postinstall":"node x.js"}}'), ['postinstall', 'prepare']);
    assert.deepEqual(installScriptsOf('{"scripts":{"build":"tsc"}}'), []);
    assert.deepEqual(installScriptsOf('{"name":"p"}'), []);
    assert.deepEqual(installScriptsOf('not json'), []);
  });

  test("npm's record of what it installed against the lockfile: the same packages at the same version, source and hash", () => {
    const packages = { 'node_modules/d': dep('1.0.0'), 'node_modules/d/node_modules/e': dep('2.0.0'), 'node_modules/l': { resolved: 'packages/l', link: true } };
    assert.equal(installedAsLocked(lockOf(packages), hiddenOf(packages)), null);
    assert.equal(installedAsLocked(lockOf(packages), hiddenOf({ ...packages, 'node_modules/d': dep('1.0.1') })), "d: its version is not the lockfile's");
    assert.equal(installedAsLocked(lockOf(packages), hiddenOf({ ...packages, 'node_modules/d': { ...dep('1.0.0'), integrity: 'sha512-other' } })), "d: its integrity is not the lockfile's");
    // A mirror's address npm did not write down: the same bytes by their hash. A package without a hash (a git commit): by its source.
    assert.equal(installedAsLocked(lockOf(packages), hiddenOf({ ...packages, 'node_modules/d': { version: '1.0.0', integrity: 'sha512-1.0.0' } })), null);
    const fromGit = { 'node_modules/g': { version: '1.0.0', resolved: 'git+ssh://git@example.com/g.git#abc' } };
    assert.equal(installedAsLocked(lockOf(fromGit), hiddenOf({ 'node_modules/g': { version: '1.0.0', resolved: 'git+ssh://git@example.com/g.git#def' } })), "g: its resolved is not the lockfile's");
    const { ['node_modules/d/node_modules/e']: _gone, ...fewer } = packages;
    assert.equal(installedAsLocked(lockOf(packages), hiddenOf(fewer)), 'd/node_modules/e is not installed');
    assert.equal(installedAsLocked(lockOf(fewer), hiddenOf(packages)), 'd/node_modules/e is installed but not in the lockfile');
    // An optional package npm did not install here (another platform's) is not missing.
    assert.equal(installedAsLocked(lockOf({ ...packages, 'node_modules/@esbuild/darwin-arm64': dep('0.20.0', { optional: true }) }), hiddenOf(packages)), null);
    assert.equal(installedAsLocked('{"lockfileVersion":1,"dependencies":{}}', hiddenOf(packages)), 'package-lock.json has no packages npm 7 or later reads');
    assert.equal(installedAsLocked(lockOf(packages), 'not json'), "npm's record of what it installed (node_modules/.package-lock.json) cannot be read");
  });
});

describe("an agent's npm ci the laid node_modules answers (the npm first on its PATH)", () => {
  /** A tree, its laid folder's upper side, the lockfile's copies, and an npm that says how it was called. */
  function place(name: string) {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `waves-npm-shim-${name}-`)));
    const tree = path.join(root, "tree o'mine");
    const upper = path.join(root, 'upper');
    const laid = path.join(root, 'laid');
    for (const d of [tree, upper, laid]) fs.mkdirSync(d, { recursive: true });
    for (const f of ['package.json', 'package-lock.json']) {
      fs.writeFileSync(path.join(tree, f), `{"f":"${f}"}\n`);
      fs.copyFileSync(path.join(tree, f), path.join(laid, f));
    }
    const npm = path.join(root, 'real-npm');
    fs.writeFileSync(npm, '#!/bin/sh\necho "real npm: $*"\n', { mode: 0o755 });
    const shim = path.join(root, 'npm');
    fs.writeFileSync(shim, npmCiShim({ npm, tree, lower: '/checkout/node_modules', upper, manifest: path.join(laid, 'package.json'), lockfile: path.join(laid, 'package-lock.json') }), { mode: 0o755 });
    const run = (args: string[], cwd = tree) => spawnSync(shim, args, { cwd, encoding: 'utf8' }).stdout;
    return { root, tree, upper, run };
  }
  const answered = /^waves: npm ci not run: node_modules is laid from \/checkout\/node_modules \(copy-on-write inside the walls\)/;

  test('npm ci by any of its names, with flags that change only its output, in the tree while nothing changed: answered, npm not run', () => {
    const p = place('yes');
    for (const args of [['ci'], ['clean-install'], ['ic'], ['install-clean'], ['ci', '--no-audit', '--no-fund', '--loglevel=error']]) {
      const out = p.run(args);
      assert.match(out, answered, args.join(' '));
      assert.doesNotMatch(out, /real npm/);
    }
  });

  test('anything else is npm itself, its arguments as given: another command or flag, another folder, the laid folder or the lockfile changed, a shrinkwrap', () => {
    const p = place('no');
    assert.equal(p.run(['install', 'left pad']), 'real npm: install left pad\n');
    assert.equal(p.run(['ci', '--omit=dev']), 'real npm: ci --omit=dev\n');
    assert.equal(p.run(['run', 'build']), 'real npm: run build\n');
    fs.mkdirSync(path.join(p.tree, 'sub'));
    assert.equal(p.run(['ci'], path.join(p.tree, 'sub')), 'real npm: ci\n');
    fs.writeFileSync(path.join(p.tree, 'npm-shrinkwrap.json'), '{}');
    assert.equal(p.run(['ci']), 'real npm: ci\n');
    fs.rmSync(path.join(p.tree, 'npm-shrinkwrap.json'));
    assert.match(p.run(['ci']), answered);
    fs.appendFileSync(path.join(p.tree, 'package-lock.json'), ' ');
    assert.equal(p.run(['ci']), 'real npm: ci\n', 'the lockfile changed');
    const q = place('upper');
    fs.writeFileSync(path.join(q.upper, 'left-pad'), '');
    assert.equal(q.run(['ci']), 'real npm: ci\n', 'the laid folder changed');
    const r = place('manifest');
    fs.writeFileSync(path.join(r.tree, 'package.json'), '{"dependencies":{"x":"1"}}\n');
    assert.equal(r.run(['ci']), 'real npm: ci\n', 'package.json changed');
    const g = place('gone');
    fs.rmSync(g.upper, { recursive: true });
    assert.equal(g.run(['ci']), 'real npm: ci\n', 'no upper side: not a laid folder this shim knows');
    for (const x of [p, q, r, g]) fs.rmSync(x.root, { recursive: true, force: true });
  });
});

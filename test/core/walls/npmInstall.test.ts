/**
 * A set-up command that is npm installing what a laid node_modules already holds (ADR 0026): the
 * command recognised, the project's own install scripts, and npm's record of what it installed
 * compared with the lockfile.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { installedAsLocked, installScriptsOf, isNpmInstall } from '../../../src/core/walls/dependencyFolders';

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

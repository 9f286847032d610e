/**
 * The overlays' own folders live in the tree's admin folder (`<gitDir>/waves-deps/`), which the
 * tree's agents may write: a link an agent leaves there (or in the tree's copy of a `.venv`) is
 * never followed by the engine — nothing is laid and nothing is written outside, with the reason
 * said. Real git worktrees, the engine's own `dependencyOverlays`.
 *
 * Run: node --import tsx --test test/engine/attempt/overlayStateLinks.test.ts
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { dependencyOverlays, overlayTools } from '../../../src/engine/attempt/wallsDeps';
import { isolateGit } from '../engineFixtures';
import { git, makeRepo, tempDir } from '../helpers';

before(() => isolateGit());

/** A checkout with `files` committed, `local` beside them (not committed), and a linked tree `t`; its git folder. */
function checkoutWithTree(files: Record<string, string>, local: Record<string, string>): { repo: string; tree: string; gitDir: string; commonDir: string } {
  const repo = makeRepo(files);
  for (const [rel, text] of Object.entries(local)) {
    fs.mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
    fs.writeFileSync(path.join(repo, rel), text);
  }
  const tree = path.join(path.dirname(repo), 't');
  git(repo, 'worktree', 'add', '-q', tree);
  return { repo, tree, gitDir: path.join(repo, '.git', 'worktrees', 't'), commonDir: path.join(repo, '.git') };
}

describe('links left where the overlays keep their state', () => {
  before(() => assert.ok(overlayTools(), 'overlays can be mounted here (util-linux unshare and mount, Linux 5.11)'));

  test("a link in place of node_modules' writable side is refused, not made the overlay's upper folder", () => {
    const { tree, gitDir, commonDir } = checkoutWithTree(
      { 'package.json': '{ "name": "p" }\n', 'package-lock.json': '{ "lockfileVersion": 3 }\n', '.gitignore': 'node_modules/\n' },
      { 'node_modules/left-pad/index.js': 'module.exports = 1;\n' },
    );
    const outside = tempDir('waves-outside-');
    fs.mkdirSync(path.join(gitDir, 'waves-deps', 'node_modules'), { recursive: true });
    fs.symlinkSync(outside, path.join(gitDir, 'waves-deps', 'node_modules', 'upper'));
    const deps = dependencyOverlays(tree, { gitDir, commonDir });
    assert.deepEqual(deps.laid, []);
    assert.deepEqual(deps.prefix, []);
    assert.match(deps.notes.join('\n'), /^node_modules: .*waves-deps\/node_modules\/upper is not a folder \(a link or a file left there\) \(not laid\)$/m);
    assert.deepEqual(fs.readdirSync(outside), []);
  });

  test("a link in the tree's own copy of a .venv is never written through: not laid, said", () => {
    const { repo, tree, gitDir, commonDir } = checkoutWithTree({ 'requirements.txt': 'six\n', '.gitignore': '.venv/\n', 'src/p/__init__.py': '' }, {});
    const site = path.join(repo, '.venv', 'lib', 'python3.11', 'site-packages');
    fs.mkdirSync(site, { recursive: true });
    fs.writeFileSync(path.join(repo, '.venv', 'pyvenv.cfg'), 'home = /usr/bin\n');
    // An editable install of the checkout: its .pth is rewritten to name the tree, into the tree's upper folder.
    fs.writeFileSync(path.join(site, '__editable__.p-0.1.pth'), `${path.join(repo, 'src')}\n`);
    const outside = tempDir('waves-outside-');
    const upper = path.join(gitDir, 'waves-deps', '.venv', 'upper');
    fs.mkdirSync(upper, { recursive: true });
    fs.symlinkSync(outside, path.join(upper, 'lib')); // what an agent's `rm -rf .venv/lib; ln -s … .venv/lib` leaves there
    const deps = dependencyOverlays(tree, { gitDir, commonDir });
    assert.deepEqual(deps.laid, []);
    assert.match(deps.notes.join('\n'), /^\.venv: lib is a link in the tree's own copy of it \(not laid/m);
    assert.deepEqual(fs.readdirSync(outside), [], 'nothing written through the link');
  });
});

/**
 * The dependency folders on macOS, for real (ADR 0026, ADR 0033): a tree whose lockfile is the
 * checkout's gets the checkout's `node_modules` as APFS clones, by macOS's own `cp -c -R` — links
 * kept as links, the tree's writes its own, the checkout's folder unchanged.
 *
 * This file runs on a macOS runner only (.github/workflows/walls-platforms.yml): it is in no suite
 * of `npm test`, and elsewhere its test fails (it is not skipped: the runner clones on macOS only).
 * Nothing of it was run on the Linux machines this project is built on.
 *
 * Run (on macOS): npx tsx --test test/platforms/darwinClones.test.ts
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { clonedNote } from '../../src/core/walls/dependencyFolders';
import { dependencyClones } from '../../src/engine/attempt/wallsDeps';
import { gitDirsOf } from '../../src/store/gitDirs';
import { git, makeRepo } from '../engine/helpers';

describe('dependency folders cloned on macOS (cp -c, APFS)', () => {
  test("the checkout's node_modules cloned into a tree with none: the same files, links as links, the tree's writes its own", () => {
    assert.equal(process.platform, 'darwin', 'this file runs on macOS only');
    const checkout = makeRepo({ '.gitignore': 'node_modules/\n', 'package.json': '{ "name": "p" }\n', 'package-lock.json': '{ "name": "p", "lockfileVersion": 3, "packages": {} }\n' });
    const from = path.join(checkout, 'node_modules');
    fs.mkdirSync(path.join(from, 'dep'), { recursive: true });
    fs.mkdirSync(path.join(from, '.bin'));
    fs.writeFileSync(path.join(from, 'dep', 'index.js'), 'module.exports = 1;\n');
    fs.symlinkSync('../dep/index.js', path.join(from, '.bin', 'dep'));
    const tree = path.join(path.dirname(checkout), 'tree');
    git(checkout, 'worktree', 'add', '-q', '-b', 'waves/f/a', tree);
    const d = gitDirsOf(tree)!;
    const notes = dependencyClones(tree, { gitDir: fs.realpathSync(d.gitDir), commonDir: fs.realpathSync(d.commonDir) });
    assert.deepEqual(notes, [clonedNote('node_modules', from)]);
    const to = path.join(tree, 'node_modules');
    assert.equal(fs.readFileSync(path.join(to, 'dep', 'index.js'), 'utf8'), 'module.exports = 1;\n');
    assert.equal(fs.readlinkSync(path.join(to, '.bin', 'dep')), '../dep/index.js');
    fs.writeFileSync(path.join(to, 'dep', 'index.js'), 'module.exports = 2;\n');
    assert.equal(fs.readFileSync(path.join(from, 'dep', 'index.js'), 'utf8'), 'module.exports = 1;\n', "the checkout's file unchanged");
  });
});

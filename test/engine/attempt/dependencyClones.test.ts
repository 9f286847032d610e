/**
 * The dependency folders on macOS (ADR 0026, ADR 0033), the runner's part that runs anywhere: which
 * folders are cloned into a tree (the Linux walls' rule: the tree has none, its lockfile is the
 * checkout's), by which argv, and what the attempt's log says — with the clone itself given by the
 * test (`cp -c` is macOS's; it runs on the macOS runner of .github/workflows/walls-platforms.yml).
 *
 * Run: npx tsx --test test/engine/attempt/dependencyClones.test.ts
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { cloneArgv, clonedNote, cloneFailedNote } from '../../../src/core/walls/dependencyFolders';
import { dependencyClones } from '../../../src/engine/attempt/wallsDeps';
import { wallsFor } from '../../../src/engine/attempt/wallsDraw';
import { gitDirsOf } from '../../../src/store/gitDirs';
import { git, makeRepo } from '../helpers';

const ROOTS: string[] = [];
after(() => {
  for (const r of ROOTS) fs.rmSync(r, { recursive: true, force: true });
});

const LOCK = '{ "name": "p", "lockfileVersion": 3, "packages": {} }\n';

/** A checkout with node_modules installed and a linked worktree of it (none there). */
function checkoutAndTree(extra: Record<string, string> = {}): { checkout: string; tree: string; dirs: { gitDir: string; commonDir: string } } {
  const checkout = makeRepo({ '.gitignore': 'node_modules/\n.venv/\n', 'package.json': '{ "name": "p" }\n', 'package-lock.json': LOCK, ...extra });
  ROOTS.push(path.dirname(checkout));
  fs.mkdirSync(path.join(checkout, 'node_modules', 'dep'), { recursive: true });
  fs.writeFileSync(path.join(checkout, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;\n');
  const tree = path.join(path.dirname(checkout), 'tree');
  git(checkout, 'worktree', 'add', '-q', '-b', 'waves/f/a', tree);
  const d = gitDirsOf(tree)!;
  return { checkout, tree, dirs: { gitDir: fs.realpathSync(d.gitDir), commonDir: fs.realpathSync(d.commonDir) } };
}

/** A clone given by the test: the argv recorded, the folder copied where cp -R would put it (what cp -c makes on APFS). */
function recording(): { calls: string[][]; clone: (argv: readonly string[]) => null } {
  const calls: string[][] = [];
  return {
    calls,
    clone: (argv) => {
      calls.push([...argv]);
      // As cp -R does: into a folder that exists, the source is copied under its own name.
      const to = fs.existsSync(argv[4]!) ? path.join(argv[4]!, path.basename(argv[3]!)) : argv[4]!;
      fs.cpSync(argv[3]!, to, { recursive: true, verbatimSymlinks: true });
      return null;
    },
  };
}

describe('dependency folders cloned into a tree on macOS (the runner)', () => {
  test("a tree with none whose lockfile is the checkout's: node_modules cloned by cp -c -R, said in the log; next time the tree has its own", () => {
    const { checkout, tree, dirs } = checkoutAndTree();
    const { calls, clone } = recording();
    const from = path.join(checkout, 'node_modules');
    assert.deepEqual(dependencyClones(tree, dirs, clone), [clonedNote('node_modules', from)]);
    assert.deepEqual(calls, [cloneArgv(from, path.join(tree, 'node_modules'))]);
    assert.equal(fs.readFileSync(path.join(tree, 'node_modules', 'dep', 'index.js'), 'utf8'), 'module.exports = 1;\n');
    const again = dependencyClones(tree, dirs, clone);
    assert.equal(calls.length, 1, 'nothing cloned over the tree’s own');
    assert.match(again[0] ?? '', /^node_modules: the tree has its own/);
  });

  test('an empty node_modules left in the tree is replaced by the clone (cp makes the folder)', () => {
    const { tree, dirs } = checkoutAndTree();
    fs.mkdirSync(path.join(tree, 'node_modules'));
    const { calls, clone } = recording();
    dependencyClones(tree, dirs, clone);
    assert.equal(calls.length, 1);
    assert.ok(fs.existsSync(path.join(tree, 'node_modules', 'dep', 'index.js')), 'not cloned into node_modules/node_modules');
  });

  test("a lockfile changed on the package's branch: nothing cloned, the Linux walls' words", () => {
    const { tree, dirs } = checkoutAndTree();
    fs.writeFileSync(path.join(tree, 'package-lock.json'), LOCK.replace('"p"', '"q"'));
    const { calls, clone } = recording();
    const notes = dependencyClones(tree, dirs, clone);
    assert.equal(calls.length, 0);
    assert.match(notes[0] ?? '', /^node_modules: the tree's lockfile \(or package\.json\) is not the checkout's/);
    assert.ok(!fs.existsSync(path.join(tree, 'node_modules')));
  });

  test('a clone refused (a volume that is not APFS): said with cp’s words, what cp made removed, the empty folder the tree had put back', () => {
    const { checkout, tree, dirs } = checkoutAndTree();
    fs.mkdirSync(path.join(tree, 'node_modules'));
    const failing = (argv: readonly string[]) => {
      fs.mkdirSync(path.join(argv[4]!, 'dep'), { recursive: true });
      return 'cp: clonefile failed: Operation not supported';
    };
    const notes = dependencyClones(tree, dirs, failing);
    assert.deepEqual(notes, [cloneFailedNote('node_modules', path.join(checkout, 'node_modules'), 'cp: clonefile failed: Operation not supported')]);
    assert.deepEqual(fs.readdirSync(path.join(tree, 'node_modules')), []);
  });

  test('a virtual environment whose requirements are the checkout’s: not cloned, said', () => {
    const { tree, dirs, checkout } = checkoutAndTree({ 'requirements.txt': 'requests==2.32.3\n' });
    fs.mkdirSync(path.join(checkout, '.venv', 'bin'), { recursive: true });
    fs.writeFileSync(path.join(checkout, '.venv', 'pyvenv.cfg'), 'home = /usr/bin\n');
    const { calls, clone } = recording();
    const notes = dependencyClones(tree, dirs, clone);
    assert.equal(calls.length, 1, 'node_modules only');
    assert.ok(notes.some((n) => n.startsWith('.venv: not cloned')), notes.join('\n'));
    assert.ok(!fs.existsSync(path.join(tree, '.venv')));
  });

  test("the walls drawn for a Mac clone and say so first in the agent's log; for Linux they do not clone", () => {
    const { checkout, tree } = checkoutAndTree();
    const root = path.dirname(checkout);
    const home = path.join(root, 'home');
    const attemptDir = path.join(root, 'attempt');
    for (const d of [home, attemptDir]) fs.mkdirSync(d, { recursive: true });
    const { calls, clone } = recording();
    const req = { bwrap: '/usr/bin/sandbox-exec', worktree: tree, attemptDir, profileId: 'claude-code', env: { HOME: home, PATH: process.env.PATH }, interactive: false, argv: [process.execPath, '-e', '0'], runnerScript: path.join(root, 'runner.js'), startToken: 'clones-test', home, accountHome: home, options: { cacheDir: path.join(root, 'cache') }, clone };
    const linux = wallsFor({ ...req, platform: 'linux' }).walls;
    assert.equal(calls.length, 0);
    assert.ok(!linux.laid.some((l) => l.includes('cloned')));
    fs.rmSync(path.join(tree, 'node_modules'), { recursive: true, force: true });
    const mac = wallsFor({ ...req, platform: 'darwin', proxyPort: 52815 }).walls;
    assert.equal(calls.length, 1);
    assert.ok(mac.laid.includes(clonedNote('node_modules', path.join(checkout, 'node_modules'))), mac.laid.join('\n'));
    assert.deepEqual(mac.prefix, []);
  });
});

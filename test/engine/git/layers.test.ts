/**
 * Layered worktrees (`src/engine/git/layers.ts`, ADR 0032), with real git, a real repository of
 * some thousands of files and real overlays (util-linux `unshare` and `mount`, as the walls use
 * them): trees made side by side over one base checkout; the engine's git sees each whole (status,
 * commit, merge of a new base) while its folder holds only its own changes; a change in one tree,
 * in place or by a rename, reaches neither the base, the person's checkout nor a sibling; a tree
 * at a commit near the base is laid over it; a tree left half made is finished; removal takes the
 * tree, its record and the base no tree uses any more; many mounts of one tree at once (the
 * engine's gits, walls writing) each on a scratch folder of its own; a layer that cannot be laid runs nothing.
 *
 * Run: node --import tsx --test test/engine/git/layers.test.ts
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createWorktree, removeWorktreeIfSafe } from '../../../src/engine/git/worktrees.js';
import { finishHalfMade } from '../../../src/engine/git/halfMade.js';
import { commitAll } from '../../../src/engine/git/commits.js';
import { git as engineGit } from '../../../src/engine/git/gitRun.js';
import { basePaths, fileInTree, layerMountPrefix, layerOf, layersDir } from '../../../src/store/treeLayers.js';
import { overlayTools } from '../../../src/engine/attempt/wallsDeps.js';
import { isolateGit } from '../engineFixtures.js';
import { git, makeRepo, tempDir } from '../helpers.js';

const FOLDERS = 30;
const PER_FOLDER = 100;

function manyFiles(): Record<string, string> {
  const files: Record<string, string> = { 'package.json': '{ "name": "big" }\n' };
  for (let d = 0; d < FOLDERS; d++)
    for (let f = 0; f < PER_FOLDER; f++) files[`src/m${d}/f${f}.ts`] = `export const v${d}_${f} = ${d * PER_FOLDER + f};\n`;
  return files;
}

/** Every file under `dir` (relative; `.git` aside), with whiteouts named as such. */
function onDisk(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const rel = path.relative(dir, path.join(e.parentPath, e.name));
    if (rel === '.git' || e.isDirectory()) continue;
    out.push(e.isCharacterDevice() ? `${rel} (deleted)` : rel);
  }
  return out.sort();
}

/** Runs `sh -c script` in `tree` with its layer mounted, as the walls and the engine's git see it. */
function inLayer(tree: string, script: string): string {
  const layer = layerOf(tree)!;
  const argv = [...layerMountPrefix(layer), '/bin/sh', '-c', `cd "$0" && ${script}`, tree];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  assert.equal(r.status, 0, `in the layer: ${script}\n${r.stderr}`);
  return r.stdout;
}

const canLay = process.platform === 'linux' && overlayTools() !== null;

describe('layered worktrees', { skip: canLay ? false : 'overlays cannot be mounted on this machine' }, () => {
  let repo: string;
  let trees: string;
  let base: string;
  before(() => {
    isolateGit();
    repo = makeRepo(manyFiles());
    base = git(repo, 'rev-parse', 'HEAD').trim();
    trees = tempDir('waves-layered-');
  });
  const req = (name: string, extra: Partial<Parameters<typeof createWorktree>[0]> = {}) => ({
    repo,
    path: path.join(trees, name),
    branch: `waves/f/${name}`,
    base: 'main',
    reason: 'waves test',
    layered: true,
    ...extra,
  });

  it('makes trees side by side over one base: each folder holds its .git file only, the engine git sees every file, clean', async () => {
    const made = await Promise.all(['a', 'b', 'c'].map((n) => createWorktree(req(n))));
    for (const t of made) {
      assert.equal(t.how, 'created');
      assert.equal(t.head, base);
      assert.deepEqual(onDisk(t.path), [], 'the folder holds no file of the commit');
      const layer = layerOf(t.path);
      assert.ok(layer, 'a record names it');
      assert.equal(layer.base, base);
      const status = await engineGit(t.path, ['status', '--porcelain=v1', '--untracked-files=all']);
      assert.equal(status.stdout, '', 'clean through its layer');
      assert.equal(inLayer(t.path, 'ls src | wc -l').trim(), String(FOLDERS));
    }
    const bases = fs.readdirSync(path.join(layersDir(fs.realpathSync(path.join(repo, '.git'))), 'bases')).filter((n) => !n.startsWith('.'));
    assert.deepEqual(bases.sort(), [base, `${base}.index`], 'one base for the three');
    // Outside its layer, git would find every file deleted: that is why nothing runs there.
    assert.match(git(made[0]!.path, 'status', '--porcelain=v1'), /^ D src\/m0\/f0\.ts/m);
  });

  it("a change in one tree, in place and by a rename, reaches neither the base, the person's checkout nor a sibling", async () => {
    const a = path.join(trees, 'a');
    const b = path.join(trees, 'b');
    const lower = layerOf(a)!.lower;
    const before = {
      base: fs.readFileSync(path.join(lower, 'src/m1/f1.ts'), 'utf8'),
      checkout: fs.readFileSync(path.join(repo, 'src/m1/f1.ts'), 'utf8'),
    };
    inLayer(
      a,
      'echo changed >> src/m1/f1.ts && printf renamed > src/m2/f2.ts.new && mv src/m2/f2.ts.new src/m2/f2.ts && rm src/m3/f3.ts && echo new > src/new.ts',
    );
    assert.equal(fs.readFileSync(path.join(lower, 'src/m1/f1.ts'), 'utf8'), before.base, 'the base is never written');
    assert.equal(fs.readFileSync(path.join(lower, 'src/m2/f2.ts'), 'utf8'), `export const v2_2 = ${2 * PER_FOLDER + 2};\n`);
    assert.ok(fs.existsSync(path.join(lower, 'src/m3/f3.ts')));
    assert.equal(fs.readFileSync(path.join(repo, 'src/m1/f1.ts'), 'utf8'), before.checkout);
    assert.equal(
      inLayer(b, 'cat src/m1/f1.ts src/m2/f2.ts; test -e src/m3/f3.ts && echo f3 there; test -e src/new.ts || echo no new.ts'),
      `${before.base}export const v2_2 = ${2 * PER_FOLDER + 2};\nf3 there\nno new.ts\n`,
    );
    assert.deepEqual(
      onDisk(a),
      ['src/m1/f1.ts', 'src/m2/f2.ts', 'src/m3/f3.ts (deleted)', 'src/new.ts'],
      "the tree's folder holds its own changes only",
    );
    const status = (await engineGit(a, ['status', '--porcelain=v1', '--untracked-files=all'])).stdout;
    assert.equal(status, ' M src/m1/f1.ts\n M src/m2/f2.ts\n D src/m3/f3.ts\n?? src/new.ts\n');
    // The engine's commit of what the agent left: through the layer, exactly those four.
    await commitAll(a, 'waves: what the agent left');
    const changed = git(repo, 'diff', '--name-status', base, 'waves/f/a').trim().split('\n').sort();
    assert.deepEqual(changed, ['A\tsrc/new.ts', 'D\tsrc/m3/f3.ts', 'M\tsrc/m1/f1.ts', 'M\tsrc/m2/f2.ts']);
    assert.equal((await engineGit(a, ['status', '--porcelain=v1'])).stdout, '');
  });

  it('a root file is read outside from the tree where it has one, from the base otherwise, and not at all where deleted', () => {
    const a = path.join(trees, 'a');
    const c = path.join(trees, 'c');
    assert.equal(fileInTree(c, 'package.json'), path.join(layerOf(c)!.lower, 'package.json'));
    inLayer(a, 'echo "{}" > package.json');
    assert.equal(fileInTree(a, 'package.json'), path.join(a, 'package.json'));
    inLayer(c, 'rm package.json');
    assert.equal(fileInTree(c, 'package.json'), null);
    assert.equal(fileInTree(repo, 'package.json'), path.join(repo, 'package.json'), 'an ordinary tree: its own path');
  });

  it('a tree at a commit near the base is laid over it: its folder holds the difference', async () => {
    git(repo, 'checkout', '-q', '-b', 'next');
    fs.writeFileSync(path.join(repo, 'src/m5/f5.ts'), 'next\n');
    git(repo, 'rm', '-q', 'src/m6/f6.ts');
    git(repo, 'commit', '-qam', 'next');
    git(repo, 'checkout', '-q', 'main');
    const d = await createWorktree(req('d', { base: 'next' }));
    assert.equal(layerOf(d.path)!.base, base, 'laid over the existing base');
    assert.deepEqual(onDisk(d.path), ['src/m5/f5.ts', 'src/m6/f6.ts (deleted)']);
    assert.equal((await engineGit(d.path, ['status', '--porcelain=v1', '--untracked-files=all'])).stdout, '');
    assert.equal(inLayer(d.path, 'cat src/m5/f5.ts'), 'next\n');
  });

  it('a tree left half made (no index) is finished through its layer, near its base or at it', async () => {
    const d = path.join(trees, 'd');
    const gitDir = git(d, 'rev-parse', '--absolute-git-dir').trim();
    fs.rmSync(path.join(gitDir, 'index'));
    assert.equal(await finishHalfMade(d), true);
    assert.equal((await engineGit(d, ['status', '--porcelain=v1', '--untracked-files=all'])).stdout, '');
    // One at its base's commit, nothing in its folder: the base's index is all it needs.
    const b = path.join(trees, 'b');
    fs.rmSync(path.join(git(b, 'rev-parse', '--absolute-git-dir').trim(), 'index'));
    assert.equal(await finishHalfMade(b), true);
    assert.equal((await engineGit(b, ['status', '--porcelain=v1', '--untracked-files=all'])).stdout, '');
  });

  it('removal takes the tree and its record, and a base only when no tree lays over it any more', async () => {
    const common = fs.realpathSync(path.join(repo, '.git'));
    const lower = basePaths(common, base).files;
    for (const n of ['b', 'c', 'd']) {
      // c's package.json was deleted above: committed, so the tree is clean and merged.
      const tree = path.join(trees, n);
      if ((await engineGit(tree, ['status', '--porcelain=v1'])).stdout !== '') await commitAll(tree, 'waves: left');
      git(repo, 'branch', '-f', `merged-${n}`, `waves/f/${n}`);
      const r = await removeWorktreeIfSafe({ repo, worktree: tree, branch: `waves/f/${n}`, mergedInto: `merged-${n}` });
      assert.equal(r.removed, true, r.reason ?? '');
      assert.equal(fs.existsSync(tree), false);
      assert.ok(fs.existsSync(lower), 'tree a still lays over the base');
    }
    const a = path.join(trees, 'a');
    await commitAll(a, 'waves: left');
    git(repo, 'branch', '-f', 'merged-a', 'waves/f/a');
    const r = await removeWorktreeIfSafe({ repo, worktree: a, branch: 'waves/f/a', mergedInto: 'merged-a' });
    assert.equal(r.removed, true, r.reason ?? '');
    assert.equal(fs.existsSync(lower), false, 'the last tree gone, its base goes');
    assert.deepEqual(fs.readdirSync(path.join(layersDir(common), 'trees')), []);
  });

  it('a tree with uncommitted changes is kept, as an ordinary one is', async () => {
    const e = await createWorktree(req('e'));
    inLayer(e.path, 'echo mine > src/mine.ts');
    const r = await removeWorktreeIfSafe({ repo, worktree: e.path, branch: e.branch, mergedInto: 'main' });
    assert.equal(r.removed, false);
    assert.match(r.reason ?? '', /1 uncommitted or untracked file\(s\) \(src\/mine\.ts\)/);
    assert.ok(layerOf(e.path));
  });

  it('a tree laid while the last tree over its base is removed keeps the base: it is claimed from its choosing to its record', async () => {
    const common = fs.realpathSync(path.join(repo, '.git'));
    const f = await createWorktree(req('f'));
    const lower = layerOf(f.path)!.lower;
    const [removed, g] = await Promise.all([
      removeWorktreeIfSafe({ repo, worktree: f.path, branch: f.branch, mergedInto: 'main' }),
      createWorktree(req('g')),
    ]);
    assert.equal(removed.removed, true, removed.reason ?? '');
    assert.equal(layerOf(g.path)?.lower, lower);
    assert.ok(fs.existsSync(lower), 'the base stays under g');
    assert.equal((await engineGit(g.path, ['status', '--porcelain=v1', '--untracked-files=all'])).stdout, '');
    assert.ok(fs.existsSync(basePaths(common, base).index));
  });

  it("many mounts of one tree at once — the engine's gits, walls writing in it: each has a scratch folder of its own, none fails", async () => {
    const h = await createWorktree(req('h'));
    const layer = layerOf(h.path)!;
    /** An agent's walls writing in the tree: a mount of its layer of their own (the prefix draws a scratch folder each time). */
    const writer = (w: number) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const argv = [
          ...layerMountPrefix(layer),
          '/bin/sh',
          '-c',
          `cd "$0" && for k in $(seq 1 10); do echo $k > w${w}-$k.txt; rm w${w}-$k.txt; done`,
          h.path,
        ];
        const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stderr }));
      });
    const failed: string[] = [];
    for (let round = 0; round < 6; round++) {
      const writers = Array.from({ length: 8 }, (_, w) => writer(round * 8 + w));
      const reads = Array.from({ length: 8 }, (_, i) =>
        engineGit(h.path, i % 2 ? ['diff', '--stat', 'HEAD'] : ['status', '--porcelain=v1', '-uno']),
      );
      for (const s of await Promise.allSettled(reads)) if (s.status === 'rejected') failed.push(String(s.reason));
      for (const w of await Promise.all(writers)) if (w.code !== 0) failed.push(`walls: exit ${w.code}: ${w.stderr}`);
    }
    assert.deepEqual(failed, [], 'every mount was laid');
    // The engine's scratch folder is one per process; the walls', one per drawing: all in the tree's.
    const scratch = fs.readdirSync(layer.work);
    assert.ok(scratch.includes(`git-${process.pid}`), scratch.join(', '));
    assert.equal(scratch.filter((n) => n.startsWith('walls-')).length, 48, scratch.join(', '));
    assert.equal((await engineGit(h.path, ['status', '--porcelain=v1', '--untracked-files=all'])).stdout, '');
  });

  it('a layer that cannot be laid runs nothing: git in the tree fails, naming it', async () => {
    const e = path.join(trees, 'e');
    const layer = layerOf(e)!;
    const aside = `${layer.lower}.aside`;
    fs.renameSync(layer.lower, aside);
    try {
      await assert.rejects(engineGit(e, ['status']), /layered over .*, which is gone/);
      // There, but no folder: the mount fails, and the script stops before git runs.
      fs.writeFileSync(layer.lower, 'not a folder');
      await assert.rejects(
        engineGit(e, ['status']),
        (err: Error) => /could not be laid over .*: nothing was run in it/.test(err.message) && /exit 70/.test(err.message),
      );
    } finally {
      fs.rmSync(layer.lower, { recursive: true, force: true });
      fs.renameSync(aside, layer.lower);
    }
    assert.equal((await engineGit(e, ['status', '--porcelain=v1', '--untracked-files=all'])).stdout, '?? src/mine.ts\n');
  });
});

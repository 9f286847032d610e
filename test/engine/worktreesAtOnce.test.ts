/**
 * New worktrees of one repository made side by side (`src/engine/git/worktrees.ts` `addTree`): only
 * `worktree add --no-checkout` takes the repository's worktree turn, the checkouts run outside it,
 * many at once — on REAL repositories, with REAL git. Many trees made at once are whole (files,
 * HEAD, lock, the checkout's mark) while others are removed; a tree an engine left half made (its
 * process really killed between the add and the end of the checkout) is finished on the resume
 * when nothing in it is anyone's, and refused with nothing touched when a file in it changed.
 *
 * Run: node --import tsx --test test/engine/worktreesAtOnce.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createWorktree, dropMadeAhead, listWorktrees, prepareSharedTree, removeWorktreeIfSafe, takeMadeAhead } from '../../src/engine/git/worktrees.js';
import { checkedOutAt, madeAheadAt, madeAheadReason, treeIndexFile } from '../../src/engine/git/treeMarks.js';
import { git, makeRepo, REPO_ROOT, tempDir, waitFor } from './helpers.js';

const REASON = 'waves run r1';
const wtPath = (repo: string, name: string) => path.join(`${repo}.worktrees`, 'feat', name);
const branchOf = (name: string) => `waves/feat/${name}`;

/** A repository of `folders` × `perFolder` small files: a checkout with something to write. */
function bigRepo(folders = 30, perFolder = 10): string {
  const files: Record<string, string> = {};
  for (let d = 0; d < folders; d++) for (let f = 0; f < perFolder; f++) files[`src/m${d}/f${f}.ts`] = `export const v${d}_${f} = ${d * perFolder + f};\n`;
  return makeRepo(files);
}

const make = (repo: string, name: string, extra: { reason?: string; onlyNew?: boolean } = {}) =>
  createWorktree({ repo, path: wtPath(repo, name), branch: branchOf(name), base: 'main', reason: extra.reason ?? REASON, ...(extra.onlyNew ? { onlyNew: true } : {}) });

/** Every file of `base` there and unchanged, nothing else; on its branch at `base`; locked with `reason`; marked checked out. */
async function assertWhole(repo: string, name: string, base: string, reason = REASON): Promise<void> {
  const tree = wtPath(repo, name);
  assert.equal(git(tree, 'status', '--porcelain=v1', '--untracked-files=all'), '', `${name}: nothing missing, changed or added`);
  const listed = git(tree, 'ls-tree', '-r', '--name-only', base).trim().split('\n');
  assert.equal(git(tree, 'ls-files').trim().split('\n').length, listed.length, `${name}: the index holds the commit's files`);
  for (const f of [listed[0]!, listed[listed.length - 1]!]) assert.equal(fs.readFileSync(path.join(tree, f), 'utf8'), git(repo, 'show', `${base}:${f}`), `${name}: ${f} as committed`);
  assert.equal(git(tree, 'symbolic-ref', 'HEAD').trim(), `refs/heads/${branchOf(name)}`);
  assert.equal(git(tree, 'rev-parse', 'HEAD').trim(), base);
  const info = (await listWorktrees(repo)).find((w) => w.branch === branchOf(name));
  assert.equal(info?.locked, reason, `${name}: locked with its reason`);
  assert.equal(checkedOutAt(tree), base, `${name}: the checkout's mark`);
}

/** A `git` first on PATH that runs the real one, but for the calls `script` (sh) takes over; the PATH to use. */
function gitWrapper(script: string): { path: string; dir: string } {
  const dir = tempDir('waves-git-wrapper-');
  const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  fs.writeFileSync(path.join(dir, 'git'), `#!/bin/sh\nREAL_GIT=${JSON.stringify(real)}\n${script}\nexec "$REAL_GIT" "$@"\n`, { mode: 0o755 });
  return { path: `${dir}${path.delimiter}${process.env.PATH ?? ''}`, dir };
}

/**
 * Runs `createWorktree` of `name` in a process of its own whose git stops in the checkout, after
 * writing `partial` (files of the commit, as a checkout stopped midway leaves them) and its lock;
 * then kills that process and its git (the whole process group): the tree is left half made.
 */
async function killedInCheckout(repo: string, name: string, partial: string[], extra: { reason?: string; onlyNew?: boolean } = {}): Promise<void> {
  const stopped = path.join(tempDir('waves-stopped-'), 'stopped');
  const wrapper = gitWrapper(
    [
      'for a in "$@"; do',
      '  if [ "$a" = checkout-index ]; then',
      `    "$REAL_GIT" checkout-index -- ${partial.map((p) => `'${p}'`).join(' ')} || exit 1`,
      '    : > "$GIT_INDEX_FILE.lock"',
      `    : > '${stopped}'`,
      '    exec sleep 600',
      '  fi',
      'done',
    ].join('\n'),
  );
  const script = path.join(wrapper.dir, 'make.ts');
  fs.writeFileSync(
    script,
    [
      `import { createWorktree } from ${JSON.stringify(path.join(REPO_ROOT, 'src/engine/git/worktrees'))};`,
      `const req = ${JSON.stringify({ repo, path: wtPath(repo, name), branch: branchOf(name), base: 'main', reason: extra.reason ?? REASON, ...(extra.onlyNew ? { onlyNew: true } : {}) })};`,
      `createWorktree(req).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });`,
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, env: { ...process.env, PATH: wrapper.path }, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  await Promise.race([waitFor(() => fs.existsSync(stopped), 'the checkout to stop', 60_000), exited.then((how) => Promise.reject(new Error(`it ended before its checkout (${how}): ${stderr}`)))]);
  process.kill(-child.pid!, 'SIGKILL');
  assert.equal(await exited, 'SIGKILL');
}

/** The files under `tree` but its `.git` file, sorted. */
function filesOf(tree: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (rel === '' && e.name === '.git') continue;
      if (e.isDirectory()) walk(path.join(dir, e.name), `${rel}${e.name}/`);
      else out.push(`${rel}${e.name}`);
    }
  };
  walk(tree, '');
  return out.sort();
}

describe('worktrees of one repository made at once', () => {
  it('many trees asked at once: every one whole, on its branch at the base, locked, marked', async () => {
    const repo = bigRepo();
    const base = git(repo, 'rev-parse', 'HEAD').trim();
    const names = Array.from({ length: 24 }, (_, i) => `t${i}`);
    const made = await Promise.all(names.map((n) => make(repo, n)));
    assert.deepEqual(new Set(made.map((m) => `${m.how} ${m.head} ${m.baseSha}`)), new Set([`created ${base} ${base}`]));
    for (const n of names) await assertWhole(repo, n, base);
    assert.equal(git(repo, 'symbolic-ref', 'HEAD').trim(), 'refs/heads/main', "the person's checkout is untouched");
    assert.equal(git(repo, 'status', '--porcelain=v1', '--untracked-files=all'), '');
  });

  it('trees made while others are removed, round after round: none fails ("Invalid path .git/worktrees/…", "failed to read …/commondir"), all whole', async () => {
    const repo = bigRepo(10, 10);
    const base = git(repo, 'rev-parse', 'HEAD').trim();
    const W = 12;
    await Promise.all(Array.from({ length: W }, (_, i) => make(repo, `r0-${i}`)));
    const failed: string[] = [];
    for (let round = 1; round <= 6; round++) {
      const outcomes = await Promise.allSettled([
        ...Array.from({ length: W }, (_, i) => make(repo, `r${round}-${i}`)),
        ...Array.from({ length: W }, (_, i) =>
          removeWorktreeIfSafe({ repo, worktree: wtPath(repo, `r${round - 1}-${i}`), branch: branchOf(`r${round - 1}-${i}`), mergedInto: base }).then((r) => {
            if (!r.removed || !r.branchDeleted) throw new Error(`not removed: ${r.reason}`);
          }),
        ),
      ]);
      failed.push(...outcomes.flatMap((o) => (o.status === 'rejected' ? [`round ${round}: ${String(o.reason).split('\n').slice(-2).join(' ')}`] : [])));
    }
    assert.deepEqual(failed, []);
    const left = (await listWorktrees(repo)).flatMap((w) => (w.branch?.startsWith('waves/') ? [w.branch] : [])).sort();
    assert.deepEqual(left, Array.from({ length: W }, (_, i) => branchOf(`r6-${i}`)).sort());
    for (let i = 0; i < W; i++) await assertWhole(repo, `r6-${i}`, base);
  });

  it('the checkouts run side by side while the adds take their turn one at a time', async () => {
    const repo = bigRepo(5, 10);
    const base = git(repo, 'rev-parse', 'HEAD').trim();
    const seen = tempDir('waves-seen-');
    // A checkout waits until another one has started (or gives up and says it ran alone); an add
    // says so when it finds another add running (mkdir is atomic).
    const wrapper = gitWrapper(
      [
        `SEEN='${seen}'`,
        'for a in "$@"; do',
        '  if [ "$a" = checkout-index ]; then',
        '    : > "$SEEN/checkout-$$"',
        '    n=0',
        '    while [ "$(ls "$SEEN" | grep -c "^checkout-")" -lt 2 ]; do',
        '      n=$((n + 1)); if [ $n -gt 600 ]; then : > "$SEEN/alone-$$"; break; fi; sleep 0.05',
        '    done',
        '    break',
        '  fi',
        '  if [ "$a" = add ]; then',
        '    mkdir "$SEEN/add-running" 2>/dev/null || : > "$SEEN/adds-overlapped-$$"',
        '    "$REAL_GIT" "$@"; code=$?',
        '    rmdir "$SEEN/add-running" 2>/dev/null',
        '    exit $code',
        '  fi',
        'done',
      ].join('\n'),
    );
    const saved = process.env.PATH;
    process.env.PATH = wrapper.path;
    try {
      await Promise.all(['a', 'b', 'c', 'd'].map((n) => make(repo, n)));
    } finally {
      process.env.PATH = saved;
    }
    const names = fs.readdirSync(seen).sort();
    assert.equal(names.filter((n) => n.startsWith('checkout-')).length, 4, names.join(' '));
    assert.deepEqual(names.filter((n) => n.startsWith('alone-') || n.startsWith('adds-overlapped-')), [], 'no checkout waited for the turn, no two adds ran at once');
    for (const n of ['a', 'b', 'c', 'd']) await assertWhole(repo, n, base);
  });
});

describe('a tree left half made (the engine killed between the add and the end of the checkout)', () => {
  it("is not taken as made: the next attempt finishes its checkout (nothing in it was anyone's) and gets the whole tree", async () => {
    const repo = bigRepo(5, 10);
    const base = git(repo, 'rev-parse', 'HEAD').trim();
    await killedInCheckout(repo, 'a', ['src/m0/f0.ts', 'src/m0/f1.ts']);
    const tree = wtPath(repo, 'a');
    const index = treeIndexFile(tree)!;
    assert.equal(fs.existsSync(index), false, 'no index: the checkout did not end');
    assert.equal(checkedOutAt(tree), null, 'no mark');
    assert.deepEqual(filesOf(tree), ['src/m0/f0.ts', 'src/m0/f1.ts'], 'what the stopped checkout wrote');
    assert.equal((await listWorktrees(repo)).find((w) => w.branch === branchOf('a'))?.locked, REASON, 'locked from its first moment');
    const again = await make(repo, 'a');
    assert.deepEqual([again.how, again.head, again.baseSha], ['reused', base, base]);
    await assertWhole(repo, 'a', base);
    assert.deepEqual(
      fs.readdirSync(path.dirname(index)).filter((n) => n.startsWith('index.')),
      [],
      "the stopped checkout's index file and lock are gone",
    );
  });

  it('a file changed in it: refused with what changed, nothing in it touched; once the person moved it away, finished', async () => {
    const repo = bigRepo(5, 10);
    const base = git(repo, 'rev-parse', 'HEAD').trim();
    await killedInCheckout(repo, 'a', ['src/m0/f0.ts', 'src/m0/f1.ts']);
    const tree = wtPath(repo, 'a');
    fs.writeFileSync(path.join(tree, 'src/m0/f1.ts'), "someone else's work\n");
    fs.writeFileSync(path.join(tree, 'notes.txt'), 'and a note\n');
    await assert.rejects(make(repo, 'a'), /the worktree .* was left half made \(its checkout did not end\) and holds 2 file\(s\) that are not its commit's: notes\.txt, src\/m0\/f1\.ts; it is kept as it is/);
    assert.deepEqual(filesOf(tree), ['notes.txt', 'src/m0/f0.ts', 'src/m0/f1.ts'], 'nothing written');
    assert.equal(fs.readFileSync(path.join(tree, 'src/m0/f1.ts'), 'utf8'), "someone else's work\n", 'nothing lost');
    assert.equal(fs.existsSync(treeIndexFile(tree)!), false, 'still not taken as made');
    await assert.rejects(make(repo, 'a'), /was left half made/, 'refused again while it holds them');
    fs.rmSync(path.join(tree, 'src/m0/f1.ts'));
    fs.rmSync(path.join(tree, 'notes.txt'));
    await make(repo, 'a');
    await assertWhole(repo, 'a', base);
  });

  it('a tree made ahead and left half made: finished, then taken as made', async () => {
    const repo = bigRepo(5, 10);
    const base = git(repo, 'rev-parse', 'HEAD').trim();
    await killedInCheckout(repo, 'b', ['src/m1/f0.ts'], { reason: madeAheadReason(REASON, base), onlyNew: true });
    const tree = wtPath(repo, 'b');
    assert.equal(madeAheadAt(tree), base, 'known as made ahead by its lock reason');
    const taken = await takeMadeAhead({ repo, path: tree, branch: branchOf('b'), base: 'main' }, base);
    assert.deepEqual([taken.how, taken.head], ['created', base]);
    await assertWhole(repo, 'b', base, madeAheadReason(REASON, base));
  });

  it('a tree made ahead, left half made and never taken: the clean-up removes it (its missing files are no changes), its branch too', async () => {
    const repo = bigRepo(3, 10);
    const base = git(repo, 'rev-parse', 'HEAD').trim();
    await killedInCheckout(repo, 'c', ['src/m2/f3.ts'], { reason: madeAheadReason(REASON, base), onlyNew: true });
    const tree = wtPath(repo, 'c');
    assert.equal(await dropMadeAhead(repo, tree, branchOf('c'), base), true);
    assert.equal(fs.existsSync(tree), false);
    assert.equal((await listWorktrees(repo)).some((w) => w.branch === branchOf('c')), false);
    assert.equal(git(repo, 'branch', '--list', branchOf('c')), '');
  });

  it("half made by hand exactly as the add leaves it (the shared tree): finished, then the package's branch", async () => {
    const repo = bigRepo(3, 10);
    const base = git(repo, 'rev-parse', 'HEAD').trim();
    const shared = wtPath(repo, '_shared');
    git(repo, 'worktree', 'add', '--quiet', '--no-checkout', '--lock', '--reason', REASON, '--detach', shared, base);
    const r = await prepareSharedTree({ repo, path: shared, branch: branchOf('s'), base: 'main', reason: REASON, leftoversMessage: (b) => `leftovers of ${b}` });
    assert.deepEqual([r.how, r.head], ['created', base]);
    assert.equal(git(shared, 'status', '--porcelain=v1', '--untracked-files=all'), '');
    assert.equal(git(shared, 'ls-files').trim().split('\n').length, 30);
    assert.equal(git(repo, 'rev-list', '--count', 'main').trim(), '1', "no leftovers commit: there was nothing of anyone's");
  });

  it('a tree whose index went missing after its checkout ended is refused, nothing touched', async () => {
    const repo = bigRepo(2, 5);
    await make(repo, 'a');
    const tree = wtPath(repo, 'a');
    fs.writeFileSync(path.join(tree, 'src/m0/f0.ts'), "the agent's work\n");
    fs.rmSync(treeIndexFile(tree)!);
    await assert.rejects(make(repo, 'a'), /the worktree .* has no index \(.*\) though its checkout ended before; it is kept as it is/);
    assert.equal(fs.readFileSync(path.join(tree, 'src/m0/f0.ts'), 'utf8'), "the agent's work\n");
    assert.equal(fs.existsSync(treeIndexFile(tree)!), false);
  });
});

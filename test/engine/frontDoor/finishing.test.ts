/**
 * The front door's finish offer and clean-up on real repositories: the fast-forward of the
 * person's branch to the integration branch is offered only when nothing can be lost and no
 * live lease says someone drives the run (both front ends now get that check), is checked
 * again before it is done, and the clean-up removes nothing while the run is driven.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { RunState } from '../../../src/core/run/runState';
import { cleanUpWorktrees, fastForwardTo, finishOffer } from '../../../src/engine';
import { createWorktree } from '../../../src/engine/git/worktrees';
import { madeAheadAt, markMadeAhead } from '../../../src/engine/git/treeMarks';
import { packageBranch, worktreePath } from '../../../src/core/run/runPaths';
import { git, writeFiles } from '../helpers';
import { isolateGit, planRepo, writeLease, writeRunState } from './fixtures';

before(isolateGit);

const BRANCH = 'waves/fin/_integration';

/** The default merge of a finished run: `a/x.txt`. */
function mergeA(worktree: string): void {
  fs.mkdirSync(path.join(worktree, 'a'));
  fs.writeFileSync(path.join(worktree, 'a', 'x.txt'), 'x\n');
  git(worktree, 'add', '-A');
}

/**
 * A repository whose integration branch is one commit ahead of main (`change` staged in the
 * integration worktree; main's own files committed first), and the run state naming it.
 */
function finishedRun(change: (worktree: string) => void = mergeA, mainFiles: Record<string, string> = {}): { repo: string; state: RunState; tip: string } {
  const { repo } = planRepo('fin', [{ id: 'a' }, { id: 'b' }]);
  if (Object.keys(mainFiles).length > 0) {
    writeFiles(repo, mainFiles);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'main\'s files');
  }
  const base = git(repo, 'rev-parse', 'HEAD').trim();
  const worktree = path.join(path.dirname(repo), 'integration');
  git(repo, 'worktree', 'add', '-q', '-b', BRANCH, worktree, 'main');
  change(worktree);
  git(worktree, 'commit', '-q', '-m', 'merge a');
  const tip = git(repo, 'rev-parse', BRANCH).trim();
  const state = writeRunState(repo, 'fin', ['a', 'b'], (s) => {
    s.packages.a!.status = 'succeeded';
    s.packages.b!.status = 'failed';
    s.merges.a = { status: 'merged', files: ['a/x.txt'], commit: tip };
    s.integration = { branch: BRANCH, worktree, baseSha: base, tipSha: tip };
  });
  return { repo, state, tip };
}

describe('finishOffer', () => {
  it('without a lease: the fast-forward of main, what the branch holds and its commits', async () => {
    const { repo, state, tip } = finishedRun();
    const f = await finishOffer(repo, state);
    assert.equal(f.kind, 'offer');
    if (f.kind !== 'offer') return;
    assert.equal(f.blocked, null);
    assert.equal(f.branch, 'main');
    assert.equal(f.tip, tip);
    assert.deepEqual(f.merged.map(([id]) => id), ['a']);
    assert.deepEqual(f.notMerged, ['b']);
    assert.equal(f.commits?.length, 1);
    assert.match(f.commits![0]!, /merge a$/);
    assert.equal(f.offer?.possible, true);
    assert.equal(f.offer?.method, 'merge-ff-only');
    const done = await fastForwardTo(repo, 'fin', f.offer!);
    assert.deepEqual(done, { ok: true, to: tip });
    assert.equal(git(repo, 'rev-parse', 'main').trim(), tip);
    const again = await finishOffer(repo, state);
    assert.ok(again.kind === 'offer' && again.offer === null && again.upToDate, 'up to date: nothing more to offer');
  });

  it('with a live lease: no fast-forward, the driver named; a stale lease does not stop it', async () => {
    const { repo, state, tip } = finishedRun();
    const before = git(repo, 'rev-parse', 'main').trim();
    writeLease(repo, 'fin', 'live');
    const f = await finishOffer(repo, state);
    assert.ok(f.kind === 'offer');
    assert.equal(f.offer, null);
    assert.match(f.blocked ?? '', /^the run is still going \(pid \d+ on .+\); let it end first$/);
    assert.equal(f.upToDate, false);
    assert.equal(f.commits?.length, 1, 'what it holds is still shown');
    writeLease(repo, 'fin', 'stale');
    const g = await finishOffer(repo, state);
    assert.ok(g.kind === 'offer' && g.offer?.possible === true);
    // the lease is checked again at the person's yes: a run going again stops it
    writeLease(repo, 'fin', 'live');
    const refused = await fastForwardTo(repo, 'fin', g.offer!);
    assert.equal(refused.ok, false);
    assert.match(!refused.ok ? refused.why : '', /the run is going again/);
    assert.equal(git(repo, 'rev-parse', 'main').trim(), before, 'main untouched');
    assert.notEqual(before, tip);
  });

  it('main moved on: refused with git\'s reason; detached HEAD: refused; no integration branch: nothing', async () => {
    const { repo, state } = finishedRun();
    fs.writeFileSync(path.join(repo, 'NOTES.md'), 'mine\n');
    git(repo, 'add', 'NOTES.md');
    git(repo, 'commit', '-q', '-m', 'my own work');
    const f = await finishOffer(repo, state);
    assert.ok(f.kind === 'offer' && f.offer === null);
    assert.match(f.blocked ?? '', /^main has commits that waves\/fin\/_integration lacks/);
    git(repo, 'checkout', '-q', '--detach');
    const d = await finishOffer(repo, state);
    assert.ok(d.kind === 'offer' && d.branch === null);
    assert.match(d.blocked ?? '', /HEAD is not on a branch/);
    const none = await finishOffer(repo, { ...state, integration: null });
    assert.deepEqual(none, { kind: 'nothing', why: 'run r1 has no integration branch yet: nothing was merged' });
    git(repo, 'worktree', 'remove', '--force', state.integration!.worktree);
    git(repo, 'branch', '-D', BRANCH);
    assert.deepEqual(await finishOffer(repo, state), { kind: 'nothing', why: `the integration branch ${BRANCH} does not exist any more` });
  });
});

describe("finish and the person's files that git does not track", () => {
  /** Bytes a person could hold in an ignored file: text and a few raw ones. */
  const MINE = Buffer.from('API_KEY=mine\n\u0000\u00ff', 'latin1');
  const read = (file: string) => fs.readFileSync(file);
  /** The integration branch adds `src/a/.env`, ignored by main's `.gitignore` (an agent's `git add -f`). */
  const addsEnv = (worktree: string) => {
    writeFiles(worktree, { 'src/a/.env': 'API_KEY=agent\n', 'src/a/ok.ts': 'export {};\n' });
    git(worktree, 'add', '-f', '-A');
  };

  it('an ignored file of the person\'s that the integration branch adds: no fast-forward, the file named, kept byte for byte', async () => {
    const { repo, state, tip } = finishedRun(addsEnv, { '.gitignore': '.env\n' });
    const env = path.join(repo, 'src', 'a', '.env');
    fs.mkdirSync(path.dirname(env), { recursive: true });
    fs.writeFileSync(env, MINE);
    const before = git(repo, 'rev-parse', 'main').trim();
    const f = await finishOffer(repo, state);
    assert.ok(f.kind === 'offer');
    assert.equal(f.offer, null);
    assert.deepEqual(f.inTheWay, [{ path: 'src/a/.env', ignored: true }]);
    assert.equal(
      f.blocked,
      `main is checked out in ${repo}, where the fast-forward would overwrite or delete a file of yours that git does not track: src/a/.env (ignored); move it out of the way (${BRANCH} has the incoming version), then finish again`,
    );
    assert.equal(git(repo, 'rev-parse', 'main').trim(), before, 'main untouched');
    assert.deepEqual(read(env), MINE, 'the file is byte-identical');

    // Moved out of the way: the fast-forward is offered and done; the person's copy is where they put it.
    fs.renameSync(env, `${env}.mine`);
    const g = await finishOffer(repo, state);
    assert.ok(g.kind === 'offer' && g.offer?.possible === true, g.kind === 'offer' ? (g.blocked ?? '') : '');
    assert.deepEqual(await fastForwardTo(repo, 'fin', g.offer), { ok: true, to: tip });
    assert.equal(fs.readFileSync(env, 'utf8'), 'API_KEY=agent\n');
    assert.deepEqual(read(`${env}.mine`), MINE);
  });

  it('a file that appears between the offer and the yes: the fast-forward is refused at the yes, nothing changed', async () => {
    const { repo, state } = finishedRun(addsEnv, { '.gitignore': '.env\n' });
    const f = await finishOffer(repo, state);
    assert.ok(f.kind === 'offer' && f.offer?.possible === true);
    const env = path.join(repo, 'src', 'a', '.env');
    fs.mkdirSync(path.dirname(env), { recursive: true });
    fs.writeFileSync(env, MINE);
    const before = git(repo, 'rev-parse', 'main').trim();
    const done = await fastForwardTo(repo, 'fin', f.offer);
    assert.equal(done.ok, false);
    assert.match(!done.ok ? done.why : '', /^no fast-forward \(nothing was changed\): main is checked out in .*: src\/a\/\.env \(ignored\); move it out of the way/);
    assert.equal(git(repo, 'rev-parse', 'main').trim(), before);
    assert.deepEqual(read(env), MINE);
  });

  it("a folder that becomes a file would take the person's ignored files in it; a file where a folder must go: both named, nothing moves", async () => {
    const { repo, state } = finishedRun(
      (worktree) => {
        git(worktree, 'rm', '-q', '-r', 'logs');
        writeFiles(worktree, { logs: 'now a file\n', 'notes/todo.md': 'todo\n' });
        git(worktree, 'add', '-A');
      },
      { '.gitignore': '*.log\n', 'logs/README.md': 'logs go here\n' },
    );
    writeFiles(repo, { 'logs/today.log': 'my log\n', notes: 'a file of mine\n' });
    const f = await finishOffer(repo, state);
    assert.ok(f.kind === 'offer' && f.offer === null);
    assert.deepEqual(f.inTheWay, [
      { path: 'logs/today.log', ignored: true },
      { path: 'notes', ignored: false },
    ]);
    assert.match(f.blocked ?? '', /would overwrite or delete 2 files of yours that git does not track: logs\/today\.log \(ignored\), notes; move them out of the way/);
    assert.equal(fs.readFileSync(path.join(repo, 'logs', 'today.log'), 'utf8'), 'my log\n');
    assert.equal(fs.readFileSync(path.join(repo, 'notes'), 'utf8'), 'a file of mine\n');
  });

  it('a name with control characters is shown escaped', async () => {
    const name = 'evil\u001b[2Kname.env';
    const { repo, state } = finishedRun(
      (worktree) => {
        writeFiles(worktree, { [name]: 'x\n' });
        git(worktree, 'add', '-f', '-A');
      },
      { '.gitignore': '*.env\n' },
    );
    writeFiles(repo, { [name]: 'mine\n' });
    const f = await finishOffer(repo, state);
    assert.ok(f.kind === 'offer' && f.offer === null);
    assert.deepEqual(f.inTheWay, [{ path: name, ignored: true }]);
    assert.ok(!f.blocked!.includes('\u001b'), 'no raw escape character');
    assert.match(f.blocked!, /evil\\x1b\[2Kname\.env \(ignored\)/);
  });
});

describe('cleanUpWorktrees', () => {
  it('keeps every worktree while a live lease says the run is driven; removes the merged one without it', async () => {
    const { repo, state } = finishedRun();
    const f = await finishOffer(repo, state);
    assert.ok(f.kind === 'offer' && f.offer);
    await fastForwardTo(repo, 'fin', f.offer);
    writeLease(repo, 'fin', 'live');
    const held = await cleanUpWorktrees(repo, state);
    assert.deepEqual(held.removed, []);
    assert.equal(held.kept.length, 1);
    assert.match(held.kept[0]!.why, /^the run is going \(pid /);
    assert.ok(fs.existsSync(state.integration!.worktree));
    writeLease(repo, 'fin', 'stale');
    const done = await cleanUpWorktrees(repo, state);
    assert.deepEqual(done.removed, [state.integration!.worktree]);
    assert.equal(fs.existsSync(state.integration!.worktree), false);
  });

  it('removes a tree made ahead for a package that never started (an engine that stopped without its end left it) only while exactly as made', async () => {
    const { repo, state } = finishedRun();
    const made = await createWorktree({ repo, path: worktreePath(repo, 'fin', 'b'), branch: packageBranch('fin', 'b'), base: BRANCH, reason: 'waves run r1' });
    markMadeAhead(made.path, made.head);
    writeFiles(made.path, { 'b/planted.txt': 'someone else\n' });
    writeLease(repo, 'fin', 'stale');
    const kept = await cleanUpWorktrees(repo, state);
    // (The integration worktree stays too: the person never merged it.)
    assert.deepEqual(kept.kept.filter((k) => k.path === made.path).map((k) => k.why), ['made ahead for b, it changed since: kept']);
    assert.ok(!kept.removed.includes(made.path));
    assert.equal(fs.readFileSync(path.join(made.path, 'b', 'planted.txt'), 'utf8'), 'someone else\n', 'nothing of it lost');

    fs.rmSync(path.join(made.path, 'b'), { recursive: true });
    const done = await cleanUpWorktrees(repo, state);
    assert.ok(done.removed.includes(made.path), JSON.stringify(done));
    assert.equal(fs.existsSync(made.path), false);
    assert.equal(madeAheadAt(made.path), null);
    assert.equal(git(repo, 'branch', '--list', packageBranch('fin', 'b')).trim(), '', 'its branch is gone too');
  });
});

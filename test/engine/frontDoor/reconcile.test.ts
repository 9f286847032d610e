/**
 * The front door's recovery: what a run found on disk needs (followed under a live lease,
 * offered when work is left, finished), packages put back to pending under the lease, and
 * cancel requests only to a live driver — on real files.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { leaseFile, runDir } from '../../../src/core/run/runPaths';
import type { RunState } from '../../../src/core/run/runState';
import { LeaseHeldError, LocalExecutor, askDriverToCancel, readRun, reconcileRun, resetPackages } from '../../../src/engine';
import { tempDir } from '../helpers';
import { ended, writeLease, writeRunState } from './fixtures';

describe('reconcileRun', () => {
  it('followed under a live lease; offered when work is left; finished otherwise', async () => {
    const repo = tempDir();
    const left = writeRunState(repo, 'f', ['a', 'b'], (s) => {
      s.packages.a!.status = 'succeeded';
      s.packages.b!.status = 'interrupted';
    });
    writeLease(repo, 'f', 'live');
    const followed = await reconcileRun(repo, left);
    assert.equal(followed.kind, 'followed');
    assert.match(followed.kind === 'followed' ? followed.holder : '', /^pid \d+ on /);
    writeLease(repo, 'f', 'stale');
    assert.deepEqual(await reconcileRun(repo, left), { kind: 'offer', left: ['b'] });
    const done = writeRunState(repo, 'f', ['a'], (s) => void (s.packages.a!.status = 'succeeded'));
    assert.deepEqual(await reconcileRun(repo, done), { kind: 'finished' });
  });

  it('a run whose only work left is the person\'s review waits for it: not finished, nothing offered (#33)', async () => {
    const repo = tempDir();
    const waiting = writeRunState(repo, 'f', ['a', 'b', 'c'], (s) => {
      s.packages.a!.status = 'awaiting-review';
      s.packages.b!.status = 'pending'; // its dependent
      s.packages.c!.status = 'succeeded';
    });
    assert.deepEqual(await reconcileRun(repo, waiting), { kind: 'awaiting-review', waiting: ['a'] });
    const alsoLeft = writeRunState(repo, 'f', ['a', 'b'], (s) => {
      s.packages.a!.status = 'awaiting-review';
      s.packages.b!.status = 'interrupted';
    });
    assert.deepEqual(await reconcileRun(repo, alsoLeft), { kind: 'offer', left: ['b'] }, 'work left of its own is offered first');
  });

  it("a run whose driver went away while a package awaited the person's pick waits for the pick: not offered as stopped before it finished", async () => {
    const repo = tempDir();
    // Best of n, pick: person: the package stays running; candidate 1 failed, candidate 2 is green (audited, verified), none chosen.
    const withSet = (s: RunState) => {
      const a = s.packages.a!;
      Object.assign(a, { status: 'running', attempts: 1, startToken: 'tok-a', pid: 1 });
      a.candidates = [
        { ...a, packageId: 'a', candidate: 1, agent: 'claude-code', status: 'failed', startToken: 'tok-a1' },
        { ...a, packageId: 'a.c2', candidate: 2, agent: 'codex', status: 'verifying', headSha: 'f'.repeat(40), startToken: 'tok-a2', verification: [{ step: 'unit', ok: true }] },
      ] as unknown as typeof a.candidates;
      s.packages.b!.status = 'pending'; // its dependent
    };
    const waiting = writeRunState(repo, 'f', ['a', 'b'], (s) => withSet(s));
    writeLease(repo, 'f', 'stale');
    assert.deepEqual(await reconcileRun(repo, waiting), { kind: 'awaiting-pick', waiting: ['a'] });
    // Work of its own left beside it: Resume is offered first (the resumed run then waits for the pick).
    const alsoLeft = writeRunState(repo, 'f', ['a', 'b', 'c'], (s) => {
      withSet(s);
      s.packages.c!.status = 'interrupted';
    });
    assert.deepEqual(await reconcileRun(repo, alsoLeft), { kind: 'offer', left: ['c'] });
  });
});

describe('reconcileRun and run state that is not this machine\'s (#15)', () => {
  it('a state without this machine\'s id (shipped with a repository, or from another computer) is foreign: offered, never adopted', async () => {
    const repo = tempDir();
    // A repository ships a run with a running package and an exit.json whose token matches:
    // on this machine's state that would be adopted and its exit processed.
    const shipped = writeRunState(repo, 'f', ['a', 'b'], (s) => {
      delete s.machine;
      Object.assign(s.packages.a!, { status: 'running', attempts: 1, startToken: 'tok-a', pid: 1 });
    });
    const exitOfA = new LocalExecutor({ repoRoot: repo, featureId: 'f' }).attempt(shipped.runId, 'a', 1).files.exit;
    fs.mkdirSync(path.dirname(exitOfA), { recursive: true });
    fs.writeFileSync(exitOfA, JSON.stringify({ startToken: 'tok-a', code: 0, signal: null, reason: 'exited', timedOut: false, cancelled: false }));
    writeLease(repo, 'f', 'live');
    assert.deepEqual(await reconcileRun(repo, shipped), {
      kind: 'foreign',
      left: ['a', 'b'],
      reason: 'it does not say it was started on this machine (it may have come with the repository)',
    });
    const elsewhere = writeRunState(repo, 'f', ['a'], (s) => {
      s.machine = 'f'.repeat(64);
      Object.assign(s.packages.a!, { status: 'running', attempts: 1, startToken: 'tok-a', pid: 1 });
    });
    assert.deepEqual(await reconcileRun(repo, elsewhere), { kind: 'foreign', left: ['a'], reason: 'it was started on another machine' });
    // This machine's own state with the same files is adopted (the exit is collected).
    const mine = writeRunState(repo, 'f', ['a', 'b'], (s) => Object.assign(s.packages.a!, { status: 'running', attempts: 1, startToken: 'tok-a', pid: 1 }));
    writeLease(repo, 'f', 'stale');
    assert.deepEqual(await reconcileRun(repo, mine), { kind: 'adopt', live: [], exited: ['a'] });
    // A foreign run with nothing left is just finished.
    const over = writeRunState(repo, 'f', ['a'], (s) => {
      delete s.machine;
      ended(s, 'a', 'succeeded');
    });
    assert.deepEqual(await reconcileRun(repo, over), { kind: 'finished' });
  });
});

describe('reconcileRun through the executor', () => {
  it('an exit written while nobody watched, and a runner the executor finds alive, are adopted; a dead one is offered', async () => {
    const repo = tempDir();
    const state = writeRunState(repo, 'f', ['a', 'b', 'c'], (s) => {
      for (const [id, pid] of [['a', 101], ['b', 102], ['c', 103]] as const) Object.assign(s.packages[id]!, { status: 'running', attempts: 1, startToken: `tok-${id}`, pid });
    });
    const local = new LocalExecutor({ repoRoot: repo, featureId: 'f' });
    // a ended while nobody watched: its exit.json carries its start token
    const exitOfA = local.attempt(state.runId, 'a', 1).files.exit;
    fs.mkdirSync(path.dirname(exitOfA), { recursive: true });
    fs.writeFileSync(exitOfA, JSON.stringify({ startToken: 'tok-a', code: 0, signal: null, reason: 'exited', timedOut: false, cancelled: false }));
    // the executor is asked about b and c (as a remote host would answer): b lives, c does not
    const asked: string[] = [];
    const executor = {
      attempt: local.attempt.bind(local),
      readExit: local.readExit.bind(local),
      liveness: async (place: { packageId: string }, token: string, pid: number | null) => {
        asked.push(`${place.packageId}:${token}:${pid}`);
        return { pid, alive: place.packageId === 'b' };
      },
    };
    assert.deepEqual(await reconcileRun(repo, state, executor), { kind: 'adopt', live: [{ packageId: 'b', attempt: 1, pid: 102 }], exited: ['a'] });
    assert.deepEqual(asked, ['b:tok-b:102', 'c:tok-c:103'], 'liveness asked of the executor for the runners without an exit, with their tokens');
    // with the local executor the pids above are not runners carrying those tokens: nothing lives
    fs.rmSync(exitOfA);
    assert.deepEqual(await reconcileRun(repo, state), { kind: 'offer', left: ['a', 'b', 'c'] });
  });
});

describe('resetPackages', () => {
  it('puts the chosen statuses back to pending under the lease; refused while another process drives', async () => {
    const repo = tempDir();
    writeRunState(repo, 'f', ['a', 'b', 'c'], (s) => {
      ended(s, 'a', 'failed');
      ended(s, 'b', 'succeeded');
      ended(s, 'c', 'failed');
    });
    writeLease(repo, 'f', 'live');
    await assert.rejects(resetPackages(repo, 'f', ['failed']), LeaseHeldError);
    fs.rmSync(leaseFile(repo, 'f'));
    assert.deepEqual(await resetPackages(repo, 'f', ['failed'], ['a']), ['a']);
    const r = readRun(repo, 'f');
    assert.ok(r.kind === 'ok');
    assert.deepEqual([r.state.packages.a!.status, r.state.packages.b!.status, r.state.packages.c!.status], ['pending', 'succeeded', 'failed']);
    assert.equal(fs.existsSync(leaseFile(repo, 'f')), false, 'the lease released');
    assert.deepEqual(await resetPackages(tempDir(), 'f', ['failed']), [], 'never run: nothing');
  });
});

describe('askDriverToCancel', () => {
  it('refused without a live driver (nothing written); with one, a cancel request for it', async () => {
    const repo = tempDir();
    writeRunState(repo, 'f', ['a']);
    const requests = () => {
      const dir = path.dirname(runDir(repo, 'f', 'x'));
      return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith('cancel-request-')) : [];
    };
    const none = await askDriverToCancel(repo, 'f');
    assert.deepEqual(none, { ok: false, why: 'no engine drives f now' });
    writeLease(repo, 'f', 'stale');
    const stale = await askDriverToCancel(repo, 'f');
    assert.match(!stale.ok ? stale.why : '', /the lease of pid \d+ is stale: no heartbeat/);
    assert.deepEqual(requests(), []);
    writeLease(repo, 'f', 'live');
    const asked = await askDriverToCancel(repo, 'f', 'a');
    assert.ok(asked.ok);
    assert.equal(requests().length, 1);
  });

  it('names no attempt from a run state that is not valid (#15): the request alone goes to the driver', async () => {
    const repo = tempDir();
    // A state naming a run id that climbs out of .waves/runs: not valid, so no cancel file is written by it.
    writeRunState(repo, 'f', ['a'], (s) => {
      s.runId = '../../elsewhere';
      Object.assign(s.packages.a!, { status: 'running', attempts: 1, startedAt: '2025-01-01T00:00:01.000Z', startToken: 'tok-a', worktree: repo, logFile: path.join(repo, 'a.log') });
    });
    assert.equal(readRun(repo, 'f').kind, 'bad');
    writeLease(repo, 'f', 'live');
    const asked = await askDriverToCancel(repo, 'f', 'a');
    assert.ok(asked.ok, JSON.stringify(asked));
    assert.equal(fs.readdirSync(path.dirname(runDir(repo, 'f', 'x'))).filter((n) => n.startsWith('cancel-request-')).length, 1);
    assert.equal(fs.existsSync(path.join(repo, 'elsewhere')), false);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import Ajv2020 from 'ajv/dist/2020';
import runStateSchema from '../../../schemas/run-state.schema.json';
import {
  ACTIVE_STATUSES,
  FILE_CHANGES,
  MERGE_STATUSES,
  PACKAGE_STATUSES,
  TERMINAL_STATUSES,
  canTransition,
  checkRunStateInvariants,
  isActive,
  isPackageStatus,
  isTerminal,
  type FollowUp,
  type PackageStatus,
  type RunEvent,
  type RunEventType,
  type RunState,
  type RunStateResult,
} from '../../../src/core/run/runState';
import { applyEvent, recordMerge, setIntegration, setPlanHash } from '../../../src/core/run/runStateReducer';
import { clearedOutcome, createRunState, ensurePackages, setUnconfined, summarizeRun, withHistoryOf, type AttemptOutcome } from '../../../src/core/run/runStateInit';
import { validateRunState } from '../../../src/core/run/runStateValidation';
import { CANDIDATE_EVENTS } from '../../../src/core/run/candidates';

const T0 = new Date('2025-03-01T10:00:00.000Z');
const HASH = 'a'.repeat(64);
const at = (ms: number) => new Date(T0.getTime() + ms);

function fresh(ids: string[] = ['a', 'b']): RunState {
  return createRunState({
    featureId: 'feat',
    planFile: 'plan/work-packages.yaml',
    runId: 'run-1',
    packageIds: ids,
    now: T0,
  });
}

function ok(result: RunStateResult): RunState {
  if (!result.ok) assert.fail(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.state;
}

/** A run event for package `a` unless it names another. */
type EventInput = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'packageId'> & { packageId?: string } : never) : never;

function apply(state: RunState, ...events: EventInput[]): RunState {
  return events.reduce((s, e) => ok(applyEvent(s, { packageId: 'a', ...e } as RunEvent, T0)), state);
}

const START = {
  type: 'started',
  attempt: 1,
  startToken: 'tok-1',
  worktree: '/repo.worktrees/a',
  branch: 'waves/a',
  baseSha: 'abc123',
  logFile: '/logs/a.log',
  pid: 4242,
} as const;

/** A legal path from `pending` to each status, for package `a`. */
const PATH_TO: Record<PackageStatus, EventInput[]> = {
  pending: [],
  ready: [{ type: 'ready' }],
  queued: [{ type: 'ready' }, { type: 'queued' }],
  running: [{ type: 'ready' }, { type: 'queued' }, START],
  verifying: [{ type: 'ready' }, { type: 'queued' }, START, { type: 'exited', exitCode: 0 }],
  'awaiting-review': [{ type: 'ready' }, { type: 'queued' }, START, { type: 'exited', exitCode: 0 }, { type: 'awaitingReview' }],
  succeeded: [{ type: 'ready' }, { type: 'queued' }, START, { type: 'exited', exitCode: 0 }, { type: 'succeeded' }],
  failed: [{ type: 'ready' }, { type: 'queued' }, START, { type: 'exited', exitCode: 2 }],
  blocked: [{ type: 'blocked', by: ['b'] }],
  cancelled: [{ type: 'cancelled' }],
  interrupted: [{ type: 'ready' }, { type: 'queued' }, START, { type: 'interrupted' }],
  'scope-violation': [{ type: 'ready' }, { type: 'queued' }, START, { type: 'scopeViolation', paths: [{ path: 'x.ts', change: 'A' }] }],
  'usage-limit': [{ type: 'ready' }, { type: 'queued' }, START, { type: 'usageLimit', detail: 'limit reached', resetAt: '2026-01-01T17:00:00.000Z' }],
};

function stateIn(status: PackageStatus): RunState {
  const state = apply(fresh(), ...PATH_TO[status]);
  assert.equal(state.packages.a!.status, status);
  return state;
}

/** A well-formed event of each type for a package (default `a`) in `state`. */
function sampleEvent(type: RunEventType, state: RunState, packageId = 'a'): RunEvent {
  switch (type) {
    case 'started':
      return { ...START, packageId, attempt: state.packages[packageId]!.attempts + 1 };
    case 'exited':
      return { type, packageId, exitCode: 0 };
    case 'verificationResult':
      return { type, packageId, step: 'unit', ok: true };
    case 'failed':
      return { type, packageId, reason: 'boom' };
    case 'scopeViolation':
      return { type, packageId, paths: [{ path: 'src/other.ts', change: 'M' }] };
    case 'blocked':
      return { type, packageId, by: ['b'] };
    case 'needsInput':
      return { type, packageId, reason: 'permission prompt' };
    case 'progress':
      return { type, packageId, fraction: 0.5, message: 'half way' };
    case 'handoff':
      return { type, packageId, note: 'the endpoint is /v2/users' };
    case 'asked':
      return { type, packageId, question: 'Which database?' };
    case 'scopeGranted':
      return { type, packageId, paths: ['src/b.ts'], reason: 'its test' };
    case 'audited':
      return { type, packageId, changedFiles: [{ path: 'src/a.ts', change: 'M' }] };
    case 'usageLimit':
      return { type, packageId, detail: 'usage limit reached', resetAt: null, agent: 'Claude Code' };
    case 'reattached':
      return { type, packageId, startToken: state.packages[packageId]!.startToken ?? 'no-token' };
    case 'followUp':
      return { type, packageId, followUp: REVIEW };
    case 'candidates':
      return { type, packageId, agents: ['claude-code', 'codex'] };
    case 'chosen':
      return { type, packageId, choice: 2, why: 'first green' };
    default:
      return { type, packageId } as RunEvent;
  }
}

const REVIEW: FollowUp = {
  kind: 'review',
  at: '2026-01-01T12:00:00.000Z',
  from: 'branch',
  commit: 'abc123',
  comments: [{ file: 'src/a.ts', startLine: 3, endLine: 4, excerpt: 'const x = 1;', body: 'name it better' }],
};

// The specification, restated independently of the implementation's table.
const LEGAL = new Set([
  'pending>ready',
  'pending>blocked',
  'pending>cancelled',
  'ready>queued',
  'ready>pending',
  'ready>blocked',
  'ready>cancelled',
  'queued>running',
  'queued>pending',
  'queued>blocked',
  'queued>cancelled',
  'queued>failed',
  'queued>interrupted',
  'running>verifying',
  'running>failed',
  'running>cancelled',
  'running>interrupted',
  'running>scope-violation',
  'running>usage-limit',
  'verifying>succeeded',
  'verifying>failed',
  'verifying>cancelled',
  'verifying>interrupted',
  'verifying>scope-violation',
  'verifying>usage-limit',
  'verifying>awaiting-review',
  'awaiting-review>succeeded',
  'awaiting-review>pending',
  'awaiting-review>failed',
  'awaiting-review>cancelled',
  'awaiting-review>scope-violation',
  'succeeded>pending',
  'failed>pending',
  'blocked>pending',
  'cancelled>pending',
  'interrupted>pending',
  'interrupted>running',
  'scope-violation>pending',
  'usage-limit>pending',
]);
/** Target status of each event's sample (see `sampleEvent`); null = annotation only. */
const SAMPLE_TARGET: Record<RunEventType, PackageStatus | null> = {
  ready: 'ready',
  queued: 'queued',
  started: 'running',
  exited: 'verifying',
  verificationResult: null,
  needsInput: null,
  inputResumed: null,
  progress: null,
  handoff: null,
  scopeGranted: null,
  asked: null,
  audited: null,
  succeeded: 'succeeded',
  failed: 'failed',
  scopeViolation: 'scope-violation',
  usageLimit: 'usage-limit',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
  reattached: 'running',
  blocked: 'blocked',
  reset: 'pending',
  awaitingReview: 'awaiting-review',
  followUp: 'pending',
  candidates: null,
  chosen: 'verifying',
  ranked: null,
};
const ANNOTATES: Partial<Record<RunEventType, PackageStatus[]>> = {
  candidates: ['queued'],
  exited: ['cancelled', 'interrupted', 'usage-limit'],
  verificationResult: ['verifying'],
  needsInput: ['running'],
  inputResumed: ['running'],
  progress: ['running'],
  handoff: ['running'],
  scopeGranted: ['running'],
  asked: ['running'],
  audited: ['verifying'],
};
/** Events the specification allows from fewer statuses than the transition table does. */
const ONLY_FROM: Partial<Record<RunEventType, PackageStatus[]>> = {
  started: ['queued'],
  reattached: ['interrupted'],
  awaitingReview: ['verifying'],
  followUp: ['succeeded', 'awaiting-review'],
};
// `chosen` and `ranked` need a green candidate as well as the status: candidates.test.ts.
const EVENT_TYPES = (Object.keys(SAMPLE_TARGET) as RunEventType[]).filter((t) => t !== 'chosen' && t !== 'ranked');

describe('statuses', () => {
  it('lists the thirteen statuses once each', () => {
    assert.equal(PACKAGE_STATUSES.length, 13);
    assert.equal(new Set(PACKAGE_STATUSES).size, 13);
    assert.ok(PACKAGE_STATUSES.every(isPackageStatus));
    assert.ok(!isPackageStatus('done') && !isPackageStatus(undefined));
  });

  it('classifies terminal and active statuses', () => {
    const terminal = ['succeeded', 'failed', 'blocked', 'cancelled', 'interrupted', 'scope-violation', 'usage-limit'];
    for (const s of PACKAGE_STATUSES) {
      assert.equal(isTerminal(s), terminal.includes(s), s);
      assert.equal(isActive(s), ['queued', 'running', 'verifying'].includes(s), s);
    }
    assert.deepEqual([...TERMINAL_STATUSES].sort(), [...terminal].sort());
    assert.deepEqual([...ACTIVE_STATUSES], ['queued', 'running', 'verifying']);
  });

  it('allows exactly the specified transitions (all 169 pairs)', () => {
    let pairs = 0;
    for (const from of PACKAGE_STATUSES) {
      for (const to of PACKAGE_STATUSES) {
        assert.equal(canTransition(from, to), LEGAL.has(`${from}>${to}`), `${from} → ${to}`);
        pairs++;
      }
    }
    assert.equal(pairs, 169);
  });

  it('lets only reset leave a terminal status, to pending, and re-adoption leave interrupted, to running', () => {
    for (const from of TERMINAL_STATUSES) {
      assert.deepEqual(
        PACKAGE_STATUSES.filter((to) => canTransition(from, to)),
        from === 'interrupted' ? ['pending', 'running'] : ['pending'],
        from,
      );
    }
    const interrupted = stateIn('interrupted');
    const fresh = applyEvent(interrupted, { ...START, packageId: 'a', attempt: 2 }, T0);
    assert.ok(!fresh.ok && fresh.error.code === 'illegal-transition', 'an interrupted package never starts a new attempt without a reset');
    const token = interrupted.packages.a!.startToken!;
    assert.ok(!applyEvent(interrupted, { type: 'reattached', packageId: 'a', startToken: 'other' }, T0).ok);
    const back = ok(applyEvent(interrupted, { type: 'reattached', packageId: 'a', startToken: token }, T0));
    assert.equal(back.packages.a!.status, 'running');
    assert.equal(back.packages.a!.attempts, 1);
  });
});

describe('applyEvent', () => {
  it('accepts each event type in exactly the statuses the table allows (all 260 pairs)', () => {
    for (const status of PACKAGE_STATUSES) {
      const state = stateIn(status);
      for (const type of EVENT_TYPES) {
        const target = SAMPLE_TARGET[type];
        const annotation = ANNOTATES[type]?.includes(status) ?? false;
        const allowedFrom = ONLY_FROM[type]?.includes(status) ?? true;
        const expectOk = annotation || (target !== null && canTransition(status, target) && allowedFrom);
        const result = applyEvent(state, sampleEvent(type, state), at(1000));
        assert.equal(result.ok, expectOk, `${type} in ${status}: ${result.ok ? 'ok' : result.error.message}`);
        if (result.ok && type === 'inputResumed') {
          assert.equal(result.state, state, 'resuming when not waiting changes nothing');
        } else if (result.ok) {
          assert.equal(result.state.packages.a!.status, annotation ? status : target);
          assert.equal(result.state.updatedAt, at(1000).toISOString());
          assert.ok(validateRunState(result.state).ok);
        } else {
          assert.equal(result.error.code, 'illegal-transition');
          assert.equal(result.error.from, status);
          assert.equal(result.error.packageId, 'a');
          assert.equal(result.error.event, type);
        }
      }
    }
  });

  it('runs a package through a whole successful attempt', () => {
    let s = apply(fresh(), { type: 'ready' }, { type: 'queued' });
    s = ok(applyEvent(s, { ...START, packageId: 'a' }, at(1)));
    const running = s.packages.a!;
    assert.equal(running.status, 'running');
    assert.equal(running.attempts, 1);
    assert.equal(running.startedAt, at(1).toISOString());
    assert.equal(running.worktree, START.worktree);
    assert.equal(running.branch, START.branch);
    assert.equal(running.baseSha, START.baseSha);
    assert.equal(running.logFile, START.logFile);
    assert.equal(running.pid, 4242);

    s = ok(applyEvent(s, { type: 'exited', packageId: 'a', exitCode: 0, signal: null }, at(2)));
    assert.equal(s.packages.a!.status, 'verifying');
    assert.equal(s.packages.a!.exitCode, 0);
    assert.equal(s.packages.a!.endedAt, null);
    s = ok(applyEvent(s, { type: 'verificationResult', packageId: 'a', step: 'unit', ok: true, detail: '42 passed' }, at(3)));
    s = ok(applyEvent(s, { type: 'succeeded', packageId: 'a' }, at(4)));
    assert.deepEqual(s.packages.a!.verification, [{ step: 'unit', ok: true, detail: '42 passed', at: at(3).toISOString() }]);
    assert.equal(s.packages.a!.status, 'succeeded');
    assert.equal(s.packages.a!.endedAt, at(4).toISOString());
    assert.equal(s.packages.a!.lastError, null);
    assert.ok(validateRunState(s).ok);
  });

  it('turns an unclean exit into failed with a readable lastError', () => {
    const running = stateIn('running');
    const cases: Array<[Omit<Extract<RunEvent, { type: 'exited' }>, 'type' | 'packageId'>, string]> = [
      [{ exitCode: 3 }, 'the agent exited with code 3'],
      [{ exitCode: null, signal: 'SIGTERM' }, 'the agent was killed by SIGTERM'],
      [{ exitCode: 0, signal: 'SIGKILL' }, 'the agent was killed by SIGKILL'],
      [{ exitCode: null }, 'the agent exited without an exit code'],
      [{ exitCode: 1, reason: 'timed out after 30 min' }, 'timed out after 30 min'],
    ];
    for (const [exit, lastError] of cases) {
      const s = ok(applyEvent(running, { type: 'exited', packageId: 'a', ...exit }, at(5)));
      assert.equal(s.packages.a!.status, 'failed');
      assert.equal(s.packages.a!.lastError, lastError);
      assert.equal(s.packages.a!.endedAt, at(5).toISOString());
      assert.equal(s.packages.a!.exitCode, exit.exitCode);
    }
  });

  it('keeps what the walls refused an attempt (#32) until the next attempt starts; a refused list that is not one is refused', () => {
    const running = stateIn('running');
    const exited = ok(applyEvent(running, { type: 'exited', packageId: 'a', exitCode: 0, refused: ['example.com:443', 'example.com:443', 'x.io:80'] }, at(5)));
    assert.deepEqual(exited.packages.a!.refused, ['example.com:443', 'x.io:80']);
    assert.equal(validateRunState(exited).ok, true);
    const bad = applyEvent(running, { type: 'exited', packageId: 'a', exitCode: 0, refused: [''] } as RunEvent, at(5));
    assert.equal(bad.ok, false);
    const failed = ok(applyEvent(exited, { type: 'failed', packageId: 'a', reason: 'x' }, at(6)));
    const again = ok(applyEvent(ok(applyEvent(ok(applyEvent(ok(applyEvent(failed, { type: 'reset', packageId: 'a' }, at(7))), { type: 'ready', packageId: 'a' }, at(7))), { type: 'queued', packageId: 'a' }, at(8))), { type: 'started', packageId: 'a', attempt: 2, startToken: 't2', worktree: '/w', logFile: '/l' }, at(9)));
    assert.equal(again.packages.a!.refused, undefined, 'the next attempt starts with none');
  });

  it('records an exit that arrives after a cancel, once', () => {
    let s = apply(stateIn('running'), { type: 'cancelled', reason: 'stopped by the user' });
    s = apply(s, { type: 'exited', exitCode: null, signal: 'SIGTERM' });
    assert.equal(s.packages.a!.status, 'cancelled');
    assert.equal(s.packages.a!.signal, 'SIGTERM');
    assert.equal(s.packages.a!.lastError, 'stopped by the user');
    const again = applyEvent(s, { type: 'exited', packageId: 'a', exitCode: 0 }, T0);
    assert.ok(!again.ok && again.error.code === 'invalid-event' && /already recorded/.test(again.error.message));
  });

  it('refuses a start whose attempt is not the next one', () => {
    const queued = stateIn('queued');
    for (const attempt of [0, 2, 1.5, Number.NaN]) {
      const r = applyEvent(queued, { ...START, packageId: 'a', attempt }, T0);
      assert.ok(!r.ok && r.error.code === 'attempt-mismatch', String(attempt));
    }
  });

  it('keeps attempts and the worktree across reset, and clears the outcome', () => {
    const failed = stateIn('failed');
    const reset = apply(failed, { type: 'reset' }).packages.a!;
    assert.equal(reset.status, 'pending');
    assert.equal(reset.attempts, 1);
    assert.equal(reset.worktree, START.worktree);
    assert.equal(reset.logFile, START.logFile);
    for (const key of ['startedAt', 'endedAt', 'exitCode', 'signal', 'pid', 'lastError'] as const) assert.equal(reset[key], null, key);
    assert.deepEqual([reset.verification, reset.scopeViolations, reset.blockedBy], [[], [], []]);

    const again = apply(failed, { type: 'reset' }, { type: 'ready' }, { type: 'queued' });
    assert.ok(!applyEvent(again, { ...START, packageId: 'a', attempt: 1 }, T0).ok);
    assert.equal(apply(again, { ...START, attempt: 2 }).packages.a!.attempts, 2);
  });

  it('leaves every field of an attempt as a fresh record has it, whatever status the reset leaves', () => {
    const blank = fresh().packages.a!;
    const fields = Object.keys(clearedOutcome()) as (keyof AttemptOutcome)[];
    const verified = apply(stateIn('verifying'), { type: 'verificationResult', step: 'unit', ok: false, detail: '1 failed' }, { type: 'scopeViolation', paths: [{ path: 'x.ts', change: 'A' }] });
    assert.equal(verified.packages.a!.verification.length, 1);
    for (const [status, ended] of [...TERMINAL_STATUSES.map((t) => [t, stateIn(t)] as const), ['verified, then out of scope', verified] as const]) {
      const reset = apply(ended, { type: 'reset' }).packages.a!;
      for (const key of fields) assert.deepEqual(reset[key], blank[key], `${status} → reset: ${key}`);
    }
  });

  it('refuses success while the last result of a step is a failure', () => {
    let s = apply(stateIn('verifying'), { type: 'verificationResult', step: 'unit', ok: false, detail: '1 failed' });
    s = apply(s, { type: 'verificationResult', step: 'lint', ok: true });
    const refused = applyEvent(s, { type: 'succeeded', packageId: 'a' }, T0);
    assert.ok(!refused.ok && refused.error.code === 'unverified' && refused.error.message.includes('unit'));
    s = apply(s, { type: 'verificationResult', step: 'unit', ok: true });
    assert.equal(apply(s, { type: 'succeeded' }).packages.a!.status, 'succeeded');
  });

  it('records scope violations and blockers', () => {
    const paths = [1, 2, 3, 4].map((n) => ({ path: `src/f${n}.ts`, change: 'M' as const }));
    const violated = apply(stateIn('verifying'), { type: 'scopeViolation', paths }).packages.a!;
    assert.deepEqual(violated.scopeViolations, paths);
    assert.equal(violated.lastError, '4 file(s) changed outside the write scope: src/f1.ts, src/f2.ts, src/f3.ts, …');

    const blocked = apply(fresh(), { type: 'blocked', by: ['b', 'b'] }).packages.a!;
    assert.deepEqual(blocked.blockedBy, ['b']);
    assert.equal(blocked.endedAt, T0.toISOString());
  });

  it('rejects malformed events with invalid-event', () => {
    const bad: Array<[PackageStatus, RunEvent]> = [
      ['queued', { ...START, packageId: 'a', worktree: '' }],
      ['queued', { ...START, packageId: 'a', pid: -1 }],
      ['queued', { ...START, packageId: 'a', branch: '' }],
      ['running', { type: 'exited', packageId: 'a', exitCode: 1.5 }],
      ['running', { type: 'exited', packageId: 'a', exitCode: 0, signal: '' }],
      ['running', { type: 'failed', packageId: 'a', reason: '' }],
      ['running', { type: 'scopeViolation', packageId: 'a', paths: [] }],
      ['running', { type: 'scopeViolation', packageId: 'a', paths: [{ path: 'x', change: 'X' as never }] }],
      ['verifying', { type: 'verificationResult', packageId: 'a', step: '', ok: true }],
      ['pending', { type: 'blocked', packageId: 'a', by: [] }],
      ['pending', { type: 'cancelled', packageId: 'a', reason: '' }],
    ];
    for (const [status, event] of bad) {
      const r = applyEvent(stateIn(status), event, T0);
      assert.ok(!r.ok && r.error.code === 'invalid-event', JSON.stringify(event));
    }
  });

  it('rejects unknown packages, unknown event types and invalid times', () => {
    const s = fresh();
    const unknown = applyEvent(s, { type: 'ready', packageId: 'zzz' }, T0);
    assert.ok(!unknown.ok && unknown.error.code === 'unknown-package');
    for (const id of ['toString', '__proto__', 'constructor']) {
      const r = applyEvent(s, { type: 'ready', packageId: id }, T0);
      assert.ok(!r.ok && r.error.code === 'unknown-package', id);
    }
    const weird = applyEvent(s, { type: 'explode', packageId: 'a' } as unknown as RunEvent, T0);
    assert.ok(!weird.ok && weird.error.code === 'invalid-event');
    const toString = applyEvent(s, { type: 'toString', packageId: 'a' } as unknown as RunEvent, T0);
    assert.ok(!toString.ok && toString.error.code === 'invalid-event');
    for (const now of [new Date(Number.NaN), new Date('+012000-01-01T00:00:00Z')]) {
      const r = applyEvent(s, { type: 'ready', packageId: 'a' }, now);
      assert.ok(!r.ok && r.error.code === 'invalid-event');
    }
  });

  it('never mutates its input and shares untouched records', () => {
    const s = deepFreeze(stateIn('verifying'));
    const next = ok(applyEvent(s, { type: 'verificationResult', packageId: 'a', step: 'unit', ok: true }, T0));
    assert.notEqual(next, s);
    assert.equal(next.packages.b, s.packages.b);
    assert.equal(s.packages.a!.verification.length, 0);
  });

  it('handles package ids that are Object.prototype names', () => {
    let s = fresh(['constructor', '__proto__', 'hasOwnProperty']);
    assert.deepEqual(Object.keys(s.packages), ['constructor', '__proto__', 'hasOwnProperty']);
    s = ok(applyEvent(s, { type: 'ready', packageId: '__proto__' }, T0));
    assert.equal(s.packages['__proto__']!.status, 'ready');
    assert.equal(Object.getPrototypeOf(s.packages), Object.prototype);
    assert.ok(validateRunState(JSON.parse(JSON.stringify(s))).ok);
  });
});

describe('createRunState and ensurePackages', () => {
  it('creates pending records, ignoring duplicate ids', () => {
    const s = fresh(['a', 'b', 'a']);
    assert.deepEqual(Object.keys(s.packages), ['a', 'b']);
    assert.ok(Object.values(s.packages).every((r) => r.status === 'pending' && r.attempts === 0));
    assert.equal('planRevision' in s, false);
    assert.equal(createRunState({ ...s, packageIds: [], planRevision: 3, now: T0 }).planRevision, 3);
    assert.deepEqual([s.version, s.planHash, s.merges, s.integration, s.history], [2, null, {}, null, []]);
    assert.equal(createRunState({ ...s, packageIds: [], planHash: HASH, now: T0 }).planHash, HASH);
    assert.throws(() => createRunState({ ...s, packageIds: [], planHash: 'ABC', now: T0 }), RangeError);
    assert.equal(s.createdAt, T0.toISOString());
    assert.throws(() => createRunState({ ...s, packageIds: [], now: new Date('nope') }), RangeError);
  });

  it('adds only missing packages and keeps history', () => {
    const s = apply(fresh(), { type: 'ready' });
    assert.equal(ensurePackages(s, ['a', 'b'], at(1)), s);
    const grown = ensurePackages(s, ['c', 'a'], at(1));
    assert.equal(grown.packages.a, s.packages.a);
    assert.equal(grown.packages.c!.status, 'pending');
    assert.equal(grown.updatedAt, at(1).toISOString());
  });

  it('without walls: unconfined by the person, or the container their wall (containerWall, only with unconfined); both valid, and back', () => {
    const s = fresh();
    const off = setUnconfined(s, true, at(1));
    assert.deepEqual([off.unconfined, 'containerWall' in off], [true, false]);
    const container = setUnconfined(s, true, at(1), true);
    assert.deepEqual([container.unconfined, container.containerWall], [true, true]);
    assert.ok(validateRunState(JSON.parse(JSON.stringify(container))).ok);
    assert.equal(setUnconfined(container, true, at(2), true), container, 'no change, the same state');
    // Walls again (a resume inside them): neither field is left.
    const walled = setUnconfined(container, false, at(2), true);
    assert.deepEqual(['unconfined' in walled, 'containerWall' in walled], [false, false]);
    assert.equal('containerWall' in setUnconfined(container, true, at(2)), false, 'the person turned the walls off outright');
    assert.equal(validateRunState({ ...JSON.parse(JSON.stringify(s)), containerWall: 'yes' }).ok, false);
  });
});

describe('version 2 fields', () => {
  it('records the start token and result file, and keeps headSha for the retry', () => {
    let s = apply(stateIn('queued'), { ...START, resultFile: '/runs/a/1/result.json' });
    assert.equal(s.packages.a!.startToken, 'tok-1');
    assert.equal(s.packages.a!.resultFile, '/runs/a/1/result.json');
    s = apply(s, { type: 'exited', exitCode: 1, headSha: 'f00d' });
    assert.equal(s.packages.a!.headSha, 'f00d');
    s = apply(s, { type: 'reset' });
    const reset = s.packages.a!;
    assert.deepEqual([reset.startToken, reset.headSha, reset.resultFile], [null, 'f00d', '/runs/a/1/result.json']);
    s = apply(s, { type: 'ready' }, { type: 'queued' }, { ...START, attempt: 2, startToken: 'tok-2' });
    assert.deepEqual([s.packages.a!.startToken, s.packages.a!.headSha, s.packages.a!.resultFile], ['tok-2', 'f00d', null]);
    s = apply(s, { type: 'exited', exitCode: 0 });
    assert.equal(s.packages.a!.headSha, 'f00d', 'an exit without headSha keeps the last one');
    assert.ok(validateRunState(s).ok);
    for (const startToken of ['', undefined, 7]) {
      const r = applyEvent(stateIn('queued'), { ...START, packageId: 'a', startToken } as unknown as RunEvent, T0);
      assert.ok(!r.ok && r.error.code === 'invalid-event', String(startToken));
    }
    const badHead = applyEvent(stateIn('running'), { type: 'exited', packageId: 'a', exitCode: 0, headSha: '' }, T0);
    assert.ok(!badHead.ok && badHead.error.code === 'invalid-event');
  });

  it('marks a running package as waiting for input, and clears it when it goes on or stops', () => {
    const running = stateIn('running');
    const waiting = ok(applyEvent(running, { type: 'needsInput', packageId: 'a', reason: 'usage limit' }, at(1)));
    assert.deepEqual(waiting.packages.a!.needsInput, { since: at(1).toISOString(), reason: 'usage limit' });
    assert.equal(waiting.packages.a!.status, 'running');
    assert.equal(ok(applyEvent(waiting, { type: 'needsInput', packageId: 'a', reason: 'usage limit' }, at(2))), waiting);
    const other = ok(applyEvent(waiting, { type: 'needsInput', packageId: 'a', reason: 'permission' }, at(3)));
    assert.deepEqual(other.packages.a!.needsInput, { since: at(1).toISOString(), reason: 'permission' });
    assert.equal(ok(applyEvent(waiting, { type: 'inputResumed', packageId: 'a' }, at(4))).packages.a!.needsInput, null);
    assert.equal(ok(applyEvent(running, { type: 'inputResumed', packageId: 'a' }, at(4))), running);
    for (const leave of [{ type: 'exited', exitCode: 0 }, { type: 'cancelled' }, { type: 'interrupted' }] as EventInput[]) {
      const left = apply(waiting, leave);
      assert.equal(left.packages.a!.needsInput, null, leave.type);
      assert.ok(validateRunState(left).ok);
    }
    const empty = applyEvent(running, { type: 'needsInput', packageId: 'a', reason: '' }, T0);
    assert.ok(!empty.ok && empty.error.code === 'invalid-event');
    const notRunning = applyEvent(stateIn('verifying'), { type: 'needsInput', packageId: 'a', reason: 'x' }, T0);
    assert.ok(!notRunning.ok && notRunning.error.code === 'illegal-transition');
  });

  it("records the audit's changed files while verifying; a new attempt or reset clears them", () => {
    const files = [
      { path: 'src/a.ts', change: 'M' as const },
      { path: 'old.ts', change: 'D' as const },
    ];
    let s = apply(stateIn('verifying'), { type: 'audited', changedFiles: files });
    assert.deepEqual(s.packages.a!.changedFiles, files);
    s = apply(s, { type: 'audited', changedFiles: [] });
    assert.deepEqual(s.packages.a!.changedFiles, []);
    s = apply(s, { type: 'audited', changedFiles: files }, { type: 'succeeded' });
    assert.deepEqual(s.packages.a!.changedFiles, files, 'a succeeded package keeps its list for its dependents');
    assert.ok(validateRunState(s).ok);
    assert.deepEqual(apply(s, { type: 'reset' }).packages.a!.changedFiles, []);
    const bad = applyEvent(stateIn('verifying'), { type: 'audited', packageId: 'a', changedFiles: [{ path: '', change: 'M' }] }, T0);
    assert.ok(!bad.ok && bad.error.code === 'invalid-event');
    const early = applyEvent(stateIn('running'), { type: 'audited', packageId: 'a', changedFiles: [] }, T0);
    assert.ok(!early.ok && early.error.code === 'illegal-transition');
  });

  it('records merges, the integration branch and the plan hash, returning the same state when unchanged', () => {
    const s = stateIn('succeeded');
    const merged = ok(recordMerge(s, 'a', { status: 'merged', files: ['src/a.ts'], commit: 'c0ffee' }, at(1)));
    assert.deepEqual(merged.merges.a, { status: 'merged', files: ['src/a.ts'], commit: 'c0ffee' });
    assert.equal(merged.updatedAt, at(1).toISOString());
    assert.equal(ok(recordMerge(merged, 'a', { status: 'merged', files: ['src/a.ts'], commit: 'c0ffee' }, at(2))), merged);
    const conflict = ok(recordMerge(merged, 'b', { status: 'conflict', files: ['x.ts'] }, at(2)));
    assert.deepEqual(conflict.merges.b, { status: 'conflict', files: ['x.ts'], commit: null });
    assert.ok(validateRunState(conflict).ok);
    const unknown = recordMerge(s, 'zzz', { status: 'merged' }, T0);
    assert.ok(!unknown.ok && unknown.error.code === 'unknown-package');
    for (const update of [{ status: 'done' }, { status: 'merged', files: [''] }, { status: 'merged', commit: '' }]) {
      const r = recordMerge(s, 'a', update as never, T0);
      assert.ok(!r.ok && r.error.code === 'invalid-event', JSON.stringify(update));
    }

    const integration = { branch: 'waves/feat/_integration', worktree: '/wt/_integration', baseSha: 'b1', tipSha: 'b1' };
    const withBranch = ok(setIntegration(s, integration, at(1)));
    assert.deepEqual(withBranch.integration, integration);
    assert.equal(ok(setIntegration(withBranch, { ...integration }, at(2))), withBranch);
    assert.equal(ok(setIntegration(withBranch, { ...integration, tipSha: 't2' }, at(2))).integration?.tipSha, 't2');
    assert.equal(ok(setIntegration(withBranch, null, at(2))).integration, null);
    assert.ok(!setIntegration(s, { ...integration, tipSha: '' }, T0).ok);
    assert.ok(validateRunState(withBranch).ok);

    const hashed = ok(setPlanHash(s, HASH, at(1)));
    assert.equal(hashed.planHash, HASH);
    assert.equal(ok(setPlanHash(hashed, HASH, at(2))), hashed);
    assert.ok(!setPlanHash(s, 'not-a-hash', T0).ok);
  });

  it("summarises an earlier run into the next run's history", () => {
    const first = apply(stateIn('succeeded'), { type: 'blocked', packageId: 'b', by: ['a'] });
    const summary = summarizeRun(first, '.waves/history/feat/run-1.json');
    assert.deepEqual(summary, {
      runId: 'run-1',
      createdAt: T0.toISOString(),
      endedAt: first.updatedAt,
      planHash: null,
      counts: { succeeded: 1, blocked: 1 },
      archive: '.waves/history/feat/run-1.json',
    });
    const second = createRunState({ featureId: 'feat', planFile: 'p.yaml', runId: 'run-2', packageIds: ['a'], now: at(5) });
    const third = createRunState({ featureId: 'feat', planFile: 'p.yaml', runId: 'run-3', packageIds: ['a'], now: at(9) });
    const next = withHistoryOf(second, first, summary.archive);
    const last = withHistoryOf(third, next, '.waves/history/feat/run-2.json');
    assert.deepEqual(
      last.history.map((h) => h.runId),
      ['run-1', 'run-2'],
    );
    assert.ok(validateRunState(last).ok);
  });

  it('keeps fields it does not know through every change', () => {
    const s = structuredClone(stateIn('running')) as RunState & { future?: unknown };
    Object.assign(s, { future: { x: 1 } });
    Object.assign(s.packages.a!, { cost: 12 });
    Object.assign(s.packages.b!, { note: 'hi' });
    assert.ok(validateRunState(s).ok, 'the schema allows them');
    let next = apply(s, { type: 'exited', exitCode: 0 }, { type: 'verificationResult', step: 'unit', ok: true }, { type: 'succeeded' });
    next = apply(next, { type: 'reset' }, { type: 'ready' }, { type: 'queued' }, { ...START, attempt: 2 });
    next = ok(recordMerge(next, 'a', { status: 'pending' }, T0));
    next = ok(recordMerge({ ...next, merges: { a: { ...next.merges.a!, extra: true } as never } }, 'a', { status: 'merged' }, T0));
    assert.deepEqual((next as typeof s).future, { x: 1 });
    assert.equal((next.packages.a as unknown as { cost: number }).cost, 12);
    assert.equal((next.packages.b as unknown as { note: string }).note, 'hi');
    assert.equal((next.merges.a as unknown as { extra: boolean }).extra, true);
  });

  it('refuses a version-1 state like any version no build writes', () => {
    const v2 = stateIn('running');
    const { merges: _m, integration: _i, history: _h, planHash: _p, ...rest } = v2;
    const v1 = {
      ...rest,
      version: 1,
      packages: Object.fromEntries(
        Object.entries(v2.packages).map(([id, r]) => {
          const { startToken: _t, needsInput: _n, headSha: _s, resultFile: _f, changedFiles: _c, ...old } = r;
          return [id, old];
        }),
      ),
      locks: [{ key: 'api:users', holder: 'a', acquiredAt: T0.toISOString(), expiresAt: null }],
    };
    assert.deepEqual(validateRunState(v1), { ok: false, code: 'unsupported-version', detail: 'format version 1, which no build writes' });
    assert.deepEqual(validateRunState({ ...v2, version: 1 }), { ok: false, code: 'unsupported-version', detail: 'format version 1, which no build writes' });
    assert.ok(validateRunState(v2).ok);
  });
});

describe('schema', () => {
  it('compiles under every Ajv strict option', () => {
    const ajv = new Ajv2020({
      strict: true,
      strictTypes: true,
      strictTuples: true,
      strictRequired: true,
      allErrors: true,
      formats: { 'date-time': true },
    });
    assert.equal(typeof ajv.compile(runStateSchema), 'function');
  });

  it('describes every property', () => {
    const missing: string[] = [];
    const visit = (node: unknown, where: string) => {
      if (typeof node !== 'object' || node === null) return;
      const properties = (node as { properties?: Record<string, unknown> }).properties;
      const inCondition = /\/(if|then|else)\b/.test(where);
      for (const [name, sub] of Object.entries(properties ?? {})) {
        if (!inCondition && !(sub as { description?: string }).description) missing.push(`${where}/${name}`);
      }
      for (const [key, value] of Object.entries(node)) visit(value, `${where}/${key}`);
    };
    visit(runStateSchema, '#');
    assert.deepEqual(missing, []);
  });

  it('rejects states that break the record rules', () => {
    const running = stateIn('running');
    const broken: Array<[string, (s: RunState) => void]> = [
      ['needsInput while not running', (s) => Object.assign(s.packages.b!, { needsInput: { since: T0.toISOString(), reason: 'x' } })],
      ['a plan hash that is no SHA-256', (s) => (s.planHash = 'abc')],
      ['a merge status that does not exist', (s) => (s.merges = { a: { status: 'done' as never, files: [], commit: null } })],
      ['version 3 checked as version 2', (s) => Object.assign(s, { version: 3 })],
      ['running without startedAt', (s) => (s.packages.a!.startedAt = null)],
      ['blocked without blockers', (s) => (s.packages.a!.status = 'blocked')],
      ['blockers while not blocked', (s) => (s.packages.a!.blockedBy = ['b'])],
      ['bad timestamp', (s) => (s.updatedAt = 'yesterday')],
      ['bad change letter', (s) => (s.packages.a!.scopeViolations = [{ path: 'x', change: 'X' as never }])],
      ['record under the wrong key', (s) => (s.packages.a!.packageId = 'b')],
      ['a merge of an unknown package', (s) => (s.merges = { zzz: { status: 'merged', files: [], commit: null } })],
      // Names the engine makes folders and branches of (a shipped state reaches outside .waves/runs).
      ['a run id that climbs out of its folder', (s) => (s.runId = '../../outside')],
      ['a package id that is no folder name', (s) => (s.packages = { '../x': { ...s.packages.a!, packageId: '../x' } })],
    ];
    for (const [what, breakIt] of broken) {
      const copy = structuredClone(running);
      breakIt(copy);
      assert.equal(validateRunState(copy).ok, false, what);
    }
    assert.deepEqual(checkRunStateInvariants(running), []);
  });
});

describe('property: any sequence of events and merges', () => {
  const IDS = ['a', 'b', 'c'];
  const candidateMoves = new Set<string>();
  const text = fc.oneof(fc.constantFrom('boom', 'SIGTERM', 'unit', 'x'), fc.string({ maxLength: 6 }));
  const step = fc.record({
    kind: fc.constantFrom<RunEventType | 'merge'>(...EVENT_TYPES, 'merge'),
    /** Half the steps take the happy path's next event, so runs get past `pending`. */
    natural: fc.boolean(),
    pkg: fc.nat({ max: IDS.length - 1 }),
    attemptDelta: fc.oneof(fc.constant(1), fc.integer({ min: -1, max: 2 })),
    exitCode: fc.oneof(fc.constant(0), fc.constant(null), fc.integer({ min: -1, max: 255 })),
    signal: fc.option(fc.constantFrom('SIGTERM', 'SIGKILL', ''), { nil: undefined }),
    ok: fc.boolean(),
    text,
    optionalText: fc.option(text, { nil: undefined }),
    paths: fc.array(fc.record({ path: text, change: fc.constantFrom(...FILE_CHANGES) }), { maxLength: 3 }),
    by: fc.array(fc.constantFrom(...IDS, ''), { maxLength: 3 }),
    /** Best of n: an attempt's event is, now and then, a candidate's (0 and 3 are never in a set of two). */
    candidate: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined, freq: 2 }),
    merge: fc.constantFrom(...MERGE_STATUSES, 'bogus'),
    advanceMs: fc.integer({ min: 0, max: 120_000 }),
  });
  type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

  const NEXT: Record<PackageStatus, RunEventType> = {
    pending: 'ready',
    ready: 'queued',
    queued: 'started',
    running: 'exited',
    verifying: 'succeeded',
    'awaiting-review': 'succeeded',
    succeeded: 'reset',
    failed: 'reset',
    blocked: 'reset',
    cancelled: 'reset',
    interrupted: 'reset',
    'scope-violation': 'reset',
    'usage-limit': 'reset',
  };

  /** The random event a step describes (its payload may well be malformed). */
  function eventFor(s: Step, type: RunEventType, state: RunState): RunEvent {
    const packageId = IDS[s.pkg]!;
    switch (type) {
      case 'started':
        return {
          type,
          packageId,
          attempt: state.packages[packageId]!.attempts + s.attemptDelta,
          startToken: s.text,
          worktree: `/wt/${packageId}`,
          branch: s.optionalText,
          logFile: `/logs/${packageId}.log`,
          pid: s.ok ? 100 + s.pkg : undefined,
        };
      case 'exited':
        return { type, packageId, exitCode: s.exitCode, signal: s.signal, reason: s.optionalText };
      case 'verificationResult':
        return { type, packageId, step: s.text, ok: s.ok, detail: s.optionalText };
      case 'failed':
        return { type, packageId, reason: s.text };
      case 'scopeViolation':
        return { type, packageId, paths: s.paths };
      case 'blocked':
        return { type, packageId, by: s.by };
      case 'needsInput':
        return { type, packageId, reason: s.text };
      case 'progress':
        return { type, packageId, fraction: s.ok ? 0.25 : s.attemptDelta, message: s.text };
      case 'handoff':
        return { type, packageId, note: s.text };
      case 'asked':
        return { type, packageId, question: s.text };
      case 'scopeGranted':
        return { type, packageId, paths: s.paths.map((p) => p.path), reason: s.text };
      case 'audited':
        return { type, packageId, changedFiles: s.paths };
      case 'cancelled':
      case 'interrupted':
        return { type, packageId, reason: s.optionalText };
      case 'usageLimit':
        return { type, packageId, detail: s.text, resetAt: s.ok ? '2026-01-01T17:00:00.000Z' : null };
      case 'reattached':
        return { type, packageId, startToken: s.ok ? state.packages[packageId]!.startToken ?? s.text : s.text };
      case 'candidates':
        return { type, packageId, agents: s.ok ? ['claude-code', 'codex'] : [s.text] };
      case 'followUp':
        return { type, packageId, followUp: s.ok ? REVIEW : { ...(REVIEW as Extract<FollowUp, { kind: 'review' }>), comments: s.paths.map((p) => ({ file: p.path, startLine: 1, endLine: 1, excerpt: '', body: s.text })) } };
      default:
        return { type, packageId } as RunEvent;
    }
  }

  /** Applies one step; returns the state unchanged when the operation is refused, and whether it was accepted. */
  function run(s: Step, state: RunState, now: Date): { next: RunState; accepted: boolean } {
    const holder = IDS[s.pkg]!;
    const outcome = (r: RunStateResult) => ({ next: r.ok ? r.state : state, accepted: r.ok });
    if (s.natural) {
      // A set of candidates goes its own natural way half the time: a queued one starts, a running one exits.
      const record = state.packages[holder]!;
      const c = record.candidates?.find((x) => x.status === 'queued' || x.status === 'running');
      if (c && s.ok && (record.status === 'queued' || record.status === 'running')) {
        const event: RunEvent =
          c.status === 'queued'
            ? { ...START, packageId: holder, candidate: c.candidate, attempt: c.attempts + 1, worktree: `/wt/${c.packageId}` }
            : { type: 'exited', packageId: holder, candidate: c.candidate, exitCode: s.exitCode, spend: { inputTokens: 1, outputTokens: 1, cachedTokens: 0, costUsd: null } };
        const r = applyEvent(state, event, now);
        if (r.ok) candidateMoves.add(event.type);
        return outcome(r);
      }
      // Only `succeeded` after a failed step is refused.
      // An interrupted package is re-adopted half the time, reset the other half.
      const status = state.packages[holder]!.status;
      // A succeeded package is sent a follow-up half the time, and one awaiting review its revision.
      const type =
        status === 'interrupted' && s.ok ? 'reattached' : (status === 'succeeded' || status === 'awaiting-review') && s.ok ? 'followUp' : status === 'verifying' && s.text.length % 2 === 1 ? 'awaitingReview' : NEXT[status];
      return outcome(applyEvent(state, sampleEvent(type, state, holder), now));
    }
    switch (s.kind) {
      case 'merge': {
        const r = recordMerge(state, holder, { status: s.merge as never, files: s.paths.map((p) => p.path) }, now);
        if (!r.ok) assert.equal(r.error.code, 'invalid-event');
        return outcome(r);
      }
      default: {
        const event = eventFor(s, s.kind, state);
        const asCandidate = s.candidate !== undefined && (CANDIDATE_EVENTS as readonly string[]).includes(s.kind);
        const r = applyEvent(state, asCandidate ? ({ ...event, candidate: s.candidate } as RunEvent) : event, now);
        if (asCandidate && r.ok) candidateMoves.add(s.kind);
        if (!r.ok) assert.ok(r.error.message.length > 0);
        return outcome(r);
      }
    }
  }

  it('keeps the state schema-valid and moves statuses only along legal transitions', () => {
    const reached = new Set<PackageStatus>();
    const applied = new Set<string>();
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 80, size: 'max' }), (steps) => {
        let state = createRunState({ featureId: 'feat', planFile: 'p.yaml', runId: 'r', packageIds: IDS, now: T0 });
        let clock = T0.getTime();
        for (const s of steps) {
          clock += s.advanceMs;
          const now = new Date(clock);
          const { next, accepted } = run(s, state, now);
          if (accepted && !s.natural) applied.add(s.kind);
          if (accepted && s.natural && state.packages[IDS[s.pkg]!]!.status === 'interrupted' && next.packages[IDS[s.pkg]!]!.status === 'running') {
            applied.add('reattached');
          }
          for (const id of IDS) {
            const from = state.packages[id]!.status;
            const to = next.packages[id]!.status;
            assert.ok(from === to || canTransition(from, to), `${id}: ${from} → ${to}`);
            reached.add(to);
          }
          const valid = validateRunState(next);
          assert.ok(valid.ok, valid.ok ? '' : valid.detail);
          state = next;
        }
      }),
      { numRuns: 300 },
    );
    // The generator is only useful if it drives packages everywhere.
    assert.deepEqual([...reached].sort(), [...PACKAGE_STATUSES].sort());
    assert.deepEqual([...applied].sort(), [...EVENT_TYPES, 'merge'].sort());
    // And candidates of a set through their own attempts.
    for (const kind of ['started', 'exited']) assert.ok(candidateMoves.has(kind), `no candidate was ${kind}: ${[...candidateMoves].join(', ')}`);
  });
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { overlap } from '../../../src/core/plan/glob';
import { emptyLockTable, type LockEntry, type LockTable } from '../../../src/core/run/lockTable';
import { applyEvent, recordMerge, setIntegration } from '../../../src/core/run/runStateReducer';
import { createRunState } from '../../../src/core/run/runStateInit';
import { retriesSpent, type PackageStatus, type RunEvent, type RunState } from '../../../src/core/run/runState';
import { schedPackagesFromAnalysis, schedule, simulate, type ScheduleInput, type SchedPackage } from '../../../src/core/run/schedule';

const T0 = new Date('2025-03-01T10:00:00.000Z');

function pkg(id: string, partial: Partial<SchedPackage> = {}): SchedPackage {
  return { id, dependsOn: [], wave: 1, criticalLength: 1, priority: 5, lockFiles: [], lockKeys: [], retryBudget: 0, ...partial };
}

function stateOf(packages: readonly SchedPackage[]): RunState {
  return createRunState({ featureId: 'f', planFile: 'p.yaml', runId: 'r', packageIds: packages.map((p) => p.id), now: T0 });
}

function apply(state: RunState, ...events: RunEvent[]): RunState {
  return events.reduce((s, e) => {
    const r = applyEvent(s, e, T0);
    if (!r.ok) assert.fail(r.error.message);
    return r.state;
  }, state);
}

let token = 0;
/** Drives `id` from pending to `status` through legal events. */
function drive(state: RunState, id: string, status: PackageStatus): RunState {
  const start = (s: RunState): RunState =>
    apply(
      s,
      { type: 'ready', packageId: id },
      { type: 'queued', packageId: id },
      { type: 'started', packageId: id, attempt: s.packages[id]!.attempts + 1, startToken: `t${++token}`, worktree: '/w', logFile: '/l' },
    );
  switch (status) {
    case 'running':
      return start(state);
    case 'succeeded':
      return apply(start(state), { type: 'exited', packageId: id, exitCode: 0 }, { type: 'succeeded', packageId: id });
    case 'failed':
      return apply(start(state), { type: 'exited', packageId: id, exitCode: 1 });
    case 'interrupted':
      return apply(start(state), { type: 'interrupted', packageId: id });
    case 'cancelled':
      return apply(state, { type: 'cancelled', packageId: id });
    case 'ready':
      return apply(state, { type: 'ready', packageId: id });
    default:
      throw new Error(`drive: ${status}`);
  }
}

function run(packages: SchedPackage[], state: RunState, extra: Partial<ScheduleInput> = {}) {
  return schedule({ packages, state, locks: emptyLockTable(), featureId: 'f', maxParallel: 10, mode: 'eager', now: T0, ...extra });
}

const types = (events: RunEvent[]) => events.map((e) => `${e.type} ${e.packageId}`);

describe('schedule', () => {
  it('leaves held packages ready without a slot, so the cap goes to the others (the integration guard, #34)', () => {
    const packages = [pkg('a', { criticalLength: 9 }), pkg('b', { criticalLength: 5 }), pkg('c', { criticalLength: 1 })];
    const held = run(packages, stateOf(packages), { maxParallel: 2, held: new Set(['a']) });
    assert.deepEqual(held.start, ['b', 'c'], 'a, best by its critical path, is held: b and c take the two slots');
    assert.deepEqual(types(held.events), ['ready a', 'ready b', 'ready c'], 'it still becomes ready');
    const free = run(packages, stateOf(packages), { maxParallel: 2 });
    assert.deepEqual(free.start, ['a', 'b']);
    const onlyHeld = run([pkg('a')], stateOf([pkg('a')]), { held: new Set(['a']) });
    assert.deepEqual(onlyHeld.start, []);
    assert.equal(onlyHeld.done, true, 'nothing else can go on: the caller decides whether to wait');
  });

  it('starts the packages whose dependencies succeeded, best first', () => {
    const packages = [
      pkg('a', { criticalLength: 3 }),
      pkg('b', { criticalLength: 5, priority: 9 }),
      pkg('c', { criticalLength: 5, priority: 1 }),
      pkg('d', { dependsOn: ['a'] }),
      pkg('e', { criticalLength: 3 }),
    ];
    const first = run(packages, stateOf(packages));
    assert.deepEqual(types(first.events), ['ready a', 'ready b', 'ready c', 'ready e']);
    assert.deepEqual(first.start, ['c', 'b', 'a', 'e']);
    assert.deepEqual(first.waiting, []);
    assert.equal(first.done, false);

    let s = drive(stateOf(packages), 'a', 'succeeded');
    const next = run(packages, s);
    assert.deepEqual(types(next.events), ['ready b', 'ready c', 'ready e', 'ready d'], 'dependencies first');
    s = drive(drive(drive(drive(s, 'b', 'succeeded'), 'c', 'succeeded'), 'd', 'succeeded'), 'e', 'succeeded');
    assert.deepEqual(run(packages, s), { events: [], start: [], waiting: [], done: true });
  });

  it('counts a set of candidates (best of n) as a slot for each candidate still under way', () => {
    const packages = [pkg('a', { slots: 3, criticalLength: 9 }), pkg('b'), pkg('c')];
    const first = run(packages, stateOf(packages), { maxParallel: 4 });
    assert.deepEqual(first.start, ['a', 'b'], 'a takes three of the four slots');
    assert.deepEqual(first.waiting, [{ packageId: 'c', reason: 'cap' }]);
    // a's set under way, two of its three candidates still live: two slots.
    let s = apply(stateOf(packages), { type: 'ready', packageId: 'a' }, { type: 'queued', packageId: 'a' }, { type: 'candidates', packageId: 'a', agents: ['x', 'y', 'z'] });
    s = apply(
      s,
      { type: 'started', packageId: 'a', candidate: 1, attempt: 1, startToken: 't1', worktree: '/w1', logFile: '/l1' },
      { type: 'started', packageId: 'a', candidate: 2, attempt: 1, startToken: 't2', worktree: '/w2', logFile: '/l2' },
      { type: 'exited', packageId: 'a', candidate: 2, exitCode: 1 },
    );
    assert.deepEqual(run(packages, s, { maxParallel: 4 }).start, ['b', 'c'], 'candidates 1 and 3 live: two slots left');
    assert.deepEqual(run(packages, s, { maxParallel: 3 }).start, ['b']);
    // A set larger than the cap (the start refuses it) still starts once nothing else runs, never waits for ever.
    const big = [pkg('a', { slots: 5 })];
    assert.deepEqual(run(big, stateOf(big), { maxParallel: 2 }).start, ['a']);
  });

  it('keeps to the cap, counting what already runs', () => {
    const packages = ['a', 'b', 'c', 'd'].map((id) => pkg(id));
    const s = drive(stateOf(packages), 'a', 'running');
    const r = run(packages, s, { maxParallel: 2 });
    assert.deepEqual(r.start, ['b']);
    assert.deepEqual(r.waiting, [
      { packageId: 'c', reason: 'cap' },
      { packageId: 'd', reason: 'cap' },
    ]);
    for (const cap of [0, -3, Number.NaN])
      assert.equal(run(packages, stateOf(packages), { maxParallel: cap }).start.length, 1, String(cap));
  });

  it('blocks the dependents of a failure, all the way down, in one call', () => {
    const packages = [pkg('a'), pkg('b', { dependsOn: ['a'] }), pkg('c', { dependsOn: ['b'] }), pkg('x')];
    const s = drive(stateOf(packages), 'a', 'failed');
    const r = run(packages, s);
    assert.deepEqual(r.events, [
      { type: 'ready', packageId: 'x' },
      { type: 'blocked', packageId: 'b', by: ['a'] },
      { type: 'blocked', packageId: 'c', by: ['b'] },
    ]);
    assert.deepEqual(r.start, ['x']);
    for (const status of ['cancelled'] as const) {
      assert.deepEqual(types(run(packages, drive(stateOf(packages), 'a', status)).events).slice(1), ['blocked b', 'blocked c']);
    }
    // A merge conflict blocks too.
    const merged = setIntegration(
      drive(stateOf(packages), 'a', 'succeeded'),
      { branch: 'i', worktree: '/i', baseSha: '1', tipSha: '1' },
      T0,
    );
    assert.ok(merged.ok);
    const conflict = recordMerge(merged.state, 'a', { status: 'conflict', files: ['x.ts'] }, T0);
    assert.ok(conflict.ok);
    assert.deepEqual(types(run(packages, conflict.state).events), ['ready x', 'blocked b', 'blocked c']);
  });

  it('blocks nothing for an interrupted package; resume offers it again', () => {
    const packages = [pkg('a'), pkg('b', { dependsOn: ['a'] })];
    const r = run(packages, drive(stateOf(packages), 'a', 'interrupted'));
    assert.deepEqual(r, { events: [], start: [], waiting: [], done: true });
  });

  it('retries a failure within its budget, and unblocks what it blocked', () => {
    const packages = [pkg('a', { retryBudget: 1 }), pkg('b', { dependsOn: ['a'] })];
    let s = drive(stateOf(packages), 'a', 'failed');
    s = apply(s, { type: 'blocked', packageId: 'b', by: ['a'] });
    const retry = run(packages, s);
    assert.deepEqual(types(retry.events), ['reset a', 'ready a', 'reset b']);
    assert.deepEqual(retry.start, ['a']);
    s = retry.events.reduce((acc, e) => apply(acc, e), s);
    s = apply(
      s,
      { type: 'queued', packageId: 'a' },
      { type: 'started', packageId: 'a', attempt: 2, startToken: 't', worktree: '/w', logFile: '/l' },
      { type: 'exited', packageId: 'a', exitCode: 1 },
    );
    assert.equal(s.packages.a!.attempts, 2);
    const spent = run(packages, s);
    assert.deepEqual(types(spent.events), ['blocked b']);
    assert.equal(spent.done, true);
  });

  it('retries no failure that waits for the person (a planner whose sub-plan waits for approval): its dependents stay blocked, the run is done', () => {
    const packages = [pkg('a', { retryBudget: 2 }), pkg('b', { dependsOn: ['a'] })];
    const s = drive(stateOf(packages), 'a', 'failed');
    const r = run(packages, s, { waiting: new Set(['a']) });
    assert.deepEqual(types(r.events), ['blocked b']);
    assert.equal(r.done, true);
  });

  it('a failure before the agent started (its tree, the set-up hook…) spends a retry though no attempt ran: never started for ever', () => {
    const packages = [pkg('a', { retryBudget: 1 }), pkg('b', { dependsOn: ['a'] })];
    const failQueued = (st: RunState) => apply(st, { type: 'ready', packageId: 'a' }, { type: 'queued', packageId: 'a' }, { type: 'failed', packageId: 'a', reason: 'the tree could not be made' });
    let s = failQueued(stateOf(packages));
    assert.deepEqual([s.packages.a!.attempts, s.packages.a!.failedStarts, retriesSpent(s.packages.a!)], [0, 1, 1]);
    const retry = run(packages, s);
    assert.deepEqual(types(retry.events), ['reset a', 'ready a'], 'within its budget of 1: offered again');
    s = failQueued(apply(s, { type: 'reset', packageId: 'a' }));
    assert.equal(s.packages.a!.failedStarts, 2, 'kept across the reset');
    const spent = run(packages, s);
    assert.deepEqual(types(spent.events), ['blocked b']);
    assert.equal(spent.done, true);
    // A failure after the start is counted once, by its attempt.
    const after = drive(stateOf(packages), 'a', 'failed');
    assert.deepEqual([after.packages.a!.failedStarts, retriesSpent(after.packages.a!)], [undefined, 1]);
  });

  it('sends a ready package back to pending when a dependency was reset', () => {
    const packages = [pkg('a'), pkg('b', { dependsOn: ['a'] })];
    let s = drive(drive(stateOf(packages), 'a', 'succeeded'), 'b', 'ready');
    s = apply(s, { type: 'reset', packageId: 'a' });
    assert.deepEqual(types(run(packages, s).events), ['ready a', 'reset b']);
  });

  it('waits for merges when the run merges', () => {
    const packages = [pkg('a'), pkg('b', { dependsOn: ['a'] })];
    const integrated = setIntegration(
      drive(stateOf(packages), 'a', 'succeeded'),
      { branch: 'i', worktree: '/i', baseSha: '1', tipSha: '1' },
      T0,
    );
    assert.ok(integrated.ok);
    assert.deepEqual(run(packages, integrated.state).events, []);
    assert.deepEqual(types(run(packages, integrated.state, { requireMerge: false }).events), ['ready b']);
    for (const status of ['merged', 'skipped'] as const) {
      const m = recordMerge(integrated.state, 'a', { status }, T0);
      assert.ok(m.ok);
      assert.deepEqual(types(run(packages, m.state).events), ['ready b'], status);
    }
  });

  it("starts nothing against another holder's lock, nor two conflicting packages at once", () => {
    const packages = [
      pkg('a', { lockFiles: ['src/api/**'], criticalLength: 3 }),
      pkg('b', { lockFiles: ['src/api/users.ts'], criticalLength: 2 }),
      pkg('c', { lockKeys: ['db:migration-slot'] }),
      pkg('d', { lockFiles: ['docs/**'] }),
    ];
    const locks: LockTable = {
      version: 1,
      locks: [
        {
          key: 'db:migration-slot',
          kind: 'key',
          featureId: 'other',
          runId: 'o',
          holder: 'x',
          acquiredAt: T0.toISOString(),
          expiresAt: null,
        },
      ],
    };
    const r = run(packages, stateOf(packages), { locks });
    assert.deepEqual(r.start, ['a', 'd']);
    assert.deepEqual(
      r.waiting.map((w) => [w.packageId, w.reason, w.holder, w.conflicts?.[0]?.witness]),
      [
        ['b', 'lock', { featureId: 'f', packageId: 'a' }, 'src/api/users.ts'],
        ['c', 'lock', { featureId: 'other', packageId: 'x' }, 'db:migration-slot'],
      ],
    );
    // Another feature's lock keeps the run going, however long it is held.
    const alone = [packages[2]!];
    assert.equal(run(alone, stateOf(alone), { locks }).done, false);
    // An expired lock stands in nobody's way.
    const expired = { ...locks, locks: [{ ...locks.locks[0]!, expiresAt: T0.toISOString() }] };
    assert.deepEqual(run(alone, stateOf(alone), { locks: expired }).start, ['c']);
    // The package's own entry from an earlier attempt does not stop it.
    const own: LockEntry = { ...locks.locks[0]!, featureId: 'f', holder: 'c' };
    assert.deepEqual(run(alone, stateOf(alone), { locks: { version: 1, locks: [own] } }).start, ['c']);
  });

  it('reports a package whose lock glob is invalid instead of starting it', () => {
    const packages = [pkg('a', { lockFiles: ['/abs/**'] })];
    const r = run(packages, stateOf(packages));
    assert.deepEqual(r.start, []);
    assert.equal(r.waiting[0]?.reason, 'lock');
    assert.match(r.waiting[0]!.problem!, /\/abs\/\*\*/);
    assert.equal(r.done, true);
  });

  it('in barrier mode starts only the lowest wave that is not finished', () => {
    const packages = [pkg('a'), pkg('b'), pkg('c', { dependsOn: ['a'], wave: 2 }), pkg('d', { wave: 3, dependsOn: ['a'] })];
    let s = drive(drive(stateOf(packages), 'a', 'succeeded'), 'b', 'running');
    const held = run(packages, s, { mode: 'barrier' });
    assert.deepEqual(held.start, []);
    assert.deepEqual(
      held.waiting.map((w) => [w.packageId, w.reason]),
      [
        ['c', 'barrier'],
        ['d', 'barrier'],
      ],
    );
    assert.deepEqual(run(packages, s, { mode: 'eager' }).start, ['c', 'd']);
    s = drive(apply(s, { type: 'exited', packageId: 'b', exitCode: 1 }), 'c', 'ready');
    assert.deepEqual(run(packages, s, { mode: 'barrier' }).start, ['c']);
  });

  it('touches only the packages of `only`', () => {
    const packages = [pkg('a'), pkg('b'), pkg('c', { dependsOn: ['a'] })];
    const r = run(packages, drive(stateOf(packages), 'a', 'failed'), { only: ['b'] });
    assert.deepEqual(types(r.events), ['ready b']);
    assert.deepEqual(r.start, ['b']);
  });

  it('is done when packages can never start (a cycle, a dependency outside the run)', () => {
    const packages = [pkg('a', { dependsOn: ['b'], wave: Infinity }), pkg('b', { dependsOn: ['a'], wave: Infinity })];
    assert.deepEqual(run(packages, stateOf(packages)), { events: [], start: [], waiting: [], done: true });
  });
});

describe('schedPackagesFromAnalysis', () => {
  it('takes waves, dependencies, critical lengths, defaults and canonical keys from the plan', () => {
    const analysis = analyzePlan(`schema_version: 1
feature: { id: demo }
defaults: { priority: 3, retry_budget: 2, timeout_minutes: 10, lock_ttl_minutes: 30 }
packages:
  - package_id: api
    scope: { write_allow: ["src/api/**"] }
    timeout_minutes: 50
    locks: { files: ["src/api/**"], keys: ["api:GET /v1/users"], ttl_minutes: 5 }
  - package_id: ui
    depends_on: [api]
    priority: 1
    retry_budget: 0
    scope: { write_allow: ["src/ui/**"] }
  - package_id: docs
    depends_on: [api, ui]
    scope: { write_allow: ["docs/**"] }
  - package_id: api
    scope: { write_allow: ["other/**"] }
`);
    const packages = schedPackagesFromAnalysis(analysis);
    assert.deepEqual(packages, [
      {
        id: 'api',
        dependsOn: [],
        wave: 1,
        criticalLength: 70,
        priority: 3,
        lockFiles: ['src/api/**'],
        lockKeys: ['api:GET /v1/users'],
        retryBudget: 2,
        lockTtlMs: 5 * 60_000,
      },
      {
        id: 'ui',
        dependsOn: ['api'],
        wave: 2,
        criticalLength: 20,
        priority: 1,
        lockFiles: [],
        lockKeys: [],
        retryBudget: 0,
        lockTtlMs: 30 * 60_000,
      },
      {
        id: 'docs',
        dependsOn: ['api', 'ui'],
        wave: 3,
        criticalLength: 10,
        priority: 3,
        lockFiles: [],
        lockKeys: [],
        retryBudget: 2,
        lockTtlMs: 30 * 60_000,
      },
    ]);
    const weighted = schedPackagesFromAnalysis(analysis, { weight: (id) => (id === 'docs' ? 100 : 1) });
    assert.deepEqual(
      weighted.map((p) => p.criticalLength),
      [102, 101, 100],
    );
  });
});

describe('simulate', () => {
  it('runs a plan to the end against a simulated clock', () => {
    const packages = [pkg('a', { criticalLength: 5 }), pkg('b', { criticalLength: 2 }), pkg('c', { dependsOn: ['a', 'b'] })];
    const r = simulate({ packages, maxParallel: 2, mode: 'eager', durations: { a: 4, b: 1, c: 2 } });
    assert.equal(r.makespan, 6);
    assert.deepEqual(r.packages, {
      a: { start: 0, end: 4, attempts: 1 },
      b: { start: 0, end: 1, attempts: 1 },
      c: { start: 4, end: 6, attempts: 1 },
    });
    assert.deepEqual(r.statuses, { a: 'succeeded', b: 'succeeded', c: 'succeeded' });
    const one = simulate({ packages, maxParallel: 1, mode: 'eager', durations: { a: 4, b: 1, c: 2 } });
    assert.equal(one.makespan, 7);
  });

  it('retries failures within the budget and blocks the rest', () => {
    const packages = [pkg('a', { retryBudget: 1 }), pkg('b', { dependsOn: ['a'] }), pkg('c')];
    const once = simulate({ packages, maxParallel: 4, mode: 'eager', durations: () => 1, succeeds: (id, n) => id !== 'a' || n === 2 });
    assert.deepEqual(once.statuses, { a: 'succeeded', b: 'succeeded', c: 'succeeded' });
    assert.equal(once.packages.a!.attempts, 2);
    assert.equal(once.makespan, 3);
    const never = simulate({ packages, maxParallel: 4, mode: 'eager', durations: () => 1, succeeds: (id) => id !== 'a' });
    assert.deepEqual(never.statuses, { a: 'failed', b: 'blocked', c: 'succeeded' });
  });
});

// ---------------------------------------------------------------------------------------
// Properties

const GLOBS = ['src/**', 'src/a.ts', 'src/*.ts', 'lib/**', 'docs/x.md', '{src,lib}/b.ts'];
const KEYS = ['api:GET /x', 'db:migration-slot'];

/** A random DAG: package i depends on some of 0..i-1; waves computed here. */
const dag = fc
  .array(
    fc.record({
      deps: fc.array(fc.nat(), { maxLength: 3 }),
      globs: fc.subarray(GLOBS, { maxLength: 2 }),
      keys: fc.subarray(KEYS, { maxLength: 1 }),
      duration: fc.integer({ min: 1, max: 9 }),
      priority: fc.integer({ min: 1, max: 10 }),
      retryBudget: fc.integer({ min: 0, max: 1 }),
      failFirst: fc.boolean(),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((raw) => {
    const packages: SchedPackage[] = [];
    const durations: Record<string, number> = {};
    raw.forEach((r, i) => {
      const dependsOn = i === 0 ? [] : [...new Set(r.deps.map((d) => `p${d % i}`))];
      const wave = 1 + Math.max(0, ...dependsOn.map((d) => packages[Number(d.slice(1))]!.wave));
      packages.push(
        pkg(`p${i}`, { dependsOn, wave, priority: r.priority, lockFiles: r.globs, lockKeys: r.keys, retryBudget: r.retryBudget }),
      );
      durations[`p${i}`] = r.duration;
    });
    // Remaining critical length by actual durations (what an ideal estimate would give).
    for (let i = packages.length - 1; i >= 0; i--) {
      const p = packages[i]!;
      const after = packages.filter((q) => q.dependsOn.includes(p.id)).map((q) => q.criticalLength);
      p.criticalLength = durations[p.id]! + Math.max(0, ...after);
    }
    return { packages, durations, failFirst: new Set(raw.flatMap((r, i) => (r.failFirst ? [`p${i}`] : []))) };
  });

function locksConflict(a: SchedPackage, b: SchedPackage): boolean {
  return a.lockKeys.some((k) => b.lockKeys.includes(k)) || a.lockFiles.some((f) => b.lockFiles.some((g) => overlap(f, g) !== null));
}

describe('property: schedule', () => {
  it('never starts a package early, over the cap, against a lock, or across waves in barrier mode', () => {
    fc.assert(
      fc.property(
        dag,
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom('eager' as const, 'barrier' as const),
        fc.boolean(),
        (plan, cap, mode, failures) => {
          const byId = new Map(plan.packages.map((p) => [p.id, p]));
          const r = simulate({
            packages: plan.packages,
            maxParallel: cap,
            mode,
            durations: plan.durations,
            succeeds: (id, n) => !(failures && plan.failFirst.has(id) && n === 1),
          });
          for (const x of r.attempts) {
            // Dependencies succeeded before it started.
            for (const d of byId.get(x.packageId)!.dependsOn)
              assert.ok(
                r.attempts.some((y) => y.packageId === d && y.ok && y.end <= x.start),
                `${x.packageId} started before ${d} succeeded`,
              );
            const during = r.attempts.filter((y) => y.start <= x.start && x.start < y.end);
            assert.ok(during.length <= cap, `over the cap at ${x.start}`);
            for (const y of during) {
              if (y === x) continue;
              assert.ok(
                !locksConflict(byId.get(x.packageId)!, byId.get(y.packageId)!),
                `${x.packageId} and ${y.packageId} hold conflicting locks`,
              );
              if (mode === 'barrier') assert.equal(byId.get(x.packageId)!.wave, byId.get(y.packageId)!.wave, 'waves mixed');
            }
          }
          // Everything ends: succeeded, or failed/blocked because of a failure.
          for (const [id, status] of Object.entries(r.statuses)) {
            if (!failures) assert.equal(status, 'succeeded', id);
            else assert.ok(['succeeded', 'failed', 'blocked'].includes(status), `${id}: ${status}`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("eager stays within Graham's bound; nothing beats max(critical path, work / cap)", () => {
    const noLocks = dag.map((plan) => ({ ...plan, packages: plan.packages.map((p) => ({ ...p, lockFiles: [], lockKeys: [] })) }));
    fc.assert(
      fc.property(noLocks, fc.integer({ min: 1, max: 4 }), (plan, cap) => {
        const eager = simulate({ packages: plan.packages, maxParallel: cap, mode: 'eager', durations: plan.durations });
        const barrier = simulate({ packages: plan.packages, maxParallel: cap, mode: 'barrier', durations: plan.durations });
        const work = Object.values(plan.durations).reduce((a, b) => a + b, 0);
        const critical = Math.max(...plan.packages.map((p) => p.criticalLength));
        const bound = Math.max(critical, work / cap);
        assert.ok(eager.makespan >= bound, `eager ${eager.makespan} < bound ${bound}`);
        assert.ok(barrier.makespan >= bound);
        // Eager never idles a slot while a package could start (a list schedule), so Graham's
        // bound holds; barrier does idle, and may exceed it.
        assert.ok(eager.makespan <= work / cap + (1 - 1 / cap) * critical + 1e-9, `eager ${eager.makespan} over Graham's bound`);
        if (cap === 1) assert.equal(eager.makespan, work);
        if (cap === 1) assert.equal(barrier.makespan, work);
        // With a cap that never binds, eager is the critical path itself: never worse than barrier.
        const wide = simulate({ packages: plan.packages, maxParallel: plan.packages.length, mode: 'eager', durations: plan.durations });
        const wideBarrier = simulate({
          packages: plan.packages,
          maxParallel: plan.packages.length,
          mode: 'barrier',
          durations: plan.durations,
        });
        assert.equal(wide.makespan, critical);
        assert.ok(wide.makespan <= wideBarrier.makespan);
      }),
      { numRuns: 500 },
    );
  });

  it('eager can lose to barrier under a binding cap (a list-scheduling anomaly, kept as a known case)', () => {
    // Found by the property search: with 2 slots, eager starts p6 (longer remaining path)
    // before p0 at t=1, which delays p0's chain; barrier's forced order happens to be better.
    const P = (id: string, dependsOn: string[], wave: number, criticalLength: number) =>
      pkg(id, { dependsOn, wave, criticalLength, priority: 1 });
    const packages = [
      P('p0', [], 1, 10),
      P('p1', ['p0'], 2, 8),
      P('p2', [], 1, 13),
      P('p3', ['p1'], 3, 7),
      P('p4', [], 1, 11),
      P('p5', ['p0'], 2, 3),
      P('p6', ['p2'], 2, 12),
      P('p7', ['p4', 'p6'], 3, 8),
    ];
    const durations = { p0: 2, p1: 1, p2: 1, p3: 7, p4: 3, p5: 3, p6: 4, p7: 8 };
    assert.equal(simulate({ packages, maxParallel: 2, mode: 'eager', durations }).makespan, 16);
    assert.equal(simulate({ packages, maxParallel: 2, mode: 'barrier', durations }).makespan, 15);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { firstStarts, nextStarts, poolStep, POOL_MAX, POOL_STARTING_MAX, RUNNER_TOKENS, runnerTokensOf, stepsAhead, treesAhead } from '../../../src/core/run/startAhead';
import { createRunState } from '../../../src/core/run/runStateInit';
import { PACKAGE_STATUSES, type PackageStatus, type RunState } from '../../../src/core/run/runState';
import type { SchedPackage } from '../../../src/core/run/schedule';

const T0 = new Date('2026-11-25T10:00:00.000Z');

function pkg(id: string, dependsOn: string[] = []): SchedPackage {
  return { id, dependsOn, wave: 1, criticalLength: 1, priority: 5, lockFiles: [], lockKeys: [], retryBudget: 0 };
}

/** A run state whose packages are in the given statuses (the rest pending). */
function stateWith(packages: readonly SchedPackage[], statuses: Record<string, PackageStatus>): RunState {
  const state = createRunState({ featureId: 'f', planFile: 'p.yaml', runId: 'r', packageIds: packages.map((p) => p.id), now: T0 });
  for (const [id, status] of Object.entries(statuses)) state.packages[id]!.status = status;
  return state;
}

describe('nextStarts: how many attempts may start when the ones under way end', () => {
  const fan = [pkg('root'), ...Array.from({ length: 9 }, (_, i) => pkg(`leaf-${i}`, ['root']))];
  const chain = Array.from({ length: 5 }, (_, i) => pkg(`c${i}`, i ? [`c${i - 1}`] : []));

  it('a fan-out whose root runs: its nine dependents, at most the cap', () => {
    assert.equal(nextStarts(fan, stateWith(fan, { root: 'running' }), 10).length, 9);
    assert.equal(nextStarts(fan, stateWith(fan, { root: 'running' }), 4).length, 4);
    assert.equal(nextStarts(fan, stateWith(fan, { root: 'queued' }), 10).length, 9);
    assert.equal(nextStarts(fan, stateWith(fan, { root: 'verifying' }), 10).length, 9);
  });

  it('a chain: only the link after the one under way, never two levels on', () => {
    assert.equal(nextStarts(chain, stateWith(chain, { c0: 'succeeded', c1: 'running' }), 10).length, 1);
    assert.equal(nextStarts(chain, stateWith(chain, {}), 10).length, 1, 'the first link: nothing under way, it may start');
    assert.equal(nextStarts(chain, stateWith(chain, { c0: 'succeeded', c1: 'succeeded', c2: 'succeeded', c3: 'succeeded', c4: 'running' }), 10).length, 0);
  });

  it('a dependency that failed, is blocked or waits does not make its dependents next', () => {
    for (const status of ['failed', 'blocked', 'cancelled', 'interrupted', 'scope-violation', 'usage-limit', 'pending', 'ready'] as const) {
      assert.equal(nextStarts(fan, stateWith(fan, { root: status }), 10).length, status === 'pending' || status === 'ready' ? 1 : 0, status);
    }
  });

  it('packages under way, done or out of scope are not counted', () => {
    const s = stateWith(fan, { root: 'succeeded', 'leaf-0': 'running', 'leaf-1': 'queued', 'leaf-2': 'succeeded', 'leaf-3': 'failed' });
    assert.equal(nextStarts(fan, s, 10).length, 5);
    assert.equal(nextStarts(fan, s, 10, ['leaf-4', 'leaf-5', 'leaf-0']).length, 2);
    assert.equal(nextStarts(fan, s, 10, []).length, 0);
  });

  it('a dependency missing from the state (a plan edited under the run) holds its dependent back', () => {
    const plan = [pkg('a'), pkg('b', ['ghost'])];
    assert.equal(nextStarts(plan, stateWith([pkg('a'), pkg('b')], {}), 10).length, 1);
  });

  it('never more than the cap, the packages in scope or the ones not yet started (random plans and states)', () => {
    const statuses = PACKAGE_STATUSES as readonly PackageStatus[];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...statuses), fc.array(fc.nat(11), { maxLength: 3 })), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 12 }),
        (spec, cap) => {
          const packages = spec.map(([, deps], i) => pkg(`p${i}`, deps.filter((d) => d < i).map((d) => `p${d}`)));
          const state = stateWith(packages, Object.fromEntries(spec.map(([st], i) => [`p${i}`, st])));
          const n = nextStarts(packages, state, cap).length;
          const notStarted = spec.filter(([st]) => st === 'pending' || st === 'ready').length;
          assert.ok(n >= 0 && n <= cap && n <= notStarted, `${n} of cap ${cap}, ${notStarted} not started`);
          // Every counted package's dependencies are done or under way: marking one of them failed never adds one.
          const failedOne = packages.find((p) => p.dependsOn.length > 0);
          if (failedOne) {
            const worse = stateWith(packages, { ...Object.fromEntries(spec.map(([st], i) => [`p${i}`, st])), [failedOne.dependsOn[0]!]: 'failed' });
            assert.ok(nextStarts(packages, worse, cap).length <= n);
          }
        },
      ),
    );
  });
});

describe('nextStarts and treesAhead: which packages may start next, and whose tree is made ahead', () => {
  const fan = [pkg('root'), ...Array.from({ length: 9 }, (_, i) => pkg(`leaf-${i}`, ['root']))];

  it("names the next wave in the plan's order, at most the cap", () => {
    const s = stateWith(fan, { root: 'running', 'leaf-1': 'queued' });
    assert.deepEqual(nextStarts(fan, s, 10), ['leaf-0', 'leaf-2', 'leaf-3', 'leaf-4', 'leaf-5', 'leaf-6', 'leaf-7', 'leaf-8']);
    assert.deepEqual(nextStarts(fan, s, 3), ['leaf-0', 'leaf-2', 'leaf-3']);
    assert.deepEqual(nextStarts(fan, s, 0), []);
    assert.deepEqual(nextStarts(fan, s, 10, ['leaf-8', 'root']), ['leaf-8']);
    assert.equal(nextStarts(fan, s, 3).length, 3);
    assert.equal(nextStarts(fan, s, -1).length, 0);
  });

  it('a tree ahead only for a first attempt of an isolated package', () => {
    const s = stateWith(fan, { root: 'running' });
    s.packages['leaf-2']!.attempts = 1; // a retry: its tree holds the earlier attempt's work
    const shared = new Set(['leaf-3']);
    const next = nextStarts(fan, s, 10);
    assert.deepEqual(treesAhead(next, s, (id) => !shared.has(id)), ['leaf-0', 'leaf-1', 'leaf-4', 'leaf-5', 'leaf-6', 'leaf-7', 'leaf-8']);
    assert.deepEqual(treesAhead(['ghost'], s, () => true), [], 'a package missing from the state gets none');
  });
});

describe("firstStarts: the runners a new run starts while it sets itself up", () => {
  const fan = [pkg('root'), ...Array.from({ length: 9 }, (_, i) => pkg(`leaf-${i}`, ['root']))];
  const flat = Array.from({ length: 5 }, (_, i) => pkg(`p${i}`));

  it("the packages without a dependency, in the plan's order, at most the cap", () => {
    assert.deepEqual(firstStarts(fan, 10), ['root']);
    assert.deepEqual(firstStarts(flat, 3), ['p0', 'p1', 'p2']);
    assert.deepEqual(firstStarts(flat, 10), ['p0', 'p1', 'p2', 'p3', 'p4']);
    assert.deepEqual(firstStarts(flat, 0), []);
    assert.deepEqual(firstStarts(flat, -2), []);
    assert.deepEqual(firstStarts([], 3), []);
  });

  it('in a restricted run: only packages in scope, a dependency out of scope holding nothing back', () => {
    assert.deepEqual(firstStarts(fan, 10, ['leaf-3', 'leaf-7']), ['leaf-3', 'leaf-7'], 'their root is not in this run');
    assert.deepEqual(firstStarts(fan, 10, ['root', 'leaf-3']), ['root'], 'leaf-3 waits for the root of this run');
    assert.deepEqual(firstStarts(fan, 1, ['leaf-3', 'leaf-7']), ['leaf-3']);
    assert.deepEqual(firstStarts(fan, 10, []), []);
  });

  it("is nextStarts of the same plan's fresh run state (random plans)", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat(11), { maxLength: 3 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 12 }), (deps, cap) => {
        const packages = deps.map((d, i) => pkg(`p${i}`, d.filter((x) => x < i).map((x) => `p${x}`)));
        assert.deepEqual(firstStarts(packages, cap), nextStarts(packages, stateWith(packages, {}), cap));
      }),
    );
  });
});

describe('poolStep: toward the wanted number of idle runners', () => {
  it('starts the missing ones two at a time, counting the ones still starting', () => {
    assert.deepEqual(poolStep(9, { idle: 0, starting: 0 }), { start: POOL_STARTING_MAX, retire: 0 });
    assert.deepEqual(poolStep(9, { idle: 2, starting: 2 }), { start: 0, retire: 0 });
    assert.deepEqual(poolStep(9, { idle: 2, starting: 1 }), { start: 1, retire: 0 });
    assert.deepEqual(poolStep(9, { idle: 8, starting: 0 }), { start: 1, retire: 0 });
    assert.deepEqual(poolStep(1, { idle: 1, starting: 1 }), { start: 0, retire: 0 });
  });

  it('runners of several attempts: as many runners as cover the attempts missing, still two starting at a time', () => {
    assert.deepEqual(poolStep(9, { idle: 0, starting: 0 }, 4), { start: 2, retire: 0 }, 'two runners start (8 attempts); the third once one is ready');
    assert.deepEqual(poolStep(9, { idle: 8, starting: 0 }, 4), { start: 1, retire: 0 }, 'one attempt missing: a whole runner');
    assert.deepEqual(poolStep(9, { idle: 4, starting: 1 }, 4), { start: 1, retire: 0 });
    assert.deepEqual(poolStep(3, { idle: 4, starting: 0 }, 4), { start: 0, retire: 1 }, 'the surplus counted in attempts');
    assert.deepEqual(poolStep(4, { idle: 4, starting: 1 }, 4), { start: 0, retire: 0 });
    assert.deepEqual(poolStep(9, { idle: 0, starting: 0 }, 0), { start: 2, retire: 0 }, 'nonsense per runner counts as one');
  });

  it('WAVES_RUNNER_TOKENS: a whole number from 1 to the default; anything else, the default', () => {
    assert.equal(runnerTokensOf('1'), 1);
    assert.equal(runnerTokensOf(` ${RUNNER_TOKENS} `), RUNNER_TOKENS);
    for (const bad of [undefined, '', '0', '-1', '1.5', 'two', String(RUNNER_TOKENS + 1), '1e1']) assert.equal(runnerTokensOf(bad), RUNNER_TOKENS, String(bad));
  });

  it('lets the surplus go, and everything at 0', () => {
    assert.deepEqual(poolStep(2, { idle: 5, starting: 1 }), { start: 0, retire: 3 });
    assert.deepEqual(poolStep(0, { idle: 3, starting: 3 }), { start: 0, retire: 3 });
  });

  it('holds at most POOL_MAX whatever is asked; nonsense asks for nothing', () => {
    assert.deepEqual(poolStep(1000, { idle: POOL_MAX, starting: 0 }), { start: 0, retire: 0 });
    assert.deepEqual(poolStep(1000, { idle: POOL_MAX + 2, starting: 0 }), { start: 0, retire: 2 });
    assert.deepEqual(poolStep(Number.NaN, { idle: 1, starting: 0 }), { start: 0, retire: 1 });
    assert.deepEqual(poolStep(-3, { idle: 0, starting: 0 }), { start: 0, retire: 0 });
    assert.deepEqual(poolStep(2.7, { idle: 0, starting: 0 }), { start: 2, retire: 0 });
  });

  it('reaches the target when runners become ready one by one, never more than two starting (random targets)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 20 }), (wanted, already) => {
        let ready = already;
        let starting = 0;
        for (let round = 0; round < 100; round++) {
          const step = poolStep(wanted, { idle: ready + starting, starting });
          assert.ok(starting + step.start <= POOL_STARTING_MAX);
          ready -= Math.min(ready, step.retire);
          starting += step.start;
          if (starting > 0) {
            starting--; // one became ready
            ready++;
          }
        }
        assert.equal(ready + starting, Math.min(wanted, POOL_MAX));
      }),
    );
  });
});

describe('stepsAhead: the verification runners the pool may have ready when agents at work end', () => {
  const packages = ['a', 'b', 'c', 'd'].map((id) => pkg(id));

  it('one for each attempt at work whose package has verification commands to run; none for one without, or not at work', () => {
    const state = stateWith(packages, { a: 'running', b: 'running', c: 'verifying', d: 'pending' });
    const steps: Record<string, number> = { a: 2, b: 0, c: 1, d: 1 };
    assert.equal(stepsAhead(state, (id) => steps[id] ?? 0), 1, 'a: running with commands; b has none; c verifies already; d has not started');
    assert.equal(stepsAhead(state, () => 0), 0, 'no command approved: nothing to start ahead');
  });

  it("a best-of-n set: one for each of its candidates at work, whatever its package's own status says", () => {
    const state = stateWith(packages, { a: 'running' });
    const candidate = (k: number, status: PackageStatus) => ({ ...state.packages.a!, candidate: k, agent: `agent-${k}`, packageId: `a.c${k}`, status });
    state.packages.a!.candidates = [candidate(1, 'running'), candidate(2, 'running'), candidate(3, 'verifying'), candidate(4, 'failed')];
    assert.equal(stepsAhead(state, (id) => (id === 'a' ? 1 : 0)), 2);
  });
});

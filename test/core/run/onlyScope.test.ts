/** Which packages of `only` would wait forever (core/run/onlyScope.ts): plain Node. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { onlyWaits, startsNewRun } from '../../../src/core/run/onlyScope';
import type { PackageStatus, RunState } from '../../../src/core/run/runState';

const state = (statuses: Record<string, PackageStatus>) => ({ packages: Object.fromEntries(Object.entries(statuses).map(([id, status]) => [id, { packageId: id, status }])) }) as unknown as Pick<RunState, 'packages'>;
// a → b → c; d alone
const deps: Record<string, string[]> = { a: [], b: ['a'], c: ['b'], d: [] };
const of = (id: string) => deps[id] ?? [];

describe('a run of some packages only', () => {
  it('begins a new run without a state, or when every package asked for has ended (an interrupted one has not)', () => {
    assert.equal(startsNewRun(null, ['b']), true);
    assert.equal(startsNewRun(state({ a: 'succeeded', b: 'failed' }), ['b']), true);
    assert.equal(startsNewRun(state({ a: 'succeeded', b: 'interrupted' }), ['b']), false);
    assert.equal(startsNewRun(state({ a: 'succeeded', b: 'pending' }), ['b']), false);
    assert.equal(startsNewRun(state({ a: 'succeeded' }), ['b']), true, 'a package the state has no record of has not begun');
  });

  it('a package whose dependency outside `only` has not succeeded where it would run waits forever; inside `only`, it does not', () => {
    const failed = state({ a: 'succeeded', b: 'failed', c: 'blocked', d: 'succeeded' });
    // A new run (b ended): a succeeded in the last run only.
    assert.deepEqual(onlyWaits(['b'], of, failed, false), [{ packageId: 'b', dependency: 'a', succeededInLast: true }]);
    // Resumed: a succeeded in it.
    assert.deepEqual(onlyWaits(['b'], of, failed, true), []);
    // c waits for b, which failed, resumed or not; with b asked for too, c waits for nothing outside.
    assert.deepEqual(onlyWaits(['c'], of, failed, true), [{ packageId: 'c', dependency: 'b', succeededInLast: false }]);
    assert.deepEqual(onlyWaits(['b', 'c'], of, failed, true), []);
    assert.deepEqual(onlyWaits(['a', 'b', 'c'], of, null, false), [], 'everything it needs is asked for');
    assert.deepEqual(onlyWaits(['d'], of, null, false), [], 'no dependency');
    assert.deepEqual(onlyWaits(['b'], of, null, false), [{ packageId: 'b', dependency: 'a', succeededInLast: false }], 'no run yet');
    // A run not ended goes on without --resume: a succeeded there.
    assert.deepEqual(onlyWaits(['b'], of, state({ a: 'succeeded', b: 'interrupted' }), false), []);
  });
});

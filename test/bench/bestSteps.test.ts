// The bench's yardstick for the makespan of real plans: the fewest steps any schedule needs
// at a cap, every schedule tried — where max(critical path, work / cap) is only a bound.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { bestSteps, realPlan } from '../../bench/realPlans';

const pkg = (id: string, ...deps: string[]) => ({ id, deps });

describe('bestSteps (bench/realPlans.ts)', () => {
  it('is the critical path for a chain, and work / cap for independent packages', () => {
    assert.equal(bestSteps([pkg('a'), pkg('b', 'a'), pkg('c', 'b')], 3), 3);
    assert.equal(bestSteps(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => pkg(id)), 3), 3);
    assert.equal(bestSteps([], 3), 0);
  });

  it('meets the bound where some schedule does, and finds the shapes where none does', () => {
    // Two chains of two and a lone package at cap 2: critical path 2, work 5 / 2 → 3 steps, and a schedule has 3.
    assert.equal(bestSteps([pkg('a'), pkg('b', 'a'), pkg('c'), pkg('d', 'c'), pkg('e')], 2), 3);
    // a fans out to six that all wait for it; at cap 3: a, then six in two steps, then the one after them all.
    const six = ['1', '2', '3', '4', '5', '6'].map((n) => pkg(`x${n}`, 'a'));
    const shape = [pkg('a'), ...six, pkg('z', ...six.map((p) => p.id))];
    // critical path 3, work 8 / 3 → bound 3 steps; every schedule needs 4.
    assert.equal(bestSteps(shape, 3), 4);
  });

  it('is no longer than the engine scheduler takes (equal on every real plan the bench runs), and never below the bound', () => {
    for (const name of ['2026-03-21-add-dynamic-authorization', '2026-03-21-improve-worktree-management', '2026-04-04-gen-eval-testing']) {
      const plan = realPlan(name, 1);
      assert.ok(plan.optimal !== undefined, name);
      assert.ok(plan.optimal >= plan.bound, `${name}: ${plan.optimal} ≥ bound ${plan.bound}`);
      assert.equal(plan.optimal, plan.scheduled, name);
    }
    assert.equal(realPlan('2026-03-21-improve-worktree-management', 2).optimal, 8, 'improve-worktree-management: 4 steps of 2 s at cap 3, where the bound says 6 s');
  });

  it('a cycle never finishes; a plan too large to try every schedule has no answer', () => {
    assert.equal(bestSteps([pkg('a', 'b'), pkg('b', 'a')], 3), undefined);
    assert.equal(bestSteps(Array.from({ length: 25 }, (_, i) => pkg(`p${i}`)), 3), undefined);
  });
});

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { analyzePlan, type PlanAnalysis } from '../../../src/core/plan/analyze';
import { nested, parentLines, plan } from './nestedFixture';
import { leafWaves, leavesBelow, nestTree, scopeOf } from '../../../src/core/plan/nestTree';
import { plannerOf, subPlanContextOf, subPlanOf } from '../../../src/core/plan/subPlans';
import { analyzeNested } from '../../../src/core/plan/analyze';
import type { NestedPlan, SubPlanRead } from '../../../src/core/plan/nestedPlan';
import { above, below, unfoldNested, withinParentCaps, type Unfolded } from '../../../src/core/plan/unfold';
import { schedPackagesFromAnalysis } from '../../../src/core/run/schedule';

function unfolded(map: Record<string, string>): Unfolded {
  const plans = nested(map);
  assert.ok(plans.every((p) => p.valid), JSON.stringify(plans.map((p) => [p.file, p.nesting, p.analysis.diagnostics.filter((d) => d.severity === 'error')])));
  const u = unfoldNested(plans);
  assert.ok(!('refusals' in u), JSON.stringify(u));
  return u;
}

const depsOf = (a: PlanAnalysis) => Object.fromEntries(a.plan.packages.map((p) => [p.id, p.dependsOn.map((d) => d.value)]));

describe('a plan of plans unfolded into the one plan a run drives', () => {
  const three = {
    'work-packages.yaml': plan('f', [
      ['contracts', ['docs/**']],
      ['api', ['src/api/**'], ['depends_on: [contracts]', ...parentLines('plans/api.yaml'), 'verification:', '  steps:', '    - {name: api tests, kind: command, command: "npm test"}']],
      ['ui', ['src/ui/**'], ['depends_on: [api]']],
    ]),
    'plans/api.yaml': plan('f-api', [
      ['users', ['src/api/users/**'], parentLines('users.yaml')],
      ['orders', ['src/api/orders/**'], ['depends_on: [users]']],
      ['health', ['src/api/health.ts']],
    ]),
    'plans/users.yaml': plan('f-users', [['model', ['src/api/users/model.ts']], ['routes', ['src/api/users/routes/**'], ['depends_on: [model]']]]),
  };

  it('names each child under its parent, waits it for what its parent waits for, and makes the parent its join', () => {
    const u = unfolded(three);
    const a = analyzePlan(u.text);
    assert.equal(a.valid, true, JSON.stringify(a.diagnostics));
    assert.equal(a.plan.feature?.id, 'f');
    assert.deepEqual(depsOf(a), {
      contracts: [],
      api: ['contracts', 'api__users', 'api__orders', 'api__health'],
      api__users: ['contracts', 'api__users__model', 'api__users__routes'],
      api__users__model: ['contracts'],
      api__users__routes: ['api__users__model'],
      api__orders: ['api__users'],
      api__health: ['contracts'],
      ui: ['api'],
    });
    assert.deepEqual(u.joins, { api: ['api__users', 'api__orders', 'api__health'], api__users: ['api__users__model', 'api__users__routes'] });
    assert.deepEqual(u.origin.api__users__routes, { file: 'plans/users.yaml', packageId: 'routes' });
    assert.deepEqual(u.origin.ui, { file: 'work-packages.yaml', packageId: 'ui' });
    // The join keeps its own scope and verification, and is a parent no more.
    const api = a.plan.packages.find((p) => p.id === 'api')!;
    assert.deepEqual(api.scope.writeAllow.map((g) => g.value), ['src/api/**']);
    assert.deepEqual(api.verification?.steps.map((s) => s.command), ['npm test']);
    assert.ok(!a.plan.packages.some((p) => subPlanOf(p) !== null), 'no package names a sub-plan any more');
    // Each child is told its sub-plan (its prompt says it); a package of the top plan is not.
    assert.deepEqual(subPlanContextOf(a.plan.packages.find((p) => p.id === 'api__users__routes')!.inputs), { file: 'plans/users.yaml', parent: 'api__users', feature: 'f-users', title: null, contracts: [] });
    assert.equal(subPlanContextOf(a.plan.packages.find((p) => p.id === 'api__orders')!.inputs)?.parent, 'api');
    assert.equal(subPlanContextOf(api.inputs), null);
    // The schedule: the leaves first, each parent once its children are in, its dependents after it.
    const waves = a.graph.waves;
    const level = (id: string) => waves.findIndex((w) => w.includes(id));
    assert.ok(level('api__users__model') < level('api__users__routes'));
    assert.ok(level('api__users__routes') < level('api__users'));
    assert.ok(level('api__orders') < level('api') && level('api__health') < level('api'));
    assert.ok(level('api') < level('ui'));
    assert.equal(schedPackagesFromAnalysis(a).length, 8);
  });

  it('names and joins the packages in the views as the run does (nestTree agrees with unfoldNested)', () => {
    const plans = nested(three);
    const u = unfolded(three);
    const tree = nestTree(plans);
    assert.deepEqual(tree.joins, u.joins);
    for (const [id, o] of Object.entries(tree.origin)) assert.deepEqual({ file: plans[o.plan]!.file, packageId: o.packageId }, u.origin[id], id);
    assert.deepEqual(Object.keys(tree.origin).sort(), Object.keys(u.origin).sort());
    assert.deepEqual(tree.subPlan, { api: 1, api__users: 2 });
    assert.deepEqual(leavesBelow(tree, 'api'), ['api__users__model', 'api__users__routes', 'api__orders', 'api__health']);
    assert.deepEqual(leavesBelow(tree, 'ui'), []);
    assert.deepEqual(leafWaves(tree, plans[0]!.analysis.graph.waves), [['contracts'], ['api__users__model', 'api__users__routes', 'api__orders', 'api__health'], ['ui']]);
    const down = scopeOf(plans, tree, ['api', 'users']);
    assert.deepEqual(down, { plan: 2, prefix: 'api__users', path: [{ id: 'api', title: '' }, { id: 'users', title: '' }] });
    assert.deepEqual(scopeOf(plans, tree, []), { plan: 0, prefix: '', path: [] });
    assert.equal(scopeOf(plans, tree, ['ui']), undefined, 'no parent');
    assert.equal(scopeOf(plans, tree, ['users']), undefined, 'a parent of a sub-plan, named from the top');
    assert.equal(scopeOf(plans, tree, ['api', 'users', 'model']), undefined);
  });

  it("writes a sub-plan's defaults into its own packages, and keeps the top plan's from them", () => {
    const u = unfolded({
      'work-packages.yaml': plan('f', [['a', ['src/**'], parentLines('s.yaml')], ['b', ['lib/**']]], ['defaults:', '  retry_budget: 4', '  timeout_minutes: 9']),
      's.yaml': plan('s', [['x', ['src/x/**']], ['y', ['src/y/**'], ['retry_budget: 0']]], ['defaults:', '  timeout_minutes: 30', '  lock_ttl_minutes: 15']),
    });
    const a = analyzePlan(u.text);
    const of = (id: string) => a.plan.packages.find((p) => p.id === id)!;
    assert.equal(of('a__x').timeoutMinutes, 30);
    assert.equal(of('a__x').retryBudget, 1, "the format's default, not the top plan's 4");
    assert.equal(of('a__x').locks.ttlMinutes, 15);
    assert.equal(of('a__y').retryBudget, 0, 'its own value');
    assert.equal(of('b').retryBudget, undefined, "a top package keeps the top plan's defaults");
    assert.equal(a.plan.defaults.retryBudget, 4);
  });

  it("runs a {by: agent} parent's planner first, with the parent's scope and nothing to lock or verify; what it planned, once kept, after it", () => {
    const top = plan('f', [
      ['contracts', ['docs/**']],
      ['api', ['src/api/**'], ['depends_on: [contracts]', 'inputs:', '  waves: {plan: {by: agent}, max_parallel: 2}', 'locks: {files: ["src/api/index.ts"]}', 'verification:', '  steps:', '    - {name: api tests, kind: command, command: "npm test"}']],
      ['ui', ['src/ui/**'], ['depends_on: [api]']],
    ]);
    const read = (map: Record<string, string>, planned: (id: string) => SubPlanRead | null) => analyzeNested({ key: 'work-packages.yaml', file: 'work-packages.yaml', text: top }, (_f, rel) => ({ code: 'sub-plan-missing', error: rel }), { planned }) as NestedPlan<PlanAnalysis>[];
    // Not planned yet: the planner alone under its parent.
    const before = unfoldNested(read({}, () => null));
    assert.ok(!('refusals' in before));
    assert.deepEqual(before.joins, { api: ['api___plan'] });
    assert.deepEqual(before.planners, { api___plan: 'api' });
    assert.deepEqual(before.caps, { api: 2 });
    const a = analyzePlan(before.text);
    assert.equal(a.valid, true, JSON.stringify(a.diagnostics));
    assert.deepEqual(depsOf(a), { contracts: [], api: ['contracts', 'api___plan'], api___plan: ['contracts'], ui: ['api'] });
    const planner = a.plan.packages.find((p) => p.id === 'api___plan')!;
    assert.deepEqual(planner.scope.writeAllow.map((g) => g.value), ['src/api/**']);
    assert.deepEqual([planner.locks.files.length, planner.verification?.steps.length ?? 0], [0, 0]);
    assert.deepEqual(plannerOf(planner.inputs), { parent: 'api', levelsLeft: 2, maxPackages: 997 });
    // Kept: its packages after the planner, the parent joining all.
    const after = unfoldNested(read({}, (id) => (id === 'api' ? { key: 'k', file: '.waves/planned/f/api.yaml', text: plan('p', [['users', ['src/api/users/**']], ['orders', ['src/api/orders/**'], ['depends_on: [users]']]]) } : null)));
    assert.ok(!('refusals' in after));
    assert.deepEqual(after.joins, { api: ['api___plan', 'api__users', 'api__orders'] });
    assert.deepEqual(depsOf(analyzePlan(after.text)), { contracts: [], api: ['contracts', 'api___plan', 'api__users', 'api__orders'], api___plan: ['contracts'], api__users: ['api___plan'], api__orders: ['api__users'], ui: ['api'] });
  });

  it('refuses an id the run would take twice, or one past 64 characters, naming the file', () => {
    const clash = unfoldNested(nested({
      'work-packages.yaml': plan('f', [['a', ['src/**'], parentLines('s.yaml')], ['a__x', ['lib/**']]]),
      's.yaml': plan('s', [['x', ['src/x/**']]]),
    }));
    assert.ok('refusals' in clash);
    assert.match(clash.refusals[0]!, /^s\.yaml: `x` would run as `a__x`, a package of the plan already named so/);
    const long = 'p'.repeat(40);
    const tooLong = unfoldNested(nested({
      'work-packages.yaml': plan('f', [[long, ['src/**'], parentLines('s.yaml')]]),
      's.yaml': plan('s', [['q'.repeat(30), ['src/x/**']]]),
    }));
    assert.ok('refusals' in tooLong);
    assert.match(tooLong.refusals[0]!, /longer than 64 characters/);
  });

  it("keeps each parent's max_parallel by its id in the run, and holds the packages below it to it", () => {
    const u = unfolded({
      'work-packages.yaml': plan('f', [['api', ['src/api/**'], parentLines('a.yaml', ['    max_parallel: 2'])], ['web', ['web/**']]]),
      'a.yaml': plan('a', [['one', ['src/api/one/**']], ['two', ['src/api/two/**'], parentLines('t.yaml', ['    max_parallel: 1'])], ['three', ['src/api/three/**']]]),
      't.yaml': plan('t', [['x', ['src/api/two/x/**']], ['y', ['src/api/two/y/**']]]),
    });
    assert.deepEqual(u.caps, { api: 2, api__two: 1 });
    assert.deepEqual(below(u.joins, 'api').sort(), ['api__one', 'api__three', 'api__two', 'api__two__x', 'api__two__y']);
    // And up: a package's parents, nearest first; none at the top.
    assert.deepEqual(above(u.joins, 'api__two__x'), ['api__two', 'api']);
    assert.deepEqual(above(u.joins, 'api'), []);
    assert.deepEqual(below(u.joins, 'web'), []);
    const start = (active: string[], starting: string[]) => withinParentCaps(u.joins, u.caps, new Set(active), starting);
    assert.deepEqual(start([], ['api__one', 'api__three', 'web', 'api__two__x']), ['api__one', 'api__three', 'web'], 'api takes two, web is under no parent');
    assert.deepEqual(start(['api__one'], ['api__two__x', 'api__two__y']), ['api__two__x'], 'one of api__two\'s, and api is then full');
    assert.deepEqual(start(['api__one', 'api__two__x'], ['api__three', 'web']), ['web']);
    assert.deepEqual(withinParentCaps(u.joins, {}, new Set(['api__one', 'api__three']), ['api__two__x']), ['api__two__x'], 'no caps: the run\'s own alone');
  });
});

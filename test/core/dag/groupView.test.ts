import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { nestedPlanView } from '../../../src/core/dag/groupView';
import { fromFirstStart, nestTree } from '../../../src/core/plan/nestTree';
import { createRunState } from '../../../src/core/run/runStateInit';
import { applyEvent } from '../../../src/core/run/runStateReducer';
import type { RunEvent, RunState } from '../../../src/core/run/runState';
import { nested, parentLines, plan } from '../plan/nestedFixture';
import { analyzeNested } from '../../../src/core/plan/analyze';

const files = {
  'work-packages.yaml': plan('f', [
    ['contracts', ['docs/**']],
    ['api', ['src/api/**'], ['depends_on: [contracts]', 'title: The API', ...parentLines('plans/api.yaml')]],
    ['ui', ['src/ui/**'], ['depends_on: [api]']],
  ]),
  'plans/api.yaml': plan('f-api', [
    ['users', ['src/api/users/**'], ['title: Users', ...parentLines('users.yaml')]],
    ['orders', ['src/api/orders/**'], ['depends_on: [users]']],
    ['health', ['src/api/health.ts']],
  ]),
  'plans/users.yaml': plan('f-users', [['model', ['src/api/users/model.ts']], ['routes', ['src/api/users/routes/**'], ['depends_on: [model]']]]),
};

const RUN_IDS = ['contracts', 'api', 'api__users', 'api__users__model', 'api__users__routes', 'api__orders', 'api__health', 'ui'];

function run(events: RunEvent[]): RunState {
  let s = createRunState({ featureId: 'f', planFile: 'work-packages.yaml', planHash: 'a'.repeat(64), runId: 'r1', packageIds: RUN_IDS, now: new Date(0) });
  for (const e of events) {
    const r = applyEvent(s, e, new Date(1000));
    if (!r.ok) throw new Error(`${e.type} ${e.packageId}: ${r.error.message}`);
    s = r.state;
  }
  return s;
}
const start = (id: string): RunEvent[] => [
  { type: 'ready', packageId: id },
  { type: 'queued', packageId: id },
  { type: 'started', packageId: id, attempt: 1, startToken: `t-${id}`, worktree: `/wt/${id}`, logFile: `/l/${id}`, baseSha: 'b'.repeat(40) },
];
const succeed = (id: string): RunEvent[] => [...start(id), { type: 'exited', packageId: id, exitCode: 0 }, { type: 'succeeded', packageId: id }];

describe('the DAG panel of a plan of plans', () => {
  const plans = nested(files);
  const tree = nestTree(plans);

  it("draws a parent its agent plans at run time as a group over its planner until its sub-plan is kept, then over both", () => {
    const top = plan('f', [['contracts', ['docs/**']], ['api', ['src/api/**'], ['depends_on: [contracts]', 'inputs:', '  waves: {plan: {by: agent}}']]]);
    const read = (kept: string | null) =>
      analyzeNested({ key: 'work-packages.yaml', file: 'work-packages.yaml', text: top }, () => ({ code: 'sub-plan-missing', error: 'none' }), {
        planned: (id) => (id === 'api' && kept ? { key: 'k', file: '.waves/planned/f/api.yaml', text: kept } : null),
      });
    const ids = ['contracts', 'api', 'api___plan'];
    let s = createRunState({ featureId: 'f', planFile: 'work-packages.yaml', planHash: 'a'.repeat(64), runId: 'r1', packageIds: ids, now: new Date(0) });
    for (const e of [...succeed('contracts'), ...start('api___plan')]) {
      const r = applyEvent(s, e, new Date(1000));
      assert.ok(r.ok);
      s = r.state;
    }
    const before = read(null);
    const planning = nestedPlanView(before, nestTree(before), [], s.packages)!.nodes.find((n) => n.id === 'api')!;
    assert.deepEqual(planning.group, { file: null, leaves: ['api___plan'] }, 'nothing to open yet');
    const after = read(plan('p', [['users', ['src/api/users/**']]]));
    const planned = nestedPlanView(after, nestTree(after), [], s.packages)!;
    assert.deepEqual(planned.nodes.find((n) => n.id === 'api')!.group, { file: '.waves/planned/f/api.yaml', leaves: ['api___plan', 'api__users'] });
    assert.deepEqual(nestedPlanView(after, nestTree(after), ['api'], s.packages)!.nodes.map((n) => n.id), ['api__users'], 'its sub-plan opens');
  });

  it('draws the top plan with each parent a group over the leaves below it, their statuses riding along', () => {
    const state = run([...succeed('contracts'), ...succeed('api__users__model'), ...start('api__health')]);
    const view = nestedPlanView(plans, tree, [], state.packages)!;
    assert.deepEqual(view.nodes.map((n) => n.id), ['contracts', 'api', 'ui']);
    const api = view.nodes.find((n) => n.id === 'api')!;
    assert.deepEqual(api.group, { file: 'plans/api.yaml', leaves: ['api__users__model', 'api__users__routes', 'api__orders', 'api__health'] });
    assert.equal(api.localId, undefined, 'the top plan names its packages as the run does');
    assert.equal(view.nodes.find((n) => n.id === 'ui')!.group, undefined);
    assert.deepEqual(Object.fromEntries((view.below ?? []).map((s) => [s.id, s.status])), { api__users__model: 'succeeded', api__users__routes: 'pending', api__orders: 'pending', api__health: 'running' });
    assert.equal(view.group, undefined);
    assert.equal(view.nodes.find((n) => n.id === 'contracts')!.status, 'succeeded');
    assert.equal(api.startedAt, state.packages.api__users__model!.startedAt, "a parent's time runs from the first start below it");
    assert.equal(view.nodes.find((n) => n.id === 'ui')!.startedAt, null);
  });

  it("opens a sub-plan: its own waves, its packages named as the run names them, each with the run's status", () => {
    const state = run([...succeed('contracts'), ...succeed('api__users__model'), ...start('api__users__routes')]);
    const view = nestedPlanView(plans, tree, ['api'], state.packages)!;
    assert.equal(view.planFile, 'plans/api.yaml');
    assert.equal(view.featureId, 'f', "the panel is the top plan's");
    assert.deepEqual(view.group, { path: [{ id: 'api', title: 'The API' }] });
    assert.deepEqual(view.nodes.map((n) => [n.id, n.localId]), [['api__users', 'users'], ['api__orders', 'orders'], ['api__health', 'health']]);
    assert.deepEqual(view.waves, [['api__users', 'api__health'], ['api__orders']]);
    assert.deepEqual(view.edges.filter((e) => e.kind === 'dependency').map((e) => [e.source, e.target]), [['api__users', 'api__orders']]);
    assert.deepEqual(view.nodes.find((n) => n.id === 'api__users')!.group, { file: 'plans/users.yaml', leaves: ['api__users__model', 'api__users__routes'] });
    assert.deepEqual((view.below ?? []).map((s) => [s.id, s.status]), [['api__users__model', 'succeeded'], ['api__users__routes', 'running']]);
    const deeper = nestedPlanView(plans, tree, ['api', 'users'], state.packages)!;
    assert.deepEqual(deeper.nodes.map((n) => [n.id, n.status]), [['api__users__model', 'succeeded'], ['api__users__routes', 'running']]);
    assert.deepEqual(deeper.group?.path.map((p) => p.id), ['api', 'users']);
    assert.equal(deeper.below, undefined, 'no group inside');
    // Edge ids stay unique across the views of one panel.
    assert.ok(deeper.edges.every((e) => e.id.endsWith('@api__users')));
  });

  it("times a parent from the first start below it, whichever is first, and leaves a record with nothing started below it as it is", () => {
    const rec = (startedAt: string | null) => ({ startedAt, status: 'succeeded' });
    const records = { a: rec('2026-01-01T10:00:05.000Z'), b: rec('2026-01-01T10:00:02.000Z'), c: rec(null) };
    const join = rec('2026-01-01T10:00:09.000Z');
    assert.deepEqual(fromFirstStart(join, records, ['a', 'b', 'c']), { startedAt: '2026-01-01T10:00:02.000Z', status: 'succeeded' });
    assert.equal(fromFirstStart(join, records, ['c']), join);
    assert.equal(fromFirstStart(rec(null), records, ['a']).startedAt, '2026-01-01T10:00:05.000Z');
  });

  it('opens nothing along a way that leads to no sub-plan', () => {
    for (const path of [['ui'], ['users'], ['api', 'orders'], ['nope'], ['api', 'users', 'model']]) assert.equal(nestedPlanView(plans, tree, path, {}), undefined, path.join('/'));
  });
});

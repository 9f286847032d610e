/**
 * Plans of plans planned at run time (ADR 0035, "Planned at run time"): a `{by: agent}` parent's
 * planner — the scripted agent, in its walls — writes its sub-plan when the parent's dependencies
 * have landed; the engine holds it to every rule of a sub-plan file and to the approved commands,
 * keeps it, and the run grows by it. Real git, the real runner and walls.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { integrationBranch, plannedRefusalFile, plannedSubPlanFile, runStateFile } from '../../../src/core/run/runPaths';
import type { RunState } from '../../../src/core/run/runState';
import type { EngineEvent } from '../../../src/engine/run/engine';
import { loadPlan } from '../../../src/engine/plan';
import { isApproved, verificationCommands } from '../../../src/engine/consent';
import type { SubPlanAsked } from '../../../src/engine/run/types';
import { engineFor, isolateGit, killWaitingThenResume, planYaml, treeFiles, type TestPackage } from '../engineFixtures';
import { buildRunner, makeRepo } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

const readState = (repo: string, featureId: string) => JSON.parse(fs.readFileSync(runStateFile(repo, featureId), 'utf8')) as RunState;

/** A sub-plan as the scripted planner's instruction carries it: one word (base64). */
const oneLine = (yaml: string) => Buffer.from(yaml).toString('base64');

/** The sub-plan `api`'s planner writes: `users`, then `orders`, each writing a file under `dir`. */
const subPlan = (dir: string) =>
  oneLine(
    planYaml('api-planned', [
      { id: 'users', write: [`${dir}/users/**`], agent: [`write ${dir}/users/u.txt users`, 'commit'] },
      { id: 'orders', deps: ['users'], write: [`${dir}/orders/**`], agent: [`write ${dir}/orders/o.txt orders`, 'commit'] },
    ]),
  );

function plannedPlan(feature: string, planner: string[], apiCommand: string | null = 'test -f src/api/users/u.txt && test -f src/api/orders/o.txt', retryBudget = 0): string {
  const packages: TestPackage[] = [
    { id: 'contracts', agent: ['write contracts/api.md v2', 'commit'] },
    { id: 'api', deps: ['contracts'], write: ['src/api/**'], subPlan: {}, agent: planner, ...(apiCommand ? { commands: [apiCommand] } : {}), retryBudget },
    { id: 'ui', deps: ['api'], write: ['src/ui/**'], agent: ['write src/ui/page.txt page', 'commit'] },
  ];
  return planYaml(feature, packages);
}

async function run(planFile: string, extra: Parameters<typeof engineFor>[2] = {}) {
  const { engine, events } = await engineFor(planFile, runnerScript, { verification: 'approved', maxParallel: 4, ...extra });
  try {
    return { outcome: await engine.run(), events };
  } finally {
    engine.dispose();
  }
}

describe('a sub-plan planned by its agent at run time', () => {
  test('the planner plans once its parent\'s dependencies landed; the run grows by its sub-plan, which runs, joins and merges, then the dependents', async () => {
    const repo = makeRepo({ 'README.md': '# test\n', 'work-packages.yaml': plannedPlan('planned', [`write-sub-plan ${subPlan('src/api')}`]) });
    const planFile = path.join(repo, 'work-packages.yaml');
    const { outcome, events } = await run(planFile);
    const state = readState(repo, 'planned');
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(Object.fromEntries(Object.entries(state.packages).map(([id, r]) => [id, `${r.status} ${r.lastError ?? ''}`]))));
    const ids = ['contracts', 'api', 'api___plan', 'api__users', 'api__orders', 'ui'];
    assert.deepEqual(Object.keys(state.packages).sort(), [...ids].sort());
    for (const id of ids) assert.equal(state.packages[id]!.status, 'succeeded', `${id}: ${state.packages[id]!.lastError}`);
    assert.deepEqual(
      treeFiles(repo, integrationBranch('planned')).filter((f) => !f.endsWith('.yaml')),
      ['README.md', 'contracts/api.md', 'src/api/orders/o.txt', 'src/api/users/u.txt', 'src/ui/page.txt'],
    );
    // Kept where every later run and view reads it; nothing of it in the repository's history.
    const kept = plannedSubPlanFile(repo, 'planned', 'api');
    assert.match(fs.readFileSync(kept, 'utf8'), /package_id: "orders"/);
    assert.ok(!treeFiles(repo, integrationBranch('planned')).some((f) => f.startsWith('.waves')));
    // The run said it grew, with the new packages.
    const grew = events.find((e): e is Extract<EngineEvent, { type: 'plan-changed' }> => e.type === 'plan-changed');
    assert.deepEqual(grew?.added.sort(), ['api__orders', 'api__users']);
    // The parent's own check ran on what its sub-plan did; the planner changed nothing of the tree.
    assert.ok(events.some((e) => e.type === 'verification' && e.packageId === 'api' && e.ok));
    assert.deepEqual(state.packages.api___plan!.changedFiles, []);
    // Order: the planner after contracts, the children after the planner, ui after api.
    const seq = events.filter((e): e is Extract<EngineEvent, { type: 'package' }> => e.type === 'package' && e.status === 'running').map((e) => e.packageId);
    const at = (id: string) => seq.indexOf(id);
    assert.ok(at('contracts') < at('api___plan') && at('api___plan') < at('api__users') && at('api__users') < at('api__orders') && at('api__orders') < at('ui'), seq.join(' '));
    // The counted end: the leaves and the planner, not the join.
    assert.deepEqual(outcome.counts, { succeeded: 5 });

    // The plan read as any run or view reads it now: with the kept sub-plan, the planner first.
    const loaded = await loadPlan(planFile);
    assert.ok(loaded.nested && 'joins' in loaded.nested, JSON.stringify(loaded.nested));
    assert.deepEqual(loaded.nested.joins, { api: ['api___plan', 'api__users', 'api__orders'] });
  });

  test('a sub-plan that writes outside its parent is refused with a witness, nothing of it runs; the planner\'s next attempt is told why and repairs it', async () => {
    const planner = [`unless-refused write-sub-plan ${subPlan('src/web')}`, `if-refused write-sub-plan ${subPlan('src/api')}`];
    // No retry: refused, nothing planned runs, the dependents never start.
    const repo = makeRepo({ 'README.md': '# test\n', 'work-packages.yaml': plannedPlan('planned-out', planner) });
    const { outcome } = await run(path.join(repo, 'work-packages.yaml'));
    assert.equal(outcome.outcome, 'failed');
    const state = readState(repo, 'planned-out');
    assert.equal(state.packages.api___plan!.status, 'failed');
    assert.match(state.packages.api___plan!.lastError ?? '', /`src\/web\/users\/\*\*` is not inside `src\/api\/\*\*`/);
    assert.deepEqual(Object.keys(state.packages).filter((id) => id.startsWith('api__') && id !== 'api___plan'), [], 'nothing planned joined the run');
    assert.equal(state.packages.ui!.attempts, 0);
    assert.ok(!fs.existsSync(plannedSubPlanFile(repo, 'planned-out', 'api')), 'a refused sub-plan is not kept');
    assert.match(fs.readFileSync(plannedRefusalFile(repo, 'planned-out', 'api'), 'utf8'), /sub-plan-scope/);

    // One retry: the planner's second attempt reads why, writes a sub-plan inside its parent, and the run goes on.
    const fixed = makeRepo({ 'README.md': '# test\n', 'work-packages.yaml': plannedPlan('planned-fix', planner, undefined, 1) });
    const second = await run(path.join(fixed, 'work-packages.yaml'));
    const after = readState(fixed, 'planned-fix');
    assert.equal(second.outcome.outcome, 'succeeded', JSON.stringify(after.packages.api___plan));
    assert.equal(after.packages.api___plan!.attempts, 2);
    assert.equal(after.packages.api__orders!.status, 'succeeded');
    assert.ok(!fs.existsSync(plannedRefusalFile(fixed, 'planned-fix', 'api')), 'the refusal is gone once a sub-plan is taken');
  });

  test('three levels planned at run time: a planned package plans in turn, named under both parents, each planner after what its parent waits for', async () => {
    const inner = planYaml('users-planned', [
      { id: 'model', write: ['src/api/users/model/**'], agent: ['write src/api/users/model/m.txt model', 'commit'] },
      { id: 'routes', deps: ['model'], write: ['src/api/users/routes/**'], agent: ['write src/api/users/routes/r.txt routes', 'commit'] },
    ]);
    const middle = planYaml('api-planned', [
      { id: 'users', write: ['src/api/users/**'], subPlan: {}, agent: [`write-sub-plan ${oneLine(inner)}`] },
      { id: 'orders', deps: ['users'], write: ['src/api/orders/**'], agent: ['write src/api/orders/o.txt orders', 'commit'] },
    ]);
    const repo = makeRepo({ 'README.md': '# test\n', 'work-packages.yaml': plannedPlan('planned-deep', [`write-sub-plan ${oneLine(middle)}`], 'test -f src/api/users/routes/r.txt && test -f src/api/orders/o.txt') });
    const { outcome, events } = await run(path.join(repo, 'work-packages.yaml'));
    const state = readState(repo, 'planned-deep');
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(Object.fromEntries(Object.entries(state.packages).map(([id, r]) => [id, `${r.status} ${r.lastError ?? ''}`]))));
    assert.deepEqual(Object.keys(state.packages).sort(), ['api', 'api___plan', 'api__orders', 'api__users', 'api__users___plan', 'api__users__model', 'api__users__routes', 'contracts', 'ui']);
    assert.ok(fs.existsSync(plannedSubPlanFile(repo, 'planned-deep', 'api__users')), 'kept by its id in the run');
    assert.deepEqual(treeFiles(repo, integrationBranch('planned-deep')).filter((f) => f.startsWith('src/')), ['src/api/orders/o.txt', 'src/api/users/model/m.txt', 'src/api/users/routes/r.txt', 'src/ui/page.txt']);
    const seq = events.filter((e): e is Extract<EngineEvent, { type: 'package' }> => e.type === 'package' && e.status === 'running').map((e) => e.packageId);
    const at = (id: string) => seq.indexOf(id);
    assert.ok(at('api___plan') < at('api__users___plan') && at('api__users___plan') < at('api__users__model') && at('api__users__routes') < at('api__orders'), seq.join(' '));
  });

  test('a sub-plan past 4 MB is not read: refused, nothing of it kept', async () => {
    const repo = makeRepo({ 'README.md': '# test\n', 'work-packages.yaml': plannedPlan('planned-big', ['write-sub-plan-bytes 5000000'], null) });
    const { outcome } = await run(path.join(repo, 'work-packages.yaml'));
    assert.equal(outcome.outcome, 'failed');
    const state = readState(repo, 'planned-big');
    assert.match(state.packages.api___plan!.lastError ?? '', /larger than 4 MB: it was not read/);
    assert.ok(!fs.existsSync(plannedSubPlanFile(repo, 'planned-big', 'api')));
  });

  test('a planner that changes its tree is a scope violation: nothing of it merges, its sub-plan is not taken', async () => {
    const repo = makeRepo({ 'README.md': '# test\n', 'work-packages.yaml': plannedPlan('planned-tree', ['write src/api/sneaky.txt x', 'commit', `write-sub-plan ${subPlan('src/api')}`], null) });
    const { outcome } = await run(path.join(repo, 'work-packages.yaml'));
    assert.equal(outcome.outcome, 'failed');
    const state = readState(repo, 'planned-tree');
    assert.equal(state.packages.api___plan!.status, 'scope-violation');
    assert.match(state.packages.api___plan!.lastError ?? '', /a planner writes only its sub-plan/);
    assert.ok(!treeFiles(repo, integrationBranch('planned-tree')).includes('src/api/sneaky.txt'));
    assert.ok(!fs.existsSync(plannedSubPlanFile(repo, 'planned-tree', 'api')));
    assert.equal(state.packages.api__users, undefined);
  });

  test("a planner that reaches past its sub-plan file (the kept sub-plan's place in the repository, a git hook, the checkout) is refused there by its walls; only the sub-plan it wrote where told is taken", async () => {
    // Its tree is <tmp>/repo.worktrees/<feature>/api___plan: the repository is ../../repo from it.
    const repoRel = '../../repo';
    const planner = [
      `try-write ${repoRel}/.waves/planned/planned-reach/api.yaml planted`,
      `try-write ${repoRel}/.git/hooks/post-merge planted`,
      `try-write ${repoRel}/src/api/planted.txt planted`,
      `write-sub-plan ${subPlan('src/api')}`,
    ];
    const repo = makeRepo({ 'README.md': '# test\n', 'work-packages.yaml': plannedPlan('planned-reach', planner, null) });
    const { outcome } = await run(path.join(repo, 'work-packages.yaml'));
    const state = readState(repo, 'planned-reach');
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(state.packages.api___plan));
    const log = fs.readFileSync(state.packages.api___plan!.logFile!, 'utf8');
    for (const target of ['.waves/planned/planned-reach/api.yaml', '.git/hooks/post-merge', 'src/api/planted.txt']) {
      assert.match(log, new RegExp(`tried write ${repoRel}/${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: refused`), target);
    }
    assert.ok(!fs.existsSync(path.join(repo, '.git', 'hooks', 'post-merge')), 'no hook planted');
    assert.ok(!fs.existsSync(path.join(repo, 'src', 'api', 'planted.txt')), 'nothing planted in the checkout');
    // The kept sub-plan is the one the engine took from where the planner was told to write.
    const kept = fs.readFileSync(plannedSubPlanFile(repo, 'planned-reach', 'api'), 'utf8');
    assert.doesNotMatch(kept, /planted/);
    assert.match(kept, /package_id: "orders"/);
    assert.equal(state.packages.api__orders!.status, 'succeeded');
  });

  test('an engine killed while the planner plans resumes the same run: the planner adopted, its sub-plan taken, the run grown and done', async () => {
    const repo = makeRepo({ 'README.md': '# test\n', 'work-packages.yaml': plannedPlan('planned-kill', ['ask waiting for approval', `write-sub-plan ${subPlan('src/api')}`], null) });
    const planFile = path.join(repo, 'work-packages.yaml');
    const { outcome, events, killedRunId } = await killWaitingThenResume(planFile, runnerScript, 'api___plan');
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.state.packages.api___plan));
    assert.equal(outcome.runId, killedRunId, 'the same run went on');
    assert.deepEqual(['api___plan', 'api__users', 'api__orders', 'api', 'ui'].map((id) => outcome.state.packages[id]!.attempts), [1, 1, 1, 1, 1]);
    assert.ok(events.some((e) => e.type === 'plan-changed' && e.added.includes('api__orders')));
  });

  test('a sub-plan with a command not approved for the run is kept and waits for the person: resumed and approved, it runs', async () => {
    const withCommand = oneLine(
      planYaml('api-planned', [{ id: 'users', write: ['src/api/users/**'], agent: ['write src/api/users/u.txt users', 'commit'], commands: ['test -s src/api/users/u.txt'] }]),
    );
    const repo = makeRepo({ 'README.md': '# test\n', 'work-packages.yaml': plannedPlan('planned-ask', [`write-sub-plan ${withCommand}`], 'test -f src/api/users/u.txt', 2) });
    const planFile = path.join(repo, 'work-packages.yaml');
    const first = await run(planFile);
    assert.equal(first.outcome.outcome, 'failed');
    const state = readState(repo, 'planned-ask');
    assert.match(state.packages.api___plan!.lastError ?? '', /waits for your approval.*test -s src\/api\/users\/u\.txt/);
    assert.ok(fs.existsSync(plannedSubPlanFile(repo, 'planned-ask', 'api')), 'kept for the person to read');
    assert.equal(state.packages.api___plan!.attempts, 1, 'waiting for the person is no failure to retry');
    assert.equal(state.packages.api!.status, 'blocked');
    assert.equal(state.packages.api__users, undefined, 'nothing of it ran');

    // Without approval the resumed run is refused before anything starts; approved, it runs the kept sub-plan.
    await assert.rejects(run(planFile, { verification: 'refuse-unapproved' }).then((r) => r.outcome), /not approved|approve/i);
    const resumed = await (async () => {
      const { engine } = await engineFor(planFile, runnerScript, { verification: 'approved', maxParallel: 4 });
      try {
        return await engine.run({ resume: true });
      } finally {
        engine.dispose();
      }
    })();
    const after = readState(repo, 'planned-ask');
    assert.equal(resumed.outcome, 'succeeded', JSON.stringify(after.packages));
    assert.equal(after.runId, state.runId, 'the same run');
    assert.equal(after.packages.api__users!.status, 'succeeded');
    assert.equal(after.packages.api___plan!.status, 'succeeded');
  });

  test('a sub-plan with a command not approved, asked of the person while the run goes on: approved, it runs in the same run, and the approval is the person\'s; declined, it waits as before', async () => {
    const withCommand = oneLine(
      planYaml('api-planned', [{ id: 'users', write: ['src/api/users/**'], agent: ['write src/api/users/u.txt users', 'commit'], commands: ['test -s src/api/users/u.txt'] }]),
    );
    const plan = (feature: string) => plannedPlan(feature, [`write-sub-plan ${withCommand}`], 'test -f src/api/users/u.txt', 2);
    const repo = makeRepo({ 'README.md': '# test\n', 'work-packages.yaml': plan('planned-live') });
    const planFile = path.join(repo, 'work-packages.yaml');
    const asked: SubPlanAsked[] = [];
    const { outcome } = await run(planFile, { approveSubPlan: async (r) => (asked.push(r), true) });
    const state = readState(repo, 'planned-live');
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(state.packages));
    assert.deepEqual(asked, [{ packageId: 'api', title: 'Package api', file: '.waves/planned/planned-live/api.yaml', path: plannedSubPlanFile(repo, 'planned-live', 'api'), commands: ['test -s src/api/users/u.txt'] }]);
    assert.equal(state.packages.api___plan!.status, 'succeeded');
    assert.equal(state.packages.api___plan!.attempts, 1);
    assert.equal(state.packages.api__users!.status, 'succeeded');
    assert.deepEqual(state.packages.api__users!.verification.map((v) => v.ok), [true], 'its approved command ran');
    assert.equal(state.packages.api__users!.attempts, 1, JSON.stringify(state.packages.api__users!.phases));
    // Kept in the person's approvals, for the plan read with its sub-plan: a later start asks nothing.
    const again = await loadPlan(planFile, {});
    assert.ok(isApproved(planFile, verificationCommands(again.analysis)), 'the whole list, as the run now has it, is approved');

    // Declined (or Later): kept, waiting for the next start, as without anyone to ask.
    const other = makeRepo({ 'README.md': '# test\n', 'work-packages.yaml': plan('planned-later') });
    const declined = await run(path.join(other, 'work-packages.yaml'), { approveSubPlan: async () => false });
    assert.equal(declined.outcome.outcome, 'failed');
    assert.match(readState(other, 'planned-later').packages.api___plan!.lastError ?? '', /waits for your approval/);
    assert.equal(readState(other, 'planned-later').packages.api__users, undefined, 'nothing of it ran');
  });

  test("a planned package asks for more scope: inside its parent's scope and no sibling's, granted (its parent's planner owns no file); outside its parent's, refused with a path", async () => {
    const sub = oneLine(
      planYaml('api-planned', [
        {
          id: 'users',
          write: ['src/api/users/**'],
          agent: [
            'mcp request_scope {"paths": ["src/api/shared.ts"], "reason": "a helper both need"}',
            'mcp request_scope {"paths": ["src/lib/x.ts"], "reason": "out of reach"}',
            'write src/api/shared.ts export {}',
            'write src/api/users/u.txt users',
            'commit',
          ],
        },
      ]),
    );
    const repo = makeRepo({ 'README.md': '# test\n', 'work-packages.yaml': plannedPlan('planned-scope', [`write-sub-plan ${sub}`], null) });
    const { outcome } = await run(path.join(repo, 'work-packages.yaml'), { grantScope: async () => true });
    const state = readState(repo, 'planned-scope');
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(Object.fromEntries(Object.entries(state.packages).map(([id, r]) => [id, `${r.status} ${r.lastError ?? ''}`]))));
    const said = fs.readFileSync(state.packages.api__users!.logFile!, 'utf8');
    assert.match(said, /^mcp request_scope: granted: you may now write src\/api\/shared\.ts/m);
    assert.match(said, /^mcp request_scope error: refused: src\/lib\/x\.ts is not inside api's write scope \(src\/api\/\*\*\): src\/lib\/x\.ts\./m);
    assert.deepEqual(state.packages.api__users!.granted?.map((g) => g.paths), [['src/api/shared.ts']]);
    assert.ok(treeFiles(repo, integrationBranch('planned-scope')).includes('src/api/shared.ts'));
  });
});

/**
 * A `{by: agent}` parent's planner (ADR 0035, "Planned at run time"): its prompt says the bounds
 * the engine then holds its sub-plan to, and its attempt's outcome is its sub-plan, not a change
 * of its tree.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { decideOutcome } from '../../../src/core/agents/agentOutcome';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { buildPlannerPrompt } from '../../../src/core/run/plannerPrompt';
import { readPlan } from '../../../src/core/plan/reader/reader';

const parentText = `schema_version: 1
feature: {id: shop}
packages:
  - package_id: api
    title: The API
    description: |
      Build the users and orders endpoints.
    scope:
      write_allow: ["src/api/**"]
      deny: ["src/api/secrets/**"]
    locks:
      files: ["src/api/index.ts"]
      keys: ["db:schema"]
    timeout_minutes: 20
`;

const parent = analyzePlan(parentText).plan.packages[0]!;
const input = {
  packageId: 'api___plan',
  parent,
  planner: { parent: 'api', levelsLeft: 1, maxPackages: 40 },
  featureId: 'shop',
  runId: 'r1',
  worktree: '/w/api___plan',
  subPlanFile: '/r/.waves/runs/shop/r1/api___plan/1/sub-plan.yaml',
  resultFile: '/r/.waves/runs/shop/r1/api___plan/1/result.json',
  approvedCommands: ['npm test'],
  refused: null,
};

describe("a planner's prompt", () => {
  it('gives the task and every bound its sub-plan is held to, and where to write it', () => {
    const text = buildPlannerPrompt(input);
    assert.match(text, /^# Plan the work of package `api`: The API$/m);
    assert.match(text, /^## Task\n\n\*\*The API\*\*\n\nBuild the users and orders endpoints\.$/m);
    assert.match(text, /^- Every package writes only inside `src\/api\/\*\*`/m);
    assert.match(text, /^- Nothing of `src\/api\/secrets\/\*\*`/m);
    assert.match(text, /^- Locks: lock files only inside `src\/api\/index\.ts`; lock keys only among `db:schema` \(`api`'s own\)\.$/m);
    assert.match(text, /^- At most 40 packages\.$/m);
    assert.match(text, /at most 1 more level below yours/);
    assert.match(text, /approved for this run already: `npm test`/);
    assert.match(text, /^Time limit: 20 minutes/m);
    assert.match(text, /^Sub-plan file: `\/r\/\.waves\/runs\/shop\/r1\/api___plan\/1\/sub-plan\.yaml`$/m);
    assert.match(text, /"package_id": "api___plan"/);
    assert.doesNotMatch(text, /last sub-plan was refused/);
  });

  it('at the last level offers no planning; after a refusal quotes the findings', () => {
    const text = buildPlannerPrompt({ ...input, planner: { ...input.planner, levelsLeft: 0 }, approvedCommands: [], refused: '.waves/planned/shop/api.yaml:7:22 error sub-plan-scope `web/**` is not inside `src/api/**`: `web`' });
    assert.match(text, /^- No package plans further: none has `inputs\.waves\.plan`\.$/m);
    assert.match(text, /a plan with any waits for the person's approval/);
    assert.match(text, /^## Your last sub-plan was refused\n\n[^\n]*\n\n```text\n\.waves\/planned\/shop\/api\.yaml:7:22 error sub-plan-scope/m);
  });

  it("shows the plan format with the format's own field names: the example reads without a dialect or a problem of its own", () => {
    const text = buildPlannerPrompt(input);
    const yaml = /```yaml\n([\s\S]*?)\n```/.exec(text)![1]!;
    const read = readPlan(yaml);
    assert.deepEqual(read.diagnostics, []);
    const a = analyzePlan(yaml);
    assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.deepEqual(a.plan.packages.flatMap((p) => p.scope.writeAllow.map((g) => g.value)), ['src/api/model/**', 'src/api/routes/**'], 'inside the parent');
  });
});

describe("a planner's outcome", () => {
  const clean = { exitCode: 0, signal: null, timedOut: false, cancelled: false, verdict: null, changedFiles: [], resultRecord: null };
  it('is its sub-plan: written, it goes on to be judged with no change of its tree; not written, it failed', () => {
    assert.deepEqual(decideOutcome({ ...clean, planner: { wrote: true } }), { next: 'verify', reason: null });
    assert.deepEqual(decideOutcome({ ...clean, planner: { wrote: false } }), { next: 'failed', reason: 'the planner exited 0 but wrote no sub-plan', usageLimit: false });
    assert.equal(decideOutcome({ ...clean, exitCode: 2, planner: { wrote: true } }).next, 'failed', 'an exit code fails it all the same');
    assert.match(decideOutcome({ ...clean, resultRecord: { status: 'blocked', notes: 'no design' }, planner: { wrote: true } }).reason ?? '', /blocked: no design/);
  });
});

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { analyzeNested, analyzePlan, type PlanAnalysis } from '../../../src/core/plan/analyze';
import { covers } from '../../../src/core/plan/glob';
import { MAX_SUB_PLAN_DEPTH, type NestedPlan, type SubPlanRead } from '../../../src/core/plan/nestedPlan';
import { isParent, subPlanOf } from '../../../src/core/plan/subPlans';
import { buildPrompt } from '../../../src/core/run/prompt';

/** A plan's text: each package `[id, writes, extra YAML lines of the package]`. */
function plan(feature: string, packages: [string, string[], string[]?][]): string {
  const out = ['schema_version: 1', `feature: {id: ${feature}}`, 'packages:'];
  for (const [id, writes, extra] of packages) {
    out.push(`  - package_id: ${id}`, '    task_type: implement', '    scope:', `      write_allow: [${writes.map((w) => JSON.stringify(w)).join(', ')}]`);
    for (const line of extra ?? []) out.push(`    ${line}`);
  }
  return out.join('\n') + '\n';
}

const parentLines = (file: string) => ['inputs:', '  waves:', `    plan: ${file}`];

/** Files by their path (their key, too); `read` resolves a path against the reading file's folder. */
function files(map: Record<string, string>): (from: string, rel: string) => SubPlanRead {
  return (from, rel) => {
    const dir = from.includes('/') ? from.slice(0, from.lastIndexOf('/') + 1) : '';
    const key = dir + rel;
    const text = map[key];
    return text === undefined ? { code: 'sub-plan-missing', error: `cannot read ${key}: no such file` } : { key, file: key, text };
  };
}

function nested(map: Record<string, string>, top = 'work-packages.yaml', options = {}): NestedPlan<PlanAnalysis>[] {
  return analyzeNested({ key: top, file: top, text: map[top]! }, files(map), options);
}

/** The text a diagnostic points at in its file. */
const at = (p: NestedPlan<PlanAnalysis>, code: string): string[] => p.nesting.filter((d) => d.code === code).map((d) => p.analysis.text.slice(d.range.start, d.range.end));

describe('a package whose work is a plan: its value', () => {
  const diagnose = (extra: string[]) => {
    const text = plan('f', [['api', ['src/api/**'], extra]]);
    const a = analyzePlan(text);
    return a.diagnostics.filter((d) => d.code === 'sub-plan-value').map((d) => ({ message: d.message, text: text.slice(d.range.start, d.range.end) }));
  };

  it('reads a file and {by: agent}, each a parent; a package without one is none', () => {
    const a = analyzePlan(plan('f', [['api', ['src/api/**'], [...parentLines('plans/api.yaml'), '    max_parallel: 2']], ['ui', ['src/ui/**'], ['inputs:', '  waves: {plan: {by: agent}}']], ['db', ['db/**']]]));
    assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
    const [api, ui, db] = a.plan.packages;
    assert.deepEqual(subPlanOf(api!), { source: { kind: 'file', path: 'plans/api.yaml' }, maxParallel: 2 });
    assert.deepEqual(subPlanOf(ui!), { source: { kind: 'agent' }, maxParallel: null });
    assert.equal(subPlanOf(db!), null);
    assert.deepEqual([api, ui, db].map((p) => isParent(p!)), [true, true, false]);
  });

  it('says each malformed value at the value', () => {
    assert.match(diagnose(parentLines('/etc/plan.yaml'))[0]!.message, /relative to this plan's file/);
    assert.equal(diagnose(parentLines('/etc/plan.yaml'))[0]!.text, '/etc/plan.yaml');
    assert.match(diagnose(parentLines('plans/api.txt'))[0]!.message, /a plan file \(`\.yaml` or `\.yml`\)/);
    assert.match(diagnose(parentLines('plans\\api.yaml'))[0]!.message, /with `\/` between folders/);
    const mapping = diagnose(['inputs:', '  waves:', '    plan: {by: person}']);
    assert.match(mapping[0]!.message, /must be a sub-plan file .* or `\{by: agent\}`/);
    assert.equal(mapping[0]!.text, '{by: person}');
    const cap = diagnose([...parentLines('p.yaml'), '    max_parallel: 0']);
    assert.equal(cap[0]!.text, '0');
    assert.match(cap[0]!.message, /whole number of 1 or more/);
    assert.match(diagnose(['inputs:', '  waves:', '    max_parallel: 2'])[0]!.message, /has no `inputs.waves.plan`/);
    const set = diagnose([...parentLines('p.yaml'), '    candidates: 2']);
    assert.equal(set[0]!.text, '2');
    assert.match(set[0]!.message, /no candidates of its own/);
    assert.match(diagnose([...parentLines('p.yaml'), 'worktree: {mode: shared}'])[0]!.message, /remove `worktree.mode: shared`/);
    assert.deepEqual(diagnose(parentLines('p.yaml')), []);
  });

  it("is the engine's: left out of the agent's prompt", () => {
    const a = analyzePlan(plan('f', [['api', ['src/api/**'], ['inputs:', '  ticket: ABC-1', '  waves:', '    plan: plans/api.yaml']]]));
    const prompt = buildPrompt({ analysis: a, packageId: 'api', featureId: 'f', runId: 'r1', repoRoot: '/r', worktree: '/w/api', resultFile: '/r/result.json', upstream: [] });
    assert.match(prompt, /ABC-1/);
    assert.doesNotMatch(prompt, /plans\/api\.yaml/);
  });
});

describe('a plan read with its sub-plans', () => {
  it('reads two and three levels, each plan its own analysis, valid when contained', () => {
    const map = {
      'work-packages.yaml': plan('f', [['api', ['src/api/**'], parentLines('plans/api.yaml')], ['ui', ['src/ui/**'], ['depends_on: [api]']]]),
      'plans/api.yaml': plan('f-api', [['users', ['src/api/users/**'], parentLines('users.yaml')], ['orders', ['src/api/orders/**'], ['depends_on: [users]']]]),
      'plans/users.yaml': plan('f-users', [['model', ['src/api/users/model.ts']], ['routes', ['src/api/users/routes/**'], ['depends_on: [model]']]]),
    };
    const plans = nested(map);
    assert.deepEqual(plans.map((p) => [p.file, p.depth, p.parent?.packageId ?? null, p.valid]), [
      ['work-packages.yaml', 0, null, true],
      ['plans/api.yaml', 1, 'api', true],
      ['plans/users.yaml', 2, 'users', true],
    ]);
    assert.deepEqual(plans[2]!.parent, { plan: 1, packageId: 'users' });
    assert.deepEqual(plans[2]!.analysis.graph.waves, [['model'], ['routes']]);
  });

  it("refuses a child's write outside its parent's, with a path that shows it, in the child's file", () => {
    const map = {
      'work-packages.yaml': plan('f', [['api', ['src/api/users/**'], parentLines('sub.yaml')]]),
      'sub.yaml': plan('s', [['wide', ['src/api/**']], ['ok', ['src/api/users/a.ts']]]),
    };
    const [top, sub] = nested(map);
    assert.equal(top!.valid, true);
    assert.equal(sub!.valid, false);
    assert.deepEqual(at(sub!, 'sub-plan-scope'), ['"src/api/**"']);
    const d = sub!.nesting[0]!;
    assert.equal(d.packageId, 'wide');
    const m = /^`src\/api\/\*\*` is not inside `src\/api\/users\/\*\*` \(the write scope of `api` in work-packages\.yaml\): `([^`]+)`$/.exec(d.message);
    assert.ok(m, d.message);
    assert.equal(covers('src/api/**', m[1]!), true);
    assert.equal(covers('src/api/users/**', m[1]!), false);
  });

  it("refuses a child's write into its parent's deny list, and locks not the parent's", () => {
    const map = {
      'work-packages.yaml': plan('f', [['api', ['src/**'], [...parentLines('sub.yaml'), 'locks:', '  files: [src/api/index.ts]', '  keys: ["api:GET /users"]']]]),
      'sub.yaml': plan('s', [
        ['a', ['src/gen/**'], ['locks:', '  files: [src/api/index.ts, src/db.ts]', '  keys: ["api:GET /users", "db:users"]']],
      ]).replace('feature: {id: s}', 'feature: {id: s}'),
    };
    map['work-packages.yaml'] = map['work-packages.yaml'].replace('    write_allow: ["src/**"]', '    write_allow: ["src/**"]\n      deny: ["src/gen/secret/**"]');
    const [, sub] = nested(map);
    assert.deepEqual(at(sub!, 'sub-plan-scope'), ['"src/gen/**"']);
    assert.match(sub!.nesting.find((d) => d.code === 'sub-plan-scope')!.message, /meets `src\/gen\/secret\/\*\*`, which `api` in work-packages\.yaml denies: `src\/gen\/secret/);
    assert.deepEqual(at(sub!, 'sub-plan-lock'), ['src/db.ts', '"db:users"']);
  });

  it('refuses a cycle through parents, naming the chain, and reads nothing below it', () => {
    const map = {
      'work-packages.yaml': plan('f', [['a', ['src/**'], parentLines('b.yaml')]]),
      'b.yaml': plan('b', [['b1', ['src/b/**'], parentLines('work-packages.yaml')], ['b2', ['src/c/**'], parentLines('b.yaml')]]),
    };
    const plans = nested(map);
    assert.deepEqual(plans.map((p) => p.file), ['work-packages.yaml', 'b.yaml']);
    const b = plans[1]!;
    assert.deepEqual(at(b, 'sub-plan-cycle'), ['work-packages.yaml', 'b.yaml']);
    assert.match(b.nesting[0]!.message, /work-packages\.yaml → b\.yaml → work-packages\.yaml/);
    assert.match(b.nesting[1]!.message, /b\.yaml → b\.yaml/);
    assert.equal(b.valid, false);
  });

  it('refuses a sub-plan past the depth limit, one missing, and one past the package limit, at the parent', () => {
    const chain: Record<string, string> = {};
    const names = ['work-packages.yaml', ...Array.from({ length: MAX_SUB_PLAN_DEPTH + 1 }, (_, k) => `l${k + 1}.yaml`)];
    names.forEach((n, k) => (chain[n] = plan(`f${k}`, [[`p${k}`, ['src/**'], k + 1 < names.length ? parentLines(names[k + 1]!) : []]])));
    const plans = nested(chain);
    assert.equal(plans.length, MAX_SUB_PLAN_DEPTH + 1);
    const last = plans[MAX_SUB_PLAN_DEPTH]!;
    assert.deepEqual(at(last, 'sub-plan-depth'), [`l${MAX_SUB_PLAN_DEPTH + 1}.yaml`]);
    assert.match(last.nesting[0]!.message, /at most 3/);

    const [top] = nested({ 'work-packages.yaml': plan('f', [['a', ['src/**'], parentLines('gone.yaml')]]) });
    assert.deepEqual(at(top!, 'sub-plan-missing'), ['gone.yaml']);
    assert.match(top!.nesting[0]!.message, /no such file/);
    assert.equal(top!.valid, false);

    const big = { 'work-packages.yaml': plan('f', [['a', ['src/**'], parentLines('s.yaml')], ['b', ['lib/**']]]), 's.yaml': plan('s', [['x', ['src/x']], ['y', ['src/y']]]) };
    const sized = nested(big, 'work-packages.yaml', { maxPackages: 3 });
    assert.equal(sized.length, 1);
    assert.match(sized[0]!.nesting[0]!.message, /holds 2 packages: with the 2 read before it the plan would hold 4, more than 3/);
    assert.equal(nested(big, 'work-packages.yaml', { maxPackages: 4 }).length, 2);
  });

  it("says a reader that throws at the parent's value, and reads the other parents", () => {
    const map: Record<string, string> = {
      'work-packages.yaml': plan('f', [['a', ['src/**'], parentLines('boom.yaml')], ['b', ['lib/**'], parentLines('ok.yaml')]]),
      'ok.yaml': plan('ok', [['x', ['lib/x/**']]]),
    };
    const read = files(map);
    const plans = analyzeNested({ key: 'work-packages.yaml', file: 'work-packages.yaml', text: map['work-packages.yaml']! }, (from, rel) => {
      if (rel === 'boom.yaml') throw new Error('the disk went away');
      return read(from, rel);
    });
    assert.deepEqual(plans.map((p) => p.file), ['work-packages.yaml', 'ok.yaml']);
    assert.deepEqual(at(plans[0]!, 'internal-error'), ['boom.yaml']);
    assert.match(plans[0]!.nesting[0]!.message, /the disk went away/);
  });

  it('reads nothing for {by: agent} before its planner wrote one (nothing to say there), and keeps the sub-plan\'s own problems in its own analysis', () => {
    const map = {
      'work-packages.yaml': plan('f', [['a', ['src/**'], parentLines('s.yaml')], ['b', ['lib/**'], ['inputs:', '  waves: {plan: {by: agent}}']]]),
      's.yaml': plan('s', [['x', ['src/x/**'], ['depends_on: [nope]']]]),
    };
    const plans = nested(map);
    assert.equal(plans.length, 2);
    assert.deepEqual(plans[0]!.nesting, []);
    assert.equal(plans[0]!.valid, true);
    assert.deepEqual(plans[1]!.nesting, []);
    assert.equal(plans[1]!.valid, false);
    assert.ok(plans[1]!.analysis.diagnostics.some((d) => d.code === 'dependency-unknown'));
  });

  it("reads a {by: agent} parent's kept sub-plan by its id in the run, held inside its parent as a file is, at any depth", () => {
    const top = plan('f', [['a', ['src/**'], parentLines('s.yaml')], ['b', ['lib/**'], ['inputs:', '  waves: {plan: {by: agent}}']]]);
    const kept: Record<string, string> = {
      b: plan('b-planned', [['x', ['lib/x/**']], ['y', ['web/**']]]),
      a__c: plan('c-planned', [['z', ['src/c/z/**']]]),
    };
    const asked: string[] = [];
    const planned = (runId: string): SubPlanRead | null => {
      asked.push(runId);
      return kept[runId] === undefined ? null : { key: `.waves/planned/f/${runId}.yaml`, file: `.waves/planned/f/${runId}.yaml`, text: kept[runId]! };
    };
    const map = { 'work-packages.yaml': top, 's.yaml': plan('s', [['c', ['src/c/**'], ['inputs:', '  waves: {plan: {by: agent}}']]]) };
    const plans = analyzeNested({ key: 'work-packages.yaml', file: 'work-packages.yaml', text: top }, files(map), { planned });
    assert.deepEqual(asked.sort(), ['a__c', 'b'], 'asked by the id each parent runs as');
    assert.deepEqual(plans.map((p) => [p.file, p.depth, p.parent?.packageId ?? null]), [
      ['work-packages.yaml', 0, null],
      ['s.yaml', 1, 'a'],
      ['.waves/planned/f/a__c.yaml', 2, 'c'],
      ['.waves/planned/f/b.yaml', 1, 'b'],
    ]);
    const b = plans[3]!;
    assert.deepEqual(b.nesting.map((d) => [d.code, b.analysis.text.slice(d.range.start, d.range.end)]), [['sub-plan-scope', '"web/**"']], 'held inside `b` as a file is');
    assert.match(b.nesting[0]!.message, /`web\/\*\*` is not inside `lib\/\*\*` \(the write scope of `b` in work-packages\.yaml\): `web`/);
    // A planner must have a level left: at the limit its parent is refused at the value, before any run.
    const deep = analyzeNested({ key: 'work-packages.yaml', file: 'work-packages.yaml', text: top }, files(map), { planned, maxDepth: 1 });
    assert.deepEqual(at(deep[1]!, 'sub-plan-depth'), ['{by: agent}']);
    assert.match(deep[1]!.nesting.find((d) => d.code === 'sub-plan-depth')!.message, /its agent would plan a sub-plan 2 levels below the top plan: at most 1/);
  });

  it('reuses the analyses of an earlier reading for texts it saw, analyses changed ones afresh, and keeps only this reading\'s', () => {
    const map: Record<string, string> = {
      'work-packages.yaml': plan('f', [['api', ['src/api/**'], parentLines('plans/api.yaml')], ['ui', ['src/ui/**'], parentLines('plans/ui.yaml')]]),
      'plans/api.yaml': plan('f-api', [['users', ['src/api/users/**']]]),
      'plans/ui.yaml': plan('f-ui', [['forms', ['src/ui/forms/**']]]),
    };
    const known = new Map<string, PlanAnalysis>();
    const read = () => analyzeNested({ key: 'work-packages.yaml', file: 'work-packages.yaml', text: map['work-packages.yaml']! }, files(map), {}, known);
    const first = read();
    assert.equal(known.size, 3);
    map['plans/ui.yaml'] = plan('f-ui', [['forms', ['src/ui/forms/**']], ['lists', ['src/ui/lists/**']]]);
    const second = read();
    assert.equal(second[1]!.analysis, first[1]!.analysis, 'an unchanged sub-plan is not analysed again');
    assert.notEqual(second[2]!.analysis, first[2]!.analysis);
    assert.deepEqual(second[2]!.analysis.plan.packages.map((p) => p.id), ['forms', 'lists']);
    assert.equal(known.size, 3, "the old text's analysis is let go");
    assert.ok(![...known.keys()].includes(plan('f-ui', [['forms', ['src/ui/forms/**']]])));
    // The checks of the nesting are made again on every reading, reused analyses or not.
    map['work-packages.yaml'] = map['work-packages.yaml']!.replace("write_allow: [\"src/api/**\"]", "write_allow: [\"src/api/users/**\"]");
    map['plans/api.yaml'] = plan('f-api', [['users', ['src/api/users/**']], ['orders', ['src/api/orders/**']]]);
    const third = read();
    assert.deepEqual(third[1]!.nesting.map((d) => d.code), ['sub-plan-scope']);
  });
});

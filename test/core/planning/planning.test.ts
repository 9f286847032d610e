/** The planning room's pure parts: names, folders, prompts, problems, state. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { customProfile, presetProfile } from '../../../src/core/agents/agentProfiles';
import { approvalRefusal, isPlanningId, nextStepsText, parsePlanningState, planningFolder, planningId, planningPaths, planningScope, planningSlug, problemsOf, proposedPlanIdOf, proposedPlanLabel, revisionRefusal, roundComplete, sessionAgent, sessionAgentRecord, type RepoContext } from '../../../src/core/planning/planningSession';
import { buildPlanningPrompt, planFormatExample } from '../../../src/core/planning/planningPrompt';
import { auditScope } from '../../../src/core/run/audit';

const context: RepoContext = { readme: '# Shop\n\nSells things.\n', layout: ['README.md', 'docs/', 'src/'], docs: ['docs/architecture.md'], plans: ['work-packages.yaml'], openspec: false };

describe('planning names', () => {
  test('the id comes from the first line of the description, is a safe name, and skips taken ids', () => {
    assert.equal(planningSlug('Add OAuth2 login!\nwith details'), 'add-oauth2-login');
    assert.equal(planningSlug('Café — crème brûlée'), 'cafe-creme-brulee');
    assert.equal(planningSlug('2024 report'), 'plan-2024-report');
    assert.equal(planningSlug('   \n!!!'), 'plan');
    assert.equal(planningSlug('one two three four five six seven eight'), 'one-two-three-four-five-six');
    assert.ok(planningSlug('x'.repeat(200)).length <= 48 || planningSlug('x'.repeat(200)) === 'plan');
    const taken = new Set(['users', 'users-2']);
    assert.equal(planningId('Users', (id) => taken.has(id)), 'users-3');
    for (const d of ['Add OAuth2', '', '../../etc', 'a\u0000b']) assert.ok(isPlanningId(planningId(d, () => false)), d);
  });

  test('paths: state and rounds under .waves/plans, the worktree beside the repository, the branch outside waves/', () => {
    const p = planningPaths('/r/repo', 'users');
    assert.equal(p.state, '/r/repo/.waves/plans/users/state.json');
    assert.equal(p.round(2), '/r/repo/.waves/plans/users/2');
    assert.equal(p.worktree, '/r/repo.worktrees/_plans/users');
    assert.equal(p.branch, 'waves-plan/users');
    assert.throws(() => planningPaths('/r/repo', '../x'), RangeError);
    assert.throws(() => planningPaths('/r/repo', 'Users'), RangeError);
  });

  test('the planning folder: --out (checked), else OpenSpec changes, else plans/<id>', () => {
    assert.equal(planningFolder({ id: 'u', openspec: false }), 'plans/u');
    assert.equal(planningFolder({ id: 'u', openspec: true }), 'openspec/changes/u');
    assert.equal(planningFolder({ id: 'u', openspec: true, out: 'design/u/' }), 'design/u');
    assert.equal(planningFolder({ id: 'u', openspec: false, out: 'a\\b' }), 'a/b');
    for (const bad of ['', '.', '/abs', '../up', 'a/../../up', '.waves/x', '.git', '.git/hooks']) assert.throws(() => planningFolder({ id: 'u', openspec: false, out: bad }), RangeError, bad);
  });

  test('the audit scope of a round allows the planning folder and nothing else (the engine folder never)', () => {
    const r = auditScope(
      [
        { path: 'plans/u/work-packages.yaml', change: 'A' },
        { path: 'plans/u/contracts/openapi/v1.yaml', change: 'A' },
        { path: 'plans/other.yaml', change: 'A' },
        { path: 'src/x.ts', change: 'M' },
        { path: 'plans/u/link', change: 'A', link: '../../../etc/passwd' },
      ],
      planningScope('plans/u'),
    );
    assert.deepEqual(r.violations.map((v) => v.path).sort(), ['plans/other.yaml', 'plans/u/link', 'src/x.ts']);
  });
});

describe('a proposed plan by its place (#36 item 8)', () => {
  test('a file in a planning worktree of a folder names its session; anything else names none', () => {
    const folders = ['/work/shop', '/work/other'];
    assert.equal(proposedPlanIdOf('/work/shop.worktrees/_plans/add-users/plans/add-users/work-packages.yaml', folders), 'add-users');
    assert.equal(proposedPlanIdOf('/work/other.worktrees/_plans/x-2/openspec/changes/x-2/work-packages.yaml', folders), 'x-2');
    assert.equal(proposedPlanLabel('add-users'), 'proposed: add-users');
    for (const file of [
      '/work/shop/work-packages.yaml',
      '/work/shop.worktrees/feature/wp-a/work-packages.yaml',
      '/work/shop.worktrees/_plans/Bad_Id/work-packages.yaml',
      '/work/shop.worktrees/_plans/add-users',
      '/work/shopping.worktrees/_plans/add-users/work-packages.yaml',
      '/work/shop.worktrees/_plans/../shop/work-packages.yaml',
    ]) assert.equal(proposedPlanIdOf(file, folders), null, file);
  });
});

describe('planning prompts', () => {
  const base = { id: 'users', description: 'Add a users page', planDir: 'plans/users', worktree: '/w/users', context };

  test('the first prompt walks seed 002 for this repository, deterministically', () => {
    const a = buildPlanningPrompt(base);
    assert.equal(a, buildPlanningPrompt({ ...base, context: { ...context } }));
    for (const s of ['proposal.md', 'design.md', 'tasks.md', 'contracts/', '`plans/users/work-packages.yaml`', 'schemas/work-packages.schema.json', 'wp-contracts', 'wp-integration', '`docs/architecture.md`', '`src/`', 'Sells things.', 'Existing plans', '`api:`']) {
      assert.ok(a.includes(s), s);
    }
    assert.doesNotMatch(a, /Repair round|asked for changes/);
    assert.match(buildPlanningPrompt({ ...base, context: { ...context, openspec: true } }), /uses OpenSpec/);
  });

  test('the plan format the prompt shows is the one the checker reads: its example has nothing to say (#36)', () => {
    for (const [id, planDir] of [['users', 'plans/users'], ['x-2', 'openspec/changes/x-2'], ['q', 'odd "dir"/with: colon']] as const) {
      const prompt = buildPlanningPrompt({ ...base, id, planDir });
      const example = /```yaml\n([\s\S]*?)\n```/.exec(prompt)?.[1];
      assert.ok(example, 'the prompt shows the format by example');
      assert.equal(example, planFormatExample(id, planDir));
      const analysis = analyzePlan(example);
      assert.deepEqual(analysis.diagnostics.map((d) => `${d.severity} ${d.code}: ${d.message}`), [], 'no error, warning or dialect');
      assert.equal(analysis.plan.feature?.id, id);
      assert.deepEqual(analysis.plan.packages.map((p) => p.id), ['wp-contracts', 'wp-api', 'wp-integration']);
      assert.ok(analysis.plan.packages.every((p) => p.verification?.tier), 'every package says its tier as the format does');
      // The prose names no field the example does not show (the field names live in the example only).
      assert.doesNotMatch(prompt, /`verification: \{tier|`tier`|\{tier,/);
    }
  });

  test('a description with backticks cannot close its fence; an empty one says so', () => {
    const p = buildPlanningPrompt({ ...base, description: 'use ```x``` and ````y````' });
    assert.match(p, /`````text\nuse ```x``` and ````y````\n`````/);
    assert.match(buildPlanningPrompt({ ...base, description: '  ' }), /\(no description given\)/);
  });

  test('the repair prompt lists the exact problems with 1-based positions and the refused changes', () => {
    const plan = `schema_version: 1
packages:
  - package_id: a
    depends_on: [b]
    scope: {write_allow: ["src/**"]}
  - package_id: b
    depends_on: [a, zz]
    scope: {write_allow: ["src/**"]}
    locks: {keys: ["API:GET /x"]}
`;
    const problems = problemsOf(analyzePlan(plan));
    const codes = problems.map((p) => p.code);
    assert.ok(codes.includes('dependency-cycle') && codes.includes('dependency-unknown') && codes.includes('lock-key-namespace'), codes.join());
    assert.ok(problems.every((p, i) => i === 0 || p.severity !== 'error' || problems[i - 1]!.severity === 'error'), 'errors first');
    const unknown = problems.find((p) => p.code === 'dependency-unknown')!;
    assert.deepEqual([unknown.line, unknown.column], [7, 21]);
    const prompt = buildPlanningPrompt({ ...base, repair: { round: 1, of: 3, missing: false, problems, refused: [{ path: 'src/x.ts', message: 'src/x.ts created outside the write scope' }] } });
    assert.match(prompt, /## Repair round 1 of 3/);
    assert.match(prompt, /- error `dependency-unknown` at 7:21 \(package `b`\): /);
    assert.match(prompt, /- `src\/x\.ts`: src\/x\.ts created outside the write scope/);
    assert.match(buildPlanningPrompt({ ...base, repair: { round: 2, of: 3, missing: true, problems: [], refused: [] } }), /`plans\/users\/work-packages\.yaml` is missing: write it\./);
    const many = Array.from({ length: 75 }, (_, i) => ({ severity: 'error' as const, code: 'x', message: 'm', line: i + 1, column: 1, packageId: null }));
    assert.match(buildPlanningPrompt({ ...base, repair: { round: 1, of: 1, missing: false, problems: many, refused: [] } }), /… and 15 more problems/);
  });

  test('the revision prompt quotes the person’s comments', () => {
    const p = buildPlanningPrompt({ ...base, revision: { comments: 'Split wp-api in two.' } });
    assert.match(p, /## The person asked for changes[\s\S]*```text\nSplit wp-api in two\.\n```/);
  });
});

describe('planning state', () => {
  test('parse keeps a valid state and refuses anything else', () => {
    const s = { version: 1, id: 'u', description: 'd', planDir: 'plans/u', branch: 'waves-plan/u', worktree: '/w', baseSha: 'abc', agent: 'codex', status: 'valid', rounds: [{ n: 1 }], createdAt: 't', approvedCommit: null, discardedTip: null };
    assert.equal(parsePlanningState(s)?.status, 'valid');
    for (const bad of [null, 1, { ...s, version: 2 }, { ...s, id: '../x' }, { ...s, status: 'running' }, { ...s, rounds: {} }]) assert.equal(parsePlanningState(bad), null);
    assert.match(nextStepsText({ ...s, status: 'valid' } as never), /waves plan --approve u/);
    assert.doesNotMatch(nextStepsText({ ...s, status: 'invalid' } as never), /--approve/);
    assert.match(nextStepsText({ ...s, status: 'approved' } as never), /waves run \/w\/plans\/u\/work-packages\.yaml/);
  });

  test('an interrupted round: the session cannot be approved, whatever the checker said; a complete round can (#36 item 2)', () => {
    const round = { n: 1, purpose: 'write' as const, startedAt: 't', endedAt: 't', exitCode: null, commit: 'c', errors: 0, warnings: 0, refused: [], failure: 'cancelled' };
    const s = { id: 'u', status: 'valid' as const, rounds: [{ ...round, interrupted: null }] };
    assert.equal(approvalRefusal(s), null);
    assert.match(approvalRefusal({ ...s, status: 'interrupted' }) ?? '', /^the last round of u was stopped before its agent ended: .*waves plan --revise u/);
    // A state written as `valid` whose last round was stopped (an older engine) is refused too.
    assert.match(approvalRefusal({ ...s, rounds: [{ ...round, interrupted: 'timed-out' }] }) ?? '', /reached its time limit/);
    assert.match(approvalRefusal({ ...s, status: 'invalid' }) ?? '', /only a valid plan can be approved/);
    assert.equal(roundComplete({ endedAt: null, interrupted: null }), false);
    const parsed = parsePlanningState({ version: 1, id: 'u', description: 'd', planDir: 'p', branch: 'b', worktree: '/w', baseSha: 'a', status: 'interrupted', rounds: [] });
    assert.equal(parsed?.status, 'interrupted');
    assert.match(nextStepsText({ ...parsed!, status: 'interrupted' }), /stopped before the agent ended: it cannot be approved/);
  });

  test('a session remembers its agent: a preset by id, a custom one by its argv; a record it cannot use is a problem in words (#36 item 3)', () => {
    const custom = customProfile(['/bin/agent', '--prompt', '${promptFile}'], { needsInputPattern: 'limit' });
    const record = sessionAgentRecord(custom);
    assert.deepEqual(record, { agent: 'custom', customAgent: { argv: ['/bin/agent', '--prompt', '${promptFile}'], needsInputPattern: 'limit' } });
    const back = sessionAgent({ id: 'u', ...record });
    assert.ok('agent' in back && back.agent.argv[0] === '/bin/agent' && back.agent.needsInputPattern === 'limit');
    assert.deepEqual(sessionAgentRecord(presetProfile('codex')!), { agent: 'codex', customAgent: null });
    const codex = sessionAgent({ id: 'u', agent: 'codex', customAgent: null });
    assert.ok('agent' in codex && codex.agent.id === 'codex');
    assert.deepEqual(sessionAgent({ id: 'u', agent: 'custom', customAgent: null }), { problem: 'the session u was planned with a custom agent it does not record (an older session)' });
    assert.deepEqual(sessionAgent({ id: 'u', agent: 'nope' }), { problem: 'the session u was planned with the agent "nope", which this version does not know' });
    // What a state file holds is checked as it is read: a bad argv is no agent.
    const parsed = parsePlanningState({ version: 1, id: 'u', description: 'd', planDir: 'p', branch: 'b', worktree: '/w', baseSha: 'a', status: 'valid', rounds: [], agent: 'custom', customAgent: { argv: [1, 2] } });
    assert.equal(parsed?.customAgent, null);
    assert.equal(revisionRefusal({ id: 'u', status: 'interrupted' }), null);
    assert.match(revisionRefusal({ id: 'u', status: 'approved' }) ?? '', /^the plan u is approved: it is not revised any more/);
  });
});

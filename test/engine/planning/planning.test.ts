/**
 * Planning sessions end to end: real git repositories, the real runner bundle,
 * the scripted test agent writing plans with known defects and repairing them from the
 * repair prompt; the exact checker in the loop; approve, discard and the run gate.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { discardPlanning } from '../../../src/engine';
import { planningDryRun, readPlanning, revisePlanning, startPlanning, type PlanningEvent, PlanningError } from '../../../src/engine/planning/planner';
import { approvePlanning, proposalGate } from '../../../src/engine/planning/planApproval';
import { engineFor, isolateGit, personsGitRuns, PLANTED_SETUP, scriptedAgent, treeFiles } from '../engineFixtures';
import { ProposalNotApprovedError } from '../../../src/engine/run/types';
import { buildRunner, git, makeRepo, tempDir } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

function userSide(repo: string) {
  return { branch: git(repo, 'symbolic-ref', '--short', 'HEAD').trim(), head: git(repo, 'rev-parse', 'HEAD').trim(), status: git(repo, 'status', '--porcelain', '--untracked-files=all') };
}

async function plan(repo: string, description: string, extra: { repairRounds?: number; out?: string; confinement?: { unconfined: true } } = {}) {
  const events: PlanningEvent[] = [];
  const result = await startPlanning({ cwd: repo, description, agent: scriptedAgent(), runnerScript, pollMs: 20, onEvent: (e) => events.push(e), ...extra });
  return { ...result, events };
}

describe('planning', () => {
  test('a plan with four known defects is repaired round by round until it is exactly valid; the person’s branch is untouched', async () => {
    const repo = makeRepo({ 'README.md': '# Shop\n\nA shop.\n', 'docs/arch.md': '# Arch\n' });
    const before = userSide(repo);
    const { state, planFile, analysis, events } = await plan(repo, 'Add a users page\n\ntest-agent: plan overlap,cycle,unknown-dep,lock-key');
    assert.equal(state.status, 'valid');
    assert.ok(analysis?.valid);
    assert.equal(state.planDir, `plans/${state.id}`);
    assert.equal(state.id, 'add-a-users-page');
    // Round 1 writes the four defects; every repair round fixes those its prompt names, so
    // the loop needs more than one repair and ends with none left.
    assert.ok(state.rounds.length >= 2, `rounds: ${state.rounds.length}`);
    assert.equal(state.rounds[0]!.purpose, 'write');
    assert.ok(state.rounds[0]!.errors >= 3, `first round errors: ${state.rounds[0]!.errors}`);
    assert.equal(state.rounds.at(-1)!.errors, 0);
    assert.ok(state.rounds.slice(1).every((r) => r.purpose === 'repair'));
    const text = fs.readFileSync(planFile, 'utf8');
    assert.doesNotMatch(text, /# defect:/);
    // The first repair prompt gave the checker's problems with positions and codes.
    const repairPrompt = fs.readFileSync(path.join(repo, '.waves', 'plans', state.id, String(state.rounds[1]!.n), 'prompt.md'), 'utf8');
    assert.match(repairPrompt, /## Repair round 1 of 3/);
    assert.match(repairPrompt, /error `dependency-(cycle|unknown)` at \d+:\d+/);
    // Progress: one started/ended pair per round.
    assert.equal(events.filter((e) => e.kind === 'round-started').length, state.rounds.length);
    assert.deepEqual(events.at(-1), { kind: 'done', id: state.id, status: 'valid' });
    // The branch holds the plan as committed; the person's side is untouched.
    const files = treeFiles(repo, state.branch).filter((f) => f.startsWith('plans/'));
    assert.deepEqual(files, ['proposal.md', 'design.md', 'tasks.md', 'contracts/openapi/v1.yaml', 'work-packages.yaml'].map((f) => `plans/${state.id}/${f}`).sort());
    assert.deepEqual(userSide(repo), before);
    assert.equal(fs.existsSync(path.join(repo, 'plans')), false);
  });

  test('a plan the agent does not repair stops after N repair rounds, invalid, and cannot be approved or run', async () => {
    const repo = makeRepo();
    const { state, analysis } = await plan(repo, 'Stubborn\n\ntest-agent: plan-stubborn cycle', { repairRounds: 2 });
    assert.equal(state.status, 'invalid');
    assert.equal(state.rounds.length, 3);
    assert.ok(analysis && !analysis.valid);
    assert.ok(analysis.diagnostics.some((d) => d.code === 'dependency-cycle'));
    await assert.rejects(approvePlanning(repo, state.id), PlanningError);
    const gate = await proposalGate(path.join(state.worktree, state.planDir, 'work-packages.yaml'));
    assert.match(gate ?? '', /not approved yet \(invalid\)/);
  });

  test('an agent that fails and writes nothing is not asked again: one round, its failure recorded', async () => {
    const repo = makeRepo();
    const { state, analysis } = await plan(repo, 'Failing\n\ntest-agent: exit 3');
    assert.equal(state.status, 'invalid');
    assert.equal(state.rounds.length, 1);
    assert.equal(state.rounds[0]!.exitCode, 3);
    assert.match(state.rounds[0]!.failure ?? '', /.+/);
    assert.equal(analysis, null, 'no plan was written');
  });

  test('writes outside the planning folder are refused and named in the next prompt; only the folder’s files are kept', async () => {
    const repo = makeRepo();
    const { state } = await plan(repo, 'Outside\n\ntest-agent: write src/sneaky.ts x\ntest-agent: write .waves/evil.json {}\ntest-agent: plan lock-key\ntest-agent: commit');
    assert.equal(state.status, 'valid');
    assert.deepEqual(state.rounds[0]!.refused, ['src/sneaky.ts']);
    const files = treeFiles(repo, state.branch);
    assert.ok(!files.includes('src/sneaky.ts'));
    assert.ok(files.includes(`plans/${state.id}/work-packages.yaml`));
    const second = fs.readFileSync(path.join(repo, '.waves', 'plans', state.id, '2', 'prompt.md'), 'utf8');
    assert.match(second, /`src\/sneaky\.ts`: src\/sneaky\.ts created outside the write scope/);
    // The branch is on top of the person's HEAD, one commit per round that kept files.
    assert.equal(git(repo, 'merge-base', state.branch, 'main').trim(), git(repo, 'rev-parse', 'main').trim());
  });

  test("a planning agent's hooks, hooks path and fsmonitor are put back after its round and quarantined: the person's next commit, status and checkout run none of them (#32)", async () => {
    const repo = makeRepo();
    const out = tempDir('waves-outside-');
    const configBefore = fs.readFileSync(path.join(repo, '.git', 'config'), 'utf8');
    const steps = ['plan none', ...PLANTED_SETUP].map((line) => `test-agent: ${line.replaceAll('@OUT@', out)}`);
    // The engine's own defence, without walls (inside them the writes are refused before the engine sees them).
    const { state } = await plan(repo, `Planted\n\n${steps.join('\n')}`, { repairRounds: 0, confinement: { unconfined: true } });
    assert.equal(state.status, 'valid', 'the plan itself is kept: only the set-up is refused');
    assert.equal(state.rounds.length, 1);
    const [line] = state.rounds[0]!.refused;
    assert.match(
      line ?? '',
      /^\(the repository's git set-up\) \.git\/config changed, \.git\/hooks\/post-checkout added, \.git\/hooks\/post-commit added, \.git\/hooks\/pre-commit added: put back as the round started; what was found is in \.waves\/quarantine\/plan-planted\/[^/]+-round-1\/$/,
    );
    assert.equal(fs.readFileSync(path.join(repo, '.git', 'config'), 'utf8'), configBefore);
    // The person's own git runs nothing planted (markers, not messages).
    assert.deepEqual(personsGitRuns(repo, out), []);
    const q = path.join(repo, line!.replace(/^.*what was found is in /, ''));
    for (const hook of ['pre-commit', 'post-commit', 'post-checkout']) assert.match(fs.readFileSync(path.join(q, 'hooks', hook), 'utf8'), new RegExp(`echo ${hook} >> `));
    assert.match(fs.readFileSync(path.join(q, 'config'), 'utf8'), /fsmonitor = /);
    assert.match(fs.readFileSync(path.join(q, 'README.txt'), 'utf8'), /^Found after: planning round 1 of planted$/m);
  });

  test('--out and OpenSpec choose the planning folder; the dry run makes nothing and shows the prompt', async () => {
    const repo = makeRepo({ 'README.md': '# x\n', 'openspec/changes/.keep': '' });
    const dry = await planningDryRun({ cwd: repo, description: 'Export CSV reports' });
    assert.equal(dry.planDir, 'openspec/changes/export-csv-reports');
    assert.match(dry.prompt, /The repository uses OpenSpec/);
    assert.equal(fs.existsSync(path.join(repo, '.waves')), false);
    assert.equal(git(repo, 'branch', '--list', 'waves-plan/*').trim(), '');
    const out = await planningDryRun({ cwd: repo, description: 'Export CSV reports', out: 'design/csv' });
    assert.equal(out.planDir, 'design/csv');
    await assert.rejects(planningDryRun({ cwd: repo, description: 'x', out: '../elsewhere' }), RangeError);
  });

  test('request changes runs a revision round with the comments; approve records the commit and opens the run gate; discard removes the worktree and branch safely', async () => {
    const repo = makeRepo();
    const first = await plan(repo, 'Users\n\ntest-agent: plan none');
    assert.equal(first.state.status, 'valid');
    const planFile = first.planFile;
    assert.match((await proposalGate(planFile)) ?? '', /not approved yet/);
    // The engine's own gate, whatever front end (or none) starts it: begin refuses before any lease or run state.
    const early = await engineFor(planFile, runnerScript, { verification: 'approved' });
    try {
      await assert.rejects(early.engine.begin(), (err: Error) => err instanceof ProposalNotApprovedError && /not approved yet \(valid\)/.test(err.message));
      assert.equal(fs.existsSync(path.join(first.state.worktree, '.waves', 'runs')), false, 'no lease and no run state written');
    } finally {
      early.engine.dispose();
    }

    const revised = await revisePlanning({ repo, id: first.state.id, comments: 'Please add package wp-admin for the admin screens.', agent: scriptedAgent(), runnerScript, pollMs: 20 });
    assert.equal(revised.state.status, 'valid');
    assert.equal(revised.state.rounds.at(-1)!.purpose, 'revise');
    assert.ok(revised.analysis!.plan.packages.some((p) => p.id === 'wp-admin'));

    const { state: approved, shared } = await approvePlanning(repo, first.state.id);
    assert.equal(shared, null);
    assert.equal(approved.status, 'approved');
    assert.equal(approved.approvedCommit, git(repo, 'rev-parse', first.state.branch).trim());
    assert.equal(await proposalGate(planFile), null);
    assert.ok(analyzePlan(git(repo, 'show', `${approved.approvedCommit}:${first.state.planDir}/work-packages.yaml`)).valid);

    // Context slicing at run time: wp-api's prompt lists the contract its read_allow covers and
    // quotes its design section; wp-web's (read_allow src/**) lists no contract file.
    const { engine } = await engineFor(planFile, runnerScript);
    const prompts = new Map(engine.dryRun().prompts.map((p) => [p.packageId, p.text]));
    assert.match(prompts.get('wp-api')!, new RegExp(`Read these files:\\n- \`plans/${first.state.id}/contracts/openapi/v1\\.yaml\``));
    assert.match(prompts.get('wp-api')!, /### Design: wp-api: the API[^\n]*\n\n> The API serves GET \/v1\/users\./);
    assert.doesNotMatch(prompts.get('wp-api')!, /The client lists users/);
    assert.doesNotMatch(prompts.get('wp-web')!, /Read these files:/);
    assert.match(prompts.get('wp-web')!, /### Design: wp-web: the web client/);

    // A second session, discarded: a file the person left in its worktree keeps it; once gone, removal.
    const second = await plan(repo, 'Something else\n\ntest-agent: plan none');
    fs.writeFileSync(path.join(second.state.worktree, 'notes.txt'), 'mine\n');
    await assert.rejects(discardPlanning(repo, second.state.id), /uncommitted changes/);
    assert.ok(fs.existsSync(path.join(second.state.worktree, 'notes.txt')));
    fs.rmSync(path.join(second.state.worktree, 'notes.txt'));
    const tip = git(repo, 'rev-parse', second.state.branch).trim();
    const { state, message } = await discardPlanning(repo, second.state.id);
    assert.equal(state.status, 'discarded');
    assert.equal(state.discardedTip, tip);
    assert.match(message, new RegExp(`git branch ${second.state.branch} ${tip}`));
    assert.equal(fs.existsSync(second.state.worktree), false);
    assert.equal(git(repo, 'branch', '--list', second.state.branch).trim(), '');
    assert.equal(readPlanning(repo, second.state.id)?.status, 'discarded');
  });
});

// `Waves: Plan a Feature…` in a real VS Code on a real git repository (the suite's
// workspace is a git copy): the command runs the scripted test agent headless in a planning
// worktree, the exact checker's problems go back for a repair round (shown as progress), the
// proposal opens with the DAG panel and its approval bar; Run Plan is refused until Approve,
// then enabled. A plan that stays invalid has its problems in the Problems panel. Every wait
// is on a condition or a message with a deadline.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PlanningResult } from '../../../src/engine';
import { closeEditors, discardSessions, nextPlan, pressProposal, useScriptedAgent, waitFor, wavesApi, workspaceRoot } from '../helpers';

describe('Plan a Feature', () => {
  const made: PlanningResult[] = [];
  before(async () => {
    await useScriptedAgent(true, vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    await useScriptedAgent(null, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('waves').update('planning.repairRounds', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('waves').update('planning.roundMinutes', undefined, vscode.ConfigurationTarget.Global);
    const api = await wavesApi();
    await discardSessions(api, made);
    await closeEditors(() => true);
  });

  /** `Waves: Plan a Feature…` with this description: the session it returned (discarded after the suite). */
  async function planFeature(description: string): Promise<PlanningResult> {
    const result = (await vscode.commands.executeCommand('waves.planFeature', { description })) as PlanningResult | undefined;
    assert.ok(result, 'the command returned the session');
    made.push(result);
    return result;
  }

  it('command → progress per round → the proposal in the DAG with its approval bar → Approve → Run Plan enabled', async () => {
    const api = await wavesApi();
    const head = gitHead();
    const result = await planFeature('Users page\ntest-agent: plan overlap');
    assert.equal(result.state.status, 'valid');
    assert.equal(result.state.rounds.length, 2, 'one write round, one repair round');
    assert.ok(api.planning.progressShown.some((m) => /^round 1: 2 errors$/.test(m)), api.planning.progressShown.join(' | '));
    assert.ok(api.planning.progressShown.some((m) => /^round 2: repair 1 of 3…$/.test(m)), api.planning.progressShown.join(' | '));
    assert.equal(gitHead(), head, "the person's branch is untouched");
    assert.equal(fs.existsSync(path.join(workspaceRoot().fsPath, 'plans')), false, "nothing in the person's checkout");

    const uri = vscode.Uri.file(result.planFile);
    // The Waves view names the proposal as the feature it is, not by its planning worktree's absolute path.
    assert.equal((await waitFor(() => api.registry.get(uri), 'the registry follows the proposal')).label, 'proposed: users-page');
    const tree = api.views.tree;
    const labels = () => tree.getChildren().map((n) => String(tree.getTreeItem(n).label));
    await waitFor(() => labels().includes('proposed: users-page'), 'the proposal in the Waves view as "proposed: users-page"');
    assert.ok(labels().every((l) => !l.includes(path.sep + '_plans' + path.sep)), labels().join(' | '));
    await waitFor(() => vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.input instanceof vscode.TabInputText && t.input.uri.fsPath.endsWith('proposal.md')), 'proposal.md open');
    const panel = await waitFor(() => api.dag.panelFor(uri), 'the DAG panel of the proposed plan');
    const plan = await nextPlan(panel, (p) => p.proposal?.status === 'valid');
    assert.deepEqual(plan.waves, [['wp-contracts'], ['wp-api', 'wp-web'], ['wp-integration']]);
    assert.ok(plan.criticalPath.length >= 3);
    const bar = plan.proposal!;
    assert.equal(bar.id, 'users-page');
    assert.deepEqual(
      Object.fromEntries(Object.entries(bar.actions).map(([k, v]) => [k, v.enabled])),
      { approve: true, requestChanges: true, discard: true, runPlan: false },
    );
    assert.match(bar.actions.runPlan.reason ?? '', /approve the plan first/);
    // The forecast of running it: the start's own, made in the background; no run of it yet.
    const forecast = (await nextPlan(panel, (p) => p.proposal?.forecast !== undefined)).proposal!.forecast!;
    assert.match(forecast.headline, /^no history yet: up to .+ from timeout_minutes, at most \d+ at once$/);
    assert.ok(forecast.details.some((l) => l.startsWith('Expected spend, ')), forecast.details.join('\n'));

    // Nothing runs before approval: the bar's Run Plan, and the run command itself.
    const refused = await pressProposal(panel, 'runPlan', 7001);
    assert.ok(!refused.ok && refused.error.code === 'not-available', JSON.stringify(refused));

    const approved = await pressProposal(panel, 'approve', 7002);
    assert.ok(approved.ok, JSON.stringify(approved));
    const after = await nextPlan(panel, (p) => p.proposal?.status === 'approved');
    assert.equal(after.proposal!.actions.runPlan.enabled, true);
    assert.equal(after.proposal!.actions.approve.enabled, false);
  });

  it('a round out of time (waves.planning.roundMinutes) leaves the proposal interrupted: valid as it is, Approve stays off, saying why (#36 items 2, 7)', async () => {
    await vscode.workspace.getConfiguration('waves').update('planning.roundMinutes', 0.02, vscode.ConfigurationTarget.Global);
    const api = await wavesApi();
    const result = await planFeature('Slow page\ntest-agent: plan none\ntest-agent: sleep 60000');
    assert.equal(result.state.status, 'interrupted');
    assert.deepEqual(result.state.rounds.map((r) => r.interrupted), ['timed-out']);
    assert.ok(result.analysis?.valid, 'what the round wrote is a valid plan, and is kept');
    const uri = vscode.Uri.file(result.planFile);
    const panel = await waitFor(() => api.dag.panelFor(uri), 'the DAG panel');
    const plan = await nextPlan(panel, (p) => p.proposal?.status === 'interrupted');
    assert.equal(plan.proposal!.actions.approve.enabled, false);
    assert.match(plan.proposal!.actions.approve.reason ?? '', /last round was stopped before the agent ended: request changes for a complete round/);
    assert.equal(plan.proposal!.actions.requestChanges.enabled, true);
    const refused = await pressProposal(panel, 'approve', 7101);
    assert.ok(!refused.ok && refused.error.code === 'not-available', JSON.stringify(refused));
  });

  it('a plan that stays invalid after the repair rounds has its problems in the Problems panel and cannot be approved', async () => {
    await vscode.workspace.getConfiguration('waves').update('planning.repairRounds', 1, vscode.ConfigurationTarget.Global);
    const api = await wavesApi();
    const result = await planFeature('Stubborn plan\ntest-agent: plan-stubborn cycle');
    assert.equal(result.state.status, 'invalid');
    assert.equal(result.state.rounds.length, 2);
    const uri = vscode.Uri.file(result.planFile);
    const problems = await waitFor(() => {
      const d = vscode.languages.getDiagnostics(uri);
      return d.some((x) => String(typeof x.code === 'object' ? x.code.value : x.code) === 'dependency-cycle') ? d : null;
    }, 'the cycle in the Problems panel');
    assert.ok(problems.length > 0);
    const panel = await waitFor(() => api.dag.panelFor(uri), 'the DAG panel');
    const plan = await nextPlan(panel, (p) => p.proposal?.status === 'invalid');
    assert.equal(plan.proposal!.actions.approve.enabled, false);
    assert.ok(plan.cycles.length > 0);
  });
});

function gitHead(): string {
  return execFileSync('git', ['rev-parse', 'HEAD', '--symbolic-full-name', 'HEAD'], { cwd: workspaceRoot().fsPath, encoding: 'utf8' });
}

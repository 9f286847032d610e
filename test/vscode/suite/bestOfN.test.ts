/**
 * Best of n in the editor: Run Plan with `waves.candidates` set runs each package as a set of
 * candidates side by side; the Waves view shows them under their package — each one's agent and
 * how it went, the one that went on said so — and the package merged the green one.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import type { RunState } from '../../../src/core/run/runState';
import { awaitingPick } from '../../../src/core/run/candidates';
import { integrationBranch, runStateFile } from '../../../src/core/run/runPaths';
import { committedPlanRepo, Scratch, useScriptedAgent, waitFor, waitForPlan, wavesApi } from '../helpers';
import { execFileSync } from 'node:child_process';

function twoCandidatesPlan(repo: string): string {
  const text = [
    'schema_version: 1',
    'feature:',
    '  id: best-editor',
    '  title: Best of n in the editor',
    'packages:',
    '  - package_id: a',
    '    title: Two tries',
    '    description: |',
    // Candidate 1 (the package's own tree) writes outside its scope; candidate 2 does the work.
    '      test-agent: if-tree a write elsewhere/x.txt',
    '      test-agent: if-tree a.c2 write a/x.txt from candidate 2',
    '    scope:',
    '      write_allow: ["a/**"]',
    '',
  ].join('\n');
  return committedPlanRepo(repo, { 'README.md': '# best\n', 'work-packages.yaml': text });
}

function personPickPlan(repo: string): string {
  const text = [
    'schema_version: 1',
    'feature:',
    '  id: pick-editor',
    '  title: The person picks',
    'packages:',
    '  - package_id: a',
    '    title: Two green tries',
    '    description: |',
    '      test-agent: if-tree a write a/x.txt from candidate 1',
    '      test-agent: if-tree a.c2 write a/x.txt from candidate 2',
    '    scope:',
    '      write_allow: ["a/**"]',
    '    inputs:',
    '      waves: { candidates: 2, pick: person }',
    '',
  ].join('\n');
  return committedPlanRepo(repo, { 'README.md': '# pick\n', 'work-packages.yaml': text });
}

describe('Best of n in the editor', function () {
  this.timeout(150_000);
  let api: WavesApi;
  let scratch: Scratch;
  const config = () => vscode.workspace.getConfiguration('waves');

  /** Run Plan on `plan` (its run confirmed); the run's session. */
  const start = async (plan: string) => {
    const entry = await waitForPlan(api, vscode.Uri.file(plan), 'the plan in the registry', (e) => e.analysis.plan.packages.length === 1);
    const session = await api.run.controller.start(entry, { what: 'the plan' });
    assert.ok(session, 'the run started');
    return session;
  };
  /** The rows under the plan's one package in the Waves view: its candidates. */
  const candidateNodes = (plan: string) => {
    const tree = api.views.tree;
    const planNode = tree.getChildren().find((n) => n.kind === 'plan' && n.entry.uri.fsPath === plan);
    const waves = planNode ? tree.getChildren(planNode) : tree.getChildren();
    const pkg = waves.flatMap((w) => tree.getChildren(w)).find((n) => n.kind === 'package' && n.entry.uri.fsPath === plan);
    return pkg ? tree.getChildren(pkg) : [];
  };

  before(async () => {
    api = await wavesApi();
    await useScriptedAgent(true);
    scratch = new Scratch('best');
  });
  after(async () => {
    await config().update('candidates', undefined, vscode.ConfigurationTarget.Workspace);
    await useScriptedAgent(null);
    await scratch.dispose();
  });

  it('Run Plan with waves.candidates 2: the Waves view lists the candidates under their package, the one that went on said so; its work merged', async () => {
    const folder = scratch.root.fsPath;
    fs.mkdirSync(folder, { recursive: true });
    const plan = twoCandidatesPlan(path.join(folder, 'repo'));
    const repo = path.dirname(plan);
    await config().update('candidates', 2, vscode.ConfigurationTarget.Workspace);
    const controller = api.run.controller;
    const saved = controller.questions;
    controller.questions = { ...saved, confirmRun: async () => true };
    try {
      const outcome = await (await start(plan)).outcome;
      assert.ok(outcome);
      assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
      const state = JSON.parse(fs.readFileSync(runStateFile(repo, 'best-editor'), 'utf8')) as RunState;
      assert.deepEqual(state.packages.a!.candidates!.map((c) => [c.candidate, c.status]), [
        [1, 'scope-violation'],
        [2, 'succeeded'],
      ]);
      const merged = execFileSync('git', ['show', `${integrationBranch('best-editor')}:a/x.txt`], { cwd: repo, encoding: 'utf8' });
      assert.equal(merged, 'from candidate 2');

      // The Waves view: the package row holds its candidates, each with its agent and how it went.
      const tree = api.views.tree;
      const rows = () => candidateNodes(plan).map((c) => tree.getTreeItem(c));
      const items = await waitFor(() => (rows().length === 2 ? rows() : null), 'the candidates under their package', { timeoutMs: 30_000 });
      assert.deepEqual(items.map((i) => i.label), ['Candidate 1', 'Candidate 2']);
      assert.match(String(items[0]!.description), /^custom · /);
      assert.doesNotMatch(String(items[0]!.description), /went on/);
      assert.match(String(items[1]!.description), /^custom · .* · went on$/);
      assert.match(items[1]!.accessibilityInformation?.label ?? '', /candidate 2, custom, .*went on/);
      assert.equal((items[1]!.iconPath as vscode.ThemeIcon).id, 'star-full');
      // The view opens on the package, its candidates expanded below it.
      await vscode.commands.executeCommand('waves.plan.focus');
      assert.ok(await tree.selectPackage(vscode.Uri.file(plan).toString(), 'a'));
    } finally {
      controller.questions = saved;
    }
  });

  it('pick: person — both candidates green, the package awaits the pick; Pick Candidate on a row (its context: waves.candidate.green) merges that one', async () => {
    const folder = path.join(scratch.root.fsPath, 'pick');
    fs.mkdirSync(folder, { recursive: true });
    const plan = personPickPlan(path.join(folder, 'repo'));
    const repo = path.dirname(plan);
    const controller = api.run.controller;
    const saved = controller.questions;
    controller.questions = { ...saved, confirmRun: async () => true };
    try {
      const session = await start(plan);
      const state = () => (fs.existsSync(runStateFile(repo, 'pick-editor')) ? (JSON.parse(fs.readFileSync(runStateFile(repo, 'pick-editor'), 'utf8')) as RunState) : null);
      await waitFor(() => {
        const s = state();
        return s && awaitingPick(s.packages.a!);
      }, 'a to await the pick', { timeoutMs: 60_000 });
      const tree = api.views.tree;
      const second = await waitFor(() => candidateNodes(plan).find((n) => tree.getTreeItem(n).contextValue === 'waves.candidate.green' && tree.getTreeItem(n).label === 'Candidate 2'), 'candidate 2 offered for the pick', { timeoutMs: 30_000 });
      assert.equal(await vscode.commands.executeCommand('waves.pickCandidate', second), true);
      const outcome = await session.outcome;
      assert.ok(outcome);
      assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
      assert.deepEqual(outcome.state.packages.a!.chosen, { candidate: 2, why: 'your pick' });
      const merged = execFileSync('git', ['show', `${integrationBranch('pick-editor')}:a/x.txt`], { cwd: repo, encoding: 'utf8' });
      assert.equal(merged, 'from candidate 2');
    } finally {
      controller.questions = saved;
    }
  });
});

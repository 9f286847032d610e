/**
 * Best of n in the editor: Run Plan with `waves.candidates` set runs each package as a set of
 * candidates side by side; the Waves view shows them under their package — each one's agent and
 * how it went, the one that went on said so — and the package merged the green one. With
 * `pick: person`: the notification that a package awaits its pick, and the pick from the DAG
 * panel's details (its message path, validated, through Pick Candidate's front door).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import type { RunState } from '../../../src/core/run/runState';
import { awaitingPick } from '../../../src/core/run/candidates';
import { integrationBranch, runStateFile } from '../../../src/core/run/runPaths';
import type { HostMessage, PackageDetails } from '../../../src/protocol';
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
    // Candidate 1 (the package's own tree) writes outside its scope; candidate 2 does the work, after 1 has ended (as a rule).
    '      test-agent: if-tree a write elsewhere/x.txt',
    '      test-agent: if-tree a.c2 sleep 2000',
    '      test-agent: if-tree a.c2 write a/x.txt from candidate 2',
    '    scope:',
    '      write_allow: ["a/**"]',
    '',
  ].join('\n');
  return committedPlanRepo(repo, { 'README.md': '# best\n', 'work-packages.yaml': text });
}

function personPickPlan(repo: string, feature = 'pick-editor'): string {
  const text = [
    'schema_version: 1',
    'feature:',
    `  id: ${feature}`,
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
  /** Until package a of the run of `feature` in `repo` awaits the pick (its state file says so). */
  const untilAwaitingPick = (repo: string, feature: string) =>
    waitFor(() => {
      const file = runStateFile(repo, feature);
      return fs.existsSync(file) && awaitingPick((JSON.parse(fs.readFileSync(file, 'utf8')) as RunState).packages.a!);
    }, 'a to await the pick', { timeoutMs: 60_000 });
  /** The run ended well with candidate `k` picked, its work merged. */
  const picked = async (session: Awaited<ReturnType<typeof start>>, repo: string, feature: string, k = 2) => {
    const outcome = await session.outcome;
    assert.ok(outcome);
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    assert.deepEqual(outcome.state.packages.a!.chosen, { candidate: k, why: 'your pick' });
    assert.equal(execFileSync('git', ['show', `${integrationBranch(feature)}:a/x.txt`], { cwd: repo, encoding: 'utf8' }), `from candidate ${k}`);
  };
  /** The person-pick plan of `feature` in a repository of its own, its run started (confirmed) and awaiting the pick; then `fn`. */
  const awaitingPickRun = async (feature: string, fn: (run: { session: Awaited<ReturnType<typeof start>>; repo: string; plan: string }) => Promise<void>) => {
    const folder = path.join(scratch.root.fsPath, feature);
    fs.mkdirSync(folder, { recursive: true });
    const plan = personPickPlan(path.join(folder, 'repo'), feature);
    const repo = path.dirname(plan);
    const controller = api.run.controller;
    const saved = controller.questions;
    controller.questions = { ...saved, confirmRun: async () => true };
    try {
      const session = await start(plan);
      await untilAwaitingPick(repo, feature);
      await fn({ session, repo, plan });
    } finally {
      controller.questions = saved;
    }
  };
  /** The plan's one package in the Waves view. */
  const packageNode = (plan: string) => {
    const tree = api.views.tree;
    const planNode = tree.getChildren().find((n) => n.kind === 'plan' && n.entry.uri.fsPath === plan);
    const waves = planNode ? tree.getChildren(planNode) : tree.getChildren();
    return waves.flatMap((w) => tree.getChildren(w)).find((n) => n.kind === 'package' && n.entry.uri.fsPath === plan);
  };
  /** The rows under the plan's one package in the Waves view: its candidates. */
  const candidateNodes = (plan: string) => {
    const pkg = packageNode(plan);
    return pkg ? api.views.tree.getChildren(pkg) : [];
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
      const [c1, c2] = state.packages.a!.candidates!;
      assert.equal(c2!.status, 'succeeded');
      // Out of its scope, 1 is never chosen: a violation when it ended first, else stopped once 2 went on (a loaded machine).
      assert.ok(c1!.status === 'scope-violation' || c1!.status === 'cancelled', c1!.status);
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

  it('pick: person — both candidates green, the package awaits the pick, said on its row, in its tooltip and in the status bar; Pick Candidate on a row (its context: waves.candidate.green) merges that one', async () => {
    await awaitingPickRun('pick-editor', async ({ session, repo, plan }) => {
      const tree = api.views.tree;
      // Its row waits for the person (not "running"), as one awaiting review does; the status bar names the wait.
      const row = await waitFor(() => {
        const node = packageNode(plan);
        const item = node && tree.getTreeItem(node);
        return item && /awaiting your pick/.test(String(item.description)) ? item : null;
      }, "a's row awaiting the pick", { timeoutMs: 30_000 });
      assert.doesNotMatch(String(row.description), /running/);
      assert.equal((row.iconPath as vscode.ThemeIcon).id, 'checklist');
      assert.match((row.tooltip as vscode.MarkdownString).value, /Awaits your pick: candidates 1 \\\(custom\\\), 2 \\\(custom\\\) passed audit and verification\. Pick Candidate/);
      // The status bar of the plan the person chose (Waves: Select Plan).
      await api.registry.setActive(vscode.Uri.file(plan));
      try {
        await waitFor(() => /1 awaiting your pick/.test(api.views.statusBar.text), 'the status bar names the wait', { timeoutMs: 10_000 });
        assert.doesNotMatch(api.views.statusBar.text, /running/);
      } finally {
        await api.registry.setActive(undefined);
      }
      const second = await waitFor(() => candidateNodes(plan).find((n) => tree.getTreeItem(n).contextValue === 'waves.candidate.green' && tree.getTreeItem(n).label === 'Candidate 2'), 'candidate 2 offered for the pick', { timeoutMs: 30_000 });
      assert.equal(await vscode.commands.executeCommand('waves.pickCandidate', second), true);
      await picked(session, repo, 'pick-editor');
    });
  });

  it('pick: person — a run found awaiting the pick with no driver (a reloaded window, a killed waves run) says it awaits the pick, with Pick…, not "stopped before it finished"; nothing starts', async () => {
    await awaitingPickRun('pick-reload', async ({ session, repo, plan }) => {
      // The same run as another window's driver left it: a plan of its own, the state as written while a awaited the pick, no lease.
      const feature = 'pick-reload-left';
      const state = JSON.parse(fs.readFileSync(runStateFile(repo, 'pick-reload'), 'utf8')) as RunState;
      fs.writeFileSync(runStateFile(repo, feature), JSON.stringify({ ...state, featureId: feature }, null, 2) + '\n');
      // Written through the editor's file system, as the other scratch plans are: the registry hears of it at once.
      const left = vscode.Uri.file(path.join(repo, 'left.work-packages.yaml'));
      await vscode.workspace.fs.writeFile(left, Buffer.from(fs.readFileSync(plan, 'utf8').replace('id: pick-reload', `id: ${feature}`)));
      // As a reloaded window finds it. Known gap (closing note): now and then the registry never hears of this file
      // (no watcher event reaches it); Refresh Plans, as a person would press it, then must find it.
      await waitForPlan(api, left, 'the left plan in the registry', () => true, 15_000).catch(async () => {
        await vscode.commands.executeCommand('waves.refresh');
        await waitForPlan(api, left, 'the left plan in the registry after Refresh Plans', () => true, 15_000);
      });
      await api.run.reconciler.reconcileAll(true);
      const record = api.run.reconciler.records.filter((r) => r.featureId === feature).at(-1);
      assert.deepEqual(record && [record.kind, record.detail], ['awaiting-pick', 'a awaits your pick']);
      const told = api.run.reconciler.offers.filter((m) => m.startsWith('Waves: a awaits your pick'));
      assert.equal(told.length, 1, JSON.stringify(api.run.reconciler.offers));
      assert.match(told[0]!, /^Waves: a awaits your pick — candidates 1 \(custom\), 2 \(custom\) passed audit and verification\. The run of The person picks goes on once you pick; nothing runs until then\.$/);
      assert.ok(!api.run.reconciler.offers.some((m) => m.includes('stopped before it finished') && m.includes('The person picks')));
      assert.equal(api.run.controller.session(feature), undefined, 'nothing starts without the pick');
      // The live run: picked as usual.
      assert.equal(await vscode.commands.executeCommand('waves.pickCandidate', { uri: vscode.Uri.file(plan), packageId: 'a', candidate: 2 }), true);
      await picked(session, repo, 'pick-reload');
    });
  });

  it('pick: person — Pick Candidate from the palette (no argument): on the active plan, its one package awaiting the pick; the compare list offers its green candidates and the one chosen there merges', async () => {
    await awaitingPickRun('pick-palette', async ({ session, repo, plan }) => {
      // The plan the person chose (Waves: Select Plan): the palette's commands act on it.
      await api.registry.setActive(vscode.Uri.file(plan));
      try {
        assert.equal(api.registry.active?.uri.fsPath, plan);
        // As from the palette: no argument. The compare list opens on a's candidates (the only package awaiting).
        const sent = vscode.commands.executeCommand('waves.pickCandidate');
        let settled = false;
        void Promise.resolve(sent).finally(() => (settled = true));
        // Its first row, candidate 1, taken as Enter would (again until the list has shown: accepting none does nothing).
        await waitFor(async () => {
          await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
          return settled;
        }, 'the compare list to show and take the first row', { timeoutMs: 30_000, intervalMs: 300 });
        assert.equal(await sent, true);
        await picked(session, repo, 'pick-palette', 1);
      } finally {
        await api.registry.setActive(undefined);
      }
    });
  });

  it("pick: person — the notification says a awaits its pick (once); the DAG panel's details list its candidates, refuse what cannot be picked, and Pick there merges that one", async () => {
    const notices = () => api.run.notifications.shown.filter((m) => m.startsWith('Waves: a awaits your pick'));
    const before = notices().length;
    await awaitingPickRun('pick-dag', async ({ session, repo, plan }) => {
      // The notification, with what passed; its Pick… opens the compare list for a.
      const told = await waitFor(() => (notices().length > before ? notices() : null), 'the notification that a awaits its pick', { timeoutMs: 30_000 });
      assert.match(told.at(-1)!, /^Waves: a awaits your pick — candidates 1 \(custom\), 2 \(custom\) passed audit and verification\./);

      // The DAG panel of the plan: its details of a, through the webview's message path.
      const panel = api.dag.show(vscode.Uri.file(plan))!;
      const seen: HostMessage[] = [];
      const sub = panel.onDidPost((m) => seen.push(m));
      let id = 9500;
      const ask = async (message: Record<string, unknown>) => {
        const requestId = ++id;
        await panel.handleMessage({ ...message, requestId });
        return waitFor(() => seen.find((m): m is Extract<HostMessage, { type: 'reply' }> => m.type === 'reply' && m.inReplyTo === requestId), `reply ${requestId}`);
      };
      try {
        const shown = await ask({ type: 'packageDetails', packageId: 'a' });
        assert.ok(shown.ok, JSON.stringify(shown));
        const run = (shown.result as PackageDetails).run!;
        assert.equal(run.awaitingPick, true);
        assert.deepEqual(run.candidates!.map((c) => [c.candidate, c.agent, c.state, c.actions.pick.enabled]), [
          [1, 'custom', 'green', true],
          [2, 'custom', 'green', true],
        ]);
        // Refused, never thrown: a malformed candidate, one the set does not have, a package the plan does not have.
        const malformed = await ask({ type: 'candidateAction', packageId: 'a', candidate: 9, action: 'pick' });
        assert.ok(!malformed.ok && malformed.error.code === 'invalid-message', JSON.stringify(malformed));
        const none = await ask({ type: 'candidateAction', packageId: 'a', candidate: 3, action: 'pick' });
        assert.ok(!none.ok && none.error.code === 'unknown-candidate' && none.error.message === 'a has no candidate 3', JSON.stringify(none));
        const ghost = await ask({ type: 'candidateAction', packageId: 'ghost', candidate: 1, action: 'pick' });
        assert.ok(!ghost.ok && ghost.error.code === 'unknown-package', JSON.stringify(ghost));

        // Pick candidate 2 from the panel: it goes on through Pick Candidate's front door; merged.
        const pick = await ask({ type: 'candidateAction', packageId: 'a', candidate: 2, action: 'pick' });
        assert.ok(pick.ok, JSON.stringify(pick));
        await picked(session, repo, 'pick-dag');
        // Once one went on, another pick is refused with the front door's words.
        const late = await ask({ type: 'candidateAction', packageId: 'a', candidate: 1, action: 'pick' });
        assert.ok(!late.ok && late.error.code === 'cannot-act' && /candidate 2 of a went on already/.test(late.error.message), JSON.stringify(late));
        assert.equal(notices().length, before + 1, 'told once for the wait');
      } finally {
        sub.dispose();
        panel.dispose();
      }
    });
  });
});

// The DAG panel's host (src/dag/) in a real VS Code: the ready/plan handshake with
// the real webview, validation and error replies, reveal beside the panel, details and the
// run actions' honest "not available yet", live status from a run-state file, the
// serializer, one panel per plan, Export DAG. No fixed sleeps: every wait is on a message
// the panel posts or on editor state.
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { createRunState } from '../../../src/core/run/runStateInit';
import { RUNS_FOLDER, runStateFileName } from '../../../src/store/runStore';
import { DAG_VIEW_TYPE, type DagPanel } from '../../../src/dag/dagPanel';
import type { HostMessage, PackageDetails, PlanMessage } from '../../../src/protocol';
import { closeEditors, waitFor, wavesApi, workspaceRoot } from '../helpers';

const planUri = () => vscode.Uri.joinPath(workspaceRoot(), 'work-packages.yaml');

/** Records what a panel posts; `next` waits for a message matching `test`. */
function recorder(panel: DagPanel) {
  const seen: HostMessage[] = [];
  const sub = panel.onDidPost((m) => seen.push(m));
  return {
    seen,
    next: <T extends HostMessage>(test: (m: HostMessage) => m is T, what: string) =>
      waitFor(() => seen.find(test), what).catch((err: Error) => {
        // What did arrive, for the failure's message.
        const summary = seen.map((m) => (m.type === 'plan' ? `plan ${m.runId} [${m.nodes.map((n) => `${n.id}:${n.status}`).join(' ')}]` : m.type === 'status' ? `status [${m.deltas.map((d) => `${d.id}:${d.status}`).join(' ')}]` : m.type));
        throw new Error(`${err.message}; messages so far: ${summary.slice(-12).join(' | ')}`);
      }),
    reply: (requestId: number) =>
      waitFor(() => seen.find((m): m is Extract<HostMessage, { type: 'reply' }> => m.type === 'reply' && m.inReplyTo === requestId), `reply ${requestId}`),
    dispose: () => sub.dispose(),
  };
}

const isPlan = (m: HostMessage): m is PlanMessage => m.type === 'plan';

describe('DAG panel', () => {
  let panel: DagPanel;
  let rec: ReturnType<typeof recorder>;

  before(async () => {
    const api = await wavesApi();
    await api.registry.setActive(planUri());
    panel = api.dag.show(planUri())!;
    assert.ok(panel, 'the panel opened');
    rec = recorder(panel);
  });
  after(async () => {
    rec.dispose();
    panel.dispose();
    await closeEditors(() => true);
  });

  it('sends the plan once the real webview says ready', async () => {
    const plan = await rec.next(isPlan, 'the plan after ready');
    assert.equal(plan.featureId, 'demo');
    assert.equal(plan.planUri, planUri().toString());
    assert.deepEqual(plan.nodes.map((n) => n.id).sort(), ['wp-api', 'wp-contract', 'wp-web']);
    assert.equal(plan.runId, null);
  });

  it('keeps one panel per plan, opened beside the editor', async () => {
    const api = await wavesApi();
    assert.equal(api.dag.show(planUri()), panel);
    assert.equal(api.dag.panelFor(planUri()), panel);
  });

  it('answers malformed and unknown requests with error replies', async () => {
    await panel.handleMessage({ type: 'packageAction', requestId: 9001, packageId: 'wp-api', action: 'explode' });
    const invalid = await rec.reply(9001);
    assert.ok(!invalid.ok && invalid.error.code === 'invalid-message' && /packageAction\.action/.test(invalid.error.message));
    await panel.handleMessage({ type: 'openPackage', requestId: 9002, packageId: 'nope' });
    const unknown = await rec.reply(9002);
    assert.ok(!unknown.ok && unknown.error.code === 'unknown-package');
    await panel.handleMessage({ type: 'openPackage', requestId: 'x', packageId: 'wp-api' });
    await panel.handleMessage({ type: 'packageAction', requestId: 9003, packageId: 'wp-api', action: 'run' });
    const run = await rec.reply(9003);
    assert.ok(!run.ok);
    // The run actions refuse with the reason when they cannot act.
    assert.equal(run.error.code, 'cannot-act');
    assert.match(run.error.message, /wp-api needs wp-contract to succeed first/);
    assert.ok(!rec.seen.some((m) => m.type === 'reply' && (m.inReplyTo as unknown) === 'x'), 'no reply without a usable request id');
  });

  it('gives the details of a package, with the run actions disabled and why', async () => {
    await panel.handleMessage({ type: 'packageDetails', requestId: 9010, packageId: 'wp-api' });
    const r = await rec.reply(9010);
    assert.ok(r.ok);
    const d = r.result as PackageDetails;
    assert.equal(d.id, 'wp-api');
    assert.deepEqual(d.dependencies, ['wp-contract']);
    assert.equal(d.wave, 2);
    assert.deepEqual(d.actions.reveal, { enabled: true });
    // Before any run (the run's actions): the prompt can be shown, the rest say why not.
    assert.deepEqual(d.actions.showPrompt, { enabled: true });
    const reasons: Record<string, RegExp> = {
      run: /wp-api needs wp-contract to succeed first/,
      retry: /only a failed, cancelled or interrupted package is retried/,
      cancel: /no run of this plan is going/,
      openTerminal: /has not started/,
      openWorktree: /has no worktree yet/,
      showChanges: /has not started/,
    };
    for (const [a, reason] of Object.entries(reasons)) {
      const state = d.actions[a as keyof typeof d.actions];
      assert.equal(state.enabled, false, a);
      assert.match(state.reason ?? '', reason, a);
    }
    assert.equal(d.run, null);
  });

  it('reveals a package in the plan, in another editor group than the panel', async () => {
    await panel.handleMessage({ type: 'openPackage', requestId: 9020, packageId: 'wp-web' });
    const r = await rec.reply(9020);
    assert.ok(r.ok, JSON.stringify(r));
    const editor = await waitFor(
      () => vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === planUri().toString()),
      'the plan in an editor',
    );
    const line = editor.document.lineAt(editor.selection.start.line).text;
    assert.match(line, /package_id: wp-web/);
    assert.ok(panel.visible || vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputWebview)), 'the panel is still open');
    // This plan's panel (its title names its feature): an earlier suite may have left another plan's panel open.
    const feature = (await wavesApi()).registry.get(planUri())?.analysis.plan.feature?.id ?? '';
    const groupOfPanel = vscode.window.tabGroups.all.find((g) =>
      g.tabs.some((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(DAG_VIEW_TYPE) && t.label === `DAG — ${feature}`),
    );
    assert.ok(groupOfPanel, 'the panel has a tab');
    assert.notEqual(groupOfPanel.viewColumn, editor.viewColumn, 'the plan did not open over the panel');
  });

  it('follows a run-state file: a new run sends a plan with its statuses, then a change sends a status delta', async () => {
    const file = vscode.Uri.joinPath(workspaceRoot(), RUNS_FOLDER, runStateFileName('demo'));
    const state = createRunState({ featureId: 'demo', planFile: 'work-packages.yaml', runId: 'run-1', packageIds: ['wp-contract', 'wp-api', 'wp-web'], now: new Date() });
    const write = (s: unknown) => vscode.workspace.fs.writeFile(file, new TextEncoder().encode(JSON.stringify(s, null, 2)));
    try {
      await write(state);
      await rec.next((m): m is PlanMessage => isPlan(m) && m.runId === 'run-1', 'a plan for run-1');
      const started = new Date().toISOString();
      const next = structuredClone(state);
      Object.assign(next.packages['wp-contract'], { status: 'succeeded', attempts: 1, startedAt: started, endedAt: started, exitCode: 0 });
      next.updatedAt = started;
      await write(next);
      const status = await rec.next(
        (m): m is Extract<HostMessage, { type: 'status' }> => m.type === 'status' && m.deltas.some((d) => d.id === 'wp-contract' && d.status === 'succeeded'),
        'a status delta for wp-contract',
      );
      assert.deepEqual(status.deltas.map((d) => d.id), ['wp-contract'], 'only the changed package');
      await panel.handleMessage({ type: 'packageDetails', requestId: 9030, packageId: 'wp-contract' });
      const r = await rec.reply(9030);
      assert.ok(r.ok);
      assert.equal((r.result as PackageDetails).run?.status, 'succeeded');
      assert.equal((r.result as PackageDetails).run?.exitCode, 0);
    } finally {
      await vscode.workspace.fs.delete(vscode.Uri.joinPath(workspaceRoot(), '.waves'), { recursive: true, useTrash: false });
    }
  });

  it('exports the DAG as Mermaid and as SVG', async () => {
    const mmd = vscode.Uri.joinPath(workspaceRoot(), 'out', 'dag.mmd');
    const svg = vscode.Uri.joinPath(workspaceRoot(), 'out', 'dag.svg');
    try {
      const written = await vscode.commands.executeCommand<vscode.Uri>('waves.exportDag', 'mermaid', mmd);
      assert.equal(written?.toString(), mmd.toString());
      assert.match(new TextDecoder().decode(await vscode.workspace.fs.readFile(mmd)), /^flowchart LR\n/);
      await vscode.commands.executeCommand('waves.exportDag', 'svg', svg);
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(svg));
      assert.match(text, /^<svg xmlns/);
      assert.equal(text.match(/<g class="node/g)?.length, 3);
    } finally {
      await vscode.workspace.fs.delete(vscode.Uri.joinPath(workspaceRoot(), 'out'), { recursive: true, useTrash: false });
    }
  });

  it('restores a panel through the serializer, for the plan in its saved state', async () => {
    const api = await wavesApi();
    panel.dispose();
    await waitFor(() => !api.dag.panelFor(planUri()), 'the old panel gone');
    const raw = vscode.window.createWebviewPanel(DAG_VIEW_TYPE, 'restored', vscode.ViewColumn.Beside, {});
    await api.dag.deserializeWebviewPanel(raw, { planUri: planUri().toString(), viewport: { x: 1, y: 2, zoom: 1 } });
    const restored = api.dag.panelFor(planUri());
    assert.ok(restored, 'the serializer adopted the panel for its plan');
    const again = recorder(restored);
    try {
      const plan = await again.next(isPlan, 'a plan from the restored panel');
      assert.equal(plan.planUri, planUri().toString());
    } finally {
      again.dispose();
      panel = restored; // disposed in after()
    }
  });
});

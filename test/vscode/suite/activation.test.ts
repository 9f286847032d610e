import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, extension, waitFor, wavesApi, wavesDiagnostics, workspaceRoot } from '../helpers';

describe('activation', () => {
  it('the extension under test is loaded', () => {
    const ext = extension();
    assert.equal(ext.id, EXTENSION_ID);
    assert.equal(ext.packageJSON.name, 'wave-orchestrator');
  });

  it('the test workspace is open and holds a work-packages.yaml', async () => {
    const root = workspaceRoot();
    const plans = await vscode.workspace.findFiles('**/work-packages.yaml', '**/node_modules/**');
    assert.deepEqual(
      plans.map((u) => vscode.workspace.asRelativePath(u, false)),
      ['work-packages.yaml'],
      `plans found under ${root.toString()}`,
    );
  });

  it('activates by itself in a workspace with a work-packages.yaml', async function () {
    this.timeout(30_000);
    const ext = extension();
    // No ext.activate() here: the activation event (workspaceContains) must do it.
    try {
      await waitFor(() => ext.isActive, 'the extension to activate on its activation events', { timeoutMs: 20_000 });
    } catch (e) {
      // Tell an activation error apart from a missing activation event.
      let detail = 'activate() by hand succeeded, so the activation events did not fire';
      try {
        await ext.activate();
      } catch (err) {
        detail = `activate() throws: ${(err as Error)?.stack ?? String(err)}`;
      }
      throw new Error(`${(e as Error).message}; ${detail}`);
    }
  });

  it('registers every command its package.json contributes', async () => {
    const ext = extension();
    await ext.activate();
    const contributed: string[] = (ext.packageJSON.contributes?.commands ?? []).map((c: { command: string }) => c.command);
    assert.ok(contributed.length > 0, 'package.json contributes commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      contributed.filter((id) => !registered.has(id)),
      [],
      'contributed but not registered',
    );
  });

  it("reads the workspace's plan: one valid plan, its waves, no diagnostics", async () => {
    const { registry } = await wavesApi();
    const uri = vscode.Uri.joinPath(workspaceRoot(), 'work-packages.yaml');
    assert.deepEqual(
      registry.plans.map((p) => p.label),
      ['work-packages.yaml'],
    );
    assert.equal(registry.active?.uri.toString(), uri.toString(), 'the only plan is the active one');
    const { analysis } = registry.active!;
    assert.ok(analysis.valid, `valid; diagnostics: ${JSON.stringify(analysis.diagnostics.map((d) => d.code))}`);
    assert.equal(analysis.plan.feature?.id, 'demo');
    assert.deepEqual(analysis.graph.waves, [['wp-contract'], ['wp-api', 'wp-web']]);
    assert.deepEqual(analysis.diagnostics, []);
    assert.deepEqual(wavesDiagnostics(uri), [], 'nothing in the Problems panel');
    assert.ok(
      Object.keys(require.cache).some((f) => /[\\/]dist[\\/]planAnalysis\.js$/.test(f) && f.startsWith(extension().extensionPath)),
      'plan analysis is loaded from its own bundle (ADR 0020)',
    );
  });

  it("loads no reader of other tools' task lists for VS Code's own .vscode/tasks.json (ADR 0030)", async () => {
    const { registry } = await wavesApi();
    await registry.ready;
    const tasks = vscode.Uri.joinPath(workspaceRoot(), '.vscode', 'tasks.json');
    assert.ok(fs.existsSync(tasks.fsPath), 'the test workspace has one');
    assert.equal(registry.get(tasks), undefined, 'no entry for it');
    assert.deepEqual(
      Object.keys(require.cache).filter((f) => /[\\/]dist[\\/]foreignAnalysis\.js$/.test(f) && f.startsWith(extension().extensionPath)),
      [],
      'the bundle of the readers (dist/foreignAnalysis.js) is not loaded',
    );
  });

  // ADR 0020: these two run before any other suite file reads the on-demand parts.
  const onDemandLoaded = () => Object.keys(require.cache).filter((f) => /[\\/]dist[\\/](onDemand|engine|runStateCheck)\.js$/.test(f) && f.startsWith(extension().extensionPath));

  it('loads nothing of the run engine, planning, hosts or the DAG panel at activation', async () => {
    const api = await wavesApi();
    assert.equal(api.onDemand.loaded, undefined, 'the on-demand parts are not built');
    assert.deepEqual(onDemandLoaded(), [], 'no on-demand bundle is loaded');
  });

  it('builds them on the first command of theirs, which runs with its arguments (Export DAG)', async () => {
    const api = await wavesApi();
    const target = vscode.Uri.file(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-export-')), 'plan.mmd'));
    const written = await vscode.commands.executeCommand<vscode.Uri | undefined>('waves.exportDag', 'mermaid', target);
    assert.equal(written?.toString(), target.toString(), 'the command ran and answered');
    assert.match(fs.readFileSync(target.fsPath, 'utf8'), /flowchart/);
    assert.equal(api.onDemand.loaded?.by, 'waves.exportDag');
    assert.deepEqual(onDemandLoaded().map((f) => path.basename(f)), ['onDemand.js', 'engine.js', 'runStateCheck.js'], 'the parts, with the engine they import (ADR 0029)');
    const contributed: string[] = (extension().packageJSON.contributes?.commands ?? []).map((c: { command: string }) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      contributed.filter((id) => !registered.has(id)),
      [],
      'contributed but not registered once the parts are built',
    );
  });
});

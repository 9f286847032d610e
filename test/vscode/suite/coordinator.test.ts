// With a shared coordinator (`waves.coordinator`, a real PostgreSQL cluster
// started here), a file owned by ANOTHER driver's running package — a real engine in its own
// process, on another clone of this repository — is decorated in the Explorer with who and where
// in its tooltip, and the Ownership view lists that driver's run under "Other drivers".
// Workspace `basic`: wp-api owns src/api/** (wave 2).
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { openCoordinator } from '../../../src/engine/coordinator/openCoordinator';
import { registerPlannedClaims, removePlannedClaims } from '../../../src/engine/coordinator/plannedClaims';
import pg from 'pg';
import { startCluster, type Cluster } from '../../coordinator/postgres';
import { planRepo } from '../../fixtures/startRefusals';
import { extension, pidAlive, waitFor, waitForPlan, wavesApi, workspaceRoot } from '../helpers';

const file = (rel: string) => vscode.Uri.joinPath(workspaceRoot(), ...rel.split('/'));

describe('shared coordinator', function () {
  this.timeout(180_000);
  let api: WavesApi;
  let cluster: Cluster | undefined;
  let other: ChildProcess | undefined;
  let scratch: string;

  before(async () => {
    api = await wavesApi();
    await api.ownership.model.ready;
    cluster = await startCluster(extension().extensionPath);
    scratch = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-other-driver-')));
  });

  after(async () => {
    await vscode.workspace.getConfiguration('waves').update('coordinator', undefined, vscode.ConfigurationTarget.Global);
    if (other && other.exitCode === null && other.signalCode === null) other.kill('SIGKILL');
    // A test that failed before it opened its gate leaves the other driver's runner with its agent waiting for it: stopped.
    await stopRunnersUnder(scratch);
    cluster?.remove();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  /**
   * Another clone of this repository in `scratch/<name>`, driven by "Bo Remote" (a real engine in
   * its own process): its package wp-remote writes src/api/** once `gate` exists. Resolves once
   * wp-remote runs there; `out()` is what the engine printed so far.
   */
  async function otherDriver(name: string, gate: string): Promise<{ clone: string; child: ChildProcess; out: () => string }> {
    const clone = path.join(scratch, name);
    const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    git(scratch, 'clone', '-q', workspaceRoot().fsPath, clone);
    git(clone, 'config', 'user.name', 'Bo Remote');
    git(clone, 'config', 'user.email', 'bo@example.invalid');
    fs.writeFileSync(
      path.join(clone, 'remote.yaml'),
      [
        'schema_version: 1',
        'feature:',
        '  id: remote-feature',
        '  title: Work on another clone',
        'packages:',
        '  - package_id: wp-remote',
        '    title: Remote package',
        '    description: |',
        `      test-agent: wait-for ${gate}`,
        '      test-agent: write src/api/remote.ts export const remote = 1;',
        '      test-agent: commit',
        '    scope:',
        '      write_allow: ["src/api/**"]',
        '',
      ].join('\n'),
    );
    git(clone, 'add', 'remote.yaml');
    git(clone, 'commit', '-q', '-m', 'the remote plan');
    const root = extension().extensionPath;
    const config = { planFile: path.join(clone, 'remote.yaml'), runnerScript: path.join(root, 'dist', 'runner.js'), coordinator: { url: cluster!.url } };
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test', 'engine', 'engine-driver.ts'), JSON.stringify(config)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('"packageId":"wp-remote","status":"running"'), `wp-remote running on the other clone (${out})`, { timeoutMs: 60_000 });
    return { clone, child, out: () => out };
  }

  it("decorates a file owned by another driver's running package, with who and where", async () => {
    // Another clone of this repository, driven by "Bo Remote": its package wp-remote writes src/api/**.
    const gate = path.join(scratch, 'go');
    const driven = await otherDriver('clone', gate);
    const { clone } = driven;
    other = driven.child;
    const out = driven.out;

    // This window joins the same coordinator (the person's own setting, never the workspace's).
    await vscode.workspace.getConfiguration('waves').update('coordinator', cluster!.url, vscode.ConfigurationTarget.Global);
    const where = `Bo Remote on ${os.hostname()} (${clone})`;
    const tooltip = () => {
      const d = api.ownership.files.provideFileDecoration(file('src/api/items.ts'));
      return typeof d?.tooltip === 'string' ? d.tooltip : '';
    };
    await waitFor(() => tooltip().includes(where), `the decoration to name the other driver (now: ${tooltip()})`, { timeoutMs: 30_000 });
    const decoration = api.ownership.files.provideFileDecoration(file('src/api/items.ts'))!;
    assert.equal(decoration.badge, 'L');
    assert.equal((decoration.color as unknown as { id?: string }).id, 'waves.ownership.lockedForeground');
    assert.equal(decoration.tooltip, `owned by wp-api · wave 2 · written by wp-remote (feature remote-feature), running — ${where}`);
    // Files no other driver may write keep the plan's own state.
    assert.equal(api.ownership.files.provideFileDecoration(file('src/web/items.tsx'))?.tooltip, 'owned by wp-web · wave 2');
    // A plan in a repository nested in the folder is not this coordinator's repository: none of its drivers' locks count there.
    const nested = planRepo(path.join(workspaceRoot().fsPath, 'zz-nested-coordinator'), 'nested-coordinator');
    try {
      const nestedPlan = vscode.Uri.file(nested.plan);
      await waitForPlan(api, nestedPlan, 'the nested plan in the registry');
      const repo = await waitFor(() => {
        const r = api.ownership.runs.repositoryOf(nestedPlan);
        return r && fs.realpathSync(r.fsPath) === nested.repo ? r : undefined;
      }, 'the nested repository followed');
      const others = (where: vscode.Uri | vscode.WorkspaceFolder) => api.ownership.runs.lockTable(where).locks.filter((l) => 'owner' in l).length;
      assert.ok(others(vscode.workspace.workspaceFolders![0]!) > 0, "the folder's repository: the other driver's locks");
      assert.equal(others(repo), 0, 'the nested repository: none');
    } finally {
      fs.rmSync(path.join(workspaceRoot().fsPath, 'zz-nested-coordinator'), { recursive: true, force: true });
    }

    // The Ownership view: "Other drivers" → the run → its package and what it may write.
    const tree = api.ownership.tree;
    const others = tree.getChildren()[0]!;
    assert.equal(tree.getTreeItem(others).label, 'Other drivers');
    const [run] = tree.getChildren(others);
    assert.ok(run);
    const runItem = tree.getTreeItem(run);
    assert.equal(runItem.label, 'remote-feature');
    assert.match(String(runItem.description), new RegExp(`^Bo Remote on ${os.hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} · 1 package under way$`));
    const [pkg] = tree.getChildren(run);
    assert.ok(pkg);
    assert.equal(tree.getTreeItem(pkg).label, 'wp-remote');
    assert.equal(tree.getTreeItem(pkg).description, 'running · writes src/api/**');

    // The other driver finishes: its package leaves the registry and the file is the plan's again.
    fs.writeFileSync(gate, 'go');
    const ended = await new Promise<number | null>((resolve) => other!.once('exit', (code) => resolve(code)));
    assert.equal(ended, 0, out());
    assert.match(out(), /"type":"outcome","outcome":"succeeded"/);
    await waitFor(() => tooltip() === 'owned by wp-api · wave 2', `the decoration back to the plan's (now: ${tooltip()})`, { timeoutMs: 30_000 });
    assert.equal(tree.getChildren().some((n) => tree.getTreeItem(n).label === 'Other drivers'), false);
  });

  it("asks another driver to cancel its package through the coordinator, from the Ownership view's Other drivers", async () => {
    const driven = await otherDriver('clone-cancel', path.join(scratch, 'never'));
    other = driven.child;
    await vscode.workspace.getConfiguration('waves').update('coordinator', cluster!.url, vscode.ConfigurationTarget.Global);
    const tree = api.ownership.tree;
    const othersNode = () => tree.getChildren().find((n) => tree.getTreeItem(n).label === 'Other drivers');
    await waitFor(() => othersNode() !== undefined && tree.getChildren(othersNode()!).length === 1, 'the other driver listed', { timeoutMs: 30_000 });
    const [run] = tree.getChildren(othersNode()!);
    const [pkg] = tree.getChildren(run!);
    // The items the inline "Ask Its Driver to Cancel…" action shows on (package.json's view/item/context).
    assert.equal(tree.getTreeItem(run!).contextValue, 'waves.ownership.foreignRun');
    assert.equal(tree.getTreeItem(pkg!).contextValue, 'waves.ownership.foreignPackage');
    const node = pkg as unknown as { run: Parameters<typeof api.run.shared.askToCancel>[0]; pkg: { id: string } };
    const asked = await api.run.shared.askToCancel(node.run, node.pkg.id);
    assert.equal(asked.ok, true, asked.text);
    assert.match(asked.text, new RegExp(`^asked Bo Remote on ${os.hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(.*clone-cancel\\) to cancel wp-remote of remote-feature; its engine takes the request within about \\d+ s$`));
    // Its engine, on the other clone, cancels the package at its heartbeat and ends.
    const ended = await new Promise<number | null>((resolve) => other!.once('exit', (code) => resolve(code)));
    assert.equal(ended, 0, driven.out());
    assert.match(driven.out(), /asked through the coordinator to cancel wp-remote/);
    assert.match(driven.out(), /"packageId":"wp-remote","status":"cancelled"/);
    assert.doesNotMatch(driven.out(), /"type":"outcome","outcome":"succeeded"/);
    await waitFor(() => othersNode() === undefined, 'Other drivers gone with the run', { timeoutMs: 30_000 });
    // Nothing left to cancel: said, not thrown.
    const again = await api.run.shared.askToCancel(node.run, node.pkg.id);
    assert.equal(again.ok, false);
    assert.match(again.text, /nothing to cancel/);
    await vscode.workspace.getConfiguration('waves').update('coordinator', undefined, vscode.ConfigurationTarget.Global);
  });

  it("another feature's approved plan: what this plan shares with it is a warning on the entry, in the Problems panel (#19 item 5)", async () => {
    await vscode.workspace.getConfiguration('waves').update('coordinator', cluster!.url, vscode.ConfigurationTarget.Global);
    const planUri = file('work-packages.yaml');
    const root = workspaceRoot().fsPath;
    // Approved elsewhere (the front door's approvePlanning registers them so): billing's wp-items writes src/api/items/** and locks the same key as wp-api.
    const other = analyzePlan(
      ['schema_version: 1', 'feature:', '  id: billing', 'packages:', '  - package_id: wp-items', '    title: Items', '    locks:', '      keys: ["api:get /v1/items"]', '    scope:', '      write_allow: ["src/api/items/**"]', ''].join('\n'),
    ).plan;
    const registered = await registerPlannedClaims(root, { url: cluster!.url }, { featureId: 'billing', planId: 'billing-plan', plan: other });
    assert.ok(registered.ok, registered.ok ? '' : registered.message);
    const mine = () => vscode.languages.getDiagnostics(planUri).filter((d) => d.source === 'waves coordinator');
    await waitFor(() => mine().length === 2, `two warnings from billing's planned claims (now: ${mine().map((d) => d.message).join(' | ')})`, { timeoutMs: 30_000 });
    const text = fs.readFileSync(planUri.fsPath, 'utf8').split('\n');
    const at = (d: vscode.Diagnostic) => text[d.range.start.line]!.slice(d.range.start.character, d.range.end.character);
    const [write, key] = [mine().find((d) => d.code === 'planned-claim-overlap')!, mine().find((d) => d.code === 'planned-lock-key')!];
    assert.equal(write.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(at(write), '"src/api/**"');
    assert.match(write.message, /^wp-api's write scope src\/api\/\*\* meets the write scope src\/api\/items\/\*\* planned by feature billing \(both cover src\/api\/items[^)]*\): its package wp-items, approved by /);
    assert.equal(at(key), '"api:GET /v1/items"');
    assert.match(key.message, /lock key api:GET \/v1\/items meets the same planned by feature billing.*Run Plan refuses this plan while that claim stands\.$/);
    // The Ownership view lists billing under "Planned by other features", with the inline Release action.
    const tree = api.ownership.tree;
    const plannedNode = () => tree.getChildren().find((n) => tree.getTreeItem(n).label === 'Planned by other features');
    await waitFor(() => plannedNode() !== undefined, 'the planned features listed in the Ownership view', { timeoutMs: 30_000 });
    assert.equal(tree.getTreeItem(plannedNode()!).description, '1 feature');
    const [billing] = tree.getChildren(plannedNode()!);
    const billingItem = tree.getTreeItem(billing!);
    assert.equal(billingItem.label, 'billing');
    assert.equal(billingItem.contextValue, 'waves.ownership.plannedFeature');
    assert.match(String(billingItem.description), /^1 write scope, 1 lock key · approved by /);
    // Each warning offers to release billing's claims (its session may be gone with its clone).
    await vscode.workspace.openTextDocument(planUri);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', planUri, key.range, vscode.CodeActionKind.QuickFix.value);
    const release = actions.find((a) => a.title === 'Release the planned claims of feature billing…');
    assert.ok(release, actions.map((a) => a.title).join(' | '));
    assert.equal(release.command?.command, 'waves.releasePlannedClaims');
    assert.deepEqual(release.command?.arguments, [{ featureId: 'billing', folder: vscode.workspace.getWorkspaceFolder(planUri)!.uri.toString() }]);
    // What the command does once confirmed: the claims withdrawn, the warnings go.
    const folder = vscode.workspace.getWorkspaceFolder(planUri)!;
    const released = await api.run.shared.releaseClaims(folder, 'billing');
    assert.ok(released.ok, released.text);
    assert.match(released.text, /^released the planned claims of billing: 1 package — 1 write scope, 1 lock key; approved by .* at \d{4}-.*, session billing-plan$/);
    await waitFor(() => mine().length === 0, 'the warnings gone with the claims', { timeoutMs: 30_000 });
    await waitFor(() => plannedNode() === undefined, 'the Ownership view no longer lists them', { timeoutMs: 30_000 });
    const again = await api.run.shared.releaseClaims(folder, 'billing');
    assert.deepEqual(again, { ok: false, text: 'feature billing has no planned claims in the coordinator any more' });
    assert.equal((await removePlannedClaims(root, { url: cluster!.url }, 'billing')).ok, true);
  });

  it("lists the repository's pull workers under Workers — machine, agents, labels, heartbeat, silent — and drains and undrains one from its item", async () => {
    await vscode.workspace.getConfiguration('waves').update('coordinator', cluster!.url, vscode.ConfigurationTarget.Global);
    // Two workers as `waves worker` registers them: gpu-1 just now, old-1 silent for ten minutes (longer than a claim's lease).
    const coordinator = await openCoordinator(workspaceRoot().fsPath, { url: cluster!.url });
    const db = new pg.Client({ connectionString: cluster!.url });
    await db.connect();
    try {
      const queue = coordinator.queue();
      await queue.register({ name: 'gpu-1', machine: 'rack7.local', agents: ['claude', 'codex'], labels: ['gpu'], slots: 1 });
      await queue.register({ name: 'old-1', machine: 'rack8.local', agents: ['codex'], labels: [], slots: 1 });
      await db.query("UPDATE waves_workers SET heartbeat_at = now() - interval '10 minutes' WHERE name = 'old-1'");
      const tree = api.ownership.tree;
      const workersNode = () => tree.getChildren().find((n) => tree.getTreeItem(n).label === 'Workers');
      const row = (name: string) => {
        const node = workersNode() && tree.getChildren(workersNode()!).find((n) => tree.getTreeItem(n).label === name);
        return node && { node, item: tree.getTreeItem(node) };
      };
      await waitFor(() => row('gpu-1') && row('old-1'), 'both workers under Workers', { timeoutMs: 30_000 });
      assert.equal(tree.getTreeItem(workersNode()!).description, '2 workers · 1 silent');
      const gpu = row('gpu-1')!.item;
      assert.equal(gpu.description, 'on rack7.local · claude, codex [gpu] · heartbeat under 10 s ago');
      assert.equal(gpu.contextValue, 'waves.ownership.worker');
      assert.equal((gpu.iconPath as vscode.ThemeIcon).id, 'server-process');
      assert.equal((gpu.iconPath as vscode.ThemeIcon).color, undefined);
      // The tooltip is Markdown with every text escaped (appendText): read back as the words it shows.
      const tip = (item: vscode.TreeItem) => (item.tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1');
      assert.match(tip(gpu), /^\*\*gpu-1 on rack7\.local\*\*\n\nAgents: claude, codex\n\nLabels: gpu\n\nSlots: 1\n\nLast heartbeat under 10 s ago/);
      const old = row('old-1')!.item;
      assert.equal(old.description, 'on rack8.local · codex · silent for 10 min');
      assert.equal(((old.iconPath as vscode.ThemeIcon).color as unknown as { id: string }).id, 'problemsWarningIcon.foreground');
      assert.match(tip(old), /Silent: no heartbeat for 10 min, longer than a claim's lease/);
      assert.equal(old.accessibilityInformation?.label, 'Worker old-1, on rack8.local, codex, silent for 10 min');

      // Drain, from gpu-1's item (the inline action and context menu: package.json's view/item/context): nothing asked, the row says draining.
      await vscode.commands.executeCommand('waves.drainWorker', row('gpu-1')!.node);
      assert.equal((await queue.workers()).find((w) => w.name === 'gpu-1')?.draining, true, 'drained in the coordinator');
      await waitFor(() => row('gpu-1')?.item.contextValue === 'waves.ownership.workerDraining', 'gpu-1 shown draining', { timeoutMs: 15_000 });
      const drained = row('gpu-1')!.item;
      assert.match(String(drained.description), /^on rack7\.local · claude, codex \[gpu\] · heartbeat (under 10|\d0) s ago · draining$/);
      assert.equal((drained.iconPath as vscode.ThemeIcon).id, 'debug-pause');
      assert.match(tip(drained), /Draining: it finishes what it holds and claims nothing new/);
      assert.match(String(tree.getTreeItem(workersNode()!).description), /^2 workers · 1 draining · 1 silent$/);

      // Undrain it again from its item.
      await vscode.commands.executeCommand('waves.undrainWorker', row('gpu-1')!.node);
      assert.equal((await queue.workers()).find((w) => w.name === 'gpu-1')?.draining, false);
      await waitFor(() => row('gpu-1')?.item.contextValue === 'waves.ownership.worker', 'gpu-1 takes work again', { timeoutMs: 15_000 });
      assert.doesNotMatch(String(row('gpu-1')!.item.description), /draining/);

      // What the commands say: done, or why not (a worker gone), never thrown.
      assert.deepEqual(await api.run.shared.drainWorker('old-1', true), { ok: true, text: 'old-1 is draining: it finishes what it holds and claims nothing new' });
      assert.deepEqual(await api.run.shared.drainWorker('old-1', false), { ok: true, text: 'old-1 takes work again' });
      assert.deepEqual(await api.run.shared.drainWorker('nobody', true), { ok: false, text: 'no worker named nobody works for this repository any more' });
    } finally {
      await db.query('DELETE FROM waves_workers');
      await db.end();
      await coordinator.close();
    }
    // The coordinator out of reach: a drain says so, without the password.
    await vscode.workspace.getConfiguration('waves').update('coordinator', 'postgres://bo:hunter22@127.0.0.1:1/waves', vscode.ConfigurationTarget.Global);
    await waitFor(() => api.run.shared.problem(vscode.workspace.workspaceFolders![0]) !== null, 'the coordinator out of reach', { timeoutMs: 30_000 });
    const away = await api.run.shared.drainWorker('gpu-1', true);
    assert.equal(away.ok, false);
    assert.match(away.text, /^gpu-1 could not be drained: .*postgres:\/\/bo:\*\*\*@127\.0\.0\.1:1\/waves/);
    assert.doesNotMatch(away.text, /hunter22/);
    await vscode.workspace.getConfiguration('waves').update('coordinator', undefined, vscode.ConfigurationTarget.Global);
    await waitFor(() => api.ownership.tree.getChildren().every((n) => api.ownership.tree.getTreeItem(n).label !== 'Workers'), 'Workers gone with the setting', { timeoutMs: 30_000 });
  });

  it('a coordinator out of reach: said in the Ownership view without its password, and the plan still decorates', async () => {
    await vscode.workspace.getConfiguration('waves').update('coordinator', 'postgres://bo:hunter22@127.0.0.1:1/waves', vscode.ConfigurationTarget.Global);
    const tree = api.ownership.tree;
    const othersNode = () => tree.getChildren().find((n) => tree.getTreeItem(n).label === 'Other drivers');
    await waitFor(() => othersNode() !== undefined, 'the Other drivers section', { timeoutMs: 30_000 });
    const others = othersNode()!;
    assert.equal(tree.getTreeItem(others).description, 'coordinator out of reach');
    const [note] = tree.getChildren(others);
    const label = String(tree.getTreeItem(note!).label);
    assert.match(label, /^The coordinator postgres:\/\/bo:\*\*\*@127\.0\.0\.1:1\/waves cannot be reached/);
    assert.doesNotMatch(JSON.stringify(tree.getTreeItem(note!)), /hunter22/);
    // The files of .waves/ and the plan are shown as they are.
    assert.equal(api.ownership.files.provideFileDecoration(file('src/api/items.ts'))?.tooltip, 'owned by wp-api · wave 2');
    await vscode.workspace.getConfiguration('waves').update('coordinator', undefined, vscode.ConfigurationTarget.Global);
    await waitFor(() => othersNode() === undefined, 'the Other drivers section gone with the setting', { timeoutMs: 30_000 });
  });
});

/** SIGTERM to every runner whose attempt lies under `dir` (its meta.json's `runnerPid`), and a wait until they are gone (at most 10 s). */
async function stopRunnersUnder(dir: string): Promise<void> {
  const metas = (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[]).filter((e) => e.isFile() && e.name === 'meta.json').map((e) => path.join(e.parentPath, e.name));
  // The runner's pid with its start token in its command line (a pid alone may be another process's by now).
  const isRunner = (meta: { runnerPid?: number; startToken?: string }) => {
    try {
      return typeof meta.runnerPid === 'number' && !!meta.startToken && fs.readFileSync(`/proc/${meta.runnerPid}/cmdline`, 'utf8').includes(meta.startToken);
    } catch {
      return false;
    }
  };
  const pids = metas.map((m) => JSON.parse(fs.readFileSync(m, 'utf8')) as { runnerPid?: number; startToken?: string }).filter(isRunner).map((meta) => meta.runnerPid!);
  for (const pid of pids) process.kill(pid, 'SIGTERM');
  for (let waited = 0; waited < 10_000 && pids.some(pidAlive); waited += 100) await new Promise((r) => setTimeout(r, 100));
}

// Task lists kept one task a file, in a real VS Code: a GSD phase folder and a Spec Kitty feature
// (fixtures from public repositories, test/fixtures/formats/gsd and spec-kitty) are found and
// shown as one plan each, keyed by the folder — a row in the Waves view, their waves in the DAG
// panel, each problem in the Problems panel on the file and line it concerns, hover and lenses on
// each file — read again when one of their files changes, and converted as `waves convert
// <folder>` converts them.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import type { Converted } from '../../../src/extension/foreignPlans/convertInEditor';
import type { HostMessage, PackageDetails, PlanMessage } from '../../../src/protocol';
import { Scratch, autoSaveOff, closeEditors, describeDiagnostic, extension, waitFor, waitForPlan, wavesApi } from '../helpers';

const FIXTURES = () => path.join(extension().extensionPath, 'test', 'fixtures', 'formats');

function problems(uri: vscode.Uri): string[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === 'waves')
    .map(describeDiagnostic);
}

/** Copies a fixture folder (its files and the folders under it) into the scratch folder at `to`. */
async function copyFolder(scratch: Scratch, from: string, to: string): Promise<void> {
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    if (e.isDirectory()) await copyFolder(scratch, path.join(from, e.name), `${to}/${e.name}`);
    else if (e.name !== 'README.md') await scratch.write(`${to}/${e.name}`, fs.readFileSync(path.join(from, e.name), 'utf8'));
  }
}

async function planMessage(api: WavesApi, uri: vscode.Uri): Promise<{ plan: PlanMessage; seen: HostMessage[]; dispose(): void }> {
  const panel = api.dag.show(uri)!;
  const seen: HostMessage[] = [];
  const sub = panel.onDidPost((m) => seen.push(m));
  const plan = await waitFor(() => seen.find((m): m is PlanMessage => m.type === 'plan'), 'the plan message');
  return { plan, seen, dispose: () => sub.dispose() };
}

describe('Task lists kept one task a file (GSD phase folder, Spec Kitty feature)', function () {
  this.timeout(60_000);
  let api: WavesApi;
  let scratch: Scratch;
  let saved: WavesApi['foreignPlans']['notify'];
  let savedUpdates: WavesApi['foreignPlans']['updates']['questions'];

  before(async () => {
    // The tests of unsaved text must not race code-server's auto-save (an edit saved after a second
    // is then the file on disk, and reverting it changes nothing).
    await autoSaveOff.before();
    api = await wavesApi();
    saved = api.foreignPlans.notify;
    api.foreignPlans.notify = async () => undefined;
    // No real notification is left open (the offers wait on each other): a folder converted here
    // changes again as the scratch folder is deleted file by file.
    savedUpdates = api.foreignPlans.updates.questions;
    api.foreignPlans.updates.questions = { offerUpdate: async () => 'ignore' };
    scratch = new Scratch('folders');
  });
  after(async () => {
    api.foreignPlans.notify = saved;
    await closeEditors(() => true);
    await scratch.dispose();
    await api.foreignPlans.updates.idle;
    api.foreignPlans.updates.questions = savedUpdates;
    await autoSaveOff.after();
  });

  describe('a GSD phase folder', () => {
    let folder: vscode.Uri;
    const file = (name: string) => vscode.Uri.joinPath(folder, name);

    before(async () => {
      await copyFolder(scratch, path.join(FIXTURES(), 'gsd', 'phases', '02-auth'), '.planning/phases/02-auth');
      folder = scratch.uri('.planning/phases/02-auth');
      // Opened, as a person looks at their plan: code-server's file watcher, busy with the whole
      // suite's workspace, has missed files written into a new dot-folder at times.
      await vscode.workspace.openTextDocument(file('02-01-PLAN.md'));
      await waitForPlan(api, folder, 'the phase folder read as one plan', (e) => e.foreign?.format === 'gsd' && e.analysis.plan.packages.length === 4, 20_000);
    });

    it('is one entry keyed by the folder: a Waves view row, read-only, with its waves', () => {
      const entry = api.registry.get(folder)!;
      assert.equal(entry.label, vscode.workspace.asRelativePath(folder, false));
      assert.deepEqual(entry.files?.map((f) => path.posix.basename(f.uri.path)), ['02-01-PLAN.md', '02-02-PLAN.md', '02-03-PLAN.md', '02-04-PLAN.md']);
      assert.equal(api.registry.plans.filter((e) => e.uri.path.startsWith(folder.path)).length, 1, 'one entry, not one a file');
      const node = api.views.tree.getChildren().find((n) => n.kind === 'plan' && n.entry.uri.toString() === folder.toString());
      assert.ok(node, 'a row for the folder');
      const item = api.views.tree.getTreeItem(node);
      assert.equal(item.contextValue, 'waves.plan.foreign');
      assert.match(String(item.description), /GSD PLAN\.md · read-only/);
      const waves = api.views.tree.getChildren(node);
      assert.equal(waves.length, 3);
      const second = api.views.tree.getChildren(waves[1]);
      assert.equal(second.length, 1);
      assert.equal(second[0].kind === 'package' && second[0].uri.toString(), file('02-02-PLAN.md').toString(), "a package's row goes to its own file");
    });

    it('puts each problem on the file and line it concerns: the second file too', async () => {
      await waitFor(() => problems(file('02-02-PLAN.md')).length > 0, 'the diagnostics of 02-02-PLAN.md');
      // `plan: 02` is line 2 (0-based): the exact checker's overlap with 02-03 on the id of each.
      assert.deepEqual(problems(file('02-02-PLAN.md')), ['2:6-2:8 error write-overlap']);
      assert.ok(problems(file('02-03-PLAN.md')).includes('2:6-2:8 error write-overlap'), problems(file('02-03-PLAN.md')).join('\n'));
      assert.ok(problems(file('02-04-PLAN.md')).some((p) => /^5:\d+-5:\d+ error foreign-dependency-unknown$/.test(p)), problems(file('02-04-PLAN.md')).join('\n'));
      assert.deepEqual(problems(folder), [], 'nothing on the folder itself');
    });

    it('shows its waves in the DAG panel; a run action says why not', async () => {
      const { plan, seen, dispose } = await planMessage(api, folder);
      try {
        assert.deepEqual(plan.waves, [['plan-02-01', 'plan-02-03'], ['plan-02-02'], ['plan-02-04']]);
        assert.equal(plan.runId, null);
        const dag = api.dag.show(folder)!;
        await dag.handleMessage({ type: 'packageAction', requestId: 7101, packageId: 'plan-02-01', action: 'run' });
        const reply = await waitFor(() => seen.find((m): m is Extract<HostMessage, { type: 'reply' }> => m.type === 'reply' && m.inReplyTo === 7101), 'the reply');
        assert.ok(!reply.ok);
        // Go to the package: its own file, at its id.
        await dag.handleMessage({ type: 'openPackage', requestId: 7102, packageId: 'plan-02-03' });
        await waitFor(() => vscode.window.activeTextEditor?.document.uri.toString() === file('02-03-PLAN.md').toString(), '02-03-PLAN.md shown');
        assert.equal(vscode.window.activeTextEditor!.selection.start.line, 2);
        // A package's details: its problems on the lines of its own file (line 3, 1-based: its `plan: 02`).
        await dag.handleMessage({ type: 'packageDetails', requestId: 7103, packageId: 'plan-02-02' });
        const details = await waitFor(() => seen.find((m): m is Extract<HostMessage, { type: 'reply' }> => m.type === 'reply' && m.inReplyTo === 7103), 'the details');
        assert.ok(details.ok);
        assert.deepEqual((details.result as PackageDetails).problems.map((p) => `${p.line} ${p.code}`), ['3 write-overlap']);
      } finally {
        dispose();
      }
    });

    it('hover and lenses on each file: the package of that file, the folder read-only at the top', async () => {
      const uri = file('02-02-PLAN.md');
      await vscode.window.showTextDocument(uri);
      const lenses = await waitFor(
        async () => {
          const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100);
          return found.some((l) => l.command?.command === 'waves.convertToPlan') ? found : undefined;
        },
        'the lenses',
      );
      const top = lenses.filter((l) => l.range.start.line === 0).map((l) => l.command?.title);
      assert.deepEqual(top, ['$(lock) GSD PLAN.md of 02-auth: read-only', '$(arrow-swap) Convert to work-packages.yaml', '$(type-hierarchy) Show DAG']);
      const onId = lenses.filter((l) => l.range.start.line === 2).map((l) => l.command?.title);
      assert.deepEqual(onId, ['wave 2 · 1 dependent'], 'only the package of this file');
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(2, 7));
      const hover = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : c.value)).join('\n');
      assert.match(hover, /\*\*plan\\-02\\-02\*\*/);
      assert.match(hover, /Wave 2/);
      assert.match(hover, /GSD PLAN\.md, read-only/);
    });

    it('is read again when one of its files is saved', async () => {
      const uri = file('02-02-PLAN.md');
      const doc = await vscode.workspace.openTextDocument(uri);
      const editor = await vscode.window.showTextDocument(doc);
      const line = doc.lineAt(6);
      assert.equal(line.text, 'files_modified: [src/features/dashboard.ts, src/app.ts]');
      await editor.edit((e) => e.replace(line.range, 'files_modified: [src/features/dashboard.ts]'));
      assert.ok(await doc.save(), 'saved');
      await waitFor(() => problems(uri).length === 0, 'the overlap gone from 02-02-PLAN.md', { timeoutMs: 15_000 });
      assert.ok(!problems(file('02-03-PLAN.md')).includes('2:6-2:8 error write-overlap'), 'and from 02-03-PLAN.md');
    });

    it('Convert (from one of its files) writes the plan of the folder in it, as `waves convert <folder>` does', async () => {
      const done = await vscode.commands.executeCommand<Converted | undefined>('waves.convertToPlan', file('02-01-PLAN.md'));
      assert.ok(done, 'converted');
      assert.equal(done.source.toString(), folder.toString());
      assert.equal(done.plan.toString(), file('work-packages.yaml').toString());
      assert.equal(done.packages, 4);
      const written = await scratch.read('.planning/phases/02-auth/work-packages.yaml');
      assert.match(written, /^# Converted by `waves convert` from 02-auth \(4 files\) \(GSD PLAN\.md\)/);
      await waitForPlan(api, done.plan, 'the converted plan', (e) => e.foreign === undefined && e.analysis.plan.packages.length === 4);
      assert.ok(api.registry.get(folder)?.foreign, 'the folder is still shown');
    });

    it('a later change to one of its files is offered as an update of the plan converted from it', async () => {
      const offers: string[] = [];
      const questions = api.foreignPlans.updates.questions;
      api.foreignPlans.updates.questions = {
        offerUpdate: async (from, plan) => {
          offers.push(`${path.posix.basename(from.path)} -> ${path.posix.basename(plan.path)}`);
          return 'update';
        },
      };
      try {
        const uri = file('02-03-PLAN.md');
        const doc = await vscode.workspace.openTextDocument(uri);
        const editor = await vscode.window.showTextDocument(doc);
        assert.equal(doc.lineAt(8).text, '  - src/app.ts');
        await editor.edit((e) => e.insert(doc.lineAt(8).range.end, '\n  - src/features/settings-extra.ts'));
        assert.deepEqual(offers, [], 'nothing offered for an unsaved change');
        assert.ok(await doc.save(), 'saved');
        await waitFor(() => offers.length > 0, 'the offer', { timeoutMs: 15_000 });
        assert.deepEqual(offers, ['02-auth -> work-packages.yaml']);
        await waitFor(async () => (await scratch.read('.planning/phases/02-auth/work-packages.yaml')).includes('src/features/settings-extra.ts'), 'the plan updated');
      } finally {
        api.foreignPlans.updates.questions = questions;
      }
    });
  });

  it("a large phase folder is analysed off the editor's thread, as a large plan is", async () => {
    const before = api.registry.analysedInWorker;
    const pad = `${'Implement the part and its tests, keeping the module boundaries as they are. '.repeat(14)}\n`;
    for (let i = 1; i <= 240; i++) {
      const n = String(i).padStart(3, '0');
      await scratch.write(`.planning/phases/09-large/09-${n}-PLAN.md`, `---\nphase: 09-large\nplan: ${n}\ntype: execute\nwave: 1\ndepends_on: []\nfiles_modified: [src/parts/part${i}.ts]\nautonomous: true\n---\n\n<objective>\n${pad}</objective>\n`);
    }
    const folder = scratch.uri('.planning/phases/09-large');
    await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, '09-001-PLAN.md')); // as in the GSD folder's own tests
    const entry = await waitForPlan(api, folder, 'the large phase folder read', (e) => e.analysis.plan.packages.length === 240, 30_000);
    assert.equal(entry.analysis.graph.waves.length, 1);
    assert.ok(api.registry.analysedInWorker > before, 'in the worker thread');
  });

  describe('a Spec Kitty feature', () => {
    let feature: vscode.Uri;
    const wp = (name: string) => vscode.Uri.joinPath(feature, 'tasks', name);

    before(async () => {
      await copyFolder(scratch, path.join(FIXTURES(), 'spec-kitty', 'write-path-integrity-01KZZD69'), 'kitty-specs/write-path-integrity-01KZZD69');
      feature = scratch.uri('kitty-specs/write-path-integrity-01KZZD69');
      await waitForPlan(api, feature, 'the feature read as one plan', (e) => e.foreign?.format === 'spec-kitty' && e.analysis.plan.packages.length === 4, 20_000);
    });

    it('a Waves view row and its waves in the DAG panel', async () => {
      const node = api.views.tree.getChildren().find((n) => n.kind === 'plan' && n.entry.uri.toString() === feature.toString());
      assert.ok(node, 'a row for the feature');
      assert.match(String(api.views.tree.getTreeItem(node).description), /Spec Kitty work packages · read-only/);
      assert.equal(api.views.tree.getChildren(node).length, 3);
      const { plan, dispose } = await planMessage(api, feature);
      dispose();
      assert.deepEqual(plan.waves, [['wp01', 'wp02'], ['wp03'], ['wp04']]);
    });

    it('a problem written into its second file is shown there, on its line, unsaved', async () => {
      const uri = wp('WP02-partition-correct-commit.md');
      assert.deepEqual(problems(uri), []);
      const doc = await vscode.workspace.openTextDocument(uri);
      const editor = await vscode.window.showTextDocument(doc);
      // `dependencies: []` is line 3 (0-based): a dependency on a work package the feature has not.
      const line = doc.lineAt(3);
      assert.equal(line.text, 'dependencies: []');
      await editor.edit((e) => e.replace(line.range, 'dependencies: [WP09]'));
      await waitFor(() => problems(uri).some((p) => /^3:\d+-3:\d+ error foreign-dependency-unknown$/.test(p)), 'the unknown dependency in WP02', { timeoutMs: 15_000 });
      assert.deepEqual(problems(wp('WP01-git-topology-primitive.md')), []);
      // Its editor made the active one again, then reverted and closed. The DAG panel the test before opened beside it may
      // take the focus as it loads: the revert is asked of this editor only, until the document is no longer dirty.
      await waitFor(async () => {
        await vscode.window.showTextDocument(doc);
        if (vscode.window.activeTextEditor?.document === doc) await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
        return !doc.isDirty;
      }, () => `the unsaved change reverted (active: ${vscode.window.activeTextEditor?.document.uri.path ?? 'none'})`, { timeoutMs: 20_000, intervalMs: 250 });
      await waitFor(() => problems(uri).length === 0, () => `gone with the unsaved change (still: ${problems(uri).join(', ')})`, { timeoutMs: 30_000 });
    });

    it('is read again when one of its files changes on disk', async () => {
      const uri = wp('WP04-arch-gate-and-pins.md');
      // Open (not changed) in an editor, which follows the file on disk: the change comes through it
      // even when code-server's file watcher, busy with the whole suite's workspace, misses it.
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text.replace('dependencies:\n- WP02', 'dependencies:\n- WP02\n- WP09')));
      const seen = () => problems(uri).some((p) => / error foreign-dependency-unknown$/.test(p));
      // Under the whole suite code-server's watcher has missed the write for longer than 15 s (once in
      // several full runs): then the editor is told to read its file again, as VS Code does when it notices.
      await waitFor(seen, 'the unknown dependency in WP04', { timeoutMs: 5_000 }).catch(async () => {
        await vscode.window.showTextDocument(uri);
        await vscode.commands.executeCommand('workbench.action.files.revert');
        await waitFor(seen, 'the unknown dependency in WP04, the editor having read the file again', { timeoutMs: 15_000 });
      });
    });
  });

  describe("a Spec Kitty feature's tasks.md", () => {
    const rel = 'kitty-specs/execution-state-canonical-surface-01KTG6P9';
    let feature: vscode.Uri;
    const tasksMd = () => vscode.Uri.joinPath(feature, 'tasks.md');
    const wp03 = () => vscode.Uri.joinPath(feature, 'tasks', 'WP03-executioncontext-relocation.md');
    const dependsOnWp01 = (m: HostMessage) => m.type === 'plan' && m.edges.some((e) => e.id === 'dep:wp01→wp03');

    before(async () => {
      await copyFolder(scratch, path.join(FIXTURES(), 'spec-kitty', 'execution-state-canonical-surface-01KTG6P9'), rel);
      feature = scratch.uri(rel);
      await waitForPlan(api, feature, 'the feature read as one plan', (e) => e.foreign?.format === 'spec-kitty' && e.analysis.plan.packages.length === 14, 20_000);
    });

    it('is read with the feature, an edit of it alone reads the feature again: the DAG panel, the warning on its line, gone once fixed', async () => {
      // In the shape Spec Kitty writes (its subtasks' task boxes would make it a spec-kit list of its own).
      await scratch.write(`${rel}/tasks.md`, '# Work Packages\n\n## Work Package WP03: ExecutionContext relocation façade\n\n### Included Subtasks\n- [ ] T010 Move ExecutionContext behind the façade\n\n### Dependencies\n- Depends on WP02\n');
      const doc = await vscode.workspace.openTextDocument(tasksMd());
      await waitFor(() => api.registry.get(tasksMd())?.folder?.toString() === feature.toString(), 'tasks.md read with the feature');
      assert.equal(api.registry.plans.filter((e) => e.uri.path.startsWith(feature.path)).length, 1, 'no task list of its own');
      assert.deepEqual(problems(tasksMd()), []);
      const { seen, dispose } = await planMessage(api, feature);
      try {
        assert.ok(!seen.some(dependsOnWp01));
        const editor = await vscode.window.showTextDocument(doc);
        assert.equal(doc.lineAt(8).text, '- Depends on WP02');
        await editor.edit((e) => e.insert(doc.lineAt(8).range.end, '\n- Depends on WP01'));
        // Unsaved: read with the editor's text. The front matter of WP03 names WP02 only: a warning in both places.
        await waitFor(() => seen.some(dependsOnWp01), 'the DAG panel: WP03 waits for WP01 too', { timeoutMs: 15_000 });
        await waitFor(() => problems(tasksMd()).includes('9:13-9:17 warning foreign-dependencies-disagree'), 'the warning on the line of tasks.md', { timeoutMs: 15_000 });
        assert.deepEqual(problems(wp03()), ['4:0-5:0 warning foreign-dependencies-disagree'], 'and on the `dependencies` of its front matter');
        assert.ok(await doc.save(), 'saved');
        // Fixed: the line taken out and saved; the warnings go from both files, the dependency from the DAG.
        await editor.edit((e) => e.delete(new vscode.Range(doc.lineAt(8).range.end, doc.lineAt(9).range.end)));
        assert.ok(await doc.save(), 'saved again');
        await waitFor(() => problems(tasksMd()).length === 0 && problems(wp03()).length === 0, 'the warnings gone', { timeoutMs: 15_000 });
        const last = () => seen.filter((m): m is PlanMessage => m.type === 'plan').at(-1)!;
        await waitFor(() => !dependsOnWp01(last()), 'the DAG panel without it');
      } finally {
        dispose();
      }
    });
  });
});

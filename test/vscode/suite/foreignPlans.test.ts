// Task lists of other tools in a real VS Code: a spec-kit tasks.md (a fixture from a public
// repository, test/fixtures/formats/spec-kit) is found and shown as a plan, read-only — its
// problems on the tasks' own lines, the lenses at its top and on each task, its DAG — and Convert
// writes work-packages.yaml beside it and opens it, never over an existing file without an answer;
// a later change to the tasks.md is offered as an update of the plan.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import type { Converted, ConvertQuestions } from '../../../src/extension/foreignPlans/convertInEditor';
import type { UpdateQuestions } from '../../../src/extension/foreignPlans/sourceUpdates';
import type { HostMessage, PlanMessage } from '../../../src/protocol';
import { Scratch, autoSaveOff, closeEditors, describeDiagnostic, extension, waitFor, waitForPlan, wavesApi } from '../helpers';

const FIXTURE = () => path.join(extension().extensionPath, 'test', 'fixtures', 'formats', 'spec-kit', '001-photo-albums.tasks.md');

/** The `waves` diagnostics of a file as `line:col-line:col severity code` (0-based). */
function problems(uri: vscode.Uri): string[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === 'waves')
    .map(describeDiagnostic);
}

describe('Task lists of other tools (spec-kit tasks.md)', function () {
  this.timeout(60_000);
  let api: WavesApi;
  let scratch: Scratch;
  let source: vscode.Uri;
  let text: string;
  const savedQuestions: { convert?: ConvertQuestions; update?: UpdateQuestions } = {};

  before(async () => {
    await autoSaveOff.before();
    api = await wavesApi();
    savedQuestions.convert = api.foreignPlans.questions;
    savedQuestions.update = api.foreignPlans.updates.questions;
    scratch = new Scratch('foreign');
    text = fs.readFileSync(FIXTURE(), 'utf8');
    source = await scratch.write('specs/001-photo-albums/tasks.md', text);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(source));
    await waitForPlan(api, source, 'the tasks.md read as a plan', (e) => e.foreign !== undefined && e.analysis.plan.packages.length === 16, 20_000);
  });
  after(async () => {
    api.foreignPlans.questions = savedQuestions.convert!;
    api.foreignPlans.updates.questions = savedQuestions.update!;
    await closeEditors(() => true);
    await scratch.dispose();
    await autoSaveOff.after();
  });

  it("shows what a safe parallel run still needs in the Problems panel, on the tasks' own lines", async () => {
    const entry = api.registry.get(source)!;
    assert.equal(entry.foreign?.format, 'spec-kit');
    assert.notEqual(api.registry.active?.uri.toString(), source.toString(), "the workspace's own plan stays the active one");
    await waitFor(() => problems(source).length > 0, 'the diagnostics published');
    const shown = problems(source);
    // `- [ ] T005 [P] Implement album storage adapter in backend/src/storage/albums.py` is line 18 (0-based).
    assert.ok(shown.includes('18:6-18:10 warning foreign-no-write-scope'), shown.join('\n'));
    const t005 = vscode.languages.getDiagnostics(source).find((d) => d.code === 'foreign-no-write-scope' && d.range.start.line === 18)!;
    assert.match(t005.message, /`backend\/src\/storage\/albums\.py`: a guess at its write scope/);
    // T014 waits for T012 only because of the order of the tasks in its phase.
    assert.ok(shown.includes('42:6-42:10 info foreign-implied-dependency'), shown.join('\n'));
    // T011 and T013 may run at once and both name backend/src/api/albums.py: the witness at the path, the overlap on both.
    assert.ok(shown.includes('41:40-41:65 warning foreign-parallel-same-file'), shown.join('\n'));
    assert.ok(shown.includes('34:6-34:10 error write-overlap') && shown.includes('41:6-41:10 error write-overlap'), shown.join('\n'));
    const witness = vscode.languages.getDiagnostics(source).find((d) => d.code === 'foreign-parallel-same-file')!;
    assert.match(witness.message, /`T013` and `T011` may run in parallel and both name `backend\/src\/api\/albums\.py`/);
  });

  it("a huge tasks.md is analysed off the editor's thread, as a large plan is", async () => {
    const before = api.registry.analysedInWorker;
    const lines = ['# Tasks: Huge', '', '## Phase 1: Everything', ''];
    for (let i = 1; i <= 3000; i++) lines.push(`- [ ] T${String(i).padStart(3, '0')} [P] Implement part ${i} of the huge feature in src/parts/part${i}.ts and its tests`);
    const huge = await scratch.write('specs/002-huge/tasks.md', `${lines.join('\n')}\n`);
    assert.ok(fs.statSync(huge.fsPath).size > 256 * 1024);
    const entry = await waitForPlan(api, huge, 'the huge tasks.md read', (e) => e.foreign !== undefined, 30_000);
    assert.equal(entry.analysis.plan.packages.length, 3000);
    assert.ok(api.registry.analysedInWorker > before, 'in the worker thread');
    assert.equal(entry.analysis.graph.waves.length, 1, '[P] tasks of one phase: one wave');
  });

  it('lists it in the Waves view, read-only: its waves and tasks, no run action', async () => {
    const roots = api.views.tree.getChildren();
    const node = roots.find((n) => n.kind === 'plan' && n.entry.uri.toString() === source.toString());
    assert.ok(node, 'a row for the tasks.md');
    const item = api.views.tree.getTreeItem(node);
    assert.equal(item.contextValue, 'waves.plan.foreign');
    assert.match(String(item.description), /spec-kit tasks\.md · read-only/);
    const waves = api.views.tree.getChildren(node);
    assert.equal(waves.length, 9);
    const items = waves.map((w) => api.views.tree.getTreeItem(w));
    assert.ok(items.every((i) => i.contextValue === 'waves.wave'), 'no wave offers Run Wave');
    const first = api.views.tree.getChildren(waves[0]);
    assert.equal(api.views.tree.getTreeItem(first[0]).contextValue, 'waves.foreignPackage');
  });

  it('CodeLens: what it is and Convert at the top, the wave on each task, never a run', async () => {
    const lenses = await waitFor(
      async () => {
        const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', source, 100);
        return found.some((l) => l.command?.command === 'waves.convertToPlan') ? found : undefined;
      },
      'the Convert lens',
    );
    const top = lenses.filter((l) => l.range.start.line === 0).map((l) => l.command?.title);
    assert.deepEqual(top, ['$(lock) spec-kit tasks.md: read-only', '$(arrow-swap) Convert to work-packages.yaml', '$(type-hierarchy) Show DAG']);
    const onT001 = lenses.filter((l) => l.range.start.line === 9).map((l) => l.command?.title);
    assert.deepEqual(onT001, ['wave 1 · 2 dependents']);
    assert.deepEqual(
      lenses.filter((l) => /^waves\.(run|cancel)/.test(l.command?.command ?? '')).map((l) => l.command?.title),
      [],
    );
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', source, new vscode.Position(18, 8));
    const hover = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : c.value)).join('\n');
    assert.match(hover, /\*\*t005\*\*/);
    assert.match(hover, /Wave 4/);
    assert.match(hover, /Write scope: none declared; its text names: `backend\/src\/storage\/albums.py`/);
    assert.match(hover, /spec-kit tasks\.md, read-only/);
  });

  it('opens the graph of the tasks.md in the DAG panel; its run actions say why not', async () => {
    const panel = api.dag.show(source)!;
    const seen: HostMessage[] = [];
    const sub = panel.onDidPost((m) => seen.push(m));
    try {
      const plan = await waitFor(() => seen.find((m): m is PlanMessage => m.type === 'plan'), 'the plan message');
      assert.equal(plan.featureId, 'feature-001-photo-albums');
      assert.equal(plan.nodes.length, 16);
      assert.deepEqual(plan.waves[4], ['t007', 't008', 't009', 't012', 't013']);
      assert.equal(plan.runId, null);
      await panel.handleMessage({ type: 'packageAction', requestId: 7001, packageId: 't001', action: 'run' });
      const reply = await waitFor(() => seen.find((m): m is Extract<HostMessage, { type: 'reply' }> => m.type === 'reply' && m.inReplyTo === 7001), 'the reply');
      assert.ok(!reply.ok);
      assert.match(reply.error.message, /spec-kit tasks\.md, shown read-only: convert it/);
    } finally {
      sub.dispose();
      panel.dispose();
    }
  });

  it('Convert writes work-packages.yaml beside it, opens it, and the checker\'s problems show', async () => {
    const done = await vscode.commands.executeCommand<Converted | undefined>('waves.convertToPlan', source);
    assert.ok(done, 'converted');
    const plan = vscode.Uri.joinPath(source, '..', 'work-packages.yaml');
    assert.equal(done.plan.toString(), plan.toString());
    assert.equal(done.packages, 16);
    const written = fs.readFileSync(plan.fsPath, 'utf8');
    assert.match(written, /^# Converted by `waves convert` from tasks\.md \(spec-kit tasks\.md\)/);
    assert.match(written, /- t012 {2}# implied: /);
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), plan.toString(), 'the plan is opened');
    const entry = await waitForPlan(api, plan, 'the plan analysed', (e) => e.analysis.plan.packages.length === 16 && !e.foreign);
    assert.equal(entry.analysis.plan.packages[0].id, 't001');
    // The guessed scopes of T011 and T013 overlap: the exact checker says so in the plan.
    await waitFor(() => problems(plan).some((p) => p.endsWith('error write-overlap')), 'the write-overlap errors of the plan');
    // The tasks.md's lens now opens the plan converted from it.
    await waitFor(async () => {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', source, 100);
      return lenses.some((l) => l.command?.title === '$(go-to-file) Open work-packages.yaml');
    }, 'the Open lens');
  });

  it('converting again never overwrites it silently: declined, nothing written; a new name, the old plan kept', async () => {
    const plan = vscode.Uri.joinPath(source, '..', 'work-packages.yaml');
    // The person's own change to the plan, saved.
    const planDoc = await vscode.workspace.openTextDocument(plan);
    const mine = `${planDoc.getText()}# my own note\n`;
    const edit = new vscode.WorkspaceEdit();
    edit.insert(plan, planDoc.positionAt(planDoc.getText().length), '# my own note\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await planDoc.save());
    assert.equal(fs.readFileSync(plan.fsPath, 'utf8'), mine);
    const asked: string[] = [];
    let answer: 'new' | 'overwrite' | undefined;
    api.foreignPlans.questions = {
      planExists: async (existing, newName) => {
        asked.push(`${path.posix.basename(existing.path)} -> ${newName}`);
        return answer;
      },
      saveFirst: async () => false,
    };
    answer = undefined;
    assert.equal(await vscode.commands.executeCommand('waves.convertToPlan', source), undefined);
    assert.deepEqual(asked, ['work-packages.yaml -> feature-001-photo-albums.work-packages.yaml']);
    assert.equal(fs.readFileSync(plan.fsPath, 'utf8'), mine, 'not overwritten');

    answer = 'new';
    const done = await vscode.commands.executeCommand<Converted | undefined>('waves.convertToPlan', source);
    assert.equal(path.posix.basename(done!.plan.path), 'feature-001-photo-albums.work-packages.yaml');
    assert.equal(fs.readFileSync(plan.fsPath, 'utf8'), mine, 'the first plan kept');
    assert.ok(fs.existsSync(done!.plan.fsPath));
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), done!.plan.toString());
  });

  it('a later change to the tasks.md is offered as an update of the plan (a ticked box asks nothing)', async () => {
    const second = vscode.Uri.joinPath(source, '..', 'feature-001-photo-albums.work-packages.yaml');
    const offers: string[] = [];
    api.foreignPlans.updates.questions = {
      offerUpdate: async (from, plan, edited) => {
        offers.push(`${path.posix.basename(from.path)} -> ${path.posix.basename(plan.path)}${edited ? ' (edited)' : ''}`);
        return path.posix.basename(plan.path) === 'work-packages.yaml' ? 'ignore' : 'update';
      },
    };
    // The person edits tasks.md and saves it; only the saved text counts.
    const save = async (next: string) => {
      const doc = await vscode.workspace.openTextDocument(source);
      const edit = new vscode.WorkspaceEdit();
      edit.replace(source, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), next);
      assert.ok(await vscode.workspace.applyEdit(edit));
      assert.ok(await doc.save());
      await waitFor(() => {
        const entry = api.registry.get(source);
        return entry?.analysis.text === next && entry.documentVersion === undefined;
      }, 'the saved text read');
    };
    // A box ticked (what a run's round trip does): the plan would only change in its comments.
    const ticked = text.replace('- [ ] T004', '- [x] T004');
    await save(ticked);
    await api.foreignPlans.updates.idle;
    assert.deepEqual(offers, []);

    // A task added: both plans are offered the update; one updated, one ignored.
    const grown = ticked.replace('- [ ] T016 Run quickstart.md validation', '- [ ] T016 Run quickstart.md validation\n- [ ] T017 Write the release notes in docs/release.md');
    await save(grown);
    await waitFor(async () => {
      await api.foreignPlans.updates.idle;
      return offers.length === 2;
    }, 'two offers');
    assert.deepEqual(offers.sort(), ['tasks.md -> feature-001-photo-albums.work-packages.yaml', 'tasks.md -> work-packages.yaml (edited)']);
    await waitFor(() => /package_id: t017/.test(fs.readFileSync(second.fsPath, 'utf8')), 'the updated plan saved');
    assert.doesNotMatch(fs.readFileSync(vscode.Uri.joinPath(source, '..', 'work-packages.yaml').fsPath, 'utf8'), /t017/, 'the ignored one kept');
    // Read again, unchanged: nothing more is asked.
    await api.registry.reanalyze(source, { fromDisk: true });
    await api.foreignPlans.updates.idle;
    assert.equal(offers.length, 2);
  });

  it('an offer left unanswered holds no other plan\'s offer', async () => {
    // Both plans of tasks.md are asked; neither answer comes until both were asked.
    const asked: string[] = [];
    let answerAll: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (answerAll = resolve));
    api.foreignPlans.updates.questions = {
      offerUpdate: async (_from, plan) => {
        asked.push(path.posix.basename(plan.path));
        if (asked.length === 2) answerAll();
        await answered;
        return 'ignore';
      },
    };
    const doc = await vscode.workspace.openTextDocument(source);
    const next = doc.getText().replace('- [ ] T017 Write the release notes in docs/release.md', '- [ ] T017 Write the release notes in docs/release.md\n- [ ] T018 Announce the release in docs/news.md');
    const edit = new vscode.WorkspaceEdit();
    edit.replace(source, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), next);
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await doc.save());
    await waitFor(() => asked.length === 2, 'both plans asked while the first question is still open', { timeoutMs: 20_000 });
    assert.deepEqual(asked.sort(), ['feature-001-photo-albums.work-packages.yaml', 'work-packages.yaml']);
    await api.foreignPlans.updates.idle;
  });
});

// "Problems where they are": the engine's diagnostics reach the Problems panel at
// the exact range, with severity and source, for the file on disk and for the unsaved text.
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { OFF_THREAD_BYTES } from '../../../src/plan/planRegistry';
import {
  closeEditors,
  describeRange,
  rangeOf,
  waitFor,
  waitForDiagnostics,
  waitForPlan,
  useScratch,
  wavesApi,
  wavesDiagnostics,
} from '../helpers';

/** A plan with one problem of each kind the issue names (see docs/diagnostics.md). */
const BROKEN = `# A plan with known problems.
schema_version: 1
feature:
  id: broken
packages:
  - package_id: wp-base
    title: Base library
    depends_on: []
    scope:
      write_allow: ["lib/**"]
  - package_id: wp-api
    title: API
    depends_on: [wp-bsae]
    scope:
      write_allow: ["src/api/**"]
  - package_id: wp-web
    title: Web
    depends_on: [wp-base]
    scope:
      write_allow: ["src/**"]
  - id: wp-docs
    title: Docs
    depends_on: [wp-base]
    scope:
      write_allow: ["docs/**"]
  - package_id: wp-x
    depends_on: [wp-y]
    scope:
      write_allow: ["x/**"]
  - package_id: wp-y
    depends_on: [wp-x]
    scope:
      write_allow: ["y/**"]
`;

/** `range severity code` lines, ranges found in `text` by what they cover. */
function expectedFor(text: string, which: ('unknown' | 'overlap' | 'dialect' | 'cycle')[]): string[] {
  const at = (needle: string, part?: string) => describeRange(rangeOf(text, needle, { part }));
  const lines: string[] = [];
  // on the entry of depends_on
  if (which.includes('unknown')) lines.push(`${at('[wp-bsae]', 'wp-bsae')} error dependency-unknown`);
  // on the overlapping glob of each package, quotes included
  if (which.includes('overlap')) lines.push(`${at('"src/api/**"')} error write-overlap`, `${at('"src/**"')} error write-overlap`);
  // on the dialect key
  if (which.includes('dialect')) lines.push(`${at('- id: wp-docs', 'id')} warning dialect-field`);
  // one on each member's edge: wp-x -> wp-y and wp-y -> wp-x
  if (which.includes('cycle')) {
    lines.push(`${at('[wp-y]', 'wp-y')} error dependency-cycle`, `${at('[wp-x]', 'wp-x')} error dependency-cycle`);
  }
  return lines;
}

describe('diagnostics', () => {
  const scratch = useScratch('diagnostics');

  it('reports each problem of a plan on disk at its exact range, severity and source', async () => {
    const api = await wavesApi();
    const uri = await scratch().write('broken.work-packages.yaml', BROKEN);
    await waitForDiagnostics(
      uri,
      expectedFor(BROKEN, ['unknown', 'overlap', 'dialect', 'cycle']),
      'the diagnostics of the new plan (not opened)',
    );

    // Details the comparable lines leave out: source, code, message and the plan entry
    const all = vscode.languages.getDiagnostics(uri);
    assert.ok(
      all.every((d) => d.source === 'waves'),
      `sources: ${all.map((d) => d.source).join(', ')}`,
    );
    const unknown = all.find((d) => d.code === 'dependency-unknown')!;
    // the same, written out once: line 13, columns 18-24 of the file (1-based) hold `wp-bsae`
    assert.equal(describeRange(unknown.range), '12:17-12:24');
    assert.equal(unknown.severity, vscode.DiagnosticSeverity.Error);
    assert.match(unknown.message, /`wp-api` depends on `wp-bsae`.*did you mean `wp-base`\?/);
    const cycle = all.find((d) => d.code === 'dependency-cycle')!;
    assert.match(cycle.message, /`wp-x` depends on `wp-y`, `wp-y` depends on `wp-x`/);
    const overlap = all.find((d) => d.code === 'write-overlap')!;
    assert.match(overlap.message, /both may write `src\/api/);
    const entry = api.registry.get(uri);
    assert.ok(entry, 'the registry follows the new plan');
    assert.equal(entry.documentVersion, undefined, 'read from disk, not from an editor');
    assert.equal(entry.label, vscode.workspace.asRelativePath(uri, false));
    assert.deepEqual(entry.analysis.graph.waves, [
      ['wp-base', 'wp-api'],
      ['wp-web', 'wp-docs'],
    ]);
  });

  it("says a sub-plan's write outside its parent in the sub-plan's file, follows its unsaved edits, and a missing one at its parent", async function () {
    this.timeout(45_000);
    const TOP = `schema_version: 1
feature: {id: nested}
packages:
  - package_id: api
    scope:
      write_allow: ["src/api/users/**"]
    inputs: {waves: {plan: plans/api.yaml}}
`;
    const SUB = `schema_version: 1
feature: {id: nested-api}
packages:
  - package_id: model
    scope:
      write_allow: ["src/api/**"]
`;
    const sub = await scratch().write('plans/api.yaml', SUB);
    const top = await scratch().write('nested.work-packages.yaml', TOP);
    const outside = [`${describeRange(rangeOf(SUB, '"src/api/**"'))} error sub-plan-scope`];
    await waitForDiagnostics(sub, outside, "the sub-plan's write outside its parent, in its own file");
    await waitForDiagnostics(top, [], 'nothing wrong in the top plan');
    assert.match(vscode.languages.getDiagnostics(sub)[0]!.message, /^`src\/api\/\*\*` is not inside `src\/api\/users\/\*\*` \(the write scope of `api` in .*nested\.work-packages\.yaml\): `src\/api/);

    // The Waves view nests: the parent's row holds its sub-plan's waves, and a sub-plan's package opens the sub-plan.
    const api = await wavesApi();
    const { tree } = api.views;
    const planRow = await waitFor(() => tree.getChildren().find((n) => n.kind === 'plan' && n.entry.uri.toString() === top.toString()), 'the plan in the Waves view');
    const parentRow = tree.getChildren(tree.getChildren(planRow)[0]).find((n) => n.kind === 'package' && n.packageId === 'api')!;
    const parentItem = tree.getTreeItem(parentRow);
    assert.equal(parentItem.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    assert.match(String(parentItem.description), /sub-plan .*plans\/api\.yaml$/);
    const subWaves = tree.getChildren(parentRow);
    assert.deepEqual(subWaves.map((w) => tree.getTreeItem(w).label), ['Wave 1']);
    const [model] = tree.getChildren(subWaves[0]);
    assert.equal(tree.getTreeItem(model!).label, 'model');
    assert.equal(tree.getTreeItem(model!).contextValue, 'waves.subPlanPackage', 'no Run Package on a package of a sub-plan');
    assert.equal(tree.getTreeItem(subWaves[0]!).contextValue, 'waves.wave', 'no Run Wave on a wave of a sub-plan');
    assert.equal(tree.getParent(subWaves[0]!), parentRow);
    const go = tree.getTreeItem(model!).command!;
    assert.equal((go.arguments![0] as { uri: vscode.Uri }).uri.toString(), sub.toString(), "the sub-plan's package is shown in the sub-plan's file");

    // The sub-plan mended in the editor, not saved: its problem goes; reverted, it is back.
    const doc = await vscode.workspace.openTextDocument(sub);
    await vscode.window.showTextDocument(doc);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(sub, rangeOf(SUB, 'src/api/**'), 'src/api/users/model.ts');
    assert.ok(await vscode.workspace.applyEdit(edit), 'applyEdit');
    await waitForDiagnostics(sub, [], 'the unsaved sub-plan inside its parent');
    await closeEditors();
    await waitForDiagnostics(sub, outside, "the sub-plan's text on disk again");

    // Deleted as the Explorer deletes it: said at the parent's value; the sub-plan's own problems go with it.
    const gone = new vscode.WorkspaceEdit();
    gone.deleteFile(sub);
    assert.ok(await vscode.workspace.applyEdit(gone), 'deleteFile');
    await waitForDiagnostics(top, [`${describeRange(rangeOf(TOP, 'plans/api.yaml'))} error sub-plan-missing`], 'a missing sub-plan, at its parent');
    await waitForDiagnostics(sub, [], 'no problems left on the deleted file');
  });

  it('shows one sub-plan under two parents, each row with its own waves', async () => {
    const TWO = `schema_version: 1
feature: {id: twice}
packages:
  - package_id: first
    scope: {write_allow: ["src/**"]}
    inputs: {waves: {plan: shared.yaml}}
  - package_id: again
    depends_on: [first]
    scope: {write_allow: ["src/**"]}
    inputs: {waves: {plan: shared.yaml}}
`;
    await scratch().write('shared.yaml', 'schema_version: 1\nfeature: {id: shared}\npackages:\n  - package_id: x\n    scope: {write_allow: ["src/x/**"]}\n');
    const top = await scratch().write('twice.work-packages.yaml', TWO);
    const { tree } = (await wavesApi()).views;
    const planRow = await waitFor(() => tree.getChildren().find((n) => n.kind === 'plan' && n.entry.uri.toString() === top.toString()), 'the plan in the Waves view');
    // The nesting is read after the registry's analysis, and the rows are built again then.
    const parents = await waitFor(() => {
      const rows = tree.getChildren(tree.getChildren().find((n) => n.kind === 'plan' && n.entry.uri.toString() === top.toString()) ?? planRow).flatMap((w) => tree.getChildren(w));
      const found = rows.filter((r) => r.kind === 'package' && tree.getChildren(r).length > 0);
      return found.length === 2 ? found : undefined;
    }, 'both parents holding the sub-plan');
    assert.equal(parents.length, 2);
    const waves = parents.map((p) => tree.getChildren(p)[0]!);
    assert.notEqual(tree.getTreeItem(waves[0]!).id, tree.getTreeItem(waves[1]!).id, 'each parent\'s wave its own id');
    assert.deepEqual(waves.map((w) => tree.getParent(w)), parents);
    const [x1, x2] = waves.map((w) => tree.getChildren(w)[0]!);
    assert.notEqual(tree.getTreeItem(x1!).id, tree.getTreeItem(x2!).id, "each parent's package row its own id");
  });

  it('follows the unsaved text as it is edited, then the saved file, and the disk again after a revert', async function () {
    this.timeout(45_000);
    const api = await wavesApi();
    const uri = await scratch().write('broken.work-packages.yaml', BROKEN);
    await waitForDiagnostics(uri, expectedFor(BROKEN, ['unknown', 'overlap', 'dialect', 'cycle']), 'the diagnostics of the plan on disk');

    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    // Fix the unknown dependency and the dialect, and add a line at the top: whatever is left
    // must move down one line, following the text in the editor, not the file.
    const edit = new vscode.WorkspaceEdit();
    edit.insert(uri, new vscode.Position(0, 0), '# edited, not saved\n');
    edit.replace(uri, rangeOf(BROKEN, 'wp-bsae'), 'wp-base');
    edit.replace(uri, rangeOf(BROKEN, '- id: wp-docs'), '- package_id: wp-docs');
    assert.ok(await vscode.workspace.applyEdit(edit), 'applyEdit');
    assert.ok(doc.isDirty, 'the edit is not saved');
    const edited = doc.getText();
    assert.equal(await scratch().read('broken.work-packages.yaml'), BROKEN, 'the file on disk is unchanged');
    await waitForDiagnostics(uri, expectedFor(edited, ['overlap', 'cycle']), 'the diagnostics of the unsaved text');
    const entry = await waitForPlan(api, uri, 'the analysis of the edited document', (e) => e.documentVersion === doc.version);
    assert.equal(entry.analysis.text, edited);

    // Save: the file now says what the editor says; nothing moves.
    assert.ok(await doc.save(), 'save');
    assert.equal(await scratch().read('broken.work-packages.yaml'), edited);
    await waitForPlan(
      api,
      uri,
      'the saved file to be read from disk',
      (e) => e.documentVersion === undefined && e.analysis.text === edited,
    );
    await waitForDiagnostics(uri, expectedFor(edited, ['overlap', 'cycle']), 'the diagnostics after saving');

    // A new unsaved edit breaks the cycle (wp-y depends on nothing)...
    const breakCycle = new vscode.WorkspaceEdit();
    breakCycle.replace(uri, rangeOf(edited, '[wp-x]'), '[]');
    assert.ok(await vscode.workspace.applyEdit(breakCycle));
    await waitForDiagnostics(uri, expectedFor(doc.getText(), ['overlap']), 'the cycle to go with the unsaved edit');
    // ...and reverting and closing the editor brings back what the file says.
    await closeEditors((u) => u.toString() === uri.toString());
    assert.ok(!vscode.window.visibleTextEditors.some((e) => e.document.uri.toString() === uri.toString()), 'the editor is closed');
    await waitForDiagnostics(uri, expectedFor(edited, ['overlap', 'cycle']), 'the saved diagnostics after revert and close');
    await waitForPlan(api, uri, 'the registry to hold the saved text', (e) => e.analysis.text === edited);
  });

  it('handles CRLF line ends and non-ASCII text before a problem', async () => {
    // Columns are UTF-16 code units; a surrogate pair (the emoji) counts two.
    const text = BROKEN.replace('title: API', 'title: API für 🌊 Wellen').replace(/\n/g, '\r\n');
    const uri = await scratch().write('crlf.work-packages.yaml', text);
    await waitForDiagnostics(
      uri,
      expectedFor(text, ['unknown', 'overlap', 'dialect', 'cycle']),
      'the diagnostics of the CRLF plan on disk',
    );
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.equal(doc.eol, vscode.EndOfLine.CRLF);
    await vscode.window.showTextDocument(doc);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(uri, new vscode.Position(0, 0), '# 🌊🌊\r\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitForDiagnostics(
      uri,
      expectedFor(doc.getText(), ['unknown', 'overlap', 'dialect', 'cycle']),
      'the diagnostics of the edited CRLF document',
    );
  });

  it('clears the diagnostics of a plan when its file is deleted', async () => {
    const api = await wavesApi();
    const uri = await scratch().write('gone.work-packages.yaml', BROKEN);
    await waitForDiagnostics(uri, expectedFor(BROKEN, ['unknown', 'overlap', 'dialect', 'cycle']), 'the diagnostics of the plan');
    await vscode.workspace.fs.delete(uri);
    await waitForDiagnostics(uri, [], 'no diagnostics once the file is gone');
    await waitFor(() => !api.registry.get(uri), 'the registry to forget the deleted plan');
    assert.deepEqual(wavesDiagnostics(uri), []);
  });

  it('forgets a plan, and clears its diagnostics, when the folder holding it is deleted', async () => {
    const api = await wavesApi();
    const uri = await scratch().write('nested/deeper/work-packages.yaml', BROKEN);
    await waitForDiagnostics(uri, expectedFor(BROKEN, ['unknown', 'overlap', 'dialect', 'cycle']), 'the diagnostics of the nested plan');
    await vscode.workspace.fs.delete(scratch().uri('nested'), { recursive: true });
    await waitFor(() => !api.registry.get(uri), 'the registry to forget the plan of the deleted folder');
    await waitForDiagnostics(uri, [], 'no diagnostics once its folder is gone');
  });

  it('follows a plan whose folder is renamed', async () => {
    const api = await wavesApi();
    const from = await scratch().write('old-name/work-packages.yaml', BROKEN);
    await waitForDiagnostics(from, expectedFor(BROKEN, ['unknown', 'overlap', 'dialect', 'cycle']), 'the diagnostics of the plan');
    await vscode.workspace.fs.rename(scratch().uri('old-name'), scratch().uri('new-name'));
    const to = scratch().uri('new-name/work-packages.yaml');
    await waitFor(() => !api.registry.get(from) && api.registry.get(to), 'the registry to follow the plan to its new folder');
    await waitForDiagnostics(from, [], 'no diagnostics left at the old place');
    await waitForDiagnostics(to, expectedFor(BROKEN, ['unknown', 'overlap', 'dialect', 'cycle']), 'the diagnostics at the new place');
  });
});

/** BROKEN with `count` more packages that add no problem (each on its own folder, depending on wp-base). */
function padded(count: number): string {
  const more: string[] = [];
  for (let i = 0; i < count; i++) {
    more.push(`  - package_id: wp-pad-${i}`, `    title: Padding package ${i} with a description long enough to weigh`, '    depends_on: [wp-base]', '    scope:', `      write_allow: ["pad/${i}/**"]`);
  }
  return BROKEN + more.join('\n') + '\n';
}

describe('large plans (#15)', () => {
  const scratch = useScratch('large-plans');

  it('a plan over waves.plan.maxSizeMB is not analysed: one error at 1:1 says so and names the setting', async () => {
    const config = vscode.workspace.getConfiguration('waves');
    // The user's settings, not the workspace's: a .vscode/settings.json would be a file of the workspace (the ownership tests list unowned files).
    await config.update('plan.maxSizeMB', 0.1, vscode.ConfigurationTarget.Global);
    try {
      const text = padded(1200);
      assert.ok(Buffer.byteLength(text) > 0.1 * 1_048_576);
      const uri = await scratch().write('huge.work-packages.yaml', text);
      const firstLine = text.indexOf('\n');
      await waitForDiagnostics(uri, [`0:0-0:${firstLine} error plan-too-large`], 'the one size error');
      const [d] = vscode.languages.getDiagnostics(uri);
      assert.match(d!.message, /^This plan is 0\.\d MB, over the 0\.1 MB analysed in the editor \(setting waves\.plan\.maxSizeMB\): it is not analysed here\. `waves validate` checks it in full\.$/);
      const api = await wavesApi();
      const entry = api.registry.get(uri)!;
      assert.deepEqual(entry.analysis.plan.packages, [], 'no packages from a plan that was not analysed');
      // The Waves view says why it lists nothing: the plan is too large, not empty.
      const planNode = api.views.tree.getChildren().find((r) => r.kind === 'plan' && r.entry.uri.toString() === uri.toString())!;
      const [note] = api.views.tree.getChildren(planNode).map((n) => api.views.tree.getTreeItem(n).label);
      assert.equal(note, 'Too large to analyse in the editor (setting waves.plan.maxSizeMB): `waves validate` checks it');
    } finally {
      await config.update('plan.maxSizeMB', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('a plan over 256 KB is analysed in the worker thread, with exactly the diagnostics of the synchronous analysis', async () => {
    const api = await wavesApi();
    const text = padded(1600);
    assert.ok(Buffer.byteLength(text) > OFF_THREAD_BYTES, `${Buffer.byteLength(text)} bytes`);
    const before = api.registry.analysedInWorker;
    const uri = await scratch().write('large.work-packages.yaml', text);
    const here = analyzePlan(text, { maxParallel: vscode.workspace.getConfiguration('waves').get<number>('maxParallel', 10) });
    const expected = here.diagnostics.map((d) => {
      const s = here.lines.position(d.range.start);
      const e = here.lines.position(d.range.end);
      return `${s.line}:${s.column}-${e.line}:${e.column} ${d.severity} ${d.code}`;
    });
    assert.ok(expected.some((l) => l.endsWith('dependency-cycle')), 'the padded plan keeps its problems');
    await waitForDiagnostics(uri, expected, 'the worker\'s diagnostics', 30_000);
    assert.ok(api.registry.analysedInWorker > before, 'analysed in the worker thread');
    const entry = api.registry.get(uri)!;
    assert.deepEqual(entry.analysis.graph.waves, here.graph.waves, 'the graph is rebuilt from the worker\'s plan');
    assert.equal(entry.analysis.plan.packages.length, here.plan.packages.length);
  });
});

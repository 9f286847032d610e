// Quick fixes, applied through the code-action API, change the plan exactly as
// expected and take the problem away.
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { describeRange, rangeOf, waitFor, waitForDiagnostics, waitForPlan, useScratch, wavesApi } from '../helpers';

const UNKNOWN = `schema_version: 1
packages:
  - package_id: wp-base
    title: Base
    scope:
      write_allow: ["lib/**"]
  - package_id: wp-api
    title: API
    depends_on: [wp-bsae]
    scope:
      write_allow: ["src/api/**"]
`;

const DIALECT = `schema_version: 1
packages:
  - id: wp-base
    title: Base
    dependencies: []
    scope:
      write_allow: ["lib/**"]
`;

const OVERLAP = `schema_version: 1
packages:
  - package_id: wp-a
    title: A
    depends_on: []
    scope:
      write_allow: ["src/**"]
  - package_id: wp-b
    title: B
    depends_on: []
    scope:
      write_allow: ["src/b/**"]
`;

/** The quick fixes offered on a range, as `vscode.executeCodeActionProvider` returns them. */
async function quickFixes(uri: vscode.Uri, range: vscode.Range): Promise<vscode.CodeAction[]> {
  const actions =
    (await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>(
      'vscode.executeCodeActionProvider',
      uri,
      range,
      vscode.CodeActionKind.QuickFix.value,
    )) ?? [];
  return actions.filter((a): a is vscode.CodeAction => 'edit' in a || 'kind' in a);
}

function titles(actions: vscode.CodeAction[]): string {
  return JSON.stringify(actions.map((a) => `${a.title}${a.isPreferred ? ' (preferred)' : ''}`));
}

describe('quick fixes', () => {
  const scratch = useScratch('quickfix');

  /** The plan with an unknown dependency, open, once its diagnostic is there. */
  async function openUnknown() {
    const { uri, doc } = await scratch().open('deps.work-packages.yaml', UNKNOWN);
    const range = rangeOf(UNKNOWN, '[wp-bsae]', { part: 'wp-bsae' });
    await waitForDiagnostics(uri, [`${describeRange(range)} error dependency-unknown`], 'the dependency-unknown diagnostic');
    return { uri, doc, range };
  }

  it('an unknown dependency: the preferred "Change to" fix writes the id meant and the problem goes', async () => {
    const api = await wavesApi();
    const { uri, doc, range } = await openUnknown();

    const actions = await quickFixes(uri, range);
    assert.deepEqual(
      actions.map((a) => a.title),
      ['Change to `wp-base`', 'Remove `wp-bsae` from depends_on'],
      `quick fixes offered: ${titles(actions)}`,
    );
    const change = actions[0];
    assert.equal(change.isPreferred, true, 'the did-you-mean fix is preferred');
    assert.equal(actions[1].isPreferred || false, false, 'removing is not preferred');
    assert.ok(change.kind && vscode.CodeActionKind.QuickFix.contains(change.kind), `kind ${change.kind?.value}`);
    assert.ok(change.edit, 'the fix carries its edit');

    assert.ok(await vscode.workspace.applyEdit(change.edit), 'applyEdit');
    assert.equal(doc.getText(), UNKNOWN.replace('depends_on: [wp-bsae]', 'depends_on: [wp-base]'));
    await waitForDiagnostics(uri, [], 'no diagnostics after the fix');
    const entry = await waitForPlan(api, uri, 'the fixed plan', (e) => e.analysis.text === doc.getText());
    assert.deepEqual(entry.analysis.graph.waves, [['wp-base'], ['wp-api']]);
  });

  it('an unknown dependency: "Remove" takes the entry out of the list', async () => {
    const { uri, doc, range } = await openUnknown();
    const remove = (await quickFixes(uri, range)).find((a) => a.title.startsWith('Remove'));
    assert.ok(remove?.edit, 'a Remove fix with an edit');
    assert.ok(await vscode.workspace.applyEdit(remove.edit));
    assert.equal(doc.getText(), UNKNOWN.replace('depends_on: [wp-bsae]', 'depends_on: []'));
    await waitForDiagnostics(uri, [], 'no diagnostics after removing the entry');
  });

  it('a write overlap: "Make `wp-b` depend on `wp-a`" orders the two packages into two waves', async () => {
    const api = await wavesApi();
    const { uri, doc } = await scratch().open('overlap.work-packages.yaml', OVERLAP);
    const onA = rangeOf(OVERLAP, '"src/**"');
    const onB = rangeOf(OVERLAP, '"src/b/**"');
    await waitForDiagnostics(
      uri,
      [`${describeRange(onA)} error write-overlap`, `${describeRange(onB)} error write-overlap`],
      'a write-overlap on each glob',
    );
    const before = await waitForPlan(api, uri, 'the analysis of the plan', (e) => e.analysis.text === OVERLAP);
    assert.deepEqual(before.analysis.graph.waves, [['wp-a', 'wp-b']]);

    // The same fixes on either side of the pair; the later package waiting is preferred.
    for (const range of [onA, onB]) {
      const actions = await quickFixes(uri, range);
      assert.deepEqual(
        actions.map((a) => `${a.title}${a.isPreferred ? ' (preferred)' : ''}`),
        ['Make `wp-b` depend on `wp-a` (preferred)', 'Make `wp-a` depend on `wp-b`'],
        `quick fixes on ${describeRange(range)}`,
      );
    }
    const fix = (await quickFixes(uri, onA))[0];
    assert.ok(await vscode.workspace.applyEdit(fix.edit!), 'applyEdit');
    const expected = OVERLAP.replace('title: B\n    depends_on: []', 'title: B\n    depends_on: [wp-a]');
    assert.notEqual(expected, OVERLAP);
    assert.equal(doc.getText(), expected);
    await waitForDiagnostics(uri, [], 'no write-overlap once wp-b depends on wp-a');
    const after = await waitForPlan(api, uri, 'the registry to analyse the fixed text', (e) => e.analysis.text === expected);
    assert.deepEqual(after.analysis.graph.waves, [['wp-a'], ['wp-b']], 'the new wave layout');
    assert.deepEqual(after.analysis.diagnostics, []);
    assert.ok(after.analysis.valid);
  });

  it('after an unsaved edit moves the problem, the fix edits the moved text', async () => {
    const { uri, doc, range } = await openUnknown();
    const edit = new vscode.WorkspaceEdit();
    edit.insert(uri, new vscode.Position(0, 0), '# one more line\n# and another\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const moved = rangeOf(doc.getText(), '[wp-bsae]', { part: 'wp-bsae' });
    assert.equal(moved.start.line, range.start.line + 2);
    await waitForDiagnostics(uri, [`${describeRange(moved)} error dependency-unknown`], 'the diagnostic two lines down');
    // The fixes follow the same unsaved text as the diagnostics, which may be drawn a moment before them.
    const change = await waitFor(async () => (await quickFixes(uri, moved)).find((a) => a.isPreferred && a.edit), 'a preferred fix with an edit', { timeoutMs: 10_000, intervalMs: 200 });
    assert.ok(await vscode.workspace.applyEdit(change.edit!));
    assert.equal(doc.getText(), `# one more line\n# and another\n${UNKNOWN.replace('[wp-bsae]', '[wp-base]')}`);
    await waitForDiagnostics(uri, [], 'no diagnostics after the fix');
  });

  it('a dialect field: "Rename `id` to `package_id`" writes the canonical name and the warning goes', async () => {
    const api = await wavesApi();
    const { uri, doc } = await scratch().open('dialect.work-packages.yaml', DIALECT);
    const onId = rangeOf(DIALECT, '- id:', { part: 'id' });
    const onDeps = rangeOf(DIALECT, 'dependencies:', { part: 'dependencies' });
    await waitForDiagnostics(
      uri,
      [`${describeRange(onId)} warning dialect-field`, `${describeRange(onDeps)} warning dialect-field`],
      'a dialect-field warning on each dialect key',
    );
    const actions = await quickFixes(uri, onId);
    assert.deepEqual(actions.map((a) => `${a.title}${a.isPreferred ? ' (preferred)' : ''}`), ['Rename `id` to `package_id` (preferred)']);
    assert.ok(await vscode.workspace.applyEdit(actions[0].edit!), 'applyEdit');
    const renamed = DIALECT.replace('- id:', '- package_id:');
    assert.equal(doc.getText(), renamed);
    await waitForDiagnostics(uri, [`${describeRange(onDeps)} warning dialect-field`], 'only the dependencies warning left');
    // the package is the same package before and after: same id, same wave
    const entry = await waitForPlan(api, uri, 'the renamed plan', (e) => e.analysis.text === renamed);
    assert.deepEqual(entry.analysis.graph.waves, [['wp-base']]);
  });
});

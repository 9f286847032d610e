// "Navigation in the plan file": definition, references and hover on package ids,
// and a CodeLens `wave N · k dependents` over each package. On the workspace's own plan
// (test/vscode/workspaces/basic/work-packages.yaml), which these tests only read.
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import {
  Scratch,
  autoSaveOff,
  closeEditors,
  describeRange,
  rangeOf,
  waitFor,
  waitForDiagnostics,
  wavesApi,
  workspaceRoot,
} from '../helpers';

function planUri(): vscode.Uri {
  return vscode.Uri.joinPath(workspaceRoot(), 'work-packages.yaml');
}

/** The `wp-contract` in `depends_on: [wp-contract]` of `wp-api` (the first such line). */
function dependencyOfApi(text: string): vscode.Range {
  const range = rangeOf(text, 'depends_on: [wp-contract]', { part: 'wp-contract' });
  assert.ok(range.start.line > rangeOf(text, 'package_id: wp-api').start.line, "the first such line is wp-api's");
  return range;
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
    .join('\n');
}

function targetOf(l: vscode.Location | vscode.LocationLink): { uri: vscode.Uri; range: vscode.Range } {
  return 'targetUri' in l ? { uri: l.targetUri, range: l.targetSelectionRange ?? l.targetRange } : l;
}

describe('navigation', () => {
  before(autoSaveOff.before);
  after(autoSaveOff.after);
  let doc: vscode.TextDocument;
  before(async () => {
    await wavesApi();
    doc = await vscode.workspace.openTextDocument(planUri());
    await vscode.window.showTextDocument(doc);
  });
  after(async () => {
    await closeEditors((u) => u.toString() === planUri().toString());
  });

  it("go to definition on an id in depends_on lands on that package's package_id value", async () => {
    const text = doc.getText();
    const dep = dependencyOfApi(text);
    assert.equal(doc.getText(dep), 'wp-contract');
    const found = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>(
      'vscode.executeDefinitionProvider',
      doc.uri,
      dep.start.translate(0, 3),
    );
    assert.equal(found?.length, 1, `definitions: ${JSON.stringify(found)}`);
    const target = targetOf(found[0]);
    assert.equal(target.uri.toString(), doc.uri.toString());
    assert.equal(describeRange(target.range), describeRange(rangeOf(text, 'package_id: wp-contract', { part: 'wp-contract' })));
  });

  it('find references on a package id lists its declaration and every depends_on entry naming it', async () => {
    const text = doc.getText();
    const declaration = rangeOf(text, 'package_id: wp-contract', { part: 'wp-contract' });
    const found = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeReferenceProvider', doc.uri, declaration.start);
    const ranges = found.map((l) => describeRange(l.range)).sort();
    const expected = [
      declaration,
      rangeOf(text, 'depends_on: [wp-contract]', { part: 'wp-contract' }),
      rangeOf(text, 'depends_on: [wp-contract]', { occurrence: 1, part: 'wp-contract' }),
    ]
      .map(describeRange)
      .sort();
    assert.deepEqual(ranges, expected);
  });

  it('hover on an id in depends_on describes that package and names its wave', async () => {
    const dep = dependencyOfApi(doc.getText());
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, dep.start.translate(0, 1));
    const mine = hovers.filter((h) => /wp\\?-contract/.test(hoverText([h])));
    assert.equal(mine.length, 1, `hovers: ${hoverText(hovers)}`);
    const md = hoverText(mine);
    assert.match(md, /\*\*wp\\?-contract\*\*/, 'names the package');
    assert.match(md, /API contract/, 'gives its title');
    assert.match(md, /Wave 1\b/, 'names its wave');
    assert.match(md, /Dependents: `wp-api`, `wp-web`/);
    assert.equal(describeRange(mine[0].range!), describeRange(dep), 'the hover covers the id');
  });

  it('hover on the id of a wave-2 package says wave 2', async () => {
    const id = rangeOf(doc.getText(), 'package_id: wp-web', { part: 'wp-web' });
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, id.start);
    assert.match(hoverText(hovers), /Wave 2\b/);
  });

  it('a CodeLens `wave N · k dependents` sits on each package id', async () => {
    const text = doc.getText();
    // The plan's own lenses (the run actions' lenses, commands waves.*, are run.test.ts's).
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 10)).filter((l) => !l.command?.command.startsWith('waves.'));
    const shown = lenses.map((l) => `${describeRange(l.range)} ${l.command?.title}`).sort();
    const at = (id: string) => describeRange(rangeOf(text, `package_id: ${id}`, { part: id }));
    assert.deepEqual(
      shown,
      [
        `${at('wp-contract')} wave 1 · 2 dependents`,
        `${at('wp-api')} wave 2 · 0 dependents`,
        `${at('wp-web')} wave 2 · 0 dependents`,
      ].sort(),
    );
    const contract = lenses.find((l) => l.command?.title === 'wave 1 · 2 dependents')!;
    assert.equal(contract.command?.command, 'editor.action.showReferences', 'the lens shows the dependents');
  });

  it('CodeLenses follow an unsaved edit, and a package on a cycle says so', async () => {
    const scratch = new Scratch('lens');
    try {
      const text = `packages:\n  - package_id: a\n  - package_id: b\n    depends_on: [a]\n`;
      const uri = await scratch.write('lens.work-packages.yaml', text);
      const lensDoc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(lensDoc);
      const titles = async () =>
        ((await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 10)) ?? [])
          .map((l) => `${l.range.start.line} ${l.command?.title}`)
          .sort()
          .join(' | ');
      assert.equal(await titles(), '1 wave 1 · 1 dependent | 2 wave 2 · 0 dependents');
      const edit = new vscode.WorkspaceEdit();
      edit.insert(uri, new vscode.Position(2, 0), '    depends_on: [b]\n'); // a depends on b: a cycle
      assert.ok(await vscode.workspace.applyEdit(edit));
      await waitForDiagnostics(
        uri,
        [
          `${describeRange(rangeOf(lensDoc.getText(), '[b]', { part: 'b' }))} error dependency-cycle`,
          `${describeRange(rangeOf(lensDoc.getText(), '[a]', { part: 'a' }))} error dependency-cycle`,
        ],
        'the cycle in the unsaved text',
      );
      await waitFor(
        async () => (await titles()) === '1 no wave (cycle) · 1 dependent | 3 no wave (cycle) · 1 dependent',
        'the lenses of the cycle',
      );
    } finally {
      await scratch.dispose();
    }
  });
});

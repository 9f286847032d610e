// Coupling between parallel packages in a real VS Code — a plan opened in a
// git repository where code of one package imports a file of another that may run at the same
// time: the warning in the Problems panel on the importing package, its quick fix adds the
// dependency, and the warning goes.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as vscode from 'vscode';
import { describeRange, rangeOf, useScratch, waitForDiagnostics, wavesApi } from '../helpers';

const PLAN = `schema_version: 1
feature:
  id: coupling
packages:
  - package_id: wp-a
    title: API
    scope:
      write_allow: ["src/a/**"]
  - package_id: wp-b
    title: Use
    scope:
      write_allow: ["src/b/**"]
`;

const MESSAGE = 'wp-b imports src/a/api.ts (from src/b/use.ts), which wp-a may change: give wp-b a dependency on wp-a or a contract both read';

describe('coupling between parallel packages (#34 item 3)', () => {
  const scratch = useScratch('coupling');

  it('warns at the importing package in the Problems panel; the quick fix adds the dependency and the warning goes', async () => {
    await wavesApi();
    const s = scratch();
    await s.write('src/a/api.ts', 'export function f(): number {\n  return 1;\n}\n');
    await s.write('src/b/use.ts', "import { f } from '../a/api';\n\nexport const g = () => f() + 1;\n");
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: s.root.fsPath, stdio: 'pipe' });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'init');

    const { uri, doc } = await s.open('coupling.work-packages.yaml', PLAN);
    const at = rangeOf(PLAN, '- package_id: wp-b', { part: 'wp-b' });
    await waitForDiagnostics(uri, [`${describeRange(at)} warning coupling`], 'the coupling warning on wp-b', 30_000);
    const shown = vscode.languages.getDiagnostics(uri).find((d) => d.code === 'coupling')!;
    assert.equal(shown.message, MESSAGE);
    assert.equal(shown.source, 'waves');

    const actions = ((await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>(
      'vscode.executeCodeActionProvider',
      uri,
      at,
      vscode.CodeActionKind.QuickFix.value,
    )) ?? []).filter((a): a is vscode.CodeAction => 'edit' in a && !!a.edit);
    const fix = actions.find((a) => a.title === 'Make `wp-b` depend on `wp-a`');
    assert.ok(fix, `the quick fix is offered: ${JSON.stringify(actions.map((a) => a.title))}`);
    assert.equal(fix.isPreferred, true);
    assert.ok(await vscode.workspace.applyEdit(fix.edit!), 'applyEdit');
    assert.equal(doc.getText(), PLAN.replace('  - package_id: wp-b\n', '  - package_id: wp-b\n    depends_on: [wp-a]\n'));
    await waitForDiagnostics(uri, [], 'no warning once wp-b depends on wp-a', 30_000);
  });
});

/**
 * The CodeLenses at the top of a task list of another tool that the plan registry reads: what it
 * is (read-only), `Convert to work-packages.yaml`, `Show DAG`, and `Open <plan>` for each plan
 * converted from it. Run actions are never offered on it (it is converted to run). The plan's
 * own `wave N · k dependents` lenses on each task are navigation's (src/plan/navigation.ts).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FOREIGN_SELECTOR, type PlanRegistry } from '../../plan/planRegistry';
import { Disposable } from '../../util/lifecycle';

export class ForeignLenses extends Disposable implements vscode.CodeLensProvider {
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(
    private readonly registry: PlanRegistry,
    private readonly links: { plansOf(source: vscode.Uri): vscode.Uri[]; readonly onDidChangeLinks: vscode.Event<void> },
  ) {
    super();
    this.register(links.onDidChangeLinks(() => this.changed.fire()));
    this.register(vscode.languages.registerCodeLensProvider(FOREIGN_SELECTOR, this));
    this.register(registry.onDidChange(() => this.changed.fire()));
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('waves.codeLens.enabled')) this.changed.fire();
      }),
    );
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!vscode.workspace.getConfiguration('waves', document.uri).get<boolean>('codeLens.enabled', true)) return [];
    const entry = this.registry.get(document.uri);
    if (!entry?.foreign) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    // One file of a folder read as one plan (GSD, Spec Kitty): the folder is the task list.
    const uri = entry.folder ?? entry.uri;
    const lenses = [
      new vscode.CodeLens(top, {
        title: `$(lock) ${entry.foreign.formatName}${entry.folder ? ` of ${path.posix.basename(uri.path)}` : ''}: read-only`,
        tooltip: `Wave Orchestrator shows this ${entry.folder ? 'folder' : 'task list'} as a plan; it runs once converted to work-packages.yaml`,
        command: '',
      }),
      new vscode.CodeLens(top, { title: '$(arrow-swap) Convert to work-packages.yaml', tooltip: 'Write a plan beside it (Waves: Convert to work-packages.yaml)', command: 'waves.convertToPlan', arguments: [uri] }),
      new vscode.CodeLens(top, { title: '$(type-hierarchy) Show DAG', tooltip: 'Its waves in the DAG panel (Waves: Show DAG)', command: 'waves.showDag', arguments: [uri] }),
    ];
    for (const plan of this.links.plansOf(uri)) {
      lenses.push(new vscode.CodeLens(top, { title: `$(go-to-file) Open ${path.posix.basename(plan.path)}`, tooltip: `The plan converted from it: ${vscode.workspace.asRelativePath(plan)}`, command: 'vscode.open', arguments: [plan] }));
    }
    return lenses;
  }
}

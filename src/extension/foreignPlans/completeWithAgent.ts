/**
 * `Waves: Complete with Agent…` on a converted plan — one whose packages carry
 * `inputs.converted_from` (src/core/formats/sourceLink.ts): the palette, a lens at the top of the
 * plan, the Waves view's menu while it is the active plan, and the notification Convert shows.
 * It hands the plan, as saved, to the planning controller as a draft (`waves.planFeature` with
 * `{ draft }`: the parts built on first use run it like Plan a Feature — progress, cancel, the
 * proposal shown for approval; nothing runs before the person approves it).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { proposedPlanIdOf } from '../../core/planning/planningSession';
import { PLAN_SELECTOR, type PlanEntry, type PlanRegistry } from '../../plan/planRegistry';
import { Disposable } from '../../util/lifecycle';

export const COMPLETE_COMMAND = 'waves.completeWithAgent';

/** Whether a plan was converted from a task list (a package carries `inputs.converted_from`), and is no proposal of a planning session already. */
export function isConvertedPlan(entry: PlanEntry | undefined): entry is PlanEntry {
  if (!entry || entry.foreign || entry.uri.scheme !== 'file') return false;
  if (proposedPlanIdOf(entry.uri.fsPath, (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath))) return false;
  return entry.analysis.plan.packages.some((p) => {
    const inputs = p.inputs as unknown;
    return typeof inputs === 'object' && inputs !== null && !Array.isArray(inputs) && Object.hasOwn(inputs, 'converted_from');
  });
}

export class CompleteWithAgent extends Disposable implements vscode.CodeLensProvider {
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly registry: PlanRegistry) {
    super();
    this.register(vscode.commands.registerCommand(COMPLETE_COMMAND, (arg?: unknown) => this.complete(arg)));
    this.register(vscode.languages.registerCodeLensProvider(PLAN_SELECTOR, this));
    this.register(
      registry.onDidChange(() => {
        this.changed.fire();
        this.setContext();
      }),
    );
    this.register(vscode.window.onDidChangeActiveTextEditor(() => this.setContext()));
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('waves.codeLens.enabled')) this.changed.fire();
      }),
    );
    this.setContext();
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!vscode.workspace.getConfiguration('waves', document.uri).get<boolean>('codeLens.enabled', true)) return [];
    const entry = this.registry.get(document.uri);
    if (!isConvertedPlan(entry)) return [];
    return [
      new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), {
        title: '$(sparkle) Complete with Agent…',
        tooltip: 'A planning agent settles the guessed write scopes and the implied dependencies, keeping every task; you approve the plan before anything runs',
        command: COMPLETE_COMMAND,
        arguments: [entry.uri],
      }),
    ];
  }

  /**
   * Completes the converted plan given (a URI, a row of the Waves view), in the editor, active, or
   * picked; its unsaved changes saved first when the person says so. The planning controller's
   * session (or undefined when nothing started).
   */
  private async complete(arg: unknown): Promise<unknown> {
    const draft = await this.target(arg);
    if (!draft) return undefined;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === draft.toString());
    if (open?.isDirty) {
      const save = 'Save and Complete';
      const choice = await vscode.window.showWarningMessage(`${path.posix.basename(draft.path)} has unsaved changes: the agent completes the plan as saved.`, { modal: true }, save);
      if (choice !== save || !(await open.save())) return undefined;
    }
    return vscode.commands.executeCommand('waves.planFeature', { draft });
  }

  private async target(arg: unknown): Promise<vscode.Uri | undefined> {
    if (arg instanceof vscode.Uri) return arg;
    const entryUri = (arg as { entry?: { uri?: unknown } } | undefined)?.entry?.uri;
    if (entryUri instanceof vscode.Uri) return entryUri;
    const shown = vscode.window.activeTextEditor?.document.uri;
    if (shown && isConvertedPlan(this.registry.get(shown))) return shown;
    await this.registry.ready;
    if (isConvertedPlan(this.registry.active)) return this.registry.active.uri;
    const converted = this.registry.plans.filter((e) => isConvertedPlan(e));
    if (converted.length === 0) {
      void vscode.window.showInformationMessage('There is no converted plan in this workspace: convert a task list first (Waves: Convert to work-packages.yaml).');
      return undefined;
    }
    if (converted.length === 1) return converted[0]!.uri;
    const picked = await vscode.window.showQuickPick(
      converted.map((e) => ({ label: e.label, uri: e.uri })),
      { title: 'Complete with Agent', placeHolder: 'The converted plan to complete' },
    );
    return picked?.uri;
  }

  private setContext(): void {
    const set = (key: string, value: boolean) => void vscode.commands.executeCommand('setContext', key, value);
    set('waves.hasConvertedPlan', this.registry.plans.some((e) => isConvertedPlan(e)));
    const shown = vscode.window.activeTextEditor?.document.uri;
    set('waves.activePlanConverted', isConvertedPlan(shown ? this.registry.get(shown) : undefined) || isConvertedPlan(this.registry.active));
  }
}

/**
 * Task lists of other tools in the editor (spec-kit, Kiro / cc-sdd and OpenSpec `tasks.md`,
 * Taskmaster `tasks.json`, beads `issues.jsonl`; GSD phase folders and Spec Kitty features, an
 * entry a folder). The plan registry finds and analyses them as
 * plans (read-only), so the Waves view, the DAG panel, hover, CodeLens and the Problems panel
 * show them through their usual path; this part adds what only they have: `Waves: Convert to
 * work-packages.yaml` (palette, the lens at the top of the file, Explorer's context menu, the
 * Waves view), the offer to update a converted plan when its source changes, the context
 * keys that put Convert where Run Plan would be (`waves.hasForeignPlan`, `waves.activePlanForeign`),
 * and `Waves: Complete with Agent…` on a converted plan (completeWithAgent.ts; also a button of
 * the notification Convert shows).
 */
import * as vscode from 'vscode';
import { isForeignUri, type PlanRegistry } from '../../plan/planRegistry';
import { Disposable } from '../../util/lifecycle';
import { COMPLETE_COMMAND, CompleteWithAgent } from './completeWithAgent';
import { ConversionRecords, convertInEditor, dialogQuestions, type ConvertQuestions, type Converted } from './convertInEditor';
import { ForeignLenses } from './foreignLenses';
import { SourceUpdates } from './sourceUpdates';

export const CONVERT_COMMAND = 'waves.convertToPlan';
export { COMPLETE_COMMAND };

/** The buttons of the notification a conversion shows. */
export const AFTER_CONVERT = { complete: 'Complete with Agent…', problems: 'Show Problems' } as const;

export class ForeignPlans extends Disposable {
  /** What Convert asks the person (the suite answers instead). */
  questions: ConvertQuestions = dialogQuestions;
  readonly updates: SourceUpdates;
  private readonly records: ConversionRecords;
  /** The notification a conversion shows, and the button chosen (the suite answers instead). */
  notify: (message: string, ...buttons: string[]) => Thenable<string | undefined> = (message, ...buttons) => vscode.window.showInformationMessage(message, ...buttons);
  /** What the last notification's button started (Complete with Agent's session, or the Problems panel): the suite waits on it. */
  afterConvert: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: { registry: PlanRegistry; log: vscode.LogOutputChannel; memento: vscode.Memento }) {
    super();
    this.records = new ConversionRecords(deps.memento);
    this.updates = this.register(new SourceUpdates({ registry: deps.registry, records: this.records, log: deps.log }));
    this.register(new ForeignLenses(deps.registry, this.updates));
    this.register(new CompleteWithAgent(deps.registry));
    this.register(vscode.commands.registerCommand(CONVERT_COMMAND, (arg?: unknown) => this.convertCommand(arg)));
    this.register(deps.registry.onDidChange(() => this.setContext()));
    this.setContext();
  }

  /** Converts the task list at `source` (see convertInEditor); undefined when the person declined. */
  convert(source: vscode.Uri): Promise<Converted | undefined> {
    return convertInEditor(source, { registry: this.deps.registry, questions: this.questions, remember: (plan, record) => this.updates.remember(plan, record) });
  }

  private async convertCommand(arg: unknown): Promise<Converted | undefined> {
    try {
      const source = await this.target(arg);
      if (!source) return undefined;
      const done = await this.convert(source);
      if (done) {
        const said =
          `Wrote ${vscode.workspace.asRelativePath(done.plan)}: ${done.packages} package${done.packages === 1 ? '' : 's'} from ${done.formatName} ${vscode.workspace.asRelativePath(done.source)}` +
          ` (${done.implied} implied dependencies and ${done.guessed} guessed write scopes marked in comments: review them).`;
        this.deps.log.info(said);
        // Complete with Agent hands the draft to a planning agent (nothing runs before the person approves); no process in a workspace not trusted.
        const buttons = vscode.workspace.isTrusted ? [AFTER_CONVERT.complete, AFTER_CONVERT.problems] : [AFTER_CONVERT.problems];
        this.afterConvert = Promise.resolve(this.notify(said, ...buttons)).then((choice) =>
          choice === AFTER_CONVERT.complete
            ? vscode.commands.executeCommand(COMPLETE_COMMAND, done.plan)
            : choice === AFTER_CONVERT.problems
              ? vscode.commands.executeCommand('workbench.actions.view.problems')
              : undefined,
        );
        this.afterConvert.catch((err: unknown) => this.deps.log.error('After Convert to work-packages.yaml', err));
      }
      return done;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.deps.log.error(`Convert to work-packages.yaml failed: ${message}`);
      void vscode.window.showErrorMessage(`Wave Orchestrator: ${message}`);
      return undefined;
    }
  }

  /** The task list to convert: the one given (a URI, a row of the Waves view), the one in the editor, the active one, or one the person picks. */
  private async target(arg: unknown): Promise<vscode.Uri | undefined> {
    // A file of a folder read as one plan (GSD, Spec Kitty; Explorer's menu, a lens): the folder.
    if (arg instanceof vscode.Uri) return this.deps.registry.get(arg)?.folder ?? arg;
    const entryUri = (arg as { entry?: { uri?: unknown } } | undefined)?.entry?.uri;
    if (entryUri instanceof vscode.Uri) return entryUri;
    const { registry } = this.deps;
    const shown = vscode.window.activeTextEditor?.document.uri;
    if (shown && (registry.get(shown)?.foreign || isForeignUri(shown))) return registry.get(shown)?.folder ?? shown; // a file of a folder read as one plan: the folder
    await registry.ready;
    if (registry.active?.foreign) return registry.active.uri;
    const lists = registry.plans.filter((e) => e.foreign);
    if (lists.length === 0) {
      void vscode.window.showInformationMessage('There is no task list of another tool in this workspace (spec-kit, Kiro / cc-sdd or OpenSpec tasks.md, Taskmaster tasks.json, beads issues.jsonl, a GSD phase folder, a Spec Kitty feature).');
      return undefined;
    }
    if (lists.length === 1) return lists[0].uri;
    const picked = await vscode.window.showQuickPick(
      lists.map((e) => ({ label: e.label, description: e.foreign!.formatName, uri: e.uri })),
      { title: 'Convert to work-packages.yaml', placeHolder: 'The task list to convert' },
    );
    return picked?.uri;
  }

  private setContext(): void {
    const set = (key: string, value: boolean) => void vscode.commands.executeCommand('setContext', key, value);
    set('waves.hasForeignPlan', this.deps.registry.plans.some((e) => e.foreign));
    set('waves.activePlanForeign', this.deps.registry.active?.foreign !== undefined);
  }
}

/**
 * `Waves: Approve Verification Commands…` (the Getting Started walkthrough): the active
 * plan's verification commands shown in a modal, exactly as they would run, and approved as
 * that list on this machine without running anything — what `waves approve` does on a
 * terminal, through the same consent code (`approveShown`: the plan read again, nothing
 * approved when its list changed). The context key `waves.verificationApproved` says whether
 * the active plan's list is approved (the walkthrough's step completes on it).
 */
import * as vscode from 'vscode';
import { approveShown, loadPlan, planCommandsApproved, verificationOf } from '../../engine';
import type { PlanEntry, PlanRegistry } from '../../plan/planRegistry';
import { Disposable } from '../../util/lifecycle';
import { registerShown } from '../run/runCommands';
import { askToApprove, explainRestricted } from '../run/runController';

export const APPROVED_CONTEXT = 'waves.verificationApproved';

/** After the parts are built, the context key's first answer (ms): the first command's own work comes first. */
const FIRST_UPDATE_MS = 1000;

/** The question asked (a modal; tests answer it). True: approve exactly `commands`. */
export type ApproveQuestion = (label: string, commands: readonly string[]) => Promise<boolean>;

export class VerificationApproval extends Disposable {
  /** The modal; replaced by tests. */
  question: ApproveQuestion = (label, commands) => askToApprove(label, commands, 'Approve');
  private approvedNow: boolean | undefined;
  /** The context key is first set a moment after these parts are built (`FIRST_UPDATE_MS`): reading the approvals reads the plan as a run does, after the command that built them. */
  private following = false;

  constructor(
    private readonly registry: PlanRegistry,
    log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(registerShown('waves.approveVerification', log, (arg) => this.approve(arg)));
    this.register(registry.onDidChange(() => this.following && this.update()));
    const soon = setTimeout(() => {
      this.following = true;
      this.update();
    }, FIRST_UPDATE_MS);
    this.register({ dispose: () => clearTimeout(soon) });
  }

  /** Whether the active plan's verification commands are approved (what the context key says). */
  get approved(): boolean {
    return this.approvedNow ?? false;
  }

  /**
   * Approves the plan's commands (the plan `arg` names — a Uri —, else the active one) after the
   * person saw them. 'approved' (now or before, or nothing to approve), 'declined', or 'none'
   * (no plan, Restricted Mode, the plan changed).
   */
  async approve(arg?: unknown): Promise<'approved' | 'declined' | 'none'> {
    if (!vscode.workspace.isTrusted) {
      // Reading the plan as a run does asks git where its repository is: no process in Restricted Mode.
      await explainRestricted();
      return 'none';
    }
    await this.registry.ready;
    const entry = arg instanceof vscode.Uri ? this.registry.get(arg) : this.registry.active;
    if (!entry) {
      void vscode.window.showInformationMessage('Waves: there is no plan in this workspace.');
      return 'none';
    }
    const plan = await loadPlan(entry.uri.fsPath);
    const { commands, approved } = verificationOf(plan);
    if (commands.length === 0 || approved) {
      void vscode.window.showInformationMessage(
        commands.length === 0 ? `Waves: ${entry.label} has no verification commands: nothing to approve.` : `Waves: the verification commands of ${entry.label} are approved already.`,
      );
      this.update();
      return 'approved';
    }
    if (!(await this.question(entry.label, commands))) return 'declined';
    const done = await approveShown(plan.file, commands);
    if (!done.ok) {
      void vscode.window.showWarningMessage(`Waves: nothing approved: ${entry.label} changed since its list was read. Approve again to see it now.`);
      return 'none';
    }
    void vscode.window.showInformationMessage(`Waves: approved ${commands.length} verification command${commands.length === 1 ? '' : 's'} of ${entry.label}; a run asks again only when the list changes.`);
    this.update();
    return 'approved';
  }

  private update(): void {
    this.following = true;
    const entry: PlanEntry | undefined = this.registry.active;
    const now = entry ? planCommandsApproved(entry.uri.fsPath, entry.analysis) : false;
    if (now === this.approvedNow) return;
    this.approvedNow = now;
    void vscode.commands.executeCommand('setContext', APPROVED_CONTEXT, now);
  }
}

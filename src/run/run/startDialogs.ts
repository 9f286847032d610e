/**
 * The person's side of a start in the editor (runController.ts): the questions a start asks in
 * modals (the verification commands, another feature's planned claims, the forecast), and what a
 * refused start, a run stopped on a fault or Restricted Mode says, with what to do next.
 */
import * as vscode from 'vscode';
import { hasUnsafeCharacters, visibleText } from '../../core/present/visibleText';
import { forecastLines, type RunForecast } from '../../core/run/forecast';
// The text of a planned conflict from the core, not the engine's door: this module loads no engine (ADR 0029).
import { plannedConflictText, type PlannedConflict } from '../../core/coordinator/sharedCoordinator';
import type { ScopeRequestAsked, StartRefusal, SubPlanAsked } from '../../engine';
import type { PlanEntry } from '../../plan/planRegistry';
import { reopenInWsl, REOPEN_IN_WSL } from './wslOffer';

const RESTRICTED_MESSAGE =
  'Waves: this workspace is in Restricted Mode. Running a plan starts coding agents and git, so nothing runs until you trust the workspace.';

/** Shows why nothing starts in Restricted Mode, with the way out. */
export async function explainRestricted(): Promise<void> {
  const manage = 'Manage Workspace Trust';
  const choice = await vscode.window.showWarningMessage(RESTRICTED_MESSAGE, manage);
  if (choice === manage) await vscode.commands.executeCommand('workbench.trust.manage');
}

/**
 * A refused start: the use case's reason (the same `waves run` prints) and what the person
 * can do next here. An adoption nobody asked for only logs it (the reconciler offers Resume).
 */
export function showRefusal(log: vscode.LogOutputChannel, entry: PlanEntry, refusal: StartRefusal, adopt: boolean): void {
  log.warn(`[run] ${entry.label}: not started (${refusal.kind}): ${refusal.reason}${refusal.details.map((d) => `\n  ${d}`).join('')}`);
  if (adopt && refusal.kind !== 'adopt-refused') return;
  const settings = (key: string) => (pick: string | undefined) => {
    if (pick) void vscode.commands.executeCommand('workbench.action.openSettings', key);
  };
  switch (refusal.kind) {
    case 'plan-invalid':
      void vscode.window.showErrorMessage(`Waves: ${refusal.reason} (see Problems).`);
      return;
    case 'no-repository':
    case 'plan-unreadable':
    case 'unknown-package':
      void vscode.window.showErrorMessage(`Waves: ${refusal.reason}.`);
      return;
    case 'bad-hosts':
      void vscode.window.showErrorMessage(`Waves: ${refusal.reason}: ${refusal.details.join('; ')}. Nothing was started.`, 'Open Settings').then(settings('waves.hosts'));
      return;
    case 'commands-unapproved':
      void vscode.window.showWarningMessage(`Waves: ${refusal.reason}: ${refusal.details.map(visibleText).join(', ')}`);
      return;
    case 'driven-elsewhere':
      void vscode.window.showWarningMessage(`Waves: ${refusal.reason}. Watch it here, or cancel it first.`);
      return;
    case 'planned-claims':
      void vscode.window.showWarningMessage(`Waves: ${refusal.reason}: ${refusal.details.join('; ')}. Nothing was started.`);
      return;
    case 'no-confinement':
      // Native Windows: the walls are had in WSL — offered as a button.
      if (process.platform === 'win32') {
        void vscode.window.showErrorMessage(`Waves: ${refusal.reason}. Nothing was started.`, REOPEN_IN_WSL).then((pick) => {
          if (pick === REOPEN_IN_WSL) void reopenInWsl();
        });
        return;
      }
      void vscode.window
        .showErrorMessage(
          `Waves: ${refusal.reason}.${refusal.details.length ? ` What would make the walls here: ${refusal.details.join('; ')}.` : ''} Nothing was started; to run the agents without walls anyway, turn on your own setting waves.sandbox.unconfined.`,
          'Open Settings',
        )
        .then(settings('waves.sandbox'));
      return;
    case 'container-wall-refused':
    case 'walls-from-repository':
    case 'plan-nested':
    case 'only-waits':
      void vscode.window.showErrorMessage(`Waves: ${refusal.reason}: ${refusal.details.join('; ')}. Nothing was started.`);
      return;
    case 'tree-in-the-way':
      void vscode.window.showErrorMessage(`Waves: ${refusal.reason}.`);
      return;
    case 'bad-candidates':
      void vscode.window.showErrorMessage(`Waves: ${refusal.reason}: ${refusal.details.join('; ')}. Nothing was started.`, 'Open Settings').then(settings('waves.candidates'));
      return;
    case 'coordinator-unreachable':
      void vscode.window
        .showErrorMessage(
          `Waves: ${refusal.reason}. Nothing was started and no run state was written: try again when it answers, or clear waves.coordinator to run with this clone's own lock table.`,
          'Open Settings',
        )
        .then(settings('waves.coordinator'));
      return;
    default:
      void vscode.window.showWarningMessage(`Waves: ${refusal.reason}.`);
  }
}

/** A run that stopped on a fault (not a refusal). */
export function showError(log: vscode.LogOutputChannel, entry: PlanEntry, err: unknown): void {
  log.error(`[run] ${entry.label}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  void vscode.window.showErrorMessage(`Waves: the run of ${entry.label} stopped: ${err instanceof Error ? err.message : String(err)}`);
}

/**
 * The person asked to approve the run's verification commands, in a modal with the exact list
 * (escaped: `visibleText`). True: `yes` (Approve and Run; `Waves: Approve Verification Commands…`'s Approve).
 */
export async function askToApprove(label: string, commands: readonly string[], yes = 'Approve and Run'): Promise<boolean> {
  const choice = await vscode.window.showWarningMessage(
    `Waves: approve the verification commands of ${label}?`,
    {
      modal: true,
      detail: `After each package, ${commands.length === 1 ? 'this command runs' : `these ${commands.length} commands run`} with your shell in its worktree, exactly as written:\n\n${commands.map((c) => `  ${visibleText(c)}`).join('\n')}\n\n${commands.some(hasUnsafeCharacters) ? 'Warning: the list holds control or bidi characters (CR, escape sequences, direction overrides), shown as \\r, \\x.., \\u.... escapes.\n\n' : ''}You are asked again when the list changes.`,
    },
    yes,
  );
  return choice === yes;
}

/** A plan's path as the workspace shows it (with its folder's name in a multi-root workspace). */
export function relativeLabel(file: string): string {
  return vscode.workspace.asRelativePath(file, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
}

/**
 * A new run's confirmation with its forecast, in a modal: the expected wall time and its
 * range, the critical path, the spend per agent. True: Run. `waves.run.confirm` off: not asked.
 */
export async function askToRun(label: string, forecast: RunForecast, planFile: string): Promise<boolean> {
  if (vscode.workspace.getConfiguration('waves', vscode.Uri.file(planFile)).get<boolean>('run.confirm') === false) return true;
  const yes = 'Run';
  const n = forecast.packages.length;
  const choice = await vscode.window.showInformationMessage(
    `Waves: run ${label} (${n} package${n === 1 ? '' : 's'})?`,
    { modal: true, detail: `${forecastLines(forecast).join('\n')}\n\nTurn this question off with the setting waves.run.confirm.` },
    yes,
  );
  return choice === yes;
}

/** Other features' approved plans claim this plan's lock keys: the person decides, in a modal. True: Run Anyway. */
export async function askToOverlap(conflicts: readonly PlannedConflict[]): Promise<boolean> {
  const yes = 'Run Anyway';
  const choice = await vscode.window.showWarningMessage(
    `Waves: another feature's approved plan claims the same lock key${conflicts.length === 1 ? '' : 's'}. Run anyway?`,
    {
      modal: true,
      detail: `${conflicts.map((c) => visibleText(plannedConflictText(c))).join('\n')}\n\nRun after it (its run removes its planned claims when it succeeds), agree with its driver, or go ahead anyway.`,
    },
    yes,
  );
  return choice === yes;
}

/**
 * A planner's sub-plan runs verification commands not approved for this plan, while its run goes
 * on: a notification; Review opens the sub-plan and asks in a modal (the commands escaped, as at a
 * start). Dismissed, Later or not answered: it waits, and the next start asks.
 */
export async function askToApproveSubPlan(request: SubPlanAsked): Promise<boolean> {
  const review = 'Review and Approve…';
  const n = request.commands.length;
  const choice = await vscode.window.showWarningMessage(
    `Waves: ${visibleText(request.packageId)}'s planner wrote a sub-plan that runs ${n === 1 ? 'a command' : `${n} commands`} not approved for this plan. It waits until you approve ${n === 1 ? 'it' : 'them'}.`,
    review,
    'Later',
  );
  if (choice !== review) return false;
  await vscode.window.showTextDocument(vscode.Uri.file(request.path), { preview: true, viewColumn: vscode.ViewColumn.Beside });
  return askToApprove(visibleText(request.file), request.commands);
}

/**
 * An agent asks for more write scope while its run goes on (ADR 0036): a notification, not a
 * modal (the run and the editor go on meanwhile), already checked against every other package's
 * scope, locks and grants. Dismissed or unanswered: refused.
 */
export async function askToGrantScope(request: ScopeRequestAsked): Promise<boolean> {
  const allow = 'Allow';
  const paths = request.paths.map((p) => visibleText(p));
  const shown = paths.length <= 3 ? paths.join(', ') : `${paths.slice(0, 3).join(', ')} and ${paths.length - 3} more`;
  const choice = await vscode.window.showWarningMessage(
    `Waves: ${visibleText(request.packageId)}'s agent asks to also write ${shown}: “${visibleText(request.reason)}”. No other package may write ${paths.length === 1 ? 'it' : 'them'}; allowed, its audit takes ${paths.length === 1 ? 'it' : 'them'} in.`,
    allow,
    'Refuse',
  );
  return choice === allow;
}

/**
 * The notifications that matter during a run, and nothing else: an agent waits for a
 * person, a package awaits the person's review or pick (best of n), failed for good (its
 * automatic retries used up), went out of its scope, or conflicts with the integration branch, and the run finished (with its
 * speed-up). Each offers the one or two actions that help.
 */
import * as vscode from 'vscode';
import { retryBudgetOf } from '../../core/plan/defaults';
import type { EngineEvent } from '../../engine';
import type { PlanRegistry } from '../../plan/planRegistry';
import { Disposable } from '../../util/lifecycle';
import type { RunController, RunSession } from './runController';
import { showConflicts } from './changes';

export class RunNotifications extends Disposable {
  /** What was shown, newest last (the tests read it; the log has it too). */
  readonly shown: string[] = [];

  constructor(
    private readonly controller: RunController,
    private readonly registry: PlanRegistry,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(controller.onDidEngineEvent(({ session, event }) => void this.onEvent(session, event)));
  }

  private retryBudget(session: RunSession, packageId: string): number {
    const plan = session.engine.analysis.plan;
    const pkg = plan.packages.find((p) => p.id === packageId);
    return retryBudgetOf(pkg, plan.defaults);
  }

  private async show(kind: 'info' | 'warning' | 'error', message: string, ...actions: string[]): Promise<string | undefined> {
    this.shown.push(message);
    this.log.info(`[notification] ${message}`);
    const fn = kind === 'info' ? vscode.window.showInformationMessage : kind === 'warning' ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
    return fn(message, ...actions);
  }

  /** The packages told they await the pick, each once per wait: `<feature> <run> <package> <attempt>`. */
  private readonly picksTold = new Set<string>();

  /** Best of n, `pick: person`: the package waits for the person, as under the review gate; Pick… compares its green candidates. */
  private async awaitingPick(session: RunSession, packageId: string, attempt: number, detail: string): Promise<void> {
    const key = `${session.featureId} ${session.engine.store?.state?.runId ?? ''} ${packageId} ${attempt}`;
    if (this.picksTold.has(key)) return;
    this.picksTold.add(key);
    const pick = 'Pick…';
    const passed = detail.replace(/^awaiting your pick:?\s*/, '');
    const choice = await this.show('warning', `Waves: ${packageId} awaits your pick${passed ? ` — ${passed}` : ''}. The one you pick is merged; its dependents wait until then.`, pick);
    if (choice === pick) await vscode.commands.executeCommand('waves.pickCandidate', { uri: session.planUri, packageId });
  }

  private async onEvent(session: RunSession, event: EngineEvent): Promise<void> {
    const pkgArg = { uri: session.planUri, packageId: '' };
    switch (event.type) {
      case 'needs-input': {
        if (!event.reason) return;
        const open = 'Open Terminal';
        if ((await this.show('warning', `Waves: ${event.packageId} needs input — ${event.reason}`, open)) === open)
          await vscode.commands.executeCommand('waves.openTerminal', { ...pkgArg, packageId: event.packageId });
        return;
      }
      case 'package': {
        if (event.status === 'scope-violation') {
          const changes = 'Show Changes';
          if ((await this.show('error', `Waves: ${event.packageId} changed files outside its scope: ${event.detail ?? ''}`, changes)) === changes)
            await vscode.commands.executeCommand('waves.showChanges', { ...pkgArg, packageId: event.packageId });
          return;
        }
        if (event.status === 'awaiting-review') {
          // The review gate: the package waits for the person, as an agent's question does.
          const changes = 'Show Changes';
          const approve = 'Approve';
          const choice = await this.show('warning', `Waves: ${event.packageId} awaits your review — Approve merges it; Request Changes sends your comments to its agent`, changes, approve);
          if (choice === changes) await vscode.commands.executeCommand('waves.showChanges', { ...pkgArg, packageId: event.packageId });
          else if (choice === approve) await vscode.commands.executeCommand('waves.approvePackage', { ...pkgArg, packageId: event.packageId });
          return;
        }
        if (event.status === 'running' && event.detail?.startsWith('awaiting your pick')) return this.awaitingPick(session, event.packageId, event.attempt, event.detail);
        if (event.status !== 'failed') return;
        // A failure the engine retries by itself is not worth a pop-up; the last one is.
        if (event.attempt <= this.retryBudget(session, event.packageId)) return;
        if (session.engine.store?.state?.merges[event.packageId]?.status === 'conflict') return; // the merge event says it
        const terminal = 'Open Terminal';
        // The agent ended its turn with a question: the person answers it, the package runs again with it.
        if (session.engine.store?.state?.packages[event.packageId]?.question) {
          const answer = 'Answer…';
          const asked = await this.show('warning', `Waves: ${event.packageId} needs your answer (attempt ${event.attempt}): ${event.detail ?? ''}`, answer, terminal);
          if (asked === answer) await vscode.commands.executeCommand('waves.answerPackage', { ...pkgArg, packageId: event.packageId });
          else if (asked === terminal) await vscode.commands.executeCommand('waves.openTerminal', { ...pkgArg, packageId: event.packageId });
          return;
        }
        const choice = await this.show('error', `Waves: ${event.packageId} failed (attempt ${event.attempt}): ${event.detail ?? 'see its terminal'}`, terminal, 'Show Changes');
        if (choice === terminal) await vscode.commands.executeCommand('waves.openTerminal', { ...pkgArg, packageId: event.packageId });
        else if (choice) await vscode.commands.executeCommand('waves.showChanges', { ...pkgArg, packageId: event.packageId });
        return;
      }
      case 'merge': {
        if (event.ok) return;
        const files = event.conflicts ?? [];
        const state = session.engine.store?.state;
        const showFiles = 'Show Files';
        const diff = 'Open Diff';
        const choice = await this.show(
          'error',
          `Waves: ${event.packageId} conflicts with the integration branch in ${files.join(', ') || 'some files'}; its branch keeps the work.`,
          showFiles,
          diff,
        );
        const repo = session.engine.repoRoot;
        const record = state?.packages[event.packageId];
        if (choice === showFiles && files.length) {
          const picked = await vscode.window.showQuickPick(files, { title: `Files of ${event.packageId} in conflict` });
          if (picked) await vscode.window.showTextDocument(vscode.Uri.file(`${record?.worktree ?? repo}/${picked}`));
        } else if (choice === diff && state?.integration && record?.branch) {
          await showConflicts(repo, state.integration.branch, record.branch, files, event.packageId);
        }
        return;
      }
      case 'run-finished': {
        const c = event.counts;
        const total = Object.values(c).reduce((a, b) => a + (b ?? 0), 0);
        const speed = event.speedup && event.speedup > 0 ? ` · speed-up ${event.speedup.toFixed(1)}×` : '';
        const entry = this.registry.get(session.planUri);
        const name = entry?.analysis.plan.feature?.title ?? session.featureId;
        const report = 'Show Report';
        if (event.outcome === 'succeeded') {
          const finish = 'Finish Run';
          const choice = await this.show('info', `Waves: ${name} — all ${total} packages succeeded and merged${speed}.`, finish, report);
          if (choice === finish) await vscode.commands.executeCommand('waves.finishRun', session.planUri);
          else if (choice === report) await vscode.commands.executeCommand('waves.showRunReport', session.planUri);
        } else {
          const parts = Object.entries(c)
            .filter(([, n]) => n)
            .map(([s, n]) => `${n} ${s}`);
          const retry = 'Retry Failed';
          const resume = 'Resume';
          // Interrupted packages (an adopted run leaves them so) are the person's to resume.
          const collected = event.outcome === 'collected';
          if (event.outcome === 'budget') {
            const choice = await this.show('warning', `Waves: ${name} — the run reached its budget (waves.budget): nothing more was started (${parts.join(', ')}). Raise the budget and resume to go on.`, resume, report);
            if (choice === resume) await vscode.commands.executeCommand('waves.resume', session.planUri);
            else if (choice === report) await vscode.commands.executeCommand('waves.showRunReport', session.planUri);
            return;
          }
          if (event.outcome === 'usage-limit') {
            const runState = session.engine.store?.state;
            const resets = (runState ? Object.values(runState.packages) : [])
              .flatMap((r) => (r.status === 'usage-limit' && r.usageLimit?.resetAt ? [r.usageLimit.resetAt] : []))
              .sort();
            const when = resets.length ? ` It resets at ${new Date(resets[0]!).toLocaleTimeString()}.` : '';
            const choice = await this.show(
              'warning',
              `Waves: ${name} — paused at a usage limit (${parts.join(', ')}); no retry was spent.${when} Resume when it has reset, or set waves.onUsageLimit to "wait".`,
              resume,
              report,
            );
            if (choice === resume) await vscode.commands.executeCommand('waves.resume', session.planUri);
            else if (choice === report) await vscode.commands.executeCommand('waves.showRunReport', session.planUri);
            return;
          }
          const actions = [...(c.interrupted || collected ? [resume] : []), report, ...(c.failed ? [retry] : [])];
          const text = collected
            ? `Waves: ${name} — the agents that were running when this window opened have ended (${parts.join(', ')}); nothing more starts until you resume the run.`
            : `Waves: ${name} — run ${event.outcome}: ${parts.join(', ')}${speed}.`;
          const choice = await this.show('warning', text, ...actions);
          if (choice === report) await vscode.commands.executeCommand('waves.showRunReport', session.planUri);
          else if (choice === retry) await vscode.commands.executeCommand('waves.retryFailed', session.planUri);
          else if (choice === resume) await vscode.commands.executeCommand('waves.resume', session.planUri);
        }
        return;
      }
      default:
        return;
    }
  }
}

/**
 * On activation (and when a run's driver goes away), every run in `.waves/runs/*.json` is
 * reconciled: a finished run stays finished; a run that was not started on this machine (it
 * came with the repository, or from another computer) is FOREIGN: offered, never driven; a
 * run another process (a window, `waves run`) drives is only followed, never driven; a run
 * whose runners are still alive — the window was reloaded, the terminals kept their
 * processes — or whose agents ended while nobody watched (their `exit.json` is there) is
 * adopted: this window's engine watches it again, collects those exits and re-attaches the
 * live runners' terminals by pid, and starts nothing (no ready package, no retry:
 * `collectOnly`); a run that stopped with work left is OFFERED to resume (Resume / Show
 * Status). Nothing starts without the person, and a revived terminal never runs an agent
 * twice (the runner refuses an attempt whose `meta.json` exists). The decision itself is the
 * engine's (`reconcileRun`, through the front door); this is its VS Code wiring.
 */
import * as vscode from 'vscode';
import { packageFacts } from '../../core/present/packageFacts';
import { pickPassedText } from '../../core/present/progressModel';
import type { RunState } from '../../core/run/runState';
import { reconcileRun, type Reconciliation } from '../../engine';
import type { PlanEntry, PlanRegistry } from '../../plan/planRegistry';
import { Disposable } from '../../util/lifecycle';
import type { RunController } from './runController';
import type { RunWatch } from './runWatch';

export { reconcileRun, type LiveRunner, type Reconciliation } from '../../engine';

export interface ReconcilerDeps {
  controller: RunController;
  registry: PlanRegistry;
  runs: RunWatch;
  log: vscode.LogOutputChannel;
  /** How often a followed run's lease is checked again (its driver may go away). */
  recheckMs?: number;
  /**
   * Whether the runs on disk are reconciled once the runs and plans are read (default: yes).
   * No when activation found none to reconcile before this was built (ADR 0020).
   */
  atStart?: boolean;
}

/** One line per decision, newest last (the tests read it; the log has it too). */
export interface ReconcileRecord {
  featureId: string;
  kind: Reconciliation['kind'] | 'no-plan' | 'adopt-failed';
  detail: string;
}

export class Reconciler extends Disposable {
  readonly records: ReconcileRecord[] = [];
  /** Offers shown (notification texts). */
  readonly offers: string[] = [];
  /** Settles when the runs found at activation were reconciled (or, with `atStart` false, read). */
  readonly ready: Promise<void>;
  private readonly followed = new Set<string>();
  private readonly offered = new Set<string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  /** One reconciliation at a time: a call while one runs goes after it. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ReconcilerDeps) {
    super();
    const read = Promise.all([deps.runs.ready, deps.registry.ready]);
    this.ready = deps.atStart === false ? read.then(() => undefined) : read.then(() => this.reconcileAll(true));
    this.register({ dispose: () => clearInterval(this.timer) });
  }

  private planOf(state: RunState, repo: vscode.Uri): PlanEntry | undefined {
    const wanted = vscode.Uri.joinPath(repo, state.planFile).toString();
    const plans = this.deps.registry.plans.filter((p) => !p.foreign && p.analysis.plan.feature?.id === state.featureId);
    return plans.find((p) => p.uri.toString() === wanted) ?? plans[0];
  }

  /** Reconciles every run on disk (`all`), or only the followed ones whose driver may have gone. */
  reconcileAll(all: boolean): Promise<void> {
    this.queue = this.queue.then(() => this.reconcileNow(all));
    return this.queue;
  }

  private async reconcileNow(all: boolean): Promise<void> {
    if (this.isDisposed) return;
    try {
      // Decide from the files as they are now, not from the last watcher event.
      await this.deps.runs.refresh();
      for (const { repo, state } of this.deps.runs.states()) {
        if (!all && !this.followed.has(state.featureId)) continue;
        if (this.deps.controller.session(state.featureId)) continue;
        await this.reconcileOne(repo, state);
      }
    } catch (err) {
      this.deps.log.error(`[reconcile] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    } finally {
      this.armRecheck();
    }
  }

  private record(featureId: string, kind: ReconcileRecord['kind'], detail: string): void {
    this.records.push({ featureId, kind, detail });
    this.deps.log.info(`[reconcile] ${featureId}: ${kind}${detail ? ` — ${detail}` : ''}`);
  }

  private async reconcileOne(repo: vscode.Uri, state: RunState): Promise<void> {
    const featureId = state.featureId;
    const decision = await reconcileRun(repo.fsPath, state);
    this.followed.delete(featureId);
    switch (decision.kind) {
      case 'finished':
        this.record(featureId, 'finished', '');
        return;
      case 'awaiting-review':
        // The person's Approve or Request Changes takes the run on (the status bar and the Waves view say who waits).
        this.record(featureId, 'awaiting-review', `${decision.waiting.join(', ')} await${decision.waiting.length === 1 ? 's' : ''} your review`);
        return;
      case 'awaiting-pick': {
        // Nobody drives the run and nothing runs: the person's pick takes it on (Pick… resumes it to carry the pick out).
        this.record(featureId, 'awaiting-pick', `${decision.waiting.join(', ')} await${decision.waiting.length === 1 ? 's' : ''} your pick`);
        const entry = this.planOf(state, repo);
        if (entry) this.offerPick(entry, state, decision.waiting);
        return;
      }
      case 'followed':
        this.followed.add(featureId);
        this.record(featureId, 'followed', `driven by ${decision.holder}`);
        return;
      case 'adopt': {
        const entry = this.planOf(state, repo);
        const ids = [...decision.live.map((l) => `${l.packageId} (runner pid ${l.pid})`), ...decision.exited.map((id) => `${id} (exited)`)].join(', ');
        if (!entry) {
          this.record(featureId, 'no-plan', `live runners ${ids}, but no plan of this feature is open`);
          return;
        }
        const session = await this.deps.controller.adopt(entry, decision.live, state.runId);
        if (session) {
          this.record(featureId, 'adopt', ids);
          return;
        }
        this.record(featureId, 'adopt-failed', `${ids}: not adopted (no agent configured, Restricted Mode, or its start failed as logged above); offered instead`);
        this.offer(entry, state, [...decision.live.map((l) => l.packageId), ...decision.exited]);
        return;
      }
      case 'foreign': {
        const entry = this.planOf(state, repo);
        if (!entry) {
          this.record(featureId, 'no-plan', `foreign run (${decision.reason}); no plan of this feature is open`);
          return;
        }
        this.record(featureId, 'foreign', `${decision.reason}: ${decision.left.join(', ')}`);
        this.offer(entry, state, decision.left, decision.reason);
        return;
      }
      case 'offer': {
        const entry = this.planOf(state, repo);
        if (!entry) {
          this.record(featureId, 'no-plan', `${decision.left.join(', ')} left, but no plan of this feature is open`);
          return;
        }
        this.record(featureId, 'offer', decision.left.join(', '));
        this.offer(entry, state, decision.left);
        return;
      }
    }
  }

  private offer(entry: PlanEntry, state: RunState, left: readonly string[], foreign?: string): void {
    const key = `${state.featureId}\u0000${state.runId}`;
    if (this.offered.has(key)) return; // once per run and window
    this.offered.add(key);
    const name = entry.analysis.plan.feature?.title ?? state.featureId;
    const shown = left.slice(0, 3).join(', ') + (left.length > 3 ? ` and ${left.length - 3} more` : '');
    const message = foreign
      ? `Waves: a run of ${name} is in .waves/runs, but ${foreign}: nothing of it is driven here (${shown} left). Resume it only if it is yours.`
      : `Waves: the run of ${name} stopped before it finished (${shown}). Nothing restarts until you resume it.`;
    this.offers.push(message);
    const resume = 'Resume';
    const status = 'Show Status';
    // Not awaited: reconciling goes on while the notification waits for the person.
    void vscode.window.showWarningMessage(message, resume, status).then(async (choice) => {
      if (choice === resume) await vscode.commands.executeCommand('waves.resume', entry.uri);
      else if (choice === status) await vscode.commands.executeCommand('waves.focusView');
    });
  }

  /** A run whose driver went away while packages awaited the person's pick: said once, with Pick… (no Resume: the pick resumes it). */
  private offerPick(entry: PlanEntry, state: RunState, waiting: readonly string[]): void {
    const key = `${state.featureId}\u0000${state.runId}`;
    if (this.offered.has(key)) return; // once per run and window
    this.offered.add(key);
    const first = waiting[0]!;
    const facts = packageFacts(state, first);
    const passed = pickPassedText(facts.candidates.filter((c) => c.green), null);
    const others = waiting.slice(1);
    const more = others.length ? ` ${others.join(', ')} ${others.length === 1 ? 'awaits its' : 'await their'} pick too.` : '';
    const message = `Waves: ${first} awaits your pick — ${passed}.${more} The run of ${entry.analysis.plan.feature?.title ?? state.featureId} goes on once you pick; nothing runs until then.`;
    this.offers.push(message);
    const pick = 'Pick…';
    void vscode.window.showInformationMessage(message, pick).then(async (choice) => {
      if (choice === pick) await vscode.commands.executeCommand('waves.pickCandidate', { uri: entry.uri, packageId: first });
    });
  }

  /** While a run is followed, its lease is checked again now and then: when its driver is gone, it is reconciled. */
  private armRecheck(): void {
    if (this.followed.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    this.timer ??= setInterval(() => void this.reconcileAll(false), this.deps.recheckMs ?? 5_000);
  }
}

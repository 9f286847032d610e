/**
 * The run states every view shows (status bar, Waves view, DAG panel), from one place: the
 * engine's own state while this window drives a run (it changes before the file is even
 * written), else what `RunWatch` reads from `.waves/runs/` (a run of `waves run` in a
 * terminal, or of another window). Changes are throttled (`core/util/throttle.ts`): a lone change
 * fires at once, and at most one event per `batchMs` follows, so 200 status changes a second
 * cost a few dozen redraws.
 */
import * as vscode from 'vscode';
import { sameCounts } from '../../core/review/review';
import type { RunState } from '../../core/run/runState';
import { Throttle } from '../../core/util/throttle';
import { Disposable } from '../../util/lifecycle';
import type { RunFacts } from './runFacts';
import type { RunWatch } from './runWatch';

export const LIVE_BATCH_MS = 50;

export class LiveRuns extends Disposable {
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  /** Some run state may have changed (throttled). */
  readonly onDidChangeRuns = this.changed.event;
  private readonly throttle: Throttle;

  constructor(
    private readonly watch: RunWatch,
    private readonly controller: RunFacts,
    batchMs = LIVE_BATCH_MS,
  ) {
    super();
    this.throttle = this.register(new Throttle(batchMs, () => this.changed.fire()));
    const changed = () => this.throttle.schedule();
    this.register(watch.onDidChangeRuns(changed));
    this.register(controller.onDidEngineEvent(changed));
    this.register(controller.onDidChangeSessions(changed));
  }

  /** The feature's run state; `where`: the plan file (its repository's run) or a workspace folder (`RunWatch.stateFor`). */
  stateFor(featureId: string, where?: vscode.WorkspaceFolder | vscode.Uri): RunState | undefined {
    return this.controller.session(featureId)?.engine.store?.state ?? this.watch.stateFor(featureId, where);
  }

  /** Open review comments per feature, then package: set by the review part once it is built. */
  private readonly comments = new Map<string, ReadonlyMap<string, number>>();

  openComments(featureId: string, packageId: string): number {
    return this.comments.get(featureId)?.get(packageId) ?? 0;
  }

  setOpenComments(featureId: string, counts: ReadonlyMap<string, number>): void {
    // Only a change is news: the review part sets the counts as runs change, so an event for the same counts would never stop.
    if (sameCounts(this.comments.get(featureId), counts)) return;
    this.comments.set(featureId, counts);
    this.throttle.schedule();
  }

  /** Whether this window's engine drives the feature's run. */
  driving(featureId: string): boolean {
    return this.controller.session(featureId) !== undefined;
  }
}

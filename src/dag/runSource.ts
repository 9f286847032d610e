/**
 * Where the DAG panel gets run states from: the part of `LiveRuns` (src/run/run/liveRuns.ts —
 * the engine's own state while this window drives a run, else `RunWatch`'s) the panel uses.
 */
import type * as vscode from 'vscode';
import type { RunState } from '../core/run/runState';

export interface RunStatusSource {
  /** The latest valid run state of a feature, if any. */
  stateFor(featureId: string): RunState | undefined;
  /** Fires when any run state may have changed, paced for redraws (`LiveRuns` throttles). */
  readonly onDidChangeRuns: vscode.Event<unknown>;
  /** Open review comments of a package. */
  openComments?(featureId: string, packageId: string): number;
}

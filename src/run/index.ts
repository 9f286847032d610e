import * as vscode from 'vscode';
import type { PlanRegistry } from '../plan/planRegistry';
import { LiveRuns } from './liveRuns';
import { RunNotifications } from './notifications';
import { RunCommands } from './runCommands';
import { RunController } from './runController';
import { RunWatch } from './runWatch';
import { PlannedClaimDiagnostics, SharedRuns } from './sharedRuns';
import { Reconciler } from './reconciler';
import { RunLenses } from './runLenses';
import { GitContentProvider } from './review';
import { VerificationApproval } from './verificationApproval';

/** The run parts (issue #10), as the extension's test API exposes them. */
export interface RunParts {
  /** Follows, read-only, the run states and lock tables on disk (every run, whoever drives it). */
  readonly watch: RunWatch;
  readonly controller: RunController;
  readonly live: LiveRuns;
  readonly commands: RunCommands;
  readonly notifications: RunNotifications;
  /** Reconciles the runs found on disk at activation (adopt, follow or offer to resume). */
  readonly reconciler: Reconciler;
  /** Other drivers of the repository, from the shared coordinator (`waves.coordinator`); `watch` follows it. */
  readonly shared: SharedRuns;
  /** `Waves: Approve Verification Commands…` and the `waves.verificationApproved` context key (#35). */
  readonly approval: VerificationApproval;
}

/** Builds the run watch, the run controller, its live view of the runs, the commands and the notifications. */
export function createRun(registry: PlanRegistry, log: vscode.LogOutputChannel, memento?: vscode.Memento): RunParts & vscode.Disposable {
  const runs = new RunWatch(log);
  const shared = new SharedRuns(log);
  runs.followShared(shared);
  const controller = new RunController({ registry, runs, log, ...(memento ? { memento } : {}) });
  const live = new LiveRuns(runs, controller);
  const commands = new RunCommands({ registry, controller, live, log });
  const notifications = new RunNotifications(controller, registry, log);
  const git = new GitContentProvider();
  const reconciler = new Reconciler({ controller, registry, runs, log });
  const lenses = new RunLenses(registry, controller, live);
  const planned = new PlannedClaimDiagnostics(registry, shared);
  const approval = new VerificationApproval(registry, log);
  const all = [approval, planned, lenses, reconciler, git, notifications, commands, live, controller, runs, shared];
  return { watch: runs, controller, live, commands, notifications, reconciler, shared, approval, dispose: () => all.forEach((d) => d.dispose()) };
}

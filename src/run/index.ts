import * as vscode from 'vscode';
import type { PlanRegistry } from '../plan/planRegistry';
import { LiveRuns } from './liveRuns';
import { RunNotifications } from './notifications';
import { RunCommands } from './runCommands';
import { RunController } from './runController';
import type { RunWatch } from './runWatch';
import { GitContentProvider } from './review';

/** The run parts (issue #10), as the extension's test API exposes them. */
export interface RunParts {
  readonly controller: RunController;
  readonly live: LiveRuns;
  readonly commands: RunCommands;
  readonly notifications: RunNotifications;
}

/** Builds the run controller, its live view of the runs, the commands and the notifications. */
export function createRun(registry: PlanRegistry, runs: RunWatch, log: vscode.LogOutputChannel): RunParts & vscode.Disposable {
  const controller = new RunController({ registry, runs, log });
  const live = new LiveRuns(runs, controller);
  const commands = new RunCommands({ registry, controller, live, log });
  const notifications = new RunNotifications(controller, registry, log);
  const git = new GitContentProvider();
  const all = [git, notifications, commands, live, controller];
  return { controller, live, commands, notifications, dispose: () => all.forEach((d) => d.dispose()) };
}

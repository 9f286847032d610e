/**
 * A run started in the editor on pull workers (ADR 0037): with `waves.coordinator`, the person's
 * own `waves.workers.remote` queues the run's packages for `waves worker`s through the engine's
 * `queueRun`, as `waves run --workers` does; audits, verification and merges stay here. Its
 * problems are said as the start's other refusals, its notes as the start's other notes.
 */
import * as vscode from 'vscode';
import { queueRun, redactSecrets, type CoordinatorOptions, type QueueRun } from '../../engine';
import { readWorkersSetting } from './coordinatorSetting';

export interface WorkersStart {
  planFile: string;
  /** How the plan is named in messages. */
  shown: string;
  featureId: string;
  /** The run's agent (its preset's id, or `custom`). */
  agent: string;
  coordinator: CoordinatorOptions | undefined;
  /** `waves.hosts` is set. */
  hosts: boolean;
  /** An adoption nobody asked for: nothing is shown, only logged. */
  adopt: boolean;
  log: vscode.LogOutputChannel;
}

/** A sentence's end, once. */
const sentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);

/**
 * The run's queue when `waves.workers.remote` and `waves.coordinator` are both set; null when the
 * agents run here (or on the hosts); undefined when the run cannot start so (why shown, with the
 * setting to open). The caller closes the queue when the run ends, or when it did not start.
 */
export async function workersQueueFor(start: WorkersStart): Promise<QueueRun | null | undefined> {
  const { featureId, log } = start;
  const choice = readWorkersSetting({ coordinator: start.coordinator !== undefined, hosts: start.hosts });
  if (choice === null) return null;
  if ('unused' in choice) {
    log.info(`[run ${featureId}] ${choice.unused}`);
    return null;
  }
  const refuse = (problem: string) => {
    log.warn(`[run] ${start.shown}: not started: ${problem}`);
    if (!start.adopt)
      void vscode.window.showErrorMessage(`Waves: ${sentence(problem)} Nothing was started.`, 'Open Settings').then((pick) => {
        if (pick) void vscode.commands.executeCommand('workbench.action.openSettings', 'waves.workers.remote');
      });
    return undefined;
  };
  if ('problem' in choice) return refuse(choice.problem);
  const queue = await queueRun({ planFile: start.planFile, shown: start.shown, coordinator: start.coordinator!, remote: choice.remote, agent: start.agent });
  if ('problem' in queue) return refuse(queue.problem);
  log.info(`[run ${featureId}] on pull workers: its packages are queued in the coordinator for the workers that reach ${redactSecrets(choice.remote)}`);
  return queue;
}

/** The notes of a run's start on workers (nobody there yet to take some packages): logged, and shown unless it is an adoption. */
export function showWorkersNotes(log: vscode.LogOutputChannel, featureId: string, notes: readonly string[], adopt: boolean): void {
  for (const note of notes) log.warn(`[run ${featureId}] ${note}`);
  if (adopt || !notes.length) return;
  const more = notes.length > 1 ? ` (and ${notes.length - 1} more in the Wave Orchestrator output)` : '';
  void vscode.window.showWarningMessage(`Waves: ${notes[0]!}${more}.`);
}

/**
 * The shared coordinator's settings (ADR 0012), read for a folder: a light module of its own,
 * since activation reads them too (a set coordinator builds the on-demand parts, ADR 0020); and
 * `waves.workers.remote`, which queues a run's packages there for pull workers (ADR 0037).
 */
import * as vscode from 'vscode';
import { checkCoordinatorUrl } from '../../core/coordinator/sharedCoordinator';
import { workersChoice, type WorkersChoice } from '../../core/coordinator/workersChoice';
import type { CoordinatorOptions } from '../../engine';
import { ownSetting } from '../../util/ownSetting';

/** The coordinator settings: `waves.coordinator` (trusted workspaces: any scope; else the user's own) and `waves.coordinatorRepository`. */
export function readCoordinatorSetting(scope?: vscode.Uri): CoordinatorOptions | { problem: string } | undefined {
  const config = vscode.workspace.getConfiguration('waves', scope);
  const pick = <T>(key: string): T | undefined => (vscode.workspace.isTrusted ? config.get<T>(key) : ownSetting<T>(key));
  const url = pick<unknown>('coordinator');
  if (url === undefined || url === null || (typeof url === 'string' && url.trim() === '')) return undefined;
  const checked = checkCoordinatorUrl(url);
  if (!checked.ok) return { problem: `waves.coordinator: ${checked.problem}` };
  const repository = pick<unknown>('coordinatorRepository');
  return { url: checked.url, ...(typeof repository === 'string' && repository.trim() ? { repository: repository.trim() } : {}) };
}

/** `waves.workers.remote`, the person's own setting only (ADR 0037), with what else the start has: `workersChoice` decides. */
export function readWorkersSetting(has: { coordinator: boolean; hosts: boolean }): WorkersChoice {
  return workersChoice(ownSetting<unknown>('workers.remote'), has);
}

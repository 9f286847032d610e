import * as vscode from 'vscode';
import { PLAN_SELECTOR, type PlanRegistry } from '../../plan/planRegistry';
import { startCoupling } from './couplingDiagnostics';

/**
 * The coupling check begins with the first plan open in an editor of a trusted workspace, a
 * moment after; the engine loads with its first check, never at activation (ADR 0023, ADR 0029).
 */
export function couplingOnFirstPlan(registry: PlanRegistry, log: vscode.LogOutputChannel): vscode.Disposable {
  let started: vscode.Disposable | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const look = () => {
    timer = undefined;
    if (started || !vscode.workspace.isTrusted || !vscode.workspace.textDocuments.some((d) => registry.get(d.uri))) return;
    started = startCoupling(registry, PLAN_SELECTOR, log);
    listeners.forEach((l) => l.dispose());
  };
  const soon = () => (timer ??= setTimeout(look, 300));
  const listeners = [registry.onDidChange(soon), vscode.workspace.onDidOpenTextDocument(soon), vscode.workspace.onDidGrantWorkspaceTrust(soon)];
  soon();
  return { dispose: () => (clearTimeout(timer), listeners.forEach((l) => l.dispose()), started?.dispose()) };
}

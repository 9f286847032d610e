/**
 * The composition root: build each part, give it to the extension's lifetime, nothing else.
 */
import * as vscode from 'vscode';
import { DagPanelManager } from './dag/dagPanel';
import { RunFileSource } from './dag/runSource';
import { registerPlanCommands } from './plan/commands';
import { PlanDiagnostics, PlanQuickFixes } from './plan/diagnostics';
import { PlanNavigation } from './plan/navigation';
import { PlanRegistry } from './plan/planRegistry';
import { createOwnership, type OwnershipParts } from './ownership';
import { PlanStatusBar } from './views/statusBar';
import { WavesTree } from './views/wavesTree';

/** What the extension returns from `activate`: used by its own tests, not a public API. */
export interface WavesApi {
  readonly registry: PlanRegistry;
  readonly ownership: OwnershipParts;
  readonly dag: DagPanelManager;
}

export function activate(context: vscode.ExtensionContext): WavesApi {
  const started = Date.now();
  const log = vscode.window.createOutputChannel('Wave Orchestrator', { log: true });
  const registry = new PlanRegistry(context.workspaceState, log);
  const ownership = createOwnership(context.extensionUri, registry, log);
  // The DAG panel's run statuses: issue #8's RunWatch replaces RunFileSource here when it lands.
  const runs = new RunFileSource(log);
  const dag = new DagPanelManager({ extensionUri: context.extensionUri, registry, log, runs });

  context.subscriptions.push(
    log,
    registry,
    new PlanDiagnostics(registry),
    new PlanQuickFixes(registry),
    new PlanNavigation(registry),
    new WavesTree(registry, log),
    new PlanStatusBar(registry, log),
    ...registerPlanCommands({ registry, log }),
    ownership,
    runs,
    dag,
  );

  log.info(`Activated in ${Date.now() - started} ms`);
  void registry.ready.then(() => log.info(`Plans ready ${Date.now() - started} ms after activation`));
  return { registry, ownership, dag };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

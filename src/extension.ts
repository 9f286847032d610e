/**
 * The composition root: build each part, give it to the extension's lifetime, nothing else.
 */
import * as vscode from 'vscode';
import { DagPanelManager } from './dag/dagPanel';
import { registerPlanCommands } from './plan/planCommands';
import { PlanDiagnostics, PlanQuickFixes } from './plan/diagnostics';
import { PlanNavigation } from './plan/navigation';
import { PlanRegistry } from './plan/planRegistry';
import { createOwnership, type OwnershipParts } from './ownership';
import { createRun, type RunParts } from './run';
import { PlanningController } from './run/planningController';
import { PlanStatusBar } from './views/statusBar';
import { WavesTree } from './views/wavesTree';
import { startLagProbe } from './util/lagProbe';
import { HostsCommands } from './run/hostsCommands';
import { DemoCommand } from './run/demoCommand';

/** What the extension returns from `activate`: used by its own tests, not a public API. */
export interface WavesApi {
  readonly registry: PlanRegistry;
  readonly ownership: OwnershipParts;
  readonly dag: DagPanelManager;
  readonly run: RunParts;
  readonly views: { readonly tree: WavesTree; readonly statusBar: PlanStatusBar };
  /** `Waves: Plan a Feature…` and the proposed plans' approval (issue #19). */
  readonly planning: PlanningController;
}

export function activate(context: vscode.ExtensionContext): WavesApi {
  const started = Date.now();
  const log = vscode.window.createOutputChannel('Wave Orchestrator', { log: true });
  const registry = new PlanRegistry(context.workspaceState, log, undefined, { workerScript: vscode.Uri.joinPath(context.extensionUri, 'dist', 'planWorker.js').fsPath });
  // Runs (issue #10): the engine in terminals; every view reads run states through `run.live`.
  const run = createRun(registry, log, context.workspaceState);
  const ownership = createOwnership(context.extensionUri, registry, run.watch, log);
  const planning = new PlanningController({ registry, log });
  const dag = new DagPanelManager({ extensionUri: context.extensionUri, registry, log, runs: run.live, actions: run.commands, proposals: planning });
  const views = { tree: new WavesTree(registry, log, run.live), statusBar: new PlanStatusBar(registry, log, run.live) };

  context.subscriptions.push(
    startLagProbe(),
    log,
    registry,
    new PlanDiagnostics(registry),
    new PlanQuickFixes(registry),
    new PlanNavigation(registry),
    views.tree,
    views.statusBar,
    ...registerPlanCommands({ registry, log }),
    ownership, // before run: it follows run.watch
    run,
    planning,
    dag,
    // `Waves: Check Hosts` (#17): the agent checked on a host is its own, else waves.agent's.
    // `Waves: Try the Demo Plan (Offline)…` (#35): the demo shipped in the extension, in a new repository.
    new DemoCommand(context.extensionUri, log),
    new HostsCommands(() => {
      const agent = vscode.workspace.getConfiguration('waves').get<unknown>('agent');
      return typeof agent === 'string' && agent ? agent : 'claude-code';
    }),
  );

  log.info(`Activated in ${Date.now() - started} ms`);
  void registry.ready.then(() => log.info(`Plans ready ${Date.now() - started} ms after activation`));
  return { registry, ownership, dag, run, views, planning };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

/**
 * The composition root: build each part, give it to the extension's lifetime, nothing else.
 * Activation builds what showing plans needs (plan analysis, diagnostics, navigation, the
 * views, the status bar, ownership, the runs on disk); the run engine, the run controller,
 * planning, hosts and the DAG panel's host side are built on first use (ADR 0020, ADR 0029:
 * `src/onDemand.ts`, bundled apart, and its stand-ins `src/onDemandStubs.ts`).
 */
import * as vscode from 'vscode';
import type { DagPanelManager } from './dag/dagPanel';
import type { OnDemandParts } from './onDemand';
import { OnDemand } from './onDemandStubs';
import { ForeignPlans } from './extension/foreignPlans';
import { registerPlanCommands } from './plan/planCommands';
import { PlanDiagnostics, PlanQuickFixes } from './plan/diagnostics';
import { NestedPlans } from './plan/nestedPlans';
import { PlanNavigation } from './plan/navigation';
import { PlanRegistry } from './plan/planRegistry';
import { createOwnership, type OwnershipParts } from './ownership';
import { createRunFront, type RunFront } from './run';
import type { PlanningController } from './run/planning/planningController';
import { PlanStatusBar } from './views/statusBar';
import { WavesTree } from './views/wavesTree';
import { startLagProbe } from './util/lagProbe';

/** The run parts: the run front's, and (read: built) the on-demand ones. */
export type RunParts = RunFront & Pick<OnDemandParts, 'controller' | 'commands' | 'notifications' | 'reconciler' | 'shared' | 'approval' | 'review'>;

/** What the extension returns from `activate`: used by its own tests, not a public API. */
export interface WavesApi {
  readonly registry: PlanRegistry;
  readonly ownership: OwnershipParts;
  /** Read: builds the on-demand parts. */
  readonly dag: DagPanelManager;
  /** `watch`, `facts`, `live`: activation's; the others, when read, build the on-demand parts. */
  readonly run: RunParts;
  readonly views: { readonly tree: WavesTree; readonly statusBar: PlanStatusBar };
  /** Task lists of other tools: Convert, the update offers (src/extension/foreignPlans). */
  readonly foreignPlans: ForeignPlans;
  /** `Waves: Plan a Feature…` and the proposed plans' approval. Read: builds the on-demand parts. */
  readonly planning: PlanningController;
  /** The parts loaded on first use (ADR 0020): whether (what first, in how long) they were built. */
  readonly onDemand: { readonly loaded: { by: string; ms: number } | undefined };
}

export function activate(context: vscode.ExtensionContext): WavesApi {
  const started = Date.now();
  const log = vscode.window.createOutputChannel('Wave Orchestrator', { log: true });
  const registry = new PlanRegistry(context.workspaceState, log, undefined, { workerScript: vscode.Uri.joinPath(context.extensionUri, 'dist', 'planWorker.js').fsPath });
  // Runs: every view reads run states through `run.live`; the engine drives them in terminals.
  const run = createRunFront(registry, log);
  const ownership = createOwnership(context.extensionUri, registry, run.watch, log);
  const nested = new NestedPlans(registry, log, run.live);
  const views = { tree: new WavesTree(registry, log, run.live, nested), statusBar: new PlanStatusBar(registry, log, run.live, ownership.commands, nested) };
  const activationEvents: unknown = context.extension.packageJSON?.activationEvents;
  const panelTypes = (Array.isArray(activationEvents) ? activationEvents : []).flatMap((e) => (typeof e === 'string' && e.startsWith('onWebviewPanel:') ? [e.slice('onWebviewPanel:'.length)] : []));
  const foreignPlans = new ForeignPlans({ registry, log, memento: context.workspaceState });
  const onDemand = new OnDemand({ extensionUri: context.extensionUri, registry, log, memento: context.workspaceState, run, nested }, panelTypes);

  context.subscriptions.push(
    startLagProbe(),
    log,
    registry,
    nested,
    new PlanDiagnostics(registry, nested),
    new PlanQuickFixes(registry),
    new PlanNavigation(registry),
    views.tree,
    views.statusBar,
    ...registerPlanCommands({ registry, log }),
    foreignPlans,
    ownership, // before run: it follows run.watch
    onDemand, // before run: its parts follow run.watch and attach to run.facts
    run,
  );

  log.info(`Activated in ${Date.now() - started} ms`);
  const shown = registry.onDidChange(() => {
    if (registry.plans.length === 0) return;
    shown.dispose();
    log.info(`First plans shown ${Date.now() - started} ms after activation`);
  });
  context.subscriptions.push(shown);
  void registry.ready.then(() => log.info(`Plans ready ${Date.now() - started} ms after activation`));
  // Reading a part of the on-demand ones builds them (the tests read them).
  const part = <K extends keyof OnDemandParts>(key: K): PropertyDescriptor => ({ enumerable: true, get: () => onDemand.load('the extension API')[key] });
  const runParts = Object.defineProperties(
    { watch: run.watch, facts: run.facts, live: run.live },
    { controller: part('controller'), commands: part('commands'), notifications: part('notifications'), reconciler: part('reconciler'), shared: part('shared'), approval: part('approval'), review: part('review') },
  ) as RunParts;
  const api: Omit<WavesApi, 'dag' | 'planning'> = { registry, ownership, views, foreignPlans, run: runParts, onDemand };
  return Object.defineProperties(api, { dag: part('dag'), planning: part('planning') }) as WavesApi;
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

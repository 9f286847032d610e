/**
 * The extension's parts built on first use (ADR 0020), bundled as `dist/onDemand.js`: the run
 * controller and its commands, notifications and reconciler, the shared coordinator's runs,
 * planning, the hosts check and the DAG panel's host side. They import the run engine, a bundle
 * of its own (`dist/engine.js`), which loads with them (ADR 0029). Activation
 * (`src/extension.ts`, `src/onDemandStubs.ts`) registers their commands, the DAG panel's
 * serializer and the `waves-git:` documents, and builds these parts the first time one is used.
 */
import * as vscode from 'vscode';
import type { NestedPlanSource } from './dag/actions';
import { DagPanelManager } from './dag/dagPanel';
import type { PlanRegistry } from './plan/planRegistry';
import type { CouplingDiagnostics } from './run/coupling/couplingDiagnostics';
import type { RunFront } from './run';
import { DemoCommand } from './run/walkthrough/demoCommand';
import { HostsCommands } from './run/hosts/hostsCommands';
import { RunNotifications } from './run/run/notifications';
import { PlanningController } from './run/planning/planningController';
import { Reconciler } from './run/run/reconciler';
import { GitContentProvider } from './run/run/changes';
import { ReviewComments } from './run/review/reviewComments';
import { RunCommands } from './run/run/runCommands';
import { RunController } from './run/run/runController';
import { PlannedClaimDiagnostics, SharedRuns } from './run/coordinator/sharedRuns';
import { VerificationApproval } from './run/walkthrough/verificationApproval';
import { agentIdForHosts } from './run/run/settings';

export interface OnDemandDeps {
  readonly extensionUri: vscode.Uri;
  readonly registry: PlanRegistry;
  readonly log: vscode.LogOutputChannel;
  readonly memento: vscode.Memento;
  readonly run: RunFront;
  /** Whether the reconciler reconciles the runs on disk when they are read: no when activation found none to. */
  readonly reconcileAtStart: boolean;
  /** The running coupling check (activation's: its one copy), for the DAG panel. */
  readonly coupling: () => CouplingDiagnostics | undefined;
  /** The plans of plans' sub-plans (activation's `NestedPlans`), for the DAG panel's groups. */
  readonly nested?: NestedPlanSource;
}

/** The parts, as the extension's test API exposes them. */
export interface OnDemandParts extends vscode.Disposable {
  readonly controller: RunController;
  readonly commands: RunCommands;
  readonly notifications: RunNotifications;
  /** Reconciles the runs found on disk at activation (adopt, follow or offer to resume). */
  readonly reconciler: Reconciler;
  /** Other drivers of the repository, from the shared coordinator (`waves.coordinator`); the run watch follows it. */
  readonly shared: SharedRuns;
  /** `waves-git:` documents (a package's changes under review). */
  readonly git: GitContentProvider;
  /** `Waves: Plan a Feature…` and the proposed plans' approval. */
  readonly planning: PlanningController;
  readonly dag: DagPanelManager;
  /** `Waves: Approve Verification Commands…` and the `waves.verificationApproved` context key. */
  readonly approval: VerificationApproval;
  /** The review threads on packages' diffs, Request Changes, Approve Package. */
  readonly review: ReviewComments;
}

/** Builds the parts; they register their commands, the DAG panel's serializer and the `waves-git:` provider. */
export function createOnDemand(deps: OnDemandDeps): OnDemandParts {
  const { registry, log, run } = deps;
  const shared = new SharedRuns(log);
  run.watch.followShared(shared);
  const controller = new RunController({ registry, runs: run.watch, facts: run.facts, log, memento: deps.memento });
  const commands = new RunCommands({ registry, controller, log });
  const notifications = new RunNotifications(controller, registry, log);
  const git = new GitContentProvider();
  const reconciler = new Reconciler({ controller, registry, runs: run.watch, log, atStart: deps.reconcileAtStart });
  const planned = new PlannedClaimDiagnostics(registry, shared);
  const planning = new PlanningController({ registry, log });
  const dag = new DagPanelManager({ extensionUri: deps.extensionUri, registry, log, runs: run.live, actions: commands, proposals: planning, coupling: deps.coupling, nested: deps.nested });
  // `Waves: Check Hosts`: the agent checked on a host is its own, else waves.agent's.
  const hosts = new HostsCommands(agentIdForHosts);
  const approval = new VerificationApproval(registry, log);
  // `Waves: Try the Demo Plan (Offline)…`: the demo shipped in the extension, in a new repository.
  const demo = new DemoCommand(deps.extensionUri, log);
  // The review loop: threads on the diffs of Show Changes, their counts in the views.
  const review = new ReviewComments({ registry, controller, live: run.live, watch: run.watch, log });
  const all = [review, demo, approval, hosts, dag, planning, planned, reconciler, git, notifications, commands, controller, shared];
  return { controller, commands, notifications, reconciler, shared, git, planning, dag, approval, review, dispose: () => all.forEach((d) => d.dispose()) };
}

/**
 * Activation's stand-ins for the parts loaded on first use (ADR 0020, ADR 0029: `src/onDemand.ts`,
 * `dist/onDemand.js`, with the run engine it imports, `dist/engine.js`): their commands, the DAG
 * panel's serializer and the `waves-git:` documents are registered here, and the first use of any
 * of them builds the parts (`load`, the one place that loads them) — the stand-ins go, the parts
 * register the real ones, and the command (the panel, the document) goes to them. The parts are
 * also built when something needs them without a command: a run on disk to reconcile, a shared
 * coordinator to follow (`waves.coordinator`), a proposed plan in the editor (its approval
 * buttons) — those right after activation returns, not in it. Loading is synchronous
 * (`require`): nothing waits for it but the one who asked.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { proposedPlanIdOf } from './core/planning/planningSession';
import { leaseFile } from './core/run/runPaths';
import { isActive, type RunState } from './core/run/runState';
import type { OnDemandDeps, OnDemandParts } from './onDemand';
import { couplingCheck } from './run/coupling/couplingDiagnostics';
import { GIT_SCHEME } from './run/run/gitScheme';
import { readCoordinatorSetting } from './run/coordinator/coordinatorSetting';
import { Disposable } from './util/lifecycle';

/** The commands of the on-demand parts (each is contributed in package.json). */
export const ON_DEMAND_COMMANDS = [
  // Runs (src/run/run/runCommands.ts)
  'waves.runPlan',
  'waves.runWave',
  'waves.runPackage',
  'waves.answerPackage',
  'waves.retryFailed',
  'waves.resume',
  'waves.cancelRun',
  'waves.cancelPackage',
  'waves.showPrompt',
  'waves.openTerminal',
  'waves.openWorktree',
  'waves.showChanges',
  'waves.showRunReport',
  'waves.finishRun',
  'waves.cleanUpWorktrees',
  'waves.selectAgent',
  // The review loop (src/run/review/reviewComments.ts)
  'waves.requestChanges',
  'waves.approvePackage',
  'waves.pickCandidate',
  'waves.reviewIntegration',
  ...'commentOnFile commentOnLines addComment resolve reopen editComment cancelEdit saveComment deleteComment'.split(' ').map((c) => `waves.review.${c}`),
  // Other drivers through the shared coordinator (src/run/coordinator/sharedRuns.ts)
  'waves.askDriverToCancel',
  'waves.releasePlannedClaims',
  'waves.drainWorker',
  'waves.undrainWorker',
  // Planning (src/run/planning/planningController.ts)
  'waves.planFeature',
  'waves.approvePlan',
  'waves.requestPlanChanges',
  'waves.discardPlan',
  // Hosts (src/run/hosts/hostsCommands.ts)
  'waves.checkHosts',
  // The DAG panel (src/dag/dagPanel.ts)
  'waves.showDag',
  'waves.exportDag',
  // The Getting Started walkthrough's (src/run/walkthrough/verificationApproval.ts, src/run/walkthrough/demoCommand.ts)
  'waves.approveVerification',
  'waves.tryDemo',
] as const;

/** A run the reconciler has to decide about: something left to do, or a lease (someone may drive it). */
function needsReconciling(folder: string, state: RunState): boolean {
  const left = Object.values(state.packages).some((r) => isActive(r.status) || r.status === 'interrupted' || r.status === 'pending' || r.status === 'ready' || r.status === 'awaiting-review');
  return left || fs.existsSync(leaseFile(folder, state.featureId));
}

export class OnDemand extends Disposable {
  private parts: OnDemandParts | undefined;
  /** Activation looked for runs on disk to reconcile (and built the parts if it found one). */
  private startChecked = false;
  private readonly stubs: vscode.Disposable[] = [];
  /** What built the parts, in how many ms (the log says it too); undefined until then. */
  loaded: { by: string; ms: number } | undefined;

  constructor(
    private readonly deps: Omit<OnDemandDeps, 'reconcileAtStart' | 'coupling'>,
    /** The webview panels the extension restores (package.json's `onWebviewPanel:` activation events). */
    panelTypes: readonly string[],
  ) {
    super();
    for (const id of ON_DEMAND_COMMANDS)
      this.stubs.push(
        vscode.commands.registerCommand(id, (...args: unknown[]) => {
          this.load(id);
          return vscode.commands.executeCommand(id, ...args);
        }),
      );
    for (const type of panelTypes)
      this.stubs.push(vscode.window.registerWebviewPanelSerializer(type, { deserializeWebviewPanel: (panel, state) => this.load(`a ${type} panel restored`).dag.deserializeWebviewPanel(panel, state) }));
    this.stubs.push(vscode.workspace.registerTextDocumentContentProvider(GIT_SCHEME, { provideTextDocumentContent: (uri) => this.load(`a ${GIT_SCHEME}: document`).git.provideTextDocumentContent(uri) }));
    this.register({
      dispose: () => {
        for (const s of this.stubs.splice(0)) s.dispose();
        this.parts?.dispose();
      },
    });

    const { registry, run } = deps;
    void Promise.all([run.watch.ready, registry.ready]).then(() => {
      if (this.isDisposed) return;
      if (run.watch.states().some(({ repo, state }) => needsReconciling(repo.fsPath, state))) this.load('a run on disk to reconcile');
      // Built later, the reconciler does not look again: a run that starts after activation is followed as before (not reconciled).
      this.startChecked = true;
      this.loadForProposal();
    });
    const coordinator = () => {
      if ((vscode.workspace.workspaceFolders ?? []).some((f) => readCoordinatorSetting(f.uri) !== undefined)) this.load('waves.coordinator');
    };
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('waves.coordinator')) coordinator();
      }),
    );
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(coordinator));
    this.register(vscode.window.onDidChangeActiveTextEditor(() => this.loadForProposal()));
    // Right after activation, not in it: activation returns before these parts are built.
    const soon = setImmediate(() => {
      if (this.isDisposed) return;
      coordinator();
      this.loadForProposal();
    });
    this.register({ dispose: () => clearImmediate(soon) });
  }

  /** A proposed plan in the editor: planning sets its approval buttons' context (`waves.hasProposal`). */
  private loadForProposal(): void {
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const shown = [vscode.window.activeTextEditor?.document.uri, this.deps.registry.active?.uri];
    if (shown.some((uri) => uri?.scheme === 'file' && proposedPlanIdOf(uri.fsPath, folders))) this.load('a proposed plan in the editor');
  }

  /** The parts, built on the first call (`why`: for the log). */
  load(why: string): OnDemandParts {
    if (this.parts) return this.parts;
    if (this.isDisposed) throw new Error('Wave Orchestrator is shutting down');
    const started = performance.now();
    // dist/onDemand.js, and the engine it imports (dist/engine.js): the stand-ins stay if that fails.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded here, on first use (ADR 0029)
    const { createOnDemand } = require('./onDemand') as typeof import('./onDemand');
    for (const s of this.stubs.splice(0)) s.dispose();
    this.parts = createOnDemand({ ...this.deps, coupling: couplingCheck, reconcileAtStart: !this.startChecked });
    const ms = Math.round(performance.now() - started);
    this.loaded = { by: why, ms };
    this.deps.log.info(`Built the run, planning, hosts and DAG panel parts in ${ms} ms (first use: ${why})`);
    return this.parts;
  }
}

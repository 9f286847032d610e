import { webcrypto } from 'crypto';
import * as vscode from 'vscode';
import { nestedPlanView, runIdIn } from '../core/dag/groupView';
import { buildPackageDetails, buildPlanView } from '../core/dag/panelModel';
import { fromFirstStart, scopeOf } from '../core/plan/nestTree';
import { isActive, type RunState } from '../core/run/runState';
import { guardStuck, guardText } from '../core/run/integrationGuard';
import { toRange } from '../plan/convert';
import { revealPackage } from '../plan/planCommands';
import { packageUri } from '../plan/planFiles';
import type { PlanEntry, PlanRegistry } from '../plan/planRegistry';
import {
  EXPORT_FORMATS,
  replyTo,
  toTimelineRow,
  type ExportFormat,
  type HostMessage,
  type IntegrationView,
  type PackageLiveStatus,
  type WebviewMessage,
  type WebviewRequest,
} from '../protocol';
import { validateWebviewMessage } from '../protocol/validate';
import { Disposable } from '../util/lifecycle';
import { candidateDetails, candidateRefusal, liveStatusOf, sameLiveStatus } from './candidates';
import { unavailableActions, type ActionContext, type ActionStates, type CouplingSource, type DagActions, type NestedPlanSource, type ProposalSource } from './actions';
import { exportDag } from './exportDag';
import { exportTimeline } from './exportTimeline';
import { makeNonce, renderDagHtml } from './html';
import type { RunStatusSource } from './runSource';

export const DAG_VIEW_TYPE = 'waves.dag';

export interface DagPanelDeps {
  extensionUri: vscode.Uri;
  registry: PlanRegistry;
  log: vscode.LogOutputChannel;
  runs: RunStatusSource;
  /** The run actions; `src/run` plugs its own in. */
  actions?: DagActions;
  /** Proposed plans of planning sessions: their approval bar. */
  proposals?: ProposalSource;
  /** The coupling check, once a plan opened in an editor started it: coupling edges. */
  coupling?: () => CouplingSource | undefined;
  /** Plans of plans: each parent drawn as a group the person can open. */
  nested?: NestedPlanSource;
}

/** What the webview keeps with `setState` (and the serializer gets back after a reload). */
interface PanelState {
  planUri?: unknown;
}

/**
 * The DAG panels: one per plan, opened beside the editor, restored after a reload. The
 * host owns the data and sends it after the webview says `ready`; everything the webview
 * sends is validated before it is acted on.
 */
export class DagPanelManager extends Disposable implements vscode.WebviewPanelSerializer {
  private readonly panels = new Map<string, DagPanel>();

  constructor(private readonly deps: DagPanelDeps) {
    super();
    this.register(vscode.window.registerWebviewPanelSerializer(DAG_VIEW_TYPE, this));
    this.register(
      vscode.commands.registerCommand('waves.showDag', (arg?: unknown) => {
        // A plan's URI, or a plan's row of the Waves view (its menu).
        const uri = arg instanceof vscode.Uri ? arg : (arg as { entry?: { uri?: unknown } } | undefined)?.entry?.uri;
        this.show(uri instanceof vscode.Uri ? uri : undefined);
      }),
    );
    this.register(
      vscode.commands.registerCommand('waves.exportDag', (format?: unknown, target?: unknown) =>
        exportDag(
          deps.registry.active,
          deps.runs,
          (EXPORT_FORMATS as readonly unknown[]).includes(format) ? (format as ExportFormat) : undefined,
          target instanceof vscode.Uri ? target : undefined,
        ),
      ),
    );
  }

  /** Shows the panel of a plan (the active one by default), beside the editor. */
  show(uri?: vscode.Uri): DagPanel | undefined {
    const entry = uri ? this.deps.registry.get(uri) : this.deps.registry.active;
    if (!entry) {
      void vscode.window.showInformationMessage('Waves: no plan to show.');
      return undefined;
    }
    const existing = this.panels.get(entry.uri.toString());
    if (existing) {
      existing.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      DAG_VIEW_TYPE,
      title(entry),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      this.options(),
    );
    return this.adopt(panel, entry.uri);
  }

  /** The open panel of a plan (used by the tests). */
  panelFor(uri: vscode.Uri): DagPanel | undefined {
    return this.panels.get(uri.toString());
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    panel.webview.options = this.options();
    await this.deps.registry.ready;
    const saved = (state as PanelState | undefined)?.planUri;
    let uri: vscode.Uri | undefined;
    if (typeof saved === 'string') {
      try {
        uri = vscode.Uri.parse(saved, true);
      } catch {
        // a saved state not a URI: the panel restores without a plan
        uri = undefined;
      }
    }
    const entry = (uri && this.deps.registry.get(uri)) ?? this.deps.registry.active;
    if (!entry || this.panels.has(entry.uri.toString())) {
      panel.dispose();
      return;
    }
    this.adopt(panel, entry.uri);
  }

  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.deps.extensionUri, 'dist', 'webview')],
    };
  }

  private adopt(panel: vscode.WebviewPanel, planUri: vscode.Uri): DagPanel {
    const key = planUri.toString();
    this.panels.get(key)?.dispose();
    const dag = new DagPanel(panel, planUri, this.deps);
    this.panels.set(key, dag);
    dag.onDidDispose(() => {
      if (this.panels.get(key) === dag) this.panels.delete(key);
    });
    return dag;
  }

  override dispose(): void {
    for (const p of [...this.panels.values()]) p.dispose();
    super.dispose();
  }
}

const title = (entry: PlanEntry | undefined) => (entry ? `DAG — ${entry.analysis.plan.feature?.id ?? entry.label}` : 'Waves DAG');

/** An error reply with a stable code. */
function fail(request: { requestId: number }, message: string, code: string): HostMessage {
  return { type: 'reply', inReplyTo: request.requestId, ok: false, error: { message, code } };
}

export class DagPanel extends Disposable {
  private seq = 0;
  private ready = false;
  private readonly live = new Map<string, PackageLiveStatus>();
  /** What the timeline was last sent of each package: its marks' count and last time, status and attempts. */
  private readonly sentTimeline = new Map<string, string>();
  private runId: string | null = null;
  /** The sub-plan shown: the parents opened from the top plan down (their ids in their own plans); empty: the top plan. */
  private groupPath: string[] = [];
  private readonly actions: DagActions;
  private readonly disposeEmitter = this.register(new vscode.EventEmitter<void>());
  readonly onDidDispose = this.disposeEmitter.event;
  private readonly postEmitter = this.register(new vscode.EventEmitter<HostMessage>());
  /** Every message posted to the webview (the tests follow the protocol through it). */
  readonly onDidPost = this.postEmitter.event;

  constructor(
    private readonly panel: vscode.WebviewPanel,
    readonly planUri: vscode.Uri,
    private readonly deps: DagPanelDeps,
  ) {
    super();
    this.actions = deps.actions ?? unavailableActions;
    const webview = panel.webview;
    const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(deps.extensionUri, 'dist', 'webview', name)).toString();
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'waves.svg');
    panel.title = title(this.entry);
    webview.html = renderDagHtml({
      cspSource: webview.cspSource,
      scriptUri: asset('main.js'),
      styleUri: asset('main.css'),
      codiconUri: asset('codicon.css'),
      nonce: makeNonce((bytes) => webcrypto.getRandomValues(bytes)),
    });
    this.register(webview.onDidReceiveMessage((raw) => void this.handleMessage(raw)));
    this.register(deps.registry.onDidChange(() => this.sendPlan()));
    // The source paces its events (`LiveRuns` throttles): each one sends what changed.
    this.register(
      deps.runs.onDidChangeRuns(() => {
        if (this.ready) this.sendStatus();
      }),
    );
    if (deps.proposals) this.register(deps.proposals.onDidChange(() => this.sendPlan()));
    if (deps.nested) this.register(deps.nested.onDidChange(() => this.sendPlan()));
    this.register(panel.onDidDispose(() => this.dispose()));
  }

  get entry(): PlanEntry | undefined {
    return this.deps.registry.get(this.planUri);
  }

  get visible(): boolean {
    return this.panel.visible;
  }

  reveal(): void {
    this.panel.reveal(undefined, true);
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.disposeEmitter.fire();
    super.dispose();
    this.panel.dispose();
  }

  private post(message: HostMessage): void {
    if (this.isDisposed) return;
    this.postEmitter.fire(message);
    void this.panel.webview.postMessage(message).then(undefined, (err) => this.deps.log.warn('Could not post to the DAG panel', err));
  }

  private run(entry: PlanEntry | undefined): RunState | undefined {
    if (entry?.foreign) return undefined; // a task list of another tool never runs
    const featureId = entry?.analysis.plan.feature?.id;
    return featureId ? this.deps.runs.stateFor(featureId) : undefined;
  }

  private couplingSource: CouplingSource | undefined;

  /** The plan's couplings; the first time the check is there, it is asked about this plan and followed. */
  private couplingsOf(entry: PlanEntry) {
    if (!this.couplingSource) {
      this.couplingSource = this.deps.coupling?.();
      this.couplingSource?.ask(entry.uri);
      this.register(this.couplingSource?.onDidChange((uri) => uri === this.planUri.toString() && this.sendPlan()) ?? { dispose: () => undefined });
    }
    return this.couplingSource?.couplingsOf(entry.uri.toString()) ?? [];
  }

  /** The integration guard's state last sent, as JSON. */
  private sentIntegration = 'null';

  private sendPlan(): void {
    if (!this.ready || this.isDisposed) return;
    const entry = this.entry;
    this.panel.title = title(entry);
    if (!entry) return;
    const run = this.run(entry);
    const view = this.viewOf(entry, run);
    this.runId = run?.runId ?? null;
    this.live.clear();
    this.groups.clear();
    for (const s of view.below ?? []) this.live.set(s.id, s);
    for (const n of view.nodes) if (n.group) this.groups.set(n.id, n.group.leaves);
    for (const [k, n] of view.nodes.entries()) {
      const record = run?.packages[n.id];
      // Best of n: its candidates' states ride on the node's live status.
      const live = record ? this.liveOf(run!, n.id, record) : undefined;
      if (live?.candidates) view.nodes[k] = { ...n, candidates: live.candidates, awaitingPick: live.awaitingPick };
      // Its agent's progress while it runs (agents talk back): drawn from the first plan on, not only from a later delta.
      if (live?.progress) view.nodes[k] = { ...view.nodes[k]!, progress: live.progress };
      const { id, status, attempts, startedAt, endedAt, exitCode, host, candidates, awaitingPick, progress } = view.nodes[k]!;
      this.live.set(id, { id, status, attempts, startedAt, endedAt, exitCode, host, ...(candidates ? { candidates, awaitingPick } : {}), ...(progress ? { progress } : {}) });
    }
    const proposal = this.deps.proposals?.viewFor(entry.uri);
    const integration = integrationViewOf(run);
    this.sentIntegration = JSON.stringify(integration);
    this.post({ ...view, planUri: entry.uri.toString(), runId: this.runId, seq: ++this.seq, ...(proposal ? { proposal } : {}), integration });
    this.sentTimeline.clear();
    this.sendTimeline(run, true);
  }

  /** Each group shown (a parent of a plan of plans) → the leaves below it. */
  private readonly groups = new Map<string, readonly string[]>();

  /** A package's live status; a group's timed from the first start below it. */
  private liveOf(run: RunState, id: string, record: RunState['packages'][string]): PackageLiveStatus {
    const live = liveStatusOf(record);
    const leaves = this.groups.get(id);
    return leaves ? fromFirstStart(live, run.packages, leaves) : live;
  }

  /** The plan's view: of a plan of plans, the sub-plan opened (the top plan when it is gone), each parent a group. */
  private viewOf(entry: PlanEntry, run: RunState | undefined) {
    const plans = this.deps.nested?.of(entry);
    const tree = this.deps.nested?.treeOf(entry);
    if (plans && tree) {
      const opened = nestedPlanView(plans, tree, this.groupPath, run?.packages ?? {}, this.couplingsOf(entry));
      if (opened) return opened;
      // The sub-plan opened is gone (its parent renamed, its file removed): back to the top plan.
      this.groupPath = [];
      const top = nestedPlanView(plans, tree, [], run?.packages ?? {}, this.couplingsOf(entry));
      if (top) return top;
    }
    this.groupPath = [];
    return buildPlanView(entry.analysis, entry.label, run?.packages ?? {}, this.couplingsOf(entry));
  }

  /** A package of a sub-plan (its id in the run, `api__users`): its plan's analysis, its id there and how its plan names the others; undefined: a package of the top plan, or none. */
  private subPackage(entry: PlanEntry, id: string) {
    const plans = this.deps.nested?.of(entry);
    const o = this.deps.nested?.treeOf(entry)?.origin[id];
    if (!plans || !o || o.plan === 0) return undefined;
    const plan = plans[o.plan]!;
    const prefix = id.slice(0, id.length - o.packageId.length - 2);
    return { plan, packageId: o.packageId, runId: runIdIn({ prefix }), parent: prefix };
  }

  /** The run record's statuses of a package of the top plan or of a sub-plan; a sub-plan's package is started by its plan's run, never alone. */
  private statesOf(context: ActionContext, sub: boolean): Omit<ActionStates, 'reveal'> {
    const states = this.actions.states(context);
    if (!sub) return states;
    const off = (reason: string) => ({ enabled: false as const, reason });
    // Retried alone, as any package (Run Package with its run id: only it, in the last run); started only with its plan.
    const alone = off(`${context.packageId} is a package of a sub-plan: it starts with its plan (Run Plan or Resume); once it failed, Retry runs it again alone`);
    return { ...states, run: alone };
  }

  /** The run timeline's rows: every package of the run (`full`), or those whose marks or status moved. */
  private sendTimeline(run: RunState | undefined, full: boolean): void {
    const rows = [];
    for (const record of Object.values(run?.packages ?? {})) {
      const marks = Array.isArray(record.phases) ? record.phases : [];
      const key = `${marks.length}|${marks.at(-1)?.at ?? ''}|${record.status}|${record.attempts}|${record.startedAt ?? ''}|${record.endedAt ?? ''}`;
      if (!full && this.sentTimeline.get(record.packageId) === key) continue;
      this.sentTimeline.set(record.packageId, key);
      rows.push(toTimelineRow(record));
    }
    if (!full && rows.length === 0) return;
    const live = Object.values(run?.packages ?? {}).some((r) => isActive(r.status));
    this.post({ type: 'timeline', seq: ++this.seq, full, cap: run?.maxParallel ?? null, live, updatedAt: run?.updatedAt ?? null, rows });
  }

  /** Sends the statuses that changed since the last message, or a new plan for a new run. */
  private sendStatus(): void {
    if (this.isDisposed) return;
    const entry = this.entry;
    const run = this.run(entry);
    if ((run?.runId ?? null) !== this.runId) return this.sendPlan();
    if (!run) return;
    const deltas: PackageLiveStatus[] = [];
    for (const [id, before] of this.live) {
      const record = run.packages[id];
      if (!record) continue;
      const now = this.liveOf(run, id, record);
      if (!sameLiveStatus(before, now)) {
        deltas.push(now);
        this.live.set(id, now);
      }
    }
    // The integration guard's state, sent with the statuses when it changed.
    const integration = integrationViewOf(run);
    const integrationKey = JSON.stringify(integration);
    const guardMoved = integrationKey !== this.sentIntegration;
    this.sentIntegration = integrationKey;
    if (deltas.length || guardMoved) this.post({ type: 'status', seq: ++this.seq, deltas, ...(guardMoved ? { integration } : {}) });
    this.sendTimeline(run, false);
  }

  /** Validates and handles one message from the webview (public for the tests). */
  async handleMessage(raw: unknown): Promise<void> {
    const checked = validateWebviewMessage(raw);
    if (!checked.ok) {
      this.deps.log.warn(`Ignored a malformed message from the DAG panel: ${checked.error}`);
      if (checked.requestId !== undefined) this.post(fail({ requestId: checked.requestId }, checked.error, 'invalid-message'));
      return;
    }
    const message: WebviewMessage = checked.message;
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.sendPlan();
        return;
      case 'log':
        this.deps.log[message.level === 'warn' ? 'warn' : message.level](`[DAG panel] ${message.message}`);
        return;
      default:
        this.post(await this.answer(message));
    }
  }

  private async reveal_(entry: PlanEntry, packageId: string): Promise<void> {
    const sub = this.subPackage(entry, packageId);
    if (sub) return revealIn(sub.plan, sub.packageId, this.panel.viewColumn);
    // Open the plan (a folder read as one plan: the package's file) in its own editor group (or the one beside the panel), never over the panel.
    const uri = packageUri(entry, entry.analysis.plan.packages.find((p) => p.id === packageId)?.index ?? -1);
    const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    const column = shown?.viewColumn ?? (this.panel.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One);
    await vscode.window.showTextDocument(uri, { viewColumn: column, preserveFocus: false, preview: false });
    await revealPackage(this.deps.registry, { uri, packageId });
  }

  private async answer(request: WebviewRequest): Promise<HostMessage> {
    try {
      const entry = this.entry;
      if (!entry) return fail(request, 'The plan of this panel is gone', 'no-plan');
      const known = (id: string) => entry.analysis.graph.indexOf.has(id) || this.subPackage(entry, id) !== undefined;
      switch (request.type) {
        case 'openPackage':
          if (!known(request.packageId)) return fail(request, `No package \`${request.packageId}\` in ${entry.label}`, 'unknown-package');
          await this.reveal_(entry, request.packageId);
          return replyTo(request, null);
        case 'packageDetails': {
          if (!known(request.packageId)) return fail(request, `No package \`${request.packageId}\` in ${entry.label}`, 'unknown-package');
          const run = this.run(entry);
          const context: ActionContext = { plan: entry, packageId: request.packageId, run };
          const sub = this.subPackage(entry, request.packageId);
          const found = buildPackageDetails(
            sub?.plan.analysis ?? packageAnalysis(entry, request.packageId),
            sub?.packageId ?? request.packageId,
            { reveal: { enabled: true }, ...this.statesOf(context, !!sub) },
            run ? { runId: run.runId, record: run.packages[request.packageId] } : undefined,
          );
          // A sub-plan's package: named, and naming the others, as the run does; one that no package of its plan needs is needed by its parent's check.
          const details =
            found && sub
              ? { ...found, id: request.packageId, dependencies: found.dependencies.map(sub.runId), dependents: found.dependents.length ? found.dependents.map(sub.runId) : [sub.parent] }
              : found;
          const featureId = entry.analysis.plan.feature?.id;
          if (details?.run && featureId) details.run.openComments = this.deps.runs.openComments?.(featureId, request.packageId) ?? 0;
          // Best of n: its candidates, each with Pick and Show Changes.
          if (details?.run && run) Object.assign(details.run, candidateDetails(run, request.packageId));
          return details ? replyTo(request, details) : fail(request, `No package \`${request.packageId}\``, 'unknown-package');
        }
        case 'packageAction': {
          if (!known(request.packageId)) return fail(request, `No package \`${request.packageId}\` in ${entry.label}`, 'unknown-package');
          if (request.action === 'reveal') {
            await this.reveal_(entry, request.packageId);
            return replyTo(request, null);
          }
          const context: ActionContext = { plan: entry, packageId: request.packageId, run: this.run(entry) };
          const why = this.subPackage(entry, request.packageId) ? this.statesOf(context, true)[request.action] : undefined;
          if (why && !why.enabled) return fail(request, `${request.packageId}: ${why.reason}`, 'cannot-act');
          await this.actions.perform(request.action, context);
          return replyTo(request, null);
        }
        case 'candidateAction': {
          if (!known(request.packageId)) return fail(request, `No package \`${request.packageId}\` in ${entry.label}`, 'unknown-package');
          const run = this.run(entry);
          // The run must have the candidate; a pick is refused with the front door's own words (not green, not awaiting the pick).
          const refused = candidateRefusal(run, request.packageId, request.candidate, request.action);
          if (refused) return fail(request, refused.message, refused.code);
          if (!this.actions.candidate) return fail(request, 'Picking a candidate is not available here', 'not-available');
          await this.actions.candidate(request.action, { plan: entry, packageId: request.packageId, run }, request.candidate);
          return replyTo(request, null);
        }
        case 'exportDag': {
          const uri = await exportDag(entry, this.deps.runs, request.format);
          return replyTo(request, uri ? uri.toString() : null);
        }
        case 'revealInWaves':
          if (!known(request.packageId)) return fail(request, `No package \`${request.packageId}\` in ${entry.label}`, 'unknown-package');
          await vscode.commands.executeCommand('waves.selectInWavesView', { uri: entry.uri.toString(), packageId: request.packageId });
          return replyTo(request, null);
        case 'exportTimeline': {
          const uri = await exportTimeline(entry, this.deps.runs, undefined, this.deps.nested?.treeOf(entry)?.joins);
          return replyTo(request, uri ? uri.toString() : null);
        }
        case 'revealFile': {
          const folder = vscode.workspace.getWorkspaceFolder(entry.uri);
          if (!folder) return fail(request, 'No workspace folder for this plan', 'no-folder');
          const uri = vscode.Uri.joinPath(folder.uri, ...request.path.split('/'));
          try {
            await vscode.workspace.fs.stat(uri);
          } catch {
            return fail(request, `\`${request.path}\` does not exist yet`, 'not-found');
          }
          await vscode.window.showTextDocument(uri, { preview: true, viewColumn: vscode.ViewColumn.One });
          return replyTo(request, null);
        }
        case 'proposalAction':
          if (!this.deps.proposals?.viewFor(entry.uri)) return fail(request, `${entry.label} is not a proposed plan`, 'not-a-proposal');
          await this.deps.proposals.perform(request.action, entry.uri);
          return replyTo(request, null);
        case 'openGroup': {
          const plans = this.deps.nested?.of(entry);
          const tree = this.deps.nested?.treeOf(entry);
          if (!plans || !tree || !scopeOf(plans, tree, request.path)) return fail(request, `${entry.label} has no sub-plan at ${request.path.join(' › ') || 'its top'}`, 'unknown-group');
          this.groupPath = [...request.path];
          this.sendPlan();
          return replyTo(request, null);
        }
        case 'runWave':
          if (this.groupPath.length) return fail(request, 'A wave of a sub-plan runs with its plan: run the top plan', 'not-available');
          if (!this.actions.runWave) return fail(request, 'Running a wave is not available yet: runs start from `waves run`', 'not-available');
          await this.actions.runWave(entry, request.wave);
          return replyTo(request, null);
      }
    } catch (err) {
      if (!(err instanceof Error && (err as { code?: unknown }).code === 'not-available')) {
        this.deps.log.error(`DAG panel request ${request.type} failed`, err);
      }
      return replyTo(request, err instanceof Error ? err : new Error(String(err)));
    }
  }
}

/** The integration guard's state of a run for the panel; null when the run has none. */
function integrationViewOf(run: RunState | undefined): IntegrationView | null {
  const guard = run?.integration?.guard;
  if (!guard) return null;
  const stuck = guardStuck(run.integration);
  return { status: guard.status, text: guardText(run.integration), blamed: guard.status === 'red' ? (guard.blamed?.packageId ?? null) : null, stuck: stuck ? `${stuck.said} ${stuck.advice}` : null };
}

/** The analysis a package's details are read from: a folder's (GSD, Spec Kitty) is the view of the file the package is written in, whose lines its problems are on. */
function packageAnalysis(entry: PlanEntry, packageId: string): PlanEntry['analysis'] {
  if (!entry.files) return entry.analysis;
  const at = packageUri(entry, entry.analysis.plan.packages.find((p) => p.id === packageId)?.index ?? -1).toString();
  return entry.files.find((f) => f.uri.toString() === at)?.analysis ?? entry.analysis;
}

/** Opens a sub-plan's file at one of its packages, never over the panel. */
async function revealIn(plan: { key: string; analysis: PlanEntry['analysis'] }, packageId: string, panelColumn: vscode.ViewColumn | undefined): Promise<void> {
  const uri = vscode.Uri.file(plan.key);
  const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
  const column = shown?.viewColumn ?? (panelColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One);
  const pkg = plan.analysis.plan.packages.find((p) => p.id === packageId);
  const selection = pkg ? toRange(plan.analysis.lines, pkg.idRange) : undefined;
  const editor = await vscode.window.showTextDocument(uri, { viewColumn: column, preserveFocus: false, preview: false, selection });
  if (selection) editor.revealRange(selection, vscode.TextEditorRevealType.InCenter);
}

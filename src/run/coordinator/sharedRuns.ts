/**
 * What the shared coordinator (`waves.coordinator`, ADR 0012) says of the other drivers of each
 * workspace folder's repository: their runs (who, on which machine, in which clone, the packages
 * under way and what they may write) and their lock rows, read every few seconds while the
 * setting is set. `RunWatch` adds their file locks to the folder's lock table, so the Explorer,
 * the editor and the Ownership view show a file another person's running package owns, with who
 * and where. Read-only but for one request: `Waves: Ask Its Driver to Cancel…` (the Ownership
 * view's "Other drivers") asks another clone's driver, through the coordinator, to cancel its run
 * or one package (the engine's heartbeat there takes it: engine/run/joinCoordinator.ts); `Waves: Release a
 * Feature's Planned Claims…` removes an approved plan's planned claims whose session is gone (also
 * a quick fix on the warnings they cause). The repository's pull workers (ADR 0037) are read
 * beside them (the Ownership view's "Workers"); `Waves: Drain Worker` / `Waves: Undrain Worker`
 * stop one claiming new packages, or let it again. Nothing is read in an
 * untrusted workspace unless the coordinator is the person's own (user) setting, and a connection
 * string is never shown with its password.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  claimRange,
  coordinatorFileLocks,
  ownerText,
  plannedClaimsOf,
  plannedConflicts,
  plannedConflictText,
  plannedFeatures,
  plannedFeatureText,
  plannedCountsText,
  type OwnedLock,
  type PlannedClaim,
  type PlannedFeature,
  type RegisteredRun,
  isLiveRun,
} from '../../core/coordinator/sharedCoordinator';
import { heartbeatText, workerRuns, workerShownKey, type WorkerSeen } from '../../core/present/workerText';
import { visibleText } from '../../core/present/visibleText';
import { plural } from '../../core/util/plural';
import { toRange } from '../../plan/convert';
import { PLAN_SELECTOR } from '../../plan/planFiles';
import type { PlanEntry, PlanRegistry } from '../../plan/planRegistry';
import { CoordinatorReader, askCoordinatedDriverToCancel, redactSecrets, releasePlannedClaims, type WorkerRow } from '../../engine';
import { Disposable } from '../../util/lifecycle';
import { readCoordinatorSetting } from './coordinatorSetting';

/** A run (and package) of "Other drivers" as the Ownership view's items carry them; anything else is not one. */
function targetOf(node: unknown): { run: RegisteredRun; packageId?: string } | undefined {
  const n = node as { run?: Partial<RegisteredRun>; pkg?: { id?: unknown } } | null | undefined;
  const run = n?.run;
  if (!run || typeof run.featureId !== 'string' || typeof run.ownerId !== 'string' || typeof run.driver !== 'string' || typeof run.host !== 'string') return undefined;
  const packageId = typeof n.pkg?.id === 'string' ? n.pkg.id : undefined;
  return { run: run as RegisteredRun, ...(packageId !== undefined ? { packageId } : {}) };
}

/** What a cancel asks for, for a person: `the run of billing`, `wp-api of billing`. */
const cancelled = (run: RegisteredRun, packageId?: string) => (packageId === undefined ? `the run of ${run.featureId}` : `${packageId} of ${run.featureId}`);

/** A pull worker as the Ownership view's "Workers" items carry it (its name); anything else is not one. */
function workerNameOf(node: unknown): string | undefined {
  const name = (node as { worker?: { name?: unknown } } | null | undefined)?.worker?.name;
  return typeof name === 'string' ? name : undefined;
}

/** How often the registry is read while a coordinator is set. */
export const SHARED_POLL_MS = 3000;

interface FolderView {
  reader: CoordinatorReader | null;
  runs: RegisteredRun[];
  locks: OwnedLock[];
  /** Approved plans' planned claims, every feature's. */
  claims: PlannedClaim[];
  /** The repository's pull workers (ADR 0037), as the last read had them. */
  workers: WorkerRow[];
  problem: string | null;
}

/** What the views show of a folder's view (heartbeats left out: they move every read). */
const signature = (view: FolderView) =>
  JSON.stringify([
    view.runs.map((r) => [r.featureId, r.ownerId, r.driver, r.host, r.clone, r.packages]),
    view.locks.map((l) => [l.featureId, l.holder, l.kind, l.key, l.expiresAt, l.owner]),
    view.claims.map((c) => [c.featureId, c.packageId, c.kind, c.key, c.planId, c.approvedAt]),
    // A worker's heartbeat only in the steps its row shows (and whether it went silent), not its age at each read.
    view.workers.map((w) => workerShownKey(w, w.leaseMs)),
    view.problem,
  ]);

export class SharedRuns extends Disposable {
  private readonly folders = new Map<string, FolderView>();
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  /** Another driver's runs or locks changed (or the coordinator became reachable or not). */
  readonly onDidChange = this.changed.event;
  private timer: ReturnType<typeof setInterval> | undefined;
  private settingKey = '';
  private reading: Promise<void> = Promise.resolve();

  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('waves.coordinator') || e.affectsConfiguration('waves.coordinatorRepository')) void this.restart();
      }),
    );
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => void this.restart()));
    this.register({ dispose: () => this.stop() });
    this.register(vscode.commands.registerCommand('waves.askDriverToCancel', (node?: unknown) => this.cancelCommand(node)));
    this.register(vscode.commands.registerCommand('waves.releasePlannedClaims', (target?: unknown) => this.releaseCommand(target)));
    this.register(vscode.commands.registerCommand('waves.drainWorker', (node?: unknown) => this.drainCommand(node, true)));
    this.register(vscode.commands.registerCommand('waves.undrainWorker', (node?: unknown) => this.drainCommand(node, false)));
    void this.restart();
  }

  /**
   * Asks the driver of another clone's run, through the coordinator of the folder that lists it,
   * to cancel the run or one package (the front door's `askCoordinatedDriverToCancel`). Never
   * throws: what happened, for a person.
   */
  async askToCancel(run: RegisteredRun, packageId?: string): Promise<{ ok: boolean; text: string }> {
    const what = cancelled(run, packageId);
    const folder = (vscode.workspace.workspaceFolders ?? []).find((f) => this.foreignRuns(f).some((r) => r.featureId === run.featureId && r.ownerId === run.ownerId));
    if (!folder) return { ok: false, text: `${run.featureId} is no longer driven by ${ownerText(run)}: nothing to cancel` };
    const setting = readCoordinatorSetting(folder.uri);
    if (!setting || 'problem' in setting) return { ok: false, text: setting ? setting.problem : 'waves.coordinator is not set' };
    try {
      const asked = await askCoordinatedDriverToCancel(folder.uri.fsPath, run.featureId, packageId, setting);
      void this.refresh();
      if (!asked.ok) return { ok: false, text: `${asked.why}: nothing to cancel` };
      return { ok: true, text: `asked ${asked.driver} to cancel ${what}; its engine takes the request within about ${asked.within} s` };
    } catch (err) {
      return { ok: false, text: `${what} could not be cancelled: ${redactSecrets(err instanceof Error ? err.message : String(err))}` };
    }
  }

  /** `waves.askDriverToCancel`: from a run or package of "Other drivers" (the Ownership view), else a pick of them; confirmed first. */
  private async cancelCommand(node: unknown): Promise<void> {
    let target = targetOf(node);
    if (!target) {
      const runs = (vscode.workspace.workspaceFolders ?? []).flatMap((f) => this.foreignRuns(f));
      if (runs.length === 0) {
        void vscode.window.showInformationMessage('Waves: no run of another driver is under way (waves.coordinator lists them).');
        return;
      }
      const picked = await vscode.window.showQuickPick(
        runs.map((run) => ({ label: run.featureId, description: `${ownerText(run)} · ${run.packages.length} under way`, run })),
        { title: 'Waves: Ask Its Driver to Cancel', placeHolder: 'The run of another driver to cancel' },
      );
      if (!picked) return;
      target = { run: picked.run };
    }
    const { run, packageId } = target;
    const what = cancelled(run, packageId);
    const yes = 'Ask to Cancel';
    const choice = await vscode.window.showWarningMessage(
      `Waves: ask ${ownerText(run)} to cancel ${what}?`,
      { modal: true, detail: 'Its engine stops the agents at its next heartbeat (a few seconds); what they committed stays on their branches, and it can resume the run.' },
      yes,
    );
    if (choice !== yes) return;
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Waves: asking ${run.driver || 'its driver'} to cancel` }, () => this.askToCancel(run, packageId));
    if (result.ok) void vscode.window.showInformationMessage(`Waves: ${result.text}.`);
    else void vscode.window.showWarningMessage(`Waves: ${result.text}.`);
  }

  /**
   * Drains the pull worker `name` of a folder's repository (it finishes what it holds and claims
   * nothing new), or lets it take work again (`draining` false). The folder is the one whose
   * coordinator lists it (the first, when none does). Never throws: what happened, for a person.
   */
  async drainWorker(name: string, draining: boolean): Promise<{ ok: boolean; text: string }> {
    const shown = visibleText(name);
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => this.folders.has(f.uri.toString()));
    const folder = folders.find((f) => this.workers(f).some((w) => w.name === name)) ?? folders[0];
    if (!folder) return { ok: false, text: 'pull workers live in the shared coordinator; set waves.coordinator to see them' };
    const setting = readCoordinatorSetting(folder.uri);
    if (!setting || 'problem' in setting) return { ok: false, text: setting ? setting.problem : 'waves.coordinator is not set' };
    const view = this.folders.get(folder.uri.toString());
    let reader = view?.reader ?? null;
    const own = reader === null;
    try {
      reader ??= await CoordinatorReader.open(folder.uri.fsPath, setting);
      if (!(await reader.drain(name, draining))) return { ok: false, text: `no worker named ${shown} works for this repository any more` };
    } catch (err) {
      return { ok: false, text: `${shown} could not be ${draining ? 'drained' : 'undrained'}: ${redactSecrets(err instanceof Error ? err.message : String(err))}` };
    } finally {
      // A reader opened for this one request is closed; the folder's own stays for its reads.
      if (own && reader) void reader.close();
    }
    await this.refresh();
    return { ok: true, text: draining ? `${shown} is draining: it finishes what it holds and claims nothing new` : `${shown} takes work again` };
  }

  /** `waves.drainWorker` / `waves.undrainWorker`: from a worker of the Ownership view's "Workers", else a pick of the workers it applies to. */
  private async drainCommand(node: unknown, draining: boolean): Promise<void> {
    let name = workerNameOf(node);
    const title = draining ? 'Waves: Drain Worker' : 'Waves: Undrain Worker';
    if (name === undefined) {
      const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => this.folders.has(f.uri.toString()));
      if (folders.length === 0) {
        void vscode.window.showInformationMessage('Waves: pull workers live in the shared coordinator; set waves.coordinator to see them.');
        return;
      }
      const workers = folders.flatMap((folder) => this.workers(folder).map((worker) => ({ folder, worker }))).filter((w) => w.worker.draining !== draining);
      if (workers.length === 0) {
        const problem = folders.map((f) => this.problem(f)).find((p) => p !== null);
        if (problem) void vscode.window.showWarningMessage(`Waves: ${problem}`);
        else void vscode.window.showInformationMessage(draining ? 'Waves: no pull worker takes work for this repository now (none, or all draining).' : 'Waves: no pull worker of this repository is draining.');
        return;
      }
      const picked = await vscode.window.showQuickPick(
        workers.map(({ folder, worker }) => ({
          label: visibleText(worker.name),
          description: `on ${visibleText(worker.machine)} · ${workerRuns(worker)}`,
          detail: `${heartbeatText(worker, worker.leaseMs)}${worker.draining ? ' · draining' : ''}${folders.length > 1 ? ` · ${folder.name}` : ''}`,
          name: worker.name,
        })),
        { title, placeHolder: draining ? 'The worker to drain: it finishes what it holds and claims nothing new' : 'The draining worker to let take work again', matchOnDescription: true },
      );
      if (!picked) return;
      name = picked.name;
    }
    const target = name;
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `${title}: ${visibleText(target)}` }, () => this.drainWorker(target, draining));
    // Reversible, so nothing was asked first; what happened is said in the status bar, a failure in a message.
    if (result.ok) vscode.window.setStatusBarMessage(`$(${draining ? 'debug-pause' : 'server-process'}) Waves: ${result.text}`, 8000);
    else void vscode.window.showErrorMessage(`Waves: ${result.text}.`);
  }

  /**
   * Releases `featureId`'s planned claims in the coordinator of `folder`, whoever approved them
   * (the front door's `releasePlannedClaims`). Never throws: what happened, for a person.
   */
  async releaseClaims(folder: vscode.WorkspaceFolder, featureId: string): Promise<{ ok: boolean; text: string }> {
    const setting = readCoordinatorSetting(folder.uri);
    if (!setting || 'problem' in setting) return { ok: false, text: setting ? setting.problem : 'waves.coordinator is not set' };
    const done = await releasePlannedClaims(folder.uri.fsPath, setting, featureId);
    void this.refresh();
    if (!done.ok) return { ok: false, text: `the planned claims of ${featureId} could not be released: ${done.message}` };
    const [feature] = plannedFeatures(done.released);
    return feature ? { ok: true, text: `released the planned claims of ${plannedFeatureText(feature)}` } : { ok: false, text: `feature ${featureId} has no planned claims in the coordinator any more` };
  }

  /** `waves.releasePlannedClaims`: a feature given (the quick fix, the Ownership view's "Planned by other features"), else a pick of those with claims; confirmed first. */
  private async releaseCommand(target: unknown): Promise<void> {
    // The quick fix's `{ featureId, folder }`, or the Ownership view's item (its `feature`).
    const arg = target as { featureId?: unknown; folder?: unknown; feature?: { featureId?: unknown } } | null | undefined;
    const given = { featureId: arg?.featureId ?? arg?.feature?.featureId, folder: arg?.folder };
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => this.folders.has(f.uri.toString()));
    let picked: { folder: vscode.WorkspaceFolder; feature: PlannedFeature } | undefined;
    const features = folders.flatMap((folder) => plannedFeatures(this.plannedClaims(folder)).map((feature) => ({ folder, feature })));
    if (typeof given.featureId === 'string') {
      picked = features.find((f) => f.feature.featureId === given.featureId && (typeof given.folder !== 'string' || f.folder.uri.toString() === given.folder));
      if (!picked) {
        void vscode.window.showInformationMessage(`Waves: feature ${given.featureId} has no planned claims in the coordinator any more.`);
        return;
      }
    } else {
      if (folders.length === 0) {
        void vscode.window.showInformationMessage('Waves: planned claims live in the shared coordinator; set waves.coordinator to see them.');
        return;
      }
      if (features.length === 0) {
        void vscode.window.showInformationMessage('Waves: no approved plan has planned claims in the coordinator.');
        return;
      }
      const chosen = await vscode.window.showQuickPick(
        features.map((f) => ({
          label: f.feature.featureId,
          description: `${plural(f.feature.packages, 'package')} · approved by ${ownerText(f.feature)}`,
          detail: `${plannedCountsText(f.feature)} · approved at ${f.feature.approvedAt}${folders.length > 1 ? ` · ${f.folder.name}` : ''}`,
          target: f,
        })),
        { title: "Waves: Release a Feature's Planned Claims", placeHolder: 'The feature whose approved plan should no longer claim what it writes and locks', matchOnDescription: true },
      );
      if (!chosen) return;
      picked = chosen.target;
    }
    const { folder, feature } = picked;
    const yes = 'Release Claims';
    const choice = await vscode.window.showWarningMessage(
      `Waves: release the planned claims of ${feature.featureId}?`,
      {
        modal: true,
        detail: `Approved by ${ownerText(feature)} at ${feature.approvedAt} (session ${feature.planId}). Other features' plans no longer see them, and a plan with one of its lock keys is no longer refused. Approving that plan again registers them again.`,
      },
      yes,
    );
    if (choice !== yes) return;
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Waves: releasing the planned claims of ${feature.featureId}` }, () => this.releaseClaims(folder, feature.featureId));
    if (result.ok) void vscode.window.showInformationMessage(`Waves: ${result.text}.`);
    else void vscode.window.showWarningMessage(`Waves: ${result.text}.`);
  }

  /**
   * The coordinator's file locks of `folder`'s repository (the person's own runs' too: with a
   * coordinator they are not in `.waves/locks.json`), other drivers' with who and where, and
   * their running packages' write scopes.
   */
  foreignLocks(folder: vscode.WorkspaceFolder | undefined): OwnedLock[] {
    return (folder && this.folders.get(folder.uri.toString())?.locks) || [];
  }

  /** Other drivers' live runs in `folder`'s repository. */
  foreignRuns(folder: vscode.WorkspaceFolder | undefined): RegisteredRun[] {
    const view = folder && this.folders.get(folder.uri.toString());
    const now = new Date();
    return view ? view.runs.filter((r) => !this.isOwn(folder, r) && isLiveRun(r, now)) : [];
  }

  /** The planned claims of approved plans in `folder`'s repository (every feature's; a plan's own are filtered by `plannedConflicts`). */
  plannedClaims(folder: vscode.WorkspaceFolder | undefined): PlannedClaim[] {
    return (folder && this.folders.get(folder.uri.toString())?.claims) || [];
  }

  /** The pull workers of `folder`'s repository (ADR 0037), as the last read had them; none without a coordinator. */
  workers(folder: vscode.WorkspaceFolder | undefined): WorkerSeen[] {
    return (folder && this.folders.get(folder.uri.toString())?.workers) || [];
  }

  /** Why the coordinator of `folder` cannot be read now (its password hidden), or null. */
  problem(folder: vscode.WorkspaceFolder | undefined): string | null {
    return (folder && this.folders.get(folder.uri.toString())?.problem) ?? null;
  }

  /** Reads every folder's coordinator now; resolves when done. */
  async refresh(): Promise<void> {
    await this.reading;
    this.reading = this.readAll();
    await this.reading;
  }

  // -------------------------------------------------------------------------------------

  /** The person's own runs: driven from this machine in this folder's clone (the local files show them). */
  private isOwn(folder: vscode.WorkspaceFolder, run: RegisteredRun): boolean {
    const reader = this.folders.get(folder.uri.toString())?.reader;
    return reader ? reader.isOwn(run) : run.host === os.hostname() && run.clone === folder.uri.fsPath;
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const view of this.folders.values()) void view.reader?.close();
    this.folders.clear();
  }

  private async restart(): Promise<void> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    const settings = folders.map((f) => readCoordinatorSetting(f.uri));
    const key = JSON.stringify([folders.map((f) => f.uri.toString()), settings]);
    if (key === this.settingKey) return;
    this.settingKey = key;
    const had = this.folders.size > 0;
    this.stop();
    if (this.isDisposed) return;
    folders.forEach((folder, i) => {
      const setting = settings[i];
      if (!setting) return;
      this.folders.set(folder.uri.toString(), { reader: null, runs: [], locks: [], claims: [], workers: [], problem: 'problem' in setting ? setting.problem : null });
    });
    // The palette offers the coordinator's commands only where one is set (package.json: `waves.hasCoordinator`).
    void vscode.commands.executeCommand('setContext', 'waves.hasCoordinator', this.folders.size > 0);
    if (this.folders.size > 0) {
      this.timer = setInterval(() => void this.refresh(), SHARED_POLL_MS);
      await this.refresh();
    } else if (had) this.changed.fire();
  }

  private async readAll(): Promise<void> {
    let changed = false;
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const view = this.folders.get(folder.uri.toString());
      if (!view) continue;
      const setting = readCoordinatorSetting(folder.uri);
      if (!setting || 'problem' in setting) continue;
      const before = signature(view);
      const problemBefore = view.problem;
      try {
        view.reader ??= await CoordinatorReader.open(folder.uri.fsPath, setting);
        const read = await view.reader.read();
        if (read.ok) {
          view.runs = read.runs;
          view.claims = read.claims;
          view.workers = read.workers;
          const reader = view.reader;
          view.locks = coordinatorFileLocks(read.runs, read.locks, new Set(read.runs.filter((r) => reader.isOwn(r)).map((r) => r.ownerId)), new Date());
          view.problem = null;
        } else {
          view.problem = read.message;
        }
      } catch (err) {
        view.problem = redactSecrets(err instanceof Error ? err.message : String(err));
      }
      if (view.problem && view.problem !== problemBefore)
        this.log.warn(`[coordinator] ${vscode.workspace.asRelativePath(folder.uri)}: ${view.problem} (the files in .waves/ are shown as they are)`);
      if (signature(view) !== before) changed = true;
    }
    if (changed && !this.isDisposed) this.changed.fire();
  }
}

/**
 * Other features' approved plans, in the Problems panel: with a coordinator, each
 * plan's write scope, file lock or lock key that meets another feature's planned claim is a
 * warning on its entry — who approved it, where, and the path both cover. A lock key both plan
 * to change is the one `Run Plan` refuses while that claim stands (the engine decides; this
 * only tells before). Redrawn when a plan or the coordinator's claims change.
 */
export class PlannedClaimDiagnostics extends Disposable implements vscode.CodeActionProvider {
  private readonly collection = this.register(vscode.languages.createDiagnosticCollection('waves-coordinator'));

  constructor(
    private readonly registry: PlanRegistry,
    private readonly shared: SharedRuns,
  ) {
    super();
    this.register(registry.onDidChange(() => this.publish()));
    this.register(shared.onDidChange(() => this.publish()));
    this.register(vscode.languages.registerCodeActionsProvider(PLAN_SELECTOR, this, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }));
    this.publish();
  }

  /** A plan's warnings, each with the other feature's claim it meets. */
  private conflictsOf(entry: PlanEntry): { range: vscode.Range; text: string; exact: boolean; featureId: string }[] {
    const featureId = entry.analysis.plan.feature?.id;
    const claims = featureId ? this.shared.plannedClaims(vscode.workspace.getWorkspaceFolder(entry.uri)) : [];
    if (!featureId || claims.length === 0) return [];
    const { plan } = entry.analysis;
    return plannedConflicts(featureId, plannedClaimsOf(plan), claims).map((c) => {
      const range = claimRange(plan, c.mine);
      return { range: range ? toRange(entry.analysis.lines, range) : new vscode.Range(0, 0, 0, 0), text: plannedConflictText(c), exact: c.exact, featureId: c.theirs.featureId };
    });
  }

  private publish(): void {
    this.collection.clear();
    for (const entry of this.registry.plans) {
      const diagnostics = this.conflictsOf(entry).map((c) => {
        const d = new vscode.Diagnostic(c.range, c.exact ? `${c.text}. Run Plan refuses this plan while that claim stands.` : c.text, vscode.DiagnosticSeverity.Warning);
        d.source = COORDINATOR_SOURCE;
        d.code = c.exact ? 'planned-lock-key' : 'planned-claim-overlap';
        return d;
      });
      if (diagnostics.length) this.collection.set(entry.uri, diagnostics);
    }
  }

  /** On a warning: release the other feature's planned claims (confirmed by the command). */
  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const entry = this.registry.get(document.uri);
    const folder = vscode.workspace.getWorkspaceFolder(document.uri);
    if (!entry || !folder) return [];
    const conflicts = this.conflictsOf(entry);
    const actions: vscode.CodeAction[] = [];
    const offered = new Set<string>();
    for (const shown of context.diagnostics) {
      if (shown.source !== COORDINATOR_SOURCE) continue;
      for (const c of conflicts) {
        if (!c.range.isEqual(shown.range) || offered.has(c.featureId)) continue;
        offered.add(c.featureId);
        const action = new vscode.CodeAction(`Release the planned claims of feature ${c.featureId}…`, vscode.CodeActionKind.QuickFix);
        action.diagnostics = [shown];
        action.command = { command: 'waves.releasePlannedClaims', title: action.title, arguments: [{ featureId: c.featureId, folder: folder.uri.toString() }] };
        actions.push(action);
      }
    }
    return actions;
  }
}

const COORDINATOR_SOURCE = 'waves coordinator';

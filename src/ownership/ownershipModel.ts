import * as path from 'path';
import * as vscode from 'vscode';
import type { Located } from '../core/plan/model';
import { OwnerIndex, type IndexedPackage, type ScopeKind } from '../core/ownership/ownership';
import { isLiveLock } from '../core/run/lockTable';
import type { PlannedFeature, RegisteredRun } from '../core/coordinator/sharedCoordinator';
import type { WorkerSeen } from '../core/present/workerText';
import { LockIndex, folderStates, pathFacts, pathState, type FileLock, type PathFacts, type PathState } from '../core/ownership/ownershipState';
import { isActive, type PackageStatus, type RunState } from '../core/run/runState';
import { Throttle } from '../core/util/throttle';
import type { PlanEntry, PlanRegistry } from '../plan/planRegistry';
import type { RunWatch } from '../run/run/runWatch';
import { Disposable, KeyedDebouncer } from '../util/lifecycle';

/** At most this many files of a folder are read to give folders a state and list owned files. */
export const MAX_FILES = 100_000;
const NEVER_LISTED = '{**/node_modules/**,**/.git/**,**/.waves/**,**/*.worktrees/**,**/.worktrees/**}';
/** Run-driven redraws of the decorations, at most this often: 200 status changes a second must not redraw every decoration 200 times. */
const RUN_FOLLOW_MS = 100;
/** How many entries of a folder created during a run are looked at for unowned writes. */
const UNOWNED_SCAN = 1000;
/** Paths a run writes itself, or that no plan owns by design: never "unowned writes". */
const NOT_WORK = /(^|\/)(\.git|\.waves|node_modules)(\/|$)/;

/** Everything known about one file or folder, for the commands and the hover. */
export interface OwnershipReport {
  readonly relativePath: string;
  readonly state: PathState | undefined;
  readonly facts: PathFacts;
  readonly owners: readonly IndexedPackage[];
  readonly readers: readonly IndexedPackage[];
  readonly deniedTo: readonly IndexedPackage[];
  readonly entry: PlanEntry;
  /** The first glob of a package's list that covers the path (its line in the plan). */
  globOf(slot: number, kind: ScopeKind): Located<string> | undefined;
}

/**
 * The ownership of the workspace's paths under the active plan: its owner index (rebuilt
 * when the plan is re-analysed), the active feature's run statuses and the repository's live
 * file locks (from `RunWatch`), the workspace's real files (bounded, followed on disk) for
 * folders and per-package lists, and the files written during a run that no package owns.
 * Paths are relative to the plan's repository (where its scopes, the engine's audit and its locks
 * start: `RunWatch.repositoryOf`), else to the workspace folder that holds the plan.
 */
export class OwnershipModel extends Disposable {
  private entry: PlanEntry | undefined;
  private folder: vscode.WorkspaceFolder | undefined;
  /** Where the plan's paths start: its repository, else its workspace folder. */
  private root: vscode.Uri | undefined;
  private index: OwnerIndex | undefined;
  private statuses = new Map<string, PackageStatus>();
  private run: RunState | undefined;
  private locks = new LockIndex([], new Date());
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  private files: string[] = [];
  private filesComplete = false;
  private readonly fileStates = new Map<string, PathState | null>();
  private folders = new Map<string, PathState | null>();
  private ownedFiles: string[][] = [];
  private readonly unowned = new Map<string, string>();
  private unownedRunId: string | undefined;
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  /** Any answer may have changed (plan, run, locks, files). */
  readonly onDidChange = this.changed.event;
  private readonly debounced: KeyedDebouncer<'files' | 'states'>;
  /** Run changes redraw at most every RUN_FOLLOW_MS (a lone change at once). */
  private readonly runFollow = this.register(new Throttle(RUN_FOLLOW_MS, () => this.followRun()));
  private readonly formatTime = (iso: string) =>
    new Date(iso).toLocaleTimeString(vscode.env.language || undefined, { hour: '2-digit', minute: '2-digit' });
  /** Resolves after the first file listing. */
  ready: Promise<void> = Promise.resolve();

  constructor(
    private readonly registry: PlanRegistry,
    private readonly runs: RunWatch,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.debounced = this.register(
      new KeyedDebouncer(200, (what) => {
        if (what === 'files') void this.listFiles();
        else this.recompute();
      }),
    );
    this.register(registry.onDidChange(() => this.followPlan()));
    this.register(runs.onDidChangeRuns(() => this.runFollow.schedule()));
    this.register(runs.onDidChangeLocks(() => this.followLocks()));
    const watcher = this.register(vscode.workspace.createFileSystemWatcher('**/*'));
    this.register(watcher.onDidCreate((uri) => this.onDiskEvent(uri, true)));
    this.register(watcher.onDidDelete((uri) => this.onDiskEvent(uri, true)));
    this.register(watcher.onDidChange((uri) => this.onDiskEvent(uri, false)));
    this.register({ dispose: () => clearTimeout(this.expiryTimer) });
    this.ready = Promise.all([registry.ready, runs.ready]).then(() => {
      this.followRun(false);
      this.followLocks(false);
      return this.followPlan(true);
    });
  }

  get plan(): PlanEntry | undefined {
    return this.entry;
  }

  get ownerIndex(): OwnerIndex | undefined {
    return this.index;
  }

  get runState(): RunState | undefined {
    return this.run;
  }

  /** The path of a URI relative to the plan's repository (or workspace folder), or undefined outside it. */
  relative(uri: vscode.Uri): string | undefined {
    return this.root && relativeTo(this.root, uri);
  }

  uriOf(relativePath: string): vscode.Uri | undefined {
    return this.root && vscode.Uri.joinPath(this.root, ...relativePath.split('/'));
  }

  /** The decoration state of a file or folder: a listed folder shares its files' state or has none. */
  stateOf(uri: vscode.Uri): PathState | undefined {
    const rel = this.relative(uri);
    if (rel === undefined || !this.index) return undefined;
    const folder = this.folders.get(rel);
    if (folder !== undefined) return folder ?? undefined;
    return this.stateOfPath(rel);
  }

  private stateOfPath(rel: string): PathState | undefined {
    let s = this.fileStates.get(rel);
    if (s === undefined) {
      s = this.computeState(rel) ?? null;
      this.fileStates.set(rel, s);
    }
    return s ?? undefined;
  }

  private computeState(rel: string): PathState | undefined {
    if (!this.index) return undefined;
    const facts = pathFacts(this.index, this.index.lookup(rel), (id) => this.statuses.get(id), this.locks.covering(rel));
    return pathState(facts, { featureId: this.entry?.analysis.plan.feature?.id, formatTime: this.formatTime });
  }

  /** Everything about one path (for "Who Owns This File?" and the hover). */
  report(uri: vscode.Uri): OwnershipReport | undefined {
    const rel = this.relative(uri);
    if (rel === undefined || !this.index || !this.entry) return undefined;
    const index = this.index;
    const o = index.lookup(rel);
    const slots = (list: readonly number[]) => list.map((s) => index.packages[s]);
    return {
      relativePath: rel,
      state: this.stateOf(uri),
      facts: pathFacts(index, o, (id) => this.statuses.get(id), this.locks.covering(rel)),
      owners: slots(o.owners),
      readers: slots(index.readers(rel)),
      deniedTo: slots(o.deniedTo),
      entry: this.entry,
      globOf: (slot, kind) => index.matchingGlob(slot, kind, rel),
    };
  }

  /** The workspace's files (listed, bounded) that a package writes, reads or is denied. */
  filesOf(packageId: string, kind: ScopeKind): { files: string[]; complete: boolean } {
    const p = this.index?.packageOf(packageId);
    if (!p) return { files: [], complete: this.filesComplete };
    if (kind === 'write') return { files: this.ownedFiles[p.slot] ?? [], complete: this.filesComplete };
    const index = this.index!;
    const files =
      kind === 'read'
        ? this.files.filter((f) => index.readers(f).includes(p.slot))
        : this.files.filter((f) => index.deniers(f).includes(p.slot));
    return { files, complete: this.filesComplete };
  }

  /** Live file locks held by a package of the active feature. */
  locksOf(packageId: string): FileLock[] {
    const feature = this.entry?.analysis.plan.feature?.id;
    return this.runs
      .lockTable(this.root ?? this.folder)
      .locks.filter((l) => l.kind === 'file' && l.holder === packageId && (feature === undefined || l.featureId === feature) && isLiveLock(l, new Date()));
  }

  /** Other drivers' live runs of the repository (a shared coordinator's registry; none without one). */
  foreignRuns(): RegisteredRun[] {
    return this.runs.foreignRuns(this.folder);
  }

  /** Other features' approved plans' planned claims in the repository, by feature (the active plan's own left out). */
  plannedFeatures(): PlannedFeature[] {
    const mine = this.entry?.analysis.plan.feature?.id;
    return this.runs.plannedFeatures(this.folder).filter((f) => f.featureId !== mine);
  }

  /** The pull workers of the repository (a shared coordinator's; none without one). */
  workers(): WorkerSeen[] {
    return this.runs.workers(this.folder);
  }

  /** Why the shared coordinator cannot be read now (its password hidden), or null. */
  coordinatorProblem(): string | null {
    return this.runs.coordinatorProblem(this.folder);
  }

  /** Files changed in the workspace during the current run that no package owns, sorted. */
  unownedWrites(): { path: string; change: string }[] {
    return [...this.unowned].map(([p, change]) => ({ path: p, change })).sort((a, b) => a.path.localeCompare(b.path));
  }

  get statusOf(): ReadonlyMap<string, PackageStatus> {
    return this.statuses;
  }

  // -------------------------------------------------------------------------------------

  private followPlan(force = false): Promise<void> {
    // A task list of another tool declares no write scope: nothing to own until it is converted.
    const entry = this.registry.active?.foreign ? undefined : this.registry.active;
    if (!force && entry === this.entry) return Promise.resolve();
    const analysisChanged = entry?.analysis !== this.entry?.analysis;
    this.entry = entry;
    this.folder = entry && vscode.workspace.getWorkspaceFolder(entry.uri);
    const folderChanged = this.followRoot();
    if (analysisChanged || force) {
      const started = Date.now();
      this.index = entry ? new OwnerIndex(entry.analysis) : undefined;
      const ms = Date.now() - started;
      if (ms > 50) this.log.warn(`[ownership] indexing ${entry?.label} took ${ms} ms`);
      this.followRun(false);
    }
    if (folderChanged || force) {
      this.followLocks(false);
      return this.relist();
    }
    this.recompute();
    return Promise.resolve();
  }

  /**
   * Takes the plan's root from the run watch (which learns a plan's repository when the plan
   * appears); true when it changed.
   */
  private followRoot(): boolean {
    const root = this.entry && this.runs.repositoryOf(this.entry.uri);
    if (root?.toString() === this.root?.toString()) return false;
    this.root = root;
    return true;
  }

  private followRun(fire = true): void {
    // The plan's repository is known to the run watch a moment after the plan: follow it.
    if (fire && this.followRoot()) {
      this.followLocks(false);
      void this.relist();
    }
    const feature = this.entry?.analysis.plan.feature?.id;
    const run = feature !== undefined && this.entry ? this.runs.stateFor(feature, this.entry.uri) : undefined;
    this.run = run;
    const before = this.statuses;
    this.statuses = new Map(Object.values(run?.packages ?? {}).map((r) => [r.packageId, r.status]));
    // Decorations show statuses only: a run change that moved none of them redraws nothing.
    const same = before.size === this.statuses.size && [...this.statuses].every(([id, status]) => before.get(id) === status);
    if (run && run.runId !== this.unownedRunId) {
      this.unownedRunId = run.runId;
      this.unowned.clear();
    }
    if (fire && !same) this.recompute();
  }

  private followLocks(fire = true): void {
    clearTimeout(this.expiryTimer);
    const now = new Date();
    this.locks = new LockIndex(this.runs.lockTable(this.root ?? this.folder).locks, now);
    if (this.locks.nextExpiry !== undefined) {
      // The answer changes by itself when a lock expires: look again then.
      const wait = Math.min(Math.max(this.locks.nextExpiry - now.getTime() + 50, 50), 2 ** 31 - 1);
      this.expiryTimer = setTimeout(() => this.followLocks(), wait);
    }
    if (fire) this.recompute();
  }

  private runIsActive(): boolean {
    return Object.values(this.run?.packages ?? {}).some((r) => isActive(r.status));
  }

  private onDiskEvent(uri: vscode.Uri, created: boolean): void {
    const rel = this.relative(uri);
    if (rel === undefined || NOT_WORK.test(rel)) return;
    if (this.index && this.runIsActive() && this.index.lookup(rel).owners.length === 0 && !this.unowned.has(rel)) {
      void this.noteUnowned(uri, rel, created);
    }
    if (created) this.debounced.schedule('files');
  }

  /**
   * Records a file changed during the run that no package owns. A folder created during the run
   * is looked into: the files written in it before its own watch began send no event of their
   * own (`mkdir -p x && write x/y` arrives as "x created").
   */
  private async noteUnowned(uri: vscode.Uri, rel: string, createdOrDeleted: boolean): Promise<void> {
    const stat = await Promise.resolve(vscode.workspace.fs.stat(uri)).catch(() => undefined);
    let change: string;
    if (stat) {
      if (stat.type & vscode.FileType.Directory) {
        if (createdOrDeleted) await this.noteUnownedIn(uri, rel);
        return;
      }
      change = createdOrDeleted ? 'created' : 'changed';
    } else {
      if (!this.files.includes(rel)) return; // a folder, or a file never listed
      change = 'deleted';
    }
    if (this.isDisposed || this.unowned.has(rel)) return;
    this.unowned.set(rel, change);
    this.debounced.schedule('states');
  }

  /** The files under a folder created during the run (at most `UNOWNED_SCAN` entries), each noted as created when no package owns it. */
  private async noteUnownedIn(folder: vscode.Uri, rel: string): Promise<void> {
    const queue: [vscode.Uri, string][] = [[folder, rel]];
    let seen = 0;
    while (queue.length && seen < UNOWNED_SCAN && !this.isDisposed) {
      const [dir, dirRel] = queue.shift()!;
      const entries = await Promise.resolve(vscode.workspace.fs.readDirectory(dir)).catch(() => [] as [string, vscode.FileType][]);
      for (const [name, type] of entries) {
        if (++seen > UNOWNED_SCAN) break;
        const childRel = `${dirRel}/${name}`;
        if (NOT_WORK.test(childRel) || !this.index || this.unowned.has(childRel)) continue;
        if (type & vscode.FileType.Directory) queue.push([vscode.Uri.joinPath(dir, name), childRel]);
        else if (this.index.lookup(childRel).owners.length === 0) {
          this.unowned.set(childRel, 'created');
          this.debounced.schedule('states');
        }
      }
    }
  }

  /** The root changed: the files listed under the old one are no answer meanwhile. */
  private relist(): Promise<void> {
    this.files = [];
    this.filesComplete = false;
    this.recompute();
    return this.listFiles();
  }

  private async listFiles(): Promise<void> {
    const root = this.root;
    let files: string[] = [];
    // What the workspace shows of the plan's repository: the repository (in the folder), or the folder (in a larger repository).
    const base = root && this.folder && relativeTo(root, this.folder.uri) !== undefined ? this.folder.uri : root;
    if (base) {
      try {
        const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(base, '**/*'), NEVER_LISTED, MAX_FILES + 1);
        files = uris.map((u) => this.relative(u)).filter((r): r is string => r !== undefined);
      } catch (err) {
        this.log.error('[ownership] could not list the workspace files', err);
      }
    }
    if (this.isDisposed || root !== this.root) return;
    this.filesComplete = files.length <= MAX_FILES;
    if (!this.filesComplete) {
      files = files.slice(0, MAX_FILES);
      this.log.info(`[ownership] more than ${MAX_FILES} files: folders get no ownership state, package file lists are partial`);
    }
    this.files = files.sort();
    this.recompute();
  }

  /** Drops every cached answer, recomputes folders and per-package lists, and tells the views. */
  private recompute(): void {
    this.fileStates.clear();
    const owned: string[][] = [];
    if (this.index) {
      for (const f of this.files) for (const slot of this.index.lookup(f).owners) (owned[slot] ??= []).push(f);
    }
    this.ownedFiles = owned;
    this.folders = this.index && this.filesComplete ? folderStates(this.files, (f) => this.stateOfPath(f)) : new Map();
    this.changed.fire();
  }
}

/** `uri`'s path below `root` (`a/b.ts`), or undefined when it is not below it (or is it). */
function relativeTo(root: vscode.Uri, uri: vscode.Uri): string | undefined {
  if (uri.scheme !== root.scheme || uri.authority !== root.authority) return undefined;
  const rel = path.posix.relative(root.path, uri.path);
  return rel === '' || rel.startsWith('..') || path.posix.isAbsolute(rel) ? undefined : rel;
}

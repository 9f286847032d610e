import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DirWatch } from '../../store/dirWatch';
import { workTreeOf } from '../../util/workTree';
import { emptyLockTable, parseLockTable, type LockTable } from '../../core/run/lockTable';
import { CoalescedReader } from '../../core/util/coalescedReader';
import { affectsRunFollowers, LOCK_TABLE_NAME, runStateFileName, WAVES_FOLDER } from '../../core/run/runPaths';
import type { RunState } from '../../core/run/runState';
import { Disposable } from '../../util/lifecycle';
import { plannedFeatures, type PlannedFeature, type RegisteredRun } from '../../core/coordinator/sharedCoordinator';
import type { SharedRuns } from '../coordinator/sharedRuns';
import type { WorkerSeen } from '../../core/present/workerText';

/** Folders that are not local: after `.waves/` (or its `runs/`) is created, read again this long after. */
const FOLDER_FOLLOW_UP_MS = [1000, 5000];
/** A local folder's `.waves/` is also compared by stat this often: the most a change missed by every watcher waits. */
const FOLLOW_POLL_MS = 1000;

/** A run state found on disk: `<repo>/.waves/runs/<name>.json`. */
export interface WatchedRun {
  /** The workspace folder it belongs to. */
  readonly folder: vscode.WorkspaceFolder;
  /** The folder whose `.waves/` holds it: the workspace folder, or the repository of a plan in it (nested in it, or around it). */
  readonly repo: vscode.Uri;
  readonly file: vscode.Uri;
  readonly state: RunState;
}

/** The plans whose repositories are followed too (the plan registry). */
export interface PlanFiles {
  readonly plans: readonly { readonly uri: vscode.Uri }[];
  readonly onDidChange: vscode.Event<void>;
  readonly ready: Promise<void>;
}

/** A folder whose `.waves/` is followed, and the workspace folder it belongs to. */
interface Root {
  readonly key: string;
  readonly folder: vscode.WorkspaceFolder;
  readonly uri: vscode.Uri;
}

/**
 * Follows, read-only, what the run engine writes under each workspace folder — and under the
 * repository of each plan in it when that is not the folder itself (a repository nested in the
 * folder, or one the folder is part of; found on disk, `util/workTree.ts` `workTreeOf`): every
 * run state (`.waves/runs/*.json`) and the repository's lock table (`.waves/locks.json`).
 * Each such folder has one `CoalescedReader`: any event under `.waves/` — from VS Code's watcher,
 * and for a local folder also from Node's `fs.watch` (`store/dirWatch.ts`) on the folder
 * itself (`.waves/` appearing), on `.waves/` and on `.waves/runs/`, about 200 ms sooner, which
 * names the entry, so temp files and leases are passed over (`affectsRunFollowers`) — reads
 * the run states and the lock table together (the engine writes both together): at once after
 * a quiet spell, then at most every `delayMs` (20) even under constant events; reads of a
 * folder never overlap, so an older read never replaces a newer state. Before each read the
 * local watches are (re-)armed, so whatever changes after it is reported; a stat poll every
 * second catches what every watcher missed (VS Code's watcher does not promise
 * events for a folder created with files in it, and the state then never showed).
 * Local folders are read with Node's `fs` (a few milliseconds less than `workspace.fs`). A
 * file that cannot be used is logged and left alone (the engine that owns it reports and
 * heals it); while it is unusable its last good state stays. Nothing here writes.
 *
 * Consumers: ownership decorations, the DAG panel, the run view.
 */
export class RunWatch extends Disposable {
  /** The folders followed: each workspace folder, then the plans' repositories that are not one. */
  private roots: Root[] = [];
  /** Each plan's repository (its root's key), for the plans in a local folder. */
  private planRoots = new Map<string, string>();
  private plansSeen = '';
  private readonly runs = new Map<string, WatchedRun[]>();
  private readonly locks = new Map<string, LockTable>();
  private readonly runsChanged = this.register(new vscode.EventEmitter<void>());
  private readonly locksChanged = this.register(new vscode.EventEmitter<void>());
  /** Some run state appeared, changed or disappeared. */
  readonly onDidChangeRuns = this.runsChanged.event;
  /** A lock table changed. */
  readonly onDidChangeLocks = this.locksChanged.event;
  /** Per folder: its reader, and one disposable for it and its watchers. */
  private readonly watchers = new Map<string, { reader: CoalescedReader; disposable: vscode.Disposable }>();
  /** The text each file was last read with: an event that changed nothing fires nothing. */
  private readonly lastText = new Map<string, string>();
  /** Resolves when every folder has been read once (and, with `plans`, once they are known, their repositories). */
  readonly ready: Promise<void>;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly delayMs = 20,
    private readonly plans?: PlanFiles,
  ) {
    super();
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => void this.followRoots(true)));
    this.register({ dispose: () => this.watchers.forEach((w) => w.disposable.dispose()) });
    if (plans) this.register(plans.onDidChange(() => void this.followRoots()));
    this.ready = Promise.all([this.followRoots(true), plans?.ready.then(() => this.followRoots())]).then(() => undefined);
  }

  /** Every run state found, in folder order (each folder's plans' repositories after it), then by file name. */
  states(): readonly WatchedRun[] {
    return this.roots.flatMap((r) => this.runs.get(r.key) ?? []);
  }

  /**
   * The run state of a feature: of the plan file `where`'s repository, or in the workspace folder
   * `where` (its own `.waves/` first, then its plans' repositories), else the first found.
   */
  stateFor(featureId: string, where?: vscode.WorkspaceFolder | vscode.Uri): RunState | undefined {
    let all: readonly WatchedRun[];
    if (where instanceof vscode.Uri) {
      const key = this.repositoryOf(where)?.toString();
      all = key !== undefined ? (this.runs.get(key) ?? []) : [];
    } else {
      all = where ? this.roots.filter((r) => r.folder.uri.toString() === where.uri.toString()).flatMap((r) => this.runs.get(r.key) ?? []) : this.states();
    }
    return all.find((r) => r.state.featureId === featureId)?.state;
  }

  /**
   * The folder whose `.waves/` holds the runs of the plan file `plan`: its repository (as followed
   * here), else its workspace folder; undefined outside the workspace. What the views read and
   * the run commands act on agree through this one answer.
   */
  repositoryOf(plan: vscode.Uri): vscode.Uri | undefined {
    const key = this.planRoots.get(plan.toString());
    return (key !== undefined ? this.rootOf(key)?.uri : undefined) ?? vscode.workspace.getWorkspaceFolder(plan)?.uri;
  }

  /**
   * The lock table of a folder's repository, or of a repository a plan lives in (`repositoryOf`;
   * of the first folder by default); empty when none. With a shared coordinator, its file locks
   * are added (this clone's runs take theirs there), other drivers' with their `owner` (who and
   * where: `OwnedLock`), and their running packages' write scopes.
   */
  lockTable(where?: vscode.WorkspaceFolder | vscode.Uri): LockTable {
    const at = where instanceof vscode.Uri ? where : (where ?? vscode.workspace.workspaceFolders?.[0])?.uri;
    // A shared coordinator's view is of a workspace folder's repository: it counts for a repository
    // that holds the folder (or is it), not for one nested in the folder.
    const folderOf = (repo: vscode.Uri) => {
      const folder = this.rootOf(repo.toString())?.folder ?? vscode.workspace.getWorkspaceFolder(repo);
      const rel = folder && folder.uri.scheme === repo.scheme ? path.posix.relative(repo.path, folder.uri.path) : '..';
      return rel.startsWith('..') || path.posix.isAbsolute(rel) ? undefined : folder;
    };
    const f = where instanceof vscode.Uri ? folderOf(where) : (where ?? vscode.workspace.workspaceFolders?.[0]);
    const local = (at && this.locks.get(at.toString())) || emptyLockTable();
    const foreign = this.shared?.foreignLocks(f) ?? [];
    return foreign.length === 0 ? local : { ...local, locks: [...local.locks, ...foreign] };
  }

  /** Other drivers' live runs in the folder's repository (a shared coordinator's registry; none without one). */
  foreignRuns(folder?: vscode.WorkspaceFolder): RegisteredRun[] {
    return this.shared?.foreignRuns(folder ?? vscode.workspace.workspaceFolders?.[0]) ?? [];
  }

  /** Approved plans' planned claims in the folder's repository, by feature (a shared coordinator's; none without one). */
  plannedFeatures(folder?: vscode.WorkspaceFolder): PlannedFeature[] {
    return plannedFeatures(this.shared?.plannedClaims(folder ?? vscode.workspace.workspaceFolders?.[0]) ?? []);
  }

  /** The pull workers of the folder's repository (a shared coordinator's; none without one). */
  workers(folder?: vscode.WorkspaceFolder): WorkerSeen[] {
    return this.shared?.workers(folder ?? vscode.workspace.workspaceFolders?.[0]) ?? [];
  }

  /** Why the shared coordinator cannot be read now, or null. */
  coordinatorProblem(folder?: vscode.WorkspaceFolder): string | null {
    return this.shared?.problem(folder ?? vscode.workspace.workspaceFolders?.[0]) ?? null;
  }

  private shared: SharedRuns | undefined;

  /** Follows a shared coordinator's view of other drivers too (`SharedRuns`): its changes are lock changes. */
  followShared(shared: SharedRuns): void {
    this.shared = shared;
    this.register(shared.onDidChange(() => this.locksChanged.fire()));
  }

  /**
   * Reads everything again (and fires what changed); resolves once each folder was read by a
   * read that started after the call — the copy is then at least as new as the files were.
   */
  async refresh(): Promise<void> {
    await this.ready;
    await Promise.all([...this.watchers.values()].map((w) => w.reader.now()));
  }

  /**
   * The folders to follow: the workspace folders, and the repositories of the plans in local
   * ones that are not a workspace folder (looked up again when the set of plans or of folders
   * changed: `foldersChanged`).
   */
  private wantedRoots(foldersChanged: boolean): Root[] | undefined {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const plans = (this.plans?.plans ?? []).filter((p) => p.uri.scheme === 'file').map((p) => p.uri);
    const seen = plans.map((u) => u.toString()).join('\n');
    if (!foldersChanged && seen === this.plansSeen) return undefined;
    this.plansSeen = seen;
    const roots: Root[] = folders.map((folder) => ({ key: folder.uri.toString(), folder, uri: folder.uri }));
    const planRoots = new Map<string, string>();
    const treeOfDir = new Map<string, string | null>();
    for (const plan of plans) {
      const folder = vscode.workspace.getWorkspaceFolder(plan);
      const dir = path.dirname(plan.fsPath);
      if (!treeOfDir.has(dir)) treeOfDir.set(dir, workTreeOf(dir)?.root ?? null);
      const tree = treeOfDir.get(dir);
      if (!folder || !tree) continue;
      const uri = vscode.Uri.file(tree);
      const key = uri.toString();
      planRoots.set(plan.toString(), key);
      if (!roots.some((r) => r.key === key)) roots.push({ key, folder, uri });
    }
    this.planRoots = planRoots;
    // Each folder's own `.waves/` first, then its plans' repositories.
    return roots.sort((a, b) => a.folder.index - b.folder.index);
  }

  private async followRoots(foldersChanged = false): Promise<void> {
    const roots = this.wantedRoots(foldersChanged);
    if (!roots) return;
    this.roots = roots;
    const keys = new Set(roots.map((r) => r.key));
    for (const [key, watcher] of [...this.watchers]) {
      if (keys.has(key)) continue;
      watcher.disposable.dispose();
      this.watchers.delete(key);
      if (this.runs.delete(key)) this.runsChanged.fire();
      if (this.locks.delete(key)) this.locksChanged.fire();
    }
    for (const root of roots) {
      const key = root.key;
      if (this.watchers.has(key)) continue;
      const runs = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(root.uri, '.waves/runs/*.json'));
      const locks = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(root.uri, '.waves/locks.json'));
      // The folder itself may be created or deleted as a whole (no event for the files in it).
      const wavesDir = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(root.uri, '{.waves,.waves/runs}'));
      // Local folders: Node's fs.watch on the folder itself (for `.waves/` appearing), on
      // `.waves/` and on `.waves/runs/` reports within milliseconds, where VS Code's watcher
      // hands changes over about 200 ms later and can miss a file written into a folder just
      // created; a stat poll bounds what both miss (FOLLOW_POLL_MS). They only wake the reader.
      let dirWatch: DirWatch | undefined;
      const reader = new CoalescedReader(
        async () => {
          dirWatch?.arm(); // before reading: whatever changes after this is reported
          await this.readRuns(key);
          await this.readLocks(key);
        },
        this.delayMs,
        (err) => this.log.warn(`[runs] reading ${vscode.workspace.asRelativePath(root.uri)}/.waves failed: ${String(err)}`),
      );
      const changed = () => reader.schedule();
      if (root.uri.scheme === 'file') {
        const dir = root.uri.fsPath;
        const waves = path.join(dir, WAVES_FOLDER);
        const runsDir = path.join(waves, 'runs');
        dirWatch = new DirWatch(
          [dir, waves, runsDir],
          (at, name) => {
            if (at === dir ? name === null || name === WAVES_FOLDER : affectsRunFollowers(at === runsDir, name)) changed();
          },
          {
            pollMs: FOLLOW_POLL_MS,
            probe: () => [waves, runsDir, path.join(waves, LOCK_TABLE_NAME), ...(this.runs.get(key) ?? []).map((r) => r.file.fsPath)],
          },
        );
      }
      // Other folders (no fs.watch, no poll): VS Code's watcher may miss a file written into a
      // folder just created (before its watch is set up): after `.waves/` or `.waves/runs/`
      // appears, read again a little later.
      const followUps = new Set<ReturnType<typeof setTimeout>>();
      const created = () => {
        changed();
        if (dirWatch) return;
        for (const ms of FOLDER_FOLLOW_UP_MS) {
          const t = setTimeout(() => (followUps.delete(t), changed()), ms);
          followUps.add(t);
        }
      };
      const disposable = vscode.Disposable.from(
        reader,
        runs,
        locks,
        wavesDir,
        ...[runs, locks].flatMap((w) => [w.onDidCreate(changed), w.onDidChange(changed), w.onDidDelete(changed)]),
        wavesDir.onDidCreate(created),
        wavesDir.onDidDelete(changed),
        { dispose: () => followUps.forEach(clearTimeout) },
        { dispose: () => dirWatch?.dispose() },
      );
      this.watchers.set(key, { reader, disposable });
      await reader.now();
    }
  }

  private rootOf(key: string): Root | undefined {
    return this.roots.find((r) => r.key === key);
  }

  private async readRuns(key: string): Promise<void> {
    const root = this.rootOf(key);
    if (!root || this.isDisposed) return;
    const dir = vscode.Uri.joinPath(root.uri, '.waves', 'runs');
    const names = await jsonFilesIn(dir);
    const found: WatchedRun[] = [];
    let changed = false;
    for (const name of names) {
      const file = vscode.Uri.joinPath(dir, name);
      const text = await readText(file);
      if (text === undefined) continue;
      const previous = this.runs.get(key)?.find((r) => r.file.toString() === file.toString());
      if (previous && this.lastText.get(file.toString()) === text) {
        found.push(previous);
        continue;
      }
      this.lastText.set(file.toString(), text);
      const state = parseRunState(text, name);
      if (typeof state === 'string') {
        // Caught mid-write (a writer that does not rename) or broken: the last good state of
        // this file stays shown until the file changes; a run never vanishes for a moment.
        this.log.warn(`[runs] ${vscode.workspace.asRelativePath(file)}: ${state}; ${previous ? 'its last good state stays' : 'ignored'} until it changes`);
        if (previous) found.push(previous);
        continue;
      }
      changed = true;
      found.push({ folder: root.folder, repo: root.uri, file, state });
    }
    const before = this.runs.get(key) ?? [];
    if (before.length !== found.length || before.some((r, i) => r !== found[i])) changed = true;
    if (this.isDisposed || !changed) return;
    this.runs.set(key, found);
    this.runsChanged.fire();
  }

  private async readLocks(key: string): Promise<void> {
    const root = this.rootOf(key);
    if (!root || this.isDisposed) return;
    const file = vscode.Uri.joinPath(root.uri, '.waves', 'locks.json');
    const text = (await readText(file)) ?? '';
    if (this.isDisposed || (this.locks.has(key) && this.lastText.get(file.toString()) === text)) return;
    this.lastText.set(file.toString(), text);
    let table = emptyLockTable();
    if (text !== '') {
      const parsed = parseLockTable(text);
      for (const problem of parsed.problems) this.log.warn(`[locks] ${vscode.workspace.asRelativePath(file)}: ${problem}`);
      table = parsed.table;
    }
    this.locks.set(key, table);
    this.locksChanged.fire();
  }
}

/** The `*.json` files of a folder, sorted; none when it does not exist. */
async function jsonFilesIn(dir: vscode.Uri): Promise<string[]> {
  try {
    const files =
      dir.scheme === 'file'
        ? (await fsp.readdir(dir.fsPath, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name)
        : (await vscode.workspace.fs.readDirectory(dir)).filter(([, type]) => type === vscode.FileType.File).map(([name]) => name);
    return files.filter((name) => name.endsWith('.json')).sort();
  } catch {
    return []; // no runs folder: no runs
  }
}

async function readText(uri: vscode.Uri): Promise<string | undefined> {
  try {
    // TextDecoder drops a byte-order mark, as `workspace.fs` readers do.
    const bytes = uri.scheme === 'file' ? await fsp.readFile(uri.fsPath) : await vscode.workspace.fs.readFile(uri);
    return new TextDecoder('utf-8').decode(bytes);
  } catch {
    return undefined; // gone, or not readable: as if absent
  }
}

/** A run state, or why the text is not one: the schema and invariants, and the feature it names being the one `name` is the file of. */
function parseRunState(text: string, name: string): RunState | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
  // The run state's check (its generated validator: dist/runStateCheck.js, loaded here with the first run state read, ADR 0029).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded here, on first use
  const { validateRunState } = require('../../core/run/runStateValidation') as typeof import('../../core/run/runStateValidation');
  const checked = validateRunState(raw);
  if (!checked.ok) return `not a usable run state (${checked.code}: ${checked.detail})`;
  const own = runStateFileName(checked.state.featureId);
  return own === name ? checked.state : `not a usable run state (wrong-feature: it names feature "${checked.state.featureId}", whose run state is ${own})`;
}

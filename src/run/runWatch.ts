import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { emptyLockTable, parseLockTable, type LockTable } from '../core/lockTable';
import type { RunState } from '../core/runState';
import { validateRunState } from '../core/runStore';
import { Disposable, KeyedDebouncer } from '../util/lifecycle';

/** A run state found on disk: `<folder>/.waves/runs/<name>.json`. */
export interface WatchedRun {
  readonly folder: vscode.WorkspaceFolder;
  readonly file: vscode.Uri;
  readonly state: RunState;
}

/**
 * Follows, read-only, what the run engine writes under each workspace folder: every run
 * state (`.waves/runs/*.json`) and the repository's lock table (`.waves/locks.json`).
 * File-system events are debounced per folder; a file that cannot be used is logged and
 * left alone (the engine that owns it reports and heals it). Nothing here writes.
 *
 * Two sources of events: VS Code's file watcher (every kind of folder), and for local folders
 * a Node `fs.watch` on `.waves/` and `.waves/runs/`, which reports a change in milliseconds
 * where VS Code's watcher coalesces for a few hundred (and was seen to miss a quick rewrite).
 * Reads of one folder never overlap: a change during a read reads again afterwards, so an
 * older read can never replace a newer state.
 *
 * Consumers: ownership decorations, the DAG panel, the run view.
 */
export class RunWatch extends Disposable {
  private readonly runs = new Map<string, WatchedRun[]>();
  private readonly locks = new Map<string, LockTable>();
  private readonly runsChanged = this.register(new vscode.EventEmitter<void>());
  private readonly locksChanged = this.register(new vscode.EventEmitter<void>());
  /** Some run state appeared, changed or disappeared. */
  readonly onDidChangeRuns = this.runsChanged.event;
  /** A lock table changed. */
  readonly onDidChangeLocks = this.locksChanged.event;
  private readonly rereadRuns: KeyedDebouncer<string>;
  private readonly rereadLocks: KeyedDebouncer<string>;
  private readonly watchers = new Map<string, vscode.Disposable>();
  /** Node watchers of local folders, by `<folder key>\0<dir>`. */
  private readonly nodeWatchers = new Map<string, fs.FSWatcher>();
  /** Reads in progress, and folders changed again while their read ran. */
  private readonly reading = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  /** The text each file was last read with: an event that changed nothing fires nothing. */
  private readonly lastText = new Map<string, string>();
  /** Resolves when every folder has been read once. */
  readonly ready: Promise<void>;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    delayMs = 20,
  ) {
    super();
    this.rereadRuns = this.register(new KeyedDebouncer(delayMs, (key) => void this.serial(`runs\0${key}`, () => this.readRuns(key))));
    this.rereadLocks = this.register(new KeyedDebouncer(delayMs, (key) => void this.serial(`locks\0${key}`, () => this.readLocks(key))));
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => void this.followFolders()));
    this.register({ dispose: () => this.watchers.forEach((w) => w.dispose()) });
    this.register({ dispose: () => this.nodeWatchers.forEach((w) => w.close()) });
    this.ready = this.followFolders();
  }

  /** Every run state found, in folder order then by file name. */
  states(): readonly WatchedRun[] {
    return (vscode.workspace.workspaceFolders ?? []).flatMap((f) => this.runs.get(f.uri.toString()) ?? []);
  }

  /** The run state of a feature (in `folder`, else in the first folder that has one). */
  stateFor(featureId: string, folder?: vscode.WorkspaceFolder): RunState | undefined {
    const all = folder ? (this.runs.get(folder.uri.toString()) ?? []) : this.states();
    return all.find((r) => r.state.featureId === featureId)?.state;
  }

  /** The lock table of a folder's repository (of the first folder by default); empty when none. */
  lockTable(folder?: vscode.WorkspaceFolder): LockTable {
    const f = folder ?? vscode.workspace.workspaceFolders?.[0];
    return (f && this.locks.get(f.uri.toString())) || emptyLockTable();
  }

  /** Reads everything again now (and fires what changed). */
  async refresh(): Promise<void> {
    for (const f of vscode.workspace.workspaceFolders ?? []) {
      // Through `serial`: a read already running started before this call, so one more follows it.
      const key = f.uri.toString();
      await this.serial(`runs\0${key}`, () => this.readRuns(key));
      await this.serial(`locks\0${key}`, () => this.readLocks(key));
    }
  }

  private async followFolders(): Promise<void> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const keys = new Set(folders.map((f) => f.uri.toString()));
    for (const [key, watcher] of [...this.watchers]) {
      if (keys.has(key)) continue;
      watcher.dispose();
      this.watchers.delete(key);
      for (const [id, w] of [...this.nodeWatchers]) {
        if (!id.startsWith(`${key}\0`)) continue;
        w.close();
        this.nodeWatchers.delete(id);
      }
      if (this.runs.delete(key)) this.runsChanged.fire();
      if (this.locks.delete(key)) this.locksChanged.fire();
    }
    for (const folder of folders) {
      const key = folder.uri.toString();
      if (this.watchers.has(key)) continue;
      const runs = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '.waves/runs/*.json'));
      const locks = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '.waves/locks.json'));
      // The folder itself may be created or deleted as a whole (no event for the files in it).
      const wavesDir = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '{.waves,.waves/runs}'));
      const onRuns = () => this.rereadRuns.schedule(key);
      const onLocks = () => this.rereadLocks.schedule(key);
      const onDir = () => {
        this.watchLocal(folder, onRuns, onLocks, onDir);
        onRuns();
        onLocks();
      };
      this.watchLocal(folder, onRuns, onLocks, onDir);
      const subscriptions = [
        runs,
        locks,
        wavesDir,
        runs.onDidCreate(onRuns),
        runs.onDidChange(onRuns),
        runs.onDidDelete(onRuns),
        locks.onDidCreate(onLocks),
        locks.onDidChange(onLocks),
        locks.onDidDelete(onLocks),
        wavesDir.onDidCreate(onDir),
        wavesDir.onDidDelete(onDir),
      ];
      this.watchers.set(key, vscode.Disposable.from(...subscriptions));
      await this.serial(`runs\0${key}`, () => this.readRuns(key));
      await this.serial(`locks\0${key}`, () => this.readLocks(key));
    }
  }

  /** Runs `read` now, or once more after the read in progress for `id` when there is one. */
  private serial(id: string, read: () => Promise<void>): Promise<void> {
    const running = this.reading.get(id);
    if (running) {
      this.again.add(id);
      return running;
    }
    const next = (async () => {
      try {
        do {
          this.again.delete(id);
          await read();
        } while (this.again.has(id) && !this.isDisposed);
      } finally {
        this.reading.delete(id);
      }
    })();
    this.reading.set(id, next);
    return next;
  }

  /**
   * Node watchers on `.waves/` and `.waves/runs/` of a local folder, for the folders that exist
   * (called again when VS Code's watcher sees them created). Any failure leaves VS Code's
   * watcher as the only source.
   */
  private watchLocal(folder: vscode.WorkspaceFolder, onRuns: () => void, onLocks: () => void, onDir: () => void): void {
    if (folder.uri.scheme !== 'file' || this.isDisposed) return;
    const key = folder.uri.toString();
    const wavesDir = path.join(folder.uri.fsPath, '.waves');
    const arm = (dir: string, onName: (name: string) => void) => {
      const id = `${key}\0${dir}`;
      if (this.nodeWatchers.has(id)) return;
      try {
        const watcher = fs.watch(dir, (_event, name) => onName(name?.toString() ?? ''));
        watcher.on('error', () => {
          watcher.close();
          this.nodeWatchers.delete(id);
        });
        this.nodeWatchers.set(id, watcher);
      } catch {
        // not there (yet), or not watchable
      }
    };
    arm(wavesDir, (name) => {
      if (name === 'locks.json' || name === '') onLocks();
      if (name === 'runs' || name === '') onDir();
    });
    arm(path.join(wavesDir, 'runs'), (name) => {
      if (name === '' || /\.json$/.test(name)) onRuns();
    });
  }

  private folderOf(key: string): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.workspaceFolders?.find((f) => f.uri.toString() === key);
  }

  private async readRuns(key: string): Promise<void> {
    const folder = this.folderOf(key);
    if (!folder || this.isDisposed) return;
    const dir = vscode.Uri.joinPath(folder.uri, '.waves', 'runs');
    let names: string[] = [];
    try {
      names = (await vscode.workspace.fs.readDirectory(dir))
        .filter(([name, type]) => type === vscode.FileType.File && name.endsWith('.json'))
        .map(([name]) => name)
        .sort();
    } catch {
      // no runs folder: no runs
    }
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
      changed = true;
      this.lastText.set(file.toString(), text);
      const state = parseRunState(text);
      if (typeof state === 'string') {
        this.log.warn(`[runs] ${vscode.workspace.asRelativePath(file)}: ${state}; ignored until it changes`);
        continue;
      }
      found.push({ folder, file, state });
    }
    const before = this.runs.get(key) ?? [];
    if (before.length !== found.length || before.some((r, i) => r !== found[i])) changed = true;
    if (this.isDisposed || !changed) return;
    this.runs.set(key, found);
    this.runsChanged.fire();
  }

  private async readLocks(key: string): Promise<void> {
    const folder = this.folderOf(key);
    if (!folder || this.isDisposed) return;
    const file = vscode.Uri.joinPath(folder.uri, '.waves', 'locks.json');
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

async function readText(uri: vscode.Uri): Promise<string | undefined> {
  try {
    return new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    return undefined; // gone, or not readable: as if absent
  }
}

/** A run state, or why the text is not one. */
function parseRunState(text: string): RunState | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
  const checked = validateRunState(raw);
  return checked.ok ? checked.state : `not a usable run state (${checked.code}: ${checked.detail})`;
}

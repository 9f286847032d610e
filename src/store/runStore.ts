/**
 * The run-state store: keeps one feature's `RunState` in
 * `<workspaceRoot>/.waves/runs/<file name>.json` and never loses a good state.
 *
 * Node `fs` only, no `vscode`; what a valid state is (`validateRunState`: schema,
 * invariants, format versions) is pure, in `src/core/run/runStateValidation.ts`. The
 * host wires a file watcher to `reload()` and forwards `onDidReportProblem` to the user;
 * see `docs/contracts.md` ("Run-state store").
 *
 * Files, next to each other in `.waves/runs/`:
 *   <name>.json                     the state (pretty JSON, validated on every read)
 *   <name>.json.bak                 the previous good state (rotated on every write)
 *   <name>.json.corrupt-<time>      exact bytes of a file that could not be used
 *   <name>.json.tmp-<pid>-<n>       a write in progress (renamed over its target)
 * and `.waves/history/<name>/<runId>.json`, an earlier run's final state (`startNewRun`).
 *
 * Guarantees:
 * - Writes are atomic: temp file, fsync, rename (atomic on POSIX), fsync of the folder.
 *   Before replacing `<name>.json`, its current content is kept as `<name>.json.bak`
 *   when good, or copied to `.corrupt-<time>` (and reported) when not.
 * - A file the store cannot decode, parse or validate is copied aside and reported
 *   before anything overwrites it; a file it cannot read at all is never overwritten.
 * - A file of a newer format version (> 2) is never copied aside or overwritten: the
 *   store becomes read-only (`readOnly`, problem `newer-version`), `save()` throws
 *   `ReadOnlyRunStateError`. A version no build writes (1 included) is a bad file.
 * - Nothing is written through a link: the folders written into are checked first
 *   (`engineFolder.ts`; a write refused there is reported like any failed write).
 * - Saves are serialised and coalesced: `save()` is synchronous and cheap, one write
 *   at a time reaches the disk, and it always carries the latest state.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeAtomic } from './atomicWrite';
import { checkEngineFolder } from './engineFolder';
import { Emitter, type Disposable, type Event } from '../core/util/events';
import { historyFile, runStateFile } from '../core/run/runPaths';
import { withHistoryOf } from '../core/run/runStateInit';
import type { RunState } from '../core/run/runState';
import { validateRunState } from '../core/run/runStateValidation';
import { relativePosix } from '../util/posixPath';

// ---------------------------------------------------------------------------------------
// File names (owned by runPaths.ts; re-exported for existing imports)

export { RUNS_FOLDER, runStateFile, runStateFileName } from '../core/run/runPaths';

// ---------------------------------------------------------------------------------------
// Problems

export type RunStoreProblemCode =
  /** Not UTF-8 or not JSON (a torn write, garbage bytes). */
  | 'corrupt'
  /** JSON, but not a valid run state (schema or invariants). */
  | 'invalid-state'
  /** A `version` no build writes (not 2 nor above it: 1, 0, a fraction). */
  | 'unsupported-version'
  /** A format version above 2, written by a newer build: read only, never overwritten. */
  | 'newer-version'
  /** A valid run state of another feature (file-name collision or a copied file). */
  | 'wrong-feature'
  /** The file exists but could not be read (permissions, I/O error). */
  | 'unreadable'
  /** A save could not be written; the state stays in memory and the next save retries. */
  | 'write-failed';

// ---------------------------------------------------------------------------------------
// Reading and classifying one file

type Classified =
  | { kind: 'good'; state: RunState }
  | { kind: 'newer'; detail: string; state?: RunState }
  | { kind: 'bad'; code: Exclude<RunStoreProblemCode, 'unreadable' | 'write-failed' | 'newer-version'>; detail: string };

type FileRead = { kind: 'missing' } | { kind: 'unreadable'; detail: string } | { kind: 'bytes'; bytes: Buffer };

const UTF8 = new TextDecoder('utf-8', { fatal: true });

async function readBytes(file: string): Promise<FileRead> {
  try {
    return { kind: 'bytes', bytes: await fs.readFile(file) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'unreadable', detail: (error as Error).message };
  }
}

function classify(bytes: Buffer, featureId: string): Classified {
  let raw: unknown;
  try {
    raw = JSON.parse(UTF8.decode(bytes));
  } catch (error) {
    const detail = error instanceof TypeError ? 'not valid UTF-8' : `not valid JSON (${(error as Error).message})`;
    return { kind: 'bad', code: 'corrupt', detail };
  }
  const result = validateRunState(raw, featureId);
  if (result.ok) return { kind: 'good', state: result.state };
  if (result.code === 'newer-version') return { kind: 'newer', detail: result.detail, ...(result.state ? { state: result.state } : {}) };
  return { kind: 'bad', code: result.code, detail: result.detail };
}

/** What is wrong with a bad file, as the middle of a sentence about it. */
function describeBadFile(found: Extract<Classified, { kind: 'bad' }>): string {
  switch (found.code) {
    case 'corrupt':
      return `is ${found.detail}`;
    case 'wrong-feature':
      return `is not this feature's run state: ${found.detail}`;
    case 'unsupported-version':
      return `has ${found.detail}`;
    case 'invalid-state':
      return `is not a valid run state (${found.detail})`;
  }
}

function serialize(state: RunState): Buffer {
  return Buffer.from(`${JSON.stringify(state, null, 2)}\n`, 'utf8');
}

// ---------------------------------------------------------------------------------------
// The store

/** Thrown by `save()` and `startNewRun()` of a read-only store (the file is of a newer format). */
export class ReadOnlyRunStateError extends Error {
  readonly code = 'newer-version';
  constructor(readonly file: string) {
    super(`The run state ${file} was written by a newer version of Wave Orchestrator; this one only reads it.`);
    this.name = 'ReadOnlyRunStateError';
  }
}

export interface RunStoreProblem {
  code: RunStoreProblemCode;
  /** What happened and what the store did about it, for a person. */
  message: string;
  /** The file that had the problem (absolute). */
  file: string;
  /** Where a copy of its bytes was kept (absolute), when one was made. */
  backupFile?: string;
  /** The parser's, validator's or file system's own words. */
  detail?: string;
}

export interface RunStoreChange {
  state: RunState;
  /** `load`: the first load; `save`: this store's `save()`; `external`: another writer, seen by `reload()`. */
  origin: 'load' | 'save' | 'external';
}

export interface RunStoreLoadResult {
  state: RunState;
  /** `file`: the state file; `backup`: the `.bak` (the file was bad); `initial`: `createInitial()`. */
  source: 'file' | 'backup' | 'initial';
  problems: RunStoreProblem[];
}

export interface RunStoreReloadResult {
  /** Whether the in-memory state was replaced by the file's. */
  changed: boolean;
  state: RunState | undefined;
  problems: RunStoreProblem[];
}

export interface RunStoreArchiveResult {
  /** The new run's state, as saved: `next` with the history of the earlier runs. */
  state: RunState;
  /** Where the earlier run's state was archived (absolute); undefined when there was none on disk. */
  archived?: string;
}

export interface RunStoreOptions {
  workspaceRoot: string;
  featureId: string;
  /** The state to start from when there is no file, or nothing in it can be used. */
  createInitial: () => RunState;
  /** Wait this long after a save before writing, so bursts of saves make one write. Default 25. */
  coalesceMs?: number;
  /** Clock for backup file names. Default `() => new Date()`. */
  now?: () => Date;
}

export class RunStore implements Disposable {
  /** Absolute path of the state file. */
  readonly file: string;
  /** Absolute path of the previous good state. */
  readonly backupFile: string;

  private readonly changeEmitter = new Emitter<RunStoreChange>();
  private readonly problemEmitter = new Emitter<RunStoreProblem>();
  /** Fires when `state` changes: after `load()`, on each `save()`, and when `reload()` adopts another writer's state. */
  readonly onDidChange: Event<RunStoreChange> = this.changeEmitter.event;
  /** Fires once for each problem found, including the ones also returned by `load()`/`reload()`. */
  readonly onDidReportProblem: Event<RunStoreProblem> = this.problemEmitter.event;

  private current: RunState | undefined;
  /** Bumped by every `save()`, so a read that raced with a save can tell. */
  private generation = 0;
  /** The bytes this store last wrote or accepted; the file is known good while it holds them. */
  private diskBytes: Buffer | undefined;
  /** The bytes of each file last copied aside, so the same bad file is not copied twice. */
  private readonly quarantined = new Map<string, Buffer>();
  private newer = false;
  private dirty = false;
  private writer: Promise<void> | undefined;
  private lastWriteError: unknown;
  private disposed = false;

  constructor(private readonly options: RunStoreOptions) {
    this.file = runStateFile(options.workspaceRoot, options.featureId);
    this.backupFile = `${this.file}.bak`;
  }

  /** The current state: the last loaded, saved or reloaded one; undefined before `load()`. */
  get state(): RunState | undefined {
    return this.current;
  }

  /**
   * True once the store found a file of a newer format version: it then only reads
   * (`save()` throws `ReadOnlyRunStateError`) and never touches that file.
   */
  get readOnly(): boolean {
    return this.newer;
  }

  /**
   * Reads the state file, once, before the first `save()`. A missing file gives
   * `createInitial()`. A bad file is copied aside and reported, and the `.bak` (when
   * good) or `createInitial()` is used instead — and written back, so the file heals.
   * A newer file makes the store read-only: its state is returned when this build can
   * read it (else `createInitial()`), and nothing is copied or written.
   */
  async load(): Promise<RunStoreLoadResult> {
    this.assertUsable('load');
    if (this.current !== undefined) throw new Error('RunStore.load() may be called once; use reload() to re-read.');
    const problems: RunStoreProblem[] = [];

    const main = await readBytes(this.file);
    let result: { state: RunState; source: RunStoreLoadResult['source'] } | undefined;
    if (main.kind === 'missing') {
      result = { state: this.options.createInitial(), source: 'initial' };
    } else if (main.kind === 'bytes') {
      const found = classify(main.bytes, this.options.featureId);
      if (found.kind === 'good') {
        this.diskBytes = main.bytes;
        result = { state: found.state, source: 'file' };
      } else if (found.kind === 'newer') {
        this.newer = true;
        this.diskBytes = main.bytes;
        problems.push(this.newerProblem(found));
        result = found.state ? { state: found.state, source: 'file' } : { state: this.options.createInitial(), source: 'initial' };
      } else {
        problems.push(await this.quarantine(this.file, main.bytes, found));
      }
    } else {
      problems.push(
        this.problem('unreadable', this.file, `could not be read (${main.detail}); it will not be overwritten.`, {
          detail: main.detail,
        }),
      );
    }

    if (!result) {
      const backup = await readBytes(this.backupFile);
      const found = backup.kind === 'bytes' ? classify(backup.bytes, this.options.featureId) : undefined;
      if (found?.kind === 'good') {
        result = { state: found.state, source: 'backup' };
      } else {
        if (backup.kind === 'bytes' && found?.kind === 'bad') problems.push(await this.quarantine(this.backupFile, backup.bytes, found));
        if (found?.kind === 'newer') {
          // A newer build is at work here: touch nothing.
          this.newer = true;
          problems.push(this.newerProblem(found, this.backupFile));
        }
        result = { state: this.options.createInitial(), source: 'initial' };
      }
      const recovery =
        result.source === 'backup'
          ? `Loaded the previous good state from ${this.relative(this.backupFile)}.`
          : 'No good backup either: started from a fresh run state.';
      for (const problem of problems) if (problem.code !== 'newer-version') problem.message += ` ${recovery}`;
    }

    this.current = result.state;
    for (const problem of problems) this.problemEmitter.fire(problem);
    this.changeEmitter.fire({ state: result.state, origin: 'load' });
    // Heal: write the recovered state over a file that was bad (its bytes are kept aside).
    if (main.kind === 'bytes' && result.source !== 'file' && !this.newer) {
      this.dirty = true;
      void this.kick();
    }
    return { ...result, problems };
  }

  /**
   * Re-reads the file after another writer changed it (the host calls this from a file
   * watcher). Adopts the file's state when it is good and differs from what this store
   * wrote; ignores the file while a save of this store is pending (that save wins).
   * A bad file is copied aside and reported; the in-memory state is kept, and the next
   * save replaces the file. A deleted file is recreated by the next save. A newer file
   * makes the store read-only; its state is adopted when this build can read it.
   */
  async reload(): Promise<RunStoreReloadResult> {
    this.assertUsable('reload');
    const unchanged = (problems: RunStoreProblem[] = []) => ({ changed: false, state: this.current, problems });
    await this.writer;
    const generation = this.generation;
    if (this.current === undefined || this.dirty) return unchanged();

    const read = await readBytes(this.file);
    if (this.generation !== generation || this.dirty || this.disposed) return unchanged();
    if (read.kind === 'missing' || (read.kind === 'bytes' && this.diskBytes?.equals(read.bytes))) return unchanged();
    if (read.kind === 'unreadable') {
      const problem = this.problem('unreadable', this.file, `could not be read (${read.detail}); kept the state in memory.`, {
        detail: read.detail,
      });
      this.problemEmitter.fire(problem);
      return unchanged([problem]);
    }
    if (this.quarantined.get(this.file)?.equals(read.bytes)) return unchanged();

    const found = classify(read.bytes, this.options.featureId);
    if (found.kind === 'bad') {
      const problem = await this.quarantine(this.file, read.bytes, found);
      problem.message += ' Kept the state in memory; the next save replaces the file.';
      this.problemEmitter.fire(problem);
      return unchanged([problem]);
    }
    this.diskBytes = read.bytes;
    const problems: RunStoreProblem[] = [];
    if (found.kind === 'newer') {
      const first = !this.newer;
      this.newer = true;
      if (first) {
        problems.push(this.newerProblem(found));
        this.problemEmitter.fire(problems[0]!);
      }
      if (!found.state) return unchanged(problems);
    }
    const state = found.state!;
    this.current = state;
    this.changeEmitter.fire({ state, origin: 'external' });
    return { changed: true, state, problems };
  }

  /**
   * Makes `state` the current state at once (and fires `onDidChange`), and schedules a
   * write. Never throws for I/O: write failures are reported on `onDidReportProblem`
   * and by `flush()`. Saving the current state object again does nothing. Throws
   * `ReadOnlyRunStateError` when the store is read-only.
   */
  save(state: RunState): void {
    this.assertUsable('save');
    if (this.newer) throw new ReadOnlyRunStateError(this.file);
    if (state === this.current) return;
    this.current = state;
    this.generation++;
    this.dirty = true;
    this.changeEmitter.fire({ state, origin: 'save' });
    void this.kick();
  }

  /**
   * Resolves when the latest saved state is on disk; rejects with the write error when
   * it could not be written (and retries the write first, if one failed before).
   */
  async flush(): Promise<void> {
    for (;;) {
      await this.kick();
      if (!this.dirty) return;
      if (this.lastWriteError !== undefined) throw this.lastWriteError;
      // A save came after the writer's last write and before this went on: write it too.
    }
  }

  /**
   * Starts a new run of the feature: the current state (when one is on disk) is archived
   * to `.waves/history/<name>/<runId>.json` — created exclusively, never over another
   * file — and `next` is saved with the earlier runs' history and a summary of the current
   * one (`withHistoryOf`). Resolves once both are on disk. Nothing of the earlier run is
   * deleted. Throws `ReadOnlyRunStateError` when read-only, and an Error when `next` has
   * the current run's id.
   */
  async startNewRun(next: RunState): Promise<RunStoreArchiveResult> {
    this.assertUsable('startNewRun');
    if (this.newer) throw new ReadOnlyRunStateError(this.file);
    const previous = this.current;
    if (previous === undefined) throw new Error('RunStore.startNewRun() needs load() first.');
    if (next.runId === previous.runId) throw new Error(`The new run needs a new run id; "${next.runId}" is the current one.`);
    await this.flush();
    if (this.diskBytes === undefined) {
      this.save(next);
      await this.flush();
      return { state: next };
    }
    const archived = await this.archive(previous);
    const relative = this.relative(archived);
    const state = withHistoryOf(next, previous, relative);
    this.save(state);
    await this.flush();
    return { state, archived };
  }

  /**
   * Stops accepting saves and removes all listeners. A write already scheduled still
   * completes (call `flush()` first to wait for it).
   */
  dispose(): void {
    this.disposed = true;
    this.changeEmitter.dispose();
    this.problemEmitter.dispose();
  }

  // -------------------------------------------------------------------------------------

  private assertUsable(operation: string): void {
    if (this.disposed) throw new Error(`RunStore.${operation}() called after dispose().`);
  }

  /** Starts the writer unless it runs; it loops while there is an unsaved state. */
  private kick(): Promise<void> {
    this.writer ??= this.drain();
    return this.writer;
  }

  private async drain(): Promise<void> {
    // Yield first, so `this.writer` is assigned before the `finally` below can clear it.
    await undefined;
    try {
      while (this.dirty) {
        const coalesceMs = this.options.coalesceMs ?? 25;
        if (coalesceMs > 0) await new Promise((resolve) => setTimeout(resolve, coalesceMs));
        this.dirty = false;
        try {
          await this.write(this.current!);
          this.lastWriteError = undefined;
        } catch (error) {
          // Keep the state unsaved; the next save() or flush() retries.
          this.dirty = true;
          this.lastWriteError = error;
          if (!(error instanceof ReadOnlyRunStateError)) {
            const detail = (error as Error).message;
            const text = `could not be written (${detail}); the state is kept in memory and the next save retries.`;
            this.problemEmitter.fire(this.problem('write-failed', this.file, text, { detail }));
          }
          break;
        }
      }
    } finally {
      this.writer = undefined;
    }
  }

  /** One write: validate, keep the current file as `.bak` (or aside when bad), replace it atomically. */
  private async write(state: RunState): Promise<void> {
    if (this.newer) throw new ReadOnlyRunStateError(this.file);
    const valid = validateRunState(state, this.options.featureId);
    if (!valid.ok) throw new Error(`refusing to write an invalid run state: ${valid.detail}`);
    const bytes = serialize(state);
    checkEngineFolder(this.options.workspaceRoot, path.dirname(this.file));
    await fs.mkdir(path.dirname(this.file), { recursive: true });

    const existing = await readBytes(this.file);
    if (existing.kind === 'unreadable') throw new Error(`the existing file could not be read (${existing.detail}), so it was not replaced`);
    if (existing.kind === 'missing') {
      // First write (or the file was deleted): the backup starts as this same state.
      await writeAtomic(this.backupFile, bytes);
    } else if (existing.bytes.equals(bytes)) {
      this.diskBytes = bytes;
      return;
    } else if (this.diskBytes?.equals(existing.bytes)) {
      await writeAtomic(this.backupFile, existing.bytes);
    } else if (!this.quarantined.get(this.file)?.equals(existing.bytes)) {
      // Another writer's version: keep it as the backup when good, aside when not; never replace a newer one.
      const found = classify(existing.bytes, this.options.featureId);
      if (found.kind === 'newer') {
        this.newer = true;
        this.diskBytes = existing.bytes;
        this.problemEmitter.fire(this.newerProblem(found));
        throw new ReadOnlyRunStateError(this.file);
      }
      if (found.kind === 'good') {
        await writeAtomic(this.backupFile, existing.bytes);
      } else {
        const problem = await this.quarantine(this.file, existing.bytes, found);
        this.problemEmitter.fire(problem);
        if (!problem.backupFile) throw new Error('the existing file is bad and no copy of it could be made, so it was not replaced');
      }
    }
    await writeAtomic(this.file, bytes);
    this.diskBytes = bytes;
  }

  /** Writes `state` to the history folder, exclusively; another file of that name gets a numbered sibling. */
  private async archive(state: RunState): Promise<string> {
    const bytes = serialize(state);
    const target = historyFile(this.options.workspaceRoot, this.options.featureId, state.runId);
    checkEngineFolder(this.options.workspaceRoot, path.dirname(target));
    await fs.mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await writeAtomic(temp, bytes);
    try {
      for (let n = 1; n < 1000; n++) {
        const candidate = n === 1 ? target : target.replace(/\.json$/, `-${n}.json`);
        try {
          await fs.link(temp, candidate); // fails when the name exists: nothing is overwritten
          return candidate;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
          const there = await readBytes(candidate);
          if (there.kind === 'bytes' && there.bytes.equals(bytes)) return candidate; // archived before a crash
        }
      }
      throw new Error(`no free archive name next to ${target}`);
    } finally {
      await fs.rm(temp, { force: true });
    }
  }

  private newerProblem(found: Extract<Classified, { kind: 'newer' }>, file = this.file): RunStoreProblem {
    const shown = found.state ? 'It is shown read-only' : 'This build cannot read it, so a fresh state is shown instead';
    return this.problem(
      'newer-version',
      file,
      `uses ${found.detail}. ${shown}; it is never overwritten. Update Wave Orchestrator to run this feature.`,
      { detail: found.detail },
    );
  }

  /**
   * Copies a bad file's exact bytes to `<file>.corrupt-<time>` and describes it. When no
   * copy can be made the problem has no `backupFile`, and `write()` refuses to replace
   * the file.
   */
  private async quarantine(file: string, bytes: Buffer, found: Extract<Classified, { kind: 'bad' }>): Promise<RunStoreProblem> {
    const stamp = (this.options.now?.() ?? new Date()).toISOString().replace(/[-:.]/g, '');
    let backupFile: string | undefined;
    let failure = '';
    try {
      checkEngineFolder(this.options.workspaceRoot, path.dirname(file));
    } catch (error) {
      failure = (error as Error).message;
    }
    for (let n = 0; failure === '' && backupFile === undefined && n < 100; n++) {
      const candidate = `${file}.corrupt-${stamp}${n === 0 ? '' : `-${n}`}`;
      try {
        await fs.writeFile(candidate, bytes, { flag: 'wx' });
        backupFile = candidate;
      } catch (error) {
        failure = (error as Error).message;
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') break;
      }
    }
    const what = describeBadFile(found);
    if (backupFile === undefined) {
      return this.problem(found.code, file, `${what}. No copy could be made (${failure}), so it will not be overwritten.`, {
        detail: found.detail,
      });
    }
    this.quarantined.set(file, bytes);
    return this.problem(found.code, file, `${what}. A copy was kept at ${this.relative(backupFile)}.`, {
      backupFile,
      detail: found.detail,
    });
  }

  private problem(code: RunStoreProblemCode, file: string, text: string, extra: Partial<RunStoreProblem> = {}): RunStoreProblem {
    return { code, file, message: `The run state file ${this.relative(file)} ${text}`, ...extra };
  }

  private relative(file: string): string {
    return relativePosix(this.options.workspaceRoot, file);
  }
}

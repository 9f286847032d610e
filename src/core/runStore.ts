/**
 * The run-state store: keeps one feature's `RunState` in
 * `<workspaceRoot>/.waves/runs/<file name>.json` and never loses a good state.
 *
 * Node `fs` only, no `vscode`. The host wires a file watcher to `reload()` and forwards
 * `onDidReportProblem` to the user; see `docs/contracts.md` ("Run-state store").
 *
 * Files, next to each other in `.waves/runs/`:
 *   <name>.json                     the state (pretty JSON, validated on every read)
 *   <name>.json.bak                 the previous good state (rotated on every write)
 *   <name>.json.corrupt-<time>      exact bytes of a file that could not be used
 *   <name>.json.tmp-<pid>-<n>       a write in progress (renamed over its target)
 *
 * Guarantees:
 * - Writes are atomic: temp file, fsync, rename (atomic on POSIX), fsync of the folder.
 *   Before replacing `<name>.json`, its current content is kept as `<name>.json.bak`
 *   when good, or copied to `.corrupt-<time>` (and reported) when not.
 * - A file the store cannot decode, parse or validate is copied aside and reported
 *   before anything overwrites it; a file it cannot read at all is never overwritten.
 * - Saves are serialised and coalesced: `save()` is synchronous and cheap, one write
 *   at a time reaches the disk, and it always carries the latest state.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv';
import runStateSchema from '../../schemas/run-state.schema.json';
import { Emitter, type Disposable, type Event } from './events';
import { checkRunStateInvariants, type RunState } from './runState';

// ---------------------------------------------------------------------------------------
// File names

/** Where run states live, relative to the workspace root. */
export const RUNS_FOLDER = '.waves/runs';

/** Ids used as file names unchanged: lower-case, digits, `-`, `_`; at most 100 characters. */
const SAFE_NAME = /^[a-z0-9][a-z0-9_-]{0,99}$/;
/** Device names Windows refuses as file names, with any extension. */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/;

/**
 * The file name of a feature's run state. Ids that are already safe on every OS
 * (`SAFE_NAME`, not a Windows device name) map to `<id>.json`; any other id maps to
 * `<slug>-<hash>.json`, where the slug keeps the id's letters and digits (lower-cased,
 * other runs turned into `-`, at most 48 characters, `feature` when nothing is left)
 * and the hash is the first 8 hex digits of the SHA-256 of the exact id. So the
 * mapping is deterministic, case-insensitive file systems cannot merge two ids, and
 * `My.Feature` → `my-feature-<hash>.json`.
 */
export function runStateFileName(featureId: string): string {
  if (SAFE_NAME.test(featureId) && !WINDOWS_RESERVED.test(featureId)) return `${featureId}.json`;
  const slug =
    featureId
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48)
      .replace(/-+$/, '') || 'feature';
  const hash = createHash('sha256').update(featureId, 'utf8').digest('hex').slice(0, 8);
  return `${slug}-${hash}.json`;
}

/** Absolute path of a feature's run-state file. */
export function runStateFile(workspaceRoot: string, featureId: string): string {
  return path.join(workspaceRoot, RUNS_FOLDER, runStateFileName(featureId));
}

// ---------------------------------------------------------------------------------------
// Validation

export type RunStoreProblemCode =
  /** Not UTF-8 or not JSON (a torn write, garbage bytes). */
  | 'corrupt'
  /** JSON, but not a valid run state (schema or invariants). */
  | 'invalid-state'
  /** A `version` this extension does not know (written by a newer one). */
  | 'unsupported-version'
  /** A valid run state of another feature (file-name collision or a copied file). */
  | 'wrong-feature'
  /** The file exists but could not be read (permissions, I/O error). */
  | 'unreadable'
  /** A save could not be written; the state stays in memory and the next save retries. */
  | 'write-failed';

export type RunStateValidation =
  | { ok: true; state: RunState }
  | { ok: false; code: 'invalid-state' | 'unsupported-version' | 'wrong-feature'; detail: string };

let schemaValidator: ValidateFunction | undefined;

/** The compiled `schemas/run-state.schema.json` (compiled once, on first use). */
function schemaValidate(raw: unknown): ValidateFunction['errors'] {
  schemaValidator ??= new Ajv2020({ strict: true, formats: { 'date-time': true } }).compile(runStateSchema);
  return schemaValidator(raw) ? null : (schemaValidator.errors ?? []);
}

/**
 * Checks `raw` against the schema and the invariants the schema cannot express, and,
 * when `expectedFeatureId` is given, that it belongs to that feature.
 */
export function validateRunState(raw: unknown, expectedFeatureId?: string): RunStateValidation {
  const version = (raw as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version !== 1) {
    return {
      ok: false,
      code: 'unsupported-version',
      detail: `format version ${version}; this extension reads version 1`,
    };
  }
  const errors = schemaValidate(raw);
  if (errors) {
    const detail = errors.map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join('; ');
    return { ok: false, code: 'invalid-state', detail };
  }
  const state = raw as RunState;
  const broken = checkRunStateInvariants(state);
  if (broken.length > 0) return { ok: false, code: 'invalid-state', detail: broken.join('; ') };
  if (expectedFeatureId !== undefined && state.featureId !== expectedFeatureId) {
    return {
      ok: false,
      code: 'wrong-feature',
      detail: `it belongs to feature "${state.featureId}", not "${expectedFeatureId}"`,
    };
  }
  return { ok: true, state };
}

// ---------------------------------------------------------------------------------------
// Reading and classifying one file

type Classified =
  | { kind: 'good'; state: RunState }
  | { kind: 'bad'; code: Exclude<RunStoreProblemCode, 'unreadable' | 'write-failed'>; detail: string };

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
  return result.ok ? { kind: 'good', state: result.state } : { kind: 'bad', code: result.code, detail: result.detail };
}

/** What is wrong with a bad file, as the middle of a sentence about it. */
function describeBadFile(found: Extract<Classified, { kind: 'bad' }>): string {
  switch (found.code) {
    case 'corrupt':
      return `is ${found.detail}`;
    case 'wrong-feature':
      return `is not this feature's run state: ${found.detail}`;
    case 'unsupported-version':
      return `uses ${found.detail}`;
    case 'invalid-state':
      return `is not a valid run state (${found.detail})`;
  }
}

function serialize(state: RunState): Buffer {
  return Buffer.from(`${JSON.stringify(state, null, 2)}\n`, 'utf8');
}

// ---------------------------------------------------------------------------------------
// Atomic file operations

let tempCounter = 0;

/** Replaces `target` with `bytes` atomically: temp file in the same folder, fsync, rename. */
async function writeAtomic(target: string, bytes: Buffer): Promise<void> {
  const temp = `${target}.tmp-${process.pid}-${++tempCounter}`;
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await renameWithRetry(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncFolder(path.dirname(target));
}

/** Windows refuses to rename over a file another process has open; such locks are brief. */
async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fs.rename(from, to);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (attempt >= 4 || (code !== 'EPERM' && code !== 'EACCES' && code !== 'EBUSY')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    }
  }
}

/** Makes a rename durable on POSIX. Folders cannot be opened for sync on Windows: ignored. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await fs.open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort.
  }
}

// ---------------------------------------------------------------------------------------
// The store

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
   * Reads the state file, once, before the first `save()`. A missing file gives
   * `createInitial()`. A bad file is copied aside and reported, and the `.bak` (when
   * good) or `createInitial()` is used instead — and written back, so the file heals.
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
        if (backup.kind === 'bytes' && found?.kind === 'bad')
          problems.push(await this.quarantine(this.backupFile, backup.bytes, found));
        result = { state: this.options.createInitial(), source: 'initial' };
      }
      const recovery =
        result.source === 'backup'
          ? `Loaded the previous good state from ${this.relative(this.backupFile)}.`
          : 'No good backup either: started from a fresh run state.';
      for (const problem of problems) problem.message += ` ${recovery}`;
    }

    this.current = result.state;
    for (const problem of problems) this.problemEmitter.fire(problem);
    this.changeEmitter.fire({ state: result.state, origin: 'load' });
    // Heal: write the recovered state over a file that was bad (its bytes are kept aside).
    if (main.kind === 'bytes' && result.source !== 'file') {
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
   * save replaces the file. A deleted file is recreated by the next save.
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
      const problem = this.problem(
        'unreadable',
        this.file,
        `could not be read (${read.detail}); kept the state in memory.`,
        { detail: read.detail },
      );
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
    this.current = found.state;
    this.diskBytes = read.bytes;
    this.changeEmitter.fire({ state: found.state, origin: 'external' });
    return { changed: true, state: found.state, problems: [] };
  }

  /**
   * Makes `state` the current state at once (and fires `onDidChange`), and schedules a
   * write. Never throws for I/O: write failures are reported on `onDidReportProblem`
   * and by `flush()`. Saving the current state object again does nothing.
   */
  save(state: RunState): void {
    this.assertUsable('save');
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
    await this.kick();
    if (this.dirty) throw this.lastWriteError ?? new Error('The run state could not be written.');
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
          const detail = (error as Error).message;
          const text = `could not be written (${detail}); the state is kept in memory and the next save retries.`;
          this.problemEmitter.fire(this.problem('write-failed', this.file, text, { detail }));
          break;
        }
      }
    } finally {
      this.writer = undefined;
    }
  }

  /** One write: validate, keep the current file as `.bak` (or aside when bad), replace it atomically. */
  private async write(state: RunState): Promise<void> {
    const valid = validateRunState(state, this.options.featureId);
    if (!valid.ok) throw new Error(`refusing to write an invalid run state: ${valid.detail}`);
    const bytes = serialize(state);
    await fs.mkdir(path.dirname(this.file), { recursive: true });

    const existing = await readBytes(this.file);
    if (existing.kind === 'unreadable')
      throw new Error(`the existing file could not be read (${existing.detail}), so it was not replaced`);
    if (existing.kind === 'missing') {
      // First write (or the file was deleted): the backup starts as this same state.
      await writeAtomic(this.backupFile, bytes);
    } else if (existing.bytes.equals(bytes)) {
      this.diskBytes = bytes;
      return;
    } else if (this.diskBytes?.equals(existing.bytes)) {
      await writeAtomic(this.backupFile, existing.bytes);
    } else if (!this.quarantined.get(this.file)?.equals(existing.bytes)) {
      // Another writer's version: keep it as the backup when good, aside when not.
      const found = classify(existing.bytes, this.options.featureId);
      if (found.kind === 'good') {
        await writeAtomic(this.backupFile, existing.bytes);
      } else {
        const problem = await this.quarantine(this.file, existing.bytes, found);
        this.problemEmitter.fire(problem);
        if (!problem.backupFile)
          throw new Error('the existing file is bad and no copy of it could be made, so it was not replaced');
      }
    }
    await writeAtomic(this.file, bytes);
    this.diskBytes = bytes;
  }

  /**
   * Copies a bad file's exact bytes to `<file>.corrupt-<time>` and describes it. When no
   * copy can be made the problem has no `backupFile`, and `write()` refuses to replace
   * the file.
   */
  private async quarantine(
    file: string,
    bytes: Buffer,
    found: Extract<Classified, { kind: 'bad' }>,
  ): Promise<RunStoreProblem> {
    const stamp = (this.options.now?.() ?? new Date()).toISOString().replace(/[-:.]/g, '');
    let backupFile: string | undefined;
    let failure = '';
    for (let n = 0; backupFile === undefined && n < 100; n++) {
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
      return this.problem(
        found.code,
        file,
        `${what}. No copy could be made (${failure}), so it will not be overwritten.`,
        { detail: found.detail },
      );
    }
    this.quarantined.set(file, bytes);
    return this.problem(found.code, file, `${what}. A copy was kept at ${this.relative(backupFile)}.`, {
      backupFile,
      detail: found.detail,
    });
  }

  private problem(
    code: RunStoreProblemCode,
    file: string,
    text: string,
    extra: Partial<RunStoreProblem> = {},
  ): RunStoreProblem {
    return { code, file, message: `The run state file ${this.relative(file)} ${text}`, ...extra };
  }

  private relative(file: string): string {
    return path.relative(this.options.workspaceRoot, file).split(path.sep).join('/');
  }
}

/**
 * The repository's lock table on disk: `<repo>/.waves/locks.json`, read and updated across
 * processes under an exclusive `locks.json.lock` (created with O_EXCL, taken over when
 * stale), written atomically. The table's format and every decision about it (conflicts,
 * acquire, release, expiry, parsing) are pure, in `src/core/run/lockTable.ts`.
 *
 * Node `fs` only, no `vscode`.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeAtomic } from './atomicWrite';
import { FileMutex } from './fileMutex';
import { checkEngineFolder } from './engineFolder';
import { emptyLockTable, parseLockTable, serializeLockTable, type LockTable } from '../core/run/lockTable';
import { lockTableFile, lockTableMutexFile } from '../core/run/runPaths';
import { relativePosix } from '../util/posixPath';

// ---------------------------------------------------------------------------------------
// The file

export class LockTableBusyError extends Error {
  readonly code = 'lock-table-busy';
  constructor(file: string, waitedMs: number) {
    super(`The lock table ${file} stayed locked by another process for ${Math.round(waitedMs / 1000)} s.`);
    this.name = 'LockTableBusyError';
  }
}

export class LockTableVersionError extends Error {
  readonly code = 'newer-version';
  constructor(file: string, detail: string) {
    super(`The lock table ${file} was written by a newer version (${detail}); it is left as it is.`);
    this.name = 'LockTableVersionError';
  }
}

export interface LockTableStoreOptions {
  /** A `locks.json.lock` older than this is taken over. Default 30 000. */
  staleMs?: number;
  /** Give up waiting for the `.lock` after this long. Default 60 000. */
  timeoutMs?: number;
  /** Told about bad content (and where a copy of it was kept). */
  onProblem?: (message: string) => void;
}

/**
 * `<repo>/.waves/locks.json`. `read()` is a plain read (a missing file is an empty table);
 * `update(fn)` is an exclusive read-modify-write across processes:
 *
 * 1. take `locks.json.lock` (`FileMutex`: O_EXCL, a random token; while another process
 *    holds it, wait; a `.lock` not modified for `staleMs` is taken over);
 * 2. read the table (a bad file is copied to `locks.json.corrupt-<time>` and reported, then
 *    treated as empty; a newer version throws `LockTableVersionError` and is left alone);
 * 3. `fn(table)`; when it returns the same table nothing is written;
 * 4. check the `.lock` is still ours, write a temp file, fsync, rename over `locks.json`;
 * 5. remove the `.lock`.
 */
export class LockTableStore {
  readonly file: string;
  readonly lockFile: string;
  private readonly mutex: FileMutex;

  constructor(
    readonly repoRoot: string,
    private readonly options: LockTableStoreOptions = {},
  ) {
    this.file = lockTableFile(repoRoot);
    this.lockFile = lockTableMutexFile(repoRoot);
    this.mutex = new FileMutex(this.lockFile, { ...options, busy: (file, waited) => new LockTableBusyError(file, waited) });
  }

  /** The table on disk now (empty when there is none or it is unusable; problems go to `onProblem`). */
  read(): LockTable {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyLockTable();
      this.report(`could not be read (${(error as Error).message})`);
      return emptyLockTable();
    }
    const parsed = parseLockTable(text);
    for (const problem of parsed.problems) this.report(problem);
    return parsed.table;
  }

  /** Exclusive read-modify-write; resolves with the table as written (or as found, when `fn` changed nothing). */
  async update(fn: (table: LockTable) => LockTable): Promise<LockTable> {
    checkEngineFolder(this.repoRoot, path.dirname(this.lockFile));
    await fs.promises.mkdir(path.dirname(this.lockFile), { recursive: true });
    const token = await this.mutex.acquire();
    try {
      const table = await this.readForUpdate();
      const next = fn(table);
      if (next === table) return table;
      if (!(await this.mutex.holds(token))) throw new Error(`Lost ${this.lockFile} to another process during the update; nothing was written.`);
      await writeAtomic(this.file, serializeLockTable(next));
      return next;
    } finally {
      await this.mutex.release(token);
    }
  }

  // -------------------------------------------------------------------------------------

  private report(problem: string): void {
    this.options.onProblem?.(`The lock table ${relativePosix(this.repoRoot, this.file)} ${problem}`);
  }

  private async readForUpdate(): Promise<LockTable> {
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyLockTable();
      throw error; // never replace a file that cannot be read
    }
    const parsed = parseLockTable(bytes.toString('utf8'));
    if (parsed.newerVersion) throw new LockTableVersionError(this.file, parsed.problems[0] ?? '');
    if (parsed.problems.length > 0) {
      const copy = `${this.file}.corrupt-${new Date().toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
      await fs.promises.writeFile(copy, bytes, { flag: 'wx' });
      this.report(`${parsed.problems.join('; ')}. A copy of it was kept at ${path.basename(copy)}.`);
    }
    return parsed.table;
  }
}


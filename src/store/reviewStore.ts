/**
 * The person's review threads of a feature's run in `.waves/runs/<feature>/review.json`
 * (`core/review/review.ts` holds the format): read without ever throwing, written atomically after
 * `checkEngineFolder`. A file that cannot be read is copied aside (`review.json.corrupt-<time>`)
 * and reported before anything replaces it — when no copy can be made, nothing replaces it; a
 * newer version is never written over; a thread that cannot be read stays in the file's
 * `unreadable` list. Updates of one file go one at a time — in this process through a queue,
 * across processes (the editor, `waves review`, another window) under `review.json.lock`
 * (`FileMutex`) — each reading the file again first, so a thread another writer added is kept.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { emptyReviewFile, parseReviewFile, serializeReviewFile, type ReviewFile, type ReviewThread } from '../core/review/review';
import { reviewFile } from '../core/run/runPaths';
import { writeAtomic } from './atomicWrite';
import { checkEngineFolder } from './engineFolder';
import { FileMutex } from './fileMutex';

/** A read of the threads: the file (empty when there is none), what was wrong, and whether it may be written. */
export interface ReviewRead {
  file: ReviewFile;
  /** Each for the person: a bad file copied aside, a thread kept as unreadable, a newer version. */
  problems: string[];
  /** Why the file must not be written (a newer version, a bad file no copy could be made of); null when it may. */
  readOnly: string | null;
}

/** Thrown by `update` when the file must not be written (its `readOnly` reason). */
export class ReviewStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReviewStoreError';
  }
}

const queues = new Map<string, Promise<unknown>>();

/** How long an update waits for another process's (a person's comment: seconds, not a minute). */
const REVIEW_LOCK_TIMEOUT_MS = 15_000;

export class ReviewStore {
  readonly file: string;
  private readonly mutex: FileMutex;

  constructor(
    readonly repo: string,
    readonly featureId: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.file = reviewFile(repo, featureId);
    this.mutex = new FileMutex(`${this.file}.lock`, {
      staleMs: 10_000,
      timeoutMs: REVIEW_LOCK_TIMEOUT_MS,
      busy: (_file, waited) => new ReviewStoreError(`the review threads of ${featureId} stayed locked by another process for ${Math.round(waited / 1000)} s: nothing was changed; try again`),
    });
  }

  /** The threads as the file has them; a bad file is copied aside (once per content) and reported. */
  async read(): Promise<ReviewRead> {
    let bytes: Buffer;
    try {
      checkEngineFolder(this.repo, path.dirname(this.file));
      bytes = await fs.readFile(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { file: emptyReviewFile(this.featureId), problems: [], readOnly: null };
      const why = err instanceof Error ? err.message : String(err);
      return { file: emptyReviewFile(this.featureId), problems: [`the review threads cannot be read: ${why}`], readOnly: `it cannot be read (${why})` };
    }
    const read = parseReviewFile(bytes.toString('utf8'), this.featureId);
    const shown = path.relative(this.repo, this.file);
    if (read.kind === 'ok') return { file: read.file, problems: read.problems.map((p) => `${shown}: ${p}`), readOnly: null };
    if (read.kind === 'newer')
      return {
        file: emptyReviewFile(this.featureId),
        problems: [`${shown} was written by a newer Wave Orchestrator (version ${read.version}): its threads are not shown, and it is never overwritten`],
        readOnly: `it is of a newer version (${read.version})`,
      };
    const copy = await this.copyAside(bytes);
    if (copy.startsWith('!'))
      return {
        file: emptyReviewFile(this.featureId),
        problems: [`${shown} cannot be used (${read.detail}) and no copy could be made of it (${copy.slice(1)}): it is left as it is`],
        readOnly: `it cannot be used and could not be copied aside`,
      };
    return { file: emptyReviewFile(this.featureId), problems: [`${shown} cannot be used (${read.detail}): a copy was kept at ${path.relative(this.repo, copy)}`], readOnly: null };
  }

  /**
   * Reads the file again, applies `change` to its threads and writes the result atomically —
   * one update at a time per file, in this process and across processes. Throws `ReviewStoreError` when the file must
   * not be written. Returns what was written, with the read's problems.
   */
  update(change: (threads: ReviewThread[]) => ReviewThread[]): Promise<ReviewRead> {
    const previous = queues.get(this.file) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(async () => {
      checkEngineFolder(this.repo, path.dirname(this.file));
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      const token = await this.mutex.acquire();
      try {
        const read = await this.read();
        if (read.readOnly) throw new ReviewStoreError(`Waves cannot write the review threads of ${this.featureId}: ${read.readOnly}. ${read.problems.join(' ')}`.trim());
        const file: ReviewFile = { ...read.file, threads: change(read.file.threads.map((t) => ({ ...t, comments: [...t.comments] }))) };
        if (!(await this.mutex.holds(token))) throw new ReviewStoreError(`another process took the review threads of ${this.featureId} during the update: nothing was changed; try again`);
        await writeAtomic(this.file, serializeReviewFile(file));
        return { file, problems: read.problems, readOnly: null };
      } finally {
        await this.mutex.release(token);
      }
    });
    queues.set(this.file, next);
    void next.finally(() => {
      if (queues.get(this.file) === next) queues.delete(this.file);
    }).catch(() => undefined);
    return next;
  }

  /** `<file>.corrupt-<time>` holding the bad bytes, or `!why` when no copy could be made; the same bytes are copied once. */
  private async copyAside(bytes: Buffer): Promise<string> {
    const dir = path.dirname(this.file);
    const base = path.basename(this.file);
    try {
      for (const name of await fs.readdir(dir)) {
        if (!name.startsWith(`${base}.corrupt-`)) continue;
        const kept = await fs.readFile(path.join(dir, name)).catch(() => null);
        if (kept && kept.equals(bytes)) return path.join(dir, name);
      }
    } catch {
      // fall through: try to copy
    }
    const stamp = this.now().toISOString().replace(/[-:.]/g, '');
    let failure = 'no free name';
    for (let n = 0; n < 100; n++) {
      const candidate = `${this.file}.corrupt-${stamp}${n === 0 ? '' : `-${n}`}`;
      try {
        await fs.writeFile(candidate, bytes, { flag: 'wx' });
        return candidate;
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err);
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') break;
      }
    }
    return `!${failure}`;
  }
}

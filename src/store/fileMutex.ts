/**
 * One writer at a time across processes for a file under `.waves/` (the lock table, the review
 * threads): an exclusive `<file>.lock` created with O_EXCL, holding a random token. While another
 * process holds it, wait (short, jittered); a `.lock` not modified for `staleMs` — its holder
 * crashed — is taken over: renamed aside, and removed only when it is still the one judged stale
 * (a fresh lock that replaced it in between is put back). Before writing, the holder checks the
 * `.lock` still holds its token; release removes it only then.
 *
 * Node `fs` only, no `vscode`. The caller checks the folder (`checkEngineFolder`) and creates it.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface FileMutexOptions {
  /** A `.lock` older than this is taken over. Default 30 000. */
  staleMs?: number;
  /** Give up waiting after this long. Default 60 000. */
  timeoutMs?: number;
  /** The error thrown when the wait is given up (the `.lock`, how long it was waited for). */
  busy?: (lockFile: string, waitedMs: number) => Error;
}

export class FileMutex {
  private readonly staleMs: number;
  private readonly timeoutMs: number;

  constructor(
    readonly lockFile: string,
    private readonly options: FileMutexOptions = {},
  ) {
    this.staleMs = options.staleMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** Creates the `.lock` with O_EXCL, waiting while another holds it; returns the token written in it. */
  async acquire(): Promise<string> {
    const token = `${process.pid}@${os.hostname()} ${randomBytes(12).toString('hex')}`;
    const started = Date.now();
    for (let round = 0; ; round++) {
      try {
        const handle = await fs.promises.open(this.lockFile, 'wx');
        try {
          await handle.writeFile(token);
        } finally {
          await handle.close();
        }
        return token;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      await this.takeOverIfStale();
      const waited = Date.now() - started;
      if (waited > this.timeoutMs) throw this.options.busy?.(this.lockFile, waited) ?? new Error(`${this.lockFile} stayed locked by another process for ${Math.round(waited / 1000)} s.`);
      // Short, jittered waits: an update holds the lock for a few milliseconds.
      await sleep(Math.min(50, 2 + round * 2) * (0.5 + Math.random()));
    }
  }

  /** Whether the `.lock` still holds `token` (checked right before writing). */
  async holds(token: string): Promise<boolean> {
    return (await readText(this.lockFile)) === token;
  }

  /** Removes the `.lock` when it is still ours. */
  async release(token: string): Promise<void> {
    if (await this.holds(token)) await fs.promises.rm(this.lockFile, { force: true });
  }

  /** Moves a stale `.lock` aside. Only the claimant whose rename succeeds removes it. */
  private async takeOverIfStale(): Promise<void> {
    let judged: { token: string | undefined; mtimeMs: number };
    try {
      const stat = await fs.promises.stat(this.lockFile);
      if (Date.now() - stat.mtimeMs < this.staleMs) return;
      judged = { token: await readText(this.lockFile), mtimeMs: stat.mtimeMs };
    } catch {
      return; // gone already
    }
    const aside = `${this.lockFile}.stale-${randomBytes(6).toString('hex')}`;
    try {
      await fs.promises.rename(this.lockFile, aside);
    } catch {
      return; // another claimant moved it first
    }
    const moved = await fs.promises.stat(aside).catch(() => undefined);
    const movedToken = await readText(aside);
    if (moved && moved.mtimeMs === judged.mtimeMs && movedToken === judged.token) {
      await fs.promises.rm(aside, { force: true });
      return;
    }
    // We moved a fresh lock that replaced the stale one in between: put it back, unless a
    // new one exists already (its owner then sees the loss before writing and gives up).
    try {
      await fs.promises.link(aside, this.lockFile);
    } catch {
      // Another process holds the lock now.
    }
    await fs.promises.rm(aside, { force: true });
  }
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch {
    // no lock file (released, never taken): nothing to read
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

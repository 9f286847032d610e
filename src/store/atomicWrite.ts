/**
 * Atomic file replacement: a temp file in the same folder, fsync, rename over the target
 * (atomic on POSIX; retried briefly on Windows' EPERM/EACCES/EBUSY), then fsync of the folder
 * (best effort). `writeAtomic` for the run-state store, the lock table and approvals;
 * `writeAtomicSync`, the same steps, for the runner and the lease, which write from
 * synchronous paths (an output handler, a claim). Node `fs` only.
 */
import * as fsSync from 'node:fs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

let tempCounter = 0;

/** `<target>.tmp-<pid>-<n>`: unique within the process, and across processes by pid. */
function tempFor(target: string): string {
  return `${target}.tmp-${process.pid}-${++tempCounter}`;
}

/** Whether `file` is one of this process's temp files for `target` (a write under way): `file` and `target` in the same form (both relative, or both absolute). */
export function isOwnTempOf(file: string, target: string): boolean {
  return file.startsWith(`${target}.tmp-${process.pid}-`);
}

const RETRIED = new Set(['EPERM', 'EACCES', 'EBUSY']);

/** Replaces `target` with `bytes` atomically. */
export async function writeAtomic(target: string, bytes: Buffer | string): Promise<void> {
  const temp = tempFor(target);
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

/** `writeAtomic`, synchronously (no retry of a refused rename: nothing may wait there). */
export function writeAtomicSync(target: string, bytes: Buffer | string): void {
  const temp = tempFor(target);
  try {
    const fd = fsSync.openSync(temp, 'wx');
    try {
      fsSync.writeFileSync(fd, bytes);
      fsSync.fsyncSync(fd);
    } finally {
      fsSync.closeSync(fd);
    }
    fsSync.renameSync(temp, target);
  } catch (error) {
    fsSync.rmSync(temp, { force: true });
    throw error;
  }
  try {
    const fd = fsSync.openSync(path.dirname(target), 'r');
    try {
      fsSync.fsyncSync(fd);
    } finally {
      fsSync.closeSync(fd);
    }
  } catch {
    // Best effort (folders cannot be opened for sync on Windows).
  }
}

/** Windows refuses to rename over a file another process has open; such locks are brief. */
async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fs.rename(from, to);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (attempt >= 4 || !RETRIED.has(code ?? '')) throw error;
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

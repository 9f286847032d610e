/**
 * Atomic file replacement, shared by the run-state store and the lock table: a temp file in
 * the same folder, fsync, rename over the target (atomic on POSIX; retried briefly on
 * Windows' EPERM/EACCES/EBUSY), then fsync of the folder (best effort). Node `fs` only.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

let tempCounter = 0;

/** Replaces `target` with `bytes` atomically. The temp file is `<target>.tmp-<pid>-<n>`. */
export async function writeAtomic(target: string, bytes: Buffer | string): Promise<void> {
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

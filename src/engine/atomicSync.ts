/**
 * Synchronous atomic file replacement for the runner and the lease, which write from
 * synchronous paths (an output handler, a claim): the twin of `src/core/atomicWrite.ts`'s
 * async `writeAtomic` — temp file beside the target, fsync, rename, fsync of the folder.
 */
import fs from 'node:fs';
import path from 'node:path';

let counter = 0;

/** Writes `file` atomically: a temporary file beside it, fsync, rename, then fsync the folder. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}-${++counter}`;
  const fd = fs.openSync(tmp, 'wx');
  try {
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  try {
    const dfd = fs.openSync(path.dirname(file), 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // folders cannot be fsynced on every platform (Windows): the rename is still atomic
  }
}

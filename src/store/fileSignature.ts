import fs from 'node:fs';

/**
 * A file's (or folder's) version as the disk says it — inode, modification time in nanoseconds,
 * size — or '-' when it is absent: it changes with every write, in place or by a rename over it.
 * For "read it again only when it changed".
 */
export function fileSignature(file: string): string {
  try {
    const s = fs.statSync(file, { bigint: true });
    return `${s.ino}:${s.mtimeNs}:${s.size}`;
  } catch {
    // no such file: a signature of its own, '-', so its creation is a change
    return '-';
  }
}

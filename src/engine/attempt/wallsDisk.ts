/**
 * What the walls read of the disk as they are drawn, written once for wallsDraw.ts,
 * wallsToolchains.ts and the dependency folders' files (wallsDeps.ts, wallsVenv.ts): a leaf.
 * Node built-ins only (bundled into dist/runner.js).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PathKind } from '../../core/walls/walls.js';

/** `~/x` against the home folder; other paths as they are (made absolute). */
export function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : path.resolve(p);
}

/** A folder, a regular file, or null (anything else, or nothing there). Links followed. */
export function kindOf(p: string): PathKind {
  try {
    const st = fs.statSync(p);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : null;
  } catch {
    // nothing there, or a link to nothing: null, as said above
    return null;
  }
}

/** A regular file (a link not followed). */
export function isFile(p: string): boolean {
  try {
    return fs.lstatSync(p).isFile();
  } catch {
    // not there: no file
    return false;
  }
}

/**
 * Where a path really is (every link on the way followed, relative or absolute), or null when
 * nothing is there (a link to nothing). The walls hide a secret there: bubblewrap cannot mount
 * over a link whose target is absolute (it refuses to start), and a mount at the real path is
 * what every link to it leads to inside the walls, whose root is the machine's.
 */
export function realPathOrNull(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch {
    // nothing there, or a link to nothing: null, as said above
    return null;
  }
}

/**
 * The symbolic links in a folder and its subfolders, breadth first — never through a link nor
 * onto another file system — up to `max` entries looked at (`partial`: there were more).
 */
export function linksUnder(dir: string, max: number): { links: string[]; partial: boolean } {
  const links: string[] = [];
  let dev: number;
  try {
    dev = fs.lstatSync(dir).dev;
  } catch {
    // the folder is not there: no links in it
    return { links, partial: false };
  }
  let seen = 0;
  const queue = [dir];
  for (let d = queue.shift(); d !== undefined; d = queue.shift()) {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      // gone meanwhile or unreadable: the agents cannot list it either
      continue;
    }
    for (const e of entries) {
      if (++seen > max) return { links, partial: true };
      const p = path.join(d, e.name);
      if (e.isSymbolicLink()) links.push(p);
      else if (e.isDirectory() && fs.lstatSync(p, { throwIfNoEntry: false })?.dev === dev) queue.push(p);
    }
  }
  return { links, partial: false };
}

/** The account's home folder (its passwd entry, whatever `$HOME` says), '' when it cannot be read. */
export function accountHomeOf(): string {
  try {
    return os.userInfo().homedir;
  } catch {
    // no passwd entry for this account: no home known
    return '';
  }
}

/** A file's text, or null when it cannot be read. */
export function readTextOrNull(p: string): string | null {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    // missing or unreadable: the caller reads null as no file
    return null;
  }
}

/** A file's text, '' when it cannot be read. */
export function readText(p: string): string {
  return readTextOrNull(p) ?? '';
}

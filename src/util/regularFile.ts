/**
 * Reading a file that must be a regular file — a plan, an agent's result record, a planning
 * agent's output — without ever opening what is not one (docs/security.md, "Files that are
 * not files"). A FIFO named `work-packages.yaml` made `fs.readFileSync` wait for a writer for
 * good (Ctrl-C too: the event loop never ran its handler); a link to `/dev/zero` never ends;
 * a device can act when opened.
 *
 * The race, and what is chosen: the path is `stat`ed first (following links), and anything
 * but a regular file is refused before any open — a device is never opened, so its open
 * cannot act. Then the file is opened with O_NONBLOCK (and O_NOCTTY) and the descriptor
 * itself is `fstat`ed: a FIFO or a device swapped in between the two is refused unread, and
 * the O_NONBLOCK open of a FIFO returns at once, so the swap cannot hang the reader either.
 * (A regular file ignores O_NONBLOCK.) `within`: the real path must lie inside that folder — a
 * symbolic link out of it (an agent's record linked to `~/.ssh/id_rsa`) is refused.
 * A folder is reported as `EISDIR`, as `fs.readFileSync` would.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The file is not a regular file (or lies outside `within`): it was not opened, or opened and not read. */
export class NotRegularFileError extends Error {
  constructor(
    readonly file: string,
    /** What it is, in a person's words: `a symbolic link to … (outside …)`. */
    readonly what: string,
  ) {
    super(`${file} is not a regular file (it is ${what}): refused, never read`);
    this.name = 'NotRegularFileError';
  }

  /** `not a regular file (it is a FIFO): refused, never read` — what follows `cannot read <file>: `. */
  get why(): string {
    return `not a regular file (it is ${this.what}): refused, never read`;
  }
}

export interface RegularFileOptions {
  /** A folder the file's real path must lie in (links resolved). */
  within?: string;
}

/** What a non-regular file is, in a person's words. */
function kindOf(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a file';
}

function isDirectoryError(file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${file}'`), { code: 'EISDIR', path: file });
}

function inside(folder: string, file: string): boolean {
  const rel = path.relative(folder, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Throws unless `file` (as `stat` sees it, links followed) is a regular file inside `within`; opens nothing. */
export function checkRegularFile(file: string, options: RegularFileOptions = {}): void {
  const st = fs.statSync(file); // ENOENT and EACCES as they are
  if (st.isDirectory()) throw isDirectoryError(file);
  if (!st.isFile()) throw new NotRegularFileError(file, kindOf(st));
  if (options.within !== undefined) {
    const real = fs.realpathSync(file);
    let folder = path.resolve(options.within);
    try {
      folder = fs.realpathSync(folder);
    } catch {
      // a folder that is not there holds nothing: the check below refuses
    }
    if (!inside(folder, real)) {
      const link = fs.lstatSync(file).isSymbolicLink() ? `a symbolic link to ${fs.readlinkSync(file)}` : `at ${real}`;
      throw new NotRegularFileError(file, `${link}, outside ${folder}`);
    }
  }
}

// O_NONBLOCK and O_NOCTTY are not defined on Windows (no FIFOs to fear there in this sense).
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) | (fs.constants.O_NOCTTY ?? 0);

/** The bytes of a regular file; `NotRegularFileError` (never blocking) when it is not one. Errors of the file system as they are. */
export function readRegularFileSync(file: string, options: RegularFileOptions = {}): Buffer {
  checkRegularFile(file, options);
  const fd = fs.openSync(file, OPEN_FLAGS);
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw isDirectoryError(file);
    if (!st.isFile()) throw new NotRegularFileError(file, kindOf(st));
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** `readRegularFileSync` off the event loop's thread. */
export async function readRegularFile(file: string, options: RegularFileOptions = {}): Promise<Buffer> {
  checkRegularFile(file, options);
  const handle = await fs.promises.open(file, OPEN_FLAGS);
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw isDirectoryError(file);
    if (!st.isFile()) throw new NotRegularFileError(file, kindOf(st));
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

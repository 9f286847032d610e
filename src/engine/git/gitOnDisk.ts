/**
 * Git's answers read from its own files, without a git process (ADR 0017): the refs
 * and objects the run engine asks about on a package's exit, merge and launch — a work tree's
 * HEAD, a branch's tip, whether an id is a commit, a commit's tree — are in plain files when git
 * wrote them itself (loose refs, `packed-refs`, loose objects). Each reader answers only when the
 * files say it plainly, and returns null for anything else (a reftable repository, a symbolic
 * link, a symbolic ref, a packed object, an odd byte, a `GIT_*` variable that points git
 * elsewhere); the caller then asks git, as before. A null is never an answer about the
 * repository, only "ask git".
 *
 * Reading is as safe as git's own reading: git replaces these files by renaming a finished lock
 * file over them, so a read sees the old content or the new one, never half of each.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { gitDirsOf } from '../../store/gitDirs.js';

/** Variables under which git reads another repository, object store or namespace than its files here say. */
const REDIRECTING_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_NAMESPACE', 'GIT_INDEX_FILE', 'GIT_CEILING_DIRECTORIES', 'GIT_DISCOVERY_ACROSS_FILESYSTEM'];

/** Whether reading git's files can stand in for asking git (no variable points git elsewhere; `WAVES_GIT_ON_DISK=0` turns it off). */
export function onDiskAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.WAVES_GIT_ON_DISK === '0') return false;
  return REDIRECTING_ENV.every((k) => env[k] === undefined);
}

const OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** A branch's full name of plain components (what the engine names its branches), so that its loose file is `refs/heads/…` and nothing else. */
function plainBranchRef(ref: string): boolean {
  if (!ref.startsWith('refs/heads/')) return false;
  return ref
    .slice('refs/heads/'.length)
    .split('/')
    .every((c) => /^[A-Za-z0-9._-]+$/.test(c) && !c.startsWith('.') && !c.endsWith('.') && !c.endsWith('.lock') && !c.includes('..'));
}

/** A file's whole content when it is a plain file (not a link, a folder or missing); null otherwise. */
function plainFile(file: string): Buffer | null {
  try {
    if (!fs.lstatSync(file).isFile()) return null;
    return fs.readFileSync(file);
  } catch {
    // missing or unreadable: null, and the caller asks git
    return null;
  }
}

export interface RepoDirs {
  /** The work tree's own git folder (`.git`, or `.git/worktrees/<name>` of a linked worktree). */
  gitDir: string;
  /** The repository's shared folder (refs, objects, config). */
  commonDir: string;
}

/**
 * The git folders of the work tree holding `cwd` and its HEAD line, when they are plain: a HEAD
 * file (git takes a folder as a repository only with a valid HEAD) and loose refs (not reftable).
 */
function repoOnDisk(cwd: string): (RepoDirs & { head: string }) | null {
  if (!onDiskAllowed()) return null;
  const dirs = gitDirsOf(cwd);
  if (!dirs) return null;
  // A reftable repository keeps its refs in binary tables; `refs/heads` is then a file.
  if (fs.existsSync(path.join(dirs.commonDir, 'reftable'))) return null;
  const bytes = plainFile(path.join(dirs.gitDir, 'HEAD'));
  if (!bytes) return null;
  const text = bytes.toString('latin1');
  const head = text.endsWith('\n') ? text.slice(0, -1) : text;
  return head.startsWith('ref: refs/') || OID.test(head) ? { ...dirs, head } : null;
}

/** The git folders of the work tree holding `cwd`, when they are plain (see `repoOnDisk`). */
export function repoDirs(cwd: string): RepoDirs | null {
  const r = repoOnDisk(cwd);
  return r ? { gitDir: r.gitDir, commonDir: r.commonDir } : null;
}

/** A branch's tip from its loose ref file or `packed-refs`; null when neither says it plainly (or it does not exist). */
export function branchTip(commonDir: string, ref: string): string | null {
  if (!plainBranchRef(ref)) return null;
  const loose = plainFile(path.join(commonDir, ...ref.split('/')));
  if (loose) {
    const text = loose.toString('latin1');
    const id = text.endsWith('\n') ? text.slice(0, -1) : text;
    return OID.test(id) ? id : null;
  }
  // A loose file that is there but not plain (a folder, a link): git's answer, not ours.
  if (fs.existsSync(path.join(commonDir, ...ref.split('/')))) return null;
  const packed = plainFile(path.join(commonDir, 'packed-refs'));
  if (!packed) return null;
  for (const line of packed.toString('latin1').split('\n')) {
    if (line.length === 0 || line[0] === '#' || line[0] === '^') continue;
    const space = line.indexOf(' ');
    if (space > 0 && line.slice(space + 1) === ref) {
      const id = line.slice(0, space);
      return OID.test(id) ? id : null;
    }
  }
  return null;
}

export interface HeadOnDisk extends RepoDirs {
  /** `refs/heads/<branch>` HEAD names, or null when HEAD is detached. */
  ref: string | null;
  /** The object id HEAD names. */
  id: string;
}

/** A work tree's HEAD from its `HEAD` file (and the branch's ref); null when anything is not plain. */
export function headOnDisk(cwd: string): HeadOnDisk | null {
  const r = repoOnDisk(cwd);
  if (!r) return null;
  const dirs = { gitDir: r.gitDir, commonDir: r.commonDir };
  if (r.head.startsWith('ref: ')) {
    const ref = r.head.slice(5);
    const id = branchTip(dirs.commonDir, ref);
    return id ? { ...dirs, ref, id } : null;
  }
  return { ...dirs, ref: null, id: r.head };
}

/** The file of loose object `id` when it is a plain file here; null otherwise. */
function looseFile(commonDir: string, id: string): string | null {
  if (!OID.test(id)) return null;
  const file = path.join(commonDir, 'objects', id.slice(0, 2), id.slice(2));
  try {
    return fs.lstatSync(file).isFile() ? file : null;
  } catch {
    // no loose object here (packed, or none): null, and the caller asks git
    return null;
  }
}

/** The start of a loose object: its type and the first bytes of its content; null when it is not a loose object here. */
function looseObject(commonDir: string, id: string): { type: string; start: string } | null {
  const file = looseFile(commonDir, id);
  if (!file) return null;
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, 'r');
    // The header and a commit's `tree` line are in the first few hundred bytes of the stream.
    const buf = Buffer.alloc(1024);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const plain = zlib.inflateSync(buf.subarray(0, n), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString('latin1');
    const nul = plain.indexOf('\0');
    const m = nul > 0 ? /^(commit|tree|blob|tag) (\d+)$/.exec(plain.slice(0, nul)) : null;
    return m ? { type: m[1]!, start: plain.slice(nul + 1) } : null;
  } catch {
    // unreadable, or not a zlib stream: null, and the caller asks git
    return null;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** A commit object's tree, from the start of its content. */
const treeLine = (start: string): string | null => /^tree ([0-9a-f]{40}|[0-9a-f]{64})\n/.exec(start)?.[1] ?? null;

/** The tree of commit `id` when it is a loose commit object here; null otherwise. */
export function commitTreeOnDisk(commonDir: string, id: string): string | null {
  const o = looseObject(commonDir, id);
  return o?.type === 'commit' ? treeLine(o.start) : null;
}

/** `id` itself when it is a loose commit object here (what `<id>^{commit}` names); null when that cannot be told from the files. */
export function commitOnDisk(commonDir: string, id: string): string | null {
  return looseObject(commonDir, id)?.type === 'commit' ? id : null;
}

/** The tree `id` names — itself for a loose tree, its tree for a loose commit; null otherwise. */
export function treeOnDisk(commonDir: string, id: string): string | null {
  const o = looseObject(commonDir, id);
  if (o?.type === 'tree') return id;
  return o?.type === 'commit' ? treeLine(o.start) : null;
}

/**
 * What `git rev-parse <rev>` says in `cwd`, from the files, for the revisions the engine asks
 * about: `HEAD`, `refs/heads/<branch>` or a full object id, optionally peeled with `^{commit}` or
 * `^{tree}`. Null when the files do not say it plainly (an object id: only a loose object here).
 * `head`: the work tree's HEAD already read (several revisions of one question are then answered
 * from one read of it).
 */
export function revOnDisk(cwd: string, rev: string, head: HeadOnDisk | null = null): string | null {
  const m = /^(HEAD|refs\/heads\/.+?|[0-9a-f]{40}|[0-9a-f]{64})(\^\{(commit|tree)\})?$/.exec(rev);
  if (!m) return null;
  const ofHead = m[1] === 'HEAD';
  const objectId = /^[0-9a-f]{40,64}$/.test(m[1]!) ? m[1]! : null;
  const at = head ?? (ofHead ? headOnDisk(cwd) : null);
  const dirs = at ?? repoDirs(cwd);
  if (!dirs) return null;
  const commonDir = dirs.commonDir;
  if (objectId && !m[3]) return looseObject(commonDir, objectId) ? objectId : null;
  const id = ofHead ? at?.id : (objectId ?? branchTip(commonDir, m[1]!));
  if (!id) return null;
  if (m[3] === 'commit') return commitOnDisk(commonDir, id);
  if (m[3] === 'tree') return commitTreeOnDisk(commonDir, id);
  return id;
}

/**
 * Where `git rev-parse --git-path <name>` points in `cwd`, for the names that are the work
 * tree's own (an operation under way: `MERGE_HEAD`, `rebase-merge`…); null for any other name.
 */
export function worktreeGitPath(dirs: RepoDirs, name: string): string | null {
  return ['MERGE_HEAD', 'rebase-merge', 'rebase-apply', 'CHERRY_PICK_HEAD', 'REVERT_HEAD'].includes(name) ? path.join(dirs.gitDir, name) : null;
}

/**
 * Whether the work tree's index (`<gitDir>/index`, versions 2–4) holds `top` or a path under it:
 * true or false when the file says it plainly, null otherwise (no index, another version, a split
 * index whose entries are in another file, a repository of SHA-256 ids, a short or odd file).
 */
export function indexHoldsPathUnder(dirs: RepoDirs, top: string): boolean | null {
  const buf = plainFile(path.join(dirs.gitDir, 'index'));
  if (!buf || buf.length < 12 || buf.toString('latin1', 0, 4) !== 'DIRC') return null;
  const version = buf.readUInt32BE(4);
  if (version < 2 || version > 4) return null;
  // Entries hold 20-byte ids unless the repository says otherwise.
  const config = plainFile(path.join(dirs.commonDir, 'config'));
  if (!config || /objectformat/i.test(config.toString('latin1'))) return null;
  const count = buf.readUInt32BE(8);
  const end = buf.length - 20; // the trailing checksum
  const under = `${top}/`;
  let off = 12;
  let prev = '';
  let found = false;
  for (let i = 0; i < count; i++) {
    // ctime, mtime, dev, ino, mode, uid, gid, size (40 bytes), the id (20), flags (2).
    if (off + 62 > end) return null;
    const flags = buf.readUInt16BE(off + 60);
    let p = off + 62;
    if (flags & 0x4000) {
      if (version < 3) return null;
      p += 2; // extended flags
    }
    let name: string;
    if (version === 4) {
      // The bytes of the previous name to drop (git's offset varint), then the rest, NUL-ended.
      let c = buf[p++]!;
      let drop = c & 0x7f;
      while (c & 0x80) {
        if (p >= end) return null;
        c = buf[p++]!;
        drop = ((drop + 1) << 7) | (c & 0x7f);
      }
      const nul = buf.indexOf(0, p);
      if (nul < 0 || nul > end || drop > prev.length) return null;
      name = prev.slice(0, prev.length - drop) + buf.toString('latin1', p, nul);
      off = nul + 1;
    } else {
      const nul = buf.indexOf(0, p);
      if (nul < 0 || nul > end) return null;
      name = buf.toString('latin1', p, nul);
      // Padded with NULs to a multiple of 8 bytes from the entry's start.
      off += ((p - off + (nul - p) + 8) & ~7);
    }
    prev = name;
    if (name === top || name.startsWith(under)) found = true;
  }
  // Extensions: a split index keeps most entries in another file (`link`).
  while (off + 8 <= end) {
    const sig = buf.toString('latin1', off, off + 4);
    if (sig === 'link') return null;
    off += 8 + buf.readUInt32BE(off + 4);
  }
  return off === end ? found : null;
}

/** Whether loose tree object `tree` has an entry `name` (a file or a folder): null when it is not a loose tree here. */
export function treeHasEntry(commonDir: string, tree: string, name: string): boolean | null {
  const file = tree.length === 40 ? looseFile(commonDir, tree) : null;
  if (!file) return null;
  let plain: Buffer;
  try {
    plain = zlib.inflateSync(fs.readFileSync(file));
  } catch {
    // unreadable, or not a zlib stream: null, and the caller asks git
    return null;
  }
  const nul = plain.indexOf(0);
  if (nul < 0 || !/^tree \d+$/.test(plain.toString('latin1', 0, nul))) return null;
  // Entries: `<mode> <name>\0<20-byte id>`.
  let off = nul + 1;
  while (off < plain.length) {
    const space = plain.indexOf(0x20, off);
    const end = space < 0 ? -1 : plain.indexOf(0, space);
    if (end < 0 || end + 21 > plain.length) return null;
    if (plain.toString('latin1', space + 1, end) === name) return true;
    off = end + 21;
  }
  return false;
}

/**
 * Parsers for git's machine-readable outputs (pure: text in, plain data out; no I/O).
 *
 * `src/engine/git/` runs git with `-z` wherever git offers it, so paths with spaces,
 * newlines, quotes or non-ASCII characters arrive verbatim (never C-quoted). The parsers
 * never throw: an unexpected record is skipped and reported in `problems` where that matters.
 * Recorded outputs of a real git are in test/fixtures/git/outputs.json.
 */

/** How a path changed, as git's name-status letters say it. */
export type ChangeKind = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'type-changed' | 'unmerged' | 'unknown';

export interface FileChange {
  /** Repo-relative path, `/`-separated (the new path for a rename or copy). */
  path: string;
  change: ChangeKind;
  /** The old path of a rename or copy. */
  from?: string;
}

const LETTERS: Record<string, ChangeKind> = {
  A: 'added',
  M: 'modified',
  D: 'deleted',
  R: 'renamed',
  C: 'copied',
  T: 'type-changed',
  U: 'unmerged',
  X: 'unknown',
};

/** Splits NUL-terminated output (the last terminator is optional). */
export function splitZ(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

// ---------------------------------------------------------------------------------------
// git worktree list --porcelain [-z]

export interface WorktreeInfo {
  path: string;
  /** HEAD commit; null for a bare repository or a worktree without commits. */
  head: string | null;
  /** Short branch name (`refs/heads/` removed); null when detached or bare. */
  branch: string | null;
  detached: boolean;
  bare: boolean;
  /** The lock reason ('' when locked without one); null when not locked. */
  locked: string | null;
  /** Why git would prune it ('' without a reason); null when not prunable. */
  prunable: string | null;
}

/**
 * `git worktree list --porcelain` (newline-separated) or with `-z` (NUL-separated): records
 * separated by an empty line; each starts with `worktree <path>`. Prefer `-z`: without it
 * a path holding a newline cannot be read back.
 */
export function parseWorktreeList(text: string): WorktreeInfo[] {
  const sep = text.includes('\0') ? '\0' : '\n';
  const out: WorktreeInfo[] = [];
  let cur: WorktreeInfo | null = null;
  for (const line of text.split(sep)) {
    if (line === '') {
      if (cur) out.push(cur);
      cur = null;
      continue;
    }
    const space = line.indexOf(' ');
    const key = space < 0 ? line : line.slice(0, space);
    const value = space < 0 ? '' : line.slice(space + 1);
    if (key === 'worktree') {
      if (cur) out.push(cur);
      cur = { path: value, head: null, branch: null, detached: false, bare: false, locked: null, prunable: null };
      continue;
    }
    if (!cur) continue;
    switch (key) {
      case 'HEAD':
        cur.head = /^0+$/.test(value) ? null : value;
        break;
      case 'branch':
        cur.branch = value.startsWith('refs/heads/') ? value.slice('refs/heads/'.length) : value;
        break;
      case 'detached':
        cur.detached = true;
        break;
      case 'bare':
        cur.bare = true;
        break;
      case 'locked':
        cur.locked = value;
        break;
      case 'prunable':
        cur.prunable = value;
        break;
      default:
        break; // a newer git's field: ignored
    }
  }
  if (cur) out.push(cur);
  return out;
}

// ---------------------------------------------------------------------------------------
// git diff --name-status -z

/**
 * `git diff --name-status -z`: `<status>\0<path>\0`, and for renames and copies
 * `R<score>\0<old>\0<new>\0`. With `--no-renames` every record has one path.
 */
export function parseNameStatusZ(text: string): FileChange[] {
  const parts = splitZ(text);
  const out: FileChange[] = [];
  for (let i = 0; i < parts.length; ) {
    const status = parts[i++]!;
    const letter = status.charAt(0);
    const change = LETTERS[letter] ?? 'unknown';
    if (letter === 'R' || letter === 'C') {
      const from = parts[i++];
      const to = parts[i++];
      if (from === undefined || to === undefined) break;
      out.push({ path: to, change, from });
    } else {
      const p = parts[i++];
      if (p === undefined) break;
      out.push({ path: p, change });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// git status --porcelain=v1 -z

export interface StatusEntry {
  path: string;
  /** Index (staged) status letter, ' ' when unchanged, '?' untracked, '!' ignored. */
  index: string;
  /** Work-tree status letter. */
  worktree: string;
  /** Original path of a staged rename or copy. */
  from?: string;
}

/**
 * `git status --porcelain=v1 -z`: `XY <path>\0`; a rename or copy in the index is followed
 * by its original path as a separate NUL-terminated field.
 */
export function parseStatusZ(text: string): StatusEntry[] {
  const parts = splitZ(text);
  const out: StatusEntry[] = [];
  for (let i = 0; i < parts.length; ) {
    const rec = parts[i++]!;
    if (rec.length < 4 || rec.charAt(2) !== ' ') continue; // not a status record
    const index = rec.charAt(0);
    const worktree = rec.charAt(1);
    const entry: StatusEntry = { path: rec.slice(3), index, worktree };
    if (index === 'R' || index === 'C' || worktree === 'R' || worktree === 'C') {
      const from = parts[i++];
      if (from !== undefined) entry.from = from;
    }
    out.push(entry);
  }
  return out;
}

/** `git status --porcelain=v2 --branch -z`: the entries as v1 gives them, and the branch headers. */
export interface StatusV2 {
  entries: StatusEntry[];
  /** `# branch.oid`: HEAD's commit, or null before the first commit (`(initial)`). */
  head: string | null;
  /** `# branch.head`: the branch HEAD names, or null when it is detached. */
  branch: string | null;
}

/** Space-separated fields before a record's path, by record kind (`1`, `2`, `u`). */
const V2_FIELDS: Record<string, number> = { '1': 8, '2': 9, u: 10 };

/**
 * `git status --porcelain=v2 --branch -z` (one process where v1 needs `symbolic-ref` and
 * `rev-parse` beside it). Records are `1 XY sub mH mI mW hH hI path`, `2 … Xscore path\0orig`,
 * `u XY sub m1 m2 m3 mW h1 h2 h3 path`, `? path`, `! path` and `# branch.<key> <value>`;
 * v2 writes an unchanged side as `.`, v1 as a space (entries use v1's letters).
 */
export function parseStatusV2Z(text: string): StatusV2 {
  const parts = splitZ(text);
  const out: StatusV2 = { entries: [], head: null, branch: null };
  for (let i = 0; i < parts.length; ) {
    const rec = parts[i++]!;
    const kind = rec.charAt(0);
    if (kind === '#') {
      const [key, ...rest] = rec.slice(2).split(' ');
      const value = rest.join(' ');
      if (key === 'branch.oid') out.head = value === '(initial)' ? null : value;
      else if (key === 'branch.head') out.branch = value === '(detached)' ? null : value;
      continue;
    }
    if (kind === '?' || kind === '!') {
      if (rec.charAt(1) === ' ' && rec.length > 2) out.entries.push({ path: rec.slice(2), index: kind, worktree: kind });
      continue;
    }
    const fields = V2_FIELDS[kind];
    if (fields === undefined) continue;
    let at = 0;
    for (let f = 0; f < fields && at >= 0; f++) at = rec.indexOf(' ', at) + 1 || -1;
    if (at <= 0 || at >= rec.length) continue; // not a status record
    const xy = rec.slice(2, 4).replace(/\./g, ' ');
    const entry: StatusEntry = { path: rec.slice(at), index: xy.charAt(0), worktree: xy.charAt(1) };
    if (kind === '2') {
      const from = parts[i++];
      if (from !== undefined) entry.from = from;
    }
    out.entries.push(entry);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// git ls-files -z

/** `git ls-files -z` (any listing mode): one path per NUL-terminated record. */
export function parseLsFilesZ(text: string): string[] {
  return splitZ(text);
}

// ---------------------------------------------------------------------------------------
// git merge-tree --write-tree --name-only

export interface MergeTreeResult {
  /** The merged tree's id ('' when the output held none). */
  tree: string;
  /** Paths with conflicts, each once, in git's order. */
  conflicts: string[];
  /** The informational messages (text mode only; empty with `--no-messages` or `-z`). */
  messages: string[];
}

/**
 * `git merge-tree --write-tree --name-only [--no-messages] [-z]` (git ≥ 2.38). Exit 0 = clean,
 * exit 1 = conflicts; the output is the tree id, then the conflicted paths, then (unless
 * `--no-messages`) an empty line and the messages. With `-z` every field ends with NUL and
 * the messages section starts with an extra NUL (its records are not read here: use
 * `--no-messages` with `-z`).
 */
export function parseMergeTree(text: string): MergeTreeResult {
  if (text.includes('\0')) {
    const fields = text.split('\0');
    const tree = fields[0] ?? '';
    const conflicts: string[] = [];
    for (let i = 1; i < fields.length; i++) {
      if (fields[i] === '') break; // end, or the start of the messages section
      conflicts.push(fields[i]!);
    }
    return { tree, conflicts: unique(conflicts), messages: [] };
  }
  const lines = text.split('\n');
  const tree = lines[0] ?? '';
  const conflicts: string[] = [];
  let i = 1;
  for (; i < lines.length && lines[i] !== ''; i++) conflicts.push(lines[i]!);
  const messages = lines.slice(i + 1).filter((l) => l !== '');
  return { tree, conflicts: unique(conflicts), messages };
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

// ---------------------------------------------------------------------------------------
// git diff --raw --no-renames --no-abbrev -z

export interface RawChange {
  path: string;
  change: ChangeKind;
  /** The modes before and after (`000000` when absent), e.g. `100644`, `100755`, `120000` (a symbolic link), `160000` (a submodule). */
  oldMode: string;
  newMode: string;
  /** The blob after (all zeros when deleted). */
  newSha: string;
}

/** Parses `git diff --raw --no-renames --no-abbrev -z` (`:old new oldsha newsha S NUL path NUL`). */
export function parseRawDiffZ(text: string): RawChange[] {
  const parts = text.split('\0');
  const out: RawChange[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const head = parts[i]!;
    const m = /^:(\d{6}) (\d{6}) ([0-9a-f]+) ([0-9a-f]+) ([A-Z])\d*$/.exec(head);
    if (!m) break;
    out.push({ path: parts[i + 1]!, change: LETTERS[m[5]!] ?? 'unknown', oldMode: m[1]!, newMode: m[2]!, newSha: m[4]! });
  }
  return out;
}

/** Git's mode of a symbolic link. */
export const SYMLINK_MODE = '120000';

/**
 * Whether a symbolic link at `linkPath` (repo-relative, `/`-separated) with `target` points
 * outside the repository: an absolute target (`/…`, `C:\…`, `\\…`), or a relative one whose
 * `..` steps climb above the repository's root.
 */
export function linkLeavesRepository(linkPath: string, target: string): boolean {
  if (target === '' || /^([a-zA-Z]:)?[\\/]/.test(target) || target.startsWith('~')) return true;
  const parts = linkPath.split('/').slice(0, -1);
  for (const step of target.split(/[\\/]/)) {
    if (step === '' || step === '.') continue;
    if (step.toLowerCase() === '.git') return true;
    if (step === '..') {
      if (parts.length === 0) return true;
      parts.pop();
    } else parts.push(step);
  }
  return false;
}

/**
 * The review loop's pure part: the person's comment threads on a package's diff, the
 * store's file format (read without ever throwing; a bad entry kept and reported), a thread's
 * lines re-anchored on a new version of its file, a comments file (`path:line: text`, or JSON)
 * read with positioned errors, an integration thread's owner found through the owner index, and
 * the open threads turned into the comments an agent's prompt carries. Whether a package may take
 * them now is the engine's one answer (`reviewGate.ts` `decisionRefusal`). No I/O.
 */
import type { ReviewComment } from '../run/runState';

// ---------------------------------------------------------------------------------------
// Threads

/** One comment of a thread: the person's words (or an answer), when, by whom. */
export interface ThreadComment {
  id: string;
  body: string;
  author: string;
  /** ISO time written. */
  at: string;
  /** ISO time last edited. */
  edited?: string;
}

/** A comment thread on a package's diff (or the integration diff: `packageId` null until routed). */
export interface ReviewThread {
  id: string;
  /** The package it is for; null for an integration thread not yet given an owner. */
  packageId: string | null;
  /** Repository-relative path, `/`-separated. */
  file: string;
  /** 1-based lines of `file` at `anchorCommit`; 0 and 0 for a comment on the whole file. */
  startLine: number;
  endLine: number;
  /** The commit whose version of `file` the lines are of (the package's side of the diff). */
  anchorCommit: string;
  /** The lines written on, as they were at `anchorCommit`. */
  excerpt: string;
  comments: ThreadComment[];
  status: 'open' | 'resolved';
  /** The attempt it was sent with (Request Changes). */
  sentIn?: number;
  /** Why its lines are gone (they were deleted in a later version): kept, shown, not sent as lines. */
  outdated?: string;
  /** Whether a later attempt changed its lines (what the revision addressed). */
  addressed?: boolean;
  /** Where it came from: the integration diff (routed to `packageId`). */
  from?: 'branch' | 'integration';
}

/** Open threads of a package (all packages with `packageId` undefined). */
export function openThreads(threads: readonly ReviewThread[], packageId?: string | null): ReviewThread[] {
  return threads.filter((t) => t.status === 'open' && (packageId === undefined || t.packageId === packageId));
}

/** How many open threads each package has. */
export function openCounts(threads: readonly ReviewThread[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of threads) if (t.status === 'open' && t.packageId) counts.set(t.packageId, (counts.get(t.packageId) ?? 0) + 1);
  return counts;
}

/** Whether two sets of counts (`openCounts`) say the same; none and empty are the same. */
export function sameCounts(a: ReadonlyMap<string, number> | undefined, b: ReadonlyMap<string, number> | undefined): boolean {
  const x = a ?? new Map<string, number>();
  const y = b ?? new Map<string, number>();
  if (x.size !== y.size) return false;
  for (const [k, n] of x) if (y.get(k) !== n) return false;
  return true;
}

/** `line 4`, `lines 4–9`, `the whole file`. */
export function linesText(startLine: number, endLine: number): string {
  if (startLine === 0) return 'the whole file';
  return startLine === endLine ? `line ${startLine}` : `lines ${startLine}–${endLine}`;
}

/** The longest excerpt kept of a thread's lines (more is cut, and says so). */
export const EXCERPT_MAX_LINES = 40;
const EXCERPT_MAX_CHARS = 4000;

/** Lines `startLine`..`endLine` (1-based) of `text`, or why not: a line that does not exist is named. */
export function excerptOf(text: string, startLine: number, endLine: number): { ok: true; excerpt: string } | { ok: false; why: string } {
  if (startLine === 0 && endLine === 0) return { ok: true, excerpt: '' };
  const lines = splitLines(text);
  if (!Number.isSafeInteger(startLine) || !Number.isSafeInteger(endLine) || startLine < 1 || endLine < startLine)
    return { ok: false, why: `${startLine}-${endLine} is not a range of lines (1-based, start ≤ end)` };
  if (endLine > lines.length)
    return { ok: false, why: `line ${endLine} does not exist: the file has ${lines.length} line${lines.length === 1 ? '' : 's'}` };
  const picked = lines.slice(startLine - 1, Math.min(endLine, startLine - 1 + EXCERPT_MAX_LINES));
  let excerpt = picked.join('\n');
  if (excerpt.length > EXCERPT_MAX_CHARS) excerpt = `${excerpt.slice(0, EXCERPT_MAX_CHARS)}…`;
  if (endLine - startLine + 1 > EXCERPT_MAX_LINES) excerpt += `\n… (${endLine - startLine + 1 - EXCERPT_MAX_LINES} more lines)`;
  return { ok: true, excerpt };
}

/** A text's lines; a last line ending in a newline adds no empty line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

// ---------------------------------------------------------------------------------------
// What an agent is sent

/** What cannot be sent of a thread, and why (the person is told; nothing is dropped). */
export interface NotSent {
  threadId: string;
  file: string;
  why: string;
}

/**
 * A package's open threads as the comments its next attempt's prompt carries (each with its
 * file, lines, excerpt and the person's words: every comment of the thread, in order). An
 * outdated thread goes as a comment on its whole file, saying its lines are gone.
 */
export function commentsToSend(threads: readonly ReviewThread[], packageId: string): { comments: ReviewComment[]; notSent: NotSent[] } {
  const comments: ReviewComment[] = [];
  const notSent: NotSent[] = [];
  for (const t of openThreads(threads, packageId)) {
    const words = t.comments.map((c) => c.body.trim()).filter(Boolean);
    if (words.length === 0) {
      notSent.push({ threadId: t.id, file: t.file, why: 'it holds no words yet' });
      continue;
    }
    const body = words.join('\n\n');
    if (t.outdated)
      comments.push({ file: t.file, startLine: 0, endLine: 0, excerpt: t.excerpt, body: `(Written on ${linesText(t.startLine, t.endLine)}, which ${t.outdated}; the excerpt is what they said.)\n\n${body}`, threadId: t.id });
    else comments.push({ file: t.file, startLine: t.startLine, endLine: t.endLine, excerpt: t.excerpt, body, threadId: t.id });
  }
  return { comments, notSent };
}

/** The threads of `ids` marked as sent with `attempt`. */
export function markSent(threads: readonly ReviewThread[], ids: ReadonlySet<string>, attempt: number): ReviewThread[] {
  return threads.map((t) => (ids.has(t.id) ? { ...t, sentIn: attempt, addressed: false } : t));
}

// ---------------------------------------------------------------------------------------
// The store's file: .waves/runs/<feature>/review.json

export const REVIEW_FILE_VERSION = 1;

export interface ReviewFile {
  version: typeof REVIEW_FILE_VERSION;
  featureId: string;
  threads: ReviewThread[];
  /** Entries that could not be read as threads, kept exactly as found (never dropped). */
  unreadable: unknown[];
}

export type ReviewFileRead =
  | { kind: 'ok'; file: ReviewFile; problems: string[] }
  | { kind: 'bad'; detail: string }
  | { kind: 'newer'; version: number };

/** An empty file of a feature. */
export function emptyReviewFile(featureId: string): ReviewFile {
  return { version: REVIEW_FILE_VERSION, featureId, threads: [], unreadable: [] };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isLine = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isText = (v: unknown): v is string => typeof v === 'string';

/** Why a value is not a thread comment, or null. */
function commentProblem(c: unknown): string | null {
  if (!isRecord(c)) return 'a comment is not an object';
  for (const k of ['id', 'body', 'author', 'at'] as const) if (!isText(c[k])) return `a comment's "${k}" is not text`;
  if (c.edited !== undefined && !isText(c.edited)) return 'a comment\'s "edited" is not text';
  return null;
}

/** Why a value is not a thread, or null. */
export function threadProblem(t: unknown): string | null {
  if (!isRecord(t)) return 'not an object';
  if (!isText(t.id) || t.id === '') return '"id" is not text';
  if (t.packageId !== null && (!isText(t.packageId) || t.packageId === '')) return '"packageId" is neither a package id nor null';
  if (!isText(t.file) || !isRepoPath(t.file)) return '"file" is not a path inside the repository';
  if (!isLine(t.startLine) || !isLine(t.endLine)) return '"startLine"/"endLine" are not line numbers';
  if ((t.startLine === 0) !== (t.endLine === 0) || t.endLine < t.startLine) return `lines ${String(t.startLine)}-${String(t.endLine)} are not a range`;
  if (!isText(t.anchorCommit)) return '"anchorCommit" is not text';
  if (!isText(t.excerpt)) return '"excerpt" is not text';
  if (!Array.isArray(t.comments)) return '"comments" is not a list';
  for (const c of t.comments) {
    const p = commentProblem(c);
    if (p) return p;
  }
  if (t.status !== 'open' && t.status !== 'resolved') return '"status" is neither "open" nor "resolved"';
  if (t.sentIn !== undefined && !(isLine(t.sentIn) && t.sentIn > 0)) return '"sentIn" is not an attempt number';
  if (t.outdated !== undefined && !isText(t.outdated)) return '"outdated" is not text';
  if (t.addressed !== undefined && typeof t.addressed !== 'boolean') return '"addressed" is not true or false';
  if (t.from !== undefined && t.from !== 'branch' && t.from !== 'integration') return '"from" is neither "branch" nor "integration"';
  return null;
}

/**
 * The store's text read: never throws. A file that is not JSON or not a review file is `bad`
 * (the store copies it aside); a newer version is `newer` (never overwritten); a thread that
 * cannot be read is kept as it was in `unreadable` and reported in `problems`.
 */
export function parseReviewFile(text: string, featureId: string): ReviewFileRead {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { kind: 'bad', detail: `not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  if (!isRecord(data)) return { kind: 'bad', detail: 'not a JSON object' };
  if (typeof data.version !== 'number') return { kind: 'bad', detail: 'no "version"' };
  if (data.version > REVIEW_FILE_VERSION) return { kind: 'newer', version: data.version };
  if (data.version !== REVIEW_FILE_VERSION) return { kind: 'bad', detail: `version ${data.version} is not one Wave Orchestrator wrote` };
  if (data.featureId !== featureId) return { kind: 'bad', detail: `it is the file of feature ${JSON.stringify(data.featureId)}, not ${JSON.stringify(featureId)}` };
  if (!Array.isArray(data.threads)) return { kind: 'bad', detail: '"threads" is not a list' };
  const problems: string[] = [];
  const threads: ReviewThread[] = [];
  const unreadable: unknown[] = Array.isArray(data.unreadable) ? [...(data.unreadable as unknown[])] : [];
  if (data.unreadable !== undefined && !Array.isArray(data.unreadable)) {
    unreadable.push(data.unreadable);
    problems.push('"unreadable" was not a list: kept inside it');
  }
  const seen = new Set<string>();
  data.threads.forEach((t: unknown, k: number) => {
    let why = threadProblem(t);
    if (!why && seen.has((t as ReviewThread).id)) why = `a second thread with id ${JSON.stringify((t as ReviewThread).id)}`;
    if (why) {
      problems.push(`thread ${k + 1}: ${why}; kept aside in the file's "unreadable" list`);
      unreadable.push(t);
      return;
    }
    seen.add((t as ReviewThread).id);
    threads.push(t as ReviewThread);
  });
  if (unreadable.length && problems.length === 0) problems.push(`${unreadable.length} entr${unreadable.length === 1 ? 'y' : 'ies'} found unreadable before are kept in the file's "unreadable" list`);
  return { kind: 'ok', file: { version: REVIEW_FILE_VERSION, featureId, threads, unreadable }, problems };
}

/** The store's text of a file (stable: two-space JSON, a final newline). */
export function serializeReviewFile(file: ReviewFile): string {
  return `${JSON.stringify({ version: file.version, featureId: file.featureId, threads: file.threads, ...(file.unreadable.length ? { unreadable: file.unreadable } : {}) }, null, 2)}\n`;
}

/** A repository-relative path: not empty, not absolute, no `..`, `.` or empty segment, no backslash or NUL. */
export function isRepoPath(p: string): boolean {
  if (p === '' || p.startsWith('/') || /^[A-Za-z]:/.test(p) || p.includes('\\') || p.includes('\0')) return false;
  return p.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

// ---------------------------------------------------------------------------------------
// Re-anchoring on a new version of the file

/** One hunk of a line diff, as unified diffs number them: a count of 0 starts at the line before. */
export interface Hunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
}

/** Past this many differing lines the diff gives up finding the shortest edit: the middle is one hunk. */
const DIFF_MAX_EDITS = 2000;

/** The line hunks between two texts (Myers' shortest edit; common ends trimmed first). */
export function lineHunks(oldText: string, newText: string): Hunk[] {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const A = a.slice(pre, a.length - suf);
  const B = b.slice(pre, b.length - suf);
  if (A.length === 0 && B.length === 0) return [];
  const pairs = matchLines(A, B);
  // Walk the matched pairs: the gaps between them are the hunks.
  const hunks: Hunk[] = [];
  let i = 0;
  let j = 0;
  for (const [x, y] of [...pairs, [A.length, B.length] as const]) {
    if (x > i || y > j) hunks.push(hunk(pre + i, x - i, pre + j, y - j));
    i = x + 1;
    j = y + 1;
  }
  return hunks;
}

function hunk(oldIndex: number, oldCount: number, newIndex: number, newCount: number): Hunk {
  return { oldStart: oldCount === 0 ? oldIndex : oldIndex + 1, oldCount, newStart: newCount === 0 ? newIndex : newIndex + 1, newCount };
}

/** Pairs of equal lines (indexes into A and B, both ascending) of a shortest edit script; none past the cap. */
function matchLines(A: readonly string[], B: readonly string[]): (readonly [number, number])[] {
  const n = A.length;
  const m = B.length;
  const max = Math.min(n + m, DIFF_MAX_EDITS);
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && A[x] === B[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return []; // too different: one hunk
  const pairs: [number, number][] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const pv = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && pv[off + k - 1] < pv[off + k + 1]) ? k + 1 : k - 1;
    const prevX = pv[off + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) pairs.push([--x, --y]);
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) pairs.push([--x, --y]);
  return pairs.reverse();
}

/** Where a thread's lines are in the new version of its file. */
export type Reanchored =
  /** Every line is there, unchanged (perhaps moved). */
  | { kind: 'kept'; startLine: number; endLine: number }
  /** Some lines were rewritten: the new range covers what is left and what was written in their place. */
  | { kind: 'changed'; startLine: number; endLine: number }
  /** Every line was deleted and nothing written in their place. */
  | { kind: 'deleted' };

/** Lines `startLine`..`endLine` (1-based, old version) after `hunks` (ascending, as a diff gives them). */
export function reanchorLines(startLine: number, endLine: number, hunks: readonly Hunk[]): Reanchored {
  if (startLine === 0) return { kind: 'kept', startLine: 0, endLine: 0 };
  let shift = 0;
  let lo = Infinity;
  let hi = -Infinity;
  let touched = false;
  let line = startLine; // the next old line of the range to place
  const place = (upTo: number) => {
    // Old lines line..upTo are unchanged: they move by `shift`.
    for (; line <= Math.min(upTo, endLine); line++) {
      lo = Math.min(lo, line + shift);
      hi = Math.max(hi, line + shift);
    }
  };
  for (const h of hunks) {
    const oldFirst = h.oldCount === 0 ? h.oldStart + 1 : h.oldStart; // first old line after the hunk's start
    const oldLast = h.oldStart + h.oldCount - 1;
    if (h.oldCount === 0 ? h.oldStart >= endLine : oldFirst > endLine) break; // after the range
    place(oldFirst - 1);
    const overlaps = h.oldCount === 0 ? h.oldStart >= startLine && h.oldStart < endLine : oldLast >= startLine;
    if (overlaps) {
      touched = true;
      if (h.newCount > 0) {
        lo = Math.min(lo, h.newStart);
        hi = Math.max(hi, h.newStart + h.newCount - 1);
      }
      line = Math.max(line, oldLast + 1);
    }
    shift += h.newCount - h.oldCount;
  }
  place(endLine);
  if (!touched) return { kind: 'kept', startLine: lo, endLine: hi };
  if (lo === Infinity) return { kind: 'deleted' };
  return { kind: 'changed', startLine: lo, endLine: hi };
}

/**
 * A thread moved onto `newCommit`'s version of its file: its lines followed through the diff;
 * deleted lines looked for once more as a block (moved elsewhere), else the thread is marked
 * outdated (kept, with its excerpt). `changed` lines mark it addressed.
 */
export function reanchorThread(thread: ReviewThread, oldText: string, newText: string | null, newCommit: string, attempt?: number): ReviewThread {
  if (thread.outdated) return thread;
  const by = attempt === undefined ? 'a later version' : `attempt ${attempt}`;
  if (newText === null) return { ...thread, outdated: `was deleted with its file by ${by}`, addressed: true };
  if (thread.startLine === 0) return { ...thread, anchorCommit: newCommit, addressed: thread.addressed || oldText !== newText };
  const r = reanchorLines(thread.startLine, thread.endLine, lineHunks(oldText, newText));
  if (r.kind === 'kept') {
    const excerpt = excerptOf(newText, r.startLine, r.endLine);
    return { ...thread, startLine: r.startLine, endLine: r.endLine, anchorCommit: newCommit, ...(excerpt.ok ? { excerpt: excerpt.excerpt } : {}) };
  }
  if (r.kind === 'changed') {
    const excerpt = excerptOf(newText, r.startLine, r.endLine);
    return { ...thread, startLine: r.startLine, endLine: r.endLine, anchorCommit: newCommit, addressed: true, ...(excerpt.ok ? { excerpt: excerpt.excerpt } : {}) };
  }
  // Deleted here: moved as a block elsewhere?
  const block = splitLines(oldText).slice(thread.startLine - 1, thread.endLine);
  const at = findBlock(splitLines(newText), block);
  if (at !== null) return { ...thread, startLine: at, endLine: at + block.length - 1, anchorCommit: newCommit };
  return { ...thread, outdated: `${thread.startLine === thread.endLine ? 'was' : 'were'} deleted by ${by}`, addressed: true };
}

/** The 1-based line where `block` stands in `lines` exactly once, else null. */
function findBlock(lines: readonly string[], block: readonly string[]): number | null {
  if (block.length === 0 || block.every((l) => l.trim() === '')) return null;
  let found: number | null = null;
  for (let i = 0; i + block.length <= lines.length; i++) {
    if (block.every((l, k) => lines[i + k] === l)) {
      if (found !== null) return null;
      found = i + 1;
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------
// A comments file: `path:line: text`, `path:start-end: text`, `path: text`, or JSON

/** One comment of a comments file, with the line it was written on. */
export interface FileComment {
  file: string;
  startLine: number;
  endLine: number;
  body: string;
  /** Its 1-based line (JSON: its 1-based index in the list). */
  source: number;
}

/**
 * A comments file read: every comment, and every line that is not one — positioned
 * (`comments.txt:3: …`), never skipped without a word. Blank lines and `#` lines are skipped;
 * an indented line goes on the comment above.
 */
export function parseCommentsFile(text: string, name: string): { comments: FileComment[]; errors: string[] } {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) return parseCommentsJson(trimmed, name);
  const comments: FileComment[] = [];
  const errors: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, k) => {
    const at = `${name}:${k + 1}`;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    if (/^[ \t]/.test(raw)) {
      const last = comments[comments.length - 1];
      if (last && last.source <= k) last.body += `\n${raw.trim()}`;
      else errors.push(`${at}: an indented line goes on the comment above, and there is none`);
      return;
    }
    const ranged = /^(.+?):(\d+)(?:-(\d+))?:[ \t]*(.*)$/.exec(raw);
    const whole = ranged ? null : /^(.+?):[ \t]+(.*)$/.exec(raw);
    if (!ranged && !whole) {
      errors.push(`${at}: expected "path:line: text", "path:start-end: text" or "path: text"`);
      return;
    }
    const file = (ranged ?? whole)![1].trim();
    const body = (ranged ? ranged[4] : whole![2]).trim();
    const startLine = ranged ? Number(ranged[2]) : 0;
    const endLine = ranged ? Number(ranged[3] ?? ranged[2]) : 0;
    const why = commentFault(file, startLine, endLine, body, !!ranged);
    if (why) errors.push(`${at}: ${why}`);
    else comments.push({ file, startLine, endLine, body, source: k + 1 });
  });
  if (comments.length === 0 && errors.length === 0) errors.push(`${name}: holds no comment`);
  return { comments, errors };
}

function commentFault(file: string, startLine: number, endLine: number, body: string, ranged: boolean): string | null {
  if (!isRepoPath(file)) return `${JSON.stringify(file)} is not a path inside the repository (relative, "/"-separated, no "..")`;
  if (ranged && (startLine < 1 || endLine < startLine || !Number.isSafeInteger(endLine)))
    return startLine < 1 ? 'lines are counted from 1' : `${startLine}-${endLine} is not a range (start ≤ end)`;
  if (body === '') return 'the comment has no text';
  return null;
}

function parseCommentsJson(text: string, name: string): { comments: FileComment[]; errors: string[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { comments: [], errors: [`${name}: not JSON (${err instanceof Error ? err.message : String(err)})`] };
  }
  const list = isRecord(data) && Array.isArray(data.comments) ? (data.comments as unknown[]) : data;
  if (!Array.isArray(list)) return { comments: [], errors: [`${name}: expected a list of comments [{"file", "line" or "startLine"/"endLine", "body"}]`] };
  const comments: FileComment[] = [];
  const errors: string[] = [];
  list.forEach((c: unknown, k) => {
    const at = `${name}: comment ${k + 1}`;
    if (!isRecord(c)) return errors.push(`${at}: not an object`);
    const file = c.file;
    const body = c.body ?? c.text;
    if (typeof file !== 'string') return errors.push(`${at}: "file" is missing or not text`);
    if (typeof body !== 'string') return errors.push(`${at}: "body" is missing or not text`);
    const start = c.startLine ?? c.line;
    const end = c.endLine ?? start;
    const ranged = start !== undefined && start !== 0;
    if (start !== undefined && !isLine(start)) return errors.push(`${at}: "line"/"startLine" is not a line number`);
    if (end !== undefined && !isLine(end)) return errors.push(`${at}: "endLine" is not a line number`);
    const startLine = ranged ? (start as number) : 0;
    const endLine = ranged ? (end as number) : 0;
    const why = commentFault(file, startLine, endLine, body.trim(), ranged);
    if (why) return errors.push(`${at}: ${why}`);
    comments.push({ file, startLine, endLine, body: body.trim(), source: k + 1 });
  });
  if (comments.length === 0 && errors.length === 0) errors.push(`${name}: holds no comment`);
  return { comments, errors };
}

// ---------------------------------------------------------------------------------------
// An integration thread's owner

/** What of the owner index (`core/ownership/ownership.ts` `OwnerIndex`) finding an owner needs. */
export interface OwnerLookup {
  readonly packages: readonly ({ readonly id: string } | undefined)[];
  lookup(path: string): { readonly owners: readonly number[] };
}

export type Route =
  | { kind: 'owner'; packageId: string }
  /** The person chooses: `candidates` are the file's owners (several), or every package (none). */
  | { kind: 'ask'; why: 'several' | 'none'; candidates: string[]; text: string };

/** The package a thread on `file` of the integration diff goes to: its one owner, else the person is asked. */
export function routeToOwner(index: OwnerLookup, file: string): Route {
  const owners = index.lookup(file).owners.map((slot) => index.packages[slot]?.id).filter((id): id is string => !!id);
  if (owners.length === 1) return { kind: 'owner', packageId: owners[0] };
  if (owners.length > 1) return { kind: 'ask', why: 'several', candidates: owners, text: `${file} may be written by ${owners.join(' and ')}: which package should take this comment?` };
  const all = index.packages.map((p) => p?.id).filter((id): id is string => !!id);
  return { kind: 'ask', why: 'none', candidates: all, text: `${file} is outside every package's write scope: which package should take this comment?` };
}

// ---------------------------------------------------------------------------------------
// Threads brought onto a package's newest commit

/**
 * Each thread sent to a package whose attempt has since made a commit, re-anchored there
 * (`reanchorThread`): `headOf` gives a package's newest commit and the attempt that made it,
 * `read` a file's text at a commit (null when it is not there) — the caller's I/O. The
 * threads that moved are returned changed; the others as they were.
 */
export async function refreshAnchors(
  threads: readonly ReviewThread[],
  headOf: (packageId: string) => { commit: string; attempt: number } | null,
  read: (commit: string, file: string) => Promise<string | null>,
): Promise<{ threads: ReviewThread[]; changed: boolean }> {
  let changed = false;
  const out: ReviewThread[] = [];
  for (const t of threads) {
    const head = t.packageId && !t.outdated ? headOf(t.packageId) : null;
    // Only once the attempt it was sent with made a commit: before that the package's newest
    // commit is the one written on (or, for an integration thread, older than it).
    if (!head || head.commit === t.anchorCommit || t.sentIn === undefined || head.attempt < t.sentIn) {
      out.push(t);
      continue;
    }
    const [before, after] = await Promise.all([read(t.anchorCommit, t.file), read(head.commit, t.file)]);
    if (before === null) {
      out.push(t); // its own version cannot be read: left as it is
      continue;
    }
    out.push(reanchorThread(t, before, after, head.commit, head.attempt));
    changed = true;
  }
  return { threads: out, changed };
}

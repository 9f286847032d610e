/**
 * Complete with Agent's files (ADR 0013, "A session from a draft"): the draft plan read from the
 * person's checkout — a file inside the repository, never through a link out of it, never what
 * is not a regular file — with the task lists its packages' `inputs.converted_from` link to, and
 * round 0's writing of them into the planning folder of the session's worktree, where they are
 * committed and audited as any round's files are (planner.ts). The completion prompt and the
 * rules are src/core/planning/draftCompletion.ts's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { analyzePlan, type PlanAnalysis } from '../../core/plan/analyze';
import type { Plan } from '../../core/plan/model';
import { sourceLinkOf } from '../../core/formats/sourceLink';
import { draftTaskKey } from '../../core/planning/draftCompletion';
import { PLAN_FILE_NAME } from '../../core/planning/planningSession';
import { NotRegularFileError, readRegularFileSync } from '../../util/regularFile';
import { git } from '../git';
import { PlanningError } from './planningError';
import { toPosix } from '../../util/posixPath';

/** The draft plan at most (`waves.plan.maxSizeMB`'s default); each task list copied at most as much. */
export const MAX_DRAFT_BYTES = 5 * 1024 * 1024;
/** A task list kept one task a file (a folder) is copied up to this many files. */
const MAX_FOLDER_FILES = 500;

/** A task list the draft links to, as read: its files relative to the link (one file: `''`). */
export interface DraftSource {
  /** Repository-relative, `/`. */
  source: string;
  /** Relative to the draft's folder (the link's `file`): the copy's place in the planning folder. */
  copy: string;
  files: Array<{ rel: string; bytes: Buffer }>;
}

export interface ReadDraft {
  /** Repository-relative, `/`. */
  file: string;
  text: string;
  analysis: PlanAnalysis;
  sources: DraftSource[];
  /** Links whose task list could not be read (relative to the draft's folder), with why. */
  unread: string[];
  /** The draft's tasks (`draftTaskKey`), in plan order. */
  tasks: string[];
}

/** The tasks a plan's packages carry (`inputs.converted_from`), as `draftTaskKey`s. */
export function taskKeysOf(plan: Pick<Plan, 'packages'>): string[] {
  const keys: string[] = [];
  for (const pkg of plan.packages) {
    const link = sourceLinkOf(pkg);
    if (link) for (const t of link.tasks) keys.push(draftTaskKey(link, t));
  }
  return [...new Set(keys)];
}

/** `p` relative to `root` with `/`, or null when it is not inside it. */
function inside(root: string, p: string): string | null {
  const rel = path.relative(root, p);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return toPosix(rel);
}

function realOrResolved(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    // gone, or not there yet: resolved as given
    return path.resolve(p);
  }
}

/**
 * Reads the draft plan `file` (absolute, or relative to `cwd`) of the repository `repo` and the
 * task lists it links to. Refused (`PlanningError`): a file outside the repository (or in its
 * `.waves/` or `.git/`), not a regular file, too large, or holding no work package.
 */
export function readDraft(repo: string, cwd: string, file: string): ReadDraft {
  const root = realOrResolved(repo);
  const given = path.resolve(cwd, file);
  const real = realOrResolved(given);
  const rel = inside(root, real);
  if (rel === null) throw new PlanningError(`the draft ${file} is outside the repository ${repo}: give a plan inside it (the session's worktree is made from it)`);
  if (/^(\.waves|\.git)(\/|$)/.test(rel)) throw new PlanningError(`the draft ${file} is in ${rel.split('/')[0]}/, the engine's or git's own folder: give a plan of the repository`);
  let bytes: Buffer;
  try {
    const size = fs.statSync(given).size;
    if (size > MAX_DRAFT_BYTES) throw new PlanningError(`the draft ${file} is ${Math.round(size / 1024)} KiB: more than the ${MAX_DRAFT_BYTES / 1024 / 1024} MiB a draft may have`);
    bytes = readRegularFileSync(given, { within: root });
  } catch (err) {
    if (err instanceof PlanningError) throw err;
    const why = err instanceof NotRegularFileError ? err.why : ((err as NodeJS.ErrnoException).code ?? String(err));
    throw new PlanningError(`cannot read the draft ${file}: ${why}`);
  }
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const analysis = analyzePlan(text);
  if (analysis.plan.packages.length === 0)
    throw new PlanningError(`the draft ${file} holds no work package: give a plan (a task list of another tool is converted first: waves convert <file>, or Waves: Convert to work-packages.yaml)`);

  const folder = path.dirname(real);
  const sources: DraftSource[] = [];
  const unread: string[] = [];
  const seen = new Set<string>();
  for (const pkg of analysis.plan.packages) {
    const link = sourceLinkOf(pkg);
    if (!link || seen.has(link.file)) continue;
    seen.add(link.file);
    if (link.file === PLAN_FILE_NAME || link.file.startsWith(`${PLAN_FILE_NAME}/`)) {
      unread.push(`${link.file} (it would replace the plan)`);
      continue;
    }
    const read = readSource(root, path.join(folder, ...link.file.split('/')));
    if ('why' in read) unread.push(`${link.file} (${read.why})`);
    else sources.push({ source: read.source, copy: link.file, files: read.files });
  }
  return { file: rel, text, analysis, sources, unread, tasks: taskKeysOf(analysis.plan) };
}

/**
 * `readDraft`, and then the task lists the repository ignores left out (moved to `unread`): an
 * ignored file is a local one — a secret, maybe — never to be committed on the planning branch.
 */
export async function loadDraft(repo: string, cwd: string, file: string): Promise<ReadDraft> {
  const draft = readDraft(repo, cwd, file);
  const pathsOf = (s: DraftSource) => s.files.map((f) => (f.rel ? `${s.source}/${f.rel}` : s.source));
  const plain = (p: string) => /^[^\x00-\x1f\x7f"\\]+$/.test(p); // printed as it is with core.quotePath=false
  const asked = draft.sources.flatMap(pathsOf).filter(plain);
  const ignored = asked.length ? (await git(repo, ['-c', 'core.quotePath=false', 'check-ignore', '--', ...asked], [0, 1])).stdout.split('\n').filter(Boolean) : [];
  const left = new Set(ignored);
  const keep: DraftSource[] = [];
  for (const s of draft.sources) {
    const paths = pathsOf(s);
    if (paths.some((p) => !plain(p))) draft.unread.push(`${s.copy} (a file name with control characters, quotes or backslashes: not copied)`);
    else if (paths.some((p) => left.has(p))) draft.unread.push(`${s.copy} (the repository ignores it: a local file is not copied onto the planning branch)`);
    else keep.push(s);
  }
  draft.sources = keep;
  return draft;
}

/** A task list the draft links to: a regular file inside the repository, or a folder's regular files (links and the rest skipped). */
function readSource(root: string, abs: string): { source: string; files: DraftSource['files'] } | { why: string } {
  const source = inside(root, realOrResolved(abs));
  if (source === null) return { why: 'outside the repository' };
  if (/^\.waves(\/|$)/.test(source) || source.split('/').includes('.git')) return { why: "in the engine's or git's own folder" };
  try {
    const st = fs.statSync(abs);
    if (st.isFile()) {
      if (st.size > MAX_DRAFT_BYTES) return { why: `larger than ${MAX_DRAFT_BYTES / 1024 / 1024} MiB` };
      return { source, files: [{ rel: '', bytes: readRegularFileSync(abs, { within: root }) }] };
    }
    if (!st.isDirectory()) return { why: 'not a file' };
    const files: DraftSource['files'] = [];
    let total = 0;
    const walk = (dir: string, prefix: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (files.length >= MAX_FOLDER_FILES || e.name === '.git') continue;
        const at = path.join(dir, e.name);
        const rel = prefix ? `${prefix}/${e.name}` : e.name;
        if (e.isDirectory()) walk(at, rel);
        else if (e.isFile()) {
          const bytes = readRegularFileSync(at, { within: root });
          total += bytes.length;
          if (total > MAX_DRAFT_BYTES) throw new PlanningError(`larger than ${MAX_DRAFT_BYTES / 1024 / 1024} MiB`);
          files.push({ rel, bytes });
        }
      }
    };
    walk(abs, '');
    return { source, files };
  } catch (err) {
    if (err instanceof PlanningError) return { why: err.message };
    return { why: err instanceof NotRegularFileError ? err.why : ((err as NodeJS.ErrnoException).code ?? String(err)) };
  }
}

/**
 * Writes the draft and its task lists into the planning folder of the worktree `tree` (round 0,
 * before any agent): each folder on the way made or found as a real folder, never followed through
 * a link (the person's committed tree could hold one), each file written anew in its place.
 */
export function writeDraftFiles(tree: string, planDir: string, draft: Pick<ReadDraft, 'text' | 'sources'>): void {
  const files: Array<{ rel: string; bytes: Buffer | string }> = [{ rel: PLAN_FILE_NAME, bytes: draft.text }];
  for (const s of draft.sources) for (const f of s.files) files.push({ rel: f.rel ? `${s.copy}/${f.rel}` : s.copy, bytes: f.bytes });
  for (const f of files) writeInside(tree, `${planDir}/${f.rel}`, f.bytes);
}

function writeInside(tree: string, rel: string, bytes: Buffer | string): void {
  const parts = rel.split('/').filter((p) => p && p !== '.');
  if (parts.some((p) => p === '..')) throw new PlanningError(`${rel}: not a path inside the planning folder`);
  let at = tree;
  for (const part of parts.slice(0, -1)) {
    at = path.join(at, part);
    const st = fs.lstatSync(at, { throwIfNoEntry: false });
    if (!st) fs.mkdirSync(at);
    else if (!st.isDirectory()) throw new PlanningError(`${path.relative(tree, at)} in the planning worktree is not a folder (a link, or a file): the draft is not written through it`);
  }
  const target = path.join(at, parts.at(-1)!);
  const st = fs.lstatSync(target, { throwIfNoEntry: false });
  if (st?.isDirectory()) throw new PlanningError(`${path.relative(tree, target)} in the planning worktree is a folder: the draft's file is not written over it`);
  if (st) fs.rmSync(target); // a file or a link of the committed tree: replaced, never written through
  fs.writeFileSync(target, bytes, { flag: 'wx' });
}

/**
 * Reading a feature's run from `.waves/` for a person, without a lease and without writing:
 * its run state (validated, never healed or moved), the live locks it holds, its report, an
 * attempt's prompt, and what a package changed (the audit's list, else git's diff) or a file
 * at a commit — what `waves status` / `report` and the editor's Show Run Report, Show Prompt
 * and Show Changes read, the same way.
 */
import fs from 'node:fs';
import { isLiveLock, type LockEntry } from '../../core/run/lockTable';
import { LockTableStore } from '../../store/lockTableStore';
import { attemptDir, attemptFiles, reportFiles, runStateFile } from '../../core/run/runPaths';
import type { PackageRunRecord, RunState } from '../../core/run/runState';
import { validateRunState } from '../../core/run/runStateValidation';
import { git } from '../git';

export type RunRead =
  | { kind: 'none'; file: string }
  | { kind: 'bad'; file: string; detail: string }
  /** `newer`: written by a newer version (shown read-only). */
  | { kind: 'ok'; file: string; state: RunState; newer: boolean };

/** The feature's run state, read only (never healed, moved or written). */
export function readRun(repo: string, featureId: string): RunRead {
  const file = runStateFile(repo, featureId);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none', file };
    return { kind: 'bad', file, detail: (err as Error).message };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { kind: 'bad', file, detail: `not valid JSON (${(err as Error).message}); it may be mid-write, try again` };
  }
  const v = validateRunState(raw, featureId);
  if (v.ok) return { kind: 'ok', file, state: v.state, newer: false };
  if (v.code === 'newer-version' && v.state) return { kind: 'ok', file, state: v.state, newer: true };
  return { kind: 'bad', file, detail: v.detail };
}

/** Whether the feature has a run state file at all. */
export function hasRun(repo: string, featureId: string): boolean {
  return fs.existsSync(runStateFile(repo, featureId));
}

/** The live locks of the feature in the repository's lock table, and problems reading it. */
export function liveLocks(repo: string, featureId: string, now: number = Date.now()): { locks: LockEntry[]; problems: string[] } {
  const problems: string[] = [];
  const locks = new LockTableStore(repo, { onProblem: (m) => problems.push(m) })
    .read()
    .locks.filter((l) => l.featureId === featureId && isLiveLock(l, new Date(now)));
  return { locks, problems };
}

export type ReportRead =
  | { ok: true; file: string; text: string }
  /** `running`: the run is still going (its report comes at its end); `stopped`: it ended without one. */
  | { ok: false; file: string; why: 'running' | 'stopped' };

/** The report of the run in `state` (report.md, or report.json). */
export function readReport(repo: string, state: RunState, format: 'markdown' | 'json' = 'markdown'): ReportRead {
  const file = reportFiles(repo, state.featureId, state.runId)[format];
  try {
    return { ok: true, file, text: fs.readFileSync(file, 'utf8') };
  } catch {
    const active = Object.values(state.packages).some((p) => ['queued', 'running', 'verifying'].includes(p.status));
    return { ok: false, file, why: active ? 'running' : 'stopped' };
  }
}

/** The prompt file of a package's latest attempt in `state`, when it exists. */
export function attemptPrompt(repo: string, state: RunState, packageId: string): string | null {
  const record = state.packages[packageId];
  if (!record || record.attempts < 1) return null;
  const file = attemptFiles(attemptDir(repo, state.featureId, state.runId, packageId, record.attempts)).prompt;
  return fs.existsSync(file) ? file : null;
}

/** The files a package changed: the audit's list, else git's diff of its branch against its base. */
export async function packageChanges(repo: string, record: Pick<PackageRunRecord, 'changedFiles' | 'baseSha' | 'headSha' | 'branch'>): Promise<{ path: string; change: string }[]> {
  if (record.changedFiles.length) return record.changedFiles;
  const head = record.headSha ?? record.branch;
  if (!record.baseSha || !head) return [];
  return changesBetween(repo, record.baseSha, head);
}

/** The files changed from `base` to `head` (`git diff base...head`), with git's status letter each. */
export async function changesBetween(repo: string, base: string, head: string): Promise<{ path: string; change: string }[]> {
  const r = await git(repo, ['diff', '--name-status', '--no-renames', '-z', `${base}...${head}`], [0, 128]);
  const parts = r.stdout.split('\0').filter(Boolean);
  const out: { path: string; change: string }[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) out.push({ change: parts[i]!, path: parts[i + 1]! });
  return out;
}

/** A file's text at a commit (read-only); '' when it does not exist there. */
export async function fileAtCommit(repo: string, ref: string, file: string): Promise<string> {
  const r = await git(repo, ['show', `${ref}:${file}`], [0, 128]);
  return r.code === 0 ? r.stdout : '';
}

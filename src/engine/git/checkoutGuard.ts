/**
 * The person's checkout while agents run (docs/security.md, "Writes outside the package's
 * tree"). Agents whose sandbox allows more than their tree (the temp folder, the home folder)
 * can write into the person's checkout, or move the person's branch through the refs all
 * worktrees share. The engine cannot stop that, but it sees it: a fingerprint of the checkout
 * (HEAD and the branch it names, and every changed or untracked file's status, size and
 * modification time) is taken when an attempt starts and compared when it ends; a difference
 * is a breach of that package (exit.ts). Ignored files are not fingerprinted (a build's
 * output would be too much); the run's own `.waves/` is excluded by the repository's exclude.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseStatusV2Z } from '../../core/run/gitParse';
import { git } from './gitRun';

/** path → `XY size mtime`; `HEAD_KEY` → `ref sha`. */
export type CheckoutFingerprint = Map<string, string>;

/** The key of HEAD in a fingerprint (no path can hold a NUL). */
const HEAD_KEY = '\u0000HEAD';

/** The checkout's fingerprint now; `ignore`: repo-relative paths left out (the plan file, which the person may edit during a run). */
export async function snapshotCheckout(repo: string, ignore: readonly string[] = []): Promise<CheckoutFingerprint> {
  // One process: v2's branch headers say what `symbolic-ref HEAD` and `rev-parse HEAD` would.
  const status = parseStatusV2Z((await git(repo, ['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all', '--no-renames'])).stdout);
  const out: CheckoutFingerprint = new Map();
  out.set(HEAD_KEY, `${status.branch !== null ? `refs/heads/${status.branch}` : 'detached'} ${status.head ?? 'none'}`);
  for (const e of status.entries) {
    // A nested repository or worktree (a folder entry) and the engine's own folder are not the person's files.
    if (e.path.endsWith('/') || e.path === '.waves' || e.path.startsWith('.waves/') || ignore.includes(e.path)) continue;
    let stat = 'missing';
    try {
      const st = fs.lstatSync(path.join(repo, e.path));
      stat = `${st.size} ${st.mtimeMs}`;
    } catch {
      // deleted: the status says so
    }
    out.set(e.path, `${e.index}${e.worktree} ${stat}`);
  }
  return out;
}

/** What differs from `before`, for a person: file paths, and `HEAD (main moved …)` when the branch or HEAD moved. */
export async function changedSince(repo: string, before: CheckoutFingerprint, ignore: readonly string[] = []): Promise<string[]> {
  const now = await snapshotCheckout(repo, ignore);
  const out: string[] = [];
  const headBefore = before.get(HEAD_KEY);
  const headNow = now.get(HEAD_KEY);
  if (headBefore !== headNow) out.push(`HEAD: ${headBefore ?? '?'} → ${headNow ?? '?'}`);
  for (const key of new Set([...before.keys(), ...now.keys()])) {
    if (key === HEAD_KEY) continue;
    if (before.get(key) !== now.get(key)) out.push(key);
  }
  return out.sort();
}

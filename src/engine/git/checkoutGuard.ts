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
import { parseStatusV2Z } from '../../core/git/gitParse';
import { git } from './gitRun';
import { isOwnTempOf } from '../../store/atomicWrite';

/** path → `XY size mtime`; `HEAD_KEY` → `ref sha`. */
export type CheckoutFingerprint = Map<string, string>;

/** The key of HEAD in a fingerprint (no path can hold a NUL). */
const HEAD_KEY = '\u0000HEAD';

/** The checkout's fingerprint now; `ignore`: repo-relative paths left out (the plan file, which the person may edit during a run, the task lists a run ticks), with this process's writes of them under way. */
export async function snapshotCheckout(repo: string, ignore: readonly string[] = []): Promise<CheckoutFingerprint> {
  // One process: v2's branch headers say what `symbolic-ref HEAD` and `rev-parse HEAD` would.
  const status = parseStatusV2Z((await git(repo, ['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all', '--no-renames'])).stdout);
  const out: CheckoutFingerprint = new Map();
  out.set(HEAD_KEY, `${status.branch !== null ? `refs/heads/${status.branch}` : 'detached'} ${status.head ?? 'none'}`);
  for (const e of status.entries) {
    // A nested repository or worktree (a folder entry) and the engine's own folder are not the person's files.
    // Nor an ignored file, nor the engine's own write of one under way (a task list ticked while packages run).
    if (e.path.endsWith('/') || e.path === '.waves' || e.path.startsWith('.waves/') || ignore.some((i) => i === e.path || isOwnTempOf(e.path, i))) continue;
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
  return checkoutChanges(before, await snapshotCheckout(repo, ignore));
}

/** What differs between two fingerprints of the checkout, as `changedSince` says it. */
export function checkoutChanges(before: CheckoutFingerprint, now: CheckoutFingerprint): string[] {
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

/** What `putBranchBack` did: the branch put back, or why it was left where it was moved. */
export type BranchPutBack = { putBack: true; branch: string; from: string; to: string } | { putBack: false; why: string };

/** HEAD of a fingerprint: the branch it names (null: detached or unknown) and its commit (null: none). */
function headOf(fingerprint: CheckoutFingerprint): { ref: string | null; sha: string | null } {
  const [ref, sha] = (fingerprint.get(HEAD_KEY) ?? 'detached none').split(' ');
  return { ref: ref && ref !== 'detached' ? ref : null, sha: sha && /^[0-9a-f]{40,64}$/.test(sha) ? sha : null };
}

function sameFingerprint(a: CheckoutFingerprint, b: CheckoutFingerprint): boolean {
  return a.size === b.size && [...a].every(([key, value]) => b.get(key) === value);
}

/**
 * The person's branch moved while an attempt ran: HEAD still names the same branch, at
 * another commit. It is put back only where the engine can tell the move was an agent's and
 * that nothing else of the checkout changed: the commit it was moved to is in the history of
 * one of `ownRefs` (the run's own branches: a commit of its agents) and not in the history of
 * where it was (a move back in history could be the person's); the branch is moved back by a
 * compare-and-swap `update-ref`, and then the checkout must be exactly as fingerprinted (its
 * files untouched: the moved branch only made them look changed), else the branch is moved
 * forward again (compare-and-swap too) and left where it was moved. A switched HEAD (another
 * branch, a detached HEAD) is never switched back: the person may have switched it. Null when
 * HEAD did not move.
 */
export async function putBranchBack(repo: string, before: CheckoutFingerprint, ownRefs: string, ignore: readonly string[] = []): Promise<BranchPutBack | null> {
  const was = headOf(before);
  const now = headOf(await snapshotCheckout(repo, ignore));
  if (was.ref === now.ref && was.sha === now.sha) return null;
  if (!was.ref || !was.sha || !now.sha || was.ref !== now.ref) {
    const where = now.ref ? `names ${now.ref.replace(/^refs\/heads\//, '')}` : 'is detached';
    return { putBack: false, why: `HEAD ${where} now: a switched checkout is not switched back (you may have switched it)` };
  }
  const branch = was.ref.replace(/^refs\/heads\//, '');
  const ours = (await git(repo, ['for-each-ref', '--count=1', '--format=%(refname)', '--contains', now.sha, ownRefs])).stdout.trim();
  if (!ours) return { putBack: false, why: `${branch} was moved to ${now.sha.slice(0, 12)}, which is on none of this run's branches: the engine cannot tell an agent moved it` };
  if ((await git(repo, ['merge-base', '--is-ancestor', now.sha, was.sha], [0, 1])).code === 0) {
    return { putBack: false, why: `${branch} was moved back in its own history (to ${now.sha.slice(0, 12)}): the engine cannot tell an agent moved it` };
  }
  const message = 'Wave Orchestrator: put back (moved while an agent ran)';
  if ((await git(repo, ['update-ref', '-m', message, was.ref, was.sha, now.sha], [0, 1, 128])).code !== 0) return { putBack: false, why: `${branch} moved again while the engine put it back` };
  if (sameFingerprint(before, await snapshotCheckout(repo, ignore))) return { putBack: true, branch, from: now.sha, to: was.sha };
  // Files of the checkout changed too: the branch goes back where it was moved, and stays there.
  const forward = await git(repo, ['update-ref', '-m', 'Wave Orchestrator: left where it was moved (the checkout changed too)', was.ref, now.sha, was.sha], [0, 1, 128]);
  const also = forward.code === 0 ? '' : ` (and it could not be moved forward again: ${forward.stderr.trim()})`;
  return { putBack: false, why: `${branch} was moved to ${now.sha.slice(0, 12)} and files of your checkout changed as well: it is left there${also}` };
}

/**
 * The end of a run, for both front ends: the finish offer — what the run's integration
 * branch holds and whether the person's branch (the one checked out in the main worktree) can
 * be fast-forwarded to it without losing anything: no commit of the branch, no uncommitted
 * change, no file of the person's that git does not track, ignored ones included (git/fastForward.ts
 * `fastForwardOffer`) — and, on the
 * person's yes, the fast-forward itself; then the safe clean-up of the run's worktrees
 * (`removeWorktreeIfSafe`: clean and merged only, never forced). Nothing is offered, moved or
 * removed while a live lease says another process drives the run; the lease is checked again
 * right before the fast-forward, as the person may have taken a while to answer.
 *
 * A planned feature's run lives in its planning worktree, on `waves-plan/<id>`; its end — the
 * plan, its contracts and the merged work, all on the integration branch — goes to the person's
 * checkout the session was planned from, with the same checks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { packageBranch, worktreePath } from '../../core/run/runPaths';
import { isActive, type MergeRecord, type RunState } from '../../core/run/runState';
import { describeDriver, driverOf } from '../run';
import { finishCheckoutOf } from '../planning';
import { dropCheckTree, dropMadeAhead, dropStaleLayers, fastForward, FastForwardRefusedError, fastForwardOffer, git, listWorktrees, madeAheadAt, removeWorktreeIfSafe, revParse, type FastForwardOffer, type LocalFile } from '../git';
import { dropUnusedSharedInstalls } from '../attempt';
import { gitDirsOf } from '../../store/gitDirs';

export type { FastForwardOffer, LocalFile } from '../git';

export type FinishOffer =
  /** Nothing to finish: the run has no integration branch, or it is gone (`why`). */
  | { kind: 'nothing'; why: string }
  | {
      kind: 'offer';
      integrationBranch: string;
      /** The integration branch's tip. */
      tip: string;
      merged: [string, MergeRecord][];
      notMerged: string[];
      /** The checkout whose branch is brought up to date: the run's repository, or — for a planned feature's run — the person's checkout it was planned from. */
      checkout: string;
      /** The person's branch (checked out in `checkout`); null when HEAD is detached. */
      branch: string | null;
      /** `git log --oneline` of the tip's commits HEAD lacks (null when git could not say). */
      commits: string[] | null;
      /** The fast-forward git allows; null when none is offered (`blocked` says why). */
      offer: FastForwardOffer | null;
      /** Why no fast-forward is offered, in a person's words; null when one is. */
      blocked: string | null;
      /** The person's files git does not track (ignored ones included) that the fast-forward would overwrite or delete: then none is offered. */
      inTheWay: LocalFile[];
      /** The person's branch is at the tip already. */
      upToDate: boolean;
    };

/** What finishing the run in `state` can do now. Changes nothing. */
export async function finishOffer(repo: string, state: RunState, now: number = Date.now()): Promise<FinishOffer> {
  const integration = state.integration;
  if (!integration) return { kind: 'nothing', why: `run ${state.runId} has no integration branch yet: nothing was merged` };
  const tip = await revParse(repo, `refs/heads/${integration.branch}`);
  if (!tip) return { kind: 'nothing', why: `the integration branch ${integration.branch} does not exist any more` };
  const merged = Object.entries(state.merges).filter(([, m]) => m.status === 'merged');
  const notMerged = Object.keys(state.packages).filter((id) => state.merges[id]?.status !== 'merged');
  const checkout = await finishCheckoutOf(repo);
  const head = await git(checkout, ['symbolic-ref', '--quiet', '--short', 'HEAD'], [0, 1, 128]);
  const branch = head.code === 0 ? head.stdout.trim() : null;
  const log = await git(checkout, ['log', '--oneline', '--no-decorate', `HEAD..${tip}`], [0, 128]);
  const commits = log.code === 0 ? log.stdout.split('\n').filter((l) => l.trim() !== '') : null;
  const base = { kind: 'offer' as const, integrationBranch: integration.branch, tip, merged, notMerged, checkout, branch, commits, upToDate: false, inTheWay: [] as LocalFile[] };

  const driver = driverOf(repo, state.featureId, now);
  if (driver?.alive) return { ...base, offer: null, blocked: `the run is still going (${describeDriver(driver)}); let it end first` };
  if (!branch) return { ...base, offer: null, blocked: `HEAD is not on a branch (detached)${checkout !== repo ? ` in ${checkout}` : ''}; check out the branch to bring up to date first` };
  const offer = await fastForwardOffer(checkout, branch, integration.branch);
  if (!offer.possible) return { ...base, offer: null, blocked: offer.reason, inTheWay: offer.inTheWay, upToDate: offer.from !== null && offer.from === offer.to };
  return { ...base, offer, blocked: null };
}

export type FinishResult = { ok: true; to: string } | { ok: false; why: string };

/**
 * Carries out an offer the person accepted: refused when a live lease now says someone
 * drives the run, or when the offer no longer holds — a branch moved, or a file of the
 * person's that git does not track now stands where the change writes (git/fastForward.ts
 * `fastForward` checks the offer again); nothing is changed then.
 */
export async function fastForwardTo(repo: string, featureId: string, offer: FastForwardOffer, now: number = Date.now()): Promise<FinishResult> {
  const driver = driverOf(repo, featureId, now);
  if (driver?.alive) return { ok: false, why: `the run is going again (${describeDriver(driver)}); nothing was changed` };
  try {
    return { ok: true, to: await fastForward(repo, offer) };
  } catch (err) {
    if (err instanceof FastForwardRefusedError) return { ok: false, why: `no fast-forward (nothing was changed): ${err.reason}` };
    return { ok: false, why: `git refused the fast-forward (nothing was changed): ${err instanceof Error ? err.message : String(err)}` };
  }
}

export interface CleanUpResult {
  removed: string[];
  kept: { path: string; why: string }[];
}

/**
 * Removes the run's package worktrees that are clean and merged into the integration branch,
 * the trees made ahead for packages that never started while exactly as made (ADR 0016: an
 * engine that stopped without its end leaves them), then the integration worktree when it is
 * merged into the person's branch. Never forced; nothing is removed while another process
 * drives the run or a package is active.
 */
export async function cleanUpWorktrees(repo: string, state: RunState, now: number = Date.now()): Promise<CleanUpResult> {
  const result: CleanUpResult = { removed: [], kept: [] };
  const integration = state.integration;
  const trees: { worktree: string; branch: string; mergedInto: string; packageId?: string; madeAt?: string }[] = [];
  for (const record of Object.values(state.packages)) {
    if (!integration) continue;
    // Best of n: its candidates' trees too (one not merged is kept, saying so: its work is there for a look).
    for (const c of record.candidates ?? []) {
      if (c.branch && c.worktree && c.worktree !== record.worktree) trees.push({ worktree: c.worktree, branch: c.branch, mergedInto: integration.branch, packageId: record.packageId });
    }
    if (record.branch) {
      trees.push({ worktree: record.worktree ?? worktreePath(repo, state.featureId, record.packageId), branch: record.branch, mergedInto: integration.branch, packageId: record.packageId });
      continue;
    }
    const ahead = worktreePath(repo, state.featureId, record.packageId);
    const madeAt = madeAheadAt(ahead);
    if (madeAt) trees.push({ worktree: ahead, branch: packageBranch(state.featureId, record.packageId), mergedInto: madeAt, packageId: record.packageId, madeAt });
  }
  // Merged into the person's branch: for a planned feature's run, the checkout it was planned from.
  const checkout = await finishCheckoutOf(repo);
  const personHead = checkout === repo ? 'HEAD' : ((await revParse(checkout, 'HEAD')) ?? 'HEAD');
  if (integration) trees.push({ worktree: integration.worktree, branch: integration.branch, mergedInto: personHead });
  const driver = driverOf(repo, state.featureId, now);
  for (const t of trees) {
    if (driver?.alive) {
      result.kept.push({ path: t.worktree, why: `the run is going (${describeDriver(driver)})` });
      continue;
    }
    const record = t.packageId ? state.packages[t.packageId] : undefined;
    if (record && isActive(record.status)) {
      result.kept.push({ path: t.worktree, why: `${record.packageId} is ${record.status}` });
      continue;
    }
    if (t.madeAt) {
      if (await dropMadeAhead(repo, t.worktree, t.branch, t.madeAt).catch(() => false)) result.removed.push(t.worktree);
      else result.kept.push({ path: t.worktree, why: `made ahead for ${t.packageId ?? 'a package'}, it changed since: kept` });
      continue;
    }
    const r = await removeWorktreeIfSafe({ repo, worktree: t.worktree, branch: t.branch, mergedInto: t.mergedInto });
    if (r.removed) result.removed.push(t.worktree);
    else if (r.reason && !/is not a worktree of/.test(r.reason)) result.kept.push({ path: t.worktree, why: r.reason });
  }
  // The integration guard's scratch tree beside the integration tree, which an engine stopped during a check leaves: it holds nothing of anyone's.
  const check = integration ? path.join(path.dirname(integration.worktree), '_check') : null;
  if (check && !driver?.alive && fs.existsSync(check)) {
    await dropCheckTree(repo, check).catch(() => undefined);
    if (!fs.existsSync(check)) result.removed.push(check);
    else result.kept.push({ path: check, why: 'git refused to remove the integration guard\'s scratch tree' });
  }
  // The node_modules installed once for the trees with the same lockfile (ADR 0026) that no tree left lays.
  if (!driver?.alive) {
    const dirs = gitDirsOf(repo);
    let common: string | null = null;
    try {
      common = dirs ? fs.realpathSync(dirs.commonDir) : null;
    } catch {
      // no git folder to look in
    }
    const left = await listWorktrees(repo).catch(() => null);
    const linked = left?.filter((w) => !w.bare && path.resolve(w.path) !== path.resolve(repo)).map((w) => w.path);
    if (common && linked) result.removed.push(...dropUnusedSharedInstalls(common, linked));
    // The shared checkouts layered trees lay over (ADR 0032) that no tree left lays over.
    if (common && linked) result.removed.push(...(await dropStaleLayers(common, linked).catch(() => [])));
  }
  return result;
}

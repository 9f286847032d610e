/**
 * Merging: the integration branch `waves/<feature>/_integration` in its own worktree, and
 * each succeeded package's audited commit merged into it (a two-parent merge commit of the
 * `merge-tree` result, audited again before it is committed), one batch at a time: packages
 * that ended while a merge ran are merged in order and land together. A conflict fails the package with the files listed; its branch keeps
 * the work. The user's branch and working tree are never touched; no `--force`, no reset.
 */
import type { PlanPackage } from '../../core/plan/model';
import { integrationBranch, integrationPath } from '../../core/run/runPaths';
import { recordMerge, setIntegration } from '../../core/run/runStateReducer';
import { errorText, type RunContext } from './context';
import type { LandedMerges } from './handoffs';
import { auditScope, type AuditChange } from '../../core/run/audit';
import { commitMerge, ensureIntegration, git, headCommit, integrationState, isAncestor, mergeTreeCheck, treeChanges, treeRawChanges, writeMergeChain, writeMergeCommit, commitOnDisk, repoDirs, type MergeCheck, type PreparedMerge } from '../git';
import { chainable, chainMatches, type ChainCandidate } from '../../core/git/mergeChain';
import type { RawChange } from '../../core/git/gitParse';

/** What a merge reads before it writes anything: already merged?, `merge-tree`'s result, and (clean, not merged) what the merged tree changes against the tip. */
interface MergeReads {
  already: boolean;
  check: MergeCheck;
  effect: Promise<AuditChange[]> | null;
  /** The merge commit of `check.tree` on the tip (clean, not merged): written, referenced by nothing until it lands. */
  merge: Promise<string> | null;
}

/** The merge commit's message. */
const mergeMessage = (id: string, integrationBranch: string) => `waves: merge ${id} into ${integrationBranch}`;

/** A merge asked for and not yet settled. */
interface Waiting {
  pkg: PlanPackage;
  commit: string;
  settled: boolean;
  done: (result: boolean | Error) => void;
}

/** A merge of the batch made and waiting to land: the package's, the files it brings, its merge commit. */
interface Landing {
  w: Waiting;
  files: string[];
  commit: string;
}

function settle(w: Waiting, result: boolean | Error): void {
  if (w.settled) return;
  w.settled = true;
  w.done(result);
}

export class Merges {
  /** Merges asked for and not yet begun: the next batch. */
  private readonly waiting: Waiting[] = [];
  /** Whether a batch is being merged (one at a time). */
  private draining = false;
  /** A merge's reads started while its package was audited, by commit, with the tip they read against (`readAhead`). */
  private readonly readsAhead = new Map<string, { tip: string; reads: Promise<MergeReads> }>();

  constructor(
    private readonly ctx: RunContext,
    /** Told of the merges that landed (the integration guard). */
    private readonly landings: LandedMerges,
  ) {}

  /**
   * The integration branch and its worktree, from the user's HEAD for a new run. An earlier
   * run's branch that the user's branch already holds is fast-forwarded to HEAD; one holding
   * commits the user's branch lacks is kept (the run builds on them, with a problem said).
   */
  async ensureIntegration(): Promise<void> {
    const { ctx } = this;
    const head = await headCommit(ctx.repoRoot);
    const integration = await ensureIntegration({
      repo: ctx.repoRoot,
      branch: integrationBranch(ctx.featureId),
      worktree: integrationPath(ctx.repoRoot, ctx.featureId, ctx.options.worktreesFolder),
      base: head,
      reason: `Wave Orchestrator: integration branch of ${ctx.featureId}`,
    });
    let { tipSha, baseSha } = integration;
    if (!ctx.state.integration && tipSha !== head) {
      // A new run of the feature on an integration branch of an earlier run.
      if (await isAncestor(ctx.repoRoot, tipSha, head)) {
        await git(integration.worktree, ['merge', '--ff-only', '-q', head]);
        tipSha = baseSha = head;
      } else {
        ctx.problem(`${integration.branch} holds commits your branch lacks (an earlier run's); this run builds on them.`);
      }
    }
    const base = ctx.state.integration?.baseSha ?? baseSha;
    ctx.update(setIntegration(ctx.state, { branch: integration.branch, worktree: integration.worktree, baseSha: base, tipSha }, ctx.clock()));
  }

  /**
   * Starts what a merge of `commit` begins with — already merged? `merge-tree` on the integration
   * tip, what the merged tree changes against the tip, and the merge commit of that tree — while
   * the package is still audited and verified (three rounds of git off the handoff's
   * path). Only when no merge is under way or waiting (the tip would move) and the commit is
   * already in the engine's repository (a host's commit arrives with `handBack`). The merge uses
   * them only when the tip is still the one they read (the merge commit is dated when it was
   * written); they change no ref and no tree, and audit nothing: the merge audits what they read.
   */
  readAhead(id: string, commit: string): void {
    const integration = this.ctx.state.integration;
    if (!integration || this.draining || this.waiting.length > 0 || this.readsAhead.has(commit)) return;
    const dirs = repoDirs(integration.worktree);
    if (!dirs || !commitOnDisk(dirs.commonDir, commit)) return;
    const tip = integration.tipSha;
    const reads = this.readsNow(integration.worktree, commit, tip, mergeMessage(id, integration.branch));
    reads.catch(() => undefined); // a failed read is asked again by the merge
    this.readsAhead.set(commit, { tip, reads });
    // Those of packages that never reached their merge (a failed audit) go, oldest first.
    if (this.readsAhead.size > 16) this.readsAhead.delete(this.readsAhead.keys().next().value!);
  }

  /**
   * A merge's reads of `commit` on `tip`: the two checks at once, then (when clean and not merged
   * yet) what the merged tree changes, while its merge commit is written (referenced by nothing
   * until the fast-forward, which happens only after every audit).
   */
  private async readsNow(wt: string, commit: string, tip: string, message: string, withCommit = true): Promise<MergeReads> {
    const [already, check] = await Promise.all([isAncestor(wt, commit, tip), mergeTreeCheck(wt, tip, commit)]);
    const clean = !already && check.clean;
    const effect = clean ? treeChanges(wt, tip, check.tree) : null;
    const merge = clean && withCommit ? writeMergeCommit(wt, tip, commit, check.tree, message) : null;
    // Awaited by the merge, which asks again on a failure.
    effect?.catch(() => undefined);
    merge?.catch(() => undefined);
    return { already, check, effect, merge };
  }

  /** The reads of a merge of `commit` on `tip`: those read ahead when they were on this tip, else now (`withCommit`: its merge commit written too). */
  private async mergeReads(wt: string, commit: string, tip: string, message: string, withCommit = true): Promise<MergeReads> {
    const ahead = this.readsAhead.get(commit);
    this.readsAhead.delete(commit);
    if (ahead && ahead.tip === tip) {
      try {
        return await ahead.reads;
      } catch {
        // asked again below
      }
    }
    return this.readsNow(wt, commit, tip, message, withCommit);
  }

  /**
   * Merges the package's audited commit after every merge asked before it (never two batches at
   * once); true when merged. Merges asked while a batch runs make the next batch, landed together.
   */
  serialMerge(pkg: PlanPackage, commit: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ pkg, commit, settled: false, done: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      // Merges asked in the same turn of the event loop make one batch.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0);
        try {
          await this.mergeBatch(batch);
        } catch (err) {
          for (const w of batch) if (!w.settled) settle(w, err instanceof Error ? err : new Error(String(err)));
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * Merges each commit of `batch` — the commit the audit judged, by its id, never a branch name an
   * agent could move — into the integration branch: `merge-tree` computes the merged tree without
   * a work tree, what that tree changes against the tip is audited against the package's scope once
   * more (a history that brings anything else — another branch merged in, a rewritten base — is a
   * violation), and exactly that tree is committed on that tip. Packages whose merges on the
   * batch's tip change paths no other touches are read all at once and written as one chain
   * (`chainFirst`); the others follow one at a time, each on the tip the one before made
   * (`mergeOne`: two rounds of git each). The commits of the batch land together: one check that
   * the integration worktree is clean and where the run left it, one `merge --ff-only`
   * (git/integration.ts commitMerge), then each is recorded. A conflict fails that package with the
   * files listed (its branch keeps the work) and the batch goes on without it.
   */
  private async mergeBatch(batch: Waiting[]): Promise<void> {
    const { ctx } = this;
    const integration = ctx.state.integration!;
    const wt = integration.worktree;
    for (const w of batch) ctx.mark('merge-start', w.pkg.id);
    // From the tip the run last recorded, while the integration worktree's HEAD is read; a HEAD
    // elsewhere (a crash between a merge and its record) asks the first package's reads again from it.
    const known = integration.tipSha;
    const headRead = headCommit(wt);
    headRead.catch(() => undefined); // awaited by the first package; its failure is that package's
    let landed = known;
    let tip = known;
    let prepared: PreparedMerge | null = null;
    const landing: Landing[] = [];
    let rest = batch;
    let branches = new Map<Waiting, string>();
    /** HEAD was found at `known` (by `chainFirst`): the first package need not read it. */
    let headChecked = false;
    if (batch.length >= 2) {
      const chained = await this.chainFirst(batch, known, headRead);
      if (chained) {
        headChecked = true;
        ({ rest, branches } = chained);
        if (chained.landing.length > 0) {
          landing.push(...chained.landing);
          tip = chained.landing[chained.landing.length - 1]!.commit;
          prepared = chained.prepared;
        }
      }
    }
    for (const [i, w] of rest.entries()) {
      try {
        const first = i === 0 && !headChecked ? { known, headRead } : null;
        const step = await this.mergeOne(w, tip, first, i === rest.length - 1, branches.get(w));
        if (step.landed !== undefined) landed = tip = step.landed;
        if (step.landing) {
          landing.push({ w, ...step.landing });
          tip = step.landing.commit;
        }
        prepared = step.prepared ?? null;
      } catch (err) {
        // This package fails with git's words; the rest of the batch goes on from the same tip.
        settle(w, err instanceof Error ? err : new Error(String(err)));
        prepared = null;
      }
    }
    if (tip !== landed) {
      // The worktree must still be clean and at the tip the batch started from; then all of it lands at once.
      const state: PreparedMerge = prepared ?? { merge: tip, ...(await integrationState(wt)) };
      await commitMerge(wt, landed, { ...state, merge: tip });
      ctx.update(setIntegration(ctx.state, { ...ctx.state.integration!, tipSha: tip }, ctx.clock()));
    }
    for (const { w, files, commit } of landing) {
      ctx.update(recordMerge(ctx.state, w.pkg.id, { status: 'merged', files, commit }, ctx.clock()));
      ctx.emit({ type: 'merge', packageId: w.pkg.id, ok: true });
      settle(w, true);
    }
    if (landing.length > 0) this.landings.landed(landing.map((l) => l.w.pkg.id));
  }

  /**
   * The batch's merges on its tip `known`, read all at once (each package's branch handed back,
   * already merged?, `merge-tree`, what the merged tree changes, audited against the package's
   * scope); those that are clean, pass their audit and change paths no other of them touches
   * (core/git/mergeChain.ts `chainable`) are written as one chain by one `git fast-import`, and the
   * chain is checked: what its last commit changes against `known` must be exactly all of theirs,
   * else none of it is used. What it gives: the chain's landings (none when fewer than two could
   * go), the worktree's state read beside the check, the other packages in the batch's order, and
   * the branches handed back. Null when HEAD is not at `known` (the merges go one at a time from it).
   */
  private async chainFirst(
    batch: Waiting[],
    known: string,
    headRead: Promise<string>,
  ): Promise<{ landing: Landing[]; prepared: PreparedMerge | null; rest: Waiting[]; branches: Map<Waiting, string> } | null> {
    const { ctx } = this;
    const integration = ctx.state.integration!;
    const wt = integration.worktree;
    const branches = new Map<Waiting, string>();
    /** Each package's reads on `known`, kept for its merge one at a time when it does not chain and the tip is still `known`. */
    const readOn = new Map<Waiting, MergeReads>();
    const read = async (w: Waiting) => {
      branches.set(w, await ctx.executor.handBack(ctx.keyOf(w.pkg.id)));
      const reads = await this.mergeReads(wt, w.commit, known, mergeMessage(w.pkg.id, integration.branch), false);
      readOn.set(w, reads);
      if (reads.already || !reads.check.clean || !reads.effect) return null;
      const [effect, raw] = await Promise.all([reads.effect, treeRawChanges(wt, known, reads.check.tree)]);
      const audit = auditScope(effect, ctx.scopeOf(w.pkg.id));
      return audit.ok ? { w, effect, raw } : null;
    };
    // A read that fails leaves its package to be merged one at a time, where its failure is its own.
    const [head, reads] = await Promise.all([headRead.catch(() => null), Promise.all(batch.map((w) => read(w).catch(() => null)))]);
    if (head !== known) return null;
    const found = reads.filter((r): r is { w: Waiting; effect: AuditChange[]; raw: RawChange[] } => r !== null);
    const candidates: ChainCandidate[] = found.map((r) => ({ id: r.w.pkg.id, changes: r.raw }));
    const { chain } = chainable(candidates);
    const none = () => {
      // Merged one at a time from `known`: the first of them uses what was read on it.
      for (const [w, reads] of readOn) this.readsAhead.set(w.commit, { tip: known, reads: Promise.resolve(reads) });
      return { landing: [], prepared: null, rest: batch, branches };
    };
    if (chain.length < 2) return none();
    const links = chain.map((id) => found.find((r) => r.w.pkg.id === id)!);
    let commits: string[];
    let prepared: PreparedMerge;
    try {
      commits = await writeMergeChain(
        wt,
        known,
        links.map((l) => ({ commit: l.w.commit, message: mergeMessage(l.w.pkg.id, integration.branch), changes: l.raw })),
      );
      const last = commits[commits.length - 1]!;
      const [actual, state] = await Promise.all([treeRawChanges(wt, known, last), integrationState(wt)]);
      if (!chainMatches(links.map((l) => ({ changes: l.raw })), actual)) throw new Error('the chain of merges changes other than what its merges did');
      prepared = { merge: last, ...state };
    } catch {
      // Merged one at a time instead, each on the tip the one before made (its own failure said there).
      for (const l of links) ctx.mark('merge-chain-refused', l.w.pkg.id);
      return none();
    }
    for (const l of links) ctx.mark('merge-chain', l.w.pkg.id);
    const chained = new Set(links.map((l) => l.w));
    return {
      landing: links.map((l, i) => ({ w: l.w, files: l.effect.map((c) => c.path), commit: commits[i]! })),
      prepared,
      rest: batch.filter((w) => !chained.has(w)),
      branches,
    };
  }

  /**
   * One package of a batch, merged on `tip` in memory. `first` (the batch's first package only):
   * the tip the run recorded and the worktree's HEAD being read. What it gives: the tip to start
   * from instead (HEAD, when it was not where the run recorded), the merge to land, and — for the
   * batch's `last` — the worktree's status and HEAD read beside its commit.
   */
  private async mergeOne(
    w: Waiting,
    tipIn: string,
    first: { known: string; headRead: Promise<string> } | null,
    last: boolean,
    handedBack?: string,
  ): Promise<{ landed?: string; landing?: { files: string[]; commit: string }; prepared?: PreparedMerge }> {
    const { ctx } = this;
    const integration = ctx.state.integration!;
    const wt = integration.worktree;
    const { pkg, commit } = w;
    const id = pkg.id;
    let tip = tipIn;
    const out: { landed?: string; landing?: { files: string[]; commit: string }; prepared?: PreparedMerge } = {};
    const branch = handedBack ?? (await ctx.executor.handBack(ctx.keyOf(id)));
    const message = mergeMessage(id, integration.branch);
    let reads = await this.mergeReads(wt, commit, tip, message);
    if (first) {
      const head = await first.headRead;
      if (head !== first.known) {
        out.landed = tip = head;
        reads = await this.mergeReads(wt, commit, tip, message);
      }
    }
    const { already, check } = reads;
    if (already) {
      // Merged before a crash (resume): recorded with the batch.
      out.landing = { files: [], commit: tip };
      return out;
    }
    if (!check.clean) {
      const conflicts = check.conflicts;
      ctx.update(recordMerge(ctx.state, id, { status: 'conflict', files: conflicts }, ctx.clock()));
      ctx.emit({ type: 'merge', packageId: id, ok: false, conflicts });
      ctx.apply({
        type: 'failed',
        packageId: id,
        reason: `merge conflict with ${integration.branch} in ${conflicts.join(', ') || 'some files'}; the branch ${branch} keeps the work`,
      });
      settle(w, false);
      return out;
    }
    // What the merge changes (audited below) and its commit (both begun with the reads), and, for
    // the batch's last, the worktree's status and HEAD: at most one round of git here.
    const mergeCommit = reads.merge ? reads.merge.catch(() => writeMergeCommit(wt, tip, commit, check.tree, message)) : writeMergeCommit(wt, tip, commit, check.tree, message);
    const [effect, made] = await Promise.all([
      reads.effect ? reads.effect.catch(() => treeChanges(wt, tip, check.tree)) : treeChanges(wt, tip, check.tree),
      last
        ? Promise.all([mergeCommit, integrationState(wt)]).then(([merge, state]): PreparedMerge => ({ merge, ...state }))
        : mergeCommit.then((merge): PreparedMerge | { merge: string } => ({ merge })),
    ]);
    const audit = auditScope(effect, ctx.scopeOf(id));
    if (!audit.ok) {
      ctx.apply({
        type: 'scopeViolation',
        packageId: id,
        paths: audit.violations.map(({ path: p, change }) => ({ path: p, change })),
        reason: `merging ${commit.slice(0, 12)} would bring changes outside the scope: ${audit.violations.map((v) => v.message).join('; ')}`,
      });
      ctx.update(recordMerge(ctx.state, id, { status: 'skipped' }, ctx.clock()));
      settle(w, false);
      return out;
    }
    out.landing = { files: effect.map((c) => c.path), commit: made.merge };
    if ('dirty' in made) out.prepared = made;
    return out;
  }

  /** A merged package's tree goes when it is clean (never forced); its branch stays while git wants it. */
  async removeTree(pkg: PlanPackage): Promise<void> {
    const { ctx } = this;
    try {
      const r = await ctx.executor.removeTree(ctx.keyOf(pkg.id), ctx.state.packages[pkg.id]!.worktree ?? ctx.treeOf(pkg), ctx.state.integration!.branch);
      if (!r.removed && r.reason) ctx.problem(`Kept the worktree of ${pkg.id}: ${r.reason}`, pkg.id);
    } catch (err) {
      ctx.problem(`Kept the worktree ${ctx.treeOf(pkg)}: ${errorText(err)}`, pkg.id);
    }
  }
}

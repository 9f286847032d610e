/**
 * Launching an attempt: the package's locks (all or nothing, in the repository's table),
 * then — in the background, the pass does not wait — its tree from the integration tip (with
 * the set-up hook), its prompt and the runner's spec, the queued state saved, the runner
 * started through the executor, `started` recorded, and the attempt handed to the watcher.
 */
import { sliceFor } from '../../core/run/contextSlice';
import { randomBytes } from 'node:crypto';
import { sessionFor, sessionUuid, type SessionChoice } from '../../core/agents/agentSessions';
import { talkArgs, type AgentProfile, type TalkServer } from '../../core/agents/agentProfiles';
import { acquireLocks } from '../../core/run/lockTable';
import type { PlanPackage } from '../../core/plan/model';
import { timeoutMinutesOf } from '../../core/plan/defaults';
import { buildPrompt } from '../../core/run/prompt';
import { portEnvOf } from '../../core/run/portRange';
import { candidateKey, candidateOf, portIndexOf } from '../../core/run/candidates';
import { markSettingUp } from '../../core/run/runStateReducer';
import type { SchedPackage } from '../../core/run/schedule';
import { errorText, type RunContext } from './context';
import type { LiveAttempt } from './liveAttempts';
import type { LoopHandoffs } from './handoffs';
import { plannerPrompt } from './planners';
import { TalkBack } from './talkBack';
import { foldersToLay, runnerSpec, type AttemptPlace, type LaunchResult, type RunnerSpec } from '../attempt';
import { isCoordinatorUnavailable } from '../coordinator';
import type { AttemptWatcher } from './watch';
import type { Exits } from './exit';
import { NotRegularFileError } from '../../util/regularFile';

/** The prompt's answer section: only when the last attempt asked and the person answered. */
function answerOf(question: string | null | undefined, answer: string | undefined): { answer?: { question: string; answer: string } } {
  return question && answer && answer.trim() ? { answer: { question, answer: answer.trim() } } : {};
}

export class Launches {
  /** Each attempt's `waves` MCP server's end in the run (ADR 0036). */
  private readonly talk: TalkBack;

  constructor(
    private readonly ctx: RunContext,
    private readonly loop: LoopHandoffs,
    private readonly watcher: AttemptWatcher,
    private readonly exits: Exits,
  ) {
    this.talk = new TalkBack(ctx);
  }

  /**
   * Takes the package's locks (the pass waits for this, so the next schedule() sees them),
   * then launches it in the background: the pass does not wait for worktrees and runners.
   */
  async startPackage(id: string): Promise<void> {
    const { ctx } = this;
    // The one place an attempt starts: an adoption nobody asked for never gets here (loop.ts), and never may.
    if (ctx.options.collectOnly) throw new Error(`${id} was not started: an adoption nobody asked for starts no agent`);
    const pkg = ctx.pkg(id);
    const sp = ctx.sched.find((p) => p.id === id);
    if (!pkg || !sp) return;
    ctx.attempts.beginStart(id);
    let launching = false;
    try {
      const conflict = await this.takeLocks(id, sp);
      ctx.mark('locks-taken', id);
      if (conflict) {
        ctx.apply({ type: 'reset', packageId: id }, `waiting: ${conflict}`);
        ctx.holds.retryLocksAt(Date.now() + ctx.pollMs);
        return;
      }
      const launch: Promise<void> = this.launch(pkg).finally(() => {
        ctx.attempts.endLaunch(launch);
        ctx.attempts.endStart(id);
        this.loop.wake();
      });
      ctx.attempts.beginLaunch(launch);
      launching = true;
    } catch (err) {
      await this.couldNotStart(id, err);
    } finally {
      if (!launching) {
        ctx.attempts.endStart(id);
        this.loop.wake();
      }
    }
  }

  /** Locks: all or nothing in the repository's table; the conflict, or null when taken. A package without locks leaves the table alone. */
  private async takeLocks(id: string, sp: SchedPackage): Promise<string | null> {
    const { ctx } = this;
    if (sp.lockFiles.length === 0 && sp.lockKeys.length === 0) return null;
    let conflict: string | null = null;
    // A coordinator out of reach: the package waits like one whose lock is taken (joinCoordinator.ts).
    const away = (err: unknown) => {
      if (!isCoordinatorUnavailable(err)) throw err;
      conflict = 'the coordinator cannot be reached';
      // Told here: the loop does not tell it again while the coordinator stays away (loop.ts).
      ctx.holds.toldCoordinatorAway(id);
    };
    await ctx.locks.update((table) => {
      const taken = acquireLocks(
        table,
        {
          featureId: ctx.featureId,
          runId: ctx.state.runId,
          holder: id,
          files: sp.lockFiles,
          keys: sp.lockKeys,
          ...(sp.lockTtlMs ? { ttlMs: sp.lockTtlMs } : {}),
        },
        ctx.clock(),
      );
      if (taken.ok) return taken.table;
      const first = taken.conflicts[0];
      conflict = taken.problem ?? (first ? `${first.witness} is locked by ${first.entry.featureId}/${first.entry.holder}` : 'a lock is taken');
      return table;
    }).catch(away);
    return conflict;
  }

  /**
   * A start that failed because its host stopped answering: no failure of the package and
   * no retry spent — the host takes no package until it answers again, and this one goes back to
   * wait for a host (another, or this one when it is back). False: the host answers (or there is none).
   */
  private async hostWentAway(id: string, err: unknown): Promise<boolean> {
    const { ctx } = this;
    const host = ctx.executor.hostAway?.(id);
    if (!host || ctx.state.packages[id]?.status !== 'queued') return false;
    ctx.executor.markLost?.(host);
    await ctx.releaseLocksOf(id).catch(() => undefined);
    ctx.apply({ type: 'reset', packageId: id }, `waiting: its host ${host} cannot be reached (${errorText(err)}); it starts on a host that answers (no retry spent)`);
    return true;
  }

  /** An attempt that could not start: failed — a candidate alone (its set goes on without it), else the package with its locks released. */
  private async failedStart(id: string, k: number | undefined, reason: string): Promise<void> {
    const { ctx } = this;
    if (k === undefined) {
      await ctx.releaseLocksOf(id);
      ctx.apply({ type: 'failed', packageId: id, reason });
      return;
    }
    // A candidate's host that stopped answering takes nothing more until it answers again; the set goes on without it.
    const away = ctx.executor.hostAway?.(candidateKey(id, k));
    if (away) ctx.executor.markLost?.(away);
    const c = candidateOf(ctx.state.packages[id], k);
    if (c && (c.status === 'queued' || c.status === 'running')) ctx.apply({ type: 'failed', packageId: id, candidate: k, reason: away ? `${reason} (its host ${away} cannot be reached)` : reason });
    await this.exits.setSettled(id);
  }

  /** The package's time limit in ms (`timeout_minutes`), null: none. */
  private timeoutMsOf(pkg: PlanPackage): number | null {
    const minutes = timeoutMinutesOf(pkg, this.ctx.analysis.plan.defaults);
    return minutes ? Math.round(minutes * (this.ctx.options.minuteMs ?? 60_000)) : null;
  }

  /**
   * Its new tree's set-up command started: the package (or the candidate) shows as setting up its
   * worktree, not as queued — in the views, the progress lines, and on disk for `waves status`.
   */
  private settingUp(id: string, k: number | undefined, argv: readonly string[]): void {
    const { ctx } = this;
    const before = ctx.state;
    if (!ctx.update(markSettingUp(ctx.state, id, k, ctx.clock())) || ctx.state === before) return;
    const record = ctx.state.packages[id]!;
    ctx.emit({ type: 'package', packageId: id, status: record.status, attempt: record.attempts, detail: `${k ? `candidate ${k}: ` : ''}setting up its worktree (${argv.join(' ')})` });
    void ctx.store?.flush().catch(() => undefined);
  }

  /** Cancelled while its tree was readied (its set-up hook stopped): cancelled, not failed. */
  private async cancelledStart(id: string, k: number | undefined): Promise<void> {
    const { ctx } = this;
    const reason = 'cancelled while its worktree was set up';
    if (k === undefined) {
      await ctx.releaseLocksOf(id);
      if (ctx.state.packages[id]?.status === 'queued') ctx.apply({ type: 'cancelled', packageId: id, reason });
      return;
    }
    if (candidateOf(ctx.state.packages[id], k)?.status === 'queued') ctx.apply({ type: 'cancelled', packageId: id, candidate: k, reason });
    await this.exits.setSettled(id);
  }

  private async couldNotStart(id: string, err: unknown): Promise<void> {
    const { ctx } = this;
    if (await this.hostWentAway(id, err)) return;
    ctx.problem(`Could not start ${id}: ${errorText(err)}`, id);
    await ctx.releaseLocksOf(id).catch(() => undefined);
    const status = ctx.state.packages[id]?.status;
    if (status === 'queued' || status === 'running') ctx.apply({ type: 'failed', packageId: id, reason: `could not start: ${errorText(err)}` });
  }

  /**
   * The package's attempt — or, best of n (ADR 0031), its set of candidates, each launched as an
   * attempt of its own (its key, tree, branch, walls), side by side.
   */
  private async launch(pkg: PlanPackage): Promise<void> {
    const { ctx } = this;
    const set = ctx.setOf(pkg);
    if (!set) return this.launchAttempt(pkg, null);
    const agents = ctx.candidateAgents(pkg, set);
    ctx.attempts.candidatesStart(agents.map((_, i) => candidateKey(pkg.id, i + 1)));
    if (!ctx.apply({ type: 'candidates', packageId: pkg.id, agents: agents.map((a) => a.id) }, `${agents.length} candidates: ${agents.map((a) => a.label).join(', ')}`)) return;
    await Promise.all(agents.map((agent, i) => this.launchAttempt(pkg, { k: i + 1, agent })));
  }

  /**
   * One attempt: its tree, its prompt and spec, and the queued state on disk — at once, since
   * none needs another (the tree's path is known before it exists) — then the runner.
   */
  private async launchAttempt(pkg: PlanPackage, candidate: { k: number; agent: AgentProfile } | null): Promise<void> {
    const { ctx } = this;
    const id = pkg.id;
    const key = candidate ? candidateKey(id, candidate.k) : id;
    const as = candidate ? { candidate: candidate.k } : {};
    // A runner started ahead carries its token from its start (runnerPool.ts): the spec names it.
    let taken: string | null = null;
    let handed = false;
    try {
      const attempt = ctx.state.packages[id]!.attempts + 1;
      const place = ctx.attemptOf(key, attempt);
      const worktree = ctx.executor.treePath(key, ctx.isolated(pkg));
      const agent = candidate?.agent ?? ctx.agentOf(id);
      ctx.attempts.launchedWith(key, agent.id);
      const token = ctx.executor.startToken?.(key) ?? randomBytes(16).toString('hex');
      taken = token;
      // Where it runs: a candidate is placed on its own (best of n; holds.ts), candidate 1 by the package's id.
      const host = ctx.executor.hostOf?.(key) ?? null;
      // Its CLI's session: the one that asked, resumed with the person's answer; else a new one (a candidate's always).
      const session = sessionFor(agent, candidate ? {} : ctx.state.packages[id]!, ctx.options.answers?.[id], host, () => sessionUuid(randomBytes(16)));

      // Its tree from an earlier attempt that landed (a package the integration guard sent back) is removed first, as it was before.
      await this.loop.afterStartDone(id);
      // A cancel while the tree is readied stops its set-up hook (it may hang: a tool retrying a registry the walls refuse).
      const readying = ctx.attempts.readyingTree(key);
      const timeoutMs = this.timeoutMsOf(pkg);
      const tree = ctx.executor.prepareTree({
        packageId: key,
        isolated: ctx.isolated(pkg),
        // The integration branch's tip: every dependency's merged result (shared packages too: never the person's HEAD).
        base: `refs/heads/${ctx.state.integration!.branch}`,
        reason: `Wave Orchestrator: run ${ctx.state.runId} of ${ctx.featureId}`,
        attempt: place,
        signal: readying.signal,
        // Its set-up hook is held to the package's time limit, as its agent is.
        ...(timeoutMs ? { timeoutMs } : {}),
        onSettingUp: (command) => this.settingUp(id, candidate?.k, command),
      });
      void tree.then(readying.done, readying.done);
      const written = (async () => {
        const [upstream, talk] = await Promise.all([this.upstreamResults(pkg, place, host), this.talk.open(id, key, place, candidate?.k)]);
        const { prompt, spec } = this.promptAndSpec(pkg, agent, place, worktree, token, upstream, candidate?.k ?? 1, talk, session?.choice ?? null);
        await ctx.supervisor.write(place, prompt, spec);
        ctx.mark('spec-written', key);
      })();
      // The person's checkout, read before the agent exists: a read under way serves (nine dependents of
      // one merge asked nine identical `status` calls at once); it can only blame a person's edit of
      // those few milliseconds on a package, never miss an agent's.
      const checkout = ctx.checkout.any();
      checkout.catch(() => undefined); // awaited below, after the tree
      // The queued state is on disk before a runner exists (a resume then finds its meta.json).
      const saved = ctx.store!.flush();
      const [treeDone, writtenDone, savedDone] = await Promise.allSettled([tree, written, saved]);
      if (treeDone.status === 'rejected') {
        if (ctx.attempts.cancelled(key)) return this.cancelledStart(id, candidate?.k);
        if (!candidate && (await this.hostWentAway(id, treeDone.reason))) return;
        await this.failedStart(id, candidate?.k, errorText(treeDone.reason));
        return;
      }
      if (writtenDone.status === 'rejected') throw writtenDone.reason;
      if (savedDone.status === 'rejected') throw savedDone.reason;
      ctx.mark('tree-ready', key);
      if (treeDone.value.worktree !== worktree) throw new Error(`the tree ${treeDone.value.worktree} is not the expected ${worktree}`);

      // The person's checkout before the agent starts: its exit is compared with it (exit.ts, checkoutGuard.ts).
      ctx.attempts.runnerStarts(key, new Map(await checkout), Date.now());
      const live: LiveAttempt = { packageId: key, ...as, attempt: ctx.supervisor.attempt(place, token), watcher: null, checkedAt: Date.now(), launchedAt: Date.now(), started: false, handled: false, onExitSeen: () => void this.talk.close(key) };
      this.watcher.watch(live);
      let launched: LaunchResult;
      try {
        handed = true;
        launched = await live.attempt.launch({ attempt: place, startToken: token, title: `waves: ${key} #${attempt}`, cwd: worktree, interactive: agent.interactive });
      } catch (err) {
        this.watcher.unwatch(live);
        if (!candidate && (await this.hostWentAway(id, err))) return;
        await this.failedStart(id, candidate?.k, `the runner could not start: ${errorText(err)}`);
        return;
      }
      ctx.mark('launched', key);
      const started = {
        type: 'started' as const,
        packageId: id,
        ...as,
        attempt,
        startToken: token,
        worktree,
        branch: treeDone.value.branch,
        baseSha: treeDone.value.baseSha,
        logFile: place.files.log,
        resultFile: place.files.result,
        pid: launched.pid,
        ...(host ? { host } : {}),
        ...(session ? { session: session.session } : {}),
      };
      // The person's answer goes back to the session that asked.
      ctx.apply(started, session?.choice.resume ? 'its agent goes on in the session that asked, with your answer' : undefined);
      // From here on its exit may be processed (never before `started` is recorded).
      live.started = true;
      await ctx.store!.flush();
      ctx.mark('started-saved', key);
      void launched.exited?.then(() => {
        void this.talk.close(key);
        return this.watcher.runnerEnded(live);
      });
      if (ctx.attempts.cancelled(key)) await live.attempt.stop();
      void this.watcher.check(live);
    } catch (err) {
      if (candidate) {
        ctx.problem(`Could not start ${key}: ${errorText(err)}`, id);
        await this.failedStart(id, candidate.k, `could not start: ${errorText(err)}`);
      } else await this.couldNotStart(id, err);
    } finally {
      if (taken !== null && !handed) ctx.executor.unusedToken?.(taken);
    }
  }

  /**
   * The dependencies' result records as the agent can read them: where it runs. A record
   * written on another host is read there and copied beside the attempt (`carry`).
   */
  private async upstreamResults(pkg: PlanPackage, place: AttemptPlace, host: string | null): Promise<Map<string, string>> {
    const { ctx } = this;
    const carried = new Map<string, string>();
    const carry = ctx.executor.carry?.bind(ctx.executor);
    if (!carry) return carried;
    for (const d of pkg.dependsOn) {
      const r = ctx.state.packages[d.value];
      if (!r?.resultFile || (r.host ?? null) === host) continue;
      // A record that is not a regular file is not carried (its package's exit said so).
      const text = await ctx.executor.readResult(r.resultFile).catch((err: unknown) => {
        if (err instanceof NotRegularFileError) return null;
        throw err;
      });
      if (text !== null) carried.set(d.value, await carry(place, `${d.value}.json`, text));
    }
    return carried;
  }

  /** The package's prompt (seed 000's contract) and the runner's spec, with the executor's paths. */
  private promptAndSpec(pkg: PlanPackage, agent: AgentProfile, place: AttemptPlace, worktree: string, token: string, carried: ReadonlyMap<string, string> = new Map(), k = 1, talk: TalkServer | null = null, session: SessionChoice | null = null): { prompt: string; spec: RunnerSpec } {
    const { ctx } = this;
    const id = pkg.id;
    const files = place.files;
    const upstream = pkg.dependsOn.map((d) => {
      const r = ctx.state.packages[d.value];
      return { packageId: d.value, resultFile: carried.get(d.value) ?? r?.resultFile ?? null, changedFiles: r?.changedFiles ?? [], handoffs: r?.handoffs ?? [] };
    });
    // A `{by: agent}` parent's planner plans (planners.ts); every other package works.
    const prompt = plannerPrompt(ctx, pkg, place, worktree) ?? buildPrompt({
      analysis: ctx.analysis,
      packageId: id,
      featureId: ctx.featureId,
      runId: ctx.state.runId,
      repoRoot: ctx.repoRoot,
      worktree,
      resultFile: files.result,
      upstream,
      ...(answerOf(ctx.state.packages[id]!.question, ctx.options.answers?.[id])),
      artifacts: sliceFor(pkg, ctx.planArtifacts),
      followUp: ctx.state.packages[id]!.followUp ?? null,
      // Inside walls on this machine its dependencies are laid from the person's checkout (ADR 0026): the prompt says how to add to them.
      ...(!ctx.options.confinement?.unconfined && !(ctx.options.hosts ?? []).some((h) => h.ssh) ? { laid: foldersToLay(ctx.repoRoot) } : {}),
      talk: talk !== null && talkArgs(agent, talk).length > 0,
    });
    // The agent may run the package's verification commands the person approved (and git), nothing more.
    const approved = ctx.approvedCommands ?? [];
    const ownCommands = (pkg.verification?.steps ?? []).flatMap((st) => (st.kind === 'command' && st.command && approved.includes(st.command) ? [st.command] : []));
    const timeoutMs = this.timeoutMsOf(pkg);
    const spec = runnerSpec({
      agent,
      place,
      worktree,
      feature: ctx.featureId,
      token,
      // Inside the walls (unless the person chose none) a CLI with a sandbox of its own skips it.
      walled: !ctx.options.confinement?.unconfined,
      commands: ownCommands,
      talk,
      session,
      env: {
        // A port range of its own (stable in the run: the package's place in the plan), so dev servers and tests of agents without walls do not collide; inside walls each agent has its own network namespace anyway.
        ...portEnvOf(portIndexOf(ctx.analysis.graph.indexOf.get(id) ?? 0, k, ctx.analysis.graph.ids.length)),
        ...ctx.options.env,
        WAVES_PACKAGE_ID: id,
        WAVES_FEATURE_ID: ctx.featureId,
      },
      timeoutMs,
      graceMs: ctx.options.graceMs,
    });
    return { prompt, spec };
  }
}

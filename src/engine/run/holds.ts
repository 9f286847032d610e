/**
 * Why a package the schedule would start does not start now (`StartHolds`), and the one place
 * that bookkeeping changes: the coordinator out of reach (each package told once an outage),
 * its agent at its usage limit (the person's fallback chain, `onUsageLimit: 'wait'`), an
 * agent's cap, no host with a free slot, the run's budget, a hold after the person's HEAD moved
 * (exit.ts) — and when the loop wakes to try again (a lock wait, a usage limit's reset). The
 * loop asks it each pass (`usageLimits`, `holdBack`); launch.ts and exit.ts tell it what they
 * met. Nothing here starts or stops an agent.
 */
import { withinParentCaps } from '../../core/plan/unfold';
import type { AgentProfile } from '../../core/agents/agentProfiles';
import type { PlanPackage } from '../../core/plan/model';
import type { CandidateSet } from '../../core/plan/candidateSet';
import { isActive, type RunEvent, type RunState, type WaitReason } from '../../core/run/runState';
import { candidateKey, setUnderWay, workingCandidates } from '../../core/run/candidates';
import type { SchedPackage, ScheduleResult } from '../../core/run/schedule';
import { addSpend, type Spend } from '../../core/run/spend';
import type { Executor } from '../attempt';
import { LONGEST_PAUSE_MS } from '../coordinator';
import type { EngineOptions } from './types';

/** What the holds read of the run, and what they say and apply (a package whose usage limit has reset goes on): the `RunContext` that holds them. */
export interface HoldsRun {
  readonly options: EngineOptions;
  readonly joins: Readonly<Record<string, readonly string[]>> | undefined;
  readonly joinCaps: Readonly<Record<string, number>> | undefined;
  readonly executor: Executor;
  readonly state: RunState;
  readonly sched: SchedPackage[];
  scopeIds(): string[];
  pkg(id: string): PlanPackage | undefined;
  isolated(pkg: PlanPackage): boolean;
  agentOf(id: string): AgentProfile;
  /** Best of n: the package's set, and its candidates' agents. */
  setOf(pkg: PlanPackage): CandidateSet | null;
  candidateAgents(pkg: PlanPackage, set: CandidateSet): AgentProfile[];
  /** The key of the package's attempt now (the candidate that went on, best of n). */
  keyOf(id: string): string;
  apply(event: RunEvent, detail?: string): boolean;
  problem(message: string, packageId?: string): void;
}

export class StartHolds {
  /** When to run a pass again for a package waiting on a lock (ms; 0: none). */
  private lockRetryAt = 0;
  /** When the earliest usage limit the run waits for resets (epoch ms; 0: none). */
  private limitRetryAt = 0;
  /** Packages told they wait for the coordinator in its current outage: each is told once. */
  private readonly toldAway = new Set<string>();
  /** The run reached its budget (told once; nothing more starts). */
  private budgetTold = false;
  /** Why no more packages start in this run (the person's HEAD moved and was not put back: exit.ts); null: they do. */
  private held: string | null = null;
  /** Packages moved to the next agent of `agentFallback` after their agent's usage limit. */
  private readonly fallbackAgent = new Map<string, AgentProfile>();
  /** Agents at their usage limit, by label → when it resets (epoch ms; Infinity: not said), for this run. */
  private readonly limitedAgents = new Map<string, number>();

  constructor(private readonly ctx: HoldsRun) {}

  /** The agent `id` goes on with after its own agent's usage limit, if any (`RunContext.agentOf`). */
  fallbackOf(id: string): AgentProfile | undefined {
    return this.fallbackAgent.get(id);
  }

  /** Whether the run stopped starting packages at its budget. */
  get budgetReached(): boolean {
    return this.budgetTold;
  }

  // -- Told by the parts ----------------------------------------------------------------------

  /** A pass runs again at `at` (ms) for a package waiting on a lock (launch.ts, and the loop). */
  retryLocksAt(at: number): void {
    this.lockRetryAt = at;
  }

  /** `id` was told it waits for the coordinator (launch.ts): the loop does not tell it again in this outage. */
  toldCoordinatorAway(id: string): void {
    this.toldAway.add(id);
  }

  /**
   * `agent` stopped `id` at its usage limit, reset at `resetAt` (exit.ts). The person's fallback
   * chain: the next agent not at its own limit takes the package over (returned; none: undefined).
   */
  atUsageLimit(id: string, agent: string, resetAt: string | null): AgentProfile | undefined {
    const until = resetAt ? Date.parse(resetAt) : Infinity;
    this.limitedAgents.set(agent, Math.max(this.limitedAgents.get(agent) ?? 0, Number.isFinite(until) ? until : Infinity));
    const now = Date.now();
    const next = (this.ctx.options.agentFallback ?? []).find((a) => a.label !== agent && !((this.limitedAgents.get(a.label) ?? 0) > now));
    if (next) this.fallbackAgent.set(id, next);
    return next;
  }

  /** No more packages start in this run (running ones finish); said once. A resume starts afresh. */
  holdStarts(why: string): void {
    if (this.held === null) this.ctx.problem(`No more packages start in this run: ${why}. Running ones finish; resume once you have looked.`);
    this.held ??= why;
  }

  // -- The loop's wake-ups --------------------------------------------------------------------

  /** The run waits for a usage limit that resets at `at` (epoch ms). */
  waitForReset(at: number): void {
    this.limitRetryAt = at;
  }

  /** Whether a usage limit the run waits for has reset by `now` (once). */
  limitResetDue(now: number): boolean {
    if (!this.limitRetryAt || now < this.limitRetryAt) return false;
    this.limitRetryAt = 0;
    return true;
  }

  /** Whether a lock wait is to be tried again by `now` (once). */
  lockRetryDue(now: number): boolean {
    if (!this.lockRetryAt || now < this.lockRetryAt) return false;
    this.lockRetryAt = 0;
    return true;
  }

  // -- A pass --------------------------------------------------------------------------------

  /**
   * The run's usage limits now: packages whose limit has reset are put back to pending when the
   * person chose to wait (`onUsageLimit: 'wait'`); the agents still at their limit; and the
   * earliest reset the run waits for (null: nothing to wait for — it stops, resumable).
   */
  usageLimits(now: number): { agents: Set<string>; waitUntil: number | null } {
    const { ctx } = this;
    const wait = ctx.options.onUsageLimit === 'wait' && !ctx.options.collectOnly;
    const agents = new Set<string>();
    let waitUntil: number | null = null;
    for (const record of Object.values(ctx.state.packages)) {
      if (record.status !== 'usage-limit') continue;
      const resetAt = record.usageLimit?.resetAt ? Date.parse(record.usageLimit.resetAt) : NaN;
      if (wait && Number.isFinite(resetAt) && resetAt <= now) {
        ctx.apply({ type: 'reset', packageId: record.packageId }, 'its usage limit has reset: it goes on (no retry spent)');
        continue;
      }
      if (record.usageLimit?.agent) agents.add(record.usageLimit.agent);
      if (wait && Number.isFinite(resetAt)) waitUntil = Math.min(waitUntil ?? Infinity, resetAt);
    }
    // Agents whose packages went on with a fallback agent are still at their limit until it resets.
    for (const [agent, until] of this.limitedAgents) if (until > now) agents.add(agent);
    return { agents, waitUntil };
  }

  /** The coordinator answers (again): a later outage tells each waiting package once more. */
  coordinatorBack(): void {
    this.toldAway.clear();
  }

  /** Packages about to start that need a lock wait for the coordinator to answer: not queued, each told once an outage. */
  waitForCoordinator(decision: ScheduleResult, away: { why: string; retryAt: number }): void {
    const { ctx } = this;
    const needsLock = (id: string) => {
      const sp = ctx.sched.find((p) => p.id === id);
      return sp !== undefined && (sp.lockFiles.length > 0 || sp.lockKeys.length > 0);
    };
    const waiting = decision.start.filter(needsLock);
    if (waiting.length === 0) return;
    decision.start = decision.start.filter((id) => !needsLock(id));
    for (const id of waiting) {
      decision.waiting.push({ packageId: id, reason: 'lock' });
      if (this.toldAway.has(id)) continue;
      this.toldAway.add(id);
      ctx.problem(`${id} waits for its locks: ${away.why}. It is tried again after a pause that grows (at most ${LONGEST_PAUSE_MS / 1000} s).`, id);
    }
  }

  /**
   * Takes out of `decision.start` what may not start now: a package whose agent is at its usage
   * limit (`limitedAgents`), beyond its agent's cap, with no host that has a free slot, past the
   * run's budget, or after a hold. What each ready package waits for (its timeline) and the
   * host each one that starts is placed on.
   */
  holdBack(decision: ScheduleResult, limitedAgents: ReadonlySet<string>): { waitsFor: Map<string, WaitReason>; placedOn: Map<string, string> } {
    const { ctx } = this;
    // What a ready package waits for, for its timeline: a lock, a host, its agent's usage limit.
    const waitsFor = new Map<string, WaitReason>();
    for (const w of decision.waiting) if (w.reason === 'lock') waitsFor.set(w.packageId, 'lock');
    if (limitedAgents.size > 0) {
      decision.start = decision.start.filter((id) => {
        if (!limitedAgents.has(ctx.agentOf(id).label)) return true;
        waitsFor.set(id, 'usage-limit');
        return false;
      });
    }
    // Per-agent caps: at most that many attempts of one agent at once — a set of candidates
    // (best of n) counts each candidate at work with its own agent, and starts whole or not at all
    // (a set larger than a cap starts once nothing of that agent runs).
    const caps = ctx.options.agentCaps;
    if (caps && Object.keys(caps).length > 0) {
      const running = new Map<string, number>();
      const add = (agent: string) => running.set(agent, (running.get(agent) ?? 0) + 1);
      for (const r of Object.values(ctx.state.packages)) {
        if (!isActive(r.status)) continue;
        if (setUnderWay(r)) for (const c of workingCandidates(r)) add(c.agent);
        else add(ctx.agentOf(r.packageId).id);
      }
      decision.start = decision.start.filter((id) => {
        const pkg = ctx.pkg(id);
        const set = pkg ? ctx.setOf(pkg) : null;
        const agents = set && pkg ? ctx.candidateAgents(pkg, set).map((a) => a.id) : [ctx.agentOf(id).id];
        const need = new Map<string, number>();
        for (const a of agents) need.set(a, (need.get(a) ?? 0) + 1);
        const fits = [...need].every(([agent, n]) => {
          const cap = caps[agent];
          const now = running.get(agent) ?? 0;
          return cap === undefined || now + n <= cap || now === 0;
        });
        if (!fits) return false;
        for (const a of agents) add(a);
        return true;
      });
    }
    // Plans of plans: a parent's `max_parallel` holds the packages below it to that many at once (ADR 0035).
    const joinCaps = ctx.joinCaps;
    if (joinCaps && Object.keys(joinCaps).length > 0) {
      const active = new Set(Object.values(ctx.state.packages).filter((r) => isActive(r.status)).map((r) => r.packageId));
      decision.start = withinParentCaps(ctx.joins ?? {}, joinCaps, active, decision.start);
    }
    // Hosts: each package goes to a host with a free slot (core/hosts/hostList.ts placeOn); one that finds none waits.
    // Best of n: each candidate of a set is placed on its own, by its key, and takes a slot of its host (a set spreads
    // over the hosts); the set starts whole or waits. The package's host is its candidate 1's.
    const placedOn = new Map<string, string>();
    if (ctx.executor.place) {
      const busy = new Map<string, number>();
      const take = (host: string | null | undefined) => {
        if (host !== null && host !== undefined) busy.set(host, (busy.get(host) ?? 0) + 1);
      };
      for (const r of Object.values(ctx.state.packages)) {
        if (!isActive(r.status)) continue;
        if (setUnderWay(r)) for (const c of workingCandidates(r)) take(ctx.executor.hostOf?.(c.packageId));
        else take(ctx.executor.hostOf?.(ctx.keyOf(r.packageId)));
      }
      decision.start = decision.start.filter((id) => {
        const pkg = ctx.pkg(id);
        const set = pkg ? ctx.setOf(pkg) : null;
        const keys = set ? Array.from({ length: set.count }, (_, i) => candidateKey(id, i + 1)) : [id];
        const trial = new Map(busy);
        const hosts: string[] = [];
        for (const key of keys) {
          const host = ctx.executor.place!(key, pkg ? ctx.isolated(pkg) : true, trial);
          if (host === null) {
            waitsFor.set(id, 'host');
            return false;
          }
          trial.set(host, (trial.get(host) ?? 0) + 1);
          hosts.push(host);
        }
        for (const host of hosts) take(host);
        if (hosts[0]) placedOn.set(id, hosts[0]);
        return true;
      });
    }
    // The run's budget: once reached, nothing more starts; running packages finish.
    const overBudget = this.overBudget();
    if (overBudget) {
      if (!this.budgetTold) ctx.problem(`The run reached its budget (${overBudget}): no more packages start; running ones finish. Resume with a higher budget.`);
      this.budgetTold = true;
      decision.start = [];
    }
    // The person's HEAD moved and was not put back (exit.ts): nothing more starts; running packages finish.
    if (this.held !== null) decision.start = [];
    return { waitsFor, placedOn };
  }

  /** Why the run is at its budget (`$1.20 of $1.00`), or null. */
  private overBudget(): string | null {
    const budget = this.ctx.options.budget;
    if (!budget) return null;
    let total: Spend | null = null;
    for (const id of this.ctx.scopeIds()) total = addSpend(total, this.ctx.state.packages[id]?.spend);
    if (!total) return null;
    const tokens = total.inputTokens + total.outputTokens + total.cachedTokens;
    if (budget.tokens !== undefined && tokens >= budget.tokens) return `${tokens} of ${budget.tokens} tokens`;
    if (budget.usd !== undefined && total.costUsd !== null && total.costUsd >= budget.usd) return `$${total.costUsd.toFixed(2)} of $${budget.usd.toFixed(2)}`;
    return null;
  }
}

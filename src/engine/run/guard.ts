/**
 * The integration guard (ADR 0025): the plan's integration checks — the approved `command`
 * steps of its integration package — run on the integration branch as packages land, one check
 * at a time on the newest tip (merges that land meanwhile are checked together, as a merge queue
 * does), in a scratch worktree detached at that commit (`<worktrees>/<feature>/_check`), inside
 * the walls like every verification command. The base is checked first: a check red there is
 * said at the start and blames nobody. A red tip is bisected over the merges since the last green
 * one (each check at one merge, in the same scratch tree) to the first red merge; its package is
 * sent the failure — the command, what it printed, the other packages' changes it met — as a
 * follow-up attempt from the integration tip, within its retry budget, and what depends on it is
 * held until the tip is green again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { retryBudgetOf } from '../../core/plan/defaults';
import { bisectStep, blameOutput, emptyGuard, guardStuck, integrationChecks, withCheck } from '../../core/run/integrationGuard';
import { runDir, worktreesRoot } from '../../core/run/runPaths';
import { retriesSpent, type GuardCheck, type GuardState } from '../../core/run/runState';
import { setIntegration } from '../../core/run/runStateReducer';
import { checkTreeAt, dropCheckTree, mergesBetween } from '../git';
import { errorText, type RunContext } from './context';
import type { LandedMerges, LoopHandoffs } from './handoffs';

/** How much of a failing check's output goes to the blamed package's prompt. */
const OUTPUT_TAIL = 6000;

export class IntegrationGuard implements LandedMerges {
  private commands: string[] = [];
  private draining: Promise<void> | null = null;
  private again = false;
  private checkCount = 0;
  /** The base was red for these commands (they blame nobody in this run), or the guard stopped: it checks and holds nothing more. */
  private baseRed = false;
  /** Packages whose dependents wait until the tip is green again. */
  readonly held = new Set<string>();
  /** Packages merged since the last green tip: their dependents start only once a check passed with them in (a merge queue's rule). */
  private readonly unchecked = new Set<string>();
  /** A check or bisect under way (the run does not end meanwhile). */
  busy = false;

  constructor(
    private readonly ctx: RunContext,
    private readonly loop: LoopHandoffs,
  ) {}

  /** Whether the run checks its integration branch: asked for, and the plan has approved integration checks. */
  get enabled(): boolean {
    return this.commands.length > 0;
  }

  /**
   * Reads the checks (after the commands' approval is known) and checks the base. A run taken up
   * again goes on where its guard was: the package blamed still holds its dependents, merges since
   * the last green tip still hold theirs until a check passes with them in, and the checks' logs
   * of the earlier drives are kept (numbered on).
   */
  async begin(): Promise<void> {
    const { ctx } = this;
    if (!ctx.integrationGuard) {
      // Turned off when the run was taken up again: its record says so (a later resume keeps it off), its checks stay.
      const kept = this.guard();
      if (kept && kept.status !== 'off') this.save({ ...kept, status: 'off', blamed: null });
      return;
    }
    this.commands = integrationChecks(ctx.analysis.plan.packages, ctx.approvedCommands ?? []);
    if (!this.enabled) {
      ctx.problem('The integration guard has nothing to run: the plan has no integration package (task_type: integrate) with approved verification commands.');
      return;
    }
    const integration = ctx.state.integration;
    let guard = this.guard();
    if (guard?.status === 'off') this.save((guard = { ...guard, status: 'unknown' })); // turned on again: from its last green tip
    if (!guard) this.save(emptyGuard()); // the run state says the guard is on from its first moment (a run taken up keeps it)
    else if (integration && guard.status !== 'base-red') {
      if (guard.blamed) this.held.add(guard.blamed.packageId); // cleared only by a green check
      if (guard.greenTip !== integration.tipSha) {
        const byCommit = this.packageByMerge();
        const since = await mergesBetween(ctx.repoRoot, guard.greenTip ?? integration.baseSha, integration.tipSha).catch(() => [] as string[]);
        for (const commit of since) {
          const id = byCommit.get(commit);
          if (id) this.unchecked.add(id);
        }
      }
    }
    this.checkCount = checksSoFar(path.join(runDir(ctx.repoRoot, ctx.featureId, ctx.state.runId), '.guard'));
    this.landed();
  }

  /** Merges of `ids` landed (none: the run began): the newest tip is checked once the check under way ends. */
  landed(ids: readonly string[] = []): void {
    if (!this.enabled || this.baseRed) return;
    for (const id of ids) this.unchecked.add(id);
    this.again = true;
    if (this.draining) return;
    this.busy = true;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      this.busy = false;
      this.loop.wake();
    });
  }

  /** Whether `id` waits because a package it depends on broke the integration branch. */
  isHeld(id: string): boolean {
    if (!this.enabled || this.baseRed) return false;
    const pkg = this.ctx.pkg(id);
    if (pkg?.dependsOn.some((d) => this.unchecked.has(d.value))) return true;
    if (this.held.size === 0) return false;
    const g = this.ctx.analysis.graph;
    const i = g?.indexOf.get(id);
    if (!g || i === undefined) return false;
    for (const h of this.held) {
      const j = g.indexOf.get(h);
      if (j !== undefined && g.dependsOn(i, j)) return true;
    }
    return false;
  }

  /** The ready packages held now (for the scheduler: they take no slot). */
  heldNow(packages: readonly { id: string }[]): ReadonlySet<string> | undefined {
    if (!this.enabled || this.baseRed || (this.unchecked.size === 0 && this.held.size === 0)) return undefined;
    const out = new Set<string>();
    for (const p of packages) {
      const status = this.ctx.state.packages[p.id]?.status;
      if ((status === 'ready' || status === 'pending') && this.isHeld(p.id)) out.add(p.id);
    }
    return out;
  }

  async end(): Promise<void> {
    await this.draining;
    await dropCheckTree(this.ctx.repoRoot, this.tree()).catch(() => undefined);
  }

  private tree(): string {
    return path.join(worktreesRoot(this.ctx.repoRoot, this.ctx.featureId, this.ctx.options.worktreesFolder), '_check');
  }

  /** Which package each merge commit on the integration branch landed. */
  private packageByMerge(): Map<string, string> {
    return new Map(Object.entries(this.ctx.state.merges).flatMap(([id, m]) => (m.commit ? [[m.commit, id] as const] : [])));
  }

  private guard(): GuardState | undefined {
    return this.ctx.state.integration?.guard;
  }

  private save(guard: GuardState): void {
    const { ctx } = this;
    const integration = ctx.state.integration;
    if (integration) ctx.update(setIntegration(ctx.state, { ...integration, guard }, ctx.clock()));
  }

  private async drain(): Promise<void> {
    const { ctx } = this;
    try {
      while (this.again && !ctx.stopped) {
        this.again = false;
        const integration = ctx.state.integration;
        if (!integration) return;
        let guard = this.guard();
        if (!guard?.greenTip && guard?.status !== 'red') {
          // The base first: red there is nobody's doing.
          const base = await this.check(integration.baseSha, 'base', this.commands);
          if (!base.ok) {
            this.baseRed = true;
            this.unchecked.clear();
            ctx.problem(`The integration check ${base.command} fails already at the base (${integration.baseSha.slice(0, 12)}), before any package: nobody is blamed for it, and the guard checks nothing more in this run.`);
            return;
          }
          guard = this.guard();
        }
        const tip = ctx.state.integration!.tipSha;
        if (tip === guard?.greenTip) continue;
        this.save({ ...(guard ?? { greenTip: null, checks: [], blamed: null, status: 'unknown' }), status: 'checking' });
        const covered = [...this.unchecked];
        const at = await this.check(tip, 'tip', this.commands);
        if (at.ok) {
          for (const id of covered) this.unchecked.delete(id);
          if (this.held.size) ctx.problem(`The integration branch is green again at ${tip.slice(0, 12)}: ${[...this.held].join(', ')}'s dependents go on.`);
          this.held.clear();
          continue;
        }
        await this.red(tip, at.command, at.output);
      }
    } catch (err) {
      // Nothing waits on a guard that stopped: the packages it held go on.
      this.baseRed = true;
      this.unchecked.clear();
      this.held.clear();
      ctx.problem(`The integration guard stopped: ${errorText(err)}; what it held goes on unchecked.`);
    }
  }

  /** The tip is red: the first red merge since the last green tip found, its package sent the failure. */
  private async red(tip: string, command: string, output: string): Promise<void> {
    const { ctx } = this;
    const green = this.guard()?.greenTip ?? ctx.state.integration!.baseSha;
    const merges = await mergesBetween(ctx.repoRoot, green, tip);
    const byCommit = this.packageByMerge();
    let culprit: string | undefined;
    let failing = { command, output };
    const previous = this.guard()?.blamed?.packageId;
    const lastOfPrevious = previous ? ctx.state.merges[previous]?.commit : undefined;
    if (previous && lastOfPrevious && merges.at(-1) === lastOfPrevious) {
      // Its fix was the last to land and the tip is still red: its fix did not fix it.
      culprit = previous;
    } else if (merges.length > 0) {
      const known = new Map<number, 'green' | 'red'>([[merges.length - 1, 'red']]);
      for (;;) {
        const step = bisectStep(merges.length, known);
        if (step.done) {
          culprit = byCommit.get(merges[step.firstRed]!);
          break;
        }
        const probe = await this.check(merges[step.probe]!, 'bisect', [command]);
        known.set(step.probe, probe.ok ? 'green' : 'red');
        if (!probe.ok) failing = { command: probe.command, output: probe.output };
      }
    }
    if (!culprit) {
      ctx.problem(`The integration check ${command} is red at ${tip.slice(0, 12)}, and no package's merge could be named for it.`);
      return;
    }
    // What it met: the packages merged after the commit its attempt started from, up to its own merge.
    const from = ctx.state.packages[culprit]?.baseSha;
    const own = ctx.state.merges[culprit]?.commit;
    const metCommits = from && own ? await mergesBetween(ctx.repoRoot, from, own).catch(() => merges) : merges;
    this.blame(culprit, tip, failing.command, failing.output, metCommits.map((m) => byCommit.get(m)).filter((id): id is string => !!id && id !== culprit));
  }

  private blame(id: string, tip: string, command: string, output: string, others: string[]): void {
    const { ctx } = this;
    const at = ctx.clock().toISOString();
    this.held.add(id);
    const record = ctx.state.packages[id];
    const pkg = ctx.pkg(id);
    // The same budget the scheduler's retries read (core/plan/defaults.ts): a plan that states none gets one follow-up.
    const outcome = !record || !pkg || record.status !== 'succeeded' ? 'not-landed' : retriesSpent(record) > retryBudgetOf(pkg, ctx.analysis.plan.defaults) ? 'no-retry' : 'sent';
    const guard = this.guard();
    if (guard) this.save({ ...guard, status: 'red', blamed: { packageId: id, command, tip, at, output: blameOutput(output), outcome } });
    if (!record || !pkg) return;
    if (outcome === 'not-landed') {
      ctx.problem(`The integration check ${command} is red since ${id} merged; ${id} is ${record.status}: its dependents wait for a green tip.`, id);
      return;
    }
    if (outcome === 'no-retry') {
      const stuck = guardStuck(ctx.state.integration);
      ctx.problem(stuck ? `${stuck.said} ${stuck.advice}` : `${id} broke the integration check ${command} and has no retry left.`, id);
      return;
    }
    const met = others.map((o) => ({ packageId: o, files: ctx.state.merges[o]?.files ?? [] }));
    ctx.apply(
      { type: 'followUp', packageId: id, followUp: { kind: 'integration', at, check: command, output: output.slice(-OUTPUT_TAIL), tip, met } },
      `broke the integration check ${command}: sent the failure to its agent (a new attempt from the integration tip)`,
    );
    this.loop.wake();
  }

  /** Runs `commands` (one at a time, the first red ends it) in the scratch tree at `commit`, recorded. */
  private async check(commit: string, purpose: GuardCheck['purpose'], commands: readonly string[]): Promise<{ ok: boolean; command: string; output: string }> {
    const { ctx } = this;
    const started = Date.now();
    const n = ++this.checkCount;
    const dir = path.join(runDir(ctx.repoRoot, ctx.featureId, ctx.state.runId), '.guard', `check-${n}`);
    await fs.promises.mkdir(dir, { recursive: true });
    let result = { ok: true, command: commands.join(' && '), output: '' };
    try {
      await checkTreeAt(ctx.repoRoot, this.tree(), commit);
      for (const [i, command] of commands.entries()) {
        const [r] = await ctx.executor.verify({ planFile: ctx.planFile, approvedList: ctx.approvedCommands ?? [], cwd: this.tree(), attemptDir: dir, steps: [{ step: `integration-${i + 1}`, command }] });
        if (r && !r.ok) {
          result = { ok: false, command, output: readTail(dir, r.detail) };
          break;
        }
      }
    } catch (err) {
      result = { ok: false, command: commands[0] ?? '', output: errorText(err) };
    }
    const check: GuardCheck = { command: result.command, tip: commit, ok: result.ok, purpose, at: new Date(started).toISOString(), ms: Date.now() - started };
    this.save(withCheck(this.guard(), check));
    ctx.emit({ type: 'problem', message: `integration check ${result.ok ? 'passed' : 'FAILED'} at ${commit.slice(0, 12)} (${purpose}): ${result.command}` });
    return result;
  }
}

/** The highest `check-N` folder number in `dir` (0: none): a run taken up again numbers its checks on. */
function checksSoFar(dir: string): number {
  try {
    return Math.max(0, ...fs.readdirSync(dir).map((f) => /^check-(\d+)$/.exec(f)?.[1]).filter((n): n is string => !!n).map(Number));
  } catch {
    // no checks folder yet: none so far
    return 0;
  }
}

/** The end of the newest `verify-*.log` in `dir` (what the check printed), else `detail`. */
function readTail(dir: string, detail: string): string {
  try {
    const logs = fs.readdirSync(dir).filter((f) => /^verify-\d+\.log$/.test(f)).sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
    const last = logs.at(-1);
    if (!last) return detail;
    const text = fs.readFileSync(path.join(dir, last), 'utf8');
    return text.length > OUTPUT_TAIL ? text.slice(-OUTPUT_TAIL) : text;
  } catch {
    // no log to read: the check's own detail is shown
    return detail;
  }
}

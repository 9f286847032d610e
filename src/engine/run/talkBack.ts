/**
 * Agents talk back (ADR 0036): the run's answers to an attempt's `waves` MCP server. Each
 * attempt's socket (talkListener.ts) answers as that attempt's package only — its token says
 * which, never a name in the call — and an answer changes nothing of the run but that package's
 * own record (its progress, its notes for its dependents). Calls the engine refuses are said as a
 * problem of the package, once per reason; the agent works on either way.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bothQuiet, type QuietServers, type TalkServer } from '../../core/agents/agentProfiles';
import { parseTalkCall, repoRelative, SCOPE_ANSWER_MS, type TalkCall } from '../../core/talk/talkTools';
import { checkScopeRequest, type ScopeHolder } from '../../core/talk/scopeRequest';
import { above } from '../../core/plan/unfold';
import { OwnerIndex } from '../../core/ownership/ownership';
import { covers } from '../../core/plan/glob';
import { visibleText } from '../../core/present/visibleText';
import { toPosix } from '../../util/posixPath';
import type { AttemptPlace } from '../attempt';
import { mcpConfigText, personsMcpServers, repositoryMcpServers, TALK_CONFIG, TALK_SOCKET, TALK_TOKEN_ENV, TalkListener, type TalkAnswer } from '../talk';
import type { RunContext } from './context';
import type { TalkEvent } from '../../core/run/talkEvents';
import { acquireLocks, canonicalLockKey, type LockEntry } from '../../core/run/lockTable';
import { checkLockKey } from '../../core/plan/lockKeys';
import { isCoordinatorUnavailable } from '../coordinator';
import { withTimeout } from '../../util/timeout';

export class TalkBack {
  private readonly listener = new TalkListener();
  private owners: { analysis: unknown; index: OwnerIndex } | null = null;
  private readonly said = new Set<string>();
  /** An attempt on an SSH host: its forwarding's end, and the folder of the engine's socket here. */
  private readonly bridges = new Map<string, () => Promise<void>>();
  private readonly remoteDirs = new Map<string, string>();
  /** The repository's own MCP servers, and the person's here: read once for the run. */
  private readonly repoQuiet: QuietServers;
  private readonly quiet: QuietServers;

  constructor(private readonly ctx: RunContext) {
    this.repoQuiet = repositoryMcpServers(ctx.repoRoot);
    this.quiet = bothQuiet(this.repoQuiet, personsMcpServers());
    ctx.onStop(() => void Promise.all([this.listener.closeAll(), ...[...this.bridges.keys()].map((k) => this.close(k))]));
  }

  /**
   * Readies attempt `key` (of package `id`) to talk back when its executor can: its socket listens
   * and its MCP configuration is written in its folder. Returns the server for the CLI's argv, or
   * null (no server where it runs, or the socket could not be made: it works without).
   */
  async open(id: string, key: string, place: AttemptPlace, candidate?: number): Promise<TalkServer | null> {
    // On an SSH host: the server there, its socket there forwarded to one of the engine's here.
    const remote = this.ctx.executor.talkRemote?.(key) ?? null;
    const script = remote ? remote.script : (this.ctx.executor.talkServer?.(key) ?? null);
    if (!script) return null;
    const token = randomBytes(24).toString('hex');
    const config = remote ? path.posix.join(place.dir, TALK_CONFIG) : path.join(place.dir, TALK_CONFIG);
    let here = place.dir;
    try {
      if (remote) {
        here = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'waves-talk-'));
        this.remoteDirs.set(key, here);
      } else await fs.promises.mkdir(place.dir, { recursive: true });
      await this.listener.listen(key, here, token, {
        answer: (name, args) => this.answer(id, name, args, candidate),
        refused: (why) => this.sayOnce(id, `${id}'s agent made a call the run refused: ${why}.`),
      });
      // `node` as the CLI finds it inside the walls (every preset's CLI is a Node program); a host's own.
      // Each MCP server a CLI with no strict mode would load beside the run's, left off: the repository's, and the person's where it runs.
      const quiet = remote ? bothQuiet(this.repoQuiet, await remote.quiet()) : this.quiet;
      const server: TalkServer = { config, command: remote?.command ?? 'node', args: [script], env: { [TALK_TOKEN_ENV]: token, WAVES_ATTEMPT_DIR: place.dir }, quiet };
      const text = mcpConfigText(server);
      if (remote) this.bridges.set(key, await remote.open(place, path.join(here, TALK_SOCKET), text, token));
      else await fs.promises.writeFile(config, text, { mode: 0o600 });
      return server;
    } catch (err) {
      await this.close(key);
      this.sayOnce(id, `${id}'s agent works without the run's tools: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  }

  /** The attempt ended: its socket goes (on a host, its forwarding too). */
  async close(key: string): Promise<void> {
    await this.listener.close(key);
    const bridge = this.bridges.get(key);
    this.bridges.delete(key);
    await bridge?.().catch(() => undefined); // the host's end: gone with the host
    const dir = this.remoteDirs.get(key);
    this.remoteDirs.delete(key);
    if (dir) await fs.promises.rm(dir, { recursive: true, force: true });
  }

  /** Recorded on the package, then told to the front ends (the editor's views, the CLI's lines). */
  private record(event: TalkEvent): boolean {
    if (!this.ctx.apply(event)) return false;
    this.ctx.emit(event);
    return true;
  }

  private sayOnce(id: string, message: string): void {
    if (this.said.has(message)) return;
    this.said.add(message);
    this.ctx.problem(message, id);
  }

  /** A call of package `id`'s attempt (best of n: its candidate `k`'s, whose record takes what it says). */
  private async answer(id: string, name: unknown, args: unknown, k?: number): Promise<TalkAnswer> {
    const parsed = parseTalkCall(name, args);
    if (!parsed.ok) return { text: parsed.error, isError: true };
    const pkg = this.ctx.state.packages[id];
    const record = k === undefined ? pkg : pkg?.candidates?.find((c) => c.candidate === k);
    if (!record || (record.status !== 'running' && parsed.call.tool !== 'plan_status' && parsed.call.tool !== 'who_owns')) {
      return { text: `${id} is ${record?.status ?? 'not in this run'}: only a running attempt reports`, isError: true };
    }
    if (parsed.call.tool === 'request_scope') return this.requestScope(id, parsed.call.paths, parsed.call.reason);
    if (parsed.call.tool === 'lock' || parsed.call.tool === 'unlock') return this.lockKey(id, parsed.call);
    return this.act(id, parsed.call, k);
  }

  /**
   * More write scope: checked exactly, asked of the person (or the person's policy), checked
   * again on the answer — a sibling granted the same file meanwhile wins, as the first to be
   * granted — and recorded on the package; its audit then allows it. Refusals are the call's
   * error and a problem of the package.
   */
  private async requestScope(id: string, paths: readonly string[], reason: string): Promise<TalkAnswer> {
    const { ctx } = this;
    const refuse = (why: string): TalkAnswer => {
      this.sayOnce(id, `${id}'s agent asked for more write scope (${paths.map(visibleText).join(', ')}), refused: ${why}.`);
      return { text: `refused: ${why}. Do not write these files.`, isError: true };
    };
    if (ctx.planners[id] !== undefined) return refuse('a planner writes only its sub-plan, outside the tree');
    const first = this.checkScope(id, paths);
    if (!first.ok) return refuse(first.reasons.join('; '));
    if (first.fresh.length === 0) return { text: `You may write these already: ${first.own.join(', ')}.`, isError: false };
    const ask = ctx.options.grantScope;
    if (!ask) return refuse('nobody to ask: this run has no person to grant it (waves run asks on a terminal; --scope-requests grant grants what passes the check)');
    const attempt = ctx.state.packages[id]?.attempts ?? 0;
    const title = ctx.analysis.plan.packages.find((p) => p.id === id)?.title;
    let granted: boolean;
    try {
      granted = await withTimeout(ask({ packageId: id, ...(title ? { title } : {}), attempt, paths: first.fresh, reason }), SCOPE_ANSWER_MS, () => {
        throw new Error(`no answer in ${Math.round(SCOPE_ANSWER_MS / 60_000)} minutes`);
      });
    } catch (err) {
      return refuse(err instanceof Error ? err.message : String(err));
    }
    if (!granted) return refuse('the person refused');
    // The answer took time: the attempt may have ended, or another package been granted the same file.
    const record = ctx.state.packages[id];
    if (record?.status !== 'running' || record.attempts !== attempt) return refuse(`granted too late: attempt ${attempt} is over`);
    const again = this.checkScope(id, first.fresh);
    if (!again.ok) return refuse(again.reasons.join('; '));
    if (again.fresh.length && !this.record({ type: 'scopeGranted', packageId: id, paths: again.fresh, reason: visibleText(reason) })) return refuse('the run could not record it');
    return { text: `granted: you may now write ${[...again.fresh, ...again.own].join(', ')} (your audit allows them).`, isError: false };
  }

  /**
   * A logical lock key at run time, in the run's lock table (the shared coordinator's when the run
   * joined one): taken for the package as its plan's keys are, so the packages locking it wait and
   * another agent asking is refused; released by `unlock`, its time to live, or the package's end
   * (`releaseLocksOf`). The keys of its plan are held for its whole attempt: never changed here.
   */
  private async lockKey(id: string, call: Extract<TalkCall, { tool: 'lock' | 'unlock' }>): Promise<TalkAnswer> {
    const { ctx } = this;
    const key = canonicalLockKey(call.key);
    // The plan format's keys only (its namespaces and forms): a key an agent takes is one a plan can lock too.
    const verdict = checkLockKey(key);
    if (!verdict.ok) return { text: `refused: ${verdict.message}`, isError: true };
    const planned = (ctx.pkg(id)?.locks.keys ?? []).some((k) => canonicalLockKey(k.value) === key);
    if (planned) return { text: `${key} is a lock of your plan: you hold it until your package ends`, isError: call.tool === 'unlock' };
    const mine = (e: LockEntry) => e.featureId === ctx.featureId && e.holder === id && e.kind === 'key' && e.key === key;
    let outcome: TalkAnswer | null = null;
    try {
      await ctx.locks.update((table) => {
        if (call.tool === 'unlock') {
          if (!table.locks.some(mine)) {
            outcome = { text: `you hold no lock ${key}`, isError: true };
            return table;
          }
          outcome = { text: `released ${key}`, isError: false };
          return { ...table, locks: table.locks.filter((e) => !mine(e)) };
        }
        const taken = acquireLocks(table, { featureId: ctx.featureId, runId: ctx.state.runId, holder: id, files: [], keys: [key], ttlMs: call.ttlMs }, ctx.clock());
        if (taken.ok) {
          outcome = { text: `locked ${key} for ${Math.round(call.ttlMs / 1000)} s (unlock it when done; a second lock renews it)`, isError: false };
          return taken.table;
        }
        const first = taken.conflicts[0];
        outcome = { text: `refused: ${taken.problem ?? (first ? `${key} is held by ${first.entry.featureId === ctx.featureId ? first.entry.holder : `${first.entry.featureId}/${first.entry.holder}`}` : 'it is taken')}; try again later`, isError: true };
        return table;
      });
    } catch (err) {
      if (!isCoordinatorUnavailable(err)) throw err;
      return { text: 'the coordinator cannot be reached: the lock was not taken', isError: true };
    }
    return outcome ?? { text: 'the run could not answer', isError: true };
  }

  /** The request checked against the run's packages as they stand (their scopes, locks and grants); a package below a parent, inside its ancestors' scopes. */
  private checkScope(id: string, paths: readonly string[]) {
    const { ctx } = this;
    const ancestors = above(ctx.joins ?? {}, id);
    const byId = new Map(ctx.analysis.plan.packages.map((p) => [p.id, p]));
    // A `{by: agent}` parent's planner carries its parent's scope but writes only its sub-plan, outside the tree: it owns no file.
    const planners = ctx.planners;
    const packages: ScopeHolder[] = ctx.analysis.plan.packages
      .filter((p) => !ancestors.includes(p.id) && (p.id === id || planners[p.id] === undefined))
      .map((p) => ({
        id: p.id,
        writeAllow: p.scope.writeAllow.map((l) => l.value),
        deny: p.scope.deny.map((l) => l.value),
        lockFiles: p.locks.files.map((l) => l.value),
        granted: (ctx.state.packages[p.id]?.granted ?? []).flatMap((g) => g.paths),
      }));
    return checkScopeRequest({
      id,
      paths,
      repoRoot: toPosix(ctx.repoRoot),
      packages,
      ancestors: ancestors.map((a) => ({ id: a, writeAllow: byId.get(a)?.scope.writeAllow.map((l) => l.value) ?? [] })),
    });
  }

  private act(id: string, call: Exclude<TalkCall, { tool: 'request_scope' | 'lock' | 'unlock' }>, k?: number): TalkAnswer {
    const { ctx } = this;
    const as = k === undefined ? {} : { candidate: k };
    switch (call.tool) {
      case 'plan_status': {
        const lines = ctx.analysis.plan.packages.map((p) => {
          const r = ctx.state.packages[p.id];
          const deps = p.dependsOn.map((d) => d.value);
          return `${p.id}${p.id === id ? ' (you)' : ''}: ${r?.status ?? 'not in this run'}${p.title ? ` — ${visibleText(p.title)}` : ''}${deps.length ? ` (after ${deps.join(', ')})` : ''}`;
        });
        return { text: lines.join('\n'), isError: false };
      }
      case 'who_owns': {
        const rel = repoRelative(call.path, toPosix(ctx.repoRoot));
        if (rel === null) return { text: `${call.path} is outside the repository: no package may write it`, isError: true };
        const index = this.ownerIndex();
        const found = index.lookup(rel);
        const owners = found.owners.map((slot) => index.packages[slot]!.id);
        const denied = found.deniedTo.map((slot) => index.packages[slot]!.id);
        const lockedBy = ctx.analysis.plan.packages.filter((p) => p.locks.files.some((g) => covers(g.value, rel))).map((p) => p.id);
        const who = (ids: string[]) => ids.map((o) => `${o}${o === id ? ' (you)' : ''} (${ctx.state.packages[o]?.status ?? 'not in this run'})`).join(', ');
        const lines = [
          owners.length ? `${rel} may be written by ${who(owners)}.` : `${rel} is in no package's write scope: writing it fails the audit of whoever does.`,
          ...(denied.length ? [`Denied to ${who(denied)}.`] : []),
          ...(lockedBy.length ? [`Locked by ${who(lockedBy)}.`] : []),
          owners.includes(id) ? 'You may write it.' : 'You may not write it: your audit fails if you do.',
        ];
        return { text: lines.join('\n'), isError: false };
      }
      case 'progress': {
        const ok = this.record({ type: 'progress', packageId: id, ...as, fraction: call.fraction, message: visibleText(call.message) });
        return ok ? { text: `noted: ${Math.round(call.fraction * 100)} %`, isError: false } : { text: 'the run could not note it', isError: true };
      }
      case 'ask': {
        const ok = this.record({ type: 'asked', packageId: id, ...as, question: call.question });
        return ok
          ? { text: "noted: end your turn now without changing anything; your package stops as this question, and the person's answer comes back to this conversation when it goes on (and in its next prompt)", isError: false }
          : { text: 'the run could not note it', isError: true };
      }
      case 'handoff': {
        const ok = this.record({ type: 'handoff', packageId: id, ...as, note: call.note });
        return ok ? { text: "noted: each package that depends on yours reads it in its prompt once yours has landed", isError: false } : { text: 'the run could not note it (an attempt leaves at most 10 notes)', isError: true };
      }
    }
  }

  /** The run's owner index, made again only when the run's plan changed (a sub-plan kept, the plan edited). */
  private ownerIndex(): OwnerIndex {
    if (this.owners?.analysis !== this.ctx.analysis) this.owners = { analysis: this.ctx.analysis, index: new OwnerIndex(this.ctx.analysis) };
    return this.owners.index;
  }
}

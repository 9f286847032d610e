/**
 * Agents talk back (ADR 0036): the run's answers to an attempt's `waves` MCP server. Each
 * attempt's socket (talkListener.ts) answers as that attempt's package only — its token says
 * which, never a name in the call — and an answer changes nothing of the run but that package's
 * own record (its progress, its notes for its dependents). Calls the engine refuses are said as a
 * problem of the package, once per reason; the agent works on either way.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TalkServer } from '../../core/agents/agentProfiles';
import { parseTalkCall, repoRelative, type TalkCall } from '../../core/talk/talkTools';
import { OwnerIndex } from '../../core/ownership/ownership';
import { covers } from '../../core/plan/glob';
import { visibleText } from '../../core/present/visibleText';
import { toPosix } from '../../util/posixPath';
import type { AttemptPlace } from '../attempt';
import { TALK_CONFIG, TALK_TOKEN_ENV, TalkListener, type TalkAnswer } from '../talk';
import type { RunContext } from './context';

export class TalkBack {
  private readonly listener = new TalkListener();
  private owners: { analysis: unknown; index: OwnerIndex } | null = null;
  private readonly said = new Set<string>();

  constructor(private readonly ctx: RunContext) {
    ctx.onStop(() => void this.listener.closeAll());
  }

  /**
   * Readies attempt `key` (of package `id`) to talk back when its executor can: its socket listens
   * and its MCP configuration is written in its folder. Returns the server for the CLI's argv, or
   * null (no server where it runs, or the socket could not be made: it works without).
   */
  async open(id: string, key: string, place: AttemptPlace): Promise<TalkServer | null> {
    const script = this.ctx.executor.talkServer?.(key) ?? null;
    if (!script) return null;
    const token = randomBytes(24).toString('hex');
    const config = path.join(place.dir, TALK_CONFIG);
    try {
      await fs.promises.mkdir(place.dir, { recursive: true });
      await this.listener.listen(key, place.dir, token, {
        answer: (name, args) => this.answer(id, name, args),
        refused: (why) => this.sayOnce(id, `${id}'s agent made a call the run refused: ${why}.`),
      });
      // `node` as the CLI finds it inside the walls (every preset's CLI is a Node program).
      const server: TalkServer = { config, command: 'node', args: [script], env: { [TALK_TOKEN_ENV]: token, WAVES_ATTEMPT_DIR: place.dir } };
      await fs.promises.writeFile(config, JSON.stringify({ mcpServers: { waves: { command: server.command, args: server.args, env: server.env } } }, null, 2) + '\n', { mode: 0o600 });
      return server;
    } catch (err) {
      await this.listener.close(key);
      this.sayOnce(id, `${id}'s agent works without the run's tools: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  }

  /** The attempt ended: its socket goes. */
  close(key: string): Promise<void> {
    return this.listener.close(key);
  }

  private sayOnce(id: string, message: string): void {
    if (this.said.has(message)) return;
    this.said.add(message);
    this.ctx.problem(message, id);
  }

  private async answer(id: string, name: unknown, args: unknown): Promise<TalkAnswer> {
    const parsed = parseTalkCall(name, args);
    if (!parsed.ok) return { text: parsed.error, isError: true };
    const record = this.ctx.state.packages[id];
    if (!record || (record.status !== 'running' && parsed.call.tool !== 'plan_status' && parsed.call.tool !== 'who_owns')) {
      return { text: `${id} is ${record?.status ?? 'not in this run'}: only a running attempt reports`, isError: true };
    }
    return this.act(id, parsed.call);
  }

  private act(id: string, call: TalkCall): TalkAnswer {
    const { ctx } = this;
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
        const ok = ctx.apply({ type: 'progress', packageId: id, fraction: call.fraction, message: visibleText(call.message) });
        return ok ? { text: `noted: ${Math.round(call.fraction * 100)} %`, isError: false } : { text: 'the run could not note it', isError: true };
      }
      case 'ask': {
        const ok = ctx.apply({ type: 'asked', packageId: id, question: call.question });
        return ok
          ? { text: "noted: end your turn now without changing anything; your package stops as this question, and the person's answer comes in your next attempt's prompt", isError: false }
          : { text: 'the run could not note it', isError: true };
      }
      case 'handoff': {
        const ok = ctx.apply({ type: 'handoff', packageId: id, note: call.note });
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

/**
 * A pull worker's agent talks back (ADR 0037, with ADR 0036's tools): the worker gives it the
 * `waves` MCP server as a run on this machine does — a socket in its attempt folder that checks
 * the attempt's token and rate, `mcp.json` beside it — and relays each call through the queue
 * (pgTalk.ts) to the run's driver, whose answer it hands back. The driver answers as for any
 * attempt of its own: as that package only, and only while this claim is the package's.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bothQuiet, type TalkServer } from '../../core/agents/agentProfiles';
import { SCOPE_ANSWER_MS } from '../../core/talk/talkTools';
import type { AttemptPlace } from '../attempt';
import type { PgTalk, TalkClaim } from '../coordinator';
import { mcpConfigText, personsMcpServers, repositoryMcpServers, TALK_CONFIG, TALK_TOKEN_ENV, TalkListener } from '../talk';

export interface WorkerTalkOptions {
  relay: PgTalk;
  claim: TalkClaim;
  worker: string;
  attempt: AttemptPlace;
  /** The package's tree (the repository's own MCP servers are read there, as its agent's CLI would load them). */
  worktree: string;
  /** The `waves` MCP server's bundle on this machine (beside the runner's). */
  script: string;
  /** Aborts the calls waiting for an answer: the claim lost, the agent ended. */
  signal: AbortSignal;
  /** A call refused here before it was relayed (a wrong token, too many calls). */
  onRefused?(why: string): void;
}

/** How long a relayed call waits for its answer: the longest the driver waits for the person (a scope request), and a minute more. */
export const RELAY_WAIT_MS = SCOPE_ANSWER_MS + 60_000;

/** Readies the attempt's talk: its socket listens, its `mcp.json` is written; the server for its CLI, and what closes it. */
export async function workerTalk(o: WorkerTalkOptions): Promise<{ server: TalkServer; close(): Promise<void> }> {
  const token = randomBytes(24).toString('hex');
  const listener = new TalkListener();
  await listener.listen('attempt', o.attempt.dir, token, {
    answer: (name, args) => o.relay.call(o.claim, o.worker, name, args, o.signal, RELAY_WAIT_MS),
    refused: (why) => o.onRefused?.(why),
  });
  const server: TalkServer = {
    config: path.join(o.attempt.dir, TALK_CONFIG),
    command: 'node',
    args: [o.script],
    env: { [TALK_TOKEN_ENV]: token, WAVES_ATTEMPT_DIR: o.attempt.dir },
    quiet: bothQuiet(repositoryMcpServers(o.worktree), personsMcpServers()),
  };
  try {
    await fs.promises.writeFile(server.config, mcpConfigText(server), { mode: 0o600 });
  } catch (err) {
    await listener.closeAll();
    throw err;
  }
  return { server, close: () => listener.closeAll() };
}

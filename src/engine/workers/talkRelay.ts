/**
 * The driver's end of a pull worker's agent talking back (ADR 0037, with ADR 0036's tools): the
 * calls the run's workers relayed through the queue (pgTalk.ts), each answered through the
 * engine's own socket for that attempt — the socket `TalkBack` listens on, with the attempt's
 * token: the same checks, rate and answers as an attempt on this machine — and the answer written
 * back for the worker. Looked for when a worker's call is heard (`NOTIFY`), and every so often.
 */
import type { PgTalk, QueueKey, RelayedCall } from '../coordinator';
import { callTalkSocket } from '../talk';
import { keyText } from './queueKey';

/** The longest a relayed call waits on the engine's socket (its answer bounded there: a scope request waits on the person at most 5 minutes). */
const SOCKET_WAIT_MS = 6 * 60_000;

interface Bridge {
  runId: string;
  socket: string;
  token: string;
}

export class TalkRelay {
  private readonly bridges = new Map<string, Bridge>();
  private hears: { close(): void } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private looking = false;
  private again = false;

  constructor(
    private readonly talk: PgTalk,
    private readonly featureId: string,
    private readonly everyMs: number,
  ) {}

  /** Answers attempt `key`'s calls at `socket` with `token`, until what it returns is called. */
  bridge(key: QueueKey, socket: string, token: string): () => Promise<void> {
    const k = keyText(key);
    const bridge: Bridge = { runId: key.runId, socket, token };
    this.bridges.set(k, bridge);
    if (!this.timer) {
      this.hears = this.talk.onCall(() => this.look());
      this.timer = setInterval(() => this.look(), this.everyMs);
      this.timer.unref();
    }
    return async () => {
      if (this.bridges.get(k) === bridge) this.bridges.delete(k);
      if (this.bridges.size === 0) this.stop();
    };
  }

  /** Whether attempt `key`'s calls are answered (its order then asks the worker to relay them). */
  has(key: QueueKey): boolean {
    return this.bridges.has(keyText(key));
  }

  stop(): void {
    this.hears?.close();
    this.hears = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One look at a time; a look asked meanwhile follows it. */
  private look(): void {
    if (this.looking) {
      this.again = true;
      return;
    }
    this.looking = true;
    void this.lookNow().finally(() => {
      this.looking = false;
      if (this.again) {
        this.again = false;
        this.look();
      }
    });
  }

  private async lookNow(): Promise<void> {
    for (const runId of new Set([...this.bridges.values()].map((b) => b.runId))) {
      let calls: RelayedCall[];
      try {
        calls = await this.talk.takeCalls(this.featureId, runId);
      } catch {
        // the coordinator away (or a fault of the read): the next look takes them
        return;
      }
      // Each answered in its own time: a scope request waits on the person, the others do not wait on it.
      for (const call of calls) void this.relay(runId, call);
    }
  }

  private async relay(runId: string, call: RelayedCall): Promise<void> {
    const bridge = this.bridges.get(keyText({ featureId: this.featureId, runId, packageId: call.packageId, attempt: call.attempt }));
    const answer = bridge ? await callTalkSocket(bridge.socket, { token: bridge.token, name: call.name, arguments: call.arguments }, SOCKET_WAIT_MS) : { text: 'the run no longer listens for this attempt', isError: true };
    await this.talk.answer(call.id, answer).catch(() => undefined); // the coordinator away: the worker's wait ends on its own, saying so
  }
}

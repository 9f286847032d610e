/**
 * The engine's end of agents talking back (ADR 0036): a Unix socket in each attempt's folder,
 * answering calls that carry that attempt's token — never another's — at a bounded rate. What a
 * call may do is the caller's `answer`; here only who calls and how often.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MAX_TALK_LINE, TALK_SOCKET, type TalkAnswer, type TalkRequest } from './talkWire';

/** The most calls one attempt may make, and in any one second. */
export const MAX_CALLS = 500;
export const MAX_CALLS_PER_SECOND = 20;
/** A Unix socket's path must fit in 108 bytes (Linux; 104 on macOS). */
const MAX_SOCKET_PATH = 100;

export interface TalkHandler {
  /** The attempt's answer to a call (its token checked, its rate kept). */
  answer(name: unknown, args: unknown): Promise<TalkAnswer>;
  /** A call refused before `answer` (a wrong token, too many calls, a malformed line): recorded by the caller. */
  refused(why: string): void;
}

interface Open {
  server: net.Server;
  file: string;
}

export class TalkListener {
  private readonly open = new Map<string, Open>();

  /** Listens for attempt `key` at `<dir>/waves.sock` (anything there before is replaced); resolves once it listens. */
  async listen(key: string, dir: string, token: string, handler: TalkHandler): Promise<void> {
    await this.close(key);
    const file = path.join(dir, TALK_SOCKET);
    fs.rmSync(file, { force: true });
    const expected = Buffer.from(token, 'utf8');
    let calls = 0;
    let second = 0;
    let inSecond = 0;
    const server = net.createServer((socket) => {
      let got = '';
      let asked = false;
      socket.setTimeout(30_000, () => socket.destroy());
      socket.on('error', () => socket.destroy());
      const answer = (a: TalkAnswer) => socket.end(JSON.stringify(a) + '\n');
      socket.on('data', (chunk) => {
        // One call per connection: what follows it is not read.
        if (asked) return;
        got += chunk.toString('utf8');
        if (got.length > MAX_TALK_LINE) {
          asked = true;
          handler.refused('a call longer than 64 KB');
          return answer({ text: 'refused: the call is too long', isError: true });
        }
        const nl = got.indexOf('\n');
        if (nl < 0) return;
        const line = got.slice(0, nl);
        asked = true;
        let req: TalkRequest;
        try {
          req = JSON.parse(line) as TalkRequest;
        } catch {
          // not a call
          handler.refused('a call that is not JSON');
          return answer({ text: 'refused: not a call', isError: true });
        }
        const given = Buffer.from(typeof req?.token === 'string' ? req.token : '', 'utf8');
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          handler.refused("a call without this attempt's token");
          return answer({ text: "refused: this is not your attempt's token", isError: true });
        }
        const now = Math.floor(Date.now() / 1000);
        if (now !== second) [second, inSecond] = [now, 0];
        if (++calls > MAX_CALLS || ++inSecond > MAX_CALLS_PER_SECOND) {
          handler.refused(calls > MAX_CALLS ? `more than ${MAX_CALLS} calls` : `more than ${MAX_CALLS_PER_SECOND} calls in a second`);
          return answer({ text: 'refused: too many calls; go on with your work', isError: true });
        }
        // The call is read: it waits on its answer (a scope request on the person), bounded by the handler, not the idle time.
        socket.setTimeout(0);
        handler.answer(req.name, req.arguments).then(answer, (err: unknown) => answer({ text: `the run could not answer: ${err instanceof Error ? err.message : String(err)}`, isError: true }));
      });
    });
    server.on('error', () => undefined); // a listening socket's later faults: the calls fail, the agent works on
    await listenAt(server, file);
    this.open.set(key, { server, file });
  }

  /** Stops listening for `key` and removes its socket. */
  async close(key: string): Promise<void> {
    const o = this.open.get(key);
    if (!o) return;
    this.open.delete(key);
    await new Promise<void>((resolve) => o.server.close(() => resolve()));
    fs.rmSync(o.file, { force: true });
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.open.keys()].map((k) => this.close(k)));
  }
}

/** Listens at `file`; a path too long for a socket is bound through a short link to its folder (the socket is made in the folder itself). */
async function listenAt(server: net.Server, file: string): Promise<void> {
  const listen = (at: string) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at, () => {
        server.off('error', reject);
        resolve();
      });
    });
  if (Buffer.byteLength(file) <= MAX_SOCKET_PATH) return listen(file);
  const link = path.join(os.tmpdir(), `waves-talk-${randomBytes(6).toString('hex')}`);
  fs.symlinkSync(path.dirname(file), link);
  try {
    await listen(path.join(link, path.basename(file)));
  } finally {
    fs.rmSync(link, { force: true });
  }
}

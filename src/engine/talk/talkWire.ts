/**
 * The wire between an attempt's `waves` MCP server (inside its walls) and the engine (ADR 0036):
 * a Unix socket `waves.sock` in the attempt folder — reachable inside the walls without a
 * network, reachable by nothing else — and one JSON line each way per call: the attempt's token,
 * the tool and its arguments; then the answer. Node built-ins only (the MCP server's bundle holds it).
 */
import net from 'node:net';

/** The MCP server's bundle, beside the runner's (esbuild.mjs). */
export const TALK_SERVER_SCRIPT = 'waves-mcp.js';
/** The MCP configuration an attempt's CLI is given, in its attempt folder. */
export const TALK_CONFIG = 'mcp.json';
/** The socket's name in the attempt folder (core's: the walls name it too). */
export { TALK_SOCKET } from '../../core/talk/talkTools';
/** The environment variable that carries the attempt's token to its MCP server. */
export const TALK_TOKEN_ENV = 'WAVES_TALK_TOKEN';
/** The most bytes one request line may hold. */
export const MAX_TALK_LINE = 64 * 1024;

export interface TalkRequest {
  token: string;
  name: unknown;
  arguments: unknown;
}

export interface TalkAnswer {
  text: string;
  isError: boolean;
}

/**
 * One call through the socket at `socketPath`: the request as one line, the answer's line read
 * back; never a throw — what went wrong is the answer's error. Used by the MCP server inside the
 * walls and by a driver relaying a pull worker's calls (workers/talkRelay.ts).
 */
export function callTalkSocket(socketPath: string, request: TalkRequest, timeoutMs: number): Promise<TalkAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: socketPath });
    let got = '';
    let done = false;
    const finish = (r: TalkAnswer) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => finish({ text: 'the run did not answer in time', isError: true }));
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ text: `the run is not listening (${err.code ?? err.message}): go on with your work`, isError: true }));
    socket.on('connect', () => socket.write(JSON.stringify(request) + '\n'));
    socket.on('data', (chunk) => {
      got += chunk.toString('utf8');
      if (got.length > MAX_TALK_LINE) return finish({ text: 'the run answered too much', isError: true });
      const nl = got.indexOf('\n');
      if (nl < 0) return;
      try {
        const a = JSON.parse(got.slice(0, nl)) as TalkAnswer;
        finish({ text: typeof a.text === 'string' ? a.text : '', isError: a.isError === true });
      } catch {
        // not the run's answer
        finish({ text: 'the run answered something unreadable', isError: true });
      }
    });
    socket.on('end', () => finish({ text: 'the run closed the call without an answer', isError: true }));
  });
}

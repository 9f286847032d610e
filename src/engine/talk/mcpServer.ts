/**
 * The `waves` MCP server an agent's CLI starts inside the agent's walls (ADR 0036): MCP over stdio
 * (mcpProtocol.ts), each tool call relayed to the engine through the attempt folder's socket
 * with the attempt's token (talkWire.ts). It knows nothing of the run and decides nothing: the
 * engine answers. Should the engine not listen (a run driven elsewhere, an older engine), each call
 * says so and the agent works on. Built to `dist/waves-mcp.js`; Node built-ins only.
 */
import readline from 'node:readline';
import { answerLine, type ToolResult } from '../../core/talk/mcpProtocol';
import { TALK_CALL_MS } from '../../core/talk/talkTools';
import { callTalkSocket, TALK_SOCKET, TALK_TOKEN_ENV } from './talkWire';

declare const WAVES_VERSION: string | undefined;
const VERSION = typeof WAVES_VERSION === 'string' ? WAVES_VERSION : '0.0.0';
const CALL_TIMEOUT_MS = 60_000;

/** One call through the socket (a path relative to the attempt folder, the process's cwd: a socket's path is short); a scope request waits on the person, answered within TALK_CALL_MS. */
function relay(token: string, name: unknown, args: unknown): Promise<ToolResult> {
  return callTalkSocket(TALK_SOCKET, { token, name, arguments: args }, name === 'request_scope' ? TALK_CALL_MS : CALL_TIMEOUT_MS);
}

function main(): void {
  const dir = process.env.WAVES_ATTEMPT_DIR;
  const token = process.env[TALK_TOKEN_ENV] ?? '';
  try {
    if (dir) process.chdir(dir);
  } catch (err) {
    process.stderr.write(`waves MCP server: cannot enter the attempt folder ${dir}: ${String(err)}\n`);
  }
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  // One answer at a time, in the order asked (a client may send the next before the last is answered).
  let queue: Promise<void> = Promise.resolve();
  lines.on('line', (line) => {
    if (!line.trim()) return;
    queue = queue.then(async () => {
      const answer = await answerLine(line, (name, args) => relay(token, name, args), VERSION);
      if (answer) process.stdout.write(JSON.stringify(answer) + '\n');
    });
  });
  lines.on('close', () => void queue.then(() => process.exit(0)));
}

main();

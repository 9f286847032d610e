/**
 * The wire between an attempt's `waves` MCP server (inside its walls) and the engine (ADR 0036):
 * a Unix socket `waves.sock` in the attempt folder — reachable inside the walls without a
 * network, reachable by nothing else — and one JSON line each way per call: the attempt's token,
 * the tool and its arguments; then the answer. Node built-ins only (the MCP server's bundle holds it).
 */

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

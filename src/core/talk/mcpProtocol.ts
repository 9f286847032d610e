/**
 * The part of the Model Context Protocol the `waves` MCP server speaks (ADR 0036): JSON-RPC 2.0
 * messages, one per line over stdio — `initialize`, `notifications/initialized`, `ping`,
 * `tools/list` and `tools/call` — answered for the tools of talkTools.ts. Anything else gets the
 * JSON-RPC error a client expects; nothing a client sends throws.
 *
 * Pure: the tool calls themselves are the caller's (`callTool`). No `vscode`, no I/O.
 */
import { TALK_TOOLS } from './talkTools';

/** The protocol revisions this server answers in; a client's other one gets the newest. */
export const PROTOCOL_VERSIONS = ['2025-06-18', '2025-03-26', '2024-11-05'] as const;

export interface ToolResult {
  text: string;
  isError: boolean;
}

type Id = string | number;
export type JsonRpcReply = { jsonrpc: '2.0'; id: Id | null; result: unknown } | { jsonrpc: '2.0'; id: Id | null; error: { code: number; message: string } };

const reply = (id: Id | null, result: unknown): JsonRpcReply => ({ jsonrpc: '2.0', id, result });
const fail = (id: Id | null, code: number, message: string): JsonRpcReply => ({ jsonrpc: '2.0', id, error: { code, message } });

/**
 * The answer to one line a client sent; null for a notification (no answer). `callTool` runs a
 * `tools/call` (its failure is the tool's error result, never the protocol's).
 */
export async function answerLine(line: string, callTool: (name: unknown, args: unknown) => Promise<ToolResult>, version: string): Promise<JsonRpcReply | null> {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    // not JSON: the JSON-RPC parse error, with no id to answer
    return fail(null, -32700, 'parse error');
  }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return fail(null, -32600, 'invalid request');
  const m = msg as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
  const id = typeof m.id === 'string' || (typeof m.id === 'number' && Number.isFinite(m.id)) ? m.id : null;
  // A response (this server asks nothing, so it is no answer of its) or a notification (no id): nothing to answer.
  if (typeof m.method !== 'string') return id === null || 'result' in m || 'error' in m ? null : fail(id, -32600, 'invalid request');
  if (m.id === undefined) return null;
  if (m.jsonrpc !== '2.0' || id === null) return fail(id, -32600, 'invalid request');
  const params = m.params && typeof m.params === 'object' && !Array.isArray(m.params) ? (m.params as Record<string, unknown>) : {};
  switch (m.method) {
    case 'initialize': {
      const asked = typeof params.protocolVersion === 'string' ? params.protocolVersion : '';
      return reply(id, {
        protocolVersion: (PROTOCOL_VERSIONS as readonly string[]).includes(asked) ? asked : PROTOCOL_VERSIONS[0],
        capabilities: { tools: { listChanged: false } },
        serverInfo: { name: 'waves', version },
        instructions: "Wave Orchestrator's tools for this work package: ask who owns a file, report your progress, leave your dependents a note, read the plan's status.",
      });
    }
    case 'ping':
      return reply(id, {});
    case 'tools/list':
      return reply(id, { tools: TALK_TOOLS.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema })) });
    case 'tools/call': {
      let result: ToolResult;
      try {
        result = await callTool(params.name, params.arguments);
      } catch (err) {
        result = { text: `the run could not answer: ${err instanceof Error ? err.message : String(err)}`, isError: true };
      }
      return reply(id, { content: [{ type: 'text', text: result.text }], isError: result.isError });
    }
    default:
      return fail(id, -32601, `method not found: ${m.method.slice(0, 80)}`);
  }
}

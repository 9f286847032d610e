/**
 * Agents talk back (ADR 0036): the tools the `waves` MCP server offers an agent inside its walls,
 * and each call's arguments checked before the engine acts on them. A call is the agent's word
 * only: the engine answers as the package the attempt belongs to (its token), never as a name the
 * call gives.
 *
 * Pure, deterministic. No `vscode`, no I/O.
 */

import { MAX_HANDOFF_CHARS, MAX_PROGRESS_CHARS, MAX_QUESTION_CHARS } from '../run/runStateFields';

export { MAX_HANDOFF_CHARS, MAX_HANDOFFS, MAX_PROGRESS_CHARS, MAX_QUESTION_CHARS, SCOPE_ANSWER_MS, TALK_CALL_MS } from '../run/runStateFields';
/** The Unix socket an attempt's MCP server reaches the engine through, in its attempt folder (the walls let the agent reach it). */
export const TALK_SOCKET = 'waves.sock';
/** The most characters a path may hold. */
export const MAX_PATH_CHARS = 1024;
/** `request_scope`: the most paths one request may name; the most a package may be granted in a run; its reason's most characters. */
export const MAX_SCOPE_PATHS = 20;
export const MAX_GRANTED_PATHS = 50;
export const MAX_REASON_CHARS = 500;
/** `lock`: the most characters a key may hold; its time to live by default and at most, in seconds. */
export const MAX_LOCK_KEY_CHARS = 200;
export const DEFAULT_LOCK_TTL_S = 600;
export const MAX_LOCK_TTL_S = 3600;

export interface TalkToolDef {
  name: TalkToolName;
  description: string;
  /** JSON Schema of its arguments (MCP `inputSchema`). */
  inputSchema: { type: 'object'; properties: Record<string, unknown>; required?: string[]; additionalProperties: false };
}

export type TalkToolName = 'plan_status' | 'who_owns' | 'request_scope' | 'lock' | 'unlock' | 'progress' | 'handoff' | 'ask';

export type TalkCall =
  | { tool: 'plan_status' }
  | { tool: 'who_owns'; path: string }
  | { tool: 'request_scope'; paths: string[]; reason: string }
  | { tool: 'lock'; key: string; ttlMs: number }
  | { tool: 'unlock'; key: string }
  | { tool: 'progress'; fraction: number; message: string }
  | { tool: 'handoff'; note: string }
  | { tool: 'ask'; question: string };

export const TALK_TOOLS: readonly TalkToolDef[] = [
  {
    name: 'plan_status',
    description: "The plan's packages in this run: each one's id, title, status and what it depends on. Read-only.",
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  },
  {
    name: 'who_owns',
    description:
      'Which package of the plan may write a file (its write scope and locks), and that package\'s status. Ask before touching a file outside your own scope: writing one you do not own fails your audit.',
    inputSchema: {
      type: 'object',
      properties: { path: { type: 'string', description: 'The file, relative to the repository root (e.g. src/api/users.ts).' } },
      required: ['path'],
      additionalProperties: false,
    },
  },
  {
    name: 'request_scope',
    description:
      'Ask for more write scope for your package: files (or patterns) it must change that the plan did not give it. Only files no other package may write, locks or was granted can be asked for (ask who_owns first); the person decides, and this call waits for the answer. Granted, your audit judges your work against the widened scope; refused, do not write them.',
    inputSchema: {
      type: 'object',
      properties: {
        paths: {
          type: 'array',
          items: { type: 'string' },
          minItems: 1,
          maxItems: MAX_SCOPE_PATHS,
          description: 'The files or patterns, relative to the repository root (e.g. src/api/users.test.ts, docs/api/**).',
        },
        reason: { type: 'string', description: `Why your package must write them, for the person (at most ${MAX_REASON_CHARS} characters).` },
      },
      required: ['paths', 'reason'],
      additionalProperties: false,
    },
  },
  {
    name: 'lock',
    description: `Hold a logical lock key of the plan format (such as db:migration-slot, db:schema:users or api:GET /v1/users) while you change what it names: packages of the plan that lock the same key wait until you release it, and another package's agent asking for it is refused. Released by unlock, when it lapses (ttl_seconds: default ${DEFAULT_LOCK_TTL_S}, at most ${MAX_LOCK_TTL_S}), or when your attempt ends.`,
    inputSchema: {
      type: 'object',
      properties: {
        key: { type: 'string', description: `The key (at most ${MAX_LOCK_KEY_CHARS} characters).` },
        ttl_seconds: { type: 'integer', minimum: 1, maximum: MAX_LOCK_TTL_S, description: 'How long it holds unless released or renewed (a second call renews it).' },
      },
      required: ['key'],
      additionalProperties: false,
    },
  },
  {
    name: 'unlock',
    description: 'Release a lock key you took with lock. The locks of your plan are released when your package ends.',
    inputSchema: {
      type: 'object',
      properties: { key: { type: 'string', description: 'The key, as you locked it.' } },
      required: ['key'],
      additionalProperties: false,
    },
  },
  {
    name: 'progress',
    description: 'How far your work is, shown live to the person beside your package (the DAG, the Waves view, `waves status`).',
    inputSchema: {
      type: 'object',
      properties: {
        fraction: { type: 'number', minimum: 0, maximum: 1, description: 'Done so far, 0 to 1.' },
        message: { type: 'string', description: `What you are doing now, one short line (at most ${MAX_PROGRESS_CHARS} characters).` },
      },
      required: ['fraction', 'message'],
      additionalProperties: false,
    },
  },
  {
    name: 'handoff',
    description:
      'A note for the packages that depend on yours: what they must know of your work (an endpoint\'s real path, a name you chose). It is put into each dependent\'s prompt once your package lands, and shown in the report.',
    inputSchema: {
      type: 'object',
      properties: { note: { type: 'string', description: `The note (at most ${MAX_HANDOFF_CHARS} characters).` } },
      required: ['note'],
      additionalProperties: false,
    },
  },
  {
    name: 'ask',
    description:
      'A question only the person can answer, when you cannot go on without it. After asking, end your turn at once without changing anything: your package stops as this question, and the person\'s answer comes in your next attempt\'s prompt.',
    inputSchema: {
      type: 'object',
      properties: { question: { type: 'string', description: `The question, for the person (at most ${MAX_QUESTION_CHARS} characters).` } },
      required: ['question'],
      additionalProperties: false,
    },
  },
];

/** A tool call's arguments checked; the reason when they cannot be used. */
export function parseTalkCall(name: unknown, args: unknown): { ok: true; call: TalkCall } | { ok: false; error: string } {
  const tool = TALK_TOOLS.find((t) => t.name === name);
  if (!tool) return { ok: false, error: `no tool ${JSON.stringify(String(name)).slice(0, 80)}: the tools are ${TALK_TOOLS.map((t) => t.name).join(', ')}` };
  const a = args === undefined || args === null ? {} : args;
  if (typeof a !== 'object' || Array.isArray(a)) return { ok: false, error: `${tool.name}: the arguments must be an object` };
  const given = a as Record<string, unknown>;
  const extra = Object.keys(given).filter((k) => !(k in tool.inputSchema.properties));
  if (extra.length) return { ok: false, error: `${tool.name}: no argument ${extra.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}` };
  const text = (key: string, max: number): string | { error: string } => {
    const v = given[key];
    if (typeof v !== 'string' || v.trim() === '') return { error: `${tool.name}: ${key} must be a non-empty string` };
    if (v.length > max) return { error: `${tool.name}: ${key} is longer than ${max} characters` };
    return v;
  };
  switch (tool.name) {
    case 'plan_status':
      return { ok: true, call: { tool: 'plan_status' } };
    case 'who_owns': {
      const p = text('path', MAX_PATH_CHARS);
      return typeof p === 'string' ? { ok: true, call: { tool: 'who_owns', path: p } } : { ok: false, error: p.error };
    }
    case 'request_scope': {
      const ps = given.paths;
      if (!Array.isArray(ps) || ps.length === 0 || ps.length > MAX_SCOPE_PATHS) return { ok: false, error: `request_scope: paths must list 1 to ${MAX_SCOPE_PATHS} paths` };
      if (!ps.every((x): x is string => typeof x === 'string' && x.trim() !== '' && x.length <= MAX_PATH_CHARS)) return { ok: false, error: `request_scope: each path must be a non-empty string of at most ${MAX_PATH_CHARS} characters` };
      const r = text('reason', MAX_REASON_CHARS);
      return typeof r === 'string' ? { ok: true, call: { tool: 'request_scope', paths: [...new Set(ps)], reason: r } } : { ok: false, error: r.error };
    }
    case 'lock':
    case 'unlock': {
      const k = text('key', MAX_LOCK_KEY_CHARS);
      if (typeof k !== 'string') return { ok: false, error: k.error };
      if (/[\u0000-\u001f\u007f]/.test(k)) return { ok: false, error: `${tool.name}: key holds a control character` };
      if (tool.name === 'unlock') return { ok: true, call: { tool: 'unlock', key: k } };
      const t = given.ttl_seconds ?? DEFAULT_LOCK_TTL_S;
      if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > MAX_LOCK_TTL_S) return { ok: false, error: `lock: ttl_seconds must be a whole number from 1 to ${MAX_LOCK_TTL_S}` };
      return { ok: true, call: { tool: 'lock', key: k, ttlMs: t * 1000 } };
    }
    case 'progress': {
      const f = given.fraction;
      if (typeof f !== 'number' || !Number.isFinite(f) || f < 0 || f > 1) return { ok: false, error: 'progress: fraction must be a number from 0 to 1' };
      const m = text('message', MAX_PROGRESS_CHARS);
      return typeof m === 'string' ? { ok: true, call: { tool: 'progress', fraction: f, message: m } } : { ok: false, error: m.error };
    }
    case 'handoff': {
      const n = text('note', MAX_HANDOFF_CHARS);
      return typeof n === 'string' ? { ok: true, call: { tool: 'handoff', note: n } } : { ok: false, error: n.error };
    }
    case 'ask': {
      const q = text('question', MAX_QUESTION_CHARS);
      return typeof q === 'string' ? { ok: true, call: { tool: 'ask', question: q } } : { ok: false, error: q.error };
    }
  }
}

/**
 * A path an agent names, as the repository's own (posix, relative, no `.` or `..` steps); null
 * when it leads out of the repository. `repoRoot` is posix; an absolute path inside it is made relative.
 */
export function repoRelative(p: string, repoRoot: string): string | null {
  let s = p.replace(/\\/g, '/');
  const root = repoRoot.replace(/\\/g, '/').replace(/\/+$/, '');
  if (s.startsWith('/')) {
    if (s !== root && !s.startsWith(root + '/')) return null;
    s = s.slice(root.length + 1);
  }
  const out: string[] = [];
  for (const part of s.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (!out.length) return null;
      out.pop();
    } else out.push(part);
  }
  return out.length ? out.join('/') : null;
}

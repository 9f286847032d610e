/**
 * What an agent's log says (docs/run-engine.md, "Agents"): its own final verdict, read by one
 * parser per CLI (Claude Code, Gemini, Codex, Copilot); what it spent; whether a usage limit
 * stopped it and when the limit resets; the question it ended with; and the output lines that
 * mean it waits for a person. Never throws, whatever the log holds.
 *
 * Pure: no `vscode`, no processes.
 */
import type { AgentProfile, VerdictParserId } from './agentProfiles';
import { addSpend, type Spend } from '../run/spend';
import { isSessionId } from '../run/runStateFields';

// ---------------------------------------------------------------------------------------
// Waiting for a person

/** Texts agents print when a usage or rate limit stops them (matched case-insensitively). */
export const USAGE_LIMIT_PATTERN =
  String.raw`usage limit|rate[ _-]?limit|quota (?:exceeded|exhausted)|exhausted your (?:\w+ )?quota|resource_exhausted|you(?:'|’)ve hit your (?:[\w-]+ )?limit|hit your limit|limit will reset|premium requests|credit balance is too low|\b429\b`;

/** Why an output line means the agent waits for a person, or null. */
export function needsInputReason(profile: Pick<AgentProfile, 'needsInputPattern'>, line: string): string | null {
  if (!profile.needsInputPattern) return null;
  // A JSON event line carries the model's own text (an agent working ON rate limiting writes
  // "rate limit" all day): only the CLI's plain lines — its prompts and status — count.
  const t = line.trim();
  if (t.startsWith('{') && t.endsWith('}')) return null;
  let re: RegExp;
  try {
    re = new RegExp(profile.needsInputPattern, 'i');
  } catch {
    // the profile's pattern is no regular expression: no line reads as a question
    return null;
  }
  if (!re.test(line)) return null;
  const text = oneLine(line, 200);
  return new RegExp(USAGE_LIMIT_PATTERN, 'i').test(line) ? `usage limit: ${text}` : `waiting for input: ${text}`;
}

// ---------------------------------------------------------------------------------------
// Verdicts

export interface AgentVerdict {
  /** The agent reported a final result of its own in the log. */
  reported: boolean;
  /** That result says success (false when nothing was reported). */
  ok: boolean;
  /** One line for a person. */
  detail: string;
  /** A usage or rate limit stopped the agent (from its structured report or its own messages, never the model's text). */
  usageLimit: boolean;
  /** When the limit resets (ISO 8601), when the agent said so in a form that can be read. */
  resetAt?: string | null;
  /** The last lines the agent's CLI printed that are not its JSON events (its own messages), for a failure without a verdict. */
  tail?: string[];
  /** Tokens and cost, where the CLI reports them. */
  spend?: Spend | null;
  /** The agent's last message when it ends its turn with a question (a `?` at its end), for needs-input. */
  question?: string | null;
  /** Tool uses the CLI denied (Claude Code's `permission_denials`), as `Tool: input` lines. */
  denials?: string[];
  /** A path the agent's walls refused it, read from the CLI's own error (only for a verdict read inside walls: `VerdictContext.walls`). */
  refused?: RefusedPath | null;
  /** The CLI's own id of its session, where its output says it (Claude Code's `session_id`, Codex's `thread.started`): a question answered resumes it (core/agents/agentSessions.ts). */
  session?: string | null;
}

/** What the verdict is read knowing: the agent ran inside walls, with this home folder (read-only there). */
export interface VerdictContext {
  walls?: { home: string };
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);

/** The agent's last message to the person, from its structured output (null when none can be told). */
export function lastMessageOf(id: VerdictParserId, objects: readonly Record<string, unknown>[]): string | null {
  if (id === 'claude-stream-json') {
    const result = [...objects].reverse().find((o) => o.type === 'result');
    return result && result.is_error !== true && typeof result.result === 'string' ? result.result : null;
  }
  if (id === 'codex-jsonl') {
    for (const o of [...objects].reverse()) {
      const item = o.item as Record<string, unknown> | undefined;
      if (o.type === 'item.completed' && item?.type === 'agent_message' && typeof item.text === 'string') return item.text;
    }
    return null;
  }
  if (id === 'gemini-json') {
    const result = [...objects].reverse().find((o) => 'response' in o);
    return result && typeof result.response === 'string' ? result.response : null;
  }
  if (id === 'copilot-json') {
    // Its session events: the last `assistant.message` that says something (`data.content`).
    for (const o of [...objects].reverse()) {
      const data = o.data as Record<string, unknown> | undefined;
      if (o.type === 'assistant.message' && typeof data?.content === 'string' && data.content.trim()) return data.content;
    }
    return null;
  }
  return null;
}

/** Claude Code's `permission_denials` of its result: `Bash: git add -A`, one per denied tool use. */
function claudeDenials(objects: readonly Record<string, unknown>[]): string[] {
  const result = [...objects].reverse().find((o) => o.type === 'result');
  const list = Array.isArray(result?.permission_denials) ? (result!.permission_denials as Record<string, unknown>[]) : [];
  return list.map((d) => {
    const input = d?.tool_input as Record<string, unknown> | undefined;
    const what = input ? str(input.command ?? input.file_path ?? input.path ?? input) : '';
    return oneLine(`${str(d?.tool_name) || 'a tool'}${what ? `: ${what}` : ''}`, 200);
  });
}

/** Tokens and cost from a CLI's structured output (docs/agents-testing.md has samples of each). */
export function spendOf(id: VerdictParserId, objects: readonly Record<string, unknown>[]): Spend | null {
  if (id === 'claude-stream-json') {
    const result = [...objects].reverse().find((o) => o.type === 'result');
    const u = result?.usage as Record<string, unknown> | undefined;
    if (!result || !u) return null;
    return {
      inputTokens: count(u.input_tokens),
      outputTokens: count(u.output_tokens),
      cachedTokens: count(u.cache_read_input_tokens) + count(u.cache_creation_input_tokens),
      costUsd: typeof result.total_cost_usd === 'number' && Number.isFinite(result.total_cost_usd) ? result.total_cost_usd : null,
    };
  }
  if (id === 'codex-jsonl') {
    let spend: Spend | null = null;
    for (const o of objects) {
      const u = o.type === 'turn.completed' ? (o.usage as Record<string, unknown> | undefined) : undefined;
      if (!u) continue;
      const cached = count(u.cached_input_tokens);
      spend = addSpend(spend, { inputTokens: Math.max(0, count(u.input_tokens) - cached), outputTokens: count(u.output_tokens), cachedTokens: cached, costUsd: null });
    }
    return spend;
  }
  if (id === 'gemini-json') {
    const result = [...objects].reverse().find((o) => o.stats && typeof o.stats === 'object');
    const models = (result?.stats as Record<string, unknown> | undefined)?.models as Record<string, { tokens?: Record<string, unknown> }> | undefined;
    if (!models || typeof models !== 'object') return null;
    let spend: Spend | null = null;
    for (const m of Object.values(models)) {
      const t = m?.tokens;
      if (!t) continue;
      const cached = count(t.cached);
      const input = t.input !== undefined ? count(t.input) : Math.max(0, count(t.prompt) - cached);
      spend = addSpend(spend, { inputTokens: input, outputTokens: count(t.candidates) + count(t.thoughts), cachedTokens: cached, costUsd: null });
    }
    return spend;
  }
  return null;
}

const MAX_LOG = 64 * 1024 * 1024;

/** The agent's own verdict, read from its log (stdout and stderr, interleaved). Never throws. */
export function parseVerdict(id: VerdictParserId, logText: string, now: number = Date.now(), context: VerdictContext = {}): AgentVerdict {
  if (typeof logText !== 'string') return notReported('no log');
  // Only the tail matters: final events come last.
  const text = logText.length > MAX_LOG ? logText.slice(-MAX_LOG) : logText;
  try {
    const verdict = ((): AgentVerdict => {
      switch (id) {
        case 'claude-stream-json':
          return claudeVerdict(text);
        case 'gemini-json':
          return geminiVerdict(text);
        case 'codex-jsonl':
          return codexVerdict(text);
        case 'copilot-json':
          return copilotVerdict(text);
        case 'none':
          return notReported('this agent reports no verdict of its own');
        default:
          return notReported(`unknown verdict parser "${String(id)}"`);
      }
    })();
    // A limit only stops an agent that did not succeed; its reset time, and the CLI's last own lines.
    const usageLimit = verdict.usageLimit && !(verdict.reported && verdict.ok);
    const { objects, plain } = scanLog(text);
    // Its own last words, not a stack trace's frames (a Node error's `at …` lines and its fields).
    const tail = plain.filter((l) => !isTraceLine(l)).slice(-3).map((l) => oneLine(l, 200));
    const refused = context.walls ? refusedPath(plain.slice(-200), context.walls.home) : null;
    const spend = spendOf(id, objects);
    const last = lastMessageOf(id, objects);
    const question = last && /\?\s*$/.test(last) ? oneLine(last, 600) : null;
    const denials = id === 'claude-stream-json' ? claudeDenials(objects) : [];
    const session = sessionOf(id, objects);
    return {
      ...(session ? { session } : {}),
      ...(question ? { question } : {}),
      ...(denials.length ? { denials } : {}),
      ...verdict,
      usageLimit,
      resetAt: usageLimit ? resetTimeOf(`${verdict.detail}\n${plain.slice(-20).join('\n')}`, now) : null,
      ...(tail.length ? { tail } : {}),
      ...(spend ? { spend } : {}),
      ...(refused ? { refused } : {}),
    };
  } catch (err) {
    return notReported(`the log could not be read: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The session id the CLI's own events name (the last that does): Claude Code's `session_id` on its events, Codex's `thread.started` `thread_id`; only what can be passed back as one. */
function sessionOf(id: VerdictParserId, objects: readonly Record<string, unknown>[]): string | null {
  for (let i = objects.length - 1; i >= 0; i--) {
    const o = objects[i]!;
    const value = id === 'claude-stream-json' ? o.session_id : id === 'codex-jsonl' && o.type === 'thread.started' ? o.thread_id : undefined;
    if (isSessionId(value)) return value;
  }
  return null;
}

/**
 * A line of a stack trace or of an error object's dump rather than a message: Node's `    at f
 * (file:1:2)` frames and `  code: 'EROFS',` fields, a lone `}`, Python's `  File "…", line 3`
 * and `Traceback (most recent call last):`, Rust's `stack backtrace:` and numbered frames.
 */
export function isTraceLine(line: string): boolean {
  return (
    /^\s+at\s\S/.test(line) ||
    /^\s*[}\]][,;]?\s*$/.test(line) ||
    /^\s*\^+\s*$/.test(line) ||
    /^\s+(errno|code|syscall|path|dest|address|port|info|cause|\[cause\]|\[errors\]|\[stack\]|\[message\]):\s/.test(line) ||
    /^Traceback \(most recent call last\):$/.test(line.trim()) ||
    /^\s+File "[^"]*", line \d+/.test(line) ||
    /^stack backtrace:$/.test(line.trim()) ||
    /^\s+\d+:\s+(0x[0-9a-f]+ - )?\S+::/.test(line)
  );
}

/** A path the walls refused an agent, as its CLI's error says it. */
export interface RefusedPath {
  /** The path, when the error names one. */
  path: string | null;
  /** What was refused: the system's error code (a read-only file system, a permission, a folder that could not be made). */
  code: 'EROFS' | 'EACCES' | 'EPERM' | 'ENOENT';
  /** What the CLI tried, when the error says (`mkdir`, `open`, `rename`, …). */
  syscall: string | null;
  /** The error's line, shortened. */
  line: string;
}

const ERRNO_CODES: Readonly<Record<string, RefusedPath['code']>> = { '30': 'EROFS', '13': 'EACCES', '1': 'EPERM', '2': 'ENOENT' };

/** The code a line's error reads as: its errno name, its number, or the system's words. */
function codeOf(line: string): RefusedPath['code'] | null {
  const name = /\b(EROFS|EACCES|EPERM|ENOENT)\b/.exec(line)?.[1];
  if (name) return name as RefusedPath['code'];
  const num = /\(os error (\d+)\)|\[Errno (\d+)\]|\berrno[ =:]+-?(\d+)\b/i.exec(line);
  const n = num && (num[1] ?? num[2] ?? num[3]);
  if (n && ERRNO_CODES[n]) return ERRNO_CODES[n];
  if (/read-only file system/i.test(line)) return 'EROFS';
  if (/permission denied/i.test(line)) return 'EACCES';
  if (/operation not permitted/i.test(line)) return 'EPERM';
  if (/no such file or directory/i.test(line)) return 'ENOENT';
  return null;
}

/** The path and the call a line's error names: Node's `EROFS: …, mkdir '/p'`, Go's `mkdir /p: read-only file system`, Python's `[Errno 30] …: '/p'`, a quoted path. */
function pathOf(line: string): { path: string; syscall: string | null } | null {
  const node = /\b(mkdir|open|write|rename|unlink|rmdir|symlink|link|copyfile|scandir|chmod|utime|access|mkdtemp)\s+'(\/[^']*)'/.exec(line);
  if (node) return { path: node[2]!, syscall: node[1]! };
  const go = /\b(mkdir|open|write|rename|remove|symlink|link|chmod|mkdirall|create)\s+(\/[^\s:]+):\s/i.exec(line);
  if (go) return { path: go[2]!, syscall: go[1]!.toLowerCase() };
  const quoted = /'(\/[^']+)'|"(\/[^"]+)"|`(\/[^`]+)`/.exec(line);
  if (quoted) return { path: quoted[1] ?? quoted[2] ?? quoted[3]!, syscall: /\bmkdir|create (?:the )?dir|create directory/i.test(line) ? 'mkdir' : null };
  return null;
}

/**
 * The path the walls refused an agent whose CLI's own error says so (the last such error of
 * `plain`, its own lines; one naming a path before one that names none). A read-only file
 * system always reads as the walls' (inside them everything but the agent's places is); a
 * permission refused, or a folder that could not be made (`ENOENT` on `mkdir`: Node's recursive
 * `mkdir` says so of a read-only parent) only under `home`, which the walls show read-only.
 * Null when no line reads so.
 */
export function refusedPath(plain: readonly string[], home: string): RefusedPath | null {
  const underHome = (p: string) => p === home || p.startsWith(`${home.replace(/\/$/, '')}/`);
  let found: RefusedPath | null = null;
  for (let i = 0; i < plain.length; i++) {
    const line = plain[i]!;
    // A stack frame or an error's dumped field (`  code: 'EROFS',`) repeats the message above it.
    if (isTraceLine(line)) continue;
    const code = codeOf(line);
    if (!code) continue;
    // The path on the line, or on one just before it (Rust's `Caused by:` under the path's line), or in a Node error's dump after it (`path: '/p'`).
    let at = pathOf(line);
    for (let j = i - 1; !at && j >= Math.max(0, i - 3); j--) if (!codeOf(plain[j]!) && !isTraceLine(plain[j]!)) at = pathOf(plain[j]!);
    if (!at) {
      const dumped = plain.slice(i + 1, i + 12).find((l) => /^\s+path:\s+'\//.test(l));
      const syscall = plain.slice(i + 1, i + 12).find((l) => /^\s+syscall:\s+'/.test(l));
      if (dumped) at = { path: /'([^']*)'/.exec(dumped)![1]!, syscall: syscall ? /'([^']*)'/.exec(syscall)![1]! : null };
    }
    const walls = code === 'EROFS' || (at !== null && underHome(at.path) && (code !== 'ENOENT' || at.syscall === 'mkdir'));
    if (!walls) continue;
    const candidate: RefusedPath = { path: at?.path ?? null, code, syscall: at?.syscall ?? null, line: oneLine(line, 300) };
    if (candidate.path !== null || found === null || found.path === null) found = candidate;
  }
  return found;
}

/** What the walls refused, in a person's words: the path and what the CLI tried there. */
export function refusedPathText(r: RefusedPath): string {
  const how = r.code === 'ENOENT' ? 'its parent folder is read-only inside the walls' : 'read-only inside the walls';
  if (!r.path) return `its walls did not let it write (${how}; its error names no path: “${r.line}”)`;
  const tried = r.syscall === 'mkdir' ? `make the folder ${r.path}` : !r.syscall || ['open', 'write', 'copyfile', 'create'].includes(r.syscall) ? `write ${r.path}` : `${r.syscall} ${r.path}`;
  return `its walls did not let it ${tried} (${how})`;
}

function notReported(detail: string, usageLimit = false): AgentVerdict {
  return { reported: false, ok: false, detail, usageLimit };
}

const usageLimitRe = () => new RegExp(USAGE_LIMIT_PATTERN, 'i');

interface Scanned {
  objects: Record<string, unknown>[];
  /** Lines that are not part of a JSON object: the CLI's own messages (stderr). */
  plain: string[];
}

/**
 * Splits a log into the JSON objects it holds (one per line, or pretty-printed over several
 * lines starting at a line's first column) and the other lines.
 */
export function scanLog(text: string): Scanned {
  const objects: Record<string, unknown>[] = [];
  const plain: string[] = [];
  let i = 0;
  while (i < text.length) {
    const eol = text.indexOf('\n', i);
    const lineEnd = eol === -1 ? text.length : eol;
    if (text[i] === '{') {
      const end = matchObject(text, i);
      if (end !== -1) {
        try {
          const value: unknown = JSON.parse(text.slice(i, end));
          if (value && typeof value === 'object' && !Array.isArray(value)) {
            objects.push(value as Record<string, unknown>);
            const next = text.indexOf('\n', end);
            const rest = text.slice(end, next === -1 ? text.length : next).trim();
            if (rest) plain.push(rest);
            i = next === -1 ? text.length : next + 1;
            continue;
          }
        } catch {
          // not JSON: a plain line
        }
      }
    }
    const line = text.slice(i, lineEnd).replace(/\r$/, '');
    if (line.trim()) plain.push(line);
    i = lineEnd + 1;
  }
  return { objects, plain };
}

/** End (exclusive) of the JSON object starting at `start`, by string-aware brace matching; -1 if it never closes. */
function matchObject(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let k = start; k < text.length; k++) {
    const c = text[k];
    if (inString) {
      if (c === '\\') k++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return k + 1;
    }
  }
  return -1;
}

function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  try {
    return JSON.stringify(value);
  } catch {
    // a value JSON cannot write (a cycle, a BigInt): its plain text
    return String(value);
  }
}

/** `s` on one line (white space folded), cut to `max` characters with `…`. */
export function oneLine(s: string, max = 300): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

/**
 * The reset time an agent gave with its usage limit, when it can be read without guessing a
 * time zone: Claude Code's `…usage limit reached|<epoch seconds>`, or an ISO 8601 time with a
 * zone. `resets at 5pm` is not read (whose 5pm?): null.
 */
export function resetTimeOf(text: string, now: number = Date.now()): string | null {
  const epoch = /limit[^|\n]*\|(\d{10})\b/i.exec(text);
  if (epoch) return new Date(Number(epoch[1]) * 1000).toISOString();
  const iso = /(?:resets?(?: at| on)?|until|after)\s+(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))/i.exec(text);
  if (iso && Number.isFinite(Date.parse(iso[1]!))) return new Date(Date.parse(iso[1]!)).toISOString();
  // Claude Code as a subscriber: "resets 6:24pm (UTC)" — a clock time with its zone: the next such UTC time.
  const utc = /resets?(?: at)? (\d{1,2})(?::(\d{2}))?\s*([ap]m)\s*\(UTC\)/i.exec(text);
  if (utc && Number.isFinite(now)) return nextClock(now, Number(utc[1]), Number(utc[2] ?? 0), utc[3]!, true);
  // Codex, when the reset is on another day: "try again at Nov 26th, 2026 12:06 AM." — this machine's clock.
  const dated = /try again at ([A-Z][a-z]{2})[a-z]* (\d{1,2})(?:st|nd|rd|th)?,?(?: (\d{4}))?,? (\d{1,2}):(\d{2})\s*([ap]m)\b/i.exec(text);
  if (dated && Number.isFinite(now)) return localDate(now, dated[1]!, Number(dated[2]), dated[3] === undefined ? null : Number(dated[3]), Number(dated[4]), Number(dated[5]), dated[6]!);
  // Codex: "try again at 6:26 PM." — this machine's clock (the CLI runs here): the next such local time.
  const local = /try again at (\d{1,2})(?::(\d{2}))?\s*([ap]m)\b/i.exec(text);
  if (local && Number.isFinite(now)) return nextClock(now, Number(local[1]), Number(local[2] ?? 0), local[3]!, false);
  // Codex: "try again in 2 hours 14 minutes" — from the moment the agent said it.
  const rel = /(?:try again|resets?|available again) in (?:(\d+) days?)?\s*(?:(\d+) hours?)?\s*(?:(\d+) min(?:ute)?s?)?/i.exec(text);
  if (rel && (rel[1] || rel[2] || rel[3])) {
    const ms = ((Number(rel[1] ?? 0) * 24 + Number(rel[2] ?? 0)) * 60 + Number(rel[3] ?? 0)) * 60_000;
    if (Number.isFinite(now)) return new Date(now + ms).toISOString();
  }
  return null;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * `Nov 26th[, 2026] 12:06 AM` on this machine's clock; without a year, the next such moment from
 * `now`. Null when it names no real day and time.
 */
function localDate(now: number, month: string, day: number, year: number | null, hour12: number, minute: number, ampm: string): string | null {
  const m = MONTHS.indexOf(month.toLowerCase());
  if (m < 0 || day < 1 || day > 31 || hour12 < 1 || hour12 > 12 || minute > 59) return null;
  const hour = (hour12 % 12) + (ampm.toLowerCase() === 'pm' ? 12 : 0);
  const at = (y: number) => new Date(y, m, day, hour, minute, 0, 0);
  const thisYear = new Date(now).getFullYear();
  let d = at(year ?? thisYear);
  if (year === null && d.getTime() < now) d = at(thisYear + 1);
  if (d.getDate() !== day) return null; // Feb 30th and the like
  return d.toISOString();
}

/** The next moment at or after `now` showing h:mm am/pm, in UTC or this machine's time zone. */
function nextClock(now: number, hour12: number, minute: number, ampm: string, utc: boolean): string | null {
  if (hour12 < 1 || hour12 > 12 || minute > 59) return null;
  const hour = (hour12 % 12) + (ampm.toLowerCase() === 'pm' ? 12 : 0);
  const d = new Date(now);
  if (utc) d.setUTCHours(hour, minute, 0, 0);
  else d.setHours(hour, minute, 0, 0);
  if (d.getTime() < now) {
    if (utc) d.setUTCDate(d.getUTCDate() + 1);
    else d.setDate(d.getDate() + 1);
  }
  return d.toISOString();
}

function plainUsageLimit(plain: readonly string[]): string | undefined {
  const re = usageLimitRe();
  return plain.find((l) => re.test(l));
}

function claudeVerdict(text: string): AgentVerdict {
  const { objects, plain } = scanLog(text);
  const result = [...objects].reverse().find((o) => o.type === 'result');
  const limitLine = plainUsageLimit(plain);
  if (!result) {
    if (limitLine) return notReported(oneLine(limitLine), true);
    return notReported('no final result event in the log (expected {"type":"result",…} from --output-format stream-json)');
  }
  const subtype = typeof result.subtype === 'string' ? result.subtype : '';
  const isError = result.is_error === true;
  const message = str(result.result) || (Array.isArray(result.errors) ? result.errors.map(str).join('; ') : '');
  const ok = !isError && (subtype === '' || subtype === 'success');
  // `is_error` with subtype "success" is an API error: `api_error_status` says which.
  const apiStatus = typeof result.api_error_status === 'number' || typeof result.api_error_status === 'string' ? String(result.api_error_status) : '';
  const usageLimit = (!ok && (usageLimitRe().test(message) || apiStatus === '429')) || limitLine !== undefined;
  const kind = subtype && subtype !== 'success' ? subtype : apiStatus ? `API error ${apiStatus}` : 'is_error';
  const detail = ok
    ? `Claude Code reported success${typeof result.num_turns === 'number' ? ` after ${result.num_turns} turns` : ''}`
    : `Claude Code reported an error (${kind})${message ? `: ${oneLine(message)}` : ''}`;
  return { reported: true, ok, detail, usageLimit };
}

function geminiVerdict(text: string): AgentVerdict {
  const { objects, plain } = scanLog(text);
  const result = [...objects].reverse().find((o) => 'response' in o || 'error' in o || 'stats' in o);
  const limitLine = plainUsageLimit(plain);
  if (!result) {
    if (limitLine) return notReported(oneLine(limitLine), true);
    return notReported('no JSON result in the log (expected {response, stats, error?} from --output-format json)');
  }
  const error = result.error;
  if (error !== undefined && error !== null) {
    const e = error as Record<string, unknown>;
    const message = typeof e === 'object' ? [str(e.type), str(e.message), e.code !== undefined ? `code ${str(e.code)}` : ''].filter(Boolean).join(': ') : str(error);
    return { reported: true, ok: false, detail: `Gemini CLI reported an error: ${oneLine(message)}`, usageLimit: usageLimitRe().test(message) || limitLine !== undefined };
  }
  return { reported: true, ok: true, detail: 'Gemini CLI reported a response', usageLimit: limitLine !== undefined };
}

function codexVerdict(text: string): AgentVerdict {
  const { objects, plain } = scanLog(text);
  const limitLine = plainUsageLimit(plain);
  let last: { ok: boolean; message: string } | undefined;
  let errorMessage: string | undefined;
  for (const o of objects) {
    if (o.type === 'turn.completed') last = { ok: true, message: '' };
    else if (o.type === 'turn.failed') last = { ok: false, message: str((o.error as Record<string, unknown> | undefined)?.message ?? o.error) };
    else if (o.type === 'error') errorMessage = str(o.message ?? o.error);
  }
  if (!last) {
    if (errorMessage !== undefined) {
      return { reported: true, ok: false, detail: `Codex reported an error: ${oneLine(errorMessage)}`, usageLimit: usageLimitRe().test(errorMessage) || limitLine !== undefined };
    }
    if (limitLine) return notReported(oneLine(limitLine), true);
    return notReported('no turn.completed or turn.failed event in the log (expected from codex exec --json)');
  }
  if (last.ok) return { reported: true, ok: true, detail: 'Codex completed its turn', usageLimit: false };
  return { reported: true, ok: false, detail: `Codex turn failed: ${oneLine(last.message)}`, usageLimit: usageLimitRe().test(last.message) || limitLine !== undefined };
}

function copilotVerdict(text: string): AgentVerdict {
  const { objects, plain } = scanLog(text);
  const limitLine = plainUsageLimit(plain);
  const errors = objects
    .filter((o) => typeof o.type === 'string' && /(^|\.)error$/.test(o.type))
    .map((o) => str((o.data as Record<string, unknown> | undefined)?.message ?? o.message ?? o.data));
  const result = [...objects].reverse().find((o) => o.type === 'result');
  const errorText = errors.join('; ');
  if (!result) {
    if (errors.length) return { reported: true, ok: false, detail: `Copilot CLI reported an error: ${oneLine(errorText)}`, usageLimit: usageLimitRe().test(errorText) || limitLine !== undefined };
    if (limitLine) return notReported(oneLine(limitLine), true);
    return notReported('no final result event in the log (expected {"type":"result","exitCode":…} from --output-format json)');
  }
  const code = result.exitCode;
  const ok = code === 0 && errors.length === 0;
  const detail = ok
    ? 'Copilot CLI reported success'
    : `Copilot CLI reported ${code === 0 ? 'an error' : `exit code ${str(code) || 'unknown'}`}${errorText ? `: ${oneLine(errorText)}` : ''}`;
  return { reported: true, ok, detail, usageLimit: (!ok && usageLimitRe().test(errorText)) || limitLine !== undefined };
}

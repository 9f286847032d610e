/**
 * Agent profiles: how one agent CLI is started for one package attempt, how its own final
 * verdict is read from its log, and how the engine decides one attempt's outcome from the
 * exit, that verdict, the changed files and the result record (docs/run-engine.md,
 * "Agents" and "The engine's verdict for one attempt").
 *
 * An agent is an argv template, never a shell string: placeholders are replaced *inside*
 * argv elements, so a value with spaces, quotes, `$(…)` or `;` stays one element, verbatim.
 *
 * Pure: `path` only (for `detectAgents`). No `vscode`, no processes.
 */
import * as path from 'node:path';
import type { ResultRecord } from './resultRecord';
import { addSpend, type Spend } from './spend';

export { addSpend, type Spend } from './spend';

// ---------------------------------------------------------------------------------------
// Profiles

export type VerdictParserId = 'claude-stream-json' | 'gemini-json' | 'codex-jsonl' | 'copilot-json' | 'none';
export const VERDICT_PARSERS: readonly VerdictParserId[] = ['claude-stream-json', 'gemini-json', 'codex-jsonl', 'copilot-json', 'none'];

/**
 * The placeholders an argv element may hold. `attemptDir` (the folder holding the prompt
 * and the result record) is there so that a sandboxed agent can be given access to it.
 */
export const PLACEHOLDERS = ['promptFile', 'packageId', 'worktree', 'feature', 'resultFile', 'attemptDir'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type AgentVars = Record<Placeholder, string>;

export interface AgentProfile {
  id: string;
  label: string;
  /** argv template; `argv[0]` is the executable. `$${x}` writes a literal `${x}`. */
  argv: string[];
  /** true: the agent gets the terminal (TUI); false: headless, output teed to `agent.log`. */
  interactive: boolean;
  /** 'prompt': the prompt file is the agent's stdin. */
  stdin: 'prompt' | null;
  verdict: VerdictParserId;
  /** The executable `detectAgents` looks for on PATH. */
  executable: string;
  /** Source of a case-insensitive RegExp: an output line matching it means the agent waits for a person. */
  needsInputPattern?: string;
}

/** What a user can get wrong in a profile; the message says what and where. */
export class AgentProfileError extends Error {}

/** The instruction given on the command line to agents that cannot read the prompt from stdin. */
const READ_PROMPT = 'Read the work package in ${promptFile} and carry it out in this directory. When you are done, write the result record to ${resultFile} exactly as that file describes.';
/** Gemini appends `-p`'s text to the prompt it reads on stdin. */
const FOLLOW_STDIN = 'Carry out the work package above in this directory, then write the result record it describes.';

/** Texts agents print when a usage or rate limit stops them (matched case-insensitively). */
export const USAGE_LIMIT_PATTERN =
  String.raw`usage limit|rate[ _-]?limit|quota (?:exceeded|exhausted)|exhausted your (?:\w+ )?quota|resource_exhausted|you(?:'|’)ve hit your (?:[\w-]+ )?limit|hit your limit|limit will reset|premium requests|credit balance is too low|\b429\b`;
/** Texts of a permission or confirmation prompt waiting for a person. */
export const PERMISSION_PROMPT_PATTERN =
  String.raw`do you want to (?:proceed|allow|make this edit|create)|allow (?:this|the) (?:command|tool|edit)|waiting for (?:approval|confirmation|your input)|requires? (?:your )?approval|press enter to continue|\(y\)es/\(n\)o|\[y/n\]`;

/**
 * The presets. Flags were checked for issue #7 against each tool's documentation as stored
 * by the project's search tool (not against an installed binary); the source is named above
 * each preset.
 */
export const PRESETS: readonly AgentProfile[] = [
  // Claude Code — docs.claude.com/docs/claude-code/headless ("Headless mode"): `-p/--print`
  // runs non-interactively; `--output-format text|json|stream-json`; stream-json needs
  // `--verbose` and ends with a `{"type":"result","subtype":…,"is_error":…}` line;
  // `--permission-mode acceptEdits` auto-accepts file edits; `--add-dir` grants a further
  // directory (here the attempt folder, where the result record goes). The prompt is read
  // from stdin (`claude -p < prompt.md`, RUNNER-RESEARCH.md). It can exit 0 with
  // `is_error: true` (claude-code#79500), hence the verdict parser.
  {
    id: 'claude-code',
    label: 'Claude Code (headless)',
    argv: ['claude', '-p', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'acceptEdits', '--add-dir', '${attemptDir}'],
    interactive: false,
    stdin: 'prompt',
    verdict: 'claude-stream-json',
    executable: 'claude',
    needsInputPattern: PERMISSION_PROMPT_PATTERN,
  },
  // Claude Code interactive: a positional prompt starts the TUI with that first message.
  {
    id: 'claude-code-interactive',
    label: 'Claude Code (interactive)',
    argv: ['claude', '--permission-mode', 'acceptEdits', '--add-dir', '${attemptDir}', '--', READ_PROMPT],
    interactive: true,
    stdin: null,
    verdict: 'none',
    executable: 'claude',
  },
  // Codex CLI — developers.openai.com/codex/noninteractive ("Non-interactive mode") and the
  // `codex exec` reference: `codex exec` runs without the TUI, `--json` prints JSONL events
  // (thread.started, turn.started, item.*, turn.completed | turn.failed {error:{message}},
  // error), `--sandbox workspace-write` allows edits (read-only is the default), `-C` sets
  // the working root, `-` reads the prompt from stdin; `codex exec --help` (as quoted in
  // public notes): `--add-dir <DIR>` "Additional directories that should be writable
  // alongside the primary workspace".
  // Its exit code reflects protocol health, not the task (codex#37717).
  {
    id: 'codex',
    label: 'Codex CLI (headless)',
    argv: ['codex', 'exec', '--json', '--sandbox', 'workspace-write', '-C', '${worktree}', '--add-dir', '${attemptDir}', '-'],
    interactive: false,
    stdin: 'prompt',
    verdict: 'codex-jsonl',
    executable: 'codex',
    needsInputPattern: PERMISSION_PROMPT_PATTERN,
  },
  {
    id: 'codex-interactive',
    label: 'Codex CLI (interactive)',
    argv: ['codex', '--sandbox', 'workspace-write', '-C', '${worktree}', '--add-dir', '${attemptDir}', READ_PROMPT],
    interactive: true,
    stdin: null,
    verdict: 'none',
    executable: 'codex',
  },
  // Gemini CLI — geminicli.com/docs/cli/headless ("Headless mode reference"): `-p/--prompt`
  // runs headless and is appended to stdin's text; `--output-format json` prints one object
  // `{response, stats, error?}`; exit codes 0 ok, 1 error, 42 input error, 53 turn limit.
  // `gemini --help`: `--approval-mode default|auto_edit|yolo`, `-i/--prompt-interactive`
  // runs a prompt and stays interactive, `--include-directories` adds workspace folders.
  // `--skip-trust`: trust the folder for this session — a worktree is a new folder Gemini has
  // never been told to trust, and 0.61 exits 55 "not running in a trusted directory" without it (#16).
  {
    id: 'gemini',
    label: 'Gemini CLI (headless)',
    argv: ['gemini', '--skip-trust', '--output-format', 'json', '--approval-mode', 'auto_edit', '--include-directories', '${attemptDir}', '-p', FOLLOW_STDIN],
    interactive: false,
    stdin: 'prompt',
    verdict: 'gemini-json',
    executable: 'gemini',
    needsInputPattern: PERMISSION_PROMPT_PATTERN,
  },
  {
    id: 'gemini-interactive',
    label: 'Gemini CLI (interactive)',
    argv: ['gemini', '--skip-trust', '--approval-mode', 'auto_edit', '--include-directories', '${attemptDir}', '-i', READ_PROMPT],
    interactive: true,
    stdin: null,
    verdict: 'none',
    executable: 'gemini',
  },
  // Aider — aider.chat/docs/scripting.html ("Scripting aider"): `--message-file FILE`
  // sends the file as the one message, applies the edits and exits; `--yes-always` answers
  // every confirmation. It exits 0 on fatal API errors (aider#5552) and reports no verdict,
  // so "changed nothing and wrote no record" is what catches a silent failure.
  // Interactive: `--read FILE` adds the prompt as read-only context to a normal session.
  {
    id: 'aider',
    label: 'Aider (headless)',
    argv: ['aider', '--message-file', '${promptFile}', '--yes-always'],
    interactive: false,
    stdin: null,
    verdict: 'none',
    executable: 'aider',
    needsInputPattern: PERMISSION_PROMPT_PATTERN,
  },
  {
    id: 'aider-interactive',
    label: 'Aider (interactive)',
    argv: ['aider', '--read', '${promptFile}'],
    interactive: true,
    stdin: null,
    verdict: 'none',
    executable: 'aider',
  },
  // GitHub Copilot CLI — docs.github.com/en/copilot/reference/copilot-cli-reference/
  // cli-programmatic-reference: `-p PROMPT` runs non-interactively, `--allow-all-tools`
  // runs every tool without asking, `--add-dir=DIR` adds an allowed path, `--no-ask-user`
  // keeps it from pausing for input. `--output-format json` prints JSONL session events
  // ending with `{"type":"result","exitCode":…}` (github/copilot-cli#3544, sortie-ai's
  // copilot-adapter-notes). Its exit codes have been wrong (copilot-cli#1572, #3064).
  // `-i PROMPT` starts an interactive session with a first prompt.
  {
    id: 'copilot',
    label: 'GitHub Copilot CLI (headless)',
    argv: ['copilot', '-p', READ_PROMPT, '--allow-all-tools', '--add-dir', '${attemptDir}', '--no-ask-user', '--output-format', 'json'],
    interactive: false,
    stdin: null,
    verdict: 'copilot-json',
    executable: 'copilot',
    needsInputPattern: PERMISSION_PROMPT_PATTERN,
  },
  {
    id: 'copilot-interactive',
    label: 'GitHub Copilot CLI (interactive)',
    argv: ['copilot', '--add-dir', '${attemptDir}', '-i', READ_PROMPT],
    interactive: true,
    stdin: null,
    verdict: 'none',
    executable: 'copilot',
  },
];

export const PRESET_IDS: readonly string[] = PRESETS.map((p) => p.id);

export function presetProfile(id: string): AgentProfile | undefined {
  return PRESETS.find((p) => p.id === id);
}

export interface CustomAgentOptions {
  interactive?: boolean;
  stdin?: 'prompt' | null;
  verdict?: VerdictParserId;
  label?: string;
  needsInputPattern?: string;
}

/** The `custom` profile: the user's own argv template. Throws `AgentProfileError` when it is unusable. */
export function customProfile(argv: readonly string[], options: CustomAgentOptions = {}): AgentProfile {
  const profile: AgentProfile = {
    id: 'custom',
    label: options.label ?? 'Custom agent',
    argv: [...argv],
    interactive: options.interactive ?? false,
    stdin: options.stdin ?? null,
    verdict: options.verdict ?? 'none',
    executable: typeof argv[0] === 'string' ? argv[0] : '',
  };
  if (options.needsInputPattern !== undefined) profile.needsInputPattern = options.needsInputPattern;
  const problems = profileProblems(profile);
  if (problems.length) throw new AgentProfileError(problems.join('; '));
  return profile;
}

const TOKEN = /\$\$\{|\$\{([^}]*)\}/g;

/** Everything wrong with a profile, each a sentence; [] when it can be used. Never throws. */
export function profileProblems(profile: AgentProfile): string[] {
  const problems: string[] = [];
  const name = `agent "${String(profile?.id)}"`;
  if (!profile || !Array.isArray(profile.argv) || profile.argv.length === 0) return [`${name}: argv is empty — give at least the program to run`];
  profile.argv.forEach((el, k) => {
    if (typeof el !== 'string') {
      problems.push(`${name}: argv[${k}] is not a string`);
      return;
    }
    for (const m of el.matchAll(TOKEN)) {
      if (m[0] === '$${') continue;
      if (!(PLACEHOLDERS as readonly string[]).includes(m[1])) {
        problems.push(`${name}: argv[${k}] has the unknown placeholder \${${m[1]}} (known: ${PLACEHOLDERS.map((p) => `\${${p}}`).join(', ')})`);
      }
    }
    const open = el.replace(TOKEN, '').indexOf('${');
    if (open !== -1) problems.push(`${name}: argv[${k}] has an unclosed "\${"`);
  });
  if (typeof profile.argv[0] === 'string' && profile.argv[0].trim() === '') problems.push(`${name}: argv[0] (the program) is empty`);
  if (!VERDICT_PARSERS.includes(profile.verdict)) problems.push(`${name}: unknown verdict parser "${String(profile.verdict)}" (known: ${VERDICT_PARSERS.join(', ')})`);
  if (profile.stdin !== 'prompt' && profile.stdin !== null) problems.push(`${name}: stdin must be "prompt" or null`);
  if (profile.needsInputPattern !== undefined) {
    try {
      new RegExp(profile.needsInputPattern, 'i');
    } catch (err) {
      problems.push(`${name}: needsInputPattern is not a valid regular expression: ${(err as Error).message}`);
    }
  }
  return problems;
}

/**
 * The argv to spawn and the file to feed as stdin. Each placeholder is replaced inside its
 * element; nothing is split or quoted. Throws `AgentProfileError` (unknown placeholder,
 * empty argv, a missing value).
 */
export function expandAgent(profile: AgentProfile, vars: AgentVars): { argv: string[]; stdinFile: string | null } {
  const problems = profileProblems(profile);
  if (problems.length) throw new AgentProfileError(problems.join('; '));
  const argv = profile.argv.map((el) =>
    el.replace(TOKEN, (whole, name: string | undefined) => {
      if (whole === '$${') return '${';
      const value = (vars as Partial<Record<string, unknown>>)[name!];
      if (typeof value !== 'string') throw new AgentProfileError(`agent "${profile.id}": no value for \${${name}}`);
      return value;
    }),
  );
  return { argv, stdinFile: profile.stdin === 'prompt' ? vars.promptFile : null };
}

/** The git commands a package's agent is asked to run (the prompt tells it to commit its work). */
const AGENT_GIT_RULES = ['Bash(git status:*)', 'Bash(git diff:*)', 'Bash(git log:*)', 'Bash(git add:*)', 'Bash(git commit:*)'];

/**
 * Arguments a preset gets at launch so the agent can run exactly what its prompt asks of it
 * (#16): headless Claude Code (`--permission-mode acceptEdits`) asks before every Bash command
 * and, with nobody to answer, denies it — so it is allowed git's everyday commands and the
 * package's verification commands the person APPROVED (each exactly; nothing else).
 * Other presets: none (their sandboxes already allow the worktree's commands).
 */
export function permissionArgs(profile: Pick<AgentProfile, 'id'>, approvedCommands: readonly string[]): string[] {
  if (profile.id !== 'claude-code') return [];
  return ['--allowedTools', ...AGENT_GIT_RULES, ...approvedCommands.map((c) => `Bash(${c})`)];
}

/** Why an output line means the agent waits for a person, or null. */
export function needsInputReason(profile: Pick<AgentProfile, 'needsInputPattern'>, line: string): string | null {
  if (!profile.needsInputPattern) return null;
  // A JSON event line carries the model's own text (an agent working ON rate limiting writes
  // "rate limit" all day): only the CLI's plain lines — its prompts and status — count (#16).
  const t = line.trim();
  if (t.startsWith('{') && t.endsWith('}')) return null;
  let re: RegExp;
  try {
    re = new RegExp(profile.needsInputPattern, 'i');
  } catch {
    return null;
  }
  if (!re.test(line)) return null;
  const text = oneLine(line, 200);
  return new RegExp(USAGE_LIMIT_PATTERN, 'i').test(line) ? `usage limit: ${text}` : `waiting for input: ${text}`;
}

// ---------------------------------------------------------------------------------------
// Finding agents on PATH

export interface DetectOptions {
  platform?: NodeJS.Platform;
  /** Windows: the PATHEXT value (default `.COM;.EXE;.BAT;.CMD`). */
  pathExt?: string;
}

/**
 * Which presets' executables are on `pathEnv`. `exists(file)` says whether a file exists
 * (and is executable); the first PATH entry that has it wins. One row per preset.
 */
export function detectAgents(
  pathEnv: string | undefined,
  exists: (file: string) => boolean,
  options: DetectOptions = {},
): { id: string; label: string; executable: string; path: string }[] {
  const win = (options.platform ?? process.platform) === 'win32';
  const p = win ? path.win32 : path.posix;
  const dirs = (pathEnv ?? '').split(win ? ';' : ':').filter((d) => d.trim() !== '');
  const exts = win ? ['', ...(options.pathExt ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean)] : [''];
  const found = new Map<string, string | null>();
  const locate = (exe: string): string | null => {
    if (found.has(exe)) return found.get(exe)!;
    let hit: string | null = null;
    outer: for (const dir of dirs) {
      for (const ext of exts) {
        const file = p.join(dir.replace(/^"(.*)"$/, '$1'), exe + ext);
        let ok = false;
        try {
          ok = exists(file);
        } catch {
          ok = false;
        }
        if (ok) {
          hit = file;
          break outer;
        }
      }
    }
    found.set(exe, hit);
    return hit;
  };
  const out: { id: string; label: string; executable: string; path: string }[] = [];
  for (const preset of PRESETS) {
    const hit = locate(preset.executable);
    if (hit) out.push({ id: preset.id, label: preset.label, executable: preset.executable, path: hit });
  }
  return out;
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
  /** Tokens and cost, where the CLI reports them (#16). */
  spend?: Spend | null;
  /** The agent's last message when it ends its turn with a question (a `?` at its end), for needs-input (#16). */
  question?: string | null;
  /** Tool uses the CLI denied (Claude Code's `permission_denials`), as `Tool: input` lines (#16). */
  denials?: string[];
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
export function parseVerdict(id: VerdictParserId, logText: string, now: number = Date.now()): AgentVerdict {
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
    const tail = plain.slice(-3).map((l) => oneLine(l, 200));
    const spend = spendOf(id, objects);
    const last = lastMessageOf(id, objects);
    const question = last && /\?\s*$/.test(last) ? oneLine(last, 600) : null;
    const denials = id === 'claude-stream-json' ? claudeDenials(objects) : [];
    return {
      ...(question ? { question } : {}),
      ...(denials.length ? { denials } : {}),
      ...verdict,
      usageLimit,
      resetAt: usageLimit ? resetTimeOf(`${verdict.detail}\n${plain.slice(-20).join('\n')}`, now) : null,
      ...(tail.length ? { tail } : {}),
      ...(spend ? { spend } : {}),
    };
  } catch (err) {
    return notReported(`the log could not be read: ${err instanceof Error ? err.message : String(err)}`);
  }
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
    return String(value);
  }
}

function oneLine(s: string, max = 300): string {
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
  // `is_error` with subtype "success" is an API error: `api_error_status` says which (#16).
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

// ---------------------------------------------------------------------------------------
// The engine's verdict for one attempt (up to verification and audit)

export interface AttemptFacts {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  verdict: AgentVerdict | null;
  /** The audit's changed files (committed, uncommitted, untracked); paths or `{path}` records. */
  changedFiles: readonly (string | { path: string })[];
  /** The agent's result record, when it wrote a readable one. */
  resultRecord: Pick<ResultRecord, 'status' | 'notes'> | null;
}

export type AttemptOutcome =
  /** The attempt may go on to verification and the scope audit. */
  | { next: 'verify'; reason: null }
  /** The agent stopped at a usage limit: not a failure, no retry spent; goes on after `resetAt` (#16). */
  | { next: 'usage-limit'; reason: string; resetAt: string | null }
  | { next: 'failed'; reason: string; usageLimit: boolean }
  | { next: 'cancelled'; reason: string };

/**
 * docs/run-engine.md "The engine's verdict for one attempt", the part decided before
 * verification and the audit: exit 0, no signal, not timed out or cancelled, the agent's
 * own verdict ok where it reports one, and something changed (a `done` record alone is not
 * enough: git's change set decides, #16).
 */
export function decideOutcome(f: AttemptFacts): AttemptOutcome {
  const verdict = f.verdict;
  const fail = (reason: string): AttemptOutcome => ({ next: 'failed', reason, usageLimit: verdict?.usageLimit === true });
  if (f.cancelled) return { next: 'cancelled', reason: 'cancelled' };
  // A usage limit first: the CLIs exit non-zero on one, and it is no failure of the package.
  if (verdict?.usageLimit && !f.timedOut) return { next: 'usage-limit', reason: verdict.detail, resetAt: verdict.resetAt ?? null };
  if (f.timedOut) return fail('timed out (the agent was stopped after its timeout)');
  if (f.signal) return fail(`the agent was killed by ${f.signal}`);
  if (f.exitCode === null || f.exitCode === undefined) return fail('the agent ended without an exit code');
  if (f.exitCode !== 0) {
    // Without a verdict of its own, the agent's last messages say why (e.g. "not running in a trusted directory").
    const said = verdict?.reported && !verdict.ok ? ` — ${verdict.detail}` : verdict?.tail?.length ? ` — it said: ${verdict.tail.join(' | ')}` : '';
    return fail(`the agent exited with code ${f.exitCode}${said}`);
  }
  if (verdict?.reported && !verdict.ok) return fail(`the agent exited 0 but reported a failure: ${verdict.detail}`);
  const status = f.resultRecord?.status;
  const notes = f.resultRecord?.notes ? `: ${oneLine(f.resultRecord.notes, 200)}` : '';
  if (status === 'blocked') return fail(`the agent's result record says it is blocked${notes}`);
  if (status === 'partial') return fail(`the agent's result record says its work is partial${notes}`);
  // What git saw decides, not what the record claims: a "done" with no change is no success.
  const changed = (f.changedFiles ?? []).length > 0;
  // A turn that ends with a question and no work: the question is the news, not "changed no file" (#16).
  if (!changed && verdict?.question) return fail(`the agent asked a question and changed nothing: “${verdict.question}”`);
  if (!changed) {
    return fail(
      status === 'done'
        ? 'the agent exited 0 and its result record says "done", but it changed no file'
        : f.resultRecord
          ? 'the agent exited 0 but changed no file and its result record does not say "done"'
          : 'the agent exited 0 but changed no file and wrote no result record',
    );
  }
  return { next: 'verify', reason: null };
}

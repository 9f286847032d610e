/**
 * Agent profiles: how one agent CLI is started for one package attempt — the presets with
 * their documented flags, the person's `custom` argv template, the check of a profile, its
 * argv expanded for an attempt, and what a preset is allowed at launch (docs/run-engine.md,
 * "Agents").
 *
 * An agent is an argv template, never a shell string: placeholders are replaced *inside*
 * argv elements, so a value with spaces, quotes, `$(…)` or `;` stays one element, verbatim.
 *
 * Pure: no `vscode`, no processes.
 */

import { presetFamily } from '../walls/walls';
import { TALK_CALL_MS } from '../run/runStateFields';

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
  /**
   * The argv template inside the engine's walls (ADR 0019): the CLI's most autonomous
   * headless mode (no one answers a permission prompt; the walls are the operating system's), and
   * its own sandbox skipped where it would nest in ours and fail (Codex's: `bwrap: execvp
   * codex-linux-sandbox`). Default: `argv`.
   */
  insideWalls?: string[];
}

/** What a user can get wrong in a profile; the message says what and where. */
export class AgentProfileError extends Error {}

/** The instruction given on the command line to agents that cannot read the prompt from stdin. */
const READ_PROMPT = 'Read the work package in ${promptFile} and carry it out in this directory. When you are done, write the result record to ${resultFile} exactly as that file describes.';
/** Gemini appends `-p`'s text to the prompt it reads on stdin. */
const FOLLOW_STDIN = 'Carry out the work package above in this directory, then write the result record it describes.';

/** Texts of a permission or confirmation prompt waiting for a person. */
export const PERMISSION_PROMPT_PATTERN =
  String.raw`do you want to (?:proceed|allow|make this edit|create)|allow (?:this|the) (?:command|tool|edit)|waiting for (?:approval|confirmation|your input)|requires? (?:your )?approval|press enter to continue|\(y\)es/\(n\)o|\[y/n\]`;

/**
 * The presets. Flags were checked against each tool's documentation as stored
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
    // Inside the walls its most autonomous mode: no tool is asked about, the walls are the operating system's.
    insideWalls: ['claude', '-p', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'bypassPermissions', '--add-dir', '${attemptDir}'],
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
    insideWalls: ['claude', '--permission-mode', 'bypassPermissions', '--add-dir', '${attemptDir}', '--', READ_PROMPT],
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
    insideWalls: ['codex', 'exec', '--json', '--sandbox', 'danger-full-access', '-C', '${worktree}', '-'],
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
    insideWalls: ['codex', '--sandbox', 'danger-full-access', '-C', '${worktree}', READ_PROMPT],
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
  // never been told to trust, and 0.61 exits 55 "not running in a trusted directory" without it.
  {
    id: 'gemini',
    label: 'Gemini CLI (headless)',
    argv: ['gemini', '--skip-trust', '--output-format', 'json', '--approval-mode', 'auto_edit', '--include-directories', '${attemptDir}', '-p', FOLLOW_STDIN],
    // Inside the walls its most autonomous mode: `yolo` approves every tool and turns on no sandbox of its own.
    insideWalls: ['gemini', '--skip-trust', '--output-format', 'json', '--approval-mode', 'yolo', '--include-directories', '${attemptDir}', '-p', FOLLOW_STDIN],
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
    insideWalls: ['gemini', '--skip-trust', '--approval-mode', 'yolo', '--include-directories', '${attemptDir}', '-i', READ_PROMPT],
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

/** The agent where nobody chose one: on the command line, and for a host check in the editor (a run there asks). */
export const DEFAULT_AGENT = 'claude-code';

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

/** The profile as it runs inside the engine's walls (its `insideWalls` argv), or as it is. */
export function walledProfile(profile: AgentProfile, walled: boolean): AgentProfile {
  return walled && profile.insideWalls ? { ...profile, argv: profile.insideWalls } : profile;
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
 * Arguments a preset gets at launch so the agent can run exactly what its prompt asks of
 * it: headless Claude Code (`--permission-mode acceptEdits`) asks before every Bash command
 * and, with nobody to answer, denies it — so it is allowed git's everyday commands and the
 * package's verification commands the person APPROVED (each exactly; nothing else).
 * Other presets: none (their sandboxes already allow the worktree's commands).
 */
export function permissionArgs(profile: Pick<AgentProfile, 'id'>, approvedCommands: readonly string[], talk = false): string[] {
  if (profile.id !== 'claude-code') return [];
  return ['--allowedTools', ...AGENT_GIT_RULES, ...approvedCommands.map((c) => `Bash(${c})`), ...(talk ? [TALK_PERMISSION] : [])];
}

/** An attempt's `waves` MCP server (ADR 0036): its configuration file, and the command it holds. */
export interface TalkServer {
  /** `mcp.json` in the attempt folder (`{mcpServers: {waves: …}}`). */
  config: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  /** The person's own MCP servers a CLI without a strict mode is told to leave off, by name: Codex's (`enabled=false` on each, `codexServerNames`), Copilot's (`--disable-mcp-server`, `mcpConfigServerNames`). */
  quiet?: Partial<QuietServers>;
}

/**
 * The MCP servers a Codex `config.toml` names (`[mcp_servers.NAME]` tables and their dotted
 * `mcp_servers.NAME.…` keys at the top): Codex has no strict mode, and `-c mcp_servers={}` merges
 * rather than clears, so each is turned off by name. A line-level reading, enough for names;
 * `waves` left out.
 */
export function codexServerNames(toml: string): string[] {
  const KEY = `("(?:[^"\\\\]|\\\\.)*"|'[^']*'|[A-Za-z0-9_-]+)`;
  const names = new Set<string>();
  let table: string | null = null;
  const add = (key: string) => {
    try {
      const name = key.startsWith('"') ? (JSON.parse(key) as string) : key.startsWith("'") ? key.slice(1, -1) : key;
      if (name && name !== 'waves') names.add(name);
    } catch {
      // a quoted name TOML reads but JSON does not: left on (the run's own server still loads)
    }
  };
  for (const raw of toml.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[\s*([^\]]*?)\s*\]/.exec(line);
    if (header) {
      table = header[1]!.replace(/\s*\.\s*/g, '.');
      const m = new RegExp(`^mcp_servers\\.${KEY}`).exec(table);
      if (m) add(m[1]!);
      continue;
    }
    // `mcp_servers.NAME.command = …` at the top; `NAME = { … }` in `[mcp_servers]`.
    const m = table === null ? new RegExp(`^mcp_servers\\s*\\.\\s*${KEY}\\s*\\.`).exec(line) : table === 'mcp_servers' ? new RegExp(`^${KEY}\\s*=`).exec(line) : null;
    if (m) add(m[1]!);
  }
  return [...names];
}

/** The MCP servers an `mcp-config.json` names (`{mcpServers: {NAME: …}}`, Copilot's and Claude Code's form); `waves` left out; none from what is not one. */
export function mcpConfigServerNames(json: string): string[] {
  try {
    const servers = (JSON.parse(json) as { mcpServers?: unknown }).mcpServers;
    return servers && typeof servers === 'object' && !Array.isArray(servers) ? Object.keys(servers).filter((n) => n && n !== 'waves') : [];
  } catch {
    // not JSON: no server of the person's read from it
    return [];
  }
}

/** The MCP servers a CLI without a strict mode is told to leave off (`TalkServer.quiet`). */
export type QuietServers = { codex: readonly string[]; copilot: readonly string[] };

/**
 * The servers to leave off, from the configuration files' texts ('' for a file not there): the
 * person's (Codex's `config.toml`, Copilot's `mcp-config.json`) and the repository's own — those a
 * trusted folder adds (Codex's `.codex/config.toml`; Copilot's `.mcp.json` and `.github/mcp.json`).
 */
export function quietServers(texts: { codexToml?: readonly string[]; copilotJson?: readonly string[] }): QuietServers {
  const union = (lists: string[][]) => [...new Set(lists.flat())];
  return { codex: union((texts.codexToml ?? []).map(codexServerNames)), copilot: union((texts.copilotJson ?? []).map(mcpConfigServerNames)) };
}

/** Both lists of `a` and `b`, each name once. */
export function bothQuiet(a: QuietServers, b: QuietServers): QuietServers {
  return { codex: [...new Set([...a.codex, ...b.codex])], copilot: [...new Set([...a.copilot, ...b.copilot])] };
}

/** A TOML key: bare when it can be, else a basic string. */
const tomlKey = (k: string) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k));

/** A TOML basic string (Codex's `-c key=value` takes TOML values). */
const tomlString = (s: string) => JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * Agents talk back (ADR 0036): the arguments that give a preset's CLI the attempt's `waves` MCP
 * server, where its vendor documents them. Claude Code: `--mcp-config` with `--strict-mcp-config`
 * (only the servers of that file load). Codex: `-c mcp_servers.waves.…` overrides (no file flag;
 * each server of the person's own config.toml turned off by name: `quiet`). Gemini: `--allowed-mcp-server-names
 * waves` (the server from `talkEnv`'s settings). Copilot: `--additional-mcp-config @file`. Aider
 * and a custom agent: none (a custom one may read the file). Placed before `permissionArgs`,
 * whose list is variadic.
 */
export function talkArgs(profile: Pick<AgentProfile, 'id'>, server: TalkServer): string[] {
  switch (presetFamily(profile.id)) {
    case 'claude-code':
      return ['--mcp-config', server.config, '--strict-mcp-config'];
    case 'codex': {
      const env = Object.entries(server.env).map(([k, v]) => `${k}=${tomlString(v)}`).join(',');
      // Its wait on a tool (60 s by default) raised to the run's on a scope request's answer.
      return [
        '-c', `mcp_servers.waves.command=${tomlString(server.command)}`,
        '-c', `mcp_servers.waves.args=[${server.args.map(tomlString).join(',')}]`,
        '-c', `mcp_servers.waves.env={${env}}`,
        '-c', `mcp_servers.waves.tool_timeout_sec=${TALK_CALL_MS / 1000}`,
        // The person's own servers off: only the run's loads.
        ...(server.quiet?.codex ?? []).flatMap((name) => ['-c', `mcp_servers.${tomlKey(name)}.enabled=false`]),
      ];
    }
    // Gemini: the server from the settings `talkEnv` names, and no other server of the person's.
    case 'gemini':
      return ['--allowed-mcp-server-names', 'waves'];
    // Copilot: the file added to its configuration for the session; it has no strict mode, so its built-in servers and each of the person's are turned off by name.
    case 'copilot':
      return ['--additional-mcp-config', `@${server.config}`, '--disable-builtin-mcps', ...(server.quiet?.copilot ?? []).map((name) => `--disable-mcp-server=${name}`)];
    default:
      return [];
  }
}

/**
 * The environment that goes with `talkArgs`: Claude Code 2.x defers MCP tools behind its
 * ToolSearch tool, where an agent rarely looks; the four `waves` tools (the only server it loads)
 * are shown to the model directly (`ENABLE_TOOL_SEARCH=false`).
 */
export function talkEnv(profile: Pick<AgentProfile, 'id'>, server: Pick<TalkServer, 'config'>): Record<string, string> {
  const family = presetFamily(profile.id);
  // Its wait on a tool call, as long as the run's on a scope request's answer.
  if (family === 'claude-code') return { ENABLE_TOOL_SEARCH: 'false', MCP_TOOL_TIMEOUT: String(TALK_CALL_MS) };
  // Gemini reads MCP servers from its settings: the attempt's file as its system defaults, below the person's own settings (whose servers `--allowed-mcp-server-names` leaves out).
  if (family === 'gemini') return { GEMINI_CLI_SYSTEM_DEFAULTS_PATH: server.config };
  return {};
}

/** The name under which a preset's CLI allows the `waves` server's tools in its permission list (Claude Code: `mcp__waves`). */
export const TALK_PERMISSION = 'mcp__waves';

/**
 * The model servers an agent's own configuration names: the person configured
 * their agent — Codex with a provider in its `config.toml` (a company gateway, Azure, a local
 * model server), Claude Code with `env.ANTHROPIC_BASE_URL` in its settings, Gemini with a base
 * URL in its `.env` — and the walls let the agent reach what it was configured to reach,
 * without a flag. Read here from the files' texts (the caller reads the disk:
 * attempt/wallsDraw.ts); also the watch that tells an agent whose model cannot be reached
 * from one that works (the runner stops the first, naming the server and where it is named).
 *
 * Only the person's own files widen the walls: their home folder's and the machine's. A file
 * in the worktree is the repository's (a repository cannot widen the walls): what it names is
 * read only to say why a connection to it was refused.
 */
import { API_TARGETS, BASE_URL_VARIABLES, parseTarget, presetFamily, type Target } from '../walls/walls';
import { bracketDepth } from '../util/tomlLine';

/** How a configuration file is written. */
export type ConfigFormat = 'codex-toml' | 'claude-settings' | 'dotenv';

/** A configuration file an agent reads. */
export interface AgentConfigFile {
  path: string;
  format: ConfigFormat;
  /** The person's own (their home folder, the machine's): what it names is let through. Else the repository's (in the worktree): named, never let through. */
  person: boolean;
  /** How messages name it (`~/.codex/config.toml`, `the worktree's .claude/settings.json`). */
  shown: string;
}

/** A model server an agent's configuration or environment names. */
export interface ModelEndpoint {
  target: Target;
  /** `host:port` (`[v6]:port`) as the walls' proxy names it. */
  hostPort: string;
  /** The URL as written. */
  url: string;
  /** Where it is named: `model_providers.gateway.base_url in ~/.codex/config.toml`, `ANTHROPIC_BASE_URL`. */
  source: string;
  /** The server the agent uses as configured (Codex: its selected provider's), not one merely defined. */
  selected: boolean;
  /** Named by the person (their environment, their own files): the walls let it through. */
  person: boolean;
}

/** `host:port`, a v6 address in brackets: how the walls' proxy and its log name a target. */
export function hostPortOf(t: Target): string {
  return `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}

/** The base-URL variables each preset reads from its environment (a custom agent: all of them). */
const ENV_VARIABLES: Readonly<Record<string, readonly string[]>> = {
  'claude-code': ['ANTHROPIC_BASE_URL', 'ANTHROPIC_BEDROCK_BASE_URL', 'ANTHROPIC_VERTEX_BASE_URL'],
  codex: ['OPENAI_BASE_URL', 'CODEX_OSS_BASE_URL'],
  gemini: ['GOOGLE_GEMINI_BASE_URL', 'GEMINI_BASE_URL', 'GOOGLE_VERTEX_BASE_URL'],
  copilot: ['COPILOT_PROVIDER_BASE_URL'],
  aider: [...BASE_URL_VARIABLES, 'OPENAI_API_BASE'],
};

/** The variables a `.env` of Gemini names its model server by. */
const GEMINI_VARIABLES = ['GOOGLE_GEMINI_BASE_URL', 'GEMINI_BASE_URL', 'GOOGLE_VERTEX_BASE_URL'];

/** The settings `env` variables Claude Code takes its model server from. */
const CLAUDE_VARIABLES = ['ANTHROPIC_BASE_URL', 'ANTHROPIC_BEDROCK_BASE_URL', 'ANTHROPIC_VERTEX_BASE_URL'];

/** Codex's built-in local providers and the server each talks to when no table of the file names one. */
const CODEX_LOCAL: Readonly<Record<string, string>> = { oss: 'http://localhost:11434/v1', ollama: 'http://localhost:11434/v1', lmstudio: 'http://localhost:1234/v1' };

/**
 * The configuration files a preset's CLI reads its model server from, for a home folder, an
 * environment and (optionally) the agent's worktree. Whether each exists is the caller's to see.
 * Gemini's `settings.json` is not among them: it names no server (0.61.0: only the base-URL
 * variables, from the environment or a `.env`). Copilot is configured by its environment only.
 */
export function agentConfigFiles(profileId: string, home: string, env: Readonly<Record<string, string | undefined>>, worktree: string | null = null): AgentConfigFile[] {
  const join = (...parts: string[]) => parts.join('/').replace(/\/+/g, '/');
  const inHome = (rel: string) => ({ path: join(home, rel), shown: `~/${rel}` });
  const inTree = (rel: string, format: ConfigFormat): AgentConfigFile[] => (worktree ? [{ path: join(worktree, rel), format, person: false, shown: `the worktree's ${rel}` }] : []);
  switch (presetFamily(profileId)) {
    case 'codex': {
      const codexHome = env.CODEX_HOME;
      const own = codexHome ? { path: join(codexHome, 'config.toml'), shown: `${codexHome}/config.toml` } : inHome('.codex/config.toml');
      return [{ ...own, format: 'codex-toml', person: true }, ...inTree('.codex/config.toml', 'codex-toml')];
    }
    case 'claude-code': {
      const configDir = env.CLAUDE_CONFIG_DIR;
      const own = configDir ? { path: join(configDir, 'settings.json'), shown: `${configDir}/settings.json` } : inHome('.claude/settings.json');
      return [
        { path: '/etc/claude-code/managed-settings.json', format: 'claude-settings', person: true, shown: '/etc/claude-code/managed-settings.json' },
        { ...own, format: 'claude-settings', person: true },
        ...inTree('.claude/settings.json', 'claude-settings'),
        ...inTree('.claude/settings.local.json', 'claude-settings'),
      ];
    }
    case 'gemini':
      return [{ ...inHome('.gemini/.env'), format: 'dotenv', person: true }, { ...inHome('.env'), format: 'dotenv', person: true }, ...inTree('.gemini/.env', 'dotenv'), ...inTree('.env', 'dotenv')];
    default:
      return [];
  }
}

/**
 * The model servers an agent's environment and configuration files name (`files`: those of
 * `agentConfigFiles` that could be read, with their texts). A URL that is not one is a problem,
 * named with where it was found; a file that is not its format's is passed over whole.
 */
export function agentEndpoints(profileId: string, env: Readonly<Record<string, string | undefined>>, files: readonly { file: AgentConfigFile; text: string }[]): { endpoints: ModelEndpoint[]; problems: string[] } {
  const endpoints: ModelEndpoint[] = [];
  const problems: string[] = [];
  const add = (url: string, source: string, selected: boolean, person: boolean) => {
    const target = /^[a-z][a-z0-9+.-]*:\/\//i.test(url.trim()) ? parseTarget(url) : null;
    if (!target) {
      problems.push(`${source} is "${url}", which is not a URL`);
      return;
    }
    const hostPort = hostPortOf(target);
    const same = endpoints.find((e) => e.hostPort === hostPort && e.person === person);
    if (same) same.selected ||= selected;
    else endpoints.push({ target, hostPort, url, source, selected, person });
  };
  const family = presetFamily(profileId);
  const codexProvider = family === 'codex' ? codexSelected(files) : null;
  for (const name of ENV_VARIABLES[family ?? 'aider'] ?? []) {
    const value = env[name];
    // Codex's OPENAI_BASE_URL is its built-in provider's: the server it uses only when that provider is the selected one.
    if (value) add(value, name, family !== 'codex' || (name === 'OPENAI_BASE_URL' ? codexProvider === 'openai' : CODEX_LOCAL[codexProvider ?? ''] !== undefined), true);
  }
  for (const { file, text } of files) {
    if (file.format === 'codex-toml') {
      const strings = readToml(text);
      const selected = codexSelectedIn(strings);
      for (const s of strings) {
        if (s.key.length === 3 && s.key[0] === 'model_providers' && s.key[2] === 'base_url') add(s.value, `model_providers.${s.key[1]}.base_url in ${file.shown}`, s.key[1] === selected, file.person);
      }
      // The built-in provider's server: `openai_base_url` (or its profile's), which took over from the OPENAI_BASE_URL variable (recent Codex releases, 0.169 among them, read only the key).
      const profile = strings.find((s) => s.key.length === 1 && s.key[0] === 'profile')?.value;
      for (const s of strings) {
        const top = s.key.length === 1 && s.key[0] === 'openai_base_url';
        const ofProfile = s.key.length === 3 && s.key[0] === 'profiles' && s.key[2] === 'openai_base_url';
        if (top || ofProfile) add(s.value, `${s.key.join('.')} in ${file.shown}`, (selected ?? 'openai') === 'openai' && (top || s.key[1] === profile), file.person);
      }
      // A built-in local provider selected with no table of its own: its default port.
      if (selected && CODEX_LOCAL[selected] && !strings.some((s) => s.key[0] === 'model_providers' && s.key[1] === selected && s.key[2] === 'base_url') && !env.CODEX_OSS_BASE_URL) {
        const port = env.CODEX_OSS_PORT && /^\d{1,5}$/.test(env.CODEX_OSS_PORT) ? env.CODEX_OSS_PORT : null;
        add(port ? `http://localhost:${port}/v1` : CODEX_LOCAL[selected]!, `model_provider = "${selected}" in ${file.shown}`, true, file.person);
      }
    } else if (file.format === 'claude-settings') {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        // settings not JSON: they name no model server; the others are read
        continue;
      }
      const vars = (doc as { env?: unknown } | null)?.env;
      if (!vars || typeof vars !== 'object') continue;
      for (const name of CLAUDE_VARIABLES) {
        const value = (vars as Record<string, unknown>)[name];
        if (typeof value === 'string' && value) add(value, `env.${name} in ${file.shown}`, true, file.person);
      }
    } else {
      const vars = readDotenv(text);
      for (const name of GEMINI_VARIABLES) {
        const value = vars.get(name);
        if (value) add(value, `${name} in ${file.shown}`, true, file.person);
      }
    }
  }
  return { endpoints, problems };
}

/** The provider Codex uses as the person's file configures it, `openai` when it says none. */
function codexSelected(files: readonly { file: AgentConfigFile; text: string }[]): string {
  let selected = 'openai';
  for (const { file, text } of files) {
    if (file.format !== 'codex-toml' || !file.person) continue;
    selected = codexSelectedIn(readToml(text), null) ?? selected;
  }
  return selected;
}

/** `model_provider`, or the one of the selected `profile`'s table; `fallback` when neither is set. */
function codexSelectedIn(strings: readonly TomlString[], fallback: string | null = 'openai'): string | null {
  const get = (...key: string[]) => strings.find((s) => s.key.length === key.length && s.key.every((k, i) => k === key[i]))?.value;
  const profile = get('profile');
  return (profile ? get('profiles', profile, 'model_provider') : undefined) ?? get('model_provider') ?? fallback;
}

/**
 * The servers whose failures say the agent's model cannot be reached, each with how a message
 * names where it comes from: the selected servers the person named, else the preset's own model
 * API (its first target); none for a custom agent that names none.
 */
export function modelTargets(profileId: string, endpoints: readonly ModelEndpoint[]): { hostPort: string; named: string }[] {
  const named = endpoints.filter((e) => e.selected && e.person).map((e) => ({ hostPort: e.hostPort, named: `named in ${e.source}` }));
  if (named.length) return named;
  const family = presetFamily(profileId);
  const api = family ? API_TARGETS[family]![0] : undefined;
  return api ? [{ hostPort: api, named: `the ${family} preset's model API` }] : [];
}

// ---------------------------------------------------------------------------------------
// The files' formats, as far as these keys need

/** A string value of a TOML document and its key (table path and dotted key, unquoted). */
export interface TomlString {
  key: string[];
  value: string;
}

/** A value that goes on past its line (a multi-line string or array). */
const MULTI_LINE = Symbol('multi-line');

/**
 * The string values of a TOML document, each with its full key: `[table."quoted"]` headers,
 * dotted keys, basic and literal strings. Other values (numbers, booleans, arrays, inline
 * tables, multi-line strings) are passed over, an array or string spanning lines included; the
 * keys of an array of tables (`[[x]]`) are left out, and so is a line this reader does not know.
 */
export function readToml(text: string): TomlString[] {
  const out: TomlString[] = [];
  let table: string[] | null = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('[[')) {
      table = null;
      continue;
    }
    if (line.startsWith('[')) {
      const header = readKey(line.slice(1));
      // A header not read leaves its keys out (not under the table before it).
      table = header && /^\]\s*(#.*)?$/.test(header.rest) ? header.key : null;
      continue;
    }
    const key = readKey(line);
    if (!key || !key.rest.startsWith('=')) continue;
    const raw = key.rest.slice(1).trim();
    const value = readValue(raw);
    if (value === MULTI_LINE) {
      // A multi-line string or array: passed over up to the line that closes it.
      const close = raw.startsWith('"""') ? '"""' : raw.startsWith("'''") ? "'''" : null;
      let depth = close ? 0 : bracketDepth(raw);
      while (i + 1 < lines.length && (close ? !lines[i + 1]!.includes(close) : depth > 0)) depth += bracketDepth(lines[++i]!);
      if (close) i++;
      continue;
    }
    if (value !== null && table) out.push({ key: [...table, ...key.key], value });
  }
  return out;
}

/** A dotted key at the start of `text` (bare, "basic" or 'literal' parts) and what follows it; null when there is none. */
function readKey(text: string): { key: string[]; rest: string } | null {
  const key: string[] = [];
  let rest = text.trimStart();
  for (;;) {
    let m: RegExpExecArray | null;
    if ((m = /^[A-Za-z0-9_-]+/.exec(rest))) key.push(m[0]);
    else if ((m = /^"((?:[^"\\]|\\.)*)"/.exec(rest))) key.push(unescape(m[1]!));
    else if ((m = /^'([^']*)'/.exec(rest))) key.push(m[1]!);
    else return null;
    rest = rest.slice(m[0].length).trimStart();
    if (!rest.startsWith('.')) return { key, rest };
    rest = rest.slice(1).trimStart();
  }
}

/** A value's text: the string it is, `MULTI_LINE` when it goes on past its line, null for any other value. */
function readValue(raw: string): string | typeof MULTI_LINE | null {
  if (raw.startsWith('"""') || raw.startsWith("'''")) return raw.length >= 6 && raw.slice(3).includes(raw.slice(0, 3)) ? null : MULTI_LINE;
  let m: RegExpExecArray | null;
  if ((m = /^"((?:[^"\\]|\\.)*)"\s*(#.*)?$/.exec(raw))) return unescape(m[1]!);
  if ((m = /^'([^']*)'\s*(#.*)?$/.exec(raw))) return m[1]!;
  if (raw.startsWith('[') && bracketDepth(raw) > 0) return MULTI_LINE;
  return null;
}


/** A basic string's escapes (`\"`, `\\`, `\n`, `\t`, `\uXXXX`). */
function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, e: string) => {
    if (e.length > 1) return String.fromCodePoint(parseInt(e.slice(1), 16));
    return ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' } as Record<string, string>)[e] ?? e;
  });
}

/** The variables of a `.env` file (`NAME=value`, `export NAME=value`, quoted or not; `#` comments). */
export function readDotenv(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const raw = m[2]!;
    const q = /^(["'])(.*)\1(\s+#.*)?$/.exec(raw);
    vars.set(m[1]!, q ? (q[1] === '"' ? unescape(q[2]!) : q[2]!) : raw.replace(/\s+#.*$/, ''));
  }
  return vars;
}

// ---------------------------------------------------------------------------------------
// An agent whose model cannot be reached

/** A connection the walls' proxy was asked for, as it ended: carried (`connected`), not reached (`failed`), refused. */
export interface ReachEvent {
  /** `host:port`, as the proxy names it. */
  target: string;
  outcome: 'connected' | 'failed' | 'refused';
  /** The error, or why it was refused. */
  why: string;
  /** When (ms). */
  at: number;
}

/** How long an agent may go on failing to reach its model, with nothing reached, before the runner stops it (ms). */
export const DEFAULT_MODEL_WAIT_MS = 90_000;

/** What an agent could not reach: its model server (every connection to it failed), or anything at all (every connection refused). */
export interface Unreached {
  kind: 'failed' | 'refused';
  target: string;
  /** Where a model server comes from (`named in …`, its preset's API); for a refused target, the file of the repository that names it, if one does. */
  source: string | null;
  why: string;
  /** Connections that ended so, since `since`. */
  count: number;
  since: number;
}

/**
 * Whether an agent makes no progress because its model cannot be reached, from the connections
 * its walls' proxy saw. A run of failures starts with the first connection to one of its model
 * servers that could not be made, or — while the agent has reached nothing at all — the first
 * one the walls refused; a connection made to a model server ends it (one made anywhere ends a
 * run of refusals: the agent reaches something). A run as long as `limitMs` is due.
 */
export class ModelReachWatch {
  private run: { since: number; failed: Map<string, { why: string; count: number }>; refused: Map<string, { why: string; count: number }> } | null = null;
  private reachedAny = false;
  private readonly models: Map<string, string>;

  constructor(
    /** The agent's model servers (`modelTargets`). */
    models: readonly { hostPort: string; named: string }[],
    readonly limitMs: number,
    /** Targets a file of the repository names (refused: not the person's), with that file. */
    private readonly namedElsewhere: ReadonlyMap<string, string> = new Map(),
  ) {
    this.models = new Map(models.map((m) => [m.hostPort, m.named]));
  }

  seen(e: ReachEvent): void {
    const model = this.models.has(e.target);
    if (e.outcome === 'connected') {
      this.reachedAny = true;
      if (model) this.run = null;
      else if (this.run) {
        this.run.refused.clear();
        if (this.run.failed.size === 0) this.run = null;
      }
      return;
    }
    if (e.outcome === 'failed' && !model) return;
    // Refusals count only before it reached anything, and only for an agent with a model to reach (a custom agent without one may well work offline) or a target a file names as its model's.
    if (e.outcome === 'refused' && (this.reachedAny || (this.models.size === 0 && !this.namedElsewhere.has(e.target)))) return;
    this.run ??= { since: e.at, failed: new Map(), refused: new Map() };
    const into = e.outcome === 'failed' ? this.run.failed : this.run.refused;
    const was = into.get(e.target);
    into.set(e.target, { why: e.why, count: (was?.count ?? 0) + 1 });
  }

  /** What is not reached now (a model server's failures first), or null. */
  unreached(): Unreached | null {
    if (!this.run) return null;
    const [target, last] = [...this.run.failed.entries()][0] ?? [...this.run.refused.entries()][0] ?? [];
    if (!target || !last) return null;
    const kind = this.run.failed.has(target) ? 'failed' : 'refused';
    return { kind, target, source: (kind === 'failed' ? this.models.get(target) : this.namedElsewhere.get(target)) ?? null, why: last.why, count: last.count, since: this.run.since };
  }

  /** Why the agent is to be stopped at `now` (ms), or null: its run of failures is not `limitMs` long. */
  due(now: number): string | null {
    const u = this.unreached();
    return u && now - u.since >= this.limitMs ? unreachedText(u, now) : null;
  }
}

/** An `Unreached` in a person's words, for the attempt's error. */
export function unreachedText(u: Unreached, now: number): string {
  const seconds = Math.max(1, Math.round((now - u.since) / 1000));
  const times = u.count === 1 ? 'once' : `${u.count} times`;
  if (u.kind === 'failed') return `its model server ${u.target}${u.source ? ` (${u.source})` : ''} could not be reached: ${u.why} (tried ${times} in ${seconds} s, never reached)`;
  const named = u.source ? `, named in ${u.source} (a file of the repository, which cannot widen the walls)` : '';
  return `it reached nothing in ${seconds} s: its walls refused its connections to ${u.target}${named} (${times}; not among the hosts it may reach: waves.sandbox.allowHosts / --allow-host)`;
}

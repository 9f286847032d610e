/**
 * The walls an agent runs inside (ADR 0019): what it may write, what it may not
 * read, what it may reach — decided here as plain data from the attempt's paths and the
 * agent's profile, and turned into bubblewrap's arguments. The runner (attempt/runner.ts)
 * applies them; the engine (attempt/confinement.ts) fills in what only the disk knows.
 *
 * Filesystem: everything read-only (`--ro-bind / /`), a private `/tmp`; writable only the
 * attempt's worktree, what git needs to commit there (the object store, the feature's branch
 * refs and their logs, the worktree's own admin folder — never `hooks/`, `config`, `info/` or
 * other refs), the agent's result folder, the CLI's own state folders and what the person
 * adds. The usual secrets are hidden (an empty folder, or /dev/null for a file; at their real
 * paths, under `$HOME` and the account's home folder), and settings
 * files that hold some are shown as copies without them (maven's `settings.xml`). Processes:
 * a PID namespace of their own (no other agent, no engine to see or signal), a new session
 * (no typing into the person's terminal). Network: none, or only the targets allowed, through
 * the runner's filtering proxy.
 */
import path from 'node:path';

/** A network target an agent may reach: a host name or address and a port. */
export interface Target {
  host: string;
  port: number;
}

export interface WallsPlan {
  /** The attempt's worktree (writable; the agent's working folder). */
  worktree: string;
  /** Folders the agent may write, besides the worktree (git's, the result folder, state folders). */
  write: string[];
  /** Folders and files re-shown read-only over the private /tmp (when they live under it). */
  readBack: string[];
  /** Folders shown read-only inside writable ones (mounted after them): a shared cache's entries that are complete, which no agent may change for the next. */
  readOnly?: string[];
  /** Absolute paths hidden from the agent: secrets. */
  hidden: string[];
  /**
   * Files the agent sees another file in place of, read-only: the person's settings, by a copy
   * without their credentials (`with`; when it is not there, an empty file). Hidden wins.
   */
  replaced?: { path: string; with: string }[];
  /** null: no network at all; else the targets the proxy lets through. */
  network: Target[] | null;
}

/** What the disk says of a path (the caller looks; the plan is pure). */
export type PathKind = 'dir' | 'file' | null;

/**
 * Secrets hidden by default, relative to the home folder — `$HOME`'s and the account's (its passwd
 * entry), when they differ — each at its real path (a link's target: engine/attempt/wallsDraw.ts);
 * `waves.sandbox.hidden` adds more.
 */
export const DEFAULT_HIDDEN: readonly string[] = [
  '.ssh',
  '.aws',
  '.azure',
  '.gnupg',
  '.kube',
  '.docker/config.json',
  '.netrc',
  '.pgpass', // PostgreSQL's passwords (the shared coordinator's among them)
  '.git-credentials',
  '.npmrc',
  '.pypirc',
  '.config/gh',
  '.config/hub',
  '.config/gcloud',
  '.config/git/credentials',
  // Package managers' credentials. The settings of `.npmrc`, pip's and cargo's files reach the
  // agent without them, in copies the walls make (core/walls/toolchains.ts).
  '.cargo/credentials.toml',
  '.cargo/credentials',
  '.config/pip/pip.conf',
  '.pip/pip.conf',
  '.yarnrc.yml',
  '.gradle/gradle.properties',
  '.m2/settings-security.xml',
  '.gem/credentials',
  '.config/composer/auth.json',
  '.composer/auth.json',
  '.terraform.d/credentials.tfrc.json',
];

/**
 * Each preset CLI's own state, relative to the home folder, as it is with none of its home
 * variables set (it writes there at start and after: sessions, settings, logs, history). What it
 * writes beyond them at start goes elsewhere: `~/.cache` (Copilot unpacks its package there,
 * Codex and Copilot keep caches) is the attempt's private `XDG_CACHE_HOME` inside the walls
 * (core/walls/toolchains.ts), Copilot's package the agents' shared cache (`agentCacheEnv`).
 * Claude Code's `~/.claude.json` is not among them: Claude Code writes it by a rename in the home
 * folder itself, which no bind lets through (a bound file stays as it was, seen with 2.1.331), so
 * a bind would only let the agent's own commands change the person's file; Claude Code goes on
 * without saving it (with `CLAUDE_CONFIG_DIR` set, it is in that folder, and written).
 */
export const STATE_FOLDERS: Readonly<Record<string, readonly string[]>> = {
  'claude-code': ['.claude', '.config/claude'],
  codex: ['.codex'],
  gemini: ['.gemini'],
  copilot: ['.copilot', '.config/github-copilot'],
  aider: ['.aider', '.aider.chat.history.md'],
};

/**
 * The variables by which each vendor's documentation moves a CLI's state away from the home
 * folder, and the default each replaces (`STATE_FOLDERS`): Claude Code's `CLAUDE_CONFIG_DIR`
 * (its `.claude.json` in it too), Codex's `CODEX_HOME`, Gemini CLI's
 * `GEMINI_CLI_HOME` (its home folder: the state is `.gemini` in it), Copilot CLI's
 * `COPILOT_HOME`; and `XDG_CONFIG_HOME` for the folders under `~/.config`.
 */
export const STATE_VARIABLES: Readonly<Record<string, readonly { variable: string; replaces: readonly string[]; under?: string }[]>> = {
  'claude-code': [
    { variable: 'CLAUDE_CONFIG_DIR', replaces: ['.claude'] },
    { variable: 'XDG_CONFIG_HOME', replaces: ['.config/claude'], under: 'claude' },
  ],
  codex: [{ variable: 'CODEX_HOME', replaces: ['.codex'] }],
  gemini: [{ variable: 'GEMINI_CLI_HOME', replaces: ['.gemini'], under: '.gemini' }],
  copilot: [
    { variable: 'COPILOT_HOME', replaces: ['.copilot'] },
    { variable: 'XDG_CONFIG_HOME', replaces: ['.config/github-copilot'], under: 'github-copilot' },
  ],
  aider: [],
};

/** A CLI's state folder (or file) the walls let it write. */
export interface StateFolder {
  path: string;
  /** A file (aider's history): never made by the walls, bound only when it exists. */
  file: boolean;
  /** The variable that named it; absent: the default under the home folder. */
  variable?: string;
}

/**
 * Where a preset's CLI keeps its state, for this home folder and environment: each default of
 * `STATE_FOLDERS`, or what the vendor's variable (`STATE_VARIABLES`) names instead. A variable
 * naming a folder the walls may not give an agent — not absolute, the root or a folder right
 * under it, the home folder or a folder holding it (`accountHome`'s too: the account's home folder,
 * when `$HOME` names another), or one holding any of `keep` (the worktree,
 * the repository's git folder) — is not followed: that folder stays read-only, and a problem
 * says why, in words. Pure.
 */
export function stateFolders(family: string, home: string, env: Readonly<Record<string, string | undefined>>, keep: readonly string[] = [], accountHome = home): { folders: StateFolder[]; problems: string[] } {
  const defaults = STATE_FOLDERS[family] ?? [];
  const variables = STATE_VARIABLES[family] ?? [];
  const folders: StateFolder[] = [];
  const problems: string[] = [];
  const replaced = new Set<string>();
  for (const { variable, replaces, under } of variables) {
    const value = env[variable];
    if (!value) continue;
    // The variable's default is not used once it is set, whether the walls follow it or not.
    for (const r of replaces) replaced.add(r);
    const target = path.isAbsolute(value) ? path.resolve(value, under ?? '.') : null;
    const why = target ? stateFolderRefusal(target, home, keep, accountHome) : 'not an absolute path';
    if (why) {
      problems.push(`${variable}=${value} names ${target ?? 'a folder'} for ${family}'s own files, which the walls do not let an agent write (${why}): it stays read-only inside them, and ${family} may fail to start`);
      continue;
    }
    folders.push({ path: target!, file: false, variable });
  }
  for (const rel of defaults) if (!replaced.has(rel)) folders.push({ path: path.join(home, rel), file: /\.(json|md)$/.test(rel) });
  return { folders, problems };
}

/** Why a CLI's state folder (absolute; the caller checks its real path too) may not be written by an agent; null when it may. `accountHome`: the account's home folder (its passwd entry), when `$HOME` names another. */
export function stateFolderRefusal(p: string, home: string, keep: readonly string[], accountHome = home): string | null {
  if (p.split('/').filter(Boolean).length < 2) return 'the root or a folder right under it';
  if (isWithin(home, p)) return p === path.resolve(home) ? 'the home folder itself' : 'a folder holding the home folder';
  if (isWithin(accountHome, p)) return p === path.resolve(accountHome) ? "the account's home folder itself" : "a folder holding the account's home folder";
  const held = keep.find((k) => isWithin(k, p));
  if (held) return `a folder holding ${held}`;
  return null;
}

/** The shared cache folder of Copilot CLI's unpacked package (under the agents' shared cache). */
export const COPILOT_PACKAGE_CACHE = 'copilot';

/**
 * What a preset's CLI is told inside the walls about its caches (`shared`: the agents' shared
 * cache; `own`: the attempt's private `XDG_CACHE_HOME`). Copilot CLI unpacks its package (about
 * 235 MB, per version) on its first start into `~/.cache/copilot/pkg`: inside the walls into the
 * agents' shared cache (`COPILOT_PKG_CACHE_HOME`), once per version for every attempt and run;
 * its other caches stay private (a `COPILOT_CACHE_HOME` of the person's, read-only inside, is
 * moved to the private one). It runs the version the person installed (`COPILOT_AUTO_UPDATE=false`):
 * a newer one put in the shared cache by another agent is never started.
 */
export function agentCacheEnv(family: string | null, cache: { shared: string; own: string }, env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  if (family !== 'copilot') return {};
  return {
    COPILOT_PKG_CACHE_HOME: path.join(cache.shared, COPILOT_PACKAGE_CACHE),
    COPILOT_AUTO_UPDATE: 'false',
    ...(env.COPILOT_CACHE_HOME ? { COPILOT_CACHE_HOME: path.join(cache.own, 'copilot') } : {}),
  };
}

/** Each preset CLI's model API, reached through the proxy (`waves.sandbox.allowHosts` adds more). */
export const API_TARGETS: Readonly<Record<string, readonly string[]>> = {
  'claude-code': ['api.anthropic.com:443', 'statsig.anthropic.com:443'],
  codex: ['api.openai.com:443', 'chatgpt.com:443'],
  gemini: ['generativelanguage.googleapis.com:443', 'oauth2.googleapis.com:443', 'cloudcode-pa.googleapis.com:443'],
  copilot: ['api.githubcopilot.com:443', 'api.individual.githubcopilot.com:443', 'api.github.com:443'],
  aider: [],
};

/** The preset a profile id belongs to (`claude-code-interactive` → `claude-code`); null for a custom agent. */
export function presetFamily(profileId: string): string | null {
  const base = profileId.replace(/-interactive$/, '');
  return Object.hasOwn(STATE_FOLDERS, base) ? base : null;
}

/** A TCP port: a whole number from 1 to 65535. */
export const isPort = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 65535;

/**
 * `host:port` (or `[v6]:port`, or a URL whose port is its scheme's) read as a target; null when
 * it is not one. Hosts are compared lower-case.
 */
export function parseTarget(text: string): Target | null {
  const t = text.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) {
    try {
      const u = new URL(t);
      const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : u.protocol === 'http:' ? 80 : NaN;
      const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
      return host && Number.isInteger(port) ? { host, port } : null;
    } catch {
      // not a URL: the caller names the target as one it cannot read
      return null;
    }
  }
  const m = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9.-]+|\*\.[a-z0-9.-]+)):(\d{1,5})$/i.exec(t);
  if (!m) return null;
  const port = Number(m[3]);
  if (!isPort(port)) return null;
  return { host: (m[1] ?? m[2]!).toLowerCase(), port };
}

/** Whether `target` is one `allowed` names (`*.example.com` covers its subdomains, not itself). */
export function isAllowed(allowed: readonly Target[], target: Target): boolean {
  const host = target.host.toLowerCase().replace(/\.$/, '');
  return allowed.some((a) => a.port === target.port && (a.host === host || (a.host.startsWith('*.') && host.endsWith(a.host.slice(1)))));
}

/** Whether a target is on this machine's loopback (the relay inside the walls listens on its port). */
export function isLoopback(t: Target): boolean {
  return t.host === 'localhost' || t.host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(t.host);
}

/** The base-URL variables of the presets: a model server named there is the agent's to reach. */
export const BASE_URL_VARIABLES: readonly string[] = ['ANTHROPIC_BASE_URL', 'OPENAI_BASE_URL', 'GOOGLE_GEMINI_BASE_URL', 'GEMINI_BASE_URL', 'COPILOT_PROVIDER_BASE_URL'];

/**
 * The targets an agent may reach: its preset's model API, the model server its environment
 * names (a base-URL variable), and what the person allowed. A custom agent gets only the last
 * two. Duplicates dropped; unreadable entries are returned in `problems`.
 */
export function allowedTargets(profileId: string, env: Readonly<Record<string, string | undefined>>, extra: readonly string[]): { targets: Target[]; problems: string[] } {
  const family = presetFamily(profileId);
  const texts = [...(family ? API_TARGETS[family]! : []), ...BASE_URL_VARIABLES.flatMap((v) => (env[v] ? [env[v]!] : [])), ...extra];
  const targets: Target[] = [];
  const problems: string[] = [];
  for (const text of texts) {
    const t = parseTarget(text);
    if (!t) problems.push(`"${text}" is not a host:port`);
    else if (!targets.some((x) => x.host === t.host && x.port === t.port)) targets.push(t);
  }
  return { targets, problems };
}

/** `child` is `parent` or inside it (both absolute, normalised). */
export function isWithin(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * bubblewrap's arguments for a plan (everything before `--`). `kind` says what each path is on
 * disk; a writable or read-back path that does not exist is left out, a hidden or replaced one
 * too. The order is bubblewrap's: later mounts cover earlier ones, so the secrets come last (a
 * replaced file the person also hid stays hidden).
 */
export function bwrapArgs(plan: WallsPlan, kind: (p: string) => PathKind, tmp = '/tmp'): string[] {
  const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', tmp];
  const seen = new Set<string>();
  const add = (flag: string, p: string) => {
    const key = `${flag} ${p}`;
    if (seen.has(key)) return;
    seen.add(key);
    args.push(flag, p, p);
  };
  // Under the private /tmp nothing of the machine shows: what the agent must read there comes back read-only.
  for (const p of plan.readBack) if (isWithin(p, tmp) && kind(p)) add('--ro-bind', p);
  for (const p of [plan.worktree, ...plan.write]) if (kind(p)) add('--bind', p);
  for (const p of plan.readOnly ?? []) if (kind(p)) add('--ro-bind', p);
  for (const r of plan.replaced ?? []) if (kind(r.path) === 'file') args.push('--ro-bind', kind(r.with) === 'file' ? r.with : '/dev/null', r.path);
  for (const p of plan.hidden) {
    const k = kind(p);
    if (k === 'dir') args.push('--tmpfs', p, '--remount-ro', p);
    else if (k === 'file') args.push('--ro-bind', '/dev/null', p);
  }
  args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--die-with-parent', '--new-session');
  // A network namespace of its own always: what it may reach comes through the runner's proxy, or nothing does.
  args.push('--unshare-net');
  args.push('--chdir', plan.worktree);
  return args;
}

/**
 * The port the relay's proxy listens on inside the walls, on 127.0.0.1: HTTP_PROXY / HTTPS_PROXY
 * point there, and so do the JVM's proxy properties (toolchains.ts).
 */
export const PROXY_PORT = 3128;

/** The environment variable by which the runner pool asks its runners for a network made ahead (its value: bubblewrap's path; ADR 0019). */
export const WALLS_AHEAD_ENV = 'WAVES_WALLS_AHEAD';

/** How much lower an agent inside walls runs on the CPU than the engine (nice steps). */
export const AGENT_NICENESS = 5;

/** bubblewrap's arguments for the trial that says whether walls can be had (the namespaces the walls use). */
export const WALLS_TRIAL_ARGS: readonly string[] = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--unshare-net', '--die-with-parent', '--new-session', 'true'];

/** A fixed shell text that tries the walls on a host: prints `sandbox=ok`, `sandbox=missing` or `sandbox=fails <why>`. */
export const WALLS_TRIAL_SCRIPT = `if ! command -v bwrap >/dev/null 2>&1; then echo sandbox=missing; elif out=$(bwrap ${WALLS_TRIAL_ARGS.join(' ')} 2>&1); then echo sandbox=ok; else echo "sandbox=fails $(printf '%s' "$out" | head -n 1)"; fi`;

/** The trial's output (a `sandbox=` line) read: null when walls can be had, else why not. */
export function wallsTrialProblem(output: string): string | null {
  const line = /^sandbox=(.*)$/m.exec(output)?.[1]?.trim();
  if (line === 'ok') return null;
  if (line === 'missing') return 'bubblewrap (bwrap) is not installed there: install it (Debian/Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap) to confine agents';
  if (line?.startsWith('fails')) return `bubblewrap cannot make walls there (${line.slice(5).trim() || 'it failed'}): the kernel may not allow unprivileged user namespaces`;
  return 'whether walls can be made there is unknown (the trial printed nothing)';
}

/**
 * Whether a command's output reads like a connection that found no network (a name not
 * resolved, a host or the proxy not reached): said beside a failing step whose walls let it
 * reach no host at all, where no proxy was there to name what it tried.
 */
export function looksOffline(output: string): boolean {
  return /\b(ENOTFOUND|EAI_AGAIN|ENETUNREACH|ECONNREFUSED)\b|getaddrinfo|Could not resolve (host|proxy)|Temporary failure in name resolution|Name or service not known|Network is unreachable|Connection refused/i.test(output);
}

/**
 * When a failing tool's output reads like a connection made past the walls' proxy — straight to
 * an address (`ENETUNREACH`, "network is unreachable", errno 101, curl's "failed to connect to"
 * a host not this machine's: inside the walls the network has only its loopback) or a name
 * looked up by the tool itself (`EAI_AGAIN`, "could not resolve host", "temporary failure in
 * name resolution", Go's "lookup … on": no name server is reachable there) — the words to add:
 * what it tried, and that only the walls' proxy reaches the hosts allowed. null when it reads
 * like neither. A refusal the proxy itself wrote is named from the walls' log, not by this.
 */
export function directConnectionAdvice(outputTail: string): string | null {
  const proxy = `only their proxy (HTTPS_PROXY, 127.0.0.1:${PROXY_PORT}) reaches the hosts they allow (waves.sandbox.allowHosts / --allow-host): have the tool use it`;
  const lookedUp = (name: string | null) => `it looked up ${name ?? 'a host name'} itself, past its walls' proxy: inside the walls ${proxy}`;
  const unreachable = /\bENETUNREACH\b|network is unreachable|os error 101\b|\[Errno 101\]/i;
  const curl = /failed to connect to (\S+) port (\d{1,5})\b/i;
  // An address and its port: [v6]:port, a.b.c.d:port, or v6:port as Node writes it.
  const addressPort = /(\[[0-9a-f:.]+\]|\b\d{1,3}(?:\.\d{1,3}){3}|\b[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,}):(\d{1,5})\b/i;
  const lines = outputTail.split(/\r?\n/);
  for (const line of lines) {
    const c = curl.exec(line);
    const viaCurl = !!c && !/^(localhost|127\.|\[?::1\]?$)/i.test(c[1]!);
    if (!unreachable.test(line) && !viaCurl) continue;
    // Go's "dial tcp: lookup example.com on 10.0.0.53:53: … network is unreachable": the name server it tried is not what it wanted.
    const lookup = /\blookup (\S+?) on\b/.exec(line);
    if (lookup) return lookedUp(lookup[1]!);
    // Node "connect ENETUNREACH 203.0.113.7:443", Go "dial tcp 203.0.113.7:443: connect: …", ssh "connect to host github.com port 22: …", curl.
    const a = addressPort.exec(line);
    const ssh = /\bto host (\S+) port (\d{1,5})\b/i.exec(line);
    const target = viaCurl ? `${c![1]}:${c![2]}` : a ? `${a[1]}:${a[2]}` : ssh ? `${ssh[1]}:${ssh[2]}` : null;
    return `it connected${target ? ` to ${target}` : ''} directly, past its walls' proxy: inside the walls ${proxy}`;
  }
  const lookup = /\bEAI_AGAIN\b|could not resolve host|temporary failure in name resolution|failed to lookup address information/i;
  for (const line of lines) {
    if (!lookup.test(line)) continue;
    // Node "getaddrinfo EAI_AGAIN registry.example.com", curl and git "Could not resolve host: example.com", ssh "Could not resolve hostname github.com: …".
    return lookedUp(/\bEAI_AGAIN\s+([A-Za-z0-9.-]+)/.exec(line)?.[1] ?? /could not resolve host(?:name)?:?\s+'?([A-Za-z0-9.-]+[A-Za-z0-9])/i.exec(line)?.[1] ?? null);
  }
  return null;
}

/** Beside a failing step that looks offline, inside walls that let it reach no host. */
export const NO_NETWORK_TEXT = 'its walls let it reach no host (allow one: waves.sandbox.allowHosts / --allow-host)';

/** What an attempt's (or a command's) walls refused it, for its problem or its step's result: the targets (five shown, each through `show`) and where to allow one. */
export function wallsRefusedText(targets: readonly string[], show: (target: string) => string = (t) => t): string {
  return `its walls refused ${targets.length === 1 ? 'a connection' : `${targets.length} connections`} to ${targets.slice(0, 5).map(show).join(', ')} (not among the hosts it may reach: waves.sandbox.allowHosts / --allow-host)`;
}

/**
 * The ports this machine's loopback serves, read from the kernel's socket tables
 * (`/proc/net/tcp` and `/proc/net/tcp6`): each socket listening (state `0A`) on a loopback
 * address or on every address (`0.0.0.0`, `::`), ascending. `littleEndian`: the machine's byte
 * order, in which the tables write addresses. Inside the walls nothing serves them: a connection
 * there is refused — by the walls, which the relay then names (wallsDraw.ts).
 */
export function loopbackListening(tcp: string, tcp6: string, littleEndian = true): number[] {
  const ports = new Set<number>();
  // One 32-bit word of an address, as the table writes it (the machine's order) → its bytes in network order.
  const bytes = (word: string) => {
    const b = word.match(/../g)!.map((h) => parseInt(h, 16));
    return littleEndian ? b.reverse() : b;
  };
  const served = (address: string): boolean => {
    if (address.length === 8) {
      const [a, b, c, d] = bytes(address);
      return a === 127 || (a === 0 && b === 0 && c === 0 && d === 0);
    }
    if (address.length !== 32) return false;
    const all = [0, 8, 16, 24].flatMap((i) => bytes(address.slice(i, i + 8)));
    const zeros = (n: number) => all.slice(0, n).every((x) => x === 0);
    if (zeros(16)) return true; // ::
    if (zeros(15) && all[15] === 1) return true; // ::1
    // ::ffff:a.b.c.d, the IPv4 loopback (or any) in a socket of both families.
    return zeros(10) && all[10] === 0xff && all[11] === 0xff && (all[12] === 127 || (all[12] === 0 && all[13] === 0 && all[14] === 0 && all[15] === 0));
  };
  for (const line of `${tcp}\n${tcp6}`.split('\n')) {
    const m = /^\s*\d+:\s+([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})\s+\S+\s+0A\s/.exec(line);
    if (m && served(m[1]!)) ports.add(parseInt(m[2]!, 16));
  }
  return [...ports].sort((a, b) => a - b);
}

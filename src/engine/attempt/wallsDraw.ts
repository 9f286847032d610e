/**
 * An attempt's walls drawn from the disk as its agent starts (issue #32, ADR 0019): the runner
 * calls `wallsFor` with the tree, the attempt folder and the environment the agent gets; the
 * pure plan is core/walls/walls.ts. Node built-ins, src/core and src/store only (bundled into
 * dist/runner.js).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { agentCacheEnv, allowedTargets, bwrapArgs, COPILOT_PACKAGE_CACHE, DEFAULT_HIDDEN, isLoopback, parseTarget, presetFamily, stateFolderRefusal, stateFolders, type PathKind, type Target, type WallsPlan } from '../../core/walls/walls.js';
import { gitDirsOf } from '../../store/gitDirs.js';
import { bwrapUserArgs } from '../../core/walls/dependencyFolders.js';
import { dependencyOverlays } from './wallsDeps.js';
import { toolchainWalls } from './wallsToolchains.js';
import { agentConfigFiles, agentEndpoints, type ModelEndpoint } from '../../core/agents/agentEndpoints.js';
import { resolveProgram } from './programs.js';

/** What the person set for the walls (settings `waves.sandbox.*`, flags `--allow-host`, …); all optional. */
export interface ConfinementOptions {
  /** More folders the agents may write (absolute, or `~/…`). */
  write?: string[];
  /** More paths hidden from the agents (absolute, or `~/…`). */
  hidden?: string[];
  /** More network targets (`host:port`, `*.example.com:443`, or a URL). */
  allowHosts?: string[];
  /** More folders shown read-only under the private /tmp (also `WAVES_SANDBOX_READ`, a path list, from the environment). */
  read?: string[];
  /** The most memory (MiB, resident) an agent and what it started may hold before the runner stops it; absent: `DEFAULT_MEMORY_MB`; 0: no limit. */
  memoryMB?: number;
  /** The package registries the person's own configuration names may be reached (npm's, pip's, cargo's, Go's proxy). */
  registries?: boolean;
  /** The toolchains' download cache the agents share (absolute, or `~/…`); absent: `~/.cache/wave-orchestrator/agents`. */
  cacheDir?: string;
}

/** An agent's memory limit when the person set none (MiB): a runaway agent cannot take the machine. */
export const DEFAULT_MEMORY_MB = 8192;

/** `~/x` against the home folder; other paths as they are (made absolute). */
function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : path.resolve(p);
}

function kindOf(p: string): PathKind {
  try {
    const st = fs.statSync(p);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : null;
  } catch {
    return null;
  }
}

function readText(p: string): string {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

function real(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** What an attempt's walls are drawn from. */
export interface WallsRequest {
  bwrap: string;
  worktree: string;
  /** The attempt folder (prompt, spec, result, needs-input). */
  attemptDir: string;
  /** `agent` (the default): the attempt folder writable but its spec and prompt; `command`: a verification step — the attempt folder read-only. */
  role?: 'agent' | 'command';
  /** The agent's profile id (its preset's state folders and model API). */
  profileId: string;
  /** The environment the agent sees (a base-URL variable names its model server). */
  env: Readonly<Record<string, string | undefined>>;
  interactive: boolean;
  /** The agent's argv as the runner spawns it. */
  argv: readonly string[];
  runnerScript: string;
  startToken: string;
  options?: ConfinementOptions;
  home?: string;
}

/**
 * The walls of one attempt as the runner takes them: writable the worktree, git's object
 * store, the feature's branch refs and logs, the worktree's admin folder, the attempt folder
 * (but its spec and prompt) and the CLI's state; hidden the secrets; the network only to
 * the allowed targets, through the runner's proxy. Problems: unreadable `allowHosts` entries.
 */
export function wallsFor(req: WallsRequest): { walls: DrawnWalls; problems: string[] } {
  const home = real(req.home ?? os.homedir());
  const worktree = real(req.worktree);
  const attemptDir = real(req.attemptDir);
  const dirs = gitDirsOf(worktree);
  const command = req.role === 'command';
  const write: string[] = command ? [] : [attemptDir];
  const fromEnv = (req.env.WAVES_SANDBOX_READ ?? '').split(path.delimiter).filter(Boolean);
  const readBack: string[] = [home, attemptDir, real(path.dirname(req.runnerScript)), ...argvFolders(req), ...[...(req.options?.read ?? []), ...fromEnv].map((p) => real(expandHome(p, home)))];
  if (dirs) {
    const common = real(dirs.commonDir);
    readBack.push(common);
    write.push(path.join(common, 'objects'), real(dirs.gitDir));
    // The branch refs beside the tree's own (the feature's) and their logs: git renames a lock file in the ref's folder.
    const head = /^ref: refs\/heads\/(.+)$/m.exec(readText(path.join(dirs.gitDir, 'HEAD')))?.[1];
    if (head?.includes('/')) {
      const refFolder = path.dirname(head);
      for (const p of [path.join(common, 'refs', 'heads', refFolder), path.join(common, 'logs', 'refs', 'heads', refFolder)]) {
        // Made now when git has not yet (a bare repository on an SSH host keeps no logs until a worktree's first commit): the walls bind what exists.
        try {
          fs.mkdirSync(p, { recursive: true });
        } catch {
          // not ours to make: the walls leave it out
        }
        write.push(p);
      }
    }
  }
  const family = presetFamily(req.profileId);
  const agentProblems: string[] = [];
  if (family && !command) {
    // Its own folders where the vendor's documentation puts them (its home variables followed), never the home folder or the repository.
    const keep = [worktree, ...(dirs ? [real(dirs.commonDir)] : [])];
    const { folders, problems: stateProblems } = stateFolders(family, home, req.env, keep);
    agentProblems.push(...stateProblems);
    for (const f of folders) {
      // A CLI's state folder it has not made yet: made now, so the walls can let it write there (a file it makes is left to it).
      if (!f.file) {
        try {
          fs.mkdirSync(f.path, { recursive: true });
        } catch (e) {
          agentProblems.push(`${f.path}, where ${family} keeps its own files${f.variable ? ` (${f.variable})` : ''}, could not be made (${(e as NodeJS.ErrnoException).code ?? String(e)}): it stays read-only inside the walls`);
        }
      }
      // Where it really is: a link to the home folder or the repository is not followed.
      const where = real(f.path);
      const why = where !== f.path ? stateFolderRefusal(where, home, keep) : null;
      if (why) agentProblems.push(`${f.path}, where ${family} keeps its own files, leads to ${where}, which the walls do not let an agent write (${why}): it stays read-only inside them`);
      else write.push(where);
    }
  }
  for (const p of req.options?.write ?? []) write.push(expandHome(p, home));
  // The toolchains' caches and the person's settings without their tokens; the registries when the person allowed them (ADR 0026).
  const tools = toolchainWalls({ home, env: req.env, worktree, attemptDir, ...(dirs ? { privateDir: path.join(real(dirs.gitDir), 'waves-cache') } : {}), ...(req.options?.cacheDir ? { cacheDir: req.options.cacheDir } : {}), registries: req.options?.registries === true });
  write.push(...tools.write);
  // The CLI's own caches (Copilot's unpacked package in the shared cache): what is complete there read-only, so that no agent changes what the next one runs.
  const agentEnv = command ? {} : agentCacheEnv(family, { shared: tools.shared, own: tools.env.XDG_CACHE_HOME ?? tools.private }, req.env);
  const readOnly = family === 'copilot' && !command ? unpackedPackages(path.join(tools.shared, COPILOT_PACKAGE_CACHE, 'pkg')) : [];
  const hidden = [...DEFAULT_HIDDEN, ...(req.options?.hidden ?? [])].map((p) => (p.startsWith('/') || p.startsWith('~') ? expandHome(p, home) : path.join(home, p)));
  // The person's session: its runtime folder (session bus, keyring, agents' sockets) and the ssh-agent's socket.
  hidden.push('/run/user', ...(req.env.SSH_AUTH_SOCK ? [path.dirname(req.env.SSH_AUTH_SOCK)] : []), ...tools.hidden);
  const { targets, problems } = targetsFor(req.profileId, req.env, req.options);
  for (const t of tools.allow.map(parseTarget)) if (t && !targets.some((x) => x.host === t.host && x.port === t.port)) targets.push(t);
  problems.push(...tools.problems, ...agentProblems);
  const plan: WallsPlan = { worktree, write, readBack, readOnly, hidden, network: targets };
  const args = bwrapArgs(plan, kindOf, '/tmp');
  if (req.interactive) {
    // A terminal agent keeps its controlling terminal (a new session would take it away).
    const at = args.indexOf('--new-session');
    if (at >= 0) args.splice(at, 1);
  }
  // Its spec and prompt stay as the engine wrote them. (Not meta.json: the runner writes it again,
  // by a rename, as the agent starts — a bind of the file it replaces races that.)
  for (const name of command ? [] : ['spec.json', 'prompt.md']) {
    const p = path.join(attemptDir, name);
    if (kindOf(p) === 'file') args.splice(args.indexOf('--unshare-pid'), 0, '--ro-bind', p, p);
  }
  // The dependency folders laid from the person's checkout (ADR 0026): mounted before bubblewrap,
  // which then gives the agent back the person's ids with no capability left.
  const deps = dependencyOverlays(worktree, dirs && { gitDir: real(dirs.gitDir), commonDir: real(dirs.commonDir) });
  if (deps.prefix.length) args.unshift(...bwrapUserArgs(process.getuid?.() ?? 0, process.getgid?.() ?? 0));
  const socket = wallsSocketOf(req.startToken);
  return {
    walls: {
      bwrap: req.bwrap,
      args,
      allow: targets.map((t) => `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`),
      socket,
      log: path.join(attemptDir, 'walls.jsonl'),
      runnerScript: real(req.runnerScript),
      env: { ...tools.env, ...agentEnv },
      registries: tools.registries,
      listen: loopbackListeners(targets, tools.registries),
      prefix: deps.prefix,
      laid: [...deps.notes, ...agentProblems],
    },
    problems,
  };
}

/**
 * The packages unpacked in a shared package cache (`<pkg>/<platform>/<version>`, a folder whose
 * name does not start with a dot: Copilot unpacks into `.extracting-…` and renames it when done).
 */
function unpackedPackages(pkg: string): string[] {
  const dirs = (p: string) => {
    try {
      return fs.readdirSync(p, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => path.join(p, d.name));
    } catch {
      return [];
    }
  };
  return dirs(pkg).flatMap(dirs);
}

/**
 * The network targets an agent's (or a command's) walls let through: its preset's model API, the
 * model server its environment names, the model servers its CLI's own configuration names (the
 * person's files: `~/.codex/config.toml`'s providers, `~/.claude/settings.json`'s `env`,
 * `~/.gemini/.env`; core/agents/agentEndpoints.ts), and what the person allowed — the setting or
 * flag, and `WAVES_SANDBOX_ALLOW` (comma-separated) from the environment. `endpoints`: every model
 * server named, with where; given `worktree`, also those its files name (the repository's: named,
 * never let through).
 */
export function targetsFor(
  profileId: string,
  env: Readonly<Record<string, string | undefined>>,
  options?: ConfinementOptions,
  worktree: string | null = null,
): { targets: Target[]; problems: string[]; endpoints: ModelEndpoint[] } {
  const fromEnvAllow = (env.WAVES_SANDBOX_ALLOW ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  const files = agentConfigFiles(profileId, env.HOME || os.homedir(), env, worktree).flatMap((file) => {
    const text = readText(file.path);
    return text ? [{ file, text }] : [];
  });
  const { endpoints } = agentEndpoints(profileId, env, files);
  const named = endpoints.filter((e) => e.person).map((e) => e.hostPort);
  return { ...allowedTargets(profileId, env, [...named, ...(options?.allowHosts ?? []), ...fromEnvAllow]), endpoints };
}

/**
 * Where an attempt's proxy listens, from its start token (known to a runner started ahead before
 * its attempt is): in /tmp, which every agent's walls cover with their own — no agent sees another's proxy.
 */
export function wallsSocketOf(startToken: string): string {
  return path.join('/tmp', `waves-walls-${crypto.createHash('sha256').update(startToken).digest('hex').slice(0, 16)}.sock`);
}

/** The loopback targets the relay listens on: the allowed ones, and the known registries on loopback (refused, named, by the proxy). */
function loopbackListeners(allowed: readonly Target[], registries: readonly string[]): string[] {
  const out = allowed.filter(isLoopback).map((t) => `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`);
  for (const r of registries) {
    const t = parseTarget(r);
    if (t && isLoopback(t) && !out.some((o) => parseTarget(o)?.port === t.port)) out.push(r);
  }
  return out;
}

/**
 * What the agent's argv needs shown read-only under the private /tmp: its program as resolved on
 * its PATH (every link's folder, the target's, a script's interpreter's: programs.ts), and the
 * other absolute paths it names (a script given to an interpreter). A program that cannot be run
 * adds nothing here: the runner refuses it before the walls are drawn.
 */
function argvFolders(req: WallsRequest): string[] {
  const [program, ...rest] = req.argv;
  const resolved = program ? resolveProgram(program, req.env, req.worktree) : null;
  return [...(resolved?.ok ? resolved.folders : []), ...rest.filter((a) => path.isAbsolute(a) && kindOf(a) !== null).map((a) => real(kindOf(a) === 'file' ? path.dirname(a) : a))];
}

/** The walls as the runner applies them: bubblewrap's arguments, the proxy's targets, its socket and log. */
export interface DrawnWalls {
  bwrap: string;
  /** Its arguments before `--` (core/walls/walls.ts `bwrapArgs`). */
  args: string[];
  /** The targets the proxy lets through (`host:port`); empty: no network. */
  allow: string[];
  /** Where the proxy listens (a unix socket) and where refusals are written (`walls.jsonl`). */
  socket: string;
  log: string;
  /** The runner's script, run inside the walls as the relay (`--relay`). */
  runnerScript: string;
  /** Variables set inside the walls (the toolchains' caches, the person's npm settings without their tokens). */
  env: Record<string, string>;
  /** Every package registry the person's configuration names, allowed or not: a refusal of one is said as a registry's. */
  registries: string[];
  /**
   * The loopback ports the relay inside listens on (`host:port`): each allowed loopback target's,
   * and each loopback registry's the person named but did not allow — whose connection the proxy
   * then refuses and names (the kernel would refuse it unnamed).
   */
  listen: string[];
  /**
   * What runs before bubblewrap (empty: nothing): the dependency folders laid over the tree as
   * copy-on-write overlays (wallsDeps.ts) are mounted there, in a user namespace of their own.
   */
  prefix: string[];
  /** What the attempt's log says first of its walls: the tree's folders laid from the person's checkout (`node_modules`), a CLI's own folder the walls could not give it. */
  laid: string[];
}

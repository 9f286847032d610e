/**
 * An attempt's walls drawn from the disk as its agent starts (ADR 0019): the runner
 * calls `wallsFor` with the tree, the attempt folder and the environment the agent gets; the
 * pure plan is core/walls/walls.ts. Node built-ins, src/core and src/store only (bundled into
 * dist/runner.js).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { agentCacheEnv, allowedTargets, bwrapArgs, COPILOT_PACKAGE_CACHE, DEFAULT_HIDDEN, isLoopback, isWithin, parseTarget, presetFamily, PROXY_PORT, stateFolderRefusal, stateFolders, type Target, type WallsPlan } from '../../core/walls/walls.js';
import { gitDirsOf } from '../../store/gitDirs.js';
import { layerLaid, layerMountTools, layerOf, noMountTools } from '../../store/treeLayers.js';
import { bwrapUserArgs, layingMechanism, overlayPrefix } from '../../core/walls/dependencyFolders.js';
import { dependencyClones, dependencyOverlays, overlayTools, type CloneRun } from './wallsDeps.js';
import { npmCiShimFor } from './wallsNpmCi.js';
import { toolchainWalls } from './wallsToolchains.js';
import { accountHomeOf, expandHome, kindOf, linksUnder, readText, realPathOrNull } from './wallsDisk.js';
import { agentConfigFiles, agentEndpoints, type ModelEndpoint } from '../../core/agents/agentEndpoints.js';
import { resolveProgram } from './programs.js';
import { servedLoopbackPorts } from './servedPorts.js';
import { SEATBELT_HIDDEN } from '../../core/walls/seatbelt.js';

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

function real(p: string): string {
  return realPathOrNull(p) ?? p;
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
  /** The account's home folder (its passwd entry); default `os.userInfo().homedir`. Tests give another. */
  accountHome?: string;
  /** Whose walls: `darwin` draws Seatbelt's (ADR 0033: the keychains hidden too); default this machine's. */
  platform?: NodeJS.Platform;
  /** macOS: what clones a dependency folder into the tree (`dependencyClones`); default macOS's `cp -c`. Tests give another. */
  clone?: CloneRun;
  /** Seatbelt's walls: the loopback port of the attempt's proxy (the JVM's proxy settings name it); default `PROXY_PORT`, the relay's inside bubblewrap. */
  proxyPort?: number;
}

/**
 * The walls of one attempt as the runner takes them: writable the worktree, git's object
 * store, the feature's branch refs and logs, the worktree's admin folder, the attempt folder
 * (but its spec and prompt) and the CLI's state; hidden the secrets; the network only to
 * the allowed targets, through the runner's proxy. Problems: unreadable `allowHosts` entries.
 */
export function wallsFor(req: WallsRequest): { walls: DrawnWalls; problems: string[] } {
  const home = real(req.home ?? os.homedir());
  // The account's home folder (its passwd entry: ssh's, the JVM's, a login shell's `~`) when $HOME names another: its secrets hidden too, never given to write.
  const accountHome = real(req.accountHome ?? accountHomeOf());
  const homes = accountHome && accountHome !== home ? [home, accountHome] : [home];
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
    const { folders, problems: stateProblems } = stateFolders(family, home, req.env, keep, accountHome || home);
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
      const why = where !== f.path ? stateFolderRefusal(where, home, keep, accountHome || home) : null;
      if (why) agentProblems.push(`${f.path}, where ${family} keeps its own files, leads to ${where}, which the walls do not let an agent write (${why}): it stays read-only inside them`);
      else write.push(where);
    }
  }
  for (const p of req.options?.write ?? []) write.push(expandHome(p, home));
  // The toolchains' caches and the person's settings without their tokens; the registries when the person allowed them (ADR 0026).
  const tools = toolchainWalls({ home, ...(accountHome ? { accountHome } : {}), env: req.env, worktree, attemptDir, ...(dirs ? { privateDir: path.join(real(dirs.gitDir), 'waves-cache') } : {}), ...(req.options?.cacheDir ? { cacheDir: req.options.cacheDir } : {}), registries: req.options?.registries === true, ...(req.proxyPort !== undefined ? { proxyPort: req.proxyPort } : {}) });
  write.push(...tools.write);
  // The CLI's own caches (Copilot's unpacked package in the shared cache): what is complete there read-only, so that no agent changes what the next one runs.
  const agentEnv = command ? {} : agentCacheEnv(family, { shared: tools.shared, own: tools.env.XDG_CACHE_HOME ?? tools.private }, req.env);
  const readOnly = family === 'copilot' && !command ? unpackedPackages(path.join(tools.shared, COPILOT_PACKAGE_CACHE, 'pkg')) : [];
  // The secrets under each home folder ($HOME's and the account's), where they really are.
  const secrets = [...DEFAULT_HIDDEN, ...((req.platform ?? process.platform) === 'darwin' ? SEATBELT_HIDDEN : []), ...(req.options?.hidden ?? [])].flatMap((p) => (p.startsWith('/') ? [expandHome(p, home)] : homes.map((h) => (p.startsWith('~') ? expandHome(p, h) : path.join(h, p)))));
  // The person's session: its runtime folder (session bus, keyring, agents' sockets) and the ssh-agent's socket.
  const session = ['/run/user', ...(req.env.SSH_AUTH_SOCK ? [path.dirname(req.env.SSH_AUTH_SOCK)] : [])];
  const { hidden, notes: hiddenNotes } = hiddenAt([...secrets, ...session, ...tools.hidden], homes, [...homes, worktree]);
  agentProblems.push(...hiddenNotes);
  // The files shown as copies, likewise at their real paths.
  const replaced = tools.replaced.flatMap((r) => {
    const at = realPathOrNull(r.path);
    return at ? [{ path: at, with: r.with }] : [];
  });
  const { targets, problems } = targetsFor(req.profileId, req.env, req.options);
  for (const t of tools.allow.map(parseTarget)) if (t && !targets.some((x) => x.host === t.host && x.port === t.port)) targets.push(t);
  problems.push(...tools.problems, ...agentProblems);
  const plan: WallsPlan = { worktree, write, readBack, readOnly, hidden, replaced, network: targets };
  const args = bwrapArgs(plan, kindOf, '/tmp');
  if (req.interactive) {
    // A terminal agent keeps its controlling terminal (a new session would take it away).
    const at = args.indexOf('--new-session');
    if (at >= 0) args.splice(at, 1);
  }
  // Its spec and prompt stay as the engine wrote them. (Not meta.json: the runner writes it again,
  // by a rename, as the agent starts — a bind of the file it replaces races that.)
  const keptFiles: string[] = [];
  for (const name of command ? [] : ['spec.json', 'prompt.md']) {
    const p = path.join(attemptDir, name);
    if (kindOf(p) === 'file') {
      args.splice(args.indexOf('--unshare-pid'), 0, '--ro-bind', p, p);
      keptFiles.push(p);
    }
  }
  // A layered tree (ADR 0032): its files, its base's below its own, mounted first — required: without it nothing runs.
  const layer = layerOf(worktree);
  // The dependency folders laid from the person's checkout (ADR 0026): mounted before bubblewrap,
  // which then gives the agent back the person's ids with no capability left.
  // On macOS (Seatbelt mounts nothing) the same folders are cloned into the tree instead, before the agent starts (APFS clones).
  const depDirs = dirs && { gitDir: real(dirs.gitDir), commonDir: real(dirs.commonDir) };
  const deps = layingMechanism(req.platform ?? process.platform) === 'clone' ? { laid: [], prefix: [], binds: [], notes: dependencyClones(worktree, depDirs, req.clone) } : dependencyOverlays(worktree, depDirs);
  // An `npm ci` that would write the laid node_modules again answers at once: its npm first on the
  // PATH and, for a login shell that resets PATH, in /usr/local/bin (a read-only overlay); shown read-only.
  const npmCi = deps.laid.length ? npmCiShimFor(worktree, deps.laid, attemptDir, req.env.PATH ?? '') : null;
  if (npmCi) args.splice(args.indexOf('--unshare-pid'), 0, '--ro-bind', npmCi.dir, npmCi.dir);
  // The plan as Seatbelt's walls take it (ADR 0033): what bubblewrap binds read-only into the attempt folder, read-only there too.
  const seatbeltPlan: WallsPlan = { ...plan, readOnly: [...readOnly, ...keptFiles, ...(npmCi ? [npmCi.dir] : [])] };
  const laid = [...(layer ? [layerLaid(layer)] : []), ...deps.laid, ...(npmCi?.login ? [npmCi.login] : [])];
  const mounts = laid.length ? (overlayTools() ?? (layer ? layerMountTools() : null)) : null;
  if (layer && !mounts) throw noMountTools(layer);
  const prefix = mounts ? overlayPrefix(mounts, laid) : [];
  if (prefix.length) args.unshift(...bwrapUserArgs(process.getuid?.() ?? 0, process.getgid?.() ?? 0));
  // A virtual environment laid names the checkout's folder in its scripts: there, inside, it is the tree's overlay (never the checkout's own folder).
  if (deps.prefix.length) for (const b of deps.binds) args.splice(args.indexOf('--unshare-pid'), 0, '--bind', b.from, b.to);
  const socket = wallsSocketOf(req.startToken);
  return {
    walls: {
      bwrap: req.bwrap,
      args,
      allow: targets.map((t) => `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`),
      socket,
      log: path.join(attemptDir, 'walls.jsonl'),
      runnerScript: real(req.runnerScript),
      env: { ...tools.env, ...agentEnv, ...(npmCi ? { PATH: [npmCi.bin, req.env.PATH ?? ''].filter(Boolean).join(path.delimiter) } : {}) },
      registries: tools.registries,
      listen: loopbackListeners(targets, tools.registries, req.env),
      prefix,
      plan: seatbeltPlan,
      laid: [...(layer ? [`the worktree: layered over the shared checkout of ${layer.base.slice(0, 12)} (${layer.lower}; copy-on-write: its folder on the disk holds only what is changed in it)`] : []), ...deps.notes, ...(npmCi ? [npmCi.note] : []), ...agentProblems, ...tools.notes],
    },
    problems,
  };
}

/** A file with an execute bit (false when it cannot be read). */
function isProgram(file: string): boolean {
  try {
    return (fs.statSync(file).mode & 0o111) !== 0;
  } catch {
    // not there: not a program
    return false;
  }
}

/** The most entries of one secret folder the walls look at for links out of it (`hiddenAt`). */
export const MAX_SECRET_FOLDER_ENTRIES = 10_000;

/**
 * Where the walls hide the secrets asked (absolute): each at its real path (`realPathOrNull`) —
 * bubblewrap cannot mount over a link whose target is absolute (the agent would not start), and
 * inside the walls every link to a real path leads to what is mounted there; a link to nothing
 * hides nothing. In a secret folder under one of `homes` (`~/.ssh` and the like), each link's
 * target is hidden too (a key kept elsewhere and linked in, as GNU stow or a secrets manager
 * does), but a program (a file with an execute bit: a virtualenv's interpreter) and a folder
 * holding one of `keepShown` (the home folders, the worktree); `MAX_SECRET_FOLDER_ENTRIES` looked
 * at in each, said in `notes` when there were more. Nothing inside a hidden folder is hidden
 * again (bubblewrap cannot make a mount point in the empty read-only folder it shows there).
 */
function hiddenAt(asked: readonly string[], homes: readonly string[], keepShown: readonly string[]): { hidden: string[]; notes: string[] } {
  const found = new Set<string>();
  const notes: string[] = [];
  const holdsShown = (dir: string) => kindOf(dir) === 'dir' && keepShown.some((k) => isWithin(k, dir));
  const walked = new Set<string>();
  for (const p of asked) {
    const at = realPathOrNull(p);
    // A link to a folder holding a home folder or the worktree hides nothing: that would be hiding everything.
    if (!at || (at !== path.resolve(p) && holdsShown(at))) continue;
    found.add(at);
    const under = path.resolve(p);
    if (kindOf(at) !== 'dir' || !homes.some((h) => h !== under && isWithin(under, h)) || walked.has(at)) continue;
    walked.add(at);
    const { links, partial } = linksUnder(at, MAX_SECRET_FOLDER_ENTRIES);
    if (partial) notes.push(`${p} holds more than ${MAX_SECRET_FOLDER_ENTRIES} entries: the links among the others are not followed, and what they lead to is not hidden inside the walls`);
    for (const link of links) {
      const target = realPathOrNull(link);
      const kind = target ? kindOf(target) : null;
      if (target && kind && !(kind === 'dir' && holdsShown(target)) && !(kind === 'file' && isProgram(target))) found.add(target);
    }
  }
  const all = [...found];
  return { hidden: all.filter((p) => !all.some((q) => q !== p && isWithin(p, q) && kindOf(q) === 'dir')), notes };
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
      // no cache there: no packages unpacked
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

/** The most loopback ports of this machine the relay takes to name a refusal there (`loopbackListeners`). */
export const MAX_REFUSED_LOOPBACK_PORTS = 256;

/**
 * The loopback targets the relay listens on: the allowed ones; the known registries on loopback
 * (refused, named, by the proxy); and, only tried (`?`), each other port this machine's loopback
 * serves (`loopbackListening`) on 127.0.0.1 and ::1 — a connection there is the walls' refusal
 * (unconfined it would have reached a server), which the proxy then names instead of the kernel
 * refusing it unnamed. Left to the kernel: ports below 1024 (not the relay's to take), the
 * package's own port range (`WAVES_PORT_RANGE`: its servers' to take), and beyond
 * `MAX_REFUSED_LOOPBACK_PORTS`.
 */
function loopbackListeners(allowed: readonly Target[], registries: readonly string[], env: Readonly<Record<string, string | undefined>>): string[] {
  const out = allowed.filter(isLoopback).map((t) => `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`);
  for (const r of registries) {
    const t = parseTarget(r);
    if (t && isLoopback(t) && !out.some((o) => parseTarget(o)?.port === t.port)) out.push(r);
  }
  const taken = new Set([PROXY_PORT, ...out.map((o) => parseTarget(o)?.port)]);
  const range = /^(\d+)-(\d+)$/.exec(env.WAVES_PORT_RANGE ?? '');
  const own = (p: number) => !!range && p >= Number(range[1]) && p <= Number(range[2]);
  const served = servedLoopbackPorts();
  for (const port of served.filter((p) => p >= 1024 && !taken.has(p) && !own(p)).slice(0, MAX_REFUSED_LOOPBACK_PORTS)) out.push(`?127.0.0.1:${port}`, `?[::1]:${port}`);
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
   * then refuses and names (the kernel would refuse it unnamed); then, written `?host:port` (only
   * tried: a port the relay cannot take is left to the kernel), each other port this machine's
   * loopback serves, refused and named likewise (`loopbackListeners`).
   */
  listen: string[];
  /**
   * What runs before bubblewrap (empty: nothing): the dependency folders laid over the tree as
   * copy-on-write overlays (wallsDeps.ts) are mounted there, in a user namespace of their own.
   */
  prefix: string[];
  /** The walls' plan, for Seatbelt's profile on macOS (core/walls/seatbelt.ts): what bubblewrap binds read-only in the attempt folder among its read-only paths. */
  plan: WallsPlan;
  /** What the attempt's log says first of its walls: the tree's folders laid from the person's checkout (`node_modules`, `.venv`), a CLI's own folder the walls could not give it, a settings file of the person's shown empty or hidden. */
  laid: string[];
}

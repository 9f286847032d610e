/**
 * Running a process inside walls (ADR 0019), for the runner: the argv that puts
 * bubblewrap, then the relay, in front of a program; the environment it gets there; and
 * `runner.js --confine`, which runs one command (a verification step the person approved)
 * inside walls of its own — here and on an SSH host alike. Node built-ins, src/core and
 * src/store only (bundled into dist/runner.js).
 */
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { parseTarget, PROXY_PORT, WALLS_TRIAL_ARGS } from '../../core/walls/walls.js';
import { startProxy, upstreamOf } from './wallsNet.js';
import { wallsFor, type ConfinementOptions, type DrawnWalls, type WallsRequest } from './wallsDraw.js';
import { raiseSeatbelt, wallsBackend } from './wallsSeatbelt.js';

/**
 * bubblewrap, then the relay (the runner's own script), then `argv` — still by argv, never a shell.
 * `quiet`: a command's output is its own (a verification step's, the set-up command's): the relay
 * does not say there which loopback targets it serves, as it does first in an agent's log.
 */
export function walledArgv(w: DrawnWalls, argv: readonly string[], quiet = false): string[] {
  return [
    ...w.prefix,
    w.bwrap,
    ...w.args,
    '--bind',
    w.socket,
    w.socket,
    '--',
    process.execPath,
    w.runnerScript,
    '--relay',
    w.socket,
    w.listen.join(','),
    ...(quiet ? ['--quiet'] : []),
    '--',
    ...argv,
  ];
}

/** A network namespace of its own; the machine's files as they are, a minimal /dev (a bind leaves devices unusable). */
const NET_AHEAD_ARGS = ['--unshare-net', '--bind', '/', '/', '--dev', '/dev', '--die-with-parent'];

/**
 * A network made ahead (ADR 0019): bubblewrap giving a network namespace of its own and nothing
 * else (the machine's files as they are; the agent's own walls come later, inside it), with the
 * relay waiting there for its attempt (`runner.js --relay-ahead`). Started by a pooled runner
 * before its attempt comes, so an agent's start waits for one Node start, not two.
 */
export function netAheadArgv(setpriv: string, bwrap: string, runnerScript: string, socket: string): string[] {
  // bubblewrap's --die-with-parent ends what it runs, not bubblewrap itself: killed with the runner (setpriv, util-linux), it cannot outlive it.
  return [setpriv, '--pdeathsig', 'KILL', bwrap, ...NET_AHEAD_ARGS, '--', process.execPath, runnerScript, '--relay-ahead', socket];
}

export { programOnPath } from '../../store/onPath.js';

/**
 * The agent's walls inside a network made ahead: its bubblewrap with every wall but the network
 * namespace, which is the one the relay made ahead listens in (every other argument of `args` is
 * a flag or an absolute path, so the flag is told apart), then the agent — by argv.
 */
export function walledInsideArgv(w: DrawnWalls, argv: readonly string[]): string[] {
  return [...w.prefix, w.bwrap, ...w.args.filter((a) => a !== '--unshare-net'), '--', ...argv];
}

/**
 * Whether walls can be made inside a network made ahead here (a bubblewrap inside another):
 * false where bubblewrap cannot nest (a setuid bubblewrap, user namespaces refused inside one).
 * Tried once by the runner pool, not by each of its runners.
 */
export function netAheadWorks(bwrap: string): Promise<boolean> {
  // Seatbelt's walls (macOS) have no network namespace to make ahead.
  if (wallsBackend() !== 'bubblewrap') return Promise.resolve(false);
  return new Promise((resolve) => {
    execFile(bwrap, [...NET_AHEAD_ARGS, '--', bwrap, ...WALLS_TRIAL_ARGS.filter((a) => a !== '--unshare-net')], { timeout: 10_000 }, (err) => resolve(!err));
  });
}

/**
 * The environment inside the walls, changed in place: the network through the relay's proxy
 * (loopback straight to its listeners), a private /tmp, none of the person's agents or
 * session bus (their folders are hidden too); the relay runs under this Node (or Electron as Node).
 * Seatbelt's walls (macOS, ADR 0033): the proxy on the attempt's own port, its own TMPDIR.
 */
export function enterWalls(env: NodeJS.ProcessEnv, w?: DrawnWalls, seatbelt?: { port: number; tmp: string }): void {
  // The toolchains' caches and settings (wallsToolchains.ts): the walls' values win, the person's own places being read-only inside.
  if (w) Object.assign(env, w.env);
  const proxyUrl = `http://127.0.0.1:${seatbelt?.port ?? PROXY_PORT}`;
  delete env.SSH_AUTH_SOCK;
  delete env.DBUS_SESSION_BUS_ADDRESS;
  Object.assign(env, { TMPDIR: seatbelt?.tmp ?? '/tmp', HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl, http_proxy: proxyUrl, https_proxy: proxyUrl, NO_PROXY: 'localhost,127.0.0.1,::1', no_proxy: 'localhost,127.0.0.1,::1', NODE_USE_ENV_PROXY: '1' });
  // Claude Code's own word for "inside bubblewrap": its most autonomous mode is then allowed even as root.
  if (!seatbelt) env.CLAUDE_CODE_BUBBLEWRAP = '1';
  if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
}

/** What `runner.js --confine` is given (one argument, base64url JSON): a command's walls. */
export interface ConfineRequest {
  bwrap: string;
  /** The tree the command runs in (writable; its working folder). */
  cwd: string;
  /** The attempt folder (read-only to the command). */
  attemptDir: string;
  /** Where the proxy writes what it refused (`walls.jsonl` lines). */
  log: string;
  options?: ConfinementOptions;
}

export function encodeConfine(request: ConfineRequest): string {
  return Buffer.from(JSON.stringify(request), 'utf8').toString('base64url');
}

function decodeConfine(text: string | undefined): ConfineRequest | null {
  if (!text) return null;
  try {
    const r = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<ConfineRequest>;
    const str = (v: unknown) => typeof v === 'string' && v !== '';
    return str(r.bwrap) && str(r.cwd) && str(r.attemptDir) && str(r.log) ? (r as ConfineRequest) : null;
  } catch {
    // not base64url JSON: the caller prints the usage
    return null;
  }
}

/**
 * `runner.js --confine <request> -- <argv…>`: `argv` inside walls drawn for a command — its
 * tree writable (and what git needs there), the attempt folder read-only, no CLI state, the
 * network only to what the person allowed, through this process's proxy. Its stdio is this
 * process's; signals are passed on; the exit code is the command's.
 */
export async function confineCommand(args: string[]): Promise<number> {
  const sep = args.indexOf('--');
  const request = decodeConfine(args[0]);
  const argv = args.slice(sep + 1);
  if (sep !== 1 || !request || argv.length === 0) {
    process.stderr.write('waves runner: usage: runner.js --confine <request> -- <argv…>\n');
    return 2;
  }
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const drawn: WallsRequest = {
    bwrap: request.bwrap,
    worktree: request.cwd,
    attemptDir: request.attemptDir,
    role: 'command',
    profileId: 'custom',
    env,
    interactive: false,
    argv,
    runnerScript: process.argv[1] ?? '',
    startToken: crypto.randomBytes(16).toString('hex'),
    ...(request.options ? { options: request.options } : {}),
  };
  if (wallsBackend() === 'seatbelt') return confineInSeatbelt(drawn, request.log, env, argv);
  const { walls: w } = wallsFor(drawn);
  let proxy;
  try {
    proxy = await startProxy(w.socket, w.allow.map((a) => parseTarget(a)!), request.log, upstreamOf(env));
  } catch (err) {
    process.stderr.write(`waves runner: the walls' proxy could not listen on ${w.socket}: ${(err as Error).message}\n`);
    return 1;
  }
  enterWalls(env, w);
  const full = walledArgv(w, argv, true);
  const code = await runWalled(full, request.cwd, env, w.bwrap);
  proxy.close();
  fs.rmSync(w.socket, { force: true });
  return code;
}

/** `runner.js --confine` on macOS (ADR 0033): the command inside Seatbelt's walls, their proxy on a loopback port of their own. */
async function confineInSeatbelt(drawn: WallsRequest, log: string, env: NodeJS.ProcessEnv, argv: readonly string[]): Promise<number> {
  let up;
  try {
    up = await raiseSeatbelt(drawn, env, log);
  } catch (err) {
    process.stderr.write(`waves runner: the walls could not be made: ${(err as Error).message}\n`);
    return 1;
  }
  enterWalls(env, up.walls, up);
  const code = await runWalled(up.argv(argv), drawn.worktree, env, up.walls.bwrap);
  up.close();
  return code;
}

/** `full` (the walls, then the command) run with this process's stdio, signals passed on: its exit code (127: the walls' `program` could not start). */
function runWalled(full: readonly string[], cwd: string, env: NodeJS.ProcessEnv, program: string): Promise<number> {
  return new Promise<number>((resolve) => {
    const child = spawn(full[0]!, full.slice(1), { cwd, env, stdio: 'inherit', shell: false });
    const pass = (sig: NodeJS.Signals) => child.kill(sig);
    const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
    for (const s of signals) process.on(s, pass);
    child.once('error', (err) => {
      process.stderr.write(`waves runner: the walls could not be made (${program}): ${err.message}\n`);
      resolve(127);
    });
    child.once('exit', (c, sig) => {
      for (const s of signals) process.off(s, pass);
      resolve(c ?? 128 + (sig === 'SIGKILL' ? 9 : sig === 'SIGTERM' ? 15 : sig === 'SIGINT' ? 2 : 1));
    });
  });
}

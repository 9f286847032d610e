/**
 * Running a process inside walls (ADR 0019), for the runner: the argv that puts
 * bubblewrap, then the relay, in front of a program; the environment it gets there; and
 * `runner.js --confine`, which runs one command (a verification step the person approved)
 * inside walls of its own — here and on an SSH host alike. Node built-ins, src/core and
 * src/store only (bundled into dist/runner.js).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseTarget, PROXY_PORT, WALLS_AHEAD_ENV, WALLS_TRIAL_ARGS } from '../../core/walls/walls.js';
import { programOnPath } from '../../store/onPath.js';
import { killRunning } from './processTree.js';
import { startProxy, upstreamOf, type RelayGo } from './wallsNet.js';
import { forgetServedPorts } from './servedPorts.js';
import { wallsFor, type ConfinementOptions, type DrawnWalls, type WallsRequest } from './wallsDraw.js';
import { raiseSeatbelt, wallsBackend } from './wallsSeatbelt.js';

/**
 * bubblewrap, then the relay (the runner's own script), then `argv` — still by argv, never a shell.
 * `quiet`: a command's output is its own (a verification step's, the set-up command's): the relay
 * does not say there which loopback targets it serves, as it does first in an agent's log.
 */
export function walledArgv(w: DrawnWalls, argv: readonly string[], quiet = false, mark?: string): string[] {
  return [
    ...w.prefix,
    w.bwrap,
    ...w.args,
    '--bind',
    w.socket,
    w.socket,
    ...(mark ? ['--setenv', WALLS_MARK_ENV, mark] : []),
    '--',
    process.execPath,
    relayScriptOf(w.runnerScript),
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
  return [setpriv, '--pdeathsig', 'KILL', bwrap, ...NET_AHEAD_ARGS, '--', ...relayAheadArgvOf(runnerScript), '--relay-ahead', socket];
}

/** `WAVES_RELAY=node`: the relays made ahead run in Node even where the system's Python could run them (the bench's before/after, the Node relay's tests). */
export const RELAY_ENV = 'WAVES_RELAY';

/**
 * What runs a network's relay made ahead (ADR 0040): the system's Python with `relay.py`, where
 * that file lies beside the runner and `/usr/bin/python3` is a Python 3.6 or later that only root
 * may change (a third of a Node start's CPU, for every agent and step of a run), isolated from the
 * environment's Python settings (`-I -S`); else Node with `relay.js` (`relayScriptOf`). The same
 * relay either way.
 */
export function relayAheadArgvOf(runnerScript: string): string[] {
  let script = pythonRelays.get(runnerScript);
  if (script === undefined) {
    const beside = path.join(path.dirname(runnerScript), 'relay.py');
    script = runnerScript !== '' && fs.existsSync(beside) ? beside : null;
    pythonRelays.set(runnerScript, script);
  }
  const python = script === null || process.env[RELAY_ENV] === 'node' ? null : systemPython();
  return python && script ? [python, '-I', '-S', script] : [process.execPath, relayScriptOf(runnerScript)];
}

/** `relay.py` beside each runner script, or null: looked at once, as `relayScriptOf` looks for `relay.js`. */
const pythonRelays = new Map<string, string | null>();

let pythonFound: string | null | undefined;

/** `/usr/bin/python3` when it is a Python 3.6 or later (its file's name says so) that only root may change; else null. Looked at once. */
export function systemPython(): string | null {
  if (pythonFound !== undefined) return pythonFound;
  pythonFound = null;
  if (process.platform !== 'linux') return null;
  try {
    const real = fs.realpathSync('/usr/bin/python3');
    const minor = /^python3\.(\d+)$/.exec(path.basename(real));
    const st = fs.statSync(real);
    const safe = (p: string) => {
      const s = fs.statSync(p);
      return s.uid === 0 && (s.mode & 0o022) === 0;
    };
    if (minor && Number(minor[1]) >= 6 && st.isFile() && (st.mode & 0o111) !== 0 && safe(real) && safe(path.dirname(real))) pythonFound = '/usr/bin/python3';
  } catch {
    // no system Python here: the relays run in Node
  }
  return pythonFound;
}

const relayScripts = new Map<string, string>();

/**
 * The script a relay runs: `relay.js` beside the runner (relayMain.ts: the relay's code alone, a
 * quicker start), else the runner itself (an SSH host has the runner alone). Both take `--relay`
 * and `--relay-ahead`; the walls make the runner's folder readable.
 */
export function relayScriptOf(runnerScript: string): string {
  let script = relayScripts.get(runnerScript);
  if (script === undefined) {
    const beside = path.join(path.dirname(runnerScript), 'relay.js');
    script = runnerScript !== '' && fs.existsSync(beside) ? beside : runnerScript;
    relayScripts.set(runnerScript, script);
  }
  return script;
}

export { programOnPath } from '../../store/onPath.js';

/**
 * Starts a network made ahead (`netAheadArgv`) for the walls whose proxy will listen on `socket`:
 * its bubblewrap and relay, waiting, detached (a process group of its own, which `endAhead` ends
 * whole). It ends with the process that started it, however that ends (its bubblewrap through
 * `setpriv --pdeathsig`, its relay when its stdin closes). Null where setpriv is missing or it
 * could not start.
 */
export function startNetAhead(bwrap: string, socket: string): ChildProcess | null {
  const setpriv = programOnPath('setpriv');
  if (!setpriv) return null;
  const argv = netAheadArgv(setpriv, bwrap, process.argv[1] ?? '', socket);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env[WALLS_AHEAD_ENV];
  delete env.NODE_CHANNEL_FD;
  delete env.NODE_CHANNEL_SERIALIZATION_MODE;
  if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
  try {
    const child = spawn(argv[0]!, argv.slice(1), { env, shell: false, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    child.once('error', () => undefined); // could not start (no pid): not used
    return child.pid === undefined ? null : child;
  } catch {
    // could not start: the walls are made without it
    return null;
  }
}

/**
 * The agent's walls inside a network made ahead: its bubblewrap with every wall but the network
 * namespace, which is the one the relay made ahead listens in (every other argument of `args` is
 * a flag or an absolute path, so the flag is told apart), then the agent — by argv.
 */
export function walledInsideArgv(w: DrawnWalls, argv: readonly string[], mark: string): string[] {
  return [...w.prefix, w.bwrap, ...w.args.filter((a) => a !== '--unshare-net'), '--setenv', WALLS_MARK_ENV, mark, '--', ...argv];
}

/** A variable walls are given (`wallsMark()`: a step's, an agent's in a network made ahead): it names them among this machine's processes. */
export const WALLS_MARK_ENV = 'WAVES_WALLS_MARK';

/** A mark of their own for walls (`WALLS_MARK_ENV`). */
export function wallsMark(): string {
  return crypto.randomBytes(12).toString('hex');
}

/** What `wallsMark()` gives. */
const WALLS_MARK = /^[0-9a-f]{24}$/;

/**
 * How long after the first process of walls ended their output may stay open, ms: then what is
 * left of them is ended. A normal end closes it within a few.
 */
const LEFT_OVER_MS = 250;

/**
 * Walls are a session of their own (bubblewrap's --new-session), out of the process group a stop
 * signals; they end by their death signals, which were seen to miss now and then: a command still
 * running, the process that started it gone, its output held open (a step that never ended). So once
 * `first` (what started them: a network made ahead, or their own bubblewrap) ended with its output
 * still open `LEFT_OVER_MS` later, the bubblewraps with `key` among their arguments (the walls'
 * mark, or their socket) are ended, and what runs inside them with them.
 */
export function endLeftOverWalls(first: ChildProcess, bwrap: string, key: string): void {
  let leftOver: NodeJS.Timeout | null = null;
  first.once('exit', () => {
    leftOver = setTimeout(() => killRunning(bwrap, key), LEFT_OVER_MS);
  });
  first.once('close', () => {
    if (leftOver) clearTimeout(leftOver);
  });
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

/**
 * A command handed to a pooled runner (runnerPool.ts `command`) instead of a `runner.js --confine`
 * started for it: the same request, its argv, and the file its output goes to (appended).
 */
export interface PooledCommand {
  /** `encodeConfine`'s text. */
  confine: string;
  argv: string[];
  /** Where its stdout and stderr go (appended; the engine wrote its header). */
  output: string;
  /** The mark its walls carry (`wallsMark()`), chosen by the engine so it can find them; else one of their own. */
  mark?: string;
}

/** A pooled runner's message as a command, or null (not one). */
export function pooledCommandOf(message: unknown): PooledCommand | null {
  const m = (message as { command?: Partial<PooledCommand> } | null)?.command;
  if (!m || typeof m !== 'object') return null;
  const ok = typeof m.confine === 'string' && typeof m.output === 'string' && m.output !== '' && Array.isArray(m.argv) && m.argv.length > 0 && m.argv.every((a) => typeof a === 'string') && (m.mark === undefined || (typeof m.mark === 'string' && WALLS_MARK.test(m.mark)));
  return ok ? (m as PooledCommand) : null;
}

export function encodeConfine(request: ConfineRequest): string {
  return Buffer.from(JSON.stringify(request), 'utf8').toString('base64url');
}

export function decodeConfine(text: string | undefined): ConfineRequest | null {
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
  return confineWith(request, argv, 'inherit');
}

/**
 * A command's environment: this runner's, as the engine gave it — without Electron's switch and a
 * pooled runner's own variables, and with the certificates a pooled runner was started with moved
 * aside (launcher.ts `runnerEnv`) put back.
 */
function commandEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  // A pooled runner's own: its IPC channel with the engine, and the pool's word to make a network ahead.
  delete env.NODE_CHANNEL_FD;
  delete env.NODE_CHANNEL_SERIALIZATION_MODE;
  delete env[WALLS_AHEAD_ENV];
  delete env.WAVES_COORDINATOR; // the shared coordinator's URL (and its password): the engine's, never a command's
  if (env.WAVES_NODE_EXTRA_CA_CERTS !== undefined) {
    env.NODE_EXTRA_CA_CERTS = env.WAVES_NODE_EXTRA_CA_CERTS;
    delete env.WAVES_NODE_EXTRA_CA_CERTS;
  }
  return env;
}

/** The walls a command is drawn (`--confine`, a pooled runner's command): its tree writable, the attempt folder read-only; `env` the command's. */
function commandWalls(request: ConfineRequest, argv: readonly string[], env: NodeJS.ProcessEnv): WallsRequest {
  return {
    bwrap: request.bwrap,
    worktree: request.cwd,
    attemptDir: request.attemptDir,
    role: 'command',
    profileId: 'custom',
    env,
    interactive: false,
    argv: [...argv],
    runnerScript: process.argv[1] ?? '',
    startToken: crypto.randomBytes(16).toString('hex'),
    ...(request.options ? { options: request.options } : {}),
  };
}

/** `argv` inside walls of its own (the proxy, bubblewrap, the relay), its output to `output` (this process's, or a file's descriptor). */
async function confineWith(request: ConfineRequest, argv: readonly string[], output: 'inherit' | number, mark?: string): Promise<number> {
  const env = commandEnv();
  const drawn = commandWalls(request, argv, env);
  if (wallsBackend() === 'seatbelt') return confineInSeatbelt(drawn, request.log, env, argv, output);
  const { walls: w } = wallsFor(drawn);
  let proxy;
  try {
    proxy = await startProxy(w.socket, w.allow.map((a) => parseTarget(a)!), request.log, upstreamOf(env));
  } catch (err) {
    say(output, `waves runner: the walls' proxy could not listen on ${w.socket}: ${(err as Error).message}\n`);
    return 1;
  }
  enterWalls(env, w);
  const full = walledArgv(w, argv, true, mark);
  const code = await runWalled(full, request.cwd, env, w.bwrap, output);
  proxy.close();
  fs.rmSync(w.socket, { force: true });
  return code;
}

/**
 * A command in a pooled runner (`token`: its start token, whose socket its network made ahead
 * listens for): the walls `--confine` draws, inside the network made ahead (`ahead`: its relay
 * told the walls and the command, so no second Node starts), its output appended to
 * `command.output`. Without a network made ahead (none here, or it ended) the command's walls are
 * made as `--confine` makes them. Signals are passed on; the exit code is the command's (2: a
 * request that cannot be read, nothing started).
 */
export async function confinePooled(token: string, command: PooledCommand, ahead: ChildProcess | null): Promise<number> {
  try {
    return await commandInPool(token, command, ahead);
  } catch (err) {
    // A pooled runner has no stderr the engine reads: what stopped the step goes to its log.
    endAhead(ahead);
    try {
      fs.appendFileSync(command.output, `waves runner: the step could not run in its walls: ${(err as Error).message}\n`);
    } catch {
      // its log cannot be written either: the exit code says it failed
    }
    return 1;
  }
}

async function commandInPool(token: string, command: PooledCommand, ahead: ChildProcess | null): Promise<number> {
  const request = decodeConfine(command.confine);
  const usable = ahead && ahead.exitCode === null && ahead.signalCode === null && ahead.stdin ? ahead : null;
  const mark = command.mark ?? wallsMark();
  if (!request || wallsBackend() !== 'bubblewrap' || !usable) {
    endAhead(ahead);
    if (!request) return 2;
    return withOutput(command.output, (fd) => confineWith(request, command.argv, fd, mark));
  }
  const env = commandEnv();
  const { walls: w } = wallsFor({ ...commandWalls(request, command.argv, env), startToken: token });
  let proxy;
  try {
    proxy = await startProxy(w.socket, w.allow.map((a) => parseTarget(a)!), request.log, upstreamOf(env));
  } catch (err) {
    endAhead(usable);
    fs.appendFileSync(command.output, `waves runner: the walls' proxy could not listen on ${w.socket}: ${(err as Error).message}\n`);
    return 1;
  }
  enterWalls(env, w);
  const out = fs.openSync(command.output, 'a');
  endLeftOverWalls(usable, w.bwrap, mark);
  const code = await new Promise<number>((resolve) => {
    usable.stdout?.on('data', (chunk: Buffer) => fs.writeSync(out, chunk));
    usable.stderr?.on('data', (chunk: Buffer) => fs.writeSync(out, chunk));
    const pass = (sig: NodeJS.Signals) => signalAhead(usable, sig);
    const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
    for (const s of signals) process.on(s, pass);
    usable.once('close', (c, sig) => {
      for (const s of signals) process.off(s, pass);
      resolve(c ?? 128 + (sig === 'SIGKILL' ? 9 : sig === 'SIGTERM' ? 15 : sig === 'SIGINT' ? 2 : 1));
    });
    // The step's bubblewrap dies with the relay that starts it: the network made ahead, signalled as
    // a group, may end the relay (--die-with-parent) before the relay passes the signal on, which
    // would leave the step's walls nobody's child, running.
    const setpriv = programOnPath('setpriv');
    const go: RelayGo = {
      loops: w.listen.join(','),
      argv: [...(setpriv ? [setpriv, '--pdeathsig', 'KILL'] : []), ...walledInsideArgv(w, command.argv, mark)],
      env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
      cwd: request.cwd,
      stdinFile: null,
      nice: os.getPriority(),
      quiet: true,
    };
    usable.stdin!.on('error', () => undefined); // gone: its exit says so
    usable.stdin!.end(JSON.stringify(go) + '\n');
  });
  fs.closeSync(out);
  proxy.close();
  fs.rmSync(w.socket, { force: true });
  return code;
}

/**
 * Draws throwaway walls once — a command's, over a scratch folder removed after — so that the
 * pooled runner's first real drawing finds its code compiled (a runner's first `wallsFor` is about
 * twice its next). Run by a pooled runner with a network made ahead before it says it is ready:
 * on nobody's path then, 20–40 ms less on its attempt's or its step's. Nothing of it is kept, and
 * nothing is made outside its scratch folder (the shared cache's folder included); a failure is only
 * a colder start.
 */
export function warmWalls(bwrap: string): void {
  let dir: string | null = null;
  try {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-warm-'));
    // Its shared cache in the scratch folder too: a warm-up makes nothing in the person's home (the caches are made by a real attempt's walls, where the person put them).
    const request: ConfineRequest = { bwrap, cwd: path.join(dir, 'tree'), attemptDir: path.join(dir, 'attempt'), log: path.join(dir, 'walls.jsonl'), options: { cacheDir: path.join(dir, 'cache') } };
    fs.mkdirSync(request.cwd);
    fs.mkdirSync(request.attemptDir);
    wallsFor(commandWalls(request, ['/bin/sh', '-c', 'true'], commandEnv()));
    forgetServedPorts();
  } catch {
    // only a colder start for the runner's first walls
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Passes a signal to the network made ahead: its whole group (it was started detached: bubblewrap, the relay, the command). False: no such group. */
function signalAhead(ahead: ChildProcess, sig: NodeJS.Signals): boolean {
  try {
    if (!ahead.pid) return false;
    process.kill(-ahead.pid, sig);
    return true;
  } catch {
    return false; // its group is gone already: nothing to pass the signal to
  }
}

/**
 * Ends a network made ahead that is not used: its whole process group (it was started detached).
 * Killing its first process alone could leave bubblewrap's own child, cloned into the new
 * namespaces but not yet told to die with its parent, waiting for good.
 */
export function endAhead(ahead: ChildProcess | null | undefined): void {
  if (!ahead?.pid) return;
  // While its leader is not reaped, the group's id is ours alone (never reused); without the group, its first process alone.
  if (ahead.exitCode === null && ahead.signalCode === null && signalAhead(ahead, 'SIGKILL')) return;
  ahead.kill('SIGKILL');
}

/** Runs `run` with `file` opened for appending; closed after. */
async function withOutput(file: string, run: (fd: number) => Promise<number>): Promise<number> {
  const fd = fs.openSync(file, 'a');
  try {
    return await run(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Says `text` where a command's output goes: this process's stderr, or the file of `output`. */
function say(output: 'inherit' | number, text: string): void {
  if (output === 'inherit') process.stderr.write(text);
  else fs.writeSync(output, text);
}

/** `runner.js --confine` on macOS (ADR 0033): the command inside Seatbelt's walls, their proxy on a loopback port of their own. */
async function confineInSeatbelt(drawn: WallsRequest, log: string, env: NodeJS.ProcessEnv, argv: readonly string[], output: 'inherit' | number): Promise<number> {
  let up;
  try {
    up = await raiseSeatbelt(drawn, env, log);
  } catch (err) {
    say(output, `waves runner: the walls could not be made: ${(err as Error).message}\n`);
    return 1;
  }
  enterWalls(env, up.walls, up);
  const code = await runWalled(up.argv(argv), drawn.worktree, env, up.walls.bwrap, output);
  up.close();
  return code;
}

/** `full` (the walls, then the command) run with this process's stdio (or `output`'s descriptor), signals passed on: its exit code (127: the walls' `program` could not start). */
function runWalled(full: readonly string[], cwd: string, env: NodeJS.ProcessEnv, program: string, output: 'inherit' | number): Promise<number> {
  return new Promise<number>((resolve) => {
    const child = spawn(full[0]!, full.slice(1), { cwd, env, stdio: output === 'inherit' ? 'inherit' : ['ignore', output, output], shell: false });
    const pass = (sig: NodeJS.Signals) => child.kill(sig);
    const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
    for (const s of signals) process.on(s, pass);
    child.once('error', (err) => {
      say(output, `waves runner: the walls could not be made (${program}): ${err.message}\n`);
      resolve(127);
    });
    child.once('exit', (c, sig) => {
      for (const s of signals) process.off(s, pass);
      resolve(c ?? 128 + (sig === 'SIGKILL' ? 9 : sig === 'SIGTERM' ? 15 : sig === 'SIGINT' ? 2 : 1));
    });
  });
}

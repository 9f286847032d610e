/**
 * One attempt of one package's agent, supervised by the runner (runner.ts): spec.json read,
 * meta.json created (an attempt never runs twice), the agent spawned (inside its walls),
 * its output logged and watched (needs input, its model not reached), its memory and timeout
 * kept, a cancel honoured by SIGTERM then SIGKILL to its whole process tree, and exit.json
 * written with its verdict. Bundled in dist/runner.js (Node built-ins, src/core and src/store only).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { needsInputReason, parseVerdict, type AgentVerdict } from '../../core/agents/agentLogs.js';
import { AGENT_NICENESS, parseTarget, WALLS_AHEAD_ENV } from '../../core/walls/walls.js';
import { startProxy, upstreamOf, wallsLogIn, type ReachNote, type RelayGo } from './wallsNet.js';
import { endAhead, endLeftOverWalls, enterWalls, walledArgv, walledInsideArgv, wallsMark } from './wallsRun.js';
import { raiseSeatbelt, wallsBackend, type SeatbeltWalls } from './wallsSeatbelt.js';
import { isRegistry } from '../../core/walls/toolchains.js';
import { DEFAULT_MEMORY_MB, targetsFor, wallsFor, type DrawnWalls, type WallsRequest } from './wallsDraw.js';
import { resolveProgram } from './programs.js';
import { DEFAULT_MODEL_WAIT_MS, modelTargets, ModelReachWatch, unreachedText } from '../../core/agents/agentEndpoints.js';
import { processesRunning, processTree, stillRunning, treeRss, type SeenProcess } from './processTree.js';
import type { Server } from 'node:net';
import { attemptFiles, type AttemptFiles } from '../../core/run/runPaths.js';
import { writeAtomicSync } from '../../store/atomicWrite.js';
import { clearNeedsInput, DEFAULT_GRACE_MS, EXIT_ALREADY_RAN, EXIT_BAD_ARGS, fail, markNeedsInput, specProblem, type RunnerExit, type RunnerMeta, type RunnerSpec } from './runnerFiles.js';

export const CANCEL_POLL_MS = 250;
/** How often an agent's memory is read (its limit). */
export const MEMORY_POLL_MS = 2000;
/**
 * The environment variable that sets how long (ms) an agent inside walls may go on failing to
 * reach its model, reaching nothing else, before the runner stops it (default
 * `DEFAULT_MODEL_WAIT_MS`, 0: never). Read by the runner, not passed to the agent.
 */
export const MODEL_WAIT_ENV = 'WAVES_MODEL_WAIT_MS';

// ---------------------------------------------------------------------------------------
// The attempt

/** The runner's own priority when it started: a runner of several attempts never lowers its own (ADR 0041). */
const STARTING_PRIORITY = safePriority();

/** Runs one attempt (`shared`: beside others in this runner); resolves with its exit code. */
export async function runAttempt(dir: string, token: string, startedAhead?: Date, netAhead?: ChildProcess | null, shared = false): Promise<number> {
  const files = attemptFiles(dir);
  let spec: RunnerSpec;
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(files.spec, 'utf8'));
    const problem = specProblem(parsed);
    if (problem) return fail(problem, EXIT_BAD_ARGS);
    spec = parsed as RunnerSpec;
  } catch (err) {
    return fail(`cannot read ${files.spec}: ${(err as Error).message}`, EXIT_BAD_ARGS);
  }
  if (spec.startToken !== token) return fail('the start token does not match spec.json: not starting', EXIT_BAD_ARGS);

  const startedAt = new Date();
  const meta: RunnerMeta = {
    version: 1,
    runnerPid: process.pid,
    agentPid: null,
    startToken: token,
    argv: spec.argv,
    cwd: spec.cwd,
    startedAt: startedAt.toISOString(),
    interactive: spec.interactive,
    ...(startedAhead ? { startedAhead: startedAhead.toISOString() } : {}),
  };
  try {
    fs.writeFileSync(files.meta, JSON.stringify(meta, null, 2) + '\n', { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      process.stderr.write(`waves runner: this attempt already ran (${files.meta} exists); not starting the agent again\n`);
      return EXIT_ALREADY_RAN;
    }
    return fail(`cannot create ${files.meta}: ${(err as Error).message}`, EXIT_BAD_ARGS);
  }
  return new Attempt(spec, files, meta, startedAt.getTime(), netAhead ?? null, shared).run();
}

function safePriority(): number {
  try {
    return os.getPriority();
  } catch {
    return 0; // not readable here: the default
  }
}

class Attempt {
  private child: ChildProcess | null = null;
  private logFd: number | null = null;
  /** Why the agent is being stopped: a cancel, its timeout, or its memory limit (`overLimit`: a failure, neither). */
  private stopping: { reason: string; timedOut: boolean; overLimit?: boolean } | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  private killSent = false;
  /** Every process of the agent's tree seen since its stop began (by pid and start time): each signal reaches them all. */
  private readonly seen = new Map<number, SeenProcess>();
  /** Inside walls: their bubblewrap and the attempt folder it binds (`look` finds one that is nobody's child by them). */
  private walledBy: { bwrap: string; attemptDir: string } | null = null;
  private timers: NodeJS.Timeout[] = [];
  private pending = '';
  private needsInputFromOutput = false;
  private readonly pattern: string | null;
  /** The argv spawned: inside walls its program resolved to the path found before they were drawn. */
  private argv: string[];
  /** Inside walls, for a headless agent: whether its model cannot be reached (the proxy tells it each connection). */
  private watch: ModelReachWatch | null = null;
  /** On macOS (ADR 0033): Seatbelt's walls, raised for the agent. */
  private seatbelt: SeatbeltWalls | null = null;

  constructor(
    private readonly spec: RunnerSpec,
    private readonly files: AttemptFiles,
    private readonly meta: RunnerMeta,
    private readonly startMs: number,
    /** The network made ahead by a pooled runner (`runner.js --relay-ahead` in its bubblewrap), waiting for this attempt; null once used or let go. */
    private ahead: ChildProcess | null = null,
    /** The runner holds other attempts too (ADR 0041): it keeps its own priority and sets the agent's through its relay. */
    private readonly shared = false,
  ) {
    this.pattern = spec.needsInputPattern ?? null;
    this.argv = spec.argv;
    // It serves a walled agent without a terminal only.
    if (!spec.walls || spec.interactive) this.letGoAhead();
  }

  private aheadAlive(): boolean {
    return this.ahead !== null && this.ahead.exitCode === null && this.ahead.signalCode === null;
  }

  private letGoAhead(): void {
    endAhead(this.ahead);
    this.ahead = null;
  }

  async run(): Promise<number> {
    const { spec } = this;
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.ELECTRON_RUN_AS_NODE; // the host's, not the agent's
    delete env.NODE_CHANNEL_FD; // a pooled runner's channel to the engine (Node removes it at start; never the agent's)
    delete env.NODE_CHANNEL_SERIALIZATION_MODE;
    delete env[WALLS_AHEAD_ENV]; // the pool's word to this runner, not the agent's
    delete env.WAVES_COORDINATOR; // the shared coordinator's URL (and its password): the engine's, never an agent's
    // The launcher held NODE_EXTRA_CA_CERTS back from this process (launcher.ts, runnerEnv): the agent gets it.
    if (env.WAVES_NODE_EXTRA_CA_CERTS !== undefined) {
      env.NODE_EXTRA_CA_CERTS = env.WAVES_NODE_EXTRA_CA_CERTS;
      delete env.WAVES_NODE_EXTRA_CA_CERTS;
    }
    Object.assign(env, spec.env);
    const modelWaitMs = modelWaitOf(env[MODEL_WAIT_ENV]);
    delete env[MODEL_WAIT_ENV];

    let stdinFd: number | null = null;
    let startError: string | null = null;
    if (!spec.interactive) {
      try {
        this.logFd = fs.openSync(this.files.log, 'a');
        if (spec.stdinFile) stdinFd = fs.openSync(spec.stdinFile, 'r');
      } catch (err) {
        startError = `the agent could not start: ${(err as Error).message}`;
      }
    }

    const onSignal = (sig: NodeJS.Signals) => this.stop(`cancelled (the runner got ${sig})`, false);
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, onSignal);

    // The walls, drawn from the disk now that the tree exists; their proxy: the agent's only way out of its network namespace.
    let proxy: Server | null = null;
    let w: DrawnWalls | null = null;
    if (startError === null && spec.walls) {
      // The program as found on the agent's PATH now, before the private /tmp hides what lies there:
      // run by that path inside (its folders shown there), or refused here, named.
      const program = resolveProgram(spec.argv[0]!, env, spec.cwd);
      if (program.ok) this.argv = [program.path, ...spec.argv.slice(1)];
      else startError = `the agent could not start: the agent program ${program.why}`;
    }
    if (startError === null && spec.walls) {
      const drawn: WallsRequest = {
        bwrap: spec.walls.bwrap,
        worktree: spec.cwd,
        attemptDir: path.dirname(this.files.spec),
        profileId: spec.agentId ?? 'custom',
        env,
        interactive: spec.interactive,
        argv: this.argv,
        runnerScript: process.argv[1] ?? '',
        startToken: spec.startToken,
        ...(spec.walls.options ? { options: spec.walls.options } : {}),
      };
      if (!spec.interactive && modelWaitMs > 0) {
        // Its model servers, and what the worktree's own files name (refused: a connection there is named with its file).
        const profileId = spec.agentId ?? 'custom';
        const { endpoints } = targetsFor(profileId, env, spec.walls.options, spec.cwd);
        const elsewhere = new Map(endpoints.filter((e) => !e.person).map((e) => [e.hostPort, e.source]));
        this.watch = new ModelReachWatch(modelTargets(profileId, endpoints), modelWaitMs, elsewhere);
      }
      const watch = this.watch;
      const onReach = watch ? (note: ReachNote) => watch.seen({ ...note, at: Date.now() }) : undefined;
      if (wallsBackend() === 'seatbelt') {
        // macOS (ADR 0033): Seatbelt's walls, their proxy on a loopback port of the attempt's own.
        try {
          this.seatbelt = await raiseSeatbelt(drawn, env, undefined, onReach);
          w = this.seatbelt.walls;
          proxy = this.seatbelt.proxy;
          enterWalls(env, w, this.seatbelt);
        } catch (err) {
          startError = `the agent could not start: its walls could not be made: ${(err as Error).message}`;
        }
      } else {
        w = wallsFor(drawn).walls;
        try {
          this.walledBy = { bwrap: w.bwrap, attemptDir: fs.realpathSync(path.dirname(this.files.spec)) };
        } catch {
          // the folder is there (its spec was read): the tree alone then
        }
        try {
          // The person's own proxy (this environment's, before the agent's is pointed at the walls) carries what is allowed.
          proxy = await startProxy(w.socket, w.allow.map((a) => parseTarget(a)!), w.log, upstreamOf(env), onReach);
        } catch (err) {
          startError = `the agent could not start: its walls' proxy could not listen on ${w.socket}: ${(err as Error).message}`;
        }
        enterWalls(env, w);
      }
      // What the tree's dependency folders are (laid from the person's checkout, or why not), first in the agent's log.
      if (this.logFd !== null && w) for (const note of w.laid) fs.writeSync(this.logFd, `waves: ${note}\n`);
      // Below the person's editor on the CPU: this runner, so the agent and all it starts. Not
      // before: the walls drawn for it here are on the run's path (a pooled runner's too, ADR 0015).
      // A runner of several attempts keeps its own (its next attempt's walls are on a path too):
      // the relay of the network made ahead sets the agent's; without that network, as one alone.
      if (!this.shared || !this.aheadAlive()) {
        try {
          os.setPriority(Math.min(19, os.getPriority() + AGENT_NICENESS));
        } catch {
          // not allowed here: the same priority as the engine
        }
      }
    }

    let code: number | null = null;
    let signal: NodeJS.Signals | null = null;
    if (startError === null) {
      const outcome = await this.spawnAndWait(env, stdinFd, w);
      code = outcome.code;
      signal = outcome.signal;
      startError = outcome.error;
    }
    if (this.stopping) await this.groupGone();
    this.letGoAhead(); // not used (the agent could not start)
    if (this.seatbelt) this.seatbelt.close();
    else if (proxy) {
      proxy.close();
      fs.rmSync(w!.socket, { force: true });
    }
    if (stdinFd !== null) fs.closeSync(stdinFd);
    for (const s of signals) process.off(s, onSignal);
    for (const t of this.timers) clearInterval(t);
    if (this.killTimer) clearTimeout(this.killTimer);
    this.flushPending();
    if (this.logFd !== null) fs.closeSync(this.logFd);
    clearNeedsInput(path.dirname(this.files.exit)); // nobody waits once the agent ended

    const verdict = this.verdict();
    const reason =
      startError ??
      (this.stopping
        ? `${this.stopping.reason}${signal ? `; the agent was ended by ${signal}` : code !== null ? `; the agent exited with code ${code}` : ''}`
        : signal
          ? `the agent was killed by ${signal}`
          : `the agent exited with code ${code}`);
    const record: RunnerExit = {
      version: 1,
      startToken: spec.startToken,
      code,
      signal,
      reason,
      endedAt: new Date().toISOString(),
      durationMs: Date.now() - this.startMs,
      timedOut: this.stopping?.timedOut ?? false,
      cancelled: this.stopping !== null && !this.stopping.timedOut && !this.stopping.overLimit,
      verdict,
    };
    if (w) {
      const unreachable = wallsLogIn(w.log, 'unreachable');
      const refused = wallsLogIn(w.log, 'network');
      const registries = [...new Set(refused.map((r) => r.target))].filter((t) => isRegistry(t, w!.registries));
      // A stop for it says so in the reason already; an agent that gave up by itself (Codex after its stream retries) is told here.
      const unreached = !this.stopping && (code !== 0 || signal) ? this.watch?.unreached() : null;
      record.walls = { refused, ...(registries.length ? { registries } : {}), ...(unreachable.length ? { unreachable } : {}), ...(unreached ? { unreached: unreachedText(unreached, Date.now()) } : {}) };
    }
    if (this.stopping?.overLimit) record.overLimit = true;
    writeAtomicSync(this.files.exit, JSON.stringify(record, null, 2) + '\n');
    return code ?? 1;
  }

  private spawnAndWait(env: NodeJS.ProcessEnv, stdinFd: number | null, w: DrawnWalls | null): Promise<{ code: number | null; signal: NodeJS.Signals | null; error: string | null }> {
    const { spec } = this;
    return new Promise((resolve) => {
      let child: ChildProcess;
      // Still there (checked in the tick its exit is listened for from): else the agent starts as without it.
      const ahead = this.aheadAlive() ? this.ahead : null;
      this.ahead = null;
      if (ahead && w) {
        // The network made ahead: its relay is told the agent's walls (all but the network) and the agent.
        child = ahead;
        this.meta.netAhead = true;
        const mark = wallsMark();
        endLeftOverWalls(child, w.bwrap, mark);
        const go: RelayGo = {
          loops: w.listen.join(','),
          argv: walledInsideArgv(w, this.argv, mark),
          env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
          cwd: spec.cwd,
          stdinFile: spec.stdinFile,
          nice: this.shared ? Math.min(19, STARTING_PRIORITY + AGENT_NICENESS) : os.getPriority(),
        };
        child.stdin?.on('error', () => undefined); // gone: its exit says so
        child.stdin?.end(JSON.stringify(go) + '\n');
      } else {
        endAhead(ahead);
        // Inside walls: bubblewrap, then the relay (this script), then the agent — still by argv, never a shell (macOS: sandbox-exec, then the agent).
        const argv = this.seatbelt ? this.seatbelt.argv(this.argv) : w ? walledArgv(w, this.argv) : spec.argv;
        try {
          child = spawn(argv[0]!, argv.slice(1), {
            cwd: spec.cwd,
            env,
            shell: false,
            detached: !spec.interactive,
            windowsHide: !spec.interactive,
            stdio: spec.interactive ? 'inherit' : [stdinFd ?? 'ignore', 'pipe', 'pipe'],
          });
        } catch (err) {
          resolve({ code: null, signal: null, error: `the agent could not start: ${(err as Error).message}` });
          return;
        }
        // Its walls carry their socket among their arguments: found by it, should any of them stay.
        if (w && !this.seatbelt) endLeftOverWalls(child, w.bwrap, w.socket);
      }
      this.child = child;
      let settled = false;
      let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
      const done = (error: string | null) => {
        if (settled) return;
        settled = true;
        resolve({ code: exited?.code ?? null, signal: exited?.signal ?? null, error });
      };
      child.once('error', (err) => {
        if (child.pid === undefined) done(`the agent could not start (${spec.argv[0]}): ${err.message}`);
      });
      if (child.pid !== undefined) {
        this.meta.agentPid = child.pid;
        try {
          writeAtomicSync(this.files.meta, JSON.stringify(this.meta, null, 2) + '\n');
        } catch {
          // meta.json keeps agentPid null; adoption still has the runner's pid and token
        }
        this.startWatchdog();
      }
      for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => this.output(chunk));
      child.once('exit', (code, sig) => {
        exited = { code, signal: sig };
        // Output pipes may be held open by the agent's children: do not wait for them forever.
        setTimeout(() => done(null), 2000);
      });
      child.once('close', () => {
        if (exited) done(null);
      });
    });
  }

  private startWatchdog(): void {
    const { spec } = this;
    // Inside walls, a memory limit: the agent and everything it started, resident, checked every 2 s.
    const limitMb = spec.walls ? (spec.walls.options?.memoryMB ?? DEFAULT_MEMORY_MB) : 0;
    const pid = this.child?.pid;
    if (limitMb > 0 && pid !== undefined) {
      const memory = setInterval(() => {
        const bytes = treeRss(pid);
        if (bytes !== null && bytes > limitMb * 1024 * 1024)
          this.stop(`it used ${Math.round(bytes / 1024 / 1024)} MiB of memory, over its limit of ${limitMb} MiB (waves.sandbox.memoryMB / --memory-mb)`, false, true);
      }, MEMORY_POLL_MS);
      this.timers.push(memory);
    }
    if (this.watch) {
      // An agent whose model cannot be reached: stopped once no connection to it was made for the limit, reaching nothing else.
      const watch = this.watch;
      const look = setInterval(() => {
        const why = watch.due(Date.now());
        if (why) this.stop(why, false, true);
      }, Math.min(MEMORY_POLL_MS, Math.max(100, Math.floor(watch.limitMs / 4))));
      this.timers.push(look);
    }
    if (spec.timeoutMs !== null) {
      const seconds = Math.round(spec.timeoutMs / 100) / 10;
      const t = setTimeout(() => this.stop(`timed out after ${seconds} s`, true), spec.timeoutMs);
      this.timers.push(t);
    }
    const poll = setInterval(() => {
      if (fs.existsSync(this.files.cancel)) this.stop('cancelled (the cancel file appeared)', false);
    }, CANCEL_POLL_MS);
    this.timers.push(poll);
    if (fs.existsSync(this.files.cancel)) this.stop('cancelled (the cancel file appeared)', false);
  }

  /** SIGTERM now, SIGKILL after the grace period. Idempotent: the first reason wins. */
  stop(reason: string, timedOut: boolean, overLimit = false): void {
    if (this.stopping) return;
    this.stopping = { reason, timedOut, ...(overLimit ? { overLimit } : {}) };
    process.stderr.write(`waves runner: ${reason}; stopping the agent\n`);
    if (!this.child || this.child.pid === undefined) return;
    this.signal('SIGTERM');
    this.killGroupAfterGrace();
  }

  private killGroupAfterGrace(): void {
    if (this.killTimer) return;
    this.killTimer = setTimeout(() => {
      this.killSent = true;
      this.signal('SIGKILL');
    }, this.spec.graceMs ?? DEFAULT_GRACE_MS);
  }

  /**
   * After a stop, the group may outlive its leader (children that ignore SIGTERM), and a process
   * of the tree may have left the group — inside walls the sandbox runs in a session of its own,
   * and once bubblewrap is gone it is nobody's child: wait until every process of the group and
   * every one seen in the tree is gone, sending SIGKILL when the grace period ends.
   */
  private async groupGone(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined || process.platform === 'win32') return;
    const groupAlive = () => {
      if (this.spec.interactive) return false; // its group is the terminal's: only its tree is waited for
      try {
        process.kill(-pid, 0);
        return true;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    };
    let afterKill = 0;
    for (;;) {
      this.look();
      const left = [...this.seen.values()].filter(stillRunning);
      if (!groupAlive() && left.length === 0) return;
      if (this.killSent) {
        for (const p of left) kill(p.pid, 'SIGKILL');
        if (++afterKill > 100) {
          process.stderr.write(`waves runner: processes of the agent's tree survived SIGKILL: ${left.map((p) => p.pid).join(', ')}\n`);
          return;
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Adds what the agent's tree holds now (under its first process and under every process seen) to `seen`. */
  private look(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    // The tree, and inside walls every bubblewrap of this attempt: one stopped in its set-up can be
    // left nobody's child with the agent already started under it (its parent-death signal not set
    // yet) — found when `waves run`'s Ctrl-C came as the agent started and left it running.
    const orphans = this.walledBy ? processesRunning(this.walledBy.bwrap, this.walledBy.attemptDir) : [];
    for (const p of orphans) if (!this.seen.has(p.pid)) this.seen.set(p.pid, p);
    for (const p of processTree([pid, ...[...this.seen.values()].filter(stillRunning).map((s) => s.pid)])) if (!this.seen.has(p.pid)) this.seen.set(p.pid, p);
  }

  private signal(sig: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    // Windows: the agent itself. Elsewhere every process of its tree (some leave its group: inside walls the sandbox has a
    // session of its own), and headless its whole process group too (interactive, the group is the terminal's, the runner's too).
    if (process.platform === 'win32') return kill(pid, sig);
    this.look();
    kill(this.spec.interactive ? pid : -pid, sig);
    for (const p of this.seen.values()) if (p.pid !== pid && stillRunning(p)) kill(p.pid, sig);
  }

  private output(chunk: Buffer): void {
    if (this.logFd !== null) fs.writeSync(this.logFd, chunk);
    if (!process.stdout.destroyed) process.stdout.write(chunk);
    if (!this.pattern) return;
    const text = this.pending + chunk.toString('utf8');
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    if (this.pending.length > 4096) this.pending = this.pending.slice(-4096);
    for (const line of lines) this.lineSeen(line);
    // A prompt often waits without a newline: look at the unfinished line too.
    if (this.pending.trim() && !this.needsInputFromOutput) this.lineSeen(this.pending, true);
  }

  private lineSeen(line: string, partial = false): void {
    if (!line.trim()) return;
    const reason = needsInputReason({ needsInputPattern: this.pattern ?? undefined }, line);
    if (reason) {
      if (!this.needsInputFromOutput) {
        this.needsInputFromOutput = true;
        markNeedsInput(path.dirname(this.files.exit), reason, 'output');
      }
    } else if (this.needsInputFromOutput && !partial) {
      this.needsInputFromOutput = false;
      clearNeedsInput(path.dirname(this.files.exit));
    }
  }

  private flushPending(): void {
    if (this.pattern && this.pending) this.lineSeen(this.pending);
    this.pending = '';
  }

  private verdict(): AgentVerdict {
    if (this.spec.interactive) return parseVerdict('none', '');
    let text = '';
    try {
      text = fs.readFileSync(this.files.log, 'utf8');
    } catch {
      // no log: nothing reported
    }
    // Inside walls, a path they refused it is read from its CLI's own error (its home folder read-only there).
    return parseVerdict(this.spec.verdict, text, Date.now(), this.walledBy ? { walls: { home: os.homedir() } } : {});
  }
}

/** How long an agent may go on failing to reach its model (`MODEL_WAIT_ENV`, ms): the default unless a whole number is set. */
function modelWaitOf(text: string | undefined): number {
  return text !== undefined && /^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : DEFAULT_MODEL_WAIT_MS;
}

/** `process.kill`, for a process that may be gone already. */
function kill(pid: number, sig: NodeJS.Signals | 0): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Runners started ahead (a Node start per attempt was about 120 ms of every
 * handoff). While agents work, the pool starts as many runners as may be needed next
 * (`core/run/startAhead.ts`), each `node runner.js --pooled <startToken>…` — detached, its own
 * process group, no stdio, an IPC channel to this process. A runner carries one token per attempt
 * it may take: one, or `RUNNER_TOKENS` when its agents run in walls with networks made ahead (ADR
 * 0041: one Node start for several agents; `WAVES_RUNNER_TOKENS=1` keeps one runner per attempt).
 * A launch takes a token: it goes into the attempt's spec, and once the spec is written the
 * attempt's folder is sent on the channel with it; the runner runs the attempt exactly as a runner
 * started for it would (runner.ts), and lets go of the channel once its last token is used. Adoption is unchanged (ADR 0004): the runner's pid and the
 * attempt's start token in its command line.
 *
 * Runners end when their channel closes (when the pool retires them, closes, or this process ends
 * in any way) once the attempts they took have ended; what they had not taken ends at once. A
 * token taken from a runner that died before its attempt was sent is started afresh with the same
 * token. Node built-ins only, no `vscode`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { poolStep, runnerTokensOf } from '../../core/run/startAhead';
import { runnerEnv, type LaunchRequest, type LaunchResult } from './launcher';
import { netAheadWorks, type PooledCommand } from './wallsRun';
import { WALLS_AHEAD_ENV } from '../../core/walls/walls';
import { killRunning } from './processTree';
import { wallsSocketOf } from './wallsDraw';
import { freshServedReading, readServedPorts, type ServedReading } from './servedPorts';
import { CommandHostClient } from './commandHostClient';

interface Pooled {
  /** Its start tokens, in its command line. */
  tokens: string[];
  /** Of those, the ones not taken (in order). */
  free: string[];
  /** Taken for an attempt not yet sent. */
  taken: string[];
  /** Attempts (or a step) sent to it. */
  sent: number;
  /** The tokens taken, sent or not (a step takes them all): their networks are the attempts', never swept. */
  out: Set<string>;
  child: ChildProcess;
  ready: boolean;
  gone: boolean;
  /** Let go by the pool (its end is no failure). */
  retired: boolean;
  exited: Promise<number | null>;
}

export interface RunnerPoolOptions {
  /** `dist/runner.js`. */
  runnerScript: string;
  /** The runners' working folder until they have an attempt (the repository). */
  cwd: string;
  /** `process.execPath` unless told. */
  command?: string;
  /**
   * The agents run in walls (bubblewrap's path): each runner makes its attempt's network ahead
   * too (runner.ts `netAhead`, ADR 0019), so a walled agent's start waits for one Node start, not two.
   */
  wallsAhead?: string;
}

export function newStartToken(): string {
  return randomBytes(16).toString('hex');
}

export class RunnerPool {
  private readonly members: Pooled[] = [];
  /** The attempts expected and not yet taken, and the steps expected and not yet handed to a runner. */
  private agentsWanted = 0;
  private stepsWanted = 0;
  private closed = false;
  /** Pooled runners that ended before they were ready: at 3 the pool stops (launches start their own). */
  private failures = 0;

  /** With `wallsAhead`: bubblewrap's path once it was tried nesting here (`netAheadWorks`), null when it cannot; the trial, while it runs. */
  private wallsAhead: string | null = null;
  private trial: Promise<void> | null = null;
  /** With networks made ahead: the command host that runs the verification steps (ADR 0039), unless WAVES_COMMAND_HOST=0. */
  private host: CommandHostClient | null = null;

  constructor(private readonly options: RunnerPoolOptions) {
    const bwrap = options.wallsAhead;
    if (bwrap) {
      this.trial = netAheadWorks(bwrap).then((ok) => {
        this.wallsAhead = ok ? bwrap : null;
        this.trial = null;
        if (ok && !this.closed && process.env.WAVES_COMMAND_HOST !== '0') {
          this.host = new CommandHostClient(options.runnerScript, options.cwd, bwrap, () => this.hostReady(), options.command);
          this.host.expect(this.stepsWanted);
        }
        this.fill();
      });
    }
  }

  /** The pool's counts in attempts (a runner's tokens), for tests and the bench: not taken, of those in ready runners, taken and not yet sent. */
  get size(): { idle: number; ready: number; taken: number } {
    const live = this.members.filter((m) => !m.gone);
    const sum = (ms: Pooled[], f: (m: Pooled) => number) => ms.reduce((n, m) => n + f(m), 0);
    return { idle: sum(live, (m) => m.free.length), ready: sum(live.filter((m) => m.ready), (m) => m.free.length), taken: sum(live, (m) => m.taken.length) };
  }

  /** The command host's process id once it takes steps (tests, diagnostics). */
  get hostPid(): number | undefined {
    return this.host?.live ? this.host.pid : undefined;
  }

  /** The process ids of the runners that can take an attempt (tests, diagnostics). */
  idlePids(): number[] {
    return this.members.filter((m) => !m.gone && m.free.length > 0 && m.child.pid !== undefined).map((m) => m.child.pid!);
  }

  /**
   * About `count` attempts may start soon, and `steps` verification steps come (those of the
   * agents at work): the pool moves toward that many idle runners — for the attempts alone while
   * the command host takes the steps.
   */
  expect(count: number, steps = 0): void {
    if (this.closed) return;
    this.agentsWanted = count;
    this.stepsWanted = steps;
    this.host?.expect(steps);
    this.fill();
  }

  /** The attempts the pool should be able to take at once: one per attempt to come, and a whole runner per step to come unless the command host takes them. */
  private get wanted(): number {
    return this.agentsWanted + (this.host?.live ? 0 : this.stepsWanted * this.tokensPerRunner);
  }

  /** The command host takes steps from now on: the runners wanted for them are not (a host that ended: they count again). */
  private hostReady(): void {
    this.fill();
  }

  /**
   * A start token for a new attempt: one a ready idle runner carries (else one still starting),
   * taken for it; a fresh one when the pool has none. The attempt is one of those `expect`ed: the
   * pool wants one idle runner fewer — it does not start another in its place while the
   * launches (and, when taken runners end, the merges) need the CPU; the next `expect` says anew.
   */
  take(): string {
    this.agentsWanted = Math.max(0, this.agentsWanted - 1);
    // Its walls take the loopback ports served as read now, while its tree is made (`launch`).
    if (this.options.wallsAhead) void readServedPorts();
    // A ready runner, the one with the fewest tokens left first (a runner in use is filled before a fresh one).
    const free = this.members.filter((m) => !m.gone && m.free.length > 0).sort((a, b) => a.free.length - b.free.length);
    const m = free.find((x) => x.ready) ?? free[0];
    if (!m) return newStartToken();
    const token = m.free.shift()!;
    m.taken.push(token);
    m.out.add(token);
    return token;
  }

  /** A taken token whose attempt will not start after all: its runner waits for another. */
  giveBack(token: string): void {
    const m = this.members.find((x) => x.taken.includes(token));
    if (!m) return;
    this.agentsWanted++; // its attempt is still to come (a closed pool starts nothing whatever it wants)
    m.taken.splice(m.taken.indexOf(token), 1);
    m.out.delete(token);
    if (m.gone) this.forget(m);
    else m.free.unshift(token);
  }

  /**
   * Hands the attempt of `request` to the runner its token was taken from; null when that
   * runner is gone (or the token was never the pool's): the caller starts a runner itself.
   */
  async launch(request: LaunchRequest): Promise<LaunchResult | null> {
    const token = request.startToken;
    const m = this.members.find((x) => x.taken.includes(token));
    if (!m) return null;
    m.taken.splice(m.taken.indexOf(token), 1);
    const served = this.options.wallsAhead ? freshServedReading() : null;
    return this.hand(m, { attemptDir: request.attemptDir, token, ...(served ? { served } : {}) });
  }

  /**
   * Hands a command (a verification step: `runner.js --confine`'s request, its argv, its output
   * file) to the command host while it runs, else to a ready idle runner, which runs it inside the
   * network it made ahead and ends with its exit code; null when neither can (or it was gone): the
   * caller starts `runner.js --confine` itself. Such a runner is one of those expected.
   */
  async command(command: PooledCommand): Promise<LaunchResult | null> {
    const hosted = this.host?.live ? await this.host.command(command) : null;
    if (hosted) return hosted;
    // A runner that has taken nothing: it runs the step in its first token's network, then ends.
    const m = this.members.find((x) => !x.gone && x.ready && x.sent === 0 && x.taken.length === 0 && x.free.length === x.tokens.length);
    if (!m) return null;
    m.free.length = 0;
    for (const t of m.tokens) m.out.add(t);
    this.stepsWanted = Math.max(0, this.stepsWanted - 1);
    return this.hand(m, { command });
  }

  /** Sends a runner an attempt for a token taken from it, or a step; null when it cannot take it (then it runs nothing). */
  private async hand(m: Pooled, message: { attemptDir: string; token: string; served?: ServedReading } | { command: PooledCommand }): Promise<LaunchResult | null> {
    m.sent++;
    // Nothing more to take from it: out of the pool (it lets go of its channel itself).
    if (m.free.length === 0 && m.taken.length === 0) this.forget(m);
    if (m.gone || !m.child.connected || m.child.pid === undefined) return null;
    const sent = await new Promise<boolean>((resolve) => {
      try {
        m.child.send(message, (err) => resolve(!err));
      } catch {
        // its channel closed meanwhile: not sent, and the runner is retired below
        resolve(false);
      }
    });
    if (!sent) {
      // The message may not have reached it: make sure it never runs anything, then start afresh.
      this.retire(m);
      return null;
    }
    return { pid: m.child.pid, exited: m.exited };
  }

  /** Lets every runner go; the pool starts none again. The attempts runners were handed go on. */
  close(): void {
    this.closed = true;
    this.agentsWanted = 0;
    this.stepsWanted = 0;
    this.host?.close();
    for (const m of [...this.members]) this.retire(m);
    this.members.length = 0;
  }

  private fill(): void {
    // Runners start once the pool knows whether they can make their network ahead (the trial's end fills it).
    if (this.closed || this.trial) return;
    const idle = this.members.filter((m) => !m.gone && m.free.length > 0);
    const step = poolStep(this.wanted, { idle: idle.reduce((n, m) => n + m.free.length, 0), starting: idle.filter((m) => !m.ready).length }, this.tokensPerRunner);
    // The newest go first (the older ones are the readier), whole runners with nothing taken, as long as what they hold is surplus.
    let surplus = step.retire;
    for (const m of idle.reverse()) {
      if (surplus <= 0) break;
      if (m.taken.length > 0 || m.free.length > surplus) continue;
      surplus -= m.free.length;
      this.retire(m);
    }
    for (let n = 0; n < step.start; n++) this.startOne();
  }

  /** One token per runner, or several where its agents run in walls with networks made ahead (ADR 0041; `WAVES_RUNNER_TOKENS`). */
  private get tokensPerRunner(): number {
    return this.wallsAhead ? runnerTokensOf(process.env.WAVES_RUNNER_TOKENS) : 1;
  }

  private forget(m: Pooled): void {
    const i = this.members.indexOf(m);
    if (i >= 0) this.members.splice(i, 1);
  }

  /**
   * An idle runner's network made ahead ends with it (bubblewrap killed through `setpriv
   * --pdeathsig`, its relay with bubblewrap) — but for a runner killed while bubblewrap was still
   * setting up: bubblewrap's own child then waits for a parent that is gone and had not yet asked to
   * die with it. Found by the socket its relay was to serve (a path of that runner's token alone),
   * it is ended; again a second later, for one forked as its runner died. Linux only (`/proc`).
   */
  private sweepAhead(tokens: readonly string[]): void {
    const bwrap = this.wallsAhead;
    if (!bwrap) return;
    for (const token of tokens) killRunning(bwrap, wallsSocketOf(token));
  }

  private retire(m: Pooled): void {
    this.forget(m);
    m.free.length = 0;
    m.retired = true;
    if (m.gone) return;
    try {
      if (m.child.connected) m.child.disconnect();
    } catch {
      // already disconnected: it ends by itself
    }
  }

  private startOne(): void {
    const tokens = Array.from({ length: this.tokensPerRunner }, () => newStartToken());
    let child: ChildProcess;
    try {
      child = spawn(this.options.command ?? process.execPath, [this.options.runnerScript, '--pooled', ...tokens], {
        cwd: this.options.cwd,
        env: { ...runnerEnv(process.env, {}), ...(this.wallsAhead ? { [WALLS_AHEAD_ENV]: this.wallsAhead } : {}) },
        detached: true,
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
        shell: false,
      });
    } catch {
      return; // launches start their runners themselves
    }
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const m: Pooled = { tokens, free: [...tokens], taken: [], sent: 0, out: new Set(), child, ready: false, gone: false, retired: false, exited };
    const gone = () => {
      if (m.gone) return;
      m.gone = true;
      // A runner let go ends its networks not used itself, with their process groups; one that did not end so is swept (those of attempts it ran are theirs).
      if (!(m.retired && child.exitCode === 0)) this.sweepAhead(m.tokens.filter((t) => !m.out.has(t)));
      if (!m.ready && !m.retired && ++this.failures >= 3) this.close();
      m.free.length = 0;
      // Kept while a token taken from it waits for its launch (which then says the runner is gone).
      if (m.taken.length === 0) this.forget(m);
      this.fill();
    };
    child.once('error', gone);
    child.once('exit', gone);
    child.on('message', (message: unknown) => {
      if ((message as { ready?: unknown } | null)?.ready !== true || m.ready) return;
      m.ready = true;
      this.fill();
    });
    // Neither the process nor its channel keeps this one alive.
    child.unref();
    (child.channel as { unref?: () => void } | undefined)?.unref?.();
    this.members.push(m);
  }
}

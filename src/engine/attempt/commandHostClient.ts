/**
 * The engine's side of the command host (commandHost.ts, ADR 0039): one `runner.js --commands
 * <token>` that runs the run's walled verification steps, each in walls and a network of its own,
 * so a step costs no runner's Node start. Started by the runner pool once bubblewrap was found to
 * nest here; detached, its own process group, no stdio, an IPC channel to this process (neither
 * keeps this process alive). It ends when its channel closes: the pool's close, or this process's
 * end in any way. Should it end otherwise, the steps it ran end with it (their walls die with it)
 * and the pool's runners take the steps again; the bubblewrap of a network it left setting up is
 * ended, found by its socket (a path of the host's token alone). Node built-ins only, no `vscode`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { WALLS_AHEAD_ENV } from '../../core/walls/walls';
import { runnerEnv, type LaunchResult } from './launcher';
import { hostNetworkToken } from './commandHost';
import { killRunning } from './processTree';
import { wallsSocketOf } from './wallsDraw';
import { wallsMark, type PooledCommand } from './wallsRun';

interface Step {
  /** The mark its walls carry (`wallsMark()`): they are found by it alone, never a later step's of the same attempt. */
  mark: string;
  started: (pid: number | null) => void;
  ended: (code: number | null) => void;
}

export class CommandHostClient {
  private readonly token = randomBytes(16).toString('hex');
  private readonly child: ChildProcess;
  private ready = false;
  private gone = false;
  private letGo = false;
  private wanted = 0;
  private nextId = 1;
  /** The networks the host said it started (numbered 1 to this): should it end, their bubblewraps are swept. */
  private made = 0;
  private readonly steps = new Map<number, Step>();

  /**
   * `bwrap`: bubblewrap, found to nest here (`netAheadWorks`); `onReady`: called when it starts
   * taking steps (the pool counts its runners anew).
   */
  constructor(runnerScript: string, cwd: string, bwrap: string, private readonly onReady: () => void, command = process.execPath) {
    this.child = spawn(command, [runnerScript, '--commands', this.token], {
      cwd,
      env: { ...runnerEnv(process.env, {}), [WALLS_AHEAD_ENV]: bwrap },
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      shell: false,
    });
    this.child.once('error', () => this.end(bwrap));
    this.child.once('exit', () => this.end(bwrap));
    this.child.on('message', (message: unknown) => this.heard(message));
    this.child.unref();
    (this.child.channel as { unref?: () => void } | undefined)?.unref?.();
  }

  /** Whether it takes steps (it said it was ready and has not ended). */
  get live(): boolean {
    return this.ready && !this.gone;
  }

  /** The host's process id (tests). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** About `count` steps may come soon: it keeps that many networks made ahead. */
  expect(count: number): void {
    this.wanted = count;
    if (this.live) this.send({ expect: count });
  }

  /**
   * Hands it a step: its network's process group leader (to signal it past its time, as a pooled
   * runner's) and its exit code to come (null: the host ended first); null when it cannot take it —
   * the caller then runs the step as before.
   */
  async command(command: PooledCommand): Promise<LaunchResult | null> {
    if (!this.live) return null;
    const id = this.nextId++;
    let ended!: (code: number | null) => void;
    const exited = new Promise<number | null>((resolve) => (ended = resolve));
    // Neither the host nor its channel holds this process: the step does, until the host answers (then waitPooled holds it).
    const held = setInterval(() => undefined, 60_000);
    const mark = wallsMark();
    const pid = await new Promise<number | null>((started) => {
      this.steps.set(id, { mark, started, ended });
      if (!this.send({ run: { id, command: { ...command, mark } } })) this.settle(id, null);
    }).finally(() => clearInterval(held));
    if (pid === null) {
      this.steps.delete(id);
      return null;
    }
    return { pid, exited };
  }

  /** Lets it go: its channel closes, and it ends with every step and network it holds. */
  close(): void {
    this.letGo = true;
    try {
      if (this.child.connected) this.child.disconnect();
    } catch {
      // already disconnected: it ends by itself
    }
  }

  private send(message: object): boolean {
    try {
      if (!this.child.connected) return false;
      this.child.send(message);
      return true;
    } catch {
      // its channel closed meanwhile: its exit settles the steps
      return false;
    }
  }

  private heard(message: unknown): void {
    const m = message as { ready?: unknown; made?: unknown; started?: { id?: unknown; pid?: unknown }; ended?: { id?: unknown; code?: unknown } } | null;
    if (m?.ready === true && !this.ready) {
      this.ready = true;
      if (this.wanted > 0) this.send({ expect: this.wanted });
      this.onReady();
    } else if (typeof m?.made === 'number') {
      this.made = Math.max(this.made, m.made);
    } else if (m?.started && typeof m.started.id === 'number') {
      this.steps.get(m.started.id)?.started(typeof m.started.pid === 'number' ? m.started.pid : null);
    } else if (m?.ended && typeof m.ended.id === 'number') {
      const code = typeof m.ended.code === 'number' ? m.ended.code : null;
      this.settle(m.ended.id, code);
    }
  }

  /** A step is over with `code` (null: the host ended first); one it never started the caller runs itself. */
  private settle(id: number, code: number | null): void {
    const step = this.steps.get(id);
    if (!step) return;
    this.steps.delete(id);
    step.started(null);
    step.ended(code);
  }

  /**
   * It ended: its steps with it. Unless it ended by itself, let go: the bubblewrap of a network it
   * left setting up is ended, and so are the walls of a step it ran, found by their mark alone (the
   * attempt's next step may already run) — their own death signal, set when their parent dies, was
   * seen not to reach them every time (about one in three here).
   */
  private end(bwrap: string): void {
    if (this.gone) return;
    this.gone = true;
    const marks = [...this.steps.values()].map((s) => s.mark);
    for (const id of [...this.steps.keys()]) this.settle(id, null);
    if (this.letGo && this.child.exitCode === 0) return;
    const named = new Set<string>(marks);
    for (let n = 1; n <= this.made; n++) named.add(wallsSocketOf(hostNetworkToken(this.token, n)));
    killRunning(bwrap, named);
  }
}

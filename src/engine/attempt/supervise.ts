/**
 * Every attempt, supervised one way: its prompt and runner spec written (the spec built by
 * runnerSpec.ts), its runner launched through the executor (inside the walls the executor was
 * given) or found again (a run adopted after a restart, a host that answers again), followed (its
 * folder's watch, its exit record for its start token, its needs-input, its runner's liveness),
 * stopped (the runner's cancel), and its end judged (core/agents/exitJudgement.ts). A planning
 * round and the pick's judge wait for its end here (`ended`); a package's attempt and a best-of-n
 * candidate are held by the run (run/launch.ts, run/recovery.ts), whose one poll over every live
 * attempt reads them through the same handle (run/watch.ts) and whose judge is the same
 * (run/judge.ts).
 */
import { judgeExit, type AttemptEnd } from '../../core/agents/exitJudgement';
import { keepGitSetup, snapshotCheckout, type CheckoutFingerprint, type KeptGitSetup } from '../git';
import { ConfinementUnavailableError, wallsOption, type Confinement } from './confinement';
import type { AttemptPlace, Executor, Liveness, NeedsInputReadout, RunnerStarted, StartRequest } from './executor';
import type { Launcher, LaunchResult } from './launcher';
import { LocalExecutor } from './localExecutor';
import type { ExitRecord } from './adopt';
import type { RunnerSpec } from './runnerFiles';

/** How often an attempt's exit record is looked for besides the executor's watch (ms). */
export const EXIT_POLL_MS = 200;
/** How long a runner that ended may take to leave its exit record before the attempt counts as lost (ms). */
export const EXIT_RECORD_WAIT_MS = 2000;

export interface SuperviseTiming {
  /** Default `EXIT_POLL_MS`. */
  pollMs?: number | undefined;
  /** Default `EXIT_RECORD_WAIT_MS`. */
  lostAfterMs?: number | undefined;
}

/** What an agent may touch outside its tree, read before it starts: the person's checkout and the repository's git set-up. */
export interface KeptBounds {
  checkout: CheckoutFingerprint;
  setup: KeptGitSetup | null;
}

/** The person's checkout and the git set-up of `repo` as they are now (before an attempt's agent starts), to compare after it. */
export async function keepBounds(repo: string): Promise<KeptBounds> {
  const [checkout, setup] = await Promise.all([snapshotCheckout(repo), keepGitSetup(repo)]);
  return { checkout, setup };
}

export class AttemptSupervisor {
  constructor(
    readonly executor: Executor,
    private readonly timing: SuperviseTiming = {},
  ) {}

  /** Writes the attempt: its prompt and its runner's spec (creating its folder). */
  write(place: AttemptPlace, prompt: string, spec: RunnerSpec): Promise<void> {
    return this.executor.writeAttempt(place, prompt, spec);
  }

  /**
   * The written attempt at `place`, started with `token`, before its runner is launched
   * (`launch`), or found again (a run adopted after a restart, a host that answers again: never
   * launched by this supervisor). `signal` stops it — at once when it was aborted while the
   * runner started.
   */
  attempt(place: AttemptPlace, token: string, signal?: AbortSignal): SupervisedAttempt {
    return new SupervisedAttempt(this, place, token, this.timing, signal);
  }

  /** Starts the written attempt's runner; throws when it cannot start. `signal` stops it (see `attempt`). */
  async start(request: StartRequest, signal?: AbortSignal): Promise<SupervisedAttempt> {
    const attempt = this.attempt(request.attempt, request.startToken, signal);
    await attempt.launch(request);
    return attempt;
  }

  /**
   * Asks the runner at `place` to stop its agent (its cancel file, stamped `at`): SIGTERM, then
   * SIGKILL after the spec's grace. Every stop of an attempt comes here, held or not (a run's
   * record of an attempt another engine started).
   */
  stop(place: AttemptPlace, at?: Date): Promise<void> {
    return this.executor.cancel(place, at);
  }

  /** What the runner at `place` recorded when it started (its token, pid), or null: never started. */
  readStarted(place: AttemptPlace): Promise<RunnerStarted | null> {
    return this.executor.readStarted(place);
  }
}

/** An attempt: launch its runner (or find it again), follow it, stop it, wait for its end. */
export class SupervisedAttempt {
  private asked = false;
  private runnerEnded = false;
  private ending: Promise<AttemptEnd<ExitRecord>> | null = null;
  private readonly onAbort = () => void this.stop();
  private launchResult: LaunchResult | null = null;
  private readonly executor: Executor;

  constructor(
    private readonly supervisor: AttemptSupervisor,
    readonly place: AttemptPlace,
    readonly token: string,
    private readonly timing: SuperviseTiming,
    private readonly signal?: AbortSignal,
  ) {
    this.executor = supervisor.executor;
  }

  /** Launches its runner (its spec written first); throws when it cannot start. */
  async launch(request: StartRequest): Promise<LaunchResult> {
    const launched = await this.executor.start(request);
    this.launchResult = launched;
    void launched.exited?.then(() => (this.runnerEnded = true));
    this.signal?.addEventListener('abort', this.onAbort);
    // Stopped while the runner was starting: an abort that came before the listener is not heard by it.
    if (this.signal?.aborted) this.onAbort();
    return launched;
  }

  /** Its launch (pid, the runner's end), or null: not launched by this supervisor (found again). */
  get launched(): LaunchResult | null {
    return this.launchResult;
  }

  /** Asks the runner to stop its agent (its cancel file): SIGTERM, then SIGKILL after the spec's grace. */
  stop(at?: Date): Promise<void> {
    this.asked = true;
    return this.supervisor.stop(this.place, at);
  }

  /** Whether the attempt was asked to stop (`stop`, or its signal). */
  get stopAsked(): boolean {
    return this.asked || this.signal?.aborted === true;
  }

  /** One look at its end: its exit record, when the runner wrote one for this start (its token). */
  async readExit(): Promise<ExitRecord | null> {
    const exit = await this.executor.readExit(this.place);
    return exit && exit.startToken === this.token ? exit : null;
  }

  /** Whether its agent waits for a person (the runner's needs-input file). */
  readNeedsInput(): Promise<NeedsInputReadout> {
    return this.executor.readNeedsInput(this.place);
  }

  /** Whether its runner is alive (`pidHint`: the pid recorded, for a runner found again). */
  liveness(pidHint: number | null): Promise<Liveness> {
    return this.executor.liveness(this.place, this.token, pidHint);
  }

  /** Calls `onChange` when its folder changes (its exit, its needs-input); null: no watch here (a poll covers it). */
  watch(onChange: () => void): { close(): void } | null {
    return this.executor.watch(this.place, onChange);
  }

  /** Its end: the exit record judged, or the runner gone without one. The same promise on every call. */
  ended(): Promise<AttemptEnd<ExitRecord>> {
    this.ending ??= this.waitForEnd().finally(() => this.signal?.removeEventListener('abort', this.onAbort));
    return this.ending;
  }

  private async waitForEnd(): Promise<AttemptEnd<ExitRecord>> {
    // A change seen while the record was being read is not slept through.
    let changed = false;
    let wake: (() => void) | null = null;
    const watcher = this.watch(() => {
      changed = true;
      wake?.();
    });
    const pollMs = this.timing.pollMs ?? EXIT_POLL_MS;
    const lostAfterMs = this.timing.lostAfterMs ?? EXIT_RECORD_WAIT_MS;
    try {
      let endedAt: number | null = null;
      for (;;) {
        const exit = await this.readExit();
        if (exit) return { exit, judgement: judgeExit(exit), stopAsked: this.stopAsked };
        if (this.runnerEnded) {
          endedAt ??= Date.now();
          if (Date.now() - endedAt > lostAfterMs) return { exit: null, lost: 'the runner ended without an exit record', stopAsked: this.stopAsked };
        }
        if (changed) {
          changed = false;
          continue;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
        changed = false;
      }
    } finally {
      watcher?.close();
    }
  }
}

export interface LocalAttemptsOptions {
  repoRoot: string;
  /** The feature (or planning session) the attempts belong to. */
  featureId: string;
  /** The walls asked for: on unless the person chose otherwise. */
  confinement?: Confinement | undefined;
  launcher?: Launcher | undefined;
  runnerScript?: string | undefined;
  timing?: SuperviseTiming;
}

/**
 * A supervisor of attempts on this machine, inside the walls the person asked for (`walled`:
 * whether they are drawn); throws `ConfinementUnavailableError` when walls were asked for and
 * cannot be had here: nothing starts.
 */
export function localAttempts(options: LocalAttemptsOptions): { supervisor: AttemptSupervisor; walled: boolean } {
  const walls = wallsOption(options.confinement);
  if ('unavailable' in walls) throw new ConfinementUnavailableError(walls.unavailable, walls.fix);
  const executor = new LocalExecutor({
    repoRoot: options.repoRoot,
    featureId: options.featureId,
    ...('walls' in walls ? { walls: walls.walls } : {}),
    ...(options.launcher ? { launcher: options.launcher } : {}),
    ...(options.runnerScript ? { runnerScript: options.runnerScript } : {}),
  });
  return { supervisor: new AttemptSupervisor(executor, options.timing), walled: 'walls' in walls };
}

/**
 * One attempt supervised: its prompt and runner spec written (the spec built by runnerSpec.ts),
 * its runner started through the executor (inside the walls the executor was given), stopped on
 * request (the runner's cancel), and its end waited for — the exit record, seen by the
 * executor's watch or a slow poll, or the runner gone without one (interrupted) — and judged
 * (core/agents/exitJudgement.ts). A planning round runs its agent through it (planning/planner.ts);
 * a package's attempt is written with the same spec and judged by the same judge (run/launch.ts,
 * run/exit.ts), its watching held by the run (run/watch.ts: needs-input, hosts, the run's poll).
 */
import { judgeExit, type AttemptEnd } from '../../core/agents/exitJudgement';
import { keepGitSetup, snapshotCheckout, type CheckoutFingerprint, type KeptGitSetup } from '../git';
import { ConfinementUnavailableError, wallsOption, type Confinement } from './confinement';
import type { AttemptPlace, Executor, StartRequest } from './executor';
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
   * Starts the written attempt's runner; throws when it cannot start. `signal` stops it —
   * at once when it was aborted while the runner started.
   */
  async start(request: StartRequest, signal?: AbortSignal): Promise<SupervisedAttempt> {
    const launched = await this.executor.start(request);
    return new SupervisedAttempt(this.executor, request.attempt, request.startToken, launched, this.timing, signal);
  }
}

/** An attempt whose runner started: stop it, wait for its end. */
export class SupervisedAttempt {
  private asked = false;
  private runnerEnded = false;
  private ending: Promise<AttemptEnd<ExitRecord>> | null = null;
  private readonly onAbort = () => void this.stop();

  constructor(
    private readonly executor: Executor,
    readonly place: AttemptPlace,
    readonly token: string,
    readonly launched: LaunchResult,
    private readonly timing: SuperviseTiming,
    private readonly signal?: AbortSignal,
  ) {
    void launched.exited?.then(() => (this.runnerEnded = true));
    signal?.addEventListener('abort', this.onAbort);
    // Stopped while the runner was starting: an abort that came before the listener is not heard by it.
    if (signal?.aborted) this.onAbort();
  }

  /** Asks the runner to stop its agent (its cancel file): SIGTERM, then SIGKILL after the spec's grace. */
  stop(): Promise<void> {
    this.asked = true;
    return this.executor.cancel(this.place);
  }

  /** Whether the attempt was asked to stop (`stop`, or its signal). */
  get stopAsked(): boolean {
    return this.asked || this.signal?.aborted === true;
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
    const watcher = this.executor.watch(this.place, () => {
      changed = true;
      wake?.();
    });
    const pollMs = this.timing.pollMs ?? EXIT_POLL_MS;
    const lostAfterMs = this.timing.lostAfterMs ?? EXIT_RECORD_WAIT_MS;
    try {
      let endedAt: number | null = null;
      for (;;) {
        const exit = await this.executor.readExit(this.place);
        if (exit && exit.startToken === this.token) return { exit, judgement: judgeExit(exit), stopAsked: this.stopAsked };
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

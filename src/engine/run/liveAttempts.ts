/**
 * The attempts this engine follows, and the one place their bookkeeping changes (`LiveAttempts`):
 * packages starting and launches under way (launch.ts), runners watched to their exit (watch.ts),
 * exits being judged (exit.ts, watch.ts), attempts whose host went out of reach (watch.ts,
 * recovery.ts), cancels asked (recovery.ts), and what each launch started with — the person's
 * checkout, the time, the agent — for its exit (exit.ts, gitSetupWatch.ts) and the report
 * (loop.ts). The parts call its methods; none holds a set of its own. The loop reads whether
 * anything is under way (`busy`).
 */
import type { CheckoutFingerprint } from '../git';
import type { SupervisedAttempt } from '../attempt';
import { candidateOfKey } from '../../core/run/candidates';

/** An attempt whose runner the engine watches, from its launch (or adoption) to its exit. */
export interface LiveAttempt {
  /** Its key: the package's id, or a candidate's (`<package>.c<k>`, best of n). */
  packageId: string;
  /** Best of n: the candidate it is (1 is keyed by the package itself); absent: the package's own attempt. */
  candidate?: number;
  /** Its runner, through the one supervisor: its place, its start token, its launch (null when found again), stopped, read. */
  attempt: SupervisedAttempt;
  /** The watch of the attempt's folder (null: none; the slow poll covers it). */
  watcher: { close(): void } | null;
  /** When the runner's liveness was last checked (ms). */
  checkedAt: number;
  /** When the runner was launched (ms). */
  launchedAt: number;
  /**
   * Its `started` is in the run state. Only then is its exit processed: a fast agent can end
   * before the launcher returns (a terminal reports its pid late), and an exit handled while
   * the package was still `queued` would be lost, the package then `running` for ever.
   */
  started: boolean;
  /** Set while its exit is processed, so it is processed once. */
  handled: boolean;
  /** Called once its exit record is seen: what lives as long as its agent goes (its MCP socket) — its runner may live on with others (ADR 0041). */
  onExitSeen?: () => void;
}

export class LiveAttempts {
  /** Attempts whose runner is watched, by package. */
  private readonly watched = new Map<string, LiveAttempt>();
  /** Packages whose post-exit work (audit, verification, merge) is under way. */
  private readonly finishing = new Set<string>();
  /** Packages between their schedule and their launch's end (locks, tree, runner). */
  private readonly starting = new Set<string>();
  /** Launches under way (worktree, prompt, runner), which the pass does not wait for. */
  private readonly launches = new Set<Promise<void>>();
  /** Attempts interrupted as host-lost, by package: collected when their host answers again. */
  private readonly lost = new Map<string, LiveAttempt>();
  private readonly cancelAsked = new Set<string>();
  /** Candidates' keys stopped because another candidate went on (best of n). */
  private readonly stopped = new Set<string>();
  private wholeRunCancelled = false;
  /** The person's checkout when each live attempt started (checkoutGuard.ts); absent for an attempt adopted after a restart. */
  private readonly checkouts = new Map<string, CheckoutFingerprint>();
  /** When each package's current attempt was launched by this engine (ms); absent for an attempt adopted after a restart. */
  private readonly launchTimes = new Map<string, number>();
  /** The agent (its profile id) each package's last attempt in this engine started with: the report's spend per agent. */
  private readonly agents = new Map<string, string>();

  /** Attempts in hand: watched, being judged, starting, or waiting for their host. The run does not end while any is. */
  get busy(): number {
    return this.watched.size + this.finishing.size + this.starting.size + this.lost.size;
  }

  // -- Starting (launch.ts) -----------------------------------------------------------------

  beginStart(id: string): void {
    this.starting.add(id);
  }

  endStart(id: string): void {
    this.starting.delete(id);
  }

  /** A launch under way: ends with `endLaunch`. */
  beginLaunch(launch: Promise<void>): void {
    this.launches.add(launch);
  }

  endLaunch(launch: Promise<void>): void {
    this.launches.delete(launch);
  }

  get launchesUnderWay(): number {
    return this.launches.size;
  }

  /** Settles once the launches under way now are over. */
  async launchesDone(): Promise<void> {
    await Promise.allSettled([...this.launches]);
  }

  /** The agent `id`'s attempt is launched with (its profile id). */
  launchedWith(id: string, agentId: string): void {
    this.agents.set(id, agentId);
  }

  /** The agent `id`'s last attempt in this engine started with; undefined when none did. */
  lastAgent(id: string): string | undefined {
    return this.agents.get(id);
  }

  /** `id`'s runner is about to start: the person's checkout as it was then, and when. */
  runnerStarts(id: string, checkout: CheckoutFingerprint, at: number): void {
    this.checkouts.set(id, checkout);
    this.launchTimes.set(id, at);
  }

  /** The person's checkout when `id`'s attempt started (exit.ts compares its exit with it). */
  checkoutBefore(id: string): CheckoutFingerprint | undefined {
    return this.checkouts.get(id);
  }

  /** When this engine launched `id`'s current attempt (ms). */
  launchedAt(id: string): number | undefined {
    return this.launchTimes.get(id);
  }

  // -- Watched (watch.ts) -------------------------------------------------------------------

  track(live: LiveAttempt): void {
    this.watched.set(live.packageId, live);
  }

  /** No longer watched, when `live` is still the attempt watched for its package. */
  untrack(live: LiveAttempt): void {
    if (this.watched.get(live.packageId) === live) this.watched.delete(live.packageId);
  }

  /** The attempts watched now. */
  live(): IterableIterator<LiveAttempt> {
    return this.watched.values();
  }

  /** The engine stops driving: every watch closed, nothing watched (the agents keep running). */
  unwatchAll(): void {
    for (const a of this.watched.values()) a.watcher?.close();
    this.watched.clear();
  }

  // -- Judged (exit.ts, watch.ts) -----------------------------------------------------------

  beginFinishing(id: string): void {
    this.finishing.add(id);
  }

  endFinishing(id: string): void {
    this.finishing.delete(id);
  }

  isFinishing(id: string): boolean {
    return this.finishing.has(id);
  }

  // -- Lost with their host (watch.ts, recovery.ts) -----------------------------------------

  lostWithHost(live: LiveAttempt): void {
    this.lost.set(live.packageId, live);
  }

  /** The attempt of `id` waiting for its host, if any. */
  lostOf(id: string): LiveAttempt | undefined {
    return this.lost.get(id);
  }

  /** The attempts waiting for their host, as they are now. */
  allLost(): [string, LiveAttempt][] {
    return [...this.lost];
  }

  get anyLost(): boolean {
    return this.lost.size > 0;
  }

  /** `id` no longer waits for its host (found, given up, or cancelled). */
  forgetLost(id: string): void {
    this.lost.delete(id);
  }

  // -- Cancelled (recovery.ts) --------------------------------------------------------------

  /** The whole run is cancelled: no attempt is waited for any more. */
  cancelRun(): void {
    this.wholeRunCancelled = true;
    this.lost.clear();
    for (const stop of this.readying.values()) stop.abort();
  }

  cancelPackage(id: string): void {
    this.cancelAsked.add(id);
    for (const [key, stop] of this.readying) if (this.cancelled(key)) stop.abort();
  }

  private readonly readying = new Map<string, AbortController>();

  /** While `key`'s tree is readied (its set-up hook): the signal a cancel of it aborts; `done()` when readied. */
  readyingTree(key: string): { signal: AbortSignal; done(): void } {
    const stop = new AbortController();
    if (this.cancelled(key)) stop.abort();
    this.readying.set(key, stop);
    return { signal: stop.signal, done: () => this.readying.get(key) === stop && this.readying.delete(key) };
  }

  get runCancelled(): boolean {
    return this.wholeRunCancelled;
  }

  /** A candidate that is not to go on (another went on first): its attempt stops as a cancelled one. */
  stopCandidate(key: string): void {
    this.stopped.add(key);
    this.readying.get(key)?.abort();
  }

  /** A new set starts: none of its candidates is stopped before it starts. */
  candidatesStart(keys: readonly string[]): void {
    for (const k of keys) this.stopped.delete(k);
  }

  /** Whether `id` (a package, or a candidate's key) is to stop: its cancel asked, its package's, its stop as a candidate, or the run's. */
  cancelled(id: string): boolean {
    const of = candidateOfKey(id);
    return this.cancelAsked.has(id) || this.stopped.has(id) || (of !== null && this.cancelAsked.has(of.packageId)) || this.wholeRunCancelled;
  }
}

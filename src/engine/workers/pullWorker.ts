/**
 * One pull worker's turn (ADR 0037): claim the oldest package it may run, check it
 * (claimChecks.ts) — giving it back with the reason when it cannot — do it while its lease is
 * renewed every third of the lease, and report under the claim's fence. A lease found lost stops
 * the work (its signal aborts) and nothing is reported: another worker holds the package now.
 * The coordinator out of reach is waited for: heartbeats and the report are tried again until it
 * answers, and the database's clock decides whether the lease held meanwhile.
 */
import os from 'node:os';
import type { WorkerInfo, WorkReport } from '../../core/coordinator/workQueue';
import { isCoordinatorUnavailable, type Claim, type PgWorkQueue } from '../coordinator';
import { claimProblem, type WorkerPlace } from './claimChecks';

/** What a turn came to. */
export type TurnOutcome =
  | { kind: 'idle' }
  | { kind: 'released'; packageId: string; reason: string }
  | { kind: 'reported'; packageId: string; fence: number; report: WorkReport }
  | { kind: 'lost'; packageId: string; fence: number };

export interface PullWorkerOptions {
  queue: PgWorkQueue;
  /** Its name (unique in the repository), the agents it runs, its labels and slots; its machine defaults to this host's name. */
  info: Omit<WorkerInfo, 'draining' | 'machine'> & { machine?: string };
  place: WorkerPlace;
  /** Does a checked package's work and says what it pushed; `signal` aborts when the lease is lost. */
  work(claim: Claim, signal: AbortSignal): Promise<WorkReport>;
  /** Between tries while the coordinator is out of reach; default 1 s. */
  retryMs?: number;
}

export class PullWorker {
  private registered = false;

  constructor(private readonly options: PullWorkerOptions) {}

  get name(): string {
    return this.options.info.name;
  }

  /** Says what it is to the queue (again after a restart: its draining is kept). */
  async register(): Promise<void> {
    const { info } = this.options;
    await this.options.queue.register({ ...info, machine: info.machine ?? os.hostname() });
    this.registered = true;
  }

  /** One turn: a package claimed, checked, done and reported — or given back, or lost — or nothing to claim. */
  async turn(): Promise<TurnOutcome> {
    if (!this.registered) await this.register();
    const { queue } = this.options;
    const claim = await queue.claim(this.name);
    if (!claim) return { kind: 'idle' };
    const id = claim.item.packageId;
    const problem = await claimProblem(claim.item, this.options.place);
    if (problem) {
      await this.untilAnswered(() => queue.release(claim, this.name, problem));
      return { kind: 'released', packageId: id, reason: problem };
    }
    const lost = new AbortController();
    const beat = setInterval(() => {
      queue.heartbeat(claim, this.name).then(
        (held) => {
          if (!held) lost.abort(new Error(`${this.name} lost its lease on ${id}`));
        },
        (err: unknown) => {
          if (!isCoordinatorUnavailable(err)) lost.abort(err);
          // out of reach: the next beat tries again; the database's clock decides whether the lease held
        },
      );
    }, Math.max(50, Math.floor(queue.leaseMs / 3)));
    try {
      let report: WorkReport;
      try {
        report = await this.options.work(claim, lost.signal);
      } catch (err) {
        if (lost.signal.aborted) return { kind: 'lost', packageId: id, fence: claim.fence };
        const reason = `its work failed here: ${err instanceof Error ? err.message : String(err)}`;
        await this.untilAnswered(() => queue.release(claim, this.name, reason));
        return { kind: 'released', packageId: id, reason };
      }
      if (lost.signal.aborted) return { kind: 'lost', packageId: id, fence: claim.fence };
      const taken = await this.untilAnswered(() => queue.report(claim, this.name, report));
      return taken ? { kind: 'reported', packageId: id, fence: claim.fence, report } : { kind: 'lost', packageId: id, fence: claim.fence };
    } finally {
      clearInterval(beat);
    }
  }

  /** `call` until the coordinator answers it (a refusal of another kind is thrown). */
  private async untilAnswered<T>(call: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await call();
      } catch (err) {
        if (!isCoordinatorUnavailable(err)) throw err;
        await new Promise((r) => setTimeout(r, this.options.retryMs ?? 1_000));
      }
    }
  }
}

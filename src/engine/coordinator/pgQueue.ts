/**
 * Pull workers' queue on the coordinator's PostgreSQL (ADR 0037): `waves_queue` and
 * `waves_workers` (pgSchema.ts, step 4). A claim is one `UPDATE … WHERE key = (SELECT … FOR
 * UPDATE SKIP LOCKED LIMIT 1)`: two workers never take one row, and leases are decided by the
 * database's clock. Every heartbeat, release and report names the claim's fence in its `WHERE`:
 * a worker that lost its lease changes nothing, and is told so. Every value is a query parameter.
 */
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import {
  DEFAULT_QUEUE_LEASE_MS,
  DEFAULT_QUEUE_TRIES,
  isQueueName,
  orderProblems,
  parseReport,
  QUEUE_STATES,
  queuedProblems,
  queueReason,
  type QueuedPackage,
  type QueueItem,
  type QueueState,
  type WorkerInfo,
  type WorkOrder,
  type WorkReport,
} from '../../core/coordinator/workQueue';
import { CoordinatorError } from './lockStore';
import { PgTalk } from './pgTalk';

type Transaction = <T>(work: (db: PoolClient) => Promise<T>) => Promise<T>;

/** A claim a worker holds: the item, and the fence every later call names. */
export interface Claim {
  item: QueueItem;
  fence: number;
}

/** A worker as the queue has it, with its last heartbeat (the database's clock) and how long ago that was. */
export interface WorkerRow extends WorkerInfo {
  /** Its own lease (`waves worker --lease`): silent past it, a package it held is claimable again. */
  leaseMs: number;
  heartbeatAt: string;
  silentMs: number;
}

interface QueueRow {
  feature_id: string;
  run_id: string;
  package_id: string;
  attempt: number;
  agent: string;
  labels: string[];
  plan_file: string;
  plan_hash: string;
  base_ref: string;
  base_sha: string;
  work_order: unknown;
  state: string;
  worker: string | null;
  fence: string;
  tries: number;
  max_tries: number;
  reason: string | null;
  report: unknown;
}

const COLUMNS = 'feature_id, run_id, package_id, attempt, agent, labels, plan_file, plan_hash, base_ref, base_sha, work_order, state, worker, fence, tries, max_tries, reason, report';

/** A row's work order, checked: one that is not an order is not trusted. */
function orderOf(raw: unknown): WorkOrder {
  const problems = orderProblems(raw);
  if (problems.length) throw new CoordinatorError(`the queue has a row whose work order is not one: ${problems.join('; ')}`);
  return raw as WorkOrder;
}

/** A row read back, checked: one that is not the queue's own is not trusted (`CoordinatorError`). */
function itemOf(r: QueueRow): QueueItem {
  if (!(QUEUE_STATES as readonly string[]).includes(r.state)) throw new CoordinatorError(`the queue has a row in an unknown state "${r.state}"`);
  return {
    featureId: r.feature_id,
    runId: r.run_id,
    packageId: r.package_id,
    attempt: r.attempt,
    agent: r.agent,
    labels: r.labels ?? [],
    planFile: r.plan_file,
    planHash: r.plan_hash,
    baseRef: r.base_ref,
    baseSha: r.base_sha,
    order: orderOf(r.work_order),
    maxTries: r.max_tries,
    state: r.state as QueueState,
    worker: r.worker,
    fence: Number(r.fence),
    tries: r.tries,
    reason: r.reason,
    report: parseReport(r.report),
  };
}

/** How long ended rows (done, dead) stay in the queue: each run's enqueue removes older ones. */
export const KEEP_ENDED_DAYS = 7;

/** How long a worker leaves a package it gave back to the others before it may take it again itself. */
export const RECLAIM_PAUSE_MS = 10_000;

/** Hears a channel's notifications (PgCoordinator.listen). */
type Listen = (channel: string, onNotify: (payload: string) => void) => { close(): void };

/** A queued attempt's key as an end's notification carries it. */
export interface QueueKey {
  featureId: string;
  runId: string;
  packageId: string;
  attempt: number;
}

export class PgWorkQueue {
  /** A worker's agent's calls, relayed to its driver and answered (pgTalk.ts). */
  readonly talk: PgTalk;

  constructor(
    private readonly transaction: Transaction,
    private readonly repoKey: string,
    /** A claim's lease; renewed by each heartbeat. */
    readonly leaseMs: number = DEFAULT_QUEUE_LEASE_MS,
    private readonly listen?: Listen,
  ) {
    this.talk = new PgTalk(transaction, repoKey, listen);
  }

  /** The repository's channels: work queued or given back (for the workers), an attempt's row ended (for its driver). */
  private channel(kind: 'work' | 'end'): string {
    return `waves_${kind}_${createHash('sha256').update(this.repoKey).digest('hex').slice(0, 24)}`;
  }

  /**
   * `onWork` when a package is queued or given back, so an idle worker looks at once instead of
   * at its next look; null without a listener. A hint: the worker still looks every so often.
   */
  onWork(onWork: () => void): { close(): void } | null {
    return this.listen?.(this.channel('work'), () => onWork()) ?? null;
  }

  /** `onEnd` with an attempt's key when its row was reported, given back or given up; null without a listener. A hint, as `onWork`. */
  onEnd(onEnd: (key: QueueKey) => void): { close(): void } | null {
    return (
      this.listen?.(this.channel('end'), (payload) => {
        const key = parseKey(payload);
        if (key) onEnd(key);
      }) ?? null
    );
  }

  /** Notifies `kind`'s channel when the transaction commits. */
  private async notify(db: PoolClient, kind: 'work' | 'end', key?: QueueKey): Promise<void> {
    await db.query('SELECT pg_notify($1, $2)', [this.channel(kind), key ? JSON.stringify([key.featureId, key.runId, key.packageId, key.attempt]) : '']);
  }

  /** Puts packages on the queue (the driver). One already there keeps its state, claim and tries. Throws `CoordinatorError` for one that is not well-formed. Rows ended more than `KEEP_ENDED_DAYS` ago go. */
  async enqueue(packages: readonly QueuedPackage[]): Promise<void> {
    for (const p of packages) {
      const problems = queuedProblems(p);
      if (problems.length) throw new CoordinatorError(`${String(p.packageId)} cannot be queued: ${problems.join('; ')}`);
    }
    await this.transaction(async (db) => {
      // Ended rows are kept a week for whoever looks (`waves status`, the views), then go; a call left unanswered, a day.
      await db.query(`DELETE FROM waves_queue WHERE repo_key = $1 AND state IN ('done', 'dead') AND updated_at < now() - make_interval(days => $2)`, [this.repoKey, KEEP_ENDED_DAYS]);
      await db.query(`DELETE FROM waves_talk WHERE repo_key = $1 AND asked_at < now() - interval '1 day'`, [this.repoKey]);
      for (const p of packages) {
        await db.query(
          `INSERT INTO waves_queue (repo_key, feature_id, run_id, package_id, attempt, agent, labels, plan_file, plan_hash, base_ref, base_sha, work_order, max_tries)
           VALUES ($1, $2, $3, $4, $13, $5, $6, $7, $8, $9, $10, $11::jsonb, $12) ON CONFLICT (repo_key, feature_id, run_id, package_id, attempt) DO NOTHING`,
          [this.repoKey, p.featureId, p.runId, p.packageId, p.agent, [...p.labels], p.planFile, p.planHash, p.baseRef, p.baseSha, JSON.stringify({ prompt: p.order.prompt, upstream: p.order.upstream, timeoutMs: p.order.timeoutMs, ...(p.order.verify?.length ? { verify: p.order.verify } : {}), ...(p.order.talk ? { talk: true } : {}) }), p.maxTries ?? DEFAULT_QUEUE_TRIES, p.attempt],
        );
      }
      if (packages.length) await this.notify(db, 'work');
    });
  }

  /**
   * Claims the oldest package `worker` may run, or null. First, claims that lapsed at their bound
   * of tries become dead letters. A draining worker, or one the queue does not know, claims nothing.
   * A package it gave back is not its to take again for `RECLAIM_PAUSE_MS` (another worker may at
   * once): one worker's passing trouble does not spend every try in a moment.
   * Asking is its heartbeat too: an idle worker asks every few seconds, so only one that stopped
   * asking (and holds nothing) goes silent in the list of workers.
   */
  async claim(worker: string): Promise<Claim | null> {
    return this.transaction(async (db) => {
      await this.buryLapsed(db);
      await db.query('UPDATE waves_workers SET heartbeat_at = now() WHERE repo_key = $1 AND name = $2', [this.repoKey, worker]);
      const { rows } = await db.query<QueueRow>(
        `UPDATE waves_queue q SET state = 'claimed', worker = $2, fence = q.fence + 1, tries = q.tries + 1,
                lease_until = now() + make_interval(secs => $3::double precision / 1000), updated_at = now()
         WHERE (q.repo_key, q.feature_id, q.run_id, q.package_id, q.attempt) = (
           SELECT c.repo_key, c.feature_id, c.run_id, c.package_id, c.attempt
           FROM waves_queue c JOIN waves_workers w ON w.repo_key = c.repo_key AND w.name = $2
           WHERE c.repo_key = $1 AND NOT w.draining
             AND (c.state = 'ready' OR (c.state = 'claimed' AND c.lease_until < now()))
             AND c.tries < c.max_tries AND c.agent = ANY (w.agents) AND c.labels <@ w.labels
             AND NOT (c.state = 'ready' AND coalesce(c.worker, '') = $2 AND c.updated_at > now() - make_interval(secs => $4::double precision / 1000))
           ORDER BY c.enqueued_at, c.package_id
           FOR UPDATE OF c SKIP LOCKED LIMIT 1)
         RETURNING ${COLUMNS}`,
        [this.repoKey, worker, this.leaseMs, RECLAIM_PAUSE_MS],
      );
      const row = rows[0];
      if (!row) return null;
      const item = itemOf(row);
      return { item, fence: item.fence };
    });
  }

  /** Lapsed claims at their bound of tries: dead letters, with why. */
  private async buryLapsed(db: PoolClient): Promise<void> {
    await db.query(
      `UPDATE waves_queue SET state = 'dead', reason = 'its last worker (' || coalesce(worker, '?') || ') stopped answering, after ' || tries || ' tries', updated_at = now()
       WHERE repo_key = $1 AND state = 'claimed' AND lease_until < now() AND tries >= max_tries`,
      [this.repoKey],
    );
  }

  /** Renews the claim's lease; false when it was lost (another worker claimed it, or it lapsed and was claimed, or it ended). */
  async heartbeat(claim: Claim, worker: string): Promise<boolean> {
    return this.transaction(async (db) => {
      const r = await db.query(
        `UPDATE waves_queue SET lease_until = now() + make_interval(secs => $7::double precision / 1000), updated_at = now()
         WHERE repo_key = $1 AND feature_id = $2 AND run_id = $3 AND package_id = $4 AND attempt = $8 AND worker = $5 AND fence = $6 AND state = 'claimed'`,
        [this.repoKey, claim.item.featureId, claim.item.runId, claim.item.packageId, worker, claim.fence, this.leaseMs, claim.item.attempt],
      );
      await db.query('UPDATE waves_workers SET heartbeat_at = now() WHERE repo_key = $1 AND name = $2', [this.repoKey, worker]);
      return (r.rowCount ?? 0) > 0;
    });
  }

  /**
   * Gives the package back with the reason (a different plan hash, a stale base, a missing agent
   * CLI, a full disk): `ready` again for another worker, its tries kept — or a dead letter at its
   * bound. False when the claim was lost already.
   */
  async release(claim: Claim, worker: string, reason: string): Promise<boolean> {
    return this.transaction(async (db) => {
      const r = await db.query(
        `UPDATE waves_queue SET state = CASE WHEN tries >= max_tries THEN 'dead' ELSE 'ready' END, lease_until = NULL, reason = $7, updated_at = now()
         WHERE repo_key = $1 AND feature_id = $2 AND run_id = $3 AND package_id = $4 AND attempt = $8 AND worker = $5 AND fence = $6 AND state = 'claimed'`,
        [this.repoKey, claim.item.featureId, claim.item.runId, claim.item.packageId, worker, claim.fence, queueReason(`${worker}: ${reason}`), claim.item.attempt],
      );
      if (!r.rowCount) return false;
      // Another worker may take it now; its driver hears of it (given up at its bound).
      await this.notify(db, 'work');
      await this.notify(db, 'end', claim.item);
      return true;
    });
  }

  /** The worker's report: the package `done` with it. Refused (false, nothing stored) when the claim was lost: a late report is never taken for the current holder's. */
  async report(claim: Claim, worker: string, report: WorkReport): Promise<boolean> {
    if (!parseReport(report)) throw new CoordinatorError(`${claim.item.packageId}: the report is not well-formed (a branch name, a full commit id, an exit code)`);
    return this.transaction(async (db) => {
      const r = await db.query(
        `UPDATE waves_queue SET state = 'done', lease_until = NULL, report = $7::jsonb, reason = NULL, updated_at = now()
         WHERE repo_key = $1 AND feature_id = $2 AND run_id = $3 AND package_id = $4 AND attempt = $8 AND worker = $5 AND fence = $6 AND state = 'claimed'`,
        [this.repoKey, claim.item.featureId, claim.item.runId, claim.item.packageId, worker, claim.fence, JSON.stringify(parseReport(report)), claim.item.attempt],
      );
      if (!r.rowCount) return false;
      await this.notify(db, 'end', claim.item);
      return true;
    });
  }

  /** The run's items as the queue has them now (the driver reads reports and dead letters here). */
  async items(featureId: string, runId: string): Promise<QueueItem[]> {
    return this.transaction(async (db) => {
      const { rows } = await db.query<QueueRow>(`SELECT ${COLUMNS} FROM waves_queue WHERE repo_key = $1 AND feature_id = $2 AND run_id = $3 ORDER BY enqueued_at, package_id, attempt`, [this.repoKey, featureId, runId]);
      return rows.map(itemOf);
    });
  }

  /**
   * The driver gives up a package's attempt (cancelled, or the run stopped with it): a dead letter
   * with the reason, its fence raised so its worker's next heartbeat finds the claim gone and
   * stops. False when it ended already.
   */
  async cancel(item: Pick<QueueItem, 'featureId' | 'runId' | 'packageId' | 'attempt'>, reason: string): Promise<boolean> {
    return this.transaction(async (db) => {
      const r = await db.query(
        `UPDATE waves_queue SET state = 'dead', fence = fence + 1, lease_until = NULL, reason = $6, updated_at = now()
         WHERE repo_key = $1 AND feature_id = $2 AND run_id = $3 AND package_id = $4 AND attempt = $5 AND state IN ('ready', 'claimed')`,
        [this.repoKey, item.featureId, item.runId, item.packageId, item.attempt, queueReason(reason)],
      );
      return (r.rowCount ?? 0) > 0;
    });
  }

  /** One package's attempt as the queue has it now, or null: not queued. */
  async item(featureId: string, runId: string, packageId: string, attempt: number): Promise<QueueItem | null> {
    return this.transaction(async (db) => {
      const { rows } = await db.query<QueueRow>(`SELECT ${COLUMNS} FROM waves_queue WHERE repo_key = $1 AND feature_id = $2 AND run_id = $3 AND package_id = $4 AND attempt = $5`, [this.repoKey, featureId, runId, packageId, attempt]);
      return rows[0] ? itemOf(rows[0]) : null;
    });
  }

  // -- Workers -----------------------------------------------------------------------------

  /** A worker says what it is (at its start, and again to change it): draining is kept. */
  async register(worker: Omit<WorkerInfo, 'draining'>): Promise<void> {
    if (!isQueueName(worker.name) || !worker.agents.every(isQueueName) || !worker.labels.every(isQueueName) || !(Number.isSafeInteger(worker.slots) && worker.slots >= 1)) {
      throw new CoordinatorError(`the worker ${String(worker.name)} cannot register: its name, agents and labels must be names of letters, digits and ._:@-, its slots at least 1`);
    }
    await this.transaction((db) =>
      db.query(
        `INSERT INTO waves_workers (repo_key, name, machine, agents, labels, slots, lease_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (repo_key, name) DO UPDATE SET machine = EXCLUDED.machine, agents = EXCLUDED.agents, labels = EXCLUDED.labels, slots = EXCLUDED.slots, lease_ms = EXCLUDED.lease_ms, heartbeat_at = now()`,
        [this.repoKey, worker.name, worker.machine, [...worker.agents], [...worker.labels], worker.slots, Math.round(this.leaseMs)],
      ),
    );
  }

  /** A person drains a worker (it finishes what it holds, claims nothing new), or lets it take work again. False: no such worker. */
  async drain(name: string, draining = true): Promise<boolean> {
    return this.transaction(async (db) => {
      const r = await db.query('UPDATE waves_workers SET draining = $3 WHERE repo_key = $1 AND name = $2', [this.repoKey, name, draining]);
      return (r.rowCount ?? 0) > 0;
    });
  }

  /** Every worker of the repository, with its last heartbeat. */
  async workers(): Promise<WorkerRow[]> {
    return this.transaction(async (db) => {
      const { rows } = await db.query<{ name: string; machine: string; agents: string[]; labels: string[]; slots: number; draining: boolean; lease_ms: number; heartbeat_at: Date; silent_ms: string }>(
        `SELECT name, machine, agents, labels, slots, draining, lease_ms, heartbeat_at, (extract(epoch FROM now() - heartbeat_at) * 1000)::bigint AS silent_ms
         FROM waves_workers WHERE repo_key = $1 ORDER BY name`,
        [this.repoKey],
      );
      return rows.map((r) => ({ name: r.name, machine: r.machine, agents: r.agents, labels: r.labels, slots: r.slots, draining: r.draining, leaseMs: r.lease_ms, heartbeatAt: r.heartbeat_at.toISOString(), silentMs: Number(r.silent_ms) }));
    });
  }
}

/** An attempt's key from an end's notification, or null when it is not one. */
function parseKey(payload: string): QueueKey | null {
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return null; // not ours: nothing to look at
  }
  if (!Array.isArray(v) || v.length !== 4) return null;
  const [featureId, runId, packageId, attempt] = v as unknown[];
  return typeof featureId === 'string' && typeof runId === 'string' && typeof packageId === 'string' && Number.isSafeInteger(attempt) ? { featureId, runId, packageId, attempt: attempt as number } : null;
}

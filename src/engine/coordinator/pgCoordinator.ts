/**
 * The shared coordinator on PostgreSQL (ADR 0012; docs/run-engine.md, "A shared coordinator"),
 * through the `pg` client: one database every clone of a repository reaches.
 *
 * - Schema: created and migrated on open (pgSchema.ts: `waves_schema_migrations`, one row per
 *   version applied, under a transaction-level advisory lock so two clones migrating at once
 *   apply each step once). A database of a newer schema is refused with a clear message, never changed.
 * - Locks (`waves_locks`): `update(fn)` is one transaction holding `pg_advisory_xact_lock` on
 *   the repository key: the rows read inside it are the table, lapsed rows dropped, `fn` (the
 *   engine's `acquireLocks` / `releaseLocks` of core/run/lockTable.ts, glob-exact) decides, and
 *   only the rows that changed are written — all or nothing across every clone.
 * - Runs (`waves_runs`): one row per (repository, feature): the owner lease across clones
 *   (claimed when free or lapsed by the database's clock, renewed by heartbeat) and the
 *   registry entry others read: who drives, from which machine and clone, the packages under
 *   way and their write scopes.
 * - Cancel requests (`waves_runs.cancel_requests`): `waves cancel --coordinator` from any clone
 *   appends one to the feature's live row; the driver's next heartbeat takes them (each once)
 *   and cancels as a request from its own clone would.
 * - Planned claims (`waves_planned_claims`): an approved plan's write scopes, file
 *   locks and lock keys per package, with who approved it where — for other features' plans to
 *   see before they run. Replaced as a whole per feature; removed by a run of the feature that
 *   succeeds, or when its planning session is discarded.
 *
 * The engine's lock store over it (the last answer, releases kept while it is away) is
 * coordinatorLockStore.ts. Every value goes in as a query parameter. No message shows a password (`redactSecrets`).
 */
import os from 'node:os';
import type { Pool, PoolClient } from 'pg';
import { expireLocks, type LockTable } from '../../core/run/lockTable';
import { lockTableChanges, redactSecrets, type PlannedClaim, type PlannedClaimInput, type PlannedClaimKind, type RegisteredPackage, type RegisteredRun } from '../../core/coordinator/sharedCoordinator';
import { CoordinatorError, CoordinatorUnavailableError } from './lockStore';
import { CoordinatorLockStore } from './coordinatorLockStore';
import { migrateSchema } from './pgSchema';
import { PgWorkQueue } from './pgQueue';

/** A cancel request from another clone (or this one), as its row keeps it. */
export interface CancelRequest {
  /** One package, or null: the whole run. */
  packageId: string | null;
  /** Who asked, from which machine and clone. */
  driver: string;
  host: string;
  clone: string;
  /** When, on the asking machine's clock (for the message only). */
  at: string;
}

/** The requests of a row, each kept only when well-formed (a row written by anything else is not trusted). */
function parseCancelRequests(raw: unknown): CancelRequest[] {
  if (!Array.isArray(raw)) return [];
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return raw.flatMap((r: unknown) => {
    if (!r || typeof r !== 'object') return [];
    const o = r as Record<string, unknown>;
    if (o.packageId !== null && (typeof o.packageId !== 'string' || o.packageId === '')) return [];
    return [{ packageId: o.packageId as string | null, driver: text(o.driver), host: text(o.host), clone: text(o.clone), at: text(o.at) }];
  });
}

/** Clients given a listener for their 'error' event (once each). */
const listened = new WeakSet<PoolClient>();

/** How long a listener waits before it connects again after losing its connection. */
const LISTEN_RETRY_MS = 3_000;

/** Errors that mean the database is out of reach (not a refusal of a query). */
function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^(ECONN|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|ENOENT|EAI_)/.test(code)) return true;
  if (/^(08|57P0[1-3]|53300)/.test(code)) return true; // connection exceptions, shutdown, too many connections
  const message = typeof e?.message === 'string' ? e.message : '';
  // A query that got no answer in time (a server that hangs) is out of reach too: the engine waits, never fails a package for it.
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|ECONNREFUSED|Query read timeout/i.test(message);
}

export interface RunClaim {
  featureId: string;
  runId: string;
  ownerId: string;
  leaseMs: number;
  driver: string;
  clone: string;
}

/** Another driver holds the feature's run (in the coordinator). */
export class CoordinatorLeaseHeldError extends Error {
  readonly code = 'coordinator-lease-held';
  constructor(readonly holder: RegisteredRun) {
    super(
      `this run is driven by ${holder.driver} on ${holder.host} (${holder.clone}, pid ${holder.pid}), last heartbeat ${holder.heartbeatAt} — in the shared coordinator`,
    );
    this.name = 'CoordinatorLeaseHeldError';
  }
}

/**
 * `pg`, loaded when the first coordinator opens: without one the extension and the CLI start
 * without it (its load pulls in TLS, DNS and, through its runtime check, Node's fetch).
 */
let pgModule: typeof import('pg') | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadPg = (): typeof import('pg') => (pgModule ??= require('pg') as typeof import('pg'));

export class PgCoordinator {
  private readonly pool: Pool;
  private closed = false;
  private readonly listeners = new Set<{ close(): void }>();

  private constructor(
    /** The URL with its password hidden: for messages. */
    readonly where: string,
    readonly repoKey: string,
    private readonly url: string,
    private readonly connectTimeoutMs: number,
  ) {
    this.pool = new (loadPg().Pool)({
      connectionString: url,
      max: 3,
      connectionTimeoutMillis: connectTimeoutMs,
      idleTimeoutMillis: 10_000,
      allowExitOnIdle: true,
      application_name: 'wave-orchestrator',
      // A query left hanging by a dead server ends; the engine treats it as out of reach.
      query_timeout: Math.max(connectTimeoutMs, 5_000),
      // A transaction whose client stopped (a frozen process) is ended by the server, and the
      // repository's advisory lock with it: no clone waits behind it for ever.
      idle_in_transaction_session_timeout: 30_000,
    });
    // An idle client whose server went away emits 'error': without a listener Node would crash.
    this.pool.on('error', () => undefined);
  }

  /** Connects, migrates the schema and returns the coordinator of `repoKey`. Throws `CoordinatorUnavailableError` or `CoordinatorError`. */
  static async open(url: string, repoKey: string, options: { connectTimeoutMs?: number } = {}): Promise<PgCoordinator> {
    const where = redactSecrets(url);
    let coordinator: PgCoordinator;
    try {
      coordinator = new PgCoordinator(where, repoKey, url, options.connectTimeoutMs ?? 5_000);
    } catch (err) {
      throw new CoordinatorError(`The coordinator ${where} could not be used: ${(err as Error).message}`);
    }
    try {
      await coordinator.migrate();
    } catch (err) {
      await coordinator.close();
      throw err;
    }
    return coordinator;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const l of [...this.listeners]) l.close();
    await this.pool.end().catch(() => undefined);
  }

  /**
   * Hears PostgreSQL's `NOTIFY` on `channel` (a plain identifier) on a connection of its own, not
   * the pool's; a lost connection is made again every few seconds until `close()`. What is sent
   * while it is away is not heard: a listener is a hint to look sooner, never the only way a
   * change is seen (the caller still polls).
   */
  listen(channel: string, onNotify: (payload: string) => void): { close(): void } {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new CoordinatorError(`not a channel name: ${channel}`);
    let client: import('pg').Client | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let closed = false;
    const again = () => {
      client?.removeAllListeners();
      void client?.end().catch(() => undefined); // already broken: its end is all that is left of it
      client = null;
      if (!closed) timer = setTimeout(connect, LISTEN_RETRY_MS);
    };
    const connect = () => {
      if (closed) return;
      const c = new (loadPg().Client)({ connectionString: this.url, connectionTimeoutMillis: this.connectTimeoutMs, application_name: 'wave-orchestrator-listen' });
      client = c;
      c.on('error', again);
      c.on('end', () => client === c && again());
      c.on('notification', (n) => n.channel === channel && onNotify(n.payload ?? ''));
      c.connect()
        .then(() => c.query(`LISTEN ${channel}`))
        .catch(() => client === c && again());
    };
    const listener = {
      close: () => {
        closed = true;
        clearTimeout(timer);
        this.listeners.delete(listener);
        const c = client;
        client = null;
        c?.removeAllListeners();
        c?.on('error', () => undefined);
        void c?.end().catch(() => undefined); // closing: nothing to tell anyone
      },
    };
    this.listeners.add(listener);
    connect();
    return listener;
  }

  /** One transaction; connection trouble becomes `CoordinatorUnavailableError`, any other error a `CoordinatorError`. */
  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new CoordinatorError(`The coordinator ${this.where} was closed.`);
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new CoordinatorUnavailableError(this.where, err);
    }
    let broken = false;
    // A checked-out client whose server goes away (pg_ctl stop, a restart) emits 'error' on
    // itself, now or later: without a listener Node would crash. The query under way fails on
    // its own, and the client is thrown away below.
    if (!listened.has(client)) {
      listened.add(client);
      client.on('error', () => undefined);
    }
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      if (err instanceof CoordinatorError || err instanceof CoordinatorUnavailableError || err instanceof CoordinatorLeaseHeldError) throw err;
      if (isConnectionError(err)) {
        broken = true;
        throw new CoordinatorUnavailableError(this.where, err);
      }
      throw new CoordinatorError(`The coordinator ${this.where} refused a request: ${(err as Error).message}`);
    } finally {
      client.release(broken ? true : undefined);
    }
  }

  /** Pull workers' queue of this repository (ADR 0037), over this coordinator's connections. */
  queue(leaseMs?: number): PgWorkQueue {
    return new PgWorkQueue((work) => this.transaction(work), this.repoKey, leaseMs, (channel, onNotify) => this.listen(channel, onNotify));
  }

  // -- Schema ------------------------------------------------------------------------------

  private async migrate(): Promise<void> {
    await this.transaction((db) => migrateSchema(db, this.where));
  }

  /** The schema version the database is at. */
  async schemaVersion(): Promise<number> {
    return this.transaction(async (db) => {
      const { rows } = await db.query<{ version: number | null }>('SELECT max(version) AS version FROM waves_schema_migrations');
      return rows[0]?.version ?? 0;
    });
  }

  // -- Locks -------------------------------------------------------------------------------

  private async readLocks(db: PoolClient): Promise<LockTable> {
    const { rows } = await db.query<{
      kind: 'file' | 'key';
      key: string;
      feature_id: string;
      holder: string;
      run_id: string;
      acquired_at: Date;
      expires_at: Date | null;
    }>('SELECT kind, key, feature_id, holder, run_id, acquired_at, expires_at FROM waves_locks WHERE repo_key = $1 ORDER BY acquired_at, kind, key', [this.repoKey]);
    return {
      version: 1,
      locks: rows.map((r) => ({
        key: r.key,
        kind: r.kind,
        featureId: r.feature_id,
        holder: r.holder,
        runId: r.run_id,
        acquiredAt: r.acquired_at.toISOString(),
        expiresAt: r.expires_at ? r.expires_at.toISOString() : null,
      })),
    };
  }

  private async writeLocks(db: PoolClient, before: LockTable, after: LockTable): Promise<void> {
    const { remove, write } = lockTableChanges(before, after);
    for (const e of [...remove, ...write])
      await db.query('DELETE FROM waves_locks WHERE repo_key = $1 AND kind = $2 AND key = $3 AND feature_id = $4 AND holder = $5', [
        this.repoKey,
        e.kind,
        e.key,
        e.featureId,
        e.holder,
      ]);
    for (const e of write)
      await db.query(
        'INSERT INTO waves_locks (repo_key, kind, key, feature_id, holder, run_id, acquired_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [this.repoKey, e.kind, e.key, e.featureId, e.holder, e.runId, e.acquiredAt, e.expiresAt],
      );
  }

  /**
   * All or nothing across every clone: the repository's advisory lock for the transaction, the
   * rows as they are, lapsed ones dropped, `fn` decides, the changed rows written.
   */
  async updateLocks(fn: (table: LockTable) => LockTable, now: () => Date = () => new Date()): Promise<LockTable> {
    return this.transaction(async (db) => {
      await db.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [this.repoKey]);
      const read = await this.readLocks(db);
      const live = expireLocks(read, now()).table;
      const next = fn(live);
      const target = next === live ? live : next;
      if (target !== read) await this.writeLocks(db, read, target);
      return target;
    });
  }

  /** The repository's lock rows now (lapsed ones included). */
  async locks(): Promise<LockTable> {
    return this.transaction((db) => this.readLocks(db));
  }

  /** A `LockStore` for one engine: `read()` is the last answer (live entries), kept fresh by `refresh()` and every update. */
  lockStore(options: { onProblem?: (message: string) => void; clock?: () => Date } = {}): CoordinatorLockStore {
    return new CoordinatorLockStore(this, options.onProblem ?? (() => undefined), options.clock ?? (() => new Date()));
  }

  // -- Runs: the lease across clones and the registry ---------------------------------------

  /** Claims the feature's run row: free, lapsed (by the database's clock) or already ours. Throws `CoordinatorLeaseHeldError` naming the holder. */
  async claimRun(claim: RunClaim): Promise<void> {
    await this.transaction(async (db) => {
      const { rowCount } = await db.query(
        `INSERT INTO waves_runs (repo_key, feature_id, run_id, owner_id, driver, host, clone, pid, lease_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (repo_key, feature_id) DO UPDATE SET
           run_id = EXCLUDED.run_id, owner_id = EXCLUDED.owner_id, driver = EXCLUDED.driver, host = EXCLUDED.host,
           clone = EXCLUDED.clone, pid = EXCLUDED.pid, lease_ms = EXCLUDED.lease_ms, packages = '[]'::jsonb,
           acquired_at = now(), heartbeat_at = now()
         WHERE waves_runs.owner_id = EXCLUDED.owner_id
            OR waves_runs.heartbeat_at + waves_runs.lease_ms * interval '1 millisecond' < now()`,
        [this.repoKey, claim.featureId, claim.runId, claim.ownerId, claim.driver, os.hostname(), claim.clone, process.pid, claim.leaseMs],
      );
      if (rowCount === 1) return;
      const holder = (await this.readRuns(db, claim.featureId))[0];
      if (holder) throw new CoordinatorLeaseHeldError(holder);
      throw new CoordinatorError(`The coordinator ${this.where} neither gave nor named the lease of ${claim.featureId}.`);
    });
  }

  /**
   * Takes the run row over from `fromOwnerId` (only while it still names that owner): for a
   * claimant that knows the holder is gone — a driver of the same clone on the same machine whose
   * file lease this claimant now holds. False when the row changed meanwhile.
   */
  async takeOverRun(claim: RunClaim, fromOwnerId: string): Promise<boolean> {
    return this.transaction(async (db) => {
      const { rowCount } = await db.query(
        `UPDATE waves_runs SET run_id = $4, owner_id = $5, driver = $6, host = $7, clone = $8, pid = $9, lease_ms = $10,
           packages = '[]'::jsonb, acquired_at = now(), heartbeat_at = now()
         WHERE repo_key = $1 AND feature_id = $2 AND owner_id = $3`,
        [this.repoKey, claim.featureId, fromOwnerId, claim.runId, claim.ownerId, claim.driver, os.hostname(), claim.clone, process.pid, claim.leaseMs],
      );
      return rowCount === 1;
    });
  }

  /**
   * Renews the heartbeat and the packages under way, and takes the cancel requests made since the
   * last renewal (each is given once); null when the row is no longer this owner's (lost).
   */
  async renewRun(featureId: string, ownerId: string, runId: string, packages: RegisteredPackage[]): Promise<{ cancels: CancelRequest[] } | null> {
    return this.transaction(async (db) => {
      const { rows } = await db.query<{ cancel_requests: unknown }>(
        'SELECT cancel_requests FROM waves_runs WHERE repo_key = $1 AND feature_id = $2 AND owner_id = $3 FOR UPDATE',
        [this.repoKey, featureId, ownerId],
      );
      if (rows.length === 0) return null;
      await db.query(
        `UPDATE waves_runs SET heartbeat_at = now(), packages = $4::jsonb, run_id = $5, cancel_requests = '[]'::jsonb
         WHERE repo_key = $1 AND feature_id = $2 AND owner_id = $3`,
        [this.repoKey, featureId, ownerId, JSON.stringify(packages), runId],
      );
      return { cancels: parseCancelRequests(rows[0]!.cancel_requests) };
    });
  }

  /**
   * Asks the driver of the feature's live run — on any clone — to cancel it, or one package: the
   * request waits in the run's row for the driver's next heartbeat. Returns that run, or null when
   * no live run of the feature is registered (nobody would take the request).
   */
  async requestCancel(featureId: string, packageId: string | null, by: { driver: string; clone: string }): Promise<RegisteredRun | null> {
    return this.transaction(async (db) => {
      const request: CancelRequest = { packageId, driver: by.driver, host: os.hostname(), clone: by.clone, at: new Date().toISOString() };
      const { rowCount } = await db.query(
        `UPDATE waves_runs SET cancel_requests = cancel_requests || $3::jsonb
         WHERE repo_key = $1 AND feature_id = $2 AND heartbeat_at + lease_ms * interval '1 millisecond' >= now()`,
        [this.repoKey, featureId, JSON.stringify([request])],
      );
      if (rowCount !== 1) return null;
      return (await this.readRuns(db, featureId))[0] ?? null;
    });
  }

  /** Removes the run's row when it is still this owner's. */
  async releaseRun(featureId: string, ownerId: string): Promise<void> {
    await this.transaction((db) => db.query('DELETE FROM waves_runs WHERE repo_key = $1 AND feature_id = $2 AND owner_id = $3', [this.repoKey, featureId, ownerId]));
  }

  private async readRuns(db: PoolClient, featureId?: string): Promise<RegisteredRun[]> {
    const { rows } = await db.query<{
      feature_id: string;
      run_id: string;
      owner_id: string;
      driver: string;
      host: string;
      clone: string;
      pid: number;
      packages: unknown;
      heartbeat_at: Date;
      lease_ms: number;
      db_now: Date;
    }>(
      `SELECT feature_id, run_id, owner_id, driver, host, clone, pid, packages, heartbeat_at, lease_ms, now() AS db_now
       FROM waves_runs WHERE repo_key = $1 AND ($2::text IS NULL OR feature_id = $2) ORDER BY feature_id`,
      [this.repoKey, featureId ?? null],
    );
    return rows.map((r) => ({
      featureId: r.feature_id,
      runId: r.run_id,
      ownerId: r.owner_id,
      driver: r.driver,
      host: r.host,
      clone: r.clone,
      pid: r.pid,
      // The heartbeat as an age on this machine's clock: clocks of other machines never decide liveness.
      heartbeatAt: new Date(Date.now() - (r.db_now.getTime() - r.heartbeat_at.getTime())).toISOString(),
      leaseMs: r.lease_ms,
      packages: parsePackages(r.packages),
    }));
  }

  /** The registry: every run of the repository in the coordinator (lapsed ones included; `isLiveRun` tells). */
  async listRuns(): Promise<RegisteredRun[]> {
    return this.transaction((db) => this.readRuns(db));
  }

  // -- Planned claims ----------------------------------------------------------

  /** Replaces every planned claim of `featureId` with `claims` (one transaction); returns how many rows it holds now. */
  async replacePlannedClaims(
    featureId: string,
    by: { planId: string; driver: string; clone: string },
    claims: readonly PlannedClaimInput[],
  ): Promise<number> {
    return this.transaction(async (db) => {
      await db.query('DELETE FROM waves_planned_claims WHERE repo_key = $1 AND feature_id = $2', [this.repoKey, featureId]);
      if (claims.length === 0) return 0;
      const { rowCount } = await db.query(
        `INSERT INTO waves_planned_claims (repo_key, feature_id, package_id, kind, key, plan_id, driver, host, clone)
         SELECT $1, $2, t.package_id, t.kind, t.key, $6, $7, $8, $9
         FROM unnest($3::text[], $4::text[], $5::text[]) AS t(package_id, kind, key)
         ON CONFLICT DO NOTHING`,
        [this.repoKey, featureId, claims.map((c) => c.packageId), claims.map((c) => c.kind), claims.map((c) => c.key), by.planId, by.driver, os.hostname(), by.clone],
      );
      return rowCount ?? 0;
    });
  }

  /** Removes the planned claims of `featureId` (only those approved by the session `planId` when given); returns how many. */
  async removePlannedClaims(featureId: string, planId?: string): Promise<number> {
    return this.transaction(async (db) => {
      const { rowCount } = await db.query('DELETE FROM waves_planned_claims WHERE repo_key = $1 AND feature_id = $2 AND ($3::text IS NULL OR plan_id = $3)', [
        this.repoKey,
        featureId,
        planId ?? null,
      ]);
      return rowCount ?? 0;
    });
  }

  /** Every planned claim of the repository, by feature, package, kind and key. */
  async plannedClaims(): Promise<PlannedClaim[]> {
    return this.transaction(async (db) => {
      const { rows } = await db.query<{
        feature_id: string;
        package_id: string;
        kind: PlannedClaimKind;
        key: string;
        plan_id: string;
        driver: string;
        host: string;
        clone: string;
        approved_at: Date;
      }>(
        `SELECT feature_id, package_id, kind, key, plan_id, driver, host, clone, approved_at FROM waves_planned_claims
         WHERE repo_key = $1 ORDER BY feature_id, package_id, kind, key`,
        [this.repoKey],
      );
      return rows.map((r) => ({
        featureId: r.feature_id,
        packageId: r.package_id,
        kind: r.kind,
        key: r.key,
        planId: r.plan_id,
        driver: r.driver,
        host: r.host,
        clone: r.clone,
        approvedAt: r.approved_at.toISOString(),
      }));
    });
  }
}

function parsePackages(raw: unknown): RegisteredPackage[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((p) => {
    const r = p as Partial<RegisteredPackage>;
    if (typeof r?.id !== 'string' || typeof r.status !== 'string' || !Array.isArray(r.writes)) return [];
    return [{ id: r.id, status: r.status, writes: r.writes.filter((w): w is string => typeof w === 'string') }];
  });
}

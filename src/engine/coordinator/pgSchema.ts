/**
 * The shared coordinator's schema on PostgreSQL (ADR 0012): its steps in order, and the
 * migration that applies the missing ones under a transaction-level advisory lock (two clones
 * migrating at once apply each step once), one row per version in `waves_schema_migrations`.
 * A database of a newer schema is refused with a clear message, never changed.
 */
import type { PoolClient } from 'pg';
import { CoordinatorError } from './lockStore';

/** The schema's steps, in order; the number of the last one is the version this build writes. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE waves_locks (
     repo_key    text NOT NULL,
     kind        text NOT NULL CHECK (kind IN ('file', 'key')),
     key         text NOT NULL,
     feature_id  text NOT NULL,
     holder      text NOT NULL,
     run_id      text NOT NULL,
     acquired_at timestamptz NOT NULL,
     expires_at  timestamptz,
     PRIMARY KEY (repo_key, kind, key, feature_id, holder)
   );
   CREATE TABLE waves_runs (
     repo_key     text NOT NULL,
     feature_id   text NOT NULL,
     run_id       text NOT NULL,
     owner_id     text NOT NULL,
     driver       text NOT NULL,
     host         text NOT NULL,
     clone        text NOT NULL,
     pid          integer NOT NULL,
     packages     jsonb NOT NULL DEFAULT '[]'::jsonb,
     acquired_at  timestamptz NOT NULL DEFAULT now(),
     heartbeat_at timestamptz NOT NULL DEFAULT now(),
     lease_ms     integer NOT NULL,
     PRIMARY KEY (repo_key, feature_id)
   );`,
  // 2: the planned claims of approved plans — what each package will write and lock.
  `CREATE TABLE waves_planned_claims (
     repo_key    text NOT NULL,
     feature_id  text NOT NULL,
     package_id  text NOT NULL,
     kind        text NOT NULL CHECK (kind IN ('write', 'file', 'key')),
     key         text NOT NULL,
     plan_id     text NOT NULL,
     driver      text NOT NULL,
     host        text NOT NULL,
     clone       text NOT NULL,
     approved_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (repo_key, feature_id, package_id, kind, key)
   );`,
  // 3: cancel requests for a run's driver from anywhere (`waves cancel --coordinator`), taken by its heartbeat.
  `ALTER TABLE waves_runs ADD COLUMN cancel_requests jsonb NOT NULL DEFAULT '[]'::jsonb;`,
  // 4: pull workers (ADR 0037): the work queue, with leases and a fencing number, and the workers.
  `CREATE TABLE waves_queue (
     repo_key    text NOT NULL,
     feature_id  text NOT NULL,
     run_id      text NOT NULL,
     package_id  text NOT NULL,
     attempt     integer NOT NULL,
     agent       text NOT NULL,
     labels      text[] NOT NULL DEFAULT '{}',
     plan_file   text NOT NULL,
     plan_hash   text NOT NULL,
     base_ref    text NOT NULL,
     base_sha    text NOT NULL,
     work_order  jsonb NOT NULL,
     state       text NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'claimed', 'done', 'dead')),
     worker      text,
     fence       bigint NOT NULL DEFAULT 0,
     tries       integer NOT NULL DEFAULT 0,
     max_tries   integer NOT NULL,
     lease_until timestamptz,
     reason      text,
     report      jsonb,
     enqueued_at timestamptz NOT NULL DEFAULT now(),
     updated_at  timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (repo_key, feature_id, run_id, package_id, attempt)
   );
   CREATE INDEX waves_queue_claimable ON waves_queue (repo_key, enqueued_at) WHERE state IN ('ready', 'claimed');
   CREATE TABLE waves_workers (
     repo_key     text NOT NULL,
     name         text NOT NULL,
     machine      text NOT NULL,
     agents       text[] NOT NULL,
     labels       text[] NOT NULL DEFAULT '{}',
     slots        integer NOT NULL,
     draining     boolean NOT NULL DEFAULT false,
     started_at   timestamptz NOT NULL DEFAULT now(),
     heartbeat_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (repo_key, name)
   );`,
  // 5: a worker's own lease (`waves worker --lease`), so the views judge its silence by it.
  `ALTER TABLE waves_workers ADD COLUMN lease_ms integer NOT NULL DEFAULT 120000;`,
  // 6: a worker's agent talks back (ADR 0037): each call of its `waves` tools, relayed to the driver and answered; the worker deletes it once read.
  `CREATE TABLE waves_talk (
     id          bigserial PRIMARY KEY,
     repo_key    text NOT NULL,
     feature_id  text NOT NULL,
     run_id      text NOT NULL,
     package_id  text NOT NULL,
     attempt     integer NOT NULL,
     fence       bigint NOT NULL,
     worker      text NOT NULL,
     call        jsonb NOT NULL,
     answer      jsonb,
     asked_at    timestamptz NOT NULL DEFAULT now(),
     taken_at    timestamptz,
     answered_at timestamptz
   );
   CREATE INDEX waves_talk_open ON waves_talk (repo_key, feature_id, run_id) WHERE answer IS NULL;`,
];
export const COORDINATOR_SCHEMA_VERSION = MIGRATIONS.length;

/** A fixed advisory-lock key for migrations (any bigint; ours spells "waves"). */
const MIGRATION_LOCK = 0x7761766573;

/** Brings the schema to `COORDINATOR_SCHEMA_VERSION` inside the transaction `db`; `where` names the coordinator in a message. */
export async function migrateSchema(db: PoolClient, where: string): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
  await db.query('CREATE TABLE IF NOT EXISTS waves_schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
  const { rows } = await db.query<{ version: number | null }>('SELECT max(version) AS version FROM waves_schema_migrations');
  const at = rows[0]?.version ?? 0;
  if (at > COORDINATOR_SCHEMA_VERSION)
    throw new CoordinatorError(
      `The coordinator ${where} has schema version ${at}; this build knows version ${COORDINATOR_SCHEMA_VERSION}. Update Wave Orchestrator; the database is left as it is.`,
    );
  for (let v = at + 1; v <= COORDINATOR_SCHEMA_VERSION; v++) {
    await db.query(MIGRATIONS[v - 1]!);
    await db.query('INSERT INTO waves_schema_migrations (version) VALUES ($1)', [v]);
  }
}

/**
 * A pull worker's agent talks back (ADR 0037, with ADR 0036's tools): each call of its `waves`
 * MCP server — checked on the worker first (its attempt's token, its rate, its size) — is put in
 * `waves_talk` under the worker's claim, and only while that claim is the package's current one
 * (its fence). The driver takes its run's calls, answers each through its own socket for that
 * attempt (its token, its rate, its answers: as for an attempt on this machine) and writes the
 * answer back; the worker reads it and deletes the row. A call of a claim no longer current is
 * never answered, and is deleted. Every value is a query parameter.
 */
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { QueueItem } from '../../core/coordinator/workQueue';
import { CoordinatorError, isCoordinatorUnavailable } from './lockStore';

type Transaction = <T>(work: (db: PoolClient) => Promise<T>) => Promise<T>;
type Listen = (channel: string, onNotify: (payload: string) => void) => { close(): void };

/** A call's answer, as the run gives it to the agent's MCP server. */
export interface RelayedAnswer {
  text: string;
  isError: boolean;
}

/** A call the driver takes to answer. */
export interface RelayedCall {
  id: string;
  packageId: string;
  attempt: number;
  name: unknown;
  arguments: unknown;
}

/** The claim a call is made under: its package's attempt and the claim's fence. */
export interface TalkClaim {
  item: Pick<QueueItem, 'featureId' | 'runId' | 'packageId' | 'attempt'>;
  fence: number;
}

/** The most characters an answer keeps (the MCP server's own bound on a line). */
const MAX_ANSWER_CHARS = 64 * 1024;
/** How often a waiting call looks for its answer without a notification. */
const LOOK_MS = 1_000;

const isAnswer = (v: unknown): v is RelayedAnswer => !!v && typeof v === 'object' && typeof (v as RelayedAnswer).text === 'string' && typeof (v as RelayedAnswer).isError === 'boolean';

export class PgTalk {
  /** The answers' channel, heard once the first call waits (closed with the coordinator); the calls waiting, by id. */
  private told: { close(): void } | null = null;
  private readonly waiting = new Map<string, () => void>();

  constructor(
    private readonly transaction: Transaction,
    private readonly repoKey: string,
    private readonly listen?: Listen,
  ) {}

  /** The repository's channels: a call made (for the drivers), a call answered (for the workers; its id). */
  private channel(kind: 'talk' | 'told'): string {
    return `waves_${kind}_${createHash('sha256').update(this.repoKey).digest('hex').slice(0, 24)}`;
  }

  // -- The worker's side -------------------------------------------------------------------

  /**
   * Makes the call under `claim` and waits for the driver's answer, at most `waitMs` or until
   * `signal` (the claim lost, the agent gone). The coordinator away meanwhile: it waits on.
   * Never throws: what went wrong is the answer's error, for the agent to read and go on.
   */
  async call(claim: TalkClaim, worker: string, name: unknown, args: unknown, signal: AbortSignal, waitMs: number): Promise<RelayedAnswer> {
    let id: string | null;
    try {
      id = await this.transaction(async (db) => {
        const { rows } = await db.query<{ id: string }>(
          `INSERT INTO waves_talk (repo_key, feature_id, run_id, package_id, attempt, fence, worker, call)
           SELECT repo_key, feature_id, run_id, package_id, attempt, fence, worker, $8::jsonb FROM waves_queue
           WHERE repo_key = $1 AND feature_id = $2 AND run_id = $3 AND package_id = $4 AND attempt = $5 AND worker = $6 AND fence = $7 AND state = 'claimed'
           RETURNING id`,
          [this.repoKey, claim.item.featureId, claim.item.runId, claim.item.packageId, claim.item.attempt, worker, claim.fence, JSON.stringify({ name, arguments: args })],
        );
        if (rows[0]) await db.query('SELECT pg_notify($1, $2)', [this.channel('talk'), JSON.stringify([claim.item.featureId, claim.item.runId])]);
        return rows[0]?.id ?? null;
      });
    } catch (err) {
      return { text: `the run could not be reached: ${err instanceof Error ? err.message : String(err)}`, isError: true };
    }
    if (id === null) return { text: 'refused: this worker no longer holds your package; stop', isError: true };
    const answer = await this.answerOf(id, signal, waitMs).catch((err: unknown): RelayedAnswer => ({ text: `the run's answer could not be read: ${err instanceof Error ? err.message : String(err)}`, isError: true }));
    if (answer) return answer;
    await this.transaction((db) => db.query('DELETE FROM waves_talk WHERE id = $1', [id])).catch(() => undefined); // the coordinator away: the driver deletes it with its claim
    return { text: signal.aborted ? 'the run stopped this attempt' : `the run did not answer in ${Math.round(waitMs / 60_000)} minutes; go on with your work`, isError: true };
  }

  /** The answer to call `id` once written (read and deleted at once), or null: none in time. */
  private async answerOf(id: string, signal: AbortSignal, waitMs: number): Promise<RelayedAnswer | null> {
    const until = Date.now() + waitMs;
    let wake: (() => void) | null = null;
    // One connection hears every answer for this process's calls (a listener is a connection of its own).
    this.told ??= this.listen?.(this.channel('told'), (answered) => this.waiting.get(answered)?.()) ?? null;
    this.waiting.set(id, () => wake?.());
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      while (!signal.aborted && Date.now() < until) {
        try {
          const read = await this.transaction(async (db) => {
            const { rows } = await db.query<{ answer: unknown }>('DELETE FROM waves_talk WHERE id = $1 AND answer IS NOT NULL RETURNING answer', [id]);
            if (rows[0]) return { answer: rows[0].answer };
            // Gone unanswered: the driver deleted it, its claim no longer the package's.
            return (await db.query('SELECT 1 FROM waves_talk WHERE id = $1', [id])).rowCount ? null : { gone: true };
          });
          if (read && 'gone' in read) return { text: 'refused: this worker no longer holds your package; stop', isError: true };
          if (read) return isAnswer(read.answer) ? read.answer : { text: 'the run answered with something that is not an answer', isError: true };
        } catch (err) {
          if (!isCoordinatorUnavailable(err)) throw err;
          // away: looked at again in a moment
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(LOOK_MS, Math.max(0, until - Date.now())));
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = null;
      }
      return null;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.waiting.delete(id);
    }
  }

  // -- The driver's side -------------------------------------------------------------------

  /** `onCall` when a worker made a call (for any run of the repository); null without a listener. A hint: the driver looks every so often too. */
  onCall(onCall: () => void): { close(): void } | null {
    return this.listen?.(this.channel('talk'), () => onCall()) ?? null;
  }

  /**
   * The run's calls not yet taken, each made under its package's current claim: marked taken, so
   * no second look relays one twice. Calls of claims no longer current are deleted (their worker
   * stopped: nobody waits for them).
   */
  async takeCalls(featureId: string, runId: string): Promise<RelayedCall[]> {
    return this.transaction(async (db) => {
      await db.query(
        `DELETE FROM waves_talk t WHERE t.repo_key = $1 AND t.feature_id = $2 AND t.run_id = $3 AND t.answer IS NULL AND NOT EXISTS (
           SELECT 1 FROM waves_queue q WHERE q.repo_key = t.repo_key AND q.feature_id = t.feature_id AND q.run_id = t.run_id AND q.package_id = t.package_id
             AND q.attempt = t.attempt AND q.worker = t.worker AND q.fence = t.fence AND q.state = 'claimed')`,
        [this.repoKey, featureId, runId],
      );
      const { rows } = await db.query<{ id: string; package_id: string; attempt: number; call: unknown }>(
        `UPDATE waves_talk SET taken_at = now() WHERE repo_key = $1 AND feature_id = $2 AND run_id = $3 AND answer IS NULL AND taken_at IS NULL
         RETURNING id, package_id, attempt, call`,
        [this.repoKey, featureId, runId],
      );
      return rows.map((r) => {
        const call = (r.call && typeof r.call === 'object' ? r.call : {}) as { name?: unknown; arguments?: unknown };
        return { id: String(r.id), packageId: r.package_id, attempt: r.attempt, name: call.name, arguments: call.arguments };
      });
    });
  }

  /** Answers call `id` (once: a second answer changes nothing); its worker hears at once. */
  async answer(id: string, answer: RelayedAnswer): Promise<void> {
    if (!isAnswer(answer)) throw new CoordinatorError('an answer is {text, isError}');
    const text = answer.text.length > MAX_ANSWER_CHARS ? `${answer.text.slice(0, MAX_ANSWER_CHARS - 1)}…` : answer.text;
    await this.transaction(async (db) => {
      const r = await db.query('UPDATE waves_talk SET answer = $2::jsonb, answered_at = now() WHERE id = $1 AND answer IS NULL', [id, JSON.stringify({ text, isError: answer.isError })]);
      if (r.rowCount) await db.query('SELECT pg_notify($1, $2)', [this.channel('told'), id]);
    });
  }
}

/**
 * The driver's side of pull workers (ADR 0037): an executor whose attempts run on whichever worker
 * claims them. Its trees, audits, verification and merges are this machine's, as a
 * `LocalExecutor`'s; only the agent runs elsewhere. Starting an attempt pushes its base to the
 * shared remote and queues a work order — its prompt with marks where the worker's paths go, its
 * dependencies' records; its end is read from the queue: the pushed commit fetched into the
 * attempt's own tree here, the agent's record and an exit record written beside the attempt, and
 * from there the engine judges it as any attempt's. A row's report is only ever the current
 * claim's (its fence), so a worker that lost its claim has nothing fetched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROMPT_PLACES, upstreamPlace, type QueueItem, type QueuedPackage, type VerifiedStep, type VerifyStep } from '../../core/coordinator/workQueue';
import { LocalExecutor, type AttemptPlace, type ExitRecord, type LaunchResult, type Liveness, type LocalExecutorOptions, type NeedsInputReadout, type PreparedTree, type RunnerSpec, type RunVerificationOptions, type StartRequest, type StepResult, type TalkRemote, type TreeRequest } from '../attempt';
import { isCoordinatorUnavailable, type PgWorkQueue } from '../coordinator';
import { git, GitError, isAncestor, revParse } from '../git';
import { writeAtomic } from '../../store/atomicWrite';
import { TALK_SERVER_SCRIPT } from '../talk';
import { keyText } from './queueKey';
import { TalkRelay } from './talkRelay';

export interface QueueExecutorOptions extends LocalExecutorOptions {
  queue: PgWorkQueue;
  /** The remote the workers fetch from and push to (a name of the driver's clone, or a URL). */
  remote: string;
  /** The plan file, repository-relative (`/`-separated), and its hash now: a worker checks both at the base. */
  plan: () => { file: string; hash: string };
  /** Labels a package's worker must have; none by default. */
  labelsOf?: (packageId: string) => readonly string[];
  /** The package's approved verification steps, run on the worker after its agent; none by default (verified here). */
  stepsOf?: (packageId: string) => VerifyStep[];
  /** How often the queue is read for an attempt's end, at most (ms); default 1 s. */
  pollMs?: number;
}

interface Queued {
  place: AttemptPlace;
  spec: RunnerSpec;
  prompt: string;
  runId: string;
}

export class QueueExecutor extends LocalExecutor {
  private readonly queued = new Map<string, Queued>();
  private readonly runOf = new Map<string, string>();
  private readonly baseOf = new Map<string, { ref: string; sha: string | null }>();
  private readonly looked = new Map<string, { at: number; item: QueueItem | null }>();
  private turns: Promise<unknown> = Promise.resolve();
  private readonly watchers = new Map<string, () => void>();
  private readonly reading = new Map<string, Promise<ExitRecord | null>>();
  private readonly reported = new Map<string, { worker: string; verification: VerifiedStep[] | null }>();
  private ends: { close(): void } | null = null;
  private readonly spent = new Set<string>();

  private readonly relay: TalkRelay;

  constructor(private readonly q: QueueExecutorOptions) {
    super({ ...q, pool: false });
    this.relay = new TalkRelay(q.queue.talk, q.featureId, q.pollMs ?? 1_000);
  }

  override attempt(runId: string, packageId: string, attempt: number): AttemptPlace {
    const place = super.attempt(runId, packageId, attempt);
    this.runOf.set(place.dir, runId);
    return place;
  }

  /**
   * The tree here, as a local attempt's; its base pushed to the shared remote for the worker, under
   * a branch of this attempt's own (`waves-bases/<feature>/<run>/<package>/<attempt>`): trees made
   * side by side from bases a merge apart never move one branch back under another's worker.
   */
  override async prepareTree(request: TreeRequest): Promise<PreparedTree> {
    const tree = await super.prepareTree(request);
    const { packageId, attempt } = request.attempt;
    const ref = `waves-bases/${this.q.featureId}/${this.runOf.get(request.attempt.dir) ?? 'run'}/${packageId}/${attempt}`;
    await this.inTurn(() => git(this.q.repoRoot, ['push', '--quiet', '--force', '--end-of-options', this.q.remote, `${tree.baseSha ?? request.base}:refs/heads/${ref}`]));
    this.baseOf.set(request.attempt.dir, { ref, sha: tree.baseSha });
    return tree;
  }

  /** Runs `call` when the pushes and fetches before it ended. */
  private inTurn<T>(call: () => Promise<T>): Promise<T> {
    const turn = this.turns.then(call);
    this.turns = turn.then(
      () => undefined,
      () => undefined, // its own caller hears of its failure; the next call goes on
    );
    return turn;
  }

  override talkServer(): string | null {
    return null; // the agent runs on a worker: its calls come through the queue (talkRemote)
  }

  /**
   * Its agent's calls of the run's tools, made on the worker and relayed through the queue
   * (talkRelay.ts): answered through the engine's socket for this attempt here. The server and
   * its configuration are the worker's own; the order asks the worker for them (`order.talk`).
   */
  talkRemote(): TalkRemote | null {
    return {
      command: 'node',
      script: TALK_SERVER_SCRIPT,
      quiet: async () => ({ codex: [], copilot: [] }), // the worker leaves off the servers of its own machine and of the package's tree
      open: async (place, localSocket, _config, token) => {
        const key = this.keyOf(place);
        if (!key) throw new Error(`${place.packageId}: its run is not known`);
        return this.relay.bridge(key, localSocket, token);
      },
    };
  }

  override async close(): Promise<void> {
    this.relay.stop();
    await this.dropSpent();
    await super.close();
  }

  override async writeAttempt(attempt: AttemptPlace, prompt: string, spec: RunnerSpec): Promise<void> {
    await super.writeAttempt(attempt, prompt, spec);
    this.queued.set(attempt.dir, { place: attempt, spec, prompt, runId: this.runOf.get(attempt.dir) ?? 'run' });
  }

  /** Queues the attempt's work order; its "runner" is the queue's row (`meta.json` written here, so a restart finds it). */
  override async start(request: StartRequest): Promise<LaunchResult> {
    const q = this.queued.get(request.attempt.dir);
    if (!q) throw new Error(`${request.attempt.packageId}: its attempt was not written before its start`);
    // Its tree is ready by now (the engine starts an attempt only then): its base was pushed.
    const base = this.baseOf.get(request.attempt.dir);
    if (!base?.sha) throw new Error(`${request.attempt.packageId}: its base is not known`);
    const { place, spec } = q;
    const upstream: Record<string, string> = {};
    // The paths only this machine has, longest first: the record, the attempt folder, the tree; the dependencies' records carried as texts.
    let prompt = q.prompt;
    const runs = path.join(this.q.repoRoot, '.waves', 'runs');
    for (const m of new Set(prompt.match(new RegExp(`${escapeRe(runs)}/[^\\s\`'"]+?/([A-Za-z0-9][A-Za-z0-9._:@-]*)/\\d+/result\\.json`, 'g')) ?? [])) {
      if (m === place.files.result) continue;
      const id = path.basename(path.dirname(path.dirname(m)));
      const text = await fs.promises.readFile(m, 'utf8').catch(() => null);
      if (text === null) continue;
      upstream[id] = text;
      prompt = prompt.split(m).join(upstreamPlace(id));
    }
    prompt = prompt.split(place.files.result).join(PROMPT_PLACES.resultFile).split(place.dir).join(PROMPT_PLACES.attemptDir).split(spec.cwd).join(PROMPT_PLACES.worktree);
    // The repository's root where it stands as one (not the start of a longer name).
    prompt = prompt.replace(new RegExp(`${escapeRe(this.q.repoRoot)}(?![A-Za-z0-9._-])`, 'g'), () => PROMPT_PLACES.repoRoot);
    const plan = this.q.plan();
    const steps = this.q.stepsOf?.(place.packageId) ?? [];
    const key = this.keyOf(place);
    const item: QueuedPackage = {
      featureId: this.q.featureId,
      runId: q.runId,
      packageId: place.packageId,
      attempt: place.attempt,
      agent: spec.agentId ?? 'custom',
      labels: this.q.labelsOf?.(place.packageId) ?? [],
      planFile: plan.file,
      planHash: plan.hash,
      baseRef: base.ref,
      baseSha: base.sha,
      maxTries: 3,
      order: { prompt, upstream, timeoutMs: spec.timeoutMs, ...(steps.length ? { verify: steps } : {}), ...(key && this.relay.has(key) ? { talk: true } : {}) },
    };
    await this.q.queue.enqueue([item]);
    await writeAtomic(place.files.meta, JSON.stringify({ startToken: request.startToken, runnerPid: null, queued: true }) + '\n');
    return { pid: null };
  }

  /**
   * Its end heard from the queue (PostgreSQL's NOTIFY on a report, a give-back or a give-up): the
   * engine looks at once, past `readExit`'s throttle. The engine's poll reads it all the same.
   */
  override watch(attempt: AttemptPlace, onChange: () => void): { close(): void } | null {
    const key = this.keyOf(attempt);
    if (!key) return null;
    const id = keyText(key);
    this.watchers.set(id, () => {
      this.looked.delete(attempt.dir);
      onChange();
    });
    this.ends ??= this.q.queue.onEnd((k) => this.watchers.get(keyText(k))?.());
    return {
      close: () => {
        this.watchers.delete(id);
        if (this.watchers.size === 0) {
          this.ends?.close();
          this.ends = null;
        }
      },
    };
  }

  override async readNeedsInput(): Promise<NeedsInputReadout> {
    return { present: false, reason: null };
  }

  /** Alive while the queue holds it (waiting for a worker, or claimed); its end is `readExit`'s. */
  override async liveness(attempt: AttemptPlace): Promise<Liveness> {
    let item: QueueItem | null;
    try {
      item = await this.itemOf(attempt, 0);
    } catch (err) {
      if (isCoordinatorUnavailable(err)) return { pid: null, alive: true }; // not known while the coordinator is away: held as alive, its lease the queue's to judge
      throw err;
    }
    return { pid: null, alive: item !== null && (item.state === 'ready' || item.state === 'claimed') };
  }

  override async cancel(attempt: AttemptPlace, at?: Date): Promise<void> {
    await super.cancel(attempt, at);
    const key = this.keyOf(attempt);
    if (key) await this.q.queue.cancel(key, 'cancelled by the run').catch(() => undefined); // the coordinator away: its lease lapses, and the engine's record says cancelled
  }

  /**
   * Its end: the exit record written here once the queue says so — done (the worker's commit
   * fetched into this attempt's tree, the agent's record beside it) or given up (dead).
   */
  override readExit(attempt: AttemptPlace): Promise<ExitRecord | null> {
    // One read at a time per attempt: the watch and the poll both ask, and taking a commit twice
    // would race the engine's own handling of the first (its tree merged and removed meanwhile).
    const under = this.reading.get(attempt.dir);
    if (under) return under;
    const read = this.readEnd(attempt).finally(() => this.reading.delete(attempt.dir));
    this.reading.set(attempt.dir, read);
    return read;
  }

  private async readEnd(attempt: AttemptPlace): Promise<ExitRecord | null> {
    const written = await super.readExit(attempt);
    if (written) return written;
    let item: QueueItem | null;
    try {
      item = await this.itemOf(attempt, this.q.pollMs ?? 1_000);
    } catch (err) {
      if (isCoordinatorUnavailable(err)) return null; // the coordinator away: its end is read when it answers
      throw err;
    }
    if (!item || item.state === 'ready' || item.state === 'claimed') return null;
    const started = await this.readStarted(attempt);
    const q = this.queued.get(attempt.dir);
    const base = { version: 1 as const, startToken: started?.startToken ?? '', signal: null, endedAt: new Date().toISOString(), durationMs: 0, timedOut: false, cancelled: false };
    const verdict = { reported: false, ok: false, detail: '', usageLimit: false };
    const baseRef = this.baseOf.get(attempt.dir)?.ref;
    if (item.state === 'dead' || !item.report) {
      await writeAtomic(attempt.files.exit, JSON.stringify({ ...base, code: null, reason: `no worker did it: ${item.reason ?? 'given up'}`, verdict }) + '\n');
      this.spend(baseRef);
      return super.readExit(attempt);
    }
    const { report } = item;
    const tree = q?.spec.cwd;
    if (!tree) return null;
    // The worker's commit into this attempt's tree here: it must be on the branch it names and grow
    // from this attempt's base (a fast-forward). What is not is not taken; the attempt ends saying why.
    const notTaken = await this.takeCommit(tree, report.branch, report.headSha, item.baseSha);
    if (notTaken) {
      await writeAtomic(attempt.files.exit, JSON.stringify({ ...base, code: null, reason: `the worker's work was not taken: ${notTaken}`, verdict }) + '\n');
      this.spend(baseRef); // the worker's branch stays, for whoever looks into why
      return super.readExit(attempt);
    }
    if (report.result !== null) await writeAtomic(attempt.files.result, report.result);
    this.reported.set(attempt.dir, { worker: item.worker ?? 'a worker', verification: report.verification ?? null });
    await writeAtomic(attempt.files.exit, JSON.stringify({ ...base, code: report.exitCode, reason: report.exitCode === 0 ? '' : report.detail, verdict }) + '\n');
    // Its commit is here now: neither its base nor the worker's branch is needed on the shared remote.
    this.spend(baseRef, report.branch);
    return super.readExit(attempt);
  }

  /** Branches of the shared remote no attempt needs any more: deleted in batches as the run goes, and at its end (`close`). */
  private spend(...refs: (string | undefined)[]): void {
    for (const ref of refs) if (ref) this.spent.add(ref);
    if (this.spent.size >= SPENT_BATCH) void this.dropSpent();
  }

  private async dropSpent(): Promise<void> {
    const refs = [...this.spent];
    this.spent.clear();
    if (!refs.length) return;
    await this.inTurn(() => git(this.q.repoRoot, ['push', '--quiet', '--end-of-options', this.q.remote, ...refs.map((r) => `:refs/heads/${r}`)])).catch(() => undefined); // the remote away: they stay there, each named by its run and attempt
  }

  /**
   * The verification: the worker's results when it ran exactly these steps on the commit taken
   * (it runs the approved steps its plan at the base gives the package, in its walls); else run
   * here, as any attempt's.
   */
  override async verify(options: RunVerificationOptions): Promise<StepResult[]> {
    const done = this.reported.get(options.attemptDir);
    const ran = done?.verification;
    if (done && ran && ran.length === options.steps.length && ran.every((r, i) => r.step === options.steps[i]!.step && r.command === options.steps[i]!.command)) {
      return ran.map((r) => ({ step: r.step, ok: r.ok, detail: `${r.detail} (on ${done.worker})` }));
    }
    return super.verify(options);
  }

  /** Fast-forwards `tree` to the worker's `head`, fetched from `branch`; why not, in words, or null once done. */
  private async takeCommit(tree: string, branch: string, head: string, baseSha: string): Promise<string | null> {
    // A worktree being made here meanwhile holds a placeholder HEAD that the fetch's connectivity check cannot read
    // ("bad object worktrees/…/HEAD"): tried again a few times before the work is refused.
    for (let tries = 1; ; tries++) {
      try {
        await this.inTurn(() => git(this.q.repoRoot, ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--end-of-options', this.q.remote, `refs/heads/${branch}`]));
        break;
      } catch (err) {
        if (tries < FETCH_TRIES) {
          await new Promise((r) => setTimeout(r, 250 * tries));
          continue;
        }
        return `${branch} could not be fetched from ${this.q.remote}: ${err instanceof GitError ? err.message.split('\n').slice(0, 2).join(' ') : String(err)}`;
      }
    }
    if ((await revParse(this.q.repoRoot, `${head}^{commit}`)) === null) return `its commit ${head.slice(0, 12)} is not on ${this.q.remote} ${branch}`;
    if (!(await isAncestor(this.q.repoRoot, baseSha, head))) return `its commit ${head.slice(0, 12)} does not grow from the package's base ${baseSha.slice(0, 12)}`;
    try {
      await git(tree, ['merge', '--ff-only', '--quiet', '--end-of-options', head]);
    } catch (err) {
      return `its commit ${head.slice(0, 12)} could not be fast-forwarded into the package's tree here: ${err instanceof GitError ? err.message.split('\n').slice(0, 2).join(' ') : String(err)}`;
    }
    return null;
  }

  /** The attempt's row, read at most every `everyMs`. */
  private async itemOf(attempt: AttemptPlace, everyMs: number): Promise<QueueItem | null> {
    const last = this.looked.get(attempt.dir);
    if (last && Date.now() - last.at < everyMs) return last.item;
    const key = this.keyOf(attempt);
    const item = key ? await this.q.queue.item(key.featureId, key.runId, key.packageId, key.attempt) : null;
    this.looked.set(attempt.dir, { at: Date.now(), item });
    return item;
  }

  private keyOf(attempt: AttemptPlace): { featureId: string; runId: string; packageId: string; attempt: number } | null {
    const runId = this.runOf.get(attempt.dir);
    return runId ? { featureId: this.q.featureId, runId, packageId: attempt.packageId, attempt: attempt.attempt } : null;
  }
}

/** Spent branches deleted from the shared remote in one push, at most this many at a time as the run goes. */
const SPENT_BATCH = 20;

/** How often a worker's branch is fetched before its work is refused. */
const FETCH_TRIES = 5;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

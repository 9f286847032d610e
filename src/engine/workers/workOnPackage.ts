/**
 * A claimed, checked package's work on a pull worker (ADR 0037): its tree from the base in the
 * worker's clone, its prompt with the worker's paths in place of the order's marks and its
 * dependencies' records beside its attempt, the agent inside the walls through the one attempt
 * supervisor (the runner, as every attempt here), what it left committed, the commit pushed to the
 * shared remote under a branch of this claim's own, and the report. The driver judges it as any
 * attempt's work: a worker never merges.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MAX_ORDER_CHARS, promptFor, type VerifyStep, type WorkReport } from '../../core/coordinator/workQueue';
import { analyzePlan } from '../../core/plan/analyze';
import type { AttemptEnd } from '../../core/agents/exitJudgement';
import { AttemptSupervisor, ConfinementUnavailableError, LocalExecutor, runnerSpec, wallsOption, type Confinement, type ExitRecord } from '../attempt';
import type { Claim, PgTalk } from '../coordinator';
import { git, revParse } from '../git';
import { agentOf, type WorkerPlace } from './claimChecks';
import { CLAIM_NOTE, type ClaimNote } from './leftovers';
import { workerTalk } from './workerTalk';

export interface WorkOptions {
  place: WorkerPlace;
  /** The walls (on unless the person who runs the worker chose otherwise). */
  confinement?: Confinement;
  /** The runner's bundle; default beside this one. */
  runnerScript?: string;
  /** Added to the agent's environment. */
  env?: Record<string, string>;
  /** The worker's name, noted beside the attempt (a worker started later in this clone stops what it left: leftovers.ts). */
  worker?: string;
  /** The queue's relay of the agent's calls to the run (an order that asks for it: `order.talk`); absent, its agent gets no `waves` tools. */
  talk?: PgTalk;
  /** What a person at the worker should hear of the agent's calls, in a sentence: one refused here before it was relayed, or the tools not given (their socket could not be made). */
  onTalkRefused?(packageId: string, said: string): void;
}

/** The branch a claim's work is pushed to: its own (the run, the package's attempt, the claim's fence), so no two claims ever push to one. */
export function workBranch(claim: Pick<Claim, 'item' | 'fence'>): string {
  return `waves-workers/${claim.item.featureId}/${claim.item.runId}/${claim.item.packageId}/${claim.item.attempt}.${claim.fence}`;
}

/** Does the package's work; `signal` stops the agent (its lease lost). Throws when it cannot be done here. */
export async function workOnPackage(claim: Claim, options: WorkOptions, signal: AbortSignal): Promise<WorkReport> {
  const { item } = claim;
  const { place } = options;
  const agent = agentOf(place, item.agent);
  if (!agent) throw new Error(`this worker knows no agent "${item.agent}"`);
  const walls = wallsOption(options.confinement);
  if ('unavailable' in walls) throw new ConfinementUnavailableError(walls.unavailable, walls.fix);
  const executor = new LocalExecutor({
    repoRoot: place.clone,
    featureId: item.featureId,
    pool: false,
    ...('walls' in walls ? { walls: walls.walls } : {}),
    ...(options.runnerScript ? { runnerScript: options.runnerScript } : {}),
  });
  const supervisor = new AttemptSupervisor(executor);
  // The base, exactly: a ref of its own at the queued commit (the branch may have moved on since).
  const base = `refs/waves-worker/base/${item.featureId}/${item.packageId}`;
  await git(place.clone, ['update-ref', '--end-of-options', base, item.baseSha]);
  // Its own folder per claim: the run's attempt and the claim's fence.
  const attempt = executor.attempt(`${item.runId}.${item.attempt}`, item.packageId, claim.fence);
  await fs.promises.mkdir(attempt.dir, { recursive: true });
  const note: ClaimNote = { featureId: item.featureId, runId: item.runId, packageId: item.packageId, attempt: item.attempt, fence: claim.fence, worker: options.worker ?? '' };
  await fs.promises.writeFile(path.join(attempt.dir, CLAIM_NOTE), JSON.stringify(note) + '\n');
  const tree = await executor.prepareTree({ packageId: item.packageId, isolated: true, base, reason: `Wave Orchestrator worker: ${item.featureId}/${item.packageId}, claim ${claim.fence}`, attempt, signal, ...(item.order.timeoutMs ? { timeoutMs: item.order.timeoutMs } : {}) });
  // Its dependencies' records beside its attempt; the prompt names them there.
  const upstream: Record<string, string> = {};
  const upstreamDir = path.join(attempt.dir, 'upstream');
  await fs.promises.mkdir(upstreamDir, { recursive: true });
  for (const [id, text] of Object.entries(item.order.upstream)) {
    const file = path.join(upstreamDir, `${id}.json`);
    await fs.promises.writeFile(file, text, { flag: 'wx' });
    upstream[id] = file;
  }
  const prompt = promptFor(item.order, { worktree: tree.worktree, resultFile: attempt.files.result, attemptDir: attempt.dir, repoRoot: place.clone, upstream });
  const token = randomBytes(16).toString('hex');
  // Its calls of the run's tools, relayed to the driver while the agent works (the driver asked for it, and the server is here).
  const talkEnds = new AbortController();
  const script = item.order.talk && options.talk ? executor.talkServer() : null;
  const talk = script && options.talk
    ? await workerTalk({ relay: options.talk, claim, worker: claim.item.worker ?? options.worker ?? '', attempt, worktree: tree.worktree, script, signal: AbortSignal.any([signal, talkEnds.signal]), onRefused: (why) => options.onTalkRefused?.(item.packageId, `its agent made a call refused here: ${why}`) }).catch((err: unknown) => {
        // Its socket or configuration could not be made: the agent works without the run's tools, as one here would.
        options.onTalkRefused?.(item.packageId, `its agent works without the run's tools: ${err instanceof Error ? err.message : String(err)}`);
        return null;
      })
    : null;
  const spec = runnerSpec({
    agent,
    place: attempt,
    worktree: tree.worktree,
    feature: item.featureId,
    token,
    walled: 'walls' in walls,
    env: { ...(options.env ?? {}), WAVES_PACKAGE_ID: item.packageId, WAVES_FEATURE_ID: item.featureId },
    timeoutMs: item.order.timeoutMs,
    ...(talk ? { talk: talk.server } : {}),
  });
  let end: AttemptEnd<ExitRecord>;
  try {
    await supervisor.write(attempt, prompt, spec);
    const running = await supervisor.start({ attempt, startToken: token, title: `waves worker: ${item.packageId} #${claim.fence}`, cwd: tree.worktree, interactive: false }, signal);
    end = await running.ended();
  } finally {
    talkEnds.abort();
    await talk?.close();
  }
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('the lease was lost');
  await executor.commitLeftovers(item.packageId, tree.worktree, `${item.packageId}: what its agent left (worker claim ${claim.fence})`);
  const head = await revParse(tree.worktree, 'HEAD');
  if (!head) throw new Error(`the tree of ${item.packageId} has no commit`);
  // The order's verification, on this commit, in the walls — only what the plan at the base gives
  // this package (its hash checked at the claim); else none here, and the driver verifies.
  const steps = item.order.verify ?? [];
  const verification = steps.length && end.exit?.code === 0 && !signal.aborted && (await stepsInPlan(place.clone, item.baseSha, item.planFile, item.packageId, steps))
    ? (await executor.verifyVouched({ planFile: path.join(place.clone, item.planFile), cwd: tree.worktree, attemptDir: attempt.dir, steps, signal })).map((r, i) => ({ step: r.step, command: steps[i]!.command, ok: r.ok, detail: r.detail }))
    : null;
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('the lease was lost');
  const branch = workBranch(claim);
  await git(place.clone, ['push', '--quiet', '--end-of-options', place.remote, `${head}:refs/heads/${branch}`]);
  const result = await readRecord(attempt.files.result);
  const detail = end.exit ? end.exit.reason || (end.judgement.end === 'clean' ? 'the agent ended' : `the agent exited ${end.exit.code ?? end.exit.signal}`) : end.lost;
  return { branch, headSha: head, exitCode: end.exit?.code ?? null, detail, result, ...(verification ? { verification } : {}) };
}

/** Whether the plan at `base` gives package `id` each of `steps` as a verification command (the name and the command). */
async function stepsInPlan(clone: string, base: string, planFile: string, id: string, steps: readonly VerifyStep[]): Promise<boolean> {
  const shown = await git(clone, ['show', '--end-of-options', `${base}:${planFile}`], [0, 128]);
  if (shown.code !== 0) return false;
  const pkg = analyzePlan(shown.stdout).plan.packages.find((p) => p.id === id);
  const given = (pkg?.verification?.steps ?? []).filter((s) => s.kind === 'command' && s.command);
  return steps.every((s) => given.some((g) => g.name === s.step && g.command === s.command));
}

/** The agent's result record, when it wrote one that is a regular file of a sane size; else null. */
async function readRecord(file: string): Promise<string | null> {
  try {
    const stat = await fs.promises.lstat(file);
    if (!stat.isFile() || stat.size > MAX_ORDER_CHARS) return null;
    return await fs.promises.readFile(file, 'utf8');
  } catch {
    // no record written: the driver judges the attempt without one, as any attempt's
    return null;
  }
}

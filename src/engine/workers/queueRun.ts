/**
 * A run on pull workers (ADR 0037), opened for either front end (`waves run --workers`, the
 * editor's `waves.workers.remote`): the coordinator opened for the plan's repository, what would
 * stop every worker checked once here (`workersStart`), and the executor that queues the run's
 * attempts for them with the plan's file and hash as they check them at the base.
 */
import path from 'node:path';
import type { VerifyStep } from '../../core/coordinator/workQueue';
import type { Executor, LocalExecutorOptions } from '../attempt';
import { CoordinatorError, CoordinatorUnavailableError, openCoordinator, type CoordinatorOptions } from '../coordinator';
import { loadPlan, repositoryRoot } from '../plan';
import { QueueExecutor } from './queueExecutor';
import { workersStart } from './workersStart';

export interface QueueRunRequest {
  /** The plan file: absolute, or relative to `process.cwd()`. */
  planFile: string;
  /** The plan as the person knows it, for messages; default `planFile`. */
  shown?: string;
  coordinator: CoordinatorOptions;
  /** The remote both this machine and the workers reach: a name of this clone's remotes, or a URL. */
  remote: string;
  /** The run's agent (its preset's id, or `custom`): whether a worker working now runs it is said. */
  agent: string;
}

/** What the run asks of its plan for an attempt it queues (the engine's `ExecutorRun`). */
export interface QueueRunPlan {
  requiresOf(packageId: string): readonly string[];
  approvedStepsOf(packageId: string): VerifyStep[];
}

/** The run's queue: the executor for the start request, what the person should hear at the start, and `close()` when the run ends. */
export interface QueueRun {
  executor: (local: LocalExecutorOptions, run: QueueRunPlan) => Executor;
  /** Nobody there to take some packages yet (they wait in the queue), in words. */
  notes: string[];
  close(): Promise<void>;
}

/**
 * The queue of a run of `request.planFile` on pull workers, or why it cannot be had (the plan not
 * in a repository, the coordinator refused or out of reach, the plan as the workers will read it
 * not this one): nothing is queued before the run starts. Other failures are thrown, the
 * coordinator closed first.
 */
export async function queueRun(request: QueueRunRequest): Promise<QueueRun | { problem: string }> {
  const { planFile, coordinator, remote, agent } = request;
  const repo = await repositoryRoot(path.dirname(path.resolve(planFile)));
  if (!repo) return { problem: `${request.shown ?? planFile} is not in a git repository` };
  let opened: Awaited<ReturnType<typeof openCoordinator>>;
  try {
    opened = await openCoordinator(repo, coordinator);
  } catch (err) {
    if (!(err instanceof CoordinatorError || err instanceof CoordinatorUnavailableError)) throw err;
    return { problem: err.message };
  }
  try {
    const source = await loadPlan(planFile);
    const queue = opened.queue();
    // Said once here rather than by every worker later: the plan they will read, and who is there to take what.
    const start = await workersStart(source, await queue.workers(), agent);
    if (start.problem) {
      await opened.close();
      return { problem: start.problem };
    }
    const plan = { file: path.relative(repo, source.file).split(path.sep).join('/'), hash: source.hash };
    return {
      executor: (local, run) => new QueueExecutor({ ...local, queue, remote, plan: () => plan, labelsOf: (id) => run.requiresOf(id), stepsOf: (id) => run.approvedStepsOf(id) }),
      notes: start.notes,
      close: () => opened.close(),
    };
  } catch (err) {
    await opened.close();
    if (!(err instanceof CoordinatorError || err instanceof CoordinatorUnavailableError)) throw err;
    return { problem: err.message };
  }
}

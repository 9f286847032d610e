/**
 * What a run on pull workers checks before it starts (ADR 0037), so the person hears it once at
 * the start instead of from every worker later: the plan as the workers will read it — from the
 * base each package starts from, the run's integration branch (or HEAD before the run's first
 * start) — must be the plan this run reads, byte for byte, or every worker gives every package
 * back ("a different plan"); and who is there to take the packages: no worker working now, or
 * none with the labels a package requires, is said (they wait in the queue until one comes).
 */
import path from 'node:path';
import { requiresOf } from '../../core/plan/placement';
import { integrationBranch } from '../../core/run/runPaths';
import type { WorkerRow } from '../coordinator';
import { git, revParse } from '../git';
import { planHash, type PlanSource } from '../plan';

export interface WorkersStart {
  /** Why the run cannot start on workers, in words; null when it may. */
  problem: string | null;
  /** What the person should know (nobody to take some packages yet). */
  notes: string[];
}

/**
 * The check of `source` (its repository, file and text) against the plan the workers will read,
 * and of its packages against `workers` (the repository's, as the queue lists them), each alive
 * within its own lease; `agent`: the run's agent (its preset's id, or `custom`), which its
 * packages run unless one names another.
 */
export async function workersStart(source: PlanSource, workers: readonly WorkerRow[], agent?: string): Promise<WorkersStart> {
  const repo = source.repo;
  if (!repo) return { problem: `${source.file} is not in a git repository: workers fetch their bases from a shared remote`, notes: [] };
  const file = path.relative(repo, source.file).split(path.sep).join('/');
  const branch = source.featureId ? integrationBranch(source.featureId) : null;
  const started = branch !== null && (await revParse(repo, `refs/heads/${branch}`)) !== null;
  const ref = started ? `refs/heads/${branch}` : 'HEAD';
  const shown = await git(repo, ['show', '--end-of-options', `${ref}:${file}`], [0, 128]);
  const where = started ? `the run's integration branch ${branch}` : 'HEAD';
  if (shown.code !== 0)
    return { problem: `${file} is not committed at ${where}: workers read the plan from the base each package starts from. Commit it (git add ${file} && git commit), then run again.`, notes: [] };
  if (planHash(shown.stdout) !== source.hash)
    return {
      problem: started
        ? `${file} changed since this run began: ${where} has it as it was then, and workers read the plan from there, so every one would give every package back. Put the plan back as it was, or start the run over (waves clean, then waves run).`
        : `${file} has changes that are not committed: workers read the plan from the base each package starts from (HEAD), so every one would give every package back. Commit it (git commit ${file}), then run again.`,
      notes: [],
    };
  const live = workers.filter((w) => !w.draining && w.silentMs <= w.leaseMs);
  const notes: string[] = [];
  if (live.length === 0) notes.push(`no worker is working for this repository now${workers.length ? ` (${workers.length} known: draining or silent)` : ''}: the packages wait in the queue until one claims them (waves worker --coordinator … in a clone that reaches the same remote)`);
  else if (agent !== undefined && !live.some((w) => w.agents.includes(agent)))
    notes.push(`no worker working now runs ${agent} (they run ${[...new Set(live.flatMap((w) => w.agents))].join(', ')}): its packages wait in the queue until one does (waves worker --agents ${agent}, or --agent-argv for a custom one)`);
  else
    for (const pkg of source.analysis.plan.packages) {
      const requires = requiresOf(pkg);
      if (requires.length && !live.some((w) => requires.every((l) => w.labels.includes(l))))
        notes.push(`${pkg.id} requires a worker with ${requires.join(', ')}: none working now has ${requires.length > 1 ? 'them all' : 'it'}, so it waits in the queue until one does`);
    }
  return { problem: null, notes };
}

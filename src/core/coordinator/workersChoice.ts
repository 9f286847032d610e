/**
 * Where a run started in the editor has its agents work (ADR 0037): `waves.workers.remote`, the
 * person's own setting, read with the other settings of the start — on pull workers through the
 * shared coordinator's queue, or not. `waves run --workers` decides the same with its flags.
 */
import { redactSecrets } from './sharedCoordinator';

/**
 * The run's packages queued for the pull workers that reach `remote`; or why the run cannot start
 * as set (`problem`); or the remote set where it counts for nothing (`unused`: no coordinator,
 * the agents run here). Null: no remote set.
 */
export type WorkersChoice = { remote: string } | { problem: string } | { unused: string } | null;

/**
 * `waves.workers.remote` (`value`, as the person set it) with what else the start has: a shared
 * coordinator (`waves.coordinator`, where the queue is) and hosts (`waves.hosts`, which place the
 * packages themselves).
 */
export function workersChoice(value: unknown, has: { coordinator: boolean; hosts: boolean }): WorkersChoice {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return null;
  if (typeof value !== 'string') return { problem: 'waves.workers.remote is a git remote: a name of this clone\'s remotes, or a URL.' };
  if (!has.coordinator) return { unused: `waves.workers.remote (${redactSecrets(value.trim())}) counts only with waves.coordinator, where the workers' queue is: the agents run here` };
  if (has.hosts)
    return { problem: 'waves.workers.remote and waves.hosts do not go together: the packages go to the pull workers or to the hosts, not both. Clear one of the two in your settings.' };
  return { remote: value.trim() };
}

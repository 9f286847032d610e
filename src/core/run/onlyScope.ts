/**
 * A run of some of a plan's packages (`waves run --only`, Run Package): a package of `only`
 * starts once each of its dependencies succeeded in the run it runs in, and one outside `only`
 * is never started there. Which of `only` would wait forever, before anything starts. Pure.
 */
import { isTerminal, type RunState } from './runState';

export interface OnlyWait {
  packageId: string;
  /** Its dependency outside `only` that has not succeeded in the run it would run in. */
  dependency: string;
  /** That dependency succeeded in the feature's last run: the package can run there (`resume`). */
  succeededInLast: boolean;
}

/**
 * Whether a start without `resume` begins a new run: there is no run state, or every package of
 * `only` the state has ended (as the engine decides: an interrupted one is not ended).
 */
export function startsNewRun(state: Pick<RunState, 'packages'> | null, only: readonly string[]): boolean {
  if (!state) return true;
  const records = only.filter((id) => Object.hasOwn(state.packages, id)).map((id) => state.packages[id]!);
  return records.every((r) => isTerminal(r.status) && r.status !== 'interrupted');
}

/**
 * The packages of `only` that could never start: a dependency outside `only` that has not
 * succeeded in the run they would run in — the feature's last run when it goes on (`resume`, or
 * one not ended), else a new one, where nothing has succeeded yet. `dependsOn`: each package's
 * dependencies (the run's ids).
 */
export function onlyWaits(only: readonly string[], dependsOn: (id: string) => readonly string[], state: Pick<RunState, 'packages'> | null, resume: boolean): OnlyWait[] {
  const inOnly = new Set(only);
  const fresh = !resume && startsNewRun(state, only);
  const succeeded = (id: string) => !!state && Object.hasOwn(state.packages, id) && state.packages[id]!.status === 'succeeded';
  const out: OnlyWait[] = [];
  for (const id of only)
    for (const dep of dependsOn(id)) if (!inOnly.has(dep) && (fresh || !succeeded(dep))) out.push({ packageId: id, dependency: dep, succeededInLast: succeeded(dep) });
  return out;
}

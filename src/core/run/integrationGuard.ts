/**
 * The integration guard's pure part (ADR 0025): which commands check the integration branch,
 * how a red tip is bisected over the merges since the last green one, what the guard keeps in the
 * run state (`IntegrationInfo.guard`) and the words people read. Disjoint write scopes make a
 * textual conflict impossible, not a broken integration: one package renames what another calls.
 */
import type { PlanPackage } from '../plan/model';
import type { GuardBlame, GuardCheck, GuardState, IntegrationInfo, RunState } from './runState';

/**
 * Whether a run checks its integration branch: as asked, else — a run taken up again — as it was
 * started or last taken up (its state keeps the guard's record, `off` once turned off), else off.
 */
export function guardOfRun(asked: boolean | undefined, state: Pick<RunState, 'integration'>, takenUp: boolean): boolean {
  const kept = state.integration?.guard;
  return asked ?? (takenUp && kept !== undefined && kept.status !== 'off');
}

/** Task types that name a plan's integration package (seed 000: `integrate`). */
const INTEGRATION_TASK_TYPES = ['integrate', 'integration'];

/** The checks of the integration branch: the approved `command` steps of the plan's integration packages, in plan order, once each. */
export function integrationChecks(packages: readonly PlanPackage[], approved: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of packages) {
    if (!INTEGRATION_TASK_TYPES.includes((p.taskType ?? '').toLowerCase())) continue;
    for (const s of p.verification?.steps ?? []) {
      if (s.kind === 'command' && s.command && approved.includes(s.command) && !out.includes(s.command)) out.push(s.command);
    }
  }
  return out;
}

/**
 * The next step of a bisect over `n` merges (index 0 the oldest after the last green tip, `n − 1`
 * the newest): the verdicts known so far by index (the newest is known red). Either the merge
 * to check next, or the first red one. A check answered green moves the low bound, red the high
 * one; n merges take at most ⌈log2 n⌉ checks beyond the tip's.
 */
export function bisectStep(n: number, known: ReadonlyMap<number, 'green' | 'red'>): { done: true; firstRed: number } | { done: false; probe: number } {
  if (n < 1) throw new RangeError('a bisect needs at least one merge');
  let lo = -1; // the last green tip: before the first merge
  let hi = n - 1; // the red tip
  for (const [i, v] of known) {
    if (i < 0 || i >= n) continue;
    if (v === 'green' && i > lo) lo = i;
    if (v === 'red' && i < hi) hi = i;
  }
  if (lo >= hi) return { done: true, firstRed: hi }; // contradictory answers (a flaky check): the earliest red
  if (hi - lo <= 1) return { done: true, firstRed: hi };
  return { done: false, probe: Math.floor((lo + hi) / 2) };
}

/** Most checks a run state keeps (the oldest dropped). */
export const MAX_GUARD_CHECKS = 200;

/** A guard state with `check` added (and its status moved as the check says). */
export function withCheck(guard: GuardState | undefined, check: GuardCheck): GuardState {
  const g: GuardState = guard ?? emptyGuard();
  const checks = [...g.checks, check].slice(-MAX_GUARD_CHECKS);
  if (check.purpose === 'bisect') return { ...g, checks };
  if (check.purpose === 'base') return { ...g, checks, ...(check.ok ? { greenTip: check.tip, status: 'green' as const } : { status: 'base-red' as const }) };
  return { ...g, checks, ...(check.ok ? { greenTip: check.tip, status: 'green' as const, blamed: null } : { status: 'red' as const }) };
}

export function emptyGuard(): GuardState {
  return { status: 'unknown', greenTip: null, checks: [], blamed: null };
}

/** The guard's state in a few words: `green`, `red: wp-b blamed (npm test)`, `checking`… */
export function guardText(info: Pick<IntegrationInfo, 'guard'> | null | undefined): string {
  const g = info?.guard;
  if (!g) return '';
  switch (g.status) {
    case 'green':
      return `integration checks green at ${g.greenTip?.slice(0, 8) ?? '?'}`;
    case 'checking':
      return 'integration checks running';
    case 'base-red':
      return 'integration checks fail at the base already: nobody is blamed';
    case 'off':
      return 'integration guard turned off';
    case 'red':
      if (!g.blamed) return 'integration red';
      if (g.blamed.outcome === 'no-retry') return `integration red: ${g.blamed.packageId} broke ${g.blamed.command} and has no retry left`;
      return `integration red: ${g.blamed.packageId} blamed (${g.blamed.command})`;
    default:
      return 'integration checks not run yet';
  }
}

/** How much of a failing check's output the run state keeps with the blame (the agent is sent more). */
export const GUARD_OUTPUT_CHARS = 4000;

/** The end of `output`, as kept with a blame. */
export function blameOutput(output: string): string {
  return output.length > GUARD_OUTPUT_CHARS ? output.slice(-GUARD_OUTPUT_CHARS) : output;
}

/**
 * The integration branch is red and the guard sends nothing more: whose merge broke it, the
 * failing check and what it printed, and what the person can do — for `waves status`, the report,
 * the DAG and the Waves view alike. null while the guard is not stuck (green, checking, or the
 * blamed package was sent the failure, or is at work again, and its next merge is checked).
 */
export function guardStuck(info: { guard?: GuardState; branch?: string } | null | undefined): { blame: GuardBlame; said: string; advice: string } | null {
  const g = info?.guard;
  const blame = g?.status === 'red' ? g.blamed : null;
  if (blame?.outcome !== 'no-retry') return null;
  const said = `${blame.packageId}'s merge broke the integration check \`${blame.command}\` and its retry budget is spent: it was not sent the failure, and what depends on it waits.`;
  const advice = `Raise ${blame.packageId}'s retry_budget in the plan and resume the run (its agent is then sent the failure), or fix it by hand on ${info?.branch ? `the branch ${info.branch}` : 'the integration branch'} and resume.`;
  return { blame, said, advice };
}

/** The time spent checking (ms), for the report's time metrics. */
export function guardTimeMs(guard: GuardState | undefined): number {
  return (guard?.checks ?? []).reduce((sum, c) => sum + c.ms, 0);
}

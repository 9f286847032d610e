/**
 * The plan format's defaults, written once: what a package gets for a field that neither it nor
 * the plan's `defaults` states. They are the `default`s of `schemas/work-packages.schema.json`
 * (a unit test holds the two together); the scheduler, the integration guard, the launcher, the
 * forecast and the editor's notifications all read them from here.
 */
import type { PlanDefaults, PlanPackage } from './model';

/** The run's cap when nobody set one (`waves.maxParallel`'s default; `--max-parallel`): at most this many attempts at once; a wider wave gets a warning. */
export const DEFAULT_MAX_PARALLEL = 10;

/** The run's cap from the value a person gave (none: the default): a whole number of at least 1. The one place the rule is written. */
export function capOf(maxParallel: number | undefined): number {
  return Math.max(1, Math.floor(maxParallel ?? DEFAULT_MAX_PARALLEL));
}

/** A setting's value a count option takes (`waves.maxParallel`, `waves.candidates`: the run options' `count` kind): a whole number ≥ 1. */
export function isCount(raw: unknown): raw is number {
  return typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 1;
}

/**
 * The cap the plan checks use (a wave too wide, a set of candidates above the cap) from
 * `waves.maxParallel`'s value as the editor reads it, with its run option's meaning (the `count`
 * kind, `isCount`): a value a run refuses (0, 2.5, "3") is no cap here either — NaN, and the checks
 * that need the cap say nothing (Run Plan refuses it, naming the setting); nothing set: the
 * default cap. Here, not in the run options, so the editor's activation takes none of them.
 */
export function planCheckCap(raw: unknown): number {
  if (raw === undefined || raw === null) return capOf(undefined);
  return isCount(raw) ? capOf(raw) : Number.NaN;
}
export const DEFAULT_PRIORITY = 5;
/** Extra attempts after a failed one: the scheduler's retries and the integration guard's follow-ups alike. */
export const DEFAULT_RETRY_BUDGET = 1;
export const DEFAULT_TIMEOUT_MINUTES = 60;
export const DEFAULT_LOCK_TTL_MINUTES = 120;

type Stated = Pick<PlanPackage, 'priority' | 'retryBudget' | 'timeoutMinutes'> | undefined;

/** How many attempts after a failed one the package may have: its own, else the plan's, else the format's. */
export function retryBudgetOf(pkg: Stated, defaults: PlanDefaults): number {
  return pkg?.retryBudget ?? defaults.retryBudget ?? DEFAULT_RETRY_BUDGET;
}

/** How long one attempt of the package may run, in minutes: its own, else the plan's, else the format's. */
export function timeoutMinutesOf(pkg: Stated, defaults: PlanDefaults): number {
  return pkg?.timeoutMinutes ?? defaults.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES;
}

export function priorityOf(pkg: Stated, defaults: PlanDefaults): number {
  return pkg?.priority ?? defaults.priority ?? DEFAULT_PRIORITY;
}

/** A package's locks' time to live, in minutes: its locks' own, else the plan's, else the format's. */
export function lockTtlMinutesOf(ttlMinutes: number | undefined, defaults: PlanDefaults): number {
  return ttlMinutes ?? defaults.lockTtlMinutes ?? DEFAULT_LOCK_TTL_MINUTES;
}

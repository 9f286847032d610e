/**
 * Planned claims in the shared coordinator (ADR 0013): approving a plan with a
 * coordinator configured registers what its packages will write and lock (`plannedClaimsOf`),
 * replacing the feature's earlier claims, so other features' plans see them as conflicts before
 * they run (`waves validate` / `waves plan` / `waves run` with a coordinator). A run of the
 * feature that succeeds, or discarding its planning session, removes them.
 *
 * Each call opens the coordinator, does one thing and closes it. None throws: a coordinator out
 * of reach (or refusing) gives `{ ok: false, message }` (its password hidden) and the caller says
 * so; nothing local ever depends on it. A run that meets another feature's planned lock key is
 * refused with `PlannedClaimConflictError` (run/joinCoordinator.ts).
 */
import type { Plan } from '../../core/plan/model';
import { plannedClaimsOf, plannedConflicts, plannedConflictText, redactSecrets, type PlannedClaim, type PlannedConflict } from '../../core/coordinator/sharedCoordinator';
import type { CoordinatorOptions } from './lockStore';
import { driverName, openCoordinator } from './openCoordinator';
import type { PgCoordinator } from './pgCoordinator';

/**
 * Another feature's approved plan claims a lock key this run's plan takes too: the run is refused,
 * nothing started. Not a `CoordinatorError`: the coordinator answered, and what refused the run is
 * another feature's claim.
 */
export class PlannedClaimConflictError extends Error {
  constructor(readonly conflicts: readonly PlannedConflict[]) {
    super(
      redactSecrets(
        `another feature's approved plan claims the same lock key${conflicts.length === 1 ? '' : 's'}:\n${conflicts.map((c) => `  ${plannedConflictText(c)}`).join('\n')}\n` +
          `Run after it (its run removes its planned claims when it succeeds), agree with its driver, or go ahead anyway (waves run --allow-planned-overlap).`,
      ),
    );
    this.name = 'PlannedClaimConflictError';
  }
}

export type SharedResult<T> = ({ ok: true } & T) | { ok: false; message: string };

async function withCoordinator<T extends object>(repoRoot: string, options: CoordinatorOptions, work: (c: PgCoordinator) => Promise<T>): Promise<SharedResult<T>> {
  let coordinator: PgCoordinator | undefined;
  try {
    coordinator = await openCoordinator(repoRoot, options);
    return { ok: true, ...(await work(coordinator)) };
  } catch (err) {
    return { ok: false, message: redactSecrets(err instanceof Error ? err.message : String(err)) };
  } finally {
    await coordinator?.close();
  }
}

/** Other features' planned claims that `plan` (of `featureId`) meets. */
export function conflictsWithPlanned(repoRoot: string, options: CoordinatorOptions, featureId: string, plan: Pick<Plan, 'packages'>): Promise<SharedResult<{ conflicts: PlannedConflict[] }>> {
  return withCoordinator(repoRoot, options, async (c) => ({ conflicts: plannedConflicts(featureId, plannedClaimsOf(plan), await c.plannedClaims()) }));
}

/**
 * Registers the claims of an approved `plan` as `featureId`'s planned claims (replacing its earlier
 * ones), approved by the session `planId` from the clone `repoRoot`; also says which other
 * features' planned claims they meet.
 */
export function registerPlannedClaims(
  repoRoot: string,
  options: CoordinatorOptions,
  input: { featureId: string; planId: string; plan: Pick<Plan, 'packages'> },
): Promise<SharedResult<{ registered: number; conflicts: PlannedConflict[] }>> {
  return withCoordinator(repoRoot, options, async (c) => {
    const claims = plannedClaimsOf(input.plan);
    const registered = await c.replacePlannedClaims(input.featureId, { planId: input.planId, driver: await driverName(repoRoot, options.driver), clone: repoRoot }, claims);
    return { registered, conflicts: plannedConflicts(input.featureId, claims, await c.plannedClaims()) };
  });
}

/** Removes `featureId`'s planned claims (only those of the session `planId` when given). */
export function removePlannedClaims(repoRoot: string, options: CoordinatorOptions, featureId: string, planId?: string): Promise<SharedResult<{ removed: number }>> {
  return withCoordinator(repoRoot, options, async (c) => ({ removed: await c.removePlannedClaims(featureId, planId) }));
}

/** Every planned claim of the repository in the coordinator (`waves plan --claims`). */
export function listPlannedClaims(repoRoot: string, options: CoordinatorOptions): Promise<SharedResult<{ claims: PlannedClaim[] }>> {
  return withCoordinator(repoRoot, options, async (c) => ({ claims: await c.plannedClaims() }));
}

/**
 * Releases `featureId`'s planned claims, whoever approved them (`waves plan --release-claims`):
 * the way out for claims whose planning session is gone with its clone. Exactly those read (by
 * their session: a plan approved again meanwhile keeps its new claims); says whose they were.
 * None of that feature: `released` empty, and the features that have some.
 */
export function releasePlannedClaims(repoRoot: string, options: CoordinatorOptions, featureId: string): Promise<SharedResult<{ released: PlannedClaim[]; others: string[] }>> {
  return withCoordinator(repoRoot, options, async (c) => {
    const all = await c.plannedClaims();
    const released = all.filter((x) => x.featureId === featureId);
    for (const planId of new Set(released.map((x) => x.planId))) await c.removePlannedClaims(featureId, planId);
    return { released, others: [...new Set(all.filter((x) => x.featureId !== featureId).map((x) => x.featureId))].sort() };
  });
}

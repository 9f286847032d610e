/**
 * Cancel, asked by a process that does not drive the run: from this clone through its `.waves/`
 * (`askDriverToCancel`: `waves cancel`, a window that follows the run), or from any clone through
 * the shared coordinator (`askCoordinatedDriverToCancel`: `waves cancel --coordinator`, the
 * Ownership view's "Other drivers"). The driver itself cancels with `engine.cancel(id?)`.
 */
import { ownerText } from '../../core/coordinator/sharedCoordinator';
import { cloneRoot, driverName, openCoordinator, type CoordinatorOptions } from '../coordinator';
import { describeDriver, driverOf, requestCancel } from '../run';

export type CancelAsk = { ok: true; driver: string } | { ok: false; why: string };

/**
 * Asks the process that drives the run (from any other process: `waves cancel`, a window that
 * follows the run) to cancel it, or one package (`RunEngine.requestCancel`). Refused when no
 * live lease says someone drives it: nobody would pick the request up.
 */
export async function askDriverToCancel(repo: string, featureId: string, packageId?: string, now: number = Date.now()): Promise<CancelAsk> {
  const driver = driverOf(repo, featureId, now);
  if (!driver?.alive) return { ok: false, why: `no engine drives ${featureId} now${driver ? ` (the lease of pid ${driver.pid} is stale: ${driver.stale})` : ''}` };
  await requestCancel(repo, featureId, packageId);
  return { ok: true, driver: describeDriver(driver) };
}

/**
 * Asks the driver of the feature's live run — from any clone, through the coordinator — to cancel
 * the run, or one package (`waves cancel --coordinator`): its next heartbeat (a few seconds; at
 * once when a package starts or ends) takes the request. `{ ok: false }` when no live run of the
 * feature is registered there. Throws `CoordinatorError` / `CoordinatorUnavailableError`.
 */
export async function askCoordinatedDriverToCancel(repoRoot: string, featureId: string, packageId: string | undefined, options: CoordinatorOptions): Promise<{ ok: true; driver: string; within: number } | { ok: false; why: string }> {
  const coordinator = await openCoordinator(repoRoot, options);
  try {
    const by = { driver: await driverName(repoRoot, options.driver), clone: await cloneRoot(repoRoot) };
    const run = await coordinator.requestCancel(featureId, packageId ?? null, by);
    if (!run) return { ok: false, why: `no run of ${featureId} is driven anywhere the coordinator ${coordinator.where} knows` };
    return { ok: true, driver: ownerText(run), within: Math.max(1, Math.ceil(run.leaseMs / 3 / 1000)) };
  } finally {
    await coordinator.close();
  }
}

/**
 * A run joins the shared coordinator (ADR 0012; docs/run-engine.md, "A shared coordinator"):
 * after the clone's own lease (which still guards the run state in `.waves/runs/`), it claims
 * the feature's run in the coordinator (one driver across every clone), takes its locks there
 * instead of `.waves/locks.json`, and heartbeats its registry entry — the packages under way and
 * their write scopes — for the other drivers to see.
 *
 * The rule when the coordinator goes away mid-run: running packages go on, exit, are audited and
 * merged as usual (merging needs no lock); no package starts (its locks cannot be taken, so it
 * waits, and the person is told once); releases are kept and done when it answers again; the
 * run state and the report stay in `.waves/` as always. When it answers again the run goes on
 * (the person is told). A heartbeat that finds another owner in the row stops driving the run
 * (as a lost lease does). Cancel stops a run that waits.
 *
 * Planned claims: at the start, other features' planned claims that this run's
 * packages meet are told, one problem each (feature, package, key, who); a lock key another
 * feature planned refuses the run (`PlannedClaimConflictError`) unless `allowPlannedOverlap`. A
 * run in which every package of the plan succeeded removes the feature's own planned claims.
 */
import os from 'node:os';
import { ownerText, plannedClaimsOf, plannedConflicts, plannedConflictText, registeredPackages, type PlannedConflict } from '../../core/coordinator/sharedCoordinator';
import { CoordinatorLeaseHeldError, driverName, isCoordinatorUnavailable, openCoordinator, PlannedClaimConflictError, type CancelRequest, type CoordinatorOptions } from '../coordinator';
import type { RunContext } from './context';
import type { LoopHandoffs } from './handoffs';
import { queueCancelRequest } from './recovery';
import { DEFAULT_LEASE_MS } from './lease';

/**
 * Joins the run of `ctx` to the coordinator; its locks go there from now on. Throws (and leaves
 * nothing behind) when the coordinator cannot be reached or another driver holds the run. The
 * loop is woken when a cancel comes through the coordinator.
 */
export async function joinCoordinator(ctx: RunContext, loop: LoopHandoffs, options: CoordinatorOptions): Promise<void> {
  const coordinator = await openCoordinator(ctx.repoRoot, options);
  const ownerId = ctx.lease?.ownerId ?? `${process.pid}@${os.hostname()}`;
  const leaseMs = ctx.options.leaseMs ?? DEFAULT_LEASE_MS;
  const claim = { featureId: ctx.featureId, runId: '', ownerId, leaseMs, driver: await driverName(ctx.repoRoot, options.driver), clone: ctx.repoRoot };
  try {
    await coordinator.claimRun(claim);
  } catch (err) {
    // A row of this very clone on this machine is a driver that is gone: this engine holds the
    // clone's file lease, which a live driver of the clone would hold (a crash, a window reload).
    const gone = err instanceof CoordinatorLeaseHeldError && err.holder.host === os.hostname() && err.holder.clone === ctx.repoRoot;
    if (!gone || !(await coordinator.takeOverRun(claim, err.holder.ownerId).catch(() => false))) {
      await coordinator.close();
      throw err;
    }
  }
  const locks = coordinator.lockStore({ onProblem: (message) => ctx.problem(message), clock: ctx.clock });
  ctx.joinedCoordinator(locks);

  /** Cancel requests made through the coordinator (`waves cancel --coordinator`, any clone): carried out as this clone's own. */
  const carryOutCancels = async (cancels: readonly CancelRequest[]): Promise<void> => {
    for (const c of cancels) {
      const what = c.packageId === null ? 'the run' : c.packageId;
      ctx.problem(`${ownerText(c)} asked through the coordinator to cancel ${what}.`, c.packageId ?? undefined);
      await queueCancelRequest(ctx.repoRoot, ctx.featureId, c.packageId ?? undefined).catch((err: unknown) =>
        ctx.problem(`The cancel of ${what} asked through the coordinator could not be passed on: ${(err as Error).message}`),
      );
    }
    loop.wake();
  };
  let away = false;
  let beating = false;
  let again = false;
  const beat = async (): Promise<void> => {
    if (ctx.stopped) return;
    if (beating) {
      again = true;
      return;
    }
    beating = true;
    try {
      const state = ctx.hasState ? ctx.state : undefined;
      const packages = state ? registeredPackages(state.packages, (id) => ctx.writeAllowOf(id)) : [];
      const renewed = await coordinator.renewRun(ctx.featureId, ownerId, state?.runId ?? '', packages);
      if (away) ctx.problem(`The coordinator ${coordinator.where} answers again; packages start again.`);
      away = false;
      if (!renewed) ctx.leaseLost();
      else if (renewed.cancels.length > 0) await carryOutCancels(renewed.cancels);
    } catch (err) {
      if (!away)
        ctx.problem(
          isCoordinatorUnavailable(err)
            ? `${err.message}. Running packages go on; no package starts until it answers again. Nothing local is lost: the run state stays in .waves/.`
            : `The coordinator ${coordinator.where}: ${(err as Error).message}`,
        );
      away = true;
    } finally {
      beating = false;
    }
    if (again) {
      again = false;
      await beat();
    }
  };
  const timer = setInterval(() => void beat(), Math.max(20, Math.floor(leaseMs / 3)));
  timer.unref();
  // A package that starts or ends is in the registry at once, not at the next heartbeat.
  const subscription = ctx.emitter.event((e) => {
    if (e.type === 'package') void beat();
  });
  ctx.onStop(() => {
    clearInterval(timer);
    subscription.dispose();
    // Releases kept while the coordinator was away are tried once more (a run that ended waited
    // for them first: loop.ts); then the row goes when it is still ours; then the connections
    // close. Releases it still cannot make leave those locks in the coordinator until the
    // feature runs again (or they lapse): said.
    void (async () => {
      // Every package of the plan succeeded: the feature's planned claims are done with.
      const done = ctx.hasState && ctx.analysis.plan.packages.every((p) => ctx.state.packages[p.id]?.status === 'succeeded');
      if (done) await coordinator.removePlannedClaims(ctx.featureId).catch(() => undefined);
      const left = locks.keptReleases();
      if (left > 0 && !(await locks.flush()))
        ctx.problem(`The coordinator ${coordinator.where} cannot be reached: ${left} lock release${left === 1 ? '' : 's'} of this run stay there until it runs again (or they lapse).`);
      await coordinator.releaseRun(ctx.featureId, ownerId).catch(() => undefined);
      await coordinator.close();
    })();
  });

  // Other features' planned claims this run meets: told; a lock key refuses (the engine stops, the hook above gives the row back).
  const only = ctx.options.only ? new Set(ctx.options.only) : null;
  const packages = ctx.analysis.plan.packages.filter((p) => !only || only.has(p.id));
  let planned: PlannedConflict[] = [];
  try {
    planned = plannedConflicts(ctx.featureId, plannedClaimsOf({ packages }), await coordinator.plannedClaims());
  } catch (err) {
    ctx.problem(`The coordinator ${coordinator.where}: other features' planned claims could not be read (${(err as Error).message}); the run goes on.`);
  }
  const exact = planned.filter((c) => c.exact);
  if (exact.length > 0 && !options.allowPlannedOverlap) throw new PlannedClaimConflictError(exact);
  for (const c of planned) ctx.problem(`Planned by another feature: ${plannedConflictText(c)}.`);
}

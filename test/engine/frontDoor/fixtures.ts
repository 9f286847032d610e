/**
 * Shared set-up of the front door's tests (src/engine/index.ts): a real repository holding a
 * plan, a run state written where the engine writes it, and owner leases live or stale.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { leaseFile, runStateFile } from '../../../src/core/run/runPaths';
import { createRunState } from '../../../src/core/run/runStateInit';
import type { RunState } from '../../../src/core/run/runState';
import { machineId, personId } from '../../../src/engine/consent/machine';
import { repoWithPlan, type TestPackage } from '../engineFixtures';

export { isolateGit } from '../engineFixtures';

/** A repository on `main` with the plan `work-packages.yaml` committed. */
export function planRepo(featureId: string, packages: readonly TestPackage[]): { repo: string; planFile: string } {
  return repoWithPlan(featureId, packages);
}

/** Marks a package of `state` ended with `status` after one attempt (the fields a valid state needs). */
export function ended(state: RunState, id: string, status: 'succeeded' | 'failed' | 'interrupted'): void {
  Object.assign(state.packages[id]!, { status, attempts: 1, startedAt: '2025-01-01T00:00:01.000Z', endedAt: '2025-01-01T00:00:02.000Z' });
}

/** A fresh run state of `ids` (all pending), written to `.waves/runs/<feature>.json`; returns it. */
export function writeRunState(repo: string, featureId: string, ids: readonly string[], edit: (s: RunState) => void = () => {}): RunState {
  const state = createRunState({ featureId, planFile: 'work-packages.yaml', runId: 'r1', packageIds: ids, now: new Date('2025-01-01T00:00:00.000Z') });
  // Started on this machine by this person, as the engine writes it (edit() may take it away: a foreign run).
  state.machine = machineId();
  state.person = personId();
  edit(state);
  fs.mkdirSync(path.dirname(runStateFile(repo, featureId)), { recursive: true });
  fs.writeFileSync(runStateFile(repo, featureId), JSON.stringify(state, null, 2) + '\n');
  return state;
}

/**
 * An owner lease of the feature's run: `live` — this process, heartbeat now; `stale` — a
 * heartbeat a minute older than the lease.
 */
export function writeLease(repo: string, featureId: string, kind: 'live' | 'stale', now = Date.now()): void {
  const at = new Date(kind === 'live' ? now : now - 60_000).toISOString();
  const record = { ownerId: `owner-${kind}`, pid: process.pid, hostname: os.hostname(), acquiredAt: at, heartbeatAt: at, leaseMs: 15_000 };
  fs.mkdirSync(path.dirname(leaseFile(repo, featureId)), { recursive: true });
  fs.writeFileSync(leaseFile(repo, featureId), JSON.stringify(record) + '\n');
}

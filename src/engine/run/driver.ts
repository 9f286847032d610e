/**
 * Who drives a feature's run: its owner lease (`.waves/runs/<name>.lease`, lease.ts), read
 * only — the process that holds it, and whether it is alive or stale. The one answer to "does
 * someone else drive this run?" for the CLI (`status`, `cancel`, `finish`), the editor (its
 * commands, the reconciler) and the finish offer. Never claims, moves or writes a lease.
 */
import { leaseFile } from '../../core/run/runPaths';
import { readLease, staleReason } from './lease';

export interface Driver {
  pid: number;
  hostname: string;
  ownerId: string;
  heartbeatAt: string;
  /** The lease is live: that process drives the run now. */
  alive: boolean;
  /** Why the lease is stale (its heartbeat stopped, its process is gone); null when alive. */
  stale: string | null;
}

/** The holder of the run's lease, alive or stale; null when nobody holds one. */
export function driverOf(repo: string, featureId: string, now: number = Date.now()): Driver | null {
  const lease = readLease(leaseFile(repo, featureId));
  if (!lease) return null;
  const stale = staleReason(lease, now);
  return { pid: lease.pid, hostname: lease.hostname, ownerId: lease.ownerId, heartbeatAt: lease.heartbeatAt, alive: stale === null, stale };
}

/** The process that drives the run now (a live lease), as `pid 123 on host`; null when none does. */
export function liveDriver(repo: string, featureId: string, now: number = Date.now()): string | null {
  const d = driverOf(repo, featureId, now);
  return d?.alive ? describeDriver(d) : null;
}

/** `pid 123 on host`. */
export function describeDriver(d: Pick<Driver, 'pid' | 'hostname'>): string {
  return `pid ${d.pid} on ${d.hostname}`;
}

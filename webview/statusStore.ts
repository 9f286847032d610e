import type { PackageStatus } from '../src/core/run/runState';
import type { PackageLiveStatus } from '../src/protocol';

/**
 * Live package statuses outside React state: a status change re-renders only the node that
 * shows it (read with useSyncExternalStore), never the whole flow. Wave headers and summary
 * nodes listen to their wave's packages (`subscribeMany`); every listener is called at most
 * once per batch of deltas.
 */
export class StatusStore {
  private readonly values = new Map<string, PackageLiveStatus>();
  private readonly listeners = new Map<string, Set<() => void>>();

  get(id: string): PackageLiveStatus | undefined {
    return this.values.get(id);
  }

  status(id: string): PackageStatus {
    return this.values.get(id)?.status ?? 'pending';
  }

  subscribe(id: string, listener: () => void): () => void {
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  /** One listener for several packages (a wave): called once per batch that touches any. */
  subscribeMany(ids: readonly string[], listener: () => void): () => void {
    const offs = ids.map((id) => this.subscribe(id, listener));
    return () => offs.forEach((off) => off());
  }

  /** Replace everything (a new `plan` message). */
  reset(statuses: readonly PackageLiveStatus[]): void {
    const before = [...this.values.keys()];
    this.values.clear();
    for (const s of statuses) this.values.set(s.id, s);
    this.notify([...before, ...this.values.keys()]);
  }

  /** Apply `status` deltas: each is the package's complete live status. */
  apply(deltas: readonly PackageLiveStatus[]): void {
    for (const d of deltas) this.values.set(d.id, d);
    this.notify(deltas.map((d) => d.id));
  }

  private notify(ids: readonly string[]): void {
    const called = new Set<() => void>();
    for (const id of ids) {
      for (const l of this.listeners.get(id) ?? []) {
        if (called.has(l)) continue;
        called.add(l);
        l();
      }
    }
  }
}

/** Statuses counted as done, active and failed in wave headers and summaries. */
export const DONE: ReadonlySet<PackageStatus> = new Set(['succeeded']);
export const ACTIVE: ReadonlySet<PackageStatus> = new Set(['queued', 'running', 'verifying']);
export const BAD: ReadonlySet<PackageStatus> = new Set(['failed', 'scope-violation', 'interrupted', 'blocked', 'cancelled']);

export function elapsed(startedAt: string | null, endedAt: string | null, now = Date.now()): string {
  if (!startedAt) return '';
  const start = Date.parse(startedAt);
  const end = endedAt ? Date.parse(endedAt) : now;
  if (!Number.isFinite(start) || !Number.isFinite(end)) return '';
  return durationText(end - start);
}

/** A duration as the panel says it: `42s`, `3m 5s`, `1h 2m`. */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

import type { PackageLiveStatus } from '../src/protocol';

/**
 * Live package statuses outside React state: a status change re-renders only the node that
 * shows it (read with useSyncExternalStore), never the whole flow.
 */
export class StatusStore {
  private readonly values = new Map<string, PackageLiveStatus>();
  private readonly listeners = new Map<string, Set<() => void>>();

  get(id: string): PackageLiveStatus | undefined {
    return this.values.get(id);
  }

  subscribe(id: string, listener: () => void): () => void {
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  /** Replace everything (a new `plan` message). */
  reset(statuses: readonly PackageLiveStatus[]): void {
    const before = new Set(this.values.keys());
    this.values.clear();
    for (const s of statuses) this.values.set(s.id, s);
    for (const id of new Set([...before, ...this.values.keys()])) this.notify(id);
  }

  /** Apply `status` deltas: each is the package's complete live status. */
  apply(deltas: readonly PackageLiveStatus[]): void {
    for (const d of deltas) {
      this.values.set(d.id, d);
      this.notify(d.id);
    }
  }

  private notify(id: string): void {
    this.listeners.get(id)?.forEach((l) => l());
  }
}

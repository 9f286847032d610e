import type { TimelineMessage, TimelineRowData } from '../src/protocol';

/**
 * The run timeline's data outside React state, as `StatusStore` keeps statuses: the host's
 * `timeline` messages are applied here, and the timeline view (when shown) re-draws on a change.
 * A hidden timeline costs only these map updates.
 */
export class TimelineStore {
  private readonly rows = new Map<string, TimelineRowData>();
  private readonly listeners = new Set<() => void>();
  cap: number | null = null;
  live = false;
  updatedAt: string | null = null;
  /** Bumped on every change: a cheap key for memoised views. */
  version = 0;

  get(id: string): TimelineRowData | undefined {
    return this.rows.get(id);
  }

  apply(message: TimelineMessage): void {
    if (message.full) this.rows.clear();
    for (const row of message.rows) this.rows.set(row.id, row);
    this.cap = message.cap;
    this.live = message.live;
    this.updatedAt = message.updatedAt;
    this.version++;
    for (const l of this.listeners) l();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

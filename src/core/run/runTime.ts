/**
 * Times of a run that the report and the timeline share (no other import, so the DAG panel's
 * bundle can take them): the longest dependency chain by time (`criticalPath`) and a duration
 * for a person (`formatDuration`). Pure.
 */

/**
 * The longest dependency chain by actual duration (packages without one weigh 0). Cycles and
 * unknown dependencies are ignored. Ties: the chain met first in plan order.
 */
export function criticalPath(plan: readonly { id: string; dependsOn: readonly { value: string }[] }[], duration: ReadonlyMap<string, number>): { ms: number; chain: string[] } {
  const byId = new Map(plan.map((p) => [p.id, p]));
  const best = new Map<string, { ms: number; prev: string | null }>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const done = best.get(id);
    if (done) return done.ms;
    if (visiting.has(id)) return 0; // a cycle: the plan is invalid there; do not loop
    visiting.add(id);
    let top = 0;
    let prev: string | null = null;
    for (const d of byId.get(id)?.dependsOn ?? []) {
      if (!byId.has(d.value) || d.value === id) continue;
      const ms = visit(d.value);
      if (prev === null || ms > top) {
        top = ms;
        prev = d.value;
      }
    }
    visiting.delete(id);
    const ms = top + (duration.get(id) ?? 0);
    best.set(id, { ms, prev });
    return ms;
  };
  let end: string | null = null;
  let max = -1;
  for (const p of plan) {
    const ms = visit(p.id);
    if (ms > max) {
      max = ms;
      end = p.id;
    }
  }
  const chain: string[] = [];
  const seen = new Set<string>();
  for (let at = end; at !== null && !seen.has(at); at = best.get(at)?.prev ?? null) {
    seen.add(at);
    chain.unshift(at);
  }
  return { ms: Math.max(0, max), chain: max > 0 ? chain : [] };
}

/** `1h 02m 03s`, `4m 05s`, `6.2s`, `0s`. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 60_000) return ms === 0 ? '0s' : `${Math.round(ms / 100) / 10}s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}h ${pad(m)}m ${pad(sec)}s` : `${m}m ${pad(sec)}s`;
}

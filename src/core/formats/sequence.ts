/** Dependencies implied by order: tasks in runs, a run of parallel-marked tasks sharing one step. */
import type { RawTask } from './foreignModel';

/** Consecutive parallel-marked tasks form one group; any other task is a group of its own. */
export function groupsOf(tasks: readonly RawTask[]): RawTask[][] {
  const groups: RawTask[][] = [];
  for (const t of tasks) {
    const last = groups[groups.length - 1];
    if (t.parallel && last && last[0].parallel) last.push(t);
    else groups.push([t]);
  }
  return groups;
}

/** `task` waits for each of `on`, implied (positioned on its own id). */
export function imply(task: RawTask, on: readonly RawTask[], reason: string): void {
  for (const o of on) {
    if (o === task || task.dependencies.some((d) => d.key === o.key)) continue;
    task.dependencies.push({ key: o.key, range: task.keyRange, kind: 'implied', reason });
  }
}

/** Each group waits for the group before it; returns the last group (what a next phase waits for). */
export function chain(groups: readonly RawTask[][], reason: string): RawTask[] {
  for (let i = 1; i < groups.length; i++) for (const t of groups[i]) imply(t, groups[i - 1], reason);
  return groups[groups.length - 1] ?? [];
}

/**
 * Drops each implied dependency that would close a cycle: the stated ones first, then the implied
 * ones in the order of the list, each kept unless what it points to already waits for its task.
 * The order of a list never adds a cycle the source does not state (a task stating that it waits
 * for a later one). `unitOf`: the package a task goes into (its key by default).
 */
export function dropCyclicImplied(tasks: readonly RawTask[], unitOf: (t: RawTask) => string = (t) => t.key): void {
  const at = new Map(tasks.map((t, i) => [t.key, i]));
  // Only a stated dependency on a task further down can close a cycle with the order.
  if (!tasks.some((t, i) => t.dependencies.some((d) => d.kind === 'explicit' && (at.get(d.key) ?? -1) > i))) return;
  const byKey = new Map(tasks.map((t) => [t.key, t]));
  const next = new Map<string, Set<string>>();
  const add = (from: string, to: string) => {
    const set = next.get(from) ?? new Set<string>();
    set.add(to);
    next.set(from, set);
  };
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>([from]);
    const stack = [from];
    while (stack.length) {
      const v = stack.pop()!;
      if (v === to) return true;
      for (const w of next.get(v) ?? []) {
        if (seen.has(w)) continue;
        seen.add(w);
        stack.push(w);
      }
    }
    return false;
  };
  for (const t of tasks) for (const d of t.dependencies) if (d.kind === 'explicit' && byKey.has(d.key)) add(unitOf(t), unitOf(byKey.get(d.key)!));
  for (const t of tasks) {
    t.dependencies = t.dependencies.filter((d) => {
      const target = byKey.get(d.key);
      if (d.kind === 'explicit' || !target) return true;
      const [from, to] = [unitOf(t), unitOf(target)];
      if (from === to) return true;
      if (reaches(to, from)) return false;
      add(from, to);
      return true;
    });
  }
}

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

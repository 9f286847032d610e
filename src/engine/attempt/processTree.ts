/**
 * The memory a process and everything it started hold (Linux `/proc`), for the runner's
 * per-agent memory limit (#32, ADR 0019): the sum of the resident sets of the process tree
 * under one pid, read without starting any process. Node built-ins only (bundled into dist/runner.js).
 */
import fs from 'node:fs';

/** Each process's parent, from `/proc/<pid>/stat` (its 4th field, after the command's parenthesised name). */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (Number.isInteger(ppid)) out.set(Number(name), ppid);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The resident set of one process in bytes (`VmRSS` of `/proc/<pid>/status`); 0 when gone or unreadable. */
function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The bytes resident in `root` and all its descendants; null where `/proc` cannot be read (not Linux). */
export function treeRss(root: number): number | null {
  if (process.platform !== 'linux') return null;
  const parentOf = parents();
  if (parentOf.size === 0) return null;
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parentOf) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  let total = 0;
  const todo = [root];
  const seen = new Set<number>();
  while (todo.length) {
    const pid = todo.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    total += rssOf(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return total;
}

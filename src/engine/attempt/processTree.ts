/**
 * A process and everything it started (Linux `/proc`), read without starting any process: for
 * the runner's per-agent memory limit (ADR 0019: the sum of the tree's resident sets) and
 * for its stop, which must reach every process of the tree — bubblewrap's sandbox runs in a
 * session of its own, outside the group the runner signals. Node built-ins only (bundled into
 * dist/runner.js).
 */
import fs from 'node:fs';

/** What `/proc/<pid>/stat` says of a process: its parent, its state letter and its start time (clock ticks after boot). */
interface ProcStat {
  ppid: number;
  state: string;
  start: string;
}

/** One process's `/proc/<pid>/stat` (fields after the command's parenthesised name); null when gone. */
function statOf(pid: number): ProcStat | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(f[1]);
    return Number.isInteger(ppid) ? { ppid, state: f[0] ?? '', start: f[19] ?? '' } : null;
  } catch {
    // gone: no stat to read
    return null;
  }
}

/** The pids `/proc` lists now; none where it cannot be read. */
function pids(): number[] {
  try {
    return fs
      .readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    // no /proc here: no pids to list
    return [];
  }
}

/**
 * How long the last reading of every process may stand for the next one's: a pid listed in both
 * within this time is the same process (the kernel gives pids in turn, and one comes back only
 * after every other below `pid_max` was given: 32,768 by default, and more on most machines).
 */
const REUSE_MS = 10_000;

/** The last reading of every process (`table`), and when. */
let lastTable: { at: number; procs: Map<number, ProcStat> } | null = null;

/**
 * Every process now, by pid. `/proc/<pid>/stat` is read only for a process the last reading (within
 * `REUSE_MS`) did not list, or whose parent it listed has gone since: its parent is then another
 * (reparented to a reaper, which may be inside an agent's tree: bubblewrap's first process). A
 * runner's memory watch reads the table every 2 s, and with 40 agents the machine holds hundreds of
 * processes: read whole each time, 40 runners read them all every 2 s. A state letter kept from an
 * earlier reading can be old: `stillRunning` reads it again.
 */
function table(): Map<number, ProcStat> {
  const now = Date.now();
  const last = lastTable && now - lastTable.at <= REUSE_MS && now >= lastTable.at ? lastTable.procs : null;
  const live = pids();
  const listed = new Set(live);
  const out = new Map<number, ProcStat>();
  for (const pid of live) {
    const was = last?.get(pid);
    const st = was && (was.ppid === 0 || listed.has(was.ppid)) ? was : statOf(pid);
    if (st) out.set(pid, st);
  }
  lastTable = { at: now, procs: out };
  return out;
}

/** `roots` and all their descendants among `procs`. */
function under(procs: Map<number, ProcStat>, roots: readonly number[]): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, st] of procs) children.set(st.ppid, [...(children.get(st.ppid) ?? []), pid]);
  const out: number[] = [];
  const todo = [...roots];
  const seen = new Set<number>();
  while (todo.length) {
    const pid = todo.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** A process as first seen: its pid and start time (a pid used again by another process has another). */
export interface SeenProcess {
  pid: number;
  start: string;
}

/**
 * `roots` and every process they started, as `/proc` has them now — also one that left their
 * process group or session (bubblewrap's sandbox calls setsid); empty where `/proc` cannot be read.
 */
export function processTree(roots: readonly number[]): SeenProcess[] {
  if (process.platform !== 'linux') return [];
  const procs = table();
  return under(procs, roots).flatMap((pid) => {
    const st = procs.get(pid);
    return st ? [{ pid, start: st.start }] : [];
  });
}

/**
 * The processes running `program` (their argv[0]) with `arg` (or one of a set) among their arguments, as `/proc` has
 * them now: an attempt's bubblewrap found by its attempt folder (which it binds) even when it is
 * nobody's child any more — stopped in its set-up, its parent gone before its own child had asked
 * to die with it. Empty where `/proc` cannot be read.
 */
export function processesRunning(program: string, arg: string | ReadonlySet<string>): SeenProcess[] {
  const named = typeof arg === 'string' ? (a: string) => a === arg : (a: string) => arg.has(a);
  if (process.platform !== 'linux') return [];
  const out: SeenProcess[] = [];
  for (const pid of pids()) {
    let argv: string[];
    try {
      argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      // gone since /proc was listed: not one of them
      continue;
    }
    if (argv[0] !== program || !argv.some(named)) continue;
    const st = statOf(pid);
    if (st) out.push({ pid, start: st.start });
  }
  return out;
}

/**
 * Ends, with SIGKILL, the processes running `program` with one of `args` among their arguments
 * (`processesRunning`): at once, and again a second later, for one forked meanwhile by a process
 * that was dying. For a bubblewrap left waiting by a parent that died in its set-up.
 */
export function killRunning(program: string, args: string | ReadonlySet<string>): void {
  const sweep = () => {
    for (const p of processesRunning(program, args)) {
      try {
        if (stillRunning(p)) process.kill(p.pid, 'SIGKILL');
      } catch {
        // ended meanwhile
      }
    }
  };
  sweep();
  setTimeout(sweep, 1000).unref();
}

/** Whether a process seen before still runs: the same pid with the same start time, and not a zombie. */
export function stillRunning(p: SeenProcess): boolean {
  const st = statOf(p.pid);
  return st !== null && st.start === p.start && st.state !== 'Z';
}

/** The resident set of one process in bytes (`VmRSS` of `/proc/<pid>/status`); 0 when gone or unreadable. */
function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    // gone or unreadable: nothing of it to count
    return 0;
  }
}

/** The bytes resident in `root` and all its descendants; null where `/proc` cannot be read (not Linux). */
export function treeRss(root: number): number | null {
  if (process.platform !== 'linux') return null;
  const procs = table();
  if (procs.size === 0) return null;
  return under(procs, [root]).reduce((total, pid) => total + rssOf(pid), 0);
}

/** Sends `sig` to a child started `detached` (a process group of its own) and all its group; nothing when it is gone. */
export function signalGroup(child: { pid?: number | undefined }, sig: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(process.platform === 'win32' ? child.pid : -child.pid, sig);
  } catch {
    // gone
  }
}

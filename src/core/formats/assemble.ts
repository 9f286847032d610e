/**
 * The tasks a reader found → the plan model: tasks grouped into packages where the format nests
 * them (a sub-task into its top-level task), dependencies resolved and lifted to packages (each
 * marked explicit or implied), and the diagnostics of what a safe parallel run still needs:
 * no write scope, a dependency only implied, two tasks that may run in parallel naming the same
 * file; and of bad input: duplicate ids, unknown references, cycles.
 */
import { inTextOrder, type Located, type Plan, type PlanPackage, type TextRange } from '../plan/model';
import { diag, type DependencyKind, type ForeignDiagnostic, type ForeignFormat, type RawRead, type RawTask } from './foreignModel';

export interface ForeignDependency {
  /** The package depended on. */
  id: string;
  kind: DependencyKind;
  reason: string;
  range: TextRange;
  /** The file `range` is into when it is not the package's own (a Spec Kitty dependency written in tasks.md). */
  file?: string;
}

/** What the plan model cannot say about a package read from a foreign format. */
export interface ForeignPackage {
  id: string;
  /** The source's ids of the tasks it holds, its own first. */
  sourceIds: string[];
  dependencies: ForeignDependency[];
  /** Files the source declares it writes (its write scope in the plan). */
  declaredWrites: Located<string>[];
  /** Paths its tasks' text names: a scope suggestion only. */
  writeGuesses: Located<string>[];
  phase?: string;
  /** Every task of it is checked off / closed in the source. */
  done: boolean;
  /** The file its ranges are into, when the plan is read from several files (a folder). */
  file?: string;
}

export interface ForeignPlanResult {
  /** The format read, or null when the file is none of them. */
  format: ForeignFormat | null;
  fileName: string;
  /** The plan model; every range is into the source text. */
  plan: Plan;
  /** Positioned diagnostics, in text order (read from several files: in file order, each with its `file`). */
  diagnostics: ForeignDiagnostic[];
  /** What the reader wants the person to know that belongs to no position. */
  notes: string[];
  /** Per package (same order as `plan.packages`): where its dependencies and scope come from. */
  packages: ForeignPackage[];
  /** Read from several files (a folder): those files, in the order read. */
  files?: string[];
}

/** A package id (`^[a-z][a-z0-9_-]{0,63}$`) from a source id: `T001` → `t001`, `1.2` → `task-1-2`. */
export function packageIdOf(key: string, prefix: string): string {
  let id = key
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(id)) id = `${prefix}-${id}`.replace(/-+$/, '');
  return id.slice(0, 64);
}

export function assemble(format: ForeignFormat, fileName: string, text: string, read: RawRead, idPrefix: string, featureTitle?: string, featureId?: string): ForeignPlanResult {
  const diagnostics = [...read.diagnostics];
  const notes = [...read.notes];

  // Duplicate ids: the first counts.
  const byKey = new Map<string, RawTask>();
  for (const task of read.tasks) {
    const first = byKey.get(task.key);
    if (first) {
      diagnostics.push(diag('error', 'foreign-duplicate-id', `Task id \`${task.key}\` is used twice; this one is left out (the first one is kept). Give it an id of its own.`, task.keyRange, null, task.file));
      continue;
    }
    byKey.set(task.key, task);
  }
  const tasks = [...byKey.values()];

  // Each task's package: its top-level task's, where folding it in adds no dependency cycle.
  const { top, apart } = foldNested(tasks, byKey);
  for (const task of tasks) {
    const loop = parentLoop(task, byKey);
    if (loop) diagnostics.push(diag('warning', 'foreign-parent-loop', `Task \`${task.key}\` is nested in itself (${[...loop, task.key].map((k) => `\`${k}\``).join(' in ')}): it becomes a package of its own.`, task.keyRange, null, task.file));
  }
  for (const task of tasks) {
    if (task.parent !== undefined && !byKey.has(task.parent)) {
      diagnostics.push(diag('warning', 'foreign-parent-unknown', `Task \`${task.key}\` is nested in \`${task.parent}\`, which is not in this file: it becomes a package of its own.`, task.keyRange, null, task.file));
    }
  }

  // Package ids, unique.
  const tops = tasks.filter((t) => top(t) === t);
  const idOf = new Map<string, string>();
  const used = new Set<string>();
  for (const t of tops) {
    const base = packageIdOf(t.key, idPrefix);
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base.slice(0, 60)}-${n}`;
    used.add(id);
    idOf.set(t.key, id);
  }
  const packageOf = (task: RawTask) => idOf.get(top(task).key)!;
  for (const { task, parent, loop } of apart) {
    diagnostics.push(
      diag(
        'info',
        'foreign-nested-apart',
        `\`${task.key}\` is a package of its own, not part of \`${parent.key}\`'s: folded into it, it would make a dependency cycle the source does not have (${loop.map((k) => `\`${k}\``).join(' → ')}).`,
        task.keyRange,
        packageOf(task),
        task.file,
      ),
    );
  }

  // Dependencies, lifted to packages: explicit wins over implied; one within a package is its internal order.
  const deps = new Map<string, Map<string, ForeignDependency>>();
  for (const t of tops) deps.set(idOf.get(t.key)!, new Map());
  for (const task of tasks) {
    const from = packageOf(task);
    for (const d of task.dependencies) {
      const target = byKey.get(d.key);
      if (!target) {
        diagnostics.push(diag('error', 'foreign-dependency-unknown', `Task \`${task.key}\` depends on \`${d.key}\`, which is not a task of ${task.file === undefined ? 'this file' : 'these files'}.`, d.range, from, d.file ?? task.file));
        continue;
      }
      const to = packageOf(target);
      if (to === from) continue;
      const mine = deps.get(from)!;
      const had = mine.get(to);
      if (!had || (had.kind === 'implied' && d.kind === 'explicit')) mine.set(to, { id: to, kind: d.kind, reason: d.reason, range: d.range, ...(d.file !== undefined && d.file !== task.file ? { file: d.file } : {}) });
    }
  }

  // Packages.
  const members = new Map<string, RawTask[]>();
  for (const task of tasks) {
    const id = packageOf(task);
    const list = members.get(id) ?? [];
    list.push(task);
    members.set(id, list);
  }
  const packages: PlanPackage[] = [];
  const info: ForeignPackage[] = [];
  tops.forEach((t, index) => {
    const id = idOf.get(t.key)!;
    const own = members.get(id)!;
    const dependencies = [...deps.get(id)!.values()];
    const declaredWrites = own.flatMap((m) => m.declaredWrites);
    const writeGuesses = dedupe(own.flatMap((m) => m.pathGuesses));
    const range = { start: Math.min(...own.map((m) => m.range.start)), end: Math.max(...own.map((m) => m.range.end)) };
    const description = describe(t, own);
    packages.push({
      id,
      idRange: t.keyRange,
      range,
      index,
      title: t.title || undefined,
      description: description || undefined,
      taskType: 'implement',
      priority: t.priority,
      dependsOn: dependencies.map((d) => ({ value: d.id, range: d.file === undefined ? d.range : t.keyRange })), // one written in another file: on the package's id
      scope: { writeAllow: declaredWrites, readAllow: [], deny: [] },
      locks: { files: [], keys: [] },
      keyRanges: {},
    });
    const fp: ForeignPackage = { id, sourceIds: own.map((m) => m.key), dependencies, declaredWrites, writeGuesses, phase: t.phase, done: own.every((m) => m.done === true) };
    if (t.file !== undefined) fp.file = t.file;
    info.push(fp);
  });

  diagnostics.push(...cycles(packages, info));
  diagnostics.push(...safetyDiagnostics(packages, info, tasks, packageOf));
  const fileOrder = new Map<string, number>();
  for (const task of read.tasks) if (task.file !== undefined && !fileOrder.has(task.file)) fileOrder.set(task.file, fileOrder.size);
  for (const d of read.diagnostics) if (d.file !== undefined && !fileOrder.has(d.file)) fileOrder.set(d.file, fileOrder.size); // files of no task (Spec Kitty's state files)
  const order = (d: ForeignDiagnostic) => (d.file === undefined ? -1 : (fileOrder.get(d.file) ?? fileOrder.size));
  diagnostics.sort((a, b) => order(a) - order(b) || inTextOrder(a, b));

  const done = info.filter((p) => p.done).length;
  if (done > 0) notes.push(`${done} of ${info.length} packages are done already in the source; they are read all the same.`);

  const plan: Plan = {
    feature: { id: featureId ?? featureIdOf(fileName, featureTitle), title: featureTitle, planRevision: 1, range: { start: 0, end: 0 } },
    contractFiles: [],
    defaults: {},
    packages,
    packagesRange: { start: 0, end: text.length },
  };
  return { format, fileName, plan, diagnostics, notes, packages: info };
}

function describe(t: RawTask, own: RawTask[]): string {
  const lines = [...t.details];
  for (const m of own) {
    if (m === t) continue;
    lines.push(`${m.key} ${m.title}`.trim());
    for (const d of m.details) lines.push(`  ${d}`);
  }
  return lines.join('\n').trim();
}

function dedupe(paths: Located<string>[]): Located<string>[] {
  const seen = new Set<string>();
  return paths.filter((p) => !seen.has(p.value) && (seen.add(p.value), true));
}

/** The feature id of the plan: the folder the source is in (`specs/001-auth/tasks.md` → `001-auth`), else its title. */
function featureIdOf(fileName: string, title?: string): string {
  const parts = fileName.split(/[\\/]/).filter(Boolean);
  const folder = parts.length > 1 ? parts[parts.length - 2] : '';
  const generic = /^(tasks|\.taskmaster|\.beads|\.kiro|specs|changes|openspec|\.)$/i;
  const from = folder && !generic.test(folder) ? folder : (title ?? parts[parts.length - 1] ?? 'feature').replace(/\.[a-z]+$/i, '');
  const id = packageIdOf(from, 'feature');
  return id || 'feature';
}

/** One error per dependency cycle, at the dependency that closes it. */
function cycles(packages: PlanPackage[], info: ForeignPackage[]): ForeignDiagnostic[] {
  const index = new Map(packages.map((p, i) => [p.id, i]));
  const state = new Array<number>(packages.length).fill(0); // 0 new, 1 on the stack, 2 done
  const out: ForeignDiagnostic[] = [];
  const stack: number[] = [];
  const visit = (root: number) => {
    // Iterative DFS: a long chain of tasks must not overflow the call stack.
    const frames: { node: number; next: number }[] = [{ node: root, next: 0 }];
    state[root] = 1;
    stack.push(root);
    while (frames.length) {
      const f = frames[frames.length - 1];
      const deps = info[f.node].dependencies;
      if (f.next < deps.length) {
        const d = deps[f.next++];
        const to = index.get(d.id);
        if (to === undefined) continue;
        if (state[to] === 1) {
          const loop = stack.slice(stack.indexOf(to)).map((i) => packages[i].id);
          out.push(diag('error', 'foreign-dependency-cycle', `Dependency cycle: ${[...loop, loop[0]].join(' → ')}${d.kind === 'implied' ? ' (this dependency is only implied by order)' : ''}. Remove one of them.`, d.range, packages[f.node].id, d.file ?? info[f.node].file));
        } else if (state[to] === 0) {
          state[to] = 1;
          stack.push(to);
          frames.push({ node: to, next: 0 });
        }
      } else {
        state[f.node] = 2;
        stack.pop();
        frames.pop();
      }
    }
  };
  for (let i = 0; i < packages.length; i++) if (state[i] === 0) visit(i);
  return out;
}

function safetyDiagnostics(packages: PlanPackage[], info: ForeignPackage[], tasks: RawTask[], packageOf: (t: RawTask) => string): ForeignDiagnostic[] {
  const out: ForeignDiagnostic[] = [];
  const index = new Map(packages.map((p, i) => [p.id, i]));
  packages.forEach((p, i) => {
    const fp = info[i];
    if (fp.declaredWrites.length === 0) {
      const guesses = fp.writeGuesses.map((g) => `\`${g.value}\``);
      const message = guesses.length
        ? `\`${fp.sourceIds[0]}\` declares no files it may write. Its text names ${guesses.slice(0, 8).join(', ')}${guesses.length > 8 ? ', …' : ''}: a guess at its write scope — check it before a parallel run.`
        : `\`${fp.sourceIds[0]}\` declares no files it may write and its text names none: write its write scope by hand before a parallel run.`;
      out.push(diag('warning', 'foreign-no-write-scope', message, p.idRange, p.id, fp.file));
    }
    const implied = fp.dependencies.filter((d) => d.kind === 'implied');
    if (implied.length) {
      out.push(
        diag(
          'info',
          'foreign-implied-dependency',
          `\`${fp.sourceIds[0]}\` waits for ${implied.map((d) => `\`${info[index.get(d.id) ?? i]?.sourceIds[0] ?? d.id}\``).join(', ')} only because of ${implied[0].reason}: the source states no dependency. Keep it, or drop it to let them run in parallel.`,
          p.idRange,
          p.id,
          fp.file,
        ),
      );
    }
  });

  // Two packages that may run in parallel (neither reaches the other) naming the same file.
  const named = new Map<string, { pkg: number; at: TextRange; file?: string }[]>();
  const namedBy = new Map<string, Set<number>>();
  for (const task of tasks) {
    const pkg = index.get(packageOf(task))!;
    for (const p of [...task.declaredWrites, ...task.pathGuesses]) {
      const key = p.value.replace(/\/+$/, '');
      let list = named.get(key);
      let by = namedBy.get(key);
      if (!list || !by) {
        named.set(key, (list = []));
        namedBy.set(key, (by = new Set()));
      }
      if (by.has(pkg)) continue;
      by.add(pkg);
      list.push({ pkg, at: p.range, file: task.file });
    }
  }
  // What each package waits for as bits (n² bits: 3 MB at the 5,000 packages checked, where a
  // `Set` of ancestors per package took hundreds of MB and seconds on a long chain).
  const shared = [...named].filter(([, list]) => list.length > 1);
  if (shared.length && packages.length <= 5000) {
    const reach = reachability(info, index);
    for (const [file, list] of shared) {
      for (let b = 1; b < list.length; b++) {
        for (let a = 0; a < b; a++) {
          const x = list[a].pkg;
          const y = list[b].pkg;
          if (reach(x, y) || reach(y, x)) continue;
          out.push(
            diag(
              'warning',
              'foreign-parallel-same-file',
              `\`${info[y].sourceIds[0]}\` and \`${info[x].sourceIds[0]}\` may run in parallel and both name \`${file}\`: order them with a dependency, or give the file to one of them.`,
              list[b].at,
              packages[y].id,
              list[b].file,
            ),
          );
          break;
        }
      }
    }
  }
  return out;
}

/**
 * Whether package `from` waits for package `to` (directly or through others): rows of a bit matrix
 * (bit `j` of row `i` when `i` reaches `j`), each found when first asked for, by a depth-first walk
 * (iterative: a long chain must not overflow the call stack) that keeps the rows it passes. In a
 * cycle (reported by `cycles`) a package met again on the path adds itself, not what it reaches.
 */
function reachability(info: ForeignPackage[], index: Map<string, number>): (from: number, to: number) => boolean {
  const n = info.length;
  const words = (n + 31) >>> 5;
  const bits = new Uint32Array(n * words);
  const state = new Uint8Array(n); // 0 new, 1 on the path, 2 done
  const targets = info.map((p) => p.dependencies.map((d) => index.get(d.id)).filter((j): j is number => j !== undefined));
  const merge = (into: number, from: number) => {
    const a = into * words;
    const b = from * words;
    for (let w = 0; w < words; w++) bits[a + w] |= bits[b + w];
  };
  const walk = (root: number) => {
    const frames: { node: number; next: number }[] = [{ node: root, next: 0 }];
    state[root] = 1;
    while (frames.length) {
      const f = frames[frames.length - 1];
      const deps = targets[f.node];
      if (f.next < deps.length) {
        const j = deps[f.next++];
        bits[f.node * words + (j >>> 5)] |= 1 << (j & 31);
        if (state[j] === 2) merge(f.node, j);
        else if (state[j] === 0) {
          state[j] = 1;
          frames.push({ node: j, next: 0 });
        }
      } else {
        state[f.node] = 2;
        frames.pop();
        if (frames.length) merge(frames[frames.length - 1].node, f.node);
      }
    }
  };
  return (from, to) => {
    if (state[from] !== 2) walk(from);
    return (bits[from * words + (to >>> 5)] & (1 << (to & 31))) !== 0;
  };
}

/**
 * Which package each task goes into: a nested task (a sub-task, an epic's issue) into its
 * top-level task's — except where that makes a dependency cycle the tasks themselves do not have
 * (a child of `A` waits for `B`, which waits for `A`). Then the children of a package on such a
 * cycle that have a dependency to or from another package on it are kept apart — each a package
 * of its own, with what is nested in it — and the packages are looked at again, until no cycle
 * is left that folding made (`apart`: those children, the package they were kept out of, and
 * the cycle). A parent chain that loops is no nesting: each of its tasks is a package of its own.
 */
function foldNested(tasks: readonly RawTask[], byKey: ReadonlyMap<string, RawTask>): { top: (task: RawTask) => RawTask; apart: { task: RawTask; parent: RawTask; loop: string[] }[] } {
  const keptApart = new Set<RawTask>();
  let topOf = new Map<RawTask, RawTask>();
  /** The chain from a task up to its package's task (itself first). */
  const chain = (task: RawTask): RawTask[] => {
    const up = [task];
    const seen = new Set<string>([task.key]);
    for (let t = task; t.parent !== undefined && !keptApart.has(t); ) {
      const parent = byKey.get(t.parent);
      if (!parent) break;
      if (seen.has(parent.key)) return [task]; // a loop of parents: no nesting
      seen.add(parent.key);
      up.push(parent);
      t = parent;
    }
    return up;
  };
  const top = (task: RawTask): RawTask => {
    let t = topOf.get(task);
    if (!t) topOf.set(task, (t = chain(task).at(-1)!));
    return t;
  };
  const apart: { task: RawTask; parent: RawTask; loop: string[] }[] = [];
  if (!tasks.some((t) => t.parent !== undefined && byKey.has(t.parent))) return { top, apart };
  const targets = (t: RawTask) => t.dependencies.map((d) => byKey.get(d.key)).filter((x): x is RawTask => x !== undefined && x !== t);
  // The tasks on a cycle of their own (kept as they are: reported as the source's cycle).
  const ownCycle = new Set(stronglyConnected(tasks, targets).filter((c) => c.length > 1).flat());
  for (;;) {
    const heads = tasks.filter((t) => top(t) === t);
    const size = new Map<RawTask, number>();
    for (const t of tasks) size.set(top(t), (size.get(top(t)) ?? 0) + 1);
    if (![...size.values()].some((n) => n > 1)) break;
    const membersOf = new Map<RawTask, RawTask[]>();
    for (const t of tasks) {
      const list = membersOf.get(top(t));
      if (list) list.push(t);
      else membersOf.set(top(t), [t]);
    }
    const members = (head: RawTask) => membersOf.get(head) ?? [head];
    const nextOf = new Map<RawTask, RawTask[]>();
    const next = (head: RawTask) => {
      let n = nextOf.get(head);
      if (!n) nextOf.set(head, (n = [...new Set(members(head).flatMap((m) => targets(m).map(top)))].filter((h) => h !== head)));
      return n;
    };
    const pull = new Map<RawTask, { parent: RawTask; loop: string[] }>();
    for (const scc of stronglyConnected(heads, next)) {
      if (scc.length < 2 || scc.some((h) => members(h).some((m) => ownCycle.has(m)))) continue;
      const inScc = new Set(scc);
      const loopOf = new Map<RawTask, string[]>();
      const loop = (head: RawTask) => {
        let l = loopOf.get(head);
        if (!l) loopOf.set(head, (l = cycleThrough(head, next, inScc).map((h) => h.key)));
        return l;
      };
      // Each member with a dependency to or from another package of the cycle: the child of its package's task it is in.
      const mark = (m: RawTask) => {
        const head = top(m);
        if (m === head || size.get(head)! < 2) return;
        const up = chain(m);
        const child = up[up.length - 2];
        if (!pull.has(child)) pull.set(child, { parent: head, loop: loop(head) });
      };
      for (const head of scc) {
        for (const m of members(head)) {
          for (const t of targets(m)) {
            if (top(t) === head || !inScc.has(top(t))) continue;
            mark(m);
            mark(t);
          }
        }
      }
    }
    if (pull.size === 0) break;
    for (const [child, why] of pull) {
      keptApart.add(child);
      apart.push({ task: child, ...why });
    }
    topOf = new Map();
  }
  apart.sort((a, b) => tasks.indexOf(a.task) - tasks.indexOf(b.task));
  return { top, apart };
}

/** The tasks a task is nested in, when its parents lead back to it; null when they do not. */
function parentLoop(task: RawTask, byKey: ReadonlyMap<string, RawTask>): string[] | null {
  const up: string[] = [task.key];
  for (let t = task; t.parent !== undefined; ) {
    const parent = byKey.get(t.parent);
    if (!parent) return null;
    if (parent === task) return up;
    if (up.includes(parent.key)) return null; // a loop above it, not through it
    up.push(parent.key);
    t = parent;
  }
  return null;
}

/** The strongly connected sets of a graph (Tarjan's, iterative: a long chain must not overflow the call stack). */
function stronglyConnected<T>(nodes: readonly T[], next: (node: T) => readonly T[]): T[][] {
  const index = new Map<T, number>();
  const low = new Map<T, number>();
  const onStack = new Set<T>();
  const stack: T[] = [];
  const out: T[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const frames: { node: T; edges: readonly T[]; at: number }[] = [];
    const open = (node: T) => {
      index.set(node, counter);
      low.set(node, counter++);
      stack.push(node);
      onStack.add(node);
      frames.push({ node, edges: next(node), at: 0 });
    };
    open(root);
    while (frames.length) {
      const f = frames[frames.length - 1];
      if (f.at < f.edges.length) {
        const to = f.edges[f.at++];
        if (!index.has(to)) open(to);
        else if (onStack.has(to)) low.set(f.node, Math.min(low.get(f.node)!, index.get(to)!));
        continue;
      }
      frames.pop();
      if (frames.length) {
        const parent = frames[frames.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(f.node)!));
      }
      if (low.get(f.node) === index.get(f.node)) {
        const set: T[] = [];
        let x: T;
        do {
          x = stack.pop()!;
          onStack.delete(x);
          set.push(x);
        } while (x !== f.node);
        out.push(set);
      }
    }
  }
  return out;
}

/** A shortest cycle from `head` back to it within `within`, as the tasks it passes (`head` first and last). */
function cycleThrough(head: RawTask, next: (h: RawTask) => readonly RawTask[], within: ReadonlySet<RawTask>): RawTask[] {
  const before = new Map<RawTask, RawTask>();
  const queue: RawTask[] = [];
  const visit = (n: RawTask, from: RawTask) => {
    if (!within.has(n) || before.has(n)) return;
    before.set(n, from);
    queue.push(n);
  };
  for (const n of next(head)) visit(n, head);
  for (let i = 0; i < queue.length; i++) {
    const t = queue[i];
    if (t === head) break;
    for (const n of next(t)) visit(n, t);
  }
  const path = [head];
  for (let t = before.get(head); t !== undefined && t !== head && path.length <= within.size; t = before.get(t)) path.unshift(t);
  return [head, ...path];
}

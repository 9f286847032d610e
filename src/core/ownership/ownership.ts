/**
 * Who owns a path: an index of a plan's file-ownership globs, compiled once per analysis,
 * answering for a repo-relative path which packages may write it (owners), which may read
 * it, which have it in their write scope but deny it, and which owners may run in parallel
 * (a conflict).
 *
 * The look-up never compares a path with every glob: globs are filed in a trie under their
 * literal prefix (`literalPrefix` of `glob.ts`), so a path meets only the globs whose prefix
 * is one of its own leading segments, and a glob that covers exactly "its prefix and below"
 * (`src/api/**`, `docs`) is decided by the walk itself, without matching. The rest are
 * decided by `covers`. Semantics are those of `docs/globs.md`.
 *
 * Pure TypeScript, no `vscode` import.
 */
import type { PlanAnalysis } from '../plan/analyze';
import { covers, isCoveredBy, isValidPath, literalPrefix, plainPrefix } from '../plan/glob';
import { packagesBySlot, type Located, type PlanPackage } from '../plan/model';

// ---------------------------------------------------------------------------------------------
// A prefix index of globs
// ---------------------------------------------------------------------------------------------

interface IndexEntry<T> {
  readonly pattern: string;
  /** True when the pattern covers exactly its literal prefix and everything below it. */
  readonly whole: boolean;
  readonly values: T[];
}

interface TrieNode<T> {
  children: Map<string, TrieNode<T>> | undefined;
  entries: IndexEntry<T>[];
}

/**
 * Globs filed under their literal prefix. `collect(path, out)` pushes the values of every
 * glob that covers `path` (a glob added with several values pushes them all; a value added
 * under several covering globs is pushed once per glob).
 */
export class GlobIndex<T> {
  private readonly root: TrieNode<T> = { children: undefined, entries: [] };
  private readonly byPattern = new Map<string, IndexEntry<T>>();

  /** Files `value` under `pattern`. */
  add(pattern: string, value: T): void {
    let entry = this.byPattern.get(pattern);
    if (!entry) {
      // A plain pattern (literal segments, perhaps ending in `/**`: most of a plan's) covers
      // exactly its prefix and below by its form; only the others are asked (a regex each).
      const plain = plainPrefix(pattern);
      const prefix = plain ?? literalPrefix(pattern);
      entry = { pattern, whole: plain !== null || coversWholePrefix(pattern, prefix), values: [] };
      this.byPattern.set(pattern, entry);
      let node = this.root;
      for (const segment of prefix) {
        node.children ??= new Map();
        let child = node.children.get(segment);
        if (!child) node.children.set(segment, (child = { children: undefined, entries: [] }));
        node = child;
      }
      node.entries.push(entry);
    }
    entry.values.push(value);
  }

  /** How many distinct globs the index holds. */
  get size(): number {
    return this.byPattern.size;
  }

  /** Pushes onto `out` the values of every glob covering `path`; returns `out`. */
  collect(path: string, out: T[]): T[] {
    let node: TrieNode<T> | undefined = this.root;
    let start = 0;
    let valid: boolean | undefined; // decided once, and only when a glob's prefix matches
    for (;;) {
      for (const entry of node.entries) {
        // `covers` checks the path itself; a whole-prefix glob needs it checked here.
        if (entry.whole ? (valid ??= isPath(path)) : covers(entry.pattern, path)) for (const v of entry.values) out.push(v);
      }
      if (!node.children || start > path.length) return out;
      const slash = path.indexOf('/', start);
      const end = slash < 0 ? path.length : slash;
      node = node.children.get(path.slice(start, end));
      if (!node) return out;
      start = end + 1;
    }
  }

  /** Whether any glob covers `path`. */
  hasCovering(path: string): boolean {
    return this.collect(path, []).length > 0;
  }
}

/** A segment that no path has: empty, `.` or `..` (see `isValidPath`). */
const BAD_SEGMENT = /(?:^|\/)\.{0,2}(?:\/|$)/;

/** `isValidPath` of `glob.ts`, as one compiled regular expression (the test checks they agree). */
export function isPath(path: string): boolean {
  return !BAD_SEGMENT.test(path);
}

/**
 * Whether `pattern` covers exactly the paths that start with `prefix` (its literal prefix):
 * every path it covers starts with the prefix, so this holds when it covers the prefix
 * itself (and with it, everything below). An empty prefix: when it covers every path.
 */
function coversWholePrefix(pattern: string, prefix: readonly string[]): boolean {
  if (prefix.length === 0) return isCoveredBy('**', pattern);
  const path = prefix.join('/');
  return isValidPath(path) && covers(pattern, path);
}

// ---------------------------------------------------------------------------------------------
// The owner index of a plan
// ---------------------------------------------------------------------------------------------

/** One package of the index: the first definition of each package id, in plan order. */
export interface IndexedPackage {
  /** Its index in the dependency graph (= its position in `OwnerIndex.packages`). */
  readonly slot: number;
  readonly id: string;
  /** 1-based wave, null on or behind a dependency cycle. */
  readonly wave: number | null;
  readonly pkg: PlanPackage;
}

/** What the plan says about one path. Packages are given as slots (see `IndexedPackage`). */
export interface Ownership {
  /** Packages whose `write_allow` covers the path and whose `deny` does not; ascending. */
  readonly owners: readonly number[];
  /** Packages whose `write_allow` covers the path but whose `deny` covers it too; ascending. */
  readonly deniedTo: readonly number[];
  /** Pairs of owners that may run in parallel (neither depends on the other); `[a, b]`, a < b. */
  readonly conflicts: readonly (readonly [number, number])[];
}

const NONE: readonly number[] = Object.freeze([]);
const EMPTY_PAIRS: [number, number][] = Object.freeze([]) as unknown as [number, number][];
const NOBODY: Ownership = Object.freeze({ owners: NONE, deniedTo: NONE, conflicts: EMPTY_PAIRS });

/** Kind of glob list of a package. */
export type ScopeKind = 'write' | 'read' | 'deny';

export interface OwnerIndexInput {
  plan: Pick<PlanAnalysis['plan'], 'packages'>;
  graph: Pick<PlanAnalysis['graph'], 'ids' | 'indexOf' | 'wave' | 'mayRunInParallel'>;
}

/**
 * The owner index of one analysis. Build it once per analysis (`new OwnerIndex(analysis)`,
 * linear in the globs) and ask it about any number of paths.
 */
export class OwnerIndex {
  readonly packages: readonly IndexedPackage[];
  /** Write and deny globs in one index (one walk per look-up): `2·slot` writes, `2·slot + 1` denies. */
  private readonly claims = new GlobIndex<number>();
  private readonly read = new GlobIndex<number>();
  private readonly scratch: number[] = [];
  /** The answer "owned by this slot alone", shared: the common case allocates nothing. */
  private readonly soleOwner: Ownership[] = [];
  private readonly mayRunInParallel: (a: number, b: number) => boolean;
  private readonly globCounts = { write: 0, read: 0, deny: 0 };

  constructor(analysis: OwnerIndexInput) {
    const { graph } = analysis;
    this.mayRunInParallel = (a, b) => graph.mayRunInParallel(a, b);
    const packages: IndexedPackage[] = [];
    const bySlot = packagesBySlot(analysis.plan.packages, graph.indexOf);
    for (let slot = 0; slot < bySlot.length; slot++) {
      const pkg = bySlot[slot];
      if (pkg === undefined) continue;
      packages[slot] = { slot, id: pkg.id, wave: graph.wave[slot] ?? null, pkg };
      for (const g of pkg.scope.writeAllow) this.claims.add(g.value, 2 * slot);
      for (const g of pkg.scope.deny) this.claims.add(g.value, 2 * slot + 1);
      for (const g of pkg.scope.readAllow) this.read.add(g.value, slot);
      this.soleOwner[slot] = Object.freeze({ owners: Object.freeze([slot]), deniedTo: NONE, conflicts: EMPTY_PAIRS });
      this.globCounts.write += pkg.scope.writeAllow.length;
      this.globCounts.deny += pkg.scope.deny.length;
      this.globCounts.read += pkg.scope.readAllow.length;
    }
    this.packages = packages;
  }

  /** Each id's first package, made on the first lookup. */
  private byId: Map<string, IndexedPackage> | undefined;

  /** The package of an id, when the plan defines it. */
  packageOf(id: string): IndexedPackage | undefined {
    if (!this.byId) {
      this.byId = new Map();
      for (const p of this.packages) if (!this.byId.has(p.id)) this.byId.set(p.id, p);
    }
    return this.byId.get(id);
  }

  /** Owners, packages denied the path, and conflicts between owners. */
  lookup(path: string): Ownership {
    const hits = this.claims.collect(path, clear(this.scratch));
    if (hits.length === 0) return NOBODY;
    if (hits.length === 1) return hits[0] & 1 ? NOBODY : this.soleOwner[hits[0] >> 1];
    const writers: number[] = [];
    const denied: number[] = [];
    for (const h of hits) (h & 1 ? denied : writers).push(h >> 1);
    if (writers.length === 0) return NOBODY;
    const sortedWriters = uniqueSorted(writers);
    let owners = sortedWriters;
    let deniedTo: readonly number[] = NONE;
    if (denied.length > 0) {
      owners = sortedWriters.filter((s) => !denied.includes(s));
      deniedTo = sortedWriters.filter((s) => denied.includes(s));
    }
    if (owners.length === 1 && deniedTo.length === 0) return this.soleOwner[owners[0]];
    let conflicts: [number, number][] = EMPTY_PAIRS;
    for (let i = 0; i < owners.length; i++) {
      for (let j = i + 1; j < owners.length; j++) {
        if (this.mayRunInParallel(owners[i], owners[j])) {
          if (conflicts === EMPTY_PAIRS) conflicts = [];
          conflicts.push([owners[i], owners[j]]);
        }
      }
    }
    return { owners, deniedTo, conflicts };
  }

  /** Packages whose `read_allow` covers the path and whose `deny` does not; ascending. */
  readers(path: string): number[] {
    const readers = uniqueSorted(this.read.collect(path, []));
    if (readers.length === 0) return readers;
    const denied = this.deniers(path);
    return denied.length === 0 ? readers : readers.filter((s) => !denied.includes(s));
  }

  /** Packages whose `deny` covers the path, whatever their write scope; ascending. */
  deniers(path: string): number[] {
    return uniqueSorted(this.claims.collect(path, []).filter((h) => h & 1).map((h) => h >> 1));
  }

  /**
   * The first glob of a package's scope list that covers the path (for "owned through
   * `src/api/**`, line 42"), or undefined.
   */
  matchingGlob(slot: number, kind: ScopeKind, path: string): Located<string> | undefined {
    const p = this.packages[slot];
    if (!p) return undefined;
    const list = kind === 'write' ? p.pkg.scope.writeAllow : kind === 'read' ? p.pkg.scope.readAllow : p.pkg.scope.deny;
    return list.find((g) => covers(g.value, path));
  }

  /** How many globs the packages of the index declare, per kind. */
  get sizes(): Record<ScopeKind, number> {
    return { ...this.globCounts };
  }
}


function clear<T>(a: T[]): T[] {
  a.length = 0;
  return a;
}

/** A fresh ascending array of the distinct numbers of `values` (usually 0–2 of them). */
function uniqueSorted(values: readonly number[]): number[] {
  if (values.length === 0) return [];
  if (values.length === 1) return [values[0]];
  return [...new Set(values)].sort((a, b) => a - b);
}

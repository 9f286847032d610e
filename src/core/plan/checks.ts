/**
 * Semantic checks of a plan: ids, dependencies, cycles, lock keys, globs, and the plan's
 * parallel-safety rule (two packages that may run at the same time share no write scope
 * and no lock). Every diagnostic has a stable code (docs/diagnostics.md), a range and the
 * package it belongs to.
 */
import { addDependency, removeSequenceItem, yamlScalar } from './edits';
import { allCoveredBy, checkGlob, literalPrefix, overlap } from './glob';
import type { DependencyGraph } from './graph';
import { checkLockKey } from './lockKeys';
import { NearestIds } from './nearest';
import { packagesBySlot, type Diagnostic, type Fix, type Located, type Plan, type PlanPackage, type TextRange } from './model';
import { LineFeeds, type LineIndex } from './text';
import { capOf } from './defaults';

export interface CheckOptions {
  /** How many packages may run at once; a wider wave gets a warning, a package's own set of candidates above it an error (candidateSet.ts). Default 10. */
  maxParallel?: number;
}

interface Context {
  text: string;
  plan: Plan;
  graph: DependencyGraph;
  lines: LineIndex;
  /** The defining package of each graph node (first definition of an id). */
  packageAt: PlanPackage[];
  out: Diagnostic[];
  conflicts: Conflict[];
  /** Each glob's literal prefix, found once per analysis (the glob cache holds 20,000 patterns; a large plan has more). */
  prefixOf: (glob: string) => readonly string[];
  /** The ids filed for "did you mean", on the first unknown dependency. */
  nearest?: NearestIds;
  /** The text's line feeds, on the first fix that adds a dependency. */
  feeds?: LineFeeds;
}

/** Two packages that may run in parallel but share write scope or a lock. */
export interface Conflict {
  /** The package earlier in plan order. */
  a: string;
  b: string;
  kind: 'write-scope' | 'lock';
  /** A path both cover, or the shared lock key. */
  witness: string;
}

export interface CheckResult {
  diagnostics: Diagnostic[];
  conflicts: Conflict[];
}

export function semanticChecks(
  text: string,
  plan: Plan,
  graph: DependencyGraph,
  lines: LineIndex,
  options: CheckOptions = {},
): CheckResult {
  const packageAt = packagesBySlot(plan.packages, graph.indexOf);
  const prefixes = new Map<string, readonly string[]>();
  const prefixOf = (glob: string) => {
    let prefix = prefixes.get(glob);
    if (!prefix) prefixes.set(glob, (prefix = literalPrefix(glob)));
    return prefix;
  };
  const ctx: Context = { text, plan, graph, lines, packageAt, out: [], conflicts: [], prefixOf };
  checkIds(ctx);
  checkDependencies(ctx);
  checkCycles(ctx);
  checkLockKeys(ctx);
  checkGlobs(ctx);
  checkWriteDenied(ctx);
  checkParallelOverlaps(ctx);
  checkWaveWidth(ctx, capOf(options.maxParallel));
  return { diagnostics: ctx.out, conflicts: ctx.conflicts };
}

function lineOf(ctx: Context, offset: number): number {
  return ctx.lines.position(offset).line + 1;
}

function checkIds(ctx: Context): void {
  const first = new Map<string, PlanPackage>();
  for (const p of ctx.plan.packages) {
    if (!p.id) continue;
    const earlier = first.get(p.id);
    if (!earlier) {
      first.set(p.id, p);
      continue;
    }
    ctx.out.push({
      severity: 'error',
      code: 'duplicate-id',
      message: `Package id \`${p.id}\` is already used by the package at line ${lineOf(ctx, earlier.idRange.start)}; ids must be unique`,
      range: p.idRange,
      packageId: p.id,
    });
  }
}

function closestId(ctx: Context, id: string, exclude: string): string | undefined {
  ctx.nearest ??= new NearestIds(ctx.graph.ids);
  return ctx.nearest.nearest(id, exclude);
}

function removeFix(ctx: Context, p: PlanPackage, dep: Located<string>, title: string): Fix {
  return {
    title,
    edits: [removeSequenceItem(ctx.text, dep.range, p.dependsOn.length)],
  };
}

function checkDependencies(ctx: Context): void {
  for (const p of ctx.plan.packages) {
    if (!p.id) continue;
    for (const dep of p.dependsOn) {
      if (dep.value === p.id) {
        ctx.out.push({
          severity: 'error',
          code: 'dependency-self',
          message: `Package \`${p.id}\` depends on itself`,
          range: dep.range,
          packageId: p.id,
          fixes: [{ ...removeFix(ctx, p, dep, `Remove \`${dep.value}\` from depends_on`), preferred: true }],
        });
      } else if (!ctx.graph.indexOf.has(dep.value)) {
        const suggestion = closestId(ctx, dep.value, p.id);
        const fixes: Fix[] = [];
        if (suggestion) {
          fixes.push({
            title: `Change to \`${suggestion}\``,
            edits: [{ range: dep.range, newText: yamlScalar(suggestion) }],
            preferred: true,
          });
        }
        fixes.push(removeFix(ctx, p, dep, `Remove \`${dep.value}\` from depends_on`));
        ctx.out.push({
          severity: 'error',
          code: 'dependency-unknown',
          message:
            `Package \`${p.id}\` depends on \`${dep.value}\`, which is not a package of this plan` +
            (suggestion ? `; did you mean \`${suggestion}\`?` : ''),
          range: dep.range,
          packageId: p.id,
          fixes,
        });
      }
    }
  }
}

/** Links of a cycle named in its message at most: each member carries the message, so a cycle of n named whole would make n² text. */
const MAX_CYCLE_LINKS = 12;

function checkCycles(ctx: Context): void {
  for (const cycle of ctx.graph.cycles) {
    const link = (k: number) => `\`${cycle[k]}\` depends on \`${cycle[(k + 1) % cycle.length]}\``;
    const words =
      cycle.length <= MAX_CYCLE_LINKS
        ? cycle.map((_, k) => link(k)).join(', ')
        : [...Array.from({ length: MAX_CYCLE_LINKS - 2 }, (_, k) => link(k)), `… ${cycle.length - MAX_CYCLE_LINKS + 1} more links …`, link(cycle.length - 1)].join(', ');
    const message = `Dependency cycle${cycle.length > MAX_CYCLE_LINKS ? ` of ${cycle.length} packages` : ''}: ${words}. Packages on or behind a cycle get no wave and cannot run`;
    cycle.forEach((id, k) => {
      const p = ctx.packageAt[ctx.graph.indexOf.get(id)!];
      const next = cycle[(k + 1) % cycle.length];
      const edge = p.dependsOn.find((d) => d.value === next);
      ctx.out.push({
        severity: 'error',
        code: 'dependency-cycle',
        message,
        range: edge?.range ?? p.idRange,
        packageId: id,
      });
    });
  }
}

function checkLockKeys(ctx: Context): void {
  const contractFiles = ctx.plan.contractFiles.map((c) => c.value);
  for (const p of ctx.plan.packages) {
    for (const key of p.locks.keys) {
      const verdict = checkLockKey(key.value, contractFiles);
      if (verdict.ok) continue;
      const isNamespace = verdict.kind === 'namespace';
      const canonical = verdict.kind === 'form' ? verdict.canonical : undefined;
      ctx.out.push({
        severity: isNamespace ? 'error' : 'warning',
        code: isNamespace ? 'lock-key-namespace' : 'lock-key-form',
        message: verdict.message + (canonical ? `; canonical form: \`${canonical}\`` : ''),
        range: key.range,
        packageId: p.id || null,
        fixes: canonical
          ? [{ title: `Write \`${canonical}\``, edits: [{ range: key.range, newText: JSON.stringify(canonical) }], preferred: true }]
          : undefined,
      });
    }
  }
}

/** Map a problem inside a pattern to the text, allowing for quotes around the scalar. */
function rangeInScalar(ctx: Context, scalar: Located<string>, start: number, end: number): TextRange {
  const source = ctx.text.slice(scalar.range.start, scalar.range.end);
  const at = source.indexOf(scalar.value);
  if (at === -1 || end <= start) return scalar.range;
  return { start: scalar.range.start + at + start, end: scalar.range.start + at + end };
}

/** The glob lists of a package, by where they are written. */
const GLOB_LISTS: readonly (readonly [string, (p: PlanPackage) => Located<string>[]])[] = [
  ['scope.write_allow', (p) => p.scope.writeAllow],
  ['scope.read_allow', (p) => p.scope.readAllow],
  ['scope.deny', (p) => p.scope.deny],
  ['locks.files', (p) => p.locks.files],
];

function checkGlobs(ctx: Context): void {
  for (const p of ctx.plan.packages) {
    for (let l = 0; l < GLOB_LISTS.length; l++) {
      const [where, listOf] = GLOB_LISTS[l];
      const list = listOf(p);
      for (let g = 0; g < list.length; g++) {
        const glob = list[g];
        ctx.prefixOf(glob.value); // while the glob is compiled (the overlap checks need it)
        const problems = checkGlob(glob.value);
        if (problems.length === 0) continue; // most globs: no set made for them
        const seen = new Set<string>();
        for (const problem of problems) {
          if (seen.has(problem.code)) continue; // one diagnostic per kind of problem and glob
          seen.add(problem.code);
          ctx.out.push({
            severity: problem.code === 'glob-syntax' ? 'warning' : 'error',
            code: problem.code,
            message: `\`${glob.value}\` in ${where}: ${problem.message}`,
            range: rangeInScalar(ctx, glob, problem.start, problem.end),
            packageId: p.id || null,
          });
        }
      }
    }
  }
}

function checkWriteDenied(ctx: Context): void {
  for (const p of ctx.plan.packages) {
    const writes = p.scope.writeAllow;
    const denies = p.scope.deny.map((d) => d.value);
    if (writes.length === 0 || denies.length === 0) continue;
    if (!writes.every((w) => allCoveredBy(w.value, denies))) continue;
    ctx.out.push({
      severity: 'error',
      code: 'write-denied',
      message: `Package \`${p.id}\` can write nothing: every path its write_allow covers is also in its deny list`,
      range: p.keyRanges['scope'] ?? p.idRange,
      packageId: p.id || null,
    });
  }
}

interface Claim {
  /** Graph node of the package. */
  node: number;
  item: Located<string>;
}

/**
 * Calls `visit` for each pair of claims whose globs may overlap and whose packages may run in
 * parallel, without comparing every pair: globs are filed in a trie by their literal leading
 * segments, and two globs can only cover a common path when one's literal prefix is a prefix of
 * the other's. Pairs come in a fixed order (the trie's, then plan order), nothing is collected:
 * a plan whose packages all write `src/**` in a chain has n² candidate pairs and none to report.
 */
function forEachParallelCandidate(
  claims: readonly Claim[],
  prefixOf: (glob: string) => readonly string[],
  graph: DependencyGraph,
  wanted: (a: Claim, b: Claim) => boolean,
  visit: (a: Claim, b: Claim) => void,
): void {
  interface TrieNode {
    here: Claim[];
    /** Made when the node gets its first child: most of a plan's globs end in a leaf. */
    children?: Map<string, TrieNode>;
  }
  const root: TrieNode = { here: [] };
  for (const claim of claims) {
    let node = root;
    for (const segment of prefixOf(claim.item.value)) {
      node.children ??= new Map();
      let child = node.children.get(segment);
      if (!child) node.children.set(segment, (child = { here: [] }));
      node = child;
    }
    node.here.push(claim);
  }
  const above: Claim[] = [];
  const stack: { node: TrieNode; depthAbove: number; entered: boolean }[] = [{ node: root, depthAbove: 0, entered: false }];
  while (stack.length) {
    const frame = stack[stack.length - 1];
    if (frame.entered) {
      above.length = frame.depthAbove;
      stack.pop();
      continue;
    }
    frame.entered = true;
    const here = frame.node.here;
    const chain = here.length > 1 ? chainSegments(graph, here) : undefined;
    for (let i = 0; i < here.length; i++) {
      const h = here[i];
      // A glob above covers many below it: it is asked first, so its answers are kept.
      for (const a of above) if (wanted(a, h) && graph.mayRunInParallel(a.node, h.node)) visit(a, h);
      if (!chain) continue;
      for (let j = i + 1; j < here.length; j++) {
        if (chain[i] !== chain[j] && wanted(h, here[j]) && graph.mayRunInParallel(h.node, here[j].node)) visit(h, here[j]);
      }
    }
    for (const claim of here) above.push(claim);
    frame.node.children?.forEach((child) => stack.push({ node: child, depthAbove: above.length, entered: false }));
  }
}

/**
 * Claims that all collide with each other (one glob's place in the trie, one lock key), told
 * apart into chains: in the order of their waves, each claim whose package depends on the
 * previous one's (or is that package) continues its chain. Two claims of one chain never run in
 * parallel (dependence is transitive), so a group its plan orders with `depends_on` costs one
 * search per neighbour instead of a question per pair. Claims without a wave start a chain each.
 * Undefined when the whole group is one chain: no pair of it may run in parallel.
 */
function chainSegments(graph: DependencyGraph, group: readonly Claim[]): Int32Array | undefined {
  const wave = (c: Claim) => graph.wave[c.node] ?? Infinity;
  const order = group.map((_, k) => k).sort((x, y) => wave(group[x]) - wave(group[y]) || group[x].node - group[y].node);
  const chain = new Int32Array(group.length);
  let id = 0;
  for (let k = 1; k < order.length; k++) {
    const prev = group[order[k - 1]].node;
    const next = group[order[k]].node;
    const linked = prev === next || (graph.wave[next] !== null && graph.wave[prev] !== null && graph.dependsOn(next, prev));
    if (!linked) id++;
    chain[order[k]] = id;
  }
  return id === 0 ? undefined : chain;
}

/** A dependency fix: make `later` depend on `earlier`. */
function orderFix(ctx: Context, later: PlanPackage, earlier: PlanPackage, preferred: boolean): Fix | undefined {
  const edit = addDependency(ctx.text, later, earlier.id, (ctx.feeds ??= new LineFeeds(ctx.text)));
  return edit ? { title: `Make \`${later.id}\` depend on \`${earlier.id}\``, edits: [edit], preferred } : undefined;
}

function orderFixes(ctx: Context, a: PlanPackage, b: PlanPackage): Fix[] {
  // The package written later in the plan waits for the earlier one: the usual intent.
  const [first, second] = a.index <= b.index ? [a, b] : [b, a];
  return [orderFix(ctx, second, first, true), orderFix(ctx, first, second, false)].filter((f): f is Fix => !!f);
}

function reportPair(
  ctx: Context,
  code: 'write-overlap' | 'lock-overlap',
  a: Claim,
  b: Claim,
  witness: string,
  describe: (self: Claim, other: Claim, otherId: string) => string,
): void {
  const pa = ctx.packageAt[a.node];
  const pb = ctx.packageAt[b.node];
  const [first, second] = pa.index <= pb.index ? [pa, pb] : [pb, pa];
  ctx.conflicts.push({ a: first.id, b: second.id, kind: code === 'write-overlap' ? 'write-scope' : 'lock', witness });
  const fixes = orderFixes(ctx, pa, pb);
  for (const [self, other, otherPkg] of [
    [a, b, pb],
    [b, a, pa],
  ] as const) {
    ctx.out.push({
      severity: 'error',
      code,
      message: describe(self, other, otherPkg.id),
      range: self.item.range,
      packageId: ctx.packageAt[self.node].id,
      fixes,
    });
  }
}

/**
 * Overlap diagnostics per package and kind (write scope; locks) beyond which a pair is reported
 * only when its other package has fewer: every package in a conflict still gets one, and a
 * plan whose thousand parallel packages all write `src/**` reports thousands, not a million.
 */
export const MAX_OVERLAPS_SHOWN = 20;

function checkParallelOverlaps(ctx: Context): void {
  const { graph } = ctx;
  const claimsOf = (pick: (p: PlanPackage) => Located<string>[]): Claim[] =>
    ctx.packageAt.flatMap((p, node) => (p ? pick(p).map((item) => ({ node, item })) : []));

  // Write scope and lock files: one diagnostic pair per pair of packages (the first
  // overlapping globs found).
  const reported = new Set<string>();
  const pairKey = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);
  let shown = new Uint32Array(graph.ids.length);
  const wanted = (a: Claim, b: Claim) => shown[a.node] < MAX_OVERLAPS_SHOWN || shown[b.node] < MAX_OVERLAPS_SHOWN;
  const report: typeof reportPair = (_, code, a, b, witness, describe) => {
    reported.add(pairKey(a.node, b.node));
    shown[a.node]++;
    shown[b.node]++;
    reportPair(ctx, code, a, b, witness, describe);
  };
  const globOverlaps = (
    claims: Claim[],
    code: 'write-overlap' | 'lock-overlap',
    describe: (self: Claim, other: Claim, otherId: string, witness: string) => string,
  ) => {
    forEachParallelCandidate(claims, ctx.prefixOf, graph, wanted, (a, b) => {
      if (reported.has(pairKey(a.node, b.node))) return;
      const witness = overlap(a.item.value, b.item.value);
      if (witness === null) return;
      report(ctx, code, a, b, witness, (self, other, otherId) => describe(self, other, otherId, witness));
    });
  };
  globOverlaps(
    claimsOf((p) => p.scope.writeAllow),
    'write-overlap',
    (self, other, otherId, witness) =>
      `\`${self.item.value}\` overlaps \`${other.item.value}\` of \`${otherId}\`, which may run at the same time: both may write \`${witness}\`. Order them with depends_on or split the scope`,
  );
  reported.clear();
  shown = new Uint32Array(graph.ids.length);
  globOverlaps(
    claimsOf((p) => p.locks.files),
    'lock-overlap',
    (self, other, otherId, witness) =>
      `Lock \`${self.item.value}\` is also taken by \`${otherId}\` (\`${other.item.value}\`), which may run at the same time: both lock \`${witness}\``,
  );

  // Lock keys: the same key held by two packages that may run at the same time.
  const holders = new Map<string, Claim[]>();
  for (const claim of claimsOf((p) => p.locks.keys)) {
    const key = claim.item.value.trim();
    const list = holders.get(key);
    if (list) list.push(claim);
    else holders.set(key, [claim]);
  }
  for (const [key, list] of holders) {
    const chain = list.length < 2 ? undefined : chainSegments(graph, list);
    if (!chain) continue;
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const [a, b] = [list[i], list[j]];
        if (chain[i] === chain[j] || !wanted(a, b) || !graph.mayRunInParallel(a.node, b.node) || reported.has(pairKey(a.node, b.node))) continue;
        report(ctx, 'lock-overlap', a, b, key, (_self, _other, otherId) => `Lock key \`${key}\` is also taken by \`${otherId}\`, which may run at the same time`);
      }
    }
  }
}

function checkWaveWidth(ctx: Context, maxParallel: number): void {
  if (!(maxParallel > 0)) return;
  ctx.graph.waves.forEach((wave, k) => {
    if (wave.length <= maxParallel) return;
    const first = ctx.packageAt[ctx.graph.indexOf.get(wave[0])!];
    const rounds = Math.ceil(wave.length / maxParallel);
    ctx.out.push({
      severity: 'warning',
      code: 'wave-too-wide',
      message: `Wave ${k + 1} has ${wave.length} packages but at most ${maxParallel} run at once, so it runs in ${rounds} rounds`,
      range: first.idRange,
      packageId: null,
    });
  });
}

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
import type { Diagnostic, Fix, Located, Plan, PlanPackage, TextRange } from './model';
import type { LineIndex } from './text';

export interface CheckOptions {
  /** How many packages may run at once; a wider wave gets a warning. Default 10. */
  maxParallel?: number;
}

export const DEFAULT_MAX_PARALLEL = 10;

interface Context {
  text: string;
  plan: Plan;
  graph: DependencyGraph;
  lines: LineIndex;
  /** The defining package of each graph node (first definition of an id). */
  packageAt: PlanPackage[];
  out: Diagnostic[];
  conflicts: Conflict[];
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
  const packageAt: PlanPackage[] = [];
  for (const p of plan.packages) {
    const i = graph.indexOf.get(p.id);
    if (i !== undefined && packageAt[i] === undefined) packageAt[i] = p;
  }
  const ctx: Context = { text, plan, graph, lines, packageAt, out: [], conflicts: [] };
  checkIds(ctx);
  checkDependencies(ctx);
  checkCycles(ctx);
  checkLockKeys(ctx);
  checkGlobs(ctx);
  checkWriteDenied(ctx);
  checkParallelOverlaps(ctx);
  checkWaveWidth(ctx, options.maxParallel ?? DEFAULT_MAX_PARALLEL);
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

/** Edit distance, bounded: returns max + 1 as soon as it is exceeded. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, cur[j]);
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

function closestId(ctx: Context, id: string, exclude: string): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(id.length / 4)) + 1;
  for (const candidate of ctx.graph.ids) {
    if (candidate === exclude) continue;
    const d = distance(id, candidate, bestD - 1);
    if (d < bestD) {
      best = candidate;
      bestD = d;
    }
  }
  return best;
}

function removeFix(ctx: Context, p: PlanPackage, dep: Located<string>, title: string): Fix {
  return {
    title,
    edits: [removeSequenceItem(ctx.text, dep.range, p.dependsOn.map((d) => d.range))],
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

function checkCycles(ctx: Context): void {
  for (const cycle of ctx.graph.cycles) {
    const words = cycle.map((id, k) => `\`${id}\` depends on \`${cycle[(k + 1) % cycle.length]}\``).join(', ');
    const message = `Dependency cycle: ${words}. Packages on or behind a cycle get no wave and cannot run`;
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

function checkGlobs(ctx: Context): void {
  for (const p of ctx.plan.packages) {
    const lists: [string, Located<string>[]][] = [
      ['scope.write_allow', p.scope.writeAllow],
      ['scope.read_allow', p.scope.readAllow],
      ['scope.deny', p.scope.deny],
      ['locks.files', p.locks.files],
    ];
    for (const [where, list] of lists) {
      for (const glob of list) {
        const seen = new Set<string>();
        for (const problem of checkGlob(glob.value)) {
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
 * Pairs of claims whose globs may overlap, without comparing every pair: globs are filed in
 * a trie by their literal leading segments, and two globs can only cover a common path when
 * one's literal prefix is a prefix of the other's.
 */
function candidatePairs(claims: readonly Claim[]): [Claim, Claim][] {
  interface TrieNode {
    here: Claim[];
    children: Map<string, TrieNode>;
  }
  const root: TrieNode = { here: [], children: new Map() };
  for (const claim of claims) {
    let node = root;
    for (const segment of literalPrefix(claim.item.value)) {
      let child = node.children.get(segment);
      if (!child) node.children.set(segment, (child = { here: [], children: new Map() }));
      node = child;
    }
    node.here.push(claim);
  }
  const pairs: [Claim, Claim][] = [];
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
    for (let i = 0; i < here.length; i++) {
      for (const a of above) pairs.push([a, here[i]]);
      for (let j = i + 1; j < here.length; j++) pairs.push([here[i], here[j]]);
    }
    above.push(...here);
    for (const child of frame.node.children.values()) stack.push({ node: child, depthAbove: above.length, entered: false });
  }
  return pairs;
}

/** A dependency fix: make `later` depend on `earlier`. */
function orderFix(ctx: Context, later: PlanPackage, earlier: PlanPackage, preferred: boolean): Fix | undefined {
  const edit = addDependency(ctx.text, later, earlier.id);
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

function checkParallelOverlaps(ctx: Context): void {
  const { graph } = ctx;
  const claimsOf = (pick: (p: PlanPackage) => Located<string>[]): Claim[] =>
    ctx.packageAt.flatMap((p, node) => (p ? pick(p).map((item) => ({ node, item })) : []));
  const parallel = (a: Claim, b: Claim) => graph.mayRunInParallel(a.node, b.node);

  // Write scope and lock files: one diagnostic pair per pair of packages (the first
  // overlapping globs found).
  const reported = new Set<string>();
  const pairKey = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);
  const globOverlaps = (
    claims: Claim[],
    code: 'write-overlap' | 'lock-overlap',
    describe: (self: Claim, other: Claim, otherId: string, witness: string) => string,
  ) => {
    for (const [a, b] of candidatePairs(claims)) {
      if (!parallel(a, b) || reported.has(pairKey(a.node, b.node))) continue;
      const witness = overlap(a.item.value, b.item.value);
      if (witness === null) continue;
      reported.add(pairKey(a.node, b.node));
      reportPair(ctx, code, a, b, witness, (self, other, otherId) => describe(self, other, otherId, witness));
    }
  };
  globOverlaps(
    claimsOf((p) => p.scope.writeAllow),
    'write-overlap',
    (self, other, otherId, witness) =>
      `\`${self.item.value}\` overlaps \`${other.item.value}\` of \`${otherId}\`, which may run at the same time: both may write \`${witness}\`. Order them with depends_on or split the scope`,
  );
  reported.clear();
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
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const [a, b] = [list[i], list[j]];
        if (!parallel(a, b) || reported.has(pairKey(a.node, b.node))) continue;
        reported.add(pairKey(a.node, b.node));
        reportPair(ctx, 'lock-overlap', a, b, key, (_self, _other, otherId) =>
          `Lock key \`${key}\` is also taken by \`${otherId}\`, which may run at the same time`,
        );
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

/**
 * Coupling between packages that may run in parallel ("warn before the run"): where
 * code one package may write imports a file another may change at the same time. Given the
 * plan's analysis and the import edges between repository files (read by the engine with a real
 * parser: src/engine/plan/coupling.ts), one `coupling` warning per ordered pair of packages — on
 * the importing package's `depends_on` (its id when it has none), naming the first file and how
 * many more — with the fix that makes it depend on the other. A pair with a dependency path
 * either way is not warned about: one runs after the other.
 *
 * Pure: the files and their imports are the caller's.
 */
import type { PlanAnalysis } from '../plan/analyze';
import { addDependency } from '../plan/edits';
import { packagesBySlot, type Diagnostic, type Fix } from '../plan/model';
import { LineFeeds } from '../plan/text';
import { OwnerIndex } from './ownership';

export const COUPLING_CODE = 'coupling';

/** An import from one repository file of another. */
export interface ImportEdge {
  fromFile: string;
  toFile: string;
}

/** Code `importer` may write imports files `writer` may change, and the two may run in parallel. */
export interface Coupling {
  importer: string;
  writer: string;
  /** The first imported file (in path order), and the file importing it. */
  file: string;
  from: string;
  /** How many more files of `writer`'s the importer's code imports. */
  more: number;
  message: string;
}

export interface CouplingResult {
  diagnostics: Diagnostic[];
  couplings: Coupling[];
}

type CouplingInput = Pick<PlanAnalysis, 'text' | 'plan' | 'graph'>;

/** The packages that have a partner which may run beside them and writes something: slot → true. */
export function packagesWithPartners(analysis: CouplingInput): boolean[] {
  const { graph } = analysis;
  const bySlot = packagesBySlot(analysis.plan.packages, graph.indexOf);
  const writes = Array.from(bySlot, (p) => !!p && p.scope.writeAllow.length > 0);
  const out = writes.map(() => false);
  // Two packages of one wave never depend on each other: a wave with two writers gives each a
  // partner without asking the graph (every package of a large plan, mostly).
  const writersInWave = new Map<number, number>();
  for (let a = 0; a < writes.length; a++) {
    const wave = graph.wave[a];
    if (writes[a] && wave !== null && wave !== undefined) writersInWave.set(wave, (writersInWave.get(wave) ?? 0) + 1);
  }
  for (let a = 0; a < writes.length; a++) {
    if (!writes[a] || out[a]) continue;
    const wave = graph.wave[a];
    if (wave !== null && wave !== undefined && writersInWave.get(wave)! > 1) {
      out[a] = true;
      continue;
    }
    for (let b = 0; b < writes.length; b++) {
      if (b !== a && writes[b] && graph.mayRunInParallel(a, b)) {
        out[a] = out[b] = true;
        break;
      }
    }
  }
  return out;
}

/**
 * The `coupling` warnings of a plan from the imports between repository files. Deterministic:
 * edges are taken in path order, each ordered pair of packages told once.
 */
export function couplingCheck(analysis: CouplingInput, edges: Iterable<ImportEdge>, index: OwnerIndex = new OwnerIndex(analysis)): CouplingResult {
  const { graph, text } = analysis;
  const sorted = [...edges].sort((x, y) => cmp(x.toFile, y.toFile) || cmp(x.fromFile, y.fromFile));
  const pairs = new Map<string, { importer: number; writer: number; file: string; from: string; files: Set<string> }>();
  for (const { fromFile, toFile } of sorted) {
    if (fromFile === toFile) continue;
    const importers = index.lookup(fromFile).owners;
    if (importers.length === 0) continue;
    const writers = index.lookup(toFile).owners;
    for (const b of importers) {
      for (const a of writers) {
        // A file both may write is a write-overlap already (an error of its own).
        if (a === b || writers.includes(b) || !graph.mayRunInParallel(a, b)) continue;
        const key = `${b}:${a}`;
        const seen = pairs.get(key);
        if (seen) seen.files.add(toFile);
        else pairs.set(key, { importer: b, writer: a, file: toFile, from: fromFile, files: new Set([toFile]) });
      }
    }
  }
  const feeds = new LineFeeds(text);
  const diagnostics: Diagnostic[] = [];
  const couplings: Coupling[] = [];
  for (const p of [...pairs.values()].sort((x, y) => x.importer - y.importer || x.writer - y.writer)) {
    const importer = index.packages[p.importer].pkg;
    const writer = index.packages[p.writer].id;
    const more = p.files.size - 1;
    const message = couplingMessage(importer.id, writer, p.file, p.from, more);
    couplings.push({ importer: importer.id, writer, file: p.file, from: p.from, more, message });
    const edit = addDependency(text, importer, writer, feeds);
    const fixes: Fix[] = edit ? [{ title: `Make \`${importer.id}\` depend on \`${writer}\``, edits: [edit], preferred: true }] : [];
    diagnostics.push({
      severity: 'warning',
      code: COUPLING_CODE,
      message,
      range: importer.keyRanges['depends_on'] ?? importer.idRange,
      packageId: importer.id,
      fixes,
    });
  }
  return { diagnostics, couplings };
}

/** "wp-b imports src/a/api.ts (from src/b/use.ts), which wp-a may change: …" */
export function couplingMessage(importer: string, writer: string, file: string, from: string, more: number): string {
  const others = more > 0 ? ` and ${more} more file${more === 1 ? '' : 's'} of ${writer}'s` : '';
  return `${importer} imports ${file} (from ${from})${others}, which ${writer} may change: give ${importer} a dependency on ${writer} or a contract both read`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Where a package may run (ADR 0037): the labels a pull worker must have to claim it, read from
 * its `inputs.waves.requires` (`[gpu]`, `[macos, xcode]`); what is malformed there, positioned.
 * A worker offers labels (`waves worker --labels`); a package is claimed only by a worker with
 * every one it requires. Pure.
 */
import { wavesInputOf } from './candidateSet';
import type { Diagnostic, PlanPackage } from './model';
import type { DataPath } from './reader/planSites';
import type { ReadResult } from './reader/reader';

/** A label as a worker offers it and a package requires it: letters, digits and `._:@-`, at most 128. */
export const isWorkerLabel = (v: unknown): v is string => typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/.test(v);

/** The most labels one package may require. */
const MAX_REQUIRES = 16;

/** The labels a package requires of its worker (each once, as written), or [] when it names none or they are malformed. */
export function requiresOf(pkg: PlanPackage): string[] {
  const requires = wavesInputOf(pkg)?.requires;
  return Array.isArray(requires) && requires.length <= MAX_REQUIRES && requires.every(isWorkerLabel) ? [...new Set(requires)] : [];
}

/** What is malformed in a package's `inputs.waves.requires`, each with its path inside the package. */
export function requiresProblems(pkg: PlanPackage): { message: string; path: (string | number)[] }[] {
  const waves = wavesInputOf(pkg);
  if (!waves || waves.requires === undefined) return [];
  const requires = waves.requires;
  const at = ['inputs', 'waves', 'requires'];
  if (!Array.isArray(requires) || requires.length === 0)
    return [{ message: '`inputs.waves.requires` must be a non-empty list of the labels a pull worker must have to take this package (e.g. [gpu] or [macos, xcode])', path: at }];
  if (requires.length > MAX_REQUIRES) return [{ message: `\`inputs.waves.requires\` names ${requires.length} labels: at most ${MAX_REQUIRES}`, path: at }];
  return requires.flatMap((label, i) =>
    isWorkerLabel(label) ? [] : [{ message: `\`inputs.waves.requires\` item ${i + 1} must be a label of letters, digits and ._:@- (at most 128, as \`waves worker --labels\` takes them); found ${typeof label === 'string' ? `\`${label.slice(0, 40)}\`` : label === null ? 'null' : typeof label === 'object' ? 'a mapping or list' : `\`${String(label)}\``}`, path: [...at, i] }],
  );
}

/** The plan's `inputs.waves.requires` problems as errors at their values (analyze.ts runs it after the schema). */
export function requiresDiagnostics(read: ReadResult): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const pkg of read.plan.packages) {
    if (pkg.inputs === undefined) continue;
    for (const p of requiresProblems(pkg)) {
      const path: DataPath = ['packages', pkg.index, ...p.path];
      out.push({ severity: 'error', code: 'requires-value', message: p.message, range: read.locate(path), packageId: pkg.id || null });
    }
  }
  return out;
}

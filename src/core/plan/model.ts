/**
 * The plan model: what a `work-packages.yaml` says, in canonical form, with the source
 * range of everything a diagnostic or an editor feature may need to point at.
 *
 * Pure data. No `vscode` import anywhere under `src/core`.
 */

/** Half-open range of UTF-16 offsets into the plan text: [start, end). */
export interface TextRange {
  start: number;
  end: number;
}

/** A value together with where it was written. */
export interface Located<T> {
  value: T;
  range: TextRange;
}

export type Severity = 'error' | 'warning' | 'info';

/** One text replacement; offsets refer to the text the diagnostic was computed on. */
export interface TextEdit {
  range: TextRange;
  newText: string;
}

/** A quick fix the editor can offer: a title and the edits that make it. */
export interface Fix {
  title: string;
  edits: TextEdit[];
  /** The fix a user almost always wants (VS Code's `isPreferred`). */
  preferred?: boolean;
}

export interface Diagnostic {
  severity: Severity;
  /** Stable identifier, e.g. `dependency-unknown`. See `docs/diagnostics.md`. */
  code: string;
  message: string;
  range: TextRange;
  /** The package the problem belongs to, when it belongs to one. */
  packageId: string | null;
  fixes?: Fix[];
}

/** Diagnostics in the order of the text they point at (then by end, then by code): how every report lists them. */
export function inTextOrder(a: Diagnostic, b: Diagnostic): number {
  return a.range.start - b.range.start || a.range.end - b.range.end || a.code.localeCompare(b.code);
}

export type WorktreeMode = 'isolated' | 'shared';
export type VerificationTier = 'A' | 'B' | 'C';

export interface Scope {
  writeAllow: Located<string>[];
  readAllow: Located<string>[];
  deny: Located<string>[];
}

export interface Locks {
  files: Located<string>[];
  keys: Located<string>[];
  ttlMinutes?: number;
  reason?: string;
}

export interface VerificationStep {
  name: string;
  kind: string;
  command?: string;
  range: TextRange;
}

export interface Verification {
  tier?: VerificationTier;
  steps: VerificationStep[];
}

export interface PlanPackage {
  /** The package id (`package_id`, or a dialect's `id`). May be '' when missing. */
  id: string;
  /** Where the id is written (or the package's mapping when it has no id). */
  idRange: TextRange;
  /** The whole package mapping. */
  range: TextRange;
  /** Position in the `packages` sequence, 0-based. */
  index: number;
  title?: string;
  description?: string;
  taskType?: string;
  priority?: number;
  dependsOn: Located<string>[];
  scope: Scope;
  locks: Locks;
  worktree?: { name?: string; mode?: WorktreeMode };
  timeoutMinutes?: number;
  retryBudget?: number;
  verification?: Verification;
  outputs?: { resultKeys: string[]; artifacts: string[] };
  /** `inputs`: free-form data handed to the agent, as plain JSON values (a copy). */
  inputs?: unknown;
  /** Range of each top-level key of the package as written (`depends_on`, `scope`, …). */
  keyRanges: Record<string, TextRange>;
}

/**
 * The package of each node of the dependency graph, by its index there: the first definition of
 * its id (the checks report the others; a package without an id is no node).
 */
export function packagesBySlot(packages: readonly PlanPackage[], indexOf: ReadonlyMap<string, number>): PlanPackage[] {
  const bySlot: PlanPackage[] = [];
  for (const pkg of packages) {
    const slot = indexOf.get(pkg.id);
    if (slot !== undefined && bySlot[slot] === undefined) bySlot[slot] = pkg;
  }
  return bySlot;
}

export interface PlanDefaults {
  priority?: number;
  lockTtlMinutes?: number;
  timeoutMinutes?: number;
  retryBudget?: number;
  verificationTierRequired?: VerificationTier;
  minTrustLevel?: number;
}

export interface Plan {
  schemaVersion?: unknown;
  feature?: { id?: string; title?: string; planRevision?: number; range: TextRange };
  /** Contract files named by the plan (`contracts.openapi.files` and `primary`). */
  contractFiles: Located<string>[];
  defaults: PlanDefaults;
  packages: PlanPackage[];
  /** Range of the `packages` key's value, or of the document when absent. */
  packagesRange: TextRange;
}

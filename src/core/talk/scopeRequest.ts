/**
 * Agents talk back (ADR 0036): an attempt's `request_scope` call checked exactly, before and after
 * the person decides. More write scope is granted only where no other package of the run may
 * write, holds a lock, or was granted it already — by the same exact glob engine that checks a
 * plan's scopes (a shortest path both cover is the witness) — never where the package's own scope
 * denies, and, below a parent of a plan of plans, only inside every ancestor's write scope (the
 * parent is audited against its own). The person grants or refuses; this says what may be asked.
 *
 * Pure, deterministic. No `vscode`, no I/O.
 */
import { checkGlob, isCoveredBy, overlap, uncoveredWitness } from '../plan/glob';
import { ENGINE_FOLDER } from '../run/audit';
import { MAX_GRANTED_PATHS, MAX_SCOPE_PATHS, repoRelative } from './talkTools';

/** A package of the run as the check sees it: what it may write, denies, locks and was granted. */
export interface ScopeHolder {
  id: string;
  writeAllow: readonly string[];
  deny: readonly string[];
  lockFiles: readonly string[];
  granted: readonly string[];
}

export interface ScopeCheckInput {
  /** The asking package's id. */
  id: string;
  /** The paths as the agent named them (globs allowed), relative to the repository or absolute inside it. */
  paths: readonly string[];
  /** The repository's root, posix. */
  repoRoot: string;
  /** Every package of the run, the asking one among them. */
  packages: readonly ScopeHolder[];
  /** Each ancestor's write scope, nearest first (a package below a parent of a plan of plans); none at the top. */
  ancestors: readonly { id: string; writeAllow: readonly string[] }[];
}

export type ScopeCheck =
  | { ok: true; /** The paths to grant, repository-relative, those already the package's left out. */ fresh: string[]; /** Those it may write already. */ own: string[] }
  | { ok: false; reasons: string[] };

/** What a request may be granted, or every reason it may not (each naming the path and, for a clash, a path both cover). */
export function checkScopeRequest(input: ScopeCheckInput): ScopeCheck {
  const self = input.packages.find((p) => p.id === input.id);
  if (!self) return { ok: false, reasons: [`${input.id} is not a package of this run`] };
  if (input.paths.length === 0) return { ok: false, reasons: ['no path named'] };
  if (input.paths.length > MAX_SCOPE_PATHS) return { ok: false, reasons: [`at most ${MAX_SCOPE_PATHS} paths a request`] };
  const reasons: string[] = [];
  const fresh: string[] = [];
  const own: string[] = [];
  for (const asked of input.paths) {
    const rel = repoRelative(asked, input.repoRoot);
    if (rel === null) {
      reasons.push(`${asked} is outside the repository`);
      continue;
    }
    const problem = checkGlob(rel)[0];
    if (problem) {
      reasons.push(`${rel} is not a path or pattern the plan format takes: ${problem.message}`);
      continue;
    }
    const engine = overlap(rel, `${ENGINE_FOLDER}/**`);
    if (engine !== null) {
      reasons.push(`${rel} covers ${engine}: ${ENGINE_FOLDER}/ is the engine's`);
      continue;
    }
    const denied = self.deny.map((d) => ({ d, at: overlap(rel, d) })).find((x) => x.at !== null);
    if (denied) {
      reasons.push(`${rel} covers ${denied.at}, which your scope denies (deny: ${denied.d})`);
      continue;
    }
    if ([...self.writeAllow, ...self.granted].some((w) => isCoveredBy(rel, w))) {
      own.push(rel);
      continue;
    }
    const clash = clashOf(rel, self.id, input.packages);
    if (clash) {
      reasons.push(clash);
      continue;
    }
    const outside = input.ancestors.map((a) => ({ a, at: uncoveredWitness(rel, a.writeAllow) })).find((x) => x.at !== null);
    if (outside) {
      reasons.push(`${rel} is not inside ${outside.a.id}'s write scope (${outside.a.writeAllow.join(', ') || 'none'}): ${outside.at}`);
      continue;
    }
    if (!fresh.includes(rel)) fresh.push(rel);
  }
  if (reasons.length) return { ok: false, reasons };
  if (self.granted.length + fresh.length > MAX_GRANTED_PATHS) return { ok: false, reasons: [`a package is granted at most ${MAX_GRANTED_PATHS} paths in a run`] };
  return { ok: true, fresh, own };
}

/** The first other package whose scope, locks or grants cover a path `rel` covers, said with that path. */
function clashOf(rel: string, id: string, packages: readonly ScopeHolder[]): string | null {
  for (const p of packages) {
    if (p.id === id) continue;
    for (const [globs, what] of [
      [p.writeAllow, 'may write'],
      [p.granted, 'was granted'],
      [p.lockFiles, 'locks'],
    ] as const) {
      for (const g of globs) {
        const at = overlap(rel, g);
        if (at !== null) return `${rel} covers ${at}, which ${p.id} ${what} (${g})`;
      }
    }
  }
  return null;
}

/**
 * Coupling between parallel packages read from the repository as it is (#34 item 3): its files
 * listed by git (tracked and untracked, not ignored), the files of packages that have a parallel
 * partner parsed for their imports (importParser.ts), each import resolved to the files it names
 * (core/ownership/importResolve.ts), and the edges judged by core/ownership/coupling.ts. Bounded:
 * at most `maxFiles` files parsed, none over `maxBytes`; what was passed over is said once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PlanAnalysis } from '../../core/plan/analyze';
import { couplingCheck, packagesWithPartners, type CouplingResult, type ImportEdge } from '../../core/ownership/coupling';
import { resolveImport } from '../../core/ownership/importResolve';
import { OwnerIndex } from '../../core/ownership/ownership';
import { git } from '../git';
import { importsOf, parsedLanguage } from './importParser';
import { repositoryRoot } from './planSource';

export interface CouplingOptions {
  /** At most this many files parsed (default 5,000). */
  maxFiles?: number;
  /** Files larger than this are not parsed (default 1 MiB). */
  maxBytes?: number;
}

export interface CouplingScan extends CouplingResult {
  /** What was passed over or could not be read, one line each (none when everything was read). */
  notes: string[];
  /** How many files were parsed. */
  parsed: number;
}

export const DEFAULT_MAX_COUPLING_FILES = 5000;
export const DEFAULT_MAX_COUPLING_BYTES = 1024 * 1024;

const NOTHING: CouplingScan = { diagnostics: [], couplings: [], notes: [], parsed: 0 };

/**
 * The coupling warnings of a plan, from the repository holding its file (none outside a git
 * repository). Never throws: a failure is a note.
 */
export async function couplingOfPlan(planFile: string, analysis: PlanAnalysis, options: CouplingOptions = {}): Promise<CouplingScan> {
  const index = new OwnerIndex(analysis);
  const partners = packagesWithPartners(analysis, index);
  if (!partners.some((p) => p)) return NOTHING;
  try {
    const root = await repositoryRoot(path.dirname(path.resolve(planFile)));
    if (!root) return NOTHING;
    return await findCoupling(root, analysis, options, index, partners);
  } catch (err) {
    return { ...NOTHING, notes: [`The coupling check failed: ${err instanceof Error ? err.message : String(err)}`] };
  }
}

/** The coupling warnings of a plan whose scopes are relative to the repository at `root`. */
export async function findCoupling(
  root: string,
  analysis: PlanAnalysis,
  options: CouplingOptions = {},
  index = new OwnerIndex(analysis),
  partners = packagesWithPartners(analysis, index),
): Promise<CouplingScan> {
  if (!partners.some((p) => p)) return NOTHING;
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_COUPLING_FILES;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_COUPLING_BYTES;
  const listed = (await git(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'])).stdout.split('\0').filter((f) => f !== '');
  const files = new Set(listed);
  // Parsed: the files of a package that has a parallel partner; each is looked up once.
  const toParse = listed.filter((f) => parsedLanguage(f) && index.lookup(f).owners.some((s) => partners[s])).sort();
  const notes: string[] = [];
  if (toParse.length > maxFiles) {
    notes.push(`The coupling check read the imports of ${maxFiles} of ${toParse.length} files in parallel packages' write scopes (the first in path order); the rest were not read.`);
    toParse.length = maxFiles;
  }
  const edges: ImportEdge[] = [];
  const tooLarge: string[] = [];
  const unread: string[] = [];
  let parsed = 0;
  for (const file of toParse) {
    let text: string;
    try {
      const full = path.join(root, file);
      const stat = fs.lstatSync(full);
      if (!stat.isFile()) continue; // a link or a folder (a submodule) is not read
      if (stat.size > maxBytes) {
        tooLarge.push(file);
        continue;
      }
      text = fs.readFileSync(full, 'utf8');
    } catch {
      continue; // listed by git but gone: a deleted file in the work tree
    }
    let imports;
    try {
      imports = await importsOf(file, text);
    } catch {
      imports = undefined;
    }
    if (!imports) {
      unread.push(file);
      continue;
    }
    parsed++;
    for (const ref of imports) for (const toFile of resolveImport(file, ref, files)) edges.push({ fromFile: file, toFile });
  }
  const first = (list: string[]) => `${list[0]}${list.length > 1 ? ` and ${list.length - 1} more` : ''}`;
  if (tooLarge.length) notes.push(`The coupling check passed over ${tooLarge.length} file(s) over ${Math.round(maxBytes / 1024)} KiB: ${first(tooLarge)}.`);
  if (unread.length) notes.push(`The coupling check could not parse ${unread.length} file(s), skipped: ${first(unread)}.`);
  return { ...couplingCheck(analysis, edges, index), notes, parsed };
}

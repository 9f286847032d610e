/**
 * Coupling between parallel packages read from the repository as it is: its files
 * listed by git (tracked and untracked, not ignored), the files of packages that have a parallel
 * partner parsed for their imports (importParser.ts), each import resolved to the files it names
 * (core/ownership/importResolve.ts), and the edges judged by core/ownership/coupling.ts. Bounded:
 * at most `maxFiles` files parsed, none over `maxBytes`; what was passed over is said once. A
 * file's imports are kept while it stays the same, so checking again reads only what changed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PlanAnalysis } from '../../core/plan/analyze';
import { couplingCheck, packagesWithPartners, type CouplingResult, type ImportEdge } from '../../core/ownership/coupling';
import { resolveImport, type ImportRef } from '../../core/ownership/importResolve';
import { OwnerIndex } from '../../core/ownership/ownership';
import { git } from '../git';
import { importsOf, parsedLanguage } from './importParser';
import { gitMayFindRepository } from '../../util/workTree';
import { repositoryRoot } from './planSource';

export interface CouplingOptions {
  /** At most this many files parsed (default 5,000). */
  maxFiles?: number;
  /** Files larger than this are not parsed (default 1 MiB). */
  maxBytes?: number;
  /** `packagesWithPartners(analysis)`, when the caller has it already (the CLI asks it before it loads the engine). */
  partners?: boolean[];
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
 * Each file's imports as last read, by its absolute path, while its size and modification time
 * stay the same (null: it could not be parsed): a plan checked again as it is edited reads only
 * the files that changed. Bounded; the oldest entries go first.
 */
const importCache = new Map<string, { size: number; mtimeMs: number; imports: ImportRef[] | null }>();
const MAX_CACHED = 50_000;

function cachedImports(full: string, stat: fs.Stats): ImportRef[] | null | undefined {
  const hit = importCache.get(full);
  return hit && hit.size === stat.size && hit.mtimeMs === stat.mtimeMs ? hit.imports : undefined;
}

function remember(full: string, stat: fs.Stats, imports: ImportRef[] | null): void {
  importCache.delete(full);
  importCache.set(full, { size: stat.size, mtimeMs: stat.mtimeMs, imports });
  if (importCache.size > MAX_CACHED) importCache.delete(importCache.keys().next().value!);
}

/**
 * The coupling warnings of a plan, from the repository holding its file (none outside a git
 * repository, which is known from the disk without starting git: `gitMayFindRepository`). Never
 * throws: a failure is a note.
 */
export async function couplingOfPlan(planFile: string, analysis: PlanAnalysis, options: CouplingOptions = {}): Promise<CouplingScan> {
  // The disk first: a few file lookups, where the partners take a walk of the whole graph.
  const folder = path.dirname(path.resolve(planFile));
  if (!gitMayFindRepository(folder)) return NOTHING;
  const partners = options.partners ?? packagesWithPartners(analysis);
  if (!partners.some((p) => p)) return NOTHING;
  try {
    const root = await repositoryRoot(folder);
    if (!root) return NOTHING;
    return await findCoupling(root, analysis, options, new OwnerIndex(analysis), partners);
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
  partners = packagesWithPartners(analysis),
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
  let slice = performance.now();
  for (const file of toParse) {
    const full = path.join(root, file);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(full);
    } catch {
      continue; // listed by git but gone: a deleted file in the work tree
    }
    if (!stat.isFile()) continue; // a link or a folder (a submodule) is not read
    if (stat.size > maxBytes) {
      tooLarge.push(file);
      continue;
    }
    let imports = cachedImports(full, stat);
    if (imports === undefined) {
      try {
        imports = (await importsOf(file, fs.readFileSync(full, 'utf8'))) ?? null;
      } catch {
        // unreadable, or the parser failed: counted in `unread`, which a note names
        imports = null;
      }
      remember(full, stat, imports);
      // The editor's extension host runs this: its event loop gets a turn every few milliseconds.
      if (performance.now() - slice > 10) {
        await new Promise((resolve) => setImmediate(resolve));
        slice = performance.now();
      }
    }
    if (imports === null) {
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

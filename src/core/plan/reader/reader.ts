/**
 * The plan reader: `work-packages.yaml` text → the plan model, with the source range of every
 * package and field, plus the document as plain data in canonical form for the schema.
 *
 * Three stages, each pure:
 *  1. parse — `planParse.ts`: the `yaml` document API (node ranges are UTF-16 offsets, errors
 *     are positioned); large texts first try `fastYaml.ts`, which builds the same nodes faster
 *     or gives up — and before that `planDirect.ts`, which does stages 1 and 2 in one for the
 *     plan subset when no dialect is written (no document tree at all);
 *  2. walk  — `planWalk.ts`: YAML nodes → canonical plain data. Known dialects (`id` for
 *     `package_id`, `verification: tier_b`, …; `planDialects.ts`, `docs/diagnostics.md`) are
 *     read as their canonical form and reported with a warning and, when the mend is obvious,
 *     a fix. Where every member of the data was written is recorded (`planSites.ts`), so
 *     `locate` maps a canonical path back to the text;
 *  3. model — `modelBuilder.ts`: canonical data → `Plan`, every range found through the sites.
 *
 * It never throws: whatever the text, the result is a (possibly empty) plan and positioned
 * diagnostics; a bug becomes an `internal-error` diagnostic.
 */
import { FAST_PARSE_MIN_LENGTH } from './fastYaml';
import { ModelBuilder } from './modelBuilder';
import type { Diagnostic, Plan, PlanPackage, TextRange } from '../model';
import { readDirect } from './planDirect';
import { diagnostic, parse } from './planParse';
import { MapSites, bindLocate, type DataPath, type Sites } from './planSites';
import { Walker } from './planWalk';

export interface ReadResult {
  plan: Plan;
  /** Reader and dialect diagnostics (YAML syntax, drift from the format); not semantic checks. */
  diagnostics: Diagnostic[];
  /** The document as plain JS, canonicalised (dialects renamed and converted), for the schema. */
  data: unknown;
  /**
   * Range in the original text of the node at `path` in `data` (a canonical name maps back to
   * where its dialect was written). `key` asks for the key of a mapping member (a list item or
   * the root has none: its value is given). A path that does not exist falls back to its
   * nearest existing ancestor, preferring that ancestor's key.
   */
  locate(path: DataPath, part?: 'key' | 'value'): TextRange;
  /** The text that was read; every range refers to it. */
  text: string;
}

export interface ReadOptions {
  /** How many aliases may be expanded in all (billion-laughs guard). Negative: no limit. Default 100. */
  maxAliasCount?: number;
  /**
   * The YAML front end. `auto` (default): for texts of 64 KiB and more, the direct read
   * (`planDirect.ts`: no document tree), else the fast front ends (`fastYaml.ts`); the `yaml`
   * package's for smaller texts and whenever the others give up. `yaml`: always the `yaml`
   * package. `fast`: the fast front ends and the walk whenever they can; `direct`: the direct
   * read whenever it can, else as `fast` (both for tests).
   */
  parser?: 'auto' | 'yaml' | 'fast' | 'direct';
}

export const DEFAULT_MAX_ALIAS_COUNT = 100;

// ---------------------------------------------------------------------------------------------
// Entry point

export function readPlan(text: string, options: ReadOptions = {}): ReadResult {
  const source = typeof text === 'string' ? text : '';
  const out: Diagnostic[] = [];
  let sites: Sites | undefined;
  let data: unknown = null;
  const parser = options.parser ?? 'auto';
  try {
    let rootRange: TextRange;
    const direct = parser === 'direct' || (parser === 'auto' && source.length >= FAST_PARSE_MIN_LENGTH) ? readDirect(source) : undefined;
    if (direct) {
      ({ data, sites, rootRange } = direct);
    } else {
      const { doc, binary, lean } = parse(source, out, parser === 'direct' ? 'fast' : parser);
      const walker = new Walker(source, doc, options.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT, out, lean);
      data = binary ? null : walker.root();
      sites = new MapSites(walker.sites);
      rootRange = walker.rootRange;
    }
    const plan = new ModelBuilder(sites, rootRange).plan(data);
    assignPackages(out, plan.packages);
    return { plan, diagnostics: out, data, locate: bindLocate(data, sites, rootRange), text: source };
  } catch (err) {
    const documentRange = { start: 0, end: source.length };
    // Thousands of nested collections run out of stack: the text's doing, not a bug — say so.
    const tooDeep = err instanceof RangeError && /call stack/i.test(err.message);
    out.push(
      tooDeep
        ? diagnostic('error', 'yaml-syntax', 'YAML: the plan nests collections too deeply to be read (thousands of levels); a plan needs a few', { start: 0, end: 0 })
        : diagnostic('error', 'internal-error', `Internal error in the plan reader (please report it): ${err instanceof Error ? err.message : String(err)}`, { start: 0, end: 0 }),
    );
    return {
      plan: emptyPlan(documentRange),
      diagnostics: out,
      data: sites ? data : null,
      locate: bindLocate(sites ? data : null, sites ?? new MapSites(), documentRange),
      text: source,
    };
  }
}

function emptyPlan(packagesRange: TextRange): Plan {
  return { contractFiles: [], defaults: {}, packages: [], packagesRange };
}

/** Sets the reader's diagnostics' `packageId`: the package whose range holds the diagnostic. */
function assignPackages(diagnostics: Diagnostic[], packages: readonly PlanPackage[]): void {
  const sorted = packages.filter((p) => p.id).sort((a, b) => a.range.start - b.range.start);
  for (const d of diagnostics) {
    let lo = 0;
    let hi = sorted.length - 1;
    let found: PlanPackage | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid].range.start <= d.range.start) {
        found = sorted[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found && d.range.start <= found.range.end) d.packageId = found.id;
  }
}

/**
 * How the CLI loads the bundles it needs on first use (the run engine, `dist/engine.js`:
 * scripts/on-demand.mjs's stand-ins call `loadBundle`). bin/waves.js hands in its own loader,
 * which compiles a bundle with the code cache the build wrote beside it (scripts/codeCache.mjs,
 * #37): the engine loads in about half the time. Without one — the CLI's bundle required some
 * other way, a test — `require`.
 *
 * And what the engine loads on first use that the CLI holds itself — plan analysis and the plan's
 * schema (`dist/planAnalysis.js`, `dist/planSchema.js`, the extension's bundles) — it gets from
 * the CLI (`offerOwnBundles`): compiled once, from the CLI's code cache, not a second copy.
 */
import * as planAnalysis from '../core/plan/analyze';
import * as planSchema from '../core/plan/schemaCheck';

type Loader = (file: string) => unknown;

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a bundle beside this one, by its path
let loader: Loader = (file) => require(file);

/** The loader of the CLI's on-demand bundles from now on. */
export function useBundleLoader(load: Loader): void {
  loader = load;
}

/** The bundle at `file` (an absolute path), loaded once as `require` would. */
export function loadBundle(file: string): unknown {
  return loader(file);
}

/** The CLI's own modules of the bundles of that name (scripts/on-demand.mjs `ON_DEMAND`). */
const OWN: Readonly<Record<string, unknown>> = { planAnalysis, planSchema };

/**
 * From now on, a stand-in in a bundle of `dist` (the one beside the CLI's: the same build) asking
 * for one of `OWN`'s bundles gets the CLI's module instead (scripts/on-demand.mjs: the engine bundle's stand-ins
 * ask `Symbol.for('waves.ownBundles')` first).
 */
export function offerOwnBundles(dist: string): void {
  const offer = (bundle: string, dir: string): unknown => (dir === dist && Object.hasOwn(OWN, bundle) ? OWN[bundle] : undefined);
  Object.defineProperty(globalThis, Symbol.for('waves.ownBundles'), { value: offer, configurable: true });
}

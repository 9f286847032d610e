/**
 * How the CLI loads the bundles it needs on first use (the run engine, `dist/engine.js`:
 * scripts/on-demand.mjs's stand-ins call `loadBundle`). bin/waves.js hands in its own loader,
 * which compiles a bundle with the code cache the build wrote beside it (scripts/codeCache.mjs,
 * #37): the engine loads in about half the time. Without one — the CLI's bundle required some
 * other way, a test — `require`.
 */
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

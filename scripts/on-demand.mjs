// What the extension host loads when (ADR 0029): `dist/extension.js` at activation, and each
// bundle of `HOST_BUNDLES` where the code asks for it. A bundle is one module, its entry, with what
// only it imports. Wherever another bundle imports that module, the build puts
// `require("./<bundle>.js")` in its place, and plain JavaScript decides when that runs: a static
// import loads the bundle with the bundle that imports it; an `await import()` (or a `require()`)
// inside a function loads it when that line runs. The activation bundle reaches these only the
// second way, at a few entry points; test/vscode/suite/activation.test.ts holds a real VS Code to
// it (no other bundle loaded by activation). A module imported from two bundles is compiled into
// both: only plain data and functions cross between them (no `instanceof` across).
//
// Used by esbuild.mjs and test/build/bundles.test.ts; paths are relative to the repository's root.
// `WAVES_BUILD_WITHOUT=<mechanism>[,…]` builds without a start-up mechanism, for
// `npm run bench activation -- --without=<mechanism>` and `validate` (bench/variant.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The extension host's bundles besides `dist/extension.js`, and who loads each (its entry points). */
export const HOST_BUNDLES = [
  // Plan analysis (the reader, `yaml` and js-yaml, the schema's compiled validator, the checks,
  // the graph): src/plan/planRegistry.ts loads it right after activation returns, while the
  // workspace search is under way; the engine imports it.
  { bundle: 'planAnalysis', entry: 'src/core/plan/analyze.ts' },
  // Task lists of other tools read as plans (src/core/formats): src/plan/planRegistry.ts and
  // src/extension/foreignPlans, with the first file of such a name found in the workspace.
  { bundle: 'foreignAnalysis', entry: 'src/core/formats/foreignAnalysis.ts' },
  // A run state's check (its generated validator): src/run/run/runWatch.ts, with the first run state
  // read; the engine imports it.
  { bundle: 'runStateCheck', entry: 'src/core/run/runStateValidation.ts' },
  // The editor's run (controller, commands, notifications, reconciler), the shared coordinator's
  // runs, planning, hosts, the review and the DAG panel's host side: src/onDemandStubs.ts, on the
  // first of their commands (or a run on disk to reconcile, a coordinator, a proposed plan).
  { bundle: 'onDemand', entry: 'src/onDemand.ts' },
  // The run engine's front door (with the coordinator's `pg`): with the on-demand parts, which
  // import it; before them, the coupling check's first plan (src/run/coupling/couplingDiagnostics.ts) and
  // a lease to read (src/run/run/runFacts.ts).
  { bundle: 'engine', entry: 'src/engine/index.ts' },
];

/**
 * The build options of every extension host bundle (node, CommonJS, `vscode` external); an `await
 * import()` of another bundle becomes a `require` in a promise, as a CommonJS bundle loads it.
 */
export const HOST_OPTIONS = { platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], supported: { 'dynamic-import': false } };

/** The start-up mechanisms a build can go without, for the benches (`WAVES_BUILD_WITHOUT`). */
export const MECHANISMS = {
  bundles: "HOST_BUNDLES: without it, everything is in dist/extension.js",
  'vscode-once': "one copy of the VS Code API per bundle (`vscodeOnce`)",
  'heap-tuning': "V8's heap sized for `waves validate` / `graph` (src/cli/bigPlanAnalysis.ts)",
};

/** The mechanisms this build goes without (`WAVES_BUILD_WITHOUT`, comma-separated). */
export function buildWithout(env = process.env) {
  const without = (env.WAVES_BUILD_WITHOUT ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of without) if (!Object.hasOwn(MECHANISMS, m)) throw new Error(`WAVES_BUILD_WITHOUT: no mechanism "${m}" (${Object.keys(MECHANISMS).join(', ')})`);
  return new Set(without);
}

/**
 * The plugin that makes each of `HOST_BUNDLES` but `own` (the bundle being built) a bundle of its
 * own: an import of its entry becomes `require("./<bundle>.js")`, where the import stands.
 */
export function bundleBoundaries(own) {
  const byFile = new Map(HOST_BUNDLES.map(({ bundle, entry }) => [path.resolve(ROOT, entry), bundle]));
  // The last part of an import of an entry: `analyze`, `onDemand`, `engine` (its folder's index).
  const names = HOST_BUNDLES.map(({ entry }) => (path.basename(entry, '.ts') === 'index' ? path.basename(path.dirname(entry)) : path.basename(entry, '.ts')));
  return {
    name: 'bundle-boundaries',
    setup(build) {
      build.onResolve({ filter: new RegExp(`(^|/)(${names.join('|')})(/index)?(\\.ts)?$`) }, async (args) => {
        if (args.pluginData?.boundary) return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { boundary: true } });
        const bundle = resolved.path && byFile.get(resolved.path);
        return bundle && bundle !== own ? { path: `./${bundle}.js`, external: true } : resolved;
      });
    },
  };
}

/**
 * The VS Code API read once per bundle: every `import * as vscode from 'vscode'` of an external
 * module gets its own copy of the API object's few hundred properties (esbuild's `__toESM`) — 21
 * copies in the activation bundle, part of what VS Code counts as the extension's code loading.
 * Here they all import one module that re-exports it: one copy per bundle. (`vscode` has no
 * default export; the node built-ins, imported with `default` too, are left as they are.)
 */
export const vscodeOnce = {
  name: 'vscode-once',
  setup(build) {
    build.onResolve({ filter: /^vscode$/ }, (args) => (args.namespace === 'vscode-once' ? { path: 'vscode', external: true } : { path: 'vscode', namespace: 'vscode-once' }));
    build.onLoad({ filter: /.*/, namespace: 'vscode-once' }, () => ({ contents: "export * from 'vscode';", loader: 'js' }));
  },
};

/** The plugins of an extension host bundle's build (`own`: `extension`, or one of `HOST_BUNDLES`). */
export function hostPlugins(own, without = buildWithout()) {
  return [...(without.has('vscode-once') ? [] : [vscodeOnce]), ...(without.has('bundles') ? [] : [bundleBoundaries(own)])];
}

// The extension host's bundles loaded on first use (ADR 0020), and the esbuild plugins of their
// builds (the stand-ins, `vscode` read once): used by esbuild.mjs and by the test that
// holds the activation bundle to what showing plans needs (test/build/bundles.test.ts).
// Paths are relative to the repository's root (esbuild.mjs runs there).
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The extension host's bundles loaded on first use (ADR 0020). Activation loads
 * dist/extension.js only; where a bundle imports one of another's `modules`, it gets a stand-in
 * whose exports require dist/<bundle>.js when first read (a getter each), so a module may import
 * them and nothing is loaded until it uses them. Each bundle holds its own entry's modules (a
 * module both need is in both: only plain functions and data cross between them).
 */
export const ON_DEMAND = [
  // The editor's run (controller, commands, notifications, reconciler), the shared coordinator's
  // runs, planning, hosts and the DAG panel's host side: on their first command.
  { bundle: 'onDemand', entry: 'src/onDemand.ts', modules: ['src/onDemand.ts'] },
  // The run engine, through its front door (with the coordinator's `pg`): when first called.
  { bundle: 'engine', entry: 'src/engine/index.ts', modules: ['src/engine/index.ts'] },
  // A run state's check (its generated validator is 64 KiB): when the first run state is read.
  { bundle: 'runStateCheck', entry: 'src/core/run/runStateValidation.ts', modules: ['src/core/run/runStateValidation.ts'] },
  // The coupling check in the editor (#34 item 3, ADR 0023): with the first plan opened in an editor.
  { bundle: 'coupling', entry: 'src/run/couplingDiagnostics.ts', modules: ['src/run/couplingDiagnostics.ts'] },
  // The plan's schema, compiled ahead of time (110 KiB): with the first plan checked, right after activation.
  { bundle: 'planSchema', entry: 'src/core/plan/schemaCheck.ts', modules: ['src/core/plan/schemaCheck.ts'] },
  // Plan analysis (the reader, `yaml`, the checks, the graph): with the first plan analysed, which the
  // plan registry warms up right after activation returns (while the workspace search is under way).
  { bundle: 'planAnalysis', entry: 'src/core/plan/analyze.ts', modules: ['src/core/plan/analyze.ts'] },
  // The starter plan of `Waves: Create Plan from Template`: on that command's first use.
  { bundle: 'planTemplate', entry: 'src/core/plan/template.ts', modules: ['src/core/plan/template.ts'] },
  // js-yaml, the plan reader's second fast front end: for plans of 64 KiB and more only.
  { bundle: 'jsYaml', entry: 'node_modules/js-yaml/dist/js-yaml.mjs', modules: ['node_modules/js-yaml/dist/js-yaml.mjs'] },
];

/**
 * The bundles the `waves` CLI loads on first use: the run engine, for the commands that run,
 * report, reach a coordinator or read the repository (`overlap`, `graph`, and `validate` of a plan
 * outside any repository without `--coordinator`, never load it). The CLI holds the rest itself.
 */
export const CLI_ON_DEMAND = ['engine'];

/** Each entry's export names, found once per process: every bundle's plugin asks for the same entries. */
const exportNames = new Map();

/** Each on-demand bundle's export names (what its stand-in offers). */
export function exportsOf(entry) {
  let names = exportNames.get(entry);
  if (!names) {
    names = esbuild
      .build({ entryPoints: [entry], bundle: true, write: false, outdir: 'dist', platform: 'node', format: 'esm', external: ['vscode'], metafile: true, logLevel: 'silent' })
      .then((r) => Object.values(r.metafile.outputs).find((o) => o.entryPoint)?.exports ?? []);
    exportNames.set(entry, names);
  }
  return names;
}

/**
 * The plugin that puts the stand-ins of `ON_DEMAND` into a bundle (`own`: the bundle being built,
 * never its own stand-in; `only`: these bundles' stand-ins alone, the rest bundled as usual;
 * `loader`: a module of the bundle whose `loadBundle(file)` the stand-ins load with, instead of
 * `require` — the CLI's, which bin/waves.js gives its code caches).
 */
export async function onDemandPlugin(own, only = null, loader = null) {
  const byFile = new Map();
  for (const lazy of ON_DEMAND) {
    if (only && !only.includes(lazy.bundle)) continue;
    const exports = await exportsOf(lazy.entry);
    for (const m of lazy.modules) byFile.set(path.resolve(fs.realpathSync(m)), { bundle: lazy.bundle, exports });
  }
  const names = ON_DEMAND.map((l) => l.bundle).join('|');
  return {
    name: 'on-demand',
    setup(build) {
      build.onResolve({ filter: /(^|\/)(onDemand|engine|runStateValidation|couplingDiagnostics|schemaCheck|analyze|template|js-yaml)$/ }, async (args) => {
        if (args.pluginData?.onDemand) return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { onDemand: true } });
        const lazy = resolved.path && byFile.get(path.resolve(resolved.path));
        return lazy && lazy.bundle !== own ? { path: lazy.bundle, namespace: 'on-demand', pluginData: lazy } : resolved;
      });
      build.onResolve({ filter: new RegExp(`^\\./(${names})\\.js$`) }, (args) => ({ path: args.path, external: true }));
      build.onLoad({ filter: /.*/, namespace: 'on-demand' }, (args) => {
        const { bundle, exports } = args.pluginData;
        return {
          contents: [
            `// Stand-in for dist/${bundle}.js, loaded on first use (ADR 0020).`,
            'let loaded;',
            loader
              ? `const load = () => (loaded ??= require(${JSON.stringify(path.resolve(loader))}).loadBundle(require('path').join(__dirname, './${bundle}.js')));`
              : own === 'engine'
                ? // The engine, which the CLI loads too: a CLI holds plan analysis itself and offers
                  // it (`src/cli/bundleLoader.ts`); in the editor nothing is offered, and the bundle is required.
                  `const load = () => (loaded ??= globalThis[Symbol.for('waves.ownBundles')]?.(${JSON.stringify(bundle)}, __dirname) ?? require('./${bundle}.js'));`
                : `const load = () => (loaded ??= require('./${bundle}.js'));`,
            `for (const name of ${JSON.stringify(exports)}) Object.defineProperty(module.exports, name, { enumerable: true, get: () => load()[name] });`,
          ].join('\n'),
          loader: 'js',
          resolveDir: path.resolve('.'),
        };
      });
    },
  };
}

/**
 * The VS Code API read once per bundle: every `import * as vscode from 'vscode'` of an external
 * module gets its own copy of the API object's few hundred properties (esbuild's `__toESM`) — 21
 * copies in the activation bundle, part of what VS Code counts as the extension's code loading
 * (ADR 0020). Here they all import one module that re-exports it: one copy per bundle. (`vscode`
 * has no default export; the node built-ins, imported with `default` too, are left as they are.)
 */
export const vscodeOnce = {
  name: 'vscode-once',
  setup(build) {
    build.onResolve({ filter: /^vscode$/ }, (args) => (args.namespace === 'vscode-once' ? { path: 'vscode', external: true } : { path: 'vscode', namespace: 'vscode-once' }));
    build.onLoad({ filter: /.*/, namespace: 'vscode-once' }, () => ({ contents: "export * from 'vscode';", loader: 'js' }));
  },
};

/** The plugins of an extension host bundle's build (`own`: the bundle being built). */
export async function hostPlugins(own) {
  return [vscodeOnce, await onDemandPlugin(own)];
}

// One build script, the bundles: the extension host's — what activation loads and the bundles it
// loads where the code asks for them (ADR 0029, scripts/on-demand.mjs) — (node, cjs, `vscode`
// external), the `waves` CLI (one bundle), the plan worker and the agent runner (node, cjs) and the
// webview (browser, CSS to its own file).
// Usage: node esbuild.mjs [--watch] [--production] [--dist=DIR]
// (`--dist`: another folder than dist/, for a bench's second build; `WAVES_BUILD_WITHOUT`: see
// scripts/on-demand.mjs.)
import * as esbuild from 'esbuild';
import fs, { readFileSync } from 'node:fs';
import path from 'node:path';
import { updateValidators } from './scripts/gen-validator.mjs';
import { HOST_BUNDLES, HOST_OPTIONS, buildWithout, hostPlugins } from './scripts/on-demand.mjs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production') || process.env.NODE_ENV === 'production';
const dist = process.argv.find((a) => a.startsWith('--dist='))?.slice('--dist='.length) || 'dist';
const without = buildWithout();

// The schemas, compiled ahead of time into src/core/*/generated (see scripts/gen-validator.mjs).
for (const file of updateValidators()) console.log(`esbuild: regenerated ${file} from its schema`);

/** Writes `file` whole or not at all (a temporary file beside it, renamed over it): a build while
 * another process loads dist/ (a test's `waves`, a second build) never shows it half a file. */
function writeWhole(file, data) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temporary, data);
  fs.renameSync(temporary, file);
}

/** @type {esbuild.BuildOptions} */
const common = {
  bundle: true,
  // A one-off build writes its files itself, each whole (`writeWhole`); watching, esbuild writes.
  write: watch,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'linked',
};

const extensionHost = { ...HOST_OPTIONS, outdir: dist };

const contexts = await Promise.all([
  // The activation bundle, then the bundles it loads where the code asks for them (scripts/on-demand.mjs).
  ...[{ bundle: 'extension', entry: 'src/extension.ts' }, ...HOST_BUNDLES].map(({ bundle, entry }) =>
    esbuild.context({ ...common, ...extensionHost, entryPoints: { [bundle]: entry }, plugins: hostPlugins(bundle, without) }),
  ),
  esbuild.context({
    ...common,
    entryPoints: { cli: 'src/cli/waves.ts' },
    define: { WAVES_VERSION: JSON.stringify(pkg.version), ...(without.has('heap-tuning') ? { WAVES_HEAP_TUNING: 'false' } : {}) },
    outdir: dist,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  }),
  // The worker thread that analyses large plans off the extension host's thread (src/plan/analysisPool.ts).
  esbuild.context({
    ...common,
    entryPoints: { planWorker: 'src/plan/analysisWorker.ts' },
    outdir: dist,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  }),
  // The runner a terminal hosts for one agent attempt (node or ELECTRON_RUN_AS_NODE; built-ins only), and the walls' relay alone.
  esbuild.context({
    ...common,
    entryPoints: { runner: 'src/engine/attempt/runner.ts', relay: 'src/engine/attempt/relayMain.ts' },
    define: { WAVES_RUNNER_MAIN: 'true' },
    outdir: dist,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  }),
  // The `waves` MCP server an agent's CLI starts inside its walls, beside the runner (ADR 0036; built-ins only).
  esbuild.context({
    ...common,
    entryPoints: { 'waves-mcp': 'src/engine/talk/mcpServer.ts' },
    define: { WAVES_VERSION: JSON.stringify(pkg.version) },
    outdir: dist,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  }),
  esbuild.context({
    ...common,
    entryPoints: { main: 'webview/main.tsx' },
    outdir: `${dist}/webview`,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    jsx: 'automatic',
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file' },
    define: { 'process.env.NODE_ENV': JSON.stringify(production ? 'production' : 'development') },
  }),
]);

// A production build writes no source maps: drop the ones an earlier development build left,
// so dist/ never pairs a bundle with a map of other code.
if (production) {
  for (const dir of [dist, `${dist}/webview`]) {
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) if (f.endsWith('.map')) fs.rmSync(`${dir}/${f}`);
  }
}

// The walls' relay made ahead for the system's Python (ADR 0040), beside the runner and relay.js.
writeWhole(`${dist}/relay.py`, readFileSync('src/engine/attempt/relay.py'));

// Codicons for the webview (linked with id `vscode-codicon-stylesheet`, as vscode-elements expects).
for (const f of ['codicon.css', 'codicon.ttf']) writeWhole(`${dist}/webview/${f}`, readFileSync(`node_modules/@vscode/codicons/dist/${f}`));

// The parser of the coupling check (ADR 0023): web-tree-sitter and the four grammars it reads,
// loaded from dist/treeSitter/ on first use (src/engine/plan/importParser.ts), never bundled.
for (const f of ['tree-sitter.js', 'tree-sitter.wasm', 'tree-sitter-typescript.wasm', 'tree-sitter-tsx.wasm', 'tree-sitter-javascript.wasm', 'tree-sitter-python.wasm'])
  writeWhole(`${dist}/treeSitter/${f}`, readFileSync(`node_modules/@vscode/tree-sitter-wasm/wasm/${f}`));
writeWhole(`${dist}/treeSitter/LICENSE`, readFileSync('node_modules/@vscode/tree-sitter-wasm/LICENSE'));

if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching');
} else {
  for (const result of await Promise.all(contexts.map((c) => c.rebuild()))) {
    for (const out of result.outputFiles ?? []) writeWhole(out.path, out.contents);
  }
  await Promise.all(contexts.map((c) => c.dispose()));
}

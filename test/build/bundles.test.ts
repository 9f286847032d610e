/**
 * The activation bundle holds what showing plans needs, and nothing of what is loaded on first
 * use (ADR 0020): the extension's bundles built as esbuild.mjs builds them (its plugin, in
 * memory), then their modules read from esbuild's metafile.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import { ON_DEMAND, exportsOf, hostPlugins } from '../../scripts/on-demand.mjs';

const root = path.resolve(__dirname, '..', '..');
const host = { bundle: true, write: false, outdir: path.join(root, 'dist'), platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], metafile: true, logLevel: 'silent', absWorkingDir: root } satisfies esbuild.BuildOptions;

/** The modules a build put into its entry's bundle, as paths below the repository (or node_modules/…). */
function modulesOf(result: esbuild.BuildResult<{ metafile: true }>, entry: string): string[] {
  const out = Object.values(result.metafile.outputs).find((o) => o.entryPoint === entry);
  assert.ok(out, `an output for ${entry}`);
  return Object.keys(out.inputs).map((f) => f.replace(/^.*node_modules\//, 'node_modules/'));
}

describe('the extension host bundles (ADR 0020)', () => {
  let activation: string[];
  let text: string;
  let onDemand: string[];
  let engine: string[];

  /** A bundle as esbuild.mjs builds it: its modules, and its text. */
  const build = async (bundle: string, entry: string) => {
    const r = await esbuild.build({ ...host, entryPoints: { [bundle]: entry }, plugins: await hostPlugins(bundle) });
    return { modules: modulesOf(r, entry), text: r.outputFiles!.find((f) => f.path.endsWith(`${bundle}.js`))!.text };
  };

  before(async () => {
    ({ modules: activation, text } = await build('extension', 'src/extension.ts'));
    onDemand = (await build('onDemand', 'src/onDemand.ts')).modules;
    engine = (await build('engine', 'src/engine/index.ts')).modules;
  });

  it('activation loads the plan registry, diagnostics, the views, the status bar and the runs on disk', () => {
    for (const m of ['src/plan/planRegistry.ts', 'src/plan/analysisPool.ts', 'src/plan/diagnostics.ts', 'src/views/wavesTree.ts', 'src/views/statusBar.ts', 'src/ownership/index.ts', 'src/run/runWatch.ts', 'src/run/runFacts.ts'])
      assert.ok(activation.includes(m), `${m} is in the activation bundle`);
  });

  it('activation loads no module of the run engine, the coordinator, hosts, planning or the DAG panel', () => {
    const onFirstUse = activation.filter(
      (m) =>
        m.startsWith('src/engine/') ||
        // The run watch's folder watcher, the stat it compares (store/fileSignature.ts) and where a plan's work tree is (store/gitDirs.ts, read-only) are activation's; no store that writes is.
        (m.startsWith('src/store/') && !['src/store/dirWatch.ts', 'src/store/fileSignature.ts', 'src/store/gitDirs.ts'].includes(m)) ||
        m.startsWith('src/dag/') ||
        m.startsWith('src/core/dag/') ||
        m.startsWith('node_modules/pg') ||
        m.startsWith('node_modules/js-yaml/') ||
        m.includes('runStateValidator') ||
        m.includes('workPackagesValidator') ||
        /^src\/run\/(runController|runCommands|planningController|hostsCommands|sharedRuns|reconciler|notifications|terminalLauncher)\.ts$/.test(m),
    );
    assert.deepEqual(onFirstUse, []);
  });

  it("the on-demand bundle holds the editor's run, planning, hosts and the DAG panel; the engine bundle the engine", () => {
    for (const m of ['src/run/runController.ts', 'src/run/runCommands.ts', 'src/run/planningController.ts', 'src/run/hostsCommands.ts', 'src/run/sharedRuns.ts', 'src/dag/dagPanel.ts'])
      assert.ok(onDemand.includes(m), `${m} is in the on-demand bundle`);
    for (const m of ['src/engine/index.ts', 'src/engine/run/engine.ts', 'src/engine/coordinator/index.ts', 'src/engine/planning/planner.ts', 'node_modules/pg/lib/index.js'])
      assert.ok(engine.includes(m), `${m} is in the engine bundle`);
  });

  it('the on-demand bundle holds neither the engine nor plan analysis again: it reaches the engine through its stand-in', () => {
    assert.deepEqual(
      onDemand.filter((m) => m.startsWith('src/engine/') || m.startsWith('node_modules/pg') || m.startsWith('node_modules/yaml/') || m === 'src/core/plan/analyze.ts'),
      [],
    );
  });

  it('plan analysis (the reader, yaml, the checks, the graph) and the starter plan are bundles of their own: activation holds their stand-ins only', async () => {
    assert.deepEqual(
      activation.filter((m) => m.startsWith('node_modules/yaml/') || /^src\/core\/plan\/(analyze|reader|planParse|planWalk|planDirect|planScanner|fastYaml|leanYaml|checks|graph|schema|template)\.ts$/.test(m)),
      [],
    );
    const analysis = (await build('planAnalysis', 'src/core/plan/analyze.ts')).modules;
    for (const m of ['src/core/plan/analyze.ts', 'src/core/plan/reader.ts', 'src/core/plan/checks.ts', 'src/core/plan/graph.ts', 'src/core/plan/schema.ts', 'node_modules/yaml/dist/index.js'])
      assert.ok(analysis.includes(m), `${m} is in the plan analysis bundle`);
    assert.deepEqual(
      analysis.filter((m) => m.includes('planValidator') || m.startsWith('node_modules/js-yaml/') || m.startsWith('src/plan/') || m.startsWith('src/engine/')),
      [],
      "the plan schema's validator and js-yaml stay bundles of their own",
    );
    assert.ok(!engine.includes('src/core/plan/analyze.ts'), 'the engine reaches plan analysis through its stand-in');
  });

  it('the coupling check (#34 item 3) is a bundle of its own: activation holds only its start; it holds no engine and no parser', async () => {
    assert.ok(activation.includes('src/run/couplingStart.ts'));
    assert.deepEqual(activation.filter((m) => /couplingDiagnostics|ownership\/coupling|importResolve|tree-sitter/.test(m)), []);
    const coupling = (await build('coupling', 'src/run/couplingDiagnostics.ts')).modules;
    assert.ok(coupling.includes('src/run/couplingDiagnostics.ts'));
    assert.deepEqual(coupling.filter((m) => m.startsWith('src/engine/') || m.includes('tree-sitter') || m === 'src/core/plan/analyze.ts' || m === 'src/plan/planRegistry.ts'), []);
    assert.ok(engine.includes('src/engine/plan/importParser.ts'));
    assert.deepEqual(engine.filter((m) => m.includes('tree-sitter-wasm')), [], 'web-tree-sitter is loaded from dist/treeSitter/, not bundled');
  });

  it('activation reaches each on-demand bundle through a stand-in that requires it when first read', async () => {
    // The plan schema's validator and js-yaml are reached through plan analysis, itself a stand-in in activation.
    const analysisText = (await build('planAnalysis', 'src/core/plan/analyze.ts')).text;
    const through: Record<string, string> = { planSchema: analysisText, jsYaml: analysisText };
    for (const { bundle, entry } of ON_DEMAND) {
      assert.match(through[bundle] ?? text, new RegExp(`require\\("\\./${bundle}\\.js"\\)`), `the stand-in of ${bundle}`);
      const names = await exportsOf(entry);
      assert.ok(names.length > 0, `${bundle} exports`);
    }
    assert.ok((await exportsOf('src/engine/index.ts')).includes('startRun'), "the engine bundle offers the engine's front door");
  });

  it('each bundle reads the VS Code API once, not once per module that imports it', async () => {
    const onDemandText = (await build('onDemand', 'src/onDemand.ts')).text;
    for (const [bundle, t] of [['extension', text], ['onDemand', onDemandText]] as const) {
      assert.equal(t.match(/require\("vscode"\)/g)?.length, 1, `${bundle}: one require("vscode")`);
      assert.doesNotMatch(t, /__toESM\(require\("vscode"\)\)/, `${bundle}: no copy of the API per importing module`);
    }
  });

  it('the .vsix ships every bundle loaded on first use (.vscodeignore)', () => {
    const shipped = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim());
    assert.deepEqual(
      ON_DEMAND.map((l) => `dist/${l.bundle}.js`).filter((f) => !shipped.includes(`!${f}`)),
      [],
    );
    assert.ok(shipped.includes('!dist/treeSitter/**'), "the coupling check's parser (ADR 0023)");
  });
});

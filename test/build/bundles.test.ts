/**
 * The activation bundle holds what showing plans needs, and nothing of what is loaded on first
 * use (ADR 0020, ADR 0029): the extension's bundles built as esbuild.mjs builds them (its plugins,
 * in memory), then their modules read from esbuild's metafile and their text.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import { HOST_BUNDLES, HOST_OPTIONS, buildWithout, hostPlugins } from '../../scripts/on-demand.mjs';

const root = path.resolve(__dirname, '..', '..');
const host = { ...HOST_OPTIONS, bundle: true, write: false, outdir: path.join(root, 'dist'), metafile: true, logLevel: 'silent', absWorkingDir: root } satisfies esbuild.BuildOptions;

/** The modules a build put into its entry's bundle, as paths below the repository (or node_modules/…). */
function modulesOf(result: esbuild.BuildResult<{ metafile: true }>, entry: string): string[] {
  const out = Object.values(result.metafile.outputs).find((o) => o.entryPoint === entry);
  assert.ok(out, `an output for ${entry}`);
  return Object.keys(out.inputs).map((f) => f.replace(/^.*node_modules\//, 'node_modules/'));
}

/** The bundles a bundle's text requires as it loads (at its top level), not in a function. */
const requiredAtLoad = (text: string) => [...text.matchAll(/^var \w+ = (?:__toESM\()?require\("\.\/(\w+)\.js"\)/gm)].map((m) => m[1]);

describe('the extension host bundles (ADR 0020, ADR 0029)', () => {
  const built = new Map<string, { modules: string[]; text: string }>();
  /** A bundle as esbuild.mjs builds it: its modules, and its text. */
  const bundle = (name: string) => built.get(name)!;

  before(async () => {
    for (const { bundle: name, entry } of [{ bundle: 'extension', entry: 'src/extension.ts' }, ...HOST_BUNDLES]) {
      const r = await esbuild.build({ ...host, entryPoints: { [name]: entry }, plugins: hostPlugins(name, new Set()) });
      built.set(name, { modules: modulesOf(r, entry), text: r.outputFiles!.find((f) => f.path.endsWith(`${name}.js`))!.text });
    }
  });

  it('activation loads the plan registry, diagnostics, the views, the status bar and the runs on disk', () => {
    for (const m of ['src/plan/planRegistry.ts', 'src/plan/analysisPool.ts', 'src/plan/diagnostics.ts', 'src/views/wavesTree.ts', 'src/views/statusBar.ts', 'src/ownership/index.ts', 'src/run/run/runWatch.ts', 'src/run/run/runFacts.ts'])
      assert.ok(bundle('extension').modules.includes(m), `${m} is in the activation bundle`);
  });

  it('activation loads no module of the run engine, the coordinator, hosts, planning, review, the run options or the DAG panel', () => {
    const onFirstUse = bundle('extension').modules.filter(
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
        // The run options' table: the plan checks take the cap's rule from core/plan/defaults.ts.
        m === 'src/core/run/runOptions.ts' ||
        m === 'src/core/run/runOptionTable.ts' ||
        /^src\/run\/(run\/(runController|runCommands|reconciler|notifications|terminalLauncher|changes|settings)|planning\/\w+|hosts\/\w+|coordinator\/sharedRuns|review\/\w+|walkthrough\/\w+)\.ts$/.test(m),
    );
    assert.deepEqual(onFirstUse, []);
  });

  it('activation requires no other bundle as it loads: only from inside functions, its entry points', () => {
    assert.deepEqual(requiredAtLoad(bundle('extension').text), []);
    for (const { bundle: name } of HOST_BUNDLES) assert.match(bundle('extension').text, new RegExp(`require\\("\\./${name}\\.js"\\)`), `activation reaches ${name}`);
  });

  it("the on-demand bundle holds the editor's run, planning, hosts and the DAG panel; the engine bundle the engine", () => {
    for (const m of ['src/run/run/runController.ts', 'src/run/run/runCommands.ts', 'src/run/planning/planningController.ts', 'src/run/hosts/hostsCommands.ts', 'src/run/coordinator/sharedRuns.ts', 'src/dag/dagPanel.ts'])
      assert.ok(bundle('onDemand').modules.includes(m), `${m} is in the on-demand bundle`);
    for (const m of ['src/engine/index.ts', 'src/engine/run/engine.ts', 'src/engine/coordinator/index.ts', 'src/engine/planning/planner.ts', 'node_modules/pg/lib/index.js'])
      assert.ok(bundle('engine').modules.includes(m), `${m} is in the engine bundle`);
  });

  it('the on-demand bundle holds neither the engine nor plan analysis again: it requires the engine as it loads', () => {
    assert.deepEqual(
      bundle('onDemand').modules.filter((m) => m.startsWith('src/engine/') || m.startsWith('node_modules/pg') || m.startsWith('node_modules/yaml/') || m === 'src/core/plan/analyze.ts'),
      [],
    );
    assert.deepEqual([...new Set(requiredAtLoad(bundle('onDemand').text))], ['engine']);
  });

  it('plan analysis (the reader, yaml and js-yaml, the schema, the checks, the graph) is a bundle of its own: activation holds none of it', () => {
    assert.deepEqual(
      bundle('extension').modules.filter((m) => m.startsWith('node_modules/yaml/') || /^src\/core\/plan\/(reader\/)?(analyze|reader|planParse|planWalk|planDirect|planScanner|fastYaml|leanYaml|checks|graph|schema)\.ts$/.test(m)),
      [],
    );
    const analysis = bundle('planAnalysis').modules;
    for (const m of ['src/core/plan/analyze.ts', 'src/core/plan/reader/reader.ts', 'src/core/plan/checks.ts', 'src/core/plan/graph.ts', 'src/core/plan/schema.ts', 'src/core/plan/generated/workPackagesValidator.js', 'node_modules/yaml/dist/index.js', 'node_modules/js-yaml/dist/js-yaml.mjs'])
      assert.ok(analysis.includes(m), `${m} is in the plan analysis bundle`);
    assert.deepEqual(
      analysis.filter((m) => m.startsWith('src/plan/') || m.startsWith('src/engine/')),
      [],
    );
    for (const b of ['engine', 'foreignAnalysis']) {
      assert.ok(!bundle(b).modules.includes('src/core/plan/analyze.ts'), `${b} holds no copy of plan analysis`);
      assert.ok(requiredAtLoad(bundle(b).text).includes('planAnalysis'), `${b} requires plan analysis as it loads`);
    }
  });

  it('the run state check and the task lists of other tools are bundles of their own', () => {
    assert.ok(bundle('runStateCheck').modules.some((m) => m.includes('runStateValidator')));
    assert.ok(requiredAtLoad(bundle('engine').text).includes('runStateCheck'));
    assert.ok(bundle('foreignAnalysis').modules.includes('src/core/formats/convert.ts'));
    assert.deepEqual(bundle('extension').modules.filter((m) => m.startsWith('src/core/formats/') && m !== 'src/core/formats/foreignAnalysis.ts'), []);
  });

  it('the coupling check is in activation, started by the first plan opened: it holds no engine and no parser', () => {
    assert.ok(bundle('extension').modules.includes('src/run/coupling/couplingStart.ts'));
    assert.ok(bundle('extension').modules.includes('src/run/coupling/couplingDiagnostics.ts'));
    assert.deepEqual(bundle('extension').modules.filter((m) => /ownership\/coupling|importResolve|tree-sitter/.test(m)), []);
    assert.ok(!bundle('onDemand').modules.includes('src/run/coupling/couplingDiagnostics.ts'), "one copy: the DAG panel gets activation's through the parts' deps");
    assert.ok(bundle('engine').modules.includes('src/engine/plan/importParser.ts'));
    assert.deepEqual(bundle('engine').modules.filter((m) => m.includes('tree-sitter-wasm')), [], 'web-tree-sitter is loaded from dist/treeSitter/, not bundled');
  });

  it('each bundle reads the VS Code API once, not once per module that imports it', () => {
    for (const b of ['extension', 'onDemand']) {
      const t = bundle(b).text;
      assert.equal(t.match(/require\("vscode"\)/g)?.length, 1, `${b}: one require("vscode")`);
      assert.doesNotMatch(t, /__toESM\(require\("vscode"\)\)/, `${b}: no copy of the API per importing module`);
    }
  });

  it('a build for the benches goes without a start-up mechanism it names, and refuses one it does not know', () => {
    assert.deepEqual([...buildWithout({ WAVES_BUILD_WITHOUT: 'bundles,heap-tuning' })], ['bundles', 'heap-tuning']);
    assert.deepEqual(hostPlugins('extension', new Set(['bundles', 'vscode-once'])), []);
    assert.throws(() => buildWithout({ WAVES_BUILD_WITHOUT: 'code-cache' }), /no mechanism "code-cache"/);
  });

  it('the .vsix ships every bundle loaded after activation (.vscodeignore)', () => {
    const shipped = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim());
    assert.deepEqual(
      HOST_BUNDLES.map((l) => `dist/${l.bundle}.js`).filter((f) => !shipped.includes(`!${f}`)),
      [],
    );
    assert.ok(shipped.includes('!dist/treeSitter/**'), "the coupling check's parser (ADR 0023)");
    for (const f of ['runner', 'relay', 'waves-mcp']) assert.ok(shipped.includes(`!dist/${f}.js`), `dist/${f}.js: the runner, its relay, the agents' MCP server`);
    assert.ok(shipped.includes('!dist/relay.py'), "the relay made ahead for the system's Python (ADR 0040)");
  });
});

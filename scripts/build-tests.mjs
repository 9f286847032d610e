#!/usr/bin/env node
// Bundles the extension test suite for the real VS Code extension host:
//   test/vscode/index.ts          -> out/test/vscode/index.js   (the run() entry; mocha bundled in,
//                                                                 so it needs no require(esm) from the host)
//   test/vscode/suite/*.test.ts   -> out/test/vscode/suite/*.test.js  (one bundle per file)
// `vscode` stays external (the extension host provides it). Suites use the mocha globals
// (describe/it/before...), so importing 'mocha' from a suite is an error here: it would load a
// second mocha whose describe() registers nothing.
// Usage: node scripts/build-tests.mjs
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(REPO, 'test', 'vscode');
const OUT = path.join(REPO, 'out', 'test', 'vscode');

const suites = fs.existsSync(path.join(SRC, 'suite'))
  ? fs.readdirSync(path.join(SRC, 'suite')).filter((f) => f.endsWith('.test.ts')).sort()
  : [];
if (suites.length === 0) {
  console.error('build-tests: no test/vscode/suite/*.test.ts');
  process.exit(1);
}

const noMochaImport = {
  name: 'no-mocha-import',
  setup(build) {
    build.onResolve({ filter: /^mocha($|\/)/ }, (args) => ({
      errors: [{ text: `${path.relative(REPO, args.importer)} imports '${args.path}': use the mocha globals (describe/it) instead` }],
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  sourcesContent: false,
  external: ['vscode'],
  logLevel: 'warning',
  absWorkingDir: REPO,
};

fs.rmSync(OUT, { recursive: true, force: true });
const t0 = Date.now();
await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: { index: path.join(SRC, 'index.ts') },
    outdir: OUT,
    // mocha decides at run time whether to load files with require() or import(), and which
    // reporter to load by name; neither path is taken (we pass a reporter and use .run()).
    // mocha's parallel mode (require.resolve of worker files) is never used either.
    logOverride: {
      'unsupported-require-call': 'silent',
      'unsupported-dynamic-import': 'silent',
      'require-resolve-not-external': 'silent',
    },
  }),
  esbuild.build({
    ...common,
    entryPoints: suites.map((f) => path.join(SRC, 'suite', f)),
    outdir: path.join(OUT, 'suite'),
    plugins: [noMochaImport],
  }),
]);
console.log(`build-tests: ${suites.length} suite file(s) -> ${path.relative(REPO, OUT)} in ${Date.now() - t0} ms`);

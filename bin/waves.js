#!/usr/bin/env node
'use strict';
// The `waves` command: the bundled CLI, built by `npm install` (prepare) or `npm run build`.
const path = require('path');
const fs = require('fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('waves: dist/cli.js is missing; run `npm run build` first.\n');
  process.exit(2);
}
// The CLI loads its on-demand bundles (the engine) the same way, through `load`.
load(cli).run(load);

/**
 * A bundle, compiled with the code cache the build wrote beside it (scripts/codeCache.mjs:
 * V8's compiled start-up of these very bytes) when there is one for them; else as `require`
 * would — and always so under `--enable-source-maps`, whose stacks only `require`'s compile maps
 * back to the sources. Either way the bundle is one module of `require.cache`, as `require` leaves it.
 */
function load(file) {
  if (process.sourceMapsEnabled) return require(file);
  let cache;
  try {
    cache = fs.readFileSync(`${file}.cache`);
  } catch {
    return require(file);
  }
  const bytes = fs.readFileSync(file);
  // V8 checks only the text's length: the bytes are checked here (a rebuilt bundle, an edit).
  if (cache.length <= 20 || !require('crypto').createHash('sha1').update(bytes).digest().equals(cache.subarray(0, 20))) return require(file);
  const Module = require('module');
  const vm = require('vm');
  const mod = new Module(file, module);
  mod.filename = file;
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${bytes.toString('utf8')}\n});`;
  const script = new vm.Script(wrapped, { filename: file, cachedData: cache.subarray(20) });
  require.cache[file] = mod;
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  return mod.exports;
}

#!/usr/bin/env node
// `npm run package`: production build, then `vsce package --no-dependencies` with the vsce
// from the test tools (it needs Node >= 22; scripts/vscode-tools.sh installs it with Node 24).
// Usage: node scripts/package-vsix.mjs [--out dist/wave-orchestrator.vsix] [--no-build]
// Prints the .vsix path and the files it holds.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, ensureTools } from './code-server.mjs';

const argv = process.argv.slice(2);
const outArg = argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : undefined;
const out = path.resolve(REPO, outArg ?? path.join('dist', 'wave-orchestrator.vsix'));

function run(cmd, args, opts = {}) {
  const t0 = Date.now();
  const res = spawnSync(cmd, args, { cwd: REPO, stdio: 'inherit', timeout: 300_000, killSignal: 'SIGKILL', ...opts });
  if (res.error) throw new Error(`${path.basename(cmd)} ${args.join(' ')}: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')} exited ${res.status ?? res.signal}`);
  return Date.now() - t0;
}

// Used only while the repo has neither a .vscodeignore nor a "files" list in package.json:
// keep sources, tests, tooling and local state out of the package.
const FALLBACK_IGNORE = `
.*
.*/**
test-results/**
out/**
test/**
src/**
webview/**
scripts/**
bench/**
docs/**
node_modules/**
**/*.map
tsconfig.json
esbuild.mjs
eslint.config.*
.gitignore
.prettierrc*
`;

try {
  if (!argv.includes('--no-build')) {
    const ms = run(process.execPath, ['esbuild.mjs', '--production']);
    console.log(`package: production build ${ms} ms`);
  }
  const tools = ensureTools();
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  // The repository has no public URL yet, so relative links in the README stay relative
  // (--no-rewrite-relative-links) and the picture it shows ships in the package: VS Code
  // resolves them against the installed extension's folder.
  const args = [tools.vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', out];
  if (!fs.existsSync(path.join(REPO, 'LICENSE')) && !fs.existsSync(path.join(REPO, 'LICENSE.md'))) args.push('--skip-license');
  if (!fs.existsSync(path.join(REPO, '.vscodeignore')) && !pkg.files) {
    const ignore = path.join(REPO, '.test-state', 'fallback.vscodeignore');
    fs.mkdirSync(path.dirname(ignore), { recursive: true });
    fs.writeFileSync(ignore, FALLBACK_IGNORE);
    args.push('--ignoreFile', ignore);
    console.log('package: no .vscodeignore and no "files" in package.json; using a built-in ignore list');
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.rmSync(out, { force: true });
  const ms = run(tools.node, args, {
    env: { ...process.env, PATH: `${path.join(tools.nodeHome, 'bin')}${path.delimiter}${process.env.PATH}` },
  });
  if (!fs.existsSync(out)) throw new Error(`vsce reported success but wrote no ${out}`);
  console.log(`package: ${path.relative(REPO, out)} (${(fs.statSync(out).size / 1024).toFixed(0)} KiB) in ${ms} ms`);
} catch (e) {
  console.error(`package: FAILED: ${e.message}`);
  process.exit(1);
}

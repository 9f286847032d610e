#!/usr/bin/env node
// `npm run test:desktop`: the same extension test suite as scripts/test-vscode.mjs
// (out/test/vscode/index.js), but in DESKTOP VS Code through @vscode/test-electron.
// For contributors with internet access: test-electron downloads VS Code on first use.
// On a machine without it, use `npm run test:vscode` (code-server, installs from npm only).
// Usage: node scripts/test-desktop.mjs [--grep REGEX]
// Environment: VSCODE_EXECUTABLE  use this VS Code binary instead of downloading one
//              VSCODE_VERSION     version to download (default: stable)
// On Linux without a display, run it under `xvfb-run -a`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, makeTestWorkspace } from './code-server.mjs';

const argv = process.argv.slice(2);
const grep = argv.includes('--grep') ? argv[argv.indexOf('--grep') + 1] : undefined;

function step(label, args) {
  const res = spawnSync(process.execPath, args, { cwd: REPO, stdio: 'inherit', timeout: 300_000 });
  if (res.status !== 0) {
    console.error(`test-desktop: ${label} failed`);
    process.exit(1);
  }
}

const OFFLINE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|getaddrinfo|fetch failed|socket hang up/i;

step('build extension', ['esbuild.mjs']);
step('build tests', [path.join('scripts', 'build-tests.mjs')]);

let runTests;
try {
  ({ runTests } = await import('@vscode/test-electron'));
} catch (e) {
  console.error(`test-desktop: @vscode/test-electron is not installed (${e.message}); run npm ci`);
  process.exit(1);
}

if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  console.error('test-desktop: no DISPLAY; desktop VS Code needs one (try: xvfb-run -a npm run test:desktop)');
}

const ws = makeTestWorkspace('basic');
let code = 1;
try {
  code = await runTests({
    ...(process.env.VSCODE_EXECUTABLE ? { vscodeExecutablePath: process.env.VSCODE_EXECUTABLE } : { version: process.env.VSCODE_VERSION ?? 'stable' }),
    extensionDevelopmentPath: REPO,
    extensionTestsPath: path.join(REPO, 'out', 'test', 'vscode', 'index.js'),
    launchArgs: [ws, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    extensionTestsEnv: grep ? { WAVES_TEST_GREP: grep } : {},
    timeout: 120_000,
  });
} catch (e) {
  const msg = String(e?.stack ?? e);
  if (OFFLINE.test(msg)) {
    console.error('test-desktop: could not download desktop VS Code: this machine has no access to its download site.');
    console.error('  Set VSCODE_EXECUTABLE=/path/to/code to use an installed VS Code, or run the same suite');
    console.error('  in code-server, which installs from npm only:  npm run test:vscode');
  } else {
    console.error(`test-desktop: ${msg}`);
  }
  code = 1;
} finally {
  fs.rmSync(ws, { recursive: true, force: true });
}
process.exit(code === 0 ? 0 : 1);

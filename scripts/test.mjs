#!/usr/bin/env node
// `npm test`: runs the test suites in order and ends with ONE line `N passed, N failed`
// summing them all. Exits non-zero when a test failed or a suite crashed (a crashed suite
// counts as at least one failure).
//   unit     node's test runner (tsx) over test/{core,store,engine,cli,build,bench}/**/*.test.ts
//   coordinator  the same over test/coordinator/**/*.test.ts: the shared coordinator on a real
//            PostgreSQL (throwaway clusters; Debian's postgresql installed when missing)
//   hosts    the same over test/hosts/**/*.test.ts: runs over real sshd instances on 127.0.0.1
//            (Debian's openssh-server and tmux installed when missing)
//   agents   the same over test/agents/**/*.test.ts: `waves run --agent <preset>` with the real
//            Claude Code, Codex, Gemini and Copilot CLIs (installed first, pinned and cached, by
//            scripts/agent-clis.sh) against a scripted model server on 127.0.0.1
//   containers  the same over test/containers/**/*.test.ts: `waves run` inside Podman containers built
//            from Debian packages (scripts/container-tools.sh: podman, runc and debootstrap installed
//            when missing, the image built once and cached), and `waves worker` in the worker's image
//            (scripts/worker-image.sh: built before the tests, cached by a tag naming its contents)
//   webview  the same over test/webview/**/*.test.ts(x), when there are any
//   vscode   scripts/test-vscode.mjs: the extension in a real VS Code (code-server + Chromium)
//   (unit, coordinator, hosts, agents and vscode first make sure bubblewrap, and the system Python the relays
//   made ahead run in, are here: scripts/sandbox-tools.sh;
//   unit also sets up the package registries on loopback and the toolchains: scripts/registry-tools.sh)
//   static   the type checker (tsc --noEmit) and ESLint (which forbids `vscode` in src/core
//            and webview/), one test each
// Usage: node scripts/test.mjs [static|unit|coordinator|hosts|agents|containers|webview|vscode ...]   (default: all, in that order;
//   coordinator and hosts run beside agents when it runs too: `BESIDE` below)
// Environment: WAVES_TEST_SUITE_TIMEOUT (seconds per suite, default 1800)
import './testEnv.mjs'; // first: the tests' own approvals and temporary folder
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tapFailures } from './tapFailures.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SUITE_TIMEOUT_MS = Number(process.env.WAVES_TEST_SUITE_TIMEOUT ?? 1800) * 1000;

/** Test files under the given folders (relative to the repo), sorted. */
function findTests(dirs, pattern = /\.test\.tsx?$/) {
  const out = [];
  const walk = (dir) => {
    let entries;
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) { if (e.name !== 'node_modules' && !e.name.startsWith('.')) walk(p); }
      else if (pattern.test(e.name)) out.push(path.relative(REPO, p));
    }
  };
  for (const d of dirs) walk(path.join(REPO, d));
  return out.sort();
}

const current = new Set(); // the running children (a suite and those beside it), for signal forwarding
/** Set while a suite runs beside another (`BESIDE`): its children's output is held here, printed whole after. */
const held = new AsyncLocalStorage();
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`test: ${sig}; stopping ${current.size ? [...current].map((c) => `pid ${c.pid}`).join(', ') : 'nothing'}`);
    for (const c of current) c.kill('SIGTERM');
    setTimeout(() => process.exit(130), 20_000).unref();
  });
}

/** Runs a command with a time limit; streams its output (or holds it, beside another suite); resolves { code, output }. */
function run(cmd, args, { capture = false, timeoutMs = SUITE_TIMEOUT_MS, env = process.env } = {}) {
  const hold = held.getStore();
  const piped = capture || hold !== undefined;
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: REPO, env, stdio: ['ignore', piped ? 'pipe' : 'inherit', piped ? 'pipe' : 'inherit'] });
    current.add(child);
    let output = '';
    if (piped) {
      child.stdout.on('data', (d) => { if (capture) output += d; if (hold) hold.push(d); else process.stdout.write(d); });
      child.stderr.on('data', (d) => { if (capture) output += d; if (hold) hold.push(d); else process.stderr.write(d); });
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`test: ${path.basename(args[0] ?? cmd)} exceeded ${SUITE_TIMEOUT_MS / 1000} s; stopping it`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
    }, timeoutMs);
    child.on('error', (e) => { output += String(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      current.delete(child);
      resolve({ code: timedOut ? 'timeout' : code ?? signal, output });
    });
  });
}

/** node --test over files (`concurrency` at a time; Node's default is one less than the cores); counts from a TAP report written next to the spec output. */
async function nodeTestSuite(name, dirs, { env = process.env, concurrency } = {}) {
  const files = findTests(dirs);
  if (files.length === 0) return { skipped: true, reason: `no *.test.ts under ${dirs.join(', ')}` };
  const tap = path.join(os.tmpdir(), `waves-${name}-${process.pid}.tap`);
  fs.rmSync(tap, { force: true });
  const { code } = await run(process.execPath, [
    '--import', 'tsx', '--test',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...(concurrency ? [`--test-concurrency=${concurrency}`] : []),
    ...files,
  ], { env });
  let text = '';
  try { text = fs.readFileSync(tap, 'utf8'); } catch { /* crashed before writing */ }
  fs.rmSync(tap, { force: true });
  const num = (key) => {
    const m = new RegExp(`^# ${key} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };
  const passed = num('pass');
  const failed = (num('fail') ?? 0) + (num('cancelled') ?? 0);
  if (passed === null) return { passed: 0, failed: 1, note: `no TAP summary (exit ${code})` };
  return {
    passed,
    failed: code !== 0 && failed === 0 ? 1 : failed,
    skippedTests: num('skipped') ?? 0,
    note: code !== 0 && failed === 0 ? `exit ${code} with no failed test` : undefined,
    failures: tapFailures(text),
  };
}

async function vscodeSuite() {
  const { code, output } = await run(process.execPath, [path.join(REPO, 'scripts', 'test-vscode.mjs')], { capture: true });
  const lines = [...output.matchAll(/^vscode: (\d+) passed, (\d+) failed/gm)];
  const last = lines[lines.length - 1];
  if (!last) return { passed: 0, failed: 1, note: `no counts line (exit ${code})` };
  const passed = Number(last[1]);
  let failed = Number(last[2]);
  let note;
  if (code !== 0 && failed === 0) { failed = 1; note = `exit ${code} with no failed test`; }
  return { passed, failed, note };
}

/** tsc and ESLint: each a test that passes when the tool exits 0. */
async function staticSuite() {
  const bin = (name) => path.join(REPO, 'node_modules', '.bin', name);
  let passed = 0;
  const failedTools = [];
  for (const [name, cmd, args] of [
    ['tsc', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']],
    ['eslint', bin('eslint'), ['.']],
  ]) {
    const { code } = await run(cmd, args);
    if (code === 0) passed++;
    else failedTools.push(`${name} exit ${code}`);
  }
  return { passed, failed: failedTools.length, note: failedTools.join(', ') || undefined };
}

/**
 * The webview suite needs Chromium. On a fresh machine nothing has installed it yet: the same
 * installer as the vscode suite's (scripts/vscode-tools.sh, cached) runs first, so `npm test`
 * alone brings everything it needs.
 */
async function webviewSuite() {
  const { ensureTools } = await import('./code-server.mjs');
  let tools;
  try {
    tools = ensureTools();
  } catch (e) {
    return { passed: 0, failed: 1, note: `could not install the browser: ${e.message}` };
  }
  return nodeTestSuite('webview', ['test/webview'], { env: { ...process.env, WAVES_CHROMIUM: tools.chromium } });
}

/**
 * The real agent CLIs (docs/agents-testing.md): scripts/agent-clis.sh installs the pinned versions
 * from npm into the tools cache when missing, then the suite runs with their folder in
 * WAVES_AGENT_CLIS_BIN. An install that fails is a failed suite, never a skipped one.
 */
async function agentsSuite() {
  const res = spawnSync('bash', [path.join(REPO, 'scripts', 'agent-clis.sh'), '--env'], {
    cwd: REPO,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 30 * 60_000,
  });
  if (res.status !== 0) return { passed: 0, failed: 1, note: `could not install the agent CLIs: scripts/agent-clis.sh exit ${res.status ?? res.signal ?? res.error?.message}` };
  const env = { ...process.env };
  for (const line of res.stdout.split('\n')) {
    const m = /^(WAVES_[A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  return nodeTestSuite('agents', ['test/agents'], { env });
}

/**
 * The shared coordinator on a real PostgreSQL (ADR 0012): scripts/postgres-tools.sh installs Debian's
 * `postgresql` when its server programs are missing; each test file starts a throwaway cluster
 * (test/coordinator/postgres.ts) on 127.0.0.1 and removes it. An install that fails is a failed suite.
 */
async function coordinatorSuite() {
  const res = spawnSync('bash', [path.join(REPO, 'scripts', 'postgres-tools.sh'), '--env'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 20 * 60_000 });
  if (res.status !== 0) return { passed: 0, failed: 1, note: `could not install PostgreSQL: scripts/postgres-tools.sh exit ${res.status ?? res.signal ?? res.error?.message}` };
  return nodeTestSuite('coordinator', ['test/coordinator']);
}

/**
 * Runs over SSH hosts (ADR 0011): scripts/ssh-tools.sh installs Debian's openssh-server,
 * openssh-client and tmux when missing; the tests start their own sshd instances on 127.0.0.1
 * with throwaway keys (test/hosts/sshd.ts). An install that fails is a failed suite.
 */
async function hostsSuite() {
  const res = spawnSync('bash', [path.join(REPO, 'scripts', 'ssh-tools.sh'), '--env'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 20 * 60_000 });
  if (res.status !== 0) return { passed: 0, failed: 1, note: `could not install OpenSSH: scripts/ssh-tools.sh exit ${res.status ?? res.signal ?? res.error?.message}` };
  return nodeTestSuite('hosts', ['test/hosts']);
}

/**
 * The walls inside containers: scripts/container-tools.sh installs Debian's podman, runc and
 * debootstrap when missing, builds the suite's image from Debian packages once (cached in the
 * tools folder) and finds the options any container needs to start on this machine; its
 * KEY=VALUE lines reach the suite; then the bundle is built and the pull worker's image of it
 * (scripts/worker-image.sh), whose tag reaches the suite too (WAVES_WORKER_IMAGE). A set-up that
 * fails (no container starts here: it says the command and its error) is a failed suite.
 */
async function containersSuite() {
  const res = spawnSync('bash', [path.join(REPO, 'scripts', 'container-tools.sh'), '--env'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 });
  if (res.status !== 0) return { passed: 0, failed: 1, note: `no container can run here: scripts/container-tools.sh exit ${res.status ?? res.signal ?? res.error?.message}` };
  // The pull worker's image (deploy/worker/Containerfile) of this bundle: built before the tests, once per change of
  // what it copies (scripts/worker-image.sh: the first time about 1.5 min, Node and the agent CLIs then cached as layers).
  const bundle = spawnSync(process.execPath, [path.join(REPO, 'esbuild.mjs')], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'inherit', 'inherit'] });
  if (bundle.status !== 0) return { passed: 0, failed: 1, note: `the bundle did not build: esbuild.mjs exit ${bundle.status ?? bundle.signal}` };
  const image = spawnSync('bash', [path.join(REPO, 'scripts', 'worker-image.sh'), '--env'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 });
  if (image.status !== 0) return { passed: 0, failed: 1, note: `the worker image did not build: scripts/worker-image.sh exit ${image.status ?? image.signal ?? image.error?.message}` };
  const env = { ...process.env };
  for (const line of `${res.stdout}\n${image.stdout}`.split('\n')) {
    const m = /^(WAVES_[A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  return nodeTestSuite('containers', ['test/containers'], { env });
}

/**
 * Every agent a suite starts runs inside walls (ADR 0019): scripts/sandbox-tools.sh installs
 * Debian's bubblewrap when missing (and python3-minimal: the relays made ahead, ADR 0040) and tries
 * it once, before the first suite that runs agents.
 * An install that fails fails that suite (never a run without walls).
 */
let sandbox;
function withSandbox(suite) {
  return async () => {
    sandbox ??= spawnSync('bash', [path.join(REPO, 'scripts', 'sandbox-tools.sh'), '--env'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 20 * 60_000 });
    if (sandbox.status !== 0) return { passed: 0, failed: 1, note: `could not install bubblewrap: scripts/sandbox-tools.sh exit ${sandbox.status ?? sandbox.signal ?? sandbox.error?.message}` };
    return suite();
  };
}

/**
 * Toolchains inside the walls (test/engine/attempt/toolchainsInWalls.test.ts): scripts/registry-tools.sh
 * installs verdaccio (pinned) and fills its storage with the fixture projects' packages once per
 * machine (cached in the tools folder), builds the local Python index, and installs Debian's Go and
 * cargo when missing; its KEY=VALUE lines reach the suite's environment (test/registry.ts reads them).
 * A set-up that fails is a failed suite.
 */
let registries;
function withRegistries(suite) {
  return async () => {
    registries ??= spawnSync('bash', [path.join(REPO, 'scripts', 'registry-tools.sh'), '--env'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 });
    if (registries.status !== 0) return { passed: 0, failed: 1, note: `could not set up the package registries: scripts/registry-tools.sh exit ${registries.status ?? registries.signal ?? registries.error?.message}` };
    for (const line of registries.stdout.split('\n')) {
      const m = /^(WAVES_[A-Z0-9_]+)=(.*)$/.exec(line);
      if (m) process.env[m[1]] = m[2];
    }
    return suite();
  };
}

const SUITES = {
  static: staticSuite,
  // Two files at a time at least: most of a unit file's time is its agents' and git's processes, not this one.
  unit: withSandbox(withRegistries(() => nodeTestSuite('unit', ['test/core', 'test/store', 'test/engine', 'test/cli', 'test/build', 'test/bench'], { concurrency: Math.max(2, os.availableParallelism() - 1) }))),
  coordinator: withSandbox(coordinatorSuite),
  hosts: withSandbox(hostsSuite),
  agents: withSandbox(agentsSuite),
  containers: containersSuite,
  webview: webviewSuite,
  vscode: withSandbox(vscodeSuite),
};

const wanted = process.argv.slice(2);
for (const w of wanted) {
  if (!SUITES[w]) {
    console.error(`test: unknown suite "${w}" (known: ${Object.keys(SUITES).join(', ')})`);
    process.exit(2);
  }
}
const order = wanted.length ? Object.keys(SUITES).filter((s) => wanted.includes(s)) : Object.keys(SUITES);

/**
 * Suites run beside another, one after the other, while it runs: each mostly waits (on PostgreSQL,
 * on sshd, on the agent CLIs and their model server), so the machine was half idle under each
 * alone. Their output is held and printed whole once the suite they ran beside has ended; their
 * rows keep the order above.
 */
const BESIDE = { agents: ['coordinator', 'hosts'] };
const besideOf = new Map();
for (const [main, sides] of Object.entries(BESIDE)) if (order.includes(main)) for (const side of sides) if (order.includes(side)) besideOf.set(side, main);

/** A suite's result and its time; a crash counts as one failure. */
async function runSuite(name) {
  const t = Date.now();
  let r;
  try {
    r = await SUITES[name]();
  } catch (e) {
    r = { passed: 0, failed: 1, note: `crashed: ${e.stack ?? e}` };
  }
  return { ...r, secs: ((Date.now() - t) / 1000).toFixed(1) };
}

const results = new Map();
const T0 = Date.now();
for (const name of order) {
  if (besideOf.has(name)) continue; // it runs beside its suite, below
  const sides = order.filter((s) => besideOf.get(s) === name);
  console.log(`\n=== test suite: ${name}${sides.length ? ` (${sides.join(' and ')} beside it: their output after it)` : ''} ===`);
  const outputs = new Map(sides.map((s) => [s, []]));
  const beside = (async () => {
    for (const side of sides) results.set(side, await held.run(outputs.get(side), () => runSuite(side)));
  })();
  results.set(name, await runSuite(name));
  await beside;
  for (const side of sides) {
    console.log(`\n=== test suite: ${side} (ran beside ${name}) ===`);
    for (const chunk of outputs.get(side)) process.stdout.write(chunk);
  }
}

const total = { passed: 0, failed: 0 };
const rows = [];
/** The failed tests of the node:test suites, with their errors: said again just before the summary. */
const failedTests = [];
for (const name of order) {
  const r = results.get(name);
  if (r.skipped) {
    rows.push(`  ${name.padEnd(8)} skipped (${r.reason})`);
    continue;
  }
  total.passed += r.passed;
  total.failed += r.failed;
  for (const f of r.failures ?? []) failedTests.push({ suite: name, ...f });
  rows.push(`  ${name.padEnd(8)} ${r.passed} passed, ${r.failed} failed${r.skippedTests ? `, ${r.skippedTests} skipped` : ''} in ${r.secs} s${r.note ? ` (${r.note})` : ''}${besideOf.has(name) ? ` (beside ${besideOf.get(name)})` : ''}`);
}
// A CI run shows the end of the output: each failure's error is said here too (at most ten).
if (failedTests.length > 0) {
  console.log(`\n=== failed tests (${failedTests.length}) ===`);
  for (const f of failedTests.slice(0, 10)) {
    const where = f.location ? ` (${path.relative(REPO, f.location)})` : '';
    console.log(`✖ ${f.suite}: ${f.name}${where}`);
    for (const line of f.error) console.log(`    ${line}`);
    if (f.more > 0) console.log(`    … ${f.more} more line(s)`);
  }
  if (failedTests.length > 10) console.log(`… and ${failedTests.length - 10} more, above`);
}
console.log(`\n=== summary (${((Date.now() - T0) / 1000).toFixed(1)} s) ===`);
for (const row of rows) console.log(row);
console.log(`${total.passed} passed, ${total.failed} failed`);
process.exitCode = total.failed > 0 ? 1 : 0;

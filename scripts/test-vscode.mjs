#!/usr/bin/env node
// Runs the extension in a REAL VS Code (code-server 4.139.1 = VS Code 1.139.1, Chromium via
// playwright-core), in two phases:
//   1. suite:     the mocha suite test/vscode/suite/*.test.ts inside the extension host, with
//                 this repo as extensionDevelopmentPath, in a git copy of test/vscode/workspaces/basic
//   2. scenarios: `npm run package` (.vsix), installed into a clean code-server, then each
//                 test/vscode/scenario/*.scenario.mjs drives the workbench as a person would
//                 (a scenario exporting `install = 'in-workbench'` gets no install beforehand:
//                 it installs ctx.vsix from inside the running workbench itself)
// Screenshots go to test-results/. The last line is `vscode: N passed, N failed`.
//
// Usage: node scripts/test-vscode.mjs [--only suite|scenarios] [--grep REGEX] [--no-build]
//                                     [--keep-state] [--timeout SECONDS] [--headed] [--verbose]
//   --grep applies to suite tests' full titles and to "<scenario file>: <test name>"
//   --keep-state keeps the state folders and the test workspaces (their paths are printed)
// Environment: WAVES_TOOLS_DIR (tool cache), CHROMIUM (browser binary), WAVES_TEST_TIMEOUT (ms per suite test)
import './testEnv.mjs'; // first: the tests' own approvals and temporary folder (as under npm test)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { pathToFileURL } from 'node:url';
import {
  REPO, ensureTools, installExtension, listExtensions, makeStateDir, makeTestWorkspace, prepareState, pruneStateDirs,
  startCodeServer,
} from './code-server.mjs';

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const ONLY = opt('--only'); // suite | scenarios
const GREP = opt('--grep');
const GREP_RE = GREP ? new RegExp(GREP) : null;
/** Whether --grep picks a scenario's test (`<scenario file>: <test name>`); all without it. */
const picked = (scenario, test) => !GREP_RE || GREP_RE.test(`${scenario}: ${test.name}`);
const BUILD = !argv.includes('--no-build');
const KEEP_STATE = argv.includes('--keep-state');
const HEADED = argv.includes('--headed');
const VERBOSE = argv.includes('--verbose');
const OVERALL_TIMEOUT_S = Number(opt('--timeout', process.env.WAVES_VSCODE_TIMEOUT ?? 1200));
const SUITE_TIMEOUT_MS = Number(process.env.WAVES_SUITE_TIMEOUT ?? 600_000);
const SCENARIO_TEST_TIMEOUT_MS = 120_000;
if (ONLY && !['suite', 'scenarios'].includes(ONLY)) {
  console.error(`--only must be suite or scenarios, not ${ONLY}`);
  process.exit(2);
}

const RESULTS_DIR = path.join(REPO, 'test-results');
const TESTS_ENTRY = path.join(REPO, 'out', 'test', 'vscode', 'index.js');
const SCENARIO_DIR = path.join(REPO, 'test', 'vscode', 'scenario');
const LINE_PREFIX = '##waves-test ';
const VIEWPORT = { width: 1400, height: 900 };

const counts = { passed: 0, failed: 0, skipped: 0 };
const T0 = Date.now();
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const say = (...a) => console.log('vscode:', ...a);
const cleanups = []; // run in reverse on the way out (temp workspaces, state folders)
let browser;
let live = null; // counts of the phase in progress (merged into counts when it ends)

function finish(code) {
  const line = `vscode: ${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`;
  console.log(`vscode: total ${secs(Date.now() - T0)}`);
  console.log(line);
  process.exit(code ?? (counts.failed > 0 ? 1 : 0));
}

async function runCleanups() {
  while (cleanups.length) {
    const fn = cleanups.pop();
    try { await fn(); } catch (e) { console.error('vscode: cleanup:', e.message); }
  }
}

const overall = setTimeout(async () => {
  console.error(`vscode: OVERALL TIMEOUT after ${OVERALL_TIMEOUT_S} s${live?.current ? ` (running: "${live.current}")` : ''}; stopping everything`);
  if (live) {
    counts.passed += live.passed;
    counts.failed += live.failed;
    live = null;
  }
  counts.failed++;
  setTimeout(() => finish(1), 20_000).unref(); // cleanup must not hang us either
  await Promise.race([
    Promise.all([browser?.close().catch(() => {}), runCleanups()]),
    new Promise((r) => setTimeout(r, 15_000)),
  ]);
  finish(1);
}, OVERALL_TIMEOUT_S * 1000);
overall.unref();

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out after ${secs(ms)}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

function runStep(label, cmd, args, { timeoutMs = 300_000, env } = {}) {
  const t = Date.now();
  const res = spawnSync(cmd, args, { cwd: REPO, stdio: 'inherit', timeout: timeoutMs, killSignal: 'SIGKILL', env: env ?? process.env });
  if (res.error || res.status !== 0) {
    throw new Error(`${label} failed: ${res.error?.message ?? `exit ${res.status ?? res.signal}`}`);
  }
  say(`${label}: ${secs(Date.now() - t)}`);
}

/** A temp git copy of test/vscode/workspaces/<name>, removed on the way out. */
const tempDirs = new Set();
// A promise a test left behind that fails later (a wait it never awaited) is that test's
// failure, never the end of the whole phase with no counts.
process.on('unhandledRejection', (e) => {
  const where = live?.current ?? 'between tests';
  console.log(`  ✘ unhandled rejection (${where}): ${String(e?.message ?? e).split('\n')[0]}`);
  if (live) live.failed++;
  else counts.failed++;
});
process.on('exit', () => { for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true }); }); // also on signals
function makeWorkspace(name) {
  const dir = makeTestWorkspace(name);
  if (KEEP_STATE) {
    say(`workspace ${name} kept in ${dir}`);
    return dir;
  }
  tempDirs.add(dir);
  cleanups.push(() => { fs.rmSync(dir, { recursive: true, force: true }); tempDirs.delete(dir); });
  return dir;
}

function loadPlaywright(tools) {
  try {
    return createRequire(path.join(REPO, 'package.json'))('playwright-core');
  } catch {
    return createRequire(path.join(tools.playwrightCore, 'package.json'))(tools.playwrightCore);
  }
}

async function launchBrowser(tools) {
  const { chromium } = loadPlaywright(tools);
  return chromium.launch({
    executablePath: process.env.CHROMIUM || tools.chromium,
    headless: !HEADED,
    timeout: 60_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

async function screenshot(page, name) {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  try {
    await page.screenshot({ path: file, timeout: 15_000 });
    return path.relative(REPO, file);
  } catch (e) {
    return `(no screenshot: ${e.message.split('\n')[0]})`;
  }
}

/** Polls cond() every 50 ms until truthy or ms passed. */
async function pollUntil(cond, ms) {
  const until = Date.now() + ms;
  while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return cond();
}

/** Resolves when code-server's main process is gone (polls). */
function whenDead(cs) {
  return new Promise((resolve) => {
    const t = setInterval(() => { if (!cs.running()) { clearInterval(t); resolve(); } }, 500);
    t.unref();
  });
}

// Lines of the extension host that say nothing about our tests
const NOISE = /^\[(AgentHost|ChatModelSelection)\b|Extension host with pid|Ignoring fetching additional builtin extensions|^\s*$/;

// ---------------------------------------------------------------- phase 1: suite in the extension host
async function runSuite(tools) {
  const t0 = Date.now();
  const ws = makeWorkspace('basic');
  const cs = await startCodeServer({
    tools, name: 'suite',
    env: {
      ...(GREP ? { WAVES_TEST_GREP: GREP } : {}),
      ...(process.env.WAVES_TEST_TIMEOUT ? { WAVES_TEST_TIMEOUT: process.env.WAVES_TEST_TIMEOUT } : {}),
    },
  });
  say(`suite: code-server up in ${secs(cs.startMs)} (pid ${cs.pid}, ${cs.url}, state ${path.relative(REPO, cs.stateDir)})`);
  const local = { passed: 0, failed: 0, skipped: 0, summary: null, current: null };
  live = local;
  const workbenchLog = []; // console of the workbench and the extension host (codeAutomationLog)
  let context;
  try {
    context = await browser.newContext({ viewport: VIEWPORT });
    const page = await context.newPage();
    let resolveExit;
    const exited = new Promise((r) => (resolveExit = r));
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = util.format(...(Array.isArray(args) ? args : [args]));
      for (const line of text.split('\n')) {
        const at = line.indexOf(LINE_PREFIX);
        if (at >= 0) {
          let ev;
          try { ev = JSON.parse(line.slice(at + LINE_PREFIX.length)); } catch { console.log(`  [exthost] ${line}`); continue; }
          onTestEvent(ev, local);
        } else if (!NOISE.test(line)) {
          workbenchLog.push(`[${type}] ${line}`);
          if (VERBOSE) console.log(`  [workbench:${type}] ${line}`);
        }
      }
    });
    await page.exposeFunction('codeAutomationExit', (code) => resolveExit(code));
    page.on('crash', () => resolveExit('the page crashed'));
    page.on('pageerror', (e) => console.log(`  [page error] ${e.message.split('\n')[0]}`));
    const url = cs.folderUrl(ws, [
      ['extensionDevelopmentPath', cs.remoteUri(REPO)],
      ['extensionTestsPath', cs.remoteUri(TESTS_ENTRY)],
      ['skipWelcome', 'true'],
    ]);
    await page.goto(url, { timeout: 60_000 });
    const code = await Promise.race([
      exited,
      new Promise((r) => setTimeout(() => r(`no result within ${secs(SUITE_TIMEOUT_MS)}`), SUITE_TIMEOUT_MS).unref()),
      whenDead(cs).then(() => `code-server exited; log ${cs.logFile}`),
    ]);
    const shot = await screenshot(page, 'vscode-suite');
    // the summary line may arrive just after the exit call
    await pollUntil(() => local.summary, 3000);
    let crashed = null;
    if (code !== 0) crashed = typeof code === 'number' ? `extension tests exited with code ${code}` : String(code);
    if (crashed && local.current) crashed += ` (test still running: "${local.current}")`;
    if (!local.summary) crashed = crashed ?? 'the suite sent no summary line';
    // Counts: per-test lines are the truth; the summary must agree.
    if (local.summary && (local.summary.passed !== local.passed || local.summary.failed !== local.failed)) {
      console.log(`  note: summary says ${local.summary.passed} passed, ${local.summary.failed} failed; lines say ${local.passed}/${local.failed}`);
      local.passed = Math.max(local.passed, local.summary.passed);
      local.failed = Math.max(local.failed, local.summary.failed);
    }
    if (crashed && local.failed === 0) {
      local.failed = 1;
      console.log(`  ✘ suite run: ${crashed}`);
    } else if (crashed && code !== 1) {
      console.log(`  ! ${crashed}`);
    }
    if (local.passed + local.failed === 0) {
      local.failed = 1;
      console.log('  ✘ suite ran no test');
    }
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    fs.writeFileSync(path.join(RESULTS_DIR, 'vscode-suite.log'), workbenchLog.join('\n') + '\n');
    if (local.failed > 0 && !VERBOSE) {
      console.log('  --- last workbench/extension host console lines (all in test-results/vscode-suite.log) ---');
      for (const l of workbenchLog.slice(-40)) console.log(`  ${l}`);
    }
    say(`suite: ${local.passed} passed, ${local.failed} failed${local.skipped ? `, ${local.skipped} skipped` : ''} in ${secs(Date.now() - t0)}; screenshot ${shot}`);
  } catch (e) {
    local.failed = Math.max(local.failed, 1);
    say(`suite: CRASHED: ${e.stack ?? e}`);
  } finally {
    await context?.close().catch(() => {});
    const t = Date.now();
    await cs.stop();
    say(`suite: code-server stopped in ${secs(Date.now() - t)}`);
    if (!KEEP_STATE && local.failed === 0) fs.rmSync(cs.stateDir, { recursive: true, force: true });
    else say(`suite: state kept in ${cs.stateDir} (code-server.log, user-data/logs)`);
  }
  if (live !== local) return; // the overall timeout took the counts already
  live = null;
  counts.passed += local.passed;
  counts.failed += local.failed;
  counts.skipped += local.skipped;
}

function onTestEvent(ev, local) {
  const where = ev.file ? ` [${ev.file}]` : '';
  switch (ev.event) {
    case 'pass':
      local.current = null;
      local.passed++;
      console.log(`  ✔ ${ev.title} (${ev.durationMs ?? 0} ms)`);
      break;
    case 'fail':
      local.current = null;
      local.failed++;
      console.log(`  ✘ ${ev.title}${where}\n      ${String(ev.error).split('\n').join('\n      ')}`);
      if (ev.stack) console.log(String(ev.stack).split('\n').map((l) => `      ${l.trim()}`).join('\n'));
      break;
    case 'skip':
      local.skipped++;
      console.log(`  - ${ev.title} (skipped)`);
      break;
    case 'begin':
      local.current = ev.title;
      break;
    case 'summary':
      local.summary = ev;
      break;
    default:
      console.log(`  [exthost] ${JSON.stringify(ev)}`);
  }
}

// ---------------------------------------------------------------- phase 2: packaged .vsix, UI scenarios
async function runScenarios(tools) {
  const files = fs.existsSync(SCENARIO_DIR)
    ? fs.readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.scenario.mjs')).sort()
    : [];
  if (files.length === 0) {
    say('scenarios: none in test/vscode/scenario/*.scenario.mjs');
    return;
  }
  const vsix = path.join(REPO, 'dist', 'wave-orchestrator.vsix');
  try {
    runStep('package (.vsix)', process.execPath, [path.join(REPO, 'scripts', 'package-vsix.mjs'), '--out', vsix]);
  } catch (e) {
    say(`scenarios: ${e.message}`);
    counts.failed++;
    return;
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  for (const file of files) await runScenarioFile(tools, file, vsix, manifest);
}

async function runScenarioFile(tools, file, vsix, manifest) {
  const name = file.replace(/\.scenario\.mjs$/, '');
  const t0 = Date.now();
  let mod;
  try {
    mod = await import(pathToFileURL(path.join(SCENARIO_DIR, file)).href);
  } catch (e) {
    say(`scenario ${name}: cannot load: ${e.stack ?? e}`);
    counts.failed++;
    return;
  }
  const tests = mod.tests ?? mod.default ?? [];
  // --grep: a scenario none of whose tests it names is not started at all
  if (GREP_RE && !tests.some((test) => picked(name, test))) return;
  const trust = Boolean(mod.trust);
  const local = { passed: 0, failed: 0, current: null };
  live = local;
  let cs;
  let context;
  const stateDir = makeStateDir(`scenario-${name}`);
  try {
    const ws = makeWorkspace(mod.workspace ?? 'basic');
    const state = prepareState(stateDir, { trust, settings: mod.settings ?? {} });
    // Machine-scoped settings (`waves.sandbox.*`, `waves.hosts`): code-server reads them from the machine's settings file.
    if (mod.machineSettings) {
      fs.mkdirSync(path.join(state.userDataDir, 'Machine'), { recursive: true });
      fs.writeFileSync(path.join(state.userDataDir, 'Machine', 'settings.json'), JSON.stringify(mod.machineSettings, null, 2));
    }
    let t = Date.now();
    let installed = [];
    if (mod.install === 'in-workbench') {
      say(`scenario ${name}: the .vsix is not installed beforehand; the scenario installs it in the workbench`);
    } else if (mod.install === undefined || mod.install === 'cli') {
      const installOut = installExtension(tools, state, vsix);
      installed = listExtensions(tools, state);
      say(`scenario ${name}: installed .vsix in ${secs(Date.now() - t)}: ${installOut.split('\n').pop()}`);
    } else {
      throw new Error(`export const install = ${JSON.stringify(mod.install)}: 'cli' (the default) or 'in-workbench'`);
    }
    t = Date.now();
    cs = await startCodeServer({ tools, stateDir, trust });
    say(`scenario ${name}: code-server up in ${secs(cs.startMs)} (pid ${cs.pid}, ${cs.url}${trust ? ', workspace trust ON' : ''})`);
    context = await browser.newContext({ viewport: VIEWPORT });
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(cs.folderUrl(ws), { timeout: 60_000 });
    const ctx = {
      page, cs, tools, workspace: ws, vsix, installed, manifest, pageErrors, repo: REPO,
      extensionId: `${manifest.publisher}.${manifest.name}`,
      screenshot: (label) => screenshot(page, `scenario-${name}-${label}`),
      log: (...a) => console.log('    ', ...a),
    };
    for (const [i, test] of tests.entries()) {
      if (!picked(name, test)) continue;
      const tt = Date.now();
      local.current = `${name}: ${test.name}`;
      try {
        await withTimeout(Promise.resolve().then(() => test.run(ctx)), test.timeoutMs ?? SCENARIO_TEST_TIMEOUT_MS, `"${test.name}"`);
        local.passed++;
        console.log(`  ✔ ${name}: ${test.name} (${secs(Date.now() - tt)})`);
      } catch (e) {
        local.failed++;
        const shot = await screenshot(page, `scenario-${name}-FAIL-${i + 1}`);
        console.log(`  ✘ ${name}: ${test.name} (${secs(Date.now() - tt)})\n      ${String(e.message ?? e).split('\n').join('\n      ')}\n      screenshot: ${shot}`);
      }
    }
    const shot = await screenshot(page, `scenario-${name}`);
    say(`scenario ${name}: ${local.passed} passed, ${local.failed} failed in ${secs(Date.now() - t0)}; screenshot ${shot}`);
  } catch (e) {
    local.failed = Math.max(local.failed, 1);
    say(`scenario ${name}: CRASHED: ${e.stack ?? e}`);
  } finally {
    await context?.close().catch(() => {});
    if (cs) await cs.stop();
    if (!KEEP_STATE && local.failed === 0) fs.rmSync(stateDir, { recursive: true, force: true });
    else say(`scenario ${name}: state kept in ${stateDir}`);
  }
  if (live !== local) return; // the overall timeout took the counts already
  live = null;
  counts.passed += local.passed;
  counts.failed += local.failed;
}

// ---------------------------------------------------------------- main
try {
  pruneStateDirs({ maxAgeHours: 24, keep: 10 });
  // screenshots and logs of an earlier run would be mistaken for this one's
  for (const f of fs.existsSync(RESULTS_DIR) ? fs.readdirSync(RESULTS_DIR) : []) {
    const mine = (ONLY !== 'scenarios' && f.startsWith('vscode-suite')) || (ONLY !== 'suite' && f.startsWith('scenario-'));
    if (mine) fs.rmSync(path.join(RESULTS_DIR, f), { force: true });
  }
  if (BUILD) {
    runStep('build extension', process.execPath, [path.join(REPO, 'esbuild.mjs')]);
    runStep('build tests', process.execPath, [path.join(REPO, 'scripts', 'build-tests.mjs')]);
  }
  let t = Date.now();
  const tools = ensureTools();
  say(`tools ready in ${secs(Date.now() - t)} (code-server ${tools.codeServerVersion})`);
  t = Date.now();
  browser = await launchBrowser(tools);
  say(`chromium ${browser.version()} up in ${secs(Date.now() - t)}`);
  cleanups.push(() => browser.close());
  if (ONLY !== 'scenarios') await runSuite(tools);
  if (ONLY !== 'suite') await runScenarios(tools);
} catch (e) {
  counts.failed++;
  console.error(`vscode: FAILED: ${e.stack ?? e}`);
} finally {
  await runCleanups();
}
finish();

#!/usr/bin/env node
// Start and stop a throwaway code-server (VS Code 1.139 server + web workbench) for tests.
//
// Library:
//   import { ensureTools, startCodeServer, installExtension, listExtensions } from './code-server.mjs';
//   const tools = ensureTools();                       // runs scripts/vscode-tools.sh --env
//   const cs = await startCodeServer({ tools, name: 'suite' });
//   ... cs.url, cs.port, cs.userDataDir, cs.extensionsDir, cs.logFile ...
//   await cs.stop();                                   // always, in a finally
//
// Each run gets a fresh state folder under <repo>/.test-state/ (user data, extensions, config,
// logs); code-server listens on 127.0.0.1 on a free port with --auth none and its own --config,
// quiet user settings, workspace trust disabled unless { trust: true }, and the smoke-test
// driver on (needed for extensionDevelopmentPath/extensionTestsPath payloads and
// window.codeAutomationExit). It runs in its own process group, which stop() ends by PID:
// SIGTERM, a bounded wait, then SIGKILL. A process 'exit' hook kills any still running.
//
// CLI (for poking at the extension by hand):
//   node scripts/code-server.mjs [--trust] [--folder DIR] [--dev] [--install VSIX] [--port N]
//   Starts code-server, prints the URL (with --dev: a URL that loads this repo as the
//   extension under development) of --folder or of a temp git copy of
//   test/vscode/workspaces/basic, and runs until Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const STATE_ROOT = path.join(REPO, '.test-state');

const log = (...a) => console.log('[code-server]', ...a);

/** Installs the tools if needed (scripts/vscode-tools.sh) and returns their paths. */
export function ensureTools({ quiet = false } = {}) {
  const script = path.join(REPO, 'scripts', 'vscode-tools.sh');
  const res = spawnSync('bash', [script, '--env'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', quiet ? 'pipe' : 'inherit'],
    timeout: 40 * 60_000,
  });
  if (res.error) throw new Error(`vscode-tools.sh could not run: ${res.error.message}`);
  if (res.status !== 0) {
    throw new Error(`vscode-tools.sh failed (exit ${res.status})${quiet ? `:\n${res.stderr}` : ''}`);
  }
  const env = {};
  for (const line of res.stdout.split('\n')) {
    const m = /^(WAVES_[A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  for (const k of ['WAVES_NODE24', 'WAVES_NODE24_HOME', 'WAVES_CODE_SERVER', 'WAVES_VSCE', 'WAVES_CHROMIUM', 'WAVES_PLAYWRIGHT_CORE']) {
    if (!env[k]) throw new Error(`vscode-tools.sh printed no ${k}`);
  }
  return {
    dir: env.WAVES_TOOLS_DIR,
    node: env.WAVES_NODE24,
    nodeHome: env.WAVES_NODE24_HOME,
    codeServer: fs.realpathSync(env.WAVES_CODE_SERVER), // out/node/entry.js, run with Node 24
    codeServerVersion: env.WAVES_CODE_SERVER_VERSION,
    vsce: fs.realpathSync(env.WAVES_VSCE),
    chromium: env.WAVES_CHROMIUM,
    playwrightCore: env.WAVES_PLAYWRIGHT_CORE,
  };
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Environment for code-server and everything it starts (the extension host inherits it). */
export function codeServerEnv(tools, stateDir, extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    // VSCODE_IPC_HOOK_CLI (set in a VS Code terminal) would turn code-server into a client of
    // that VS Code; other VSCODE_*/CODE_SERVER_* and NODE_OPTIONS would leak into the host.
    if (/^(VSCODE_|CODE_SERVER_|ELECTRON_)/.test(k) || k === 'NODE_OPTIONS' || k === 'PASSWORD' || k === 'HASHED_PASSWORD') {
      delete env[k];
    }
  }
  env.PATH = `${path.join(tools.nodeHome, 'bin')}${path.delimiter}${env.PATH ?? ''}`;
  env.XDG_DATA_HOME = path.join(stateDir, 'xdg-data'); // code-server's own logs (coder-logs), not ~/.local
  env.XDG_CONFIG_HOME = path.join(stateDir, 'xdg-config');
  env.DONT_PROMPT_WSL_INSTALL = '1';
  // No extension gallery: tests are offline and must not reach for open-vsx (an empty gallery
  // config disables the Marketplace queries of the workbench).
  env.EXTENSIONS_GALLERY = process.env.WAVES_EXTENSIONS_GALLERY ?? '{}';
  return { ...env, ...extra };
}

export function defaultSettings({ trust = false } = {}) {
  return {
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'workbench.startupEditor': 'none',
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.enableExperiments': false,
    'workbench.tips.enabled': false,
    'chat.disableAIFeatures': true,
    'chat.commandCenter.enabled': false,
    'git.enabled': true,
    'git.autofetch': false,
    'git.openRepositoryInParentFolders': 'never',
    'github.gitAuthentication': false,
    'typescript.disableAutomaticTypeAcquisition': true,
    'npm.autoDetect': 'off',
    'security.workspace.trust.enabled': trust,
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.banner': 'never',
    'window.confirmBeforeClose': 'never',
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    // Run Plan's confirmation with the forecast is a modal: tests that start runs do not answer it (the suite's own test does).
    'waves.run.confirm': false,
  };
}

/** A fresh state folder: .test-state/<name>-<time>-<pid>/{user-data,extensions,...}. */
export function makeStateDir(name) {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = path.join(STATE_ROOT, `${name}-${stamp}-${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function csArgs(state) {
  return [
    '--config', state.configFile,
    '--user-data-dir', state.userDataDir,
    '--extensions-dir', state.extensionsDir,
  ];
}

/** Prepares user data, extensions dir and config file in stateDir (idempotent). */
export function prepareState(stateDir, { trust = false, settings = {} } = {}) {
  const state = {
    dir: stateDir,
    userDataDir: path.join(stateDir, 'user-data'),
    extensionsDir: path.join(stateDir, 'extensions'),
    configFile: path.join(stateDir, 'config.yaml'),
    logFile: path.join(stateDir, 'code-server.log'),
  };
  fs.mkdirSync(path.join(state.userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(state.extensionsDir, { recursive: true });
  fs.mkdirSync(path.join(stateDir, 'xdg-data'), { recursive: true });
  fs.mkdirSync(path.join(stateDir, 'xdg-config'), { recursive: true });
  const settingsFile = path.join(state.userDataDir, 'User', 'settings.json');
  if (!fs.existsSync(settingsFile)) {
    fs.writeFileSync(settingsFile, JSON.stringify({ ...defaultSettings({ trust }), ...settings }, null, 2));
  }
  if (!fs.existsSync(state.configFile)) {
    // --config keeps code-server away from ~/.config/code-server/config.yaml
    fs.writeFileSync(state.configFile, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');
  }
  return state;
}

function runCli(tools, state, args, { timeoutMs = 120_000 } = {}) {
  const res = spawnSync(tools.node, [tools.codeServer, ...csArgs(state), ...args], {
    encoding: 'utf8',
    env: codeServerEnv(tools, state.dir),
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    cwd: state.dir,
  });
  if (res.error) throw new Error(`code-server ${args.join(' ')}: ${res.error.message}`);
  if (res.status !== 0) {
    throw new Error(`code-server ${args.join(' ')} exited ${res.status}:\n${res.stdout}\n${res.stderr}`);
  }
  return res.stdout;
}

/** `code-server --install-extension <vsix>` into the state's extensions dir. */
export function installExtension(tools, state, vsixOrId) {
  const out = runCli(tools, state, ['--install-extension', vsixOrId, '--force']);
  return out.trim();
}

/** `code-server --list-extensions --show-versions` -> ['publisher.name@1.2.3', ...] */
export function listExtensions(tools, state) {
  return runCli(tools, state, ['--list-extensions', '--show-versions'])
    .split('\n').map((l) => l.trim()).filter((l) => /^[\w-]+\.[\w-]+@/.test(l));
}

function httpOk(url, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.on('error', () => resolve(false));
  });
}

const running = new Set(); // pids (= process group ids) of code-servers this process started

function killGroup(pid, signal) {
  try { process.kill(-pid, signal); return true; } catch { /* group gone */ }
  try { process.kill(pid, signal); return true; } catch { return false; }
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function groupAlive(pid) {
  try { process.kill(-pid, 0); return true; } catch { return false; }
}

let hooksInstalled = false;
function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // Last resort: whatever still runs when this process exits is killed (synchronously).
  process.on('exit', () => { for (const pid of running) killGroup(pid, 'SIGKILL'); });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, async () => {
      console.error(`[code-server] ${sig}: stopping ${running.size} code-server(s)`);
      setTimeout(() => process.exit(130), 12_000).unref(); // then the exit hook SIGKILLs the rest
      await Promise.all([...running].map((pid) => stopCodeServer(pid)));
      process.exit(130);
    });
  }
}

/**
 * Starts code-server. Options:
 *   tools           from ensureTools()
 *   name            label for the state folder
 *   stateDir        reuse a prepared state folder (e.g. after installExtension)
 *   trust           false (default): --disable-workspace-trust; true: trust on, workspaces open restricted
 *   settings        extra user settings
 *   env             extra environment for code-server and the extension host
 *   port            fixed port (default: a free one)
 *   smokeTestDriver true (default): --vscode-option enable-smoke-test-driver
 *   idleTimeoutSeconds  code-server exits by itself after this long with no client (default 600;
 *                   a guard against a runner killed with SIGKILL); 0 = never
 *   startTimeoutMs  how long to wait for /healthz (default 30 s)
 */
export async function startCodeServer(opts) {
  const {
    tools, name = 'cs', trust = false, settings = {}, env = {}, smokeTestDriver = true,
    idleTimeoutSeconds = 600, startTimeoutMs = 30_000,
  } = opts;
  const stateDir = opts.stateDir ?? makeStateDir(name);
  const state = prepareState(stateDir, { trust, settings });
  installExitHooks();

  let lastError;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = opts.port ?? (await freePort());
    const args = [
      tools.codeServer,
      ...csArgs(state),
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      ...(trust ? [] : ['--disable-workspace-trust']),
      ...(smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
      ...(idleTimeoutSeconds > 60 ? ['--idle-timeout-seconds', String(idleTimeoutSeconds)] : []),
    ];
    const out = fs.openSync(state.logFile, 'a');
    const t0 = Date.now();
    // detached: its own process group, so stop() reaches the extension host and pty host too
    const child = spawn(tools.node, args, {
      cwd: state.dir,
      env: codeServerEnv(tools, state.dir, env),
      stdio: ['ignore', out, out],
      detached: true,
    });
    fs.closeSync(out);
    const pid = child.pid;
    if (!pid) throw new Error('code-server did not start (no pid)');
    running.add(pid);
    let exited = null;
    child.on('exit', (code, signal) => { exited = { code, signal }; });
    child.unref();

    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + startTimeoutMs;
    let ok = false;
    while (Date.now() < deadline && !exited) {
      if (await httpOk(`${url}/healthz`)) { ok = true; break; }
      await new Promise((r) => setTimeout(r, 100));
    }
    const logText = () => { try { return fs.readFileSync(state.logFile, 'utf8'); } catch { return ''; } };
    if (ok) {
      const startMs = Date.now() - t0;
      const cs = {
        url, port, pid, trust, startMs,
        stateDir: state.dir, userDataDir: state.userDataDir, extensionsDir: state.extensionsDir,
        configFile: state.configFile, logFile: state.logFile, state, tools,
        log: logText,
        /** true while the code-server main process runs */
        running: () => !exited && alive(pid),
        stop: () => stopCodeServer(pid, () => exited),
        /** URL that opens a folder (and optionally a payload: [[key, value], ...]) */
        folderUrl(folder, payload) {
          let u = `${url}/?folder=${encodeURIComponent(folder)}`;
          if (payload) u += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
          return u;
        },
        /** vscode-remote:// URI of a path on this machine, as the workbench sees it */
        remoteUri(p) { return `vscode-remote://127.0.0.1:${port}${p}`; },
      };
      return cs;
    }
    await stopCodeServer(pid, () => exited);
    const text = logText();
    lastError = new Error(
      exited
        ? `code-server exited (code ${exited.code}, signal ${exited.signal}) before answering on ${url}; log ${state.logFile}:\n${text.slice(-3000)}`
        : `code-server did not answer ${url}/healthz within ${startTimeoutMs} ms; log ${state.logFile}:\n${text.slice(-3000)}`,
    );
    if (!/EADDRINUSE/.test(text) || opts.port) break; // only a lost port race is worth a retry
    log(`port ${port} was taken meanwhile; retrying`);
  }
  throw lastError;
}

/** Stops a code-server started here: SIGTERM to its group, up to 10 s, then SIGKILL. */
export async function stopCodeServer(pid, exitedFn = () => null) {
  if (!running.has(pid) && !groupAlive(pid)) return;
  killGroup(pid, 'SIGTERM');
  const until = Date.now() + 10_000;
  while (Date.now() < until && (alive(pid) && !exitedFn())) await new Promise((r) => setTimeout(r, 100));
  // the extension host and other children may outlive the main process by a few seconds
  const until2 = Date.now() + 5_000;
  while (Date.now() < until2 && groupAlive(pid)) await new Promise((r) => setTimeout(r, 100));
  if (groupAlive(pid) || alive(pid)) {
    log(`pid ${pid} (group) still running after SIGTERM; SIGKILL`);
    killGroup(pid, 'SIGKILL');
    const until3 = Date.now() + 5_000;
    while (Date.now() < until3 && groupAlive(pid)) await new Promise((r) => setTimeout(r, 50));
  }
  running.delete(pid);
}

function git(cwd, args) {
  const res = spawnSync('git', [
    '-c', 'user.name=Wave Tests', '-c', 'user.email=tests@wave-orchestrator.invalid',
    '-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null', '-c', 'init.defaultBranch=main', ...args,
  ], { cwd, encoding: 'utf8', timeout: 30_000 });
  if (res.status !== 0) throw new Error(`git ${args.join(' ')} in ${cwd}: ${res.error?.message ?? res.stderr}`);
}

/**
 * A temp copy of test/vscode/workspaces/<name> made a git repo (branch main, one commit).
 * The caller removes it (fs.rmSync(dir, { recursive: true, force: true })).
 */
export function makeTestWorkspace(name) {
  const src = path.join(REPO, 'test', 'vscode', 'workspaces', name);
  if (!fs.existsSync(src)) throw new Error(`no test workspace ${src}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `waves-ws-${name}-`));
  fs.cpSync(src, dir, { recursive: true });
  git(dir, ['init', '-q']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'test workspace']);
  return dir;
}

/** Removes state folders older than maxAgeHours (they hold logs worth keeping for a while). */
export function pruneStateDirs({ maxAgeHours = 24, keep = 20 } = {}) {
  let entries;
  try { entries = fs.readdirSync(STATE_ROOT, { withFileTypes: true }).filter((d) => d.isDirectory()); } catch { return; }
  const dirs = entries
    .map((d) => ({ p: path.join(STATE_ROOT, d.name), t: fs.statSync(path.join(STATE_ROOT, d.name)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  const cutoff = Date.now() - maxAgeHours * 3600_000;
  dirs.forEach((d, i) => {
    if (i >= keep || d.t < cutoff) fs.rmSync(d.p, { recursive: true, force: true });
  });
}

// ---------------------------------------------------------------- CLI
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const flag = (f) => argv.includes(f);
  const value = (f) => { const i = argv.indexOf(f); return i >= 0 ? argv[i + 1] : undefined; };
  if (flag('--help') || flag('-h')) {
    console.log('usage: node scripts/code-server.mjs [--trust] [--folder DIR] [--dev] [--install VSIX] [--port N]');
    process.exit(0);
  }
  const tools = ensureTools();
  const stateDir = makeStateDir('manual');
  const state = prepareState(stateDir, { trust: flag('--trust') });
  if (value('--install')) log(installExtension(tools, state, path.resolve(value('--install'))));
  const cs = await startCodeServer({
    tools, stateDir, trust: flag('--trust'), idleTimeoutSeconds: 0,
    port: value('--port') ? Number(value('--port')) : undefined,
  });
  // default: a throwaway git copy of the basic test workspace (removed when this stops)
  let folder;
  if (value('--folder')) folder = path.resolve(value('--folder'));
  else {
    folder = makeTestWorkspace('basic');
    process.on('exit', () => fs.rmSync(folder, { recursive: true, force: true }));
  }
  const payload = flag('--dev') ? [['extensionDevelopmentPath', cs.remoteUri(REPO)], ['skipWelcome', 'true']] : undefined;
  log(`ready in ${cs.startMs} ms, pid ${cs.pid}, state ${cs.stateDir}`);
  log(`open: ${cs.folderUrl(folder, payload)}`);
  log('Ctrl-C to stop');
  setInterval(() => {
    if (!groupAlive(cs.pid)) { log('code-server exited'); process.exit(1); }
  }, 1000); // runs until a signal; the hooks stop code-server
}

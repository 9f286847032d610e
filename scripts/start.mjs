#!/usr/bin/env node
// `npm start`: open the extension on the demo workspace (examples/demo, copied once to
// .demo/acme-notes and made a git repository there, so your edits to it are kept; its
// .vscode/settings.json sets `waves.agent` to the stand-in demo agent, examples/demo-agent).
//   - desktop VS Code when `code` is on the PATH: `code --extensionDevelopmentPath=<repo> <demo>`
//   - otherwise code-server on 127.0.0.1 (installed on first use by scripts/vscode-tools.sh),
//     printing the address to open; Ctrl-C stops it.
// Options: --reset (copy the demo again), --web (code-server even when `code` exists),
//          --port N (code-server port; default WAVES_PORT or 8080 when free).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDemoSettings } from '../examples/demo-agent/settings.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEMO_SOURCE = path.join(REPO, 'examples', 'demo');
const DEMO = path.join(REPO, '.demo', 'acme-notes');
const argv = process.argv.slice(2);
const flag = (f) => argv.includes(f);
const value = (f) => {
  const i = argv.indexOf(f);
  return i >= 0 ? argv[i + 1] : undefined;
};

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
}

function git(args) {
  run('git', ['-c', 'user.name=Wave Orchestrator demo', '-c', 'user.email=demo@example.invalid', '-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], {
    cwd: DEMO,
    stdio: 'ignore',
  });
}

function prepareDemo() {
  if (flag('--reset')) fs.rmSync(DEMO, { recursive: true, force: true });
  if (fs.existsSync(path.join(DEMO, '.git'))) {
    if (writeDemoSettings(DEMO)) console.log('demo workspace: added .vscode/settings.json (waves.agent: the stand-in demo agent)');
    console.log(`demo workspace: ${DEMO} (kept; --reset copies it again)`);
    return;
  }
  fs.rmSync(DEMO, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(DEMO), { recursive: true });
  fs.cpSync(DEMO_SOURCE, DEMO, { recursive: true });
  writeDemoSettings(DEMO);
  git(['init', '-q']);
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'Acme Notes: starting point']);
  console.log(`demo workspace: ${DEMO} (a fresh git repository)`);
}

function hasCode() {
  const r = spawnSync(process.platform === 'win32' ? 'where' : 'which', ['code'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
}

async function portFree(port) {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function main() {
  console.log('building the extension…');
  run(process.execPath, [path.join(REPO, 'esbuild.mjs')], { cwd: REPO });
  prepareDemo();
  // The demo's agents run inside walls: bubblewrap, installed here when it is missing and
  // can be (as npm test does). Where it cannot, the extension says so when a run is asked for.
  if (process.platform === 'linux') {
    const walls = spawnSync('bash', [path.join(REPO, 'scripts', 'sandbox-tools.sh')], { stdio: 'inherit' });
    if (walls.status !== 0) console.log('bubblewrap is not available: runs will say that agents cannot be confined here (waves.sandbox.unconfined runs them without walls).');
  }

  if (hasCode() && !flag('--web')) {
    console.log('opening desktop VS Code with the extension under development…');
    const child = spawn('code', ['--extensionDevelopmentPath', REPO, DEMO], { stdio: 'inherit', detached: true });
    child.unref();
    return;
  }

  const cs = await import('./code-server.mjs');
  console.log('no `code` on the PATH: starting code-server (the first start installs it, ~2 minutes)…');
  const tools = cs.ensureTools();
  const wanted = Number(value('--port') ?? process.env.WAVES_PORT ?? 8080);
  const server = await cs.startCodeServer({
    tools,
    name: 'start',
    idleTimeoutSeconds: 0,
    port: (await portFree(wanted)) ? wanted : undefined,
  });
  const url = server.folderUrl(DEMO, [
    ['extensionDevelopmentPath', server.remoteUri(REPO)],
    ['skipWelcome', 'true'],
  ]);
  console.log(`\nWave Orchestrator is running in code-server. Open:\n\n  ${url}\n\n(Ctrl-C stops it.)`);
  // Ctrl-C reaches code-server too (one process group), so it may be gone before stop() runs:
  // after a stop was asked for, its end is the expected one, not a failure.
  // code-server.mjs's own signal handler may end the process first: say it on the way out.
  let stopping = false;
  process.on('exit', () => {
    if (stopping) console.log('code-server stopped.');
  });
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  setInterval(() => {
    if (!stopping && !server.running()) {
      console.error(`code-server stopped by itself; its log: ${server.logFile}`);
      process.exit(1);
    }
  }, 1000);
}

main().catch((err) => {
  console.error(`npm start: ${err.message}`);
  process.exit(1);
});

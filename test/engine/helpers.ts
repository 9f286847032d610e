/**
 * Shared helpers of the engine's tests: temp folders, real git repositories, waiting on a
 * condition with a deadline (never a fixed sleep), the runner bundle built once.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { attemptFiles } from '../../src/core/run/runPaths';
import type { RunnerSpec } from '../../src/engine/attempt/runnerFiles';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCRIPTED_AGENT = path.join(REPO_ROOT, 'test', 'fixtures', 'agents', 'scripted-agent.mjs');

/** A fresh folder under the OS temp folder (real path: macOS /var → /private/var). */
export function tempDir(prefix = 'waves-engine-'): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

/** git's environment for tests: no user or system config, fixed identity. */
export function gitEnv(home: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig-none'),
    HOME: home,
    // The person's approvals (and anything else of theirs): under this home, whatever the machine's XDG_CONFIG_HOME says.
    WAVES_CONFIG_DIR: path.join(home, '.config', 'wave-orchestrator'),
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.invalid',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.invalid',
  };
}

/** Runs git in `cwd` (argv, no shell); returns stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: gitEnv(cwd), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A new repository `<tmp>/repo` on `main` with `files` committed; returns its path. */
export function makeRepo(files: Record<string, string> = { 'README.md': '# test\n' }): string {
  const repo = path.join(tempDir('waves-git-'), 'repo');
  fs.mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  writeFiles(repo, files);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'initial');
  return repo;
}

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
}

/** Resolves when `cond()` is truthy; rejects with `what` after `timeoutMs`. */
export async function waitFor<T>(cond: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<Exclude<T, null | undefined | false | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v as Exclude<T, null | undefined | false | 0 | ''>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export { pidAlive } from '../fixtures/pids';

let runnerBundle: string | null = null;

/** Builds `src/engine/attempt/runner.ts` the way esbuild.mjs does (once per test process); returns the bundle's path. */
export async function buildRunner(): Promise<string> {
  if (runnerBundle) return runnerBundle;
  const esbuild = await import('esbuild');
  const out = path.join(tempDir('waves-runner-bundle-'), 'runner.js');
  // The runner, the relay and the `waves` MCP server beside it as dist/ has them (ADR 0036).
  const bundles: { entry: string[]; outfile: string; define: Record<string, string> }[] = [
    { entry: ['attempt', 'runner.ts'], outfile: out, define: { WAVES_RUNNER_MAIN: 'true' } },
    { entry: ['attempt', 'relayMain.ts'], outfile: path.join(path.dirname(out), 'relay.js'), define: { WAVES_RUNNER_MAIN: 'true' } },
    { entry: ['talk', 'mcpServer.ts'], outfile: path.join(path.dirname(out), 'waves-mcp.js'), define: {} },
  ];
  for (const b of bundles) {
    await esbuild.build({ entryPoints: [path.join(REPO_ROOT, 'src', 'engine', ...b.entry)], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: b.outfile, define: b.define, logLevel: 'error' });
  }
  // And the relay made ahead for the system's Python (ADR 0040), as esbuild.mjs lays it in dist/.
  fs.copyFileSync(path.join(REPO_ROOT, 'src', 'engine', 'attempt', 'relay.py'), path.join(path.dirname(out), 'relay.py'));
  runnerBundle = out;
  return out;
}

/**
 * Starts `argv` (detached) holding a copy of the output (fd 1) of process `pid` as its stdout and
 * stderr: walls left over that keep that output open. The output is a socket (Node's stdio), which
 * `/proc/<pid>/fd` cannot open, so Python takes the copy (pidfd_getfd, Linux 5.6) and becomes `argv`.
 */
export function spawnHoldingOutputOf(pid: number, argv: readonly string[]): ChildProcess {
  const take = 'import ctypes, os, sys\n'
    + 'fd = ctypes.CDLL(None, use_errno=True).syscall(438, os.pidfd_open(int(sys.argv[1])), 1, 0)\n'
    + 'assert fd >= 0, os.strerror(ctypes.get_errno())\n'
    + 'os.dup2(fd, 1); os.dup2(fd, 2); os.close(fd)\n'
    + 'os.execv(sys.argv[2], sys.argv[2:])\n';
  return spawn('python3', ['-c', take, String(pid), ...argv], { stdio: 'ignore', detached: true });
}

export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns a real process (argv, no shell) and collects its output. */
export function spawnProcess(argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: 'pipe' | 'ignore' } = {}): Spawned {
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    shell: false,
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/**
 * A safety net for tests of FIFOs: a separate process that, after `afterMs`, opens for
 * writing (and closes at once) every FIFO under `root` that a reader is waiting on. Code
 * that wrongly opened one for reading then gets an empty file instead of hanging the test
 * process for good (a blocked synchronous read cannot be timed out from inside) — and fails
 * its assertions. Code that never opens it is untouched. Call the result to stop it.
 */
export function releaseFifosAfter(root: string, afterMs = 5000): () => void {
  const code = `
    const fs = require('fs'), path = require('path');
    const [root, after] = [process.argv[1], Number(process.argv[2])];
    const walk = (d, out) => { let es = []; try { es = fs.readdirSync(d, { withFileTypes: true }); } catch { return out; }
      for (const e of es) { const p = path.join(d, e.name); if (e.isFIFO()) out.push(p); else if (e.isDirectory()) walk(p, out); } return out; };
    setTimeout(() => setInterval(() => { for (const f of walk(root, [])) { try { fs.closeSync(fs.openSync(f, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)); } catch {} } }, 100), after);`;
  const child = spawn(process.execPath, ['-e', code, root, String(afterMs)], { stdio: 'ignore' });
  child.unref();
  return () => child.kill('SIGKILL');
}

/** The live processes (not zombies) whose command line holds `text`, as "pid cmdline" (this process left out). */
export function processesNaming(text: string): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(text) && Number(pid) !== process.pid) out.push(`${pid} ${cmd.slice(0, 120)}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** An attempt folder for a runner (one started ahead, or not) whose spec.json names `token`; the scripted agent follows `script`; `extra`: more of the spec (its walls…). */
export function attemptWith(token: string, script: string, extra: Partial<RunnerSpec> = {}): { dir: string; files: ReturnType<typeof attemptFiles> } {
  const dir = tempDir('waves-pooled-attempt-');
  const files = attemptFiles(dir);
  const spec: RunnerSpec = {
    version: 1,
    argv: [process.execPath, SCRIPTED_AGENT, '--result', files.result, '--package', 'pkg-a'],
    cwd: tempDir('waves-pooled-cwd-'),
    env: { WAVES_TEST_AGENT: script },
    interactive: false,
    stdinFile: null,
    timeoutMs: null,
    graceMs: 1000,
    startToken: token,
    verdict: 'none',
    ...extra,
  };
  fs.writeFileSync(files.spec, JSON.stringify(spec));
  return { dir, files };
}

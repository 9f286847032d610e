/**
 * How the engine starts git (docs/run-engine.md "Git and audit", ADR 0012).
 *
 * Node's `spawn` forks the whole process on the main thread before git runs: 10–70 ms per git
 * call from the engine's process (more the larger the process: the editor's extension host
 * is the largest), during which the event loop does nothing else. Calls "at once" therefore
 * ran one after another. Here every git call of the engine goes through one queue:
 *
 * - **A helper process** (a few lines of Node started with the run, `HELPER_SOURCE`) spawns
 *   git for the engine: its fork is that of a 40 MB process and happens off the engine's
 *   thread. Requests and answers are JSON lines over its stdin and stdout; argv is passed as
 *   an array to `execFile` there — never a shell. Until the helper says it is ready, and if it
 *   ends, calls run directly as before; a call the helper was running when it ended is re-run
 *   only when it only reads, otherwise it fails (a commit is never made twice).
 * - **Identical reads share one process**: a read (src/core/git/gitReads.ts) that is still
 *   waiting in the queue answers every identical read asked after it — nine packages launched
 *   at once ask the same questions of the repository. A call never shares a process that had
 *   started before it was asked, so each caller sees the repository as it was after its ask.
 *
 * `WAVES_GIT_HELPER=0` turns the helper off (the bench's before/after).
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import os from 'node:os';
import { isReadOnlyGit } from '../../core/git/gitReads.js';

export interface GitCall {
  cwd: string;
  /** Everything after `git`. */
  argv: readonly string[];
  /**
   * A program and its arguments that run git (`git` and `argv` appended): a layered tree's
   * overlay mounted first (layers.ts). None: git itself.
   */
  prefix?: readonly string[];
  /** The call's whole environment. */
  env: NodeJS.ProcessEnv;
  maxBuffer: number;
  /** What git reads on its standard input (`fast-import`'s stream); none: nothing is written there. */
  input?: string;
}

export interface GitOutcome {
  stdout: string;
  stderr: string;
  /** git's exit code; null when it did not exit normally (a signal, no git, too much output). */
  code: number | null;
  /** Why, when `code` is null. */
  message: string;
}

/**
 * The helper: reads one JSON request per line, runs `execFile(file, args)` (no shell) and
 * writes one JSON answer per line. It ends when the engine's end of its stdin closes.
 */
const HELPER_SOURCE = `'use strict';
const { execFile } = require('node:child_process');
let buf = '';
const answer = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  let nl;
  while ((nl = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    let r;
    try { r = JSON.parse(line); } catch { /* not a request: the engine writes only JSON lines */ continue; }
    try {
      const pre = Array.isArray(r.prefix) && r.prefix.length > 0 ? r.prefix : null;
      const child = execFile(pre ? pre[0] : 'git', pre ? [...pre.slice(1), 'git', ...r.argv] : r.argv, { cwd: r.cwd, env: r.env, encoding: 'utf8', maxBuffer: r.maxBuffer, windowsHide: true }, (err, stdout, stderr) => {
        const c = err ? err.code : 0;
        answer({ id: r.id, code: typeof c === 'number' ? c : null, stdout: String(stdout ?? ''), stderr: String(stderr ?? ''), message: err ? String(err.message) : '' });
      });
      if (typeof r.input === 'string') { child.stdin.on('error', () => { /* git ended before reading it all: its exit code says why */ }); child.stdin.end(r.input); }
    } catch (err) {
      answer({ id: r.id, code: null, stdout: '', stderr: '', message: String(err && err.message || err) });
    }
  }
});
process.stdin.on('end', () => process.exit(0));
answer({ ready: true });
`;

function runDirect(call: GitCall): Promise<GitOutcome> {
  return new Promise((resolve) => {
    try {
      const pre = call.prefix?.length ? call.prefix : null;
      const child = execFile(pre ? pre[0]! : 'git', pre ? [...pre.slice(1), 'git', ...call.argv] : call.argv, { cwd: call.cwd, env: call.env, encoding: 'utf8', maxBuffer: call.maxBuffer, windowsHide: true }, (err, stdout, stderr) => {
        const c: unknown = err ? (err as { code?: unknown }).code : 0;
        resolve({ stdout: String(stdout ?? ''), stderr: String(stderr ?? ''), code: typeof c === 'number' ? c : null, message: err ? err.message : '' });
      });
      if (call.input !== undefined) {
        // git that ends before reading all of it: its exit code says what went wrong
        child.stdin?.on('error', () => undefined);
        child.stdin?.end(call.input);
      }
    } catch (err) {
      resolve({ stdout: '', stderr: '', code: null, message: err instanceof Error ? err.message : String(err) });
    }
  });
}

interface Pending {
  call: GitCall;
  readOnly: boolean;
  key: string | null;
  waiters: ((o: GitOutcome) => void)[];
}

/** The helper process and what it is running. */
class Helper {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly running = new Map<number, Pending>();
  private nextId = 1;
  private buf = '';
  ready = false;
  ended = false;

  constructor(private readonly onEnd: (orphans: Pending[]) => void) {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS; // read at every Node start; the helper makes no TLS connection
    delete env.NODE_OPTIONS; // a loader or inspector of the engine's is not the helper's
    if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
    this.child = spawn(process.execPath, ['-e', HELPER_SOURCE], { stdio: ['pipe', 'pipe', 'pipe'], env, windowsHide: true });
    this.child.stdout.setEncoding('utf8').on('data', (d: string) => this.read(d));
    this.child.stderr.resume();
    this.child.stdin.on('error', () => this.end());
    this.child.once('error', () => this.end());
    // 'close', not 'exit': answers still in the pipe are read first.
    this.child.once('close', () => this.end());
    this.idle();
  }

  get busy(): number {
    return this.running.size;
  }

  send(p: Pending): void {
    const id = this.nextId++;
    this.running.set(id, p);
    if (this.running.size === 1) this.hold();
    const { cwd, argv, env, maxBuffer, prefix, input } = p.call;
    this.child.stdin.write(`${JSON.stringify({ id, cwd, argv, env, maxBuffer, ...(prefix?.length ? { prefix } : {}), ...(input !== undefined ? { input } : {}) })}\n`);
  }

  private read(data: string): void {
    this.buf += data;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      let msg: { id?: number; ready?: boolean } & Partial<GitOutcome>;
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        // not one of the helper's answers (it writes only JSON lines): nothing waits on it
        continue;
      }
      if (msg.ready) {
        this.ready = true;
        continue;
      }
      const p = msg.id !== undefined ? this.running.get(msg.id) : undefined;
      if (!p) continue;
      this.running.delete(msg.id!);
      if (this.running.size === 0) this.idle();
      settle(p, { stdout: msg.stdout ?? '', stderr: msg.stderr ?? '', code: typeof msg.code === 'number' ? msg.code : null, message: msg.message ?? '' });
    }
  }

  /** While it runs calls the helper keeps the engine's process alive; idle, it does not. */
  private hold(): void {
    this.child.ref();
    socket(this.child.stdout).ref?.();
  }

  private idle(): void {
    this.child.unref();
    for (const s of [this.child.stdout, this.child.stderr, this.child.stdin]) socket(s).unref?.();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.ready = false;
    const orphans = [...this.running.values()];
    this.running.clear();
    this.onEnd(orphans);
  }

  get pid(): number | null {
    return this.child.pid ?? null;
  }
}

/** A child's pipe is a socket; its `ref`/`unref` decide whether it keeps the process alive. */
const socket = (s: object): { ref?: () => void; unref?: () => void } => s as { ref?: () => void; unref?: () => void };

function settle(p: Pending, o: GitOutcome): void {
  for (const w of p.waiters) w(o);
}

const MAX_RUNNING = Math.max(8, 4 * (os.availableParallelism?.() ?? os.cpus().length));

/** The engine's git queue: see the file's comment. One per process. */
class GitQueue {
  private readonly waiting: Pending[] = [];
  /** Reads still waiting, by key: an identical read joins one of these. */
  private readonly waitingReads = new Map<string, Pending>();
  private directRunning = 0;
  private helper: Helper | null = null;
  private helperFailures = 0;
  private scheduled = false;

  run(call: GitCall): Promise<GitOutcome> {
    this.warm();
    const readOnly = isReadOnlyGit(call.argv);
    const key = readOnly ? JSON.stringify([call.cwd, call.prefix ?? [], call.argv, envKey(call.env), call.maxBuffer]) : null;
    return new Promise((resolve) => {
      const joined = key !== null ? this.waitingReads.get(key) : undefined;
      if (joined) {
        joined.waiters.push(resolve);
        return;
      }
      const p: Pending = { call, readOnly, key, waiters: [resolve] };
      this.waiting.push(p);
      if (key !== null) this.waitingReads.set(key, p);
      this.schedule();
    });
  }

  /** Starts the helper (if it is wanted and not running), so that it is ready when the run's git calls come. */
  warm(): void {
    if (this.helper && !this.helper.ended) return;
    if (process.env.WAVES_GIT_HELPER === '0' || this.helperFailures >= 3) return;
    try {
      this.helper = new Helper((orphans) => this.helperEnded(orphans));
    } catch {
      // the helper could not start: each git call runs as its own process, and three failures stop the tries
      this.helperFailures++;
      this.helper = null;
    }
  }

  private helperEnded(orphans: Pending[]): void {
    this.helperFailures++;
    this.helper = null;
    for (const p of orphans) {
      // A read is asked again; a call that may have written is not run twice.
      if (p.readOnly) this.runNow(p);
      else settle(p, { stdout: '', stderr: '', code: null, message: 'the git helper process ended while git ran; the call may or may not have taken effect' });
    }
    this.schedule();
  }

  private get running(): number {
    return this.directRunning + (this.helper?.busy ?? 0);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Calls asked in the same turn of the event loop get the chance to join each other.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.running < MAX_RUNNING) {
      const p = this.waiting.shift()!;
      if (p.key !== null && this.waitingReads.get(p.key) === p) this.waitingReads.delete(p.key);
      this.runNow(p);
    }
  }

  private runNow(p: Pending): void {
    const helper = this.helper;
    if (helper && helper.ready && !helper.ended) {
      helper.send(p);
      // Its answer frees a slot: pump again when it settles.
      p.waiters.push(() => this.schedule());
      return;
    }
    this.directRunning++;
    void runDirect(p.call).then((o) => {
      this.directRunning--;
      settle(p, o);
      this.schedule();
    });
  }

  get helperPid(): number | null {
    return this.helper && !this.helper.ended ? this.helper.pid : null;
  }
}

/** An environment as a key: two calls share a process only with the same environment. */
function envKey(env: NodeJS.ProcessEnv): string {
  return Object.keys(env)
    .sort()
    .map((k) => `${k}=${env[k]}`)
    .join('\0');
}

let queue: GitQueue | null = null;

/** Runs one git call through the engine's queue (helper process, shared identical reads). */
export function runGit(call: GitCall): Promise<GitOutcome> {
  queue ??= new GitQueue();
  return queue.run(call);
}

/** Starts the git helper ahead of the run's first calls (it takes a Node start). */
export function warmGit(): void {
  queue ??= new GitQueue();
  queue.warm();
}

/** The helper's process id while it runs (tests end it to check what happens then). */
export function gitHelperPid(): number | null {
  return queue?.helperPid ?? null;
}

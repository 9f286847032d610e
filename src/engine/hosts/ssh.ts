/**
 * One SSH host as the engine talks to it (ADR 0011): the system's `ssh` with the person's
 * keys, agent and configuration (no password is ever asked for or stored: `BatchMode`; host
 * keys checked as ssh does), one multiplexed connection per host (`ControlMaster`), and git
 * over that same connection (`GIT_SSH_COMMAND`). Every remote command is an argv quoted for
 * the remote shell (core/hosts/hostList.ts `commandLine`); nothing is ever `StrictHostKeyChecking=no`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandLine, shellQuote, sshOptions, type Host } from '../../core/hosts/hostList';
import { git, GitError, SAFE_CONFIG_ARGS } from '../git';

export interface SshResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** ssh could not reach the host (its exit 255), or the command timed out. */
export class HostUnreachableError extends Error {
  constructor(readonly host: string, detail: string) {
    super(`the host ${host} cannot be reached: ${detail}`);
    this.name = 'HostUnreachableError';
  }
}

/** A folder of this person's for the shared connections' sockets (short: a socket path has a length limit). */
export function controlFolder(): string {
  const dir = path.join(os.tmpdir(), `waves-ssh-${typeof process.getuid === 'function' ? process.getuid() : 'u'}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (!st.isDirectory() || (typeof process.getuid === 'function' && st.uid !== process.getuid())) throw new Error(`${dir} is not a folder of yours: the SSH connections' sockets cannot go there`);
  fs.chmodSync(dir, 0o700);
  return dir;
}

export class SshHost {
  readonly options: string[];
  /** ssh's exit for "could not connect" (and a command's own 255, which the engine never uses). */
  static readonly UNREACHABLE = 255;
  /** The shared connection (`ssh -N -o ControlMaster=yes`), while it runs. */
  private master: ChildProcess | null = null;
  private masterStarting: Promise<void> | null = null;
  private readonly controlPath: string | null;

  /** `shared`: calls go through one multiplexed connection, which `connect()` starts (a run's executor); false: one connection per call (a check). */
  constructor(
    readonly host: Host & { ssh: string },
    shared = true,
  ) {
    const dir = shared ? controlFolder() : undefined;
    this.options = sshOptions(host, dir);
    this.controlPath = dir ? path.join(dir, `waves-${process.pid}-${host.name}`) : null;
    if (this.controlPath) this.options = this.options.map((o) => (o.startsWith('ControlPath=') ? `ControlPath=${this.controlPath}` : o));
  }

  /**
   * Starts the shared connection when it is not up (a dropped one is started again by the
   * next call). Its own process, not a call's: a call's output then ends with the call
   * (a master that a call became would hold its pipes open for as long as it persists).
   */
  private connect(): Promise<void> {
    if (!this.controlPath || this.master) return Promise.resolve();
    this.masterStarting ??= new Promise<void>((resolve) => {
      const options = this.options.map((o) => (o === 'ControlMaster=no' ? 'ControlMaster=yes' : o));
      const child = spawn('ssh', [...options, '-N', '--', this.host.ssh], { stdio: 'ignore', env: { ...process.env, LC_ALL: 'C' } });
      child.unref();
      this.master = child;
      let settled = false;
      const done = () => {
        if (settled) return;
        settled = true;
        clearInterval(poll);
        this.masterStarting = null;
        resolve();
      };
      child.once('error', () => {
        this.master = null;
        done();
      });
      child.once('exit', () => {
        if (this.master === child) this.master = null;
        done(); // could not connect: the call connects by itself and says why
      });
      // Up when its socket is there (or give up waiting after the connect timeout: calls connect by themselves).
      const started = Date.now();
      const poll = setInterval(() => {
        if (fs.existsSync(this.controlPath!) || Date.now() - started > 12_000) done();
      }, 20);
    });
    return this.masterStarting;
  }

  get name(): string {
    return this.host.name;
  }

  /**
   * Runs `argv` there (quoted for its login shell), or a `script` of our own making: a fixed
   * text whose only variable parts were quoted with `shellQuote`. Rejects with
   * `HostUnreachableError` when ssh cannot connect or `timeoutMs` passes.
   */
  run(command: { argv: readonly string[] } | { script: string }, options: { input?: string | Buffer; timeoutMs?: number; okCodes?: readonly number[] } = {}): Promise<SshResult> {
    const line = 'argv' in command ? commandLine(command.argv) : command.script;
    return this.slot(() => this.connect().then(() => new Promise<SshResult>((resolve, reject) => {
      const child = spawn('ssh', [...this.options, '--', this.host.ssh, line], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      // A dead connection is noticed by ssh itself (ServerAlive, about 10 s); `timeoutMs` bounds a call that must be quick.
      const timer = options.timeoutMs
        ? setTimeout(() => {
            child.kill('SIGKILL');
            reject(new HostUnreachableError(this.name, `no answer within ${Math.round(options.timeoutMs! / 1000)} s`));
          }, options.timeoutMs)
        : undefined;
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new HostUnreachableError(this.name, `ssh could not start: ${err.message}`));
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        if (code === SshHost.UNREACHABLE) return reject(new HostUnreachableError(this.name, lastLine(stderr) || 'ssh exit 255'));
        if (options.okCodes && !options.okCodes.includes(code ?? -1)) return reject(new Error(`on ${this.name}: ${line.slice(0, 200)} failed (exit ${code}): ${lastLine(stderr)}`));
        resolve({ code, stdout, stderr });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input ?? '');
    })));
  }

  /**
   * Forwards a Unix socket there (`remote`) to one here (`local`) over the shared connection
   * (`ssh -O forward -R`, OpenSSH's Unix-socket forwarding); `cancel` ends it. Rejects without a
   * shared connection, or when ssh refuses (the path there taken, forwarding not allowed).
   */
  async forwardSocket(remote: string, local: string, cancel = false): Promise<void> {
    if (!this.controlPath) throw new Error('no shared connection to forward over');
    if (remote.includes(':') || local.includes(':')) throw new Error('a socket path with a colon cannot be forwarded');
    await this.connect();
    await new Promise<void>((resolve, reject) => {
      const child = spawn('ssh', [...this.options, '-O', cancel ? 'cancel' : 'forward', '-R', `${remote}:${local}`, '--', this.host.ssh], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('error', (err) => reject(new Error(`ssh could not start: ${err.message}`)));
      child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(lastLine(stderr) || `ssh -O ${cancel ? 'cancel' : 'forward'} exit ${code}`))));
    });
  }

  /** Calls at once per host: below sshd's default MaxSessions (10) on the shared connection. */
  static readonly MAX_CALLS = 8;
  private calls = 0;
  private readonly queue: (() => void)[] = [];

  private async slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.calls >= SshHost.MAX_CALLS) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.calls++;
    try {
      return await work();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.calls--;
    }
  }

  /** `git` there: the engine's safe configuration first (no hooks, no fsmonitor, …). */
  git(cwd: string, args: readonly string[], options: { okCodes?: readonly number[]; input?: string } = {}): Promise<SshResult> {
    return this.run({ argv: ['git', ...SAFE_CONFIG_REMOTE, '-C', cwd, ...args] }, { okCodes: options.okCodes ?? [0], ...(options.input !== undefined ? { input: options.input } : {}) });
  }

  /** The repository there as git names it: `ssh://[user@]host[:port]/abs/path` — the port and options through GIT_SSH_COMMAND. */
  gitUrl(absolutePath: string): string {
    return `ssh://${this.host.ssh}${absolutePath.startsWith('/') ? '' : '/~/'}${absolutePath}`;
  }

  /** For `GIT_SSH_COMMAND` (git runs it with a shell): ssh and this host's options, each quoted. */
  gitSshCommand(): string {
    return ['ssh', ...this.options].map(shellQuote).join(' ');
  }

  /**
   * A local `git` against this host (`fetch`, `push`) over the shared connection: argv, no
   * shell of ours; the engine's safe configuration first.
   */
  localGit(cwd: string, args: readonly string[]): Promise<SshResult> {
    return this.slot(() =>
      this.connect().then(async () => {
        try {
          return await git(cwd, args, [0], { GIT_SSH_COMMAND: this.gitSshCommand() });
        } catch (err) {
          if (!(err instanceof GitError)) throw err;
          if (/Could not read from remote repository|Connection (refused|timed out|closed)|Host key verification failed|Permission denied/i.test(err.stderr)) {
            throw new HostUnreachableError(this.name, lastLine(err.stderr));
          }
          throw new Error(`git ${args.slice(0, 2).join(' ')} with ${this.name} failed (exit ${err.code}): ${lastLine(err.stderr)}`);
        }
      }),
    );
  }

  /** Closes the shared connection; quietly. */
  async close(): Promise<void> {
    const master = this.master;
    this.master = null;
    if (master && master.exitCode === null) master.kill('SIGTERM');
  }
}

/** The engine's git configuration for commands on a host (no hooks, no fsmonitor, no external diff, no signing). */
export const SAFE_CONFIG_REMOTE: readonly string[] = SAFE_CONFIG_ARGS.map((a) => (a.startsWith('core.hooksPath=') ? 'core.hooksPath=/dev/null' : a));

function lastLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '';
}

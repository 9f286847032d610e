/**
 * How `LocalExecutor` starts a runner (`dist/runner.js <attemptDir> <startToken>`). The CLI uses
 * the default: a detached child process whose output goes nowhere (headless agents' output
 * is teed to `agent.log` by the runner). The editor passes its own launcher, which opens a
 * terminal hosting the same command. Node built-ins only, no `vscode`.
 */
import { spawn } from 'node:child_process';

export interface LaunchRequest {
  packageId: string;
  attempt: number;
  /** For a terminal's name, e.g. `waves: api-client #1`. */
  title: string;
  attemptDir: string;
  startToken: string;
  /** `process.execPath` (add `ELECTRON_RUN_AS_NODE=1` to `env` when it is Electron). */
  command: string;
  /** `[runnerScript, attemptDir, startToken]`. */
  args: string[];
  cwd: string;
  /** Extra environment for the runner (on top of the launcher's own). */
  env: Record<string, string>;
  /** The agent needs a terminal (a TUI). */
  interactive: boolean;
}

export interface LaunchResult {
  /** The RUNNER's process id, when known (adoption also reads it from `meta.json`). */
  pid: number | null;
  /**
   * Resolves when the runner process ends (its exit code), when the launcher can tell. The
   * engine uses it only to notice a runner that ended without writing `exit.json`.
   */
  exited?: Promise<number | null>;
}

export interface Launcher {
  launch(request: LaunchRequest): Promise<LaunchResult>;
}

/**
 * The runner's environment: `base` and `extra`, with `NODE_EXTRA_CA_CERTS` held back as
 * `WAVES_NODE_EXTRA_CA_CERTS`. Node reads that certificate file as it starts (about 100–
 * 400 ms for a system bundle on a loaded 2-core machine: bench/engine.bench.ts), and the
 * runner makes no TLS connection; it gives the variable back to the agent (runner.ts).
 */
export function runnerEnv(base: NodeJS.ProcessEnv, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...extra };
  const certs = env.NODE_EXTRA_CA_CERTS;
  if (certs !== undefined) {
    delete env.NODE_EXTRA_CA_CERTS;
    env.WAVES_NODE_EXTRA_CA_CERTS = certs;
  }
  return env;
}

/**
 * The default launcher: `spawn(command, args)` detached (its own process group, so it
 * outlives the engine and a SIGINT to the CLI does not reach it), no stdio, unref'd;
 * its environment is `runnerEnv`'s.
 */
export const childProcessLauncher: Launcher = {
  launch(request) {
    return new Promise((resolve, reject) => {
      const child = spawn(request.command, request.args, {
        cwd: request.cwd,
        env: runnerEnv(process.env, request.env),
        detached: true,
        stdio: 'ignore',
        shell: false,
      });
      const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      child.once('error', (err) => reject(err));
      child.once('spawn', () => {
        child.unref();
        resolve({ pid: child.pid ?? null, exited });
      });
    });
  },
};

/**
 * Verification `command` steps run on this machine (docs/run-engine.md, "Verification"). They
 * are shell command lines written by the plan's author — the one place the engine uses a shell:
 * the user's (`$SHELL -c`, else /bin/sh; `cmd /d /s /c` on Windows), in the package's tree, and
 * only after the user approved that plan's exact ordered list of commands
 * (consent/approvalStore.ts, `requireApproved`). Each command is announced (a callback) before
 * it runs; its output goes to the attempt's `verify-<n>.log`. With walls (ADR 0019) each
 * command runs inside its own: its tree writable, the attempt folder read-only, the secrets
 * hidden, the network only to what the person allowed. It runs through the runner
 * (`runner.js --confine`) whatever hosts it may reach, none included: its proxy lets the allowed
 * ones through, its relay listens on the loopback ports this machine serves, and what the walls
 * refused (`verify-<n>-walls.jsonl`) is named in the step's result with the switch that allows
 * it, as an agent's is (`refusedIn`; the set-up hook's too).
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyLogFile } from '../../core/run/runPaths.js';
import { requireApproved } from '../consent';
import { looksOffline, NO_NETWORK_TEXT, wallsRefusedText } from '../../core/walls/walls';
import { registriesRefusedNote, wallsOutputAdvice } from '../../core/walls/toolchains';
import { wallsLogIn } from './wallsNet';
import { encodeConfine, type PooledCommand } from './wallsRun';
import type { LaunchResult } from './launcher';
import { wallsFor, type ConfinementOptions } from './wallsDraw';
import { signalGroup } from './processTree';

export interface CommandStep {
  /** The step's name in the plan. */
  step: string;
  /** The shell command line, verbatim. */
  command: string;
}

export interface StepResult {
  step: string;
  ok: boolean;
  detail: string;
}

/** The user's shell and the arguments that run one command line with it. */
export function shellFor(command: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): { file: string; args: string[]; verbatim: boolean } {
  if (platform === 'win32') return { file: env.ComSpec || env.COMSPEC || 'cmd.exe', args: ['/d', '/s', '/c', `"${command}"`], verbatim: true };
  const shell = env.SHELL;
  const usable = shell && path.isAbsolute(shell) && fs.existsSync(shell) && !/\b(nologin|false)$/.test(shell);
  return { file: usable ? shell : '/bin/sh', args: ['-c', command], verbatim: false };
}

export interface RunVerificationOptions {
  /** The person's approvals folder; default `personalApprovals()`. */
  approvals?: string;
  planFile: string;
  /** The package's tree. */
  cwd: string;
  /** The attempt folder: `verify-<n>.log` go there. */
  attemptDir: string;
  steps: readonly CommandStep[];
  /**
   * The approved list the steps are part of (the plan's whole list, when the steps are one
   * package's share of it); default: the steps' own commands. Every step must be in it.
   */
  approvedList?: readonly string[];
  /** Called before each command runs (print it). */
  onCommand?: (step: CommandStep, n: number) => void;
  env?: NodeJS.ProcessEnv;
  /** Per command; the command's process group gets SIGTERM, then SIGKILL 5 s later. */
  timeoutMs?: number;
  /**
   * The steps' results are no longer wanted (the engine judged the attempt otherwise while they
   * ran): the step under way is stopped as one past its time, and no other starts.
   */
  signal?: AbortSignal;
  /** The walls each command runs inside (the executor's); absent: none (the person chose so). */
  walls?: CommandWalls;
  /**
   * Runners started ahead (runnerPool.ts): a walled step is handed to a ready one, which runs it
   * inside the network it made ahead (no Node to start, no relay), else it starts its own. Not
   * used with `env` (a pooled runner has the engine's environment).
   */
  pool?: { command(command: PooledCommand): Promise<LaunchResult | null> };
}

/** Walls for commands: bubblewrap, the runner that applies them, what the person added. */
export interface CommandWalls {
  bwrap: string;
  runnerScript: string;
  options?: ConfinementOptions;
}

/** Where a step's walls write what they refused it. */
export function verifyWallsLog(attemptDir: string, n: number): string {
  return path.join(attemptDir, `verify-${n}-walls.jsonl`);
}

/** A command as `walledCommand` starts it. */
export interface WalledCommand {
  file: string;
  args: string[];
  /**
   * What its walls let through, drawn when first asked (a refusal's note, a failure's words; a step
   * that passed with nothing refused never asks): the registries the walls' settings name, and
   * whether they let it reach no host.
   */
  reach(): { registries: string[]; noHost: boolean };
  /** Inside walls: `runner.js --confine`'s request and the command's argv, as a pooled runner takes them. */
  confined?: { confine: string; argv: string[] };
}

/**
 * How a command (an argv: a shell command line's, or the set-up hook's) is started: as it is
 * without walls; inside walls, the runner (`runner.js --confine`, whose proxy lets the allowed
 * hosts through and writes what it refused to `wallsLog`, and whose relay makes a refused
 * loopback connection one it names), even when no host is allowed. `env` is changed in place to
 * the one the command gets; `reach`: what its walls let through, for the note.
 */
export function walledCommand(cmd: { file: string; args: string[] }, cwd: string, attemptDir: string, wallsLog: string, walls: CommandWalls | undefined, env: NodeJS.ProcessEnv): WalledCommand {
  if (!walls) return { ...cmd, reach: () => ({ registries: [], noHost: false }) };
  // The walls `runner.js --confine` draws for it (the same code, with the environment it is given), when first asked.
  const seen = { ...env };
  let reach: { registries: string[]; noHost: boolean } | null = null;
  const drawn = () => {
    if (reach) return reach;
    const w = wallsFor({
      bwrap: walls.bwrap,
      worktree: cwd,
      attemptDir,
      role: 'command',
      profileId: 'custom',
      env: seen,
      interactive: false,
      argv: [cmd.file, ...cmd.args],
      runnerScript: walls.runnerScript,
      startToken: crypto.randomBytes(16).toString('hex'),
      ...(walls.options ? { options: walls.options } : {}),
    }).walls;
    reach = { registries: w.registries, noHost: w.allow.length === 0 };
    return reach;
  };
  // The runner (which makes the walls and their proxy) runs under this Node, or Electron as Node.
  if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
  const request = encodeConfine({ bwrap: walls.bwrap, cwd, attemptDir, log: wallsLog, ...(walls.options ? { options: walls.options } : {}) });
  const argv = [cmd.file, ...cmd.args];
  return { file: process.execPath, args: [walls.runnerScript, '--confine', request, '--', ...argv], reach: drawn, confined: { confine: request, argv } };
}

/**
 * What a command's walls (`walledCommand`) say of its run, or '': a verification step's result and
 * a failed set-up hook's message alike. "; its walls refused a connection to … (… --allow-host)"
 * for what they wrote to `wallsLog`; nothing refused and a failure whose `output` reads like a
 * missing network, walls that let it reach no host: that they let it reach none. A failure's
 * output read for the rest (`wallsOutputAdvice`): the read-only files it met, a connection made
 * past their proxy.
 */
export function refusedIn(wallsLog: string, run: WalledCommand, ok: boolean, output: string): string {
  const refused = wallsLogIn(wallsLog, 'network');
  const named = refused.length ? refusedNote(refused, run.reach().registries) : '';
  if (ok) return named;
  const noHost = run.reach().noHost;
  const offline = !named && noHost && looksOffline(output) ? `; ${NO_NETWORK_TEXT}` : '';
  return `${named}${offline}${wallsOutputAdvice(output, os.homedir(), { proxy: named !== '' || noHost })}`;
}

/** "its walls refused …" for a step's result, or ''. */
function refusedNote(refused: readonly { target: string }[], registries: readonly string[]): string {
  const targets = [...new Set(refused.map((r) => r.target))];
  return targets.length === 0 ? '' : `; ${wallsRefusedText(targets)}${registriesRefusedNote(targets, registries)}`;
}

/**
 * Runs the steps in order, every one (a failure does not hide the others' results), after
 * checking the approval of the plan's list — throws `VerificationNotApprovedError` (listing
 * the commands) when it is missing, having run nothing.
 */
export async function runVerification(options: RunVerificationOptions): Promise<StepResult[]> {
  requireApproved(options);
  return runApprovedSteps(options);
}

/**
 * The steps run as `runVerification` runs them, their approval vouched for by the caller: a pull
 * worker (ADR 0037), whose machine has no approvals, runs only commands the driver's person
 * approved that the plan at its checked base gives the package.
 */
export async function runApprovedSteps(options: Omit<RunVerificationOptions, 'approvals' | 'approvedList'>): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (let i = 0; i < options.steps.length; i++) {
    if (options.signal?.aborted) break;
    const step = options.steps[i]!;
    options.onCommand?.(step, i + 1);
    results.push(await runStep(step, i + 1, options));
  }
  return results;
}

async function runStep(step: CommandStep, n: number, options: RunVerificationOptions): Promise<StepResult> {
  const log = verifyLogFile(options.attemptDir, n);
  fs.mkdirSync(path.dirname(log), { recursive: true });
  fs.writeFileSync(log, `$ ${step.command}\n`);
  const sh = shellFor(step.command, options.env ?? process.env);
  const env = { ...(options.env ?? process.env) };
  const run = walledCommand(sh, options.cwd, options.attemptDir, verifyWallsLog(options.attemptDir, n), options.walls, env);
  const finish = (ok: boolean, why: string): StepResult => {
    const output = fs.readFileSync(log, 'utf8');
    const lastLine = output.split('\n').slice(1).filter((l) => l.trim() !== '').pop();
    const refused = options.walls ? refusedIn(verifyWallsLog(options.attemptDir, n), run, ok, output) : '';
    return { step: step.step, ok, detail: ok ? `${step.command}: passed${refused}` : `${step.command}: ${why}${lastLine ? ` — ${lastLine.trim().slice(0, 200)}` : ''}${refused} (log: ${log})` };
  };
  const pooled = run.confined && options.pool && !options.env ? await options.pool.command({ ...run.confined, output: log }) : null;
  const ended = pooled ? await waitPooled(pooled, options.timeoutMs, options.signal) : await spawned(run, env, sh.verbatim, log, options);
  if (ended.error) return finish(false, ended.error);
  if (ended.timedOut) return finish(false, `timed out after ${Math.round(options.timeoutMs! / 1000)} s`);
  if (ended.code === 0) return finish(true, '');
  return finish(false, ended.signal ? `killed by ${ended.signal}` : ended.code === null ? 'killed' : `exit ${ended.code}`);
}

/** How a step's process ended. */
interface StepEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** It could not start. */
  error?: string;
}

/**
 * A step's process group past its time, or no longer wanted (`signal`): SIGTERM, then SIGKILL 5 s
 * later. Returns the stop of the timers and the listener.
 */
function timeLimit(pid: number | undefined, timeoutMs: number | undefined, onTimeout: () => void, signal?: AbortSignal): () => void {
  let killTimer: NodeJS.Timeout | null = null;
  const stopIt = () => {
    if (killTimer) return;
    signalGroup({ pid }, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup({ pid }, 'SIGKILL'), 5000);
  };
  const timer = timeoutMs
    ? setTimeout(() => {
        onTimeout();
        stopIt();
      }, timeoutMs)
    : null;
  if (signal?.aborted) stopIt();
  else signal?.addEventListener('abort', stopIt, { once: true });
  return () => {
    if (timer) clearTimeout(timer);
    if (killTimer) clearTimeout(killTimer);
    signal?.removeEventListener('abort', stopIt);
  };
}

/** A step handed to a pooled runner (its own process group): its exit code, within the time limit. */
async function waitPooled(pooled: LaunchResult, timeoutMs: number | undefined, signal?: AbortSignal): Promise<StepEnd> {
  let timedOut = false;
  const stop = timeLimit(pooled.pid ?? undefined, timeoutMs, () => (timedOut = true), signal);
  // A pooled runner never holds this process (runnerPool.ts): the step does, until it ends.
  const held = setInterval(() => undefined, 60_000);
  try {
    return { code: (await pooled.exited) ?? null, signal: null, timedOut };
  } finally {
    clearInterval(held);
    stop();
  }
}

/** A step started here: the shell, or `runner.js --confine` in front of it (`env`: as `walledCommand` left it); its output to `log` (appended after its header). */
function spawned(run: WalledCommand, env: NodeJS.ProcessEnv, verbatim: boolean, log: string, options: RunVerificationOptions): Promise<StepEnd> {
  const fd = fs.openSync(log, 'a');
  return new Promise((resolve) => {
    let timedOut = false;
    const child = spawn(run.file, run.args, {
      cwd: options.cwd,
      env,
      stdio: ['ignore', fd, fd],
      detached: process.platform !== 'win32',
      windowsVerbatimArguments: verbatim,
      windowsHide: true,
    });
    const stop = timeLimit(child.pid, options.timeoutMs, () => (timedOut = true), options.signal);
    child.once('error', (err) => {
      stop();
      fs.closeSync(fd);
      resolve({ code: null, signal: null, timedOut: false, error: `${options.walls ? 'the runner' : `the shell ${run.file}`} could not start: ${err.message}` });
    });
    child.once('exit', (code, signal) => {
      stop();
      fs.closeSync(fd);
      resolve({ code, signal, timedOut });
    });
  });
}

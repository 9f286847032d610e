/**
 * Verification `command` steps (docs/run-engine.md, "Verification"). They are shell command
 * lines written by the plan's author — the one place the engine uses a shell: the user's
 * (`$SHELL -c`, else /bin/sh; `cmd /d /s /c` on Windows), in the package's tree, and only after
 * the user approved that plan's exact ordered list of commands once. Approvals are the
 * person's, on this machine: `~/.config/wave-orchestrator/approvals/` (`personalApprovals`), one
 * file per plan (bound to its real path) holding the SHA-256 of each approved list — never in
 * the repository, which could ship them. Any edit of any command asks again. Each command is announced (a callback) before it runs;
 * its output goes to the attempt's `verify-<n>.log`.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeAtomic } from '../../store/atomicWrite.js';
import { visibleText } from '../../core/present/visibleText.js';
import { approvalsFolder, userConfigFolder, verifyLogFile } from '../../core/run/runPaths.js';

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

export interface Approval {
  hash: string;
  commands: string[];
  approvedAt: string;
}

/** The person's approvals of one plan: `<approvals folder>/<sha-256 of the plan's real path>.json`. */
export interface PlanApprovals {
  version: 2;
  /** The plan file, absolute and real: what the approvals are bound to. */
  planFile: string;
  /** Its approved command lists, oldest first (at most `MAX_LISTS`). */
  lists: Approval[];
}

/** Approved lists kept per plan: the newest ones. */
const MAX_LISTS = 20;

/** The plan's command list is not approved: `commands` is what the user must approve. */
export class VerificationNotApprovedError extends Error {
  constructor(
    readonly planFile: string,
    readonly commands: string[],
  ) {
    super(`The verification commands of ${planFile} are not approved yet (they run in your shell):\n${commands.map((c) => `  ${visibleText(c)}`).join('\n')}`);
    this.name = 'VerificationNotApprovedError';
  }
}

/** SHA-256 (hex) of the exact ordered list of commands. */
export function commandsHash(commands: readonly string[]): string {
  return crypto.createHash('sha256').update(JSON.stringify(commands)).digest('hex');
}

/**
 * The person's approvals folder on this machine (`userConfigFolder`: `WAVES_CONFIG_DIR`, else
 * `~/.config/wave-orchestrator`…, then `approvals/`). Never inside a repository: a repository
 * cannot ship approvals, and no run writes there but the person's own approval.
 */
export function personalApprovals(env: NodeJS.ProcessEnv = process.env): string {
  return approvalsFolder(userConfigFolder(env, process.platform, os.homedir()), process.platform);
}

/** The file of a plan's approvals: one per plan, named by the SHA-256 of its real path. */
export function approvalsFileOf(planFile: string, folder: string = personalApprovals()): string {
  return path.join(folder, `${crypto.createHash('sha256').update(realPlanPath(planFile)).digest('hex')}.json`);
}

function realPlanPath(planFile: string): string {
  const abs = path.resolve(planFile);
  try {
    return fs.realpathSync(abs);
  } catch {
    return abs;
  }
}

/** Reads a plan's approvals; a missing, unreadable or foreign file (another plan's) approves nothing. */
export function readApprovals(planFile: string, folder: string = personalApprovals()): PlanApprovals {
  const real = realPlanPath(planFile);
  try {
    const value = JSON.parse(fs.readFileSync(approvalsFileOf(real, folder), 'utf8')) as Partial<PlanApprovals>;
    if (value && value.version === 2 && value.planFile === real && Array.isArray(value.lists)) {
      return { version: 2, planFile: real, lists: value.lists.filter((a) => a && typeof a.hash === 'string' && Array.isArray(a.commands)) };
    }
  } catch {
    // missing or not JSON: nothing is approved
  }
  return { version: 2, planFile: real, lists: [] };
}

/** Whether the person approved this exact ordered list for the plan file (an empty list needs none). */
export function isApproved(planFile: string, commands: readonly string[], folder: string = personalApprovals()): boolean {
  if (commands.length === 0) return true;
  const hash = commandsHash(commands);
  return readApprovals(planFile, folder).lists.some((a) => a.hash === hash);
}

/** Records the person's approval of this exact list for the plan (kept beside earlier approvals of it). */
export async function approve(planFile: string, commands: readonly string[], now: Date = new Date(), folder: string = personalApprovals()): Promise<void> {
  const data = readApprovals(planFile, folder);
  const hash = commandsHash(commands);
  const lists = data.lists.filter((a) => a.hash !== hash);
  lists.push({ hash, commands: [...commands], approvedAt: now.toISOString() });
  data.lists = lists.slice(-MAX_LISTS);
  fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  await writeAtomic(approvalsFileOf(data.planFile, folder), JSON.stringify(data, null, 2) + '\n');
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
}

/**
 * Runs the steps in order, every one (a failure does not hide the others' results), after
 * checking the approval of the plan's list — throws `VerificationNotApprovedError` (listing
 * the commands) when it is missing, having run nothing.
 */
export async function runVerification(options: RunVerificationOptions): Promise<StepResult[]> {
  const commands = options.steps.map((s) => s.command);
  const list = options.approvedList ?? commands;
  if (!commands.every((c) => list.includes(c)) || !isApproved(options.planFile, list, options.approvals)) {
    throw new VerificationNotApprovedError(options.planFile, commands);
  }
  const results: StepResult[] = [];
  for (let i = 0; i < options.steps.length; i++) {
    const step = options.steps[i]!;
    options.onCommand?.(step, i + 1);
    results.push(await runStep(step, i + 1, options));
  }
  return results;
}

function runStep(step: CommandStep, n: number, options: RunVerificationOptions): Promise<StepResult> {
  const log = verifyLogFile(options.attemptDir, n);
  fs.mkdirSync(path.dirname(log), { recursive: true });
  const fd = fs.openSync(log, 'w');
  fs.writeSync(fd, `$ ${step.command}\n`);
  const sh = shellFor(step.command, options.env ?? process.env);
  return new Promise((resolve) => {
    let timedOut = false;
    const finish = (ok: boolean, why: string) => {
      fs.closeSync(fd);
      const lastLine = fs.readFileSync(log, 'utf8').split('\n').slice(1).filter((l) => l.trim() !== '').pop();
      resolve({ step: step.step, ok, detail: ok ? `${step.command}: passed` : `${step.command}: ${why}${lastLine ? ` — ${lastLine.trim().slice(0, 200)}` : ''} (log: ${log})` });
    };
    const child = spawn(sh.file, sh.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', fd, fd],
      detached: process.platform !== 'win32',
      windowsVerbatimArguments: sh.verbatim,
      windowsHide: true,
    });
    const kill = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(process.platform === 'win32' ? child.pid : -child.pid, sig);
      } catch {
        // gone
      }
    };
    let timer: NodeJS.Timeout | null = null;
    let killTimer: NodeJS.Timeout | null = null;
    if (options.timeoutMs) {
      timer = setTimeout(() => {
        timedOut = true;
        kill('SIGTERM');
        killTimer = setTimeout(() => kill('SIGKILL'), 5000);
      }, options.timeoutMs);
    }
    child.once('error', (err) => {
      if (timer) clearTimeout(timer);
      finish(false, `the shell ${sh.file} could not start: ${err.message}`);
    });
    child.once('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      if (timedOut) finish(false, `timed out after ${Math.round(options.timeoutMs! / 1000)} s`);
      else if (code === 0) finish(true, '');
      else finish(false, signal ? `killed by ${signal}` : `exit ${code}`);
    });
  });
}

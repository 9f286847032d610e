/**
 * Adoption: is the runner of an attempt still running? A pid alone cannot say (pids are
 * reused), so the runner carries its random start token in its argv
 * (`runner.js <attemptDir> <startToken>`) and a live pid counts only when its command line
 * holds that token. Linux reads `/proc/<pid>/cmdline`; other systems ask `ps -o args= -p <pid>`
 * (argv, no shell). Windows has neither: a live pid is taken at its word there. Also how
 * an attempt's `exit.json` and `meta.json` are read, by `LocalExecutor` and the editor's reconciler.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { AgentVerdict } from '../../core/agents/agentLogs.js';
import type { ExitFacts } from '../../core/agents/exitJudgement.js';
import { readRegularFileSync } from '../../util/regularFile';

/** Whether a process with this pid exists (EPERM: it exists, owned by someone else). */
export function pidExists(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The command line of a live process: its argv elements where the system gives them
 * (Linux), else one string holding them space-separated (ps). null when it is gone, a
 * zombie, or cannot be read.
 */
export async function commandLineOf(pid: number): Promise<string[] | null> {
  if (!pidExists(pid)) return null;
  if (process.platform === 'linux') {
    try {
      const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (raw === '') return null; // a zombie or a kernel thread
      const parts = raw.split('\0');
      if (parts[parts.length - 1] === '') parts.pop();
      return parts;
    } catch {
      // gone between the check and the read: no command line
      return null;
    }
  }
  if (process.platform === 'win32') return null;
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8', timeout: 5000 }, (err, stdout) => {
      const line = err ? '' : stdout.trim();
      resolve(line === '' ? null : [line]);
    });
  });
}

/** Whether `pid` is alive AND is the runner started with `startToken`. */
export async function isRunnerAlive(pid: number, startToken: string): Promise<boolean> {
  if (!startToken) return false;
  if (process.platform === 'win32') return pidExists(pid);
  const argv = await commandLineOf(pid);
  if (!argv) return false;
  // /proc gives the exact elements; ps one string: the token must stand as a word there.
  if (argv.length > 1 || process.platform === 'linux') return argv.includes(startToken);
  return argv[0]!.split(/\s+/).includes(startToken);
}

// ---------------------------------------------------------------------------------------
// An attempt's files as LocalExecutor and the editor's reconciler read them

/**
 * A JSON file's value; undefined when it is missing, not JSON, or not a regular file — an
 * agent knows its attempt's folder, and a FIFO at `exit.json` would hold the engine's read for good.
 */
export function readJson(file: string): unknown {
  try {
    return JSON.parse(readRegularFileSync(file).toString('utf8'));
  } catch {
    // missing, not JSON, or not a regular file: read as no value
    return undefined;
  }
}

/** exit.json as the engine reads it (the runner's `RunnerExit`): what the exit is judged on (`ExitFacts`), and more. */
export interface ExitRecord extends ExitFacts {
  startToken: string;
  /** The network targets the agent's walls refused it: `host:port` each. */
  refusedTargets: string[];
  /** Those of them that are package registries the person's configuration names (ADR 0026). */
  refusedRegistries: string[];
  /** Why the agent's model could not be reached, as its runner saw it, when the agent ended by itself failing; else null. */
  unreached: string | null;
}

/** An attempt's exit.json; null when it is missing or not one. */
export function readExit(file: string): ExitRecord | null {
  return toExit(readJson(file));
}

/** exit.json's text (read on another machine) → the record; null when it is not one. */
export function parseExit(text: string | null): ExitRecord | null {
  if (text === null) return null;
  try {
    return toExit(JSON.parse(text));
  } catch {
    // not JSON: not an exit record
    return null;
  }
}

/** The targets of an exit record's `walls.refused`, each once, in order. */
function refusedOf(walls: unknown): string[] {
  const refused = (walls as { refused?: unknown } | null)?.refused;
  if (!Array.isArray(refused)) return [];
  return [...new Set(refused.flatMap((r) => (r && typeof (r as { target?: unknown }).target === 'string' ? [(r as { target: string }).target] : [])))];
}

/** An exit record's `walls.registries`: the refused targets that are package registries. */
function registriesOf(walls: unknown): string[] {
  const registries = (walls as { registries?: unknown } | null)?.registries;
  return Array.isArray(registries) ? registries.filter((r): r is string => typeof r === 'string') : [];
}

function toExit(value: unknown): ExitRecord | null {
  const raw = value as Partial<ExitRecord> | undefined;
  if (!raw || typeof raw !== 'object' || typeof raw.startToken !== 'string') return null;
  return {
    startToken: raw.startToken,
    code: typeof raw.code === 'number' ? raw.code : null,
    signal: typeof raw.signal === 'string' ? raw.signal : null,
    reason: typeof raw.reason === 'string' ? raw.reason : '',
    timedOut: raw.timedOut === true,
    cancelled: raw.cancelled === true,
    verdict: raw.verdict && typeof raw.verdict === 'object' ? (raw.verdict as AgentVerdict) : null,
    refusedTargets: refusedOf((raw as { walls?: unknown }).walls),
    refusedRegistries: registriesOf((raw as { walls?: unknown }).walls),
    overLimit: raw.overLimit === true,
    unreached: typeof (raw as { walls?: { unreached?: unknown } }).walls?.unreached === 'string' ? (raw as { walls: { unreached: string } }).walls.unreached : null,
  };
}

/** The runner's pid of an attempt: its meta.json's `runnerPid`, else `fallback` (the run state's). */
export function attemptRunnerPid(metaFile: string, fallback: number | null): number | null {
  const meta = readJson(metaFile) as { runnerPid?: unknown } | undefined;
  return typeof meta?.runnerPid === 'number' ? meta.runnerPid : fallback;
}

/**
 * The attempt folder's files as the runner reads and writes them (core/run/runPaths.ts
 * `attemptFiles` names them): spec.json read and checked (`specProblem`), the formats of
 * meta.json, exit.json and needs-input.json, and the runner's exit codes. Bundled in
 * dist/runner.js (Node built-ins, src/core and src/store only); the engine imports the types.
 */
import fs from 'node:fs';
import type { AgentVerdict } from '../../core/agents/agentLogs.js';
import { VERDICT_PARSERS, type VerdictParserId } from '../../core/agents/agentProfiles.js';
import { attemptFiles } from '../../core/run/runPaths.js';
import { writeAtomicSync } from '../../store/atomicWrite.js';
import type { WallRefusal, WallUnreached } from './wallsNet.js';
import type { ConfinementOptions } from './wallsDraw.js';

/** How long a stopped agent has between SIGTERM and SIGKILL when its spec says nothing else (`graceMs`). */
export const DEFAULT_GRACE_MS = 10_000;

/** spec.json: what the runner must do (written by the engine before the runner starts). */
export interface RunnerSpec {
  version: 1;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  interactive: boolean;
  stdinFile: string | null;
  timeoutMs: number | null;
  graceMs: number;
  startToken: string;
  verdict: VerdictParserId;
  /** Source of a case-insensitive RegExp (the profile's `needsInputPattern`); absent = no detection. */
  needsInputPattern?: string | null;
  /** The agent's profile id (its preset's walls: state folders, model API). */
  agentId?: string;
  /** The walls the agent runs inside (ADR 0019); absent: the person chose to run it unconfined. */
  walls?: RunnerWalls;
}

/** The walls asked for: the runner draws them from the disk as the agent starts (wallsDraw.ts). */
export interface RunnerWalls {
  /** The bubblewrap program. */
  bwrap: string;
  /** What the person added: folders to write, paths to hide, targets to reach. */
  options?: ConfinementOptions;
}

/** meta.json: written by the runner at start (exclusive create). */
export interface RunnerMeta {
  version: 1;
  runnerPid: number;
  agentPid: number | null;
  startToken: string;
  argv: string[];
  cwd: string;
  startedAt: string;
  interactive: boolean;
  /** A runner started ahead (runnerPool.ts): when its process started, before it had this attempt. */
  startedAhead?: string;
  /** The agent's walls stood in a network its runner made ahead (ADR 0019). */
  netAhead?: boolean;
}

/** exit.json: written atomically by the runner at the end. */
export interface RunnerExit {
  version: 1;
  startToken: string;
  code: number | null;
  signal: string | null;
  reason: string;
  endedAt: string;
  durationMs: number;
  timedOut: boolean;
  cancelled: boolean;
  verdict: AgentVerdict;
  /**
   * What the agent's walls refused it, as the proxy logged it in `walls.jsonl`, and the
   * allowed targets it could not reach; absent without walls.
   */
  walls?: {
    refused: WallRefusal[];
    /** Those refused targets that are package registries the person's configuration names (ADR 0026). */
    registries?: string[];
    unreachable?: WallUnreached[];
    /** The agent ended by itself, failing, while its model could not be reached: why, in a person's words (the engine adds it to the attempt's error). */
    unreached?: string;
  };
  /** The runner stopped the agent at a limit of its walls (its memory, or its model not reached for too long): `reason` names it. */
  overLimit?: boolean;
}

/** needs-input.json. `source`: who said so — the agent's output or a hook. */
export interface NeedsInput {
  since: string;
  reason: string;
  source: 'output' | 'hook';
}

/** The runner's exit codes of its own (else the agent's): bad arguments, spec or token (nothing was touched); this attempt already ran. */
export const EXIT_BAD_ARGS = 2;
export const EXIT_ALREADY_RAN = 3;

// ---------------------------------------------------------------------------------------
// spec.json

/** Validates spec.json's parsed value; returns a problem or null. */
export function specProblem(x: unknown): string | null {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return 'spec.json is not a JSON object';
  const s = x as Record<string, unknown>;
  if (s.version !== 1) return `spec.json has version ${JSON.stringify(s.version)}; this runner reads version 1`;
  if (!Array.isArray(s.argv) || s.argv.length === 0 || !s.argv.every((a) => typeof a === 'string') || s.argv[0] === '') {
    return 'spec.json: argv must be a non-empty list of strings';
  }
  if (typeof s.cwd !== 'string' || s.cwd === '') return 'spec.json: cwd must be a path';
  if (!s.env || typeof s.env !== 'object' || Array.isArray(s.env) || !Object.values(s.env).every((v) => typeof v === 'string')) {
    return 'spec.json: env must map names to strings';
  }
  if (typeof s.interactive !== 'boolean') return 'spec.json: interactive must be true or false';
  if (s.stdinFile !== null && typeof s.stdinFile !== 'string') return 'spec.json: stdinFile must be a path or null';
  if (s.timeoutMs !== null && !(typeof s.timeoutMs === 'number' && s.timeoutMs > 0)) return 'spec.json: timeoutMs must be a positive number or null';
  if (s.graceMs !== undefined && !(typeof s.graceMs === 'number' && s.graceMs >= 0)) return 'spec.json: graceMs must be a number ≥ 0';
  if (typeof s.startToken !== 'string' || s.startToken === '') return 'spec.json: startToken must be a string';
  if (!VERDICT_PARSERS.includes(s.verdict as VerdictParserId)) return `spec.json: verdict must be one of ${VERDICT_PARSERS.join(', ')}`;
  if (s.needsInputPattern !== undefined && s.needsInputPattern !== null) {
    if (typeof s.needsInputPattern !== 'string') return 'spec.json: needsInputPattern must be a string or null';
    try {
      new RegExp(s.needsInputPattern, 'i');
    } catch (err) {
      return `spec.json: needsInputPattern is not a valid regular expression: ${(err as Error).message}`;
    }
  }
  if (s.walls !== undefined) {
    const w = s.walls as Record<string, unknown> | null;
    const str = (v: unknown) => typeof v === 'string' && v !== '';
    if (!w || typeof w !== 'object' || !str(w.bwrap)) return 'spec.json: walls needs bwrap';
    const o = (w.options ?? {}) as Record<string, unknown>;
    if (o.memoryMB !== undefined && !(typeof o.memoryMB === 'number' && Number.isInteger(o.memoryMB) && o.memoryMB >= 0)) return 'spec.json: walls.options.memoryMB must be a whole number of MiB ≥ 0';
    if (typeof o !== 'object' || !['write', 'hidden', 'allowHosts', 'read'].every((k) => o[k] === undefined || (Array.isArray(o[k]) && (o[k] as unknown[]).every((x) => typeof x === 'string'))))
      return 'spec.json: walls.options holds lists of strings (write, hidden, allowHosts, read)';
  }
  return null;
}

/** Says why the runner stops on stderr; returns its exit code. */
export function fail(message: string, code: number): number {
  process.stderr.write(`waves runner: ${message}\n`);
  return code;
}

// ---------------------------------------------------------------------------------------
// needs-input.json

export function markNeedsInput(dir: string, reason: string, source: NeedsInput['source']): void {
  const record: NeedsInput = { since: new Date().toISOString(), reason, source };
  writeAtomicSync(attemptFiles(dir).needsInput, JSON.stringify(record, null, 2) + '\n');
}

export function clearNeedsInput(dir: string): void {
  fs.rmSync(attemptFiles(dir).needsInput, { force: true });
}

/**
 * Every file, folder and branch name the run engine uses, in one place (see
 * `docs/run-engine.md`, "Files on disk"). Pure: string work with `path` (and a hash for
 * unsafe feature ids), no file system.
 *
 * Every function takes the feature's id as written in the plan and names it by
 * `featureSlug(featureId)`; the slug of a slug is the slug itself, so passing a slug works
 * too. Run ids, package ids and attempt numbers become single path segments and branch
 * name components: a value that cannot be one (empty, `.`/`..`, a separator, characters git
 * refuses in a ref) throws a `RangeError` — a valid plan's ids never do (the plan schema
 * allows `^[a-z][a-z0-9_-]{0,63}$`).
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { isSafeName } from './safeName';

export { isSafeName };

/** The engine's folder, relative to the repository root. */
export const WAVES_FOLDER = '.waves';
/** Where run states live, relative to the repository root. */
export const RUNS_FOLDER = '.waves/runs';
/** Where the sub-plans planners wrote in runs are kept (ADR 0035), relative to the repository root. */
export const PLANNED_FOLDER = '.waves/planned';
/** Where earlier runs' final states live, relative to the repository root. */
export const HISTORY_FOLDER = '.waves/history';
/**
 * The name of the integration branch's worktree and the last component of its branch.
 * It starts with `_`, which no package id can (ids start with a letter), so a package
 * called `integration` never shares its branch or worktree.
 */
export const INTEGRATION_NAME = '_integration';
/** The worktree the `worktree: {mode: shared}` packages of a feature share (one at a time). */
export const SHARED_NAME = '_shared';

// ---------------------------------------------------------------------------------------
// Feature names

/** Ids used as file names unchanged: lower-case, digits, `-`, `_`; at most 100 characters. */
const SAFE_NAME = /^[a-z0-9][a-z0-9_-]{0,99}$/;
/** Device names Windows refuses as file names, with any extension. */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/;

/**
 * The file name of a feature's run state. Ids that are already safe on every OS
 * (`SAFE_NAME`, not a Windows device name) map to `<id>.json`; any other id maps to
 * `<slug>-<hash>.json`, where the slug keeps the id's letters and digits (lower-cased,
 * other runs turned into `-`, at most 48 characters, `feature` when nothing is left)
 * and the hash is the first 8 hex digits of the SHA-256 of the exact id. So the
 * mapping is deterministic, case-insensitive file systems cannot merge two ids, and
 * `My.Feature` → `my-feature-<hash>.json`.
 */
export function runStateFileName(featureId: string): string {
  return `${featureSlug(featureId)}.json`;
}

/**
 * The feature's name in paths and branch names: `runStateFileName(featureId)` without
 * `.json`. Safe as a file name on every OS and as a git ref component; idempotent.
 */
export function featureSlug(featureId: string): string {
  if (SAFE_NAME.test(featureId) && !WINDOWS_RESERVED.test(featureId)) return featureId;
  const slug =
    featureId
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48)
      .replace(/-+$/, '') || 'feature';
  const hash = createHash('sha256').update(featureId, 'utf8').digest('hex').slice(0, 8);
  return `${slug}-${hash}`;
}

function safe(kind: string, value: string): string {
  if (!isSafeName(value)) throw new RangeError(`Not a usable ${kind} for a file or branch name: ${JSON.stringify(value)}`);
  return value;
}

function packageName(packageId: string): string {
  safe('package id', packageId);
  if (packageId === INTEGRATION_NAME) throw new RangeError(`"${INTEGRATION_NAME}" is reserved for the integration branch`);
  return packageId;
}

// ---------------------------------------------------------------------------------------
// Files under <repo>/.waves

export function wavesDir(repo: string): string {
  return path.join(repo, WAVES_FOLDER);
}

/** The lock table's file name in `.waves/`. */
export const LOCK_TABLE_NAME = 'locks.json';

/** The repository's lock table (every feature's locks). */
export function lockTableFile(repo: string): string {
  return path.join(repo, WAVES_FOLDER, LOCK_TABLE_NAME);
}

/** Held (created with O_EXCL) while one writer updates `locks.json`. */
export function lockTableMutexFile(repo: string): string {
  return `${lockTableFile(repo)}.lock`;
}

/**
 * Whether a change to the entry `name` of `.waves/` (`inRuns` false) or of `.waves/runs/`
 * (`inRuns` true) can change what a follower of runs reads: a run state (`*.json` in `runs/`),
 * the lock table, the `runs/` folder itself. Temp files of atomic writes (`x.json.tmp-…`),
 * logs, history and the rest cannot; their events need no read. An event without a name
 * (some platforms) always can.
 */
export function affectsRunFollowers(inRuns: boolean, name: string | null): boolean {
  if (name === null) return true;
  return inRuns ? name.endsWith('.json') : name === LOCK_TABLE_NAME || name === 'runs' || name === WAVES_FOLDER;
}

/**
 * The person's own Wave Orchestrator folder on this machine — never in a repository, so a
 * repository cannot ship what is kept there nor an agent's worktree write it: `WAVES_CONFIG_DIR`
 * when set (tests), else `%APPDATA%\\wave-orchestrator` on Windows, else
 * `$XDG_CONFIG_HOME/wave-orchestrator`, else `~/.config/wave-orchestrator`.
 */
export function userConfigFolder(env: Readonly<Record<string, string | undefined>>, platform: string, home: string): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  if (env.WAVES_CONFIG_DIR && p.isAbsolute(env.WAVES_CONFIG_DIR)) return env.WAVES_CONFIG_DIR;
  if (platform === 'win32' && env.APPDATA && p.isAbsolute(env.APPDATA)) return p.join(env.APPDATA, 'wave-orchestrator');
  if (env.XDG_CONFIG_HOME && p.isAbsolute(env.XDG_CONFIG_HOME)) return p.join(env.XDG_CONFIG_HOME, 'wave-orchestrator');
  return p.join(home, '.config', 'wave-orchestrator');
}

/** The folder of the person's approvals of verification command lists: one file per plan (docs/security.md). */
export function approvalsFolder(configFolder: string, platform: string): string {
  return (platform === 'win32' ? path.win32 : path.posix).join(configFolder, 'approvals');
}

/** The run state of a feature. */
export function runStateFile(repo: string, featureId: string): string {
  return path.join(repo, RUNS_FOLDER, runStateFileName(featureId));
}

/** The owner lease of a feature's run. */
export function leaseFile(repo: string, featureId: string): string {
  return path.join(repo, RUNS_FOLDER, `${featureSlug(featureId)}.lease`);
}

/** One run's folder: its report and its attempts. */
export function runDir(repo: string, featureId: string, runId: string): string {
  return path.join(repo, RUNS_FOLDER, featureSlug(featureId), safe('run id', runId));
}

/** `runs/<name>/` — the folder of a feature's runs, where requests from other processes wait for its driver (cancel, review). */
export function featureRunsFolder(repo: string, featureId: string): string {
  return path.join(repo, RUNS_FOLDER, featureSlug(featureId));
}

/** One attempt (1, 2, …) of one package. */
export function attemptDir(repo: string, featureId: string, runId: string, packageId: string, attempt: number): string {
  if (!Number.isSafeInteger(attempt) || attempt < 1) throw new RangeError(`Not an attempt number: ${String(attempt)}`);
  return path.join(runDir(repo, featureId, runId), packageName(packageId), String(attempt));
}

export interface AttemptFiles {
  /** The package's prompt. */
  prompt: string;
  /** What the runner must do; written by the engine before the runner starts. */
  spec: string;
  /** Written by the runner at start, exclusive create. */
  meta: string;
  /** Headless agents' output (stdout and stderr). */
  log: string;
  /** The agent's result record. */
  result: string;
  /** Present while the agent waits for a person. */
  needsInput: string;
  /** Created to ask the runner to stop the agent. */
  cancel: string;
  /** Written atomically by the runner at the end. */
  exit: string;
}

export function attemptFiles(dir: string): AttemptFiles {
  return {
    prompt: path.join(dir, 'prompt.md'),
    spec: path.join(dir, 'spec.json'),
    meta: path.join(dir, 'meta.json'),
    log: path.join(dir, 'agent.log'),
    result: path.join(dir, 'result.json'),
    needsInput: path.join(dir, 'needs-input.json'),
    cancel: path.join(dir, 'cancel'),
    exit: path.join(dir, 'exit.json'),
  };
}

/** The log of verification step `n` (1, 2, …) of an attempt. */
export function verifyLogFile(dir: string, n: number): string {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`Not a step number: ${String(n)}`);
  return path.join(dir, `verify-${n}.log`);
}

/** The run report's two files. */
export function reportFiles(repo: string, featureId: string, runId: string): { markdown: string; json: string } {
  const dir = runDir(repo, featureId, runId);
  return { markdown: path.join(dir, 'report.md'), json: path.join(dir, 'report.json') };
}

/** The person's review threads of a feature's run: `.waves/runs/<feature>/review.json`. */
export function reviewFile(repo: string, featureId: string): string {
  return path.join(repo, RUNS_FOLDER, featureSlug(featureId), 'review.json');
}

/** Where the final state of an earlier run of a feature is kept. */
export function historyFile(repo: string, featureId: string, runId: string): string {
  return path.join(repo, HISTORY_FOLDER, featureSlug(featureId), `${safe('run id', runId)}.json`);
}

/**
 * The sub-plan a `{by: agent}` parent's planner wrote, checked and kept by the engine:
 * `.waves/planned/<feature>/<the parent's id in the run>.yaml`. Read as that parent's sub-plan
 * by every run and view of the plan until the person removes it (then its planner plans again).
 */
export function plannedSubPlanFile(repo: string, featureId: string, parentRunId: string): string {
  return path.join(repo, PLANNED_FOLDER, featureSlug(featureId), `${safe('package id', parentRunId)}.yaml`);
}

/** Beside it, why its planner's last sub-plan was refused (quoted in the planner's next prompt). */
export function plannedRefusalFile(repo: string, featureId: string, parentRunId: string): string {
  return path.join(repo, PLANNED_FOLDER, featureSlug(featureId), `${safe('package id', parentRunId)}.refused.txt`);
}

/** Where the engine moves what it took out of the repository's git set-up, relative to the repository root. */
export const QUARANTINE_FOLDER = '.waves/quarantine';

/**
 * One finding's folder: `.waves/quarantine/<owner>/<time>-<who>`, where `owner` is a run id or
 * `plan-<planning id>` and `who` a package id or `round-<n>`; the time is UTC, to the
 * millisecond, with `-` for `:` and `.` (a file name on every OS).
 */
export function quarantineDir(repo: string, owner: string, at: Date, who: string): string {
  const stamp = at.toISOString().replace(/[:.]/g, '-');
  return path.join(repo, QUARANTINE_FOLDER, safe('run or planning id', owner), safe('name', `${stamp}-${who}`));
}

// ---------------------------------------------------------------------------------------
// Worktrees (a sibling folder of the repository) and branches

/**
 * `<repo>.worktrees/<feature>`: the folder of a feature's worktrees, beside the repository;
 * `<folder>/<feature>` when a worktree folder is configured (absolute, or relative to the repository).
 */
export function worktreesRoot(repo: string, featureId: string, folder?: string): string {
  if (folder !== undefined && folder.trim() !== '') return path.join(path.resolve(repo, folder.trim()), featureSlug(featureId));
  const normal = path.normalize(repo);
  const root = path.parse(normal).root;
  const trimmed = normal.length > root.length ? normal.replace(/[\\/]+$/, '') : normal;
  return path.join(`${trimmed}.worktrees`, featureSlug(featureId));
}

/** An isolated package's worktree. */
export function worktreePath(repo: string, featureId: string, packageId: string, folder?: string): string {
  return path.join(worktreesRoot(repo, featureId, folder), packageName(packageId));
}

/** The integration branch's worktree. */
export function integrationPath(repo: string, featureId: string, folder?: string): string {
  return path.join(worktreesRoot(repo, featureId, folder), INTEGRATION_NAME);
}

/** The worktree shared by the feature's `mode: shared` packages (each on its own branch, one at a time). */
export function sharedTreePath(repo: string, featureId: string, folder?: string): string {
  return path.join(worktreesRoot(repo, featureId, folder), SHARED_NAME);
}

/** `waves/<feature>/<package>`. */
export function packageBranch(featureId: string, packageId: string): string {
  return `waves/${featureSlug(featureId)}/${packageName(packageId)}`;
}

/** `waves/<feature>/_integration`. */
export function integrationBranch(featureId: string): string {
  return `waves/${featureSlug(featureId)}/${INTEGRATION_NAME}`;
}

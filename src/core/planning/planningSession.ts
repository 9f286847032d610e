/**
 * Planning (ADR 0013): an agent writes the plan, the exact checker repairs it.
 *
 * Everything here is pure and deterministic (same input, same bytes): the planning session's
 * names (its id, folder, branch, worktree, state files), the planning prompt that walks seed
 * 002's steps for one repository, the repair prompt (the exact checker's problems with their
 * positions and witnesses, and what the audit refused), the revision prompt (the person's
 * comments), the audit scope of a planning round, and the session's state file format.
 *
 * The prompts are planningPrompt.ts's. The engine (src/engine/planning/planner.ts) does the I/O: the planning worktree, the runner, the
 * audit of each round's commit, the loop.
 */
import * as path from 'node:path';
import type { PlanAnalysis } from '../plan/analyze';
import { AgentProfileError, customProfile, presetProfile, type AgentProfile } from '../agents/agentProfiles';
import type { AuditScope } from '../run/audit';
import { isSafeName } from '../run/safeName';

/** Where the engine keeps planning sessions (inside `.waves/`, which git never sees). */
export const PLANS_FOLDER = '.waves/plans';
/** The planning folder of a repository that does not use OpenSpec: `plans/<id>/`. */
export const DEFAULT_PLANS_DIR = 'plans';
/** The folder OpenSpec keeps changes in; when it exists, the plan goes to `openspec/changes/<id>/`. */
export const OPENSPEC_CHANGES_DIR = 'openspec/changes';
/** A planning session's branch: `waves-plan/<id>` (never `waves/…`, the run engine's namespace). */
export const PLANNING_BRANCH_PREFIX = 'waves-plan/';
/** The plan's file name in the planning folder. */
export const PLAN_FILE_NAME = 'work-packages.yaml';
/** Default number of repair rounds after the first (setting `waves.planning.repairRounds`, `waves plan --rounds`). */
export const DEFAULT_REPAIR_ROUNDS = 3;
/** Default time one planning round's agent may take, in minutes (setting `waves.planning.roundMinutes`, `waves plan --round-minutes`). */
export const DEFAULT_ROUND_MINUTES = 30;

// ---------------------------------------------------------------------------------------
// Names

/** A planning id from the first words of the description's first line: `Add OAuth2 login!` → `add-oauth2-login`. */
export function planningSlug(description: string): string {
  const first = description.split(/\r?\n/).find((l) => l.trim()) ?? '';
  const words = first
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .slice(0, 6);
  let slug = '';
  for (const w of words) {
    const next = slug ? `${slug}-${w}` : w;
    if (next.length > 48) break;
    slug = next;
  }
  if (!/^[a-z]/.test(slug)) slug = slug ? `plan-${slug}` : 'plan';
  return slug;
}

/** The first id of `slug`, `slug-2`, `slug-3`, … that `taken` says is free. */
export function planningId(description: string, taken: (id: string) => boolean): string {
  const slug = planningSlug(description);
  if (!taken(slug)) return slug;
  for (let n = 2; ; n++) if (!taken(`${slug}-${n}`)) return `${slug}-${n}`;
}

/** Whether `id` can be a planning id (one path segment, one ref component). */
export function isPlanningId(id: string): boolean {
  return isSafeName(id) && /^[a-z][a-z0-9-]*$/.test(id);
}

export interface PlanningPaths {
  /** `<repo>/.waves/plans/<id>`: the session's state and its rounds. */
  dir: string;
  state: string;
  /** The session's worktree: `<repo>.worktrees/_plans/<id>`. */
  worktree: string;
  branch: string;
  /** One round's folder (`<dir>/<n>`: prompt.md, spec.json, agent.log, exit.json, …). */
  round(n: number): string;
}

/** Every path of one planning session. Throws `RangeError` on an id that is not one. */
export function planningPaths(repo: string, id: string, worktreesFolder?: string): PlanningPaths {
  if (!isPlanningId(id)) throw new RangeError(`"${id}" is not a planning id (lowercase letters, digits and -, starting with a letter)`);
  const dir = path.join(repo, PLANS_FOLDER, id);
  const root = worktreesFolder ? path.resolve(repo, worktreesFolder) : `${repo}.worktrees`;
  return {
    dir,
    state: path.join(dir, 'state.json'),
    worktree: path.join(root, '_plans', id),
    branch: `${PLANNING_BRANCH_PREFIX}${id}`,
    round: (n) => path.join(dir, String(n)),
  };
}

/**
 * The planning session a file belongs to by where it is: `<folder>.worktrees/_plans/<id>/…` of one
 * of `folders` (the planning worktrees' place, `planningPaths`), else null. For showing a proposed
 * plan as the feature it is ("proposed: <id>") rather than by its worktree's absolute path.
 */
export function proposedPlanIdOf(file: string, folders: readonly string[]): string | null {
  for (const folder of folders) {
    const root = path.join(`${path.resolve(folder)}.worktrees`, '_plans') + path.sep;
    const resolved = path.resolve(file);
    if (!resolved.startsWith(root)) continue;
    const id = resolved.slice(root.length).split(path.sep)[0] ?? '';
    if (isPlanningId(id) && resolved.length > root.length + id.length) return id;
  }
  return null;
}

/** How a proposed plan is named to a person: `proposed: <id>`. */
export function proposedPlanLabel(id: string): string {
  return `proposed: ${id}`;
}

/**
 * The planning folder, repository-relative with `/`: `out` when given (checked: relative, inside
 * the repository, not in `.waves/` or `.git/`), else `openspec/changes/<id>` when the repository
 * has `openspec/changes/`, else `plans/<id>`. Throws `RangeError` on a bad `out`.
 */
export function planningFolder(options: { id: string; openspec: boolean; out?: string }): string {
  if (options.out !== undefined) {
    const out = options.out.replace(/\\/g, '/').replace(/\/+$/, '');
    const norm = path.posix.normalize(out);
    if (!out || path.posix.isAbsolute(out) || norm === '.' || norm.startsWith('..') || /^(\.waves|\.git)(\/|$)/.test(norm)) {
      throw new RangeError(`the planning folder must be a folder inside the repository, relative to its root, not .waves/ or .git/ (got "${options.out}")`);
    }
    return norm;
  }
  return options.openspec ? `${OPENSPEC_CHANGES_DIR}/${options.id}` : `${DEFAULT_PLANS_DIR}/${options.id}`;
}

/** A planning round may change files in its planning folder and nowhere else. */
export function planningScope(planDir: string): AuditScope {
  return { writeAllow: [`${planDir}/**`], deny: [] };
}

// ---------------------------------------------------------------------------------------
// What the repository holds (gathered by the engine, summarised in the prompt)

export interface RepoContext {
  /** The README's first lines (the engine reads at most a few KiB), or null. */
  readme: string | null;
  /** The top-level entries of the repository (folders end with `/`), sorted. */
  layout: string[];
  /** Markdown files under `docs/` (repository-relative), sorted. */
  docs: string[];
  /** Existing plans (`work-packages.yaml` and `*.work-packages.yaml`), repository-relative, sorted. */
  plans: string[];
  /** The repository uses OpenSpec (`openspec/changes/` exists). */
  openspec: boolean;
}

// ---------------------------------------------------------------------------------------
// Prompts

/** One problem of the proposed plan as the repair prompt gives it: 1-based positions. */
export interface PlanProblem {
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  line: number;
  column: number;
  packageId: string | null;
}

/** A change the audit refused (outside the planning folder, or unsafe inside it). */
export interface RefusedChange {
  path: string;
  message: string;
}

export interface PlanningPromptInput {
  id: string;
  description: string;
  /** Repository-relative planning folder (`planningFolder`). */
  planDir: string;
  /** The planning worktree (the agent's working directory). */
  worktree: string;
  context: RepoContext;
  /** Absent: the first round. */
  repair?: {
    round: number;
    /** Repair rounds allowed in all. */
    of: number;
    /** The plan file was not there, or not readable as text. */
    missing: boolean;
    problems: readonly PlanProblem[];
    refused: readonly RefusedChange[];
  };
  /** The person's comments (Request changes). */
  revision?: { comments: string };
}

/** The problems of an analysis, errors first then by position, with 1-based positions (warnings kept; info dropped). */
export function problemsOf(analysis: Pick<PlanAnalysis, 'diagnostics' | 'lines'>): PlanProblem[] {
  const rank = { error: 0, warning: 1, info: 2 } as const;
  return analysis.diagnostics
    .filter((d) => d.severity !== 'info')
    .map((d) => {
      const p = analysis.lines.position(d.range.start);
      return { severity: d.severity, code: d.code, message: d.message, line: p.line + 1, column: p.column + 1, packageId: d.packageId };
    })
    .sort((a, b) => rank[a.severity] - rank[b.severity] || a.line - b.line || a.column - b.column || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

// ---------------------------------------------------------------------------------------
// The session's state file (`.waves/plans/<id>/state.json`)

/**
 * `interrupted`: the last round was stopped before its agent ended by itself (Ctrl-C, Cancel, its
 * time limit, a runner gone): what it wrote is kept, but it is no complete round, so it cannot be
 * approved whatever the checker says of it — a revision round makes a complete one.
 */
export type PlanningStatus = 'planning' | 'valid' | 'invalid' | 'interrupted' | 'approved' | 'discarded';

/** How a round was stopped before its agent ended by itself. */
export type RoundInterruption = 'cancelled' | 'timed-out' | 'runner-lost';

export interface PlanningRound {
  /** 0: the draft a session started from (no agent: its files committed and audited as a round's). */
  n: number;
  /** `draft`: round 0 of a session started from a draft; `complete`: its agent's first round. */
  purpose: 'write' | 'repair' | 'revise' | 'draft' | 'complete';
  startedAt: string;
  endedAt: string | null;
  /** The agent's exit code (null: a signal, or it could not start). */
  exitCode: number | null;
  /** The commit this round left on the planning branch (its accepted files), or null. */
  commit: string | null;
  errors: number;
  warnings: number;
  /** Paths the audit refused. */
  refused: string[];
  /** Why the round ended badly (the agent failed, could not start, timed out), or null. */
  failure: string | null;
  /** The round was stopped before its agent ended by itself (null: it ran to its end). Absent in older state files. */
  interrupted?: RoundInterruption | null;
}

/** How many rounds a session's agent ran (a draft's round 0 is none of them). */
export function agentRounds(state: Pick<PlanningState, 'rounds'>): number {
  return state.rounds.filter((r) => r.n > 0).length;
}

/** What a round does, in a person's words: the CLI's progress line and the editor's notification. */
export function roundPurposeText(round: { purpose: PlanningRound['purpose']; repair: number; of: number }): string {
  switch (round.purpose) {
    case 'write':
      return 'the agent writes the plan';
    case 'revise':
      return 'the agent revises the plan with your comments';
    case 'draft':
      return 'the draft and its task list into the planning folder';
    case 'complete':
      return 'the agent completes the draft';
    default:
      return `repair ${round.repair} of ${round.of}`;
  }
}

/** Whether a round ran to its end: its agent ended by itself (not stopped), and the round's end was recorded. */
export function roundComplete(round: Pick<PlanningRound, 'endedAt' | 'interrupted'>): boolean {
  return round.endedAt !== null && !round.interrupted;
}

/** Why a session cannot be approved as it stands, in a person's words, or null when it can (status `valid`, its last round complete). */
export function approvalRefusal(state: Pick<PlanningState, 'id' | 'status' | 'rounds'>): string | null {
  const last = state.rounds.at(-1);
  if (state.status === 'interrupted' || (state.status === 'valid' && last && !roundComplete(last))) {
    const why = last?.interrupted === 'timed-out' ? 'reached its time limit' : last?.interrupted === 'runner-lost' ? 'lost its runner' : 'was stopped';
    return `the last round of ${state.id} ${why} before its agent ended: what it wrote is kept, but only a complete round, checked after it ended, can be approved — request changes (waves plan --revise ${state.id} "<comments>", or Request Changes… in the editor) for one`;
  }
  if (state.status !== 'valid') return `the plan ${state.id} is ${state.status}: only a valid plan can be approved`;
  return null;
}

export interface PlanningState {
  version: 1;
  id: string;
  description: string;
  /** Repository-relative planning folder. */
  planDir: string;
  branch: string;
  worktree: string;
  /** The commit the planning branch started from (the person's HEAD). */
  baseSha: string;
  /** The agent preset id, or `custom`. */
  agent: string;
  /** A custom agent's argv template (and its needs-input pattern), so a revision runs the same agent; null for a preset. Absent in older state files. */
  customAgent?: { argv: string[]; needsInputPattern?: string } | null;
  status: PlanningStatus;
  rounds: PlanningRound[];
  createdAt: string;
  /** The commit approved (status `approved`), else null. */
  approvedCommit: string | null;
  /** The branch tip when the session was discarded (the branch is deleted; this restores it). */
  discardedTip: string | null;
  /** The run's branches deleted with the session, each with its last commit (`git branch <name> <commit>` restores one). */
  discardedRunBranches?: Record<string, string>;
  /** The session started from a draft plan (Complete with Agent), not a description; absent or null: from a description. */
  draft?: DraftOrigin | null;
}

/** Where a session started from a draft plan came from (state.json's `draft`). */
export interface DraftOrigin {
  /** The draft plan, repository-relative, as it was when the session started (round 0 holds its text). */
  file: string;
  /** The task lists it was converted from, repository-relative: copied into the planning folder, read-only. */
  sources: string[];
  /** Their copies, relative to the planning folder (where the draft's `converted_from` links point). */
  copies: string[];
  /** The draft's tasks (`draftTaskKey`): every one stays in some package of the plan. */
  tasks: string[];
}

/** Reads a state file's JSON; null when it is not a planning state of this version. */
export function parsePlanningState(value: unknown): PlanningState | null {
  if (!value || typeof value !== 'object') return null;
  const s = value as Partial<PlanningState>;
  const str = (v: unknown) => typeof v === 'string';
  if (s.version !== 1 || !str(s.id) || !isPlanningId(s.id!) || !str(s.description) || !str(s.planDir) || !str(s.branch) || !str(s.worktree) || !str(s.baseSha)) return null;
  if (!['planning', 'valid', 'invalid', 'interrupted', 'approved', 'discarded'].includes(s.status as string) || !Array.isArray(s.rounds)) return null;
  return {
    version: 1,
    id: s.id!,
    description: s.description!,
    planDir: s.planDir!,
    branch: s.branch!,
    worktree: s.worktree!,
    baseSha: s.baseSha!,
    agent: str(s.agent) ? s.agent! : 'custom',
    customAgent: customAgentOf(s.customAgent),
    status: s.status!,
    rounds: s.rounds.filter((r): r is PlanningRound => !!r && typeof r === 'object' && typeof (r as PlanningRound).n === 'number'),
    createdAt: str(s.createdAt) ? s.createdAt! : '',
    approvedCommit: str(s.approvedCommit) ? s.approvedCommit! : null,
    discardedTip: str(s.discardedTip) ? s.discardedTip! : null,
    ...(s.discardedRunBranches && typeof s.discardedRunBranches === 'object'
      ? { discardedRunBranches: Object.fromEntries(Object.entries(s.discardedRunBranches).filter((e): e is [string, string] => typeof e[1] === 'string')) }
      : {}),
    ...(s.draft !== undefined ? { draft: draftOriginOf(s.draft) } : {}),
  };
}

function draftOriginOf(value: unknown): DraftOrigin | null {
  if (!value || typeof value !== 'object') return null;
  const { file, sources, copies, tasks } = value as Partial<Record<keyof DraftOrigin, unknown>>;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (typeof file !== 'string' || !strings(sources) || !strings(copies) || !strings(tasks)) return null;
  return { file, sources: [...sources], copies: [...copies], tasks: [...tasks] };
}

function customAgentOf(value: unknown): PlanningState['customAgent'] {
  if (!value || typeof value !== 'object') return null;
  const { argv, needsInputPattern } = value as { argv?: unknown; needsInputPattern?: unknown };
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string')) return null;
  return { argv: [...(argv as string[])], ...(typeof needsInputPattern === 'string' ? { needsInputPattern } : {}) };
}

/** What a session records of its agent: a preset by its id, a custom agent by its argv template. */
export function sessionAgentRecord(agent: AgentProfile): Pick<PlanningState, 'agent' | 'customAgent'> {
  if (presetProfile(agent.id) && agent.id !== 'custom') return { agent: agent.id, customAgent: null };
  return { agent: 'custom', customAgent: { argv: [...agent.argv], ...(agent.needsInputPattern !== undefined ? { needsInputPattern: agent.needsInputPattern } : {}) } };
}

/**
 * The agent a session was planned with, again (a revision runs the session's agent unless
 * the person names another), or why it cannot be had — a session from before custom agents were
 * recorded, or a record that is not a usable profile.
 */
export function sessionAgent(state: Pick<PlanningState, 'id' | 'agent' | 'customAgent'>): { agent: AgentProfile } | { problem: string } {
  if (state.agent !== 'custom') {
    const preset = presetProfile(state.agent);
    return preset ? { agent: preset } : { problem: `the session ${state.id} was planned with the agent "${state.agent}", which this version does not know` };
  }
  if (!state.customAgent) return { problem: `the session ${state.id} was planned with a custom agent it does not record (an older session)` };
  try {
    return { agent: customProfile(state.customAgent.argv, state.customAgent.needsInputPattern !== undefined ? { needsInputPattern: state.customAgent.needsInputPattern } : {}) };
  } catch (err) {
    if (err instanceof AgentProfileError) return { problem: `the session ${state.id} records a custom agent that cannot be used: ${err.message}` };
    throw err;
  }
}

/** Why a session cannot be revised (approved or discarded), or null. */
export function revisionRefusal(state: Pick<PlanningState, 'id' | 'status'>): string | null {
  if (state.status === 'approved') return `the plan ${state.id} is approved: it is not revised any more; plan the change anew (waves plan "…") or discard it first`;
  if (state.status === 'discarded') return `the plan ${state.id} is discarded; start a new one (waves plan "…")`;
  return null;
}

/** What the person can do next with a session, as a line for the CLI and the editor. */
export function nextStepsText(state: Pick<PlanningState, 'id' | 'status' | 'worktree' | 'planDir' | 'branch'>): string {
  const plan = path.join(state.worktree, ...state.planDir.split('/'), PLAN_FILE_NAME);
  switch (state.status) {
    case 'valid':
    case 'invalid':
    case 'interrupted':
      return [
        `The proposed plan is ${plan} (branch ${state.branch}).`,
        state.status === 'valid'
          ? `  approve:          waves plan --approve ${state.id}`
          : state.status === 'interrupted'
            ? '  (its last round was stopped before the agent ended: it cannot be approved; request changes for a complete round)'
            : '  (it has errors: it cannot be approved; request changes or fix it yourself)',
        `  request changes:  waves plan --revise ${state.id} "<your comments>"`,
        `  discard:          waves plan --discard ${state.id}`,
      ].join('\n');
    case 'approved':
      return `Approved on branch ${state.branch}. Run it: waves run ${plan}`;
    case 'discarded':
      return 'Discarded.';
    default:
      return `Still planning (${plan}).`;
  }
}

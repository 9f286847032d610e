/**
 * The DAG panel's view of a plan, as src/core builds it (`panelModel.ts`) and draws it
 * (`display.ts`, `export.ts`): the packages with their live status, the edges, the waves, and
 * the facts of one package for the details pane. Types only.
 *
 * src/protocol re-exports them under the same names and wraps them in its messages (`plan`
 * adds `seq`, the plan's URI and the run; `packageDetails` adds the actions a person may take),
 * so src/core never imports the protocol.
 */
import type { PackageRunRecord, ShownField, VerificationResult } from '../run/runState';

/**
 * The live part of a package, sent whole in `plan` nodes and in `status` deltas: the run
 * record's fields of the same names (status, attempts, ISO 8601 startedAt / endedAt, exitCode)
 * and the host its attempt runs or ran on (null: this machine, without hosts).
 */
export interface PackageLiveStatus extends Pick<PackageRunRecord, 'status' | 'attempts' | 'startedAt' | 'endedAt' | 'exitCode'> {
  id: string;
  host: string | null;
  /** Best of n: the state of each candidate of its last set, in order (absent: no set), so a candidate's change reaches the panel. */
  candidates?: CandidateState[];
  /** Best of n, `pick: person`: every candidate has ended or is green, and the package waits for the person's pick. */
  awaitingPick?: boolean;
  /** Queued, its new tree's set-up command under way since then (ISO 8601); absent: not. */
  settingUpSince?: string;
  /** Running: how far its agent says it is (agents talk back, ADR 0036); absent: it said nothing. */
  progress?: { fraction: number; message: string };
}

/**
 * A candidate of a best-of-n set as the panel says it: `queued`, `running`, `verifying` (its
 * audit and verification under way), `green` (audited and verified, may be picked), `failed`
 * (its attempt, audit or verification failed, or it wrote outside its scope), `stopped`
 * (cancelled, interrupted, at a usage limit), `chosen` (it went on as the package's attempt).
 */
export type CandidateState = 'queued' | 'running' | 'verifying' | 'green' | 'failed' | 'stopped' | 'chosen';

export interface PlanNode extends PackageLiveStatus {
  title: string;
  /** 1-based wave, or null when the package is on a dependency cycle or otherwise unplaced. */
  wave: number | null;
  priority: number | null;
  taskType: string | null;
  onCriticalPath: boolean;
  /** The package's `scope.write_allow` globs. */
  writeScope: string[];
  /** The package's lock files and lock keys. */
  locks: string[];
  /** The plan's diagnostics on this package: counts and their messages (for the tooltip). */
  problems: NodeProblems;
  /** Dependencies named in `depends_on` that are not in the plan (drawn as ghost nodes). */
  unknownDependencies: string[];
  /** On a dependency cycle. */
  onCycle: boolean;
  /** In an opened sub-plan: its id there (`id` is its id in the run, `api__users`). */
  localId?: string;
  /**
   * A parent (ADR 0035): its sub-plan's file and the leaves below it (their ids in the run), whose
   * statuses ride in the view's `below`; `file` null: its agent plans its sub-plan when the run
   * reaches it, not yet kept (its one leaf is its planner).
   */
  group?: { file: string | null; leaves: string[] };
}

export interface NodeProblems {
  errors: number;
  warnings: number;
  /** `severity code: message`, at most 20. */
  messages: string[];
}

/** `source` must finish before `target` may start (arrow from dependency to dependent). */
export interface DependencyEdge {
  id: string;
  kind: 'dependency';
  source: string;
  target: string;
  /** On the critical path. */
  critical: boolean;
  /** Both ends are on the same dependency cycle. */
  cycle: boolean;
}

/** Two packages that may run in parallel but share write scope or a lock (undirected). */
export interface ConflictEdge {
  id: string;
  kind: 'conflict';
  source: string;
  target: string;
  /** What they share: write scope (a path both may write) or a lock. */
  reason: 'write-scope' | 'lock';
  /** A repo-relative path both write scopes match, or the shared lock key. */
  witness: string;
}

/**
 * Code `target` may write imports a file `source` may change, and the two may run in parallel:
 * `target` wants a dependency on `source` (drawn dashed, from source to target).
 */
export interface CouplingEdge {
  id: string;
  kind: 'coupling';
  source: string;
  target: string;
  /** The first file imported (the edge's label). */
  file: string;
  /** The warning, as the Problems panel shows it (the edge's tooltip). */
  message: string;
}

export type PlanEdge = DependencyEdge | ConflictEdge | CouplingEdge;

/** The `plan` message's content as src/core builds it from an analysis (the host adds the rest). */
export interface PlanView {
  type: 'plan';
  /** `feature.id`, or null when the plan has none. */
  featureId: string | null;
  /** The plan file, workspace-relative with forward slashes. */
  planFile: string;
  nodes: PlanNode[];
  edges: PlanEdge[];
  /** `waves[i]` lists the package ids of wave i + 1. */
  waves: string[][];
  /** Package ids along the critical path, first to last. */
  criticalPath: string[];
  /** Each dependency cycle, in order (cycle[k] depends on cycle[k+1], the last on the first). */
  cycles: string[][];
  /** How many diagnostics the plan has (the Problems panel lists them). */
  problems: { errors: number; warnings: number };
  /** An opened sub-plan: the parents opened from the top plan down (their ids in their own plans); absent: the top plan. */
  group?: { path: { id: string; title: string }[] };
  /** The live statuses of the leaves below the groups shown (not drawn themselves): a closed group's progress. */
  below?: PackageLiveStatus[];
}

/**
 * Whether an action can act now, and why not when it cannot: each disabled action carries its
 * own reason, which the webview gives its button as its tooltip and accessible description.
 */
export type ActionState = { enabled: true; reason?: undefined } | { enabled: false; reason: string };

/** The details pane's facts of one package, as src/core reads them from the plan and its run record (the protocol's `PackageDetails` adds the actions). */
export interface PackageDetailsBase {
  id: string;
  title: string;
  description: string;
  taskType: string | null;
  priority: number | null;
  wave: number | null;
  dependencies: string[];
  dependents: string[];
  unknownDependencies: string[];
  scope: { writeAllow: string[]; readAllow: string[]; deny: string[] };
  locks: { files: string[]; keys: string[] };
  verification: { tier: string | null; steps: { name: string; kind: string; command: string | null }[] };
  timeoutMinutes: number | null;
  retryBudget: number | null;
  problems: { severity: 'error' | 'warning' | 'info'; code: string; message: string; line: number }[];
  /** The package's record in the plan's run, or null when it has not run. */
  run: PackageRunDetailsBase | null;
}

/** A package's run record as the details pane shows it: the record's own fields, and what is read from it for a person (the protocol's `PackageRunDetails` adds best of n's candidates). */
export interface PackageRunDetailsBase
  extends Pick<PackageRunRecord, ShownField | 'signal' | 'logFile' | 'worktree' | 'branch' | 'blockedBy' | 'refusedRegistries' | 'revisions'>,
    Required<Pick<PackageRunRecord, 'question' | 'refused'>> {
  runId: string;
  verification: (Omit<VerificationResult, 'detail'> & { detail: string | null })[];
  scopeViolations: { path: string; change: string }[];
  /** While `usage-limit`: when the agent's limit resets (ISO 8601), when it said. */
  resetAt: string | null;
  /** What its attempts spent, for a person (`12,345 tokens (…) · $0.42`), where the agent reports it. */
  spend: string | null;
  /** The person's open review comments on it. */
  openComments?: number;
  /** The notes its agent left for its dependents (ADR 0036); absent: none. */
  handoffs?: string[];
  /** Write scope the person granted its agents at run time (ADR 0036); absent: none. */
  granted?: string[];
}

/**
 * The run engine's public types and errors: its options, events, dry run and outcome
 * (docs/run-engine.md, "Engine API"). engine.ts re-exports every one of them.
 */
import type { AgentProfile } from '../../core/agents/agentProfiles';
import type { PlanAnalysis } from '../../core/plan/analyze';
import type { CoordinatorOptions } from '../coordinator';
import type { Host } from '../../core/hosts/hostList';
import type { PackageStatus, RunState } from '../../core/run/runState';
import type { RunForecast } from '../../core/run/forecast';
import type { TalkEvent } from '../../core/run/talkEvents';
import type { Confinement, Executor, Launcher, LocalExecutorOptions } from '../attempt';
import type { VerificationPolicy } from '../consent';

/** The verification policy is consent's (consent/approvals.ts); the engine's options name it. */
export type { VerificationPolicy } from '../consent';

/** When a package's changes wait for the person before they are merged. */
export type ReviewGate = 'off' | 'before-merge';

/** What an executor may ask of the run's plan (as it stands: a sub-plan's packages too). */
export interface ExecutorRun {
  /** The labels a pull worker must have to take the package (`inputs.waves.requires`); [] for none. */
  requiresOf(packageId: string): readonly string[];
  /** The package's verification commands the person approved (the run's approved list), in order; [] for none. */
  approvedStepsOf(packageId: string): { step: string; command: string }[];
}

export interface EngineOptions {
  /** The plan file: absolute, or relative to `process.cwd()`. */
  planFile: string;
  /**
   * The plan's text as the front end read it and showed it to the person (`loadPlan(…).text`
   * and `.hash`): the run runs exactly this text and the file is not read again, so the
   * verification commands the person approved are the ones the run holds (docs/security.md).
   * `analysis`: that text's analysis with this run's `maxParallel` (`loadPlan(file, { maxParallel })`),
   * so the plan is not analysed again. Default: the file is read and analysed.
   */
  planText?: { text: string; hash: string; analysis?: PlanAnalysis };
  /** Default: `git rev-parse --show-toplevel` in the plan's folder. */
  repoRoot?: string;
  agent: AgentProfile;
  /** Default 10. */
  maxParallel?: number;
  /** Default 'eager'. */
  mode?: 'eager' | 'barrier';
  /** Best of n (ADR 0031): the run-wide count of candidates per package (a package's own `inputs.waves.candidates` wins); default 1: none. */
  candidates?: number;
  /** Run only these packages. */
  only?: string[];
  /** How the default `LocalExecutor` starts a runner; default `childProcessLauncher` (a detached `node dist/runner.js …`). The editor passes its terminal launcher. */
  launcher?: Launcher;
  /**
   * Where and how attempts run (ADR 0006), made once the repository and the feature are known
   * (with what a `LocalExecutor` would be given: the walls, the runner, the worktrees' folder…);
   * default: a `LocalExecutor` with `launcher`, `runnerScript`, `worktreesFolder` and `setupHook`.
   * `run` answers what the plan says of a package where the executor needs it (the labels a pull
   * worker must have to take it: `inputs.waves.requires`).
   */
  executor?: (where: LocalExecutorOptions, run: ExecutorRun) => Executor;
  /** argv run in each newly created isolated worktree (no shell); a failure fails the package. */
  setupHook?: string[];
  /**
   * The copy list (`waves.worktrees.copy`, `--copy`): paths relative to the repository (a `*` in
   * their last part) that git ignores, copied from the checkout into each new tree before its
   * set-up hook, never over a file there (git/worktreeCopy.ts; on SSH hosts, hosts/hostCopy.ts).
   */
  copyFiles?: string[];
  /**
   * New package worktrees on this machine layered over one shared checkout of their base
   * (`waves.worktrees.layered`, `--layered-worktrees`; git/layers.ts, ADR 0032). Only with the walls.
   */
  layered?: boolean;
  /**
   * The hosts packages run on (ADR 0011): this machine (an entry with no `ssh`) and SSH
   * hosts, each with its own cap; the run's cap is the sum of theirs (within `maxParallel`).
   * Default none: every attempt on this machine (`LocalExecutor`).
   */
  hosts?: Host[];
  /** How long an SSH host may stay out of reach before its attempts are `host-lost` (interrupted), default 60 000 ms. */
  hostLostMs?: number;
  /** A host-lost package: `retry` — again on another host when its retry budget allows; `wait` (default) — collected when its host answers again. */
  onHostLost?: 'retry' | 'wait';
  /** The agent of the packages a host runs (its `agent:`), by host name; default the package's own. */
  agentForHost?: (host: string) => AgentProfile | undefined;
  /** Owner lease, default 15 000 ms. */
  leaseMs?: number;
  /**
   * A shared coordinator (PostgreSQL, ADR 0012): the lock table, the run's lease across clones and
   * the registry of runs live there; default none (`.waves/` files). The run state stays in `.waves/`.
   */
  coordinator?: CoordinatorOptions;
  /** How long a run that ended waits for a coordinator out of reach to take the lock releases it kept meanwhile, default 300 000 ms (then they stay until they lapse: said). */
  releaseWaitMs?: number;
  /** The runner's TERM → KILL grace, default 10 000 ms. */
  graceMs?: number;
  /** Default 'refuse-unapproved'. */
  verification?: VerificationPolicy;
  clock?: () => Date;
  /** Extra environment for the agents. */
  env?: Record<string, string>;
  /** The default executor's runner: `runner.js` beside this bundle, else `<repo of the extension>/dist/runner.js`. */
  runnerScript?: string;
  /** Slow poll of attempt folders (backup of fs.watch), default 1000 ms. */
  pollMs?: number;
  /**
   * A launched runner that has not written `meta.json` after this long, and whose process the
   * engine cannot see, did not start: the attempt fails. Default 60 000 ms.
   */
  runnerStartMs?: number;
  /** The length of one of the plan's minutes (`timeout_minutes`), default 60 000 ms — tests shorten it. */
  minuteMs?: number;
  /** The agent of one package (per-package overrides); default `agent` for every package. */
  agentFor?: (packageId: string) => AgentProfile;
  /**
   * Plans of plans (ADR 0035, core/plan/unfold.ts): each parent's id → its children's ids in the
   * run. A parent is its sub-plan's join: it runs no agent (JOIN_AGENT, whatever else is set),
   * and is judged on its children's changes together, verified on their combined result.
   */
  joins?: Readonly<Record<string, readonly string[]>>;
  /** A parent's `inputs.waves.max_parallel` (core/plan/unfold.ts `caps`): at most that many of the packages below it at once. */
  joinCaps?: Readonly<Record<string, number>>;
  /** The sub-plan files the run read (real paths): the person may edit them during the run, as the plan file. */
  subPlanFiles?: readonly string[];
  /** Each `{by: agent}` parent's planner, by its id in the run → its parent's (core/plan/unfold.ts `planners`). */
  planners?: Readonly<Record<string, string>>;
  /** The folder of the worktrees (`<folder>/<feature>/<package>`), absolute or relative to the repository; default `<repo>.worktrees`. */
  worktreesFolder?: string;
  /** On resume, packages found interrupted stay interrupted (a person offers them again with Resume); default: offered again at once. */
  keepInterrupted?: boolean;
  /**
   * An adoption nobody asked for (a window that opens on a run whose driver went away): the
   * engine watches the live attempts and collects the exits found, and starts NOTHING — no
   * ready package, no automatic retry. When nothing is left to watch the run ends
   * `collected`, the rest waiting for the person's Resume / Retry. Only a valid run state
   * of this machine's (`machine`) is adopted: anything else is refused (`AdoptRefusedError`)
   * before it is read into the engine. Default false.
   */
  collectOnly?: boolean;
  /**
   * A package whose agent stops at a usage limit is paused (`usage-limit`, no retry spent) and no
   * package of that agent starts while the limit holds. `wait`: at the reset time the agent
   * gave, the paused packages go on by themselves (the run waits for it); `stop` (default): the
   * run ends `usage-limit` when nothing else can go on — the person resumes it.
   */
  onUsageLimit?: 'wait' | 'stop';
  /**
   * Agents to go on with, in order, when a package's agent stops at a usage limit: the
   * package is put back to pending on the first one not at its own limit (no retry spent);
   * when none is left, `onUsageLimit` decides. Default: none.
   */
  agentFallback?: AgentProfile[];
  /** At most this many attempts at once per agent (by preset id, `custom` for argv agents); the run's cap still holds. */
  agentCaps?: Record<string, number>;
  /**
   * A ceiling on what the run's agents spend: when the run's total reaches it, no new
   * package starts, running ones finish, and the run ends `budget` — resumable with a higher
   * budget. Tokens count input + output + cached; dollars only where agents report a cost.
   */
  budget?: { usd?: number; tokens?: number };
  /** The person's answers, by package id, to the question each one's last attempt ended with: its next prompt carries it. */
  answers?: Record<string, string>;
  /**
   * An agent asks for more write scope (its `request_scope` call, ADR 0036), already checked
   * exactly against every other package's scope, locks and grants: the person's answer (true
   * grants). Absent: nobody to ask, every request refused. The engine checks again after the
   * answer (a sibling may have been granted the same file meanwhile: one wins).
   */
  grantScope?: (request: ScopeRequestAsked) => Promise<boolean>;
  /**
   * A planner's sub-plan (a `{by: agent}` parent, ADR 0035) runs verification commands not approved
   * for this run: the person's answer (true approves exactly those, kept in the person's approvals,
   * and the sub-plan runs now). Absent, false or not answered in 5 minutes: it is kept and waits for
   * the next start, which asks.
   */
  approveSubPlan?: (request: SubPlanAsked) => Promise<boolean>;
  /**
   * The review gate: `before-merge` — a package that passed its audit and verification
   * waits as `awaiting-review` (its locks released, its dependents waiting) until the person
   * approves it (then it is merged) or requests changes (a revision from its branch). Default `off`.
   */
  review?: ReviewGate;
  /**
   * The integration guard (ADR 0025): the approved verification commands of the plan's
   * integration package (`task_type: integrate`) run on the integration branch as packages land;
   * a red tip is bisected to the merge that turned it red, whose package is sent the failure as a
   * follow-up attempt (within its retry budget) while its dependents wait. Default off; not
   * given, a run taken up again keeps the guard it was started with (`false` turns it off).
   */
  integrationGuard?: boolean;
  /**
   * The walls every agent runs inside (ADR 0019): on by default — bubblewrap, the worktree and
   * git's own writable, secrets hidden, the network only to the agent's model API (and
   * `options.allowHosts`) through the runner's proxy. Where walls cannot be had, `begin` refuses
   * (`ConfinementUnavailableError`) unless `unconfined` — the person's explicit choice.
   */
  confinement?: Confinement;
  /** The forecast the run began with (the start use case's): kept beside its report as `forecast.json`, set there beside what happened. */
  forecast?: RunForecast;
  /** Profiling: called at each step of a package's exit → merge → dependent start path (bench/engine.bench.ts). */
  trace?: (step: string, packageId: string) => void;
}

export interface DryRun {
  /** The waves of starts a simulated all-succeed run makes. */
  order: string[][];
  /** Each package's prompt and where `run()` would write it (attempt 1). */
  prompts: { packageId: string; file: string; text: string }[];
}

/**
 * `collected`: a `collectOnly` adoption ended with work left for the person to resume.
 * `usage-limit`: packages stopped at their agent's usage limit (no retry spent); resume after the reset.
 * `budget`: the run's spend reached `budget`; nothing more started; resume with a higher budget.
 */
export type RunOutcomeKind = 'succeeded' | 'failed' | 'cancelled' | 'collected' | 'usage-limit' | 'budget';

export type EngineEvent =
  | {
      type: 'run-started';
      runId: string;
      featureId: string;
      packages: string[];
      maxParallel: number;
      mode: 'eager' | 'barrier';
      resumed: boolean;
    }
  | { type: 'package'; packageId: string; status: PackageStatus; attempt: number; detail?: string }
  | { type: 'needs-input'; packageId: string; reason: string | null }
  | { type: 'verification'; packageId: string; step: string; ok: boolean; command: string }
  | { type: 'merge'; packageId: string; ok: boolean; conflicts?: string[] }
  | { type: 'plan-changed'; planHash: string; added: string[] }
  | { type: 'problem'; message: string; packageId?: string }
  /** What a running agent said or was granted through the run's tools (ADR 0036), as recorded. */
  | TalkEvent
  | {
      type: 'run-finished';
      outcome: RunOutcomeKind;
      reportFile: string | null;
      counts: Partial<Record<PackageStatus, number>>;
      speedup: number | null;
    };

export interface RunOutcome {
  runId: string;
  featureId: string;
  outcome: RunOutcomeKind;
  counts: Partial<Record<PackageStatus, number>>;
  /** report.md (report.json beside it). */
  reportFile: string | null;
  integrationBranch: string | null;
  speedup: number | null;
  state: RunState;
}

/** The plan has errors: `lines` are `file:line:col code message`. */
export class PlanInvalidError extends Error {
  constructor(readonly lines: string[]) {
    super(`The plan has errors:\n${lines.join('\n')}`);
    this.name = 'PlanInvalidError';
  }
}

/** The plan is a proposed plan (on a planning branch, ADR 0013) the person has not approved: `message` says why. */
export class ProposalNotApprovedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProposalNotApprovedError';
  }
}

export class NotARepositoryError extends Error {
  constructor(readonly folder: string, detail: string) {
    super(`${folder} is not inside a git repository (${detail})`);
    this.name = 'NotARepositoryError';
  }
}

/**
 * A `collectOnly` adoption found nothing of this machine's to adopt: no run state, one
 * that is not valid, one of a newer version, or one that is not this machine's (`foreignReason`).
 * Nothing was read into the engine or written; the message says why, for a person.
 */
export class AdoptRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdoptRefusedError';
  }
}

/** A sub-plan's new commands, as the person is asked them (`EngineOptions.approveSubPlan`). */
export interface SubPlanAsked {
  /** The parent whose planner wrote it. */
  packageId: string;
  title?: string;
  /** The kept sub-plan, repository-relative (shown), and its absolute path (to open it). */
  file: string;
  path: string;
  /** Its verification commands not approved for this run (show them escaped). */
  commands: readonly string[];
}

/** A request for more write scope, as the person is asked it (`EngineOptions.grantScope`). */
export interface ScopeRequestAsked {
  packageId: string;
  /** The package's title, if it has one. */
  title?: string;
  /** The attempt asking. */
  attempt: number;
  /** The paths to grant (repository-relative paths or patterns), those it may write already left out. */
  paths: readonly string[];
  /** The agent's reason, its words (show them escaped). */
  reason: string;
}

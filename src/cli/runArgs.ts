/**
 * What the run commands of `waves` share: the plan named on the command line loaded through the
 * front door, the agent, the shared coordinator and the plan argument from the flags, paths
 * and escapes for the terminal.
 */
import * as path from 'node:path';
import type { AgentProfile } from '../core/agents/agentProfiles';
import { runAgentsOf } from '../core/agents/runAgents';
import { hasUnsafeCharacters } from '../core/present/visibleText';
import { toReport } from '../core/plan/planReport';
import type { RunState } from '../core/run/runState';
import { addSpend, type Spend } from '../core/run/spend';
import { flagsOf, RUN_OPTIONS, RunOptionError, runChoicesOf, runOptionsFromCommandLine, wallsValuesOf, type RunChoices, type RunOption, type RunOptionPart, type RunOptionSources } from '../core/run/runOptions';
import { checkCoordinatorUrl, type Confinement, type CoordinatorOptions, PlanReadError, loadPlan as loadPlanSource, resolveProgram, type PlanSource } from '../engine';
import { UsageError } from './args';
import { humanReport, type Io } from './io';


// ---------------------------------------------------------------------------------------
// The plan and its repository

/** A plan loaded through the front door, with a feature id and a repository; `shown` is the file as given. */
export type LoadedPlan = PlanSource & { featureId: string; repo: string; shown: string };

/**
 * Loads a plan through the front door. `requireValid`: a plan with errors is a usage error
 * (its problems printed as `validate` prints them, exit 2). Otherwise only a feature id and a
 * repository are needed (status and report of a plan being edited still work).
 */
export async function loadPlan(io: Io, file: string, requireValid: boolean): Promise<LoadedPlan | number> {
  let plan: PlanSource;
  try {
    plan = await loadPlanSource(file);
  } catch (err) {
    if (!(err instanceof PlanReadError)) throw err;
    io.err(`waves: cannot read ${file}: ${err.why}\n`);
    return 2;
  }
  const { analysis, featureId, repo } = plan;
  if (requireValid && !analysis.valid) {
    io.err(humanReport(toReport(file, analysis)));
    io.err(`waves: ${file} has errors; fix them before running it\n`);
    return 2;
  }
  if (!featureId) {
    io.err(`waves: ${file} has no feature.id: a run is named after it\n`);
    return 2;
  }
  if (!repo) {
    io.err(`waves: ${file} is not in a git repository: runs need one (git init, then commit the plan)\n`);
    return 2;
  }
  return { ...plan, featureId, repo, shown: file };
}

/** What the run's packages spent, summed (null: no agent reported any). */
export function runSpend(state: RunState): Spend | null {
  return Object.values(state.packages).reduce<Spend | null>((total, r) => addSpend(total, r.spend), null);
}

export function rel(file: string): string {
  const r = path.relative(process.cwd(), file);
  return r && !r.startsWith('..') ? r : file;
}

export function planArg(args: string[], command: string, extra = 0): string {
  if (args.length < 1 || args.length > 1 + extra)
    throw new UsageError(`${command} takes ${extra ? 'a plan file and optionally a package id' : 'exactly one plan file'}`);
  return args[0]!;
}


/** The agents of `waves run` from the table's agent options, headless only: the agent (`--agent` / `--agent-argv`; none given: the default agent), the fallback, the caps per agent. */
export interface RunAgentFlags {
  agent: AgentProfile;
  agentFallback?: AgentProfile[];
  agentCaps?: Record<string, number>;
}

/** The agents the flags give (core/agents/runAgents.ts makes their profiles, as for the editor); one that cannot be used is a usage error naming its flag. */
export function runAgentsFrom(flags: Map<string, string | true>, env: Readonly<Record<string, string | undefined>> = process.env): RunAgentFlags {
  const { values, sources } = optionsFrom(flags, env, 'agent');
  const agents = runAgentsOf(values, { name: (o) => sources[o.id] ?? `--${o.flag}`, commandLine: true });
  if (agents.problems[0]) throw new UsageError(agents.problems[0].message);
  return { agent: agents.agent!, ...(values.agentFallback ? { agentFallback: agents.fallback } : {}), ...(values.agentCaps ? { agentCaps: values.agentCaps } : {}) };
}

/** The agent of `--agent` / `--agent-argv` (default: DEFAULT_AGENT); `check`: its program is found here. */
export function agentFrom(flags: Map<string, string | true>, check: boolean): AgentProfile {
  const { agent } = runAgentsFrom(flags);
  if (check) checkAgentFound(agent);
  return agent;
}

/** A usage error when the agent's program cannot be started here. */
export function checkAgentFound(agent: AgentProfile): void {
  const missing = agentNotFound(agent);
  if (missing) throw new UsageError(`${missing}: install it, or choose another with --agent / --agent-argv`);
}

/** Why `profile`'s program cannot be started here (missing as given or on PATH, not executable, a script whose interpreter is missing), or null. */
export function agentNotFound(profile: AgentProfile): string | null {
  const program = resolveProgram(profile.argv[0]!, process.env);
  return program.ok ? null : `the agent program ${program.why}`;
}

/** `--coordinator URL` (else `WAVES_COORDINATOR`) and `--coordinator-repository KEY`; checked, never echoed with its password. */
export function coordinatorFrom(flags: Map<string, string | true>): CoordinatorOptions | undefined {
  const raw = flags.has('coordinator') ? String(flags.get('coordinator')) : process.env.WAVES_COORDINATOR;
  if (raw === undefined || raw === '') {
    if (flags.has('coordinator-repository')) throw new UsageError('--coordinator-repository needs --coordinator');
    return undefined;
  }
  const checked = checkCoordinatorUrl(raw);
  if (!checked.ok) throw new UsageError(checked.problem);
  const repository = flags.has('coordinator-repository') ? String(flags.get('coordinator-repository')).trim() : undefined;
  if (repository === '') throw new UsageError('--coordinator-repository needs a key');
  return { url: checked.url, ...(repository ? { repository } : {}) };
}

/** A line saying the list holds control or bidi characters (shown escaped), or ''. */
export function unsafeNote(texts: readonly string[]): string {
  return texts.some(hasUnsafeCharacters)
    ? 'warning: the list holds control or bidi characters (CR, escape sequences, direction overrides), shown above as \\r, \\x.., \\u....\n'
    : '';
}


/** The run's worktree and walls options as the command line gives them (core/run/runOptions.ts). */
export interface WorktreeAndWalls {
  /** The walls (`--unconfined`, or what the options add to them); undefined: the default walls. */
  confinement?: Confinement;
  setupHook?: string[];
  copyFiles?: string[];
  worktreesFolder?: string;
  /** New package worktrees layered over a shared checkout (`--layered-worktrees`). */
  layered?: boolean;
  /** Where each value came from (`--copy`, `WAVES_WORKTREES_COPY`), for messages. */
  sources: RunOptionSources;
}

/** The table's options of one part (`undefined`: every option), from the flags, else their variables; a value that cannot be used is a usage error naming its flag or variable. */
function optionsFrom(flags: Map<string, string | true>, env: Readonly<Record<string, string | undefined>>, part: RunOptionPart | undefined): ReturnType<typeof runOptionsFromCommandLine> {
  try {
    return runOptionsFromCommandLine(flags, env, undefined, undefined, part && ((o) => o.part === part));
  } catch (err) {
    if (err instanceof RunOptionError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * The worktree and walls options (the table of core/run/runOptions.ts: a flag,
 * else its environment variable), `--unconfined` (agents without walls: the person's explicit
 * choice) among them. A value that cannot be used is a usage error naming its flag or variable.
 */
export function worktreeAndWallsFrom(flags: Map<string, string | true>, env: Readonly<Record<string, string | undefined>> = process.env): WorktreeAndWalls {
  const { values, sources } = optionsFrom(flags, env, 'worktrees');
  const unconfined = values.unconfined === true;
  if (unconfined && values.layered) throw new UsageError(`${sources.layered ?? '--layered-worktrees'} needs the agents' walls: a layered worktree is whole only inside them (leave out --unconfined, or the layering)`);
  const walls = wallsValuesOf(values);
  // The container as the agents' wall (`--container-is-wall`, WAVES_SANDBOX_CONTAINER=1): weighed by the engine, which counts it only inside a container.
  const confinement: Confinement | undefined = unconfined
    ? { unconfined: true }
    : values.container || Object.keys(walls).length
      ? { ...(values.container ? { container: true } : {}), ...(Object.keys(walls).length ? { options: walls } : {}) }
      : undefined;
  return {
    ...(confinement ? { confinement } : {}),
    ...(values.setupCommand ? { setupHook: values.setupCommand } : {}),
    ...(values.copy?.length ? { copyFiles: values.copy } : {}),
    ...(values.worktreesFolder ? { worktreesFolder: values.worktreesFolder } : {}),
    ...(values.layered ? { layered: true } : {}),
    sources,
  };
}

/**
 * The run's own choices (the table's options only `waves run` takes: the cap, candidates, the
 * schedule, the usage limit, the budgets, the review gate, the integration guard): a flag, else
 * its variable; the defaults filled in as the editor fills them (runChoicesOf).
 */
export function runChoicesFrom(flags: Map<string, string | true>, env: Readonly<Record<string, string | undefined>> = process.env): RunChoices {
  return runChoicesOf(optionsFrom(flags, env, 'run').values);
}

/** Every option of the table the flags give (and their variables), checked as `waves run` checks them: a usage error naming the first that cannot be used. */
export function checkRunFlags(flags: Map<string, string | true>, env: Readonly<Record<string, string | undefined>> = process.env): void {
  runAgentsFrom(flags, env);
  runChoicesFrom(flags, env);
  worktreeAndWallsFrom(flags, env);
}

/** The flags of the options `waves plan` takes too: the agent, the worktree and walls options (`valued`: only those that take a value), for `parseArgs`. */
export function optionFlags(valued = false): string[] {
  return flagsFor(RUN_OPTIONS.filter((o) => o.plan), valued);
}

/** The flags of every option of the table, switches included (`valued`: only those that take a value): `waves run`'s, for `parseArgs`. */
export function runFlags(valued = false): string[] {
  return flagsFor(RUN_OPTIONS, valued);
}

/** The flags that may be given several times (their values joined by commas), for `parseArgs`. */
export function repeatedFlags(): string[] {
  return RUN_OPTIONS.flatMap((o) => (o.repeated && o.flag ? [o.flag] : []));
}

function flagsFor(options: readonly RunOption[], valued: boolean): string[] {
  return options.flatMap((o) => (valued ? (o.kind === 'boolean' ? [] : flagsOf(o).filter((f) => !(f in (o.switches ?? {})))) : flagsOf(o)));
}

/**
 * Starting a run — the one use case both front ends call (`waves run` and the editor's Run
 * Plan / Wave / Package, Retry, Resume, Answer, and an adoption after a reload). Every step
 * between "the person asked" and "the engine drives" is written here once: the plan read
 * and analysed (once), its checks, the hosts and their agents, the packages put back for a
 * retry or an answer, the verification commands approved (asked through the front end), the
 * engine prepared and begun (its own gates: the proposed plan approved, the commands
 * approved, the lease, the shared coordinator and other features' planned claims). What can
 * refuse comes back as a `StartRefusal` — one kind and one reason in words, the same for
 * both front ends; they add only how they show it and what the person can do next.
 */
import { presetProfile, PRESET_IDS, type AgentProfile } from '../../core/agents/agentProfiles';
import { hostsCapacity, type Host } from '../../core/hosts/hostList';
import type { PackageStatus } from '../../core/run/runState';
import { plannedConflictText, type PlannedConflict } from '../../core/coordinator/sharedCoordinator';
import { loadPlan, planErrorLines, PlanReadError, type PlanSource } from '../plan';
import { confinementAvailable, ConfinementUnavailableError, containerHere, effectiveConfinement, opensWalls, repositoryOpensWalls, repositoryTurnsContainerOn, resolveProgram } from '../attempt';
import { allowedTargets } from '../../core/walls/walls';
import { NOT_A_CONTAINER_NOTE } from '../../core/walls/containerCheck';
import { approveShown, verificationOf, verificationPolicy, VerificationNotApprovedError, type VerificationPolicy } from '../consent';
import { CoordinatorError, CoordinatorLeaseHeldError, CoordinatorUnavailableError, PlannedClaimConflictError } from '../coordinator';
import { proposalGate } from '../planning';
import { nodeProblems } from '../hosts';
import { AdoptRefusedError, LeaseHeldError, NotARepositoryError, PlanInvalidError, ProposalNotApprovedError, queuedPicks, readRun, RunEngine, type DryRun, type EngineOptions, type RunOutcome, type ScopeRequestAsked, type SubPlanAsked } from '../run';
import { resetPackages } from './reconcileRun';
import { TreeInTheWayError } from '../git';
import { forecastFor, type ForecastResult } from './forecast';
import type { RunForecast } from '../../core/run/forecast';
import { candidateAgentIds, candidateStartProblems } from '../../core/plan/candidateSet';
import { capOf } from '../../core/plan/defaults';
import { onlyWaits } from '../../core/run/onlyScope';
import type { PlanPackage } from '../../core/plan/model';

/** The hosts list as a front end read it (a file for the CLI, `waves.hosts` for the editor). */
export interface HostsInput {
  /** Where it was read, for messages: the file, or the setting's name. */
  source: string;
  hosts: Host[];
  /** What is wrong with it, positioned where the source allows ("hosts.yaml:3:5 …"). */
  problems: string[];
}

/** What the person asked to start. Everything else of `EngineOptions` passes through as it is. */
export interface StartRequest extends Omit<EngineOptions, 'planText' | 'verification' | 'hosts' | 'agentForHost' | 'only'> {
  /** How the front end names the plan in messages (the path as typed, or the editor's label). */
  shown: string;
  only?: string[];
  /** Go on with the run on disk (else a finished one is archived and a new one starts). */
  resume?: boolean;
  /** Packages in these statuses (within `only`) go back to pending first: Retry, Resume, Run Package. */
  reset?: PackageStatus[];
  hosts?: HostsInput;
  /** Another feature's approved plan claims one of this plan's lock keys: go ahead without asking. */
  allowPlannedOverlap?: boolean;
  /** False: nobody can pick a candidate (`waves run` with no terminal, or --json): a `pick: person` set is refused. Default: somebody can (the editor). */
  personToAsk?: boolean;
  /**
   * An adoption nobody asked for (`collectOnly`): nothing is asked, commands nobody approved
   * are skipped rather than refused.
   */
  adopt?: boolean;
}

/** The questions a start asks the person; each front end asks them its own way. */
export interface StartQuestions {
  /**
   * The run's verification commands are not approved on this machine: show `commands`
   * (escaped: `visibleText`) and ask. True approves exactly that list.
   */
  approveCommands(commands: readonly string[], plan: PlanSource): Promise<boolean>;
  /** Other features' approved plans claim this plan's lock keys: go ahead anyway? */
  overlapPlannedClaims(conflicts: readonly PlannedConflict[]): Promise<boolean>;
  /** An agent asks for more write scope (ADR 0036): grant it? Absent: every request refused (nobody to ask). */
  grantScope?(request: ScopeRequestAsked): Promise<boolean>;
  /** A planner's sub-plan runs commands not approved for this run: approve them now? Absent: it waits for the next start. */
  approveSubPlan?(request: SubPlanAsked): Promise<boolean>;
  /** The engine exists and has not begun: subscribe to its events here (the first is `run-started`). */
  engineReady?(engine: RunEngine): void;
  /**
   * A new run (not a resume, a retry, an answer or an adoption) is about to start: go ahead,
   * knowing its forecast? False starts nothing (`declined`). A front end that does not
   * ask leaves it out.
   */
  confirmRun?(forecast: RunForecast, plan: PlanSource): Promise<boolean>;
}

export type StartRefusalKind =
  | 'plan-unreadable'
  | 'plan-invalid'
  | 'no-repository'
  | 'unknown-package'
  | 'bad-hosts'
  | 'proposal-unapproved'
  | 'commands-unapproved'
  | 'plan-changed'
  | 'driven-elsewhere'
  | 'planned-claims'
  | 'coordinator-unreachable'
  | 'adopt-refused'
  | 'no-confinement'
  /** An agent's program cannot be run here: missing, not executable, or a script whose interpreter is missing. */
  | 'agent-not-runnable'
  /** Best of n (ADR 0031): a set of candidates this run cannot start (over the cap, an unknown agent, a pick not built, SSH hosts). */
  | 'bad-candidates'
  /** Plans of plans (ADR 0035): a sub-plan with errors, one to be planned at run time (not built yet), or one whose packages' run names clash. */
  | 'plan-nested'
  /** The container-as-wall choice cannot be taken: the repository turns it on, or SSH hosts would have no wall. */
  | 'container-wall-refused'
  /** In a container, the repository's dev container configuration opens the agents' walls (its settings or variables became the person's). */
  | 'walls-from-repository'
  /** Some packages only (`--only`, Run Package): one waits for a package outside them that has not succeeded in the run it would run in. */
  | 'only-waits'
  /** A folder where the run's worktree goes holds files and no commit of this repository (a worktree of another repository once at that path). */
  | 'tree-in-the-way'
  /** The person said no to the run's confirmation (`confirmRun`): nothing to show. */
  | 'declined';

/** Why nothing was started: `reason` in words (the same in both front ends), `details` one per line. */
export interface StartRefusal {
  kind: StartRefusalKind;
  reason: string;
  details: string[];
  /** The verification commands, for `commands-unapproved`. */
  commands?: string[];
  /** The other features' claims, for `planned-claims`. */
  conflicts?: readonly PlannedConflict[];
}

export type StartResult =
  /** `forecast`: the one the run keeps for its report (undefined for an adoption). */
  | { ok: true; engine: RunEngine; plan: PlanSource; outcome: Promise<RunOutcome>; forecast?: ForecastResult }
  | { ok: false; refusal: StartRefusal };

/** A refusal: its kind, its reason in words, its details. */
const no = (kind: StartRefusalKind, reason: string, details: string[] = [], extra: Partial<StartRefusal> = {}): StartRefusal => ({ kind, reason, details, ...extra });
const refuse = (kind: StartRefusalKind, reason: string, details: string[] = [], extra: Partial<StartRefusal> = {}): StartResult => ({ ok: false, refusal: no(kind, reason, details, extra) });

const headless = () => PRESET_IDS.filter((p) => !presetProfile(p)!.interactive).join(', ');

/** The agent of each host that names one: a headless preset, else the hosts list is refused. */
export function hostAgents(input: HostsInput): { agents: Map<string, AgentProfile>; problems: string[] } {
  const agents = new Map<string, AgentProfile>();
  const problems: string[] = [];
  for (const h of input.hosts) {
    if (!h.agent) continue;
    const preset = presetProfile(h.agent);
    if (!preset || preset.interactive) problems.push(`host ${h.name}: agent "${h.agent}" is not a headless preset (${headless()})`);
    else agents.set(h.name, preset);
  }
  return { agents, problems };
}

/** What `checkStart` found: the plan as read once, and the agent of each host. */
interface Checked {
  plan: PlanSource;
  agentForHost?: (host: string) => AgentProfile | undefined;
}

/**
 * The checks of a start that need neither the person nor a process: the plan read and
 * analysed once (this text is what the checks, the questions and the run hold), valid, named,
 * in a repository, the packages asked for in it, the hosts usable.
 */
async function checkStart(request: StartRequest, dry = false): Promise<Checked | StartRefusal> {
  const { shown, only } = request;
  let plan: PlanSource;
  try {
    plan = await loadPlan(request.planFile, request.maxParallel !== undefined ? { maxParallel: request.maxParallel } : {});
  } catch (err) {
    if (err instanceof PlanReadError) return no('plan-unreadable', `cannot read ${shown}: ${err.why}`);
    throw err;
  }
  const { analysis } = plan;
  if (!analysis.valid) return no('plan-invalid', `${shown} has errors; fix them before running it`, planErrorLines(analysis, shown));
  if (!plan.featureId) return no('plan-invalid', `${shown} has no feature.id: a run is named after it`);
  if (!plan.repo) return no('no-repository', `${shown} is not in a git repository: runs need one (git init, then commit the plan)`);
  const unknown = (only ?? []).filter((id) => !analysis.graph.ids.includes(id));
  if (unknown.length) return no('unknown-package', `${shown} has no package ${unknown.map((id) => `"${id}"`).join(', ')}`);
  // Plans of plans (ADR 0035): run unfolded (loadPlan), unless a sub-plan has errors or is to be planned at run time.
  if (plan.nested && 'refusals' in plan.nested) return no('plan-nested', `${shown} has sub-plans that cannot run`, plan.nested.refusals);
  // The last run of this plan, read once for the checks that need it.
  let last: RunRead | undefined;
  const lastRun = (): RunRead => (last ??= readRun(plan.repo!, plan.featureId!));
  // Some packages only: one whose dependency outside them has not succeeded in the run it would run in would wait forever.
  if (only && !request.adopt) {
    const waits = onlyWaitsOf(plan, only, request.resume === true, lastRun());
    if (waits) return waits;
  }
  // Best of n (ADR 0031): sets this run cannot start are said before anything is asked (an adoption takes the run as it goes).
  const sets = request.adopt ? [] : candidateStartProblems(packagesOf(request, plan), {
    ...(request.candidates !== undefined ? { runCandidates: request.candidates } : {}),
    // On hosts, a set's candidates each take a slot of one (best of n): the cap is their slots together (as the scheduler's).
    cap: request.hosts?.hosts.length ? hostsCapacity(request.hosts.hosts, capOf(request.maxParallel)) : capOf(request.maxParallel),
    ownAgentOf: (id) => ownAgentOf(request, id).id,
    ownAgentInteractive: (id) => ownAgentOf(request, id).interactive,
    isHeadless: (id) => presetProfile(id)?.interactive === false,
    headless: PRESET_IDS.filter((p) => !presetProfile(p)!.interactive),
    sshHosts: request.hosts?.hosts.some((h) => h.ssh) === true,
    personToAsk: request.personToAsk !== false,
    ...(request.resume && request.personToAsk === false ? { pickRecorded: picksMade(plan.repo, plan.featureId, lastRun()) } : {}),
  });
  if (sets.length) return no('bad-candidates', `${shown} asks for candidates this run cannot start`, sets);
  // A proposed plan (ADR 0013) runs only once approved: said before anything is asked (the engine checks it again as it begins).
  const unapproved = dry ? null : await proposalGate(plan.file);
  if (unapproved) return no('proposal-unapproved', unapproved);
  // The container as the agents' wall: the person's choice alone, and a wall only of the agents that run in the container.
  if (request.confinement?.container && !request.confinement.unconfined) {
    const turnedOn = repositoryTurnsContainerOn(plan.repo);
    if (turnedOn)
      return no('container-wall-refused', `the container-as-wall choice is yours alone, and the repository turns it on (${turnedOn})`, [
        'take it out there (then rebuild the container: its settings were copied into it); your own setting waves.sandbox.container, --container-is-wall or WAVES_SANDBOX_CONTAINER=1 decides',
      ]);
    const honoured = effectiveConfinement(request.confinement)?.unconfined === true;
    if (honoured && request.hosts?.hosts.some((h) => h.ssh))
      return no('container-wall-refused', "the container is the wall only of the agents that run in it: an SSH host's agents would have none", ['leave out the SSH hosts, or the container-as-wall choice']);
    if (honoured && request.layered)
      return no('container-wall-refused', "a layered worktree is whole only inside bubblewrap's walls, and with the container as the agents' wall there are none", ['leave out the layering, or the container-as-wall choice']);
  }
  // In a container, its dev container configuration became the machine's settings and the environment of `waves`:
  // a wall opened there is the repository's doing, never taken as the person's.
  if (opensWalls(request.confinement) && containerHere()) {
    const opened = repositoryOpensWalls(plan.repo);
    if (opened)
      return no('walls-from-repository', `the agents' walls are yours alone to open, and this repository's dev container opens them (${opened})`, [
        'take it out there and rebuild the container (its settings and variables were copied into it); then your own settings waves.sandbox.*, the flags of waves run and your WAVES_SANDBOX_* variables decide',
      ]);
  }
  // No walls to be had here, and the person did not choose to run without them: said before anything is asked, with the fix.
  if (!effectiveConfinement(request.confinement)?.unconfined && !dry) {
    const here = confinementAvailable();
    // The container-as-wall choice was made, but this is not a container: said first.
    const notHere = request.confinement?.container && !request.confinement.unconfined ? [NOT_A_CONTAINER_NOTE] : [];
    if (!here.ok) return no('no-confinement', `agents cannot be confined here: ${here.why}`, [...notHere, ...(here.fix ?? [])]);
  }
  const badTargets = allowedTargets('custom', {}, request.confinement?.options?.allowHosts ?? []).problems;
  if (badTargets.length) return no('no-confinement', 'the hosts the agents may reach cannot be read', badTargets);
  // The agents' programs as the runner resolves them: one that cannot be run is refused here, named, not at each package's start.
  const unrunnable = dry || request.adopt ? null : agentProgramProblem(request, plan);
  if (unrunnable) return no('agent-not-runnable', unrunnable);
  if (!request.hosts) return { plan };
  // A hosts list with problems, or a host whose agent is not a headless preset, is refused whole.
  const { agents, problems } = hostAgents(request.hosts);
  const all = [...request.hosts.problems, ...problems];
  if (request.hosts.hosts.length === 0 && all.length === 0) all.push('it lists no hosts');
  if (all.length) return no('bad-hosts', `the hosts list (${request.hosts.source}) cannot be used`, all);
  return { plan, agentForHost: (h) => agents.get(h) };
}

/**
 * Why an agent of this start cannot be run on this machine (its program, found as the runner
 * finds it on the agents' PATH: programs.ts), or null. The agents of SSH hosts are theirs to
 * have; with only SSH hosts, none runs here.
 */
function agentProgramProblem(request: StartRequest, plan: PlanSource): string | null {
  if (request.hosts && !request.hosts.hosts.some((h) => !h.ssh)) return null;
  const env = { ...process.env, ...request.env };
  const ids = request.only ?? plan.analysis.graph.ids;
  const agents: { agent: AgentProfile; of: string | null }[] = [
    { agent: request.agent, of: null },
    ...(request.agentFallback ?? []).map((agent) => ({ agent, of: null })),
    ...(request.agentFor ? ids.map((id) => ({ agent: request.agentFor!(id), of: id })) : []),
    // Best of n: the agents of the packages' candidates (checkStart refused any that is not a headless preset).
    ...packagesOf(request, plan).flatMap((p) =>
      candidateAgentIds(p, request.candidates, ownAgentOf(request, p.id).id).flatMap((id) => {
        const agent = presetProfile(id);
        return agent ? [{ agent, of: `a candidate of ${p.id}` }] : [];
      }),
    ),
  ];
  const seen = new Set<string>();
  for (const { agent, of } of agents) {
    const program = agent.argv[0] ?? '';
    if (seen.has(program)) continue;
    seen.add(program);
    const resolved = resolveProgram(program, env);
    if (!resolved.ok) return `the agent program ${resolved.why}${of ? ` (the agent of ${of})` : ''}`;
  }
  return null;
}

/**
 * A resume's packages that need no pick any more (best of n): succeeded, one of their candidates
 * gone on, or the person's pick waiting in the run's folder (`waves pick` with no driver) — the
 * resumed run carries it out, nobody is asked.
 */
function picksMade(repo: string, featureId: string, read: RunRead): (packageId: string) => boolean {
  const queued = queuedPicks(repo, featureId);
  return (id) => {
    const record = read.kind === 'ok' && Object.hasOwn(read.state.packages, id) ? read.state.packages[id]! : undefined;
    return queued.has(id) || record?.status === 'succeeded' || !!record?.chosen;
  };
}

/** A package run again on its own (Run Package, Retry, `waves run --resume --only`): in these statuses it goes back to pending first. */
export const RUN_AGAIN: readonly PackageStatus[] = ['failed', 'cancelled', 'interrupted', 'scope-violation', 'blocked'];

/** The refusal of a start of `only` (`--only`, Run Package) whose packages could never start, or null. */
function onlyWaitsOf(plan: PlanSource, only: readonly string[], resume: boolean, read: RunRead): StartRefusal | null {
  const deps = new Map(plan.analysis.plan.packages.map((p) => [p.id, p.dependsOn.map((d) => d.value)]));
  const waits = onlyWaits(only, (id) => deps.get(id) ?? [], read.kind === 'ok' ? read.state : null, resume);
  if (!waits.length) return null;
  const q = (id: string) => `\`${id}\``;
  const lines = waits.map((w) => `${q(w.packageId)} depends on ${q(w.dependency)}, which ${w.succeededInLast ? 'succeeded in the last run, not in a new one' : 'has not succeeded in this run'}`);
  const inLast = waits.every((w) => w.succeededInLast) && !resume;
  const next = inLast
    ? `to run ${only.map(q).join(', ')} in the last run, where what ${only.length === 1 ? 'it depends' : 'they depend'} on succeeded, resume it with only ${only.length === 1 ? 'that package' : 'those packages'} (waves run --resume --only ${only.join(',')})`
    : `run ${[...new Set(waits.map((w) => w.dependency))].map(q).join(', ')} too, or the whole plan`;
  const who = [...new Set(waits.map((w) => q(w.packageId)))];
  return no('only-waits', `${who.join(', ')} would never start: ${who.length === 1 ? 'it waits' : 'they wait'} for packages this run does not run`, [...lines, next]);
}

/** What reading a plan's last run gave. */
type RunRead = ReturnType<typeof readRun>;

/** The packages a start runs: those of `only`, else all. */
function packagesOf(request: StartRequest, plan: PlanSource): PlanPackage[] {
  const only = request.only ? new Set(request.only) : null;
  return plan.analysis.plan.packages.filter((p) => !only || only.has(p.id));
}

/** The agent a package runs with, as the start knows it (a host's agent is the host's). */
const ownAgentOf = (request: StartRequest, id: string): AgentProfile => request.agentFor?.(id) ?? request.agent;

/** The engine options of a checked request. */
function engineOptions(request: StartRequest, checked: Checked, verification: VerificationPolicy, allowOverlap: boolean): EngineOptions {
  const { shown: _shown, resume: _resume, reset: _reset, hosts, allowPlannedOverlap: _allow, adopt: _adopt, personToAsk: _ask, only, ...rest } = request;
  return {
    ...rest,
    // The text whose commands were checked: the file is not read or analysed again.
    planText: checked.plan,
    verification,
    ...(only ? { only } : {}),
    ...(hosts ? { hosts: hosts.hosts, agentForHost: checked.agentForHost } : {}),
    ...(checked.plan.nested && 'joins' in checked.plan.nested ? { joins: checked.plan.nested.joins, joinCaps: checked.plan.nested.caps, subPlanFiles: checked.plan.nested.files, planners: checked.plan.nested.planners } : {}),
    ...(rest.coordinator && allowOverlap ? { coordinator: { ...rest.coordinator, allowPlannedOverlap: true } } : {}),
  };
}

/** A dry run (`waves run --dry-run`): the same checks as a start, then the schedule, every prompt and the forecast; starts and writes nothing. */
export async function dryRunOf(
  request: StartRequest,
): Promise<({ ok: true; engine: RunEngine; dryRun: DryRun } & ForecastResult) | { ok: false; refusal: StartRefusal }> {
  const checked = await checkStart(request, true);
  if ('kind' in checked) return { ok: false, refusal: checked };
  const forecast = await forecastOfChecked(checked, request);
  const engine = await RunEngine.prepare(engineOptions(request, checked, 'refuse-unapproved', false));
  try {
    return { ok: true, engine, dryRun: engine.dryRun(), ...forecast };
  } finally {
    engine.dispose();
  }
}

/** The forecast of a start, after the same checks (the proposed plan's approval bar shows it); starts and writes nothing. */
export async function forecastOf(request: StartRequest): Promise<({ ok: true } & ForecastResult) | { ok: false; refusal: StartRefusal }> {
  const checked = await checkStart(request, true);
  if ('kind' in checked) return { ok: false, refusal: checked };
  return { ok: true, ...(await forecastOfChecked(checked, request)) };
}

/** A checked plan has its repository and feature id (`checkStart` refuses one without). */
function forecastOfChecked(checked: Checked, request: StartRequest): Promise<ForecastResult> {
  return forecastFor({ ...checked.plan, repo: checked.plan.repo!, featureId: checked.plan.featureId! }, request);
}

/**
 * Checks what the person asked, asks what needs the person, prepares the engine and begins
 * the run; the run then goes on in `outcome`. A refusal starts nothing (a `driven-elsewhere`
 * or coordinator refusal may have read `.waves/`, never written a run state).
 */
export async function startRun(request: StartRequest, questions: StartQuestions): Promise<StartResult> {
  const { shown, only } = request;
  const checked = await checkStart(request);
  if ('kind' in checked) return { ok: false, refusal: checked };
  const { plan } = checked;
  // The forecast: asked about before a new run, kept by the run for its report.
  const fresh = !request.adopt && !request.resume && !request.reset?.length && !Object.keys(request.answers ?? {}).length;
  const forecast = request.adopt ? undefined : await forecastOfChecked(checked, request);
  if (forecast && fresh && questions.confirmRun && !(await questions.confirmRun(forecast.forecast, plan))) return refuse('declined', `${shown} was not started`);
  // Each SSH host's `node` tried at once (a dry run starts no process, an adoption asks nothing):
  // one that is not a usable program refuses the start here, naming it, not two attempts later.
  if (request.hosts && !request.adopt) {
    const problems = await nodeProblems(request.hosts.hosts);
    if (problems.length) return refuse('bad-hosts', `the hosts list (${request.hosts.source}) cannot be used`, problems);
  }

  // The verification commands: approved already, else the person is asked with exactly this text's list.
  let verification: VerificationPolicy;
  if (request.adopt) verification = (await verificationPolicy(plan, only, 'adopt')) ?? 'skip-unapproved';
  else {
    const policy = await verificationPolicy(plan, only, 'start');
    if (policy) verification = policy;
    else {
      const { commands } = verificationOf(plan, only);
      if (!(await questions.approveCommands(commands, plan)))
        return refuse('commands-unapproved', `the verification commands of ${shown} are not approved yet`, commands, { commands });
      const approved = await approveShown(plan.file, commands, only);
      if (!approved.ok) return refuse('plan-changed', `${shown} changed while you were asked: nothing was approved or started; run it again to see its commands now`);
      verification = 'refuse-unapproved';
    }
  }

  const { resume, reset } = request;
  let allowOverlap = request.allowPlannedOverlap === true;
  for (;;) {
    let engine: RunEngine;
    try {
      const grantScope = questions.grantScope?.bind(questions);
      const approveSubPlan = questions.approveSubPlan?.bind(questions);
      engine = await RunEngine.prepare({ ...engineOptions(request, checked, verification, allowOverlap), ...(forecast ? { forecast: forecast.forecast } : {}), ...(grantScope ? { grantScope } : {}), ...(approveSubPlan ? { approveSubPlan } : {}) });
    } catch (err) {
      const refusal = refusalOf(err, shown);
      if (refusal) return { ok: false, refusal };
      throw err;
    }
    questions.engineReady?.(engine);
    try {
      // Retry, Resume, Run Package, an answer: those packages go back to pending under the run's lease.
      const answered = Object.keys(request.answers ?? {});
      if (reset?.length) await resetPackages(engine.repoRoot, engine.featureId, reset, only);
      if (answered.length) await resetPackages(engine.repoRoot, engine.featureId, ['failed'], answered);
      await engine.begin({ resume: resume === true || (reset?.length ?? 0) > 0 || answered.length > 0 });
    } catch (err) {
      engine.dispose();
      if (err instanceof PlannedClaimConflictError && !allowOverlap && (await questions.overlapPlannedClaims(err.conflicts))) {
        allowOverlap = true;
        continue;
      }
      const refusal = refusalOf(err, shown);
      if (refusal) return { ok: false, refusal };
      throw err;
    }
    return { ok: true, engine, plan, outcome: engine.drive(), ...(forecast ? { forecast } : {}) };
  }
}

/** A start's error as a refusal, in the same words for every front end; null: not a refusal (a fault). */
export function refusalOf(err: unknown, shown: string): StartRefusal | null {
  if (err instanceof PlanReadError) return no('plan-unreadable', `cannot read ${shown}: ${err.why}`);
  if (err instanceof PlanInvalidError) return no('plan-invalid', `${shown} has errors; fix them before running it`, err.lines);
  if (err instanceof NotARepositoryError) return no('no-repository', `${shown} is not in a git repository: runs need one (git init, then commit the plan)`);
  if (err instanceof ProposalNotApprovedError) return no('proposal-unapproved', err.message);
  if (err instanceof VerificationNotApprovedError)
    return no('commands-unapproved', `the verification commands of ${shown} are not approved yet`, err.commands, { commands: err.commands });
  if (err instanceof LeaseHeldError || err instanceof CoordinatorLeaseHeldError) return no('driven-elsewhere', err.message);
  // Before the coordinator's own errors: a planned claim is not an outage.
  if (err instanceof PlannedClaimConflictError)
    return no(
      'planned-claims',
      `another feature's approved plan claims the same lock key${err.conflicts.length === 1 ? '' : 's'}`,
      err.conflicts.map(plannedConflictText),
      { conflicts: err.conflicts },
    );
  if (err instanceof CoordinatorUnavailableError || err instanceof CoordinatorError) return no('coordinator-unreachable', err.message);
  if (err instanceof AdoptRefusedError) return no('adopt-refused', err.message);
  if (err instanceof TreeInTheWayError) return no('tree-in-the-way', err.message);
  if (err instanceof ConfinementUnavailableError) return no('no-confinement', `agents cannot be confined ${err.why.startsWith('the host ') ? 'on ' : 'here: '}${err.why}`, [...err.fix]);
  return null;
}

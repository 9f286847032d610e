/**
 * `waves plan` (ADR 0013): an agent writes the plan in a planning worktree of its
 * own, the exact checker repairs it, and the proposal waits on its branch for the person:
 *
 *   waves plan [--agent P | --agent-argv JSON] [--out DIR] [--rounds N] [--round-minutes M] [--dry-run] [--json]
 *              (<description>... | --file FILE | --from PLAN)
 *   (--from: Complete with Agent — the session starts from a draft plan of the repository, e.g. one
 *    `waves convert` wrote, instead of a description)
 *   waves plan --revise <id> (<comments>... | --file FILE) [--agent …] [--rounds N] [--round-minutes M]
 *   waves plan --approve <id>      waves plan --discard <id>      waves plan --list
 *   waves plan --claims            waves plan --release-claims <feature>   (the coordinator's planned claims)
 *   (any of them with --coordinator postgres://… [--coordinator-repository KEY], or WAVES_COORDINATOR:
 *    approving registers the plan's planned claims there, discarding removes them, a new plan is
 *    checked against other features')
 *
 * Argument parsing and presentation only; every use case comes through the engine's front door.
 * Exit codes: 0 a valid plan (or the action done), 1 the session ended without a valid plan (its
 * errors, or its last round stopped) or the coordinator could not be reached, 2 usage errors and
 * every refusal before anything starts or changes.
 */
import * as path from 'node:path';
import { toReport } from '../core/plan/planReport';
import { agentRounds, nextStepsText, revisionRefusal, roundPurposeText, sessionAgent, type PlanningState } from '../core/planning/planningSession';
import { DROPPED_TASK_CODE } from '../core/planning/draftCompletion';
import { flagsOf, runOption } from '../core/run/runOptions';
import { ConfinementUnavailableError, containerWallNoteOf, PlanningError, approvePlanning, completePlanning, conflictsWithPlanned, listPlannedClaims, plannedConflictText, plannedFeatures, plannedFeatureText, releasePlannedClaims, discardPlanning, listPlannings, planningDryRun, planningRepo, readPlanning, revisePlanning, startPlanning, type PlanningEvent, type PlanningResult, type PlannedConflict, type CoordinatorOptions, type SharedResult } from '../engine';
import { minutesFlag, parseArgs, positiveInt, UsageError } from './args';
import { humanReport, type Io } from './io';
import { agentFrom, agentNotFound, coordinatorFrom, optionFlags, worktreeAndWallsFrom } from './runArgs';

export async function planCommand(argv: readonly string[], io: Io): Promise<number> {
  // The table's options a planning session takes (the agent, the worktrees' and the walls'), from their rows.
  const { flags, args } = parseArgs(
    argv,
    ['out', 'rounds', 'round-minutes', 'dry-run', 'json', 'file', 'from', 'approve', 'discard', 'revise', 'list', 'claims', 'release-claims', 'coordinator', 'coordinator-repository', ...optionFlags()],
    ['out', 'rounds', 'round-minutes', 'file', 'from', 'approve', 'discard', 'revise', 'release-claims', 'coordinator', 'coordinator-repository', ...optionFlags(true)],
  );
  const coordinator = coordinatorFrom(flags);
  // The planning agent's walls, its worktree's folder, set-up command and copy list: the same options as a run's.
  const { confinement, worktreesFolder, setupHook, copyFiles } = worktreeAndWallsFrom(flags);
  const actions = ['approve', 'discard', 'revise', 'list', 'claims', 'release-claims'].filter((a) => flags.has(a));
  if (actions.length > 1) throw new UsageError(`give one of --approve, --discard, --revise, --list, --claims, --release-claims, not ${actions.map((a) => `--${a}`).join(' and ')}`);
  // Complete with Agent: a new session from a draft plan, instead of a description.
  const from = flags.has('from') ? String(flags.get('from')) : undefined;
  if (from !== undefined && actions.length) throw new UsageError(`--from starts a new session from a draft plan: not with --${actions[0]}`);
  if (from !== undefined && (args.length || flags.has('file'))) throw new UsageError('give --from PLAN (a draft to complete) or a description (or --file), not both');
  if (from !== undefined && !from.trim()) throw new UsageError('--from names the draft plan to complete: waves plan --from <work-packages.yaml>');
  if ((flags.has('claims') || flags.has('release-claims')) && !coordinator)
    throw new UsageError(`--${flags.has('claims') ? 'claims' : 'release-claims'} reads the shared coordinator: give --coordinator postgres://… (or set WAVES_COORDINATOR)`);
  const json = flags.has('json');
  const repo = await planningRepo(process.cwd()).catch(() => null);
  if (!repo) {
    io.err('waves: run waves plan inside a git repository (the plan gets a branch and a worktree of its own)\n');
    return 2;
  }
  try {
    if (flags.has('list')) return list(io, repo, json);
    if (flags.has('claims')) return claims(io, repo, coordinator!, json);
    if (flags.has('release-claims')) return releaseClaims(io, repo, coordinator!, String(flags.get('release-claims')), json);
    if (flags.has('approve')) {
      const { state, shared } = await approvePlanning(repo, String(flags.get('approve')), coordinator ? { coordinator } : {});
      if (json) io.out(JSON.stringify(shared ? { ...state, plannedClaims: shared } : state) + '\n');
      else {
        io.out(`Approved ${state.id} at ${state.approvedCommit!.slice(0, 12)}.\n`);
        if (shared?.ok) {
          io.out(`Registered ${shared.registered} planned claim${shared.registered === 1 ? '' : 's'} of feature ${shared.featureId} in the coordinator: other features' plans see them before they run.\n`);
          plannedWarnings(io, shared.conflicts);
        }
        io.out(`${nextStepsText(state)}\n`);
      }
      if (shared && !shared.ok)
        io.err(`waves: warning: the approval is recorded here, but its planned claims are not in the coordinator: ${shared.message}\n  approve again (waves plan --approve ${state.id}) when it answers: that registers them\n`);
      return 0;
    }
    if (flags.has('discard')) {
      const { state, message, shared } = await discardPlanning(repo, String(flags.get('discard')), coordinator ? { coordinator } : {});
      if (json) io.out(JSON.stringify({ ...state, message, ...(shared ? { plannedClaims: shared } : {}) }) + '\n');
      else io.out(`Discarded ${state.id}: ${message}.\n${shared?.ok ? `Removed its ${shared.removed} planned claim${shared.removed === 1 ? '' : 's'} from the coordinator.\n` : ''}`);
      if (shared && !shared.ok)
        io.err(`waves: warning: the plan is discarded here, but its planned claims stay in the coordinator: ${shared.message}\n  discard again (waves plan --discard ${state.id}) when it answers: that removes them\n`);
      return 0;
    }
    const rounds = positiveInt('rounds', flags.get('rounds'), 0);
    // One round's time limit: beside the editor's waves.planning.roundMinutes.
    const timeoutMs = minutesFlag('round-minutes', flags.get('round-minutes'));
    const limits = { ...(rounds !== undefined ? { repairRounds: rounds } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(confinement ? { confinement } : {}), ...(setupHook ? { setupHook } : {}), ...(copyFiles ? { copyFiles } : {}) };
    // The container as the agent's wall: said before the agent starts (or that it counts for nothing here: not a container).
    const wallNote = containerWallNoteOf(confinement);
    if (wallNote) io.err(`waves: ${wallNote}\n`);
    if (flags.has('revise')) {
      const id = String(flags.get('revise'));
      // Each refusal names its real reason, in this order: no session, approved or discarded, no comments, no agent.
      const state = readPlanning(repo, id);
      if (!state) throw new PlanningError(`no planning session "${id}" in ${repo} (waves plan --list)`);
      const refusal = revisionRefusal(state);
      if (refusal) throw new PlanningError(refusal);
      const comments = describedBy(io, flags.get('file'), args, 'say what to change: waves plan --revise <id> "<comments>" (or --file FILE)');
      const agent = flagsOf(runOption('agent')).some((f) => flags.has(f)) ? agentFrom(flags, true) : rememberedAgent(state);
      const result = await interruptible(io, (signal) => revisePlanning({ repo, id, comments, agent, ...limits, onEvent: progress(io, json), signal }));
      return finish(io, result, json, coordinator);
    }
    const start = from !== undefined ? { from } : { description: describedBy(io, flags.get('file'), args) };
    const where = { cwd: process.cwd(), ...(flags.has('out') ? { out: String(flags.get('out')) } : {}), ...(worktreesFolder ? { worktreesFolder } : {}) };
    if (flags.has('dry-run')) {
      const dry = await planningDryRun({ ...where, ...start });
      if (json) io.out(JSON.stringify(dry) + '\n');
      else io.out(`# waves plan --dry-run: session ${dry.id}, folder ${dry.planDir}/, branch ${dry.branch}, worktree ${dry.worktree}\n\n${dry.prompt}`);
      return 0;
    }
    const agent = agentFrom(flags, true);
    const result = await interruptible(io, (signal) => {
      const run = { ...where, agent, ...limits, onEvent: progress(io, json), signal };
      return start.from !== undefined ? completePlanning({ ...run, from: start.from }) : startPlanning({ ...run, description: start.description! });
    });
    return finish(io, result, json, coordinator);
  } catch (err) {
    // A refusal: nothing was started or changed (exit 2, as every refusal before anything starts).
    if (err instanceof PlanningError || err instanceof RangeError) {
      io.err(`waves: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ConfinementUnavailableError) {
      io.err(`waves: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

/** The agent a session was planned with (a revision without --agent runs it again), found here; else a refusal naming why. */
function rememberedAgent(state: PlanningState) {
  const remembered = sessionAgent(state);
  if ('problem' in remembered) throw new PlanningError(`${remembered.problem}: name the agent with --agent or --agent-argv`);
  const missing = agentNotFound(remembered.agent);
  if (missing) throw new PlanningError(`${missing} (the agent ${state.id} was planned with): install it, or name another with --agent / --agent-argv`);
  return remembered.agent;
}

/** The description (or comments): `--file FILE`, else the words given. */
function describedBy(io: Io, file: string | true | undefined, args: readonly string[], none = 'describe the feature: waves plan "<description>" (or --file FILE)'): string {
  if (file !== undefined && args.length) throw new UsageError('give the text or --file, not both');
  if (file !== undefined) {
    try {
      return io.readFile(String(file));
    } catch (err) {
      throw new UsageError(`cannot read ${String(file)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  const text = args.join(' ');
  if (!text.trim()) throw new UsageError(none);
  return text;
}

/** Ctrl-C stops the round's agent (its runner's cancel) and ends the session as it stands; a second Ctrl-C exits at once. */
async function interruptible<T>(io: Io, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onInt = () => {
    if (abort.signal.aborted) process.exit(130);
    io.err('waves: stopping the planning agent (Ctrl-C again to exit at once)…\n');
    abort.abort();
  };
  process.on('SIGINT', onInt);
  try {
    return await run(abort.signal);
  } finally {
    process.off('SIGINT', onInt);
  }
}

function progress(io: Io, json: boolean): (e: PlanningEvent) => void {
  return (e) => {
    if (json) {
      io.out(JSON.stringify(e) + '\n');
      return;
    }
    if (e.kind === 'worktree') io.out(`planning ${e.id} in ${e.worktree} (branch ${e.branch})\n`);
    else if (e.kind === 'round-started') io.out(`round ${e.round}: ${roundPurposeText(e)}…\n`);
    else if (e.kind === 'round-ended') {
      const r = e.round;
      const parts = [`${r.errors} error${r.errors === 1 ? '' : 's'}`, `${r.warnings} warning${r.warnings === 1 ? '' : 's'}`];
      if (r.refused.length) parts.push(`refused (outside the planning folder): ${r.refused.join(', ')}`);
      if (r.failure) parts.push(`the agent: ${r.failure}`);
      io.out(`round ${r.n} ended: ${parts.join('; ')}\n`);
    }
  };
}

async function finish(io: Io, result: PlanningResult, json: boolean, coordinator: CoordinatorOptions | undefined): Promise<number> {
  const { state, planFile, analysis } = result;
  // Other features' planned claims this proposal meets: before anyone approves or runs it.
  const planned = coordinator && analysis ? await conflictsWithPlanned(result.repo, coordinator, analysis.plan.feature?.id?.trim() || state.id, analysis.plan) : undefined;
  if (json) io.out(JSON.stringify({ state, planFile, report: analysis ? toReport(planFile, analysis) : null, ...(planned ? { plannedClaims: planned } : {}) }) + '\n');
  else {
    if (analysis) io.out(humanReport(toReport(planFile, analysis)));
    else io.out(`${planFile}: missing — the agent wrote no plan\n`);
    // What the session checks beyond the plan checker (a session from a draft: every task kept).
    for (const p of result.problems.filter((x) => x.code === DROPPED_TASK_CODE)) io.out(`  ${p.severity} ${p.code}: ${p.message}\n`);
    if (planned) plannedReport(io, planned);
    io.out(nextStepsText(state) + '\n');
  }
  return state.status === 'valid' ? 0 : 1;
}

/** Other features' planned claims a plan meets: one warning line each (stdout). */
export function plannedWarnings(io: Io, conflicts: readonly PlannedConflict[]): void {
  for (const c of conflicts) io.out(`  warning planned-claim-${c.exact ? 'same-key' : 'overlap'}: ${plannedConflictText(c)}\n`);
}

/** What the coordinator says of other features' planned claims for a plan (`waves plan`, `waves validate`): none, the warnings, or why it cannot tell (stderr). */
export function plannedReport(io: Io, planned: SharedResult<{ conflicts: PlannedConflict[] }>): void {
  if (!planned.ok) io.err(`waves: warning: other features' planned claims could not be read: ${planned.message}\n`);
  else if (planned.conflicts.length === 0) io.out(`no other feature's approved plan claims what this plan writes or locks (coordinator)\n`);
  else {
    io.out(`${planned.conflicts.length} planned claim${planned.conflicts.length === 1 ? '' : 's'} of other features' approved plans met (coordinator):\n`);
    plannedWarnings(io, planned.conflicts);
  }
}

/** The coordinator's planned claims of this repository, a line per feature. */
async function claims(io: Io, repo: string, coordinator: CoordinatorOptions, json: boolean): Promise<number> {
  const read = await listPlannedClaims(repo, coordinator);
  if (!read.ok) {
    io.err(`waves: the planned claims could not be read: ${read.message}\n`);
    return 1;
  }
  const features = plannedFeatures(read.claims);
  if (json) io.out(JSON.stringify({ features, claims: read.claims }) + '\n');
  else if (!features.length) io.out('no approved plan of this repository has planned claims in the coordinator\n');
  else {
    io.out(`${features.length} feature${features.length === 1 ? '' : 's'} with planned claims in the coordinator:\n`);
    for (const f of features) io.out(`  ${plannedFeatureText(f)}\n`);
    io.out('A run of a feature in which every package succeeds removes its claims, and so does discarding its plan (waves plan --discard <session>); claims whose session is gone: waves plan --release-claims <feature>\n');
  }
  return 0;
}

/** Releases a feature's planned claims, whoever approved them; a feature without any: exit 1, naming those with some. */
async function releaseClaims(io: Io, repo: string, coordinator: CoordinatorOptions, featureId: string, json: boolean): Promise<number> {
  const done = await releasePlannedClaims(repo, coordinator, featureId);
  if (!done.ok) {
    io.err(`waves: the planned claims could not be released: ${done.message}\n`);
    return 1;
  }
  const [feature] = plannedFeatures(done.released);
  if (json) io.out(JSON.stringify({ featureId, released: done.released.length, ...(feature ? { feature } : {}), others: done.others }) + '\n');
  else if (feature) io.out(`Released the planned claims of ${plannedFeatureText(feature)}.\n`);
  if (!feature && !json)
    io.err(`waves: feature ${featureId} has no planned claims in the coordinator${done.others.length ? ` (features with some: ${done.others.join(', ')})` : ''}\n`);
  return feature ? 0 : 1;
}

function list(io: Io, repo: string, json: boolean): number {
  const all: PlanningState[] = listPlannings(repo);
  if (json) io.out(JSON.stringify({ plans: all }) + '\n');
  else if (!all.length) io.out(`no planning sessions in ${repo}\n`);
  else
    for (const s of all) {
      const rounds = agentRounds(s);
      io.out(`${s.id}  ${s.status}  ${path.join(s.planDir, 'work-packages.yaml')}  (${rounds} round${rounds === 1 ? '' : 's'}${s.draft ? `, from the draft ${s.draft.file}` : ''})\n`);
    }
  return 0;
}

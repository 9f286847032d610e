/**
 * Planning sessions (ADR 0013): an agent writes the plan in a planning worktree of
 * its own, the exact checker repairs it, the person approves or discards it.
 *
 * One session: `<repo>/.waves/plans/<id>/state.json` (its rounds in `<id>/<n>/`, laid out
 * like an attempt folder), the branch `waves-plan/<id>` started at the person's HEAD, and its
 * worktree `<repo>.worktrees/_plans/<id>`. Each round the agent runs headless through the
 * runner (dist/runner.js: argv, no shell, watchdog) in that worktree with the planning
 * prompt; when it exits, whatever it left is committed, that ONE commit (by id, ADR 0007) is
 * audited against the planning folder, and only the changes inside it are kept — as one
 * commit on top of the previous round's, so the branch only ever holds audited content. The
 * plan is then analysed exactly (`analyzePlan`); its problems go back to the agent as a
 * repair prompt, up to the repair-round limit. Nothing touches the person's branch or
 * files; nothing runs a plan until the person approves it (`proposalGate`, planApproval.ts,
 * with approving and discarding a session). Reading sessions: planningRead.ts; what a round
 * leaves, audited and kept: planningAccept.ts.
 *
 * A session may start from a draft plan instead of a description (`completePlanning`, Complete
 * with Agent): round 0 commits the draft and its task lists (draft.ts), the agent's first round
 * completes it (core/planning/draftCompletion.ts), then the same loop.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { analyzePlan, type PlanAnalysis } from '../../core/plan/analyze';
import type { AgentProfile } from '../../core/agents/agentProfiles';
import { interruptionOf } from '../../core/agents/exitJudgement';
import { buildCompletionPrompt, draftDescription, draftScope, droppedTaskProblems, droppedTaskSeverity, type DraftForPrompt } from '../../core/planning/draftCompletion';
import { DEFAULT_REPAIR_ROUNDS, DEFAULT_ROUND_MINUTES, PLANNING_BRANCH_PREFIX, PLANS_FOLDER, revisionRefusal, sessionAgent, sessionAgentRecord, planningFolder, planningId, planningPaths, planningScope, problemsOf, type PlanProblem, type PlanningPaths, type PlanningPromptInput, type DraftOrigin, type PlanningRound, type PlanningState, type RefusedChange, type RepoContext } from '../../core/planning/planningSession';
import { buildPlanningPrompt } from '../../core/planning/planningPrompt';
import { attemptFiles } from '../../core/run/runPaths';
import { writeAtomic } from '../../store/atomicWrite';
import { checkEngineFolder } from '../../store/engineFolder';
import { changedSince, createWorktree, ensureExcluded, gitOut, revParse } from '../git';
import { ConfinementUnavailableError, containerHere, defaultRunnerScript, keepBounds, localAttempts, opensWalls, readyTree, repositoryOpensWalls, repositoryTurnsContainerOn, runnerSpec, wallsOption, type Confinement, type Launcher } from '../attempt';
import { PlanningError } from './planningError';
import { loadDraft, taskKeysOf, writeDraftFiles, type ReadDraft } from './draft';
import { planFileOf, planningRepo, readPlanning, readPlanText, repoContext } from './planningRead';
import { acceptRound, putSetupBack } from './planningAccept';

export { listPlannings, planFileOf, planningRepo, readPlanning, repoContext } from './planningRead';
export { PlanningError };

export type PlanningEvent =
  | { kind: 'worktree'; id: string; worktree: string; branch: string }
  | { kind: 'round-started'; id: string; round: number; purpose: PlanningRound['purpose']; repair: number; of: number }
  | { kind: 'round-ended'; id: string; round: PlanningRound }
  | { kind: 'done'; id: string; status: PlanningState['status'] };

export interface PlanningRunOptions {
  agent: AgentProfile;
  /** Repair rounds after the first; default 3. */
  repairRounds?: number;
  launcher?: Launcher;
  runnerScript?: string;
  worktreesFolder?: string;
  /** Extra environment for the agent. */
  env?: Record<string, string>;
  /** One round's time limit; default 30 minutes; null: none. */
  timeoutMs?: number | null;
  graceMs?: number;
  /** How often the round's exit record is looked for; default 200 ms. */
  pollMs?: number;
  clock?: () => Date;
  onEvent?: (event: PlanningEvent) => void;
  /** Aborting stops the agent (its runner's cancel) and ends the session as it stands. */
  signal?: AbortSignal;
  /** The planning agent's walls (ADR 0019), as a run's: on unless the person chose otherwise. */
  confinement?: Confinement;
  /** The set-up command and the copy list: the planning worktree readied before its agent as a package's tree is. */
  setupHook?: string[];
  copyFiles?: string[];
}

export interface StartPlanningOptions extends PlanningRunOptions {
  /** A folder in the repository (default `process.cwd()`). */
  cwd?: string;
  description: string;
  /** The planning folder, repository-relative (default: `openspec/changes/<id>` or `plans/<id>`). */
  out?: string;
}

/** Complete with Agent: a session that starts from a draft plan (ADR 0013, "A session from a draft"). */
export interface CompletePlanningOptions extends PlanningRunOptions {
  /** A folder in the repository (default `process.cwd()`). */
  cwd?: string;
  /** The draft plan, absolute or relative to `cwd`: a file of the repository (a converted plan, or any plan to complete). */
  from: string;
  /** The planning folder, repository-relative (default: `openspec/changes/<id>` or `plans/<id>`). */
  out?: string;
}

export interface PlanningResult {
  /** The repository (the person's checkout). */
  repo: string;
  state: PlanningState;
  /** The proposed plan's file, in the planning worktree. */
  planFile: string;
  /** The plan's analysis (null when the file is missing). */
  analysis: PlanAnalysis | null;
  problems: PlanProblem[];
}

/** What `waves plan --dry-run` shows: the session that would be made and its first prompt. */
export interface PlanningDryRun {
  id: string;
  repo: string;
  planDir: string;
  branch: string;
  worktree: string;
  prompt: string;
}

// ---------------------------------------------------------------------------------------
// Start, revise

/**
 * The session `startPlanning` (or, with `from`, `completePlanning`) would make, and its first
 * agent round's prompt; creates nothing.
 */
export async function planningDryRun(options: { cwd?: string; out?: string; worktreesFolder?: string } & ({ description: string; from?: undefined } | { from: string; description?: undefined })): Promise<PlanningDryRun> {
  const cwd = options.cwd ?? process.cwd();
  const repo = await planningRepo(cwd);
  const draft = options.from !== undefined ? await loadDraft(repo, cwd, options.from) : null;
  const context = await repoContext(repo);
  const description = draft ? descriptionOf(draft) : options.description!;
  const id = await freeId(repo, description);
  const planDir = planningFolder({ id, openspec: context.openspec, ...(options.out !== undefined ? { out: options.out } : {}) });
  const paths = planningPaths(repo, id, options.worktreesFolder);
  const base = { id, description, planDir, worktree: paths.worktree, context };
  const prompt = draft
    ? buildCompletionPrompt({ ...base, origin: originOf(draft), draft: { text: draft.text, problems: problemsOf(draft.analysis) }, unread: draft.unread })
    : buildPlanningPrompt(base);
  return { id, repo, planDir, branch: paths.branch, worktree: paths.worktree, prompt };
}

function descriptionOf(draft: ReadDraft): string {
  const feature = draft.analysis.plan.feature;
  return draftDescription({ file: draft.file, sources: draft.sources.map((s) => s.source), title: feature?.title, featureId: feature?.id });
}

function originOf(draft: ReadDraft): DraftOrigin {
  return { file: draft.file, sources: draft.sources.map((s) => s.source), copies: draft.sources.map((s) => s.copy), tasks: draft.tasks };
}

async function freeId(repo: string, description: string): Promise<string> {
  const branches = new Set((await gitOut(repo, ['for-each-ref', '--format=%(refname:short)', `refs/heads/${PLANNING_BRANCH_PREFIX}`]).catch(() => '')).split('\n').filter(Boolean));
  return planningId(description, (id) => branches.has(`${PLANNING_BRANCH_PREFIX}${id}`) || fs.existsSync(path.join(repo, PLANS_FOLDER, id)));
}

/** A new session: its worktree and branch from the person's HEAD, the first round and the repair rounds. */
export async function startPlanning(options: StartPlanningOptions): Promise<PlanningResult> {
  if (!options.description.trim()) throw new PlanningError('describe the feature to plan (a few lines, or a file)');
  const { repo, head } = await sessionRepo(options);
  const { paths, state, context } = await newSession(repo, head, options.description, options, null);
  return runRounds(repo, paths, state, context, options, {});
}

/**
 * Complete with Agent: a new session from a draft plan. Round 0 commits the draft and the task
 * lists it links to (read-only) into the planning folder, audited as any round's files; the
 * agent's first round completes the draft — its guesses settled, no task dropped — with the
 * checker's problems on it; then the repair rounds and the approval of every session.
 */
export async function completePlanning(options: CompletePlanningOptions): Promise<PlanningResult> {
  const cwd = options.cwd ?? process.cwd();
  const { repo, head } = await sessionRepo(options);
  const draft = await loadDraft(repo, cwd, options.from);
  const { paths, state, context } = await newSession(repo, head, descriptionOf(draft), options, originOf(draft));
  const first = await commitDraft(repo, paths, state, draft, options);
  return runRounds(repo, paths, state, context, options, { draft: first, unread: draft.unread });
}

/** The repository and its HEAD a new session starts from; refusals before anything is made. */
async function sessionRepo(options: { cwd?: string; agent: AgentProfile }): Promise<{ repo: string; head: string }> {
  if (options.agent.interactive) throw new PlanningError(`planning runs its agent headless; ${options.agent.id} needs a terminal — choose a headless preset`);
  const repo = await planningRepo(options.cwd ?? process.cwd());
  const head = await revParse(repo, 'HEAD');
  if (!head) throw new PlanningError(`${repo} has no commit yet: commit something first (the plan's branch starts from HEAD)`);
  return { repo, head };
}

/** A session's id, folder, worktree and branch from HEAD, and its first state; said by the `worktree` event. */
async function newSession(
  repo: string,
  head: string,
  description: string,
  options: Pick<StartPlanningOptions, 'out' | 'worktreesFolder' | 'agent' | 'clock' | 'onEvent'>,
  draft: DraftOrigin | null,
): Promise<{ paths: PlanningPaths; state: PlanningState; context: RepoContext }> {
  const context = await repoContext(repo);
  const id = await freeId(repo, description);
  const planDir = planningFolder({ id, openspec: context.openspec, ...(options.out !== undefined ? { out: options.out } : {}) });
  const paths = planningPaths(repo, id, options.worktreesFolder);
  await prepareFolder(repo, paths);
  await ensureExcluded(repo);
  const tree = await createWorktree({ repo, path: paths.worktree, branch: paths.branch, base: head, reason: `Wave Orchestrator: planning ${id}` });
  const state: PlanningState = {
    version: 1,
    id,
    description,
    planDir,
    branch: paths.branch,
    worktree: paths.worktree,
    baseSha: tree.baseSha,
    ...sessionAgentRecord(options.agent),
    status: 'planning',
    rounds: [],
    createdAt: now(options).toISOString(),
    approvedCommit: null,
    discardedTip: null,
    ...(draft ? { draft } : {}),
  };
  await saveState(repo, paths, state);
  options.onEvent?.({ kind: 'worktree', id, worktree: paths.worktree, branch: paths.branch });
  return { paths, state, context };
}

/**
 * Round 0 of a session from a draft: the draft and its task lists written into the planning
 * folder, committed and audited as an agent round's files are (`acceptRound`, the folder's scope),
 * the plan analysed. No agent runs in it.
 */
async function commitDraft(repo: string, paths: PlanningPaths, state: PlanningState, draft: ReadDraft, options: PlanningRunOptions): Promise<DraftForPrompt> {
  const of = Math.max(0, options.repairRounds ?? DEFAULT_REPAIR_ROUNDS);
  options.onEvent?.({ kind: 'round-started', id: state.id, round: 0, purpose: 'draft', repair: 0, of });
  const clock = () => now(options).toISOString();
  const round: PlanningRound = { n: 0, purpose: 'draft', startedAt: clock(), endedAt: null, exitCode: null, commit: null, errors: 0, warnings: 0, refused: [], failure: null, interrupted: null };
  try {
    writeDraftFiles(state.worktree, state.planDir, draft);
  } catch (err) {
    // The committed tree has a link (or a file) where the planning folder goes: nothing is written through it, no agent starts.
    round.failure = (err as Error).message;
    round.endedAt = clock();
    state.rounds.push(round);
    state.status = 'invalid';
    await saveState(repo, paths, state);
    options.onEvent?.({ kind: 'round-ended', id: state.id, round });
    options.onEvent?.({ kind: 'done', id: state.id, status: state.status });
    throw new PlanningError(`${round.failure}\nNo agent was started; the session ${state.id} is kept: waves plan --discard ${state.id} removes it (or give another folder: --out)`);
  }
  const accepted = await acceptRound(state, state.baseSha, 0, 'draft', planningScope(state.planDir));
  const { text, missing } = readPlanText(state);
  const problems = missing ? [] : problemsOf(analyzePlan(text));
  round.commit = accepted.commit;
  round.refused = accepted.refused.map((r) => r.path);
  round.errors = problems.filter((p) => p.severity === 'error').length + (missing ? 1 : 0);
  round.warnings = problems.filter((p) => p.severity === 'warning').length;
  round.endedAt = clock();
  state.rounds.push(round);
  await saveState(repo, paths, state);
  options.onEvent?.({ kind: 'round-ended', id: state.id, round });
  return { text: missing ? draft.text : text, problems };
}

/**
 * The person's comments back to the agent (Request changes): a revision round, then repairs as
 * needed. Without `agent`, the session's own agent (`sessionAgent`: it remembers it). Refusals in
 * this order: no session, approved or discarded, no comments, no agent.
 */
export async function revisePlanning(options: Omit<PlanningRunOptions, 'agent'> & { agent?: AgentProfile; repo: string; id: string; comments: string }): Promise<PlanningResult> {
  const { repo, id } = options;
  const state = readPlanning(repo, id);
  if (!state) throw new PlanningError(`no planning session "${id}" in ${repo}`);
  const refusal = revisionRefusal(state);
  if (refusal) throw new PlanningError(refusal);
  if (!options.comments.trim()) throw new PlanningError('say what to change');
  const remembered = options.agent ? { agent: options.agent } : sessionAgent(state);
  if ('problem' in remembered) throw new PlanningError(`${remembered.problem}: name the agent (--agent or --agent-argv)`);
  const agent = remembered.agent;
  if (agent.interactive) throw new PlanningError(`planning runs its agent headless; ${agent.id} needs a terminal`);
  const paths = planningPaths(repo, id, path.dirname(path.dirname(state.worktree)));
  if (!fs.existsSync(state.worktree)) throw new PlanningError(`the planning worktree ${state.worktree} is gone; start a new plan`);
  const context = await repoContext(state.worktree);
  Object.assign(state, sessionAgentRecord(agent)); // the agent named for this revision is the session's from now on
  return runRounds(repo, paths, state, context, { ...options, agent }, { comments: options.comments });
}

async function runRounds(
  repo: string,
  paths: PlanningPaths,
  state: PlanningState,
  context: RepoContext,
  options: PlanningRunOptions,
  first: { comments?: string; draft?: DraftForPrompt; unread?: string[] },
): Promise<PlanningResult> {
  // The container as the agent's wall is the person's choice alone: never the repository's dev container configuration's.
  const turnedOn = options.confinement?.container && !options.confinement.unconfined ? repositoryTurnsContainerOn(repo) : null;
  if (turnedOn) throw new PlanningError(`the container-as-wall choice is yours alone, and the repository turns it on (${turnedOn}): take it out there. No agent was started`);
  // Inside a container, walls its dev container configuration opens are the repository's doing (as for a run).
  const opened = opensWalls(options.confinement) && containerHere() ? repositoryOpensWalls(repo) : null;
  if (opened) throw new PlanningError(`the agents' walls are yours alone to open, and this repository's dev container opens them (${opened}): take it out there and rebuild the container. No agent was started`);
  // The copy list, then the set-up command (inside the agent's walls) until it ran to the end in this tree; its log in the session's folder.
  const walls = wallsOption(options.confinement);
  if ('unavailable' in walls) throw new ConfinementUnavailableError(walls.unavailable, walls.fix);
  const hookWalls = 'walls' in walls ? { ...walls.walls, runnerScript: options.runnerScript ?? defaultRunnerScript() } : undefined;
  await readyTree({ repo, tree: state.worktree, branch: state.branch, dir: paths.dir, ...(options.setupHook ? { setupHook: options.setupHook } : {}), ...(options.copyFiles ? { copyFiles: options.copyFiles } : {}), ...(hookWalls ? { walls: hookWalls } : {}) }).catch((err: Error) => {
    throw new PlanningError(`${err.message}\nNo agent was started; the session ${state.id} is kept (its set-up log: ${path.join(paths.dir, 'setup.log')}): waves plan --revise ${state.id} runs it again, waves plan --discard ${state.id} removes it`);
  });
  const of = Math.max(0, options.repairRounds ?? DEFAULT_REPAIR_ROUNDS);
  state.status = 'planning';
  let repairs = 0;
  let repair: PlanningPromptInput['repair'];
  let purpose: PlanningRound['purpose'] = first.comments !== undefined ? 'revise' : first.draft ? 'complete' : state.rounds.length ? 'repair' : 'write';
  let last: { analysis: PlanAnalysis | null; problems: PlanProblem[] } = { analysis: null, problems: [] };
  for (;;) {
    const n = nextRound(paths, state);
    options.onEvent?.({ kind: 'round-started', id: state.id, round: n, purpose, repair: repairs, of });
    const input = {
      id: state.id,
      description: state.description,
      planDir: state.planDir,
      worktree: state.worktree,
      context,
      ...(repair ? { repair } : {}),
      ...(purpose === 'revise' ? { revision: { comments: first.comments ?? '' } } : {}),
    };
    // A session from a draft: every round's prompt is the completion prompt (the draft quoted in the first).
    const prompt = state.draft
      ? buildCompletionPrompt({ ...input, origin: state.draft, ...(purpose === 'complete' && first.draft ? { draft: first.draft, unread: first.unread ?? [] } : {}) })
      : buildPlanningPrompt(input);
    const { round, refused } = await runRound(repo, paths, state, n, purpose, prompt, options);
    const { text, missing, refused: planRefused } = readPlanText(state);
    if (planRefused) {
      refused.push(planRefused);
      round.refused.push(`${planRefused.path} (${planRefused.message})`);
    }
    const analysis = missing ? null : analyzePlan(text);
    const problems = analysis ? problemsOf(analysis) : [];
    // A session from a draft keeps every task of it: one dropped is an error — a warning once the person asked for changes (they may have asked for it).
    if (analysis && state.draft?.tasks.length) {
      problems.unshift(...droppedTaskProblems(state.draft.tasks, taskKeysOf(analysis.plan), droppedTaskSeverity([...state.rounds, { purpose }])));
    }
    round.errors = problems.filter((p) => p.severity === 'error').length + (missing ? 1 : 0);
    round.warnings = problems.filter((p) => p.severity === 'warning').length;
    state.rounds.push(round);
    last = { analysis, problems };
    const valid = !missing && analysis!.valid && !problems.some((p) => p.severity === 'error');
    // An agent that failed (could not start, exited with an error, hit a limit) and left nothing is not asked again.
    const gaveUp = round.failure !== null && round.commit === null;
    const stop = valid || repairs >= of || gaveUp || options.signal?.aborted === true;
    // A round stopped before its agent ended: what it wrote is kept, but it is not a complete round, valid or not.
    if (stop) state.status = round.interrupted ? 'interrupted' : valid ? 'valid' : 'invalid';
    await saveState(repo, paths, state);
    options.onEvent?.({ kind: 'round-ended', id: state.id, round });
    if (stop) break;
    repairs++;
    purpose = 'repair';
    repair = { round: repairs, of, missing, problems, refused };
  }
  options.onEvent?.({ kind: 'done', id: state.id, status: state.status });
  return { repo, state, planFile: planFileOf(state), ...last };
}

function nextRound(paths: PlanningPaths, state: PlanningState): number {
  let n = Math.max(0, ...state.rounds.map((r) => r.n)) + 1;
  while (fs.existsSync(paths.round(n))) n++; // a round folder left by a session that crashed is kept
  return n;
}

/**
 * One agent round: an attempt in the planning worktree, supervised as a package's is (attempt/supervise.ts:
 * its walls, spec, stop, exit record and judgement), then the audit that keeps only the planning folder's changes.
 */
async function runRound(repo: string, paths: PlanningPaths, state: PlanningState, n: number, purpose: PlanningRound['purpose'], prompt: string, options: PlanningRunOptions): Promise<{ round: PlanningRound; refused: RefusedChange[] }> {
  const clock = () => now(options).toISOString();
  const round: PlanningRound = { n, purpose, startedAt: clock(), endedAt: null, exitCode: null, commit: null, errors: 0, warnings: 0, refused: [], failure: null, interrupted: null };
  const dir = paths.round(n);
  const place = { packageId: 'planning', attempt: n, dir, files: attemptFiles(dir) };
  // The planning agent runs inside the same walls as a package's: none to be had, nothing starts.
  const { supervisor, walled } = localAttempts({ repoRoot: repo, featureId: state.id, confinement: options.confinement, launcher: options.launcher, runnerScript: options.runnerScript, timing: { pollMs: options.pollMs } });
  const prev = (await revParse(state.worktree, `refs/heads/${state.branch}`)) ?? state.baseSha;
  const token = randomBytes(16).toString('hex');
  const spec = runnerSpec({
    agent: options.agent,
    place,
    worktree: state.worktree,
    feature: state.id,
    token,
    walled,
    env: { ...options.env, WAVES_PLANNING_ID: state.id, WAVES_PLAN_DIR: state.planDir },
    timeoutMs: options.timeoutMs === undefined ? DEFAULT_ROUND_MINUTES * 60_000 : options.timeoutMs,
    graceMs: options.graceMs,
  });
  checkEngineFolder(repo, paths.dir, { below: true });
  // The person's checkout and the repository's git set-up before the agent starts: compared after it (and the set-up put back).
  const { checkout: before, setup } = await keepBounds(repo);
  await supervisor.write(place, prompt, spec);
  try {
    const attempt = await supervisor.start({ attempt: place, startToken: token, title: `waves plan: ${state.id} #${n}`, cwd: state.worktree, interactive: false }, options.signal);
    const end = await attempt.ended();
    if (end.exit) {
      round.exitCode = end.exit.code;
      // A round failed when its agent did not end cleanly, or said it failed; in the runner's words.
      const { exit, judgement } = end;
      if (judgement.end !== 'clean' || judgement.saidFailed !== null) round.failure = exit.reason || (exit.verdict?.detail ?? `the agent exited ${exit.code ?? exit.signal}`);
    } else {
      round.failure = end.lost;
    }
    round.interrupted = interruptionOf(end);
  } catch (err) {
    round.failure = `the agent could not start: ${(err as Error).message}`;
  }
  // Put back before the engine's git works in the planning worktree: a planted filter would run in its `add` and `checkout`.
  const setupRefused = setup ? await putSetupBack(repo, setup, state.id, n) : null;
  const accepted = await acceptRound(state, prev, n, purpose, state.draft ? draftScope(state.planDir, state.draft.copies) : planningScope(state.planDir));
  const refused = [
    ...(setupRefused ? [setupRefused] : []),
    ...accepted.refused,
    ...(await changedSince(repo, before)).map((p) => ({ path: `(the person's checkout) ${p}`, message: "changed in the person's checkout during the round: write only in the planning folder" })),
  ];
  round.commit = accepted.commit;
  round.refused = refused.map((r) => r.path);
  round.endedAt = clock();
  return { round, refused };
}

// ---------------------------------------------------------------------------------------

async function prepareFolder(repo: string, paths: PlanningPaths): Promise<void> {
  checkEngineFolder(repo);
  await fs.promises.mkdir(paths.dir, { recursive: true });
  checkEngineFolder(repo, paths.dir, { below: true });
}

/** Writes a session's state.json (planApproval.ts too). */
export async function saveState(repo: string, paths: PlanningPaths, state: PlanningState): Promise<void> {
  checkEngineFolder(repo, paths.dir);
  await writeAtomic(paths.state, JSON.stringify(state, null, 2) + '\n');
}

function now(options: { clock?: () => Date }): Date {
  return options.clock ? options.clock() : new Date();
}

/** Whether two paths are the same file (links resolved). */
export function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      // gone, or not there yet: compared as resolved
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}


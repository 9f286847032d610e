/**
 * `waves run`: the arguments parsed into a start request, the questions asked on the
 * terminal, the refusals and the progress shown. Every step of a start is the engine's one
 * use case (`startRun`, front door), the one the editor calls too. Exit codes: 0 every
 * package succeeded, 1 not, 2 nothing was started — usage or plan errors and every refusal of
 * the start (a proposal not approved, commands not approved, another driver, …) —, 75
 * paused at a usage limit.
 */
import path from 'node:path';
import { sanitize } from '../core/present/terminalText';
import { type ProgressPackage } from '../core/present/progressModel';
import { visibleText } from '../core/present/visibleText';
import { queueRun, repositoryRoot, RunEngine, isRemote, type DryRun, type QueueRun, type ScopeRequestAsked, type SubPlanAsked } from '../engine';
import { parseArgs, positiveInt, UsageError } from './args';
import { askYesNo, type Io } from './io';

import { checkAgentFound, coordinatorFrom, planArg, rel, repeatedFlags, runAgentsFrom, runChoicesFrom, runFlags, unsafeNote, worktreeAndWallsFrom } from './runArgs';
import { ProgressOutput } from './progressOutput';
import { containerWallNoteOf, dryRunOf, plannedConflictText, RUN_AGAIN, SourceTickQueue, startRequestFrom, startRun, type ForecastResult, type RunOutcome, type StartRefusal, type StartRequest } from '../engine';
import { forecastLines } from '../core/run/forecast';
import { hostsInputFrom } from './hostsCommand';

function printDryRun(io: Io, engine: RunEngine, dry: DryRun, forecast: ForecastResult, json: boolean, maxParallel: number, mode: string): void {
  // Past run states that could not be read: skipped, said once.
  for (const p of forecast.problems) io.err(`waves: ${sanitize(p)}\n`);
  if (json) {
    io.out(
      JSON.stringify({
        featureId: engine.featureId,
        repoRoot: engine.repoRoot,
        planFile: engine.planFile,
        maxParallel,
        mode,
        order: dry.order,
        forecast: forecast.forecast,
        prompts: dry.prompts,
      }) + '\n',
    );
    return;
  }
  const lines = [
    `${engine.featureId}: ${dry.prompts.length} package${dry.prompts.length === 1 ? '' : 's'}, at most ${maxParallel} at once (${mode}); nothing is started or written.`,
    'Starts, when every package succeeds (each step waits for the one before):',
    ...dry.order.map((ids, k) => `  ${k + 1}. ${ids.join(', ')}`),
    ...forecastLines(forecast.forecast).map(sanitize),
  ];
  io.out(lines.join('\n') + '\n');
  for (const p of dry.prompts) {
    io.out(`\n===== prompt of ${p.packageId} (run writes it to ${rel(p.file)}) =====\n`);
    io.out(p.text.endsWith('\n') ? p.text : `${p.text}\n`);
  }
}

export async function runCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(
    argv,
    ['only', 'resume', 'dry-run', 'json', 'timeout-grace', 'answer', 'coordinator', 'coordinator-repository', 'hosts', 'on-host-lost', 'allow-planned-overlap', 'tick-source', 'scope-requests', 'workers', ...runFlags()],
    ['only', 'timeout-grace', 'answer', 'coordinator', 'coordinator-repository', 'hosts', 'on-host-lost', 'scope-requests', 'workers', ...runFlags(true)],
    repeatedFlags(),
  );
  // `--hosts FILE` (or WAVES_HOSTS): packages placed on this machine and SSH hosts (ADR 0011); checked by the start.
  const hosts = hostsInputFrom(flags);
  const onHostLost = flags.has('on-host-lost') ? String(flags.get('on-host-lost')) : 'wait';
  if (onHostLost !== 'wait' && onHostLost !== 'retry') throw new UsageError(`--on-host-lost is wait or retry, not "${onHostLost}"`);
  // `--scope-requests ask|grant|refuse`: an agent's request for more write scope (already checked
  // against every other package's) asked on the terminal (the default; refused without one),
  // granted without asking, or refused.
  const scopeRequests = flags.has('scope-requests') ? String(flags.get('scope-requests')) : 'ask';
  if (scopeRequests !== 'ask' && scopeRequests !== 'grant' && scopeRequests !== 'refuse') throw new UsageError(`--scope-requests is ask, grant or refuse, not "${scopeRequests}"`);
  // `--coordinator postgres://…` (or WAVES_COORDINATOR): locks, the lease across clones and the registry in PostgreSQL (ADR 0012).
  const coordinator = coordinatorFrom(flags);
  // `--workers REMOTE` (early, ADR 0037): the agents work on pull workers that claim the packages from the coordinator's queue; audits, verification and merges stay here.
  const workersRemote = flags.has('workers') ? String(flags.get('workers')) : undefined;
  if (workersRemote !== undefined && !coordinator) throw new UsageError('--workers needs --coordinator (the queue is there)');
  if (workersRemote !== undefined && hostsInputFrom(flags)) throw new UsageError('--workers and --hosts do not go together');
  // `--allow-planned-overlap`: go ahead even when another feature's approved plan claims one of this plan's lock keys.
  if (flags.has('allow-planned-overlap') && !coordinator) throw new UsageError('--allow-planned-overlap needs --coordinator');
  // The agents (the table both front ends read): `--agent` / `--agent-argv` (else the default
  // agent), `--agent-fallback` after a usage limit, `--agent-cap` per agent; headless only.
  const { agent, agentFallback, agentCaps } = runAgentsFrom(flags);
  // `--answer ID=TEXT`: the person's answer to the question the package's last attempt ended with.
  let answers: Record<string, string> | undefined;
  if (flags.has('answer')) {
    const raw = String(flags.get('answer'));
    const eq = raw.indexOf('=');
    if (eq <= 0 || !raw.slice(eq + 1).trim()) throw new UsageError('--answer needs PACKAGE=TEXT (the answer to the question that package asked)');
    answers = { [raw.slice(0, eq)]: raw.slice(eq + 1) };
  }
  // The run's own choices (the table both front ends read): the cap, `--candidates N` (else
  // WAVES_CANDIDATES; best of n, ADR 0031), the schedule, the usage limit, the budgets; the review
  // gate and the integration guard only when given (a resumed run keeps its own).
  const { maxParallel, mode, candidates, onUsageLimit, budget, review, integrationGuard } = runChoicesFrom(flags);
  const file = planArg(args, 'run');
  // The worktrees' and the walls' options (the table both front ends read): the walls on by default,
  // `--unconfined` only by choice; the set-up command, the copy list, the worktrees' folder.
  const { confinement, setupHook, copyFiles, worktreesFolder, layered } = worktreeAndWallsFrom(flags);
  const grace = positiveInt('timeout-grace', flags.get('timeout-grace'), 0);
  const only = flags.has('only')
    ? String(flags.get('only'))
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
  if (only && only.length === 0) throw new UsageError('--only needs package ids, separated by commas');
  const json = flags.has('json');
  const dry = flags.has('dry-run');
  if (dry && flags.has('resume')) throw new UsageError('--dry-run and --resume do not go together');
  // With hosts and none of them this machine, the agent is checked on the hosts (waves hosts check), not here.
  if (!dry && (!hosts || hosts.hosts.some((h) => !isRemote(h)))) checkAgentFound(agent);

  const request: StartRequest = startRequestFrom({
    planFile: file,
    shown: file,
    agent,
    maxParallel,
    mode,
    onUsageLimit,
    candidates,
    // Somebody to pick a candidate (`pick: person`: `waves pick` from another terminal): a terminal, not --json.
    personToAsk: Boolean(process.stdin.isTTY && process.stderr.isTTY && !json),
    review,
    integrationGuard,
    answers,
    agentFallback,
    agentCaps,
    budget,
    only,
    // Some packages of the last run, run again (as the editor's Run Package): ended ones go back to pending first.
    ...(only && flags.has('resume') ? { reset: [...RUN_AGAIN] } : {}),
    graceMs: grace !== undefined ? grace * 1000 : undefined,
    coordinator,
    allowPlannedOverlap: flags.has('allow-planned-overlap'),
    hosts,
    onHostLost: hosts ? onHostLost : undefined,
    resume: flags.has('resume'),
    confinement,
    setupHook,
    copyFiles,
    worktreesFolder,
    layered,
  });

  if (dry) {
    const dryRun = await dryRunOf(request);
    if (!dryRun.ok) return refused(io, dryRun.refusal, file, false);
    printDryRun(io, dryRun.engine, dryRun.dryRun, dryRun, json, maxParallel, mode);
    return 0;
  }

  const queue = workersRemote !== undefined && coordinator ? await queueFor(io, file, coordinator, workersRemote, agent.id) : null;
  if (typeof queue === 'number') return queue;
  if (queue) request.executor = queue.executor;
  try {
    return await runStarted(io, request, { file, json, only, scopeRequests, confinement, flags });
  } finally {
    await queue?.close();
  }
}

/**
 * The queue executor of a run on pull workers (the engine's `queueRun`, the editor's too), its
 * notes said; or 2 with why not said.
 */
async function queueFor(io: Io, file: string, coordinator: NonNullable<ReturnType<typeof coordinatorFrom>>, remote: string, agent: string): Promise<number | QueueRun> {
  if (!(await repositoryRoot(path.dirname(path.resolve(file))))) throw new UsageError(`${file} is not in a git repository`);
  const queue = await queueRun({ planFile: file, coordinator, remote, agent });
  if ('problem' in queue) {
    io.err(`waves: ${queue.problem}\n`);
    return 2;
  }
  for (const note of queue.notes) io.err(`waves: ${sanitize(note)}\n`);
  return queue;
}

interface RunParts {
  file: string;
  json: boolean;
  only: string[] | undefined;
  scopeRequests: string;
  confinement: ReturnType<typeof worktreeAndWallsFrom>['confinement'];
  flags: Map<string, string | true>;
}

/** The run started and followed to its end on the terminal: its questions, its table, its last line. */
async function runStarted(io: Io, request: StartRequest, parts: RunParts): Promise<number> {
  const { file, json, only, scopeRequests, confinement, flags } = parts;
  let out: ProgressOutput | undefined;
  let packages: ProgressPackage[] = [];
  let sub: { dispose(): void } | undefined;
  let asked = false;
  let ticker: SourceTickQueue | undefined;
  const started = await startRun(request, {
    approveCommands: async (commands) => {
      // Only on a terminal, and not with --json (its output is for a program): else refused with the list.
      if (!(process.stdin.isTTY && process.stderr.isTTY && !json)) return false;
      asked = true;
      // Shown escaped (visibleText): a CR, an escape sequence or a bidi override cannot make the
      // terminal show something else than what runs. What is approved is the exact text.
      io.err(`The plan's verification commands run with your shell in each package's tree:\n${commands.map((c) => `  ${visibleText(c)}\n`).join('')}${unsafeNote(commands)}`);
      return askYesNo('Approve these commands for this plan? [y/N] ');
    },
    overlapPlannedClaims: async (conflicts) => {
      if (!(process.stdin.isTTY && process.stderr.isTTY && !json)) return false;
      io.err(`Another feature's approved plan claims the same lock key${conflicts.length === 1 ? '' : 's'}:\n${conflicts.map((c) => `  ${sanitize(plannedConflictText(c))}\n`).join('')}`);
      return askYesNo('Go ahead anyway? [y/N] ');
    },
    // No terminal to ask on (or --json): nobody to ask, and the engine says so with each refusal.
    ...(scopeRequests === 'grant' ? { grantScope: () => Promise.resolve(true) } : scopeRequests === 'ask' && canAsk(json) ? { grantScope: (r: ScopeRequestAsked) => askScope(io, r, () => out) } : {}),
    // A planner's sub-plan with commands not approved: asked on a terminal; else it waits for the next start, which asks.
    ...(canAsk(json) ? { approveSubPlan: (r: SubPlanAsked) => askSubPlan(io, r, () => out) } : {}),
    engineReady: (engine) => {
      packages = engine.analysis.graph.ids.map((id, i) => ({ id, wave: engine.analysis.graph.wave[i] ?? null })).filter((p) => !only || only.includes(p.id));
      out = new ProgressOutput(io, json, packages);
      const o = out;
      sub?.dispose();
      // `--tick-source`: a converted plan's tasks ticked in its source as packages succeed, said as progress notes.
      ticker = flags.has('tick-source') ? new SourceTickQueue(engine, (line) => o.note(line)) : undefined;
      sub = engine.events((e) => {
        o.event(e, engine.store?.state, packages);
        ticker?.event(e);
      });
    },
  });
  if (!started.ok) {
    out?.stop();
    sub?.dispose();
    return refused(io, started.refusal, file, asked);
  }
  const { engine } = started;
  // The container as the agents' wall: said as every such run starts (or that it counts for nothing here: not a container).
  const wallNote = containerWallNoteOf(confinement);
  if (wallNote) {
    if (out) out.note(wallNote);
    else io.err(`waves: ${wallNote}\n`);
  }
  // The forecast the run keeps for its report, said as it starts; unreadable past states once.
  if (started.forecast) {
    for (const p of started.forecast.problems) out?.note(p);
    out?.note(forecastLines(started.forecast.forecast)[0]!);
  }
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) {
      io.err('\nwaves: stopped at once; agents still running are adopted by `waves run --resume`\n');
      process.exit(130);
    }
    out?.note('cancelling… (Ctrl-C again to exit at once)');
    void engine.cancel();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const outcome = await started.outcome;
    await ticker?.settle(outcome.state.packages);
    out?.stop();
    if (!json) io.out(outcomeText(outcome, file, only) + '\n');
    // 75 (EX_TEMPFAIL): paused at a usage limit — try again later.
    return outcome.outcome === 'succeeded' ? 0 : outcome.outcome === 'usage-limit' ? 75 : 1;
  } catch (err) {
    out?.stop();
    io.err(`waves: the run stopped: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    sub?.dispose();
    engine.dispose();
  }
}

/** The line a finished run ends with. */
function outcomeText(outcome: RunOutcome, file: string, only?: readonly string[]): string {
  switch (outcome.outcome) {
    case 'cancelled':
      return `cancelled; resume with \`waves run --resume ${file}\``;
    case 'budget':
      return `stopped at the run's budget: nothing more was started; resume with a higher one: \`waves run --resume --budget-usd … ${file}\``;
    case 'usage-limit': {
      const resets = Object.values(outcome.state.packages)
        .flatMap((r) => (r.status === 'usage-limit' ? [r.usageLimit?.resetAt ?? null] : []))
        .filter((t): t is string => t !== null)
        .sort();
      return `paused at a usage limit (no retry spent)${resets.length ? `; it resets at ${resets[0]}` : ''}: resume with \`waves run --resume ${file}\`${resets.length ? ' then, or run with `--on-usage-limit wait` to go on by itself' : ''}`;
    }
    case 'succeeded': {
      // Some packages only (--only): the run's others may still be to do; said before any offer to finish.
      const left = only ? Object.values(outcome.state.packages).filter((r) => !only.includes(r.packageId) && r.status !== 'succeeded') : [];
      if (left.length)
        return `${only!.length === 1 ? `${only![0]} succeeded` : 'the packages asked for succeeded'}; ${left.length} other package${left.length === 1 ? '' : 's'} of the run ${left.length === 1 ? 'has' : 'have'} not (${left.slice(0, 5).map((r) => r.packageId).join(', ')}${left.length > 5 ? ', …' : ''}): \`waves run --resume ${file}\` goes on with them`;
      return `every package succeeded${outcome.integrationBranch ? `; merged into ${outcome.integrationBranch} — \`waves finish ${file}\` offers it to your branch` : ''}`;
    }
    default:
      return `some packages did not succeed: \`waves status ${file}\` shows why${outcome.reportFile ? `, ${rel(outcome.reportFile)} has the report` : ''}`;
  }
}

/**
 * A refused start on the terminal: the use case's reason (the same the editor shows), its
 * details, and what to do next from the command line. Always exit 2: nothing was started,
 * whatever the reason — exit 1 is a run whose packages did not all succeed.
 */
function refused(io: Io, refusal: StartRefusal, file: string, asked: boolean): 2 {
  const details = refusal.details.map((d) => `  ${visibleText(d)}\n`).join('');
  switch (refusal.kind) {
    case 'plan-invalid':
      io.err(refusal.details.map((d) => `${d}\n`).join('') + `waves: ${refusal.reason}\n`);
      return 2;
    case 'plan-unreadable':
    case 'no-repository':
    case 'unknown-package':
      io.err(`waves: ${refusal.reason}${refusal.kind === 'unknown-package' ? ' (--only)' : ''}\n`);
      return 2;
    case 'bad-hosts':
      io.err(`waves: ${refusal.reason}:\n${details}`);
      return 2;
    case 'commands-unapproved':
      // Asked on the terminal and declined, or no terminal to ask on: the list and how to approve it.
      if (asked) io.err('waves: not approved; nothing was started\n');
      else io.err(`waves: ${refusal.reason}:\n${details}${unsafeNote(refusal.commands ?? [])}they would run with your shell: run \`waves approve ${file}\` first\n`);
      return 2;
    case 'driven-elsewhere':
      io.err(`waves: ${refusal.reason}\n  \`waves status ${file}\` shows its progress; \`waves cancel ${file}\` stops it\n`);
      return 2;
    case 'planned-claims':
      io.err(
        `waves: ${refusal.reason}:\n${details}Run after it (its run removes its planned claims when it succeeds), agree with its driver, or go ahead anyway (waves run --allow-planned-overlap).\n  nothing was started and no run state was written\n`,
      );
      return 2;
    case 'no-confinement':
      io.err(
        `waves: ${refusal.reason}\n${details ? `  what would make the walls here:\n${details.replace(/^ {2}/gm, '    ')}` : ''}  nothing was started; to run the agents without walls anyway, choose it: \`waves run --unconfined ${file}\`\n`,
      );
      return 2;
    case 'bad-candidates':
    case 'plan-nested':
    case 'only-waits':
      io.err(`waves: ${refusal.reason}:\n${details}  nothing was started\n`);
      return 2;
    case 'coordinator-unreachable':
      io.err(
        `waves: ${refusal.reason}\n  nothing was started and no run state was written; try again when it answers, or run without --coordinator (the lock table of .waves/ then protects this clone only)\n`,
      );
      return 2;
    default:
      io.err(`waves: ${refusal.reason}\n${details}`);
      return 2;
  }
}

/** One scope question at a time on the terminal, in the order asked. */
let scopeQuestions: Promise<unknown> = Promise.resolve();

/** Whether the person can be asked on this terminal (not with --json: its output is for a program). */
function canAsk(json: boolean): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true && !json;
}

/** An agent's request for more write scope, asked on the terminal, one at a time. */
function askScope(io: Io, r: ScopeRequestAsked, table: () => ProgressOutput | undefined): Promise<boolean> {
  // The agent's words and paths shown escaped: they cannot make the terminal show something else.
  return askInRun(
    io,
    table,
    `${sanitize(r.packageId)}'s agent (attempt ${r.attempt}) asks to also write:\n${r.paths.map((p) => `  ${visibleText(p)}\n`).join('')}  because: ${visibleText(r.reason)}\nNo other package may write these; granted, its audit allows them.\n`,
    `Grant ${sanitize(r.packageId)} these files? [y/N] `,
  );
}

/** A planner's sub-plan that runs commands not approved for this run, asked on the terminal (the commands escaped, as at a start). */
function askSubPlan(io: Io, r: SubPlanAsked, table: () => ProgressOutput | undefined): Promise<boolean> {
  return askInRun(
    io,
    table,
    `${sanitize(r.packageId)}'s planner wrote a sub-plan (${visibleText(r.file)}) whose verification commands run with your shell in each package's tree; not approved for this plan yet:\n${r.commands.map((c) => `  ${visibleText(c)}\n`).join('')}${unsafeNote(r.commands)}Not approved, it waits: the next start asks again.\n`,
    'Approve these commands and run the sub-plan now? [y/N] ',
  );
}

/** A question while the run goes on: one at a time, in the order asked, the live table held while it is asked. */
function askInRun(io: Io, table: () => ProgressOutput | undefined, text: string, prompt: string): Promise<boolean> {
  const asked = scopeQuestions.then(async () => {
    // The live table stops drawing over the question; drawn again under the answer.
    table()?.hold();
    io.err(text);
    try {
      return await askYesNo(prompt);
    } finally {
      table()?.resume();
    }
  });
  scopeQuestions = asked.catch(() => false);
  return asked;
}

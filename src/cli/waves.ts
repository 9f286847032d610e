/**
 * `waves` — the plan engine on the command line.
 *
 *   waves validate [--json] [--max-parallel N] [--no-coupling] [--coordinator URL] <plan>...
 *   waves overlap [--json] [<globA> <globB>]     (no patterns: tab-separated pairs on stdin)
 *   waves graph [--format mermaid|dot] <plan>
 *   waves prompt [--run-id ID] [--worktree DIR] <plan> <package>
 *   waves run [--agent P | --agent-argv JSON] [--max-parallel N] [--barrier] [--only ids]
 *             [--resume] [--dry-run] [--json] [--timeout-grace S] [--on-usage-limit stop|wait] <plan>
 *   waves status|report [--json] [--timeline FILE] <plan>      waves cancel [--coordinator URL] <plan> [<package>]
 *   waves finish|approve [--yes] <plan>      waves clean <plan>      (src/cli/<command>Command.ts)
 *   waves plan [--agent P] [--out DIR] [--rounds N] [--dry-run] (<description> | --file F)
 *              | --approve|--discard <id> | --revise <id> <comments> | --list | --claims | --release-claims <feature>   (src/cli/planCommand.ts)
 *   waves convert [--out PATH] [--force] [--format F] [--tag T] <file|folder>   (src/cli/convertCommand.ts)
 *   waves <command> --help
 *
 * Exit codes: 0 ok (validate: no plan has an error), 1 a plan has an error, 2 usage error or
 * unreadable file.
 */
import * as path from 'path';
import { overlap } from '../core/plan/glob';
import { isParent } from '../core/plan/subPlans';
import type { PlanAnalysis } from '../core/plan/analyze';
import { inTextOrder, type Diagnostic } from '../core/plan/model';
import { packagesWithPartners } from '../core/ownership/coupling';
import { toDot, toMermaid, toReport, type PlanReport } from '../core/plan/planReport';
import { flagsOf, runOption, RunOptionError, runOptionsFromCommandLine } from '../core/run/runOptions';
import { analyzeForCli, analyzeTunedForCli } from './bigPlanAnalysis';
import { parseArgs, UsageError } from './args';
import { dropOutputOnClosedPipe, humanReport, nodeIo, readPlanFile, type Io } from './io';
import type { PlannedConflict, SharedResult } from '../engine';
import { PersonFolderError } from '../engine';
import { CONVERT_HELP, HOSTS_HELP, PICK_HELP, PLAN_HELP, REVIEW_HELP, RUN_HELP, VALIDATE_HELP, WORKER_HELP, WORKERS_HELP } from './commandHelp';
import { gitMayFindRepository } from '../util/workTree';

export { nodeIo, type Io } from './io';

// `waves plan`'s commands, evaluated when one of them runs. (The CLI is one bundle, the engine in
// it: ADR 0029.)
const planCommands = () => import('./planCommand');

/** Each command's usage and help text, in the order `waves --help` lists them. */
const HELP: Record<string, string> = {
  validate: VALIDATE_HELP,
  overlap: `waves overlap [--json] <globA> <globB>
    Print a path both patterns cover, or "disjoint". With no patterns, read
    tab-separated pairs from stdin and answer one line each.`,
  graph: `waves graph [--format mermaid|dot] <plan>
    Print the dependency graph, one cluster per wave (default: mermaid); of a task
    list of another tool too (see validate). A plan with errors also prints its
    problems on stderr and exits 1; one with no packages prints no graph.`,
  prompt: `waves prompt [--run-id ID] [--worktree DIR] <plan> <package>
    Print the prompt the engine would write for one package, with this repository's
    run paths (the run id of the feature's run state, or "preview"). A plan of plans'
    package by the id its run gives it (api__users: users of api's sub-plan); a parent
    gets no prompt (no agent works on it): that is said. A plan with errors also
    prints its problems on stderr and exits 1.`,
  run: RUN_HELP,
  status: `waves status [--json] [--coordinator postgres://…] <plan>
    Show the plan's run: each package's status, attempt, time, exit and last error,
    the locks it holds, who drives the run and whether that process is alive; a
    package awaiting your pick of a candidate, with the waves pick command that picks
    (--json: awaitingPick on the package, green on each candidate, and a problem). Only
    reads; works while another process runs the plan. --coordinator (or
    WAVES_COORDINATOR): its locks from there, and the other drivers of the repository:
    who, on which machine and clone, their packages under way and what they may write.`,
  cancel: `waves cancel [--coordinator URL] <plan> [<package>]
    Ask the engine driving the run (from any terminal) to cancel the run, or one
    package: its agents are stopped and the state saved; resume with --resume.
    --coordinator (or WAVES_COORDINATOR): when no engine drives it from this clone,
    the run's driver on any clone is asked through the shared coordinator; its next
    heartbeat (a few seconds) takes the request.`,
  report: `waves report [--json] [--timeline FILE] <plan>
    Print the report of the plan's latest run (report.md, or report.json with
    --json) and its timeline as a Gantt (each package's attempts: queued, waiting,
    running, verifying, merging; the slots held against the cap), or say why there
    is no report (exit 1; the timeline of a run still going is printed all the same).
    --timeline FILE: also write the timeline as SVG to FILE.`,
  finish: `waves finish [--yes] <plan>
    Show what the run's integration branch holds (packages merged, commits) and
    offer to fast-forward your branch to it when that is safe; --yes does it without
    asking. Never forces anything.`,
  clean: `waves clean <plan>
    Remove the run's worktrees that are clean and merged (the integration tree once
    your branch holds it, after waves finish); each one kept is named with why. Never
    forces anything (Clean Up Worktrees in the editor).`,
  approve: `waves approve [--yes] <plan>
    List the plan's verification commands exactly and record your approval (they
    run with your shell after each package); --yes records it without asking.`,
  plan: PLAN_HELP,
  convert: CONVERT_HELP,
  hosts: HOSTS_HELP,
  worker: WORKER_HELP,
  workers: WORKERS_HELP,
  review: REVIEW_HELP,
  pick: PICK_HELP,
};

const USAGE = `Usage:
${Object.values(HELP)
  .map((h) => `  ${h.replace(/\n/g, '\n  ')}`)
  .join('\n')}
  waves <command> --help
  waves --help | --version`;

/** `waves <command> --help`: that command's help alone. */
function commandHelp(command: string): string {
  return `Usage:\n  ${HELP[command]!.replace(/\n/g, '\n  ')}\n`;
}

/** The run's cap: the row `waves validate` takes of the run options' table. */
const CAP = runOption('maxParallel');

/** The cap the flags give (undefined: none given), or a usage error naming the flag, as waves run says it. */
function capFrom(flags: ReadonlyMap<string, string | true>): { maxParallel?: number } {
  try {
    return runOptionsFromCommandLine(flags, process.env, false, undefined, (o) => o === CAP).values;
  } catch (err) {
    if (err instanceof RunOptionError) throw new UsageError(err.message);
    throw err;
  }
}

async function validate(argv: readonly string[], io: Io): Promise<number> {
  // The run's cap from its row of the table (its one flag takes a value, a count), parsed as waves run parses it.
  const { flags, args } = parseArgs(argv, ['json', 'no-coupling', 'coordinator', 'coordinator-repository', ...flagsOf(CAP)], ['coordinator', 'coordinator-repository', ...flagsOf(CAP)]);
  if (args.length === 0) throw new UsageError('validate needs at least one plan file');
  const coordinator =
    flags.has('coordinator') || flags.has('coordinator-repository') || process.env.WAVES_COORDINATOR
      ? (await import('./runArgs')).coordinatorFrom(flags)
      : undefined;
  const { maxParallel } = capFrom(flags);
  const json = flags.has('json');
  const reports: (PlanReport & { plannedClaims?: SharedResult<{ conflicts: PlannedConflict[] }>; couplingNotes?: string[] })[] = [];
  let unreadable = false;
  for (const file of args) {
    // A task list of another tool (or a folder of one): read-only, reported as a plan.
    const foreign = await foreignOf(io, file);
    if (foreign) {
      if ('error' in foreign) {
        unreadable = true;
        io.err(`waves: ${foreign.error}\n`);
        reports.push({ file, valid: false, diagnostics: [{ severity: 'error', code: 'file-unreadable', message: foreign.error, line: 1, column: 1, endLine: 1, endColumn: 1, packageId: null }], packages: [], waves: [], criticalPath: [] });
      } else reports.push((await import('./foreignPlans')).validateForeign(io, foreign, file, json));
      continue;
    }
    const read = readPlanFile(io, file);
    const analysis = 'error' in read ? read : await analyzeTunedForCli(read.text, { maxParallel });
    if ('error' in analysis) {
      unreadable = true;
      const code = 'error' in read ? 'file-unreadable' : 'plan-too-large';
      const message = 'error' in read ? read.error : `${file}: ${analysis.error}`;
      io.err(`waves: ${message}\n`);
      reports.push({
        file,
        valid: false,
        diagnostics: [{ severity: 'error', code, message, line: 1, column: 1, endLine: 1, endColumn: 1, packageId: null }],
        packages: [],
        waves: [],
        criticalPath: [],
      });
      continue;
    }
    // Imports across parallel packages' write scopes: warnings, from the repository as it is.
    const coupling = flags.has('no-coupling') ? undefined : await couplingOf(file, analysis);
    const checked = coupling?.diagnostics.length ? withDiagnostics(analysis, coupling.diagnostics) : analysis;
    const report: PlanReport & { couplingNotes?: string[] } = toReport(file, checked);
    if (coupling?.notes.length) {
      if (json) report.couplingNotes = coupling.notes;
      else for (const note of coupling.notes) io.err(`waves: ${file}: ${note}\n`);
    }
    // Its sub-plans (plans of plans): each read, checked inside its parent, reported under its own file.
    const nested = analysis.plan.packages.some(isParent) ? await nestedOf(io, file, checked, maxParallel) : [];
    if (nested.length > 0) {
      report.valid = nested[0]!.valid;
      report.diagnostics = nested[0]!.diagnostics;
    }
    // Other features' planned claims in the shared coordinator: warnings only.
    const planned = coordinator ? await (await import('../engine')).conflictsWithPlanned(path.dirname(path.resolve(file)), coordinator, analysis.plan.feature?.id?.trim() ?? '', analysis.plan) : undefined;
    reports.push(planned ? { ...report, plannedClaims: planned } : report);
    if (!json) {
      io.out(humanReport(report));
      if (planned) (await planCommands()).plannedReport(io, planned);
    }
    for (const sub of nested.slice(1)) {
      reports.push(sub);
      if (!json) io.out(humanReport(sub));
    }
  }
  if (json) io.out(JSON.stringify({ plans: reports }) + '\n');
  if (unreadable) return 2;
  return reports.every((r) => r.valid) ? 0 : 1;
}

/**
 * The coupling check of one plan (the engine's, asked only when two packages that write may run
 * at the same time and the plan is in a repository: otherwise there is nothing to find). Git finds a repository only through a `.git` at or above the plan's folder,
 * or through `GIT_DIR`: without either, neither the engine nor git is started to learn there is none.
 */
async function couplingOf(file: string, analysis: PlanAnalysis): Promise<{ diagnostics: Diagnostic[]; notes: string[] } | undefined> {
  // The disk first: a few file lookups, where the partners take a walk of the whole graph.
  if (!gitMayFindRepository(path.dirname(path.resolve(file)))) return undefined;
  const partners = packagesWithPartners(analysis);
  if (!partners.some((p) => p)) return undefined;
  return (await import('../engine')).couplingOfPlan(file, analysis, { partners });
}

/** The plan and its sub-plans' reports, the plan's first (its nesting's problems among its own). */
async function nestedOf(io: Io, file: string, analysis: PlanAnalysis, maxParallel?: number): Promise<import('./nestedPlans').NestedReport[]> {
  const { nestedPlansOf, nestedReports } = await import('./nestedPlans');
  return nestedReports(nestedPlansOf(io, file, analysis, { maxParallel }));
}

/** A plan with sub-plans drawn, each parent a cluster holding its sub-plan; each file's problems on stderr, exit 1 when any has an error. */
async function nestedGraph(io: Io, file: string, analysis: PlanAnalysis, format: 'mermaid' | 'dot'): Promise<number> {
  const [{ nestedPlansOf, nestedReports }, { nestedDot, nestedMermaid }] = await Promise.all([import('./nestedPlans'), import('../core/plan/nestedGraph')]);
  const plans = nestedPlansOf(io, file, analysis);
  io.out(format === 'dot' ? nestedDot(plans) : nestedMermaid(plans));
  const bad = nestedReports(plans).filter((r) => !r.valid);
  for (const r of bad) io.err(humanReport(r));
  return bad.length ? 1 : 0;
}

/** The analysis with more diagnostics, in text order as analyzePlan sorts them. */
function withDiagnostics(analysis: PlanAnalysis, more: readonly Diagnostic[]): PlanAnalysis {
  const diagnostics = [...analysis.diagnostics, ...more].sort(inTextOrder);
  return { ...analysis, diagnostics };
}

function overlapAnswer(a: string, b: string, json: boolean): string {
  const witness = overlap(a, b);
  if (json) return JSON.stringify({ overlap: witness !== null, witness });
  return witness ?? 'disjoint';
}

async function overlapCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(argv, ['json'], []);
  const json = flags.has('json');
  if (args.length === 2) {
    io.out(overlapAnswer(args[0], args[1], json) + '\n');
    return 0;
  }
  if (args.length !== 0) throw new UsageError('overlap takes two patterns, or none to read pairs from stdin');
  for await (const raw of io.stdin()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const tab = line.indexOf('\t');
    if (tab === -1) {
      const message = 'expected two patterns separated by a tab';
      io.out((json ? JSON.stringify({ error: message }) : `error: ${message}`) + '\n');
      continue;
    }
    io.out(overlapAnswer(line.slice(0, tab), line.slice(tab + 1), json) + '\n');
  }
  return 0;
}

/** A plan file read and analysed, or exit code 2 when it cannot be (said on stderr). */
async function readAndAnalyze(io: Io, file: string, tune = false): Promise<PlanAnalysis | number> {
  const read = readPlanFile(io, file);
  const analysis = 'error' in read ? read : await (tune ? analyzeTunedForCli : analyzeForCli)(read.text);
  if (!('error' in analysis)) return analysis;
  io.err(`waves: ${'error' in read ? read.error : `${file}: ${analysis.error}`}\n`);
  return 2;
}

async function graphCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(argv, ['format'], ['format']);
  const format = flags.get('format') ?? 'mermaid';
  if (format !== 'mermaid' && format !== 'dot') throw new UsageError(`--format must be mermaid or dot, not "${String(format)}"`);
  if (args.length !== 1) throw new UsageError('graph takes exactly one plan file');
  const foreign = await foreignOf(io, args[0]);
  if (foreign && 'error' in foreign) {
    io.err(`waves: ${foreign.error}\n`);
    return 2;
  }
  if (foreign) return (await import('./foreignPlans')).graphForeign(io, foreign, args[0], format);
  const analysis = await readAndAnalyze(io, args[0], true);
  if (typeof analysis === 'number') return analysis;
  // A plan with errors: its problems, positioned, on stderr (as validate prints them) and exit 1;
  // the graph still goes to stdout when there are packages to draw (it shows where a cycle is),
  // never an empty chart for an empty or binary file.
  if (analysis.plan.packages.some(isParent)) return nestedGraph(io, args[0], analysis, format);
  if (analysis.plan.packages.length > 0) io.out(format === 'dot' ? toDot(analysis) : toMermaid(analysis));
  if (analysis.valid) return 0;
  io.err(humanReport(toReport(args[0], analysis)));
  return 1;
}

/**
 * A task list of another tool given where a plan is expected (a spec-kit `tasks.md`, a GSD phase
 * folder, …): read through src/core/formats; undefined for a plan (any .yaml/.yml file) or a
 * file of no known format, which are read as plans.
 */
async function foreignOf(io: Io, file: string): Promise<import('./foreignPlans').ForeignRead | { error: string } | undefined> {
  if (/\.ya?ml$/i.test(file)) return undefined;
  const foreign = await import('./foreignPlans');
  if (foreign.isFolder(file)) {
    // A folder of no task list stays what it was: an unreadable plan file.
    const read = foreign.readForeign(io, file);
    return 'error' in read || read.result.format !== null ? read : undefined;
  }
  const read = readPlanFile(io, file);
  if ('error' in read || !foreign.isForeignFile(file, read.text)) return undefined;
  return foreign.readForeign(io, file, { known: read.text });
}

async function promptCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(argv, ['run-id', 'worktree'], ['run-id', 'worktree']);
  if (args.length !== 2) throw new UsageError('prompt takes a plan file and a package id');
  const written = await readAndAnalyze(io, args[0]);
  if (typeof written === 'number') return written;
  const [{ loadPlan, previewRoot, verificationOf }, { promptFor }, { joinPromptText }] = await Promise.all([import('../engine'), import('./promptCommand'), import('../core/run/prompt')]);
  // A plan of plans: its packages as its run names them (a sub-plan's by its run id, `api__users`), each parent no agent's.
  let analysis = written;
  let approvedCommands: readonly string[] | undefined;
  if (written.valid && written.plan.packages.some(isParent)) {
    const loaded = await loadPlan(args[0]);
    // A planner's prompt names the commands approved (as its run's does).
    const verification = loaded.nested && 'joins' in loaded.nested ? verificationOf(loaded) : null;
    if (verification?.approved) approvedCommands = verification.planCommands;
    if (loaded.nested && 'refusals' in loaded.nested) {
      io.err(`waves: ${args[0]} has sub-plans that cannot run:\n${loaded.nested.refusals.map((r) => `  ${r}\n`).join('')}`);
      return 2;
    }
    const children = loaded.nested?.joins[args[1]];
    if (children) {
      io.out(joinPromptText(args[1], children));
      return 0;
    }
    analysis = loaded.analysis;
  }
  const repo = await previewRoot(path.dirname(path.resolve(args[0])));
  const result = promptFor(args[0], analysis, args[1], { repo, runId: flags.get('run-id') as string | undefined, worktree: flags.get('worktree') as string | undefined, ...(approvedCommands ? { approvedCommands } : {}) });
  if (!result.ok) {
    io.err(`waves: ${result.error}\n`);
    return 2;
  }
  io.out(result.prompt);
  for (const note of result.notes) io.err(`waves: ${note}\n`);
  if (analysis.valid) return 0;
  io.err(humanReport(toReport(args[0], analysis)));
  return 1;
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command !== undefined && Object.hasOwn(HELP, command) && (rest.includes('--help') || rest.includes('-h'))) {
      io.out(commandHelp(command));
      return 0;
    }
    switch (command) {
      case 'validate':
        return await validate(rest, io);
      case 'overlap':
        return await overlapCommand(rest, io);
      case 'graph':
        return await graphCommand(rest, io);
      case 'prompt':
        return await promptCommand(rest, io);
      case 'run':
        return await (await import('./runCommand')).runCommand(rest, io);
      case 'status':
        return await (await import('./statusCommand')).statusCommand(rest, io);
      case 'cancel':
        return await (await import('./cancelCommand')).cancelCommand(rest, io);
      case 'report':
        return await (await import('./reportCommand')).reportCommand(rest, io);
      case 'finish':
        return await (await import('./finishCommand')).finishCommand(rest, io);
      case 'clean':
        return await (await import('./finishCommand')).cleanCommand(rest, io);
      case 'approve':
        return await (await import('./approveCommand')).approveCommand(rest, io);
      case 'plan':
        return await (await planCommands()).planCommand(rest, io);
      case 'convert':
        return await (await import('./convertCommand')).convertCommand(rest, io);
      case 'hosts':
        return await (await import('./hostsCommand')).hostsCommand(rest, io);
      case 'worker':
        return await (await import('./workerCommand')).workerCommand(rest, io);
      case 'workers':
        return await (await import('./workerCommand')).workersCommand(rest, io);
      case 'review':
        return await (await import('./reviewCommand')).reviewCommand(rest, io);
      case 'pick':
        return await (await import('./reviewCommand')).pickCommand(rest, io);
      case '--help':
      case '-h':
      case 'help':
        io.out(USAGE + '\n');
        return 0;
      case '--version':
        io.out(`${VERSION}\n`);
        return 0;
      default:
        throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`);
    }
  } catch (err) {
    // The person's own folder unusable (WAVES_CONFIG_DIR a file, a read-only home): said plainly, nothing started.
    if (err instanceof PersonFolderError) {
      io.err(`waves: ${err.message}\n`);
      return 2;
    }
    if (err instanceof UsageError) {
      // A known command's mistake: that command's usage, not every command's.
      const known = command !== undefined && Object.hasOwn(HELP, command);
      io.err(`waves: ${err.message}\n${known ? commandHelp(command) : `${USAGE}\n`}`);
      return 2;
    }
    throw err;
  }
}

declare const WAVES_VERSION: string | undefined;
const VERSION = typeof WAVES_VERSION === 'string' ? WAVES_VERSION : 'dev';

/** Run as the `waves` command (bin/waves.js calls this). */
export function run(): void {
  dropOutputOnClosedPipe();
  main(process.argv.slice(2), nodeIo).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`waves: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}

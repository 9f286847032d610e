/**
 * The run engine on the command line: `waves run`, `status`, `cancel`, `report`, `finish`
 * and `approve` (issue #7, docs/run-engine.md). Argument parsing and presentation only
 * (terminal output, exit codes): every use case comes through the engine's front door
 * (`src/engine/index.ts`), which the editor uses too. `waves.ts` routes the command's argv
 * to these functions and turns a `UsageError` into exit 2.
 *
 * `status` and `report` only read `.waves/` (no lease, nothing written), so they work while
 * another process drives the run. Exit codes: 0 fine, 1 a package did not succeed (run) or
 * there is nothing to show, 2 usage or plan errors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AgentProfileError,
  PERMISSION_PROMPT_PATTERN,
  PRESET_IDS,
  customProfile,
  presetProfile,
  type AgentProfile,
} from '../core/run/agentProfiles';
import { USAGE_LIMIT_PATTERN } from '../core/run/agentLogs';
import {
  createProgressModel,
  modelFromState,
  reduceProgress,
  type ProgressEvent,
  type ProgressModel,
  type ProgressPackage,
} from '../core/present/progressModel';
import { fit, formatClock, formatElapsed, sanitize, truncate } from '../core/present/terminalText';
import { renderHeader, renderLine, renderTable, repaint } from '../core/present/terminalProgress';
import { hasUnsafeCharacters, visibleText } from '../core/present/visibleText';
import { toReport } from '../core/plan/planReport';
import type { PackageRunRecord, RunState } from '../core/run/runState';
import { addSpend, formatSpend, type Spend } from '../core/run/spend';
import { isLiveLock } from '../core/run/lockTable';
import { isLiveRun, ownerText } from '../core/run/sharedCoordinator';
import {
  LeaseHeldError,
  CoordinatorError,
  CoordinatorLeaseHeldError,
  CoordinatorUnavailableError,
  checkCoordinatorUrl,
  CoordinatorReader,
  PlannedClaimConflictError,
  askCoordinatedDriverToCancel,
  redactSecrets,
  type CoordinatorOptions,
  NotARepositoryError,
  PlanInvalidError,
  PlanReadError,
  RunEngine,
  isRemote,
  VerificationNotApprovedError,
  approveShown,
  personalApprovals,
  askDriverToCancel,
  driverOf,
  foreignReason,
  fastForwardTo,
  finishOffer,
  liveLocks,
  loadPlan as loadPlanSource,
  readReport,
  readRun,
  resetPackages,
  verificationOf,
  verificationPolicy,
  type DryRun,
  type EngineEvent,
  type LockEntry,
  type PlanSource,
  type VerificationPolicy,
  proposalGate,
} from '../engine';
import { parseArgs, positiveInt, UsageError } from './args';
import { hostsFrom } from './hostsCommand';
import { askYesNo, humanReport, type Io } from './io';

// ---------------------------------------------------------------------------------------
// The plan and its repository

/** A plan loaded through the front door, with a feature id and a repository; `shown` is the file as given. */
type LoadedPlan = PlanSource & { featureId: string; repo: string; shown: string };

/**
 * Loads a plan through the front door. `requireValid`: a plan with errors is a usage error
 * (its problems printed as `validate` prints them, exit 2). Otherwise only a feature id and a
 * repository are needed (status and report of a plan being edited still work).
 */
async function loadPlan(io: Io, file: string, requireValid: boolean): Promise<LoadedPlan | number> {
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
function runSpend(state: RunState): Spend | null {
  return Object.values(state.packages).reduce<Spend | null>((total, r) => addSpend(total, r.spend), null);
}

function rel(file: string): string {
  const r = path.relative(process.cwd(), file);
  return r && !r.startsWith('..') ? r : file;
}

function planArg(args: string[], command: string, extra = 0): string {
  if (args.length < 1 || args.length > 1 + extra)
    throw new UsageError(`${command} takes ${extra ? 'a plan file and optionally a package id' : 'exactly one plan file'}`);
  return args[0]!;
}

// ---------------------------------------------------------------------------------------
// waves status

function elapsedMs(r: PackageRunRecord, now: number): number | null {
  if (!r.startedAt) return null;
  const start = Date.parse(r.startedAt);
  const end = r.endedAt ? Date.parse(r.endedAt) : now;
  return Number.isNaN(start) || Number.isNaN(end) ? null : Math.max(0, end - start);
}

export async function statusCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(argv, ['json', 'coordinator', 'coordinator-repository'], ['coordinator', 'coordinator-repository']);
  const coordinator = coordinatorFrom(flags);
  const loaded = await loadPlan(io, planArg(args, 'status'), false);
  if (typeof loaded === 'number') return loaded;
  const { repo, featureId, analysis } = loaded;
  const now = Date.now();
  const read = readRun(repo, featureId);
  const json = flags.has('json');
  // With a coordinator: this feature's locks are there, and the other drivers of the repository.
  const shared = coordinator ? await sharedStatus(repo, featureId, coordinator) : undefined;
  if (read.kind === 'none') {
    if (json) io.out(JSON.stringify({ featureId, run: null, reason: 'not run yet', ...(shared ? { coordinator: shared.json } : {}) }) + '\n');
    else io.out(`${featureId}: not run yet (no ${rel(read.file)}); start it with \`waves run ${loaded.shown}\`\n${shared ? shared.lines.map((l) => sanitize(l) + '\n').join('') : ''}`);
    return 0;
  }
  if (read.kind === 'bad') {
    io.err(`waves: the run state ${rel(read.file)} cannot be used: ${read.detail}\n`);
    return 1;
  }
  const { state } = read;
  const owner = driverOf(repo, featureId, now);
  const fileLocks = liveLocks(repo, featureId, now);
  const { problems } = fileLocks;
  const locks = shared?.locks ?? fileLocks.locks;
  const waveOf = new Map(analysis.graph.ids.map((id, i) => [id, analysis.graph.wave[i] ?? null]));
  const planChanged = state.planHash !== null && state.planHash !== loaded.hash;
  const foreign = foreignReason(state);
  const ids = [...analysis.graph.ids.filter((id) => state.packages[id]), ...Object.keys(state.packages).filter((id) => !waveOf.has(id))];
  const packages = ids.map((id) => {
    const r = state.packages[id]!;
    return {
      id,
      wave: waveOf.get(id) ?? null,
      status: r.status,
      attempts: r.attempts,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      elapsedMs: elapsedMs(r, now),
      exitCode: r.exitCode,
      signal: r.signal,
      lastError: r.lastError,
      needsInput: r.needsInput,
      usageLimit: r.usageLimit ?? null,
      spend: r.spend ?? null,
      blockedBy: r.blockedBy,
      merge: state.merges[id]?.status ?? null,
      branch: r.branch,
      worktree: r.worktree,
      host: r.host ?? null,
      locks: locks.filter((l) => l.holder === id).map((l) => ({ key: l.key, kind: l.kind, expiresAt: l.expiresAt })),
    };
  });

  if (json) {
    io.out(
      JSON.stringify({
        featureId,
        planFile: state.planFile,
        runId: state.runId,
        createdAt: state.createdAt,
        updatedAt: state.updatedAt,
        planChanged,
        foreign,
        spend: runSpend(state),
        readOnly: read.newer,
        owner,
        packages,
        locks,
        integration: state.integration,
        problems,
        ...(shared ? { coordinator: shared.json } : {}),
      }) + '\n',
    );
    return 0;
  }

  const model = modelFromState(
    state,
    analysis.graph.ids.map((id, i) => ({ id, wave: analysis.graph.wave[i] ?? null })),
  );
  const lines: string[] = [];
  lines.push(`${featureId} · run ${state.runId} · started ${state.createdAt} · updated ${state.updatedAt}`);
  lines.push(renderHeader(model));
  if (!owner) lines.push('driven by: nobody (no engine runs it now)');
  else if (owner.alive)
    lines.push(
      `driven by: pid ${owner.pid} on ${owner.hostname}, alive (heartbeat ${formatElapsed(now - Date.parse(owner.heartbeatAt))} ago)`,
    );
  else
    lines.push(
      `driven by: nobody alive — the lease of pid ${owner.pid} on ${owner.hostname} is stale (${owner.stale}); \`waves run --resume\` takes it over`,
    );
  const spent = runSpend(state);
  if (spent) lines.push(`spent: ${formatSpend(spent)}`);
  if (foreign) lines.push(`this run is not this machine's: ${foreign}; nothing drives it here unless you resume it (\`waves run --resume\`)`);
  if (planChanged) lines.push('the plan changed since this run started');
  if (read.newer) lines.push('this run state was written by a newer version of Wave Orchestrator: shown read-only');
  const width = process.stdout.isTTY ? process.stdout.columns || 100 : Infinity;
  const idWidth = Math.min(40, Math.max(2, ...packages.map((p) => p.id.length)));
  const row = (cells: string[], widths: number[], rest: string) => {
    const text = cells.map((c, i) => fit(c, widths[i]!, i === 0 || i === 2 || i === 6 ? 'left' : 'right')).join('  ') + '  ' + rest;
    return (width === Infinity ? sanitize(text) : truncate(text, width)).trimEnd();
  };
  const widths = [idWidth, 4, 15, 3, 7, 6, 8];
  lines.push(row(['ID', 'WAVE', 'STATUS', 'TRY', 'ELAPSED', 'EXIT', 'MERGE'], widths, 'DETAIL'));
  for (const p of packages) {
    const why = p.needsInput
      ? `needs input since ${p.needsInput.since}: ${p.needsInput.reason}`
      : p.blockedBy.length
        ? `blocked by ${p.blockedBy.join(', ')}`
        : (p.lastError ?? '');
    // Where it runs, when the run is over hosts (#17).
    const detail = p.host ? `on ${p.host}${why ? ` · ${why}` : ''}` : why;
    const exit = p.signal ?? (p.exitCode === null ? '' : String(p.exitCode));
    const status = p.needsInput ? 'needs-input' : p.status;
    lines.push(
      row(
        [
          p.id,
          p.wave === null ? '–' : String(p.wave),
          status,
          p.attempts ? String(p.attempts) : '',
          p.elapsedMs === null ? '' : formatElapsed(p.elapsedMs),
          exit,
          p.merge ?? '',
        ],
        widths,
        detail,
      ),
    );
  }
  if (locks.length) {
    lines.push('locks held:');
    for (const l of locks) lines.push(`  ${describeLock(l)}`);
  } else lines.push('locks held: none');
  for (const p of problems) lines.push(`warning: ${p}`);
  if (shared) lines.push(...shared.lines);
  io.out(lines.map((l) => sanitize(l)).join('\n') + '\n');
  return 0;
}

/**
 * What a shared coordinator says for `waves status`: this feature's live locks (held there, not
 * in .waves/locks.json), the other drivers' runs with who, where and their packages under way,
 * or why it cannot be read (never with the password).
 */
async function sharedStatus(repo: string, featureId: string, options: CoordinatorOptions) {
  let reader: CoordinatorReader | undefined;
  let read: Awaited<ReturnType<CoordinatorReader['read']>>;
  try {
    reader = await CoordinatorReader.open(repo, options);
    read = await reader.read();
  } catch (err) {
    read = { ok: false, message: redactSecrets(err instanceof Error ? err.message : String(err)) };
  } finally {
    await reader?.close();
  }
  const where = redactSecrets(options.url);
  if (!read.ok)
    return { locks: undefined, json: { where, problem: read.message, otherDrivers: null }, lines: [`coordinator ${where}: ${read.message} (locks shown from .waves/)`] };
  const now = new Date();
  const others = read.runs.filter((r) => !reader!.isOwn(r) && isLiveRun(r, now));
  const locks = read.locks.filter((l) => l.featureId === featureId && isLiveLock(l, now));
  const lines = [others.length ? `other drivers (coordinator ${where}):` : `other drivers (coordinator ${where}): none`];
  for (const r of others) {
    const packages = r.packages.map((p) => `${p.id} ${p.status} (writes ${p.writes.join(', ') || 'nothing'})`).join('; ');
    lines.push(`  ${r.featureId} — ${ownerText(r)}: ${packages || 'no package under way'}`);
  }
  return { locks, json: { where, problem: null, otherDrivers: others }, lines };
}

// ---------------------------------------------------------------------------------------
// waves report

export async function reportCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(argv, ['json'], []);
  const loaded = await loadPlan(io, planArg(args, 'report'), false);
  if (typeof loaded === 'number') return loaded;
  const read = readRun(loaded.repo, loaded.featureId);
  if (read.kind === 'none') {
    io.err(`waves: no report: ${loaded.featureId} has not been run yet (no ${rel(read.file)})\n`);
    return 1;
  }
  if (read.kind === 'bad') {
    io.err(`waves: no report: the run state ${rel(read.file)} cannot be used: ${read.detail}\n`);
    return 1;
  }
  const report = readReport(loaded.repo, read.state, flags.has('json') ? 'json' : 'markdown');
  if (!report.ok) {
    const why =
      report.why === 'running'
        ? 'the run is still going; its report is written when it ends'
        : 'the run ended without writing one (it was stopped before its end)';
    io.err(`waves: no report for run ${read.state.runId} (${rel(report.file)}): ${why}. \`waves status ${loaded.shown}\` shows where it is.\n`);
    return 1;
  }
  io.out(report.text.endsWith('\n') ? report.text : `${report.text}\n`);
  return 0;
}

/** A lock entry in a person's words. */
function describeLock(l: LockEntry): string {
  return `${l.holder}: ${l.kind} ${l.key}${l.expiresAt ? ` (until ${formatClock(Date.parse(l.expiresAt))})` : ''}`;
}

// ---------------------------------------------------------------------------------------
// waves run

/** Whether `exe` names a file that exists: a path as given, a bare name on PATH. */
function executableFound(exe: string): boolean {
  const isFile = (f: string) => {
    try {
      return fs.statSync(f).isFile();
    } catch {
      return false;
    }
  };
  if (exe.includes('/') || exe.includes('\\')) return isFile(exe);
  const exts = process.platform === 'win32' ? ['', ...(process.env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';')] : [''];
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && exts.some((e) => isFile(path.join(dir, exe + e))));
}

/** The agent of `--agent` / `--agent-argv` (default: the claude-code preset). */
export function agentFrom(flags: Map<string, string | true>, check: boolean): AgentProfile {
  if (flags.has('agent') && flags.has('agent-argv')) throw new UsageError('give --agent or --agent-argv, not both');
  let profile: AgentProfile;
  if (flags.has('agent-argv')) {
    let argv: unknown;
    try {
      argv = JSON.parse(String(flags.get('agent-argv')));
    } catch (err) {
      throw new UsageError(`--agent-argv must be a JSON array of strings: ${(err as Error).message}`);
    }
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string'))
      throw new UsageError(
        '--agent-argv must be a JSON array of strings, the program first, e.g. \'["my-agent", "--prompt", "${promptFile}"]\'',
      );
    try {
      // A usage limit or a permission prompt in its output marks the package as waiting for a person.
      profile = customProfile(argv as string[], { needsInputPattern: `${USAGE_LIMIT_PATTERN}|${PERMISSION_PROMPT_PATTERN}` });
    } catch (err) {
      if (err instanceof AgentProfileError) throw new UsageError(`--agent-argv: ${err.message}`);
      throw err;
    }
  } else {
    const id = String(flags.get('agent') ?? 'claude-code');
    const preset = presetProfile(id);
    if (!preset || id === 'custom')
      throw new UsageError(
        `unknown agent preset "${id}" (presets: ${PRESET_IDS.filter((p) => p !== 'custom').join(', ')}; or --agent-argv)`,
      );
    if (preset.interactive)
      throw new UsageError(
        `"${id}" is an interactive agent: it needs a terminal of its own, which the editor gives it; from the command line use "${id.replace(/-interactive$/, '')}"`,
      );
    profile = preset;
  }
  if (check && !executableFound(profile.argv[0]!))
    throw new UsageError(
      `the agent program "${profile.argv[0]}" was not found${profile.id === 'custom' ? '' : ' on PATH'}: install it, or choose another with --agent / --agent-argv`,
    );
  return profile;
}

function printDryRun(io: Io, engine: RunEngine, dry: DryRun, json: boolean, maxParallel: number, mode: string): void {
  if (json) {
    io.out(
      JSON.stringify({
        featureId: engine.featureId,
        repoRoot: engine.repoRoot,
        planFile: engine.planFile,
        maxParallel,
        mode,
        order: dry.order,
        prompts: dry.prompts,
      }) + '\n',
    );
    return;
  }
  const lines = [
    `${engine.featureId}: ${dry.prompts.length} package${dry.prompts.length === 1 ? '' : 's'}, at most ${maxParallel} at once (${mode}); nothing is started or written.`,
    'Starts, when every package succeeds (each step waits for the one before):',
    ...dry.order.map((ids, k) => `  ${k + 1}. ${ids.join(', ')}`),
  ];
  io.out(lines.join('\n') + '\n');
  for (const p of dry.prompts) {
    io.out(`\n===== prompt of ${p.packageId} (run writes it to ${rel(p.file)}) =====\n`);
    io.out(p.text.endsWith('\n') ? p.text : `${p.text}\n`);
  }
}

/**
 * Verification commands run with the user's shell: only once the user approved the list.
 * Approved already (this run's list, or the plan's whole list by `waves approve`) → the
 * engine's policy from the front door; on a terminal the user is asked once (yes → exactly
 * the list shown is approved, refused when the plan changed meanwhile); otherwise the list
 * is shown with how to approve it, and null (nothing starts).
 */
async function approvalFor(io: Io, loaded: LoadedPlan, only: readonly string[] | undefined, json: boolean): Promise<VerificationPolicy | null> {
  const policy = await verificationPolicy(loaded, only, 'start');
  if (policy) return policy;
  const { commands } = verificationOf(loaded, only);
  // Shown escaped (visibleText): a CR, an escape sequence or a bidi override cannot make the
  // terminal show something else than what runs. What is approved is the exact text.
  const list = commands.map((c) => `  ${visibleText(c)}\n`).join('') + unsafeNote(commands);
  if (process.stdin.isTTY && process.stderr.isTTY && !json) {
    io.err(`The plan's verification commands run with your shell in each package's tree:\n${list}`);
    if (!(await askYesNo('Approve these commands for this plan? [y/N] '))) {
      io.err('waves: not approved; nothing was started\n');
      return null;
    }
    const approved = await approveShown(loaded.file, commands, only);
    if (!approved.ok) {
      io.err(`waves: ${loaded.shown} changed while you were asked: nothing was approved or started; run it again to see the list now\n`);
      return null;
    }
    return 'refuse-unapproved';
  }
  io.err(
    `waves: the plan's verification commands are not approved yet; they would run with your shell:\n${list}run \`waves approve ${loaded.shown}\` first\n`,
  );
  return null;
}

/** Live progress: a repainted table on a TTY, a line per event otherwise, NDJSON with --json. */
class ProgressOutput {
  private model: ProgressModel;
  private height = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly tty: boolean;

  constructor(
    private readonly io: Io,
    private readonly json: boolean,
    packages: ProgressPackage[],
  ) {
    this.model = createProgressModel(packages);
    this.tty = !json && process.stdout.isTTY === true;
    if (this.tty) this.timer = setInterval(() => this.paint(), 1000);
  }

  event(event: EngineEvent, state: RunState | undefined, packages: ProgressPackage[]): void {
    const at = new Date().toISOString();
    if (this.json) {
      this.io.out(JSON.stringify({ ...event, at }) + '\n');
      return;
    }
    const pe = { ...event, at } as ProgressEvent;
    // Run-wide problems scroll above the table, so none is lost to a repaint.
    if (this.tty && event.type === 'problem' && event.packageId === undefined) this.above(renderLine(pe, Date.now()));
    // A resumed run: start the view from the state it resumes (only the packages this run drives).
    if (event.type === 'run-started' && state) {
      const ids = new Set(packages.map((p) => p.id));
      const model = modelFromState(state, packages);
      this.model = { ...model, rows: model.rows.filter((r) => ids.has(r.id)) };
    }
    this.model = reduceProgress(this.model, pe);
    if (this.tty) this.paint();
    else this.io.out(renderLine(pe, Date.now()) + '\n');
  }

  note(text: string): void {
    if (this.json) this.io.err(`waves: ${text}\n`);
    else if (this.tty) {
      this.model = reduceProgress(this.model, { type: 'note', text, at: new Date().toISOString() });
      this.paint();
    } else this.io.out(renderLine({ type: 'note', text, at: new Date().toISOString() }, Date.now()) + '\n');
  }

  /** A line printed above the table (which is drawn again below it). */
  private above(line: string): void {
    this.io.out(`${repaint(this.height, [])}\x1b[2K${line}\n`);
    this.height = 0;
  }

  private paint(): void {
    const rows = process.stdout.rows || 24;
    // One column short of the width: a line that fills it may wrap on some terminals.
    const width = Math.max(20, (process.stdout.columns || 80) - 1);
    const lines = renderTable(this.model, width, Date.now(), { maxRows: Math.max(3, Math.min(20, rows - 4)) });
    this.io.out(repaint(this.height, lines));
    this.height = lines.length;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.tty) this.paint();
  }
}

export async function runCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(
    argv,
    ['agent', 'agent-argv', 'max-parallel', 'barrier', 'only', 'resume', 'dry-run', 'json', 'timeout-grace', 'on-usage-limit', 'budget-usd', 'budget-tokens', 'answer', 'agent-fallback', 'agent-cap', 'coordinator', 'coordinator-repository', 'hosts', 'on-host-lost', 'allow-planned-overlap'],
    ['agent', 'agent-argv', 'max-parallel', 'only', 'timeout-grace', 'on-usage-limit', 'budget-usd', 'budget-tokens', 'answer', 'agent-fallback', 'agent-cap', 'coordinator', 'coordinator-repository', 'hosts', 'on-host-lost'],
  );
  // `--hosts FILE` (or WAVES_HOSTS): packages placed on this machine and SSH hosts (#17, ADR 0011).
  const hosts = hostsFrom(flags);
  const onHostLost = flags.has('on-host-lost') ? String(flags.get('on-host-lost')) : 'wait';
  if (onHostLost !== 'wait' && onHostLost !== 'retry') throw new UsageError(`--on-host-lost is wait or retry, not "${onHostLost}"`);
  const hostAgents = new Map<string, AgentProfile>();
  for (const h of hosts ?? []) {
    if (!h.agent) continue;
    const preset = presetProfile(h.agent);
    if (!preset || preset.interactive) throw new UsageError(`host ${h.name}: agent "${h.agent}" is not a headless preset (${PRESET_IDS.filter((p) => !presetProfile(p)!.interactive).join(', ')})`);
    hostAgents.set(h.name, preset);
  }
  // `--coordinator postgres://…` (or WAVES_COORDINATOR): locks, the lease across clones and the registry in PostgreSQL (ADR 0012).
  const shared = coordinatorFrom(flags);
  // `--allow-planned-overlap`: go ahead even when another feature's approved plan claims one of this plan's lock keys (#19 item 5).
  if (flags.has('allow-planned-overlap') && !shared) throw new UsageError('--allow-planned-overlap needs --coordinator');
  const coordinator = shared && flags.has('allow-planned-overlap') ? { ...shared, allowPlannedOverlap: true } : shared;
  // `--agent-fallback codex,gemini`: the presets a package goes on with after its agent's usage limit.
  const agentFallback = flags.has('agent-fallback')
    ? String(flags.get('agent-fallback'))
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean)
        .map((id) => {
          const preset = presetProfile(id);
          if (!preset || preset.interactive) throw new UsageError(`--agent-fallback takes headless preset ids (${PRESET_IDS.filter((p) => !presetProfile(p)!.interactive).join(', ')}), not "${id}"`);
          return preset;
        })
    : undefined;
  // `--agent-cap claude-code=2`: at most that many attempts of that agent at once.
  let agentCaps: Record<string, number> | undefined;
  if (flags.has('agent-cap')) {
    const [id, n] = String(flags.get('agent-cap')).split('=');
    const cap = Number(n);
    if (!id || !Number.isInteger(cap) || cap < 1) throw new UsageError('--agent-cap needs AGENT=N (a preset id, or custom, and a whole number of at least 1)');
    agentCaps = { [id]: cap };
  }
  // `--answer ID=TEXT`: the person's answer to the question the package's last attempt ended with.
  let answers: Record<string, string> | undefined;
  if (flags.has('answer')) {
    const raw = String(flags.get('answer'));
    const eq = raw.indexOf('=');
    if (eq <= 0 || !raw.slice(eq + 1).trim()) throw new UsageError('--answer needs PACKAGE=TEXT (the answer to the question that package asked)');
    answers = { [raw.slice(0, eq)]: raw.slice(eq + 1) };
  }
  const budget: { usd?: number; tokens?: number } = {};
  if (flags.has('budget-usd')) {
    const usd = Number(flags.get('budget-usd'));
    if (!(Number.isFinite(usd) && usd > 0)) throw new UsageError(`--budget-usd needs a positive amount of US dollars, not "${String(flags.get('budget-usd'))}"`);
    budget.usd = usd;
  }
  if (flags.has('budget-tokens')) budget.tokens = positiveInt('budget-tokens', flags.get('budget-tokens'), 1);
  const onUsageLimit = flags.has('on-usage-limit') ? String(flags.get('on-usage-limit')) : 'stop';
  if (onUsageLimit !== 'wait' && onUsageLimit !== 'stop') throw new UsageError(`--on-usage-limit is wait or stop, not "${onUsageLimit}"`);
  const file = planArg(args, 'run');
  const maxParallel = positiveInt('max-parallel', flags.get('max-parallel'), 1) ?? 10;
  const grace = positiveInt('timeout-grace', flags.get('timeout-grace'), 0);
  const only = flags.has('only')
    ? String(flags.get('only'))
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
  if (only && only.length === 0) throw new UsageError('--only needs package ids, separated by commas');
  const mode = flags.has('barrier') ? 'barrier' : 'eager';
  const json = flags.has('json');
  const dry = flags.has('dry-run');
  if (dry && flags.has('resume')) throw new UsageError('--dry-run and --resume do not go together');
  // With hosts and none of them this machine, the agent is checked on the hosts (waves hosts check), not here.
  const agent = agentFrom(flags, !dry && (!hosts || hosts.some((h) => !isRemote(h))));
  const loaded = await loadPlan(io, file, true);
  if (typeof loaded === 'number') return loaded;
  const unknown = (only ?? []).filter((id) => !loaded.analysis.graph.ids.includes(id));
  if (unknown.length) {
    io.err(`waves: ${file} has no package ${unknown.map((id) => `"${id}"`).join(', ')} (--only)\n`);
    return 2;
  }
  // A proposed plan (in a planning worktree, issue #19) runs only once the person approved it.
  const unapproved = dry ? null : await proposalGate(file);
  if (unapproved) {
    io.err(`waves: ${unapproved}\n`);
    return 1;
  }
  const verification = dry ? 'refuse-unapproved' : await approvalFor(io, loaded, only, json);
  if (verification === null) return 1;

  let engine: RunEngine;
  try {
    engine = await RunEngine.prepare({
      planFile: file,
      // The text whose commands were shown and approved above: the file is not read again.
      planText: loaded,
      agent,
      maxParallel,
      mode,
      verification,
      onUsageLimit,
      ...(answers ? { answers } : {}),
      ...(agentFallback?.length ? { agentFallback } : {}),
      ...(agentCaps ? { agentCaps } : {}),
      ...(budget.usd !== undefined || budget.tokens !== undefined ? { budget } : {}),
      ...(only ? { only } : {}),
      ...(grace !== undefined ? { graceMs: grace * 1000 } : {}),
      ...(coordinator ? { coordinator } : {}),
      ...(hosts ? { hosts, onHostLost, agentForHost: (h: string) => hostAgents.get(h) } : {}),
    });
  } catch (err) {
    if (err instanceof PlanInvalidError) {
      io.err(err.lines.join('\n') + '\n');
      io.err(`waves: ${file} has errors; fix them before running it\n`);
      return 2;
    }
    if (err instanceof NotARepositoryError) {
      io.err(`waves: ${file} is not in a git repository: runs need one (git init, then commit the plan)\n`);
      return 2;
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
      io.err(
        `waves: cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : 'permission denied'}\n`,
      );
      return 2;
    }
    throw err;
  }

  if (dry) {
    printDryRun(io, engine, engine.dryRun(), json, maxParallel, mode);
    engine.dispose();
    return 0;
  }

  const packages: ProgressPackage[] = engine.analysis.graph.ids
    .map((id, i) => ({ id, wave: engine.analysis.graph.wave[i] ?? null }))
    .filter((p) => !only || only.includes(p.id));
  const out = new ProgressOutput(io, json, packages);
  const sub = engine.events((e) => out.event(e, engine.store?.state, packages));
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) {
      io.err('\nwaves: stopped at once; agents still running are adopted by `waves run --resume`\n');
      process.exit(130);
    }
    out.note('cancelling… (Ctrl-C again to exit at once)');
    void engine.cancel();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // An answered question: that package goes back to pending and its next prompt carries the answer.
    if (answers) await resetPackages(engine.repoRoot, loaded.featureId, ['failed'], Object.keys(answers));
    const outcome = await engine.run({ resume: flags.has('resume') || answers !== undefined });
    out.stop();
    if (!json) {
      if (outcome.outcome === 'cancelled') io.out(`cancelled; resume with \`waves run --resume ${file}\`\n`);
      else if (outcome.outcome === 'budget')
        io.out(`stopped at the run's budget: nothing more was started; resume with a higher one: \`waves run --resume --budget-usd … ${file}\`\n`);
      else if (outcome.outcome === 'usage-limit') {
        const resets = Object.values(outcome.state.packages)
          .flatMap((r) => (r.status === 'usage-limit' ? [r.usageLimit?.resetAt ?? null] : []))
          .filter((t): t is string => t !== null)
          .sort();
        io.out(
          `paused at a usage limit (no retry spent)${resets.length ? `; it resets at ${resets[0]}` : ''}: resume with \`waves run --resume ${file}\`${resets.length ? ' then, or run with `--on-usage-limit wait` to go on by itself' : ''}\n`,
        );
      }
      else if (outcome.outcome === 'succeeded')
        io.out(
          `every package succeeded${outcome.integrationBranch ? `; merged into ${outcome.integrationBranch} — \`waves finish ${file}\` offers it to your branch` : ''}\n`,
        );
      else
        io.out(
          `some packages did not succeed: \`waves status ${file}\` shows why${outcome.reportFile ? `, ${rel(outcome.reportFile)} has the report` : ''}\n`,
        );
    }
    // 75 (EX_TEMPFAIL): paused at a usage limit — try again later.
    return outcome.outcome === 'succeeded' ? 0 : outcome.outcome === 'usage-limit' ? 75 : 1;
  } catch (err) {
    out.stop();
    if (err instanceof LeaseHeldError || err instanceof CoordinatorLeaseHeldError) {
      io.err(`waves: ${err.message}\n  \`waves status ${file}\` shows its progress; \`waves cancel ${file}\` stops it\n`);
      return 1;
    }
    if (err instanceof PlannedClaimConflictError) {
      io.err(`waves: ${err.message}\n  nothing was started and no run state was written\n`);
      return 1;
    }
    if (err instanceof CoordinatorUnavailableError || err instanceof CoordinatorError) {
      io.err(
        `waves: ${err.message}\n  nothing was started and no run state was written; try again when it answers, or run without --coordinator (the lock table of .waves/ then protects this clone only)\n`,
      );
      return 1;
    }
    // engine.ts's or verify.ts's error of that name: both carry the list.
    if (err instanceof VerificationNotApprovedError || (err instanceof Error && err.name === 'VerificationNotApprovedError')) {
      const list = (err as { commands?: unknown }).commands;
      const shown = Array.isArray(list) ? list.map((c) => `  ${visibleText(String(c))}\n`).join('') : '';
      io.err(`waves: the plan's verification commands are not approved yet:\n${shown}run \`waves approve ${file}\` first\n`);
      return 1;
    }
    io.err(`waves: the run stopped: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    sub.dispose();
    engine.dispose();
  }
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

// ---------------------------------------------------------------------------------------
// waves cancel

export async function cancelCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(argv, ['coordinator', 'coordinator-repository'], ['coordinator', 'coordinator-repository']);
  const coordinator = coordinatorFrom(flags);
  const file = planArg(args, 'cancel', 1);
  const packageId = args[1];
  const loaded = await loadPlan(io, file, false);
  if (typeof loaded === 'number') return loaded;
  const what = packageId === undefined ? 'the run' : packageId;
  const read = readRun(loaded.repo, loaded.featureId);
  if (read.kind === 'ok') {
    if (packageId !== undefined && !Object.hasOwn(read.state.packages, packageId)) {
      io.err(`waves: the run has no package "${packageId}" (its packages: ${Object.keys(read.state.packages).join(', ')})\n`);
      return 2;
    }
    // Driven from this clone: the request goes through its .waves/.
    const asked = await askDriverToCancel(loaded.repo, loaded.featureId, packageId);
    if (asked.ok) {
      io.out(`asked the engine (${asked.driver}) to cancel ${what}; \`waves status ${file}\` shows when it is done\n`);
      return 0;
    }
    if (!coordinator) {
      io.err(`waves: ${asked.why}; nothing to cancel\n`);
      return 1;
    }
  } else if (!coordinator) {
    io.err(
      `waves: nothing to cancel: ${read.kind === 'none' ? `${loaded.featureId} has not been run` : `the run state cannot be used (${read.detail})`}` +
        ` (a run driven from another clone is cancelled with --coordinator)\n`,
    );
    return 1;
  }
  // Through the shared coordinator: the run's driver on whichever clone it is.
  if (packageId !== undefined && !loaded.analysis.plan.packages.some((p) => p.id === packageId)) {
    io.err(`waves: the plan has no package "${packageId}" (its packages: ${loaded.analysis.plan.packages.map((p) => p.id).join(', ')})\n`);
    return 2;
  }
  let asked: Awaited<ReturnType<typeof askCoordinatedDriverToCancel>>;
  try {
    asked = await askCoordinatedDriverToCancel(loaded.repo, loaded.featureId, packageId, coordinator!);
  } catch (err) {
    if (err instanceof CoordinatorUnavailableError || err instanceof CoordinatorError) {
      io.err(`waves: ${err.message}; nothing was asked\n`);
      return 1;
    }
    throw err;
  }
  if (!asked.ok) {
    io.err(`waves: ${asked.why}; nothing to cancel\n`);
    return 1;
  }
  io.out(
    `asked the engine (${asked.driver}) through the coordinator to cancel ${what}; it takes the request within about ${asked.within} s; \`waves status --coordinator … ${file}\` shows its packages under way\n`,
  );
  return 0;
}

// ---------------------------------------------------------------------------------------
// waves finish

export async function finishCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(argv, ['yes'], []);
  const file = planArg(args, 'finish');
  const loaded = await loadPlan(io, file, false);
  if (typeof loaded === 'number') return loaded;
  const { repo, featureId } = loaded;
  const read = readRun(repo, featureId);
  if (read.kind !== 'ok') {
    io.err(
      `waves: nothing to finish: ${read.kind === 'none' ? `${featureId} has not been run` : `the run state cannot be used (${read.detail})`}\n`,
    );
    return 1;
  }
  const { state } = read;
  const finish = await finishOffer(repo, state);
  if (finish.kind === 'nothing') {
    io.err(`waves: ${finish.why}\n`);
    return 1;
  }
  const lines = [
    `${finish.integrationBranch} (${finish.tip.slice(0, 12)}) holds ${finish.merged.length} of ${Object.keys(state.packages).length} packages of run ${state.runId}:`,
  ];
  for (const [id, m] of finish.merged)
    lines.push(
      `  merged  ${id}${m.commit ? ` (${m.commit.slice(0, 12)})` : ''}${m.files.length ? ` — ${m.files.length} file${m.files.length === 1 ? '' : 's'}` : ''}`,
    );
  for (const id of finish.notMerged)
    lines.push(`  not merged  ${id} (${state.packages[id]!.status}${state.merges[id] ? `, merge ${state.merges[id]!.status}` : ''})`);
  if (finish.commits) {
    const list = finish.commits;
    const where = finish.branch ?? 'HEAD';
    lines.push(list.length ? `${list.length} commit${list.length === 1 ? '' : 's'} not on ${where}:` : `${where} has every commit of it`);
    for (const c of list.slice(0, 30)) lines.push(`  ${c}`);
    if (list.length > 30) lines.push(`  … and ${list.length - 30} more`);
  }
  io.out(lines.map(sanitize).join('\n') + '\n');

  if (!finish.offer) {
    io.out(`no fast-forward: ${finish.blocked}\n`);
    return finish.upToDate ? 0 : 1;
  }
  const { offer } = finish;
  io.out(`${offer.reason}\n`);
  if (!flags.has('yes')) {
    if (!(process.stdin.isTTY && process.stderr.isTTY)) {
      io.out(`to do it: \`waves finish --yes ${file}\`\n`);
      return 0;
    }
    if (!(await askYesNo(`Fast-forward ${offer.target} to ${finish.integrationBranch}? [y/N] `))) {
      io.out('left as it is\n');
      return 0;
    }
  }
  const done = await fastForwardTo(repo, featureId, offer);
  if (!done.ok) {
    io.err(`waves: ${done.why}\n`);
    return 1;
  }
  io.out(`${offer.target} fast-forwarded to ${done.to.slice(0, 12)}\n`);
  return 0;
}

// ---------------------------------------------------------------------------------------
// waves approve

/** A line saying the list holds control or bidi characters (shown escaped), or ''. */
function unsafeNote(texts: readonly string[]): string {
  return texts.some(hasUnsafeCharacters)
    ? 'warning: the list holds control or bidi characters (CR, escape sequences, direction overrides), shown above as \\r, \\x.., \\u....\n'
    : '';
}

export async function approveCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(argv, ['yes'], []);
  const file = planArg(args, 'approve');
  const loaded = await loadPlan(io, file, true);
  if (typeof loaded === 'number') return loaded;
  const { steps, commands, approved } = verificationOf(loaded);
  if (steps.length === 0) {
    io.out(`${file} has no verification commands: nothing to approve\n`);
    return 0;
  }
  io.out(
    `These commands run with your shell (${process.env.SHELL || (process.platform === 'win32' ? 'cmd' : '/bin/sh')}) in each package's tree after its agent:\n`,
  );
  // Shown escaped (visibleText); approved is the exact list.
  for (const s of steps) io.out(`  ${visibleText(s.packageId)} · ${visibleText(s.name)}: ${visibleText(s.command)}\n`);
  io.out(unsafeNote(steps.flatMap((s) => [s.packageId, s.name, s.command])));
  if (approved) {
    io.out('already approved\n');
    return 0;
  }
  if (!flags.has('yes')) {
    if (!(process.stdin.isTTY && process.stderr.isTTY)) {
      io.err(`waves: not approved: no terminal to ask on; run \`waves approve --yes ${file}\` to approve exactly this list\n`);
      return 1;
    }
    if (!(await askYesNo('Approve exactly these commands for this plan? [y/N] '))) {
      io.out('not approved\n');
      return 1;
    }
  }
  const done = await approveShown(loaded.file, commands);
  if (!done.ok) {
    io.err(`waves: not approved: ${file} changed since the list above was read; run \`waves approve ${file}\` again to see it now\n`);
    return 1;
  }
  io.out(`approved: \`waves run ${file}\` will run them (a changed list asks again); your approval is kept in ${personalApprovals()}, not in the repository\n`);
  return 0;
}

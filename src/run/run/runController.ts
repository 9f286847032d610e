/**
 * Runs plans in the editor: one `RunEngine` (docs/run-engine.md, "Engine API") per feature
 * this window drives, its attempts in terminals (`TerminalLauncher`). A run's lifetime is its
 * own disposable scope: the engine, its event subscription and its notifications go when it
 * ends; its terminals stay for the person to read. Nothing starts in an untrusted workspace,
 * and verification commands run only after the person approved the plan's exact list. Every
 * use case comes through the engine's front door (`src/engine/index.ts`), as in the CLI.
 */
import * as vscode from 'vscode';
import { whyNot, type CommandFacts, type CommandTarget, type RunCommand } from '../../core/present/runStatusText';
import type { PackageStatus, RunState } from '../../core/run/runState';
import type { AgentProfile } from '../../core/agents/agentProfiles';
import { forecastLines } from '../../core/run/forecast';
import {
  RunEngine,
  askDriverToCancel,
  containerWallNoteOf,
  repositoryRoot,
  startRequestFrom,
  startRun,
  type EngineEvent,
  type RunOutcome,
  type StartQuestions,
  type QueueRun,
  type StartRefusal,
  type StartRequest,
} from '../../engine';
import type { PlanEntry, PlanRegistry } from '../../plan/planRegistry';
import type { RunWatch } from './runWatch';
import type { RunFacts } from './runFacts';
import { Disposable } from '../../util/lifecycle';
import { pickAgent } from './agentPicker';
import { SourceTicks } from './sourceTicks';
import { readRunSettings, readSandboxSetting, workspaceTurnsContainerOn, type RunSettings } from './settings';
import { readCoordinatorSetting } from '../coordinator/coordinatorSetting';
import { showWorkersNotes, workersQueueFor } from '../coordinator/workersQueue';
import { readHostsSetting } from '../hosts/hostsCommands';
import { TerminalLauncher, TerminalRegistry } from './terminalLauncher';
import { askToApprove, askToApproveSubPlan, askToGrantScope, askToOverlap, askToRun, explainRestricted, relativeLabel, showError, showRefusal } from './startDialogs';

export { askToApprove, explainRestricted } from './startDialogs';

/** What to run. */
export interface RunRequest {
  /** Only these packages (Run Wave, Run Package). */
  only?: string[];
  /** Go on with the feature's run state instead of starting a new run when it has ended. */
  resume?: boolean;
  /** Packages in these statuses go back to pending first (Retry Failed, Resume). */
  reset?: PackageStatus[];
  /** For messages: `the plan`, `wave 2`, `wp-api`. */
  what: string;
  /** Packages found interrupted stay so (an adoption after a reload: the person chooses Resume). */
  keepInterrupted?: boolean;
  /** An adoption nobody asked for: watch and collect only, start nothing (the engine's `collectOnly`). */
  collectOnly?: boolean;
  /** The person's answers to the questions packages ended with (the engine's `answers`). */
  answers?: Record<string, string>;
}

/** What a session ran, remembered per workspace so a reload adopts or resumes the same scope. */
export interface RememberedScope {
  runId: string;
  only: string[] | null;
}

/** A run this window drives. */
export interface RunSession {
  readonly featureId: string;
  readonly planUri: vscode.Uri;
  readonly engine: RunEngine;
  readonly request: RunRequest;
  /** Resolves with the run's outcome (undefined when it stopped on an error). */
  readonly outcome: Promise<RunOutcome | undefined>;
}

export interface RunControllerDeps {
  registry: PlanRegistry;
  runs: RunWatch;
  /** What the views ask of the runs (activation's part): the sessions are attached to it. */
  facts: RunFacts;
  log: vscode.LogOutputChannel;
  /** Where each feature's run scope is remembered (the workspace's state). */
  memento?: vscode.Memento;
}

const scopeKey = (featureId: string) => `waves.run.scope/${featureId}`;

export class RunController extends Disposable {
  readonly terminals = this.register(new TerminalRegistry());
  /** Terminals attached to attempts on SSH hosts, by `<feature>/<package>`. */
  private readonly remoteTerminals = new Map<string, vscode.Terminal>();
  private readonly sessions = new Map<string, RunSession>();
  private readonly changed = this.register(new vscode.EventEmitter<string>());
  /** A session started or ended (the feature id). */
  readonly onDidChangeSessions = this.changed.event;
  private readonly eventEmitter = this.register(new vscode.EventEmitter<{ session: RunSession; event: EngineEvent }>());
  /** Every engine event of every session this window drives. */
  readonly onDidEngineEvent = this.eventEmitter.event;
  private readonly refused = this.register(new vscode.EventEmitter<{ featureId: string; refusal: StartRefusal }>());
  /** A start the engine's start use case refused (nothing started): the same kind and reason `waves run` prints. */
  readonly onDidRefuseStart = this.refused.event;
  readonly sourceTicks: SourceTicks;
  /**
   * The start's questions to the person: modals by default (`askToApprove`, `askToOverlap`).
   * The front end's half of `StartQuestions`; tests put their own answers here.
   */
  questions: Pick<StartQuestions, 'approveCommands' | 'overlapPlannedClaims' | 'confirmRun' | 'grantScope' | 'approveSubPlan'> = {
    approveCommands: (commands, plan) => askToApprove(relativeLabel(plan.file), commands),
    overlapPlannedClaims: (conflicts) => askToOverlap(conflicts),
    confirmRun: (forecast, plan) => askToRun(relativeLabel(plan.file), forecast, plan.file),
    grantScope: (request) => askToGrantScope(request),
    approveSubPlan: (request) => askToApproveSubPlan(request),
  };

  constructor(private readonly deps: RunControllerDeps) {
    super();
    this.register({ dispose: () => this.sessions.forEach((s) => s.engine.dispose()) });
    deps.facts.attach(this);
    // `waves.formats.tickSource`: a converted plan's tasks ticked in its source as packages succeed.
    this.sourceTicks = this.register(new SourceTicks(this.onDidEngineEvent, deps.log));
  }

  session(featureId: string): RunSession | undefined {
    return this.sessions.get(featureId);
  }

  get activeSessions(): RunSession[] {
    return [...this.sessions.values()];
  }

  /** The repository root of a plan's runs: the workspace folder that holds it. */
  repoOf(entry: PlanEntry): string | undefined {
    return this.deps.facts.repoOf(entry);
  }

  /** The feature's run state: the engine's own while this window drives it (fresher than the file). */
  stateFor(entry: PlanEntry): RunState | undefined {
    return this.deps.facts.stateFor(entry);
  }

  /** Who else drives the feature's run (a live lease that is not this window's), for a person. */
  drivenElsewhere(entry: PlanEntry): string | null {
    return this.deps.facts.drivenElsewhere(entry);
  }

  /** The facts `whyNot` decides from. */
  facts(entry: PlanEntry): CommandFacts {
    return this.deps.facts.facts(entry);
  }

  whyNot(command: RunCommand, entry: PlanEntry, target: CommandTarget = {}): string | null {
    return this.deps.facts.whyNot(command, entry, target);
  }

  /** The repository root of a plan file (the engine's answer: git's), or undefined outside a repository. */
  async repositoryOf(planFile: string): Promise<string | undefined> {
    return (await repositoryRoot(planFile)) ?? undefined;
  }

  /**
   * A terminal attached to a package's attempt on an SSH host (`ssh -t … tmux attach`), made
   * when none is open; `show`: brought to the front. False when the package's attempt is not
   * running on a host this window drives.
   */
  private attachRemote(session: RunSession, packageId: string, show: boolean): boolean {
    const attach = session.engine.attachCommand(packageId);
    if (!attach) return false;
    const key = `${session.featureId}/${packageId}`;
    const name = `waves: ${packageId} #${attach.attempt} on ${session.engine.hostOf(packageId) ?? 'host'}`;
    const open = this.remoteTerminals.get(key);
    if (open && open.exitStatus === undefined && open.name === name) {
      if (show) open.show(false);
      return true;
    }
    this.deps.log.info(`[run ${session.featureId}] ${packageId} runs on ${session.engine.hostOf(packageId) ?? 'a host'}: its terminal attaches there`);
    const terminal = vscode.window.createTerminal({ name, shellPath: attach.command, shellArgs: attach.args, iconPath: new vscode.ThemeIcon('remote') });
    this.remoteTerminals.set(key, terminal);
    if (show) terminal.show(false);
    return true;
  }

  /** Shows the terminal attached to a package's running attempt on an SSH host, opening one if needed. */
  showRemoteTerminal(featureId: string, packageId: string): boolean {
    const session = this.sessions.get(featureId);
    return !!session && this.attachRemote(session, packageId, true);
  }

  /** Whether a package's attempt runs on an SSH host this window drives (its terminal can be opened). */
  hasRemoteTerminal(featureId: string, packageId: string): boolean {
    return this.sessions.get(featureId)?.engine.attachCommand(packageId) != null;
  }

  async start(entry: PlanEntry, request: RunRequest, command: RunCommand = 'runPlan', target: CommandTarget = {}): Promise<RunSession | undefined> {
    if (!vscode.workspace.isTrusted) {
      await explainRestricted();
      return undefined;
    }
    // Another driver is the start use case's to refuse (as `waves run` is told, fired as `onDidRefuseStart`): it checks the lease as it takes it.
    const reason = whyNot(command, { ...this.facts(entry), drivenElsewhere: null }, target);
    if (reason) {
      void vscode.window.showWarningMessage(`Waves: cannot run ${request.what}: ${reason}.`);
      return undefined;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === entry.uri.toString());
    if (doc?.isDirty) {
      const save = 'Save and Run';
      const choice = await vscode.window.showWarningMessage(`Waves: ${entry.label} has unsaved changes; a run reads the plan from disk.`, { modal: true }, save);
      if (choice !== save || !(await doc.save())) return undefined;
    }

    const settings = readRunSettings(entry.uri);
    // A run setting that cannot be used (the agents' first): said, with the setting to open.
    const problem = settings.settingProblem;
    if (problem) {
      const open = 'Open Settings';
      if ((await vscode.window.showErrorMessage(`Waves: ${problem.message}`, open)) === open) await vscode.commands.executeCommand('workbench.action.openSettings', problem.setting);
      return undefined;
    }
    // The container as the agents' wall is the person's own choice: a workspace's settings that turn it on are refused, named.
    const turnedOn = workspaceTurnsContainerOn(entry.uri);
    if (turnedOn) {
      const where = typeof turnedOn === 'string' ? turnedOn : vscode.workspace.asRelativePath(turnedOn);
      const open = 'Open File';
      void vscode.window
        .showErrorMessage(
          `Waves: ${where} turns waves.sandbox.container on: the container as the agents' wall is your own choice alone (your user or remote machine settings), never a workspace's. Nothing was started; take it out there.`,
          ...(typeof turnedOn === 'string' ? [] : [open]),
        )
        .then((pick) => {
          if (pick === open && typeof turnedOn !== 'string') void vscode.window.showTextDocument(turnedOn);
        });
      return undefined;
    }
    // As `waves run --layered-worktrees --unconfined` is refused: a layered tree is whole only inside the walls.
    if (settings.layered && readSandboxSetting()?.unconfined) {
      const open = 'Open Settings';
      void vscode.window.showErrorMessage("Waves: waves.worktrees.layered needs the agents' walls: a layered worktree is whole only inside them, and your waves.sandbox.unconfined turns them off. Nothing was started; turn off one of the two.", open).then((choice) => {
        if (choice === open) void vscode.commands.executeCommand('workbench.action.openSettings', 'waves.worktrees.layered');
      });
      return undefined;
    }
    const agent = settings.agent ?? (await pickAgent(entry.uri));
    if (!agent) return undefined;
    return this.launch(entry, request, agent, settings);
  }

  /** What the feature's last session in this workspace ran (its `only`), when it is still that run. */
  rememberedScope(featureId: string, runId: string): string[] | undefined {
    const scope = this.deps.memento?.get<RememberedScope>(scopeKey(featureId));
    return scope && scope.runId === runId && scope.only ? scope.only : undefined;
  }

  /**
   * Watches the feature's run again after this window (or another process) stopped driving
   * it, without asking anything — and so without starting anything (`collectOnly`): the
   * live runners are adopted, their terminals re-attached by pid, exits written while nobody
   * watched are collected (audited, merged); no ready package starts and nothing is retried.
   * When nothing is left to watch the run ends `collected` and the rest is the person's
   * (Resume).
   * Undefined when it cannot (no agent configured, the plan changed its mind…): the caller
   * offers Resume instead.
   */
  async adopt(entry: PlanEntry, live: readonly { packageId: string; attempt: number; pid: number }[], runId: string): Promise<RunSession | undefined> {
    if (!vscode.workspace.isTrusted) return undefined;
    const settings = readRunSettings(entry.uri);
    if (!settings.agent || settings.agentProblem) return undefined;
    const featureId = entry.analysis.plan.feature?.id;
    if (!featureId || this.sessions.has(featureId)) return undefined;
    const only = this.rememberedScope(featureId, runId);
    // Nothing is asked: commands approved before run, the others are skipped with a problem event.
    const session = await this.launch(entry, { what: 'the run', resume: true, keepInterrupted: true, collectOnly: true, ...(only ? { only } : {}) }, settings.agent, settings, true);
    for (const l of session ? live : []) {
      void this.terminals.attachWhenOpen(featureId, l.packageId, l.attempt, l.pid).then((t) =>
        this.deps.log.info(`[run ${featureId}] ${t ? `re-attached the terminal "${t.terminal.name}" of ${l.packageId}` : `no terminal has the runner of ${l.packageId}`} (runner pid ${l.pid})`),
      );
    }
    return session;
  }

  /**
   * Starts the run through the engine's one start use case (`startRun`, as `waves run` does):
   * the settings made into its request, its questions asked as modals, its refusal shown.
   * Undefined when it did not start (the reason was shown).
   */
  private async launch(entry: PlanEntry, request: RunRequest, agent: AgentProfile, settings: RunSettings, adopt = false): Promise<RunSession | undefined> {
    const planFile = entry.uri.fsPath;
    const featureId = entry.analysis.plan.feature!.id!;
    if (this.sessions.has(featureId)) {
      void vscode.window.showWarningMessage(`Waves: a run of ${featureId} is already driven by this window.`);
      return undefined;
    }
    const waves = entry.analysis.graph.waves;
    const launcher = new TerminalLauncher({
      featureId,
      terminals: this.terminals,
      waveOf: (id) => {
        const k = waves.findIndex((w) => w.includes(id));
        return k < 0 ? null : k + 1;
      },
    });
    // `waves.coordinator` (ADR 0012): locks, the lease across clones and the registry in PostgreSQL.
    const coordinator = readCoordinatorSetting(entry.uri);
    if (coordinator && 'problem' in coordinator) {
      if (!adopt)
        void vscode.window.showErrorMessage(`Waves: ${coordinator.problem} Nothing was started.`, 'Open Settings').then((pick) => {
          if (pick) void vscode.commands.executeCommand('workbench.action.openSettings', 'waves.coordinator');
        });
      return undefined;
    }
    // `waves.hosts` (ADR 0011): the person's own setting only; the start checks it (problems, each host's agent).
    const hosts = readHostsSetting();
    // `waves.workers.remote` with the coordinator (ADR 0037): the packages queued for pull workers; audits, verification and merges stay here.
    let queue: QueueRun | null | undefined;
    try {
      queue = await workersQueueFor({ planFile, shown: entry.label, featureId, agent: agent.id, coordinator, hosts: hosts !== undefined, adopt, log: this.deps.log });
    } catch (err) {
      if (adopt) this.deps.log.warn(`[run ${featureId}] the workers' queue: ${String(err)}`);
      else showError(this.deps.log, entry, err);
      return undefined;
    }
    if (queue === undefined) return undefined;
    const closeQueue = () => queue?.close().catch((err: unknown) => this.deps.log.warn(`[run ${featureId}] the workers' queue: ${String(err)}`));
    // `waves.sandbox.*`: the agents' walls, on unless the person turned them off themselves.
    const confinement = readSandboxSetting();
    const startRequest: StartRequest = startRequestFrom({
      planFile,
      shown: entry.label,
      agent,
      maxParallel: settings.maxParallel,
      mode: settings.mode,
      launcher,
      executor: queue?.executor,
      // Best of n (ADR 0031): the run-wide count; a package's own `inputs.waves` wins.
      candidates: settings.candidates,
      coordinator,
      hosts,
      confinement,
      only: request.only,
      resume: request.resume,
      reset: request.reset,
      setupHook: settings.setupHook,
      copyFiles: settings.copyFiles,
      layered: settings.layered,
      agentFor: settings.overrides.size ? (id: string) => settings.overrides.get(id) ?? agent : undefined,
      worktreesFolder: settings.worktreesFolder,
      keepInterrupted: request.keepInterrupted,
      collectOnly: request.collectOnly,
      answers: request.answers,
      adopt,
      onUsageLimit: settings.onUsageLimit,
      budget: settings.budget,
      agentFallback: settings.fallback,
      agentCaps: settings.agentCaps,
      // The review gate: a package that passed waits for the person before its merge.
      // Set: what the run drives with; set nowhere, a run taken up again keeps the gate it was started with.
      review: settings.reviewGate,
      // The integration guard: the integration package's checks on the integration branch as packages land; the same rule.
      integrationGuard: settings.integrationGuard,
    });

    let session: RunSession | undefined;
    let sub: vscode.Disposable | undefined;
    let resolveOutcome!: (o: RunOutcome | undefined) => void;
    const outcome = new Promise<RunOutcome | undefined>((r) => (resolveOutcome = r));
    const forget = () => {
      sub?.dispose();
      if (session && this.sessions.get(featureId) === session) this.sessions.delete(featureId);
    };
    let declined = false;
    const started = await startRun(startRequest, {
      approveCommands: async (commands, plan) => {
        if (adopt) return false;
        const ok = await this.questions.approveCommands(commands, plan);
        declined = !ok;
        return ok;
      },
      overlapPlannedClaims: async (conflicts) => {
        if (adopt) return false;
        const ok = await this.questions.overlapPlannedClaims(conflicts);
        declined = !ok;
        return ok;
      },
      // A new run (Run Plan): its forecast, asked about; the front end may not ask.
      confirmRun: async (forecast, plan) => {
        const ok = (await this.questions.confirmRun?.(forecast, plan)) ?? true;
        declined = !ok;
        return ok;
      },
      // An agent's request for more write scope, while the run goes on: the person's answer.
      grantScope: (request) => this.questions.grantScope?.(request) ?? Promise.resolve(false),
      // A planner's sub-plan with new commands, while the run goes on: the person's approval, or it waits.
      approveSubPlan: (request) => this.questions.approveSubPlan?.(request) ?? Promise.resolve(false),
      // The session exists from the engine's first event on (`run-started` comes as it begins).
      engineReady: (engine) => {
        forget();
        const current: RunSession = { featureId, planUri: entry.uri, engine, request, outcome };
        session = current;
        this.sessions.set(featureId, current);
        sub = this.follow(current);
      },
    }).catch((err: unknown) => {
      forget();
      this.changed.fire(featureId);
      showError(this.deps.log, entry, err);
      return undefined;
    });
    if (!started?.ok) void closeQueue();
    if (!started) return undefined;
    if (!started.ok) {
      forget();
      this.changed.fire(featureId);
      this.refused.fire({ featureId, refusal: started.refusal });
      if (!declined) showRefusal(this.deps.log, entry, started.refusal, adopt);
      return undefined;
    }
    const { engine } = started;
    const running = session!;
    this.changed.fire(featureId);
    // The container as the agents' wall: said as every such run starts (or that it counts for nothing here: not a container).
    const wallNote = containerWallNoteOf(confinement);
    if (wallNote) {
      this.deps.log.warn(`[run ${featureId}] ${wallNote}`);
      if (!adopt) void vscode.window.showWarningMessage(`Waves: ${wallNote}.`);
    }
    // On pull workers: nobody there yet to take some packages (they wait in the queue).
    if (queue) showWorkersNotes(this.deps.log, featureId, queue.notes, adopt);
    this.deps.log.info(`[run ${featureId}] ${request.what}: agent ${agent.id}, max ${settings.maxParallel} in parallel, ${settings.mode}`);
    // The forecast it keeps for its report; past run states that cannot be read, said once.
    for (const p of started.forecast?.problems ?? []) this.deps.log.warn(`[run ${featureId}] ${p}`);
    if (started.forecast) this.deps.log.info(`[run ${featureId}] ${forecastLines(started.forecast.forecast)[0]}`);
    void started.outcome
      .then(
        (o) => o,
        (err: unknown) => {
          showError(this.deps.log, entry, err);
          return undefined;
        },
      )
      .then(async (o) => {
        sub?.dispose();
        engine.dispose();
        await closeQueue();
        // The views fall back to RunWatch's copy of the file: make it current first, so
        // nothing reads a state older than the engine's last one.
        await this.deps.runs.refresh().catch(() => undefined);
        if (this.sessions.get(featureId) === running) this.sessions.delete(featureId);
        this.changed.fire(featureId);
        resolveOutcome(o);
      });
    return running;
  }

  /** A session's engine events to the log, the views and the remote terminals. */
  private follow(session: RunSession): vscode.Disposable {
    const { featureId, engine, request } = session;
    const attached = new Set<string>();
    return engine.events((event) => {
      // An attempt on an SSH host: its terminal is attached to it there.
      if (event.type === 'package' && event.status === 'running' && !attached.has(`${event.packageId}#${event.attempt}`)) {
        if (this.attachRemote(session, event.packageId, false)) attached.add(`${event.packageId}#${event.attempt}`);
      }
      if (event.type === 'run-started') void this.deps.memento?.update(scopeKey(featureId), { runId: event.runId, only: request.only ?? null } satisfies RememberedScope);
      if (event.type === 'problem') this.deps.log.warn(`[run ${featureId}] ${event.message}`);
      else this.deps.log.info(`[run ${featureId}] ${describeEvent(event)}`);
      this.eventEmitter.fire({ session, event });
    });
  }

  /** Cancels the run of `entry` (or one package): this window's engine, else the one driving it elsewhere. */
  async cancel(entry: PlanEntry, packageId?: string): Promise<boolean> {
    const featureId = entry.analysis.plan.feature?.id;
    if (!featureId) return false;
    const reason = this.whyNot(packageId === undefined ? 'cancelRun' : 'cancelPackage', entry, packageId === undefined ? {} : { packageId });
    if (reason) {
      void vscode.window.showInformationMessage(`Waves: nothing to cancel: ${reason}.`);
      return false;
    }
    const session = this.sessions.get(featureId);
    if (session) await session.engine.cancel(packageId);
    else {
      const asked = await askDriverToCancel(this.repoOf(entry)!, featureId, packageId);
      if (!asked.ok) {
        void vscode.window.showInformationMessage(`Waves: nothing to cancel: ${asked.why}.`);
        return false;
      }
    }
    this.deps.log.info(`[run ${featureId}] cancel ${packageId ?? 'the run'} asked`);
    return true;
  }
}

/** One line for the log. */
export function describeEvent(e: EngineEvent): string {
  switch (e.type) {
    case 'package':
      return `${e.packageId} ${e.status} (attempt ${e.attempt})${e.detail ? `: ${e.detail}` : ''}`;
    case 'needs-input':
      return e.reason ? `${e.packageId} needs input: ${e.reason}` : `${e.packageId} goes on`;
    case 'verification':
      return `${e.packageId} ${e.ok ? '✓' : '✗'} ${e.step}`;
    case 'merge':
      return e.ok ? `${e.packageId} merged` : `${e.packageId} merge conflict in ${(e.conflicts ?? []).join(', ')}`;
    case 'run-started':
      return `run ${e.runId} ${e.resumed ? 'resumed' : 'started'}: ${e.packages.length} packages`;
    case 'run-finished':
      return `run finished: ${e.outcome}${e.speedup ? `, speed-up ${e.speedup.toFixed(1)}×` : ''}`;
    case 'plan-changed':
      return `the plan changed${e.added.length ? `: added ${e.added.join(', ')}` : ''}`;
    case 'problem':
      return e.message;
    case 'progress':
      return `${e.packageId} ${Math.round(e.fraction * 100)} %: ${e.message}`;
    case 'handoff':
      return `${e.packageId} left a note for its dependents`;
    case 'asked':
      return `${e.packageId} asks: ${e.question}`;
    case 'scopeGranted':
      return `${e.packageId} granted more write scope: ${e.paths.join(', ')}`;
  }
}

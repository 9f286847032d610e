/**
 * `Waves: Plan a Feature…` (ADR 0013): the person describes a feature; the agent
 * runs headless in a planning worktree of its own, the exact checker repairs the plan round by
 * round (a notification shows each round, cancellable), then the proposal opens — proposal.md,
 * the plan (its remaining problems in the Problems panel) and the DAG panel with the approval
 * bar: Approve, Request Changes…, Discard, and Run Plan once approved. Nothing runs before the
 * person approves (the engine's `proposalGate` refuses it too). With `waves.coordinator` set,
 * approving registers the plan's planned claims there and discarding removes them;
 * a coordinator out of reach is a warning, the approval stands.
 *
 * Complete with Agent (`waves.planFeature` with `{ draft }`, what `Waves: Complete with Agent…`
 * runs, src/extension/foreignPlans/completeWithAgent.ts): the same, from a draft plan — a converted
 * task list — instead of a description (the engine's `completePlanning`); the approval bar names
 * the draft and its task lists, and a task of the draft the proposal no longer carries is a
 * problem on that task in the person's task list while the session is open.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_REPAIR_ROUNDS, DEFAULT_ROUND_MINUTES, agentRounds, approvalRefusal, proposedPlanIdOf, roundPurposeText, sessionAgent, type PlanningState } from '../../core/planning/planningSession';
import { DROPPED_TASK_CODE, droppedTaskProblem, droppedTaskSeverity, droppedTasks, parseDraftTaskKey } from '../../core/planning/draftCompletion';
import { LineIndex } from '../../core/plan/text';
import { customProfile } from '../../core/agents/agentProfiles';
import { forecastHeadline, forecastLines } from '../../core/run/forecast';
import type { ProposalSource } from '../../dag/actions';
import {
  PlanningError,
  ConfinementUnavailableError,
  approvePlanning,
  childProcessLauncher,
  completePlanning,
  discardPlanning,
  forecastOf,
  planFileOf,
  plannedConflictText,
  readPlanning,
  revisePlanning,
  startPlanning,
  taskKeysOf,
  type CoordinatorOptions,
  type Launcher,
  type PlanningEvent,
  type PlanningResult,
  type Confinement,
} from '../../engine';
import type { PlanRegistry } from '../../plan/planRegistry';
import type { ProposalAction, ProposalForecast, ProposalView } from '../../protocol';
import { Disposable } from '../../util/lifecycle';
import { pickAgent } from '../run/agentPicker';
import { registerShown } from '../run/runCommands';
import { explainRestricted } from '../run/runController';
import { readRunSettings, readSandboxSetting } from '../run/settings';
import { readCoordinatorSetting } from '../coordinator/coordinatorSetting';

interface Deps {
  registry: PlanRegistry;
  log: vscode.LogOutputChannel;
}

/** Where a proposal lives: its repository and session id. */
interface Where {
  repo: string;
  id: string;
}

/** Arguments the commands take (from the palette: none; from tests and links: these). */
interface PlanFeatureArgs {
  description?: string;
  folder?: vscode.Uri;
  /** Complete with Agent: the draft plan to start from instead of a description. */
  draft?: vscode.Uri;
}

/** The runner under the editor's Node: Electron's binary runs it as Node with ELECTRON_RUN_AS_NODE. */
const launcher: Launcher = {
  launch: (request) => childProcessLauncher.launch({ ...request, env: { ...request.env, ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) } }),
};

export class PlanningController extends Disposable implements ProposalSource {
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;
  /** Plan file URI → its session, for the proposals made or opened in this window. */
  private readonly known = new Map<string, Where>();
  /** Sessions with a round under way. */
  private readonly busy = new Set<string>();
  /** The last session's result (the tests read it). */
  lastResult: PlanningResult | undefined;
  /** Every progress message shown, in order (the log has them too). */
  readonly progressShown: string[] = [];
  /** The approval bar's forecast of each plan file, and the plan and session it was made for. */
  private readonly forecasts = new Map<string, { key: string; view?: ProposalForecast }>();
  /** The tasks a proposal completed from a draft dropped, on the task in the person's task list (`publishDropped`). */
  private readonly droppedDiagnostics = this.register(vscode.languages.createDiagnosticCollection('waves-draft'));
  private droppedGeneration = 0;

  constructor(private readonly deps: Deps) {
    super();
    const command = (id: string, run: (arg: unknown) => unknown) => this.register(registerShown(id, deps.log, run, (err) => err instanceof PlanningError || err instanceof ConfinementUnavailableError));
    command('waves.planFeature', (arg) => this.planFeature((arg ?? {}) as PlanFeatureArgs));
    command('waves.approvePlan', (arg) => this.byCommand('approve', arg));
    command('waves.requestPlanChanges', (arg) => this.byCommand('requestChanges', arg));
    command('waves.discardPlan', (arg) => this.byCommand('discard', arg));
    this.register(vscode.window.onDidChangeActiveTextEditor(() => this.setContext()));
    // A task put back in the proposal (its edits), a session's new round, an edit of the task list moving the task: shown again.
    this.register(deps.registry.onDidChange(() => this.publishDropped()));
    this.register(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (this.droppedDiagnostics.has(e.document.uri)) this.publishDropped();
      }),
    );
    this.setContext();
    this.publishDropped();
  }

  // -- ProposalSource (the DAG panel's approval bar) ---------------------------------------

  viewFor(uri: vscode.Uri): ProposalView | undefined {
    const where = this.where(uri);
    const state = where && readPlanning(where.repo, where.id);
    if (!where || !state || state.status === 'discarded') return undefined;
    const busy = this.busy.has(state.id);
    const status = busy ? 'planning' : state.status;
    const off = (reason: string) => ({ enabled: false as const, reason });
    const on = { enabled: true as const };
    const forecast = busy || status === 'invalid' ? undefined : this.forecastView(uri, state);
    return {
      id: state.id,
      status,
      rounds: agentRounds(state),
      planDir: state.planDir,
      ...(forecast ? { forecast } : {}),
      ...(state.draft ? { draft: { plan: state.draft.file, sources: [...state.draft.sources] } } : {}),
      actions: {
        approve: busy
          ? off('the agent is still working on it')
          : status === 'approved'
            ? off('approved already')
            : status === 'invalid'
              ? off('the plan has errors: request changes, or fix them')
              : approvalRefusal(state) === null
                ? on
                : off('its last round was stopped before the agent ended: request changes for a complete round'),
        requestChanges: busy ? off('the agent is still working on it') : status === 'approved' ? off('approved already') : on,
        discard: busy ? off('the agent is still working on it') : on,
        runPlan: status === 'approved' ? on : off('approve the plan first: nothing runs before you do'),
      },
    };
  }

  /**
   * The approval bar's forecast: the start's own (`forecastOf`, as Run Plan would run it
   * with the settings), made in the background — the bar is drawn again when it is ready — and
   * made again when the plan file or the session changes. The last one stays while the next is made.
   */
  private forecastView(uri: vscode.Uri, state: PlanningState): ProposalForecast | undefined {
    let key: string;
    try {
      key = `${state.status}:${state.rounds.length}:${fs.statSync(uri.fsPath).mtimeMs}`;
    } catch {
      // the proposed plan gone: no forecast to show
      return undefined;
    }
    const known = this.forecasts.get(uri.toString());
    if (known?.key === key) return known.view;
    this.forecasts.set(uri.toString(), { key, ...(known?.view ? { view: known.view } : {}) });
    void this.makeForecast(uri, state, key);
    return known?.view;
  }

  private async makeForecast(uri: vscode.Uri, state: PlanningState, key: string): Promise<void> {
    const settings = readRunSettings(uri);
    const remembered = sessionAgent(state);
    // Run Plan's agent: the setting's, else (it asks then) the one the session was planned with.
    const agent = settings.agent ?? ('agent' in remembered ? remembered.agent : customProfile(['agent'], { label: 'the agent you choose' }));
    const result = await forecastOf({
      planFile: uri.fsPath,
      shown: uri.fsPath,
      agent,
      maxParallel: settings.maxParallel,
      mode: settings.mode,
      ...(settings.overrides.size ? { agentFor: (id: string) => settings.overrides.get(id) ?? agent } : {}),
    }).catch((err: unknown) => {
      this.deps.log.warn(`plan ${state.id}: no forecast: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
    if (this.forecasts.get(uri.toString())?.key !== key) return; // the plan changed meanwhile: the newer one decides
    if (!result?.ok) {
      this.forecasts.set(uri.toString(), { key });
      return;
    }
    for (const p of result.problems) this.deps.log.warn(`plan ${state.id}: ${p}`);
    this.forecasts.set(uri.toString(), { key, view: { headline: forecastHeadline(result.forecast), details: forecastLines(result.forecast) } });
    this.changed.fire();
  }

  /**
   * The approval bar's action. Request Changes and Discard ask the person first (an input box, a
   * modal) and may run agent rounds: the panel's request is answered once they are under way (its
   * requests time out after 15 s), the bar follows through `onDidChange`, failures are shown.
   */
  async perform(action: ProposalAction, uri: vscode.Uri): Promise<void> {
    this.check(action, uri); // a refusal (not a proposal, disabled) is the panel's answer
    if (action === 'requestChanges' || action === 'discard') {
      void this.act(action, uri).catch((err: unknown) => {
        if (!(err instanceof PlanningError)) this.deps.log.error(`Proposal action ${action} failed`, err);
        void vscode.window.showErrorMessage(`Waves: ${err instanceof Error ? err.message : String(err)}`);
      });
      return;
    }
    await this.act(action, uri);
  }

  /** Throws (with a `code`) when `action` cannot act on the plan at `uri` now. */
  private check(action: ProposalAction, uri: vscode.Uri): Where {
    const where = this.where(uri);
    if (!where) throw Object.assign(new Error('This plan is not a proposal'), { code: 'not-a-proposal' });
    const state = this.viewFor(uri)?.actions[action];
    if (!state?.enabled) throw Object.assign(new Error(`${action}: ${state?.reason ?? 'not available'}`), { code: 'not-available' });
    return where;
  }

  private async act(action: ProposalAction, uri: vscode.Uri): Promise<void> {
    const where = this.check(action, uri);
    switch (action) {
      case 'approve':
        return this.approve(where, uri);
      case 'requestChanges':
        return this.requestChanges(where, uri);
      case 'discard':
        return this.discard(where, uri);
      case 'runPlan':
        await vscode.commands.executeCommand('waves.runPlan', uri);
        return;
    }
  }

  // -- The commands ------------------------------------------------------------------------

  private async planFeature(args: PlanFeatureArgs): Promise<PlanningResult | undefined> {
    if (!vscode.workspace.isTrusted) {
      await explainRestricted();
      return undefined;
    }
    if (args.draft instanceof vscode.Uri) return this.completeDraft(args.draft);
    const folder = args.folder ?? (await this.pickFolder());
    if (!folder) return undefined;
    const description = args.description ?? (await this.askDescription());
    if (!description) return undefined;
    const agent = await this.agent(folder);
    if (!agent) return undefined;
    const result = await this.withProgress(`Waves: planning "${firstLine(description)}"`, (onEvent, signal) =>
      startPlanning({ cwd: folder.fsPath, description, agent, ...limits(folder), ...worktreesFolder(folder), launcher, onEvent, signal, ...sandbox() }),
    );
    return this.present(result);
  }

  /** Complete with Agent: a session from the draft plan at `draft` (the file as saved), its repository found from its folder. */
  private async completeDraft(draft: vscode.Uri): Promise<PlanningResult | undefined> {
    if (draft.scheme !== 'file') throw new PlanningError(`${draft.toString(true)} is not a file on this machine: a draft to complete is a plan of a local repository`);
    const agent = await this.agent(draft);
    if (!agent) return undefined;
    const shown = vscode.workspace.asRelativePath(draft);
    const result = await this.withProgress(`Waves: completing the draft ${shown}`, (onEvent, signal) =>
      completePlanning({ cwd: path.dirname(draft.fsPath), from: draft.fsPath, agent, ...limits(draft), ...worktreesFolder(draft), launcher, onEvent, signal, ...sandbox() }),
    );
    return this.present(result);
  }

  private async byCommand(action: ProposalAction, arg: unknown): Promise<void> {
    const uri = arg instanceof vscode.Uri ? arg : (arg as { uri?: unknown } | undefined)?.uri instanceof vscode.Uri ? ((arg as { uri: vscode.Uri }).uri) : this.activeProposal();
    if (!uri) {
      void vscode.window.showInformationMessage('Waves: open a proposed plan first (Waves: Plan a Feature…).');
      return;
    }
    await this.act(action, uri);
  }

  private async approve(where: Where, uri: vscode.Uri): Promise<void> {
    const { state, shared } = await approvePlanning(where.repo, where.id, this.coordinator(vscode.Uri.file(where.repo)));
    this.fire();
    if (shared && !shared.ok)
      void vscode.window.showWarningMessage(`Waves: plan ${state.id} is approved here, but its planned claims are not in the coordinator: ${shared.message}. Approve it again when the coordinator answers.`);
    else if (shared?.ok) {
      this.deps.log.info(`plan ${state.id}: ${shared.registered} planned claim(s) of feature ${shared.featureId} registered in the coordinator`);
      for (const c of shared.conflicts) this.deps.log.warn(`plan ${state.id}: ${plannedConflictText(c)}`);
      if (shared.conflicts.length)
        void vscode.window.showWarningMessage(
          `Waves: plan ${state.id} meets ${shared.conflicts.length} planned claim(s) of other features' approved plans: ${plannedConflictText(shared.conflicts[0]!)}${shared.conflicts.length > 1 ? ' (the rest in the Waves log)' : ''}.`,
        );
    }
    const run = 'Run Plan';
    void vscode.window
      .showInformationMessage(`Waves: plan ${state.id} approved at ${state.approvedCommit!.slice(0, 12)} on its branch ${state.branch}. Run it now?`, run)
      .then((choice) => (choice === run ? vscode.commands.executeCommand('waves.runPlan', uri) : undefined));
  }

  private async requestChanges(where: Where, uri: vscode.Uri): Promise<void> {
    const comments = await vscode.window.showInputBox({
      title: `Waves: request changes to the plan ${where.id}`,
      prompt: 'What should the planning agent change? (it gets your comments with the plan, for another round)',
      placeHolder: 'e.g. Split wp-api into wp-api-users and wp-api-orders',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? null : 'Say what to change'),
    });
    if (!comments) return;
    // The session's own agent (a session remembers it), else the one waves.agent names.
    const state = readPlanning(where.repo, where.id);
    const remembered = state ? sessionAgent(state) : undefined;
    const agent = remembered && 'agent' in remembered ? remembered.agent : await this.agent(uri);
    if (!agent) return;
    const result = await this.withProgress(`Waves: revising the plan ${where.id}`, (onEvent, signal) =>
      revisePlanning({ repo: where.repo, id: where.id, comments, agent, ...limits(uri), ...worktreesFolder(uri), launcher, onEvent, signal, ...sandbox() }),
      where.id,
    );
    await this.present(result);
  }

  private async discard(where: Where, uri: vscode.Uri): Promise<void> {
    const yes = 'Discard';
    const choice = await vscode.window.showWarningMessage(
      `Waves: discard the proposed plan ${where.id}?`,
      { modal: true, detail: "Its planning worktree is removed and its branch deleted, and so are its run's worktrees and waves/<feature>/ branches when it ran (refused while any of them holds uncommitted changes, or while the run goes on); the message says how to bring a branch back." },
      yes,
    );
    if (choice !== yes) return;
    const state = readPlanning(where.repo, where.id);
    const { message, shared } = await discardPlanning(where.repo, where.id, this.coordinator(vscode.Uri.file(where.repo)));
    if (shared && !shared.ok) void vscode.window.showWarningMessage(`Waves: ${where.id} is discarded here, but its planned claims stay in the coordinator: ${shared.message}.`);
    this.known.delete(uri.toString());
    // Its files are gone: close their tabs (nothing unsaved: the discard refused a dirty worktree) and stop following the plan.
    const under = state ? `${state.worktree}${path.sep}` : null;
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputText && under !== null && t.input.uri.fsPath.startsWith(under) && !t.isDirty);
    if (tabs.length) await vscode.window.tabGroups.close(tabs);
    this.deps.registry.forget(uri);
    this.fire();
    void vscode.window.showInformationMessage(`Waves: discarded ${where.id}: ${message}.`);
  }

  // -- Helpers -----------------------------------------------------------------------------

  /** `waves.coordinator` for the proposal's repository folder (a setting with a problem counts as none: the run says so). */
  private coordinator(uri: vscode.Uri): { coordinator?: CoordinatorOptions } {
    const setting = readCoordinatorSetting(uri);
    return setting && !('problem' in setting) ? { coordinator: setting } : {};
  }

  /** The session of a plan file: known in this window, or a plan under `<folder>.worktrees/_plans/<id>/` of a workspace folder. */
  private where(uri: vscode.Uri): Where | undefined {
    const known = this.known.get(uri.toString());
    if (known) return known;
    for (const f of vscode.workspace.workspaceFolders ?? []) {
      const id = proposedPlanIdOf(uri.fsPath, [f.uri.fsPath]);
      if (!id) continue;
      const state = readPlanning(f.uri.fsPath, id);
      if (state && planFileOf(state) === uri.fsPath) return { repo: f.uri.fsPath, id };
    }
    return undefined;
  }

  private activeProposal(): vscode.Uri | undefined {
    const active = vscode.window.activeTextEditor?.document.uri ?? this.deps.registry.active?.uri;
    if (active && this.where(active)) return active;
    return [...this.known.keys()].map((k) => vscode.Uri.parse(k)).find((u) => this.viewFor(u));
  }

  private setContext(): void {
    void vscode.commands.executeCommand('setContext', 'waves.hasProposal', this.activeProposal() !== undefined);
  }

  private fire(): void {
    this.changed.fire();
    this.setContext();
    this.publishDropped();
  }

  /**
   * Complete with Agent: each task of the draft that an open session's proposal (as the registry
   * reads it now, the person's edits included) no longer carries, in the Problems panel on that
   * task in the person's own task list — the rule and the words are the engine's rounds' own
   * (`droppedTasks`, `droppedTaskProblem`). Gone once the task is back, the session approved or
   * discarded.
   */
  private publishDropped(): void {
    const generation = ++this.droppedGeneration;
    void this.droppedProblems().then(
      (next) => {
        if (generation !== this.droppedGeneration || this.isDisposed) return;
        this.droppedDiagnostics.forEach((uri) => {
          if (!next.has(uri.toString())) this.droppedDiagnostics.delete(uri);
        });
        for (const { uri, diagnostics } of next.values()) this.droppedDiagnostics.set(uri, diagnostics);
      },
      (err: unknown) => this.deps.log.warn(`dropped tasks not shown: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  /** The dropped-task problems by file; the task-list readers are loaded (their bundle) only when a task was dropped. */
  private async droppedProblems(): Promise<Map<string, { uri: vscode.Uri; diagnostics: vscode.Diagnostic[] }>> {
    const next = new Map<string, { uri: vscode.Uri; diagnostics: vscode.Diagnostic[] }>();
    for (const entry of this.deps.registry.plans) {
      if (entry.foreign || entry.uri.scheme !== 'file') continue;
      const where = this.where(entry.uri);
      const state = where && readPlanning(where.repo, where.id);
      if (!where || !state?.draft?.tasks.length || state.status === 'approved' || state.status === 'discarded') continue;
      const dropped = droppedTasks(state.draft.tasks, taskKeysOf(entry.analysis.plan));
      if (!dropped.length) continue;
      const { taskRangeIn } = await import('../../core/formats/foreignAnalysis');
      const severity = droppedTaskSeverity(state.rounds);
      for (const task of dropped) {
        const at = this.taskInSource(where.repo, state.draft, task, taskRangeIn);
        if (!at) continue;
        const problem = droppedTaskProblem(task, severity);
        const d = new vscode.Diagnostic(at.range, `Proposed plan ${state.id}: ${problem.message}`, severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
        d.source = 'waves';
        d.code = DROPPED_TASK_CODE;
        d.relatedInformation = [new vscode.DiagnosticRelatedInformation(new vscode.Location(entry.uri, new vscode.Position(0, 0)), `the proposed plan ${state.id}, completed from the draft ${state.draft.file}`)];
        const list = next.get(at.uri.toString()) ?? { uri: at.uri, diagnostics: [] };
        list.diagnostics.push(d);
        next.set(at.uri.toString(), list);
      }
    }
    return next;
  }

  /** Where a task of the draft (`<copy>#<task>`, `<copy>@<tag>#<task>`) is in the person's task list: found by the format's own reader (`taskRangeIn`); the file's start when it is not found there. Undefined: a folder of tasks, or no file. */
  private taskInSource(
    repo: string,
    draft: NonNullable<PlanningState['draft']>,
    task: string,
    taskRangeIn: (fileName: string, text: string, key: string, tag?: string) => { start: number; end: number } | null,
  ): { uri: vscode.Uri; range: vscode.Range } | undefined {
    const key = parseDraftTaskKey(task, draft.copies);
    const source = key ? draft.sources[draft.copies.indexOf(key.file)] : undefined;
    if (!key || source === undefined) return undefined;
    const uri = vscode.Uri.file(path.join(repo, ...source.split('/')));
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    let text: string;
    try {
      text = open?.getText() ?? (fs.statSync(uri.fsPath).isFile() ? fs.readFileSync(uri.fsPath, 'utf8') : '');
    } catch {
      // the file gone or unreadable: nothing to show
      return undefined;
    }
    if (!text && !open) return undefined;
    const found = taskRangeIn(uri.fsPath, text, key.task, key.tag);
    if (!found) return { uri, range: new vscode.Range(0, 0, 0, 0) };
    const lines = new LineIndex(text);
    const s = lines.position(found.start);
    const e = lines.position(found.end);
    return { uri, range: new vscode.Range(s.line, s.column, e.line, e.column) };
  }

  private async pickFolder(): Promise<vscode.Uri | undefined> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length <= 1) {
      if (!folders.length) void vscode.window.showInformationMessage('Waves: open the repository to plan in as a folder first.');
      return folders[0]?.uri;
    }
    return (await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Plan a feature in which repository?' }))?.uri;
  }

  private async askDescription(): Promise<string | undefined> {
    const text = await vscode.window.showInputBox({
      title: 'Waves: Plan a Feature',
      prompt: 'Describe the feature in a few words or lines — or give the path of a file (Markdown, text) that describes it',
      placeHolder: 'e.g. Add a users page: list, search and edit users, with an admin role',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? null : 'Describe the feature (or give a file)'),
    });
    if (!text?.trim()) return undefined;
    const file = text.trim();
    if (/\.(md|markdown|txt)$/i.test(file) && path.isAbsolute(file) && fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
    return text;
  }

  /** The agent: `waves.agent` (its headless preset when an interactive one is set), else the picker. */
  private async agent(scope: vscode.Uri) {
    const settings = readRunSettings(scope);
    if (settings.agentProblem) {
      void vscode.window.showErrorMessage(`Waves: ${settings.agentProblem}`);
      return undefined;
    }
    const agent = settings.agent ?? (await pickAgent(scope));
    if (agent?.interactive) {
      void vscode.window.showWarningMessage(`Waves: planning runs its agent headless, and ${agent.label} needs a terminal; choose a headless preset (waves.agent).`);
      return undefined;
    }
    return agent;
  }

  /** Runs a session with a cancellable notification that shows each round. */
  private withProgress(title: string, run: (onEvent: (e: PlanningEvent) => void, signal: AbortSignal) => Promise<PlanningResult>, id?: string): Thenable<PlanningResult> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (shown, token) => {
      const progress = {
        report: (p: { message: string }) => {
          this.progressShown.push(p.message);
          shown.report(p);
        },
      };
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      let current = id;
      if (current) this.busy.add(current);
      this.fire();
      try {
        return await run((e) => {
          this.deps.log.info(`[plan] ${JSON.stringify(e)}`);
          if (e.kind === 'worktree') {
            current = e.id;
            this.busy.add(e.id);
            progress.report({ message: `worktree ${e.worktree}` });
          } else if (e.kind === 'round-started') {
            progress.report({ message: `round ${e.round}: ${roundPurposeText(e)}…` });
          } else if (e.kind === 'round-ended') {
            const r = e.round;
            progress.report({ message: `round ${r.n}: ${r.errors} error${r.errors === 1 ? '' : 's'}${r.refused.length ? `, ${r.refused.length} change(s) outside the planning folder refused` : ''}` });
            this.fire();
          }
        }, abort.signal);
      } finally {
        if (current) this.busy.delete(current);
        this.fire();
      }
    });
  }

  /** Opens the proposal: proposal.md, the plan (its problems in the Problems panel) and the DAG with the approval bar. */
  private async present(result: PlanningResult): Promise<PlanningResult> {
    this.lastResult = result;
    const { state, planFile } = result;
    const uri = vscode.Uri.file(planFile);
    this.known.set(uri.toString(), { repo: result.repo, id: state.id });
    this.fire();
    const proposal = vscode.Uri.file(path.join(state.worktree, ...state.planDir.split('/'), 'proposal.md'));
    if (fs.existsSync(proposal.fsPath)) await vscode.window.showTextDocument(proposal, { viewColumn: vscode.ViewColumn.One, preview: false, preserveFocus: true });
    if (!fs.existsSync(planFile)) {
      const rounds = agentRounds(state);
      void vscode.window.showErrorMessage(`Waves: the planning agent wrote no plan (${rounds} round${rounds === 1 ? '' : 's'}); see the round logs in .waves/plans/${state.id}/.`);
      return result;
    }
    await vscode.workspace.openTextDocument(uri); // the registry follows an open plan, so the Problems panel lists its problems
    await this.deps.registry.reanalyze(uri, { fromDisk: true }); // a revised plan: its open document may be the earlier round's
    await vscode.commands.executeCommand('waves.showDag', uri);
    const summary =
      state.status === 'valid'
        ? 'valid — review it and approve'
        : state.status === 'interrupted'
          ? 'interrupted: its last round was stopped before the agent ended (what it wrote is kept); request changes for a complete round before approving'
          : `still has ${state.rounds.at(-1)?.errors ?? 0} error(s) after ${agentRounds(state)} rounds (see the Problems panel)`;
    const from = state.draft ? ` (completed from the draft ${state.draft.file})` : '';
    void vscode.window.showInformationMessage(`Waves: the proposed plan ${state.id}${from} is ${summary}.`);
    // A task of the draft the plan no longer carries: the Problems panel shows it on the task in the task list (publishDropped).
    const dropped = result.problems.filter((p) => p.code === DROPPED_TASK_CODE);
    for (const p of dropped) this.deps.log.warn(`plan ${state.id}: ${p.message}`);
    if (dropped.length) void vscode.window.showWarningMessage(`Waves: ${dropped.length} task(s) of the draft are in no package of ${state.id}: ${dropped[0]!.message} (the Problems panel shows each on its task in the task list).`);
    return result;
  }
}

/** `waves.planning.repairRounds` and `waves.planning.roundMinutes` (a value that is not one counts as the default). */
function limits(scope: vscode.Uri): { repairRounds: number; timeoutMs: number } {
  const config = vscode.workspace.getConfiguration('waves', scope);
  const n = config.get<number>('planning.repairRounds', DEFAULT_REPAIR_ROUNDS);
  const minutes = config.get<number>('planning.roundMinutes', DEFAULT_ROUND_MINUTES);
  return {
    repairRounds: Number.isInteger(n) && n >= 0 ? n : DEFAULT_REPAIR_ROUNDS,
    timeoutMs: Math.round((typeof minutes === 'number' && minutes > 0 && minutes <= 10_080 ? minutes : DEFAULT_ROUND_MINUTES) * 60_000),
  };
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim())?.trim() ?? '';
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}

/** The planning worktree's folder, set-up command and copy list (`waves.worktrees.*`), as a run's worktrees' and `waves plan`'s flags. */
function worktreesFolder(scope: vscode.Uri): { worktreesFolder?: string; setupHook?: string[]; copyFiles?: string[] } {
  const { worktreesFolder: folder, setupHook, copyFiles } = readRunSettings(scope);
  return { ...(folder ? { worktreesFolder: folder } : {}), ...(setupHook ? { setupHook } : {}), ...(copyFiles?.length ? { copyFiles } : {}) };
}

/** The planning agent's walls: the person's own `waves.sandbox.*`, as a run's. */
function sandbox(): { confinement?: Confinement } {
  const confinement = readSandboxSetting();
  return confinement ? { confinement } : {};
}

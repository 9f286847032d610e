/**
 * The run commands (category Waves) from the palette, the Waves view, the plan's CodeLens
 * and the DAG panel: Run Plan / Wave / Package, Cancel Run / Package, Retry Failed, Resume,
 * Show Prompt, Open Worktree, Open Terminal, Show Changes, Show Run Report, Finish Run,
 * Clean Up Worktrees, Select Agent. Each one that cannot act says why (`whyNot`); the
 * `waves.run.*` context keys keep the menus to what can act for the active plan
 * (`RunContextKeys`, runFacts.ts: set from activation on).
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { visibleText } from '../../core/present/visibleText';
import { customProfile } from '../../core/agents/agentProfiles';
import { packageRunText, STATUS_WORDS, whyNot, type CommandTarget, type RunCommand } from '../../core/present/runStatusText';
import { RunEngine, RUN_AGAIN, attemptPrompt, cleanUpWorktrees, isLayeredTree, readReport } from '../../engine';
import type { ActionContext, DagActions } from '../../dag/actions';
import type { PlanEntry, PlanRegistry } from '../../plan/planRegistry';
import type { ActionState, CandidateAction, PackageAction } from '../../protocol';
import { Disposable } from '../../util/lifecycle';
import { pickAgent } from './agentPicker';
import { finishRun } from './finish';
import { explainRestricted, type RunController } from './runController';
import { showChanges } from './changes';
import { candidateOf } from '../../core/run/candidates';

interface Deps {
  registry: PlanRegistry;
  controller: RunController;
  log: vscode.LogOutputChannel;
}

/** The plan a command argument names: a Uri, a tree node or ref (`uri`/`entry`), else the active plan. */
export function planOf(registry: PlanRegistry, arg: unknown): PlanEntry | undefined {
  if (arg instanceof vscode.Uri) return registry.get(arg);
  if (arg && typeof arg === 'object') {
    const { uri, entry } = arg as { uri?: unknown; entry?: unknown };
    if (entry && typeof entry === 'object' && (entry as PlanEntry).uri instanceof vscode.Uri) return registry.get((entry as PlanEntry).uri);
    if (uri instanceof vscode.Uri) return registry.get(uri);
    if (typeof uri === 'string') return registry.get(vscode.Uri.parse(uri));
  }
  return registry.active;
}

export class RunCommands extends Disposable implements DagActions {
  constructor(private readonly deps: Deps) {
    super();
    const { registry, controller } = deps;
    const command = (id: string, run: (arg: unknown) => unknown) => this.register(registerShown(id, deps.log, run));

    command('waves.runPlan', async (arg) => {
      const entry = await this.plan(arg);
      return entry && (await controller.start(entry, { what: 'the plan' }, 'runPlan'));
    });
    command('waves.runWave', async (arg) => {
      const entry = await this.plan(arg);
      const wave = entry && (await this.wave(entry, arg));
      if (!entry || wave === undefined) return undefined;
      const only = [...(entry.analysis.graph.waves[wave - 1] ?? [])];
      return controller.start(entry, { what: `wave ${wave}`, only, resume: true }, 'runWave', { wave });
    });
    command('waves.runPackage', async (arg) => {
      const target = await this.pkg(arg, 'Run which package?');
      if (!target) return undefined;
      return controller.start(target.entry, { what: target.packageId, only: [target.packageId], resume: true, reset: [...RUN_AGAIN] }, 'runPackage', { packageId: target.packageId });
    });
    command('waves.answerPackage', async (arg) => {
      // A package whose agent ended its turn with a question: the person's answer goes into its next prompt.
      const target = await this.pkg(arg, 'Answer the question of which package?');
      if (!target) return undefined;
      const question = controller.stateFor(target.entry)?.packages[target.packageId]?.question;
      if (!question) {
        void vscode.window.showInformationMessage(`Waves: ${target.packageId} has no question to answer: its last attempt did not end with one.`);
        return undefined;
      }
      const answer = await vscode.window.showInputBox({
        title: `Waves: answer ${target.packageId}`,
        prompt: `${target.packageId} asked: ${visibleText(question)}`,
        placeHolder: 'Your answer: it goes into the package\'s next prompt',
        ignoreFocusOut: true,
        validateInput: (v) => (v.trim() ? null : 'Write an answer, or press Escape'),
      });
      if (!answer?.trim()) return undefined;
      return controller.start(
        target.entry,
        { what: target.packageId, only: [target.packageId], resume: true, reset: ['failed'], answers: { [target.packageId]: answer } },
        'runPackage',
        { packageId: target.packageId },
      );
    });
    command('waves.retryFailed', async (arg) => {
      const entry = await this.plan(arg);
      return entry && (await controller.start(entry, { what: 'the failed packages', resume: true, reset: ['failed', 'scope-violation'] }, 'retryFailed'));
    });
    command('waves.resume', async (arg) => {
      const entry = await this.plan(arg);
      if (!entry) return undefined;
      // The scope this workspace ran (Run Wave / Run Package), when it is still that run.
      const state = controller.stateFor(entry);
      const only = state ? controller.rememberedScope(state.featureId, state.runId) : undefined;
      return controller.start(entry, { what: 'the run', resume: true, reset: ['interrupted', 'cancelled', 'usage-limit'], ...(only ? { only } : {}) }, 'resume');
    });
    command('waves.cancelRun', async (arg) => {
      const entry = await this.plan(arg);
      return entry && (await controller.cancel(entry));
    });
    command('waves.cancelPackage', async (arg) => {
      const target = await this.pkg(arg, 'Cancel which package?', (s) => s === 'running' || s === 'queued' || s === 'verifying' || s === 'pending' || s === 'ready');
      return target && (await controller.cancel(target.entry, target.packageId));
    });
    command('waves.showPrompt', async (arg) => {
      const target = await this.pkg(arg, 'Show the prompt of which package?');
      return target && (await this.showPrompt(target.entry, target.packageId));
    });
    command('waves.openTerminal', async (arg) => {
      const target = await this.pkg(arg, 'Open the terminal of which package?', (s) => s !== 'pending');
      return target && (await this.openTerminal(target.entry, target.packageId));
    });
    command('waves.openWorktree', async (arg) => {
      const target = await this.pkg(arg, 'Open the worktree of which package?', (s) => s !== 'pending');
      return target && (await this.openWorktree(target.entry, target.packageId));
    });
    command('waves.showChanges', async (arg) => {
      const target = await this.pkg(arg, 'Show the changes of which package?', (s) => s !== 'pending' && s !== 'ready' && s !== 'queued');
      if (!target) return false;
      const reason = controller.whyNot('showChanges', target.entry, { packageId: target.packageId });
      if (reason) return this.tell(`cannot show the changes: ${reason}`);
      const state = controller.stateFor(target.entry)!;
      return showChanges(controller.repoOf(target.entry)!, state.packages[target.packageId]!, state.featureId);
    });
    command('waves.showRunReport', async (arg) => {
      const entry = await this.plan(arg);
      return entry && (await this.showReport(entry));
    });
    command('waves.finishRun', async (arg) => {
      const entry = await this.plan(arg);
      if (!entry) return undefined;
      if (!(await this.check('finishRun', entry))) return undefined;
      return finishRun(controller.repoOf(entry)!, controller.stateFor(entry)!);
    });
    command('waves.cleanUpWorktrees', async (arg) => {
      const entry = await this.plan(arg);
      if (!entry || !(await this.check('cleanUpWorktrees', entry))) return undefined;
      const result = await cleanUpWorktrees(controller.repoOf(entry)!, controller.stateFor(entry)!);
      const kept = result.kept.map((k) => `${vscode.workspace.asRelativePath(k.path)} (${k.why})`);
      void vscode.window.showInformationMessage(
        `Waves: removed ${result.removed.length} worktree${result.removed.length === 1 ? '' : 's'}${kept.length ? `; kept ${kept.join('; ')}` : ''}.`,
      );
      return result;
    });
    command('waves.selectAgent', async (arg) => {
      const entry = planOf(registry, arg);
      return pickAgent(entry?.uri);
    });

  }

  // -------------------------------------------------------------------------------------
  // Arguments

  private async plan(arg: unknown): Promise<PlanEntry | undefined> {
    await this.deps.registry.ready;
    const entry = planOf(this.deps.registry, arg);
    if (!entry) void vscode.window.showInformationMessage('Waves: there is no plan to run in this workspace.');
    return entry;
  }

  private async wave(entry: PlanEntry, arg: unknown): Promise<number | undefined> {
    const given = arg && typeof arg === 'object' ? (arg as { wave?: unknown }).wave : undefined;
    if (typeof given === 'number') return given;
    const state = this.deps.controller.stateFor(entry);
    const items = entry.analysis.graph.waves.map((ids, k) => ({
      label: `Wave ${k + 1}`,
      description: ids.join(', '),
      detail: whyNot('runWave', this.deps.controller.facts(entry), { wave: k + 1 }) ?? (state ? undefined : 'ready to run'),
      wave: k + 1,
    }));
    return (await vscode.window.showQuickPick(items, { title: 'Run which wave?' }))?.wave;
  }

  private async pkg(arg: unknown, title: string, show: (status: string) => boolean = () => true): Promise<{ entry: PlanEntry; packageId: string } | undefined> {
    await this.deps.registry.ready;
    const entry = planOf(this.deps.registry, arg);
    if (!entry) return undefined;
    const given = arg && typeof arg === 'object' ? (arg as { packageId?: unknown }).packageId : undefined;
    if (typeof given === 'string' && given !== '') return { entry, packageId: given };
    const state = this.deps.controller.stateFor(entry);
    const now = Date.now();
    const items = entry.analysis.plan.packages
      .filter((p) => p.id && show(state?.packages[p.id]?.status ?? 'pending'))
      .map((p) => ({ label: p.id, description: p.title, detail: packageRunText(state?.packages[p.id], now) || undefined, packageId: p.id }));
    if (items.length === 0) {
      void vscode.window.showInformationMessage(`Waves: no package of ${entry.label} fits.`);
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(items, { title, matchOnDescription: true });
    return picked && { entry, packageId: picked.packageId };
  }

  private tell(message: string): false {
    void vscode.window.showInformationMessage(`Waves: ${message}.`);
    return false;
  }

  /** Says why a command cannot act (Restricted Mode with its way out); true when it can. */
  private async check(command: RunCommand, entry: PlanEntry, target: CommandTarget = {}): Promise<boolean> {
    const reason = this.deps.controller.whyNot(command, entry, target);
    if (!reason) return true;
    if (!vscode.workspace.isTrusted && reason.startsWith('Restricted Mode')) await explainRestricted();
    else this.tell(reason);
    return false;
  }

  // -------------------------------------------------------------------------------------
  // Package actions

  private record(entry: PlanEntry, packageId: string) {
    return this.deps.controller.stateFor(entry)?.packages[packageId];
  }

  private async showPrompt(entry: PlanEntry, packageId: string): Promise<boolean> {
    const state = this.deps.controller.stateFor(entry);
    const record = state?.packages[packageId];
    const repo = this.deps.controller.repoOf(entry);
    const file = state && record && repo ? attemptPrompt(repo, state, packageId) : null;
    if (file) {
      await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
      return true;
    }
    // Not run yet: the prompt the engine would write (nothing is written or started).
    const engine = await RunEngine.prepare({ planFile: entry.uri.fsPath, agent: customProfile(['agent']) });
    try {
      const prompt = engine.dryRun().prompts.find((p) => p.packageId === packageId);
      if (!prompt) return this.tell(`${packageId} is not a package of ${entry.label}`);
      const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: prompt.text });
      await vscode.window.showTextDocument(doc, { preview: true });
      return true;
    } finally {
      engine.dispose();
    }
  }

  private async openTerminal(entry: PlanEntry, packageId: string): Promise<boolean> {
    const featureId = entry.analysis.plan.feature?.id ?? '';
    const attempt = this.deps.controller.terminals.get(featureId, packageId);
    if (attempt) {
      attempt.terminal.show(false);
      return true;
    }
    // On an SSH host: the terminal attached to it there.
    if (this.deps.controller.showRemoteTerminal(featureId, packageId)) return true;
    const record = this.record(entry, packageId);
    if (record?.logFile && fs.existsSync(record.logFile)) {
      // Its terminal is closed (or belongs to `waves run`): its log has what it printed.
      await vscode.window.showTextDocument(vscode.Uri.file(record.logFile), { preview: true });
      return true;
    }
    return this.tell(record && record.attempts > 0 ? `${packageId} has no terminal or log any more` : `${packageId} has not started`);
  }

  private async openWorktree(entry: PlanEntry, packageId: string): Promise<boolean> {
    const reason = this.deps.controller.whyNot('openWorktree', entry, { packageId });
    if (reason) return this.tell(reason);
    const record = this.record(entry, packageId)!;
    if (!fs.existsSync(record.worktree!)) return this.tell(`the worktree of ${packageId} was removed after its merge; Show Changes shows what it did`);
    if (record.worktree === this.deps.controller.repoOf(entry)) return this.tell(`${packageId} works in the main tree (worktree mode shared)`);
    // A layered tree (waves.worktrees.layered) is whole only inside its layer: a window on its folder would show only what changed there.
    if (isLayeredTree(record.worktree!)) return this.tell(`the worktree of ${packageId} is layered over a shared checkout (waves.worktrees.layered): its folder holds only what was changed in it, so it is not opened; Show Changes shows what its agent did`);
    await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(record.worktree!), { forceNewWindow: true });
    return true;
  }

  private async showReport(entry: PlanEntry): Promise<boolean> {
    const reason = this.deps.controller.whyNot('showRunReport', entry);
    if (reason) return this.tell(reason);
    const state = this.deps.controller.stateFor(entry)!;
    const report = readReport(this.deps.controller.repoOf(entry)!, state);
    if (!report.ok) return this.tell(`run ${state.runId} has no report (it is written when a run ends)`);
    await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(report.file));
    return true;
  }

  // -------------------------------------------------------------------------------------
  // The DAG panel's details pane

  states(context: ActionContext): ReturnType<DagActions['states']> {
    const { plan: entry, packageId } = context;
    const c = this.deps.controller;
    // Each button's own reason, its tooltip in the details pane.
    const state = (reason: string | null): ActionState => (reason ? { enabled: false, reason } : { enabled: true });
    const record = c.stateFor(entry)?.packages[packageId];
    const terminalOpen = c.terminals.get(entry.analysis.plan.feature?.id ?? '', packageId) !== undefined || c.hasRemoteTerminal(entry.analysis.plan.feature?.id ?? '', packageId);
    return {
      showPrompt: state(c.whyNot('showPrompt', entry, { packageId })),
      run: state(c.whyNot('runPackage', entry, { packageId })),
      retry: state(
        // What Run Package runs again, less a blocked package: it never ran, so it is run, not retried.
        record && RUN_AGAIN.includes(record.status) && record.status !== 'blocked'
          ? c.whyNot('runPackage', entry, { packageId })
          : `${packageId} has ${record ? `status ${STATUS_WORDS[record.status]}` : 'not run'}: only a failed, cancelled or interrupted package is retried`,
      ),
      cancel: state(c.whyNot('cancelPackage', entry, { packageId })),
      openTerminal: state(terminalOpen || (record?.logFile && fs.existsSync(record.logFile)) ? null : (c.whyNot('openTerminal', entry, { packageId }) ?? `${packageId} has no terminal or log`)),
      openWorktree: state(c.whyNot('openWorktree', entry, { packageId }) ?? (record?.worktree && !fs.existsSync(record.worktree) ? 'its worktree was removed after its merge' : null)),
      showChanges: state(c.whyNot('showChanges', entry, { packageId })),
      // The review loop: the reviewer's answer decides what the engine can take.
      requestChanges: state(record && (record.status === 'succeeded' || record.status === 'awaiting-review') ? null : `${packageId} has ${record ? `status ${STATUS_WORDS[record.status]}` : 'not run'}: changes are requested of a package whose work passed (succeeded or awaiting review)`),
      approve: state(record?.status === 'awaiting-review' ? null : `${packageId} is not awaiting review`),
    };
  }

  /** Does a details-pane action; refuses (an Error with code `cannot-act` and the reason) when it cannot act. */
  async perform(action: Exclude<PackageAction, 'reveal'>, context: ActionContext): Promise<void> {
    const now = this.states(context)[action];
    if (!now.enabled) throw Object.assign(new Error(`${context.packageId}: ${now.reason ?? 'cannot act now'}`), { code: 'cannot-act' });
    const arg = { uri: context.plan.uri, packageId: context.packageId };
    const id: Record<typeof action, string> = {
      showPrompt: 'waves.showPrompt',
      run: 'waves.runPackage',
      retry: 'waves.runPackage',
      cancel: 'waves.cancelPackage',
      openTerminal: 'waves.openTerminal',
      openWorktree: 'waves.openWorktree',
      showChanges: 'waves.showChanges',
      requestChanges: 'waves.requestChanges',
      approve: 'waves.approvePackage',
    };
    await vscode.commands.executeCommand(id[action], arg);
  }

  /** Best of n, from the DAG panel's details: a candidate's Pick (Pick Candidate's own front door and refusals) or its Show Changes. */
  async candidate(action: CandidateAction, context: ActionContext, k: number): Promise<void> {
    const { controller } = this.deps;
    if (action === 'pick') {
      const sent = await vscode.commands.executeCommand('waves.pickCandidate', { uri: context.plan.uri, packageId: context.packageId, candidate: k });
      if (sent !== true) throw Object.assign(new Error(`candidate ${k} of ${context.packageId} was not picked`), { code: 'cannot-act' });
      return;
    }
    const record = candidateOf(controller.stateFor(context.plan)?.packages[context.packageId], k);
    const repo = controller.repoOf(context.plan);
    if (record && repo) await showChanges(repo, record);
  }

  /** Runs a wave of the DAG panel's plan. */
  async runWave(entry: PlanEntry, wave: number): Promise<void> {
    await vscode.commands.executeCommand('waves.runWave', { uri: entry.uri, wave });
  }
}

/**
 * A command whose failure is shown to the person (`Waves: <message>`) and logged — unless
 * `expected(err)` says it is an error the person caused (a refusal with its own message).
 */
export function registerShown(id: string, log: vscode.LogOutputChannel, run: (arg: unknown) => unknown, expected: (err: unknown) => boolean = () => false): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (arg: unknown) => {
    try {
      return await run(arg);
    } catch (err) {
      if (!expected(err)) log.error(`Command ${id} failed`, err);
      void vscode.window.showErrorMessage(`Waves: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  });
}

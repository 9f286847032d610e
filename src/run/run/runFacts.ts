/**
 * What every view and menu asks of the runs before any of them is started here (ADR 0020): the
 * facts `whyNot` decides from, a plan's run state, its repository, who drives it elsewhere —
 * and the `waves.run.*` context keys that keep the menus to what can act. Part of activation:
 * the run controller (loaded on first use) attaches its sessions here, and until then this
 * window drives none. The engine is asked who drives a run only when a lease file is there.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { whyNot, type CommandFacts, type CommandTarget, type RunCommand } from '../../core/present/runStatusText';
import { leaseFile } from '../../core/run/runPaths';
import type { RunState } from '../../core/run/runState';
import type { PlanEntry, PlanRegistry } from '../../plan/planRegistry';
import { Disposable } from '../../util/lifecycle';
import type { RunWatch } from './runWatch';

/** What the facts read of a session this window drives (the run controller's `RunSession`). */
export interface DrivenRun {
  readonly engine: { readonly repoRoot: string; readonly store: { readonly state: RunState | undefined } | undefined };
}

/** The sessions this window drives: the run controller, once loaded. */
export interface Sessions {
  session(featureId: string): DrivenRun | undefined;
  readonly onDidChangeSessions: vscode.Event<string>;
  /** Any engine event of a session (the views redraw). */
  readonly onDidEngineEvent: vscode.Event<unknown>;
}

export class RunFacts extends Disposable {
  private sessions: Sessions | undefined;
  private readonly sessionsChanged = this.register(new vscode.EventEmitter<string>());
  /** A session started or ended (the feature id). */
  readonly onDidChangeSessions = this.sessionsChanged.event;
  private readonly engineEvent = this.register(new vscode.EventEmitter<void>());
  /** An engine event of a session this window drives. */
  readonly onDidEngineEvent = this.engineEvent.event;

  constructor(private readonly runs: RunWatch) {
    super();
  }

  /** The run controller's sessions, from its construction on. */
  attach(sessions: Sessions): void {
    this.sessions = sessions;
    this.register(sessions.onDidChangeSessions((id) => this.sessionsChanged.fire(id)));
    this.register(sessions.onDidEngineEvent(() => this.engineEvent.fire()));
  }

  session(featureId: string): DrivenRun | undefined {
    return this.sessions?.session(featureId);
  }

  /**
   * The repository root of a plan's runs: the engine's while this window drives it, else the one
   * the run watch follows for the plan (`RunWatch.repositoryOf`: a repository nested in the
   * folder, or around it, has its own `.waves/`), whose runs the views show.
   */
  repoOf(entry: PlanEntry): string | undefined {
    const s = entry.analysis.plan.feature?.id ? this.session(entry.analysis.plan.feature.id) : undefined;
    if (s) return s.engine.repoRoot;
    return this.runs.repositoryOf(entry.uri)?.fsPath;
  }

  /** The feature's run state: the engine's own while this window drives it (fresher than the file), else the one in the plan's repository. */
  stateFor(entry: PlanEntry): RunState | undefined {
    const featureId = entry.analysis.plan.feature?.id;
    if (!featureId || entry.foreign) return undefined; // a task list of another tool never runs (its converted plan does)
    return this.session(featureId)?.engine.store?.state ?? this.runs.stateFor(featureId, entry.uri);
  }

  /** Who else drives the feature's run (a live lease that is not this window's), for a person. */
  drivenElsewhere(entry: PlanEntry): string | null {
    const featureId = entry.analysis.plan.feature?.id;
    const repo = this.repoOf(entry);
    if (!featureId || !repo || this.session(featureId)) return null;
    // No lease file, no driver: the engine is not loaded to say so.
    if (!fs.existsSync(leaseFile(repo, featureId))) return null;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- dist/engine.js, loaded here on first use (ADR 0029)
    const { liveDriver } = require('../../engine') as typeof import('../../engine');
    const driver = liveDriver(repo, featureId);
    return driver && `driven by ${driver}`;
  }

  /** The facts `whyNot` decides from. */
  facts(entry: PlanEntry): CommandFacts {
    const { analysis } = entry;
    const featureId = analysis.plan.feature?.id;
    let byId: Map<string, (typeof analysis.plan.packages)[number]> | undefined;
    return {
      trusted: vscode.workspace.isTrusted,
      planErrors: analysis.diagnostics.filter((d) => d.severity === 'error').length,
      featureId,
      state: this.stateFor(entry),
      driving: featureId !== undefined && this.session(featureId) !== undefined,
      drivenElsewhere: this.drivenElsewhere(entry),
      dependsOn: (id) => {
        // Made on the first question, then one lookup per id (asked per package of a wave).
        byId ??= new Map(analysis.plan.packages.map((p) => [p.id, p] as const).reverse());
        return byId.get(id)?.dependsOn.map((d) => d.value) ?? [];
      },
      waveIds: (wave) => analysis.graph.waves[wave - 1] ?? [],
      ...(entry.foreign ? { readOnly: readOnlyReason(entry.foreign.formatName) } : {}),
    };
  }

  whyNot(command: RunCommand, entry: PlanEntry, target: CommandTarget = {}): string | null {
    return whyNot(command, this.facts(entry), target);
  }
}

/** The `waves.run.*` context keys of the active plan: the menus offer what can act now. */
export class RunContextKeys extends Disposable {
  constructor(
    private readonly registry: PlanRegistry,
    private readonly facts: RunFacts,
    live: { readonly onDidChangeRuns: vscode.Event<void> },
  ) {
    super();
    this.register(live.onDidChangeRuns(() => this.update()));
    this.register(registry.onDidChange(() => this.update()));
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.update()));
    this.update();
  }

  private update(): void {
    const entry = this.registry.active;
    const f = this.facts;
    const can = (command: RunCommand) => (entry ? f.whyNot(command, entry) === null : false);
    const set = (key: string, value: boolean) => void vscode.commands.executeCommand('setContext', key, value);
    set('waves.run.active', entry ? f.whyNot('cancelRun', entry) === null : false);
    set('waves.run.canRun', can('runPlan'));
    set('waves.run.canRetry', can('retryFailed'));
    set('waves.run.canResume', can('resume'));
    set('waves.run.canFinish', can('finishRun'));
    set('waves.run.hasRun', entry ? f.stateFor(entry) !== undefined : false);
  }
}

/** Why a task list of another tool does not run, for a person. */
export function readOnlyReason(formatName: string): string {
  return `this is a ${formatName}, shown read-only: convert it (Waves: Convert to work-packages.yaml) and run the plan written`;
}

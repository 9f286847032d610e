import * as vscode from 'vscode';
import { RUN_TOOLTIP_COMMANDS, runNeedsAttention, runStatusAccessible, runStatusText, runTooltip, runView } from '../core/present/runStatusText';
import type { RunState } from '../core/run/runState';
import { escapeMarkdown, PLAN_TOOLTIP_COMMANDS, planCounts, planTooltip, statusBarAccessibleText, statusBarText } from '../core/present/planStatusText';
import { leafWaves, type NestTree } from '../core/plan/nestTree';
import type { PlanEntry, PlanRegistry } from '../plan/planRegistry';
import { Disposable } from '../util/lifecycle';

/** The run states the status bar shows (`LiveRuns`, src/run/run/liveRuns.ts). */
export interface StatusBarRuns {
  /** `where`: the plan file (the run of its repository). */
  stateFor(featureId: string, where?: vscode.Uri): RunState | undefined;
  driving(featureId: string): boolean;
  readonly onDidChangeRuns: vscode.Event<void>;
}

/** The active file's owner as the status bar says it (`OwnershipCommands.fileOwner`, src/ownership). */
export interface StatusBarOwners {
  fileOwner(uri: vscode.Uri | undefined): { text: string; tooltip: string; accessible: string } | undefined;
  readonly onDidChangeOwners: vscode.Event<void>;
}

/** The command the file's part of the tooltip links to. */
const WHO_OWNS = 'waves.whoOwnsFile';

/**
 * The one status-bar item of the extension: a summary of the active plan
 * (`$(layers) 5 waves · 12 packages · 2 problems`), or of its run, and the active file's owner
 * when a package has it (`· $(lock) wp-api`). A click opens the Waves view (the DAG during a
 * run); the tooltip details the plan or the run and the file, and links to the views and to
 * Who Owns This File?. Hidden while there is no plan.
 */
export class PlanStatusBar extends Disposable {
  private readonly item = this.register(vscode.window.createStatusBarItem('waves.status', vscode.StatusBarAlignment.Left, 0));

  constructor(
    private readonly registry: PlanRegistry,
    private readonly log: vscode.LogOutputChannel,
    private readonly runs?: StatusBarRuns,
    private readonly owners?: StatusBarOwners,
    /** A plan of plans' sub-plans (`NestedPlans`): its run is counted in leaves. */
    private readonly nested?: { treeOf(entry: PlanEntry): NestTree | undefined; readonly onDidChange: vscode.Event<void> },
  ) {
    super();
    this.item.name = 'Wave Orchestrator Plan';
    this.item.command = { command: 'waves.focusView', title: 'Show Waves View' };
    this.register(registry.onDidChange(() => this.update()));
    if (runs) this.register(runs.onDidChangeRuns(() => this.update()));
    if (nested) this.register(nested.onDidChange(() => this.update()));
    if (owners) {
      this.register(owners.onDidChangeOwners(() => this.update()));
      this.register(vscode.window.onDidChangeActiveTextEditor(() => this.update()));
    }
    this.update();
  }

  /** What the item shows now (for the tests). */
  get text(): string {
    return this.item.text;
  }

  /** Whether it wears the warning colour now (for the tests). */
  get warning(): boolean {
    return this.item.backgroundColor !== undefined;
  }

  private update(): void {
    const entry = this.registry.active;
    if (!entry) {
      this.item.hide();
      return;
    }
    if (this.showRun(entry)) return;
    const counts = planCounts(entry.analysis);
    this.item.command = { command: 'waves.focusView', title: 'Show Waves View' };
    const file = this.fileOwner();
    this.item.text = statusBarText(counts) + (file ? ` · ${file.text}` : '');
    this.item.accessibilityInformation = { label: statusBarAccessibleText(counts) + (file ? `; ${file.accessible}` : ''), role: 'button' };
    const tooltip = new vscode.MarkdownString(
      planTooltip({ label: entry.label, analysis: entry.analysis, planCount: this.registry.plans.length }) + (file ? fileTooltip(file.tooltip) : ''),
    );
    // Command links run only the commands the tooltip names, nothing a plan's text could add.
    tooltip.isTrusted = { enabledCommands: [...PLAN_TOOLTIP_COMMANDS, ...(file ? [WHO_OWNS] : [])] };
    this.item.tooltip = tooltip;
    // Subtle on purpose: the warning background only while the plan has errors (it cannot run).
    this.item.backgroundColor = counts.errors > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
    this.log.trace(`Status bar: ${this.item.text} (${entry.label})`);
  }

  /**
   * During a run of the active plan (and after it, until the next): `$(sync~spin) Wave 2/5 ·
   * 3 running · 7/12 done`, the warning colour on failures or an agent waiting for input; a
   * click opens the DAG. False when the plan has no run.
   */
  private showRun(entry: NonNullable<PlanRegistry['active']>): boolean {
    const featureId = entry.analysis.plan.feature?.id;
    if (!this.runs || !featureId || entry.foreign) return false; // a task list of another tool never runs
    const state = this.runs.stateFor(featureId, entry.uri);
    // A plan of plans: its leaves (the agents' work) counted, in the waves of their top parents.
    const tree = this.nested?.treeOf(entry);
    const waves = tree ? leafWaves(tree, entry.analysis.graph.waves) : entry.analysis.graph.waves;
    const joins = tree ? new Set(Object.keys(tree.joins)) : undefined;
    const view = runView(state, waves, this.runs.driving(featureId), joins);
    if (view.phase === 'none') return false;
    const file = this.fileOwner();
    this.item.text = runStatusText(view) + (file ? ` · ${file.text}` : '');
    this.item.accessibilityInformation = { label: runStatusAccessible(view) + (file ? `; ${file.accessible}` : ''), role: 'button' };
    const tooltip = new vscode.MarkdownString(runTooltip(view, state, entry.analysis.plan.feature?.title ?? featureId, Date.now(), joins) + (file ? fileTooltip(file.tooltip) : ''), true);
    tooltip.isTrusted = { enabledCommands: [...RUN_TOOLTIP_COMMANDS, ...(file ? [WHO_OWNS] : [])] };
    this.item.tooltip = tooltip;
    this.item.backgroundColor = runNeedsAttention(view) ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.command = { command: 'waves.showDag', title: 'Show DAG', arguments: [entry.uri] };
    this.item.show();
    this.log.trace(`Status bar: ${this.item.text} (${entry.label})`);
    return true;
  }

  /** The active file's owner, when the ownership parts are given and a package has it. */
  private fileOwner(): ReturnType<StatusBarOwners['fileOwner']> {
    return this.owners?.fileOwner(vscode.window.activeTextEditor?.document.uri);
  }
}

/** The file's part of the tooltip: its ownership in words, and Who Owns This File?. */
function fileTooltip(words: string): string {
  return `\n\n---\n\n**This file:** ${escapeMarkdown(words)} · [Who Owns This File?](command:${WHO_OWNS})`;
}

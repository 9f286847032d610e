import * as vscode from 'vscode';
import { PLAN_TOOLTIP_COMMANDS, planCounts, planTooltip, statusBarAccessibleText, statusBarText } from '../core/summary';
import type { PlanRegistry } from '../plan/planRegistry';
import { Disposable } from '../util/lifecycle';

/**
 * The one status-bar item of the extension: a summary of the active plan
 * (`$(layers) 5 waves · 12 packages · 2 problems`). A click opens the Waves view; the
 * tooltip details the plan and links to the views. Hidden while there is no plan.
 */
export class PlanStatusBar extends Disposable {
  private readonly item = this.register(vscode.window.createStatusBarItem('waves.status', vscode.StatusBarAlignment.Left, 0));

  constructor(
    private readonly registry: PlanRegistry,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.item.name = 'Wave Orchestrator Plan';
    this.item.command = { command: 'waves.focusView', title: 'Show Waves View' };
    this.register(registry.onDidChange(() => this.update()));
    this.update();
  }

  private update(): void {
    const entry = this.registry.active;
    if (!entry) {
      this.item.hide();
      return;
    }
    const counts = planCounts(entry.analysis);
    this.item.text = statusBarText(counts);
    this.item.accessibilityInformation = { label: statusBarAccessibleText(counts), role: 'button' };
    const tooltip = new vscode.MarkdownString(
      planTooltip({ label: entry.label, analysis: entry.analysis, planCount: this.registry.plans.length }),
    );
    // Command links run only the commands the tooltip names, nothing a plan's text could add.
    tooltip.isTrusted = { enabledCommands: [...PLAN_TOOLTIP_COMMANDS] };
    this.item.tooltip = tooltip;
    // Subtle on purpose: the warning background only while the plan has errors (it cannot run).
    this.item.backgroundColor = counts.errors > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
    this.log.trace(`Status bar: ${this.item.text} (${entry.label})`);
  }
}

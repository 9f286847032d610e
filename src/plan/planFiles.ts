/**
 * Which files are plans, for the editor: a module of its own (no plan analysis in it), so the
 * parts built on first use (ADR 0020) can name plan files without bundling the analysis again.
 */
import type * as vscode from 'vscode';

/** File names that are plans: `work-packages.yaml` and `<name>.work-packages.yaml`. */
export const PLAN_GLOB = '**/{work-packages.yaml,*.work-packages.yaml}';
export const PLAN_SELECTOR: vscode.DocumentSelector = [{ pattern: PLAN_GLOB }];

/**
 * File names that may be another tool's task list — spec-kit, Kiro / cc-sdd and OpenSpec
 * `tasks.md`, Taskmaster `tasks.json`, beads `issues.jsonl` — shown as plans, read-only, when
 * their text is one (src/core/formats).
 */
export const FOREIGN_GLOB = '**/{tasks.md,*.tasks.md,tasks.json,*.tasks.json,issues.jsonl}';
export const FOREIGN_SELECTOR: vscode.DocumentSelector = [{ pattern: FOREIGN_GLOB }];
/** Every file the plan registry looks at: plans and task lists of other tools. */
export const FOUND_GLOB = '**/{work-packages.yaml,*.work-packages.yaml,tasks.md,*.tasks.md,tasks.json,*.tasks.json,issues.jsonl}';

/** Plans and task lists of other tools: what navigation (hover, CodeLens, go to definition) serves. */
export const FOUND_SELECTOR: vscode.DocumentSelector = [{ pattern: PLAN_GLOB }, { pattern: FOREIGN_GLOB }];

/** Whether a file name (no folder) is one of FOREIGN_GLOB's. */
export function isForeignName(base: string): boolean {
  return base === 'tasks.md' || base.endsWith('.tasks.md') || base === 'tasks.json' || base.endsWith('.tasks.json') || base === 'issues.jsonl';
}

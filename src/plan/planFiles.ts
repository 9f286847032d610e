/**
 * Which files are plans, for the editor: a module of its own (no plan analysis in it), so the
 * parts built on first use (ADR 0020) can name plan files without bundling the analysis again.
 */
import type * as vscode from 'vscode';

/** File names that are plans: `work-packages.yaml` and `<name>.work-packages.yaml`. */
export const PLAN_GLOB = '**/{work-packages.yaml,*.work-packages.yaml}';
export const PLAN_SELECTOR: vscode.DocumentSelector = [{ pattern: PLAN_GLOB }];

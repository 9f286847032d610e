/**
 * How the editor names and shows a package, for the plan commands, the Waves view and the
 * ownership commands alike: the Waves view's id, `PackageRef` (a package as
 * `waves.revealPackage` takes it) and `packageIcon` (the Waves view and the `Go to Package`
 * quick pick draw a package alike). In src/plan, below the views, so no view is imported for it.
 */
import * as vscode from 'vscode';
import type { PlanPackage } from '../core/plan/model';
import { criticalPathStandsOut, isOnCriticalPath, packageProblems, type AnalysisView } from '../core/present/planStatusText';

/** The Waves tree view (`contributes.views` in package.json). */
export const VIEW_ID = 'waves.plan';

/** A package of a plan, as `waves.revealPackage` takes it (a package node is one too). */
export interface PackageRef {
  uri: vscode.Uri;
  /** The package id; '' for a package written without one (then `index` finds it). */
  packageId: string;
  /** Position in the plan's `packages` list. */
  index?: number;
  /** Keep the focus where it is (the tree) while the plan opens. */
  preserveFocus?: boolean;
}

/** The Problems panel's icon colours (the Waves view's wave of packages that cannot run is an error too). */
export const errorColor = new vscode.ThemeColor('problemsErrorIcon.foreground');
const warningColor = new vscode.ThemeColor('problemsWarningIcon.foreground');

/**
 * The icon of a package: its worst problem first, then a star when it is on the critical
 * path (and that path stands out from the rest of the plan). Shared with the `Go to Package` quick pick so both read the same.
 */
export function packageIcon(analysis: AnalysisView, p: PlanPackage): vscode.ThemeIcon {
  const problems = packageProblems(analysis, p);
  if (problems.errors > 0) return new vscode.ThemeIcon('error', errorColor);
  if (problems.warnings > 0) return new vscode.ThemeIcon('warning', warningColor);
  if (criticalPathStandsOut(analysis) && isOnCriticalPath(analysis, p)) return new vscode.ThemeIcon('star-full');
  return new vscode.ThemeIcon('package');
}

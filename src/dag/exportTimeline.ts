/**
 * The run timeline exported as SVG: drawn by the host from the plan and its run state
 * (`core/present/timelineSvg.ts`), never from what the webview drew; the person picks the file.
 */
import * as vscode from 'vscode';
import { timelineOfRun } from '../core/present/timeline';
import { timelineSvg } from '../core/present/timelineSvg';
import type { PlanEntry } from '../plan/planRegistry';
import type { RunStatusSource } from './runSource';
import type { NestTree } from '../core/plan/nestTree';

/** The SVG text of the plan's run, or undefined when the plan has not run; `joins`: a plan of plans' (each sub-plan drawn below its parent). */
export function timelineSvgOf(entry: PlanEntry, runs: RunStatusSource, now = Date.now(), joins?: NestTree['joins']): string | undefined {
  const featureId = entry.analysis.plan.feature?.id;
  const run = featureId ? runs.stateFor(featureId) : undefined;
  if (!run) return undefined;
  return timelineSvg(timelineOfRun(entry.analysis, run, now, joins), { title: `${featureId} · run ${run.runId}` });
}

/** Asks for the file unless given; returns the written URI, or undefined when cancelled or there is no run. */
export async function exportTimeline(entry: PlanEntry, runs: RunStatusSource, target?: vscode.Uri, joins?: NestTree['joins']): Promise<vscode.Uri | undefined> {
  const text = timelineSvgOf(entry, runs, Date.now(), joins);
  if (text === undefined) {
    void vscode.window.showInformationMessage('Waves: this plan has not run yet; there is no timeline to export.');
    return undefined;
  }
  target ??= await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(entry.uri, '..', `${entry.analysis.plan.feature?.id ?? 'plan'}-timeline.svg`),
    filters: { SVG: ['svg'] },
    title: 'Export Run Timeline',
  });
  if (!target) return undefined;
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
  return target;
}

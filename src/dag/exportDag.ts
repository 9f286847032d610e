/**
 * `Waves: Export DAG`: the active plan (with its run's statuses) as SVG or Mermaid.
 * Arguments `(format, uri)` skip the pickers (tests, keybindings).
 */
import * as vscode from 'vscode';
import { toMermaidFlowchart, toSvg } from '../core/dag/export';
import { buildPlanView } from '../core/dag/panelModel';
import type { PlanEntry } from '../plan/planRegistry';
import type { ExportFormat } from '../protocol';
import type { RunStatusSource } from './runSource';

export function exportText(entry: PlanEntry, format: ExportFormat, runs: RunStatusSource): string {
  const view = buildPlanView(entry.analysis, entry.label);
  const run = view.featureId && !entry.foreign ? runs.stateFor(view.featureId) : undefined;
  const status = (id: string) => run?.packages[id]?.status ?? 'pending';
  const full = { ...view, planUri: entry.uri.toString(), runId: run?.runId ?? null };
  return format === 'svg' ? toSvg(full, status) : toMermaidFlowchart(full, status);
}

/** Asks for the format and the file unless given; returns the written URI, or undefined when cancelled. */
export async function exportDag(
  entry: PlanEntry | undefined,
  runs: RunStatusSource,
  format?: ExportFormat,
  target?: vscode.Uri,
): Promise<vscode.Uri | undefined> {
  if (!entry) {
    void vscode.window.showWarningMessage('Waves: no plan to export.');
    return undefined;
  }
  format ??= (
    await vscode.window.showQuickPick(
      [
        { label: 'SVG', description: 'a picture, as the panel draws it', format: 'svg' as const },
        { label: 'Mermaid', description: 'a flowchart for Markdown', format: 'mermaid' as const },
      ],
      { title: 'Export DAG as' },
    )
  )?.format;
  if (!format) return undefined;
  const ext = format === 'svg' ? 'svg' : 'mmd';
  const name = `${entry.analysis.plan.feature?.id ?? 'plan'}-dag.${ext}`;
  target ??= await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(entry.uri, '..', name),
    filters: format === 'svg' ? { SVG: ['svg'] } : { Mermaid: ['mmd', 'md'] },
    title: 'Export DAG',
  });
  if (!target) return undefined;
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(exportText(entry, format, runs)));
  return target;
}

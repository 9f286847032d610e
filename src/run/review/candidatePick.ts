/**
 * `Waves: Pick Candidate` (best of n, `pick: person`; ADR 0031): from a green candidate's row in
 * the Waves view, or — from the palette — a package awaiting its pick, then its green candidates
 * side by side (agent, files changed, time, spend), each with Show Changes (its diff against its
 * base). The pick goes through the front door's `submitReview` as an approval does; when no
 * process drives the run, the run is resumed to carry it out. The DAG panel's details (Pick, Show
 * Changes on a candidate) and the notification that a package awaits its pick (Pick…) come here
 * too, with `{ uri, packageId, candidate? }`.
 */
import * as vscode from 'vscode';
import { awaitingPick, candidateOf } from '../../core/run/candidates';
import { packageFacts } from '../../core/present/packageFacts';
import { formatElapsed } from '../../core/present/terminalText';
import type { RunState } from '../../core/run/runState';
import { formatSpend } from '../../core/run/spend';
import { submitReview } from '../../engine';
import type { PlanEntry, PlanRegistry } from '../../plan/planRegistry';
import { showChanges } from '../run/changes';
import type { RunController } from '../run/runController';
import { planOf } from '../run/runCommands';

export interface PickDeps {
  registry: PlanRegistry;
  controller: RunController;
  log: vscode.LogOutputChannel;
  /** Nobody drives the run: a resume carries the pick out. */
  resume(entry: PlanEntry, packageId: string): Promise<void>;
  /** Says why nothing was done; false. */
  tell(message: string): false;
}

/** The pick: true when it was sent on. */
export async function pickCandidate(deps: PickDeps, arg: unknown): Promise<boolean> {
  await deps.registry.ready;
  // A candidate's row of the Waves view ({ candidate, parent }), or { uri, packageId, candidate? } (the DAG panel, a notification).
  const row = arg && typeof arg === 'object' ? (arg as { candidate?: unknown; packageId?: unknown; parent?: { entry?: PlanEntry; packageId?: unknown } }) : {};
  const entry = row.parent?.entry ?? planOf(deps.registry, arg);
  const state = entry && deps.controller.stateFor(entry);
  const repo = entry && deps.controller.repoOf(entry);
  if (!entry || !state || !repo) return deps.tell('there is no run with candidates to pick from');
  const named = row.parent ? row.parent.packageId : row.packageId;
  let packageId = typeof named === 'string' ? named : undefined;
  if (!packageId) {
    const waiting = Object.values(state.packages).filter(awaitingPick).map((r) => ({ label: r.packageId, description: 'awaiting your pick' }));
    if (waiting.length === 0) return deps.tell(`no package of ${entry.label} awaits your pick`);
    packageId = waiting.length === 1 ? waiting[0]!.label : (await vscode.window.showQuickPick(waiting, { title: 'Pick a candidate of which package?' }))?.label;
    if (!packageId) return false;
  }
  const k = typeof row.candidate === 'number' ? row.candidate : await compare(repo, state, packageId);
  if (k === undefined) return false;
  const submitted = await submitReview(repo, state.featureId, { packageId, kind: 'pick', candidate: k });
  if (!submitted.ok) return deps.tell(submitted.reason);
  deps.log.info(`[review] ${packageId}: candidate ${k} picked`);
  void vscode.window.showInformationMessage(`Waves: candidate ${k} of ${packageId} goes on.`);
  if (submitted.delivered === 'state') await deps.resume(entry, packageId);
  return true;
}

/** The green candidates of a package side by side, each with Show Changes; the one accepted. */
function compare(repo: string, state: RunState, packageId: string): Promise<number | undefined> {
  const diff = { iconPath: new vscode.ThemeIcon('diff'), tooltip: 'Show Changes' };
  const items = packageFacts(state, packageId)
    .candidates.filter((c) => c.green)
    .map((c) => ({
      label: `Candidate ${c.candidate}`,
      description: [c.agent, `${c.changedFiles} file${c.changedFiles === 1 ? '' : 's'} changed`, c.durationMs === null ? '' : formatElapsed(c.durationMs), c.spend ? formatSpend(c.spend) : ''].filter(Boolean).join(' · '),
      detail: `branch ${c.branch ?? '—'}: audited, verified${c.ranked ? ` · the judge's first: ${c.ranked}` : ''}`,
      buttons: [diff],
      k: c.candidate,
    }));
  const quick = vscode.window.createQuickPick<(typeof items)[number]>();
  quick.title = `Which candidate of ${packageId} goes on?`;
  quick.placeholder = 'Each passed its audit and verification; the one you pick is merged, the others end';
  quick.items = items;
  quick.ignoreFocusOut = true;
  return new Promise((resolve) => {
    quick.onDidTriggerItemButton((e) => void showCandidateChanges(repo, state, packageId, e.item.k));
    quick.onDidAccept(() => {
      resolve(quick.selectedItems[0]?.k);
      quick.hide();
    });
    quick.onDidHide(() => {
      resolve(undefined);
      quick.dispose();
    });
    quick.show();
  });
}

/** Show Changes of candidate `k` of a package: its diff against its base; false when it has none to show. */
export async function showCandidateChanges(repo: string, state: RunState, packageId: string, k: number): Promise<boolean> {
  const record = candidateOf(state.packages[packageId], k);
  return record ? showChanges(repo, record) : false;
}

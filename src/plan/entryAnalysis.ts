/**
 * Where the plan registry (planRegistry.ts) analyses a plan, a task list or a folder read as one
 * plan: over the size cap (`waves.plan.maxSizeMB`) not at all, a large one in the worker thread
 * (the extension host stays responsive), a small one here; one the worker fails on, here too.
 */
import * as vscode from 'vscode';
import type { PlanAnalysis } from '../core/plan/analyze';
import type { ForeignAnalysis } from '../core/formats/foreignAnalysis';
import { planCheckCap } from '../core/plan/defaults';
import { Superseded, type AnalysisPool } from './analysisPool';
import { planLabel } from './planSearch';

/**
 * Plan analysis, a bundle of its own (`dist/planAnalysis.js`, ADR 0029): loaded by its first call,
 * the registry's warm-up right after activation returns, never in activation.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded here, on first use
export const planAnalysis = (): typeof import('../core/plan/analyze') => require('../core/plan/analyze');

/** Plans larger than this are analysed in the worker thread, off the extension host's (a 1,000-package plan is about 0.6 MB). */
export const OFF_THREAD_BYTES = 256 * 1024;
/** The default of `waves.plan.maxSizeMB`: what the editor analyses at most. */
export const DEFAULT_MAX_PLAN_MB = 5;

/** Where the registry's analyses run: the worker thread (when the extension gives its script), its log, and a count of the worker's analyses. */
export interface AnalysisSite {
  readonly pool: AnalysisPool | undefined;
  readonly log: vscode.LogOutputChannel;
  readonly inWorker: () => void;
}

/** One analysis of the registry: its key (the plan's URI), its size in bytes (UTF-8), its cap and `waves.maxParallel`. */
interface Asked {
  readonly key: string;
  readonly size: number;
  readonly cap: number;
  readonly maxParallel: number;
}

/** The cap the plan checks use: `waves.maxParallel` through its row of the run's options, so a value Run Plan refuses is none here (NaN: the checks that need it say nothing). */
export function maxParallelOf(uri: vscode.Uri): number {
  return planCheckCap(vscode.workspace.getConfiguration('waves', uri).get<unknown>('maxParallel'));
}

export function maxBytesOf(uri: vscode.Uri): number {
  const mb = vscode.workspace.getConfiguration('waves', uri).get<number>('plan.maxSizeMB', DEFAULT_MAX_PLAN_MB);
  return Math.max(0.1, Number.isFinite(mb) ? mb : DEFAULT_MAX_PLAN_MB) * 1_048_576;
}

/**
 * A plan's text analysed (`foreign`: a task list of another tool's, `analyzeForeign`): `null`
 * when it is no task list (or, over the cap, cannot be told); `undefined` when it is dropped — a
 * newer text of it is on its way, or `stale` says a newer analysis was begun.
 */
export async function analyseText(uri: vscode.Uri, text: string, foreign: boolean, asked: Asked, site: AnalysisSite, stale: () => boolean): Promise<PlanAnalysis | null | undefined> {
  const { key, size, cap, maxParallel } = asked;
  const here = async (): Promise<PlanAnalysis | null> => (foreign ? (await import('../core/formats/foreignAnalysis')).analyzeForeign(uri.path, text, { maxParallel }) : planAnalysis().analyzePlan(text, { maxParallel }));
  let analysis: PlanAnalysis | null;
  if (size > cap) {
    if (foreign) site.log.warn(`${planLabel(uri)} is over the ${(cap / 1_048_576).toFixed(1)} MB analysed in the editor (setting waves.plan.maxSizeMB): not read as a task list`);
    analysis = foreign ? null : planAnalysis().oversizedAnalysis(text, size, cap, 'waves.plan.maxSizeMB');
  } else if (size > OFF_THREAD_BYTES && site.pool) {
    try {
      analysis = foreign ? await site.pool.analyzeForeign(text, uri.path, maxParallel, key) : await site.pool.analyze(text, maxParallel, key);
      site.inWorker();
    } catch (err) {
      if (err instanceof Superseded) return undefined; // a newer text of this plan is on its way
      site.log.warn(`The analysis worker failed on ${planLabel(uri)}; analysing it here instead`, err);
      analysis = await here();
    }
    if (stale()) return undefined; // a newer text is analysed
  } else {
    analysis = await here();
    if (foreign && stale()) return undefined; // (its bundle was loaded meanwhile)
  }
  return analysis;
}

/** A folder's files analysed as one plan (under the cap: the caller checks it); `undefined` when a newer read of it is on its way. */
export async function analyseFolder(
  folder: vscode.Uri,
  sources: { path: string; text: string }[],
  formats: typeof import('../core/formats/foreignAnalysis'),
  asked: Omit<Asked, 'cap'>,
  site: AnalysisSite,
): Promise<ForeignAnalysis | null | undefined> {
  const { key, size, maxParallel } = asked;
  if (!(size > OFF_THREAD_BYTES && site.pool)) return formats.analyzeForeignFolder(folder.path, sources, { maxParallel });
  try {
    const analysis = await site.pool.analyzeForeignFolder(folder.path, sources, maxParallel, key);
    site.inWorker();
    return analysis;
  } catch (err) {
    if (err instanceof Superseded) return undefined;
    site.log.warn(`The analysis worker failed on ${planLabel(folder)}; analysing it here instead`, err);
    return formats.analyzeForeignFolder(folder.path, sources, { maxParallel });
  }
}

/** Logs an analysis that took more than 200 ms. */
export function logSlow(site: AnalysisSite, uri: vscode.Uri, started: number, size: number): void {
  const elapsed = Date.now() - started;
  if (elapsed > 200) site.log.warn(`Analysing ${planLabel(uri)} took ${elapsed} ms${size > OFF_THREAD_BYTES && site.pool ? ' (in the worker thread)' : ''}`);
}

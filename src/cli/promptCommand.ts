/**
 * `waves prompt <plan> <package>`: the prompt the engine would write for one package, with
 * the paths of this repository's run (docs/run-engine.md "Files on disk").
 *
 * The repository root is the front door's `previewRoot` (git's answer, else the nearest
 * folder above the plan holding `.git`, else the plan's own folder); the caller passes it. Without `--run-id`, the feature's run state
 * (`.waves/runs/<feature>.json`), when there is one, gives the run id and what the
 * dependencies changed; it is only read, leniently, never written.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { PlanAnalysis } from '../core/plan/analyze';
import { PromptError, buildPrompt, type UpstreamResult } from '../core/run/prompt';
import { sliceFor } from '../core/run/contextSlice';
import { readPlanArtifacts, readPlannerRefusal } from '../engine';
import { attemptDir, attemptFiles, isSafeName, runStateFile, sharedTreePath, worktreePath } from '../core/run/runPaths';
import { plannerOf } from '../core/plan/subPlans';
import { buildPlannerPrompt } from '../core/run/plannerPrompt';

export interface PromptCommandOptions {
  /** The repository root that holds the run's paths. */
  repo: string;
  runId?: string;
  worktree?: string;
  /** The plan's verification commands when approved (a planner's prompt names them). */
  approvedCommands?: readonly string[];
}

export type PromptCommandResult = { ok: true; prompt: string; notes: string[] } | { ok: false; error: string };

/** The run id shown when there is no run yet. */
export const PREVIEW_RUN_ID = 'preview';

export function promptFor(planFile: string, analysis: PlanAnalysis, packageId: string, options: PromptCommandOptions): PromptCommandResult {
  const featureId = analysis.plan.feature?.id;
  if (!featureId) return { ok: false, error: `${planFile} has no feature.id: the run's paths are named after it` };
  const pkg = analysis.plan.packages.find((p) => p.id === packageId);
  if (!pkg) {
    const ids = analysis.plan.packages.map((p) => p.id).filter(Boolean);
    return { ok: false, error: `${planFile} has no package "${packageId}"${ids.length ? ` (its packages: ${ids.join(', ')})` : ''}` };
  }
  if (options.runId !== undefined && !isSafeName(options.runId)) {
    return { ok: false, error: `--run-id "${options.runId}" cannot name a folder: use letters, digits, "_", "-" and "."` };
  }
  const notes: string[] = [];
  const repo = options.repo;
  const state = readRunState(repo, featureId);
  const runId = options.runId ?? state?.runId ?? PREVIEW_RUN_ID;
  if (options.runId === undefined) notes.push(state?.runId ? `run ${runId} (from ${path.relative(process.cwd(), runStateFile(repo, featureId)) || '.'})` : `no run yet: paths use the run id "${PREVIEW_RUN_ID}"`);
  const sameRun = state !== null && state.runId === runId;
  try {
    const record = (id: string) => (sameRun ? state.packages[id] : undefined);
    const attempt = Math.max(1, (record(packageId)?.attempts ?? 0) + (record(packageId)?.status === 'running' ? 0 : 1));
    const dir = attemptDir(repo, featureId, runId, packageId, attempt);
    const upstream: UpstreamResult[] = pkg.dependsOn.map((d) => {
      const r = record(d.value);
      if (!isSafeName(d.value)) return { packageId: d.value, resultFile: null, changedFiles: [] };
      const resultFile = r?.resultFile ?? attemptFiles(attemptDir(repo, featureId, runId, d.value, Math.max(1, r?.attempts ?? 1))).result;
      return { packageId: d.value, resultFile, changedFiles: r?.changedFiles ?? [] };
    });
    const worktree = options.worktree ? path.resolve(options.worktree) : pkg.worktree?.mode === 'shared' ? sharedTreePath(repo, featureId) : worktreePath(repo, featureId, packageId);
    const artifacts = sliceFor(pkg, readPlanArtifacts(repo, path.resolve(planFile)));
    // A `{by: agent}` parent's planner: the prompt it plans by (engine/run/planners.ts writes the same).
    const planner = plannerOf(pkg.inputs);
    const parent = planner && analysis.plan.packages.find((p) => p.id === planner.parent);
    if (planner && parent) {
      const refused = readPlannerRefusal(repo, featureId, planner.parent);
      const approvedCommands = options.approvedCommands ?? [];
      const text = buildPlannerPrompt({ packageId, parent, planner, featureId, runId, worktree, subPlanFile: path.join(dir, 'sub-plan.yaml'), resultFile: attemptFiles(dir).result, approvedCommands, refused });
      return { ok: true, prompt: text, notes };
    }
    const prompt = buildPrompt({ analysis, packageId, featureId, runId, repoRoot: repo, worktree, resultFile: attemptFiles(dir).result, upstream, artifacts });
    return { ok: true, prompt, notes };
  } catch (err) {
    if (err instanceof PromptError || err instanceof RangeError) return { ok: false, error: err.message };
    throw err;
  }
}

interface LooseRecord {
  status?: string;
  attempts?: number;
  resultFile?: string | null;
  changedFiles?: { path: string; change?: string }[];
}

/** The run state's run id and package records, read leniently; null when there is none or it is unreadable. */
function readRunState(repo: string, featureId: string): { runId: string; packages: Record<string, LooseRecord> } | null {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(runStateFile(repo, featureId), 'utf8'));
  } catch {
    // no run yet, or a state not JSON: the prompt is built without a run
    return null;
  }
  if (!raw || typeof raw !== 'object') return null;
  const s = raw as { runId?: unknown; packages?: unknown };
  if (typeof s.runId !== 'string' || !isSafeName(s.runId)) return null;
  const packages: Record<string, LooseRecord> = {};
  if (s.packages && typeof s.packages === 'object') {
    for (const [id, r] of Object.entries(s.packages as Record<string, unknown>)) {
      if (!r || typeof r !== 'object') continue;
      const rec = r as Record<string, unknown>;
      Object.defineProperty(packages, id, {
        value: {
          status: typeof rec.status === 'string' ? rec.status : undefined,
          attempts: typeof rec.attempts === 'number' && Number.isInteger(rec.attempts) && rec.attempts >= 0 ? rec.attempts : undefined,
          resultFile: typeof rec.resultFile === 'string' ? rec.resultFile : null,
          changedFiles: Array.isArray(rec.changedFiles) ? rec.changedFiles.filter((c): c is { path: string } => !!c && typeof (c as { path?: unknown }).path === 'string') : [],
        },
        enumerable: true,
      });
    }
  }
  return { runId: s.runId, packages };
}

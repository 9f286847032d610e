/**
 * A `{by: agent}` parent's planner in its run (ADR 0035, "Planned at run time"): its prompt, and
 * the sub-plan it wrote taken — or refused. Nothing of a sub-plan runs until the engine has held
 * it to every rule a sub-plan file meets (the plan format, containment in its parent's scope and
 * locks, the depth and size limits, ids the run can take) and to the person's approval: only
 * verification commands approved for the run already, else the person approves it on resume.
 * Taken, it is kept at `.waves/planned/<feature>/<parent>.yaml` (written once, never over a file)
 * and the run grows: its packages join the run as the parent's children, after the planner.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PlanPackage } from '../../core/plan/model';
import { plannerOf } from '../../core/plan/subPlans';
import { buildPlannerPrompt } from '../../core/run/plannerPrompt';
import { plannedRefusalFile, plannedSubPlanFile } from '../../core/run/runPaths';
import { ensurePackages } from '../../core/run/runStateInit';
import { setPlanHash } from '../../core/run/runStateReducer';
import { visibleText } from '../../core/present/visibleText';
import { NotRegularFileError } from '../../util/regularFile';
import { checkEngineFolder } from '../../store/engineFolder';
import { readPlannerRefusal } from '../../store/plannedFiles';
import { writeAtomicSync } from '../../store/atomicWrite';
import { approve, verificationCommands } from '../consent';
import { SCOPE_ANSWER_MS } from '../../core/run/runStateFields';
import { withTimeout } from '../../util/timeout';
import { loadPlan } from '../plan';
import type { AttemptPlace } from '../attempt';
import type { RunContext } from './context';
import { toPosix } from '../../util/posixPath';

/** The most a sub-plan's text may take (a plan of 1,000 packages is well below). */
const MAX_SUB_PLAN_BYTES = 4 * 1024 * 1024;

/** Where a planner's sub-plan is written: its attempt folder (writable inside its walls; outside its tree). */
export function subPlanFileOf(place: AttemptPlace): string {
  return path.join(place.dir, 'sub-plan.yaml');
}

/** The sub-plan kept for `parentRunId`, and beside it why its planner's last one was refused. */
function keptFiles(ctx: RunContext, parentRunId: string): { kept: string; refused: string } {
  return { kept: plannedSubPlanFile(ctx.repoRoot, ctx.featureId, parentRunId), refused: plannedRefusalFile(ctx.repoRoot, ctx.featureId, parentRunId) };
}

/** The prompt of planner `pkg` (null: `pkg` is no planner). */
export function plannerPrompt(ctx: RunContext, pkg: PlanPackage, place: AttemptPlace, worktree: string, runId = ctx.state.runId): string | null {
  const planner = plannerOf(pkg.inputs);
  const parent = planner && ctx.pkg(planner.parent);
  if (!planner || !parent) return null;
  return buildPlannerPrompt({
    packageId: pkg.id,
    parent,
    planner,
    featureId: ctx.featureId,
    runId,
    worktree,
    subPlanFile: subPlanFileOf(place),
    resultFile: place.files.result,
    approvedCommands: ctx.approvedCommands ?? [],
    refused: readPlannerRefusal(ctx.repoRoot, ctx.featureId, planner.parent),
  });
}

/** Whether the planner `id`'s attempt left a sub-plan to judge (or its parent's is kept already). */
export async function plannerWrote(ctx: RunContext, id: string, place: AttemptPlace): Promise<boolean> {
  const parent = ctx.planners[id];
  if (parent === undefined) return false;
  if (ctx.isPlanned(parent) || fs.existsSync(subPlanFileOf(place))) return true;
  // On a host: asked of it.
  return (await ctx.executor.readResult(subPlanFileOf(place)).catch(() => null)) !== null;
}

/**
 * The sub-plan planner `id` wrote, judged: taken (kept, the run grown) → `{ok: true}`; else why
 * not, for the planner's failure (`refused` is also kept for its next attempt's prompt).
 */
export async function takeSubPlan(ctx: RunContext, id: string, place: AttemptPlace): Promise<{ ok: true } | { ok: false; reason: string }> {
  const parent = ctx.planners[id];
  if (parent === undefined) return { ok: false, reason: `${id} is no planner of this run` };
  const { kept, refused } = keptFiles(ctx, parent);
  const shown = toPosix(path.relative(ctx.repoRoot, kept));
  // Planned in an earlier run (or before a restart): the run read it at its start.
  if (fs.existsSync(kept)) return (ctx.joins?.[parent]?.length ?? 0) > 1 ? { ok: true } : { ok: false, reason: `${shown} was written during the run: resume the run to run it` };
  // The folder is a real folder of the repository, with no link in it (store/engineFolder.ts), before anything is written there.
  const folder = () => {
    checkEngineFolder(ctx.repoRoot, path.dirname(kept), { below: true });
    fs.mkdirSync(path.dirname(kept), { recursive: true });
  };
  const refuse = (reason: string, findings: string = reason) => {
    folder();
    writeAtomicSync(refused, findings + '\n');
    return { ok: false as const, reason };
  };
  // Its size first, where it is on this machine: a planner cannot make the engine read gigabytes.
  const size = fs.lstatSync(subPlanFileOf(place), { throwIfNoEntry: false })?.size ?? 0;
  if (size > MAX_SUB_PLAN_BYTES) return refuse(`its sub-plan is larger than ${MAX_SUB_PLAN_BYTES / 1024 / 1024} MB: it was not read`);
  let text: string | null;
  try {
    text = await ctx.executor.readResult(subPlanFileOf(place));
  } catch (err) {
    if (!(err instanceof NotRegularFileError)) throw err;
    return refuse(`its sub-plan ${subPlanFileOf(place)} is not a regular file (${err.why}): it was not read`);
  }
  if (text === null) return refuse(`the planner wrote no sub-plan (${subPlanFileOf(place)})`);
  if (Buffer.byteLength(text) > MAX_SUB_PLAN_BYTES) return refuse(`its sub-plan is larger than ${MAX_SUB_PLAN_BYTES / 1024 / 1024} MB: it was not read`);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // The whole plan read again with it, as a run would read it kept: every rule of a sub-plan file.
  const loaded = await loadPlan(ctx.planFile, { maxParallel: ctx.maxParallel, planned: { [parent]: text } });
  if (!loaded.nested) return { ok: false, reason: 'the plan on disk no longer nests: the run goes on with the plan it started from' };
  if ('refusals' in loaded.nested) {
    const lines = loaded.nested.refusals;
    const ownLines = lines.filter((l) => l.startsWith(shown));
    const findings = (ownLines.length ? ownLines : lines).join('\n');
    return refuse(`its sub-plan was refused: ${visibleText(lines.slice(0, 3).join('; '))}${lines.length > 3 ? ` (and ${lines.length - 3} more)` : ''}`, findings);
  }
  const changedNesting = { ok: false as const, reason: 'the plan or its sub-plans changed on disk how they nest during the run: its sub-plan was not taken; resume the run to plan again' };
  if (!grewOnly(ctx, parent, id, loaded.nested.joins)) return changedNesting;
  // The person's approval: only commands approved for this run already run without asking.
  const approved = new Set(ctx.approvedCommands ?? []);
  const unapproved = [...new Set(verificationCommands(loaded.analysis))].filter((c) => !approved.has(c));
  folder();
  try {
    fs.writeFileSync(kept, text, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { ok: false, reason: `${shown} appeared while its planner worked: it was not overwritten; resume the run to run it` };
    throw err;
  }
  fs.rmSync(refused, { force: true });
  let taken = loaded;
  if (unapproved.length) {
    const waits = {
      ok: false as const,
      reason: `its sub-plan is kept at ${shown} and waits for your approval: it runs ${unapproved.length === 1 ? 'a command' : 'commands'} not approved for this run (${unapproved.map(visibleText).join(', ')}). Read it (edit it, or delete it to plan again), then resume the run: the start asks you to approve them (\`waves run --resume\`, or Resume in the editor)`,
    };
    // Asked of the person now, where there is one to ask (not answered in time, or later: it waits as above).
    const ask = ctx.options.approveSubPlan;
    const title = ctx.analysis.plan.packages.find((p) => p.id === parent)?.title;
    const yes = ask ? await withTimeout(ask({ packageId: parent, ...(title ? { title } : {}), file: shown, path: kept, commands: unapproved }), SCOPE_ANSWER_MS, () => false).catch(() => false) : false;
    if (!yes) return waits;
    // The run may have grown while the person read it: the plan read again, with every sub-plan kept now.
    const again = await loadPlan(ctx.planFile, { maxParallel: ctx.maxParallel });
    if (!again.nested || 'refusals' in again.nested || !grewOnly(ctx, parent, id, again.nested.joins)) return changedNesting;
    const all = [...new Set(verificationCommands(again.analysis))];
    // Exactly what was shown is approved: a command that appeared meanwhile is asked at the next start.
    if (all.some((c) => !approved.has(c) && !unapproved.includes(c))) return waits;
    await approve(ctx.planFile, all);
    ctx.commandsApproved(all);
    taken = again;
  }
  const { joins, caps, files, planners } = taken.nested as Exclude<typeof taken.nested, { refusals: unknown } | undefined>;
  // The run grows: the plan with the sub-plan's packages, each new one pending.
  const known = new Set(Object.keys(ctx.state.packages));
  ctx.adoptPlan(taken.analysis, taken.hash);
  ctx.growNesting({ joins, joinCaps: caps, subPlanFiles: files, planners });
  ctx.update({ ok: true, state: ensurePackages(ctx.state, ctx.sched.map((p) => p.id), ctx.clock()) });
  ctx.update(setPlanHash(ctx.state, taken.hash, ctx.clock()));
  const added = ctx.sched.map((p) => p.id).filter((p) => !known.has(p));
  ctx.emit({ type: 'plan-changed', planHash: taken.hash, added });
  return { ok: true };
}

/** Whether `joins` (the plan read with a sub-plan) grows only `parent` (its planner `id` first) from the run's nesting now. */
function grewOnly(ctx: RunContext, parent: string, id: string, joins: Readonly<Record<string, readonly string[]>>): boolean {
  const before = ctx.joins ?? {};
  return Object.keys(before).every((p) => p === parent || (joins[p] ?? []).join('\u0000') === before[p]!.join('\u0000')) && (joins[parent] ?? [])[0] === id;
}

/** The planners of the run that ended without success although their sub-plan is kept (it waited for the person's approval). */
export function keptPlanners(ctx: RunContext): string[] {
  return Object.entries(ctx.planners)
    .filter(([id, parent]) => {
      const status = ctx.state.packages[id]?.status;
      return (status === 'failed' || status === 'interrupted') && ctx.isPlanned(parent);
    })
    .map(([id]) => id);
}

/**
 * The person's approval of a plan's verification commands, for both front ends: which
 * commands a run would run with the person's shell, whether they are approved (the person's
 * own approvals on this machine, `~/.config/wave-orchestrator/approvals/` through approvalStore.ts —
 * never a file of the repository, which could ship one), and approving them — only the EXACT
 * list the person was shown, refused when the plan on disk now says something else. A front
 * end never hands the engine `verification: 'approved'` (which approves whatever the engine
 * reads): the approval is recorded here first, and the front end gives the engine the very
 * text it showed (`planText`), so the run holds the list that was approved.
 */
import type { PlanAnalysis } from '../../core/plan/analyze';
import { loadPlan, type PlanSource } from '../plan';
import { approve, isApproved } from './approvalStore';

/**
 * What the engine does with the run's verification commands when it starts: run them when the
 * person approved the exact list (`~/.config/wave-orchestrator/approvals/`), else refuse to
 * start (`refuse-unapproved`, a run the person starts), skip them with a problem
 * (`skip-unapproved`, an adoption nobody asked about), or approve them (`approved`: tests and
 * scripts that have no person to ask; no front end passes it).
 */
export type VerificationPolicy = 'approved' | 'skip-unapproved' | 'refuse-unapproved';

/** One verification command with where it comes from, for a person. */
export interface VerificationStep {
  packageId: string;
  name: string;
  command: string;
}

export interface Verification {
  /** The commands of the packages the run covers (`only`), in plan order: the list approved for the run. */
  commands: string[];
  /** Every command of the plan (what `waves approve` approves). */
  planCommands: string[];
  /** The run's steps with their package and name, in plan order. */
  steps: VerificationStep[];
  /** Whether the run's list is approved: itself, or the plan's whole list it is a share of. */
  approved: boolean;
}

/**
 * The plan's verification steps of kind `command` of the packages in `only` (all when
 * undefined), in the order the engine takes them: the dependency graph's ids (plan order,
 * the first package of a duplicated id), each package's steps in order. `RunEngine.begin()`
 * asks approval for exactly this list (run/engine.ts calls it): one definition for both.
 */
export function verificationSteps(analysis: PlanAnalysis, only?: readonly string[]): VerificationStep[] {
  const out: VerificationStep[] = [];
  // The first package of each id (a duplicated id's first), found once: no search per id.
  const byId = new Map<string, (typeof analysis.plan.packages)[number]>();
  for (const p of analysis.plan.packages) if (!byId.has(p.id)) byId.set(p.id, p);
  const wanted = only ? new Set(only) : null;
  for (const id of analysis.graph.ids) {
    if (wanted && !wanted.has(id)) continue;
    const pkg = byId.get(id);
    for (const step of pkg?.verification?.steps ?? []) if (step.kind === 'command' && step.command) out.push({ packageId: id, name: step.name, command: step.command });
  }
  return out;
}

/** The commands alone (see `verificationSteps`). */
export function verificationCommands(analysis: PlanAnalysis, only?: readonly string[]): string[] {
  return verificationSteps(analysis, only).map((s) => s.command);
}

/** The run's verification commands and whether the person approved them. */
export function verificationOf(plan: PlanSource, only?: readonly string[]): Verification {
  const steps = verificationSteps(plan.analysis, only);
  const commands = steps.map((s) => s.command);
  const planCommands = verificationCommands(plan.analysis);
  const approved = isApproved(plan.file, commands) || isApproved(plan.file, planCommands);
  return { commands, planCommands, steps, approved };
}

/**
 * Whether the plan's whole list (what `waves approve` approves) is approved, from an analysis
 * the caller already has (the editor's plan registry): no process, the plan not read again.
 * A plan with no verification command has nothing to approve: true.
 */
export function planCommandsApproved(planFile: string, analysis: PlanAnalysis): boolean {
  return isApproved(planFile, verificationCommands(analysis));
}

export type ApproveResult =
  | { ok: true }
  /** The plan on disk now has another list: nothing was approved; `now` is what it says. */
  | { ok: false; reason: 'changed'; now: string[] };

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((c, i) => c === b[i]);

/**
 * Approves `shown` — the list the person saw — for the plan file's run of `only` (the whole
 * plan when undefined). The plan is read again from disk first: when its list is not exactly
 * `shown` any more, nothing is approved.
 */
export async function approveShown(planFile: string, shown: readonly string[], only?: readonly string[]): Promise<ApproveResult> {
  const plan = await loadPlan(planFile);
  const now = verificationCommands(plan.analysis, only);
  if (!sameList(now, shown)) return { ok: false, reason: 'changed', now };
  if (now.length > 0) await approve(plan.file, now);
  return { ok: true };
}

/**
 * The `verification` option a front end gives the engine for a run of `only`. When the run's
 * list is a share of the plan's approved whole list, the run's own list is recorded as
 * approved (the engine checks the run's list). `start`: 'refuse-unapproved' — the engine
 * refuses a list nobody approved (give it this plan's text, `planText: plan`, so it holds the
 * list that was checked); null when the list is not approved (ask the person first,
 * `approveShown`). `adopt`: 'skip-unapproved' — nothing is asked, commands nobody approved are
 * skipped.
 */
export async function verificationPolicy(plan: PlanSource, only: readonly string[] | undefined, when: 'start' | 'adopt'): Promise<VerificationPolicy | null> {
  const v = verificationOf(plan, only);
  if (v.approved && v.commands.length > 0 && !isApproved(plan.file, v.commands)) await approve(plan.file, v.commands);
  if (when === 'adopt') return 'skip-unapproved';
  return v.approved || v.commands.length === 0 ? 'refuse-unapproved' : null;
}

/**
 * The details pane's actions on the host. The panel asks a `DagActions` what each action
 * can do for a package and hands it the ones it does not do itself (Reveal in Plan).
 * `src/run` hands in the run's; without them `unavailableActions` answers honestly.
 */
import type { Event, Uri } from 'vscode';
import type { Coupling } from '../core/ownership/coupling';
import type { PlanAnalysis } from '../core/plan/analyze';
import type { NestedPlan } from '../core/plan/nestedPlan';
import type { NestTree } from '../core/plan/nestTree';
import type { RunState } from '../core/run/runState';
import { PACKAGE_ACTIONS, type ActionState, type CandidateAction, type PackageAction, type ProposalAction, type ProposalView } from '../protocol';
import type { PlanEntry } from '../plan/planRegistry';

/** What the host can do for the details pane's actions; each says why it can't. */
export type ActionStates = Record<PackageAction, ActionState>;

export interface ActionContext {
  plan: PlanEntry;
  packageId: string;
  run: RunState | undefined;
}

export interface DagActions {
  /** Whether each action can act now (Reveal in Plan is the panel's own and always on). */
  states(context: ActionContext): Omit<ActionStates, 'reveal'>;
  /** Does the action; throws an Error (with a `code`) when it cannot. */
  perform(action: Exclude<PackageAction, 'reveal'>, context: ActionContext): Promise<void>;
  /**
   * Best of n: picks candidate `candidate` of the package (through the same front door as the
   * palette's pick) or shows its changes; the panel has checked that the run has it. Absent: not available.
   */
  candidate?(action: CandidateAction, context: ActionContext, candidate: number): Promise<void>;
  /** Runs a wave of the plan (the panel's wave header); absent: not available. */
  runWave?(plan: PlanEntry, wave: number): Promise<void>;
}

export const NOT_AVAILABLE = 'not available yet: runs start from `waves run`';

export class NotAvailableError extends Error {
  readonly code = 'not-available';
}

/** Every run action disabled with the same reason, and refused if asked anyway. */
export const unavailableActions: DagActions = {
  states() {
    const off = { enabled: false, reason: NOT_AVAILABLE };
    return Object.fromEntries(PACKAGE_ACTIONS.filter((a) => a !== 'reveal').map((a) => [a, off])) as Omit<ActionStates, 'reveal'>;
  },
  async perform(action) {
    throw new NotAvailableError(`${action}: ${NOT_AVAILABLE}`);
  },
};

/** The coupling check (src/run/coupling/couplingDiagnostics.ts): its couplings per plan, drawn as edges. */
export interface CouplingSource {
  /** The couplings found in the plan at `uri` (as a string), as of its last check. */
  couplingsOf(uri: string): Coupling[];
  /** Checks the plan at `uri` though no editor shows it. */
  ask(uri: Uri): void;
  /** Fires with a plan's URI (as a string) when its couplings change. */
  readonly onDidChange: Event<string>;
}

/**
 * The proposed plans of planning sessions: the panel of a proposed plan shows its
 * approval bar (Approve, Request Changes, Discard, then Run Plan) and hands the actions over.
 */
export interface ProposalSource {
  /** The approval bar of the plan at `uri`, or undefined when it is no proposal. */
  viewFor(uri: Uri): ProposalView | undefined;
  /** Does the action; throws an Error (with a `code`) when it cannot. */
  perform(action: ProposalAction, uri: Uri): Promise<void>;
  /** Fires when a proposal's state changes (a round ended, approved, discarded). */
  readonly onDidChange: Event<void>;
}

/** The sub-plans of plans of plans (src/plan/nestedPlans.ts): the panel draws each parent as a group to open. */
export interface NestedPlanSource {
  /** The plan and its sub-plans, the top plan first; undefined when it names none. */
  of(entry: PlanEntry): NestedPlan<PlanAnalysis>[] | undefined;
  treeOf(entry: PlanEntry): NestTree | undefined;
  /** Fires when a plan's sub-plans were read again. */
  readonly onDidChange: Event<void>;
}

/**
 * The run engine's front door: the ONE module the `waves` CLI (src/cli) and the editor
 * (src/run) import from src/engine (ESLint holds them to it). It re-exports the rooms' indexes
 * (ADR 0018: git/, plan/, consent/, attempt/, hosts/, coordinator/, run/, planning/,
 * usecases/). Each use case is here once, so the two front ends cannot drift apart; they keep
 * argument parsing, VS Code wiring, the questions to the person and presentation. Use cases
 * (docs/run-engine.md, "The front door"):
 *
 * - load a plan with its repository root, hash and analysis .............. `loadPlan` (plan/)
 * - the verification commands, approved or not (the person's approvals on this machine,
 *   `personalApprovals`, never the repository's); approve the exact list shown
 *                                  `verificationOf`, `approveShown`, `verificationPolicy` (consent/)
 * - who drives a run (live or stale lease) .................. `driverOf`, `liveDriver` (run/)
 * - start, resume, retry, answer, adopt: `startRun(request, questions)` (usecases/) — every
 *   check and question of a start, once; a refusal is a `StartRefusal` (kind + reason), the
 *   same for both front ends; `dryRunOf(request)`: the same checks, then the schedule,
 *   prompts and forecast; `forecastOf(request)`: the forecast alone. `reconcileRun(…)`
 *   decides what a run found on disk needs (a `foreign` run —
 *   `foreignReason` — is only offered); an adoption is `startRun({ …, adopt: true,
 *   keepInterrupted: true, collectOnly: true })`, which starts nothing
 * - cancel: `engine.cancel(id?)` by the driver; `askDriverToCancel(…)` from any other process of
 *   the clone; `askCoordinatedDriverToCancel(…)` from any clone, through the shared coordinator (usecases/)
 * - status and report reading ...................... `readRun`, `liveLocks`, `readReport` (run/)
 * - the person's Approve / Request Changes on a package: `submitReview(repo, feature, decision)`; the review's threads
 *   as both front ends show them, `currentThreads(store, state)` (usecases/)
 * - the finish offer and safe clean-up ... `finishOffer`, `fastForwardTo`, `cleanUpWorktrees` (usecases/)
 * - a converted plan's tasks ticked in its source as packages succeed ........ `tickSourceTasks` (usecases/)
 * - where an attempt runs: `Executor` (attempt/, ADR 0006), `LocalExecutor` by default
 * - plan a feature (ADR 0013, planning/): `planningDryRun`, `startPlanning` (the agent writes,
 *   the exact checker repairs), `completePlanning` (the same from a draft plan: Complete with
 *   Agent), `revisePlanning` (Request changes), `approvePlanning`,
 *   `discardPlanning` (usecases/: with what its run left), `readPlanning`/`listPlannings`; `proposalGate(planFile)`: why a proposed
 *   plan may not run yet (the engine checks it too as a run begins)
 * - planned claims: `approvePlanning(…, { coordinator })` registers them,
 *   `discardPlanning(…, { coordinator })` removes them, `conflictsWithPlanned` (coordinator/):
 *   which other features' planned claims a plan meets; `listPlannedClaims`, and
 *   `releasePlannedClaims` for a feature's claims whose session is gone with its clone
 * - context slicing: the plan's artifacts (its folder's files, design.md) .... `readPlanArtifacts`
 * - coupling: imports across parallel packages' write scopes ...... `couplingOfPlan` (plan/)
 */
export {
  AdoptRefusedError,
  LeaseHeldError,
  NotARepositoryError,
  PlanInvalidError,
  ProposalNotApprovedError,
  RunEngine,
  type DryRun,
  type EngineEvent,
  type EngineOptions,
  type ScopeRequestAsked,
  type SubPlanAsked,
  type RunOutcome,
  type RunOutcomeKind,
} from './run';
export {
  childProcessLauncher,
  runnerEnv,
  confinementAvailable,
  ConfinementUnavailableError,
  containerHere,
  containerWallNoteOf,
  LocalExecutor,
  resolveProgram,
  type Availability,
  type Confinement,
  type ConfinementOptions,
  type Executor,
  type Launcher,
  type LaunchRequest,
  type LaunchResult,
} from './attempt';
export {
  dryRunOf,
  forecastOf,
  hostAgents,
  refusalOf,
  startRequestFrom,
  RUN_AGAIN,
  startRun,
  type HostsInput,
  type StartQuestions,
  type StartRefusal,
  type StartRefusalKind,
  type StartRequest,
  type StartResult,
  type StartValues,
  type ForecastResult,
} from './usecases';
export { PlanReadError, loadPlan, planHash, previewRoot, repositoryRoot, type PlanSource } from './plan';
export {
  VerificationNotApprovedError,
  approveShown,
  foreignReason,
  PersonFolderError,
  personalApprovals,
  planCommandsApproved,
  verificationCommands,
  verificationOf,
  verificationPolicy,
  verificationSteps,
  type ApproveResult,
  type Verification,
  type VerificationPolicy,
  type VerificationStep,
} from './consent';
export { describeDriver, driverOf, liveDriver, type Driver } from './run';
export { type ReviewGate } from './run';
export { attemptPrompt, changesBetween, fileAtCommit, hasRun, liveLocks, packageChanges, readReport, readRun, type ReportRead, type RunRead } from './run';
export { cleanUpWorktrees, fastForwardTo, finishOffer, type CleanUpResult, type FastForwardOffer, type FinishOffer, type FinishResult, type LocalFile } from './usecases';
export { isLayeredTree } from './git';
export { reconcileRun, resetPackages, type LiveRunner, type Reconciliation } from './usecases';
export { askCoordinatedDriverToCancel, askDriverToCancel, type CancelAsk } from './usecases';
export { replaceFile, SourceTickQueue, tickSourceTasks, type TickRun, type TickSourceOutcome, type TickSourceRequest } from './usecases';
export { discardPlanning } from './usecases';
export { commentAuthor, currentThreads, submitReview, type SubmitResult } from './usecases';
export { DemoTargetNotEmptyError, makeDemoWorkspace, type DemoWorkspaceRequest } from './usecases';
export {
  CoordinatorError,
  CoordinatorLeaseHeldError,
  CoordinatorReader,
  CoordinatorUnavailableError,
  PlannedClaimConflictError,
  conflictsWithPlanned,
  listPlannedClaims,
  releasePlannedClaims,
  repositoryKeyOf,
  openCoordinator,
  type CoordinatorOptions,
  type SharedResult,
  type WorkerRow,
} from './coordinator';
export { PullWorker, QueueExecutor, queueRun, stopLeftovers, workersStart, workOnPackage, type QueueRun, type TurnOutcome } from './workers';
export { checkCoordinatorUrl, plannedConflictText, plannedFeatures, plannedFeatureText, redactSecrets, type PlannedConflict, type PlannedFeature } from '../core/coordinator/sharedCoordinator';
export type { LockEntry } from '../core/run/lockTable';
export {
  PlanningError,
  approvePlanning,
  completePlanning,
  listPlannings,
  planFileOf,
  planningDryRun,
  planningRepo,
  proposalGate,
  readPlanning,
  revisePlanning,
  startPlanning,
  taskKeysOf,
  type DiscardResult,
  type PlanApproval,
  type PlannedClaimsOutcome,
  type PlanningDryRun,
  type PlanningEvent,
  type PlanningResult,
  type PlanningRunOptions,
  type CompletePlanningOptions,
  type StartPlanningOptions,
} from './planning';
export { readPlanArtifacts } from './plan';
export { couplingOfPlan, type CouplingScan } from './plan';
export { checkHost, checkHosts, readHostsFile, type HostCheck } from './hosts';
export { checkHostList, isRemote, type Host, type HostCheckItem } from '../core/hosts/hostList';
// The person's review threads of a feature's run, for both front ends: `.waves/runs/<feature>/review.json`.
export { ReviewStore, ReviewStoreError, type ReviewRead } from '../store/reviewStore';
export { fileSignature } from '../store/fileSignature';
export { readPlannerRefusal } from '../store/plannedFiles';

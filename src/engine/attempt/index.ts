/**
 * The attempt room: one attempt of a package on this machine, behind the executor seam (ADR 0006).
 *   executor.ts       the seam: what the engine asks of wherever an attempt runs
 *   localExecutor.ts  attempts on this machine: worktrees, the runner, the attempt's files
 *   launcher.ts       how a runner process is started (a detached child, or the editor's terminal)
 *   runnerPool.ts     runners started ahead while agents work
 *   runner.ts         the runner itself (bundled alone as dist/runner.js: imports no other room)
 *   adopt.ts          an attempt's exit record and whether its runner still lives
 *   supervise.ts      one attempt supervised: written, started, stopped, its end waited for and judged (a planning round's);
 *                     runnerSpec.ts builds its runner's spec from the agent's profile (a package's and a planning round's)
 *   setupHook.ts      a new worktree readied: the copy list, then the set-up hook (a package's, a planning session's)
 *   verification.ts   the approved verification commands run in the user's shell
 *   confinement.ts    whether agents can be confined here (bubblewrap; ADR 0019), a run's walls asked for;
 *                     wallsDraw.ts draws an attempt's walls as its agent starts, wallsNet.ts their proxy and relay,
 *                     wallsRun.ts runs a process inside them (an agent; a verification command: `runner.js --confine`),
 *                     programs.ts resolves an agent's program before they are drawn (refused, named, when it cannot run)
 */
export type { AttemptPlace, Executor, Liveness, NeedsInputReadout, PreparedTree, RunnerStarted, StartRequest, TalkRemote, TreeRequest } from './executor';
export { defaultRunnerScript, LocalExecutor, type LocalExecutorOptions } from './localExecutor';
export { childProcessLauncher, runnerEnv, type Launcher, type LaunchRequest, type LaunchResult } from './launcher';
export type { RunnerSpec } from './runnerFiles';
export { runnerSpec, type SpecRequest } from './runnerSpec';
export { AttemptSupervisor, keepBounds, localAttempts, SupervisedAttempt, type KeptBounds, type LocalAttemptsOptions, type SuperviseTiming } from './supervise';
export { parseExit, pidExists, readJson, type ExitRecord } from './adopt';
export type { RunVerificationOptions, StepResult } from './verification';
export { confinementAvailable, ConfinementUnavailableError, containerWallNoteOf, effectiveConfinement, opensWalls, wallsAsked, wallsNotKept, wallsOption, type Availability, type Confinement } from './confinement';
export { containerHere, repositoryOpensWalls, repositoryTurnsContainerOn } from './wallsFacts';
export type { ConfinementOptions } from './wallsDraw';
export { encodeConfine } from './wallsRun';
export { resolveProgram, type ProgramResolution } from './programs';
export { dropUnusedSharedInstalls, foldersToLay } from './wallsDeps';
export { readyTree, whenSetUpStops } from './setupHook';

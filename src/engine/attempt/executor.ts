/**
 * The executor seam: where and how one attempt of a package runs (ADR 0006). Everything the
 * engine does with an attempt's working tree, its runner and its files goes through an
 * `Executor`: the engine above the seam never reads or writes an attempt's files itself and
 * never assumes they are on this machine's disk. It keeps for itself what is the run's own:
 * the run state, the lock table, the lease, approvals, the integration branch and the report.
 *
 * `LocalExecutor` (localExecutor.ts) is the first implementation: worktrees in the sibling
 * folder `<repo>.worktrees/…`, the runner as a detached child process or in the editor's
 * terminal. A machine reached over SSH is meant to be the next.
 *
 * Paths an executor hands out (a tree, an attempt's files) are names in the executor's world:
 * they go into the prompt, the runner's spec and the run state, and come back to the
 * executor; the engine only passes them on.
 */
import type { QuietServers } from '../../core/agents/agentProfiles';
import type { AuditChange } from '../../core/run/audit';
import type { AttemptFiles } from '../../core/run/runPaths';
import type { ExitRecord } from './adopt';
import type { TreeInspection } from '../git';
import type { LaunchResult } from './launcher';
import type { RunnerSpec } from './runnerFiles';
import type { RunVerificationOptions, StepResult } from './verification';

/** One attempt of one package, as the executor names its files. */
export interface AttemptPlace {
  packageId: string;
  /** 1, 2, … */
  attempt: number;
  /** The attempt's folder (the runner's first argument). */
  dir: string;
  /** Its files (prompt, spec, meta, log, result, needs-input, cancel, exit) in that folder. */
  files: AttemptFiles;
}

/** A package's working tree, ready for its agent. */
export interface PreparedTree {
  /** Where the agent works (`treePath` of the package). */
  worktree: string;
  /** The package's branch (`waves/<feature>/<package>`, whatever the tree). */
  branch: string | null;
  /** The commit the tree was made from (a retry's tree may hold more: its earlier work). */
  baseSha: string;
}

export interface TreeRequest {
  packageId: string;
  /** false: `worktree.mode: shared`, the package works in the feature's shared tree (on its own branch, one package at a time). */
  isolated: boolean;
  /** A ref of the engine's repository to start from: the integration branch's tip. */
  base: string;
  /** Why the tree is locked (`git worktree lock --reason`). */
  reason: string;
  /** The attempt the tree is prepared for (the set-up hook's log goes there). */
  attempt: AttemptPlace;
  /** Aborted when the package is cancelled while its tree is readied: a set-up hook under way is stopped. */
  signal?: AbortSignal;
  /** The package's time limit (its `timeout_minutes`), which its set-up hook is held to too; none: no limit. */
  timeoutMs?: number;
  /** Called with the tree's set-up command (an argv) when it starts: not when it is skipped or ran there before. */
  onSettingUp?: (command: readonly string[]) => void;
}

/** A tree to make ahead of its package's first attempt (ADR 0016): an isolated package's, from `base`. */
export interface AheadRequest {
  packageId: string;
  /** A ref of the engine's repository: the integration branch (its tip now; the attempt fast-forwards to its tip then). */
  base: string;
  /** Why the tree is locked (`git worktree lock --reason`). */
  reason: string;
}

export interface StartRequest {
  attempt: AttemptPlace;
  startToken: string;
  /** For a terminal's name, e.g. `waves: api-client #1`. */
  title: string;
  /** The package's tree. */
  cwd: string;
  /** The agent needs a terminal (a TUI). */
  interactive: boolean;
}

/** `needs-input.json` as read: present or not, and its reason when it could be read. */
export interface NeedsInputReadout {
  present: boolean;
  /** null: absent, or present but not (yet) readable. */
  reason: string | null;
}

/** `meta.json` as read: the runner started, with this token (and pid, when it says). */
export interface RunnerStarted {
  startToken: string;
  runnerPid: number | null;
}

/** Whether an attempt's runner is alive: its pid (meta.json's, else the hint) and the verdict. */
export interface Liveness {
  /** null: unknown (no meta.json yet and no pid from the launch). */
  pid: number | null;
  /** The process lives and carries the start token (false when `pid` is null). */
  alive: boolean;
  /** Its host has been out of reach too long to tell (`host-lost: …`): the engine interrupts the attempt. */
  lost?: string;
}

export interface Executor {
  // -- Names (no I/O) --------------------------------------------------------------------
  /** Where a package's tree is (known before it exists: the prompt names it). */
  treePath(packageId: string, isolated: boolean): string;
  /** Attempt `attempt` of a package in run `runId`. */
  attempt(runId: string, packageId: string, attempt: number): AttemptPlace;

  // -- The working tree ------------------------------------------------------------------
  /** Creates (or reuses, on a retry) the package's tree from `base`, locked; runs the set-up hook in a new one. */
  prepareTree(request: TreeRequest): Promise<PreparedTree>;
  /** The tip of the package's branch; null when it cannot be read. */
  headOf(packageId: string): Promise<string | null>;
  /**
   * The package's branch and the commit it forked from the integration branch (its base, as the
   * audit needs it), read from git — for a start adopted after an engine stopped before recording
   * it. Absent, or null, where the executor cannot tell; a null base where it cannot read it.
   */
  treeBase?(packageId: string, integrationBranch: string): Promise<{ branch: string; baseSha: string | null } | null>;
  /** Where `tree` (the package's, as `treePath` named it) stands after the agent: on the package's branch or not. */
  inspectTree(packageId: string, tree: string): Promise<TreeInspection>;
  /** Commits what the agent left uncommitted in `tree` (on the package's branch: check first); the branch's tip (null: unreadable). */
  commitLeftovers(packageId: string, tree: string, message: string): Promise<string | null>;
  /** What `commit` changes against `baseSha`, tree to tree, with symbolic links and force-added ignored files marked (for the audit). */
  changes(packageId: string, tree: string, baseSha: string, commit: string): Promise<AuditChange[]>;
  /** Runs approved verification commands in the package's tree (verification.ts's contract). */
  verify(options: RunVerificationOptions): Promise<StepResult[]>;
  /** Hands the package's branch to the engine's repository for the merge; its name there. */
  handBack(packageId: string): Promise<string>;
  /** Removes a merged package's tree when it is clean (never forced; a shared tree stays for the next shared package). */
  removeTree(packageId: string, tree: string, mergedInto: string): Promise<{ removed: boolean; reason: string | null }>;

  /**
   * Why walls cannot be had where this executor runs agents besides this machine (an SSH host
   * without bubblewrap), one line per place; absent or empty: nowhere else, or everywhere fine.
   * A place out of reach is not judged (its first attempt is).
   */
  wallsProblems?(): Promise<string[]>;

  // -- The runner ------------------------------------------------------------------------
  /**
   * Agents talk back (ADR 0036): the `waves` MCP server's script an attempt's CLI may start inside
   * its walls (beside the runner's, readable there), when this executor's attempts can reach the
   * engine's socket; absent or null: its agents get no such server (an SSH host's).
   */
  talkServer?(packageId: string): string | null;
  /**
   * Agents talk back from another machine (an SSH host): the `waves` MCP server there (its `node`
   * and script, beside the runner there), and `open`, which writes the attempt's MCP configuration
   * there and forwards the attempt folder's socket there to `localSocket` here; what it returns
   * ends the forwarding. Absent or null: the attempt runs on this machine (`talkServer`).
   */
  talkRemote?(packageId: string): TalkRemote | null;
  /** Writes the attempt's prompt and the runner's spec (creating its folder). */
  writeAttempt(attempt: AttemptPlace, prompt: string, spec: RunnerSpec): Promise<void>;
  /** Starts the runner of a written attempt. */
  start(request: StartRequest): Promise<LaunchResult>;
  /** Calls `onChange` when something in the attempt's folder may have changed; null when it cannot watch (the engine's slow poll covers it). */
  watch(attempt: AttemptPlace, onChange: () => void): { close(): void } | null;
  /** The runner's `exit.json`; null while it is missing or not one. */
  readExit(attempt: AttemptPlace): Promise<ExitRecord | null>;
  readNeedsInput(attempt: AttemptPlace): Promise<NeedsInputReadout>;
  /** The runner's `meta.json`; null when it did not start (or it holds no token). */
  readStarted(attempt: AttemptPlace): Promise<RunnerStarted | null>;
  /** Is the runner started with `startToken` alive? `pidHint`: the pid the launch reported. */
  liveness(attempt: AttemptPlace, startToken: string, pidHint: number | null): Promise<Liveness>;
  /** Asks the runner to stop its agent (the `cancel` file); `at` is written into it when given. */
  cancel(attempt: AttemptPlace, at?: Date): Promise<void>;
  /**
   * An agent's result record as text (a `resultFile` of the run state); null when missing.
   * `NotRegularFileError` when it is not a regular file (a FIFO, a device, a link out of the
   * repository): it is never opened for reading, so an agent cannot stall the engine with it.
   */
  readResult(file: string): Promise<string | null>;

  // -- Several hosts (ADR 0011; hostsExecutor.ts). Optional: a one-place executor has none.
  /** Places a package about to start on a host with a free slot (`busy`: active attempts by host); null: none free now. */
  place?(packageId: string, isolated: boolean, busy: ReadonlyMap<string, number>): string | null;
  /** The host a package's current attempt is on (from the run state, on a resume). */
  placed?(packageId: string, host: string): void;
  /** The host of a package's current placement; null: none. */
  hostOf?(packageId: string): string | null;
  /** Makes `text` (an upstream package's result record, read where it ran) readable where `attempt` runs; its name there. */
  carry?(attempt: AttemptPlace, name: string, text: string): Promise<string>;
  /** A host out of reach came back: the engine collects what its lost attempts left. */
  reachable?(host: string): Promise<boolean>;
  /**
   * The host of a package's placement when that host's last call found it out of reach:
   * what just failed there failed for that, and is waited for, not blamed on the package. null:
   * this machine, or a host that answers.
   */
  hostAway?(packageId: string): string | null;
  /** Takes no package until it answers again (`reachable` clears it): a host found out of reach. */
  markLost?(host: string): void;
  /** The hosts marked lost, to be asked again now and then (`reachable`). */
  lostHosts?(): string[];
  /** The terminal command that attaches to an attempt on a host (`ssh -t … tmux attach`); null: a local attempt. */
  attachCommand?(packageId: string, startToken: string): { command: string; args: string[] } | null;
  /** Ends what the executor holds open (shared SSH connections, runners started ahead). */
  close?(): Promise<void>;

  // -- Runners started ahead (runnerPool.ts). Optional: without them a runner starts per attempt.
  /** A start token for a new attempt of `packageId`: the one a runner started ahead carries, else a fresh one. */
  startToken?(packageId: string): string;
  /** A token from `startToken` whose attempt will not start after all (its tree failed…): its runner waits for another. */
  unusedToken?(token: string): void;
  /** About `count` attempts may start when the ones under way end (core/run/startAhead.ts nextStarts), and `steps` packages at work have verification commands to run. */
  expectLaunches?(count: number, steps?: number): void;

  // -- Trees made ahead (ADR 0016). Optional: without them a tree is made when its attempt starts.
  /**
   * Makes, in the background and best effort, the trees of packages that may start when the ones
   * under way end (core/run/startAhead.ts treesAhead): never over a tree or branch that exists.
   * `prepareTree` of such a package takes its tree as made (checked unchanged, fast-forwarded
   * to the base, then the set-up hook).
   */
  prepareAhead?(requests: readonly AheadRequest[]): void;
  /** Removes the trees made ahead that no attempt took (only while exactly as made); waits for the ones being made. */
  dropAhead?(): Promise<void>;
}

/** An attempt's `waves` MCP server on another machine (`Executor.talkRemote`). */
export interface TalkRemote {
  command: string;
  script: string;
  /** `token`: the attempt's, which the engine's socket here checks on each call (a relay that calls it on the agent's behalf names it). */
  open(place: AttemptPlace, localSocket: string, config: string, token: string): Promise<() => Promise<void>>;
  /** The person's own MCP servers there (Codex's and Copilot's configuration on the host), read once; none when they cannot be read. */
  quiet(): Promise<QuietServers>;
}

/**
 * `LocalExecutor`: attempts run on this machine (the first `Executor`, ADR 0006). Isolated
 * packages work in git worktrees in the sibling folder `<repo>.worktrees/<feature>/<package>`
 * (or the configured `worktreesFolder`) on `waves/<feature>/<package>`; shared ones, one at a
 * time, in the feature's shared worktree `<…>/<feature>/_shared`, each on its own branch. The runner (`node dist/runner.js <attemptDir> <startToken>`) is started
 * by a `Launcher`: a detached child process by default, the editor's terminal when it passes
 * its own. The attempt's files live under `.waves/runs/…`; its end is seen by `fs.watch` on
 * the attempt folder (the engine polls too); a runner is alive when its pid's command line
 * holds its start token (adopt.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AuditChange } from '../../core/run/audit';
import { writeAtomic } from '../../store/atomicWrite';
import { TALK_SERVER_SCRIPT } from '../talk';
import { NotRegularFileError, readRegularFile } from '../../util/regularFile';
import { attemptDir, attemptFiles, packageBranch, sharedTreePath, worktreePath } from '../../core/run/runPaths';
import { attemptRunnerPid, isRunnerAlive, readExit, readJson, type ExitRecord } from './adopt';
import type { AheadRequest, AttemptPlace, Executor, Liveness, NeedsInputReadout, PreparedTree, RunnerStarted, StartRequest, TreeRequest } from './executor';
import { commitAllLanding, copiedInto, createWorktree, dropMadeAhead, dropUnmadeTree, git, inspectTree, madeAheadAt, madeAheadReason, markMadeAhead, prepareSharedTree, removeWorktreeIfSafe, revParse, takeMadeAhead, treeChanges, type TreeInspection, type WorktreeResult } from '../git';
import type { ConfinementOptions } from './wallsDraw';
import { childProcessLauncher, type Launcher, type LaunchRequest, type LaunchResult } from './launcher';
import type { RunnerSpec } from './runnerFiles';
import { newStartToken, RunnerPool } from './runnerPool';
import { runApprovedSteps, runVerification, type RunVerificationOptions, type StepResult } from './verification';
import { copyListInto, setUpOnce } from './setupHook';
import { overlayTools } from './wallsDeps';

export interface LocalExecutorOptions {
  /** The repository (its real path). */
  repoRoot: string;
  /** The feature id as in the plan. */
  featureId: string;
  /** Default: `childProcessLauncher` (a detached `node dist/runner.js …`), with runners started ahead (runnerPool.ts). */
  launcher?: Launcher;
  /**
   * Runners started ahead while agents work (runnerPool.ts). Default: on with the default
   * launcher, unless `WAVES_RUNNER_POOL=0`; never with a launcher of the caller's (the editor's
   * terminals host their runner).
   */
  pool?: boolean;
  /** Default: `runner.js` beside this bundle, else `<repo of the extension>/dist/runner.js`. */
  runnerScript?: string;
  /** The folder of the worktrees, absolute or relative to the repository; default `<repo>.worktrees`. */
  worktreesFolder?: string;
  /** argv run in each newly created isolated worktree (no shell); a failure fails the package. */
  setupHook?: string[];
  /** The copy list: paths of the checkout git does not carry, copied into each new tree once (git/worktreeCopy.ts). */
  copyFiles?: string[];
  /**
   * The walls every agent runs inside (ADR 0019): bubblewrap (`confinementAvailable`), what
   * the person added, the environment the agents see. Absent: agents run unconfined (the person's choice).
   */
  walls?: { bwrap: string; options?: ConfinementOptions };
  /**
   * New isolated trees layered over one shared checkout of their base (git/layers.ts, ADR 0032):
   * only with `walls`, inside which every command in the tree runs and the tree is whole.
   */
  layered?: boolean;
}

/** `runner.js` beside this bundle, else `<repo of the extension>/dist/runner.js`. */
export function defaultRunnerScript(): string {
  const candidates = [path.join(__dirname, 'runner.js'), path.resolve(__dirname, '..', '..', 'dist', 'runner.js')];
  return candidates.find((c) => fs.existsSync(c)) ?? candidates[0]!;
}

export class LocalExecutor implements Executor {
  private readonly repoRoot: string;
  private readonly featureId: string;
  private readonly launcher: Launcher;
  private readonly runnerScript: string;
  private readonly pool: RunnerPool | null;
  /** Leftovers commits whose branch move may still be under way, by package (`commitLeftovers`). */
  private readonly landing = new Map<string, { tree: string; landed: Promise<void> }>();

  constructor(private readonly options: LocalExecutorOptions) {
    this.repoRoot = options.repoRoot;
    this.featureId = options.featureId;
    this.launcher = options.launcher ?? childProcessLauncher;
    this.runnerScript = options.runnerScript ?? defaultRunnerScript();
    const pooled = options.launcher ? false : (options.pool ?? process.env.WAVES_RUNNER_POOL !== '0');
    this.pool = pooled ? new RunnerPool({ runnerScript: this.runnerScript, cwd: this.repoRoot, ...(options.walls ? { wallsAhead: options.walls.bwrap } : {}) }) : null;
  }

  // -- Names -------------------------------------------------------------------------------

  /** Whether new isolated trees are layered: asked, every command in them runs inside the walls, and overlays can be mounted here (else they are checked out, as without). */
  private get layered(): boolean {
    return this.options.layered === true && this.options.walls !== undefined && overlayTools() !== null;
  }

  treePath(packageId: string, isolated: boolean): string {
    return isolated ? this.worktree(packageId) : this.sharedTree();
  }

  private sharedTree(): string {
    return sharedTreePath(this.repoRoot, this.featureId, this.options.worktreesFolder);
  }

  attempt(runId: string, packageId: string, attempt: number): AttemptPlace {
    const dir = attemptDir(this.repoRoot, this.featureId, runId, packageId, attempt);
    return { packageId, attempt, dir, files: attemptFiles(dir) };
  }

  private worktree(packageId: string): string {
    return worktreePath(this.repoRoot, this.featureId, packageId, this.options.worktreesFolder);
  }

  // -- The working tree --------------------------------------------------------------------

  /**
   * The package's branch `waves/<feature>/<package>`, created from `base` (the integration
   * branch's tip: every dependency's merged result); a retry reuses the branch (committed
   * work stays) and merges the base into it when it lacks it. Isolated: in its own worktree,
   * locked. Shared: checked out in the feature's shared worktree (git/worktrees.ts prepareSharedTree).
   * The copy list is copied into a tree once (a new tree; one made ahead got it then). The set-up
   * hook runs in a tree until it has run to the end there for the package's branch (a
   * new tree, a retry's tree whose hook failed). The person's checkout is never used.
   */
  async prepareTree(request: TreeRequest): Promise<PreparedTree> {
    const where = {
      repo: this.repoRoot,
      branch: packageBranch(this.featureId, request.packageId),
      base: request.base,
      reason: request.reason,
    };
    // A tree being made ahead is waited for; one made ahead (by this engine or one before it: its mark) is taken as made.
    const ahead = this.ahead.get(request.packageId);
    if (ahead) {
      this.ahead.delete(request.packageId);
      await ahead;
    }
    const isolatedTree = this.worktree(request.packageId);
    // A leftovers commit still moving a branch in the tree this attempt takes (a retry's, the shared one) lands first.
    await this.landedIn(request.isolated ? isolatedTree : this.sharedTree()).catch(() => undefined);
    // A tree made ahead whose making stopped before it had its commit is no tree made ahead: gone, then made anew.
    if (request.isolated) await dropUnmadeTree(this.repoRoot, isolatedTree);
    const madeAt = request.isolated ? madeAheadAt(isolatedTree) : null;
    const tree: WorktreeResult = madeAt
      ? await takeMadeAhead({ ...where, path: isolatedTree }, madeAt)
      : request.isolated
        ? await createWorktree({ ...where, path: isolatedTree, layered: this.layered })
        : await prepareSharedTree({ ...where, path: this.sharedTree(), leftoversMessage: (b) => `waves: ${b}: the agent's uncommitted changes (left in the shared tree)` });
    await this.copyList(tree.path, request.attempt.dir, madeAt !== null);
    // A reused tree too, unless the hook ran to the end there for this branch (a retry after the hook failed runs it again).
    const w = this.options.walls;
    const control = { ...(request.signal ? { stop: request.signal } : {}), ...(request.timeoutMs ? { timeoutMs: request.timeoutMs } : {}), ...(request.onSettingUp ? { onStart: request.onSettingUp } : {}) };
    await setUpOnce(tree.path, tree.branch, this.options.setupHook ?? [], request.attempt.dir, w && { bwrap: w.bwrap, runnerScript: this.runnerScript, ...(w.options ? { options: w.options } : {}) }, control);
    return { worktree: tree.path, branch: tree.branch, baseSha: tree.baseSha };
  }

  /** Trees made ahead in this run and not taken yet: package → the commit it was made at (null: none was made). */
  private readonly ahead = new Map<string, Promise<string | null>>();

  prepareAhead(requests: readonly AheadRequest[]): void {
    for (const r of requests) {
      if (this.ahead.has(r.packageId)) continue;
      this.ahead.set(r.packageId, this.makeAhead(r).catch(() => null));
    }
  }

  /** One tree ahead: only where nothing is (no folder, no branch: never a retry's work); marked with its commit. */
  private async makeAhead(r: AheadRequest): Promise<string | null> {
    const tree = this.worktree(r.packageId);
    const branch = packageBranch(this.featureId, r.packageId);
    if (fs.existsSync(tree)) return null;
    // The commit first: the lock reason that `worktree add` writes before anything else names it.
    const base = await revParse(this.repoRoot, r.base);
    if (!base) return null;
    const made = await createWorktree({ repo: this.repoRoot, path: tree, branch, base, reason: madeAheadReason(r.reason, base), onlyNew: true, layered: this.layered });
    markMadeAhead(tree, made.head);
    if (this.options.copyFiles?.length) await this.copyInto(tree);
    return made.head;
  }

  /**
   * The copy list into a tree, once per tree (its mark): copied now, or when the tree was made
   * ahead; the attempt's setup.log says what was copied and what left out, and why.
   */
  private async copyList(tree: string, attemptDir: string, madeAhead: boolean): Promise<void> {
    if (!this.options.copyFiles?.length) return;
    const before = copiedInto(tree);
    // A tree copied into for an earlier attempt keeps what it has, and its log said it then.
    if (before !== null && !madeAhead) return;
    const text = before ?? (await this.copyInto(tree));
    await fs.promises.mkdir(attemptDir, { recursive: true });
    await fs.promises.appendFile(path.join(attemptDir, 'setup.log'), text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Copies the list into `tree` and marks it; the lines for the log. */
  private copyInto(tree: string): Promise<string> {
    return copyListInto(this.repoRoot, tree, this.options.copyFiles!);
  }

  async dropAhead(): Promise<void> {
    const left = [...this.ahead];
    this.ahead.clear();
    // One after another: the end of a run, off every path; `worktree remove`s of one repository need not race.
    for (const [id, made] of left) {
      const at = await made;
      if (at) await dropMadeAhead(this.repoRoot, this.worktree(id), packageBranch(this.featureId, id), at).catch(() => false);
    }
  }

  async treeBase(packageId: string, integrationBranch: string): Promise<{ branch: string; baseSha: string | null }> {
    const branch = packageBranch(this.featureId, packageId);
    const r = await git(this.repoRoot, ['merge-base', `refs/heads/${branch}`, `refs/heads/${integrationBranch}`], [0, 1, 128]).catch(() => null);
    return { branch, baseSha: r?.code === 0 ? r.stdout.trim() || null : null };
  }

  async headOf(packageId: string): Promise<string | null> {
    try {
      return await revParse(this.repoRoot, `refs/heads/${packageBranch(this.featureId, packageId)}`);
    } catch {
      // git could not read the branch: its tip is unknown, and the caller goes on without it
      return null;
    }
  }

  inspectTree(packageId: string, tree: string): Promise<TreeInspection> {
    return inspectTree(tree, packageBranch(this.featureId, packageId));
  }

  /**
   * The new commit as soon as it exists: the branch HEAD names (the caller checked it is the
   * package's) moves to it by compare-and-swap meanwhile, awaited before anything runs in the tree
   * again (verification) and before the merge (`handBack`), which fail if it could not move.
   */
  async commitLeftovers(packageId: string, tree: string, message: string): Promise<string | null> {
    const made = await commitAllLanding(tree, message);
    if (made.commit === null) return this.headOf(packageId);
    this.landing.set(packageId, { tree, landed: made.landed });
    return made.commit;
  }

  /** A leftovers commit's branch move, awaited (and forgotten); it throws git's error when the branch could not move. */
  private async landed(packageId: string): Promise<void> {
    const pending = this.landing.get(packageId);
    if (!pending) return;
    this.landing.delete(packageId);
    await pending.landed;
  }

  /** Tree to tree (git/treeDiff.ts treeChanges), with `tree`'s ignore rules. */
  changes(_packageId: string, tree: string, baseSha: string, commit: string): Promise<AuditChange[]> {
    return treeChanges(tree, baseSha, commit);
  }

  /** Every leftovers commit's branch move in `tree`, awaited. */
  private async landedIn(tree: string): Promise<void> {
    for (const [id, pending] of [...this.landing]) if (path.resolve(pending.tree) === path.resolve(tree)) await this.landed(id);
  }

  async verify(options: RunVerificationOptions): Promise<StepResult[]> {
    // The commands see the tree's branch at its leftovers commit.
    await this.landedIn(options.cwd);
    // Inside walls of their own, as the agents are, unless the person chose none.
    return runVerification(this.commandWalls(options));
  }

  /** `verify` for a pull worker, whose machine has no approvals: the caller vouches (runApprovedSteps). */
  async verifyVouched(options: Omit<RunVerificationOptions, 'approvals' | 'approvedList'>): Promise<StepResult[]> {
    await this.landedIn(options.cwd);
    return runApprovedSteps(this.commandWalls(options));
  }

  /** Verification options with the commands' walls (and the runners started ahead). */
  private commandWalls<T extends Omit<RunVerificationOptions, 'approvals' | 'approvedList'>>(options: T): T {
    const w = this.options.walls;
    return w ? { ...options, walls: { bwrap: w.bwrap, runnerScript: this.runnerScript, ...(w.options ? { options: w.options } : {}) }, ...(this.pool ? { pool: this.pool } : {}) } : options;
  }

  /** The branch is in this repository already (once its leftovers commit has landed on it). */
  async handBack(packageId: string): Promise<string> {
    await this.landed(packageId);
    return packageBranch(this.featureId, packageId);
  }

  async removeTree(packageId: string, tree: string, mergedInto: string): Promise<{ removed: boolean; reason: string | null }> {
    if (path.resolve(tree) !== path.resolve(this.worktree(packageId))) return { removed: false, reason: null }; // the shared tree stays for the next shared package
    const r = await removeWorktreeIfSafe({
      repo: this.repoRoot,
      worktree: tree,
      branch: packageBranch(this.featureId, packageId),
      mergedInto,
    });
    return { removed: r.removed, reason: r.reason };
  }

  // -- The runner --------------------------------------------------------------------------

  /** The `waves` MCP server beside the runner (`dist/waves-mcp.js`; ADR 0036), when it is there. */
  talkServer(): string | null {
    const script = path.join(path.dirname(this.runnerScript), TALK_SERVER_SCRIPT);
    return fs.existsSync(script) ? script : null;
  }

  async writeAttempt(attempt: AttemptPlace, prompt: string, spec: RunnerSpec): Promise<void> {
    await fs.promises.mkdir(attempt.dir, { recursive: true });
    await fs.promises.writeFile(attempt.files.prompt, prompt);
    await writeAtomic(attempt.files.spec, JSON.stringify(this.walled(spec), null, 2) + '\n');
  }

  /** The spec with the walls asked for: the runner draws them as its agent starts. */
  private walled(spec: RunnerSpec): RunnerSpec {
    const w = this.options.walls;
    return w ? { ...spec, walls: { bwrap: w.bwrap, ...(w.options ? { options: w.options } : {}) } } : spec;
  }


  startToken(_packageId: string): string {
    return this.pool?.take() ?? newStartToken();
  }

  unusedToken(token: string): void {
    this.pool?.giveBack(token);
  }

  expectLaunches(count: number, steps = 0): void {
    // Only walled steps are run by the pool (verification.ts).
    this.pool?.expect(count, this.options.walls ? steps : 0);
  }

  async close(): Promise<void> {
    this.pool?.close();
  }

  /**
   * The runner its token was taken from, when one was started ahead; else `process.execPath
   * <runnerScript> <attemptDir> <startToken>` through the launcher.
   */
  async start(request: StartRequest): Promise<LaunchResult> {
    const { attempt, startToken } = request;
    const launch: LaunchRequest = {
      packageId: attempt.packageId,
      attempt: attempt.attempt,
      title: request.title,
      attemptDir: attempt.dir,
      startToken,
      command: process.execPath,
      args: [this.runnerScript, attempt.dir, startToken],
      cwd: request.cwd,
      env: {},
      interactive: request.interactive,
    };
    return (await this.pool?.launch(launch)) ?? this.launcher.launch(launch);
  }

  watch(attempt: AttemptPlace, onChange: () => void): { close(): void } | null {
    let watcher: fs.FSWatcher;
    try {
      watcher = fs.watch(attempt.dir, () => onChange());
    } catch {
      return null; // the slow poll covers it
    }
    watcher.on('error', () => watcher.close());
    return { close: () => watcher.close() };
  }

  async readExit(attempt: AttemptPlace): Promise<ExitRecord | null> {
    return fs.existsSync(attempt.files.exit) ? readExit(attempt.files.exit) : null;
  }

  async readNeedsInput(attempt: AttemptPlace): Promise<NeedsInputReadout> {
    const needs = readJson(attempt.files.needsInput) as { reason?: unknown } | undefined;
    if (needs && typeof needs.reason === 'string' && needs.reason) return { present: true, reason: needs.reason };
    return { present: fs.existsSync(attempt.files.needsInput), reason: null };
  }

  async readStarted(attempt: AttemptPlace): Promise<RunnerStarted | null> {
    const meta = readJson(attempt.files.meta) as { runnerPid?: unknown; startToken?: unknown } | undefined;
    if (typeof meta?.startToken !== 'string' || !meta.startToken) return null;
    return { startToken: meta.startToken, runnerPid: typeof meta.runnerPid === 'number' ? meta.runnerPid : null };
  }

  /** meta.json's runner pid (else the hint), alive with the token in its command line (`/proc`, `ps`). */
  async liveness(attempt: AttemptPlace, startToken: string, pidHint: number | null): Promise<Liveness> {
    const pid = attemptRunnerPid(attempt.files.meta, pidHint);
    return { pid, alive: pid ? await isRunnerAlive(pid, startToken) : false };
  }

  async cancel(attempt: AttemptPlace, at?: Date): Promise<void> {
    await fs.promises.writeFile(attempt.files.cancel, at ? `${at.toISOString()}\n` : '').catch(() => undefined);
  }

  /** A file of another machine's (an upstream result record) put beside the attempt; its path. */
  async carry(attempt: AttemptPlace, name: string, text: string): Promise<string> {
    const file = path.join(attempt.dir, 'upstream', name);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await fs.promises.writeFile(file, text);
    return file;
  }

  /** The record as text; null when missing; `NotRegularFileError` (never read) for a FIFO, a device, a socket or a link out of the repository. */
  async readResult(file: string): Promise<string | null> {
    try {
      return (await readRegularFile(file, { within: this.repoRoot })).toString('utf8');
    } catch (err) {
      if (err instanceof NotRegularFileError) throw err;
      return null;
    }
  }
}

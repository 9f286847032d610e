/**
 * `SshExecutor`: attempts on a machine reached over SSH (ADR 0011), behind the executor
 * seam (ADR 0006). On the host, under its folder:
 *   <folder>/<repo-key>.git                         a bare repository the engine pushes bases into
 *   <folder>/trees/<repo-key>/<feature>/<package>   each package's worktree, on waves/<feature>/<package>
 *   <folder>/runs/<repo-key>/<feature>/<run>/<package>/<n>/   each attempt's files (as .waves/ has them)
 *   <folder>/runner/runner-<hash>.js                the runner, copied once per version
 * The base commit goes there with `git push`; the runner runs detached from the SSH session
 * (in `tmux` when the host has it — an editor terminal can attach —, else `setsid`), so a
 * dropped connection kills nothing; its files are read over the host's shared connection;
 * the commit the engine judges comes back with `git fetch` by its id and is audited and merged
 * here exactly like a local one — nothing read from the host is trusted beyond that commit.
 * A host that cannot be reached makes reads come back empty; past `hostLostMs` the attempt's
 * liveness says `lost` (the engine makes it `interrupted`, host-lost).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AuditChange } from '../../core/run/audit';
import { nodeProbe, readNodeCheck, shellQuote, type Host } from '../../core/hosts/hostList';
import { WALLS_TRIAL_SCRIPT, wallsTrialProblem } from '../../core/walls/walls';
import { wallsOutputAdvice } from '../../core/walls/toolchains';
import { attemptFiles, packageBranch } from '../../core/run/runPaths';
import { parseExit, whenSetUpStops, type ExitRecord, type AttemptPlace, type Executor, type TalkRemote, type Liveness, type NeedsInputReadout, type PreparedTree, type RunnerStarted, type StartRequest, type TreeRequest, type LaunchResult, type RunnerSpec, type RunVerificationOptions, type StepResult } from '../attempt';
import { copyLogText, ENGINE_IDENTITY, gitOut, treeChanges, type TreeInspection } from '../git';
import { HostUnreachableError, SAFE_CONFIG_REMOTE, SshHost } from './ssh';
import { copyListToHost } from './hostCopy';
import { requireApproved } from '../consent';
import { NotRegularFileError } from '../../util/regularFile';
import { ConfinementUnavailableError, encodeConfine, type ConfinementOptions } from '../attempt';
import { HostTalk } from './hostTalk';

export interface SshExecutorOptions {
  repoRoot: string;
  featureId: string;
  host: Host & { ssh: string; folder: string };
  /** The runner bundle on this machine (copied to the host once per version). */
  runnerScript: string;
  /**
   * argv run in each new worktree there, and again in a reused one where it did not succeed (no
   * shell of ours; quoted for the host's), inside the host's walls like a verification command
   * (`runner.js --confine` there) unless the person chose none.
   */
  setupHook?: string[];
  /** The copy list: files of the person's checkout git does not carry, copied into each new tree there once (hostCopy.ts). */
  copyFiles?: string[];
  /** How long a host may stay out of reach before its attempts are lost (default 60 000 ms). */
  hostLostMs?: number;
  /** The connection (tests and the hosts executor share one per host). */
  connection?: SshHost;
  /** The walls the host's agents and commands run inside (its bubblewrap); absent: none, the person's choice. */
  walls?: { options?: ConfinementOptions };
}

/** A read of an attempt's file (the poll asks again): past this, the host counts as out of reach. */
const READ_MS = 30_000;
/** How long one remote read of an attempt's exit and needs-input answers for (the engine may poll faster). */
const POLL_MS = 1000;

const NAMES = ['a merge', 'a rebase', 'a rebase', 'a cherry-pick', 'a revert'];

/** A shell function `g` that is git with the engine's safe configuration (a fixed text of quoted words). */
const G = `g() { git ${SAFE_CONFIG_REMOTE.map(shellQuote).join(' ')} "$@"; }`;
const q = shellQuote;

export class SshExecutor implements Executor {
  readonly ssh: SshHost;
  private readonly root: string;
  private readonly key: string;
  private readonly bare: string;
  private ready: Promise<void> | null = null;
  private readonly runnerPath: string;
  private readonly runnerText: string;
  private readonly talk: HostTalk;
  /** Since when the host has not answered (ms; null: it answers). */
  private unreachableSince: number | null = null;
  private lastProblem = '';

  constructor(private readonly options: SshExecutorOptions) {
    this.ssh = options.connection ?? new SshHost(options.host);
    this.root = options.host.folder.replace(/\/+$/, '');
    // One bare repository per repository of this machine (its real path), named readably.
    this.key = `${path.basename(options.repoRoot).replace(/[^A-Za-z0-9._-]/g, '_')}-${createHash('sha256').update(options.repoRoot).digest('hex').slice(0, 10)}`;
    this.bare = `${this.root}/${this.key}.git`;
    this.runnerText = fs.readFileSync(options.runnerScript, 'utf8');
    this.runnerPath = `${this.root}/runner/runner-${createHash('sha256').update(this.runnerText).digest('hex').slice(0, 16)}.js`;
    this.talk = new HostTalk(this.ssh, (text, input, okCodes) => this.script(text, input, okCodes), this.root, options.host.node ?? 'node', options.runnerScript);
  }

  /** Agents talk back from this host (ADR 0036, hostTalk.ts). */
  talkRemote(): TalkRemote | null {
    return this.talk.remote();
  }

  get hostName(): string {
    return this.options.host.name;
  }

  /** Whether the host answers now (a trivial call); a call that gets through makes it count as answering again. */
  async ping(): Promise<boolean> {
    try {
      await this.call(() => this.ssh.run({ argv: ['true'] }, { timeoutMs: 15_000 }));
      return true;
    } catch {
      // the trivial call failed: the host does not answer now
      return false;
    }
  }

  /** Whether the host answered its last call; the time it stopped answering otherwise. */
  get outOfReachSince(): number | null {
    return this.unreachableSince;
  }

  // -- Names -------------------------------------------------------------------------------

  treePath(packageId: string, isolated: boolean): string {
    if (!isolated) throw new Error(`${packageId} works in the feature's shared tree, which is on this machine: it cannot run on the host ${this.hostName}`);
    return `${this.root}/trees/${this.key}/${this.options.featureId}/${packageId}`;
  }

  attempt(runId: string, packageId: string, attempt: number): AttemptPlace {
    const dir = `${this.root}/runs/${this.key}/${this.options.featureId}/${runId}/${packageId}/${attempt}`;
    // The same file names as a local attempt (the runner names them itself); posix paths there.
    const files = attemptFiles(dir);
    const posix = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, `${dir}/${path.basename(v)}`])) as unknown as typeof files;
    return { packageId, attempt, dir, files: posix };
  }

  private branch(packageId: string): string {
    return packageBranch(this.options.featureId, packageId);
  }

  /** Where `prepareTree` puts the base it made the package's tree from, in the host's bare repository. */
  private baseRef(packageId: string): string {
    return `refs/waves/bases/${this.options.featureId}/${packageId}`;
  }

  // -- Reaching the host -------------------------------------------------------------------

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      const value = await work();
      this.unreachableSince = null;
      return value;
    } catch (err) {
      if (err instanceof HostUnreachableError) {
        this.unreachableSince ??= Date.now();
        this.lastProblem = err.message;
      }
      throw err;
    }
  }

  /** A read that comes back empty when the host is out of reach (the poll asks again). */
  private async soft<T>(work: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await this.call(work);
    } catch (err) {
      if (err instanceof HostUnreachableError) return fallback;
      throw err;
    }
  }

  /** `okCodes`: the exit codes that are an answer (`null`: every one — the caller reads it). */
  private script(text: string, input?: string, okCodes: readonly number[] | null = [0]) {
    return this.call(() => this.ssh.run({ script: text }, { ...(okCodes ? { okCodes } : {}), ...(input !== undefined ? { input } : {}) }));
  }

  /**
   * Once per executor: the folder, the bare repository (which serves a commit by its id) and the
   * runner; and the host's `node` tried: one that is not a usable program fails the
   * start at once, naming it, rather than a runner that never starts.
   */
  private prepareHost(): Promise<void> {
    this.ready ??= (async () => {
      const node = this.options.host.node ?? 'node';
      const out = await this.script(
        `set -e; ${G}; mkdir -p ${q(this.root)}/runner; ` +
          `if [ ! -d ${q(this.bare)} ]; then g init -q --bare ${q(this.bare)}; fi; ` +
          `g -C ${q(this.bare)} config uploadpack.allowAnySHA1InWant true; ` +
          `if [ ! -f ${q(this.runnerPath)} ]; then cat > ${q(this.runnerPath)}.tmp.$$ && mv -f ${q(this.runnerPath)}.tmp.$$ ${q(this.runnerPath)}; else cat > /dev/null; fi; ` +
          nodeProbe(node),
        this.runnerText,
      );
      const usable = readNodeCheck(out.stdout, node);
      if (!usable.ok) throw new Error(`the runner cannot start on ${this.hostName}: ${usable.detail} (its hosts entry's node)`);
      // No walls to be had there, and the person did not choose to run without them: no agent starts there.
      const problem = this.options.walls ? await this.wallsProblem() : null;
      if (problem) throw new ConfinementUnavailableError(`the host ${this.hostName}: ${problem}`);
    })().catch((err) => {
      this.ready = null;
      throw err;
    });
    return this.ready;
  }

  // -- The working tree --------------------------------------------------------------------

  /** The trees' scripts on this host, one after another (`prepareTree`). */
  private treeTurn: Promise<unknown> = Promise.resolve();

  /**
   * The base (the integration tip, resolved here) pushed to the host; the package's branch made
   * from it there when it is new, or the base merged into it when a retry's branch lacks it;
   * its worktree created (or reused); the copy list copied into it once (as here: a reused tree
   * keeps what it has); the set-up hook, inside the host's walls, until it has run to the end
   * there for the branch (a new tree, a retry's whose hook failed).
   */
  async prepareTree(request: TreeRequest): Promise<PreparedTree> {
    await this.prepareHost();
    const baseSha = await gitOut(this.options.repoRoot, ['rev-parse', '--verify', `${request.base}^{commit}`]);
    const branch = this.branch(request.packageId);
    const tree = this.treePath(request.packageId, request.isolated);
    await this.call(() => this.ssh.localGit(this.options.repoRoot, ['push', '-q', '--no-verify', this.ssh.gitUrl(this.bare), `+${baseSha}:${this.baseRef(request.packageId)}`]));
    const identity = `-c user.name=${q(ENGINE_IDENTITY.name)} -c user.email=${q(ENGINE_IDENTITY.email)}`;
    // The set-up hook's mark (as on this machine, localExecutor.ts): the branch the hook last ran to
    // the end for in the tree, in its private git folder; the hook runs until it has for this branch.
    const mark = `"$(g -C ${q(tree)} rev-parse --git-path waves-set-up)"`;
    // The copy list's mark (as git/treeMarks.ts's here): the lines of the copy made into the tree.
    const copied = `"$(g -C ${q(tree)} rev-parse --git-path waves-copied)"`;
    // One tree's script at a time on a host: its `worktree prune` would remove the folder another
    // package's `worktree add` is making in `worktrees/` ("could not open 'worktrees/<x>/gitdir'"),
    // as on this machine (git/repoTurns.ts).
    const turn = this.treeTurn.then(() => this.script(
      `set -e; ${G}; cd ${q(this.bare)}; ` +
        `if ! g rev-parse -q --verify ${q(`refs/heads/${branch}`)} >/dev/null; then g branch ${q(branch)} ${baseSha}; fi; ` +
        `if [ ! -e ${q(tree)}/.git ]; then mkdir -p ${q(path.posix.dirname(tree))}; g worktree prune; g worktree add -q ${q(tree)} ${q(branch)}; ` +
        // A reused tree: on the package's branch (as here, git/worktrees.ts createWorktree), the base merged in when
        // the branch lacks it; a conflict undoes the merge and names its files (exit 4).
        `else ref="$(g -C ${q(tree)} symbolic-ref -q HEAD || true)"; if [ "$ref" != ${q(`refs/heads/${branch}`)} ]; then echo "on=$ref"; exit 3; fi; ` +
        `if ! g merge-base --is-ancestor ${baseSha} ${q(`refs/heads/${branch}`)}; then ` +
        `if ! g -C ${q(tree)} ${identity} merge --no-ff --no-edit -q -m ${q(`Merge the updated base ${baseSha.slice(0, 12)} into ${branch}`)} ${baseSha} >/dev/null 2>&1; then ` +
        `g -C ${q(tree)} diff --name-only --diff-filter=U | sed 's/^/conflict=/'; g -C ${q(tree)} merge --abort >/dev/null 2>&1 || true; exit 4; fi; fi; fi; ` +
        `if [ "$(cat ${mark} 2>/dev/null)" = ${q(branch)} ]; then echo set-up=done; fi; ` +
        `if [ -e ${copied} ]; then echo copied=done; fi`,
      undefined,
      [0, 3, 4],
    ));
    this.treeTurn = turn.catch(() => undefined);
    const out = await turn;
    if (out.code === 3) {
      const on = /^on=(.*)$/m.exec(out.stdout)?.[1]?.trim() ?? '';
      throw new Error(`the worktree ${tree} on ${this.hostName} is on ${on ? on.replace(/^refs\/heads\//, '') : 'a detached HEAD'}, not ${branch}; move it away first`);
    }
    if (out.code === 4) {
      const files = [...out.stdout.matchAll(/^conflict=(.*)$/gm)].map((m) => m[1]!);
      throw new Error(
        `the updated base ${baseSha.slice(0, 12)} could not be merged into ${branch} on ${this.hostName}${files.length ? ` (conflicts: ${files.join(', ')})` : ''}; the merge was undone and the tree is as its last attempt left it`,
      );
    }
    const log = `${request.attempt.dir}/setup.log`;
    const entries = this.options.copyFiles;
    if (entries?.length && !/^copied=done$/m.test(out.stdout)) {
      const copy = await this.call(() => copyListToHost(this.ssh, { checkout: this.options.repoRoot, tree, entries, node: this.options.host.node ?? 'node' }));
      // The attempt's setup.log says what was copied and what left out, and why; the tree's mark keeps it.
      await this.script(`set -e; ${G}; mkdir -p ${q(request.attempt.dir)}; m=${copied}; cat > "$m.tmp"; cat "$m.tmp" >> ${q(log)}; mv -f "$m.tmp" "$m"`, copyLogText(entries, copy));
    }
    const hook = this.options.setupHook;
    if (hook?.length && !/^set-up=done$/m.test(out.stdout)) {
      request.onSettingUp?.(hook);
      // Inside the host's walls (ADR 0026), as a verification command there: the tree writable, the home folder not.
      const walled = this.options.walls ? `${q(this.options.host.node ?? 'node')} ${q(this.runnerPath)} --confine ${q(this.confineRequest(tree, request.attempt.dir, `${request.attempt.dir}/setup-walls.jsonl`))} -- ` : '';
      // A session of its own (setsid: its pid is its process group's), the pid in `setup.pid`, so a
      // cancel or the package's time limit stops it and all it started there (its walls die with
      // their runner), as on this machine (setupHook.ts).
      const pidFile = `${request.attempt.dir}/setup.pid`;
      const stop = this.setupStopper(pidFile, log, request.signal, request.timeoutMs);
      const r = await this.script(
        `${G}; echo "home=$HOME"; mkdir -p ${q(request.attempt.dir)} && cd ${q(tree)} || exit $?; ` +
          `setsid ${walled}${hook.map(q).join(' ')} </dev/null >> ${q(log)} 2>&1 & pid=$!; echo $pid > ${q(pidFile)}; wait $pid; code=$?; rm -f ${q(pidFile)}; ` +
          `if [ $code = 0 ]; then printf '%s\\n' ${q(branch)} > ${mark}; else tail -n 20 ${q(log)}; fi; exit $code`,
        undefined,
        null,
      ).finally(stop.done);
      if (r.code !== 0) {
        const home = /^home=(.*)$/m.exec(r.stdout)?.[1]?.trim() || undefined;
        const tail = r.stdout.replace(/^home=.*\n?/m, '').trim();
        const advice = this.options.walls ? wallsOutputAdvice(tail, home) : '';
        throw new Error(`the set-up hook ${hook.join(' ')} failed on ${this.hostName} (exit ${r.code ?? '?'})${advice}${tail ? `:\n${tail}` : ''}`);
      }
    }
    return { worktree: tree, branch, baseSha };
  }

  /**
   * Stops a set-up command running there when `signal` aborts (its package cancelled) or
   * `timeoutMs` passes: its process group (its pid in `pidFile`) is killed there, and its log says
   * why. `done()` once it has ended.
   */
  private setupStopper(pidFile: string, log: string, signal: AbortSignal | undefined, timeoutMs: number | undefined): { done: () => void } {
    const kill = (why: string) =>
      // The pid may not be written yet (a cancel at once): waited for a while.
      void this.script(`for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do [ -s ${q(pidFile)} ] && break; sleep 0.5; done; p="$(cat ${q(pidFile)} 2>/dev/null)"; [ -n "$p" ] || exit 0; printf '%s\\n' ${q(`waves: ${why}`)} >> ${q(log)}; kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null; exit 0`).catch(() => undefined);
    return { done: whenSetUpStops(signal, timeoutMs, kill) };
  }

  headOf(packageId: string): Promise<string | null> {
    return this.refThere(`refs/heads/${this.branch(packageId)}`);
  }

  /**
   * The package's branch and the base `prepareTree` pushed to the host before its runner started
   * (the base of the attempt that started, as the audit needs it; a retry's tree pushes its own):
   * read in the host's bare repository, where the push went — this repository never has that
   * ref. A null base when the ref is not there or the host does not answer; never throws.
   */
  async treeBase(packageId: string): Promise<{ branch: string; baseSha: string | null }> {
    const baseSha = await this.refThere(`${this.baseRef(packageId)}^{commit}`).catch(() => null);
    return { branch: this.branch(packageId), baseSha };
  }

  /** A ref's commit in the host's bare repository; null when it is not there or the host does not answer. */
  private refThere(ref: string): Promise<string | null> {
    return this.soft(async () => {
      const r = await this.ssh.git(this.bare, ['rev-parse', '-q', '--verify', ref], { okCodes: [0, 1, 128] });
      return r.code === 0 ? r.stdout.trim() || null : null;
    }, null);
  }

  async inspectTree(packageId: string, tree: string): Promise<TreeInspection> {
    const branch = this.branch(packageId);
    const busy = ['MERGE_HEAD', 'rebase-merge', 'rebase-apply', 'CHERRY_PICK_HEAD', 'REVERT_HEAD']
      .map((p, i) => `[ -e "$(g rev-parse --git-path ${p})" ] && echo busy=${i}; `)
      .join('');
    const r = await this.script(
      `${G}; cd ${q(tree)} || exit 3; echo "ref=$(g symbolic-ref -q HEAD)"; echo "head=$(g rev-parse -q --verify HEAD)"; echo "tip=$(g rev-parse -q --verify ${q(`refs/heads/${branch}`)})"; ${busy}true`,
      undefined,
      [0, 3],
    );
    if (r.code === 3) return { onBranch: false, where: `gone (no tree ${tree} on ${this.hostName})`, head: null, tip: null };
    const value = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(r.stdout)?.[1]?.trim() || null;
    const head = value('head');
    const tip = value('tip');
    const busyAt = value('busy');
    if (busyAt !== null) return { onBranch: false, where: `in the middle of ${NAMES[Number(busyAt)] ?? 'a git operation'}`, head, tip };
    const ref = value('ref') ?? '';
    if (ref === `refs/heads/${branch}`) return { onBranch: true, where: `on ${branch}`, head, tip };
    return { onBranch: false, where: ref ? `on ${ref.replace(/^refs\/heads\//, '')}` : `detached at ${head ? head.slice(0, 12) : 'no commit'}`, head, tip };
  }

  async commitLeftovers(packageId: string, tree: string, message: string): Promise<string | null> {
    const identity = `-c user.name=${q(ENGINE_IDENTITY.name)} -c user.email=${q(ENGINE_IDENTITY.email)}`;
    await this.script(`set -e; ${G}; cd ${q(tree)}; g add -A -- .; g reset -q -- .waves; if ! g diff --cached --quiet; then g ${identity} commit --no-verify -q -m ${q(message)}; fi`);
    return this.headOf(packageId);
  }

  /**
   * The commit comes here first, by its id (`git fetch`: whole or not at all), under
   * `refs/waves/hosts/<host>/…`; then the audit's list is made here, tree to tree, with this
   * repository's ignore rules — the host's git is not asked what changed.
   */
  async changes(packageId: string, _tree: string, baseSha: string, commit: string): Promise<AuditChange[]> {
    await this.fetchCommit(packageId, commit);
    return treeChanges(this.options.repoRoot, baseSha, commit);
  }

  private async fetchCommit(packageId: string, commit: string): Promise<void> {
    if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new Error(`${commit} is not a commit id`);
    const ref = `refs/waves/hosts/${this.hostName}/${this.options.featureId}/${packageId}`;
    await this.call(() => this.ssh.localGit(this.options.repoRoot, ['fetch', '-q', '--no-tags', '--no-write-fetch-head', this.ssh.gitUrl(this.bare), `+${commit}:${ref}`]));
    const got = await gitOut(this.options.repoRoot, ['rev-parse', '--verify', `${ref}^{commit}`]);
    if (got !== commit) throw new Error(`fetched ${got} from ${this.hostName}, not ${commit}`);
  }

  /** The approved commands (checked here, against this person's approvals) in the package's tree there. */
  async verify(options: RunVerificationOptions): Promise<StepResult[]> {
    requireApproved(options);
    const results: StepResult[] = [];
    for (const [i, step] of options.steps.entries()) {
      // No longer wanted: no other step starts (one under way there runs to its end).
      if (options.signal?.aborted) break;
      options.onCommand?.(step, i + 1);
      const log = `${options.attemptDir}/verify-${i + 1}.log`;
      // The approved command line itself, for the host's shell — as a local one is for the person's; inside the host's walls unless the person chose none.
      const walled = this.options.walls ? `${q(this.options.host.node ?? 'node')} ${q(this.runnerPath)} --confine ${q(this.confineRequest(options.cwd, options.attemptDir, `${options.attemptDir}/verify-${i + 1}-walls.jsonl`))} -- ` : '';
      const r = await this.script(`mkdir -p ${q(options.attemptDir)}; cd ${q(options.cwd)} && { printf '$ %s\\n' ${q(step.command)}; ${walled}sh -c ${q(step.command)}; } > ${q(log)} 2>&1; code=$?; tail -n 1 ${q(log)}; exit $code`, undefined, null);
      const last = r.stdout.trim().split('\n').pop()?.trim() ?? '';
      results.push({ step: step.step, ok: r.code === 0, detail: r.code === 0 ? `${step.command}: passed` : `${step.command}: exit ${r.code}${last ? ` — ${last.slice(0, 200)}` : ''} (log on ${this.hostName}: ${log})` });
    }
    return results;
  }

  /** The package's branch here too (for the person; the merge takes the fetched commit), unless a tree here has it checked out. */
  async handBack(packageId: string): Promise<string> {
    const branch = this.branch(packageId);
    await this.ssh.localGit(this.options.repoRoot, ['fetch', '-q', '--no-tags', '--no-write-fetch-head', this.ssh.gitUrl(this.bare), `+refs/heads/${branch}:refs/heads/${branch}`]).catch(() => undefined);
    return branch;
  }

  async removeTree(_packageId: string, tree: string): Promise<{ removed: boolean; reason: string | null }> {
    const r = await this.script(`${G}; cd ${q(tree)} || exit 0; if [ -n "$(g status --porcelain)" ]; then echo dirty; exit 0; fi; cd /; g -C ${q(this.bare)} worktree remove ${q(tree)} && echo removed`, undefined, [0, 1, 128]);
    if (/removed/.test(r.stdout)) return { removed: true, reason: null };
    return { removed: false, reason: /dirty/.test(r.stdout) ? `${tree} on ${this.hostName} has changes` : null };
  }

  // -- The runner --------------------------------------------------------------------------

  async writeAttempt(attempt: AttemptPlace, prompt: string, spec: RunnerSpec): Promise<void> {
    await this.prepareHost();
    // The walls asked for: the runner there draws them from the host's disk with the host's bubblewrap.
    const w = this.options.walls;
    const walled: RunnerSpec = w ? { ...spec, walls: { bwrap: 'bwrap', ...(w.options ? { options: w.options } : {}) } } : spec;
    await this.script(`mkdir -p ${q(attempt.dir)} && cat > ${q(attempt.files.prompt)}`, prompt);
    await this.script(`cat > ${q(attempt.files.spec)}.tmp && mv -f ${q(attempt.files.spec)}.tmp ${q(attempt.files.spec)}`, JSON.stringify(walled, null, 2) + '\n');
  }

  /** `runner.js --confine`'s request for a command there (a verification step, the set-up hook: the host's bubblewrap, its paths). */
  private confineRequest(cwd: string, attemptDir: string, log: string): string {
    const options = this.options.walls?.options;
    return encodeConfine({ bwrap: 'bwrap', cwd, attemptDir, log, ...(options ? { options } : {}) });
  }

  /**
   * Whether the host can make walls: bubblewrap there, and a trial of the namespaces the
   * walls use. null when it can; else why not, in a person's words.
   */
  async wallsProblem(): Promise<string | null> {
    const r = await this.call(() => this.ssh.run({ script: WALLS_TRIAL_SCRIPT }, { timeoutMs: 30_000 }));
    return wallsTrialProblem(r.stdout);
  }

  /** tmux's session name of an attempt: `waves-<token's first 16>`. */
  static session(startToken: string): string {
    return `waves-${startToken.slice(0, 16)}`;
  }

  /** Detached from the SSH session: in a tmux session when the host has tmux, else with setsid. */
  async start(request: StartRequest): Promise<LaunchResult> {
    const { attempt, startToken } = request;
    const node = this.options.host.node ?? 'node';
    const argv = [node, this.runnerPath, attempt.dir, startToken].map(q).join(' ');
    const session = q(SshExecutor.session(startToken));
    const tmux = `tmux new-session -d -s ${session} -x 200 -y 50 ${argv}`;
    // Two attempts starting at once on a host with no tmux server race to start it, and one of
    // them may fail ("server exited unexpectedly"): once more after a moment, unless it is there.
    await this.script(
      `cd ${q(request.cwd)} || exit 1; if command -v tmux >/dev/null 2>&1; then ${tmux} || { sleep 0.3; tmux has-session -t ${session} 2>/dev/null || ${tmux}; }; ` +
        `else setsid -f ${argv} </dev/null >/dev/null 2>&1; fi`,
    );
    return { pid: null };
  }

  /** The terminal command that attaches to an attempt's tmux session there (`ssh -t … tmux attach`). */
  attachCommand(startToken: string): { command: string; args: string[] } {
    return { command: 'ssh', args: [...this.ssh.options, '-t', '--', this.options.host.ssh, `tmux -u attach -t ${q(SshExecutor.session(startToken))}`] };
  }

  /** Nothing to watch from here: the engine's poll asks. */
  watch(): null {
    return null;
  }

  private cat(file: string): Promise<string | null> {
    return this.soft(async () => {
      const r = await this.ssh.run({ script: `cat ${q(file)} 2>/dev/null || exit 1` }, { okCodes: [0, 1], timeoutMs: READ_MS });
      return r.code === 0 ? r.stdout : null;
    }, null);
  }

  /**
   * An attempt's exit and needs-input files in one call, shared by the reads of the next
   * `POLL_MS` (the engine asks for both at each poll of each attempt: one round trip, not two,
   * and not more often than a remote read is worth).
   */
  private status(attempt: AttemptPlace): Promise<{ exit: string | null; needs: string | null }> {
    const cached = this.statusReads.get(attempt.dir);
    if (cached && Date.now() - cached.at < POLL_MS) return cached.value;
    const entry = { at: Date.now(), value: null as unknown as Promise<{ exit: string | null; needs: string | null }> };
    entry.value = this.soft(async () => {
      try {
        const r = await this.ssh.run(
          { script: `for f in ${q(attempt.files.exit)} ${q(attempt.files.needsInput)}; do if [ -e "$f" ]; then echo ::present; cat "$f"; echo; else echo ::absent; fi; done` },
          { okCodes: [0], timeoutMs: READ_MS },
        );
        const parts = r.stdout.split(/^::/m).slice(1);
        const body = (p: string | undefined) => (p?.startsWith('present\n') ? p.slice('present\n'.length) : null);
        return { exit: body(parts[0]), needs: body(parts[1]) };
      } catch (err) {
        // Only an answer is shared: a host that did not answer is asked again at the next read.
        if (this.statusReads.get(attempt.dir) === entry) this.statusReads.delete(attempt.dir);
        throw err;
      }
    }, { exit: null, needs: null });
    this.statusReads.set(attempt.dir, entry);
    return entry.value;
  }

  private readonly statusReads = new Map<string, { at: number; value: Promise<{ exit: string | null; needs: string | null }> }>();

  async readExit(attempt: AttemptPlace): Promise<ExitRecord | null> {
    return parseExit((await this.status(attempt)).exit);
  }

  async readNeedsInput(attempt: AttemptPlace): Promise<NeedsInputReadout> {
    const text = (await this.status(attempt)).needs;
    if (text === null) return { present: false, reason: null };
    try {
      const needs = JSON.parse(text) as { reason?: unknown };
      if (typeof needs.reason === 'string' && needs.reason) return { present: true, reason: needs.reason };
    } catch {
      // half-written
    }
    return { present: true, reason: null };
  }

  async readStarted(attempt: AttemptPlace): Promise<RunnerStarted | null> {
    const text = await this.cat(attempt.files.meta);
    try {
      const meta = JSON.parse(text ?? '') as { runnerPid?: unknown; startToken?: unknown };
      if (typeof meta.startToken !== 'string' || !meta.startToken) return null;
      return { startToken: meta.startToken, runnerPid: typeof meta.runnerPid === 'number' ? meta.runnerPid : null };
    } catch {
      // meta.json missing or half-written: the runner has not started yet
      return null;
    }
  }

  /**
   * meta.json's pid there, alive with the token in its command line. Out of reach: alive as
   * far as anyone can tell, until `hostLostMs` — then `lost`.
   */
  async liveness(attempt: AttemptPlace, startToken: string, pidHint: number | null): Promise<Liveness> {
    try {
      const r = await this.call(() =>
        this.ssh.run(
          { script: `pid=$(sed -n 's/.*"runnerPid": *\\([0-9][0-9]*\\).*/\\1/p' ${q(attempt.files.meta)} 2>/dev/null | head -n 1); [ -n "$pid" ] || pid=${pidHint ?? "''"}; echo "pid=$pid"; [ -n "$pid" ] && tr '\\0' ' ' < /proc/$pid/cmdline 2>/dev/null; true` },
          { okCodes: [0], timeoutMs: READ_MS },
        ),
      );
      const pid = Number(/^pid=(\d+)/m.exec(r.stdout)?.[1] ?? NaN);
      const alive = Number.isFinite(pid) && r.stdout.includes(startToken);
      // A runner found gone may have written its exit since the last shared read: the next read is fresh.
      if (!alive) this.statusReads.delete(attempt.dir);
      return { pid: Number.isFinite(pid) ? pid : null, alive };
    } catch (err) {
      if (!(err instanceof HostUnreachableError)) throw err;
      const since = this.unreachableSince ?? Date.now();
      const lostMs = this.options.hostLostMs ?? 60_000;
      if (Date.now() - since < lostMs) return { pid: pidHint, alive: true };
      return { pid: pidHint, alive: false, lost: `host-lost: ${this.hostName} has not answered for ${Math.round((Date.now() - since) / 1000)} s (${this.lastProblem}); its attempt may still run there` };
    }
  }

  async cancel(attempt: AttemptPlace, at?: Date): Promise<void> {
    await this.soft(() => this.ssh.run({ script: `cat > ${q(attempt.files.cancel)}` }, { input: at ? `${at.toISOString()}\n` : '' }), null);
  }

  /** The record there; `NotRegularFileError` when it is there but not a regular file (a FIFO there would hold `cat` until the read's time limit). */
  readResult(file: string): Promise<string | null> {
    return this.soft(async () => {
      const f = q(file);
      const r = await this.ssh.run({ script: `if [ -e ${f} ] || [ -h ${f} ]; then { [ -f ${f} ] && [ ! -h ${f} ]; } || exit 3; fi; cat ${f} 2>/dev/null || exit 1` }, { okCodes: [0, 1, 3], timeoutMs: READ_MS });
      if (r.code === 3) throw new NotRegularFileError(file, `not a regular file on ${this.hostName} (a FIFO, a device, a socket or a symbolic link)`);
      return r.code === 0 ? r.stdout : null;
    }, null);
  }

  /** A file of another machine's (an upstream package's result record) put beside this attempt there; its path there. */
  async carry(attempt: AttemptPlace, name: string, text: string): Promise<string> {
    const file = `${attempt.dir}/upstream/${name}`;
    await this.script(`mkdir -p ${q(`${attempt.dir}/upstream`)} && cat > ${q(file)}`, text);
    return file;
  }

  close(): Promise<void> {
    return this.ssh.close();
  }
}

/**
 * `HostsExecutor`: one run over several hosts (ADR 0011) — this machine (a
 * `LocalExecutor`) and machines reached over SSH (`SshExecutor`s) — behind the one executor
 * seam. The engine places each package that is about to start (`place`: the host it ran on
 * before when that one has a slot, else the one with the most free slots; core/hosts/hostList.ts
 * `placeOn`), records the host in the run state, and every other call goes to the executor of
 * the package's host. Locks, the run state, the audit and the merge stay on this machine.
 * Packages that work in the feature's shared tree (`worktree.mode: shared`) run here only.
 * Best of n (ADR 0031): a candidate is placed, recorded and routed by its key (`<package>.c<k>`;
 * candidate 1 by the package's id) as a package is by its id, so a set spreads over the hosts.
 */
import { isRemote, placeOn, type Host } from '../../core/hosts/hostList';
import type { AuditChange } from '../../core/run/audit';
import { candidateOfKey } from '../../core/run/candidates';
import { LocalExecutor, type ExitRecord, type AttemptPlace, type Executor, type TalkRemote, type Liveness, type NeedsInputReadout, type PreparedTree, type RunnerStarted, type StartRequest, type TreeRequest, type LaunchResult, type LocalExecutorOptions, type RunnerSpec, type RunVerificationOptions, type StepResult } from '../attempt';
import type { TreeInspection } from '../git';
import { SshExecutor } from './sshExecutor';
import { SshHost } from './ssh';

export interface HostsExecutorOptions extends LocalExecutorOptions {
  hosts: Host[];
  /** The runner bundle (copied to each SSH host). */
  runnerScript: string;
  hostLostMs?: number;
}

export class HostsExecutor implements Executor {
  private readonly executors = new Map<string, Executor>();
  private readonly local: LocalExecutor;
  /** The host with no `ssh` (this machine), when the list has one. */
  private readonly localName: string | null;
  private readonly placement = new Map<string, string>();
  /** Which host wrote a result file (by its name there), for `readResult`. */
  private readonly fileHost = new Map<string, string>();
  /** Which host an attempt folder is on, for `verify`. */
  private readonly dirHost = new Map<string, string>();
  /** The run an attempt folder is of, for `readStarted` to look for it on the other hosts. */
  private readonly dirRun = new Map<string, string>();
  /** Hosts whose attempts were lost: never placed on until they answer again. */
  private readonly lost = new Set<string>();

  constructor(private readonly options: HostsExecutorOptions) {
    this.local = new LocalExecutor(options);
    this.localName = options.hosts.find((h) => !isRemote(h))?.name ?? null;
    for (const host of options.hosts) {
      if (!isRemote(host)) {
        this.executors.set(host.name, this.local);
        continue;
      }
      this.executors.set(
        host.name,
        new SshExecutor({
          repoRoot: options.repoRoot,
          featureId: options.featureId,
          host,
          runnerScript: options.runnerScript,
          ...(options.setupHook ? { setupHook: options.setupHook } : {}),
          ...(options.copyFiles?.length ? { copyFiles: options.copyFiles } : {}),
          ...(options.hostLostMs !== undefined ? { hostLostMs: options.hostLostMs } : {}),
          ...(options.walls ? { walls: options.walls.options ? { options: options.walls.options } : {} } : {}),
          connection: new SshHost(host),
        }),
      );
    }
  }

  get hosts(): readonly Host[] {
    return this.options.hosts;
  }

  // -- Placement ---------------------------------------------------------------------------

  place(packageId: string, isolated: boolean, busy: ReadonlyMap<string, number>): string | null {
    // The shared tree is on this machine: such a package runs here or waits.
    const candidates = isolated ? this.options.hosts : this.options.hosts.filter((h) => !isRemote(h));
    if (!isolated && candidates.length === 0) {
      this.placement.set(packageId, this.localName ?? '');
      return this.localName ?? '';
    }
    const host = placeOn(candidates, busy, { before: this.placement.get(packageId) ?? null, lost: this.lost });
    if (host !== null) this.placement.set(packageId, host);
    return host;
  }

  placed(packageId: string, host: string): void {
    if (this.executors.has(host)) this.placement.set(packageId, host);
  }

  hostOf(packageId: string): string | null {
    return this.placement.get(packageId) ?? null;
  }

  /** The host's attempts were lost: it takes no package until it answers again (`reachable`). */
  markLost(host: string): void {
    this.lost.add(host);
  }

  async reachable(host: string): Promise<boolean> {
    const ex = this.executors.get(host);
    if (!(ex instanceof SshExecutor)) return true;
    if (!(await ex.ping())) return false;
    this.lost.delete(host);
    return true;
  }

  /** Each SSH host that answers and cannot make walls: `the host h1: why`. */
  async wallsProblems(): Promise<string[]> {
    if (!this.options.walls) return [];
    const found = await Promise.all(
      [...this.executors.values()].filter((ex): ex is SshExecutor => ex instanceof SshExecutor).map(async (ex) => {
        try {
          const problem = await ex.wallsProblem();
          return problem ? `the host ${ex.hostName}: ${problem}` : null;
        } catch {
          return null; // out of reach now: its first attempt is judged
        }
      }),
    );
    return found.filter((p): p is string => p !== null);
  }

  hostAway(packageId: string): string | null {
    const host = this.placement.get(packageId);
    const ex = host !== undefined ? this.executors.get(host) : undefined;
    return ex instanceof SshExecutor && ex.outOfReachSince !== null ? host! : null;
  }

  lostHosts(): string[] {
    return [...this.lost];
  }

  private of(packageId: string): Executor {
    const host = this.placement.get(packageId);
    return (host !== undefined ? this.executors.get(host) : undefined) ?? this.local;
  }

  // -- Everything else: the package's host --------------------------------------------------

  treePath(packageId: string, isolated: boolean): string {
    return this.of(packageId).treePath(packageId, isolated);
  }

  attempt(runId: string, packageId: string, attempt: number): AttemptPlace {
    const place = this.of(packageId).attempt(runId, packageId, attempt);
    this.dirRun.set(place.dir, runId);
    const host = this.placement.get(packageId);
    if (host !== undefined) {
      this.fileHost.set(place.files.result, host);
      this.dirHost.set(place.dir, host);
    }
    return place;
  }

  prepareTree(request: TreeRequest): Promise<PreparedTree> {
    return this.of(request.packageId).prepareTree(request);
  }
  /** As the package's host reads it: this machine's merge-base, an SSH host's pushed base. */
  async treeBase(packageId: string, integrationBranch: string): Promise<{ branch: string; baseSha: string | null } | null> {
    return (await this.of(packageId).treeBase?.(packageId, integrationBranch)) ?? null;
  }

  headOf(packageId: string): Promise<string | null> {
    return this.of(packageId).headOf(packageId);
  }
  inspectTree(packageId: string, tree: string): Promise<TreeInspection> {
    return this.of(packageId).inspectTree(packageId, tree);
  }
  commitLeftovers(packageId: string, tree: string, message: string): Promise<string | null> {
    return this.of(packageId).commitLeftovers(packageId, tree, message);
  }
  changes(packageId: string, tree: string, baseSha: string, commit: string): Promise<AuditChange[]> {
    return this.of(packageId).changes(packageId, tree, baseSha, commit);
  }
  /** Where the attempt whose folder it is runs. */
  verify(options: RunVerificationOptions): Promise<StepResult[]> {
    const host = this.dirHost.get(options.attemptDir);
    return ((host !== undefined ? this.executors.get(host) : undefined) ?? this.local).verify(options);
  }
  handBack(packageId: string): Promise<string> {
    return this.of(packageId).handBack(packageId);
  }
  removeTree(packageId: string, tree: string, mergedInto: string): Promise<{ removed: boolean; reason: string | null }> {
    return this.of(packageId).removeTree(packageId, tree, mergedInto);
  }
  talkServer(packageId: string): string | null {
    return this.of(packageId).talkServer?.(packageId) ?? null;
  }

  talkRemote(packageId: string): TalkRemote | null {
    return this.of(packageId).talkRemote?.(packageId) ?? null;
  }
  writeAttempt(attempt: AttemptPlace, prompt: string, spec: RunnerSpec): Promise<void> {
    return this.of(attempt.packageId).writeAttempt(attempt, prompt, spec);
  }
  start(request: StartRequest): Promise<LaunchResult> {
    return this.of(request.attempt.packageId).start(request);
  }
  watch(attempt: AttemptPlace, onChange: () => void): { close(): void } | null {
    return this.of(attempt.packageId).watch(attempt, onChange);
  }
  readExit(attempt: AttemptPlace): Promise<ExitRecord | null> {
    return this.of(attempt.packageId).readExit(attempt);
  }
  readNeedsInput(attempt: AttemptPlace): Promise<NeedsInputReadout> {
    return this.of(attempt.packageId).readNeedsInput(attempt);
  }
  /**
   * The runner's `meta.json` where the attempt is placed. A candidate's (best of n) not found
   * there is looked for on the other hosts: its host is in the run state only once its start is
   * (an engine stopped in between leaves it unknown, or a set before's); found, it is placed there.
   */
  async readStarted(attempt: AttemptPlace): Promise<RunnerStarted | null> {
    const found = await this.of(attempt.packageId).readStarted(attempt);
    const runId = this.dirRun.get(attempt.dir);
    if (found || runId === undefined || candidateOfKey(attempt.packageId) === null) return found;
    const asked = this.of(attempt.packageId);
    for (const [name, ex] of this.executors) {
      if (ex === asked) continue;
      const started = await ex.readStarted(ex.attempt(runId, attempt.packageId, attempt.attempt)).catch(() => null);
      if (!started) continue;
      this.placement.set(attempt.packageId, name);
      this.attempt(runId, attempt.packageId, attempt.attempt); // its files are that host's
      return started;
    }
    return null;
  }
  async liveness(attempt: AttemptPlace, startToken: string, pidHint: number | null): Promise<Liveness> {
    const l = await this.of(attempt.packageId).liveness(attempt, startToken, pidHint);
    const host = this.placement.get(attempt.packageId);
    if (l.lost && host !== undefined) this.markLost(host);
    return l;
  }
  cancel(attempt: AttemptPlace, at?: Date): Promise<void> {
    return this.of(attempt.packageId).cancel(attempt, at);
  }

  /** From the host that wrote it; a file named before a restart: here when it is here, else asked of each host. */
  async readResult(file: string): Promise<string | null> {
    const host = this.fileHost.get(file);
    if (host !== undefined) return this.executors.get(host)!.readResult(file);
    const here = await this.local.readResult(file);
    if (here !== null) return here;
    for (const ex of new Set(this.executors.values())) {
      if (ex === this.local) continue;
      const text = await ex.readResult(file);
      if (text !== null) return text;
    }
    return null;
  }

  /** An upstream record for an attempt on an SSH host is copied beside it there; here, its own path. */
  async carry(attempt: AttemptPlace, name: string, text: string): Promise<string> {
    const ex = this.of(attempt.packageId);
    if (ex instanceof SshExecutor) return ex.carry(attempt, name, text);
    return this.local.carry(attempt, name, text);
  }

  attachCommand(packageId: string, startToken: string): { command: string; args: string[] } | null {
    const ex = this.of(packageId);
    return ex instanceof SshExecutor ? ex.attachCommand(startToken) : null;
  }

  async close(): Promise<void> {
    await Promise.all([...this.executors.values()].map((ex) => (ex instanceof SshExecutor ? ex.close() : undefined)));
  }
}

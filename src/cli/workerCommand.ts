/**
 * `waves worker`: a pull worker (ADR 0037) in this clone — it claims packages from the work
 * queue on the shared coordinator, checks each (its agent's CLI, the disk, the base on the shared
 * remote, the plan at the base), gives back what it cannot do with the reason, and does the rest
 * inside the walls, pushing each claim's work to its own branch of the remote and reporting it.
 * `waves workers`: the repository's workers, and draining one.
 */
import os from 'node:os';
import { PRESETS, type AgentProfile } from '../core/agents/agentProfiles';
import { flagsOf, runOption } from '../core/run/runOptions';
import { RUN_OPTIONS } from '../core/run/runOptionTable';
import { isQueueName } from '../core/coordinator/workQueue';
import { visibleText } from '../core/present/visibleText';
import { heartbeatText, isSilent } from '../core/present/workerText';
import { confinementAvailable, ConfinementUnavailableError, CoordinatorError, CoordinatorUnavailableError, openCoordinator, PullWorker, stopLeftovers, redactSecrets, repositoryRoot, resolveProgram, workOnPackage, type TurnOutcome, type WorkerRow } from '../engine';
import { parseArgs, UsageError } from './args';
import type { Io } from './io';
import { agentFrom, coordinatorFrom, repeatedFlags, worktreeAndWallsFrom } from './runArgs';

/** The table's rows a worker takes: the agent's, and the walls' of its agents. */
const WORKER_OPTIONS = RUN_OPTIONS.filter((o) => o.id === 'agent' || (o.part === 'worktrees' && o.walls));

/**
 * The agents this worker offers: the one of `--agent` / `--agent-argv` (the table's row, as waves
 * run reads it; a custom one as `custom`), else each preset whose CLI is on its PATH, which
 * `--agents` narrows.
 */
function agentsOf(flags: Map<string, string | true>): Record<string, AgentProfile> {
  if (flagsOf(runOption('agent')).some((f) => flags.has(f))) {
    const agent = agentFrom(flags, true);
    if (flags.has('agents')) throw new UsageError('--agents goes with neither --agent nor --agent-argv: the worker offers that one agent');
    return { [agent.id]: agent };
  }
  const found: Record<string, AgentProfile> = {};
  for (const p of PRESETS) if (!p.interactive && resolveProgram(p.executable, process.env).ok) found[p.id] = p;
  if (!flags.has('agents')) return found;
  const asked = String(flags.get('agents')).split(',').map((a) => a.trim()).filter(Boolean);
  const missing = asked.filter((a) => !found[a]);
  if (missing.length) throw new UsageError(`--agents names ${missing.join(', ')}, which this machine cannot run (found: ${Object.keys(found).join(', ') || 'none'})`);
  return Object.fromEntries(asked.map((a) => [a, found[a]!]));
}

/** The coordinator opened for the clone, or 2 with why not said (out of reach, a newer schema, no key), never its password. */
async function opening(clone: string, coordinator: NonNullable<ReturnType<typeof coordinatorFrom>>, io: Io) {
  try {
    return await openCoordinator(clone, coordinator);
  } catch (err) {
    if (!(err instanceof CoordinatorError || err instanceof CoordinatorUnavailableError)) throw err;
    io.err(`waves: ${err.message}\n`);
    return 2;
  }
}

/** One line for a turn, for a person. */
function turnLine(name: string, t: TurnOutcome): string {
  switch (t.kind) {
    case 'idle':
      return `${name}: nothing to claim`;
    case 'released':
      return `${name}: gave ${t.packageId} back: ${visibleText(t.reason)}`;
    case 'reported':
      return `${name}: ${t.packageId} done (claim ${t.fence}): pushed ${t.report.branch} at ${t.report.headSha.slice(0, 12)}; ${visibleText(t.report.detail)}`;
    case 'lost':
      return `${name}: lost its claim ${t.fence} on ${t.packageId} (another worker holds it now): nothing reported`;
  }
}

export async function workerCommand(argv: readonly string[], io: Io): Promise<number> {
  const own = ['coordinator', 'coordinator-repository', 'remote', 'name', 'agents', 'labels', 'lease', 'idle', 'slots'];
  const valued = WORKER_OPTIONS.flatMap((o) => (o.kind === 'boolean' ? [] : flagsOf(o).filter((f) => !(f in (o.switches ?? {})))));
  const { flags, args } = parseArgs(argv, [...own, 'once', ...WORKER_OPTIONS.flatMap(flagsOf)], [...own, ...valued], repeatedFlags());
  if (args.length) throw new UsageError(`waves worker takes no arguments (it works in this clone): ${args.join(' ')}`);
  const coordinator = coordinatorFrom(flags);
  if (!coordinator) throw new UsageError('waves worker needs --coordinator postgres://… (or WAVES_COORDINATOR)');
  const remote = flags.has('remote') ? String(flags.get('remote')) : 'origin';
  const name = flags.has('name') ? String(flags.get('name')) : `${os.hostname()}-${process.pid}`;
  if (!isQueueName(name)) throw new UsageError(`--name must be letters, digits and ._:@- (at most 128): ${name}`);
  const labels = flags.has('labels') ? String(flags.get('labels')).split(',').map((l) => l.trim()).filter(Boolean) : [];
  if (!labels.every(isQueueName)) throw new UsageError('--labels must be names of letters, digits and ._:@-');
  // A flag's seconds, or the fallback's, as milliseconds.
  const seconds = (flag: string, fallback: number) => {
    if (!flags.has(flag)) return fallback * 1000;
    const n = Number(flags.get(flag));
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag} must be a number of seconds above 0`);
    return n * 1000;
  };
  const slots = flags.has('slots') ? Number(flags.get('slots')) : 1;
  if (!Number.isInteger(slots) || slots < 1 || slots > 64) throw new UsageError('--slots must be a whole number from 1 to 64 (packages at once on this worker)');
  const leaseMs = seconds('lease', 120);
  if (leaseMs > 86_400_000) throw new UsageError('--lease must be at most 86400 seconds (a day): a dead worker\'s packages wait that long for another');
  const idleMs = seconds('idle', 5);
  const agents = agentsOf(flags);
  // The walls of its agents, as waves run reads them (on unless --unconfined).
  const { confinement } = worktreeAndWallsFrom(flags);
  if (Object.keys(agents).length === 0) throw new UsageError('this machine has no agent to offer: none of the agent CLIs is on the PATH (or give --agent-argv)');
  // No walls to be had here: said once at the start, before anything is claimed — not by giving every package back (each try spent).
  if (!confinement?.unconfined) {
    const here = confinementAvailable();
    if (!here.ok) {
      io.err(`waves worker: ${new ConfinementUnavailableError(here.why, here.fix).message.replace('waves run --unconfined', 'waves worker --unconfined')}\n`);
      return 2;
    }
  }
  const clone = await repositoryRoot(process.cwd());
  if (!clone) throw new UsageError('waves worker runs in a clone of the repository (a git work tree)');
  const opened = await opening(clone, coordinator, io);
  if (typeof opened === 'number') return opened;
  const queue = opened.queue(leaseMs);
  const place = { clone, remote, env: process.env, agents };
  const worker = new PullWorker({
    queue,
    info: { name, agents: Object.keys(agents), labels, slots },
    place,
    // The agent's calls of the run's tools go to the run's driver through the queue; one refused here (or the tools not given) is said on this worker's output.
    work: (claim, signal) =>
      workOnPackage(claim, { place, worker: name, talk: queue.talk, onTalkRefused: (id, said) => io.err(`${name}: ${visibleText(id)}: ${visibleText(said)}\n`), ...(confinement ? { confinement } : {}) }, signal),
  });
  // Ctrl-C (or SIGTERM): the package under way is finished and reported, nothing new claimed; a second one leaves at once.
  let stopping = false;
  // The idle slots' wake-ups: a stop, or a package queued.
  const idle = new Set<() => void>();
  const stop = () => {
    if (stopping) process.exit(130);
    stopping = true;
    for (const wake of [...idle]) wake();
    io.err(`${name}: stopping after the package under way (Ctrl-C again to leave at once; its claim then lapses and another worker takes it)\n`);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let listener: { close(): void } | null = null;
  try {
    await worker.register();
    io.err(`${name}: working for ${redactSecrets(coordinator.url)} with ${Object.keys(agents).join(', ')}${labels.length ? ` (labels ${labels.join(', ')})` : ''}${slots > 1 ? `, ${slots} packages at once` : ''}\n`);
    // What a worker killed outright in this clone left running: its runners asked to stop (their claims are gone).
    const stopped = await stopLeftovers(clone, queue, name);
    if (stopped.length) io.err(`${name}: stopped what a worker before it left running in this clone: ${stopped.join(', ')}\n`);
    // An idle slot looks again when a package is queued or given back (PostgreSQL's NOTIFY), else after --idle.
    listener = queue.onWork(() => {
      for (const wake of [...idle]) wake();
    });
    const rest = (ms: number) =>
      new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          idle.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, ms);
        idle.add(wake);
      });
    // Each slot takes its own turns: at most `slots` packages at once, each claimed, checked, done and reported alone.
    let away = false;
    const slot = async (): Promise<void> => {
      for (;;) {
        let turn: TurnOutcome;
        try {
          turn = await worker.turn();
        } catch (err) {
          // The coordinator out of reach: the worker waits for it (said once), and goes on when it answers.
          if (!(err instanceof CoordinatorUnavailableError)) throw err;
          if (!away) io.err(`${name}: ${err.message}; waiting for it\n`);
          away = true;
          if (stopping) return;
          await rest(idleMs);
          continue;
        }
        if (away) io.err(`${name}: the coordinator answers again\n`);
        away = false;
        io.out(turnLine(name, turn) + '\n');
        if (flags.has('once') || stopping) return;
        if (turn.kind === 'idle') await rest(idleMs);
        if (stopping) return;
      }
    };
    // A slot that fails stops the others' claiming; their packages under way finish first.
    const ends = await Promise.allSettled(
      Array.from({ length: slots }, () =>
        slot().catch((err: unknown) => {
          stopping = true;
          for (const wake of [...idle]) wake();
          throw err;
        }),
      ),
    );
    const failed = ends.find((e): e is PromiseRejectedResult => e.status === 'rejected');
    if (failed) throw failed.reason;
    return 0;
  } finally {
    listener?.close();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await opened.close();
  }
}

function workerLine(w: WorkerRow): string {
  // Past its own lease it is silent: a package it held is claimable again.
  const beat = isSilent(w, w.leaseMs) ? heartbeatText(w, w.leaseMs) : `heartbeat ${w.silentMs < 60_000 ? `${Math.round(w.silentMs / 1000)} s` : `${Math.round(w.silentMs / 60_000)} min`} ago`;
  return `${visibleText(w.name)}  ${visibleText(w.machine)}  ${w.agents.map(visibleText).join(',')}${w.labels.length ? `  [${w.labels.map(visibleText).join(',')}]` : ''}  ${beat}${w.draining ? '  draining' : ''}`;
}

export async function workersCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, args } = parseArgs(argv, ['coordinator', 'coordinator-repository', 'drain', 'undrain', 'json'], ['coordinator', 'coordinator-repository', 'drain', 'undrain']);
  if (args.length) throw new UsageError(`waves workers takes no arguments: ${args.join(' ')}`);
  const coordinator = coordinatorFrom(flags);
  if (!coordinator) throw new UsageError('waves workers needs --coordinator postgres://… (or WAVES_COORDINATOR)');
  const clone = await repositoryRoot(process.cwd());
  if (!clone) throw new UsageError('waves workers runs in a clone of the repository (a git work tree)');
  const opened = await opening(clone, coordinator, io);
  if (typeof opened === 'number') return opened;
  try {
    const queue = opened.queue();
    for (const [flag, draining] of [['drain', true], ['undrain', false]] as const) {
      if (!flags.has(flag)) continue;
      const target = String(flags.get(flag));
      if (!(await queue.drain(target, draining))) {
        io.err(`waves: no worker named ${visibleText(target)} works for this repository\n`);
        return 1;
      }
      io.out(draining ? `${visibleText(target)} is draining: it finishes what it holds and claims nothing new\n` : `${visibleText(target)} takes work again\n`);
    }
    const workers = await queue.workers();
    if (flags.has('json')) io.out(JSON.stringify({ workers }, null, 2) + '\n');
    else if (!flags.has('drain') && !flags.has('undrain')) io.out(workers.length ? workers.map(workerLine).join('\n') + '\n' : 'no worker works for this repository\n');
    return 0;
  } finally {
    await opened.close();
  }
}

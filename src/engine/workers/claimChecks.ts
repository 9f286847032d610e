/**
 * What a pull worker checks of a package it claimed before it does any of it (ADR 0037): its
 * agent's CLI is here, the disk has room, the base is on the shared remote, and the plan at the
 * base is the plan the driver queued. Any of them failing gives the package back with the reason
 * (`PgWorkQueue.release`), never a silent loss: another worker, or the person, takes it from there.
 */
import fs from 'node:fs';
import { presetProfile, type AgentProfile } from '../../core/agents/agentProfiles';
import type { QueueItem } from '../../core/coordinator/workQueue';
import { resolveProgram } from '../attempt';
import { git, GitError, isAncestor, revParse } from '../git';
import { planHash } from '../plan';

/** Free space a worker wants before it takes a package (a tree, its dependencies, the agent's files): 1 GiB. */
export const DEFAULT_MIN_FREE_BYTES = 1024 ** 3;

export interface WorkerPlace {
  /** The worker's clone of the repository. */
  clone: string;
  /** The remote both the driver and the workers reach (a name of the clone's, or a URL). */
  remote: string;
  /** The worker's environment: its PATH finds the agents' CLIs. */
  env: Readonly<Record<string, string | undefined>>;
  minFreeBytes?: number;
  /** The agents it runs, by id; default: the presets. */
  agents?: Readonly<Record<string, AgentProfile>>;
}

/** The worker's profile of agent `id`, or undefined: it runs no such agent. */
export function agentOf(place: Pick<WorkerPlace, 'agents'>, id: string): AgentProfile | undefined {
  return place.agents ? (Object.hasOwn(place.agents, id) ? place.agents[id] : undefined) : presetProfile(id);
}

/** Why the worker gives `item` back, in words; null when it may go on. */
export async function claimProblem(item: QueueItem, place: WorkerPlace): Promise<string | null> {
  const agent = agentOf(place, item.agent);
  if (!agent) return `this worker knows no agent "${item.agent}"`;
  const program = resolveProgram(agent.executable, place.env, place.clone);
  if (!program.ok) return `its agent's CLI is not here: ${program.why}`;
  const free = await freeBytes(place.clone);
  const want = place.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES;
  if (free !== null && free < want) return `the disk is full: ${mib(free)} free where the worker's clone is, ${mib(want)} wanted`;
  // The base: the run's branch fetched from the shared remote, the base on it.
  // A ref of this package's own (a worker with slots checks several at once), and no FETCH_HEAD (one file for all).
  const local = `refs/waves-worker/fetched/${item.featureId}/${item.packageId}`;
  try {
    await git(place.clone, ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--end-of-options', place.remote, `+refs/heads/${item.baseRef}:${local}`]);
  } catch (err) {
    return `the base branch ${item.baseRef} could not be fetched from ${place.remote}: ${err instanceof GitError ? err.message.split('\n')[0] : String(err)}`;
  }
  const tip = await revParse(place.clone, local);
  if (!tip || !(await revParse(place.clone, item.baseSha)) || !(await isAncestor(place.clone, item.baseSha, tip))) {
    return `a stale base: ${item.baseSha.slice(0, 12)} is not on ${item.baseRef} at ${place.remote} any more`;
  }
  // The plan at the base: the one the driver queued, byte for byte.
  const shown = await git(place.clone, ['show', '--end-of-options', `${item.baseSha}:${item.planFile}`], [0, 128]);
  if (shown.code !== 0) return `the plan ${item.planFile} is not in the base ${item.baseSha.slice(0, 12)}`;
  const hash = planHash(shown.stdout);
  if (hash !== item.planHash) return `a different plan: ${item.planFile} at the base has hash ${hash.slice(0, 12)}, the run's is ${item.planHash.slice(0, 12)} (the plan was edited)`;
  return null;
}

/** Bytes free for this user on the file system of `folder`; null when it cannot be read. */
async function freeBytes(folder: string): Promise<number | null> {
  try {
    const s = await fs.promises.statfs(folder);
    return s.bavail * s.bsize;
  } catch {
    // no statfs here (an old Node, a file system without it): the check is skipped, the clone's own errors tell
    return null;
  }
}

const mib = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MiB`;

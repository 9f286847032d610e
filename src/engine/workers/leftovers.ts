/**
 * What a worker killed outright left running (ADR 0037): its agents' runners are detached, as a
 * driver's are, so they outlive it until their time limit — holding the machine, pushing nothing
 * (the claim lapsed, another worker has the package). A worker starting in the same clone asks
 * each such runner to stop (its attempt's cancel file, which the runner obeys as any cancel):
 * every attempt it finds there with no end written, whose claim the queue no longer gives to
 * another worker — its claim lapsed or taken over, the row ended, or held under this worker's own
 * name (its earlier self; a claim is never resumed).
 */
import fs from 'node:fs';
import path from 'node:path';
import { attemptFiles } from '../../core/run/runPaths';
import type { PgWorkQueue } from '../coordinator';

/** What a worker writes beside each attempt it starts: the claim it works under. */
export interface ClaimNote {
  featureId: string;
  runId: string;
  packageId: string;
  attempt: number;
  fence: number;
  worker: string;
}

export const CLAIM_NOTE = 'claim.json';

/** The attempts stopped, as `<package> (claim <fence>)`. */
export async function stopLeftovers(clone: string, queue: PgWorkQueue, worker: string): Promise<string[]> {
  const stopped: string[] = [];
  for (const dir of await attemptDirs(path.join(clone, '.waves', 'runs'))) {
    const files = attemptFiles(dir);
    if (fs.existsSync(files.exit) || fs.existsSync(files.cancel)) continue;
    const note = readNote(path.join(dir, CLAIM_NOTE));
    if (!note) continue;
    const row = await queue.item(note.featureId, note.runId, note.packageId, note.attempt);
    const anothers = row !== null && row.state === 'claimed' && row.fence === note.fence && row.worker !== null && row.worker !== worker;
    if (anothers) continue;
    await fs.promises.writeFile(files.cancel, `${new Date().toISOString()}\n`);
    stopped.push(`${note.packageId} (claim ${note.fence})`);
  }
  return stopped;
}

/** `runs/<feature>/<run>.<attempt>/<package>/<fence>/` folders that hold a claim note. */
async function attemptDirs(runs: string): Promise<string[]> {
  const below = async (dir: string): Promise<string[]> => {
    try {
      return (await fs.promises.readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name));
    } catch {
      return []; // no such folder yet: nothing was left here
    }
  };
  const out: string[] = [];
  for (const feature of await below(runs))
    for (const run of await below(feature))
      for (const pkg of await below(run))
        for (const fence of await below(pkg)) if (fs.existsSync(path.join(fence, CLAIM_NOTE))) out.push(fence);
  return out;
}

function readNote(file: string): ClaimNote | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<ClaimNote>;
    return typeof v.featureId === 'string' && typeof v.runId === 'string' && typeof v.packageId === 'string' && Number.isSafeInteger(v.attempt) && Number.isSafeInteger(v.fence) && typeof v.worker === 'string' ? (v as ClaimNote) : null;
  } catch {
    return null; // unreadable: not a note this worker wrote whole, left alone
  }
}

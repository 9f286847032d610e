/**
 * This machine's identity for run state (#15, docs/security.md "Run state from elsewhere"): a
 * random id created once in the person's own folder (`<config>/machine-id`, never in a
 * repository), and the SHA-256 of it written into each run state the engine drives. A run state
 * that came with a repository or from another computer cannot carry it, so it is foreign here:
 * shown and offered, never adopted without the person.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { userConfigFolder } from '../../core/run/runPaths';
import type { RunState } from '../../core/run/runState';

let cached: { folder: string; id: string } | null = null;

/** The id run states carry for this machine and person (64 hex digits); created on first use. */
export function machineId(env: NodeJS.ProcessEnv = process.env): string {
  const folder = userConfigFolder(env, process.platform, os.homedir());
  if (cached?.folder === folder) return cached.id;
  const file = path.join(folder, 'machine-id');
  let secret = '';
  try {
    secret = fs.readFileSync(file, 'utf8').trim();
  } catch {
    // not made yet
  }
  if (!/^[0-9a-f]{32,}$/.test(secret)) {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    const fresh = randomBytes(32).toString('hex');
    try {
      // `wx`: two processes making it at once keep the first one's.
      fs.writeFileSync(file, fresh + '\n', { flag: 'wx', mode: 0o600 });
      secret = fresh;
    } catch {
      secret = fs.readFileSync(file, 'utf8').trim();
    }
  }
  const id = createHash('sha256').update(`wave-orchestrator machine ${secret}`).digest('hex');
  cached = { folder, id };
  return id;
}

/**
 * Why a run state is not this machine's to drive, or null when it is: its `machine` must be
 * this machine's id — a state that came with a repository or from another computer has none
 * or another (#15). Foreign state is shown and offered; only the person's Resume drives it.
 */
export function foreignReason(state: Pick<RunState, 'machine'>): string | null {
  if (state.machine === machineId()) return null;
  return state.machine
    ? 'it was started on another machine'
    : 'it does not say it was started on this machine (it may have come with the repository)';
}

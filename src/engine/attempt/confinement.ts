/**
 * Confinement on this machine (issue #32, ADR 0019): whether walls can be had here (bubblewrap
 * and the kernel's namespaces, tried once per process), and an attempt's walls drawn from its
 * paths on disk (wallsDraw.ts, when the runner starts the agent) — the pure plan is
 * core/walls/walls.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { WALLS_TRIAL_ARGS } from '../../core/walls/walls';
import type { LocalExecutorOptions } from './localExecutor';
import type { ConfinementOptions } from './wallsDraw';
import { programOnPath } from './wallsRun';

/** Whether walls can be had here, and if not, why (in a person's words). */
export type Availability = { ok: true; bwrap: string } | { ok: false; why: string };

let probed: Availability | undefined;

/** The bubblewrap program on PATH (`WAVES_BWRAP` names another), or null. */
function findBwrap(): string | null {
  const named = process.env.WAVES_BWRAP;
  if (named) return fs.existsSync(named) ? named : null;
  return programOnPath('bwrap');
}

/**
 * Whether agents can be confined on this machine: Linux, bubblewrap installed, and a trial of
 * the namespaces the walls use (a kernel without unprivileged user namespaces fails it). Tried
 * once per process; `again` tries anew.
 */
export function confinementAvailable(again = false): Availability {
  if (probed && !again) return probed;
  if (process.platform !== 'linux') {
    probed = { ok: false, why: `agents cannot be confined on ${process.platform === 'darwin' ? 'macOS' : process.platform === 'win32' ? 'Windows' : process.platform} yet (walls are bubblewrap's, on Linux)` };
    return probed;
  }
  const bwrap = findBwrap();
  if (!bwrap) {
    probed = { ok: false, why: 'bubblewrap (bwrap) is not installed: install it (Debian/Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap) to confine agents' };
    return probed;
  }
  const trial = spawnSync(bwrap, WALLS_TRIAL_ARGS, { encoding: 'utf8', timeout: 10_000 });
  probed =
    trial.status === 0
      ? { ok: true, bwrap }
      : { ok: false, why: `bubblewrap cannot make walls here (${(trial.stderr || trial.error?.message || `exit ${trial.status}`).trim().split('\n')[0]}): the kernel may not allow unprivileged user namespaces` };
  return probed;
}

/** What a run asks of the walls: on (the default) with what the person added, or off by the person's explicit choice. */
export interface Confinement {
  /** Agents run without walls — only when the person chose it (`--unconfined`, `waves.sandbox.unconfined`). */
  unconfined?: boolean;
  options?: ConfinementOptions;
}

/**
 * The walls an executor is asked to give its agents, without trying them (no process): null when
 * the person chose none. The trial (`confinementAvailable`) is the caller's, before an agent starts.
 */
export function wallsAsked(confinement: Confinement | undefined): NonNullable<LocalExecutorOptions['walls']> | null {
  if (confinement?.unconfined) return null;
  return { bwrap: findBwrap() ?? 'bwrap', ...(confinement?.options ? { options: confinement.options } : {}) };
}

/** The walls an executor gives its agents, from a run's `Confinement`: the walls, the person's "no walls", or why none can be had. */
export function wallsOption(confinement: Confinement | undefined): { walls: NonNullable<LocalExecutorOptions['walls']> } | { unconfined: true } | { unavailable: string } {
  if (confinement?.unconfined) return { unconfined: true };
  const here = confinementAvailable();
  if (!here.ok) return { unavailable: here.why };
  return { walls: { bwrap: here.bwrap, ...(confinement?.options ? { options: confinement.options } : {}) } };
}

/** Agents cannot be confined here and the person did not choose to run them without walls: nothing starts. */
export class ConfinementUnavailableError extends Error {
  constructor(readonly why: string) {
    super(`agents cannot be confined ${why.startsWith('the host ') ? 'on ' : 'here: '}${why}. Nothing was started; to run them without walls, choose it explicitly (waves run --unconfined, or the setting waves.sandbox.unconfined)`);
    this.name = 'ConfinementUnavailableError';
  }
}

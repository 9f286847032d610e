/**
 * Confinement on this machine (ADR 0019): whether walls can be had here (bubblewrap
 * and the kernel's namespaces, tried once per process), and an attempt's walls drawn from its
 * paths on disk (wallsDraw.ts, when the runner starts the agent) — the pure plan is
 * core/walls/walls.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { WALLS_TRIAL_ARGS } from '../../core/walls/walls';
import { containerWallNote, diagnoseWalls, variableOpeningWalls, missingText, NOT_A_CONTAINER_NOTE, placeOf, WINDOWS_FIX, WINDOWS_WHY } from '../../core/walls/containerCheck';
import { containerHere, readWallsFacts } from './wallsFacts';
import type { LocalExecutorOptions } from './localExecutor';
import type { ConfinementOptions } from './wallsDraw';
import { programOnPath } from './wallsRun';
import { SANDBOX_EXEC, SEATBELT_NOT_KEPT } from '../../core/walls/seatbelt';
import { seatbeltProblem } from './wallsSeatbelt';

/** Whether walls can be had here, and if not, why (in a person's words) and what would make them (`fix`, one line each). */
export type Availability =
  | { ok: true; bwrap: string; backend?: 'bubblewrap' }
  /** macOS (ADR 0033): Seatbelt's walls (`bwrap`: sandbox-exec, the walls' program), and what they do not keep, said as a run starts. */
  | { ok: true; backend: 'seatbelt'; bwrap: string; notKept: readonly string[] }
  | { ok: false; why: string; fix?: string[] };

let probed: Availability | undefined;

/** Native Windows (a function: the platform's own branch below still names every platform). */
const isWindows = (): boolean => (process.platform as string) === 'win32';
/** macOS, whose walls are Seatbelt's (ADR 0033). */
const isMac = (): boolean => (process.platform as string) === 'darwin';

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
  // Native Windows: the Linux walls are had in WSL (the editor offers to reopen the folder there).
  if (isWindows()) {
    probed = { ok: false, why: WINDOWS_WHY, fix: [...WINDOWS_FIX] };
    return probed;
  }
  // macOS: Seatbelt's walls, tried once (sandbox-exec and a profile holding every kind of rule the walls write).
  if (isMac()) {
    const why = seatbeltProblem();
    probed = why ? { ok: false, why } : { ok: true, backend: 'seatbelt', bwrap: SANDBOX_EXEC, notKept: SEATBELT_NOT_KEPT };
    return probed;
  }
  if (process.platform !== 'linux') {
    probed = { ok: false, why: `agents cannot be confined on ${process.platform === 'darwin' ? 'macOS' : process.platform === 'win32' ? 'Windows' : process.platform} yet (walls are bubblewrap's, on Linux)` };
    return probed;
  }
  const bwrap = findBwrap();
  if (!bwrap) {
    // Where it is missing, said by place: WSL's distribution, a container's image (containerCheck.ts).
    probed = { ok: false, why: missingText(placeOf(readWallsFacts())) };
    return probed;
  }
  const trial = spawnSync(bwrap, WALLS_TRIAL_ARGS, { encoding: 'utf8', timeout: 10_000 });
  if (trial.status === 0) probed = { ok: true, bwrap };
  else {
    // Why, from this machine's facts: a container's runtime, AppArmor, a kernel switch, WSL 1 — and the exact fix.
    const said = diagnoseWalls(readWallsFacts(trial.stderr || trial.error?.message || `exit ${trial.status}`, bwrap), bwrap);
    probed = { ok: false, why: said.why, fix: said.fix };
  }
  return probed;
}

/** What a run asks of the walls: on (the default) with what the person added, or off by the person's explicit choice. */
export interface Confinement {
  /** Agents run without walls — only when the person chose it (`--unconfined`, `waves.sandbox.unconfined`). */
  unconfined?: boolean;
  /**
   * The container this runs in is the agents' wall: they run without bubblewrap — the person's
   * own choice (`waves.sandbox.container`, `--container-is-wall`, `WAVES_SANDBOX_CONTAINER=1`),
   * counted only inside a container (`effectiveConfinement`).
   */
  container?: boolean;
  options?: ConfinementOptions;
}

/**
 * A run's confinement with the container-as-wall choice weighed: inside a container, its agents
 * run without bubblewrap (as `unconfined`, the container their wall); elsewhere the choice counts
 * for nothing and the walls stay bubblewrap's.
 */
export function effectiveConfinement(confinement: Confinement | undefined): Confinement | undefined {
  // Weighed already (or no walls asked at all): as it is.
  if (!confinement?.container || confinement.unconfined) return confinement;
  const { container: _asked, ...rest } = confinement;
  return containerHere() ? { unconfined: true, container: true } : rest;
}

/** What a run says as it starts about the container-as-wall choice the person asked for (it counts here, or not: not a container); null: not asked. */
export function containerWallNoteOf(asked: Confinement | undefined): string | null {
  if (!asked?.container || asked.unconfined) return null;
  const place = containerHere();
  return place ? containerWallNote(place) : NOT_A_CONTAINER_NOTE;
}

/**
 * The walls an executor is asked to give its agents, without trying them (no process): null when
 * the person chose none. The trial (`confinementAvailable`) is the caller's, before an agent starts.
 */
export function wallsAsked(asked: Confinement | undefined): NonNullable<LocalExecutorOptions['walls']> | null {
  const confinement = effectiveConfinement(asked);
  if (confinement?.unconfined) return null;
  return { bwrap: isMac() ? SANDBOX_EXEC : (findBwrap() ?? 'bwrap'), ...(confinement?.options ? { options: confinement.options } : {}) };
}

/** The walls an executor gives its agents, from a run's `Confinement`: the walls, the person's "no walls", or why none can be had. */
export function wallsOption(asked: Confinement | undefined): { walls: NonNullable<LocalExecutorOptions['walls']> } | { unconfined: true } | { unavailable: string; fix?: string[] } {
  const confinement = effectiveConfinement(asked);
  if (confinement?.unconfined) return { unconfined: true };
  const here = confinementAvailable();
  if (!here.ok) return { unavailable: here.why, ...(here.fix ? { fix: here.fix } : {}) };
  return { walls: { bwrap: here.bwrap, ...(confinement?.options ? { options: confinement.options } : {}) } };
}

/**
 * What the walls here do not keep that bubblewrap's keep (macOS: the memory limit), said to the
 * person as a run starts, never dropped unsaid; nothing without walls, or where they keep it all.
 */
export function wallsNotKept(asked: Confinement | undefined): readonly string[] {
  if (effectiveConfinement(asked)?.unconfined) return [];
  const here = confinementAvailable();
  return here.ok && here.backend === 'seatbelt' ? here.notKept : [];
}

/** Agents cannot be confined here and the person did not choose to run them without walls: nothing starts. */
export class ConfinementUnavailableError extends Error {
  /** `fix`: what would make the walls here, one line each (the diagnosis of containerCheck.ts). */
  constructor(
    readonly why: string,
    readonly fix: readonly string[] = [],
  ) {
    super(
      `agents cannot be confined ${why.startsWith('the host ') ? 'on ' : 'here: '}${why}. ${fix.length ? `What would make the walls: ${fix.join('; ')}. ` : ''}Nothing was started; to run them without walls, choose it explicitly (waves run --unconfined, or the setting waves.sandbox.unconfined)`,
    );
    this.name = 'ConfinementUnavailableError';
  }
}

/**
 * Whether a run opens the agents' walls in any way a setting or a variable can: its confinement,
 * or a variable of the environment the walls read as they are drawn (`WAVES_SANDBOX_ALLOW`, …).
 */
export function opensWalls(c: Confinement | undefined, env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const o = c?.options;
  const asked = c?.unconfined === true || c?.container === true || !!o?.allowHosts?.length || !!o?.write?.length || !!o?.read?.length || o?.registries === true || !!o?.cacheDir || o?.memoryMB === 0;
  return asked || variableOpeningWalls(env) !== null;
}

/**
 * The walls on macOS (ADR 0033), for the runner: Seatbelt, by `/usr/bin/sandbox-exec` and a
 * profile made for each process from the walls' plan (core/walls/seatbelt.ts) — an agent, a
 * verification step, the set-up command. macOS has no network namespace: the walls' proxy listens
 * on a loopback port of the attempt's own (no relay), which the profile alone lets the process
 * reach; its `TMPDIR` is a folder of its own. Whether the walls can be had here
 * (`seatbeltProblem`). Nothing here runs on Linux: what is pure is tested there
 * (test/core/walls/seatbelt.test.ts, test/engine/attempt/wallsSeatbelt.test.ts), the rest on a
 * macOS runner (test/platforms/darwin.test.ts, .github/workflows/walls-platforms.yml). Node
 * built-ins, src/core and src/store only (bundled into dist/runner.js).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ownPortsOf, SANDBOX_EXEC, SEATBELT_NOT_KEPT, seatbeltArgv, seatbeltProfile, seatbeltTrial, type SeatbeltProfile } from '../../core/walls/seatbelt.js';
import { parseTarget, type Target, type WallsPlan } from '../../core/walls/walls.js';
import { startProxy, upstreamOf, type ReachNote } from './wallsNet.js';
import { wallsFor, type DrawnWalls, type WallsRequest } from './wallsDraw.js';
import { kindOf, realPathOrNull } from './wallsDisk.js';
import { TALK_SOCKET } from '../../core/talk/talkTools.js';

/** Whose walls this machine draws: Seatbelt's on macOS, bubblewrap's elsewhere. */
export function wallsBackend(platform: NodeJS.Platform = process.platform): 'bubblewrap' | 'seatbelt' {
  return platform === 'darwin' ? 'seatbelt' : 'bubblewrap';
}

/**
 * The machine's temporary folders, each where it really is: their contents are kept from the
 * process (a private /tmp), but what the walls' plan shows again there. `tmpdir`: the user's
 * (`TMPDIR`, under `/private/var/folders` on macOS).
 */
export function machineTmpFolders(tmpdir: string = os.tmpdir(), real: (p: string) => string | null = realPathOrNull): string[] {
  return [...new Set(['/private/tmp', '/private/var/tmp', tmpdir].map((p) => real(p)).filter((p): p is string => p !== null && p !== '/'))];
}

/** Every path of a plan where it really is (Seatbelt matches real paths); one not there, as it is. */
export function realPlan(plan: WallsPlan, real: (p: string) => string | null = realPathOrNull): WallsPlan {
  const at = (p: string) => real(p) ?? p;
  return {
    ...plan,
    worktree: at(plan.worktree),
    write: plan.write.map(at),
    readBack: plan.readBack.map(at),
    readOnly: (plan.readOnly ?? []).map(at),
    hidden: plan.hidden.map(at),
    replaced: (plan.replaced ?? []).map((r) => ({ path: at(r.path), with: r.with })),
  };
}

/** Seatbelt's walls raised for one process: the walls drawn, their proxy listening, the profile made. */
export interface SeatbeltWalls {
  walls: DrawnWalls;
  proxy: Server;
  /** The proxy's port on 127.0.0.1 (HTTPS_PROXY names it). */
  port: number;
  /** The process's own temporary folder (its TMPDIR), removed by `close`. */
  tmp: string;
  profile: SeatbeltProfile;
  /** sandbox-exec, the profile and its parameters, then `argv` — by argv, never a shell. */
  argv(argv: readonly string[]): string[];
  /** The proxy closed, the temporary folder removed. */
  close(): void;
}

/**
 * Seatbelt's walls for one process, raised: the proxy listening first on a loopback port the
 * system picks (the walls are drawn with it: the JVM's proxy settings name it), its targets those
 * of the walls drawn then; a temporary folder of its own; the profile. `env`: the environment the
 * process gets, before the walls change it (the person's own proxy in it carries what is allowed).
 * Refusals go to `log` (default the attempt's `walls.jsonl`). Throws when the proxy cannot listen
 * or the walls cannot be drawn (nothing is left behind).
 */
/** An agent's talk-back socket in its attempt folder, by its real path (Seatbelt matches real paths); none for a command's walls. */
function talkSocketOf(req: Pick<WallsRequest, 'attemptDir' | 'role'>): string | null {
  if (req.role === 'command') return null;
  return path.join(realPathOrNull(req.attemptDir) ?? path.resolve(req.attemptDir), TALK_SOCKET);
}

export async function raiseSeatbelt(req: Omit<WallsRequest, 'platform' | 'proxyPort'>, env: Readonly<Record<string, string | undefined>>, log?: string, onReach?: (note: ReachNote) => void): Promise<SeatbeltWalls> {
  const allowed: Target[] = [];
  const proxy = await startProxy({ port: 0 }, allowed, log ?? path.join(req.attemptDir, 'walls.jsonl'), upstreamOf(env), onReach);
  let tmp: string | null = null;
  try {
    const port = (proxy.address() as AddressInfo).port;
    const { walls } = wallsFor({ ...req, platform: 'darwin', proxyPort: port });
    allowed.push(...walls.allow.map(parseTarget).filter((t): t is Target => t !== null));
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-walls-')));
    const profile = seatbeltProfile({ plan: realPlan(walls.plan), kind: kindOf, tmp, machineTmp: machineTmpFolders(), proxyPort: port, ownPorts: ownPortsOf(env.WAVES_PORT_RANGE), interactive: req.interactive, talkSocket: talkSocketOf(req) });
    const own = tmp;
    return {
      walls: { ...walls, bwrap: SANDBOX_EXEC, laid: [...SEATBELT_NOT_KEPT, ...walls.laid] },
      proxy,
      port,
      tmp,
      profile,
      argv: (argv) => seatbeltArgv(profile, argv),
      close: () => {
        proxy.close();
        fs.rmSync(own, { recursive: true, force: true });
      },
    };
  } catch (err) {
    proxy.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Why Seatbelt's walls cannot be had on this Mac, or null: sandbox-exec at its system path, and a
 * trial of a profile holding every kind of rule the walls write (`seatbeltTrial`) around `true`.
 */
export function seatbeltProblem(): string | null {
  if (!fs.existsSync(SANDBOX_EXEC)) return `${SANDBOX_EXEC} is not there: the walls on macOS are Seatbelt's, which it runs`;
  let dir: string | null = null;
  try {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-seatbelt-trial-')));
    const argv = seatbeltArgv(seatbeltProfile(seatbeltTrial(dir, os.homedir())), ['/usr/bin/true']);
    const trial = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
    if (trial.status === 0) return null;
    return `Seatbelt cannot make walls here (${(trial.stderr || trial.error?.message || `exit ${trial.status}`).trim().split('\n')[0]}): sandbox-exec refused the walls' profile`;
  } catch (err) {
    return `Seatbelt cannot make walls here (${(err as Error).message})`;
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The facts of this machine that say why bubblewrap cannot make the walls here and what would
 * (core/walls/containerCheck.ts decides from them): the kernel's switches under /proc/sys, this
 * process's seccomp mode, the markers of a container and of WSL, bubblewrap's setuid bit. Read
 * when the trial failed, or when the person made the container the agents' wall; each fact that
 * cannot be read is left null.
 */
import fs from 'node:fs';
import path from 'node:path';
import { containerOf, devcontainerOpensWalls, type Place, type WallsFacts } from '../../core/walls/containerCheck';
import { readRegularFileSync } from '../../util/regularFile';
import { toPosix } from '../../util/posixPath';

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    // not there on this machine: the fact is left null
    return null;
  }
}

function whole(file: string): number | null {
  const text = read(file)?.trim();
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : null;
}

const ENV_KEYS = ['REMOTE_CONTAINERS', 'CODESPACES', 'DEVCONTAINER', 'WSL_DISTRO_NAME', 'container'] as const;

/** This machine's facts; `trialError`: bubblewrap's stderr of the trial, `bwrap`: its path. */
export function readWallsFacts(trialError?: string | null, bwrap?: string | null): WallsFacts {
  const seccomp = /^Seccomp:\s*(\d+)/m.exec(read('/proc/self/status') ?? '')?.[1];
  let setuid = false;
  if (bwrap) {
    try {
      setuid = (fs.statSync(bwrap).mode & 0o4000) !== 0;
    } catch {
      /* not there: not setuid */
    }
  }
  const env: Record<string, string | undefined> = {};
  for (const key of ENV_KEYS) if (process.env[key] !== undefined) env[key] = process.env[key];
  return {
    platform: process.platform,
    ...(trialError !== undefined ? { trialError } : {}),
    uid: typeof process.getuid === 'function' ? process.getuid() : null,
    bwrapSetuid: setuid,
    seccomp: seccomp !== undefined ? Number(seccomp) : null,
    usernsClone: whole('/proc/sys/kernel/unprivileged_userns_clone'),
    maxUserNamespaces: whole('/proc/sys/user/max_user_namespaces'),
    apparmorRestrict: whole('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
    dockerEnv: fs.existsSync('/.dockerenv'),
    containerEnv: fs.existsSync('/run/.containerenv'),
    cgroup: read('/proc/1/cgroup'),
    procVersion: read('/proc/version'),
    env,
  };
}

let here: Extract<Place, { kind: 'container' }> | null | undefined;

/** The container this process runs in (read once per process), or null: not one. */
export function containerHere(): Extract<Place, { kind: 'container' }> | null {
  if (here === undefined) here = process.platform === 'linux' ? containerOf(readWallsFacts()) : null;
  return here;
}

/** The repository's dev container configurations: `.devcontainer.json`, `.devcontainer/devcontainer.json` and `.devcontainer/<name>/devcontainer.json`. */
function devcontainerFiles(repo: string): string[] {
  const files = ['.devcontainer.json', path.join('.devcontainer', 'devcontainer.json')];
  try {
    for (const e of fs.readdirSync(path.join(repo, '.devcontainer'), { withFileTypes: true })) if (e.isDirectory()) files.push(path.join('.devcontainer', e.name, 'devcontainer.json'));
  } catch {
    /* no folder */
  }
  return files;
}

/**
 * Where the repository opens the agents' walls ("<file>: its settings set
 * waves.sandbox.unconfined"), or null: a dev container's settings become the container's machine
 * settings and its variables the environment of `waves` — the choice would be the repository's,
 * not the person's. `only`: the container-as-wall choice alone.
 */
export function repositoryOpensWalls(repo: string, only?: 'container'): string | null {
  for (const file of devcontainerFiles(repo)) {
    let text: string | null;
    try {
      // The repository's file: a regular one inside it, never a FIFO or a link out of it.
      text = readRegularFileSync(path.join(repo, file), { within: repo }).toString('utf8');
    } catch {
      text = null; // none, or not a regular file of the repository: it opens nothing
    }
    const what = text === null ? null : devcontainerOpensWalls(text, only);
    if (what) return `${toPosix(file)}: ${what}`;
  }
  return null;
}

/** Where the repository turns the container-as-wall choice on, or null (`repositoryOpensWalls`). */
export function repositoryTurnsContainerOn(repo: string): string | null {
  return repositoryOpensWalls(repo, 'container');
}

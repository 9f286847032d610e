/**
 * Why bubblewrap cannot make the agents' walls here, and what would make it — in a person's
 * words, with the exact fix. Pure: the engine reads the facts (attempt/wallsFacts.ts: bubblewrap's
 * stderr of its trial, /proc/self/status, the kernel's switches under /proc/sys, the markers of a
 * container, of WSL) and this says where we are, what stands in the way and what to change.
 *
 * The causes, in the order a container meets them (docs/security.md, "In a container"):
 * - a runtime's default seccomp profile (Docker's) refuses `unshare`/`clone` of a user namespace
 *   without CAP_SYS_ADMIN — bubblewrap: "No permissions to create a new namespace" (Debian's:
 *   "to create new namespace");
 * - then Docker's AppArmor profile (docker-default) refuses the mounts — "Failed to make / slave";
 * - then the runtime's masked /proc paths make the kernel refuse a new /proc in a user namespace
 *   ("mount too revealing") — "Can't mount proc on /newroot/proc: Operation not permitted";
 * - root in a container: bubblewrap run by root makes no user namespace and needs CAP_SYS_ADMIN
 *   and CAP_NET_ADMIN, which the container withholds — "Creating new namespace failed";
 * - the kernel's switches, host-wide and seen from inside a container too:
 *   kernel.apparmor_restrict_unprivileged_userns=1 (Ubuntu 23.10+) — "setting up uid map:
 *   Permission denied" or "loopback: Failed RTM_NEWADDR"; kernel.unprivileged_userns_clone=0
 *   (older Debian); user.max_user_namespaces=0.
 * WSL 2 is Linux with namespaces (the Linux walls apply); WSL 1 has none.
 */

/** What the engine read on this machine; a fact it could not read is null or absent. */
export interface WallsFacts {
  /** `process.platform`. */
  platform: string;
  /** bubblewrap's stderr of the trial; absent: not tried. */
  trialError?: string | null;
  /** The user the agents would run as (bubblewrap run by root makes no user namespace). */
  uid?: number | null;
  /** bubblewrap is installed setuid root. */
  bwrapSetuid?: boolean;
  /** The `Seccomp:` field of /proc/self/status: 0 none, 1 strict, 2 a filter. */
  seccomp?: number | null;
  /** /proc/sys/kernel/unprivileged_userns_clone (Debian's switch; absent on most kernels). */
  usernsClone?: number | null;
  /** /proc/sys/user/max_user_namespaces. */
  maxUserNamespaces?: number | null;
  /** /proc/sys/kernel/apparmor_restrict_unprivileged_userns (Ubuntu 23.10 and later). */
  apparmorRestrict?: number | null;
  /** /.dockerenv is there (Docker). */
  dockerEnv?: boolean;
  /** /run/.containerenv is there (Podman, Buildah). */
  containerEnv?: boolean;
  /** /proc/1/cgroup. */
  cgroup?: string | null;
  /** /proc/version ("microsoft" in WSL's kernels). */
  procVersion?: string | null;
  /** The variables that say where this runs: REMOTE_CONTAINERS, CODESPACES, DEVCONTAINER, WSL_DISTRO_NAME, container. */
  env?: Readonly<Record<string, string | undefined>>;
}

export type Runtime = 'docker' | 'podman' | 'unknown';

/** Where the agents would run. */
export type Place =
  | { kind: 'container'; runtime: Runtime; dev: 'codespaces' | 'dev-container' | null }
  | { kind: 'wsl'; version: 1 | 2; distro: string | null }
  | { kind: 'linux' }
  | { kind: 'macos' }
  | { kind: 'windows' }
  | { kind: 'other'; platform: string };

const yes = (v: string | undefined): boolean => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

/**
 * The container we are in, from what proves one: /.dockerenv, /run/.containerenv or a
 * container's cgroup. The environment's variables (REMOTE_CONTAINERS, CODESPACES) only say
 * which kind — alone they prove nothing (anyone can set a variable). Null: not a container.
 */
export function containerOf(f: WallsFacts): Extract<Place, { kind: 'container' }> | null {
  const cgroup = f.cgroup ?? '';
  const cgroupRuntime: Runtime | null = /libpod|podman/.test(cgroup) ? 'podman' : /docker/.test(cgroup) ? 'docker' : /containerd|kubepods|\/lxc\//.test(cgroup) ? 'unknown' : null;
  if (!f.dockerEnv && !f.containerEnv && !cgroupRuntime) return null;
  const runtime: Runtime = f.containerEnv ? 'podman' : f.dockerEnv ? 'docker' : cgroupRuntime!;
  const env = f.env ?? {};
  const dev = yes(env.CODESPACES) ? 'codespaces' : yes(env.REMOTE_CONTAINERS) || yes(env.DEVCONTAINER) ? 'dev-container' : null;
  return { kind: 'container', runtime, dev };
}

/** Where the agents would run: a container first (a Dev Container on Windows runs in WSL's kernel too), then WSL, then the platform. */
export function placeOf(f: WallsFacts): Place {
  if (f.platform === 'darwin') return { kind: 'macos' };
  if (f.platform === 'win32') return { kind: 'windows' };
  if (f.platform !== 'linux') return { kind: 'other', platform: f.platform };
  const container = containerOf(f);
  if (container) return container;
  const version = f.procVersion ?? '';
  const distro = f.env?.WSL_DISTRO_NAME?.trim() || null;
  if (/microsoft/i.test(version) || distro) return { kind: 'wsl', version: /microsoft-standard|WSL2/i.test(version) || (!/Microsoft/.test(version) && !!distro) ? 2 : 1, distro };
  return { kind: 'linux' };
}

/** The place in a person's words, after "in" ("bubblewrap cannot make walls in this Dev Container"). */
export function placeText(place: Place): string {
  switch (place.kind) {
    case 'container':
      if (place.dev === 'codespaces') return 'this codespace';
      if (place.dev === 'dev-container') return 'this Dev Container';
      return place.runtime === 'docker' ? 'this Docker container' : place.runtime === 'podman' ? 'this Podman container' : 'this container';
    case 'wsl':
      return `WSL ${place.version}${place.distro ? ` (${place.distro})` : ''}`;
    case 'linux':
      return 'this machine';
    case 'macos':
      return 'macOS';
    case 'windows':
      return 'Windows';
    case 'other':
      return place.platform;
  }
}

/** What keeps bubblewrap from making the walls. */
export type CauseId =
  | 'seccomp'
  | 'apparmor-profile'
  | 'masked-proc'
  | 'root-without-caps'
  | 'setuid-without-caps'
  | 'no-net-admin'
  | 'selinux'
  | 'apparmor-userns'
  | 'userns-clone-off'
  | 'max-userns-zero'
  | 'ns-exhausted'
  | 'no-userns-kernel'
  | 'wsl1'
  | 'unknown';

const CAUSE_TEXT: Readonly<Record<CauseId, string>> = {
  seccomp: "the container's seccomp profile (the runtime's default) refuses the user namespaces the walls are made of",
  'apparmor-profile': "the container's AppArmor profile (Docker's docker-default) refuses the mounts the walls are made of",
  'masked-proc': 'the container masks parts of /proc, so the kernel refuses the walls a /proc of their own',
  'root-without-caps': 'the agents would run as root, and bubblewrap run by root makes no user namespace: it needs CAP_SYS_ADMIN and CAP_NET_ADMIN, which the container withholds',
  'setuid-without-caps': 'bubblewrap is installed setuid root, and the container withholds the privileges it then relies on',
  'no-net-admin': "the walls' network cannot be set up: root in the container lacks CAP_NET_ADMIN",
  selinux: "SELinux refuses the walls' mounts (the container's label)",
  'apparmor-userns': 'AppArmor restricts unprivileged user namespaces on this kernel (kernel.apparmor_restrict_unprivileged_userns=1, Ubuntu 23.10 and later)',
  'userns-clone-off': 'unprivileged user namespaces are switched off in this kernel (kernel.unprivileged_userns_clone=0)',
  'max-userns-zero': 'user namespaces are switched off in this kernel (user.max_user_namespaces=0)',
  'ns-exhausted': "the kernel's limit of namespaces is reached (user.max_user_namespaces), or they nest too deep",
  'no-userns-kernel': 'this kernel has no user namespaces',
  wsl1: 'WSL 1 has no Linux namespaces',
  unknown: 'the kernel or the container may not allow unprivileged user namespaces',
};

/** The causes' sentence in a person's words (for a table or a test). */
export function causeText(id: CauseId): string {
  return CAUSE_TEXT[id];
}

/** The first line of bubblewrap's stderr that says something. */
export function trialLine(stderr: string | null | undefined): string {
  const lines = (stderr ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => l.startsWith('bwrap:')) ?? lines[0] ?? '';
}

/** What stands in the way, the first the one that stopped bubblewrap this time. */
export function causesOf(f: WallsFacts): CauseId[] {
  const place = placeOf(f);
  if (place.kind === 'wsl' && place.version === 1) return ['wsl1'];
  const err = f.trialError ?? '';
  const inContainer = place.kind === 'container';
  const kernel: CauseId[] = [];
  if (f.usernsClone === 0) kernel.push('userns-clone-off');
  if (f.maxUserNamespaces === 0) kernel.push('max-userns-zero');
  const privileged = f.uid === 0 || f.bwrapSetuid === true;
  let first: CauseId | null = null;
  if (/No permissions to creat\w* (?:a )?new namespace/.test(err)) {
    if (inContainer && f.seccomp === 2) first = 'seccomp';
    else if (kernel.length === 0) first = f.apparmorRestrict === 1 ? 'apparmor-userns' : inContainer ? 'seccomp' : 'unknown';
  } else if (/setting up uid map|uid_map.*(?:Permission denied|Operation not permitted)/.test(err)) first = 'apparmor-userns';
  else if (/Failed to make \/ slave/.test(err)) first = 'apparmor-profile';
  else if (/Can't mount proc on .*Operation not permitted/.test(err)) first = inContainer ? 'masked-proc' : 'unknown';
  else if (/pivot_root.*Operation not permitted/.test(err)) first = inContainer ? 'seccomp' : 'unknown';
  else if (/Creating new namespace failed: nesting depth|max_\*_namespaces exceeded|\(ENOSPC\)/.test(err)) first = kernel.includes('max-userns-zero') ? null : 'ns-exhausted';
  else if (/kernel does not support user namespaces/.test(err)) first = 'no-userns-kernel';
  else if (/Creating new namespace failed/.test(err)) first = f.bwrapSetuid ? 'setuid-without-caps' : f.uid === 0 ? 'root-without-caps' : kernel.length ? null : 'unknown';
  else if (/loopback: Failed RTM_NEWADDR/.test(err)) first = f.apparmorRestrict === 1 ? 'apparmor-userns' : inContainer && privileged ? 'no-net-admin' : 'unknown';
  else if (/Failed to mount tmpfs.*Permission denied/.test(err) && inContainer && place.runtime === 'podman') first = 'selinux';
  else if (kernel.length === 0) first = 'unknown';
  const causes: CauseId[] = [...(first ? [first] : []), ...kernel.filter((k) => k !== first)];
  // In a container, the runtime's layers stand one behind the other; once they are lifted, AppArmor's restriction of the kernel is met.
  if (inContainer && f.apparmorRestrict === 1 && !causes.includes('apparmor-userns')) causes.push('apparmor-userns');
  return causes;
}

/** The runtime's options that lift what the causes name (the `--security-opt` values), in the runtime's words. */
export function securityOptions(runtime: Runtime, causes: readonly CauseId[]): string[] {
  const runtimeCauses = causes.filter((c) => c === 'seccomp' || c === 'apparmor-profile' || c === 'masked-proc' || c === 'selinux' || c === 'unknown' || c === 'root-without-caps' || c === 'setuid-without-caps' || c === 'no-net-admin');
  if (runtimeCauses.length === 0) return [];
  if (runtime === 'podman') {
    // Podman's default seccomp profile lets an unprivileged user namespace be made; its masked /proc is what stops the walls (checked: docs/testing.md).
    const opts = ['unmask=/proc/*'];
    if (causes.includes('seccomp')) opts.push('seccomp=unconfined');
    if (causes.includes('apparmor-profile')) opts.push('apparmor=unconfined');
    if (causes.includes('selinux')) opts.push('label=disable');
    return opts;
  }
  // Docker: each layer hides the next (seccomp, then AppArmor, then the masked /proc): all three, so one rebuild is enough.
  return ['seccomp=unconfined', 'apparmor=unconfined', 'systempaths=unconfined'];
}

const SYSCTL: Partial<Record<CauseId, string>> = {
  'apparmor-userns': 'kernel.apparmor_restrict_unprivileged_userns=0',
  'userns-clone-off': 'kernel.unprivileged_userns_clone=1',
  'max-userns-zero': 'user.max_user_namespaces=15000',
  'ns-exhausted': 'user.max_user_namespaces=15000',
};

/** The sources of the container-as-wall choice, as messages name them. */
export const CONTAINER_WALL_SOURCES = 'your own setting waves.sandbox.container, waves run --container-is-wall or WAVES_SANDBOX_CONTAINER=1';

/** What to change, line by line, exactly: the container's options, then the kernel's switches, then the way around. */
export function fixOf(place: Place, causes: readonly CauseId[], bwrapPath = '/usr/bin/bwrap'): string[] {
  const lines: string[] = [];
  if (causes.includes('wsl1')) {
    lines.push(`convert this distribution to WSL 2: in Windows, wsl --set-version ${place.kind === 'wsl' && place.distro ? place.distro : '<distribution>'} 2`);
    return lines;
  }
  if (place.kind === 'container') {
    const dev = place.dev !== null;
    if (causes.includes('root-without-caps') || causes.includes('no-net-admin'))
      lines.push(dev ? 'run as a user other than root: "remoteUser" (or "containerUser") in devcontainer.json, a user of the image (the Dev Container images have "vscode")' : 'run as a user other than root: --user 1000:1000 (or USER in the image)');
    if (causes.includes('setuid-without-caps')) lines.push(`take bubblewrap's setuid bit away, so it makes a user namespace instead: sudo chmod u-s ${bwrapPath} (in the image's Dockerfile)`);
    const opts = securityOptions(place.runtime, causes);
    if (opts.length) {
      const runArgs = opts.flatMap((o) => ['"--security-opt"', `"${o}"`]).join(', ');
      if (dev) lines.push(`in .devcontainer/devcontainer.json: "runArgs": [${runArgs}], then ${place.dev === 'codespaces' ? 'rebuild the codespace' : 'Rebuild Container'} (with Docker Compose: security_opt: [${opts.map((o) => `"${o}"`).join(', ')}] in its service)`);
      else {
        const cli = place.runtime === 'unknown' ? 'docker run / podman run' : `${place.runtime} run`;
        lines.push(`start the container with ${opts.map((o) => `--security-opt ${o}`).join(' ')} (${cli})`);
        if (place.runtime === 'unknown') lines.push('with Podman, --security-opt unmask=/proc/* is enough; in Kubernetes, a pod whose securityContext allows the same (an Unconfined seccomp profile, procMount: Unmasked)');
      }
    }
  }
  const host = place.kind === 'container' ? 'on the machine that runs the container (with Docker Desktop its Linux VM allows them already)' : place.kind === 'wsl' ? 'in the WSL distribution' : 'on this machine';
  for (const c of causes) {
    const setting = SYSCTL[c];
    if (setting) lines.push(`${host}: sudo sysctl -w ${setting}, and the line ${setting} in a file of /etc/sysctl.d/ to keep it`);
  }
  if (causes.includes('no-userns-kernel')) lines.push(`a kernel with user namespaces, or bubblewrap setuid root: sudo chmod u+s ${bwrapPath}`);
  if (place.kind === 'container') lines.push(`or make the container itself the agents' wall: ${CONTAINER_WALL_SOURCES} (the agents then run without bubblewrap, with all the container lets them reach)`);
  return lines;
}

/** Why the walls cannot be had here, and the fix. */
export interface WallsDiagnosis {
  place: Place;
  causes: CauseId[];
  /** One sentence: where, bubblewrap's own words, what stands in the way. */
  why: string;
  /** What to change, one line each (empty when nothing is known to help). */
  fix: string[];
}

/** bubblewrap's trial failed: why, in a person's words, and the exact fix. */
export function diagnoseWalls(f: WallsFacts, bwrapPath?: string): WallsDiagnosis {
  const place = placeOf(f);
  const causes = causesOf(f);
  const line = trialLine(f.trialError);
  const why = `bubblewrap cannot make walls in ${placeText(place)}${line ? ` (${line})` : ''}: ${causes.map(causeText).join('; and then ')}`;
  return { place, causes, why, fix: fixOf(place, causes, bwrapPath) };
}

/** bubblewrap is not installed: where to get it, for the place. */
export function missingText(place: Place): string {
  const how = 'Debian/Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap';
  if (place.kind === 'wsl') return `bubblewrap (bwrap) is not installed in ${placeText(place)}: install it in the distribution (${how}) to confine agents`;
  if (place.kind === 'container') return `bubblewrap (bwrap) is not installed in ${placeText(place)}: add it to the image (${how}) to confine agents, or make the container itself the agents' wall (${CONTAINER_WALL_SOURCES})`;
  return `bubblewrap (bwrap) is not installed: install it (${how}) to confine agents`;
}

/** Native Windows: no walls; the Linux walls apply in WSL. */
export const WINDOWS_WHY = 'agents cannot be confined on Windows itself: open the folder in WSL, where the Linux walls (bubblewrap) apply';

/** The lines that say how to get into WSL (the editor adds a button that does it). */
export const WINDOWS_FIX: readonly string[] = [
  'in VS Code: Reopen Folder in WSL (the WSL extension, ms-vscode-remote.remote-wsl), then install bubblewrap in the distribution (sudo apt install bubblewrap)',
  'from a terminal: wsl, then waves run in the distribution',
  'how WSL works with VS Code: https://code.visualstudio.com/docs/remote/wsl',
];

/** The WSL extension and its command that reopens the folder in WSL. */
export const WSL_EXTENSION_ID = 'ms-vscode-remote.remote-wsl';
export const WSL_REOPEN_COMMAND = 'remote-wsl.reopenInWSL';
export const WSL_DOCS_URL = 'https://code.visualstudio.com/docs/remote/wsl';

/** Said at a run's start when the container is its agents' wall. */
export function containerWallNote(place: Extract<Place, { kind: 'container' }>): string {
  return `the agents run without bubblewrap: ${placeText(place)} is their wall, as you chose (${CONTAINER_WALL_SOURCES}); they reach all the container reaches`;
}

/** Said when the container-as-wall choice is set but this is not a container: the walls stay bubblewrap's. */
export const NOT_A_CONTAINER_NOTE =
  'the container-as-wall choice counts only inside a container, and this is not one (no /.dockerenv, /run/.containerenv or container cgroup): the agents run inside bubblewrap\'s walls';

/**
 * JSON with comments and trailing commas (VS Code's settings, devcontainer.json) → its value;
 * undefined when it cannot be read. Comments are taken out outside strings only.
 */
export function parseJsonc(text: string): unknown {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  try {
    return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1')) as unknown;
  } catch {
    // not JSON even with comments taken out: the file turns nothing on
    return undefined;
  }
}

const record = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** Whether a settings file (`.vscode/settings.json`; a `.code-workspace` file: its `settings`) turns the container-as-wall choice on. */
export function settingsTurnContainerOn(text: string, workspaceFile = false): boolean {
  const parsed = record(parseJsonc(text));
  const settings = workspaceFile ? record(parsed?.settings) : parsed;
  return settings?.['waves.sandbox.container'] === true;
}

const listed = (v: unknown): boolean => Array.isArray(v) && v.some((x) => typeof x === 'string' && x.trim() !== '');
const said = (v: string): boolean => v.trim() !== '';

/** The person's settings that open the agents' walls, and when a value opens them. */
const OPENING_SETTINGS: Readonly<Record<string, (v: unknown) => boolean>> = {
  'waves.sandbox.container': (v) => v === true,
  'waves.sandbox.unconfined': (v) => v === true,
  'waves.sandbox.allowHosts': listed,
  'waves.sandbox.write': listed,
  'waves.sandbox.read': listed,
  'waves.sandbox.registries': (v) => v === true,
  'waves.sandbox.cache': (v) => typeof v === 'string' && said(v),
  'waves.sandbox.memoryMB': (v) => v === 0,
};

/** The variables of `waves` that open the agents' walls, and when a value opens them. */
const OPENING_VARIABLES: Readonly<Record<string, (v: string) => boolean>> = {
  WAVES_SANDBOX_CONTAINER: yes,
  WAVES_SANDBOX_ALLOW: said,
  WAVES_SANDBOX_WRITE: said,
  WAVES_SANDBOX_READ: said,
  WAVES_SANDBOX_REGISTRIES: yes,
  WAVES_SANDBOX_CACHE: said,
  WAVES_SANDBOX_MEMORY_MB: (v) => v.trim() === '0',
};

/** The first variable of `env` that opens the agents' walls ("WAVES_SANDBOX_ALLOW"), or null. */
export function variableOpeningWalls(env: Readonly<Record<string, string | undefined>>): string | null {
  for (const [name, opens] of Object.entries(OPENING_VARIABLES)) {
    const v = env[name];
    if (v !== undefined && opens(v)) return name;
  }
  return null;
}

/**
 * What a repository's `devcontainer.json` does to open the agents' walls (its settings, which
 * become the container's machine settings; its `containerEnv` or `remoteEnv`, which become the
 * environment of `waves`), or null: "its settings set waves.sandbox.unconfined". `only`: the
 * container-as-wall choice alone. Only the person may open the walls.
 */
export function devcontainerOpensWalls(text: string, only?: 'container'): string | null {
  const parsed = record(parseJsonc(text));
  if (!parsed) return null;
  const settings = [record(record(record(parsed.customizations)?.vscode)?.settings), record(parsed.settings)];
  for (const [key, opens] of Object.entries(OPENING_SETTINGS)) {
    if (only && key !== 'waves.sandbox.container') continue;
    if (settings.some((s) => s !== undefined && key in s && opens(s[key]))) return `its settings set ${key}`;
  }
  for (const where of ['containerEnv', 'remoteEnv']) {
    const env = record(parsed[where]);
    for (const [name, opens] of Object.entries(OPENING_VARIABLES)) {
      if (only && name !== 'WAVES_SANDBOX_CONTAINER') continue;
      const v = env?.[name];
      if (typeof v === 'string' && opens(v)) return `its ${where} sets ${name}`;
    }
  }
  return null;
}

/** What a repository's `devcontainer.json` does to turn the container-as-wall choice on, or null. */
export function devcontainerTurnsContainerOn(text: string): string | null {
  return devcontainerOpensWalls(text, 'container');
}

/**
 * A worktree's dependencies without installing them again (ADR 0026): the folders a package
 * manager fills from a lockfile (`node_modules`, a Python `.venv`) are laid over the tree from the
 * person's own checkout as copy-on-write overlays, inside the agent's walls — when the tree's
 * lockfile is the checkout's, byte for byte. The agent reads the checkout's files and writes its own copy (the
 * overlay's upper folder, beside the tree in git's folder for it); the checkout and every other
 * tree are never written. What is decided here is pure: which folders, and the argv that mounts
 * them before bubblewrap starts (the disk is read by engine/attempt/wallsDeps.ts).
 */
import { shellQuote } from '../util/shellQuote';

/** A folder a package manager fills, the lockfiles that say what it holds, and the manifest it was installed from. */
export interface DependencyFolder {
  folder: string;
  lockfiles: readonly string[];
  manifest: string;
  /**
   * A Python virtual environment: it names its own folder (the checkout's) in its scripts'
   * shebangs, `pyvenv.cfg` and `activate`, so inside the walls the tree's overlay is also mounted
   * at the checkout's folder, and what its site-packages say of the checkout's code (an editable
   * install) is made the tree's (`relocateText`) — or it is not laid.
   */
  venv?: boolean;
}

/** What says what a Python project's virtual environment holds: the lockfiles of uv, Poetry, PDM, Pipenv and PEP 751, and pinned requirements. */
const PYTHON_LOCKFILES = ['uv.lock', 'poetry.lock', 'pdm.lock', 'Pipfile.lock', 'pylock.toml', 'requirements.txt', 'requirements-dev.txt'];

/**
 * The folders laid over a tree, those whose contents follow from a lockfile in the tree's root:
 * `node_modules`, and a Python virtual environment by either name people give it (`.venv`, as uv
 * and Poetry make it; `venv`, as `python -m venv venv` does) — a folder with a `pyvenv.cfg` only.
 */
export const DEPENDENCY_FOLDERS: readonly DependencyFolder[] = [
  { folder: 'node_modules', lockfiles: ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lock', 'bun.lockb'], manifest: 'package.json' },
  { folder: '.venv', lockfiles: PYTHON_LOCKFILES, manifest: 'pyproject.toml', venv: true },
  { folder: 'venv', lockfiles: PYTHON_LOCKFILES, manifest: 'pyproject.toml', venv: true },
];

/**
 * The files of a virtual environment's site-packages (`rel`: relative to it) through which Python
 * finds code at a path of its own: the `.pth` files (path lines, `import` lines), legacy `.egg-link`s,
 * the top-level modules a `.pth` imports (setuptools' `__editable___…_finder.py`, meson-python's
 * loader), and each distribution's `direct_url.json` (an editable install's project folder).
 */
export function venvFileRead(rel: string): boolean {
  return /^[^/]+\.(pth|egg-link|py)$/.test(rel) || /^[^/]+\.dist-info\/direct_url\.json$/.test(rel);
}

/** A path (or a `file://` URL's path) written the checkout's way, and the tree's. */
export interface Respelling {
  from: string;
  to: string;
}

/**
 * `text` with every path into the checkout (each spelling in `moves`: a whole path or a prefix
 * before `/`, never `/repo` in `/repo2`) made the tree's; null when it names none.
 */
export function relocateText(text: string, moves: readonly Respelling[]): string | null {
  let out = text;
  for (const m of moves) {
    const esc = m.from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`${esc}(?=[/'"\\s,;)\\]}]|$)`, 'g'), () => m.to);
  }
  return out === text ? null : out;
}

/** The absolute paths a text names (a `file://` URL's too), for the check that none still leads into the checkout. */
export function absolutePathsIn(text: string): string[] {
  return [...text.matchAll(/(?:^|[\s'"=(,[{:])(?:file:\/\/)?(\/[^\s'"`,;()[\]{}<>]+)/g)].map((m) => m[1]!);
}

/**
 * The folders a `.pth` file (or an `.egg-link`, its first line) adds to Python's path by a
 * relative name — joined to site-packages by Python, so through the checkout's own path a name
 * that climbs out of the environment leads into the checkout (`site.py`: a line that is not
 * blank, a comment or an `import`, its end's spaces dropped).
 */
export function relativePathLines(rel: string, text: string): string[] {
  const lines = text.split('\n').map((l) => l.replace(/\s+$/, ''));
  const asked = rel.endsWith('.egg-link') ? lines.slice(0, 1) : rel.endsWith('.pth') ? lines : [];
  return asked.filter((l) => l !== '' && !l.startsWith('#') && !/^import[ \t]/.test(l) && !l.startsWith('/'));
}

/** The lockfiles (and the manifest) of one folder as read from a tree and from the checkout: name → contents, null when absent. */
export type Lockfiles = Readonly<Record<string, string | null>>;

/**
 * Whether a tree's dependency folder may be laid from the checkout's. A tree with a lockfile: every
 * lockfile present in either is the same in both (a lockfile added, removed or changed on the
 * package's branch means other dependencies). A tree with none — a library that keeps no lockfile
 * in git, whose checkout has one of its own from the person's install — : its manifest is the
 * checkout's, byte for byte (what was installed is what it asks for).
 */
export function lockfilesMatch(tree: Lockfiles, checkout: Lockfiles, manifest?: { tree: string | null; checkout: string | null }): boolean {
  const treeHasOne = Object.values(tree).some((v) => v !== null);
  if (!treeHasOne) return manifest !== undefined && manifest.tree !== null && manifest.tree === manifest.checkout;
  for (const name of new Set([...Object.keys(tree), ...Object.keys(checkout)])) if ((tree[name] ?? null) !== (checkout[name] ?? null)) return false;
  return true;
}

/** One folder laid over a tree: the checkout's folder read-only below, the tree's own changes above. */
export interface LaidFolder {
  /** The checkout's folder (read, never written); or folders `a:b`, the first on top, for a read-only overlay. */
  lower: string;
  /** Where the tree's changes to it are kept (on the same file system as `work`); '' for a read-only overlay. */
  upper: string;
  /** The overlay's own scratch folder; '' for a read-only overlay. */
  work: string;
  /** The folder in the tree the overlay is mounted on (an empty folder on disk). */
  target: string;
  /**
   * The command must not run without it: a layered worktree's own files (git/layers.ts), which
   * are the tree's upper side — without the mount the tree would look emptied. A folder laid for
   * speed only (dependencies) is said and left as it was.
   */
  required?: boolean;
}

/**
 * Whether a path can be named in overlayfs's mount options: its separators (`,` between options,
 * `:` between lower folders) and what the kernel's option parser escapes are refused, not quoted.
 */
export function overlayPathUsable(p: string): boolean {
  return p.startsWith('/') && !/[,:\\\n\r\0"]/.test(p);
}

/**
 * The fixed script that mounts each laid folder, then execs the rest of its arguments (the
 * walls' bubblewrap, or git, by argv). Its arguments: the `mount` program, the number of folders,
 * four paths and a `1` (required) or `0` for each, then the command. Nothing of a plan or an agent
 * is ever part of its text. A folder that cannot be laid is said on stderr and left as it is (an
 * empty folder): the agent then installs its dependencies as it would without. A required one
 * (a layered worktree) that cannot be laid ends the script (exit 70): nothing runs in a tree
 * that would look emptied.
 */
export const OVERLAY_SCRIPT = [
  'm=$1; n=$2; shift 2',
  'while [ "$n" -gt 0 ]; do',
  // No upper folder: a read-only overlay of its lower folders (`a:b`, the first on top).
  '  if [ -z "$2" ]; then o="userxattr,lowerdir=$1"; else o="userxattr,lowerdir=$1,upperdir=$2,workdir=$3"; fi',
  '  if ! "$m" -t overlay overlay -o "$o" "$4"; then',
  '    if [ "$5" = 1 ]; then echo "waves: the worktree $4 could not be laid over $1 (an overlay mount failed): nothing was run in it" >&2; exit 70; fi',
  '    echo "waves: $4 could not be laid from $1 (an overlay mount failed): it stays as it was" >&2',
  '  fi',
  '  shift 5; n=$((n-1))',
  'done',
  'exec "$@"',
].join('\n');

/** The programs the prefix runs (absolute paths, found on the machine). */
export interface OverlayTools {
  unshare: string;
  sh: string;
  mount: string;
}

/**
 * What runs before bubblewrap to lay `laid`: a user and mount namespace of their own (util-linux
 * `unshare`, in which the person is root and may mount an overlay), the script above, then
 * bubblewrap — which must then be given `--unshare-user --uid <uid> --gid <gid>` so the agent is
 * the person again, with no capability left (`bwrapUserArgs`). Empty when nothing is laid.
 */
export function overlayPrefix(tools: OverlayTools, laid: readonly LaidFolder[]): string[] {
  if (laid.length === 0) return [];
  return [tools.unshare, '--user', '--map-root-user', '--mount', '--', tools.sh, '-c', OVERLAY_SCRIPT, 'sh', tools.mount, String(laid.length), ...laid.flatMap((l) => [l.lower, l.upper, l.work, l.target, l.required ? '1' : '0'])];
}

/** bubblewrap's arguments that give the agent back the person's own ids inside the namespace the prefix made. */
export function bwrapUserArgs(uid: number, gid: number): string[] {
  return ['--unshare-user', '--uid', String(uid), '--gid', String(gid)];
}

/** npm's commands that install a project's dependencies from its lockfile, and the flags that change only what they print. */
const NPM_INSTALLS = new Set(['ci', 'clean-install', 'install', 'i']);
const NPM_QUIET_FLAGS = /^--(no-audit|no-fund|prefer-offline|silent|quiet|no-progress|loglevel=[a-z]+)$/;

/** Whether `argv` is npm installing a project's dependencies as its lockfile says — `npm ci` (`clean-install`, `install`, `i`) with no argument but flags that change only its output. */
export function isNpmInstall(argv: readonly string[]): boolean {
  const [program, command, ...rest] = argv;
  return !!program && /(^|\/)npm$/.test(program) && NPM_INSTALLS.has(command ?? '') && rest.every((a) => NPM_QUIET_FLAGS.test(a));
}

/** Where an agent's `npm ci` is answered by the laid `node_modules` (`npmCiShim`). */
export interface NpmCiShimPlace {
  /** The npm it stands for (absolute, links followed: found on the agent's PATH before the walls were drawn). */
  npm: string;
  /** The tree (its real path): only an `npm ci` run there is answered. */
  tree: string;
  /** The checkout's node_modules, laid over the tree's. */
  lower: string;
  /** Where the tree's changes to the laid folder are kept: while it is empty, nothing changed it. */
  upper: string;
  /** The tree's package.json and package-lock.json as they were when the folder was found installed as they ask. */
  manifest: string;
  lockfile: string;
}

/**
 * The `npm` an agent's walls put first on its PATH when they lay a checkout's `node_modules` that
 * npm installed as the tree's lockfile asks (ADR 0026): `npm ci` (`clean-install`, `ic`,
 * `install-clean`, with flags that change only what it prints), run in the tree while its
 * package.json and package-lock.json are as they were and nothing changed the laid folder, says
 * so and ends at once — npm would remove the folder and write the same packages again (the
 * confined run's cost on a real project). Anything else is npm itself, with its arguments as given.
 */
export function npmCiShim(place: NpmCiShimPlace): string {
  return [
    '#!/bin/sh',
    "# Wave Orchestrator's walls (ADR 0026): `npm ci` over the node_modules they laid, installed as the lockfile asks. Anything else: npm.",
    `npm=${shellQuote(place.npm)}`,
    'laid() {',
    `  [ "$(pwd -P)" = ${shellQuote(place.tree)} ] || return 1`,
    '  case "$1" in ci|clean-install|ic|install-clean) ;; *) return 1 ;; esac',
    '  shift',
    '  for a in "$@"; do case "$a" in --no-audit|--no-fund|--prefer-offline|--silent|--quiet|--no-progress|--loglevel=*) ;; *) return 1 ;; esac; done',
    `  [ -d ${shellQuote(place.upper)} ] && [ -z "$(ls -A ${shellQuote(place.upper)})" ] || return 1`,
    `  cmp -s package.json ${shellQuote(place.manifest)} && cmp -s package-lock.json ${shellQuote(place.lockfile)} && [ ! -e npm-shrinkwrap.json ]`,
    '}',
    'if laid "$@"; then',
    `  echo ${shellQuote(`waves: npm ci not run: node_modules is laid from ${place.lower} (copy-on-write inside the walls), which npm installed exactly as package-lock.json asks, and nothing has changed it or the lockfile since; npm ci would write the same packages again. Once node_modules or the lockfile changed, npm ci runs (or now: npm ci --force).`)}`,
    '  exit 0',
    'fi',
    'exec "$npm" "$@"',
    '',
  ].join('\n');
}

/** The lifecycle scripts npm runs of the project itself when it installs (a `prepare` that builds, a `postinstall`), by name; [] when none or the manifest cannot be read. */
export function installScriptsOf(packageJson: string): string[] {
  try {
    const scripts = (JSON.parse(packageJson) as { scripts?: Record<string, unknown> }).scripts ?? {};
    return ['preinstall', 'install', 'postinstall', 'preprepare', 'prepare', 'postprepare', 'dependencies'].filter((s) => typeof scripts[s] === 'string');
  } catch {
    // a package.json not JSON: npm itself refuses it; no install scripts to name
    return [];
  }
}

/**
 * Whether a `node_modules` is what a `package-lock.json` asks for, by npm's own record of what it
 * installed there (`node_modules/.package-lock.json`, its "hidden lockfile"): the same packages
 * (every `node_modules/…` entry of the lockfile, and no other), each at the same version with the
 * same hash (the same source, for one without a hash). null when it is; else what differs, for a log.
 */
export function installedAsLocked(lockfile: string, hidden: string): string | null {
  type Entry = { version?: unknown; resolved?: unknown; integrity?: unknown; link?: unknown };
  const packagesOf = (text: string): Record<string, Entry> | null => {
    try {
      const p = (JSON.parse(text) as { packages?: unknown }).packages;
      return p && typeof p === 'object' ? (p as Record<string, Entry>) : null;
    } catch {
      // a lockfile not JSON: no packages read from it
      return null;
    }
  };
  const locked = packagesOf(lockfile);
  const installed = packagesOf(hidden);
  if (!locked) return 'package-lock.json has no packages npm 7 or later reads';
  if (!installed) return "npm's record of what it installed (node_modules/.package-lock.json) cannot be read";
  const keys = (p: Record<string, Entry>) => Object.keys(p).filter((k) => k.startsWith('node_modules/') || k.includes('/node_modules/'));
  const want = keys(locked);
  const have = new Set(keys(installed));
  for (const k of want) {
    const a = locked[k]!;
    const b = installed[k];
    if (!b) {
      // npm leaves out of its record what it did not install here (an optional package of another platform).
      if ((a as { optional?: unknown }).optional === true) continue;
      return `${k.replace(/^node_modules\//, '')} is not installed`;
    }
    have.delete(k);
    // Its bytes by their hash when the lockfile has one (a mirror's address may differ: npm may not write it down); else by its source (a git commit, a folder).
    const fields = ['version', 'link', a.integrity !== undefined ? 'integrity' : 'resolved'] as const;
    for (const f of fields) if ((a[f] ?? null) !== (b[f] ?? null)) return `${k.replace(/^node_modules\//, '')}: its ${f} is not the lockfile's`;
  }
  if (have.size) return `${[...have][0]!.replace(/^node_modules\//, '')} is installed but not in the lockfile`;
  return null;
}

/**
 * How a tree's dependency folders are laid from the checkout on a platform (ADR 0026, ADR 0033):
 * `overlay` on Linux (mounted inside the walls, copy-on-write), `clone` on macOS (APFS clones made
 * in the tree before the agent starts: Seatbelt mounts nothing), null elsewhere. Which folders,
 * and whether the tree's lockfile allows it, is one rule for both (`lockfilesMatch`).
 */
export function layingMechanism(platform: string): 'overlay' | 'clone' | null {
  return platform === 'linux' ? 'overlay' : platform === 'darwin' ? 'clone' : null;
}

/** macOS's own cp (never one on a PATH): `-c` makes each file with clonefile(2), an APFS clone. */
export const CLONE_CP = '/bin/cp';

/**
 * The argv that clones the checkout's folder `from` into the tree as `to` (which must not exist:
 * cp then makes it, links kept as links): by argv, never a shell. `cp -c` fails where the volume
 * cannot clone (not APFS, or another volume than the checkout's); nothing then falls back to a copy.
 */
export function cloneArgv(from: string, to: string): string[] {
  return [CLONE_CP, '-c', '-R', from, to];
}

/**
 * Why `dep` is not cloned even when its lockfile allows it, or null. A virtual environment names
 * its own folder (the checkout's) in its scripts, `pyvenv.cfg` and `activate`: on Linux the walls
 * show the tree's overlay at that folder too; a clone cannot, and would run the checkout's.
 */
export function cloneRefusal(dep: DependencyFolder): string | null {
  return dep.venv ? `${dep.folder}: not cloned (a virtual environment names the checkout's folder in its scripts, which a clone would still run: make it in the tree)` : null;
}

/** The attempt's log line for a folder cloned into the tree. */
export function clonedNote(folder: string, from: string): string {
  return `${folder}: cloned from ${from} (APFS clones, copy-on-write: the tree's own, made before the agent started)`;
}

/** The attempt's log line for a folder that could not be cloned: nothing copied, the tree left as it was. */
export function cloneFailedNote(folder: string, from: string, why: string): string {
  return `${folder}: could not be cloned from ${from} (${why}); cp -c makes APFS clones only, on the checkout's own APFS volume: nothing was copied, the tree is as it was (install them)`;
}

/**
 * A worktree's dependencies without installing them again (ADR 0026): the folders a package
 * manager fills from a lockfile (`node_modules`) are laid over the tree from the person's own
 * checkout as copy-on-write overlays, inside the agent's walls — when the tree's lockfile is the
 * checkout's, byte for byte. The agent reads the checkout's files and writes its own copy (the
 * overlay's upper folder, beside the tree in git's folder for it); the checkout and every other
 * tree are never written. What is decided here is pure: which folders, and the argv that mounts
 * them before bubblewrap starts (the disk is read by engine/attempt/wallsDeps.ts).
 */

/** A folder a package manager fills, the lockfiles that say what it holds, and the manifest it was installed from. */
export interface DependencyFolder {
  folder: string;
  lockfiles: readonly string[];
  manifest: string;
}

/**
 * The folders laid over a tree. Only those whose contents follow from a lockfile in the tree's
 * root and hold no absolute path of their own: a Python virtual environment names its folder in
 * its scripts and `pyvenv.cfg`, so a `.venv` laid elsewhere would still run the checkout's.
 */
export const DEPENDENCY_FOLDERS: readonly DependencyFolder[] = [
  { folder: 'node_modules', lockfiles: ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lock', 'bun.lockb'], manifest: 'package.json' },
];

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
  /** The checkout's folder (read, never written). */
  lower: string;
  /** Where the tree's changes to it are kept (on the same file system as `work`). */
  upper: string;
  /** The overlay's own scratch folder. */
  work: string;
  /** The folder in the tree the overlay is mounted on (an empty folder on disk). */
  target: string;
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
 * walls' bubblewrap, by argv). Its arguments: the `mount` program, the number of folders, four
 * paths for each, then the command. Nothing of a plan or an agent is ever part of its text.
 * A folder that cannot be laid is said on stderr and left as it is (an empty folder): the agent
 * then installs its dependencies as it would without.
 */
export const OVERLAY_SCRIPT = [
  'm=$1; n=$2; shift 2',
  'while [ "$n" -gt 0 ]; do',
  '  "$m" -t overlay overlay -o "userxattr,lowerdir=$1,upperdir=$2,workdir=$3" "$4" || echo "waves: $4 could not be laid from $1 (an overlay mount failed): it stays empty" >&2',
  '  shift 4; n=$((n-1))',
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
  return [tools.unshare, '--user', '--map-root-user', '--mount', '--', tools.sh, '-c', OVERLAY_SCRIPT, 'sh', tools.mount, String(laid.length), ...laid.flatMap((l) => [l.lower, l.upper, l.work, l.target])];
}

/** bubblewrap's arguments that give the agent back the person's own ids inside the namespace the prefix made. */
export function bwrapUserArgs(uid: number, gid: number): string[] {
  return ['--unshare-user', '--uid', String(uid), '--gid', String(gid)];
}

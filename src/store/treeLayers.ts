/**
 * Layered worktrees (ADR 0032), as read from the disk. A layered tree's files are one shared
 * checkout of a commit (its base: read, never written) with the tree's own changes on top — an
 * overlay whose upper side is the tree's own folder, mounted only inside a mount namespace: the
 * agents' walls and the engine's git (engine/git/layers.ts). On the disk, outside, the folder holds
 * only its `.git` file and what was changed there (a deletion is overlayfs's whiteout, a 0/0
 * character device).
 *
 * Everything lives in the repository's common git folder, under `waves-layers/`, where no agent's
 * walls let it write (they allow `objects/`, its refs and its own tree's folder there): the bases
 * (`bases/<commit>/` and the index git wrote for them), the overlays' scratch folders
 * (`work/<id>/`) and each tree's record (`trees/<id>.json`, the id a hash of the tree's real
 * path). A tree without a record is an ordinary checkout. Node built-ins and src/store only (the
 * runner reads it to draw the walls).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { overlayPrefix, type LaidFolder } from '../core/walls/dependencyFolders';
import { gitDirsOf } from './gitDirs';
import { programOnPath } from './onPath';
import { workTreeOf } from '../util/workTree';

export const LAYERS_FOLDER = 'waves-layers';

/** A layered tree: its folder (the overlay's upper side and where it is mounted), its base's files below, the overlay's scratch folder. */
export interface TreeLayer {
  /** The tree's real path. */
  tree: string;
  /** The commit its base checkout holds. */
  base: string;
  /** The base checkout's folder (the overlay's lower side). */
  lower: string;
  /** The index git wrote for the base (its files' stat data): a new tree's starts as a copy. */
  baseIndex: string;
  /** The overlay's scratch folder (same file system as the tree). */
  work: string;
  /** The repository's common git folder (its real path), where the layer's files are kept. */
  commonDir: string;
}

const realOr = (p: string): string => {
  try {
    return fs.realpathSync(p);
  } catch {
    // not there yet: its absolute path
    return path.resolve(p);
  }
};

/** `<common>/waves-layers`. */
export const layersDir = (commonDir: string): string => path.join(commonDir, LAYERS_FOLDER);
/** The id of a tree's record and scratch folder: a hash of its real path. */
export const layerId = (tree: string): string => crypto.createHash('sha256').update(realOr(tree)).digest('hex').slice(0, 20);
export const layerRecordPath = (commonDir: string, tree: string): string =>
  path.join(layersDir(commonDir), 'trees', `${layerId(tree)}.json`);
/** The base checkout of `commit` and the index git wrote for it (its files' stat data). */
export const basePaths = (commonDir: string, commit: string): { files: string; index: string } => ({
  files: path.join(layersDir(commonDir), 'bases', commit),
  index: path.join(layersDir(commonDir), 'bases', `${commit}.index`),
});

/** The record of the layered tree holding `cwd` (its work tree's root), or null: an ordinary tree, no tree, or a record that does not name it. */
export function layerOf(cwd: string): TreeLayer | null {
  try {
    const wt = workTreeOf(cwd);
    if (!wt || !wt.dotGit.isFile()) return null;
    const dirs = gitDirsOf(wt.root, wt);
    if (!dirs || dirs.gitDir === dirs.commonDir) return null;
    // No tree of the repository laid (most runs): nothing more to read. Asked before every git call.
    if (!fs.statSync(path.join(layersDir(dirs.commonDir), 'trees'), { throwIfNoEntry: false })) return null;
    const common = realOr(dirs.commonDir);
    const text = fs.readFileSync(layerRecordPath(common, wt.root), 'utf8');
    return layerFromRecord(text, realOr(wt.root), common);
  } catch {
    // no record (an ordinary tree), or nothing readable there: git itself says what it finds
    return null;
  }
}

/** A record's layer when it is one for `tree` whose folders are where the engine puts them (in `common`'s waves-layers); else null. */
export function layerFromRecord(text: string, tree: string, common: string): TreeLayer | null {
  let r: Partial<TreeLayer>;
  try {
    r = JSON.parse(text) as Partial<TreeLayer>;
  } catch {
    // a record not JSON: not a layered tree
    return null;
  }
  if (typeof r.tree !== 'string' || typeof r.base !== 'string' || !/^[0-9a-f]{40,64}$/.test(r.base)) return null;
  if (r.tree !== tree) return null;
  const base = basePaths(common, r.base);
  return { tree, base: r.base, lower: base.files, baseIndex: base.index, work: path.join(layersDir(common), 'work', layerId(tree)), commonDir: common };
}

/**
 * Where a file in the tree's root (`name`: no `/`) is read from outside: its own folder when the
 * tree has it there, nothing when it was deleted there (a whiteout), else the base's. For an
 * ordinary tree, the tree's own path.
 */
export function fileInTree(tree: string, name: string, layer: TreeLayer | null = layerOf(tree)): string | null {
  const own = path.join(tree, name);
  if (!layer) return own;
  const st = fs.lstatSync(own, { throwIfNoEntry: false });
  if (st) return st.isCharacterDevice() && st.rdev === 0 ? null : own;
  const below = path.join(layer.lower, name);
  return fs.existsSync(below) ? below : null;
}

/** The programs that mount a layer (util-linux `unshare` and `mount`, a POSIX sh), or null when one is missing. */
export function layerMountTools(): { unshare: string; mount: string; sh: string } | null {
  const unshare = programOnPath('unshare');
  const mount = programOnPath('mount');
  const sh = fs.existsSync('/bin/sh') ? '/bin/sh' : programOnPath('sh');
  return unshare && mount && sh ? { unshare, mount, sh } : null;
}

/**
 * What mounts a layered tree, then runs the rest of its argv: a user and mount namespace of its
 * own with the overlay mounted at the tree (core/walls/dependencyFolders.ts's script; the layer
 * required: without it nothing runs). A command started in the tree's folder must enter it again
 * (`git -C <tree>`, bubblewrap's `--chdir`): its folder is the one under the mount. `work`: the
 * mount's scratch folder (`layerLaid`). Throws, naming what is missing, when the layer cannot be
 * laid here.
 */
export function layerMountPrefix(layer: TreeLayer, work?: string): string[] {
  const tools = layerMountTools();
  if (!tools) throw noMountTools(layer);
  return overlayPrefix(tools, [layerLaid(layer, work)]);
}

/** Why a layered tree cannot be laid on this machine: its programs are missing. */
export function noMountTools(layer: TreeLayer): Error {
  return new Error(
    `the worktree ${layer.tree} is layered over ${layer.lower}, and this machine has no unshare or mount (util-linux) to lay it: install util-linux`,
  );
}

/**
 * The layer as one laid folder, required; throws when its base is gone. Its scratch folder (the
 * overlay's workdir) is `work` when given — the engine's gits take one per process, one mount at a
 * time (gitRun.ts) — else a new one in the tree's (`walls-*`). Never two mounts at once on one: a
 * mount starting cleans its scratch folder's `work/`, and a mount writing there meanwhile fails
 * (`special device overlay does not exist`). All go with the tree's (`dropLayer`).
 */
export function layerLaid(layer: TreeLayer, work?: string): LaidFolder {
  if (!fs.existsSync(layer.lower))
    throw new Error(
      `the worktree ${layer.tree} is layered over ${layer.lower}, which is gone: its own changes are in its folder; move them away, then remove the tree (git worktree remove --force)`,
    );
  fs.mkdirSync(layer.work, { recursive: true });
  let scratch = work;
  if (scratch) fs.mkdirSync(scratch, { recursive: true });
  else scratch = fs.mkdtempSync(path.join(layer.work, 'walls-'));
  return { lower: layer.lower, upper: layer.tree, work: scratch, target: layer.tree, required: true };
}

/** A folder removed, an overlay's scratch folder too (the kernel makes its `work/work` mode 000). */
export function removeOverlayFolder(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    // the overlay's scratch folder has mode 000: made removable below
    try {
      for (const sub of fs.readdirSync(dir, { recursive: true }) as string[]) fs.chmodSync(path.join(dir, sub), 0o700);
      fs.chmodSync(dir, 0o700);
    } catch {
      // what can be opened is
    }
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
  }
}

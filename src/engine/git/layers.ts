/**
 * Layered worktrees (ADR 0032; what they are: store/treeLayers.ts). A new package tree of a large
 * repository costs a checkout of every file (a second or more per 20,000 files, and the disk is
 * the bound: forty trees at once take forty times one). Layered, a tree costs its `.git` file and
 * an index: its files are one shared checkout of a base commit, read-only below, with the tree's
 * own changes above, mounted only where the tree is used — inside an agent's walls and around
 * each git the engine runs in it. The base is made once per commit, in the repository's checkout
 * turns; a tree at another commit near one (at most `NEAR_BASE_PATHS` paths differ) is laid
 * over it, its own folder holding the difference.
 *
 * Safety rests on the overlay, not on an agent: the base is only ever overlayfs's lower side
 * (never written), each tree writes only its own folder, and a tree whose layer cannot be mounted
 * runs nothing (the mount script stops, exit 70) — its folder alone would look emptied to git.
 */
import fs from 'node:fs';
import path from 'node:path';
import { basePaths, layerOf, layerRecordPath, layersDir, removeOverlayFolder, type TreeLayer } from '../../store/treeLayers.js';
import { writeAtomic } from '../../store/atomicWrite.js';
import { headOnDisk, repoDirs } from './gitOnDisk.js';
import { git, gitOut } from './gitRun.js';
import { inCheckoutTurn } from './repoTurns.js';
import { realPathOr as real } from './staleLocks.js';

/** A tree at most this many paths away from an existing base is laid over it (its folder holds the difference); farther, a base of its own is made. */
export const NEAR_BASE_PATHS = 2000;

/** Bases being made in this process, by their folder: callers for one commit share one making. */
const making = new Map<string, Promise<void>>();

/** The base checkout of `commit` (files and index), made when there is none; in the repository's checkout turn. */
async function baseAt(repo: string, commonDir: string, commit: string, ahead: boolean): Promise<{ files: string; index: string }> {
  const base = basePaths(commonDir, commit);
  if (fs.existsSync(base.index) && fs.existsSync(base.files)) return base;
  let made = making.get(base.files);
  if (!made) {
    made = inCheckoutTurn(repo, ahead, () => makeBase(repo, base, commit)).finally(() => making.delete(base.files));
    making.set(base.files, made);
  }
  await made;
  return base;
}

/**
 * Writes the base: every file of `commit` into a folder of its own through an index of its own
 * (`checkout-index -u`: the files' stat data in it), both renamed into place when whole — the
 * folder first; a folder without its index is a making stopped in the middle, made again.
 */
async function makeBase(repo: string, base: { files: string; index: string }, commit: string): Promise<void> {
  if (fs.existsSync(base.index) && fs.existsSync(base.files)) return;
  const parent = path.dirname(base.files);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, '.making-'));
  const files = path.join(tmp, 'files');
  const index = path.join(tmp, 'index');
  try {
    fs.mkdirSync(files);
    const env = { GIT_INDEX_FILE: index };
    await git(repo, ['read-tree', commit], [0], env);
    await git(repo, ['--work-tree', files, 'checkout-index', '--all', '-u'], [0], env);
    fs.rmSync(base.files, { recursive: true, force: true }); // a making stopped before its index
    fs.renameSync(files, base.files);
    fs.renameSync(index, base.index);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The existing base nearest `commit`: fewest paths between them, at most NEAR_BASE_PATHS; null when none is near. */
async function nearestBase(repo: string, commonDir: string, commit: string): Promise<string | null> {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(layersDir(commonDir), 'bases')).filter((n) => /^[0-9a-f]{40,64}\.index$/.test(n));
  } catch {
    // no bases folder yet: no base is near
    return null;
  }
  let best: { commit: string; paths: number } | null = null;
  for (const name of names) {
    const at = name.slice(0, -'.index'.length);
    if (!fs.existsSync(basePaths(commonDir, at).files)) continue;
    const r = await git(repo, ['diff-tree', '-r', '--name-only', '--no-renames', '-z', at, commit], [0, 128]);
    if (r.code !== 0) continue;
    const paths = r.stdout.split('\0').filter(Boolean).length;
    if (paths <= NEAR_BASE_PATHS && (!best || paths < best.paths)) best = { commit: at, paths };
  }
  return best?.commit ?? null;
}

/**
 * Makes a tree `worktree add --no-checkout` registered a layered one: its base chosen (its HEAD's
 * own, or one near it) or made, then its record written. Its files come next (halfMade.ts
 * `checkOutNewTree`, through `writeLayeredFiles`); stopped before, the tree has no index: half made,
 * finished the same way on its next use.
 */
export async function layTree(repo: string, tree: string, ahead: boolean): Promise<void> {
  const dirs = repoDirs(tree);
  if (!dirs) throw new Error(`${tree} is not a worktree git made`);
  const commonDir = real(dirs.commonDir);
  const head = await gitOut(tree, ['rev-parse', '--verify', 'HEAD^{commit}']);
  // Chosen and claimed at once, against a removal dropping it meanwhile (`dropUnusedBases`); claimed until the record names it.
  const baseCommit = await inBasesTurn(commonDir, async () => {
    const chosen = fs.existsSync(basePaths(commonDir, head).index) ? head : ((await nearestBase(repo, commonDir, head)) ?? head);
    claimed.set(chosen, (claimed.get(chosen) ?? 0) + 1);
    return chosen;
  });
  try {
    await baseAt(repo, commonDir, baseCommit, ahead);
    const record = layerRecordPath(commonDir, tree);
    fs.mkdirSync(path.dirname(record), { recursive: true });
    await writeAtomic(record, `${JSON.stringify({ tree: real(tree), base: baseCommit }, null, 2)}\n`);
  } finally {
    const n = (claimed.get(baseCommit) ?? 1) - 1;
    if (n > 0) claimed.set(baseCommit, n);
    else claimed.delete(baseCommit);
  }
}

/** Bases a tree being laid has chosen and its record does not name yet: never dropped. */
const claimed = new Map<string, number>();
/** The turns of choosing a base and dropping bases, one at a time per common git folder. */
const basesTurns = new Map<string, Promise<unknown>>();

function inBasesTurn<T>(commonDir: string, fn: () => Promise<T>): Promise<T> {
  const before = basesTurns.get(commonDir) ?? Promise.resolve();
  const mine = before.then(fn, fn);
  const settled = mine.catch(() => undefined);
  basesTurns.set(commonDir, settled);
  void settled.then(() => {
    if (basesTurns.get(commonDir) === settled) basesTurns.delete(commonDir);
  });
  return mine;
}

/**
 * A layered tree's files as its HEAD has them, through an index of its own (`finishing`): the
 * base's index copied (its files' stat data, which the layer shows unchanged). A tree at its base's
 * commit with nothing in its folder yet is then whole: nothing is read or written. Otherwise the
 * index is brought to HEAD through the mounted layer (`read-tree --reset -u`: what differs from
 * the base is written into the tree's folder, and what a stopped making left there is put right).
 * Returns the environment naming that index (halfMade.ts renames it into place).
 */
export async function writeLayeredFiles(tree: string, layer: TreeLayer, finishing: string): Promise<{ GIT_INDEX_FILE: string }> {
  const env = { GIT_INDEX_FILE: finishing };
  fs.copyFileSync(layer.baseIndex, finishing);
  const head = headOnDisk(tree)?.id ?? (await gitOut(tree, ['rev-parse', '--verify', 'HEAD^{commit}']));
  const untouched = fs.readdirSync(tree).every((name) => name === '.git');
  if (head !== layer.base || !untouched) await git(tree, ['read-tree', '--reset', '-u', 'HEAD'], [0], env);
  return env;
}

/**
 * After a layered tree was removed: its record and scratch folder go, and each base no tree's
 * record names any more (and none is being made). A base is first moved aside, then deleted
 * only when still no record names it (a tree recorded meanwhile gets it back).
 */
export async function dropLayer(layer: TreeLayer): Promise<void> {
  fs.rmSync(layerRecordPath(layer.commonDir, layer.tree), { force: true });
  removeOverlayFolder(layer.work);
  await dropUnusedBases(layer.commonDir);
}

/**
 * The records (and scratch folders) of layered trees that are gone — `trees`: the repository's
 * linked worktrees now; a tree removed by hand (`git worktree remove --force`) leaves its record —
 * then the bases no record names. Returns the folders removed.
 */
export async function dropStaleLayers(commonDirAsGiven: string, trees: readonly string[]): Promise<string[]> {
  const commonDir = real(commonDirAsGiven);
  const live = new Set(trees.map((t) => layerRecordPath(commonDir, t)));
  const dir = path.join(layersDir(commonDir), 'trees');
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    // no layered tree recorded yet: nothing is stale
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const record = path.join(dir, n);
    if (live.has(record)) continue;
    fs.rmSync(record, { force: true });
    removeOverlayFolder(path.join(layersDir(commonDir), 'work', n.slice(0, -'.json'.length)));
  }
  const bases = path.join(layersDir(commonDir), 'bases');
  const before = new Set(fs.existsSync(bases) ? fs.readdirSync(bases) : []);
  await dropUnusedBases(commonDir);
  const after = new Set(fs.existsSync(bases) ? fs.readdirSync(bases) : []);
  for (const b of before) if (!after.has(b) && !b.endsWith('.index') && !b.startsWith('.')) removed.push(path.join(bases, b));
  return removed;
}

/** Whether `tree` is a layered worktree (its record in the repository names it): its folder on disk holds only its own changes. */
export function isLayeredTree(tree: string): boolean {
  return layerOf(tree) !== null;
}

/** Every base of `commonDir` that no tree's record names (and none is being made in this process): removed. Returns how many. */
export async function dropUnusedBases(commonDirAsGiven: string): Promise<number> {
  const commonDir = real(commonDirAsGiven);
  return inBasesTurn(commonDir, async () => dropUnusedBasesNow(commonDir));
}

function dropUnusedBasesNow(commonDir: string): number {
  const bases = path.join(layersDir(commonDir), 'bases');
  let names: string[];
  try {
    names = fs.readdirSync(bases);
  } catch {
    // no bases folder yet: none to drop
    return 0;
  }
  let dropped = 0;
  for (const name of names.filter((n) => /^[0-9a-f]{40,64}$/.test(n))) {
    const files = path.join(bases, name);
    if (making.has(files) || claimed.has(name) || baseNamed(commonDir).has(name)) continue;
    const aside = path.join(bases, `.dropping-${name}-${process.pid}`);
    try {
      fs.renameSync(files, aside);
    } catch {
      // gone meanwhile, or it cannot be moved: left for a later sweep
      continue;
    }
    if (baseNamed(commonDir).has(name)) {
      fs.renameSync(aside, files); // a tree took it meanwhile
      continue;
    }
    fs.rmSync(`${files}.index`, { force: true });
    removeOverlayFolder(aside);
    dropped++;
  }
  return dropped;
}

/** The base commits the trees' records name. */
function baseNamed(commonDir: string): Set<string> {
  const out = new Set<string>();
  const dir = path.join(layersDir(commonDir), 'trees');
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    // no trees folder yet: no record names a base
    return out;
  }
  for (const n of names) {
    try {
      const r = JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as { base?: unknown };
      if (typeof r.base === 'string') out.add(r.base);
    } catch {
      // a record being written: its base stays (the next removal looks again)
    }
  }
  return out;
}

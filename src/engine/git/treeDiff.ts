/**
 * The scope audit's input (docs/run-engine.md, "Git and audit"): where a package's tree stands
 * after its agent, what a commit changes tree to tree, and which paths the ignore rules ignore.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { toFileChange, type AuditChange } from '../../core/run/audit.js';
import { SAFE_CONFIG_ARGS } from './gitSafety.js';
import { repoDirs, treeOnDisk } from './gitOnDisk.js';
import { git, GitError, headState, revParse } from './gitRun.js';
import { parseRawDiffZ, splitZ, SYMLINK_MODE, type RawChange } from '../../core/git/gitParse.js';

/** Where a package's tree stands after its agent: on its branch or not, and the commits involved. */
export interface TreeInspection {
  /** HEAD is the symbolic ref `refs/heads/<branch>` and no merge, rebase, cherry-pick or revert is under way. */
  onBranch: boolean;
  /** For a person: `on other-branch`, `detached at 1a2b3c4d5e6f`, `in the middle of a rebase`. */
  where: string;
  /** The commit HEAD names (null: none). */
  head: string | null;
  /** The branch's tip (null: the branch is gone). */
  tip: string | null;
}

/** HEAD of `tree` vs `refs/heads/<branch>`, and any operation under way (git's own marker files). */
export async function inspectTree(tree: string, branch: string): Promise<TreeInspection> {
  const gitPaths = ['MERGE_HEAD', 'rebase-merge', 'rebase-apply', 'CHERRY_PICK_HEAD', 'REVERT_HEAD'];
  // Usually one call answers all of it; anything unusual is asked question by question below.
  const fast = await headState(tree, [`refs/heads/${branch}^{commit}`], gitPaths);
  if (fast) return judgeTree(tree, branch, fast.ref ?? '', fast.head, fast.revs[0]!, fast.gitPaths);
  const [symbolic, head, tip, markers] = await Promise.all([
    git(tree, ['symbolic-ref', '--quiet', 'HEAD'], [0, 1, 128]),
    revParse(tree, 'HEAD'),
    revParse(tree, `refs/heads/${branch}`),
    git(tree, ['rev-parse', ...gitPaths.flatMap((g) => ['--git-path', g])]),
  ]);
  return judgeTree(tree, branch, symbolic.code === 0 ? symbolic.stdout.trim() : '', head, tip, splitLines(markers.stdout));
}

function judgeTree(tree: string, branch: string, ref: string, head: string | null, tip: string | null, markers: readonly string[]): TreeInspection {
  const names = ['a merge', 'a rebase', 'a rebase', 'a cherry-pick', 'a revert'];
  const busy = markers.findIndex((p) => fs.existsSync(path.resolve(tree, p)));
  if (busy >= 0) return { onBranch: false, where: `in the middle of ${names[busy]}`, head, tip };
  if (ref === `refs/heads/${branch}`) return { onBranch: true, where: `on ${branch}`, head, tip };
  const where = ref ? `on ${ref.replace(/^refs\/heads\//, '')}` : `detached at ${head ? head.slice(0, 12) : 'no commit'}`;
  return { onBranch: false, where, head, tip };
}

const splitLines = (text: string): string[] => text.split('\n').map((l) => l.trim()).filter(Boolean);

/**
 * What `to` changes against `from`, tree to tree (`diff --raw --no-renames`), for the audit:
 * each change with the target of a symbolic link it creates and whether an added path is one
 * the repository ignores (so it was added with `git add -f`). `cwd` is a work tree whose
 * ignore rules apply.
 */
export async function treeChanges(cwd: string, from: string, to: string): Promise<AuditChange[]> {
  const raw = parseRawDiffZ(await rawTreeDiff(cwd, from, to));
  const links = raw.filter((c) => c.change !== 'deleted' && c.newMode === SYMLINK_MODE);
  const added = raw.filter((c) => c.change === 'added').map((c) => c.path);
  const [targets, ignored] = await Promise.all([
    Promise.all(links.map(async (c) => [c.path, (await git(cwd, ['cat-file', 'blob', c.newSha])).stdout] as const)),
    added.length === 0 ? Promise.resolve(new Set<string>()) : ignoredAmong(cwd, added),
  ]);
  const linkOf = new Map(targets);
  return raw.map((c) => ({
    path: c.path,
    change: toFileChange(c.change),
    ...(linkOf.has(c.path) ? { link: linkOf.get(c.path)! } : {}),
    ...(ignored.has(c.path) ? { ignored: true } : {}),
  }));
}

/** What `to` changes against `from`, tree to tree, as `diff --raw` says it (modes and blobs): the same read as `treeChanges`'s, shared. */
export async function treeRawChanges(cwd: string, from: string, to: string): Promise<RawChange[]> {
  return parseRawDiffZ(await rawTreeDiff(cwd, from, to));
}

/**
 * Tree-to-tree `diff --raw` outputs by the two trees' ids (and the repository): a pure function of
 * them. The merge asks what the package's audit asked a moment before whenever the merged tree is
 * the package's own and the tip its base (a chain, a package alone): one git process fewer.
 */
const rawDiffs = new Map<string, Promise<string>>();
const RAW_DIFFS_KEPT = 64;

function rawTreeDiff(cwd: string, from: string, to: string): Promise<string> {
  const dirs = repoDirs(cwd);
  const fromTree = dirs ? treeOnDisk(dirs.commonDir, from) : null;
  const toTree = dirs && fromTree ? treeOnDisk(dirs.commonDir, to) : null;
  const key = dirs && fromTree && toTree ? `${dirs.commonDir}\0${fromTree}\0${toTree}` : null;
  // One asked while the same pair is being read waits for that read.
  const known = key !== null ? rawDiffs.get(key) : undefined;
  if (known) return known;
  const out = git(cwd, ['diff', '--raw', '--no-renames', '--no-abbrev', '-z', from, to, '--']).then((r) => r.stdout);
  if (key !== null) {
    rawDiffs.set(key, out);
    out.catch(() => rawDiffs.delete(key));
    if (rawDiffs.size > RAW_DIFFS_KEPT) rawDiffs.delete(rawDiffs.keys().next().value!);
  }
  return out;
}

/** A path git prints as it is (no control character, quote or backslash) with `core.quotePath=false`. */
const PLAIN_PATH = /^[^\x00-\x1f\x7f"\\]+$/;

/** Which of `paths` the ignore rules of `cwd` (its `.gitignore` files, `info/exclude`, the person's excludes file) ignore. */
export async function ignoredAmong(cwd: string, paths: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  if (paths.reduce((n, p) => n + p.length + 1, 0) <= 16 * 1024 && paths.every((p) => PLAIN_PATH.test(p))) {
    // A few plain paths (the usual package) go as arguments, through the git queue like every
    // other call; git prints them one per line, unquoted (`-z` is for `--stdin` only).
    const r = await git(cwd, ['-c', 'core.quotePath=false', 'check-ignore', '--no-index', '--', ...paths], [0, 1]);
    for (const p of r.stdout.split('\n')) if (p !== '') out.add(p);
    return out;
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn('git', [...SAFE_CONFIG_ARGS, 'check-ignore', '--no-index', '-z', '--stdin'], { cwd, env: { ...process.env, LC_ALL: 'C' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0 || code === 1) {
        for (const p of splitZ(stdout)) out.add(p);
        resolve();
      } else reject(new GitError(['check-ignore', '--no-index', '--stdin'], cwd, code, stderr));
    });
    child.stdin.end(paths.map((p) => `${p}\0`).join(''));
  });
  return out;
}

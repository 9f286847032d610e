/**
 * The copy list (`EngineOptions.copyFiles`: `waves.worktrees.copy`, `--copy`): files a
 * package's new worktree needs that git does not carry (`.env`, local configuration), copied
 * from the person's checkout. Entries are paths relative to the repository, files or folders,
 * with a `*` allowed in their last part. Each copy is the tree's own: a new file (a reflink
 * where the file system makes one, copy-on-write), never a hard or symbolic link to the
 * person's file, so nothing written in the tree reaches theirs. Nothing is written over what the
 * tree has (git's files or the agent's), nothing outside the checkout is read (an absolute path,
 * `..`, a link leading out), nothing outside the tree is written (a link in the tree's path),
 * and only what git ignores in the tree is copied — anything else the engine's commit of the
 * agent's leftovers would take into the package's branch. Each entry left out is said, with why.
 */
import fs from 'node:fs';
import path from 'node:path';
import { git } from './gitRun.js';
import { relativePosix } from '../../util/posixPath.js';

/** What a copy did: the files (and links inside copied folders) written, relative to the repository, and what was left out. */
export interface TreeCopy {
  copied: string[];
  skipped: { path: string; why: string }[];
}

export interface CopyOptions {
  /** Whether git would carry the path into the package's commits (it does not ignore it in the tree): such a path is left out. Default: no path is asked about. */
  carried?: (rel: string) => boolean;
}

/** A folder's entries matched by the last part of an entry (`*` any run of characters but `/`). */
function globPart(part: string): RegExp {
  return new RegExp(`^${part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
}

function within(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function lstat(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch {
    // missing: null, and each caller says what that means
    return null;
  }
}

/** An entry's parts, or why it is refused. */
function partsOf(entry: string): { parts: string[] } | { why: string } {
  if (entry.includes('\0')) return { why: 'holds a NUL character' };
  if (path.isAbsolute(entry) || /^(?:[A-Za-z]:|\\\\)/.test(entry) || entry.startsWith('~')) return { why: 'an absolute path: entries are relative to the repository' };
  const parts = entry.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { why: 'goes up out of the repository (..)' };
  if (parts.length === 0) return { why: 'names the whole repository' };
  if (parts.some((p) => p === '.git' || p === '.waves')) return { why: `${parts.includes('.git') ? "git's" : "the engine's"} own folder is never copied` };
  if (parts.slice(0, -1).some((p) => p.includes('*'))) return { why: 'a * only in the last part of the path' };
  return { parts };
}

/**
 * The paths (relative to the repository, with `/`) the entries name in `checkout`: each entry as
 * it is, or what its `*` matches in its folder. Refused entries are in `skipped`.
 */
export function copySources(checkout: string, entries: readonly string[]): { paths: string[]; skipped: TreeCopy['skipped'] } {
  const paths: string[] = [];
  const skipped: TreeCopy['skipped'] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const split = partsOf(entry);
    if ('why' in split) {
      skipped.push({ path: entry, why: split.why });
      continue;
    }
    const last = split.parts[split.parts.length - 1]!;
    if (!last.includes('*')) {
      paths.push(split.parts.join('/'));
      continue;
    }
    const folder = split.parts.slice(0, -1);
    let names: string[] = [];
    try {
      const at = fs.realpathSync(path.join(checkout, ...folder));
      if (!within(at, fs.realpathSync(checkout))) {
        skipped.push({ path: entry, why: 'leads outside the repository (through a symbolic link)' });
        continue;
      }
      names = fs.readdirSync(at);
    } catch {
      // no such folder: nothing matches
    }
    const match = globPart(last);
    const found = names.filter((n) => match.test(n) && n !== '.git' && n !== '.waves').sort();
    if (found.length === 0) skipped.push({ path: entry, why: 'nothing in the checkout matches it' });
    for (const n of found) paths.push([...folder, n].join('/'));
  }
  return { paths: [...new Set(paths)], skipped };
}

/**
 * Copies the entries from `checkout` (the person's repository) into `tree` (a package's new
 * worktree of it). Never throws for one entry: what cannot be copied is in `skipped`, with why.
 */
export function copyIntoTree(checkout: string, tree: string, entries: readonly string[], options: CopyOptions = {}): TreeCopy {
  const result: TreeCopy = { copied: [], skipped: [] };
  let realCheckout: string;
  let realTree: string;
  try {
    realCheckout = fs.realpathSync(checkout);
    realTree = fs.realpathSync(tree);
  } catch (err) {
    result.skipped.push(...entries.filter((e) => e.trim()).map((e) => ({ path: e.trim(), why: `cannot be read: ${(err as Error).message}` })));
    return result;
  }
  const sources = copySources(realCheckout, entries);
  result.skipped.push(...sources.skipped);
  for (const rel of sources.paths) copyEntry(realCheckout, realTree, rel, options, result);
  return result;
}

/** One path the entries name: where it really is in the checkout, then its copy. */
function copyEntry(checkout: string, tree: string, rel: string, options: CopyOptions, result: TreeCopy): void {
  const skip = (why: string): void => {
    result.skipped.push({ path: rel, why });
  };
  const source = path.join(checkout, ...rel.split('/'));
  const st = lstat(source);
  if (!st) return skip('not in the checkout');
  let real: string;
  try {
    real = fs.realpathSync(source);
  } catch {
    // the link's target is missing: left out, and the copy's log says why
    return skip('a link that leads nowhere');
  }
  if (!within(real, checkout)) return skip('leads outside the repository (through a symbolic link)');
  if (real === checkout) return skip('names the whole repository');
  const inside = path.relative(checkout, real).split(path.sep);
  if (inside.includes('.git') || inside.includes('.waves')) return skip('leads into git\'s or the engine\'s own folder');
  if (within(tree, real)) return skip('holds the worktree itself');
  const blocked = treeFolderProblem(tree, rel);
  if (blocked) return skip(blocked);
  if (options.carried?.(rel)) return skip('git does not ignore it, so the package\'s commit would take it: list it in .gitignore to have it copied');
  const target = safeTarget(tree, rel);
  if ('why' in target) return skip(target.why);
  const realSt = fs.statSync(real);
  if (realSt.isFile()) copyFile(real, target.path, rel, result);
  else if (realSt.isDirectory()) copyFolder(real, target.path, rel, result, { from: real, tree });
  else skip('not a file or a folder');
}

/**
 * Why `rel` cannot go into `tree` (null: it can): one of its folders there is a link (a write
 * through it could land outside the tree) or a file.
 */
function treeFolderProblem(tree: string, rel: string): string | null {
  let at = tree;
  for (const part of rel.split('/').slice(0, -1)) {
    at = path.join(at, part);
    const st = lstat(at);
    if (!st) return null;
    const shown = relativePosix(tree, at);
    if (st.isSymbolicLink()) return `the worktree's ${shown} is a symbolic link: nothing is written through it`;
    if (!st.isDirectory()) return `the worktree's ${shown} is not a folder`;
  }
  return null;
}

/** Where `rel` goes in `tree`, its folders made there (checked by `treeFolderProblem` first; made, never followed). */
function safeTarget(tree: string, rel: string): { path: string } | { why: string } {
  const parts = rel.split('/');
  let at = tree;
  for (const part of parts.slice(0, -1)) {
    at = path.join(at, part);
    const st = lstat(at);
    if (st?.isDirectory()) continue;
    if (st) return { why: `the worktree's ${relativePosix(tree, at)} changed while it was copied into` };
    try {
      fs.mkdirSync(at);
    } catch (err) {
      return { why: `its folder cannot be made in the worktree: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    }
  }
  return { path: path.join(tree, ...parts) };
}

/** A file copied as a new file of the tree's own (never over one there). */
function copyFile(from: string, to: string, rel: string, result: TreeCopy): void {
  if (lstat(to)) {
    result.skipped.push({ path: rel, why: 'the worktree has it already (from git or the agent): left as it is' });
    return;
  }
  try {
    // EXCL: never over a file that appeared meanwhile; FICLONE: copy-on-write where the file system can, a plain copy elsewhere.
    fs.copyFileSync(from, to, fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE);
    result.copied.push(rel);
  } catch (err) {
    result.skipped.push({ path: rel, why: `could not be copied: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
  }
}

/**
 * A folder copied into the tree, merged with what the tree has (nothing there is replaced). A
 * link inside it is made again when it is relative and stays inside the copied folder (it then
 * points at the tree's own copy); any other link is left out.
 */
function copyFolder(from: string, to: string, rel: string, result: TreeCopy, root: { from: string; tree: string }): void {
  const st = lstat(to);
  if (st && (st.isSymbolicLink() || !st.isDirectory())) {
    result.skipped.push({ path: rel, why: `the worktree has ${st.isSymbolicLink() ? 'a link' : 'a file'} there: left as it is` });
    return;
  }
  if (!st) {
    try {
      fs.mkdirSync(to, { mode: fs.statSync(from).mode & 0o7777 });
    } catch (err) {
      result.skipped.push({ path: rel, why: `could not be made: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return;
    }
  }
  let names: string[];
  try {
    names = fs.readdirSync(from).sort();
  } catch (err) {
    result.skipped.push({ path: rel, why: `cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    return;
  }
  for (const name of names) {
    if (name === '.git' || name === '.waves') continue;
    const src = path.join(from, name);
    const dst = path.join(to, name);
    const childRel = `${rel}/${name}`;
    const child = lstat(src);
    if (!child) continue;
    if (child.isSymbolicLink()) copyLink(src, dst, childRel, root, result);
    else if (child.isDirectory() && within(root.tree, src)) result.skipped.push({ path: childRel, why: 'holds the worktree itself' });
    else if (child.isDirectory()) copyFolder(src, dst, childRel, result, root);
    else if (child.isFile()) copyFile(src, dst, childRel, result);
    else result.skipped.push({ path: childRel, why: 'not a file, a folder or a link' });
  }
}

function copyLink(src: string, dst: string, rel: string, root: { from: string }, result: TreeCopy): void {
  const target = fs.readlinkSync(src);
  if (path.isAbsolute(target) || !within(path.resolve(path.dirname(src), target), root.from)) {
    result.skipped.push({ path: rel, why: 'a link that leads out of the copied folder: not made again' });
    return;
  }
  if (lstat(dst)) {
    result.skipped.push({ path: rel, why: 'the worktree has it already (from git or the agent): left as it is' });
    return;
  }
  try {
    fs.symlinkSync(target, dst);
    result.copied.push(rel);
  } catch (err) {
    result.skipped.push({ path: rel, why: `could not be made: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
  }
}

/**
 * `copyIntoTree`, leaving out what git does not ignore in the tree (`git check-ignore` there,
 * through the engine's git): the engine commits what an agent leaves, ignored files excepted.
 */
export async function copyListIntoTree(checkout: string, tree: string, entries: readonly string[]): Promise<TreeCopy> {
  // A path whose folder in the tree is a link or a file is refused when copied (`safeTarget`); git refuses to be asked about it,
  // and about one that is itself a link in the tree (`conf/` there a tracked link): that one is refused when copied too, saying so.
  const named = copySources(checkout, entries).paths.filter((p) => treeFolderProblem(tree, p) === null);
  const linked = named.filter((p) => lstat(path.join(tree, ...p.split('/')))?.isSymbolicLink());
  const paths = named.filter((p) => !linked.includes(p));
  const ignored = new Set<string>(linked);
  if (paths.length) {
    // A folder asked with its trailing slash: patterns such as `node_modules/` match folders only.
    const asked = paths.map((p) => (statIsDir(path.join(checkout, ...p.split('/'))) ? `${p}/` : p));
    const r = await git(tree, ['-c', 'core.quotePath=false', 'check-ignore', '--no-index', '--', ...asked], [0, 1]);
    for (const line of r.stdout.split('\n')) if (line) ignored.add(line.replace(/\/$/, ''));
  }
  return copyIntoTree(checkout, tree, entries, { carried: (rel) => !ignored.has(rel) });
}

function statIsDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    // not in the checkout: asked as a file
    return false;
  }
}

/** The lines of a copy for the attempt's setup.log (at most `max` copied paths named). */
export function copyLogText(entries: readonly string[], copy: TreeCopy, max = 50): string {
  const lines = [`copy list (${entries.join(', ')}): ${copy.copied.length} copied, ${copy.skipped.length} left out`];
  for (const p of copy.copied.slice(0, max)) lines.push(`  copied ${p}`);
  if (copy.copied.length > max) lines.push(`  … and ${copy.copied.length - max} more copied`);
  for (const s of copy.skipped) lines.push(`  left out ${s.path}: ${s.why}`);
  return lines.join('\n') + '\n';
}

/**
 * A checkout's virtual environment made ready to be laid over a tree (ADR 0026, `readyVenv`):
 * the files of its site-packages that name the checkout written, made the tree's, into the
 * overlay's upper folder; refused when one cannot be. What wallsDeps.ts lays a `.venv` with.
 * Node built-ins and src/core only (bundled into dist/runner.js).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { absolutePathsIn, relativePathLines, relocateText, venvFileRead, type Respelling } from '../../core/walls/dependencyFolders.js';
import { isWithin } from '../../core/walls/walls.js';
import { isFile } from './wallsDisk.js';

/** The most bytes of a file of site-packages read to find paths into the checkout (a `.pth`, a finder); a larger `.py` is a library, not a finder. */
const MAX_VENV_FILE_BYTES = 1024 * 1024;

/** The site-packages folders of a virtual environment (`lib/python3.x/site-packages`, pypy's, Windows' `Lib`), links not followed. */
function sitePackagesOf(venv: string): string[] {
  const realDir = (p: string) => {
    try {
      return fs.lstatSync(p).isDirectory();
    } catch {
      // not there: no folder
      return false;
    }
  };
  const out: string[] = [];
  for (const lib of ['lib', 'lib64', 'Lib']) {
    const dir = path.join(venv, lib);
    if (!realDir(dir)) continue;
    if (realDir(path.join(dir, 'site-packages'))) out.push(path.join(dir, 'site-packages'));
    for (const name of fs.readdirSync(dir)) if (/^(python|pypy)/.test(name) && realDir(path.join(dir, name, 'site-packages'))) out.push(path.join(dir, name, 'site-packages'));
  }
  return out;
}

/** A path's real place, the part that does not exist yet kept as written under its nearest existing folder's. */
function realPlace(p: string): string {
  let at = path.resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(at), ...rest.reverse());
    } catch {
      // not there yet: its parent's real place is looked for
      const up = path.dirname(at);
      if (up === at) return path.resolve(p);
      rest.push(path.basename(at));
      at = up;
    }
  }
}

/**
 * A checkout's virtual environment made ready to be laid over `tree` (ADR 0026): every file of its
 * site-packages through which Python finds code (`venvFileRead`) that names the checkout — an
 * editable install (PEP 660's `.pth` and finders, `.egg-link`, `direct_url.json`), a `.pth` of the
 * project's source folders — written into the overlay's upper folder with those paths made the
 * tree's (each spelling of the checkout: its real path, the one the environment was made with),
 * unless the tree already has its own there. Refused — never laid half — when a path into the
 * checkout remains (written another way, or relative to site-packages), a file is too large to read, or a stale compiled copy of
 * a finder would be run without looking at its source (an unchecked-hash `.pyc`).
 */
export function readyVenv(lower: string, upper: string, checkout: string, tree: string): { relocated: number } | { refused: string } {
  const spellings = new Set([checkout]);
  const made = /^\s*(?:export\s+)?VIRTUAL_ENV=["']?([^"'\n]+?)["']?\s*$/m.exec(readSmall(path.join(lower, 'bin', 'activate')) ?? '')?.[1];
  if (made && path.isAbsolute(made) && realPlace(made) === lower) spellings.add(path.dirname(made));
  const moves: Respelling[] = [];
  for (const from of spellings) {
    moves.push({ from, to: tree });
    const url = pathToFileURL(from).pathname;
    if (url !== from) moves.push({ from: url, to: pathToFileURL(tree).pathname });
  }
  let relocated = 0;
  try {
    for (const site of sitePackagesOf(lower)) {
      const names = fs.readdirSync(site, { withFileTypes: true });
      const rels = names.flatMap((d) => (d.isFile() && venvFileRead(d.name) ? [d.name] : d.isDirectory() && d.name.endsWith('.dist-info') && isFile(path.join(site, d.name, 'direct_url.json')) ? [`${d.name}/direct_url.json`] : []));
      for (const rel of rels) {
        const file = path.join(site, rel);
        const st = fs.statSync(file);
        if (st.size > MAX_VENV_FILE_BYTES) {
          if (rel.endsWith('.py')) continue;
          return { refused: `${path.relative(lower, file)} is too large to read for paths into the checkout` };
        }
        const text = fs.readFileSync(file, 'utf8');
        const moved = relocateText(text, moves);
        const still = absolutePathsIn(moved ?? text).find((p) => {
          const at = realPlace(p);
          return isWithin(at, checkout) && !isWithin(at, lower);
        });
        if (still) return { refused: `${path.relative(lower, file)} names ${still}, in the checkout, in a way that cannot be made the tree's` };
        const climbs = relativePathLines(rel, moved ?? text).find((l) => {
          const at = realPlace(path.join(site, l));
          return isWithin(at, checkout) && !isWithin(at, lower);
        });
        if (climbs) return { refused: `${path.relative(lower, file)} names ${climbs}, relative to site-packages, which leads into the checkout` };
        if (moved === null) continue;
        if (rel.endsWith('.py') && uncheckedPyc(site, rel)) return { refused: `${path.relative(lower, file)} names the checkout and is run from a compiled copy that is never checked against it` };
        const dest = path.join(upper, path.relative(lower, file));
        // The upper folder holds what the tree's agents wrote: a link there is never followed.
        const link = linkAlong(upper, dest);
        if (link) return { refused: `${path.relative(upper, link)} is a link in the tree's own copy of it` };
        if (exists(dest)) continue; // the tree's own (an earlier attempt's install)
        mkdirLike(path.dirname(dest), upper, lower);
        fs.writeFileSync(dest, moved, { mode: st.mode & 0o7777, flag: 'wx' });
        // A compiled copy is checked against its source's time and size: never the same second as the checkout's.
        const t = Math.max(Date.now() / 1000, st.mtimeMs / 1000 + 2);
        fs.utimesSync(dest, t, t);
        relocated++;
      }
    }
  } catch (err) {
    return { refused: `its site-packages could not be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  return { relocated };
}

/** The first link on the way from `base` (not itself) to `file` (itself included), or null. */
function linkAlong(base: string, file: string): string | null {
  let at = base;
  for (const part of path.relative(base, file).split(path.sep)) {
    at = path.join(at, part);
    try {
      if (fs.lstatSync(at).isSymbolicLink()) return at;
    } catch {
      return null; // not there (yet): nothing below it is either
    }
  }
  return null;
}

function readSmall(p: string): string | null {
  try {
    return fs.statSync(p).size <= MAX_VENV_FILE_BYTES ? fs.readFileSync(p, 'utf8') : null;
  } catch {
    // unreadable: no paths into the checkout found in it
    return null;
  }
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    // lstat failed: nothing there
    return false;
  }
}

/** `dir` (under `upper`) made with each folder's mode as in the checkout's environment (`lower`), so the overlay shows them as they were. */
function mkdirLike(dir: string, upper: string, lower: string): void {
  if (dir === upper || exists(dir)) return;
  mkdirLike(path.dirname(dir), upper, lower);
  fs.mkdirSync(dir);
  try {
    fs.chmodSync(dir, fs.statSync(path.join(lower, path.relative(upper, dir))).mode & 0o7777);
  } catch {
    // as made
  }
}

/** Whether a top-level module of site-packages has a compiled copy Python runs without checking its source (PEP 552: hash-based, check_source off). */
function uncheckedPyc(site: string, rel: string): boolean {
  const stem = rel.replace(/\.py$/, '');
  try {
    for (const name of fs.readdirSync(path.join(site, '__pycache__'))) {
      if (!name.startsWith(`${stem}.`) || !name.endsWith('.pyc')) continue;
      const head = Buffer.alloc(8);
      const fd = fs.openSync(path.join(site, '__pycache__', name), 'r');
      try {
        fs.readSync(fd, head, 0, 8, 0);
      } finally {
        fs.closeSync(fd);
      }
      if ((head.readUInt32LE(4) & 0b11) === 0b01) return true;
    }
  } catch {
    // no compiled copies
  }
  return false;
}

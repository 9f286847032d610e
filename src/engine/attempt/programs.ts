/**
 * An agent's program as the person installed it, resolved before the walls are
 * drawn: a bare name looked up on the agent's PATH, every symbolic link followed, a script's
 * interpreter (`#!/abs/interp`, `#!/usr/bin/env [-S] name …`) resolved the same way. The
 * folders it lives in are shown read-only inside the walls (the walls give the agent a private
 * /tmp, so a program installed under /tmp is otherwise not there), and a program that cannot
 * be run is refused before anything starts, named. Node built-ins only (bundled into
 * dist/runner.js).
 */
import fs from 'node:fs';
import path from 'node:path';

/** A program resolved: the absolute path to run, and what of the disk it needs to be read (folders, or a file whose folder is too wide to show). */
export type ProgramResolution = { ok: true; path: string; folders: string[] } | { ok: false; why: string };

/** How many symbolic links are followed before a chain is said to loop (Linux's own limit). */
const MAX_LINKS = 40;

/**
 * `argv0` resolved as `execvp` would (a name with a slash against `cwd`, a bare name on the
 * PATH of `env`), then its links followed and, for a script, its interpreter resolved the same
 * way — one level: an interpreter that is itself a script is run, its own interpreter not
 * looked at. The path to run is the one found (the first link, not its target: a program may
 * read its name). `why` names the program in a person's words: missing, a folder, not
 * executable, a script whose interpreter is missing. On Windows: the PATHEXT lookup only.
 */
export function resolveProgram(argv0: string, env: Readonly<Record<string, string | undefined>>, cwd: string = process.cwd()): ProgramResolution {
  const found = lookUp(argv0, env, cwd);
  if (!found.ok) return { ok: false, why: found.at ? `"${argv0}" (${found.at}) ${found.problem}` : `"${argv0}" ${found.problem}` };
  if (process.platform === 'win32') return { ok: true, path: found.path, folders: [path.dirname(found.path)] };
  const chain = followLinks(found.path);
  if (!chain.ok) return { ok: false, why: `"${argv0}" (${found.path}) ${chain.why}` };
  const folders = chain.files.flatMap(shownFor);
  const script = interpreterOf(chain.target);
  if (!script) return { ok: true, path: found.path, folders: unique(folders) };
  const cannot = (which: string): ProgramResolution => ({ ok: false, why: `"${argv0}" (${found.path}) cannot be run: its first line names the interpreter "${script.name}" (${script.line}), which ${which}` });
  // `#!/usr/bin/env name`: env itself must be there too.
  const via = script.via ? check(script.via) : 'ok';
  if (via !== 'ok') return cannot(`is run by ${script.via}, which ${via === 'missing' ? 'was not found' : via}`);
  const interp = lookUp(script.name, env, cwd);
  if (!interp.ok) return cannot(interp.at ? `(${interp.at}) ${interp.problem}` : interp.problem);
  const interpChain = followLinks(interp.path);
  if (!interpChain.ok) return cannot(`(${interp.path}) ${interpChain.why}`);
  return { ok: true, path: found.path, folders: unique([...folders, ...interpChain.files.flatMap(shownFor)]) };
}

/** A program found (its path), or why not: `at` the path found that cannot be run, if one was. */
type Found = { ok: true; path: string } | { ok: false; problem: string; at: string | null };

/**
 * A program's path as `execvp` finds it: a name with a slash as it is (against `cwd`), a bare
 * name in each folder of PATH in turn — the first that is a file this process may execute; one
 * found but not executable is said when no later folder has one.
 */
function lookUp(name: string, env: Readonly<Record<string, string | undefined>>, cwd: string): Found {
  if (name === '') return { ok: false, problem: 'is not a program name', at: null };
  if (name.includes('/') || (process.platform === 'win32' && name.includes('\\'))) {
    const p = path.resolve(cwd, name);
    const k = check(p);
    return k === 'ok' ? { ok: true, path: p } : k === 'missing' ? { ok: false, problem: 'was not found', at: null } : { ok: false, problem: k, at: p === name ? null : p };
  }
  const exts = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';')] : [''];
  let notRunnable: Found | null = null;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const p = path.resolve(cwd, dir, name + ext);
      const k = check(p);
      if (k === 'ok') return { ok: true, path: p };
      if (k !== 'missing') notRunnable ??= { ok: false, problem: k, at: p };
    }
  }
  return notRunnable ?? { ok: false, problem: 'was not found on PATH', at: null };
}

/** Whether `p` is a file this process may execute: `ok`, `missing`, or why not. */
function check(p: string): 'ok' | 'missing' | string {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return 'is a loop of symbolic links';
    // A dangling link is missing too (execvp says ENOENT), but named as a link.
    return isLink(p) ? 'is a symbolic link to nothing' : 'missing';
  }
  if (st.isDirectory()) return 'is a folder, not a program';
  if (!st.isFile()) return 'is not a file';
  if (process.platform === 'win32') return 'ok';
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return 'ok';
  } catch {
    // the execute check failed: that is the answer
    return 'is not executable (chmod +x)';
  }
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    // nothing there: not a link
    return false;
  }
}

/** Every path of a link chain from `p` (each link and the final target, each also in its folder's real path), or why it breaks. */
function followLinks(p: string): { ok: true; files: string[]; target: string } | { ok: false; why: string } {
  const files: string[] = [];
  let at = p;
  for (let hops = 0; ; hops++) {
    if (hops > MAX_LINKS) return { ok: false, why: 'is a loop of symbolic links' };
    files.push(at);
    let link: string;
    try {
      if (!fs.lstatSync(at).isSymbolicLink()) break;
      link = fs.readlinkSync(at);
    } catch {
      return { ok: false, why: `leads to ${at}, which was not found` };
    }
    at = path.resolve(path.dirname(at), link);
  }
  const target = real(at);
  const check1 = check(target);
  if (check1 !== 'ok') return { ok: false, why: check1 === 'missing' ? `leads to ${target}, which was not found` : `leads to ${target}, which ${check1}` };
  // Each also where its folder really is (a folder on the way may be a link itself).
  return { ok: true, files: [...files, ...files.map((f) => path.join(real(path.dirname(f)), path.basename(f)))], target };
}

function real(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    // nothing there to resolve: the path as written
    return p;
  }
}

/**
 * What of the disk a program at `file` needs to be shown: its folder — or, for a folder named
 * `bin` (`<prefix>/bin`: a virtual environment, an npm prefix, a toolchain), the prefix, whose
 * libraries sit beside it; for a file inside `node_modules`, the outermost `node_modules` (a
 * package's dependencies are found there). A folder too wide to show whole (`/` or a folder
 * right under it, as `/tmp`) gives the file alone.
 */
function shownFor(file: string): string[] {
  const folder = path.dirname(file);
  const deep = (p: string) => p.split('/').filter(Boolean).length >= 2;
  const parts = folder.split('/');
  const nm = parts.indexOf('node_modules');
  if (nm > 0) {
    const modules = parts.slice(0, nm + 1).join('/');
    if (deep(modules)) return [modules];
  }
  const base = path.basename(folder);
  if ((base === 'bin' || base === '.bin') && deep(path.dirname(folder))) return [path.dirname(folder)];
  return deep(folder) ? [folder] : [file];
}

/** The interpreter a script's first line names (`#!`), as the kernel reads it: its name (for `env`, the program it runs) and the line; null when it is not a script. */
export function interpreterOf(file: string): Shebang | null {
  let head = '';
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(256);
      head = buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0)).toString('latin1');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // unreadable: the kernel could not run it as a script either
    return null;
  }
  return shebangInterpreter(head);
}

/** A script's interpreter: its name (a path, or a name `env` looks up on PATH), the `env` that runs it if one does, the first line. */
export interface Shebang {
  name: string;
  via: string | null;
  line: string;
}

/**
 * A first line's interpreter: `#!/abs/interp [arg]` gives `/abs/interp`; `#!/usr/bin/env [options]
 * [NAME=value…] name [args]` (`-S`/`--split-string` splitting the rest) gives `name`, looked up on
 * PATH as `env` does, `via` env. Null when the text does not start with `#!`.
 */
export function shebangInterpreter(head: string): Shebang | null {
  if (!head.startsWith('#!')) return null;
  const line = head.slice(0, head.includes('\n') ? head.indexOf('\n') : head.length).replace(/\r$/, '');
  const words = line.slice(2).trim().split(/[ \t]+/).filter(Boolean);
  const [interp, ...rest] = words;
  if (!interp) return null;
  if (path.basename(interp) !== 'env') return { name: interp, via: null, line };
  // env's own options, then assignments, then the program it runs.
  const args = rest.flatMap((w) => (/^-S./.test(w) ? ['-S', w.slice(2)] : [w]));
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-S' || a === '--split-string' || a === '-i' || a === '--ignore-environment' || a === '-0' || a === '--null' || a === '-v' || a === '--debug') continue;
    if (a === '-u' || a === '--unset' || a === '-C' || a === '--chdir') {
      i++;
      continue;
    }
    if (/^--(unset|chdir)=/.test(a) || /^-[uC]./.test(a)) continue;
    if (a === '--') {
      const next = args[i + 1];
      return next ? { name: next, via: interp, line } : { name: interp, via: null, line };
    }
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) continue;
    if (a.startsWith('-')) continue;
    return { name: a, via: interp, line };
  }
  // `env` alone runs nothing: the kernel runs env itself.
  return { name: interp, via: null, line };
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/**
 * Where an import leads in the repository: an import's specifier, as a parser read
 * it from a file, resolved to the repository files it names, given the set of files that exist.
 * TypeScript and JavaScript: relative specifiers only (`./x`, `../a/api.js`), with the
 * extensions TypeScript maps (`.js` → `.ts`/`.tsx`, …) and index files; a bare package name, an
 * absolute path or a URL leads nowhere in the repository. Python: `import a.b`, `from a.b import
 * c` (c a module or a name), `from .x import y`, `from .. import z` at any level, packages as
 * `pkg/__init__.py`, from the repository's root, `src/` and the importing file's top package.
 *
 * Pure: paths are repository-relative with forward slashes; no file system.
 */

export type ImportLanguage = 'script' | 'python';

/** One import of a file, as written. */
export interface ImportRef {
  language: ImportLanguage;
  /** `../a/api`, or Python's module as written: `a.b`, `.x`, `..` */
  specifier: string;
  /** Python's `from … import` names (`*` left out). */
  names?: readonly string[];
}

/** The files an import names that exist (none for a package from outside the repository). */
export function resolveImport(fromFile: string, ref: ImportRef, files: ReadonlySet<string>): string[] {
  if (ref.language === 'script') {
    const found = resolveScript(fromFile, ref.specifier, files);
    return found === undefined ? [] : [found];
  }
  return resolvePython(fromFile, ref.specifier, ref.names ?? [], files);
}

/** A path's folder ('' at the root). */
function folderOf(file: string): string {
  const slash = file.lastIndexOf('/');
  return slash < 0 ? '' : file.slice(0, slash);
}

/** `folder` joined with a relative path, `.` and `..` applied; undefined when it climbs out. */
function joinPath(folder: string, relative: string): string | undefined {
  const out = folder === '' ? [] : folder.split('/');
  for (const segment of relative.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(segment);
  }
  return out.join('/');
}

// ---------------------------------------------------------------------------------------------
// TypeScript and JavaScript
// ---------------------------------------------------------------------------------------------

/** What TypeScript tries for a specifier written with a JavaScript extension. */
const SOURCE_OF: Record<string, readonly string[]> = {
  '.js': ['.ts', '.tsx'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
};

/** The extensions tried after a specifier without one, in order. */
const SCRIPT_EXTENSIONS = ['.ts', '.tsx', '.d.ts', '.js', '.jsx', '.mts', '.cts', '.mjs', '.cjs'];

function resolveScript(fromFile: string, specifier: string, files: ReadonlySet<string>): string | undefined {
  // Only a relative specifier leads into the repository; a query or fragment (`./x.svg?raw`) is not the file's.
  if (!/^\.\.?(\/|$)/.test(specifier)) return undefined;
  const bare = specifier.replace(/[?#].*$/, '');
  const target = joinPath(folderOf(fromFile), bare);
  if (target === undefined) return undefined;
  const candidates: string[] = [];
  if (target !== '' && !bare.endsWith('/')) {
    const ext = /\.[cm]?jsx?$/.exec(target)?.[0];
    if (ext) for (const source of SOURCE_OF[ext] ?? []) candidates.push(target.slice(0, -ext.length) + source);
    candidates.push(target);
    for (const e of SCRIPT_EXTENSIONS) candidates.push(target + e);
  }
  const index = target === '' ? 'index' : `${target}/index`;
  for (const e of SCRIPT_EXTENSIONS) candidates.push(index + e);
  return candidates.find((c) => files.has(c));
}

// ---------------------------------------------------------------------------------------------
// Python
// ---------------------------------------------------------------------------------------------

/** A module's file under `base` (`a/b` → `a/b.py`, else `a/b/__init__.py`). */
function pythonModule(base: string, files: ReadonlySet<string>): string | undefined {
  const prefix = base === '' ? '' : `${base}/`;
  if (base !== '') {
    for (const e of ['.py', '.pyi']) if (files.has(base + e)) return base + e;
  }
  for (const e of ['__init__.py', '__init__.pyi']) if (files.has(prefix + e)) return prefix + e;
  return undefined;
}

/** Where an absolute import may start: the importing file's top package's folder, the root, `src/`. */
function pythonRoots(fromFile: string, files: ReadonlySet<string>): string[] {
  let folder = folderOf(fromFile);
  while (folder !== '' && (files.has(`${folder}/__init__.py`) || files.has(`${folder}/__init__.pyi`))) folder = folderOf(folder);
  return [...new Set([folder, '', 'src'])];
}

function resolvePython(fromFile: string, specifier: string, names: readonly string[], files: ReadonlySet<string>): string[] {
  const dots = /^\.*/.exec(specifier)![0].length;
  const rest = specifier.slice(dots).replace(/\s+/g, '');
  if (rest !== '' && !/^[\p{L}_][\p{L}\p{N}_]*(\.[\p{L}_][\p{L}\p{N}_]*)*$/u.test(rest)) return [];
  const modulePath = rest.split('.').filter((s) => s !== '').join('/');
  let bases: string[];
  if (dots > 0) {
    // `.` is the importing file's package; each further dot one package up.
    let folder: string | undefined = folderOf(fromFile);
    for (let k = 1; k < dots && folder !== undefined; k++) folder = folder === '' ? undefined : folderOf(folder);
    if (folder === undefined) return [];
    bases = [folder];
  } else {
    if (modulePath === '') return [];
    bases = pythonRoots(fromFile, files);
  }
  for (const root of bases) {
    const base = [root, modulePath].filter((s) => s !== '').join('/');
    const found = new Set<string>();
    let namesOnly = names.length > 0;
    for (const name of names) {
      const sub = pythonModule(base === '' ? name : `${base}/${name}`, files);
      if (sub) found.add(sub);
      else namesOnly = false;
    }
    // A name that is no module of its own is an attribute of the module itself.
    if (!namesOnly || names.length === 0) {
      const own = pythonModule(base, files);
      if (own) found.add(own);
    }
    if (found.size > 0) return [...found];
  }
  return [];
}

/**
 * Spec Kitty work packages: `kitty-specs/<feature>/tasks/WP01-<slug>.md`, one work package a
 * file (older projects keep them in lane folders: `tasks/planned/`, `tasks/doing/`, `tasks/done/`).
 * The front matter: `work_package_id`, `title`, `dependencies` (work package ids: explicit),
 * `owned_files` (the files and globs it owns: its declared write scope), `phase`, `subtasks`
 * (the `T001` ids of tasks.md), `lane` in older files. The body is the work package's prompt.
 */
import { diag, type RawRead, type RawTask, type SourceFile } from './foreignModel';
import { frontMatterOf, listOf, rangeOf, textOf } from './frontMatter';
import { pathsIn } from './pathGuesses';

const baseOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** A Spec Kitty work package by its name: `WP01.md`, `WP01-slug.md`. */
export function isSpecKittyFile(path: string): boolean {
  return /^WP\d+\b[^/]*\.md$/i.test(baseOf(path.replace(/\\/g, '/')));
}

export function looksLikeSpecKitty(text: string): boolean {
  const fm = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---/.exec(text);
  return !!fm && /^work_package_id\s*:/m.test(fm[1]);
}

export function readSpecKitty(files: readonly SourceFile[]): RawRead {
  const read: RawRead = { tasks: [], diagnostics: [], notes: [] };
  let noDependencies = 0;
  for (const { path, text } of files) {
    const base = baseOf(path);
    const fm = frontMatterOf(text);
    const top = { start: 0, end: Math.min(text.length, Math.max(0, text.indexOf('\n')) || text.length) };
    const fromName = /^(WP\d+)/i.exec(base)?.[1]?.toUpperCase() ?? base.replace(/\.md$/i, '');
    const task: RawTask = { key: fromName, keyRange: top, range: { start: 0, end: text.length }, title: '', details: [], dependencies: [], declaredWrites: [], pathGuesses: [], file: path };
    const bodyStart = fm?.bodyStart ?? 0;
    const body = text.slice(bodyStart);
    if (!fm) {
      read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `\`${base}\` has no front matter (\`---\` with work_package_id, dependencies, owned_files): read as a work package with no dependency and no files.`, top, null, path));
    } else {
      if (fm.error) read.diagnostics.push(diag('error', 'foreign-not-format', `The front matter of \`${base}\` is not valid YAML (${fm.error.message}): read as far as it goes.`, fm.error.range, null, path));
      const idNode = fm.values.get('work_package_id');
      const id = textOf(idNode, fm, text);
      const idRange = rangeOf(idNode, fm);
      if (id && idRange) {
        task.key = id;
        task.keyRange = idRange;
      }
      task.title = (textOf(fm.values.get('title'), fm, text) ?? '').trim();
      task.phase = textOf(fm.values.get('phase'), fm, text);
      if (fm.values.has('dependencies')) {
        const deps = listOf(fm.values.get('dependencies'), fm, text);
        for (const d of deps.items) task.dependencies.push({ key: d.value, range: d.range, kind: 'explicit', reason: '`dependencies`' });
        for (const bad of deps.bad) read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `A \`dependencies\` entry of \`${task.key}\` must be a work package id (\`WP01\`).`, bad, null, path));
      } else noDependencies++;
      if (fm.values.has('owned_files')) {
        const owned = listOf(fm.values.get('owned_files'), fm, text);
        task.declaredWrites = owned.items;
        for (const bad of owned.bad) read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `An \`owned_files\` entry of \`${task.key}\` must be a path or a glob.`, bad, null, path));
      } else task.pathGuesses = pathsIn(body, bodyStart);
      const subtasks = listOf(fm.values.get('subtasks'), fm, text).items.map((s) => s.value);
      if (subtasks.length) task.details.push(`Subtasks: ${subtasks.join(', ')}.`);
      const lane = textOf(fm.values.get('lane'), fm, text);
      task.done = lane === 'done' || /\/tasks\/done\//.test(path);
    }
    const heading = /^#\s+(?:Work Package Prompt:\s*)?(.+)$/m.exec(body);
    if (!task.title) task.title = heading?.[1].trim() ?? task.key;
    const prompt = body.trim();
    if (prompt) task.details.push(prompt);
    read.tasks.push(task);
  }
  if (noDependencies > 0) read.notes.push(`${noDependencies} of ${files.length} work packages have no \`dependencies\` in their front matter: read as depending on none.`);
  return read;
}

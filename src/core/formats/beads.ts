/**
 * beads `issues.jsonl` (.beads/issues.jsonl): one issue a line, `{"id":"bd-12","title":…,
 * "description":…,"status":"open","priority":1,"issue_type":"task","dependencies":[{"issue_id":
 * "bd-12","depends_on_id":"bd-9","type":"blocks"}]}`. A `blocks` dependency is an explicit one; a
 * `parent-child` one nests the issue in its parent (an epic): it goes into the parent's package.
 * Other types (`related`, `discovered-from`) order nothing.
 */
import { diag, linesOf, type RawRead, type RawTask } from './foreignModel';
import { member, parseJson, scalarText } from './jsonRanges';
import { pathsIn } from './pathGuesses';

export function looksLikeBeads(text: string): boolean {
  const first = text.split('\n', 1)[0] ?? '';
  return /^\s*\{/.test(first) && /"id"\s*:/.test(first) && /"(issue_type|status)"\s*:/.test(first);
}

export function readBeads(text: string): RawRead {
  const read: RawRead = { tasks: [], diagnostics: [], notes: [] };
  const ignored = new Map<string, number>();
  let noDependencies = true;
  for (const { text: line, start } of linesOf(text)) {
    if (!line.trim()) continue;
    const parsed = parseJson(text, start, start + line.length);
    if ('error' in parsed) {
      read.diagnostics.push(diag('error', 'foreign-not-format', `This line is not a beads issue: it is not valid JSON (${parsed.error}).`, { start: parsed.at, end: Math.min(start + line.length, parsed.at + 1) }));
      continue;
    }
    const node = parsed.node;
    const idNode = member(node, 'id');
    const id = scalarText(idNode);
    if (node.kind !== 'object' || !idNode || id === undefined) {
      read.diagnostics.push(diag('warning', 'foreign-task-incomplete', 'An issue without an `id` is left out.', { start, end: start + line.length }));
      continue;
    }
    const status = scalarText(member(node, 'status')) ?? '';
    if (status === 'tombstone' || member(node, 'deleted_at')?.kind === 'string') continue;
    const title = member(node, 'title');
    const titleText = title?.kind === 'string' ? title.value.trim() : '';
    if (!titleText) read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `Issue \`${id}\` has no \`title\`.`, idNode.range));
    const details: string[] = [];
    const guesses = title?.kind === 'string' ? pathsIn(title.value, title.range.start + 1) : [];
    for (const field of ['description', 'design', 'acceptance_criteria', 'notes']) {
      const v = member(node, field);
      if (v?.kind !== 'string' || !v.value.trim()) continue;
      details.push(v.value.trim());
      const exact = v.range.end - v.range.start - 2 === v.value.length;
      guesses.push(...pathsIn(v.value, v.range.start + 1).map((p) => (exact ? p : { value: p.value, range: v.range })));
    }
    const priority = member(node, 'priority');
    const task: RawTask = {
      key: id,
      keyRange: idNode.range,
      range: node.range,
      title: titleText,
      details,
      dependencies: [],
      declaredWrites: [],
      pathGuesses: guesses,
      priority: priority?.kind === 'number' ? Math.min(10, Math.max(1, 1 + 2 * Math.round(priority.value))) : undefined,
      done: /^(closed|done)$/i.test(status),
    };
    const deps = member(node, 'dependencies');
    if (deps?.kind === 'array') {
      for (const d of deps.items) {
        noDependencies = false;
        const on = member(d, 'depends_on_id');
        const onId = scalarText(on);
        const type = scalarText(member(d, 'type')) ?? 'blocks';
        if (!on || onId === undefined) {
          read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `A dependency of \`${id}\` has no \`depends_on_id\`.`, d.range));
          continue;
        }
        if (type === 'blocks') task.dependencies.push({ key: onId, range: on.range, kind: 'explicit', reason: '`blocks`' });
        else if (type === 'parent-child') {
          if (task.parent !== undefined && task.parent !== onId) read.diagnostics.push(diag('warning', 'foreign-parent-twice', `\`${id}\` has two parents; it stays in \`${task.parent}\`.`, on.range));
          else task.parent = onId;
        } else ignored.set(type, (ignored.get(type) ?? 0) + 1);
      }
    }
    read.tasks.push(task);
  }
  if (ignored.size) read.notes.push(`Dependencies that order nothing were left out: ${[...ignored].map(([t, n]) => `${n} × ${t}`).join(', ')}.`);
  if (noDependencies && read.tasks.length > 1) read.notes.push('No issue lists its dependencies: newer beads versions export them apart (`bd export` writes them into each issue); every issue is read as independent.');
  if (read.tasks.length === 0) read.notes.push('No issue was found.');
  return read;
}

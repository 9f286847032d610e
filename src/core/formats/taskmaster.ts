/**
 * Taskmaster `tasks.json` (.taskmaster/tasks/tasks.json): tagged task lists
 * `{ "master": { "tasks": [...], "metadata": {...} }, "<tag>": {...} }`, or the older
 * `{ "tasks": [...] }`. A task: `id` (number), `title`, `description`, `details`, `testStrategy`,
 * `priority` (high/medium/low), `dependencies` (task ids), `status`, `subtasks` (each with an `id`
 * within its task and `dependencies`: `"1.2"` for sub-task 2 of task 1, a number for a sibling
 * sub-task — or, when no sibling has it, a task). Every dependency is explicit; sub-tasks go into
 * their task's package.
 */
import type { TextRange } from '../plan/model';
import { diag, type RawRead, type RawTask } from './foreignModel';
import { member, parseJson, scalarText, type JsonNode } from './jsonRanges';
import { pathsIn } from './pathGuesses';

const PRIORITY: Record<string, number> = { critical: 1, highest: 1, high: 2, medium: 5, low: 8, lowest: 9 };

export function looksLikeTaskmaster(text: string): boolean {
  return /^\s*\{/.test(text) && /"tasks"\s*:\s*\[/.test(text) && /"(dependencies|subtasks|testStrategy|status)"/.test(text);
}

export interface TaskmasterOptions {
  /** The tag to read (default: `master`, else the first). */
  tag?: string;
}

export function readTaskmaster(text: string, options: TaskmasterOptions = {}): RawRead {
  const read: RawRead = { tasks: [], diagnostics: [], notes: [] };
  const parsed = parseJson(text);
  if ('error' in parsed) {
    read.diagnostics.push(diag('error', 'foreign-not-format', `This is not a Taskmaster tasks.json: it is not valid JSON (${parsed.error}).`, { start: parsed.at, end: Math.min(text.length, parsed.at + 1) }));
    return read;
  }
  const root = parsed.node;
  let list = member(root, 'tasks');
  if (list === undefined && root.kind === 'object') {
    const tags = root.members.filter((m) => member(m.value, 'tasks')?.kind === 'array');
    const chosen = tags.find((m) => m.key === (options.tag ?? 'master')) ?? (options.tag === undefined ? tags[0] : undefined);
    if (tags.length > 1 || (options.tag !== undefined && !chosen)) {
      read.notes.push(`Tags in this file: ${tags.map((m) => m.key).join(', ')}; ${chosen ? `read: ${chosen.key}` : `no tag "${options.tag}"`}.`);
    }
    if (chosen) {
      list = member(chosen.value, 'tasks');
      read.title = chosen.key === 'master' ? undefined : chosen.key;
    }
  }
  if (list?.kind !== 'array') {
    read.diagnostics.push(diag('error', 'foreign-not-format', 'This is not a Taskmaster tasks.json: it has no `tasks` list, neither at the top nor under a tag (`{ "master": { "tasks": [...] } }`).', { start: root.range.start, end: Math.min(root.range.end, root.range.start + 1) }));
    return read;
  }
  for (const node of list.items) {
    const task = taskOf(node, undefined, read);
    if (!task) continue;
    read.tasks.push(task);
    const subtasks = member(node, 'subtasks');
    if (subtasks?.kind !== 'array') continue;
    const siblings = new Set(subtasks.items.map((s) => scalarText(member(s, 'id'))).filter((x): x is string => x !== undefined));
    for (const sn of subtasks.items) {
      const sub = taskOf(sn, { key: task.key, siblings }, read);
      if (sub) read.tasks.push(sub);
    }
  }
  if (read.tasks.length === 0) read.notes.push('The task list is empty.');
  return read;
}

function taskOf(node: JsonNode, parent: { key: string; siblings: Set<string> } | undefined, read: RawRead): RawTask | undefined {
  const where = { start: node.range.start, end: Math.min(node.range.end, node.range.start + 1) };
  if (node.kind !== 'object') {
    read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `A ${parent ? 'sub-task' : 'task'} must be an object; this one is left out.`, node.range));
    return undefined;
  }
  const idNode = member(node, 'id');
  const id = scalarText(idNode);
  const title = member(node, 'title');
  if (id === undefined || !idNode) {
    read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `A ${parent ? `sub-task of task ${parent.key}` : 'task'} without an \`id\` is left out.`, title?.range ?? where));
    return undefined;
  }
  const key = parent ? `${parent.key}.${id}` : id;
  const titleText = title?.kind === 'string' ? title.value.trim() : '';
  if (!titleText) read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `Task \`${key}\` has no \`title\`.`, idNode.range));
  const details: string[] = [];
  const guesses = [...(title?.kind === 'string' ? pathsInString(title) : [])];
  for (const field of ['description', 'details', 'testStrategy']) {
    const v = member(node, field);
    if (v?.kind === 'string' && v.value.trim()) {
      details.push(field === 'testStrategy' ? `Test strategy: ${v.value.trim()}` : v.value.trim());
      guesses.push(...pathsInString(v));
    }
  }
  const priority = member(node, 'priority');
  const status = member(node, 'status');
  const task: RawTask = {
    key,
    keyRange: idNode.range,
    range: node.range,
    title: titleText,
    details,
    parent: parent?.key,
    dependencies: [],
    declaredWrites: [],
    pathGuesses: guesses,
    priority: priority?.kind === 'string' ? PRIORITY[priority.value.toLowerCase()] : undefined,
    done: status?.kind === 'string' && /^(done|completed|cancelled)$/i.test(status.value),
  };
  const deps = member(node, 'dependencies');
  if (deps && deps.kind !== 'array') read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `\`dependencies\` of task \`${key}\` must be a list.`, deps.range));
  if (deps?.kind === 'array') {
    for (const d of deps.items) {
      const ref = scalarText(d);
      if (ref === undefined) {
        read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `A dependency of task \`${key}\` must be a task id.`, d.range));
        continue;
      }
      // In a sub-task, a bare number is a sibling sub-task when one has it (Taskmaster's own reading).
      const target = parent && d.kind === 'number' && parent.siblings.has(ref) ? `${parent.key}.${ref}` : ref;
      task.dependencies.push({ key: target, range: d.range, kind: 'explicit', reason: '`dependencies`' });
    }
  }
  return task;
}

/** Paths named in a JSON string, positioned in the source (escapes shift offsets: then the whole string). */
function pathsInString(node: { value: string; range: TextRange }) {
  const inner = node.range.start + 1;
  const exact = node.range.end - node.range.start - 2 === node.value.length;
  return pathsIn(node.value, inner).map((p) => (exact ? p : { value: p.value, range: node.range }));
}

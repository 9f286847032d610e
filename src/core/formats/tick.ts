/**
 * The round trip: tasks of a foreign task list marked done in its own text, as the person would
 * mark them — a checkbox ticked (`- [ ]` → `- [x]`: spec-kit, Kiro / cc-sdd, OpenSpec), a
 * Taskmaster task's `status` set to `"done"`, a beads issue's `status` set to `"closed"`. Only
 * those characters change: every other byte of the file, its line endings and byte-order mark
 * included, stays as it was. The tasks are found by the format's own reader, so a line that only
 * looks like a task is never touched. GSD (done when a SUMMARY.md is written) and Spec Kitty keep
 * their done state elsewhere, and no edit of one file marks it as the tool itself would: Spec
 * Kitty 2.x and later moves a work package to `done` by appending an event to
 * `status.events.jsonl` (a new ULID, its actor, a reviewer's approval as evidence, and only from
 * `in_review` or `approved` unless forced), then writes `status.json` again from the whole log;
 * older versions set the front matter `lane: done` together with `reviewed_by`, `review_status`
 * and a dated Activity Log line, once every subtask of tasks.md was checked. Not ticked here
 * (null). Pure.
 */
import type { ForeignFormat } from './foreignModel';
import { readTasks } from './foreignPlan';
import { member, parseJson } from './jsonRanges';

export const TICKABLE_FORMATS: readonly ForeignFormat[] = ['spec-kit', 'kiro', 'openspec', 'taskmaster', 'beads'];

export interface TickResult {
  /** The new text (the same string when nothing changed). */
  text: string;
  /** The tasks marked done now. */
  ticked: string[];
  /** The tasks that were done already. */
  already: string[];
  /** The tasks asked for that the file no longer has, or whose mark could not be found. */
  missing: string[];
  /** Tasks with no mark of their own (an OpenSpec section's heading): done with their tasks. */
  unmarked: string[];
}

const DONE_STATUS: Partial<Record<ForeignFormat, string>> = { taskmaster: 'done', beads: 'closed' };

/** `keys` marked done in `text`, a task list in `format`; `tag`: the Taskmaster tag the keys are of. Null: the format keeps no done mark in this file. */
export function tickTasks(format: ForeignFormat, text: string, keys: readonly string[], options: { tag?: string } = {}): TickResult | null {
  if (!TICKABLE_FORMATS.includes(format)) return null;
  const bom = text.charCodeAt(0) === 0xfeff ? '\ufeff' : '';
  const body = bom ? text.slice(1) : text;
  const read = readTasks(format, body, format === 'taskmaster' && options.tag !== undefined ? { tag: options.tag } : {});
  const byKey = new Map(read.tasks.map((t) => [t.key, t]));
  const result: TickResult = { text, ticked: [], already: [], missing: [], unmarked: [] };
  const edits: { at: number; end: number; text: string }[] = [];
  for (const key of new Set(keys)) {
    const task = byKey.get(key);
    if (!task) {
      result.missing.push(key);
      continue;
    }
    if (task.done) {
      result.already.push(key);
      continue;
    }
    const edit = DONE_STATUS[format] ? statusEdit(body, task.range, DONE_STATUS[format]!) : checkboxEdit(body, task.range.start);
    if (!edit && isHeading(body, task.range.start)) {
      result.unmarked.push(key);
      continue;
    }
    if (!edit) {
      result.missing.push(key);
      continue;
    }
    edits.push(edit);
    result.ticked.push(key);
  }
  if (edits.length === 0) return result;
  edits.sort((a, b) => b.at - a.at);
  let out = body;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  result.text = bom + out;
  return result;
}

function isHeading(text: string, at: number): boolean {
  return text[text.lastIndexOf('\n', at - 1) + 1] === '#';
}

/** The box of the checklist item on the line holding `at`: its space becomes an `x`. */
function checkboxEdit(text: string, at: number): { at: number; end: number; text: string } | null {
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  const m = /^[ \t]*(?:[-*+]|\d+[.)])[ \t]+\[( )\]/.exec(text.slice(lineStart, lineStart + 200));
  if (!m) return null;
  const box = lineStart + m[0].length - 2;
  return { at: box, end: box + 1, text: 'x' };
}

/** The `status` string of the JSON object at `range` set to `status` (its quotes kept). */
function statusEdit(text: string, range: { start: number; end: number }, status: string): { at: number; end: number; text: string } | null {
  const parsed = parseJson(text, range.start, range.end);
  if ('error' in parsed) return null;
  // Only the object's own `status`, never one of its sub-tasks'.
  const node = member(parsed.node, 'status');
  if (node?.kind !== 'string') return null;
  return { at: node.range.start, end: node.range.end, text: JSON.stringify(status) };
}

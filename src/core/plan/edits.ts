/**
 * Text edits on a YAML plan that keep the user's layout: remove an item from a sequence,
 * add a dependency to a package. Used to build quick fixes; pure functions of the text.
 */
import type { Located, PlanPackage, TextEdit, TextRange } from './model';
import type { LineFeeds } from './text';

/** `feeds`, when given, finds the line without reading it (see `LineFeeds`). */
function lineStartOf(text: string, offset: number, feeds?: LineFeeds): number {
  if (feeds) return feeds.lineStart(offset);
  const i = text.lastIndexOf('\n', offset - 1);
  return i + 1;
}

function lineEndOf(text: string, offset: number, feeds?: LineFeeds): number {
  if (feeds) return feeds.lineEnd(offset);
  const i = text.indexOf('\n', offset);
  return i === -1 ? text.length : i;
}

/** The first non-blank character before `offset`, and where it is. */
function previousToken(text: string, offset: number): { char: string; at: number } {
  let i = offset - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  return { char: i >= 0 ? text[i] : '', at: i };
}

function nextToken(text: string, offset: number): { char: string; at: number } {
  let i = offset;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  return { char: i < text.length ? text[i] : '', at: i };
}

/** True when the item is written in a flow sequence (`[a, b]`) rather than a block (`- a`). */
function inFlowSequence(text: string, item: TextRange): boolean {
  const before = previousToken(text, item.start).char;
  return before === '[' || before === ',';
}

/** Remove one item of a sequence of `items` items (the item included), in block or flow style. */
export function removeSequenceItem(text: string, item: TextRange, items: number): TextEdit {
  if (!inFlowSequence(text, item)) {
    // Block style: drop the whole line (with its newline).
    const start = lineStartOf(text, item.start);
    const end = lineEndOf(text, item.end);
    return { range: { start, end: Math.min(end + 1, text.length) }, newText: '' };
  }
  const after = nextToken(text, item.end);
  if (after.char === ',') {
    const next = nextToken(text, after.at + 1);
    return { range: { start: item.start, end: next.at }, newText: '' };
  }
  // Last item: take the comma before it, if any.
  const before = previousToken(text, item.start);
  if (before.char === ',' && items > 1) return { range: { start: before.at, end: item.end }, newText: '' };
  return { range: { start: item.start, end: item.end }, newText: '' };
}

/** YAML plain scalar when safe, else a double-quoted string. */
export function yamlScalar(value: string): string {
  return /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(value) ? value : JSON.stringify(value);
}

/**
 * Add `dependency` to `pkg.dependsOn`, in the style already used there: a new `- id` line
 * under a block sequence, `, id` inside a flow sequence, `[id]` for an empty one, or a new
 * `depends_on: [id]` line under the package id when the package has none.
 */
export function addDependency(text: string, pkg: PlanPackage, dependency: string, feeds?: LineFeeds): TextEdit | undefined {
  const value = yamlScalar(dependency);
  const items: readonly Located<string>[] = pkg.dependsOn;
  if (items.length > 0) {
    const last = items[items.length - 1].range;
    if (inFlowSequence(text, last)) return { range: { start: last.end, end: last.end }, newText: `, ${value}` };
    const lineStart = lineStartOf(text, last.start, feeds);
    const dash = text.lastIndexOf('-', last.start);
    const indent = dash >= lineStart ? text.slice(lineStart, dash).replace(/[^\t]/g, ' ') : '';
    const end = lineEndOf(text, last.end, feeds);
    return { range: { start: end, end }, newText: `\n${indent}- ${value}` };
  }
  const key = pkg.keyRanges['depends_on'];
  if (key) {
    const lineEnd = lineEndOf(text, key.end, feeds);
    const rest = text.slice(key.end, lineEnd);
    const open = rest.indexOf('[');
    const close = rest.indexOf(']');
    if (open !== -1 && close > open) {
      return { range: { start: key.end + open, end: key.end + close + 1 }, newText: `[${value}]` };
    }
    if (/^\s*:\s*(null|~)?\s*(#.*)?$/.test(rest)) {
      const colon = text.indexOf(':', key.end);
      return { range: { start: colon + 1, end: lineEnd }, newText: ` [${value}]` };
    }
    return undefined; // an unusual layout: no safe edit
  }
  const idKey = pkg.keyRanges['package_id'];
  if (!idKey) return undefined;
  const lineStart = lineStartOf(text, idKey.start, feeds);
  // Only blanks and the item's dash before the id (a block mapping): a new line there is a new
  // key. In a flow mapping (`- {package_id: a, …}`, a plan written as JSON) it would not be.
  for (let i = idKey.start - 1; i >= lineStart; i--) if (text[i] !== ' ' && text[i] !== '\t' && text[i] !== '-') return undefined;
  const indent = ' '.repeat(idKey.start - lineStart);
  const end = lineEndOf(text, idKey.end, feeds);
  return { range: { start: end, end }, newText: `\n${indent}depends_on: [${value}]` };
}

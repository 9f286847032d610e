/**
 * The YAML front matter of a Markdown file (`---` … `---` at its top), with where each value is
 * in the file: what GSD `PLAN.md` and Spec Kitty `WP*.md` keep their dependencies and files in.
 */
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import type { Located, TextRange } from '../plan/model';

export interface FrontMatter {
  /** Each top-level key's value node. */
  values: Map<string, YamlNode | null>;
  /** Each top-level key's range in the file. */
  keys: Map<string, TextRange>;
  /** Where the front matter's YAML starts in the file. */
  offset: number;
  /** Where the body (after the closing `---` line) starts. */
  bodyStart: number;
  /** The first YAML error, positioned in the file. */
  error?: { message: string; range: TextRange };
}

/** The front matter of `text`, or undefined when it has none. */
export function frontMatterOf(text: string): FrontMatter | undefined {
  const open = /^---[ \t]*\r?\n/.exec(text);
  if (!open) return undefined;
  const offset = open[0].length;
  const close = /^---[ \t]*$/m;
  close.lastIndex = 0;
  const rest = text.slice(offset);
  const m = close.exec(rest);
  const end = m ? offset + m.index : text.length;
  const bodyStart = m ? Math.min(text.length, offset + m.index + m[0].length + 1) : text.length;
  const source = text.slice(offset, end);
  const doc = parseDocument(source, { uniqueKeys: false, prettyErrors: false });
  const values = new Map<string, YamlNode | null>();
  const keys = new Map<string, TextRange>();
  const result: FrontMatter = { values, keys, offset, bodyStart };
  const err = doc.errors[0];
  if (err) result.error = { message: err.message.split('\n')[0], range: { start: offset + err.pos[0], end: offset + Math.max(err.pos[0] + 1, err.pos[1]) } };
  if (!m && !result.error) result.error = { message: 'the front matter has no closing `---` line', range: { start: 0, end: 3 } };
  if (isMap(doc.contents)) {
    for (const pair of doc.contents.items) {
      if (!isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      if (values.has(key)) continue;
      values.set(key, (pair.value as YamlNode | null) ?? null);
      const r = pair.key.range;
      if (r) keys.set(key, { start: offset + r[0], end: offset + r[1] });
    }
  }
  return result;
}

/** A scalar as written (`01` stays `01`, not the number 1); undefined for anything else. */
export function textOf(node: YamlNode | null | undefined, fm: FrontMatter, text: string): string | undefined {
  if (!node || !isScalar(node)) return undefined;
  if (node.value === null) return undefined;
  if (node.type === 'PLAIN' && node.range) return text.slice(fm.offset + node.range[0], fm.offset + node.range[1]).trim();
  return String(node.value);
}

export function rangeOf(node: YamlNode | null | undefined, fm: FrontMatter): TextRange | undefined {
  const r = node?.range;
  return r ? { start: fm.offset + r[0], end: fm.offset + r[1] } : undefined;
}

/** A list of scalars (`[a, b]`, a block list, or one scalar), each where it is written; `bad`: an item or value that is none. */
export function listOf(node: YamlNode | null | undefined, fm: FrontMatter, text: string): { items: Located<string>[]; bad: TextRange[] } {
  const items: Located<string>[] = [];
  const bad: TextRange[] = [];
  if (!node) return { items, bad };
  const one = (n: YamlNode | null) => {
    const value = textOf(n, fm, text);
    const range = rangeOf(n, fm);
    if (value !== undefined && value !== '' && range) items.push({ value, range });
    else if (range && !(isScalar(n) && n.value === null)) bad.push(range);
  };
  if (isSeq(node)) for (const item of node.items) one(item as YamlNode | null);
  else if (isScalar(node)) {
    const value = textOf(node, fm, text);
    if (value !== undefined && value !== '' && value !== '[]') one(node);
  } else {
    const range = rangeOf(node, fm);
    if (range) bad.push(range);
  }
  return { items, bad };
}

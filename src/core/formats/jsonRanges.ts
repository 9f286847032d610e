/**
 * JSON with where each value is: a small parser that keeps the source range of every value and
 * key (the format readers position their diagnostics with them). Strict JSON; the first syntax
 * error is given with its offset, never thrown.
 */
import type { TextRange } from '../plan/model';

export type JsonNode =
  | { kind: 'object'; range: TextRange; members: { key: string; keyRange: TextRange; value: JsonNode }[] }
  | { kind: 'array'; range: TextRange; items: JsonNode[] }
  | { kind: 'string'; range: TextRange; value: string }
  | { kind: 'number'; range: TextRange; value: number }
  | { kind: 'boolean'; range: TextRange; value: boolean }
  | { kind: 'null'; range: TextRange };

export type JsonResult = { node: JsonNode } | { error: string; at: number };

class JsonSyntax extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

/** Parses `text` from `start` to `end` (default: all of it). */
export function parseJson(text: string, start = 0, end = text.length): JsonResult {
  let i = start;
  const space = () => {
    while (i < end && /\s/.test(text[i])) i++;
  };
  const fail = (what: string): never => {
    throw new JsonSyntax(i >= end ? `unexpected end of JSON (${what})` : `${what}, found \`${text[i]}\``, Math.min(i, end));
  };
  const str = (): { value: string; range: TextRange } => {
    const from = i++;
    let value = '';
    while (i < end && text[i] !== '"') {
      if (text[i] === '\\') {
        const c = text[i + 1];
        if (c === 'u') {
          value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          value += ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' } as Record<string, string>)[c] ?? c;
          i += 2;
        }
      } else if (text[i] === '\n') fail('a line break inside a string');
      else value += text[i++];
    }
    if (i >= end) fail('a closing `"`');
    i++;
    return { value, range: { start: from, end: i } };
  };
  const value = (depth: number): JsonNode => {
    if (depth > 200) fail('nesting deeper than 200');
    space();
    const from = i;
    const c = text[i];
    if (c === '{') {
      i++;
      const members: { key: string; keyRange: TextRange; value: JsonNode }[] = [];
      space();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', range: { start: from, end: i }, members };
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail('expected a key in quotes');
        const key = str();
        space();
        if (text[i] !== ':') fail('expected `:`');
        i++;
        members.push({ key: key.value, keyRange: key.range, value: value(depth + 1) });
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { kind: 'object', range: { start: from, end: i }, members };
        }
        fail('expected `,` or `}`');
      }
    }
    if (c === '[') {
      i++;
      const items: JsonNode[] = [];
      space();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', range: { start: from, end: i }, items };
      }
      for (;;) {
        items.push(value(depth + 1));
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { kind: 'array', range: { start: from, end: i }, items };
        }
        fail('expected `,` or `]`');
      }
    }
    if (c === '"') {
      const s = str();
      return { kind: 'string', range: s.range, value: s.value };
    }
    const word = /^(true|false|null|-?\d+(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i, Math.min(end, i + 40)));
    if (!word) return fail('expected a value');
    i += word[0].length;
    const range = { start: from, end: i };
    if (word[0] === 'true' || word[0] === 'false') return { kind: 'boolean', range, value: word[0] === 'true' };
    if (word[0] === 'null') return { kind: 'null', range };
    return { kind: 'number', range, value: Number(word[0]) };
  };
  try {
    const node = value(0);
    space();
    if (i < end) fail('expected the end of the JSON');
    return { node };
  } catch (err) {
    if (err instanceof JsonSyntax) return { error: err.message, at: err.at };
    throw err;
  }
}

/** A member of an object node, or undefined. */
export function member(node: JsonNode | undefined, key: string): JsonNode | undefined {
  return node?.kind === 'object' ? node.members.find((m) => m.key === key)?.value : undefined;
}

/** A scalar as text (`3`, `"3.1"` → `3.1`), or undefined. */
export function scalarText(node: JsonNode | undefined): string | undefined {
  if (node?.kind === 'string') return node.value;
  if (node?.kind === 'number') return String(node.value);
  return undefined;
}

/**
 * The fast front ends for large plans. `fastParse` tries the plan scanner first
 * (`planScanner.ts`: the subset of YAML plans are written in, read straight into lean nodes),
 * then js-yaml, here: js-yaml parses the text (about ten times faster than the `yaml` package)
 * and its node events are turned into the same lean nodes (`leanYaml.ts`) that the `yaml`
 * package's type guards take, with the ranges and scalar values `parseAllDocuments` would give.
 * The reader walks either.
 *
 * Each only takes text it can reproduce exactly and gives up (returns undefined) on anything
 * else, so the reader falls back to the `yaml` package: any YAML error (js-yaml stops at the
 * first one; `yaml` reports them all, positioned), anchors, aliases, tags, complex keys,
 * directives and document markers, a byte-order mark, a lone CR, keys over 1,024 characters,
 * collection keys, pairs inside flow lists. Scalars are resolved by the `yaml` package's own
 * core-schema tags, so `yes`, `1_000` or `2026-01-01` stay strings as there.
 * `test/core/plan/fastYaml.test.ts` and `planScanner.test.ts` check that the reader gives
 * identical results through the fast front ends and through `yaml`, on real plans, random
 * documents and mutated plans.
 */
import { FAILSAFE_SCHEMA, load, type State } from 'js-yaml';
import type { Document } from 'yaml';
import { GiveUp, LeanMap, LeanPair, LeanScalar, LeanSeq, blockEnd, commentMemo, leanDocument, leanScalar, toLineEnd, trimEnd, type CommentMemo, type LeanNode } from './leanYaml';
import { scanPlan } from './planScanner';
import { isSpace } from '../text';

export { MAY_RESOLVE, SCALAR_TAGS, resolvePlain } from './leanYaml';

/** Texts at least this long take the fast front end (see `readPlan`'s `parser` option). */
export const FAST_PARSE_MIN_LENGTH = 64 * 1024;

const NO_CHILDREN: readonly Built[] = [];

interface Built {
  node: LeanNode;
  /** What js-yaml made of it: wrapper events are recognised by carrying the same result. */
  result: unknown;
  kind: string | null;
}

/**
 * The document `parseAllDocuments(text)[0]` would give, or undefined when neither fast front end
 * can tell: the plan scanner first (`planScanner.ts`), then js-yaml.
 */
export function fastParse(text: string): Document.Parsed | undefined {
  return scanPlan(text) ?? jsYamlParse(text);
}

/** The js-yaml front end alone (tests hold the scanner's nodes to its). */
export function jsYamlParse(text: string): Document.Parsed | undefined {
  // A lone CR: js-yaml breaks the line there, `yaml` does not.
  if (text.charCodeAt(0) === 0xfeff || /^(?:---|\.\.\.|%)/m.test(text) || /\r(?!\n)/.test(text)) return undefined;
  // The open nodes' starts, and where each one's children begin in `built` (one flat list: no
  // list per node, and most nodes are scalars without children).
  const starts: number[] = [0];
  const bases: number[] = [0];
  const built: Built[] = [];
  const comments = commentMemo();
  try {
    load(text, {
      schema: FAILSAFE_SCHEMA,
      json: false,
      // js-yaml goes on after a warning (deficient indentation, U+2028 line breaks…); `yaml`
      // may call the same text an error. Leave it to `yaml`.
      onWarning() {
        throw new GiveUp();
      },
      listener(event: 'open' | 'close', state: State) {
        // (js-yaml appends a line break to a text that does not end with one.)
        if (event === 'open') {
          starts.push(Math.min(state.position, text.length));
          bases.push(built.length);
          return;
        }
        const start = starts.pop();
        const base = bases.pop();
        if (start === undefined || base === undefined || starts.length === 0) throw new GiveUp();
        const node = build(text, start, base === built.length ? NO_CHILDREN : built.slice(base), state, comments);
        built.length = base;
        built.push(node);
      },
    });
  } catch {
    // a text the fast reader cannot take: the full YAML reader reads it
    return undefined;
  }
  if (starts.length !== 1 || built.length !== 1) return undefined;
  return leanDocument(built[0].node, text.length);
}

function build(text: string, frameStart: number, children: readonly Built[], state: State, comments: CommentMemo): Built {
  const kind = (state.kind as string | null) ?? null;
  const result = state.result;
  // A wrapper event around the node it composed (js-yaml opens twice at some places).
  if (children.length === 1 && children[0].kind === kind && children[0].result === result && kind !== null) {
    return children[0];
  }
  const position = Math.min(state.position, text.length);
  const start = skipSpace(text, frameStart, position);
  const end = trimEnd(text, start, position);
  const ch = text[start];
  if (ch === '&' || ch === '*' || ch === '!' || ch === '?') throw new GiveUp();
  switch (kind) {
    case 'scalar': {
      if (children.length > 0 || typeof result !== 'string') throw new GiveUp();
      // Quoted scalars over several lines: js-yaml is more lenient about their indentation.
      if ((ch === '"' || ch === "'") && hasLineBreak(text, start, end)) throw new GiveUp();
      return { node: leanScalar(text, start, end, result), result, kind };
    }
    case null: {
      if (children.length > 0 || result !== null) throw new GiveUp();
      // `key:` followed by comment lines: `yaml` places the empty value after them.
      if (text[skipSpace(text, frameStart, text.length, false)] === '#') throw new GiveUp();
      return { node: new LeanScalar(null, undefined, '', frameStart, frameStart), result, kind };
    }
    case 'mapping': {
      if (children.length % 2 !== 0) throw new GiveUp();
      const flow = ch === '{';
      if (flow && hasLineBreak(text, start, end)) throw new GiveUp();
      const items: LeanPair[] = new Array(children.length / 2);
      let at = flow ? start + 1 : start;
      for (let k = 0; k < children.length; k += 2) {
        const key = children[k].node;
        const value = children[k + 1].node;
        // `yaml` takes an implicit key of at most 1024 characters; js-yaml any.
        if (!(key instanceof LeanScalar) || key.textRange.end - key.textRange.start > 1024) throw new GiveUp();
        // The text between the nodes is exactly what separates them: nothing js-yaml skipped.
        expectGap(text, at, key.textRange.start, k === 0 ? '' : flow ? ',' : '');
        expectGap(text, key.textRange.end, value.textRange.start, ':');
        at = value.textRange.end;
        items[k / 2] = new LeanPair(key, value);
      }
      if (flow) expectGap(text, at, end - 1, children.length > 0 ? ',?' : '', '}');
      else if (children.length === 0) throw new GiveUp();
      else expectGap(text, at, end, ''); // nothing js-yaml skipped after the last entry
      const mapEnd = flow ? end : blockEnd(text, children[children.length - 1].node.textRange.end, start, comments);
      return { node: new LeanMap(flow, items, { start, end: mapEnd }), result, kind };
    }
    case 'sequence': {
      const flow = ch === '[';
      if (flow && hasLineBreak(text, start, end)) throw new GiveUp();
      const items: LeanNode[] = new Array(children.length);
      let at = flow ? start + 1 : start;
      for (let k = 0; k < children.length; k++) {
        const node = children[k].node;
        // `[a: b]`: `yaml` keeps a pair there, js-yaml makes a mapping.
        if (flow && node instanceof LeanMap && !node.flow) throw new GiveUp();
        expectGap(text, at, node.textRange.start, flow ? (k === 0 ? '' : ',') : '-');
        at = node.textRange.end;
        items[k] = node;
      }
      if (flow) expectGap(text, at, end - 1, children.length > 0 ? ',?' : '', ']');
      // `- # comment` alone: js-yaml may drop that empty item, `yaml` keeps a null.
      else if (children.length === 0) throw new GiveUp();
      else expectGap(text, at, end, '');
      const seqEnd = flow ? end : blockEnd(text, children[children.length - 1].node.textRange.end, start, comments);
      return { node: new LeanSeq(flow, items, { start, end: seqEnd }), result, kind };
    }
    default:
      throw new GiveUp();
  }
}

/**
 * Gives up unless `text[from, to)` holds only blanks, line breaks and comments around one
 * `separator` (none for '', at most one for ',?'), and `text[to]` is `close` when given.
 */
function expectGap(text: string, from: number, to: number, separator: '' | ',' | ',?' | ':' | '-', close?: string): void {
  if (to < from || (close !== undefined && text[to] !== close)) throw new GiveUp();
  let seen = 0;
  for (let i = from; i < to; i++) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (c === '#') {
      // A comment needs a blank before it (`yaml` reports `"a"#b` as an error).
      if (i === 0 || !isSpace(text.charCodeAt(i - 1))) throw new GiveUp();
      i = toLineEnd(text, i, to);
      continue;
    }
    const sep = separator === ',?' ? ',' : separator;
    if (c !== sep || ++seen > 1) throw new GiveUp();
  }
  if ((separator === ',' || separator === ':' || separator === '-') && seen !== 1) throw new GiveUp();
}

/** The first position from `from` that is not blank, a line break or a comment. */
function skipSpace(text: string, from: number, limit: number, comments = true): number {
  let i = from;
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) i++;
    else if (comments && c === 0x23 /* # */ && (i === 0 || isSpace(text.charCodeAt(i - 1)))) i = toLineEnd(text, i, limit);
    else break;
  }
  return i;
}

function hasLineBreak(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) return true;
  }
  return false;
}

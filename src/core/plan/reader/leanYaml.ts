/**
 * What the two fast YAML front ends share (`planScanner.ts`, which reads the plan subset itself,
 * and `fastYaml.ts`, which reads through js-yaml): the lean nodes they build, the `yaml`
 * package's core-schema resolution of plain scalars, the document that wraps a root, and where a
 * block collection ends as `yaml` says it does.
 */
import { Document, Scalar } from 'yaml';
import type { TextRange } from '../model';
import { isSpace } from '../text';

/** Thrown by a front end that cannot be sure it reads the text as `yaml` would. */
export class GiveUp extends Error {}

/** The core schema and default options of a `yaml` document: what its composer resolves with. */
const defaults = new Document();
export const SCALAR_TAGS = defaults.schema.tags.filter((t) => !t.collection);

/**
 * Lean document nodes: what the reader reads of a node (`items`, `key`/`value`, `value`, `type`,
 * `source`, `range`, `flow`) and nothing else, about half the memory of the `yaml` package's
 * classes, whose constructors define their identity on every instance. They carry the `yaml`
 * package's identity on their prototype, so its `isScalar`, `isMap`, `isSeq` and `isPair` take
 * them (identity.js: `node[Symbol.for('yaml.node.type')]`; a unit test holds that).
 */
export class LeanNodeBase {
  constructor(
    /** The node's range, trimmed as the reader's `rangeOf` trims one: shared with the sites. */
    readonly textRange: TextRange,
  ) {}
  /** `yaml`'s form of the range, made when asked (the reader asks only in a quick fix). */
  get range(): [number, number, number] {
    return [this.textRange.start, this.textRange.end, this.textRange.end];
  }
}
export class LeanScalar extends LeanNodeBase {
  constructor(
    readonly value: unknown,
    readonly type: Scalar.Type | undefined,
    readonly source: string,
    start: number,
    end: number,
  ) {
    super({ start, end });
  }
}
export class LeanMap extends LeanNodeBase {
  constructor(
    readonly flow: boolean,
    readonly items: LeanPair[],
    textRange: TextRange,
  ) {
    super(textRange);
  }
}
export class LeanSeq extends LeanNodeBase {
  constructor(
    readonly flow: boolean,
    readonly items: LeanNode[],
    textRange: TextRange,
  ) {
    super(textRange);
  }
}
export class LeanPair {
  constructor(
    readonly key: LeanScalar,
    readonly value: LeanNode,
  ) {}
}
export type LeanNode = LeanScalar | LeanMap | LeanSeq;
const NODE_TYPE = Symbol.for('yaml.node.type');
for (const [lean, identity] of [
  [LeanScalar, 'yaml.scalar'],
  [LeanMap, 'yaml.map'],
  [LeanSeq, 'yaml.seq'],
  [LeanPair, 'yaml.pair'],
] as const) {
  Object.defineProperty(lean.prototype, NODE_TYPE, { value: Symbol.for(identity) });
}

/** A scalar node as `yaml`'s composer makes it: type from its first character, core-schema value. */
export function leanScalar(text: string, start: number, end: number, value: string): LeanScalar {
  const ch = text[start];
  const type =
    ch === '"' ? Scalar.QUOTE_DOUBLE : ch === "'" ? Scalar.QUOTE_SINGLE : ch === '|' ? Scalar.BLOCK_LITERAL : ch === '>' ? Scalar.BLOCK_FOLDED : Scalar.PLAIN;
  return new LeanScalar(type === Scalar.PLAIN ? resolvePlain(value) : value, type, value, start, end);
}

/**
 * How a plain scalar that is not a string starts, by the core schema's tests: `~`, null, true,
 * false (any case the schema takes), digits, a sign or a dot (`.inf`, `.5`). A unit test holds
 * every tag's test to it.
 */
export const MAY_RESOLVE = /^[~NnTtFf0-9+\-.]/;

/**
 * A plain scalar's value by the first core-schema tag whose test matches, as `yaml` does (keys
 * too: the core schema has no key-only tags).
 */
export function resolvePlain(value: string): unknown {
  if (value !== '' && !MAY_RESOLVE.test(value)) return value; // most plan scalars: no regex to try
  const tag = SCALAR_TAGS.find((t) => t.default === true && t.test?.test(value));
  if (!tag?.resolve) return value;
  let failed = false;
  const resolved = tag.resolve(value, () => (failed = true), defaults.options as never);
  if (failed) throw new GiveUp();
  return resolved instanceof Scalar ? resolved.value : resolved;
}


/** The parsed document `parseAllDocuments(text)[0]` gives, around a lean root. */
export function leanDocument(root: LeanNode, length: number): Document.Parsed {
  const doc = new Document() as unknown as Document.Parsed;
  // An empty document: `yaml` gives `contents: null`.
  doc.contents = (root instanceof LeanScalar && root.value === null ? null : root) as unknown as Document.Parsed['contents'];
  doc.range = [0, length, length];
  return doc;
}

/**
 * Where a block collection that starts at `start` ends, given its last node's end: with that node,
 * as in `yaml` — and a comment on that last line is the collection's. Comment lines after it,
 * indented at least as much as the collection: `yaml` may count them in, depending on the
 * indentation around; gives up, to leave that to it.
 */
export function blockEnd(text: string, last: number, start: number, memo: CommentMemo): number {
  let i = last;
  while (text[i] === ' ' || text[i] === '\t') i++;
  let end = last;
  if (text[i] === '#' && i > last) {
    i = toLineEnd(text, i, text.length);
    end = trimEnd(text, last, i);
  }
  const column = start - lineStartOf(text, start);
  if (deepestCommentAfter(text, toLineEnd(text, i, text.length), memo) >= column) throw new GiveUp();
  return end;
}

/**
 * `blockEnd`'s last answer about the comment lines after a position, kept by the front end for
 * one text: every collection that ends on one line asks about the same lines, and a plan nested a
 * thousand deep before thousands of comment lines would otherwise have them read a thousand times.
 */
export interface CommentMemo {
  from: number;
  deepest: number;
}

export function commentMemo(): CommentMemo {
  return { from: -1, deepest: -1 };
}

/**
 * The deepest indentation of the comment lines from the line break at `from` to the next line
 * that holds something else (-1: none).
 */
function deepestCommentAfter(text: string, from: number, memo: CommentMemo): number {
  if (memo.from === from) return memo.deepest;
  let deepest = -1;
  let i = from;
  while (i < text.length) {
    while (text[i] === '\n' || text[i] === '\r') i++;
    const lineStart = i;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '#') {
      deepest = Math.max(deepest, i - lineStart);
      i = toLineEnd(text, i, text.length);
      continue;
    }
    if (i < text.length && text[i] !== '\n' && text[i] !== '\r') break;
  }
  memo.from = from;
  memo.deepest = deepest;
  return deepest;
}

/** The first line break at or after `from` (or `limit`). */
export function toLineEnd(text: string, from: number, limit: number): number {
  let i = from;
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) break;
    i++;
  }
  return i;
}

/** Where the line holding `offset` starts (after an LF or a CR). */
export function lineStartOf(text: string, offset: number): number {
  let i = offset;
  while (i > 0) {
    const c = text.charCodeAt(i - 1);
    if (c === 0x0a || c === 0x0d) break;
    i--;
  }
  return i;
}

/** `end` moved back over blanks and line breaks (never before `start`). */
export function trimEnd(text: string, start: number, end: number): number {
  let e = end;
  while (e > start && isSpace(text.charCodeAt(e - 1))) e--;
  return e;
}

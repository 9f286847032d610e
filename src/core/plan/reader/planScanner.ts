/**
 * The fastest YAML front end: a scanner of the subset of YAML that plans are written in, which
 * builds the reader's lean nodes straight from the text — no parser's own result tree, no events
 * to turn into nodes (about half of what a large plan's analysis allocated went there) — or,
 * through another `ScanBuilder` (`planDirect.ts`), the reader's canonical data without any nodes.
 *
 * The subset: a root block mapping; block mappings and lists (a list item may open a mapping,
 * `- key: value`, whose next keys stand under its first); plain and quoted scalars
 * on one line (`-1`, `:x` and `?x` are plain; `- x` as a value is not); literal and folded
 * block scalars without an indentation indicator or `+`; flow lists and mappings on one line;
 * comments; LF or CRLF line ends. It gives up (returns undefined) on anything else and on
 * anything it cannot be sure `yaml` reads the same way — tabs, control characters, anchors,
 * aliases, tags, complex or merge keys, duplicate keys, a scalar over several lines, an empty
 * list item, escapes other than `\\`, `\"`, `\/`, `\n` and `\t`, a folded block with more
 * indented lines, a trailing comma — so `fastYaml.ts` (js-yaml) and then the `yaml` package
 * read the text instead. The nodes and ranges are those the js-yaml front end builds; tests hold
 * the two to each other and the reader's results to the `yaml` package's.
 */
import { Scalar, type Document } from 'yaml';
import { GiveUp, LeanMap, LeanPair, LeanScalar, LeanSeq, MAY_RESOLVE, blockEnd, commentMemo, leanDocument, lineStartOf, resolvePlain, toLineEnd, type LeanNode } from './leanYaml';

/** Characters the subset never holds: tabs, C0/C1 controls, line and paragraph separators, BOM, lone surrogates. */
const OUTSIDE = /[\t\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff]|\r(?!\n)|[\ud800-\udbff](?![\udc00-\udfff])|(?:[^\ud800-\udbff]|^)[\udc00-\udfff]/;
/** Document markers and directives. */
const MARKERS = /^(?:---|\.\.\.|%)/m;
/** The longest implicit key `yaml` takes. */
const MAX_KEY_LENGTH = 1024;
/** Texts up to this long are read as one shared string each, up to this many of them. */
const MAX_SHARED_LENGTH = 40;
const MAX_SHARED_STRINGS = 100_000;

const LF = 10;
const CR = 13;
const SPACE = 32;
const HASH = 35;
const COLON = 58;
const DASH = 45;
const COMMA = 44;

/** The document `parseAllDocuments(text)[0]` would give, or undefined when the text is outside the subset. */
export function scanPlan(text: string): Document.Parsed | undefined {
  const root = scan(text, new LeanBuilder(), undefined);
  return root && leanDocument(root, text.length);
}

/**
 * The text read by the scanner into what `builder` makes of it (its root mapping at `rootShape`);
 * undefined when the text is outside the subset or the builder gives up.
 */
export function scan<N, K, S>(text: string, builder: ScanBuilder<N, K, S>, rootShape: S): N | undefined {
  if (OUTSIDE.test(text) || MARKERS.test(text)) return undefined;
  try {
    return new Scanner(text, builder).document(rootShape);
  } catch (err) {
    // GiveUp, or a stack overflow on absurd nesting: either way the other front ends decide.
    if (err instanceof GiveUp || err instanceof RangeError) return undefined;
    throw err;
  }
}

/**
 * What the scanner makes of what it reads, node by node in the text's order: the lean nodes of a
 * YAML document (`LeanBuilder`, which the reader then walks) or the reader's canonical data
 * straight away (`planDirect.ts`'s `DataBuilder`). A collection is opened, given its members, and
 * closed, innermost first; the builder keeps what is open. `S` is what the builder knows of a
 * place (the plan format's `Shape`), handed back to it for each value; any method may throw
 * `GiveUp`.
 */
export interface ScanBuilder<N, K, S> {
  /** A scalar value, `[start, end)` of the text, at a place of shape `shape`. */
  scalar(value: unknown, type: Scalar.Type | undefined, source: string, start: number, end: number, shape: S): N;
  /** A mapping's key, `[start, end)` of the text. */
  key(value: unknown, type: Scalar.Type, source: string, start: number, end: number): K;
  openMap(shape: S): void;
  /** The shape of the value of `key` in the innermost open mapping. */
  valueShape(key: K): S;
  /** `key: value` in the innermost open mapping; the value is `[valueStart, valueEnd)` (empty: `key:` alone). */
  entry(key: K, keyStart: number, keyEnd: number, value: N, valueStart: number, valueEnd: number): void;
  closeMap(flow: boolean, start: number, end: number): N;
  openSeq(shape: S): void;
  /** The shape of the innermost open list's items. */
  itemShape(): S;
  item(value: N, start: number, end: number): void;
  closeSeq(flow: boolean, start: number, end: number): N;
}

/** The lean nodes of the js-yaml front end, built as the scanner reads them. */
class LeanBuilder implements ScanBuilder<LeanNode, LeanScalar, undefined> {
  /** The items of the open collections, innermost last (one list: no growing list per collection). */
  private readonly stack: (LeanNode | LeanPair)[] = [];
  /** Where each open collection's items start in `stack`. */
  private readonly bases: number[] = [];

  scalar(value: unknown, type: Scalar.Type | undefined, source: string, start: number, end: number): LeanScalar {
    return new LeanScalar(value, type, source, start, end);
  }
  key(value: unknown, type: Scalar.Type, source: string, start: number, end: number): LeanScalar {
    return this.scalar(value, type, source, start, end);
  }
  openMap(): void {
    this.bases.push(this.stack.length);
  }
  valueShape(): undefined {
    return undefined;
  }
  entry(key: LeanScalar, _keyStart: number, _keyEnd: number, value: LeanNode): void {
    this.stack.push(new LeanPair(key, value));
  }
  closeMap(flow: boolean, start: number, end: number): LeanNode {
    return new LeanMap(flow, this.take() as LeanPair[], { start, end });
  }
  openSeq(): void {
    this.bases.push(this.stack.length);
  }
  itemShape(): undefined {
    return undefined;
  }
  item(value: LeanNode): void {
    this.stack.push(value);
  }
  closeSeq(flow: boolean, start: number, end: number): LeanNode {
    return new LeanSeq(flow, this.take() as LeanNode[], { start, end });
  }

  /** The innermost collection's items, as a list of exactly their length (a pushed list keeps spare room). */
  private take(): (LeanNode | LeanPair)[] {
    const base = this.bases.pop()!;
    const items = this.stack.slice(base);
    this.stack.length = base;
    return items;
  }
}

class Scanner<N, K, S> {
  private readonly length: number;
  /** The first character of the current content line (`length` at the end of the text). */
  private at = 0;
  /** Its column. */
  private column = 0;
  /** The last scalar read: its value, type, source and range. */
  private tokValue: unknown = null;
  private tokType: Scalar.Type = Scalar.PLAIN;
  private tokSource = '';
  private tokStart = 0;
  private tokEnd = 0;
  /** The range of the last node made (trimmed as the reader trims it). */
  private nodeStart = 0;
  private nodeEnd = 0;
  /** The keys of the open mappings, innermost last, to find a repeated one (`KeyNames`). */
  private readonly names: string[] = [];
  /** What `blockEnd` last found of the comment lines after a collection. */
  private readonly comments = commentMemo();
  /** Short texts already read: one string for each (see `string`). */
  private readonly strings = new Map<string, string>();
  /** The values of the short plain scalars already read that may be other than a string (`resolve`). */
  private readonly resolved = new Map<string, unknown>();

  constructor(
    private readonly text: string,
    private readonly b: ScanBuilder<N, K, S>,
  ) {
    this.length = text.length;
  }

  document(shape: S): N {
    this.nextContent(0);
    if (this.at >= this.length || this.column !== 0 || !this.keyAhead(this.at)) throw new GiveUp();
    const root = this.blockMap(0, shape);
    if (this.at < this.length) throw new GiveUp();
    return root;
  }

  // ------------------------------------------------------------------------------------------
  // Block collections

  /** A block mapping whose entries start at `column`; the current line holds its first key. */
  private blockMap(column: number, shape: S): N {
    const text = this.text;
    const b = this.b;
    const start = this.at;
    const names = new KeyNames(this.names);
    b.openMap(shape);
    let last: number;
    for (;;) {
      this.key();
      if (names.repeats(this.tokValue)) throw new GiveUp();
      const keyStart = this.tokStart;
      const keyEnd = this.tokEnd;
      const key = b.key(this.tokValue, this.tokType, this.tokSource, keyStart, keyEnd);
      // After the key: blanks, then the colon and a blank or the line's end.
      let i = keyEnd;
      while (text.charCodeAt(i) === SPACE) i++;
      if (text.charCodeAt(i) !== COLON || !this.endsToken(i + 1)) throw new GiveUp();
      const value = this.value(i + 1, column, true, b.valueShape(key));
      b.entry(key, keyStart, keyEnd, value, this.nodeStart, this.nodeEnd);
      last = this.nodeEnd;
      if (this.at >= this.length || this.column < column) break;
      if (this.column > column || !this.keyAhead(this.at)) throw new GiveUp();
    }
    names.close();
    const end = blockEnd(text, last, start, this.comments);
    return this.closed(b.closeMap(false, start, end), start, end);
  }

  /** A block list whose `-` marks stand at `column`; the current line holds its first. */
  private blockSeq(column: number, shape: S): N {
    const text = this.text;
    const b = this.b;
    const start = this.at;
    b.openSeq(shape);
    const itemShape = b.itemShape();
    for (;;) {
      // `- item`: an empty item (`-` alone or before a comment) reads differently in js-yaml.
      let i = this.at + 1;
      if (text.charCodeAt(i) !== SPACE) throw new GiveUp();
      while (text.charCodeAt(i) === SPACE) i++;
      const c = text.charCodeAt(i);
      if (c === LF || c === CR || c === HASH || i >= this.length) throw new GiveUp();
      let item: N;
      if (this.keyAhead(i)) {
        // `- key: value`: a mapping whose entries stand where its first key does.
        this.at = i;
        this.column = i - lineStartOf(text, i);
        item = this.blockMap(this.column, itemShape);
      } else {
        item = this.value(i, column, false, itemShape);
      }
      b.item(item, this.nodeStart, this.nodeEnd);
      if (this.at >= this.length || this.column < column) break;
      if (this.column > column) throw new GiveUp();
      if (text.charCodeAt(this.at) !== DASH) break; // the list ends; its owner's next key
    }
    const end = blockEnd(text, this.nodeEnd, start, this.comments);
    return this.closed(b.closeSeq(false, start, end), start, end);
  }

  /** `node`, the collection `[start, end)` of the text, as the last node made. */
  private closed(node: N, start: number, end: number): N {
    this.nodeStart = start;
    this.nodeEnd = end;
    return node;
  }

  /**
   * The value after a mapping's colon or a list item's `-` at `from` (the character after the
   * indicator), in a collection at `column`; leaves the scanner on the next content line.
   */
  private value(from: number, column: number, inMap: boolean, shape: S): N {
    const text = this.text;
    let i = from;
    while (text.charCodeAt(i) === SPACE) i++;
    const c = text.charCodeAt(i);
    if (i >= this.length || c === LF || c === CR || c === HASH) {
      if (!inMap) throw new GiveUp();
      // Nothing on the key's line: a collection on the next lines, or an empty value.
      this.nextContent(i);
      if (this.at < this.length) {
        if (this.column > column) {
          if (text.charCodeAt(this.at) === DASH && this.endsToken(this.at + 1)) return this.blockSeq(this.column, shape);
          if (this.keyAhead(this.at)) return this.blockMap(this.column, shape);
          throw new GiveUp(); // a scalar on the next line
        }
        if (this.column === column && text.charCodeAt(this.at) === DASH && this.endsToken(this.at + 1)) return this.blockSeq(column, shape);
      }
      // An empty value: `yaml` places it after comment lines that follow; js-yaml does not.
      let j = from;
      while (j < this.length && isBlankOrBreak(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) === HASH) throw new GiveUp();
      this.nodeStart = from;
      this.nodeEnd = from;
      return this.b.scalar(null, undefined, '', from, from, shape);
    }
    if (c === 0x7c /* | */ || c === 0x3e /* > */) {
      this.blockScalar(i, column);
      return this.scalarNode(shape);
    }
    let node: N;
    if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      node = this.flow(i, shape);
    } else {
      if (c === 0x22 /* " */ || c === 0x27 /* ' */) this.quoted(i);
      else this.plain(i, false);
      node = this.scalarNode(shape);
    }
    this.afterValue(this.nodeEnd);
    if (this.at < this.length && this.column > column) throw new GiveUp(); // more of it on the next line
    return node;
  }

  /** The scalar just read, made a node at a place of shape `shape`. */
  private scalarNode(shape: S): N {
    this.nodeStart = this.tokStart;
    this.nodeEnd = this.tokEnd;
    return this.b.scalar(this.tokValue, this.tokType, this.tokSource, this.tokStart, this.tokEnd, shape);
  }

  /** After a value on its line: blanks and a comment at most, then the next content line. */
  private afterValue(end: number): void {
    const text = this.text;
    let i = end;
    while (text.charCodeAt(i) === SPACE) i++;
    const c = text.charCodeAt(i);
    if (c === HASH) {
      if (i === end) throw new GiveUp(); // `"a"#b`: a comment needs a blank before it
    } else if (i < this.length && c !== LF && c !== CR) throw new GiveUp();
    this.nextContent(i);
  }

  // ------------------------------------------------------------------------------------------
  // Scalars (each read into `tok…`)

  /** A mapping key at the current position (plain or quoted), not yet checked for its colon. */
  private key(): void {
    const c = this.text.charCodeAt(this.at);
    if (c === 0x22 || c === 0x27) this.quoted(this.at);
    else this.plain(this.at, true);
    if (this.tokEnd - this.tokStart > MAX_KEY_LENGTH) throw new GiveUp();
  }

  /** Whether a mapping key, then `:` and a blank or the line's end, starts at `i`. */
  private keyAhead(i: number): boolean {
    const text = this.text;
    const c = text.charCodeAt(i);
    let j: number;
    if (c === 0x22 || c === 0x27) {
      j = this.quotedEnd(i);
      if (j < 0) return false;
      while (text.charCodeAt(j) === SPACE) j++;
      return text.charCodeAt(j) === COLON && this.endsToken(j + 1);
    }
    if (!plainStart(text, i, false)) return false;
    for (j = i; j < this.length; j++) {
      const d = text.charCodeAt(j);
      if (d === LF || d === CR) return false;
      if (d === HASH && text.charCodeAt(j - 1) === SPACE) return false;
      if (d === COLON && this.endsToken(j + 1)) return true;
    }
    return false;
  }

  /**
   * A plain scalar on one line from `i`: up to a comment, the line's end, or (for a key) the
   * colon. In a value, `: ` means a mapping where none may be: give up. In a flow collection it
   * also ends at `,`, `]` and `}`.
   */
  private plain(i: number, isKey: boolean, inFlow = false): void {
    const text = this.text;
    if (!plainStart(text, i, inFlow)) throw new GiveUp();
    let j = i;
    for (; j < this.length; j++) {
      const d = text.charCodeAt(j);
      if (d === LF || d === CR) break;
      if (d === HASH && text.charCodeAt(j - 1) === SPACE) break;
      if (inFlow) {
        if (d === COMMA || d === 0x5d /* ] */ || d === 0x7d /* } */) break;
        if (d === 0x5b || d === 0x7b) throw new GiveUp();
        if (d === COLON) {
          const e = text.charCodeAt(j + 1);
          if (this.endsToken(j + 1) || e === COMMA || e === 0x5d || e === 0x7d) {
            if (isKey) break;
            throw new GiveUp();
          }
        }
      } else if (d === COLON && this.endsToken(j + 1)) {
        if (isKey) break;
        throw new GiveUp();
      }
    }
    let end = j;
    while (end > i && text.charCodeAt(end - 1) === SPACE) end--;
    const source = this.string(i, end);
    this.token(this.resolve(source), Scalar.PLAIN, source, i, end);
  }

  /** A plain scalar's value (`resolvePlain`), found once for each short text that may be other than a string. */
  private resolve(source: string): unknown {
    if (source !== '' && !MAY_RESOLVE.test(source)) return source;
    if (source.length > MAX_SHARED_LENGTH) return resolvePlain(source);
    let value = this.resolved.get(source);
    if (value === undefined && !this.resolved.has(source)) {
      value = resolvePlain(source);
      if (this.resolved.size < MAX_SHARED_STRINGS) this.resolved.set(source, value);
    }
    return value;
  }

  private token(value: unknown, type: Scalar.Type, source: string, start: number, end: number): void {
    this.tokValue = value;
    this.tokType = type;
    this.tokSource = source;
    this.tokStart = start;
    this.tokEnd = end;
  }

  /** Where the quoted scalar at `i` ends (after its closing quote), or -1 if not on this line. */
  private quotedEnd(i: number): number {
    const text = this.text;
    const q = text.charCodeAt(i);
    for (let j = i + 1; j < this.length; j++) {
      const d = text.charCodeAt(j);
      if (d === LF || d === CR) return -1;
      if (q === 0x22 && d === 0x5c /* \ */) j++;
      else if (d === q) {
        if (q === 0x27 && text.charCodeAt(j + 1) === 0x27) j++;
        else return j + 1;
      }
    }
    return -1;
  }

  /** A single- or double-quoted scalar on one line at `i`. */
  private quoted(i: number): void {
    const text = this.text;
    const end = this.quotedEnd(i);
    if (end < 0) throw new GiveUp();
    const double = text.charCodeAt(i) === 0x22;
    let value = this.string(i + 1, end - 1);
    if (double) {
      if (value.includes('\\')) value = unescapeDouble(value);
    } else if (value.includes("''")) value = value.replace(/''/g, "'");
    this.token(value, double ? Scalar.QUOTE_DOUBLE : Scalar.QUOTE_SINGLE, value, i, end);
  }

  /**
   * A literal (`|`) or folded (`>`) block scalar whose header is at `i`, in a collection at
   * `column`; with `-` (strip) or no chomping indicator (clip).
   */
  private blockScalar(i: number, column: number): void {
    const text = this.text;
    const literal = text.charCodeAt(i) === 0x7c;
    let j = i + 1;
    const strip = text.charCodeAt(j) === DASH;
    if (strip) j++;
    while (text.charCodeAt(j) === SPACE) j++;
    if (text.charCodeAt(j) !== LF && text.charCodeAt(j) !== CR) throw new GiveUp(); // `+`, an indentation digit, a comment, the text's end
    // The content lines: indented as the first that is not blank, which must be past `column`.
    let indent = -1;
    const lines: string[] = [];
    let lastContentEnd = -1;
    let pos = nextLineStart(text, j);
    let leadingBlank = 0;
    while (pos < this.length) {
      let k = pos;
      while (text.charCodeAt(k) === SPACE) k++;
      const lineEnd = toLineEnd(text, k, text.length);
      const spaces = k - pos;
      if (k === lineEnd) {
        // A blank line: part of the scalar, unless blanks carry content past the indentation.
        if (indent < 0) {
          leadingBlank = Math.max(leadingBlank, spaces);
        } else if (spaces > indent) throw new GiveUp();
        lines.push('');
        pos = nextLineStart(text, lineEnd);
        continue;
      }
      if (indent < 0) {
        if (spaces <= column || spaces < leadingBlank) throw new GiveUp(); // an empty scalar, or a blank line deeper than the text
        indent = spaces;
      }
      if (spaces < indent) break;
      if (spaces > indent && !literal) throw new GiveUp(); // folded text keeps more-indented lines as they are: not done here
      lines.push(text.slice(pos + indent, lineEnd));
      lastContentEnd = lineEnd;
      pos = nextLineStart(text, lineEnd);
    }
    if (indent < 0) throw new GiveUp();
    // The text's last line must end with a line break: `yaml` and js-yaml differ there.
    if (lastContentEnd >= this.length) throw new GiveUp();
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    let value = literal ? lines.join('\n') : fold(lines);
    if (!strip) value += '\n';
    let end = lastContentEnd;
    while (end > i && text.charCodeAt(end - 1) === SPACE) end--;
    this.nextContent(lastContentEnd);
    this.token(value, literal ? Scalar.BLOCK_LITERAL : Scalar.BLOCK_FOLDED, value, i, end);
  }

  /**
   * `text[start, end)` as a string — the same string for the same short text: a plan repeats its
   * keys, ids and small values thousands of times, and what the reader keeps of them (the data,
   * the sites' keys, the model) would otherwise hold a copy each.
   */
  private string(start: number, end: number): string {
    const s = this.text.slice(start, end);
    if (end - start > MAX_SHARED_LENGTH) return s;
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    if (this.strings.size < MAX_SHARED_STRINGS) this.strings.set(s, s);
    return s;
  }

  // ------------------------------------------------------------------------------------------
  // Flow collections (on one line)

  private flow(i: number, shape: S): N {
    const text = this.text;
    const b = this.b;
    const isSeq = text.charCodeAt(i) === 0x5b;
    const close = isSeq ? 0x5d : 0x7d;
    let j = skipSpaces(text, i + 1);
    const names = isSeq ? undefined : new KeyNames(this.names);
    if (isSeq) b.openSeq(shape);
    else b.openMap(shape);
    const itemShape = isSeq ? b.itemShape() : shape;
    if (text.charCodeAt(j) !== close) {
      for (;;) {
        if (names === undefined) {
          const item = this.flowNode(j, itemShape);
          b.item(item, this.nodeStart, this.nodeEnd);
        } else {
          this.flowKey(j);
          if (names.repeats(this.tokValue)) throw new GiveUp();
          const keyStart = this.tokStart;
          const keyEnd = this.tokEnd;
          const key = b.key(this.tokValue, this.tokType, this.tokSource, keyStart, keyEnd);
          j = skipSpaces(text, keyEnd);
          if (text.charCodeAt(j) !== COLON || !this.endsToken(j + 1)) throw new GiveUp();
          const value = this.flowNode(skipSpaces(text, j + 1), b.valueShape(key));
          b.entry(key, keyStart, keyEnd, value, this.nodeStart, this.nodeEnd);
        }
        j = skipSpaces(text, this.nodeEnd);
        const d = text.charCodeAt(j);
        if (d === close) break;
        if (d !== COMMA) throw new GiveUp();
        j = skipSpaces(text, j + 1);
        if (text.charCodeAt(j) === close) throw new GiveUp(); // a trailing comma
      }
    }
    names?.close();
    return this.closed(isSeq ? b.closeSeq(true, i, j + 1) : b.closeMap(true, i, j + 1), i, j + 1);
  }

  private flowKey(j: number): void {
    const c = this.text.charCodeAt(j);
    if (c === 0x22 || c === 0x27) this.quoted(j);
    else this.plain(j, true, true);
    if (this.tokEnd - this.tokStart > MAX_KEY_LENGTH) throw new GiveUp();
  }

  private flowNode(j: number, shape: S): N {
    const c = this.text.charCodeAt(j);
    if (c === 0x5b || c === 0x7b) return this.flow(j, shape);
    if (c === 0x22 || c === 0x27) this.quoted(j);
    else this.plain(j, false, true);
    return this.scalarNode(shape);
  }

  // ------------------------------------------------------------------------------------------
  // Lines

  /** Whether the character at `i` ends a token: a blank, a line break, or the text's end. */
  private endsToken(i: number): boolean {
    if (i >= this.length) return true;
    const c = this.text.charCodeAt(i);
    return c === SPACE || c === LF || c === CR;
  }

  /**
   * From `from` (on a line whose content has been read), to the first character of the next
   * line that holds something other than blanks and a comment; sets `at` and `column`.
   */
  private nextContent(from: number): void {
    const text = this.text;
    let pos = from === 0 ? 0 : nextLineStart(text, toLineEnd(text, from, text.length));
    while (pos < this.length) {
      let k = pos;
      while (text.charCodeAt(k) === SPACE) k++;
      const c = text.charCodeAt(k);
      if (k < this.length && c !== LF && c !== CR && c !== HASH) {
        this.at = k;
        this.column = k - pos;
        return;
      }
      pos = nextLineStart(text, toLineEnd(text, k, text.length));
    }
    this.at = this.length;
    this.column = 0;
  }
}

/**
 * Whether a plain scalar may start at `i`: not with what starts another kind of node, nor with
 * `-`, `?` or `:` unless a character that could go on a plain scalar follows (`-1`, `:x`).
 */
function plainStart(text: string, i: number, inFlow: boolean): boolean {
  if (i >= text.length) return false;
  switch (text.charCodeAt(i)) {
    case DASH: case 0x3f /* ? */: case COLON: {
      const next = text.charCodeAt(i + 1);
      return i + 1 < text.length && next !== SPACE && next !== LF && next !== CR && !(inFlow && isFlowIndicator(next));
    }
    case COMMA: case 0x5b: case 0x5d: case 0x7b: case 0x7d:
    case HASH: case 0x26 /* & */: case 0x2a /* * */: case 0x21 /* ! */: case 0x7c: case 0x3e:
    case 0x27: case 0x22: case 0x25 /* % */: case 0x40 /* @ */: case 0x60 /* ` */: case SPACE: case LF: case CR:
      return false;
    default:
      return true;
  }
}

function isFlowIndicator(c: number): boolean {
  return c === COMMA || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d;
}

/**
 * The keys of one mapping: whether a key is a merge key or says what an earlier one says (as
 * text: `1` and `"1"` count as the same, which only makes the scanner give up more often than it
 * must). A plan's mappings are small and compared one by one on the scanner's stack of the open
 * mappings' keys; a large one through a set.
 */
class KeyNames {
  private readonly base: number;
  private set?: Set<string>;

  constructor(private readonly names: string[]) {
    this.base = names.length;
  }

  repeats(value: unknown): boolean {
    const name = String(value);
    if (name === '<<') return true;
    const names = this.names;
    if (!this.set) {
      if (names.length - this.base < 32) {
        for (let k = this.base; k < names.length; k++) if (names[k] === name) return true;
        names.push(name);
        return false;
      }
      this.set = new Set(names.slice(this.base));
    }
    if (this.set.has(name)) return true;
    this.set.add(name);
    return false;
  }

  /** The mapping is read: its keys leave the stack. */
  close(): void {
    this.names.length = this.base;
  }
}

function isBlankOrBreak(c: number): boolean {
  return c === SPACE || c === LF || c === CR;
}

function skipSpaces(text: string, i: number): number {
  let j = i;
  while (text.charCodeAt(j) === SPACE) j++;
  return j;
}

/** The start of the line after the line break at `i`. */
function nextLineStart(text: string, i: number): number {
  if (text.charCodeAt(i) === CR) return text.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
  return i < text.length ? i + 1 : i;
}

/** Folded text: lines joined by a space, each blank line between two lines a line break. */
function fold(lines: readonly string[]): string {
  let out = '';
  let blanks = 0;
  let started = false;
  for (const line of lines) {
    if (line === '') {
      blanks++;
      continue;
    }
    out += started ? (blanks > 0 ? '\n'.repeat(blanks) : ' ') : '\n'.repeat(blanks);
    out += line;
    blanks = 0;
    started = true;
  }
  return out;
}

/** A double-quoted scalar's escapes (`\\`, `\"`, `\/`, `\n`, `\t`); any other gives up. */
function unescapeDouble(s: string): string {
  let out = '';
  for (let k = 0; k < s.length; k++) {
    const c = s[k];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[++k];
    if (e === '\\' || e === '"' || e === '/') out += e;
    else if (e === 'n') out += '\n';
    else if (e === 't') out += '\t';
    else throw new GiveUp();
  }
  return out;
}

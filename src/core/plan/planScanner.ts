/**
 * The fastest YAML front end: a scanner of the subset of YAML that plans are written in, which
 * builds the reader's lean nodes straight from the text — no parser's own result tree, no events
 * to turn into nodes (about half of what a large plan's analysis allocated went there).
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
import { GiveUp, LeanMap, LeanPair, LeanScalar, LeanSeq, blockEnd, commentMemo, leanDocument, lineStartOf, resolvePlain, toLineEnd, type LeanNode } from './leanYaml';

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
  if (OUTSIDE.test(text) || MARKERS.test(text)) return undefined;
  try {
    const scanner = new Scanner(text);
    return leanDocument(scanner.document(), text.length);
  } catch (err) {
    // GiveUp, or a stack overflow on absurd nesting: either way the other front ends decide.
    if (err instanceof GiveUp || err instanceof RangeError) return undefined;
    throw err;
  }
}

class Scanner {
  private readonly length: number;
  /** The first character of the current content line (`length` at the end of the text). */
  private at = 0;
  /** Its column. */
  private column = 0;
  /** The items of the open collections, innermost last (one list: no growing list per collection). */
  private readonly stack: (LeanNode | LeanPair)[] = [];
  /** What `blockEnd` last found of the comment lines after a collection. */
  private readonly comments = commentMemo();
  /** Short texts already read: one string for each (see `string`). */
  private readonly strings = new Map<string, string>();

  constructor(private readonly text: string) {
    this.length = text.length;
  }

  document(): LeanNode {
    this.nextContent(0);
    if (this.at >= this.length || this.column !== 0 || !this.keyAhead(this.at)) throw new GiveUp();
    const root = this.blockMap(0);
    if (this.at < this.length) throw new GiveUp();
    return root;
  }

  // ------------------------------------------------------------------------------------------
  // Block collections

  /** A block mapping whose entries start at `column`; the current line holds its first key. */
  private blockMap(column: number): LeanMap {
    const text = this.text;
    const start = this.at;
    const base = this.stack.length;
    const names = new KeyNames();
    for (;;) {
      const key = this.key();
      if (names.repeats(this.stack, base, key)) throw new GiveUp();
      // After the key: blanks, then the colon and a blank or the line's end.
      let i = key.textRange.end;
      while (text.charCodeAt(i) === SPACE) i++;
      if (text.charCodeAt(i) !== COLON || !this.endsToken(i + 1)) throw new GiveUp();
      const value = this.value(i + 1, column, true);
      this.stack.push(new LeanPair(key, value));
      if (this.at >= this.length || this.column < column) break;
      if (this.column > column || !this.keyAhead(this.at)) throw new GiveUp();
    }
    const items = this.take(base) as LeanPair[];
    const last = items[items.length - 1].value.textRange.end;
    return new LeanMap(false, items, { start, end: blockEnd(text, last, start, this.comments) });
  }

  /** A block list whose `-` marks stand at `column`; the current line holds its first. */
  private blockSeq(column: number): LeanSeq {
    const text = this.text;
    const start = this.at;
    const base = this.stack.length;
    for (;;) {
      // `- item`: an empty item (`-` alone or before a comment) reads differently in js-yaml.
      let i = this.at + 1;
      if (text.charCodeAt(i) !== SPACE) throw new GiveUp();
      while (text.charCodeAt(i) === SPACE) i++;
      const c = text.charCodeAt(i);
      if (c === LF || c === CR || c === HASH || i >= this.length) throw new GiveUp();
      if (this.keyAhead(i)) {
        // `- key: value`: a mapping whose entries stand where its first key does.
        this.at = i;
        this.column = i - lineStartOf(text, i);
        const map = this.blockMap(this.column);
        this.stack.push(map);
      } else {
        const item = this.value(i, column, false);
        this.stack.push(item);
      }
      if (this.at >= this.length || this.column < column) break;
      if (this.column > column) throw new GiveUp();
      if (text.charCodeAt(this.at) !== DASH) break; // the list ends; its owner's next key
    }
    const items = this.take(base) as LeanNode[];
    const last = items[items.length - 1].textRange.end;
    return new LeanSeq(false, items, { start, end: blockEnd(text, last, start, this.comments) });
  }

  /**
   * The value after a mapping's colon or a list item's `-` at `from` (the character after the
   * indicator), in a collection at `column`; leaves the scanner on the next content line.
   */
  private value(from: number, column: number, inMap: boolean): LeanNode {
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
          if (text.charCodeAt(this.at) === DASH && this.endsToken(this.at + 1)) return this.blockSeq(this.column);
          if (this.keyAhead(this.at)) return this.blockMap(this.column);
          throw new GiveUp(); // a scalar on the next line
        }
        if (this.column === column && text.charCodeAt(this.at) === DASH && this.endsToken(this.at + 1)) return this.blockSeq(column);
      }
      // An empty value: `yaml` places it after comment lines that follow; js-yaml does not.
      let j = from;
      while (j < this.length && isBlankOrBreak(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) === HASH) throw new GiveUp();
      return new LeanScalar(null, undefined, '', from, from);
    }
    let node: LeanNode;
    let end: number;
    if (c === 0x7c /* | */ || c === 0x3e /* > */) return this.blockScalar(i, column);
    if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      node = this.flow(i);
      end = node.textRange.end;
    } else if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
      node = this.quoted(i);
      end = node.textRange.end;
    } else {
      node = this.plain(i, false);
      end = node.textRange.end;
    }
    this.afterValue(end);
    if (this.at < this.length && this.column > column) throw new GiveUp(); // more of it on the next line
    return node;
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
  // Scalars

  /** A mapping key at the current position (plain or quoted), not yet checked for its colon. */
  private key(): LeanScalar {
    const c = this.text.charCodeAt(this.at);
    const key = c === 0x22 || c === 0x27 ? this.quoted(this.at) : this.plain(this.at, true);
    if (key.textRange.end - key.textRange.start > MAX_KEY_LENGTH) throw new GiveUp();
    return key;
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
  private plain(i: number, isKey: boolean, inFlow = false): LeanScalar {
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
    return new LeanScalar(resolvePlain(source), Scalar.PLAIN, source, i, end);
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
  private quoted(i: number): LeanScalar {
    const text = this.text;
    const end = this.quotedEnd(i);
    if (end < 0) throw new GiveUp();
    const double = text.charCodeAt(i) === 0x22;
    let value = this.string(i + 1, end - 1);
    if (double) {
      if (value.includes('\\')) value = unescapeDouble(value);
    } else if (value.includes("''")) value = value.replace(/''/g, "'");
    return new LeanScalar(value, double ? Scalar.QUOTE_DOUBLE : Scalar.QUOTE_SINGLE, value, i, end);
  }

  /**
   * A literal (`|`) or folded (`>`) block scalar whose header is at `i`, in a collection at
   * `column`; with `-` (strip) or no chomping indicator (clip).
   */
  private blockScalar(i: number, column: number): LeanScalar {
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
    return new LeanScalar(value, literal ? Scalar.BLOCK_LITERAL : Scalar.BLOCK_FOLDED, value, i, end);
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

  private flow(i: number): LeanSeq | LeanMap {
    const text = this.text;
    const isSeq = text.charCodeAt(i) === 0x5b;
    const close = isSeq ? 0x5d : 0x7d;
    let j = skipSpaces(text, i + 1);
    const base = this.stack.length;
    const names = new KeyNames();
    if (text.charCodeAt(j) !== close) {
      for (;;) {
        if (isSeq) {
          const item = this.flowNode(j);
          this.stack.push(item);
          j = skipSpaces(text, item.textRange.end);
        } else {
          const key = this.flowKey(j);
          if (names.repeats(this.stack, base, key)) throw new GiveUp();
          j = skipSpaces(text, key.textRange.end);
          if (text.charCodeAt(j) !== COLON || !this.endsToken(j + 1)) throw new GiveUp();
          const value = this.flowNode(skipSpaces(text, j + 1));
          this.stack.push(new LeanPair(key, value));
          j = skipSpaces(text, value.textRange.end);
        }
        const d = text.charCodeAt(j);
        if (d === close) break;
        if (d !== COMMA) throw new GiveUp();
        j = skipSpaces(text, j + 1);
        if (text.charCodeAt(j) === close) throw new GiveUp(); // a trailing comma
      }
    }
    const range = { start: i, end: j + 1 };
    const items = this.take(base);
    return isSeq ? new LeanSeq(true, items as LeanNode[], range) : new LeanMap(true, items as LeanPair[], range);
  }

  private flowKey(j: number): LeanScalar {
    const c = this.text.charCodeAt(j);
    const key = c === 0x22 || c === 0x27 ? this.quoted(j) : this.plain(j, true, true);
    if (key.textRange.end - key.textRange.start > MAX_KEY_LENGTH) throw new GiveUp();
    return key;
  }

  private flowNode(j: number): LeanNode {
    const c = this.text.charCodeAt(j);
    if (c === 0x5b || c === 0x7b) return this.flow(j);
    if (c === 0x22 || c === 0x27) return this.quoted(j);
    return this.plain(j, false, true);
  }

  /** The items pushed since `base`, as a list of exactly their length (a pushed list keeps spare room). */
  private take(base: number): (LeanNode | LeanPair)[] {
    const items = this.stack.slice(base);
    this.stack.length = base;
    return items;
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
 * must). A plan's mappings are small and compared one by one; a large one through a set.
 */
class KeyNames {
  private names?: Set<string>;

  repeats(stack: readonly (LeanNode | LeanPair)[], base: number, key: LeanScalar): boolean {
    const name = String(key.value);
    if (name === '<<') return true;
    if (!this.names && stack.length - base < 32) {
      for (let k = base; k < stack.length; k++) if (String((stack[k] as LeanPair).key.value) === name) return true;
      return false;
    }
    if (!this.names) this.names = new Set(stack.slice(base).map((p) => String((p as LeanPair).key.value)));
    if (this.names.has(name)) return true;
    this.names.add(name);
    return false;
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

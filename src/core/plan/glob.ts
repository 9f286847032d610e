/**
 * The glob engine: what a file-ownership glob (`scope.write_allow`, `read_allow`, `deny`,
 * `locks.files`) covers, and exact decisions about pairs and lists of globs.
 *
 * Semantics are specified in `docs/globs.md`; in short, a pattern is anchored at the repo
 * root and COVERS a path when it matches the path or one of the path's ancestor directories.
 *
 * Pipeline, shared by every entry point:
 *
 *   pattern ──parse──▶ AST ──expand braces──▶ token sequences ──normalize──▶ Alternative[]
 *
 * Two independent matchers then work on the alternatives:
 *   - `covers` compiles them to one JavaScript RegExp (a backtracking matcher);
 *   - `overlap`, `isCoveredBy`, `allCoveredBy` compile them to an ε-free NFA over code points
 *     and decide questions exactly by breadth-first search over product automata, intersected
 *     with the automaton of valid repo paths. BFS also yields a SHORTEST witness path.
 * The property tests cross-check the two matchers against each other.
 *
 * Pure TypeScript, no dependencies, no `vscode` import.
 */

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

export interface GlobProblem {
  message: string;
  /** Half-open range of UTF-16 offsets into the pattern string: [start, end). */
  start: number;
  end: number;
  code: 'glob-absolute' | 'glob-parent' | 'glob-empty' | 'glob-syntax';
}

/** Problems with a pattern: absolute, climbing out of the repo, empty, or malformed. */
export function checkGlob(pattern: string): GlobProblem[] {
  return compile(pattern).problems.map((p) => ({ ...p }));
}

/** Whether `pattern` covers `path` (matches it or one of its ancestor directories). */
export function covers(pattern: string, path: string): boolean {
  if (!isValidPath(path)) return false;
  const regex = regexOf(compile(pattern));
  return regex !== null && regex.test(path);
}

/**
 * A path covered by both patterns (a shortest one), or null when no path is covered by both.
 * Decided exactly.
 */
export function overlap(a: string, b: string): string | null {
  return intersectionWitness(nfaOf(compile(a)), nfaOf(compile(b)));
}

/**
 * The leading whole path segments that every path covered by `pattern` starts with, known
 * without any glob matching: `src/api/**\/x.ts` → `['src', 'api']`, `{a,b}/x` → `[]`.
 * Escapes are resolved (`a\*b/c` → `['a*b', 'c']`) and a leading `./` is dropped.
 * Meant for indexing: two patterns can only overlap when one prefix is a prefix of the other.
 */
export function literalPrefix(pattern: string): string[] {
  return [...compile(pattern).prefix];
}

/** Whether every path `inner` covers is also covered by `outer`. Decided exactly. */
export function isCoveredBy(inner: string, outer: string): boolean {
  return allCoveredBy(inner, [outer]);
}

/** Whether every path `inner` covers is covered by at least one of `outers`. Decided exactly. */
export function allCoveredBy(inner: string, outers: readonly string[]): boolean {
  return uncoveredWitness(inner, outers) === null;
}

/**
 * A path (a shortest one) covered by `inner` but by none of `outers`, or null when `inner`
 * lies wholly inside their union. The witness behind `allCoveredBy`, for diagnostics.
 */
export function uncoveredWitness(inner: string, outers: readonly string[]): string | null {
  return differenceWitness(
    nfaOf(compile(inner)),
    outers.map((o) => nfaOf(compile(o))),
  );
}

/**
 * Whether `path` is a valid repo-relative path: non-empty `/`-separated segments, none of
 * them empty, `.` or `..` (so no leading or trailing `/`). Nothing covers an invalid path.
 */
export function isValidPath(path: string): boolean {
  // A scan rather than split('/'): `covers` calls this on every path it is asked about.
  let segStart = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i < path.length && path.charCodeAt(i) !== SLASH) continue;
    const len = i - segStart;
    if (len === 0) return false;
    if (len <= 2 && path.charCodeAt(segStart) === DOT && path.charCodeAt(i - 1) === DOT) return false;
    segStart = i + 1;
  }
  return true;
}

/** At most this many alternatives come out of one pattern's brace expansion. */
export const MAX_BRACE_EXPANSIONS = 1024;

// ---------------------------------------------------------------------------------------------
// Character sets
// ---------------------------------------------------------------------------------------------

/**
 * A set of code points: sorted, disjoint, non-adjacent inclusive ranges, flattened as
 * `[lo0, hi0, lo1, hi1, ...]`.
 */
type CharSet = readonly number[];

const MAX_CP = 0x10ffff;
const SLASH = 0x2f; // '/'
const DOT = 0x2e; // '.'

const ANY: CharSet = [0, MAX_CP];
const ONLY_SLASH: CharSet = [SLASH, SLASH];
const NOT_SLASH: CharSet = [0, SLASH - 1, SLASH + 1, MAX_CP];
const DOT_OR_SLASH: CharSet = [DOT, SLASH]; // '.' and '/' are adjacent code points

/** Normalizes arbitrary inclusive ranges (flattened) into a CharSet. */
function csFromRanges(flat: readonly number[]): CharSet {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
  pairs.sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    if (out.length > 0 && lo <= out[out.length - 1] + 1) {
      out[out.length - 1] = Math.max(out[out.length - 1], hi);
    } else {
      out.push(lo, hi);
    }
  }
  return out;
}

function csIntersect(a: CharSet, b: CharSet): CharSet {
  if (a === b || b === ANY) return a;
  if (a === ANY) return b;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = Math.max(a[i], b[j]);
    const hi = Math.min(a[i + 1], b[j + 1]);
    if (lo <= hi) out.push(lo, hi);
    if (a[i + 1] < b[j + 1]) i += 2;
    else j += 2;
  }
  return out;
}

function csComplement(a: CharSet): CharSet {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < a.length; i += 2) {
    if (a[i] > next) out.push(next, a[i] - 1);
    next = a[i + 1] + 1;
  }
  if (next <= MAX_CP) out.push(next, MAX_CP);
  return out;
}

function csMinus(a: CharSet, b: CharSet): CharSet {
  return csIntersect(a, csComplement(b));
}

function csHas(a: CharSet, c: number): boolean {
  for (let i = 0; i < a.length && a[i] <= c; i += 2) if (c <= a[i + 1]) return true;
  return false;
}

function csEquals(a: CharSet, b: CharSet): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Witness characters, most readable first (none of them is '.' or '/'). */
const PREFERRED_CHARS = [...'xyzabcdefghijklmnopqrstuvwXYZABCDEFGHIJKLMNOPQRSTUVW0123456789_-'].map((ch) => ch.codePointAt(0)!);

/** Rank of a witness character: lower is more readable. */
function readability(c: number): number {
  const i = PREFERRED_CHARS.indexOf(c);
  return i >= 0 ? i : c === DOT ? PREFERRED_CHARS.length : PREFERRED_CHARS.length + 1;
}

const INTERN_LIMIT = 10_000;
const interned = new Map<string, CharSet>();

/**
 * The canonical instance of an NFA edge label. Patterns share few distinct labels (single
 * characters, "not '/'", a few classes), so interning lets `pairRepresentatives` memoize by
 * identity across all queries. Past a bound, sets are simply not interned.
 */
function intern(set: CharSet): CharSet {
  const k = set.join(',');
  const hit = interned.get(k);
  if (hit) return hit;
  if (interned.size < INTERN_LIMIT) interned.set(k, set);
  return set;
}

/**
 * A readable character of `set` other than '.' and '/', or -1 when there is none.
 * Prefers letters and digits, then any printable character, then whatever there is.
 */
function pickOtherChar(set: CharSet): number {
  for (const c of PREFERRED_CHARS) if (csHas(set, c)) return c;
  const other = csMinus(set, DOT_OR_SLASH);
  if (other.length === 0) return -1;
  const printable = csMinus(csIntersect(other, [0x21, MAX_CP]), [0x7f, 0x9f]);
  return printable.length > 0 ? printable[0] : other[0];
}

// ---------------------------------------------------------------------------------------------
// Valid-path automaton
// ---------------------------------------------------------------------------------------------

/*
 * A 4-state DFA for valid repo paths, read one character class at a time. It rejects empty
 * segments (hence a leading, trailing or doubled '/') and '.'/'..' segments.
 */
const V_SEG_START = 0; // at the start of a segment (nothing read yet, or just after '/')
const V_DOT = 1; // the segment so far is "."
const V_DOTDOT = 2; // the segment so far is ".."
const V_NAME = 3; // the segment so far is a valid name: accepting
const V_DEAD = -1;

/** Character classes the path DFA distinguishes. */
const C_SLASH = 0;
const C_DOT = 1;
const C_OTHER = 2;

/** `V_NEXT[state][class]`. */
const V_NEXT: ReadonlyArray<readonly number[]> = [
  /* V_SEG_START */ [V_DEAD, V_DOT, V_NAME],
  /* V_DOT       */ [V_DEAD, V_DOTDOT, V_NAME],
  /* V_DOTDOT    */ [V_DEAD, V_NAME, V_NAME],
  /* V_NAME      */ [V_SEG_START, V_NAME, V_NAME],
];

/**
 * One representative character per path-DFA class present in `set`, the most readable first
 * (so that among shortest witnesses BFS prefers names to dots).
 */
function representatives(set: CharSet): Representative[] {
  const reps: Representative[] = [];
  const other = pickOtherChar(set);
  if (other >= 0) reps.push({ cls: C_OTHER, ch: other });
  if (csHas(set, DOT)) reps.push({ cls: C_DOT, ch: DOT });
  if (csHas(set, SLASH)) reps.push({ cls: C_SLASH, ch: SLASH });
  return reps;
}

interface Representative {
  cls: number;
  ch: number;
}

/** `representatives(a ∩ b)`, memoized by the identity of (interned) labels. */
const pairMemo = new WeakMap<CharSet, WeakMap<CharSet, readonly Representative[]>>();
function pairRepresentatives(a: CharSet, b: CharSet): readonly Representative[] {
  let row = pairMemo.get(a);
  if (!row) pairMemo.set(a, (row = new WeakMap()));
  let reps = row.get(b);
  if (!reps) row.set(b, (reps = representatives(csIntersect(a, b))));
  return reps;
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

interface Span {
  start: number;
  end: number;
}

/** A node of the pattern's syntax tree. Offsets are UTF-16 offsets into the pattern. */
type Node =
  | (Span & { k: 'char'; c: number })
  | (Span & { k: 'any' }) // ?
  | (Span & { k: 'star' }) // * (a whole-segment `**` is recognized after brace expansion)
  | (Span & { k: 'sep' }) // /
  | (Span & { k: 'class'; negated: boolean; set: CharSet }) // [...]: `set` is what is listed
  | (Span & { k: 'alt'; alts: Node[][]; opaque: boolean }); // {a,b}

/** The result of scanning a terminated `[...]`. */
interface ClassScan {
  end: number; // offset just past the closing ']'
  negated: boolean;
  set: CharSet;
  problems: GlobProblem[];
}

function problem(code: GlobProblem['code'], message: string, start: number, end: number): GlobProblem {
  return { code, message, start, end };
}

/** Length in UTF-16 units of the code point at `i`. */
function cpLength(s: string, i: number): number {
  return s.codePointAt(i)! > 0xffff ? 2 : 1;
}

/**
 * Recursive-descent parser. A prescan first finds which `[` start a terminated class and
 * which `{` have a matching `}` (classes and escapes are skipped, so `[}]` holds no brace);
 * unterminated `[` and unbalanced `{`/`}` are then literal characters.
 */
class Parser {
  readonly problems: GlobProblem[] = [];
  /** Offset of each balanced '{' → offset of its matching '}'. */
  private readonly closeOf = new Map<number, number>();
  /** Offset of each '[' that starts a terminated class → the scanned class. */
  private readonly classAt = new Map<number, ClassScan>();

  constructor(private readonly src: string) {}

  parse(): Node[] {
    this.prescan();
    return this.parseSeq(0, -1).seq;
  }

  private prescan(): void {
    const src = this.src;
    const open: number[] = [];
    for (let i = 0; i < src.length;) {
      const ch = src[i];
      if (ch === '\\') {
        if (i + 1 >= src.length) {
          this.problems.push(problem('glob-syntax', "dangling '\\' at the end of the pattern: it is a literal backslash", i, i + 1));
          i += 1;
        } else {
          i += 1 + cpLength(src, i + 1);
        }
        continue;
      }
      if (ch === '[') {
        const cls = this.scanClass(i);
        if (cls) {
          this.classAt.set(i, cls);
          this.problems.push(...cls.problems);
          i = cls.end;
        } else {
          this.problems.push(problem('glob-syntax', "unterminated '[': it is a literal '['", i, i + 1));
          i += 1;
        }
        continue;
      }
      if (ch === '{') {
        open.push(i);
      } else if (ch === '}') {
        const o = open.pop();
        if (o === undefined) {
          this.problems.push(problem('glob-syntax', "unbalanced '}': it is a literal '}'", i, i + 1));
        } else {
          this.closeOf.set(o, i);
        }
      }
      i += cpLength(src, i);
    }
    for (const o of open) {
      this.problems.push(problem('glob-syntax', "unbalanced '{': it is a literal '{'", o, o + 1));
    }
  }

  /** Reads one (possibly escaped) class member at `j`; null when an escape dangles. */
  private readClassChar(j: number): { cp: number; next: number } | null {
    const src = this.src;
    if (src[j] === '\\') {
      if (j + 1 >= src.length) return null;
      return { cp: src.codePointAt(j + 1)!, next: j + 1 + cpLength(src, j + 1) };
    }
    return { cp: src.codePointAt(j)!, next: j + cpLength(src, j) };
  }

  /** Scans the class opening at `i`, or returns null when it is not terminated. */
  private scanClass(i: number): ClassScan | null {
    const src = this.src;
    const problems: GlobProblem[] = [];
    const ranges: number[] = [];
    let j = i + 1;
    const negated = src[j] === '!' || src[j] === '^';
    if (negated) j += 1;
    for (let first = true; j < src.length; first = false) {
      if (src[j] === ']' && !first) {
        return { end: j + 1, negated, set: csFromRanges(ranges), problems };
      }
      if (src.startsWith('[:', j)) {
        problems.push(problem('glob-syntax', "named classes like '[:alpha:]' are not supported: '[' and ':' are members", j, j + 2));
      }
      const lo = this.readClassChar(j);
      if (!lo) return null;
      j = lo.next;
      if (src[j] === '-' && j + 1 < src.length && src[j + 1] !== ']') {
        const hi = this.readClassChar(j + 1);
        if (!hi) return null;
        if (hi.cp < lo.cp) {
          problems.push(problem('glob-syntax', 'reversed range matches nothing', j - 1, hi.next));
        } else {
          ranges.push(lo.cp, hi.cp);
        }
        j = hi.next;
      } else {
        ranges.push(lo.cp, lo.cp);
      }
    }
    return null;
  }

  /**
   * Parses a sequence from `i` up to the end of the pattern or, inside a brace group closing
   * at `closeAt`, up to the next alternative-separating ',' or the closing '}'.
   */
  private parseSeq(i: number, closeAt: number): { seq: Node[]; next: number } {
    const src = this.src;
    const seq: Node[] = [];
    while (i < src.length) {
      if (closeAt >= 0 && (i === closeAt || src[i] === ',')) break;
      const start = i;
      const ch = src[i];
      if (ch === '\\' && i + 1 < src.length) {
        const c = src.codePointAt(i + 1)!;
        i += 1 + cpLength(src, i + 1);
        seq.push(c === SLASH ? { k: 'sep', start, end: i } : { k: 'char', c, start, end: i });
      } else if (ch === '*' || ch === '?' || ch === '/') {
        i += 1;
        seq.push({ k: ch === '*' ? 'star' : ch === '?' ? 'any' : 'sep', start, end: i });
      } else if (ch === '[' && this.classAt.has(i)) {
        const cls = this.classAt.get(i)!;
        i = cls.end;
        seq.push({ k: 'class', negated: cls.negated, set: cls.set, start, end: i });
      } else if (ch === '{' && this.closeOf.has(i)) {
        const close = this.closeOf.get(i)!;
        const alts: Node[][] = [];
        for (let j = i + 1; ;) {
          const { seq: alt, next } = this.parseSeq(j, close);
          alts.push(alt);
          if (next >= close) break;
          j = next + 1; // skip ','
        }
        i = close + 1;
        seq.push({ k: 'alt', alts, opaque: isOpaque(alts), start, end: i });
      } else {
        const c = src.codePointAt(i)!;
        i += cpLength(src, i);
        seq.push({ k: 'char', c, start, end: i });
      }
    }
    return { seq, next: i };
  }
}

/*
 * Brace groups are expanded (bash-style) before segments are analyzed, because a group can
 * change the segment structure: `{a,}**` yields `a**` (a star) and `**` (a globstar).
 * A group that cannot change the structure is kept whole ("opaque") and matched as an
 * alternation inside its segment, which keeps `*.{ts,tsx,js,jsx}` a single alternative.
 * A group is opaque when no alternative contains '/' or '*' and every alternative always
 * yields some character other than '.': it can then never create or remove a segment,
 * complete a `**`, nor form a `.` or `..` segment.
 */
function isOpaque(alts: readonly Node[][]): boolean {
  return !alts.some(hasSepOrStar) && alts.every(alwaysHasNonDot);
}

function hasSepOrStar(seq: readonly Node[]): boolean {
  return seq.some((n) => n.k === 'sep' || n.k === 'star' || (n.k === 'alt' && n.alts.some(hasSepOrStar)));
}

/** Whether every expansion of `seq` contains a token other than a literal '.'. */
function alwaysHasNonDot(seq: readonly Node[]): boolean {
  return seq.some((n) => (n.k === 'char' ? n.c !== DOT : n.k === 'alt' ? n.alts.every(alwaysHasNonDot) : true));
}

/** Number of alternatives `expand(seq)` yields, saturating just above the cap. */
function expansionCount(seq: readonly Node[]): number {
  let count = 1;
  for (const n of seq) {
    if (n.k !== 'alt' || n.opaque) continue;
    const options = n.alts.reduce((sum, alt) => sum + expansionCount(alt), 0);
    count = Math.min(count * options, MAX_BRACE_EXPANSIONS + 1);
  }
  return count;
}

/** Expands every non-opaque brace group: the result holds only opaque groups. */
function expand(seq: readonly Node[]): Node[][] {
  let acc: Node[][] = [[]];
  for (const n of seq) {
    if (n.k === 'alt' && !n.opaque) {
      const options = n.alts.flatMap(expand);
      acc = acc.flatMap((prefix) => options.map((o) => [...prefix, ...o]));
    } else {
      for (const prefix of acc) prefix.push(n);
    }
  }
  return acc;
}

// ---------------------------------------------------------------------------------------------
// Normalization: token sequences → alternatives made of segments
// ---------------------------------------------------------------------------------------------

/** One pattern segment: `**` (zero or more whole path segments) or one path segment. */
type Segment = { globstar: true } | { globstar: false; toks: readonly Node[] };

/**
 * One brace-expanded, normalized alternative of a pattern. It covers a path when its segments
 * match the path's first segments. No segment is empty; the last one is not a globstar; zero
 * segments (`**`, `.`) cover every path.
 */
interface Alternative {
  readonly segs: readonly Segment[];
}

function isDotSegment(seg: readonly Node[], dots: 1 | 2): boolean {
  return seg.length === dots && seg.every((n) => n.k === 'char' && n.c === DOT);
}

/**
 * Turns one expansion into an Alternative, or null when it can cover nothing (an empty
 * segment, e.g. from a leading '/' or '//', or a '.'/'..' segment after the leading ones).
 * Reports problems visible in this expansion into `problems`.
 */
function normalize(tokens: readonly Node[], problems: GlobProblem[]): Alternative | null {
  // Split at separators, remembering each separator for problem locations.
  const segs: Node[][] = [[]];
  const seps: Node[] = [];
  for (const t of tokens) {
    if (t.k === 'sep') {
      seps.push(t);
      segs.push([]);
    } else {
      segs[segs.length - 1].push(t);
    }
  }
  if (segs.length > 1 && segs[0].length === 0) {
    problems.push(
      problem(
        'glob-absolute',
        "a leading '/' makes the pattern absolute: patterns are relative to the repo root",
        seps[0].start,
        seps[0].end,
      ),
    );
  }
  for (const seg of segs) {
    if (isDotSegment(seg, 2)) {
      problems.push(problem('glob-parent', "a '..' segment climbs out of the repo", seg[0].start, seg[1].end));
    }
  }
  if (segs.length > 1 && segs[segs.length - 1].length === 0) segs.pop(); // trailing '/'
  let lead = 0;
  while (lead < segs.length && isDotSegment(segs[lead], 1)) lead += 1; // leading './'
  let dead = false;
  segs.forEach((seg, i) => {
    if (i < lead) return;
    if (seg.length === 0) {
      dead = true;
      if (i > 0 && i < segs.length - 1) {
        problems.push(problem('glob-syntax', "an empty segment ('//') matches nothing", seps[i].start, seps[i].end));
      }
    } else if (isDotSegment(seg, 1)) {
      dead = true;
      problems.push(problem('glob-syntax', "a '.' segment after the start matches nothing", seg[0].start, seg[0].end));
    } else if (isDotSegment(seg, 2)) {
      dead = true;
    }
  });
  if (dead) return null;

  const out: Segment[] = [];
  for (const seg of segs.slice(lead)) {
    if (seg.length === 2 && seg[0].k === 'star' && seg[1].k === 'star') {
      const prev = out[out.length - 1];
      if (!prev?.globstar) out.push({ globstar: true }); // `**/**` ≡ `**`
    } else {
      // A run of stars matches what one star matches.
      const toks = seg.filter((t, i) => !(t.k === 'star' && seg[i - 1]?.k === 'star'));
      out.push({ globstar: false, toks });
    }
  }
  // `x/**` covers exactly what `x` covers (`**` may match zero segments).
  while (out.length > 0 && out[out.length - 1].globstar) out.pop();
  return { segs: out };
}

// ---------------------------------------------------------------------------------------------
// Compilation and cache
// ---------------------------------------------------------------------------------------------

export interface Compiled {
  readonly alts: readonly Alternative[];
  readonly problems: readonly GlobProblem[];
  readonly prefix: readonly string[];
  /** Built on first use by `covers`; null when the pattern covers nothing. */
  regex?: RegExp | null;
  /** Built on first use by the exact decisions. */
  nfa?: Nfa;
}

const CACHE_LIMIT = 20_000;
const cache = new Map<string, Compiled>();

/**
 * Compiles `pattern`, through a bounded cache. When full, the oldest entry is evicted (FIFO:
 * a hit costs one lookup, which matters for `covers` in tight loops).
 */
function compile(pattern: string): Compiled {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const compiled = compileUncached(pattern);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(pattern, compiled);
  return compiled;
}

function compileUncached(pattern: string): Compiled {
  const plain = plainPrefix(pattern);
  return plain ? new PlainPattern(pattern, plain) : parsePattern(pattern);
}

const NO_PROBLEMS: readonly GlobProblem[] = Object.freeze([]);

/**
 * A plain pattern, parsed only if a regex or an automaton is asked for: a large plan has
 * thousands of such patterns, and most are only indexed by their prefix. A class, not an object
 * literal with a getter: such a literal is made with a closure, a context and a dictionary of its
 * own, about 370 bytes more per pattern (2.2 MB for the generated 3,000-package plan's 6,000).
 */
class PlainPattern implements Compiled {
  readonly problems = NO_PROBLEMS;
  regex?: RegExp | null = undefined;
  nfa?: Nfa = undefined;
  private parsed?: readonly Alternative[] = undefined;

  constructor(
    private readonly pattern: string,
    readonly prefix: readonly string[],
  ) {}

  get alts(): readonly Alternative[] {
    return (this.parsed ??= parsePattern(this.pattern).alts);
  }
}

/** Characters a plain segment may hold: none is special to the parser, a drive or a UNC path. */
const PLAIN_SEGMENT = /^[A-Za-z0-9_.@+=~%-]+$/;

/**
 * The literal prefix of a plain pattern — literal segments (no `.` or `..`), perhaps ending in
 * `/**` — which has no problems; null for any other pattern. Equal to the full parse's prefix
 * wherever it answers (a property test holds that).
 */
export function plainPrefix(pattern: string): string[] | null {
  const segs = pattern.split('/');
  if (segs.length > 1 && segs[segs.length - 1] === '**') segs.pop();
  for (const seg of segs) if (seg === '.' || seg === '..' || !PLAIN_SEGMENT.test(seg)) return null;
  return segs;
}

/** The full parse of a pattern, whatever it holds (`compile` takes plain ones a shorter way). */
export function parsePattern(pattern: string): Compiled {
  const parser = new Parser(pattern);
  const ast = parser.parse();
  const problems = [...parser.problems];
  if (pattern === '') problems.push(problem('glob-empty', 'empty pattern: it covers nothing', 0, 0));
  const drive = /^[A-Za-z]:(?:[\\/]|$)/.exec(pattern);
  if (drive) {
    problems.push(
      problem('glob-absolute', 'a drive letter makes the pattern absolute: patterns are relative to the repo root', 0, drive[0].length),
    );
  } else if (pattern.startsWith('\\\\')) {
    problems.push(problem('glob-absolute', "a leading '\\\\' (UNC path) makes the pattern absolute", 0, 2));
  }

  const alts: Alternative[] = [];
  if (expansionCount(ast) > MAX_BRACE_EXPANSIONS) {
    problems.push(
      problem(
        'glob-syntax',
        `brace expansion yields more than ${MAX_BRACE_EXPANSIONS} alternatives: the pattern covers nothing`,
        0,
        pattern.length,
      ),
    );
  } else {
    for (const tokens of expand(ast)) {
      const alt = normalize(tokens, problems);
      if (alt) alts.push(alt);
    }
  }
  return { alts, problems: sortProblems(dedupeProblems(problems)), prefix: commonLiteralPrefix(alts) };
}

function dedupeProblems(problems: readonly GlobProblem[]): GlobProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.code}:${p.start}:${p.end}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function sortProblems(problems: GlobProblem[]): GlobProblem[] {
  return problems.sort((x, y) => x.start - y.start || x.end - y.end);
}

/** The literal text of a segment made only of characters, else null. */
function literalSegment(seg: Segment): string | null {
  if (seg.globstar) return null;
  let text = '';
  for (const t of seg.toks) {
    if (t.k !== 'char') return null;
    text += String.fromCodePoint(t.c);
  }
  return text;
}

/** The longest run of leading literal segments shared by all alternatives. */
function commonLiteralPrefix(alts: readonly Alternative[]): string[] {
  if (alts.length === 0) return [];
  const prefix: string[] = [];
  for (let i = 0; ; i++) {
    const texts = alts.map((alt) => (i < alt.segs.length ? literalSegment(alt.segs[i]) : null));
    const first = texts[0];
    if (first === null || texts.some((t) => t !== first)) return prefix;
    prefix.push(first);
  }
}

// ---------------------------------------------------------------------------------------------
// Matcher 1: a RegExp, used by `covers`
// ---------------------------------------------------------------------------------------------

function regexOf(compiled: Compiled): RegExp | null {
  if (compiled.regex === undefined) {
    compiled.regex = compiled.alts.length === 0 ? null : new RegExp(`^(?:${compiled.alts.map(altRegex).join('|')})(?:/[\\s\\S]*)?$`, 'u');
  }
  return compiled.regex;
}

function altRegex(alt: Alternative): string {
  if (alt.segs.length === 0) return '[\\s\\S]*';
  return alt.segs
    .map((seg, i) => {
      if (seg.globstar) return '(?:[^/]+/)*'; // zero or more whole segments, '/' included
      return seg.toks.map(tokRegex).join('') + (i < alt.segs.length - 1 ? '/' : '');
    })
    .join('');
}

function cpRegex(c: number): string {
  return /[A-Za-z0-9_]/.test(String.fromCodePoint(c)) ? String.fromCodePoint(c) : `\\u{${c.toString(16)}}`;
}

function classBody(set: CharSet): string {
  let body = '';
  for (let i = 0; i < set.length; i += 2) {
    body += set[i] === set[i + 1] ? cpRegex(set[i]) : `${cpRegex(set[i])}-${cpRegex(set[i + 1])}`;
  }
  return body;
}

function tokRegex(t: Node): string {
  switch (t.k) {
    case 'char':
      return cpRegex(t.c);
    case 'any':
      return '[^/]';
    case 'star':
      return '[^/]*';
    case 'class':
      if (t.negated) return `[^/${classBody(t.set)}]`;
      return t.set.length === 0 ? '(?!)' : `(?!/)[${classBody(t.set)}]`;
    case 'alt':
      return `(?:${t.alts.map((a) => a.map(tokRegex).join('')).join('|')})`;
    case 'sep':
      throw new Error('unreachable: separators are removed by normalize()');
  }
}

// ---------------------------------------------------------------------------------------------
// Matcher 2: an ε-free NFA, used by the exact decisions
// ---------------------------------------------------------------------------------------------

interface Edge {
  readonly set: CharSet;
  readonly to: number;
}

/**
 * An ε-free NFA over code points for the COVERED language of a pattern (its matches, plus
 * anything below them). State 0 is the start state.
 */
interface Nfa {
  readonly accept: readonly boolean[];
  readonly edges: ReadonlyArray<readonly Edge[]>;
  /** Accepting states that loop on every character: everything from there on is covered. */
  readonly universal: readonly boolean[];
}

function nfaOf(compiled: Compiled): Nfa {
  compiled.nfa ??= buildNfa(compiled.alts);
  return compiled.nfa;
}

/** Thompson-style construction with ε-moves, then ε-elimination in `finish()`. */
class NfaBuilder {
  private readonly accepting: boolean[] = [];
  private readonly moves: Edge[][] = [];
  private readonly eps: number[][] = [];

  state(accepting = false): number {
    this.accepting.push(accepting);
    this.moves.push([]);
    this.eps.push([]);
    return this.accepting.length - 1;
  }

  edge(from: number, set: CharSet, to: number): void {
    if (set.length > 0) this.moves[from].push({ set, to });
  }

  epsilon(from: number, to: number): void {
    this.eps[from].push(to);
  }

  /** Adds the segments of an alternative after `from`; returns the state reached. */
  segments(segs: readonly Segment[], from: number): number {
    let cur = from;
    segs.forEach((seg, i) => {
      if (seg.globstar) {
        // ([^/]+ '/')*  — the globstar absorbs its following '/'.
        const loop = this.state();
        const name = this.state();
        this.epsilon(cur, loop);
        this.edge(loop, NOT_SLASH, name);
        this.edge(name, NOT_SLASH, name);
        this.edge(name, ONLY_SLASH, loop);
        cur = loop;
        return;
      }
      cur = this.tokens(seg.toks, cur);
      if (i < segs.length - 1) cur = this.step(cur, ONLY_SLASH);
    });
    return cur;
  }

  private step(from: number, set: CharSet): number {
    const to = this.state();
    this.edge(from, set, to);
    return to;
  }

  private tokens(toks: readonly Node[], from: number): number {
    return toks.reduce((cur, t) => this.token(t, cur), from);
  }

  private token(t: Node, cur: number): number {
    switch (t.k) {
      case 'char':
        return this.step(cur, [t.c, t.c]);
      case 'any':
        return this.step(cur, NOT_SLASH);
      case 'class':
        return this.step(cur, t.negated ? csMinus(NOT_SLASH, t.set) : csMinus(t.set, ONLY_SLASH));
      case 'star': {
        const loop = this.state();
        this.epsilon(cur, loop);
        this.edge(loop, NOT_SLASH, loop);
        return loop;
      }
      case 'alt': {
        const join = this.state();
        for (const alt of t.alts) this.epsilon(this.tokens(alt, cur), join);
        return join;
      }
      case 'sep':
        throw new Error('unreachable: separators are removed by normalize()');
    }
  }

  /** ε-eliminates, drops unreachable states and renumbers so that `start` becomes 0. */
  finish(start: number): Nfa {
    const closures = this.eps.map((_, s) => this.closure(s));
    const index = new Map<number, number>([[start, 0]]);
    const order = [start];
    const accept: boolean[] = [];
    const edges: Edge[][] = [];
    for (let k = 0; k < order.length; k++) {
      const s = order[k];
      const byTarget = new Map<number, number[]>();
      for (const u of closures[s]) {
        for (const e of this.moves[u]) byTarget.set(e.to, [...(byTarget.get(e.to) ?? []), ...e.set]);
      }
      const out: Edge[] = [];
      for (const [to, flat] of byTarget) {
        if (!index.has(to)) {
          index.set(to, order.length);
          order.push(to);
        }
        out.push({ set: intern(csFromRanges(flat)), to: index.get(to)! });
      }
      edges.push(out);
      accept.push(closures[s].some((u) => this.accepting[u]));
    }
    const universal = edges.map((out, s) => accept[s] && out.some((e) => e.to === s && csEquals(e.set, ANY)));
    return { accept, edges, universal };
  }

  private closure(s: number): number[] {
    const seen = new Set([s]);
    const stack = [s];
    while (stack.length > 0) {
      for (const t of this.eps[stack.pop()!]) {
        if (!seen.has(t)) {
          seen.add(t);
          stack.push(t);
        }
      }
    }
    return [...seen];
  }
}

function buildNfa(alts: readonly Alternative[]): Nfa {
  const b = new NfaBuilder();
  const start = b.state();
  const matched = b.state(true); // the whole alternative matched
  const below = b.state(true); // somewhere below a matched path
  b.edge(matched, ONLY_SLASH, below);
  b.edge(below, ANY, below);
  for (const alt of alts) {
    if (alt.segs.length === 0)
      b.edge(start, ANY, below); // covers every (non-empty) path
    else b.epsilon(b.segments(alt.segs, start), matched);
  }
  return b.finish(start);
}

// ---------------------------------------------------------------------------------------------
// Exact decisions by breadth-first search
// ---------------------------------------------------------------------------------------------

/**
 * Rebuilds the witness string from BFS parent links: `parent[i]` is the queue index that
 * discovered entry `i` (-1 for the root) and `via[i]` the code point read to get there.
 */
function spell(last: number, parent: readonly number[], via: readonly number[]): string {
  const cps: number[] = [];
  for (let i = last; parent[i] >= 0; i = parent[i]) cps.push(via[i]);
  return String.fromCodePoint(...cps.reverse());
}

/** A shortest valid path accepted by both NFAs, or null. BFS over (a, b, path-DFA) triples. */
function intersectionWitness(A: Nfa, B: Nfa): string | null {
  const nB = B.accept.length;
  const key = (a: number, b: number, v: number): number => (a * nB + b) * 4 + v;
  const queue = [key(0, 0, V_SEG_START)];
  const parent = [-1];
  const via = [0];
  const seen = new Set(queue);
  for (let qi = 0; qi < queue.length; qi++) {
    const k = queue[qi];
    const v = k & 3;
    const a = Math.floor(k / 4 / nB);
    const b = (k >> 2) % nB;
    if (v === V_NAME && A.accept[a] && B.accept[b]) return spell(qi, parent, via);
    for (const ea of A.edges[a]) {
      for (const eb of B.edges[b]) {
        for (const { cls, ch } of pairRepresentatives(ea.set, eb.set)) {
          const nv = V_NEXT[v][cls];
          if (nv === V_DEAD) continue;
          const nk = key(ea.to, eb.to, nv);
          if (seen.has(nk)) continue;
          seen.add(nk);
          queue.push(nk);
          parent.push(qi);
          via.push(ch);
        }
      }
    }
  }
  return null;
}

/**
 * A shortest valid path accepted by `inner` and by none of `outers`, or null. BFS over
 * (inner state, path-DFA state, set of outer states): the outer side is determinized lazily
 * (subset construction), over an alphabet of "atoms" — maximal code-point intervals on which
 * every edge label of every automaton involved is constant.
 */
function differenceWitness(inner: Nfa, outers: readonly Nfa[]): string | null {
  // Put all outer automata into one state space.
  const oAccept: boolean[] = [];
  const oUniversal: boolean[] = [];
  const oEdges: Edge[][] = [];
  const oStarts: number[] = [];
  for (const o of outers) {
    const base = oAccept.length;
    oStarts.push(base);
    oAccept.push(...o.accept);
    oUniversal.push(...o.universal);
    for (const out of o.edges) oEdges.push(out.map((e) => ({ set: e.set, to: e.to + base })));
  }

  const atoms = new Atoms([inner.edges, oEdges].flat(2).map((e) => e.set));
  const innerAtoms = inner.edges.map((out) => out.map((e) => ({ atoms: atoms.indicesOf(e.set), to: e.to })));
  const outerMembers = oEdges.map((out) => out.map((e) => ({ member: atoms.membership(e.set), to: e.to })));

  /** Successor sets of an outer subset, per atom, computed once per subset. */
  const successorCache = new Map<string, Array<number[] | undefined>>();
  const successor = (set: readonly number[], setKey: string, atom: number): number[] => {
    let row = successorCache.get(setKey);
    if (!row) successorCache.set(setKey, (row = []));
    let next = row[atom];
    if (!next) {
      const targets = new Set<number>();
      for (const q of set) for (const e of outerMembers[q]) if (e.member[atom]) targets.add(e.to);
      row[atom] = next = [...targets].sort((x, y) => x - y);
    }
    return next;
  };

  interface Entry {
    i: number;
    v: number;
    set: number[];
    setKey: string;
  }
  const start: Entry = { i: 0, v: V_SEG_START, set: oStarts, setKey: oStarts.join(',') };
  const queue = [start];
  const parent = [-1];
  const via = [0];
  const seen = new Set([`0|${V_SEG_START}|${start.setKey}`]);
  for (let qi = 0; qi < queue.length; qi++) {
    const { i, v, set, setKey } = queue[qi];
    if (set.some((q) => oUniversal[q])) continue; // everything from here on is covered
    if (v === V_NAME && inner.accept[i] && !set.some((q) => oAccept[q])) return spell(qi, parent, via);
    for (const e of innerAtoms[i]) {
      for (const atom of e.atoms) {
        const nv = V_NEXT[v][atoms.cls[atom]];
        if (nv === V_DEAD) continue;
        const next = successor(set, setKey, atom);
        const nextKey = next.join(',');
        const k = `${e.to}|${nv}|${nextKey}`;
        if (seen.has(k)) continue;
        seen.add(k);
        queue.push({ i: e.to, v: nv, set: next, setKey: nextKey });
        parent.push(qi);
        via.push(atoms.rep[atom]);
      }
    }
  }
  return null;
}

/**
 * A partition of the code points into intervals ("atoms") such that each given set, and each
 * of '.' and '/', is a union of atoms. Each atom has a readable representative character and
 * a path-DFA class.
 */
class Atoms {
  /** Sorted interval starts; atom k is [cuts[k], cuts[k+1] - 1]. */
  private readonly cuts: number[];
  readonly rep: number[] = [];
  readonly cls: number[] = [];
  private readonly rank: number[] = [];

  constructor(sets: readonly CharSet[]) {
    const cuts = new Set([0, DOT, DOT + 1, SLASH, SLASH + 1, MAX_CP + 1]);
    for (const set of sets) {
      for (let i = 0; i < set.length; i += 2) cuts.add(set[i]).add(set[i + 1] + 1);
    }
    this.cuts = [...cuts].sort((x, y) => x - y);
    for (let k = 0; k + 1 < this.cuts.length; k++) {
      const lo = this.cuts[k];
      const hi = this.cuts[k + 1] - 1;
      const cls = lo === SLASH ? C_SLASH : lo === DOT ? C_DOT : C_OTHER;
      this.cls.push(cls);
      const rep = cls === C_OTHER ? pickOtherChar([lo, hi]) : lo;
      this.rep.push(rep);
      this.rank.push(readability(rep));
    }
  }

  get size(): number {
    return this.cuts.length - 1;
  }

  /** The atoms making up `set` (which must be a union of atoms), most readable first. */
  indicesOf(set: CharSet): number[] {
    const out: number[] = [];
    for (let i = 0; i < set.length; i += 2) {
      for (let k = this.atomOf(set[i]); k < this.size && this.cuts[k] <= set[i + 1]; k++) out.push(k);
    }
    return out.sort((x, y) => this.rank[x] - this.rank[y]);
  }

  membership(set: CharSet): Uint8Array {
    const member = new Uint8Array(this.size);
    for (const k of this.indicesOf(set)) member[k] = 1;
    return member;
  }

  /** Binary search for the atom starting at `cp` (every set boundary is a cut). */
  private atomOf(cp: number): number {
    let lo = 0;
    let hi = this.cuts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cuts[mid] < cp) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

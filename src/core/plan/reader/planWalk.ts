/**
 * Stage 2 of the plan reader: the YAML document → canonical plain data (`Walker`). Dialects
 * are read as their canonical form and reported (`planDialects.ts`); aliases and merge keys
 * are expanded within limits (a "billion laughs" guard); where each member of the data was
 * written is recorded in the sites (`planSites.ts`).
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  visit,
  type Alias,
  type Document,
  type Pair,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import type { Diagnostic, Fix, TextRange } from '../model';
import { eolOf, fieldShape, removePairEdit, ROOT, shapeAt, type Entry, type Shape, type Source } from './planDialects';
import { describeKind, isRecord, own, plainScalar, setOwn } from './planData';
import { clampRange, diagnostic, lineEnd } from './planParse';
import { KeyedSites, memberRange, type MemberMap } from './planSites';
import { isSpace } from '../text';

/** Nodes copied through alias expansions, in all: guards against one huge anchor aliased many times. */
const MAX_EXPANDED_NODES = 100_000;

/** Whether a YAML node carries an anchor (`&name`): an alias may lead back into it. */
function anchored(node: unknown): boolean {
  return (node as { anchor?: string }).anchor !== undefined;
}

/** Walks one document into canonical data: its sites recorded, its dialects and alias problems reported into `out`. */
export class Walker {
  readonly sites: MemberMap = new Map();
  readonly rootRange: TextRange;
  /** Anchor each alias refers to, computed on the first alias met. */
  private aliasTargets?: Map<Alias, unknown>;
  /** Anchored nodes being walked: an alias to one of them is recursive. */
  private readonly open = new Set<unknown>();
  private aliasCount = 0;
  private expandedNodes = 0;
  private aliasesExhausted = false;
  private eol?: string;

  constructor(
    private readonly text: string,
    private readonly doc: Document | undefined,
    private readonly maxAliasCount: number,
    private readonly out: Diagnostic[],
    /**
     * The document is the fast front end's (no anchors, no aliases: each node is walked once)
     * and nobody else's: a list's collection items (the packages, their steps…) are let go as
     * soon as they are walked, so the document shrinks while the canonical data grows (the
     * analysis' peak memory). Scalar items stay: a dialect's fix reads them after
     * the walk (`commandsFix`).
     */
    private readonly release = false,
  ) {
    const contents = doc?.contents ? this.rangeOf(doc.contents) : undefined;
    this.rootRange = contents && contents.end > contents.start ? contents : { start: 0, end: text.length };
  }

  /** The whole document as canonical data; reports a root that is not a mapping. */
  root(): unknown {
    const contents = this.doc?.contents;
    if (isMap(contents)) return this.value(contents, ROOT, undefined);
    const data = this.value(contents, undefined, undefined);
    const message =
      data === null
        ? 'The plan is empty: a plan is a YAML mapping with a `packages` list'
        : `A plan is a YAML mapping with a \`packages\` list; this document is ${describeKind(data)}`;
    this.out.push(
      diagnostic('error', 'yaml-not-mapping', message, data === null ? { start: 0, end: lineEnd(this.text, 0) } : this.rootRange),
    );
    return data;
  }

  value(node: unknown, shape: Shape | undefined, inAlias: TextRange | undefined): unknown {
    if (inAlias && ++this.expandedNodes > MAX_EXPANDED_NODES) {
      this.exhaustAliases(inAlias, `aliases expand to more than ${MAX_EXPANDED_NODES} nodes`);
      return null;
    }
    if (isScalar(node)) {
      const v = scalarValue(node);
      return v === null && shape?.list ? [] : v;
    }
    // (A collection without an anchor is walked directly: no closure for each of a plan's thousands.)
    if (isMap(node)) return anchored(node) ? this.withOpen(node, () => this.mapping(node, shape, inAlias)) : this.mapping(node, shape, inAlias);
    if (isSeq(node)) return anchored(node) ? this.withOpen(node, () => this.sequence(node, shape, inAlias)) : this.sequence(node, shape, inAlias);
    if (isAlias(node)) {
      // Anchored collections are marked open while walked: a recursive alias is caught there.
      const at = inAlias ?? this.rangeOf(node)!;
      const target = this.deref(node, at);
      return target === undefined ? null : this.value(target, shape, at);
    }
    if (isPair(node)) return this.pairs([this.entry(node, inAlias)], shape); // `[a: 1]` in a flow list
    return shape?.list ? [] : null;
  }

  /** A new list whose items are `convert`ed from `list`'s, each keeping the place of its source. */
  mapItems(list: unknown[], convert: (item: unknown, k: number) => unknown): unknown[] {
    const from = this.sites.get(list);
    const result: unknown[] = [];
    const members: TextRange[] = [];
    this.sites.set(result, members);
    list.forEach((item, k) => {
      const range = memberRange(from, k, 'value') ?? this.rootRange;
      result.push(this.synthesize(convert(item, k), range));
      members[k] = range;
    });
    return result;
  }

  /** Registers every member of a value made up by the reader at the one range it came from. */
  synthesize<T>(value: T, range: TextRange): T {
    if (value === null || typeof value !== 'object' || this.sites.has(value)) return value;
    if (Array.isArray(value)) {
      this.sites.set(value, value.map(() => range));
      value.forEach((member) => this.synthesize(member, range));
      return value;
    }
    const members = this.keyedMembersOf(value as Record<string, unknown>);
    for (const [key, member] of Object.entries(value)) {
      members.set(key, range, range);
      this.synthesize(member, range);
    }
    members.trim();
    return value;
  }

  /** A mapping's members' sites, made when first asked for. */
  private keyedMembersOf(obj: Record<string, unknown>): KeyedSites {
    let members = this.sites.get(obj);
    if (!members) this.sites.set(obj, (members = new KeyedSites()));
    return members as KeyedSites;
  }

  private withOpen<T>(node: unknown, walk: () => T): T {
    if (!anchored(node)) return walk();
    this.open.add(node);
    try {
      return walk();
    } finally {
      this.open.delete(node);
    }
  }

  private sequence(seq: YAMLSeq<unknown>, shape: Shape | undefined, inAlias: TextRange | undefined): unknown[] {
    const list: unknown[] = [];
    const fallback = this.rangeOf(seq) ?? this.rootRange;
    const items = seq.items;
    const members: TextRange[] = new Array(items.length);
    this.sites.set(list, members);
    for (let k = 0; k < items.length; k++) {
      const item = items[k];
      members[k] = inAlias ?? this.rangeOf(item) ?? fallback;
      list.push(this.value(item, shape?.items, inAlias));
      if (this.release && (isMap(item) || isSeq(item))) items[k] = null;
    }
    return list;
  }

  private mapping(map: YAMLMap<unknown, unknown>, shape: Shape | undefined, inAlias: TextRange | undefined) {
    return this.pairs(this.entries(map, inAlias), shape);
  }

  /**
   * Canonical keys first (the first of duplicates wins; YAML already reported them), then the
   * dialects: a dialect whose canonical place is taken is ignored, with a warning.
   */
  private pairs(entries: Entry[], shape: Shape | undefined): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    const members = this.keyedMembersOf(obj);
    const dialects: Entry[] = [];
    for (const e of entries) {
      if (shape?.dialects && own(shape.dialects, e.key)) dialects.push(e);
      else if (!own(obj, e.key)) this.put(obj, e.key, this.field(e, fieldShape(shape, e.key)), e.keyRange, e.valueRange);
    }
    for (const e of dialects) this.dialect(obj, shape!, e);
    members.trim();
    return obj;
  }

  /** The entries of a mapping, `<<` merge keys expanded after the mapping's own keys. */
  private entries(map: YAMLMap<unknown, unknown>, inAlias: TextRange | undefined): Entry[] {
    const explicit: Entry[] = [];
    const merged: Entry[] = [];
    for (const pair of map.items) {
      if (!isMergeKey(pair.key) || !this.merge(pair.value, inAlias, merged)) explicit.push(this.entry(pair, inAlias));
    }
    return merged.length > 0 ? explicit.concat(merged) : explicit;
  }

  /** Adds the entries of the mapping(s) a `<<` merges; false when the value is not mergeable. */
  private merge(value: unknown, inAlias: TextRange | undefined, into: Entry[]): boolean {
    const sources = isSeq(value) ? value.items : [value];
    if (!sources.every((s) => isMap(s) || isAlias(s))) return false;
    for (const source of sources) {
      let node: unknown = source;
      let at = inAlias;
      if (isAlias(source)) {
        at = inAlias ?? this.rangeOf(source)!;
        node = this.deref(source, at);
      }
      if (isMap(node)) this.withOpen(node, () => this.entries(node, at).forEach((e) => into.push(e)));
    }
    return true;
  }

  private entry(pair: Pair<unknown, unknown>, inAlias: TextRange | undefined): Entry {
    const keyRange = inAlias ?? this.rangeOf(pair.key) ?? this.rangeOf(pair.value) ?? this.rootRange;
    const valueRange = this.rangeOf(pair.value);
    return {
      key: this.keyText(pair.key),
      keyRange,
      node: pair.value,
      // An empty value (`key:` alone) has an empty range: point at the key instead.
      valueRange: inAlias ?? (valueRange && valueRange.end > valueRange.start ? valueRange : keyRange),
      inAlias,
    };
  }

  /** The value of an entry, its value dialect (if any) read as canonical and reported. */
  private field(e: Entry, shape: Shape | undefined): unknown {
    const value = this.value(e.node, shape, e.inAlias);
    const dialect = shape?.value?.(value);
    if (!dialect) return value;
    const fix: Fix | undefined =
      dialect.replacement !== undefined && !e.inAlias
        ? { title: `Write \`${dialect.replacement}\``, edits: [{ range: e.valueRange, newText: dialect.replacement }], preferred: true }
        : undefined;
    this.out.push(diagnostic('warning', 'dialect-value', dialect.message, e.valueRange, fix && [fix]));
    return this.synthesize(dialect.value, e.valueRange);
  }

  /** Places a dialect entry at its canonical place in `obj`, or reports it ignored. */
  private dialect(obj: Record<string, unknown>, shape: Shape, e: Entry): void {
    const rule = shape.dialects![e.key];
    const canonical = rule.to.join('.');
    const pairRange = { start: e.keyRange.start, end: Math.max(e.keyRange.end, e.valueRange.end) };
    let container = obj;
    let created = false;
    for (const key of rule.to.slice(0, -1)) {
      if (!own(container, key)) {
        const child = this.synthesize({}, e.keyRange);
        this.put(container, key, child, e.keyRange, pairRange);
        container = child;
        created = true;
      } else if (isRecord(container[key])) {
        container = container[key];
      } else {
        return this.ignoredDialect(e, canonical);
      }
    }
    const last = rule.to[rule.to.length - 1];
    if (own(container, last)) return this.ignoredDialect(e, canonical);

    let value = this.field(e, shapeAt(shape, rule.to));
    if (rule.convert) value = this.synthesize(rule.convert(value, this), e.valueRange);
    this.put(container, last, value, e.keyRange, e.valueRange);
    const fix = e.inAlias ? undefined : rule.fix?.(e, this.source, created);
    const message = `\`${e.key}\` is a dialect of \`${canonical}\`; ${rule.advice ?? `write \`${canonical}\``}`;
    this.out.push(diagnostic('warning', 'dialect-field', message, e.keyRange, fix && [fix]));
  }

  /** The text and its line break (looked for once, on the first dialect with a fix). */
  private get source(): Source {
    return { text: this.text, eol: (this.eol ??= eolOf(this.text)) };
  }

  private ignoredDialect(e: Entry, canonical: string): void {
    const edit = e.inAlias ? undefined : removePairEdit(this.text, e.keyRange, e.valueRange);
    const fix: Fix | undefined = edit && { title: `Remove \`${e.key}\``, edits: [edit], preferred: true };
    this.out.push(
      diagnostic(
        'warning',
        'dialect-field',
        `\`${e.key}\` is a dialect of \`${canonical}\`, which is also given; \`${e.key}\` is ignored`,
        e.keyRange,
        fix && [fix],
      ),
    );
  }

  private put(obj: Record<string, unknown>, key: string, value: unknown, keyRange: TextRange, valueRange: TextRange): void {
    setOwn(obj, key, value);
    // Only the ranges: an Entry also holds its YAML node, and the sites outlive the document.
    this.keyedMembersOf(obj).set(key, keyRange, valueRange);
  }

  // --- aliases -------------------------------------------------------------------------------

  /** The node an alias refers to, or undefined (reported) when it cannot or may not be expanded. */
  private deref(alias: Alias, at: TextRange): unknown {
    if (this.aliasesExhausted) return undefined;
    if (this.maxAliasCount >= 0 && ++this.aliasCount > this.maxAliasCount) {
      this.exhaustAliases(at, `more than ${this.maxAliasCount} aliases are expanded`);
      return undefined;
    }
    const target = this.targets().get(alias);
    if (target === undefined) {
      this.out.push(
        diagnostic('error', 'yaml-syntax', `YAML: unknown alias \`*${alias.source}\`: no anchor \`&${alias.source}\` comes before it`, at),
      );
      return undefined;
    }
    if (this.open.has(target)) {
      this.out.push(
        diagnostic('error', 'yaml-alias-limit', `Alias \`*${alias.source}\` refers to a node that contains it; it reads as empty`, at),
      );
      return undefined;
    }
    return target;
  }

  /** Reports the alias limit once; every alias after it reads as empty. */
  private exhaustAliases(at: TextRange, why: string): void {
    if (this.aliasesExhausted) return;
    this.aliasesExhausted = true;
    this.out.push(
      diagnostic(
        'error',
        'yaml-alias-limit',
        `Too many aliases: ${why} (a "billion laughs" document?); this alias and every later one read as empty`,
        at,
      ),
    );
  }

  /** Each alias' anchor: the last node with that anchor before the alias, in document order. */
  private targets(): Map<Alias, unknown> {
    if (!this.aliasTargets) {
      const targets = new Map<Alias, unknown>();
      const anchors = new Map<string, unknown>();
      if (this.doc) {
        visit(this.doc, {
          Node: (_key, node) => {
            if (isAlias(node)) targets.set(node, anchors.get(node.source));
            else if (node.anchor) anchors.set(node.anchor, node);
          },
        });
      }
      this.aliasTargets = targets;
    }
    return this.aliasTargets;
  }

  // --- text ----------------------------------------------------------------------------------

  private keyText(key: unknown): string {
    if (isScalar(key)) return typeof key.value === 'string' ? key.value : (key.source ?? String(key.value));
    if (isAlias(key)) return `*${key.source}`;
    const range = this.rangeOf(key);
    return range ? this.text.slice(range.start, range.end) : '';
  }

  /** A node's range without trailing whitespace (a block collection's includes the line break). */
  private rangeOf(node: unknown): TextRange | undefined {
    // The fast front end's nodes carry theirs, trimmed alike (shared: ranges are never changed).
    const own = (node as { textRange?: TextRange } | null)?.textRange;
    if (own) return own;
    const r = (node as { range?: readonly number[] | null } | null)?.range;
    if (!r) return undefined;
    const start = r[0];
    let end = r[1];
    while (end > start && isSpace(this.text.charCodeAt(end - 1))) end--;
    return clampRange(this.text, start, end);
  }
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && key.value === '<<' && key.type === 'PLAIN';
}

/** A scalar as plain JSON-able data: strings, numbers, booleans, null; other tags as written. */
function scalarValue(node: Scalar): unknown {
  return plainScalar(node.value, node.source);
}

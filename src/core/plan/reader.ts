/**
 * The plan reader: `work-packages.yaml` text → the plan model, with the source range of every
 * package and field, plus the document as plain data in canonical form for the schema.
 *
 * Three stages, each pure:
 *  1. parse — the `yaml` document API (node ranges are UTF-16 offsets, errors are positioned);
 *     large texts first try `fastYaml.ts`, which builds the same nodes faster or gives up;
 *  2. walk  — YAML nodes → canonical plain data. Known dialects (`id` for `package_id`,
 *     `verification: tier_b`, …; see `docs/diagnostics.md`) are read as their canonical form and
 *     reported with a warning and, when the mend is obvious, a fix. Where every member of the
 *     data was written is recorded, so `locate` maps a canonical path back to the text;
 *  3. model — canonical data → `Plan`, every range found through `locate`.
 *
 * It never throws: whatever the text, the result is a (possibly empty) plan and positioned
 * diagnostics; a bug becomes an `internal-error` diagnostic.
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseAllDocuments,
  visit,
  type Alias,
  type Document,
  type Pair,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { FAST_PARSE_MIN_LENGTH, fastParse } from './fastYaml';
import { isSpace } from './text';
import type {
  Diagnostic,
  Fix,
  Located,
  Plan,
  PlanDefaults,
  PlanPackage,
  Severity,
  TextEdit,
  TextRange,
  Verification,
  VerificationStep,
  VerificationTier,
  WorktreeMode,
} from './model';

export type DataPath = ReadonlyArray<string | number>;

export interface ReadResult {
  plan: Plan;
  /** Reader and dialect diagnostics (YAML syntax, drift from the format); not semantic checks. */
  diagnostics: Diagnostic[];
  /** The document as plain JS, canonicalised (dialects renamed and converted), for the schema. */
  data: unknown;
  /**
   * Range in the original text of the node at `path` in `data` (a canonical name maps back to
   * where its dialect was written). `key` asks for the key of a mapping member (a list item or
   * the root has none: its value is given). A path that does not exist falls back to its
   * nearest existing ancestor, preferring that ancestor's key.
   */
  locate(path: DataPath, part?: 'key' | 'value'): TextRange;
  /** The text that was read; every range refers to it. */
  text: string;
}

export interface ReadOptions {
  /** How many aliases may be expanded in all (billion-laughs guard). Negative: no limit. Default 100. */
  maxAliasCount?: number;
  /**
   * The YAML front end. `auto` (default): the fast one (`fastYaml.ts`) for texts of 64 KiB and
   * more, the `yaml` package's for smaller ones and whenever the fast one gives up. `yaml`:
   * always the `yaml` package. `fast`: the fast one whenever it can (for tests).
   */
  parser?: 'auto' | 'yaml' | 'fast';
}

export const DEFAULT_MAX_ALIAS_COUNT = 100;
/** Nodes copied through alias expansions, in all: guards against one huge anchor aliased many times. */
const MAX_EXPANDED_NODES = 100_000;
/** YAML syntax errors reported at most; a binary or badly broken file would give thousands. */
const MAX_SYNTAX_DIAGNOSTICS = 100;
/** A NUL byte this early means a binary file (git's heuristic). */
const BINARY_PROBE_LENGTH = 8000;

// ---------------------------------------------------------------------------------------------
// Entry point

export function readPlan(text: string, options: ReadOptions = {}): ReadResult {
  const source = typeof text === 'string' ? text : '';
  const out: Diagnostic[] = [];
  let sites: Sites | undefined;
  let data: unknown = null;
  try {
    const { doc, binary, lean } = parse(source, out, options.parser ?? 'auto');
    const walker = new Walker(source, doc, options.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT, out, lean);
    data = binary ? null : walker.root();
    sites = walker.sites;
    const plan = new ModelBuilder(sites, walker.rootRange).plan(data);
    assignPackages(out, plan.packages);
    return { plan, diagnostics: out, data, locate: bindLocate(data, sites, walker.rootRange), text: source };
  } catch (err) {
    const documentRange = { start: 0, end: source.length };
    // Thousands of nested collections run out of stack: the text's doing, not a bug — say so.
    const tooDeep = err instanceof RangeError && /call stack/i.test(err.message);
    out.push(
      tooDeep
        ? diagnostic('error', 'yaml-syntax', 'YAML: the plan nests collections too deeply to be read (thousands of levels); a plan needs a few', { start: 0, end: 0 })
        : diagnostic('error', 'internal-error', `Internal error in the plan reader (please report it): ${err instanceof Error ? err.message : String(err)}`, { start: 0, end: 0 }),
    );
    return {
      plan: emptyPlan(documentRange),
      diagnostics: out,
      data: sites ? data : null,
      locate: bindLocate(sites ? data : null, sites ?? new Map(), documentRange),
      text: source,
    };
  }
}

/** Whether a YAML node carries an anchor (`&name`): an alias may lead back into it. */
function anchored(node: unknown): boolean {
  return (node as { anchor?: string }).anchor !== undefined;
}

function diagnostic(severity: Severity, code: string, message: string, range: TextRange, fixes?: Fix[]): Diagnostic {
  const d: Diagnostic = { severity, code, message, range, packageId: null };
  if (fixes && fixes.length > 0) d.fixes = fixes;
  return d;
}

function emptyPlan(packagesRange: TextRange): Plan {
  return { contractFiles: [], defaults: {}, packages: [], packagesRange };
}

// ---------------------------------------------------------------------------------------------
// Stage 1: parse

/** Parses the text: its first document, if any, unless the text is binary. */
function parse(text: string, out: Diagnostic[], parser: 'auto' | 'yaml' | 'fast'): { doc?: Document; binary: boolean; lean?: boolean } {
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    let end = nul;
    while (text.charCodeAt(end) === 0) end++;
    const binary = nul < BINARY_PROBE_LENGTH;
    out.push(
      diagnostic(
        'error',
        'yaml-binary',
        binary
          ? 'This is a binary file, not YAML text (it contains NUL bytes); it is not read'
          : 'NUL bytes in the text: a plan is plain text; the file may be corrupt',
        { start: nul, end },
      ),
    );
    if (binary) return { binary };
  }

  if (parser === 'fast' || (parser === 'auto' && text.length >= FAST_PARSE_MIN_LENGTH)) {
    const doc = fastParse(text);
    if (doc) return { doc, binary: false, lean: true };
  }
  const docs = parseAllDocuments(text, { prettyErrors: false });
  const doc = docs[0];
  if (!doc) return { binary: false };

  const problems = [
    ...doc.errors.map((e) => ({ severity: 'error' as const, e })),
    ...doc.warnings.map((e) => ({ severity: 'warning' as const, e })),
  ];
  problems.slice(0, MAX_SYNTAX_DIAGNOSTICS).forEach(({ severity, e }, k) => {
    const more =
      k === MAX_SYNTAX_DIAGNOSTICS - 1 && problems.length > MAX_SYNTAX_DIAGNOSTICS
        ? ` (and ${problems.length - MAX_SYNTAX_DIAGNOSTICS} more YAML problems not shown)`
        : '';
    const [start, end] = e.pos ?? [0, 0];
    out.push(diagnostic(severity, 'yaml-syntax', `YAML: ${firstLine(e.message)}${more}`, clampRange(text, start, end)));
  });

  if (docs.length > 1) {
    const start = docs[1].range?.[0] ?? text.length;
    out.push(
      diagnostic(
        'warning',
        'yaml-multi-document',
        `This file holds ${docs.length} YAML documents; only the first is read as the plan`,
        clampRange(text, start, lineEnd(text, start)),
      ),
    );
  }
  return { doc, binary: false };
}

// ---------------------------------------------------------------------------------------------
// Stage 2: walk — the shapes of the format that the walker needs, and its dialects

/** What the walker knows about the value at some place of the format. */
interface Shape {
  /** Shapes of the values of known keys of a mapping. */
  fields?: Record<string, Shape>;
  /** Dialect keys of a mapping, by the key as written. */
  dialects?: Record<string, FieldDialect>;
  /** A list: an empty value (`key:` alone, `~`) reads as `[]`. */
  list?: boolean;
  /** Shape of each item of a list. */
  items?: Shape;
  /** A dialect form of the value itself (e.g. `verification: tier_b`). */
  value?: (value: unknown) => ValueDialect | undefined;
}

/** A key written under another name or place than the canonical one. */
interface FieldDialect {
  /** Canonical place, relative to the mapping holding the dialect key. */
  to: readonly string[];
  /** What to write, for the message (default: write the canonical path). */
  advice?: string;
  /** Converts the (walked) value to the canonical form. */
  convert?: (value: unknown, walker: Walker) => unknown;
  /**
   * The mend, when obvious (never asked for entries reached through an alias). `created`: the
   * canonical parent did not exist and was made up.
   */
  fix?: (entry: Entry, source: Source, created: boolean) => Fix | undefined;
}

/** The text being read, for fixes: its line break found once (a plan may need thousands of such fixes). */
interface Source {
  readonly text: string;
  readonly eol: string;
}

interface ValueDialect {
  value: unknown;
  message: string;
  /** Text replacing the value as written, when the mend is obvious. */
  replacement?: string;
}

const TIER_PATTERN = /^(?:tier[\s_-]*)?([abc])$/i;

/** `tier_b`, `Tier B`, `b` → `B`; undefined when not a tier. */
function parseTier(value: unknown): VerificationTier | undefined {
  const m = typeof value === 'string' ? TIER_PATTERN.exec(value.trim()) : null;
  return m ? (m[1].toUpperCase() as VerificationTier) : undefined;
}

/** A tier written otherwise than `A`, `B` or `C`. */
function tierValue(value: unknown): ValueDialect | undefined {
  const tier = parseTier(value);
  if (!tier || value === tier) return undefined;
  return { value: tier, message: `\`${String(value)}\` is a dialect of the tier \`${tier}\`; write \`${tier}\``, replacement: tier };
}

/** `verification: tier_b` → `verification: {tier_required: B}`. */
function verificationShorthand(value: unknown): ValueDialect | undefined {
  const tier = parseTier(value);
  if (!tier) return undefined;
  const canonical = `{ tier_required: ${tier} }`;
  return {
    value: { tier_required: tier },
    message: `\`verification: ${String(value)}\` is a dialect of \`verification: ${canonical}\`; write that`,
    replacement: canonical,
  };
}

/** `schema_version: "1.0"` → `1`. */
function schemaVersionValue(value: unknown): ValueDialect | undefined {
  if (typeof value !== 'string' || !/^\s*v?1(\.0+)?\s*$/i.test(value)) return undefined;
  return {
    value: 1,
    message: `\`schema_version: ${JSON.stringify(value)}\` is a dialect of \`schema_version: 1\` (an integer); write \`1\``,
    replacement: '1',
  };
}

function rename(to: string): FieldDialect {
  return {
    to: [to],
    fix: (entry) => ({ title: `Rename \`${entry.key}\` to \`${to}\``, edits: [{ range: entry.keyRange, newText: to }], preferred: true }),
  };
}

/** A package-level key that belongs under `scope`. */
function underScope(to: string): FieldDialect {
  return { to: ['scope', to], advice: `move it under \`scope\` as \`scope.${to}\`` };
}

/** `commands: [cmd, …]` → `steps: [{name: command-1, kind: command, command: cmd}, …]`. */
function commandStep(command: unknown, k: number): Record<string, unknown> {
  return { name: `command-${k + 1}`, kind: 'command', command };
}

const COMMANDS_DIALECT: FieldDialect = {
  to: ['steps'],
  advice: 'write `steps`, each command a step with `kind: command`',
  convert: (value, walker) => (Array.isArray(value) ? walker.mapItems(value, commandStep) : value === null ? [] : [commandStep(value, 0)]),
  fix: commandsFix,
};

const TEST_COMMAND_DIALECT: FieldDialect = {
  to: ['verification', 'steps'],
  advice: 'write it as a `verification.steps` entry with `kind: command`',
  convert: (value) => [{ name: 'test', kind: 'command', command: value }],
};

const CHANGE_ID_DIALECT: FieldDialect = {
  to: ['feature', 'id'],
  advice: 'write `feature:` with `id:` under it',
  fix: changeIdFix,
};

const LIST: Shape = { list: true };

const VERIFICATION: Shape = {
  fields: { tier_required: { value: tierValue }, steps: LIST },
  dialects: { tier: rename('tier_required'), commands: COMMANDS_DIALECT },
  value: verificationShorthand,
};

const PACKAGE: Shape = {
  fields: {
    depends_on: LIST,
    scope: { fields: { write_allow: LIST, read_allow: LIST, deny: LIST } },
    locks: { fields: { files: LIST, keys: LIST } },
    outputs: { fields: { result_keys: LIST, artifacts: LIST } },
    verification: VERIFICATION,
  },
  dialects: {
    id: rename('package_id'),
    dependencies: rename('depends_on'),
    name: rename('title'),
    write_allow: underScope('write_allow'),
    read_allow: underScope('read_allow'),
    deny: underScope('deny'),
    write_deny: underScope('deny'),
    test_command: TEST_COMMAND_DIALECT,
  },
};

const ROOT: Shape = {
  fields: {
    schema_version: { value: schemaVersionValue },
    packages: { list: true, items: PACKAGE },
    defaults: { fields: { verification_tier_required: { value: tierValue } } },
    contracts: { fields: { openapi: { fields: { files: LIST } } } },
  },
  dialects: { version: rename('schema_version'), change_id: CHANGE_ID_DIALECT },
};

function fieldShape(shape: Shape | undefined, key: string): Shape | undefined {
  return shape?.fields && own(shape.fields, key) ? shape.fields[key] : undefined;
}

function shapeAt(shape: Shape | undefined, path: readonly string[]): Shape | undefined {
  return path.reduce<Shape | undefined>(fieldShape, shape);
}

// ---------------------------------------------------------------------------------------------
// Stage 2: walk — YAML nodes → canonical data, recording where each member was written

/**
 * For each container of the data: its members' sites, by key (mapping) or index (list). A Map,
 * not a WeakMap: the data holds its containers for as long anyway, and ephemeron tables make
 * garbage collection of a large plan markedly slower.
 */
type Sites = Map<object, Members>;

/**
 * One container's members' sites, as compact as a large plan needs (they live through the whole
 * analysis): a list's, each item's range by index; a mapping's, a `KeyedSites`. A Map and a site
 * object for each member cost about twice as much.
 */
type Members = TextRange[] | KeyedSites;

/**
 * A mapping's members' sites: each key with its key's and its value's range, side by side in one
 * list in the order written. A plan's mappings hold a few keys, searched in order; past 32, an
 * index is made, so a mapping of thousands of keys is not searched key by key.
 */
class KeyedSites {
  /** key, key range, value range, … */
  private flat: (string | TextRange)[] = [];
  private index?: Map<string, number>;

  /** The range of member `key`'s key or value, if it was recorded. */
  range(key: string, part: 'key' | 'value'): TextRange | undefined {
    const at = this.find(key);
    return at < 0 ? undefined : (this.flat[part === 'key' ? at + 1 : at + 2] as TextRange);
  }

  set(key: string, keyRange: TextRange, valueRange: TextRange): void {
    const at = this.find(key);
    if (at >= 0) {
      this.flat[at + 1] = keyRange;
      this.flat[at + 2] = valueRange;
      return;
    }
    this.index?.set(key, this.flat.length);
    this.flat.push(key, keyRange, valueRange);
    if (!this.index && this.flat.length > 3 * 32) {
      this.index = new Map();
      for (let i = 0; i < this.flat.length; i += 3) this.index.set(this.flat[i] as string, i);
    }
  }

  /** Each key with its key's range, in the order written. */
  forEachKey(visit: (keyRange: TextRange, key: string) => void): void {
    for (let i = 0; i < this.flat.length; i += 3) visit(this.flat[i + 1] as TextRange, this.flat[i] as string);
  }

  /** Lets go of the room the list grew with, once the mapping is read (a pushed list keeps spare). */
  trim(): void {
    if (this.flat.length > 0 && !this.index) this.flat = this.flat.slice();
  }

  private find(key: string): number {
    if (this.index) return this.index.get(key) ?? -1;
    const flat = this.flat;
    for (let i = 0; i < flat.length; i += 3) if (flat[i] === key) return i;
    return -1;
  }
}

/**
 * Where member `key` of a container (a list's index, a mapping's key) was written: its key or its
 * value, if recorded. A list's items have no key: their value's range answers for both.
 */
function memberRange(members: Members | undefined, key: string | number, part: 'key' | 'value'): TextRange | undefined {
  if (members === undefined) return undefined;
  if (Array.isArray(members)) return typeof key === 'number' ? members[key] : undefined;
  return members.range(String(key), part);
}

/** One `key: value` of a mapping, as written (or as reached through an alias), and where. */
interface Entry {
  key: string;
  keyRange: TextRange;
  valueRange: TextRange;
  node: unknown;
  /** Reached through an alias or merge: every range is the alias', and no fix is offered. */
  inAlias?: TextRange;
}

class Walker {
  readonly sites: Sites = new Map();
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
     * analysis' peak memory, issue #18). Scalar items stay: a dialect's fix reads them after
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
  const v = node.value;
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
      return v;
    case 'bigint':
      return Number(v);
    default:
      return v === null || v === undefined ? null : (node.source ?? String(v));
  }
}

// ---------------------------------------------------------------------------------------------
// Fixes that need more than a rename

/**
 * The edit removing a `key: value` entry with its lines, when that is trivial: the entry starts
 * its line and nothing but a comment follows it. Undefined otherwise (e.g. the first key of a
 * `- ` list item, or an entry of a one-line flow mapping).
 */
export function removePairEdit(text: string, key: TextRange, value: TextRange): TextEdit | undefined {
  const start = lineStartBefore(text, key.start, WHITE);
  if (start === undefined) return undefined;
  const end = Math.max(key.end, value.end);
  if (!onlyCommentFollows(text, end)) return undefined;
  const newline = text.indexOf('\n', end);
  return { range: { start, end: newline === -1 ? text.length : newline + 1 }, newText: '' };
}

/**
 * True when nothing but blanks and a comment follow `offset` on its line. It reads no further
 * than those: a plan written on one line (JSON is YAML) has a line of megabytes, and a fix per
 * package must not read it each time.
 */
function onlyCommentFollows(text: string, offset: number): boolean {
  let i = offset;
  while (text[i] === ' ' || text[i] === '\t') i++;
  const endsHere = (k: number) => k === text.length || text[k] === '\n' || (text[k] === '\r' && (k + 1 === text.length || text[k + 1] === '\n'));
  if (text[i] !== '#') return endsHere(i);
  // A comment runs to the line's end, with no other line terminator in it.
  for (i++; !endsHere(i); i++) if (text[i] === '\r' || text[i] === '\u2028' || text[i] === '\u2029') return false;
  return true;
}

const WHITE = /\s/;
const SPACE = / /;

/**
 * Where the line holding `offset` starts, when only characters matching `blank` come before
 * `offset` on it; else undefined. It looks back no further than those (see `onlyCommentFollows`).
 */
function lineStartBefore(text: string, offset: number, blank: RegExp): number | undefined {
  let i = offset;
  while (i > 0 && text[i - 1] !== '\n') {
    if (!blank.test(text[i - 1])) return undefined;
    i--;
  }
  return i;
}

/** The line break the text uses, for fixes that add lines. */
function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** Column of a key that starts its line, else undefined. */
function keyColumn(text: string, key: TextRange): number | undefined {
  const start = lineStartBefore(text, key.start, SPACE);
  return start === undefined ? undefined : key.start - start;
}

/** `change_id: x` → `feature:\n  id: x`, when there is no `feature` yet and the value is one line. */
function changeIdFix(e: Entry, { text, eol }: Source, created: boolean): Fix | undefined {
  const column = keyColumn(text, e.keyRange);
  const value = text.slice(e.valueRange.start, e.valueRange.end);
  if (!created || column === undefined || !isScalar(e.node) || /[\r\n]/.test(value)) return undefined;
  if (!onlyCommentFollows(text, e.valueRange.end)) return undefined;
  const indent = ' '.repeat(column);
  return {
    title: 'Write `change_id` as `feature.id`',
    edits: [{ range: { start: e.keyRange.start, end: e.valueRange.end }, newText: `feature:${eol}${indent}  id: ${value}` }],
    preferred: true,
  };
}

/** `commands: [a, b]` → a block of `steps`, when every command is a one-line scalar. */
function commandsFix(e: Entry, { text, eol }: Source): Fix | undefined {
  const column = keyColumn(text, e.keyRange);
  if (column === undefined || !isSeq(e.node) || e.node.items.length === 0) return undefined;
  const commands: string[] = [];
  for (const item of e.node.items) {
    const r = isScalar(item) ? item.range : undefined;
    const source = r ? text.slice(r[0], r[1]) : '';
    if (!r || !source || /[\r\n]/.test(source)) return undefined;
    commands.push(source);
  }
  if (!onlyCommentFollows(text, e.valueRange.end)) return undefined;
  const [nl, indent] = [eol, ' '.repeat(column)];
  const steps = commands.map(
    (command, k) => `${nl}${indent}  - name: command-${k + 1}${nl}${indent}    kind: command${nl}${indent}    command: ${command}`,
  );
  return {
    title: 'Write `commands` as `steps`',
    edits: [{ range: { start: e.keyRange.start, end: e.valueRange.end }, newText: `steps:${steps.join('')}` }],
    preferred: true,
  };
}

// ---------------------------------------------------------------------------------------------
// locate

class Locator {
  constructor(
    private readonly data: unknown,
    private readonly sites: Sites,
    private readonly rootRange: TextRange,
  ) {}

  locate(path: DataPath, part: 'key' | 'value' = 'value'): TextRange {
    let container = this.data;
    // The last member found, and the container it is in (none: the root).
    let found: { members: Members; key: string | number } | undefined;
    for (let i = 0; i < path.length; i++) {
      const members = isObject(container) ? this.sites.get(container) : undefined;
      const key = Array.isArray(container) ? Number(path[i]) : String(path[i]);
      if (!members || !memberRange(members, key, 'value')) break; // the nearest existing ancestor, its key
      found = { members, key };
      container = (container as Record<string | number, unknown>)[key];
      if (i === path.length - 1) return memberRange(members, key, part)!;
    }
    return found ? memberRange(found.members, found.key, 'key')! : this.rootRange;
  }
}

function bindLocate(data: unknown, sites: Sites, rootRange: TextRange): ReadResult['locate'] {
  const locator = new Locator(data, sites, rootRange);
  return (path, part) => {
    try {
      return locator.locate(path, part);
    } catch {
      return rootRange;
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Stage 3: the model, from canonical data

type Obj = Record<string, unknown>;

/** A scalar as text: strings as is, numbers and booleans written out (ids may be numbers). */
function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function tierOf(value: unknown): VerificationTier | undefined {
  return value === 'A' || value === 'B' || value === 'C' ? value : undefined;
}

/** Builds the model from the canonical data, finding ranges through the sites of its containers. */
class ModelBuilder {
  constructor(
    private readonly sites: Sites,
    private readonly rootRange: TextRange,
  ) {}

  plan(data: unknown): Plan {
    const root = isRecord(data) ? data : {};
    const plan: Plan = {
      contractFiles: this.contractFiles(root),
      defaults: defaults(root.defaults),
      packages: [],
      packagesRange: this.range(root, 'packages', this.rootRange),
    };
    if (root.schema_version !== undefined) plan.schemaVersion = root.schema_version;
    if (isRecord(root.feature)) {
      const f = root.feature;
      plan.feature = { range: this.range(root, 'feature', this.rootRange) };
      assignDefined(plan.feature, { id: asText(f.id), title: asText(f.title), planRevision: num(f.plan_revision) });
    }
    if (Array.isArray(root.packages)) {
      root.packages.forEach((p, index) => {
        if (isRecord(p)) plan.packages.push(this.package(p, index, this.range(root.packages, index, plan.packagesRange)));
      });
    }
    return plan;
  }

  /** Where member `key` of `container` was written, else `fallback`. */
  private range(container: unknown, key: string | number, fallback: TextRange, part: 'key' | 'value' = 'value'): TextRange {
    return (isObject(container) ? memberRange(this.sites.get(container), key, part) : undefined) ?? fallback;
  }

  /** The strings of the list `owner[key]` with their ranges; a lone scalar reads as a one-item list. */
  private strings(owner: Obj, key: string, fallback: TextRange): Located<string>[] {
    const value = owner[key];
    const at = this.range(owner, key, fallback);
    if (!Array.isArray(value)) {
      const one = asText(value);
      return one === undefined ? [] : [{ value: one, range: at }];
    }
    const out: Located<string>[] = [];
    value.forEach((item, k) => {
      const s = asText(item);
      if (s !== undefined) out.push({ value: s, range: this.range(value, k, at) });
    });
    return out;
  }

  private contractFiles(root: Obj): Located<string>[] {
    const contracts = isRecord(root.contracts) ? root.contracts : {};
    const openapi = isRecord(contracts.openapi) ? contracts.openapi : {};
    const at = this.range(contracts, 'openapi', this.range(root, 'contracts', this.rootRange));
    const all = [...this.strings(openapi, 'primary', at), ...this.strings(openapi, 'files', at)];
    const seen = new Set<string>();
    return all.filter((f) => !seen.has(f.value) && seen.add(f.value));
  }

  private package(p: Obj, index: number, range: TextRange): PlanPackage {
    const scope = isRecord(p.scope) ? p.scope : {};
    const locks = isRecord(p.locks) ? p.locks : {};
    const scopeRange = this.range(p, 'scope', range);
    const locksRange = this.range(p, 'locks', range);
    const keyRanges: Record<string, TextRange> = {};
    const members = this.sites.get(p);
    if (members && !Array.isArray(members)) members.forEachKey((keyRange, key) => (keyRanges[key] = keyRange));

    const pkg: PlanPackage = {
      id: asText(p.package_id) ?? '',
      idRange: this.range(p, 'package_id', range),
      range,
      index,
      dependsOn: this.strings(p, 'depends_on', range),
      scope: {
        writeAllow: this.strings(scope, 'write_allow', scopeRange),
        readAllow: this.strings(scope, 'read_allow', scopeRange),
        deny: this.strings(scope, 'deny', scopeRange),
      },
      locks: {
        files: this.strings(locks, 'files', locksRange),
        keys: this.strings(locks, 'keys', locksRange),
      },
      keyRanges,
    };
    assignDefined(pkg.locks, { ttlMinutes: num(locks.ttl_minutes), reason: asText(locks.reason) });
    assignDefined(pkg, {
      title: asText(p.title),
      description: asText(p.description),
      taskType: asText(p.task_type),
      priority: num(p.priority),
      timeoutMinutes: num(p.timeout_minutes),
      retryBudget: num(p.retry_budget),
      worktree: worktree(p.worktree),
      verification: this.verification(p.verification, this.range(p, 'verification', range)),
      outputs: outputs(p.outputs),
      inputs: jsonData(p.inputs),
    });
    return pkg;
  }

  private verification(value: unknown, range: TextRange): Verification | undefined {
    if (!isRecord(value)) return undefined;
    const steps = Array.isArray(value.steps) ? value.steps : [];
    const stepsRange = this.range(value, 'steps', range);
    const out: Verification = {
      steps: steps.flatMap((step, k) =>
        isRecord(step)
          ? [
              assignDefined<VerificationStep>(
                { name: asText(step.name) ?? '', kind: asText(step.kind) ?? '', range: this.range(steps, k, stepsRange) },
                { command: asText(step.command) },
              ),
            ]
          : [],
      ),
    };
    return assignDefined(out, { tier: tierOf(value.tier_required) });
  }
}

function defaults(value: unknown): PlanDefaults {
  const d = isRecord(value) ? value : {};
  return assignDefined<PlanDefaults>(
    {},
    {
      priority: num(d.priority),
      lockTtlMinutes: num(d.lock_ttl_minutes),
      timeoutMinutes: num(d.timeout_minutes),
      retryBudget: num(d.retry_budget),
      verificationTierRequired: tierOf(d.verification_tier_required),
      minTrustLevel: num(d.min_trust_level),
    },
  );
}

function worktree(value: unknown): PlanPackage['worktree'] {
  if (!isRecord(value)) return undefined;
  const mode = value.mode === 'isolated' || value.mode === 'shared' ? (value.mode as WorktreeMode) : undefined;
  return assignDefined<NonNullable<PlanPackage['worktree']>>({}, { name: asText(value.name), mode });
}

function outputs(value: unknown): PlanPackage['outputs'] {
  if (!isRecord(value)) return undefined;
  const list = (v: unknown) => (Array.isArray(v) ? v : []).map(asText).filter((s): s is string => s !== undefined);
  return { resultKeys: list(value.result_keys), artifacts: list(value.artifacts) };
}

/** A plain-JSON copy of `value` (strings, finite numbers, booleans, null, arrays, objects); other leaves are dropped. */
function jsonData(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (depth > 64) return undefined;
  if (Array.isArray(value)) return value.map((v) => jsonData(v, depth + 1)).filter((v) => v !== undefined);
  if (isRecord(value)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) {
      const copy = jsonData(v, depth + 1);
      if (copy !== undefined) setOwn(out, k, copy);
    }
    return out;
  }
  return undefined;
}

/** Sets the reader's diagnostics' `packageId`: the package whose range holds the diagnostic. */
function assignPackages(diagnostics: Diagnostic[], packages: readonly PlanPackage[]): void {
  const sorted = packages.filter((p) => p.id).sort((a, b) => a.range.start - b.range.start);
  for (const d of diagnostics) {
    let lo = 0;
    let hi = sorted.length - 1;
    let found: PlanPackage | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid].range.start <= d.range.start) {
        found = sorted[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found && d.range.start <= found.range.end) d.packageId = found.id;
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function isRecord(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function own(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** `obj[key] = value`, safe for keys such as `__proto__`. */
function setOwn(obj: Obj, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** Copies the defined values of `values` onto `target`, so optional fields stay absent. */
function assignDefined<T extends object>(target: T, values: Partial<T>): T {
  // (Keys, then each value: no [key, value] pair made for each field of thousands of packages.)
  const keys = Object.keys(values);
  for (let k = 0; k < keys.length; k++) {
    const value = (values as Record<string, unknown>)[keys[k]];
    if (value !== undefined) (target as Record<string, unknown>)[keys[k]] = value;
  }
  return target;
}

/** `a string`, `a list`, … for messages. */
export function describeKind(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return `a ${typeof value}`;
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return (i === -1 ? s : s.slice(0, i)).trim();
}

function lineEnd(text: string, offset: number): number {
  const i = text.indexOf('\n', offset);
  const end = i === -1 ? text.length : i;
  return end > offset && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
}

function clampRange(text: string, start: number, end: number): TextRange {
  const s = Math.max(0, Math.min(Number.isFinite(start) ? start : 0, text.length));
  const e = Math.max(s, Math.min(Number.isFinite(end) ? end : s, text.length));
  return { start: s, end: e };
}

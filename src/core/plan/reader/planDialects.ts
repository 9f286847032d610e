/**
 * The plan format as the walk needs to know it (`Shape`: where lists are, which keys are
 * dialects) and its dialects — keys and values written otherwise than the format says (`id`
 * for `package_id`, `verification: tier_b`, …; docs/diagnostics.md) — with the fixes that mend
 * them in place, layout kept (`removePairEdit`, `commands` → `steps`, `change_id` →
 * `feature.id`).
 */
import { isScalar, isSeq } from 'yaml';
import type { Fix, TextEdit, TextRange, VerificationTier } from '../model';
import { own } from './planData';

// ---------------------------------------------------------------------------------------------
// The shapes of the format that the walker needs, and its dialects

/** What the walker knows about the value at some place of the format. */
export interface Shape {
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
  convert?: (value: unknown, walker: ItemMapper) => unknown;
  /**
   * The mend, when obvious (never asked for entries reached through an alias). `created`: the
   * canonical parent did not exist and was made up.
   */
  fix?: (entry: Entry, source: Source, created: boolean) => Fix | undefined;
}

/** What a conversion may ask of the walker (`Walker.mapItems`): a list converted item by item, each item keeping its place. */
interface ItemMapper {
  mapItems(list: unknown[], convert: (item: unknown, k: number) => unknown): unknown[];
}

/** The text being read, for fixes: its line break found once (a plan may need thousands of such fixes). */
export interface Source {
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

export const ROOT: Shape = {
  fields: {
    schema_version: { value: schemaVersionValue },
    packages: { list: true, items: PACKAGE },
    defaults: { fields: { verification_tier_required: { value: tierValue } } },
    contracts: { fields: { openapi: { fields: { files: LIST } } } },
  },
  dialects: { version: rename('schema_version'), change_id: CHANGE_ID_DIALECT },
};

export function fieldShape(shape: Shape | undefined, key: string): Shape | undefined {
  return shape?.fields && own(shape.fields, key) ? shape.fields[key] : undefined;
}

export function shapeAt(shape: Shape | undefined, path: readonly string[]): Shape | undefined {
  return path.reduce<Shape | undefined>(fieldShape, shape);
}

/** One `key: value` of a mapping, as written (or as reached through an alias), and where. */
export interface Entry {
  key: string;
  keyRange: TextRange;
  valueRange: TextRange;
  node: unknown;
  /** Reached through an alias or merge: every range is the alias', and no fix is offered. */
  inAlias?: TextRange;
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
export function eolOf(text: string): string {
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

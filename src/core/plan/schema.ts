/**
 * Schema validation of a plan: the reader's canonicalised document against
 * `schemas/work-packages.schema.json` (JSON Schema 2020-12, Ajv), each error turned into a
 * positioned diagnostic with a stable code and a sentence a person can act on.
 *
 * The document is the canonical one, so nothing the reader already reported as a dialect is
 * reported again. Unknown fields are warnings (`unknown-field`): a plan with extra fields still
 * runs; everything else is an error.
 */
import type { ErrorObject } from 'ajv/dist/2020';
import { removeSequenceItem, yamlScalar } from './edits';
import validate from './generated/workPackagesValidator';
import type { Diagnostic, Fix, TextRange } from './model';
import { editDistance } from './nearest';
import { describeKind } from './reader/planData';
import { removePairEdit } from './reader/planDialects';
import type { DataPath } from './reader/planSites';
import type { ReadResult } from './reader/reader';

// `validate` is the schema compiled ahead of time by scripts/gen-validator.mjs (Ajv standalone
// code: compiling at run time would cost 100–180 ms on every start). Its options: all errors,
// verbose (each error carries its data and schema node), formats not checked.

export function schemaDiagnostics(read: ReadResult): Diagnostic[] {
  // A document that is not a mapping was reported by the reader (`yaml-not-mapping`).
  if (!isRecord(read.data)) return [];
  if (validate(read.data)) return [];

  const ids = new Map(read.plan.packages.map((p) => [p.index, p.id]));
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const d = describe(read, error);
    if (!d) continue;
    const key = `${d.code}\0${d.range.start}\0${d.range.end}\0${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const [first, index] = d.path;
    out.push({
      severity: d.code === 'unknown-field' ? 'warning' : 'error',
      code: d.code,
      message: d.message,
      range: d.range,
      packageId: first === 'packages' && typeof index === 'number' ? ids.get(index) || null : null,
      ...(d.fixes?.length ? { fixes: d.fixes } : {}),
    });
  }
  return out;
}

interface Described {
  code: string;
  message: string;
  range: TextRange;
  /** Path of the value the diagnostic is about (for its package). */
  path: DataPath;
  fixes?: Fix[];
}

/** Ajv schema node, as far as messages need it. */
interface SchemaNode {
  type?: string | string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  patternErrorMessage?: string;
}

/** Keywords that only combine other results: their sub-errors say what is wrong. */
const CASCADE = new Set(['if', 'then', 'else', 'allOf', 'anyOf', 'oneOf', 'not', 'propertyNames', 'format']);

function describe(read: ReadResult, error: ErrorObject): Described | undefined {
  if (CASCADE.has(error.keyword)) return undefined;
  const path = dataPath(read.data, error.instancePath);
  const parent = (error.parentSchema ?? {}) as SchemaNode;
  const field = label(path);
  const at = (range: TextRange, code: string, message: string, fixes?: Fix[]): Described => ({ code, message, range, path, fixes });

  // A key of a mapping whose keys are constrained (`propertyNames`): the error is about the key.
  if (error.propertyName !== undefined) {
    const keyPath = [...path, error.propertyName];
    const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues;
    const rule = allowed ? `one of ${list(allowed)}` : 'a valid key';
    return {
      ...at(read.locate(keyPath, 'key'), 'schema-enum', `Key \`${error.propertyName}\` of ${field} must be ${rule}`),
      path: keyPath,
    };
  }

  const value = error.data;
  switch (error.keyword) {
    case 'type':
      return at(
        compactRange(read, path, value),
        'schema-type',
        `${capital(field)} must be ${expectation(parent, true)}; found ${found(value, 'type')}`,
      );

    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'minLength':
    case 'maxLength':
    case 'minItems':
    case 'maxItems':
      return at(
        compactRange(read, path, value),
        'schema-range',
        `${capital(field)} must be ${expectation(parent)}; found ${found(value, 'size')}`,
      );

    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      const range = read.locate(path);
      const suggestion = closest(value, allowed);
      const fixes = suggestion === undefined ? undefined : [replaceFix(range, suggestion)];
      const hint = suggestion === undefined ? '' : `; did you mean \`${suggestion}\`?`;
      return at(range, 'schema-enum', `${capital(field)} must be one of ${list(allowed)}; found ${found(value, 'value')}${hint}`, fixes);
    }

    case 'const': {
      const allowed = (error.params as { allowedValue: unknown }).allowedValue;
      const range = read.locate(path);
      return at(range, 'schema-const', `${capital(field)} must be \`${String(allowed)}\`; found ${found(value, 'value')}`, [
        replaceFix(range, String(allowed)),
      ]);
    }

    case 'pattern': {
      const words = parent.patternErrorMessage ?? `It must match the pattern \`${parent.pattern}\`.`;
      return at(read.locate(path), 'schema-pattern', `${quote(value)} is not valid as ${field}. ${words}`);
    }

    case 'uniqueItems': {
      const { i, j } = error.params as { i: number; j: number };
      const later = Math.max(i, j);
      const items = Array.isArray(value) ? value : [];
      const itemPath = [...path, later];
      const itemRange = read.locate(itemPath);
      const edit = removeSequenceItem(read.text, itemRange, items.length);
      return {
        ...at(
          itemRange,
          'schema-unique',
          `${capital(field)} lists ${quote(items[later])} twice (items ${Math.min(i, j) + 1} and ${later + 1})`,
          [{ title: `Remove the second ${quote(items[later])}`, edits: [edit], preferred: true }],
        ),
        path: itemPath,
      };
    }

    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return at(ownerRange(read, path), 'schema-required', `${capital(owner(path))} has no \`${missing}\`; it is required`);
    }

    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      const fieldPath = [...path, extra];
      const keyRange = read.locate(fieldPath, 'key');
      const edit =
        isRecord(value) && Object.keys(value).length > 1 ? removePairEdit(read.text, keyRange, read.locate(fieldPath)) : undefined;
      return {
        ...at(
          keyRange,
          'unknown-field',
          `\`${extra}\` is not a field of ${owner(path)}; it is ignored`,
          edit && [{ title: `Remove \`${extra}\``, edits: [edit] }],
        ),
        path: fieldPath,
      };
    }

    default:
      return at(read.locate(path), 'schema-type', `${capital(field)} ${error.message ?? 'is not valid'}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Paths and places

/** An Ajv instance path as a data path: list indices as numbers. */
function dataPath(data: unknown, pointer: string): DataPath {
  if (!pointer) return [];
  const path: (string | number)[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const step = Array.isArray(node) ? Number(segment) : segment;
    path.push(step);
    node = isObject(node) ? (node as Record<string | number, unknown>)[step] : undefined;
  }
  return path;
}

function isPackagePath(path: DataPath): boolean {
  return path[0] === 'packages' && typeof path[1] === 'number';
}

/** `scope.write_allow[0]` (relative to its package, whose id the diagnostic carries), `defaults.priority`. */
function label(path: DataPath): string {
  if (path.length === 0) return 'the plan';
  if (isPackagePath(path) && path.length === 2) return 'each package';
  const rel = isPackagePath(path) ? path.slice(2) : path;
  return '`' + rel.map((s, k) => (typeof s === 'number' ? `[${s}]` : k > 0 ? `.${s}` : s)).join('') + '`';
}

/** What a mapping is, in a message: `the plan`, `a package`, `` `scope` ``. */
function owner(path: DataPath): string {
  if (path.length === 0) return 'the plan';
  if (isPackagePath(path) && path.length === 2) return 'a package';
  return label(path);
}

/** A mapping's key, or (a list item, the root) the mapping's first line: never a whole block. */
function ownerRange(read: ReadResult, path: DataPath): TextRange {
  const key = read.locate(path, 'key');
  const value = read.locate(path, 'value');
  if (key.start !== value.start || key.end !== value.end) return key;
  const newline = read.text.indexOf('\n', value.start);
  return { start: value.start, end: newline === -1 || newline > value.end ? value.end : newline };
}

/** A scalar's value; for a wrong mapping or list its key, when it has one. */
function compactRange(read: ReadResult, path: DataPath, value: unknown): TextRange {
  return isObject(value) ? read.locate(path, 'key') : read.locate(path);
}

// ---------------------------------------------------------------------------------------------
// Words

const TYPE_WORDS: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: '`true` or `false`',
  array: 'a list',
  object: 'a mapping',
  null: 'empty',
};

/**
 * What a schema node asks for, in words: "an integer from 1 to 10", "a non-empty string".
 * `typeOnly`: the value has the wrong type, so its length does not matter yet (a number's range does).
 */
function expectation(s: SchemaNode, typeOnly = false): string {
  const types = (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []).map((t) => TYPE_WORDS[t] ?? t);
  const kind = types.length ? types.join(' or ') : 'a value';
  const low = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : undefined);
  const high = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : undefined);
  if (low !== undefined || high !== undefined) return `${kind} ${bounds(low, high, 'from')}`;
  if (typeOnly) return kind;
  if (s.minLength === 1 && s.maxLength === undefined) return `a non-empty ${kind.replace(/^an? /, '')}`;
  if (s.minLength !== undefined || s.maxLength !== undefined) return `${kind} ${bounds(s.minLength, s.maxLength, 'of', 'character')}`;
  if (s.minItems !== undefined || s.maxItems !== undefined) return `${kind} ${bounds(s.minItems, s.maxItems, 'of', 'item')}`;
  return kind;
}

/** "from 1 to 10", "of 1 to 64 characters", "of at least 1 item". */
function bounds(low: number | undefined, high: number | undefined, between: 'from' | 'of', unit = ''): string {
  const units = (n: number | undefined) => (unit ? ` ${unit}${n === 1 ? '' : 's'}` : '');
  if (low !== undefined && high !== undefined) return `${between} ${low} to ${high}${units(high)}`;
  if (low !== undefined) return `of at least ${low}${units(low)}`;
  return `of at most ${high}${units(high)}`;
}

/**
 * What was found, in words. `type`: the kind of value matters ("a string (`high`)"); `size`: its
 * size does ("130 characters"); `value`: the value itself ("`isolatd`").
 */
function found(value: unknown, mode: 'type' | 'size' | 'value'): string {
  if (value === null || value === undefined) return 'nothing (an empty value)';
  if (typeof value === 'string') {
    if (value === '') return 'an empty string';
    if (mode === 'size') return `${value.length} character${value.length === 1 ? '' : 's'}`;
    return mode === 'type' ? `a string (${quote(value)})` : quote(value);
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return 'an empty list';
    return mode === 'size' ? `${value.length} item${value.length === 1 ? '' : 's'}` : 'a list';
  }
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number' && mode !== 'type') return String(value);
  return `${describeKind(value)} (${String(value)})`;
}

function quote(value: unknown): string {
  const s = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return '`' + (s.length > 60 ? `${s.slice(0, 57)}…` : s) + '`';
}

function list(values: readonly unknown[]): string {
  return values.map((v) => `\`${String(v)}\``).join(', ');
}

function capital(s: string): string {
  return s.startsWith('`') ? s : s.charAt(0).toUpperCase() + s.slice(1);
}

function replaceFix(range: TextRange, value: string): Fix {
  return { title: `Write \`${value}\``, edits: [{ range, newText: yamlScalar(value) }], preferred: true };
}

/** The allowed value the user most likely meant: same letters in another case, or 1–2 typos. */
function closest(value: unknown, allowed: readonly unknown[]): string | undefined {
  if (typeof value !== 'string') return undefined;
  const candidates = allowed.filter((a): a is string => typeof a === 'string');
  const lower = value.toLowerCase();
  const sameCase = candidates.find((a) => a.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  const near = candidates.filter((a) => editDistance(lower, a.toLowerCase()) <= Math.min(2, Math.floor(a.length / 3)));
  return near.length === 1 ? near[0] : undefined;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return isObject(value) && !Array.isArray(value);
}

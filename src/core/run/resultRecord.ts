/**
 * The result record (seed 004's context save): what a package's agent reports when it stops,
 * in the attempt's `result.json`; `schemas/result-record.schema.json` is its contract.
 *
 * `readResultRecord` never throws: a missing or unreadable record gives `record: null` and a
 * warning; a partly invalid one keeps every valid part and names each invalid one.
 * `mergeResults` folds the records of a run into one view for the run report.
 *
 * Pure: the schema's validator is compiled ahead of time (scripts/gen-validator.mjs; compiling
 * it on first use took about 40 ms of a run's first package end). No `vscode`.
 */
import type { ErrorObject } from 'ajv';
import validator from './generated/resultRecordValidator';

export type ResultStatus = 'done' | 'partial' | 'blocked';
export const RESULT_STATUSES: readonly ResultStatus[] = ['done', 'partial', 'blocked'];

export interface ResultDecision {
  decision: string;
  rationale?: string;
}

/** A record as read: every field present; a field that was missing or invalid is empty or null. */
export interface ResultRecord {
  version: 1;
  package_id: string | null;
  status: ResultStatus | null;
  files_modified: string[];
  decisions: ResultDecision[];
  pending_actions: string[];
  result_keys: Record<string, unknown>;
  notes: string | null;
  /** After a review: the ids of the comments the attempt says it addressed (empty: it said none). */
  addressed: string[];
}

export interface ResultReadout {
  record: ResultRecord | null;
  /** One sentence each, for a person. */
  warnings: string[];
}

/** Records larger than this are not read (an agent that wrote its log into it). */
export const MAX_RESULT_RECORD_BYTES = 1024 * 1024;

function validate(value: unknown): ErrorObject[] {
  return validator(value) ? [] : (validator.errors ?? []);
}

export interface ReadOptions {
  /** The package the record should be about; a different `package_id` is a warning. */
  expectedPackageId?: string;
  /** For messages: the file's path. */
  file?: string;
}

/** Reads a result record from its text (null/undefined: the file is missing). Never throws. */
export function readResultRecord(text: string | null | undefined, options: ReadOptions = {}): ResultReadout {
  const where = options.file ? ` (${options.file})` : '';
  if (text === null || text === undefined) return { record: null, warnings: [`no result record${where}: the agent did not write one`] };
  if (typeof text !== 'string') return { record: null, warnings: [`the result record${where} is not text`] };
  if (text.length > MAX_RESULT_RECORD_BYTES) {
    return { record: null, warnings: [`the result record${where} is larger than ${MAX_RESULT_RECORD_BYTES / 1024} KiB and was not read`] };
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return { record: null, warnings: [`the result record${where} is empty`] };
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    return { record: null, warnings: [`the result record${where} is not valid JSON: ${(err as Error).message}`] };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { record: null, warnings: [`the result record${where} must be a JSON object, not ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`] };
  }
  const obj = raw as Record<string, unknown>;
  const warnings = describeErrors(validate(obj), where);
  const record: ResultRecord = {
    version: 1,
    package_id: typeof obj.package_id === 'string' && obj.package_id !== '' ? obj.package_id : null,
    status: RESULT_STATUSES.includes(obj.status as ResultStatus) ? (obj.status as ResultStatus) : null,
    files_modified: strings(obj.files_modified),
    decisions: decisions(obj.decisions),
    pending_actions: strings(obj.pending_actions),
    result_keys: isPlainObject(obj.result_keys) ? copyObject(obj.result_keys) : {},
    notes: typeof obj.notes === 'string' ? obj.notes : null,
    addressed: strings(obj.addressed),
  };
  if (options.expectedPackageId !== undefined && record.package_id !== null && record.package_id !== options.expectedPackageId) {
    warnings.push(`the result record${where} is about package "${record.package_id}", not "${options.expectedPackageId}"`);
  }
  return { record, warnings };
}

function describeErrors(errors: ErrorObject[], where: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    // anyOf reports each branch; say it once, at the item.
    const at = e.instancePath || '';
    let text: string;
    if (e.keyword === 'required') text = `the result record${where} has no "${String((e.params as { missingProperty?: string }).missingProperty)}"`;
    else if (e.keyword === 'enum') text = `the result record${where}: ${field(at)} must be one of ${((e.params as { allowedValues?: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    else if (e.keyword === 'const') text = `the result record${where}: ${field(at)} must be ${JSON.stringify((e.params as { allowedValue?: unknown }).allowedValue)}`;
    else if (e.keyword === 'anyOf' || (at.startsWith('/decisions/') && e.schemaPath.includes('anyOf'))) text = `the result record${where}: ${field(at.split('/').slice(0, 3).join('/'))} must be a string or {decision, rationale?}; it was left out`;
    else text = `the result record${where}: ${field(at)} ${e.message ?? 'is invalid'}${at.split('/').length > 2 ? '; it was left out' : ''}`;
    if (!seen.has(text)) {
      seen.add(text);
      out.push(text);
    }
  }
  return out;
}

function field(pointer: string): string {
  if (!pointer) return 'the record';
  const parts = pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return parts.map((p, k) => (k === 0 ? `"${p}"` : /^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('');
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string' && s !== '') : [];
}

function decisions(value: unknown): ResultDecision[] {
  if (!Array.isArray(value)) return [];
  const out: ResultDecision[] = [];
  for (const d of value) {
    if (typeof d === 'string' && d !== '') out.push({ decision: d });
    else if (isPlainObject(d) && typeof d.decision === 'string' && d.decision !== '') {
      out.push(typeof d.rationale === 'string' ? { decision: d.decision, rationale: d.rationale } : { decision: d.decision });
    }
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** An own-properties copy that keeps a `__proto__` key as data. */
function copyObject(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

// ---------------------------------------------------------------------------------------
// Merging

export interface MergedResults {
  /** Union of every record's files_modified, sorted. */
  filesModified: string[];
  /** Each file with the packages that say they modified it. */
  filesByPackage: Record<string, string[]>;
  /** Every decision, with its package, in package order. */
  decisions: (ResultDecision & { packageId: string })[];
  /** Pending actions de-duplicated (case and spacing ignored), first wording kept, with every package that named it. */
  pendingActions: { action: string; packages: string[] }[];
  /** result_keys per package. */
  resultKeys: Record<string, Record<string, unknown>>;
  /** Notes per package. */
  notes: { packageId: string; notes: string }[];
  /** Status per package (null: no record, or no valid status). */
  statuses: Record<string, ResultStatus | null>;
}

/** Folds the packages' records together. Deterministic: the input order decides the output order. */
export function mergeResults(records: readonly { packageId: string; record: ResultRecord | null }[]): MergedResults {
  const files = new Map<string, string[]>();
  const merged: MergedResults = { filesModified: [], filesByPackage: {}, decisions: [], pendingActions: [], resultKeys: {}, notes: [], statuses: {} };
  const pending = new Map<string, { action: string; packages: string[] }>();
  for (const { packageId, record } of records) {
    setKey(merged.statuses, packageId, record?.status ?? null);
    if (!record) continue;
    for (const f of record.files_modified) {
      const holders = files.get(f) ?? [];
      if (!holders.includes(packageId)) holders.push(packageId);
      files.set(f, holders);
    }
    for (const d of record.decisions) merged.decisions.push({ packageId, ...d });
    for (const a of record.pending_actions) {
      const key = a.replace(/\s+/g, ' ').trim().toLowerCase();
      if (!key) continue;
      const entry = pending.get(key);
      if (entry) {
        if (!entry.packages.includes(packageId)) entry.packages.push(packageId);
      } else pending.set(key, { action: a.trim(), packages: [packageId] });
    }
    setKey(merged.resultKeys, packageId, record.result_keys);
    if (record.notes) merged.notes.push({ packageId, notes: record.notes });
  }
  merged.filesModified = [...files.keys()].sort(compare);
  for (const f of merged.filesModified) setKey(merged.filesByPackage, f, files.get(f)!);
  merged.pendingActions = [...pending.values()];
  return merged;
}

function setKey<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Code-unit order: the same on every machine and locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

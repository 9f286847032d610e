/**
 * The reader's canonical data as plain JS: type guards, own keys (safe for `__proto__`),
 * optional fields left absent (`assignDefined`), and a value's kind in words for messages
 * (`describeKind`).
 */

export type Obj = Record<string, unknown>;

/** An object or a list (not null). */
export function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** A mapping: an object that is not a list. */
export function isRecord(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether `key` is `obj`'s own member (never one it inherits, such as `constructor`). */
export function own(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** `obj[key] = value`, safe for keys such as `__proto__`. */
export function setOwn(obj: Obj, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** Copies the defined values of `values` onto `target`, so optional fields stay absent. */
export function assignDefined<T extends object>(target: T, values: Partial<T>): T {
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

/** A scalar's value (and its text as written) as plain JSON-able data (the walk's and `planDirect.ts`'s). */
export function plainScalar(v: unknown, source: string | undefined): unknown {
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
      return v;
    case 'bigint':
      return Number(v);
    default:
      return v === null || v === undefined ? null : (source ?? String(v));
  }
}

/**
 * The fields `keys` of `from`, as they are: the one copy where several shapes of a record (the
 * details pane's, the facts', the report row's) carry the same fields.
 */
export function pick<T, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) out[key] = from[key];
  return out;
}

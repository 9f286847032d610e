// Types of scripts/tapFailures.mjs, for its test.
export interface TapFailure {
  /** Its suites and its name, joined by " › ". */
  name: string;
  /** Where it is (`file:line:column`), as the reporter says. */
  location: string | null;
  /** The first lines of its error. */
  error: string[];
  /** How many lines of its error were left out. */
  more: number;
}
/** Each failed test of a node:test TAP report; a suite that failed only through its tests is not listed. */
export function tapFailures(text: string, options?: { maxErrorLines?: number }): TapFailure[];

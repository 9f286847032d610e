// Types of scripts/gen-validator.mjs, for the unit tests that keep the generated validators fresh.
export interface GeneratedValidator {
  /** The schema's file name in schemas/. */
  schema: string;
  /** The generated module. */
  out: string;
  /** Ajv's options (the validator's behaviour). */
  options: Record<string, unknown>;
  vocabulary?: string[];
  linear?: boolean;
}
export const VALIDATORS: readonly GeneratedValidator[];
export const OUT: string;
export function generateValidator(v?: GeneratedValidator): string;
export function updateValidators(): string[];
export function lastRepeat(items: unknown[]): [number, number] | null;
/** A string's length in code points, as Ajv's `ucs2length` counts it: the function the generated modules hold. */
export const codePointLength: (str: string) => number;

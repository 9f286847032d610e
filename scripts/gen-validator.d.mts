// Types of scripts/gen-validator.mjs, for the unit test that keeps the generated validator fresh.
export const OUT: string;
export function generateValidator(): string;
export function updateValidator(): boolean;
export function lastRepeat(items: unknown[]): [number, number] | null;

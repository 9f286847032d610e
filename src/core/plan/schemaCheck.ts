/**
 * The plan's schema, compiled ahead of time into `generated/workPackagesValidator.js` (110 KiB):
 * a module of its own so that the editor loads it with the first plan it checks, not at
 * activation (ADR 0020: `dist/planSchema.js`); the CLI and the analysis worker bundle it.
 */
import validate from './generated/workPackagesValidator';

/** Ajv's validator of `schemas/work-packages.schema.json`: true when valid; its `errors` otherwise. */
export const validatePlanData = validate;

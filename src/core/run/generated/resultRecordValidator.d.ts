// Types of the generated validator (resultRecordValidator.js, see scripts/gen-validator.mjs).
import type { ValidateFunction } from 'ajv/dist/2020';

declare const validate: ValidateFunction;
export default validate;

/**
 * What a valid run state is: `validateRunState` checks a parsed `.waves/runs/<feature>.json`
 * against `schemas/run-state.schema.json` (Ajv, compiled ahead of time) and the
 * invariants the schema cannot express (a package's candidates too: candidates.ts), and tells a state of a newer format version apart (a
 * version no build writes, 1 included, is refused). Used by the run-state store (`src/store/runStore.ts`) and by
 * every reader of run files (the CLI's `status`, the editor's `RunWatch`).
 *
 * Pure: no I/O, no `vscode`.
 */
import type { ValidateFunction } from 'ajv';
import schemaValidator from './generated/runStateValidator';
import { RUN_STATE_VERSION, checkRunStateInvariants, type RunState } from './runState';
import { candidateProblems } from './candidates';

export type RunStateValidation =
  | { ok: true; state: RunState }
  | { ok: false; code: 'invalid-state' | 'unsupported-version' | 'wrong-feature'; detail: string }
  | {
      ok: false;
      code: 'newer-version';
      detail: string;
      version: number;
      /** The state as far as this build understands it (it passes the version-2 checks), if it does. */
      state?: RunState;
    };

/** `schemas/run-state.schema.json`, compiled ahead of time by scripts/gen-validator.mjs. */
function schemaValidate(raw: unknown): ValidateFunction['errors'] {
  return schemaValidator(raw) ? null : (schemaValidator.errors ?? []);
}

/** Schema, invariants, feature. */
function checkState(
  raw: unknown,
  expectedFeatureId: string | undefined,
): { state: RunState } | { code: 'invalid-state' | 'wrong-feature'; detail: string } {
  const errors = schemaValidate(raw);
  if (errors) {
    const detail = errors.map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join('; ');
    return { code: 'invalid-state', detail };
  }
  const state = raw as RunState;
  const broken = [...checkRunStateInvariants(state), ...Object.entries(state.packages).flatMap(([id, record]) => candidateProblems(id, record))];
  if (broken.length > 0) return { code: 'invalid-state', detail: broken.join('; ') };
  if (expectedFeatureId !== undefined && state.featureId !== expectedFeatureId) {
    return { code: 'wrong-feature', detail: `it belongs to feature "${state.featureId}", not "${expectedFeatureId}"` };
  }
  return { state };
}

/**
 * Checks `raw` against the schema and the invariants the schema cannot express, and,
 * when `expectedFeatureId` is given, that it belongs to that feature. A version above 2 is
 * `newer-version`, with the state when it passes the version-2 checks; any other version but 2
 * (1 included: no released build wrote it) is `unsupported-version`.
 */
export function validateRunState(raw: unknown, expectedFeatureId?: string): RunStateValidation {
  const version = (raw as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && Number.isInteger(version) && version > RUN_STATE_VERSION) {
    const detail = `format version ${version}; this build writes version ${RUN_STATE_VERSION}`;
    const checked = checkState({ ...(raw as object), version: RUN_STATE_VERSION }, expectedFeatureId);
    const state = 'state' in checked ? ({ ...checked.state, version } as unknown as RunState) : undefined;
    return { ok: false, code: 'newer-version', detail, version, ...(state ? { state } : {}) };
  }
  if (typeof version === 'number' && version !== RUN_STATE_VERSION) {
    return { ok: false, code: 'unsupported-version', detail: `format version ${version}, which no build writes` };
  }
  const checked = checkState(raw, expectedFeatureId);
  if (!('state' in checked)) return { ok: false, ...checked };
  return { ok: true, state: checked.state };
}

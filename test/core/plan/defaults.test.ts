/** The plan format's defaults are written once (src/core/plan/defaults.ts) and are the schema's. */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_LOCK_TTL_MINUTES, DEFAULT_MAX_PARALLEL, DEFAULT_PRIORITY, DEFAULT_RETRY_BUDGET, DEFAULT_TIMEOUT_MINUTES, lockTtlMinutesOf, priorityOf, retryBudgetOf, timeoutMinutesOf } from '../../../src/core/plan/defaults';

const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'schemas', 'work-packages.schema.json'), 'utf8'));

/** The `default` of a key of the plan's `defaults` object in the schema. */
function schemaDefault(key: string): unknown {
  const value = (schema as { properties: { defaults: { properties: Record<string, { default?: unknown }> } } }).properties.defaults.properties[key]?.default;
  assert.notEqual(value, undefined, `the schema states a default for ${key}`);
  return value;
}

describe("the plan format's defaults", () => {
  it("are the schema's", () => {
    assert.equal(DEFAULT_PRIORITY, schemaDefault('priority'));
    assert.equal(DEFAULT_RETRY_BUDGET, schemaDefault('retry_budget'));
    assert.equal(DEFAULT_TIMEOUT_MINUTES, schemaDefault('timeout_minutes'));
    assert.equal(DEFAULT_LOCK_TTL_MINUTES, schemaDefault('lock_ttl_minutes'));
  });

  it("the run's cap is the editor setting's default", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
    assert.equal(manifest.contributes.configuration.properties['waves.maxParallel'].default, DEFAULT_MAX_PARALLEL);
  });

  it("take the package's value, else the plan's, else the format's — a stated 0 is kept", () => {
    assert.equal(retryBudgetOf(undefined, {}), 1);
    assert.equal(retryBudgetOf({}, { retryBudget: 3 }), 3);
    assert.equal(retryBudgetOf({ retryBudget: 0 }, { retryBudget: 3 }), 0);
    assert.equal(retryBudgetOf({}, { retryBudget: 0 }), 0);
    assert.equal(timeoutMinutesOf({}, {}), 60);
    assert.equal(timeoutMinutesOf({ timeoutMinutes: 5 }, { timeoutMinutes: 30 }), 5);
    assert.equal(timeoutMinutesOf({}, { timeoutMinutes: 30 }), 30);
    assert.equal(priorityOf({}, {}), 5);
    assert.equal(priorityOf({ priority: 1 }, { priority: 9 }), 1);
    assert.equal(lockTtlMinutesOf(undefined, {}), 120);
    assert.equal(lockTtlMinutesOf(undefined, { lockTtlMinutes: 30 }), 30);
    assert.equal(lockTtlMinutesOf(10, { lockTtlMinutes: 30 }), 10);
  });
});

/**
 * The schemas compiled ahead of time (scripts/gen-validator.mjs): each generated module is the
 * schema as it is now, and the run's two — the result record and the run state — report exactly
 * the errors Ajv reports when it compiles the schema at run time with the same options, on
 * records and states near the valid ones (one to three fields changed, removed or added).
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import fc from 'fast-check';
import resultRecordSchema from '../../../schemas/result-record.schema.json';
import runStateSchema from '../../../schemas/run-state.schema.json';
import resultRecordValidator from '../../../src/core/run/generated/resultRecordValidator';
import runStateValidator from '../../../src/core/run/generated/runStateValidator';
import { applyEvent, recordMerge, setIntegration } from '../../../src/core/run/runStateReducer';
import { createRunState } from '../../../src/core/run/runStateInit';
import type { RunState } from '../../../src/core/run/runState';

const errors = (v: ValidateFunction, data: unknown) =>
  v(data) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.schemaPath} ${e.keyword} ${JSON.stringify(e.params)}`);

/** The generator's options for `schema` (its entry in VALIDATORS), compiled now. */
async function atRunTime(schemaFile: string, schema: object): Promise<ValidateFunction> {
  const { VALIDATORS } = await import('../../../scripts/gen-validator.mjs');
  const entry = VALIDATORS.find((v) => v.schema === schemaFile);
  assert.ok(entry, `${schemaFile} is compiled ahead of time`);
  return new Ajv2020(entry.options).compile(schema);
}

/** Values a field may be changed to: each JSON type, and strings the schemas look for. */
const VALUES: unknown[] = [null, '', 'x', 'done', 'M', 'X', 0, 1, -1, 1.5, true, false, [], ['x'], ['x', 'x'], {}, { a: 1 }, '2025-03-01T10:00:00.000Z', 'yesterday', 'a'.repeat(64), 'running', 'merged'];

/** Every path into `value` (objects' keys and lists' indices), the root excluded. */
function pathsOf(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((k) => [[...at, k], ...pathsOf((value as Record<string | number, unknown>)[k], [...at, k])]);
}

/** `base` with one field changed (`value`), removed (`undefined`) or a new key beside it. */
function mutate(base: unknown, where: (string | number)[], value: unknown, addKey: boolean): unknown {
  const copy = structuredClone(base) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const k of where.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  const last = where[where.length - 1]!;
  if (addKey && !Array.isArray(node)) node[`${String(last)}Extra`] = value;
  else if (value === undefined && !Array.isArray(node)) delete node[last];
  else node[last] = value;
  return copy;
}

/** A property: `bases` changed one to three times compare alike in both validators. */
function sameErrors(generated: ValidateFunction, runtime: ValidateFunction, bases: readonly unknown[], numRuns: number): { invalid: number } {
  let invalid = 0;
  const change = fc.record({ pick: fc.nat(), value: fc.oneof(fc.constantFrom(...VALUES, undefined), fc.jsonValue({ maxDepth: 2 })), addKey: fc.boolean() });
  fc.assert(
    fc.property(fc.nat(bases.length - 1), fc.array(change, { minLength: 1, maxLength: 3 }), (b, changes) => {
      let data = bases[b];
      for (const c of changes) {
        const paths = pathsOf(data);
        if (paths.length === 0) break;
        data = mutate(data, paths[c.pick % paths.length]!, c.value, c.addKey);
      }
      const expected = errors(runtime, data);
      if (expected.length > 0) invalid++;
      assert.deepEqual(errors(generated, data), expected);
    }),
    { numRuns },
  );
  return { invalid };
}

describe('the validators compiled ahead of time', () => {
  it('are the schemas as they are now (a stale generated file fails here: npm run build)', async () => {
    const { VALIDATORS, generateValidator } = await import('../../../scripts/gen-validator.mjs');
    assert.equal(VALIDATORS.length, 3);
    for (const v of VALIDATORS) {
      assert.ok(fs.readFileSync(v.out, 'utf8') === generateValidator(v), `${path.relative(process.cwd(), v.out)} differs from a fresh compile of schemas/${v.schema}`);
    }
  });

  it('leave out no schema constant the code uses (each generated module loads and validates)', () => {
    assert.equal(resultRecordValidator({ version: 1, package_id: 'wp-a', status: 'done' }), true);
    assert.equal(runStateValidator(createRunState({ featureId: 'f', planFile: 'p.yaml', runId: 'r', packageIds: ['a'], now: new Date(0) })), true);
  });

  it('the result record: the same errors as Ajv compiled at run time', async () => {
    const runtime = await atRunTime('result-record.schema.json', resultRecordSchema);
    const full = {
      version: 1,
      package_id: 'wp-api',
      status: 'done',
      files_modified: ['src/a.ts', 'src/b.ts'],
      decisions: [{ decision: 'zod', rationale: 'already there' }, 'keep v1'],
      pending_actions: ['migrate'],
      result_keys: { revision: 2 },
      notes: 'green',
    };
    const { invalid } = sameErrors(resultRecordValidator, runtime, [full, { version: 1, package_id: 'x', status: 'blocked' }], 1500);
    assert.ok(invalid > 300, `most changed records are invalid, so errors are compared (${invalid})`);
    // Not an object at all, and anything fast-check makes.
    fc.assert(fc.property(fc.anything(), (data) => assert.deepEqual(errors(resultRecordValidator, data), errors(runtime, data))), { numRuns: 300 });
  });

  it('the run state: the same errors as Ajv compiled at run time', async () => {
    const runtime = await atRunTime('run-state.schema.json', runStateSchema);
    const t = (ms: number) => new Date(Date.UTC(2025, 2, 1, 10) + ms);
    const ok = (r: ReturnType<typeof applyEvent>): RunState => {
      if (!r.ok) throw new Error(r.error.message);
      return r.state;
    };
    let s = createRunState({ featureId: 'feat', planFile: 'plan.yaml', runId: 'run-1', packageIds: ['a', 'b', 'c'], now: t(0) });
    const fresh = s;
    s = ok(setIntegration(s, { branch: 'waves/feat/_integration', worktree: '/r.worktrees/feat/_integration', baseSha: 'b'.repeat(40), tipSha: 'b'.repeat(40) }, t(1)));
    s = ok(applyEvent(s, { type: 'ready', packageId: 'a' }, t(2)));
    s = ok(applyEvent(s, { type: 'queued', packageId: 'a' }, t(2)));
    const start = { type: 'started', startToken: 'tok', worktree: '/r.worktrees/feat/a', branch: 'waves/feat/a', baseSha: 'b'.repeat(40), logFile: '/r/log', resultFile: '/r/result.json', pid: 42 } as const;
    s = ok(applyEvent(s, { ...start, packageId: 'a', attempt: 1 }, t(3)));
    const running = s;
    s = ok(applyEvent(s, { type: 'exited', packageId: 'a', exitCode: 0 }, t(4)));
    s = ok(applyEvent(s, { type: 'audited', packageId: 'a', headSha: 'c'.repeat(40), changedFiles: [{ path: 'src/a.ts', change: 'M' }] }, t(5)));
    s = ok(applyEvent(s, { type: 'verificationResult', packageId: 'a', step: 'unit', ok: true }, t(6)));
    s = ok(recordMerge(s, 'a', { status: 'merged', files: ['src/a.ts'], commit: 'd'.repeat(40) }, t(7)));
    s = ok(applyEvent(s, { type: 'succeeded', packageId: 'a' }, t(8)));
    s = ok(applyEvent(s, { type: 'blocked', packageId: 'c', by: ['b'] }, t(9)));
    s = ok(applyEvent(s, { type: 'ready', packageId: 'b' }, t(10)));
    s = ok(applyEvent(s, { type: 'queued', packageId: 'b' }, t(10)));
    s = ok(applyEvent(s, { ...start, packageId: 'b', attempt: 1, worktree: '/r.worktrees/feat/b' }, t(11)));
    s = ok(applyEvent(s, { type: 'needsInput', packageId: 'b', reason: 'a permission prompt' }, t(12)));
    for (const state of [fresh, running, s]) assert.deepEqual(errors(runtime, state), [], 'the bases are valid');
    const { invalid } = sameErrors(runStateValidator, runtime, [fresh, running, s], 1500);
    assert.ok(invalid > 300, `most changed states are invalid, so errors are compared (${invalid})`);
  });

  it("count a string's length as Ajv does (code points), in every generated module", async () => {
    const { VALIDATORS, codePointLength } = await import('../../../scripts/gen-validator.mjs');
    const { default: ucs2length } = await import('ajv/dist/runtime/ucs2length');
    // Strings of surrogates in every order — pairs, lone highs and lows, a high at the end — among plain text.
    const unit = fc.constantFrom('a', 'é', '\ud83d', '\ude00', '\ud800', '\udfff', '\udbff\udc00', '😀', '\n');
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 40 }), (units) => {
        const s = units.join('');
        assert.equal(codePointLength(s), ucs2length(s), JSON.stringify(s));
      }),
      { numRuns: 3000 },
    );
    for (const v of VALIDATORS) {
      const text = fs.readFileSync(v.out, 'utf8');
      assert.ok(!text.includes('ajv/dist/runtime/ucs2length'), `${path.basename(v.out)} counts with its own copy`);
    }
    // At the limit: a feature title of 200 emoji is 400 UTF-16 units but 200 characters.
    const { default: planValidator } = await import('../../../src/core/plan/generated/workPackagesValidator');
    const plan = (title: string) => ({ schema_version: 1, feature: { id: 'f', title }, packages: [] });
    const titleErrors = (title: string) => (planValidator(plan(title)) ? [] : (planValidator.errors ?? []).filter((e: { instancePath: string }) => e.instancePath === '/feature/title'));
    assert.deepEqual(titleErrors('😀'.repeat(200)), []);
    assert.deepEqual(
      titleErrors('😀'.repeat(201)).map((e: { keyword: string }) => e.keyword),
      ['maxLength'],
    );
  });
});

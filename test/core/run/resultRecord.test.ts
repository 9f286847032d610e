import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020';
import fc from 'fast-check';
import schema from '../../../schemas/result-record.schema.json';
import { mergeResults, readResultRecord, MAX_RESULT_RECORD_BYTES, type ResultRecord } from '../../../src/core/run/resultRecord';

const full = {
  version: 1,
  package_id: 'wp-api',
  status: 'done',
  files_modified: ['src/api/profile.ts', 'tests/api/profile.test.ts'],
  decisions: [{ decision: 'Use zod for validation', rationale: 'already a dependency' }, 'Keep v1 paths'],
  pending_actions: ['Run the migration in staging'],
  result_keys: { contract_revision: 2, lint_clean: true },
  notes: 'All green.',
  addressed: ['c1', 't-7'],
};

describe('readResultRecord', () => {
  it('reads a valid record without warnings', () => {
    const r = readResultRecord(JSON.stringify(full), { expectedPackageId: 'wp-api' });
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.record, {
      ...full,
      decisions: [{ decision: 'Use zod for validation', rationale: 'already a dependency' }, { decision: 'Keep v1 paths' }],
    });
  });

  it('the schema accepts the example the prompt gives and is itself valid', () => {
    const validate = new Ajv2020({ strict: true }).compile(schema);
    assert.equal(validate(full), true);
    assert.equal(validate({ version: 1, package_id: 'x', status: 'maybe' }), false);
  });

  it('missing, empty, not JSON, not an object: no record and a clear warning', () => {
    assert.deepEqual(readResultRecord(null, { file: '/r/result.json' }), { record: null, warnings: ['no result record (/r/result.json): the agent did not write one'] });
    assert.deepEqual(readResultRecord('  \n'), { record: null, warnings: ['the result record is empty'] });
    const bad = readResultRecord('{"version": 1,');
    assert.equal(bad.record, null);
    assert.match(bad.warnings[0], /^the result record is not valid JSON: /);
    assert.deepEqual(readResultRecord('[1]').warnings, ['the result record must be a JSON object, not an array']);
    assert.deepEqual(readResultRecord('null').warnings, ['the result record must be a JSON object, not null']);
    assert.deepEqual(readResultRecord('"done"').warnings, ['the result record must be a JSON object, not string']);
  });

  it('refuses a huge record', () => {
    const r = readResultRecord(' '.repeat(MAX_RESULT_RECORD_BYTES + 1));
    assert.equal(r.record, null);
    assert.match(r.warnings[0], /larger than 1024 KiB/);
  });

  it('reads a record after a byte-order mark', () => {
    assert.equal(readResultRecord('\ufeff' + JSON.stringify(full)).record?.status, 'done');
  });

  it('keeps the valid parts of a partial record and names each invalid one', () => {
    const r = readResultRecord(
      JSON.stringify({
        package_id: 'wp-api',
        status: 'finished',
        files_modified: ['a.ts', 7, '', 'b.ts'],
        decisions: [{ rationale: 'no decision' }, 'kept'],
        pending_actions: 'not a list',
        result_keys: ['x'],
        notes: 5,
        extra_field: 'ignored',
      }),
    );
    assert.deepEqual(r.record, {
      version: 1,
      package_id: 'wp-api',
      status: null,
      files_modified: ['a.ts', 'b.ts'],
      decisions: [{ decision: 'kept' }],
      pending_actions: [],
      result_keys: {},
      notes: null,
      addressed: [],
    });
    const text = r.warnings.join('\n');
    assert.match(text, /has no "version"/);
    assert.match(text, /"status" must be one of "done", "partial", "blocked"/);
    assert.match(text, /"files_modified"\[1\] must be string; it was left out/);
    assert.match(text, /"files_modified"\[2\] must NOT have fewer than 1 characters; it was left out/);
    assert.match(text, /"decisions"\[0\] must be a string or \{decision, rationale\?\}; it was left out/);
    assert.match(text, /"pending_actions" must be array/);
    assert.match(text, /"result_keys" must be object/);
    assert.match(text, /"notes" must be string/);
    assert.doesNotMatch(text, /extra_field/);
    assert.equal(new Set(r.warnings).size, r.warnings.length, 'no warning twice');
  });

  it('warns about a record of another package', () => {
    const r = readResultRecord(JSON.stringify(full), { expectedPackageId: 'wp-web', file: 'r.json' });
    assert.deepEqual(r.warnings, ['the result record (r.json) is about package "wp-api", not "wp-web"']);
    assert.equal(r.record?.package_id, 'wp-api');
  });

  it('keeps a "__proto__" result key as data', () => {
    const r = readResultRecord('{"version":1,"package_id":"a","status":"done","result_keys":{"__proto__":{"x":1}}}');
    assert.deepEqual(Object.keys(r.record!.result_keys), ['__proto__']);
    assert.equal(Object.getPrototypeOf(r.record!.result_keys), Object.prototype);
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ version: 1, package_id: 'a', status: 'done', files_modified: v, decisions: v, result_keys: v }))), (text) => {
        const r = readResultRecord(text);
        assert.ok(Array.isArray(r.warnings));
        if (r.record) {
          assert.ok(r.record.files_modified.every((f) => typeof f === 'string'));
          assert.ok(r.record.decisions.every((d) => typeof d.decision === 'string'));
        }
      }),
    );
  });
});

describe('mergeResults', () => {
  const rec = (over: Partial<ResultRecord>): ResultRecord => ({
    version: 1,
    package_id: null,
    status: 'done',
    files_modified: [],
    decisions: [],
    pending_actions: [],
    result_keys: {},
    notes: null,
    addressed: [],
    ...over,
  });

  it('unions files, keeps decisions with their package, de-duplicates pending actions', () => {
    const m = mergeResults([
      { packageId: 'wp-db', record: rec({ files_modified: ['db/m.sql', 'src/shared.ts'], decisions: [{ decision: 'UUID keys' }], pending_actions: ['Run the migration', 'Tell ops'], result_keys: { migrated: true }, notes: 'db done' }) },
      { packageId: 'wp-api', record: rec({ status: 'partial', files_modified: ['src/api.ts', 'src/shared.ts'], decisions: [{ decision: 'REST', rationale: 'contract says so' }], pending_actions: ['  run THE  migration ', 'Add CORS'] }) },
      { packageId: 'wp-web', record: null },
    ]);
    assert.deepEqual(m.filesModified, ['db/m.sql', 'src/api.ts', 'src/shared.ts']);
    assert.deepEqual(m.filesByPackage['src/shared.ts'], ['wp-db', 'wp-api']);
    assert.deepEqual(m.decisions, [
      { packageId: 'wp-db', decision: 'UUID keys' },
      { packageId: 'wp-api', decision: 'REST', rationale: 'contract says so' },
    ]);
    assert.deepEqual(m.pendingActions, [
      { action: 'Run the migration', packages: ['wp-db', 'wp-api'] },
      { action: 'Tell ops', packages: ['wp-db'] },
      { action: 'Add CORS', packages: ['wp-api'] },
    ]);
    assert.deepEqual(m.resultKeys, { 'wp-db': { migrated: true }, 'wp-api': {} });
    assert.deepEqual(m.notes, [{ packageId: 'wp-db', notes: 'db done' }]);
    assert.deepEqual(m.statuses, { 'wp-db': 'done', 'wp-api': 'partial', 'wp-web': null });
  });

  it('is empty for no records and keeps odd package ids as data', () => {
    assert.deepEqual(mergeResults([]).filesModified, []);
    const m = mergeResults([{ packageId: '__proto__', record: rec({ result_keys: { a: 1 } }) }]);
    assert.deepEqual(Object.keys(m.resultKeys), ['__proto__']);
  });
});

import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import schema from '../../../schemas/work-packages.schema.json';
import type { Diagnostic, TextRange } from '../../../src/core/plan/model';
import { readPlan } from '../../../src/core/plan/reader/reader';
import generated from '../../../src/core/plan/generated/workPackagesValidator';
import { schemaDiagnostics } from '../../../src/core/plan/schema';
import { LineIndex } from '../../../src/core/plan/text';

/** The published schema and real plans of agentic-coding-tools (MIT, see test/fixtures/NOTICE.md). */
const FIXTURES = path.resolve(__dirname, '../../fixtures');
const published = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'act-work-packages.schema.json'), 'utf8')) as Json;
const fixtureNames = fs
  .readdirSync(path.join(FIXTURES, 'act-plans'))
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, 'act-plans', name), 'utf8');

type Json = Record<string, unknown>;

const validate = (text: string) => schemaDiagnostics(readPlan(text));
const only = (text: string, code: string) => validate(text).filter((d) => d.code === code);
const slice = (text: string, range: TextRange) => text.slice(range.start, range.end);

/** A plan whose first package is `pkg` (its lines indented under `- `). */
const withPackage = (...lines: string[]) => `packages:\n  - package_id: wp-a\n${lines.map((l) => `    ${l}\n`).join('')}`;

/** `[code, 1-based line]` of each diagnostic, in text order. */
function codeLines(text: string, diagnostics: readonly Diagnostic[]): [string, number][] {
  const lines = new LineIndex(text);
  return [...diagnostics]
    .sort((a, b) => a.range.start - b.range.start || a.code.localeCompare(b.code))
    .map((d) => [d.code, lines.position(d.range.start).line + 1]);
}

// --- the schema itself ----------------------------------------------------------------------

/** Every subschema of a schema with its JSON pointer. */
function* subschemas(node: unknown, pointer = ''): Generator<[string, Json]> {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
  yield [pointer, node as Json];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' || key === '$defs') {
      for (const [name, sub] of Object.entries(value as Json)) yield* subschemas(sub, `${pointer}/${key}/${name}`);
    } else if (key === 'items' || key === 'additionalProperties' || key === 'propertyNames') {
      yield* subschemas(value, `${pointer}/${key}`);
    }
  }
}

describe('schema: the schema file', () => {
  it('is a valid JSON Schema 2020-12 and compiles in strict mode', () => {
    const ajv = new Ajv2020({ strict: true, validateFormats: false });
    ajv.addVocabulary(['patternErrorMessage']);
    assert.equal(ajv.validateSchema(schema), true, JSON.stringify(ajv.errors));
    assert.doesNotThrow(() => ajv.compile(schema));
  });

  it('describes every property (hover text in the editor)', () => {
    const missing = [...subschemas(schema)].filter(
      ([pointer, node]) => /\/properties\/[^/]+$/.test(pointer) && typeof node.description !== 'string',
    );
    assert.deepEqual(
      missing.map(([pointer]) => pointer),
      [],
    );
  });

  it('accepts everything the published schema accepts: same constraints, fewer required', () => {
    const ours = new Map(subschemas(schema));
    const theirs = [...subschemas(published)];
    assert.ok(theirs.length > 100);
    for (const [pointer, node] of theirs) {
      const mine = ours.get(pointer);
      assert.ok(mine, `${pointer} is kept`);
      for (const keyword of [
        'type',
        'enum',
        'const',
        '$ref',
        'minimum',
        'maximum',
        'minLength',
        'maxLength',
        'uniqueItems',
        'default',
      ] as const) {
        assert.deepEqual(mine[keyword], node[keyword], `${pointer}: ${keyword}`);
      }
      // More lenient only: a required field or a minimum count may go, an extra field never becomes an error.
      const required = (mine.required ?? []) as string[];
      assert.ok(
        required.every((r) => ((node.required ?? []) as string[]).includes(r)),
        `${pointer}: required ⊆ published`,
      );
      if (mine.minItems !== undefined) assert.equal(mine.minItems, node.minItems, `${pointer}: minItems`);
      if (mine.additionalProperties === false) assert.equal(node.additionalProperties, false, `${pointer}: additionalProperties`);
      if (node.pattern !== undefined) {
        const theirPattern = new RegExp(node.pattern as string, 'u');
        const ourPattern = new RegExp(mine.pattern as string, 'u');
        for (const sample of ['wp-a', 'a', 'api:GET /v1/x', 'src/x.py', 'Feat-1.2:x', 'x'.repeat(100), 'wt.name_1']) {
          if (theirPattern.test(sample)) assert.ok(ourPattern.test(sample), `${pointer}: ${sample}`);
        }
      }
    }
    // The only keywords we add are words for people.
    for (const [pointer, node] of ours) {
      const extra = Object.keys(node).filter((k) => !(k in ((theirs.find(([p]) => p === pointer)?.[1] ?? {}) as Json)));
      for (const k of extra) assert.ok(['description', 'patternErrorMessage', '$id', 'title'].includes(k), `${pointer}: ${k}`);
    }
  });

  it('accepts every real plan the published schema accepts, with no diagnostic at all', () => {
    const ajv = new Ajv2020({ allErrors: true, validateFormats: false });
    const theirs = ajv.compile(published);
    let accepted = 0;
    for (const name of fixtureNames) {
      const text = fixture(name);
      if (!theirs(parseYaml(text))) continue;
      accepted++;
      const r = readPlan(text);
      assert.deepEqual([...r.diagnostics, ...schemaDiagnostics(r)], [], name);
    }
    assert.equal(accepted, 39);
  });
});

// --- real plans -----------------------------------------------------------------------------

describe('schema: real plans', () => {
  it('the published template has no schema diagnostic', () => {
    assert.deepEqual(validate(fixture('template.work-packages.yaml')), []);
  });

  it('every unknown-field is a warning at its key, everything else an error', () => {
    let unknown = 0;
    for (const name of fixtureNames) {
      const text = fixture(name);
      for (const d of validate(text)) {
        if (d.code === 'unknown-field') {
          unknown++;
          assert.equal(d.severity, 'warning');
          assert.match(slice(text, d.range), /^[a-z_]+$/, `${name}: at the key`);
        } else {
          assert.equal(d.severity, 'error');
        }
      }
    }
    assert.equal(unknown, 59);
  });

  it('reports no schema error for what the reader read as a dialect', () => {
    for (const name of [
      '2026-04-04-gen-eval-testing.work-packages.yaml',
      '2026-04-04-universal-planning-artifacts.work-packages.yaml',
      '2026-06-07-seed-sentinel-security-eval.work-packages.yaml',
    ]) {
      assert.deepEqual(
        validate(fixture(name)).filter((d) => d.code !== 'unknown-field'),
        [],
        name,
      );
    }
  });

  it('golden: expose-coordinator-apis (lock keys in unknown namespaces, extra fields)', () => {
    const text = fixture('2026-03-25-expose-coordinator-apis.work-packages.yaml');
    const ds = validate(text);
    assert.deepEqual(codeLines(text, ds), [
      ['unknown-field', 9],
      ['schema-pattern', 26],
      ['schema-pattern', 27],
      ['unknown-field', 39],
      ['schema-pattern', 57],
      ['schema-pattern', 58],
      ['unknown-field', 70],
      ['unknown-field', 104],
      ['schema-pattern', 121],
      ['unknown-field', 133],
      ['schema-pattern', 148],
      ['unknown-field', 160],
      ['unknown-field', 179],
    ]);
    const key = ds.find((d) => d.code === 'schema-pattern')!;
    assert.equal(key.packageId, 'wp-bridge-fix');
    assert.equal(
      key.message,
      '`bridge:capability_probes` is not valid as `locks.keys[0]`. A lock key starts with a namespace: `api:`, `db:`, `event:`, `flag:`, `env:`, `contract:` or `feature:` (e.g. `api:GET /v1/users`).',
    );
    const dag = ds.find((d) => slice(text, d.range) === 'dag_visualization')!;
    assert.equal(dag.message, '`dag_visualization` is not a field of the plan; it is ignored');
    assert.equal(dag.packageId, null);
  });

  it('golden: vendor-ux-enhancements and add-agy-grok-pi-harnesses (real type, enum and length errors)', () => {
    const ux = fixture('2026-04-22-vendor-ux-enhancements.work-packages.yaml');
    assert.deepEqual(codeLines(ux, validate(ux)), [
      ['schema-enum', 31],
      ['schema-type', 74],
      ['schema-enum', 96],
      ['schema-enum', 160],
    ]);
    assert.deepEqual(
      new Set(validate(ux).map((d) => d.message)),
      new Set([
        '`inputs` must be a mapping; found a list',
        '`metadata.package_kind` must be one of `algorithm`, `data_model`, `crud`, `config`, `migration`, `integration`; found `feature`',
      ]),
    );
    const agy = fixture('2026-07-24-add-agy-grok-pi-harnesses.work-packages.yaml');
    assert.deepEqual(
      validate(agy).map((d) => d.message),
      ['`verification.steps[0].name` must be a string of 1 to 80 characters; found 82 characters'],
    );
  });
});

// --- each code: a case that trips it, one that does not --------------------------------------

describe('schema: schema-type', () => {
  it('says what was expected and what was found, at the value', () => {
    const text = withPackage('priority: high', 'depends_on: wp-b', 'scope: ["src/**"]');
    const ds = only(text, 'schema-type');
    assert.deepEqual(
      ds.map((d) => [d.message, slice(text, d.range), d.severity, d.packageId]),
      [
        ['`priority` must be an integer from 1 to 10; found a string (`high`)', 'high', 'error', 'wp-a'],
        ['`depends_on` must be a list; found a string (`wp-b`)', 'wp-b', 'error', 'wp-a'],
        ['`scope` must be a mapping; found a list', 'scope', 'error', 'wp-a'],
      ],
    );
  });

  it('a package that is not a mapping, an empty value', () => {
    const text = 'packages:\n  - just text\n  - package_id: b\n    title:\n';
    assert.deepEqual(
      only(text, 'schema-type').map((d) => d.message),
      ['Each package must be a mapping; found a string (`just text`)', '`title` must be a string; found nothing (an empty value)'],
    );
  });

  it('is not reported for the right types', () => {
    assert.deepEqual(only(withPackage('priority: 3', 'depends_on: []', 'scope: {write_allow: []}'), 'schema-type'), []);
  });

  it('is left to the reader when the document is not a mapping', () => {
    assert.deepEqual(validate('- a\n- b\n'), []);
    assert.deepEqual(validate(''), []);
  });
});

describe('schema: schema-required', () => {
  it('`packages` at the first line of the plan; `package_id` at the package', () => {
    const text = 'schema_version: 1\nfeature: {id: x}\n';
    const [d] = only(text, 'schema-required');
    assert.equal(d.message, 'The plan has no `packages`; it is required');
    assert.equal(slice(text, d.range), 'schema_version: 1');
    const pkg = 'packages:\n  - title: T\n    depends_on: []\n';
    const [p] = only(pkg, 'schema-required');
    assert.equal(p.message, 'A package has no `package_id`; it is required');
    assert.equal(slice(pkg, p.range), 'title: T');
    assert.equal(p.packageId, null);
  });

  it('is not reported when they are there, nor for fields the engine does not need', () => {
    assert.deepEqual(
      only('packages:\n  - package_id: a\n    worktree: {mode: shared}\n    verification: {steps: [{kind: command}]}\n', 'schema-required'),
      [],
    );
  });
});

describe('schema: schema-enum', () => {
  it('lists the allowed values, with a fix when one is close', () => {
    const text = withPackage('worktree: {name: wt, mode: Isolated}', 'verification: {tier_required: D}');
    const ds = only(text, 'schema-enum');
    assert.equal(ds[0].message, '`worktree.mode` must be one of `isolated`, `shared`; found `Isolated`; did you mean `isolated`?');
    assert.deepEqual(ds[0].fixes?.[0].edits, [{ range: ds[0].range, newText: 'isolated' }]);
    assert.equal(slice(text, ds[0].range), 'Isolated');
    assert.equal(ds[1].message, '`verification.tier_required` must be one of `A`, `B`, `C`; found `D`');
    assert.equal(ds[1].fixes, undefined);
  });

  it('a key of a mapping whose keys are an enum', () => {
    const text = withPackage('context_impact:', '  surfaces: [apis]', '  rationale:', '    apiz: {reason: r, approved_by: me}');
    const ds = validate(text);
    assert.equal(ds.length, 1, 'one diagnostic, not the cascade');
    assert.equal(ds[0].code, 'schema-enum');
    assert.equal(slice(text, ds[0].range), 'apiz');
    assert.match(ds[0].message, /^Key `apiz` of `context_impact.rationale` must be one of `capabilities`, `apis`/);
  });

  it('is not reported for allowed values', () => {
    assert.deepEqual(only(withPackage('worktree: {name: wt, mode: shared}'), 'schema-enum'), []);
  });
});

describe('schema: schema-pattern', () => {
  it('says in words what package ids, lock keys and paths look like', () => {
    const text = 'packages:\n  - package_id: WP_A\n    depends_on: [Other]\n    locks: {keys: ["bridge:x"], files: [/etc/passwd]}\n';
    const ds = only(text, 'schema-pattern').sort((a, b) => a.range.start - b.range.start);
    assert.deepEqual(
      ds.map((d) => slice(text, d.range)),
      ['WP_A', 'Other', '"bridge:x"', '/etc/passwd'],
    );
    assert.match(ds[0].message, /^`WP_A` is not valid as `package_id`\. A package id starts with a lowercase letter/);
    assert.match(ds[1].message, /^`Other` is not valid as `depends_on\[0\]`\. A package id/);
    assert.match(ds[2].message, /A lock key starts with a namespace/);
    assert.match(ds[3].message, /A repository-relative path: no leading `\/`/);
  });

  it('is not reported for well-formed values', () => {
    assert.deepEqual(only('packages:\n  - package_id: wp-a\n    locks: {keys: ["api:GET /x"], files: [src/a.py]}\n', 'schema-pattern'), []);
  });
});

describe('schema: schema-range', () => {
  it('numbers, lengths and counts, in words', () => {
    const text = withPackage(
      'priority: 12',
      'timeout_minutes: 0',
      'title: ""',
      'scope: {read_allow: []}',
      `description: ${'x'.repeat(4001)}`,
    );
    assert.deepEqual(
      only(text, 'schema-range').map((d) => d.message),
      [
        '`title` must be a string of 1 to 120 characters; found an empty string',
        '`description` must be a string of 1 to 4000 characters; found 4001 characters',
        '`priority` must be an integer from 1 to 10; found 12',
        '`scope.read_allow` must be a list of at least 1 item; found an empty list',
        '`timeout_minutes` must be an integer of at least 1; found 0',
      ],
    );
  });

  it('is not reported within range', () => {
    assert.deepEqual(only(withPackage('priority: 10', 'timeout_minutes: 1', 'title: T'), 'schema-range'), []);
  });
});

describe('schema: schema-unique', () => {
  it('at the repeated item, with a fix removing it', () => {
    const text = withPackage('depends_on:', '  - wp-b', '  - wp-c', '  - wp-b');
    const [d] = only(text, 'schema-unique');
    assert.equal(d.message, '`depends_on` lists `wp-b` twice (items 1 and 3)');
    assert.equal(d.range.start, text.lastIndexOf('wp-b'));
    const [edit] = d.fixes![0].edits;
    assert.equal(slice(text, edit.range), '      - wp-b\n');
  });

  it('is not reported for distinct items', () => {
    assert.deepEqual(only(withPackage('depends_on: [wp-b, wp-c]'), 'schema-unique'), []);
  });
});

describe('schema: schema-const', () => {
  it('`schema_version` is 1, with a fix', () => {
    const text = 'schema_version: 2\npackages: []\n';
    const [d] = only(text, 'schema-const');
    assert.equal(d.message, '`schema_version` must be `1`; found 2');
    assert.equal(slice(text, d.range), '2');
    assert.deepEqual(d.fixes?.[0].edits, [{ range: d.range, newText: '1' }]);
  });

  it('is not reported for 1', () => {
    assert.deepEqual(only('schema_version: 1\npackages: []\n', 'schema-const'), []);
  });
});

describe('schema: unknown-field', () => {
  it('a warning at the key, with a fix removing its lines when that is trivial', () => {
    const text = withPackage('agent_hint: >', '  Start here.', '  Then go on.', 'tasks: [T1]');
    const ds = only(text, 'unknown-field');
    assert.deepEqual(
      ds.map((d) => [slice(text, d.range), d.severity, d.message]),
      [
        ['agent_hint', 'warning', '`agent_hint` is not a field of a package; it is ignored'],
        ['tasks', 'warning', '`tasks` is not a field of a package; it is ignored'],
      ],
    );
    const [edit] = ds[0].fixes![0].edits;
    assert.equal(slice(text, edit.range), '    agent_hint: >\n      Start here.\n      Then go on.\n');
    const fixed = text.slice(0, edit.range.start) + text.slice(edit.range.end);
    assert.deepEqual(
      validate(fixed).map((d) => slice(fixed, d.range)),
      ['tasks'],
    );
  });

  it('no fix when removing is not a whole-line edit or would empty the mapping', () => {
    const inline = 'packages:\n  - {package_id: a, extra: 1}\n';
    assert.equal(only(inline, 'unknown-field')[0].fixes, undefined);
    const first = 'packages:\n  - extra: 1\n    package_id: a\n';
    assert.equal(only(first, 'unknown-field')[0].fixes, undefined, 'the `- ` would go with it');
    const alone = 'packages: []\nmetadata_x:\n  a: 1\nfeature:\n  nope: 1\n';
    const ds = only(alone, 'unknown-field');
    assert.deepEqual(
      ds.map((d) => [slice(alone, d.range), !!d.fixes]),
      [
        ['metadata_x', true],
        ['nope', false],
      ],
    );
  });

  it('is not reported for known fields, nor for dialects', () => {
    assert.deepEqual(only(withPackage('title: T', 'role: dev', 'metadata: {complexity: low}'), 'unknown-field'), []);
    assert.deepEqual(only('packages:\n  - id: a\n    dependencies: []\n    name: A\n', 'unknown-field'), []);
  });
});

describe('the validator compiled ahead of time', () => {
  // The schema compiled by Ajv at run time, with the generator's options: the reference.
  const ajv = new Ajv2020({ allErrors: true, verbose: true, validateFormats: false });
  ajv.addVocabulary(['patternErrorMessage']);
  const runtime = ajv.compile(schema);
  const errors = (v: ValidateFunction, data: unknown) =>
    v(data) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.schemaPath} ${e.keyword} ${JSON.stringify(e.params)}`);

  // That it is the schema as it is now: test/core/run/generatedValidators.test.ts (every generated validator).

  it('reports exactly the errors Ajv reports when it compiles the schema at run time, on every real plan', () => {
    const texts = [...fixtureNames.map(fixture), withPackage('depends_on: wp-b', 'bogus: 1', 'verification: {tier_required: Z}')];
    let failing = 0;
    for (const text of texts) {
      const data = readPlan(text).data;
      const expected = errors(runtime, data);
      if (expected.length > 0) failing++;
      assert.deepEqual(errors(generated, data), expected);
    }
    assert.ok(failing > 0, 'some of the plans break the schema, so errors are compared too');
  });

  it('reports the same errors as Ajv compiled at run time for repeated items, in every list that must not repeat one and across packages', () => {
    // The generated `uniqueItems` keys items by their canonical text instead of comparing every
    // pair (scripts/gen-validator.mjs): it must name the very pair Ajv's loop names.
    const item = fc.oneof(
      fc.constantFrom('wp-a', 'wp-b', 'wp-c', 'src/x.ts', 'db:x', 'apis', '1', 'NaN'),
      fc.constantFrom(1, 0, -0, Number.NaN, true, false, null),
      fc.constantFrom({ a: 1, b: 2 }, { b: 2, a: 1 }, { a: '1' }, [1, 2], [2, 1], ['wp-a']),
    );
    const list = fc.record({ items: fc.array(item, { maxLength: 12 }), where: fc.integer({ min: 0, max: 4 }) });
    fc.assert(
      fc.property(fc.array(list, { minLength: 1, maxLength: 4 }), (lists) => {
        // Several packages, each with one list: their errors are gathered from one call each.
        const packages = lists.map(({ items, where }, k) => {
          const pkg: Record<string, unknown> = { package_id: k % 2 ? 'wp-a' : 7 };
          if (where === 0) pkg.depends_on = items;
          if (where === 1) pkg.locks = { files: items, keys: items };
          if (where === 2) pkg.context_impact = { surfaces: items };
          if (where === 3) pkg.verification = { steps: [{ name: 's', kind: 'ci', ci: { required_checks: items } }] };
          return pkg;
        });
        const data = { contracts: { openapi: { files: lists[0].items } }, packages };
        assert.deepEqual(errors(generated, data), errors(runtime, data));
      }),
      { numRuns: 400 },
    );
  });

  it('finds the repeated id in a depends_on of 100,000 ids, and every id of it when none repeats', () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => `wp-${i}`);
    assert.equal(generated({ packages: [{ package_id: 'wp-z', depends_on: ids }] }), true);
    const repeated = [...ids.slice(0, 70_000), 'wp-12', ...ids.slice(70_000)];
    assert.equal(generated({ packages: [{ package_id: 'wp-z', depends_on: repeated }] }), false);
    const unique = (generated.errors ?? []).filter((e) => e.keyword === 'uniqueItems');
    assert.deepEqual(unique.map((e) => e.params), [{ i: 70_000, j: 12 }]);
  });
});

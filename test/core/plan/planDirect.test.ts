// The direct read (src/core/plan/reader/planDirect.ts): the plan scanner straight into the reader's
// canonical data and sites, no document tree. It must be invisible: whenever it takes a text, the
// reader's result — diagnostics, plan, data, and where every member of the data was written
// (`locate`) — is what parsing and walking give, and the `yaml` package's; whenever the walk
// would have something to say (a dialect, a repeated key), it gives up and the walk reads the text.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readDirect } from '../../../src/core/plan/reader/planDirect';
import { scanPlan } from '../../../src/core/plan/reader/planScanner';
import { readPlan } from '../../../src/core/plan/reader/reader';
import { schemaDiagnostics } from '../../../src/core/plan/schema';
import { assertGivesUp, assertReadsAsYaml, crlf, fixtures, generatedPlans, mutate, mutations } from './fastFrontEnds';

/** Every path of `data`, the root's members first. */
function paths(data: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (data === null || typeof data !== 'object') return out;
  const keys: (string | number)[] = Array.isArray(data) ? data.map((_, k) => k) : Object.keys(data);
  for (const key of keys) {
    const path = [...prefix, key];
    out.push(path);
    paths((data as Record<string | number, unknown>)[key], path, out);
  }
  return out;
}

/**
 * Where the direct read says each member of the data was written is where the walk of `yaml`'s
 * document says (and a path that does not exist falls back alike), so the schema's diagnostics,
 * positioned through it, are the same.
 */
function assertSameSites(text: string, what: string): void {
  const direct = readPlan(text, { parser: 'direct' });
  const walked = readPlan(text, { parser: 'yaml' });
  for (const path of paths(walked.data)) {
    for (const tail of [[], ['no such key'], [1e6]]) {
      for (const part of ['key', 'value'] as const) {
        const at = [...path, ...tail];
        assert.deepEqual(direct.locate(at, part), walked.locate(at, part), `${what}: ${part} of ${JSON.stringify(at)}`);
      }
    }
  }
  assert.deepEqual(schemaDiagnostics(direct), schemaDiagnostics(walked), `${what}: the schema's diagnostics`);
}

/** Whether reading `text` through `yaml` reports a dialect (which the direct read leaves to the walk). */
function hasDialect(text: string): boolean {
  return readPlan(text, { parser: 'yaml' }).diagnostics.some((d) => d.code.startsWith('dialect-'));
}

describe('plan reader: the direct read (scanner straight into data)', () => {
  it('takes every real plan the scanner takes that has no dialect, with LF and CRLF, and reads it as the walk does', () => {
    let taken = 0;
    fixtures.forEach((text, k) => {
      for (const t of [text, crlf(text)]) {
        if (!scanPlan(t)) continue;
        const direct = readDirect(t);
        assert.equal(direct !== undefined, !hasDialect(t), `fixture ${k}: taken exactly when no dialect is written`);
        if (!direct) continue;
        taken++;
        assertReadsAsYaml(t, `fixture ${k}`);
        assertSameSites(t, `fixture ${k}`);
      }
    });
    // 41 of the 57 today: 7 are outside the scanner's subset, 9 write a dialect.
    assert.ok(taken >= 2 * 40, `taken ${taken} of ${fixtures.length * 2}`);
  });

  it('takes the generated plans of the benchmark, compact and with every field', () => {
    for (const [what, text] of generatedPlans()) {
      assert.ok(readDirect(text), `${what}: taken`);
      assertReadsAsYaml(text, what);
      assertSameSites(text, what);
    }
  });

  it('reads empty values, lists written empty, odd keys, a mapping of many keys and flow collections as the walk does', () => {
    const text = [
      'schema_version: 1',
      'feature:',
      '  id: f',
      'contracts: {openapi: {primary: a.yaml, files: [a.yaml, "b.yaml"]}}',
      'defaults: {}',
      'packages:',
      '  - package_id: wp-a',
      '    depends_on:',
      '    locks: {files: ~, keys: []}',
      '    scope:',
      '      write_allow: [src/**]',
      '      read_allow: null',
      '    __proto__: {polluted: true}',
      '    constructor: x',
      '    1: one',
      '    true: yes',
      '    "~": tilde',
      '    verification:',
      '      tier_required: A',
      '      steps:',
      '        - {name: unit, kind: command, command: npm test}',
      '    inputs: {a: [1, {b: ~}]}',
      '    outputs:',
      ...Array.from({ length: 40 }, (_, k) => `      key${k}: ${k}`), // past 32 keys: a mapping's sites are indexed
      '  - package_id: 7',
      '    depends_on: [wp-a]',
      '    title: |-',
      '      two',
      '      lines',
      '    description: >',
      '      folded',
      '      text',
      '',
    ].join('\n');
    for (const t of [text, crlf(text)]) {
      assert.ok(readDirect(t), 'taken');
      assertReadsAsYaml(t, 'odd plan');
      assertSameSites(t, 'odd plan');
      const r = readPlan(t, { parser: 'direct' });
      const pkg = (r.data as { packages: Record<string, unknown>[] }).packages[0];
      assert.deepEqual(pkg.depends_on, [], 'an empty list field reads as []');
      assert.equal(Object.getPrototypeOf(pkg), Object.prototype, '`__proto__` is a member, not a prototype');
      assert.deepEqual(pkg.__proto__, { polluted: true });
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    }
  });

  it('gives up where the walk has something to say, and the walk reads the text', () => {
    const plan = (lines: string[]) => ['schema_version: 1', 'packages:', '  - package_id: wp-a', ...lines, ''].join('\n');
    assertGivesUp(readDirect, {
      'a dialect key at the root': 'version: 1\npackages: []\n',
      'a dialect key in a package': plan(['    id: wp-b']),
      'a dialect key after its canonical one': plan(['    scope: {write_allow: [a]}', '    write_allow: [b]']),
      'commands for steps': plan(['    verification:', '      commands: [npm test]']),
      'a value dialect': plan(['    verification: tier_b']),
      'a tier written otherwise': plan(['    verification: {tier_required: tier_b}']),
      'schema_version as text': 'schema_version: "1.0"\npackages: []\n',
      'a key the walk reads as a repeat': plan(['    "~": a', '    ~: b']),
      'outside the scanner': 'packages: &p []\n',
    });
  });

  it('property: on real plans mutated at random, whenever it takes the text, the reading and every site are the walk\'s', () => {
    const pieces = [' ', ':', '-', '#', '"', '[', ']', '{', '}', ',', '\n', '|', 'a', '1', '  ', '\n  ', ': ', '- ', '~', '\r\n', 'id: x\n', 'version: 1\n', '~: a\n', 'tier_b', ' []'];
    const takenFixtures = fixtures.filter((t) => readDirect(t));
    let taken = 0;
    fc.assert(
      fc.property(fc.nat({ max: takenFixtures.length - 1 }), mutations(pieces, ['delete', 'insert', 'duplicate-line', 'indent', 'dedent']), (k, edits) => {
        const text = mutate(takenFixtures[k], edits);
        if (!readDirect(text)) return;
        taken++;
        assertReadsAsYaml(text, 'mutated plan');
        assertSameSites(text, 'mutated plan');
      }),
      { numRuns: 300, seed: 20261127 },
    );
    assert.ok(taken > 60, `the direct read took ${taken} of 300 mutated plans`);
  });
});

// The fast YAML front end (src/core/plan/reader/fastYaml.ts) must be invisible: whenever it takes a text,
// the reader's result (diagnostics, plan, data, every range) is the one the `yaml` package
// gives; whenever it cannot be sure, it gives up and the `yaml` package reads the text.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { generatePlan } from '../../../bench/generate';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { FAST_PARSE_MIN_LENGTH, MAY_RESOLVE, SCALAR_TAGS, fastParse, resolvePlain } from '../../../src/core/plan/reader/fastYaml';
import { parse as yamlParse } from 'yaml';
import { assertGivesUp, assertReadsAsYaml, crlf, fixtures, mutate, mutations } from './fastFrontEnds';

const demo = fs.readFileSync(path.resolve(__dirname, '../../../examples/demo/work-packages.yaml'), 'utf8');

describe('fast YAML front end: the same result as the yaml package', () => {
  it('on every real plan, with LF and with CRLF line ends, and takes most of them', () => {
    let taken = 0;
    fixtures.forEach((text, k) => {
      for (const t of [text, crlf(text)]) {
        if (fastParse(t)) taken++;
        assertReadsAsYaml(t, `fixture ${k}`);
      }
    });
    assert.ok(taken >= fixtures.length, `taken ${taken} of ${fixtures.length * 2}`);
  });

  it('on the demo plan and on generated plans of every size the benchmark uses', () => {
    for (const [what, text] of [
      ['demo', demo],
      ['compact 300', generatePlan(300, { compact: true })],
      ['full 100', generatePlan(100, { compact: false })],
    ] as const) {
      assert.ok(fastParse(text), `${what}: taken`);
      assertReadsAsYaml(text, what);
    }
  });

  it('resolves scalars by YAML 1.2 core-schema rules, as the yaml package does', () => {
    const values = [
      'yes', 'no', 'on', 'True', 'FALSE', 'true', '~', 'null', 'Null', 'NULL', '1_000', '0x1F', '0o17', '017', '+12', '-0',
      '1e3', '1.5E-2', '.5', '5.', '.inf', '-.Inf', '.NaN', '2026-01-01', '12:30', '"1"', "'true'", '"a\\tb\\u00e9"',
      "'it''s'", '0b101', '1,000', 'a #b', '"#"', 'a: b',
    ];
    const text = `schema_version: 1\nvalues:\n${values.map((v) => `  - ${v}`).join('\n')}\nmap:\n${values
      .map((v, k) => `  ${v.includes(': ') ? v : `${k === 0 ? 'yes' : `k${k}`}: ${v}`}`)
      .join('\n')}\n`;
    assert.ok(fastParse(text), 'taken');
    assertReadsAsYaml(text, 'scalars');
  });

  it('reads block scalars with every chomping indicator and folded text the same way', () => {
    const text = [
      'packages:',
      '  - package_id: wp-a',
      '    description: |',
      '      one',
      '',
      '      two',
      '',
      '    notes: >-',
      '      folded',
      '      text',
      '',
      '      para',
      '    keep: |+',
      '      kept',
      '',
      '    plain: a plain',
      '      scalar over lines',
      '    last: >2',
      '        indented',
      '',
    ].join('\n');
    assert.ok(fastParse(text), 'taken');
    assertReadsAsYaml(text, 'block scalars');
  });

  it('gives up, and the yaml package reads the text, wherever it could differ', () => {
    const cases: Record<string, string> = {
      'a syntax error': 'packages:\n  - package_id: [wp-a\n',
      'a duplicate key': 'a: 1\na: 2\n',
      'an anchor and an alias': 'defaults: &d\n  retry_budget: 1\nother: *d\n',
      'a merge key': 'base: &b {a: 1}\nx:\n  <<: *b\n',
      'a tag': 'a: !!str 1\n',
      'a complex key': '? a\n: 1\n',
      'two documents': 'a: 1\n---\nb: 2\n',
      'a directive': '%YAML 1.2\n---\na: 1\n',
      'a byte-order mark': '\ufeffa: 1\n',
      'a pair in a flow list': 'a: [b: 1]\n',
      'a quoted scalar over two lines': 'a: "one\n  two"\n',
      'a flow list over two lines': 'a: [1,\n  2]\n',
      'a comment glued to a quote': 'a: "x"#c\n',
      'an empty list item with a comment': 'a:\n  - # gone?\nb: 1\n',
      'an empty value before comment lines': 'a:\n  # what is a?\nb: 1\n',
      'comment lines indented into a list': 'a:\n  - x\n\n    # mine?\nb: 1\n',
      'a key that is a list': '[a]: 1\n',
      'a list item that is an empty list': 'a:\n  - -\n',
      'a quoted scalar indented less than its key': 'a:\n  b: "x\n y"\n',
      'a U+2028 line separator': 'a: 1\u2028b: 2\n',
    };
    assertGivesUp(fastParse, cases);
  });

  it('property: on real plans mutated at random, whenever it takes the text, the result is the same', () => {
    const pieces = [' ', ':', '-', '#', '"', "'", '[', ']', '{', '}', ',', '\n', '|', '>', '\t', 'a', '1', '  ', '\n  ', ': ', '- ', '~', 'null', '0x1F', '\r\n', '&a ', '*a', '!x '];
    let taken = 0;
    fc.assert(
      fc.property(fc.nat({ max: fixtures.length - 1 }), mutations(pieces, ['delete', 'insert', 'duplicate-line', 'indent']), (k, edits) => {
        const text = mutate(fixtures[k], edits);
        if (fastParse(text)) taken++;
        assertReadsAsYaml(text, 'mutated plan');
      }),
      { numRuns: 400, seed: 20261123 },
    );
    assert.ok(taken > 100, `the fast front end took ${taken} of 400 mutated plans`);
  });

  it('is what readPlan uses for large texts: a 3,000-package plan gets its waves and no problem', () => {
    const text = generatePlan(3000, { compact: true });
    assert.ok(text.length >= FAST_PARSE_MIN_LENGTH);
    assert.ok(fastParse(text));
    const analysis = analyzePlan(text);
    assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.equal(analysis.plan.packages.length, 3000);
    assert.ok(analysis.graph.waves.length > 1);
    assert.equal(analysis.graph.waves.flat().length, 3000);
  });
});

describe('plain scalars', () => {
  const resolving = SCALAR_TAGS.filter((t) => t.default === true && t.test);
  const samples = ['~', 'null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE', '0o17', '42', '-7', '+7', '0x1F', '.inf', '-.Inf', '.nan', '.NaN', '1e3', '.5', '3.'];

  it('every value a core-schema tag takes starts as MAY_RESOLVE says', () => {
    for (const s of samples) assert.ok(resolving.some((t) => t.test!.test(s)), `${s} is resolved by a tag`);
    const chars = fc.constantFrom(...'~NnTtFfuUlLrReEaAsSoOxX0123456789+-.:_ iI'.split(''));
    fc.assert(
      fc.property(fc.array(chars, { minLength: 1, maxLength: 8 }).map((cs) => cs.join('')), (s) => {
        if (resolving.some((t) => t.test!.test(s))) assert.match(s, MAY_RESOLVE);
      }),
      { numRuns: 20000 },
    );
    for (const s of samples) assert.match(s, MAY_RESOLVE);
  });

  it('resolves as the yaml package does', () => {
    for (const s of [...samples, 'wp-1', 'npm test', 'nothing', 'yes', 'no', '1_000', '2026-01-01', 'src/**', 'Fast', '+', '-x', '.']) {
      assert.deepEqual(resolvePlain(s), yamlParse(`v: ${s}`).v, s);
    }
  });
});


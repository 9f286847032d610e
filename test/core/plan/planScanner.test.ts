// The plan scanner (src/core/plan/reader/planScanner.ts) reads the subset of YAML plans are written in
// without a parser. It must be invisible: whenever it takes a text, its nodes are the js-yaml
// front end's (every value, type and range) and the reader's result is the `yaml` package's;
// whenever it cannot be sure, it gives up and the other front ends read the text.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { jsYamlParse } from '../../../src/core/plan/reader/fastYaml';
import { scanPlan } from '../../../src/core/plan/reader/planScanner';
import { assertGivesUp, assertReadsAsYaml, crlf, fixtures, generatedPlans, mutate, mutations } from './fastFrontEnds';

/** A lean tree as plain data: every node's kind, range, value, type, source and items. */
function shape(node: unknown): unknown {
  if (node === null || node === undefined) return node;
  const n = node as { key?: unknown; value?: unknown; items?: unknown[]; textRange?: { start: number; end: number }; flow?: boolean; type?: string; source?: string };
  if (!n.textRange) return { key: shape(n.key), value: shape(n.value) };
  const range = `${n.textRange.start}-${n.textRange.end}`;
  if (n.items) return { kind: node.constructor.name, range, flow: n.flow, items: n.items.map(shape) };
  return { range, value: n.value, type: n.type, source: n.source };
}

/** When both fast front ends take the text, their trees are the same. */
function assertSameTree(text: string, what: string): void {
  const scanned = scanPlan(text);
  const viaJsYaml = jsYamlParse(text);
  if (!scanned || !viaJsYaml) return;
  assert.deepEqual(shape(scanned.contents), shape(viaJsYaml.contents), `${what}: the scanner's tree and js-yaml's differ`);
}

describe('plan scanner: the nodes of the js-yaml front end, the reading of the yaml package', () => {
  it('takes the real plans it can, with LF and CRLF, and builds the very tree js-yaml does', () => {
    let taken = 0;
    let both = 0;
    fixtures.forEach((text, k) => {
      for (const t of [text, crlf(text)]) {
        if (!scanPlan(t)) continue;
        taken++;
        if (jsYamlParse(t)) both++;
        assertSameTree(t, `fixture ${k}`);
        assertReadsAsYaml(t, `fixture ${k}`);
      }
    });
    // 50 of the 57 today: the others hold folded text with more-indented lines, a plain scalar
    // over two lines, or comment lines after a list's last item.
    assert.ok(taken >= 2 * 48, `taken ${taken} of ${fixtures.length * 2}`);
    assert.ok(both >= 2 * 45, `both fast front ends took ${both}`);
  });

  it('takes the generated plans of the benchmark, compact and with every field', () => {
    for (const [what, text] of generatedPlans()) {
      assert.ok(scanPlan(text), `${what}: taken`);
      assertSameTree(text, what);
      assertReadsAsYaml(text, what);
    }
  });

  it('reads scalars, block scalars and flow collections as yaml does', () => {
    const text = [
      'schema_version: 1',
      'plain: a plain:no, a#b [x] {y} "q" \'r\'  # and a comment',
      'signs: -1',
      'dashes: [-x, -2, ?y, :z]',
      'numbers: [1, -0, 0x1F, 1_000, .5, 1e3, .inf, ~, null, yes, True, 2026-01-01]',
      'quoted: ["a, b", \'it\'\'s\', "tab\\tand\\nline \\"q\\" \\\\ \\/", "", \'\']',
      'nested: {a: [], b: {}, c: [x, {d: e}], "f g": \'h\'}',
      '"quoted key": 1',
      "'single key' : 2",
      'empty:',
      'list:',
      '- a',
      '-   b',
      '- k: v',
      '  m: [1, 2]',
      '-   spaced: key',
      '    next: entry',
      '- |',
      ' literal',
      '',
      '    indented',
      'literal: |',
      '',
      '  first after a blank',
      '  second',
      '',
      '',
      'stripped: |-',
      '  no line break',
      'folded: >',
      '  one',
      '  line',
      '',
      '  paragraph',
      '',
      '',
      '  after two',
      'folded_stripped: >-',
      '  a',
      '  b',
      'deep:',
      '  a:',
      '    b:',
      '      c: [d]',
      '    e: f # comment',
      '  # a comment line inside',
      '  g: h',
      'last: x',
      '',
    ].join('\n');
    for (const t of [text, crlf(text)]) {
      assert.ok(scanPlan(t), 'taken');
      assertSameTree(t, 'scalars');
      assertReadsAsYaml(t, 'scalars');
    }
  });

  it('collections nested deep that end on one line, then comment lines: each gets the answer it got alone', () => {
    const depth = 300;
    const nested = Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' leaf\n';
    const comments = Array.from({ length: 400 }, (_, i) => `${' '.repeat(i % 3)}# note ${i}`).join('\n') + '\n';
    // Comment lines at columns 0–2 after the deepest line: the collections at column 3 and deeper
    // end there (taken), those at 0–2 would be `yaml`'s to place (given up).
    const taken = `${nested}${comments.replace(/^ +/gm, '')}z: 1\n`;
    assert.ok(scanPlan(taken), 'taken');
    assertSameTree(taken, 'nested, then comment lines at column 0');
    assertReadsAsYaml(taken, 'nested, then comment lines at column 0');
    const refused = `${nested}${comments}z: 1\n`;
    assert.equal(scanPlan(refused), undefined, 'a comment line at column 1 or 2 after collections at those columns');
    assert.equal(jsYamlParse(refused), undefined);
    assertReadsAsYaml(refused, 'nested, then comment lines at columns 0–2');
  });

  it('gives up, and the others read the text, wherever it could differ', () => {
    const cases: Record<string, string> = {
      'a tab': 'a:\tb\n',
      'a syntax error': 'packages:\n  - package_id: [wp-a\n',
      'a duplicate key': 'a: 1\na: 2\n',
      'a key repeated as a number and a string': 'a:\n  1: x\n  "1": y\n',
      'a duplicate key in a flow mapping': 'a: {b: 1, b: 2}\n',
      'a merge key': 'a:\n  <<: {b: 1}\n',
      'an anchor': 'a: &x 1\n',
      'an alias': 'a: *x\n',
      'a tag': 'a: !!str 1\n',
      'a complex key': '? a\n: 1\n',
      'a document marker': '---\na: 1\n',
      'a directive': '%YAML 1.2\n---\na: 1\n',
      'a byte-order mark': '\ufeffa: 1\n',
      'a lone CR': 'a: 1\rb: 2\n',
      'a C1 control': 'a: \u0085\n',
      'a lone surrogate': 'a: \ud800\n',
      'a root list': '- a\n- b\n',
      'a root scalar': 'just text\n',
      'an indented root': '  a: 1\n',
      'a plain scalar over two lines': 'a: one\n  two\n',
      'a scalar on the line after its key': 'a:\n  one\n',
      'a quoted scalar over two lines': 'a: "one\n  two"\n',
      'a flow list over two lines': 'a: [1,\n  2]\n',
      'a trailing comma': 'a: [1, 2,]\n',
      'a pair in a flow list': 'a: [b: 1]\n',
      'a mapping in a value': 'a: b: c\n',
      'a comment glued to a quote': 'a: "x"#c\n',
      'text after a quote': 'a: "x" y\n',
      'an unknown escape': 'a: "\\u00e9"\n',
      'an empty list item': 'a:\n  -\n  - b\n',
      'an empty list item with a comment': 'a:\n  - # gone?\nb: 1\n',
      'a list in a list item': 'a:\n  - - b\n',
      'an empty value before comment lines': 'a:\n  # what is a?\nb: 1\n',
      'an empty value with a comment': 'a: # what is a?\nb: 1\n',
      'comment lines indented into a list': 'a:\n  - x\n\n    # mine?\nb: 1\n',
      'a value indented past its mapping': 'a:\n    b: 1\n  c: 2\n',
      'a key indented past its sibling': 'a: 1\n b: 2\n',
      'a list item after a mapping entry': 'a:\n  b: 1\n  - c\n',
      'kept block text': 'a: |+\n  x\n\nb: 1\n',
      'an indentation indicator': 'a: |2\n   x\n',
      'a comment on a block header': 'a: | # note\n  x\n',
      'an empty block scalar': 'a: |\nb: 1\n',
      'a block scalar at the end without a line break': 'a: |\n  x',
      'folded text with a more-indented line': 'a: >\n  x\n    y\n  z\n',
      'a blank line deeper than the first line': 'a: |\n    \n  x\n',
      'a key longer than 1024 characters': `${'k'.repeat(1025)}: 1\n`,
      'a flow mapping key without a value': 'a: {b}\n',
      'a list item that is a block scalar with too little indentation': 'a:\n  - |\n  x\n',
    };
    assertGivesUp(scanPlan, cases);
  });

  it('property: random documents of the subset and around it — taken means read as yaml reads them', () => {
    // Mostly what plans hold, now and then something the scanner must refuse or get right.
    const scalarText = fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom('a', 'a b', 'wp-1', 'a:b', 'a#b', '1', '0x1F', '1_000', 'yes', '~', 'null', 'True', '.5', 'a,b', 'x]', '{y', '"q"', "'r'", '"a\\"b"', "'it''s'", '"\\t\\n"', '""', "''", 'src/**', '"api:GET /v1"', '[a, b]', '{a: b}', '[]', '{}', '[a, [b, c]]', '{a: [1], b: {c: d}}', 'é', '[x, "y, z", \'w\']') },
      { weight: 1, arbitrary: fc.constantFrom('-1', '[-1, -]', '- a', '?', 'a #b', '"\\u00e9"', '[a,]', '[a: b]', '&x a', '*x', '!t a', 'a: b', '<<', '[a #b]', '"x"y', '{a}') },
    );
    const key = fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom('a', 'b', 'k', 'a b', 'x-y', '"q"', "'s'", '1', 'true', 'package_id', 'depends_on', 'description') },
      { weight: 1, arbitrary: fc.constantFrom('<<', '"a": x', '? a', '-k', 'a:b') },
    );
    const pad = fc.constantFrom('', ' ', '  ');
    const comment = fc.constantFrom('', '', '', ' # c', '  #c', '#glued');
    const line = fc.constantFrom('', 'x', 'more words', 'x', 'more words', 'x', 'more words', '  deeper', '# not a comment', 'a: b', '- c', ' ');
    type Tree = { kind: 'scalar'; text: string } | { kind: 'map'; entries: [string, Tree][] } | { kind: 'seq'; items: Tree[] } | { kind: 'block'; header: string; lines: string[] };
    const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.record({ kind: fc.constant('scalar' as const), text: scalarText }),
        fc.record({ kind: fc.constant('block' as const), header: fc.constantFrom('|', '>', '|-', '>-', '|', '>', '|', '>', '|+', '|2'), lines: fc.array(line, { minLength: 1, maxLength: 4 }) }),
        fc.record({ kind: fc.constant('map' as const), entries: fc.uniqueArray(fc.tuple(key, tie('node')), { minLength: 1, maxLength: 4, selector: ([k]) => k }) }),
        fc.record({ kind: fc.constant('seq' as const), items: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
      ),
    })).node;
    // (`seqInline: false` writes a mapping in a list as `-` alone, then its lines: the scanner refuses that.)
    const style = fc.record({ indent: fc.constantFrom(1, 2, 4), seqInline: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), comment, pad, blankLines: fc.boolean() });

    function emit(t: Tree, column: number, s: { indent: number; seqInline: boolean; comment: string; pad: string; blankLines: boolean }): { inline?: string; lines?: string[] } {
      if (t.kind === 'scalar') return { inline: t.text + s.comment };
      if (t.kind === 'block') return { inline: t.header, lines: t.lines.map((l) => (l === '' ? '' : ' '.repeat(column + s.indent) + l)) };
      const out: string[] = [];
      const at = ' '.repeat(column);
      if (t.kind === 'map') {
        for (const [k, v] of t.entries) {
          const e = emit(v, column + s.indent, s);
          if (e.inline !== undefined) out.push(`${at}${k}:${s.pad} ${e.inline}`, ...(e.lines ?? []));
          else out.push(`${at}${k}:${s.comment}`, ...e.lines!);
          if (s.blankLines) out.push('');
        }
      } else {
        for (const item of t.items) {
          const e = emit(item, column + 2, s);
          if (e.inline !== undefined) out.push(`${at}- ${e.inline}`, ...(e.lines ?? []));
          else if (s.seqInline && item.kind === 'map') out.push(`${at}- ${e.lines![0].trimStart()}`, ...e.lines!.slice(1));
          else out.push(`${at}-`, ...e.lines!);
        }
      }
      return { lines: out };
    }

    let taken = 0;
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(key, tree), { minLength: 1, maxLength: 4, selector: ([k]) => k }), style, fc.boolean(), (entries, s, windows) => {
        let text = emit({ kind: 'map', entries }, 0, s).lines!.join('\n') + '\n';
        if (windows) text = crlf(text);
        if (!scanPlan(text)) return;
        taken++;
        assertSameTree(text, 'random document');
        assertReadsAsYaml(text, 'random document');
      }),
      { numRuns: 2000, seed: 20261125 },
    );
    assert.ok(taken > 300, `the scanner took ${taken} of 2000 random documents`); // about 20%: the rest hold something it refuses
  });

  it('property: on real plans mutated at random, whenever it takes the text, the reading is the same', () => {
    const pieces = [' ', ':', '-', '#', '"', "'", '[', ']', '{', '}', ',', '\n', '|', '>', '|-', '>-', 'a', '1', '  ', '\n  ', ': ', '- ', '~', '\\', '\r\n', '\n\n', ' #', '<<: '];
    const takenFixtures = fixtures.filter((t) => scanPlan(t));
    let taken = 0;
    fc.assert(
      fc.property(fc.nat({ max: takenFixtures.length - 1 }), mutations(pieces, ['delete', 'insert', 'duplicate-line', 'indent', 'dedent']), (k, edits) => {
        const text = mutate(takenFixtures[k], edits);
        if (!scanPlan(text)) return;
        taken++;
        assertSameTree(text, 'mutated plan');
        assertReadsAsYaml(text, 'mutated plan');
      }),
      { numRuns: 500, seed: 20261125 },
    );
    assert.ok(taken > 100, `the scanner took ${taken} of 500 mutated plans`);
  });
});

/**
 * Tests for the glob engine (`src/core/plan/glob.ts`): table tests for each rule of
 * `docs/globs.md`, then property tests that cross-check the exact automaton decisions
 * (`overlap`, `isCoveredBy`, `allCoveredBy`) against brute force over `covers`, which is an
 * independent (RegExp) matcher.
 *
 * Run: node --import tsx --test test/core/plan/glob.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  allCoveredBy,
  checkGlob,
  covers,
  isCoveredBy,
  isValidPath,
  literalPrefix,
  overlap,
  parsePattern,
  plainPrefix,
  uncoveredWitness,
  type GlobProblem,
} from '../../../src/core/plan/glob.js';

// ---------------------------------------------------------------------------------------------
// covers
// ---------------------------------------------------------------------------------------------

/** [pattern, path, covered?], grouped by the rule they exercise. */
const COVERS: Record<string, Array<[string, string, boolean]>> = {
  'literal patterns cover the path and everything below it': [
    ['src/a.ts', 'src/a.ts', true],
    ['src/a.ts', 'src/a.ts/x', true],
    ['src/a.ts', 'src/a.tsx', false],
    ['src', 'src/a/b', true],
    ['src', 'srcx', false],
    ['src', 'Src', false], // case-sensitive
    ['src/a', 'src', false], // not the ancestors
  ],
  'a trailing slash is ignored': [
    ['docs/', 'docs', true],
    ['docs/', 'docs/a.md', true],
    ['docs', 'docs/a.md', true],
    ['docs/', 'docsx', false],
  ],
  'patterns are anchored at the repo root': [
    ['*.md', 'README.md', true],
    ['*.md', 'docs/a.md', false],
    ['a.md', 'docs/a.md', false],
  ],
  '* matches any run of characters inside one segment, dot-files included': [
    ['src/*', 'src/a', true],
    ['src/*', 'src/a/b/c', true],
    ['src/*', 'src', false],
    ['*', '.env', true],
    ['*.ts', '.ts', true],
    ['a*b', 'ab', true],
    ['a*b', 'axyb', true],
    ['a*b', 'ax/b', false],
    ['*/b', 'a/b', true],
    ['*/b', 'b', false],
  ],
  '** as a whole segment matches zero or more whole segments': [
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/b', 'a/x/y/c', false],
    ['a/**/b', 'ab', false],
    ['**/x.ts', 'x.ts', true],
    ['**/x.ts', 'a/b/x.ts', true],
    ['**/x.ts', 'a/b/y.ts', false],
    ['**', 'any/path/at/all', true],
    ['a/**', 'a', true],
    ['a/**', 'a/b/c', true],
    ['a/**', 'ab', false],
    ['a/**/**/b', 'a/b', true],
  ],
  '** inside a segment behaves like *': [
    ['a**b', 'axyb', true],
    ['a**b', 'ax/yb', false],
    ['**b', 'xb', true],
    ['**b', 'x/b', false],
    ['x/**.ts', 'x/a.ts', true],
    ['x/**.ts', 'x/a/b.ts', false],
  ],
  '? matches exactly one character, never /': [
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a?c', 'abbc', false],
    ['a?c', 'a/c', false],
    ['?', 'é', true],
    ['?', '😀', true], // one code point
  ],
  '[...] classes: sets, ranges, negation; never /': [
    ['[abc]', 'b', true],
    ['[abc]', 'd', false],
    ['[a-c]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['[!a-c]', 'd', true],
    ['[!a-c]', 'b', false],
    ['[^a]', 'b', true],
    ['[^a]', 'a', false],
    ['[]]', ']', true],
    ['[]a]', 'a', true],
    ['[!]]', ']', false],
    ['[!]]', 'x', true],
    ['[-a]', '-', true],
    ['[a-]', '-', true],
    ['a[/]b', 'a/b', false],
    ['a[!x]b', 'a/b', false],
    ['a[.-0]b', 'a/b', false], // a range spanning '/' still never matches it
    ['[\\]]', ']', true],
    ['[😀-😂]', '😁', true],
    ['a[b', 'a[b', true], // unterminated: literal '['
    ['a[b', 'ab', false],
  ],
  '{a,b} alternatives: nestable, may contain / and glob syntax': [
    ['{a,b}', 'a', true],
    ['{a,b}', 'c', false],
    ['{a,b/c}/d', 'b/c/d', true],
    ['{a,b/c}/d', 'b/d', false],
    ['x.{ts,js}', 'x.js', true],
    ['x.{ts,js}', 'x.jsx', false],
    ['{a,{b,c}}', 'c', true],
    ['{src,lib}/**/*.ts', 'lib/x/y.ts', true],
    ['{,src/}a.ts', 'a.ts', true],
    ['{,src/}a.ts', 'src/a.ts', true],
    ['{a,b}**', 'axy', true], // a** and b** are star-like
    ['{a,b}**', 'x', false],
    ['{a,}**', 'x/y', true], // the second alternative is a globstar
    ['{**,a}/b', 'x/y/b', true],
    ['{a}', 'a', true],
    ['{a,b', '{a,b', true], // unbalanced: literal '{'
    ['{a,b', 'a', false],
    ['a}', 'a}', true],
  ],
  'backslash escapes the next character': [
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['\\[a]', '[a]', true],
    ['\\[a]', 'a', false],
    ['\\{a,b}', '{a,b}', true],
    ['\\?', '?', true],
    ['\\?', 'x', false],
    ['a\\/b', 'a/b', true],
  ],
  'leading ./ is dropped; . alone is the repo root': [
    ['./src', 'src/a', true],
    ['././src', 'src', true],
    ['.', 'x/y', true],
    ['./', 'x', true],
  ],
  'patterns that cover nothing': [
    ['', 'a', false],
    ['/src', 'src', false], // absolute
    ['../x', 'x', false],
    ['a/../b', 'b', false],
    ['a/./b', 'a/b', false],
    ['a//b', 'a/b', false],
  ],
  'invalid paths are covered by nothing': [
    ['**', '', false],
    ['**', '/a', false],
    ['**', 'a/', false],
    ['**', 'a//b', false],
    ['**', './a', false],
    ['**', 'a/../b', false],
    ['*', '.', false],
    ['*', '..', false],
    ['*', '...', true], // a valid (if odd) name
  ],
};

describe('covers', () => {
  for (const [rule, cases] of Object.entries(COVERS)) {
    describe(rule, () => {
      for (const [pattern, path, expected] of cases) {
        it(`${JSON.stringify(pattern)} ${expected ? 'covers' : 'does not cover'} ${JSON.stringify(path)}`, () => {
          assert.equal(covers(pattern, path), expected);
        });
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// checkGlob
// ---------------------------------------------------------------------------------------------

/** [pattern, expected problems as [code, start, end]]. */
const CHECKS: Array<[string, Array<[GlobProblem['code'], number, number]>]> = [
  ['src/**/*.ts', []],
  ['{src,lib}/[a-z]*.{ts,js}', []],
  ['...', []],
  ['a..b/c', []],
  ['./src', []],
  ['docs/', []],
  ['', [['glob-empty', 0, 0]]],
  ['/src', [['glob-absolute', 0, 1]]],
  ['C:/x', [['glob-absolute', 0, 3]]],
  ['c:\\x', [['glob-absolute', 0, 3]]],
  ['\\\\server\\share', [['glob-absolute', 0, 2]]],
  ['{/a,b}', [['glob-absolute', 1, 2]]],
  ['../x', [['glob-parent', 0, 2]]],
  ['a/../b', [['glob-parent', 2, 4]]],
  ['a/..', [['glob-parent', 2, 4]]],
  ['{a,..}/x', [['glob-parent', 3, 5]]],
  ['a[b', [['glob-syntax', 1, 2]]],
  ['a{b', [['glob-syntax', 1, 2]]],
  ['a}b', [['glob-syntax', 1, 2]]],
  ['{a,{b}', [['glob-syntax', 0, 1]]],
  ['a\\', [['glob-syntax', 1, 2]]],
  ['[z-a]', [['glob-syntax', 1, 4]]],
  ['[[:alpha:]]', [['glob-syntax', 1, 3]]],
  ['a//b', [['glob-syntax', 2, 3]]],
  ['a/./b', [['glob-syntax', 2, 3]]],
  [
    '/../[a',
    [
      ['glob-absolute', 0, 1],
      ['glob-parent', 1, 3],
      ['glob-syntax', 4, 5],
    ],
  ],
];

describe('checkGlob', () => {
  for (const [pattern, expected] of CHECKS) {
    it(`${JSON.stringify(pattern)} → ${expected.map((e) => e.join(' ')).join(', ') || 'no problems'}`, () => {
      const problems = checkGlob(pattern);
      assert.deepEqual(
        problems.map((p) => [p.code, p.start, p.end]),
        expected,
      );
      for (const p of problems) assert.ok(p.message.length > 0);
    });
  }

  it('limits brace expansion, and the over-limit pattern covers nothing', () => {
    const pattern = '{a/,b}'.repeat(11); // 2^11 alternatives
    const problems = checkGlob(pattern);
    assert.deepEqual(
      problems.map((p) => [p.code, p.start, p.end]),
      [['glob-syntax', 0, pattern.length]],
    );
    assert.equal(covers(pattern, 'bbbbbbbbbbb'), false);
    assert.equal(overlap(pattern, '**'), null);
  });

  it('does not expand groups that cannot change the segment structure', () => {
    const pattern = '*.{a,b,c,d}'.repeat(8); // 4^8 alternatives if expanded
    assert.deepEqual(checkGlob(pattern), []);
    assert.equal(covers(pattern, 'x.ay.bz.c.d.a.b.c.d'), true);
  });

  it('returns fresh objects', () => {
    checkGlob('/x')[0].message = 'changed';
    assert.notEqual(checkGlob('/x')[0].message, 'changed');
  });
});

// ---------------------------------------------------------------------------------------------
// literalPrefix
// ---------------------------------------------------------------------------------------------

const PREFIXES: Array<[string, string[]]> = [
  ['src/api/**/x.ts', ['src', 'api']],
  ['{a,b}/x', []],
  ['src/a.ts', ['src', 'a.ts']],
  ['src/*.ts', ['src']],
  ['src/a**', ['src']],
  ['src/{a,b}/x', ['src']],
  ['{src/a,src/b}', ['src']],
  ['**/x', []],
  ['**', []],
  ['./src/x', ['src', 'x']],
  ['docs/', ['docs']],
  ['a\\*b/c', ['a*b', 'c']],
  ['a[b/c', ['a[b', 'c']],
  ['', []],
  ['/abs', []],
];

describe('literalPrefix', () => {
  for (const [pattern, expected] of PREFIXES) {
    it(`${JSON.stringify(pattern)} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(literalPrefix(pattern), expected);
    });
  }

  it('takes plain patterns without parsing them, and only plain ones', () => {
    assert.deepEqual(plainPrefix('src/mod0/**'), ['src', 'mod0']);
    assert.deepEqual(plainPrefix('src/mod0/index.ts'), ['src', 'mod0', 'index.ts']);
    assert.deepEqual(plainPrefix('.github/workflows/ci.yml'), ['.github', 'workflows', 'ci.yml']);
    for (const other of ['**', 'src/*', 'src/**/x', 'docs/', '/abs', '../x', 'a/./b', 'a//b', 'C:/x', 'a\\b', '{a,b}', 'x[ab]', '', '.']) {
      assert.equal(plainPrefix(other), null, other);
    }
  });

  it('a plain pattern has the prefix and the problems of the full parse, and covers its prefix and everything below it (property)', () => {
    const part = fc.constantFrom('a', 'src', '.', '..', '...', '.env', '*', '**', '?', '-', '_x', 'C:', '@', '~', '%', '+', '=', '[a]', '{a,b}', '\\', '');
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), (parts) => {
        const pattern = parts.join('/');
        const plain = plainPrefix(pattern);
        if (plain === null) return;
        const parsed = parsePattern(pattern);
        assert.deepEqual(plain, parsed.prefix, pattern);
        assert.deepEqual(parsed.problems, [], pattern);
        // The owner index files a plain pattern as "its prefix and below" without asking `covers`.
        assert.ok(covers(pattern, plain.join('/')), pattern);
        assert.ok(isCoveredBy(`${plain.join('/')}/**`, pattern), pattern);
        assert.ok(isCoveredBy(pattern, `${plain.join('/')}/**`), pattern);
      }),
      { numRuns: 3000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// overlap
// ---------------------------------------------------------------------------------------------

/** [a, b, expected]: a witness string when it is unique, true for "some witness", or null. */
const OVERLAPS: Array<[string, string, string | true | null]> = [
  ['src/api/*.py', 'src/**/users.py', 'src/api/users.py'],
  ['*.md', 'docs/*.md', null],
  ['docs', 'docs/**/a.md', 'docs/a.md'],
  ['docs/', 'docs/**/a.md', 'docs/a.md'],
  ['src/a', 'src/b', null],
  ['src', 'src/a/b.ts', 'src/a/b.ts'],
  ['src/*', 'src', 'src/x'],
  ['{a,b}/x', 'b/*', 'b/x'],
  ['{a,b}/x', 'c/*', null],
  ['*.{ts,tsx}', '*.js', null],
  ['x.[ab]', 'x.[!a]', 'x.b'],
  ['[a-c]', '[d-f]', null],
  ['[!a]', 'a', null],
  ['?', '??', null],
  ['a?', '?b', 'ab'],
  ['*a*', '*b*', true],
  ['a/*/c', 'a/b/*', 'a/b/c'],
  ['a/**/b/**/c', 'a/b/c', 'a/b/c'],
  ['.*', '*', true],
  ['.env', '*', '.env'],
  ['.env', '?', null],
  ['**', 'a/b/c', 'a/b/c'],
  ['**', '**', 'x'],
  ['**', '*', 'x'],
  ['**/*.test.ts', 'src/**', true],
  ['src/*.ts', 'src/*/*.ts', true], // `src/x.ts` covers `src/x.ts/y.ts` too
  ['/abs', '**', null],
  ['', '**', null],
  ['../x', '**', null],
  ['a\\*', 'a?', 'a*'],
  ['{a,b}**', 'c*', null],
  ['a[!x]b', 'a/b', null], // classes never match '/'
  ['a?b', 'a/b', null],
  ['..?', '*.', '...'], // '...' is a valid name
  ['.', 'x', 'x'], // the repo root
];

describe('overlap', () => {
  for (const [a, b, expected] of OVERLAPS) {
    it(`${JSON.stringify(a)} ∩ ${JSON.stringify(b)} → ${JSON.stringify(expected)}`, () => {
      for (const [x, y] of [
        [a, b],
        [b, a],
      ]) {
        const w = overlap(x, y);
        if (expected === null) {
          assert.equal(w, null);
        } else {
          assert.ok(w !== null, 'expected an overlap');
          if (typeof expected === 'string') assert.equal(w, expected);
          assert.ok(isValidPath(w) && covers(x, w) && covers(y, w), `bad witness ${w}`);
        }
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// isCoveredBy / allCoveredBy / uncoveredWitness
// ---------------------------------------------------------------------------------------------

const INCLUSIONS: Array<[string, string, boolean]> = [
  ['src/a/**', 'src', true],
  ['src', 'src/a', false],
  ['src/a.ts', 'src/*.ts', true],
  ['src/*.ts', 'src/*', true],
  ['src/*', 'src/*.ts', false],
  ['a/b', '**', true],
  ['**', 'a/**', false],
  ['src/x', 'src/x/', true],
  ['docs/**/a.md', 'docs', true],
  ['{a,b}/x', '*/x', true],
  ['*/x', '{a,b}/x', false],
  ['x/[ab]', 'x/{a,b}', true],
  ['x/[!a]', 'x/*', true],
  ['x/*', 'x/[!a]', false],
  ['src/**/*.ts', 'src/**', true],
  ['src/**/*.ts', '**/*.ts', true],
  ['**/*.ts', 'src/**/*.ts', false],
  ['.env', '*', true],
  ['', 'anything', true], // covers nothing: vacuously inside
  ['a', '', false],
  ['a/./b', 'c', true],
];

describe('isCoveredBy', () => {
  for (const [inner, outer, expected] of INCLUSIONS) {
    it(`${JSON.stringify(inner)} ${expected ? '⊆' : '⊄'} ${JSON.stringify(outer)}`, () => {
      assert.equal(isCoveredBy(inner, outer), expected);
      const w = uncoveredWitness(inner, [outer]);
      if (expected) assert.equal(w, null);
      else assert.ok(w !== null && isValidPath(w) && covers(inner, w) && !covers(outer, w), `bad witness ${w}`);
    });
  }
});

const LIST_INCLUSIONS: Array<[string, string[], boolean]> = [
  ['x/?', ['x/a', 'x/[!a]'], true],
  ['x/*', ['x/a*', 'x/[!a]*'], true],
  ['x/*', ['x/a*', 'x/b*'], false],
  ['x/*', ['x/a*', 'x/b*', 'x/?', 'x/??*'], true],
  ['src/**', ['src/*', 'src'], true],
  ['{a,b}/**', ['a', 'b/x', 'b/*'], false], // b itself
  ['{a,b}/**', ['a', 'b/x', 'b'], true],
  ['a', [], false],
  ['', [], true],
];

describe('allCoveredBy', () => {
  for (const [inner, outers, expected] of LIST_INCLUSIONS) {
    it(`${JSON.stringify(inner)} ${expected ? '⊆' : '⊄'} ∪${JSON.stringify(outers)}`, () => {
      assert.equal(allCoveredBy(inner, outers), expected);
    });
  }

  it('uncoveredWitness gives a readable shortest counterexample', () => {
    assert.equal(uncoveredWitness('src/*', ['src/a*']), 'src/x');
    assert.equal(uncoveredWitness('{a,b}/**', ['a', 'b/*']), 'b');
  });
});

// ---------------------------------------------------------------------------------------------
// Property tests: the automata against brute force over the independent `covers`
// ---------------------------------------------------------------------------------------------

/** Every valid path of depth ≤ 2 with segments of length ≤ 3, and of depth 3 with segments of
 *  length ≤ 2, over the alphabet {a, b, c, ., x}. */
const UNIVERSE: readonly string[] = (() => {
  const alphabet = ['a', 'b', 'c', '.', 'x'];
  const names = (maxLen: number): string[] => {
    const out: string[] = [];
    let layer = [''];
    for (let len = 1; len <= maxLen; len++) {
      layer = layer.flatMap((s) => alphabet.map((ch) => s + ch));
      out.push(...layer);
    }
    return out.filter((n) => n !== '.' && n !== '..');
  };
  const long = names(3);
  const short = names(2);
  const paths = [...long];
  for (const a of long) for (const b of long) paths.push(`${a}/${b}`);
  for (const a of short) for (const b of short) for (const c of short) paths.push(`${a}/${b}/${c}`);
  return paths;
})();

const UNIVERSE_SET: ReadonlySet<string> = new Set(UNIVERSE);

/** Random globs over a small alphabet, so that brute force over UNIVERSE is meaningful. */
const PIECES = ['a', 'b', '.', '*', '**', '?', '[ab]', '[!a]', '{a,b}', '{a,b/a}', '{,a}'];
const segmentArb = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 3 }).map((pieces) => pieces.join(''));
const globArb = fc
  .tuple(fc.array(segmentArb, { minLength: 1, maxLength: 3 }), fc.constantFrom('', '', '', './'), fc.constantFrom('', '', '', '/'))
  .map(([segs, lead, trail]) => lead + segs.join('/') + trail);

/**
 * Brute force needs every pattern's coverage of UNIVERSE (tens of thousands of `covers`
 * calls), so the brute-force properties draw their patterns from a pool sampled once per
 * test run, whose coverage is computed once; pairs from the pool are then cheap to check.
 */
const POOL: readonly string[] = [...new Set(fc.sample(globArb, 300))];
const poolArb = fc.constantFrom(...POOL);

/** Which UNIVERSE paths a pattern covers, memoized. */
const coverageMemo = new Map<string, Uint8Array>();
function coverage(pattern: string): Uint8Array {
  let bits = coverageMemo.get(pattern);
  if (!bits) {
    bits = new Uint8Array(UNIVERSE.length);
    for (let i = 0; i < UNIVERSE.length; i++) bits[i] = covers(pattern, UNIVERSE[i]) ? 1 : 0;
    coverageMemo.set(pattern, bits);
  }
  return bits;
}

/** The first UNIVERSE path covered by all `yes` patterns and by none of the `no` patterns. */
function bruteForce(yes: readonly string[], no: readonly string[] = []): string | null {
  const ys = yes.map(coverage);
  const ns = no.map(coverage);
  for (let i = 0; i < UNIVERSE.length; i++) {
    if (ys.every((c) => c[i] === 1) && !ns.some((c) => c[i] === 1)) return UNIVERSE[i];
  }
  return null;
}

describe('properties', () => {
  it('the universe is what it claims to be', () => {
    assert.ok(UNIVERSE.length > 40_000);
    assert.ok(UNIVERSE.every(isValidPath));
  });

  it('overlap: a witness is a valid path covered by both, and overlap is symmetric', () => {
    fc.assert(
      fc.property(globArb, globArb, (a, b) => {
        const w = overlap(a, b);
        if (w !== null) {
          assert.ok(isValidPath(w), `invalid witness ${w}`);
          assert.ok(covers(a, w) && covers(b, w), `witness ${w} not covered by both`);
        }
        assert.equal(overlap(b, a) === null, w === null);
      }),
      { numRuns: 2000 },
    );
  });

  it('overlap: null exactly when brute force finds no common path', () => {
    fc.assert(
      fc.property(poolArb, poolArb, (a, b) => {
        const common = bruteForce([a, b]);
        const w = overlap(a, b);
        if (common !== null) assert.notEqual(w, null, `missed ${common}`);
        // Otherwise the witness must lie outside the enumerated universe.
        else if (w !== null) assert.ok(!UNIVERSE_SET.has(w) && covers(a, w) && covers(b, w), `brute force missed ${w}`);
      }),
      { numRuns: 3000 },
    );
  });

  it('isCoveredBy: never contradicted by brute force; counterexamples are real', () => {
    fc.assert(
      fc.property(poolArb, poolArb, (inner, outer) => {
        const counter = bruteForce([inner], [outer]);
        const w = uncoveredWitness(inner, [outer]);
        assert.equal(isCoveredBy(inner, outer), w === null);
        if (counter !== null) assert.notEqual(w, null, `missed counterexample ${counter}`);
        if (w !== null) {
          assert.ok(isValidPath(w) && covers(inner, w) && !covers(outer, w), `bad counterexample ${w}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('allCoveredBy: agrees with brute force over a union of outers', () => {
    fc.assert(
      fc.property(poolArb, fc.array(poolArb, { minLength: 1, maxLength: 3 }), (inner, outers) => {
        const counter = bruteForce([inner], outers);
        const w = uncoveredWitness(inner, outers);
        assert.equal(allCoveredBy(inner, outers), w === null);
        if (counter !== null) assert.notEqual(w, null, `missed counterexample ${counter}`);
        if (w !== null) {
          assert.ok(isValidPath(w) && covers(inner, w) && !outers.some((o) => covers(o, w)), `bad counterexample ${w}`);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('isCoveredBy is reflexive, and mutual inclusion means equal coverage', () => {
    fc.assert(
      fc.property(poolArb, poolArb, (a, b) => {
        assert.ok(isCoveredBy(a, a));
        if (isCoveredBy(a, b) && isCoveredBy(b, a)) assert.deepEqual(coverage(a), coverage(b));
      }),
      { numRuns: 1000 },
    );
  });

  it('literalPrefix is sound: every covered path starts with it', () => {
    fc.assert(
      fc.property(poolArb, (pattern) => {
        const prefix = literalPrefix(pattern);
        const bits = coverage(pattern);
        UNIVERSE.forEach((p, i) => {
          if (bits[i]) assert.deepEqual(p.split('/').slice(0, prefix.length), prefix, `${p} lacks prefix`);
        });
      }),
      { numRuns: 200 },
    );
  });
});

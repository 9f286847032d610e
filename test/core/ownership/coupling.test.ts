/**
 * Tests for coupling between parallel packages: the import resolver
 * (`src/core/ownership/importResolve.ts`) and the pure check (`src/core/ownership/coupling.ts`):
 * parallel pairs warned, pairs with a dependency path not, positions, the fix (the warning goes
 * after it is applied and the plan analysed again), dedupe and the count per pair.
 *
 * Run: node --import tsx --test test/core/ownership/coupling.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyzePlan } from '../../../src/core/plan/analyze';
import type { Fix } from '../../../src/core/plan/model';
import { couplingCheck, packagesWithPartners, type ImportEdge } from '../../../src/core/ownership/coupling';
import { resolveImport, type ImportRef } from '../../../src/core/ownership/importResolve';

const ts = (specifier: string): ImportRef => ({ language: 'script', specifier });
const py = (specifier: string, ...names: string[]): ImportRef => ({ language: 'python', specifier, names });

describe('resolveImport: TypeScript and JavaScript', () => {
  const files = new Set([
    'src/a/api.ts',
    'src/a/view.tsx',
    'src/a/index.ts',
    'src/b/use.ts',
    'src/c/lib.js',
    'src/c/data.json',
    'src/d/mod.mts',
    'src/e/index.jsx',
    'index.ts',
    'src/f/types.d.ts',
  ]);
  const cases: [string, string, string | undefined][] = [
    ['src/b/use.ts', '../a/api', 'src/a/api.ts'],
    ['src/b/use.ts', '../a/api.js', 'src/a/api.ts'],
    ['src/b/use.ts', '../a/api.ts', 'src/a/api.ts'],
    ['src/b/use.ts', '../a/view.js', 'src/a/view.tsx'],
    ['src/b/use.ts', '../a/view.jsx', 'src/a/view.tsx'],
    ['src/b/use.ts', '../a', 'src/a/index.ts'],
    ['src/b/use.ts', '../a/', 'src/a/index.ts'],
    ['src/b/use.ts', '../c/lib', 'src/c/lib.js'],
    ['src/b/use.ts', '../c/lib.js', 'src/c/lib.js'],
    ['src/b/use.ts', '../c/data.json', 'src/c/data.json'],
    ['src/b/use.ts', '../d/mod.mjs', 'src/d/mod.mts'],
    ['src/b/use.ts', '../e', 'src/e/index.jsx'],
    ['src/b/use.ts', '../f/types', 'src/f/types.d.ts'],
    ['src/b/use.ts', '../../index', 'index.ts'],
    ['src/b/use.ts', '../..', 'index.ts'],
    ['src/b/use.ts', './use', 'src/b/use.ts'],
    ['src/b/use.ts', '../a/api?raw', 'src/a/api.ts'],
    ['src/b/use.ts', '../../../outside', undefined],
    ['src/b/use.ts', 'react', undefined],
    ['src/b/use.ts', '@scope/pkg/sub', undefined],
    ['src/b/use.ts', '/abs/src/a/api', undefined],
    ['src/b/use.ts', 'node:fs', undefined],
    ['src/b/use.ts', '../a/missing', undefined],
    ['src/b/use.ts', '.../a/api', undefined],
  ];
  for (const [from, spec, want] of cases) {
    it(`${from}: '${spec}' → ${want ?? 'nothing'}`, () => {
      assert.deepEqual(resolveImport(from, ts(spec), files), want === undefined ? [] : [want]);
    });
  }
});

describe('resolveImport: Python', () => {
  const files = new Set([
    'pkg_a/__init__.py',
    'pkg_a/api.py',
    'pkg_a/sub/__init__.py',
    'pkg_a/sub/deep.py',
    'pkg_b/__init__.py',
    'pkg_b/use.py',
    'pkg_b/inner/__init__.py',
    'pkg_b/inner/x.py',
    'src/lib_c/__init__.py',
    'src/lib_c/core.py',
    'tools/script.py',
    'tools/helper.py',
  ]);
  const cases: [string, ImportRef, string[]][] = [
    ['pkg_b/use.py', py('pkg_a.api', 'f'), ['pkg_a/api.py']],
    ['pkg_b/use.py', py('pkg_a.api'), ['pkg_a/api.py']],
    ['pkg_b/use.py', py('pkg_a', 'api'), ['pkg_a/api.py']],
    ['pkg_b/use.py', py('pkg_a', 'api', 'sub'), ['pkg_a/api.py', 'pkg_a/sub/__init__.py']],
    ['pkg_b/use.py', py('pkg_a', 'name'), ['pkg_a/__init__.py']],
    ['pkg_b/use.py', py('pkg_a', 'api', 'name'), ['pkg_a/api.py', 'pkg_a/__init__.py']],
    ['pkg_b/use.py', py('pkg_a.sub.deep'), ['pkg_a/sub/deep.py']],
    ['pkg_b/use.py', py('pkg_a.sub'), ['pkg_a/sub/__init__.py']],
    ['pkg_b/use.py', py('.inner', 'x'), ['pkg_b/inner/x.py']],
    ['pkg_b/inner/x.py', py('..', 'use'), ['pkg_b/use.py']],
    ['pkg_b/inner/x.py', py('..use', 'thing'), ['pkg_b/use.py']],
    ['pkg_b/inner/x.py', py('...pkg_a.api', 'f'), ['pkg_a/api.py']],
    ['pkg_b/use.py', py('.', 'inner'), ['pkg_b/inner/__init__.py']],
    ['pkg_b/use.py', py('.....too.far', 'x'), []],
    ['pkg_b/use.py', py('lib_c.core'), ['src/lib_c/core.py']],
    ['tools/script.py', py('helper'), ['tools/helper.py']],
    ['pkg_b/use.py', py('os.path'), []],
    ['pkg_b/use.py', py('numpy', 'array'), []],
    ['pkg_b/use.py', py('pkg_a.missing'), []],
    ['pkg_b/use.py', py('bad-name'), []],
  ];
  for (const [from, ref, want] of cases) {
    it(`${from}: '${ref.specifier}' import ${(ref.names ?? []).join(', ') || '—'} → ${want.join(', ') || 'nothing'}`, () => {
      assert.deepEqual(resolveImport(from, ref, files), want);
    });
  }
});

function applyFix(text: string, fix: Fix): string {
  let out = text;
  for (const e of [...fix.edits].sort((a, b) => b.range.start - a.range.start)) out = out.slice(0, e.range.start) + e.newText + out.slice(e.range.end);
  return out;
}

const TWO = `schema_version: 1
feature:
  id: coupling
packages:
  - package_id: wp-a
    scope:
      write_allow: ["src/a/**"]
  - package_id: wp-b
    scope:
      write_allow: ["src/b/**"]
`;

const USE: ImportEdge = { fromFile: 'src/b/use.ts', toFile: 'src/a/api.ts' };

describe('couplingCheck', () => {
  it('warns on an import across two parallel packages, on the id of a package without depends_on', () => {
    const analysis = analyzePlan(TWO);
    const { diagnostics, couplings } = couplingCheck(analysis, [USE]);
    assert.equal(diagnostics.length, 1);
    const [d] = diagnostics;
    assert.equal(d.code, 'coupling');
    assert.equal(d.severity, 'warning');
    assert.equal(d.packageId, 'wp-b');
    assert.equal(d.message, 'wp-b imports src/a/api.ts (from src/b/use.ts), which wp-a may change: give wp-b a dependency on wp-a or a contract both read');
    assert.equal(TWO.slice(d.range.start, d.range.end), 'wp-b');
    assert.deepEqual(couplings.map((c) => [c.importer, c.writer, c.file, c.from, c.more]), [['wp-b', 'wp-a', 'src/a/api.ts', 'src/b/use.ts', 0]]);
  });

  it('its fix adds the dependency, and the warning goes when the plan is analysed again', () => {
    const { diagnostics } = couplingCheck(analyzePlan(TWO), [USE]);
    const fix = diagnostics[0].fixes![0];
    assert.equal(fix.title, 'Make `wp-b` depend on `wp-a`');
    const fixed = applyFix(TWO, fix);
    assert.match(fixed, /- package_id: wp-b\n {4}depends_on: \[wp-a\]\n/);
    const again = analyzePlan(fixed);
    assert.deepEqual(again.diagnostics.map((d) => d.code), []);
    assert.deepEqual(couplingCheck(again, [USE]).diagnostics, []);
  });

  it('is positioned on depends_on when the package has one, and the fix adds to the list', () => {
    const text = TWO + `  - package_id: wp-c\n  - package_id: wp-d\n    depends_on:\n      - wp-c\n    scope:\n      write_allow: ["src/d/**"]\n`;
    const analysis = analyzePlan(text);
    const { diagnostics } = couplingCheck(analysis, [{ fromFile: 'src/d/x.py', toFile: 'src/a/api.ts' }]);
    assert.equal(diagnostics.length, 1);
    assert.equal(text.slice(diagnostics[0].range.start, diagnostics[0].range.end), 'depends_on');
    const fixed = applyFix(text, diagnostics[0].fixes![0]);
    assert.match(fixed, /depends_on:\n {6}- wp-c\n {6}- wp-a\n/);
    assert.deepEqual(couplingCheck(analyzePlan(fixed), [{ fromFile: 'src/d/x.py', toFile: 'src/a/api.ts' }]).diagnostics, []);
  });

  it('says nothing across a dependency edge, either way, or a transitive one', () => {
    const dependent = TWO.replace('  - package_id: wp-b\n', '  - package_id: wp-b\n    depends_on: [wp-a]\n');
    assert.deepEqual(couplingCheck(analyzePlan(dependent), [USE]).diagnostics, []);
    const reverse = TWO.replace('  - package_id: wp-a\n', '  - package_id: wp-a\n    depends_on: [wp-b]\n');
    assert.deepEqual(couplingCheck(analyzePlan(reverse), [USE]).diagnostics, []);
    const chain = `packages:
  - package_id: wp-a
    scope: { write_allow: ["src/a/**"] }
  - package_id: mid
    depends_on: [wp-a]
  - package_id: wp-b
    depends_on: [mid]
    scope: { write_allow: ["src/b/**"] }
`;
    assert.deepEqual(couplingCheck(analyzePlan(chain), [USE]).diagnostics, []);
  });

  it('says nothing of files no package writes, imports within a package, or a file both may write', () => {
    const analysis = analyzePlan(TWO);
    assert.deepEqual(
      couplingCheck(analysis, [
        { fromFile: 'lib/x.ts', toFile: 'src/a/api.ts' },
        { fromFile: 'src/b/use.ts', toFile: 'lib/y.ts' },
        { fromFile: 'src/b/use.ts', toFile: 'src/b/other.ts' },
        { fromFile: 'src/b/use.ts', toFile: 'src/b/use.ts' },
      ]).diagnostics,
      [],
    );
    const both = TWO.replace('write_allow: ["src/b/**"]', 'write_allow: ["src/b/**", "src/a/shared.ts"]');
    assert.deepEqual(couplingCheck(analyzePlan(both), [{ fromFile: 'src/b/use.ts', toFile: 'src/a/shared.ts' }]).diagnostics, []);
  });

  it('tells each ordered pair once, naming the first file and how many more', () => {
    const analysis = analyzePlan(TWO);
    const edges: ImportEdge[] = [
      { fromFile: 'src/b/z.ts', toFile: 'src/a/z.ts' },
      USE,
      { fromFile: 'src/b/other.ts', toFile: 'src/a/api.ts' },
      { fromFile: 'src/b/use.ts', toFile: 'src/a/api.ts' },
      { fromFile: 'src/b/use.ts', toFile: 'src/a/types.ts' },
      { fromFile: 'src/a/api.ts', toFile: 'src/b/use.ts' },
    ];
    const { diagnostics, couplings } = couplingCheck(analysis, edges);
    assert.deepEqual(
      diagnostics.map((d) => [d.packageId, d.message]),
      [
        ['wp-a', 'wp-a imports src/b/use.ts (from src/a/api.ts), which wp-b may change: give wp-a a dependency on wp-b or a contract both read'],
        ['wp-b', "wp-b imports src/a/api.ts (from src/b/other.ts) and 2 more files of wp-a's, which wp-a may change: give wp-b a dependency on wp-a or a contract both read"],
      ],
    );
    assert.deepEqual(couplings.map((c) => c.more), [0, 2]);
    // Either fix orders the two: both warnings go.
    const fixed = applyFix(TWO, diagnostics[1].fixes![0]);
    assert.deepEqual(couplingCheck(analyzePlan(fixed), edges).diagnostics, []);
  });

  it('a package denied the importing file is not its importer', () => {
    const denied = TWO.replace('write_allow: ["src/b/**"]', 'write_allow: ["src/b/**"]\n      deny: ["src/b/use.ts"]');
    assert.deepEqual(couplingCheck(analyzePlan(denied), [USE]).diagnostics, []);
  });
});

describe('packagesWithPartners', () => {
  it('marks the packages with a writing package beside them', () => {
    const text = TWO + '  - package_id: wp-c\n    depends_on: [wp-a, wp-b]\n    scope:\n      write_allow: ["src/c/**"]\n  - package_id: reader\n';
    assert.deepEqual(packagesWithPartners(analyzePlan(text)), [true, true, false, false]);
  });

  it('agrees with asking the graph about every pair: cycles, repeated ids and packages that write nothing included (property)', () => {
    const pkg = fc.record({ id: fc.integer({ min: 0, max: 7 }), deps: fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 3 }), writes: fc.boolean() });
    fc.assert(
      fc.property(fc.array(pkg, { minLength: 1, maxLength: 8 }), (pkgs) => {
        const text =
          'packages:\n' +
          pkgs
            .map((p, i) => `  - package_id: p${p.id}\n    depends_on: [${p.deps.map((d) => `p${d}`).join(', ')}]\n` + (p.writes ? `    scope:\n      write_allow: ["src/${i}/**"]\n` : ''))
            .join('');
        const analysis = analyzePlan(text);
        const { graph } = analysis;
        // The first definition of each id is its node; a later one's scope is not its.
        const writes = graph.ids.map((id) => pkgs.findIndex((p) => `p${p.id}` === id)).map((i) => pkgs[i].writes);
        const expected = writes.map((w, a) => w && writes.some((v, b) => b !== a && v && graph.mayRunInParallel(a, b)));
        assert.deepEqual(packagesWithPartners(analysis), expected, text);
      }),
      { numRuns: 500 },
    );
  });
});

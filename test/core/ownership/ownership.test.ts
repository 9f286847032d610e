/**
 * Tests for the owner index (`src/core/ownership/ownership.ts`): table tests on a small plan, then
 * properties: the prefix index answers exactly what brute force over every glob answers,
 * for random globs, random plans and random paths.
 *
 * Run: node --import tsx --test test/core/ownership/ownership.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyzePlan, type PlanAnalysis } from '../../../src/core/plan/analyze.js';
import { covers, isValidPath } from '../../../src/core/plan/glob.js';
import { GlobIndex, OwnerIndex, isPath, type Ownership } from '../../../src/core/ownership/ownership.js';

interface PkgSpec {
  id: string;
  deps?: string[];
  write?: string[];
  read?: string[];
  deny?: string[];
}

/** A plan text from package specs; globs are written as JSON strings (valid YAML). */
function planText(pkgs: readonly PkgSpec[]): string {
  const lines = ['schema_version: 1', 'feature:', '  id: owners', 'packages:'];
  for (const p of pkgs) {
    lines.push(`  - package_id: ${p.id}`, `    depends_on: ${JSON.stringify(p.deps ?? [])}`, '    scope:');
    lines.push(`      write_allow: ${JSON.stringify(p.write ?? [])}`);
    lines.push(`      read_allow: ${JSON.stringify(p.read ?? [])}`);
    lines.push(`      deny: ${JSON.stringify(p.deny ?? [])}`);
  }
  return lines.join('\n') + '\n';
}

function analyze(pkgs: readonly PkgSpec[]): PlanAnalysis {
  return analyzePlan(planText(pkgs));
}

/** The definition, one glob at a time: what the index must agree with. */
function bruteForce(analysis: PlanAnalysis, path: string): Ownership {
  const firstOf = new Map<number, (typeof analysis.plan.packages)[number]>();
  for (const pkg of analysis.plan.packages) {
    const slot = analysis.graph.indexOf.get(pkg.id);
    if (slot !== undefined && !firstOf.has(slot)) firstOf.set(slot, pkg);
  }
  const owners: number[] = [];
  const deniedTo: number[] = [];
  for (const [slot, pkg] of [...firstOf].sort((a, b) => a[0] - b[0])) {
    if (!pkg.scope.writeAllow.some((g) => covers(g.value, path))) continue;
    if (pkg.scope.deny.some((g) => covers(g.value, path))) deniedTo.push(slot);
    else owners.push(slot);
  }
  const conflicts: [number, number][] = [];
  for (let i = 0; i < owners.length; i++)
    for (let j = i + 1; j < owners.length; j++)
      if (analysis.graph.mayRunInParallel(owners[i], owners[j])) conflicts.push([owners[i], owners[j]]);
  return { owners, deniedTo, conflicts };
}

const ids = (index: OwnerIndex, slots: readonly number[]) => slots.map((s) => index.packages[s].id);

describe('OwnerIndex on a small plan', () => {
  const analysis = analyze([
    { id: 'wp-contract', write: ['contracts/**'], read: ['**'] },
    { id: 'wp-api', deps: ['wp-contract'], write: ['src/api/**'], read: ['contracts/**', 'src/api'], deny: ['src/api/secrets/**'] },
    { id: 'wp-web', deps: ['wp-contract'], write: ['src/web/*.tsx', 'src/shared/{a,b}.ts'], read: ['src/**'] },
    { id: 'wp-docs', deps: ['wp-api', 'wp-web'], write: ['**/*.md', 'src/shared/a.ts'] },
    { id: 'wp-lint', write: ['src/shared/b.ts'] },
  ]);
  const index = new OwnerIndex(analysis);

  const cases: [string, string[], string[], [string, string][]][] = [
    // path, owners, deniedTo, conflicts
    ['contracts/openapi.yaml', ['wp-contract'], [], []],
    ['contracts', ['wp-contract'], [], []],
    ['src/api/items.ts', ['wp-api'], [], []],
    ['src/api', ['wp-api'], [], []],
    ['src/api/secrets/key.pem', [], ['wp-api'], []],
    ['src/web/list.tsx', ['wp-web'], [], []],
    ['src/web/list.ts', [], [], []],
    ['src', [], [], []],
    ['README.md', ['wp-docs'], [], []],
    ['docs/a.md', ['wp-docs'], [], []], // `**` may stand for zero or more segments
    ['src/shared/a.ts', ['wp-web', 'wp-docs'], [], []], // wp-docs depends on wp-web: no conflict
    ['src/shared/b.ts', ['wp-web', 'wp-lint'], [], [['wp-web', 'wp-lint']]],
    ['nowhere/x', [], [], []],
  ];
  for (const [path, owners, deniedTo, conflicts] of cases) {
    it(`${path}: owners [${owners.join(', ')}]${deniedTo.length ? `, denied to ${deniedTo}` : ''}`, () => {
      const got = index.lookup(path);
      assert.deepEqual(ids(index, got.owners), owners);
      assert.deepEqual(ids(index, got.deniedTo), deniedTo);
      assert.deepEqual(
        got.conflicts.map(([a, b]) => [index.packages[a].id, index.packages[b].id]),
        conflicts,
      );
      assert.deepEqual(got, bruteForce(analysis, path));
    });
  }

  it('lists readers without the packages that deny the path', () => {
    assert.deepEqual(ids(index, index.readers('src/api/items.ts')), ['wp-contract', 'wp-api', 'wp-web']);
    assert.deepEqual(ids(index, index.readers('src/api/secrets/k')), ['wp-contract', 'wp-web']);
    assert.deepEqual(ids(index, index.readers('contracts/x')), ['wp-contract', 'wp-api']);
    assert.deepEqual(ids(index, index.deniers('src/api/secrets/k')), ['wp-api']);
  });

  it('names the glob and its place in the plan that gives a package the path', () => {
    const api = index.packageOf('wp-web')!;
    const glob = index.matchingGlob(api.slot, 'write', 'src/shared/b.ts');
    assert.equal(glob?.value, 'src/shared/{a,b}.ts');
    assert.equal(analysis.text.slice(glob!.range.start, glob!.range.end), '"src/shared/{a,b}.ts"');
    assert.equal(index.matchingGlob(api.slot, 'write', 'src/api/x'), undefined);
    assert.equal(index.matchingGlob(api.slot, 'read', 'src/api/x')?.value, 'src/**');
  });

  it('answers nothing for paths that are not repo-relative paths', () => {
    for (const bad of ['', '/src/api/x', 'src/api/', 'src//api', './src/api/x', 'src/api/../web/x']) {
      assert.deepEqual(index.lookup(bad), { owners: [], deniedTo: [], conflicts: [] }, bad);
    }
  });

  it('keeps waves and ids of the first definition of each package', () => {
    assert.deepEqual(
      index.packages.map((p) => [p.id, p.wave]),
      [
        ['wp-contract', 1],
        ['wp-api', 2],
        ['wp-web', 2],
        ['wp-docs', 3],
        ['wp-lint', 1],
      ],
    );
    const dup = new OwnerIndex(analyze([{ id: 'a', write: ['x'] }, { id: 'a', write: ['y'] }]));
    assert.equal(dup.packages.length, 1);
    assert.deepEqual(dup.lookup('y').owners, [], 'the second definition of an id owns nothing');
    assert.deepEqual(dup.lookup('x').owners, [0]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/** Glob pieces that give literal prefixes often (so the trie is exercised) and wildcards too. */
const SEGMENTS = ['a', 'b', 'ab', 'a.ts', 'x', '*', '**', '?', '*.ts', '[ab]', '[!a]', '{a,b}', '{a,b/a}', '{,a}', 'a\\*', '.'];
const globArb = fc
  .tuple(fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 4 }), fc.constantFrom('', '', '', './'), fc.constantFrom('', '', '/'))
  .map(([segs, lead, trail]) => lead + segs.join('/') + trail);
const PATH_SEGMENTS = ['a', 'b', 'ab', 'a.ts', 'b.ts', 'x', 'c', '.env', 'a*'];
const pathArb = fc.array(fc.constantFrom(...PATH_SEGMENTS), { minLength: 1, maxLength: 5 }).map((s) => s.join('/'));

describe('GlobIndex', () => {
  it('its path check agrees with isValidPath of glob.ts', () => {
    for (const p of ['', '.', '..', 'a', '.a', '..a', 'a.', 'a/.', 'a/..', 'a/./b', 'a//b', '/a', 'a/', '...', 'a/.../b'])
      assert.equal(isPath(p), isValidPath(p), JSON.stringify(p));
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', '.', '..', '', '...', '/', 'b.c'), { maxLength: 6 }), (parts) => {
        const p = parts.join('');
        assert.equal(isPath(p), isValidPath(p), JSON.stringify(p));
      }),
      { numRuns: 2000 },
    );
  });

  it('collects exactly the globs that cover a path (brute force over every glob)', () => {
    fc.assert(
      fc.property(fc.array(globArb, { minLength: 1, maxLength: 12 }), fc.array(pathArb, { minLength: 1, maxLength: 20 }), (globs, paths) => {
        const index = new GlobIndex<number>();
        globs.forEach((g, i) => index.add(g, i));
        for (const path of paths) {
          const got = index.collect(path, []).sort((x, y) => x - y);
          const want = globs.flatMap((g, i) => (covers(g, path) ? [i] : []));
          assert.deepEqual(got, want, `path ${path}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('also agrees on every ancestor folder of the paths', () => {
    fc.assert(
      fc.property(fc.array(globArb, { minLength: 1, maxLength: 8 }), pathArb, (globs, path) => {
        const index = new GlobIndex<string>();
        for (const g of globs) index.add(g, g);
        const parts = path.split('/');
        for (let n = 1; n <= parts.length; n++) {
          const p = parts.slice(0, n).join('/');
          assert.deepEqual(new Set(index.collect(p, [])), new Set(globs.filter((g) => covers(g, p))), p);
        }
      }),
      { numRuns: 200 },
    );
  });
});

const planArb = fc
  .array(
    fc.record({
      deps: fc.array(fc.nat(), { maxLength: 2 }),
      write: fc.array(globArb, { maxLength: 3 }),
      read: fc.array(globArb, { maxLength: 2 }),
      deny: fc.array(globArb, { maxLength: 2 }),
    }),
    { minLength: 1, maxLength: 8 },
  )
  .map((rows) =>
    rows.map((r, i): PkgSpec => ({
      id: `p${i}`,
      // dependencies on earlier packages only, so the plan has waves
      deps: i === 0 ? [] : [...new Set(r.deps.map((d) => `p${d % i}`))],
      write: r.write,
      read: r.read,
      deny: r.deny,
    })),
  );

describe('OwnerIndex', () => {
  it('owners, denied and conflicts from the index equal brute force over every glob', () => {
    fc.assert(
      fc.property(planArb, fc.array(pathArb, { minLength: 1, maxLength: 15 }), (pkgs, paths) => {
        const analysis = analyze(pkgs);
        const index = new OwnerIndex(analysis);
        for (const path of paths) assert.deepEqual(index.lookup(path), bruteForce(analysis, path), path);
      }),
      { numRuns: 200 },
    );
  });

  it('readers equal brute force, and every conflict it finds is one the plan checks report', () => {
    fc.assert(
      fc.property(planArb, fc.array(pathArb, { minLength: 1, maxLength: 10 }), (pkgs, paths) => {
        const analysis = analyze(pkgs);
        const index = new OwnerIndex(analysis);
        const reported = new Set(analysis.conflicts.filter((c) => c.kind === 'write-scope').map((c) => `${c.a}|${c.b}`));
        for (const path of paths) {
          const want = index.packages
            .filter((p) => p.pkg.scope.readAllow.some((g) => covers(g.value, path)) && !p.pkg.scope.deny.some((g) => covers(g.value, path)))
            .map((p) => p.slot);
          assert.deepEqual(index.readers(path), want, path);
          for (const [a, b] of index.lookup(path).conflicts) {
            assert.ok(reported.has(`${index.packages[a].id}|${index.packages[b].id}`), `conflict ${a}/${b} on ${path} is reported by the checks`);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

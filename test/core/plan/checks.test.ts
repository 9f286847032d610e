import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { MAX_OVERLAPS_SHOWN } from '../../../src/core/plan/checks';
import { overlap } from '../../../src/core/plan/glob';
import type { Diagnostic, Fix } from '../../../src/core/plan/model';

/** A minimal, schema-clean package in block style. */
interface Pkg {
  id: string;
  deps?: string[];
  write?: string[];
  deny?: string[];
  lockFiles?: string[];
  lockKeys?: string[];
  timeout?: number;
  /** Write depends_on in flow style (`[a, b]`) rather than as a block. */
  flow?: boolean;
  /** Leave depends_on out entirely. */
  noDeps?: boolean;
}

const list = (indent: string, items: string[]) =>
  items.length ? items.map((i) => `\n${indent}- ${JSON.stringify(i)}`).join('') : ' []';

function plan(pkgs: Pkg[]): string {
  const out = [
    'schema_version: 1',
    'feature:',
    '  id: test-feature',
    '  plan_revision: 1',
    'contracts:',
    '  revision: 1',
    '  openapi:',
    '    primary: contracts/openapi.yaml',
    '    files: [contracts/openapi.yaml]',
    'packages:',
  ];
  for (const p of pkgs) {
    out.push(`  - package_id: ${p.id}`);
    out.push('    title: T');
    if (!p.noDeps) {
      out.push(p.flow ? `    depends_on: [${(p.deps ?? []).join(', ')}]` : `    depends_on:${list('      ', p.deps ?? [])}`);
    }
    out.push('    locks:');
    out.push(`      files:${list('        ', p.lockFiles ?? [])}`);
    out.push(`      keys:${list('        ', p.lockKeys ?? [])}`);
    out.push('    scope:');
    out.push(`      write_allow:${list('        ', p.write ?? [])}`);
    out.push(`      read_allow:${list('        ', ['**'])}`);
    if (p.deny) out.push(`      deny:${list('        ', p.deny)}`);
    if (p.timeout !== undefined) out.push(`    timeout_minutes: ${p.timeout}`);
  }
  return out.join('\n') + '\n';
}

function codes(text: string, maxParallel?: number): string[] {
  return analyzePlan(text, { maxParallel }).diagnostics.map((d) => d.code);
}

function only(text: string, code: string): Diagnostic[] {
  return analyzePlan(text).diagnostics.filter((d) => d.code === code);
}

function applyFix(text: string, fix: Fix): string {
  const edits = [...fix.edits].sort((a, b) => b.range.start - a.range.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.range.start) + e.newText + out.slice(e.range.end);
  return out;
}

function slice(text: string, d: Diagnostic): string {
  return text.slice(d.range.start, d.range.end);
}

describe('checks: a clean plan', () => {
  it('has no diagnostics at all', () => {
    const text = plan([
      { id: 'a', write: ['contracts/**'] },
      { id: 'b', deps: ['a'], write: ['src/api/**'] },
      { id: 'c', deps: ['a'], write: ['src/web/**'] },
    ]);
    const analysis = analyzePlan(text);
    assert.deepEqual(analysis.diagnostics, []);
    assert.equal(analysis.valid, true);
  });
});

describe('checks: ids and dependencies', () => {
  it('duplicate-id: on the second definition, naming the first line', () => {
    const text = plan([{ id: 'a' }, { id: 'b' }, { id: 'a' }]);
    const [d] = only(text, 'duplicate-id');
    assert.equal(d.severity, 'error');
    assert.equal(d.packageId, 'a');
    assert.equal(slice(text, d), 'a');
    assert.ok(d.range.start > text.indexOf('package_id: b'));
    assert.match(d.message, /line 11/);
    assert.deepEqual(only(plan([{ id: 'a' }, { id: 'b' }]), 'duplicate-id'), []);
  });

  it('dependency-unknown: at the entry, with a did-you-mean fix and a removal fix', () => {
    const text = plan([{ id: 'backend' }, { id: 'web', deps: ['backnd'] }]);
    const [d] = only(text, 'dependency-unknown');
    assert.equal(d.severity, 'error');
    assert.equal(slice(text, d), '"backnd"');
    assert.match(d.message, /did you mean `backend`/);
    assert.equal(d.fixes?.[0].preferred, true);
    const renamed = applyFix(text, d.fixes![0]);
    assert.deepEqual(codes(renamed), []);
    const removed = applyFix(text, d.fixes![1]);
    assert.deepEqual(codes(removed), []);
    assert.ok(!removed.includes('backnd'));
    assert.deepEqual(only(plan([{ id: 'backend' }, { id: 'web', deps: ['backend'] }]), 'dependency-unknown'), []);
  });

  it('dependency-unknown: removal works in flow style and keeps the other entries', () => {
    const text = plan([{ id: 'a' }, { id: 'b' }, { id: 'c', deps: ['a', 'zzz', 'b'], flow: true }]);
    const [d] = only(text, 'dependency-unknown');
    assert.equal(d.fixes?.length, 1, 'no close id: only the removal');
    const fixed = applyFix(text, d.fixes![0]);
    assert.match(fixed, /depends_on: \[a, b\]/);
    assert.deepEqual(codes(fixed), []);
  });

  it('dependency-self: error with a removal fix', () => {
    const text = plan([{ id: 'a', deps: ['a'] }]);
    const [d] = only(text, 'dependency-self');
    assert.equal(d.severity, 'error');
    assert.equal(codes(text).includes('dependency-cycle'), false);
    assert.deepEqual(codes(applyFix(text, d.fixes![0])), []);
    assert.deepEqual(only(plan([{ id: 'a' }, { id: 'b', deps: ['a'] }]), 'dependency-self'), []);
  });

  it('dependency-cycle: names the cycle in order on every member', () => {
    const text = plan([{ id: 'a', deps: ['c'] }, { id: 'b', deps: ['a'] }, { id: 'c', deps: ['b'] }, { id: 'd' }]);
    const ds = only(text, 'dependency-cycle');
    assert.deepEqual(ds.map((d) => d.packageId).sort(), ['a', 'b', 'c']);
    assert.match(ds[0].message, /`a` depends on `c`, `c` depends on `b`, `b` depends on `a`/);
    const analysis = analyzePlan(text);
    assert.deepEqual(analysis.graph.waves, [['d']]);
    assert.deepEqual(only(plan([{ id: 'a' }, { id: 'b', deps: ['a'] }]), 'dependency-cycle'), []);
  });
});

describe('checks: lock keys', () => {
  it('lock-key-namespace is an error on the key', () => {
    const text = plan([{ id: 'a', lockKeys: ['bridge:probes'] }]);
    const [d] = only(text, 'lock-key-namespace');
    assert.equal(d.severity, 'error');
    assert.equal(slice(text, d), '"bridge:probes"');
    assert.deepEqual(only(plan([{ id: 'a', lockKeys: ['api:GET /v1/x'] }]), 'lock-key-namespace'), []);
  });

  it('lock-key-form is a warning with the canonical form as a fix', () => {
    const text = plan([{ id: 'a', lockKeys: ['api:get /v1/x'] }]);
    const [d] = only(text, 'lock-key-form');
    assert.equal(d.severity, 'warning');
    const fixed = applyFix(text, d.fixes![0]);
    assert.match(fixed, /"api:GET \/v1\/x"/);
    assert.deepEqual(codes(fixed), []);
  });
});

describe('checks: globs', () => {
  it('glob-absolute and glob-parent are errors on scope globs and lock files', () => {
    const text = plan([{ id: 'a', write: ['/etc/passwd', 'src/../../x'], lockFiles: ['../secrets'] }]);
    const abs = only(text, 'glob-absolute');
    const parent = only(text, 'glob-parent');
    assert.equal(abs.length, 1);
    assert.equal(parent.length, 2);
    assert.ok(abs.every((d) => d.severity === 'error'));
    assert.ok(text.slice(abs[0].range.start, abs[0].range.end).includes('/'));
    assert.deepEqual(codes(plan([{ id: 'a', write: ['src/**'], lockFiles: ['src/a.ts'] }])), []);
  });
});

describe('checks: parallel safety', () => {
  it('write-overlap: exact, with a witness, on both packages', () => {
    const text = plan([
      { id: 'api', write: ['src/api/*.py'] },
      { id: 'users', write: ['src/**/users.py'] },
    ]);
    const ds = only(text, 'write-overlap');
    assert.equal(ds.length, 2);
    assert.deepEqual(ds.map((d) => d.packageId).sort(), ['api', 'users']);
    assert.match(ds[0].message, /`src\/api\/users\.py`/);
    assert.equal(ds[0].severity, 'error');
    assert.deepEqual(analyzePlan(text).conflicts, [{ a: 'api', b: 'users', kind: 'write-scope', witness: 'src/api/users.py' }]);
  });

  it('write-overlap: not reported when one depends on the other, even transitively', () => {
    const text = plan([
      { id: 'a', write: ['src/**'] },
      { id: 'b', deps: ['a'] },
      { id: 'c', deps: ['b'], write: ['src/x.ts'] },
    ]);
    assert.deepEqual(only(text, 'write-overlap'), []);
  });

  it('write-overlap: not reported for disjoint scopes that look alike', () => {
    const text = plan([
      { id: 'a', write: ['*.md'] },
      { id: 'b', write: ['docs/*.md'] },
    ]);
    assert.deepEqual(only(text, 'write-overlap'), []);
  });

  it('write-overlap: the fix adds depends_on to the later package, and the plan becomes clean', () => {
    for (const style of [{ flow: true }, { flow: false }, { noDeps: true }]) {
      const text = plan([
        { id: 'base' },
        { id: 'a', deps: ['base'], write: ['src/**'], ...style },
        { id: 'b', deps: ['base'], write: ['src/b/**'], ...style },
      ]);
      const [d] = only(text, 'write-overlap');
      assert.ok(d, `overlap reported (${JSON.stringify(style)})`);
      const preferred = d.fixes!.find((f) => f.preferred)!;
      assert.equal(preferred.title, 'Make `b` depend on `a`');
      const fixed = applyFix(text, preferred);
      const after = analyzePlan(fixed);
      assert.deepEqual(after.diagnostics, [], `clean after fix (${JSON.stringify(style)}):\n${fixed}`);
      // Without depends_on, `a` is a root beside `base`; either way `b` now waits for `a`.
      assert.deepEqual(after.graph.waves, 'noDeps' in style ? [['base', 'a'], ['b']] : [['base'], ['a'], ['b']]);
    }
  });

  it('lock-overlap: the same lock file or key in two parallel packages', () => {
    const files = plan([
      { id: 'a', lockFiles: ['src/app.ts'] },
      { id: 'b', lockFiles: ['src/app.ts'] },
    ]);
    assert.equal(only(files, 'lock-overlap').length, 2);
    const keys = plan([
      { id: 'a', lockKeys: ['db:migration-slot'] },
      { id: 'b', lockKeys: ['db:migration-slot'] },
    ]);
    const ds = only(keys, 'lock-overlap');
    assert.equal(ds.length, 2);
    assert.deepEqual(analyzePlan(keys).conflicts, [{ a: 'a', b: 'b', kind: 'lock', witness: 'db:migration-slot' }]);
    assert.match(ds[0].message, /db:migration-slot/);
    const ordered = plan([
      { id: 'a', lockKeys: ['db:migration-slot'] },
      { id: 'b', deps: ['a'], lockKeys: ['db:migration-slot'] },
    ]);
    assert.deepEqual(only(ordered, 'lock-overlap'), []);
  });

  it('write-denied: every write glob inside the deny list', () => {
    const text = plan([{ id: 'a', write: ['src/api/**'], deny: ['src/**'] }]);
    const [d] = only(text, 'write-denied');
    assert.equal(d.packageId, 'a');
    assert.deepEqual(only(plan([{ id: 'a', write: ['src/api/**', 'docs/**'], deny: ['src/**'] }]), 'write-denied'), []);
  });
});

describe('checks: waves', () => {
  it('wave-too-wide warns when a wave exceeds the concurrency cap', () => {
    const text = plan([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    assert.deepEqual(codes(text, 2), ['wave-too-wide']);
    const d = analyzePlan(text, { maxParallel: 2 }).diagnostics[0];
    assert.equal(d.severity, 'warning');
    assert.match(d.message, /Wave 1 has 3 packages but at most 2 run at once, so it runs in 2 rounds/);
    assert.deepEqual(codes(text, 3), []);
  });
});

/** Pairs `a|b|kind` (a before b in plan order) that a brute force over every pair of packages finds. */
function bruteForceConflicts(pkgs: Pkg[]): string[] {
  const index = new Map<string, number>();
  pkgs.forEach((p, i) => index.has(p.id) || index.set(p.id, i));
  const deps = pkgs.map((p) => (p.deps ?? []).filter((d) => index.has(d)).map((d) => index.get(d)!));
  const ancestors = (a: number) => {
    const seen = new Set<number>();
    const todo = [a];
    while (todo.length) {
      for (const d of deps[todo.pop()!]) {
        if (!seen.has(d)) {
          seen.add(d);
          todo.push(d);
        }
      }
    }
    return seen;
  };
  const anc = pkgs.map((_, i) => ancestors(i));
  const out: string[] = [];
  for (let i = 0; i < pkgs.length; i++) {
    for (let j = i + 1; j < pkgs.length; j++) {
      if (anc[i].has(j) || anc[j].has(i)) continue;
      const [a, b] = [pkgs[i], pkgs[j]];
      const any = (xs: string[] = [], ys: string[] = []) => xs.some((x) => ys.some((y) => overlap(x, y) !== null));
      if (any(a.write, b.write)) out.push(`${a.id}|${b.id}|write-scope`);
      if (any(a.lockFiles, b.lockFiles) || (a.lockKeys ?? []).some((k) => (b.lockKeys ?? []).includes(k))) out.push(`${a.id}|${b.id}|lock`);
    }
  }
  return out.sort();
}

const conflictsOf = (text: string) =>
  analyzePlan(text)
    .conflicts.map((c) => `${c.a}|${c.b}|${c.kind}`)
    .sort();

describe('checks: parallel safety, against every pair (#15: no pair is compared that cannot collide)', () => {
  it('finds exactly the pairs a comparison of every pair finds, on random plans', () => {
    const globs = ['src/**', 'src/a/**', 'src/a/x.ts', 'src/b/*.ts', 'src/*/x.ts', 'docs/**', '*.md', 'docs/a.md', '**/x.ts', '{src,docs}/a/**'];
    const keys = ['db:migration-slot', 'api:GET /v1/x', 'flag:beta'];
    const pkg = fc.record({
      deps: fc.array(fc.nat(), { maxLength: 3 }),
      write: fc.subarray(globs, { maxLength: 3 }),
      lockFiles: fc.subarray(globs, { maxLength: 2 }),
      lockKeys: fc.subarray(keys, { maxLength: 2 }),
    });
    fc.assert(
      fc.property(fc.array(pkg, { minLength: 1, maxLength: 18 }), (rows) => {
        // Dependencies on any package: chains, parallel groups, cycles.
        const pkgs: Pkg[] = rows.map((r, i) => ({ id: `p${i}`, deps: [...new Set(r.deps.map((d) => `p${d % rows.length}`))].filter((d) => d !== `p${i}`), write: r.write, lockFiles: r.lockFiles, lockKeys: r.lockKeys }));
        assert.deepEqual(conflictsOf(plan(pkgs)), bruteForceConflicts(pkgs));
      }),
      { numRuns: 300 },
    );
  });

  it('on 3,000 packages that all hold one lock key and write one file, ordered in chains: only the loose packages are reported', () => {
    // 30 chains of 100 packages, one after the other from a root, so every package depends on
    // every earlier one; each writes `shared/x.ts` and its own folder and holds `db:migration-slot`.
    // Ten loose packages each write one chain package's folder: ten pairs, nothing else.
    const pkgs: Pkg[] = [{ id: 'root' }];
    for (let c = 0; c < 30; c++) {
      for (let k = 0; k < 100; k++) {
        const deps = [k > 0 ? `c${c}-${k - 1}` : c > 0 ? `c${c - 1}-99` : 'root'];
        pkgs.push({ id: `c${c}-${k}`, deps, write: [`area${c}/p${k}/**`, 'shared/x.ts'], lockKeys: ['db:migration-slot'] });
      }
    }
    const expected: string[] = [];
    for (let c = 0; c < 30; c += 3) {
      pkgs.push({ id: `loose${c}`, write: [`area${c}/p${c}/notes.md`] });
      expected.push(`c${c}-${c}|loose${c}|write-scope`);
    }
    assert.deepEqual(conflictsOf(plan(pkgs)), expected.sort());
  });

  it(`reports at most ${MAX_OVERLAPS_SHOWN} overlaps per package unless its partner has fewer: 400 parallel packages writing src/** give each package its own, not 80,000`, () => {
    const pkgs: Pkg[] = Array.from({ length: 400 }, (_, i) => ({ id: `p${i}`, write: ['src/**'] }));
    const ds = only(plan(pkgs), 'write-overlap');
    const per = new Map<string, number>();
    for (const d of ds) per.set(d.packageId!, (per.get(d.packageId!) ?? 0) + 1);
    assert.equal(per.size, 400, 'every package is told');
    assert.ok([...per.values()].every((k) => k >= MAX_OVERLAPS_SHOWN), 'each at least the cap');
    assert.ok(ds.length <= 2 * MAX_OVERLAPS_SHOWN * 400, `${ds.length} diagnostics`);
  });
});

describe('checks: large plans, every diagnostic still in place (#15)', () => {
  it('dependency-cycle: a cycle of 5,000 names its first links, how many more and the last, on every member', () => {
    const n = 5000;
    const text = plan(Array.from({ length: n }, (_, i) => ({ id: `p${i}`, deps: [`p${(i + 1) % n}`], flow: true })));
    const ds = only(text, 'dependency-cycle');
    assert.equal(ds.length, n);
    assert.equal(
      ds[0].message,
      'Dependency cycle of 5000 packages: ' +
        Array.from({ length: 10 }, (_, k) => `\`p${k}\` depends on \`p${k + 1}\``).join(', ') +
        ', … 4989 more links …, `p4999` depends on `p0`. Packages on or behind a cycle get no wave and cannot run',
    );
    assert.ok(ds.every((d, k) => slice(text, d) === `p${(k + 1) % n}` && d.packageId === `p${k}`), 'each on its own edge');
  });

  it('dependency-unknown: 20,000 packages each naming an unknown id get the nearest id as the suggestion', () => {
    const n = 20_000;
    const text = plan(Array.from({ length: n }, (_, i) => ({ id: `p${i}`, deps: [`q${(i + 1) % n}`], flow: true })));
    const ds = only(text, 'dependency-unknown');
    assert.equal(ds.length, n);
    for (const k of [0, 1, 9_999, n - 1]) {
      assert.equal(slice(text, ds[k]), `q${(k + 1) % n}`);
      assert.match(ds[k].message, new RegExp(`did you mean \`p${(k + 1) % n}\`\\?$`));
    }
  });

  it('dependency-unknown: one package naming 20,000 unknown ids gets a removal fix on each that removes just it', () => {
    const n = 20_000;
    const ids = Array.from({ length: n }, (_, i) => `zz-unknown-${i}`);
    const text = plan([{ id: 'p', deps: ids, flow: true }]);
    const ds = only(text, 'dependency-unknown');
    assert.equal(ds.length, n);
    for (const k of [0, 1, 12_345, n - 1]) {
      const fixed = applyFix(text, ds[k].fixes!.find((f) => f.title.startsWith('Remove'))!);
      const after = analyzePlan(fixed).plan.packages[0].dependsOn.map((d) => d.value);
      assert.deepEqual(after, ids.filter((_, j) => j !== k), `item ${k}`);
    }
  });

  it('lock-key-namespace: 20,000 keys without a namespace, each once, with no schema-pattern left beside it', () => {
    const n = 20_000;
    const text = plan(Array.from({ length: n }, (_, i) => ({ id: `p${i}`, lockKeys: [`nonamespace${i}`] })));
    const ds = analyzePlan(text).diagnostics;
    assert.equal(ds.filter((d) => d.code === 'lock-key-namespace').length, n);
    assert.equal(ds.filter((d) => d.code === 'schema-pattern').length, 0);
  });
});

describe('checks: a plan written on one line (JSON is YAML; #15)', () => {
  it('10,000 packages on one line: every overlap found, and its fix orders just that pair', () => {
    const n = 10_000;
    const packages = Array.from({ length: n }, (_, i) => ({ package_id: `p${i}`, depends_on: [], scope: { write_allow: [`src/pair${i >> 1}/**`], read_allow: ['**'] } }));
    const text = JSON.stringify({ schema_version: 1, packages }) + '\n';
    const analysis = analyzePlan(text);
    assert.equal(analysis.conflicts.length, n / 2);
    const ds = analysis.diagnostics.filter((d) => d.code === 'write-overlap');
    assert.equal(ds.length, n);
    for (const k of [0, 2_500, n / 2 - 1]) {
      const d = ds.find((x) => x.packageId === `p${2 * k + 1}`)!;
      const fix = d.fixes!.find((f) => f.preferred)!;
      assert.equal(fix.title, `Make \`p${2 * k + 1}\` depend on \`p${2 * k}\``);
      const after = analyzePlan(applyFix(text, fix));
      assert.equal(after.conflicts.length, n / 2 - 1, `pair ${k} ordered`);
      assert.deepEqual(after.plan.packages[2 * k + 1].dependsOn.map((x) => x.value), [`p${2 * k}`]);
    }
  });

  it('offers no new `depends_on` line for a package written as a flow mapping (it would break the text)', () => {
    const text = 'packages:\n  - {package_id: a, scope: {write_allow: [src/**]}}\n  - {package_id: b, scope: {write_allow: [src/**]}}\n';
    const [d] = only(text, 'write-overlap');
    assert.deepEqual(d.fixes, []);
  });
});

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { analyzePlan } from '../../../src/core/plan/analyze';
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

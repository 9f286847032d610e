import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import type { Diagnostic, Fix, Plan, TextEdit, TextRange } from '../../../src/core/plan/model';
import { readPlan, type ReadResult } from '../../../src/core/plan/reader/reader';
import { removePairEdit } from '../../../src/core/plan/reader/planDialects';
import { schemaDiagnostics } from '../../../src/core/plan/schema';
import { LineIndex } from '../../../src/core/plan/text';

/** The 57 real plans of agentic-coding-tools (MIT, see test/fixtures/NOTICE.md). */
const FIXTURES = path.resolve(__dirname, '../../fixtures/act-plans');
const fixtureNames = fs
  .readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

// --- helpers ---------------------------------------------------------------------------------

const codes = (r: ReadResult) => r.diagnostics.map((d) => d.code);
const only = (r: ReadResult, code: string) => r.diagnostics.filter((d) => d.code === code);
const slice = (text: string, range: TextRange) => text.slice(range.start, range.end);

/** Applies edits that do not overlap, last first (what an editor does with one fix). */
function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  let floor = Infinity;
  for (const e of [...edits].sort((a, b) => b.range.start - a.range.start)) {
    if (e.range.end > floor) continue; // overlaps an edit already made
    out = out.slice(0, e.range.start) + e.newText + out.slice(e.range.end);
    floor = e.range.start;
  }
  return out;
}

const applyFix = (text: string, fix: Fix) => applyEdits(text, fix.edits);

function assertInside(text: string, range: TextRange, what: string): void {
  assert.ok(
    Number.isInteger(range.start) &&
      Number.isInteger(range.end) &&
      0 <= range.start &&
      range.start <= range.end &&
      range.end <= text.length,
    `${what}: range ${JSON.stringify(range)} is not inside a text of ${text.length} characters`,
  );
}

/** Every range the reader (and the schema) hands out lies inside the text. */
function assertRangesInside(text: string, r: ReadResult, diagnostics: readonly Diagnostic[] = r.diagnostics): void {
  for (const d of diagnostics) {
    assertInside(text, d.range, `${d.code} diagnostic`);
    for (const fix of d.fixes ?? []) for (const e of fix.edits) assertInside(text, e.range, `${d.code} fix`);
  }
  const plan: Plan = r.plan;
  assertInside(text, plan.packagesRange, 'packagesRange');
  if (plan.feature) assertInside(text, plan.feature.range, 'feature');
  for (const c of plan.contractFiles) assertInside(text, c.range, 'contract file');
  for (const p of plan.packages) {
    for (const range of [p.range, p.idRange, ...Object.values(p.keyRanges)]) assertInside(text, range, `package ${p.id}`);
    const located = [...p.dependsOn, ...p.scope.writeAllow, ...p.scope.readAllow, ...p.scope.deny, ...p.locks.files, ...p.locks.keys];
    for (const l of located) assertInside(text, l.range, `package ${p.id} item`);
    for (const s of p.verification?.steps ?? []) assertInside(text, s.range, `package ${p.id} step`);
  }
}

/** `[code, 1-based line]` of each diagnostic, in text order. */
function codeLines(text: string, diagnostics: readonly Diagnostic[]): [string, number][] {
  const lines = new LineIndex(text);
  return [...diagnostics]
    .sort((a, b) => a.range.start - b.range.start || a.code.localeCompare(b.code))
    .map((d) => [d.code, lines.position(d.range.start).line + 1]);
}

/** One plan in block style, built from package snippets (each indented as a list item). */
const plan = (...packages: string[]) => `schema_version: 1\npackages:\n${packages.join('')}`;

// --- the 57 real plans ----------------------------------------------------------------------

describe('reader: the real plans', () => {
  it('has all 57 fixtures', () => {
    assert.equal(fixtureNames.length, 57);
  });

  for (const name of fixtureNames) {
    it(`reads ${name}`, () => {
      const text = fixture(name);
      const r = readPlan(text);
      // An independent count: the YAML as plain data, dialects included.
      const raw = parseYaml(text) as { packages?: Record<string, unknown>[] | null };
      const rawPackages = raw.packages ?? [];
      assert.equal(r.plan.packages.length, rawPackages.length);
      r.plan.packages.forEach((p, k) => {
        const rawPkg = rawPackages[k];
        assert.equal(p.id, rawPkg.package_id ?? rawPkg.id, 'id (or its dialect `id`)');
        assert.ok(p.id.length > 0);
        assert.ok(slice(text, p.idRange).includes(p.id));
        const rawDeps = (rawPkg.depends_on ?? rawPkg.dependencies ?? []) as string[];
        assert.deepEqual(
          p.dependsOn.map((d) => d.value),
          rawDeps,
        );
        for (const dep of p.dependsOn) assert.ok(slice(text, dep.range).includes(dep.value));
      });
      assert.ok(!codes(r).some((c) => c.startsWith('yaml-') || c === 'internal-error'), codes(r).join());
      assertRangesInside(text, r);
    });
  }

  it('reports drift only in the plans that drift, and never an error', () => {
    const drifting = fixtureNames.filter((name) => readPlan(fixture(name)).diagnostics.length > 0);
    assert.equal(drifting.length, 10);
    for (const name of fixtureNames) {
      for (const d of readPlan(fixture(name)).diagnostics) assert.equal(d.severity, 'warning', `${name}: ${d.message}`);
    }
  });

  it('applying every dialect fix leaves the same plan, with those dialects gone', () => {
    for (const name of fixtureNames) {
      const text = fixture(name);
      const before = readPlan(text);
      const edits = before.diagnostics.flatMap((d) => d.fixes?.[0]?.edits ?? []);
      if (edits.length === 0) continue;
      const after = readPlan(applyEdits(text, edits));
      const fixable = before.diagnostics.filter((d) => d.fixes).length;
      assert.equal(after.diagnostics.length, before.diagnostics.length - fixable, name);
      const shape = (r: ReadResult) =>
        r.plan.packages.map((p) => ({
          id: p.id,
          title: p.title,
          deps: p.dependsOn.map((d) => d.value),
          write: p.scope.writeAllow.map((w) => w.value),
          verification: p.verification && { tier: p.verification.tier, commands: p.verification.steps.map((s) => s.command) },
        }));
      assert.deepEqual(shape(after), shape(before), name);
      assert.deepEqual(after.plan.feature && { id: after.plan.feature.id }, before.plan.feature && { id: before.plan.feature.id }, name);
    }
  });
});

describe('reader: golden diagnostics of real plans', () => {
  it('a canonical plan: no diagnostic, and a full model', () => {
    const text = fixture('2026-03-21-add-dynamic-authorization.work-packages.yaml');
    const r = readPlan(text);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.plan.packages.length, 10);
    assert.equal(r.plan.schemaVersion, 1);
    assert.equal(r.plan.feature?.id, 'add-dynamic-authorization');
    assert.deepEqual(
      r.plan.contractFiles.map((c) => c.value),
      ['openapi/v1.yaml', 'db/schema.sql', 'cedar/schema.cedarschema'].map(
        (f) => `openspec/changes/add-dynamic-authorization/contracts/${f}`,
      ),
    );
    const last = r.plan.packages[9];
    assert.equal(last.id, 'wp-integration');
    assert.deepEqual(
      last.dependsOn.map((d) => d.value),
      ['wp-policy-engine', 'wp-transport'],
    );
    assert.equal(last.verification?.tier, 'A');
    assert.ok(last.verification!.steps.length > 0);
    assert.ok(last.keyRanges['depends_on']);
    assert.equal(slice(text, last.keyRanges['depends_on']), 'depends_on');
  });

  it('`id`, `name`, `dependencies` and `verification: tier_b` (universal-planning-artifacts)', () => {
    const text = fixture('2026-04-04-universal-planning-artifacts.work-packages.yaml');
    const r = readPlan(text);
    assert.deepEqual(codeLines(text, r.diagnostics), [
      ['dialect-field', 8],
      ['dialect-field', 9],
      ['dialect-field', 16],
      ['dialect-value', 29],
    ]);
    assert.deepEqual(
      [...r.diagnostics].sort((x, y) => x.range.start - y.range.start).map((d) => slice(text, d.range)),
      ['id', 'name', 'dependencies', 'tier_b'],
    );
    const [id] = only(r, 'dialect-field').filter((d) => slice(text, d.range) === 'id');
    assert.equal(id.message, '`id` is a dialect of `package_id`; write `package_id`');
    assert.equal(id.packageId, 'wp-main');
    assert.deepEqual(id.fixes?.[0].edits, [{ range: id.range, newText: 'package_id' }]);
    const [tier] = only(r, 'dialect-value');
    assert.equal(slice(text, tier.range), 'tier_b');
    assert.equal(applyFix(text, tier.fixes![0]).split('\n')[28], '    verification: { tier_required: B }');
    const p = r.plan.packages[0];
    assert.equal(p.title, 'Universal planning artifacts — skill definitions and specs');
    assert.equal(p.verification?.tier, 'B');
    assert.deepEqual(p.verification?.steps, []);
    assert.equal(slice(text, p.keyRanges['depends_on']), 'dependencies');
  });

  it('the gen-eval plan: every package has its dialects reported on its own lines', () => {
    const text = fixture('2026-04-04-gen-eval-testing.work-packages.yaml');
    const r = readPlan(text);
    assert.equal(r.plan.packages.length, 12);
    assert.deepEqual(codeLines(text, r.diagnostics).slice(0, 8), [
      ['dialect-field', 6],
      ['dialect-field', 7],
      ['dialect-field', 11],
      ['dialect-value', 26],
      ['dialect-field', 29],
      ['dialect-field', 30],
      ['dialect-field', 34],
      ['dialect-value', 48],
    ]);
    assert.equal(r.diagnostics.length, 12 * 4);
    for (const p of r.plan.packages) {
      const own = r.diagnostics.filter((d) => d.packageId === p.id);
      assert.equal(own.length, 4, p.id);
    }
    assert.deepEqual(
      r.plan.packages[8].dependsOn.map((d) => d.value),
      ['wp-generator', 'wp-evaluator', 'wp-feedback'],
    );
  });

  it('flat scope, `test_command`, `version` and `change_id` (seed-sentinel)', () => {
    const text = fixture('2026-06-07-seed-sentinel-security-eval.work-packages.yaml');
    const r = readPlan(text);
    assert.deepEqual(codeLines(text, r.diagnostics), [
      ['dialect-field', 1],
      ['dialect-field', 2],
      ['dialect-field', 5],
      ['dialect-field', 15],
      ['dialect-field', 18],
      ['dialect-field', 23],
      ['dialect-field', 25],
    ]);
    const p = r.plan.packages[0];
    assert.deepEqual(
      p.scope.writeAllow.map((w) => w.value),
      ['openspec/changes/seed-sentinel-security-eval/**', 'openspec/project.md'],
    );
    assert.equal(p.scope.deny.length, 4);
    assert.deepEqual(
      p.scope.readAllow.map((w) => w.value),
      ['**/*'],
    );
    assert.equal(slice(text, p.keyRanges['scope']), 'write_allow');
    assert.equal(p.verification?.steps[0].kind, 'command');
    assert.match(p.verification!.steps[0].command!, /openspec validate/);
    assert.equal(r.plan.feature?.id, 'seed-sentinel-security-eval');
    assert.equal(r.plan.schemaVersion, 1);
    const moved = r.diagnostics.find((d) => slice(text, d.range) === 'write_deny')!;
    assert.match(moved.message, /`write_deny` is a dialect of `scope.deny`/);
    assert.equal(moved.fixes, undefined, 'moving keys is not an obvious text edit');
  });

  it('`schema_version: "1.0"`, `change_id`, `tier` and `commands` (expose-coordinator-apis)', () => {
    const text = fixture('2026-03-25-expose-coordinator-apis.work-packages.yaml');
    const r = readPlan(text);
    assert.deepEqual(codeLines(text, r.diagnostics).slice(0, 6), [
      ['dialect-value', 1],
      ['dialect-field', 2],
      ['dialect-field', 5],
      ['dialect-field', 31],
      ['dialect-field', 32],
      ['dialect-field', 35],
    ]);
    const steps = r.plan.packages[0].verification!.steps;
    assert.deepEqual(
      steps.map((s) => [s.name, s.kind]),
      [['command-1', 'command']],
    );
    assert.equal(slice(text, steps[0].range), '"scripts/.venv/bin/python -m pytest scripts/tests/test_coordination_bridge*.py -v"');
    const commands = r.diagnostics.find((d) => slice(text, d.range) === 'commands')!;
    const fixed = applyFix(text, commands.fixes![0]);
    assert.match(fixed, /\n {6}steps:\n {8}- name: command-1\n {10}kind: command\n {10}command: "scripts\/\.venv/);
  });
});

// --- each diagnostic code: one case that trips it, one that does not -------------------------

describe('reader: yaml-syntax', () => {
  it('reports each error with its position and recovers what parses', () => {
    const text = plan('  - package_id: a\n    depends_on: [b\n', '  - package_id: b\n');
    const r = readPlan(text);
    const [d] = only(r, 'yaml-syntax');
    assert.equal(d.severity, 'error');
    assert.match(d.message, /^YAML: /);
    assertInside(text, d.range, 'syntax error');
    assert.deepEqual(
      r.plan.packages.map((p) => p.id),
      ['a', 'b'],
    );
  });

  it('duplicate keys and an alias without anchor are syntax errors', () => {
    assert.equal(only(readPlan(plan('  - package_id: a\n    package_id: b\n')), 'yaml-syntax').length, 1);
    const r = readPlan(plan('  - package_id: a\n    depends_on: *nope\n'));
    assert.match(only(r, 'yaml-syntax')[0].message, /unknown alias `\*nope`/);
  });

  it('is not reported for valid YAML', () => {
    assert.deepEqual(only(readPlan(plan('  - package_id: a\n    depends_on: [b]\n')), 'yaml-syntax'), []);
  });
});

describe('reader: yaml-binary', () => {
  it('a NUL byte early: a binary file, not read', () => {
    const r = readPlan('\x89PNG\r\n\x1a\n\0\0\0\rIHDR');
    assert.deepEqual(codes(r), ['yaml-binary']);
    assert.deepEqual(r.plan.packages, []);
    assert.equal(r.data, null);
  });

  it('a NUL byte late in a text: reported, and the rest is read', () => {
    const text = plan('  - package_id: a\n') + `# ${'x'.repeat(9000)}\0\n`;
    const r = readPlan(text);
    assert.deepEqual(codes(r), ['yaml-binary']);
    assert.equal(only(r, 'yaml-binary')[0].range.start, text.indexOf('\0'));
    assert.equal(r.plan.packages.length, 1);
  });

  it('is not reported for text', () => {
    assert.deepEqual(only(readPlan(plan('  - package_id: a\n')), 'yaml-binary'), []);
  });
});

describe('reader: yaml-alias-limit', () => {
  const bomb = [
    'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
    'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
    'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
    'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
    'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
    'f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]',
    'g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]',
    'h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]',
    'i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]',
    'packages:',
    '  - package_id: a',
    '',
  ].join('\n');

  it('stops a billion-laughs document, once, and still reads the plan', () => {
    const r = readPlan(bomb);
    const ds = only(r, 'yaml-alias-limit');
    assert.equal(ds.length, 1);
    assert.equal(ds[0].severity, 'error');
    assert.match(ds[0].message, /more than 100 aliases/);
    assert.equal(r.plan.packages.length, 1);
  });

  it('honours maxAliasCount', () => {
    const text = 'x: &x [1]\ny: [*x, *x, *x]\npackages: []\n';
    assert.deepEqual(only(readPlan(text, { maxAliasCount: 3 }), 'yaml-alias-limit'), []);
    assert.equal(only(readPlan(text, { maxAliasCount: 2 }), 'yaml-alias-limit').length, 1);
    assert.deepEqual(only(readPlan(bomb, { maxAliasCount: -1 }), 'yaml-alias-limit').length, 1, 'the node limit still holds');
  });

  it('an alias inside the node it refers to', () => {
    const r = readPlan('x: &x [1, *x]\npackages: []\n');
    assert.match(only(r, 'yaml-alias-limit')[0].message, /refers to a node that contains it/);
  });

  it('plain aliases and merge keys are read, without a diagnostic', () => {
    const text = [
      'common: &common',
      '  depends_on: [base]',
      '  scope: {write_allow: ["src/**"], read_allow: ["**"]}',
      'packages:',
      '  - package_id: base',
      '  - <<: *common',
      '    package_id: a',
      '  - <<: *common',
      '    package_id: b',
      '    depends_on: [a]',
      '',
    ].join('\n');
    const r = readPlan(text);
    assert.deepEqual(only(r, 'yaml-alias-limit'), []);
    const [, a, b] = r.plan.packages;
    assert.deepEqual(
      a.dependsOn.map((d) => d.value),
      ['base'],
    );
    assert.deepEqual(
      b.dependsOn.map((d) => d.value),
      ['a'],
      "the mapping's own keys win",
    );
    assert.equal(slice(text, a.scope.writeAllow[0].range), '*common', 'a merged value points at the alias');
  });
});

describe('reader: yaml-multi-document', () => {
  it('reads the first document and warns at the second', () => {
    const text = plan('  - package_id: a\n') + '---\npackages:\n  - package_id: b\n';
    const r = readPlan(text);
    const [d] = only(r, 'yaml-multi-document');
    assert.equal(d.severity, 'warning');
    assert.equal(slice(text, d.range), '---');
    assert.deepEqual(
      r.plan.packages.map((p) => p.id),
      ['a'],
    );
  });

  it('is not reported for one document with a start marker', () => {
    assert.deepEqual(only(readPlan('---\n' + plan('  - package_id: a\n')), 'yaml-multi-document'), []);
  });
});

describe('reader: yaml-not-mapping', () => {
  for (const [what, text] of [
    ['empty text', ''],
    ['whitespace', '  \n\t\n'],
    ['only comments', '# a plan, one day\n'],
    ['a list', '- package_id: a\n'],
    ['a scalar', 'hello'],
  ]) {
    it(`${what}: an error, an empty plan`, () => {
      const r = readPlan(text);
      assert.deepEqual(codes(r), ['yaml-not-mapping']);
      assert.equal(r.diagnostics[0].severity, 'error');
      assert.deepEqual(r.plan.packages, []);
      assertRangesInside(text, r);
    });
  }

  it('is not reported for a mapping', () => {
    assert.deepEqual(only(readPlan('packages: []\n'), 'yaml-not-mapping'), []);
  });
});

describe('reader: dialect-field', () => {
  it('renames with a warning naming the canonical field, and a fix', () => {
    const text = plan('  - id: a\n', '  - id: b\n    dependencies: [a]\n    name: B\n');
    const r = readPlan(text);
    assert.deepEqual(
      only(r, 'dialect-field').map((d) => [slice(text, d.range), d.severity, d.packageId]),
      [
        ['id', 'warning', 'a'],
        ['id', 'warning', 'b'],
        ['dependencies', 'warning', 'b'],
        ['name', 'warning', 'b'],
      ],
    );
    const b = r.plan.packages[1];
    assert.deepEqual(
      b.dependsOn.map((d) => d.value),
      ['a'],
    );
    assert.equal(b.title, 'B');
    const fixed = applyEdits(
      text,
      r.diagnostics.flatMap((d) => d.fixes![0].edits),
    );
    assert.equal(fixed, plan('  - package_id: a\n', '  - package_id: b\n    depends_on: [a]\n    title: B\n'));
    assert.deepEqual(readPlan(fixed).diagnostics, []);
  });

  it('the canonical field wins; the dialect is reported as ignored, removable when on its own line', () => {
    const text = plan('  - package_id: a\n    id: z\n    depends_on: []\n    dependencies: [q]\n');
    const r = readPlan(text);
    const p = r.plan.packages[0];
    assert.equal(p.id, 'a');
    assert.deepEqual(p.dependsOn, []);
    const ds = only(r, 'dialect-field');
    assert.equal(ds.length, 2);
    assert.match(ds[0].message, /`id` is a dialect of `package_id`, which is also given; `id` is ignored/);
    const fixed = applyEdits(
      text,
      ds.flatMap((d) => d.fixes![0].edits),
    );
    assert.equal(fixed, plan('  - package_id: a\n    depends_on: []\n'));
  });

  it('`verification.tier` and `commands`', () => {
    const text = plan('  - package_id: a\n    verification:\n      tier: B\n      commands: [make test, "npm run lint"]\n');
    const r = readPlan(text);
    assert.deepEqual(
      only(r, 'dialect-field').map((d) => slice(text, d.range)),
      ['tier', 'commands'],
    );
    const v = r.plan.packages[0].verification!;
    assert.equal(v.tier, 'B');
    assert.deepEqual(
      v.steps.map((s) => [s.name, s.kind, s.command, slice(text, s.range)]),
      [
        ['command-1', 'command', 'make test', 'make test'],
        ['command-2', 'command', 'npm run lint', '"npm run lint"'],
      ],
    );
    const fixed = applyEdits(
      text,
      r.diagnostics.flatMap((d) => d.fixes![0].edits),
    );
    const after = readPlan(fixed);
    assert.deepEqual(after.diagnostics, []);
    assert.equal(after.plan.packages[0].verification?.tier, 'B');
    assert.deepEqual(
      after.plan.packages[0].verification!.steps.map((s) => [s.name, s.command]),
      [
        ['command-1', 'make test'],
        ['command-2', 'npm run lint'],
      ],
    );
  });

  it('`change_id` becomes `feature.id`', () => {
    const text = 'change_id: my-change\npackages: []\n';
    const r = readPlan(text);
    assert.equal(r.plan.feature?.id, 'my-change');
    const fixed = applyFix(text, only(r, 'dialect-field')[0].fixes![0]);
    assert.equal(fixed, 'feature:\n  id: my-change\npackages: []\n');
    assert.deepEqual(readPlan(fixed).diagnostics, []);
  });

  it('fixes keep CRLF line breaks', () => {
    const text = [
      'change_id: c1  # the change',
      'packages:',
      '  - package_id: a',
      '    id: a',
      '    verification:',
      '      commands:',
      '        - make test',
      '',
    ].join('\r\n');
    const r = readPlan(text);
    assert.equal(r.diagnostics.length, 3);
    const fixed = applyEdits(
      text,
      r.diagnostics.flatMap((d) => d.fixes![0].edits),
    );
    assert.ok(!/[^\r]\n/.test(fixed), JSON.stringify(fixed));
    assert.deepEqual(readPlan(fixed).diagnostics, []);
    assert.equal(readPlan(fixed).plan.feature?.id, 'c1');
    assert.equal(readPlan(fixed).plan.packages[0].verification?.steps[0].command, 'make test');
  });

  it('is not reported for canonical fields', () => {
    assert.deepEqual(only(readPlan(plan('  - package_id: a\n    title: A\n    depends_on: []\n')), 'dialect-field'), []);
  });
});

describe('reader: dialect-value', () => {
  it('`verification: tier_b`, a lowercase tier, `schema_version: "1.0"`', () => {
    const text = [
      'schema_version: "1.0"',
      'defaults:',
      '  verification_tier_required: b',
      'packages:',
      '  - package_id: a',
      '    verification: tier_c',
      '  - package_id: b',
      '    verification: {tier_required: Tier A, steps: []}',
      '',
    ].join('\n');
    const r = readPlan(text);
    assert.deepEqual(
      only(r, 'dialect-value').map((d) => [slice(text, d.range), d.fixes?.[0].edits[0].newText]),
      [
        ['"1.0"', '1'],
        ['b', 'B'],
        ['tier_c', '{ tier_required: C }'],
        ['Tier A', 'A'],
      ],
    );
    assert.equal(r.plan.schemaVersion, 1);
    assert.equal(r.plan.defaults.verificationTierRequired, 'B');
    assert.deepEqual(
      r.plan.packages.map((p) => p.verification?.tier),
      ['C', 'A'],
    );
    const fixed = applyEdits(
      text,
      r.diagnostics.flatMap((d) => d.fixes![0].edits),
    );
    assert.deepEqual(readPlan(fixed).diagnostics, []);
  });

  it('is not reported for canonical values, nor for values that are no dialect', () => {
    const r = readPlan(plan('  - package_id: a\n    verification: {tier_required: A}\n  - package_id: b\n    verification: manual\n'));
    assert.deepEqual(only(r, 'dialect-value'), []);
  });
});

describe('reader: internal-error', () => {
  it('a bug becomes a diagnostic, never a throw', () => {
    const options = {
      get maxAliasCount(): number {
        throw new Error('boom');
      },
    };
    const r = readPlan(plan('  - package_id: a\n'), options);
    assert.deepEqual(codes(r), ['internal-error']);
    assert.match(r.diagnostics[0].message, /boom/);
    assert.deepEqual(r.plan.packages, []);
    assert.deepEqual(r.locate(['packages', 0]), { start: 0, end: plan('  - package_id: a\n').length });
  });

  it('is not reported for a good plan', () => {
    assert.deepEqual(only(readPlan(plan('  - package_id: a\n')), 'internal-error'), []);
  });
});

// --- the model and locate -------------------------------------------------------------------

describe('reader: model and ranges', () => {
  const text = [
    'schema_version: 1',
    'feature: {id: feat, title: Feature, plan_revision: 2}',
    'contracts:',
    '  openapi:',
    '    primary: api/v1.yaml',
    '    files: [api/v1.yaml, api/common.yaml]',
    'defaults: {priority: 3, lock_ttl_minutes: 30, timeout_minutes: 45, retry_budget: 2, verification_tier_required: B, min_trust_level: 1}',
    'packages:',
    '  - package_id: api',
    '    title: API',
    '    description: Build it',
    '    task_type: implement',
    '    priority: 2',
    '    depends_on: []',
    '    scope:',
    '      write_allow: ["src/api/**"]',
    '      read_allow: ["**"]',
    '      deny: [secrets/**]',
    '    locks:',
    '      files: [src/api/app.py]',
    '      keys: ["api:GET /v1/x"]',
    '      ttl_minutes: 60',
    '      reason: why',
    '    worktree: {name: wt-api, mode: shared}',
    '    timeout_minutes: 90',
    '    retry_budget: 0',
    '    verification:',
    '      tier_required: A',
    '      steps:',
    '        - {name: unit, kind: command, command: pytest}',
    '    outputs: {result_keys: [done], artifacts: [out.xml]}',
    '  - package_id: web',
    '    depends_on:',
    '      - api',
    '',
  ].join('\n');
  const r = readPlan(text);
  const [api, web] = r.plan.packages;

  it('reads every field', () => {
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.plan.defaults, {
      priority: 3,
      lockTtlMinutes: 30,
      timeoutMinutes: 45,
      retryBudget: 2,
      verificationTierRequired: 'B',
      minTrustLevel: 1,
    });
    assert.deepEqual(
      { id: r.plan.feature?.id, title: r.plan.feature?.title, rev: r.plan.feature?.planRevision },
      { id: 'feat', title: 'Feature', rev: 2 },
    );
    assert.deepEqual(
      r.plan.contractFiles.map((c) => c.value),
      ['api/v1.yaml', 'api/common.yaml'],
    );
    assert.deepEqual(
      {
        title: api.title,
        description: api.description,
        taskType: api.taskType,
        priority: api.priority,
        worktree: api.worktree,
        timeout: api.timeoutMinutes,
        retry: api.retryBudget,
        outputs: api.outputs,
        ttl: api.locks.ttlMinutes,
        reason: api.locks.reason,
        index: web.index,
      },
      {
        title: 'API',
        description: 'Build it',
        taskType: 'implement',
        priority: 2,
        worktree: { name: 'wt-api', mode: 'shared' },
        timeout: 90,
        retry: 0,
        outputs: { resultKeys: ['done'], artifacts: ['out.xml'] },
        ttl: 60,
        reason: 'why',
        index: 1,
      },
    );
  });

  it('gives every value its range', () => {
    assert.equal(slice(text, api.idRange), 'api');
    assert.equal(slice(text, api.scope.writeAllow[0].range), '"src/api/**"');
    assert.equal(slice(text, api.scope.deny[0].range), 'secrets/**');
    assert.equal(slice(text, api.locks.keys[0].range), '"api:GET /v1/x"');
    assert.equal(slice(text, api.locks.files[0].range), 'src/api/app.py');
    assert.equal(slice(text, api.verification!.steps[0].range), '{name: unit, kind: command, command: pytest}');
    assert.equal(slice(text, web.dependsOn[0].range), 'api');
    assert.equal(slice(text, r.plan.contractFiles[1].range), 'api/common.yaml');
    assert.ok(slice(text, api.range).startsWith('package_id: api'));
    assert.ok(slice(text, api.range).endsWith('artifacts: [out.xml]}'));
    assert.deepEqual(Object.keys(api.keyRanges).sort(), [
      'depends_on',
      'description',
      'locks',
      'outputs',
      'package_id',
      'priority',
      'retry_budget',
      'scope',
      'task_type',
      'timeout_minutes',
      'title',
      'verification',
      'worktree',
    ]);
    for (const [key, range] of Object.entries(api.keyRanges)) assert.equal(slice(text, range), key);
    assert.ok(slice(text, r.plan.packagesRange).startsWith('- package_id: api'));
  });

  it('locate: keys, values, and the nearest ancestor for what does not exist', () => {
    assert.equal(slice(text, r.locate(['packages', 0, 'scope', 'write_allow'], 'key')), 'write_allow');
    assert.equal(slice(text, r.locate(['packages', 0, 'scope', 'write_allow', 0])), '"src/api/**"');
    assert.equal(slice(text, r.locate(['packages', '1', 'depends_on', '0'])), 'api', 'string indices work too');
    assert.equal(slice(text, r.locate(['packages', 1, 'scope', 'deny'])), 'package_id: web\n    depends_on:\n      - api');
    assert.equal(slice(text, r.locate(['packages', 0, 'worktree', 'nope'])), 'worktree');
    assert.deepEqual(r.locate([]), { start: 0, end: text.trimEnd().length });
  });

  it('locate maps canonical names back to where the dialect was written', () => {
    const dialect = plan('  - id: a\n    dependencies: [b]\n    verification: tier_b\n');
    const d = readPlan(dialect);
    assert.deepEqual(d.data, {
      schema_version: 1,
      packages: [{ package_id: 'a', depends_on: ['b'], verification: { tier_required: 'B' } }],
    });
    assert.equal(slice(dialect, d.locate(['packages', 0, 'package_id'], 'key')), 'id');
    assert.equal(slice(dialect, d.locate(['packages', 0, 'depends_on'], 'key')), 'dependencies');
    assert.equal(slice(dialect, d.locate(['packages', 0, 'depends_on', 0])), 'b');
    assert.equal(slice(dialect, d.locate(['packages', 0, 'verification', 'tier_required'])), 'tier_b');
  });

  it('wrong types at any level: as much model as can be recovered, never a throw', () => {
    const wrong = [
      'defaults: [1, 2]',
      'feature: just a string',
      'contracts: {openapi: {files: 3}}',
      'packages:',
      '  - just a string',
      '  - [a, list]',
      '  - package_id: 12',
      '    depends_on: a',
      '    scope: ["src/**"]',
      '    locks: {files: {a: 1}, keys: [1, [2], {x: 3}]}',
      '    verification: {steps: [1, {name: [x]}]}',
      '    priority: high',
      '    worktree: [x]',
      '    outputs: 5',
      '  - package_id: ok',
      '',
    ].join('\n');
    const w = readPlan(wrong);
    assert.deepEqual(w.diagnostics, []);
    assert.deepEqual(
      w.plan.packages.map((p) => [p.index, p.id]),
      [
        [2, '12'],
        [3, 'ok'],
      ],
    );
    const p = w.plan.packages[0];
    assert.deepEqual(
      p.dependsOn.map((d) => [d.value, slice(wrong, d.range)]),
      [['a', 'a']],
    );
    assert.deepEqual(
      p.locks.keys.map((k) => k.value),
      ['1'],
    );
    assert.deepEqual(p.scope.writeAllow, []);
    assert.equal(p.priority, undefined);
    assert.equal(p.worktree, undefined);
    assert.deepEqual(
      p.verification?.steps.map((s) => s.name),
      [''],
    );
    assert.equal(w.plan.feature, undefined);
    assert.deepEqual(w.plan.defaults, {});
    assertRangesInside(wrong, w, [...w.diagnostics, ...schemaDiagnostics(w)]);
  });

  it('an empty `packages:` (every package commented out) is an empty list', () => {
    const r2 = readPlan('packages:\n  # - package_id: a\n');
    assert.deepEqual(r2.data, { packages: [] });
    assert.deepEqual(r2.diagnostics, []);
    assert.equal(r2.plan.packagesRange.start, 0, 'at the `packages` key');
  });

  it('keys such as `__proto__` are plain data', () => {
    const r2 = readPlan(plan('  - package_id: a\n    __proto__: {polluted: true}\n'));
    const pkg = (r2.data as { packages: Record<string, unknown>[] }).packages[0];
    assert.deepEqual(Object.keys(pkg), ['package_id', '__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

// --- robustness -----------------------------------------------------------------------------

describe('reader: robustness', () => {
  /** Reading (and validating) never throws, and every range is inside the text. */
  function assertSafe(text: string): void {
    const r = readPlan(text);
    assert.ok(!codes(r).includes('internal-error'), r.diagnostics.map((d) => d.message).join('\n'));
    const schema = schemaDiagnostics(r);
    assertRangesInside(text, r, [...r.diagnostics, ...schema]);
  }

  it('fuzz: random text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ unit: 'grapheme-ascii', maxLength: 400 })), (text) =>
        assertSafe(text),
      ),
      { numRuns: 400 },
    );
  });

  it('fuzz: random YAML-ish text', () => {
    const token = fc.constantFrom(
      'packages:',
      '- ',
      'id: a',
      'package_id: b',
      ': ',
      '\n',
      '  ',
      '[',
      ']',
      '{',
      '}',
      ',',
      '&x ',
      '*x',
      '<<: ',
      '"',
      "'",
      '#',
      '|',
      '>',
      '---',
      '? ',
      '!!str ',
      'verification: tier_b',
      'dependencies:',
      '\t',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), (tokens) => assertSafe(tokens.join(''))),
      { numRuns: 500 },
    );
  });

  it('fuzz: mutations of real plans (cut a range, duplicate lines, change indentation)', () => {
    const texts = [
      '2026-04-04-gen-eval-testing.work-packages.yaml',
      '2026-03-25-expose-coordinator-apis.work-packages.yaml',
      'template.work-packages.yaml',
      '2026-03-21-add-dynamic-authorization.work-packages.yaml',
    ].map(fixture);
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), length: fc.nat({ max: 200 }) }),
      fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
      fc.record({
        kind: fc.constant('indent' as const),
        at: fc.nat(),
        length: fc.integer({ min: 1, max: 6 }),
        by: fc.integer({ min: -4, max: 4 }),
      }),
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(),
        what: fc.constantFrom(':', '-', '[', '"', '*', '&a', '\0', '\t', '\r', '\uD800', '---\n'),
      }),
    );
    fc.assert(
      fc.property(fc.nat(texts.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, mutations) => {
        let text = texts[which];
        for (const m of mutations) {
          const at = m.at % (text.length + 1);
          if (m.kind === 'cut') text = text.slice(0, at) + text.slice(at + m.length);
          else if (m.kind === 'insert') text = text.slice(0, at) + m.what + text.slice(at);
          else {
            const lines = text.split('\n');
            const first = at % lines.length;
            const chosen = lines.slice(first, first + m.length);
            const changed =
              m.kind === 'duplicate'
                ? [...chosen, ...chosen]
                : chosen.map((l) => (m.by >= 0 ? ' '.repeat(m.by) + l : l.replace(new RegExp(`^ {0,${-m.by}}`), '')));
            lines.splice(first, chosen.length, ...changed);
            text = lines.join('\n');
          }
        }
        assertSafe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('odd but valid inputs', () => {
    for (const text of [
      '\uFEFFpackages: []\n',
      'packages: []\r\n',
      'packages:\r\n  - package_id: a\r\n    depends_on: [b]\r\n',
      '%YAML 1.2\n---\npackages: []\n...\n',
      '? [complex, key]\n: 1\npackages: []\n',
      'packages: [{package_id: a}, [package_id: b]]\n',
      'packages:\n  - !!binary aGVsbG8=\n  - package_id: !custom a\n',
      `packages:\n${'  - package_id: a\n    depends_on: [' + 'x, '.repeat(5000) + 'x]\n'}`,
      `${'['.repeat(2000)}${']'.repeat(2000)}`,
      `a:${'\n  - b:'.repeat(300)}`,
    ]) {
      assertSafe(text);
    }
  });

  it('reads a generated plan of 3,000 packages (~3 MB)', () => {
    const pkg = (i: number) =>
      [
        `  - package_id: wp-${i}`,
        `    title: "Package ${i}"`,
        '    task_type: implement',
        `    description: "Implements part ${i} of the feature, with its tests and documentation, as planned."`,
        `    depends_on: [${i > 0 ? `wp-${i - 1}` : ''}]`,
        '    locks:',
        `      files: ["src/pkg${i}/module.py"]`,
        `      keys: ["api:GET /v1/pkg${i}"]`,
        '    scope:',
        `      write_allow: ["src/pkg${i}/**", "tests/pkg${i}/**"]`,
        '      read_allow: ["src/**", "contracts/**"]',
        '      deny: ["src/frontend/**"]',
        `    worktree: {name: wp-${i}, mode: isolated}`,
        '    timeout_minutes: 60',
        '    verification:',
        '      tier_required: A',
        '      steps:',
        `        - {name: unit-tests, kind: command, command: "pytest tests/pkg${i}/ -v --maxfail=1 --tb=short --cov=src/pkg${i}", expect_exit_code: 0}`,
        `        - {name: lint, kind: command, command: "ruff check src/pkg${i} tests/pkg${i} && mypy src/pkg${i} --strict"}`,
        `    outputs: {result_keys: [files_modified, test_count], artifacts: ["artifacts/wp-${i}/pytest.xml", "artifacts/wp-${i}/coverage.xml"]}`,
        '',
      ].join('\n');
    const text = 'schema_version: 1\npackages:\n' + Array.from({ length: 3000 }, (_, i) => pkg(i)).join('');
    assert.ok(text.length > 2_000_000, `${text.length} characters`);
    const r = readPlan(text);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.plan.packages.length, 3000);
    assert.equal(r.plan.packages[2999].id, 'wp-2999');
    assert.equal(slice(text, r.plan.packages[2999].dependsOn[0].range), 'wp-2998');
    assert.deepEqual(schemaDiagnostics(r), []);
  });
});

describe('package inputs', () => {
  it('keeps `inputs` as plain JSON data, in the order written', () => {
    const text = [
      'packages:',
      '  - package_id: a',
      '    inputs:',
      '      depends_on_artifacts: [x.json, y.json]',
      '      note: "read x first"',
      '      limits: {max: 3, strict: true, none: null}',
      '  - package_id: b',
      '    inputs: {}',
      '  - package_id: c',
      '',
    ].join('\n');
    const [a, b, c] = readPlan(text).plan.packages;
    assert.deepEqual(a.inputs, {
      depends_on_artifacts: ['x.json', 'y.json'],
      note: 'read x first',
      limits: { max: 3, strict: true, none: null },
    });
    assert.deepEqual(Object.keys(a.inputs as object), ['depends_on_artifacts', 'note', 'limits']);
    assert.deepEqual(b.inputs, {});
    assert.equal('inputs' in c, false);
  });

  it('keeps a `__proto__` key as data, never as the prototype', () => {
    const [a] = readPlan('packages:\n  - package_id: a\n    inputs: {"__proto__": {polluted: 1}}\n').plan.packages;
    assert.equal(Object.getPrototypeOf(a.inputs), Object.prototype);
    assert.deepEqual(Object.keys(a.inputs as object), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('reader: fixes on a plan written on one line (#15)', () => {
  /** The line-based helpers as they were, reading whole lines (the reference). */
  function removePairEditByLines(text: string, key: TextRange, value: TextRange): TextEdit | undefined {
    const start = text.lastIndexOf('\n', key.start - 1) + 1;
    if (text.slice(start, key.start).trim() !== '') return undefined;
    const end = Math.max(key.end, value.end);
    const i = text.indexOf('\n', end);
    const lineEnd = (i === -1 ? text.length : i) > end && text.charCodeAt((i === -1 ? text.length : i) - 1) === 13 ? (i === -1 ? text.length : i) - 1 : i === -1 ? text.length : i;
    if (!/^[ \t]*(#.*)?$/.test(text.slice(end, lineEnd))) return undefined;
    return { range: { start, end: i === -1 ? text.length : i + 1 }, newText: '' };
  }

  it('removing a key gives the edit of the line-based reading, whatever the blanks, comments and line ends around', () => {
    const piece = fc.constantFrom(' ', '\t', '\n', '\r', '\r\n', '#', 'a', ':', ',', '\u2028', '\u00a0');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.nat(), fc.nat(), fc.nat(), (pieces, a, b, c) => {
        const text = pieces.join('');
        const [s, e, v] = [a, b, c].map((x) => x % (text.length + 1)).sort((x, y) => x - y);
        fc.pre(s < e && text[s] !== '\n' && text[s] !== '\r'); // a key: some text, not a line break
        const key = { start: s, end: e };
        const value = { start: e, end: v };
        assert.deepEqual(removePairEdit(text, key, value), removePairEditByLines(text, key, value));
      }),
      { numRuns: 3000 },
    );
  });

  it('20,000 packages on one line, each with an unknown field: each gets its diagnostic at the key, and no removal edit (the line holds more)', () => {
    const n = 20_000;
    const text = JSON.stringify({ schema_version: 1, packages: Array.from({ length: n }, (_, i) => ({ package_id: `p${i}`, bogus: i })) }) + '\n';
    const ds = schemaDiagnostics(readPlan(text)).filter((d) => d.code === 'unknown-field');
    assert.equal(ds.length, n);
    for (const k of [0, 9_999, n - 1]) {
      assert.equal(text.slice(ds[k].range.start, ds[k].range.end), '"bogus"');
      assert.equal(ds[k].fixes, undefined);
    }
  });
});

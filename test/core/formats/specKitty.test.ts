import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { convertToWorkPackages } from '../../../src/core/formats/convert';
import { detectFormat, readForeignPlan } from '../../../src/core/formats/foreignPlan';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { codes, deps, folderFiles, readFolder } from './fixtures';

const REAL = 'spec-kitty/write-path-integrity-01KZZD69';

describe('Spec Kitty work packages', () => {
  it('a tasks/ folder: one package a WP, dependencies explicit, owned_files as write scope', () => {
    const r = readFolder(REAL);
    assert.equal(r.format, 'spec-kitty');
    assert.equal(r.plan.feature?.id, 'write-path-integrity-01kzzd69');
    assert.deepEqual(r.plan.packages.map((p) => p.id), ['wp01', 'wp02', 'wp03', 'wp04']);
    assert.deepEqual(deps(r, 'wp03'), ['wp01']);
    assert.deepEqual(deps(r, 'wp04'), ['wp02', 'wp03']);
    assert.equal(r.plan.packages[0].title, 'Unify the git-topology primitive (#3373)');
    assert.equal(r.packages[0].phase, 'Phase 1 - Substrate');
    assert.deepEqual(r.plan.packages[3].scope.writeAllow.map((w) => w.value), ['tests/architectural/test_wp_integrity_partition_call_shape.py', 'tests/integration/test_wp_integrity_crash_recovery.py']);
    assert.match(r.plan.packages[0].description ?? '', /^Subtasks: T001, T002, T003, T004, T005, T006\.\n# Work Package Prompt: WP01/);
    assert.deepEqual(r.diagnostics, []); // every WP declares its files; none may run in parallel with another on one file
  });

  it('positions: ids, dependencies and owned files where they are written, in their own file', () => {
    const r = readFolder(REAL);
    r.plan.packages.forEach((p, i) => assert.equal(r.at(r.packages[i].file, p.idRange), `WP0${i + 1}`));
    const wp4 = r.packages[3];
    assert.equal(wp4.file, `${REAL}/tasks/WP04-arch-gate-and-pins.md`);
    assert.deepEqual(wp4.dependencies.map((d) => r.at(wp4.file, d.range)), ['WP02', 'WP03']);
    assert.equal(r.at(wp4.file, wp4.declaredWrites[1].range), 'tests/integration/test_wp_integrity_crash_recovery.py');
  });

  it('bad input: cycle, unknown, duplicate, no owned_files, the older lane layout', () => {
    const r = readFolder('spec-kitty/broken');
    assert.deepEqual(r.plan.packages.map((p) => p.id), ['wp01', 'wp02', 'wp03', 'wp04']);
    const cycle = codes(r, 'foreign-dependency-cycle');
    assert.equal(cycle.length, 1);
    assert.equal(r.at(cycle[0].file, cycle[0].range), 'WP01');
    assert.equal(cycle[0].file, 'spec-kitty/broken/tasks/WP02-api.md');
    const unknown = codes(r, 'foreign-dependency-unknown');
    assert.equal(r.at(unknown[0].file, unknown[0].range), 'WP07');
    const dup = codes(r, 'foreign-duplicate-id');
    assert.equal(dup[0].file, 'spec-kitty/broken/tasks/WP05-again.md');
    const noScope = codes(r, 'foreign-no-write-scope');
    assert.equal(noScope.length, 1);
    assert.deepEqual(r.packages[1].writeGuesses.map((g) => g.value), ['src/api/albums.py', 'src/app.py']);
    assert.equal(r.packages[3].done, true); // tasks/done/, lane: done
    assert.deepEqual(r.plan.packages[0].scope.writeAllow.map((w) => w.value), ['db/migrations/**', 'src/db/schema.py']);
    assert.ok(r.notes.some((n) => /1 of 5 work packages have no `dependencies`/.test(n)));
  });

  it('one WP file read alone (detectFormat, readForeignPlan)', () => {
    const file = folderFiles(REAL).find((f) => f.path.endsWith('WP03-checkout-identity-seam-b.md'))!;
    assert.equal(detectFormat(file.path, file.text), 'spec-kitty');
    const r = readForeignPlan(file.path, file.text);
    assert.deepEqual(r.plan.packages.map((p) => p.id), ['wp03']);
    assert.equal(codes(r, 'foreign-dependency-unknown')[0].file, file.path); // WP01 is not among the files read
  });

  it('round trip: the checker reads back the packages and dependencies', () => {
    for (const rel of [REAL, 'spec-kitty/broken']) {
      const r = readFolder(rel);
      const a = analyzePlan(convertToWorkPackages(r));
      assert.deepEqual(a.plan.packages.map((p) => p.id), r.plan.packages.map((p) => p.id));
      a.plan.packages.forEach((p, i) => assert.deepEqual(p.dependsOn.map((d) => d.value), r.packages[i].dependencies.map((d) => d.id), p.id));
      for (const d of a.diagnostics.filter((x) => x.severity === 'error')) assert.match(d.code, /^(write-overlap|dependency-cycle)$/, d.message);
    }
    assert.ok(analyzePlan(convertToWorkPackages(readFolder(REAL))).valid);
  });
});

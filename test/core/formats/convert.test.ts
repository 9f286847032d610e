/**
 * Converting then reading back: the exact checker (analyzePlan) reads every fixture's
 * work-packages.yaml with the dependencies the reader found, implied ones marked.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { convertToWorkPackages } from '../../../src/core/formats/convert';
import { readForeignPlan } from '../../../src/core/formats/foreignPlan';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { fixture, fixtureNames, read } from './fixtures';

const FORMATS = ['spec-kit', 'kiro', 'taskmaster', 'beads', 'openspec'];

describe('convertToWorkPackages', () => {
  for (const format of FORMATS) {
    for (const name of fixtureNames(format)) {
      it(`${format}/${name}: the checker reads back the same packages and dependencies`, () => {
        const r = read(format, name);
        const yaml = convertToWorkPackages(r);
        const a = analyzePlan(yaml);
        assert.deepEqual(a.plan.packages.map((p) => p.id), r.plan.packages.map((p) => p.id));
        a.plan.packages.forEach((p, i) => assert.deepEqual(p.dependsOn.map((d) => d.value), r.packages[i].dependencies.map((d) => d.id), p.id));
        // Only what the source itself gets wrong (a cycle) or what a parallel run must settle
        // (two packages that may write one file) is an error of the plan written.
        for (const d of a.diagnostics.filter((x) => x.severity === 'error')) assert.match(d.code, /^(write-overlap|dependency-cycle)$/, d.message);
      });
    }
  }

  it('marks implied dependencies and guessed scopes in comments, explicit ones not', () => {
    const yaml = convertToWorkPackages(read('spec-kit', '001-photo-albums.tasks.md'));
    assert.match(yaml, /- package_id: t014\n(.*\n)*? {4}depends_on:\n {6}- t013\n {6}- t012 {2}# implied: the order of tasks in "Phase 4/);
    assert.match(yaml, /- "backend\/src\/storage\/albums\.py" {2}# guess: named in the task text/);
    assert.match(convertToWorkPackages(read('spec-kit', 'tasks-template.md')), /write_allow: \[\] {2}# none declared or named/);
  });

  it('property: random task lists keep their dependencies through the round trip', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 60; round++) {
      const n = 1 + rand(12);
      const tasks = Array.from({ length: n }, (_, i) => {
        const on = Array.from({ length: rand(3) }, () => rand(n)).filter((j) => j < i); // no cycles
        return { id: i + 1, title: `Task ${i + 1} in src/m${rand(4)}.ts`, dependencies: [...new Set(on.map((j) => j + 1))], subtasks: rand(2) ? [{ id: 1, title: 'sub', dependencies: [] }] : [] };
      });
      const r = readForeignPlan('tasks.json', JSON.stringify({ master: { tasks } }, null, 2));
      const a = analyzePlan(convertToWorkPackages(r));
      const back = new Map(a.plan.packages.map((p) => [p.id, p.dependsOn.map((d) => d.value).sort()]));
      for (const t of tasks) assert.deepEqual(back.get(`task-${t.id}`), t.dependencies.map((d) => `task-${d}`).sort());
      assert.ok(!a.diagnostics.some((d) => d.code === 'dependency-unknown' || d.code.startsWith('schema-')), JSON.stringify(a.diagnostics[0]));
    }
  });

  it('a file of no known format converts to an empty plan the checker still reads', () => {
    const { text } = fixture('kiro', 'photo-albums-en.tasks.md');
    const r = readForeignPlan('notes.txt', text.replace(/- \[ \]/g, '*'));
    assert.equal(r.format, null);
    assert.ok(analyzePlan(convertToWorkPackages(r)).plan.packages.length === 0);
  });
});

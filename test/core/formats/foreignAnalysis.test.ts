/**
 * A task list as the editor shows it (analyzeForeign): a plan analysis of the source text itself,
 * the reader's diagnostics and the exact checker's findings on the converted plan, each on the
 * task it concerns; and the same analysis made in another thread (its portable part).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { convertToWorkPackages } from '../../../src/core/formats/convert';
import { analyzeForeign, convertedFindings, fromPortableForeign, readForConversion, taskRangeIn, toPortableForeign } from '../../../src/core/formats/foreignAnalysis';
import { readForeignPlan } from '../../../src/core/formats/foreignPlan';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { at, fixture, fixtureNames } from './fixtures';

const ONE_FILE = ['spec-kit', 'kiro', 'taskmaster', 'beads', 'openspec'];

/** `line:col severity code text-at-range`, 1-based, for a diagnostic of the analysis. */
function shown(a: NonNullable<ReturnType<typeof analyzeForeign>>, code: string): string[] {
  return a.diagnostics
    .filter((d) => d.code === code)
    .map((d) => {
      const p = a.lines.position(d.range.start);
      return `${p.line + 1}:${p.column + 1} ${d.severity} ${at(a.text, d.range)}`;
    });
}

describe('analyzeForeign', () => {
  it('spec-kit tasks.md: the plan of its own text, its waves, and each problem on the task it concerns', () => {
    const { text } = fixture('spec-kit', '001-photo-albums.tasks.md');
    const a = analyzeForeign('specs/001-photo-albums/tasks.md', text)!;
    assert.equal(a.text, text);
    assert.equal(a.foreign.format, 'spec-kit');
    assert.equal(a.foreign.formatName, 'spec-kit tasks.md');
    assert.equal(a.plan.feature?.id, 'feature-001-photo-albums');
    assert.deepEqual(a.graph.waves, [['t001'], ['t002', 't003'], ['t004'], ['t005', 't006'], ['t007', 't008', 't009', 't012', 't013'], ['t010', 't014'], ['t011'], ['t015'], ['t016']]);
    // Every package's id is the task id in the text; the scope guesses go with it.
    for (const p of a.plan.packages) assert.equal(at(text, p.idRange), p.id.toUpperCase());
    assert.deepEqual(a.foreign.packages[4].writeGuesses.map((g) => g.value), ['backend/src/storage/albums.py']);
    // No write scope: a warning on each task, with the paths its text names.
    assert.equal(shown(a, 'foreign-no-write-scope').length, 16);
    assert.match(a.diagnostics.find((d) => d.code === 'foreign-no-write-scope' && d.packageId === 't005')!.message, /names `backend\/src\/storage\/albums\.py`: a guess/);
    // A dependency only implied by order or phase: on the waiting task.
    assert.ok(shown(a, 'foreign-implied-dependency').includes('43:7 info T014'));
    // Two tasks that may run in parallel naming one file: the reader's warning at the path, and the
    // exact checker's overlap (its witness) on both tasks' ids.
    assert.deepEqual(shown(a, 'foreign-parallel-same-file'), ['42:41 warning backend/src/api/albums.py']);
    assert.deepEqual(shown(a, 'write-overlap'), ['35:7 error T011', '42:7 error T013']);
    assert.match(a.diagnostics.find((d) => d.code === 'write-overlap')!.message, /backend\/src\/api\/albums\.py/);
    // The other package is named by its task's id in the task list, not the converted plan's.
    assert.match(a.diagnostics.find((d) => d.code === 'write-overlap' && d.packageId === 't011')!.message, /of `T013`, which may run/);
    assert.deepEqual(a.conflicts, [{ a: 't011', b: 't013', kind: 'write-scope', witness: 'backend/src/api/albums.py' }]);
    assert.equal(a.valid, false);
    // In text order, as a plan's.
    assert.deepEqual(
      a.diagnostics.map((d) => d.range.start),
      [...a.diagnostics.map((d) => d.range.start)].sort((x, y) => x - y),
    );
  });

  for (const format of ONE_FILE) {
    for (const name of fixtureNames(format)) {
      it(`${format}/${name}: the same packages and dependencies as the reader, every range inside the text`, () => {
        const { file, text } = fixture(format, name);
        const a = analyzeForeign(file, text);
        const r = readForeignPlan(file, text);
        if (r.format === null) return assert.equal(a, null);
        assert.ok(a);
        assert.deepEqual(a.plan.packages.map((p) => [p.id, p.dependsOn.map((d) => d.value)]), r.plan.packages.map((p) => [p.id, p.dependsOn.map((d) => d.value)]));
        for (const d of a.diagnostics) assert.ok(d.range.start >= 0 && d.range.end <= text.length && d.range.start <= d.range.end, `${d.code} ${JSON.stringify(d.range)}`);
        assert.ok(!a.diagnostics.some((d) => d.fixes?.length), 'no quick fix: its edits would be of another text');
      });
    }
  }

  it('a file of no known format, and a file of a format read a folder at a time, are no plan here', () => {
    assert.equal(analyzeForeign('notes/tasks.md', '# Shopping\n\n* milk\n* bread\n'), null);
    const { text } = fixture('gsd', 'phases/01-test/01-01-PLAN.md');
    assert.equal(analyzeForeign('.planning/phases/01-test/01-01-PLAN.md', text), null);
    assert.equal(readForConversion('notes/tasks.md', '# Shopping\n'), null);
  });

  it('a byte-order mark is not part of the text the ranges are into', () => {
    const { text } = fixture('spec-kit', '001-photo-albums.tasks.md');
    const a = analyzeForeign('tasks.md', `\ufeff${text}`)!;
    assert.equal(a.text, text);
    assert.equal(at(a.text, a.plan.packages[0].idRange), 'T001');
  });

  it('made in another thread: the portable part survives a structured clone and gives the same analysis back', () => {
    const { text } = fixture('taskmaster', 'tagged.tasks.json');
    const a = analyzeForeign('.taskmaster/tasks/tasks.json', text)!;
    const back = fromPortableForeign(text, structuredClone(toPortableForeign(a)));
    assert.deepEqual(back.plan, a.plan);
    assert.deepEqual(back.diagnostics, a.diagnostics);
    assert.deepEqual(back.foreign, a.foreign);
    assert.deepEqual(back.graph.waves, a.graph.waves);
    assert.deepEqual(back.lines.position(text.length - 1), a.lines.position(text.length - 1));
  });
});

describe('convertedFindings', () => {
  it("keeps the converted plan's errors and warnings the reader does not make, on the package's id, without fixes", () => {
    const { text } = fixture('spec-kit', '001-photo-albums.tasks.md');
    const r = readForeignPlan('tasks.md', text);
    const converted = analyzePlan(convertToWorkPackages(r));
    assert.ok(converted.diagnostics.some((d) => d.code === 'write-allow-empty' || d.code === 'write-overlap'));
    const found = convertedFindings(r, converted);
    assert.deepEqual(
      found.map((d) => `${d.code} ${d.packageId} ${at(text, d.range)}`),
      ['write-overlap t011 T011', 'write-overlap t013 T013'],
    );
    assert.ok(found.every((d) => d.fixes === undefined && d.severity !== 'info'));
  });
});

describe('taskRangeIn', () => {
  it("finds a task's id in a one-file task list, a byte-order mark counted; null for no such task, no task list, or a folder's file", () => {
    const { text } = fixture('spec-kit', '001-photo-albums.tasks.md');
    const r = taskRangeIn('specs/001/tasks.md', text, 'T005')!;
    assert.equal(at(text, r), 'T005');
    const withBom = `\ufeff${text}`;
    const b = taskRangeIn('specs/001/tasks.md', withBom, 'T005')!;
    assert.deepEqual(b, { start: r.start + 1, end: r.end + 1 });
    assert.equal(taskRangeIn('specs/001/tasks.md', text, 'T999'), null);
    assert.equal(taskRangeIn('notes.md', 'just words\n', 'T005'), null);
    assert.equal(taskRangeIn('.planning/phases/01-x/01-01-PLAN.md', '---\nphase: 01-x\nplan: 01\nwave: 1\n---\n# Plan\n', '01-01'), null);
  });
});

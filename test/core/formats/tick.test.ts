/**
 * The round trip: tasks ticked in their own file as the person would tick them, only the mark
 * changing, on the real task lists of test/fixtures/formats.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { readForeignPlan, readTasks } from '../../../src/core/formats/foreignPlan';
import { convertToWorkPackages } from '../../../src/core/formats/convert';
import { tickTasks } from '../../../src/core/formats/tick';
import { sourceFilesOf, sourceLinkOf } from '../../../src/core/formats/sourceLink';
import { analyzePlan } from '../../../src/core/plan/analyze';
import type { ForeignFormat } from '../../../src/core/formats/foreignModel';
import { fixture, fixtureNames } from './fixtures';

/** The bytes that differ between two texts of the same length, as `offset:old→new`. */
function changes(a: string, b: string): string[] {
  assert.equal(b.length, a.length, 'only marks change');
  const out: string[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) out.push(`${i}:${a[i]}→${b[i]}`);
  return out;
}

const undone = (format: ForeignFormat, text: string, options: { tag?: string } = {}) =>
  readTasks(format, text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, options).tasks.filter((t) => !t.done).map((t) => t.key);

describe('tickTasks', () => {
  for (const format of ['spec-kit', 'kiro', 'openspec'] as const) {
    for (const name of fixtureNames(format).filter((n) => !/broken|template/.test(n))) {
      it(`${format}/${name}: each open task's box is ticked, nothing else changes, and the reader then reads it done`, () => {
        // Every box opened first, so that a list done already is tried too.
        const text = fixture(format, name).text.replace(/^(\s*[-*] \[)[xX](\])/gm, '$1 $2');
        const open = undone(format, text);
        // A task written as a heading (an OpenSpec section, a spec-kit `### T001: …`) has no box.
        const tasks = readTasks(format, text).tasks;
        const boxed = open.filter((k) => {
          const at = tasks.find((t) => t.key === k)!.range.start;
          return text[text.lastIndexOf('\n', at - 1) + 1] !== '#';
        });
        assert.ok(open.length > 0, 'the fixture has open tasks');
        if (boxed.length === 0) {
          // Only headings: nothing to tick, and each is said to have no mark of its own.
          const r = tickTasks(format, text, open)!;
          assert.equal(r.text, text);
          assert.deepEqual(r.unmarked, open);
          return;
        }
        const pick = boxed.slice(0, 3);
        const r = tickTasks(format, text, pick)!;
        assert.deepEqual(r.ticked, pick);
        assert.deepEqual(r.missing, []);
        const diff = changes(text, r.text);
        assert.equal(diff.length, pick.length);
        for (const d of diff) assert.match(d, /: →x$/);
        const after = undone(format, r.text);
        for (const k of pick) assert.ok(!after.includes(k), k);
        assert.deepEqual(after.filter((k) => boxed.includes(k)), boxed.filter((k) => !pick.includes(k)));
        // Ticking again changes nothing and says so.
        const again = tickTasks(format, r.text, pick)!;
        assert.equal(again.text, r.text);
        assert.deepEqual(again.already, pick);
      });
    }
  }

  it('spec-kit: a line that only looks like a task outside the task list is never touched, CRLF and a byte-order mark are kept', () => {
    const text = '\ufeff# Tasks: X\r\n\r\n## Phase 1: Setup\r\n\r\n- [ ] T001 Create src/a.ts\r\n- [ ] T002 [P] Create src/b.ts\r\n\r\n```\r\n- [ ] T002 in a code block\r\n```\r\n';
    const r = tickTasks('spec-kit', text, ['T002', 'T009'])!;
    assert.deepEqual(r.ticked, ['T002']);
    assert.deepEqual(r.missing, ['T009']);
    assert.equal(r.text, text.replace('- [ ] T002 [P]', '- [x] T002 [P]'));
    assert.ok(r.text.startsWith('\ufeff'));
  });

  it('taskmaster: the task\'s own status becomes "done", never a sub-task\'s; a sub-task by its dotted id', () => {
    const { text } = fixture('taskmaster', 'tagged.tasks.json');
    for (const tag of ['master', 'feature-db']) {
      const open = undone('taskmaster', text, { tag });
      if (open.length === 0) continue;
      const r = tickTasks('taskmaster', text, open, { tag })!;
      assert.deepEqual(r.ticked, open);
      assert.deepEqual(undone('taskmaster', r.text, { tag }), []);
      const before = JSON.parse(text);
      const after = JSON.parse(r.text);
      // Only statuses changed: the same document with every status of that tag read as done.
      const statuses = (doc: { [k: string]: { tasks: { status: string; subtasks?: { status: string }[] }[] } }) =>
        doc[tag].tasks.flatMap((t) => [t.status, ...(t.subtasks ?? []).map((s) => s.status)]);
      assert.ok(statuses(after).every((s) => /^(done|completed|cancelled)$/.test(s)), tag);
      for (const t of Object.keys(before)) if (t !== tag) assert.deepEqual(after[t], before[t], 'other tags unchanged');
    }
  });

  it('taskmaster: ticking a parent leaves its open sub-tasks open', () => {
    const text = '{"tasks":[{"id":1,"title":"A","status":"pending","dependencies":[],"subtasks":[{"id":1,"title":"A1","status":"pending","dependencies":[]}]}]}';
    const r = tickTasks('taskmaster', text, ['1'])!;
    assert.equal(r.text, text.replace('"status":"pending"', '"status":"done"'));
    assert.deepEqual(undone('taskmaster', r.text), ['1.1']);
  });

  for (const name of fixtureNames('beads')) {
    it(`beads/${name}: an open issue's status becomes "closed" on its own line only`, () => {
      const { text } = fixture('beads', name);
      const open = undone('beads', text);
      if (open.length === 0) return assert.equal(tickTasks('beads', text, ['bd-1'])!.text, text);
      const r = tickTasks('beads', text, [open[0]])!;
      assert.deepEqual(r.ticked, [open[0]]);
      const a = text.split('\n');
      const b = r.text.split('\n');
      assert.equal(a.length, b.length);
      const changed = a.map((l, i) => (l === b[i] ? -1 : i)).filter((i) => i >= 0);
      assert.equal(changed.length, 1);
      assert.equal(JSON.parse(b[changed[0]]).status, 'closed');
      assert.equal(JSON.parse(b[changed[0]]).id, open[0]);
    });
  }

  it('openspec: a section heading has no box of its own: unmarked, not missing', () => {
    const { text } = fixture('openspec', '2025-08-13-add-archive-command.tasks.md');
    const r = tickTasks('openspec', text, ['1', '1.1'])!;
    assert.deepEqual(r.unmarked, ['1']);
    assert.deepEqual(r.ticked, ['1.1']);
    assert.deepEqual(r.missing, []);
  });

  it('formats that keep their done mark elsewhere are not ticked (null)', () => {
    assert.equal(tickTasks('gsd', '---\nwave: 1\n---\n', ['01-01']), null);
    assert.equal(tickTasks('spec-kitty', '---\nwork_package_id: WP01\n---\n', ['WP01']), null);
  });

  it('a file that is not the format any more: every task missing, the text unchanged', () => {
    const r = tickTasks('taskmaster', 'not json', ['1'])!;
    assert.equal(r.text, 'not json');
    assert.deepEqual(r.missing, ['1']);
  });
});

describe('converting names the source, and the tasks each package carries out', () => {
  it('spec-kit: each package\'s inputs name the source and its tasks; the plan is valid for the format\'s published schema', () => {
    const { file, text } = fixture('spec-kit', '001-photo-albums.tasks.md');
    const result = readForeignPlan(file, text);
    const yaml = convertToWorkPackages(result, 'tasks.md', { path: 'specs/001/tasks.md' });
    const a = analyzePlan(yaml);
    assert.deepEqual(a.diagnostics.filter((d) => d.code.startsWith('schema')).map((d) => d.message), []);
    const links = a.plan.packages.map((p) => sourceLinkOf(p));
    assert.deepEqual(links.map((l) => l?.tasks), result.packages.map((p) => p.sourceIds));
    assert.ok(links.every((l) => l?.file === 'specs/001/tasks.md' && l.format === 'spec-kit' && l.tag === undefined));
    assert.deepEqual(sourceFilesOf(a.plan.packages), ['specs/001/tasks.md']);
  });

  it('a taskmaster tag is kept; no source: nothing is written into inputs', () => {
    const { file, text } = fixture('taskmaster', 'tagged.tasks.json');
    const result = readForeignPlan(file, text, { tag: 'feature-db' });
    const a = analyzePlan(convertToWorkPackages(result, 'tasks.json', { path: 'tasks.json', tag: 'feature-db' }));
    assert.ok(a.plan.packages.every((p) => sourceLinkOf(p)?.tag === 'feature-db'));
    const bare = convertToWorkPackages(result);
    assert.doesNotMatch(bare, /converted_from|inputs:/);
  });

  it('a link whose path leaves the plan\'s folder, or that is not one, is no link', () => {
    for (const bad of ['../tasks.md', '/etc/passwd', 'a/../../b.md', 'C:/x.md', '..\\x.md', '']) {
      assert.equal(sourceLinkOf({ inputs: { converted_from: { file: bad, format: 'spec-kit', tasks: ['T1'] } } }), null, bad);
    }
    assert.equal(sourceLinkOf({ inputs: { converted_from: { file: 'a.md', format: 'word', tasks: ['T1'] } } }), null);
    assert.equal(sourceLinkOf({ inputs: { converted_from: { file: 'a.md', format: 'spec-kit', tasks: 'T1' } } }), null);
    assert.equal(sourceLinkOf({ inputs: { other: 1 } }), null);
    assert.deepEqual(sourceLinkOf({ inputs: { converted_from: { file: 'specs/a..b/tasks.md', format: 'beads', tasks: ['bd-1'] } } }), { file: 'specs/a..b/tasks.md', format: 'beads', tasks: ['bd-1'] });
  });
});

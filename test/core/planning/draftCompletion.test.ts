/** Complete with Agent's pure parts: the description, the read-only task lists, the tasks kept, the prompt, the state field. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  MAX_DRAFT_IN_PROMPT,
  buildCompletionPrompt,
  draftDescription,
  draftScope,
  draftTaskKey,
  parseDraftTaskKey,
  droppedTaskProblems,
  literalGlob,
} from '../../../src/core/planning/draftCompletion';
import { parsePlanningState, planningId, type DraftOrigin, type RepoContext } from '../../../src/core/planning/planningSession';
import { auditScope } from '../../../src/core/run/audit';
import { covers } from '../../../src/core/plan/glob';

const context: RepoContext = { readme: null, layout: ['src/'], docs: [], plans: [], openspec: false };
const origin: DraftOrigin = { file: 'specs/001/work-packages.yaml', sources: ['specs/001/tasks.md'], copies: ['tasks.md'], tasks: ['tasks.md#T001', 'tasks.md#T002'] };
const base = { id: 'photo-albums', description: 'Photo albums', planDir: 'plans/photo-albums', worktree: '/w/photo-albums', context, origin };

describe('Complete with Agent (pure)', () => {
  test("the description's first line names the feature (the session's id), the rest where the draft came from", () => {
    const d = draftDescription({ file: 'specs/001/work-packages.yaml', sources: ['specs/001/tasks.md'], title: 'Photo albums', featureId: 'feature-001' });
    assert.equal(d, 'Photo albums\n\nCompleted from the draft plan specs/001/work-packages.yaml (converted from specs/001/tasks.md).');
    assert.equal(planningId(d, () => false), 'photo-albums');
    assert.match(draftDescription({ file: 'specs/002/work-packages.yaml', sources: [], featureId: 'checkout' }), /^checkout\n\nCompleted from the draft plan specs\/002\/work-packages\.yaml\.$/);
    assert.match(draftDescription({ file: 'specs/003/work-packages.yaml', sources: [] }), /^003\n/);
  });

  test('the task lists copied into the planning folder are read-only: a change to one is refused, the rest of the folder is the agent’s', () => {
    const scope = draftScope('plans/x', ['tasks.md', '.taskmaster/tasks/tasks.json', 'odd[1]*.md']);
    const changes = { 'work-packages.yaml': 'M', 'design.md': 'A', 'tasks.md': 'M', '.taskmaster/tasks/tasks.json': 'D', 'odd[1]*.md': 'M', 'odd1x.md': 'A' } as const;
    const r = auditScope(
      Object.entries(changes).map(([p, change]) => ({ path: `plans/x/${p}`, change })),
      scope,
    );
    assert.deepEqual(r.violations.map((v) => [v.path, v.reason]), [
      ['plans/x/.taskmaster/tasks/tasks.json', 'denied'],
      ['plans/x/odd[1]*.md', 'denied'],
      ['plans/x/tasks.md', 'denied'],
    ]);
    assert.ok(covers(literalGlob('a/{b,c}?.md'), 'a/{b,c}?.md'));
    assert.ok(!covers(literalGlob('a/{b,c}?.md'), 'a/bx.md'));
  });

  test('a task of the draft no package carries is a problem: an error, a warning once the person asked for changes', () => {
    assert.equal(draftTaskKey({ file: '.taskmaster/tasks/tasks.json', tag: 'feature-x' }, '3.1'), '.taskmaster/tasks/tasks.json@feature-x#3.1');
    const dropped = droppedTaskProblems(['tasks.md#T001', 'tasks.md#T002', 'tasks.md#T003'], ['tasks.md#T002'], 'error');
    assert.deepEqual(dropped.map((p) => [p.severity, p.code, p.line, p.column]), [['error', 'draft-task-dropped', 1, 1], ['error', 'draft-task-dropped', 1, 1]]);
    assert.match(dropped[0]!.message, /^task T001 of tasks\.md is in no package's inputs\.converted_from any more/);
    assert.deepEqual(droppedTaskProblems(['a#1'], ['a#1'], 'error'), []);
    assert.equal(droppedTaskProblems(['a#1'], [], 'warning')[0]!.severity, 'warning');
  });

  test('the completion prompt quotes the draft and its problems; repair and revision rounds do not quote it again; a long draft is named, not quoted', () => {
    const draft = { text: 'schema_version: 1\npackages: []  # guess\n', problems: [{ severity: 'error' as const, code: 'write-overlap', message: 'x\nand y', line: 3, column: 5, packageId: 't002' }] };
    const first = buildCompletionPrompt({ ...base, draft });
    assert.equal(first, buildCompletionPrompt({ ...base, draft }), 'deterministic');
    assert.match(first, /```yaml\nschema_version: 1\npackages: \[\] {2}# guess\n```/);
    assert.match(first, /- error `write-overlap` at 3:5 \(package `t002`\): x and y/);
    assert.match(first, /read-only \(a change to it is thrown away\): `plans\/photo-albums\/tasks\.md`\n\(a copy of `specs\/001\/tasks\.md`\)/);
    assert.match(first, /never drop a task\.$/m);
    const clean = buildCompletionPrompt({ ...base, draft: { text: draft.text, problems: [] }, unread: ['gone.md (ENOENT)'] });
    assert.match(clean, /The exact checker finds no problem in the draft: its guesses still need settling\./);
    assert.match(clean, /The task list `gone\.md \(ENOENT\)` the draft names could not be read/);
    const long = buildCompletionPrompt({ ...base, draft: { text: 'x'.repeat(MAX_DRAFT_IN_PROMPT + 1), problems: [] } });
    assert.match(long, /too long to quote here \(60001 characters\): read the file/);
    const repair = buildCompletionPrompt({ ...base, repair: { round: 1, of: 3, missing: false, problems: draft.problems, refused: [] } });
    assert.doesNotMatch(repair, /```yaml\nschema_version: 1\npackages: \[\]/);
    assert.match(repair, /## Repair round 1 of 3/);
    const revise = buildCompletionPrompt({ ...base, revision: { comments: 'Drop T002' } });
    assert.match(revise, /## The person asked for changes[\s\S]*```text\nDrop T002\n```/);
    assert.match(revise, /never drop a task — unless the person asked for it above\./);
  });

  test("state.json's draft is kept when it is one, and read as none when it is not", () => {
    const state = { version: 1, id: 'x', description: 'x', planDir: 'plans/x', branch: 'waves-plan/x', worktree: '/w', baseSha: 'abc', status: 'valid', rounds: [] };
    assert.deepEqual(parsePlanningState({ ...state, draft: origin })?.draft, origin);
    assert.equal(parsePlanningState({ ...state, draft: { file: 3 } })?.draft, null);
    assert.equal('draft' in parsePlanningState(state)!, false, 'a session from a description has none');
  });
});

describe('draft task keys', () => {
  // Paths as converted links hold them (a folder may hold `@` or `#`), tags as Taskmaster's JSON keys (any text), task ids.
  const file = fc.tuple(fc.array(fc.stringMatching(/^[a-z0-9@#._-]{1,8}$/), { maxLength: 3 }), fc.stringMatching(/^[a-z0-9_-]{1,8}$/), fc.constantFrom('.md', '.json', '.jsonl'))
    .map(([dirs, name, ext]) => [...dirs, `${name}${ext}`].join('/'));
  const link = fc.record({ file, tag: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }) }, { requiredKeys: ['file'] });
  const taskId = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._-]{1,10}$/), fc.string({ minLength: 1, maxLength: 10 }).filter((t) => !t.includes('#')));

  test('parseDraftTaskKey is the exact inverse of draftTaskKey, among other task lists', () => {
    fc.assert(
      fc.property(link, taskId, fc.array(file, { maxLength: 4 }), (l, task, others) => {
        const files = [...others.filter((f) => !f.startsWith(`${l.file}@`) && !f.startsWith(`${l.file}#`)), l.file];
        const expected = l.tag !== undefined ? { file: l.file, tag: l.tag, task } : { file: l.file, task };
        assert.deepEqual(parseDraftTaskKey(draftTaskKey(l, task), files), expected);
      }),
      { numRuns: 500 },
    );
  });

  test('an untagged task may hold #; the longest task list wins; a key of no task list is null', () => {
    assert.deepEqual(parseDraftTaskKey('tasks.md#T001', ['tasks.md']), { file: 'tasks.md', task: 'T001' });
    assert.deepEqual(parseDraftTaskKey('tasks.json@feature#x#3', ['tasks.json']), { file: 'tasks.json', tag: 'feature#x', task: '3' });
    assert.deepEqual(parseDraftTaskKey('a.md#b#c', ['a.md']), { file: 'a.md', task: 'b#c' });
    assert.deepEqual(parseDraftTaskKey('a@b.md#1', ['a', 'a@b.md']), { file: 'a@b.md', task: '1' });
    assert.equal(parseDraftTaskKey('other.md#T001', ['tasks.md']), null);
    assert.equal(parseDraftTaskKey('tasks.md', ['tasks.md']), null);
    assert.equal(parseDraftTaskKey('tasks.md@master', ['tasks.md']), null);
  });
});

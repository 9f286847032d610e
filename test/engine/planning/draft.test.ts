/**
 * Complete with Agent end to end: a task list converted into a draft plan (its write scopes
 * guessed, an overlap the exact checker reports) is round 0 of a planning session; the scripted
 * test agent completes it in the completion round; the repair loop and the approval are Plan a
 * Feature's. Real git repositories, the real runner bundle, the real conversion.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { convertPlan } from '../../../src/core/formats/conversion';
import { readForConversion } from '../../../src/core/formats/foreignAnalysis';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { approvePlanning, proposalGate } from '../../../src/engine/planning/planApproval';
import { taskKeysOf } from '../../../src/engine/planning/draft';
import { completePlanning, planningDryRun, PlanningError, readPlanning, revisePlanning, type PlanningEvent } from '../../../src/engine/planning/planner';
import { isolateGit, readAt, scriptedAgent, treeFiles } from '../engineFixtures';
import { buildRunner, git, makeRepo, tempDir } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

const TASKS = `# Tasks: Photo albums

## Phase 1: Setup

- [ ] T001 Create the project layout in src/albums/index.ts

## Phase 2: Albums

- [ ] T002 [P] Add the album model in src/albums/model.ts
- [ ] T003 [P] Add the album list view in src/albums/model.ts and src/albums/list.ts
- [ ] T004 Wire the albums page in src/app.ts
`;

/** A repository with a spec-kit task list, converted beside it as Convert does (the draft is not committed: it was just written). */
function convertedRepo(): { repo: string; draft: string; draftText: string } {
  const repo = makeRepo({ 'README.md': '# Albums\n', 'src/app.ts': 'export {};\n', 'specs/001/tasks.md': TASKS });
  const source = path.join(repo, 'specs', '001', 'tasks.md');
  const draft = path.join(repo, 'specs', '001', 'work-packages.yaml');
  const result = readForConversion(source, TASKS);
  assert.ok(result);
  const { yaml } = convertPlan(result, { planFile: draft, source });
  fs.writeFileSync(draft, yaml);
  return { repo, draft, draftText: yaml };
}

/** The draft with t003's guessed `src/albums/model.ts` settled as its own folder: what a completing agent writes (every task kept). */
function settled(draftText: string): string {
  const lines = draftText.split('\n');
  const t003 = lines.findIndex((l) => l.includes('package_id: t003'));
  const at = lines.findIndex((l, i) => i > t003 && l.includes('- "src/albums/model.ts"'));
  lines[at] = '        - "src/albums/views/**"';
  return lines.join('\n');
}

function userSide(repo: string) {
  return { branch: git(repo, 'symbolic-ref', '--short', 'HEAD').trim(), head: git(repo, 'rev-parse', 'HEAD').trim(), status: git(repo, 'status', '--porcelain', '--untracked-files=all') };
}

/** A file outside the repository the scripted agent copies over the plan (`copy`). */
function outsideFile(text: string): string {
  const file = path.join(tempDir('waves-draft-'), 'completed.yaml');
  fs.writeFileSync(file, text);
  return file;
}

describe('Complete with Agent', () => {
  test('a converted draft with a write overlap is round 0; the completion round settles the guess; the session waits for approval and nothing ran', async () => {
    const { repo, draft, draftText } = convertedRepo();
    assert.deepEqual(
      analyzePlan(draftText).diagnostics.filter((d) => d.severity === 'error').map((d) => d.code),
      ['write-overlap', 'write-overlap'],
    );
    const before = userSide(repo);
    const events: PlanningEvent[] = [];
    const fixed = outsideFile(settled(draftText));
    const result = await completePlanning({
      cwd: repo,
      from: 'specs/001/work-packages.yaml',
      agent: scriptedAgent(),
      runnerScript,
      pollMs: 20,
      env: { WAVES_TEST_AGENT: `copy ${fixed} plans/photo-albums/work-packages.yaml` },
      onEvent: (e) => events.push(e),
    });
    const { state, planFile, analysis } = result;
    assert.equal(state.id, 'photo-albums');
    assert.equal(state.status, 'valid');
    assert.ok(analysis?.valid, JSON.stringify(result.problems));
    const keys = ['T001', 'T002', 'T003', 'T004'].map((t) => `tasks.md#${t}`);
    assert.deepEqual(state.draft, { file: 'specs/001/work-packages.yaml', sources: ['specs/001/tasks.md'], copies: ['tasks.md'], tasks: keys });
    assert.deepEqual(readPlanning(repo, state.id)?.draft, state.draft, 'state.json says it started from a draft');
    assert.match(state.description, /^Photo albums\n\nCompleted from the draft plan specs\/001\/work-packages\.yaml \(converted from specs\/001\/tasks\.md\)\.$/);

    // Round 0: the draft and its task list, committed as the planning folder's files; the checker's two overlap errors on it.
    assert.deepEqual(state.rounds.map((r) => [r.n, r.purpose]), [[0, 'draft'], [1, 'complete']]);
    const [zero, one] = state.rounds;
    assert.equal(zero!.errors, 2);
    assert.deepEqual(zero!.refused, []);
    assert.equal(readAt(repo, zero!.commit!, 'plans/photo-albums/work-packages.yaml'), draftText);
    assert.equal(readAt(repo, zero!.commit!, 'plans/photo-albums/tasks.md'), TASKS);
    assert.equal(one!.errors, 0);
    assert.deepEqual(events.filter((e) => e.kind === 'round-started').map((e) => e.kind === 'round-started' && e.purpose), ['draft', 'complete']);

    // The completion prompt: the draft quoted with its guesses, the checker's problems on it, what to settle, no task dropped.
    const prompt = fs.readFileSync(path.join(repo, '.waves', 'plans', state.id, '1', 'prompt.md'), 'utf8');
    assert.match(prompt, /^# Complete the plan `photo-albums` from its draft$/m);
    assert.match(prompt, /read-only \(a change to it is thrown away\): `plans\/photo-albums\/tasks\.md`/);
    assert.match(prompt, /- "src\/albums\/model\.ts" {2}# guess: named in the task text/);
    assert.match(prompt, /The exact checker found 2 errors in `plans\/photo-albums\/work-packages\.yaml`/);
    assert.match(prompt, /- error `write-overlap` at \d+:\d+ \(package `t00[23]`\)/);
    assert.match(prompt, /\*\*Keep every task\.\*\*/);
    assert.doesNotMatch(prompt, /seed 002/, 'not the description prompt');

    // The completed plan: every task kept, the guess settled; the task list beside it where its links point.
    const text = fs.readFileSync(planFile, 'utf8');
    assert.deepEqual(taskKeysOf(analyzePlan(text).plan), keys);
    assert.match(text, /src\/albums\/views\/\*\*/);
    assert.deepEqual(
      treeFiles(repo, state.branch).filter((f) => f.startsWith('plans/')),
      ['plans/photo-albums/tasks.md', 'plans/photo-albums/work-packages.yaml'],
    );

    // It waits for the person: not approved, so nothing runs it; nothing ran.
    assert.match((await proposalGate(planFile)) ?? '', /not approved yet \(valid\)/);
    assert.equal(fs.existsSync(path.join(repo, '.waves', 'runs')), false);
    assert.equal(fs.existsSync(path.join(state.worktree, '.waves', 'runs')), false);
    assert.equal(git(repo, 'branch', '--list', 'waves/*').trim(), '');
    assert.deepEqual(userSide(repo), before, "the person's checkout (the draft included) is untouched");
    assert.equal(fs.readFileSync(draft, 'utf8'), draftText);

    const { state: approved } = await approvePlanning(repo, state.id);
    assert.equal(approved.status, 'approved');
    assert.deepEqual(approved.draft, state.draft);
    assert.equal(await proposalGate(planFile), null);
  });

  test("a round that drops a task of the draft or changes its task list is not valid: the task list's change is thrown away, the dropped task is an error", async () => {
    const { repo, draftText } = convertedRepo();
    // t004 (task T004) left out, the rest settled; and the read-only task list changed.
    const lines = settled(draftText).split('\n');
    const fixed = outsideFile(lines.slice(0, lines.findIndex((l) => l.includes('package_id: t004'))).join('\n') + '\n');
    const { state, problems } = await completePlanning({
      cwd: repo,
      from: path.join(repo, 'specs', '001', 'work-packages.yaml'),
      agent: scriptedAgent(),
      runnerScript,
      pollMs: 20,
      repairRounds: 1,
      env: { WAVES_TEST_AGENT: `copy ${fixed} plans/photo-albums/work-packages.yaml; append plans/photo-albums/tasks.md - [ ] T005 planted` },
    });
    assert.equal(state.status, 'invalid');
    assert.equal(state.rounds.length, 3, 'round 0, the completion round, one repair round');
    assert.deepEqual(problems.filter((p) => p.severity === 'error').map((p) => p.code), ['draft-task-dropped']);
    assert.match(problems[0]!.message, /^task T004 of tasks\.md is in no package's inputs\.converted_from any more/);
    assert.deepEqual(state.rounds[1]!.refused, ['plans/photo-albums/tasks.md']);
    assert.equal(readAt(repo, state.branch, 'plans/photo-albums/tasks.md'), TASKS, 'the task list as it was');
    const repair = fs.readFileSync(path.join(repo, '.waves', 'plans', state.id, '2', 'prompt.md'), 'utf8');
    assert.match(repair, /## Repair round 1 of 1/);
    assert.match(repair, /- error `draft-task-dropped` at 1:1: task T004 of tasks\.md/);
    assert.match(repair, /- `plans\/photo-albums\/tasks\.md`: .*but the scope denies it/);
    await assert.rejects(approvePlanning(repo, state.id), PlanningError);

    // Once the person asks for changes, a task left out is theirs to ask for: a warning, the session valid.
    const revised = await revisePlanning({ repo, id: state.id, comments: 'Drop T004: the page is wired elsewhere.', agent: scriptedAgent(), runnerScript, pollMs: 20, env: { WAVES_TEST_AGENT: `copy ${fixed} plans/photo-albums/work-packages.yaml` } });
    assert.equal(revised.state.status, 'valid');
    assert.deepEqual(revised.problems.map((p) => [p.severity, p.code]), [['warning', 'draft-task-dropped']]);
    const prompt = fs.readFileSync(path.join(repo, '.waves', 'plans', state.id, '3', 'prompt.md'), 'utf8');
    assert.match(prompt, /^# Complete the plan `photo-albums` from its draft$/m);
    assert.match(prompt, /## The person asked for changes[\s\S]*Drop T004/);
  });

  test('refusals before anything is made: a draft outside the repository, a task list instead of a plan; the dry run shows the completion prompt', async () => {
    const { repo } = convertedRepo();
    const outside = outsideFile('schema_version: 1\npackages: []\n');
    const start = (from: string) => completePlanning({ cwd: repo, from, agent: scriptedAgent(), runnerScript, pollMs: 20 });
    await assert.rejects(start(outside), (err: Error) => err instanceof PlanningError && /is outside the repository/.test(err.message));
    await assert.rejects(start('specs/001/tasks.md'), (err: Error) => err instanceof PlanningError && /holds no work package: give a plan \(a task list of another tool is converted first/.test(err.message));
    await assert.rejects(start('specs/001/missing.yaml'), (err: Error) => err instanceof PlanningError && /cannot read the draft specs\/001\/missing\.yaml: ENOENT/.test(err.message));
    fs.symlinkSync(outside, path.join(repo, 'linked.work-packages.yaml'));
    await assert.rejects(start('linked.work-packages.yaml'), /outside the repository/);
    const dry = await planningDryRun({ cwd: repo, from: 'specs/001/work-packages.yaml' });
    assert.equal(dry.id, 'photo-albums');
    assert.match(dry.prompt, /^# Complete the plan `photo-albums` from its draft$/m);
    assert.match(dry.prompt, /The exact checker found 2 errors/);
    assert.equal(fs.existsSync(path.join(repo, '.waves')), false, 'nothing made');
    assert.equal(git(repo, 'branch', '--list', 'waves-plan/*').trim(), '');

    // Task lists never copied onto the planning branch: one the repository ignores (a local file), git's own files.
    const link = (file: string, task: string) => `  - package_id: p${task}\n    title: x\n    task_type: implement\n    description: x\n    depends_on: []\n    scope: { write_allow: ["src/${task}/**"] }\n    inputs: { converted_from: { file: "${file}", format: "spec-kit", tasks: ["${task}"] } }\n`;
    fs.writeFileSync(path.join(repo, '.gitignore'), '*.local.md\n');
    fs.writeFileSync(path.join(repo, 'notes.local.md'), '- [ ] T1 secret\n');
    fs.writeFileSync(path.join(repo, 'local.work-packages.yaml'), `schema_version: 1\nfeature: { id: local, title: Local }\npackages:\n${link('notes.local.md', 't1')}${link('.git/config', 't2')}`);
    const local = await planningDryRun({ cwd: repo, from: 'local.work-packages.yaml' });
    assert.match(local.prompt, /The task list `notes\.local\.md \(the repository ignores it: a local file is not copied onto the planning branch\)` the draft names could not be read/);
    assert.match(local.prompt, /The task list `\.git\/config \(in the engine's or git's own folder\)` the draft names could not be read/);
    assert.doesNotMatch(local.prompt, /read-only \(a change to it is thrown away\)/, 'no task list copied');
  });

  test('a planning folder the committed tree holds as a link is never written through: no agent starts, the session is kept to discard', async () => {
    const { repo } = convertedRepo();
    const elsewhere = tempDir('waves-elsewhere-');
    fs.symlinkSync(elsewhere, path.join(repo, 'plans'));
    git(repo, 'add', 'plans');
    git(repo, 'commit', '-q', '-m', 'plans is a link');
    await assert.rejects(
      completePlanning({ cwd: repo, from: 'specs/001/work-packages.yaml', agent: scriptedAgent(), runnerScript, pollMs: 20 }),
      (err: Error) => err instanceof PlanningError && /^plans in the planning worktree is not a folder \(a link, or a file\)[^\n]*\nNo agent was started; the session photo-albums is kept/.test(err.message),
    );
    assert.deepEqual(fs.readdirSync(elsewhere), [], 'nothing written through the link');
    const state = readPlanning(repo, 'photo-albums');
    assert.equal(state?.status, 'invalid');
    assert.deepEqual(state?.rounds.map((r) => [r.n, r.purpose, r.commit]), [[0, 'draft', null]]);
  });
});

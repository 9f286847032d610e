/**
 * `waves convert` then `waves run --tick-source` as a person runs them: the built bin in real
 * processes, a real git repository, the scripted test agent. The spec-kit task list the plan came
 * from gets its boxes ticked as packages succeed, and nothing else of it changes; without the
 * flag it is left alone.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { gitEnv } from '../engine/helpers';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'waves.js');
const agentScript = path.join(root, 'test', 'fixtures', 'agents', 'scripted-agent.mjs');
const AGENT = JSON.stringify([process.execPath, agentScript, '--prompt', '${promptFile}', '--result', '${resultFile}', '--package', '${packageId}']);
const PLANNER = JSON.stringify([process.execPath, agentScript, '--prompt', '${promptFile}']);
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-tick-')));
const home = path.join(tmp, 'home');
fs.mkdirSync(home);
const env = { ...gitEnv(home), WAVES_TEST_AGENT: 'append specs/notes.md line\\n;commit' };

function waves(args: string[], cwd: string, testAgent?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd, env: testAgent ? { ...env, WAVES_TEST_AGENT: testAgent } : env, timeout: 180_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env }).trim();

// CRLF line endings and text around the tasks: only the boxes may change.
const TASKS = [
  '# Tasks: Notes',
  '',
  '## Phase 1: Setup',
  '',
  '- [x] T001 Create specs/notes.md',
  '- [ ] T002 Add a line to specs/notes.md',
  '- [ ] T003 Add another line to specs/notes.md',
  '',
  'Notes: - [ ] T002 is written here too, and stays as it is.',
  '',
].join('\r\n');

let count = 0;
function repoWithConvertedPlan(): { repo: string; tasks: string; plan: string } {
  const repo = path.join(tmp, `repo-${++count}`);
  fs.mkdirSync(path.join(repo, 'specs'), { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(repo, 'specs', 'tasks.md'), TASKS);
  fs.writeFileSync(path.join(repo, 'specs', 'notes.md'), 'notes\n');
  const converted = waves(['convert', 'specs/tasks.md'], repo);
  assert.equal(converted.code, 0, converted.out + converted.err);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'plan');
  return { repo, tasks: path.join(repo, 'specs', 'tasks.md'), plan: path.join(repo, 'specs', 'work-packages.yaml') };
}

/** The converted plan completed with the scripted planning agent (it keeps the valid draft as it is) and approved. */
function approvedProposal(): { repo: string; tasks: string; worktree: string; proposal: string; copy: string } {
  const { repo, tasks, plan } = repoWithConvertedPlan();
  const dry = waves(['plan', '--from', 'specs/work-packages.yaml', '--dry-run'], repo);
  assert.equal(dry.code, 0, dry.out + dry.err);
  const id = /^# waves plan --dry-run: session ([a-z0-9-]+),/m.exec(dry.out)![1]!;
  const planned = waves(['plan', '--agent-argv', PLANNER, '--rounds', '1', '--from', 'specs/work-packages.yaml'], repo, `copy ${plan} plans/${id}/work-packages.yaml`);
  assert.equal(planned.code, 0, planned.out + planned.err);
  const approved = waves(['plan', '--approve', id], repo);
  assert.equal(approved.code, 0, approved.out + approved.err);
  const worktree = `${repo}.worktrees/_plans/${id}`;
  const proposal = path.join(worktree, 'plans', id, 'work-packages.yaml');
  const copy = path.join(worktree, 'plans', id, 'tasks.md');
  assert.equal(fs.readFileSync(copy, 'utf8'), TASKS);
  assert.match(fs.readFileSync(proposal, 'utf8'), /converted_from: \{ file: "tasks\.md"/);
  return { repo, tasks, worktree, proposal, copy };
}

describe('waves run --tick-source', () => {
  it('ticks the tasks of each package that succeeded in the task list the plan came from, and nothing else', () => {
    const { repo, tasks, plan } = repoWithConvertedPlan();
    const yaml = fs.readFileSync(plan, 'utf8');
    assert.match(yaml, /converted_from: \{ file: "tasks\.md", format: "spec-kit", tasks: \["T002"\] \}/);
    const r = waves(['run', '--unconfined', '--agent-argv', AGENT, '--tick-source', plan], repo);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out + r.err, /ticked T00[23](, T00[23])? in specs\/tasks\.md/);
    assert.equal(fs.readFileSync(tasks, 'utf8'), TASKS.replace('- [ ] T002 Add', '- [x] T002 Add').replace('- [ ] T003', '- [x] T003'));
    // The person's checkout changed only there: no package was held for it.
    assert.equal(git(repo, 'status', '--porcelain'), 'M specs/tasks.md');
  });

  it('without the flag the task list is left as it was', () => {
    const { repo, tasks, plan } = repoWithConvertedPlan();
    const r = waves(['run', '--unconfined', '--agent-argv', AGENT, plan], repo);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(fs.readFileSync(tasks, 'utf8'), TASKS);
  });

  it('a source that is a link out of the repository is never written, and the run says why', () => {
    const { repo, tasks, plan } = repoWithConvertedPlan();
    const outside = path.join(tmp, `outside-${count}.md`);
    fs.writeFileSync(outside, TASKS);
    fs.rmSync(tasks);
    fs.symlinkSync(outside, tasks);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'a link');
    const r = waves(['run', '--unconfined', '--agent-argv', AGENT, '--tick-source', plan], repo);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out + r.err, /specs\/tasks\.md: not ticked: it is a symbolic link/);
    assert.equal(fs.readFileSync(outside, 'utf8'), TASKS);
  });

  it('a proposal completed from the draft ticks the person\'s own task list, never the copy in the planning folder', () => {
    const { repo, tasks, worktree, proposal, copy } = approvedProposal();

    const r = waves(['run', '--unconfined', '--agent-argv', AGENT, '--tick-source', proposal], repo);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out + r.err, new RegExp(`ticked T00[23](, T00[23])? in ${tasks.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    assert.equal(fs.readFileSync(tasks, 'utf8'), TASKS.replace('- [ ] T002 Add', '- [x] T002 Add').replace('- [ ] T003', '- [x] T003'));
    // The copy in the planning folder stays as committed, and the planning worktree clean.
    assert.equal(fs.readFileSync(copy, 'utf8'), TASKS);
    assert.equal(git(worktree, 'status', '--porcelain'), '');
    assert.equal(git(repo, 'status', '--porcelain'), 'M specs/tasks.md');
  });

  it('a proposal\'s person\'s task list that is a link out of their checkout is never written, and the run names it', () => {
    const { repo, tasks, worktree, proposal, copy } = approvedProposal();
    const outside = path.join(tmp, `outside-${count}.md`);
    fs.writeFileSync(outside, TASKS);
    fs.rmSync(tasks);
    fs.symlinkSync(outside, tasks);
    const r = waves(['run', '--unconfined', '--agent-argv', AGENT, '--tick-source', proposal], repo);
    assert.equal(r.code, 0, r.out + r.err);
    assert.ok((r.out + r.err).includes(`${tasks}: not ticked: it is a symbolic link`), r.out + r.err);
    assert.equal(fs.readFileSync(outside, 'utf8'), TASKS);
    assert.equal(fs.readFileSync(copy, 'utf8'), TASKS);
    assert.equal(git(worktree, 'status', '--porcelain'), '');
  });
});

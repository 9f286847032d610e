/**
 * `waves review` as a user runs it: the built bin in real processes, on real temporary git
 * repositories, with the scripted test agent (test/fixtures/agents/scripted-agent.mjs). A
 * comments file drives the loop end to end: run → request changes → the agent receives exactly
 * those comments (it records the prompt's follow-up section) and changes the file → merged; the
 * threads re-anchored on its new commit. Bad comments are refused with their place, nothing
 * sent; the review gate holds a dependent until `--approve`.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { gitEnv, waitFor } from '../engine/helpers';
import { commitPlan, type ScriptedPackage } from './planFixture';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'waves.js');
const agentScript = path.join(root, 'test', 'fixtures', 'agents', 'scripted-agent.mjs');
const AGENT = JSON.stringify([process.execPath, agentScript, '--prompt', '${promptFile}', '--result', '${resultFile}', '--package', '${packageId}']);
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-review-cli-')));
const home = path.join(tmp, 'home');
fs.mkdirSync(home);
const env = gitEnv(home);
/** Every run of these tests: the scripted agent, without walls (it records outside its worktree). */
const RUN = ['--agent-argv', AGENT, '--unconfined'];

function waves(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: tmp, env, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env }).trim();
}

let repoCount = 0;
/** A repository whose plan has the packages given (id, dependencies, the scripted agent's instructions). */
function repoWithPlan(feature: string, packages: ScriptedPackage[]): { repo: string; plan: string } {
  const repo = path.join(tmp, `repo${++repoCount}`);
  return { repo, plan: commitPlan(repo, feature, packages, env) };
}

const stateOf = (repo: string, feature: string) => JSON.parse(fs.readFileSync(path.join(repo, '.waves', 'runs', `${feature}.json`), 'utf8'));
const threadsOf = (repo: string, feature: string) => JSON.parse(fs.readFileSync(path.join(repo, '.waves', 'runs', feature, 'review.json'), 'utf8')).threads;

describe('waves review', () => {
  it('a comments file drives the loop: the agent receives exactly those comments, changes the file, and the threads follow its new commit', () => {
    const record = path.join(tmp, 'loop-record.txt');
    const { repo, plan } = repoWithPlan('loop', [
      {
        id: 'wp-a',
        agent: ['unless-followup write wp-a/x.ts const a = 1;\\nconst b = 2;\\nconst c = 3;\\n', 'if-followup write wp-a/x.ts // top\\nconst a = 1;\\nconst B = 2;\\nconst c = 3;\\n', `record-followup ${record}`, 'commit'],
      },
      { id: 'wp-b', deps: ['wp-a'], agent: ['write wp-b/b.txt b', 'commit'] },
    ]);
    const first = waves(['run', ...RUN, plan]);
    assert.equal(first.code, 0, first.err + first.out);
    assert.equal(fs.readFileSync(record, 'utf8'), 'none\n-- end\n', 'the first attempt had no follow-up');

    // Nothing to review yet: the list says so.
    const empty = waves(['review', plan]);
    assert.equal(empty.code, 0, empty.err);
    assert.match(empty.out, /^wp-a {2}succeeded\nwp-b {2}succeeded\n$/);

    // Bad comments: each named by its place; nothing sent, nothing kept.
    const bad = path.join(tmp, 'bad.txt');
    fs.writeFileSync(bad, '# comments\nwp-a/x.ts:9: there is no line 9\nREADME.md:1: outside its scope\nwp-a/x.ts 2 no colon\n');
    const refused = waves(['review', '--comments', bad, '--request-changes', ...RUN, plan, 'wp-a']);
    assert.equal(refused.code, 2, refused.out);
    assert.match(refused.err, /bad\.txt:4: expected "path:line: text"/);
    assert.match(refused.err, /bad\.txt:2: line 9 does not exist: the file has 3 lines at [0-9a-f]{12}/);
    assert.match(refused.err, /bad\.txt:3: README\.md is outside wp-a's write scope/);
    assert.match(refused.err, /nothing was sent/);
    assert.equal(stateOf(repo, 'loop').packages['wp-a'].attempts, 1);
    assert.equal(fs.existsSync(path.join(repo, '.waves', 'runs', 'loop', 'review.json')), false);

    // Two comments: on line 2, and on the whole file.
    const comments = path.join(tmp, 'comments.txt');
    fs.writeFileSync(comments, 'wp-a/x.ts:2: Upper-case this constant\nwp-a/x.ts: And say where it starts\n');
    const sent = waves(['review', '--comments', comments, '--request-changes', ...RUN, plan, 'wp-a']);
    assert.equal(sent.code, 0, sent.err + sent.out);
    assert.match(sent.out, /wp-a: 2 comments sent for attempt 2 \(from its branch\)/);
    assert.match(sent.out, /no process drives the run: resuming it here/);

    // The agent received exactly those comments: its file, lines, the code excerpt, the words.
    const followUp = fs.readFileSync(record, 'utf8').split('-- end\n')[1]!;
    assert.match(followUp, /Changes requested in review/);
    assert.match(followUp, /wp-a\/x\.ts/);
    assert.match(followUp, /const b = 2;/);
    assert.match(followUp, /Upper-case this constant/);
    assert.match(followUp, /And say where it starts/);
    const threads = threadsOf(repo, 'loop') as { id: string }[];
    for (const t of threads) assert.ok(followUp.includes(t.id), `the prompt names thread ${t.id}`);

    // A revision: merged, counted, no retry spent; the integration branch holds the change.
    const state = stateOf(repo, 'loop');
    assert.equal(state.packages['wp-a'].status, 'succeeded');
    assert.equal(state.packages['wp-a'].attempts, 2);
    assert.equal(state.packages['wp-a'].revisions, 1);
    assert.equal(git(repo, 'show', `${state.integration.branch}:wp-a/x.ts`), '// top\nconst a = 1;\nconst B = 2;\nconst c = 3;');

    // The list: the threads on the new commit — line 2 moved to 3 and changed (addressed).
    const listed = waves(['review', '--json', plan, 'wp-a']);
    assert.equal(listed.code, 0, listed.err);
    const json = JSON.parse(listed.out) as { packages: { packageId: string; revisions: number; threads: { startLine: number; endLine: number; anchorCommit: string; sentIn: number; addressed?: boolean; excerpt: string }[] }[] };
    const [a] = json.packages;
    assert.equal(a!.revisions, 1);
    const line = a!.threads.find((t) => t.startLine !== 0)!;
    assert.deepEqual([line.startLine, line.endLine, line.sentIn, line.addressed, line.excerpt, line.anchorCommit], [3, 3, 2, true, 'const B = 2;', state.packages['wp-a'].headSha]);
    const text = waves(['review', plan]);
    assert.match(text.out, /wp-a {2}succeeded, 1 revision, 2 open comments\n {2}wp-a\/x\.ts:3 \(sent with attempt 2; its lines changed since\): Upper-case this constant\n/);
  });

  it('comments on the integration branch go to the owner of each file; a file nobody owns is refused', () => {
    const { repo, plan } = repoWithPlan('routed', [{ id: 'wp-a', agent: ['write wp-a/x.txt one', 'commit'] }, { id: 'wp-b', agent: ['write wp-b/y.txt two', 'commit'] }]);
    assert.equal(waves(['run', ...RUN, plan]).code, 0);
    const comments = path.join(tmp, 'routed.txt');
    fs.writeFileSync(comments, 'wp-b/y.txt:1: Say three\nREADME.md:1: Nobody may write this\n');
    const refused = waves(['review', '--comments', comments, '--request-changes', '--no-run', plan]);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /routed\.txt:2: README\.md is outside every package's write scope/);
    fs.writeFileSync(comments, 'wp-b/y.txt:1: Say three\n');
    const sent = waves(['review', '--comments', comments, '--request-changes', '--no-run', plan]);
    assert.equal(sent.code, 0, sent.err);
    assert.match(sent.out, /wp-b: 1 comment sent for attempt 2 \(from its integration tip\)/);
    assert.match(sent.out, /recorded; to carry it out: waves run --resume/);
    const [t] = threadsOf(repo, 'routed');
    assert.deepEqual([t.packageId, t.from, t.excerpt], ['wp-b', 'integration', 'two']);
  });

  it('the review gate holds a dependent until --approve; a running package is refused', async () => {
    const gate = path.join(tmp, 'gate-open');
    const { repo, plan } = repoWithPlan('gated', [
      { id: 'wp-a', agent: ['write wp-a/x.txt one', 'commit'] },
      { id: 'wp-b', deps: ['wp-a'], agent: [`wait-for ${gate}`, 'write wp-b/y.txt two', 'commit'] },
    ]);
    const child = spawn(process.execPath, [bin, 'run', ...RUN, '--review', 'before-merge', plan], { cwd: tmp, env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitFor(() => fs.existsSync(path.join(repo, '.waves', 'runs', 'gated.json')) && stateOf(repo, 'gated').packages['wp-a'].status === 'awaiting-review', 'wp-a awaiting review', 60_000);
      assert.equal(stateOf(repo, 'gated').packages['wp-b'].attempts, 0, 'its dependent waits');
      const listed = waves(['review', plan]);
      assert.match(listed.out, /wp-a {2}awaiting-review/);
      const approved = waves(['review', '--approve', plan, 'wp-a']);
      assert.equal(approved.code, 0, approved.err);
      assert.match(approved.out, /wp-a approved: the run's driver merges it/);
      await waitFor(() => stateOf(repo, 'gated').packages['wp-b'].status === 'running', 'wp-b running after the approval', 60_000);
      const comments = path.join(tmp, 'gated.txt');
      fs.writeFileSync(comments, 'wp-b/y.txt: too early\n');
      const early = waves(['review', '--comments', comments, '--request-changes', plan, 'wp-b']);
      assert.equal(early.code, 2);
      assert.match(early.err, /wp-b has no commit to comment on yet|wp-b is running: comment once its attempt has ended/);
      fs.writeFileSync(gate, '');
      await waitFor(() => stateOf(repo, 'gated').packages['wp-b'].status === 'awaiting-review', 'wp-b awaiting review', 60_000);
      assert.equal(waves(['review', '--approve', plan, 'wp-b']).code, 0);
      assert.equal(await exited, 0, out);
    } finally {
      child.kill();
    }
  });
});

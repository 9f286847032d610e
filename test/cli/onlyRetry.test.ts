/**
 * Running some packages again from the command line, as a person does after a failure — the
 * built bin in real processes, real git repositories, the scripted test agent inside its walls:
 * `waves run --only b` where b waits for a package outside it is refused before anything starts
 * (it would wait forever in a new run), naming the way that works; `waves run --resume --only b`
 * runs the failed package again in the last run, its retry budget aside, and nothing else; a
 * sub-plan's package is retried alone by its run id, and `--resume` then carries its parent and
 * what follows.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runStateFile } from '../../src/core/run/runPaths';
import type { RunState } from '../../src/core/run/runState';
import { cliTestbed, commitNestedPlan, commitPlan } from './planFixture';

const { tmp, AGENT, homeEnv, waves } = cliTestbed('waves-only-cli-');

const stateOf = (repo: string, feature: string) => JSON.parse(fs.readFileSync(runStateFile(repo, feature), 'utf8')) as RunState;
const statuses = (state: RunState) => Object.fromEntries(Object.values(state.packages).map((r) => [r.packageId, `${r.status}/${r.attempts}`]));

describe('waves run --only after a failure', () => {
  it('a package waiting for one outside --only is refused with the way that works; --resume --only runs the failed one again, alone, in the last run', () => {
    const env = homeEnv('flat-home');
    const repo = path.join(tmp, 'flat');
    // b fails its first attempt (no retry budget), then works.
    const plan = commitPlan(repo, 'flat', [
      { id: 'a', agent: ['write a/a.txt a', 'commit'] },
      { id: 'b', deps: ['a'], agent: ['write b/b.txt b', 'fail-once b/failed-once', 'commit'] },
    ], env);
    const first = waves(['run', '--agent-argv', AGENT, plan], env);
    assert.equal(first.code, 1, first.out + first.err);
    const failed = stateOf(repo, 'flat');
    assert.deepEqual(statuses(failed), { a: 'succeeded/1', b: 'failed/1' });

    // A new run of b alone: a never succeeds there. Refused; nothing started or written.
    const alone = waves(['run', '--only', 'b', '--agent-argv', AGENT, plan], env);
    assert.equal(alone.code, 2, alone.out + alone.err);
    assert.match(alone.err, /^waves: `b` would never start: it waits for packages this run does not run:\n {2}`b` depends on `a`, which succeeded in the last run, not in a new one\n {2}to run `b` in the last run, where what it depends on succeeded, resume it with only that package \(waves run --resume --only b\)\n {2}nothing was started\n$/);
    assert.deepEqual(stateOf(repo, 'flat'), failed, 'the run state is as it was');

    // In the last run: b again (its budget spent), a not touched.
    const again = waves(['run', '--resume', '--only', 'b', '--agent-argv', AGENT, plan], env);
    assert.equal(again.code, 0, again.out + again.err);
    assert.match(again.out, /\nevery package succeeded; merged into waves\/flat\/_integration/);
    const after = stateOf(repo, 'flat');
    assert.equal(after.runId, failed.runId, 'the same run');
    assert.deepEqual(statuses(after), { a: 'succeeded/1', b: 'succeeded/2' });
    assert.equal(execFileSync('git', ['show', `${after.integration!.branch}:b/b.txt`], { cwd: repo, encoding: 'utf8', env }), 'b');
  });

  it("a sub-plan's package is retried alone by its run id; --resume then runs its parent's check and what depends on it", () => {
    const env = homeEnv('nested-home');
    const repo = path.join(tmp, 'nested');
    const plan = commitNestedPlan(repo, 'nested', {
      'api.yaml': { feature: 'nested-api', packages: [{ id: 'model', write: 'api/model/**', agent: ['write api/model/m.txt m', 'commit'] }, { id: 'routes', write: 'api/routes/**', agent: ['write api/routes/r.txt r', 'fail-once api/routes/failed-once', 'commit'], extra: ['depends_on: [model]'] }] },
    }, env);

    assert.equal(waves(['run', '--agent-argv', AGENT, plan], env).code, 1);
    assert.deepEqual(statuses(stateOf(repo, 'nested')), { api: 'blocked/0', api__model: 'succeeded/1', api__routes: 'failed/1', ui: 'blocked/0' });
    const retry = waves(['run', '--resume', '--only', 'api__routes', '--agent-argv', AGENT, plan], env);
    assert.equal(retry.code, 0, retry.out + retry.err);
    assert.match(retry.out, /\napi__routes succeeded; 2 other packages of the run have not \(api, ui\): `waves run --resume \S+work-packages\.yaml` goes on with them\n$/, 'no offer to finish a run with packages to do');
    assert.deepEqual(statuses(stateOf(repo, 'nested')), { api: 'blocked/0', api__model: 'succeeded/1', api__routes: 'succeeded/2', ui: 'blocked/0' }, retry.out + retry.err);
    const rest = waves(['run', '--resume', '--agent-argv', AGENT, plan], env);
    assert.equal(rest.code, 0, rest.out + rest.err);
    assert.deepEqual(statuses(stateOf(repo, 'nested')), { api: 'succeeded/1', api__model: 'succeeded/1', api__routes: 'succeeded/2', ui: 'succeeded/1' });
  });
});

/**
 * Where a run started in the editor has its agents work (`src/core/coordinator/workersChoice.ts`):
 * `waves.workers.remote` with the shared coordinator queues the packages for pull workers; with
 * `waves.hosts` too the run is refused, as `waves run --workers --hosts` is; without a coordinator
 * the remote counts for nothing, said without a password it may carry.
 *
 * Run: node --import tsx --test test/core/coordinator/workersChoice.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { workersChoice } from '../../../src/core/coordinator/workersChoice';

const both = { coordinator: true, hosts: false };

describe('workersChoice', () => {
  it('no remote set (nothing, null, blanks): the agents run here, whatever else is set', () => {
    for (const value of [undefined, null, '', '   \t'])
      for (const has of [both, { coordinator: true, hosts: true }, { coordinator: false, hosts: false }]) assert.equal(workersChoice(value, has), null, JSON.stringify([value, has]));
  });

  it('a remote with the coordinator: the packages go to the workers that reach it (trimmed)', () => {
    assert.deepEqual(workersChoice('origin', both), { remote: 'origin' });
    assert.deepEqual(workersChoice('  https://git.example.com/team/app.git \n', both), { remote: 'https://git.example.com/team/app.git' });
    assert.deepEqual(workersChoice('/srv/git/app.git', both), { remote: '/srv/git/app.git' });
  });

  it('with waves.hosts too: refused, naming both settings and what to do', () => {
    assert.deepEqual(workersChoice('origin', { coordinator: true, hosts: true }), {
      problem: 'waves.workers.remote and waves.hosts do not go together: the packages go to the pull workers or to the hosts, not both. Clear one of the two in your settings.',
    });
  });

  it('without a coordinator: counts for nothing (the agents run here), said without the remote\'s password', () => {
    assert.deepEqual(workersChoice('origin', { coordinator: false, hosts: false }), { unused: "waves.workers.remote (origin) counts only with waves.coordinator, where the workers' queue is: the agents run here" });
    const said = workersChoice('https://ana:hunter22@git.example.com/app.git', { coordinator: false, hosts: true });
    assert.ok(said && 'unused' in said, JSON.stringify(said));
    assert.match(said.unused, /\(https:\/\/ana:\*\*\*@git\.example\.com\/app\.git\)/);
    assert.doesNotMatch(said.unused, /hunter22/);
  });

  it('a value that is not text (a hand-written settings file): refused, saying what it takes', () => {
    for (const value of [42, true, ['origin'], { name: 'origin' }])
      assert.deepEqual(workersChoice(value, both), { problem: "waves.workers.remote is a git remote: a name of this clone's remotes, or a URL." }, JSON.stringify(value));
  });
});

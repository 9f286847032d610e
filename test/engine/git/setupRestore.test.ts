/**
 * `keepGitSetup` / `restoreGitSetup` (src/engine/git/setupRestore.ts) on real
 * repositories: every kind of change of the guarded git set-up is put back as it was kept, and
 * what was found is moved (or, for a file put back in place, copied) to the quarantine folder —
 * nothing is deleted, the person's own change included.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { keepGitSetup, restoreGitSetup } from '../../../src/engine/git';
import { isolateGit } from '../engineFixtures';
import { git, makeRepo } from '../helpers';

before(isolateGit);

const hooks = (repo: string) => path.join(repo, '.git', 'hooks');
const quarantine = (repo: string, name: string) => path.join(repo, '.waves', 'quarantine', 'run-1', name);

describe('restoreGitSetup', () => {
  test('nothing changed: null, and no quarantine folder is made', async () => {
    const repo = makeRepo();
    const kept = (await keepGitSetup(repo))!;
    git(repo, 'config', 'user.name', 'Someone'); // not a key that runs anything
    assert.equal(await restoreGitSetup(kept, quarantine(repo, 'x'), 'a test', new Date()), null);
    assert.equal(fs.existsSync(path.join(repo, '.waves')), false);
  });

  test('a hook of the person changed, one removed, one added, a folder planted: each put back as kept, what was found kept aside', async () => {
    const repo = makeRepo();
    fs.writeFileSync(path.join(hooks(repo), 'pre-push'), '#!/bin/sh\necho mine\n', { mode: 0o750 });
    fs.writeFileSync(path.join(hooks(repo), 'commit-msg'), '#!/bin/sh\necho also mine\n', { mode: 0o755 });
    const kept = (await keepGitSetup(repo))!;
    fs.writeFileSync(path.join(hooks(repo), 'pre-push'), '#!/bin/sh\necho planted\n');
    fs.rmSync(path.join(hooks(repo), 'commit-msg'));
    fs.writeFileSync(path.join(hooks(repo), 'post-merge'), '#!/bin/sh\necho planted\n', { mode: 0o755 });
    fs.mkdirSync(path.join(hooks(repo), 'pre-commit'));
    fs.writeFileSync(path.join(hooks(repo), 'pre-commit', 'run'), 'x', { mode: 0o755 });
    const at = new Date('2026-11-26T10:00:00Z');
    const r = (await restoreGitSetup(kept, quarantine(repo, 'one'), "package a's attempt 1", at))!;
    assert.deepEqual(
      r.changes.map((c) => `${c.name} ${c.change}`),
      ['hooks/commit-msg removed', 'hooks/post-merge added', 'hooks/pre-commit added', 'hooks/pre-push changed'],
    );
    assert.deepEqual(r.notRestored, []);
    // Put back, modes included; nothing planted left.
    assert.equal(fs.readFileSync(path.join(hooks(repo), 'pre-push'), 'utf8'), '#!/bin/sh\necho mine\n');
    assert.equal(fs.statSync(path.join(hooks(repo), 'pre-push')).mode & 0o777, 0o750);
    assert.equal(fs.readFileSync(path.join(hooks(repo), 'commit-msg'), 'utf8'), '#!/bin/sh\necho also mine\n');
    assert.equal(fs.statSync(path.join(hooks(repo), 'commit-msg')).mode & 0o777, 0o755);
    assert.equal(fs.existsSync(path.join(hooks(repo), 'post-merge')), false);
    assert.equal(fs.existsSync(path.join(hooks(repo), 'pre-commit')), false);
    assert.deepEqual(fs.readdirSync(hooks(repo)).filter((n) => !n.endsWith('.sample')).sort(), ['commit-msg', 'pre-push']);
    // Kept aside, not executable.
    const q = r.quarantine;
    assert.equal(q, quarantine(repo, 'one'));
    assert.equal(fs.readFileSync(path.join(q, 'hooks', 'pre-push'), 'utf8'), '#!/bin/sh\necho planted\n');
    assert.equal(fs.readFileSync(path.join(q, 'hooks', 'post-merge'), 'utf8'), '#!/bin/sh\necho planted\n');
    assert.equal(fs.readFileSync(path.join(q, 'hooks', 'pre-commit', 'run'), 'utf8'), 'x');
    for (const f of ['hooks/pre-push', 'hooks/post-merge', 'hooks/pre-commit/run']) assert.equal(fs.statSync(path.join(q, f)).mode & 0o111, 0, f);
    const readme = fs.readFileSync(path.join(q, 'README.txt'), 'utf8');
    assert.match(readme, /^Found after: package a's attempt 1\nAt: 2026-11-26T10:00:00\.000Z$/m);
    assert.match(readme, /- \.git\/hooks\/commit-msg — removed — at .*: the run's start version put back\.$/m);
    assert.match(readme, /- \.git\/hooks\/pre-commit — added — at .* \(a folder\): moved here as hooks\/pre-commit; nothing is left there\.$/m);
    assert.match(readme, /- \.git\/hooks\/pre-push — changed — at .* \(an executable file\): the run's start version put back; the version found is here as hooks\/pre-push\.$/m);
    // The set-up is the kept one again: a second look finds nothing.
    assert.equal(await restoreGitSetup(kept, quarantine(repo, 'two'), 'a test', at), null);
  });

  test("a config key that runs a command, set while the person also changed a harmless key: the start config is back whole, the person's version is in the quarantine folder", async () => {
    const repo = makeRepo();
    const config = path.join(repo, '.git', 'config');
    const start = fs.readFileSync(config, 'utf8');
    const kept = (await keepGitSetup(repo))!;
    git(repo, 'config', 'core.fsmonitor', '/tmp/planted-monitor');
    git(repo, 'config', 'user.name', 'The Person');
    const found = fs.readFileSync(config, 'utf8');
    const r = (await restoreGitSetup(kept, quarantine(repo, 'config'), 'a test', new Date()))!;
    assert.deepEqual(r.changes, [{ name: 'config', change: 'changed' }]);
    assert.equal(fs.readFileSync(config, 'utf8'), start);
    assert.equal(fs.readFileSync(path.join(r.quarantine, 'config'), 'utf8'), found, 'nothing is lost: the whole version found is kept');
    assert.throws(() => git(repo, 'config', '--get', 'core.fsmonitor'), 'no fsmonitor is configured');
  });

  test('a worktree\'s config.worktree given a hook path: moved aside; the worktree keeps working', async () => {
    const repo = makeRepo();
    const tree = path.join(path.dirname(repo), 'tree');
    git(repo, 'worktree', 'add', '-q', tree, '-b', 'side');
    const kept = (await keepGitSetup(repo))!;
    git(repo, 'config', 'extensions.worktreeConfig', 'true');
    git(tree, 'config', '--worktree', 'core.hooksPath', '/tmp/planted');
    const r = (await restoreGitSetup(kept, quarantine(repo, 'wt'), 'a test', new Date()))!;
    assert.deepEqual(r.changes.map((c) => `${c.name} ${c.change}`), ['config changed', 'worktrees/tree/config.worktree added']);
    assert.equal(fs.existsSync(path.join(repo, '.git', 'worktrees', 'tree', 'config.worktree')), false);
    assert.match(fs.readFileSync(path.join(r.quarantine, 'worktrees', 'tree', 'config.worktree'), 'utf8'), /hooksPath = \/tmp\/planted/);
    assert.equal(git(tree, 'rev-parse', '--abbrev-ref', 'HEAD').trim(), 'side');
  });
});

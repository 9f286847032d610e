import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  affectsRunFollowers,
  INTEGRATION_NAME,
  approvalsFolder,
  userConfigFolder,
  attemptDir,
  attemptFiles,
  featureSlug,
  historyFile,
  integrationBranch,
  integrationPath,
  isSafeName,
  leaseFile,
  lockTableFile,
  lockTableMutexFile,
  packageBranch,
  reportFiles,
  runDir,
  runStateFile,
  runStateFileName,
  verifyLogFile,
  wavesDir,
  worktreePath,
  worktreesRoot,
} from '../../../src/core/run/runPaths';
import * as store from '../../../src/store/runStore';

const repo = path.join(path.sep, 'home', 'me', 'app');
const j = (...parts: string[]) => path.join(repo, ...parts);

describe('runPaths', () => {
  it('names every file under .waves', () => {
    assert.equal(wavesDir(repo), j('.waves'));
    assert.equal(lockTableFile(repo), j('.waves', 'locks.json'));
    assert.equal(lockTableMutexFile(repo), j('.waves', 'locks.json.lock'));
    assert.equal(runStateFile(repo, 'add-login'), j('.waves', 'runs', 'add-login.json'));
    assert.equal(leaseFile(repo, 'add-login'), j('.waves', 'runs', 'add-login.lease'));
    assert.equal(runDir(repo, 'add-login', 'r1'), j('.waves', 'runs', 'add-login', 'r1'));
    assert.deepEqual(reportFiles(repo, 'add-login', 'r1'), {
      markdown: j('.waves', 'runs', 'add-login', 'r1', 'report.md'),
      json: j('.waves', 'runs', 'add-login', 'r1', 'report.json'),
    });
    const dir = attemptDir(repo, 'add-login', 'r1', 'wp-api', 2);
    assert.equal(dir, j('.waves', 'runs', 'add-login', 'r1', 'wp-api', '2'));
    assert.deepEqual(attemptFiles(dir), {
      prompt: path.join(dir, 'prompt.md'),
      spec: path.join(dir, 'spec.json'),
      meta: path.join(dir, 'meta.json'),
      log: path.join(dir, 'agent.log'),
      result: path.join(dir, 'result.json'),
      needsInput: path.join(dir, 'needs-input.json'),
      cancel: path.join(dir, 'cancel'),
      exit: path.join(dir, 'exit.json'),
    });
    assert.equal(verifyLogFile(dir, 1), path.join(dir, 'verify-1.log'));
    assert.equal(historyFile(repo, 'add-login', 'r1'), j('.waves', 'history', 'add-login', 'r1.json'));
  });

  it('puts worktrees in a sibling folder, and names branches', () => {
    const root = path.join(path.sep, 'home', 'me', 'app.worktrees', 'add-login');
    assert.equal(worktreesRoot(repo, 'add-login'), root);
    assert.equal(worktreesRoot(`${repo}${path.sep}`, 'add-login'), root, 'a trailing separator changes nothing');
    assert.equal(worktreePath(repo, 'add-login', 'wp-api'), path.join(root, 'wp-api'));
    assert.equal(integrationPath(repo, 'add-login'), path.join(root, '_integration'));
    assert.equal(packageBranch('add-login', 'wp-api'), 'waves/add-login/wp-api');
    assert.equal(integrationBranch('add-login'), 'waves/add-login/_integration');
    // A package called "integration" keeps its own branch and worktree.
    assert.notEqual(packageBranch('add-login', 'integration'), integrationBranch('add-login'));
    assert.notEqual(worktreePath(repo, 'add-login', 'integration'), integrationPath(repo, 'add-login'));
    assert.throws(() => packageBranch('add-login', INTEGRATION_NAME), RangeError);
  });

  it('puts worktrees in a configured folder (absolute, or relative to the repository) when one is given', () => {
    const abs = path.join(path.sep, 'trees');
    assert.equal(worktreesRoot(repo, 'add-login', abs), path.join(abs, 'add-login'));
    assert.equal(worktreePath(repo, 'add-login', 'wp-api', abs), path.join(abs, 'add-login', 'wp-api'));
    assert.equal(integrationPath(repo, 'add-login', abs), path.join(abs, 'add-login', '_integration'));
    assert.equal(worktreesRoot(repo, 'add-login', '../trees'), path.join(path.dirname(repo), 'trees', 'add-login'));
    assert.equal(worktreesRoot(repo, 'add-login', '  '), worktreesRoot(repo, 'add-login'), 'blank: the sibling folder');
  });

  it('uses the run-state file name, without .json, for features everywhere', () => {
    for (const id of ['add-login', 'Add Login', 'con', '../../etc', 'é', '']) {
      const slug = featureSlug(id);
      assert.equal(`${slug}.json`, runStateFileName(id));
      assert.equal(featureSlug(slug), slug, 'idempotent');
      assert.ok(isSafeName(slug), slug);
      assert.equal(path.basename(runStateFile(repo, id)), `${slug}.json`);
      assert.equal(packageBranch(id, 'p'), `waves/${slug}/p`);
      assert.equal(path.dirname(historyFile(repo, id, 'r')), j('.waves', 'history', slug));
    }
    // The store's exports are the same functions.
    assert.equal(store.runStateFileName, runStateFileName);
    assert.equal(store.runStateFile, runStateFile);
  });

  it('refuses ids that cannot be one path segment and one ref component', () => {
    for (const bad of ['', '.', '..', 'a/b', 'a\\b', '.hidden', '-x', 'a..b', 'x.lock', 'x.', 'a b', 'a:b', 'a*', 'ü', 'x'.repeat(129)]) {
      assert.equal(isSafeName(bad), false, bad);
      assert.throws(() => worktreePath(repo, 'f', bad), RangeError, bad);
      assert.throws(() => runDir(repo, 'f', bad), RangeError, bad);
    }
    for (const good of ['wp-api', 'a_b', 'v1.2', '2025-03-01T10-00-00Z-1a2b', 'A']) assert.ok(isSafeName(good), good);
    for (const n of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => attemptDir(repo, 'f', 'r', 'p', n), RangeError);
      assert.throws(() => verifyLogFile(repo, n), RangeError);
    }
  });

  it('affectsRunFollowers: run states, the lock table and the runs folder do; temp files, leases and logs do not', () => {
    const repo = path.join(path.sep, 'repo');
    const inRuns = path.basename(runStateFile(repo, 'My.Feature'));
    assert.equal(affectsRunFollowers(true, inRuns), true, 'a run state');
    assert.equal(affectsRunFollowers(true, `${inRuns}.tmp-123-4`), false, 'the temp file of its atomic write');
    assert.equal(affectsRunFollowers(true, path.basename(leaseFile(repo, 'f'))), false, 'a lease');
    assert.equal(affectsRunFollowers(false, path.basename(lockTableFile(repo))), true, 'the lock table');
    assert.equal(affectsRunFollowers(false, path.basename(lockTableMutexFile(repo))), false, "the lock table's mutex");
    assert.equal(affectsRunFollowers(false, 'runs'), true, 'the runs folder made or deleted');
    assert.equal(affectsRunFollowers(false, 'history'), false);
    assert.equal(affectsRunFollowers(false, '.waves'), true, 'the watched folder itself');
    assert.equal(affectsRunFollowers(true, null), true, 'no name given: always');
    assert.equal(affectsRunFollowers(false, null), true);
  });
});

describe('the person\'s folder (approvals live there, never in a repository)', () => {
  it('WAVES_CONFIG_DIR, else %APPDATA% on Windows, else XDG_CONFIG_HOME, else ~/.config', () => {
    assert.equal(userConfigFolder({ WAVES_CONFIG_DIR: '/t/cfg', XDG_CONFIG_HOME: '/x' }, 'linux', '/home/me'), '/t/cfg');
    assert.equal(userConfigFolder({ XDG_CONFIG_HOME: '/x' }, 'linux', '/home/me'), '/x/wave-orchestrator');
    assert.equal(userConfigFolder({}, 'linux', '/home/me'), '/home/me/.config/wave-orchestrator');
    assert.equal(userConfigFolder({ XDG_CONFIG_HOME: 'relative' }, 'linux', '/home/me'), '/home/me/.config/wave-orchestrator', 'a relative XDG_CONFIG_HOME is ignored (the spec says so)');
    assert.equal(userConfigFolder({ WAVES_CONFIG_DIR: 'rel' }, 'darwin', '/Users/me'), '/Users/me/.config/wave-orchestrator');
    assert.equal(userConfigFolder({ APPDATA: 'C:\\Users\\me\\AppData\\Roaming' }, 'win32', 'C:\\Users\\me'), 'C:\\Users\\me\\AppData\\Roaming\\wave-orchestrator');
    assert.equal(approvalsFolder('/home/me/.config/wave-orchestrator', 'linux'), '/home/me/.config/wave-orchestrator/approvals');
  });
});

/**
 * A worktree's dependencies laid from the person's checkout as copy-on-write overlays inside the
 * walls (ADR 0026), with the real bubblewrap, util-linux's unshare and mount, the real runner and
 * the scripted agent: an agent rewrites dependency files in its tree (in place, by rename, a
 * delete) and its verification sees its own changes; the person's checkout and a sibling's tree
 * stay byte for byte the same. A tree whose lockfile is not the checkout's gets nothing laid.
 *
 * Run: node --import tsx --test test/engine/attempt/dependencyOverlays.test.ts
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { lockfilesMatch, overlayPathUsable, overlayPrefix, OVERLAY_SCRIPT, bwrapUserArgs } from '../../../src/core/walls/dependencyFolders';
import { attemptDir, runStateFile } from '../../../src/core/run/runPaths';
import { settingUpSince } from '../../../src/core/run/runStateReducer';
import { packageRunText } from '../../../src/core/present/runStatusText';
import { overlayTools } from '../../../src/engine/attempt/wallsDeps';
import { engineFor, isolateGit, planYaml, readAt } from '../engineFixtures';
import { buildRunner, git, makeRepo, tempDir, waitFor } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

/** Every file under `dir` (relative path → sha256), sorted; links by their target. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of (fs.readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const p = path.join(dir, rel);
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(p)}`;
    else if (st.isFile()) out[rel] = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    else if (st.isDirectory()) out[rel] = 'dir';
  }
  return out;
}

describe('dependency folders (core)', () => {
  test('a folder is laid only when the lockfiles are the same in the tree and the checkout', () => {
    assert.equal(lockfilesMatch({ 'package-lock.json': 'A', 'yarn.lock': null }, { 'package-lock.json': 'A', 'yarn.lock': null }), true);
    assert.equal(lockfilesMatch({ 'package-lock.json': 'A' }, { 'package-lock.json': 'B' }), false, 'changed on the branch');
    assert.equal(lockfilesMatch({ 'package-lock.json': 'A', 'yarn.lock': 'Y' }, { 'package-lock.json': 'A', 'yarn.lock': null }), false, 'a lockfile added on the branch');
    assert.equal(lockfilesMatch({ 'package-lock.json': null }, { 'package-lock.json': null }), false, 'no lockfile and no manifest: nothing says what the folder holds');
    // A library that keeps no lockfile in git: the checkout's own (from the person's install) is not the tree's to have; the manifest decides.
    assert.equal(lockfilesMatch({ 'package-lock.json': null }, { 'package-lock.json': 'L' }, { tree: 'M', checkout: 'M' }), true);
    assert.equal(lockfilesMatch({ 'package-lock.json': null }, { 'package-lock.json': 'L' }, { tree: 'M2', checkout: 'M' }), false, 'its manifest changed on the branch');
    assert.equal(lockfilesMatch({ 'package-lock.json': null }, { 'package-lock.json': null }, { tree: null, checkout: null }), false);
    assert.equal(lockfilesMatch({ 'package-lock.json': 'A' }, { 'package-lock.json': 'A' }, { tree: 'M2', checkout: 'M' }), true, 'a lockfile, when the tree has one, says it all');
  });

  test('paths an overlay cannot name are refused, not quoted', () => {
    assert.equal(overlayPathUsable('/home/p/repo/node_modules'), true);
    for (const bad of ['relative/node_modules', '/a,b/node_modules', '/a:b/node_modules', '/a\\b', '/a\nb']) assert.equal(overlayPathUsable(bad), false, bad);
  });

  test('the prefix: a user and mount namespace, the fixed script, then the paths as arguments; bubblewrap gives back the ids', () => {
    const tools = { unshare: '/usr/bin/unshare', sh: '/bin/sh', mount: '/usr/bin/mount' };
    assert.deepEqual(overlayPrefix(tools, []), []);
    const laid = [{ lower: '/r/node_modules', upper: '/r/.git/worktrees/a/waves-deps/node_modules/upper', work: '/r/.git/worktrees/a/waves-deps/node_modules/work', target: '/t/a/node_modules' }];
    assert.deepEqual(overlayPrefix(tools, laid), ['/usr/bin/unshare', '--user', '--map-root-user', '--mount', '--', '/bin/sh', '-c', OVERLAY_SCRIPT, 'sh', '/usr/bin/mount', '1', laid[0]!.lower, laid[0]!.upper, laid[0]!.work, laid[0]!.target, '0']);
    assert.ok(!OVERLAY_SCRIPT.includes('/r/'), 'no path is ever part of the script text');
    assert.deepEqual(bwrapUserArgs(1000, 1001), ['--unshare-user', '--uid', '1000', '--gid', '1001']);
  });
});

describe('dependency folders laid over worktrees (bubblewrap, overlays)', () => {
  test('overlays can be mounted on this machine (util-linux unshare and mount, Linux 5.11 and later)', () => {
    assert.ok(overlayTools(), 'an overlay in a user namespace of its own was refused here');
  });

  test("an agent's writes to its dependencies stay its own: the checkout and a sibling's tree are unchanged, its verification sees them", async () => {
    const root = tempDir('waves-deps-');
    const lock = JSON.stringify({ name: 'p', lockfileVersion: 3, requires: true, packages: { '': { name: 'p', dependencies: { dep: '1.0.0' } }, 'node_modules/dep': { version: '1.0.0' } } }, null, 2) + '\n';
    const repo = makeRepo({ 'README.md': '# x\n', '.gitignore': 'node_modules/\n', 'package.json': '{ "name": "p", "dependencies": { "dep": "1.0.0" } }\n', 'package-lock.json': lock });
    process.env.WAVES_SANDBOX_READ = [root, path.dirname(repo)].join(path.delimiter);
    // The person's installed dependencies (not in git).
    const deps = path.join(repo, 'node_modules');
    fs.mkdirSync(path.join(deps, 'dep', 'lib'), { recursive: true });
    fs.writeFileSync(path.join(deps, 'dep', 'package.json'), '{ "name": "dep", "version": "1.0.0" }\n');
    fs.writeFileSync(path.join(deps, 'dep', 'index.js'), 'module.exports = 1;\n');
    fs.writeFileSync(path.join(deps, 'dep', 'lib', 'other.js'), 'module.exports = "other";\n');
    fs.writeFileSync(path.join(deps, 'dep', 'gone.js'), 'module.exports = "gone";\n');
    fs.symlinkSync('../dep/index.js', path.join(deps, 'dep', 'link.js'));
    const before = snapshot(deps);
    const gate = path.join(root, 'gate');
    const planFile = path.join(repo, 'work-packages.yaml');
    fs.writeFileSync(
      planFile,
      planYaml('deps', [
        {
          id: 'a',
          agent: [
            'copy node_modules/dep/index.js a/seen-before.js',
            'append node_modules/dep/index.js // changed in place\\n',
            'write node_modules/dep/lib/next.js module.exports = "replaced";\\n',
            'rename node_modules/dep/lib/next.js node_modules/dep/lib/other.js',
            'delete node_modules/dep/gone.js',
            'write node_modules/added/index.js module.exports = "added";\\n',
            'commit',
          ],
          commands: [`node -e "const fs=require('fs');process.exit(fs.readFileSync('node_modules/dep/index.js','utf8').includes('changed in place')&&!fs.existsSync('node_modules/dep/gone.js')&&require('dep/lib/other.js')==='replaced'?0:1)"`],
        },
        { id: 'b', agent: [`wait-for ${gate}`, 'copy node_modules/dep/index.js b/seen-index.js', 'copy node_modules/dep/lib/other.js b/seen-other.js', 'copy node_modules/dep/gone.js b/seen-gone.js', 'commit'] },
      ]),
    );
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'plan');
    const { engine } = await engineFor(planFile, runnerScript, { verification: 'approved' });
    let outcome: Awaited<ReturnType<typeof engine.run>> | undefined;
    try {
      const running = engine.run();
      // b reads its dependencies only once a has changed its own.
      await waitFor(() => engine.store?.state?.packages.a?.status === 'succeeded', 'a merged', 60_000);
      fs.writeFileSync(gate, 'go');
      outcome = await running;
    } finally {
      engine.dispose();
    }
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    // The person's checkout: byte for byte as it was.
    assert.deepEqual(snapshot(deps), before);
    // a saw the checkout's files, and its verification (in walls of its own) saw a's changes: it passed.
    assert.equal(readAt(repo, outcome.integrationBranch!, 'a/seen-before.js'), 'module.exports = 1;\n');
    // b, a sibling laid from the same folder after a changed its own, saw the originals.
    assert.equal(readAt(repo, outcome.integrationBranch!, 'b/seen-index.js'), 'module.exports = 1;\n');
    assert.equal(readAt(repo, outcome.integrationBranch!, 'b/seen-other.js'), 'module.exports = "other";\n');
    assert.equal(readAt(repo, outcome.integrationBranch!, 'b/seen-gone.js'), 'module.exports = "gone";\n');
    // Nothing of node_modules was committed (it is ignored), and the agent's log says what was laid.
    const log = fs.readFileSync(path.join(attemptDir(repo, 'deps', outcome.runId, 'a', 1), 'agent.log'), 'utf8');
    assert.match(log, new RegExp(`^waves: node_modules: laid from ${fs.realpathSync(deps).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(copy-on-write\\)$`, 'm'));
    // Its prompt said so, and how to add to them (npm ci would install every package again).
    assert.match(fs.readFileSync(path.join(attemptDir(repo, 'deps', outcome.runId, 'a', 1), 'prompt.md'), 'utf8'), /`node_modules` is already there as you start.*\n.*\n.*`npm install <name>`.*do not run `npm ci`/);
  });

  test("a tree whose lockfile is not the checkout's gets nothing laid, and its log says why", async () => {
    const root = tempDir('waves-deps-');
    const repo = makeRepo({ 'README.md': '# x\n', '.gitignore': 'node_modules/\n', 'package.json': '{ "name": "p" }\n', 'package-lock.json': '{ "lockfileVersion": 3 }\n' });
    process.env.WAVES_SANDBOX_READ = [root, path.dirname(repo)].join(path.delimiter);
    fs.mkdirSync(path.join(repo, 'node_modules', 'dep'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;\n');
    const planFile = path.join(repo, 'work-packages.yaml');
    fs.writeFileSync(planFile, planYaml('nodeps', [{ id: 'a', agent: ['write a/ok.txt ok', 'commit'], commands: ['test ! -e node_modules/dep/index.js'] }]));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'plan');
    // The person changed their lockfile (and installed from it) since: the tree's, from git, is not theirs.
    fs.writeFileSync(path.join(repo, 'package-lock.json'), '{ "lockfileVersion": 3, "packages": {} }\n');
    const { engine } = await engineFor(planFile, runnerScript, { verification: 'approved' });
    let outcome: Awaited<ReturnType<typeof engine.run>> | undefined;
    try {
      outcome = await engine.run();
    } finally {
      engine.dispose();
    }
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    const log = fs.readFileSync(path.join(attemptDir(repo, 'nodeps', outcome.runId, 'a', 1), 'agent.log'), 'utf8');
    assert.match(log, /^waves: node_modules: the tree's lockfile \(or package\.json\) is not the checkout's \(not laid: install them\)$/m);
  });
});

describe('the set-up hook inside walls (bubblewrap)', () => {
  test("the person's set-up command runs in the new tree inside walls drawn for a command: its tree writable, the home folder not", async () => {
    const root = tempDir('waves-setup-');
    const repo = makeRepo({ 'README.md': '# x\n', '.gitignore': 'installed.txt\n' });
    process.env.WAVES_SANDBOX_READ = [root, path.dirname(repo)].join(path.delimiter);
    const home = process.env.HOME!;
    fs.writeFileSync(path.join(home, '.bashrc'), '# mine\n');
    const planFile = path.join(repo, 'work-packages.yaml');
    fs.writeFileSync(planFile, planYaml('setup', [{ id: 'a', agent: ['copy installed.txt a/seen.txt', 'commit'] }]));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'plan');
    const hook = `const fs=require('fs');fs.writeFileSync('installed.txt','set up\\n');try{fs.appendFileSync(${JSON.stringify(path.join(home, '.bashrc'))},'planted\\n');console.log('home written')}catch(e){console.log('home refused '+e.code)}`;
    const { engine } = await engineFor(planFile, runnerScript, { setupHook: [process.execPath, '-e', hook] });
    let outcome: Awaited<ReturnType<typeof engine.run>> | undefined;
    try {
      outcome = await engine.run();
    } finally {
      engine.dispose();
    }
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    assert.equal(readAt(repo, outcome.integrationBranch!, 'a/seen.txt'), 'set up\n', 'the agent found what the hook made in its tree');
    assert.equal(fs.readFileSync(path.join(home, '.bashrc'), 'utf8'), '# mine\n');
    const log = fs.readFileSync(path.join(attemptDir(repo, 'setup', outcome.runId, 'a', 1), 'setup.log'), 'utf8');
    assert.match(log, /^home refused EROFS$/m);
  });

  test('a set-up command that does not end (a tool retrying a registry the walls refuse) is stopped when its package is cancelled, with all it started: the package is cancelled, not failed', async () => {
    const root = tempDir('waves-setup-stop-');
    const repo = makeRepo({ 'README.md': '# x\n' });
    process.env.WAVES_SANDBOX_READ = [root, path.dirname(repo)].join(path.delimiter);
    const planFile = path.join(repo, 'work-packages.yaml');
    fs.writeFileSync(planFile, planYaml('setupstop', [{ id: 'a', agent: ['write a/x.txt x', 'commit'] }]));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'plan');
    // The hook and a child of its own, both waiting for good (the child known by its text, 1001).
    const hook = `require('child_process').spawn(process.execPath,['-e','setInterval(()=>{},1001)'],{stdio:'ignore'});console.log('installing…');setInterval(()=>{},1000)`;
    const leftover = () => /setInterval\(\(\)=>\{\},1001\)/.test(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }));
    const { engine, events } = await engineFor(planFile, runnerScript, { setupHook: [process.execPath, '-e', hook] });
    try {
      const done = engine.run();
      const setupLog = () => {
        const runId = engine.store?.state?.runId;
        return runId ? path.join(attemptDir(repo, 'setupstop', runId, 'a', 1), 'setup.log') : '';
      };
      await waitFor(() => setupLog() && fs.existsSync(setupLog()) && fs.readFileSync(setupLog(), 'utf8').includes('installing') && leftover(), 'the set-up hook and its child running', 30_000);
      // While it runs the package is said to be setting up its worktree, not only queued: in the state (on disk too, for `waves status`) and in the progress lines.
      // (Read before the cancel, asserted after it: a failed assertion must not leave the hook running.)
      const live = engine.store!.state!.packages.a!;
      const saved = await waitFor(() => settingUpSince(JSON.parse(fs.readFileSync(runStateFile(repo, 'setupstop'), 'utf8')).packages.a) !== null, 'setting up saved in the state file', 10_000).then(() => true, () => false);
      const said = [...events];
      const started = Date.now();
      await engine.cancel('a');
      const outcome = await done;
      assert.ok(Date.now() - started < 20_000, 'the run ended once its package was cancelled');
      assert.equal(live.status, 'queued');
      assert.ok(settingUpSince(live), `the last phase is setting-up: ${JSON.stringify(live.phases)}`);
      assert.match(packageRunText(live, Date.now()), /^setting up its worktree \d/);
      assert.ok(saved, 'setting up is saved in the state file (waves status reads it)');
      assert.ok(said.some((e) => e.type === 'package' && e.packageId === 'a' && e.status === 'queued' && /^setting up its worktree \(.*node.* -e /.test(e.detail ?? '')), JSON.stringify(said));
      const a = outcome.state.packages.a!;
      assert.equal(a.status, 'cancelled', a.lastError ?? '');
      assert.equal(a.lastError, 'cancelled while its worktree was set up');
      // Cancelled: no longer setting up.
      assert.equal(settingUpSince(a), null);
      assert.equal(fs.readFileSync(setupLog(), 'utf8'), 'installing…\nwaves: the set-up hook was stopped: its package was cancelled\n');
    } finally {
      engine.dispose();
    }
    await waitFor(() => !leftover(), 'no process of the hook left', 10_000);
  });

  test("a set-up command that does not end is held to its package's time limit: stopped with what it started, the attempt failed saying so", async () => {
    const root = tempDir('waves-setup-limit-');
    const repo = makeRepo({ 'README.md': '# x\n' });
    process.env.WAVES_SANDBOX_READ = [root, path.dirname(repo)].join(path.delimiter);
    const planFile = path.join(repo, 'work-packages.yaml');
    fs.writeFileSync(planFile, planYaml('setuplimit', [{ id: 'a', timeoutMinutes: 1, agent: ['write a/x.txt x', 'commit'] }]));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'plan');
    const hook = `require('child_process').spawn(process.execPath,['-e','setInterval(()=>{},1002)'],{stdio:'ignore'});console.log('installing…');setInterval(()=>{},1000)`;
    const leftover = () => /setInterval\(\(\)=>\{\},1002\)/.test(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }));
    // One plan minute is 3 s here.
    const { engine } = await engineFor(planFile, runnerScript, { setupHook: [process.execPath, '-e', hook], minuteMs: 3000 });
    let outcome: Awaited<ReturnType<typeof engine.run>> | undefined;
    try {
      outcome = await engine.run();
    } finally {
      engine.dispose();
    }
    const a = outcome.state.packages.a!;
    assert.equal(a.status, 'failed');
    assert.match(a.lastError ?? '', /the set-up hook \S+ -e .* failed \(killed by SIGKILL\)/);
    assert.match(a.lastError ?? '', /waves: the set-up hook did not end within its package's time limit \(timeout_minutes\): stopped/);
    await waitFor(() => !leftover(), 'no process of the hook left', 10_000);
  });

  test("a set-up command `npm ci` over a laid node_modules that npm installed as the tree's lockfile asks is not run (it would write every package again), and its log says why; one the checkout's install does not match runs", async () => {
    const root = tempDir('waves-setup-npm-');
    process.env.WAVES_SANDBOX_READ = root;
    const dep = { version: '1.0.0', resolved: 'http://127.0.0.1:9/dep/-/dep-1.0.0.tgz', integrity: 'sha512-' + 'A'.repeat(86) + '==' };
    const lock = JSON.stringify({ name: 'p', lockfileVersion: 3, requires: true, packages: { '': { name: 'p', dependencies: { dep: '1.0.0' } }, 'node_modules/dep': dep } }, null, 2) + '\n';
    /** A repository whose checkout has node_modules installed (npm's record of it: `installed`), a plan whose agent copies the dependency's file. */
    const project = (feature: string, installed: typeof dep) => {
      const repo = makeRepo({ 'README.md': '# x\n', '.gitignore': 'node_modules/\n', 'package.json': '{ "name": "p", "dependencies": { "dep": "1.0.0" } }\n', 'package-lock.json': lock });
      process.env.WAVES_SANDBOX_READ = [root, path.dirname(repo)].join(path.delimiter);
      fs.mkdirSync(path.join(repo, 'node_modules', 'dep'), { recursive: true });
      fs.writeFileSync(path.join(repo, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;\n');
      fs.writeFileSync(path.join(repo, 'node_modules', '.package-lock.json'), JSON.stringify({ name: 'p', lockfileVersion: 3, requires: true, packages: { 'node_modules/dep': installed } }, null, 2));
      const planFile = path.join(repo, 'work-packages.yaml');
      fs.writeFileSync(planFile, planYaml(feature, [{ id: 'a', agent: ['copy node_modules/dep/index.js a/seen.js', 'commit'] }]));
      git(repo, 'add', '-A');
      git(repo, 'commit', '-q', '-m', 'plan');
      return { repo, planFile };
    };
    const run = async (planFile: string) => {
      const { engine } = await engineFor(planFile, runnerScript, { setupHook: ['npm', 'ci', '--no-audit'] });
      try {
        return await engine.run();
      } finally {
        engine.dispose();
      }
    };

    const same = project('npmskip', dep);
    const outcome = await run(same.planFile);
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    assert.equal(readAt(same.repo, outcome.integrationBranch!, 'a/seen.js'), 'module.exports = 1;\n', 'the agent read the laid dependency');
    const log = fs.readFileSync(path.join(attemptDir(same.repo, 'npmskip', outcome.runId, 'a', 1), 'setup.log'), 'utf8');
    assert.equal(log, `waves: npm ci --no-audit not run: node_modules is laid from ${fs.realpathSync(same.repo)}/node_modules (copy-on-write inside the walls), which npm installed as this tree's lockfile asks\n`, 'npm did not run (offline here, it would have failed)');

    // The checkout's install is another version than the lockfile's: npm ci runs (and, its registry closed here, fails the set-up, named).
    const other = project('npmruns', { ...dep, version: '0.9.0' });
    const failed = await run(other.planFile);
    assert.equal(failed.state.packages.a!.status, 'failed');
    assert.match(failed.state.packages.a!.lastError ?? '', /the set-up hook npm ci --no-audit failed/);
    const ran = fs.readFileSync(path.join(attemptDir(other.repo, 'npmruns', failed.runId, 'a', 1), 'setup.log'), 'utf8');
    assert.match(ran, /^waves: npm ci --no-audit runs: \S+\/node_modules is not what the lockfile asks \(dep: its version is not the lockfile's\)\nnpm /);
  });
});

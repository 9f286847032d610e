/**
 * Worktrees ready to work in on SSH hosts (ADR 0026), end to end with a real sshd
 * (test/hosts/sshd.ts): the set-up hook runs inside the host's walls (its tree writable, the
 * home folder there not), the copy list's files arrive in the host's tree byte for byte, by the
 * local copy's rules (what leaves the checkout, a link leading out, what git would carry: left
 * out and said), the host's side refuses to write through a link of its tree or over a file,
 * and each package's port range reaches its agent there as here.
 */
import { strict as assert } from 'node:assert';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import type { EngineEvent } from '../../src/engine/run/engine';
import { copyListToHost } from '../../src/engine/hosts/hostCopy';
import { SshHost } from '../../src/engine/hosts/ssh';
import { engineFor, isolateGit, readAt, repoWithPlan, treeFiles } from '../engine/engineFixtures';
import { buildRunner, git, makeRepo, tempDir, waitFor } from '../engine/helpers';
import { SshClient, startHost, type TestHost } from './sshd';

let runnerScript = '';
let client: SshClient;
let h1: TestHost;

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
  client = new SshClient();
  h1 = await startHost(client, 'h1', 2);
});

after(() => {
  h1?.remove();
  client?.remove();
});

const shown = (events: readonly EngineEvent[]) => events.map((e) => ('packageId' in e ? `${e.packageId} ` : '') + `${e.type}${'status' in e ? ` ${e.status}` : ''}${'detail' in e && e.detail ? `: ${e.detail}` : ''}${'message' in e ? `: ${e.message}` : ''}`).join('\n');

/** The host's home folder (its sessions' `$HOME`): the host is this machine, reached as its user. */
const hostHome = os.userInfo().homedir;

/** A file of a revision, its bytes. */
const blob = (repo: string, rev: string, file: string) => execFileSync('git', ['-C', repo, 'show', `${rev}:${file}`]);

/** An attempt's setup.log there (the host's folder is on this machine). */
const setupLog = (resultFile: string) => fs.readFileSync(path.join(path.dirname(resultFile), 'setup.log'), 'utf8');

describe('hosts: the set-up hook runs inside the host walls', () => {
  it("writes its tree (the agent finds what it made) and is refused the host's home folder (EROFS)", async () => {
    const probe = path.join(hostHome, `.waves-hook-probe-${crypto.randomBytes(6).toString('hex')}`);
    const { planFile, repo } = repoWithPlan('host-hook-walls', [{ id: 'a', agent: ['copy installed.txt a/seen.txt', 'commit'] }], { '.gitignore': 'installed.txt\n' });
    const hook = `const fs=require('fs');fs.writeFileSync('installed.txt','set up there\\n');try{fs.appendFileSync(${JSON.stringify(probe)},'planted\\n');console.log('home written')}catch(e){console.log('home refused '+e.code)}`;
    try {
      const { engine, events } = await engineFor(planFile, runnerScript, { hosts: [h1.host], setupHook: ['node', '-e', hook] });
      const out = await engine.run();
      const a = out.state.packages.a!;
      assert.equal(out.outcome, 'succeeded', shown(events));
      assert.equal(a.host, 'h1');
      assert.equal(readAt(repo, out.integrationBranch!, 'a/seen.txt'), 'set up there\n', 'the agent found what the hook made in its tree there');
      assert.match(setupLog(a.resultFile!), /^home refused EROFS$/m);
      assert.equal(fs.existsSync(probe), false, "nothing written in the host's home folder");
    } finally {
      fs.rmSync(probe, { force: true });
    }
  });

  it('a hook that writes only the home folder fails its package, saying where the walls refused it and the switch', async () => {
    const probe = path.join(hostHome, `.waves-hook-probe-${crypto.randomBytes(6).toString('hex')}`);
    const { planFile } = repoWithPlan('host-hook-home', [{ id: 'b', agent: ['write b/b.txt', 'commit'] }]);
    try {
      const { engine, events } = await engineFor(planFile, runnerScript, { hosts: [h1.host], setupHook: ['sh', '-c', 'echo planted > "$0"', probe] });
      const out = await engine.run();
      const b = out.state.packages.b!;
      assert.equal(b.status, 'failed', shown(events));
      assert.match(b.lastError ?? '', /the set-up hook sh -c .* failed on h1 \(exit 2\); it met the walls' read-only files at .*\.waves-hook-probe-[0-9a-f]+: allow a folder with/);
      assert.match(b.lastError ?? '', /Read-only file system/);
      assert.equal(fs.existsSync(probe), false, "nothing written in the host's home folder");
    } finally {
      fs.rmSync(probe, { force: true });
    }
  });
});

describe('hosts: a set-up command that does not end', () => {
  // The hook and a child of its own, both waiting for good (known by their text on the host, which is this machine).
  const hanging = (n: number) => `require('child_process').spawn(process.execPath,['-e','setInterval(()=>{},${n})'],{stdio:'ignore'});console.log('installing…');setInterval(()=>{},1000)`;
  const left = (n: number) => new RegExp(`setInterval\\(\\(\\)=>\\{\\},${n}\\)`).test(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }));

  it('is stopped there when its package is cancelled, with all it started: the package is cancelled, not failed', async () => {
    const { planFile } = repoWithPlan('host-hook-cancel', [{ id: 'a', agent: ['write a/x.txt x', 'commit'] }]);
    const { engine, events } = await engineFor(planFile, runnerScript, { hosts: [h1.host], setupHook: ['node', '-e', hanging(1011)] });
    try {
      const done = engine.run();
      await waitFor(() => left(1011) && engine.store?.state?.packages.a?.phases?.at(-1)?.phase === 'setting-up', 'the hook and its child running there, the package setting up', 60_000);
      const cancelled = Date.now();
      await engine.cancel('a');
      const out = await done;
      const a = out.state.packages.a!;
      assert.ok(Date.now() - cancelled < 30_000, 'the run ended once its package was cancelled');
      assert.equal(a.status, 'cancelled', shown(events));
      assert.equal(a.lastError, 'cancelled while its worktree was set up');
      assert.ok(events.some((e) => e.type === 'package' && e.packageId === 'a' && /^setting up its worktree \(node -e /.test(e.detail ?? '')), shown(events));
    } finally {
      engine.dispose();
    }
    await waitFor(() => !left(1011), 'no process of the hook left there', 15_000);
  });

  it("is held to its package's time limit there: stopped with what it started, the attempt failed saying so", async () => {
    const { planFile } = repoWithPlan('host-hook-limit', [{ id: 'a', timeoutMinutes: 1, agent: ['write a/x.txt x', 'commit'] }]);
    // One plan minute is 4 s here.
    const { engine, events } = await engineFor(planFile, runnerScript, { hosts: [h1.host], setupHook: ['node', '-e', hanging(1012)], minuteMs: 4000 });
    let out: Awaited<ReturnType<typeof engine.run>>;
    try {
      out = await engine.run();
    } finally {
      engine.dispose();
    }
    const a = out.state.packages.a!;
    assert.equal(a.status, 'failed', shown(events));
    assert.match(a.lastError ?? '', /the set-up hook node -e .* failed on h1 \(exit 137\)/);
    assert.match(a.lastError ?? '', /waves: the set-up hook did not end within its package's time limit \(timeout_minutes\): stopped/);
    await waitFor(() => !left(1012), 'no process of the hook left there', 15_000);
  });
});

describe('hosts: the copy list reaches the host tree', () => {
  it('a copy-listed .env arrives byte for byte, a folder with its inner link too; what leaves the checkout, a link leading out and what git would carry are left out and said', async () => {
    const outside = tempDir('waves-outside-');
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'not yours\n');
    // The agent there takes copies into its scope; the verification there checks the link in the tree.
    const agent = ['copy .env c/seen.env', 'copy config/nested/deep.txt c/deep.txt', 'copy config/current.json c/current.json', 'commit'];
    const { planFile, repo } = repoWithPlan('host-copy', [{ id: 'c', agent, commands: ['test "$(readlink config/current.json)" = local.json && test ! -e leak.txt'] }], {
      '.gitignore': '.env\nconfig/\nleak.txt\n',
      'tracked.txt': 'in git\n',
    });
    // Every byte value, a line break and a NUL among them.
    const env = Buffer.concat([Buffer.from('API_URL=http://127.0.0.1:9\n'), Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('\nEND\n')]);
    fs.writeFileSync(path.join(repo, '.env'), env);
    fs.mkdirSync(path.join(repo, 'config', 'nested'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'config', 'local.json'), '{"local":true}\n');
    fs.writeFileSync(path.join(repo, 'config', 'nested', 'deep.txt'), 'deep\n');
    fs.symlinkSync('local.json', path.join(repo, 'config', 'current.json'));
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(repo, 'leak.txt'));
    fs.writeFileSync(path.join(repo, 'tracked.txt'), 'changed here\n');
    const entries = ['.env', 'config', 'leak.txt', '../outside/secret.txt', `${outside}/secret.txt`, 'tracked.txt'];
    const { engine, events } = await engineFor(planFile, runnerScript, { hosts: [h1.host], copyFiles: entries, verification: 'approved' });
    const out = await engine.run();
    const c = out.state.packages.c!;
    assert.equal(out.outcome, 'succeeded', shown(events));
    assert.equal(c.host, 'h1');
    assert.ok(c.worktree!.startsWith(h1.folder + '/'), c.worktree!);
    assert.deepEqual(c.verification.map((v) => [v.step, v.ok]), [['check-1', true]], 'the link inside the copied folder made again, relative; the link leading out not');
    assert.deepEqual(blob(repo, out.integrationBranch!, 'c/seen.env'), env, 'the .env there was the checkout’s byte for byte');
    assert.equal(readAt(repo, out.integrationBranch!, 'c/deep.txt'), 'deep\n');
    assert.equal(readAt(repo, out.integrationBranch!, 'c/current.json'), '{"local":true}\n');
    // The package's commit holds only its own files; the person's files are as they were.
    assert.deepEqual(treeFiles(repo, out.integrationBranch!), ['.gitignore', 'README.md', 'c/current.json', 'c/deep.txt', 'c/seen.env', 'tracked.txt', 'work-packages.yaml']);
    assert.equal(readAt(repo, out.integrationBranch!, 'tracked.txt'), 'in git\n');
    assert.deepEqual(fs.readFileSync(path.join(repo, '.env')), env);
    assert.equal(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8'), 'not yours\n');
    const log = setupLog(c.resultFile!);
    assert.match(log, /^copy list \(.*\): 4 copied, 4 left out$/m);
    for (const copied of ['.env', 'config/current.json', 'config/local.json', 'config/nested/deep.txt']) assert.match(log, new RegExp(`^  copied ${copied.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(log, /^  left out leak\.txt: leads outside the repository \(through a symbolic link\)$/m);
    assert.match(log, /^  left out \.\.\/outside\/secret\.txt: goes up out of the repository \(\.\.\)$/m);
    assert.match(log, /^  left out \/.*\/secret\.txt: an absolute path: entries are relative to the repository$/m);
    assert.match(log, /^  left out tracked\.txt: git does not ignore it, so the package's commit would take it/m);
  });

  it("the host's side writes nothing through a link of the tree and nothing over a file there", async () => {
    const checkout = makeRepo({ 'README.md': 'r\n', '.gitignore': 'conf/\ndeep/\n.env\n' });
    for (const folder of ['conf', 'deep']) {
      fs.mkdirSync(path.join(checkout, folder));
      fs.writeFileSync(path.join(checkout, folder, 'app.env'), 'A=1\n');
    }
    fs.writeFileSync(path.join(checkout, '.env'), 'MINE=1\n');
    // The tree there: `conf` and `deep` are links out of it (as tracked links would be), `.env` is there already.
    const tree = path.join(h1.folder, 'trees-by-hand', 'p');
    fs.mkdirSync(path.dirname(tree), { recursive: true });
    git(path.dirname(tree), 'clone', '-q', checkout, tree);
    const elsewhere = tempDir('waves-elsewhere-');
    fs.symlinkSync(elsewhere, path.join(tree, 'conf'));
    fs.symlinkSync(elsewhere, path.join(tree, 'deep'));
    fs.writeFileSync(path.join(tree, '.env'), 'THEIRS=1\n');
    const ssh = new SshHost(h1.host as typeof h1.host & { ssh: string; folder: string });
    try {
      const copy = await copyListToHost(ssh, { checkout, tree, entries: ['deep/app.env', 'conf', '.env'], node: 'node' });
      assert.deepEqual(copy.copied, []);
      assert.deepEqual(copy.skipped, [
        { path: 'deep/app.env', why: "the worktree's deep is a symbolic link: nothing is written through it" },
        { path: 'conf', why: 'the worktree has a link there: left as it is' },
        { path: '.env', why: 'the worktree has it already (from git or the agent): left as it is' },
      ]);
      assert.deepEqual(fs.readdirSync(elsewhere), [], 'nothing written through the links');
      assert.equal(fs.readFileSync(path.join(tree, '.env'), 'utf8'), 'THEIRS=1\n');
    } finally {
      await ssh.close();
    }
  });
});

describe('hosts: each package its own port range', () => {
  it("the agents on a host get their package's port range, as here", async () => {
    const ids = ['p0', 'p1'];
    const { planFile, repo } = repoWithPlan('host-ports', ids.map((id) => ({ id, agent: [`env WAVES_PORT_RANGE ${id}/range.txt`, `env PORT ${id}/port.txt`, 'commit'] })));
    const { engine, events } = await engineFor(planFile, runnerScript, { hosts: [h1.host] });
    const out = await engine.run();
    assert.equal(out.outcome, 'succeeded', shown(events));
    ids.forEach((id, i) => {
      assert.equal(out.state.packages[id]!.host, 'h1');
      assert.equal(readAt(repo, out.integrationBranch!, `${id}/range.txt`), `WAVES_PORT_RANGE=${41000 + 100 * i}-${41099 + 100 * i}\n`);
      assert.equal(readAt(repo, out.integrationBranch!, `${id}/port.txt`), `PORT=${41000 + 100 * i}\n`);
    });
  });
});

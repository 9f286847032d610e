/**
 * Runs over SSH hosts (ADR 0011), end to end with the real things: two OpenSSH servers on
 * 127.0.0.1 (test/hosts/sshd.ts), the person's own `ssh` with a key and a known_hosts file,
 * git over that connection, the built runner copied there and started detached, the scripted
 * agent as a real process — and the audit and merge here.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Host } from '../../src/core/hosts/hostList';
import type { EngineEvent } from '../../src/engine/run/engine';
import type { RunState } from '../../src/core/run/runState';
import { runStateFile } from '../../src/core/run/runPaths';
import { checkHost } from '../../src/engine/hosts/hostsCheck';
import { SshExecutor } from '../../src/engine/hosts/sshExecutor';
import { engineFor, isolateGit, readAt, repoWithPlan, treeFiles, type TestPackage } from '../engine/engineFixtures';
import { buildRunner, git, makeRepo, waitFor } from '../engine/helpers';
import { SshClient, startHost, type TestHost } from './sshd';

let runnerScript = '';
let client: SshClient;
let h1: TestHost;
let h2: TestHost;

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
  client = new SshClient();
  h1 = await startHost(client, 'h1', 2);
  h2 = await startHost(client, 'h2', 2);
});

after(() => {
  h1?.remove();
  h2?.remove();
  client?.remove();
});

/** Four packages in two waves, each writing its own files; d reads what a and b wrote. */
const PLAN: TestPackage[] = [
  { id: 'a', agent: ['write a/a.txt from a', 'commit'] },
  { id: 'b', agent: ['write b/b.txt from b'] },
  { id: 'c', agent: ['write c/c.txt from c', 'write c/more.txt more'] },
  { id: 'd', deps: ['a', 'b'], agent: ['write d/d.txt from d', 'commit'] },
];

/** Events for a failure's message. */
const shown = (events: readonly EngineEvent[]) => events.map((e) => ('packageId' in e ? `${e.packageId} ` : '') + `${e.type}${'status' in e ? ` ${e.status}` : ''}${'detail' in e && e.detail ? `: ${e.detail}` : ''}${'message' in e ? `: ${e.message}` : ''}`).join('\n');

const local = (maxParallel = 1): Host => ({ name: 'local', maxParallel });

describe('hosts: a plan spread over this machine and two SSH hosts', () => {
  it('ends with the same integration tree as the same plan run here, each package on a host with a free slot', async () => {
    const here = repoWithPlan('spread-local', PLAN);
    const { engine: localEngine } = await engineFor(here.planFile, runnerScript);
    const ref = await localEngine.run();
    assert.equal(ref.outcome, 'succeeded');

    const there = repoWithPlan('spread-local', PLAN);
    const { engine, events } = await engineFor(there.planFile, runnerScript, { hosts: [local(1), h1.host, h2.host], maxParallel: 10 });
    const out = await engine.run();
    assert.equal(out.outcome, 'succeeded', JSON.stringify(events.filter((e) => e.type === 'problem' || e.type === 'package'), null, 1));
    // Same files, same contents, as the local run.
    const files = treeFiles(there.repo, out.integrationBranch!);
    assert.deepEqual(files, treeFiles(here.repo, ref.integrationBranch!));
    for (const f of files) assert.equal(readAt(there.repo, out.integrationBranch!, f), readAt(here.repo, ref.integrationBranch!, f), f);
    // Placed: the first wave (three packages, cap 1 here) went to all three hosts; the hosts are recorded.
    const hosts = Object.fromEntries(Object.values(out.state.packages).map((r) => [r.packageId, r.host]));
    assert.deepEqual(new Set([hosts.a, hosts.b, hosts.c]), new Set(['local', 'h1', 'h2']), JSON.stringify(hosts));
    // The remote ones worked in their host's folder, and the runner was copied there once.
    for (const [id, host] of Object.entries(hosts)) {
      const rec = out.state.packages[id]!;
      if (host === 'h1' || host === 'h2') {
        const folder = host === 'h1' ? h1.folder : h2.folder;
        assert.ok(rec.worktree!.startsWith(folder + '/'), `${id} worked in ${rec.worktree}`);
        assert.ok(rec.resultFile!.startsWith(folder + '/'), rec.resultFile!);
        // The runner and the run's MCP server beside it (ADR 0036), one of each.
        assert.deepEqual(fs.readdirSync(path.join(folder, 'runner')).filter((f) => f.endsWith('.js')).map((f) => f.replace(/-[0-9a-f]{16}\.js$/, '')).sort(), ['runner', 'waves-mcp']);
      } else {
        assert.ok(!rec.worktree!.startsWith(h1.folder) && !rec.worktree!.startsWith(h2.folder));
      }
    }
    // d's prompt names each upstream record where d ran: one written on another host was copied beside its attempt.
    const d = out.state.packages.d!;
    const dDir = path.dirname(d.logFile!);
    const prompt = fs.readFileSync(path.join(dDir, 'prompt.md'), 'utf8');
    for (const dep of ['a', 'b']) {
      const up = out.state.packages[dep]!;
      if (up.host === d.host) {
        assert.ok(prompt.includes(up.resultFile!), `${dep}'s record named as it is`);
      } else {
        const copy = path.join(dDir, 'upstream', `${dep}.json`);
        assert.ok(prompt.includes(copy), `${dep}'s record (on ${up.host}) named beside d's attempt (on ${d.host})`);
        assert.equal(fs.readFileSync(copy, 'utf8'), fs.readFileSync(up.resultFile!, 'utf8'));
      }
    }
  });

  it('audits what comes back like a local package: a write outside the scope on a host merges nothing', async () => {
    const { planFile, repo } = repoWithPlan('remote-scope', [{ id: 'x', agent: ['write x/ok.txt fine', 'write elsewhere.txt sneaky', 'commit'] }]);
    const { engine } = await engineFor(planFile, runnerScript, { hosts: [h1.host] });
    const out = await engine.run();
    assert.equal(out.state.packages.x!.status, 'scope-violation');
    assert.equal(out.state.packages.x!.host, 'h1');
    assert.deepEqual(out.state.packages.x!.scopeViolations.map((v) => v.path), ['elsewhere.txt']);
    assert.ok(!treeFiles(repo, out.integrationBranch!).includes('x/ok.txt'), 'nothing of it merged');
    // The commit judged came here by its id, under refs/waves/hosts/.
    const fetched = git(repo, 'for-each-ref', '--format=%(refname)', 'refs/waves/hosts/').trim();
    assert.equal(fetched, 'refs/waves/hosts/h1/remote-scope/x');
  });

  it('an agent that leaves its branch on the host is a breach, as here', async () => {
    const { planFile } = repoWithPlan('remote-branch', [{ id: 'y', agent: ['write y/y.txt y', 'git checkout -q -b elsewhere', 'commit'] }]);
    // The engine's own defence, without the walls (which refuse the new branch's ref outright).
    const { engine } = await engineFor(planFile, runnerScript, { hosts: [h2.host], confinement: { unconfined: true } });
    const out = await engine.run();
    assert.equal(out.state.packages.y!.status, 'scope-violation');
    assert.match(out.state.packages.y!.lastError ?? '', /left its branch .* on elsewhere/);
  });
});

describe('hosts: the set-up hook and verification run there', () => {
  it("a new tree's set-up hook and the approved verification commands run in the package's tree on its host; a failing one fails the package", async () => {
    const { planFile, repo } = repoWithPlan('remote-verify', [
      { id: 'good', agent: ['write good/x.txt', 'commit'], commands: ['test -f good/x.txt'] },
      { id: 'bad', agent: ['write bad/x.txt', 'commit'], commands: ['echo checking bad; test -f bad/missing.txt'] },
    ]);
    const hookLog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-hook-')), 'trees.txt');
    const hook = ['sh', '-c', `pwd >> ${hookLog}`];
    // The hook runs inside the host's walls: its log's folder is one the person let them write.
    const { engine, events } = await engineFor(planFile, runnerScript, { hosts: [h1.host], verification: 'approved', setupHook: hook, confinement: { options: { write: [path.dirname(hookLog)] } } });
    const out = await engine.run();
    const good = out.state.packages.good!;
    assert.equal(good.status, 'succeeded', shown(events));
    assert.equal(good.host, 'h1');
    assert.deepEqual(good.verification.map((v) => [v.step, v.ok]), [['check-1', true]]);
    const bad = out.state.packages.bad!;
    assert.equal(bad.status, 'failed');
    assert.deepEqual(bad.verification.map((v) => [v.step, v.ok]), [['check-1', false]]);
    assert.match(bad.verification[0]!.detail ?? '', /exit 1 .*\(log on h1: .*verify-1\.log\)/);
    assert.match(bad.lastError ?? '', /verification failed: echo checking bad; test -f bad\/missing\.txt/);
    // The hook ran once in each new tree, there: in the host's folder.
    const trees = fs.readFileSync(hookLog, 'utf8').trim().split('\n').sort();
    assert.deepEqual(trees, [bad.worktree, good.worktree].sort());
    assert.ok(trees.every((t) => t.startsWith(h1.folder)), trees.join(', '));
    assert.deepEqual(treeFiles(repo, out.integrationBranch!).filter((f) => !['README.md', 'work-packages.yaml'].includes(f)), ['good/x.txt']);
  });
});

describe('hosts: the set-up hook after a failure', () => {
  it('a retry after the hook failed on the host runs it again in the same tree there; after it succeeded, a retry does not', async () => {
    const { planFile } = repoWithPlan('remote-setup', [
      { id: 'again', agent: ['write again/x.txt', 'commit'], retryBudget: 1 },
      { id: 'once', agent: ['fail'], retryBudget: 1 },
    ]);
    const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-hook-'));
    // The trees the hook ran in, a log per package (the tree's folder is named after it); `again`'s first run fails.
    const script = 'log="$1/$(basename "$PWD")"; pwd >> "$log"; [ "$(basename "$PWD")" != again ] || [ "$(wc -l < "$log")" -gt 1 ]';
    const { engine, events } = await engineFor(planFile, runnerScript, { hosts: [h1.host], setupHook: ['sh', '-c', script, 'hook', logs], confinement: { options: { write: [logs] } } });
    const out = await engine.run();
    const runs = (id: string) => fs.readFileSync(path.join(logs, id), 'utf8').trim().split('\n');
    assert.equal(out.state.packages.again!.status, 'succeeded', shown(events));
    assert.deepEqual(runs('again'), [out.state.packages.again!.worktree, out.state.packages.again!.worktree], 'failed, then ran again in the same tree on h1');
    assert.equal(out.state.packages.once!.status, 'failed');
    assert.equal(out.state.packages.once!.attempts, 2, 'its agent ran twice');
    assert.deepEqual(runs('once'), [out.state.packages.once!.worktree], 'its hook succeeded once and did not run for the retry');
  });
});

describe("hosts: a retry's tree and its updated base", () => {
  /** A commit on a new branch `name` of `repo` from main with `files`: a base that moved on. */
  const baseWith = (repo: string, name: string, files: Record<string, string>) => {
    git(repo, 'checkout', '-q', '-b', name, 'main');
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(repo, f), text);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', name);
    git(repo, 'checkout', '-q', 'main');
    return `refs/heads/${name}`;
  };

  it('the base is merged into the branch there as here; a conflict fails the attempt naming its files, the merge undone; a tree moved off its branch is not used', async () => {
    const repo = makeRepo({ 'README.md': 'r\n', 'shared.txt': 'main\n' });
    const ex = new SshExecutor({ repoRoot: repo, featureId: 'retry', host: h1.host as Host & { ssh: string; folder: string }, runnerScript });
    const request = (base: string, n: number) => ({ packageId: 'p', isolated: true, base, reason: 'waves test', attempt: ex.attempt('r1', 'p', n) });
    const first = await ex.prepareTree(request('refs/heads/main', 1));
    // The first attempt committed its work there (the host's folder is on this machine).
    fs.writeFileSync(path.join(first.worktree, 'shared.txt'), 'from p\n');
    git(first.worktree, 'commit', '-q', '-am', 'p');
    const work = git(first.worktree, 'rev-parse', 'HEAD').trim();

    // A base that changed the same line: the retry does not start, and says where.
    await assert.rejects(ex.prepareTree(request(baseWith(repo, 'clash', { 'shared.txt': 'from a dependency\n' }), 2)), (err: Error) => {
      assert.match(err.message, /the updated base [0-9a-f]{12} could not be merged into waves\/retry\/p on h1 \(conflicts: shared\.txt\); the merge was undone/);
      return true;
    });
    assert.equal(git(first.worktree, 'rev-parse', 'HEAD').trim(), work, 'the branch is where its attempt left it');
    assert.equal(git(first.worktree, 'status', '--porcelain').trim(), '', 'no half merge left');
    assert.equal(fs.readFileSync(path.join(first.worktree, 'shared.txt'), 'utf8'), 'from p\n');

    // A base that does not clash: merged with a merge commit as here, the work kept.
    const again = await ex.prepareTree(request(baseWith(repo, 'more', { 'more.txt': 'more\n' }), 3));
    assert.equal(again.worktree, first.worktree);
    assert.equal(git(first.worktree, 'log', '-1', '--format=%s').trim(), `Merge the updated base ${again.baseSha.slice(0, 12)} into waves/retry/p`);
    assert.equal(git(first.worktree, 'rev-parse', 'HEAD^1').trim(), work);
    assert.equal(git(first.worktree, 'rev-parse', 'HEAD^2').trim(), again.baseSha);

    // An attempt that left the tree on another branch: nothing is merged into that branch, the attempt does not start there.
    git(first.worktree, 'checkout', '-q', '-b', 'elsewhere');
    const elsewhere = git(first.worktree, 'rev-parse', 'HEAD').trim();
    await assert.rejects(ex.prepareTree(request(baseWith(repo, 'later', { 'later.txt': 'later\n' }), 4)), /the worktree .* on h1 is on elsewhere, not waves\/retry\/p; move it away first/);
    assert.equal(git(first.worktree, 'rev-parse', 'refs/heads/elsewhere').trim(), elsewhere, 'the other branch did not move');
  });
});

describe('hosts: faults', () => {
  it('an sshd that goes away mid-attempt: the attempt becomes host-lost, and is collected when the host answers again', async () => {
    const gate = path.join(h1.folder, '..', 'gate-lost');
    fs.rmSync(gate, { force: true });
    const { planFile, repo } = repoWithPlan('lost', [{ id: 'slow', agent: [`wait-for ${gate}`, 'write slow/s.txt made while the host was away', 'commit'] }]);
    // The gate is beside the host's folder, under /tmp: the walls there show it read-only, as `waves.sandbox.read` would.
    const { engine, events } = await engineFor(planFile, runnerScript, { hosts: [h1.host], hostLostMs: 1500, confinement: { options: { read: [path.dirname(gate)] } } });
    const running = engine.run();
    await waitFor(() => events.some((e) => e.type === 'package' && e.packageId === 'slow' && e.status === 'running'), 'slow runs on h1', 30_000);
    h1.stop();
    await waitFor(() => events.some((e) => e.type === 'package' && e.packageId === 'slow' && e.status === 'interrupted'), 'host-lost', 30_000);
    const lost = events.find((e) => e.type === 'package' && e.packageId === 'slow' && e.status === 'interrupted');
    assert.match((lost as { detail?: string }).detail ?? '', /^host-lost: h1 has not answered/);
    // The agent goes on there meanwhile; the host comes back; its work is collected, not redone.
    fs.writeFileSync(gate, '');
    await h1.start();
    const out = await running;
    assert.equal(out.outcome, 'succeeded', shown(events));
    assert.equal(out.state.packages.slow!.attempts, 1, 'the same attempt, collected');
    assert.equal(readAt(repo, out.integrationBranch!, 'slow/s.txt'), 'made while the host was away');
  });

  it('the driver goes away mid-run: a new engine re-adopts the remote attempt (host, pid, token) and finishes it', async () => {
    const gate = path.join(h2.folder, '..', 'gate-adopt');
    fs.rmSync(gate, { force: true });
    const { planFile, repo } = repoWithPlan('adopt', [{ id: 'far', agent: [`wait-for ${gate}`, 'write far/f.txt far', 'commit'] }]);
    const walls = { options: { read: [path.dirname(gate)] } };
    const first = await engineFor(planFile, runnerScript, { hosts: [h2.host], leaseMs: 2000, confinement: walls });
    void first.engine.run().catch(() => undefined);
    await waitFor(() => first.events.some((e) => e.type === 'package' && e.packageId === 'far' && e.status === 'running'), 'far runs on h2', 30_000);
    first.engine.dispose();
    const second = await engineFor(planFile, runnerScript, { hosts: [h2.host], leaseMs: 2000, confinement: walls });
    const resumed = second.engine.run({ resume: true });
    await waitFor(() => second.events.some((e) => e.type === 'package' && e.packageId === 'far' && /adopted the running agent/.test(e.detail ?? '')), 'adopted', 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\nfirst: ${shown(first.events)}\nsecond: ${shown(second.events)}`);
    });
    fs.writeFileSync(gate, '');
    const out = await resumed;
    assert.equal(out.outcome, 'succeeded');
    assert.equal(out.state.packages.far!.attempts, 1, 'not started twice');
    assert.equal(readAt(repo, out.integrationBranch!, 'far/f.txt'), 'far');
  });
});

describe('hosts: a start the engine did not record', () => {
  it("an engine stopped between a host package's runner start and the record of it: the adopted attempt is audited against its own base, not the tip that moved", async () => {
    const gate = path.join(h1.folder, '..', 'gate-unrecorded');
    fs.rmSync(gate, { force: true });
    const { planFile, repo } = repoWithPlan('unrecorded-host', [
      { id: 'a', agent: ['write a/x.txt a', 'commit'] },
      { id: 'b', agent: [`wait-for ${gate}`, 'write b/y.txt b', 'commit'] },
    ]);
    const walls = { options: { read: [path.dirname(gate)] } };
    const stateFile = runStateFile(repo, 'unrecorded-host');
    const onDisk = () => (fs.existsSync(stateFile) ? (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as RunState) : null);
    const first = await engineFor(planFile, runnerScript, { hosts: [h1.host], leaseMs: 2000, confinement: walls });
    void first.engine.run().catch(() => undefined);
    await waitFor(() => onDisk()?.packages.a?.status === 'succeeded' && onDisk()?.packages.b?.status === 'running', 'a merged while b runs on h1', 60_000);
    first.engine.dispose();
    // The run state as it was on disk in that moment: b queued on h1, its runner (meta.json there) already started.
    const state = onDisk()!;
    const b = state.packages.b!;
    assert.equal(b.host, 'h1');
    assert.equal(b.attempts, 1);
    const base = b.baseSha!;
    assert.notEqual(base, state.integration!.tipSha, 'a merged after b started: the tip moved on');
    Object.assign(b, { status: 'queued', attempts: 0, startedAt: null, startToken: null, pid: null, branch: null, baseSha: null, logFile: null, resultFile: null });
    b.phases = (b.phases ?? []).filter((m) => m.phase !== 'running');
    fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));

    const second = await engineFor(planFile, runnerScript, { hosts: [h1.host], leaseMs: 2000, confinement: walls });
    const resumed = second.engine.run({ resume: true });
    await waitFor(() => second.events.some((e) => e.type === 'package' && e.packageId === 'b' && /adopted the running agent/.test(e.detail ?? '')), 'b adopted on h1', 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\nsecond: ${shown(second.events)}`);
    });
    fs.writeFileSync(gate, '');
    const out = await resumed;
    const rb = out.state.packages.b!;
    assert.equal(rb.status, 'succeeded', `${JSON.stringify(rb.scopeViolations)}\n${shown(second.events)}`);
    assert.deepEqual([rb.attempts, rb.branch, rb.baseSha], [1, 'waves/unrecorded-host/b', base], 'the same attempt, its branch and its own base');
    assert.equal(readAt(repo, out.integrationBranch!, 'a/x.txt'), 'a');
    assert.equal(readAt(repo, out.integrationBranch!, 'b/y.txt'), 'b');
    // Read there, where prepareTree pushed it: a package with no tree there, or a host that does not answer, has no base (and nothing throws).
    const there = (host: Host) => new SshExecutor({ repoRoot: repo, featureId: 'unrecorded-host', host: host as Host & { ssh: string; folder: string }, runnerScript });
    const ex = there(h1.host);
    const away = there({ ...h1.host, name: 'away', ssh: 'no-such-host.invalid' });
    try {
      assert.deepEqual(await ex.treeBase('b'), { branch: 'waves/unrecorded-host/b', baseSha: base });
      assert.deepEqual(await ex.treeBase('nobody'), { branch: 'waves/unrecorded-host/nobody', baseSha: null });
      assert.deepEqual(await away.treeBase('b'), { branch: 'waves/unrecorded-host/b', baseSha: null });
    } finally {
      await Promise.all([ex.close(), away.close()]);
    }
  });
});

describe('hosts: a node value that is not a usable program', () => {
  it('fails the package at once where the runner would start, naming the value — never a runner that does not start in 60 s (#36 item 10)', async () => {
    // The engine's own guard, behind the start's (startRun refuses such a host before anything starts):
    // a host that was out of reach at the start, say, and answers later.
    const { planFile } = repoWithPlan('bad-node', [{ id: 'n1', agent: ['write n1/a.txt', 'commit'] }]);
    const { engine, events } = await engineFor(planFile, runnerScript, { hosts: [{ ...h1.host, node: '/opt/no-such/bin/node' }] });
    const out = await engine.run();
    assert.equal(out.outcome, 'failed');
    assert.match(out.state.packages.n1!.lastError ?? '', /the runner cannot start on h1: node "\/opt\/no-such\/bin\/node" is not a program there/, shown(events));
    assert.doesNotMatch(shown(events), /did not start within/);
  });
});

describe('hosts: a host lost outside the running agent (#36)', () => {
  it('a host that stops answering while its package is verifying is waited for: the package is judged when it answers, merged, its dependent runs', async () => {
    const { planFile, repo } = repoWithPlan('lost-verifying', [
      { id: 'v', agent: ['write v/v.txt made before the outage', 'commit'], commands: ['sleep 3; test -f v/v.txt'] },
      { id: 'w', deps: ['v'], agent: ['write w/w.txt after v', 'commit'] },
    ]);
    const { engine, events } = await engineFor(planFile, runnerScript, { hosts: [h1.host], verification: 'approved' });
    const running = engine.run();
    await waitFor(() => events.some((e) => e.type === 'package' && e.packageId === 'v' && e.status === 'verifying' && /^\$ sleep 3/.test(e.detail ?? '')), 'v verifying on h1', 60_000);
    h1.stop();
    await waitFor(() => events.some((e) => e.type === 'problem' && e.packageId === 'v' && /its host h1 stopped answering while its work was judged/.test(e.message)), 'the wait said', 30_000);
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(engine.store?.state?.packages.v?.status, 'verifying', 'still verifying while the host is away, not failed');
    await h1.start();
    const out = await running;
    assert.equal(out.outcome, 'succeeded', shown(events));
    const v = out.state.packages.v!;
    assert.equal(v.attempts, 1, 'the same attempt, judged again');
    assert.deepEqual(v.verification.map((r) => [r.step, r.ok]), [['check-1', true]], 'its step recorded once, from the run that got through');
    assert.equal(readAt(repo, out.integrationBranch!, 'v/v.txt'), 'made before the outage');
    assert.equal(readAt(repo, out.integrationBranch!, 'w/w.txt'), 'after v');
    assert.equal(events.filter((e) => e.type === 'problem' && /stopped answering/.test(e.message)).length, 1, 'said once');
  });

  it('a package placed on a host that does not answer goes to one that does: no failure, no retry spent', async () => {
    h2.stop();
    try {
      const { planFile, repo } = repoWithPlan('lost-start', [{ id: 's', agent: ['write s/s.txt made on the host that answers', 'commit'] }]);
      // h2 has the most free slots, so it is chosen first; it does not answer.
      const { engine, events } = await engineFor(planFile, runnerScript, { hosts: [{ ...h1.host, maxParallel: 1 }, { ...h2.host, maxParallel: 4 }] });
      const out = await engine.run();
      assert.equal(out.outcome, 'succeeded', shown(events));
      const s = out.state.packages.s!;
      assert.equal(s.host, 'h1');
      assert.equal(s.attempts, 1);
      assert.equal(s.failedStarts ?? 0, 0, 'no retry spent');
      assert.ok(events.some((e) => e.type === 'package' && e.packageId === 's' && /its host h2 cannot be reached/.test(e.detail ?? '')), shown(events));
      assert.equal(readAt(repo, out.integrationBranch!, 's/s.txt'), 'made on the host that answers');
    } finally {
      await h2.start();
    }
  });
});

describe('hosts: check', () => {
  it('reports a reachable host with what a run needs there', async () => {
    const c = await checkHost(h1.host, 'git');
    assert.equal(c.items.find((i) => i.what === 'reachable')?.ok, true);
    for (const what of ['folder', 'git', 'node', 'agent', 'tmux'] as const) assert.equal(c.items.find((i) => i.what === what)?.ok, true, `${what}: ${JSON.stringify(c.items)}`);
  });

  it('names what is missing: an agent CLI not on the PATH there', async () => {
    const c = await checkHost(h1.host, 'no-such-agent-cli');
    assert.equal(c.ok, false);
    assert.match(c.items.find((i) => i.what === 'agent')!.detail, /no-such-agent-cli is not on the PATH there/);
  });

  it('a host whose key is not known is not reached (host keys are checked as ssh does), and says what to do', async () => {
    const stranger = fs.readFileSync(client.config, 'utf8').replace(/Host h1\n/, 'Host h1-stranger\n').replace(/UserKnownHostsFile .*/g, `UserKnownHostsFile ${path.join(client.dir, 'empty_known_hosts')}`);
    const cfg = path.join(client.dir, 'stranger_config');
    fs.writeFileSync(cfg, stranger);
    fs.writeFileSync(path.join(client.dir, 'empty_known_hosts'), '');
    const c = await checkHost({ ...h1.host, name: 'stranger', ssh: 'h1-stranger', sshConfig: cfg }, null);
    assert.equal(c.ok, false);
    assert.match(c.items[0]!.detail, /Host key verification failed[\s\S]*connect once with `ssh` yourself/);
  });
});

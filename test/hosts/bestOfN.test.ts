/**
 * Best of n on SSH hosts (ADR 0031, ADR 0011): each candidate of a set is placed on its own, by
 * its key, and takes a slot of the host it runs on — a set spreads over this machine and a real
 * OpenSSH server on 127.0.0.1 (test/hosts/sshd.ts). The first green candidate's commit comes
 * back from its host and is merged here; a candidate stopped there leaves no process; a set
 * outlives its engine and a new one adopts each candidate on its host. The built runner, the
 * scripted agent as a real process, inside the walls.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Host } from '../../src/core/hosts/hostList';
import type { EngineEvent } from '../../src/engine/run/engine';
import type { CandidateRunRecord, RunState } from '../../src/core/run/runState';
import { attemptDir, attemptFiles, integrationBranch, packageBranch, runStateFile } from '../../src/core/run/runPaths';
import { engineFor, isolateGit, readAt, repoWithPlan, treeFiles } from '../engine/engineFixtures';
import { buildRunner, git, pidAlive, waitFor } from '../engine/helpers';
import { SshClient, startHost, type TestHost } from './sshd';

/** This machine (one slot) and the SSH host h1 (two slots; its sshd started once for the file). */
const local: Host = { name: 'local', maxParallel: 1 };
let h1: TestHost;
let client: SshClient;
let runnerScript = '';

before(async () => {
  isolateGit();
  [runnerScript, client] = [await buildRunner(), new SshClient()];
  h1 = await startHost(client, 'h1', 2);
});

after(() => [h1, client].forEach((made) => made?.remove()));

/** Events for a failure's message. */
const shown = (events: readonly EngineEvent[]) => events.map((e) => ('packageId' in e ? `${e.packageId} ` : '') + `${e.type}${'status' in e ? ` ${e.status}` : ''}${'detail' in e && e.detail ? `: ${e.detail}` : ''}${'message' in e ? `: ${e.message}` : ''}`).join('\n');

/** The runner's and the agent's pids of a candidate's attempt, from its meta.json (where it ran: the host's folder is on this machine). */
function pidsOf(c: CandidateRunRecord): { runnerPid: number; agentPid: number } {
  return JSON.parse(fs.readFileSync(attemptFiles(path.dirname(c.logFile!)).meta, 'utf8')) as { runnerPid: number; agentPid: number };
}

describe('best of n on SSH hosts: first-green', () => {
  it('a set spreads over this machine and the host, each candidate in a slot; the first green one comes back from the host and is merged; one stopped there leaves no process', async () => {
    const { planFile, repo } = repoWithPlan('best-hosts', [
      {
        id: 'a',
        candidates: { count: 3 },
        commands: ['test -f a/x.txt'],
        agent: [
          // Placed (most free slots first, the list's order among equals): candidate 1 on h1, 2 here, 3 on h1.
          'if-tree a sleep 60000',
          'if-tree a.c2 exit 3',
          'if-tree a.c3 sleep 1500',
          'if-tree a.c3 write a/x.txt from candidate 3',
          'commit',
        ],
      },
      { id: 'b', deps: ['a'], agent: ['write b/y.txt', 'commit'] },
    ]);
    const { engine, events } = await engineFor(planFile, runnerScript, { hosts: [local, h1.host], maxParallel: 10, verification: 'approved' });
    const out = await engine.run();
    assert.equal(out.outcome, 'succeeded', shown(events));
    const a = out.state.packages.a!;
    assert.equal(a.attempts, 1, 'a set is one attempt');
    assert.deepEqual(a.chosen, { candidate: 3, why: 'the first to pass its audit and verification' });
    const byK = new Map(a.candidates!.map((c) => [c.candidate, c]));
    // Where each ran, as the run state says: two on h1, one here — each in its host's folder.
    assert.deepEqual(a.candidates!.map((c) => [c.candidate, c.host]), [[1, 'h1'], [2, 'local'], [3, 'h1']]);
    for (const k of [1, 3]) {
      assert.ok(byK.get(k)!.worktree!.startsWith(h1.folder + '/'), `candidate ${k} worked in ${byK.get(k)!.worktree}`);
      assert.ok(byK.get(k)!.logFile!.startsWith(h1.folder + '/'), byK.get(k)!.logFile!);
    }
    assert.ok(!byK.get(2)!.worktree!.startsWith(h1.folder), byK.get(2)!.worktree!);
    assert.deepEqual(a.candidates!.map((c) => c.branch), [packageBranch('best-hosts', 'a'), packageBranch('best-hosts', 'a.c2'), packageBranch('best-hosts', 'a.c3')]);
    assert.equal(byK.get(2)!.status, 'failed');
    assert.equal(byK.get(1)!.status, 'cancelled', byK.get(1)!.lastError ?? '');
    assert.equal(byK.get(3)!.status, 'succeeded');
    // Verified on its host (the approved command ran in its tree there).
    assert.deepEqual(byK.get(3)!.verification.map((v) => [v.step, v.ok]), [['check-1', true]]);
    // The package took the chosen candidate's attempt, its host included; its commit came here and was merged.
    assert.equal(a.host, 'h1');
    assert.equal(a.branch, packageBranch('best-hosts', 'a.c3'));
    const tip = integrationBranch('best-hosts');
    assert.equal(readAt(repo, tip, 'a/x.txt'), 'from candidate 3');
    assert.equal(git(repo, 'merge-base', '--is-ancestor', a.headSha!, tip), '');
    assert.equal(git(repo, 'rev-parse', `refs/heads/${packageBranch('best-hosts', 'a.c3')}`).trim(), a.headSha, 'its branch handed back here');
    // b started after a's merge, from it.
    assert.equal(out.state.packages.b!.status, 'succeeded');
    assert.equal(git(repo, 'merge-base', '--is-ancestor', a.headSha!, out.state.packages.b!.headSha!), '');
    assert.ok(treeFiles(repo, tip).includes('b/y.txt'));
    // Candidate 1, stopped on h1: no runner, no agent left there.
    const stopped = pidsOf(byK.get(1)!);
    await waitFor(() => !pidAlive(stopped.runnerPid) && !pidAlive(stopped.agentPid), `candidate 1's runner ${stopped.runnerPid} and agent ${stopped.agentPid} on h1 to be gone`, 15_000);
  });
});

describe('best of n on SSH hosts: pick: judge', () => {
  it("the judge, on this machine, reads a host candidate's diff (its commit came back with its audit); its first, on the host, is merged", async () => {
    const ranking = '{"ranking":[{"candidate":2,"reason":"made on h1"},{"candidate":1,"reason":"works"}]}';
    const { planFile, repo } = repoWithPlan('best-hosts-judge', [
      {
        id: 'a',
        candidates: { count: 2, pick: 'judge' },
        agent: ['if-tree a write a/x.txt from candidate 1 here', 'if-tree a.c2 write a/x.txt from candidate 2 on h1', 'if-tree a commit', 'if-tree a.c2 commit', `if-tree judge write ranking.json ${ranking}`],
      },
    ]);
    const { engine, events } = await engineFor(planFile, runnerScript, { hosts: [{ ...local }, { ...h1.host, maxParallel: 1 }], maxParallel: 10 });
    const out = await engine.run();
    assert.equal(out.outcome, 'succeeded', shown(events));
    const a = out.state.packages.a!;
    assert.deepEqual(a.candidates!.map((c) => [c.candidate, c.host]), [[1, 'local'], [2, 'h1']]);
    assert.deepEqual(a.chosen, { candidate: 2, why: 'the judge: made on h1' });
    const prompt = fs.readFileSync(attemptFiles(attemptDir(repo, 'best-hosts-judge', out.runId, 'a.judge', 1)).prompt, 'utf8');
    assert.match(prompt, /## Candidate 1 \(custom\)[\s\S]*\+from candidate 1 here[\s\S]*## Candidate 2 \(custom\)[\s\S]*\+from candidate 2 on h1/);
    assert.equal(readAt(repo, integrationBranch('best-hosts-judge'), 'a/x.txt'), 'from candidate 2 on h1');
  });
});

describe('best of n on SSH hosts: a set outlives its engine', () => {
  it('resumed, each candidate is adopted on its own host — the state says where, or, for one whose start was not recorded yet, where its runner is found', async () => {
    const gate = path.join(h1.folder, '..', 'gate-best');
    fs.rmSync(gate, { force: true });
    const { planFile, repo } = repoWithPlan('best-hosts-resume', [
      { id: 'a', candidates: { count: 3 }, agent: [`wait-for ${gate}`, 'if-tree a exit 3', 'if-tree a.c2 exit 3', 'if-tree a.c3 write a/x.txt from candidate 3 on h1', 'commit'] },
    ]);
    // Placed: candidate 1 on h1, 2 here, 3 on h1. The gate is beside the host's folder: the walls show it read-only, here and there.
    const options = { hosts: [{ ...local }, h1.host], maxParallel: 10, leaseMs: 2000, confinement: { options: { read: [path.dirname(gate)] } } };
    const stateFile = runStateFile(repo, 'best-hosts-resume');
    const onDisk = () => (fs.existsSync(stateFile) ? (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as RunState) : null);
    const first = await engineFor(planFile, runnerScript, options);
    void first.engine.run().catch(() => undefined);
    await waitFor(() => onDisk()?.packages.a?.candidates?.every((c) => c.status === 'running'), 'the three candidates running', 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\nfirst: ${shown(first.events)}`);
    });
    first.engine.dispose();
    const state = onDisk()!;
    assert.deepEqual(state.packages.a!.candidates!.map((c) => c.host), ['h1', 'local', 'h1']);
    // The run state as it is on disk between candidate 3's runner start (its meta.json on h1) and the record of it: queued, no host yet.
    const c3 = state.packages.a!.candidates![2]!;
    Object.assign(c3, { status: 'queued', attempts: 0, startedAt: null, startToken: null, pid: null, worktree: null, branch: null, baseSha: null, logFile: null, resultFile: null });
    delete c3.host;
    c3.phases = (c3.phases ?? []).filter((m) => m.phase !== 'running');
    fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));

    const second = await engineFor(planFile, runnerScript, options);
    const resumed = second.engine.run({ resume: true });
    // Each candidate adopted where it runs (one not found there would be interrupted, and the set started again).
    const adopted = (k: number, where: string) => second.events.some((e) => e.type === 'package' && e.packageId === 'a' && new RegExp(`^candidate ${k}: adopted the running agent \\(runner pid \\d+ on ${where}\\)$`).test(e.detail ?? ''));
    await waitFor(() => adopted(1, 'h1') && adopted(2, 'local') && adopted(3, 'h1'), 'the three candidates adopted, each on its host', 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\nsecond: ${shown(second.events)}`);
    });
    fs.writeFileSync(gate, '');
    const out = await resumed;
    const a = out.state.packages.a!;
    assert.equal(out.runId, state.runId, 'the same run went on');
    assert.equal(a.status, 'succeeded', `${a.lastError ?? ''}\n${shown(second.events)}`);
    assert.equal(a.attempts, 1, 'not started again');
    assert.deepEqual(a.candidates!.map((c) => [c.candidate, c.host, c.status, c.attempts]), [[1, 'h1', 'failed', 1], [2, 'local', 'failed', 1], [3, 'h1', 'succeeded', 1]]);
    const chosen = a.candidates![2]!;
    assert.ok(chosen.worktree!.startsWith(h1.folder + '/') && chosen.logFile!.startsWith(h1.folder + '/'), `${chosen.worktree} ${chosen.logFile}`);
    assert.equal(a.chosen?.candidate, 3);
    assert.equal(a.host, 'h1');
    assert.equal(readAt(repo, integrationBranch('best-hosts-resume'), 'a/x.txt'), 'from candidate 3 on h1');
  });
});

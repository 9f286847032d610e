/**
 * Best of n with the real agent CLIs: one package, a Claude Code candidate and a Codex candidate
 * side by side (`inputs.waves.candidate_agents`), each inside its own walls against the scripted
 * model server, each audited against the package's scope; the one that stayed in scope goes on
 * and is merged, the other is never chosen. Then `pick: judge`: the package's Claude Code, inside
 * its walls in a folder of its own, reads both green candidates' diffs and ranks them; its first
 * goes on.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { doPackage, type Turn } from '../fixtures/modelServer';
import { waitFor } from '../engine/helpers';
import { readAt } from '../engine/engineFixtures';
import { attemptDir, attemptFiles, worktreePath } from '../../src/core/run/runPaths';
import { readRun } from '../../src/engine/run';
import { agentEnv, filesAt, promptOf, statusOf, waves, workspace, useModelServer } from './realCli';

describe('best of n with the real CLIs: a Claude Code and a Codex candidate of one package', () => {
  const server = useModelServer();

  it('both run inside their walls and are audited; the one in scope is chosen and merged, the one outside never', async () => {
    const feature = 'best-of-two';
    const w = workspace(feature, [{ id: 'alpha', timeoutMinutes: 3, candidates: { agents: ['claude-code', 'codex'] } }]);
    // Each candidate's prompt names its own tree: candidate 2's is alpha.c2.
    const second = worktreePath(w.repo, feature, 'alpha.c2');
    const ofSecond = (t: string) => promptOf('alpha').test(t) && t.includes(second);
    server().script(doPackage({ 'elsewhere/x.txt': 'codex wrote outside\n' }), { match: ofSecond, label: 'codex' });
    // Claude's first answer waits until Codex's attempt is judged: first-green would stop Codex otherwise (both are to be audited).
    const codexEnd = () => {
      const read = readRun(w.repo, feature);
      return read.kind === 'ok' ? read.state.packages.alpha?.candidates?.[1]?.status : undefined;
    };
    const [first, ...rest] = doPackage({ 'alpha/a.txt': 'alpha by claude\n' });
    const afterCodex: Turn = async (ctx) => {
      await waitFor(() => codexEnd() === 'scope-violation', "Codex's candidate judged", 180_000);
      return typeof first === 'function' ? first(ctx) : first!;
    };
    server().script([afterCodex, ...rest], { match: (t) => promptOf('alpha').test(t) && !t.includes(second), label: 'claude' });
    // One home, as one person's: Claude Code's variables and Codex's config.toml, both pointed at the server.
    const env = { ...agentEnv('codex', server(), w.home), ...agentEnv('claude-code', server(), w.home) };

    const r = await waves(['run', '--json', '--agent', 'claude-code', w.plan], { cwd: w.repo, env, timeoutMs: 300_000 });
    assert.equal(r.code, 0, `waves run failed:\n${r.out}\n${r.err}`);
    const st = await statusOf(w, env);
    assert.equal(st.packages.alpha!.status, 'succeeded', st.packages.alpha!.lastError ?? '');
    assert.deepEqual(filesAt(w.repo, st.integration), ['README.md', 'alpha/a.txt', 'work-packages.yaml']);
    assert.equal(readAt(w.repo, st.integration, 'alpha/a.txt'), 'alpha by claude\n');

    const read = readRun(w.repo, feature);
    assert.equal(read.kind, 'ok');
    const alpha = read.kind === 'ok' ? read.state.packages.alpha! : null;
    assert.deepEqual(
      alpha!.candidates!.map((c) => [c.candidate, c.agent, c.status]),
      [
        [1, 'claude-code', 'succeeded'],
        [2, 'codex', 'scope-violation'],
      ],
    );
    assert.deepEqual(alpha!.candidates![1]!.scopeViolations.map((v) => v.path), ['elsewhere/x.txt']);
    assert.equal(alpha!.chosen?.candidate, 1);
    // Both conversations reached the server, each its own.
    for (const label of ['claude', 'codex']) assert.ok(server().requests.some((q) => q.main && q.script === label), `${label} never asked the model`);
    assert.deepEqual(server().pending(), { codex: 0, claude: 0 });
  });

  it("pick: judge — the package's Claude Code, walled in a folder of its own, ranks both green candidates; its first goes on with its reason", async () => {
    const feature = 'best-judged';
    const w = workspace(feature, [{ id: 'alpha', timeoutMinutes: 3, candidates: { count: 2, pick: 'judge' } }]);
    const second = worktreePath(w.repo, feature, 'alpha.c2');
    const judging = (t: string) => t.includes('# Judge the candidates of work package `alpha`');
    const candidate = (t: string) => !judging(t) && promptOf('alpha').test(t);
    server().script(doPackage({ 'alpha/a.txt': 'alpha, the first way\n' }), { match: (t) => candidate(t) && !t.includes(second), label: 'first' });
    server().script(doPackage({ 'alpha/a.txt': 'alpha, the second way\n' }), { match: (t) => candidate(t) && t.includes(second), label: 'second' });
    // The judge's folder is beside its attempt: named once the run has its id.
    const judgeDir = () => {
      const read = readRun(w.repo, feature);
      if (read.kind !== 'ok') throw new Error('no run state yet');
      return attemptDir(w.repo, feature, read.state.runId, 'alpha.judge', 1);
    };
    const ranking = { ranking: [{ candidate: 2, reason: 'it says which way it took' }, { candidate: 1, reason: 'it works too' }] };
    const judge: Turn[] = [() => ({ type: 'write', path: path.join(judgeDir(), 'judge', 'ranking.json'), content: JSON.stringify(ranking), say: 'Writing the ranking.' }), { type: 'text', text: 'Ranked: candidate 2 first.' }];
    server().script(judge, { match: judging, label: 'judge' });
    const env = agentEnv('claude-code', server(), w.home);

    const r = await waves(['run', '--json', '--agent', 'claude-code', w.plan], { cwd: w.repo, env, timeoutMs: 300_000 });
    assert.equal(r.code, 0, `waves run failed:\n${r.out}\n${r.err}`);
    const read = readRun(w.repo, feature);
    assert.equal(read.kind, 'ok');
    const alpha = read.kind === 'ok' ? read.state.packages.alpha! : null;
    assert.equal(alpha!.status, 'succeeded', alpha!.lastError ?? '');
    assert.deepEqual(alpha!.chosen, { candidate: 2, why: 'the judge: it says which way it took' });
    assert.equal(readAt(w.repo, (await statusOf(w, env)).integration, 'alpha/a.txt'), 'alpha, the second way\n');
    // It read both diffs, and wrote nothing but its answer in its folder.
    const prompt = fs.readFileSync(attemptFiles(judgeDir()).prompt, 'utf8');
    assert.match(prompt, /## Candidate 1 \(claude-code\)[\s\S]*alpha, the first way[\s\S]*## Candidate 2 \(claude-code\)[\s\S]*alpha, the second way/);
    assert.deepEqual(fs.readdirSync(path.join(judgeDir(), 'judge')), ['ranking.json']);
    assert.ok(server().requests.some((q) => q.main && q.script === 'judge'), 'the judge never asked the model');
    const pending = server().pending();
    assert.deepEqual([pending.first, pending.second, pending.judge], [0, 0, 0]);
  });
});

/** Gemini CLI (`--agent gemini`) end to end against the scripted Gemini API (docs/agents-testing.md). */
import { strict as assert } from 'node:assert';
import path from 'node:path';
import { describe, it } from 'node:test';
import { scanLog } from '../../src/core/agents/agentLogs';
import { agentEnv, agentLog, statusOf, waves, workspace, useModelServer } from './realCli';
import { realCliSuite } from './scenarios';

realCliSuite('gemini', {
  talks: (tool) => `mcp_waves_${tool}`,
  usageLimitAnswers: 3,
  usageLimitSeen(log) {
    const { objects } = scanLog(log);
    const result = [...objects].reverse().find((o) => 'error' in o) as { error?: { message?: string; code?: number } } | undefined;
    assert.ok(result, 'no {error} object in the --output-format json output');
    assert.equal(result.error?.code, 429);
    assert.equal(result.error?.message, 'You have exhausted your daily quota on this model.');
  },
});

describe('gemini run as a custom agent (--agent-argv): the walls do not know its folders', () => {
  const server = useModelServer();

  // The preset's own command line, but as the person's own agent: the walls give it no ~/.gemini.
  const argv = JSON.stringify(['gemini', '--skip-trust', '--output-format', 'json', '--approval-mode', 'yolo', '-p', 'Read the work package in ${promptFile} and carry it out.']);

  it('it dies at its start: the package\'s error names the path its walls refused, in words, with the setting that gives a folder — and with that setting it starts', async () => {
    const feature = 'gemini-custom';
    const w = workspace(feature, [{ id: 'alpha' }]);
    const env = agentEnv('gemini', server(), w.home);
    const r = await waves(['run', '--agent-argv', argv, w.plan], { cwd: w.repo, env });
    assert.equal(r.code, 1, `${r.out}\n${r.err}`);
    const alpha = (await statusOf(w, env)).packages.alpha!;
    const log = agentLog(w.repo, feature, 'alpha');
    assert.equal(alpha.status, 'failed', `${alpha.lastError}\n--- agent.log ---\n${log.slice(-3000)}`);
    // Its own words were a Node stack trace (`EROFS: read-only file system, open '…/.gemini/projects.json….tmp'` and its frames).
    assert.match(log, /EROFS: read-only file system, open '[^']*\/\.gemini\//);
    assert.match(log, /^\s+at /m);
    const gemini = path.join(w.home, '.gemini');
    assert.ok(
      new RegExp(`^the agent exited with code 1 — its walls did not let it write ${gemini.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\S+ \\(read-only inside the walls\\): allow a folder with waves\\.sandbox\\.write / --sandbox-write$`).test(alpha.lastError ?? ''),
      String(alpha.lastError),
    );
    assert.doesNotMatch(alpha.lastError ?? '', /\bat (async )?\S+ \(|node:internal/, 'no stack trace in the reason');
    assert.equal(server().requests.length, 0, 'it never reached its model');

    // The setting the error names: with its folder writable, it starts and asks its model.
    const w2 = workspace(`${feature}-write`, [{ id: 'alpha' }]);
    server().script([{ type: 'text', text: 'Nothing to do.' }], { label: 'started' });
    const env2 = agentEnv('gemini', server(), w2.home);
    await waves(['run', '--agent-argv', argv, '--sandbox-write', path.join(w2.home, '.gemini'), w2.plan], { cwd: w2.repo, env: env2 });
    const again = (await statusOf(w2, env2)).packages.alpha!;
    assert.doesNotMatch(again.lastError ?? '', /walls/, String(again.lastError));
    assert.ok(server().requests.some((q) => q.main && q.script === 'started'), `it reached its model: ${again.lastError}`);
    assert.deepEqual(server().strays().map((q) => `${q.method} ${q.url}`), []);
  });
});

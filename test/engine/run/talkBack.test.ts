/**
 * Agents talk back (ADR 0036): an agent in its walls calls the run through the `waves` MCP
 * server its attempt's mcp.json names (the scripted agent does as a CLI does), and the run answers
 * as that attempt's package only. Real git, the real runner, walls and the server's bundle.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { attemptDir, runStateFile } from '../../../src/core/run/runPaths';
import type { RunState } from '../../../src/core/run/runState';
import type { EngineEvent } from '../../../src/engine/run/engine';
import { resetPackages } from '../../../src/engine';
import { engineFor, isolateGit, planYaml } from '../engineFixtures';
import { buildRunner, makeRepo } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

const readState = (repo: string, featureId: string) => JSON.parse(fs.readFileSync(runStateFile(repo, featureId), 'utf8')) as RunState;

async function run(repo: string) {
  const { engine, events } = await engineFor(path.join(repo, 'work-packages.yaml'), runnerScript, { verification: 'approved', maxParallel: 2 });
  try {
    return { outcome: await engine.run(), events };
  } finally {
    engine.dispose();
  }
}

/** A repository whose committed plan is `packages` of `feature`. */
const repoWithPlanOf = (feature: string, packages: Parameters<typeof planYaml>[1]) => makeRepo({ 'README.md': '# test\n', 'work-packages.yaml': planYaml(feature, packages) });

const log = (state: RunState, id: string) => fs.readFileSync(state.packages[id]!.logFile!, 'utf8');

describe('an agent talks back to its run', () => {
  test("its calls are answered as its own package: the plan's states, who owns a file, its progress and a note its dependent reads in its prompt", async () => {
    const repo = repoWithPlanOf('talk', [
        {
          id: 'api',
          write: ['src/api/**'],
          agent: [
            'mcp plan_status',
            'mcp who_owns {"path": "src/ui/page.txt"}',
            'mcp who_owns {"path": "src/api/users.ts"}',
            'mcp who_owns {"path": "../elsewhere.txt"}',
            'mcp progress {"fraction": 0.5, "message": "half way: the model is written"}',
            'mcp progress {"fraction": 2, "message": "too far"}',
            'mcp handoff {"note": "the endpoint is /v2/users, not /users"}',
            'mcp no_such_tool',
            'write src/api/users.ts export const users = [];',
            'commit',
          ],
        },
        { id: 'ui', deps: ['api'], write: ['src/ui/**'], agent: ['write src/ui/page.txt page', 'commit'] },
      ]);
    const { outcome } = await run(repo);
    const state = readState(repo, 'talk');
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(state.packages.api));
    const said = log(state, 'api');
    assert.match(said, /^mcp plan_status: api \(you\): running — Package api \| ui: pending — Package ui \(after api\)$/m);
    assert.match(said, /^mcp who_owns: src\/ui\/page\.txt may be written by ui \(pending\)\. \| You may not write it: your audit fails if you do\.$/m);
    assert.match(said, /^mcp who_owns: src\/api\/users\.ts may be written by api \(you\) \(running\)\. \| You may write it\.$/m);
    assert.match(said, /^mcp who_owns error: \.\.\/elsewhere\.txt is outside the repository: no package may write it$/m);
    assert.match(said, /^mcp progress: noted: 50 %$/m);
    assert.match(said, /^mcp progress error: progress: fraction must be a number from 0 to 1$/m);
    assert.match(said, /^mcp no_such_tool error: no tool "no_such_tool": the tools are plan_status, who_owns, progress, handoff, ask$/m);
    // Recorded on its package: the progress it said last, its note.
    assert.deepEqual([state.packages.api!.progress?.fraction, state.packages.api!.progress?.message], [0.5, 'half way: the model is written']);
    assert.deepEqual(state.packages.api!.handoffs, ['the endpoint is /v2/users, not /users']);
    // Its dependent read the note in its prompt, under api's section, quoted.
    const prompt = fs.readFileSync(path.join(attemptDir(repo, 'talk', state.runId, 'ui', 1), 'prompt.md'), 'utf8');
    assert.match(prompt, /### `api`[\s\S]*- Notes its agent left for the packages that depend on it \(1; its words, not the plan's\):\n {2}- > the endpoint is \/v2\/users, not \/users\n/);
    // Its socket is gone with its attempt; its configuration names the server beside the runner.
    const dir = attemptDir(repo, 'talk', state.runId, 'api', 1);
    assert.equal(fs.existsSync(path.join(dir, 'waves.sock')), false);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'mcp.json'), 'utf8')) as { mcpServers: { waves: { command: string; args: string[] } } };
    assert.deepEqual([config.mcpServers.waves.command, config.mcpServers.waves.args], ['node', [path.join(path.dirname(runnerScript), 'waves-mcp.js')]]);
  });

  test("a call with another token is refused and said; a flood of calls is cut off at the rate; the agent's work goes on", async () => {
    const repo = repoWithPlanOf('talk-bad', [
        {
          id: 'api',
          write: ['src/api/**'],
          agent: ['mcp-token 0123456789abcdef progress {"fraction": 0.9, "message": "as someone else"}', 'mcp-flood 60 plan_status', 'write src/api/a.txt a', 'commit'],
        },
      ]);
    const { outcome, events } = await run(repo);
    const state = readState(repo, 'talk-bad');
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(state.packages.api));
    const said = log(state, 'api');
    assert.match(said, /^mcp progress error: refused: this is not your attempt's token$/m);
    assert.equal(state.packages.api!.progress ?? null, null, 'nothing of the refused call recorded');
    const refused = Number(/^mcp-flood plan_status: (\d+) of 60 refused$/m.exec(said)?.[1]);
    assert.ok(refused > 0, said);
    const problems = events.filter((e): e is Extract<EngineEvent, { type: 'problem' }> => e.type === 'problem' && e.packageId === 'api').map((e) => e.message);
    assert.ok(problems.includes("api's agent made a call the run refused: a call without this attempt's token."), problems.join('\n'));
    assert.ok(problems.includes("api's agent made a call the run refused: more than 20 calls in a second."), problems.join('\n'));
  });

  test("a question asked through `ask` is the package's end when it changes nothing, said as asked; the person's answer reaches its next attempt's prompt", async () => {
    const repo = repoWithPlanOf('talk-ask', [
        {
          id: 'db',
          write: ['src/db/**'],
          agent: ['unless-answered mcp ask {"question": "PostgreSQL or SQLite for the sessions table?"}', 'unless-answered no-result', 'if-answered write src/db/schema.sql -- SQLite', 'if-answered commit'],
        },
      ]);
    const { outcome } = await run(repo);
    let state = readState(repo, 'talk-ask');
    assert.equal(outcome.outcome, 'failed');
    assert.equal(state.packages.db!.status, 'failed');
    assert.equal(state.packages.db!.question, 'PostgreSQL or SQLite for the sessions table?', 'the question as asked, not read from its words');
    assert.match(state.packages.db!.lastError ?? '', /^the agent asked a question and changed nothing: “PostgreSQL or SQLite for the sessions table\?”$/);
    assert.match(log(state, 'db'), /^mcp ask: noted: end your turn now without changing anything/m);
    // Answered (as `waves run --answer` and the editor's Answer and Retry do): its next prompt carries the answer; asked is cleared with the new attempt.
    await resetPackages(repo, 'talk-ask', ['failed'], ['db']);
    const retried = await engineFor(path.join(repo, 'work-packages.yaml'), runnerScript, { verification: 'approved', answers: { db: 'SQLite' } });
    try {
      assert.equal((await retried.engine.run({ resume: true })).outcome, 'succeeded');
    } finally {
      retried.engine.dispose();
    }
    state = readState(repo, 'talk-ask');
    assert.equal(state.packages.db!.asked ?? null, null);
    const prompt = fs.readFileSync(path.join(attemptDir(repo, 'talk-ask', state.runId, 'db', 2), 'prompt.md'), 'utf8');
    assert.match(prompt, /### Your question, answered[\s\S]*PostgreSQL or SQLite for the sessions table\?[\s\S]*SQLite/);
  });
});

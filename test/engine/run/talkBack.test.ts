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
import type { EngineOptions, ScopeRequestAsked } from '../../../src/engine/run/types';
import { resetPackages } from '../../../src/engine';
import { engineFor, isolateGit, planYaml } from '../engineFixtures';
import { buildRunner, makeRepo } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

const readState = (repo: string, featureId: string) => JSON.parse(fs.readFileSync(runStateFile(repo, featureId), 'utf8')) as RunState;

async function run(repo: string, extra: Partial<EngineOptions> = {}) {
  const { engine, events } = await engineFor(path.join(repo, 'work-packages.yaml'), runnerScript, { verification: 'approved', maxParallel: 2, ...extra });
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
    assert.match(said, /^mcp no_such_tool error: no tool "no_such_tool": the tools are plan_status, who_owns, request_scope, lock, unlock, progress, handoff, ask$/m);
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

  test('more write scope: a request checked exactly, granted by the person, widens the audit and the merge; one for a file another package may write, outside the repository or its own already is answered without asking', async () => {
    const repo = repoWithPlanOf('talk-scope', [
      {
        id: 'api',
        write: ['src/api/**'],
        agent: ['mcp request_scope {"paths": ["docs/api.md"], "reason": "the endpoint needs its page"}', 'write docs/api.md # Users', 'write src/api/users.ts export {}', 'commit'],
      },
      {
        id: 'ui',
        write: ['src/ui/**'],
        lockFiles: ['config/ui.json'],
        agent: [
          'mcp request_scope {"paths": ["src/api/**"], "reason": "to fix the api"}',
          'mcp request_scope {"paths": ["../outside.txt"], "reason": "why not"}',
          'mcp request_scope {"paths": ["src/ui/page.txt"], "reason": "mine"}',
          'write src/ui/page.txt page',
          'commit',
        ],
      },
    ]);
    const asked: ScopeRequestAsked[] = [];
    const { outcome, events } = await run(repo, { grantScope: async (r) => (asked.push(r), true) });
    const state = readState(repo, 'talk-scope');
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(state.packages.api));
    // The person was asked once: api's request, exactly as checked.
    assert.deepEqual(asked, [{ packageId: 'api', title: 'Package api', attempt: 1, paths: ['docs/api.md'], reason: 'the endpoint needs its page' }]);
    assert.match(log(state, 'api'), /^mcp request_scope: granted: you may now write docs\/api\.md \(your audit allows them\)\.$/m);
    assert.deepEqual(state.packages.api!.granted?.map((g) => [g.paths, g.reason]), [[['docs/api.md'], 'the endpoint needs its page']]);
    // Audited against the widened scope and merged: the file is on the integration branch.
    assert.deepEqual([...(state.merges.api?.files ?? [])].sort(), ['docs/api.md', 'src/api/users.ts']);
    // ui's three, answered without asking.
    const ui = log(state, 'ui');
    assert.match(ui, /^mcp request_scope error: refused: src\/api\/\*\* covers src\/api\S*, which api may write \(src\/api\/\*\*\)\. Do not write these files\.$/m);
    assert.match(ui, /^mcp request_scope error: refused: \.\.\/outside\.txt is outside the repository\. Do not write these files\.$/m);
    assert.match(ui, /^mcp request_scope: You may write these already: src\/ui\/page\.txt\.$/m);
    // Refusals are said as the package's problems.
    const problems = events.filter((e): e is Extract<EngineEvent, { type: 'problem' }> => e.type === 'problem' && e.packageId === 'ui').map((e) => e.message);
    assert.ok(problems.some((m) => m.startsWith("ui's agent asked for more write scope (src/api/**), refused: src/api/** covers")), problems.join('\n'));
  });

  test('a scope request the person refuses, or with nobody to ask, is refused: the agent that writes the file anyway fails its audit', async () => {
    for (const [feature, extra, why] of [
      ['talk-no', { grantScope: async () => false }, 'the person refused'],
      ['talk-nobody', {}, 'nobody to ask: this run has no person to grant it \\(waves run asks on a terminal; --scope-requests grant grants what passes the check\\)'],
    ] as const) {
      const repo = repoWithPlanOf(feature, [
        { id: 'api', write: ['src/api/**'], agent: ['mcp request_scope {"paths": ["docs/api.md"], "reason": "its page"}', 'write docs/api.md # Users', 'commit'] },
      ]);
      const { outcome } = await run(repo, extra);
      const state = readState(repo, feature);
      assert.notEqual(outcome.outcome, 'succeeded');
      assert.match(log(state, 'api'), new RegExp(`^mcp request_scope error: refused: ${why}\\. Do not write these files\\.$`, 'm'));
      assert.equal(state.packages.api!.granted ?? undefined, undefined, 'nothing granted');
      assert.match(state.packages.api!.lastError ?? '', /changed outside the write scope: docs\/api\.md$/);
    }
  });

  test('two siblings ask for the same file at once and the person allows both: exactly one is granted it, and the audit agrees', async () => {
    const agent = (id: string) => ['mcp request_scope {"paths": ["shared/config.json"], "reason": "a setting of mine"}', `write shared/config.json {"by": "${id}"}`, `write ${id}/x.txt ${id}`, 'commit'];
    const repo = repoWithPlanOf('talk-race', [
      { id: 'a', write: ['a/**'], agent: agent('a') },
      { id: 'b', write: ['b/**'], agent: agent('b') },
    ]);
    // The person answers both only once both have asked: each was checked before the other's grant.
    const waiting: Array<() => void> = [];
    const grantScope = (r: ScopeRequestAsked) =>
      new Promise<boolean>((resolve) => {
        waiting.push(() => resolve(true));
        if (waiting.length === 2) for (const go of waiting) go();
        void r;
      });
    await run(repo, { grantScope });
    const state = readState(repo, 'talk-race');
    assert.equal(waiting.length, 2, 'both were asked');
    const won = ['a', 'b'].filter((id) => state.packages[id]!.granted?.length);
    assert.equal(won.length, 1, JSON.stringify(state.packages));
    const [winner] = won;
    const loser = winner === 'a' ? 'b' : 'a';
    assert.equal(state.packages[winner!]!.status, 'succeeded');
    assert.match(log(state, loser), new RegExp(`^mcp request_scope error: refused: shared/config\\.json covers shared/config\\.json, which ${winner} was granted \\(shared/config\\.json\\)\\.`, 'm'));
    assert.notEqual(state.packages[loser]!.status, 'succeeded');
    assert.match(state.packages[loser]!.lastError ?? '', /changed outside the write scope: shared\/config\.json$/);
  });

  test('a lock key at run time: held by one agent, another asking is refused naming the holder until it is released; the plan\'s own keys and keys not held cannot be unlocked; none left after the run', async () => {
    const repo = repoWithPlanOf('talk-lock', [
      {
        id: 'a',
        write: ['a/**'],
        lockKeys: ['api:GET /v1/users'],
        agent: [
          'mcp lock {"key": "db:migration-slot", "ttl_seconds": 60}',
          'mcp lock {"key": "x:y"}',
          'sleep 3000',
          'mcp unlock {"key": "db:migration-slot"}',
          'mcp unlock {"key": "db:migration-slot"}',
          'mcp unlock {"key": "api:GET /v1/users"}',
          'write a/x.txt a',
          'commit',
        ],
      },
      {
        id: 'b',
        write: ['b/**'],
        agent: ['sleep 1500', 'mcp lock {"key": "db:migration-slot"}', 'sleep 3500', 'mcp lock {"key": "db:migration-slot", "ttl_seconds": 30}', 'write b/x.txt b', 'commit'],
      },
    ]);
    const { outcome } = await run(repo);
    const state = readState(repo, 'talk-lock');
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(state.packages));
    const a = log(state, 'a');
    const b = log(state, 'b');
    assert.match(a, /^mcp lock: locked db:migration-slot for 60 s/m);
    assert.match(b, /^mcp lock error: refused: db:migration-slot is held by a; try again later$/m);
    assert.match(a, /^mcp lock error: refused: Lock key `x:y` uses the unknown namespace `x:`/m);
    assert.match(a, /^mcp unlock: released db:migration-slot$/m);
    assert.match(a, /^mcp unlock error: you hold no lock db:migration-slot$/m);
    assert.match(a, /^mcp unlock error: api:GET \/v1\/users is a lock of your plan: you hold it until your package ends$/m);
    assert.match(b, /^mcp lock: locked db:migration-slot for 30 s/m);
    // Released with the packages' ends: the run's table holds none of them.
    const table = JSON.parse(fs.readFileSync(path.join(repo, '.waves', 'locks.json'), 'utf8')) as { locks: { holder: string; key: string }[] };
    assert.deepEqual(table.locks, []);
  });
});

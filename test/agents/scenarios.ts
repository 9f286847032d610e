/**
 * The cases every real agent CLI goes through (one test file per CLI calls `realCliSuite`):
 * `waves run --agent <preset>` end to end — the built bin, the runner, the CLI as installed
 * from npm, a real git repository — with the scripted model server as the only scripted part.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { doPackage, resultRecord, startModelServer, type ModelServer, type Turn } from '../fixtures/modelServer';
import { planYaml, readAt } from '../engine/engineFixtures';
import { git as gitIn, waitFor } from '../engine/helpers';
import { plannedSubPlanFile, worktreePath } from '../../src/core/run/runPaths';
import { madeAheadAt } from '../../src/engine/git/treeMarks';
import { readRun } from '../../src/engine/run';
import type { RunnerMeta } from '../../src/engine/attempt/runnerFiles';
import { submitReview } from '../../src/engine/usecases/review';
import { agentClis, agentEnv, agentLog, buildOnce, filesAt, keyOf, promptOf, statusOf, TEST_KEY, waves, workspace, type AgentEnvOptions, type Preset } from './realCli';

export interface CliSpecifics {
  /** Turns the scripted model takes before writing files: Copilot's `create` needs the folder to exist (it does not make parents). */
  prepare?: (dirs: string[]) => Turn[];
  /** What the CLI's own output says when a plan's usage limit stops it (its structured output in agent.log). */
  usageLimitSeen: (log: string, resetAt: number) => void;
  /** The environment for the usage-limit case (Claude Code: as a subscriber). */
  usageLimitEnv?: AgentEnvOptions;
  /** How many usage-limit answers the script holds (at least the CLI's own retries + 1). */
  usageLimitAnswers?: number;
  /** The CLI prints the reset time in a form the engine reads (Claude: "resets 6:24pm (UTC)"; Codex: "try again at 6:26 PM"). */
  readsResetTime?: boolean;
  /** Turns the scripted model takes before writing over an existing file: Copilot's `create` refuses a path that exists. */
  overwrite?: (file: string) => Turn[];
  /** The turn that reads the prompt file the CLI was told to read (Copilot: its prompt is a path, so its content reaches the model only as a tool result). */
  readPrompt?: Turn;
  /** The engine gives this CLI the attempt's `waves` MCP server (ADR 0036): the name it declares a tool of it under (the talk-back case runs for it). */
  talks?: (tool: string) => string;
}

/** The scripted turns of a package that writes `files` (relative to its worktree) and reports done. */
function work(files: Record<string, string>, s: CliSpecifics): Turn[] {
  const dirs = [...new Set(Object.keys(files).map((f) => path.posix.dirname(f)))];
  return [...(s.prepare?.(dirs) ?? []), ...doPackage(files)];
}

/**
 * A project in `repo` whose node_modules npm installed as its lockfile asks (npm's own record of
 * it, `node_modules/.package-lock.json`): one dependency, never fetched (the lockfile's address is closed).
 */
function installedProject(repo: string): void {
  const dep = { version: '1.0.0', resolved: 'http://127.0.0.1:9/dep/-/dep-1.0.0.tgz', integrity: 'sha512-' + 'A'.repeat(86) + '==' };
  fs.writeFileSync(path.join(repo, '.gitignore'), 'node_modules/\n');
  fs.writeFileSync(path.join(repo, 'package.json'), '{ "name": "p", "dependencies": { "dep": "1.0.0" } }\n');
  fs.writeFileSync(path.join(repo, 'package-lock.json'), JSON.stringify({ name: 'p', lockfileVersion: 3, requires: true, packages: { '': { name: 'p', dependencies: { dep: '1.0.0' } }, 'node_modules/dep': dep } }, null, 2) + '\n');
  fs.mkdirSync(path.join(repo, 'node_modules', 'dep'), { recursive: true });
  fs.writeFileSync(path.join(repo, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;\n');
  fs.writeFileSync(path.join(repo, 'node_modules', '.package-lock.json'), JSON.stringify({ name: 'p', lockfileVersion: 3, requires: true, packages: { 'node_modules/dep': dep } }, null, 2));
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'the project');
}

/** A package that writes `files` and its record, then ends its turn with a question. */
function doneThenAsk(files: Record<string, string>, s: CliSpecifics, question: string): Turn[] {
  const dirs = [...new Set(Object.keys(files).map((f) => path.posix.dirname(f)))];
  return [...(s.prepare?.(dirs) ?? []), ...doPackage(files, question)];
}

/** Every request the server received came from a CLI to one of its APIs, with the test's key; nothing else. */
function assertOnlyTheModelServer(server: ModelServer): void {
  assert.deepEqual(
    server.strays().map((r) => `${r.method} ${r.url}`),
    [],
    'a CLI reached for something beyond the model APIs (a proxy request means it tried to leave 127.0.0.1)',
  );
  // the dummy key (or, as a subscriber, the dummy OAuth token made of it): no real credential was read
  for (const r of server.requests) assert.ok(keyOf(r.headers).includes(TEST_KEY), `request #${r.seq} (${r.url}) carried another key: "${keyOf(r.headers)}"`);
}

export function realCliSuite(preset: Preset, s: CliSpecifics): void {
  describe(`${preset} (the real CLI, against the scripted model server)`, () => {
    let server: ModelServer;

    before(async () => {
      buildOnce();
      agentClis(); // installs them when missing; throws (the suite fails) when they cannot be had
      server = await startModelServer();
    });
    after(async () => {
      await server?.close();
    });

    /** A fresh server per test: its records are that test's alone. */
    async function freshServer(): Promise<ModelServer> {
      await server.close();
      server = await startModelServer();
      return server;
    }

    it('two packages in parallel: each writes its file and its result record; both succeed and are merged', async () => {
      const srv = await freshServer();
      const feature = `${preset}-ok`;
      const w = workspace(feature, [{ id: 'alpha' }, { id: 'beta' }]);
      srv.script(work({ 'alpha/a.txt': `alpha by ${preset}\n` }, s), { match: promptOf('alpha'), label: 'alpha' });
      srv.script(work({ 'beta/nested/b.md': `# beta by ${preset}\n` }, s), { match: promptOf('beta'), label: 'beta' });
      const env = agentEnv(preset, srv, w.home);

      const r = await waves(['run', '--json', '--agent', preset, w.plan], { cwd: w.repo, env });
      assert.equal(r.code, 0, `waves run failed:\n${r.out}\n${r.err}\n--- alpha's agent.log ---\n${safeLog(w.repo, feature, 'alpha')}`);
      const last = JSON.parse(r.out.trim().split('\n').at(-1)!) as { type: string; outcome: string };
      assert.deepEqual([last.type, last.outcome], ['run-finished', 'succeeded']);

      const st = await statusOf(w, env);
      for (const id of ['alpha', 'beta']) {
        assert.equal(st.packages[id]!.status, 'succeeded', `${id}: ${st.packages[id]!.lastError}`);
        assert.equal(st.packages[id]!.merge, 'merged', id);
        assert.equal(st.packages[id]!.attempts, 1, id);
      }
      assert.deepEqual(filesAt(w.repo, st.integration), ['README.md', 'alpha/a.txt', 'beta/nested/b.md', 'work-packages.yaml']);
      assert.equal(readAt(w.repo, st.integration, 'alpha/a.txt'), `alpha by ${preset}\n`);
      assert.equal(readAt(w.repo, st.integration, 'beta/nested/b.md'), `# beta by ${preset}\n`);

      // each CLI's own verdict was read from its structured output, and says success
      for (const id of ['alpha', 'beta']) {
        const exit = readExit(w.repo, feature, id);
        assert.equal(exit.verdict.reported, true, `${id}: ${exit.verdict.detail}`);
        assert.equal(exit.verdict.ok, true, `${id}: ${exit.verdict.detail}`);
      }
      // what each attempt spent, read from the CLI's own output: tokens where it reports them, cost only from Claude
      for (const id of ['alpha', 'beta']) {
        const spend = st.packages[id]!.spend;
        if (preset === 'copilot') assert.equal(spend, null, 'Copilot reports no tokens (BYOK): nothing is guessed');
        else {
          assert.ok(spend && spend.inputTokens + spend.cachedTokens > 0 && spend.outputTokens > 0, `${id}: ${JSON.stringify(spend)}`);
          if (preset === 'claude-code') assert.ok(spend.costUsd !== null && spend.costUsd > 0, `${id}: ${JSON.stringify(spend)}`);
          else assert.equal(spend.costUsd, null);
        }
      }
      // the prompt arrived; every scripted turn was taken, in its own conversation
      for (const id of ['alpha', 'beta']) {
        const first = srv.requests.find((q) => q.main && q.script === id);
        assert.ok(first, `no request of ${id}'s conversation reached the server`);
        assert.match(first.text, promptOf(id));
      }
      assert.deepEqual(srv.pending(), { alpha: 0, beta: 0 });
      assert.equal(srv.requests.filter((q) => q.answer === 'exhausted').length, 0, 'a conversation asked for more turns than scripted');
      assertOnlyTheModelServer(srv);
    });

    it("a planner (plan: {by: agent}): the CLI writes its parent's sub-plan outside its tree; the run grows by it, the planned package's CLI does the work, all merged", async () => {
      const srv = await freshServer();
      const feature = `${preset}-planned`;
      const w = workspace(feature, [{ id: 'api', write: ['api/**'], subPlan: {} }, { id: 'ui', deps: ['api'] }]);
      const subPlan = planYaml(`${feature}-api`, [{ id: 'users', write: ['api/users/**'] }]);
      srv.script(
        [
          (ctx) => {
            if (!ctx.subPlanFile) throw new Error("the planner's prompt names no sub-plan file");
            return { type: 'write', path: ctx.subPlanFile, content: subPlan, say: 'Writing the sub-plan.' };
          },
          (ctx) => {
            if (!ctx.resultFile) throw new Error("the planner's prompt names no result record file");
            return { type: 'write', path: ctx.resultFile, content: resultRecord(ctx.packageId ?? 'unknown', []), say: 'Writing the result record.' };
          },
          { type: 'text', text: 'Planned: one package, users.' },
        ],
        { match: /^# Plan the work of package `api`|\/api___plan\/\d+\/prompt\.md/m, label: 'planner' },
      );
      srv.script(work({ 'api/users/u.txt': `users by ${preset}\n` }, s), { match: promptOf('api__users'), label: 'users' });
      srv.script(work({ 'ui/page.txt': `ui by ${preset}\n` }, s), { match: promptOf('ui'), label: 'ui' });
      const env = agentEnv(preset, srv, w.home);

      const r = await waves(['run', '--agent', preset, w.plan], { cwd: w.repo, env });
      assert.equal(r.code, 0, `waves run failed:\n${r.out}\n${r.err}\n--- the planner's agent.log ---\n${safeLog(w.repo, feature, 'api___plan')}`);
      const st = await statusOf(w, env);
      for (const id of ['api___plan', 'api__users', 'api', 'ui']) assert.equal(st.packages[id]?.status, 'succeeded', `${id}: ${st.packages[id]?.lastError}`);
      assert.deepEqual(filesAt(w.repo, st.integration), ['README.md', 'api/users/u.txt', 'ui/page.txt', 'work-packages.yaml']);
      assert.equal(readAt(w.repo, st.integration, 'api/users/u.txt'), `users by ${preset}\n`);
      // Kept where every later run and view reads it, as the CLI wrote it.
      assert.equal(fs.readFileSync(plannedSubPlanFile(w.repo, feature, 'api'), 'utf8'), subPlan);
      assert.deepEqual(srv.pending(), { planner: 0, users: 0, ui: 0 });
      assertOnlyTheModelServer(srv);
    });

    const talks = s.talks;
    if (talks)
      it("talks back (ADR 0036): its calls to the run's waves MCP server, from its own configuration inside the walls, are answered as its package: progress and a note recorded, who owns a file said, a file outside its scope granted and merged; the dependent's CLI reads the note in its prompt", async () => {
        const srv = await freshServer();
        const feature = `${preset}-talk`;
        const w = workspace(feature, [{ id: 'api' }, { id: 'ui', deps: ['api'] }]);
        const tool = (name: string, input: Record<string, unknown>): Turn => ({ type: 'tool', name: talks(name), input, say: `Calling ${name}.` });
        srv.script(
          [
            tool('progress', { fraction: 0.5, message: 'half way: the model is written' }),
            tool('who_owns', { path: 'ui/page.txt' }),
            tool('handoff', { note: 'the endpoint is /v2/users, not /users' }),
            tool('request_scope', { paths: ['docs/api.md'], reason: 'the endpoint needs its page' }),
            ...work({ 'api/a.txt': 'api\n', 'docs/api.md': '# api\n' }, s),
          ],
          { match: promptOf('api'), label: 'api' },
        );
        // (Copilot is told to read its prompt file: the model reads it, so the note reaches the model as that tool's output.)
        srv.script([...(s.readPrompt ? [s.readPrompt] : []), ...work({ 'ui/page.txt': 'ui\n' }, s)], { match: promptOf('ui'), label: 'ui' });
        const env = agentEnv(preset, srv, w.home);
        // The person's policy grants a scope request that passes the engine's check (no terminal here to ask on).
        const r = await waves(['run', '--agent', preset, '--scope-requests', 'grant', w.plan], { cwd: w.repo, env });
        assert.equal(r.code, 0, `waves run failed:\n${r.out}\n${r.err}\n--- api's agent.log ---\n${safeLog(w.repo, feature, 'api')}`);
        // It declared the server's tools (only the run's: the walls' CLI has no other server here) and sent back what the run answered.
        const api = srv.requests.filter((q) => q.main && q.script === 'api');
        const names = ['ask', 'handoff', 'lock', 'plan_status', 'progress', 'request_scope', 'unlock', 'who_owns'].map(talks);
        assert.deepEqual(api[0]!.tools.filter((t) => names.includes(t)).sort(), [...names].sort());
        assert.ok(api.some((q) => q.text.includes('noted: 50 %')), 'the progress call was answered');
        assert.ok(api.some((q) => q.text.includes('ui/page.txt may be written by ui (pending).') && q.text.includes('You may not write it')), 'who_owns was answered');
        const run = readRun(w.repo, feature);
        assert.equal(run.kind, 'ok');
        const state = run.kind === 'ok' ? run.state : null;
        assert.deepEqual([state?.packages.api?.progress?.fraction, state?.packages.api?.progress?.message], [0.5, 'half way: the model is written']);
        assert.deepEqual(state?.packages.api?.handoffs, ['the endpoint is /v2/users, not /users']);
        // The scope it asked for: granted, its audit took the file in, merged.
        assert.ok(api.some((q) => q.text.includes('granted: you may now write docs/api.md')), 'request_scope was answered');
        assert.deepEqual(state?.packages.api?.granted?.map((g) => g.paths), [['docs/api.md']]);
        assert.ok(state?.merges.api?.files.includes('docs/api.md'), JSON.stringify(state?.merges.api));
        const ui = srv.requests.find((q) => q.main && q.script === 'ui' && q.text.includes('Notes its agent left'));
        assert.match(ui?.text ?? '', /Notes its agent left for the packages that depend on it \(1; its words, not the plan's\):\n {2}- > the endpoint is \/v2\/users, not \/users/);
        assert.deepEqual(srv.pending(), { api: 0, ui: 0 });
        assertOnlyTheModelServer(srv);
      });

    it("a dependent's CLI starts in its tree made ahead (#18, ADR 0016): made while its dependency works, fast-forwarded to the merge, the dependency's file there; its walls in a network made ahead (ADR 0019)", async () => {
      const srv = await freshServer();
      const feature = `${preset}-ahead`;
      const w = workspace(feature, [{ id: 'alpha' }, { id: 'beta', deps: ['alpha'] }]);
      const betaTree = worktreePath(w.repo, feature, 'beta');
      // While alpha's CLI works (it waits for the model's answer to write), beta's tree is made, marked as made ahead.
      // (The engine starts the work ahead a moment after alpha's launch, once alpha's CLI had its start: the model waits for it, up to 30 s.)
      let aheadWhileAlphaWorked: string | null = null;
      const alpha = work({ 'alpha/a.txt': `alpha by ${preset}\n` }, s);
      const i = alpha.findIndex((t) => typeof t !== 'function' && t.type === 'write');
      const alphaWrite = alpha[i]!;
      alpha[i] = async (ctx) => {
        aheadWhileAlphaWorked = await waitFor(() => madeAheadAt(betaTree), "beta's tree made ahead", 30_000).catch(() => null);
        return typeof alphaWrite === 'function' ? alphaWrite(ctx) : alphaWrite;
      };
      srv.script(alpha, { match: promptOf('alpha'), label: 'alpha' });
      // Beta writes what it finds of alpha's work in its own tree.
      const [, ...betaTail] = doPackage({ 'beta/b.txt': '' });
      srv.script(
        [
          ...(s.prepare?.(['beta']) ?? []),
          (ctx) => {
            const seen = fs.readFileSync(path.join(ctx.worktree!, 'alpha', 'a.txt'), 'utf8');
            return { type: 'write', path: 'beta/b.txt', content: `beta saw: ${seen}`, say: 'Writing beta/b.txt.' };
          },
          ...betaTail,
        ],
        { match: promptOf('beta'), label: 'beta' },
      );
      const env = agentEnv(preset, srv, w.home);

      const r = await waves(['run', '--json', '--agent', preset, w.plan], { cwd: w.repo, env });
      assert.equal(r.code, 0, `waves run failed:\n${r.out}\n${r.err}\n--- beta's agent.log ---\n${safeLog(w.repo, feature, 'beta')}`);
      assert.match(aheadWhileAlphaWorked ?? '', /^[0-9a-f]{40}$/, "beta's tree was made (and marked) while alpha's CLI worked");
      const st = await statusOf(w, env);
      for (const id of ['alpha', 'beta']) {
        assert.equal(st.packages[id]!.status, 'succeeded', `${id}: ${st.packages[id]!.lastError}`);
        assert.equal(st.packages[id]!.attempts, 1, id);
      }
      assert.equal(readAt(w.repo, st.integration, 'beta/b.txt'), `beta saw: alpha by ${preset}\n`, "beta's CLI found alpha's merged file in its tree");
      // Its runner was started ahead too, and made its network ahead (ADR 0019): the CLI reached its model server through that relay.
      const meta = JSON.parse(attemptText(w.repo, feature, 'beta', 1, 'meta.json')) as RunnerMeta;
      assert.ok(meta.startedAhead, "beta's runner was started ahead");
      assert.equal(meta.netAhead, true, "beta's walls stood in a network made ahead");
      assert.deepEqual(srv.pending(), { alpha: 0, beta: 0 });
      assertOnlyTheModelServer(srv);
    });

    for (const kind of ['rate-limit', 'overloaded'] as const) {
      it(`an API error (${kind === 'rate-limit' ? '429 rate limit' : 'overloaded'}), then the turns: the CLI retries by itself and the package succeeds`, async () => {
        const srv = await freshServer();
        const feature = `${preset}-${kind}`;
        const w = workspace(feature, [{ id: 'solo' }]);
        srv.script([{ type: 'error', error: kind, retryAfterSeconds: 1 }, ...work({ 'solo/s.txt': 'after the retry\n' }, s)], { label: 'solo' });
        const env = agentEnv(preset, srv, w.home);
        const r = await waves(['run', '--agent', preset, w.plan], { cwd: w.repo, env });
        assert.equal(r.code, 0, `waves run failed:\n${r.out}\n${r.err}\n--- agent.log ---\n${safeLog(w.repo, feature, 'solo')}`);
        const st = await statusOf(w, env);
        assert.equal(st.packages.solo!.status, 'succeeded', st.packages.solo!.lastError ?? '');
        assert.equal(readAt(w.repo, st.integration, 'solo/s.txt'), 'after the retry\n');
        const main = srv.requests.filter((q) => q.main);
        assert.equal(main[0]!.answer, `error:${kind}`);
        assert.match(main[1]!.text, promptOf('solo'), 'the retry sent the same conversation again');
        assert.deepEqual(srv.pending(), { solo: 0 });
        assertOnlyTheModelServer(srv);
      });
    }

    /** A package whose first turn asks `question` (by `first`) and changes nothing: it fails as the question, not retried; answered with --answer, its next prompt carries the answer and it succeeds. */
    async function askedThenAnswered(feature: string, first: Turn[], question: string): Promise<void> {
      const srv = await freshServer();
      const w = workspace(feature, [{ id: 'asks' }]);
      srv.script([...first, ...work({ 'asks/a.txt': 'Bonjour\n' }, s)], { label: 'asks' });
      const env = agentEnv(preset, srv, w.home);
      const r = await waves(['run', '--agent', preset, w.plan], { cwd: w.repo, env });
      assert.equal(r.code, 1, `${r.out}\n${r.err}`);
      let st = await statusOf(w, env);
      assert.equal(st.packages.asks!.status, 'failed');
      assert.equal(st.packages.asks!.lastError, `the agent asked a question and changed nothing: “${question}”`);
      assert.equal(st.packages.asks!.attempts, 1, 'not retried without an answer');
      // The person answers: the package runs again with the question and the answer in its prompt.
      const again = await waves(['run', '--agent', preset, '--answer', 'asks=In French.', w.plan], { cwd: w.repo, env });
      assert.equal(again.code, 0, `${again.out}\n${again.err}\n--- agent.log ---\n${safeLog(w.repo, feature, 'asks')}`);
      st = await statusOf(w, env);
      assert.equal(st.packages.asks!.status, 'succeeded');
      assert.equal(readAt(w.repo, st.integration, 'asks/a.txt'), 'Bonjour\n');
      // The answer is in the second attempt's prompt (Copilot is told to read that file; the others get it as their message).
      assert.match(promptOfAttempt(w.repo, feature, 'asks', 2), /Your question, answered[\s\S]*Should the greeting be in English or in French\?[\s\S]*In French\./);
      const answered = srv.requests.filter((q) => q.main && q.script === 'asks').at(-1)!;
      if (preset !== 'copilot') assert.match(answered.text, /In French\./, 'the answer reached the model');
      // The answer went back to the session that asked (its CLI's resume): the model sees the first attempt's conversation — its prompt's record path, its own turn — before the answer.
      const firstResult = attemptFile(w.repo, feature, 'asks', 1, 'result.json');
      assert.ok(answered.text.includes(firstResult), `the answered attempt's conversation holds the first attempt's (${firstResult}):\n${answered.text.slice(0, 2000)}`);
      const own = first.at(-1);
      if (own && typeof own === 'object' && own.type === 'text') assert.ok(answered.text.includes(own.text), "the first attempt's own last turn is in the resumed conversation");
      const read = readRun(w.repo, feature);
      const session = read.kind === 'ok' ? read.state.packages.asks?.session : undefined;
      assert.equal(session?.agent, preset, 'the record names the session of the agent that asked');
      assert.ok(session?.id, 'the record keeps the session id');
      assertOnlyTheModelServer(srv);
    }

    const question = 'Should the greeting be in English or in French?';
    it('a turn that ends with a question and no work: the package fails as the question, is not retried, and the answer goes into its next prompt', () =>
      askedThenAnswered(`${preset}-question`, [{ type: 'text', text: question }], question));

    if (s.talks) {
      const talks = s.talks;
      it("a question asked through the run's `ask` tool (ADR 0036), then a turn with other words: the package fails as the question asked, not its words; answered, it is done", () =>
        askedThenAnswered(`${preset}-ask`, [{ type: 'tool', name: talks('ask'), input: { question }, say: 'Calling ask.' }, { type: 'text', text: 'I will wait for the answer.' }], question));
    }

    it('a change request after the run (#33): submitReview with two comments on its file, waves run --resume; the comments reach the model, the revision merges (revisions: 1, no retry spent)', async () => {
      const srv = await freshServer();
      const feature = `${preset}-review`;
      const file = 'greet/hello.txt';
      const w = workspace(feature, [{ id: 'greet' }]);
      srv.script(work({ [file]: 'Hello\nworld\n' }, s), { match: promptOf('greet'), label: 'first' });
      const env = agentEnv(preset, srv, w.home);
      const r = await waves(['run', '--agent', preset, w.plan], { cwd: w.repo, env });
      assert.equal(r.code, 0, `waves run failed:\n${r.out}\n${r.err}\n--- agent.log ---\n${safeLog(w.repo, feature, 'greet')}`);
      let st = await statusOf(w, env);
      assert.equal(st.packages.greet!.status, 'succeeded', st.packages.greet!.lastError ?? '');
      assert.equal(readAt(w.repo, st.integration, file), 'Hello\nworld\n');

      // The person reviews the merged file: two comments, one per line. No engine drives the run now: the request waits in the state for a resume.
      const comments = [
        { file, startLine: 1, endLine: 1, excerpt: 'Hello', body: 'Greet in French: Bonjour.' },
        { file, startLine: 2, endLine: 2, excerpt: 'world', body: 'Say le monde instead of world.', threadId: 'thread-7' },
      ];
      assert.deepEqual(await submitReview(w.repo, feature, { packageId: 'greet', kind: 'changes', comments }), { ok: true, delivered: 'state', resume: true });
      // The revision's conversation: its prompt (Copilot: the prompt file it is told to read, read with its shell) carries the request.
      srv.script(
        [
          ...(s.readPrompt ? [s.readPrompt] : []),
          ...(s.overwrite?.(file) ?? []),
          { type: 'write', path: file, content: 'Bonjour\nle monde\n', say: 'Making the requested changes.' },
          (ctx) => {
            if (!ctx.resultFile) throw new Error('the prompt names no result record file');
            const record = JSON.parse(resultRecord(ctx.packageId ?? 'unknown', [file])) as Record<string, unknown>;
            return { type: 'write', path: ctx.resultFile, content: JSON.stringify({ ...record, addressed: ['c1', 'thread-7'] }, null, 2) + '\n', say: 'Writing the result record.' };
          },
          { type: 'text', text: 'Done: both review comments are addressed.' },
        ],
        { match: /### Changes requested in review|\/greet\/2\/prompt\.md/, label: 'revision' },
      );
      const again = await waves(['run', '--agent', preset, '--resume', w.plan], { cwd: w.repo, env });
      assert.equal(again.code, 0, `waves run --resume failed:\n${again.out}\n${again.err}\n--- agent.log ---\n${safeLog(w.repo, feature, 'greet', 2)}`);

      // What the CLI sent the model: both comments, their lines, excerpts and words, under the review heading.
      const revision = srv.requests.filter((q) => q.main && q.script === 'revision');
      const asked = revision.find((q) => /### Changes requested in review/.test(q.text));
      assert.ok(asked, `no request of the revision's conversation carried the change request (${revision.length} requests)`);
      assert.match(
        asked.text,
        /### Changes requested in review[\s\S]*#### `c1`: `greet\/hello\.txt`, line 1[\s\S]*Hello[\s\S]*Greet in French: Bonjour\.[\s\S]*#### `thread-7`: `greet\/hello\.txt`, line 2[\s\S]*world[\s\S]*Say le monde instead of world\./,
      );
      assert.deepEqual(srv.pending(), { first: 0, revision: 0 });
      assert.equal(srv.requests.filter((q) => q.answer === 'exhausted').length, 0, 'a conversation asked for more turns than scripted');

      // The revision merged; it was a revision, not a retry.
      st = await statusOf(w, env);
      assert.equal(st.packages.greet!.status, 'succeeded', st.packages.greet!.lastError ?? '');
      assert.equal(st.packages.greet!.merge, 'merged');
      assert.equal(readAt(w.repo, st.integration, file), 'Bonjour\nle monde\n');
      const run = readRun(w.repo, feature);
      assert.equal(run.kind, 'ok');
      const greet = run.kind === 'ok' ? run.state.packages.greet! : null;
      assert.equal(greet?.attempts, 2);
      assert.equal(greet?.revisions, 1);
      assert.deepEqual(greet?.changedFiles, [{ path: file, change: 'M' }], 'audited against the tip it started from: its own change only');
      assertOnlyTheModelServer(srv);
    });

    it('a write, then a question: the work is judged (audited, merged); a question after work is no failure', async () => {
      const srv = await freshServer();
      const feature = `${preset}-write-ask`;
      const w = workspace(feature, [{ id: 'both' }]);
      srv.script(doneThenAsk({ 'both/b.txt': 'written\n' }, s, 'Shall I also add a French version?'), { label: 'both' });
      const env = agentEnv(preset, srv, w.home);
      const r = await waves(['run', '--agent', preset, w.plan], { cwd: w.repo, env });
      assert.equal(r.code, 0, `${r.out}\n${r.err}\n--- agent.log ---\n${safeLog(w.repo, feature, 'both')}`);
      const st = await statusOf(w, env);
      assert.equal(st.packages.both!.status, 'succeeded');
      assert.equal(readAt(w.repo, st.integration, 'both/b.txt'), 'written\n');
      assertOnlyTheModelServer(srv);
    });

    it('inside the walls, its most autonomous mode: a command nobody approved runs without a prompt, and the walls hold what it tries beyond its tree', async () => {
      const srv = await freshServer();
      const feature = `${preset}-autonomous`;
      const w = workspace(feature, [{ id: 'auto' }]);
      srv.script([{ type: 'shell', command: 'touch ../outside.txt; mkdir -p auto; echo ran > auto/ran.txt', say: 'Try both.' }, ...work({ 'auto/a.txt': 'done\n' }, s)], { label: 'auto' });
      const env = agentEnv(preset, srv, w.home);
      const r = await waves(['run', '--json', '--agent', preset, w.plan], { cwd: w.repo, env });
      assert.equal(r.code, 0, `${r.out}\n${r.err}\n--- agent.log ---\n${safeLog(w.repo, feature, 'auto')}`);
      const st = await statusOf(w, env);
      // The command ran (no permission asked or denied): its file inside the tree merged…
      assert.equal(readAt(w.repo, st.integration, 'auto/ran.txt'), 'ran\n');
      assert.ok(!/was denied/.test(r.out), r.out);
      // …and what it tried beside the tree the walls refused.
      assert.equal(fs.existsSync(path.join(`${w.repo}.worktrees`, feature, 'outside.txt')), false);
      assertOnlyTheModelServer(srv);
    });

    if (preset === 'claude-code') {
      it('a denied permission (without walls, the preset as it is there): a command outside what the preset allows is refused by the CLI and named as a problem', async () => {
        const srv = await freshServer();
        const feature = `${preset}-denied`;
        const w = workspace(feature, [{ id: 'deny' }]);
        srv.script([{ type: 'shell', command: 'rm -rf ../elsewhere', say: 'Clean up.' }, ...work({ 'deny/d.txt': 'done\n' }, s)], { label: 'deny' });
        const env = agentEnv(preset, srv, w.home);
        const r = await waves(['run', '--json', '--unconfined', '--agent', preset, w.plan], { cwd: w.repo, env });
        assert.equal(r.code, 0, `${r.out}\n${r.err}`);
        const problems = r.out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { type: string; message?: string })
          .filter((e) => e.type === 'problem')
          .map((e) => e.message ?? '');
        assert.ok(problems.some((m) => /^deny: its agent was denied 1 tool use\(s\): Bash: rm -rf \.\.\/elsewhere/.test(m)), problems.join('\n'));
        assertOnlyTheModelServer(srv);
      });
    }

    it("its own shell's npm ci over the node_modules laid from the person's checkout answers at once: the walls' npm is first on the PATH its shell gives commands", async () => {
      const srv = await freshServer();
      const feature = `${preset}-npm-ci`;
      const w = workspace(feature, [{ id: 'deps' }]);
      installedProject(w.repo);
      srv.script([{ type: 'shell', command: 'mkdir -p deps && { npm ci; echo "npm ci exit $?"; } > deps/npm-ci.txt 2>&1', say: 'Install the dependencies.' }, ...work({ 'deps/a.txt': 'done\n' }, s)], { label: 'deps' });
      const env = agentEnv(preset, srv, w.home);
      const r = await waves(['run', '--json', '--agent', preset, w.plan], { cwd: w.repo, env });
      assert.equal(r.code, 0, `${r.out}\n${r.err}\n--- agent.log ---\n${safeLog(w.repo, feature, 'deps')}`);
      const st = await statusOf(w, env);
      const said = readAt(w.repo, st.integration, 'deps/npm-ci.txt');
      assert.match(said, /^waves: npm ci not run: node_modules is laid from \S+\/node_modules \(copy-on-write inside the walls\)/m, said);
      assert.match(said, /^npm ci exit 0$/m);
      // The checkout's own folder, as the person installed it.
      assert.equal(fs.readFileSync(path.join(w.repo, 'node_modules', 'dep', 'index.js'), 'utf8'), 'module.exports = 1;\n');
      assertOnlyTheModelServer(srv);
    });

    it('in a layered worktree (--layered-worktrees): its shell sees the whole tree and the laid node_modules, its npm ci answers, its work merges', async () => {
      const srv = await freshServer();
      const feature = `${preset}-layered`;
      const w = workspace(feature, [{ id: 'deps' }]);
      installedProject(w.repo);
      srv.script([{ type: 'shell', command: 'mkdir -p deps && { cat README.md; ls node_modules/dep; npm ci; echo "npm ci exit $?"; } > deps/layered.txt 2>&1', say: 'Look around and install.' }, ...work({ 'deps/a.txt': 'done\n' }, s)], { label: 'layered' });
      const env = agentEnv(preset, srv, w.home);
      const r = await waves(['run', '--json', '--layered-worktrees', '--agent', preset, w.plan], { cwd: w.repo, env });
      assert.equal(r.code, 0, `${r.out}\n${r.err}\n--- agent.log ---\n${safeLog(w.repo, feature, 'deps')}`);
      const st = await statusOf(w, env);
      const said = readAt(w.repo, st.integration, 'deps/layered.txt');
      assert.match(said, /^# test\nindex\.js\n/, said);
      assert.match(said, /^waves: npm ci not run: node_modules is laid from /m, said);
      assert.match(said, /^npm ci exit 0$/m);
      assert.equal(readAt(w.repo, st.integration, 'deps/a.txt'), 'done\n');
      assert.match(agentLog(w.repo, feature, 'deps', 1), /^waves: the worktree: layered over the shared checkout of [0-9a-f]{12} /m);
      assertOnlyTheModelServer(srv);
    });

    it('a write outside its scope: the package is a scope violation and nothing of it merges', async () => {
      const srv = await freshServer();
      const feature = `${preset}-out`;
      const w = workspace(feature, [{ id: 'stray' }]);
      srv.script(work({ 'stray/ok.txt': 'inside\n', 'elsewhere/x.txt': 'outside\n' }, s), { label: 'stray' });
      const env = agentEnv(preset, srv, w.home);
      const r = await waves(['run', '--agent', preset, w.plan], { cwd: w.repo, env });
      assert.equal(r.code, 1, `${r.out}\n${r.err}`);
      const st = await statusOf(w, env);
      assert.equal(st.packages.stray!.status, 'scope-violation', st.packages.stray!.lastError ?? '');
      assert.match(st.packages.stray!.lastError ?? '', /elsewhere\/x\.txt/);
      assert.deepEqual(filesAt(w.repo, st.integration), ['README.md', 'work-packages.yaml']);
      assertOnlyTheModelServer(srv);
    });

    it('waves plan: the CLI writes a plan with an unknown dependency; the repair prompt names it and the second round fixes it (#19)', async () => {
      const srv = await freshServer();
      const w = workspace(`${preset}-plan`, [{ id: 'existing' }]);
      const id = 'agent-planned-feature';
      const tree = `${w.repo}.worktrees/_plans/${id}`;
      const dir = `${tree}/plans/${id}`;
      const planText = (deps: string) =>
        `schema_version: 1\nfeature:\n  id: agent-planned\n  title: Planned by ${preset}\npackages:\n` +
        `  - package_id: wp-contracts\n    scope: {write_allow: ["contracts/**"]}\n` +
        `  - package_id: wp-api\n    depends_on: [${deps}]\n    scope: {write_allow: ["src/api/**"], read_allow: ["plans/${id}/contracts/**"]}\n`;
      const files = (deps: string, again = false): Turn[] => [
        ...(again ? [`${dir}/proposal.md`, `${dir}/work-packages.yaml`].flatMap((f) => s.overwrite?.(f) ?? []) : (s.prepare?.([dir]) ?? [])),
        { type: 'write', path: `${dir}/proposal.md`, content: `# Proposal\n\nBy ${preset}.\n`, say: 'Writing the proposal.' },
        { type: 'write', path: `${dir}/work-packages.yaml`, content: planText(deps), say: 'Writing the plan.' },
        { type: 'text', text: 'The plan is written.' },
      ];
      srv.script(files('wp-contracts, wp-databse'), { match: new RegExp(`# Plan the feature \`${id}\`(?![\\s\\S]*## Repair round)|/plans/${id}/1/prompt\\.md`), label: 'write' });
      srv.script(files('wp-contracts', true), { match: new RegExp(`## Repair round 1 of|/plans/${id}/2/prompt\\.md`), label: 'repair' });
      const env = agentEnv(preset, srv, w.home);
      const r = await waves(['plan', '--agent', preset, 'Agent planned feature'], { cwd: w.repo, env });
      assert.equal(r.code, 0, `waves plan failed:\n${r.out}\n${r.err}`);
      assert.match(r.out, /round 1 ended: 1 error/);
      assert.match(r.out, /round 2: repair 1 of 3…\nround 2 ended: 0 errors/);
      const repair = fs.readFileSync(path.join(w.repo, '.waves', 'plans', id, '2', 'prompt.md'), 'utf8');
      assert.match(repair, /error `dependency-unknown` at 9:\d+ \(package `wp-api`\)/);
      // The plan the CLI wrote is committed on the planning branch; the person's branch has none of it.
      assert.equal(readAt(w.repo, `waves-plan/${id}`, `plans/${id}/work-packages.yaml`), planText('wp-contracts'));
      assert.deepEqual(filesAt(w.repo, 'HEAD'), ['README.md', 'work-packages.yaml']);
      assert.deepEqual(srv.pending(), { write: 0, repair: 0 });
      assertOnlyTheModelServer(srv);
    });

    it('a usage limit with a reset time: the package pauses (usage-limit, no retry spent), nothing is merged, and the CLI says why in its own output', async () => {
      const srv = await freshServer();
      const feature = `${preset}-limit`;
      const w = workspace(feature, [{ id: 'capped' }]);
      const resetAt = Math.floor(Date.now() / 1000) + 2 * 3600;
      const answers = s.usageLimitAnswers ?? 4;
      srv.script(
        Array.from({ length: answers }, (): Turn => ({ type: 'error', error: 'usage-limit', resetAt })),
        { label: 'capped' },
      );
      const env = agentEnv(preset, srv, w.home, s.usageLimitEnv);
      const r = await waves(['run', '--agent', preset, w.plan], { cwd: w.repo, env });
      // Paused, not failed: exit 75 (EX_TEMPFAIL), no second attempt.
      assert.equal(r.code, 75, `waves run should pause at the limit:\n${r.out}\n${r.err}`);
      assert.match(r.out, /paused at a usage limit \(no retry spent\)/);
      const st = await statusOf(w, env);
      const capped = st.packages.capped!;
      assert.equal(capped.status, 'usage-limit', capped.lastError ?? '');
      assert.equal(capped.attempts, 1, 'no retry');
      assert.notEqual(capped.merge, 'merged');
      if (s.readsResetTime) {
        // The reset the CLI printed (a clock time, to the minute) is the one the server gave.
        assert.ok(capped.usageLimit?.resetAt, 'a reset time read');
        assert.ok(Math.abs(Date.parse(capped.usageLimit!.resetAt!) - resetAt * 1000) <= 120_000, `${capped.usageLimit!.resetAt} vs ${new Date(resetAt * 1000).toISOString()}`);
      }
      assert.deepEqual(filesAt(w.repo, st.integration), ['README.md', 'work-packages.yaml']);
      assert.ok(srv.requests.some((q) => q.main && q.answer === 'error:usage-limit'));
      assert.equal(srv.requests.filter((q) => q.answer === 'exhausted').length, 0, 'the CLI went on past the limit');
      s.usageLimitSeen(agentLog(w.repo, feature, 'capped'), resetAt);
      assertOnlyTheModelServer(srv);
    });
  });
}

interface ExitFile {
  code: number | null;
  verdict: { reported: boolean; ok: boolean; detail: string; usageLimit: boolean };
}

/** A file of a package's attempt (of the feature's latest run that has one), as text. */
function attemptText(repo: string, feature: string, packageId: string, attempt: number, name: string): string {
  return fs.readFileSync(attemptFile(repo, feature, packageId, attempt, name), 'utf8');
}

/** The path of an attempt's file (`prompt.md`, `result.json`, …) in its run's folder, for the latest run that has the attempt's folder. */
function attemptFile(repo: string, feature: string, packageId: string, attempt: number, name: string): string {
  const runs = path.join(repo, '.waves', 'runs', feature);
  for (const id of fs.readdirSync(runs).sort().reverse()) {
    if (fs.existsSync(path.join(runs, id, packageId, String(attempt)))) return path.join(runs, id, packageId, String(attempt), name);
  }
  throw new Error(`no attempt ${attempt} of ${packageId}`);
}

/** The prompt.md of a package's attempt. */
function promptOfAttempt(repo: string, feature: string, packageId: string, attempt: number): string {
  return attemptText(repo, feature, packageId, attempt, 'prompt.md');
}

/** The attempt's exit.json (the runner's record of the agent's exit and its own verdict). */
function readExit(repo: string, feature: string, packageId: string, attempt = 1): ExitFile {
  return JSON.parse(attemptText(repo, feature, packageId, attempt, 'exit.json')) as ExitFile;
}

function safeLog(repo: string, feature: string, packageId: string, attempt = 1): string {
  try {
    return agentLog(repo, feature, packageId, attempt).slice(-4000);
  } catch (err) {
    return String(err);
  }
}

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { applyEvent, markSettingUp } from '../../../src/core/run/runStateReducer';
import { createRunState } from '../../../src/core/run/runStateInit';
import type { RunEvent, RunState } from '../../../src/core/run/runState';
import {
  codiconClasses,
  packageRowKey,
  packageRunText,
  STATUS_ICONS,
  statusIcon,
  runNeedsAttention,
  runStatusAccessible,
  runStatusText,
  runView,
  waveRunText,
  whyNot,
  runTooltip,
  packageRunNotes,
  refusedLine,
  type CommandFacts,
} from '../../../src/core/present/runStatusText';
import { countsAsWork, modelFromState, runCounts } from '../../../src/core/present/progressModel';
import { renderHeader } from '../../../src/core/present/terminalProgress';

const T0 = Date.parse('2026-01-01T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000);
const WAVES = [['a'], ['b', 'c', 'd'], ['e']];
const DEPS: Record<string, string[]> = { a: [], b: ['a'], c: ['a'], d: ['a'], e: ['b', 'c', 'd'] };

function state(events: [RunEvent, number][], packageIds: string[] = ['a', 'b', 'c', 'd', 'e']): RunState {
  let s = createRunState({ featureId: 'f', planFile: 'work-packages.yaml', planHash: 'a'.repeat(64), runId: 'r1', packageIds, now: at(0) });
  for (const [e, t] of events) {
    const r = applyEvent(s, e, at(t));
    if (!r.ok) throw new Error(`${e.type} ${e.packageId}: ${r.error.message}`);
    s = r.state;
  }
  return s;
}

const start = (id: string, t: number, attempt = 1): [RunEvent, number][] => [
  [{ type: 'ready', packageId: id }, t],
  [{ type: 'queued', packageId: id }, t],
  [{ type: 'started', packageId: id, attempt, startToken: `tok-${id}-${attempt}`, worktree: `/wt/${id}`, logFile: `/l/${id}`, baseSha: 'b'.repeat(40) }, t],
];
const succeed = (id: string, t: number): [RunEvent, number][] => [
  [{ type: 'exited', packageId: id, exitCode: 0 }, t],
  [{ type: 'succeeded', packageId: id }, t],
];

const midRun = () => state([...start('a', 0), ...succeed('a', 10), ...start('b', 11), ...start('c', 11), ...start('d', 12), [{ type: 'exited', packageId: 'd', exitCode: 2 }, 20]]);

function facts(s: RunState | undefined, over: Partial<CommandFacts> = {}): CommandFacts {
  return {
    trusted: true,
    planErrors: 0,
    featureId: 'f',
    state: s,
    driving: false,
    drivenElsewhere: null,
    dependsOn: (id) => DEPS[id] ?? [],
    waveIds: (w) => WAVES[w - 1] ?? [],
    ...over,
  };
}

describe('runSummary: the status bar', () => {
  it('says who waits on the person: 1 awaiting your review (#33)', () => {
    const s = state([...start('a', 0), [{ type: 'exited', packageId: 'a', exitCode: 0 }, 10], [{ type: 'awaitingReview', packageId: 'a' }, 10]]);
    const view = runView(s, WAVES);
    assert.equal(view.awaitingReview, 1);
    assert.match(runStatusText(view), / · 1 awaiting your review$/);
    assert.equal(runNeedsAttention(view), true);
    assert.match(runTooltip(view, s, 'F', T0 + 20_000), /- awaiting review: `a`/);
    assert.equal(runView(state([]), WAVES).awaitingReview, undefined);
    // Its decision is carried out by a resumed run: Resume is offered for it alone.
    const alone = state([...start('a', 0), [{ type: 'exited', packageId: 'a', exitCode: 0 }, 10], [{ type: 'awaitingReview', packageId: 'a' }, 10]], ['a']);
    assert.equal(whyNot('resume', facts(alone)), null);
  });

  it('best of n: a package awaiting the pick of a candidate is said so, not running', () => {
    const setRunning: [RunEvent, number][] = [
      [{ type: 'ready', packageId: 'a' }, 0],
      [{ type: 'queued', packageId: 'a' }, 0],
      [{ type: 'candidates', packageId: 'a', agents: ['claude-code', 'codex'] }, 0],
      [{ type: 'started', packageId: 'a', candidate: 1, attempt: 1, startToken: 't1', worktree: '/w1', logFile: '/l1' }, 1],
      [{ type: 'started', packageId: 'a', candidate: 2, attempt: 1, startToken: 't2', worktree: '/w2', logFile: '/l2' }, 1],
      [{ type: 'exited', packageId: 'a', candidate: 1, exitCode: 2 }, 5],
    ];
    const s = state(setRunning);
    assert.match(runStatusText(runView(s, WAVES)), /· 1 running ·/, 'candidate 2 still at work');
    const waiting = state([
      ...setRunning,
      [{ type: 'exited', packageId: 'a', candidate: 2, exitCode: 0, headSha: 'h2' }, 6],
      [{ type: 'audited', packageId: 'a', candidate: 2, headSha: 'h2', changedFiles: [{ path: 'a/x', change: 'A' }] }, 6],
    ]);
    const view = runView(waiting, WAVES);
    assert.equal(view.awaitingPick, 1);
    assert.equal(runStatusText(view), '$(sync~spin) Wave 1/3 · 0/5 done · 1 awaiting your pick');
    assert.equal(runNeedsAttention(view), true);
    // The Waves view's row, icon, tooltip and wave, and the status bar's tooltip: waiting for the person, not running.
    const a = waiting.packages.a!;
    assert.equal(packageRunText(a, T0 + 10_000), 'awaiting your pick');
    assert.equal(packageRunText(s.packages.a!, T0 + 10_000), 'running 9s');
    // Its agent's progress (ADR 0036) while it runs, its words made visible; the row is redrawn as it changes.
    const talking = { ...s.packages.a!, progress: { fraction: 0.25, message: 'tests\u001b[2J', at: '2026-01-01T00:00:00.000Z' } };
    assert.equal(packageRunText(talking, T0 + 10_000), 'running 9s · 25 % tests\\x1b[2J');
    assert.notEqual(packageRowKey(talking), packageRowKey(s.packages.a!));
    assert.equal(packageRunText({ ...talking, status: 'verifying' }, T0 + 10_000), 'verifying 9s', 'said only while it runs');
    assert.deepEqual(statusIcon(a), { icon: 'checklist', color: 'charts.yellow' });
    assert.deepEqual(statusIcon(s.packages.a!), STATUS_ICONS.running);
    assert.equal(packageRunNotes(a).split('\n')[0], 'Awaits your pick: candidate 2 \\(codex\\) passed audit and verification. Pick Candidate on a green candidate below (or `waves pick`): the one you pick is merged, the others end; its dependents wait until then.');
    assert.equal(packageRunNotes(s.packages.a!), '');
    assert.equal(waveRunText(waiting, ['a']), '0/1 done · 1 awaiting your pick');
    assert.match(runTooltip(view, waiting, 'F', T0 + 10_000), /^- awaiting your pick: `a` 9s$/m);
    assert.doesNotMatch(runTooltip(view, waiting, 'F', T0 + 10_000), /^- running:/m);
    assert.notEqual(packageRowKey(a), packageRowKey({ ...a, candidates: a.candidates!.map((c) => ({ ...c, headSha: null })) }), 'a candidate turning green redraws its package');
    // `waves status`'s header and row (the progress model of the run state): the same.
    const model = modelFromState(waiting, [{ id: 'a', wave: 1 }]);
    assert.equal(renderHeader(model), 'wave 1/1 · 0/5 done · 1 awaiting your pick');
    assert.equal(model.rows[0]!.detail, 'awaiting your pick: candidate 2 (codex) passed audit and verification');
    assert.equal(renderHeader(modelFromState(s, [{ id: 'a', wave: 1 }])), 'wave 1/1 · 1 running · 0/5 done');
  });

  it('shows no run before anything started', () => {
    assert.equal(runView(undefined, WAVES).phase, 'none');
    assert.equal(runStatusText(runView(state([]), WAVES)), '');
  });

  it('during a run: wave, running, done, failures', () => {
    const view = runView(midRun(), WAVES);
    assert.equal(view.phase, 'active');
    assert.equal(runStatusText(view), '$(sync~spin) Wave 2/3 · 2 running · 2/5 done · 1 failed');
    assert.ok(runNeedsAttention(view));
    assert.equal(runStatusAccessible(view), 'Wave Orchestrator run in progress: Wave 2/3, 2 running, 2/5 done, 1 failed');
  });

  it("a plan of plans: counts its leaves, not its parents' joins, and a parent's failure still shows", () => {
    const ids = ['a', 'p', 'p__x', 'p__y', 'e'];
    const joins = new Set(['p']);
    const leafWaves = [['a'], ['p__x', 'p__y'], ['e']];
    const mid = state([...start('a', 0), ...succeed('a', 5), ...start('p__x', 6), ...start('p__y', 6), ...succeed('p__y', 9)], ids);
    const view = runView(mid, leafWaves, false, joins);
    assert.equal(runStatusText(view), '$(sync~spin) Wave 2/3 · 1 running · 2/4 done');
    assert.equal(runStatusText(runView(mid, [['a'], ['p'], ['e']])), '$(sync~spin) Wave 2/3 · 1 running · 2/5 done', 'without the joins: the parent and children both counted');
    const joinFailed = state([...start('a', 0), ...succeed('a', 5), ...start('p__x', 6), ...succeed('p__x', 8), ...start('p__y', 6), ...succeed('p__y', 9), ...start('p', 10), [{ type: 'exited', packageId: 'p', exitCode: 1 }, 12]], ids);
    const ended = runView(joinFailed, leafWaves, false, joins);
    assert.equal(ended.phase, 'finished');
    assert.equal(ended.ending, 'failed');
    assert.equal(runStatusText(ended), '$(error) Run failed · 3/5 succeeded · 1 failed', 'the failed parent counted once, as a package of its own');
    assert.equal(runNeedsAttention(ended), true);
    // The run's end counts alike (the engine's run-finished, the CLI's last line, the editor's notification).
    assert.deepEqual(runCounts(joinFailed, ids, { p: ['p__x', 'p__y'] }), { succeeded: 3, failed: 1, pending: 1 });
    assert.deepEqual(runCounts(mid, ids, { p: ['p__x', 'p__y'] }), { succeeded: 2, running: 1, pending: 1 });
    assert.deepEqual(runCounts(mid, ['a', 'p']), { succeeded: 1, pending: 1 }, 'without joins, every package in scope');
    // The one predicate the report and `waves status` filter by.
    const joinIds = new Set(['p']);
    assert.deepEqual(ids.filter((id) => countsAsWork(id, joinFailed.packages[id], joinIds)), ids, 'a failed join counts');
    assert.deepEqual(ids.filter((id) => countsAsWork(id, mid.packages[id], joinIds)), ids.filter((id) => id !== 'p'), 'a waiting join does not');
    assert.equal(countsAsWork('p', mid.packages.p, undefined), true, 'without joins, every package counts');
    // The tooltip lists the leaves by status; a join only when it failed itself.
    const during = runTooltip(view, mid, 'F', 10_000, joins);
    assert.match(during, /^- running: `p\\_\\_x`/m);
    assert.doesNotMatch(during, /`p`/, 'a join waiting for its children is not listed');
    assert.match(runTooltip(view, mid, 'F', 10_000), /`p`/, 'without the joins it is');
    const after = runTooltip(ended, joinFailed, 'F', 20_000, joins);
    assert.match(after, /^- failed: `p`/m);
    assert.match(after, /^- succeeded: `a` 5s, `p\\_\\_x` 2s, `p\\_\\_y` 3s$/m);
  });

  it('an engine driving between two packages is still a run in progress', () => {
    const s = state([...start('a', 0), ...succeed('a', 10)]);
    assert.equal(runView(s, WAVES).phase, 'finished');
    assert.equal(runView(s, WAVES, true).phase, 'active');
  });

  it('after a run: how it ended', () => {
    const all = state(['a', 'b', 'c', 'd', 'e'].flatMap((id, k) => [...start(id, k * 10), ...succeed(id, k * 10 + 5)]));
    const view = runView(all, WAVES);
    assert.equal(runStatusText(view), '$(pass) Run succeeded · 5/5 succeeded');
    assert.ok(!runNeedsAttention(view));
    const cancelled = state([...start('a', 0), [{ type: 'cancelled', packageId: 'a' }, 3]]);
    assert.equal(runStatusText(runView(cancelled, WAVES)), '$(circle-slash) Run cancelled · 0/5 succeeded');
    const interrupted = state([...start('a', 0), [{ type: 'interrupted', packageId: 'a' }, 3]]);
    assert.equal(runView(interrupted, WAVES).ending, 'interrupted');
    assert.ok(runNeedsAttention(runView(interrupted, WAVES)));
    // Paused at a usage limit: said so, with the warning colour, and Resume offered.
    const limited = state([...start('a', 0), [{ type: 'usageLimit', packageId: 'a', detail: 'limit reached', resetAt: null }, 3]]);
    const view2 = runView(limited, WAVES);
    assert.equal(runStatusText(view2), '$(watch) Run paused at a usage limit · 0/5 succeeded');
    assert.ok(runNeedsAttention(view2));
    assert.match(runTooltip(view2, limited, 'Plan', 0), /at a usage limit: `a`[\s\S]*\[Resume\]\(command:waves\.resume\)/);
  });

  it('the tooltip of a run whose agents ran without walls says so (#32), and of one with walls says nothing of it', () => {
    const walled = midRun();
    const view = runView(walled, WAVES);
    assert.doesNotMatch(runTooltip(view, walled, 'Plan', 0), /without walls/);
    assert.match(runTooltip(view, { ...walled, unconfined: true }, 'Plan', 0), /^\$\(warning\) Its agents run \*\*without walls\*\* \(your choice/m);
    // The container their wall (the person's waves.sandbox.container): said as that, not as walls turned off.
    const inContainer = runTooltip(view, { ...walled, unconfined: true, containerWall: true }, 'Plan', 0);
    assert.match(inContainer, /^\$\(warning\) Its agents run \*\*without bubblewrap\*\*: the container is their wall \(your choice: `waves\.sandbox\.container`/m);
    assert.doesNotMatch(inContainer, /without walls/);
  });
});

describe('runSummary: waves and packages', () => {
  it('each wave says how much of it is done', () => {
    const s = midRun();
    assert.equal(waveRunText(s, WAVES[0]!), '1/1 done');
    assert.equal(waveRunText(s, WAVES[1]!), '1/3 done · 2 running · 1 failed');
    assert.equal(waveRunText(s, WAVES[2]!), '');
  });

  it('each package: status, elapsed time, attempt', () => {
    const s = midRun();
    const now = T0 + 75_000;
    assert.equal(packageRunText(s.packages.a, now), 'succeeded after 10s');
    assert.equal(packageRunText(s.packages.b, now), 'running 1m04s');
    assert.equal(packageRunText(s.packages.d, now), 'failed after 8s');
    assert.equal(packageRunText(s.packages.e, now), '');
    const again = state([...start('a', 0), [{ type: 'exited', packageId: 'a', exitCode: 1 }, 5], [{ type: 'reset', packageId: 'a' }, 6], ...start('a', 7, 2)]);
    assert.equal(packageRunText(again.packages.a, T0 + 9000), 'running 2s · attempt 2');
  });

  it('a queued package whose new tree runs its set-up command: setting up its worktree, for how long; its row redrawn', () => {
    const queued = state([[{ type: 'ready', packageId: 'a' }, 0], [{ type: 'queued', packageId: 'a' }, 1]]);
    assert.equal(packageRunText(queued.packages.a, T0 + 30_000), 'queued');
    const marked = markSettingUp(queued, 'a', undefined, at(2));
    assert.ok(marked.ok);
    const a = marked.state.packages.a!;
    assert.equal(packageRunText(a, T0 + 75_000), 'setting up its worktree 1m13s');
    assert.equal(packageRunText({ ...a, attempts: 2 }, T0 + 3_000), 'setting up its worktree 1s · attempt 2');
    assert.notEqual(packageRowKey(a), packageRowKey(queued.packages.a), 'setting up redraws the row');
    assert.deepEqual(statusIcon(a), { icon: 'gear~spin', color: 'charts.blue' });
    assert.deepEqual(statusIcon(queued.packages.a!), STATUS_ICONS.queued);
    assert.match(runTooltip(runView(marked.state, WAVES), marked.state, 'Plan', T0 + 10_000), /- queued: `a` \(setting up its worktree\)/);
  });

  it('with hosts (#17): where the attempt runs or ran, not once it waits to be placed again', () => {
    const s = midRun();
    const now = T0 + 75_000;
    assert.equal(packageRunText({ ...s.packages.b!, host: 'build-1' }, now), 'running 1m04s · on build-1');
    assert.equal(packageRunText({ ...s.packages.d!, host: 'local', attempts: 2 }, now), 'failed after 8s · on local · attempt 2');
    const reset = state([...start('a', 0), [{ type: 'exited', packageId: 'a', exitCode: 1 }, 5], [{ type: 'reset', packageId: 'a' }, 6]]);
    assert.equal(packageRunText({ ...reset.packages.a!, host: 'build-1' }, now), 'pending');
    assert.notEqual(packageRowKey({ ...s.packages.b!, host: 'build-1' }), packageRowKey(s.packages.b), 'a host change redraws the row');
  });

  it('one icon per status, distinct for each, drawn in a webview with the spin modifier as a class', () => {
    const icons = Object.values(STATUS_ICONS).map((i) => i.icon);
    assert.equal(new Set(icons).size, icons.length, 'no two statuses look alike');
    assert.equal(codiconClasses(STATUS_ICONS.running.icon), 'codicon codicon-sync codicon-modifier-spin');
    assert.equal(codiconClasses(STATUS_ICONS.succeeded.icon), 'codicon codicon-pass-filled');
  });
});

describe('runSummary: why a command cannot act', () => {
  it('nothing starts in Restricted Mode, and every start command says so', () => {
    for (const c of ['runPlan', 'runWave', 'runPackage', 'retryFailed', 'resume', 'finishRun', 'cleanUpWorktrees'] as const) {
      assert.match(whyNot(c, facts(midRun(), { trusted: false }), { wave: 1, packageId: 'a' }) ?? '', /^Restricted Mode/, c);
    }
  });

  it('a read-only plan (a task list of another tool) says why for every command, even in Restricted Mode', () => {
    const readOnly = 'this is a spec-kit tasks.md, shown read-only: convert it';
    for (const c of ['runPlan', 'runWave', 'runPackage', 'retryFailed', 'resume', 'cancelRun', 'showPrompt', 'finishRun', 'cleanUpWorktrees'] as const) {
      assert.equal(whyNot(c, facts(undefined, { readOnly, trusted: false }), { wave: 1, packageId: 'a' }), readOnly, c);
    }
    assert.equal(whyNot('runPlan', facts(undefined)), null, 'a plan without it runs');
  });

  it('a plan with errors or a run going elsewhere stops a start', () => {
    assert.equal(whyNot('runPlan', facts(undefined, { planErrors: 2 })), 'the plan has 2 errors: fix them first');
    assert.match(whyNot('runPlan', facts(midRun(), { drivenElsewhere: 'driven by pid 7 on h' })) ?? '', /going \(driven by pid 7 on h\); cancel it/);
    assert.equal(whyNot('runPlan', facts(undefined)), null);
  });

  it('a wave or a package waits for its dependencies outside it', () => {
    assert.match(whyNot('runWave', facts(undefined), { wave: 2 }) ?? '', /^b needs a to succeed first \(it is pending\)/);
    assert.equal(whyNot('runWave', facts(midRun()), { wave: 2 }), null);
    assert.match(whyNot('runPackage', facts(midRun()), { packageId: 'e' }) ?? '', /^e needs b to succeed first \(it is running\)/);
    assert.equal(whyNot('runWave', facts(undefined), { wave: 9 }), 'the plan has no wave 9');
  });

  it('cancel, retry, resume, finish each need the run they act on', () => {
    const s = midRun();
    assert.equal(whyNot('cancelRun', facts(s)), 'no run of this plan is going');
    assert.equal(whyNot('cancelRun', facts(s, { driving: true })), null);
    assert.equal(whyNot('cancelPackage', facts(s, { driving: true }), { packageId: 'a' }), 'a is succeeded already');
    assert.equal(whyNot('retryFailed', facts(s)), null);
    assert.equal(whyNot('retryFailed', facts(state([]))), 'nothing failed in the last run');
    // b is still marked running but nobody drives the run: it stopped with its driver, so it can be resumed.
    assert.equal(whyNot('resume', facts(s)), null);
    assert.match(whyNot('resume', facts(s, { driving: true })) ?? '', /is going in this window/);
    // a failed, the others never started (as an adoption that collects leaves them): they can be resumed …
    assert.equal(whyNot('resume', facts(state([...start('a', 0), [{ type: 'exited', packageId: 'a', exitCode: 1 }, 5]]))), null);
    // … a run with nothing left to start cannot.
    assert.equal(whyNot('resume', facts(state([...start('a', 0), [{ type: 'exited', packageId: 'a', exitCode: 1 }, 5]], ['a']))), 'the run has nothing interrupted, cancelled or left to start to resume');
    assert.equal(whyNot('finishRun', facts(s)), 'nothing to finish: the run has no integration branch yet');
    assert.equal(whyNot('showChanges', facts(s), { packageId: 'b' }), 'b is still running; its changes are reviewed when its attempt ends');
    assert.equal(whyNot('showChanges', facts(s), { packageId: 'd' }), null);
    assert.equal(whyNot('openWorktree', facts(s), { packageId: 'e' }), 'e has no worktree yet: it has not started');
  });
});

describe('runSummary: packageRowKey (which Waves view rows to redraw)', () => {
  it('is empty without a record, and changes with what the row shows: status, attempt, times, input needed', () => {
    assert.equal(packageRowKey(undefined), '');
    const before = midRun();
    const keyOf = (s: RunState, id: string) => packageRowKey(s.packages[id]);
    assert.notEqual(keyOf(before, 'e'), '', 'a pending package has a row key too');
    assert.equal(keyOf(before, 'b'), keyOf(structuredClone(before), 'b'), 'an equal record (read again from disk) keeps its key');
    const after = state([...start('a', 0), ...succeed('a', 10), ...start('b', 11), ...start('c', 11), ...start('d', 12), [{ type: 'exited', packageId: 'd', exitCode: 2 }, 20], ...succeed('b', 30)]);
    assert.notEqual(keyOf(after, 'b'), keyOf(before, 'b'), 'b succeeded');
    assert.equal(keyOf(after, 'c'), keyOf(before, 'c'), 'c did not change');
    const waiting = structuredClone(before);
    waiting.packages.c.needsInput = { since: at(13).toISOString(), reason: 'prompt', excerpt: 'Continue?' } as never;
    assert.notEqual(keyOf(waiting, 'c'), keyOf(before, 'c'), 'c needs input');
    const retried = structuredClone(before);
    retried.packages.d.attempts = 2;
    assert.notEqual(keyOf(retried, 'd'), keyOf(before, 'd'), 'a new attempt');
  });
});

describe('packageRunNotes (#16)', () => {
  it("a package's usage limit, its agent's question and what it spent, for its tooltip", () => {
    const s = state([...start('a', 0), [{ type: 'usageLimit', packageId: 'a', detail: 'limit reached', resetAt: '2026-01-01T17:00:00.000Z', agent: 'Claude Code' }, 5]]);
    const a = { ...s.packages.a!, spend: { inputTokens: 1000, outputTokens: 100, cachedTokens: 0, costUsd: 0.02 } };
    assert.equal(
      packageRunNotes(a),
      "At its agent's usage limit; it resets at 2026-01-01T17:00:00.000Z (no retry was spent): limit reached\n\nSpent: 1,100 tokens (1,000 in, 100 out, 0 cached) · $0.02",
    );
    assert.equal(packageRunNotes({ ...s.packages.b!, question: 'Which *port*?' }), 'Its agent asks: “Which \\*port\\*?” — Answer and Retry Package.');
    assert.equal(packageRunNotes(s.packages.b!), '');
  });
  it('what the walls refused its last attempt (#32): each target a code span, five at most, and where to allow one', () => {
    const s = state(start('a', 0));
    assert.equal(
      packageRunNotes({ ...s.packages.a!, refused: ['registry.npmjs.org:443'] }),
      'Its walls refused a connection to `registry.npmjs.org:443` (allow a host with waves.sandbox.allowHosts or --allow-host).',
    );
    const many = ['a:1', 'b:2', 'c:3', 'd:4', 'e:5', 'f:6', 'g:7'];
    assert.equal(refusedLine(many), 'Its walls refused connections to a:1, b:2, c:3, d:4, e:5 and 2 more (allow a host with waves.sandbox.allowHosts or --allow-host).');
    // A package registry the person's configuration names is said as one, with the switch that opens them.
    assert.equal(
      packageRunNotes({ ...s.packages.a!, refused: ['127.0.0.1:4873', 'telemetry.example.com:443'], refusedRegistries: ['127.0.0.1:4873'] }),
      'Its walls refused connections to `127.0.0.1:4873`, `telemetry.example.com:443` (allow a host with waves.sandbox.allowHosts or --allow-host). `127.0.0.1:4873` is a package registry: allow the registries your configuration names with waves.sandbox.registries or --allow-registries.',
    );
  });
});

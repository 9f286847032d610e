/**
 * The run timeline from a real run: the engine with the real runner and the scripted
 * agent records each package's phases — a lock wait, a usage-limit pause with the agent's
 * second attempt after the reset, a failed attempt and its retry, verification and merge — and
 * `waves report --timeline FILE` writes an SVG whose segments are at exactly those times.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { reportCommand } from '../../../src/cli/reportCommand';
import type { Io } from '../../../src/cli/io';
import type { PhaseMark, RunState } from '../../../src/core/run/runState';
import { LockTableStore } from '../../../src/store/lockTableStore';
import { engineFor, isolateGit, repoWithPlan } from '../engineFixtures';
import { buildRunner, tempDir } from '../helpers';

let runnerScript = '';
let state: RunState;
let repo = '';
let planFile = '';
let lockExpiry = 0;

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
  const gates = tempDir();
  const resetEpoch = Math.floor(Date.now() / 1000) + 3;
  ({ repo, planFile } = repoWithPlan('timeline', [
    { id: 'limited', agent: [`usage-limit-once ${path.join(gates, 'limited')} ${resetEpoch}`, 'write limited/x.txt', 'commit'] },
    { id: 'flaky', agent: [`fail-once ${path.join(gates, 'flaky')}`, 'write flaky/x.txt', 'commit'], retryBudget: 1 },
    { id: 'waiter', agent: ['write waiter/x.txt', 'commit'], lockFiles: ['shared.lock'] },
    { id: 'after', deps: ['flaky'], agent: ['write after/x.txt', 'commit'] },
  ]));
  // Another feature's run holds the lock `waiter` needs for a few seconds more.
  const now = Date.now();
  lockExpiry = now + 3000;
  await new LockTableStore(repo).update((t) => ({
    ...t,
    locks: [{ key: 'shared.lock', kind: 'file', featureId: 'other', runId: 'r0', holder: 'x', acquiredAt: new Date(now).toISOString(), expiresAt: new Date(lockExpiry).toISOString() }],
  }));
  const { engine } = await engineFor(planFile, runnerScript, {
    confinement: { options: { write: [gates] } },
    onUsageLimit: 'wait',
    maxParallel: 4,
  });
  try {
    const outcome = await engine.run();
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.state.packages, null, 1));
    state = outcome.state;
  } finally {
    engine.dispose();
  }
});

const phases = (id: string) => (state.packages[id]!.phases ?? []).map((m) => (m.for ? `${m.phase}:${m.for}` : m.phase));

describe('a real run records its phases', () => {
  test('a package waiting for a lock another holds is marked waiting for a lock until it is queued', () => {
    const p = phases('waiter');
    assert.deepEqual(p.slice(0, 2), ['ready', 'waiting:lock'], p.join(' '));
    assert.deepEqual(p.slice(p.indexOf('queued')), ['queued', 'running', 'verifying', 'merging', 'succeeded'], p.join(' '));
    const wait = state.packages.waiter!.phases!.find((m) => m.for === 'lock')!;
    const queued = state.packages.waiter!.phases!.find((m) => m.phase === 'queued')!;
    assert.ok(Date.parse(queued.at) >= lockExpiry, "queued once the other run's lock lapsed");
    assert.ok(Date.parse(wait.at) < lockExpiry);
  });

  test('a usage limit ends attempt 1, the package waits for the reset, and attempt 2 runs', () => {
    const p = phases('limited');
    assert.deepEqual(p.slice(0, 4), ['ready', 'queued', 'running', 'usage-limit'], p.join(' '));
    assert.ok(p.includes('merging') && p.at(-1) === 'succeeded', p.join(' '));
    const marks = state.packages.limited!.phases!;
    assert.equal(marks.filter((m) => m.phase === 'running').map((m) => m.attempt).join(), '1,2');
  });

  test('a failed attempt and its retry; verification and merge in the last', () => {
    const p = phases('flaky');
    assert.deepEqual(p.slice(0, 5), ['ready', 'queued', 'running', 'failed', 'pending'], p.join(' '));
    // Attempt 2 may wait for the agent's usage limit, which holds every package of that agent.
    assert.deepEqual(p.slice(p.lastIndexOf('queued')), ['queued', 'running', 'verifying', 'merging', 'succeeded'], p.join(' '));
    assert.ok(p.slice(5, p.lastIndexOf('queued')).every((x) => x === 'ready' || x === 'waiting:usage-limit'), p.join(' '));
  });
});

/** Every `<rect class="seg …">` of the SVG as its attributes. */
function svgSegments(svg: string): Record<string, string>[] {
  return [...svg.matchAll(/<rect class="seg [^"]*"[^>]*>/g)].map((m) => Object.fromEntries([...m[0].matchAll(/([a-z-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])));
}

describe('waves report --timeline', () => {
  test('writes an SVG with the usage-limit pause and the retry at the times of the run state, and prints the Gantt', async () => {
    const file = path.join(tempDir(), 'timeline.svg');
    let out = '';
    let err = '';
    const io = { out: (t: string) => (out += t), err: (t: string) => (err += t) } as unknown as Io;
    const cwd = process.cwd();
    process.chdir(repo);
    let code: number;
    try {
      code = await reportCommand(['--timeline', file, planFile], io);
    } finally {
      process.chdir(cwd);
    }
    assert.equal(code, 0, err);
    assert.match(err, /timeline written to/);
    assert.match(out, /## Timeline/);
    // ★ when limited is on the critical path: which package is depends on the machine's timing
    assert.match(out, /^[★ ] limited .*U.*succeeded \(2 attempts\)$/m);
    const svg = fs.readFileSync(file, 'utf8');
    const segs = svgSegments(svg);
    const at = (id: string, phase: string, nth = 0): string => state.packages[id]!.phases!.filter((m: PhaseMark) => m.phase === phase)[nth]!.at;

    // The pause: from the usage-limit mark to the next mark, as attempt 2's wait.
    const pause = segs.filter((s) => s['data-package'] === 'limited' && s['data-for'] === 'usage-limit');
    assert.equal(pause.length, 1);
    assert.equal(pause[0]!['data-attempt'], '2');
    assert.equal(pause[0]!['data-start'], at('limited', 'usage-limit'));
    assert.equal(pause[0]!['data-end'], at('limited', 'pending'));
    const runs = segs.filter((s) => s['data-package'] === 'limited' && s['data-kind'] === 'running');
    assert.deepEqual(runs.map((s) => [s['data-attempt'], s['data-start'], s['data-end']]), [
      ['1', at('limited', 'running', 0), at('limited', 'usage-limit')],
      ['2', at('limited', 'running', 1), at('limited', 'verifying')],
    ]);

    // The retry: a second attempt with its own outline, after the first failed.
    const flaky = segs.filter((s) => s['data-package'] === 'flaky' && s['data-kind'] === 'running');
    assert.deepEqual(flaky.map((s) => [s['data-attempt'], s['data-start'], s['data-end']]), [
      ['1', at('flaky', 'running', 0), at('flaky', 'failed')],
      ['2', at('flaky', 'running', 1), at('flaky', 'verifying')],
    ]);
    assert.match(svg, /<rect class="attempt first[^"]*"[^>]*data-package="flaky" data-attempt="1" data-outcome="failed"/);
    assert.match(svg, /<rect class="attempt retry[^"]*"[^>]*data-package="flaky" data-attempt="2" data-outcome="succeeded"/);
    const merge = segs.find((s) => s['data-package'] === 'flaky' && s['data-kind'] === 'merging')!;
    assert.deepEqual([merge['data-start'], merge['data-end']], [at('flaky', 'merging'), at('flaky', 'succeeded')]);

    // The lock wait, and the cap the run kept to.
    const lock = segs.find((s) => s['data-package'] === 'waiter' && s['data-for'] === 'lock')!;
    assert.equal(lock['data-start'], state.packages.waiter!.phases!.find((m) => m.for === 'lock')!.at);
    assert.match(svg, /<svg [^>]*data-cap="4"/);
    assert.ok(!svg.includes('class="now"'), 'a finished run has no now line');
  });
});

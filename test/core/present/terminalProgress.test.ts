import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  createProgressModel,
  modelFromState,
  progressCounts,
  reduceProgress,
  type ProgressEvent,
  type ProgressModel,
} from '../../../src/core/present/progressModel';
import { displayWidth, fit, formatClock, formatElapsed, sanitize, truncate } from '../../../src/core/present/terminalText';
import { renderHeader, renderLine, renderTable, repaint } from '../../../src/core/present/terminalProgress';
import { applyEvent } from '../../../src/core/run/runStateReducer';
import { createRunState } from '../../../src/core/run/runStateInit';
import type { RunEvent } from '../../../src/core/run/runState';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

/** Fold events given as [seconds after T0, event]. */
function fold(model: ProgressModel, events: [number, RunEvent | { type: 'note'; packageId?: string; text: string }][]): ProgressModel {
  return events.reduce((m, [s, e]) => reduceProgress(m, { ...e, at: iso(s) } as ProgressEvent), model);
}

const plan = [
  { id: 'wp-contracts', wave: 1 },
  { id: 'wp-db', wave: 2 },
  { id: 'wp-api', wave: 2 },
  { id: 'wp-web', wave: 2 },
  { id: 'wp-docs', wave: 3 },
  { id: 'wp-integration', wave: 4 },
];

function started(packageId: string, attempt = 1): RunEvent {
  return { type: 'started', packageId, attempt, startToken: 't', worktree: '/w', logFile: '/l' };
}

describe('text that fits', () => {
  it('counts wide characters as two columns and combining marks as none', () => {
    assert.equal(displayWidth('abc'), 3);
    assert.equal(displayWidth('日本語'), 6);
    assert.equal(displayWidth('e\u0301'), 1);
    assert.equal(displayWidth('🚀x'), 3);
    assert.equal(displayWidth('✓'), 1);
    assert.equal(displayWidth(''), 0);
  });

  it('cuts with … and never splits a wide character or a grapheme', () => {
    assert.equal(truncate('abcdef', 6), 'abcdef');
    assert.equal(truncate('abcdefg', 6), 'abcde…');
    assert.equal(truncate('日本語のid', 5), '日本…');
    assert.equal(displayWidth(truncate('日本語のid', 4)), 3); // 日 + … : a wide char never half-shown
    assert.equal(truncate('e\u0301e\u0301e\u0301e\u0301', 3), 'e\u0301e\u0301…');
    assert.equal(truncate('anything', 0), '');
    assert.equal(truncate('ab', 1), '…');
  });

  it('shows control characters as visible escapes so escape sequences never reach the terminal', () => {
    assert.equal(sanitize('a\x1b[2Jb\nc\td\x9b\u202e'), 'a\\x1b[2Jb\\nc\\td\\x9b\\u202e');
    assert.ok(!truncate('\x1b[1Aup', 10).includes('\x1b'));
  });

  it('pads to exactly the width, left or right', () => {
    assert.equal(fit('ab', 4), 'ab  ');
    assert.equal(fit('ab', 4, 'right'), '  ab');
    assert.equal(fit('日本', 5), '日本 ');
    assert.equal(fit('abcdef', 4), 'abc…');
  });

  it('formats elapsed time in seconds, minutes, hours', () => {
    assert.equal(formatElapsed(0), '0s');
    assert.equal(formatElapsed(999), '0s');
    assert.equal(formatElapsed(-5000), '0s');
    assert.equal(formatElapsed(42_000), '42s');
    assert.equal(formatElapsed(60_000), '1m00s');
    assert.equal(formatElapsed(185_000), '3m05s');
    assert.equal(formatElapsed(3_599_000), '59m59s');
    assert.equal(formatElapsed(3_720_000), '1h02m');
    assert.equal(formatElapsed(26 * 3_600_000), '26h00m');
  });

  it('formats a clock as local HH:MM:SS', () => {
    const t = new Date(2025, 2, 1, 9, 5, 7).getTime();
    assert.equal(formatClock(t), '09:05:07');
  });
});

describe('the progress model', () => {
  it('follows a package from ready to succeeded, with attempt, detail and times', () => {
    let m = createProgressModel(plan);
    assert.equal(m.waves, 4);
    m = fold(m, [
      [0, { type: 'ready', packageId: 'wp-contracts' }],
      [1, { type: 'queued', packageId: 'wp-contracts' }],
      [2, started('wp-contracts')],
    ]);
    let row = m.rows[0]!;
    assert.equal(row.status, 'running');
    assert.equal(row.attempt, 1);
    assert.equal(row.startedAt, T0 + 2000);
    m = fold(m, [
      [50, { type: 'exited', packageId: 'wp-contracts', exitCode: 0 }],
      [51, { type: 'verificationResult', packageId: 'wp-contracts', step: 'npm test', ok: true }],
    ]);
    row = m.rows[0]!;
    assert.equal(row.status, 'verifying');
    assert.equal(row.detail, '✓ npm test');
    m = fold(m, [[60, { type: 'succeeded', packageId: 'wp-contracts' }]]);
    row = m.rows[0]!;
    assert.equal(row.status, 'succeeded');
    assert.equal(row.endedAt, T0 + 60_000);
  });

  it('does not change its input', () => {
    const m = createProgressModel(plan);
    const copy = structuredClone(m);
    fold(m, [
      [0, started('wp-db')],
      [1, { type: 'note', text: 'cancelling…' }],
    ]);
    assert.deepEqual(m, copy);
  });

  it('a failed exit fails the package with its reason; an exit after cancel only records', () => {
    let m = fold(createProgressModel(plan), [
      [0, started('wp-db')],
      [9, { type: 'exited', packageId: 'wp-db', exitCode: 3, reason: 'exited 3' }],
      [0, started('wp-api')],
      [5, { type: 'cancelled', packageId: 'wp-api', reason: 'by the user' }],
      [6, { type: 'exited', packageId: 'wp-api', exitCode: null, signal: 'SIGTERM' }],
    ]);
    assert.equal(m.rows[1]!.status, 'failed');
    assert.equal(m.rows[1]!.detail, 'exited 3');
    assert.equal(m.rows[2]!.status, 'cancelled');
    assert.equal(m.rows[2]!.detail, 'by the user');
    m = fold(m, [
      [10, started('wp-web')],
      [11, { type: 'exited', packageId: 'wp-web', exitCode: null, signal: 'SIGKILL' }],
    ]);
    assert.equal(m.rows[3]!.detail, 'ended by SIGKILL');
  });

  it('needs input shows, and goes away when the agent goes on', () => {
    let m = fold(createProgressModel(plan), [
      [0, started('wp-api')],
      [3, { type: 'needsInput', packageId: 'wp-api', reason: 'usage limit' }],
    ]);
    assert.equal(m.rows[2]!.needsInput, 'usage limit');
    assert.equal(progressCounts(m).needsInput, 1);
    assert.match(renderHeader(m), /1 needs input/);
    m = fold(m, [[4, { type: 'inputResumed', packageId: 'wp-api' }]]);
    assert.equal(m.rows[2]!.needsInput, null);
    assert.equal(progressCounts(m).needsInput, 0);
  });

  it('blocked, scope violation, reset and a package the plan did not list', () => {
    const m = fold(createProgressModel(plan), [
      [1, { type: 'blocked', packageId: 'wp-docs', by: ['wp-api', 'wp-db'] }],
      [2, started('wp-web')],
      [3, { type: 'scopeViolation', packageId: 'wp-web', paths: [{ path: 'src/x.ts', change: 'M' }] }],
      [4, { type: 'reset', packageId: 'wp-web' }],
      [5, { type: 'note', packageId: 'wp-new', text: 'added to the plan' }],
    ]);
    assert.equal(m.rows[4]!.detail, 'blocked by wp-api, wp-db');
    assert.equal(m.rows[3]!.status, 'pending');
    assert.equal(m.rows[3]!.detail, 'retry after attempt 1');
    assert.equal(m.rows.at(-1)!.id, 'wp-new');
    assert.equal(m.rows.at(-1)!.wave, null);
  });

  it('a run state gives the same rows as the events that made it', () => {
    const now = new Date(T0);
    let state = createRunState({ featureId: 'f', planFile: 'p.yaml', runId: 'r1', packageIds: plan.map((p) => p.id), now });
    const events: [number, RunEvent][] = [
      [0, { type: 'ready', packageId: 'wp-contracts' }],
      [1, { type: 'queued', packageId: 'wp-contracts' }],
      [2, started('wp-contracts')],
      [40, { type: 'exited', packageId: 'wp-contracts', exitCode: 1, reason: 'the agent exited 1' }],
      [41, { type: 'blocked', packageId: 'wp-api', by: ['wp-contracts'] }],
    ];
    for (const [s, e] of events) {
      const r = applyEvent(state, e, new Date(T0 + s * 1000));
      assert.ok(r.ok, JSON.stringify(r));
      state = r.state;
    }
    const fromState = modelFromState(state, plan);
    const fromEvents = fold(createProgressModel(plan), events);
    for (const id of ['wp-contracts', 'wp-api', 'wp-db']) {
      const a = fromState.rows.find((r) => r.id === id)!;
      const b = fromEvents.rows.find((r) => r.id === id)!;
      assert.deepEqual(
        { status: a.status, attempt: a.attempt, startedAt: a.startedAt, endedAt: a.endedAt, detail: a.detail },
        { status: b.status, attempt: b.attempt, startedAt: b.startedAt, endedAt: b.endedAt, detail: b.detail },
        id,
      );
    }
  });
});

describe('the table', () => {
  const running = () =>
    fold(createProgressModel(plan), [
      [0, started('wp-contracts')],
      [30, { type: 'exited', packageId: 'wp-contracts', exitCode: 0 }],
      [31, { type: 'succeeded', packageId: 'wp-contracts' }],
      [32, started('wp-db')],
      [33, started('wp-api')],
      [34, { type: 'queued', packageId: 'wp-web' }],
      [40, { type: 'exited', packageId: 'wp-db', exitCode: 2, reason: 'the agent exited 2' }],
    ]);

  it('has the header, the column titles and active packages first', () => {
    const lines = renderTable(running(), 100, T0 + 95_000);
    assert.equal(lines[0], 'wave 2/4 · 1 running · 1 queued · 2/6 done · 1 failed');
    assert.match(lines[1]!, /^ID\s+WAVE\s+STATUS\s+TRY\s+ELAPSED\s+DETAIL$/);
    const ids = lines.slice(2).map((l) => l.split(/\s+/)[0]);
    assert.deepEqual(ids, ['wp-api', 'wp-web', 'wp-db', 'wp-contracts', 'wp-docs', 'wp-integration']);
    const api = lines[2]!.split(/\s{2,}/);
    assert.deepEqual(api, ['wp-api', '2', 'running', '1', '1m02s']);
    const db = lines.find((l) => l.startsWith('wp-db'))!;
    assert.match(db, /failed\s+1\s+8s\s+the agent exited 2$/);
  });

  it('every line fits the width, whatever the ids and details', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            id: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
            detail: fc.string({ unit: 'grapheme', maxLength: 200 }),
          }),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 40 }),
        (pkgs, width, maxRows) => {
          let m = createProgressModel(pkgs.map((p, i) => ({ id: `${p.id}#${i}`, wave: (i % 3) + 1 })));
          pkgs.forEach((p, i) => {
            m = fold(m, [
              [i, started(`${p.id}#${i}`)],
              [i + 1, { type: 'failed', packageId: `${p.id}#${i}`, reason: p.detail || 'x' }],
            ]);
          });
          for (const line of renderTable(m, width, T0 + 100_000, { maxRows })) {
            assert.ok(displayWidth(line) <= width, `${JSON.stringify(line)} is wider than ${width}`);
            assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(line), 'no control characters');
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('cuts a long detail and a long id with …', () => {
    const long = 'x'.repeat(200);
    const m = fold(createProgressModel([{ id: 'a-very-long-package-identifier-that-goes-on', wave: 1 }]), [
      [0, started('a-very-long-package-identifier-that-goes-on')],
      [1, { type: 'failed', packageId: 'a-very-long-package-identifier-that-goes-on', reason: long }],
    ]);
    const [, , row] = renderTable(m, 80, T0);
    assert.equal(displayWidth(row!), 80);
    assert.ok(row!.startsWith('a-very-long-package-ide…  '), row);
    assert.ok(row!.endsWith('x…'), row);
  });

  it('lines up unicode ids by columns, not by code units', () => {
    const m = fold(
      createProgressModel([
        { id: 'api', wave: 1 },
        { id: '日本語', wave: 1 },
        { id: 'e\u0301t\u00e9', wave: 1 },
      ]),
      [
        [0, started('api')],
        [0, started('日本語')],
        [0, started('e\u0301t\u00e9')],
      ],
    );
    const lines = renderTable(m, 80, T0 + 5000).slice(1);
    const statusColumn = lines.map((l) => {
      const i = l.search(/(STATUS|running)/);
      return displayWidth(l.slice(0, i));
    });
    assert.equal(new Set(statusColumn).size, 1, JSON.stringify(lines));
  });

  it('many packages: active ones first and a +N more row, within maxRows', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ id: `p${String(i).padStart(2, '0')}`, wave: 1 + (i % 4) }));
    let m = createProgressModel(many);
    for (let i = 0; i < 10; i++) m = fold(m, [[i, { type: 'blocked', packageId: `p${String(i).padStart(2, '0')}`, by: ['x'] }]]);
    m = fold(m, [
      [20, started('p35')],
      [21, started('p39')],
      [22, { type: 'needsInput', packageId: 'p39', reason: 'permission' }],
    ]);
    const lines = renderTable(m, 100, T0 + 30_000, { maxRows: 8 });
    assert.equal(lines.length, 2 + 8);
    const ids = lines.slice(2, -1).map((l) => l.split(/\s+/)[0]);
    assert.deepEqual(ids.slice(0, 2), ['p39', 'p35']);
    assert.match(lines[2]!, /needs-input .*needs input: permission$/);
    // then the most recently ended: p09, p08, …
    assert.deepEqual(ids.slice(2), ['p09', 'p08', 'p07', 'p06', 'p05']);
    assert.equal(lines.at(-1), '+33 more (5 blocked, 28 pending)');
  });

  it('narrow terminals keep the columns that fit and drop the detail', () => {
    const lines = renderTable(running(), 30, T0 + 95_000);
    for (const l of lines) assert.ok(displayWidth(l) <= 30, l);
    assert.ok(!lines.some((l) => l.includes('DETAIL')));
  });

  it('the header counts needs input, blocked, cancelled and a run note', () => {
    const m = fold(createProgressModel(plan), [
      [0, { type: 'blocked', packageId: 'wp-docs', by: ['wp-api'] }],
      [0, { type: 'cancelled', packageId: 'wp-integration' }],
      [0, { type: 'note', text: 'cancelling…' }],
    ]);
    assert.equal(renderHeader(m), 'wave 1/4 · 2/6 done · 1 blocked · 1 cancelled · cancelling…');
    const all = fold(
      createProgressModel([
        { id: 'a', wave: 1 },
        { id: 'b', wave: 2 },
      ]),
      [
        [0, { type: 'succeeded', packageId: 'a' }],
        [0, { type: 'succeeded', packageId: 'b' }],
      ],
    );
    assert.equal(renderHeader(all), 'wave 2/2 · 2/2 done');
  });
});

describe('repaint', () => {
  it('first frame: just the lines', () => {
    assert.equal(repaint(0, ['a', 'b']), '\x1b[2Ka\n\x1b[2Kb\n');
  });
  it('moves up over the previous frame and clears what the new one does not cover', () => {
    assert.equal(repaint(2, ['x']), '\x1b[2F\x1b[2Kx\n\x1b[2K\n\x1b[1F');
    assert.equal(repaint(1, ['x', 'y']), '\x1b[1F\x1b[2Kx\n\x1b[2Ky\n');
  });
});

describe('one line per event', () => {
  const at = new Date(2025, 2, 1, 12, 1, 3).toISOString();
  const line = (e: RunEvent | { type: 'note'; packageId?: string; text: string }) => renderLine({ ...e, at } as ProgressEvent, 0);
  it('says when, who and what', () => {
    assert.equal(line(started('wp-api')), '12:01:03 wp-api running (attempt 1)');
    assert.equal(line({ type: 'exited', packageId: 'wp-api', exitCode: 0 }), '12:01:03 wp-api agent exited 0');
    assert.equal(
      line({ type: 'exited', packageId: 'wp-api', exitCode: 1, reason: 'timed out' }),
      '12:01:03 wp-api agent exited 1: timed out',
    );
    assert.equal(line({ type: 'failed', packageId: 'a', reason: 'no change' }), '12:01:03 a failed: no change');
    assert.equal(line({ type: 'blocked', packageId: 'b', by: ['a'] }), '12:01:03 b blocked by a');
    assert.equal(
      line({ type: 'verificationResult', packageId: 'a', step: 'npm test', ok: false, detail: 'exit 1' }),
      '12:01:03 a verification FAILED: npm test (exit 1)',
    );
    assert.equal(line({ type: 'scopeViolation', packageId: 'a', paths: [{ path: 'x', change: 'D' }] }), '12:01:03 a scope violation: D x');
    assert.equal(line({ type: 'note', text: 'run ended' }), '12:01:03 run ended');
  });
  it('uses now when the event has no usable time, and never emits control characters', () => {
    const now = new Date(2025, 2, 1, 8, 0, 0).getTime();
    assert.equal(renderLine({ type: 'succeeded', packageId: 'a', at: 'garbage' }, now), '08:00:00 a succeeded');
    assert.equal(
      renderLine({ type: 'failed', packageId: 'a', reason: 'x\x1b[2Jy\nz', at: 'x' }, now),
      '08:00:00 a failed: x\\x1b[2Jy\\nz',
    );
  });
});

describe('engine events', () => {
  type E = Parameters<typeof reduceProgress>[1];
  const at = (s: number) => iso(s);
  const engineFold = (m: ProgressModel, events: [number, Record<string, unknown>][]) =>
    events.reduce((acc, [s, e]) => reduceProgress(acc, { ...e, at: at(s) } as E), m);

  it('package snapshots set status, attempt, detail and the attempt times', () => {
    let m = engineFold(createProgressModel(plan), [
      [
        0,
        {
          type: 'run-started',
          runId: 'r1',
          featureId: 'f',
          packages: plan.map((p) => p.id),
          maxParallel: 2,
          mode: 'eager',
          resumed: false,
        },
      ],
      [1, { type: 'package', packageId: 'wp-contracts', status: 'queued', attempt: 0 }],
      [2, { type: 'package', packageId: 'wp-contracts', status: 'running', attempt: 1 }],
      [5, { type: 'needs-input', packageId: 'wp-contracts', reason: 'usage limit' }],
    ]);
    let row = m.rows[0]!;
    assert.deepEqual([row.status, row.attempt, row.startedAt, row.needsInput], ['running', 1, T0 + 2000, 'usage limit']);
    assert.match(renderTable(m, 100, T0 + 10_000)[2]!, /^wp-contracts\s+1\s+needs-input\s+1\s+8s\s+needs input: usage limit$/);
    m = engineFold(m, [
      [6, { type: 'needs-input', packageId: 'wp-contracts', reason: null }],
      [9, { type: 'package', packageId: 'wp-contracts', status: 'verifying', attempt: 1 }],
      [10, { type: 'verification', packageId: 'wp-contracts', step: 'unit tests', ok: true, command: 'npm test' }],
    ]);
    row = m.rows[0]!;
    assert.deepEqual([row.status, row.needsInput, row.detail, row.startedAt], ['verifying', null, '✓ unit tests', T0 + 2000]);
    m = engineFold(m, [
      [12, { type: 'package', packageId: 'wp-contracts', status: 'succeeded', attempt: 1 }],
      [13, { type: 'merge', packageId: 'wp-contracts', ok: true }],
      [14, { type: 'package', packageId: 'wp-api', status: 'blocked', attempt: 0, detail: 'blocked by wp-contracts' }],
    ]);
    row = m.rows[0]!;
    assert.deepEqual([row.status, row.endedAt, row.detail], ['succeeded', T0 + 12_000, 'merged']);
    assert.deepEqual([m.rows[2]!.status, m.rows[2]!.endedAt], ['blocked', null]);
    m = engineFold(m, [
      [20, { type: 'run-finished', outcome: 'failed', reportFile: null, counts: { succeeded: 1, blocked: 1 }, speedup: null }],
    ]);
    assert.match(renderHeader(m), / · failed$/);
  });

  it('a second attempt restarts the clock', () => {
    const m = engineFold(createProgressModel(plan), [
      [0, { type: 'package', packageId: 'wp-db', status: 'running', attempt: 1 }],
      [10, { type: 'package', packageId: 'wp-db', status: 'failed', attempt: 1, detail: 'exited 1' }],
      [11, { type: 'package', packageId: 'wp-db', status: 'pending', attempt: 1 }],
      [12, { type: 'package', packageId: 'wp-db', status: 'running', attempt: 2 }],
    ]);
    const row = m.rows[1]!;
    assert.deepEqual([row.attempt, row.startedAt, row.endedAt], [2, T0 + 12_000, null]);
  });

  it('one line per engine event', () => {
    const t = new Date(2025, 2, 1, 12, 1, 3).toISOString();
    const line = (e: Record<string, unknown>) => renderLine({ ...e, at: t } as E, 0);
    assert.equal(line({ type: 'package', packageId: 'wp-api', status: 'running', attempt: 1 }), '12:01:03 wp-api running (attempt 1)');
    assert.equal(
      line({ type: 'package', packageId: 'wp-api', status: 'failed', attempt: 2, detail: 'timed out' }),
      '12:01:03 wp-api failed: timed out',
    );
    assert.equal(line({ type: 'needs-input', packageId: 'a', reason: null }), '12:01:03 a goes on (input given)');
    assert.equal(
      line({ type: 'verification', packageId: 'a', step: 'unit', ok: false, command: 'npm test' }),
      '12:01:03 a verification FAILED: unit ($ npm test)',
    );
    assert.equal(line({ type: 'merge', packageId: 'a', ok: false, conflicts: ['src/x.ts'] }), '12:01:03 a merge conflict in src/x.ts');
    assert.equal(line({ type: 'problem', message: 'plan changed' }), '12:01:03 problem: plan changed');
    assert.equal(
      line({ type: 'run-started', runId: 'r1', featureId: 'f', packages: ['a', 'b'], maxParallel: 3, mode: 'barrier', resumed: true }),
      '12:01:03 run r1 of f resumed: 2 packages, at most 3 at once (barrier)',
    );
    assert.equal(
      line({ type: 'run-finished', outcome: 'succeeded', reportFile: '/r/report.md', counts: { succeeded: 2, failed: 0 }, speedup: 1.94 }),
      '12:01:03 run succeeded (2 succeeded) · speed-up 1.9× · report: /r/report.md',
    );
  });
});

describe('plan changes', () => {
  it('adds the new packages and says so', () => {
    const m = reduceProgress(createProgressModel(plan), { type: 'plan-changed', planHash: 'x', added: ['wp-new', 'wp-api'], at: iso(1) });
    assert.deepEqual(m.rows.map((r) => r.id).slice(-2), ['wp-integration', 'wp-new']);
    assert.equal(m.note, 'the plan changed');
    const t = new Date(2025, 2, 1, 12, 1, 3).toISOString();
    assert.equal(
      renderLine({ type: 'plan-changed', planHash: 'x', added: ['wp-new'], at: t }, 0),
      '12:01:03 the plan changed: added wp-new',
    );
  });
});

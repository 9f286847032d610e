/**
 * A pull worker as the editor shows it (core/present/workerText.ts): its row, its tooltip, the
 * judgement "silent" (no heartbeat for longer than a claim's lease), and the key a view redraws
 * on — which moves with what the row shows, never with every read's exact age.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { DEFAULT_QUEUE_LEASE_MS } from '../../../src/core/coordinator/workQueue';
import { heartbeatText, isSilent, workerRow, workerRuns, workerShownKey, workerTooltip, workerTooltipMarkdown, type WorkerSeen } from '../../../src/core/present/workerText';

const LEASE = DEFAULT_QUEUE_LEASE_MS;
const w = (extra: Partial<WorkerSeen> = {}): WorkerSeen => ({ name: 'gpu-1', machine: 'rack7.local', agents: ['claude', 'codex'], labels: ['gpu'], slots: 1, draining: false, leaseMs: 120_000, silentMs: 3_000, ...extra });

describe('a pull worker in the editor', () => {
  it('is silent only past the lease (120 s by default), by the database\'s count', () => {
    assert.equal(LEASE, 120_000);
    assert.equal(isSilent(w({ silentMs: 120_000 }), LEASE), false);
    assert.equal(isSilent(w({ silentMs: 120_001 }), LEASE), true);
    assert.equal(isSilent(w({ silentMs: 5_000 }), 4_000), true, 'the lease is given, not assumed');
  });

  it('says its heartbeat in steps of ten seconds, and past the lease how long it has been silent', () => {
    assert.equal(heartbeatText(w({ silentMs: 0 }), LEASE), 'heartbeat under 10 s ago');
    assert.equal(heartbeatText(w({ silentMs: 9_999 }), LEASE), 'heartbeat under 10 s ago');
    assert.equal(heartbeatText(w({ silentMs: 10_000 }), LEASE), 'heartbeat 10 s ago');
    assert.equal(heartbeatText(w({ silentMs: 47_500 }), LEASE), 'heartbeat 40 s ago');
    assert.equal(heartbeatText(w({ silentMs: 119_000 }), LEASE), 'heartbeat 110 s ago');
    assert.equal(heartbeatText(w({ silentMs: 121_000 }), LEASE), 'silent for 2 min');
    assert.equal(heartbeatText(w({ silentMs: 3 * 3600_000 + 5 }), LEASE), 'silent for 3 h');
    assert.equal(heartbeatText(w({ silentMs: 5 * 86400_000 }), LEASE), 'silent for 5 days');
    // A clock a little ahead (a negative age) is "just now", not a negative number.
    assert.equal(heartbeatText(w({ silentMs: -40 }), LEASE), 'heartbeat under 10 s ago');
  });

  it('a row: its name, on which machine, what it runs, its heartbeat, draining', () => {
    assert.deepEqual(workerRow(w(), LEASE), {
      label: 'gpu-1',
      description: 'on rack7.local · claude, codex [gpu] · heartbeat under 10 s ago',
      accessible: 'Worker gpu-1, on rack7.local, claude, codex [gpu], heartbeat under 10 s ago',
    });
    assert.equal(workerRow(w({ draining: true, labels: [], silentMs: 200_000 }), LEASE).description, 'on rack7.local · claude, codex · silent for 3 min · draining');
    assert.equal(workerRuns(w({ agents: [], labels: [] })), 'no agent');
    assert.equal(workerRow(w({ machine: '' }), LEASE).description.startsWith('on an unknown machine · '), true);
  });

  it("shows what a database row could hide: control and bidi characters as visible escapes", () => {
    const row = workerRow(w({ name: 'w\u202e1', machine: 'evil\nline' }), LEASE);
    assert.equal(row.label, 'w\\u202e1');
    assert.match(row.description, /^on evil\\nline · /);
    assert.equal(workerTooltip(w({ machine: 'a\u001b[31mb' }), LEASE).title, 'gpu-1 on a\\x1b[31mb');
  });

  it('a tooltip: agents, labels, slots, the heartbeat or what silence means, and what draining means', () => {
    assert.deepEqual(workerTooltip(w(), LEASE), {
      title: 'gpu-1 on rack7.local',
      lines: ['Agents: claude, codex', 'Labels: gpu', 'Slots: 1', "Last heartbeat under 10 s ago (a claim's lease: 2 min)."],
    });
    const tip = workerTooltip(w({ draining: true, labels: [], silentMs: 600_000 }), LEASE);
    assert.equal(tip.lines[1], 'Labels: none');
    assert.match(tip.lines[3]!, /^Silent: no heartbeat for 10 min, longer than a claim's lease \(2 min\)\. .*a package it held is claimable again by another worker\.$/);
    assert.match(tip.lines[4]!, /^Draining: it finishes what it holds and claims nothing new/);
  });

  it('the tooltip as Markdown: every text escaped (a name or machine cannot link, format or inject HTML), a paragraph a line', () => {
    const md = workerTooltipMarkdown(w({ machine: '[x](command:waves.cleanUpWorktrees) <b>*hi*</b>' }), LEASE);
    assert.equal(md.split('\n\n')[0], '**gpu\\-1 on \\[x\\]\\(command:waves\\.cleanUpWorktrees\\) \\<b\\>\\*hi\\*\\</b\\>**');
    assert.equal(md.split('\n\n').length, 5);
    assert.equal(md.split('\n\n')[1], 'Agents: claude, codex');
  });

  it("the view's key moves with what the row shows: not with each read's age inside a step, but with a step, silence, draining", () => {
    const key = (extra: Partial<WorkerSeen>) => workerShownKey(w(extra), LEASE);
    assert.equal(key({ silentMs: 1_000 }), key({ silentMs: 8_000 }), 'read every 3 s: the same step, no redraw');
    assert.notEqual(key({ silentMs: 8_000 }), key({ silentMs: 11_000 }));
    assert.notEqual(key({ silentMs: 119_000 }), key({ silentMs: 121_000 }), 'gone silent');
    assert.equal(key({ silentMs: 130_000 }), key({ silentMs: 170_000 }), 'silent for 2 min, read after read');
    assert.notEqual(key({}), key({ draining: true }));
    assert.notEqual(key({}), key({ labels: ['gpu', 'macos'] }));
    assert.notEqual(key({}), key({ machine: 'rack8.local' }));
  });
});

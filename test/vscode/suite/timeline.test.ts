// The DAG panel's run timeline during a live run in a real VS Code. A plan of three
// packages in a git repository of its own: `hold` works until the test opens its gate,
// `waiter` needs a file lock another feature's run holds (so it waits, and the timeline says
// for what) until the test releases it, `again` fails its first attempt and succeeds on its retry. What the panel sends its timeline is
// watched as the run goes: live bars while agents work, the lock wait as a waiting phase, the
// retry as a second attempt; when the run ends, the timeline is no longer live.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import { LockTableStore } from '../../../src/store/lockTableStore';
import type { HostMessage, TimelineMessage, TimelineRowData } from '../../../src/protocol';
import { Scratch, useScriptedAgent, waitFor, waitForPlan, wavesApi } from '../helpers';

describe('The run timeline during a live run', function () {
  this.timeout(180_000);
  let api: WavesApi;
  let scratch: Scratch;

  before(async () => {
    api = await wavesApi();
    await useScriptedAgent(true);
    scratch = new Scratch('timeline');
    // `fail-once` leaves its mark, and `hold` finds its gate, in a folder beside the repository the walls let the agents write, as the person's setting would.
    fs.mkdirSync(path.join(scratch.root.fsPath, 'marks'), { recursive: true });
    await vscode.workspace.getConfiguration('waves').update('sandbox.write', [path.join(scratch.root.fsPath, 'marks')], vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    await vscode.workspace.getConfiguration('waves').update('sandbox.write', undefined, vscode.ConfigurationTarget.Global);
    await useScriptedAgent(null);
    await scratch.dispose();
  });

  it('shows bars while agents work, a lock wait as waiting, a retry as a second attempt; not live once the run ends', async () => {
    const repo = path.join(scratch.root.fsPath, 'repo');
    fs.mkdirSync(repo, { recursive: true });
    // In the folder the walls show the agents (below): the gate `hold` waits for.
    const gate = path.join(scratch.root.fsPath, 'marks', `gate-${process.pid}`);
    const marker = path.join(scratch.root.fsPath, 'marks', 'failed-once');
    const pkg = (id: string, lines: string[], extra: string[] = []) => [
      `  - package_id: ${id}`,
      `    title: ${id}`,
      '    description: |',
      ...lines.map((l) => `      test-agent: ${l}`),
      '    scope:',
      `      write_allow: ["${id}/**"]`,
      ...extra,
    ];
    const text = [
      'schema_version: 1',
      'feature:',
      '  id: timeline-live',
      '  title: The timeline, live',
      'defaults:',
      '  retry_budget: 1',
      'packages:',
      ...pkg('hold', ['write hold/h.txt held', `wait-for ${gate}`, 'commit']),
      ...pkg('waiter', ['write waiter/w.txt after the lock', 'commit'], ['    locks:', '      files: [shared/one.txt]']),
      ...pkg('again', [`fail-once ${marker}`, 'write again/a.txt second time', 'commit']),
      '',
    ].join('\n');
    const plan = path.join(repo, 'work-packages.yaml');
    fs.writeFileSync(plan, text);
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.invalid', ...args], { cwd: repo, encoding: 'utf8' });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'plan');
    const uri = vscode.Uri.file(plan);
    const entry = await waitForPlan(api, uri, 'the timeline plan in the registry', (e) => e.analysis.valid);
    // Another feature's run holds the lock `waiter` needs (the repository's real lock table).
    const locks = new LockTableStore(repo);
    const now = Date.now();
    await locks.update((t) => ({
      ...t,
      locks: [{ key: 'shared/one.txt', kind: 'file', featureId: 'elsewhere', runId: 'r0', holder: 'x', acquiredAt: new Date(now).toISOString(), expiresAt: new Date(now + 600_000).toISOString() }],
    }));

    const panel = api.dag.show(uri);
    assert.ok(panel, 'the DAG panel opened');
    const seen: TimelineMessage[] = [];
    const sub = panel.onDidPost((m: HostMessage) => {
      if (m.type === 'timeline') seen.push(m);
    });
    /** Each package's newest row as the panel sent it. */
    const rows = () => {
      const latest = new Map<string, TimelineRowData>();
      for (const m of seen) for (const r of m.rows) latest.set(r.id, r);
      return latest;
    };
    try {
      const session = await api.run.controller.start(entry, { what: 'the plan' });
      assert.ok(session, 'the run started');
      // While `hold` works: its row is running, the timeline live (its bar grows to now in the view).
      await waitFor(() => rows().get('hold')?.phases.some((p) => p.phase === 'running') && seen.at(-1)?.live === true, 'hold running in a live timeline', { timeoutMs: 60_000 });
      // `waiter` waits for the lock the other feature holds: a waiting phase, for a lock; then the other lets it go.
      await waitFor(() => rows().get('waiter')?.phases.some((p) => p.phase === 'waiting' && p.for === 'lock'), `waiter waiting for the lock (rows: ${JSON.stringify(rows().get('waiter'))})`, { timeoutMs: 60_000 });
      assert.equal(rows().get('waiter')?.status, 'ready', 'waiting, not started');
      await locks.update((t) => ({ ...t, locks: t.locks.filter((l) => l.featureId !== 'elsewhere') }));
      // `again` failed once and runs a second attempt: two attempts' running phases.
      await waitFor(() => {
        const r = rows().get('again');
        return r !== undefined && r.attempts >= 2 && r.phases.some((p) => p.phase === 'running' && p.attempt === 1) && r.phases.some((p) => p.phase === 'running' && p.attempt === 2);
      }, `again's second attempt (row: ${JSON.stringify(rows().get('again'))})`, { timeoutMs: 60_000 });
      // A live message with `hold` running: an open bar, which the view grows to now each second (test/webview: the growth itself).
      assert.ok(seen.some((m) => m.live && m.rows.some((r) => r.id === 'hold' && r.status === 'running' && r.endedAt === null)), JSON.stringify(seen.map((m) => [m.live, m.rows.map((r) => `${r.id}:${r.status}`)])));
      fs.writeFileSync(gate, 'go');
      const outcome = await session.outcome;
      assert.ok(outcome);
      assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
      await waitFor(() => seen.at(-1)?.live === false, 'the timeline no longer live once the run ended', { timeoutMs: 30_000 });
      const waiter = rows().get('waiter')!;
      const waitedUntil = waiter.phases.find((p) => p.phase === 'waiting' && p.for === 'lock')!.at;
      const ran = waiter.phases.find((p) => p.phase === 'running')!.at;
      assert.ok(Date.parse(ran) >= Date.parse(waitedUntil), 'waiter ran after its wait began');
    } finally {
      sub.dispose();
      panel.dispose();
    }
  });
});

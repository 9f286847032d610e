/**
 * The loopback ports this machine serves, as walls name them (`listen`: the relay takes each one
 * inside, so that the proxy names a refusal there): read from the kernel's socket tables, a
 * reading reused for walls drawn within `SERVED_PORTS_FRESH_MS` and read again behind them; a
 * reading taken off the main thread (`readServedPorts`) is the one the next walls use; a reading
 * handed with an attempt (the runner pool's, `adoptServedReading`) is taken only when well formed,
 * fresh and newer. Real
 * servers on 127.0.0.1, the real `/proc/net/tcp`.
 *
 * Run: node --import tsx --test test/engine/attempt/servedPorts.test.ts
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { wallsFor } from '../../../src/engine/attempt/wallsDraw';
import { adoptServedReading, forgetServedPorts, freshServedReading, readServedPorts, SERVED_PORTS_FRESH_MS } from '../../../src/engine/attempt/servedPorts';
import { tempDir } from '../helpers';

const top = tempDir('waves-served-');
after(() => fs.rmSync(top, { recursive: true, force: true }));

function drawn(): string[] {
  const root = fs.mkdtempSync(path.join(top, 'case-'));
  for (const d of ['home', 'tree', 'attempt']) fs.mkdirSync(path.join(root, d));
  const { walls } = wallsFor({
    bwrap: '/usr/bin/bwrap',
    worktree: path.join(root, 'tree'),
    attemptDir: path.join(root, 'attempt'),
    role: 'command',
    profileId: 'custom',
    env: { HOME: path.join(root, 'home'), PATH: process.env.PATH ?? '' },
    interactive: false,
    argv: ['/bin/sh', '-c', 'true'],
    runnerScript: path.join(root, 'runner.js'),
    startToken: 't',
    options: { cacheDir: path.join(root, 'cache') },
    home: path.join(root, 'home'),
    accountHome: path.join(root, 'home'),
  });
  return walls.listen;
}

async function serving(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('the loopback ports the walls name', () => {
  test('a server started before the walls are drawn is named; one started after a reading is named once the ports are read again', async () => {
    forgetServedPorts();
    const first = await serving();
    try {
      assert.ok(drawn().includes(`?127.0.0.1:${first.port}`), 'read now: the server listening is named');
      const second = await serving();
      try {
        // The next reading, off the main thread, is the one the next walls use.
        await readServedPorts();
        const listen = drawn();
        assert.ok(listen.includes(`?127.0.0.1:${second.port}`), `the server started since is named after the reading (${listen.join(' ')})`);
        assert.ok(listen.includes(`?[::1]:${second.port}`), 'on both loopbacks');
      } finally {
        await second.close();
      }
      await readServedPorts();
      assert.ok(drawn().includes(`?127.0.0.1:${first.port}`), 'still served: still named');
    } finally {
      await first.close();
    }
  });

  test('a reading forgotten (a warm-up) is never used: the walls drawn next read the ports served then', async () => {
    await readServedPorts();
    drawn();
    forgetServedPorts();
    const late = await serving();
    try {
      assert.ok(drawn().includes(`?127.0.0.1:${late.port}`), 'read when drawn');
    } finally {
      await late.close();
    }
  });

  test('a server gone is no longer named once the ports are read again', async () => {
    const gone = await serving();
    await readServedPorts();
    assert.ok(drawn().includes(`?127.0.0.1:${gone.port}`));
    await gone.close();
    await readServedPorts();
    assert.ok(!drawn().includes(`?127.0.0.1:${gone.port}`));
  });

  test("a reading handed with an attempt is the walls' when it is well formed, fresh and newer than the process's own; anything else is ignored", async () => {
    // A port nothing serves now: named only if the handed reading is taken.
    const closed = await serving();
    await closed.close();
    const named = (listen: string[]) => listen.includes(`?127.0.0.1:${closed.port}`);
    for (const bad of [
      null,
      'x',
      { at: Date.now(), ports: 'all' },
      { at: Date.now(), ports: [closed.port, 'x'] },
      { at: Date.now(), ports: [closed.port, 0] },
      { at: Date.now(), ports: [closed.port, 70_000] },
      { at: Date.now(), ports: [closed.port, 1.5] },
      { at: 'now', ports: [closed.port] },
      { at: Date.now() - SERVED_PORTS_FRESH_MS - 1_000, ports: [closed.port] },
      { at: Date.now() + 60_000, ports: [closed.port] },
    ]) {
      forgetServedPorts();
      adoptServedReading(bad);
      assert.equal(freshServedReading(), null, JSON.stringify(bad));
      assert.ok(!named(drawn()), `not taken: ${JSON.stringify(bad)}`);
    }
    forgetServedPorts();
    adoptServedReading({ at: Date.now(), ports: [closed.port] });
    assert.ok(named(drawn()), 'a fresh reading handed is the one the walls name');
    // One older than the process's own reading is not taken.
    await readServedPorts();
    adoptServedReading({ at: Date.now() - 2_000, ports: [closed.port] });
    assert.ok(!named(drawn()), "the process's newer reading stays");
  });
});

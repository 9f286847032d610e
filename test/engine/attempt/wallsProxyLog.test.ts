/**
 * The walls' proxy writes what it refuses (`walls.jsonl`) without filling the disk when a tool
 * retries a refused target without end (npm, with a registry the walls refuse, retried thousands
 * of times a minute): each target's first lines, then its 100th, 1,000th, … with the count — and
 * every target still named. The real proxy, on a real unix socket.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';
import { LOG_FIRST, startProxy, wallsLogIn } from '../../../src/engine/attempt/wallsNet';
import { tempDir } from '../helpers';

/** One CONNECT through the proxy's socket; its status line. */
function connect(socketPath: string, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath, () => s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
    let got = '';
    s.on('data', (d) => (got += String(d)));
    s.on('error', reject);
    s.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
  });
}

describe("the walls' proxy log", () => {
  test('a target refused 1,000 times: its first lines, then its 100th and 1,000th with the count; another target refused after it is still named', async () => {
    const dir = tempDir('waves-proxy-log-');
    const socketPath = path.join(dir, 'proxy.sock');
    const logFile = path.join(dir, 'walls.jsonl');
    const server = await startProxy(socketPath, [], logFile);
    try {
      for (let i = 0; i < 1000; i += 50) {
        const answers = await Promise.all(Array.from({ length: 50 }, () => connect(socketPath, 'registry.npmjs.org:443')));
        assert.ok(answers.every((a) => a === 'HTTP/1.1 403 Forbidden'), answers[0]);
      }
      assert.equal(await connect(socketPath, 'example.com:443'), 'HTTP/1.1 403 Forbidden');
    } finally {
      server.close();
    }
    const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { target: string; why: string });
    const npm = lines.filter((l) => l.target === 'registry.npmjs.org:443');
    assert.equal(npm.length, LOG_FIRST + 2);
    assert.deepEqual(npm.slice(LOG_FIRST).map((l) => l.why), ['not among the targets this agent may reach (the 100th time)', 'not among the targets this agent may reach (the 1,000th time)']);
    assert.deepEqual([...new Set(wallsLogIn(logFile, 'network').map((l) => l.target))], ['registry.npmjs.org:443', 'example.com:443']);
  });
});

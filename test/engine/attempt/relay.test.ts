/**
 * The walls' relay made ahead, in both its programs (ADR 0040): `relay.py` for the system's
 * Python and `relay.js` for Node. Each runs as a pooled runner starts it — inside a network
 * namespace of its own made by the real bubblewrap, told its attempt in one line on stdin — in
 * front of a real program, against a proxy on a unix socket that this test plays. Both are held
 * to the same behaviour, so the one the engine picks never changes what an agent meets.
 *
 * Run: node --import tsx --test test/engine/attempt/relay.test.ts
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PROXY_PORT } from '../../../src/core/walls/walls';
import { confinementAvailable } from '../../../src/engine/attempt/confinement';
import { processTree } from '../../../src/engine/attempt/processTree';
import { netAheadArgv, programOnPath, RELAY_ENV, relayAheadArgvOf, relayScriptOf, systemPython } from '../../../src/engine/attempt/wallsRun';
import { buildRunner, tempDir, waitFor } from '../helpers';

let runnerScript = '';
let bwrap = '';
let setpriv = '';

before(async () => {
  runnerScript = await buildRunner();
  const here = confinementAvailable();
  assert.ok(here.ok, `walls are needed here (scripts/sandbox-tools.sh installs bubblewrap): ${here.ok ? '' : here.why}`);
  bwrap = here.bwrap;
  setpriv = programOnPath('setpriv') ?? '';
  assert.ok(setpriv, 'setpriv (util-linux) is here');
});

/** The proxy as the runner serves it: what each connection first said, and its answer (CONNECT to `allowed`: 200, then an echo in capitals; to any other: 403; else an echo of the raw bytes). */
async function fakeProxy(dir: string, allowed: number) {
  const socket = path.join(dir, 'proxy.sock');
  const heads: string[] = [];
  const server = net.createServer((c) => {
    c.on('error', () => undefined);
    let buf = '';
    let connected = false;
    c.on('data', (d) => {
      if (connected) return void c.end(d.toString().toUpperCase());
      buf += d.toString('latin1');
      if (buf.startsWith('CONNECT ')) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        heads.push(buf.slice(0, buf.indexOf('\r\n')));
        const rest = buf.slice(end + 4);
        if (buf.startsWith(`CONNECT 127.0.0.1:${allowed} `)) {
          connected = true;
          c.write('HTTP/1.1 200 Connection established\r\n\r\nhello ');
          if (rest) c.end(rest.toUpperCase());
        } else c.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      } else if (buf.endsWith('\n')) {
        heads.push(`raw ${buf.trim()}`);
        c.end(`raw: ${buf}`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(socket, r));
  return { socket, heads, close: () => server.close() };
}

/** Inside the walls: what the program was given, then a connection to the proxy's port, one to each target; its exit code `code`. */
const CLIENT = `
const net = require('node:net'); const fs = require('node:fs'); const os = require('node:os');
const talk = (port, say) => new Promise((resolve) => {
  const s = net.connect(port, '127.0.0.1'); let got = '';
  s.on('connect', () => s.write(say)); s.on('data', (d) => (got += d)); s.on('error', (e) => resolve(e.code === 'ECONNRESET' && got === '' ? 'ended, nothing' : 'error ' + e.code)); s.on('close', () => resolve(got === '' ? 'ended, nothing' : got));
});
(async () => {
  const out = [];
  out.push('stdin ' + fs.readFileSync(0, 'utf8').trim());
  out.push('env ' + process.env.WAVES_RELAY_TEST + ' ' + (process.env.ELECTRON_RUN_AS_NODE ?? 'unset'));
  out.push('cwd ' + process.cwd());
  out.push('nice ' + os.getPriority());
  out.push('proxy port ' + (await talk(${PROXY_PORT}, 'ping\\n')).trim());
  for (const p of process.argv.slice(3)) out.push(p + ' ' + (await talk(Number(p), 'hi')).trim());
  fs.writeFileSync(process.argv[2], out.join('\\n') + '\\n');
  process.exit(7);
})();
`;

type Kind = 'python' | 'node';

/** `fn` with `WAVES_RELAY` set to `value` (unset: undefined), then as it was. */
function withRelayEnv<T>(value: string | undefined, fn: () => T): T {
  const saved = process.env[RELAY_ENV];
  if (value === undefined) delete process.env[RELAY_ENV];
  else process.env[RELAY_ENV] = value;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env[RELAY_ENV];
    else process.env[RELAY_ENV] = saved;
  }
}

/** The relay of `kind`, started ahead in a network of its own, waiting for its line; `prefix`: a program in front (a lower limit). */
function startRelay(kind: Kind, socket: string, prefix: readonly string[] = []): ChildProcessWithoutNullStreams {
  const argv = withRelayEnv(kind === 'node' ? 'node' : undefined, () => [...prefix, ...netAheadArgv(setpriv, bwrap, runnerScript, socket)]);
  return spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
}

function ended(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr })));
}

describe('the relay made ahead for the system Python, and for Node', () => {
  test('the system Python is found here, and picked where relay.py lies beside the runner; WAVES_RELAY=node or no relay.py: Node', () => {
    assert.equal(systemPython(), '/usr/bin/python3', 'npm test installs python3-minimal (scripts/sandbox-tools.sh)');
    const py = path.join(path.dirname(runnerScript), 'relay.py');
    withRelayEnv(undefined, () => {
      assert.deepEqual(relayAheadArgvOf(runnerScript), ['/usr/bin/python3', '-I', '-S', py]);
      assert.deepEqual(netAheadArgv('/usr/bin/setpriv', '/usr/bin/bwrap', runnerScript, '/tmp/s.sock').slice(-6), ['/usr/bin/python3', '-I', '-S', py, '--relay-ahead', '/tmp/s.sock']);
      const alone = tempDir('waves-relay-alone-');
      fs.writeFileSync(path.join(alone, 'runner.js'), '');
      assert.deepEqual(relayAheadArgvOf(path.join(alone, 'runner.js')), [process.execPath, path.join(alone, 'runner.js')], 'an SSH host has the runner alone: it relays, in Node');
    });
    withRelayEnv('node', () => assert.deepEqual(relayAheadArgvOf(runnerScript), [process.execPath, relayScriptOf(runnerScript)]));
  });

  for (const kind of ['python', 'node'] as const) {
    describe(`${kind === 'python' ? 'relay.py' : 'relay.js'}`, () => {
      let dir = '';
      let proxy: Awaited<ReturnType<typeof fakeProxy>>;
      const allowed = 41_001;
      const refused = 41_002;
      const tried = 41_003;
      before(async () => {
        dir = tempDir(`waves-relay-${kind}-`);
        fs.chmodSync(dir, 0o755);
        proxy = await fakeProxy(dir, allowed);
      });
      after(() => proxy.close());

      test('told its attempt: listens on the proxy port and each target, says which, runs the program as told (stdin, environment, folder, niceness) and exits as it did', async () => {
        proxy.heads.length = 0;
        const relay = startRelay(kind, proxy.socket);
        const done = ended(relay);
        const input = path.join(dir, 'stdin.txt');
        fs.writeFileSync(input, 'from its stdin file\n');
        const script = path.join(dir, 'client.js');
        fs.writeFileSync(script, CLIENT);
        const report = path.join(dir, `report-${kind}.txt`);
        const go = {
          loops: `127.0.0.1:${allowed},127.0.0.1:${refused},?127.0.0.1:${tried},?[::1]:${tried},not-a-target,10.0.0.1:80,127.0.0.1:${PROXY_PORT}`,
          argv: [process.execPath, script, report, String(allowed), String(refused), String(tried), '41004'],
          env: { PATH: process.env.PATH ?? '', WAVES_RELAY_TEST: `told-${kind}`, ELECTRON_RUN_AS_NODE: '1' },
          cwd: dir,
          stdinFile: input,
          nice: 7,
        };
        relay.stdin.write(`${JSON.stringify(go)}\n`);
        const { code, stderr } = await done;
        assert.equal(code, 7, stderr);
        assert.equal(stderr, `waves: inside the walls, 127.0.0.1:${allowed}, 127.0.0.1:${refused} go to the walls' proxy\n`);
        assert.deepEqual(fs.readFileSync(report, 'utf8').trim().split('\n'), [
          'stdin from its stdin file',
          `env told-${kind} unset`,
          `cwd ${dir}`,
          'nice 7',
          'proxy port raw: ping',
          `${allowed} hello HI`,
          // (Closed, or reset when its 'hi' was not read yet: either way it reached nothing.)
          `${refused} ended, nothing`,
          `${tried} ended, nothing`,
          '41004 error ECONNREFUSED',
        ]);
        assert.deepEqual(proxy.heads, ['raw ping', `CONNECT 127.0.0.1:${allowed} HTTP/1.1`, `CONNECT 127.0.0.1:${refused} HTTP/1.1`, `CONNECT 127.0.0.1:${tried} HTTP/1.1`]);
      });

      test('a signal to the relay is passed to its program; a program ended by a signal is the relay\'s exit 128 + its number; one that cannot start, 127', async () => {
        const script = path.join(dir, 'waits.js');
        fs.writeFileSync(script, "process.on('SIGTERM', () => process.exit(5)); require('node:fs').writeFileSync(process.argv[2], 'up'); setInterval(() => {}, 1000);");
        const up = path.join(dir, `up-${kind}`);
        const relay = startRelay(kind, proxy.socket);
        const done = ended(relay);
        relay.stdin.write(`${JSON.stringify({ loops: '', argv: [process.execPath, script, up], env: { PATH: process.env.PATH ?? '' }, cwd: dir, stdinFile: null, nice: 0 })}\n`);
        await waitFor(() => fs.existsSync(up), 'its program at work', 20_000);
        const argvOf = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        const inside = processTree([relay.pid!]).find((p) => argvOf(p.pid)[0] !== bwrap && argvOf(p.pid).includes('--relay-ahead'));
        assert.ok(inside, 'the relay, under its bubblewrap');
        process.kill(inside.pid, 'SIGTERM');
        assert.equal((await done).code, 5, 'the program got SIGTERM and exited 5; the relay as it did');

        const killed = startRelay(kind, proxy.socket);
        const killedDone = ended(killed);
        killed.stdin.write(`${JSON.stringify({ loops: '', argv: [process.execPath, '-e', "process.kill(process.pid, 'SIGTERM')"], env: {}, cwd: dir, stdinFile: null, nice: 0, quiet: true })}\n`);
        assert.equal((await killedDone).code, 128 + 15);

        const missing = startRelay(kind, proxy.socket);
        const missingDone = ended(missing);
        missing.stdin.write(`${JSON.stringify({ loops: '', argv: [path.join(dir, 'no-such-program')], env: {}, cwd: dir, stdinFile: null, nice: 0 })}\n`);
        const m = await missingDone;
        assert.equal(m.code, 127);
        assert.match(m.stderr, /^waves runner: the agent could not start \(.*no-such-program\): /);
      });

      test('out of descriptors for a moment (more connections held than its limit allows): it goes on listening, and serves the next once they are gone', async () => {
        const script = path.join(dir, 'flood.js');
        fs.writeFileSync(
          script,
          `const net = require('node:net'); const fs = require('node:fs');
const held = Array.from({ length: 60 }, () => net.connect(${PROXY_PORT}, '127.0.0.1').on('error', () => undefined));
setTimeout(() => {
  for (const s of held) s.destroy();
  setTimeout(() => {
    const s = net.connect(${PROXY_PORT}, '127.0.0.1'); let got = '';
    s.on('connect', () => s.write('after\\n')); s.on('data', (d) => (got += d)); s.on('error', (e) => (got += 'error ' + e.code));
    s.on('close', () => { fs.writeFileSync(process.argv[2], got); process.exit(0); });
  }, 500);
}, 1500);`,
        );
        const report = path.join(dir, `flood-${kind}.txt`);
        const relay = startRelay(kind, proxy.socket, ['prlimit', '--nofile=48:48', '--']);
        const done = ended(relay);
        relay.stdin.write(`${JSON.stringify({ loops: '', argv: [process.execPath, script, report], env: { PATH: process.env.PATH ?? '' }, cwd: dir, stdinFile: null, nice: 0 })}\n`);
        const { code, stderr } = await done;
        assert.equal(code, 0, stderr);
        assert.equal(fs.readFileSync(report, 'utf8'), 'raw: after\n');
      });

      test('stdin closed before any attempt came: it ends, having started nothing; a line that is no attempt: exit 2, said', async () => {
        const closed = startRelay(kind, proxy.socket);
        const closedDone = ended(closed);
        closed.stdin.end();
        assert.deepEqual(await closedDone, { code: 0, stderr: '' });
        for (const [line, why] of [
          ['nope', /not JSON/],
          [JSON.stringify({ loops: '', argv: [], env: {}, cwd: dir, stdinFile: null, nice: 0 }), /not an attempt/],
          [JSON.stringify({ loops: '', argv: ['x'], env: {}, cwd: dir, nice: 0 }), /not an attempt/],
        ] as const) {
          const bad = startRelay(kind, proxy.socket);
          const badDone = ended(bad);
          bad.stdin.end(`${line}\n`);
          const r = await badDone;
          assert.equal(r.code, 2, line);
          assert.match(r.stderr, /^waves runner: the walls' network made ahead was told no attempt: /);
          assert.match(r.stderr, why);
        }
      });
    });
  }

  test('relay.py refuses what is not a relay made ahead', () => {
    const r = spawnSync('/usr/bin/python3', ['-I', '-S', path.join(path.dirname(runnerScript), 'relay.py'), '--relay', '/tmp/s.sock', '', '--', 'true'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /usage: relay\.py --relay-ahead <socket>/);
  });
});

/**
 * The walls on macOS, for real (ADR 0033): Seatbelt through /usr/bin/sandbox-exec, with the
 * profile the walls make (src/core/walls/seatbelt.ts) and the runner's own code
 * (src/engine/attempt/wallsSeatbelt.ts, runnerAttempt.ts, wallsRun.ts). An agent stand-in (the
 * scripted test agent) writes in its tree, and tries the ways out: a folder outside it, the home
 * folder's start-up file, a key, a hard link to the key, the machine's /tmp, a host not allowed
 * through the proxy, a loopback port straight, a signal to the test. Each is refused.
 *
 * This file runs on a macOS runner only (.github/workflows/walls-platforms.yml): it is in no suite
 * of `npm test`, and elsewhere its first test fails (it is not skipped). Nothing of it was run on
 * the Linux machines this project is built on; docs/testing.md says what runs where.
 *
 * Run (on macOS): npx tsx --test test/platforms/darwin.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { SANDBOX_EXEC } from '../../src/core/walls/seatbelt';
import { confinementAvailable, wallsNotKept } from '../../src/engine/attempt/confinement';
import { raiseSeatbelt } from '../../src/engine/attempt/wallsSeatbelt';
import { encodeConfine, enterWalls } from '../../src/engine/attempt/wallsRun';
import type { WallsRequest } from '../../src/engine/attempt/wallsDraw';
import { attemptWith, buildRunner, SCRIPTED_AGENT, spawnProcess, tempDir } from '../engine/helpers';

let runnerScript = '';
before(async () => {
  runnerScript = await buildRunner();
});

/** A home with a key and a start-up file, a tree, a folder outside it: the places an agent stand-in tries. */
function place() {
  const root = tempDir('waves-darwin-');
  const home = path.join(root, 'home');
  const tree = path.join(root, 'tree');
  const outside = path.join(root, 'outside');
  const attemptDir = path.join(root, 'attempt');
  for (const d of [path.join(home, '.ssh'), tree, outside, attemptDir]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(home, '.ssh', 'id_ed25519'), 'SECRET-KEY\n');
  fs.writeFileSync(path.join(home, '.zshrc'), '# mine\n');
  return { root, home, tree, outside, attemptDir };
}

/** What the scripted agent printed for each thing it tried: `tried <what> <target>: <outcome>`. */
function outcomes(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const t = /^tried (\S+ .+?): (.*)$/.exec(line);
    if (t) m.set(t[1]!, t[2]!);
  }
  return m;
}

describe('the walls on macOS (Seatbelt), for real', () => {
  test('this is macOS, and Seatbelt can make the walls here', () => {
    assert.equal(process.platform, 'darwin', 'test/platforms/darwin.test.ts runs on a macOS runner');
    const here = confinementAvailable(true);
    assert.ok(here.ok, here.ok ? '' : here.why);
    assert.equal(here.ok && here.backend, 'seatbelt');
    assert.equal(here.ok && here.bwrap, SANDBOX_EXEC);
    assert.match(wallsNotKept(undefined).join('\n'), /keep no memory limit/, 'what is not kept is said');
    assert.deepEqual(wallsNotKept({ unconfined: true }), []);
  });

  test('an agent stand-in inside: it writes its tree; outside, the home folder, a key, a hard link to it, /tmp, a host not allowed, a loopback port, a signal: refused', async () => {
    const p = place();
    const other = net.createServer((s) => s.end());
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const port = (other.address() as net.AddressInfo).port;
    const key = path.join(p.home, '.ssh', 'id_ed25519');
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: p.home };
    const req: WallsRequest = {
      bwrap: SANDBOX_EXEC,
      worktree: p.tree,
      attemptDir: p.attemptDir,
      profileId: 'custom',
      env,
      interactive: false,
      argv: [process.execPath, SCRIPTED_AGENT],
      runnerScript,
      startToken: 'darwin-trial',
      home: p.home,
      accountHome: p.home,
      options: { cacheDir: path.join(p.root, 'cache') },
    };
    const up = await raiseSeatbelt(req, env);
    try {
      enterWalls(env, up.walls, up);
      env.WAVES_TEST_AGENT = [
        `try-write ${path.join(p.tree, 'mine.txt')} ok`,
        `try-write ${path.join(p.outside, 'planted.txt')} planted`,
        `try-write ${path.join(p.home, '.zshrc')} planted`,
        `try-read ${key}`,
        `try-write /private/tmp/waves-planted-${process.pid} planted`,
        `try-proxy example.com:443`,
        `try-connect 127.0.0.1:${port}`,
        `try-signal ${process.pid}`,
        'no-result',
      ].join('\n');
      const inside = (argv: string[]) => {
        const full = up.argv(argv);
        return spawnSync(full[0]!, full.slice(1), { cwd: p.tree, env, encoding: 'utf8', timeout: 60_000 });
      };
      const run = inside([process.execPath, SCRIPTED_AGENT]);
      const seen = outcomes(run.stdout);
      assert.equal(seen.get(`write ${path.join(p.tree, 'mine.txt')}`), 'written', run.stdout + run.stderr);
      for (const t of [`write ${path.join(p.outside, 'planted.txt')}`, `write ${path.join(p.home, '.zshrc')}`, `read ${key}`, `write /private/tmp/waves-planted-${process.pid}`, `connect 127.0.0.1:${port}`, `signal ${process.pid}`]) {
        assert.match(seen.get(t) ?? 'not tried', /^refused/, `${t}: ${seen.get(t)}`);
      }
      assert.match(seen.get('proxy example.com:443') ?? '', /403/, 'the proxy refused it');
      assert.match(fs.readFileSync(path.join(p.attemptDir, 'walls.jsonl'), 'utf8'), /"target":"example.com:443"/, 'and named it');
      assert.equal(fs.existsSync(path.join(p.outside, 'planted.txt')), false);
      assert.equal(fs.readFileSync(path.join(p.home, '.zshrc'), 'utf8'), '# mine\n');
      // A hard link made to the key from inside its tree would be a way to read it there.
      const link = inside(['/bin/ln', key, path.join(p.tree, 'key')]);
      assert.notEqual(link.status, 0, 'the hard link is refused');
      assert.equal(fs.existsSync(path.join(p.tree, 'key')), false);
    } finally {
      up.close();
      other.close();
    }
  });

  test('an attempt through the runner: the agent inside Seatbelt, a write outside refused, a host refused and kept in exit.json, what the walls keep not said first in its log', async () => {
    const p = place();
    const script = [`write mine.txt ok`, `try-write ${path.join(p.outside, 'planted.txt')} planted`, 'try-proxy example.com:443'].join('\n');
    const { dir, files } = attemptWith('darwin-runner', script, {
      cwd: p.tree,
      walls: { bwrap: SANDBOX_EXEC, options: { cacheDir: path.join(p.root, 'cache') } },
      env: { WAVES_TEST_AGENT: script, HOME: p.home },
    });
    const r = spawnProcess([process.execPath, runnerScript, dir, 'darwin-runner'], { env: { ...process.env, HOME: p.home } });
    const ended = await r.exited;
    assert.equal(ended.code, 0, r.stderr());
    const log = fs.readFileSync(files.log, 'utf8');
    assert.match(log.split('\n')[0] ?? '', /^waves: On macOS the agents' walls keep no memory limit/);
    assert.match(log, new RegExp(`tried write ${path.join(p.outside, 'planted.txt')}: refused`));
    assert.equal(fs.readFileSync(path.join(p.tree, 'mine.txt'), 'utf8'), 'ok');
    const exit = JSON.parse(fs.readFileSync(files.exit, 'utf8')) as { walls?: { refused: { target: string }[] } };
    assert.ok(exit.walls?.refused.some((x) => x.target === 'example.com:443'), JSON.stringify(exit.walls));
  });

  test('a verification step through `runner.js --confine`: its tree written, outside refused, the exit code its own', () => {
    const p = place();
    const request = encodeConfine({ bwrap: SANDBOX_EXEC, cwd: p.tree, attemptDir: p.attemptDir, log: path.join(p.attemptDir, 'verify-1-walls.jsonl'), options: { cacheDir: path.join(p.root, 'cache') } });
    const inside = spawnSync(process.execPath, [runnerScript, '--confine', request, '--', '/bin/sh', '-c', 'echo built > out.txt'], { cwd: p.tree, env: { ...process.env, HOME: p.home }, encoding: 'utf8' });
    assert.equal(inside.status, 0, inside.stderr);
    assert.equal(fs.readFileSync(path.join(p.tree, 'out.txt'), 'utf8'), 'built\n');
    const out = spawnSync(process.execPath, [runnerScript, '--confine', request, '--', '/bin/sh', '-c', `echo planted > '${path.join(p.outside, 'x')}'`], { cwd: p.tree, env: { ...process.env, HOME: p.home }, encoding: 'utf8' });
    assert.notEqual(out.status, 0);
    assert.equal(fs.existsSync(path.join(p.outside, 'x')), false);
  });
});

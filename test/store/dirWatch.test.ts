import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DirWatch } from '../../src/store/dirWatch';

/** Resolves once `check` holds, polling; rejects after 5 s. */
async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('DirWatch', () => {
  it('watches folders once they exist, reports changes in them, and follows a folder deleted and made again', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-dirwatch-'));
    const waves = path.join(root, '.waves');
    const runs = path.join(waves, 'runs');
    let events = 0;
    const seen: string[] = [];
    const watch = new DirWatch([waves, runs], (dir, name) => {
      events++;
      seen.push(path.join(dir, name ?? '?'));
    });
    try {
      assert.deepEqual(watch.watching, [], 'nothing exists yet');
      fs.mkdirSync(runs, { recursive: true });
      watch.arm();
      assert.deepEqual(watch.watching.sort(), [waves, runs].sort());

      fs.writeFileSync(path.join(runs, 'demo.json'), '{}');
      await until(() => seen.includes(path.join(runs, 'demo.json')), 'an event naming the folder and the file written in runs/');

      fs.rmSync(waves, { recursive: true });
      watch.arm();
      assert.deepEqual(watch.watching, [], 'deleted folders are not watched');
      fs.mkdirSync(runs, { recursive: true });
      watch.arm();
      assert.equal(watch.watching.length, 2, 'watched again once made again');
      const before = events;
      fs.writeFileSync(path.join(runs, 'demo.json'), '{"again": true}');
      await until(() => events > before, 'an event from the new folder');
    } finally {
      watch.dispose();
    }
    assert.deepEqual(watch.watching, []);
  });
});

describe('DirWatch poll (the backstop for events every watcher missed)', () => {
  it('reports a folder made, a file written into it and the folder deleted and made again, with fs.watch off', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-dirwatch-poll-'));
    const waves = path.join(root, '.waves');
    const locks = path.join(waves, 'locks.json');
    let events = 0;
    const watch = new DirWatch([root, waves], () => events++, { watch: false, pollMs: 20, probe: () => [waves, locks] });
    /** Waits for a report, then arms as the reader does before it reads, and checks the poll is quiet again. */
    const reported = async (what: string) => {
      const before = events;
      await until(() => events > before, what);
      watch.arm();
      const after = events;
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(events, after, `after arm() nothing more is reported until the next change (${what})`);
    };
    try {
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(events, 0, 'nothing changed, nothing reported');
      fs.mkdirSync(waves);
      await reported('.waves made');
      fs.writeFileSync(locks, '{"version": 1, "locks": []}');
      await reported('locks.json written');
      fs.writeFileSync(locks, '{"version": 1, "locks": [1]}');
      await reported('locks.json rewritten in place, another size');
      fs.rmSync(waves, { recursive: true });
      await reported('.waves deleted');
      fs.mkdirSync(waves);
      fs.writeFileSync(locks, '{"version": 1, "locks": []}');
      await reported('.waves made again with the same file');
    } finally {
      watch.dispose();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('a change made after arm() and before the read is reported, whatever the order of folder and files', async () => {
    // The reader's order: arm(), read. Whatever is written after arm() must be reported, by
    // fs.watch or by the poll, so the read after it sees it.
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-dirwatch-order-'));
    const waves = path.join(root, '.waves');
    const runs = path.join(waves, 'runs');
    const seen: (string | null)[] = [];
    const watch = new DirWatch([root, waves, runs], (_dir, name) => seen.push(name), { pollMs: 50, probe: () => [waves, runs, path.join(waves, 'locks.json')] });
    try {
      fs.mkdirSync(runs, { recursive: true });
      await until(() => seen.includes('.waves'), 'the folder itself reports .waves appearing');
      watch.arm(); // the read that follows sees .waves/runs, empty
      seen.length = 0;
      fs.writeFileSync(path.join(waves, 'locks.json'), '{}');
      fs.writeFileSync(path.join(runs, 'demo.json'), '{}');
      await until(() => seen.includes('locks.json') && seen.includes('demo.json'), 'both files reported by name');
    } finally {
      watch.dispose();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('stops polling when disposed', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-dirwatch-dispose-'));
    let events = 0;
    const watch = new DirWatch([path.join(root, 'x')], () => events++, { watch: false, pollMs: 10 });
    watch.dispose();
    fs.mkdirSync(path.join(root, 'x'));
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(events, 0);
    fs.rmSync(root, { recursive: true, force: true });
  });
});

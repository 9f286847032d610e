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

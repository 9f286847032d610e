import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startLagProbe } from '../../src/util/lagProbe';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const read = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as { maxMs: number; p99Ms: number; count: number };

describe('lagProbe (the run-status bench reads the extension host through it)', () => {
  it('reports a blocked event loop as its longest delay; a reset starts over', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-lag-')), 'lag.json');
    const probe = startLagProbe(file);
    try {
      await sleep(150);
      const busyUntil = Date.now() + 150;
      while (Date.now() < busyUntil) {
        // a 150 ms task
      }
      await sleep(250);
      assert.ok(read(file).maxMs >= 100, `max ${read(file).maxMs} ms after a 150 ms task`);
      fs.writeFileSync(`${file}.reset`, '');
      await sleep(350);
      assert.equal(fs.existsSync(`${file}.reset`), false, 'the reset was taken');
      assert.ok(read(file).maxMs < 100, `max ${read(file).maxMs} ms after the reset, with no long task`);
    } finally {
      probe.dispose();
    }
  });
});

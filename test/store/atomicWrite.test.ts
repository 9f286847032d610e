import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { writeAtomic, writeAtomicSync } from '../../src/store/atomicWrite';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'waves-atomic-'));

describe('atomicWrite', () => {
  for (const [name, write] of [
    ['writeAtomic', (f: string, b: string | Buffer) => writeAtomic(f, b)],
    ['writeAtomicSync', async (f: string, b: string | Buffer) => writeAtomicSync(f, b)],
  ] as const) {
    it(`${name}: creates, then replaces the whole file; no temp file stays`, async () => {
      const dir = tempDir();
      const file = path.join(dir, 'state.json');
      await write(file, 'a much longer first version\n');
      await write(file, Buffer.from('short\n'));
      assert.equal(fs.readFileSync(file, 'utf8'), 'short\n');
      assert.deepEqual(fs.readdirSync(dir), ['state.json']);
    });

    it(`${name}: a write that cannot happen throws and leaves the old file and no temp file`, async () => {
      const dir = tempDir();
      const file = path.join(dir, 'state.json');
      fs.writeFileSync(file, 'kept\n');
      // The target is a folder now: the rename over it fails after the temp file was written.
      const blocked = path.join(dir, 'blocked');
      fs.mkdirSync(path.join(blocked, 'inside'), { recursive: true });
      await assert.rejects(async () => write(blocked, 'x'));
      assert.equal(fs.readFileSync(file, 'utf8'), 'kept\n');
      assert.deepEqual(fs.readdirSync(dir).sort(), ['blocked', 'state.json']);
    });
  }

  it('many concurrent writers: every reader sees one whole version, never a mix', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'state.json');
    const versions = Array.from({ length: 20 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(10_000 + i) }));
    await writeAtomic(file, versions[0]!);
    let reads = 0;
    const writing = Promise.all(versions.map((v) => writeAtomic(file, v)));
    let done = false;
    void writing.then(() => (done = true));
    while (!done) {
      const text = fs.readFileSync(file, 'utf8');
      assert.ok(versions.includes(text), 'a whole version');
      reads++;
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(reads > 0);
    assert.deepEqual(fs.readdirSync(dir), ['state.json']);
  });
});

// The lock table's file (`src/store/lockTableStore.ts`): atomic writes, the O_EXCL `.lock`
// across processes, stale take-over, bad and newer files. The table's decisions are tested
// in test/core/run/lockTable.test.ts.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { acquireLocks, emptyLockTable, type LockRequest, type LockTable } from '../../src/core/run/lockTable';
import { LockTableBusyError, LockTableStore, LockTableVersionError } from '../../src/store/lockTableStore';

const T0 = new Date('2025-03-01T10:00:00.000Z');

function acquired(t: LockTable, r: LockRequest, now = T0): LockTable {
  const result = acquireLocks(t, r, now);
  if (!result.ok) assert.fail(`expected ok: ${result.problem ?? JSON.stringify(result.conflicts)}`);
  return result.table;
}

describe('LockTableStore', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'waves-locks-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  const add =
    (key: string, holder = key) =>
    (t: LockTable) =>
      acquired(t, { featureId: 'f', runId: 'r', holder, files: [key], keys: [] });

  it('reads a missing table as empty, writes atomically and removes its .lock', async () => {
    const store = new LockTableStore(root);
    assert.deepEqual(store.read(), emptyLockTable());
    const written = await store.update(add('src/**'));
    assert.deepEqual(store.read(), written);
    assert.equal(written.locks[0]!.key, 'src/**');
    assert.ok((await fs.readFile(store.file, 'utf8')).endsWith('}\n'));
    assert.deepEqual(await fs.readdir(path.dirname(store.file)), ['locks.json']);
    // An update that changes nothing writes nothing.
    const before = await fs.stat(store.file);
    assert.deepEqual(await store.update((t) => t), written);
    assert.equal((await fs.stat(store.file)).mtimeMs, before.mtimeMs);
  });

  it('never loses an entry when processes update at once', async () => {
    const workers = 4;
    const each = 15;
    const worker = path.join(__dirname, '..', 'fixtures', 'workers', 'lockTableWorker.ts');
    const exits = Array.from({ length: workers }, (_, w) => {
      const child = spawn(process.execPath, ['--import', 'tsx', worker, root, `w${w}`, String(each)], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      return new Promise<void>((resolve, reject) =>
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${w} exited ${code}: ${stderr}`)))),
      );
    });
    // This process takes part too.
    const store = new LockTableStore(root);
    for (let i = 0; i < each; i++) await store.update(add(`main/${i}/**`, `m${i}`));
    await Promise.all(exits);
    const keys = store.read().locks.map((l) => l.key);
    assert.equal(keys.length, (workers + 1) * each);
    assert.equal(new Set(keys).size, keys.length);
    assert.deepEqual(await fs.readdir(path.dirname(store.file)), ['locks.json']);
  });

  it('takes over a stale .lock, and waits for a fresh one', async () => {
    const store = new LockTableStore(root, { staleMs: 30_000 });
    await fs.mkdir(path.dirname(store.lockFile), { recursive: true });
    await fs.writeFile(store.lockFile, 'crashed 1234');
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(store.lockFile, old, old);
    await store.update(add('a'));
    assert.deepEqual(
      store.read().locks.map((l) => l.key),
      ['a'],
    );
    await assert.rejects(fs.access(store.lockFile));

    await fs.writeFile(store.lockFile, 'someone else');
    const pending = store.update(add('b'));
    let settled = false;
    void pending.then(() => (settled = true));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'waits while the lock is held');
    await fs.rm(store.lockFile);
    await pending;
    assert.deepEqual(
      store.read().locks.map((l) => l.key),
      ['a', 'b'],
    );
  });

  it('gives up after timeoutMs without touching a lock that is not stale', async () => {
    const store = new LockTableStore(root, { timeoutMs: 50 });
    await fs.mkdir(path.dirname(store.lockFile), { recursive: true });
    await fs.writeFile(store.lockFile, 'busy');
    await assert.rejects(store.update(add('a')), LockTableBusyError);
    assert.equal(await fs.readFile(store.lockFile, 'utf8'), 'busy');
    await assert.rejects(fs.access(store.file));
  });

  it('keeps a bad table aside before replacing it, and leaves a newer one alone', async () => {
    const problems: string[] = [];
    const store = new LockTableStore(root, { onProblem: (p) => problems.push(p) });
    await fs.mkdir(path.dirname(store.file), { recursive: true });
    await fs.writeFile(store.file, '{"torn": ');
    assert.deepEqual(store.read(), emptyLockTable());
    await store.update(add('a'));
    const copies = (await fs.readdir(path.dirname(store.file))).filter((n) => n.startsWith('locks.json.corrupt-'));
    assert.equal(copies.length, 1);
    assert.equal(await fs.readFile(path.join(path.dirname(store.file), copies[0]!), 'utf8'), '{"torn": ');
    assert.match(problems.at(-1)!, /^The lock table \.waves\/locks\.json not valid JSON .*A copy of it was kept at locks\.json\.corrupt-/);

    const newer = '{"version": 2, "locks": []}';
    await fs.writeFile(store.file, newer);
    await assert.rejects(store.update(add('b')), LockTableVersionError);
    assert.equal(await fs.readFile(store.file, 'utf8'), newer);
    await assert.rejects(fs.access(store.lockFile));
  });
});

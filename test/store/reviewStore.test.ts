import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { reviewFile } from '../../src/core/run/runPaths';
import type { ReviewThread } from '../../src/core/review/review';
import { ReviewStore, ReviewStoreError } from '../../src/store/reviewStore';

const FEATURE = 'add-login';
const T0 = new Date('2026-11-26T10:00:00.000Z');
let root: string;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'waves-review-store-'));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const thread = (id: string, over: Partial<ReviewThread> = {}): ReviewThread => ({
  id,
  packageId: 'wp-a',
  file: 'src/a.ts',
  startLine: 1,
  endLine: 1,
  anchorCommit: 'abc',
  excerpt: 'x',
  comments: [{ id: `${id}-1`, body: 'Fix', author: 'me', at: T0.toISOString() }],
  status: 'open',
  ...over,
});

describe('ReviewStore', () => {
  it('lives in the feature\'s runs folder and reads nothing as no threads', async () => {
    const store = new ReviewStore(root, FEATURE);
    assert.equal(store.file, path.join(root, '.waves', 'runs', FEATURE, 'review.json'));
    assert.deepEqual(await store.read(), { file: { version: 1, featureId: FEATURE, threads: [], unreadable: [] }, problems: [], readOnly: null });
  });

  it('writes, reads back, and keeps what another writer added (updates one at a time)', async () => {
    const a = new ReviewStore(root, FEATURE);
    const b = new ReviewStore(root, FEATURE);
    await Promise.all([a.update((ts) => [...ts, thread('t1')]), b.update((ts) => [...ts, thread('t2')]), a.update((ts) => ts.map((t) => (t.id === 't1' ? { ...t, status: 'resolved' as const } : t)))]);
    const read = await new ReviewStore(root, FEATURE).read();
    assert.deepEqual(read.file.threads.map((t) => [t.id, t.status]), [['t1', 'resolved'], ['t2', 'open']]);
    const names = await fs.readdir(path.dirname(reviewFile(root, FEATURE)));
    assert.deepEqual(names, ['review.json']); // no temp file left
  });

  it('never loses a thread when processes update at once (the editor, `waves review`, another window)', async () => {
    const workers = 3;
    const each = 15;
    const worker = path.join(__dirname, '..', 'fixtures', 'workers', 'reviewStoreWorker.ts');
    const exits = Array.from({ length: workers }, (_, w) => {
      const child = spawn(process.execPath, ['--import', 'tsx', worker, root, FEATURE, `w${w}`, String(each)], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      return new Promise<void>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${w} exited ${code}: ${stderr}`)))));
    });
    // This process takes part too.
    const store = new ReviewStore(root, FEATURE);
    for (let i = 0; i < each; i++) await store.update((ts) => [...ts, thread(`main-${i}`)]);
    await Promise.all(exits);
    const ids = (await store.read()).file.threads.map((t) => t.id);
    assert.equal(ids.length, (workers + 1) * each, 'every update kept');
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual(await fs.readdir(path.dirname(store.file)), ['review.json'], 'no .lock or temp file left');
  });

  it('waits for another process\'s update, and takes over a .lock its holder left behind', async () => {
    const store = new ReviewStore(root, FEATURE);
    const lock = `${store.file}.lock`;
    await fs.mkdir(path.dirname(store.file), { recursive: true });
    // A crashed writer's .lock (not touched for a minute): taken over, the update goes through.
    await fs.writeFile(lock, 'crashed 1234');
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(lock, old, old);
    await store.update((ts) => [...ts, thread('t1')]);
    assert.deepEqual((await store.read()).file.threads.map((t) => t.id), ['t1']);
    // A live writer's .lock: the update waits for it, then keeps both.
    await fs.writeFile(lock, 'another 99');
    const waiting = store.update((ts) => [...ts, thread('t2')]);
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual((await store.read()).file.threads.map((t) => t.id), ['t1'], 'nothing written while the other holds it');
    await fs.rm(lock);
    await waiting;
    assert.deepEqual((await store.read()).file.threads.map((t) => t.id), ['t1', 't2']);
    assert.deepEqual(await fs.readdir(path.dirname(store.file)), ['review.json']);
  });

  it('copies a bad file aside once, reports it, then writes a good one', async () => {
    const file = reviewFile(root, FEATURE);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, '{ not json');
    const store = new ReviewStore(root, FEATURE, () => T0);
    const first = await store.read();
    assert.equal(first.readOnly, null);
    assert.match(first.problems[0], /review\.json cannot be used \(not JSON .*\): a copy was kept at \.waves\/runs\/add-login\/review\.json\.corrupt-20261126T100000000Z/);
    await store.read();
    assert.equal((await fs.readdir(path.dirname(file))).filter((n) => n.includes('.corrupt-')).length, 1);
    const written = await store.update((ts) => [...ts, thread('t1')]);
    assert.equal(written.problems.length, 1);
    assert.equal(await fs.readFile(`${file}.corrupt-20261126T100000000Z`, 'utf8'), '{ not json');
    assert.deepEqual((await store.read()).file.threads.map((t) => t.id), ['t1']);
  });

  it('keeps a bad thread in the file and says so', async () => {
    const file = reviewFile(root, FEATURE);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, JSON.stringify({ version: 1, featureId: FEATURE, threads: [thread('t1'), { id: 'bad' }] }));
    const store = new ReviewStore(root, FEATURE);
    const read = await store.read();
    assert.deepEqual(read.file.threads.map((t) => t.id), ['t1']);
    assert.match(read.problems[0], /thread 2: "packageId" is neither a package id nor null; kept aside/);
    await store.update((ts) => ts);
    assert.deepEqual(JSON.parse(await fs.readFile(file, 'utf8')).unreadable, [{ id: 'bad' }]);
  });

  it('never writes over a newer version', async () => {
    const file = reviewFile(root, FEATURE);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const newer = JSON.stringify({ version: 2, featureId: FEATURE, threads: [] });
    await fs.writeFile(file, newer);
    const store = new ReviewStore(root, FEATURE);
    assert.match((await store.read()).problems[0], /newer Wave Orchestrator \(version 2\)/);
    await assert.rejects(store.update((ts) => [...ts, thread('t1')]), ReviewStoreError);
    assert.equal(await fs.readFile(file, 'utf8'), newer);
  });

  it('refuses a .waves that is a link', async () => {
    const elsewhere = await fs.mkdtemp(path.join(os.tmpdir(), 'waves-elsewhere-'));
    try {
      await fs.symlink(elsewhere, path.join(root, '.waves'));
      const store = new ReviewStore(root, FEATURE);
      assert.ok((await store.read()).readOnly);
      await assert.rejects(store.update((ts) => [...ts, thread('t1')]));
      assert.deepEqual(await fs.readdir(elsewhere), []);
    } finally {
      await fs.rm(elsewhere, { recursive: true, force: true });
    }
  });
});

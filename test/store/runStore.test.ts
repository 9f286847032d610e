import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Emitter, type Disposable } from '../../src/core/util/events';
import { applyEvent } from '../../src/core/run/runStateReducer';
import { createRunState } from '../../src/core/run/runStateInit';
import type { RunEvent, RunState } from '../../src/core/run/runState';
import { LockTableStore } from '../../src/store/lockTableStore';
import { historyFile } from '../../src/core/run/runPaths';
import {
  ReadOnlyRunStateError,
  RunStore,
  runStateFile,
  runStateFileName,
  type RunStoreChange,
  type RunStoreOptions,
  type RunStoreProblem,
} from '../../src/store/runStore';

const FEATURE = 'add-login';
const T0 = new Date('2025-03-01T10:00:00.000Z');

let root: string;
let file: string;
const stores: RunStore[] = [];

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'waves-store-'));
  file = runStateFile(root, FEATURE);
});

afterEach(async () => {
  for (const store of stores.splice(0)) {
    await store.flush().catch(() => undefined);
    store.dispose();
  }
  await fs.rm(root, { recursive: true, force: true });
});

function initial(runId = 'run-1'): RunState {
  return createRunState({ featureId: FEATURE, planFile: 'work-packages.yaml', runId, packageIds: ['a', 'b'], now: T0 });
}

/** A store that records what it reports. */
function open(options: Partial<RunStoreOptions> = {}) {
  const store = new RunStore({
    workspaceRoot: root,
    featureId: FEATURE,
    createInitial: () => initial(),
    coalesceMs: 0,
    now: () => T0,
    ...options,
  });
  stores.push(store);
  const changes: RunStoreChange[] = [];
  const problems: RunStoreProblem[] = [];
  store.onDidChange((c) => changes.push(c));
  store.onDidReportProblem((p) => problems.push(p));
  return { store, changes, problems };
}

function step(state: RunState, event: RunEvent, ms = 1000): RunState {
  const r = applyEvent(state, event, new Date(T0.getTime() + ms));
  if (!r.ok) assert.fail(r.error.message);
  return r.state;
}

/** `initial()` after `n` status changes of package `a` (distinct, valid states). */
function later(n: number): RunState {
  const events: RunEvent[] = [
    { type: 'ready', packageId: 'a' },
    { type: 'queued', packageId: 'a' },
    { type: 'started', packageId: 'a', attempt: 1, startToken: 'tok', worktree: '/wt/a', logFile: '/logs/a.log' },
    { type: 'exited', packageId: 'a', exitCode: 0 },
    { type: 'succeeded', packageId: 'a' },
  ];
  return events.slice(0, n).reduce((s, e, i) => step(s, e, (i + 1) * 1000), initial());
}

const readJson = async (target: string) => JSON.parse(await fs.readFile(target, 'utf8')) as RunState;
const listRuns = async () => (await fs.readdir(path.dirname(file))).sort();

/** Writes a known good state on disk (with its .bak) through a throwaway store. */
async function seed(state: RunState, previous?: RunState): Promise<void> {
  const { store } = open();
  await store.load();
  if (previous) {
    store.save(previous);
    await store.flush();
  }
  store.save(state);
  await store.flush();
  store.dispose();
}

describe('file names', () => {
  it('uses safe feature ids as they are', () => {
    assert.equal(runStateFileName('add-login'), 'add-login.json');
    assert.equal(runStateFileName('fix_2'), 'fix_2.json');
    assert.equal(runStateFile('/ws', 'add-login'), path.join('/ws', '.waves', 'runs', 'add-login.json'));
  });

  it('maps other ids to a slug and a hash, deterministically and without collisions', () => {
    const ids = ['Add-Login', 'add-login ', 'add.login', 'a:b', 'con', 'NUL', '', '../../etc', 'é', 'x'.repeat(200), 'Ünïcødé feature'];
    const names = ids.map(runStateFileName);
    for (const name of names) {
      assert.match(name, /^[a-z0-9][a-z0-9-]*-[0-9a-f]{8}\.json$/, name);
      assert.ok(name.length <= 48 + 1 + 8 + 5, name);
    }
    assert.equal(new Set(names.map((n) => n.toLowerCase())).size, ids.length);
    assert.equal(new Set([...names, 'add-login.json']).size, ids.length + 1);
    assert.deepEqual(ids.map(runStateFileName), names);
    assert.match(runStateFileName('My.Feature'), /^my-feature-[0-9a-f]{8}\.json$/);
    assert.match(runStateFileName(''), /^feature-[0-9a-f]{8}\.json$/);
    assert.match(runStateFileName('con'), /^con-[0-9a-f]{8}\.json$/);
  });
});

describe('load and save', () => {
  it('starts from createInitial when there is no file, and writes nothing', async () => {
    const { store, changes, problems } = open();
    const result = await store.load();
    assert.equal(result.source, 'initial');
    assert.deepEqual(result.state, initial());
    assert.equal(store.state, result.state);
    assert.deepEqual(result.problems, []);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      changes.map((c) => c.origin),
      ['load'],
    );
    await store.flush();
    await assert.rejects(fs.access(path.dirname(file)));
  });

  it('round-trips a state through the file', async () => {
    const { store } = open();
    await store.load();
    const state = later(3);
    store.save(state);
    await store.flush();
    assert.deepEqual(await readJson(file), state);
    assert.ok((await fs.readFile(file, 'utf8')).endsWith('}\n'));

    const reopened = open();
    const result = await reopened.store.load();
    assert.equal(result.source, 'file');
    assert.deepEqual(result.state, state);
    assert.deepEqual(await listRuns(), ['add-login.json', 'add-login.json.bak']);
  });

  it('keeps the previous good state as .bak', async () => {
    const { store } = open();
    await store.load();
    for (const n of [1, 2, 3]) {
      store.save(later(n));
      await store.flush();
      assert.deepEqual(await readJson(file), later(n));
      assert.deepEqual(await readJson(`${file}.bak`), later(Math.max(1, n - 1)));
    }
  });

  it('still writes after a flush with nothing to write', async () => {
    const { store } = open();
    await store.load();
    await store.flush();
    store.save(later(1));
    await store.flush();
    assert.deepEqual(await readJson(file), later(1));
  });

  it('a flush that a save overtakes as the writer ends writes that save too, and does not fail', async () => {
    // A save can land after the writer's last write and before the flush that awaited it goes
    // on (an event listener of the engine saves as the adoption's first write ends): the flush
    // then writes that state as well. Each `k` puts the save `k` microtasks after the last
    // handle of a write closed, so one of them lands in that gap.
    const realOpen = fs.open;
    try {
      for (let k = 0; k < 24; k++) {
        const { store } = open();
        await store.load();
        let armed = false;
        let folderSyncs = 0;
        let saved!: () => void;
        const late = new Promise<void>((r) => (saved = r));
        fs.open = (async (...args: Parameters<typeof realOpen>) => {
          const handle = await realOpen(...args);
          // The first write keeps a backup, then writes the file: the second folder sync is its last step.
          if (args[1] !== 'r' || !armed || ++folderSyncs !== 2) return handle;
          const close = handle.close.bind(handle);
          handle.close = async () => {
            await close();
            if (!armed) return;
            armed = false;
            void (async () => {
              for (let i = 0; i < k; i++) await null;
              store.save(later(3));
              saved();
            })();
          };
          return handle;
        }) as typeof realOpen;
        store.save(later(1));
        armed = true;
        await assert.doesNotReject(store.flush(), `a save ${k} microtasks after the write ended`);
        fs.open = realOpen;
        await late;
        await store.flush();
        assert.deepEqual(await readJson(file), later(3), `k = ${k}`);
      }
    } finally {
      fs.open = realOpen;
    }
  });

  it('makes one write for a burst of saves, carrying the last state', async () => {
    const { store, changes } = open({ coalesceMs: 5 });
    await store.load();
    const states = [1, 2, 3, 4, 5].map(later);
    for (let i = 0; i < 50; i++) store.save(structuredClone(states[i % 5]!));
    const last = structuredClone(later(2));
    store.save(last);
    await store.flush();
    assert.deepEqual(await readJson(file), last);
    // The first write finds no file and starts the backup as the same state: had any
    // earlier state of the burst been written, .bak would hold it.
    assert.deepEqual(await readJson(`${file}.bak`), last);
    assert.equal(changes.filter((c) => c.origin === 'save').length, 51);
  });

  it('ends with the last state when saves interleave with writes', async () => {
    const { store } = open();
    await store.load();
    const pending: Promise<void>[] = [];
    for (let i = 1; i <= 5; i++) {
      store.save(later(i));
      pending.push(store.flush());
      await new Promise((resolve) => setImmediate(resolve));
      store.save(later(i - 1));
    }
    store.save(later(5));
    await Promise.all(pending);
    await store.flush();
    assert.deepEqual(await readJson(file), later(5));
    assert.equal((await listRuns()).filter((n) => n.includes('.tmp-')).length, 0);
  });

  it('ignores a save of the current state object', async () => {
    const { store, changes } = open();
    const { state } = await store.load();
    store.save(state);
    assert.deepEqual(
      changes.map((c) => c.origin),
      ['load'],
    );
  });

  it('refuses to write an invalid state, and reports it', async () => {
    const { store, problems } = open();
    await store.load();
    store.save({ ...later(1), featureId: 'someone-else' });
    await assert.rejects(store.flush(), /refusing to write an invalid run state: it belongs to feature "someone-else"/);
    assert.equal(problems[0]?.code, 'write-failed');
    await assert.rejects(fs.access(file));
    store.save(later(2)); // a good save afterwards goes through
    await store.flush();
    assert.deepEqual(await readJson(file), later(2));
  });

  it('loads only once', async () => {
    const { store } = open();
    await store.load();
    await assert.rejects(store.load(), /may be called once/);
  });
});

describe('recovery from bad files', () => {
  const BAD_FILES: Array<[string, string | Buffer, RunStoreProblem['code']]> = [
    ['a torn (truncated) file', '', 'corrupt'],
    ['garbage bytes', Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0xc3, 0x28, 0x0a]), 'corrupt'],
    ['JSON that is not a run state', '{"version":2,"featureId":"add-login"}', 'invalid-state'],
    ['a version no build writes', '{"version":0,"featureId":"add-login","whatever":true}', 'unsupported-version'],
  ];

  for (const [what, content, code] of BAD_FILES) {
    it(`${what}: keeps a copy, reports it, loads the last good state and heals the file`, async () => {
      await seed(later(2), later(1));
      const good = await fs.readFile(file);
      const bad = content === '' ? good.subarray(0, Math.floor(good.length / 2)) : Buffer.from(content);
      await fs.writeFile(file, bad);

      const { store, problems, changes } = open();
      const result = await store.load();
      assert.equal(result.source, 'backup');
      assert.deepEqual(result.state, later(1));
      assert.equal(result.problems.length, 1);
      const [problem] = result.problems;
      assert.equal(problem!.code, code);
      assert.equal(problem!.file, file);
      assert.equal(problem!.backupFile, `${file}.corrupt-20250301T100000000Z`);
      assert.match(
        problem!.message,
        /^The run state file \.waves\/runs\/add-login\.json .+\. A copy was kept at \.waves\/runs\/add-login\.json\.corrupt-20250301T100000000Z\. Loaded the previous good state from \.waves\/runs\/add-login\.json\.bak\.$/,
      );
      assert.deepEqual(problems, result.problems);
      assert.deepEqual(
        changes.map((c) => c.origin),
        ['load'],
      );
      assert.deepEqual(await fs.readFile(problem!.backupFile!), bad);

      await store.flush();
      assert.deepEqual(await readJson(file), later(1));
      assert.deepEqual(await readJson(`${file}.bak`), later(1));
      assert.equal((await listRuns()).filter((n) => n.includes('.corrupt-')).length, 1);
    });
  }

  it("explains which feature a file belongs to when it is another one's", async () => {
    await seed(later(1));
    const other = { ...(await readJson(file)), featureId: 'other' };
    await fs.writeFile(file, JSON.stringify(other));
    const { store } = open();
    const result = await store.load();
    assert.equal(result.problems[0]?.code, 'wrong-feature');
    assert.match(result.problems[0]!.message, /belongs to feature "other", not "add-login"/);
  });

  it('starts fresh when the backup is bad too, keeping copies of both', async () => {
    await seed(later(2), later(1));
    await fs.writeFile(file, '{"torn": ');
    await fs.writeFile(`${file}.bak`, 'garbage');
    const { store } = open();
    const result = await store.load();
    assert.equal(result.source, 'initial');
    assert.deepEqual(result.state, initial());
    assert.deepEqual(
      result.problems.map((p) => [path.basename(p.file), p.code]),
      [
        ['add-login.json', 'corrupt'],
        ['add-login.json.bak', 'corrupt'],
      ],
    );
    assert.ok(result.problems.every((p) => p.message.endsWith('No good backup either: started from a fresh run state.')));
    assert.equal(await fs.readFile(`${file}.bak.corrupt-20250301T100000000Z`, 'utf8'), 'garbage');
    await store.flush();
    assert.deepEqual(await readJson(file), initial());
  });

  it('never overwrites a file it cannot read', async () => {
    await fs.mkdir(file, { recursive: true }); // reading a folder fails like an unreadable file
    const { store, problems } = open();
    const result = await store.load();
    assert.equal(result.source, 'initial');
    assert.equal(result.problems[0]?.code, 'unreadable');
    store.save(later(1));
    await assert.rejects(store.flush(), /could not be read/);
    assert.deepEqual(
      problems.map((p) => p.code),
      ['unreadable', 'write-failed'],
    );
    assert.ok((await fs.stat(file)).isDirectory());
  });

  it('ignores a temp file left by a crash mid-write', async () => {
    await seed(later(1));
    await fs.writeFile(`${file}.tmp-99999-1`, '{"half": ');
    const { store } = open();
    assert.equal((await store.load()).source, 'file');
  });

  it('backs up a bad file found at save time before replacing it', async () => {
    const { store, problems } = open();
    await store.load();
    store.save(later(1));
    await store.flush();
    await fs.writeFile(file, 'not json');
    store.save(later(2));
    await store.flush();
    assert.deepEqual(
      problems.map((p) => p.code),
      ['corrupt'],
    );
    assert.equal(await fs.readFile(problems[0]!.backupFile!, 'utf8'), 'not json');
    assert.deepEqual(await readJson(file), later(2));
    assert.deepEqual(await readJson(`${file}.bak`), later(1)); // the bad file never became the backup
  });
});

describe('reload and events', () => {
  it("adopts another writer's state, and ignores its own writes", async () => {
    const mine = open();
    await mine.store.load();
    mine.store.save(later(1));
    await mine.store.flush();
    assert.deepEqual(await mine.store.reload(), { changed: false, state: later(1), problems: [] });

    const other = open();
    await other.store.load();
    other.store.save(later(3));
    await other.store.flush();

    const result = await mine.store.reload();
    assert.equal(result.changed, true);
    assert.deepEqual(result.state, later(3));
    assert.deepEqual(mine.store.state, later(3));
    assert.deepEqual(
      mine.changes.map((c) => c.origin),
      ['load', 'save', 'external'],
    );
    assert.equal((await mine.store.reload()).changed, false);
  });

  it('lets a pending save win over an external change', async () => {
    const mine = open({ coalesceMs: 20 });
    await mine.store.load();
    await seed(later(3));
    mine.store.save(later(1));
    const reloading = mine.store.reload();
    assert.equal((await reloading).changed, false);
    await mine.store.flush();
    assert.deepEqual(await readJson(file), later(1));
    assert.deepEqual(await readJson(`${file}.bak`), later(3));
  });

  for (const ticks of [0, 5]) {
    it(`lets a save made during a reload win (${ticks ? 'while it reads' : 'before it reads'})`, async () => {
      const mine = open();
      await mine.store.load();
      await seed(later(3));
      const reloading = mine.store.reload();
      for (let i = 0; i < ticks; i++) await Promise.resolve(); // a file read takes longer than this
      mine.store.save(later(1));
      assert.equal((await reloading).changed, false);
      await mine.store.flush();
      assert.deepEqual(mine.store.state, later(1));
      assert.deepEqual(await readJson(file), later(1));
      assert.deepEqual(
        mine.changes.map((c) => c.origin),
        ['load', 'save'],
      );
    });
  }

  it('keeps the in-memory state when the file turns bad, copying the bad file once', async () => {
    const { store, problems } = open();
    await store.load();
    store.save(later(2));
    await store.flush();
    await fs.writeFile(file, '{"oops"');
    const first = await store.reload();
    assert.equal(first.changed, false);
    assert.equal(first.problems[0]?.code, 'corrupt');
    assert.match(first.problems[0]!.message, /Kept the state in memory; the next save replaces the file\.$/);
    assert.deepEqual(store.state, later(2));
    assert.deepEqual((await store.reload()).problems, []);
    store.save(later(3));
    await store.flush();
    assert.equal(problems.length, 1);
    assert.deepEqual(await readJson(file), later(3));
    assert.deepEqual(await readJson(`${file}.bak`), later(2));
  });

  it('keeps the state when the file is deleted, and recreates it on the next save', async () => {
    const { store } = open();
    await store.load();
    store.save(later(1));
    await store.flush();
    await fs.rm(file);
    assert.equal((await store.reload()).changed, false);
    store.save(later(2));
    await store.flush();
    assert.deepEqual(await readJson(file), later(2));
  });

  it('stops everything on dispose but finishes the scheduled write', async () => {
    const { store, changes, problems } = open({ coalesceMs: 10 });
    await store.load();
    store.save(later(1));
    store.dispose();
    assert.throws(() => store.save(later(2)), /after dispose/);
    await assert.rejects(store.reload(), /after dispose/);
    await store.flush();
    assert.deepEqual(await readJson(file), later(1));
    assert.deepEqual(
      changes.map((c) => c.origin),
      ['load', 'save'],
    );
    assert.deepEqual(problems, []);
  });
});

describe('format versions', () => {
  /** `later(n)` as a newer build might write it: version 3 and a field this build does not know. */
  const newer = (n: number) => ({ ...later(n), version: 3, budget: { tokens: 10 } });

  it('shows a newer file read-only and never copies, rewrites or backs it up', async () => {
    await seed(later(2), later(1));
    const bytes = Buffer.from(JSON.stringify(newer(3), null, 2));
    await fs.writeFile(file, bytes);
    const backup = await fs.readFile(`${file}.bak`);
    const { store, problems } = open();
    const result = await store.load();
    assert.equal(store.readOnly, true);
    assert.equal(result.source, 'file');
    assert.deepEqual(result.state, newer(3));
    assert.deepEqual(
      problems.map((p) => p.code),
      ['newer-version'],
    );
    assert.equal(problems[0]!.backupFile, undefined);
    assert.match(
      problems[0]!.message,
      /uses format version 3; this build writes version 2\. It is shown read-only; it is never overwritten\./,
    );
    assert.throws(() => store.save(later(4)), ReadOnlyRunStateError);
    await assert.rejects(store.startNewRun(initial('run-2')), ReadOnlyRunStateError);
    await store.flush();
    assert.deepEqual(await fs.readFile(file), bytes);
    assert.deepEqual(await fs.readFile(`${file}.bak`), backup);
    assert.deepEqual(await listRuns(), ['add-login.json', 'add-login.json.bak']);
  });

  it('starts from createInitial when it cannot read a newer file at all, still read-only', async () => {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, '{"version": 7, "featureId": "add-login", "shape": "unknown"}');
    const { store } = open();
    const result = await store.load();
    assert.equal(result.source, 'initial');
    assert.deepEqual(result.state, initial());
    assert.equal(result.problems[0]?.code, 'newer-version');
    assert.match(result.problems[0]!.message, /cannot read it/);
    assert.equal(store.readOnly, true);
    await store.flush();
    assert.deepEqual(await listRuns(), ['add-login.json']);
  });

  it('turns read-only when reload finds a newer file, adopting what it can read', async () => {
    const { store, problems, changes } = open();
    await store.load();
    store.save(later(1));
    await store.flush();
    await fs.writeFile(file, JSON.stringify(newer(2)));
    const result = await store.reload();
    assert.equal(result.changed, true);
    assert.deepEqual(store.state, newer(2));
    assert.equal(store.readOnly, true);
    assert.deepEqual((await store.reload()).problems, []);
    assert.equal(problems.length, 1);
    assert.deepEqual(
      changes.map((c) => c.origin),
      ['load', 'save', 'external'],
    );
    assert.throws(() => store.save(later(3)), ReadOnlyRunStateError);
  });

  it('refuses to write over a newer file that appeared after its load', async () => {
    const { store, problems } = open();
    await store.load();
    store.save(later(1));
    await store.flush();
    const bytes = Buffer.from(JSON.stringify(newer(2)));
    await fs.writeFile(file, bytes);
    store.save(later(3));
    await assert.rejects(store.flush(), ReadOnlyRunStateError);
    assert.equal(store.readOnly, true);
    assert.deepEqual(await fs.readFile(file), bytes);
    assert.deepEqual(
      problems.map((p) => p.code),
      ['newer-version'],
    );
  });

  it('refuses a version-1 file like any version no build writes: a copy is kept, the lock table is left alone', async () => {
    const v2 = later(3);
    const { merges: _m, integration: _i, history: _h, planHash: _p, ...rest } = v2;
    const v1 = {
      ...rest,
      version: 1,
      packages: Object.fromEntries(
        Object.entries(v2.packages).map(([id, r]) => {
          const { startToken: _t, needsInput: _n, headSha: _s, resultFile: _f, changedFiles: _c, ...old } = r;
          return [id, old];
        }),
      ),
      locks: [{ key: 'api:users', holder: 'a', acquiredAt: T0.toISOString(), expiresAt: null }],
    };
    const v1Bytes = Buffer.from(JSON.stringify(v1, null, 2));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, v1Bytes);

    const { store } = open();
    const result = await store.load();
    assert.equal(result.source, 'initial');
    assert.deepEqual(result.state, initial());
    assert.deepEqual(
      result.problems.map((p) => p.code),
      ['unsupported-version'],
    );
    assert.match(result.problems[0]!.message, /has format version 1, which no build writes/);
    assert.deepEqual(await fs.readFile(result.problems[0]!.backupFile!), v1Bytes, 'the version-1 bytes are kept aside');
    await store.flush();
    assert.deepEqual(new LockTableStore(root).read().locks, [], 'no lock is taken from it');
  });

  it('keeps fields it does not know across a save and a load', async () => {
    const state = { ...later(3), fromTheFuture: [1, 2] };
    state.packages = { ...state.packages, a: { ...state.packages.a!, tokensUsed: 99 } as never };
    await seed(state);
    const { store } = open();
    const { state: loaded } = await store.load();
    assert.deepEqual(loaded, state);
    store.save(step(loaded, { type: 'exited', packageId: 'a', exitCode: 0 }, 9000));
    await store.flush();
    const written = (await readJson(file)) as RunState & { fromTheFuture?: number[] };
    assert.deepEqual(written.fromTheFuture, [1, 2]);
    assert.equal((written.packages.a as unknown as { tokensUsed: number }).tokensUsed, 99);
  });
});

describe('startNewRun', () => {
  it('archives the earlier run and keeps its summary in the history', async () => {
    const { store } = open();
    await store.load();
    const first = later(5);
    store.save(first);
    await store.flush();

    const { state, archived } = await store.startNewRun(initial('run-2'));
    assert.equal(archived, historyFile(root, FEATURE, 'run-1'));
    assert.deepEqual(await readJson(archived!), first);
    assert.equal(state.runId, 'run-2');
    assert.deepEqual(state.history, [
      {
        runId: 'run-1',
        createdAt: T0.toISOString(),
        endedAt: first.updatedAt,
        planHash: null,
        counts: { succeeded: 1, pending: 1 },
        archive: '.waves/history/add-login/run-1.json',
      },
    ]);
    assert.deepEqual(await readJson(file), state);

    const third = await store.startNewRun(initial('run-3'));
    assert.deepEqual(
      third.state.history.map((h) => h.runId),
      ['run-1', 'run-2'],
    );
    assert.deepEqual(await readJson(third.archived!), state);
    await assert.rejects(store.startNewRun(initial('run-3')), /new run id/);
  });

  it('never overwrites an archive that is already there', async () => {
    await seed(later(2));
    const target = historyFile(root, FEATURE, 'run-1');
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, 'someone else');
    const { store } = open();
    await store.load();
    const { archived, state } = await store.startNewRun(initial('run-2'));
    assert.equal(archived, target.replace(/\.json$/, '-2.json'));
    assert.equal(await fs.readFile(target, 'utf8'), 'someone else');
    assert.deepEqual(await readJson(archived!), later(2));
    assert.equal(state.history[0]!.archive, '.waves/history/add-login/run-1-2.json');
    assert.equal((await fs.readdir(path.dirname(target))).filter((n) => n.includes('.tmp-')).length, 0);
  });

  it('archives nothing when no state was ever written', async () => {
    const { store } = open();
    await store.load();
    const result = await store.startNewRun(initial('run-2'));
    assert.equal(result.archived, undefined);
    assert.deepEqual(result.state.history, []);
    assert.deepEqual(await readJson(file), initial('run-2'));
    await assert.rejects(fs.access(path.join(root, '.waves', 'history')));
  });
});

describe('Emitter', () => {
  it('calls listeners in order, with thisArgs, until they unsubscribe', () => {
    const emitter = new Emitter<number>();
    const seen: string[] = [];
    const owner = { name: 'owner' };
    const bag: Disposable[] = [];
    const first = emitter.event((n) => seen.push(`first ${n}`));
    emitter.event(
      function (this: typeof owner, n) {
        seen.push(`${this.name} ${n}`);
      },
      owner,
      bag,
    );
    assert.equal(bag.length, 1);
    emitter.fire(1);
    first.dispose();
    first.dispose();
    emitter.fire(2);
    bag[0]!.dispose();
    emitter.fire(3);
    assert.deepEqual(seen, ['first 1', 'owner 1', 'owner 2']);
    assert.equal(emitter.hasListeners, false);
  });

  it('isolates a throwing listener', () => {
    const errors: unknown[] = [];
    const emitter = new Emitter<string>({ onListenerError: (e) => errors.push(e) });
    const seen: string[] = [];
    emitter.event(() => {
      throw new Error('listener bug');
    });
    emitter.event((e) => seen.push(e));
    assert.doesNotThrow(() => emitter.fire('x'));
    assert.deepEqual(seen, ['x']);
    assert.equal((errors[0] as Error).message, 'listener bug');
  });

  it('applies subscriptions made during fire from the next fire', () => {
    const emitter = new Emitter<number>();
    const seen: number[] = [];
    emitter.event(() => void emitter.event((n) => seen.push(n)));
    emitter.fire(1);
    emitter.fire(2);
    assert.deepEqual(seen, [2]);
  });

  it('drops all listeners on dispose and ignores later use', () => {
    const emitter = new Emitter<number>();
    const seen: number[] = [];
    emitter.event((n) => seen.push(n));
    emitter.dispose();
    emitter.fire(1);
    const late = emitter.event((n) => seen.push(n));
    emitter.fire(2);
    late.dispose();
    assert.deepEqual(seen, []);
    assert.equal(emitter.hasListeners, false);
  });
});

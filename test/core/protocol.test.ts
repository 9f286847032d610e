import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createPackageRecord } from '../../src/core/run/runStateInit';
import {
  CANDIDATE_ACTIONS,
  LOG_LEVELS,
  PACKAGE_ACTIONS,
  PROPOSAL_ACTIONS,
  PROTOCOL_VERSION,
  isHostMessage,
  replyTo,
  toLiveStatus,
  type ReplyMessage,
  type WebviewMessage,
  type WebviewRequest,
} from '../../src/protocol';
import { RequestError, createRequester, type TimerFunctions } from '../../src/protocol/requester';
import {
  MAX_CANDIDATE,
  MAX_LOG_MESSAGE_LENGTH,
  MAX_PACKAGE_ID_LENGTH,
  MAX_PATH_LENGTH,
  MAX_WAVE,
  isPackageIdLike,
  isRepoRelativePath,
  MAX_GROUP_PATH,
  validateWebviewMessage,
} from '../../src/protocol/validate';

// ---------------------------------------------------------------------------------------
// Validation

/** The exact keys of each message, restated from the spec (not from the implementation). */
const KEYS: Record<WebviewMessage['type'], string[]> = {
  ready: ['type', 'protocolVersion'],
  log: ['type', 'level', 'message'],
  openPackage: ['type', 'requestId', 'packageId'],
  packageDetails: ['type', 'requestId', 'packageId'],
  packageAction: ['type', 'requestId', 'packageId', 'action'],
  candidateAction: ['type', 'requestId', 'packageId', 'candidate', 'action'],
  exportDag: ['type', 'requestId', 'format'],
  runWave: ['type', 'requestId', 'wave'],
  revealFile: ['type', 'requestId', 'path'],
  proposalAction: ['type', 'requestId', 'action'],
  revealInWaves: ['type', 'requestId', 'packageId'],
  exportTimeline: ['type', 'requestId'],
  openGroup: ['type', 'requestId', 'path'],
};

const requestIdArb = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const canonicalIdArb = fc.stringMatching(/^[a-z][a-z0-9_-]{0,63}$/);
const segmentArb = fc
  .stringMatching(/^[A-Za-z0-9_ @+=,-][A-Za-z0-9._ @+=,-]{0,15}$/)
  .filter((s) => s !== '.' && s !== '..');
const pathArb = fc.array(segmentArb, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('/'));

const validMessageArb: fc.Arbitrary<WebviewMessage> = fc.oneof(
  fc.constant({ type: 'ready', protocolVersion: PROTOCOL_VERSION } as const),
  fc.record({
    type: fc.constant('log' as const),
    level: fc.constantFrom(...LOG_LEVELS),
    message: fc.string({ maxLength: 200 }),
  }),
  ...(['openPackage', 'packageDetails', 'revealInWaves'] as const).map((type) =>
    fc.record({ type: fc.constant(type), requestId: requestIdArb, packageId: canonicalIdArb }),
  ),
  fc.record({
    type: fc.constant('packageAction' as const),
    requestId: requestIdArb,
    packageId: canonicalIdArb,
    action: fc.constantFrom(...PACKAGE_ACTIONS),
  }),
  fc.record({
    type: fc.constant('candidateAction' as const),
    requestId: requestIdArb,
    packageId: canonicalIdArb,
    candidate: fc.integer({ min: 1, max: MAX_CANDIDATE }),
    action: fc.constantFrom(...CANDIDATE_ACTIONS),
  }),
  fc.record({ type: fc.constant('exportDag' as const), requestId: requestIdArb, format: fc.constantFrom('svg' as const, 'mermaid' as const) }),
  fc.record({
    type: fc.constant('runWave' as const),
    requestId: requestIdArb,
    wave: fc.integer({ min: 1, max: MAX_WAVE }),
  }),
  fc.record({ type: fc.constant('revealFile' as const), requestId: requestIdArb, path: pathArb }),
  fc.record({ type: fc.constant('proposalAction' as const), requestId: requestIdArb, action: fc.constantFrom(...PROPOSAL_ACTIONS) }),
  fc.record({ type: fc.constant('exportTimeline' as const), requestId: requestIdArb }),
  fc.record({ type: fc.constant('openGroup' as const), requestId: requestIdArb, path: fc.array(canonicalIdArb, { maxLength: MAX_GROUP_PATH }) }),
);

function rejects(raw: unknown, pattern?: RegExp): void {
  const result = validateWebviewMessage(raw);
  if (result.ok) assert.fail(`accepted ${JSON.stringify(result.message)}`);
  if (pattern) assert.match(result.error, pattern);
}

describe('validateWebviewMessage', () => {
  it('accepts one well-formed message of each type, as a fresh object', () => {
    const messages: WebviewMessage[] = [
      { type: 'ready', protocolVersion: PROTOCOL_VERSION },
      { type: 'log', level: 'error', message: 'TypeError: x is undefined\n    at render' },
      { type: 'log', level: 'debug', message: '' },
      { type: 'openPackage', requestId: 1, packageId: 'wp-api' },
      { type: 'packageDetails', requestId: 2, packageId: 'Task 1 (drifted id)' },
      { type: 'packageAction', requestId: 3, packageId: 'wp_db', action: 'cancel' },
      { type: 'exportDag', requestId: 7, format: 'mermaid' },
      { type: 'runWave', requestId: 4, wave: 2 },
      { type: 'revealFile', requestId: 5, path: 'src/api/users.ts' },
      { type: 'revealFile', requestId: 6, path: 'docs/.vitepress/config.mts' },
      { type: 'proposalAction', requestId: 8, action: 'approve' },
      { type: 'proposalAction', requestId: 9, action: 'runPlan' },
      { type: 'candidateAction', requestId: 10, packageId: 'wp-api', candidate: 2, action: 'pick' },
      { type: 'candidateAction', requestId: 11, packageId: 'wp-api', candidate: 8, action: 'showChanges' },
      { type: 'openGroup', requestId: 12, path: ['api', 'users'] },
      { type: 'openGroup', requestId: 13, path: [] },
    ];
    for (const message of messages) {
      const result = validateWebviewMessage(message);
      assert.ok(result.ok, JSON.stringify(message));
      assert.deepEqual(result.message, message);
      assert.notEqual(result.message, message);
    }
  });

  it("opens a sub-plan only by a short list of package ids, and keeps its own copy of the list", () => {
    const path = ['api', 'users'];
    const result = validateWebviewMessage({ type: 'openGroup', requestId: 1, path });
    assert.ok(result.ok);
    assert.notEqual((result.message as { path: string[] }).path, path);
    rejects({ type: 'openGroup', requestId: 1, path: 'api' }, /openGroup\.path: expected an array of at most 8 package ids/);
    rejects({ type: 'openGroup', requestId: 1, path: Array(MAX_GROUP_PATH + 1).fill('a') }, /openGroup\.path/);
    rejects({ type: 'openGroup', requestId: 1, path: ['api', ''] }, /openGroup\.path/);
    rejects({ type: 'openGroup', requestId: 1, path: ['api', 'x\u202e'] }, /openGroup\.path/);
    rejects({ type: 'openGroup', requestId: 1, path: [{ toString: () => 'api' }] }, /openGroup\.path/);
  });

  it('rejects non-objects and unknown types', () => {
    for (const raw of [null, undefined, 0, 'ready', [], [{ type: 'ready' }], new Date(), new Map(), () => 1])
      rejects(raw, /^message: /);
    rejects({}, /unknown type \(undefined\)/);
    rejects({ type: 'deleteEverything' }, /unknown type "deleteEverything"/);
    for (const type of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) rejects({ type }, /unknown type/);
    rejects({ type: 'x'.repeat(10_000) }, /unknown type "x{40}…"$/);
  });

  it('accepts only the approval bar\'s actions on a proposed plan', () => {
    for (const action of ['merge', 'Approve', 'approve ', '', 1, null]) rejects({ type: 'proposalAction', requestId: 1, action }, /^proposalAction\.action: expected approve \| requestChanges \| discard \| runPlan$/);
    rejects({ type: 'proposalAction', requestId: 1, action: 'approve', comments: 'x' }, /unexpected key "comments"/);
  });

  it("accepts a best-of-n candidate's Pick and Show Changes only: a candidate 1–8, a known action, nothing else", () => {
    const ok = { type: 'candidateAction', requestId: 4, packageId: 'wp-api', candidate: 3, action: 'pick' };
    for (const candidate of [0, 9, -1, 2.5, '2', null, Number.NaN, Infinity, 2 ** 53])
      assert.deepEqual(validateWebviewMessage({ ...ok, candidate }), { ok: false, error: 'candidateAction.candidate: expected an integer 1–8', requestId: 4 });
    for (const action of ['merge', 'Pick', 'approve', '', 1, null]) rejects({ ...ok, action }, /^candidateAction\.action: expected pick \| showChanges$/);
    rejects({ ...ok, why: 'mine' }, /^candidateAction: unexpected key "why"$/);
    rejects({ type: 'candidateAction', requestId: 4, packageId: 'wp-api', action: 'pick' }, /^candidateAction\.candidate: missing$/);
    rejects({ ...ok, packageId: 'wp\u202eapi' }, /^candidateAction\.packageId: /);
  });

  it('returns the requestId of a malformed request when it is well-formed', () => {
    assert.deepEqual(validateWebviewMessage({ type: 'runWave', requestId: 9, wave: 0 }), {
      ok: false,
      error: 'runWave.wave: expected an integer 1–10000',
      requestId: 9,
    });
    assert.deepEqual(validateWebviewMessage({ type: 'nope', requestId: 3 }), {
      ok: false,
      error: 'message: unknown type "nope"',
      requestId: 3,
    });
    assert.equal('requestId' in validateWebviewMessage({ type: 'runWave', requestId: 0, wave: 1 }), false);
  });

  it('rejects missing, extra and wrongly typed fields', () => {
    rejects({ type: 'openPackage', requestId: 1 }, /^openPackage\.packageId: missing$/);
    rejects(
      { type: 'openPackage', requestId: 1, packageId: 'a', extra: true },
      /^openPackage: unexpected key "extra"$/,
    );
    rejects(
      { type: 'ready', protocolVersion: PROTOCOL_VERSION + 1 },
      /^ready\.protocolVersion: expected protocol version 2$/,
    );
    rejects({ type: 'ready', protocolVersion: '1' });
    for (const requestId of [0, -1, 1.5, '1', null, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
      rejects(
        { type: 'packageDetails', requestId, packageId: 'a' },
        /^packageDetails\.requestId: expected a positive integer$/,
      );
    }
    rejects({ type: 'packageAction', requestId: 1, packageId: 'a', action: 'delete' }, /^packageAction\.action: expected reveal \| showPrompt/);
    rejects({ type: 'packageAction', requestId: 1, packageId: 'a' }, /^packageAction\.action: missing$/);
    rejects({ type: 'exportDag', requestId: 1, format: 'png' }, /^exportDag\.format: expected svg \| mermaid$/);
    for (const wave of [0, MAX_WAVE + 1, 1.5, '2', null])
      rejects({ type: 'runWave', requestId: 1, wave }, /^runWave\.wave: /);
    rejects({ type: 'log', level: 'fatal', message: 'x' }, /^log\.level: expected debug \| info \| warn \| error$/);
    rejects({ type: 'log', level: 'info', message: 'x'.repeat(MAX_LOG_MESSAGE_LENGTH + 1) }, /^log\.message: /);
    assert.ok(validateWebviewMessage({ type: 'log', level: 'info', message: 'x'.repeat(MAX_LOG_MESSAGE_LENGTH) }).ok);
  });

  it('bounds package ids and refuses unprintable ones', () => {
    assert.ok(isPackageIdLike('a'.repeat(MAX_PACKAGE_ID_LENGTH)));
    for (const id of [
      '',
      'a'.repeat(MAX_PACKAGE_ID_LENGTH + 1),
      'a\u0000b',
      'a\nb',
      'wp\u202Eapi',
      'zero\u200Bwidth',
      'a\u2028b',
      '\uD800',
      7,
      null,
    ]) {
      assert.equal(isPackageIdLike(id), false, JSON.stringify(id));
      rejects(
        { type: 'openPackage', requestId: 1, packageId: id },
        /^openPackage\.packageId: expected 1–128 printable characters$/,
      );
    }
  });

  it('accepts only repo-relative paths that stay inside the workspace', () => {
    for (const good of ['a', 'src/a.ts', '.github/workflows/ci.yml', 'a b/c', 'ünïcode/файл.md', '...', 'a..b/c']) {
      assert.ok(isRepoRelativePath(good), good);
    }
    const bad = [
      '',
      '/etc/passwd',
      '//server/share',
      '../secret',
      'a/../../b',
      'a/..',
      '..',
      '.',
      './a',
      'a/./b',
      'a//b',
      'a/',
      'C:/Windows',
      'c:foo',
      'file:///etc/passwd',
      'a\\b',
      '\\\\server\\share',
      'a\u0000b',
      'a\nb',
      'x'.repeat(MAX_PATH_LENGTH + 1),
    ];
    for (const path of bad) {
      assert.equal(isRepoRelativePath(path), false, JSON.stringify(path));
      rejects({ type: 'revealFile', requestId: 1, path }, /^revealFile\.path: expected a repo-relative path/);
    }
  });

  it('reads own data properties only, and never throws on hostile objects', () => {
    let getterCalls = 0;
    const withGetter = { type: 'openPackage', requestId: 1 } as Record<string, unknown>;
    Object.defineProperty(withGetter, 'packageId', { enumerable: true, get: () => (getterCalls++, 'a') });
    rejects(withGetter, /"packageId" is not a data property/);
    assert.equal(getterCalls, 0);

    const inherited = Object.assign(Object.create({ packageId: 'a' }), { type: 'openPackage', requestId: 1 });
    rejects(inherited, /plain object/);
    rejects(Object.assign(Object.create(null), { type: 'runWave', requestId: 1 }), /wave: missing/);
    assert.ok(
      validateWebviewMessage(Object.assign(Object.create(null), { type: 'runWave', requestId: 1, wave: 1 })).ok,
    );

    rejects(JSON.parse('{"type":"runWave","requestId":1,"wave":1,"__proto__":{"x":1}}'), /unexpected key "__proto__"/);
    rejects({ type: 'runWave', requestId: 1, wave: 1, [Symbol('s')]: 1 }, /unexpected key "Symbol\(s\)"/);

    const trap = () => {
      throw new Error('trap');
    };
    rejects(new Proxy({}, { ownKeys: trap, getPrototypeOf: () => Object.prototype }), /could not be read/);
    rejects(new Proxy({}, { getPrototypeOf: trap }), /could not be read/);
  });

  it('property: accepts every well-formed message, unchanged', () => {
    fc.assert(
      fc.property(validMessageArb, (message) => {
        const result = validateWebviewMessage(structuredClone(message));
        assert.ok(result.ok, result.ok ? '' : result.error);
        assert.deepEqual(result.message, { ...message }); // fast-check's records have a null prototype
      }),
      { numRuns: 500 },
    );
  });

  it('property: any single corruption of a well-formed message is rejected', () => {
    const corruption = fc.oneof(
      fc.record({ kind: fc.constant('drop' as const), index: fc.nat() }),
      fc.record({
        kind: fc.constant('extra' as const),
        key: fc.string({ minLength: 1, maxLength: 8 }),
        value: fc.anything(),
      }),
      fc.record({
        kind: fc.constant('replace' as const),
        index: fc.nat(),
        value: fc.oneof(fc.anything(), fc.constantFrom('', '../x', 'a'.repeat(2000), -1, 0, 1.5, null)),
      }),
    );
    fc.assert(
      fc.property(validMessageArb, corruption, (message, c) => {
        const raw: Record<string, unknown> = { ...message };
        const fields = KEYS[message.type].slice(1); // every message has at least one field
        if (c.kind === 'drop') {
          delete raw[fields[c.index % fields.length]!];
        } else if (c.kind === 'extra') {
          fc.pre(!KEYS[message.type].includes(c.key));
          raw[c.key] = c.value;
        } else {
          const key = fields[c.index % fields.length]!;
          fc.pre(!isStillWellFormed(message.type, key, c.value));
          raw[key] = c.value;
        }
        assert.equal(validateWebviewMessage(raw).ok, false, JSON.stringify(raw));
      }),
      { numRuns: 1000 },
    );
  });

  it('property: arbitrary junk never throws, and is accepted only if well-formed', () => {
    const allKeys = [...new Set(Object.values(KEYS).flat())];
    /** A well-formed message with a few keys removed, added or overwritten (or none). */
    const edited = fc
      .tuple(
        validMessageArb,
        fc.subarray(allKeys, { maxLength: 2 }),
        fc.array(fc.tuple(fc.constantFrom(...allKeys, 'extra'), fc.anything()), { maxLength: 2 }),
      )
      .map(([message, removed, added]) => {
        const raw: Record<string, unknown> = { ...message };
        for (const key of removed) delete raw[key];
        for (const [key, value] of added) raw[key] = value;
        return raw;
      });
    const junk = fc.oneof(
      fc.anything({
        withNullPrototype: true,
        withBigInt: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withTypedArray: true,
        withSparseArray: true,
        withBoxedValues: true,
      }),
      edited,
    );
    let accepted = 0;
    fc.assert(
      fc.property(junk, (raw) => {
        const result = validateWebviewMessage(raw);
        if (!result.ok) return;
        accepted++;
        // Oracle: exactly the spec's keys, each value well-formed.
        const message = result.message;
        assert.deepEqual(Object.keys(raw as object).sort(), [...KEYS[message.type]].sort());
        for (const key of KEYS[message.type].slice(1)) {
          assert.ok(isStillWellFormed(message.type, key, (message as unknown as Record<string, unknown>)[key]), key);
        }
      }),
      { numRuns: 2000 },
    );
    assert.ok(accepted > 0, 'the junk generator should sometimes produce a valid message');
  });
});

/** The spec's rule for one field, restated for the property tests' oracle. */
function isStillWellFormed(type: WebviewMessage['type'], key: string, value: unknown): boolean {
  switch (key) {
    case 'requestId':
      return Number.isSafeInteger(value) && (value as number) > 0;
    case 'packageId':
      return isPackageIdLike(value);
    case 'path':
      return type === 'openGroup' ? Array.isArray(value) && value.length <= MAX_GROUP_PATH && value.every(isPackageIdLike) : isRepoRelativePath(value);
    case 'wave':
      return Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_WAVE;
    case 'level':
      return LOG_LEVELS.includes(value as never);
    case 'message':
      return typeof value === 'string' && value.length <= MAX_LOG_MESSAGE_LENGTH;
    case 'protocolVersion':
      return value === PROTOCOL_VERSION;
    case 'candidate':
      return Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_CANDIDATE;
    case 'action':
      return ((type === 'proposalAction' ? PROPOSAL_ACTIONS : type === 'candidateAction' ? CANDIDATE_ACTIONS : PACKAGE_ACTIONS) as readonly unknown[]).includes(value);
    case 'format':
      return value === 'svg' || value === 'mermaid';
    default:
      return assert.fail(`no rule for ${type}.${key}`);
  }
}

// ---------------------------------------------------------------------------------------
// Request / reply

/** A fake clock: timers run only when the test advances time. */
function fakeTimers() {
  let now = 0;
  let nextHandle = 1;
  const timers = new Map<number, { at: number; callback: () => void }>();
  const api: TimerFunctions = {
    setTimeout: (callback, ms) => {
      const handle = nextHandle++;
      timers.set(handle, { at: now + ms, callback });
      return handle;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
  };
  return {
    api,
    get active() {
      return timers.size;
    },
    advance(ms: number) {
      now += ms;
      for (const [handle, timer] of [...timers]) {
        if (timer.at <= now) {
          timers.delete(handle);
          timer.callback();
        }
      }
    },
  };
}

function setup(timeoutMs = 1000) {
  const clock = fakeTimers();
  const posted: WebviewRequest[] = [];
  const requester = createRequester((message) => posted.push(message), { timeoutMs, timers: clock.api });
  return { clock, posted, requester };
}

describe('createRequester', () => {
  it('numbers requests and matches replies in any order', async () => {
    const { posted, requester, clock } = setup();
    const first = requester.request({ type: 'packageDetails', packageId: 'a' });
    const second = requester.request({ type: 'runWave', wave: 2 });
    const third = requester.request({ type: 'revealFile', path: 'src/a.ts' });
    assert.deepEqual(posted, [
      { type: 'packageDetails', packageId: 'a', requestId: 1 },
      { type: 'runWave', wave: 2, requestId: 2 },
      { type: 'revealFile', path: 'src/a.ts', requestId: 3 },
    ]);
    assert.equal(requester.pending, 3);

    assert.equal(requester.handleReply({ type: 'reply', inReplyTo: 3, ok: true, result: 'third' }), true);
    assert.equal(requester.handleReply({ type: 'reply', inReplyTo: 1, ok: true, result: 'first' }), true);
    assert.equal(requester.handleReply({ type: 'reply', inReplyTo: 2, ok: true, result: null }), true);
    assert.deepEqual(await Promise.all([first, second, third]), ['first', null, 'third']);
    assert.equal(requester.pending, 0);
    assert.equal(clock.active, 0, 'timers are cleared on reply');
    assert.equal(requester.handleReply({ type: 'reply', inReplyTo: 1, ok: true, result: 'again' }), false);
    assert.equal(requester.handleReply({ type: 'reply', inReplyTo: 99, ok: true, result: null }), false);
  });

  it('rejects on an error reply with the remote message and code', async () => {
    const { requester } = setup();
    const pending = requester.request({ type: 'packageAction', packageId: 'a', action: 'cancel' });
    requester.handleReply({
      type: 'reply',
      inReplyTo: 1,
      ok: false,
      error: { message: 'Package "a" is pending', code: 'illegal-transition' },
    });
    await assert.rejects(pending, (error: unknown) => {
      assert.ok(error instanceof RequestError);
      assert.deepEqual(
        [error.code, error.remoteCode, error.message],
        ['remote', 'illegal-transition', 'Package "a" is pending'],
      );
      return true;
    });
  });

  it('rejects on timeout, and ignores a late reply', async () => {
    const { requester, clock } = setup(500);
    const slow = requester.request({ type: 'openPackage', packageId: 'a' });
    const fast = requester.request({ type: 'openPackage', packageId: 'b' });
    clock.advance(499);
    requester.handleReply({ type: 'reply', inReplyTo: 2, ok: true, result: null });
    clock.advance(1);
    await assert.rejects(slow, {
      name: 'RequestError',
      code: 'timeout',
      message: '"openPackage" got no reply within 500 ms',
    });
    assert.equal(await fast, null);
    assert.equal(requester.handleReply({ type: 'reply', inReplyTo: 1, ok: true, result: null }), false);
    assert.equal(requester.pending, 0);
  });

  it('rejects everything pending on dispose, and later requests at once', async () => {
    const { requester, clock, posted } = setup();
    const pending = [requester.request({ type: 'runWave', wave: 1 }), requester.request({ type: 'runWave', wave: 2 })];
    requester.dispose();
    for (const p of pending)
      await assert.rejects(p, { code: 'disposed', message: 'The connection closed before a reply came' });
    assert.equal(clock.active, 0);
    await assert.rejects(requester.request({ type: 'runWave', wave: 3 }), { code: 'disposed' });
    assert.equal(posted.length, 2);
    assert.equal(requester.handleReply({ type: 'reply', inReplyTo: 1, ok: true, result: null }), false);
  });

  it('rejects when posting throws', async () => {
    const requester = createRequester(
      () => {
        throw new Error('webview is gone');
      },
      { timeoutMs: 1000, timers: fakeTimers().api },
    );
    await assert.rejects(requester.request({ type: 'runWave', wave: 1 }), {
      code: 'post-failed',
      message: '"runWave" could not be sent: webview is gone',
    });
    assert.equal(requester.pending, 0);
  });

  it('uses the real timers by default', async () => {
    const requester = createRequester(() => undefined, { timeoutMs: 10 });
    await assert.rejects(requester.request({ type: 'runWave', wave: 1 }), { code: 'timeout' });
  });
});

describe('host side helpers', () => {
  it('builds ok and error replies', () => {
    const request: WebviewRequest = { type: 'openPackage', requestId: 7, packageId: 'a' };
    assert.deepEqual(replyTo(request, null), { type: 'reply', inReplyTo: 7, ok: true, result: null });
    assert.deepEqual(replyTo(request, new Error('no such package')), {
      type: 'reply',
      inReplyTo: 7,
      ok: false,
      error: { message: 'no such package' },
    });
    const coded = Object.assign(new Error('busy'), { code: 'lock-held' });
    assert.deepEqual(replyTo(request, coded), {
      type: 'reply',
      inReplyTo: 7,
      ok: false,
      error: { message: 'busy', code: 'lock-held' },
    });
    assert.deepEqual(replyTo(request, Object.assign(new TypeError(''), { code: 42 })), {
      type: 'reply',
      inReplyTo: 7,
      ok: false,
      error: { message: 'TypeError' },
    });
  });

  it('recognises host messages and builds live statuses', () => {
    assert.ok(isHostMessage({ type: 'status', seq: 1, deltas: [] }));
    assert.ok(!isHostMessage({ type: 'ready' }) && !isHostMessage(null) && !isHostMessage('plan'));
    const record = {
      ...createPackageRecord('wp-api'),
      status: 'running' as const,
      attempts: 2,
      startedAt: '2025-03-01T10:00:00.000Z',
    };
    assert.deepEqual(toLiveStatus(record), {
      id: 'wp-api',
      status: 'running',
      attempts: 2,
      startedAt: '2025-03-01T10:00:00.000Z',
      endedAt: null,
      exitCode: null,
      host: null,
    });
    assert.equal(toLiveStatus({ ...record, host: 'build-1' }).host, 'build-1');
  });

  it('works end to end: webview requester, cloned messages, validating host', async () => {
    const clock = fakeTimers();
    const toHost: unknown[] = [];
    const requester = createRequester((message) => toHost.push(structuredClone(message)), {
      timeoutMs: 1000,
      timers: clock.api,
    });
    const host = (raw: unknown): ReplyMessage | undefined => {
      const checked = validateWebviewMessage(raw);
      if (!checked.ok)
        return checked.requestId ? replyTo({ requestId: checked.requestId }, new Error(checked.error)) : undefined;
      if (!('requestId' in checked.message)) return undefined;
      const request = checked.message;
      return replyTo(
        request,
        request.type === 'openPackage' && request.packageId === 'missing' ? new Error('unknown package') : null,
      );
    };
    const ok = requester.request({ type: 'openPackage', packageId: 'wp-api' });
    const failing = requester.request({ type: 'openPackage', packageId: 'missing' });
    const invalid = requester.request({ type: 'revealFile', path: '../outside' });
    const malformed = requester.request({ type: 'runWave', wave: 1, extra: 1 } as never);
    toHost.push({ type: 'openPackage', requestId: 'x', packageId: 'a' }); // no usable id: dropped
    for (const raw of toHost.reverse()) {
      const reply = host(raw);
      if (reply) requester.handleReply(structuredClone(reply));
    }
    assert.equal(await ok, null);
    await assert.rejects(failing, { code: 'remote', message: 'unknown package' });
    await assert.rejects(invalid, { code: 'remote', message: /^revealFile\.path: expected a repo-relative path/ });
    await assert.rejects(malformed, { code: 'remote', message: 'runWave: unexpected key "extra"' });
    assert.equal(requester.pending, 0);
  });
});

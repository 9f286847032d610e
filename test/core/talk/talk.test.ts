/** Agents talk back (ADR 0036): the tools' arguments checked, a path an agent names, and the MCP messages answered. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { answerLine, PROTOCOL_VERSIONS, type ToolResult } from '../../../src/core/talk/mcpProtocol';
import { DEFAULT_LOCK_TTL_S, MAX_HANDOFF_CHARS, MAX_LOCK_KEY_CHARS, MAX_LOCK_TTL_S, MAX_PROGRESS_CHARS, parseTalkCall, repoRelative, TALK_TOOLS } from '../../../src/core/talk/talkTools';

describe('parseTalkCall', () => {
  it('takes each tool with its arguments', () => {
    assert.deepEqual(parseTalkCall('plan_status', undefined), { ok: true, call: { tool: 'plan_status' } });
    assert.deepEqual(parseTalkCall('plan_status', {}), { ok: true, call: { tool: 'plan_status' } });
    assert.deepEqual(parseTalkCall('who_owns', { path: 'src/a.ts' }), { ok: true, call: { tool: 'who_owns', path: 'src/a.ts' } });
    assert.deepEqual(parseTalkCall('progress', { fraction: 0, message: 'starting' }), { ok: true, call: { tool: 'progress', fraction: 0, message: 'starting' } });
    assert.deepEqual(parseTalkCall('progress', { fraction: 1, message: 'done' }), { ok: true, call: { tool: 'progress', fraction: 1, message: 'done' } });
    assert.deepEqual(parseTalkCall('handoff', { note: 'use /v2' }), { ok: true, call: { tool: 'handoff', note: 'use /v2' } });
  });

  it('refuses an unknown tool, arguments that are no object, an unknown argument, and each bad value, saying which', () => {
    const why = (name: unknown, args: unknown) => {
      const r = parseTalkCall(name, args);
      assert.equal(r.ok, false);
      return r.ok ? '' : r.error;
    };
    assert.equal(why('rm_rf', {}), 'no tool "rm_rf": the tools are plan_status, who_owns, request_scope, lock, unlock, progress, handoff, ask');
    assert.equal(why(42, {}), 'no tool "42": the tools are plan_status, who_owns, request_scope, lock, unlock, progress, handoff, ask');
    assert.equal(why('who_owns', ['src/a.ts']), 'who_owns: the arguments must be an object');
    assert.equal(why('who_owns', 'src/a.ts'), 'who_owns: the arguments must be an object');
    assert.equal(why('plan_status', { as: 'other' }), 'plan_status: no argument "as"');
    assert.equal(why('handoff', { note: 'x', packageId: 'ui' }), 'handoff: no argument "packageId"');
    assert.equal(why('who_owns', {}), 'who_owns: path must be a non-empty string');
    assert.equal(why('who_owns', { path: '  ' }), 'who_owns: path must be a non-empty string');
    for (const f of [-0.1, 1.01, Number.NaN, Number.POSITIVE_INFINITY, '0.5', null]) assert.equal(why('progress', { fraction: f, message: 'm' }), 'progress: fraction must be a number from 0 to 1', String(f));
    assert.equal(why('progress', { fraction: 0.5, message: 'x'.repeat(MAX_PROGRESS_CHARS + 1) }), `progress: message is longer than ${MAX_PROGRESS_CHARS} characters`);
    assert.equal(why('handoff', { note: 'x'.repeat(MAX_HANDOFF_CHARS + 1) }), `handoff: note is longer than ${MAX_HANDOFF_CHARS} characters`);
  });

  it('property: never throws, and whatever it takes has the shape its tool declares', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...TALK_TOOLS.map((t) => t.name)), fc.string()), fc.anything(), (name, args) => {
        const r = parseTalkCall(name, args);
        if (!r.ok) return typeof r.error === 'string' && r.error.length > 0;
        const declared = TALK_TOOLS.find((t) => t.name === r.call.tool)!;
        return Object.keys(r.call).every((k) => k === 'tool' || k in declared.inputSchema.properties);
      }),
    );
  });
});

describe('lock and unlock: their arguments', () => {
  it('a key and a whole number of seconds to live (default 10 minutes, at most an hour); unlock takes the key alone', () => {
    assert.deepEqual(parseTalkCall('lock', { key: 'DB:migrations' }), { ok: true, call: { tool: 'lock', key: 'DB:migrations', ttlMs: DEFAULT_LOCK_TTL_S * 1000 } });
    assert.deepEqual(parseTalkCall('lock', { key: 'DB:migrations', ttl_seconds: 30 }), { ok: true, call: { tool: 'lock', key: 'DB:migrations', ttlMs: 30_000 } });
    assert.deepEqual(parseTalkCall('unlock', { key: 'DB:migrations' }), { ok: true, call: { tool: 'unlock', key: 'DB:migrations' } });
    for (const ttl of [0, -1, 1.5, MAX_LOCK_TTL_S + 1, '60']) assert.equal(parseTalkCall('lock', { key: 'k', ttl_seconds: ttl }).ok, false, String(ttl));
    for (const key of ['', '  ', 'a\nb', 'x'.repeat(MAX_LOCK_KEY_CHARS + 1), 7]) {
      assert.equal(parseTalkCall('lock', { key }).ok, false, JSON.stringify(key));
      assert.equal(parseTalkCall('unlock', { key }).ok, false, JSON.stringify(key));
    }
    assert.equal(parseTalkCall('unlock', { key: 'k', ttl_seconds: 5 }).ok, false, 'unlock takes no time');
    assert.equal(parseTalkCall('lock', { key: 'k', holder: 'ui' }).ok, false, 'no holder may be named');
  });
});

describe('repoRelative', () => {
  it('makes a path the repository\'s own, or null when it leads out', () => {
    assert.equal(repoRelative('src/a.ts', '/r'), 'src/a.ts');
    assert.equal(repoRelative('./src//a.ts', '/r'), 'src/a.ts');
    assert.equal(repoRelative('src/x/../a.ts', '/r'), 'src/a.ts');
    assert.equal(repoRelative('src\\a.ts', '/r'), 'src/a.ts');
    assert.equal(repoRelative('/r/src/a.ts', '/r'), 'src/a.ts');
    assert.equal(repoRelative('/r/src/a.ts', '/r/'), 'src/a.ts');
    assert.equal(repoRelative('../a.ts', '/r'), null);
    assert.equal(repoRelative('src/../../a.ts', '/r'), null);
    assert.equal(repoRelative('/rx/a.ts', '/r'), null);
    assert.equal(repoRelative('/etc/passwd', '/r'), null);
    assert.equal(repoRelative('/r', '/r'), null);
    assert.equal(repoRelative('.', '/r'), null);
  });

  it('property: what it gives has no empty, `.` or `..` step and does not start with /', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', '.', '..', '', 'c.ts'), { maxLength: 8 }), fc.boolean(), (parts, absolute) => {
        const p = (absolute ? '/r/' : '') + parts.join('/');
        const r = repoRelative(p, '/r');
        return r === null || (!r.startsWith('/') && r.split('/').every((s) => s !== '' && s !== '.' && s !== '..'));
      }),
    );
  });
});

describe('answerLine (MCP over stdio)', () => {
  const calls: [unknown, unknown][] = [];
  const tool = async (name: unknown, args: unknown): Promise<ToolResult> => {
    calls.push([name, args]);
    if (name === 'boom') throw new Error('the socket went away');
    return { text: `answered ${String(name)}`, isError: false };
  };
  const ask = (msg: unknown) => answerLine(typeof msg === 'string' ? msg : JSON.stringify(msg), tool, '1.2.3');

  it('initializes in the revision the client asks for when it knows it, else its newest', async () => {
    const r = await ask({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-03-26' } });
    assert.deepEqual(r && 'result' in r ? (r.result as { protocolVersion: string; serverInfo: unknown; capabilities: unknown }) : null, {
      protocolVersion: '2025-03-26',
      capabilities: { tools: { listChanged: false } },
      serverInfo: { name: 'waves', version: '1.2.3' },
      instructions: (r as { result: { instructions: string } }).result.instructions,
    });
    const other = await ask({ jsonrpc: '2.0', id: 'a', method: 'initialize', params: { protocolVersion: '1999-01-01' } });
    assert.equal((other as { result: { protocolVersion: string } }).result.protocolVersion, PROTOCOL_VERSIONS[0]);
    assert.equal((other as { id: unknown }).id, 'a');
  });

  it('lists the tools with their schemas, answers ping, and relays a call with its arguments as the tool result', async () => {
    const list = (await ask({ jsonrpc: '2.0', id: 2, method: 'tools/list' })) as { result: { tools: { name: string; inputSchema: unknown }[] } };
    assert.deepEqual(list.result.tools.map((t) => t.name), ['plan_status', 'who_owns', 'request_scope', 'lock', 'unlock', 'progress', 'handoff', 'ask']);
    assert.deepEqual(await ask({ jsonrpc: '2.0', id: 3, method: 'ping' }), { jsonrpc: '2.0', id: 3, result: {} });
    calls.length = 0;
    assert.deepEqual(await ask({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'progress', arguments: { fraction: 0.5, message: 'm' } } }), {
      jsonrpc: '2.0',
      id: 4,
      result: { content: [{ type: 'text', text: 'answered progress' }], isError: false },
    });
    assert.deepEqual(calls, [['progress', { fraction: 0.5, message: 'm' }]]);
    // The relay's failure is the tool's error, never the protocol's: the agent reads why and works on.
    assert.deepEqual(await ask({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'boom' } }), {
      jsonrpc: '2.0',
      id: 5,
      result: { content: [{ type: 'text', text: 'the run could not answer: the socket went away' }], isError: true },
    });
  });

  it('answers nothing to a notification or a response, and the JSON-RPC error to anything malformed', async () => {
    assert.equal(await ask({ jsonrpc: '2.0', method: 'notifications/initialized' }), null);
    assert.equal(await ask({ jsonrpc: '2.0', id: 9, result: {} }), null);
    assert.deepEqual(await ask('{not json'), { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } });
    assert.deepEqual(await ask('[1,2]'), { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'invalid request' } });
    assert.deepEqual(await ask({ id: 7, method: 'ping' }), { jsonrpc: '2.0', id: 7, error: { code: -32600, message: 'invalid request' } });
    assert.deepEqual(await ask({ jsonrpc: '2.0', id: 8, method: 'resources/list' }), { jsonrpc: '2.0', id: 8, error: { code: -32601, message: 'method not found: resources/list' } });
  });

  it('property: any line gets at most one answer and never a throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.json()), async (line) => {
        const r = await answerLine(line, tool, '1');
        return r === null || (r.jsonrpc === '2.0' && ('result' in r || 'error' in r));
      }),
    );
  });
});

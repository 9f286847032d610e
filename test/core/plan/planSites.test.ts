// Where each member of the reader's data was written (src/core/plan/reader/planSites.ts): the direct
// read's packed sites answer every question as the walk's sites (a Map of ranges) do, for
// containers opened inside one another, many of them, large ones, and questions with no answer.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { TextRange } from '../../../src/core/plan/model';
import { setOwn } from '../../../src/core/plan/reader/planData';
import { KeyedSites, MapSites, PackedSites, bindLocate, type Sites } from '../../../src/core/plan/reader/planSites';

/** A tree of containers as a reader would make it: each member with made-up ranges, in the order written. */
type Tree = { list: Tree[] } | { map: [string, Tree][] } | { scalar: number };

/**
 * The data of `tree`, and its sites recorded by both: the walk's way (a range object per member,
 * a container's sites made when it opens) and the direct read's (members gathered while the
 * container is open, packed when it closes, innermost first). Positions grow as the text would.
 */
function build(tree: Tree): { data: unknown; packed: PackedSites; mapped: MapSites } {
  const packed = new PackedSites();
  const mapped = new MapSites();
  let pos = 0;
  const next = () => (pos += 3);
  function walk(node: Tree): unknown {
    if ('scalar' in node) return node.scalar;
    packed.openContainer();
    if ('list' in node) {
      const list: unknown[] = [];
      const ranges: TextRange[] = [];
      mapped.members.set(list, ranges);
      for (const item of node.list) {
        const start = next();
        list.push(walk(item));
        const end = next();
        ranges.push({ start, end });
        packed.item(start, end);
      }
      packed.closeList(list);
      return list;
    }
    const obj: Record<string, unknown> = {};
    const keyed = new KeyedSites();
    mapped.members.set(obj, keyed);
    for (const [key, value] of node.map) {
      if (Object.prototype.hasOwnProperty.call(obj, key)) continue; // the direct read gives up on a repeat
      const keyStart = next();
      const keyEnd = next();
      // Every fifth value empty (`key:` alone): its range is the key's.
      const empty = keyStart % 5 === 0;
      const valueStart = empty ? keyEnd : next();
      setOwn(obj, key, walk(value));
      const valueEnd = empty ? keyEnd : next();
      const keyRange = { start: keyStart, end: keyEnd };
      keyed.set(key, keyRange, empty ? keyRange : { start: valueStart, end: valueEnd });
      packed.entry(key, keyStart, keyEnd, valueStart, valueEnd);
    }
    keyed.trim();
    packed.closeMap(obj);
    return obj;
  }
  return { data: walk(tree), packed, mapped };
}

/** Every container of `data` with every question worth asking of it. */
function* questions(data: unknown): Generator<[object, string | number]> {
  if (data === null || typeof data !== 'object') return;
  const keys: (string | number)[] = Array.isArray(data) ? data.map((_, k) => k) : Object.keys(data);
  for (const key of keys) yield [data, key];
  for (const odd of [-1, 1.5, keys.length, 1e6, '0', 'no such key', 'constructor', '__proto__', NaN]) yield [data, odd];
  for (const key of keys) yield* questions((data as Record<string | number, unknown>)[key]);
}

function assertSame(data: unknown, a: Sites, b: Sites): void {
  for (const [container, key] of questions(data)) {
    for (const part of ['key', 'value'] as const) {
      assert.deepEqual(a.range(container, key, part), b.range(container, key, part), `${part} of ${String(key)}`);
    }
  }
  for (const [container] of questions(data)) {
    const keysOf = (s: Sites) => {
      const out: [TextRange, string][] = [];
      s.forEachKey(container, (range, key) => out.push([range, key]));
      return out;
    };
    assert.deepEqual(keysOf(a), keysOf(b));
  }
}

const tree: fc.Arbitrary<Tree> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('scalar'), tie('list'), tie('map')),
  scalar: fc.record({ scalar: fc.integer() }),
  list: fc.record({ list: fc.array(tie('node'), { maxLength: 6 }) }),
  map: fc.record({ map: fc.array(fc.tuple(fc.constantFrom('a', 'b', 'id', '0', '1', '__proto__', 'toString', 'x y'), tie('node')), { maxLength: 6 }) }),
})).node as fc.Arbitrary<Tree>;

describe('planSites: the direct read’s packed sites', () => {
  it('answer every member’s key and value range, every mapping’s keys, and no answer where there is none, as the walk’s sites do', () => {
    fc.assert(
      fc.property(tree, (t) => {
        const { data, packed, mapped } = build(t);
        assertSame(data, packed, mapped);
      }),
      { numRuns: 300 },
    );
  });

  it('hold thousands of containers, a list of thousands of items and a mapping of hundreds of keys (past their first room and past the keys searched one by one)', () => {
    const many: Tree = {
      list: Array.from({ length: 3000 }, (_, k) => ({
        map: [
          ['id', { scalar: k }],
          ['deps', { list: [{ scalar: 1 }, { scalar: 2 }] }],
          ['scope', { map: [['write', { list: [{ scalar: k }] }]] }],
        ],
      })),
    };
    const wide: Tree = { map: Array.from({ length: 300 }, (_, k) => [`key${k}`, k % 7 === 0 ? { list: [{ scalar: k }] } : { scalar: k }] as [string, Tree]) };
    for (const t of [many, wide, { map: [['many', many], ['wide', wide]] } as Tree]) {
      const { data, packed, mapped } = build(t);
      assertSame(data, packed, mapped);
    }
  });

  it('know nothing of a container they did not record, nor of a list’s member by a key that is not an index', () => {
    const { data, packed } = build({ map: [['list', { list: [{ scalar: 1 }] }]] });
    assert.equal(packed.range({}, 'list', 'value'), undefined);
    assert.equal(packed.range([1], 0, 'value'), undefined);
    const list = (data as { list: unknown[] }).list;
    assert.deepEqual(packed.range(list, 0, 'key'), packed.range(list, 0, 'value'));
    assert.equal(packed.range(list, '0', 'value'), undefined);
    let called = false;
    packed.forEachKey(list, () => (called = true));
    assert.equal(called, false);
  });

  it('locate through them as through the walk’s', () => {
    fc.assert(
      fc.property(tree, fc.array(fc.oneof(fc.nat(4), fc.constantFrom('a', 'b', 'id', '0', 'nope')), { maxLength: 5 }), (t, path) => {
        const { data, packed, mapped } = build(t);
        const root = { start: 0, end: 1e6 };
        for (const part of ['key', 'value'] as const) assert.deepEqual(bindLocate(data, packed, root)(path, part), bindLocate(data, mapped, root)(path, part));
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * Where each member of the reader's canonical data was written: the sites of every container
 * (`Sites`: the walk's `MapSites`, the direct read's `PackedSites`, compact enough for the largest
 * plans) and `locate`, which maps a canonical path back to its range in the text.
 */
import type { TextRange } from '../model';
import { isObject } from './planData';

export type DataPath = ReadonlyArray<string | number>;

/** Where each member of each container of the data was written. */
export interface Sites {
  /** Where member `key` of `container` (a list's index, a mapping's key) was written: its key or its value, if recorded. */
  range(container: object, key: string | number, part: 'key' | 'value'): TextRange | undefined;
  /** Each key of the mapping `container` with its key's range, in the order written. */
  forEachKey(container: object, visit: (keyRange: TextRange, key: string) => void): void;
}

/**
 * For each container of the data: its members' sites, by key (mapping) or index (list). A Map,
 * not a WeakMap: the data holds its containers for as long anyway, and ephemeron tables make
 * garbage collection of a large plan markedly slower.
 */
export type MemberMap = Map<object, Members>;

/**
 * One container's members' sites: a list's, each item's range by index; a mapping's, a
 * `KeyedSites`. A Map and a site object for each member cost about twice as much.
 */
type Members = TextRange[] | KeyedSites;

/** The walk's sites (`planWalk.ts`), which it may add to and change as it converts a dialect. */
export class MapSites implements Sites {
  constructor(readonly members: MemberMap = new Map()) {}

  range(container: object, key: string | number, part: 'key' | 'value'): TextRange | undefined {
    return memberRange(this.members.get(container), key, part);
  }

  forEachKey(container: object, visit: (keyRange: TextRange, key: string) => void): void {
    const members = this.members.get(container);
    if (members && !Array.isArray(members)) members.forEachKey(visit);
  }
}

/** A mapping of more keys than this gets an index of them (`KeyedSites`; `PackedSites`, when first searched). */
const SEARCHED_KEYS = 32;

/**
 * A mapping's members' sites: each key with its key's and its value's range, side by side in one
 * list in the order written. A plan's mappings hold a few keys, searched in order; past
 * `SEARCHED_KEYS`, an index is made, so a mapping of thousands of keys is not searched key by key.
 */
export class KeyedSites {
  /** key, key range, value range, … */
  private flat: (string | TextRange)[] = [];
  private index?: Map<string, number>;

  /** The range of member `key`'s key or value, if it was recorded. */
  range(key: string, part: 'key' | 'value'): TextRange | undefined {
    const at = this.find(key);
    return at < 0 ? undefined : (this.flat[part === 'key' ? at + 1 : at + 2] as TextRange);
  }

  set(key: string, keyRange: TextRange, valueRange: TextRange): void {
    const at = this.find(key);
    if (at >= 0) {
      this.flat[at + 1] = keyRange;
      this.flat[at + 2] = valueRange;
      return;
    }
    this.index?.set(key, this.flat.length);
    this.flat.push(key, keyRange, valueRange);
    if (!this.index && this.flat.length > 3 * SEARCHED_KEYS) {
      this.index = new Map();
      for (let i = 0; i < this.flat.length; i += 3) this.index.set(this.flat[i] as string, i);
    }
  }

  /** Each key with its key's range, in the order written. */
  forEachKey(visit: (keyRange: TextRange, key: string) => void): void {
    for (let i = 0; i < this.flat.length; i += 3) visit(this.flat[i + 1] as TextRange, this.flat[i] as string);
  }

  /** Lets go of the room the list grew with, once the mapping is read (a pushed list keeps spare). */
  trim(): void {
    if (this.flat.length > 0 && !this.index) this.flat = this.flat.slice();
  }

  private find(key: string): number {
    if (this.index) return this.index.get(key) ?? -1;
    const flat = this.flat;
    for (let i = 0; i < flat.length; i += 3) if (flat[i] === key) return i;
    return -1;
  }
}

/**
 * Where member `key` of a container (a list's index, a mapping's key) was written: its key or its
 * value, if recorded. A list's items have no key: their value's range answers for both.
 */
export function memberRange(members: Members | undefined, key: string | number, part: 'key' | 'value'): TextRange | undefined {
  if (members === undefined) return undefined;
  if (Array.isArray(members)) return typeof key === 'number' ? members[key] : undefined;
  return members.range(String(key), part);
}

// ---------------------------------------------------------------------------------------------
// The direct read's sites, packed

/**
 * The sites of the data the direct read (`planDirect.ts`) makes, packed: every offset in one
 * table of 32-bit integers (outside V8's heap, so its collector neither copies nor marks them),
 * every mapping's keys in one list, and one number per container — where its members start in the
 * table. A range object is made only when asked for. Before, the sites of the generated
 * 3,000-package plan were 17 MB of range objects, lists and maps that lived through the read
 * and the model; packed, 2.6 MB.
 *
 * Built as the scanner reads (`openContainer`, then `item`s or `entry`s, then `closeList` or `closeMap`,
 * innermost first); a container's members are gathered on a stack of their own while it is open
 * (an inner container's are written between them) and copied into the table when it closes.
 * Layout at a container's start: a list's item count, then each item's start and end; a
 * mapping's entry count and where its keys start in `names`, then each entry's key start, key
 * end, value start and value end.
 */
export class PackedSites implements Sites {
  private readonly starts = new Map<object, number>();
  private table = new Int32Array(4096);
  private used = 0;
  private readonly names: string[] = [];
  /** The indexes of the mappings of many keys, by their start in the table, made when first searched. */
  private indexes?: Map<number, Map<string, number>>;
  // The open containers' members, innermost last; where each open container's start on them.
  private open = new Int32Array(256);
  private openUsed = 0;
  private readonly openNames: string[] = [];
  private readonly marks: number[] = [];

  range(container: object, key: string | number, part: 'key' | 'value'): TextRange | undefined {
    const at = this.starts.get(container);
    if (at === undefined) return undefined;
    const t = this.table;
    if (Array.isArray(container)) {
      if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key >= t[at]) return undefined;
      const i = at + 1 + 2 * key;
      return { start: t[i], end: t[i + 1] };
    }
    const j = this.find(at, String(key));
    if (j < 0) return undefined;
    const i = at + 2 + 4 * j + (part === 'key' ? 0 : 2);
    return { start: t[i], end: t[i + 1] };
  }

  forEachKey(container: object, visit: (keyRange: TextRange, key: string) => void): void {
    const at = this.starts.get(container);
    if (at === undefined || Array.isArray(container)) return;
    const t = this.table;
    for (let j = 0, count = t[at], first = t[at + 1]; j < count; j++) {
      const i = at + 2 + 4 * j;
      visit({ start: t[i], end: t[i + 1] }, this.names[first + j]);
    }
  }

  // Building

  /** A container opens: its members follow. */
  openContainer(): void {
    this.marks.push(this.openUsed, this.openNames.length);
  }

  /** The open list's next item, `[start, end)`. */
  item(start: number, end: number): void {
    if (this.openUsed + 2 > this.open.length) this.open = grown(this.open, this.openUsed + 2);
    this.open[this.openUsed++] = start;
    this.open[this.openUsed++] = end;
  }

  /** The open mapping's next entry; an empty value (`key:` alone) has the key's range. */
  entry(key: string, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number): void {
    if (this.openUsed + 4 > this.open.length) this.open = grown(this.open, this.openUsed + 4);
    const o = this.open;
    const empty = valueEnd <= valueStart;
    o[this.openUsed++] = keyStart;
    o[this.openUsed++] = keyEnd;
    o[this.openUsed++] = empty ? keyStart : valueStart;
    o[this.openUsed++] = empty ? keyEnd : valueEnd;
    this.openNames.push(key);
  }

  /** The innermost open container, a list, is read. */
  closeList(list: object): void {
    const firstName = this.marks.pop()!;
    const from = this.marks.pop()!;
    const at = this.reserve(1 + (this.openUsed - from));
    this.table[at] = (this.openUsed - from) / 2;
    this.moveOpen(from, at + 1);
    this.openNames.length = firstName;
    this.starts.set(list, at);
  }

  /** The innermost open container, a mapping, is read. */
  closeMap(map: object): void {
    const firstName = this.marks.pop()!;
    const from = this.marks.pop()!;
    const at = this.reserve(2 + (this.openUsed - from));
    this.table[at] = (this.openUsed - from) / 4;
    this.table[at + 1] = this.names.length;
    this.moveOpen(from, at + 2);
    for (let k = firstName; k < this.openNames.length; k++) this.names.push(this.openNames[k]);
    this.openNames.length = firstName;
    this.starts.set(map, at);
  }

  /** The open members from `from` on, moved to the table at `to` (a loop: no view made for each container). */
  private moveOpen(from: number, to: number): void {
    const o = this.open;
    const t = this.table;
    for (let k = from, i = to; k < this.openUsed; k++, i++) t[i] = o[k];
    this.openUsed = from;
  }

  /** Room for `n` more integers at the table's end; where they start. */
  private reserve(n: number): number {
    if (this.used + n > this.table.length) this.table = grown(this.table, this.used + n);
    const at = this.used;
    this.used += n;
    return at;
  }

  /** Which entry of the mapping at `at` has `key`, or -1. */
  private find(at: number, key: string): number {
    const count = this.table[at];
    const first = this.table[at + 1];
    if (count <= SEARCHED_KEYS) {
      for (let j = 0; j < count; j++) if (this.names[first + j] === key) return j;
      return -1;
    }
    this.indexes ??= new Map();
    let index = this.indexes.get(at);
    if (!index) {
      index = new Map();
      for (let j = count - 1; j >= 0; j--) index.set(this.names[first + j], j);
      this.indexes.set(at, index);
    }
    return index.get(key) ?? -1;
  }
}

/** `table`'s integers in a table at least twice as large and of at least `need`. */
function grown(table: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  const larger = new Int32Array(Math.max(need, table.length * 2));
  larger.set(table);
  return larger;
}

// ---------------------------------------------------------------------------------------------
// locate

class Locator {
  constructor(
    private readonly data: unknown,
    private readonly sites: Sites,
    private readonly rootRange: TextRange,
  ) {}

  locate(path: DataPath, part: 'key' | 'value' = 'value'): TextRange {
    let container = this.data;
    // The last member found, and the container it is in (none: the root).
    let found: { container: object; key: string | number } | undefined;
    for (let i = 0; i < path.length; i++) {
      const key = Array.isArray(container) ? Number(path[i]) : String(path[i]);
      if (!isObject(container) || !this.sites.range(container, key, 'value')) break; // the nearest existing ancestor, its key
      found = { container, key };
      if (i === path.length - 1) return this.sites.range(container, key, part)!;
      container = (container as Record<string | number, unknown>)[key];
    }
    return found ? this.sites.range(found.container, found.key, 'key')! : this.rootRange;
  }
}

/** `ReadResult.locate` for `data`: it never throws (the root's range when anything goes wrong). */
export function bindLocate(data: unknown, sites: Sites, rootRange: TextRange): (path: DataPath, part?: 'key' | 'value') => TextRange {
  const locator = new Locator(data, sites, rootRange);
  return (path, part) => {
    try {
      return locator.locate(path, part);
    } catch {
      // a path the locator cannot follow: the problem is shown at the top of the plan
      return rootRange;
    }
  };
}

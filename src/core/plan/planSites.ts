/**
 * Where each member of the reader's canonical data was written: the sites of every container
 * (`Sites`, compact enough for the largest plans) and `locate`, which maps a canonical path
 * back to its range in the text.
 */
import type { TextRange } from './model';
import { isObject } from './planData';

export type DataPath = ReadonlyArray<string | number>;

/**
 * For each container of the data: its members' sites, by key (mapping) or index (list). A Map,
 * not a WeakMap: the data holds its containers for as long anyway, and ephemeron tables make
 * garbage collection of a large plan markedly slower.
 */
export type Sites = Map<object, Members>;

/**
 * One container's members' sites, as compact as a large plan needs (they live through the whole
 * analysis): a list's, each item's range by index; a mapping's, a `KeyedSites`. A Map and a site
 * object for each member cost about twice as much.
 */
type Members = TextRange[] | KeyedSites;

/**
 * A mapping's members' sites: each key with its key's and its value's range, side by side in one
 * list in the order written. A plan's mappings hold a few keys, searched in order; past 32, an
 * index is made, so a mapping of thousands of keys is not searched key by key.
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
    if (!this.index && this.flat.length > 3 * 32) {
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
    let found: { members: Members; key: string | number } | undefined;
    for (let i = 0; i < path.length; i++) {
      const members = isObject(container) ? this.sites.get(container) : undefined;
      const key = Array.isArray(container) ? Number(path[i]) : String(path[i]);
      if (!members || !memberRange(members, key, 'value')) break; // the nearest existing ancestor, its key
      found = { members, key };
      container = (container as Record<string | number, unknown>)[key];
      if (i === path.length - 1) return memberRange(members, key, part)!;
    }
    return found ? memberRange(found.members, found.key, 'key')! : this.rootRange;
  }
}

/** `ReadResult.locate` for `data`: it never throws (the root's range when anything goes wrong). */
export function bindLocate(data: unknown, sites: Sites, rootRange: TextRange): (path: DataPath, part?: 'key' | 'value') => TextRange {
  const locator = new Locator(data, sites, rootRange);
  return (path, part) => {
    try {
      return locator.locate(path, part);
    } catch {
      return rootRange;
    }
  };
}

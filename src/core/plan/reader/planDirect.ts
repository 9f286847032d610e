/**
 * The reader's first two stages in one, for the plans that allow it: the plan scanner
 * (`planScanner.ts`) reads the text straight into the canonical data and its sites, as the walk
 * (`planWalk.ts`) would make them of the scanner's nodes — no document tree in between. A large
 * plan's nodes were most of what its analysis allocated and V8's collector copied.
 *
 * It takes what the scanner takes and what the walk would read without a word: it gives up on a
 * dialect (a key or value the walk reports and converts, often with a fix that reads the nodes)
 * and on a key the walk would read as a repeat, and the reader then parses and walks as before.
 * `test/core/plan/planDirect.test.ts` holds its result to the walk's and to the `yaml` package's.
 */
import type { TextRange } from '../model';
import { fieldShape, ROOT, type Shape } from './planDialects';
import { own, plainScalar, setOwn, type Obj } from './planData';
import { scan, type ScanBuilder } from './planScanner';
import { PackedSites, type Sites } from './planSites';
import { GiveUp } from './leanYaml';

export interface DirectRead {
  /** The canonical data, as `Walker.root` gives it. */
  data: unknown;
  sites: Sites;
  /** As `Walker.rootRange`. */
  rootRange: TextRange;
}

/** The canonical data and its sites of `text`, or undefined when the reader must parse and walk it. */
export function readDirect(text: string): DirectRead | undefined {
  const builder = new DataBuilder();
  const data = scan(text, builder, ROOT);
  if (data === undefined || !builder.rootRange) return undefined;
  const root = builder.rootRange;
  return { data, sites: builder.sites, rootRange: root.end > root.start ? root : { start: 0, end: text.length } };
}

/** The canonical data, built as the scanner reads: the open containers on stacks, innermost last. */
class DataBuilder implements ScanBuilder<unknown, string, Shape | undefined> {
  readonly sites = new PackedSites();
  /** The root mapping's range, once it is read. */
  rootRange?: TextRange;
  private readonly containers: unknown[] = [];
  private readonly shapes: (Shape | undefined)[] = [];

  scalar(value: unknown, _type: unknown, source: string, _start: number, _end: number, shape: Shape | undefined): unknown {
    const v = plainScalar(value, source);
    return v === null && shape?.list ? [] : v;
  }

  key(value: unknown, _type: unknown, source: string): string {
    return typeof value === 'string' ? value : source;
  }

  openMap(shape: Shape | undefined): void {
    this.open({}, shape);
  }

  valueShape(key: string): Shape | undefined {
    const depth = this.shapes.length - 1;
    const shape = this.shapes[depth];
    // A dialect is the walk's to read and report; a repeat (`~` and `"~"`), its to drop.
    if ((shape?.dialects && own(shape.dialects, key)) || own(this.containers[depth] as Obj, key)) throw new GiveUp();
    return fieldShape(shape, key);
  }

  entry(key: string, keyStart: number, keyEnd: number, value: unknown, valueStart: number, valueEnd: number): void {
    const depth = this.shapes.length - 1;
    if (fieldShape(this.shapes[depth], key)?.value?.(value)) throw new GiveUp(); // a value dialect (`verification: tier_b`)
    setOwn(this.containers[depth] as Obj, key, value);
    this.sites.entry(key, keyStart, keyEnd, valueStart, valueEnd);
  }

  closeMap(_flow: boolean, start: number, end: number): unknown {
    const obj = this.close();
    this.sites.closeMap(obj as Obj);
    if (this.containers.length === 0) this.rootRange = { start, end };
    return obj;
  }

  openSeq(shape: Shape | undefined): void {
    this.open([], shape);
  }

  itemShape(): Shape | undefined {
    return this.shapes[this.shapes.length - 1]?.items;
  }

  item(value: unknown, start: number, end: number): void {
    (this.containers[this.containers.length - 1] as unknown[]).push(value);
    this.sites.item(start, end);
  }

  closeSeq(): unknown {
    const list = this.close() as unknown[];
    this.sites.closeList(list);
    return list;
  }

  private open(container: unknown, shape: Shape | undefined): void {
    this.containers.push(container);
    this.shapes.push(shape);
    this.sites.openContainer();
  }

  private close(): unknown {
    this.shapes.pop();
    return this.containers.pop();
  }
}

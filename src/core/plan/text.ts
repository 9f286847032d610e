/** Offsets ↔ line/column for a text, computed once per text; and the character classes the readers share. */

/** A blank or a line break (space, tab, LF, CR). */
export function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

export interface LineColumn {
  /** 0-based line. */
  line: number;
  /** 0-based UTF-16 column. */
  column: number;
}

export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    if (!text.includes('\r')) {
      // (The usual text: its line feeds found by the engine's search, not a loop over every character.)
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
      return;
    }
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 /* \n */) this.starts.push(i + 1);
      else if (c === 13 /* \r */ && text.charCodeAt(i + 1) !== 10) this.starts.push(i + 1);
    }
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** 0-based position of an offset, clamped to the text. */
  position(offset: number): LineColumn {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: o - this.starts[lo] };
  }

  /** Offset of a 0-based position, clamped to the line and the text. */
  offset(line: number, column: number): number {
    if (line < 0) return 0;
    if (line >= this.starts.length) return this.text.length;
    const start = this.starts[line];
    const next = line + 1 < this.starts.length ? this.starts[line + 1] : this.text.length;
    return Math.min(start + Math.max(0, column), next);
  }

  /** Start offset of a 0-based line. */
  lineStart(line: number): number {
    return this.starts[Math.max(0, Math.min(line, this.starts.length - 1))];
  }
}

/**
 * The line feeds of a text, found once: where a line starts or ends, by a binary search instead
 * of reading the line (a plan written on one line — JSON is YAML — has a line of megabytes, and a
 * quick fix per package must not read it each time). Lines end at LF only, as the edits' do.
 */
export class LineFeeds {
  private readonly at: number[] = [];

  constructor(private readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.at.push(i);
  }

  /** Just after the last line feed before `offset` (0 when there is none). */
  lineStart(offset: number): number {
    const k = this.countBefore(offset);
    return k === 0 ? 0 : this.at[k - 1] + 1;
  }

  /** The first line feed at or after `offset`, or the text's length. */
  lineEnd(offset: number): number {
    const k = this.countBefore(offset);
    return k < this.at.length ? this.at[k] : this.text.length;
  }

  /** How many line feeds come before `offset`. */
  private countBefore(offset: number): number {
    let lo = 0;
    let hi = this.at.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.at[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

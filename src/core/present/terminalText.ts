/**
 * Text that fits a terminal: its width in columns — wide characters (CJK, emoji) count two,
 * combining marks none — and text cut with `…` or padded to a width; control and bidi
 * characters (an agent's error text may hold escape sequences) are shown as visible escapes
 * (`\x1b`, `\r`, `\u202e`: visibleText.ts), so nothing an agent prints can move the cursor or
 * reorder a line. And the short times the progress shows (`formatElapsed`, `formatClock`).
 */
import { visibleText } from './visibleText';

/** Made on first use: a segmenter loads ICU's break rules (about 4 ms), which activation and `waves validate` need not pay. */
let segmenter: Intl.Segmenter | undefined;
const graphemes = (text: string) => (segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' })).segment(text);
const ZERO_WIDTH = /^(?:\p{Mn}|\p{Me}|\p{Cf})+$/u;
const EMOJI = /\p{Extended_Pictographic}/u;

/** Whether a code point takes two terminal columns (East Asian Wide/Fullwidth). */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

function graphemeWidth(g: string): number {
  if (ZERO_WIDTH.test(g)) return 0;
  const cp = g.codePointAt(0)!;
  if (isWide(cp) || (EMOJI.test(g) && (g.includes('\ufe0f') || cp >= 0x1f000))) return 2;
  return 1;
}

/**
 * Control and bidi characters (escape sequences, newlines, tabs, overrides) become visible
 * escapes (`visibleText`): nothing can move the cursor or reorder the line.
 */
export function sanitize(text: string): string {
  return visibleText(text);
}

/** Terminal columns `text` takes (after `sanitize`). */
export function displayWidth(text: string): number {
  let w = 0;
  for (const { segment } of graphemes(sanitize(text))) w += graphemeWidth(segment);
  return w;
}

/** `text` cut to at most `width` columns, ending with `…` when cut; never splits a character. */
export function truncate(text: string, width: number): string {
  const clean = sanitize(text);
  if (width <= 0) return '';
  if (displayWidth(clean) <= width) return clean;
  let out = '';
  let w = 0;
  for (const { segment } of graphemes(clean)) {
    const g = graphemeWidth(segment);
    if (w + g > width - 1) break;
    out += segment;
    w += g;
  }
  return `${out}…`;
}

/** `text` cut or padded with spaces to exactly `width` columns. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const cut = truncate(text, width);
  const pad = ' '.repeat(Math.max(0, width - displayWidth(cut)));
  return align === 'left' ? cut + pad : pad + cut;
}

/** `42s`, `3m05s`, `1h02m`; `0s` for less than a second or a negative span. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, '0')}m`;
}

/** Local `HH:MM:SS`. */
export function formatClock(t: number): string {
  const d = new Date(t);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/**
 * Text from a plan or an agent made safe to show a person: every character that
 * could move the cursor, erase a line or reorder what is shown becomes a visible escape, so
 * a terminal or a dialog shows exactly which characters are there. Pure, no I/O.
 *
 * - `\r`, `\n`, `\t` → `\r`, `\n`, `\t` (two characters: a backslash and a letter);
 * - ESC → `\x1b`; every other C0 control (U+0000–U+001F), DEL and C1 control
 *   (U+0080–U+009F) → `\xNN`;
 * - bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), the
 *   directional marks U+200E, U+200F, U+061C, and the line/paragraph separators U+2028,
 *   U+2029 → `\uNNNN` (lowercase hex, e.g. `\u202e`).
 *
 * Everything else — a backslash included — is kept as it is. Only what is shown is escaped:
 * what is stored, hashed or approved stays the exact text.
 */

/** The characters `visibleText` escapes: the one definition of "unsafe to show". */
export const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\r': '\\r', '\n': '\\n', '\t': '\\t' };

function escapeOne(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `s` with every control, bidi or separator character shown as a visible escape (see above). */
export function visibleText(s: string): string {
  return String(s).replace(UNSAFE_CHARACTERS, escapeOne);
}

/** Whether `s` holds a character `visibleText` would escape. */
export function hasUnsafeCharacters(s: string): boolean {
  return new RegExp(UNSAFE_CHARACTERS.source).test(String(s));
}

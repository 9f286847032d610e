/**
 * visibleText: what a person is shown of plan or agent text — no character that
 * moves the cursor, erases a line or reorders the text reaches a terminal or a dialog.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { hasUnsafeCharacters, UNSAFE_CHARACTERS, visibleText } from '../../../src/core/present/visibleText';
import { sanitize } from '../../../src/core/present/terminalText';

const BIDI = [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c];

/** Whether `s` holds any character a terminal or a bidi renderer acts on. */
function hasRaw(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || BIDI.includes(cp) || cp === 0x2028 || cp === 0x2029) return true;
  }
  return false;
}

describe('visibleText', () => {
  it('keeps ordinary text exactly, a backslash included', () => {
    for (const s of [
      '',
      'npm test',
      'echo "ok" && test -f a/x.txt',
      'a\\nb',
      'C:\\work\\x',
      'ünïcödé 日本語 🎉 e\u0301',
      '\u00a0\u00ff\u0100',
    ]) {
      assert.equal(visibleText(s), s);
      assert.equal(hasUnsafeCharacters(s), false, JSON.stringify(s));
    }
  });

  it('shows CR, LF and tab as \\r, \\n, \\t', () => {
    assert.equal(visibleText('evil\rnpm test'), 'evil\\rnpm test');
    assert.equal(visibleText('a\nb'), 'a\\nb');
    assert.equal(visibleText('a\tb'), 'a\\tb');
    assert.equal(visibleText('\r\n'), '\\r\\n');
  });

  it('shows ESC as \\x1b, so an erase-line sequence is visible and inert', () => {
    assert.equal(visibleText('rm -rf ~\x1b[2K\rnpm test'), 'rm -rf ~\\x1b[2K\\rnpm test');
    assert.equal(visibleText('\u001b]0;title\u0007'), '\\x1b]0;title\\x07');
  });

  it('shows every other C0 control, DEL and every C1 control as \\xNN (two lowercase hex digits)', () => {
    for (let cp = 0; cp <= 0x9f; cp++) {
      if (cp >= 0x20 && cp < 0x7f) continue;
      const c = String.fromCharCode(cp);
      const expected = c === '\r' ? '\\r' : c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${cp.toString(16).padStart(2, '0')}`;
      assert.equal(visibleText(`a${c}b`), `a${expected}b`, `U+${cp.toString(16)}`);
      assert.equal(hasUnsafeCharacters(c), true);
    }
    assert.equal(visibleText('\x00\x7f\x9b\x85'), '\\x00\\x7f\\x9b\\x85');
  });

  it('keeps printable ASCII and Latin-1 beyond the C1 block', () => {
    for (let cp = 0x20; cp <= 0xff; cp++) {
      if (cp >= 0x7f && cp <= 0x9f) continue;
      assert.equal(visibleText(String.fromCharCode(cp)), String.fromCharCode(cp));
    }
  });

  it('shows bidi embeddings, overrides, isolates and marks as \\uNNNN', () => {
    for (const cp of BIDI) {
      const c = String.fromCharCode(cp);
      assert.equal(visibleText(`x${c}y`), `x\\u${cp.toString(16).padStart(4, '0')}y`);
      assert.equal(hasUnsafeCharacters(c), true);
    }
    assert.equal(visibleText('npm test \u202e;moc.live//:ptth | hs'), 'npm test \\u202e;moc.live//:ptth | hs');
    assert.equal(visibleText('\u2066a\u2069'), '\\u2066a\\u2069');
    assert.equal(visibleText('\u061c'), '\\u061c');
  });

  it('shows the line and paragraph separators as \\u2028 and \\u2029', () => {
    assert.equal(visibleText('a\u2028b\u2029c'), 'a\\u2028b\\u2029c');
  });

  it('keeps the neighbours of the escaped ranges', () => {
    for (const c of ['\u202f', '\u2065', '\u206a', '\u200d', '\u200b', '\u061b', '\u061d', '\u2027', '\u2010']) {
      assert.equal(visibleText(c), c, `U+${c.charCodeAt(0).toString(16)}`);
    }
  });

  it('never leaves a raw control or bidi character, for any character up to U+FFFF', () => {
    let all = '';
    for (let cp = 0; cp <= 0xffff; cp++) if (cp < 0xd800 || cp > 0xdfff) all += String.fromCharCode(cp);
    const shown = visibleText(all);
    assert.equal(hasRaw(shown), false);
    assert.equal(hasUnsafeCharacters(shown), false);
    // every escape is ASCII: the shown text is no longer than 6× and starts as the input did
    assert.ok(shown.startsWith('\\x00\\x01'));
  });

  it('is idempotent in what it leaves raw: escaping the escaped text changes nothing', () => {
    const once = visibleText('a\r\x1b[2K\u202eb\u0000');
    assert.equal(visibleText(once), once);
  });

  it('is stable across calls (the shared global pattern keeps no state)', () => {
    for (let k = 0; k < 3; k++) {
      assert.equal(hasUnsafeCharacters('x\ry'), true);
      assert.equal(hasUnsafeCharacters('xy'), false);
      assert.equal(visibleText('\r'), '\\r');
    }
    assert.equal(UNSAFE_CHARACTERS.lastIndex, 0);
  });

  it('coerces non-strings the way String() does', () => {
    assert.equal(visibleText(42 as unknown as string), '42');
  });

  it('is the one definition the status table uses', () => {
    const s = 'id\x1b[2J\r\u202e\u2066x\ty\x9b';
    assert.equal(sanitize(s), visibleText(s));
  });
});

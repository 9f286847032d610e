// The line index (src/core/plan/text.ts): offsets ↔ line and column, lines ending at LF, CRLF or
// a lone CR. A text without CR has its lines found by a search for line feeds; held here to the
// definition, character by character, on random texts.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LineIndex } from '../../../src/core/plan/text';

/** Where each line starts, by the definition: after every LF, and after every CR not followed by LF. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] !== '\n')) starts.push(i + 1);
  }
  return starts;
}

describe('plan text: the line index', () => {
  it('property: every line starts where the definition says, with LF, CRLF, lone CRs or none', () => {
    const piece = fc.constantFrom('a', 'bc', ' ', '\n', '\r\n', '\r', '\n\n', 'é', '');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const text = pieces.join('');
        const index = new LineIndex(text);
        const starts = lineStarts(text);
        assert.equal(index.lineCount, starts.length);
        starts.forEach((start, line) => {
          assert.equal(index.lineStart(line), start);
          assert.deepEqual(index.position(start), { line, column: 0 });
        });
        for (let offset = 0; offset <= text.length; offset++) {
          const { line, column } = index.position(offset);
          assert.equal(starts[line] + column, offset, `offset ${offset} of ${JSON.stringify(text)}`);
          assert.ok(line === starts.length - 1 || offset < starts[line + 1]);
        }
      }),
      { numRuns: 500, seed: 20261127 },
    );
  });

  it('a text that ends with a line break has an empty last line', () => {
    assert.equal(new LineIndex('a\nb\n').lineCount, 3);
    assert.equal(new LineIndex('a\r\nb\r\n').lineCount, 3);
    assert.equal(new LineIndex('').lineCount, 1);
  });
});

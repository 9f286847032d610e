import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { editDistance, NearestIds } from '../../../src/core/plan/nearest';

/** The suggestion by comparing with every id (the table of each pair in full): nearest within max(2, ⌊length / 4⌋), earliest on ties. */
function bruteForce(ids: readonly string[], id: string, exclude: string): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(id.length / 4)) + 1;
  for (const candidate of ids) {
    if (candidate === exclude) continue;
    const d = editDistance(id, candidate);
    if (d < bestD) [best, bestD] = [candidate, d];
  }
  return best;
}

describe('NearestIds: did you mean', () => {
  it('suggests the nearest id, the earliest on ties, never the excluded one', () => {
    const near = new NearestIds(['wp-api', 'wp-apx', 'wp-ui', 'frontend']);
    assert.equal(near.nearest('wp-apj', 'x'), 'wp-api');
    assert.equal(near.nearest('wp-apj', 'wp-api'), 'wp-apx');
    assert.equal(near.nearest('frontnd', 'x'), 'frontend');
    assert.equal(near.nearest('database', 'x'), undefined);
  });

  it('agrees with comparing against every id, on random ids', () => {
    const word = fc.array(fc.constantFrom('a', 'b', 'c', '-', '1', 'é', '😀'), { maxLength: 9 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(fc.uniqueArray(word, { maxLength: 30 }), fc.array(word, { minLength: 1, maxLength: 8 }), fc.nat(), (ids, queries, k) => {
        const near = new NearestIds(ids);
        for (const query of queries) {
          const exclude = ids.length ? ids[k % ids.length] : '';
          // Asked twice with other exclusions: the kept two nearest must serve both.
          assert.equal(near.nearest(query, exclude), bruteForce(ids, query, exclude), `${query} excluding ${exclude}`);
          assert.equal(near.nearest(query, ''), bruteForce(ids, query, ''), query);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with comparing against every id among 20,000 look-alike ids', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => `wp-${i}`);
    const near = new NearestIds(ids);
    for (const query of ['wp-1999x', 'wp-x', 'wq-12345', 'w-19999', 'wp-000', 'package-77', 'wp-12345-renamed']) {
      assert.equal(near.nearest(query, 'wp-1999'), bruteForce(ids, query, 'wp-1999'), query);
    }
  });
});

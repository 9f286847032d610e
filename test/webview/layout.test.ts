import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { layoutByWave } from '../../webview/layout';

const opts = { columnWidth: 100, rowHeight: 10, sweeps: 4 };

describe('wave layout', () => {
  it('puts each wave in its own column and packages without a wave last', () => {
    const waves: Record<string, number | null> = { a: 1, b: 2, c: 2, d: 3, x: null };
    const pos = layoutByWave({ ids: Object.keys(waves), wave: (id) => waves[id], edges: [] }, opts);
    assert.equal(pos.get('a')!.x, 0);
    assert.equal(pos.get('b')!.x, 100);
    assert.equal(pos.get('c')!.x, 100);
    assert.equal(pos.get('d')!.x, 200);
    assert.equal(pos.get('x')!.x, 300);
    assert.notEqual(pos.get('b')!.y, pos.get('c')!.y);
  });

  it('orders a wave by its neighbours so that edges do not cross', () => {
    // a1 → b2, a2 → b1: plan order would cross; the sweep puts b2 beside a1.
    const waves: Record<string, number> = { a1: 1, a2: 1, b1: 2, b2: 2 };
    const pos = layoutByWave(
      {
        ids: ['a1', 'a2', 'b1', 'b2'],
        wave: (id) => waves[id],
        edges: [
          { source: 'a1', target: 'b2' },
          { source: 'a2', target: 'b1' },
        ],
      },
      opts,
    );
    assert.ok(pos.get('b2')!.y < pos.get('b1')!.y);
  });

  it('gives every package a distinct position', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `p${i}`);
    const pos = layoutByWave({ ids, wave: (id) => 1 + (Number(id.slice(1)) % 7), edges: ids.slice(1).map((id, i) => ({ source: ids[i], target: id })) }, opts);
    assert.equal(new Set([...pos.values()].map((p) => `${p.x},${p.y}`)).size, 200);
  });
});

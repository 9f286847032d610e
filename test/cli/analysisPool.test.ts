/**
 * The worker thread that analyses large plans (src/plan/analysisPool.ts, bundled as
 * dist/planWorker.js), as the editor and `waves validate` use it: the same analysis as on this
 * thread, waiting requests of a plan asked about again dropped, a dead worker reported.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generatePlan } from '../../bench/generate';
import { analyzePlan, toPortable } from '../../src/core/plan/analyze';
import { AnalysisPool, Superseded } from '../../src/plan/analysisPool';

const root = path.resolve(__dirname, '..', '..');
const script = path.join(root, 'dist', 'planWorker.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-pool-'));

before(() => {
  const r = spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A plan with problems of every stage: YAML dialects, schema, unknown ids, a cycle, overlaps. */
function troubled(count: number): string {
  return (
    generatePlan(count, { compact: false }) +
    ['  - id: dialect', '    depends_on: [wp-0, ghost]', '    priority: high', '    scope:', '      write_allow: ["src/mod1/**"]', '  - package_id: loop-a', '    depends_on: [loop-b]', '  - package_id: loop-b', '    depends_on: [loop-a]', ''].join('\n')
  );
}

describe('the analysis worker thread', () => {
  it('gives the analysis made on this thread: the same plan, diagnostics, conflicts and graph', async () => {
    const pool = new AnalysisPool(script);
    try {
      const text = troubled(400);
      const here = analyzePlan(text, { maxParallel: 4 });
      const there = await pool.analyze(text, 4);
      assert.ok(here.diagnostics.some((d) => d.code === 'dependency-cycle') && here.conflicts.length > 0, 'problems of every kind');
      assert.deepEqual(JSON.parse(JSON.stringify(toPortable(there))), JSON.parse(JSON.stringify(toPortable(here))));
      assert.deepEqual(there.graph.waves, here.graph.waves);
      assert.deepEqual(there.graph.cycles, here.graph.cycles);
      assert.equal(there.text, text);
      assert.deepEqual(there.lines.position(text.length - 5), here.lines.position(text.length - 5));
    } finally {
      pool.dispose();
    }
  });

  it('drops a waiting request when the same plan is asked about again, never one of another plan', async () => {
    const pool = new AnalysisPool(script);
    try {
      const texts = [200, 300, 400, 500].map((n) => generatePlan(n, { compact: false }));
      const first = pool.analyze(texts[0], 10, 'a'); // goes to the worker at once
      const second = pool.analyze(texts[1], 10, 'a'); // waits…
      const other = pool.analyze(texts[2], 10, 'b');
      const third = pool.analyze(texts[3], 10, 'a'); // …and drops the second
      const [r1, r2, rb, r3] = await Promise.allSettled([first, second, other, third]);
      assert.equal(r1.status === 'fulfilled' && r1.value.plan.packages.length, 200);
      assert.ok(r2.status === 'rejected' && r2.reason instanceof Superseded, 'the second was dropped');
      assert.equal(rb.status === 'fulfilled' && rb.value.plan.packages.length, 400);
      assert.equal(r3.status === 'fulfilled' && r3.value.plan.packages.length, 500);
    } finally {
      pool.dispose();
    }
  });

  it('rejects what a dead worker held, and what comes after goes to a new worker', async () => {
    const dying = path.join(tmp, 'dying.js');
    fs.writeFileSync(dying, 'process.exit(3);\n');
    const pool = new AnalysisPool(dying);
    try {
      await assert.rejects(pool.analyze('packages: []\n', 10), /exited with code 3/);
      await assert.rejects(pool.analyze('packages: []\n', 10), /exited with code 3/);
    } finally {
      pool.dispose();
    }
  });
});

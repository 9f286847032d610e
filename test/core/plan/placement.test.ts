import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { isWorkerLabel, requiresOf } from '../../../src/core/plan/placement';
import { isQueueName } from '../../../src/core/coordinator/workQueue';

/** A plan of one package `p` whose `inputs.waves.requires` is `value` (YAML), or none. */
function plan(value?: string): string {
  const lines = ['schema_version: 1', 'feature: {id: f}', 'packages:', '  - package_id: p', '    task_type: implement', '    scope:', '      write_allow: ["src/**"]'];
  if (value !== undefined) lines.push('    inputs:', '      notes: keep it', '      waves:', `        requires: ${value}`);
  return lines.join('\n') + '\n';
}

const diagnose = (value: string) => {
  const text = plan(value);
  return analyzePlan(text).diagnostics.filter((d) => d.code === 'requires-value').map((d) => ({ message: d.message, at: text.slice(d.range.start, d.range.end) }));
};

describe("a package's worker labels (inputs.waves.requires)", () => {
  it('reads the labels, each once; none when it names none', () => {
    const a = analyzePlan(plan('[gpu, macos, gpu]'));
    assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.deepEqual(requiresOf(a.plan.packages[0]!), ['gpu', 'macos']);
    assert.deepEqual(requiresOf(analyzePlan(plan()).plan.packages[0]!), []);
  });

  it('says a malformed value at the value, and an unreadable item at the item', () => {
    assert.match(diagnose('gpu')[0]!.message, /must be a non-empty list of the labels a pull worker must have/);
    assert.equal(diagnose('gpu')[0]!.at, 'gpu');
    assert.match(diagnose('[]')[0]!.message, /non-empty list/);
    const item = diagnose('[gpu, "has space", {a: 1}]');
    assert.deepEqual(item.map((d) => d.at), ['"has space"', '{a: 1}']);
    assert.match(item[0]!.message, /item 2 must be a label of letters, digits and \._:@- \(at most 128, as `waves worker --labels` takes them\); found `has space`/);
    assert.match(item[1]!.message, /item 3 .* found a mapping or list/);
    assert.match(diagnose(`[${Array.from({ length: 17 }, (_, i) => `l${i}`).join(', ')}]`)[0]!.message, /names 17 labels: at most 16/);
  });

  it('reads nothing from a malformed value (the run takes no labels from it)', () => {
    assert.deepEqual(requiresOf(analyzePlan(plan('[gpu, "a b"]')).plan.packages[0]!), []);
  });

  it('takes exactly the labels a worker may offer', () => {
    for (const label of ['gpu', 'macos-14', 'a.b:c@d_e', 'x'.repeat(128), '', '-gpu', 'a b', 'x'.repeat(129), 'é'])
      assert.equal(isWorkerLabel(label), isQueueName(label), label);
  });
});

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { buildPlanView } from '../../../src/core/dag/panelModel';
import type { PackageRunRecord } from '../../../src/core/run/runState';

const demo = fs.readFileSync(path.resolve(__dirname, '../../../examples/demo/work-packages.yaml'), 'utf8');

describe('DAG view model', () => {
  it('has a node per package, an edge per dependency, and marks the critical path', () => {
    const view = buildPlanView(analyzePlan(demo), 'work-packages.yaml');
    assert.equal(view.type, 'plan');
    assert.equal(view.featureId, 'user-profiles');
    assert.deepEqual(
      view.nodes.map((n) => [n.id, n.wave, n.onCriticalPath]),
      [
        ['wp-contracts', 1, true],
        ['wp-db', 2, false],
        ['wp-api', 2, true],
        ['wp-web', 2, false],
        ['wp-docs', 3, true],
        ['wp-integration', 4, true],
      ],
    );
    const deps = view.edges.filter((e) => e.kind === 'dependency');
    assert.equal(deps.length, 8);
    assert.deepEqual(
      deps.filter((e) => e.kind === 'dependency' && e.critical).map((e) => `${e.source}>${e.target}`),
      ['wp-contracts>wp-api', 'wp-api>wp-docs', 'wp-docs>wp-integration'],
    );
    assert.deepEqual(view.problems, { errors: 0, warnings: 0 });
    assert.ok(view.nodes.every((n) => n.status === 'pending' && n.attempts === 0));
    assert.deepEqual(view.nodes.find((n) => n.id === 'wp-api')!.writeScope, ['src/server/routes/**', 'src/server/app.ts', 'tests/api/**']);
  });

  it('adds conflict edges with their witness, and counts problems', () => {
    const text = 'packages:\n  - package_id: a\n    scope: { write_allow: ["src/**"] }\n  - package_id: b\n    scope: { write_allow: ["src/b/x.ts"] }\n';
    const view = buildPlanView(analyzePlan(text), 'p.yaml');
    const conflicts = view.edges.filter((e) => e.kind === 'conflict');
    assert.deepEqual(conflicts, [{ id: 'conflict:write-scope:a↔b', kind: 'conflict', source: 'a', target: 'b', reason: 'write-scope', witness: 'src/b/x.ts' }]);
    assert.equal(view.problems.errors, 2);
  });

  it('takes live statuses from run records', () => {
    const record = { packageId: 'wp-api', status: 'running', attempts: 2, startedAt: '2026-11-23T01:00:00.000Z', endedAt: null, exitCode: null } as PackageRunRecord;
    const view = buildPlanView(analyzePlan(demo), 'work-packages.yaml', { 'wp-api': record });
    const api = view.nodes.find((n) => n.id === 'wp-api')!;
    assert.deepEqual([api.status, api.attempts, api.startedAt, api.host], ['running', 2, '2026-11-23T01:00:00.000Z', null]);
    const remote = buildPlanView(analyzePlan(demo), 'work-packages.yaml', { 'wp-api': { ...record, host: 'build-1' } });
    assert.equal(remote.nodes.find((n) => n.id === 'wp-api')!.host, 'build-1');
    assert.equal(remote.nodes.find((n) => n.id === 'wp-db')!.host, null, 'a package without a record has no host');
  });

  it('draws a coupling (#34 item 3) from the package changing the file to the one importing it, and counts its warning; none once the plan orders them', async () => {
    const { couplingCheck } = await import('../../../src/core/ownership/coupling');
    const text = 'packages:\n  - package_id: wp-a\n    scope: { write_allow: ["src/a/**"] }\n  - package_id: wp-b\n    scope: { write_allow: ["src/b/**"] }\n';
    const analysis = analyzePlan(text);
    const { couplings } = couplingCheck(analysis, [{ fromFile: 'src/b/use.ts', toFile: 'src/a/api.ts' }]);
    const view = buildPlanView(analysis, 'work-packages.yaml', {}, couplings);
    assert.deepEqual(view.edges, [
      { id: 'coupling:wp-a→wp-b', kind: 'coupling', source: 'wp-a', target: 'wp-b', file: 'src/a/api.ts', message: couplings[0].message },
    ]);
    assert.deepEqual(view.problems, { errors: 0, warnings: 1 });
    assert.deepEqual(view.nodes.find((n) => n.id === 'wp-b')!.problems, { errors: 0, warnings: 1, messages: [`warning coupling: ${couplings[0].message}`] });
    const ordered = buildPlanView(analyzePlan(text.replace('  - package_id: wp-b\n', '  - package_id: wp-b\n    depends_on: [wp-a]\n')), 'p.yaml', {}, couplings);
    assert.deepEqual(ordered.edges.map((e) => e.kind), ['dependency']);
    assert.deepEqual(ordered.problems, { errors: 0, warnings: 0 });
  });
});

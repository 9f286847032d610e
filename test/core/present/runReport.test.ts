import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { readResultRecord } from '../../../src/core/run/resultRecord';
import { buildRunReport, criticalPath, formatDuration, type ReportPackageRecord, type RunReportInput } from '../../../src/core/present/runReport';

const root = path.resolve(__dirname, '..', '..', '..');
const demo = analyzePlan(fs.readFileSync(path.join(root, 'examples', 'demo', 'work-packages.yaml'), 'utf8'));
const T0 = Date.parse('2026-01-01T10:00:00.000Z');
const at = (min: number) => new Date(T0 + min * 60_000).toISOString();

function rec(status: string, start: number | null, end: number | null, over: Partial<ReportPackageRecord> = {}): ReportPackageRecord {
  return {
    status,
    attempts: start === null ? 0 : 1,
    startedAt: start === null ? null : at(start),
    endedAt: end === null ? null : at(end),
    exitCode: end === null ? null : 0,
    lastError: null,
    scopeViolations: [],
    ...over,
  };
}

function input(over: Partial<RunReportInput> = {}): RunReportInput {
  return {
    state: {
      featureId: 'user-profiles',
      runId: 'r1',
      planFile: 'examples/demo/work-packages.yaml',
      packages: {
        'wp-contracts': rec('succeeded', 0, 10),
        'wp-db': rec('succeeded', 10, 30),
        'wp-api': rec('succeeded', 10, 50, { attempts: 2, changedFiles: [{ path: 'src/server/app.ts', change: 'M' }] }),
        'wp-web': rec('scope-violation', 10, 25, { lastError: 'changed files outside its scope', scopeViolations: [{ path: 'src/server/app.ts', change: 'M' }] }),
        'wp-docs': rec('succeeded', 50, 60),
        'wp-integration': rec('succeeded', 60, 80),
      },
      merges: { 'wp-contracts': { status: 'merged' }, 'wp-web': { status: 'skipped' } },
    },
    analysis: demo,
    results: {
      'wp-contracts': readResultRecord(JSON.stringify({ version: 1, package_id: 'wp-contracts', status: 'done', files_modified: ['contracts/openapi.yaml'], decisions: ['v1 paths'], pending_actions: ['Publish the contract'], result_keys: { contract_revision: 2 } })),
      'wp-api': readResultRecord(JSON.stringify({ version: 1, package_id: 'wp-api', status: 'partial', files_modified: ['src/server/app.ts', 'contracts/openapi.yaml'], pending_actions: ['publish  the contract'], result_keys: { files_modified: 2 }, notes: 'tests | flaky' })),
      'wp-db': readResultRecord(null),
    },
    maxParallel: 3,
    ...over,
  };
}

describe('buildRunReport', () => {
  const { json, markdown } = buildRunReport(input());

  it('computes the time metrics from actual durations', () => {
    assert.deepEqual(json.metrics, {
      maxParallel: 3,
      wallMs: 80 * 60_000,
      sumMs: 115 * 60_000,
      speedUp: 1.44,
      criticalPathMs: 80 * 60_000,
      criticalPath: ['wp-contracts', 'wp-api', 'wp-docs', 'wp-integration'],
      idleSlotMs: (3 * 80 - 115) * 60_000,
      timedPackages: 6,
    });
  });

  it('lists every package with status, attempts, duration, exit, violations, merge', () => {
    assert.deepEqual(json.packages.map((p) => p.id), ['wp-contracts', 'wp-db', 'wp-api', 'wp-web', 'wp-docs', 'wp-integration']);
    const api = json.packages.find((p) => p.id === 'wp-api')!;
    assert.deepEqual(
      { attempts: api.attempts, durationMs: api.durationMs, resultStatus: api.resultStatus, missing: api.missingResultKeys, changed: api.changedFiles },
      { attempts: 2, durationMs: 40 * 60_000, resultStatus: 'partial', missing: ['test_count'], changed: [{ path: 'src/server/app.ts', change: 'M' }] },
    );
    const web = json.packages.find((p) => p.id === 'wp-web')!;
    assert.deepEqual(web.violations, [{ path: 'src/server/app.ts', change: 'M' }]);
    assert.equal(web.merge, 'skipped');
    assert.deepEqual(json.packages.find((p) => p.id === 'wp-db')!.resultWarnings, ['no result record: the agent did not write one']);
    assert.deepEqual(json.counts, { 'scope-violation': 1, succeeded: 5 });
  });

  it('merges the result records', () => {
    assert.deepEqual(json.merged.filesModified, ['contracts/openapi.yaml', 'src/server/app.ts']);
    assert.deepEqual(json.merged.pendingActions, [{ action: 'Publish the contract', packages: ['wp-contracts', 'wp-api'] }]);
    assert.deepEqual(json.merged.decisions, [{ packageId: 'wp-contracts', decision: 'v1 paths' }]);
  });

  it('lists the files git saw in the merged packages, not the records\' claims, and flags a claim that is not true (#16)', () => {
    const r = buildRunReport(
      input({
        state: {
          featureId: 'f',
          runId: 'r',
          packages: {
            'wp-contracts': rec('succeeded', 0, 10, { changedFiles: [{ path: 'contracts/openapi.yaml', change: 'A' }] }),
            'wp-api': rec('succeeded', 10, 20, { changedFiles: [{ path: 'src/server/app.ts', change: 'M' }] }),
            'wp-web': rec('scope-violation', 10, 20, { changedFiles: [{ path: 'src/web/x.ts', change: 'A' }] }),
          },
          merges: { 'wp-contracts': { status: 'merged' }, 'wp-api': { status: 'merged' }, 'wp-web': { status: 'skipped' } },
        },
      }),
    );
    assert.deepEqual(r.json.filesChanged, [
      { path: 'contracts/openapi.yaml', changes: ['A'], packages: ['wp-contracts'] },
      { path: 'src/server/app.ts', changes: ['M'], packages: ['wp-api'] },
    ]);
    // wp-api's record claims contracts/openapi.yaml, which it never changed.
    assert.deepEqual(r.json.packages.find((p) => p.id === 'wp-api')!.claimedNotChanged, ['contracts/openapi.yaml']);
    assert.deepEqual(r.json.packages.find((p) => p.id === 'wp-contracts')!.claimedNotChanged, []);
    assert.match(r.markdown, /its record lists files it did not change: contracts\/openapi\.yaml/);
    assert.match(r.markdown, /## Files changed\n\nWhat git saw[^\n]*\n\n- `contracts\/openapi\.yaml` \(A, wp-contracts\)\n- `src\/server\/app\.ts` \(M, wp-api\)\n/);
    assert.doesNotMatch(r.markdown, /src\/web\/x\.ts` \(A/, 'a package that did not merge adds nothing to what changed');
  });

  it('writes Markdown with the metrics, a package table and the merged results', () => {
    assert.match(markdown, /^# Run report: User profiles with avatars\n/);
    assert.match(markdown, /\| wall time \| 1h 20m 00s \|/);
    assert.match(markdown, /\| sum of package times \| 1h 55m 00s \(6 packages timed\) \|/);
    assert.match(markdown, /\| achieved speed-up \| 1\.44× \|/);
    assert.match(markdown, /\| critical-path time \| 1h 20m 00s \(wp-contracts → wp-api → wp-docs → wp-integration\) \|/);
    assert.match(markdown, /\| idle slots \(cap 3 × wall − busy\) \| 2h 05m 00s \|/);
    assert.match(markdown, /\| `wp-web` Profile page \| scope-violation \| 1 \| 15m 00s \| 0 \| skipped \| changed files outside its scope; outside its scope: M src\/server\/app\.ts \|/);
    assert.match(markdown, /result keys missing: test_count; its record says partial/);
    assert.match(markdown, /- \[ \] Publish the contract \(wp-contracts, wp-api\)/);
    assert.match(markdown, /- \*\*wp-api\*\*: tests \\\| flaky/, 'pipes escaped');
    const rows = markdown.split('\n').filter((l) => l.startsWith('| `'));
    for (const row of rows) assert.equal(row.replace(/\\\|/g, '').split('|').length, 9, row);
  });

  it('is deterministic and JSON-serialisable', () => {
    const again = buildRunReport(input());
    assert.equal(again.markdown, markdown);
    assert.deepEqual(JSON.parse(JSON.stringify(again.json)), json);
  });

  it('copes with a run where nothing has finished, unknown packages and bad times', () => {
    const r = buildRunReport(
      input({
        state: {
          featureId: 'f',
          runId: 'r',
          packages: { 'wp-api': rec('running', 5, null), ghost: rec('failed', null, null), 'wp-db': { ...rec('failed', 0, 0), startedAt: 'yesterday' } },
        },
        results: {},
        maxParallel: 0,
      }),
    );
    assert.deepEqual(
      { wall: r.json.metrics.wallMs, speed: r.json.metrics.speedUp, idle: r.json.metrics.idleSlotMs, cp: r.json.metrics.criticalPathMs, cap: r.json.metrics.maxParallel },
      { wall: null, speed: null, idle: null, cp: 0, cap: 1 },
    );
    assert.equal(r.json.packages.find((p) => p.id === 'ghost')!.status, 'failed');
    assert.equal(r.json.packages.find((p) => p.id === 'wp-web')!.status, 'not in run');
    assert.match(r.markdown, /\| wall time \| — \|/);
  });
});

describe('a plan of plans (ADR 0035)', () => {
  it("sums each parent's leaves up — their count, time, files, decisions, pending actions, spend — and says each file once, by the leaf that changed it", () => {
    const plan = analyzePlan(
      ['schema_version: 1', 'feature: {id: shop}', 'packages:', '  - package_id: api', '    depends_on: [api__users, api__docs]', '  - package_id: api__users', '    depends_on: [api__users__model]', '  - package_id: api__users__model', '  - package_id: api__docs', '  - package_id: ui', '    depends_on: [api]'].join('\n'),
    );
    const spend = (costUsd: number) => ({ inputTokens: 10, outputTokens: 5, cachedTokens: 0, costUsd });
    const r = buildRunReport({
      state: {
        featureId: 'shop',
        runId: 'r',
        packages: {
          api__users__model: rec('succeeded', 0, 5, { changedFiles: [{ path: 'src/api/users/model.ts', change: 'A' }], spend: spend(0.5) }),
          api__users: rec('succeeded', 5, 6, { changedFiles: [{ path: 'src/api/users/model.ts', change: 'A' }] }),
          api__docs: rec('succeeded', 1, 4, { changedFiles: [{ path: 'src/api/README.md', change: 'A' }], spend: spend(0.25) }),
          api: rec('succeeded', 6, 8, { changedFiles: [{ path: 'src/api/README.md', change: 'A' }, { path: 'src/api/users/model.ts', change: 'A' }] }),
          ui: rec('succeeded', 8, 9, { changedFiles: [{ path: 'src/ui/page.tsx', change: 'A' }] }),
        },
        merges: Object.fromEntries(['api__users__model', 'api__users', 'api__docs', 'api', 'ui'].map((id) => [id, { status: 'merged' }])),
      },
      analysis: plan,
      results: {
        api__users__model: readResultRecord(JSON.stringify({ version: 1, package_id: 'api__users__model', status: 'done', decisions: ['ids are UUIDs'], pending_actions: ['Migrate the old users'] })),
        ui: readResultRecord(JSON.stringify({ version: 1, package_id: 'ui', status: 'done', decisions: ['no paging'] })),
        // A join runs no agent: its record is missing, as the engine reads it.
        api: readResultRecord(null),
      },
      maxParallel: 3,
      joins: { api: ['api__users', 'api__docs'], api__users: ['api__users__model'] },
    });
    assert.deepEqual(r.json.counts, { succeeded: 3 }, 'the leaves, as the status bar counts them');
    // The busy time is the leaves' (model 5, docs 3, ui 1 minutes): a join's own attempt is timed on the path, not summed as work.
    assert.deepEqual([r.json.metrics.sumMs, r.json.metrics.timedPackages, r.json.metrics.wallMs], [9 * 60_000, 3, 9 * 60_000]);
    assert.deepEqual(r.json.metrics.criticalPath, ['api__users__model', 'api__users', 'api', 'ui']);
    assert.deepEqual(r.json.packages.find((p) => p.id === 'api')!.resultWarnings, [], 'no "the agent did not write one" of a parent');
    assert.match(r.markdown, /^3 succeeded$/m);
    assert.deepEqual(r.json.parents, [
      { id: 'api', leaves: ['api__users__model', 'api__docs'], succeeded: 2, wallMs: 8 * 60_000, files: ['src/api/README.md', 'src/api/users/model.ts'], decisions: 1, pendingActions: ['Migrate the old users'], spend: { inputTokens: 20, outputTokens: 10, cachedTokens: 0, costUsd: 0.75 } },
      { id: 'api__users', leaves: ['api__users__model'], succeeded: 1, wallMs: 6 * 60_000, files: ['src/api/users/model.ts'], decisions: 1, pendingActions: ['Migrate the old users'], spend: { inputTokens: 10, outputTokens: 5, cachedTokens: 0, costUsd: 0.5 } },
    ]);
    assert.deepEqual(r.json.filesChanged.map((f) => [f.path, f.packages]), [['src/api/README.md', ['api__docs']], ['src/api/users/model.ts', ['api__users__model']], ['src/ui/page.tsx', ['ui']]]);
    assert.match(r.markdown, /## Sub-plans\n\nEach parent's work is the packages below it:\n\n\| parent \|[^\n]*\n\|---[^\n]*\n\| `api` \| 2\/2 succeeded \| 8m 00s \| 2 \| 1 \| Migrate the old users \| [^|]*\$0\.75[^|]* \|\n/);
    assert.equal(buildRunReport(input()).json.parents, undefined, 'a flat plan has no parents');
    assert.doesNotMatch(buildRunReport(input()).markdown, /## Sub-plans/);
  });
});

describe("agents' notes for their dependents (ADR 0036)", () => {
  it('lists each note under its package, in JSON and Markdown; a run without any has no such section', () => {
    const plan = analyzePlan(['schema_version: 1', 'feature: {id: shop}', 'packages:', '  - package_id: api', '  - package_id: ui', '    depends_on: [api]'].join('\n'));
    const r = buildRunReport({
      state: { featureId: 'shop', runId: 'r', packages: { api: rec('succeeded', 0, 5, { handoffs: ['the endpoint is /v2/users', 'paging | by cursor'] }), ui: rec('succeeded', 5, 6) }, merges: {} },
      analysis: plan,
      results: {},
      maxParallel: 2,
    });
    assert.deepEqual(r.json.packages.map((p) => [p.id, p.handoffs]), [['api', ['the endpoint is /v2/users', 'paging | by cursor']], ['ui', []]]);
    assert.match(r.markdown, /\n## Notes for dependents\n\n- \*\*api\*\*: the endpoint is \/v2\/users\n- \*\*api\*\*: paging \\\| by cursor\n/);
    assert.doesNotMatch(buildRunReport(input()).markdown, /## Notes for dependents/);
  });
});

describe('a run without walls', () => {
  const plan = analyzePlan('packages:\n  - package_id: a\n');
  const report = (extra: { unconfined?: boolean; containerWall?: boolean }) => buildRunReport({ state: { featureId: 'f', runId: 'r', packages: {}, ...extra }, analysis: plan, results: {}, maxParallel: 2 });

  it('says whether the person turned the walls off or made the container their wall; a walled run says neither', () => {
    const off = report({ unconfined: true });
    assert.match(off.markdown, /\*\*The agents of this run ran without walls\*\* \(the person chose it: `--unconfined`/);
    assert.deepEqual([off.json.unconfined, 'containerWall' in off.json], [true, false]);
    const container = report({ unconfined: true, containerWall: true });
    assert.match(container.markdown, /\*\*The agents of this run ran without bubblewrap: the container was their wall\*\* \(the person chose it: `--container-is-wall` or `waves\.sandbox\.container`\)/);
    assert.doesNotMatch(container.markdown, /ran without walls/);
    assert.deepEqual([container.json.unconfined, container.json.containerWall], [true, true]);
    const walled = report({});
    assert.doesNotMatch(walled.markdown, /without walls|without bubblewrap/);
    assert.deepEqual([walled.json.unconfined, 'containerWall' in walled.json], [false, false]);
  });
});

describe('unowned writes (#8)', () => {
  const plan = analyzePlan(
    'packages:\n  - package_id: a\n    scope: { write_allow: ["src/a/**"] }\n  - package_id: b\n    scope: { write_allow: ["src/b.ts"] }\n',
  );
  const run = (packages: Record<string, ReportPackageRecord>) =>
    buildRunReport({ state: { featureId: 'f', runId: 'r', packages }, analysis: plan, results: {}, maxParallel: 2 });

  it('lists changed files no package may write, once per package, sorted, in JSON and Markdown', () => {
    const { json, markdown } = run({
      a: rec('succeeded', 0, 5, {
        changedFiles: [
          { path: 'src/a/x.ts', change: 'A' },
          { path: 'README.md', change: 'M' },
        ],
      }),
      // b's own violation of a's scope is owned (by a): only the truly unowned file is listed
      b: rec('scope-violation', 0, 5, {
        changedFiles: [{ path: 'src/a/y.ts', change: 'A' }, { path: '.env', change: '?' }],
        scopeViolations: [{ path: 'src/a/y.ts', change: 'A' }, { path: '.env', change: '?' }],
      }),
    });
    assert.deepEqual(json.unownedWrites, [
      { path: '.env', change: '?', packageId: 'b' },
      { path: 'README.md', change: 'M', packageId: 'a' },
    ]);
    assert.match(markdown, /## Unowned writes\n\nFiles changed that no package of the plan may write:\n\n- `\.env` \(\?, by b\)\n- `README\.md` \(M, by a\)\n/);
  });

  it('is empty, with no section, when every change is owned', () => {
    const { json, markdown } = run({ a: rec('succeeded', 0, 5, { changedFiles: [{ path: 'src/a/x.ts', change: 'M' }] }) });
    assert.deepEqual(json.unownedWrites, []);
    assert.doesNotMatch(markdown, /Unowned writes/);
  });
});

describe('criticalPath', () => {
  const plan = (edges: Record<string, string[]>) => Object.entries(edges).map(([id, deps]) => ({ id, dependsOn: deps.map((value) => ({ value })) }));

  it('survives cycles and unknown dependencies', () => {
    const r = criticalPath(plan({ a: ['b'], b: ['a'], c: ['zzz', 'c'] }), new Map([['a', 5], ['b', 7], ['c', 1]]));
    assert.ok(r.ms >= 7 && r.ms <= 12);
    assert.ok(r.chain.length >= 1);
  });

  it('property: equals the longest path found by enumerating every chain of a random DAG', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1))), fc.array(fc.nat(1000), { minLength: n, maxLength: n }))), ([n, pairs, ms]) => {
        const edges: Record<string, string[]> = {};
        for (let i = 0; i < n; i++) edges[`p${i}`] = [];
        for (const [a, b] of pairs) if (a > b) edges[`p${a}`].push(`p${b}`); // edges only to lower ids: a DAG
        const durations = new Map(ms.map((d, i) => [`p${i}`, d]));
        const brute = (id: string): number => (durations.get(id) ?? 0) + Math.max(0, ...edges[id].map(brute));
        const expected = Math.max(...Object.keys(edges).map(brute));
        const r = criticalPath(plan(edges), durations);
        assert.equal(r.ms, expected);
        if (expected > 0) {
          assert.equal(r.chain.reduce((s, id) => s + (durations.get(id) ?? 0), 0), expected);
          for (let k = 1; k < r.chain.length; k++) assert.ok(edges[r.chain[k]].includes(r.chain[k - 1]), 'a real chain');
        }
      }),
    );
  });
});

describe('formatDuration', () => {
  it('formats', () => {
    assert.deepEqual([0, 6200, 65_000, 3_723_000, null].map(formatDuration), ['0s', '6.2s', '1m 05s', '1h 02m 03s', '—']);
  });
});

describe('scope granted at run time (ADR 0036)', () => {
  it('lists each package\'s granted paths, in JSON and Markdown; a run without any has no such section', () => {
    const plan = analyzePlan(['schema_version: 1', 'feature: {id: shop}', 'packages:', '  - package_id: api', '  - package_id: ui'].join('\n'));
    const r = buildRunReport({
      state: { featureId: 'shop', runId: 'r', packages: { api: rec('succeeded', 0, 5, { granted: [{ paths: ['docs/api.md', 'docs/v2/**'], reason: 'its pages', at: at(2) }] }), ui: rec('succeeded', 0, 6) }, merges: {} },
      analysis: plan,
      results: {},
      maxParallel: 2,
    });
    assert.deepEqual(r.json.packages.map((p) => [p.id, p.granted]), [['api', ['docs/api.md', 'docs/v2/**']], ['ui', []]]);
    assert.match(r.markdown, /\n## Scope granted at run time\n\n- \*\*api\*\*: `docs\/api\.md`, `docs\/v2\/\*\*`\n/);
    assert.doesNotMatch(buildRunReport(input()).markdown, /## Scope granted at run time/);
  });
});

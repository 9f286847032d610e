/**
 * Planned claims, the pure part (`src/core/coordinator/sharedCoordinator.ts`): what an
 * approved plan claims (write scopes, file locks, canonical lock keys), where another feature's
 * planned claims meet a plan (glob-exact overlap with a witness, equal lock keys), and the line
 * a person reads.
 *
 * Run: node --import tsx --test test/core/coordinator/plannedClaims.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { overlap } from '../../../src/core/plan/glob';
import { claimRange, plannedClaimsOf, plannedConflicts, plannedConflictText, type PlannedClaim, type PlannedClaimInput } from '../../../src/core/coordinator/sharedCoordinator';

const PLAN = `schema_version: 1
feature:
  id: shop
packages:
  - package_id: wp-api
    title: API
    task_type: implement
    scope:
      write_allow: ["src/api/**", "src/api/**"]
    locks:
      files: ["db/schema.sql"]
      keys: ["api:get /v1/users"]
  - package_id: wp-web
    title: Web
    task_type: implement
    depends_on: [wp-api]
    scope:
      write_allow: ["src/web/**"]
`;

const claim = (featureId: string, c: PlannedClaimInput, extra: Partial<PlannedClaim> = {}): PlannedClaim => ({
  ...c,
  featureId,
  planId: `${featureId}-plan`,
  driver: 'ana',
  host: 'build-01',
  clone: '/home/ana/app',
  approvedAt: '2026-11-25T01:00:00.000Z',
  ...extra,
});

describe('plannedClaimsOf', () => {
  it('lists each package’s write scopes, file locks and canonical lock keys once, in plan order', () => {
    const claims = plannedClaimsOf(analyzePlan(PLAN).plan);
    assert.deepEqual(claims, [
      { packageId: 'wp-api', kind: 'write', key: 'src/api/**' },
      { packageId: 'wp-api', kind: 'file', key: 'db/schema.sql' },
      { packageId: 'wp-api', kind: 'key', key: 'api:GET /v1/users' },
      { packageId: 'wp-web', kind: 'write', key: 'src/web/**' },
    ]);
  });

  it('a plan without packages claims nothing', () => {
    assert.deepEqual(plannedClaimsOf({ packages: [] }), []);
  });
});

describe('claimRange (where the editor puts a conflict)', () => {
  it('is the entry that makes each claim — the glob, the lock file, the lock key as written — else the package id', () => {
    const { plan } = analyzePlan(PLAN);
    const at = (c: PlannedClaimInput) => {
      const r = claimRange(plan, c);
      return r && PLAN.slice(r.start, r.end);
    };
    const texts = plannedClaimsOf(plan).map(at);
    assert.deepEqual(texts, ['"src/api/**"', '"db/schema.sql"', '"api:get /v1/users"', '"src/web/**"'], 'each scalar as written, quotes included');
    assert.equal(at({ packageId: 'wp-web', kind: 'key', key: 'api:GET /nothing' }), 'wp-web', 'a claim the plan no longer makes: its package');
    assert.equal(at({ packageId: 'gone', kind: 'write', key: 'x/**' }), null);
  });
});

describe('plannedConflicts', () => {
  const mine = plannedClaimsOf(analyzePlan(PLAN).plan);

  it('an equal lock key of another feature is exact (compared after canonicalLockKey)', () => {
    const theirs = claim('billing', { packageId: 'wp-users', kind: 'key', key: 'api:GET /v1/users' });
    const found = plannedConflicts('shop', mine, [theirs]);
    assert.equal(found.length, 1);
    assert.deepEqual(found[0], { mine: { packageId: 'wp-api', kind: 'key', key: 'api:GET /v1/users' }, theirs, witness: 'api:GET /v1/users', exact: true });
  });

  it('globs meet when some path is covered by both — write scopes and file locks either side — with overlap()’s witness; never exact', () => {
    const theirs = [
      claim('billing', { packageId: 'wp-b', kind: 'write', key: 'src/*/users.ts' }),
      claim('billing', { packageId: 'wp-c', kind: 'file', key: 'db/**' }),
      claim('billing', { packageId: 'wp-d', kind: 'write', key: 'docs/**' }),
    ];
    const found = plannedConflicts('shop', mine, theirs);
    assert.deepEqual(
      found.map((c) => [c.mine.packageId, c.mine.key, c.theirs.packageId, c.witness, c.exact]),
      [
        ['wp-api', 'src/api/**', 'wp-b', overlap('src/api/**', 'src/*/users.ts'), false],
        ['wp-api', 'db/schema.sql', 'wp-c', 'db/schema.sql', false],
        ['wp-web', 'src/web/**', 'wp-b', overlap('src/web/**', 'src/*/users.ts'), false],
      ],
    );
    assert.equal(found[0]!.witness, 'src/api/users.ts');
  });

  it('the feature’s own planned claims, other keys, and a key against a glob never meet', () => {
    const theirs = [
      claim('shop', { packageId: 'wp-api', kind: 'key', key: 'api:GET /v1/users' }),
      claim('shop', { packageId: 'wp-api', kind: 'write', key: 'src/api/**' }),
      claim('billing', { packageId: 'wp-x', kind: 'key', key: 'api:GET /v1/orders' }),
      claim('billing', { packageId: 'wp-y', kind: 'write', key: 'api:GET /v1/users' }),
      claim('billing', { packageId: 'wp-z', kind: 'write', key: 'srcx/**' }),
    ];
    assert.deepEqual(plannedConflicts('shop', mine, theirs), []);
  });
});

describe('plannedConflictText', () => {
  it('names this plan’s package and key, the other feature, its package, who and where, and the witness', () => {
    const [key] = plannedConflicts('shop', plannedClaimsOf(analyzePlan(PLAN).plan), [claim('billing', { packageId: 'wp-users', kind: 'key', key: 'api:GET /v1/users' })]);
    assert.equal(
      plannedConflictText(key!),
      "wp-api's lock key api:GET /v1/users meets the same planned by feature billing: its package wp-users, approved by ana on build-01 (/home/ana/app) at 2026-11-25T01:00:00.000Z",
    );
    const [glob] = plannedConflicts('shop', [{ packageId: 'wp-web', kind: 'write', key: 'src/web/**' }], [claim('billing', { packageId: 'wp-b', kind: 'file', key: 'src/web/app.ts' })]);
    assert.equal(
      plannedConflictText(glob!),
      "wp-web's write scope src/web/** meets the file lock src/web/app.ts planned by feature billing (both cover src/web/app.ts): its package wp-b, approved by ana on build-01 (/home/ana/app) at 2026-11-25T01:00:00.000Z",
    );
  });
});

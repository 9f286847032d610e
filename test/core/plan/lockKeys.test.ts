import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { checkLockKey } from '../../../src/core/plan/lockKeys';

describe('lock keys', () => {
  const ok = [
    'api:GET /v1/users',
    'api:POST /search/code',
    'db:migration-slot',
    'db:schema:users',
    'db:schema:user_roles2',
    'event:user.created',
    'event:billing',
    'flag:billing/*',
    'flag:billing/new-ui',
    'env:shared-fixtures',
    'contract:openapi/v1.yaml',
    'feature:FEAT-123:pause',
    'feature:gen-eval:traceability',
  ];
  for (const key of ok) {
    it(`accepts ${key}`, () => assert.equal(checkLockKey(key).ok, true));
  }

  const namespace = ['bridge:capability_probes', 'mcp:feature_registry_tools', 'src/api/users.py', ':x', 'API:GET /x'];
  for (const key of namespace) {
    it(`rejects the namespace of ${key}`, () => {
      const v = checkLockKey(key);
      assert.equal(v.ok, false);
      assert.equal(!v.ok && v.kind, 'namespace');
    });
  }

  const forms: [string, string | undefined][] = [
    ['api:get /v1/users', 'api:GET /v1/users'],
    ['api:GET  /v1/users', 'api:GET /v1/users'],
    ['api:GET v1/users', undefined],
    ['api:/v1/users', undefined],
    ['db:schema:Users', 'db:schema:users'],
    ['db:users', undefined],
    ['event:User.Created', 'event:user.created'],
    ['event:user created', undefined],
    ['flag:Billing/New', 'flag:billing/new'],
    ['env:5432', undefined],
    ['feature:FEAT-1', undefined],
    ['api:', undefined],
    ['event: user.created', 'event:user.created'],
  ];
  for (const [key, canonical] of forms) {
    it(`judges the form of ${JSON.stringify(key)}`, () => {
      const v = checkLockKey(key);
      assert.equal(v.ok, false);
      assert.equal(!v.ok && v.kind, 'form');
      assert.equal(!v.ok && v.kind === 'form' ? v.canonical : 'n/a', canonical);
      assert.match(!v.ok ? v.message : '', new RegExp(`Lock key`));
    });
  }

  it('checks contract keys against the plan contract files when it names any', () => {
    assert.equal(checkLockKey('contract:openapi/v1.yaml', ['openapi/v1.yaml']).ok, true);
    const v = checkLockKey('contract:openapi/v2.yaml', ['openapi/v1.yaml']);
    assert.equal(v.ok, false);
    assert.match(!v.ok ? v.message : '', /openapi\/v1\.yaml/);
  });
});

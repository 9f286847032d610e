/** `request_scope` (ADR 0036): a request's arguments, and what may be granted, checked exactly against the run's packages. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { covers, overlap } from '../../../src/core/plan/glob';
import { checkScopeRequest, type ScopeHolder } from '../../../src/core/talk/scopeRequest';
import { MAX_GRANTED_PATHS, MAX_REASON_CHARS, MAX_SCOPE_PATHS, parseTalkCall } from '../../../src/core/talk/talkTools';

const ROOT = '/work/shop';
const holder = (id: string, writeAllow: string[], more: Partial<ScopeHolder> = {}): ScopeHolder => ({ id, writeAllow, deny: [], lockFiles: [], granted: [], ...more });
const PACKAGES = [
  holder('api', ['src/api/**'], { deny: ['src/api/secret/**'] }),
  holder('ui', ['src/ui/**'], { lockFiles: ['config/ui.json'] }),
  holder('docs', ['docs/guide/**'], { granted: ['docs/faq.md'] }),
];
const check = (paths: string[], id = 'api', ancestors: { id: string; writeAllow: string[] }[] = []) => checkScopeRequest({ id, paths, repoRoot: ROOT, packages: PACKAGES, ancestors });

describe('request_scope: its arguments', () => {
  it('takes 1 to 20 non-empty paths and a reason; repeats are one', () => {
    assert.deepEqual(parseTalkCall('request_scope', { paths: ['docs/a.md', 'docs/a.md'], reason: 'its page' }), { ok: true, call: { tool: 'request_scope', paths: ['docs/a.md'], reason: 'its page' } });
    for (const paths of [[], 'docs/a.md', [''], [' '], [3], Array.from({ length: MAX_SCOPE_PATHS + 1 }, (_, i) => `f${i}`)]) {
      assert.equal(parseTalkCall('request_scope', { paths, reason: 'x' }).ok, false, JSON.stringify(paths));
    }
    assert.equal(parseTalkCall('request_scope', { paths: ['a'] }).ok, false, 'a reason is needed');
    assert.equal(parseTalkCall('request_scope', { paths: ['a'], reason: 'x'.repeat(MAX_REASON_CHARS + 1) }).ok, false);
    assert.equal(parseTalkCall('request_scope', { paths: ['a'], reason: 'x', packageId: 'ui' }).ok, false, 'no package may be named');
  });
});

describe('request_scope: what may be granted', () => {
  it('a file no other package may write, lock or was granted: fresh, repository-relative (an absolute path inside it too)', () => {
    assert.deepEqual(check(['docs/api.md', `${ROOT}/scripts/gen.sh`, './docs/api.md']), { ok: true, fresh: ['docs/api.md', 'scripts/gen.sh'], own: [] });
  });

  it('what its scope allows already is its own, not asked for', () => {
    assert.deepEqual(check(['src/api/users.ts', 'src/api/v2/**']), { ok: true, fresh: [], own: ['src/api/users.ts', 'src/api/v2/**'] });
  });

  it("another package's write scope, lock or grant is refused with a path both cover", () => {
    const r = check(['src/ui/**/page.tsx', 'config/*.json', 'docs/*.md']);
    assert.equal(r.ok, false);
    assert.deepEqual(!r.ok && r.reasons, [
      'src/ui/**/page.tsx covers src/ui/page.tsx, which ui may write (src/ui/**)',
      'config/*.json covers config/ui.json, which ui locks (config/ui.json)',
      'docs/*.md covers docs/faq.md, which docs was granted (docs/faq.md)',
    ]);
  });

  it('outside the repository, the engine folder, a bad pattern, or what its scope denies: refused, each said', () => {
    const r = check(['../x.txt', '/etc/passwd', '.waves/runs/x.json', 'src/[a', 'src/api/secret/key.pem']);
    assert.equal(r.ok, false);
    const reasons = r.ok ? [] : r.reasons;
    assert.equal(reasons.length, 5, reasons.join('\n'));
    assert.equal(reasons[0], '../x.txt is outside the repository');
    assert.equal(reasons[1], '/etc/passwd is outside the repository');
    assert.match(reasons[2]!, /^\.waves\/runs\/x\.json covers \.waves\/runs\/x\.json: \.waves\/ is the engine's$/);
    assert.match(reasons[3]!, /^src\/\[a is not a path or pattern the plan format takes: /);
    assert.equal(reasons[4], 'src/api/secret/key.pem covers src/api/secret/key.pem, which your scope denies (deny: src/api/secret/**)');
  });

  it("below a parent of a plan of plans: only inside every ancestor's write scope (its parent is audited against its own)", () => {
    const ancestors = [{ id: 'web', writeAllow: ['src/web/**'] }, { id: 'app', writeAllow: ['src/**'] }];
    const packages = [holder('web__a', ['src/web/a/**']), holder('web__b', ['src/web/b/**'])];
    const of = (paths: string[]) => checkScopeRequest({ id: 'web__a', paths, repoRoot: ROOT, packages, ancestors });
    assert.deepEqual(of(['src/web/shared.ts']), { ok: true, fresh: ['src/web/shared.ts'], own: [] });
    assert.deepEqual(of(['src/lib/x.ts']), { ok: false, reasons: ["src/lib/x.ts is not inside web's write scope (src/web/**): src/lib/x.ts"] });
    assert.deepEqual(of(['src/web/b/x.ts']), { ok: false, reasons: ['src/web/b/x.ts covers src/web/b/x.ts, which web__b may write (src/web/b/**)'] });
  });

  it('bounds: at most 20 paths a request and 50 granted a package in a run; an unknown package is refused', () => {
    assert.equal(check(Array.from({ length: MAX_SCOPE_PATHS + 1 }, (_, i) => `x/${i}`)).ok, false);
    const full = [holder('api', ['src/api/**'], { granted: Array.from({ length: MAX_GRANTED_PATHS }, (_, i) => `g/${i}`) })];
    assert.deepEqual(checkScopeRequest({ id: 'api', paths: ['x/new'], repoRoot: ROOT, packages: full, ancestors: [] }), { ok: false, reasons: [`a package is granted at most ${MAX_GRANTED_PATHS} paths in a run`] });
    assert.equal(check(['x'], 'nobody').ok, false);
  });

  it('property: whatever is granted covers no path another package may write, lock or was granted, nor one its own scope denies', () => {
    const seg = fc.constantFrom('src', 'api', 'ui', 'docs', 'config', 'a.ts', 'b.md', '*', '**', 'secret', 'ui.json', 'faq.md', 'guide');
    const glob = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
    fc.assert(
      fc.property(fc.array(glob, { minLength: 1, maxLength: 4 }), fc.constantFrom('api', 'ui', 'docs'), (paths, id) => {
        const r = checkScopeRequest({ id, paths, repoRoot: ROOT, packages: PACKAGES, ancestors: [] });
        if (!r.ok) return;
        const self = PACKAGES.find((p) => p.id === id)!;
        for (const f of r.fresh) {
          for (const p of PACKAGES.filter((q) => q.id !== id)) for (const g of [...p.writeAllow, ...p.lockFiles, ...p.granted]) assert.equal(overlap(f, g), null, `${f} vs ${p.id}'s ${g}`);
          for (const d of self.deny) assert.equal(overlap(f, d), null, `${f} vs deny ${d}`);
          assert.ok(!covers(f, '.waves/x'));
        }
      }),
      { numRuns: 300 },
    );
  });
});

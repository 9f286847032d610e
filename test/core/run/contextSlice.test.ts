/** Context slicing: each package gets the plan artifacts its read_allow covers and the design sections named after it. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { designSections, headingNames, sliceFor, type PlanArtifacts } from '../../../src/core/run/contextSlice';
import { buildPrompt } from '../../../src/core/run/prompt';

const design = `# Design

Intro for everyone.

## wp-api: the API

GET /v1/users returns the users.

\`\`\`md
## wp-web: not a heading inside a fence
\`\`\`

## wp-web — the client

Lists users.

## wp-api-admin

Admin endpoints.

# Appendix

## Risks (wp-api, wp-web)

Both share the contract.
`;

const artifacts: PlanArtifacts = {
  folder: 'plans/users',
  files: ['plans/users/contracts/db/schema.sql', 'plans/users/contracts/openapi/v1.yaml', 'plans/users/design.md', 'plans/users/proposal.md', 'plans/users/work-packages.yaml'],
  design: { file: 'plans/users/design.md', text: design },
};

const plan = analyzePlan(`schema_version: 1
feature: {id: users}
packages:
  - package_id: wp-api
    scope: {write_allow: ["src/api/**"], read_allow: ["plans/users/contracts/openapi/**", "src/**"]}
  - package_id: wp-web
    scope: {write_allow: ["src/web/**"], read_allow: ["src/web/**"]}
  - package_id: wp-integration
    depends_on: [wp-api, wp-web]
    scope: {write_allow: ["tests/**"], read_allow: ["**"]}
  - package_id: wp-none
    scope: {write_allow: ["x/**"]}
`);
const pkg = (id: string) => plan.plan.packages.find((p) => p.id === id)!;

describe('context slicing', () => {
  test('design sections: ## headings, not inside fences, ended by a # heading', () => {
    const s = designSections(design);
    assert.deepEqual(s.map((x) => x.heading), ['wp-api: the API', 'wp-web — the client', 'wp-api-admin', 'Risks (wp-api, wp-web)']);
    assert.match(s[0]!.text, /GET \/v1\/users/);
    assert.match(s[0]!.text, /not a heading inside a fence/);
    assert.doesNotMatch(s[2]!.text, /Appendix/);
  });

  test('a heading names an id as a whole word only', () => {
    assert.ok(headingNames('wp-api: the API', 'wp-api'));
    assert.ok(headingNames('Risks (wp-api, wp-web)', 'wp-web'));
    assert.ok(!headingNames('wp-api-admin', 'wp-api'));
    assert.ok(!headingNames('xwp-api', 'wp-api'));
    assert.ok(!headingNames('the API', 'wp-api'));
  });

  test('each package gets what its read_allow covers and the design sections named after it; never the plan or the whole design file', () => {
    const api = sliceFor(pkg('wp-api'), artifacts)!;
    assert.deepEqual(api.files, ['plans/users/contracts/openapi/v1.yaml']);
    assert.deepEqual(api.designSections.map((s) => s.heading), ['wp-api: the API', 'Risks (wp-api, wp-web)']);
    const web = sliceFor(pkg('wp-web'), artifacts)!;
    assert.deepEqual(web.files, []);
    assert.deepEqual(web.designSections.map((s) => s.heading), ['wp-web — the client', 'Risks (wp-api, wp-web)']);
    const integration = sliceFor(pkg('wp-integration'), artifacts)!;
    assert.deepEqual(integration.files, ['plans/users/contracts/db/schema.sql', 'plans/users/contracts/openapi/v1.yaml', 'plans/users/proposal.md']);
    assert.deepEqual(integration.designSections, []);
    assert.equal(integration.designFile, null);
    assert.equal(sliceFor(pkg('wp-none'), artifacts), null);
    assert.equal(sliceFor(pkg('wp-api'), null), null);
  });

  test("the prompt lists the package's artifact files and quotes its design sections, and nothing when there are none", () => {
    const base = { analysis: plan, featureId: 'users', runId: 'r1', repoRoot: '/r', worktree: '/w', resultFile: '/a/result.json', upstream: [] };
    const text = buildPrompt({ ...base, packageId: 'wp-api', artifacts: sliceFor(pkg('wp-api'), artifacts) });
    assert.match(text, /## The plan's artifacts for this package\n\nFrom the plan's folder `plans\/users\/`/);
    assert.match(text, /Read these files:\n- `plans\/users\/contracts\/openapi\/v1\.yaml`\n/);
    assert.match(text, /### Design: wp-api: the API \(from `plans\/users\/design\.md`\)\n\n> GET \/v1\/users returns the users\./);
    assert.doesNotMatch(text, /Lists users/);
    assert.ok(text.indexOf("## The plan's artifacts") > text.indexOf('## Upstream contracts') && text.indexOf("## The plan's artifacts") < text.indexOf('## Ownership'));
    const none = buildPrompt({ ...base, packageId: 'wp-none', artifacts: sliceFor(pkg('wp-none'), artifacts) });
    assert.doesNotMatch(none, /plan's artifacts/);
    assert.equal(none, buildPrompt({ ...base, packageId: 'wp-none' }));
  });
});

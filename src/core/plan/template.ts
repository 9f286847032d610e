/**
 * The starter plan written by `Waves: Create Plan from Template`: a small, valid, commented
 * `work-packages.yaml` that shows every main field of the format. Its shape is the one the
 * planning guides recommend: a contract package first, then backend and frontend in
 * parallel with disjoint write scopes, then one integration package.
 */

/** `feature.id` of the plan format. */
export const FEATURE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Longest `feature.title` the format allows. */
const MAX_TITLE = 200;

/** A feature id from a folder name: `My App!` → `my-app`; `new-feature` when nothing is left. */
export function suggestFeatureId(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // accents off: `Café` → `cafe`
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 128)
    .replace(/[-._]+$/, '');
  return FEATURE_ID_PATTERN.test(slug) ? slug : 'new-feature';
}

/** A readable title from a feature id: `user-profiles` → `User profiles`. */
export function titleFromId(featureId: string): string {
  const words = featureId.replace(/[-_.:]+/g, ' ').trim();
  return words ? words[0].toUpperCase() + words.slice(1) : 'New feature';
}

/** File name of an additional plan next to an existing `work-packages.yaml`. */
export function planFileName(featureId: string): string {
  // `:` is allowed in ids but not in Windows file names.
  return `${featureId.replace(/:/g, '-')}.work-packages.yaml`;
}

/** A YAML double-quoted scalar (JSON's escapes are YAML's), so any text stays a string. */
function quoted(text: string): string {
  return JSON.stringify(text);
}

/**
 * The starter plan. `featureId` should match {@link FEATURE_ID_PATTERN}; `title` may be any
 * text (an empty one becomes a title made from the id). Neither appears in a comment, so no
 * input can change the YAML's structure.
 */
export function starterPlan(featureId: string, title: string): string {
  const cleanTitle = title.replace(/\s+/g, ' ').trim().slice(0, MAX_TITLE) || titleFromId(featureId);
  return `# Work packages: one feature split into packages that coding agents run in waves.
#
# A package starts once every package in its depends_on has succeeded. Packages that do
# not depend on each other (directly or through others) run at the same time, so they must
# not share write scope or locks. Wave of a package = 1 + the latest wave of its dependencies.
#
# This starter plan has three waves:
#   1. wp-contracts               fixes the API contract the others build on
#   2. wp-backend, wp-frontend    run in parallel, with disjoint write scopes
#   3. wp-integration             merges the work and runs the whole test suite
#
# Replace the example paths, endpoints and commands with your project's. Paths and globs
# are relative to the repository root; \`*\` stays within a folder, \`**\` crosses folders.
schema_version: 1

feature:
  id: ${quoted(featureId)}
  title: ${quoted(cleanTitle)}
  plan_revision: 1              # increase when the plan changes materially

contracts:                      # what parallel packages agree on before they start
  revision: 1                   # increase when a contract changes after work started
  openapi:
    primary: contracts/openapi.yaml
    files:
      - contracts/openapi.yaml

defaults:                       # for every package that does not say otherwise
  priority: 5                   # 1 runs first … 10 runs last, among packages ready together
  lock_ttl_minutes: 120         # how long a lock is held before it expires
  timeout_minutes: 60           # an agent still running after this is stopped
  retry_budget: 1               # extra attempts after a failed run
  verification_tier_required: A # A: tests and lint · B: delegated to CI · C: static checks only
  min_trust_level: 2            # lowest agent trust level (0–4) allowed to take a package

packages:
  # ── Wave 1 ──────────────────────────────────────────────────────────────────────────
  - package_id: wp-contracts    # lower-case letters, digits, - and _
    title: API contract
    task_type: contract
    description: >-
      Describe the feature's endpoints and payloads in contracts/openapi.yaml, so that
      the backend and the frontend can be built against it at the same time.
    priority: 1
    depends_on: []              # no dependencies: wave 1
    locks:
      files:                    # files no other running package may change
        - contracts/openapi.yaml
      keys:                     # logical resources: api: db: event: flag: env: contract: feature:
        - "contract:contracts/openapi.yaml"
    scope:
      write_allow:              # the only paths this package may change
        - "contracts/**"
      read_allow:               # what it may read for context
        - "**"
      deny:                     # never changed, even where write_allow would allow it
        - "src/**"
    worktree:
      name: wp-contracts        # the git worktree (and branch) of the package
      mode: isolated            # isolated: its own worktree · shared: the main working tree
    timeout_minutes: 30
    retry_budget: 1
    min_trust_level: 2
    verification:               # what must pass before the package counts as done
      tier_required: A
      steps:
        - name: lint-contract
          kind: command         # command · ci · manual
          command: npx @redocly/cli lint contracts/openapi.yaml
          evidence:             # what the run records as proof
            artifacts: []
            result_keys: [contract_valid]
    outputs:                    # what the packages that depend on this one can rely on
      result_keys: [contract_revision]
      artifacts: [contracts/openapi.yaml]

  # ── Wave 2: backend and frontend in parallel ────────────────────────────────────────
  - package_id: wp-backend
    title: Backend endpoints
    task_type: implement
    description: >-
      Implement the endpoints of contracts/openapi.yaml in src/server, with their tests.
    priority: 2
    depends_on: [wp-contracts]  # waits for the contract: wave 2
    locks:
      files: [src/server/routes.ts]
      keys:
        - "api:GET /v1/items"   # an endpoint: METHOD and path
        - "db:schema:items"     # a database table
        - "db:migration-slot"   # one migration at a time across the plan
      ttl_minutes: 120
      reason: Backend endpoints and the items table
    scope:
      write_allow: ["src/server/**", "tests/server/**"]
      read_allow: ["src/server/**", "contracts/**"]
      deny: ["src/web/**"]
    worktree: { name: wp-backend, mode: isolated }
    timeout_minutes: 90
    retry_budget: 1
    min_trust_level: 2
    verification:
      tier_required: A
      steps:
        - name: server-tests
          kind: command
          command: npm test -- tests/server
          evidence: { artifacts: [], result_keys: [test_count] }
    outputs:
      result_keys: [files_modified, test_count]

  - package_id: wp-frontend
    title: Frontend page
    task_type: implement
    description: >-
      Build the page that uses the new endpoints in src/web, against the contract (not the
      backend, which is being written at the same time).
    priority: 3
    depends_on: [wp-contracts]  # same wave as wp-backend: write scopes must not overlap
    locks:
      files: [src/web/routes.tsx]
      keys: ["flag:web/items"]  # the feature flag that hides the page until release
    scope:
      write_allow: ["src/web/**", "tests/web/**"]
      read_allow: ["src/web/**", "contracts/**"]
      deny: ["src/server/**"]
    worktree: { name: wp-frontend, mode: isolated }
    timeout_minutes: 60
    retry_budget: 1
    min_trust_level: 2
    verification:
      tier_required: A
      steps:
        - name: web-tests
          kind: command
          command: npm test -- tests/web
          evidence: { artifacts: [], result_keys: [test_count] }
    outputs:
      result_keys: [files_modified, test_count]

  # ── Wave 3 ──────────────────────────────────────────────────────────────────────────
  - package_id: wp-integration
    title: Integrate and run the full suite
    task_type: integrate
    description: >-
      Merge the packages in dependency order, add the end-to-end tests and run every test.
    priority: 1
    depends_on: [wp-backend, wp-frontend]
    locks:
      files: []
      keys: []
    scope:
      write_allow: ["tests/integration/**"]
      read_allow: ["**"]
    worktree: { name: wp-integration, mode: shared }  # works in the main tree, after the merges
    timeout_minutes: 45
    retry_budget: 0             # a failed integration needs a person, not a retry
    min_trust_level: 2
    verification:
      tier_required: A
      steps:
        - name: full-suite
          kind: command
          command: npm test
          evidence: { artifacts: [], result_keys: [test_count] }
        - name: review
          kind: manual
          manual_instructions: Try the feature end to end in a browser.
          evidence: { artifacts: [], result_keys: [] }
    outputs:
      result_keys: [merge_commit, test_count]
`;
}

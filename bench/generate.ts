/**
 * Generated plans for benchmarks and scale tests: `count` packages, each depending on up to
 * `deps` earlier packages (seeded, so runs compare) and writing one glob of its own.
 * `compact` packages carry only that (id, depends_on, scope); full ones carry the usual fields
 * of a real plan (locks, worktree, verification, outputs), about 4× the text. `every` packages
 * are written as the real plans of test/fixtures/act-plans are (block lists and a block
 * description, comments, every field of the schema), about 2.5× a full one; and, as in real
 * plans, they share what real plans share without conflict: every tenth package belongs to an
 * "integration" chain that writes `docs/**` and holds the lock key `db:migration-slot` (each
 * depending on the one before), and every hundredth is a checkpoint that depends on the hundred
 * before it.
 */
export function generatePlan(count: number, { deps = 3, seed = 1, compact = false, every = false } = {}): string {
  let state = seed >>> 0 || 1;
  const random = () => {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
  const lines = [
    'schema_version: 1',
    'feature:',
    `  id: generated-${count}`,
    '  plan_revision: 1',
    'contracts:',
    '  revision: 1',
    '  openapi:',
    '    primary: contracts/openapi.yaml',
    '    files: [contracts/openapi.yaml]',
    'packages:',
  ];
  if (every) lines.splice(2, 0, '  title: "A generated plan with every field"', '  created_by: bench/generate.ts', '  created_at: "2026-11-24T00:00:00Z"');
  if (every) lines.splice(lines.indexOf('packages:'), 0, ...EVERY_DEFAULTS);
  for (let i = 0; i < count; i++) {
    const chosen = new Set<number>();
    for (let k = 0; k < deps && i > 0; k++) chosen.add(Math.floor(random() * i));
    if (every && i % 10 === 0 && i >= 10) chosen.add(i - 10); // the integration chain
    if (every && i % 100 === 99) for (let d = i - 99; d < i; d++) chosen.add(d); // a checkpoint
    if (every) {
      lines.push(...everyField(i, [...chosen]));
      continue;
    }
    const depList = `[${[...chosen].map((d) => `wp-${d}`).join(', ')}]`;
    if (compact) {
      lines.push(
        `  - package_id: wp-${i}`,
        `    depends_on: ${depList}`,
        '    scope:',
        `      write_allow: ["src/mod${i}/**"]`,
        '      read_allow: ["src/**"]',
      );
      continue;
    }
    lines.push(
      `  - package_id: wp-${i}`,
      `    title: Generated package ${i}`,
      '    task_type: implement',
      `    description: Work package number ${i}`,
      `    depends_on: ${depList}`,
      '    priority: 5',
      '    locks:',
      `      files: [src/mod${i}/index.ts]`,
      `      keys: ["api:GET /v1/mod${i}"]`,
      '    scope:',
      `      write_allow: ["src/mod${i}/**"]`,
      '      read_allow: ["src/**"]',
      '    worktree:',
      `      name: wp-${i}`,
      `    timeout_minutes: ${30 + (i % 7) * 10}`,
      '    retry_budget: 1',
      '    min_trust_level: 2',
      '    verification:',
      '      tier_required: A',
      '      steps:',
      '        - name: unit',
      '          kind: command',
      '          command: npm test',
      '          evidence: { artifacts: [], result_keys: [] }',
      '    outputs:',
      '      result_keys: [files_modified]',
    );
  }
  return lines.join('\n') + '\n';
}

const EVERY_DEFAULTS = [
  'defaults:',
  '  priority: 5',
  '  lock_ttl_minutes: 120',
  '  timeout_minutes: 60',
  '  retry_budget: 1',
  '  verification_tier_required: "B"',
  '  min_trust_level: 2',
  '',
];

/** One package as a real plan writes it, with every field of the schema. */
function everyField(i: number, deps: number[]): string[] {
  const integration = i % 10 === 0;
  const checkpoint = i % 100 === 99;
  const write = integration ? '"docs/**"' : checkpoint ? `"checkpoints/cp-${i}.md"` : `"src/mod${i}/**"`;
  const lines = [
    ...(i % 50 === 0 ? ['', '  # ─────────────────────────────────────────────', `  # Phase ${i / 50 + 1}`, '  # ─────────────────────────────────────────────', ''] : []),
    `  - package_id: wp-${i}`,
    `    title: "Generated package ${i}: ${integration ? 'integration' : checkpoint ? 'checkpoint' : 'module'} work"`,
    `    task_type: ${integration ? 'integrate' : 'implement'}`,
    '    description: |',
    `      Package ${i} of the generated plan. It implements module ${i} behind the`,
    '      interface the contracts describe, with its tests, and leaves the rest of',
    '      the tree alone.',
    `      Spec scenarios: mod-${i}.create, mod-${i}.read, mod-${i}.update`,
    `    role: ${integration ? 'integrator' : 'backend-engineer'}`,
    `    priority: ${1 + (i % 10)}`,
    `    decomposition: ${i % 2 ? 'branch' : 'stacked'}`,
    `    stack_position: ${i}`,
    '    archetype: implementer',
    deps.length ? '    depends_on:' : '    depends_on: []',
    ...deps.map((d) => `      - wp-${d}`),
    `    timeout_minutes: ${30 + (i % 7) * 10}`,
    '    retry_budget: 1',
    '    min_trust_level: 2',
    '    locks:',
    '      files:',
    `        - "${integration ? 'docs/index.md' : `src/mod${i}/index.ts`}"`,
    '      keys:',
    `        - "api:GET /v1/mod${i}"`,
    ...(integration ? ['        - "db:migration-slot"'] : []),
    '      ttl_minutes: 120',
    `      reason: "Package ${i} owns module ${i} while it runs."`,
    '    scope:',
    '      write_allow:',
    `        - ${write}`,
    '      read_allow:',
    '        - "src/**"',
    '        - "docs/**"',
    '      deny:',
    '        - "secrets/**"',
    '    context_impact:',
    '      # The module is source the semantic index embeds.',
    '      surfaces:',
    '        - "semantic_code"',
    '    worktree:',
    `      name: wp-${i}`,
    '      mode: isolated',
    '    verification:',
    '      tier_required: "A"',
    '      steps:',
    '        - name: "unit tests"',
    '          kind: command',
    `          command: "npm test -- src/mod${i}"`,
    '          expect_exit_code: 0',
    '          evidence:',
    '            artifacts:',
    `              - "test-results/mod${i}.xml"`,
    '            result_keys:',
    '              - "tests_passed"',
    '        - name: "review"',
    '          kind: manual',
    `          manual_instructions: "Read the diff of module ${i}."`,
    '    metadata:',
    `      loc_estimate: ${100 + (i % 9) * 50}`,
    '      complexity: medium',
    '      package_kind: integration',
    '    inputs: {}',
    '    outputs:',
    '      result_keys:',
    '        - "files_modified"',
    '      artifacts:',
    `        - "src/mod${i}/README.md"`,
  ];
  return lines;
}

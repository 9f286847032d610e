/**
 * Generated plans for benchmarks and scale tests: `count` packages, each depending on up to
 * `deps` earlier packages (seeded, so runs compare) and writing one glob of its own.
 * `compact` packages carry only that (id, depends_on, scope); full ones carry every field
 * a real plan has (locks, worktree, verification, outputs), about 4× the text.
 */
export function generatePlan(count: number, { deps = 3, seed = 1, compact = false } = {}): string {
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
  for (let i = 0; i < count; i++) {
    const chosen = new Set<number>();
    for (let k = 0; k < deps && i > 0; k++) chosen.add(Math.floor(random() * i));
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

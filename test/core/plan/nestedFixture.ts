/** Plans of plans for the tests: a plan's text from a few lines per package, and a nest read from a map of files. */
import { analyzeNested, type PlanAnalysis } from '../../../src/core/plan/analyze';
import type { NestedPlan, SubPlanRead } from '../../../src/core/plan/nestedPlan';

export function plan(feature: string, packages: [string, string[], string[]?][], head: string[] = []): string {
  const out = ['schema_version: 1', `feature: {id: ${feature}}`, ...head, 'packages:'];
  for (const [id, writes, extra] of packages) {
    out.push(`  - package_id: ${id}`, '    task_type: implement', '    scope:', `      write_allow: [${writes.map((w) => JSON.stringify(w)).join(', ')}]`);
    for (const line of extra ?? []) out.push(`    ${line}`);
  }
  return out.join('\n') + '\n';
}
export const parentLines = (file: string, more: string[] = []) => ['inputs:', '  waves:', `    plan: ${file}`, ...more];

export function nested(map: Record<string, string>): NestedPlan<PlanAnalysis>[] {
  const read = (from: string, rel: string): SubPlanRead => {
    const key = (from.includes('/') ? from.slice(0, from.lastIndexOf('/') + 1) : '') + rel;
    const text = map[key];
    return text === undefined ? { code: 'sub-plan-missing', error: `no ${key}` } : { key, file: key, text };
  };
  return analyzeNested({ key: 'work-packages.yaml', file: 'work-packages.yaml', text: map['work-packages.yaml']! }, read);
}


/**
 * A foreign plan → `work-packages.yaml` text. Dependencies as read: explicit ones as they are,
 * implied ones (by order or phase) marked with a comment; write scopes from the files the source
 * declares, else from the paths each task's text names, marked as guesses in a comment. Pure.
 */
import type { ForeignPlanResult } from './assemble';
import { formatName } from './foreignPlan';
import { asPattern } from './pathGuesses';
import { SOURCE_KEY } from './sourceLink';

const q = (s: string) => JSON.stringify(s); // a JSON string is a YAML double-quoted scalar
const comment = (s: string) => s.replace(/[\r\n]+/g, ' ').slice(0, 160);

/**
 * `source`: the source's path relative to the plan's folder (`/` separators, inside it) and the
 * Taskmaster tag read, kept in each package's `inputs.converted_from` with the tasks it carries
 * out (sourceLink.ts), so that a package that succeeds can tick them in the source (tick.ts);
 * absent, the plan names no source.
 */
export function convertToWorkPackages(result: ForeignPlanResult, sourceName = result.fileName, source?: { path: string; tag?: string }): string {
  const { plan, packages: info } = result;
  const out: string[] = [];
  const from = result.format ? formatName(result.format) : 'an unknown format';
  out.push(`# Converted by \`waves convert\` from ${comment(sourceName)} (${from}). Review it before a run:`);
  out.push('#  - a depends_on entry marked "# implied" is not written in the source: it follows from the');
  out.push('#    order or the phase of the tasks. Keep it, or remove it to let the two run in parallel;');
  out.push('#  - a write_allow entry marked "# guess" is a path the task text names, not a declared scope.');
  for (const note of result.notes) out.push(`# Note: ${comment(note)}`);
  out.push('schema_version: 1');
  out.push('feature:');
  out.push(`  id: ${q(plan.feature?.id ?? 'feature')}`);
  if (plan.feature?.title) out.push(`  title: ${q(plan.feature.title.slice(0, 200))}`);
  out.push('  plan_revision: 1');
  if (plan.packages.length === 0) {
    out.push('packages: []');
    return out.join('\n') + '\n';
  }
  out.push('packages:');
  plan.packages.forEach((p, i) => {
    const fp = info[i];
    out.push(`  - package_id: ${p.id}`);
    out.push(`    # from ${fp.sourceIds.length === 1 ? 'task' : 'tasks'} ${comment(fp.sourceIds.join(', '))}${fp.done ? ' (done in the source)' : ''}`);
    if (p.title) out.push(`    title: ${q(clip(p.title, 120))}`);
    out.push(`    task_type: ${p.taskType ?? 'implement'}`);
    out.push(`    description: ${q(clip(p.description || p.title || fp.sourceIds[0], 4000))}`);
    if (p.priority !== undefined) out.push(`    priority: ${p.priority}`);
    if (fp.dependencies.length === 0) out.push('    depends_on: []');
    else {
      out.push('    depends_on:');
      for (const d of fp.dependencies) out.push(`      - ${d.id}${d.kind === 'implied' ? `  # implied: ${comment(d.reason)}` : ''}`);
    }
    out.push('    scope:');
    const declared = [...new Set(fp.declaredWrites.map((w) => w.value))];
    const guesses = declared.length ? [] : [...new Set(fp.writeGuesses.map((g) => asPattern(g.value)).filter((g): g is string => g !== undefined))];
    if (declared.length + guesses.length === 0) out.push('      write_allow: []  # none declared or named: write it before a parallel run');
    else {
      out.push('      write_allow:');
      for (const w of declared) out.push(`        - ${q(w)}`);
      for (const g of guesses) out.push(`        - ${q(g)}  # guess: named in the task text`);
    }
    out.push('      read_allow: ["**"]');
    if (source !== undefined && result.format) {
      const tag = source.tag !== undefined ? `, tag: ${q(source.tag)}` : '';
      out.push('    inputs:');
      out.push(`      ${SOURCE_KEY}: { file: ${q(source.path)}, format: ${q(result.format)}${tag}, tasks: [${fp.sourceIds.map(q).join(', ')}] }`);
    }
  });
  return out.join('\n') + '\n';
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

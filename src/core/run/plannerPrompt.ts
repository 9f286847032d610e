/**
 * The prompt of a `{by: agent}` parent's planner (ADR 0035, "Planned at run time"): the parent's
 * task, the scope and locks every package it plans must stay inside, the limits, the plan
 * format, where to write the sub-plan, and — on a repair — why its last one was refused. The
 * engine holds the sub-plan to all of it (planners.ts); the prompt only says it first.
 *
 * Pure and deterministic. No `vscode`.
 */
import type { PlanPackage } from '../plan/model';
import type { PlannerContext } from '../plan/subPlans';
import { fenced } from '../util/markdown';
import { code } from './prompt';

export interface PlannerPromptInput {
  /** The planner's id in the run. */
  packageId: string;
  /** The parent, as the run's plan has it (its scope and locks are the planner's bounds). */
  parent: PlanPackage;
  planner: PlannerContext;
  featureId: string;
  runId: string;
  /** Its tree, to read: it changes nothing there. */
  worktree: string;
  /** Where it writes its sub-plan (its attempt folder). */
  subPlanFile: string;
  /** Where it writes its result record. */
  resultFile: string;
  /** The verification commands approved for this run: a planned package using only these runs without asking the person. */
  approvedCommands: readonly string[];
  /** Why its last sub-plan was refused (the engine's findings, one per line), or null. */
  refused: string | null;
}

/** A sub-plan in the plan format, for a parent writing under `src/api/**` (the format's own field names). */
function example(parentId: string, allowed: readonly string[]): string {
  const under = (allowed[0] ?? 'src/**').replace(/\*\*$/, '').replace(/\/?$/, '/');
  const q = JSON.stringify;
  return `schema_version: 1
feature:
  id: ${q(`${parentId}-plan`)}
  title: ${q(`The work of ${parentId}`)}
packages:
  - package_id: model
    title: The data model
    description: >-
      What this package does, in enough words for an agent that knows nothing else.
    depends_on: []
    scope:
      write_allow: [${q(`${under}model/**`)}]
  - package_id: routes
    title: The routes on the model
    description: >-
      What this package does.
    depends_on: [model]
    scope:
      write_allow: [${q(`${under}routes/**`)}]
    verification:
      steps:
        - name: tests
          kind: command
          command: npm test`;
}

export function buildPlannerPrompt(input: PlannerPromptInput): string {
  const { parent, planner } = input;
  const out: string[] = [];
  const line = (s = '') => out.push(s);
  const writes = parent.scope.writeAllow.map((g) => g.value);
  line(`# Plan the work of package ${code(parent.id)}${parent.title ? `: ${parent.title.replace(/\s+/g, ' ')}` : ''}`);
  line();
  line(`Feature ${code(input.featureId)} · run ${code(input.runId)}`);
  line();
  line('You are a planner. Split this package\'s work into a plan of smaller work packages that other');
  line('agents will carry out, in waves, each in its own tree. Do not change any file of the repository:');
  line('your work is one plan file, written where this prompt says.');
  line();
  line('## Task');
  line();
  if (parent.title) out.push(`**${parent.title.replace(/\s+/g, ' ')}**`, '');
  if (parent.description) out.push(parent.description.trim(), '');
  line(`Read the repository in ${code(input.worktree)} (your own git worktree, read it; change nothing there).`);
  if (parent.timeoutMinutes !== undefined) line(`Time limit: ${parent.timeoutMinutes} minutes; after that you are stopped.`);
  line();
  line('## What the sub-plan may hold');
  line();
  line('The engine checks every rule here exactly before anything of your plan runs; a plan that breaks one is refused.');
  line();
  line(`- Every package writes only inside ${writes.map(code).join(', ') || 'nothing'} (its \`scope.write_allow\` globs inside these).`);
  const deny = parent.scope.deny.map((g) => g.value);
  if (deny.length) line(`- Nothing of ${deny.map(code).join(', ')} (denied to ${code(parent.id)}).`);
  const lockFiles = parent.locks.files.map((g) => g.value);
  const lockKeys = parent.locks.keys.map((k) => k.value);
  line(
    `- Locks: ${lockFiles.length ? `lock files only inside ${lockFiles.map(code).join(', ')}` : 'no lock files'}; ${lockKeys.length ? `lock keys only among ${lockKeys.map(code).join(', ')}` : 'no lock keys'} (${code(parent.id)}'s own).`,
  );
  line('- Packages that may run at the same time must not write the same files: give them disjoint scopes, or make one depend on the other.');
  line(`- At most ${planner.maxPackages} packages.`);
  line(
    planner.levelsLeft > 0
      ? `- A package may be planned in turn by its own agent (\`inputs: {waves: {plan: {by: agent}}}\`), at most ${planner.levelsLeft} more level${planner.levelsLeft === 1 ? '' : 's'} below yours; plan it here when you can.`
      : '- No package plans further: none has `inputs.waves.plan`.',
  );
  line(
    input.approvedCommands.length
      ? `- Verification commands: a package's \`command\` steps run only once the person approved them. These are approved for this run already: ${input.approvedCommands.map(code).join(', ')}. A plan with any other waits for the person's approval.`
      : "- Verification commands: a package's `command` steps run only once the person approved them; a plan with any waits for the person's approval.",
  );
  line();
  line('## The plan format');
  line();
  line('YAML, these field names exactly (`depends_on` names package ids of your plan only; the whole feature\'s other packages are not yours to name):');
  line();
  line(fenced(example(parent.id, writes), 'yaml'));
  line();
  if (input.refused) {
    line('## Your last sub-plan was refused');
    line();
    line('Write it again with each of these fixed (the file and line are those of your last one):');
    line();
    line(fenced(input.refused, 'text'));
    line();
  }
  line('## When you are done');
  line();
  line(`Sub-plan file: ${code(input.subPlanFile)}`);
  line();
  line('Write the sub-plan there (create the file), and nothing anywhere else. Then write this JSON file:');
  line(`${code(input.resultFile)} — \`{"version": 1, "package_id": ${JSON.stringify(input.packageId)}, "status": "done", "notes": "<one line on the plan>"}\``);
  line('(`"status": "blocked"` with the reason in `notes` when the work cannot be planned).');
  return out.join('\n') + '\n';
}

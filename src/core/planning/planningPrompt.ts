/**
 * The planning prompts (ADR 0013), pure and deterministic: the first round's prompt that walks
 * seed 002's steps for one repository, and the sections later rounds add — the repair (the exact
 * checker's problems with their positions, what the audit refused), the person's revision
 * comments, what the repository holds, the plan format's example.
 */
import { LOCK_NAMESPACES } from '../plan/lockKeys';
import { code } from '../run/prompt';
import { fenced } from '../util/markdown';
import { PLAN_FILE_NAME, type PlanningPromptInput, type PlanProblem, type RepoContext } from './planningSession';

/** At most this many problems are listed in one repair prompt (the rest are counted). */
export const MAX_PROBLEMS_IN_PROMPT = 60;

/**
 * The planning prompt: seed 002's steps for this repository (gather context, proposal,
 * design, tasks, contracts, work packages, validation), then — for a repair round — the exact
 * checker's problems and what was refused, or — for a revision — the person's comments.
 * Every round's prompt is whole: each round is a new headless agent process.
 */
export function buildPlanningPrompt(input: PlanningPromptInput): string {
  const { planDir, context } = input;
  const planFile = `${planDir}/${PLAN_FILE_NAME}`;
  const out: string[] = [];
  const line = (s = '') => out.push(s);

  line(`# Plan the feature ${code(input.id)}`);
  line();
  line('You are the planning agent of Wave Orchestrator. You write a plan that other coding agents will');
  line('carry out in parallel, in waves; you do not implement the feature. Write files only inside');
  line(`the planning folder ${code(planDir + '/')} (relative to your working directory, ${code(input.worktree)}).`);
  line('Anything you write or change elsewhere is thrown away, and the round is reported as having');
  line('done so. Do not run git commands that move the branch: the engine commits your files.');
  line();
  line('## The feature, as the person described it');
  line();
  line(fenced(input.description.trim() || '(no description given)', 'text'));

  if (input.repair) writeRepair(line, input.repair, planFile);
  if (input.revision)
    writeRevision(line, planDir, input.revision.comments, [
      '(quoted). Change the proposal, design, contracts and the plan accordingly, keeping what they did',
      'not ask to change, and keep the plan valid (step 6 below):',
    ]);

  writeRepoContext(line, context, planDir);

  line('## Steps (seed 002, "Parallel Plan Feature")');
  line();
  line('1. **Gather context.** Read the README, the docs above and the code the feature touches:');
  line('   existing patterns, package layout, tests, what may conflict. Note what you found in design.md.');
  line(`2. **Proposal.** ${code(planDir + '/proposal.md')}: what and why, from the description and the context.`);
  line(`3. **Design.** ${code(planDir + '/design.md')}: decisions, alternatives, risks. Give each work package's`);
  line('   area its own section whose heading names the package id, e.g. `## wp-backend: the API` — that');
  line("   section is what the package's agent is given of the design when the plan runs.");
  line(`4. **Tasks.** ${code(planDir + '/tasks.md')}: the implementation steps, grouped by work package.`);
  line(`5. **Contracts first.** ${code(planDir + '/contracts/')} where the feature has an API (${code('contracts/openapi/v1.yaml')},`);
  line(`   OpenAPI 3.1), a database schema (${code('contracts/db/schema.sql')}), events (${code('contracts/events/<name>.schema.json')})`);
  line('   or shared types (type stubs). Contracts are the boundary between parallel packages. List them');
  line(`   in the plan's ${code('contracts')} section (e.g. ${code('contracts.openapi.files')}), with repository-relative paths.`);
  line(`6. **Work packages.** ${code(planFile)} in Wave Orchestrator's plan format (its schema:`);
  line(`   ${code('schemas/work-packages.schema.json')}), written as in this example — the exact checker reads these`);
  line('   field names and no others, so keep them as they are (the example is valid as it stands):');
  line();
  line(fenced(planFormatExample(input.id, planDir), 'yaml'));
  line();
  line('   - `wp-contracts` first (priority 1, no dependencies); one package per bounded context, each');
  line('     depending on `wp-contracts`; `wp-integration` last, depending on every implementation package.');
  line('   - Packages that may run at the same time (neither depends on the other, even indirectly) must');
  line('     not overlap in their write scope or their file locks, and must not share a lock key.');
  line(`   - Lock keys are canonical, in a namespace: ${LOCK_NAMESPACES.map((n) => code(n + ':')).join(', ')} —`);
  line('     e.g. `api:GET /v1/users`, `db:schema:users`, `event:user.created`. File paths go in the file locks.');
  line('   - The read scope says what the package reads: include the contracts it builds on (paths in');
  line(`     ${code(planDir + '/contracts/')}); the engine gives each package the plan artifacts its read scope`);
  line('     covers and the design section named after it — and nothing else of the planning folder.');
  line('   - Verification tiers: A (unit + integration tests + lint), B (CI), C (lint and schema only);');
  line("     the steps with the repository's real commands.");
  line('   - Every path and glob is relative to the repository root; `*` stays in a folder, `**` crosses folders.');
  line('7. **Validate.** The engine checks the plan exactly when you stop (schema, references, cycles,');
  line('   lock keys, write and lock overlaps between packages that may run in parallel) and gives you');
  line('   back every problem with its position for another round. Get it right the first time.');
  line('8. **Stop.** Do not implement anything. The person reviews the plan and approves it.');
  line();
  line(`When you are done, the planning folder holds proposal.md, design.md, tasks.md, contracts/ (when`);
  line(`the feature has an API, a schema or events) and ${code(PLAN_FILE_NAME)}.`);
  return out.join('\n') + '\n';
}

/** The prompt's "What this repository holds": its top level, docs, plans, README's beginning, OpenSpec. */
export function writeRepoContext(line: (s?: string) => void, context: RepoContext, planDir: string): void {
  line();
  line('## What this repository holds');
  line();
  if (context.layout.length) {
    line('Top level:');
    for (const e of context.layout) line(`- ${code(e)}`);
    line();
  }
  if (context.docs.length) {
    line('Documentation (read what bears on the feature):');
    for (const d of context.docs) line(`- ${code(d)}`);
    line();
  }
  if (context.plans.length) {
    line('Existing plans (follow their conventions; a new plan must not fight them):');
    for (const p of context.plans) line(`- ${code(p)}`);
    line();
  } else line('There is no plan in the repository yet.\n');
  if (context.readme) {
    line('The beginning of its README:');
    line();
    line(fenced(context.readme.trim(), 'markdown'));
    line();
  }
  if (context.openspec) line(`The repository uses OpenSpec: your planning folder is an OpenSpec change (${code(planDir)}).\n`);
}

/**
 * The plan format as the planning prompt shows it: a small plan in exactly the form the checker
 * reads (canonical field names, no dialect), for this session's id and folder. It is the one
 * place the prompt names the format's fields, so the prompt cannot ask for a field the checker
 * then calls a dialect (`tier` for `tier_required`): a unit test analyses it and finds
 * nothing to say. Paths and ids are written as JSON strings (YAML reads them as such).
 */
export function planFormatExample(id: string, planDir: string): string {
  const q = JSON.stringify;
  const contract = `${planDir}/contracts/openapi/v1.yaml`;
  return `schema_version: 1
feature:
  id: ${q(id)}
  title: ${q(`The feature ${id}`)}
contracts:
  openapi:
    primary: ${q(contract)}
    files: [${q(contract)}]
packages:
  - package_id: wp-contracts
    title: Shared types from the contract
    task_type: contracts
    description: >-
      Generate the shared types of the API from the contract, so that the other packages
      build against them at the same time.
    priority: 1
    depends_on: []
    scope:
      write_allow: ["src/types/**"]
      read_allow: [${q(`${planDir}/contracts/**`)}, "src/**"]
      deny: []
    locks:
      files: ["src/types/index.ts"]
      keys: [${q(`contract:${contract}`)}]
    verification:
      tier_required: C
      steps:
        - name: typecheck
          kind: command
          command: npm run typecheck
  - package_id: wp-api
    title: The users endpoint
    task_type: implement
    description: >-
      Implement GET /v1/users as the contract says, with its tests.
    depends_on: [wp-contracts]
    scope:
      write_allow: ["src/api/**", "test/api/**"]
      read_allow: [${q(`${planDir}/contracts/**`)}, "src/**"]
    locks:
      keys: ["api:GET /v1/users", "db:schema:users"]
    verification:
      tier_required: A
      steps:
        - name: tests
          kind: command
          command: npm test -- test/api
  - package_id: wp-integration
    title: Integrate and run the whole suite
    task_type: integrate
    description: >-
      Add the end-to-end test of the users page and run every test.
    depends_on: [wp-api]
    scope:
      write_allow: ["test/e2e/**"]
      read_allow: ["**"]
    verification:
      tier_required: A
      steps:
        - name: all-tests
          kind: command
          command: npm test`;
}

/** A revision round's section of a prompt: the person's comments, quoted, after `asked` (what to do with them). */
export function writeRevision(line: (s?: string) => void, planDir: string, comments: string, asked: readonly string[]): void {
  line();
  line('## The person asked for changes');
  line();
  line(`The plan in ${code(planDir + '/')} was presented for approval; the person asks for these changes`);
  for (const l of asked) line(l);
  line();
  line(fenced(comments.trim() || '(no comments)', 'text'));
}

/** A repair round's section of a prompt: what was refused, a missing plan, the checker's problems. */
export function writeRepair(line: (s?: string) => void, repair: NonNullable<PlanningPromptInput['repair']>, planFile: string): void {
  line();
  line(`## Repair round ${repair.round} of ${repair.of}`);
  line();
  line('The planning folder already holds the files of the earlier round (read them first). Fix what');
  line('is listed below, change nothing else that is right, and stop.');
  if (repair.refused.length) {
    line();
    line('These changes were outside the planning folder (or unsafe) and were thrown away; do not make them again:');
    for (const r of repair.refused) line(`- ${code(r.path)}: ${flatten(r.message)}`);
  }
  if (repair.missing) {
    line();
    line(`${code(planFile)} is missing: write it.`);
  }
  if (writeProblems(line, repair.problems, planFile)) {
    line();
    line('Every error must be gone; fix warnings where the fix is clear.');
  }
}

/**
 * The checker's problems of `planFile` as a prompt lists them (errors first, at most
 * `MAX_PROBLEMS_IN_PROMPT`, the rest counted); false, and nothing written, when there are none.
 */
export function writeProblems(line: (s?: string) => void, problems: readonly PlanProblem[], planFile: string): boolean {
  const errors = problems.filter((p) => p.severity === 'error');
  const warnings = problems.filter((p) => p.severity !== 'error');
  if (!errors.length && !warnings.length) return false;
  line();
  line(`The exact checker found ${count(errors.length, 'error')}${warnings.length ? ` and ${count(warnings.length, 'warning')}` : ''} in ${code(planFile)}`);
  line('(line:column, 1-based; an overlap names a path both patterns cover):');
  line();
  const shown = [...errors, ...warnings].slice(0, MAX_PROBLEMS_IN_PROMPT);
  for (const p of shown) {
    line(`- ${p.severity} ${code(p.code)} at ${p.line}:${p.column}${p.packageId ? ` (package ${code(p.packageId)})` : ''}: ${flatten(p.message)}`);
  }
  const more = errors.length + warnings.length - shown.length;
  if (more > 0) line(`- … and ${count(more, 'more problem')}`);
  return true;
}

/** One line of an agent's or the checker's text (control characters become spaces). */
function flatten(s: string): string {
  return String(s).replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

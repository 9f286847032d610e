/**
 * Complete with Agent (ADR 0013, "A session from a draft"): a planning session that starts from a
 * draft plan — a task list converted by `waves convert` or the editor's Convert, its write scopes
 * guessed (`# guess`), its implied dependencies marked (`# implied`) — instead of a description.
 * The draft and the task list it came from are round 0; the agent's first round completes the
 * draft (this prompt), then the repair loop and the approval are Plan a Feature's.
 *
 * Pure: the session's description, where the task lists go in the planning folder, the audit
 * scope that keeps them read-only, the draft's tasks none of which may be dropped, and the
 * completion prompt. The engine (src/engine/planning/draft.ts) reads the files.
 */
import type { AuditScope } from '../run/audit';
import { LOCK_NAMESPACES } from '../plan/lockKeys';
import { code } from '../run/prompt';
import { fenced } from '../util/markdown';
import { PLAN_FILE_NAME, planningScope, type DraftOrigin, type PlanProblem, type PlanningPromptInput } from './planningSession';
import { planFormatExample, writeProblems, writeRepair, writeRepoContext, writeRevision } from './planningPrompt';

/** At most this many characters of the draft are quoted in the completion prompt (the file is there in full). */
export const MAX_DRAFT_IN_PROMPT = 60_000;

/** The problem code of a task of the draft that no package of the plan carries any more. */
export const DROPPED_TASK_CODE = 'draft-task-dropped';

/**
 * A session's description when it starts from a draft: its first line names the feature (the
 * session's id comes from it), the rest where the draft came from.
 */
export function draftDescription(draft: { file: string; sources: readonly string[]; title?: string | undefined; featureId?: string | undefined }): string {
  const first = draft.title?.trim() || draft.featureId?.trim() || draft.file.replace(/\/?[^/]*$/, '').split('/').pop() || 'draft';
  const from = draft.sources.length ? ` (converted from ${draft.sources.join(', ')})` : '';
  return `${first.split(/\r?\n/)[0]}\n\nCompleted from the draft plan ${draft.file}${from}.`;
}

/** A task of a converted plan as a session keeps it: `<file>#<task>`, `<file>@<tag>#<task>` for a tagged Taskmaster list. */
export function draftTaskKey(link: { file: string; tag?: string | undefined }, task: string): string {
  return `${link.file}${link.tag !== undefined ? `@${link.tag}` : ''}#${task}`;
}

/**
 * The inverse of `draftTaskKey`: the task list (one of `files`, the longest that fits, since a
 * path may hold `@` or `#`), its tag and the task; null when the key is of none of `files`. A
 * tagged key's task is what follows its last `#` (a tag may hold one; a task id then holds none).
 */
export function parseDraftTaskKey(key: string, files: readonly string[]): { file: string; tag?: string; task: string } | null {
  const hash = key.lastIndexOf('#');
  let file: string | undefined;
  for (const f of files) if ((file === undefined || f.length > file.length) && f.length <= hash && key.startsWith(f) && (key[f.length] === '#' || key[f.length] === '@')) file = f;
  if (file === undefined) return null;
  return key[file.length] === '@' ? { file, tag: key.slice(file.length + 1, hash), task: key.slice(hash + 1) } : { file, task: key.slice(file.length + 1) };
}

/** `task T003 of tasks.md`, from a key of `draftTaskKey`. */
function taskWords(key: string): string {
  const hash = key.lastIndexOf('#');
  return hash < 0 ? `task ${key}` : `task ${key.slice(hash + 1)} of ${key.slice(0, hash)}`;
}

/** The draft's tasks (`draftTaskKey`s) that no package of the plan carries any more, in the draft's order. */
export function droppedTasks(draftTasks: readonly string[], planTasks: Iterable<string>): string[] {
  const kept = new Set(planTasks);
  return draftTasks.filter((t) => !kept.has(t));
}

/** How a dropped task counts in a session: an error — a completion keeps every task — except once the person asked for changes (they may have asked to drop one): a warning. */
export function droppedTaskSeverity(rounds: readonly { purpose: string }[]): 'error' | 'warning' {
  return rounds.some((r) => r.purpose === 'revise') ? 'warning' : 'error';
}

/** The problem of one dropped task (a key of `draftTaskKey`). */
export function droppedTaskProblem(task: string, severity: 'error' | 'warning'): PlanProblem {
  return {
    severity,
    code: DROPPED_TASK_CODE,
    message: `${taskWords(task)} is in no package's inputs.converted_from any more: every task of the draft stays in some package (one package may carry several)`,
    line: 1,
    column: 1,
    packageId: null,
  };
}

/**
 * The draft's tasks that no package of the plan carries any more (in the draft's order), as
 * problems: errors — a completion keeps every task — except once the person asked for changes
 * (they may have asked to drop one): then warnings.
 */
export function droppedTaskProblems(draftTasks: readonly string[], planTasks: Iterable<string>, severity: 'error' | 'warning'): PlanProblem[] {
  return droppedTasks(draftTasks, planTasks).map((t) => droppedTaskProblem(t, severity));
}

/** A repository-relative path as a glob that covers exactly it (and what is below it): glob characters escaped. */
export function literalGlob(p: string): string {
  return p.replace(/[\\*?[\]{}!]/g, '\\$&');
}

/**
 * What a round of a session from a draft may change: its planning folder, but not the task
 * lists copied into it (they are the person's, there to be read; a change to one is refused and
 * thrown away like a change outside the folder). Round 0 itself is audited with the folder's
 * scope (`planningScope`): it writes them.
 */
export function draftScope(planDir: string, copies: readonly string[]): AuditScope {
  return { writeAllow: planningScope(planDir).writeAllow, deny: copies.map((c) => literalGlob(`${planDir}/${c}`)) };
}

/** What the completion round is given of the draft besides the session's state: its text as committed and the checker's problems on it. */
export interface DraftForPrompt {
  text: string;
  problems: readonly PlanProblem[];
}

export interface CompletionPromptInput extends PlanningPromptInput {
  origin: DraftOrigin;
  /** The completion round (the agent's first): the draft and its problems. Absent: a repair or revision round. */
  draft?: DraftForPrompt;
  /** Task lists the draft links to that could not be read (not copied). */
  unread?: readonly string[];
}

/**
 * The prompt of every agent round of a session from a draft: the completion round (the draft
 * quoted, the checker's problems on it), a repair round (the problems of the last round), a
 * revision (the person's comments) — each whole, as a new headless agent process needs it.
 */
export function buildCompletionPrompt(input: CompletionPromptInput): string {
  const { planDir, context, origin } = input;
  const planFile = `${planDir}/${PLAN_FILE_NAME}`;
  const out: string[] = [];
  const line = (s = '') => out.push(s);
  const copies = origin.copies.map((c) => `${planDir}/${c}`);

  line(`# Complete the plan ${code(input.id)} from its draft`);
  line();
  line('You are the planning agent of Wave Orchestrator. A person converted their task list into a draft');
  line('plan; you complete it into a plan that other coding agents will carry out in parallel, in waves.');
  line('You do not implement anything. Write files only inside the planning folder');
  line(`${code(planDir + '/')} (relative to your working directory, ${code(input.worktree)}).`);
  line('Anything you write or change elsewhere is thrown away, and the round is reported as having');
  line('done so. Do not run git commands that move the branch: the engine commits your files.');
  line();
  line('## The draft');
  line();
  line(`${code(planFile)} holds the plan: the draft ${code(origin.file)} as it was converted${input.draft ? '' : ', with what earlier rounds changed'}.`);
  if (copies.length) {
    line(`The task list it came from is in the planning folder, read-only (a change to it is thrown away): ${copies.map(code).join(', ')}`);
    line(`(a copy of ${origin.sources.map(code).join(', ')}); each package's ${code('inputs.converted_from')} names its tasks there.`);
  }
  for (const u of input.unread ?? []) line(`The task list ${code(u)} the draft names could not be read: complete the plan without it.`);
  line('Two things in the draft are guesses nobody has confirmed:');
  line(`- a ${code('write_allow')} entry marked ${code('# guess')} is a path the task's text names, not a scope anyone declared;`);
  line(`- a ${code('depends_on')} entry marked ${code('# implied')} is not written in the task list: it follows from the order`);
  line('  or the phase of the tasks.');
  if (input.draft) {
    line();
    if (input.draft.text.length <= MAX_DRAFT_IN_PROMPT) {
      line('The draft as converted (the file holds the same text):');
      line();
      line(fenced(input.draft.text.replace(/\s+$/, ''), 'yaml'));
    } else line(`The draft is too long to quote here (${input.draft.text.length} characters): read the file.`);
    if (!writeProblems(line, input.draft.problems, planFile)) {
      line();
      line('The exact checker finds no problem in the draft: its guesses still need settling.');
    }
  }
  if (input.repair) writeRepair(line, input.repair, planFile);
  if (input.revision)
    writeRevision(line, planDir, input.revision.comments, ['(quoted). Change the plan accordingly, keeping what they did not ask to change, and keep it', 'valid (step 6 below):']);

  writeRepoContext(line, context, planDir);

  line('## Steps');
  line();
  line(`1. **Read** the task list${copies.length ? ` (${copies.map(code).join(', ')})` : ''}, the draft, the README and the docs above, and the`);
  line("   code the tasks touch: the repository's real layout, its tests, what may conflict.");
  line("2. **Settle the write scopes.** For each package, the files and folders its tasks will really create");
  line("   or change, as globs from the repository's layout (e.g. `src/albums/**`), not only the paths the");
  line("   task's text happens to name. Packages that may run at the same time (neither depends on the other,");
  line('   even indirectly) must not overlap in their write scopes or file locks, and must not share a lock');
  line(`   key. Remove the ${code('# guess')} mark of each entry you settled.`);
  line(`3. **Settle the implied dependencies.** Keep one when a task needs the other's work (remove its ${code('# implied')}`);
  line('   mark); drop it when the two can safely run at the same time.');
  line(`4. **Keep every task.** Each package keeps its ${code('inputs.converted_from')} (the tasks of the task list it`);
  line('   carries out), and every task of the draft stays in some package. You may merge packages (join their');
  line(`   ${code('tasks')}) or split one; never drop a task${input.revision ? ' — unless the person asked for it above' : ''}.`);
  line('5. **Complete what a run needs** where the repository makes it clear: verification steps with its');
  line(`   real commands, a ${code('read_allow')} of what each package reads, file locks and lock keys for what`);
  line(`   packages share (lock keys are canonical, in a namespace: ${LOCK_NAMESPACES.map((n) => code(n + ':')).join(', ')}).`);
  line("   Keep the plan in Wave Orchestrator's plan format (its schema: `schemas/work-packages.schema.json`);");
  line('   the exact checker reads these field names and no others (an example, valid as it stands):');
  line();
  line(fenced(planFormatExample(input.id, planDir), 'yaml'));
  line();
  line('6. **Validate.** The engine checks the plan exactly when you stop (schema, references, cycles,');
  line('   lock keys, write and lock overlaps between packages that may run in parallel, every task of the');
  line('   draft kept) and gives you back every problem with its position for another round.');
  line('7. **Stop.** Do not implement anything. The person reviews the plan and approves it.');
  line();
  line(`You may note your decisions in ${code(planDir + '/design.md')} (a section per package whose heading names`);
  line("its id is what that package's agent is given of it when the plan runs).");
  return out.join('\n') + '\n';
}

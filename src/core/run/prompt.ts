/**
 * The prompt of one package (seed 000's contract): its task, the upstream contracts as
 * concrete paths, what it owns, what its dependents expect of it, how it is verified and
 * how it reports — Markdown, in the order docs/run-engine.md "Prompt" gives.
 *
 * Pure and deterministic: the same input gives the same bytes (no clock, no randomness,
 * no machine-dependent order). No `vscode`.
 */
import type { PlanAnalysis } from '../plan/analyze';
import { agentInputs } from '../plan/candidateSet';
import { subPlanContextOf } from '../plan/subPlans';
import type { PlanPackage, VerificationTier } from '../plan/model';
import type { PackageSlice } from './contextSlice';
import type { FollowUp } from './runState';
import { fenced } from '../util/markdown';

export interface UpstreamResult {
  packageId: string;
  /** Absolute path of the dependency's result record (its last attempt's), or null when there is none. */
  resultFile: string | null;
  /** What the audit saw it change: repo-relative paths, or `{path, change}` records. */
  changedFiles: readonly (string | { path: string; change?: string })[];
  /** The notes its agent left for its dependents (its `handoff` calls, ADR 0036). */
  handoffs?: readonly string[];
}

export interface PromptInput {
  analysis: Pick<PlanAnalysis, 'plan' | 'graph'>;
  packageId: string;
  featureId: string;
  runId: string;
  repoRoot: string;
  /** Where the agent works: the package's worktree, or the main tree for `mode: shared`. */
  worktree: string;
  /** Where the agent writes its result record. */
  resultFile: string;
  upstream: readonly UpstreamResult[];
  /** The person's answer to the question the package's last attempt ended with: the prompt carries it. */
  answer?: { question: string; answer: string } | null;
  /** The plan's artifacts meant for this package (contextSlice.ts `sliceFor`): listed, and its design sections quoted. */
  artifacts?: PackageSlice | null;
  /** What this attempt is to address after an earlier one succeeded (review comments, a broken integration check). */
  followUp?: FollowUp | null;
  /** The dependency folders its walls may lay from the person's checkout (`node_modules`, ADR 0026): said, with how to add to them. */
  laid?: readonly string[];
  /** Its agent has the `waves` MCP server's tools (ADR 0036): the prompt says what they are for. */
  talk?: boolean;
}

/** The id a comment of a follow-up goes by in the prompt and the result record's `addressed`: its thread's, else `c<n>`. */
export function commentId(comment: { threadId?: string }, index: number): string {
  return comment.threadId && /^[A-Za-z0-9._-]{1,64}$/.test(comment.threadId) ? comment.threadId : `c${index + 1}`;
}

/** Lines 3–5 of a file, or the whole file (0). */
function linesWord(c: { startLine: number; endLine: number }): string {
  if (c.startLine === 0) return 'the whole file';
  return c.endLine > c.startLine ? `lines ${c.startLine}–${c.endLine}` : `line ${c.startLine}`;
}

/** The follow-up section of a prompt, as lines. */
export function followUpLines(f: FollowUp): string[] {
  const out: string[] = [];
  const line = (s = '') => out.push(s);
  if (f.kind === 'review') {
    line('### Changes requested in review');
    line();
    line(
      f.from === 'integration'
        ? 'The person running the plan reviewed the integrated result of the feature (every package merged so far) and asks this package, which owns the files below, for these changes. Your tree holds that integrated result; change only what your scope allows.'
        : 'Your earlier attempt succeeded, and the person running the plan reviewed its changes. Your tree holds your earlier commits: go on from them and make these changes.',
    );
    line(
      `Address each comment. In your result record, list the ids of the comments you addressed in ${code('addressed')} (e.g. ${code('"addressed": ["c1"]')}), and say in ${code('notes')} why for any you did not.`,
    );
    f.comments.forEach((c, i) => {
      line();
      line(`#### ${code(commentId(c, i))}: ${code(c.file)}, ${linesWord(c)}`);
      line();
      if (c.excerpt) {
        line(c.startLine === 0 ? 'The file begins (as it was reviewed):' : 'The code it was written on (as it was reviewed):');
        line();
        line(fenced(c.excerpt, 'text'));
        line();
      }
      line('The comment (quoted):');
      line();
      line(fenced(c.body, 'text'));
    });
    return out;
  }
  line('### The integration check your merge broke');
  line();
  line(
    `After your package was merged, the feature's integration check ${code(flat(f.check))} failed on the integration branch, and it passed before your merge. Your tree holds the integration tip (${code(f.tip.slice(0, 12))}), with your earlier work and the other packages' merged since. Make the check pass again by changing only files your scope allows; do not undo the other packages' work.`,
  );
  line();
  line('What the check printed (its end, quoted):');
  line();
  line(fenced(f.output || '(nothing)', 'text'));
  const met = f.met.filter((m) => m.files.length > 0);
  if (met.length) {
    line();
    line('What the other packages merged with yours changed:');
    for (const m of met) line(`- ${code(m.packageId)}: ${m.files.slice(0, 20).map(code).join(', ')}${m.files.length > 20 ? ` and ${m.files.length - 20} more` : ''}`);
  }
  return out;
}

export class PromptError extends Error {}

const TIER_MEANING: Record<VerificationTier, string> = {
  A: 'full: unit and integration tests and linting',
  B: 'CI: the checks the CI pipeline runs',
  C: 'static: linting and schema validation only',
};

/** What stands for a prompt of a plan of plans' parent (ADR 0035): no agent reads one; its join waits for `children` and checks their work. */
export function joinPromptText(packageId: string, children: readonly string[]): string {
  return `No agent: \`${packageId}\` is its sub-plan's join. It starts once ${children.join(', ')} landed; its verification runs on their work together.\n`;
}

/** The package's prompt. Throws `PromptError` when the package is not in the plan. */
export function buildPrompt(input: PromptInput): string {
  const { plan } = input.analysis;
  const pkg = plan.packages.find((p) => p.id === input.packageId);
  if (!pkg) throw new PromptError(`the plan has no package "${input.packageId}"${plan.packages.length ? ` (its packages: ${plan.packages.map((p) => p.id).join(', ')})` : ''}`);
  const out: string[] = [];
  const line = (s = '') => out.push(s);
  const para = (s: string) => out.push(s, '');
  /** A blank line, unless the last line is one already. */
  const blank = () => {
    if (out[out.length - 1] !== '') out.push('');
  };

  const waveCount = input.analysis.graph?.waves?.length ?? 0;
  const wave = input.analysis.graph?.waves?.findIndex((w) => w.includes(pkg.id)) ?? -1;
  const feature = plan.feature?.title ? `${code(input.featureId)} (${flat(plan.feature.title)})` : code(input.featureId);
  line(`# Work package ${code(pkg.id)}${pkg.title ? `: ${flat(pkg.title)}` : ''}`);
  line();
  line(
    [`Feature ${feature}`, `run ${code(input.runId)}`, pkg.taskType ? `task type ${code(pkg.taskType)}` : null, wave >= 0 ? `wave ${wave + 1} of ${waveCount}` : null]
      .filter(Boolean)
      .join(' · '),
  );
  line();
  line('Other agents work on other packages of this feature at the same time. Do this package only,');
  line('stay inside its scope, and build against the contracts below, not against guesses.');

  // Task -------------------------------------------------------------------------------
  line();
  line('## Task');
  line();
  if (pkg.title) para(`**${flat(pkg.title)}**`);
  if (pkg.description) para(pkg.description.trim());
  if (!pkg.title && !pkg.description) para('The plan gives this package no title or description: see the downstream obligations and the verification below.');
  const mode = pkg.worktree?.mode ?? 'isolated';
  line(
    mode === 'shared'
      ? `Work in ${code(input.worktree)}: the feature's shared git worktree (it keeps what earlier shared packages installed or built), on your own branch. Commit your work there when you are done; the engine merges it. Stay on your branch.`
      : `Work in ${code(input.worktree)}: your own git worktree. Commit your work there when you are done; the engine merges it. Stay on your branch.`,
  );
  line(`Paths below are relative to that directory (the repository root is ${code(input.repoRoot)}).`);
  if (pkg.timeoutMinutes !== undefined) line(`Time limit: ${pkg.timeoutMinutes} minutes; after that you are stopped.`);
  if (input.answer) {
    line();
    line('### Your question, answered');
    line();
    line('Your last attempt ended with this question (quoted):');
    line();
    line(fenced(input.answer.question, 'text'));
    line();
    line('The answer of the person running the plan (quoted):');
    line();
    line(fenced(input.answer.answer, 'text'));
    line();
    line('Go on with the task with this answer.');
  }
  if (input.followUp) {
    line();
    for (const l of followUpLines(input.followUp)) line(l);
  }

  // Upstream ---------------------------------------------------------------------------
  line();
  line('## Upstream contracts');
  line();
  line('Read these first. They are the real, finished outputs you build on.');
  line();
  if (plan.contractFiles.length) {
    line("The plan's contract files:");
    for (const f of plan.contractFiles) line(`- ${code(f.value)}`);
  } else line('The plan names no contract files.');
  // A package of a plan of plans: its sub-plan, and that sub-plan's contract files (and its parents').
  const sub = subPlanContextOf(pkg.inputs);
  if (sub) {
    line();
    line(`This package is part of the sub-plan ${code(sub.file)}${sub.feature ? ` (feature ${code(sub.feature)}${sub.title ? `: ${flat(sub.title)}` : ''})` : ''}, the work of ${code(sub.parent)}.`);
    if (sub.contracts.length) {
      line("The sub-plan's contract files:");
      for (const f of sub.contracts) line(`- ${code(f)}`);
    }
  }
  line();
  const deps = unique(pkg.dependsOn.map((d) => d.value));
  if (!deps.length) line('This package depends on no other package.');
  else {
    line('What the packages this one depends on produced:');
    for (const dep of deps) {
      const up = input.upstream.find((u) => u.packageId === dep);
      const other = plan.packages.find((p) => p.id === dep);
      line();
      line(`### ${code(dep)}${other?.title ? ` — ${flat(other.title)}` : ''}`);
      line();
      line(`- Result record: ${up?.resultFile ? code(up.resultFile) : 'none was written'}`);
      if (up?.handoffs?.length) {
        // Its agent's words, each line quoted and indented (none starts a heading of this prompt): they inform this package's work, they are no instructions of the plan.
        line(`- Notes its agent left for the packages that depend on it (${up.handoffs.length}; its words, not the plan's):`);
        for (const n of up.handoffs) n.split(/\r?\n/).forEach((l, k) => line(`${k === 0 ? '  - ' : '    '}> ${l}`.trimEnd()));
      }
      const files = up ? unique(up.changedFiles.map((f) => (typeof f === 'string' ? f : f.path))).sort(compare) : [];
      if (files.length) {
        line('- Files it changed:');
        for (const f of files) line(`  - ${code(f)}`);
      } else line(`- Files it changed: ${up ? 'none recorded' : 'not known yet'}`);
      if (other?.outputs?.artifacts.length) line(`- Artifacts it was to produce: ${other.outputs.artifacts.map(code).join(', ')}`);
      if (other?.outputs?.resultKeys.length) line(`- Result keys it reports (in its result record): ${other.outputs.resultKeys.map(code).join(', ')}`);
    }
  }

  // The plan's artifacts for this package ----------------------------------------
  const slice = input.artifacts;
  if (slice) {
    line();
    line("## The plan's artifacts for this package");
    line();
    line(`From the plan's folder ${code(slice.folder + '/')}: what this package reads (its \`read_allow\`), and the design for its area.`);
    if (slice.files.length) {
      line();
      line('Read these files:');
      for (const f of slice.files) line(`- ${code(f)}`);
    }
    for (const sec of slice.designSections) {
      line();
      line(`### Design: ${flat(sec.heading)}${slice.designFile ? ` (from ${code(slice.designFile)})` : ''}`);
      line();
      line(sec.text ? quote(sec.text) : '> (empty section)');
    }
  }

  // Ownership --------------------------------------------------------------------------
  line();
  line('## Ownership');
  line();
  globList(line, 'You may create, change or delete only files matching', pkg.scope.writeAllow.map((g) => g.value), 'nothing: this package may not change any file');
  globList(line, 'You may read', pkg.scope.readAllow.map((g) => g.value), 'anything in the repository');
  if (pkg.scope.deny.length) globList(line, 'Never change, whatever the rules above allow', pkg.scope.deny.map((g) => g.value), '');
  const lockFiles = pkg.locks.files.map((l) => l.value);
  const lockKeys = pkg.locks.keys.map((l) => l.value);
  if (lockFiles.length || lockKeys.length) {
    const ttl = pkg.locks.ttlMinutes ?? plan.defaults.lockTtlMinutes;
    line(`Locks held for this package while it runs${ttl !== undefined ? ` (for at most ${ttl} minutes)` : ''}${pkg.locks.reason ? ` — ${flat(pkg.locks.reason)}` : ''}:`);
    for (const f of lockFiles) line(`- file ${code(f)}`);
    for (const k of lockKeys) line(`- key ${code(k)}`);
    line();
    line('No other package changes these while you hold them.');
    line();
  }
  if (input.laid?.includes('node_modules')) {
    line('When your tree\'s `node_modules` is already there as you start, it is the person\'s installed packages');
    line('(their lockfile is yours), laid copy-on-write: what you change there is yours alone. Then add a');
    line('dependency with `npm install <name>` (or `pnpm add`, `yarn add`); do not run `npm ci` or delete');
    line('`node_modules`: that installs every package again.');
    line();
  }
  const venv = input.laid?.find((f) => f === '.venv' || f === 'venv');
  if (venv) {
    line(`When your tree's ${code(venv)} is already there as you start, it is the person's Python environment`);
    line('(their lockfile is yours), laid copy-on-write: what you change there is yours alone, and its');
    line('scripts lead to it. Add a package with `pip install <name>` (or `uv pip install`); do not delete');
    line(`or recreate ${code(venv)}: that installs every package again.`);
    line();
  }
  line('When you stop, every change in your tree — committed, uncommitted and untracked, deletions');
  line('included — is compared with these patterns. A change outside what you may change, or in a');
  line('path you must not touch, marks this package `scope-violation`: nothing of it is merged and');
  line('the packages that depend on it do not start. If the task needs a change outside your scope,');
  line('do not make it: say so in the result record (`status: "blocked"`, with the path and why in');
  line('`notes`). Do not delete files you did not create unless the task says so.');

  // Downstream -------------------------------------------------------------------------
  line();
  line('## Downstream obligations');
  line();
  const keys = pkg.outputs?.resultKeys ?? [];
  const artifacts = pkg.outputs?.artifacts ?? [];
  if (artifacts.length) {
    line('Files this package must produce:');
    for (const a of artifacts) line(`- ${code(a)}`);
    line();
  }
  if (keys.length) {
    line('Result keys this package must report (in `result_keys` of its result record):');
    for (const k of keys) line(`- ${code(k)}`);
    line();
  }
  const dependents = plan.packages.filter((p) => p.id !== pkg.id && p.dependsOn.some((d) => d.value === pkg.id));
  if (!dependents.length) line('No package depends on this one.');
  else {
    line('Packages that start from your result (build what they need):');
    for (const d of dependents) {
      blank();
      line(`### ${code(d.id)}${d.title ? ` — ${flat(d.title)}` : ''}`);
      line();
      // A plan of plans: the sub-plan's parent runs no agent; its check is on its packages' work together.
      if (sub && d.id === sub.parent) {
        const after = plan.packages.filter((p) => p.dependsOn.some((x) => x.value === d.id)).map((p) => code(p.id));
        para(`The parent of your sub-plan: no agent works on it. Its verification runs on the work of every package of the sub-plan together, then ${after.length ? `what depends on it starts: ${after.join(', ')}` : 'the run goes on'}.`);
      }
      if (d.taskType) para(`Task type: ${code(d.taskType)}`);
      if (d.description) para(quote(d.description));
      const theirs = agentInputs(d.inputs);
      if (theirs !== undefined && !isEmpty(theirs)) {
        line('Its inputs:');
        line();
        line(fenced(JSON.stringify(theirs, null, 2), 'json'));
        line();
      }
      if (d.outputs?.resultKeys.length) para(`It must report: ${d.outputs.resultKeys.map(code).join(', ')}`);
    }
    while (out[out.length - 1] === '') out.pop();
  }
  // `inputs.waves` (best of n) is the engine's, not the agent's: left out.
  const inputs = agentInputs(pkg.inputs);
  if (inputs !== undefined && !isEmpty(inputs)) {
    line();
    line('Inputs the plan hands to this package:');
    line();
    line(fenced(JSON.stringify(inputs, null, 2), 'json'));
  }

  // Verification -----------------------------------------------------------------------
  line();
  line('## Verification');
  line();
  const tier = pkg.verification?.tier ?? plan.defaults.verificationTierRequired;
  if (tier) para(`Required tier: ${tier} (${TIER_MEANING[tier]}).`);
  const steps = pkg.verification?.steps ?? [];
  if (!steps.length) line('The plan gives no verification steps for this package.');
  else {
    line('Steps (run the commands yourself before you stop — after you exit, the engine runs every');
    line('`command` step in your working directory and the package fails if one fails):');
    line();
    steps.forEach((s, k) => {
      const head = `${k + 1}. ${s.name ? flat(s.name) : '(unnamed)'}${s.kind ? ` (${flat(s.kind)})` : ''}`;
      line(s.command !== undefined ? `${head}: ${code(s.command)}` : head);
    });
  }

  // Talking to the run ------------------------------------------------------------------
  if (input.talk) {
    line();
    line('## Talking to the run');
    line();
    para(
      'You have the `waves` MCP server\'s tools: `who_owns` (which package may write a file: ask before touching one outside your scope), ' +
        '`request_scope` (ask the person for files your scope lacks that no other package may write: write them only once granted), ' +
        '`lock` and `unlock` (hold a lock key of the plan format, such as `db:migration-slot`, while you change what it names), ' +
        '`progress` (how far you are, shown to the person live), `handoff` (a note for the packages that depend on yours, put into their prompts), ' +
        "`plan_status` (the plan's packages and their states) and `ask` (a question only the person can answer: then end your turn without changing anything, and their answer comes in your next prompt). " +
        'They answer for this package only; should one fail, go on with your work.',
    );
  }

  // Result record ----------------------------------------------------------------------
  line();
  line('## Result record');
  line();
  line(`When you stop — done, partly done or blocked — write this JSON file: ${code(input.resultFile)}`);
  line('(it is not part of your change: do not commit it or copy it into the tree). Fields:');
  line();
  line('- `version`: `1`; `package_id`: ' + code(JSON.stringify(pkg.id)));
  line('- `status`: `"done"` (the task is complete), `"partial"` (say what is left in `pending_actions`)');
  line('  or `"blocked"` (say why in `notes`)');
  line('- `files_modified`: the paths you created, changed or deleted, relative to the repository root');
  line('- `decisions`: `{"decision", "rationale"}` for choices the packages after you must know');
  line('- `pending_actions`: what is left for a person or a later package');
  line(`- \`result_keys\`: ${keys.length ? `a value for each of ${keys.map(code).join(', ')}` : 'values a later package needs (may be empty)'}`);
  line('- `notes`: anything else');
  line();
  line('For example:');
  line();
  const example = {
    version: 1,
    package_id: pkg.id,
    status: 'done',
    files_modified: exampleFiles(pkg),
    decisions: [{ decision: 'What you chose', rationale: 'Why' }],
    pending_actions: [],
    result_keys: Object.fromEntries(keys.map((k) => [k, '<value>'])),
    notes: '',
  };
  line(fenced(JSON.stringify(example, null, 2), 'json'));
  line();
  line('A run in which you exit without changing anything and without this file counts as failed.');
  return out.join('\n') + '\n';
}

function exampleFiles(pkg: PlanPackage): string[] {
  const first = pkg.scope.writeAllow[0]?.value;
  if (!first) return [];
  const literal = first.replace(/[*?[{].*$/, '').replace(/\/$/, '');
  return [literal === first ? first : `${literal ? literal + '/' : ''}example.ts`];
}

function globList(line: (s?: string) => void, head: string, globs: readonly string[], none: string): void {
  if (!globs.length) {
    if (none) {
      line(`${head}: ${none}.`);
      line();
    }
    return;
  }
  line(`${head}:`);
  for (const g of globs) line(`- ${code(g)}`);
  line();
}

/** An inline code span that shows `s` exactly, whatever backticks it holds. */
export function code(s: string): string {
  const text = flat(s);
  if (text === '') return '` `';
  const longest = Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

function quote(text: string): string {
  return text
    .trim()
    .split(/\r?\n/)
    .map((l) => (l ? `> ${l}` : '>'))
    .join('\n');
}

/** One line: newlines and other control characters become spaces. */
function flat(s: string): string {
  return String(s).replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}

function isEmpty(v: unknown): boolean {
  return (Array.isArray(v) && v.length === 0) || (v !== null && typeof v === 'object' && Object.keys(v).length === 0);
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

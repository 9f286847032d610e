/**
 * Best of n in the plan (ADR 0031): a package's set of candidates, read from its
 * `inputs.waves` (`candidates`, `candidate_agents`, `pick`, `confirm`) over the run-wide count; what is
 * malformed there, positioned; the inputs an agent is handed (`inputs.waves` is the engine's). Pure.
 */
import { capOf } from './defaults';
import type { Diagnostic, PlanPackage } from './model';
import type { DataPath } from './reader/planSites';
import type { ReadResult } from './reader/reader';

export type CandidatePick = 'first-green' | 'person' | 'judge';
export const CANDIDATE_PICKS: readonly CandidatePick[] = ['first-green', 'person', 'judge'];
/** The most candidates one package may have. */
export const MAX_SET = 8;

export interface CandidateSet {
  count: number;
  /** The agents' ids as written (candidate k runs `agents[(k-1) % length]`), or null: the package's own agent, `count` times. */
  agents: string[] | null;
  pick: CandidatePick;
  /** `pick: judge` only: the judge's first waits for the person's pick (`confirm: true`) instead of going on. */
  confirm: boolean;
}

export interface CandidateSetProblem {
  message: string;
  /** Where, inside the package (`['inputs', 'waves', 'candidates']`). */
  path: (string | number)[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A package's `inputs.waves` (the engine's), or null. */
export function wavesInputOf(pkg: PlanPackage): Record<string, unknown> | null {
  const waves = isRecord(pkg.inputs) ? pkg.inputs.waves : undefined;
  return isRecord(waves) ? waves : null;
}

/** A count of candidates as the plan, a flag or a setting may give it: a whole number from 1 to 8. */
export const isCandidateCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_SET;
const isAgents = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.length <= MAX_SET && v.every((a) => typeof a === 'string' && a.trim() !== '');
const isPick = (v: unknown): v is CandidatePick => typeof v === 'string' && (CANDIDATE_PICKS as readonly string[]).includes(v);

/**
 * A package's set: its own `inputs.waves` over `runCandidates` (the run-wide count); null when the
 * count is 1 or less. `candidates` is the count; without it, `candidate_agents`' length is; without
 * either, the run's. Malformed values are not guessed at: read as absent (`candidateSetProblems`
 * says them); a run-wide count out of range is the start's to refuse, read here as it is.
 */
export function candidateSetOf(pkg: PlanPackage, runCandidates?: number): CandidateSet | null {
  const waves = wavesInputOf(pkg);
  const agents = isAgents(waves?.candidate_agents) ? waves.candidate_agents.map((a) => a.trim()) : null;
  const own = isCandidateCount(waves?.candidates) ? waves.candidates : null;
  const run = typeof runCandidates === 'number' && Number.isInteger(runCandidates) ? runCandidates : 1;
  const count = own ?? agents?.length ?? run;
  if (count <= 1) return null;
  const pick = isPick(waves?.pick) ? waves.pick : 'first-green';
  return { count, agents, pick, confirm: pick === 'judge' && waves?.confirm === true };
}

/** The agent id of candidate `k` (1-based) of a set, or null: the package's own agent. */
export function candidateAgentOf(set: CandidateSet, k: number): string | null {
  return set.agents ? set.agents[(k - 1) % set.agents.length]! : null;
}

/** What is malformed in a package's `inputs.waves`, each with its path inside the package. */
export function candidateSetProblems(pkg: PlanPackage): CandidateSetProblem[] {
  const inputs = isRecord(pkg.inputs) ? pkg.inputs : null;
  if (!inputs || inputs.waves === undefined) return [];
  const waves = inputs.waves;
  if (!isRecord(waves))
    return [{ message: '`inputs.waves` must be a mapping (`candidates`, `candidate_agents`, `pick`, `confirm`, `plan`, `max_parallel`, `requires`): it is the engine\'s, not the agent\'s', path: ['inputs', 'waves'] }];
  const out: CandidateSetProblem[] = [];
  const say = (key: string, message: string, at: (string | number)[] = []) => out.push({ message, path: ['inputs', 'waves', key, ...at] });
  if (waves.candidates !== undefined && !isCandidateCount(waves.candidates))
    say('candidates', `\`inputs.waves.candidates\` must be a whole number from 1 to ${MAX_SET}; found ${shown(waves.candidates)}`);
  const agents = waves.candidate_agents;
  if (agents !== undefined) {
    if (!Array.isArray(agents) || agents.length === 0)
      say('candidate_agents', `\`inputs.waves.candidate_agents\` must be a non-empty list of agent ids (e.g. [claude-code, codex]); found ${shown(agents)}`);
    else if (agents.length > MAX_SET)
      say('candidate_agents', `\`inputs.waves.candidate_agents\` names ${agents.length} agents: a package has at most ${MAX_SET} candidates`);
    else
      agents.forEach((a, i) => {
        if (typeof a !== 'string' || a.trim() === '') say('candidate_agents', `\`inputs.waves.candidate_agents\` item ${i + 1} must be an agent id; found ${shown(a)}`, [i]);
      });
  }
  if (waves.pick !== undefined && !isPick(waves.pick))
    say('pick', `\`inputs.waves.pick\` must be one of ${CANDIDATE_PICKS.map((p) => `\`${p}\``).join(', ')}; found ${shown(waves.pick)}`);
  if (waves.confirm !== undefined && typeof waves.confirm !== 'boolean')
    say('confirm', `\`inputs.waves.confirm\` must be true or false (true: the judge's choice waits for your pick); found ${shown(waves.confirm)}`);
  else if (waves.confirm === true && waves.pick !== 'judge')
    say('confirm', `\`inputs.waves.confirm\` is for \`pick: judge\` (the judge's choice waits for your pick); with ${isPick(waves.pick) ? `\`pick: ${waves.pick}\`` : waves.pick === undefined ? 'the default `pick: first-green`' : 'this `pick`'} it has no meaning${waves.pick === undefined || waves.pick === 'first-green' ? ' (for a look before any merge: the review gate)' : ''}`);
  return out;
}

function shown(v: unknown): string {
  if (typeof v === 'string') return v.trim() === '' ? 'an empty string' : `\`${v.length > 40 ? `${v.slice(0, 40)}…` : v}\``;
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a mapping';
  return `\`${String(v)}\``;
}

/**
 * The agent ids a candidate may name: the presets' (an interactive one only as the package's own
 * agent: a run's start says so) and `custom`, the person's own. The presets are src/core/agents'
 * (a room above this one); test/core/plan/candidateSet.test.ts holds the two lists alike.
 */
export const CANDIDATE_AGENT_IDS: readonly string[] = [
  'claude-code',
  'claude-code-interactive',
  'codex',
  'codex-interactive',
  'gemini',
  'gemini-interactive',
  'aider',
  'aider-interactive',
  'copilot',
  'copilot-interactive',
  'custom',
];

/** The ids a candidate is said to run, in messages: the headless presets and `custom`. */
const SUGGESTED_AGENTS = CANDIDATE_AGENT_IDS.filter((id) => !id.endsWith('-interactive'));

/** What the plan's sets are held to beyond their form (`waves validate`, the editor, a run's start). */
export interface CandidateSetOptions {
  /** How many attempts run at once (`waves.maxParallel`, `--max-parallel`); default 10. A package's own set above it cannot start. */
  maxParallel?: number;
}

/**
 * What a package's well-formed `inputs.waves` asks that no run can start, each with its code and
 * its path inside the package: its own set above the cap (`candidates-over-cap`: at `candidates`,
 * or at `candidate_agents` when their number is the count), an agent id no agent has
 * (`candidate-agent-unknown`: at the item; a list of one too — a run-wide count runs it).
 */
export function candidateSetLimits(pkg: PlanPackage, options: CandidateSetOptions = {}): (CandidateSetProblem & { code: 'candidates-over-cap' | 'candidate-agent-unknown' })[] {
  const waves = wavesInputOf(pkg);
  if (!waves) return [];
  const out: (CandidateSetProblem & { code: 'candidates-over-cap' | 'candidate-agent-unknown' })[] = [];
  const cap = capOf(options.maxParallel);
  const own = isCandidateCount(waves.candidates) ? waves.candidates : null;
  const agents = isAgents(waves.candidate_agents) ? waves.candidate_agents : null;
  const count = own ?? agents?.length ?? 1;
  if (count > 1 && count > cap && pkg.worktree?.mode !== 'shared')
    out.push({
      code: 'candidates-over-cap',
      message: `${count} candidates, above the run's cap of ${cap} at once: they run side by side; raise the cap (waves.maxParallel, --max-parallel) or ask for fewer`,
      path: ['inputs', 'waves', own !== null ? 'candidates' : 'candidate_agents'],
    });
  agents?.forEach((a, i) => {
    const id = a.trim();
    if (!CANDIDATE_AGENT_IDS.includes(id))
      out.push({
        code: 'candidate-agent-unknown',
        message: `candidate agent ${shown(id)} is no agent Wave Orchestrator knows: a candidate runs a headless preset or custom, your own agent (${SUGGESTED_AGENTS.join(', ')})`,
        path: ['inputs', 'waves', 'candidate_agents', i],
      });
  });
  return out;
}

/**
 * The plan's `inputs.waves` values as errors, each at its value in the text (analyze.ts runs it
 * after the schema, where the reader can still locate a value): malformed (`candidates-value`),
 * or what no run can start (`candidateSetLimits`).
 */
export function candidateSetDiagnostics(read: ReadResult, options: CandidateSetOptions = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const pkg of read.plan.packages) {
    if (pkg.inputs === undefined) continue;
    for (const p of [...candidateSetProblems(pkg).map((p) => ({ ...p, code: 'candidates-value' })), ...candidateSetLimits(pkg, options)]) {
      const path: DataPath = ['packages', pkg.index, ...p.path];
      out.push({ severity: 'error', code: p.code, message: p.message, range: read.locate(path), packageId: pkg.id || null });
    }
  }
  return out;
}

/**
 * The inputs the agent is handed: the package's `inputs` without `waves` (the engine's: best of
 * n); undefined when nothing is left. Anything else is handed as written.
 */
export function agentInputs(inputs: unknown): unknown {
  if (!isRecord(inputs) || !('waves' in inputs)) return inputs;
  const { waves: _engine, ...rest } = inputs;
  return Object.keys(rest).length ? rest : undefined;
}

/** What a start needs to judge the plan's sets (startRun: the presets, the agents, the hosts). */
export interface CandidateStartContext {
  /** The run-wide count (`--candidates`, `WAVES_CANDIDATES`, `waves.candidates`); undefined: 1. */
  runCandidates?: number;
  /** At most this many attempts at once (`maxParallel`): a set's candidates run side by side. */
  cap: number;
  /** The id of the agent a package runs with. */
  ownAgentOf(packageId: string): string;
  /** Whether the package's own agent is an interactive one (a terminal user interface): `pick: judge` runs it headless. */
  ownAgentInteractive?(packageId: string): boolean;
  /** Whether an id names an agent a candidate can run with (startRun: a headless preset). */
  isHeadless(agentId: string): boolean;
  /** The headless presets' ids, for messages. */
  headless: readonly string[];
  /** The run has SSH hosts (then `cap` is their slots together, within the run's cap). */
  sshHosts: boolean;
  /** Somebody can pick (the editor; `waves run` on a terminal, without --json): `pick: person` needs it. */
  personToAsk: boolean;
  /** A resume: the package needs no pick any more (it succeeded, one of its candidates went on, or the person's pick waits to be carried out). */
  pickRecorded?(packageId: string): boolean;
}

/**
 * Why the plan's sets of candidates cannot start (one line each, naming the package), or []:
 * a run-wide count out of 1–8, a set above the run's cap, an agent that is neither a headless
 * preset nor the package's own (whatever the list's length: one of one is refused as one of
 * two), a judge that would be an interactive agent, a person's pick with nobody to ask (a
 * judge's first to confirm too; on a resume, not for a pick recorded), a set in a shared
 * worktree. Only `packages` are judged (a run of some of them judges those).
 */
export function candidateStartProblems(packages: readonly PlanPackage[], ctx: CandidateStartContext): string[] {
  const out: string[] = [];
  if (ctx.runCandidates !== undefined && !isCandidateCount(ctx.runCandidates))
    return [`the run-wide count of candidates is ${ctx.runCandidates}: it must be a whole number from 1 to ${MAX_SET}`];
  for (const pkg of packages) {
    const set = candidateSetOf(pkg, ctx.runCandidates);
    const waves = wavesInputOf(pkg);
    const of = `package ${pkg.id}`;
    // A shared worktree holds one attempt: the run-wide count passes it by; its own set is refused.
    if (set && pkg.worktree?.mode === 'shared') {
      if (isCandidateCount(waves?.candidates) || isAgents(waves?.candidate_agents))
        out.push(`${of}: its worktree is shared, which holds one attempt: candidates need worktree mode isolated`);
      continue;
    }
    const own = ctx.ownAgentOf(pkg.id);
    if (set && set.count > ctx.cap)
      out.push(`${of}: ${set.count} candidates, above the run's cap of ${ctx.cap} at once (they run side by side${ctx.sshHosts ? ", each in a slot of a host: raise the hosts' max_parallel or the cap," : ': raise the cap'} or ask for fewer)`);
    // Every agent the plan names for candidates, whatever the list's length (a list of one makes no set by itself; a run-wide count runs it).
    const agents = isAgents(waves?.candidate_agents) ? waves.candidate_agents.map((a) => a.trim()) : [];
    for (const id of new Set(agents))
      if (id !== own && !ctx.isHeadless(id))
        out.push(`${of}: candidate agent "${id}" is neither a headless preset (${ctx.headless.join(', ')}) nor the package's own agent (${own})`);
    if (!set) continue;
    if (set.pick === 'judge' && ctx.ownAgentInteractive?.(pkg.id))
      out.push(`${of}: pick: judge runs the package's own agent (${own}) as the judge, headless, and it is an interactive one: give the package a headless agent (${ctx.headless.join(', ')}), or use pick: person`);
    // The person picks (or confirms the judge's first): somebody must be there, unless a resume finds the pick made.
    if ((set.pick === 'person' || set.confirm) && !ctx.personToAsk && !ctx.pickRecorded?.(pkg.id))
      out.push(
        set.pick === 'person'
          ? `${of}: pick: person needs somebody to pick, and this run has nobody to ask (no terminal, or --json): run it on a terminal or in the editor, or use pick: first-green`
          : `${of}: confirm: true (the judge's first waits for your pick) needs somebody to pick, and this run has nobody to ask (no terminal, or --json): run it on a terminal or in the editor, or leave confirm out (the judge's first goes on)`,
      );
  }
  return out;
}

/** The agent ids a package's set runs with besides its own agent (their programs are checked as the others are). */
export function candidateAgentIds(pkg: PlanPackage, runCandidates: number | undefined, own: string): string[] {
  const set = candidateSetOf(pkg, runCandidates);
  return set?.agents ? [...new Set(set.agents)].filter((id) => id !== own) : [];
}

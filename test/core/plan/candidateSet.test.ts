import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { analyzePlan } from '../../../src/core/plan/analyze';
import {
  agentInputs,
  candidateAgentIds,
  candidateAgentOf,
  CANDIDATE_AGENT_IDS,
  candidateSetDiagnostics,
  candidateSetLimits,
  candidateSetOf,
  candidateSetProblems,
  candidateStartProblems,
  type CandidateStartContext,
} from '../../../src/core/plan/candidateSet';
import type { PlanPackage } from '../../../src/core/plan/model';
import { readPlan } from '../../../src/core/plan/reader/reader';
import { buildPrompt } from '../../../src/core/run/prompt';
import { PRESET_IDS } from '../../../src/core/agents/agentProfiles';

/** A package as the model holds it, with these inputs (only what the functions read). */
function pkg(inputs: unknown, over: Partial<PlanPackage> = {}): PlanPackage {
  return {
    id: 'wp-a',
    idRange: { start: 0, end: 0 },
    range: { start: 0, end: 0 },
    index: 0,
    dependsOn: [],
    scope: { writeAllow: [], readAllow: [], deny: [] },
    locks: { files: [], keys: [] },
    keyRanges: {},
    ...(inputs === undefined ? {} : { inputs }),
    ...over,
  };
}
const waves = (w: unknown, rest: Record<string, unknown> = {}) => pkg({ ...rest, waves: w });

/** A plan whose one package has these lines under `inputs:` (indented by the caller). */
function planText(inputsLines: string[], id = 'wp-a'): string {
  return ['schema_version: 1', 'feature: { id: f }', 'packages:', `  - package_id: ${id}`, '    scope: { write_allow: ["src/**"] }', '    inputs:', ...inputsLines, ''].join('\n');
}

describe('candidateSetOf', () => {
  const cases: [string, unknown, number | undefined, ReturnType<typeof candidateSetOf>][] = [
    ['no inputs, no run count', undefined, undefined, null],
    ['no inputs, the run count', undefined, 3, { count: 3, agents: null, pick: 'first-green', confirm: false }],
    ['the run count 1', undefined, 1, null],
    ['inputs without waves', { note: 'x' }, 2, { count: 2, agents: null, pick: 'first-green', confirm: false }],
    ['its own count', { waves: { candidates: 4 } }, undefined, { count: 4, agents: null, pick: 'first-green', confirm: false }],
    ['its own count wins over the run', { waves: { candidates: 2 } }, 5, { count: 2, agents: null, pick: 'first-green', confirm: false }],
    ['its own 1 wins over the run: no set', { waves: { candidates: 1 } }, 5, null],
    ['agents alone: their number', { waves: { candidate_agents: ['claude-code', 'codex'] } }, undefined, { count: 2, agents: ['claude-code', 'codex'], pick: 'first-green', confirm: false }],
    ['agents alone win over the run', { waves: { candidate_agents: ['a', 'b', 'c'] } }, 6, { count: 3, agents: ['a', 'b', 'c'], pick: 'first-green', confirm: false }],
    ['one agent alone: no set', { waves: { candidate_agents: ['codex'] } }, undefined, null],
    ['count and agents: the count, agents in turn', { waves: { candidates: 5, candidate_agents: ['a', 'b'] } }, undefined, { count: 5, agents: ['a', 'b'], pick: 'first-green', confirm: false }],
    ['agents trimmed', { waves: { candidate_agents: [' a ', 'b'] } }, undefined, { count: 2, agents: ['a', 'b'], pick: 'first-green', confirm: false }],
    ['a pick', { waves: { candidates: 2, pick: 'person' } }, undefined, { count: 2, agents: null, pick: 'person', confirm: false }],
    ['a pick alone takes the run count', { waves: { pick: 'judge' } }, 3, { count: 3, agents: null, pick: 'judge', confirm: false }],
    ['a pick alone, no run count: no set', { waves: { pick: 'judge' } }, undefined, null],
    ['a judge confirmed by the person', { waves: { candidates: 2, pick: 'judge', confirm: true } }, undefined, { count: 2, agents: null, pick: 'judge', confirm: true }],
    ['confirm false', { waves: { candidates: 2, pick: 'judge', confirm: false } }, undefined, { count: 2, agents: null, pick: 'judge', confirm: false }],
    ['confirm without a judge: no meaning', { waves: { candidates: 2, pick: 'person', confirm: true } }, undefined, { count: 2, agents: null, pick: 'person', confirm: false }],
    ['confirm not a boolean ignored', { waves: { candidates: 2, pick: 'judge', confirm: 'yes' } }, undefined, { count: 2, agents: null, pick: 'judge', confirm: false }],
    ['count 9 ignored: the run', { waves: { candidates: 9 } }, 2, { count: 2, agents: null, pick: 'first-green', confirm: false }],
    ['count 0 ignored', { waves: { candidates: 0 } }, undefined, null],
    ['count 2.5 ignored', { waves: { candidates: 2.5 } }, undefined, null],
    ['count "3" ignored', { waves: { candidates: '3' } }, undefined, null],
    ['agents empty ignored', { waves: { candidates: 2, candidate_agents: [] } }, undefined, { count: 2, agents: null, pick: 'first-green', confirm: false }],
    ['agents with an empty id ignored', { waves: { candidate_agents: ['a', ' '] } }, undefined, null],
    ['agents a string ignored', { waves: { candidates: 3, candidate_agents: 'codex' } }, undefined, { count: 3, agents: null, pick: 'first-green', confirm: false }],
    ['a bad pick: first-green', { waves: { candidates: 2, pick: 'best' } }, undefined, { count: 2, agents: null, pick: 'first-green', confirm: false }],
    ['waves not a mapping ignored', { waves: [3] }, 2, { count: 2, agents: null, pick: 'first-green', confirm: false }],
    ['inputs a list', ['x'], 2, { count: 2, agents: null, pick: 'first-green', confirm: false }],
    ['a run count not whole: none', undefined, 2.5, null],
  ];
  for (const [name, inputs, run, want] of cases)
    it(name, () => {
      assert.deepEqual(candidateSetOf(pkg(inputs), run), want);
    });

  it('candidate k runs agents[(k-1) % length]; null agents: the package\'s own', () => {
    const set = candidateSetOf(waves({ candidates: 5, candidate_agents: ['a', 'b'] }))!;
    assert.deepEqual([1, 2, 3, 4, 5].map((k) => candidateAgentOf(set, k)), ['a', 'b', 'a', 'b', 'a']);
    assert.equal(candidateAgentOf(candidateSetOf(waves({ candidates: 2 }))!, 2), null);
  });

  it('property: never throws; a set has 2–8 candidates (or the run\'s count), agents non-empty, a known pick', () => {
    const value = fc.oneof(fc.integer({ min: -2, max: 12 }), fc.double(), fc.string(), fc.constant(null), fc.array(fc.oneof(fc.string(), fc.integer())), fc.constantFrom('first-green', 'person', 'judge'));
    fc.assert(
      fc.property(fc.record({ candidates: value, candidate_agents: value, pick: value }, { requiredKeys: [] }), fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }), (w, run) => {
        const p = waves(w);
        const set = candidateSetOf(p, run);
        const problems = candidateSetProblems(p);
        if (set) {
          assert.ok(set.count >= 2 && set.count <= 8);
          assert.ok(set.agents === null || set.agents.length > 0);
          assert.ok(['first-green', 'person', 'judge'].includes(set.pick));
        }
        // Well-formed values are read as written; malformed ones are said, each at its key.
        for (const key of ['candidates', 'candidate_agents', 'pick'] as const) {
          const said = problems.some((pr) => pr.path[2] === key);
          if (w[key] === undefined) assert.ok(!said);
        }
        if (problems.length === 0 && typeof w.candidates === 'number') assert.deepEqual(set?.count ?? 1, w.candidates);
      }),
      { numRuns: 500 },
    );
  });
});

describe('candidateSetProblems', () => {
  it('says nothing of absent or well-formed values', () => {
    assert.deepEqual(candidateSetProblems(pkg(undefined)), []);
    assert.deepEqual(candidateSetProblems(pkg({ note: 1 })), []);
    assert.deepEqual(candidateSetProblems(waves({ candidates: 8, candidate_agents: ['codex'], pick: 'judge' })), []);
  });

  it('says each malformed value with its path inside the package', () => {
    const problems = candidateSetProblems(waves({ candidates: 9, candidate_agents: ['codex', 3, ''], pick: 'best' }));
    assert.deepEqual(
      problems.map((p) => p.path),
      [
        ['inputs', 'waves', 'candidates'],
        ['inputs', 'waves', 'candidate_agents', 1],
        ['inputs', 'waves', 'candidate_agents', 2],
        ['inputs', 'waves', 'pick'],
      ],
    );
    assert.match(problems[0]!.message, /whole number from 1 to 8; found `9`/);
    assert.match(problems[1]!.message, /item 2 must be an agent id; found `3`/);
    assert.match(problems[2]!.message, /item 3 .*found an empty string/);
    assert.match(problems[3]!.message, /one of `first-green`, `person`, `judge`; found `best`/);
  });

  it('confirm: a boolean, and only with pick: judge', () => {
    assert.deepEqual(candidateSetProblems(waves({ candidates: 2, pick: 'judge', confirm: true })), []);
    assert.deepEqual(candidateSetProblems(waves({ candidates: 2, pick: 'judge', confirm: false })), []);
    const notBool = candidateSetProblems(waves({ candidates: 2, pick: 'judge', confirm: 'yes' }));
    assert.deepEqual(notBool.map((p) => p.path), [['inputs', 'waves', 'confirm']]);
    assert.match(notBool[0]!.message, /must be true or false .*found `yes`/);
    assert.match(candidateSetProblems(waves({ candidates: 2, pick: 'person', confirm: true }))[0]!.message, /is for `pick: judge`.*with `pick: person` it has no meaning$/);
    assert.match(candidateSetProblems(waves({ candidates: 2, confirm: true }))[0]!.message, /with the default `pick: first-green` it has no meaning \(for a look before any merge: the review gate\)/);
  });

  it('an empty or non-list candidate_agents, and waves that is not a mapping', () => {
    assert.deepEqual(candidateSetProblems(waves({ candidate_agents: [] })).map((p) => p.path), [['inputs', 'waves', 'candidate_agents']]);
    assert.match(candidateSetProblems(waves({ candidate_agents: 'codex' }))[0]!.message, /non-empty list of agent ids.*found `codex`/);
    assert.deepEqual(candidateSetProblems(waves(4)).map((p) => p.path), [['inputs', 'waves']]);
    assert.deepEqual(candidateSetProblems(waves(null)).map((p) => p.path), [['inputs', 'waves']]);
  });
});

describe('the plan analysis says malformed inputs.waves at its value', () => {
  it('an error candidates-value at the line and column of the value, for its package', () => {
    const text = planText(['      note: keep', '      waves:', '        candidates: 12', '        pick: person']);
    const a = analyzePlan(text);
    assert.equal(a.valid, false);
    const ds = a.diagnostics.filter((d) => d.code === 'candidates-value');
    assert.equal(ds.length, 1);
    const d = ds[0]!;
    assert.equal(d.severity, 'error');
    assert.equal(d.packageId, 'wp-a');
    assert.equal(text.slice(d.range.start, d.range.end), '12');
    assert.equal(a.lines.position(d.range.start).line + 1, 9);
  });

  it('an agent item at its own position; flow style too', () => {
    const text = planText(['      waves: { candidate_agents: [codex, 7], pick: firstgreen }']);
    const ds = analyzePlan(text).diagnostics.filter((d) => d.code === 'candidates-value');
    assert.deepEqual(
      ds.map((d) => text.slice(d.range.start, d.range.end)),
      ['7', 'firstgreen'],
    );
  });

  it('a well-formed set is valid, and a plan without inputs.waves has no such diagnostic', () => {
    assert.equal(analyzePlan(planText(['      waves: { candidates: 3, candidate_agents: [claude-code, codex] }'])).valid, true);
    assert.equal(analyzePlan(planText(['      note: x'])).valid, true);
  });

  it('every front end of the reader locates the value alike', () => {
    const text = planText(['      waves:', '        candidates: "three"']);
    for (const parser of ['yaml', 'fast', 'direct'] as const) {
      const ds = candidateSetDiagnostics(readPlan(text, { parser }));
      assert.deepEqual(
        ds.map((d) => text.slice(d.range.start, d.range.end)),
        ['"three"'],
        parser,
      );
    }
  });

  it('an agent no agent has: candidate-agent-unknown at its item, a list of one as a list of two', () => {
    for (const list of ['[no-such-agent]', '[codex, no-such-agent]']) {
      const text = planText([`      waves: { candidate_agents: ${list} }`]);
      const a = analyzePlan(text);
      assert.equal(a.valid, false, list);
      const ds = a.diagnostics.filter((d) => d.code === 'candidate-agent-unknown');
      assert.deepEqual(ds.map((d) => [d.severity, d.packageId, text.slice(d.range.start, d.range.end)]), [['error', 'wp-a', 'no-such-agent']], list);
      assert.equal(ds[0]!.message, 'candidate agent `no-such-agent` is no agent Wave Orchestrator knows: a candidate runs a headless preset or custom, your own agent (claude-code, codex, gemini, aider, copilot, custom)');
    }
    // Every preset and custom is known (an interactive one only as the package's own: the start says so).
    assert.equal(analyzePlan(planText([`      waves: { candidate_agents: [${CANDIDATE_AGENT_IDS.slice(0, 8).join(', ')}] }`])).valid, true);
    assert.equal(analyzePlan(planText(['      waves: { candidate_agents: [custom, copilot, copilot-interactive] }'])).valid, true);
  });

  it('the agents a candidate may name are the presets\' and custom (the presets live in a room above the plan\'s)', () => {
    assert.deepEqual(CANDIDATE_AGENT_IDS, [...PRESET_IDS, 'custom']);
  });

  it('its own set above the cap: candidates-over-cap at candidates, or at candidate_agents when their number is the count', () => {
    const own = planText(['      waves:', '        candidates: 3']);
    const ds = analyzePlan(own, { maxParallel: 2 }).diagnostics.filter((d) => d.code === 'candidates-over-cap');
    assert.deepEqual(ds.map((d) => [d.severity, own.slice(d.range.start, d.range.end)]), [['error', '3']]);
    assert.equal(ds[0]!.message, "3 candidates, above the run's cap of 2 at once: they run side by side; raise the cap (waves.maxParallel, --max-parallel) or ask for fewer");
    const listed = planText(['      waves:', '        candidate_agents: [codex, gemini, codex]']);
    const d = analyzePlan(listed, { maxParallel: 2 }).diagnostics.find((x) => x.code === 'candidates-over-cap')!;
    assert.equal(listed.slice(d.range.start, d.range.end), '[codex, gemini, codex]');
    // Within the cap (10 by default), or the cap's own count of one: nothing.
    assert.equal(analyzePlan(own).valid, true);
    assert.equal(analyzePlan(own, { maxParallel: 3 }).valid, true);
    assert.deepEqual(candidateSetLimits(pkg({ waves: { candidates: 1 } }), { maxParallel: 1 }), []);
    // A shared worktree holds no set at all: the start says that, not the cap.
    assert.deepEqual(candidateSetLimits(pkg({ waves: { candidates: 3 } }, { worktree: { mode: 'shared' } }), { maxParallel: 2 }), []);
  });

  it('more than 8 agents: candidates-value on the list, and no set is made of it', () => {
    const nine = Array.from({ length: 9 }, () => 'codex');
    const problems = candidateSetProblems(waves({ candidate_agents: nine }));
    assert.deepEqual(problems.map((p) => [p.path, p.message]), [[['inputs', 'waves', 'candidate_agents'], '`inputs.waves.candidate_agents` names 9 agents: a package has at most 8 candidates']]);
    assert.equal(candidateSetOf(waves({ candidate_agents: nine })), null);
    assert.deepEqual(candidateSetLimits(waves({ candidate_agents: nine }), { maxParallel: 2 }), []);
  });

  it('a package id holds no "." (candidate keys are <id>.c<k>): the schema refuses it', () => {
    const a = analyzePlan(planText(['      note: x'], 'wp-a.c2'));
    assert.ok(a.diagnostics.some((d) => d.code === 'schema-pattern' && d.severity === 'error'));
  });
});

describe('inputs.waves is the engine\'s: left out of the prompt', () => {
  it('agentInputs drops waves and keeps the rest as written', () => {
    assert.deepEqual(agentInputs({ waves: { candidates: 2 }, note: 'x', n: [1] }), { note: 'x', n: [1] });
    assert.equal(agentInputs({ waves: { candidates: 2 } }), undefined);
    assert.deepEqual(agentInputs({ note: 'x' }), { note: 'x' });
    assert.deepEqual(agentInputs(['waves']), ['waves']);
    assert.equal(agentInputs(undefined), undefined);
    assert.equal(agentInputs('text'), 'text');
  });

  it('the prompt shows the package\'s and its dependents\' other inputs, never waves', () => {
    const text = [
      'schema_version: 1',
      'feature: { id: f }',
      'packages:',
      '  - package_id: up',
      '    scope: { write_allow: ["a/**"] }',
      '    inputs: { waves: { candidates: 3, candidate_agents: [codex] }, api_doc: docs/api.md }',
      '  - package_id: down',
      '    depends_on: [up]',
      '    scope: { write_allow: ["b/**"] }',
      '    inputs: { waves: { pick: first-green }, note: from-down }',
      '  - package_id: only-waves',
      '    scope: { write_allow: ["c/**"] }',
      '    inputs: { waves: { candidates: 2 } }',
      '',
    ].join('\n');
    const analysis = analyzePlan(text);
    assert.equal(analysis.valid, true);
    const prompt = (packageId: string) =>
      buildPrompt({ analysis, packageId, featureId: 'f', runId: 'r1', repoRoot: '/r', worktree: `/w/${packageId}`, resultFile: '/r/result.json', upstream: [] });
    const up = prompt('up');
    assert.match(up, /Inputs the plan hands to this package:/);
    assert.match(up, /"api_doc": "docs\/api\.md"/);
    assert.match(up, /Its inputs:[\s\S]*"note": "from-down"/);
    assert.doesNotMatch(up, /waves"|candidate|first-green/);
    const only = prompt('only-waves');
    assert.doesNotMatch(only, /Inputs the plan hands to this package|"waves"|candidates/);
  });
});

describe('candidateStartProblems', () => {
  const headless = ['claude-code', 'codex', 'gemini'];
  const ctx = (over: Partial<CandidateStartContext> = {}): CandidateStartContext => ({
    cap: 10,
    ownAgentOf: () => 'claude-code',
    isHeadless: (id) => headless.includes(id),
    headless,
    sshHosts: false,
    personToAsk: true,
    ...over,
  });
  const named = (id: string, inputs: unknown, over: Partial<PlanPackage> = {}) => pkg(inputs, { id, ...over });

  it('nothing to say without sets, or of well-formed first-green sets within the cap', () => {
    assert.deepEqual(candidateStartProblems([named('a', undefined)], ctx()), []);
    assert.deepEqual(candidateStartProblems([named('a', { waves: { candidates: 3, candidate_agents: ['codex', 'claude-code'] } })], ctx({ cap: 3 })), []);
    assert.deepEqual(candidateStartProblems([named('a', undefined)], ctx({ runCandidates: 8, cap: 8 })), []);
  });

  it('a run-wide count out of 1–8', () => {
    assert.deepEqual(candidateStartProblems([named('a', undefined)], ctx({ runCandidates: 9 })), ['the run-wide count of candidates is 9: it must be a whole number from 1 to 8']);
    assert.match(candidateStartProblems([], ctx({ runCandidates: 0 }))[0]!, /must be a whole number from 1 to 8/);
  });

  it('a set above the cap: its own or the run\'s', () => {
    assert.deepEqual(candidateStartProblems([named('a', { waves: { candidates: 4 } })], ctx({ cap: 3 })), [
      "package a: 4 candidates, above the run's cap of 3 at once (they run side by side: raise the cap or ask for fewer)",
    ]);
    assert.equal(candidateStartProblems([named('a', undefined), named('b', undefined)], ctx({ runCandidates: 5, cap: 4 })).length, 2);
    // Its own count below the cap wins over a run-wide one above it.
    assert.deepEqual(candidateStartProblems([named('a', { waves: { candidates: 2 } })], ctx({ runCandidates: 6, cap: 4 })), []);
  });

  it('an agent that cannot run is refused whatever the list\'s length: one of one as one of two', () => {
    const said = 'package a: candidate agent "nope" is neither a headless preset (claude-code, codex, gemini) nor the package\'s own agent (claude-code)';
    assert.deepEqual(candidateStartProblems([named('a', { waves: { candidate_agents: ['nope'] } })], ctx()), [said]);
    assert.deepEqual(candidateStartProblems([named('a', { waves: { candidate_agents: ['nope', 'nope'] } })], ctx()), [said]);
    assert.deepEqual(candidateStartProblems([named('a', { waves: { candidates: 1, candidate_agents: ['codex-interactive'] } })], ctx()).length, 1);
    // One that can run makes no set by itself: nothing to say.
    assert.deepEqual(candidateStartProblems([named('a', { waves: { candidate_agents: ['codex'] } })], ctx()), []);
  });

  it('an agent neither a headless preset nor the package\'s own; its own custom agent passes', () => {
    const problems = candidateStartProblems([named('a', { waves: { candidate_agents: ['nope', 'codex', 'nope'] } })], ctx());
    assert.deepEqual(problems, ['package a: candidate agent "nope" is neither a headless preset (claude-code, codex, gemini) nor the package\'s own agent (claude-code)']);
    assert.deepEqual(candidateStartProblems([named('a', { waves: { candidate_agents: ['custom', 'codex'] } })], ctx({ ownAgentOf: () => 'custom' })), []);
    assert.equal(candidateStartProblems([named('a', { waves: { candidate_agents: ['claude-code-interactive', 'codex'] } })], ctx()).length, 1);
  });

  it('pick person: only with somebody to ask; a judge needs nobody', () => {
    assert.deepEqual(candidateStartProblems([named('a', { waves: { candidates: 2, pick: 'person' } })], ctx()), []);
    assert.deepEqual(candidateStartProblems([named('a', { waves: { candidates: 2, pick: 'person' } })], ctx({ personToAsk: false })), [
      'package a: pick: person needs somebody to pick, and this run has nobody to ask (no terminal, or --json): run it on a terminal or in the editor, or use pick: first-green',
    ]);
    assert.deepEqual(candidateStartProblems([named('a', { waves: { pick: 'judge' } })], ctx({ runCandidates: 2, personToAsk: false })), []);
    // No set, no pick to refuse.
    assert.deepEqual(candidateStartProblems([named('a', { waves: { pick: 'judge' } })], ctx()), []);
    // The judge's first to confirm waits for the person as a person's pick does.
    assert.deepEqual(candidateStartProblems([named('a', { waves: { candidates: 2, pick: 'judge', confirm: true } })], ctx({ personToAsk: false })), [
      "package a: confirm: true (the judge's first waits for your pick) needs somebody to pick, and this run has nobody to ask (no terminal, or --json): run it on a terminal or in the editor, or leave confirm out (the judge's first goes on)",
    ]);
  });

  it('a resume with nobody to ask: a package whose pick is made (recorded, gone on, succeeded) needs nobody; another still does', () => {
    const plan = [named('a', { waves: { candidates: 2, pick: 'person' } }), named('b', { waves: { candidates: 2, pick: 'person' } })];
    assert.deepEqual(candidateStartProblems(plan, ctx({ personToAsk: false, pickRecorded: (id) => id === 'a' })), [
      'package b: pick: person needs somebody to pick, and this run has nobody to ask (no terminal, or --json): run it on a terminal or in the editor, or use pick: first-green',
    ]);
    assert.deepEqual(candidateStartProblems(plan, ctx({ personToAsk: false, pickRecorded: () => true })), []);
  });

  it('pick judge: the package\'s own agent judges, headless — an interactive one is refused', () => {
    const interactive = ctx({ ownAgentOf: () => 'claude-code-tui', ownAgentInteractive: (id) => id === 'a' });
    assert.deepEqual(candidateStartProblems([named('a', { waves: { candidates: 2, pick: 'judge' } })], interactive), [
      `package a: pick: judge runs the package's own agent (claude-code-tui) as the judge, headless, and it is an interactive one: give the package a headless agent (${headless.join(', ')}), or use pick: person`,
    ]);
    assert.deepEqual(candidateStartProblems([named('a', { waves: { candidates: 2, pick: 'person' } }), named('b', { waves: { candidates: 2, pick: 'judge' } })], interactive), [], 'a person picks; b\'s agent is headless');
  });

  it('sets run on SSH hosts too, each candidate in a slot of a host: only a set above the slots is refused', () => {
    assert.deepEqual(candidateStartProblems([named('a', { waves: { candidates: 2 } }), named('b', undefined)], ctx({ sshHosts: true, cap: 2 })), []);
    assert.deepEqual(candidateStartProblems([named('a', undefined), named('b', undefined)], ctx({ sshHosts: true, runCandidates: 2, cap: 3 })), []);
    assert.deepEqual(candidateStartProblems([named('a', { waves: { candidates: 3 } })], ctx({ sshHosts: true, cap: 2 })), [
      "package a: 3 candidates, above the run's cap of 2 at once (they run side by side, each in a slot of a host: raise the hosts' max_parallel or the cap, or ask for fewer)",
    ]);
  });

  it('a shared worktree: its own set refused, the run-wide count passes it by', () => {
    const shared = { worktree: { mode: 'shared' as const } };
    assert.deepEqual(candidateStartProblems([named('a', { waves: { candidates: 2 } }, shared)], ctx()), [
      'package a: its worktree is shared, which holds one attempt: candidates need worktree mode isolated',
    ]);
    assert.deepEqual(candidateStartProblems([named('a', undefined, shared)], ctx({ runCandidates: 3, cap: 2 })), []);
  });

  it('candidateAgentIds: the set\'s agents besides the package\'s own, once each', () => {
    assert.deepEqual(candidateAgentIds(named('a', { waves: { candidate_agents: ['codex', 'claude-code', 'codex', 'gemini'] } }), undefined, 'claude-code'), ['codex', 'gemini']);
    assert.deepEqual(candidateAgentIds(named('a', undefined), 3, 'claude-code'), []);
  });
});

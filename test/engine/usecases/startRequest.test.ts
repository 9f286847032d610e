/** The start request both front ends build from what they read (startRequestFrom). */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { presetProfile } from '../../../src/core/agents/agentProfiles';
import { startRequestFrom } from '../../../src/engine/usecases/startRequest';

const agent = presetProfile('codex')!;
const base = { planFile: '/r/work-packages.yaml', shown: 'work-packages.yaml', agent };

describe('startRequestFrom', () => {
  it('leaves out what says nothing: unset, a switch off, an empty list or map, an empty budget', () => {
    const request = startRequestFrom({
      ...base,
      maxParallel: 4,
      mode: 'eager',
      candidates: undefined,
      resume: false,
      layered: false,
      adopt: false,
      allowPlannedOverlap: false,
      reset: [],
      agentFallback: [],
      copyFiles: [],
      agentCaps: {},
      budget: {},
      review: undefined,
      hosts: undefined,
    });
    assert.deepEqual(request, { ...base, maxParallel: 4, mode: 'eager' });
    assert.deepEqual(Object.keys(request).sort(), ['agent', 'maxParallel', 'mode', 'planFile', 'shown']);
  });

  it('keeps what says something, an off guard and a review gate set off among them', () => {
    const fallback = [presetProfile('gemini')!];
    const given = {
      ...base,
      resume: true,
      integrationGuard: false,
      review: 'off' as const,
      only: ['a'],
      reset: ['failed' as const],
      agentFallback: fallback,
      agentCaps: { codex: 2 },
      budget: { usd: 3 },
      onUsageLimit: 'wait' as const,
      personToAsk: false,
      graceMs: 0,
    };
    assert.deepEqual(startRequestFrom(given), given);
  });
});

/**
 * The run's cap rule and its default agent are written once (core/plan/defaults.ts,
 * core/agents/agentProfiles.ts): every front end and the engine call them, none writes its own.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_AGENT, presetProfile } from '../../../src/core/agents/agentProfiles';
import { capOf, DEFAULT_MAX_PARALLEL } from '../../../src/core/plan/defaults';

const SRC = path.join(__dirname, '..', '..', '..', 'src');

function sources(dir: string): { file: string; text: string }[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return /\.tsx?$/.test(e.name) ? [{ file: path.relative(SRC, full).split(path.sep).join('/'), text: fs.readFileSync(full, 'utf8') }] : [];
  });
}

describe("the run's cap and default agent", () => {
  it('the cap is a whole number of at least 1, the default where none was given', () => {
    assert.equal(capOf(undefined), DEFAULT_MAX_PARALLEL);
    assert.equal(capOf(3), 3);
    assert.equal(capOf(2.7), 2);
    assert.equal(capOf(0), 1);
    assert.equal(capOf(-4), 1);
  });

  it('the default agent is a headless preset', () => {
    assert.equal(presetProfile(DEFAULT_AGENT)?.interactive, false);
  });

  it('no other file writes the cap rule or falls back to an agent of its own', () => {
    const all = sources(SRC);
    assert.ok(all.length > 50, 'the sources were read');
    // The default cap is read through capOf only; no other file floors a cap or reads the setting with a default of its own.
    const capRule = all.filter(({ file, text }) => file !== 'core/plan/defaults.ts' && /DEFAULT_MAX_PARALLEL|Math\.max\(1,\s*Math\.floor\([^;]*maxParallel[^;]*\?\?|'maxParallel',\s*\d/.test(text));
    assert.deepEqual(capRule.map((f) => f.file), []);
    // A fallback to a preset named in place (`?? 'claude-code'`, `: 'claude-code'`).
    const agentDefault = all.filter(({ text }) => /(\?\?|\?[^:]*:|\|\|)\s*'claude-code'/.test(text));
    assert.deepEqual(agentDefault.map((f) => f.file), []);
  });
});

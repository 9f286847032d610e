// What the tests of the fast YAML front ends (fastYaml.test.ts, planScanner.test.ts) share: the
// real plans, the reader's result through a fast front end held to the `yaml` package's, the
// cases where a front end must give up, and random edits of a plan's text for the properties.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { generatePlan } from '../../../bench/generate';
import { readPlan } from '../../../src/core/plan/reader/reader';

const FIXTURES = path.resolve(__dirname, '../../fixtures/act-plans');
/** The real plans' texts, by file name. */
export const fixtures = fs
  .readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => fs.readFileSync(path.join(FIXTURES, f), 'utf8'));

export const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');

/** The benchmark's generated plans, compact and with every field, one with CRLF: what each fast front end must take. */
export function generatedPlans(): [string, string][] {
  return [
    ['compact 300', generatePlan(300, { compact: true })],
    ['full 200', generatePlan(200)],
    ['full 50, CRLF', crlf(generatePlan(50))],
  ];
}

/** Everything the reader gives, as one comparable string. */
function readAs(text: string, parser: 'yaml' | 'fast' | 'direct'): string {
  const r = readPlan(text, { parser });
  return JSON.stringify({ diagnostics: r.diagnostics, plan: r.plan, data: r.data });
}

/**
 * The reader's result (diagnostics, plan, data, every range) through the fast front ends and the
 * walk, through the direct read (`planDirect.ts`, where it takes the text) and through `yaml`:
 * the same, or the first difference.
 */
export function assertReadsAsYaml(text: string, what: string): void {
  const exact = readAs(text, 'yaml');
  for (const parser of ['fast', 'direct'] as const) {
    const fast = readAs(text, parser);
    if (exact === fast) continue;
    let i = 0;
    while (exact[i] === fast[i]) i++;
    assert.fail(`${what}: the ${parser} reading differs at ${i}:\n  yaml: …${exact.slice(i - 80, i + 80)}\n  ${parser}: …${fast.slice(i - 80, i + 80)}\n  text: ${JSON.stringify(text.slice(0, 400))}`);
  }
}

/** Each case: `parse` (a front end) gives up, and the reader still reads it as `yaml` does. */
export function assertGivesUp(parse: (text: string) => unknown, cases: Readonly<Record<string, string>>): void {
  for (const [what, text] of Object.entries(cases)) {
    assert.equal(parse(text), undefined, `${what}: gives up`);
    assertReadsAsYaml(text, what);
  }
}

export type MutationOp = 'delete' | 'insert' | 'duplicate-line' | 'indent' | 'dedent';

export interface Mutation {
  at: number;
  op: MutationOp;
  piece: string;
  line: number;
}

/** One to three edits: a character deleted, a piece inserted, a line repeated, indented or dedented. */
export function mutations(pieces: readonly string[], ops: readonly MutationOp[]): fc.Arbitrary<Mutation[]> {
  const edit = fc.record({ at: fc.nat(), op: fc.constantFrom(...ops), piece: fc.constantFrom(...pieces), line: fc.nat() });
  return fc.array(edit, { minLength: 1, maxLength: 3 });
}

export function mutate(text: string, edits: readonly Mutation[]): string {
  let out = text;
  for (const e of edits) {
    const at = e.at % (out.length + 1);
    const lines = out.split('\n');
    const line = e.line % lines.length;
    if (e.op === 'delete') out = out.slice(0, at) + out.slice(at + 1);
    else if (e.op === 'insert') out = out.slice(0, at) + e.piece + out.slice(at);
    else if (e.op === 'duplicate-line') out = [...lines.slice(0, line), lines[line], ...lines.slice(line)].join('\n');
    else if (e.op === 'indent') out = [...lines.slice(0, line), ` ${lines[line]}`, ...lines.slice(line + 1)].join('\n');
    else out = [...lines.slice(0, line), lines[line].replace(/^ /, ''), ...lines.slice(line + 1)].join('\n');
  }
  return out;
}

// Random edits of a plan's text, for the properties that hold the fast YAML front ends to the
// `yaml` package on real plans mutated at random.
import fc from 'fast-check';

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

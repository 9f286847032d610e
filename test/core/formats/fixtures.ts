/** The task lists of test/fixtures/formats/, read as the CLI reads them; and where a range points. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TextRange } from '../../../src/core/plan/model';
import { readForeignPlan, type ForeignPlanResult } from '../../../src/core/formats/foreignPlan';

export const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'formats');

export function fixture(format: string, name: string): { file: string; text: string } {
  const file = `${format}/${name}`;
  return { file, text: fs.readFileSync(path.join(FIXTURES, file), 'utf8') };
}

export function read(format: string, name: string): ForeignPlanResult & { text: string } {
  const { file, text } = fixture(format, name);
  return { ...readForeignPlan(file, text), text };
}

export function fixtureNames(format: string): string[] {
  return fs.readdirSync(path.join(FIXTURES, format)).filter((n) => n !== 'README.md');
}

export const at = (text: string, r: TextRange) => text.slice(r.start, r.end);

/** Each package's dependencies as `id`, implied ones as `id?`. */
export function deps(result: ForeignPlanResult, id: string): string[] {
  const p = result.packages.find((x) => x.id === id);
  if (!p) throw new Error(`no package ${id}`);
  return p.dependencies.map((d) => (d.kind === 'implied' ? `${d.id}?` : d.id));
}

export const codes = (result: ForeignPlanResult, code: string) => result.diagnostics.filter((d) => d.code === code);

/** The task lists of test/fixtures/formats/, read as the CLI reads them; and where a range points. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TextRange } from '../../../src/core/plan/model';
import { readForeignFolder, readForeignPlan, type ForeignPlanResult } from '../../../src/core/formats/foreignPlan';

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

/** Every file under a folder of test/fixtures/formats/ (`gsd/phases/02-auth`), read as the CLI reads a folder. */
export function folderFiles(rel: string): { path: string; text: string }[] {
  const walk = (dir: string): string[] =>
    fs.readdirSync(path.join(FIXTURES, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(`${dir}/${e.name}`) : e.name === 'README.md' ? [] : [`${dir}/${e.name}`]));
  return walk(rel).map((p) => ({ path: p, text: fs.readFileSync(path.join(FIXTURES, p), 'utf8') }));
}

/** A folder read with readForeignFolder, with a way to see what a range of one of its files holds. */
export function readFolder(rel: string): ForeignPlanResult & { at: (file: string | undefined, r: TextRange) => string } {
  const files = folderFiles(rel);
  const texts = new Map(files.map((f) => [f.path, f.text]));
  return { ...readForeignFolder(files), at: (file, r) => (texts.get(file ?? '') ?? '').slice(r.start, r.end) };
}

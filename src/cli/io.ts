/**
 * The `waves` command's input and output: the `Io` every command writes through (the real
 * one is `nodeIo`), reading a plan file, a plan report in a person's words (as `validate`
 * prints it) and a yes/no question on the terminal.
 */
import * as fs from 'fs';
import * as readline from 'readline';
import type { PlanReport } from '../core/plan/planReport';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  readFile(path: string): string;
  stdin(): AsyncIterable<string>;
}

export const nodeIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  readFile: (file) => fs.readFileSync(file, 'utf8'),
  stdin: () => readline.createInterface({ input: process.stdin, crlfDelay: Infinity }),
};

export function readPlanFile(io: Io, file: string): { text: string } | { error: string } {
  try {
    const text = io.readFile(file);
    return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code ?? String(err);
    return { error: `cannot read ${file}: ${why}` };
  }
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function humanReport(r: PlanReport): string {
  const lines = r.diagnostics.map((d) => `${r.file}:${d.line}:${d.column} ${d.severity} ${d.code} ${d.message}`);
  const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = r.diagnostics.filter((d) => d.severity === 'warning').length;
  const noWave = r.packages.filter((p) => p.wave === null).map((p) => p.id);
  lines.push(
    `${r.file}: ${r.valid ? 'valid' : 'invalid'} — ${count(r.packages.length, 'package')} in ${count(r.waves.length, 'wave')}, ` +
      `${count(errors, 'error')}, ${count(warnings, 'warning')}`,
  );
  r.waves.forEach((w, k) => lines.push(`  wave ${k + 1}: ${w.join(', ')}`));
  if (noWave.length) lines.push(`  no wave (dependency cycle): ${noWave.join(', ')}`);
  if (r.criticalPath.length) lines.push(`  critical path: ${r.criticalPath.join(' → ')}`);
  return lines.join('\n') + '\n';
}

/** Asks a yes/no question on the terminal; true only for y/yes. */
export function askYesNo(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    rl.question(question, (answer) => {
      rl.close();
      resolve(/^\s*y(es)?\s*$/i.test(answer));
    });
    rl.on('SIGINT', () => {
      rl.close();
      resolve(false);
    });
  });
}

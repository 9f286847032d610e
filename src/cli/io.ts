/**
 * The `waves` command's input and output: the `Io` every command writes through (the real
 * one is `nodeIo`), reading a plan file, a plan report in a person's words (as `validate`
 * prints it) and a yes/no question on the terminal.
 */
import * as fs from 'fs';
import * as readline from 'readline';
import type { PlanReport } from '../core/plan/planReport';
import { NotRegularFileError, readRegularFileSync } from '../util/regularFile';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  readFile(path: string): string;
  /** A file that must be a regular file (a plan): a FIFO, a device or a socket is refused, never opened (`NotRegularFileError`). */
  readRegularFile(path: string): string;
  stdin(): AsyncIterable<string>;
}

/** Output streams whose reader has gone (`waves validate --json big.yaml | head`). */
const closed = new Set<NodeJS.WriteStream>();

/**
 * When the reader of stdout or stderr stops early, what is still to be written is dropped — not
 * an unhandled error with a stack trace — and the command goes on to its end (a run is never
 * abandoned because nobody reads its progress). Called once by the `waves` command.
 */
export function dropOutputOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      closed.add(stream);
    });
  }
}

function write(stream: NodeJS.WriteStream, text: string): void {
  if (!closed.has(stream)) stream.write(text);
}

export const nodeIo: Io = {
  out: (text) => write(process.stdout, text),
  err: (text) => write(process.stderr, text),
  readFile: (file) => fs.readFileSync(file, 'utf8'),
  readRegularFile: (file) => readRegularFileSync(file).toString('utf8'),
  stdin: () => readline.createInterface({ input: process.stdin, crlfDelay: Infinity }),
};

/** A plan file's text (a byte-order mark removed), or why it cannot be read: a FIFO, a device or a socket is refused without waiting on it. */
export function readPlanFile(io: Io, file: string): { text: string } | { error: string } {
  try {
    const text = io.readRegularFile(file);
    return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  } catch (err) {
    if (err instanceof NotRegularFileError) return { error: `cannot read ${file}: ${err.why}` };
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

/**
 * Stage 1 of the plan reader: the text → its first YAML document, by the fast front end
 * (`fastYaml.ts`) for large texts or else the `yaml` document API, with YAML's own problems,
 * a binary file and further documents reported as positioned diagnostics. And how the
 * reader's diagnostics are made, their ranges kept inside the text (`diagnostic`,
 * `clampRange`, `lineEnd`): the walk makes them too.
 */
import { parseAllDocuments, type Document } from 'yaml';
import { FAST_PARSE_MIN_LENGTH, fastParse } from './fastYaml';
import type { Diagnostic, Fix, Severity, TextRange } from '../model';

/** YAML syntax errors reported at most; a binary or badly broken file would give thousands. */
const MAX_SYNTAX_DIAGNOSTICS = 100;
/** A NUL byte this early means a binary file (git's heuristic). */
const BINARY_PROBE_LENGTH = 8000;

/** A reader's diagnostic: no package yet (the reader assigns them at the end), `fixes` only when there are some. */
export function diagnostic(severity: Severity, code: string, message: string, range: TextRange, fixes?: Fix[]): Diagnostic {
  const d: Diagnostic = { severity, code, message, range, packageId: null };
  if (fixes && fixes.length > 0) d.fixes = fixes;
  return d;
}

/** Parses the text: its first document, if any, unless the text is binary. */
export function parse(text: string, out: Diagnostic[], parser: 'auto' | 'yaml' | 'fast'): { doc?: Document; binary: boolean; lean?: boolean } {
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    let end = nul;
    while (text.charCodeAt(end) === 0) end++;
    const binary = nul < BINARY_PROBE_LENGTH;
    out.push(
      diagnostic(
        'error',
        'yaml-binary',
        binary
          ? 'This is a binary file, not YAML text (it contains NUL bytes); it is not read'
          : 'NUL bytes in the text: a plan is plain text; the file may be corrupt',
        { start: nul, end },
      ),
    );
    if (binary) return { binary };
  }

  if (parser === 'fast' || (parser === 'auto' && text.length >= FAST_PARSE_MIN_LENGTH)) {
    const doc = fastParse(text);
    if (doc) return { doc, binary: false, lean: true };
  }
  const docs = parseAllDocuments(text, { prettyErrors: false });
  const doc = docs[0];
  if (!doc) return { binary: false };

  const problems = [
    ...doc.errors.map((e) => ({ severity: 'error' as const, e })),
    ...doc.warnings.map((e) => ({ severity: 'warning' as const, e })),
  ];
  problems.slice(0, MAX_SYNTAX_DIAGNOSTICS).forEach(({ severity, e }, k) => {
    const more =
      k === MAX_SYNTAX_DIAGNOSTICS - 1 && problems.length > MAX_SYNTAX_DIAGNOSTICS
        ? ` (and ${problems.length - MAX_SYNTAX_DIAGNOSTICS} more YAML problems not shown)`
        : '';
    const [start, end] = e.pos ?? [0, 0];
    out.push(diagnostic(severity, 'yaml-syntax', `YAML: ${firstLine(e.message)}${more}`, clampRange(text, start, end)));
  });

  if (docs.length > 1) {
    const start = docs[1].range?.[0] ?? text.length;
    out.push(
      diagnostic(
        'warning',
        'yaml-multi-document',
        `This file holds ${docs.length} YAML documents; only the first is read as the plan`,
        clampRange(text, start, lineEnd(text, start)),
      ),
    );
  }
  return { doc, binary: false };
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return (i === -1 ? s : s.slice(0, i)).trim();
}

/** Where the line `offset` is on ends, its line break (LF or CR LF) left out. */
export function lineEnd(text: string, offset: number): number {
  const i = text.indexOf('\n', offset);
  const end = i === -1 ? text.length : i;
  return end > offset && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
}

/** `start`–`end` kept inside the text, the end never before the start. */
export function clampRange(text: string, start: number, end: number): TextRange {
  const s = Math.max(0, Math.min(Number.isFinite(start) ? start : 0, text.length));
  const e = Math.max(s, Math.min(Number.isFinite(end) ? end : s, text.length));
  return { start: s, end: e };
}

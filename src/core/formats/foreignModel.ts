/**
 * What every reader of a foreign task list (spec-kit, Kiro/cc-sdd, Taskmaster, beads, OpenSpec,
 * GSD, Spec Kitty) hands the assembler: its tasks as written, with where each id, dependency and
 * path is in the source text. The assembler (`assemble.ts`) turns them into the plan model.
 * A format that keeps one task a file (GSD `PLAN.md`, Spec Kitty `WP*.md`) is read from several
 * files: then each task and each diagnostic says which file its ranges are into (`file`).
 *
 * Pure data and small helpers: no I/O (src/core).
 */
import type { Diagnostic, Located, Severity, TextRange } from '../plan/model';

export type ForeignFormat = 'spec-kit' | 'kiro' | 'taskmaster' | 'beads' | 'openspec' | 'gsd' | 'spec-kitty';

/** A diagnostic of a plan read from several files: `file` is the one its range is into (absent: the one file read). */
export type ForeignDiagnostic = Diagnostic & { file?: string };

/** One file of a plan kept one task a file; `path` with `/` separators. */
export interface SourceFile {
  path: string;
  text: string;
}

/** How a dependency is known: written in the source, or only implied by the order or the phase of the tasks. */
export type DependencyKind = 'explicit' | 'implied';

export interface RawDependency {
  /** The id as the source writes it (`T012`, `1.2`, `3`, `bd-5`). */
  key: string;
  /** Where it is written; for an implied one, the dependent task's id. */
  range: TextRange;
  kind: DependencyKind;
  /** Why an implied one is there (`order in phase "Setup"`); for an explicit one, how it is written. */
  reason: string;
  /** The file `range` is into when it is not the task's own (a Spec Kitty dependency written in tasks.md). */
  file?: string;
}

export interface RawTask {
  /** The id as written (`T001`, `2.1`, `3`, `3.2`, `bd-10`, or the section number). */
  key: string;
  keyRange: TextRange;
  /** The whole task (its line and its detail lines). */
  range: TextRange;
  title: string;
  /** Detail lines, details and test strategy, as plain text. */
  details: string[];
  /** The key of the task it is nested in (a sub-task), when it is one. */
  parent?: string;
  dependencies: RawDependency[];
  /** Files the source declares the task writes (none of the formats read here declares them). */
  declaredWrites: Located<string>[];
  /** Paths named in the task's text: a scope suggestion, never a declared scope. */
  pathGuesses: Located<string>[];
  /** The phase or section it is in, when the format has them. */
  phase?: string;
  /** Marked as runnable in parallel (`[P]`, `(P)`). */
  parallel?: boolean;
  done?: boolean;
  /** 1 (most urgent) to 10, mapped from the format's own priority. */
  priority?: number;
  /** The file every range of it is into, when the plan is read from several files. */
  file?: string;
}

export interface RawRead {
  tasks: RawTask[];
  diagnostics: ForeignDiagnostic[];
  notes: string[];
  title?: string;
}

export function diag(severity: Severity, code: string, message: string, range: TextRange, packageId: string | null = null, file?: string): ForeignDiagnostic {
  const d: ForeignDiagnostic = { severity, code, message, range: { start: range.start, end: range.end }, packageId };
  if (file !== undefined) d.file = file;
  return d;
}

/** `[start, end)` of `sub` found in `line` at or after `from`, offset by where the line starts. */
export function rangeIn(lineStart: number, line: string, sub: string, from = 0): TextRange {
  const at = line.indexOf(sub, from);
  const start = lineStart + (at < 0 ? 0 : at);
  return { start, end: start + (at < 0 ? line.length : sub.length) };
}

/** The lines of a text with their start offsets (a line's text has no line break). */
export function linesOf(text: string): { text: string; start: number }[] {
  const out: { text: string; start: number }[] = [];
  let start = 0;
  while (start <= text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    const line = text.slice(start, end);
    out.push({ text: line.endsWith('\r') ? line.slice(0, -1) : line, start });
    if (nl < 0) break;
    start = nl + 1;
  }
  return out;
}

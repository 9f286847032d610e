/**
 * Bring your own plan: the task lists people already have, read as plans. One entry point:
 * `readForeignPlan(fileName, text)` finds the format (`detectFormat`) and reads it into the plan
 * model (`Plan`, every range into the source text), with positioned diagnostics of what a safe
 * parallel run still needs and of bad input. It never throws. Reading the file is the caller's.
 *
 * Formats: spec-kit `tasks.md`, Kiro / cc-sdd `tasks.md`, Taskmaster `tasks.json`, beads
 * `issues.jsonl`, OpenSpec `tasks.md`.
 */
import { assemble, type ForeignPlanResult } from './assemble';
import { looksLikeBeads, readBeads } from './beads';
import { diag, type ForeignFormat, type RawRead } from './foreignModel';
import { looksLikeKiro, readKiro } from './kiro';
import { looksLikeOpenSpec, readOpenSpec } from './openSpec';
import { looksLikeSpecKit, readSpecKit } from './specKit';
import { looksLikeTaskmaster, readTaskmaster, type TaskmasterOptions } from './taskmaster';

export type { ForeignFormat } from './foreignModel';
export type { ForeignDependency, ForeignPackage, ForeignPlanResult } from './assemble';

export const FOREIGN_FORMATS: readonly ForeignFormat[] = ['spec-kit', 'kiro', 'taskmaster', 'beads', 'openspec'];

const NAMES: Record<ForeignFormat, string> = {
  'spec-kit': 'spec-kit tasks.md',
  kiro: 'Kiro / cc-sdd tasks.md',
  taskmaster: 'Taskmaster tasks.json',
  beads: 'beads issues.jsonl',
  openspec: 'OpenSpec tasks.md',
};

export function formatName(format: ForeignFormat): string {
  return NAMES[format];
}

/** The format a file is in, from its path and its text; null when it is none of them. */
export function detectFormat(fileName: string, text: string): ForeignFormat | null {
  const path = fileName.replace(/\\/g, '/');
  const base = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  if (base.endsWith('.jsonl') || path.includes('.beads/')) return looksLikeBeads(text) || base.endsWith('.jsonl') ? 'beads' : null;
  if (base.endsWith('.json') || path.includes('.taskmaster/')) return looksLikeTaskmaster(text) || /tasks\.json$/.test(base) ? 'taskmaster' : null;
  if (path.includes('.kiro/')) return 'kiro';
  if (path.includes('openspec/')) return 'openspec';
  if (looksLikeSpecKit(text)) return 'spec-kit';
  if (looksLikeOpenSpec(text)) return 'openspec';
  if (looksLikeKiro(text)) return 'kiro';
  if (looksLikeTaskmaster(text)) return 'taskmaster';
  if (looksLikeBeads(text)) return 'beads';
  return null;
}

export interface ReadForeignOptions extends TaskmasterOptions {
  /** Read as this format, whatever the name and text look like. */
  format?: ForeignFormat;
}

const PREFIX: Record<ForeignFormat, string> = { 'spec-kit': 'task', kiro: 'task', taskmaster: 'task', beads: 'issue', openspec: 'section' };

export function readForeignPlan(fileName: string, text: string, options: ReadForeignOptions = {}): ForeignPlanResult {
  const source = typeof text === 'string' ? (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) : '';
  const format = options.format ?? detectFormat(fileName, source);
  if (format === null) {
    const read: RawRead = { tasks: [], notes: [], diagnostics: [] };
    read.diagnostics.push(
      diag('error', 'foreign-not-format', `Not a task list this reads: none of ${FOREIGN_FORMATS.map((f) => NAMES[f]).join(', ')}.`, { start: 0, end: Math.min(source.length, Math.max(0, source.indexOf('\n')) || source.length) }),
    );
    return { ...assemble('spec-kit', fileName, source, read, 'task'), format: null };
  }
  let read: RawRead;
  try {
    read = readWith(format, source, options);
  } catch (err) {
    read = { tasks: [], notes: [], diagnostics: [diag('error', 'internal-error', `Internal error reading ${NAMES[format]} (please report it): ${err instanceof Error ? err.message : String(err)}`, { start: 0, end: 0 })] };
  }
  if (read.tasks.length === 0 && !read.diagnostics.some((d) => d.severity === 'error')) {
    read.diagnostics.push(diag('error', 'foreign-not-format', `No task found: this does not look like a ${NAMES[format]}.`, { start: 0, end: Math.min(source.length, source.indexOf('\n') < 0 ? source.length : source.indexOf('\n')) }));
  }
  return assemble(format, fileName, source, read, PREFIX[format], read.title);
}

function readWith(format: ForeignFormat, text: string, options: ReadForeignOptions): RawRead {
  switch (format) {
    case 'spec-kit':
      return readSpecKit(text);
    case 'kiro':
      return readKiro(text);
    case 'openspec':
      return readOpenSpec(text);
    case 'taskmaster':
      return readTaskmaster(text, options);
    case 'beads':
      return readBeads(text);
  }
}

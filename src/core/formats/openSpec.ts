/**
 * OpenSpec `tasks.md` (openspec/changes/<change>/tasks.md): `## 1. Section` (or `## 1) Section`)
 * headings over `- [ ] 1.1 Task` check-boxes, or check-boxes without numbers (`- [ ] Do the
 * thing`: named by their place, `1.1`, `1.2`, …). Each section is a package (its tasks are its
 * steps, in order); a section waits for the one before it (implied by order). Read as Kiro's
 * numbered tasks are.
 */
import type { RawRead } from './foreignModel';
import { readKiro } from './kiro';

export function looksLikeOpenSpec(text: string): boolean {
  return /^#{2}\s+\d+[.)]\s+\S/m.test(text) && /^\s*[-*] \[[ xX]\]\s*\S/m.test(text) && !/_Requirements:|^#\s+(Implementation Plan|実装計画)/m.test(text);
}

export function readOpenSpec(text: string): RawRead {
  const read = readKiro(text, 'openspec');
  read.notes = read.notes.map((n) => n.replace('numbered task (`- [ ] 1. …`)', 'numbered task (`- [ ] 1.1 …`)'));
  return read;
}

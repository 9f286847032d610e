/**
 * Context slicing (seed 002's last section): each package's prompt carries the
 * parts of the plan's artifacts meant for it, not every file. The convention (docs/run-engine.md,
 * "Prompt"): the plan's artifacts are the files in the plan file's folder (proposal.md,
 * design.md, tasks.md, contracts/…); a package is given
 *
 * - the artifact files its `scope.read_allow` covers (the format's own field for "what this
 *   package may read for context"; an empty `read_allow` names none), and
 * - the sections of `design.md` (`##` headings) whose heading names its package id — e.g.
 *   `## wp-api: the API` — as text in the prompt.
 *
 * A plan at the repository's root has no artifact folder (its folder is the whole repository):
 * nothing is sliced. Pure: the engine lists the files and reads design.md.
 */
import { covers } from '../plan/glob';
import type { PlanPackage } from '../plan/model';

/** What the engine found in the plan's folder. */
export interface PlanArtifacts {
  /** The plan's folder, repository-relative with `/` (never empty: a root plan has no artifacts). */
  folder: string;
  /** Every file in it, repository-relative with `/`, sorted. */
  files: string[];
  /** `design.md` of the folder (its text, capped by the engine), or null. */
  design: { file: string; text: string } | null;
}

export interface DesignSection {
  heading: string;
  text: string;
}

/** What one package's prompt carries of the plan's artifacts. */
export interface PackageSlice {
  folder: string;
  files: string[];
  designFile: string | null;
  designSections: DesignSection[];
}

/** The design file's name in the plan's folder. */
export const DESIGN_FILE = 'design.md';
/** At most this many characters of one design section go into a prompt. */
export const MAX_SECTION_CHARS = 6000;

/** The `##` sections of a Markdown text (fenced code is not searched for headings). */
export function designSections(markdown: string): DesignSection[] {
  const out: DesignSection[] = [];
  let current: { heading: string; lines: string[] } | null = null;
  let fence: string | null = null;
  for (const line of markdown.split(/\r?\n/)) {
    const f = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (f) fence = fence === null ? f[1]![0]! : line.trim().startsWith(fence) ? null : fence;
    const h = fence === null ? /^##\s+(.+?)\s*#*\s*$/.exec(line) : null;
    if (h) {
      if (current) out.push({ heading: current.heading, text: current.lines.join('\n').trim() });
      current = { heading: h[1]!, lines: [] };
    } else if (current && fence === null && /^#\s/.test(line)) {
      out.push({ heading: current.heading, text: current.lines.join('\n').trim() });
      current = null;
    } else current?.lines.push(line);
  }
  if (current) out.push({ heading: current.heading, text: current.lines.join('\n').trim() });
  return out;
}

/** Whether a heading names the package id as a whole word (`## wp-api: the API` names `wp-api`, not `wp`). */
export function headingNames(heading: string, packageId: string): boolean {
  const isWord = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_-]/.test(c);
  for (let at = heading.indexOf(packageId); at >= 0; at = heading.indexOf(packageId, at + 1)) {
    if (!isWord(heading[at - 1]) && !isWord(heading[at + packageId.length])) return true;
  }
  return false;
}

/** The slice of `artifacts` meant for `pkg`; null when there is nothing to give. */
export function sliceFor(pkg: Pick<PlanPackage, 'id' | 'scope'>, artifacts: PlanArtifacts | null): PackageSlice | null {
  if (!artifacts || !artifacts.folder) return null;
  const reads = pkg.scope.readAllow.map((g) => g.value);
  const designFile = artifacts.design?.file ?? null;
  const files = artifacts.files.filter((f) => !/(^|\/)([^/]+\.)?work-packages\.ya?ml$/.test(f) && f !== designFile && reads.some((g) => covers(g, f)));
  const sections = artifacts.design
    ? designSections(artifacts.design.text)
        .filter((s) => headingNames(s.heading, pkg.id))
        .map((s) => ({ heading: s.heading, text: s.text.length > MAX_SECTION_CHARS ? `${s.text.slice(0, MAX_SECTION_CHARS)}\n…` : s.text }))
    : [];
  if (!files.length && !sections.length) return null;
  return { folder: artifacts.folder, files, designFile: sections.length ? designFile : null, designSections: sections };
}

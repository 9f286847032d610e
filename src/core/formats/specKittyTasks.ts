/**
 * Spec Kitty's `tasks.md` (beside a feature's `tasks/` folder): a section a work package, headed
 * `## Work Package WP02: …`, `### WP02 — …` or `## Work Package 2: …`, in which the work package's
 * dependencies are written in words. `spec-kitty agent mission finalize-tasks` copies them into
 * each work package's front matter; features planned before it, or edited after it, state some
 * only here. Read as Spec Kitty's finalize-tasks reads them, within a work package's section:
 *
 * - `Depends on WP01` / `Depends on: WP01, WP02` / `**Depends on**: WP01 and WP02`, at the start
 *   of a line (after a list marker) or of a field (after `·`, `|`, `;` or `:`);
 * - `Dependencies: WP01, WP02` / `**Dependencies**: WP01` / `| Dependencies: WP01 |` likewise;
 *   `none` or `[]` for none;
 * - under a `Dependencies` heading, list items starting with a work package id (`- WP01 (why)`).
 *
 * Only the ids that open the list count (`WP01, WP02 (reason)`; `WP01–WP03` is a range); ids in
 * the prose after them (`benefits from WP02`) do not. A section runs to the next heading of its
 * level or above. Pure.
 */
import type { TextRange } from '../plan/model';
import { linesOf } from './foreignModel';

export const TASKS_MD = 'tasks.md';

/** One work package's section of tasks.md: where its heading is, and the dependencies it states. */
export interface KittyTasksSection {
  /** The work package id, `WP02` (`Work Package 2` → `WP02`). */
  wp: string;
  /** The heading's id as written. */
  range: TextRange;
  /** Each id it depends on, where written, in order, once each. */
  dependencies: { key: string; range: TextRange }[];
}

/** `tasks.md` beside a feature's `tasks/` folder, by its name. */
export function isKittyTasksMd(path: string): boolean {
  const p = path.replace(/\\/g, '/');
  return p.slice(p.lastIndexOf('/') + 1) === TASKS_MD;
}

const HEADING = /^(#{2,4})[ \t]+(.*?)[ \t#]*$/;
const SECTION_ID = /^(?:[*_]{0,2})(?:Work Package[ \t]+)?(?:(WP\d+)|(\d{1,3}))(?![\w])/i;
const DEPS_HEADING = /^#{2,6}[ \t]*[*_]{0,2}Dependenc(?:y|ies)[*_]{0,2}:?[ \t]*$/i;
/** A clause: the line's start (after a list marker), or a field after `·`, `|`, `;`. */
const CLAUSE = /(?:^[ \t]*(?:[-*+][ \t]+|\d+[.)][ \t]+)?|[·|;:][ \t]*)[*_]{0,2}(Depends?[ \t]+on|Dependenc(?:y|ies))[*_]{0,2}[ \t]*:?[*_]{0,2}[ \t]*/gi;

/** The work package sections of a tasks.md and the dependencies each states. */
export function readKittyTasksMd(text: string): KittyTasksSection[] {
  const lines = withoutFences(linesOf(text));
  const heads: { at: number; level: number; wp: string; range: TextRange }[] = [];
  lines.forEach(({ text: line, start }, at) => {
    const h = HEADING.exec(line);
    if (!h) return;
    const title = h[2];
    const id = SECTION_ID.exec(title);
    if (!id) return;
    if (id[2] !== undefined && !/^(?:[*_]{0,2})Work Package[ \t]/i.test(title)) return; // `## 2. Setup` is no work package
    const offset = start + line.indexOf(title) + id[0].length - (id[1] ?? id[2]).length;
    const wp = id[1] !== undefined ? id[1].toUpperCase() : `WP${id[2].padStart(2, '0')}`;
    heads.push({ at, level: h[1].length, wp, range: { start: offset, end: offset + (id[1] ?? id[2]).length } });
  });
  const sections = new Map<string, KittyTasksSection>();
  heads.forEach((head, i) => {
    let end = lines.length;
    for (let j = head.at + 1; j < lines.length; j++) {
      const h = HEADING.exec(lines[j].text) ?? /^(#)[ \t]/.exec(lines[j].text);
      if (h && h[1].length <= head.level) {
        end = j;
        break;
      }
    }
    if (i + 1 < heads.length) end = Math.min(end, heads[i + 1].at);
    let section = sections.get(head.wp);
    if (!section) sections.set(head.wp, (section = { wp: head.wp, range: head.range, dependencies: [] }));
    const found = dependenciesIn(lines.slice(head.at + 1, end));
    for (const d of found) if (d.key !== head.wp && !section.dependencies.some((x) => x.key === d.key)) section.dependencies.push(d);
  });
  return [...sections.values()];
}

/** The lines, those in a fenced code block (``` or ~~~) emptied: a `# comment` in one is no heading. */
function withoutFences(lines: { text: string; start: number }[]): { text: string; start: number }[] {
  let fence: string | null = null;
  return lines.map((line) => {
    const open = /^[ \t]{0,3}(`{3,}|~{3,})/.exec(line.text);
    if (fence === null) {
      if (open) fence = open[1];
      return open ? { text: '', start: line.start } : line;
    }
    if (open && open[1][0] === fence[0] && open[1].length >= fence.length && line.text.trim() === open[1]) fence = null;
    return { text: '', start: line.start };
  });
}

function dependenciesIn(lines: { text: string; start: number }[]): { key: string; range: TextRange }[] {
  const out: { key: string; range: TextRange }[] = [];
  let underHeading = false;
  for (const { text: line, start } of lines) {
    if (/^#{1,6}[ \t]/.test(line)) {
      underHeading = DEPS_HEADING.test(line.trim());
      continue;
    }
    if (underHeading) {
      const item = /^[ \t]*[-*+][ \t]+[*_]{0,2}(?=WP\d)/i.exec(line);
      if (item) out.push(...idList(line, item[0].length, start, true));
      else if (line.trim() !== '' && !CLAUSE_AT_START.test(line)) underHeading = false;
    }
    CLAUSE.lastIndex = 0;
    for (let m = CLAUSE.exec(line); m; m = CLAUSE.exec(line)) out.push(...idList(line, m.index + m[0].length, start, /^dependenc/i.test(m[1])));
  }
  return out;
}

const CLAUSE_AT_START = /^[ \t]*(?:[-*+][ \t]+)?[*_]{0,2}(?:Depends?[ \t]+on|Dependenc(?:y|ies))\b/i;
const ITEM = /WP(\d+)(?:[ \t]*(?:[–—-]|\.\.|to)[ \t]*WP(\d+))?[*_]{0,2}/iy;
const SEPARATOR = /[ \t]*(?:,|\+|&|\/)?[ \t]*(?:and[ \t]+)?/iy;
/** What may follow a bare list (`Dependencies: WP01 (why)`, `- WP01.`): not prose (`- WP09 must run after WP08`). */
const AFTER_LIST = /[ \t]*(?:$|[.;:(#—–-])/y;

/**
 * The ids of the list that opens at `from` in `line`: `WP01, WP02 and WP03`, `WP01–WP03` (each
 * id of a range where the range is); none when it opens with anything else. `bare`: a list not
 * after `Depends on` counts only when nothing but punctuation follows it.
 */
function idList(line: string, from: number, lineStart: number, bare: boolean): { key: string; range: TextRange }[] {
  if (/^[ \t]*(?:none|no dependenc|\[\])/i.test(line.slice(from))) return [];
  const out: { key: string; range: TextRange }[] = [];
  let at = from;
  let end = from;
  for (;;) {
    ITEM.lastIndex = at;
    const m = ITEM.exec(line);
    if (!m) break;
    const width = m[1].length;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    const whole = { start: lineStart + at, end: lineStart + at + m[0].replace(/[*_]+$/, '').length };
    if (m[2] === undefined || last < first || last - first > 99) out.push({ key: `WP${m[1]}`, range: { start: whole.start, end: whole.start + 2 + width } });
    else for (let n = first; n <= last; n++) out.push({ key: `WP${String(n).padStart(width, '0')}`, range: whole });
    at += m[0].length;
    end = at;
    SEPARATOR.lastIndex = at;
    const sep = SEPARATOR.exec(line);
    if (!sep || sep[0].length === 0) break;
    at += sep[0].length;
  }
  if (bare && out.length) {
    AFTER_LIST.lastIndex = end;
    if (!AFTER_LIST.test(line)) return [];
  }
  return out;
}

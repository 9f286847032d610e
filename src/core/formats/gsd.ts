/**
 * GSD (get-shit-done) plans: `.planning/phases/<NN-name>/<NN>-<MM>-PLAN.md`, one plan a file,
 * the plans of a phase in its folder. The front matter says what a parallel run needs:
 * `depends_on` (plan ids: `"01-01"`, the same phase's short form `"01"`, or the file's stem),
 * `files_modified` (the files the plan changes: its declared write scope) and `wave` (GSD's
 * pre-computed wave; GSD itself runs a plan by its `depends_on`, and so does this: a wave that
 * disagrees is a warning). The body's `<objective>` and `<task>` elements describe it. A plan
 * with a `<stem>-SUMMARY.md` beside it is done. Phases run in order: when several phase folders
 * are read, a plan that waits for nothing in its own phase waits for the phase before it (implied).
 */
import type { TextRange } from '../plan/model';
import { diag, type RawRead, type RawTask, type SourceFile } from './foreignModel';
import { frontMatterOf, listOf, rangeOf, textOf, type FrontMatter } from './frontMatter';
import { pathsIn } from './pathGuesses';

const baseOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const dirOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');

/** A GSD plan file by its name: `01-02-PLAN.md`, `01-02-auth-PLAN.md`, `PLAN.md`. */
export function isGsdPlanFile(path: string): boolean {
  const base = baseOf(path.replace(/\\/g, '/'));
  return base.endsWith('-PLAN.md') || base === 'PLAN.md';
}

export function looksLikeGsd(text: string): boolean {
  const fm = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---/.exec(text);
  return !!fm && /^(depends_on|files_modified|files-modified)\s*:/m.test(fm[1]) && /^(wave|plan|phase)\s*:/m.test(fm[1]);
}

/** `01-02` from `01-02-auth-PLAN.md` (GSD's canonical plan id), else the stem. */
function canonicalId(stem: string): string {
  const parts = stem.split('-').filter(Boolean);
  const token = /^\d+[A-Z]?(?:\.\d+)*$/i;
  const at = parts.findIndex((p) => token.test(p));
  return at >= 0 && at + 1 < parts.length && token.test(parts[at + 1]) ? `${parts[at]}-${parts[at + 1]}` : stem;
}

interface Plan {
  task: RawTask;
  file: SourceFile;
  folder: string;
  stem: string;
  canonical: string;
  /** Dependencies as written, before they are resolved. */
  refs: { value: string; range: TextRange }[];
  wave?: { value: number; range: TextRange };
}

/** Phase folders in GSD's order: by their number (`01`, `02`, `02.1`, `10`), then by name. */
function phaseOrder(a: string, b: string): number {
  const num = (f: string) => (/(?:^|\/)(?:[A-Z]{1,6}-)?(\d+(?:\.\d+)*)[^/]*$/i.exec(f)?.[1] ?? '').split('.').map(Number);
  const x = num(a);
  const y = num(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1);
    if (d) return d;
  }
  return a.localeCompare(b);
}

/** Reads GSD plan files (`files`) into tasks; `allPaths`: every path of their folders, to find the SUMMARY.md of a plan done. */
export function readGsd(files: readonly SourceFile[], allPaths: readonly string[] = []): RawRead {
  const read: RawRead = { tasks: [], diagnostics: [], notes: [] };
  const summaries = new Set(allPaths.filter((p) => /(?:^|[-/])SUMMARY\.md$/.test(p)));
  const plans: Plan[] = [];
  for (const file of files) {
    const plan = readPlan(file, read, summaries);
    plans.push(plan);
    read.tasks.push(plan.task);
  }

  // Resolving depends_on as GSD does: the stem, the canonical id, the same phase's short form.
  const folders = [...new Set(plans.map((p) => p.folder))].sort(phaseOrder);
  const inFolder = new Map<string, Map<string, Plan>>();
  const anywhere = new Map<string, Plan>();
  for (const folder of folders) {
    const index = new Map<string, Plan>();
    for (const p of plans.filter((x) => x.folder === folder)) {
      for (const key of [p.stem, p.canonical]) if (!index.has(key)) index.set(key, p);
      const dash = p.canonical.lastIndexOf('-');
      const short = dash > 0 ? p.canonical.slice(dash + 1) : '';
      if (short && !index.has(`short:${short}`)) index.set(`short:${short}`, p);
      for (const key of [p.stem, p.canonical]) if (!anywhere.has(key)) anywhere.set(key, p);
    }
    inFolder.set(folder, index);
  }
  const samePhase = new Map<Plan, Set<Plan>>();
  for (const p of plans) {
    const index = inFolder.get(p.folder)!;
    const same = new Set<Plan>();
    samePhase.set(p, same);
    for (const ref of p.refs) {
      const target = index.get(ref.value) ?? index.get(`short:${ref.value}`) ?? anywhere.get(ref.value) ?? anywhere.get(canonicalId(ref.value));
      if (target) {
        if (target.folder === p.folder) same.add(target);
        p.task.dependencies.push({ key: target.task.key, range: ref.range, kind: 'explicit', reason: '`depends_on`' });
        continue;
      }
      const phase = /^(\d+[A-Z]?(?:\.\d+)*)-\d+/i.exec(canonicalId(ref.value))?.[1];
      const ownPhase = /^(\d+[A-Z]?(?:\.\d+)*)-/i.exec(p.canonical)?.[1];
      if (phase !== undefined && ownPhase !== undefined && phase !== ownPhase) {
        read.diagnostics.push(
          diag('info', 'foreign-dependency-external', `\`${p.task.key}\` depends on \`${ref.value}\`, a plan of phase ${phase}, which is not among the plans read: read as done before this phase runs, as GSD runs phases in order.`, ref.range, null, p.file.path),
        );
        continue;
      }
      p.task.dependencies.push({ key: ref.value, range: ref.range, kind: 'explicit', reason: '`depends_on`' });
    }
  }

  // Phases in order: a plan that waits for nothing in its phase waits for the phase before it.
  for (let k = 1; k < folders.length; k++) {
    const before = plans.filter((p) => p.folder === folders[k - 1]);
    for (const p of plans.filter((x) => x.folder === folders[k])) {
      if (samePhase.get(p)!.size > 0) continue;
      for (const b of before) {
        if (p.task.dependencies.some((d) => d.key === b.task.key)) continue;
        p.task.dependencies.push({ key: b.task.key, range: p.task.keyRange, kind: 'implied', reason: `the order of phases ("${baseOf(folders[k])}" follows "${baseOf(folders[k - 1])}")` });
      }
    }
  }

  // The wave each plan's depends_on places it in, against the wave it declares.
  const zeroBased = plans.some((p) => p.wave?.value === 0);
  const level = new Map<Plan, number>();
  const levelOf = (p: Plan, seen: Set<Plan>): number => {
    const known = level.get(p);
    if (known !== undefined) return known;
    if (seen.has(p)) return 0; // a cycle: reported by the assembler
    seen.add(p);
    let l = 0;
    for (const d of samePhase.get(p)!) l = Math.max(l, levelOf(d, seen) + 1);
    seen.delete(p);
    level.set(p, l);
    return l;
  };
  for (const p of plans) {
    if (!p.wave) continue;
    const computed = levelOf(p, new Set()) + (zeroBased ? 0 : 1);
    if (computed === p.wave.value) continue;
    const more = p.wave.value > computed;
    read.diagnostics.push(
      diag(
        'warning',
        'foreign-wave-mismatch',
        `\`${p.task.key}\` declares wave: ${p.wave.value}, but its depends_on places it in wave ${computed}. GSD runs a plan by its depends_on, and so does this${more ? ': if it must wait for a plan of an earlier wave, name that plan in depends_on' : ''}.`,
        p.wave.range,
        null,
        p.file.path,
      ),
    );
  }
  if (plans.length > 0 && plans.every((p) => p.task.done)) read.notes.push('Every plan has its SUMMARY.md: the phase is done.');
  return read;
}

function readPlan(file: SourceFile, read: RawRead, summaries: Set<string>): Plan {
  const { path, text } = file;
  const base = baseOf(path);
  const stem = base === 'PLAN.md' ? 'PLAN' : base.replace(/-PLAN\.md$/, '').replace(/\.md$/i, '');
  const canonical = canonicalId(stem);
  const fm = frontMatterOf(text);
  const whole = { start: 0, end: text.length };
  const top = { start: 0, end: Math.min(text.length, Math.max(0, text.indexOf('\n')) || text.length) };
  const task: RawTask = { key: canonical, keyRange: top, range: whole, title: '', details: [], dependencies: [], declaredWrites: [], pathGuesses: [], file: path };
  const plan: Plan = { task, file, folder: dirOf(path), stem, canonical, refs: [] };
  if (!fm) {
    read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `\`${base}\` has no front matter (\`---\` with wave, depends_on, files_modified): read as a plan with no dependency and no files.`, top, null, path));
  } else {
    if (fm.error) read.diagnostics.push(diag('error', 'foreign-not-format', `The front matter of \`${base}\` is not valid YAML (${fm.error.message}): read as far as it goes.`, fm.error.range, null, path));
    const at = rangeOf(fm.values.get('plan'), fm) ?? fm.keys.get('plan') ?? rangeOf(fm.values.get('phase'), fm);
    if (at) task.keyRange = at;
    task.phase = textOf(fm.values.get('phase'), fm, text);
    const deps = listOf(fm.values.get('depends_on'), fm, text);
    plan.refs = deps.items.map((d) => ({ value: d.value.replace(/-PLAN\.md$/, ''), range: d.range }));
    for (const bad of deps.bad) read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `A \`depends_on\` entry of \`${canonical}\` must be a plan id (\`"01-02"\`).`, bad, null, path));
    const filesNode = fm.values.get('files_modified') ?? fm.values.get('files-modified');
    const written = listOf(filesNode, fm, text);
    task.declaredWrites = written.items;
    for (const bad of written.bad) read.diagnostics.push(diag('warning', 'foreign-task-incomplete', `A \`files_modified\` entry of \`${canonical}\` must be a path.`, bad, null, path));
    const wave = waveOf(fm, text);
    if (wave) plan.wave = wave;
    if (textOf(fm.values.get('autonomous'), fm, text) === 'false') task.details.push('Not autonomous (autonomous: false): it has checkpoints that wait for a person.');
  }
  body(text, fm?.bodyStart ?? 0, task);
  if (!task.title) task.title = `Plan ${canonical}${task.phase ? ` of phase ${task.phase}` : ''}`;
  task.done = summaries.has(`${plan.folder ? `${plan.folder}/` : ''}${stem === 'PLAN' ? 'SUMMARY.md' : `${stem}-SUMMARY.md`}`);
  return plan;
}

function waveOf(fm: FrontMatter, text: string): { value: number; range: TextRange } | undefined {
  const node = fm.values.get('wave');
  const raw = textOf(node, fm, text);
  const range = rangeOf(node, fm);
  return raw !== undefined && /^\d+$/.test(raw) && range ? { value: Number(raw), range } : undefined;
}

/** The objective (title and details), each task's name, and the paths its `<files>` name (a guess). */
function body(text: string, from: number, task: RawTask): void {
  const rest = text.slice(from);
  const objective = /<objective>([\s\S]*?)<\/objective>/.exec(rest);
  if (objective) {
    const lines = objective[1].split('\n').map((l) => l.trim()).filter(Boolean);
    task.title = (lines.shift() ?? '').slice(0, 200);
    task.details.push(...lines);
  }
  for (const t of rest.matchAll(/<task\b[^>]*>([\s\S]*?)<\/task>/g)) {
    const name = /<name>([\s\S]*?)<\/name>/.exec(t[1]);
    if (name) task.details.push(`Task: ${name[1].trim()}`);
    const files = /<files>([\s\S]*?)<\/files>/.exec(t[1]);
    if (files) {
      const at = from + (t.index ?? 0) + t[0].indexOf(t[1]) + (files.index ?? 0) + '<files>'.length;
      task.pathGuesses.push(...pathsIn(files[1], at));
    }
  }
}

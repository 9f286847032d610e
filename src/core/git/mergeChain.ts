/**
 * Merges of packages that ended together, written as one chain (src/engine/run/merge.ts,
 * docs/run-engine.md "Git and audit"). Each package's merge is computed by `git merge-tree` on the
 * same tip, all at once; when what those merges change are paths no other of them touches — added
 * or changed, none removed, no path inside another's — each merge of the chain changes, against the
 * merge before it, exactly what its merge on the tip changed (what was audited), and the chain is
 * written by one `git fast-import`: a two-parent merge commit per package, as one at a time would.
 * Anything else (a removal, a shared path, a conflict) merges one at a time after them. Pure.
 */
import type { RawChange } from './gitParse';

/** A package's merge on the tip: what it changes there (`diff --raw` of the tip and the merged tree). */
export interface ChainCandidate {
  id: string;
  changes: readonly RawChange[];
}

/**
 * Which merges can be written as one chain, in the order given: each changes something, removes
 * nothing, names only paths git printed plainly (no U+FFFD of an undecodable name), and shares no
 * path — nor a folder of a path — with one taken before it. The rest are `apart`, in their order.
 */
export function chainable(candidates: readonly ChainCandidate[]): { chain: string[]; apart: string[] } {
  const taken = new Set<string>();
  /** Every folder of a taken path (`a/b/c` gives `a` and `a/b`). */
  const folders = new Set<string>();
  const chain: string[] = [];
  const apart: string[] = [];
  for (const c of candidates) {
    const paths = c.changes.map((x) => x.path);
    const ok =
      c.changes.length > 0 &&
      c.changes.every((x) => (x.change === 'added' || x.change === 'modified' || x.change === 'type-changed') && /^[0-7]{6}$/.test(x.newMode) && x.newMode !== '000000' && /^[0-9a-f]{40,64}$/.test(x.newSha)) &&
      paths.every((p) => p !== '' && !p.includes('\uFFFD') && !p.startsWith('/') && !taken.has(p) && !folders.has(p) && foldersOf(p).every((f) => !taken.has(f)));
    if (!ok) {
      apart.push(c.id);
      continue;
    }
    chain.push(c.id);
    for (const p of paths) {
      taken.add(p);
      for (const f of foldersOf(p)) folders.add(f);
    }
  }
  return { chain, apart };
}

function foldersOf(p: string): string[] {
  const parts = p.split('/');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** One merge commit of the chain: the package's commit as its second parent, its message, what it changes. */
export interface ChainMerge {
  commit: string;
  message: string;
  changes: readonly RawChange[];
}

export interface ChainStreamOptions {
  /** The tip the chain starts from (the first merge's first parent). */
  from: string;
  merges: readonly ChainMerge[];
  /** The ref fast-import builds the chain on; deleted at the stream's end (nothing refers to the chain until it lands). */
  ref: string;
  /** Who wrote each merge and who committed it, as `commit-tree` would name them. */
  author: { name: string; email: string };
  committer: { name: string; email: string };
  /** Seconds since the epoch and the zone (`+0100`), as `commit-tree` dates a commit. */
  when: number;
  zone: string;
}

/**
 * The `git fast-import` stream of the chain: per merge a commit (`mark :n`, first parent the one
 * before, `merge` the package's commit, `M` of each changed path with its new mode and blob) and a
 * `get-mark :n`, whose answer is the commit's id, one line each, in order; then the ref deleted,
 * then `done` (run with `--done`: a stream cut short writes no ref).
 */
export function chainStream(o: ChainStreamOptions): string {
  const who = (p: { name: string; email: string }) => `${p.name.replace(/[<>\n]/g, '')} <${p.email.replace(/[<>\n]/g, '')}> ${Math.floor(o.when)} ${o.zone}`;
  const out: string[] = [];
  o.merges.forEach((m, i) => {
    const message = `${m.message}\n`;
    out.push(`commit ${o.ref}`, `mark :${i + 1}`, `author ${who(o.author)}`, `committer ${who(o.committer)}`, `data ${Buffer.byteLength(message)}`);
    // `data <n>` is followed by exactly n bytes, then an optional LF.
    out.push(message);
    if (i === 0) out.push(`from ${o.from}`);
    out.push(`merge ${m.commit}`);
    for (const c of m.changes) out.push(`M ${c.newMode} ${c.newSha} ${quotePath(c.path)}`);
    out.push('', `get-mark :${i + 1}`);
  });
  out.push(`reset ${o.ref}`, `from ${'0'.repeat(o.from.length)}`, '', 'done', '');
  return out.join('\n');
}

/** A path as fast-import reads it: always C-quoted (a `"`, `\` or control character escaped). */
export function quotePath(p: string): string {
  return `"${p.replace(/[\\"\x00-\x1f\x7f]/g, (ch) => (ch === '\\' ? '\\\\' : ch === '"' ? '\\"' : `\\${ch.charCodeAt(0).toString(8).padStart(3, '0')}`))}"`;
}

/** The zone of `date` as git writes it (`+0100`, `-0530`). */
export function zoneOf(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  const a = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}${String(a % 60).padStart(2, '0')}`;
}

/**
 * Whether `actual` (`diff --raw` of the chain's start and its last commit) is exactly every merge's
 * changes together: each path once, with the mode and blob its merge gave it, and nothing else.
 */
export function chainMatches(merges: readonly { changes: readonly RawChange[] }[], actual: readonly RawChange[]): boolean {
  const want = new Map<string, string>();
  for (const m of merges) for (const c of m.changes) want.set(c.path, `${c.newMode} ${c.newSha}`);
  if (actual.length !== want.size) return false;
  return actual.every((c) => want.get(c.path) === `${c.newMode} ${c.newSha}`);
}

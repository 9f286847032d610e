/**
 * The file paths a task's text names (`Create User model in src/models/user.py`): a suggestion for
 * its write scope, never a declared one. Heuristic on purpose, and said to be one wherever it is used.
 */
import type { Located } from '../plan/model';

const EXTENSIONS = new Set(
  (
    'ts tsx js jsx mjs cjs py pyi go rs java kt kts swift rb php cs fs cpp cc c h hpp m mm scala clj ex exs erl dart lua r jl ' +
    'json jsonl yaml yml toml ini cfg conf env md mdx rst txt csv sql prisma graphql gql proto sh bash zsh ps1 bat ' +
    'html htm css scss sass less vue svelte astro xml gradle lock tf tfvars hcl dockerfile ipynb'
  ).split(' '),
);

/** Words that look like file names and are not (`Node.js`, `Next.js`). */
const NOT_FILES = /^(?:[A-Z][A-Za-z0-9]*\.js|[a-z]+\.io|e\.g|i\.e|etc|vs)$/;

// A token: letters, digits and the characters paths use, at least one `/` or one extension.
const TOKEN = /[A-Za-z0-9_.@~+*-][A-Za-z0-9_.@~+*/-]*/g;

/** Where each path the text names is, `offset` being where `text` starts in the source. */
export function pathsIn(text: string, offset: number): Located<string>[] {
  const found: Located<string>[] = [];
  const ticks = backtickSpans(text);
  for (const m of text.matchAll(TOKEN)) {
    const at = m.index ?? 0;
    let token = m[0];
    // Sentence punctuation after a path is not part of it.
    while (/[.,;:)]$/.test(token) && !token.endsWith('/')) token = token.slice(0, -1);
    if (!token) continue;
    const before = text.slice(Math.max(0, at - 3), at);
    // A path around a placeholder (`src/models/[entity].py`, `<name>.ts`) is no path yet.
    if (/[[{<]/.test(text.charAt(at + m[0].length)) || /[\]}>]/.test(text.charAt(at - 1))) continue;
    if (before.endsWith('://') || /:\/?$/.test(before) || text.charAt(at - 1) === '@') continue; // URLs, `@scope/pkg`
    const quoted = ticks.some(([s, e]) => at >= s && at + token.length <= e);
    const path = guess(token, quoted);
    if (path) found.push({ value: path, range: { start: offset + at, end: offset + at + token.length } });
  }
  return found;
}

function guess(token: string, quoted: boolean): string | undefined {
  let t = token.replace(/^\.\//, '');
  if (t.startsWith('/') || t.includes('//') || t.startsWith('..') || /^\d+(\.\d+)*$/.test(t)) return undefined;
  if (/^[a-z]+:/.test(t)) return undefined;
  const slash = t.includes('/');
  const last = t.slice(t.lastIndexOf('/') + 1);
  const dot = last.lastIndexOf('.');
  const ext = dot > 0 ? last.slice(dot + 1).toLowerCase() : dot === 0 ? 'dotfile' : '';
  const hasExtension = ext === 'dotfile' ? last.length > 2 : EXTENSIONS.has(ext);
  if (slash) {
    if (t.endsWith('/')) return t.length > 1 && /[A-Za-z]/.test(t) ? t : undefined;
    if (hasExtension || quoted) return /[A-Za-z]/.test(t) ? t : undefined;
    return undefined;
  }
  if (!hasExtension || NOT_FILES.test(t)) return undefined;
  if (ext !== 'dotfile' && dot < 1) return undefined;
  t = t.replace(/\.$/, '');
  return t;
}

function backtickSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  for (const m of text.matchAll(/`([^`\n]+)`/g)) spans.push([(m.index ?? 0) + 1, (m.index ?? 0) + 1 + m[1].length]);
  return spans;
}

/** A guessed path as a write_allow pattern: a folder (`docs/`) becomes `docs/**`; placeholders (`[name]`) are no path. */
export function asPattern(path: string): string | undefined {
  if (/[[\]{}<>]/.test(path)) return undefined;
  return path.endsWith('/') ? `${path}**` : path;
}

#!/usr/bin/env node
// DEMO AGENT — a stand-in for a real coding agent (Claude Code, Codex…), so that the demo
// plan (examples/demo) can be run without one, offline, and a person can watch the waves go.
// It does no real work: it reads the package's prompt, writes one small plausible file inside
// the package's scope, waits a few seconds, and writes the result record. Node built-ins only.
//
// Usage (the `waves.agent` setting, or `waves run --agent-argv`):
//   ["node", "<repo>/examples/demo-agent/agent.mjs", "--prompt", "${promptFile}",
//    "--result", "${resultFile}", "--package", "${packageId}", "--worktree", "${worktree}"]
// Options: --sleep-ms MIN-MAX (default 2000-6000): how long it "works".
//
// What it writes: the first path of the prompt's "You may create, change or delete only files
// matching" list that names a concrete file (`src/server/app.ts`) or folder (`src/web/**`);
// in a folder, a file named after the feature: `.json` in a contracts folder, `.md` in a docs
// folder, `.mjs` elsewhere (so `node --check` can verify it). A package whose scope is only
// wildcards (`**`, an integration package) writes a note, `notes/<feature>-<package>.md`: a
// package that changes no file does not succeed (what git saw decides, not the record).
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined;
};
const promptFile = opt('--prompt');
const resultFile = opt('--result');
const worktree = path.resolve(opt('--worktree') ?? process.cwd());
const [minMs, maxMs] = (opt('--sleep-ms') ?? '2000-6000').split('-').map(Number);

const say = (line) => console.log(`[demo agent] ${line}`);

function fail(message) {
  console.error(`[demo agent] ${message}`);
  process.exit(2);
}

if (!promptFile) fail('no --prompt <file> given');
if (!resultFile) fail('no --result <file> given');
const prompt = fs.readFileSync(promptFile, 'utf8');

const packageId = opt('--package') ?? /^# Work package `([^`]+)`/m.exec(prompt)?.[1] ?? 'package';
const feature = /^Feature `([^`]+)`/m.exec(prompt)?.[1] ?? 'feature';
const title = /^## Task\s+\*\*(.+?)\*\*/m.exec(prompt)?.[1] ?? packageId;

/** The write_allow patterns, from the prompt's Ownership section. */
function writeAllow() {
  const start = prompt.indexOf('You may create, change or delete only files matching:');
  if (start < 0) return [];
  const patterns = [];
  for (const line of prompt.slice(start).split('\n').slice(1)) {
    const m = /^- `(.+)`\s*$/.exec(line);
    if (!m) break;
    patterns.push(m[1]);
  }
  return patterns;
}

/** A pattern's concrete target: { file } or { folder }, or null when it is only wildcards. */
function concrete(pattern) {
  const folder = /^(.+?)\/\*\*$/.exec(pattern);
  const base = folder ? folder[1] : pattern;
  if (/[*?[\]{}!]/.test(base)) return null;
  return folder ? { folder: base } : { file: base };
}

function content(rel) {
  const stamp = `${feature} · ${packageId} (${title})`;
  if (rel.endsWith('.json')) {
    return `${JSON.stringify({ description: `Written by the demo agent for ${stamp}`, paths: { '/v1/profile': { get: { summary: 'Read the profile' }, put: { summary: 'Update the profile' } } } }, null, 2)}\n`;
  }
  if (rel.endsWith('.md')) return `# ${title}\n\nWritten by the demo agent (a stand-in for a coding agent) for ${stamp}.\n`;
  if (rel.endsWith('.mjs') || rel.endsWith('.js') || rel.endsWith('.ts')) {
    return `// Written by the demo agent (a stand-in for a coding agent) for ${stamp}.\nexport function profile(id) {\n  return { id, displayName: 'Ada', bio: '', avatarKey: null };\n}\n`;
  }
  return `Written by the demo agent for ${stamp}.\n`;
}

function target() {
  for (const pattern of writeAllow()) {
    const c = concrete(pattern);
    if (!c) continue;
    if (c.file) return c.file;
    const ext = /(^|\/)contracts?$/.test(c.folder) ? '.json' : /(^|\/)docs?$/.test(c.folder) ? '.md' : '.mjs';
    return `${c.folder}/${feature}${ext}`;
  }
  // Only wildcards (an integration package's `**`): a note of what it integrated, as a real agent leaves one.
  return writeAllow().length ? `notes/${feature}-${packageId}.md` : null;
}

say(`a stand-in for Claude Code / Codex: no model, no network — it only shows the run`);
say(`package ${packageId}: ${title}`);
const rel = target();
const filesModified = [];
if (rel) {
  const abs = path.join(worktree, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  if (fs.existsSync(abs) && !/\.(mjs|js|json|md)$/.test(rel)) fs.appendFileSync(abs, `\n// ${feature}: touched by the demo agent for ${packageId}\n`);
  else fs.writeFileSync(abs, content(rel));
  filesModified.push(rel);
  say(`wrote ${rel}`);
} else {
  say('its prompt names no files it may write: nothing to write');
}

const ms = Math.round(minMs + Math.random() * Math.max(0, maxMs - minMs));
say(`working for ${(ms / 1000).toFixed(1)} s…`);
await sleep(ms);

const keys = /Result keys this package must report[^\n]*\n((?:- `[^`]+`\n)+)/.exec(prompt)?.[1] ?? '';
const resultKeys = {};
for (const m of keys.matchAll(/- `([^`]+)`/g)) {
  const key = m[1];
  resultKeys[key] = key === 'files_modified' ? filesModified : key.endsWith('_count') ? 1 : `demo ${key}`;
}
const record = {
  version: 1,
  package_id: packageId,
  status: 'done',
  files_modified: filesModified,
  decisions: [],
  pending_actions: [],
  result_keys: resultKeys,
  notes: 'Demo agent: a stand-in that wrote one placeholder file; no real work was done.',
};
fs.mkdirSync(path.dirname(resultFile), { recursive: true });
fs.writeFileSync(resultFile, `${JSON.stringify(record, null, 2)}\n`);
say(`result record written: ${resultFile}`);

/**
 * The copy list (`copyFiles`: `waves.worktrees.copy`, `--copy`; ADR 0026) into a package's new
 * tree on an SSH host, as on this machine. What goes and what is refused is decided by the local
 * copy's own code (git/worktreeCopy.ts): an absolute path, `..`, a link leading out of the
 * checkout, git's or the engine's folders, what git does not ignore in the tree (asked of git in
 * the tree there) — it copies into an empty folder of this machine first. What it made there is
 * sent over the host's connection on stdin, as data (never a file name in a shell line), to a
 * fixed receiver run by the host's `node` (`RECEIVER`), which holds the tree's side of the same
 * rules: nothing written through a link of the tree, nothing over what the tree has (`O_EXCL`),
 * folders made, never followed. Each entry left out is said, with why, as here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyIntoTree, copySources, type TreeCopy } from '../git';
import { SAFE_CONFIG_REMOTE, type SshHost } from './ssh';

/**
 * The receiver, run as `node -e RECEIVER -- <mode> <tree>` on the host; its input on stdin.
 *   ignored  input: JSON `{ git: [config args], paths: [...] }` (a folder's with a trailing `/`);
 *            prints `{ ignored: [...], blocked: [...] }`: the paths git ignores in the tree
 *            (`check-ignore --no-index`); those that are a link there, or have a link or a file
 *            among their folders, not asked (git refuses them) but blocked: the write refuses
 *            them, saying which.
 *   write    input: records, each a JSON line `{ k: 'd' | 'f' | 'l', p, m, n, t }` (a folder, a
 *            file of `n` bytes that follow the line, a link to `t`), parents before children;
 *            prints a JSON line `{ p, why }` for each one left out.
 * A fixed text: nothing of a plan's or a file's name is ever part of it.
 */
export const RECEIVER = String.raw`'use strict';
const fs = require('fs');
const path = require('path');
const cp = require('child_process');
const [mode, tree] = process.argv.slice(1);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const lst = (p) => { try { return fs.lstatSync(p); } catch { /* missing: null, and each caller says what that means */ return null; } };
const code = (e) => (e && (e.code || e.message)) || String(e);
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const input = Buffer.concat(chunks);
  let root;
  try { root = fs.realpathSync(tree); } catch (e) { out({ error: 'no worktree at ' + tree + ' (' + code(e) + ')' }); process.exit(3); }
  const inside = (p) => { const r = path.relative(root, p); return r === '' || (!r.startsWith('..') && !path.isAbsolute(r)); };
  const bad = (rel) => typeof rel !== 'string' || rel === '' || rel.includes('\0') || rel.startsWith('/') || rel.split('/').some((s) => s === '' || s === '.' || s === '..' || s === '.git' || s === '.waves');
  const folders = (rel, make) => {
    const parts = rel.split('/');
    let at = root;
    for (let i = 0; i < parts.length - 1; i++) {
      at = path.join(at, parts[i]);
      const st = lst(at);
      const shown = parts.slice(0, i + 1).join('/');
      if (!st) {
        if (!make) return null;
        try { fs.mkdirSync(at); continue; } catch (e) { return 'its folder cannot be made in the worktree: ' + code(e); }
      }
      if (st.isSymbolicLink()) return "the worktree's " + shown + ' is a symbolic link: nothing is written through it';
      if (!st.isDirectory()) return "the worktree's " + shown + ' is not a folder';
    }
    return null;
  };
  if (mode === 'ignored') {
    const req = JSON.parse(input.toString('utf8'));
    const asked = [];
    const blocked = [];
    for (const p of req.paths) {
      const rel = p.replace(/\/$/, '');
      if (bad(rel)) continue;
      const st = lst(path.join(root, ...rel.split('/')));
      if (folders(rel, false) !== null || (st && st.isSymbolicLink())) blocked.push(rel);
      else asked.push(p);
    }
    const r = asked.length ? cp.spawnSync('git', [...req.git, '-C', root, 'check-ignore', '--no-index', '-z', '--stdin'], { input: asked.join('\0') }) : { status: 1, stdout: Buffer.alloc(0) };
    if (r.status !== 0 && r.status !== 1) { out({ error: 'git check-ignore failed there: ' + (r.error ? code(r.error) : String(r.stderr).trim()) }); process.exit(4); }
    out({ ignored: r.stdout.toString('utf8').split('\0').filter(Boolean).map((p) => p.replace(/\/$/, '')), blocked });
    return;
  }
  if (mode !== 'write') { out({ error: 'no such mode' }); process.exit(2); }
  const refused = [];
  let pos = 0;
  while (pos < input.length) {
    const nl = input.indexOf(10, pos);
    if (nl < 0) break;
    const item = JSON.parse(input.subarray(pos, nl).toString('utf8'));
    pos = nl + 1;
    const data = item.k === 'f' ? input.subarray(pos, pos + item.n) : null;
    if (data) pos += item.n;
    const rel = item.p;
    if (bad(rel)) { out({ p: String(rel), why: 'not a path inside the worktree' }); continue; }
    if (refused.some((f) => rel.startsWith(f + '/'))) continue;
    const why = folders(rel, true);
    if (why) { out({ p: rel, why }); if (item.k === 'd') refused.push(rel); continue; }
    const to = path.join(root, ...rel.split('/'));
    const st = lst(to);
    try {
      if (item.k === 'd') {
        if (!st) fs.mkdirSync(to, { mode: item.m });
        else if (st.isSymbolicLink() || !st.isDirectory()) { out({ p: rel, why: 'the worktree has ' + (st.isSymbolicLink() ? 'a link' : 'a file') + ' there: left as it is' }); refused.push(rel); }
      } else if (st) {
        out({ p: rel, why: 'the worktree has it already (from git or the agent): left as it is' });
      } else if (item.k === 'f') {
        const fd = fs.openSync(to, 'wx', item.m);
        try { for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off); } finally { fs.closeSync(fd); }
      } else if (item.k === 'l') {
        const t = String(item.t);
        if (path.isAbsolute(t) || !inside(path.resolve(path.dirname(to), t))) out({ p: rel, why: 'a link that leads out of the worktree: not made' });
        else fs.symlinkSync(t, to);
      }
    } catch (e) {
      out({ p: rel, why: 'could not be copied: ' + code(e) });
      if (item.k === 'd') refused.push(rel);
    }
  }
});
`;

/** The receiver's JSON lines; its `error` line, or an exit without one, rejects. */
async function receive(ssh: SshHost, node: string, mode: 'ignored' | 'write', tree: string, input: Buffer | string): Promise<Record<string, unknown>[]> {
  const r = await ssh.run({ argv: [node, '-e', RECEIVER, '--', mode, tree] }, { input });
  const lines = r.stdout.split('\n').flatMap((l) => {
    try {
      const value = JSON.parse(l) as unknown;
      return value && typeof value === 'object' ? [value as Record<string, unknown>] : [];
    } catch {
      // not a JSON line: the error line or the exit code below says whether the receiver failed
      return [];
    }
  });
  const error = lines.find((l) => typeof l.error === 'string');
  if (error) throw new Error(`the copy list could not be copied on ${ssh.name}: ${error.error as string}`);
  if (r.code !== 0) throw new Error(`the copy list could not be copied on ${ssh.name}: its node ended with exit ${r.code ?? '?'}${r.stderr.trim() ? ` (${r.stderr.trim().split('\n').pop()!})` : ''}`);
  return lines;
}

export interface HostCopyRequest {
  /** The person's checkout (its real path). */
  checkout: string;
  /** The package's tree on the host. */
  tree: string;
  entries: readonly string[];
  /** The host's `node`. */
  node: string;
}

/**
 * Copies the entries from the checkout into the tree on the host. Never throws for one entry:
 * what cannot be copied is in `skipped`, with why; rejects when the host cannot be asked.
 */
export async function copyListToHost(ssh: SshHost, request: HostCopyRequest): Promise<TreeCopy> {
  // What git ignores in the tree there: only that is copied (the engine's commit takes the rest).
  const paths = copySources(request.checkout, request.entries).paths;
  const ignored = new Set<string>();
  if (paths.length) {
    const asked = paths.map((p) => (isFolder(path.join(request.checkout, ...p.split('/'))) ? `${p}/` : p));
    const answer = (await receive(ssh, request.node, 'ignored', request.tree, JSON.stringify({ git: SAFE_CONFIG_REMOTE, paths: asked })))[0] as { ignored?: unknown; blocked?: unknown } | undefined;
    if (!Array.isArray(answer?.ignored) || !Array.isArray(answer.blocked)) throw new Error(`the copy list could not be copied on ${ssh.name}: no answer from its node`);
    // A blocked path goes to the write, which leaves it out saying what of the tree is in its way.
    for (const p of [...answer.ignored, ...answer.blocked]) if (typeof p === 'string') ignored.add(p);
  }
  // The local copy's rules, into an empty folder here: what it made is what goes.
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-copy-'));
  try {
    const made = copyIntoTree(request.checkout, staging, request.entries, { carried: (rel) => !ignored.has(rel) });
    const records: Buffer[] = [];
    const sent = new Set<string>();
    for (const p of paths) addRecords(staging, p, records, sent);
    if (records.length === 0) return made;
    const answer = await receive(ssh, request.node, 'write', request.tree, Buffer.concat(records));
    const left = answer.flatMap((l) => (typeof l.p === 'string' && typeof l.why === 'string' ? [{ path: l.p, why: l.why }] : []));
    const out = (p: string) => left.some((s) => p === s.path || p.startsWith(`${s.path}/`));
    return { copied: made.copied.filter((p) => !out(p)), skipped: [...made.skipped, ...left] };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

function isFolder(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    // not in the checkout: asked as a file
    return false;
  }
}

/** The receiver's records of what the copy made at `rel` in `staging` (a folder's content after it). */
function addRecords(staging: string, rel: string, records: Buffer[], sent: Set<string>): void {
  if (sent.has(rel)) return; // an entry inside a folder the list names too
  sent.add(rel);
  const at = path.join(staging, ...rel.split('/'));
  let st: fs.Stats;
  try {
    st = fs.lstatSync(at);
  } catch {
    return; // left out by the copy
  }
  const head = (record: object) => records.push(Buffer.from(`${JSON.stringify(record)}\n`, 'utf8'));
  if (st.isSymbolicLink()) {
    head({ k: 'l', p: rel, t: fs.readlinkSync(at) });
  } else if (st.isFile()) {
    const data = fs.readFileSync(at);
    head({ k: 'f', p: rel, m: st.mode & 0o777, n: data.length });
    records.push(data);
  } else if (st.isDirectory()) {
    head({ k: 'd', p: rel, m: st.mode & 0o777 });
    for (const name of fs.readdirSync(at).sort()) addRecords(staging, `${rel}/${name}`, records, sent);
  }
}

/**
 * The person's package-manager configuration files as the walls read them (ADR 0019):
 * npm's `.npmrc`, pip's `pip.conf` (INI) and cargo's `config.toml` (TOML) parsed as far as the
 * walls need, and written again for the agent without a credential or a proxy
 * (`sanitizeNpmrc`, `sanitizePipConf`, `sanitizeCargoConfig`). Pure: toolchains.ts reads the
 * registries they name; engine/attempt/wallsToolchains.ts reads and writes the files.
 */
import { bracketDepth } from '../util/tomlLine';

/** A URL's user and password taken out (`https://u:p@host/` → `https://host/`; up to the authority's last `@`, as URLs are read); the text as it was when it holds none. */
export function withoutUserinfo(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#'"]*@/gi, '$1');
}

/** Keys of an `.npmrc` that hold a credential (compared lower-case, on the key's last `:` part). */
const NPM_SECRET_KEYS = new Set(['_authtoken', '_auth', '_password', 'username', 'password', 'email', 'certfile', 'keyfile', 'cert', 'key', 'otp', 'token']);

/** Keys of an `.npmrc` that name a proxy: inside, the walls' proxy is the way out (the runner's goes through the person's own when their environment names one). */
const NPM_PROXY_KEYS = new Set(['proxy', 'https-proxy', 'http-proxy', 'noproxy', 'no-proxy']);

/**
 * The person's `.npmrc` as the agent may see it: its settings without a credential. Dropped:
 * every key that holds one (`_authToken`, `_auth`, `_password`, `username`, `password`, `email`,
 * `certfile`, `keyfile`, `cert`, `key`, `otp`, and anything naming a token, password or secret),
 * every per-registry key (`//host/:…`), however the value is written (`${NPM_TOKEN}` too);
 * comments (a token pasted there is a token); lines that are not `key = value`; the proxy
 * settings (inside the walls the walls' proxy is the way out). A user and password in a URL
 * (`registry=https://u:p@host/`) are taken out, the URL kept. `dropped` names what went, never
 * a value.
 */
export function sanitizeNpmrc(text: string): { text: string; dropped: string[] } {
  const kept: string[] = [];
  const dropped: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    if (/^\[[^\]]*\]$/.test(line)) {
      kept.push(line);
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) {
      dropped.push(`line ${i + 1} (not key = value)`);
      return;
    }
    const key = line.slice(0, eq).trim().replace(/^(["'])(.*)\1$/, '$2').replace(/\[\]$/, '');
    const last = key.slice(key.lastIndexOf(':') + 1).toLowerCase();
    if (key.startsWith('//') || NPM_SECRET_KEYS.has(last) || /token|passw|secret|_auth/i.test(key)) {
      dropped.push(key);
      return;
    }
    if (NPM_PROXY_KEYS.has(key.toLowerCase())) {
      dropped.push(`${key} (the walls' proxy stands in)`);
      return;
    }
    const value = line.slice(eq + 1);
    if (/[?&][^=&\s]*(token|auth|passw|secret|key)[^=&\s]*=/i.test(value)) {
      dropped.push(`${key} (a credential in its URL)`);
      return;
    }
    const clean = withoutUserinfo(value);
    if (clean !== value) dropped.push(`${key} (the user and password in its URL)`);
    kept.push(`${line.slice(0, eq)}=${clean}`);
  });
  return { text: kept.length ? `${kept.join('\n')}\n` : '', dropped };
}

/** One `key = value` of an INI file (pip's), its section and its continuation lines joined by newlines. */
interface IniEntry {
  section: string;
  key: string;
  value: string;
}

/** An INI text (Python's configparser: `[section]`, `key = value` or `key: value`, indented continuation lines, `#` and `;` comments). */
export function parseIni(text: string): { entries: IniEntry[]; bad: number[] } {
  const entries: IniEntry[] = [];
  const bad: number[] = [];
  let section = '';
  let last: IniEntry | null = null;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*([#;].*)?$/.test(raw)) return;
    if (/^\s/.test(raw) && last) {
      last.value = last.value ? `${last.value}\n${raw.trim()}` : raw.trim();
      return;
    }
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(raw);
    if (header) {
      section = header[1]!.trim();
      last = null;
      return;
    }
    const m = /^\s*([^=:\s][^=:]*?)\s*[=:]\s*(.*)$/.exec(raw);
    if (!m) {
      bad.push(i + 1);
      last = null;
      return;
    }
    last = { section, key: m[1]!, value: m[2]!.trim() };
    entries.push(last);
  });
  return { entries, bad };
}

export const iniKey = (k: string) => k.toLowerCase().replace(/_/g, '-');

/** pip settings that hold a credential or a way out the walls stand in for. */
const PIP_DROPPED = new Set(['client-cert', 'proxy']);

/**
 * The person's pip configuration files (highest precedence first) as one file the agent may
 * see: each setting as the file that wins it says, a user and password in a URL taken out
 * (`index-url = https://u:token@host/simple` is how several private indexes are set), the client
 * certificate and the proxy dropped. `dropped` names what went, never a value.
 */
export function sanitizePipConf(texts: readonly string[]): { text: string; dropped: string[] } {
  const sections = new Map<string, Map<string, { key: string; value: string }>>();
  const dropped: string[] = [];
  // Lowest precedence first, so that a later file's setting replaces an earlier one's.
  for (const text of [...texts].reverse()) {
    const { entries, bad } = parseIni(text);
    for (const n of bad) dropped.push(`line ${n} (not key = value)`);
    for (const e of entries) {
      const name = `${e.section}.${e.key}`;
      if (PIP_DROPPED.has(iniKey(e.key)) || /token|passw|secret/i.test(e.key)) {
        dropped.push(name);
        continue;
      }
      const value = withoutUserinfo(e.value);
      if (value !== e.value) dropped.push(`${name} (the user and password in its URL)`);
      if (!sections.has(e.section)) sections.set(e.section, new Map());
      sections.get(e.section)!.set(iniKey(e.key), { key: e.key, value });
    }
  }
  const out: string[] = [];
  for (const [section, keys] of sections) {
    if (!section) continue; // configparser refuses a setting before any section
    out.push(`[${section}]`);
    for (const { key, value } of keys.values()) out.push(`${key} = ${value.replace(/\n/g, '\n    ')}`);
  }
  return { text: out.length ? `${out.join('\n')}\n` : '', dropped: [...new Set(dropped)] };
}

/** One `key = value` of a TOML file as read line by line: its table and dotted key as one path, its value's text. */
interface TomlEntry {
  path: string[];
  value: string;
  /** The lines it spans (a multi-line array or string spans more than one). */
  from: number;
  to: number;
}

/** A TOML key (`a."b.c".d`) split into its parts. */
function tomlKeyParts(text: string): string[] {
  const parts: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text))) parts.push(m[1] ?? m[2] ?? m[3]!);
  return parts;
}

/**
 * The `key = value` lines of a TOML text (enough of TOML for cargo's configuration: tables,
 * dotted and quoted keys, one-line values, inline tables read as their `key = "string"` parts,
 * multi-line arrays and strings spanned but not read).
 */
function parseToml(text: string): TomlEntry[] {
  const lines = text.split(/\r?\n/);
  const entries: TomlEntry[] = [];
  let table: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || line.startsWith('#')) continue;
    const header = /^\[\[?\s*(.+?)\s*\]\]?\s*(#.*)?$/.exec(line);
    if (header) {
      table = tomlKeyParts(header[1]!);
      continue;
    }
    const m = /^((?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.\s-])+?)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = [...table, ...tomlKeyParts(m[1]!)];
    let value = m[2]!;
    const from = i;
    // A value that goes on past its line: an array until its brackets close, a string until its closing quotes.
    const quotes = /^("""|''')/.exec(value)?.[1];
    let depth = quotes ? 0 : bracketDepth(value);
    if (quotes ? !value.slice(3).includes(quotes) : depth > 0) {
      while (i + 1 < lines.length) {
        i++;
        value += `\n${lines[i]}`;
        if (quotes ? lines[i]!.includes(quotes) : (depth += bracketDepth(lines[i]!)) <= 0) break;
      }
    }
    entries.push({ path: key, value, from, to: i });
  }
  return entries;
}


/** A TOML value's text as a string when it is one (`"…"` or `'…'`); null otherwise. */
function tomlString(value: string): string | null {
  const m = /^"((?:[^"\\]|\\.)*)"|^'([^']*)'/.exec(value.trim());
  return m ? (m[2] ?? m[1]!.replace(/\\(.)/g, '$1')) : null;
}

/** The `key = "string"` parts of an inline table (`{ index = "…", token = "…" }`). */
function inlineStrings(value: string): [string, string][] {
  const v = value.trim();
  if (!v.startsWith('{')) return [];
  const out: [string, string][] = [];
  for (const m of v.matchAll(/([A-Za-z0-9_-]+|"[^"]*")\s*=\s*("(?:[^"\\]|\\.)*"|'[^']*')/g)) out.push([m[1]!.replace(/^"|"$/g, ''), tomlString(m[2]!)!]);
  return out;
}

/** The string settings of a cargo configuration, inline tables' too, each by its dotted path. */
export function cargoSettings(text: string): { path: string[]; value: string }[] {
  const out: { path: string[]; value: string }[] = [];
  for (const e of parseToml(text)) {
    const s = tomlString(e.value);
    if (s !== null) out.push({ path: e.path, value: s });
    for (const [k, v] of inlineStrings(e.value)) out.push({ path: [...e.path, k], value: v });
  }
  return out;
}

/** Cargo settings that hold a credential, run a program for one, or name a proxy the walls stand in for. */
const CARGO_DROPPED = new Set(['token', 'secret-key', 'secret-key-subject', 'credential-provider', 'global-credential-providers']);

/**
 * The person's cargo configuration as the agent's private `CARGO_HOME` holds it: without a
 * registry's token or secret key, a credential provider (which would reach for the person's
 * keychain) or the HTTP proxy (the walls' own stands in). A user and password in a URL are taken
 * out. `dropped` names what went (as dotted paths), never a value.
 */
export function sanitizeCargoConfig(text: string): { text: string; dropped: string[] } {
  const lines = text.split(/\r?\n/);
  const drop = new Set<number>();
  const dropped: string[] = [];
  for (const e of parseToml(text)) {
    const name = e.path.join('.');
    const last = e.path[e.path.length - 1] ?? '';
    if (CARGO_DROPPED.has(last) || name === 'http.proxy') {
      for (let i = e.from; i <= e.to; i++) drop.add(i);
      dropped.push(name);
      continue;
    }
    // An inline table on one line (`acme = { index = "…", token = "…" }`) keeps its other keys.
    const body = /^\{(.*)\}\s*(#.*)?$/.exec(e.value.trim())?.[1];
    if (e.from !== e.to || body === undefined) continue;
    const parts = splitTopLevel(body);
    const kept = parts.filter((part) => !CARGO_DROPPED.has(tomlKeyParts(part.slice(0, part.indexOf('=')).trim()).pop() ?? ''));
    if (kept.length === parts.length) continue;
    for (const part of parts) if (!kept.includes(part)) dropped.push(`${name}.${tomlKeyParts(part.slice(0, part.indexOf('=')).trim()).join('.')}`);
    const line = lines[e.from]!;
    lines[e.from] = `${line.slice(0, line.indexOf('=') + 1)} { ${kept.map((k) => k.trim()).join(', ')} }`;
  }
  const out: string[] = [];
  lines.forEach((line, i) => {
    if (drop.has(i)) return;
    // Comments go too: a token pasted there is a token.
    if (/^\s*#/.test(line)) return;
    const clean = withoutUserinfo(line);
    if (clean !== line) dropped.push(`line ${i + 1} (the user and password in its URL)`);
    out.push(clean);
  });
  return { text: out.join('\n').replace(/\n*$/, '\n'), dropped };
}

/** A TOML inline table's body split at its top-level commas (not those in strings, arrays or inner tables). */
function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (const m of body.matchAll(/"(?:[^"\\]|\\.)*"|'[^']*'|[[\]{},]/g)) {
    if (m[0] === '[' || m[0] === '{') depth++;
    else if (m[0] === ']' || m[0] === '}') depth--;
    else if (m[0] === ',' && depth === 0) {
      parts.push(body.slice(start, m.index));
      start = m.index! + 1;
    }
  }
  parts.push(body.slice(start));
  return parts.filter((p) => p.includes('='));
}


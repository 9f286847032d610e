/**
 * The person's maven settings as the walls read them (ADR 0026): `settings.xml` written again for
 * the agent without a credential (`sanitizeMavenSettings`), every file maven may read as the
 * person's settings (`mavenSettingsFiles`), and the credentials a `~/.mavenrc` sets
 * (`mavenrcSecrets`). Pure: engine/attempt/wallsToolchains.ts reads the files, writes the copies
 * and has the walls bind each copy over its original.
 */
import path from 'node:path';
import { withoutUserinfo } from './toolchainConfigs';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * A name (an element's, a property's, a variable's) that holds a credential: maven's
 * `username`, `password`, `passphrase`, `privateKey`, and the usual property names
 * (`gpg.passphrase`, `sonar.login`, `github.token`, `nexus.user`, `artifactory.apiKey`, …).
 */
const SECRET_NAME = /(^|[._-])user(name)?$|username|passw|passphrase|(^|[._-])pass$|pwd|private[._-]?key|token|secret|credential|auth|login|cookie|api[._-]?key|access[._-]?key|signing[._-]?key/i;

/** The empty settings maven reads where the person's could not be read safely. */
export const EMPTY_MAVEN_SETTINGS = '<settings/>\n';

type XmlToken =
  | { kind: 'text'; raw: string }
  | { kind: 'cdata'; raw: string }
  | { kind: 'declaration'; raw: string }
  | { kind: 'comment' }
  | { kind: 'open'; name: string; attributes: [string, string][]; empty: boolean }
  | { kind: 'close'; name: string };

const NAME = '[A-Za-z_][\\w.:-]*';
const VALUE = `"[^"<]*"|'[^'<]*'`;
const OPEN = new RegExp(`<(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:${VALUE}))*)\\s*(/?)>`, 'y');
const ATTRIBUTE = new RegExp(`(${NAME})\\s*=\\s*(${VALUE})`, 'g');
const CLOSE = new RegExp(`</(${NAME})\\s*>`, 'y');
/** An `&` that starts none of XML's own references (an entity a DOCTYPE would define). */
const OTHER_REFERENCE = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;

/** The line of an offset, for what a refusal says (never the text there). */
const lineAt = (text: string, at: number) => text.slice(0, at).split('\n').length;

/**
 * An XML text as the tokens the settings filter needs; a string (why) for anything it does not
 * read with certainty: a DOCTYPE (its entities could put an element anywhere), a reference to
 * another entity, a comment, CDATA section or instruction that does not end, a `<` that starts
 * nothing.
 */
function xmlTokens(text: string): XmlToken[] | string {
  const out: XmlToken[] = [];
  let i = 0;
  const until = (end: string, from: number) => {
    const at = text.indexOf(end, from);
    return at < 0 ? -1 : at + end.length;
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt !== i) {
      const raw = text.slice(i, lt < 0 ? text.length : lt);
      if (OTHER_REFERENCE.test(raw)) return `an entity reference on line ${lineAt(text, i)}`;
      out.push({ kind: 'text', raw });
      if (lt < 0) break;
      i = lt;
    }
    if (text.startsWith('<!--', i)) {
      const end = until('-->', i + 4);
      if (end < 0) return `a comment that does not end, on line ${lineAt(text, i)}`;
      out.push({ kind: 'comment' });
      i = end;
    } else if (text.startsWith('<![CDATA[', i)) {
      const end = until(']]>', i + 9);
      if (end < 0) return `a CDATA section that does not end, on line ${lineAt(text, i)}`;
      out.push({ kind: 'cdata', raw: text.slice(i, end) });
      i = end;
    } else if (text.startsWith('<!', i)) {
      return `a DOCTYPE or other declaration on line ${lineAt(text, i)} (its entities could put anything anywhere)`;
    } else if (text.startsWith('<?', i)) {
      const end = until('?>', i + 2);
      if (end < 0) return `a processing instruction that does not end, on line ${lineAt(text, i)}`;
      out.push({ kind: 'declaration', raw: text.slice(i, end) });
      i = end;
    } else {
      CLOSE.lastIndex = i;
      OPEN.lastIndex = i;
      const close = CLOSE.exec(text);
      const open = close ? null : OPEN.exec(text);
      if (close) {
        out.push({ kind: 'close', name: close[1]! });
        i = CLOSE.lastIndex;
      } else if (open) {
        const attributes = [...open[2]!.matchAll(ATTRIBUTE)].map((m): [string, string] => [m[1]!, m[2]!]);
        if (attributes.some(([, v]) => OTHER_REFERENCE.test(v))) return `an entity reference on line ${lineAt(text, i)}`;
        out.push({ kind: 'open', name: open[1]!, attributes, empty: open[3] === '/' });
        i = OPEN.lastIndex;
      } else return `a "<" that starts no element, on line ${lineAt(text, i)}`;
    }
  }
  return out;
}

/** A name without its namespace prefix. */
const local = (name: string) => name.slice(name.lastIndexOf(':') + 1);

/** Why an element goes whole: '' for a credential (its name says it), null when it stays. */
function dropReason(name: string): string | null {
  const n = local(name).toLowerCase();
  if (n === 'servers') return 'their credentials and headers: maven reaches the repositories without them';
  if (n === 'proxies') return "the walls' proxy stands in";
  return SECRET_NAME.test(local(name)) ? '' : null;
}

/** A URL's query cut off where one of its parameters reads like a credential (`?private_token=…`). */
function withoutCredentialQuery(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#<]*)\?([^\s#<]*)/gi, (all, base: string, query: string) => (/(^|[&;])[^=&;\s]*(token|auth|passw|secret|key|sig)[^=&;\s]*=/i.test(query) ? base : all));
}

/** The indentation written before an element that goes, taken back (its line goes with it). */
function takeIndent(out: string[]): void {
  const last = out[out.length - 1];
  if (last === undefined || !/^\s*$/.test(last)) return;
  const nl = last.lastIndexOf('\n');
  if (nl >= 0) out[out.length - 1] = last.slice(0, nl);
}

/** A sanitized settings file and what went from it (names and where, never a value); or why the file is refused whole. */
export type MavenSettingsCopy = { text: string; dropped: string[] } | { text: null; why: string };

/**
 * The person's maven `settings.xml` as the agent may see it. Dropped whole: `<servers>` (every
 * server's `username`, `password`, `privateKey`, `passphrase` and its `configuration`, where
 * HTTP headers carry tokens: the agent reaches the repositories without them), `<proxies>` (the
 * walls' proxy stands in: a proxy of the settings would be tried straight, which the walls
 * forbid), and every element or attribute whose name holds a credential, wherever it is (a
 * profile's `gpg.passphrase`, `sonar.login`, `github.token`, …); comments (a password pasted
 * there is a password); instructions but the XML declaration. A user and password in a URL are
 * taken out, and a query holding a credential. The mirrors, profiles, repositories, plugin
 * groups and the rest stay as written, `${env.X}` references too. A file it cannot read with
 * certainty (not well-formed, a DOCTYPE, an entity, a root other than `<settings>`) is refused
 * whole (`text: null`): the caller shows an empty one instead.
 */
export function sanitizeMavenSettings(input: string): MavenSettingsCopy {
  const bom = input.startsWith('\uFEFF') ? '\uFEFF' : '';
  const tokens = xmlTokens(input.slice(bom.length));
  if (typeof tokens === 'string') return { text: null, why: tokens };
  const out: string[] = [bom];
  const dropped: string[] = [];
  const stack: string[] = [];
  /** The depth at which the element being dropped opened; -1 when none is. */
  let dropFrom = -1;
  let roots = 0;
  const cleaned = (raw: string, where: string) => {
    const clean = withoutCredentialQuery(withoutUserinfo(raw));
    if (clean !== raw) dropped.push(`${where} (a credential in its URL)`);
    return clean;
  };
  for (const t of tokens) {
    const dropping = dropFrom >= 0;
    if (t.kind === 'comment') {
      if (!dropping) takeIndent(out);
      continue;
    }
    if (t.kind === 'declaration') {
      if (out.length === 1 && /^<\?xml\s/.test(t.raw)) out.push(t.raw);
    } else if (t.kind === 'text' || t.kind === 'cdata') {
      if (stack.length === 0) {
        if (t.kind === 'cdata' || t.raw.trim()) return { text: null, why: 'text outside the <settings> element' };
        out.push(t.raw);
      } else if (!dropping) out.push(cleaned(t.raw, stack.join('/')));
    } else if (t.kind === 'open') {
      if (stack.length === 0) {
        if (roots++ > 0) return { text: null, why: 'more than one root element' };
        if (local(t.name) !== 'settings') return { text: null, why: `its root element is <${t.name}>, not <settings>` };
      }
      const where = [...stack, t.name].join('/');
      const why = dropping ? null : dropReason(t.name);
      if (why !== null) {
        dropped.push(why ? `${where} (${why})` : where);
        takeIndent(out);
        if (!t.empty) dropFrom = stack.length;
      } else if (!dropping) {
        const kept = t.attributes.filter(([name]) => {
          if (!SECRET_NAME.test(local(name))) return true;
          dropped.push(`${where}/@${name}`);
          return false;
        });
        out.push(`<${t.name}${kept.map(([name, value]) => ` ${name}=${cleaned(value, `${where}/@${name}`)}`).join('')}${t.empty ? '/' : ''}>`);
      }
      if (!t.empty) stack.push(t.name);
    } else {
      if (stack[stack.length - 1] !== t.name) return { text: null, why: `</${t.name}> closes ${stack.length ? `<${stack[stack.length - 1]}>` : 'nothing'}` };
      stack.pop();
      if (dropFrom === stack.length) dropFrom = -1;
      else if (!dropping) out.push(`</${t.name}>`);
    }
  }
  if (stack.length) return { text: null, why: `<${stack[stack.length - 1]}> does not end` };
  if (roots === 0) return { text: null, why: 'no <settings> element' };
  return { text: out.join(''), dropped };
}

/** Where maven's settings files are and what sets them, for `mavenSettingsFiles`. */
export interface MavenPlaces {
  /** The person's home folder (`$HOME`). */
  home: string;
  /** The account's home folder (its passwd entry): the JVM's `user.home`, whatever `$HOME` says. */
  accountHome?: string;
  /** The person's environment. */
  env: Env;
  /** The text of the rc files the `mvn` script sources (`/etc/mavenrc`, `~/.mavenrc`). */
  mavenrc?: string;
  /** Maven's own folder (`maven.home`: the `mvn` script's real folder's parent), whose `conf/settings.xml` are the global settings. */
  mavenHome?: string;
}

/**
 * Every file maven may read as the person's settings: `.m2/settings.xml` under the home folder,
 * under the account's home (the JVM's `user.home` comes from the account, not `$HOME`) and under
 * each `-Duser.home=` their JVM options give (`MAVEN_OPTS`, `JAVA_TOOL_OPTIONS`,
 * `JDK_JAVA_OPTIONS`, `~/.mavenrc`); Maven 4's `-Dmaven.user.conf=` and `-Dmaven.user.settings=`;
 * each `.xml` file `-s` / `--settings` or `-gs` / `--global-settings` names in `MAVEN_ARGS` or
 * `~/.mavenrc`; the global settings, `${maven.home}/conf/settings.xml` (a server's login may be
 * there too; on Debian a link into /etc/maven). Absolute paths only (`~`, `$HOME` and `${HOME}` read as the home folder): a
 * relative one is the repository's (its `.mvn/maven.config` is too). Duplicates dropped.
 */
export function mavenSettingsFiles(places: MavenPlaces): string[] {
  const { home, env } = places;
  const files = [path.join(home, '.m2', 'settings.xml')];
  if (places.accountHome) files.push(path.join(places.accountHome, '.m2', 'settings.xml'));
  if (places.mavenHome) files.push(path.join(places.mavenHome, 'conf', 'settings.xml'));
  const absolute = (value: string): string | null => {
    const v = value.replace(/^(~|\$HOME|\$\{HOME\})(?=\/|$)/, home);
    return path.isAbsolute(v) ? path.normalize(v) : null;
  };
  const texts = [env.MAVEN_OPTS, env.JAVA_TOOL_OPTIONS, env.JDK_JAVA_OPTIONS, env.MAVEN_ARGS, places.mavenrc];
  for (const text of texts) {
    if (!text) continue;
    // Quotes out: a shell's `MAVEN_OPTS="… -Duser.home=/x"` reads as its words.
    const words = text.replace(/["']/g, ' ');
    for (const m of words.matchAll(/(?:^|[\s=])-D(user\.home|maven\.user\.conf|maven\.user\.settings)=(\S+)/g)) {
      const p = absolute(m[2]!);
      if (p) files.push(m[1] === 'user.home' ? path.join(p, '.m2', 'settings.xml') : m[1] === 'maven.user.conf' ? path.join(p, 'settings.xml') : p);
    }
    for (const m of words.matchAll(/(?:^|\s)(?:-s|--settings|-gs|--global-settings)(?:=|\s+)(\S+\.xml)(?=\s|$)/g)) {
      const p = absolute(m[1]!);
      if (p) files.push(p);
    }
  }
  return [...new Set(files)];
}

/**
 * The credentials a `~/.mavenrc` sets, by name (never a value): a variable or a `-D` property
 * whose name holds one (`export NEXUS_PASSWORD=…`, `MAVEN_OPTS="… -Dgpg.passphrase=…"`).
 * Such a file is hidden inside the walls (the `mvn` script sources it only when it is a file).
 */
export function mavenrcSecrets(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/(?:^|[\s;"'])(?:-D)?([A-Za-z_][\w.-]*)=/gm)) if (SECRET_NAME.test(m[1]!)) names.add(m[1]!);
  return [...names];
}

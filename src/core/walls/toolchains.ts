/**
 * The toolchains inside the walls (ADR 0019): where npm, pnpm, yarn, pip, uv, cargo, go,
 * gradle and maven keep their caches when the home folder is read-only, which of the person's
 * settings reach the agent (never a credential), which package registries the person's own
 * configuration names, and the words beside a failure that reads like the walls. Pure: the
 * disk is read by engine/attempt/wallsToolchains.ts. The configuration files themselves (read,
 * and written without credentials) are toolchainConfigs.ts.
 *
 * Two caches. The **shared** one (`~/.cache/wave-orchestrator/agents`, or the person's choice)
 * holds what the tools download — npm's content store, pnpm's store, yarn's, pip's and uv's
 * caches, cargo's registry index and crate files, Go's module cache, gradle's and maven's
 * repositories —, kept between attempts and runs so that each agent does not download every
 * dependency again. The **private** one (the attempt folder's `cache/`) holds the rest: build
 * caches, the tools' own homes with their configuration (cargo's, gradle's), npm's logs and npx
 * installs, and `XDG_CACHE_HOME`. Only a download part of a tool's home is shared, by a link from
 * the private home into the shared folder (`toolchainLinks`): a configuration file that makes
 * every build run a program (cargo's `config.toml`, gradle's `init.d`) is never one that another
 * agent may write.
 */
import { directConnectionAdvice, parseTarget, PROXY_PORT } from './walls';
import { cargoSettings, iniKey, parseIni, withoutUserinfo } from './toolchainConfigs';

/** Where an attempt's toolchains keep their caches: `shared` by the agents, `private` to this attempt. */
export interface CachePaths {
  shared: string;
  private: string;
}

/** What the tree says of itself that changes where a tool's cache goes. */
export interface ToolchainTree {
  /** The tree is a yarn 2+ (berry) project (`.yarnrc.yml`, or `packageManager: yarn@2…`). */
  yarnBerry?: boolean;
  /** The tree is a pnpm project (`pnpm-lock.yaml`, `pnpm-workspace.yaml`, or `packageManager: pnpm@…`). */
  pnpm?: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

const join = (...parts: string[]) => parts.join('/').replace(/\/+/g, '/');

/**
 * The variables that send each tool's caches to a writable place, on top of the person's
 * environment. The walls' values win over the person's own: a cache the person set explicitly
 * (`npm_config_cache=~/.npm-cache`, `GOMODCACHE`, …) is read-only inside the walls like the rest
 * of the home folder, so it could not be written there anyway. Only `MAVEN_OPTS` and
 * `JAVA_TOOL_OPTIONS` keep what the person had (their JVM options), with the local repository
 * and the proxy added last (the last `-D` wins).
 *
 * - npm: its cache is private (npx installs, logs), its content store `_cacache` a link into the
 *   shared folder (it verifies each file against its hash as it reads it);
 * - pnpm: its store is shared, and packages are copied out of it (`package-import-method=copy`):
 *   a hard link would let one agent's write in its `node_modules` reach the store, and through it
 *   every other tree. pnpm 10 and later read `pnpm_config_` variables, earlier ones only
 *   `npm_config_`: those are set in a pnpm tree alone, as npm warns of each that it does not know;
 * - yarn 1: `YARN_CACHE_FOLDER` shared. Not for yarn 2+, where that variable moves a project's
 *   own (often committed) cache: its global folder is shared instead (`YARN_GLOBAL_FOLDER`);
 * - pip, uv: their caches shared; uv copies out of its cache (`UV_LINK_MODE=copy`, as pnpm);
 * - cargo: `CARGO_HOME` private (its `config.toml`, the person's copied there without
 *   credentials; unpacked sources), its registry index, crate files and git databases links into
 *   the shared folder;
 * - go: `GOMODCACHE` shared (Go locks it for concurrent use), `GOCACHE` and `GOPATH` private;
 * - gradle: `GRADLE_USER_HOME` private (its `init.d` and `gradle.properties` run or configure
 *   every build), its module cache and wrapper distributions links into the shared folder; the
 *   walls' proxy in that home's `gradle.properties` (`gradleProperties`, written by the walls);
 * - maven: its local repository shared, with the resolver's file locks so that two builds can
 *   share it; the walls' proxy as JVM properties (`jvmProxyProperties`): the JVM reads no
 *   `HTTPS_PROXY`. In `MAVEN_OPTS` and in `JAVA_TOOL_OPTIONS`, which every JVM reads whatever a
 *   `~/.mavenrc` or `/etc/mavenrc` does to `MAVEN_OPTS` (not `MAVEN_SKIP_RC`: the person's rc
 *   files keep their say; not `MAVEN_ARGS`: Maven 3.8's `mvn` has none; `.mvn/jvm.config` is the
 *   project's own file). The JVM says "Picked up JAVA_TOOL_OPTIONS" on its error output;
 * - `XDG_CACHE_HOME` private: everything else that writes `~/.cache` (an agent CLI unpacking
 *   itself, node-gyp's headers, pnpm's metadata).
 */
export function toolchainEnv(paths: CachePaths, env: Env, tree: ToolchainTree = {}, proxyPort: number = PROXY_PORT): Record<string, string> {
  const shared = (...p: string[]) => join(paths.shared, ...p);
  const own = (...p: string[]) => join(paths.private, ...p);
  const mavenProperties = [
    `-Dmaven.repo.local=${shared('maven', 'repository')}`,
    '-Daether.syncContext.named.factory=file-lock',
    '-Daether.syncContext.named.nameMapper=file-gav',
    ...Object.entries(jvmProxyProperties(proxyPort)).map(([k, v]) => `-D${k}=${v}`),
    // Maven 3.9's HTTP transport (and resolver 2's Apache one) read those only when told to; Maven 3.8's wagon always does.
    '-Daether.connector.http.useSystemProperties=true',
    '-Daether.transport.apache.useSystemProperties=true',
  ];
  const out: Record<string, string> = {
    npm_config_cache: own('npm'),
    npm_config_logs_dir: own('npm', '_logs'),
    pnpm_config_store_dir: shared('pnpm-store'),
    pnpm_config_package_import_method: 'copy',
    PIP_CACHE_DIR: shared('pip'),
    UV_CACHE_DIR: shared('uv'),
    UV_LINK_MODE: 'copy',
    CARGO_HOME: own('cargo'),
    GOMODCACHE: shared('go', 'mod'),
    GOCACHE: own('go-build'),
    GOPATH: own('go'),
    GRADLE_USER_HOME: own('gradle'),
    MAVEN_OPTS: [env.MAVEN_OPTS?.trim(), ...mavenProperties].filter(Boolean).join(' '),
    // The same properties again where no rc file reaches them: `mvn` sources /etc/mavenrc and
    // ~/.mavenrc, and one that sets MAVEN_OPTS outright drops the walls' ones; every JVM reads
    // JAVA_TOOL_OPTIONS itself (before its command line: an option the person's rc sets still wins).
    JAVA_TOOL_OPTIONS: [env.JAVA_TOOL_OPTIONS?.trim(), ...mavenProperties].filter(Boolean).join(' '),
    XDG_CACHE_HOME: own('xdg'),
  };
  if (tree.pnpm) {
    out.npm_config_store_dir = shared('pnpm-store');
    out.npm_config_package_import_method = 'copy';
  }
  if (tree.yarnBerry) out.YARN_GLOBAL_FOLDER = shared('yarn-berry');
  else out.YARN_CACHE_FOLDER = shared('yarn');
  // npm reads its variables whatever their case: one the person set in another case would race ours.
  for (const key of Object.keys(out)) {
    if (!/^(npm|pnpm)_config_/.test(key)) continue;
    for (const theirs of Object.keys(env)) if (theirs !== key && theirs.toLowerCase() === key) out[theirs] = out[key]!;
  }
  return out;
}

/**
 * The JVM's proxy properties for the walls' proxy (maven and gradle read no `HTTPS_PROXY`):
 * everything through 127.0.0.1:`PROXY_PORT` but loopback, as `NO_PROXY` says for the others
 * (the JDK's own default `http.nonProxyHosts`, set again over one the person's options name).
 */
export function jvmProxyProperties(port: number = PROXY_PORT): Record<string, string> {
  return { 'http.proxyHost': '127.0.0.1', 'http.proxyPort': String(port), 'https.proxyHost': '127.0.0.1', 'https.proxyPort': String(port), 'http.nonProxyHosts': 'localhost|127.*|[::1]' };
}

/**
 * Gradle's `gradle.properties` in the attempt's private `GRADLE_USER_HOME` (the person's is
 * hidden: it holds credentials): the proxy properties as `systemProp.` lines, which the wrapper,
 * the client and the daemon all read.
 */
export function gradleProperties(port: number = PROXY_PORT): string {
  return Object.entries(jvmProxyProperties(port))
    .map(([k, v]) => `systemProp.${k}=${v}\n`)
    .join('');
}

/** A link made in an attempt's private cache, to a folder of the shared one. */
export interface CacheLink {
  link: string;
  target: string;
}

/** The links from the tools' private homes (`toolchainEnv`) to their shared download parts. */
export function toolchainLinks(paths: CachePaths): CacheLink[] {
  const pair = (own: string, shared: string): CacheLink => ({ link: join(paths.private, own), target: join(paths.shared, shared) });
  return [
    pair('npm/_cacache', 'npm/_cacache'),
    pair('cargo/registry/index', 'cargo/registry/index'),
    pair('cargo/registry/cache', 'cargo/registry/cache'),
    pair('cargo/git/db', 'cargo/git/db'),
    pair('gradle/caches/modules-2', 'gradle/caches/modules-2'),
    pair('gradle/wrapper/dists', 'gradle/wrapper/dists'),
  ];
}

/**
 * What tools read from the person's `~/.cache` that the private `XDG_CACHE_HOME` would otherwise
 * take away (browsers, a test runner's binary, package managers and headers installed there):
 * each is linked from the private cache folder to the person's, where it exists, and read there
 * read-only as before. (Links, not these tools' own variables: npm warns of every
 * `npm_config_` variable it does not know, node-gyp's among them.)
 */
export const PERSON_CACHE_FOLDERS: readonly string[] = ['ms-playwright', 'Cypress', 'node/corepack', 'node-gyp'];

/** The links from the private `XDG_CACHE_HOME` to the person's cache folder (`personCache`: their `XDG_CACHE_HOME` or `~/.cache`). */
export function personCacheLinks(paths: CachePaths, personCache: string): CacheLink[] {
  return PERSON_CACHE_FOLDERS.map((folder) => ({ link: join(paths.private, 'xdg', folder), target: join(personCache, folder) }));
}

/** A configuration file's text and where it came from (a path), for problems. */
export interface ConfigText {
  text: string;
  from: string;
}

/** What the person's configuration says of their package registries; each list highest precedence first. */
export interface RegistryInput {
  /** npm's files: the person's user configuration, then the global one. (A tree's own `.npmrc` is the repository's: never here.) */
  npmrc: readonly ConfigText[];
  /** The person's environment. */
  env: Env;
  /** pip's files: `PIP_CONFIG_FILE`, the user's, the machine's. */
  pipConf?: readonly ConfigText[];
  /** cargo's `config.toml` in the person's `CARGO_HOME`. */
  cargoConfig?: readonly ConfigText[];
  /** Go's environment file (`go env -w` writes it). */
  goEnv?: ConfigText;
  /** maven's `settings.xml` (its mirrors and repositories). */
  mavenSettings?: readonly ConfigText[];
}

/** The registries each tool reaches when the person's configuration names none. */
export const DEFAULT_REGISTRIES: Readonly<Record<'npm' | 'python' | 'cargo' | 'goProxy' | 'goSum' | 'java', readonly string[]>> = {
  npm: ['registry.npmjs.org:443', 'registry.yarnpkg.com:443'],
  python: ['pypi.org:443', 'files.pythonhosted.org:443'],
  cargo: ['index.crates.io:443', 'static.crates.io:443'],
  goProxy: ['proxy.golang.org:443'],
  goSum: ['sum.golang.org:443'],
  java: ['repo.maven.apache.org:443', 'repo1.maven.org:443', 'plugins.gradle.org:443', 'plugins-artifacts.gradle.org:443', 'services.gradle.org:443', 'downloads.gradle.org:443'],
};

/** `${VAR}` in an npm setting, from the environment as npm does; null when a variable is unset. */
function expandVars(text: string, env: Env): string | null {
  let missing = false;
  const out = text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined) missing = true;
    return v ?? '';
  });
  return missing ? null : out;
}

/**
 * The package registries the person's own configuration names, as `host:port` targets for the
 * walls' proxy: npm's registry and every scoped one (a default registry.npmjs.org when none is
 * set), pip's index and extra indexes and uv's (pypi.org and its files when one of them uses the
 * default), cargo's registries and source replacements (crates.io's unless it is replaced), Go's
 * `GOPROXY` (`direct`, `off` and `file://` skipped) and `GOSUMDB`, maven's mirrors and
 * repositories, and maven's and gradle's public repositories. A loopback registry is a target
 * like any other. What cannot be read as a URL is in `problems`, with where it came from.
 */
export function registryTargets(input: RegistryInput): { targets: string[]; problems: string[] } {
  const targets: string[] = [];
  const problems: string[] = [];
  const env = input.env;
  const add = (t: string) => {
    if (!targets.includes(t)) targets.push(t);
  };
  const url = (text: string, where: string) => {
    const raw = text.trim().replace(/^(sparse|git|registry)\+/, '');
    if (!/^https?:\/\//i.test(raw)) {
      problems.push(`${where}: "${withoutUserinfo(text.trim())}" is not an http or https URL`);
      return;
    }
    const t = parseTarget(raw);
    if (!t) problems.push(`${where}: "${withoutUserinfo(text.trim())}" is not a URL`);
    else add(`${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`);
  };

  // npm: the registry the highest-precedence place sets; each scope's likewise.
  const npm = new Map<string, { value: string; from: string }>();
  for (const [k, v] of Object.entries(env)) {
    const m = /^npm_config_(registry|@[^:]+:registry)$/i.exec(k);
    if (m && v) npm.set(m[1]!.toLowerCase(), { value: v, from: `the environment (${k})` });
  }
  for (const file of input.npmrc) {
    let section = '';
    for (const raw of file.text.split(/\r?\n/)) {
      const line = raw.trim();
      const header = /^\[([^\]]*)\]$/.exec(line);
      if (header) section = header[1]!;
      if (section || !line || line.startsWith('#') || line.startsWith(';')) continue;
      const m = /^(registry|@[^:=\s]+:registry)\s*=\s*(.*)$/i.exec(line);
      if (m && !npm.has(m[1]!.toLowerCase())) npm.set(m[1]!.toLowerCase(), { value: m[2]!.replace(/^(["'])(.*)\1$/, '$2'), from: `${file.from} (${m[1]})` });
    }
  }
  if (!npm.has('registry')) DEFAULT_REGISTRIES.npm.forEach(add);
  for (const { value, from } of npm.values()) {
    const v = expandVars(value, env);
    if (v === null) problems.push(`${from}: "${value}" names a variable that is not set`);
    else url(v, from);
  }

  // pip: the environment, then the files; in a file `[install]` over `[global]`.
  const pip = new Map<string, { value: string; from: string }>();
  for (const name of ['index-url', 'extra-index-url', 'find-links']) {
    const variable = `PIP_${name.toUpperCase().replace(/-/g, '_')}`;
    if (env[variable]) pip.set(name, { value: env[variable]!, from: `the environment (${variable})` });
  }
  for (const file of input.pipConf ?? []) {
    const { entries } = parseIni(file.text);
    for (const section of ['install', 'global']) {
      for (const e of entries) {
        const key = iniKey(e.key);
        if (e.section === section && ['index-url', 'extra-index-url', 'find-links'].includes(key) && !pip.has(key)) pip.set(key, { value: e.value, from: `${file.from} ([${section}] ${e.key})` });
      }
    }
  }
  const noPipIndex = /^(1|true|yes|on)$/i.test(env.PIP_NO_INDEX ?? '');
  for (const [key, { value, from }] of pip) {
    if (noPipIndex && key !== 'find-links') continue;
    for (const one of value.split(/\s+/).filter(Boolean)) if (key !== 'find-links' || /^[a-z][a-z0-9+.-]*:\/\//i.test(one)) url(one, from);
  }
  const pipDefault = !noPipIndex && !pip.has('index-url');

  // uv: its own variables only (it reads none of pip's).
  let uvDefault = !/^(1|true|yes|on)$/i.test(env.UV_NO_INDEX ?? '');
  for (const variable of ['UV_DEFAULT_INDEX', 'UV_INDEX_URL', 'UV_INDEX', 'UV_EXTRA_INDEX_URL', 'UV_FIND_LINKS']) {
    const value = env[variable];
    if (!value) continue;
    if (variable === 'UV_DEFAULT_INDEX' || variable === 'UV_INDEX_URL') uvDefault = false;
    for (const one of value.split(variable === 'UV_FIND_LINKS' ? /[\s,]+/ : /\s+/).filter(Boolean)) {
      const u = one.replace(/^[A-Za-z0-9_.-]+=(?=[a-z][a-z0-9+.-]*:\/\/)/i, '');
      if (variable !== 'UV_FIND_LINKS' || /^[a-z][a-z0-9+.-]*:\/\//i.test(u)) url(u, `the environment (${variable})`);
    }
  }
  if (pipDefault || uvDefault) DEFAULT_REGISTRIES.python.forEach(add);

  // cargo: registries and source replacements; crates.io unless it is replaced.
  let cratesReplaced = false;
  for (const file of input.cargoConfig ?? []) {
    for (const { path: p, value } of cargoSettings(file.text)) {
      const name = p.join('.');
      if (p.length === 3 && p[0] === 'registries' && p[2] === 'index') url(value, `${file.from} (${name})`);
      else if (p.length === 3 && p[0] === 'source' && p[2] === 'registry') url(value, `${file.from} (${name})`);
      else if (name === 'registry.index') url(value, `${file.from} (${name})`);
      else if (name === 'source.crates-io.replace-with') cratesReplaced = true;
    }
  }
  for (const [k, v] of Object.entries(env)) if (/^CARGO_REGISTRIES_[A-Z0-9_]+_INDEX$/.test(k) && v) url(v, `the environment (${k})`);
  if (!cratesReplaced) DEFAULT_REGISTRIES.cargo.forEach(add);

  // Go: the environment over `go env -w`'s file.
  const goFile = new Map<string, string>();
  for (const raw of input.goEnv?.text.split(/\r?\n/) ?? []) {
    const m = /^\s*(GOPROXY|GOSUMDB)\s*=\s*(.*?)\s*$/.exec(raw);
    if (m) goFile.set(m[1]!, m[2]!.replace(/^(["'])(.*)\1$/, '$2'));
  }
  const goSetting = (name: string) => (env[name] !== undefined ? { value: env[name]!, from: `the environment (${name})` } : goFile.has(name) ? { value: goFile.get(name)!, from: `${input.goEnv!.from} (${name})` } : null);
  const proxy = goSetting('GOPROXY');
  if (!proxy || !proxy.value.trim()) DEFAULT_REGISTRIES.goProxy.forEach(add);
  else {
    for (const one of proxy.value.split(/[,|]/).map((s) => s.trim())) {
      if (!one || one === 'direct' || one === 'off' || /^file:/i.test(one)) continue;
      url(/^[a-z][a-z0-9+.-]*:\/\//i.test(one) ? one : `https://${one}`, proxy.from);
    }
  }
  const sumdb = goSetting('GOSUMDB');
  if (!sumdb || !sumdb.value.trim()) DEFAULT_REGISTRIES.goSum.forEach(add);
  else if (sumdb.value.trim() !== 'off') {
    const [name, where] = sumdb.value.trim().split(/\s+/);
    url(where ?? `https://${name!.split('+')[0]}`, sumdb.from);
  }

  // maven: mirrors and repositories of its settings; its and gradle's public repositories.
  for (const file of input.mavenSettings ?? []) {
    const text = file.text.replace(/<!--[\s\S]*?-->/g, '');
    for (const block of text.matchAll(/<(mirror|repository|pluginRepository)>([\s\S]*?)<\/\1>/g)) {
      const u = /<url>\s*([^<]*?)\s*<\/url>/.exec(block[2]!)?.[1];
      if (u && !u.includes('${')) url(u, `${file.from} (<${block[1]}>)`);
    }
  }
  DEFAULT_REGISTRIES.java.forEach(add);
  return { targets, problems };
}

/** The switch that lets agents reach the package registries. */
export const REGISTRIES_SWITCH = 'waves.sandbox.registries / --allow-registries';

/** The setting and flag that give agents one more writable folder. */
export const WRITE_SWITCH = 'waves.sandbox.write / --sandbox-write';

/** Whether a refused `host:port` is one of the registries (`registryTargets`); `*.example.com` entries cover subdomains. */
export function isRegistry(target: string, registries: readonly string[]): boolean {
  const t = parseTarget(target);
  if (!t) return false;
  return registries.some((r) => {
    const a = parseTarget(r);
    return !!a && a.port === t.port && (a.host === t.host || (a.host.startsWith('*.') && t.host.endsWith(a.host.slice(1))));
  });
}

/** The words beside a refused connection that is a package registry: what it is and the switch; '' for any other target. */
export function refusalAdvice(target: string, registries: readonly string[]): string {
  return isRegistry(target, registries) ? `${target} is a package registry (allow the registries: ${REGISTRIES_SWITCH})` : '';
}

/**
 * The registry note added after walls.ts's refusal text (`wallsRefusedText`) when some of the
 * refused targets are package registries; '' when none is (the refusal is said as before).
 */
export function registriesRefusedNote(targets: readonly string[], registries: readonly string[]): string {
  const found = targets.filter((t) => isRegistry(t, registries));
  if (!found.length) return '';
  if (found.length === 1) return `; ${refusalAdvice(found[0]!, registries)}`;
  return `; ${found.slice(0, 5).join(', ')} are package registries (allow the registries: ${REGISTRIES_SWITCH})`;
}

/**
 * When a failing tool's output reads like the walls' read-only files, the words to add: where
 * it met them and the setting that gives a folder. Read-only always counts (`EROFS`, "read-only
 * file system", errno 30); a permission refused (`EACCES`, "permission denied") or a folder
 * that could not be made (`ENOENT` on `mkdir`) only under `home`, the person's home folder,
 * which the walls show read-only. null when the output reads like none of these.
 */
export function readOnlyAdvice(outputTail: string, home?: string): string | null {
  const lines = outputTail.split(/\r?\n/);
  const quoted = (line: string) => /'(\/[^']*)'|"(\/[^"]*)"|`(\/[^`]*)`/.exec(line);
  const pathIn = (line: string) => {
    const q = quoted(line);
    if (q) return q[1] ?? q[2] ?? q[3]!;
    return /(\/[^\s:'"`,]+)/.exec(line)?.[1] ?? null;
  };
  const underHome = (p: string | null) => !!home && !!p && (p === home || p.startsWith(`${home.replace(/\/$/, '')}/`));
  const said = (where: string | null) => `it met the walls' read-only files${where ? ` at ${where}` : ''}: allow a folder with ${WRITE_SWITCH}`;
  const readOnly = /\bEROFS\b|read-only file system|os error 30|\[Errno 30\]/i;
  for (let i = 0; i < lines.length; i++) {
    if (!readOnly.test(lines[i]!)) continue;
    // The path is on the line, or on one just before it (cargo: "failed to create directory `…`", then "Caused by: Read-only file system").
    for (let j = i; j >= Math.max(0, i - 4); j--) {
      const p = pathIn(lines[j]!);
      if (p) return said(p);
    }
    // npm names it after: "npm error path /…".
    for (let j = i + 1; j < Math.min(lines.length, i + 4); j++) {
      const p = /\bpath\s+(\/\S+)/.exec(lines[j]!)?.[1];
      if (p) return said(p);
    }
    return said(null);
  }
  for (const line of lines) {
    if (!/\bEACCES\b|permission denied|\bENOENT\b[^\n]*\bmkdir\b|\bmkdir\b[^\n]*\bENOENT\b/i.test(line)) continue;
    const p = pathIn(line);
    if (underHome(p)) return said(p);
  }
  return null;
}

/**
 * What a failed command's output says of its walls, each as "; …", or '': the read-only files it
 * met (`readOnlyAdvice`) and a connection made past their proxy (`directConnectionAdvice`). The
 * one place for an agent's exit, a verification step and a set-up command, here and on a host.
 * `known`: what is said already — the read-only path its runner named (`readOnly`), or the
 * targets the proxy named or walls that reach no host (`proxy`: a direct connection is then not guessed).
 */
export function wallsOutputAdvice(output: string, home: string | undefined, known: { readOnly?: boolean; proxy?: boolean } = {}): string {
  const readOnly = known.readOnly ? null : readOnlyAdvice(output, home);
  const direct = known.proxy ? null : directConnectionAdvice(output);
  return `${readOnly ? `; ${readOnly}` : ''}${direct ? `; ${direct}` : ''}`;
}

/**
 * The toolchains inside an attempt's walls, read from the disk as the walls are drawn:
 * the shared and private caches made, the person's npm, pip, cargo and maven settings written for
 * the agent without their credentials, and the package registries the person's configuration
 * names. What is decided is pure (core/walls/toolchains.ts). Node built-ins, src/core and
 * src/store only (bundled into dist/runner.js).
 */
import fs from 'node:fs';
import path from 'node:path';
import { gradleProperties, personCacheLinks, registryTargets, toolchainEnv, toolchainLinks, type CachePaths, type ConfigText, type ToolchainTree } from '../../core/walls/toolchains.js';
import { sanitizeCargoConfig, sanitizeNpmrc, sanitizePipConf } from '../../core/walls/toolchainConfigs.js';
import { EMPTY_MAVEN_SETTINGS, mavenrcSecrets, mavenSettingsFiles, sanitizeMavenSettings } from '../../core/walls/mavenSettings.js';
import { accountHomeOf, expandHome, kindOf, readTextOrNull } from './wallsDisk.js';
import { fileInTree, layerOf } from '../../store/treeLayers.js';

/** What an attempt's toolchains are set up from. */
export interface ToolchainRequest {
  /** The person's home folder. */
  home: string;
  /** The person's environment (the agent's before the walls add theirs). */
  env: Readonly<Record<string, string | undefined>>;
  worktree: string;
  /** The attempt folder: its `cache/` is the attempt's private cache, and the settings written for the agent go there. */
  attemptDir: string;
  /**
   * The attempt's private cache (tool homes, build caches; links into the shared one); default
   * `<attemptDir>/cache`. The walls put it in the tree's git folder: the engine's run files are
   * never links, and a retry in the same tree keeps its build caches.
   */
  privateDir?: string;
  /** The shared cache the person chose (absolute, or `~/…`); absent: `$XDG_CACHE_HOME` or `~/.cache`, then `wave-orchestrator/agents`. */
  cacheDir?: string;
  /** The person allowed the package registries (`waves.sandbox.registries` / `--allow-registries`). */
  registries: boolean;
  /** The account's home folder (its passwd entry: the JVM's `user.home`); default `os.userInfo().homedir`. */
  accountHome?: string;
  /** The port of the walls' proxy on the loopback (Seatbelt's walls: the attempt's own); default `PROXY_PORT`, the relay's inside bubblewrap. */
  proxyPort?: number;
}

/** What the walls add for the toolchains. */
export interface ToolchainWalls {
  /** Variables set inside the walls. */
  env: Record<string, string>;
  /** Folders the agent may write: the shared cache and the attempt's private one (a verification command's attempt folder is read-only). */
  write: string[];
  /** The shared cache as made (the attempt's own `shared/` when the agents' one could not be), and the attempt's private one. */
  shared: string;
  private: string;
  /** The registry targets the proxy lets through: `registries` when the person allowed them, else none. */
  allow: string[];
  /** Every registry the person's configuration names, allowed or not: a refusal of one is said as a registry's (`registriesRefusedNote`). */
  registries: string[];
  /** The person's configuration files the agent gets a sanitized copy of instead, where they are not among the walls' default secrets (`npm_config_userconfig` elsewhere, `PIP_CONFIG_FILE`, a `CARGO_HOME` of their own); a `~/.mavenrc` that sets a credential. */
  hidden: string[];
  /** The person's files the walls show a sanitized copy in place of (maven's `settings.xml`, wherever maven may read it). */
  replaced: { path: string; with: string }[];
  /** What the agent's log says first: a settings file shown empty, a `~/.mavenrc` hidden, and why (never a value). */
  notes: string[];
  /** Unreadable registry settings, a cache that could not be made; by name, never a value. */
  problems: string[];
}

/** The shared cache's folder under the person's cache folder. */
export const SHARED_CACHE_FOLDER = path.join('wave-orchestrator', 'agents');

function readConfig(p: string): ConfigText | null {
  const text = readTextOrNull(p);
  return text === null ? null : { text, from: p };
}

/** The first of the variable's spellings set (npm reads its variables whatever their case). */
function anyCase(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(env)) if (k.toLowerCase() === lower && v) return v;
  return undefined;
}

/** The package manager a tree declares in its package.json (`packageManager: "pnpm@9.1.0"`); '' when none. */
function packageManager(worktree: string): string {
  try {
    const pm = (JSON.parse(fs.readFileSync(fileInTree(worktree, 'package.json') ?? '', 'utf8')) as { packageManager?: unknown }).packageManager;
    return typeof pm === 'string' ? pm : '';
  } catch {
    // no package.json, or not JSON: no package manager declared
    return '';
  }
}

/** What the tree says of its package managers: a yarn 2+ project (`.yarnrc.yml`, `yarn@2…` and later), a pnpm one (its lockfile or workspace file, `pnpm@…`). */
function treeOf(worktree: string): ToolchainTree {
  const pm = packageManager(worktree);
  const layer = layerOf(worktree);
  const has = (name: string) => fs.existsSync(fileInTree(worktree, name, layer) ?? '');
  return { yarnBerry: has('.yarnrc.yml') || /^yarn@([2-9]|\d{2,})\./.test(pm), pnpm: has('pnpm-lock.yaml') || has('pnpm-workspace.yaml') || pm.startsWith('pnpm@') };
}

/** The error's code, or the error. */
const codeOf = (e: unknown) => (e as NodeJS.ErrnoException).code ?? String(e);

/**
 * Each folder from `anchor` (which the walls made, and no agent can replace) down to `dir` made a
 * real folder: a link or a file an agent left in its place — the attempt folder and the private
 * cache are the agent's to write — is removed, never followed, so that what the walls write or
 * remove there for the next attempt or verification step cannot land in the person's files. A
 * problem when it cannot be.
 */
function ownFolder(anchor: string, dir: string): string | null {
  const rel = path.relative(anchor, dir);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return `${dir} is not inside ${anchor}`;
  let d = anchor;
  try {
    fs.mkdirSync(anchor, { recursive: true, mode: 0o700 });
    for (const part of rel.split(path.sep).filter(Boolean)) {
      d = path.join(d, part);
      const st = fs.lstatSync(d, { throwIfNoEntry: false });
      if (st && !st.isDirectory()) fs.unlinkSync(d);
      if (!st || !st.isDirectory()) fs.mkdirSync(d, { mode: 0o700 });
    }
    return null;
  } catch (e) {
    return `${d} could not be made a folder (${codeOf(e)})`;
  }
}

/** `text` written to a new file at `file` (mode 0600) for the agent, inside `anchor`'s own folders (`ownFolder`), whatever was there removed first, never written through; a problem when it cannot be. */
function writeForAgent(anchor: string, file: string, text: string, what: string): string | null {
  const folder = ownFolder(anchor, path.dirname(file));
  try {
    if (folder) throw new Error(folder);
    fs.rmSync(file, { recursive: true, force: true });
    fs.writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
    return null;
  } catch (e) {
    return `${what} could not be written to ${file} (${codeOf(e)})`;
  }
}

/** A link at `link` (inside `anchor`'s own folders, `ownFolder`) to `target` (`makeTarget`: that folder made too), replacing what was there; a problem when it cannot be made. */
function makeLink(anchor: string, link: string, target: string, makeTarget: boolean): string | null {
  try {
    if (makeTarget) fs.mkdirSync(target, { recursive: true, mode: 0o700 });
    const folder = ownFolder(anchor, path.dirname(link));
    if (folder) throw new Error(folder);
    let there: string | null = null;
    try {
      there = fs.readlinkSync(link);
    } catch {
      // not a link yet
    }
    if (there !== target) {
      fs.rmSync(link, { recursive: true, force: true });
      fs.symlinkSync(target, link);
    }
    return null;
  } catch (e) {
    return `the link ${link} to ${target} could not be made (${codeOf(e)})`;
  }
}

/**
 * The toolchains of one attempt: its caches made (the shared one mode 0700), the links from its
 * private tool homes into the shared download caches, the person's `.npmrc` written to
 * `<attemptDir>/npmrc` without its tokens (`npm_config_userconfig`: the real one stays hidden),
 * their pip configuration to `<attemptDir>/pip.conf` likewise (`PIP_CONFIG_FILE`), their cargo
 * `config.toml` into the attempt's `CARGO_HOME` likewise (never `credentials.toml`), each
 * maven `settings.xml` maven may read as theirs to `<attemptDir>/m2-settings*.xml` likewise,
 * shown in its place (`replaced`), and the registries their configuration names. What the walls
 * write goes through no link an agent left in its folders (`ownFolder`). A shared cache that
 * cannot be made is a problem, and the attempt's caches are all private then: the tools still
 * work, each downloading again.
 */
export function toolchainWalls(input: ToolchainRequest): ToolchainWalls {
  const { home, env } = input;
  const problems: string[] = [];
  const hidden: string[] = [];
  const notes: string[] = [];
  const expand = (p: string) => expandHome(p, home);
  const personCache = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, '.cache');
  const own = input.privateDir ?? path.join(input.attemptDir, 'cache');
  // The private cache's folder (the tree's git folder, or the attempt folder) is the walls'; what is in it, the agent's.
  const ownAnchor = path.dirname(own);
  const ownProblem = ownFolder(ownAnchor, own);
  if (ownProblem) problems.push(`the attempt's cache ${own} could not be made (${ownProblem})`);
  let shared = input.cacheDir ? expand(input.cacheDir) : path.join(personCache, SHARED_CACHE_FOLDER);
  try {
    fs.mkdirSync(shared, { recursive: true, mode: 0o700 });
    fs.accessSync(shared, fs.constants.W_OK);
  } catch (e) {
    problems.push(`the agents' shared cache ${shared} could not be made (${codeOf(e)}): each agent downloads its dependencies again`);
    shared = path.join(own, 'shared');
    // The attempt's cache could not be made either: said above.
    ownFolder(ownAnchor, shared);
  }
  const paths: CachePaths = { shared, private: own };
  const out = toolchainEnv(paths, env, treeOf(input.worktree), input.proxyPort);

  // The download parts of the tools' private homes, shared; what tools read from the person's ~/.cache, where it is.
  const personLinks = personCacheLinks(paths, personCache).filter((l) => kindOf(l.target) === 'dir');
  for (const { link, target } of [...toolchainLinks(paths), ...personLinks]) {
    const problem = makeLink(ownAnchor, link, target, !personLinks.some((l) => l.link === link));
    if (problem) problems.push(problem);
  }

  // npm: the person's settings without their tokens.
  const userconfig = anyCase(env, 'npm_config_userconfig');
  const npmrcPath = userconfig ? expand(userconfig) : path.join(home, '.npmrc');
  if (userconfig) hidden.push(npmrcPath);
  const npmrc = readConfig(npmrcPath);
  const globalNpmrc = readConfig(anyCase(env, 'npm_config_globalconfig') ?? path.join(anyCase(env, 'npm_config_prefix') ?? path.dirname(path.dirname(process.execPath)), 'etc', 'npmrc'));
  const written = path.join(input.attemptDir, 'npmrc');
  const npmProblem = writeForAgent(input.attemptDir, written, sanitizeNpmrc(npmrc?.text ?? '').text, "the agent's npm settings");
  if (npmProblem) problems.push(npmProblem);
  else {
    out.npm_config_userconfig = written;
    for (const k of Object.keys(env)) if (k !== 'npm_config_userconfig' && k.toLowerCase() === 'npm_config_userconfig') out[k] = written;
  }

  // pip: the person's own files (not the machine's, which pip reads itself) as one, without credentials.
  const configHome = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  const pipEnvFile = env.PIP_CONFIG_FILE && env.PIP_CONFIG_FILE !== '/dev/null' ? expand(env.PIP_CONFIG_FILE) : null;
  const pipUser = [...(pipEnvFile ? [pipEnvFile] : []), path.join(configHome, 'pip', 'pip.conf'), path.join(home, '.pip', 'pip.conf')];
  const pipFiles = env.PIP_CONFIG_FILE === '/dev/null' ? [] : [...pipUser, '/etc/xdg/pip/pip.conf', '/etc/pip.conf'].map(readConfig).filter((c): c is ConfigText => c !== null);
  const pipOwn = pipFiles.filter((c) => pipUser.includes(c.from));
  if (pipOwn.length) {
    const pipWritten = path.join(input.attemptDir, 'pip.conf');
    // Hidden whether the copy could be written or not.
    hidden.push(...pipOwn.map((c) => c.from).filter((p) => p !== path.join(home, '.config', 'pip', 'pip.conf') && p !== path.join(home, '.pip', 'pip.conf')));
    const pipProblem = writeForAgent(input.attemptDir, pipWritten, sanitizePipConf(pipOwn.map((c) => c.text)).text, "the agent's pip settings");
    if (pipProblem) problems.push(pipProblem);
    else out.PIP_CONFIG_FILE = pipWritten;
  }

  // cargo: the person's configuration in the attempt's CARGO_HOME, without credentials.
  const cargoHome = env.CARGO_HOME && path.isAbsolute(env.CARGO_HOME) ? env.CARGO_HOME : path.join(home, '.cargo');
  if (cargoHome !== path.join(home, '.cargo')) hidden.push(path.join(cargoHome, 'credentials.toml'), path.join(cargoHome, 'credentials'));
  const cargoConfig = readConfig(path.join(cargoHome, 'config.toml')) ?? readConfig(path.join(cargoHome, 'config'));
  if (cargoConfig) {
    const cargoProblem = writeForAgent(ownAnchor, path.join(out.CARGO_HOME!, 'config.toml'), sanitizeCargoConfig(cargoConfig.text).text, "the agent's cargo settings");
    if (cargoProblem) problems.push(cargoProblem);
  }

  // gradle: the walls' proxy in the private GRADLE_USER_HOME's gradle.properties (its wrapper, client and daemon read it; no HTTPS_PROXY).
  const gradleProblem = writeForAgent(ownAnchor, path.join(out.GRADLE_USER_HOME!, 'gradle.properties'), gradleProperties(input.proxyPort), "gradle's proxy settings");
  if (gradleProblem) problems.push(gradleProblem);

  // maven: each settings.xml it may read as the person's (the JVM's user.home is the account's, not $HOME) shown as a copy without credentials.
  const maven = mavenWalls(input, home);
  hidden.push(...maven.hidden);
  notes.push(...maven.notes);
  problems.push(...maven.notes, ...maven.problems);

  const goEnvPath = env.GOENV && env.GOENV !== 'off' ? expand(env.GOENV) : path.join(configHome, 'go', 'env');
  const found = registryTargets({
    npmrc: [npmrc, globalNpmrc].filter((c): c is ConfigText => c !== null),
    env,
    pipConf: pipFiles,
    cargoConfig: cargoConfig ? [cargoConfig] : [],
    goEnv: env.GOENV === 'off' ? undefined : (readConfig(goEnvPath) ?? undefined),
    mavenSettings: maven.settings,
  });
  problems.push(...found.problems);
  return {
    env: out,
    write: [shared, ...(ownProblem ? [] : [own])],
    shared,
    private: own,
    allow: input.registries ? found.targets : [],
    registries: found.targets,
    hidden: [...new Set(hidden)],
    replaced: maven.replaced,
    notes,
    problems,
  };
}

/** A path's real path, or the path when it has none. */
function realOr(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    // nothing there to resolve: the path as written
    return p;
  }
}

/**
 * The person's maven settings inside the walls: each `settings.xml` maven may read as theirs
 * (`mavenSettingsFiles`) written without credentials to `<attemptDir>/m2-settings*.xml` and shown
 * in its place, at its real path (`replaced`: a link to it leads there); one that cannot be read safely shown
 * as an empty settings file, said in `notes`; one whose copy cannot be written hidden. A
 * `~/.mavenrc`, the account's one (where `$HOME` is elsewhere) or `/etc/mavenrc` (which `mvn`
 * sources) that sets a credential is hidden, said in `notes`. The global settings (`maven.home`:
 * the `mvn` on the agents' PATH) as the person's. `settings`: the originals, for the registries they name.
 */
function mavenWalls(input: ToolchainRequest, home: string): { replaced: { path: string; with: string }[]; hidden: string[]; notes: string[]; problems: string[]; settings: ConfigText[] } {
  const out = { replaced: [] as { path: string; with: string }[], hidden: [] as string[], notes: [] as string[], problems: [] as string[], settings: [] as ConfigText[] };
  const accountHome = input.accountHome ?? accountHomeOf();
  const rcTexts: string[] = [];
  for (const rcPath of new Set(['/usr/local/etc/mavenrc', '/etc/mavenrc', path.join(home, '.mavenrc'), ...(accountHome ? [path.join(accountHome, '.mavenrc')] : [])])) {
    const text = readTextOrNull(rcPath);
    if (text === null) continue;
    rcTexts.push(text);
    const secrets = mavenrcSecrets(text);
    if (!secrets.length) continue;
    out.hidden.push(realOr(rcPath));
    out.notes.push(`${rcPath} sets ${secrets.join(', ')}: it is hidden inside the walls (maven starts there without it)`);
  }
  const mavenrc = rcTexts.length ? rcTexts.join('\n') : null;
  const mvn = (input.env.PATH ?? '').split(path.delimiter).filter(path.isAbsolute).map((d) => path.join(d, 'mvn')).find((f) => kindOf(f) === 'file');
  const mavenHome = mvn ? path.dirname(path.dirname(realOr(mvn))) : undefined;
  const files = mavenSettingsFiles({ home, accountHome, env: input.env, ...(mavenrc !== null ? { mavenrc } : {}), ...(mavenHome ? { mavenHome } : {}) });
  // One copy per file, at its real path (which covers every link to it: bubblewrap cannot mount over a link whose target is absolute).
  const sources = new Set<string>();
  for (const file of files) {
    if (kindOf(file) !== 'file') continue;
    const source = realOr(file);
    if (sources.has(source)) continue;
    sources.add(source);
    const text = readTextOrNull(source);
    if (text !== null) out.settings.push({ text, from: file });
    const copy = text === null ? { text: null, why: 'it could not be read' } : sanitizeMavenSettings(text);
    if (copy.text === null) out.notes.push(`${file} could not be read safely (${copy.why}): maven inside the walls reads an empty settings file in its place`);
    const to = path.join(input.attemptDir, `m2-settings${sources.size > 1 ? `-${sources.size}` : ''}.xml`);
    const problem = writeForAgent(input.attemptDir, to, copy.text ?? EMPTY_MAVEN_SETTINGS, "the agent's maven settings");
    if (problem) {
      out.problems.push(problem);
      out.hidden.push(source);
    } else out.replaced.push({ path: source, with: to });
  }
  return out;
}

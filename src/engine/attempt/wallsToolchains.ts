/**
 * The toolchains inside an attempt's walls (#50), read from the disk as the walls are drawn:
 * the shared and private caches made, the person's npm, pip and cargo settings written for the
 * agent without their credentials, and the package registries the person's configuration
 * names. What is decided is pure (core/walls/toolchains.ts). Node built-ins, src/core and
 * src/store only (bundled into dist/runner.js).
 */
import fs from 'node:fs';
import path from 'node:path';
import { personCacheLinks, registryTargets, toolchainEnv, toolchainLinks, type CachePaths, type ConfigText, type ToolchainTree } from '../../core/walls/toolchains.js';
import { sanitizeCargoConfig, sanitizeNpmrc, sanitizePipConf } from '../../core/walls/toolchainConfigs.js';

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
  /** The person's configuration files the agent gets a sanitized copy of instead, where they are not among the walls' default secrets (`npm_config_userconfig` elsewhere, `PIP_CONFIG_FILE`, a `CARGO_HOME` of their own). */
  hidden: string[];
  /** Unreadable registry settings, a cache that could not be made; by name, never a value. */
  problems: string[];
}

/** The shared cache's folder under the person's cache folder. */
export const SHARED_CACHE_FOLDER = path.join('wave-orchestrator', 'agents');

function readConfig(p: string): ConfigText | null {
  try {
    return { text: fs.readFileSync(p, 'utf8'), from: p };
  } catch {
    return null;
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
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
    const pm = (JSON.parse(fs.readFileSync(path.join(worktree, 'package.json'), 'utf8')) as { packageManager?: unknown }).packageManager;
    return typeof pm === 'string' ? pm : '';
  } catch {
    return '';
  }
}

/** What the tree says of its package managers: a yarn 2+ project (`.yarnrc.yml`, `yarn@2…` and later), a pnpm one (its lockfile or workspace file, `pnpm@…`). */
function treeOf(worktree: string): ToolchainTree {
  const pm = packageManager(worktree);
  const has = (name: string) => fs.existsSync(path.join(worktree, name));
  return { yarnBerry: has('.yarnrc.yml') || /^yarn@([2-9]|\d{2,})\./.test(pm), pnpm: has('pnpm-lock.yaml') || has('pnpm-workspace.yaml') || pm.startsWith('pnpm@') };
}

/** A link at `link` to `target` (made with its parents; `makeTarget`: the target folder too), replacing what was there; a problem when it cannot be made. */
function makeLink(link: string, target: string, makeTarget: boolean): string | null {
  try {
    if (makeTarget) fs.mkdirSync(target, { recursive: true, mode: 0o700 });
    fs.mkdirSync(path.dirname(link), { recursive: true, mode: 0o700 });
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
    return `the link ${link} to ${target} could not be made (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
}

/**
 * The toolchains of one attempt: its caches made (the shared one mode 0700), the links from its
 * private tool homes into the shared download caches, the person's `.npmrc` written to
 * `<attemptDir>/npmrc` without its tokens (`npm_config_userconfig`: the real one stays hidden),
 * their pip configuration to `<attemptDir>/pip.conf` likewise (`PIP_CONFIG_FILE`), their cargo
 * `config.toml` into the attempt's `CARGO_HOME` likewise (never `credentials.toml`), and the
 * registries their configuration names. A shared cache that cannot be made is a problem, and
 * the attempt's caches are all private then: the tools still work, each downloading again.
 */
export function toolchainWalls(input: ToolchainRequest): ToolchainWalls {
  const { home, env } = input;
  const problems: string[] = [];
  const hidden: string[] = [];
  const expand = (p: string) => (p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : path.resolve(p));
  const personCache = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, '.cache');
  const own = input.privateDir ?? path.join(input.attemptDir, 'cache');
  let shared = input.cacheDir ? expand(input.cacheDir) : path.join(personCache, SHARED_CACHE_FOLDER);
  try {
    fs.mkdirSync(own, { recursive: true, mode: 0o700 });
  } catch (e) {
    problems.push(`the attempt's cache ${own} could not be made (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    fs.mkdirSync(shared, { recursive: true, mode: 0o700 });
    fs.accessSync(shared, fs.constants.W_OK);
  } catch (e) {
    problems.push(`the agents' shared cache ${shared} could not be made (${(e as NodeJS.ErrnoException).code ?? String(e)}): each agent downloads its dependencies again`);
    shared = path.join(own, 'shared');
    try {
      fs.mkdirSync(shared, { recursive: true, mode: 0o700 });
    } catch {
      // the attempt's cache could not be made either: said above
    }
  }
  const paths: CachePaths = { shared, private: own };
  const out = toolchainEnv(paths, env, treeOf(input.worktree));

  // The download parts of the tools' private homes, shared; what tools read from the person's ~/.cache, where it is.
  const personLinks = personCacheLinks(paths, personCache).filter((l) => isDir(l.target));
  for (const { link, target } of [...toolchainLinks(paths), ...personLinks]) {
    const problem = makeLink(link, target, !personLinks.some((l) => l.link === link));
    if (problem) problems.push(problem);
  }

  // npm: the person's settings without their tokens.
  const userconfig = anyCase(env, 'npm_config_userconfig');
  const npmrcPath = userconfig ? expand(userconfig) : path.join(home, '.npmrc');
  if (userconfig) hidden.push(npmrcPath);
  const npmrc = readConfig(npmrcPath);
  const globalNpmrc = readConfig(anyCase(env, 'npm_config_globalconfig') ?? path.join(anyCase(env, 'npm_config_prefix') ?? path.dirname(path.dirname(process.execPath)), 'etc', 'npmrc'));
  const written = path.join(input.attemptDir, 'npmrc');
  try {
    fs.writeFileSync(written, sanitizeNpmrc(npmrc?.text ?? '').text, { mode: 0o600 });
    out.npm_config_userconfig = written;
    for (const k of Object.keys(env)) if (k !== 'npm_config_userconfig' && k.toLowerCase() === 'npm_config_userconfig') out[k] = written;
  } catch (e) {
    problems.push(`the agent's npm settings could not be written to ${written} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }

  // pip: the person's own files (not the machine's, which pip reads itself) as one, without credentials.
  const configHome = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  const pipEnvFile = env.PIP_CONFIG_FILE && env.PIP_CONFIG_FILE !== '/dev/null' ? expand(env.PIP_CONFIG_FILE) : null;
  const pipUser = [...(pipEnvFile ? [pipEnvFile] : []), path.join(configHome, 'pip', 'pip.conf'), path.join(home, '.pip', 'pip.conf')];
  const pipFiles = env.PIP_CONFIG_FILE === '/dev/null' ? [] : [...pipUser, '/etc/xdg/pip/pip.conf', '/etc/pip.conf'].map(readConfig).filter((c): c is ConfigText => c !== null);
  const pipOwn = pipFiles.filter((c) => pipUser.includes(c.from));
  if (pipOwn.length) {
    const pipWritten = path.join(input.attemptDir, 'pip.conf');
    try {
      fs.writeFileSync(pipWritten, sanitizePipConf(pipOwn.map((c) => c.text)).text, { mode: 0o600 });
      out.PIP_CONFIG_FILE = pipWritten;
      hidden.push(...pipOwn.map((c) => c.from).filter((p) => p !== path.join(home, '.config', 'pip', 'pip.conf') && p !== path.join(home, '.pip', 'pip.conf')));
    } catch (e) {
      problems.push(`the agent's pip settings could not be written to ${pipWritten} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }

  // cargo: the person's configuration in the attempt's CARGO_HOME, without credentials.
  const cargoHome = env.CARGO_HOME && path.isAbsolute(env.CARGO_HOME) ? env.CARGO_HOME : path.join(home, '.cargo');
  if (cargoHome !== path.join(home, '.cargo')) hidden.push(path.join(cargoHome, 'credentials.toml'), path.join(cargoHome, 'credentials'));
  const cargoConfig = readConfig(path.join(cargoHome, 'config.toml')) ?? readConfig(path.join(cargoHome, 'config'));
  if (cargoConfig) {
    const target = path.join(out.CARGO_HOME!, 'config.toml');
    try {
      fs.mkdirSync(out.CARGO_HOME!, { recursive: true, mode: 0o700 });
      fs.writeFileSync(target, sanitizeCargoConfig(cargoConfig.text).text, { mode: 0o600 });
    } catch (e) {
      problems.push(`the agent's cargo settings could not be written to ${target} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }

  const goEnvPath = env.GOENV && env.GOENV !== 'off' ? expand(env.GOENV) : path.join(configHome, 'go', 'env');
  const found = registryTargets({
    npmrc: [npmrc, globalNpmrc].filter((c): c is ConfigText => c !== null),
    env,
    pipConf: pipFiles,
    cargoConfig: cargoConfig ? [cargoConfig] : [],
    goEnv: env.GOENV === 'off' ? undefined : (readConfig(goEnvPath) ?? undefined),
    mavenSettings: [readConfig(path.join(home, '.m2', 'settings.xml'))].filter((c): c is ConfigText => c !== null),
  });
  problems.push(...found.problems);
  return { env: out, write: [shared, own], shared, private: own, allow: input.registries ? found.targets : [], registries: found.targets, hidden: [...new Set(hidden)], problems };
}

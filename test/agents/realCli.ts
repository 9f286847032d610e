/**
 * The real agent CLIs as the `agents` suite runs them (docs/agents-testing.md): installed by
 * scripts/agent-clis.sh, each pointed at the scripted model server (test/fixtures/modelServer)
 * on 127.0.0.1 through its own provider settings, with a fresh HOME per test, telemetry,
 * update checks and auto-updaters off, and the server set as every HTTP(S) proxy so that any
 * reach beyond 127.0.0.1 is recorded (and refused) instead of leaving the machine.
 *
 * `waves run --agent <preset>` is the built bin in a real process; the presets are those of
 * src/core/agents/agentProfiles.ts as shipped.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { planYaml, type TestPackage } from '../engine/engineFixtures';
import { git, gitEnv, makeRepo, REPO_ROOT, tempDir } from '../engine/helpers';
import { after, before } from 'node:test';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';

export const PRESETS = ['claude-code', 'codex', 'gemini', 'copilot'] as const;
export type Preset = (typeof PRESETS)[number];

export const WAVES_BIN = path.join(REPO_ROOT, 'bin', 'waves.js');

export interface AgentClis {
  /** The folder with claude, codex, gemini and copilot. */
  bin: string;
  versions: Record<string, string>;
}

let clis: AgentClis | null = null;

/**
 * The installed CLIs: from the environment scripts/test.mjs passes, else by running the
 * installer (cached; about 15 s the first time). Throws — the suite fails, never skips — when
 * they cannot be had.
 */
export function agentClis(): AgentClis {
  if (clis) return clis;
  let env: Record<string, string> = {};
  if (process.env.WAVES_AGENT_CLIS_BIN) env = { ...(process.env as Record<string, string>) };
  else {
    const r = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'agent-clis.sh'), '--env'], { encoding: 'utf8', timeout: 30 * 60_000 });
    if (r.status !== 0) throw new Error(`scripts/agent-clis.sh could not install the agent CLIs (exit ${r.status ?? r.signal}):\n${r.stderr}`);
    for (const line of r.stdout.split('\n')) {
      const m = /^(WAVES_[A-Z0-9_]+)=(.*)$/.exec(line);
      if (m) env[m[1]!] = m[2]!;
    }
  }
  const bin = env.WAVES_AGENT_CLIS_BIN;
  if (!bin) throw new Error('scripts/agent-clis.sh printed no WAVES_AGENT_CLIS_BIN');
  for (const exe of ['claude', 'codex', 'gemini', 'copilot']) {
    if (!fs.existsSync(path.join(bin, exe))) throw new Error(`the agent CLI "${exe}" is missing from ${bin}: run bash scripts/agent-clis.sh`);
  }
  clis = {
    bin,
    versions: {
      'claude-code': env.WAVES_CLAUDE_CODE_VERSION ?? '?',
      codex: env.WAVES_CODEX_VERSION ?? '?',
      gemini: env.WAVES_GEMINI_CLI_VERSION ?? '?',
      copilot: env.WAVES_COPILOT_VERSION ?? '?',
    },
  };
  return clis;
}

/** Builds dist/ (bin/waves.js needs dist/cli.js and dist/runner.js) once per test process. */
let built = false;
export function buildOnce(): void {
  if (built) return;
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'esbuild.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`esbuild.mjs failed:\n${r.stderr}`);
  built = true;
}

/** The dummy key every CLI is given: the tests assert it is what reached the server (no real credential is read). */
export const TEST_KEY = 'waves-test-key-not-a-real-one';

/** Variables of the person running the tests that would point a CLI at a real account or config. */
const CREDENTIALS =
  /^(ANTHROPIC_|CLAUDE_|OPENAI_|CODEX_|GEMINI_|GOOGLE_|COPILOT_|GH_|GITHUB_|XDG_|AWS_|AZURE_|VERTEX|CLOUD_ML|HTTPS?_PROXY$|https?_proxy$|ALL_PROXY$|all_proxy$|NO_PROXY$|no_proxy$)/;

export interface AgentEnvOptions {
  /** Claude Code: act as a subscriber (a dummy OAuth token instead of an API key), so a plan's usage limit reads as one. */
  subscription?: boolean;
  /**
   * Codex's two documented set-ups, both in `~/.codex/config.toml`: `provider` (the default) — a
   * provider of its own (`model_providers.<id>.base_url`, its key in the variable `env_key`
   * names); `openai-base-url` — its built-in OpenAI provider pointed at the server by
   * `openai_base_url` (the key that replaced the `OPENAI_BASE_URL` variable, which Codex 0.169
   * no longer reads), the key in `CODEX_API_KEY`.
   */
  codex?: 'provider' | 'openai-base-url';
}

/**
 * The person's cache folder of this test process (`XDG_CACHE_HOME`): every test's fresh home
 * shares it, as one person's runs share their `~/.cache` — and in it the agents' shared cache,
 * where Copilot's package is unpacked once for the whole file, not once per test.
 */
let cacheHome: string | null = null;
function personCache(): string {
  cacheHome ??= path.join(tempDir('waves-agents-cache-'), 'cache');
  fs.mkdirSync(cacheHome, { recursive: true });
  return cacheHome;
}

/**
 * The environment of `waves run` (and so of the runner and the agent) for one preset against
 * `server`, with `home` as HOME — a fresh one, set up only as each vendor's documentation says:
 * its variables and its own files under `home`, nothing the walls need (the walls let each CLI
 * reach the server its base-URL variable or its config.toml names, and make its own folders).
 */
export function agentEnv(preset: Preset, server: ModelServer, home: string, options: AgentEnvOptions = {}): NodeJS.ProcessEnv {
  const { bin } = agentClis();
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(gitEnv(home))) if (!CREDENTIALS.test(k)) base[k] = v;
  const tmp = path.join(home, 'tmp');
  fs.mkdirSync(tmp, { recursive: true });
  Object.assign(base, {
    HOME: home,
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
    TMPDIR: tmp,
    XDG_CACHE_HOME: personCache(),
    NO_COLOR: '1',
    // Any client that honours the proxy variables asks the model server, which records and refuses it.
    HTTP_PROXY: server.url,
    HTTPS_PROXY: server.url,
    http_proxy: server.url,
    https_proxy: server.url,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
  });
  switch (preset) {
    case 'claude-code':
      return {
        ...base,
        ANTHROPIC_BASE_URL: server.url,
        ...(options.subscription ? { CLAUDE_CODE_OAUTH_TOKEN: `sk-ant-oat01-${TEST_KEY}` } : { ANTHROPIC_API_KEY: TEST_KEY }),
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_TELEMETRY: '1',
        DISABLE_ERROR_REPORTING: '1',
        DISABLE_AUTOUPDATER: '1',
        // its own retries of 429/529 (default 10, with back-off): two keep a retry test short
        CLAUDE_CODE_MAX_RETRIES: '2',
      };
    case 'codex': {
      const codexHome = path.join(home, '.codex');
      fs.mkdirSync(codexHome, { recursive: true });
      const provider = options.codex !== 'openai-base-url';
      fs.writeFileSync(
        path.join(codexHome, 'config.toml'),
        [
          'model = "gpt-5.6"',
          provider ? 'model_provider = "waves-test"' : `openai_base_url = "${server.url}/v1"`,
          'check_for_update_on_startup = false',
          '',
          ...(provider
            ? [
                '[model_providers.waves-test]',
                'name = "Waves scripted model server"',
                `base_url = "${server.url}/v1"`,
                'env_key = "WAVES_TEST_MODEL_KEY"',
                'wire_api = "responses"',
                'request_max_retries = 2',
                'stream_max_retries = 1',
                '',
              ]
            : []),
          '[analytics]',
          'enabled = false',
          '',
          '[feedback]',
          'enabled = false',
          '',
          // without these three it looks up api.github.com and chatgpt.com (plugins, apps) at start
          '[features]',
          'apps = false',
          'plugins = false',
          'remote_plugin = false',
          '',
        ].join('\n'),
      );
      return provider ? { ...base, WAVES_TEST_MODEL_KEY: TEST_KEY } : { ...base, CODEX_API_KEY: TEST_KEY };
    }
    case 'gemini': {
      const dir = path.join(home, '.gemini');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'settings.json'),
        JSON.stringify(
          {
            general: { enableAutoUpdate: false, enableAutoUpdateNotification: false, maxAttempts: 3 },
            privacy: { usageStatisticsEnabled: false },
            telemetry: { enabled: false },
            security: { auth: { selectedType: 'gemini-api-key' } },
          },
          null,
          2,
        ),
      );
      return { ...base, GOOGLE_GEMINI_BASE_URL: server.url, GEMINI_API_KEY: TEST_KEY };
    }
    case 'copilot':
      return {
        ...base,
        COPILOT_OFFLINE: 'true',
        COPILOT_PROVIDER_TYPE: 'anthropic',
        COPILOT_PROVIDER_BASE_URL: server.url,
        COPILOT_PROVIDER_API_KEY: TEST_KEY,
        COPILOT_MODEL: 'claude-sonnet-4.5',
        COPILOT_AUTO_UPDATE: 'false',
      };
  }
}

/** The API key or token a recorded request carried (the header each API uses). */
export function keyOf(headers: Record<string, string | string[] | undefined>): string {
  const v = headers['x-api-key'] ?? headers['x-goog-api-key'] ?? headers.authorization ?? '';
  return String(Array.isArray(v) ? v[0] : v).replace(/^Bearer\s+/i, '');
}

export interface WavesResult {
  code: number | null;
  out: string;
  err: string;
}

/**
 * `waves …` as a real process, awaited without blocking this process's event loop (the model
 * server answers from it). The run has its own time limit: the runner's watchdog (the plan's
 * timeout_minutes) stops a hanging agent, and this kills `waves` itself after `timeoutMs`.
 */
export function waves(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<WavesResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WAVES_BIN, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      err += `\n[test] waves ${args[0]} ran longer than ${(options.timeoutMs ?? 300_000) / 1000} s: killed`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 300_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

export interface Workspace {
  /** HOME of the CLIs (and of git) for this test. */
  home: string;
  repo: string;
  plan: string;
}

/** A repository on `main` with a plan of `packages` committed, and a fresh HOME beside it. */
export function workspace(feature: string, packages: readonly TestPackage[]): Workspace {
  const repo = makeRepo({ 'README.md': '# test\n', 'work-packages.yaml': planYaml(feature, packages) });
  const home = path.join(tempDir('waves-agents-home-'), 'home');
  fs.mkdirSync(home);
  return { home, repo, plan: path.join(repo, 'work-packages.yaml') };
}

export interface PackageStatus {
  id: string;
  status: string;
  attempts: number;
  merge: string | null;
  exitCode: number | null;
  lastError: string | null;
  usageLimit: { detail: string; resetAt: string | null; agent: string | null } | null;
  spend: { inputTokens: number; outputTokens: number; cachedTokens: number; costUsd: number | null } | null;
}

/** `waves status --json`'s packages, by id. */
export async function statusOf(w: Workspace, env: NodeJS.ProcessEnv): Promise<{ integration: string; packages: Record<string, PackageStatus> }> {
  const r = await waves(['status', '--json', w.plan], { cwd: w.repo, env, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`waves status failed (${r.code}): ${r.err}`);
  const doc = JSON.parse(r.out) as { integration: { branch: string }; packages: PackageStatus[] };
  return { integration: doc.integration.branch, packages: Object.fromEntries(doc.packages.map((p) => [p.id, p])) };
}

/** The files of a revision, sorted. */
export function filesAt(repo: string, rev: string): string[] {
  return git(repo, 'ls-tree', '-r', '--name-only', rev).split('\n').filter(Boolean).sort();
}

/** The agent's log of a package's attempt (`agent.log`: its stdout and stderr as the runner teed them). */
export function agentLog(repo: string, feature: string, packageId: string, attempt = 1): string {
  const runs = path.join(repo, '.waves', 'runs', feature);
  const ids = fs.readdirSync(runs).filter((n) => fs.statSync(path.join(runs, n)).isDirectory());
  for (const id of ids.sort().reverse()) {
    const file = path.join(runs, id, packageId, String(attempt), 'agent.log');
    if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
  }
  throw new Error(`no agent.log of ${packageId} attempt ${attempt} under ${runs}`);
}

/** The test id of a package's conversation: its prompt's heading, or its prompt file's path (agents told to read it). */
export function promptOf(packageId: string): RegExp {
  const id = packageId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`# Work package \`${id}\`|/${id}/\\d+/prompt\\.md`);
}

/**
 * For a `describe` block: the bin built and the CLIs found before its tests, one scripted model
 * server for them all, closed after them. Returns the server while the block's tests run.
 */
export function useModelServer(): () => ModelServer {
  let server: ModelServer | undefined;
  before(async () => {
    buildOnce();
    agentClis();
    server = await startModelServer();
  });
  after(async () => {
    await server?.close();
  });
  return () => {
    if (!server) throw new Error('useModelServer: the server runs only while the block\'s tests run');
    return server;
  };
}

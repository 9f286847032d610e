/**
 * Package registries on 127.0.0.1 for the tests and benches of toolchains inside the walls:
 * verdaccio serving the fixture projects' packages offline (no uplink: every byte from a copy of
 * the storage scripts/registry-tools.sh filled once per machine), and a PEP 503 "simple" Python
 * index served by a small static server. `registryTools()` runs the installer when the test
 * suite did not (a test file run alone); it is cached, so a second run only checks.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './freePort';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The home this process started with: the tools folder is under it, whatever HOME a test gives itself later (isolateGit). */
const HOME_AT_START = os.homedir();
/** The fixture projects (small-node, big-node, tiny-crate, tiny-go, py-tiny). */
export const PROJECTS = path.join(REPO, 'test', 'fixtures', 'projects');

export interface RegistryTools {
  /** verdaccio's bin script (run with this Node). */
  verdaccio: string;
  /** The filled storage (never served itself: each registry serves a copy). */
  storage: string;
  /** The PEP 503 "simple" folder holding the tiny wheel. */
  pythonIndex: string;
  go: string;
  cargo: string;
}

let tools: RegistryTools | undefined;

/** Where scripts/registry-tools.sh put things: from the environment `npm test` passes on, else by running it (cached). */
export function registryTools(): RegistryTools {
  if (tools) return tools;
  const env = process.env;
  if (!(env.WAVES_VERDACCIO && env.WAVES_REGISTRY_STORAGE && env.WAVES_PYTHON_INDEX && env.WAVES_GO && env.WAVES_CARGO)) {
    const res = spawnSync('bash', [path.join(REPO, 'scripts', 'registry-tools.sh'), '--env'], {
      cwd: REPO,
      env: { ...env, HOME: HOME_AT_START },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 30 * 60_000,
    });
    if (res.status !== 0) throw new Error(`scripts/registry-tools.sh failed (exit ${res.status ?? res.signal ?? res.error?.message})`);
    for (const line of res.stdout.split('\n')) {
      const m = /^(WAVES_[A-Z0-9_]+)=(.*)$/.exec(line);
      if (m) env[m[1]!] = m[2]!;
    }
  }
  tools = { verdaccio: env.WAVES_VERDACCIO!, storage: env.WAVES_REGISTRY_STORAGE!, pythonIndex: env.WAVES_PYTHON_INDEX!, go: env.WAVES_GO!, cargo: env.WAVES_CARGO! };
  return tools;
}

export interface Registry {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  port: number;
  /** The copy of the storage this registry serves (removed by `stop`). */
  storage: string;
  /** What verdaccio printed (its warnings and errors). */
  log(): string;
  stop(): Promise<void>;
}

/** Resolves when `port` answers `GET path` with 200; rejects after `timeoutMs`. */
async function answering(port: number, urlPath: string, timeoutMs: number, gone: () => string | null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = gone();
    if (why) throw new Error(why);
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing answered on 127.0.0.1:${port}${urlPath} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * verdaccio on 127.0.0.1 (a free port) serving a copy of the filled storage with NO uplink: a
 * package or version that is not in the storage is a 404, never a download. Anyone may read;
 * nobody needs a token (the tests give the person one, which must never reach an agent).
 */
export async function startRegistry(): Promise<Registry> {
  const t = registryTools();
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-registry-')));
  const storage = path.join(dir, 'storage');
  fs.cpSync(t.storage, storage, { recursive: true });
  const port = await freePort();
  const config = path.join(dir, 'config.yaml');
  fs.writeFileSync(
    config,
    [
      `storage: ${storage}`,
      'auth:',
      '  htpasswd:',
      `    file: ${path.join(dir, 'htpasswd')}`,
      '    max_users: -1',
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [t.verdaccio, '--config', config, '--listen', `127.0.0.1:${port}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let exited: string | null = null;
  const closed = new Promise<void>((resolve) =>
    child.on('close', (code, signal) => {
      exited = `verdaccio exited (${code ?? signal}): ${out.slice(-2000)}`;
      resolve();
    }),
  );
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await closed;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await answering(port, '/-/ping', 60_000, () => exited);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}/`, port, storage, log: () => out, stop };
}

export interface PythonIndex {
  /** `http://127.0.0.1:<port>/simple/` (pip's `--index-url`). */
  url: string;
  port: number;
  /** The paths asked for, in order (what pip fetched). */
  requests: string[];
  stop(): Promise<void>;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.whl': 'application/octet-stream' };

/** A static server on 127.0.0.1 (a free port) for the PEP 503 folder scripts/registry-tools.sh built: `/simple/…` only. */
export async function startPythonIndex(): Promise<PythonIndex> {
  const root = registryTools().pythonIndex;
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.pathname);
    const rel = decodeURIComponent(url.pathname).replace(/^\/simple\/?/, '');
    const file = path.join(root, rel, rel === '' || rel.endsWith('/') ? 'index.html' : '');
    if (!url.pathname.startsWith('/simple') || !file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      // PEP 503: a project's page without its trailing slash is redirected to it.
      if (url.pathname.startsWith('/simple/') && fs.existsSync(path.join(root, rel, 'index.html'))) {
        res.writeHead(301, { location: `${url.pathname}/` }).end();
        return;
      }
      res.writeHead(404).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/simple/`,
    port,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A throwaway PostgreSQL cluster for the coordinator's tests: `initdb` into a temp folder,
 * `pg_ctl start` on 127.0.0.1 with a free port (its socket in the same folder), `pg_ctl stop`
 * after. The server programs come from scripts/postgres-tools.sh (Debian's `postgresql`,
 * installed when missing); as root the server runs as the `postgres` user, which owns the
 * folder. Authentication: `trust` for the cluster's own user on 127.0.0.1 only, except that
 * `secret` (a role with a password, md5) exists for the redaction tests.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../freePort';
import pg from 'pg';

let tools: { bin: string; runAs: string } | null = null;

/**
 * Where initdb and pg_ctl are (installing them first when missing) and whom to run them as.
 * `repoRoot`: this repository (scripts/postgres-tools.sh); no import of the engine tests' helpers,
 * so the editor's suite can bundle this file.
 */
export function postgresTools(repoRoot: string): { bin: string; runAs: string } {
  if (tools) return tools;
  const out = execFileSync('bash', [path.join(repoRoot, 'scripts', 'postgres-tools.sh'), '--env'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const env = Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  if (!env.WAVES_PG_BIN) throw new Error(`scripts/postgres-tools.sh printed no WAVES_PG_BIN:\n${out}`);
  tools = { bin: env.WAVES_PG_BIN, runAs: env.WAVES_PG_RUN_AS ?? '' };
  return tools;
}

export interface Cluster {
  /** `postgres://waves@127.0.0.1:<port>/waves` (trust: no password). */
  url: string;
  port: number;
  dir: string;
  /** Stops the server (fast mode); the data stays until `remove()`. */
  stop(): void;
  /** Starts it again on the same port. */
  start(): void;
  /** Stops it if it runs and removes its folder. */
  remove(): void;
}

/** Starts a new cluster; call `remove()` when done. */
export async function startCluster(repoRoot: string): Promise<Cluster> {
  const { bin, runAs } = postgresTools(repoRoot);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-pg-'));
  const dir = path.join(root, 'data');
  const log = path.join(root, 'server.log');
  const port = await freePort();
  if (runAs) {
    fs.chmodSync(root, 0o755);
    execFileSync('chown', ['-R', runAs, root]);
  }
  const as = (program: string, args: string[]) => {
    const argv = runAs ? ['runuser', '-u', runAs, '--', path.join(bin, program), ...args] : [path.join(bin, program), ...args];
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', cwd: root });
    if (r.status !== 0) {
      const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-2000) : '';
      throw new Error(`${program} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}\n${tail}`);
    }
  };
  as('initdb', ['-D', dir, '-U', 'waves', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  // 127.0.0.1 only; the socket in the cluster's folder (never the machine's /var/run/postgresql).
  fs.appendFileSync(
    path.join(dir, 'postgresql.conf'),
    `listen_addresses = '127.0.0.1'\nport = ${port}\nunix_socket_directories = '${root}'\nfsync = off\nmax_connections = 60\n`,
  );
  fs.writeFileSync(
    path.join(dir, 'pg_hba.conf'),
    'local all all trust\nhost all secret 127.0.0.1/32 md5\nhost all all 127.0.0.1/32 trust\n',
  );
  const cluster: Cluster = {
    url: `postgres://waves@127.0.0.1:${port}/waves`,
    port,
    dir,
    start: () => as('pg_ctl', ['-D', dir, '-l', log, '-w', '-t', '60', 'start']),
    stop: () => as('pg_ctl', ['-D', dir, '-m', 'fast', '-w', '-t', '60', 'stop']),
    remove: () => {
      try {
        cluster.stop();
      } catch {
        // not running
      }
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  cluster.start();
  const admin = new pg.Client({ connectionString: `postgres://waves@127.0.0.1:${port}/postgres` });
  await admin.connect();
  try {
    await admin.query('CREATE DATABASE waves');
    await admin.query("CREATE ROLE secret LOGIN PASSWORD 's3cr3t-pw' SUPERUSER");
  } finally {
    await admin.end();
  }
  return cluster;
}

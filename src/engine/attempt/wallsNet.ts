/**
 * The network behind an agent's walls (ADR 0019), in the runner: the agent's own
 * network namespace has only its loopback, so nothing leaves it but through a unix socket the
 * runner listens on — a filtering proxy that lets through only the targets the walls allow and
 * writes every refusal to the attempt's `walls.jsonl`. Inside the walls a relay (`runner.js
 * --relay`, the first process there) listens on 127.0.0.1: on the proxy port for clients that
 * honour HTTP(S)_PROXY, and on the port of each allowed loopback target (a local model server)
 * for clients that connect straight to it; it hands every connection to the socket, then runs
 * the agent. It also listens on each other port this machine's loopback serves (a database, a
 * dev server of the person's): a connection there is refused by the proxy and named, where the
 * kernel would refuse it unnamed. Node built-ins only (bundled into dist/runner.js).
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { isAllowed, isLoopback, parseTarget, PROXY_PORT, type Target } from '../../core/walls/walls.js';
const HEAD_LIMIT = 16 * 1024;

/** One refusal of the walls, a line of `walls.jsonl`. */
export interface WallRefusal {
  at: string;
  kind: 'network';
  target: string;
  why: string;
}

/** The person's own HTTP proxy (their environment's HTTPS_PROXY / HTTP_PROXY) and what bypasses it (NO_PROXY). */
export interface Upstream {
  host: string;
  port: number;
  noProxy: string[];
}

/** The person's proxy from an environment, or null (none, or not an http:// one). */
export function upstreamOf(env: Readonly<Record<string, string | undefined>>): Upstream | null {
  const raw = env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy;
  if (!raw) return null;
  const t = /^http:\/\//i.test(raw) ? parseTarget(raw) : null;
  if (!t) return null;
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  return { host: t.host, port: t.port, noProxy };
}

function bypasses(upstream: Upstream, target: Target): boolean {
  return upstream.noProxy.some((h) => h === '*' || h === target.host || (h.startsWith('.') ? target.host.endsWith(h) : target.host.endsWith(`.${h}`)) || h === `${target.host}:${target.port}`);
}

/** A connection the proxy could not make to an allowed target (the server, or the person's proxy on the way, did not answer), a line of `walls.jsonl`. */
export interface WallUnreached {
  at: string;
  kind: 'unreachable';
  target: string;
  why: string;
}

/** What became of a connection the proxy was asked for: carried (`connected`), not made (`failed`), or refused. */
export interface ReachNote {
  /** `host:port` (`[v6]:port`), or what was asked when it names no target. */
  target: string;
  outcome: 'connected' | 'failed' | 'refused';
  why: string;
}

/** The lines `walls.jsonl` holds of one target (then only its 100th, 1,000th, … with the count), and of all. */
export const LOG_FIRST = 20;
export const LOG_LINES = 5_000;

/** How long the proxy waits for an allowed server to accept a connection before it counts as not reached. */
export const CONNECT_TIMEOUT_MS = 30_000;

/** A line of `walls.jsonl` by its kind: a refusal (`network`), or an allowed target not reached (`unreachable`). */
export interface WallsLogLines {
  network: WallRefusal;
  unreachable: WallUnreached;
}

/**
 * The lines of one kind `walls.jsonl` holds, never throwing (a line that is not one is passed
 * over): the last 50, after the last line of each target that is not among them (at most 50 more
 * targets) — a client retrying one target fifty times does not hide another it was refused.
 * `network`: the walls' refusals; `unreachable`: the allowed targets that could not be reached.
 */
export function wallsLogIn<K extends keyof WallsLogLines>(logFile: string, kind: K): WallsLogLines[K][] {
  let text = '';
  try {
    text = fs.readFileSync(logFile, 'utf8');
  } catch {
    // no walls.jsonl yet: nothing logged
    return [];
  }
  const out: WallsLogLines[K][] = [];
  for (const line of text.split('\n')) {
    try {
      const r = JSON.parse(line) as Partial<WallRefusal | WallUnreached>;
      if (r && r.kind === kind && typeof r.target === 'string' && typeof r.at === 'string') out.push({ at: r.at, kind, target: r.target, why: typeof r.why === 'string' ? r.why : '' } as WallsLogLines[K]);
    } catch {
      // not such a line
    }
  }
  const tail = out.slice(-50);
  const inTail = new Set(tail.map((l) => l.target));
  const earlier = new Map<string, WallsLogLines[K]>();
  for (const l of out.slice(0, -50)) {
    if (inTail.has(l.target)) continue;
    // Its last line, in the order of the last lines.
    earlier.delete(l.target);
    earlier.set(l.target, l);
  }
  return [...[...earlier.values()].slice(-50), ...tail];
}

/** Reads a request head (up to the blank line); resolves with it and what came after it, or null. */
function readHead(socket: net.Socket): Promise<{ head: string; rest: Buffer } | null> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        cleanup();
        resolve({ head: buf.subarray(0, end).toString('latin1'), rest: buf.subarray(end + 4) });
      } else if (buf.length > HEAD_LIMIT) {
        cleanup();
        resolve(null);
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onEnd);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onEnd);
  });
}

/**
 * The filtering proxy: HTTP `CONNECT host:port` and absolute-form requests (`GET http://host:port/…`),
 * each checked against `allowed` (names resolved here, outside the walls; read at each connection).
 * Listens on `at`: a unix socket's path (bubblewrap's walls: the relay inside hands it every
 * connection), or a port on 127.0.0.1 (Seatbelt's, ADR 0033: 0 for one the system picks).
 * Every refusal, and every allowed connection it could not make, is a line of `logFile`; `onReach`
 * hears what became of each connection (the runner's watch on an agent whose model cannot be reached).
 */
export function startProxy(at: string | { port: number }, allowed: readonly Target[], logFile: string, upstream: Upstream | null = null, onReach?: (note: ReachNote) => void): Promise<net.Server> {
  // A tool that retries a refused target without end (npm does, thousands a minute) must not fill the disk: each
  // target's first lines are written, then its 100th, 1,000th, … with the count; at most LOG_LINES lines in all.
  const seen = new Map<string, number>();
  let lines = 0;
  const log = (line: WallRefusal | WallUnreached) => {
    const key = `${line.kind} ${line.target}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    const counted = n > LOG_FIRST && Number.isInteger(Math.log10(n));
    if ((n > LOG_FIRST && !counted) || lines >= LOG_LINES) return;
    lines++;
    try {
      fs.appendFileSync(logFile, JSON.stringify(counted ? { ...line, why: `${line.why} (the ${n.toLocaleString('en-US')}th time)` } : line) + '\n');
    } catch {
      // what happened still holds
    }
  };
  const refuse = (client: net.Socket, target: string, why: string) => {
    log({ at: new Date().toISOString(), kind: 'network', target, why });
    onReach?.({ target, outcome: 'refused', why });
    client.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nwaves: ${target} is outside this agent's walls\n`);
  };
  const server = net.createServer((client) => {
    client.on('error', () => client.destroy());
    void readHead(client).then((read) => {
      if (!read) return client.destroy();
      const [requestLine = ''] = read.head.split('\r\n');
      const [method = '', uri = ''] = requestLine.split(' ');
      let target: Target | null;
      let forward: Buffer | null = null;
      if (method.toUpperCase() === 'CONNECT') target = parseTarget(uri);
      else {
        target = /^http:\/\//i.test(uri) ? parseTarget(uri) : null;
        if (target) {
          // Origin form towards the server: the path alone; one request per connection (`Connection: close`), so a
          // request the client sends next on it is read and checked here, never piped to this server unread.
          const u = new URL(uri);
          const headers = read.head
            .split('\r\n')
            .slice(1)
            .filter((h) => !/^(connection|proxy-connection|keep-alive):/i.test(h));
          const head = [`${method} ${u.pathname}${u.search} ${requestLine.split(' ')[2] ?? 'HTTP/1.1'}`, ...headers, 'Connection: close'].join('\r\n');
          forward = Buffer.concat([Buffer.from(head + '\r\n\r\n', 'latin1'), read.rest]);
        }
      }
      if (!target) return refuse(client, uri || requestLine, 'not a request this proxy carries (CONNECT host:port, or http://host:port/…)');
      const shown = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
      if (!isAllowed(allowed, target)) return refuse(client, shown, 'not among the targets this agent may reach');
      // The person's own proxy, when their environment names one (and the target is not in NO_PROXY): the allowed target through it.
      const via = upstream && !bypasses(upstream, target) ? upstream : null;
      const server = via ? net.connect({ host: via.host, port: via.port }) : net.connect({ host: target.host, port: target.port });
      // Not made (refused, no route, no name, no answer in time): written down and told, once; an error after it is the connection's own.
      let settled = false;
      server.setTimeout(CONNECT_TIMEOUT_MS, () => {
        if (!settled) server.destroy(new Error(`no answer in ${CONNECT_TIMEOUT_MS / 1000} s`));
      });
      server.on('error', (err) => {
        if (!settled) {
          settled = true;
          const why = `${err.message}${via ? ` (through the proxy ${via.host}:${via.port})` : ''}`;
          log({ at: new Date().toISOString(), kind: 'unreachable', target: shown, why });
          onReach?.({ target: shown, outcome: 'failed', why });
        }
        if (!client.destroyed) client.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n');
      });
      server.once('connect', () => {
        settled = true;
        server.setTimeout(0);
        onReach?.({ target: shown, outcome: 'connected', why: '' });
        if (via && !forward) {
          // A tunnel through the person's proxy: its answer goes back to the agent as it is.
          server.write(`CONNECT ${shown} HTTP/1.1\r\nHost: ${shown}\r\n\r\n`);
          if (read.rest.length) server.write(read.rest);
        } else if (via && forward) {
          // Through the person's proxy the request keeps its absolute form, one per connection too.
          const headers = read.head.split('\r\n').filter((h) => !/^(connection|proxy-connection|keep-alive):/i.test(h));
          server.write(Buffer.concat([Buffer.from([...headers, 'Connection: close'].join('\r\n') + '\r\n\r\n', 'latin1'), read.rest]));
        }
        else if (forward) server.write(forward);
        else {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          if (read.rest.length) server.write(read.rest);
        }
        client.pipe(server);
        server.pipe(client);
      });
      client.once('close', () => server.destroy());
      server.once('close', () => client.destroy());
    });
  });
  if (typeof at === 'string') fs.rmSync(at, { force: true });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (typeof at === 'string') server.listen(at, () => resolve(server));
    else server.listen(at.port, '127.0.0.1', () => resolve(server));
  });
}

/**
 * Listens on `address`:`port` (127.0.0.1 unless told); each connection goes to the socket: as it
 * is (the proxy's port), or for a loopback `target` after a CONNECT to it. The proxy's answer is
 * awaited even when the client has gone (a refusal is written down whatever the client does);
 * a refusal (or a target not reached) closes the client's connection.
 */
function listenRelay(port: number, socketPath: string, target: Target | null, address = '127.0.0.1'): Promise<net.Server> {
  const server = net.createServer((client) => {
    client.on('error', () => client.destroy());
    const upstream = net.connect(socketPath);
    upstream.on('error', () => client.destroy());
    upstream.once('close', () => client.destroy());
    if (!target) {
      client.once('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      return;
    }
    const shown = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    upstream.write(`CONNECT ${shown} HTTP/1.1\r\nHost: ${shown}\r\n\r\n`);
    void readHead(upstream).then((read) => {
      if (client.destroyed) return upstream.destroy();
      client.once('close', () => upstream.destroy());
      if (!read || !/^HTTP\/1\.[01] 200/.test(read.head)) {
        upstream.destroy();
        return client.destroy();
      }
      if (read.rest.length) client.write(read.rest);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve(server));
  });
}

/**
 * `runner.js --relay <socket> <loopbackTargets,…> [--quiet] -- <argv…>`, the first process inside
 * the walls: the relay's listeners, then the agent (its stdio the relay's; signals passed on), then
 * the agent's exit as its own. Unless `--quiet` (a command's output is its own), the loopback
 * targets it serves are said first.
 */
export async function relay(args: string[]): Promise<number> {
  const sep = args.indexOf('--');
  const [socketPath, loops = '', quiet] = args.slice(0, sep);
  const argv = args.slice(sep + 1);
  if (sep < 0 || !socketPath || argv.length === 0 || (quiet !== undefined && quiet !== '--quiet')) {
    process.stderr.write('waves runner: usage: runner.js --relay <socket> <host:port,…> [--quiet] -- <argv…>\n');
    return 2;
  }
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  return relayTo(socketPath, loops, argv, { env, stdio: 'inherit' }, quiet === undefined);
}

/** What a relay made ahead is told when its attempt comes (`runner.js --relay-ahead`): one JSON line on its stdin. */
export interface RelayGo {
  /** The allowed loopback targets (`host:port,…`) it also listens for. */
  loops: string;
  /** bubblewrap with the agent's walls (its own network namespace left out: this one's), then the agent — by argv. */
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** The agent's stdin (a file of the attempt), else none. */
  stdinFile: string | null;
  /** The niceness the agent runs at (the runner's). */
  nice: number;
  /** A command's output is its own (a verification step's): the loopback targets served are not said there. */
  quiet?: boolean;
}

/**
 * `runner.js --relay-ahead <socket>`: a relay started ahead by a pooled runner, inside a network
 * namespace of its own made by a bubblewrap that walls nothing else (ADR 0019: the network made
 * ahead). It waits for its attempt (`RelayGo` on stdin; stdin closed first: it ends, having
 * started nothing), then listens as `relay` does and runs the agent's walled bubblewrap, which
 * shares this namespace: the agent's start no longer waits for a second Node start.
 */
export async function relayAhead(args: string[]): Promise<number> {
  const [socketPath] = args;
  if (!socketPath || args.length !== 1) {
    process.stderr.write('waves runner: usage: runner.js --relay-ahead <socket>\n');
    return 2;
  }
  const go = await readGo();
  if (go === 'closed') return 0;
  if (typeof go === 'string') {
    process.stderr.write(`waves runner: the walls' network made ahead was told no attempt: ${go}\n`);
    return 2;
  }
  try {
    os.setPriority(go.nice);
  } catch {
    // not allowed here: the priority it has
  }
  let stdin: number | 'ignore' = 'ignore';
  if (go.stdinFile) {
    try {
      stdin = fs.openSync(go.stdinFile, 'r');
    } catch (err) {
      process.stderr.write(`waves runner: the agent could not start: ${(err as Error).message}\n`);
      return 127;
    }
  }
  const env = { ...go.env };
  delete env.ELECTRON_RUN_AS_NODE;
  return relayTo(socketPath, go.loops, go.argv, { env, cwd: go.cwd, stdio: [stdin, 'inherit', 'inherit'] }, go.quiet !== true);
}

/** The one line a relay made ahead is told, read from stdin: its `RelayGo`, why it is not one, or `closed` (nothing came). */
function readGo(): Promise<RelayGo | string> {
  return new Promise((resolve) => {
    let text = '';
    const done = (result: RelayGo | string) => {
      process.stdin.off('data', onData);
      process.stdin.off('end', onEnd);
      process.stdin.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl < 0) {
        if (text.length > 1024 * 1024) done('over 1 MiB without a line');
        return;
      }
      try {
        const go = JSON.parse(text.slice(0, nl)) as Partial<RelayGo>;
        const strings = (xs: unknown) => Array.isArray(xs) && xs.length > 0 && xs.every((x) => typeof x === 'string');
        const ok =
          typeof go.loops === 'string' &&
          strings(go.argv) &&
          !!go.env &&
          typeof go.env === 'object' &&
          typeof go.cwd === 'string' &&
          (go.stdinFile === null || typeof go.stdinFile === 'string') &&
          typeof go.nice === 'number' &&
          (go.quiet === undefined || typeof go.quiet === 'boolean');
        done(ok ? (go as RelayGo) : 'not an attempt');
      } catch (err) {
        done(`not JSON (${(err as Error).message})`);
      }
    };
    const onEnd = () => done('closed');
    process.stdin.on('data', onData);
    process.stdin.once('end', onEnd);
  });
}

/**
 * The relay's listeners (the proxy port, each loopback target's of `loops`, on 127.0.0.1; one
 * written `?host:port` only tried, on its own address, and left to the kernel when it cannot be
 * had), then `argv` under them; the child's exit as the relay's.
 */
async function relayTo(socketPath: string, loops: string, argv: string[], options: SpawnOptions, say: boolean): Promise<number> {
  const servers: net.Server[] = [];
  /** The loopback targets named (allowed, or a registry the proxy refuses by name), each listened on. */
  const named: string[] = [];
  try {
    servers.push(await listenRelay(PROXY_PORT, socketPath, null));
    const bound = new Set([`127.0.0.1:${PROXY_PORT}`]);
    for (const text of loops.split(',').filter(Boolean)) {
      const tried = text.startsWith('?');
      const t = parseTarget(tried ? text.slice(1) : text);
      if (!t || !isLoopback(t) || t.port === PROXY_PORT) continue;
      const address = tried && t.host === '::1' ? '::1' : '127.0.0.1';
      if (bound.has(`${address}:${t.port}`)) continue;
      try {
        servers.push(await listenRelay(t.port, socketPath, t, address));
        bound.add(`${address}:${t.port}`);
        if (!tried) named.push(text);
      } catch (err) {
        if (!tried) throw err;
      }
    }
  } catch (err) {
    process.stderr.write(`waves runner: the walls' network relay could not listen: ${(err as Error).message}\n`);
    return 1;
  }
  // Said first in the agent's log (written at once, before the agent can write): a connection refused there later is
  // never a listener that was not made before it started.
  if (say && named.length) fs.writeSync(2, `waves: inside the walls, ${named.join(', ')} ${named.length === 1 ? 'goes' : 'go'} to the walls' proxy\n`);
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { ...options, shell: false });
    const pass = (sig: NodeJS.Signals) => child.kill(sig);
    for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, pass);
    child.once('error', (err) => {
      process.stderr.write(`waves runner: the agent could not start (${argv[0]}): ${err.message}\n`);
      for (const s of servers) s.close();
      resolve(127);
    });
    child.once('exit', (code, sig) => {
      for (const s of servers) s.close();
      resolve(code ?? 128 + (sig ? (({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }) as Record<string, number>)[sig] ?? 0 : 0));
    });
  });
}

/**
 * The loopback ports this machine serves, which the walls name when they refuse one
 * (wallsDraw.ts `loopbackListeners`): read from `/proc/net/tcp` and `tcp6`, kept for
 * `SERVED_PORTS_FRESH_MS`, read again off the main thread behind a step (the command host) and
 * handed with an attempt (the runner pool), so that no walls' drawing waits on the kernel's walk
 * of its socket tables. Linux; elsewhere the files are missing and no port is named.
 */
import fs from 'node:fs';
import os from 'node:os';
import { isPort, loopbackListening } from '../../core/walls/walls.js';
import { SharedReads } from '../../core/util/sharedReads.js';
import { readText } from './wallsDisk.js';

/**
 * How old a reading of the loopback ports this machine serves may be when walls are drawn, ms
 * (`servedLoopbackPorts`). Those ports only name refusals (the walls refuse every port they do not
 * allow, named or not): a server started since is refused all the same, unnamed until the next
 * reading.
 */
export const SERVED_PORTS_FRESH_MS = 5000;

/** A reading of the loopback ports this machine serves: when it began (ms since the epoch), and the ports. */
export interface ServedReading {
  at: number;
  ports: number[];
}

let servedRead: ServedReading | null = null;
/** Readings off the main thread; each stored unless a later one is there already. */
const servedReads = new SharedReads<void>(async () => {
  const at = Date.now();
  const read = (file: string) => fs.promises.readFile(file, 'utf8').catch(() => '');
  const [tcp, tcp6] = await Promise.all([read('/proc/net/tcp'), read('/proc/net/tcp6')]);
  if (!servedRead || servedRead.at < at) servedRead = { at, ports: portsServed(tcp, tcp6) };
});

const portsServed = (tcp: string, tcp6: string): number[] => loopbackListening(tcp, tcp6, os.endianness() === 'LE');

/**
 * The loopback ports this machine serves (`loopbackListening`): the last reading when it is at most
 * `SERVED_PORTS_FRESH_MS` old, else read now. The kernel walks its whole socket tables for
 * `/proc/net/tcp` (10–20 ms of a walls' drawing on a 2-core machine): the command host reads them
 * behind each step (`readServedPorts`), and a pooled runner takes the reading the engine began as it
 * took the runner for the attempt (`adoptServedReading`), both off the run's path.
 */
export function servedLoopbackPorts(): number[] {
  const fresh = freshServedReading();
  if (fresh) return fresh.ports;
  servedRead = { at: Date.now(), ports: portsServed(readText('/proc/net/tcp'), readText('/proc/net/tcp6')) };
  return servedRead.ports;
}

/** Reads the loopback ports served now (a reading begun after this call), off the main thread, for the walls drawn next. */
export function readServedPorts(): Promise<void> {
  return servedReads.after();
}

/** The last reading, when it is at most `SERVED_PORTS_FRESH_MS` old (what the runner pool hands a runner with its attempt); else null. */
export function freshServedReading(): ServedReading | null {
  return servedRead && Date.now() - servedRead.at <= SERVED_PORTS_FRESH_MS ? servedRead : null;
}

/**
 * A reading handed with an attempt (the engine's runner pool: `freshServedReading`), taken for this
 * process's walls when it is well formed, at most `SERVED_PORTS_FRESH_MS` old and newer than this
 * process's own; anything else is ignored (the walls then read the ports themselves).
 */
export function adoptServedReading(value: unknown): void {
  const r = value as { at?: unknown; ports?: unknown } | null | undefined;
  if (typeof r?.at !== 'number' || !Number.isFinite(r.at) || !Array.isArray(r.ports) || r.ports.length > 65_535) return;
  const ports = r.ports as unknown[];
  if (!ports.every((p): p is number => typeof p === 'number' && isPort(p))) return;
  const age = Date.now() - r.at;
  if (age < 0 || age > SERVED_PORTS_FRESH_MS || (servedRead && servedRead.at >= r.at)) return;
  servedRead = { at: r.at, ports: [...ports] };
}

/** Forgets the last reading: the next walls read the ports served then (a warm-up's walls are no reading of the moment a real one is drawn). */
export function forgetServedPorts(): void {
  servedRead = null;
}

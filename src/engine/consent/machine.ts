/**
 * Whose run a run state is (docs/security.md promise 8, ADR 0027): the engine stamps each
 * state it drives with two ids, and a state is this machine's and this person's to drive only
 * when it carries both of theirs.
 *
 * - `machineId()`: this machine's — the SHA-256 of the operating system's machine id
 *   (`/etc/machine-id`, `/var/lib/dbus/machine-id`, FreeBSD's `/etc/hostid`; else the host name),
 *   the same for every user and home folder of the machine, never the raw id (it is the
 *   machine's secret to keep).
 * - `personId()`: the person's — the SHA-256 of a random id created once in their own folder
 *   (`<config>/machine-id`, never in a repository; the file keeps its old name), which a run
 *   state that came with a repository cannot carry. It decides what a person may drive or adopt,
 *   as their approvals do; it changes with `$HOME`, `XDG_CONFIG_HOME` or `WAVES_CONFIG_DIR`.
 *
 * A state written before both were kept has only `machine`, and it held the person's id: read so.
 * `foreignReason` then says which of the two differs, so "another machine" is said only when the
 * machine is another.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { userConfigFolder } from '../../core/run/runPaths';
import type { RunState } from '../../core/run/runState';

let cachedPerson: { folder: string; id: string } | null = null;
let cachedMachine: string | null = null;

/** The files the operating system keeps its machine id in, first found first (Linux/systemd, D-Bus, FreeBSD). */
const MACHINE_ID_FILES = ['/etc/machine-id', '/var/lib/dbus/machine-id', '/etc/hostid'];

/**
 * This machine's id in run states (64 hex digits): the same for every user and home folder of
 * the machine. From the operating system's machine id, else (a system without one, e.g. macOS,
 * Windows, a bare container) its host name.
 */
export function machineId(): string {
  if (cachedMachine) return cachedMachine;
  let raw = '';
  for (const file of MACHINE_ID_FILES) {
    try {
      raw = fs.readFileSync(file, 'utf8').trim();
    } catch {
      // not on this system
    }
    if (/^[0-9a-fA-F-]{8,}$/.test(raw)) break;
    raw = '';
  }
  const source = raw ? `id ${raw.toLowerCase()}` : `host ${os.hostname().toLowerCase()}`;
  // Hashed with a name of its own, as systemd asks of anything that shows its machine id.
  cachedMachine = createHash('sha256').update(`wave-orchestrator machine-of ${source}`).digest('hex');
  return cachedMachine;
}

/**
 * The person's own folder cannot be made or written (a file in its place, no permission, a
 * read-only home): said with the folder and how to choose another, never as an internal error.
 */
export class PersonFolderError extends Error {
  constructor(
    readonly folder: string,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException)?.code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in its place' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'the file system is read-only' : String((cause as Error)?.message ?? cause);
    super(`Wave Orchestrator's own folder ${folder} cannot be used: ${why}. It keeps your approvals and your id on this machine: set WAVES_CONFIG_DIR to a folder you can write, or move what is in the way.`);
    this.name = 'PersonFolderError';
  }
}

/** The person's own folder (`userConfigFolder`) under `env`. */
export function personFolder(env: NodeJS.ProcessEnv = process.env): string {
  return userConfigFolder(env, process.platform, os.homedir());
}

/**
 * The id run states carry for the person driving them here (64 hex digits; what a state's
 * `machine` held before ADR 0027): from a random id in their own folder, created on first use.
 */
export function personId(env: NodeJS.ProcessEnv = process.env): string {
  const folder = personFolder(env);
  if (cachedPerson?.folder === folder) return cachedPerson.id;
  const file = path.join(folder, 'machine-id');
  let secret = '';
  try {
    secret = fs.readFileSync(file, 'utf8').trim();
  } catch {
    // not made yet
  }
  if (!/^[0-9a-f]{32,}$/.test(secret)) {
    const fresh = randomBytes(32).toString('hex');
    try {
      fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
      try {
        // `wx`: two processes making it at once keep the first one's.
        fs.writeFileSync(file, fresh + '\n', { flag: 'wx', mode: 0o600 });
        secret = fresh;
      } catch {
        // another process made it first (`wx`): its secret is used, and a file that cannot be read throws here
        secret = fs.readFileSync(file, 'utf8').trim();
      }
    } catch (err) {
      throw new PersonFolderError(folder, err);
    }
  }
  // The same text as before the machine was kept apart: a state stamped then is still the person's.
  const id = createHash('sha256').update(`wave-orchestrator machine ${secret}`).digest('hex');
  cachedPerson = { folder, id };
  return id;
}

/** Who drives a run here: this machine and this person (their folder, for messages). */
export interface Driver {
  machine: string;
  person: string;
  folder: string;
}

/** This machine and the person here, as the engine stamps them into the run states it drives. */
export function thisDriver(env: NodeJS.ProcessEnv = process.env): Driver {
  return { machine: machineId(), person: personId(env), folder: personFolder(env) };
}

/**
 * Why a run state is not this machine's and this person's to drive, or null when it is: its
 * `machine` and `person` must be those here. A state written before both were kept
 * (`person` absent; or `machine` equal to `person`: an older build drove it since) holds the
 * person's id in `machine`. A state that came with a repository carries neither. Foreign state is
 * shown and offered; only the person's Resume drives it.
 */
export function foreignReason(state: Pick<RunState, 'machine' | 'person'>, here: Driver = thisDriver()): string | null {
  const { machine, person } = state;
  if (!machine) return 'it does not say it was started on this machine (it may have come with the repository)';
  if (!person || machine === person) {
    if (machine === here.person) return null;
    return 'it was started on another machine, or on this one by another user or under another home folder (its state, written by an earlier version, does not say which)';
  }
  if (machine !== here.machine) return 'it was started on another machine';
  if (person !== here.person) return `it was started on this machine, but by another user or under another home folder (not with ${here.folder})`;
  return null;
}

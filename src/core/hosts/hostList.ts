/**
 * Hosts (ADR 0011): the machines a run places its packages on. A host is this machine
 * (an entry with no `ssh`) or one reached over SSH with the person's own `ssh` (keys, agent,
 * `~/.ssh/config`; host keys checked as ssh does). Pure: the list as read and checked, where
 * a package goes, and the quoting of the remote commands the SSH executor sends (the remote
 * login shell reads them, so every argument is quoted here — nothing from a plan goes into
 * them but package and feature ids, which `isSafeName` already allows only as plain names).
 */
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { isSafeName } from '../run/safeName';
import { wallsTrialProblem } from '../walls/walls';
import { shellQuote } from '../util/shellQuote';

export interface Host {
  /** A name of the person's choosing: in the run state, the views and messages. */
  name: string;
  /** The SSH destination (`user@host`, or an alias of `~/.ssh/config`); absent: this machine. */
  ssh?: string;
  /** SSH port (default: ssh's own, usually from `~/.ssh/config`). */
  port?: number;
  /** `-i`: a key file on this machine. */
  identityFile?: string;
  /** `-F`: an ssh configuration file on this machine (default: ssh's own). */
  sshConfig?: string;
  /** The working folder there (an absolute path); required for SSH hosts. */
  folder?: string;
  /** At most this many attempts at once on this host. */
  maxParallel: number;
  /** An agent preset id the host's packages run with (default: the run's agent). */
  agent?: string;
  /** The `node` there (default `node` on the login's PATH). */
  node?: string;
}

export interface HostProblem {
  /** 1-based, when the list came from a file. */
  line?: number;
  column?: number;
  message: string;
}

export interface HostsRead {
  hosts: Host[];
  problems: HostProblem[];
}

const DESTINATION = /^(?:[A-Za-z0-9._~+-]+@)?[A-Za-z0-9._:[\]-]+$/;

const KEYS: Record<string, keyof Host> = {
  name: 'name',
  ssh: 'ssh',
  port: 'port',
  identity_file: 'identityFile',
  identityFile: 'identityFile',
  ssh_config: 'sshConfig',
  sshConfig: 'sshConfig',
  folder: 'folder',
  max_parallel: 'maxParallel',
  maxParallel: 'maxParallel',
  agent: 'agent',
  node: 'node',
};

/**
 * Checks a list of hosts as given (a setting's value, or a file's `hosts:` read as data).
 * `at(i, key)` gives the position of an entry or of one of its keys, when known.
 */
export function checkHostList(raw: unknown, at: (index: number, key?: string) => { line?: number; column?: number } = () => ({})): HostsRead {
  const problems: HostProblem[] = [];
  const hosts: Host[] = [];
  if (!Array.isArray(raw)) return { hosts, problems: [{ ...at(-1), message: 'the hosts must be a list (hosts: [- name: …])' }] };
  const names = new Set<string>();
  raw.forEach((entry, i) => {
    const problem = (message: string, key?: string) => problems.push({ ...at(i, key), message: `host ${i + 1}${typeof (entry as { name?: unknown })?.name === 'string' ? ` (${(entry as { name: string }).name})` : ''}: ${message}` });
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return problem('must be a mapping (name, ssh, folder, max_parallel, …)');
    const e = entry as Record<string, unknown>;
    const host: Partial<Host> = {};
    let ok = true;
    for (const [key, value] of Object.entries(e)) {
      const field = KEYS[key];
      if (!field) {
        problem(`unknown key "${key}" (known: name, ssh, port, identity_file, ssh_config, folder, max_parallel, agent, node)`, key);
        ok = false;
        continue;
      }
      if (field === 'port' || field === 'maxParallel') {
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || (field === 'port' && value > 65535)) {
          problem(`${key} must be a whole number${field === 'port' ? ' from 1 to 65535' : ' of at least 1'}`, key);
          ok = false;
        } else host[field] = value;
        continue;
      }
      if (typeof value !== 'string' || value.trim() === '' || /[\0\n\r]/.test(value)) {
        problem(`${key} must be a non-empty line of text`, key);
        ok = false;
        continue;
      }
      (host as Record<string, unknown>)[field] = value.trim();
    }
    if (!ok) return;
    if (!host.name || !isSafeName(host.name)) return problem('needs a name of letters, digits, "-", "_" or "." (it names folders and is shown)', 'name');
    if (names.has(host.name)) return problem(`the name "${host.name}" is used twice`, 'name');
    if (host.ssh !== undefined) {
      // ssh would read a destination starting with "-" as an option.
      if (!DESTINATION.test(host.ssh) || host.ssh.startsWith('-')) return problem(`ssh "${host.ssh}" is not an SSH destination (user@host, or a Host alias of your ssh config)`, 'ssh');
      if (!host.folder) return problem('an SSH host needs a folder: where its worktrees and attempts go there', 'folder');
      if (!host.folder.startsWith('/') || host.folder.split('/').includes('..')) return problem('folder must be an absolute path there, without ".."', 'folder');
    } else {
      for (const k of ['port', 'identityFile', 'sshConfig', 'folder', 'node'] as const) {
        if (host[k] !== undefined) return problem(`${k} is only for an SSH host (this one has no ssh: it is this machine)`, k);
      }
    }
    names.add(host.name);
    hosts.push({ maxParallel: 4, ...host } as Host);
  });
  return { hosts, problems };
}

/** A hosts file (`hosts: [...]`, YAML or JSON) → the hosts and every problem with its line and column. */
export function parseHostsFile(text: string): HostsRead {
  const doc = parseDocument(text, { prettyErrors: false });
  const lineOf = (offset: number) => {
    let line = 1;
    let start = 0;
    for (let i = 0; i < offset && i < text.length; i++) {
      if (text.charCodeAt(i) !== 10) continue;
      line++;
      start = i + 1;
    }
    return { line, column: offset - start + 1 };
  };
  if (doc.errors.length > 0) return { hosts: [], problems: doc.errors.map((e) => ({ ...lineOf(e.pos[0]), message: e.message.split('\n')[0]! })) };
  const root = doc.contents as YamlNode | null;
  const list = isMap(root) ? (root.get('hosts', true) as YamlNode | undefined) : undefined;
  if (!list) return { hosts: [], problems: [{ line: 1, column: 1, message: 'a hosts file is a mapping with a "hosts" list' }] };
  const at = (i: number, key?: string): { line?: number; column?: number } => {
    const item = isSeq(list) && i >= 0 ? (list.items[i] as YamlNode | undefined) : list;
    let node: YamlNode | undefined = item;
    if (key && isMap(item)) {
      const pair = item.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (pair && isScalar(pair.key)) node = pair.key;
    }
    return node?.range ? lineOf(node.range[0]) : {};
  };
  return checkHostList(list.toJSON(), at);
}

export function isRemote(host: Host): host is Host & { ssh: string; folder: string } {
  return host.ssh !== undefined;
}

/**
 * Where a package goes: the host it ran on before when that one has a free slot (its earlier
 * work is there), else the host with the most free slots (the first of equals, in the list's
 * order); null when every host is full. `busy`: attempts active now, by host name. `lost`:
 * hosts out of reach, never chosen.
 */
export function placeOn(hosts: readonly Host[], busy: ReadonlyMap<string, number>, options: { before?: string | null; lost?: ReadonlySet<string> } = {}): string | null {
  const free = (h: Host) => (options.lost?.has(h.name) ? 0 : h.maxParallel - (busy.get(h.name) ?? 0));
  const before = options.before ? hosts.find((h) => h.name === options.before) : undefined;
  if (before && free(before) > 0) return before.name;
  let best: Host | null = null;
  for (const h of hosts) if (free(h) > 0 && (!best || free(h) > free(best))) best = h;
  return best?.name ?? null;
}

/** The run's cap over all hosts (the scheduler's `maxParallel`): the sum of theirs, within `cap`. */
export function hostsCapacity(hosts: readonly Host[], cap: number): number {
  return Math.max(1, Math.min(cap, hosts.reduce((n, h) => n + h.maxParallel, 0)));
}

// ---------------------------------------------------------------------------------------
// Remote commands

export { shellQuote } from '../util/shellQuote';

/** argv → one command line for the remote login shell (`ssh host -- <line>`), every argument quoted. */
export function commandLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/**
 * The `ssh` options of a host (before its destination). With `controlDir`: through the host's
 * shared connection there when it is up (`ControlMaster=no`: a call never becomes the master
 * itself — the engine starts that one, `SshHost.connect`), else a connection of its own.
 */
export function sshOptions(host: Host, controlDir?: string): string[] {
  return [
    ...(host.sshConfig ? ['-F', host.sshConfig] : []),
    ...(host.port ? ['-p', String(host.port)] : []),
    ...(host.identityFile ? ['-i', host.identityFile, '-o', 'IdentitiesOnly=yes'] : []),
    // No password or passphrase prompt: the person's keys and agent only. Host keys as ssh checks them.
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=10',
    '-o', 'ServerAliveInterval=5',
    '-o', 'ServerAliveCountMax=2',
    ...(controlDir ? ['-o', 'ControlMaster=no', '-o', `ControlPath=${controlDir}/%C`] : []),
  ];
}

/** What a host check found, one line per need. */
export interface HostCheckItem {
  what: 'reachable' | 'git' | 'node' | 'agent' | 'disk' | 'tmux' | 'folder' | 'sandbox';
  ok: boolean;
  detail: string;
}

/** The check script's `key=value` lines. */
function checkValues(output: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of output.split('\n')) {
    const m = /^([a-z]+)=(.*)$/.exec(line.trim());
    if (m) values.set(m[1]!, m[2]!);
  }
  return values;
}

/**
 * The lines of a check script that say whether the host's `node` value (a command name on the
 * login's PATH, or a path) is a program there (`nodeat=`, what `command -v` found) and what it
 * answers when asked to run JavaScript (`node=`: its `process.version`). Quoted: never a shell word of its own.
 */
export function nodeProbe(node: string): string {
  const n = shellQuote(node);
  return `echo "nodeat=$(command -v ${n} 2>/dev/null)"; echo "node=$(${n} -e 'console.log(process.version)' 2>/dev/null </dev/null | head -n 1)"`;
}

/** What `nodeProbe(node)` printed → the check's `node` item, naming the value when it is not the default. */
export function readNodeCheck(output: string, node = 'node'): HostCheckItem {
  const values = checkValues(output);
  const version = values.get('node') ?? '';
  const at = values.get('nodeat') ?? '';
  const named = node === 'node' ? 'node' : `node "${node}"`;
  const major = Number(/^v(\d+)\./.exec(version)?.[1] ?? 0);
  if (major >= 18) return { what: 'node', ok: true, detail: node === 'node' ? `node ${version}` : `node ${version} (${node})` };
  if (/^v\d+\./.test(version)) return { what: 'node', ok: false, detail: node === 'node' ? `node ${version} is older than 18` : `${named} is ${version}, older than 18` };
  if (!at)
    return {
      what: 'node',
      ok: false,
      detail: node === 'node' ? 'node is not on the PATH of a non-interactive login' : `${named} is not a program there (not found, or not executable, for a non-interactive login)`,
    };
  return { what: 'node', ok: false, detail: `${named} (${at}) is not Node.js: it did not run JavaScript` };
}

/**
 * The remote check script's output (`key=value` lines) → the check's items. `agentCommand`:
 * the agent CLI the host's packages run (its argv[0]); `node`: the host's `node` value.
 */
export function readHostCheck(output: string, agentCommand: string | null, node = 'node'): HostCheckItem[] {
  const values = checkValues(output);
  const has = (k: string) => (values.get(k) ?? '') !== '';
  const items: HostCheckItem[] = [];
  items.push({ what: 'folder', ok: has('folder'), detail: has('folder') ? `${values.get('folder')} (writable)` : 'the working folder cannot be made or written' });
  items.push({ what: 'git', ok: has('git'), detail: has('git') ? values.get('git')! : 'git is not on the PATH of a non-interactive login' });
  items.push(readNodeCheck(output, node));
  if (agentCommand) items.push({ what: 'agent', ok: has('agent'), detail: has('agent') ? `${agentCommand}: ${values.get('agent')}` : `${agentCommand} is not on the PATH there` });
  items.push({ what: 'tmux', ok: true, detail: has("tmux") ? `${values.get("tmux")} (attempts can be attached to)` : 'no tmux: attempts run detached with setsid (headless agents only can be watched)' });
  // The walls: the trial's `sandbox=` line; without it agents run there only by the person's explicit choice.
  const walls = values.has('sandbox') ? wallsTrialProblem(`sandbox=${values.get('sandbox')}`) : null;
  if (values.has('sandbox')) items.push({ what: 'sandbox', ok: walls === null, detail: walls === null ? 'bubblewrap makes walls (agents run confined)' : `${walls} — agents run there only with --unconfined / waves.sandbox.unconfined` });
  const kb = Number(values.get('diskkb') ?? NaN);
  items.push({ what: 'disk', ok: Number.isFinite(kb) && kb >= 1024 * 1024, detail: Number.isFinite(kb) ? `${(kb / 1024 / 1024).toFixed(1)} GiB free in the folder` : 'free space unknown' });
  return items;
}

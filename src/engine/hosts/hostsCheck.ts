/**
 * `waves hosts check` and the editor's Waves: Check Hosts: per host, what is missing —
 * reachable (over the person's own ssh, no prompt), git, node, the agent CLI, tmux, the working
 * folder and its free disk. One ssh call per host (a fixed script; the folder and the agent
 * command are quoted). This machine is checked the same way, without ssh.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isRemote, nodeProbe, parseHostsFile, readHostCheck, readNodeCheck, shellQuote, type Host, type HostCheckItem } from '../../core/hosts/hostList';
import { HostUnreachableError, SshHost } from './ssh';
import { WALLS_TRIAL_SCRIPT } from '../../core/walls/walls';

export interface HostCheck {
  host: string;
  /** `ssh` destination, or "this machine". */
  where: string;
  ok: boolean;
  items: HostCheckItem[];
}

function script(folder: string | null, agentCommand: string | null, node = 'node'): string {
  const f = folder ? shellQuote(folder) : '.';
  return [
    folder ? `if mkdir -p ${f} 2>/dev/null && [ -w ${f} ]; then echo "folder=$(cd ${f} && pwd)"; fi` : 'echo "folder=$(pwd)"',
    'echo "git=$(git --version 2>/dev/null)"',
    nodeProbe(node),
    agentCommand ? `echo "agent=$(command -v ${shellQuote(agentCommand)} 2>/dev/null)"` : 'true',
    'echo "tmux=$(tmux -V 2>/dev/null)"',
    WALLS_TRIAL_SCRIPT,
    `echo "diskkb=$(df -Pk ${f} 2>/dev/null | awk 'NR==2{print $4}')"`,
  ].join('; ');
}

/** Checks one host. `agentCommand`: argv[0] of the agent its packages run (null: not checked). */
export async function checkHost(host: Host, agentCommand: string | null): Promise<HostCheck> {
  if (!isRemote(host)) {
    const out = await new Promise<string>((resolve) =>
      execFile('/bin/sh', ['-c', script(null, agentCommand, host.node)], { cwd: os.homedir(), timeout: 30_000 }, (_err, stdout) => resolve(String(stdout ?? ''))),
    );
    const items = [{ what: 'reachable' as const, ok: true, detail: 'this machine' }, ...readHostCheck(out, agentCommand, host.node)];
    return { host: host.name, where: 'this machine', ok: items.every((i) => i.ok), items };
  }
  const ssh = new SshHost(host, false);
  try {
    const r = await ssh.run({ script: script(host.folder, agentCommand, host.node) }, { timeoutMs: 30_000 });
    const items = [{ what: 'reachable' as const, ok: true, detail: `ssh ${host.ssh}` }, ...readHostCheck(r.stdout, agentCommand, host.node)];
    return { host: host.name, where: host.ssh, ok: items.every((i) => i.ok), items };
  } catch (err) {
    const detail = err instanceof HostUnreachableError ? err.message : (err as Error).message;
    const hint = /Host key verification failed/i.test(detail)
      ? ' — its host key is not known: connect once with `ssh` yourself and check the fingerprint'
      : /Permission denied/i.test(detail)
        ? ' — no key of yours is accepted there (waves never asks for a password: use ssh-agent or identity_file)'
        : '';
    return { host: host.name, where: host.ssh, ok: false, items: [{ what: 'reachable', ok: false, detail: `${detail}${hint}` }] };
  } finally {
    await ssh.close();
  }
}

/** Every host, at once. */
export function checkHosts(hosts: readonly Host[], agentCommandOf: (host: Host) => string | null): Promise<HostCheck[]> {
  return Promise.all(hosts.map((h) => checkHost(h, agentCommandOf(h))));
}

/**
 * The `node` of each SSH host, tried as a run starts: one short call per host, all at
 * once; a host that answers with a `node` value that is not a usable program is a problem naming
 * the host and the value. A host out of reach is none here: the run waits for it as for any host
 * that drops out.
 */
export async function nodeProblems(hosts: readonly Host[]): Promise<string[]> {
  const found = await Promise.all(
    hosts.filter(isRemote).map(async (host) => {
      const ssh = new SshHost(host, false);
      try {
        const r = await ssh.run({ script: nodeProbe(host.node ?? 'node') }, { timeoutMs: 30_000 });
        const item = readNodeCheck(r.stdout, host.node);
        return item.ok ? [] : [`host ${host.name}: ${item.detail}`];
      } catch {
        // out of reach: no problem here, the run waits for the host as for any that drops out
        return [];
      } finally {
        await ssh.close();
      }
    }),
  );
  return found.flat();
}

/** A hosts file read for a front end: the hosts, or the problems with `file:line:col`. */
export function readHostsFile(file: string): { hosts: Host[]; problems: string[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { hosts: [], problems: [`${file}: cannot be read: ${(err as Error).message}`] };
  }
  return fromText(file, text);
}

function fromText(file: string, text: string): { hosts: Host[]; problems: string[] } {
  const read = parseHostsFile(text);
  const shown = path.relative(process.cwd(), file) || file;
  return { hosts: read.hosts, problems: read.problems.map((p) => `${shown}:${p.line ?? 1}:${p.column ?? 1} ${p.message}`) };
}

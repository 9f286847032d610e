/**
 * `waves hosts check`: per host of a hosts file, what a run needs there — reachable over
 * the person's own ssh, git, node, the agent CLI, tmux, the working folder and its disk.
 */
import { checkHosts, readHostsFile, type Host, type HostCheck, type HostsInput } from '../engine';
import { presetProfile } from '../core/agents/agentProfiles';
import { flagsOf, runOption } from '../core/run/runOptions';
import { parseArgs, UsageError } from './args';
import { optionsSynopsis } from './commandHelp';
import type { Io } from './io';
import { runAgentsFrom } from './runArgs';

/** `--hosts FILE` (else WAVES_HOSTS) as read, problems and all (file:line:col): a run's start checks it (`startRun`). */
export function hostsInputFrom(flags: Map<string, string | true>): HostsInput | undefined {
  const file = flags.has('hosts') ? String(flags.get('hosts')) : process.env.WAVES_HOSTS;
  if (file === undefined || file === '') return undefined;
  const read = readHostsFile(file);
  return { source: file, hosts: read.hosts, problems: read.problems };
}

/** `--hosts FILE` (else WAVES_HOSTS) → the hosts; problems are usage errors with file:line:col. */
export function hostsFrom(flags: Map<string, string | true>): Host[] | undefined {
  const read = hostsInputFrom(flags);
  if (!read) return undefined;
  if (read.problems.length) throw new UsageError(`the hosts file has problems:\n${read.problems.join('\n')}`);
  if (read.hosts.length === 0) throw new UsageError(`${read.source} lists no hosts`);
  return read.hosts;
}

/** The agent's row of the run options' table: `--agent` / `--agent-argv`, parsed as `waves run` parses them. */
const AGENT = runOption('agent');

export async function hostsCommand(argv: readonly string[], io: Io): Promise<number> {
  // The agent's flags both take a value (a preset id, a JSON array).
  const { flags, args } = parseArgs(argv, ['hosts', 'json', ...flagsOf(AGENT)], ['hosts', ...flagsOf(AGENT)]);
  if (args[0] !== 'check' || args.length !== 1) throw new UsageError(`waves hosts check --hosts FILE ${optionsSynopsis('', [AGENT])} [--json]`);
  const hosts = hostsFrom(flags);
  if (!hosts) throw new UsageError('waves hosts check needs --hosts FILE (or WAVES_HOSTS)');
  // The agent of a host without its own (`agent:` in the hosts file): the flags' (default: the default agent), a usage error as in waves run.
  const { agent } = runAgentsFrom(flags);
  const agentOf = (h: Host): string | null => {
    if (h.agent === undefined) return agent.argv[0] ?? null;
    const preset = presetProfile(h.agent);
    if (!preset) throw new UsageError(`unknown agent preset "${h.agent}" (host ${h.name})`);
    return preset.argv[0] ?? null;
  };
  hosts.forEach(agentOf); // unknown presets are usage errors before anything is reached
  const checks = await checkHosts(hosts, agentOf);
  if (flags.has('json')) io.out(JSON.stringify({ hosts: checks }, null, 2) + '\n');
  else io.out(checks.map(describe).join('\n') + '\n');
  return checks.every((c) => c.ok) ? 0 : 1;
}

function describe(c: HostCheck): string {
  const lines = [`${c.ok ? '✓' : '✗'} ${c.host} (${c.where})${c.ok ? '' : `: ${c.items.filter((i) => !i.ok).map((i) => i.what).join(', ')} missing`}`];
  for (const i of c.items) lines.push(`    ${i.ok ? '✓' : '✗'} ${i.what.padEnd(9)} ${i.detail}`);
  return lines.join('\n');
}

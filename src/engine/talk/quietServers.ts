/**
 * Agents talk back (ADR 0036): what an attempt's `mcp.json` says, and the MCP servers a CLI with
 * no strict mode is told to leave off beside the run's own — the person's where the attempt runs,
 * and the repository's — read from their configuration files. Shared by the run's attempts here
 * and a pull worker's (ADR 0037).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { quietServers, type QuietServers, type TalkServer } from '../../core/agents/agentProfiles';

/** A configuration file's text; '' when there is none (no server of it to leave off). */
function readConfig(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    // no such configuration: no server of it to leave off
    return '';
  }
}

/** The MCP servers of the person's own Codex and Copilot configurations on this machine, which their attempts are told to leave off (neither has a strict mode). */
export function personsMcpServers(): QuietServers {
  return quietServers({
    codexToml: [readConfig(path.join(process.env.CODEX_HOME || path.join(os.homedir(), '.codex'), 'config.toml'))],
    copilotJson: [readConfig(path.join(process.env.COPILOT_HOME || path.join(os.homedir(), '.copilot'), 'mcp-config.json'))],
  });
}

/** The repository's own MCP servers in `folder` (a checkout of it), which Codex and Copilot load in a folder the person trusts (a package's tree is one when a folder above it is trusted). */
export function repositoryMcpServers(folder: string): QuietServers {
  return quietServers({
    codexToml: [readConfig(path.join(folder, '.codex', 'config.toml'))],
    copilotJson: [readConfig(path.join(folder, '.mcp.json')), readConfig(path.join(folder, '.github', 'mcp.json'))],
  });
}

/** The attempt's `mcp.json`: the run's one server, `waves`. */
export function mcpConfigText(server: Pick<TalkServer, 'command' | 'args' | 'env'>): string {
  return JSON.stringify({ mcpServers: { waves: { command: server.command, args: server.args, env: server.env } } }, null, 2) + '\n';
}

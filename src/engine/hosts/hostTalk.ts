/**
 * Agents talk back from an SSH host (ADR 0036): the `waves` MCP server's bundle installed beside
 * the runner there (the host's walls show that folder), each attempt's MCP configuration written
 * in its folder there, and that folder's socket forwarded to the engine's socket here over the
 * host's shared connection (OpenSSH's Unix-socket forwarding). A path there too long for a socket
 * is bound through a short link to the folder, as the engine's own is here.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { quietServers, type QuietServers } from '../../core/agents/agentProfiles';
import { shellQuote as q } from '../../core/hosts/hostList';
import type { TalkRemote } from '../attempt';
import { TALK_CONFIG, TALK_SERVER_SCRIPT, TALK_SOCKET } from '../talk';
import type { SshHost } from './ssh';

/** The longest socket path bound as it is (a Unix socket's path holds at most 108 bytes, 104 on macOS). */
const MAX_SOCKET_PATH = 100;

type Script = (text: string, input?: string, okCodes?: readonly number[] | null) => Promise<{ stdout: string }>;

/** The most of a configuration file read from a host (a larger one is not a configuration: its servers are not read). */
const MAX_CONFIG_BYTES = 1_000_000;

export class HostTalk {
  /** The bundle beside the runner here; null when this build has none. */
  private readonly text: string | null;
  private readonly path: string;
  private installed: Promise<unknown> | null = null;
  private personsServers: Promise<QuietServers> | null = null;

  constructor(
    private readonly ssh: SshHost,
    private readonly script: Script,
    root: string,
    private readonly node: string,
    runnerScript: string,
  ) {
    const bundle = path.join(path.dirname(runnerScript), TALK_SERVER_SCRIPT);
    this.text = fs.existsSync(bundle) ? fs.readFileSync(bundle, 'utf8') : null;
    this.path = `${root}/runner/waves-mcp-${createHash('sha256').update(this.text ?? '').digest('hex').slice(0, 16)}.js`;
  }

  remote(): TalkRemote | null {
    const text = this.text;
    if (text === null) return null;
    return { command: this.node, script: this.path, open: (place, localSocket, config) => this.open(text, place.dir, localSocket, config), quiet: () => this.quiet() };
  }

  /** The person's Codex and Copilot MCP servers on the host (their homes' variables as the host's shell has them), read once; none when the host does not say. */
  private quiet(): Promise<QuietServers> {
    const mark = `--waves-${randomBytes(8).toString('hex')}--`;
    const cat = (file: string) => `head -c ${MAX_CONFIG_BYTES} "${file}" 2>/dev/null`;
    this.personsServers ??= this.script(`${cat('${CODEX_HOME:-$HOME/.codex}/config.toml')}; printf '\\n%s\\n' ${q(mark)}; ${cat('${COPILOT_HOME:-$HOME/.copilot}/mcp-config.json')}; true`, undefined, null).then(
      ({ stdout }) => {
        const at = stdout.indexOf(`\n${mark}\n`);
        return at < 0 ? quietServers({}) : quietServers({ codexToml: [stdout.slice(0, at)], copilotJson: [stdout.slice(at + mark.length + 2)] });
      },
      () => {
        // The host not answering now: its attempt does not start anyway; the next one asks again.
        this.personsServers = null;
        return quietServers({});
      },
    );
    return this.personsServers;
  }

  private async open(text: string, dir: string, localSocket: string, config: string): Promise<() => Promise<void>> {
    const bundle = this.path;
    this.installed ??= this.script(`mkdir -p ${q(path.posix.dirname(bundle))}; if [ ! -f ${q(bundle)} ]; then cat > ${q(bundle)}.tmp.$$ && mv -f ${q(bundle)}.tmp.$$ ${q(bundle)}; else cat > /dev/null; fi`, text);
    await this.installed;
    const socket = `${dir}/${TALK_SOCKET}`;
    const short = Buffer.byteLength(socket) > MAX_SOCKET_PATH;
    const link = `/tmp/waves-talk-${randomBytes(6).toString('hex')}`;
    // The configuration, private; the socket's place free (ssh does not bind over a file); a short link when the path is long.
    await this.script(`mkdir -p ${q(dir)} && rm -f ${q(socket)} && (umask 077 && cat > ${q(`${dir}/${TALK_CONFIG}`)})${short ? ` && ln -s ${q(dir)} ${q(link)}` : ''}`, config);
    const there = short ? `${link}/${TALK_SOCKET}` : socket;
    try {
      await this.ssh.forwardSocket(there, localSocket);
    } finally {
      if (short) await this.script(`rm -f ${q(link)}`, undefined, null).catch(() => undefined); // the link was only for the bind
    }
    return async () => {
      await this.ssh.forwardSocket(there, localSocket, true).catch(() => undefined); // the connection gone: nothing forwards
      await this.script(`rm -f ${q(socket)}`, undefined, null).catch(() => undefined); // the host gone: nothing to remove now
    };
  }
}

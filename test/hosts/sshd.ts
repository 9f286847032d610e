/**
 * Throwaway SSH hosts for the hosts suite: each `startHost()` is a real OpenSSH server
 * (`/usr/sbin/sshd`, from scripts/ssh-tools.sh) on 127.0.0.1 with a free port, its own host key
 * and a folder of its own. The client side is what a person has: a user key, a known_hosts
 * file holding the host's real key (no `StrictHostKeyChecking=no` anywhere) and an ssh config
 * file naming the host by an alias — the hosts list points at it with `ssh_config`.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../freePort';
import type { Host } from '../../src/core/hosts/hostList';

const REPO = path.resolve(__dirname, '..', '..');
let toolsChecked = false;

function sshTools(repoRoot: string): void {
  if (toolsChecked) return;
  execFileSync('bash', [path.join(repoRoot, 'scripts', 'ssh-tools.sh'), '--env'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  toolsChecked = true;
}

/** The person's side, shared by every host of a test: one user key, one known_hosts, one ssh config. */
export class SshClient {
  readonly dir: string;
  readonly key: string;
  readonly knownHosts: string;
  readonly config: string;

  /** `repoRoot`: this repository (scripts/ssh-tools.sh); the editor's suite, bundled, passes it. */
  constructor(repoRoot: string = REPO) {
    sshTools(repoRoot);
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-sshc-'));
    this.key = path.join(this.dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'waves-test', '-f', this.key]);
    this.knownHosts = path.join(this.dir, 'known_hosts');
    fs.writeFileSync(this.knownHosts, '');
    this.config = path.join(this.dir, 'ssh_config');
    fs.writeFileSync(this.config, '');
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface TestHost {
  name: string;
  port: number;
  /** The host's working folder (`folder:` of its entry). */
  folder: string;
  /** Its entry for a hosts list. */
  host: Host;
  /** Stops sshd (its sessions' detached processes keep running, as on a real machine). */
  stop(): void;
  /** Starts sshd again on the same port. */
  start(): Promise<void>;
  remove(): void;
}

/** A real sshd for `client`, reached as `name` (an alias of the client's ssh config). */
export async function startHost(client: SshClient, name: string, maxParallel = 2): Promise<TestHost> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `waves-sshd-${name}-`));
  const port = await freePort();
  const hostKey = path.join(dir, 'host_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  const authorized = path.join(dir, 'authorized_keys');
  fs.copyFileSync(`${client.key}.pub`, authorized);
  fs.chmodSync(authorized, 0o600);
  const folder = path.join(dir, 'work');
  const user = os.userInfo().username;
  const config = path.join(dir, 'sshd_config');
  fs.writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${authorized}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      `AllowUsers ${user}`,
      // The forwarding git and the multiplexed connection need nothing more; no agent or X11 forwarding.
      'AllowAgentForwarding no',
      'X11Forwarding no',
      'Subsystem sftp internal-sftp',
      // bash sources ~/.bashrc for every command sshd runs unless SHLVL says it is nested; this
      // machine's root bashrc spends ~2 s there (pyenv), which a real host's non-interactive
      // guard would skip. The sessions are otherwise the user's own shell and environment.
      'SetEnv SHLVL=1',
      '',
    ].join('\n'),
  );
  // The host's real key, as the person would have accepted it once.
  const pub = fs.readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  fs.appendFileSync(client.knownHosts, `[127.0.0.1]:${port} ${pub}\n`);
  fs.appendFileSync(
    client.config,
    [`Host ${name}`, '  HostName 127.0.0.1', `  Port ${port}`, `  User ${user}`, `  IdentityFile ${client.key}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${client.knownHosts}`, '  StrictHostKeyChecking yes', ''].join('\n'),
  );
  fs.mkdirSync('/run/sshd', { recursive: true }); // its privilege-separation folder (as root)
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn('/usr/sbin/sshd', ['-D', '-f', config, '-E', path.join(dir, 'sshd.log')], { stdio: 'ignore' });
    // Up when it accepts a connection.
    for (let i = 0; i < 100; i++) {
      if (await new Promise<boolean>((resolve) => net.connect(port, '127.0.0.1').once('connect', function (this: net.Socket) { this.destroy(); resolve(true); }).once('error', () => resolve(false)))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`sshd for ${name} did not start: ${fs.existsSync(path.join(dir, 'sshd.log')) ? fs.readFileSync(path.join(dir, 'sshd.log'), 'utf8') : ''}`);
  };
  const stop = () => {
    // The listener and every sshd process under it (as a dropped network would): the runners
    // started detached (tmux, setsid) are not sshd processes and keep running.
    const pid = child?.pid;
    if (pid) {
      const table = spawnSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' }).stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
      const under = new Set([pid]);
      for (let grew = true; grew; ) {
        grew = false;
        for (const [p, pp, comm] of table) {
          if (under.has(Number(p)) || !under.has(Number(pp)) || comm !== 'sshd') continue;
          under.add(Number(p));
          grew = true;
        }
      }
      for (const p of under) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    child = null;
  };
  await start();
  return {
    name,
    port,
    folder,
    host: { name, ssh: name, sshConfig: client.config, folder, maxParallel },
    stop,
    start,
    remove: () => {
      stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

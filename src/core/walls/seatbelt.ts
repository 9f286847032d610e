/**
 * The walls on macOS (ADR 0033): a Seatbelt profile (`sandbox-exec -p`) made from the walls' own
 * plan (`WallsPlan`, walls.ts) — the same plan bubblewrap's arguments are made from on Linux, in
 * the same order: later rules cover earlier ones, as bubblewrap's later mounts do. Pure.
 *
 * What the profile says: nothing is allowed but what it names (`deny default`); programs start
 * and fork, and see and signal only processes inside the same walls; everything may be read but
 * the secrets the plan hides and the contents of the machine's temporary folders (a private
 * `/tmp`: the attempt's own `TMPDIR` instead), where what it must read is shown again; only the
 * worktree, the plan's writable folders and that `TMPDIR` may be written, but what stays
 * read-only inside them; the network only to the walls' proxy on this machine's loopback (a port
 * of the attempt's own: macOS has no network namespace), to the model servers on this machine
 * the plan allows, and to the package's own ports (`WAVES_PORT_RANGE`) for the servers it starts.
 *
 * Every path is a parameter (`-D NAME=value` on sandbox-exec's command line, read by
 * `(param "NAME")`): no path is ever written into the profile's text, so no path can change what
 * the profile says, whatever characters it holds. Seatbelt matches a file's real path (`/tmp` is
 * `/private/tmp`): the caller gives real paths.
 */
import path from 'node:path';
import { isLoopback, isPort, type PathKind, type WallsPlan } from './walls';

/** sandbox-exec, only at its system path: one first on a PATH is not taken (Codex does the same). */
export const SANDBOX_EXEC = '/usr/bin/sandbox-exec';

/**
 * Secrets the walls hide on macOS besides `DEFAULT_HIDDEN`, relative to the home folder: the
 * keychains, where macOS keeps what Linux keeps in files (git's credentials through
 * `git-credential-osxkeychain`, passwords, certificates' keys).
 */
export const SEATBELT_HIDDEN: readonly string[] = ['Library/Keychains'];

/** What Seatbelt's walls do not keep that bubblewrap's do, said to the person as a run starts and first in each agent's log (sentences). */
export const SEATBELT_NOT_KEPT: readonly string[] = [
  "On macOS the agents' walls keep no memory limit (waves.sandbox.memoryMB / --memory-mb): Seatbelt sets none, and the runner reads an agent's memory from /proc, which macOS does not have; an agent may use what the machine has.",
];

/** What a profile is made from. */
export interface SeatbeltRequest {
  /** The walls' plan, every path real (the caller follows links: Seatbelt matches real paths). */
  plan: WallsPlan;
  /** What a path is on disk: a writable, read-only or read-back path that is not there is left out, as bubblewrap's arguments leave it. */
  kind: (p: string) => PathKind;
  /** The attempt's own temporary folder (its `TMPDIR`): writable. */
  tmp: string;
  /** The machine's temporary folders (`/private/tmp`, the user's `TMPDIR`): their contents are not shown, but what the plan must read there. */
  machineTmp: readonly string[];
  /** The loopback port the walls' proxy listens on for this attempt. */
  proxyPort: number;
  /** The package's own ports (`WAVES_PORT_RANGE`), which it may reach on the loopback: its servers'. */
  ownPorts?: { first: number; last: number } | null;
  /** A terminal agent keeps its terminal (bubblewrap's `--new-session` left out likewise). */
  interactive: boolean;
  /** An agent's attempt: the Unix socket of the run's tools in its folder (`waves.sock`, ADR 0036), the one socket it may connect to. */
  talkSocket?: string | null;
}

/** A profile: its text (for `-p`) and its parameters (for `-D`), in order. */
export interface SeatbeltProfile {
  text: string;
  params: { name: string; value: string }[];
}

/** `child` is `parent` or inside it (absolute POSIX paths: a profile is macOS's, wherever it is made). */
function within(child: string, parent: string): boolean {
  const rel = path.posix.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.posix.isAbsolute(rel));
}

/** The folders above `p`, nearest first, up to the root (not included). */
function ancestors(p: string): string[] {
  const out: string[] = [];
  for (let d = path.posix.dirname(p); d !== '/' && d !== '.'; d = path.posix.dirname(d)) out.push(d);
  return out;
}

const unique = (xs: readonly string[]) => [...new Set(xs.map((x) => path.posix.resolve(x)))];

/**
 * What every program needs of the system to run, and no more: the values it reads of the machine,
 * who the person is, certificates (TLS goes through the proxy's tunnel), logging, devices and
 * terminals. Written here after Chrome's and Codex's published Seatbelt policies.
 */
function systemRules(interactive: boolean): string[] {
  return [
    '; What programs need of the system to run (after the Seatbelt policies Chrome and Codex publish).',
    '(allow user-preference-read)',
    '(allow mach-host*)',
    '(allow ipc-posix-sem)',
    '(allow file-map-executable)',
    '(allow sysctl-read',
    '  (sysctl-name-prefix "hw.")',
    '  (sysctl-name-prefix "machdep.cpu.")',
    '  (sysctl-name "machdep.ptrauth_enabled")',
    '  (sysctl-name-prefix "kern.os")',
    '  (sysctl-name "kern.version")',
    '  (sysctl-name "kern.hostname")',
    '  (sysctl-name "kern.argmax")',
    '  (sysctl-name "kern.maxfiles")',
    '  (sysctl-name "kern.maxfilesperproc")',
    '  (sysctl-name "kern.maxproc")',
    '  (sysctl-name "kern.ngroups")',
    '  (sysctl-name "kern.usrstack64")',
    '  (sysctl-name "kern.secure_kernel")',
    '  (sysctl-name "kern.tcsm_available")',
    '  (sysctl-name "kern.tcsm_enable")',
    '  (sysctl-name-prefix "kern.proc.pid.")',
    '  (sysctl-name-prefix "kern.proc.pgrp.")',
    '  (sysctl-name "security.mac.lockdown_mode_state")',
    '  (sysctl-name "sysctl.proc_cputype")',
    '  (sysctl-name "vm.loadavg")',
    '  (sysctl-name-prefix "net.routetable."))',
    '(allow sysctl-write',
    '  (sysctl-name "kern.grade_cputype")',
    '  (sysctl-name "kern.tcsm_enable"))',
    '(allow iokit-open (iokit-registry-entry-class "RootDomainUserClient"))',
    '(allow mach-lookup',
    '  (global-name "com.apple.system.opendirectoryd.libinfo")',
    '  (global-name "com.apple.system.opendirectoryd.membership")',
    '  (global-name "com.apple.bsd.dirhelper")',
    '  (global-name "com.apple.PowerManagement.control")',
    '  (global-name "com.apple.logd")',
    '  (global-name "com.apple.system.logger")',
    '  (global-name "com.apple.SecurityServer")',
    '  (global-name "com.apple.trustd.agent")',
    '  (global-name "com.apple.ocspd")',
    '  (global-name "com.apple.SystemConfiguration.configd")',
    '  (global-name "com.apple.SystemConfiguration.DNSConfiguration"))',
    '(allow system-socket (socket-domain AF_UNIX))',
    '(allow system-socket (require-all (socket-domain AF_SYSTEM) (socket-protocol 2)))',
    '',
    '; Devices, and terminals: the pseudo-terminals it opens itself' + (interactive ? ', and the terminal it runs in.' : '; not the terminal of anyone else.'),
    '(allow file-read* file-write-data file-ioctl',
    '  (literal "/dev/null")',
    '  (literal "/dev/zero")',
    '  (literal "/dev/tty")',
    '  (literal "/dev/dtracehelper"))',
    '(allow file-read-data file-write-data (subpath "/dev/fd"))',
    '(allow pseudo-tty)',
    '(allow file-read* file-write* file-ioctl (literal "/dev/ptmx"))',
    '(allow file-read* file-write* file-ioctl',
    '  (require-all (regex #"^/dev/ttys[0-9]+$") (extension "com.apple.sandbox.pty")))',
    ...(interactive ? ['(allow file-read* file-write-data file-ioctl (regex #"^/dev/ttys[0-9]+$"))'] : []),
  ];
}

/**
 * The profile of one attempt's walls (an agent's, a verification step's, the set-up command's):
 * the plan's folders as parameters, in bubblewrap's order — everything readable, the machine's
 * temporary folders' contents not, what must be read there again, the writable folders, what stays
 * read-only inside them, the secrets last — then the network. Pure.
 */
export function seatbeltProfile(req: SeatbeltRequest): SeatbeltProfile {
  const { plan, kind } = req;
  const params: { name: string; value: string }[] = [];
  const param = (name: string, value: string) => {
    params.push({ name, value });
    return `(param "${name}")`;
  };
  const list = (prefix: string, paths: readonly string[], filters: (p: string) => string[]) => paths.flatMap((p, i) => filters(param(`${prefix}_${i}`, p)));
  const subpath = (p: string) => [`  (subpath ${p})`];
  const pathAndBelow = (p: string) => [`  (literal ${p})`, `  (subpath ${p})`];
  // A rule of one or more filters, after its comment; none: no rule (an empty one would match nothing, or everything).
  const rule = (comment: string, head: string, filters: string[]) => (filters.length ? [comment, head, ...filters.slice(0, -1), `${filters[filters.length - 1]})`] : []);

  const machineTmp = unique(req.machineTmp);
  const inMachineTmp = (p: string) => machineTmp.some((t) => within(p, t));
  const readBack = unique(plan.readBack).filter((p) => inMachineTmp(p) && kind(p));
  const writable = unique([plan.worktree, ...plan.write]).filter((p) => kind(p));
  const roots = [...writable, path.posix.resolve(req.tmp)];
  const readOnly = unique(plan.readOnly ?? []).filter((p) => kind(p));
  // A file the Linux walls show as a copy without its credentials: hidden here (Seatbelt cannot show another file in its place).
  const hidden = unique([...plan.hidden, ...(plan.replaced ?? []).map((r) => r.path)]);
  // The folders holding what stays read-only or hidden, inside a writable one: not renamed or removed (a moved folder takes its rules' paths away).
  const keep = unique([...readOnly, ...hidden].flatMap((p) => ancestors(p).filter((a) => roots.some((r) => within(a, r)))));

  const worktree = path.posix.resolve(plan.worktree);
  const lines: string[] = [
    '(version 1)',
    "; The walls of one attempt on macOS, made by Wave Orchestrator from the walls' plan.",
    '; Every path is a parameter (sandbox-exec -D NAME=value): none is written in this text.',
    "; Later rules cover earlier ones, as bubblewrap's later mounts do.",
    '(deny default)',
    '',
    '; Processes: programs start and fork; they see and signal only the processes inside these walls.',
    '(allow process-exec)',
    '(allow process-fork)',
    '(allow process-info* (target same-sandbox))',
    '(allow signal (target same-sandbox))',
    '',
    ...systemRules(req.interactive),
    '',
    '; Reads: everything...',
    '(allow file-read*)',
    ...rule("; ...but the contents of the machine's temporary folders: a private /tmp (its own is TMPDIR)...", '(deny file-read-data file-read-xattr', list('MACHINE_TMP', machineTmp, subpath)),
    ...rule('; ...where what it must read is shown again.', '(allow file-read-data file-read-xattr', list('READ_BACK', readBack, subpath)),
    '',
    ...rule("; Writes: the worktree, the attempt's folders, git's, the agents' shared caches, its TMPDIR; nothing else...", '(allow file-read* file-write*', [
      ...(writable.includes(worktree) ? subpath(param('WORKTREE', worktree)) : []),
      ...list(
        'WRITE',
        writable.filter((p) => p !== worktree),
        subpath,
      ),
      ...subpath(param('TMPDIR', path.posix.resolve(req.tmp))),
    ]),
    ...rule('; ...but what stays read-only inside them...', '(deny file-write*', list('READ_ONLY', readOnly, pathAndBelow)),
    ...rule('; ...nor are the folders holding that, or a secret, renamed or removed.', '(deny file-write-unlink', list('KEEP', keep, (p) => [`  (literal ${p})`])),
  ];
  if (hidden.length) lines.push('', ...rule('; The secrets: neither read nor written, whatever rule above allows (last: no rule comes after).', '(deny file-read* file-write*', list('HIDDEN', hidden, pathAndBelow)));
  // The run's tools: the attempt's own socket, by its path (no network: bubblewrap's walls let it through the attempt folder they show).
  if (req.talkSocket) lines.push('', "; The run's tools (talk-back): the attempt's own socket, and no other.", `(allow network-outbound (remote unix-socket (path-literal ${param('TALK_SOCKET', path.posix.resolve(req.talkSocket))})))`);
  lines.push('', ...networkRules(req));
  return { text: lines.join('\n') + '\n', params };
}

/** The network: the walls' proxy on the loopback; the model servers on this machine the plan allows; the package's own ports. */
function networkRules(req: SeatbeltRequest): string[] {
  const at = (port: number) => `(remote ip "localhost:${port}")`;
  if (req.plan.network === null) return ['; Network: none.'];
  if (!isPort(req.proxyPort)) throw new RangeError(`the walls' proxy port ${req.proxyPort} is not a port`);
  const lines = [
    "; Network: only the walls' proxy, on this machine's loopback (it lets through the hosts allowed, and names what it refuses).",
    `(allow network-outbound ${at(req.proxyPort)})`,
  ];
  const loopback = [...new Set(req.plan.network.filter(isLoopback).map((t) => t.port))].filter((p) => p !== req.proxyPort);
  if (loopback.length) lines.push('; The model servers on this machine it may reach.', ...loopback.map((p) => `(allow network-outbound ${at(p)})`));
  lines.push('; The servers it starts: bound on the loopback, reached on the ports of its own range.', '(allow network-bind network-inbound (local ip "localhost:*"))');
  const own = req.ownPorts;
  if (own && isPort(own.first) && isPort(own.last) && own.first <= own.last) {
    const ports = Array.from({ length: own.last - own.first + 1 }, (_, i) => own.first + i).filter((p) => p !== req.proxyPort);
    const rows: string[] = [];
    for (let i = 0; i < ports.length; i += 5) rows.push(`  ${ports.slice(i, i + 5).map(at).join(' ')}`);
    if (rows.length) lines.push('(allow network-outbound', ...rows.slice(0, -1), `${rows[rows.length - 1]})`);
  }
  return lines;
}

/** The package's own ports from its `WAVES_PORT_RANGE` (`first-last`), or null. */
export function ownPortsOf(range: string | undefined): { first: number; last: number } | null {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(range?.trim() ?? '');
  if (!m) return null;
  const first = Number(m[1]);
  const last = Number(m[2]);
  return isPort(first) && isPort(last) && first <= last && last - first < 1000 ? { first, last } : null;
}

/** sandbox-exec's argv for `argv` inside a profile: by argv, never a shell; each parameter one `-DNAME=value`. */
export function seatbeltArgv(profile: SeatbeltProfile, argv: readonly string[], sandboxExec = SANDBOX_EXEC): string[] {
  return [sandboxExec, '-p', profile.text, ...profile.params.map((p) => `-D${p.name}=${p.value}`), '--', ...argv];
}

/**
 * A profile as a person reviews it (the golden files of test/fixtures/walls/seatbelt): its text,
 * then its parameters as comments, each value a JSON string on one line (a newline, a quote or a
 * backslash in a path cannot end the comment).
 */
export function seatbeltForReview(profile: SeatbeltProfile): string {
  return `${profile.text}\n; Parameters (sandbox-exec -D NAME=value), each value as a JSON string:\n${profile.params.map((p) => `; ${p.name}=${JSON.stringify(p.value)}`).join('\n')}\n`;
}

/**
 * The profile the trial of Seatbelt's walls runs `true` in (confinement.ts): every kind of rule
 * the walls write, so that a macOS whose Seatbelt does not read one of them says so before any
 * agent starts. `dir`: a real folder of the machine's temporary ones.
 */
export function seatbeltTrial(dir: string, home: string): SeatbeltRequest {
  const d = (name: string) => path.posix.join(dir, name);
  return {
    plan: {
      worktree: d('tree'),
      write: [d('cache')],
      readBack: [d('read')],
      readOnly: [d('cache/done')],
      hidden: [path.posix.join(home, '.ssh'), d('cache/secret')],
      network: [{ host: '127.0.0.1', port: 11434 }],
    },
    kind: () => 'dir',
    tmp: d('tmp'),
    machineTmp: [dir],
    proxyPort: 3128,
    ownPorts: { first: 41000, last: 41001 },
    interactive: false,
    talkSocket: d('attempt/waves.sock'),
  };
}

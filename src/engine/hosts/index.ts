/**
 * The hosts room: attempts on machines reached over SSH (ADR 0011).
 *   hostsExecutor.ts  the executor that places each package on a host of the list (or here)
 *   sshExecutor.ts    attempts on one SSH host
 *   ssh.ts            the shared SSH connection to a host
 *   hostCopy.ts       the copy list into a tree on an SSH host
 *   hostsCheck.ts     whether each host is reachable and has what a run needs
 */
export { HostsExecutor, type HostsExecutorOptions } from './hostsExecutor';
export { checkHost, checkHosts, nodeProblems, readHostsFile, type HostCheck } from './hostsCheck';

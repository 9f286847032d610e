/**
 * Why bubblewrap cannot make the walls, from the facts the engine reads (core/walls/containerCheck.ts).
 * bubblewrap's words are real ones, each from where it was seen:
 * - measured on this project's test machine, bubblewrap 0.8.0 inside Podman 4.3 (runc), Debian 12
 *   (test/containers/walls.test.ts does it again): `podman run` as uid 1000 → "Can't mount proc";
 *   as root → "Creating new namespace failed: Operation not permitted";
 * - bubblewrap's own sources (bubblewrap.c, both spellings of its EPERM message: "No permissions to
 *   creating new namespace" until 0.11, "to create a new namespace" since commit e023f36), and
 *   Debian's own wording ("to create new namespace … See <https://deb.li/bubblewrap>"), measured;
 * - containers/bubblewrap#505 and #284 (Docker and Podman: seccomp, then the masked /proc);
 * - typeclaw/typeclaw#1441 (Docker on Ubuntu 24.04: "Failed to make / slave: Permission denied",
 *   then with apparmor=unconfined "setting up uid map: Permission denied");
 * - fsquillace/junest#355, akitaonrails/ai-jail#34 (Ubuntu 24.04: "setting up uid map");
 * - openclaw/openclaw#83791 ("loopback: Failed RTM_NEWADDR: Operation not permitted" under AppArmor);
 * - openai/codex#17547 (Docker's seccomp: "pivot_root: Operation not permitted").
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  causesOf,
  containerOf,
  containerWallNote,
  devcontainerOpensWalls,
  variableOpeningWalls,
  devcontainerTurnsContainerOn,
  diagnoseWalls,
  missingText,
  parseJsonc,
  placeOf,
  placeText,
  securityOptions,
  settingsTurnContainerOn,
  trialLine,
  WINDOWS_FIX,
  WINDOWS_WHY,
  type CauseId,
  type WallsFacts,
} from '../../../src/core/walls/containerCheck';

const NO_PERMISSIONS_NEW = "bwrap: No permissions to create a new namespace, likely because the kernel does not allow non-privileged user namespaces. On e.g. debian this can be enabled with 'sysctl kernel.unprivileged_userns_clone=1'.";
const NO_PERMISSIONS_OLD = "bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces. On e.g. debian this can be enabled with 'sysctl kernel.unprivileged_userns_clone=1'.";
/** Debian 12's bubblewrap 0.8.0 (its own wording), measured here under Docker's seccomp profile (test/containers/). */
const NO_PERMISSIONS_DEBIAN = 'bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces. See <https://deb.li/bubblewrap> or <file:///usr/share/doc/bubblewrap/README.Debian.gz>.';
const SLAVE = 'bwrap: Failed to make / slave: Permission denied';
const PROC = "bwrap: Can't mount proc on /newroot/proc: Operation not permitted";
const ROOT = 'bwrap: Creating new namespace failed: Operation not permitted';
const UID_MAP = 'bwrap: setting up uid map: Permission denied';
const LOOPBACK = 'bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted';
const PIVOT = 'bwrap: pivot_root: Operation not permitted';
const ENOSPC = 'bwrap: Creating new namespace failed: nesting depth or /proc/sys/user/max_*_namespaces exceeded (ENOSPC)';
const EINVAL = 'bwrap: Creating new namespace failed, likely because the kernel does not support user namespaces.  bwrap must be installed setuid on such systems.';
const TMPFS = 'bwrap: Failed to mount tmpfs: Permission denied';

const DEVCONTAINER = { REMOTE_CONTAINERS: 'true' };
/** Linux in a Docker Dev Container, a non-root user, Docker's seccomp filter on: the usual case. */
const docker: WallsFacts = { platform: 'linux', uid: 1000, seccomp: 2, maxUserNamespaces: 63000, dockerEnv: true, cgroup: '0::/\n', env: DEVCONTAINER };
const podman: WallsFacts = { platform: 'linux', uid: 1000, seccomp: 2, maxUserNamespaces: 63000, containerEnv: true, cgroup: '0::/\n', env: {} };
const host: WallsFacts = { platform: 'linux', uid: 1000, seccomp: 0, maxUserNamespaces: 63000, cgroup: '0::/user.slice/user-1000.slice\n', procVersion: 'Linux version 6.8.0-36-generic (buildd@lcy02-amd64-060)' };

describe('where the agents would run', () => {
  const rows: { name: string; facts: WallsFacts; text: string }[] = [
    { name: 'a Docker Dev Container (REMOTE_CONTAINERS)', facts: docker, text: 'this Dev Container' },
    { name: 'a codespace', facts: { ...docker, env: { CODESPACES: 'true', REMOTE_CONTAINERS: 'true' } }, text: 'this codespace' },
    { name: 'the devcontainer CLI (DEVCONTAINER)', facts: { ...docker, env: { DEVCONTAINER: 'true' } }, text: 'this Dev Container' },
    { name: 'a plain Docker container', facts: { ...docker, env: {} }, text: 'this Docker container' },
    { name: 'a Podman container (/run/.containerenv)', facts: podman, text: 'this Podman container' },
    { name: 'a container seen only by its cgroup (cgroup v1, Docker)', facts: { platform: 'linux', cgroup: '12:pids:/docker/3f1e…\n' }, text: 'this Docker container' },
    { name: 'a Kubernetes pod', facts: { platform: 'linux', cgroup: '0::/kubepods/besteffort/pod1\n' }, text: 'this container' },
    { name: 'WSL 2, named by its distribution', facts: { ...host, procVersion: 'Linux version 5.15.153.1-microsoft-standard-WSL2 (root@941d701f84f1)', env: { WSL_DISTRO_NAME: 'Ubuntu' } }, text: 'WSL 2 (Ubuntu)' },
    { name: 'WSL 1', facts: { ...host, procVersion: 'Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com) (gcc version 5.4.0)' }, text: 'WSL 1' },
    { name: 'a Dev Container on Windows (WSL 2 kernel, but a container first)', facts: { ...docker, procVersion: 'Linux version 5.15.153.1-microsoft-standard-WSL2' }, text: 'this Dev Container' },
    { name: 'a Linux desktop', facts: host, text: 'this machine' },
    { name: 'macOS', facts: { platform: 'darwin' }, text: 'macOS' },
    { name: 'native Windows', facts: { platform: 'win32' }, text: 'Windows' },
  ];
  for (const r of rows) it(r.name, () => assert.equal(placeText(placeOf(r.facts)), r.text));

  it('a variable alone proves no container: REMOTE_CONTAINERS or CODESPACES on a host is the host', () => {
    assert.equal(containerOf({ ...host, env: { REMOTE_CONTAINERS: 'true', CODESPACES: 'true', container: 'podman' } }), null);
    assert.deepEqual(placeOf({ ...host, env: { REMOTE_CONTAINERS: 'true' } }), { kind: 'linux' });
    assert.deepEqual(containerOf(docker), { kind: 'container', runtime: 'docker', dev: 'dev-container' });
  });
});

describe('what stands in the way, and the exact fix', () => {
  const rows: { name: string; facts: WallsFacts; causes: CauseId[]; fix: RegExp[]; not?: RegExp[] }[] = [
    {
      name: "Docker's seccomp profile in a Dev Container: the three security options in devcontainer.json's runArgs",
      facts: { ...docker, trialError: NO_PERMISSIONS_NEW },
      causes: ['seccomp'],
      fix: [/^in \.devcontainer\/devcontainer\.json: "runArgs": \["--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined", "--security-opt", "systempaths=unconfined"\], then Rebuild Container/, /waves\.sandbox\.container/],
      not: [/sysctl/],
    },
    { name: 'the same with bubblewrap before 0.11 ("No permissions to creating")', facts: { ...docker, trialError: NO_PERMISSIONS_OLD }, causes: ['seccomp'], fix: [/seccomp=unconfined/] },
    {
      name: "Docker's seccomp profile under Podman, Debian's bubblewrap (measured): unmask and seccomp=unconfined",
      facts: { ...podman, trialError: NO_PERMISSIONS_DEBIAN },
      causes: ['seccomp'],
      fix: [/^start the container with --security-opt unmask=\/proc\/\* --security-opt seccomp=unconfined \(podman run\)$/],
    },
    { name: 'a codespace: rebuild the codespace', facts: { ...docker, env: { CODESPACES: 'true' }, trialError: NO_PERMISSIONS_NEW }, causes: ['seccomp'], fix: [/then rebuild the codespace/] },
    { name: "Docker's AppArmor profile after seccomp=unconfined", facts: { ...docker, seccomp: 0, trialError: SLAVE }, causes: ['apparmor-profile'], fix: [/apparmor=unconfined/, /systempaths=unconfined/] },
    { name: "Docker's masked /proc after seccomp and AppArmor", facts: { ...docker, seccomp: 0, trialError: PROC }, causes: ['masked-proc'], fix: [/systempaths=unconfined/] },
    { name: "Docker's seccomp refusing pivot_root", facts: { ...docker, uid: 0, trialError: PIVOT }, causes: ['seccomp'], fix: [/seccomp=unconfined/] },
    {
      name: "Podman's masked /proc (measured): unmask=/proc/* on podman run, nothing else",
      facts: { ...podman, trialError: PROC },
      causes: ['masked-proc'],
      fix: [/^start the container with --security-opt unmask=\/proc\/\* \(podman run\)$/],
      not: [/seccomp=unconfined/, /systempaths/],
    },
    {
      name: 'root in a Podman container (measured): another user, then the options',
      facts: { ...podman, uid: 0, trialError: ROOT },
      causes: ['root-without-caps'],
      fix: [/^run as a user other than root: --user 1000:1000/, /unmask=\/proc\/\*/],
    },
    {
      name: 'root in a Dev Container: remoteUser',
      facts: { ...docker, uid: 0, trialError: ROOT },
      causes: ['root-without-caps'],
      fix: [/"remoteUser"/, /"runArgs"/],
    },
    { name: 'bubblewrap setuid in a container: take the bit away', facts: { ...docker, bwrapSetuid: true, trialError: ROOT }, causes: ['setuid-without-caps'], fix: [/sudo chmod u-s \/usr\/bin\/bwrap/] },
    {
      name: 'Ubuntu 24.04 host with AppArmor unconfined in the container: the host sysctl',
      facts: { ...docker, seccomp: 0, apparmorRestrict: 1, trialError: UID_MAP },
      causes: ['apparmor-userns'],
      fix: [/^on the machine that runs the container .*: sudo sysctl -w kernel\.apparmor_restrict_unprivileged_userns=0, and the line kernel\.apparmor_restrict_unprivileged_userns=0 in a file of \/etc\/sysctl\.d\/ to keep it$/],
      not: [/"runArgs"/],
    },
    {
      name: 'Docker seccomp on an Ubuntu 24.04 host: the runArgs, and then the host sysctl (each layer hides the next)',
      facts: { ...docker, apparmorRestrict: 1, trialError: NO_PERMISSIONS_NEW },
      causes: ['seccomp', 'apparmor-userns'],
      fix: [/"runArgs"/, /kernel\.apparmor_restrict_unprivileged_userns=0/],
    },
    { name: 'Ubuntu 24.04 desktop: the sysctl on this machine', facts: { ...host, apparmorRestrict: 1, trialError: UID_MAP }, causes: ['apparmor-userns'], fix: [/^on this machine: sudo sysctl -w kernel\.apparmor_restrict_unprivileged_userns=0/], not: [/waves\.sandbox\.container/] },
    { name: "AppArmor's restriction refusing the walls' network", facts: { ...host, apparmorRestrict: 1, trialError: LOOPBACK }, causes: ['apparmor-userns'], fix: [/apparmor_restrict_unprivileged_userns=0/] },
    { name: 'root in a container without CAP_NET_ADMIN', facts: { ...podman, uid: 0, trialError: LOOPBACK }, causes: ['no-net-admin'], fix: [/run as a user other than root/] },
    { name: "older Debian's switch", facts: { ...host, usernsClone: 0, trialError: NO_PERMISSIONS_NEW }, causes: ['userns-clone-off'], fix: [/^on this machine: sudo sysctl -w kernel\.unprivileged_userns_clone=1/] },
    { name: 'user namespaces switched off', facts: { ...host, maxUserNamespaces: 0, trialError: NO_PERMISSIONS_NEW }, causes: ['max-userns-zero'], fix: [/user\.max_user_namespaces=15000/] },
    {
      name: "Docker's seccomp and the host's Debian switch: both, the container's first",
      facts: { ...docker, usernsClone: 0, trialError: NO_PERMISSIONS_NEW },
      causes: ['seccomp', 'userns-clone-off'],
      fix: [/"runArgs"/, /^on the machine that runs the container.*kernel\.unprivileged_userns_clone=1/],
    },
    { name: 'the namespaces exhausted', facts: { ...host, trialError: ENOSPC }, causes: ['ns-exhausted'], fix: [/user\.max_user_namespaces=15000/] },
    { name: 'a kernel without user namespaces', facts: { ...host, trialError: EINVAL }, causes: ['no-userns-kernel'], fix: [/chmod u\+s/] },
    { name: "SELinux in a Podman container", facts: { ...podman, trialError: TMPFS }, causes: ['selinux'], fix: [/label=disable/] },
    { name: 'WSL 1: to WSL 2', facts: { ...host, procVersion: 'Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com)', env: { WSL_DISTRO_NAME: 'Debian' }, trialError: EINVAL }, causes: ['wsl1'], fix: [/^convert this distribution to WSL 2: in Windows, wsl --set-version Debian 2$/] },
    { name: 'something else on a host: said as it is, nothing promised', facts: { ...host, trialError: 'bwrap: execvp true: No such file or directory' }, causes: ['unknown'], fix: [], not: [/./] },
    { name: 'something else in a Docker container: the documented options', facts: { ...docker, env: {}, trialError: 'bwrap: something new' }, causes: ['unknown'], fix: [/^start the container with --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined \(docker run\)$/] },
    { name: 'a container of an unknown runtime: docker and podman both named', facts: { platform: 'linux', uid: 1000, seccomp: 2, cgroup: '0::/kubepods/pod1\n', trialError: NO_PERMISSIONS_NEW }, causes: ['seccomp'], fix: [/\(docker run \/ podman run\)/, /unmask=\/proc\/\* is enough/] },
  ];
  for (const r of rows) {
    it(r.name, () => {
      const d = diagnoseWalls(r.facts);
      assert.deepEqual(d.causes, r.causes);
      assert.deepEqual(causesOf(r.facts), r.causes);
      for (const want of r.fix) assert.ok(d.fix.some((l) => want.test(l)), `a fix line matches ${want}:\n${d.fix.join('\n')}`);
      for (const bad of r.not ?? []) assert.ok(!d.fix.some((l) => bad.test(l)), `no fix line matches ${bad}:\n${d.fix.join('\n')}`);
      assert.ok(d.why.startsWith(`bubblewrap cannot make walls in ${placeText(d.place)} (${trialLine(r.facts.trialError)}): `), d.why);
      assert.ok(!/#\d/.test(d.why + d.fix.join('')), 'no issue number in what a person reads');
    });
  }

  it("the why names the place, bubblewrap's own line and each cause in order", () => {
    const d = diagnoseWalls({ ...docker, apparmorRestrict: 1, trialError: `${NO_PERMISSIONS_NEW}\n` });
    assert.equal(
      d.why,
      `bubblewrap cannot make walls in this Dev Container (${NO_PERMISSIONS_NEW}): the container's seccomp profile (the runtime's default) refuses the user namespaces the walls are made of; and then AppArmor restricts unprivileged user namespaces on this kernel (kernel.apparmor_restrict_unprivileged_userns=1, Ubuntu 23.10 and later)`,
    );
  });

  it("bubblewrap's line: the first that names bwrap, else the first that says something", () => {
    assert.equal(trialLine('warning: something\nbwrap: Failed to make / slave: Permission denied\n'), SLAVE);
    assert.equal(trialLine('\n  spawn bwrap ENOENT \n'), 'spawn bwrap ENOENT');
    assert.equal(trialLine(null), '');
  });

  it('the security options by runtime: Docker all three at once, Podman only what was met', () => {
    assert.deepEqual(securityOptions('docker', ['seccomp']), ['seccomp=unconfined', 'apparmor=unconfined', 'systempaths=unconfined']);
    assert.deepEqual(securityOptions('podman', ['masked-proc']), ['unmask=/proc/*']);
    assert.deepEqual(securityOptions('podman', ['seccomp', 'apparmor-profile']), ['unmask=/proc/*', 'seccomp=unconfined', 'apparmor=unconfined']);
    assert.deepEqual(securityOptions('docker', ['apparmor-userns']), [], "the kernel's switch is no option of the container");
  });

  it('bubblewrap missing: where to install it, by place', () => {
    assert.match(missingText({ kind: 'wsl', version: 2, distro: 'Ubuntu' }), /^bubblewrap \(bwrap\) is not installed in WSL 2 \(Ubuntu\): install it in the distribution/);
    assert.match(missingText({ kind: 'container', runtime: 'docker', dev: 'dev-container' }), /not installed in this Dev Container: add it to the image .*waves\.sandbox\.container/);
    assert.match(missingText({ kind: 'linux' }), /^bubblewrap \(bwrap\) is not installed: install it \(Debian\/Ubuntu: apt install bubblewrap/);
  });

  it('native Windows: open the folder in WSL, with the command and the docs', () => {
    assert.match(WINDOWS_WHY, /open the folder in WSL/);
    assert.ok(WINDOWS_FIX.some((l) => l.includes('Reopen Folder in WSL') && l.includes('ms-vscode-remote.remote-wsl')));
    assert.ok(WINDOWS_FIX.some((l) => l.includes('https://code.visualstudio.com/docs/remote/wsl')));
  });

  it("the container-as-wall note names the container and the person's choice", () => {
    assert.match(containerWallNote({ kind: 'container', runtime: 'podman', dev: null }), /^the agents run without bubblewrap: this Podman container is their wall, as you chose \(your own setting waves\.sandbox\.container/);
  });
});

describe("the container-as-wall choice is the person's, never a repository's", () => {
  it('a workspace settings file (comments, trailing commas) that turns it on', () => {
    assert.equal(settingsTurnContainerOn('{\n  // agents\n  "waves.sandbox.container": true,\n}\n'), true);
    assert.equal(settingsTurnContainerOn('{ "waves.sandbox.container": false }'), false);
    assert.equal(settingsTurnContainerOn('{ /* "waves.sandbox.container": true */ "a": "// not a comment" }'), false, 'a comment or a string says nothing');
    assert.equal(settingsTurnContainerOn('{ "settings": { "waves.sandbox.container": true } }', true), true, 'a .code-workspace file: its settings');
    assert.equal(settingsTurnContainerOn('{ "waves.sandbox.container": true', false), false, 'a file that cannot be read turns nothing on');
  });

  it("a repository's devcontainer.json: its settings, its containerEnv or remoteEnv", () => {
    assert.equal(devcontainerTurnsContainerOn('{ "customizations": { "vscode": { "settings": { "waves.sandbox.container": true } } } }'), 'its settings set waves.sandbox.container');
    assert.equal(devcontainerTurnsContainerOn('{ "settings": { "waves.sandbox.container": true } }'), 'its settings set waves.sandbox.container');
    assert.equal(devcontainerTurnsContainerOn('// x\n{ "containerEnv": { "WAVES_SANDBOX_CONTAINER": "1" }, }'), 'its containerEnv sets WAVES_SANDBOX_CONTAINER');
    assert.equal(devcontainerTurnsContainerOn('{ "remoteEnv": { "WAVES_SANDBOX_CONTAINER": "true" } }'), 'its remoteEnv sets WAVES_SANDBOX_CONTAINER');
    assert.equal(devcontainerTurnsContainerOn('{ "remoteEnv": { "WAVES_SANDBOX_CONTAINER": "0" }, "runArgs": ["--security-opt", "seccomp=unconfined"] }'), null);
    assert.equal(devcontainerTurnsContainerOn('not json'), null);
  });

  it("a repository's devcontainer.json that opens the walls any other way: each setting and variable that opens them, never one that keeps them", () => {
    const settings = (o: Record<string, unknown>) => JSON.stringify({ customizations: { vscode: { settings: o } } });
    const opening: [Record<string, unknown>, string][] = [
      [{ 'waves.sandbox.unconfined': true }, 'waves.sandbox.unconfined'],
      [{ 'waves.sandbox.allowHosts': ['example.com:443'] }, 'waves.sandbox.allowHosts'],
      [{ 'waves.sandbox.write': ['~/shared'] }, 'waves.sandbox.write'],
      [{ 'waves.sandbox.read': ['/srv/data'] }, 'waves.sandbox.read'],
      [{ 'waves.sandbox.registries': true }, 'waves.sandbox.registries'],
      [{ 'waves.sandbox.cache': '/tmp/cache' }, 'waves.sandbox.cache'],
      [{ 'waves.sandbox.memoryMB': 0 }, 'waves.sandbox.memoryMB'],
    ];
    for (const [o, key] of opening) assert.equal(devcontainerOpensWalls(settings(o)), `its settings set ${key}`, key);
    for (const [o, key] of opening) assert.equal(devcontainerOpensWalls(settings(o), 'container'), null, `${key} is not the container-as-wall choice`);
    const keeping = [{ 'waves.sandbox.unconfined': false }, { 'waves.sandbox.allowHosts': [] }, { 'waves.sandbox.hidden': ['~/.netrc'] }, { 'waves.sandbox.memoryMB': 4096 }, { 'waves.sandbox.cache': '  ' }, { 'waves.agent': 'claude' }];
    for (const o of keeping) assert.equal(devcontainerOpensWalls(settings(o)), null, JSON.stringify(o));
    assert.equal(devcontainerOpensWalls('{ "containerEnv": { "WAVES_SANDBOX_ALLOW": "example.com:443" } }'), 'its containerEnv sets WAVES_SANDBOX_ALLOW');
    assert.equal(devcontainerOpensWalls('{ "remoteEnv": { "WAVES_SANDBOX_REGISTRIES": "yes", "WAVES_SANDBOX_WRITE": "" } }'), 'its remoteEnv sets WAVES_SANDBOX_REGISTRIES');
    assert.equal(devcontainerOpensWalls('{ "remoteEnv": { "WAVES_SANDBOX_MEMORY_MB": "0" } }'), 'its remoteEnv sets WAVES_SANDBOX_MEMORY_MB');
    assert.equal(devcontainerOpensWalls('{ "remoteEnv": { "WAVES_SANDBOX_MEMORY_MB": "2048", "WAVES_SANDBOX_REGISTRIES": "0" } }'), null);
    assert.equal(devcontainerOpensWalls('{ "image": "debian" '), null, 'a file that cannot be read opens nothing');
  });

  it('the variables of the environment that open the walls (a dev container makes its containerEnv theirs)', () => {
    assert.equal(variableOpeningWalls({ WAVES_SANDBOX_ALLOW: 'example.com:443' }), 'WAVES_SANDBOX_ALLOW');
    assert.equal(variableOpeningWalls({ WAVES_SANDBOX_CONTAINER: 'on' }), 'WAVES_SANDBOX_CONTAINER');
    assert.equal(variableOpeningWalls({ WAVES_SANDBOX_MEMORY_MB: '0' }), 'WAVES_SANDBOX_MEMORY_MB');
    assert.equal(variableOpeningWalls({ WAVES_SANDBOX_CONTAINER: '0', WAVES_SANDBOX_ALLOW: ' ', WAVES_SANDBOX_MEMORY_MB: '4096', PATH: '/usr/bin' }), null);
  });

  it('JSON with comments: strings keep their slashes and escaped quotes', () => {
    assert.deepEqual(parseJsonc('{ "a": "http://x/*y*/", "b": "q\\"//", /* c */ "d": [1, 2,], }'), { a: 'http://x/*y*/', b: 'q"//', d: [1, 2] });
  });
});

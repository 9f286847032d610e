/**
 * The benches' child subreaper (scale.bench.ts, workers.bench.ts): a driver's CPU with every
 * process it started, however detached.
 */
import { spawnSync } from 'node:child_process';

/**
 * Runs argv[2:] as a child subreaper's child (prctl PR_SET_CHILD_SUBREAPER), so every process it
 * starts comes back to it to be reaped, also those whose parent ended first (detached runners,
 * bubblewrap's inner processes). Forwards SIGINT and SIGTERM to its child. Writes to argv[1] the
 * child's exit code, its wall time and the CPU (user + sys) of every process it reaped, up to
 * 15 s after the child's exit. Python: Node cannot be a subreaper.
 */
export const REAPER = `import ctypes, json, os, signal, sys, time
out, argv = sys.argv[1], sys.argv[2:]
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0: sys.exit('prctl(PR_SET_CHILD_SUBREAPER) failed')
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    os.execv(argv[0], argv)
def forward(sig, frame):
    try: os.kill(pid, sig)
    except ProcessLookupError: pass
signal.signal(signal.SIGINT, forward)
signal.signal(signal.SIGTERM, forward)
code = wall = deadline = None
while True:
    try:
        p, status = os.waitpid(-1, 0 if deadline is None else os.WNOHANG)
    except ChildProcessError:
        break
    except InterruptedError:
        continue
    if p == 0:
        if time.monotonic() > deadline: break
        time.sleep(0.02)
    elif p == pid:
        code, wall, deadline = os.waitstatus_to_exitcode(status), time.monotonic() - t0, time.monotonic() + 15
t = os.times()
json.dump({'code': code, 'wall': wall, 'cpu': t.children_user + t.children_system}, open(out, 'w'))
`;
export const reaperWorks = (): boolean => spawnSync('python3', ['-c', REAPER.replace('sys.argv[1], sys.argv[2:]', "'/dev/null', ['/bin/true']")]).status === 0;

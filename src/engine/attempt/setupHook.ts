/**
 * The set-up hook (`EngineOptions.setupHook`, an argv): run in a package's new worktree before
 * its agent, inside walls drawn for a command (ADR 0026: its tree writable, the toolchains'
 * caches, the registries when the person allowed them) unless the person chose none; whether it
 * ran to the end there is the tree's mark (git/treeMarks.ts).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { copiedInto, copyListIntoTree, copyLogText, isSetUp, markCopied, markSetUp } from '../git';
import { refusedIn, walledCommand, type CommandWalls, type WalledCommand } from './verification';
import { shareInstall, sharedInstallFor } from './wallsDeps';
import { installAnsweredByLaying } from './wallsNpmCi';
import { signalGroup } from './processTree';

/**
 * Calls `stopIt(why)` once, when `signal` aborts (its package cancelled) or `timeoutMs` passes (its
 * package's time limit), `why` saying which as a set-up command's log says it; the function
 * returned forgets both (the command ended). Here and on an SSH host (sshExecutor.ts) alike.
 */
export function whenSetUpStops(signal: AbortSignal | undefined, timeoutMs: number | undefined, stopIt: (why: string) => void): () => void {
  const onAbort = () => stopIt('the set-up hook was stopped: its package was cancelled');
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const timer = timeoutMs ? setTimeout(() => stopIt("the set-up hook did not end within its package's time limit (timeout_minutes): stopped"), timeoutMs) : null;
  return () => {
    signal?.removeEventListener('abort', onAbort);
    if (timer) clearTimeout(timer);
  };
}

export interface SetupHookResult {
  ok: boolean;
  code: number | null;
  signal: string | null;
  /** The last lines of the hook's output (for the failure message). */
  tail: string;
  log: string;
  /** What its walls say of it (`refusedIn`: "; its walls refused a connection to …", the read-only files it met…), or ''. */
  refused: string;
}

/**
 * Runs a set-up hook (an argv, never a shell string) in a new worktree; stdout and stderr go
 * to `log`. A failure is returned with the log's tail — never swallowed — and what its walls
 * refused (`setup-walls.jsonl` next to `log`), named as a verification step's are. `stop`
 * aborted (its package cancelled), or `timeoutMs` passed: the hook and everything it started are
 * killed, and it fails, its log saying which.
 */
export function runSetupHook(worktree: string, argv: readonly string[], log: string, confined?: { walls: CommandWalls; attemptDir: string }, tailLines = 20, stop?: AbortSignal, timeoutMs?: number): Promise<SetupHookResult> {
  fs.mkdirSync(path.dirname(log), { recursive: true });
  const fd = fs.openSync(log, 'a');
  const wallsLog = path.join(path.dirname(log), 'setup-walls.jsonl');
  let run: WalledCommand | undefined;
  const finish = (code: number | null, signal: string | null, extra = ''): SetupHookResult => {
    if (extra) fs.writeSync(fd, extra);
    fs.closeSync(fd);
    const text = fs.readFileSync(log, 'utf8');
    const tail = text.split('\n').filter((l) => l.trim() !== '').slice(-tailLines).join('\n');
    return { ok: code === 0 && signal === null, code, signal, tail, log, refused: confined && run ? refusedIn(wallsLog, run, code === 0 && signal === null, text) : '' };
  };
  return new Promise((resolve) => {
    if (argv.length === 0 || !argv[0]) {
      resolve(finish(null, null, 'the set-up hook is empty\n'));
      return;
    }
    const env = { ...process.env };
    run = walledCommand({ file: argv[0], args: argv.slice(1) }, worktree, confined?.attemptDir ?? path.dirname(log), wallsLog, confined?.walls, env);
    // A process group of its own, so a stop reaches what it started (its walls die with the runner: bubblewrap's --die-with-parent).
    const child = spawn(run.file, run.args, { cwd: worktree, env, shell: false, stdio: ['ignore', fd, fd], windowsHide: true, detached: process.platform !== 'win32' });
    let stopped: string | null = null;
    const done = whenSetUpStops(stop, timeoutMs, (why) => {
      stopped = `waves: ${why}`;
      signalGroup(child, 'SIGKILL');
    });
    child.once('error', (err) => {
      done();
      resolve(finish(null, null, `the set-up hook could not start: ${err.message}\n`));
    });
    child.once('exit', (code, signal) => {
      done();
      resolve(finish(code, signal, stopped ? `${stopped}\n` : ''));
    });
  });
}

/**
 * The set-up hook in `tree` unless it ran to the end there for `branch` (its mark); its output
 * goes to `<dir>/setup.log`. A failure throws, naming the hook, how it ended, the walls'
 * read-only file it met (when its output reads so) and its output's tail. A package's tree
 * (LocalExecutor) and a planning session's alike; `control`: its stop, its time limit, its start.
 */
export interface SetUpControl {
  /** Aborted (its package cancelled): the command under way is stopped. */
  stop?: AbortSignal;
  /** Its package's time limit: past it, the command is stopped and fails. */
  timeoutMs?: number;
  /** Called once with the command, when it starts (not when it is skipped or ran before): the package shows as setting up. */
  onStart?: (command: readonly string[]) => void;
}

export async function setUpOnce(tree: string, branch: string, argv: readonly string[], dir: string, walls?: CommandWalls, control: SetUpControl = {}): Promise<void> {
  if (!argv.length || isSetUp(tree, branch)) return;
  const { stop, timeoutMs } = control;
  const say = (line: string) => {
    fs.mkdirSync(dir, { recursive: true });
    fs.appendFileSync(path.join(dir, 'setup.log'), `${line}\n`);
  };
  // `npm ci` over a node_modules its walls lay (from the checkout, or installed once for this lockfile), installed as the tree's lockfile asks: it would write every package again (ADR 0026).
  let answered = walls ? installAnsweredByLaying(tree, argv) : null;
  // Not laid: the first of the trees with this lockfile installs it, for all of them; the others wait for it.
  const shares = walls && !answered ? sharedInstallFor(tree, argv) : null;
  const first = shares ? sharing.get(shares) : undefined;
  if (shares && first) {
    control.onStart?.(argv);
    say(`waves: ${argv.join(' ')} waits for another tree's, installing the same package.json and lockfile for both`);
    await untilStopped(first, stop, timeoutMs);
    answered = installAnsweredByLaying(tree, argv);
  }
  if (answered) {
    say(answered.why);
    if (answered.skip) return markSetUp(tree, branch);
  }
  control.onStart?.(argv);
  const run = runSetupHook(tree, argv, path.join(dir, 'setup.log'), walls && { walls, attemptDir: dir }, 20, stop, timeoutMs);
  const ran = shares && !first ? run.then((hook) => hook.ok && shareInstall(tree)) : null;
  if (shares && ran) {
    sharing.set(shares, ran.catch(() => false));
    void ran.finally(() => sharing.delete(shares)).catch(() => undefined);
  }
  const hook = await run;
  if (!hook.ok) {
    const how = hook.signal ? `killed by ${hook.signal}` : `exit ${hook.code ?? '?'}`;
    throw new Error(`the set-up hook ${argv.join(' ')} failed (${how})${hook.refused}${hook.tail ? `:\n${hook.tail}` : ''}`);
  }
  if (ran && (await ran)) say(`waves: its node_modules is now the one the trees with this package.json and lockfile share: moved to ${shares}, laid over each of them (copy-on-write inside the walls)`);
  markSetUp(tree, branch);
}

/** `work` awaited, unless `stop` aborts or `timeoutMs` passes first: then it throws, saying which. */
async function untilStopped<T>(work: Promise<T>, stop: AbortSignal | undefined, timeoutMs: number | undefined): Promise<T> {
  let done = () => {};
  const stopped = new Promise<never>((_, reject) => {
    done = whenSetUpStops(stop, timeoutMs, (why) => reject(new Error(why)));
  });
  try {
    return await Promise.race([work, stopped]);
  } finally {
    done();
  }
}

/** The shared installs being made in this process (their path → whether one was made), for the trees that wait for them. */
const sharing = new Map<string, Promise<boolean>>();


/** Copies the copy list into `tree` (git/worktreeCopy.ts) and marks it; the lines for its log. */
export async function copyListInto(repo: string, tree: string, entries: readonly string[]): Promise<string> {
  const text = copyLogText(entries, await copyListIntoTree(repo, tree, entries));
  markCopied(tree, text);
  return text;
}

/**
 * A new tree readied as a package's is before its agent starts: the copy list copied once (the
 * lines in `<dir>/setup.log`), then the set-up hook until it has run to the end there for
 * `branch`. For a planning session's tree; a failure of the hook throws (`setUpOnce`).
 */
export async function readyTree(options: { repo: string; tree: string; branch: string; dir: string; setupHook?: readonly string[]; copyFiles?: readonly string[]; walls?: CommandWalls }): Promise<void> {
  const { repo, tree, branch, dir } = options;
  if (options.copyFiles?.length && copiedInto(tree) === null) {
    const text = await copyListInto(repo, tree, options.copyFiles);
    await fs.promises.mkdir(dir, { recursive: true });
    await fs.promises.appendFile(path.join(dir, 'setup.log'), text.endsWith('\n') ? text : `${text}\n`);
  }
  if (options.setupHook?.length) await setUpOnce(tree, branch, options.setupHook, dir, options.walls);
}

/**
 * The set-up hook (`EngineOptions.setupHook`, an argv): run in a package's new worktree before
 * its agent, inside walls drawn for a command (ADR 0026: its tree writable, the toolchains'
 * caches, the registries when the person allowed them) unless the person chose none; whether it
 * ran to the end there is the tree's mark (git/treeMarks.ts).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { walledCommand, type CommandWalls } from './verification';

export interface SetupHookResult {
  ok: boolean;
  code: number | null;
  signal: string | null;
  /** The last lines of the hook's output (for the failure message). */
  tail: string;
  log: string;
}

/**
 * Runs a set-up hook (an argv, never a shell string) in a new worktree; stdout and stderr go
 * to `log`. A failure is returned with the log's tail — never swallowed.
 */
export function runSetupHook(worktree: string, argv: readonly string[], log: string, confined?: { walls: CommandWalls; attemptDir: string }, tailLines = 20): Promise<SetupHookResult> {
  fs.mkdirSync(path.dirname(log), { recursive: true });
  const fd = fs.openSync(log, 'a');
  const finish = (code: number | null, signal: string | null, extra = ''): SetupHookResult => {
    if (extra) fs.writeSync(fd, extra);
    fs.closeSync(fd);
    const text = fs.readFileSync(log, 'utf8');
    const tail = text.split('\n').filter((l) => l.trim() !== '').slice(-tailLines).join('\n');
    return { ok: code === 0 && signal === null, code, signal, tail, log };
  };
  return new Promise((resolve) => {
    if (argv.length === 0 || !argv[0]) {
      resolve(finish(null, null, 'the set-up hook is empty\n'));
      return;
    }
    const env = { ...process.env };
    const run = walledCommand({ file: argv[0], args: argv.slice(1) }, worktree, confined?.attemptDir ?? path.dirname(log), path.join(path.dirname(log), 'setup-walls.jsonl'), confined?.walls, env);
    const child = spawn(run.file, run.args, { cwd: worktree, env, shell: false, stdio: ['ignore', fd, fd], windowsHide: true });
    child.once('error', (err) => resolve(finish(null, null, `the set-up hook could not start: ${err.message}\n`)));
    child.once('exit', (code, signal) => resolve(finish(code, signal)));
  });
}

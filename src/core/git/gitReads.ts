/**
 * Which git calls only read (docs/run-engine.md "Git and audit"): the engine's git
 * queue (src/engine/git/gitProcess.ts) lets an identical read that has not started yet answer
 * several callers — nine packages launched at once ask the same five questions of the
 * repository. A call that may write (a commit, a checkout, an index refresh on purpose, a ref
 * change) is never shared. Unknown commands count as writes.
 */

/** Global options of `git` that take a value as the next argument. */
const VALUED_GLOBALS = new Set(['-c', '-C', '--git-dir', '--work-tree', '--namespace', '--config-env']);

/** The subcommand and its arguments after git's global options (`-c k=v`, `--no-pager`…), or null. */
export function subcommandOf(argv: readonly string[]): { command: string; args: readonly string[] } | null {
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (VALUED_GLOBALS.has(a)) i += 2;
    else if (a.startsWith('-')) i += 1;
    else return { command: a, args: argv.slice(i + 1) };
  }
  return null;
}

/** Positional arguments (not options) of a subcommand's argument list, before `--`. */
function positionals(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (a === '--') break;
    if (!a.startsWith('-')) out.push(a);
  }
  return out;
}

const has = (args: readonly string[], ...options: string[]): boolean => args.some((a) => options.some((o) => a === o || a.startsWith(`${o}=`)));

/**
 * Whether `argv` (the arguments after `git`) only reads the repository: running it once for
 * several callers who asked before it started gives each what its own run would have.
 */
export function isReadOnlyGit(argv: readonly string[]): boolean {
  const sub = subcommandOf(argv);
  if (!sub) return false;
  const { command, args } = sub;
  switch (command) {
    case 'rev-parse':
    case 'show-ref':
    case 'merge-base':
    case 'ls-files':
    case 'ls-tree':
    case 'cat-file':
    case 'for-each-ref':
    case 'check-ignore':
      return !has(args, '--stdin', '--batch', '--batch-check', '--batch-command');
    case 'diff':
      return !has(args, '--output');
    case 'status':
      return true;
    case 'symbolic-ref':
      // `symbolic-ref [--quiet] [--short] <name>` reads; a second name sets it, -d deletes.
      return !has(args, '-d', '--delete', '-m') && positionals(args).length === 1;
    case 'config':
      return has(args, '--list', '-l', '--get', '--get-all', '--get-regexp') && !has(args, '--add', '--unset', '--unset-all', '--replace-all', '--edit', '-e');
    case 'worktree':
      return positionals(args)[0] === 'list';
    default:
      return false;
  }
}

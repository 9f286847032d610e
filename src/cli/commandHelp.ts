/**
 * The help of the commands that take options of the run's table (`waves run`, `waves plan`,
 * `waves hosts`, `waves validate`, `waves review`, `waves pick`) and of `waves convert`, apart
 * from their commands: `waves` lists every command's help in its usage, and loads a command's
 * module (and the engine behind it) only when that command runs (src/cli/waves.ts). The run's
 * options are said from their table's rows (core/run/runOptions.ts).
 */
import { DEFAULT_AGENT, PRESETS } from '../core/agents/agentProfiles';
import { DEFAULT_REPAIR_ROUNDS, DEFAULT_ROUND_MINUTES } from '../core/planning/planningSession';
import { RUN_OPTIONS, type RunOption } from '../core/run/runOptions';

/** `text` in lines of at most `width` characters: the first after `first`, the others after `next`. */
function wrap(text: string, first: string, next: string, width = 88): string {
  const lines: string[] = [];
  let line = first;
  for (const word of text.split(' ')) {
    const lead = line === first || line === next;
    if (!lead && line.length + 1 + word.length > width) {
      lines.push(line);
      line = next + word;
    } else line += (lead ? '' : ' ') + word;
  }
  lines.push(line);
  return lines.join('\n');
}

/** An option's flags as the usage writes them: `--flag VALUE`, its argv flag (`| --agent-argv JSON`), then its switches (`| --barrier`). */
const usageOf = (o: RunOption): string =>
  [`--${o.flag}${o.value ? ` ${o.value}` : ''}`, ...(o.argvFlag ? [`--${o.argvFlag} JSON`] : []), ...Object.keys(o.switches ?? {}).map((f) => `--${f}`)].join(' | ');

/** Where else an option is given: its variable (where it has one), then the editor's setting. */
function sourcesOf(o: RunOption): string {
  const env = o.env === undefined ? null : o.envAddsInWalls ? `${o.env} adds to it` : o.kind === 'boolean' ? `${o.env}=1` : o.env;
  return [env, o.setting].filter((x) => x !== null).join('; ');
}

/** The options the command line has a flag for (the others are the editor's settings only). */
const FLAGGED = RUN_OPTIONS.filter((o) => o.flag !== undefined);
/** The agent's options: `waves run` takes them, `waves plan` those of its session. */
const AGENT = FLAGGED.filter((o) => o.part === 'agent');
/** The worktree and walls options, which `waves run` and `waves plan` take. */
const WORKTREE_AND_WALLS = FLAGGED.filter((o) => o.part === 'worktrees');
/** The run's own options, which `waves run` alone takes. */
const RUN_ONLY = FLAGGED.filter((o) => o.part === 'run');

/** The usage line's part of the table's options (core/run/runOptions.ts): the worktree and walls options (`waves run`'s and `waves plan`'s), or those given. */
export function optionsSynopsis(indent = '        ', options: readonly RunOption[] = WORKTREE_AND_WALLS): string {
  // An option and its value stay on one line: wrapped with their space held, then put back.
  return wrap(options.map((o) => `[${usageOf(o).replace(/ /g, '\u00a0')}]${o.repeated ? '…' : ''}`).join(' '), indent, indent).replace(/\u00a0/g, ' ');
}

/** One option's help: its flags, where else it is given, what it does and its default. */
function optionLine(o: RunOption): string {
  const byDefault = o.default !== undefined && o.kind !== 'boolean' ? `; default ${String(o.default)}` : '';
  return wrap(`${usageOf(o)} (${sourcesOf(o)}): ${o.description}${byDefault}.`, '    ', '      ');
}

/**
 * The help of the worktree and walls options (`waves run`'s and `waves plan`'s), from the table (core/run/runOptions.ts):
 * each flag with its variable and the editor's setting of the same meaning.
 */
export function optionsHelp(): string {
  const heading = wrap(
    'Worktrees and walls: each option is also the editor\'s setting of the same name and meaning and, but --unconfined, an environment variable; a flag wins over its variable. Lists of paths are separated by ":" (";" on Windows).',
    '    ',
    '    ',
  );
  return [heading, ...WORKTREE_AND_WALLS.map(optionLine)].join('\n');
}

/** The help of the run's own options (`waves run`'s), from the table: each flag with the editor's setting of the same meaning. */
export function runOptionsHelp(): string {
  return [wrap("The run: each option is also the editor's setting of the same name and meaning (and, where one is named, an environment variable: a flag wins over it).", '    ', '    '), ...RUN_ONLY.map(optionLine)].join('\n');
}

/** The presets, the default first, as the agent's help names them. */
const presetsLine = (): string => {
  const headless = PRESETS.filter((p) => !p.interactive).map((p) => (p.id === DEFAULT_AGENT ? `${p.id} (the default)` : p.id));
  return `Presets: ${headless.join(', ')}; each has an -interactive one, which needs the editor's terminals.`;
};

/** The help of the agent's options (`options`: those a command takes), from the table: each flag with the editor's setting of the same meaning. */
export function agentOptionsHelp(options: readonly RunOption[] = AGENT): string {
  return [wrap(`The agent: each option is also the editor's setting of the same meaning. ${presetsLine()}`, '    ', '    '), ...options.map(optionLine)].join('\n');
}

export const RUN_HELP = `waves run [--only id,id] [--resume] [--dry-run] [--json] [--timeout-grace S]
        [--answer PACKAGE=TEXT] [--coordinator postgres://… [--coordinator-repository KEY]
        [--allow-planned-overlap] [--workers REMOTE]] [--hosts FILE [--on-host-lost wait|retry]]
        [--tick-source] [--scope-requests ask|grant|refuse]
${optionsSynopsis('        ', AGENT)}
${optionsSynopsis('        ', RUN_ONLY)}
${optionsSynopsis()} <plan>
    Run the plan's packages with a coding agent (the agent's options below), with
    live progress: a table on a TTY, one line per event otherwise, NDJSON with --json.
    --dry-run prints the schedule and every package's prompt and starts nothing.
    --only: just these packages (a sub-plan's package by its run id, api__users);
    each must have what it depends on among them or succeeded in the run. --resume: go
    on with an interrupted run; with --only, those packages of the last run run again
    (a failed one too, its retry budget aside): waves run --resume --only ID.
    --timeout-grace: seconds from TERM to KILL when an agent is stopped. Ctrl-C once
    cancels the run cleanly (resume with --resume); twice exits at once.
    --coordinator (or WAVES_COORDINATOR): a PostgreSQL database shared by every clone of
    the repository: the lock table, the run's lease and the registry of runs live there
    (the run state stays in .waves/). Keep its password in ~/.pgpass or PGPASSWORD; it is
    never shown. --coordinator-repository: the key that names this repository there
    (default: its root commit). Other features' approved plans there (waves plan
    --approve) are checked at the start: a package whose write scope or file lock
    meets one of their planned claims is a warning naming the feature, package, key
    and who; a lock key another feature's plan claims too refuses the run (nothing
    started) unless --allow-planned-overlap. A run in which every package succeeds
    removes its feature's own planned claims. --workers REMOTE (early): the agents work on
    pull workers (waves worker) that claim the packages from the coordinator's queue and
    push their work to REMOTE, a remote both sides reach; the audits, the verification and
    the merges stay here.
    --hosts (or WAVES_HOSTS): place packages on this machine and SSH hosts (see
    waves hosts --help); each host has its own cap, the run's is their sum. A host
    out of reach for 60 s makes its attempts interrupted (host-lost); --on-host-lost
    wait (default) collects them when it answers again, retry runs them again on
    another host within their retry budget.
    --answer: a package whose agent ended its turn with a question runs again with
    your answer in its prompt (it is not retried without one).
    --scope-requests: an agent may ask for files its package's scope does not hold
    (only those no other package may write, lock or was granted); ask (default) asks
    you on the terminal (refused without one, or with --json), grant grants them
    without asking, refuse refuses them. Granted, its audit and merge allow them.
    Every agent runs inside walls (bubblewrap): it writes only its worktree and what
    git needs there, cannot read ~/.ssh and other secrets, sees no other process, and
    reaches only its model API; the options below (--allow-host, --allow-registries, …)
    open them a little. Where walls cannot be had nothing starts (exit 2) unless
    --unconfined: agents then run with all your rights. Each package's agent gets a
    port range of its own in WAVES_PORT_RANGE (first-last) and PORT (its first port).
    --tick-source: for a plan made by \`waves convert\` (inputs.converted_from), each package
    that succeeds has its tasks marked done in that task list (a checkbox ticked, a
    Taskmaster status "done", a beads status "closed"); nothing else in it changes.
    Exit 0 when every package succeeded, 1 when one did not, 2 when nothing was
    started: usage or plan errors and every refusal before the run starts (a proposed
    plan not approved, verification commands not approved, another driver, the
    coordinator out of reach, no walls), 75 when paused at a usage limit.
${agentOptionsHelp()}
${runOptionsHelp()}
${optionsHelp()}`;

/** The agent's options of `waves plan`'s session. */
const PLAN_AGENT = AGENT.filter((o) => o.plan);

export const PLAN_HELP = `waves plan [--out DIR] [--rounds N] [--round-minutes M] [--dry-run] [--json]
${optionsSynopsis('        ', PLAN_AGENT)}
${optionsSynopsis()}
        (<description> | --file FILE | --from PLAN)
    Have an agent plan a feature: it runs headless, inside walls as a run's agents do
    (--unconfined and the options below: as for waves run), in a planning worktree
    of its own (branch waves-plan/<id>, from your HEAD; your branch and files stay
    untouched), which gets the copy list and the set-up command before the agent
    starts, as a package's worktree does (their log: .waves/plans/<id>/setup.log),
    and writes proposal.md, design.md, tasks.md, contracts/ and work-packages.yaml in
    openspec/changes/<id>/ (when the repository has openspec/changes/) or plans/<id>/
    (--out: another folder of the repository). The plan is checked exactly; every
    problem goes back to the agent for up to --rounds repair rounds (default ${DEFAULT_REPAIR_ROUNDS}).
    --round-minutes: how long one round's agent may take (default ${DEFAULT_ROUND_MINUTES}; decimals
    allowed; the editor's setting waves.planning.roundMinutes). Anything it writes
    outside the planning folder is thrown away. Ctrl-C stops the agent and ends the
    session as it stands: a round stopped (or out of time) is interrupted, and an
    interrupted session cannot be approved until a revision round runs to its end.
    --dry-run prints the planning prompt and creates nothing.
    --from PLAN (Complete with Agent): start from a draft plan of the repository, as
    waves convert writes one (write scopes guessed, implied dependencies marked),
    instead of a description: the draft and the task list it came from (read-only)
    are the session's round 0; the agent's first round settles the guesses without
    dropping a task, then the same repair rounds. Nothing runs until you
    approve:
  waves plan --approve <id>     record the approval (the plan can then run:
                                waves run <its work-packages.yaml>; then
                                waves finish <it> brings it onto your branch)
  waves plan --revise <id> (<comments> | --file FILE)   another round with your comments,
                                by the session's own agent unless --agent / --agent-argv
  waves plan --discard <id>     remove its worktree and branch, and what a run of it
                                left (its worktrees, its waves/<feature>/ branches);
                                refused while one has uncommitted changes or the run
                                goes on; each branch's last commit is named
  waves plan --list             the repository's planning sessions
  --coordinator postgres://… (or WAVES_COORDINATOR) [--coordinator-repository KEY]:
    the shared coordinator (waves run --help). Approving registers the plan's write
    scopes, file locks and lock keys there as its feature's planned claims (replacing
    earlier ones), so other features' plans see them before they run; discarding
    removes them, and so does a run of the feature in which every package succeeds.
    A new or revised plan is checked against other features' planned claims (a
    warning each). A coordinator out of reach never stops an approval: it is
    recorded here, and approving again registers the claims.
  waves plan --claims --coordinator …   the repository's planned claims there, a line
                                per feature: how many, who approved them, where, when
  waves plan --release-claims <feature> --coordinator …   remove a feature's planned
                                claims whoever approved them (a session gone with its
                                clone); exit 1 when the feature has none there
    Exit 0 when the plan is valid (or the action is done), 1 when the session ended
    without a valid plan (errors left, or its last round stopped) or the coordinator
    could not be reached, 2 on usage errors and every refusal before anything starts
    or changes (no such session, approved already, not valid, …).
${agentOptionsHelp(PLAN_AGENT)}
${optionsHelp()}`;

/** The agent's option of `waves hosts check`: the agent of a host without its own. */
const HOSTS_AGENT = AGENT.filter((o) => o.id === 'agent');

export const HOSTS_HELP = `waves hosts check --hosts FILE ${optionsSynopsis('', HOSTS_AGENT)} [--json]
    Check each host of a hosts file (also WAVES_HOSTS): reachable with your own ssh
    (keys, agent, ~/.ssh/config; never a password; host keys checked as ssh does),
    git, node 18+, the agent CLI (the host's agent:, else --agent or --agent-argv,
    default ${DEFAULT_AGENT}), tmux, the working folder and its free disk. Exit 0 when every
    host has what a run needs, 1 otherwise, 2 on usage errors.
${agentOptionsHelp(HOSTS_AGENT)}
    A hosts file:
      hosts:
        - name: local            # no ssh: this machine
          max_parallel: 2
        - name: build-1
          ssh: me@build-1        # a destination, or a Host of your ssh config
          folder: /home/me/waves # absolute: worktrees and attempts go there
          max_parallel: 6
          agent: codex           # optional: this host's agent preset`;

/** The walls' options, which a pull worker takes for the agents it runs. */
const WORKER_WALLS = WORKTREE_AND_WALLS.filter((o) => o.walls);

export const WORKER_HELP = `waves worker --coordinator postgres://… [--coordinator-repository KEY] [--remote NAME|URL]
        [--name NAME] [--agents id,id] [--labels a,b] [--slots N]
        [--lease S] [--idle S] [--once]
${optionsSynopsis('        ', [...HOSTS_AGENT, ...WORKER_WALLS])}
    A pull worker in this clone: claims packages from the work queue on the shared
    coordinator (those whose agent it runs and whose labels it has), checks each — its
    agent's CLI, the disk, the base on the shared remote (--remote, default origin), the plan
    at the base — and gives back what it cannot do with the reason; does the rest inside the
    walls, pushes each claim's work to its own branch of the remote and reports it. It never
    merges. --agents: the presets it offers (default: each whose CLI is on the PATH);
    --agent or --agent-argv: that agent alone (a custom one is offered as "custom").
    --labels: what this machine has (gpu, macos…): a package whose plan requires labels
    (inputs.waves.requires) is claimed only by a worker with all of them. --slots: packages
    at once (default 1). --lease: seconds a claim lasts without a heartbeat (default 120);
    --idle: seconds between looks at an empty queue (default 5; a package queued wakes it at
    once); --once: one turn (per slot).
    Ctrl-C finishes the packages under way, then stops. Early: a run queues its packages
    with waves run --coordinator … --workers REMOTE.
${agentOptionsHelp(HOSTS_AGENT)}
    The walls of its agents, as for waves run:
${WORKER_WALLS.map(optionLine).join('\n')}`;

export const WORKERS_HELP = `waves workers --coordinator postgres://… [--coordinator-repository KEY] [--json]
        [--drain NAME | --undrain NAME]
    The repository's pull workers: name, machine, agents, labels, last heartbeat, draining.
    --drain: that worker finishes what it holds and claims nothing new; --undrain undoes it.`;

/** The run's option of `waves validate`: the cap the plan's waves are checked against. */
const VALIDATE_CAP = RUN_ONLY.filter((o) => o.id === 'maxParallel');

export const VALIDATE_HELP = `waves validate [--json] ${optionsSynopsis('', VALIDATE_CAP)} [--no-coupling]
        [--coordinator postgres://… [--coordinator-repository KEY]] <plan>...
    Check plans; exit 0 when no plan has an error, 1 when one has, 2 on usage errors,
    unreadable files or a plan too large for Node's memory (a very large plan is
    analysed in a worker thread; NODE_OPTIONS=--max-old-space-size=<MB> gives it more).
    --coordinator (or WAVES_COORDINATOR): also the planned claims of other features'
    approved plans each plan meets (waves plan --approve): warnings, never an error; a
    coordinator out of reach is a warning too.
    Also warns where code one package may write imports a file another package that
    may run at the same time may change (coupling; TypeScript, JavaScript and Python,
    read from the plan's git repository as it is); --no-coupling skips that check.
    A task list of another tool (a tasks.md, tasks.json, issues.jsonl, a GSD PLAN.md or
    phase folder, a Spec Kitty WP*.md or tasks/ folder) is read as waves convert reads
    it, without writing anything: its problems as file:line:col, then its waves.
    The run's cap the plan is checked against, as for waves run:
${VALIDATE_CAP.map(optionLine).join('\n')}`;

export const REVIEW_HELP = `waves review [--json] <plan> [<package>]
waves review --comments FILE --request-changes [--no-run] [run flags] <plan> [<package>]
waves review --approve [--no-run] [run flags] <plan> <package>
    The person's review of a run. Alone: each package's status, revisions and
    open comments (the editor's threads too), --json for a program.
    --comments FILE --request-changes: FILE's comments go to the package's agent as
    a new attempt that goes on from its branch (a revision: it spends no retry).
    Lines of FILE: "path:line: text", "path:start-end: text" or "path: text" (the
    whole file); an indented line goes on the comment above; blank and # lines are
    skipped. Or JSON: [{"file", "line" or "startLine"/"endLine", "body"}]. Without
    <package>, the comments are on the integration branch: each goes to the package
    whose write scope owns its file (one owner only; name the package otherwise),
    which goes on from the integration tip.
    --approve: a package awaiting review (waves run --review before-merge) is merged.
    When no process drives the run, the run is resumed here as waves run --resume
    does (run flags: every option of waves run, from --agent to --container-is-wall,
    checked first as waves run checks them); --no-run only records it (resume later
    with waves run --resume). Every comment is checked first — a line that does not exist, a file
    outside the package's write scope, a package running or not run — and nothing
    is sent when one is wrong (exit 2; each named by its line in FILE). The comments
    are kept as threads in .waves/runs/<feature>/review.json, shown in the editor.`;

export const CONVERT_HELP = `waves convert [--out PATH] [--force] [--format FORMAT] [--tag TAG] <file|folder>
    Read a task list another tool wrote as a plan and write it as work-packages.yaml
    beside it (or at --out): spec-kit tasks.md, Kiro / cc-sdd tasks.md, Taskmaster
    tasks.json (--tag: which tagged list; default master), beads issues.jsonl, OpenSpec
    tasks.md; and, one task a file, a GSD phase folder of PLAN.md files (or a folder of
    phase folders) and a Spec Kitty feature's tasks/ folder of WP*.md work packages
    (with the dependencies its tasks.md adds): give the folder, or one of its files to
    read it with its siblings (--format spec-kit|kiro|taskmaster|beads|openspec|gsd|
    spec-kitty when the name does not tell). waves validate and waves graph read all of
    these too, without writing anything. Sub-tasks go into their task's package, unless
    that makes a dependency cycle the source does not have (then each is a package of
    its own, said). Dependencies the source states are kept as they are; those only
    implied by the order or the phase of the tasks are marked "# implied", and write
    scopes taken from the paths a task's text names are marked "# guess": review both
    before a parallel run. What the source still lacks
    for a safe parallel run (no write scope, a dependency only implied, two tasks that
    may run in parallel naming one file) is printed as file:line:col, then the written
    plan is checked as by waves validate. An existing file is never overwritten
    without --force. Exit 0 when the plan written has no error, 1 when it has one or
    nothing could be converted, 2 on usage errors and unreadable files.`;

export const PICK_HELP = `waves pick [--no-run] [run flags] <plan> <package> <candidate>
    Best of n with pick: person: the candidate of <package> that goes on, when every
    candidate has ended and the package awaits your pick (waves status says which
    packages do, with this command, and lists the candidates: agent, result, time,
    spend). Only a candidate that passed its audit and verification can be picked; it
    merges as the package's attempt, the others end. When no process drives the run it
    is resumed here on a terminal; without one, or with --no-run, the pick is recorded
    and the waves run --resume command that merges it said (run flags as for waves
    review). Exit 0 when the pick is recorded, 2 when it is refused.`;

/**
 * The run's options as one table (`RUN_OPTIONS`): each option's setting, flag and environment
 * variable, the kind of its value, its default and one line saying what it does. The reading of
 * the values, for both front ends, is runOptions.ts (the agents' presets are checked and made
 * into profiles by core/agents/runAgents.ts: the presets are that room's). Pure data.
 */
import { capOf } from '../plan/defaults';

/**
 * `argv`: a program and its arguments (a JSON array of strings, or words split on spaces; never a
 * shell). `path-list`: paths separated by the path delimiter (`:`; `;` on Windows). `host-list`:
 * `host:port` targets separated by commas. `boolean`: a flag without value, a variable `1` or
 * `0`. `whole-number`: digits. `count`: digits, at least 1. `amount`: a number above 0, decimals
 * allowed. `choice`: one of the option's `words`. `path`: one path. `agent`: a preset id, or a
 * program and its arguments (a JSON array: the setting's array, the option's `argvFlag`).
 * `agent-list`: agents in order (preset ids separated by commas; the setting's array, argv arrays
 * too). `agent-map`: an agent by key (`KEY=PRESET` pairs separated by commas; the setting's
 * object). `agent-counts`: a whole number of at least 1 by agent id (`ID=N` pairs separated by
 * commas; the setting's object).
 */
export type RunOptionKind =
  | 'argv'
  | 'path-list'
  | 'host-list'
  | 'boolean'
  | 'whole-number'
  | 'count'
  | 'amount'
  | 'choice'
  | 'path'
  | 'agent'
  | 'agent-list'
  | 'agent-map'
  | 'agent-counts';

/**
 * How an option's paths are written. `in-repository`: relative to the repository, never above it;
 * `repository-or-absolute`: absolute, or relative to the repository; `absolute`: absolute, or
 * `~/…`; `home`: absolute, `~/…`, or relative to the home folder.
 */
export type PathRule = 'in-repository' | 'repository-or-absolute' | 'absolute' | 'home';

/** The part of the help an option is said in: the agent's, the run's own, the worktrees' and walls'. */
export type RunOptionPart = 'agent' | 'run' | 'worktrees';

export type RunOptionId =
  | 'agent'
  | 'agentInteractive'
  | 'agentOverrides'
  | 'agentFallback'
  | 'agentCaps'
  | 'maxParallel'
  | 'candidates'
  | 'schedule'
  | 'onUsageLimit'
  | 'budgetUsd'
  | 'budgetTokens'
  | 'reviewGate'
  | 'integrationGuard'
  | 'setupCommand'
  | 'copy'
  | 'worktreesFolder'
  | 'layered'
  | 'unconfined'
  | 'write'
  | 'read'
  | 'hidden'
  | 'allowHosts'
  | 'registries'
  | 'cache'
  | 'memoryMB'
  | 'container';

/** A value an option takes when nobody set it, or one a flag without value gives it. */
export type RunOptionWord = string | number | boolean;

export interface RunOption {
  id: RunOptionId;
  /** The editor's setting, with its `waves.` prefix. */
  setting: string;
  /** The command line's flag, without its dashes; none: the editor's setting only (what it says needs the editor: its terminals, its per-package settings). */
  flag?: string;
  /** A second flag that gives an `agent` as a program and its arguments, a JSON array (`--agent-argv`), without its dashes. */
  argvFlag?: string;
  /** The flag may be given several times: its values joined by commas (`--agent-cap a=1 --agent-cap b=2`). */
  repeated?: boolean;
  /**
   * Flags without a value that give the option one value each (`--barrier`: the schedule
   * `barrier`; `--no-integration-guard`: the guard off), without their dashes. Two of an
   * option's flags do not go together.
   */
  switches?: Readonly<Record<string, RunOptionWord>>;
  /** The environment variable; none: the option is a flag and a setting only. */
  env?: string;
  kind: RunOptionKind;
  /** A `choice`'s words, in the order the help lists them. */
  words?: readonly string[];
  /** A `choice`'s former words, still read as the word each became. */
  formerly?: Readonly<Record<string, string>>;
  /** What the run takes when nobody set it (the setting's default in package.json); none: nothing (no ceiling, no walls option). */
  default?: RunOptionWord;
  /** Where the help says it. */
  part: RunOptionPart;
  /** `waves plan` takes it too: its planning session's agent runs in a worktree set up as a package's, inside the same walls. */
  plan: boolean;
  /**
   * Not given, a run taken up again (a resume, an adoption) keeps what it was started with: the
   * editor reads only a value the person set (user, workspace or folder), never the default.
   */
  keptOnResume?: boolean;
  /** How its paths are written (`path`, `path-list`). */
  paths?: PathRule;
  /** Part of the agents' walls: the person's own setting only; none with `--unconfined`. */
  walls: boolean;
  /** The walls off (`--unconfined`): the person's own, as a walls option is; the other walls options do not go with it. */
  noWalls?: boolean;
  /**
   * The walls also read the variable from the environment the agents get, wherever the run was
   * started: it adds to the flag or the setting instead of giving way to it.
   */
  envAddsInWalls?: boolean;
  /** The value's name in the usage (`DIR`, `HOST:PORT,…`); none for a boolean. */
  value: string;
  /** One line: what it does. */
  description: string;
}

/** The run's options, in the order the help lists them: the agent's, the run's own, then the worktree and walls options. */
export const RUN_OPTIONS: readonly RunOption[] = [
  {
    id: 'agent',
    setting: 'waves.agent',
    flag: 'agent',
    argvFlag: 'agent-argv',
    kind: 'agent',
    part: 'agent',
    plan: true,
    walls: false,
    value: 'PRESET',
    description:
      "the coding agent that runs the packages (and waves plan's session): a preset (the Presets above: where none is given, the command line takes the default and the editor asks), or with --agent-argv a program and its arguments as a JSON array, never run through a shell, with ${promptFile} ${resultFile} ${packageId} ${worktree} ${feature} ${attemptDir} replaced inside them; a usage limit or a permission prompt in such an agent's output marks its package as waiting for you",
  },
  {
    id: 'agentInteractive',
    setting: 'waves.agentInteractive',
    kind: 'boolean',
    default: false,
    part: 'agent',
    plan: false,
    walls: false,
    value: '',
    description: "the agent given as a program and its arguments is a TUI that needs a terminal of its own: the editor's only (its output is not logged); the command line runs headless agents",
  },
  {
    id: 'agentOverrides',
    setting: 'waves.agentOverrides',
    kind: 'agent-map',
    part: 'agent',
    plan: false,
    walls: false,
    value: 'PACKAGE=PRESET,…',
    description: "per-package agents: package id → a preset or a program and its arguments, as the agent; packages not listed run the agent. The editor's only",
  },
  {
    id: 'agentFallback',
    setting: 'waves.agentFallback',
    flag: 'agent-fallback',
    kind: 'agent-list',
    part: 'agent',
    plan: false,
    walls: false,
    value: 'PRESET,…',
    description:
      'the agents a package goes on with, in order, when its agent stops at a usage limit: it starts again on the first one not at its own limit (no retry spent); when none is left, --on-usage-limit decides. Preset ids separated by commas (the setting: argv arrays too)',
  },
  {
    id: 'agentCaps',
    setting: 'waves.agentCaps',
    flag: 'agent-cap',
    repeated: true,
    kind: 'agent-counts',
    part: 'agent',
    plan: false,
    walls: false,
    value: 'AGENT=N,…',
    description: "at most N attempts of that agent at once, by preset id (custom for an agent given as a program): the flag repeated, or pairs separated by commas; the run's cap still holds",
  },
  {
    id: 'maxParallel',
    setting: 'waves.maxParallel',
    flag: 'max-parallel',
    kind: 'count',
    default: capOf(undefined),
    part: 'run',
    plan: false,
    walls: false,
    value: 'N',
    description: 'at most N attempts at once; a wave with more packages runs in several rounds (a wave-too-wide warning)',
  },
  {
    id: 'candidates',
    setting: 'waves.candidates',
    flag: 'candidates',
    env: 'WAVES_CANDIDATES',
    kind: 'count',
    default: 1,
    part: 'run',
    plan: false,
    walls: false,
    value: 'N',
    description:
      "best of n (1: none; at most 8 and the cap): N candidates of each package side by side, each confined, audited and verified; the first green one goes on and the rest stop. A package's own inputs.waves (candidates, candidate_agents, pick: first-green | person | judge, confirm) wins. Refused at the start, nothing started: N above the cap or 8, a candidate agent neither a headless preset nor the package's own (a list of one too), pick: person (or confirm) with nobody to ask (no terminal, --json; a resume whose picks are made asks nobody), pick: judge whose package's own agent is an interactive one. On SSH hosts each candidate takes a slot of a host",
  },
  {
    id: 'schedule',
    setting: 'waves.schedule',
    flag: 'schedule',
    switches: { barrier: 'barrier' },
    kind: 'choice',
    words: ['eager', 'barrier'],
    default: 'eager',
    part: 'run',
    plan: false,
    walls: false,
    value: 'eager|barrier',
    description: 'when packages start: eager, each as soon as its own dependencies have succeeded; barrier (--barrier), a wave only when the whole previous wave has finished',
  },
  {
    id: 'onUsageLimit',
    setting: 'waves.onUsageLimit',
    flag: 'on-usage-limit',
    kind: 'choice',
    words: ['stop', 'wait'],
    formerly: { ask: 'stop' },
    default: 'stop',
    part: 'run',
    plan: false,
    walls: false,
    value: 'stop|wait',
    description:
      'when an agent stops at a usage limit: its package is paused (no retry spent) and no package of that agent starts; stop ends the run there (exit 75; resume with --resume), wait goes on at the reset time the agent gave (without one: as stop)',
  },
  {
    id: 'budgetUsd',
    setting: 'waves.budget.usd',
    flag: 'budget-usd',
    kind: 'amount',
    part: 'run',
    plan: false,
    walls: false,
    value: 'USD',
    description:
      'a ceiling on what the agents report spending, in US dollars (only agents that report a cost count: Claude Code): when it is reached no more packages start, running ones finish; resume with a higher one. None by default',
  },
  {
    id: 'budgetTokens',
    setting: 'waves.budget.tokens',
    flag: 'budget-tokens',
    kind: 'count',
    part: 'run',
    plan: false,
    walls: false,
    value: 'N',
    description: 'a ceiling on the tokens the agents report (input, output and cached; Claude Code, Codex, Gemini), as --budget-usd. None by default',
  },
  {
    id: 'reviewGate',
    setting: 'waves.review.gate',
    flag: 'review',
    kind: 'choice',
    words: ['off', 'before-merge'],
    default: 'off',
    part: 'run',
    plan: false,
    keptOnResume: true,
    walls: false,
    value: 'off|before-merge',
    description:
      'before-merge: a package that passed its audit and verification waits for your review (awaiting review; its dependents wait too) until `waves review <plan> <package> --approve` merges it, or `--request-changes` sends your comments to its agent (a revision, no retry spent). A --resume without it keeps the gate the run was started with (--review off turns it off)',
  },
  {
    id: 'integrationGuard',
    setting: 'waves.integration.guard',
    flag: 'integration-guard',
    switches: { 'no-integration-guard': false },
    kind: 'boolean',
    default: false,
    part: 'run',
    plan: false,
    keptOnResume: true,
    walls: false,
    value: '',
    description:
      "the approved verification commands of the plan's integration package (task_type: integrate) run on the integration branch as packages land (the newest tip, one check at a time, inside walls); a red tip is bisected to the merge that turned it red, and that package is sent the failure as a new attempt from the integration tip (within its retry budget) while what depends on it waits. A check red at the base already is said at the start and blames nobody. A --resume without either flag keeps the guard the run was started with (--no-integration-guard turns it off)",
  },
  {
    id: 'setupCommand',
    setting: 'waves.worktrees.setupCommand',
    flag: 'setup-command',
    env: 'WAVES_SETUP_COMMAND',
    kind: 'argv',
    part: 'worktrees',
    plan: true,
    walls: false,
    value: 'ARGV',
    description:
      'a program and its arguments run in each new worktree before its agent starts, e.g. \'["npm", "ci"]\' or "npm ci" (a JSON array of strings, or words split on spaces; never a shell); its output goes to the attempt\'s setup.log, and a failure fails the package',
  },
  {
    id: 'copy',
    setting: 'waves.worktrees.copy',
    flag: 'copy',
    env: 'WAVES_WORKTREES_COPY',
    kind: 'path-list',
    paths: 'in-repository',
    part: 'worktrees',
    plan: true,
    walls: false,
    value: 'PATH:…',
    description:
      "files and folders git does not carry (.env, local configuration) copied from your checkout into each new worktree on this machine: paths relative to the repository, a * within one folder level; only what git ignores, never over a file the worktree has, never a link to yours (the attempt's setup.log says what was copied and what not, and why)",
  },
  {
    id: 'worktreesFolder',
    setting: 'waves.worktrees.folder',
    flag: 'worktrees-folder',
    env: 'WAVES_WORKTREES_FOLDER',
    kind: 'path',
    paths: 'repository-or-absolute',
    part: 'worktrees',
    plan: true,
    walls: false,
    value: 'DIR',
    description: 'the folder of the worktrees (<folder>/<feature>/<package>), absolute or relative to the repository; default <repository>.worktrees beside it',
  },
  {
    id: 'layered',
    setting: 'waves.worktrees.layered',
    flag: 'layered-worktrees',
    env: 'WAVES_WORKTREES_LAYERED',
    kind: 'boolean',
    part: 'worktrees',
    plan: true,
    walls: false,
    value: '',
    description:
      "each new package worktree a copy-on-write layer over one shared checkout of its base, for large repositories: the shared checkout written once, every tree over it ready in well under a second, its disk only what its agent changes. Whole only inside the agents' walls (and to the engine's git): on the disk its folder holds only what was changed there. Needs the walls and overlays (Linux 5.11 or later, util-linux)",
  },
  {
    id: 'unconfined',
    setting: 'waves.sandbox.unconfined',
    flag: 'unconfined',
    kind: 'boolean',
    part: 'worktrees',
    plan: true,
    walls: true,
    noWalls: true,
    value: '',
    description:
      "the agents run without walls, with all your rights: where walls cannot be had (no bubblewrap, Windows, macOS) nothing starts unless you choose this; only your own (user or remote machine) setting counts, never a workspace's or a repository's, and no walls option goes with it",
  },
  {
    id: 'write',
    setting: 'waves.sandbox.write',
    flag: 'sandbox-write',
    env: 'WAVES_SANDBOX_WRITE',
    kind: 'path-list',
    paths: 'absolute',
    part: 'worktrees',
    plan: true,
    walls: true,
    value: 'DIR:…',
    description: 'more folders the agents may write inside their walls (absolute, or ~/…), besides their worktree, what git needs there and their CLI\'s own state',
  },
  {
    id: 'read',
    setting: 'waves.sandbox.read',
    flag: 'sandbox-read',
    env: 'WAVES_SANDBOX_READ',
    kind: 'path-list',
    paths: 'absolute',
    part: 'worktrees',
    plan: true,
    walls: true,
    envAddsInWalls: true,
    value: 'DIR:…',
    description: 'folders under /tmp the agents may read (absolute, or ~/…): their walls cover /tmp with a private one',
  },
  {
    id: 'hidden',
    setting: 'waves.sandbox.hidden',
    flag: 'sandbox-hidden',
    env: 'WAVES_SANDBOX_HIDDEN',
    kind: 'path-list',
    paths: 'home',
    part: 'worktrees',
    plan: true,
    walls: true,
    value: 'PATH:…',
    description: 'more paths hidden from the agents (absolute, ~/…, or relative to your home folder), besides ~/.ssh, ~/.aws, ~/.gnupg, cloud credentials and the like',
  },
  {
    id: 'allowHosts',
    setting: 'waves.sandbox.allowHosts',
    flag: 'allow-host',
    env: 'WAVES_SANDBOX_ALLOW',
    kind: 'host-list',
    part: 'worktrees',
    plan: true,
    walls: true,
    envAddsInWalls: true,
    value: 'HOST:PORT,…',
    description: "more network targets the agents may reach through their walls' proxy (host:port, *.example.com:443 for its subdomains, or a URL); the agent's model API is always allowed",
  },
  {
    id: 'registries',
    setting: 'waves.sandbox.registries',
    flag: 'allow-registries',
    env: 'WAVES_SANDBOX_REGISTRIES',
    kind: 'boolean',
    part: 'worktrees',
    plan: true,
    walls: true,
    value: '',
    description: "the package registries your own configuration names may be reached (npm's and its scoped ones, pip's index, cargo's, GOPROXY), never with your tokens",
  },
  {
    id: 'cache',
    setting: 'waves.sandbox.cache',
    flag: 'toolchain-cache',
    env: 'WAVES_SANDBOX_CACHE',
    kind: 'path',
    paths: 'absolute',
    part: 'worktrees',
    plan: true,
    walls: true,
    value: 'DIR',
    description: "the toolchains' download cache the agents share, writable inside their walls (absolute, or ~/…); default ~/.cache/wave-orchestrator/agents, never your own caches",
  },
  {
    id: 'memoryMB',
    setting: 'waves.sandbox.memoryMB',
    flag: 'memory-mb',
    env: 'WAVES_SANDBOX_MEMORY_MB',
    kind: 'whole-number',
    part: 'worktrees',
    plan: true,
    walls: true,
    value: 'MIB',
    description: 'the memory one agent and what it started may hold inside its walls before it is stopped and failed (MiB; default 8192; 0: no limit)',
  },
  {
    id: 'container',
    setting: 'waves.sandbox.container',
    flag: 'container-is-wall',
    env: 'WAVES_SANDBOX_CONTAINER',
    kind: 'boolean',
    part: 'worktrees',
    plan: true,
    walls: true,
    value: '',
    description:
      "the container this runs in (Docker, Podman, a Dev Container, a codespace) is the agents' wall: they run without bubblewrap, with all the container reaches, and every run says so as it starts; counted only inside a container, and only as your own choice, never a workspace's or a repository's",
  },
];

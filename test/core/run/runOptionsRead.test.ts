/**
 * Where the run's options are read: every one is the table's (core/run/runOptions.ts). The editor
 * reads its run settings in one file (src/run/run/settings.ts), each through its row, none by its
 * key; `waves run` parses its flags in one parser (src/cli/runCommand.ts), the table's from their
 * rows and the rest saying what this invocation does (--resume, --only, --json…); every other
 * command that takes a flag of the table (`waves plan`, `waves hosts`, `waves validate`, `waves
 * review`, `waves pick`) takes it from its row too, and its help says it from the row. A run
 * setting read anywhere else by its key, a flag in neither list, or a flag of the table named in
 * a command's parser or read by its name in any file of src/cli, fails.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as help from '../../../src/cli/commandHelp';
import { flagsOf, RUN_OPTIONS, runOptionsFromCommandLine, runOptionsFromSettings, type RunOption } from '../../../src/core/run/runOptions';

const SRC = path.join(__dirname, '..', '..', '..', 'src');
const read = (file: string) => fs.readFileSync(path.join(SRC, file), 'utf8');

const TABLE_SETTINGS = RUN_OPTIONS.map((o) => o.setting.replace(/^waves\./, ''));
const TABLE_FLAGS = RUN_OPTIONS.flatMap(flagsOf);
/**
 * `waves run`'s flags that are no option of the run but say what this invocation does (`scope-requests`:
 * how the person at this terminal answers agents' scope requests; the editor asks in a notification).
 */
const INVOCATION_FLAGS = ['only', 'resume', 'dry-run', 'json', 'timeout-grace', 'answer', 'coordinator', 'coordinator-repository', 'hosts', 'on-host-lost', 'allow-planned-overlap', 'tick-source', 'scope-requests', 'workers'];

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(SRC, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return /\.tsx?$/.test(e.name) ? [rel] : [];
  });
}

/** The flags a file names in its calls of `parseArgs`: the string literals among their arguments (a spread of the table's rows names none). */
function flagsParsedByName(text: string): string[] {
  return [...text.matchAll(/\bparseArgs\(/g)].flatMap((m) => {
    let depth = 0;
    let end = m.index + m[0].length - 1;
    do {
      if (text[end] === '(') depth++;
      else if (text[end] === ')') depth--;
      end++;
    } while (depth > 0 && end < text.length);
    return [...text.slice(m.index, end).matchAll(/'([^']*)'/g)].map((s) => s[1]!);
  });
}

/** The flags a file reads by name from its parsed flags: `flags.has('x')`, `flags.get('x')`. */
function flagsReadByName(text: string): string[] {
  return [...text.matchAll(/flags\.(?:has|get)\('([^']+)'\)/g)].map((m) => m[1]!);
}

/** A flag of the table a file parses by hand: named in its parser, or read by its name. */
function tableFlagsByHand(text: string): string[] {
  return [...flagsParsedByName(text), ...flagsReadByName(text)].filter((f) => TABLE_FLAGS.includes(f));
}

/** An option's flags as a usage writes them (`--agent PRESET | --agent-argv JSON`, `--schedule eager|barrier | --barrier`). */
function usageOf(o: RunOption): string {
  return [`--${o.flag}${o.value ? ` ${o.value}` : ''}`, ...(o.argvFlag ? [`--${o.argvFlag} JSON`] : []), ...Object.keys(o.switches ?? {}).map((f) => `--${f}`)].join(' | ');
}

/** The keys a file reads by name from a configuration object: `x.get<T>('key')`, `x.inspect<T>('key')`, `own<T>('key')`, `ownSetting<T>('key')`. */
function settingsRead(text: string): string[] {
  return [...text.matchAll(/(?:\.(?:get|inspect)|\bown(?:Setting)?)<[^>]*>\('([^']+)'/g)].map((m) => m[1]!);
}

describe('where the run options are read: every one is the table\'s', () => {
  it("the editor's run settings: each through its row in settings.ts (the walls' from the person's own values), none by its key", () => {
    const text = read('run/run/settings.ts');
    assert.deepEqual(settingsRead(text), [], 'no setting is read by its key');
    assert.equal(text.match(/runOptionsFromSettings\(/g)?.length, 3, 'the run (every option but the walls), the walls (the person\'s), the agent a host is checked with');
    assert.match(text, /runOptionsFromSettings\(\s*\(o\) => ownSetting<unknown>\(settingKey\(o\)\),\s*\(o\) => o\.walls,\s*\)/, "the walls, waves.sandbox.unconfined among them, from the person's own (user or remote machine) values only");
    assert.match(text, /import \{ ownSetting \} from '\.\.\/\.\.\/util\/ownSetting';/);
    assert.match(read('util/ownSetting.ts'), /return vscode\.workspace\.getConfiguration\('waves'\)\.inspect<T>\(key\)\?\.globalValue;/, "ownSetting: the person's own value, never a workspace's");
    assert.match(text, /runOptionsFromSettings\(\s*\(o\) => \(o\.keptOnResume[^\n]*\n\s*\(o\) => !o\.walls,\s*\)/, 'every other option, the workspace\'s values too');
  });

  it('no other file of the extension reads a run setting by its key; the plan checks read waves.maxParallel through its row (planCheckCap), in one file of src/plan', () => {
    const runSettings = new Set(TABLE_SETTINGS);
    const elsewhere = sources('.')
      .filter((file) => file !== 'run/run/settings.ts' && !file.startsWith('core/') && !file.startsWith('webview/'))
      .flatMap((file) => settingsRead(read(file)).filter((k) => runSettings.has(k)).map((k) => `${file}: ${k}`));
    const planChecks = elsewhere.filter((hit) => /^plan\/\w+\.ts: maxParallel$/.test(hit));
    assert.equal(planChecks.length, 1, `the plan checks read the cap in one file: ${planChecks.join(', ')}`);
    const file = planChecks[0]!.split(':')[0]!;
    assert.match(read(file), /planCheckCap\(vscode\.workspace\.getConfiguration\('waves', uri\)\.get<unknown>\('maxParallel'\)\)/, `${file} reads the cap through its row`);
    assert.deepEqual(elsewhere.filter((hit) => !planChecks.includes(hit)), []);
  });

  it("waves run's flags: the table's, from its rows, or the invocation's; nothing else", () => {
    const text = read('cli/runCommand.ts');
    const call = /parseArgs\(\s*argv,\s*\[([^\]]*)\],\s*\[([^\]]*)\],\s*repeatedFlags\(\),?\s*\)/.exec(text);
    assert.ok(call, "runCommand's parser was found, with the table's repeated flags");
    const flags = [...call[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
    assert.ok(call[1]!.includes('...runFlags()') && call[2]!.includes('...runFlags(true)'), "the parser takes the table's flags, switches and argv flags included");
    assert.deepEqual(flags, INVOCATION_FLAGS, 'every other flag says what this invocation does');
  });

  it('no file of src/cli parses a flag of the table by hand: waves plan, hosts and validate take theirs from their rows, as waves run, review and pick do', () => {
    const files = sources('cli');
    for (const file of ['cli/planCommand.ts', 'cli/hostsCommand.ts', 'cli/waves.ts', 'cli/runCommand.ts', 'cli/reviewCommand.ts']) {
      assert.ok(files.includes(file), `${file} is read`);
      assert.ok(flagsParsedByName(read(file)).length > 0, `${file}'s parser is found, with the flags it names`);
    }
    for (const file of files) assert.deepEqual(tableFlagsByHand(read(file)), [], `${file} names no flag of the table in a parser, and reads none by its name`);
    // What each of the three parsed by hand before: found, had it come back.
    const byHand: [string, string[]][] = [
      ["parseArgs(argv, ['out', 'agent', 'agent-argv', 'unconfined', ...optionFlags()], ['agent', 'agent-argv', ...optionFlags(true)]); flags.has('agent') || flags.has('agent-argv')", ['agent', 'agent-argv', 'unconfined', 'agent', 'agent-argv', 'agent', 'agent-argv']],
      ["parseArgs(argv, ['hosts', 'agent', 'json'], ['hosts', 'agent']); flags.has('agent') ? String(flags.get('agent')) : DEFAULT_AGENT", ['agent', 'agent', 'agent', 'agent']],
      ["parseArgs(argv, ['json', 'max-parallel', 'no-coupling'], ['max-parallel']); if (flags.has('max-parallel')) String(flags.get('max-parallel'))", ['max-parallel', 'max-parallel', 'max-parallel', 'max-parallel']],
    ];
    for (const [text, flags] of byHand) assert.deepEqual(tableFlagsByHand(text), flags, text);
  });

  it("each command's help says the table's flags it takes from their rows: the row's usage, and what the option does", () => {
    const helps = Object.entries(help).filter((e): e is [string, string] => e[0].endsWith('_HELP') && typeof e[1] === 'string');
    assert.deepEqual(helps.map(([name]) => name).sort(), ['CONVERT_HELP', 'HOSTS_HELP', 'PICK_HELP', 'PLAN_HELP', 'REVIEW_HELP', 'RUN_HELP', 'VALIDATE_HELP', 'WORKERS_HELP', 'WORKER_HELP']);
    const said = (text: string) => text.replace(/\s+/g, ' ');
    const taken: Record<string, string[]> = {};
    for (const [name, text] of helps) {
      for (const [, group] of text.matchAll(/\[(--[^[\]]+)\]/g)) {
        const flags = group!.split(' | ').map((alternative) => alternative.split(' ')[0]!.slice(2));
        const option = RUN_OPTIONS.find((o) => flagsOf(o).some((f) => flags.includes(f)));
        if (!option) continue;
        assert.equal(group, usageOf(option), `${name}: [${group}] is the row's usage`);
        assert.ok(said(text).includes(said(option.description)), `${name} says what ${usageOf(option)} does, from its row`);
        (taken[name] ??= []).push(option.id);
      }
    }
    assert.deepEqual(taken.HOSTS_HELP, ['agent']);
    assert.deepEqual(taken.WORKER_HELP, ['agent', ...RUN_OPTIONS.filter((o) => o.part === 'worktrees' && o.walls && o.flag !== undefined).map((o) => o.id)]);
    assert.deepEqual(taken.VALIDATE_HELP, ['maxParallel']);
    assert.deepEqual(taken.PLAN_HELP, RUN_OPTIONS.filter((o) => o.plan && o.flag !== undefined).map((o) => o.id));
    assert.deepEqual(taken.RUN_HELP, RUN_OPTIONS.filter((o) => o.flag !== undefined).map((o) => o.id));
  });

  it('both front ends read every row: the editor each setting, the command line each flag (an argv flag and switches too), and nothing else', () => {
    const asked: string[] = [];
    runOptionsFromSettings((o) => void asked.push(o.setting));
    assert.deepEqual(asked, RUN_OPTIONS.map((o) => o.setting));
    const read: string[] = [];
    const flags = new Map<string, string | true>();
    const spy = new Proxy(flags, {
      get(target, key) {
        if (key === 'has') return (f: string) => (read.push(f), target.has(f));
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    runOptionsFromCommandLine(spy, {}, false);
    assert.deepEqual([...new Set(read)], TABLE_FLAGS);
    assert.ok(RUN_OPTIONS.every((o: RunOption) => o.flag !== undefined || o.part === 'agent'), 'an option the command line has no flag for is an agent\'s only the editor can run');
  });
});

/**
 * Where the run's options are read: every one is the table's (core/run/runOptions.ts). The editor
 * reads its run settings in one file (src/run/run/settings.ts), each through its row, none by its
 * key; `waves run` parses its flags in one parser (src/cli/runCommand.ts), the table's from their
 * rows and the rest saying what this invocation does (--resume, --only, --json…). A run setting
 * read anywhere else by its key, a flag in neither list, or a table flag read by its name in the
 * run's command line, fails.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { flagsOf, RUN_OPTIONS, runOptionsFromCommandLine, runOptionsFromSettings, type RunOption } from '../../../src/core/run/runOptions';

const SRC = path.join(__dirname, '..', '..', '..', 'src');
const read = (file: string) => fs.readFileSync(path.join(SRC, file), 'utf8');

const TABLE_SETTINGS = RUN_OPTIONS.map((o) => o.setting.replace(/^waves\./, ''));
const TABLE_FLAGS = RUN_OPTIONS.flatMap(flagsOf);
/** `waves run`'s flags that are no option of the run but say what this invocation does. */
const INVOCATION_FLAGS = ['only', 'resume', 'dry-run', 'json', 'timeout-grace', 'answer', 'coordinator', 'coordinator-repository', 'hosts', 'on-host-lost', 'allow-planned-overlap', 'tick-source'];
/** The files of `waves run` and of what hands its flags on (`waves review`, `waves pick`). */
const RUN_COMMAND_LINE = ['cli/runCommand.ts', 'cli/runArgs.ts', 'cli/reviewCommand.ts'];

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(SRC, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return /\.tsx?$/.test(e.name) ? [rel] : [];
  });
}

/** The keys a file reads by name from a configuration object: `x.get<T>('key')`, `x.inspect<T>('key')`, `own<T>('key')`. */
function settingsRead(text: string): string[] {
  return [...text.matchAll(/(?:\.(?:get|inspect)|\bown)<[^>]*>\('([^']+)'/g)].map((m) => m[1]!);
}

describe('where the run options are read: every one is the table\'s', () => {
  it("the editor's run settings: each through its row in settings.ts (the walls' from the person's own values), none by its key", () => {
    const text = read('run/run/settings.ts');
    assert.deepEqual(settingsRead(text), [], 'no setting is read by its key');
    assert.equal(text.match(/runOptionsFromSettings\(/g)?.length, 3, 'the run (every option but the walls), the walls (the person\'s), the agent a host is checked with');
    assert.match(text, /runOptionsFromSettings\(\s*\(o\) => own<unknown>\(settingKey\(o\)\),\s*\(o\) => o\.walls,\s*\)/, "the walls, waves.sandbox.unconfined among them, from the person's own (user or remote machine) values only");
    assert.match(text, /const own = <T>\(key: string\): T \| undefined => config\.inspect<T>\(key\)\?\.globalValue;/);
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

  it("waves run's flags: the table's, from its rows, or the invocation's; nothing else, and no table flag read by its name", () => {
    const text = read('cli/runCommand.ts');
    const call = /parseArgs\(\s*argv,\s*\[([^\]]*)\],\s*\[([^\]]*)\],\s*repeatedFlags\(\),?\s*\)/.exec(text);
    assert.ok(call, "runCommand's parser was found, with the table's repeated flags");
    const flags = [...call[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
    assert.ok(call[1]!.includes('...runFlags()') && call[2]!.includes('...runFlags(true)'), "the parser takes the table's flags, switches and argv flags included");
    assert.deepEqual(flags, INVOCATION_FLAGS, 'every other flag says what this invocation does');
    for (const file of RUN_COMMAND_LINE) {
      const byName = [...read(file).matchAll(/flags\.(?:has|get)\('([^']+)'\)/g)].map((m) => m[1]!).filter((f) => TABLE_FLAGS.includes(f));
      assert.deepEqual(byName, [], `${file} names no flag of the table`);
    }
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

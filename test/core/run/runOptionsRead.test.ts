/**
 * Where the run's options are read. The editor reads its run settings in one file
 * (src/run/run/settings.ts), `waves run` its flags in one parser (src/cli/runCommand.ts); every
 * option either comes through the table (core/run/runOptions.ts) or is one of those still parsed
 * by each front end (listed here: each moves into the table, none is added). A run setting read
 * anywhere else, or a flag or setting that is in neither, fails.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { RUN_OPTIONS } from '../../../src/core/run/runOptions';

const SRC = path.join(__dirname, '..', '..', '..', 'src');
const read = (file: string) => fs.readFileSync(path.join(SRC, file), 'utf8');

const TABLE_SETTINGS = RUN_OPTIONS.map((o) => o.setting.replace(/^waves\./, ''));
/** The editor's run settings still read by hand in src/run/run/settings.ts. */
const SETTINGS_BY_HAND = ['agent', 'agentInteractive', 'agentOverrides', 'agentFallback', 'agentCaps', 'sandbox.unconfined', 'sandbox.container'];
/** `waves run`'s run options still parsed by hand in src/cli/runCommand.ts (the rest of its flags say what this invocation does: --resume, --only, --json…). */
const FLAGS_BY_HAND = ['agent', 'agent-argv', 'agent-fallback', 'agent-cap', 'unconfined'];
const INVOCATION_FLAGS = ['only', 'resume', 'dry-run', 'json', 'timeout-grace', 'answer', 'coordinator', 'coordinator-repository', 'hosts', 'on-host-lost', 'allow-planned-overlap', 'tick-source'];

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(SRC, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return /\.tsx?$/.test(e.name) ? [rel] : [];
  });
}

/** The keys a file reads from a configuration object: `x.get<T>('key')`, `x.inspect<T>('key')`, `own<T>('key')`. */
function settingsRead(text: string): string[] {
  return [...text.matchAll(/(?:\.(?:get|inspect)|\bown)<[^>]*>\('([^']+)'/g)].map((m) => m[1]!);
}

describe('where the run options are read', () => {
  it("the editor's run settings: the table's, or one of those still by hand, each read in settings.ts", () => {
    const keys = new Set(settingsRead(read('run/run/settings.ts')));
    assert.deepEqual([...keys].filter((k) => !SETTINGS_BY_HAND.includes(k) && !TABLE_SETTINGS.includes(k)), [], 'every setting read is listed');
    assert.deepEqual(SETTINGS_BY_HAND.filter((k) => !keys.has(k)), [], 'a setting moved into the table leaves the list');
  });

  it('no other file of the extension reads a run setting (the plan checks read the cap through capOf, in one file of src/plan)', () => {
    const runSettings = new Set([...TABLE_SETTINGS, ...SETTINGS_BY_HAND]);
    const elsewhere = sources('.')
      .filter((file) => file !== 'run/run/settings.ts' && !file.startsWith('core/') && !file.startsWith('webview/'))
      .flatMap((file) => settingsRead(read(file)).filter((k) => runSettings.has(k)).map((k) => `${file}: ${k}`));
    const planChecks = elsewhere.filter((hit) => /^plan\/\w+\.ts: maxParallel$/.test(hit));
    assert.ok(planChecks.length <= 1, `the plan checks read the cap in one file: ${planChecks.join(', ')}`);
    assert.deepEqual(elsewhere.filter((hit) => !planChecks.includes(hit)), []);
  });

  it("waves run's flags: the table's, one still by hand, or one of the invocation's; nothing else", () => {
    const text = read('cli/runCommand.ts');
    const call = /parseArgs\(\s*argv,\s*\[([^\]]*)\]/.exec(text);
    assert.ok(call, "runCommand's parser was found");
    const flags = [...call[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
    assert.ok(call[1]!.includes('...runFlags()'), "the parser takes the table's flags, switches included");
    assert.deepEqual(flags.filter((f) => !FLAGS_BY_HAND.includes(f) && !INVOCATION_FLAGS.includes(f)), [], 'every flag is listed');
    assert.deepEqual(FLAGS_BY_HAND.filter((f) => !flags.includes(f)), [], 'a flag moved into the table leaves the list');
    assert.deepEqual(flags.filter((f) => RUN_OPTIONS.some((o) => o.flag === f || (o.switches && f in o.switches))), [], 'a table flag is not also parsed by hand');
  });
});

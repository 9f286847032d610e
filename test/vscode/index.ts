// Entry point of the extension test suite that runs INSIDE a real VS Code extension host.
// It follows the @vscode/test-electron contract: the host loads this file (extensionTestsPath)
// and awaits run(); a rejection means the run failed (exit code 1).
// The same file serves code-server (scripts/test-vscode.mjs) and desktop VS Code
// (scripts/test-desktop.mjs).
//
// Output: every result goes through console.log (the only channel that reaches the runner
// from a remote extension host) as one line
//   ##waves-test {"event":"pass"|"fail"|"skip", "title": ..., "file": ..., "durationMs": ..., "error"?: ...}
// (and a "begin" line as each test starts, so a hang can be named)
// and, at the end, exactly one
//   ##waves-test {"event":"summary","passed":N,"failed":N,"skipped":N,"durationMs":N}
// Environment (code-server passes its own environment to the extension host):
//   WAVES_TEST_GREP     only tests whose full title matches this regular expression
//   WAVES_TEST_TIMEOUT  per-test timeout in ms (default 30000)
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export const LINE_PREFIX = '##waves-test ';

type Runnable = Mocha.Runnable & { file?: string; duration?: number };

/** Suite files that threw while loading (counted as failed tests). */
let loadFailures = 0;

function emit(obj: Record<string, unknown>): void {
  console.log(LINE_PREFIX + JSON.stringify(obj));
}

function relFile(file: string | undefined): string | undefined {
  return file ? path.basename(file).replace(/\.js$/, '.ts') : undefined;
}

/** Mocha reporter that writes one parseable console.log line per test and a summary. */
class LineReporter {
  passed = 0;
  failed = 0;
  skipped = 0;

  constructor(runner: Mocha.Runner) {
    const t0 = Date.now();
    runner.on(Mocha.Runner.constants.EVENT_TEST_BEGIN, (test: Runnable) => {
      emit({ event: 'begin', title: test.fullTitle(), file: relFile(test.file) });
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, (test: Runnable) => {
      this.passed++;
      emit({ event: 'pass', title: test.fullTitle(), file: relFile(test.file), durationMs: test.duration ?? 0 });
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test: Runnable, err: Error) => {
      this.failed++;
      // a failing hook ("before all" hook ...) is reported here too, as a failure
      emit({
        event: 'fail',
        title: test.fullTitle(),
        file: relFile(test.file),
        durationMs: test.duration ?? 0,
        error: String(err?.message ?? err),
        stack: err?.stack
          ? String(err.stack).split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 8).join('\n')
          : undefined,
      });
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, (test: Runnable) => {
      this.skipped++;
      emit({ event: 'skip', title: test.fullTitle(), file: relFile(test.file) });
    });
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      emit({
        event: 'summary',
        passed: this.passed,
        failed: this.failed + loadFailures,
        skipped: this.skipped,
        durationMs: Date.now() - t0,
      });
    });
  }
}

export function run(): Promise<void> {
  const suiteDir = path.join(__dirname, 'suite');
  const grep = process.env.WAVES_TEST_GREP;
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    timeout: Number(process.env.WAVES_TEST_TIMEOUT) || 30_000,
    reporter: LineReporter as unknown as typeof Mocha.reporters.Base,
    ...(grep ? { grep: new RegExp(grep) } : {}),
  });
  let files: string[];
  try {
    files = fs.readdirSync(suiteDir).filter((f) => f.endsWith('.test.js')).sort();
  } catch (e) {
    emit({ event: 'summary', passed: 0, failed: 1, skipped: 0, durationMs: 0, error: `no suite folder ${suiteDir}` });
    return Promise.reject(new Error(`no compiled suite in ${suiteDir}: ${String(e)}`));
  }
  if (files.length === 0) {
    emit({ event: 'summary', passed: 0, failed: 1, skipped: 0, durationMs: 0, error: `no *.test.js in ${suiteDir}` });
    return Promise.reject(new Error(`no *.test.js in ${suiteDir}`));
  }
  console.log(`[waves-test] running ${files.length} suite file(s) in ${process.version}, VS Code host pid ${process.pid}`);

  // Load each file on its own (what mocha.loadFiles does), so that one file that throws while
  // loading is reported as a failure and the other files still run.
  loadFailures = 0;
  for (const f of files) {
    const file = path.join(suiteDir, f);
    try {
      mocha.suite.emit('pre-require', globalThis, file, mocha);
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading a suite file is a dynamic require
      mocha.suite.emit('require', require(file), file, mocha);
      mocha.suite.emit('post-require', globalThis, file, mocha);
    } catch (err) {
      loadFailures++;
      const e = err as Error;
      emit({
        event: 'fail',
        title: `loading ${relFile(file)}`,
        file: relFile(file),
        durationMs: 0,
        error: String(e?.message ?? e),
        stack: e?.stack ? String(e.stack).split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 8).join('\n') : undefined,
      });
    }
  }

  return new Promise<void>((resolve, reject) => {
    try {
      mocha.run((failures) => {
        const total = failures + loadFailures;
        if (total > 0) reject(new Error(`${total} test(s) failed`));
        else resolve();
      });
    } catch (err) {
      emit({ event: 'fail', title: 'running mocha', error: String((err as Error)?.stack ?? err) });
      emit({ event: 'summary', passed: 0, failed: 1 + loadFailures, skipped: 0, durationMs: 0 });
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

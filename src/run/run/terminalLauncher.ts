/**
 * The editor's `Launcher` (docs/run-engine.md "Engine API"): each package attempt runs in a
 * VS Code terminal whose process IS the runner — `shellPath: process.execPath`,
 * `shellArgs: [runner.js, attemptDir, startToken]`, `ELECTRON_RUN_AS_NODE=1` — so an
 * interactive agent gets the real terminal and a headless one shows its live log. Nothing
 * goes through a shell. `exit.json` is the truth; the terminal's close event is the backup
 * the engine gets through `exited`.
 *
 * After a window reload VS Code brings the terminals back without their owner; `attach`
 * finds a runner's terminal again by its process id (the runner refuses to run an attempt
 * twice, so a revived terminal never starts an agent again).
 */
import * as vscode from 'vscode';
import { runnerEnv, type Launcher, type LaunchRequest, type LaunchResult } from '../../engine';
import { Disposable } from '../../util/lifecycle';
import { withTimeout } from '../../util/timeout';

/** The terminal of one attempt. */
export interface AttemptTerminal {
  readonly featureId: string;
  readonly packageId: string;
  readonly attempt: number;
  readonly terminal: vscode.Terminal;
  /** The runner's pid (the terminal's process). */
  pid: number | null;
}

const key = (featureId: string, packageId: string) => `${featureId}\u0000${packageId}`;

/** `wave 2 · wp-api` (`#2` from the second attempt on). */
export function terminalName(wave: number | null, packageId: string, attempt: number): string {
  return `${wave === null ? 'wave ?' : `wave ${wave}`} · ${packageId}${attempt > 1 ? ` #${attempt}` : ''}`;
}

/** Every attempt terminal of the window, by feature and package (the latest attempt). */
export class TerminalRegistry extends Disposable {
  private readonly byPackage = new Map<string, AttemptTerminal>();
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;

  constructor() {
    super();
    this.register(
      vscode.window.onDidCloseTerminal((t) => {
        for (const [k, a] of this.byPackage) if (a.terminal === t) this.byPackage.delete(k);
        this.changed.fire();
      }),
    );
  }

  get(featureId: string, packageId: string): AttemptTerminal | undefined {
    return this.byPackage.get(key(featureId, packageId));
  }

  set(entry: AttemptTerminal): void {
    this.byPackage.set(key(entry.featureId, entry.packageId), entry);
    this.changed.fire();
  }

  all(): AttemptTerminal[] {
    return [...this.byPackage.values()];
  }

  /**
   * Finds the terminal whose process is `pid` (a runner VS Code revived after a reload) and
   * records it for the package. Returns it, or undefined when no terminal has that process.
   */
  async attach(featureId: string, packageId: string, attempt: number, pid: number): Promise<AttemptTerminal | undefined> {
    for (const terminal of vscode.window.terminals) {
      let processId: number | undefined;
      try {
        processId = await withTimeout(terminal.processId, 2000, () => undefined);
      } catch {
        // a terminal that does not answer in time: not the one
        processId = undefined;
      }
      if (processId !== pid) continue;
      const entry: AttemptTerminal = { featureId, packageId, attempt, terminal, pid };
      this.set(entry);
      return entry;
    }
    return undefined;
  }

  /**
   * `attach` now, else as soon as VS Code revives a terminal with that process (after a
   * reload the terminals come back a moment after activation). Gives up after `giveUpMs`.
   */
  attachWhenOpen(featureId: string, packageId: string, attempt: number, pid: number, giveUpMs = 120_000): Promise<AttemptTerminal | undefined> {
    return new Promise((resolve) => {
      let done = false;
      const stop = (found?: AttemptTerminal) => {
        if (done) return;
        done = true;
        sub.dispose();
        clearTimeout(timer);
        resolve(found);
      };
      const sub = vscode.window.onDidOpenTerminal(async (terminal) => {
        const processId = await withTimeout(terminal.processId, 2000, () => undefined).catch(() => undefined);
        if (done || processId !== pid) return;
        const entry: AttemptTerminal = { featureId, packageId, attempt, terminal, pid };
        this.set(entry);
        stop(entry);
      });
      const timer = setTimeout(() => stop(), giveUpMs);
      this.register({ dispose: () => stop() });
      void this.attach(featureId, packageId, attempt, pid).then((found) => found && stop(found));
    });
  }
}


export interface TerminalLauncherOptions {
  featureId: string;
  /** The 1-based wave of a package (for the terminal's name), null when it has none. */
  waveOf: (packageId: string) => number | null;
  terminals: TerminalRegistry;
  /** Show the terminal of an interactive agent at once (headless ones are opened on demand). */
  revealInteractive?: boolean;
}

/** Opens one terminal per attempt, hosting the runner. */
export class TerminalLauncher implements Launcher {
  constructor(private readonly options: TerminalLauncherOptions) {}

  async launch(request: LaunchRequest): Promise<LaunchResult> {
    // The terminal adds these to the environment it inherits. NODE_EXTRA_CA_CERTS is held back
    // from the runner as the engine's own launcher holds it (`runnerEnv`: Node reads the file at
    // every start, about 45 ms here; the runner gives it back to the agent): null unsets it.
    const certs = process.env.NODE_EXTRA_CA_CERTS;
    const env: Record<string, string | null | undefined> = runnerEnv(certs === undefined ? {} : { NODE_EXTRA_CA_CERTS: certs }, request.env);
    if (env.WAVES_NODE_EXTRA_CA_CERTS !== undefined) env.NODE_EXTRA_CA_CERTS = null;
    // The runner is a Node script; in desktop VS Code process.execPath is Electron.
    if (request.command === process.execPath) env.ELECTRON_RUN_AS_NODE = '1';
    const terminal = vscode.window.createTerminal({
      name: terminalName(this.options.waveOf(request.packageId), request.packageId, request.attempt),
      shellPath: request.command,
      shellArgs: request.args,
      cwd: request.cwd,
      env,
      iconPath: new vscode.ThemeIcon(request.interactive ? 'terminal' : 'package'),
      color: new vscode.ThemeColor(request.interactive ? 'terminal.ansiYellow' : 'terminal.ansiBlue'),
    });
    const exited = new Promise<number | null>((resolve) => {
      const sub = vscode.window.onDidCloseTerminal((t) => {
        if (t !== terminal) return;
        sub.dispose();
        resolve(t.exitStatus?.code ?? null);
      });
    });
    if (request.interactive && this.options.revealInteractive !== false) terminal.show(true);
    const pid = (await withTimeout(terminal.processId, 10_000, () => undefined)) ?? null;
    this.options.terminals.set({ featureId: this.options.featureId, packageId: request.packageId, attempt: request.attempt, terminal, pid });
    return { pid, exited };
  }
}

/** The live progress of `waves run`: a repainted table on a TTY, a line per event otherwise, NDJSON with --json. */
import { createProgressModel, modelFromState, reduceProgress, type ProgressEvent, type ProgressModel, type ProgressPackage } from '../core/present/progressModel';
import { renderLine, renderTable, repaint } from '../core/present/terminalProgress';
import type { RunState } from '../core/run/runState';
import { type EngineEvent } from '../engine';
import { type Io } from './io';


/** Live progress: a repainted table on a TTY, a line per event otherwise, NDJSON with --json. */
export class ProgressOutput {
  private model: ProgressModel;
  private height = 0;
  private timer: NodeJS.Timeout | null = null;
  private held = false;
  private readonly tty: boolean;

  constructor(
    private readonly io: Io,
    private readonly json: boolean,
    packages: ProgressPackage[],
  ) {
    this.model = createProgressModel(packages);
    this.tty = !json && process.stdout.isTTY === true;
    if (this.tty) this.timer = setInterval(() => this.paint(), 1000);
  }

  event(event: EngineEvent, state: RunState | undefined, packages: ProgressPackage[]): void {
    const at = new Date().toISOString();
    if (this.json) {
      this.io.out(JSON.stringify({ ...event, at }) + '\n');
      return;
    }
    const pe = { ...event, at } as ProgressEvent;
    // Run-wide problems scroll above the table, so none is lost to a repaint.
    if (this.tty && event.type === 'problem' && event.packageId === undefined) this.above(renderLine(pe, Date.now()));
    // A resumed run: start the view from the state it resumes (only the packages this run drives).
    if (event.type === 'run-started' && state) {
      const ids = new Set(packages.map((p) => p.id));
      const model = modelFromState(state, packages);
      this.model = { ...model, rows: model.rows.filter((r) => ids.has(r.id)) };
    }
    this.model = reduceProgress(this.model, pe);
    if (this.tty) this.paint();
    else this.io.out(renderLine(pe, Date.now()) + '\n');
  }

  note(text: string): void {
    if (this.json) this.io.err(`waves: ${text}\n`);
    else if (this.tty) {
      this.model = reduceProgress(this.model, { type: 'note', text, at: new Date().toISOString() });
      this.paint();
    } else this.io.out(renderLine({ type: 'note', text, at: new Date().toISOString() }, Date.now()) + '\n');
  }

  /** A line printed above the table (which is drawn again below it). */
  private above(line: string): void {
    this.io.out(`${repaint(this.height, [])}\x1b[2K${line}\n`);
    this.height = 0;
  }

  /** Stops drawing (events still count) while the person is asked something below the table. */
  hold(): void {
    this.held = true;
  }

  /** Draws again, below the question and its answer. */
  resume(): void {
    this.held = false;
    this.height = 0;
    if (this.tty) this.paint();
  }

  private paint(): void {
    if (this.held) return;
    const rows = process.stdout.rows || 24;
    // One column short of the width: a line that fills it may wrap on some terminals.
    const width = Math.max(20, (process.stdout.columns || 80) - 1);
    const lines = renderTable(this.model, width, Date.now(), { maxRows: Math.max(3, Math.min(20, rows - 4)) });
    this.io.out(repaint(this.height, lines));
    this.height = lines.length;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.tty) this.paint();
  }
}


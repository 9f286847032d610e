import * as vscode from 'vscode';
import type { PlanRegistry } from '../plan/planRegistry';
import { couplingOnFirstPlan } from './coupling/couplingStart';
import { LiveRuns } from './run/liveRuns';
import { RunContextKeys, RunFacts } from './run/runFacts';
import { RunLenses } from './run/runLenses';
import { RunWatch } from './run/runWatch';

/**
 * The run's part of activation (ADR 0020): what the views, the menus and the plan's lenses
 * show of the runs on disk. The run controller, its commands and notifications, the reconciler
 * and the shared coordinator's runs come with the on-demand parts (`src/onDemand.ts`).
 */
export interface RunFront {
  /** Follows, read-only, the run states and lock tables on disk (every run, whoever drives it). */
  readonly watch: RunWatch;
  /** What the views ask of the runs; the run controller attaches its sessions to it. */
  readonly facts: RunFacts;
  readonly live: LiveRuns;
}

/** Builds the run watch, the run facts, their live view, the plan's run lenses and the context keys; the coupling check starts with the first plan opened. */
export function createRunFront(registry: PlanRegistry, log: vscode.LogOutputChannel): RunFront & vscode.Disposable {
  const watch = new RunWatch(log, undefined, registry);
  const facts = new RunFacts(watch);
  const live = new LiveRuns(watch, facts);
  const lenses = new RunLenses(registry, facts, live);
  const keys = new RunContextKeys(registry, facts, live);
  const coupling = couplingOnFirstPlan(registry, log);
  const all = [coupling, keys, lenses, live, facts, watch];
  return { watch, facts, live, dispose: () => all.forEach((d) => d.dispose()) };
}

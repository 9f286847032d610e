/**
 * The forecast of a start, written once for the three places that show it: the dry run
 * (`dryRunOf`), the start itself (`startRun`: the editor's Run Plan confirmation asks with it,
 * and the run keeps it for its report) and the proposed plan's approval bar (`forecastOf`).
 * The plan's packages in the run's scope, their agents and the cap, as the start would run
 * them; this repository's past runs read by the run room (`readPastRuns`); the figures made by
 * the pure `core/run/forecast.ts`.
 */
import { forecastRun, type RunForecast } from '../../core/run/forecast';
import { hostsCapacity } from '../../core/hosts/hostList';
import { schedPackagesFromAnalysis } from '../../core/run/schedule';
import { candidateSetOf } from '../../core/plan/candidateSet';
import { capOf, timeoutMinutesOf } from '../../core/plan/defaults';
import type { PlanSource } from '../plan';
import { readPastRuns } from '../run';
import type { AgentProfile } from '../../core/agents/agentProfiles';
import type { Host } from '../../core/hosts/hostList';

export interface ForecastResult {
  forecast: RunForecast;
  /** Past run states that could not be read (skipped), each said once per process. */
  problems: string[];
}

/** What of a start request the forecast reads (a `StartRequest` is one). */
export interface ForecastRequest {
  agent: AgentProfile;
  agentFor?: (packageId: string) => AgentProfile;
  maxParallel?: number;
  mode?: 'eager' | 'barrier';
  only?: readonly string[];
  hosts?: { hosts: readonly Host[] };
  /** Best of n: the run-wide count of candidates (a package's own `inputs.waves` wins). */
  candidates?: number;
}

/** The forecast of running `plan` as `request` asks (its scope, agents, cap and mode). */
export async function forecastFor(plan: PlanSource & { repo: string; featureId: string }, request: ForecastRequest): Promise<ForecastResult> {
  const { analysis } = plan;
  const scope = request.only ? new Set(request.only) : null;
  const byId = new Map(analysis.plan.packages.map((p) => [p.id, p] as const).reverse());
  // A set of candidates (best of n) takes a slot of the cap for each, and spends for each.
  const packages = schedPackagesFromAnalysis(analysis)
    .filter((p) => !scope || scope.has(p.id))
    .map((p) => {
      const pkg = byId.get(p.id);
      const set = pkg ? candidateSetOf(pkg, request.candidates) : null;
      return set ? { ...p, slots: set.count } : p;
    });
  const cap = capOf(request.maxParallel);
  const { runs, problems } = await readPastRuns(plan.repo, plan.featureId);
  const forecast = forecastRun({
    featureId: plan.featureId,
    packages,
    timeoutMinutes: (id) => timeoutMinutesOf(byId.get(id), analysis.plan.defaults),
    agentOf: (id) => {
      const agent = request.agentFor?.(id) ?? request.agent;
      return { id: agent.id, label: agent.label };
    },
    maxParallel: request.hosts?.hosts.length ? hostsCapacity(request.hosts.hosts, cap) : cap,
    mode: request.mode ?? 'eager',
    history: runs,
    // A plan of plans: its parents' joins run no agent.
    ...(plan.nested && 'joins' in plan.nested ? { joins: new Set(Object.keys(plan.nested.joins)) } : {}),
  });
  return { forecast, problems };
}

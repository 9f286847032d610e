/**
 * A run's start request from the values a front end read (`waves run`'s flags, the editor's
 * settings and its command): the one place a value that says nothing — unset, a switch that is
 * off, an empty list or map, a budget of neither dollars nor tokens, a run-wide count of one
 * candidate (none) — is left out of the request,
 * so both front ends hand the engine the same request for the same choices.
 */
import type { StartRequest } from './startRun';

type Required = 'planFile' | 'shown' | 'agent';

/** The request's values as read: each of them may be absent (undefined). */
export type StartValues = Pick<StartRequest, Required> & { [K in Exclude<keyof StartRequest, Required>]?: StartRequest[K] | undefined };

/** Said only when on. */
const SWITCHES: ReadonlySet<string> = new Set(['resume', 'layered', 'keepInterrupted', 'collectOnly', 'adopt', 'allowPlannedOverlap']);
/** Said only when they hold something. */
const LISTS: ReadonlySet<string> = new Set(['reset', 'agentFallback', 'copyFiles']);

function saysNothing(key: string, value: unknown): boolean {
  if (value === undefined) return true;
  if (value === false) return SWITCHES.has(key);
  if (Array.isArray(value)) return value.length === 0 && LISTS.has(key);
  if (key === 'agentCaps') return Object.keys(value as object).length === 0;
  if (key === 'candidates') return value === 1;
  if (key === 'budget') {
    const budget = value as { usd?: number; tokens?: number };
    return budget.usd === undefined && budget.tokens === undefined;
  }
  return false;
}

/** The start request of `values`: what says nothing left out, the rest as given. */
export function startRequestFrom(values: StartValues): StartRequest {
  const request: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) if (!saysNothing(key, value)) request[key] = value;
  return request as unknown as StartRequest;
}

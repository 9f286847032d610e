/**
 * What agents spent — tokens, and cost where the agent reports one: per attempt from the
 * CLI's structured output (`agentLogs.ts` `spendOf`), summed per package in the run state and per
 * run in the report and the budget check. Pure.
 */

/** What an attempt (or a package, or a run) spent: tokens, and cost where the agent reports one. */
export interface Spend {
  /** Input tokens not read from a cache. */
  inputTokens: number;
  outputTokens: number;
  /** Input tokens read from (or written to) the provider's cache. */
  cachedTokens: number;
  /** US dollars as the CLI computed them; null when it reports no cost (Codex, Gemini, Copilot). */
  costUsd: number | null;
}

/** Adds two spends (null cost stays null only when both are). */
export function addSpend(a: Spend | null | undefined, b: Spend | null | undefined): Spend | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cachedTokens: a.cachedTokens + b.cachedTokens,
    costUsd: a.costUsd === null && b.costUsd === null ? null : Math.round(((a.costUsd ?? 0) + (b.costUsd ?? 0)) * 1e6) / 1e6,
  };
}


/** `12,345 tokens (10,000 in, 2,000 out, 345 cached) · $0.42` — the cost only where one was reported. */
export function formatSpend(spend: Spend): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const total = spend.inputTokens + spend.outputTokens + spend.cachedTokens;
  const cost = spend.costUsd === null ? '' : ` · $${spend.costUsd.toFixed(2)}`;
  return `${n(total)} tokens (${n(spend.inputTokens)} in, ${n(spend.outputTokens)} out, ${n(spend.cachedTokens)} cached)${cost}`;
}

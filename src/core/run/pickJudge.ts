/**
 * Best of n, `pick: judge` (ADR 0031): what the judge — an agent inside walls that reads, and
 * writes nothing but its answer — is asked (the package's task and each green candidate's diff
 * against its base), and its answer read from any text without throwing: `ranking.json`, the
 * green candidates best first, each with its reason. Pure.
 */

/** The most characters of one candidate's diff the judge is shown (a longer one is cut, and says so). */
export const MAX_DIFF_CHARS = 40_000;

export interface JudgedCandidate {
  candidate: number;
  agent: string;
  /** `git diff` of its head against its base. */
  diff: string;
}

/** The judge's prompt: the task, then each candidate's diff, then how to answer. */
export function judgePrompt(input: { packageId: string; title: string | null; task: string; candidates: readonly JudgedCandidate[] }): string {
  const out = [
    `# Judge the candidates of work package \`${input.packageId}\``,
    '',
    `${input.candidates.length} agents did the same work package side by side; each passed the scope audit and the verification commands. Read the task and each candidate's changes, and rank them: which one should be merged?`,
    '',
    '## Task',
    '',
    ...(input.title ? [input.title, ''] : []),
    input.task.trim() || '(no description)',
    '',
  ];
  for (const c of input.candidates) {
    const cut = c.diff.length > MAX_DIFF_CHARS;
    out.push(`## Candidate ${c.candidate} (${c.agent})`, '', '```diff', cut ? c.diff.slice(0, MAX_DIFF_CHARS) : c.diff, '```', ...(cut ? [`(cut at ${MAX_DIFF_CHARS} characters of ${c.diff.length})`] : []), '');
  }
  out.push(
    '## Your answer',
    '',
    'Write the file `ranking.json` in your working folder, and nothing else:',
    '',
    '```json',
    `{ "ranking": [ { "candidate": ${input.candidates[0]?.candidate ?? 1}, "reason": "why it is the best, in one sentence" } ] }`,
    '```',
    '',
    'Best first; name only the candidates above. Do not change any other file.',
  );
  return out.join('\n') + '\n';
}

/** The judge's answer: its first candidate that is one of `green`, with its reason; or the problem in words. */
export function readRanking(text: string | null, green: readonly number[]): { ok: true; candidate: number; reason: string } | { ok: false; problem: string } {
  if (text === null) return { ok: false, problem: 'it wrote no ranking.json' };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'its ranking.json is not JSON' };
  }
  const ranking = (raw as { ranking?: unknown } | null)?.ranking;
  if (!Array.isArray(ranking) || ranking.length === 0) return { ok: false, problem: 'its ranking.json has no ranking' };
  for (const r of ranking) {
    const k = (r as { candidate?: unknown } | null)?.candidate;
    const reason = (r as { reason?: unknown } | null)?.reason;
    if (typeof k === 'number' && green.includes(k)) return { ok: true, candidate: k, reason: typeof reason === 'string' && reason.trim() ? reason.trim().slice(0, 300) : 'ranked first' };
  }
  return { ok: false, problem: `its ranking names none of the green candidates (${green.join(', ')})` };
}

/**
 * The `waves` command's argument parsing, shared by every command: `--flag`, `--flag value`,
 * `--flag=value`, and `UsageError` (the message of an exit-2 usage error).
 */

/** A usage error: `waves` prints it with the usage and exits 2. */
export class UsageError extends Error {}

export interface Parsed {
  flags: Map<string, string | true>;
  args: string[];
}

/**
 * Parse `--flag`, `--flag value`, `--flag=value`; `valued` lists flags that take a value. A flag
 * of `repeated` may be given several times: its values joined by commas (else the last wins).
 */
export function parseArgs(argv: readonly string[], known: readonly string[], valued: readonly string[], repeated: readonly string[] = []): Parsed {
  const flags = new Map<string, string | true>();
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '--') {
      args.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
    if (!known.includes(name)) throw new UsageError(`unknown option --${name}`);
    if (valued.includes(name)) {
      const value = eq === -1 ? argv[++i] : a.slice(eq + 1);
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      const before = flags.get(name);
      flags.set(name, repeated.includes(name) && typeof before === 'string' ? `${before},${value}` : value);
    } else {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
    }
  }
  return { flags, args };
}

/** A flag's positive number of minutes (decimals allowed: `0.5` is 30 s), as milliseconds; undefined when absent. */
export function minutesFlag(flag: string, raw: string | true | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const text = String(raw);
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n > 0) || n > 10_080) throw new UsageError(`--${flag} must be a number of minutes above 0 (at most a week, 10080), not "${text}"`);
  return Math.round(n * 60_000);
}

/** A whole number flag ≥ `min`; undefined when not given. */
export function positiveInt(flag: string, raw: string | true | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const text = String(raw);
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min) throw new UsageError(`--${flag} must be a whole number ≥ ${min}, not "${text}"`);
  return n;
}

/** A bench's own options (`npm run bench NAME -- --packages=50`): scale.bench.ts, workers.bench.ts. */
const argv = process.argv.slice(2);

/** `--name=value` or `--name value`; '' for a bare `--name`; undefined when absent. */
export const flag = (name: string): string | undefined => {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const a = argv[i]!;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[i + 1] : '';
};

/** A positive number, else `d`. */
export const num = (v: string | undefined, d: number) => (v && Number(v) > 0 ? Number(v) : d);

/**
 * Each package's own ports: its agent gets a range of its own in its environment
 * (`WAVES_PORT_RANGE=<first>-<last>`, `PORT=<first>`), so dev servers and tests that agents start
 * side by side do not take each other's port when they run without walls. Inside walls each
 * agent has a network namespace of its own (its loopback included) and no port is shared anyway;
 * the range is given all the same, so a project's scripts read the same variables either way.
 * Pure.
 */

/** The first port of the first range. */
export const PORT_BASE = 41000;
/** Ports in one package's range. */
export const PORT_SPAN = 100;
/** Ranges stay below this port; past it they start again at `PORT_BASE`. */
export const PORT_CEILING = 65000;

/** How many ranges fit before they start again. */
export const PORT_RANGES = Math.floor((PORT_CEILING - PORT_BASE) / PORT_SPAN);

/**
 * The range of the package at `index` in the plan (stable within a run: the plan's order), the
 * last port included. Past `PORT_RANGES` packages the ranges start again from the first.
 */
export function portRangeOf(index: number): { first: number; last: number } {
  const slot = ((Math.floor(index) % PORT_RANGES) + PORT_RANGES) % PORT_RANGES;
  const first = PORT_BASE + slot * PORT_SPAN;
  return { first, last: first + PORT_SPAN - 1 };
}

/** The variables that give the package at `index` its range. */
export function portEnvOf(index: number): { WAVES_PORT_RANGE: string; PORT: string } {
  const { first, last } = portRangeOf(index);
  return { WAVES_PORT_RANGE: `${first}-${last}`, PORT: String(first) };
}

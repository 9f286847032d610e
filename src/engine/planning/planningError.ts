/** A refusal of the planning room, in a person's words: nothing was started or changed by it (the front ends exit 2, or show it). */
export class PlanningError extends Error {}

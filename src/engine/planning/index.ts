/**
 * The planning room: plan a feature with an agent (ADR 0013) — planner.ts (the sessions and
 * their rounds) and planApproval.ts (approve, discard, the run gate), whose exports are the
 * room's (the front door lists the ones it offers).
 */
export * from './planner';
export * from './planApproval';
export { taskKeysOf } from './draft';
export { personsSourceOf, proposalSourcesOf, type ProposalSources } from './proposalSources';

/**
 * The plan room: a plan as the engine runs it.
 *   planSource.ts     a plan file read with its repository root, hash and analysis
 *   planArtifacts.ts  the plan's artifacts for context slicing (its folder's files, design.md)
 *   coupling.ts       imports across parallel packages' write scopes, read with a real parser (importParser.ts)
 */
export { findRepositoryRoot, loadPlan, planErrorLines, PlanReadError, planHash, previewRoot, repositoryRoot, type PlanSource } from './planSource';
export { readPlanArtifacts } from './planArtifacts';
export { couplingOfPlan, findCoupling, type CouplingOptions, type CouplingScan } from './coupling';

/**
 * The consent room: what the person agreed to on this machine.
 *   approvalStore.ts  the person's approvals of verification commands, and the check before any runs
 *   approvals.ts      a plan's verification commands, approved or not; approving the list shown
 *   machine.ts        this machine's id and the person's, and a run that is not theirs here (foreign)
 */
export { approve, isApproved, personalApprovals, requireApproved, VerificationNotApprovedError } from './approvalStore';
export * from './approvals';
export { foreignReason, machineId, PersonFolderError, personId, thisDriver, type Driver } from './machine';

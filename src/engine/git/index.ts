/**
 * The git room: every git process of the engine goes through its one queue (gitProcess.ts, ADR
 * 0014) with its safe settings (gitSafety.ts). What the other rooms use of it:
 *   gitRun.ts        git()/gitOut(), GitError, and the reads every job shares (revisions, HEAD)
 *   exclude.ts       `.waves/` kept out of git (info/exclude)
 *   worktrees.ts     package worktrees: created, reused, made ahead and taken, shared, removed
 *   treeMarks.ts     the engine's marks in a tree's private git folder (made ahead, set up, copied into)
 *   worktreeCopy.ts  the copy list: files git does not carry, copied from the checkout into a new tree
 *   commits.ts       the engine's commits of what an agent left
 *   treeDiff.ts      the audit's input: where a tree stands, what a commit changes, what is ignored
 *   integration.ts   the integration branch and the merges into it
 *   fastForward.ts   the final fast-forward offer (`waves finish`)
 *   gitOnDisk.ts     answers read from git's files when they say it plainly
 *   checkoutGuard.ts the person's checkout fingerprinted, to see it changed; a moved branch put back
 *   setupRestore.ts  the git set-up kept at a start, put back and quarantined when it changed
 *   checkTree.ts     the integration guard's scratch tree at one commit, the merges between two
 *   layers.ts        layered worktrees: one shared checkout of a base below, each tree's changes above (ADR 0032)
 */
export { branchExists, ENGINE_IDENTITY, git, GitError, gitOut, headCommit, isAncestor, revParse, type GitResult } from './gitRun';
export { ensureExcluded } from './exclude';
export { createWorktree, dropMadeAhead, listWorktrees, prepareSharedTree, removeWorktreeIfSafe, samePath, takeMadeAhead, type RemoveResult, type WorktreeResult } from './worktrees';
export { copiedInto, isSetUp, madeAheadAt, madeAheadReason, markCopied, markMadeAhead, markSetUp } from './treeMarks';
export { copyIntoTree, copyListIntoTree, copyLogText, copySources, type CopyOptions, type TreeCopy } from './worktreeCopy';
export { commitAll, commitAllLanding } from './commits';
export { inspectTree, treeChanges, treeRawChanges, type TreeInspection } from './treeDiff';
export { commitMerge, ensureIntegration, integrationState, mergeTreeCheck, writeMergeChain, writeMergeCommit, type MergeCheck, type PreparedMerge } from './integration';
export { fastForward, FastForwardRefusedError, fastForwardOffer, type FastForwardOffer, type LocalFile } from './fastForward';
export { guardGitSetup, SAFE_CONFIG_ARGS, snapshotGitSetup } from './gitSafety';
export { keepGitSetup, restoreGitSetup, type KeptGitSetup, type SetupRestore } from './setupRestore';
export { commitOnDisk, repoDirs } from './gitOnDisk';
export { warmGit } from './gitProcess';
export { checkTreeAt, dropCheckTree, mergesBetween } from './checkTree';
export { changedSince, checkoutChanges, putBranchBack, snapshotCheckout, type BranchPutBack, type CheckoutFingerprint } from './checkoutGuard';
export { onStaleLockCleared, realPathOr } from './staleLocks';
export { dropUnmadeTree, TreeInTheWayError } from './halfMade';
export { dropStaleLayers, isLayeredTree } from './layers';

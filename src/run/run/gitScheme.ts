/**
 * The scheme of the read-only `waves-git:` documents (a file's text at a commit, `review.ts`): a
 * module of its own, so activation registers their provider's stand-in (`src/onDemandStubs.ts`)
 * without the review's code, which imports the engine.
 */
export const GIT_SCHEME = 'waves-git';

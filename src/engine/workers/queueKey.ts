/** A queued attempt's key (its feature, run, package and attempt) as a map's key. */
import type { QueueKey } from '../coordinator';

export const keyText = (k: QueueKey): string => JSON.stringify([k.featureId, k.runId, k.packageId, k.attempt]);

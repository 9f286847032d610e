import type { CandidateAction, ExportFormat, PackageAction, PackageDetails, ProposalAction } from '../src/protocol';

/**
 * What the panel's components ask of the host. `main.tsx` builds it over the requester
 * (`src/protocol/requester.ts`); `App.tsx` and `Details.tsx` only call it, so neither
 * imports the other for it.
 */
export interface Rpc {
  details(id: string): Promise<PackageDetails>;
  action(id: string, action: PackageAction): Promise<void>;
  /** Best of n: Pick or Show Changes of candidate `candidate` of a package; rejects with the host's reason. */
  candidate(id: string, candidate: number, action: CandidateAction): Promise<void>;
  exportDag(format: ExportFormat): Promise<void>;
  /** An action of a proposed plan's approval bar; rejects with the host's reason. */
  proposal(action: ProposalAction): Promise<void>;
  /** Select the package in the Waves view too (the timeline's click). */
  revealInWaves(id: string): Promise<void>;
  /** Export the run timeline as SVG (the host draws it from the run state). */
  exportTimeline(): Promise<void>;
  /** Show a sub-plan of a plan of plans: the parents from the top plan down (empty: the top plan); rejects with the host's reason. */
  openGroup(path: string[]): Promise<void>;
}

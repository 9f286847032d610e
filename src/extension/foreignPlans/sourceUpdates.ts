/**
 * A task list changed after it was converted: the update of its converted plan is offered (a
 * notification, Update / Ignore), never made silently. The plans of a task list are the ones
 * converted here (remembered: `ConversionRecords`) and those whose `converted_from` names it
 * (`waves convert`). Only the saved text counts; an offer is made once per new text of the
 * source, and only when converting it again would change the plan. Update writes the new plan
 * through its document (the person can undo it); Ignore keeps the plan until the next change;
 * a dismissed offer is made again at the source's next change, or in the next session.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type * as Formats from '../../core/formats/foreignAnalysis';
import type { ForeignPlanResult } from '../../core/formats/assemble';
import type { PlanEntry, PlanRegistry } from '../../plan/planRegistry';
import { Disposable } from '../../util/lifecycle';
import { savedText, textHash, withoutComments, writeWhole, type ConversionRecord, type ConversionRecords } from './convertInEditor';

export interface UpdateQuestions {
  /** `source` changed since `plan` was converted from it (`edited`: the plan was changed since, too): update the plan, ignore this change, or decide later (undefined). */
  offerUpdate(source: vscode.Uri, plan: vscode.Uri, edited: boolean): Promise<'update' | 'ignore' | undefined>;
}

export const updateDialog: UpdateQuestions = {
  async offerUpdate(source, plan, edited) {
    const choice = await vscode.window.showInformationMessage(
      `${vscode.workspace.asRelativePath(source)} changed since ${vscode.workspace.asRelativePath(plan)} was converted from it. Update the plan?` +
        (edited ? ' Your own changes to the plan are replaced (Undo in its editor brings them back).' : ''),
      'Update',
      'Ignore',
    );
    return choice === 'Update' ? 'update' : choice === 'Ignore' ? 'ignore' : undefined;
  },
};

export class SourceUpdates extends Disposable {
  /** Per `plan|source` converted elsewhere (no record): the source and its conversion as first seen this session. */
  private readonly seen = new Map<string, Pick<ConversionRecord, 'sourceHash' | 'convertedHash'>>();
  /** `plan|source|sourceHash` offered (or being checked) already. */
  private readonly offered = new Set<string>();
  /** The offers under way, and the folder reads before them (the suite waits on them: `idle`). */
  private readonly pending = new Set<Promise<void>>();
  /** Per plan, its last offer: offers of one plan one after another, of different plans each on its own (an unanswered one holds no other plan's). */
  private readonly lastOffer = new Map<string, Promise<void>>();
  /** src/core/formats, once the workspace has a task list (which loaded it). */
  private formats: typeof Formats | undefined;
  private readonly linksChanged = this.register(new vscode.EventEmitter<void>());
  /** `plansOf` may answer otherwise (a conversion remembered, the plans' links read). */
  readonly onDidChangeLinks = this.linksChanged.event;

  /** Settles when the offers under way now are made (answered or dismissed). */
  get idle(): Promise<void> {
    return Promise.all([...this.pending]).then(() => undefined);
  }

  private track(work: Promise<void>): Promise<void> {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
    return work;
  }

  constructor(
    private readonly deps: { registry: PlanRegistry; records: ConversionRecords; log: vscode.LogOutputChannel },
    public questions: UpdateQuestions = updateDialog,
  ) {
    super();
    this.register(deps.registry.onDidChange(() => this.check()));
    void deps.registry.ready.then(() => this.check());
  }

  /** The plans converted from `source`: remembered here, or naming it in `converted_from`. */
  plansOf(source: vscode.Uri): vscode.Uri[] {
    const key = source.toString();
    const out = new Map<string, vscode.Uri>();
    for (const [plan, record] of Object.entries(this.deps.records.all())) {
      // A plan gone (or no longer followed) is no plan of it.
      if (record.source === key && this.deps.registry.get(vscode.Uri.parse(plan))) out.set(plan, vscode.Uri.parse(plan));
    }
    for (const entry of this.formats ? this.deps.registry.plans : []) {
      if (entry.foreign) continue;
      for (const from of this.formats!.sourceFilesOf(entry.analysis.plan.packages)) {
        if (entry.uri.with({ path: path.posix.join(path.posix.dirname(entry.uri.path), from) }).toString() === key) out.set(entry.uri.toString(), entry.uri);
      }
    }
    return [...out.values()];
  }

  private check(): void {
    if (!this.deps.registry.plans.some((e) => e.foreign)) return;
    if (!this.formats) {
      void import('../../core/formats/foreignAnalysis').then((formats) => {
        this.formats = formats;
        if (this.isDisposed) return;
        this.linksChanged.fire();
        this.check();
      });
      return;
    }
    for (const entry of this.deps.registry.plans) {
      // The text as saved only (an open document with unsaved changes is analysed with its version).
      if (!entry.foreign || entry.documentVersion !== undefined) continue;
      if (entry.files) {
        if (!entry.files.some((f) => f.documentVersion !== undefined)) this.checkFolder(entry);
        continue;
      }
      const hash = textHash(entry.analysis.text);
      for (const plan of this.plansOf(entry.uri)) this.queue(entry.uri, plan, hash, () => this.formats!.readForConversion(entry.uri.path, entry.analysis.text));
    }
  }

  /**
   * A folder read as one plan (GSD, Spec Kitty), converted here (its plan remembered): its files as
   * saved, hashed as the conversion hashed them, read as `waves convert <folder>` reads them.
   */
  private checkFolder(entry: PlanEntry): void {
    const plans = this.plansOf(entry.uri);
    if (!plans.length) return;
    this.track(
      (async () => {
        const sources = await this.deps.registry.folderSources(entry.uri);
        const hash = textHash(this.formats!.folderSourceText(sources));
        for (const plan of plans) this.queue(entry.uri, plan, hash, () => this.formats!.readFolderForConversion(entry.uri.path, sources));
      })().catch((err: unknown) => this.deps.log.error(`Could not read ${entry.uri.toString(true)}`, err)),
    );
  }

  /** An offer for `plan` from `source` at its saved text's `hash`, unless that text is known or offered already. */
  private queue(source: vscode.Uri, plan: vscode.Uri, hash: string, read: () => ForeignPlanResult | null): void {
    const key = `${plan.toString()}|${source.toString()}`;
    const known = this.deps.records.get(plan) ?? this.seen.get(key);
    if (known?.sourceHash === hash || this.offered.has(`${key}|${hash}`)) return;
    this.offered.add(`${key}|${hash}`);
    const previous = this.lastOffer.get(plan.toString()) ?? Promise.resolve();
    const next = this.track(previous.then(() => this.offer(source, plan, hash, read())).catch((err: unknown) => this.deps.log.error(`Could not offer the update of ${plan.toString(true)}`, err)));
    this.lastOffer.set(plan.toString(), next);
    void next.finally(() => {
      if (this.lastOffer.get(plan.toString()) === next) this.lastOffer.delete(plan.toString());
    });
  }

  /**
   * Offers the update of `plan` from `source` (whose saved text hashes to `hash`) when converting
   * it now gives another plan than the last conversion did — comments aside, so a task ticked in
   * the source (a run's round trip) asks nothing. A plan converted elsewhere, first seen now, is
   * only noted: its last conversion is taken to be this one.
   */
  private async offer(sourceUri: vscode.Uri, plan: vscode.Uri, hash: string, result: ForeignPlanResult | null): Promise<void> {
    if (!result || result.plan.packages.length === 0) return;
    const source = { uri: sourceUri };
    let current: string;
    try {
      current = await savedText(plan);
    } catch {
      return; // the plan is gone
    }
    const yaml = this.formats!.convertPlan(result, { planFile: plan.path, source: source.uri.path }).yaml;
    const key = `${plan.toString()}|${source.uri.toString()}`;
    const record = this.deps.records.get(plan);
    const known = record ?? this.seen.get(key);
    const now = { sourceHash: hash, convertedHash: textHash(withoutComments(yaml)) };
    if (!known) {
      this.seen.set(key, now);
      return;
    }
    const remember = (planHash: string) => this.remember(plan, { source: source.uri.toString(), ...now, planHash });
    if (known.convertedHash === now.convertedHash || yaml === current) {
      if (record) await remember(record.planHash);
      else this.seen.set(key, now);
      return;
    }
    const edited = record !== undefined && record.planHash !== textHash(current);
    const answer = await this.questions.offerUpdate(source.uri, plan, edited);
    if (answer === undefined) return; // dismissed: asked again at the source's next change (or the next session)
    if (answer === 'update') {
      await vscode.window.showTextDocument(plan, { preview: false });
      await writeWhole(plan, yaml);
      await this.deps.registry.reanalyze(plan, { fromDisk: true });
    }
    await remember(answer === 'update' ? textHash(yaml) : (record?.planHash ?? textHash(current)));
  }

  /** Remembers a conversion (made, updated or its update ignored). */
  async remember(plan: vscode.Uri, record: ConversionRecord): Promise<void> {
    await this.deps.records.set(plan, record);
    this.linksChanged.fire();
  }
}


/**
 * The person's review in the editor (built with the on-demand parts, ADR 0020): comment
 * threads on a package's diff through VS Code's Comments API — the package's side of Show
 * Changes is a read-only `waves-git:` document at the reviewed commit, so every thread anchors
 * on a fixed version —, kept in the review store (`.waves/runs/<feature>/review.json`, through
 * the front door) and shown again whenever those documents open; create, reply, edit, delete,
 * resolve and reopen; `Waves: Request Changes` (the package's open threads to its agent through
 * the front door's `submitReview`, and a resume when no process drives the run), `Waves:
 * Approve Package` (the review gate) and `Waves: Review Integration Changes` (the whole
 * integration diff; each thread to its file's owner — `OwnerIndex` —, or the person picks).
 * The open threads' counts go to the views through `LiveRuns`.
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { OwnerIndex } from '../../core/ownership/ownership';
import {
  commentsToSend,
  excerptOf,
  linesText,
  markSent,
  openCounts,
  openThreads,
  routeToOwner,
  type ReviewThread,
  type ThreadComment,
} from '../../core/review/review';
import { decisionRefusal } from '../../core/review/reviewGate';
import type { RunState } from '../../core/run/runState';
import { pickCandidate } from './candidatePick';
import { ReviewStore, changesBetween, commentAuthor, currentThreads, fileSignature, submitReview } from '../../engine';
import type { PlanEntry, PlanRegistry } from '../../plan/planRegistry';
import { Disposable } from '../../util/lifecycle';
import type { LiveRuns } from '../run/liveRuns';
import { gitUri, reviewOf, type ReviewTarget } from '../run/changes';
import type { RunController } from '../run/runController';
import { planOf, registerShown } from '../run/runCommands';
import type { RunWatch } from '../run/runWatch';

export interface ReviewDeps {
  registry: PlanRegistry;
  controller: RunController;
  live: LiveRuns;
  watch: RunWatch;
  log: vscode.LogOutputChannel;
}

/** A comment as the editor shows it, with the ids it has in the store. */
class ShownComment implements vscode.Comment {
  mode = vscode.CommentMode.Preview;
  contextValue = 'waves.comment';
  author: vscode.CommentAuthorInformation;
  timestamp: Date;
  label?: string;
  constructor(
    readonly threadId: string,
    readonly comment: ThreadComment,
    public body: string | vscode.MarkdownString,
  ) {
    this.author = { name: comment.author };
    this.timestamp = new Date(comment.at);
    if (comment.edited) this.label = 'edited';
  }
}

/** Where a thread of the editor is: its document's review target, repository and commit. */
interface ShownThread {
  thread: vscode.CommentThread;
  id: string;
  target: ReviewTarget;
  repo: string;
  commit: string;
  /** What it was last painted with (`paint`). */
  painted?: string;
}

/** The whole-file comment's place in the editor: its first line, labelled so. */
const WHOLE_FILE = 'on the whole file';

export class ReviewComments extends Disposable {
  private readonly comments: vscode.CommentController;
  /** Threads shown, by the store's id. */
  private readonly shown = new Map<string, ShownThread>();
  private readonly byThread = new Map<vscode.CommentThread, ShownThread>();
  /** Who writes this window's comments: asked of the engine with the first comment, not as the parts are built. */
  private authorName: string | undefined;
  private get author(): string {
    return (this.authorName ??= commentAuthor());
  }

  constructor(private readonly deps: ReviewDeps) {
    super();
    this.comments = this.register(vscode.comments.createCommentController('waves.review', 'Wave Orchestrator review'));
    this.comments.options = { prompt: 'Comment for the agent', placeHolder: 'What should change here? (it goes to the package\'s agent with Request Changes)' };
    this.comments.commentingRangeProvider = {
      provideCommentingRanges: (doc) => (reviewOf(doc.uri) ? [new vscode.Range(0, 0, Math.max(0, doc.lineCount - 1), 0)] : []),
    };
    const command = (id: string, run: (arg: unknown) => unknown) => this.register(registerShown(id, deps.log, run));
    command('waves.review.addComment', (reply) => this.add(reply as vscode.CommentReply));
    command('waves.review.resolve', (thread) => this.setStatus(thread as vscode.CommentThread, 'resolved'));
    command('waves.review.reopen', (thread) => this.setStatus(thread as vscode.CommentThread, 'open'));
    command('waves.review.editComment', (c) => this.edit(c as ShownComment, vscode.CommentMode.Editing));
    command('waves.review.cancelEdit', (c) => this.edit(c as ShownComment, vscode.CommentMode.Preview));
    command('waves.review.saveComment', (c) => this.save(c as ShownComment));
    command('waves.review.deleteComment', (c) => this.remove(c as ShownComment));
    command('waves.review.commentOnFile', (uri) => this.commentOnFile(uri));
    command('waves.review.commentOnLines', () => this.commentOnLines());
    command('waves.requestChanges', (arg) => this.requestChanges(arg));
    command('waves.approvePackage', (arg) => this.approve(arg));
    command('waves.pickCandidate', (arg) => pickCandidate({ registry: deps.registry, controller: deps.controller, log: deps.log, resume: (e, id) => this.resume(e, id), tell: (m) => this.tell(m) }, arg));
    command('waves.reviewIntegration', (arg) => this.reviewIntegration(arg));

    // `waves.reviewing`: a review document is on screen (the diff's title bar: Request Changes, Approve, Comment on the Whole File).
    const reviewing = () => void vscode.commands.executeCommand('setContext', 'waves.reviewing', vscode.window.visibleTextEditors.some((e) => reviewOf(e.document.uri)));
    this.register(vscode.window.onDidChangeVisibleTextEditors(reviewing));
    this.register(vscode.window.onDidChangeActiveTextEditor(reviewing));
    reviewing();
    this.register(vscode.workspace.onDidOpenTextDocument((doc) => void this.restore(doc)));
    for (const doc of vscode.workspace.textDocuments) void this.restore(doc);
    // The counts in the views: once now, then as runs change (a revision's new commit re-anchors its threads).
    this.register(deps.live.onDidChangeRuns(() => void this.refreshCounts()));
    void this.refreshCounts();
  }

  // -------------------------------------------------------------------------------------
  // The store

  private planOfFeature(featureId: string): PlanEntry | undefined {
    return this.deps.registry.plans.find((e) => !e.foreign && e.analysis.plan.feature?.id === featureId);
  }

  private storeOf(entry: PlanEntry): ReviewStore | undefined {
    const repo = this.deps.controller.repoOf(entry);
    const featureId = entry.analysis.plan.feature?.id;
    return repo && featureId ? new ReviewStore(repo, featureId) : undefined;
  }

  /** The threads of a feature, those sent re-anchored on their package's newest commit (written back; `currentThreads`). */
  async threadsOf(entry: PlanEntry): Promise<ReviewThread[]> {
    const store = this.storeOf(entry);
    if (!store) return [];
    const { threads, problems } = await currentThreads(store, this.deps.controller.stateFor(entry));
    for (const p of problems) this.warnOnce(p);
    return threads;
  }

  private readonly warned = new Set<string>();
  private warnOnce(problem: string): void {
    if (this.warned.has(problem)) return;
    this.warned.add(problem);
    this.deps.log.warn(`[review] ${problem}`);
    void vscode.window.showWarningMessage(`Waves: ${problem}`);
  }

  /** Changes threads of the feature in the store; the shown ones and the counts follow. */
  private async update(target: ReviewTarget, change: (threads: ReviewThread[]) => ReviewThread[]): Promise<ReviewThread[]> {
    const entry = this.planOfFeature(target.feature);
    const store = entry && this.storeOf(entry);
    if (!store) throw new Error(`the plan of feature ${target.feature} is not open in this workspace: the comment cannot be kept`);
    const written = await store.update(change);
    this.deps.live.setOpenComments(target.feature, openCounts(written.file.threads));
    return written.file.threads;
  }

  /** What each feature's counts were last read from: its threads file as it was and its packages' heads (nothing else moves them). */
  private readonly countedFrom = new Map<string, string>();

  private async refreshCounts(): Promise<void> {
    for (const entry of this.deps.registry.plans) {
      const featureId = entry.analysis.plan.feature?.id;
      const state = featureId ? this.deps.controller.stateFor(entry) : undefined;
      const store = state && this.storeOf(entry);
      if (!featureId || !state || !store) continue;
      // A run's every change lands here: the file is read again only when it or a package's head changed.
      const from = `${fileSignature(store.file)} ${Object.values(state.packages).map((p) => `${p.packageId}@${p.headSha ?? ''}#${p.attempts}`).join(',')}`;
      if (this.countedFrom.get(featureId) === from) continue;
      try {
        const threads = await this.threadsOf(entry);
        this.countedFrom.set(featureId, from);
        this.deps.live.setOpenComments(featureId, openCounts(threads));
        this.redrawShown(featureId, threads);
      } catch (err) {
        this.deps.log.warn(`[review] the threads of ${featureId} could not be read: ${String(err)}`);
      }
    }
  }

  // -------------------------------------------------------------------------------------
  // Threads in the editor

  /** A review document opened: its threads, from the store. */
  private async restore(doc: vscode.TextDocument): Promise<void> {
    const where = reviewOf(doc.uri);
    if (!where) return;
    const entry = this.planOfFeature(where.target.feature);
    if (!entry) return;
    const file = doc.uri.path.replace(/^\//, '');
    const threads = await this.threadsOf(entry);
    for (const t of threads) {
      if (t.file !== file || t.anchorCommit !== where.ref || this.shown.has(t.id)) continue;
      if (where.target.pkg !== null ? t.packageId !== where.target.pkg : t.from !== 'integration') continue;
      this.show(doc.uri, t, { target: where.target, repo: where.repo, commit: where.ref });
    }
  }

  private show(uri: vscode.Uri, t: ReviewThread, at: Omit<ShownThread, 'thread' | 'id'>): void {
    const thread = this.comments.createCommentThread(uri, rangeOf(t), t.comments.map((c) => new ShownComment(t.id, c, new vscode.MarkdownString(c.body))));
    // Open threads open on the diff: they are what the person reads it for.
    thread.collapsibleState = t.status === 'open' ? vscode.CommentThreadCollapsibleState.Expanded : vscode.CommentThreadCollapsibleState.Collapsed;
    const shown: ShownThread = { thread, id: t.id, ...at };
    this.shown.set(t.id, shown);
    this.byThread.set(thread, shown);
    this.paint(shown, t);
  }

  /**
   * The thread as the store has it, when that differs from what it shows: each change is sent to
   * the workbench after 100 ms without another, so painting an unchanged thread again and again
   * would hold every change back (and undo a comment being edited).
   */
  private paint(shown: ShownThread, t: ReviewThread): void {
    const painted = JSON.stringify([t.comments, t.startLine, t.endLine, t.status, threadLabel(t)]);
    if (painted === shown.painted) return;
    shown.painted = painted;
    const { thread } = shown;
    thread.comments = t.comments.map((c) => new ShownComment(t.id, c, new vscode.MarkdownString(c.body)));
    thread.range = rangeOf(t);
    thread.state = t.status === 'resolved' ? vscode.CommentThreadState.Resolved : vscode.CommentThreadState.Unresolved;
    thread.contextValue = `waves.thread.${t.status}`;
    thread.label = threadLabel(t);
    thread.canReply = true;
  }

  /** Threads shown of a feature, painted as the store has them now (moved ones follow their lines). */
  private redrawShown(featureId: string, threads: readonly ReviewThread[]): void {
    for (const t of threads) {
      const shown = this.shown.get(t.id);
      if (!shown || shown.target.feature !== featureId) continue;
      if (t.anchorCommit !== shown.commit) {
        // Re-anchored on a newer commit: it shows on that version's document (Show Changes opens it).
        this.forget(shown);
        continue;
      }
      this.paint(shown, t);
    }
  }

  private forget(shown: ShownThread): void {
    this.shown.delete(shown.id);
    this.byThread.delete(shown.thread);
    shown.thread.dispose();
  }

  /** The `Add Comment` button: a new thread (the person chose the lines), or a reply. */
  private async add(reply: vscode.CommentReply): Promise<void> {
    const text = reply.text.trim();
    if (!text) return;
    const comment: ThreadComment = { id: randomUUID(), body: text, author: this.author, at: new Date().toISOString() };
    const known = this.byThread.get(reply.thread);
    if (known) {
      const threads = await this.update(known.target, (ts) => ts.map((t) => (t.id === known.id ? { ...t, comments: [...t.comments, comment], status: 'open' } : t)));
      const t = threads.find((x) => x.id === known.id);
      if (t) this.paint(known, t);
      return;
    }
    const where = reviewOf(reply.thread.uri);
    if (!where) throw new Error('comments go on the documents of Show Changes');
    const doc = await vscode.workspace.openTextDocument(reply.thread.uri);
    const range = reply.thread.range ?? new vscode.Range(0, 0, 0, 0);
    const made = await this.newThread(where, doc, range.start.line + 1, range.end.line + 1, comment);
    if (!made) {
      // Not kept (the person did not choose a package): the words stay in the thread for another try.
      reply.thread.comments = [new ShownComment('', comment, `${text}\n\n_(not kept: choose the package it is for, then add it again)_`)];
      return;
    }
    const shown: ShownThread = { thread: reply.thread, id: made.id, target: where.target, repo: where.repo, commit: where.ref };
    this.shown.set(made.id, shown);
    this.byThread.set(reply.thread, shown);
    this.paint(shown, made);
  }

  /** A thread kept in the store for lines of a review document (0 = the whole file); undefined when the person chose no package. */
  private async newThread(where: NonNullable<ReturnType<typeof reviewOf>>, doc: vscode.TextDocument, startLine: number, endLine: number, comment: ThreadComment): Promise<ReviewThread | undefined> {
    const file = doc.uri.path.replace(/^\//, '');
    let packageId = where.target.pkg;
    if (packageId === null) {
      packageId = (await this.ownerOf(where.target.feature, file)) ?? null;
      if (packageId === null) return undefined;
    }
    const lines = startLine === 0 ? null : excerptOf(doc.getText(), startLine, endLine);
    const thread: ReviewThread = {
      id: randomUUID(),
      packageId,
      file,
      startLine,
      endLine: startLine === 0 ? 0 : endLine,
      anchorCommit: where.ref,
      excerpt: lines?.ok ? lines.excerpt : '',
      comments: [comment],
      status: 'open',
      ...(where.target.pkg === null ? { from: 'integration' as const } : {}),
    };
    await this.update(where.target, (ts) => [...ts, thread]);
    return thread;
  }

  /** The package a thread on an integration file goes to: its one owner, else the person picks. */
  private async ownerOf(featureId: string, file: string): Promise<string | undefined> {
    const entry = this.planOfFeature(featureId);
    if (!entry) return undefined;
    const route = routeToOwner(new OwnerIndex(entry.analysis), file);
    if (route.kind === 'owner') return route.packageId;
    const picked = await vscode.window.showQuickPick(
      route.candidates.map((id) => ({ label: id, description: entry.analysis.plan.packages.find((p) => p.id === id)?.title })),
      { title: route.text, placeHolder: route.why === 'several' ? 'Its owners' : 'Every package of the plan', ignoreFocusOut: true },
    );
    return picked?.label;
  }

  /**
   * A new thread on lines `startLine`..`endLine` (1-based; 0: the whole file) of a review
   * document, as the gutter's `+` and Add Comment make one; undefined when not kept.
   */
  async commentOn(uri: vscode.Uri, startLine: number, endLine: number, text: string): Promise<ReviewThread | undefined> {
    const where = reviewOf(uri);
    if (!where) throw new Error(`${uri.toString()} is not a document of a review`);
    const doc = await vscode.workspace.openTextDocument(uri);
    const made = await this.newThread(where, doc, startLine, endLine, { id: randomUUID(), body: text.trim(), author: this.author, at: new Date().toISOString() });
    // Shown unless the document's opening showed it already (`restore`).
    if (made && !this.shown.has(made.id)) this.show(uri, made, { target: where.target, repo: where.repo, commit: where.ref });
    if (made) this.deps.log.info(`[review] ${made.packageId}: a thread on ${linesText(made.startLine, made.endLine)} of ${made.file}`);
    return made;
  }

  /** The threads the editor shows now: the store's thread with its editor thread (for the tests). */
  shownThreads(): { id: string; thread: vscode.CommentThread; uri: vscode.Uri; commit: string }[] {
    return [...this.shown.values()].map((s) => ({ id: s.id, thread: s.thread, uri: s.thread.uri, commit: s.commit }));
  }

  /** `Waves: Comment on the Selected Lines…`: the active review editor's selection (its line when empty), the words from an input box. */
  private async commentOnLines(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || !reviewOf(editor.document.uri)) {
      void vscode.window.showInformationMessage('Waves: put the cursor on a line of a package\'s changes (Show Changes), then comment.');
      return;
    }
    const { start, end } = editor.selection;
    const last = end.line > start.line && end.character === 0 ? end.line - 1 : end.line;
    const lines = linesText(start.line + 1, last + 1);
    const text = await vscode.window.showInputBox({ title: `Comment on ${lines} of ${editor.document.uri.path.replace(/^\//, '')}`, prompt: 'It goes to the package\'s agent with Request Changes', ignoreFocusOut: true });
    if (!text?.trim()) return;
    await this.commentOn(editor.document.uri, start.line + 1, last + 1, text);
  }

  /** `Waves: Comment on the Whole File` (a review document's title bar). */
  private async commentOnFile(arg: unknown): Promise<void> {
    const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    const where = uri && reviewOf(uri);
    if (!uri || !where) {
      void vscode.window.showInformationMessage('Waves: open a package\'s changes (Show Changes) and comment on one of its files.');
      return;
    }
    const text = await vscode.window.showInputBox({ title: `Comment on the whole of ${uri.path.replace(/^\//, '')}`, prompt: 'It goes to the package\'s agent with Request Changes', ignoreFocusOut: true });
    if (!text?.trim()) return;
    await this.commentOn(uri, 0, 0, text);
  }

  private async setStatus(thread: vscode.CommentThread, status: ReviewThread['status']): Promise<void> {
    const known = this.byThread.get(thread);
    if (!known) return;
    const threads = await this.update(known.target, (ts) => ts.map((t) => (t.id === known.id ? { ...t, status } : t)));
    const t = threads.find((x) => x.id === known.id);
    if (t) this.paint(known, t);
    if (status === 'resolved') thread.collapsibleState = vscode.CommentThreadCollapsibleState.Collapsed;
  }

  private edit(c: ShownComment, mode: vscode.CommentMode): void {
    const shown = this.shown.get(c.threadId);
    if (!shown) return;
    shown.thread.comments = shown.thread.comments.map((x) => {
      if (!(x instanceof ShownComment) || x.comment.id !== c.comment.id) return x;
      x.mode = mode;
      if (mode === vscode.CommentMode.Preview) x.body = new vscode.MarkdownString(x.comment.body);
      else x.body = x.comment.body;
      return x;
    });
  }

  private async save(c: ShownComment): Promise<void> {
    const shown = this.shown.get(c.threadId);
    if (!shown) return;
    const body = (typeof c.body === 'string' ? c.body : c.body.value).trim();
    if (!body) return this.edit(c, vscode.CommentMode.Preview);
    const edited = new Date().toISOString();
    const threads = await this.update(shown.target, (ts) =>
      ts.map((t) => (t.id === shown.id ? { ...t, comments: t.comments.map((x) => (x.id === c.comment.id ? { ...x, body, edited } : x)) } : t)),
    );
    const t = threads.find((x) => x.id === shown.id);
    if (t) this.paint(shown, t);
  }

  private async remove(c: ShownComment): Promise<void> {
    const shown = this.shown.get(c.threadId);
    if (!shown) return;
    const threads = await this.update(shown.target, (ts) =>
      ts.flatMap((t) => {
        if (t.id !== shown.id) return [t];
        const comments = t.comments.filter((x) => x.id !== c.comment.id);
        return comments.length ? [{ ...t, comments }] : [];
      }),
    );
    const t = threads.find((x) => x.id === shown.id);
    if (t) this.paint(shown, t);
    else this.forget(shown);
  }

  // -------------------------------------------------------------------------------------
  // Request Changes, Approve

  /** The plan and package an argument names: a thread, a review document, a view's ref, or the person picks. */
  private async target(arg: unknown, title: string, fits: (status: string) => boolean): Promise<{ entry: PlanEntry; packageId: string } | undefined> {
    await this.deps.registry.ready;
    const known = arg && typeof arg === 'object' ? this.byThread.get(arg as vscode.CommentThread) : undefined;
    const uri = known?.thread.uri ?? (arg instanceof vscode.Uri ? arg : undefined) ?? (arg === undefined ? vscode.window.activeTextEditor?.document.uri : undefined);
    const where = uri && reviewOf(uri);
    if (where) {
      const entry = this.planOfFeature(where.target.feature);
      const pkg = known ? (await this.threadsOf(entry!)).find((t) => t.id === known.id)?.packageId : where.target.pkg;
      if (entry && pkg) return { entry, packageId: pkg };
    }
    const ref = arg && typeof arg === 'object' ? (arg as { packageId?: unknown }) : {};
    // A document that is not a review's names no plan: the active one.
    const entry = planOf(this.deps.registry, arg instanceof vscode.Uri ? undefined : arg);
    if (!entry) {
      void vscode.window.showInformationMessage('Waves: there is no plan to review in this workspace.');
      return undefined;
    }
    if (typeof ref.packageId === 'string' && ref.packageId) return { entry, packageId: ref.packageId };
    const state = this.deps.controller.stateFor(entry);
    const counts = openCounts(await this.threadsOf(entry));
    const items = Object.values(state?.packages ?? {})
      .filter((r) => fits(r.status))
      .map((r) => ({ label: r.packageId, description: [r.status, linesCount(counts.get(r.packageId) ?? 0)].filter(Boolean).join(' · '), packageId: r.packageId }));
    if (items.length === 0) {
      void vscode.window.showInformationMessage(`Waves: no package of ${entry.label} is ready for review.`);
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(items, { title });
    return picked && { entry, packageId: picked.packageId };
  }

  /** `Waves: Request Changes`: the package's open threads to its agent as a new attempt. */
  async requestChanges(arg: unknown): Promise<boolean> {
    const target = await this.target(arg, 'Request changes of which package?', (s) => s === 'succeeded' || s === 'awaiting-review');
    if (!target) return false;
    const { entry, packageId } = target;
    const state = this.deps.controller.stateFor(entry);
    const record = state?.packages[packageId];
    const repo = this.deps.controller.repoOf(entry);
    if (!state || !record || !repo) return this.tell(`${packageId} has no run to review`);
    const threads = await this.threadsOf(entry);
    const from = openThreads(threads, packageId).some((t) => t.from === 'integration') ? 'integration' : 'branch';
    const why = decisionRefusal(state, { packageId, kind: 'changes', comments: [], from });
    if (why) return this.tell(`${why} (your comments are kept)`);
    const { comments, notSent } = commentsToSend(threads, packageId);
    for (const n of notSent) this.deps.log.info(`[review] ${packageId}: a thread on ${n.file} is not sent: ${n.why}`);
    if (comments.length === 0) return this.tell(`${packageId} has no open comment to send: add comments on its changes (Show Changes) first`);
    const submitted = await submitReview(repo, state.featureId, { packageId, kind: 'changes', comments, from });
    if (!submitted.ok) return this.tell(`${submitted.reason} (your comments are kept)`);
    const attempt = record.attempts + 1;
    await this.update({ feature: state.featureId, pkg: packageId }, (ts) => markSent(ts, new Set(comments.map((c) => c.threadId!).filter(Boolean)), attempt));
    this.deps.log.info(`[review] ${packageId}: ${comments.length} comment(s) sent for attempt ${attempt} from its ${from}`);
    void vscode.window.showInformationMessage(`Waves: ${comments.length} comment${comments.length === 1 ? '' : 's'} sent to ${packageId} (attempt ${attempt}, a revision: no retry spent).`);
    if (submitted.delivered === 'state') await this.resume(entry, packageId);
    return true;
  }

  /** `Waves: Approve Package`: a package awaiting review is merged. */
  async approve(arg: unknown): Promise<boolean> {
    const target = await this.target(arg, 'Approve which package?', (s) => s === 'awaiting-review');
    if (!target) return false;
    const { entry, packageId } = target;
    const repo = this.deps.controller.repoOf(entry);
    const featureId = entry.analysis.plan.feature?.id;
    if (!repo || !featureId) return this.tell(`${entry.label} has no run`);
    const submitted = await submitReview(repo, featureId, { packageId, kind: 'approve' });
    if (!submitted.ok) return this.tell(submitted.reason);
    this.deps.log.info(`[review] ${packageId} approved`);
    if (submitted.delivered === 'state') await this.resume(entry, packageId);
    return true;
  }

  /** Nobody drives the run: the decision is in its state; a resume carries it out (as Resume does). */
  private async resume(entry: PlanEntry, packageId: string): Promise<void> {
    await this.deps.watch.refresh().catch(() => undefined);
    const state = this.deps.controller.stateFor(entry);
    const only = state ? this.deps.controller.rememberedScope(state.featureId, state.runId) : undefined;
    await this.deps.controller.start(entry, { what: `the review of ${packageId}`, resume: true, ...(only ? { only } : {}) }, 'resume');
  }

  private tell(message: string): false {
    void vscode.window.showInformationMessage(`Waves: ${message}.`);
    return false;
  }

  // -------------------------------------------------------------------------------------
  // The integration diff

  /** `Waves: Review Integration Changes`: the integration branch against the run's base; threads go to owners. */
  async reviewIntegration(arg: unknown): Promise<boolean> {
    await this.deps.registry.ready;
    const entry = planOf(this.deps.registry, arg);
    const state: RunState | undefined = entry && this.deps.controller.stateFor(entry);
    const repo = entry && this.deps.controller.repoOf(entry);
    if (!entry || !state || !repo) return this.tell('no run to review: run the plan first');
    const integration = state.integration;
    if (!integration) return this.tell(`run ${state.runId} has no integration branch yet`);
    const files = await changesBetween(repo, integration.baseSha, integration.tipSha);
    if (files.length === 0) return this.tell(`the integration branch holds no change against ${integration.baseSha.slice(0, 8)} yet`);
    const target: ReviewTarget = { feature: state.featureId, pkg: null };
    const resources = files.map((f) => {
      const original = f.change === 'A' ? undefined : gitUri(repo, integration.baseSha, f.path);
      const modified = f.change === 'D' ? undefined : gitUri(repo, integration.tipSha, f.path, target);
      return [vscode.Uri.file(`${repo}/${f.path}`), original, modified] as const;
    });
    await vscode.commands.executeCommand('vscode.changes', `${state.featureId}: integration ${integration.tipSha.slice(0, 8)} against ${integration.baseSha.slice(0, 8)} — comments go to each file's owner`, resources);
    return true;
  }
}

function rangeOf(t: ReviewThread): vscode.Range {
  return t.startLine === 0 ? new vscode.Range(0, 0, 0, 0) : new vscode.Range(t.startLine - 1, 0, t.endLine - 1, 0);
}

/** The thread's title: where, to whom, what became of it. */
function threadLabel(t: ReviewThread): string {
  const parts = [t.startLine === 0 ? WHOLE_FILE : linesText(t.startLine, t.endLine), t.from === 'integration' && t.packageId ? `for ${t.packageId}` : ''];
  if (t.sentIn !== undefined) parts.push(`sent with attempt ${t.sentIn}`);
  if (t.outdated) parts.push(`outdated: its lines ${t.outdated}`);
  else if (t.addressed) parts.push('its lines changed since: addressed?');
  if (t.status === 'resolved') parts.push('resolved');
  return parts.filter(Boolean).join(' · ');
}

function linesCount(n: number): string {
  return n ? `${n} open comment${n === 1 ? '' : 's'}` : '';
}

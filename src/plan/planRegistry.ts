import * as vscode from 'vscode';
import type { PlanAnalysis } from '../core/plan/analyze';
import type { ForeignAnalysis, ForeignView } from '../core/formats/foreignAnalysis';
import type { ForeignDiagnostic } from '../core/formats/foreignPlan';
import { Disposable, KeyedDebouncer } from '../util/lifecycle';
import { AnalysisPool } from './analysisPool';
import { analyseFolder, analyseText, logSlow, maxBytesOf, maxParallelOf, OFF_THREAD_BYTES, planAnalysis, type AnalysisSite } from './entryAnalysis';
import { FOUND_GLOB, mayBeFolderTask, mayBeTaskList } from './planFiles';
import { folderUriOf, listFolderFiles, readFolderFiles, shownFolderFiles, tasksMdFolderUriOf, type FolderFile } from './folderPlans';
import { excludeGlob, folderRelative, isExcluded, isForeignUri, isFoundUri, isPlanUri, planLabel, plansAtRoots, readExcludes, searchCreated } from './planSearch';

export { FOREIGN_SELECTOR, FOUND_SELECTOR, PLAN_GLOB, PLAN_SELECTOR, packageUri } from './planFiles';
export type { FolderFile } from './folderPlans';
export { isForeignUri, isPlanUri } from './planSearch';
export { DEFAULT_MAX_PLAN_MB, OFF_THREAD_BYTES } from './entryAnalysis';

const ACTIVE_KEY = 'waves.activePlan';

export interface PlanEntry {
  readonly uri: vscode.Uri;
  /** Workspace-relative path (with the folder name when there are several folders). */
  readonly label: string;
  readonly analysis: PlanAnalysis;
  /** Version of the open document the analysis was made from; undefined when read from disk. */
  readonly documentVersion: number | undefined;
  /** Set for a task list of another tool (spec-kit, Kiro, …): shown read-only, never run; `analysis` is of its own text. */
  readonly foreign?: ForeignView;
  /**
   * A folder read as one plan (GSD phase folder, Spec Kitty feature; `uri` is the folder's and
   * `analysis` has no text): its files, each with its own view (ADR 0030).
   */
  readonly files?: readonly FolderFile[];
  /** Set on one file's view of a folder's entry (`get` of a file of it): the folder's URI, the key of its entry. */
  readonly folder?: vscode.Uri;
}

/**
 * Every plan of the workspace, analysed and kept current: found at start, followed on disk
 * by a file watcher and, while open, on the unsaved text as the user types (debounced).
 * One plan is active; the choice is remembered per workspace.
 */
export class PlanRegistry extends Disposable {
  private readonly entries = new Map<string, PlanEntry>();
  private activeKey: string | undefined;
  /**
   * The plan last found active once the first scan is done: without a choice of the user it
   * stays active until it disappears, so plans added later never take its place by themselves.
   */
  private defaultKey: string | undefined;
  private scanned = false;
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  /** Plans were added, removed or re-analysed, or the active plan changed. */
  readonly onDidChange = this.changed.event;
  private readonly fromDocument: KeyedDebouncer<string>;
  private readonly fromDisk: KeyedDebouncer<string>;
  /** Paths created since the last search of new folders (see `searchCreated`). */
  private readonly created = new Set<string>();
  private readonly fromCreated: KeyedDebouncer<'created'>;
  /** The exclusion globs: read from the settings once, again when they change. */
  private excludeGlobs = readExcludes();
  /** Resolves when the first scan of the workspace is done. */
  readonly ready: Promise<void>;

  /** The worker thread for large plans (when the extension gives its script). */
  private readonly pool: AnalysisPool | undefined;
  /** Analyses made in the worker thread so far (the log and the tests read it). */
  analysedInWorker = 0;
  /** Where analyses run (`pool` or here), and who counts those of the worker thread. */
  private readonly site: AnalysisSite;
  /** Per plan, the latest analysis begun: an older one that ends later is dropped. */
  private readonly generation = new Map<string, number>();
  /** Each file of a folder's entry → the folder's key. */
  private readonly owners = new Map<string, string>();
  /** Folders to read again (a file of theirs changed), debounced. */
  private readonly fromFolder: KeyedDebouncer<string>;
  /** Each folder's files as its last read listed them (`\n`-joined paths). */
  private readonly listedAt = new Map<string, string>();
  /**
   * A folder's listing looked at again once its reads have quieted: the file watcher can miss a
   * file written into a folder just made, or drop events under load, and then the folder would
   * stay as read with some of its files missing.
   */
  private readonly settle: KeyedDebouncer<string>;

  constructor(
    private readonly state: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
    delays: { typing: number; disk: number } = { typing: 250, disk: 300 },
    options: { workerScript?: string } = {},
  ) {
    super();
    if (options.workerScript) {
      const pool = new AnalysisPool(options.workerScript);
      this.pool = pool;
      this.register({ dispose: () => pool.dispose() });
    }
    this.site = { pool: this.pool, log, inWorker: () => this.analysedInWorker++ };
    this.activeKey = state.get<string>(ACTIVE_KEY);
    this.fromDocument = this.register(new KeyedDebouncer(delays.typing, (key) => this.reanalyzeDocument(key)));
    // A read that fails is said in the log: the plan then stays as it was last read, and the log is where that shows.
    this.fromDisk = this.register(new KeyedDebouncer(delays.disk, (key) => void this.readFromDisk(vscode.Uri.parse(key)).catch((err: unknown) => this.log.error(`Could not read ${planLabel(vscode.Uri.parse(key))}`, err))));
    this.fromFolder = this.register(new KeyedDebouncer(delays.disk, (key) => void this.readFolder(vscode.Uri.parse(key)).catch((err: unknown) => this.log.error(`Could not read ${planLabel(vscode.Uri.parse(key))} as one plan`, err))));
    this.settle = this.register(
      new KeyedDebouncer(delays.disk * 5, (key) => {
        void listFolderFiles(vscode.Uri.parse(key)).then((now) => {
          if (this.isDisposed || !this.entries.has(key) || this.listedAt.get(key) === listingKey(now)) return;
          this.log.info(`${planLabel(vscode.Uri.parse(key))} has files its last read did not see: read again`);
          this.fromFolder.schedule(key);
        });
      }),
    );

    const watcher = this.register(vscode.workspace.createFileSystemWatcher(FOUND_GLOB));
    this.register(watcher.onDidCreate((uri) => this.onDiskChange(uri)));
    this.register(watcher.onDidChange((uri) => this.onDiskChange(uri)));
    this.register(
      watcher.onDidDelete((uri) => {
        const folder = this.folderOf(uri);
        if (folder) this.folderChanged(folder, uri);
        else this.remove(uri);
      }),
    );
    // The watcher reports a deleted or renamed folder, not the plans inside it, and may miss
    // a file written into a folder just created: so deleted paths drop the plans under them,
    // and created folders are searched for plans.
    this.fromCreated = this.register(new KeyedDebouncer(delays.disk, () => void this.searchCreated().catch((err: unknown) => this.log.error('Could not follow the plans of new folders', err))));
    const paths = this.register(vscode.workspace.createFileSystemWatcher('**/*', false, true, false));
    this.register(paths.onDidDelete((uri) => this.removeUnder(uri)));
    this.register(
      paths.onDidCreate((uri) => {
        if (isFoundUri(uri) || folderUriOf(uri) || isExcluded(this.excludeGlobs, uri)) return;
        this.created.add(uri.toString());
        this.fromCreated.schedule('created');
      }),
    );
    this.register(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0) return;
        const owner = this.ownerOf(e.document.uri);
        if (owner !== undefined) this.fromFolder.schedule(owner);
        else if (isFoundUri(e.document.uri)) this.fromDocument.schedule(e.document.uri.toString());
      }),
    );
    this.register(
      vscode.workspace.onDidOpenTextDocument((doc) => {
        // An open plan is followed even when the workspace search does not list it.
        const key = doc.uri.toString();
        const folder = this.folderOf(doc.uri);
        if (folder) {
          if ((doc.isDirty || !this.owners.has(key)) && !isExcluded(this.excludeGlobs, doc.uri)) this.fromFolder.schedule(folder.toString());
        } else if (isFoundUri(doc.uri) && (doc.isDirty || !this.entries.has(key))) this.fromDocument.schedule(key);
      }),
    );
    this.register(
      vscode.workspace.onDidSaveTextDocument((doc) => {
        // Saved: the file is the plan again, read from disk now — not when the file watcher gets
        // to it, which can take seconds on a busy machine.
        if (isFoundUri(doc.uri) || folderUriOf(doc.uri)) this.onDiskChange(doc.uri);
      }),
    );
    this.register(
      vscode.workspace.onDidCloseTextDocument((doc) => {
        // Unsaved edits are gone with the document: the file on disk is the plan again.
        if (this.entries.get(doc.uri.toString())?.documentVersion !== undefined) this.fromDisk.schedule(doc.uri.toString());
        const owner = this.owners.get(doc.uri.toString());
        if (owner && this.get(doc.uri)?.documentVersion !== undefined) this.fromFolder.schedule(owner);
      }),
    );
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => void this.refresh()));
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('waves.maxParallel') || e.affectsConfiguration('waves.plan.maxSizeMB')) this.reanalyzeAll();
        if (e.affectsConfiguration('waves.plans.exclude')) {
          this.excludeGlobs = readExcludes();
          void this.refresh();
        }
      }),
    );
    this.ready = this.refresh();
    // Plan analysis (`planAnalysis`) is loaded right after activation returns, while the
    // workspace search is under way, so the first plan's analysis does not wait for it.
    const warmUp = setImmediate(() => {
      if (!this.isDisposed) planAnalysis().analyzePlan('');
    });
    this.register({ dispose: () => clearImmediate(warmUp) });
  }

  get plans(): readonly PlanEntry[] {
    return [...this.entries.values()].sort((a, b) => a.label.localeCompare(b.label));
  }

  /**
   * The plan the user chose, else the default: the one nearest a workspace folder's root
   * (a root `work-packages.yaml` before `api/work-packages.yaml`), then by label — chosen once
   * the first scan is done and kept while it exists. A plan of ours before a task list of
   * another tool, which only a person's choice (or no plan of ours) makes active.
   */
  get active(): PlanEntry | undefined {
    const chosen = this.activeKey && this.entries.get(this.activeKey);
    const kept = this.defaultKey && this.entries.get(this.defaultKey);
    let active = chosen || kept || undefined;
    // A plan of ours found after a task list became the default takes its place.
    if (active && !chosen && active.foreign && this.plans.some((e) => !e.foreign)) active = undefined;
    const before = (a: PlanEntry, b: PlanEntry) => ((a.foreign === undefined) !== (b.foreign === undefined) ? a.foreign === undefined : depth(a.uri) < depth(b.uri));
    if (!active) for (const entry of this.plans) if (!active || before(entry, active)) active = entry;
    if (this.scanned) this.defaultKey = active?.uri.toString();
    return active;
  }

  /** The entry of a plan, a task list or a folder read as one plan; for a file of such a folder, that file's view of it (`folder` set). */
  get(uri: vscode.Uri): PlanEntry | undefined {
    const key = uri.toString();
    const entry = this.entries.get(key);
    if (entry) return entry;
    const owner = this.owners.get(key);
    const folder = owner === undefined ? undefined : this.entries.get(owner);
    const file = folder?.files?.find((f) => f.uri.toString() === key);
    if (!folder || !file) return undefined;
    return { uri: file.uri, label: folder.label, analysis: file.analysis, documentVersion: file.documentVersion, ...(folder.foreign ? { foreign: folder.foreign } : {}), folder: folder.uri };
  }

  /** Makes `uri` the active plan; `undefined` forgets the user's choice (the default is active). */
  async setActive(uri: vscode.Uri | undefined): Promise<void> {
    this.activeKey = uri?.toString();
    await this.state.update(ACTIVE_KEY, this.activeKey);
    this.changed.fire();
  }

  /**
   * Find every plan again (start, folders changed, exclusions changed). The plans at a folder's
   * root — most workspaces' only one — are read and shown first, beside the workspace search:
   * that takes 0.3–1 s at start in code-server and grows with the workspace; one listing of each
   * root does not.
   */
  async refresh(): Promise<void> {
    const search = vscode.workspace.findFiles(FOUND_GLOB, excludeGlob(this.excludeGlobs)).then(
      (uris) => uris,
      (err: unknown) => {
        this.log.error('Could not search the workspace for plans', err);
        return [] as vscode.Uri[];
      },
    );
    const early = await plansAtRoots((uri) => isExcluded(this.excludeGlobs, uri));
    for (const uri of early) await this.readFromDisk(uri, false);
    if (early.length > 0) this.changed.fire();
    const found = await search;
    // The files of folders read as one plan (GSD, Spec Kitty): each folder once.
    const folders = new Map<string, vscode.Uri>();
    for (const uri of found) {
      const folder = isFoundUri(uri) ? undefined : folderUriOf(uri);
      if (folder) folders.set(folder.toString(), folder);
    }
    const files = found.filter((u) => isFoundUri(u));
    const keep = new Set([...files.map((u) => u.toString()), ...folders.keys()]);
    for (const key of [...this.entries.keys()]) if (!keep.has(key)) this.remove(vscode.Uri.parse(key), false);
    const read = new Set(early.map((u) => u.toString()));
    // A `tasks.md` in a folder read as one plan is read after it: a Spec Kitty feature's is the feature's.
    const beside = (uri: vscode.Uri) => folders.has(tasksMdFolderUriOf(uri)?.toString() ?? '');
    for (const uri of files) {
      if (read.has(uri.toString()) || beside(uri)) continue;
      await this.readFromDisk(uri, false);
      await new Promise((r) => setImmediate(r)); // let the host breathe between plans
    }
    for (const folder of folders.values()) {
      await this.readFolder(folder, false);
      await new Promise((r) => setImmediate(r));
    }
    for (const uri of files) if (beside(uri) && !read.has(uri.toString()) && !this.owners.has(uri.toString())) await this.readFromDisk(uri, false);
    const foreign = this.plans.filter((e) => e.foreign).length;
    this.log.info(`Found ${this.entries.size - foreign} plan${this.entries.size - foreign === 1 ? '' : 's'}${foreign ? ` and ${foreign} task list${foreign === 1 ? '' : 's'} of other tools` : ''}`);
    this.scanned = true;
    this.changed.fire();
  }

  /** Search the folders created since the last time for plans not followed yet. */
  private async searchCreated(): Promise<void> {
    const keys = [...this.created];
    this.created.clear();
    const found = await searchCreated(keys, () => excludeGlob(this.excludeGlobs), this.log);
    for (const plan of found) {
      if (this.isDisposed) return;
      const folder = this.folderOf(plan);
      if (folder) {
        if (!this.owners.has(plan.toString())) this.fromFolder.schedule(folder.toString());
      } else if (!this.entries.has(plan.toString())) await this.readFromDisk(plan);
    }
  }

  /** Forget the plans at or under a deleted path. */
  private removeUnder(deleted: vscode.Uri): void {
    const key = deleted.toString();
    for (const [entryKey, entry] of [...this.entries]) {
      if (entryKey === key || entryKey.startsWith(`${key}/`)) this.remove(entry.uri);
    }
    // A file or a lane folder of a folder read as one plan: the folder is read again.
    for (const [file, owner] of [...this.owners]) if (file.startsWith(`${key}/`)) this.fromFolder.schedule(owner);
  }

  /** Stops following a plan that is gone (a discarded proposal), open document or not. */
  forget(uri: vscode.Uri): void {
    if (this.entries.has(uri.toString())) this.remove(uri);
  }

  /**
   * Re-analyse a plan now, from its open document if there is one, else from disk. `fromDisk`:
   * from disk unless the open document has unsaved edits — for a file changed outside the
   * workspace, which the editor's open document may not have noticed (a revised proposal).
   */
  async reanalyze(uri: vscode.Uri, options: { fromDisk?: boolean } = {}): Promise<PlanEntry | undefined> {
    const owner = this.entries.get(uri.toString())?.files ? uri.toString() : this.ownerOf(uri);
    if (owner !== undefined || (!isFoundUri(uri) && folderUriOf(uri))) {
      await this.readFolder(owner !== undefined ? vscode.Uri.parse(owner) : folderUriOf(uri)!);
      return this.get(uri);
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (doc && !(options.fromDisk && !doc.isDirty)) await this.analyzeDocument(doc);
    else await this.readFromDisk(uri);
    return this.get(uri);
  }

  /**
   * Analyses the text and keeps the result: over the size cap not at all (one error at 1:1
   * says so), a large plan in the worker thread (the extension host stays responsive), a
   * small one here. An analysis overtaken by a newer one of the same plan is dropped.
   * A task list of another tool goes the same way (`analyzeForeign`); a file of such a name
   * that is no task list (or, over the cap, cannot be told) is not followed.
   */
  private async store(uri: vscode.Uri, text: string, documentVersion: number | undefined, fire = true): Promise<void> {
    const key = uri.toString();
    const owner = this.ownerOf(uri);
    if (owner !== undefined) {
      // A Spec Kitty feature's tasks.md: read with the feature, not as a task list of its own.
      this.remove(uri, fire);
      if (!this.owners.has(key)) this.fromFolder.schedule(owner);
      return;
    }
    const generation = (this.generation.get(key) ?? 0) + 1;
    this.generation.set(key, generation);
    const started = Date.now();
    const maxParallel = maxParallelOf(uri);
    const size = text.length > OFF_THREAD_BYTES / 4 ? Buffer.byteLength(text, 'utf8') : text.length;
    const cap = maxBytesOf(uri);
    const foreign = !isPlanUri(uri);
    if (foreign && !mayBeTaskList(uri.path, text.slice(0, 64 * 1024))) {
      this.remove(uri); // cannot be a task list (VS Code's own .vscode/tasks.json, …): the readers' bundle is not loaded for it
      return;
    }
    const analysis = await analyseText(uri, text, foreign, { key, size, cap, maxParallel }, this.site, () => this.isDisposed || this.generation.get(key) !== generation);
    if (analysis === undefined) return; // a newer text is on its way, or analysed
    if (analysis === null) {
      this.remove(uri); // not a task list (or no longer one)
      return;
    }
    logSlow(this.site, uri, started, size);
    const view = (analysis as Partial<ForeignAnalysis>).foreign;
    this.entries.set(key, { uri, label: planLabel(uri), analysis, documentVersion, ...(view ? { foreign: view } : {}) });
    if (fire) this.changed.fire();
  }

  private onDiskChange(uri: vscode.Uri): void {
    const folder = this.folderOf(uri);
    if (folder) {
      this.folderChanged(folder, uri);
      return;
    }
    if (isExcluded(this.excludeGlobs, uri) && !this.entries.has(uri.toString())) return; // as the search would
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (doc?.isDirty) return; // the editor's unsaved text is what the user sees
    this.fromDisk.schedule(uri.toString());
  }

  private async readFromDisk(uri: vscode.Uri, fire = true): Promise<void> {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (doc?.isDirty) {
      await this.analyzeDocument(doc, fire);
      return;
    }
    let text: string;
    try {
      // A plan that is not a regular file (a FIFO, a device, a socket: FileType.Unknown) is not read
      // and not followed: a file system that opens it as it is would wait on a FIFO for a writer (the
      // local one of current VS Code opens without blocking and refuses it as `Unavailable`).
      const stat = await vscode.workspace.fs.stat(uri);
      if (!(stat.type & vscode.FileType.File)) {
        if (!(stat.type & vscode.FileType.Directory)) this.log.warn(`${planLabel(uri)} is not a regular file (a FIFO, a device or a socket): it is not read`);
        this.remove(uri);
        return;
      }
      const bytes = await vscode.workspace.fs.readFile(uri);
      text = new TextDecoder('utf-8').decode(bytes);
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    } catch (err) {
      const code = err instanceof vscode.FileSystemError ? err.code : undefined;
      if (code === 'Unavailable') this.log.warn(`${planLabel(uri)} could not be read as a file (swapped for a FIFO, a device or a socket?): it is not followed`);
      else if (code !== 'FileNotFound') this.log.error(`Could not read ${uri.toString(true)}`, err);
      if (code === 'FileNotFound' || code === 'Unavailable') this.remove(uri);
      return;
    }
    if (this.isDisposed) return;
    await this.store(uri, text, undefined, fire);
  }

  private reanalyzeDocument(key: string): void {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    if (doc) void this.analyzeDocument(doc);
  }

  private async analyzeDocument(doc: vscode.TextDocument, fire = true): Promise<void> {
    if (this.entries.get(doc.uri.toString())?.documentVersion === doc.version) return;
    await this.store(doc.uri, doc.getText(), doc.version, fire);
  }

  private reanalyzeAll(): void {
    for (const entry of this.entries.values()) void this.reanalyze(entry.uri);
  }

  private remove(uri: vscode.Uri, fire = true): void {
    // An analysis still under way for it is dropped when it ends.
    const key = uri.toString();
    this.generation.set(key, (this.generation.get(key) ?? 0) + 1);
    this.fromDisk.cancel(key);
    this.fromDocument.cancel(key);
    this.fromFolder.cancel(key);
    this.settle.cancel(key);
    this.listedAt.delete(key);
    this.release(key);
    if (this.entries.delete(key) && fire) this.changed.fire();
  }

  /** Forgets the files of the folder entry `key`, but those of `keep`: a tasks.md among them (a Spec Kitty feature's) may be a task list of its own again, and is read as one. */
  private release(key: string, keep: ReadonlySet<string> = new Set()): void {
    for (const [file, owner] of [...this.owners]) {
      if (owner !== key || keep.has(file)) continue;
      this.owners.delete(file);
      if (isForeignUri(vscode.Uri.parse(file))) this.fromDisk.schedule(file);
    }
  }

  /**
   * The key of the folder entry a file is read with: the one whose file it is, or — a `tasks.md`
   * in a Spec Kitty feature read as one plan, not read with it yet (just written) — the feature's.
   */
  private ownerOf(uri: vscode.Uri): string | undefined {
    const owner = this.owners.get(uri.toString());
    if (owner !== undefined) return owner;
    const folder = tasksMdFolderUriOf(uri)?.toString();
    const entry = folder === undefined ? undefined : this.entries.get(folder);
    return entry?.files && entry.foreign?.format === 'spec-kitty' ? folder : undefined;
  }

  /** The folder read as one plan a file is of (`ownerOf`, else by its path: `folderUriOf`); undefined for a plan or a task list of its own. */
  private folderOf(uri: vscode.Uri): vscode.Uri | undefined {
    const owner = this.ownerOf(uri);
    if (owner !== undefined) return vscode.Uri.parse(owner);
    return isFoundUri(uri) ? undefined : folderUriOf(uri);
  }

  /** A file of a folder read as one plan changed, was created or deleted: the folder is read again (debounced) unless the search skips it. */
  private folderChanged(folder: vscode.Uri, file: vscode.Uri): void {
    const key = folder.toString();
    if (isExcluded(this.excludeGlobs, file) && !this.entries.has(key)) return;
    this.fromFolder.schedule(key);
  }

  /**
   * Reads a folder kept one task a file as one plan (ADR 0030): a GSD phase folder's files, or a
   * Spec Kitty feature's `tasks/` (and its lane folders) with its state files and `tasks.md` — the
   * open documents' unsaved text where there is some — analysed as one entry keyed by the folder,
   * in the worker thread when large; each file with a problem, and a feature's own files, shown
   * (`shownFolderFiles`). The readers' bundle is loaded only when some file of it has front
   * matter. A folder that is none (any more) is no entry.
   */
  private async readFolder(folder: vscode.Uri, fire = true): Promise<void> {
    const key = folder.toString();
    const generation = (this.generation.get(key) ?? 0) + 1;
    this.generation.set(key, generation);
    const listing = await listFolderFiles(folder);
    const files = await readFolderFiles(folder, this.log, listing);
    if (this.isDisposed || this.generation.get(key) !== generation) return;
    if (!files.some((f) => f.member && mayBeFolderTask(f.text))) {
      this.remove(folder, fire);
      return;
    }
    const started = Date.now();
    const size = files.reduce((n, f) => n + Buffer.byteLength(f.text, 'utf8'), 0);
    const cap = maxBytesOf(folder);
    if (size > cap) {
      this.log.warn(`${planLabel(folder)} is over the ${(cap / 1_048_576).toFixed(1)} MB analysed in the editor (setting waves.plan.maxSizeMB): not read as a task list`);
      this.remove(folder, fire);
      return;
    }
    const maxParallel = maxParallelOf(folder);
    const sources = files.map((f) => ({ path: f.uri.path, text: f.text }));
    const formats = await import('../core/formats/foreignAnalysis');
    const analysis = await analyseFolder(folder, sources, formats, { key, size, maxParallel }, this.site);
    if (analysis === undefined || this.isDisposed || this.generation.get(key) !== generation) return; // a newer read is under way
    if (analysis === null || !analysis.foreign.files) {
      this.remove(folder, fire);
      return;
    }
    logSlow(this.site, folder, started, size);
    const named = new Set(analysis.diagnostics.map((d) => (d as ForeignDiagnostic).file));
    const shown = shownFolderFiles(folder, files, analysis.foreign.files, named, analysis.foreign.format === 'spec-kitty');
    const views: FolderFile[] = shown.map((read) => ({ uri: read.uri, analysis: formats.folderFileAnalysis(analysis, read.uri.path, read.text), documentVersion: read.documentVersion }));
    this.release(key, new Set(views.map((v) => v.uri.toString())));
    for (const view of views) {
      this.owners.set(view.uri.toString(), key);
      // A Spec Kitty feature's tasks.md was read as a task list of its own before: no more.
      const before = this.entries.get(view.uri.toString());
      if (before && !before.files) this.remove(view.uri, false);
    }
    this.entries.set(key, { uri: folder, label: planLabel(folder), analysis, documentVersion: undefined, foreign: analysis.foreign, files: views });
    this.listedAt.set(key, listingKey(listing));
    this.settle.schedule(key);
    if (fire) this.changed.fire();
  }

  /** The files of a folder read as one plan (each path, and its text: an open document's when it has unsaved changes), for a conversion. */
  async folderSources(folder: vscode.Uri): Promise<{ path: string; text: string }[]> {
    return (await readFolderFiles(folder, this.log)).map((f) => ({ path: f.uri.path, text: f.text }));
  }

}

/** A folder's listing as one string, to tell whether it moved on. */
function listingKey(files: readonly vscode.Uri[]): string {
  return files.map((u) => u.path).join('\n');
}

/** How many folders deep a plan lies in its workspace folder. */
function depth(uri: vscode.Uri): number {
  return (folderRelative(uri) ?? uri.path).split('/').length;
}

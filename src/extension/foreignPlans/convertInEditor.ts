/**
 * `Waves: Convert to work-packages.yaml` in the editor: a task list of another tool written as a
 * plan beside it, by the conversion `waves convert` makes (src/core/formats: `convertPlan`) —
 * never over an existing file without the person's word (they choose a new name or to
 * overwrite), from the file as saved (unsaved changes are saved first, when the person says so).
 * The plan is opened; the plan registry checks it as any plan, so the exact checker's problems
 * are in the Problems panel. Each conversion is remembered for the update offers (sourceUpdates.ts).
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PlanRegistry } from '../../plan/planRegistry';

/** What the conversion asks the person; the suite replaces it to answer without dialogs. */
export interface ConvertQuestions {
  /** `existing` is there already: write `newName` beside it, overwrite it, or neither (undefined). */
  planExists(existing: vscode.Uri, newName: string): Promise<'new' | 'overwrite' | undefined>;
  /** The task list has unsaved changes: save them and convert (true), or not convert. */
  saveFirst(source: vscode.Uri): Promise<boolean>;
}

export const dialogQuestions: ConvertQuestions = {
  async planExists(existing, newName) {
    const write = `Write ${newName}`;
    const overwrite = 'Overwrite';
    const choice = await vscode.window.showWarningMessage(
      `${path.posix.basename(existing.path)} exists already in ${vscode.workspace.asRelativePath(vscode.Uri.joinPath(existing, '..'))}.`,
      { modal: true, detail: `Write the converted plan as ${newName} beside it, or overwrite it (your changes to it are lost).` },
      write,
      overwrite,
    );
    return choice === write ? 'new' : choice === overwrite ? 'overwrite' : undefined;
  },
  async saveFirst(source) {
    const save = 'Save and Convert';
    const choice = await vscode.window.showWarningMessage(`${path.posix.basename(source.path)} has unsaved changes: the plan is converted from the file as saved.`, { modal: true }, save);
    return choice === save;
  },
};

/** A conversion made: the plan written and what it asks the person to review. */
export interface Converted {
  source: vscode.Uri;
  plan: vscode.Uri;
  packages: number;
  implied: number;
  guessed: number;
  formatName: string;
}

/** A conversion remembered (workspace state), by hashes: the source's text converted, the plan as written, and the conversion without its comments (what a later one is compared with). */
export interface ConversionRecord {
  source: string;
  sourceHash: string;
  planHash: string;
  convertedHash: string;
}

const RECORDS_KEY = 'waves.conversions';

/** The conversions remembered in the workspace, by plan URI. */
export class ConversionRecords {
  constructor(private readonly memento: vscode.Memento) {}

  all(): Record<string, ConversionRecord> {
    const value = this.memento.get<unknown>(RECORDS_KEY);
    return value && typeof value === 'object' ? (value as Record<string, ConversionRecord>) : {};
  }

  get(plan: vscode.Uri): ConversionRecord | undefined {
    return this.all()[plan.toString()];
  }

  async set(plan: vscode.Uri, record: ConversionRecord): Promise<void> {
    await this.memento.update(RECORDS_KEY, { ...this.all(), [plan.toString()]: record });
  }
}

/** A plan's text without its comment lines: what a conversion says, not how it marks it. */
export function withoutComments(yaml: string): string {
  return yaml
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n');
}

export function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** The text of a file as saved (the open document's when it has no unsaved changes: the same). */
export async function savedText(uri: vscode.Uri): Promise<string> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (doc && !doc.isDirty) return doc.getText();
  let text = new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(uri));
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    // stat fails: nothing there
    return false;
  }
}

/**
 * Writes `text` as the whole file: through its open document when there is one (an edit the
 * person can undo, then saved), else to disk.
 */
export async function writeWhole(uri: vscode.Uri, text: string): Promise<void> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (!doc) {
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    return;
  }
  const edit = new vscode.WorkspaceEdit();
  edit.replace(uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), text);
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`could not edit ${vscode.workspace.asRelativePath(uri)}`);
  if (!(await doc.save())) throw new Error(`could not save ${vscode.workspace.asRelativePath(uri)}`);
}

type ConvertDeps = { registry: PlanRegistry; questions: ConvertQuestions; remember: (plan: vscode.Uri, record: ConversionRecord) => Promise<void> };
type Formats = typeof import('../../core/formats/foreignAnalysis');
/** A task list read for a conversion: what it reads as, the folder the plan goes in, the hash of what was read. */
type SourceRead = { result: NonNullable<ReturnType<Formats['readForConversion']>>; folder: vscode.Uri; sourceHash: string; formats: Formats };

/**
 * Converts the task list at `source` into a plan beside it and opens the plan; undefined when
 * the person declined a question. Throws (a message for a person) when the file is no task list.
 * A folder read as one plan (a GSD phase folder, a Spec Kitty feature) is converted as
 * `waves convert <folder>` converts it: the plan written in the folder, from its files as saved.
 */
export async function convertInEditor(source: vscode.Uri, deps: ConvertDeps): Promise<Converted | undefined> {
  const read = deps.registry.get(source)?.files ? await readFolder(source, deps) : await readFile(source, deps);
  if (!read) return undefined;
  const { result, folder, formats } = read;
  const name = path.posix.basename(source.path);
  if (result.plan.packages.length === 0) throw new Error(`${name} has no task to convert: its problems are in the Problems panel`);
  let plan = vscode.Uri.joinPath(folder, 'work-packages.yaml');
  if (await exists(plan)) {
    const names = new Set((await vscode.workspace.fs.readDirectory(folder)).map(([n]) => n));
    const newName = formats.freePlanName(result.plan.feature?.id, (n) => names.has(n));
    const answer = newName ? await deps.questions.planExists(plan, newName) : undefined;
    if (answer === undefined) return undefined;
    if (answer === 'new') plan = vscode.Uri.joinPath(folder, newName!);
  }
  const conversion = formats.convertPlan(result, { planFile: plan.path, source: source.path });
  await writeWhole(plan, conversion.yaml);
  await deps.remember(plan, { source: source.toString(), sourceHash: read.sourceHash, planHash: textHash(conversion.yaml), convertedHash: textHash(withoutComments(conversion.yaml)) });
  await vscode.window.showTextDocument(plan, { preview: false });
  await deps.registry.reanalyze(plan, { fromDisk: true });
  return { source, plan, packages: result.plan.packages.length, implied: conversion.implied, guessed: conversion.guessed, formatName: formats.formatName(result.format!) };
}

/** A one-file task list as saved (unsaved changes saved first when the person says so); the plan goes beside it. */
async function readFile(source: vscode.Uri, deps: ConvertDeps): Promise<SourceRead | undefined> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === source.toString());
  if (open?.isDirty) {
    if (!(await deps.questions.saveFirst(source))) return undefined;
    if (!(await open.save())) throw new Error(`could not save ${vscode.workspace.asRelativePath(source)}`);
  }
  const text = await savedText(source);
  const formats = await import('../../core/formats/foreignAnalysis');
  const result = formats.readForConversion(source.path, text);
  if (!result) throw new Error(`${path.posix.basename(source.path)} is not a task list Wave Orchestrator reads here (spec-kit, Kiro / cc-sdd or OpenSpec tasks.md, Taskmaster tasks.json, beads issues.jsonl; a GSD phase folder or a Spec Kitty feature converts as a folder)`);
  return { result, folder: vscode.Uri.joinPath(source, '..'), sourceHash: textHash(text), formats };
}

/** A folder read as one plan, its files as saved (unsaved changes saved first when the person says so); the plan goes in it. */
async function readFolder(source: vscode.Uri, deps: ConvertDeps): Promise<SourceRead | undefined> {
  const files = deps.registry.get(source)?.files ?? [];
  const dirty = vscode.workspace.textDocuments.filter((d) => d.isDirty && files.some((f) => f.uri.toString() === d.uri.toString()));
  if (dirty.length > 0) {
    if (!(await deps.questions.saveFirst(dirty[0].uri))) return undefined;
    for (const doc of dirty) if (!(await doc.save())) throw new Error(`could not save ${vscode.workspace.asRelativePath(doc.uri)}`);
  }
  const sources = await deps.registry.folderSources(source);
  const formats = await import('../../core/formats/foreignAnalysis');
  const result = formats.readFolderForConversion(source.path, sources);
  if (!result) throw new Error(`${path.posix.basename(source.path)} is no GSD phase folder and no Spec Kitty feature any more`);
  return { result, folder: source, sourceHash: textHash(formats.folderSourceText(sources)), formats };
}

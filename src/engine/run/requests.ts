/**
 * Requests from other processes to a run's driver (a cancel, a review decision): JSON files in
 * the feature's runs folder (`runs/<name>/`), each named by its kind, a time and a random part.
 * The driver's poll lists the folder once (`requestNames`); each kind takes its own, oldest
 * first, each file removed before it is acted on (`takeRequests`), so none is carried out twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import { featureRunsFolder } from '../../core/run/runPaths';
import { readJson } from '../attempt';

/** The names in the feature's runs folder; none when it does not exist (yet). */
export function requestNames(repoRoot: string, featureId: string): string[] {
  try {
    return fs.readdirSync(featureRunsFolder(repoRoot, featureId));
  } catch {
    // no runs folder yet: no requests
    return [];
  }
}

/** The requests of one kind (`pattern`), oldest first, each read and its file removed; the body undefined when it could not be read. */
export async function takeRequests(repoRoot: string, featureId: string, pattern: RegExp): Promise<{ name: string; body: unknown }[]> {
  const folder = featureRunsFolder(repoRoot, featureId);
  let names: string[];
  try {
    names = (await fs.promises.readdir(folder)).filter((f) => pattern.test(f)).sort();
  } catch {
    // no runs folder yet: no requests
    return [];
  }
  const taken: { name: string; body: unknown }[] = [];
  for (const name of names) {
    const file = path.join(folder, name);
    const body = readJson(file);
    await fs.promises.rm(file, { force: true });
    taken.push({ name, body });
  }
  return taken;
}

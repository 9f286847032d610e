// The engine tests' agent: the scripted test agent (test/fixtures/agents/scripted-agent.mjs),
// given only the "## Task" section of its prompt — the prompt also quotes the dependents'
// descriptions (downstream obligations), whose `test-agent:` lines are not this package's.
//   node engine-agent.mjs <promptFile> <resultFile> <packageId>
// Runs in the same process (the runner's watchdog signals one process group either way).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [promptFile, resultFile, packageId] = process.argv.slice(2);
const text = fs.readFileSync(promptFile, 'utf8');
const start = text.indexOf('\n## Task');
const end = start < 0 ? -1 : text.indexOf('\n## ', start + 1);
const task = start < 0 ? '' : text.slice(start, end < 0 ? undefined : end);
const taskFile = path.join(path.dirname(promptFile), 'task.md');
fs.writeFileSync(taskFile, task);
const here = path.dirname(fileURLToPath(import.meta.url));
const agent = path.join(here, '..', 'fixtures', 'agents', 'scripted-agent.mjs');
process.argv = [process.argv[0], agent, '--prompt', taskFile, '--result', resultFile, '--package', packageId];
await import(agent);

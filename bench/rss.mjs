// Runs a Node script as `node <script> ...args` would, in this process, and writes its peak
// resident set size (KiB, from getrusage) to stderr as a last line `maxrss <KiB>` when it exits.
// For the benches' memory figures: the same on every platform Node runs on, no `time` needed.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const script = path.resolve(process.argv[2]);
process.argv = [process.argv[0], script, ...process.argv.slice(3)];
process.on('exit', () => fs.writeSync(2, `\nmaxrss ${process.resourceUsage().maxRSS}\n`));
createRequire(import.meta.url)(script);

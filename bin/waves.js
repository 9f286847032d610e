#!/usr/bin/env node
'use strict';
// The `waves` command: the bundled CLI, built by `npm install` (prepare) or `npm run build`.
const path = require('path');
const fs = require('fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('waves: dist/cli.js is missing; run `npm run build` first.\n');
  process.exit(2);
}
require(cli).run();

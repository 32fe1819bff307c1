#!/bin/sh
# Rebuild static/vendor/codemirror.js (CodeMirror 6 with the YAML mode and lint, one file, no
# request to another host at run time) from the npm registry. Needs node and npm; nothing here
# is needed at run time.
set -e
cd "$(dirname "$0")"
npm install --no-audit --no-fund
npm run build

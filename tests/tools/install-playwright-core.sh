#!/usr/bin/env bash
# Installs the npm package playwright-core (the browser-automation library without any browser download) into
# DIR/node_modules, for tests/tools/dashboard-browser.js, which drives Debian's chromium package.
# Idempotent: does nothing when the pinned version is present.
set -euo pipefail
dir=${1:?target folder}
version=1.65.1
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
if [ -f "$dir/node_modules/playwright-core/package.json" ] \
   && node -e "process.exit(require('$dir/node_modules/playwright-core/package.json').version==='$version'?0:1)"; then
  exit 0
fi
cat > "$dir/package.json" <<JSON
{"name":"harborbridge-browser-tests","private":true,"dependencies":{"playwright-core":"$version"}}
JSON
# PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: playwright-core downloads nothing anyway; this keeps it so if that ever changes.
(cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --silent)
node -e "console.log('playwright-core ' + require('$dir/node_modules/playwright-core/package.json').version)"

#!/usr/bin/env bash
# Installs Microsoft's Adaptive Cards library (npm `adaptivecards`) into DIR/node_modules, for
# tests/tools/validate-adaptive-card.js: the notification tests have the official parser check HarborBridge's Teams cards.
# Idempotent: does nothing when the pinned version is present.
set -euo pipefail
dir=${1:?target folder}
version=3.0.6
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
if [ -f "$dir/node_modules/adaptivecards/package.json" ] \
   && node -e "process.exit(require('$dir/node_modules/adaptivecards/package.json').version==='$version'?0:1)"; then
  exit 0
fi
cat > "$dir/package.json" <<JSON
{"name":"harborbridge-card-tests","private":true,"dependencies":{"adaptivecards":"$version"}}
JSON
(cd "$dir" && npm install --no-audit --no-fund --silent)
node -e "console.log('adaptivecards ' + require('$dir/node_modules/adaptivecards/package.json').version)"

#!/usr/bin/env bash
# Installs @sigstore/verify (and the bundle/protobuf packages it is used with) into DIR/node_modules, for
# tests/tools/sigstore-verify-bundle.js. Idempotent: does nothing when the pinned versions are present.
set -euo pipefail
dir=${1:?target folder}
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
want='{"@sigstore/verify":"3.1.1","@sigstore/bundle":"3.1.0","@sigstore/protobuf-specs":"0.5.2"}'
if [ -f "$dir/package.json" ] && [ -d "$dir/node_modules/@sigstore/verify" ] \
   && node -e "const p=require('$dir/node_modules/@sigstore/verify/package.json');process.exit(p.version==='3.1.1'?0:1)"; then
  exit 0
fi
cat > "$dir/package.json" <<JSON
{"name":"harborbridge-test-tools","private":true,"dependencies":$want}
JSON
(cd "$dir" && npm install --no-audit --no-fund --silent)
node -e "require('$dir/node_modules/@sigstore/verify'); console.log('@sigstore/verify ' + require('$dir/node_modules/@sigstore/verify/package.json').version)"

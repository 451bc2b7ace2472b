#!/usr/bin/env bash
# Installs @sigstore/verify (and the bundle/protobuf packages it is used with) into DIR/node_modules, for
# tests/tools/sigstore-verify-bundle.js, and @sigstore/mock (Fulcio/Rekor/TSA handlers for keyless tests).
# Idempotent: does nothing when the pinned versions are present.
set -euo pipefail
dir=${1:?target folder}
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
want='{"@sigstore/verify":"3.1.1","@sigstore/bundle":"3.1.0","@sigstore/protobuf-specs":"0.5.2","@sigstore/mock":"0.12.1"}'
if [ -f "$dir/package.json" ] && [ -d "$dir/node_modules/@sigstore/verify" ] && [ -d "$dir/node_modules/@sigstore/mock" ] \
   && node -e "const v=m=>require('$dir/node_modules/@sigstore/'+m+'/package.json').version;process.exit(v('verify')==='3.1.1'&&v('mock')==='0.12.1'?0:1)"; then
  exit 0
fi
cat > "$dir/package.json" <<JSON
{"name":"harborbridge-test-tools","private":true,"dependencies":$want}
JSON
(cd "$dir" && npm install --no-audit --no-fund --silent)
node -e "for (const m of ['verify', 'mock']) { require('$dir/node_modules/@sigstore/' + m); console.log('@sigstore/' + m + ' ' + require('$dir/node_modules/@sigstore/' + m + '/package.json').version); }"

#!/usr/bin/env bash
# Runs the signing load driver against private docker-registry processes on 127.0.0.1: once with the registry
# configuration tests/run.sh uses ("baseline") and once with what a registry admin can tune ("tuned": access log off,
# in-memory blob descriptor cache, GOMAXPROCS = cores). Prints one line per run with the load average before it,
# the registry's CPU seconds and the client sockets left in TIME_WAIT (≈ connections opened and closed).
# Usage: tests/HarborBridge.Benchmarks/signing-bench.sh [COUNT=600] [CONCURRENCIES="1 16 64"]
# Build first: dotnet build -c Release tests/HarborBridge.Benchmarks
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
count=${1:-600}
concurrencies=${2:-"1 16 64"}
driver="$root/tests/HarborBridge.Benchmarks/bin/Release/net10.0/HarborBridge.Benchmarks.dll"
work=$(mktemp -d /tmp/hb-signing-bench.XXXXXX)
pid=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2> /dev/null; wait 2> /dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat"; }

for variant in baseline tuned; do
  p=$(port)
  mkdir -p "$work/$variant/data"
  {
    echo "version: 0.1"
    if [[ $variant == baseline ]]; then echo "log: { level: warn }"; else echo "log: { level: warn, accesslog: { disabled: true } }"; fi
    echo "storage:"
    echo "  filesystem: { rootdirectory: $work/$variant/data }"
    echo "  delete: { enabled: true }"
    [[ $variant == tuned ]] && printf '  cache: { blobdescriptor: inmemory }\n  redirect: { disable: true }\n'
    echo "http:"
    echo "  addr: 127.0.0.1:$p"
  } > "$work/$variant/config.yml"
  if [[ $variant == tuned ]]; then
    GOMAXPROCS=$(nproc) docker-registry serve "$work/$variant/config.yml" > "$work/$variant/server.log" 2>&1 &
  else
    docker-registry serve "$work/$variant/config.yml" > "$work/$variant/server.log" 2>&1 &
  fi
  pid=$!
  for _ in $(seq 1 40); do curl -sf "http://127.0.0.1:$p/v2/" > /dev/null && break; sleep 0.25; done
  for c in $concurrencies; do
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    before=$(cpu_seconds "$pid")
    result=$(timeout 600 dotnet "$driver" signing "127.0.0.1:$p" "$count" "$c")
    after=$(cpu_seconds "$pid")
    timewait=$(ss -tan state time-wait "( dport = :$p )" | tail -n +2 | wc -l)
    echo "variant=$variant load=\"$load\" $result registry_cpu_seconds=$(python3 -c "print(round($after-$before,1))") client_time_wait_sockets=$timewait"
  done
  kill "$pid"; wait "$pid" 2> /dev/null || true; pid=""
done

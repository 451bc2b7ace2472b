#!/usr/bin/env bash
# The test command: installs what is missing, starts every service the tests use on 127.0.0.1 (own ports,
# own data folders under one temporary folder), runs all tests, and stops what it started, by PID.
#   tests/run.sh                       everything
#   tests/run.sh --filter Category=X   extra arguments go to `dotnet test`
#   tests/run.sh --exec CMD ARGS...    runs CMD with the services (and HB_TEST_*) instead of the tests, e.g. the load driver
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/tests/tools"
work=$(mktemp -d /tmp/harborbridge-tests.XXXXXX)
chmod 755 "$work"
pids=()
rabbit_dir="$work/rabbitmq"
status=1

log() { printf '[run.sh] %s\n' "$*" >&2; }

cleanup() {
  log "stopping services"
  [ -f "$rabbit_dir/port" ] && "$tools/rabbitmq-node.sh" stop "$rabbit_dir" || true
  if [ -f "$work/pg/data/postmaster.pid" ]; then pids+=("$(head -n1 "$work/pg/data/postmaster.pid")"); fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ "$status" = 0 ]; then rm -rf "$work"; else log "service logs kept in $work"; fi
}
trap cleanup EXIT

# --- install -------------------------------------------------------------------------------------------
need=()
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need+=(rabbitmq-server)
ls /usr/lib/postgresql/*/bin/postgres > /dev/null 2>&1 || need+=(postgresql)
command -v docker-registry > /dev/null || need+=(docker-registry)
command -v skopeo > /dev/null || need+=(skopeo)
/usr/bin/python3 -c 'import aiosmtpd' 2> /dev/null || need+=(python3-aiosmtpd)
command -v npm > /dev/null || need+=(nodejs npm)
command -v chromium > /dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" > "$work/apt.log"
fi
# Debian's package scripts may start system-wide instances; the tests use only their own.
"$tools/install-skopeo-1.18.sh" "$root/.tmp/skopeo-1.18" > /dev/null
"$tools/install-sigstore-js.sh" "$root/.tmp/sigstore-js" > /dev/null
"$tools/install-playwright-core.sh" "$root/.tmp/playwright" > /dev/null
"$tools/install-adaptivecards.sh" "$root/.tmp/adaptivecards" > /dev/null

# --- start services --------------------------------------------------------------------------------------
port() { python3 "$tools/free-port.py" "${1:-1}"; }

rabbit_port=$(port 10)
log "RabbitMQ on 127.0.0.1:$rabbit_port"
"$tools/rabbitmq-node.sh" start "$rabbit_dir" "$rabbit_port"

pg_bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/postgres | sort -V | tail -n1)")
pg_port=$(port)
log "PostgreSQL on 127.0.0.1:$pg_port"
mkdir -p "$work/pg"; chown postgres:postgres "$work/pg"
runuser -u postgres -- "$pg_bin/initdb" -D "$work/pg/data" -A trust -U postgres --no-sync > "$work/pg/initdb.log"
runuser -u postgres -- "$pg_bin/postgres" -D "$work/pg/data" -p "$pg_port" -k "$work/pg" \
  -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300 > "$work/pg/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 60); do "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" && break; sleep 0.5; done
"$pg_bin/pg_isready" -h 127.0.0.1 -p "$pg_port" > /dev/null

registry_port=$(port)
log "docker-registry on 127.0.0.1:$registry_port"
mkdir -p "$work/registry/data"
cat > "$work/registry/config.yml" <<YAML
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $work/registry/data }
  delete: { enabled: true }
http:
  addr: 127.0.0.1:$registry_port
YAML
docker-registry serve "$work/registry/config.yml" > "$work/registry/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 40); do curl -sf "http://127.0.0.1:$registry_port/v2/" > /dev/null && break; sleep 0.25; done

export HB_TEST_RABBITMQ_HOST=127.0.0.1 HB_TEST_RABBITMQ_PORT=$rabbit_port HB_TEST_RABBITMQ_DIR=$rabbit_dir
export HB_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"
export HB_TEST_REGISTRY="127.0.0.1:$registry_port"
export HB_TEST_SKOPEO="$root/.tmp/skopeo-1.18/skopeo"
export HB_TEST_SIGSTORE_JS="$root/.tmp/sigstore-js/node_modules"
export HB_TEST_ADAPTIVECARDS="$root/.tmp/adaptivecards/node_modules"
export HB_TEST_PLAYWRIGHT="$root/.tmp/playwright/node_modules" HB_TEST_CHROMIUM="$(command -v chromium)"
export HB_TEST_TOOLS="$tools" HB_TEST_WORK="$work"

# --- test ----------------------------------------------------------------------------------------------
cd "$root"
if [ "${1:-}" = "--exec" ]; then
  shift
  set +e
  "$@"
  status=$?
  set -e
  exit $status
fi
set +e
dotnet test HarborBridge.sln --nologo -v q --logger "trx;LogFilePrefix=results" --results-directory "$work/results" "$@"
status=$?
set -e
python3 "$tools/trx-failures.py" "$work/results" || true
python3 "$tools/summarise-trx.py" "$work/results" || true
exit $status

#!/usr/bin/env bash
# Runs a private RabbitMQ node on 127.0.0.1 for tests, with its own port, data folder and Erlang cookie.
#   rabbitmq-node.sh start DIR PORT   (uses PORT..PORT+9) start (or restart) the node; returns when it accepts connections
#   rabbitmq-node.sh stop DIR         stop it by PID and wait until it is gone
#   rabbitmq-node.sh ctl DIR ARGS...  rabbitmqctl against it (e.g. add_vhost v1)
set -euo pipefail
cmd=${1:?start|stop|ctl}; dir=${2:?data folder}
bin=/usr/lib/rabbitmq/bin
mkdir -p "$dir"; dir=$(cd "$dir" && pwd); cd "$dir"

node_env() {
  port=$(cat "$dir/port")
  export HOME="$dir/home" RABBITMQ_NODENAME="hb$port@localhost" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$port" RABBITMQ_DIST_PORT=$((port + 1)) RABBITMQ_MNESIA_BASE="$dir/mnesia" \
    RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq" RABBITMQ_PID_FILE="$dir/node.pid" RABBITMQ_CTL_DIST_PORT_MIN=$((port + 2)) \
    RABBITMQ_CTL_DIST_PORT_MAX=$((port + 9))
}

case "$cmd" in
  start)
    port=${3:?port}; echo "$port" > "$dir/port"
    mkdir -p "$dir/home" "$dir/log"
    [ -f "$dir/home/.erlang.cookie" ] || { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$dir/home/.erlang.cookie"; chmod 400 "$dir/home/.erlang.cookie"; }
    echo "[]." > "$dir/enabled_plugins"
    printf 'loopback_users = none\nlog.console = false\nlog.file.level = warning\n' > "$dir/rabbitmq.conf"
    node_env
    setsid "$bin/rabbitmq-server" > "$dir/log/stdout.log" 2>&1 < /dev/null &
    echo $! > "$dir/launcher.pid"
    for _ in $(seq 1 120); do
      if "$bin/rabbitmqctl" -q -t 5 await_startup > /dev/null 2>&1; then exit 0; fi
      kill -0 "$(cat "$dir/launcher.pid")" 2>/dev/null || { echo "rabbitmq-server exited; see $dir/log" >&2; exit 1; }
      sleep 0.5
    done
    echo "rabbitmq-server did not start within 60 s; see $dir/log" >&2; exit 1 ;;
  stop)
    [ -f "$dir/port" ] || exit 0
    node_env
    pid=$(cat "$dir/node.pid" 2>/dev/null || true)
    launcher=$(cat "$dir/launcher.pid" 2>/dev/null || true)
    for p in $pid $launcher; do kill "$p" 2>/dev/null || true; done
    for _ in $(seq 1 60); do
      alive=0; for p in $pid $launcher; do kill -0 "$p" 2>/dev/null && alive=1; done
      [ $alive = 0 ] && break; sleep 0.5
    done
    for p in $pid $launcher; do kill -9 "$p" 2>/dev/null || true; done
    # epmd keeps a registration for a while; the next start of the same node copes with that.
    exit 0 ;;
  ctl)
    shift 2; node_env
    exec "$bin/rabbitmqctl" -q "$@" ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac

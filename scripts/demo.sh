#!/usr/bin/env bash
# demo.sh: deltacast end to end on this machine, in one command.
#
#   scripts/demo.sh     (then open http://127.0.0.1:5173; PORT=… and DELTACAST_PORT=… to move)
#
# Builds the release preset and the web demo (npm ci + vite build in web-client/), starts a
# fresh throwaway PostgreSQL with the example chat schema and seed data, deltacast in jwt
# mode on 127.0.0.1:$DELTACAST_PORT (default 8080) with a random secret, the example agent
# in --serve mode (it answers the page's "Ask the agent"), and web-client/demo/server.mjs on
# 127.0.0.1:$PORT (default 5173): the built chat page, its API, and /api/sse/* proxied to
# deltacast unchanged. It prints that one URL and runs until Ctrl-C. Everything it started
# is stopped on exit; logs stay in .demo/.
# It installs nothing system-wide: scripts/deps.sh installs the Debian packages it needs
# (npm ci fills web-client/node_modules from the npm registry).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo"

port=${PORT:-5173}
dc_port=${DELTACAST_PORT:-8080}
demo_dir=$repo/.demo
config=$repo/deltacast.example.toml
server_bin=$repo/build/release/deltacast
agent_bin=$repo/build/release/deltacast-agent
pg_dir=
server_pid=
agent_pid=
web_pid=
secret=

say() { echo "demo: $*" >&2; }
die() { say "$*"; exit 1; }

# Stops a process we started: TERM, up to 5 s of grace, then KILL.
# shellcheck disable=SC2317  # stop_pid and cleanup run from the EXIT trap
stop_pid() {
    local pid=$1
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

stop_cluster() {
    local dir=$1
    [[ -n $dir && -d $dir ]] || return 0
    scripts/pg-cluster.sh stop "$dir" >/dev/null 2>&1 || true
    cp "$dir/postgres.log" "$demo_dir/postgres.log" 2>/dev/null || true
    rm -rf "$dir"
}

# shellcheck disable=SC2317
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    echo >&2
    say "stopping the demo server, the agent, deltacast and PostgreSQL"
    stop_pid "$web_pid"
    stop_pid "$agent_pid"
    stop_pid "$server_pid"
    stop_cluster "$pg_dir"
    rm -f "$demo_dir/pg-dir"
    say "logs are in $demo_dir/"
    exit "$rc"
}

# True when every directory from / down to $1 lets other users pass (x bit): Postgres runs
# as the unprivileged deltacast-pg user when we are root and must reach its data directory.
reachable_by_others() {
    local d=$1 mode
    while [[ $d != / ]]; do
        mode=$(stat -c %A "$d")
        [[ ${mode:9:1} == [xt] ]] || return 1
        d=$(dirname "$d")
    done
}

check_tools() {
    if command -v dpkg-query >/dev/null; then
        scripts/deps.sh --check || exit 1
    fi
    local tool
    for tool in cmake ninja c++ psql curl node npm; do
        command -v "$tool" >/dev/null || die "$tool not found: run scripts/deps.sh"
    done
    node -e 'const [a, b] = process.versions.node.split(".").map(Number);
             process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
        die "node $(node --version) is too old: the web demo needs Node >= 20.19"
    [[ -f $config ]] || die "$config not found"
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        die "port $port is already in use; choose another: PORT=5180 $0"
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$dc_port") 2>/dev/null; then
        die "port $dc_port is already in use; choose another: DELTACAST_PORT=8081 $0"
    fi
}

build_web() {
    say "building the web demo (npm ci + vite build in web-client/; log $demo_dir/web-build.log)"
    if ! (cd web-client && npm ci --no-audit --no-fund && npm run build:demo) \
        >"$demo_dir/web-build.log" 2>&1; then
        tail -n 20 "$demo_dir/web-build.log" >&2 || true
        die "the web demo did not build; see $demo_dir/web-build.log"
    fi
}

# A fresh cluster: under .demo/pg, or in /tmp when .demo is closed to the Postgres user.
start_cluster() {
    if [[ -f $demo_dir/pg-dir ]]; then
        stop_cluster "$(cat "$demo_dir/pg-dir")"
    fi
    stop_cluster "$demo_dir/pg"
    rm -rf "$demo_dir"
    mkdir -p "$demo_dir"
    pg_dir=$demo_dir/pg
    if [[ $EUID -eq 0 ]] && ! reachable_by_others "$demo_dir"; then
        pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/deltacast-demo.XXXXXX")
        say "$demo_dir is closed to other users; PostgreSQL lives in $pg_dir instead"
    fi
    echo "$pg_dir" >"$demo_dir/pg-dir"
    scripts/pg-cluster.sh start "$pg_dir"
    # shellcheck source=/dev/null
    source "$pg_dir/env"
    unset DATABASE_URL
    PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 \
        -f sql/deltacast.sql -f sql/example_chat.sql -f sql/example_seed.sql
}

# deltacast in jwt mode: the demo server signs each visitor's `session` cookie with the same
# random secret, so the stream is authenticated and chat access is checked as in production.
# wait_http NAME PID URL LOG: waits up to 20 s for URL to answer 2xx while PID lives.
wait_http() {
    local name=$1 pid=$2 url=$3 log=$4
    for _ in $(seq 1 100); do
        if curl -fs -o /dev/null "$url"; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$log" >&2 || true
            die "$name exited during start-up; see $log"
        fi
        sleep 0.2
    done
    tail -n 20 "$log" >&2 || true
    die "$name did not answer $url within 20 s"
}

start_server() {
    local conninfo="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=$PGUSER"
    secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    say "starting deltacast on 127.0.0.1:$dc_port (log $demo_dir/deltacast.log)"
    DELTACAST_JWT_SECRET=$secret "$server_bin" --config "$config" --auth.mode=jwt \
        --server.listen="127.0.0.1:$dc_port" \
        --postgres.conninfo="$conninfo" >"$demo_dir/deltacast.log" 2>&1 &
    server_pid=$!
    wait_http deltacast "$server_pid" "http://127.0.0.1:$dc_port/readyz" "$demo_dir/deltacast.log"
}

start_web() {
    say "starting the demo server on 127.0.0.1:$port (log $demo_dir/web.log)"
    PORT=$port DELTACAST_URL="http://127.0.0.1:$dc_port" DELTACAST_JWT_SECRET=$secret \
        node web-client/demo/server.mjs >"$demo_dir/web.log" 2>&1 &
    web_pid=$!
    wait_http "the demo server" "$web_pid" "http://127.0.0.1:$port/" "$demo_dir/web.log"
}

print_banner() {
    local url="http://127.0.0.1:$port"
    cat >&2 <<EOF

deltacast demo is running. Open this in a browser:

    $url

  (chats 42 and 43 as user u1; $url/?user=u2 for the other member, ?user=u3 shows a 403)
  PostgreSQL  127.0.0.1:$PGPORT, database $PGDATABASE, user $PGUSER
  deltacast   http://127.0.0.1:$dc_port  (pid $server_pid, jwt auth, log .demo/deltacast.log)
  agent       --serve: answers "Ask the agent"  (pid $agent_pid, log .demo/agent.log)
  web         $url  (pid $web_pid, web-client/demo/server.mjs, log .demo/web.log)

In another terminal, a writer that the page shows live:
  eval "\$(scripts/pg-cluster.sh env $pg_dir)"
  build/release/deltacast-agent --chat 43 --prompt "Hello there"

Ctrl-C stops everything.
EOF
}

check_tools
say "building the release preset"
cmake --preset release >/dev/null
cmake --build --preset release --target deltacast deltacast-agent

trap cleanup EXIT
trap 'exit 0' INT  # Ctrl-C is how the demo is meant to end
trap 'exit 143' TERM
start_cluster
build_web
start_server
"$agent_bin" --serve >"$demo_dir/agent.log" 2>&1 &
agent_pid=$!
start_web
print_banner
# The demo server runs in the background so that a signal to this script is handled at once
# (bash defers traps while a foreground child runs); background children ignore Ctrl-C, so
# cleanup stops it.
if wait "$web_pid"; then rc=0; else rc=$?; fi
web_pid=
say "the demo server ended (exit $rc); see $demo_dir/web.log"
exit 1

#!/usr/bin/env bash
# demo.sh: deltacast end to end on this machine, in one command.
#
#   scripts/demo.sh            (PORT=8080 by default: PORT=9000 scripts/demo.sh)
#
# Builds the release preset, starts a fresh throwaway PostgreSQL with the example chat
# schema and seed data, starts deltacast (auth off) and the example agent streaming replies
# into chat 42, then shows the live SSE stream of org:1 and chat:42 here until Ctrl-C.
# Everything it started is stopped on exit; logs stay in .demo/.
# It installs nothing: scripts/deps.sh installs the Debian packages it needs.
# The browser demo (a chat page) arrives with the web-client issue; until then the stream
# is shown raw in this terminal.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo"

port=${PORT:-8080}
demo_dir=$repo/.demo
config=$repo/deltacast.example.toml
server_bin=$repo/build/release/deltacast
agent_bin=$repo/build/release/deltacast-agent
pg_dir=
server_pid=
agent_pid=
curl_pid=

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
    say "stopping the agent, deltacast and PostgreSQL"
    stop_pid "$curl_pid"
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
    for tool in cmake ninja c++ psql curl; do
        command -v "$tool" >/dev/null || die "$tool not found: run scripts/deps.sh"
    done
    [[ -f $config ]] || die "$config not found"
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        die "port $port is already in use; choose another: PORT=8081 $0"
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

start_server() {
    local conninfo="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=$PGUSER"
    say "starting deltacast on 127.0.0.1:$port (log $demo_dir/deltacast.log)"
    "$server_bin" --config "$config" --auth.mode=none --server.listen="127.0.0.1:$port" \
        --postgres.conninfo="$conninfo" >"$demo_dir/deltacast.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do
        if curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; then
            return 0
        fi
        if ! kill -0 "$server_pid" 2>/dev/null; then
            tail -n 20 "$demo_dir/deltacast.log" >&2 || true
            server_pid=
            die "deltacast exited during start-up; see $demo_dir/deltacast.log"
        fi
        sleep 0.2
    done
    tail -n 20 "$demo_dir/deltacast.log" >&2 || true
    die "deltacast did not answer 200 on /readyz within 20 s"
}

print_banner() {
    local url="http://127.0.0.1:$port"
    cat >&2 <<EOF

deltacast demo is running:
  PostgreSQL  127.0.0.1:$PGPORT, database $PGDATABASE, user $PGUSER
  deltacast   $url  (pid $server_pid, log .demo/deltacast.log, auth off)
  agent       streaming replies into chat 42  (pid $agent_pid, log .demo/agent.log)

In another terminal:
  eval "\$(scripts/pg-cluster.sh env $pg_dir)"
  build/release/deltacast-agent --chat 43 --prompt "Hello there"
  curl -sN --compressed '$url/api/sse/stream?topics=chat:43'
  curl -s $url/metrics

Live stream of org:1 and chat:42 (Ctrl-C stops everything):
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
start_server
"$agent_bin" --loop 1000 --chat 42 >"$demo_dir/agent.log" 2>&1 &
agent_pid=$!
print_banner
# In the background so that a signal to this script is handled at once (bash defers traps
# while a foreground child runs); background children ignore Ctrl-C, so cleanup stops it.
curl -sN --compressed "http://127.0.0.1:$port/api/sse/stream?topics=org:1,chat:42" &
curl_pid=$!
if wait "$curl_pid"; then rc=0; else rc=$?; fi
curl_pid=
say "the stream ended (curl exit $rc); see $demo_dir/deltacast.log"
exit 1

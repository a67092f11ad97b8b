#!/usr/bin/env bash
# pg-cluster.sh: a throwaway PostgreSQL 15 cluster for tests and the demo.
#
#   scripts/pg-cluster.sh start DIR   initdb into DIR/data (if new) and start it
#   scripts/pg-cluster.sh env DIR     print DIR/env (source it to reach the cluster)
#   scripts/pg-cluster.sh stop DIR    stop it (immediate); safe to call twice
#   scripts/pg-cluster.sh restart DIR stop it (fast: clients are disconnected) and start it
#                                     again on the same port and data (fault tests)
#
# The cluster listens on 127.0.0.1 only, at a random free port, with its unix socket in
# DIR/sock. Trust authentication, fsync off: for tests only, never for data you keep.
# Postgres refuses to run as root, so when invoked as root the server runs as the system
# user `deltacast-pg` (created if missing) and DIR is chowned to it. Clients connect as the
# superuser role `deltacast` (superuser so that tests may pg_terminate_backend) to the
# database `deltacast_test`.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_OS_USER=deltacast-pg
PORT_ATTEMPTS=8

die() { echo "pg-cluster: $*" >&2; exit 1; }
say() { echo "pg-cluster: $*" >&2; }

usage() {
    echo "usage: $0 start DIR | stop DIR | restart DIR | env DIR" >&2
    exit 2
}

# Runs a command as the user that owns the server: deltacast-pg under root, else ourselves.
as_pg() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u "$PG_OS_USER" -- "$@"
    else
        "$@"
    fi
}

ensure_os_user() {
    [[ $EUID -eq 0 ]] || return 0
    if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
        say "creating system user $PG_OS_USER (PostgreSQL will not run as root)"
        useradd --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$PG_OS_USER"
    fi
}

# A port nobody listens on, outside the kernel's ephemeral range (32768-60999) so that
# client sockets do not take it between our check and the server's bind.
random_free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "no free port found in 20000-31999"
}

is_running() {
    local data=$1
    [[ -f $data/postmaster.pid ]] && as_pg "$PG_BIN/pg_ctl" status -D "$data" >/dev/null 2>&1
}

init_cluster() {
    local dir=$1 data=$1/data
    say "initdb into $data"
    as_pg "$PG_BIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    cat >>"$data/postgresql.conf" <<EOF

# --- deltacast throwaway test cluster ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/sock'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
include_if_exists = 'deltacast_port.conf'
EOF
}

# Starts the server on a random port, retrying on another port when the bind loses a race.
start_server() {
    local dir=$1 data=$1/data port attempt
    for attempt in $(seq 1 "$PORT_ATTEMPTS"); do
        port=$(random_free_port)
        echo "port = $port" | as_pg tee "$data/deltacast_port.conf" >/dev/null
        if as_pg "$PG_BIN/pg_ctl" start -w -t 60 -D "$data" -l "$dir/postgres.log" \
            >/dev/null 2>&1; then
            echo "$port"
            return 0
        fi
        say "start on port $port failed (attempt $attempt/$PORT_ATTEMPTS); retrying"
    done
    tail -n 30 "$dir/postgres.log" >&2 || true
    die "PostgreSQL did not start; log: $dir/postgres.log"
}

wait_ready() {
    local port=$1
    for _ in $(seq 1 100); do
        "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres && return 0
        sleep 0.1
    done
    die "PostgreSQL on port $port is not ready after 10 s"
}

create_role_and_db() {
    local port=$1
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
        -c "CREATE ROLE deltacast SUPERUSER LOGIN" \
        -c "CREATE DATABASE deltacast_test OWNER deltacast" >/dev/null
}

cmd_start() {
    local dir=$1 fresh=0 port
    [[ -x $PG_BIN/initdb ]] || die "$PG_BIN/initdb not found (apt-get install postgresql-15)"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    # The socket path (dir/sock/.s.PGSQL.NNNNN) must fit in sun_path (107 bytes).
    (( ${#dir} <= 80 )) || die "$dir is too long for a unix socket path; use a shorter DIR"
    is_running "$dir/data" && die "a cluster is already running in $dir (stop it first)"

    ensure_os_user
    if [[ $EUID -eq 0 ]]; then
        chown -R "$PG_OS_USER:" "$dir"
        as_pg test -w "$dir" -a -x "$dir" ||
            die "$PG_OS_USER cannot reach $dir (a parent directory is closed to other users);" \
                "use a DIR under /tmp"
    fi
    as_pg mkdir -p "$dir/sock"
    if [[ ! -f $dir/data/PG_VERSION ]]; then
        init_cluster "$dir"
        fresh=1
    fi
    port=$(start_server "$dir")
    wait_ready "$port"
    if [[ $fresh -eq 1 ]]; then
        create_role_and_db "$port"
    fi

    local env_file=$dir/env
    echo "export PGHOST=127.0.0.1 PGPORT=$port PGUSER=deltacast PGDATABASE=deltacast_test" \
        | as_pg tee "$env_file" >/dev/null
    say "PostgreSQL 15 running on 127.0.0.1:$port (data $dir/data, log $dir/postgres.log)"
    say "environment: source $env_file"
}

cmd_stop() {
    local dir=$1
    [[ -d $dir/data ]] || { say "no cluster in $dir; nothing to stop"; return 0; }
    if is_running "$dir/data"; then
        as_pg "$PG_BIN/pg_ctl" stop -D "$dir/data" -m immediate -w >/dev/null
        say "stopped the cluster in $dir"
    else
        say "the cluster in $dir is not running"
    fi
}

# Same port (kept in deltacast_port.conf), so clients holding DIR/env reconnect to it.
cmd_restart() {
    local dir=$1 data=$1/data port
    is_running "$data" || die "no cluster is running in $dir"
    port=$(sed -nE 's/^port = ([0-9]+)$/\1/p' "$data/deltacast_port.conf")
    as_pg "$PG_BIN/pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null
    as_pg "$PG_BIN/pg_ctl" start -w -t 60 -D "$data" -l "$dir/postgres.log" >/dev/null ||
        { tail -n 30 "$dir/postgres.log" >&2; die "PostgreSQL did not restart on port $port"; }
    wait_ready "$port"
    say "restarted the cluster in $dir on port $port"
}

cmd_env() {
    local dir=$1
    [[ -f $dir/env ]] || die "no $dir/env: start the cluster first"
    cat "$dir/env"
}

[[ $# -eq 2 ]] || usage
case $1 in
    start) cmd_start "$2" ;;
    stop) cmd_stop "$2" ;;
    restart) cmd_restart "$2" ;;
    env) cmd_env "$2" ;;
    *) usage ;;
esac

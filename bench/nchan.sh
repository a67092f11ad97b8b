#!/usr/bin/env bash
# nchan.sh: a standalone nginx + nchan instance, the benchmark's reference server.
#
#   bench/nchan.sh start DIR PORT   render bench/nchan.conf.in into DIR, start nginx with its own
#                                   prefix (-p DIR -c DIR/nginx.conf) as a daemon, wait until
#                                   it answers, print "master=PID worker=PID"
#   bench/nchan.sh stop DIR [PORT]  graceful quit via DIR/nginx.pid, then kill after 5 s
#   bench/nchan.sh pids DIR         print "master=PID worker=PID" again
#
# Everything (pid, error log, temp paths) lives under DIR; /etc/nginx is never read.
# Subscribers must send "Accept: text/event-stream": without it nchan answers 403 on /sub.
# Try it:  curl -N -H 'Accept: text/event-stream' 'http://127.0.0.1:PORT/sub?chat=1&org=1'
#          curl -d '{"topic":"chat:1","rows":[]}' 'http://127.0.0.1:PORT/pub?id=chat_1'
# NCHAN_GZIP=off renders the config without gzip. Needs nginx-light and libnginx-mod-nchan.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NGINX=${NGINX:-/usr/sbin/nginx}

die() { echo "nchan.sh: $*" >&2; exit 1; }

usage() {
    echo "usage: $0 start DIR PORT | stop DIR [PORT] | pids DIR" >&2
    exit 2
}

find_module() {
    local so
    for so in /usr/lib/nginx/modules/ngx_nchan_module.so \
              /usr/share/nginx/modules/ngx_nchan_module.so; do
        [[ -f $so ]] && { echo "$so"; return 0; }
    done
    die "ngx_nchan_module.so not found (apt-get install -y nginx-light libnginx-mod-nchan)"
}

render_config() {
    local dir=$1 port=$2
    mkdir -p "$dir/temp"/{body,proxy,fastcgi,uwsgi,scgi}
    # Workers drop to an unprivileged user when started as root; let them use the temp dirs.
    chmod -R a+rwx "$dir/temp"
    sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@MODULE@|$(find_module)|g" \
        -e "s|@GZIP@|${NCHAN_GZIP:-on}|g" "$HERE/nchan.conf.in" >"$dir/nginx.conf"
}

master_pid() {
    local pid
    pid=$(cat "$1/nginx.pid" 2>/dev/null) || return 1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

print_pids() {
    local master workers
    master=$(master_pid "$1") || die "not running (no live pid in $1/nginx.pid)"
    workers=$(pgrep -P "$master" | tr '\n' ' ')
    echo "master=$master worker=${workers% }"
}

wait_until_up() {
    local dir=$1 port=$2
    for _ in $(seq 1 100); do
        if master_pid "$dir" >/dev/null && [[ -n $(pgrep -P "$(master_pid "$dir")") ]] &&
            (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    die "nginx did not come up on port $port (see $dir/error.log)"
}

start() {
    local dir port
    [[ $# -eq 2 ]] || usage
    mkdir -p "$1"
    dir=$(cd "$1" && pwd)
    port=$2
    master_pid "$dir" >/dev/null && die "already running in $dir ($(print_pids "$dir"))"
    render_config "$dir" "$port"
    "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -t -q ||
        die "config test failed for $dir/nginx.conf"
    "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
    wait_until_up "$dir" "$port"
    print_pids "$dir"
}

stop() {
    local dir=$1 master workers
    master=$(master_pid "$dir") || { echo "nchan.sh: not running in $dir" >&2; return 0; }
    workers=$(pgrep -P "$master" || true)
    kill -QUIT "$master"
    for _ in $(seq 1 100); do
        kill -0 "$master" 2>/dev/null || { echo "nchan.sh: stopped $master"; return 0; }
        sleep 0.05
    done
    # Open SSE streams can hold a graceful quit forever: terminate.
    kill -TERM "$master" 2>/dev/null || true
    sleep 0.5
    if kill -0 "$master" 2>/dev/null; then
        # shellcheck disable=SC2086  # word splitting of the worker pid list is intended
        kill -KILL "$master" $workers 2>/dev/null || true
    fi
    echo "nchan.sh: terminated $master"
}

case "${1:-}" in
    start) shift; start "$@" ;;
    stop) [[ $# -ge 2 ]] || usage; stop "$2" ;;
    pids) [[ $# -eq 2 ]] || usage; print_pids "$(cd "$2" && pwd)" ;;
    *) usage ;;
esac

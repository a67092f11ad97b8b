#!/usr/bin/env bash
# bench/rooms.sh: the live-rooms benchmark (SPEC §8). Builds the release binaries, starts a
# throwaway Postgres and two deltacast replicas on it, and prints a Markdown report:
#   (1) a room of 1,000 viewers (500 per replica) with 50 typists at 2 broadcasts/s each:
#       publish -> arrival latency, server CPU per delivered broadcast against CPU per delivered
#       row frame (a row-streaming phase with the same viewers, same run), NOTIFYs per second;
#   (2) join/leave churn of 1,000 distinct subjects: open -> `joins` seen on the other replica,
#       statements, NOTIFYs and rows per join/leave, RSS before/after.
#
#   bench/rooms.sh [--seconds 15] [--work DIR] [--deltacast PATH]
#
# Pinning as bench/run.sh: both replicas (server.threads = 1) on core 0; the clients and the
# writer on core 1; Postgres on either. Server CPU is user+sys (/proc/PID/stat) of both replicas
# over the measured phase, divided by the events the viewers received in that phase.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_PER_RUN=15
WORK=/tmp/deltacast-rooms
DELTACAST=""
while [[ $# -gt 0 ]]; do
    case $1 in
    --seconds) SECONDS_PER_RUN=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --deltacast) DELTACAST=$2; shift 2 ;;
    *) echo "usage: $0 [--seconds N] [--work DIR] [--deltacast PATH]" >&2; exit 2 ;;
    esac
done

BIN=$ROOT/build/release
DELTACAST=${DELTACAST:-$BIN/deltacast}
SERVER_CORE=0
LOAD_CORE=1
PORTS=(8481 8482)
VIEWERS=1000
TYPISTS=50
TYPIST_RATE=2
SUBJECTS=1000
JOIN_RAMP=200
export DELTACAST_JWT_SECRET="rooms-bench-$RANDOM$RANDOM"
declare -a CHILDREN=() SERVERS=()

log() { echo "rooms: $*" >&2; }
cleanup() {
    for pid in "${CHILDREN[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    "$ROOT/scripts/pg-cluster.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# --- helpers ---------------------------------------------------------------------------------

calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$1/stat"; }
servers_cpu() { calc "$(cpu_of "${SERVERS[0]}") + $(cpu_of "${SERVERS[1]}")" 3; }
rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
metric() { curl -sf "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }
# A metric summed over both replicas.
metric_sum() { echo $(($(metric "${PORTS[0]}" "$1") + $(metric "${PORTS[1]}" "$1"))); }
# Every metric this report uses, summed over both replicas, as "name=value" words.
snapshot() {
    local m
    for m in broadcasts_accepted_total broadcasts_rejected_total broadcast_events_total \
        room_messages_total presence_notifies_total presence_writes_total presence_events_total \
        signals_total queries_total frames_delivered_total; do
        echo -n "$m=$(metric_sum "deltacast_$m") "
    done
}
# delta NAME BEFORE AFTER: the change of one metric between two snapshots.
delta() {
    local before after
    before=$(tr ' ' '\n' <<<"$2" | awk -F= -v m="$1" '$1 == m { print $2 }')
    after=$(tr ' ' '\n' <<<"$3" | awk -F= -v m="$1" '$1 == m { print $2 }')
    echo $((after - before))
}
presence_tuples() { # inserts updates deletes on deltacast_presence, from pg_stat_user_tables
    # pg_stat_user_tables lags (an idle backend reports its counts within ~10 s): wait until
    # the counts agree with the table (inserted - deleted = rows held), 30 s at most.
    local tuples
    for _ in $(seq 60); do
        tuples=$(psql -X -At -F' ' -c "SELECT n_tup_ins, n_tup_upd, n_tup_del,
                   n_tup_ins - n_tup_del = (SELECT count(*) FROM deltacast_presence)
                   FROM pg_stat_user_tables WHERE relname = 'deltacast_presence'")
        [[ $tuples == *" t" ]] && break
        sleep 0.5
    done
    echo "${tuples% *}"
}
wait_file() { # PATH PID SECONDS
    for _ in $(seq $(($3 * 10))); do
        [[ -f $1 ]] && return 0
        kill -0 "$2" 2>/dev/null || { log "client exited early"; return 1; }
        sleep 0.1
    done
    log "timed out waiting for $1"
    return 1
}

start_replica() { # PORT
    taskset -c "$SERVER_CORE" "$DELTACAST" --config "$ROOT/bench/deltacast-rooms.toml" \
        --server.listen="127.0.0.1:$1" --postgres.conninfo="$CONNINFO" \
        >"$WORK/deltacast-$1.log" 2>&1 &
    SERVERS+=($!)
    CHILDREN+=($!)
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    log "deltacast on port $1 did not become ready"; cat "$WORK/deltacast-$1.log" >&2; exit 1
}

rooms() { taskset -c "$LOAD_CORE" "$BIN/bench/bench_rooms" "$@" --secret "$DELTACAST_JWT_SECRET"; }
writer() {
    taskset -c "$LOAD_CORE" "$BIN/bench/bench_writer" --conninfo "$CONNINFO" "$@" >/dev/null
}
typists() { # DURATION -> RESULT json
    rooms typists --ports "${PORTS[0]},${PORTS[1]}" --topic chat:1 --count "$TYPISTS" \
        --rate-per-s "$TYPIST_RATE" --duration-s "$1" | sed -n 's/^RESULT //p'
}
mark() { # the viewers print COUNTS (totals, and latency since the previous mark)
    kill -USR1 "$VIEWERS_PID"
    sleep 0.5
    tail -n 1 "$WORK/viewers.out" | sed -n 's/^COUNTS //p'
}

# --- setup -----------------------------------------------------------------------------------

rm -rf "$WORK"
mkdir -p "$WORK"
log "building release binaries"
cmake --preset release >/dev/null
cmake --build --preset release --target deltacast bench_writer bench_rooms -- -j2 >/dev/null
"$ROOT/scripts/pg-cluster.sh" start "$WORK/pg" >/dev/null
# shellcheck disable=SC1091
source "$WORK/pg/env"
CONNINFO="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE"
psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/bench/schema.sql"
writer --reset --chats 1
for port in "${PORTS[@]}"; do start_replica "$port"; done

echo "# deltacast live-rooms benchmark report"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); commit: $(git -C "$ROOT" rev-parse --short HEAD)"
echo "- machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(uname -r)"
echo "- command: bench/rooms.sh --seconds $SECONDS_PER_RUN"
echo "- two replicas (server.threads = 1) pinned to core $SERVER_CORE, on one Postgres; clients and writer on core $LOAD_CORE"
echo

# --- (1) a room of 1,000 viewers -------------------------------------------------------------

log "(1) $VIEWERS viewers"
# A simple command, not the rooms() function: $! must be bench_rooms itself (taskset execs it),
# or mark()'s SIGUSR1 would kill the function's subshell instead.
taskset -c "$LOAD_CORE" "$BIN/bench/bench_rooms" viewers --ports "${PORTS[0]},${PORTS[1]}" \
    --topic chat:1 --count "$VIEWERS" --ramp-per-s 500 --ready-file "$WORK/viewers.ready" \
    --stop-file "$WORK/viewers.stop" --secret "$DELTACAST_JWT_SECRET" \
    >"$WORK/viewers.out" 2>"$WORK/viewers.err" &
VIEWERS_PID=$!
CHILDREN+=("$VIEWERS_PID")
wait_file "$WORK/viewers.ready" "$VIEWERS_PID" 60
sleep 2  # the joins' presence events settle

# Broadcast phase: 2 s warm-up, then the measured phase.
typists 2 >/dev/null
sleep 0.5
b_start=$(mark)
cpu0=$(servers_cpu)
m0=$(snapshot)
b_typists=$(typists "$SECONDS_PER_RUN")
sleep 1
cpu1=$(servers_cpu)
m1=$(snapshot)
b_counts=$(mark)

# Row phase: bench_writer streams one row of chat:1 every 10 ms (100 commits/s).
writer --chats 1 --interval-ms 10 --duration-s 2
sleep 0.5
r_start=$(mark)
cpu2=$(servers_cpu)
m2=$(snapshot)
writer --chats 1 --interval-ms 10 --duration-s "$SECONDS_PER_RUN"
sleep 1
cpu3=$(servers_cpu)
m3=$(snapshot)
r_counts=$(mark)
touch "$WORK/viewers.stop"
wait "$VIEWERS_PID" || true

j() { jq -r "$2" <<<"$1"; }
b_events=$(($(j "$b_counts" .broadcasts) - $(j "$b_start" .broadcasts)))
r_frames=$(($(j "$r_counts" .upsert_frames) - $(j "$r_start" .upsert_frames)))
b_cpu_us=$(calc "($cpu1 - $cpu0) * 1e6 / ($b_events > 0 ? $b_events : 1)")
r_cpu_us=$(calc "($cpu3 - $cpu2) * 1e6 / ($r_frames > 0 ? $r_frames : 1)")
sent_b=$(delta broadcasts_accepted_total "$m0" "$m1")
sent_p=$(delta presence_notifies_total "$m0" "$m1")
received=$(delta room_messages_total "$m0" "$m1")
expected=$((sent_b * VIEWERS))

echo "## (1) A room of $VIEWERS viewers on two replicas, $TYPISTS typists at $TYPIST_RATE broadcasts/s"
echo
echo "$VIEWERS viewers of \`chat:1\` ($((VIEWERS / 2)) per replica, each a distinct JWT subject; presence on, so"
echo "the room is also a presence topic). Each typist POSTs \`/api/sse/broadcast\` to one replica"
echo "(typist i to replica i mod 2) with \`data\` carrying its CLOCK_REALTIME send time; latency is"
echo "send -> arrival at each viewer. Then the same viewers receive rows: bench_writer commits one row"
echo "of \`chat:1\` every 10 ms (the window coalesces them into ≤ 62.5 frames/s)."
echo "Measured phases of ${SECONDS_PER_RUN} s each, after a 2 s warm-up."
echo
echo "| phase | events delivered | p50 ms | p99 ms | max ms | p99 ms, other replica's publishes | server CPU µs per delivered event |"
echo "|---|---|---|---|---|---|---|"
echo "| broadcasts | $b_events of $expected ($sent_b accepted × $VIEWERS) | $(j "$b_counts" .broadcast_latency.p50_ms) | $(j "$b_counts" .broadcast_latency.p99_ms) | $(j "$b_counts" .broadcast_latency.max_ms) | $(j "$b_counts" .broadcast_latency_cross_replica.p99_ms) (max $(j "$b_counts" .broadcast_latency_cross_replica.max_ms)) | $b_cpu_us |"
echo "| row frames | $r_frames frames ($(($(j "$r_counts" .rows) - $(j "$r_start" .rows))) rows) | $(j "$r_counts" .row_latency.p50_ms) | $(j "$r_counts" .row_latency.p99_ms) | $(j "$r_counts" .row_latency.max_ms) | n/a | $r_cpu_us |"
echo
typists_line=$(j "$b_typists" '"\(.sent) POSTs in \(.elapsed_s * 10 | round / 10) s, answers \(.answers | tostring)"')
echo "- Typists: $typists_line."
echo "- CPU per delivered broadcast / per delivered row frame: **$(calc "$b_cpu_us / $r_cpu_us")×** (target ≤ 1.2×)."
echo "- NOTIFYs sent, from the replicas' /metrics over the broadcast phase: deltacast_broadcasts_accepted_total"
echo "  $(calc "$sent_b / $SECONDS_PER_RUN" 1)/s + deltacast_presence_notifies_total $(calc "$sent_p / $SECONDS_PER_RUN" 1)/s = **$(calc "($sent_b + $sent_p) / $SECONDS_PER_RUN" 1) NOTIFYs/s**"
echo "  (one per broadcast). deltacast_room_messages_total (received, both replicas): $(calc "$received / $SECONDS_PER_RUN" 1)/s;"
echo "  deltacast_broadcast_events_total (events built, once per message per replica): $(delta broadcast_events_total "$m0" "$m1")."
echo "- deltacast_frames_delivered_total (both replicas): $(delta frames_delivered_total "$m0" "$m1") in the broadcast phase, $(delta frames_delivered_total "$m2" "$m3") in the row phase."
echo "- Row phase: $(delta signals_total "$m2" "$m3") signals, $(delta queries_total "$m2" "$m3") queries (both replicas)."
echo

# --- (2) join/leave churn --------------------------------------------------------------------

log "(2) churn of $SUBJECTS subjects"
sleep 6  # the viewers' leaves (grace 5 s) are done
rss_before="$(rss_mib "${SERVERS[0]}") / $(rss_mib "${SERVERS[1]}")"
t0=($(presence_tuples))
m4=$(snapshot)
rooms churn --join-port "${PORTS[0]}" --watch-port "${PORTS[1]}" --topic lobby:1 \
    --count "$SUBJECTS" --ramp-per-s "$JOIN_RAMP" --joined-file "$WORK/churn.joined" \
    --continue-file "$WORK/churn.continue" >"$WORK/churn.out" 2>"$WORK/churn.err" &
CHURN_PID=$!
CHILDREN+=("$CHURN_PID")
wait_file "$WORK/churn.joined" "$CHURN_PID" 60
sleep 1
rss_joined="$(rss_mib "${SERVERS[0]}") / $(rss_mib "${SERVERS[1]}")"
m5=$(snapshot)
rows_held=$(psql -X -At -c "SELECT count(*) FROM deltacast_presence WHERE topic = 'lobby:1'")
touch "$WORK/churn.continue"
wait "$CHURN_PID"
sleep 1
rss_after="$(rss_mib "${SERVERS[0]}") / $(rss_mib "${SERVERS[1]}")"
m6=$(snapshot)
t1=($(presence_tuples))
churn=$(sed -n 's/^RESULT //p' "$WORK/churn.out")
w_join=$(delta presence_writes_total "$m4" "$m5")
n_join=$(delta presence_notifies_total "$m4" "$m5")
w_leave=$(delta presence_writes_total "$m5" "$m6")
n_leave=$(delta presence_notifies_total "$m5" "$m6")

echo "## (2) Join/leave churn of $SUBJECTS subjects"
echo
echo "A watcher holds \`lobby:1\` on replica 2. $SUBJECTS distinct subjects (JWT tokens) each open one stream"
echo "of \`lobby:1\` on replica 1, $JOIN_RAMP opens/s; once the watcher has seen every join, they close at the"
echo "same rate. Join latency: the subject's response head arriving -> the watcher reading the \`joins\`"
echo "event naming it. Leave latency: the close -> the \`leaves\` event; it includes the kind's"
echo "presence_grace_ms = 1000."
echo
echo "| | count seen | p50 ms | p99 ms | max ms |"
echo "|---|---|---|---|---|"
echo "| join (open -> joins on the other replica) | $(j "$churn" .joins_seen) | $(j "$churn" .join_latency.p50_ms) | $(j "$churn" .join_latency.p99_ms) | $(j "$churn" .join_latency.max_ms) |"
echo "| leave (close -> leaves, grace 1000 ms included) | $(j "$churn" .leaves_seen) | $(j "$churn" .leave_latency.p50_ms) | $(j "$churn" .leave_latency.p99_ms) | $(j "$churn" .leave_latency.max_ms) |"
echo
echo "Target for joins: p99 ≤ one window (16 ms) + 50 ms = 66 ms."
echo
echo "| | per join | per leave |"
echo "|---|---|---|"
echo "| statements (deltacast_presence_writes_total; heartbeats included) | $w_join / $SUBJECTS = $(calc "$w_join / $SUBJECTS" 3) | $w_leave / $SUBJECTS = $(calc "$w_leave / $SUBJECTS" 3) |"
echo "| NOTIFYs (deltacast_presence_notifies_total) | $n_join / $SUBJECTS = $(calc "$n_join / $SUBJECTS" 3) | $n_leave / $SUBJECTS = $(calc "$n_leave / $SUBJECTS" 3) |"
echo "| rows written (pg_stat_user_tables, deltacast_presence) | $((t1[0] - t0[0])) inserted + $((t1[1] - t0[1])) updated | $((t1[2] - t0[2])) deleted |"
echo
echo "- Rows held in deltacast_presence for \`lobby:1\` with every subject joined: $rows_held (the subjects and the watcher)."
echo "- RSS of replica 1 / replica 2 (MiB): before $rss_before; all $SUBJECTS joined $rss_joined; after the leaves $rss_after."
echo "- Client errors: $(cat "$WORK/viewers.err" "$WORK/churn.err" | wc -l) lines (viewers and churn stderr)."

#!/usr/bin/env bash
# bench/run.sh: the benchmark. Builds the release binaries, starts a throwaway Postgres and
# (for the side-by-side runs) nchan, runs the scenarios and prints a Markdown report.
#
#   bench/run.sh [--scenarios floor,compression,e,d,a,b,c] [--seconds 20] [--work DIR]
#                [--deltacast PATH] [--encodings identity,chromium,safari,br] [--no-nchan]
#                [--no-replicas]
#
# Encodings of deltacast's runs: identity, gzip, br or zstd send that one name in
# Accept-Encoding; chromium sends "gzip, deflate, br, zstd" and safari "gzip, deflate, br", so
# the server's fanout.compression order picks (the default order: zstd, gzip). --no-nchan skips
# the reference server's runs, --no-replicas the 95,000-connection part of (c).
#
# Pinning (2 cores): the server under test (deltacast, or nchan's one worker) runs on core 0;
# the load clients and the writer on core 1; Postgres on either (pinned to core 1 with the load
# clients, its queueing alone added ~5 ms to (a)'s p99). CPU per delivered event is the server's
# user+sys time (from /proc/PID/stat) over the measured phase divided by the events the load
# clients received; the floor is bench_floor's CPU per loopback write, measured in the same run.
# Needs: root or enough rights for taskset; jq; nginx-light + libnginx-mod-nchan for nchan
# (bench/nchan.sh); scripts/deps.sh's packages. Not part of the test suite: it takes minutes
# and prints numbers, it does not pass or fail on them.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ARGS="$*"
SCENARIOS=floor,compression,e,d,a,b,c
SECONDS_PER_RUN=20
WORK=/tmp/deltacast-bench
DELTACAST=""
ENCODINGS="identity chromium safari br"
NCHAN=1
RUN_REPLICAS=1
while [[ $# -gt 0 ]]; do
    case $1 in
    --encodings) ENCODINGS=${2//,/ }; shift 2 ;;
    --no-nchan) NCHAN=0; shift ;;
    --no-replicas) RUN_REPLICAS=0; shift ;;
    --scenarios) SCENARIOS=$2; shift 2 ;;
    --seconds) SECONDS_PER_RUN=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --deltacast) DELTACAST=$2; shift 2 ;;
    *) echo "usage: $0 [--scenarios LIST] [--seconds N] [--work DIR] [--deltacast PATH] [--encodings LIST] [--no-nchan] [--no-replicas]" >&2; exit 2 ;;
    esac
done

BIN=$ROOT/build/release
DELTACAST=${DELTACAST:-$BIN/deltacast}
SERVER_CORE=0
LOAD_CORE=1
NCHAN_PORT=8090
declare -a CHILDREN=()

log() { echo "bench: $*" >&2; }
cleanup() {
    for pid in "${CHILDREN[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    "$ROOT/bench/nchan.sh" stop "$WORK/nchan" >/dev/null 2>&1 || true
    "$ROOT/scripts/pg-cluster.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# --- helpers ---------------------------------------------------------------------------------

# user+sys CPU seconds of a process (fields 14 and 15 of /proc/PID/stat, in clock ticks).
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
metric() { curl -sf "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
# "busy total" jiffies of one core (/proc/stat), to report how loaded each core was.
core_jiffies() { awk -v c="cpu$1" '$1 == c { busy = $2 + $3 + $4 + $7 + $8; print busy, busy + $5 + $6 }' /proc/stat; }
core_busy_pct() { # before-line after-line -> percent busy
    awk -v b="$1" -v a="$2" 'BEGIN { split(b, x, " "); split(a, y, " "); printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]) }'
}

start_deltacast() { # PORT CORE [extra flags...] -> sets DC_PID
    local port=$1 core=$2
    shift 2
    taskset -c "$core" "$DELTACAST" --config "$ROOT/bench/deltacast-bench.toml" \
        --server.listen="127.0.0.1:$port" --postgres.conninfo="$CONNINFO" "$@" \
        >"$WORK/deltacast-$port.log" 2>&1 &
    DC_PID=$!
    CHILDREN+=("$DC_PID")
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    log "deltacast on port $port did not become ready"; cat "$WORK/deltacast-$port.log" >&2; exit 1
}

stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

start_nchan() { # -> sets NCHAN_WORKER
    "$ROOT/bench/nchan.sh" stop "$WORK/nchan" >/dev/null 2>&1 || true
    local out
    out=$("$ROOT/bench/nchan.sh" start "$WORK/nchan" "$NCHAN_PORT")
    NCHAN_WORKER=$(echo "$out" | awk -F'[= ]' '/worker/ { for (i = 1; i <= NF; i++) if ($i == "worker") print $(i + 1) }')
    [[ -n $NCHAN_WORKER ]] || { log "nchan.sh printed no worker pid: $out"; exit 1; }
    taskset -pc "$SERVER_CORE" "$NCHAN_WORKER" >/dev/null
}

# Starts load clients: PROCS processes sharing CONNS connections. Waits until all are ready.
# Args: name target port conns chats orgs encoding procs [chat_offset_step]
start_load() {
    local name=$1 target=$2 port=$3 conns=$4 chats=$5 orgs=$6 encoding=$7 procs=${8:-1}
    local per=$(((conns + procs - 1) / procs))
    LOAD_PIDS=()
    rm -f "$WORK/$name".*
    local -a accept=(--encoding "$encoding")
    case $encoding in
    chromium) accept=(--accept-encoding "gzip, deflate, br, zstd") ;;
    safari) accept=(--accept-encoding "gzip, deflate, br") ;;
    esac
    for p in $(seq 0 $((procs - 1))); do
        local n=$((conns - p * per < per ? conns - p * per : per))
        taskset -c "$LOAD_CORE" "$BIN/bench/bench_loadgen" --host 127.0.0.1 --port "$port" \
            --target "$target" --connections "$n" --chats "$chats" --orgs "$orgs" \
            "${accept[@]}" --ramp-per-s 3000 --conninfo "$CONNINFO" --sample "${SAMPLE:-1}" \
            --ready-file "$WORK/$name.$p.ready" --stop-file "$WORK/$name.stop" \
            --samples-file "$WORK/$name.$p.samples" --label "$name.$p" \
            >"$WORK/$name.$p.out" 2>&1 &
        LOAD_PIDS+=($!)
        CHILDREN+=($!)
    done
    for p in $(seq 0 $((procs - 1))); do
        for _ in $(seq 1200); do
            [[ -f $WORK/$name.$p.ready ]] && break
            kill -0 "${LOAD_PIDS[$p]}" 2>/dev/null || { cat "$WORK/$name.$p.out" >&2; exit 1; }
            sleep 0.1
        done
    done
}

# Stops the load clients (they wait for in-flight events, check for lost versions, report).
stop_load() {
    local name=$1
    touch "$WORK/$name.stop"
    for pid in "${LOAD_PIDS[@]}"; do wait "$pid" || true; done
}

# The encoding as requested, and the Content-Encoding the server chose when they differ.
chosen() {
    local got
    got=$(cat "$WORK/$1".*.out | sed -n 's/^RESULT //p' |
        jq -rs 'map(.content_encodings | keys[]) | unique | map(if . == "" then "identity" else . end) | join("+")')
    if [[ $got == "$2" || -z $got ]]; then echo "$2"; else echo "$2 → $got"; fi
}

# Sums a RESULT field over a load run's processes.
load_sum() { cat "$WORK/$1".*.out | sed -n 's/^RESULT //p' | jq -s "map(.$2) | add"; }
load_min() { cat "$WORK/$1".*.out | sed -n 's/^RESULT //p' | jq -s "map(.$2) | min"; }
load_max() { cat "$WORK/$1".*.out | sed -n 's/^RESULT //p' | jq -s "map(.$2) | max"; }
latency() { # name -> "p50 p90 p99 p99.9 max count" in ms, merged over the processes
    "$BIN/bench/bench_loadgen" --merge "$WORK/$1".*.samples | sed -n 's/^RESULT //p' |
        jq -r '"\(.lat_p50_ms) \(.lat_p90_ms) \(.lat_p99_ms) \(.lat_p999_ms) \(.lat_max_ms) \(.lat_count)"'
}

writer() { # target duration extra flags... ; prints the RESULT json
    taskset -c "$LOAD_CORE" "$BIN/bench/bench_writer" --conninfo "$CONNINFO" --target "$1" \
        --nchan-url "http://127.0.0.1:$NCHAN_PORT" --duration-s "$2" "${@:3}" | sed -n 's/^RESULT //p'
}
reset_rows() { "$BIN/bench/bench_writer" --conninfo "$CONNINFO" --reset --chats "$1" >/dev/null; }

# Totals a run's load processes printed at the mark (SIGUSR1: `COUNTS {json}`).
mark_sum() { cat "$WORK/$1".*.out | sed -n 's/^COUNTS //p' | jq -s "map(.$2) | add"; }

# One measured run: load clients connected, a 3 s warm-up (encoders and buffers reach their
# steady size), a mark (SIGUSR1: the clients print their totals and restart their latency
# record), then the writer for SECONDS_PER_RUN while the server's CPU is read before and after.
# Args: name target port conns chats orgs encoding server_pid procs -- writer flags...
# Sets RUN_* variables and prints one Markdown table row.
measured_run() {
    local name=$1 target=$2 port=$3 conns=$4 chats=$5 orgs=$6 encoding=$7 server=$8 procs=$9
    shift 10
    local rss_empty
    rss_empty=$(rss_kib "$server")
    start_load "$name" "$target" "$port" "$conns" "$chats" "$orgs" "$encoding" "$procs"
    writer "$target" 3 "$@" >/dev/null
    sleep 1
    for pid in "${LOAD_PIDS[@]}"; do kill -USR1 "$pid"; done
    sleep 0.5
    local cpu_before q_before=0 w_before=0 s_before=0 c0_before c1_before
    cpu_before=$(cpu_of "$server")
    c0_before=$(core_jiffies 0)
    c1_before=$(core_jiffies 1)
    if [[ $target == deltacast ]]; then
        q_before=$(metric "$port" deltacast_queries_total)
        w_before=$(metric "$port" deltacast_windows_total)
        s_before=$(metric "$port" deltacast_signals_total)
    fi
    local w
    w=$(writer "$target" "$SECONDS_PER_RUN" "$@")
    sleep 1
    local cpu_after q_after=0 w_after=0 s_after=0
    cpu_after=$(cpu_of "$server")
    RUN_RSS_PER_CONN=$(calc "($(rss_kib "$server") - $rss_empty) / $conns" 1)
    RUN_CORE0=$(core_busy_pct "$c0_before" "$(core_jiffies 0)")
    RUN_CORE1=$(core_busy_pct "$c1_before" "$(core_jiffies 1)")
    if [[ $target == deltacast ]]; then
        q_after=$(metric "$port" deltacast_queries_total)
        w_after=$(metric "$port" deltacast_windows_total)
        s_after=$(metric "$port" deltacast_signals_total)
    fi
    RUN_QUERIES=$((q_after - q_before))
    RUN_WINDOWS=$((w_after - w_before))
    RUN_SIGNALS=$((s_after - s_before))
    stop_load "$name"
    local events bytes lat
    # With SAMPLE=S only every S-th connection is decoded: events are counted there and scaled.
    events=$(((${SAMPLE:-1}) * ($(load_sum "$name" upserts) + $(load_sum "$name" pokes) - $(mark_sum "$name" upserts) - $(mark_sum "$name" pokes))))
    bytes=$(($(load_sum "$name" wire_bytes) - $(mark_sum "$name" wire_bytes)))
    lat=($(latency "$name"))
    RUN_CPU_US=$(calc "($cpu_after - $cpu_before) * 1e6 / ($events > 0 ? $events : 1)")
    RUN_P99=${lat[2]}
    RUN_EVENTS=$events
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
        "$name" "$target" "$(chosen "$name" "$encoding")" "$(load_sum "$name" established)/$conns" \
        "$events" "${lat[0]}" "${lat[1]}" "${lat[2]}" "${lat[3]}" "${lat[4]}" \
        "$RUN_CPU_US" "$(calc "$bytes / ($events > 0 ? $events : 1)" 1)" \
        "$(calc "($q_after - $q_before) / $SECONDS_PER_RUN" 0)" \
        "$(load_sum "$name" lost_versions) / $(load_sum "$name" resyncs) / $(load_sum "$name" disconnects) / $(load_sum "$name" decode_errors)" \
        "$RUN_CORE0% / $RUN_CORE1%" "$RUN_RSS_PER_CONN"
    echo "$w" >"$WORK/$name.writer.json"
}

# One row of (c): the server's RSS empty, with 19,000 idle connections, then after 5 s in which
# every chat streams a token per second. Args: name target port pid encoding
capacity_row() {
    local name=$1 target=$2 port=$3 pid=$4 enc=$5 before after traffic n
    before=$(rss_kib "$pid")
    start_load "$name" "$target" "$port" 19000 1000 10 "$enc" 1
    sleep 2
    after=$(rss_kib "$pid")
    writer "$target" 5 --chats 1000 --interval-ms 1000 >/dev/null
    sleep 1
    traffic=$(rss_kib "$pid")
    n=$(jq -s 'map(.connected) | add' "$WORK/$name".*.ready)
    echo "| $target | $enc | $n | $(calc "$before / 1024" 1) | $(calc "$after / 1024" 1) | $(calc "($after - $before) / $n" 2) | $(calc "$traffic / 1024" 1) | $(calc "($traffic - $before) / $n" 2) |"
    stop_load "$name"
}

table_head() {
    echo "| run | server | encoding | connected | events | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | server CPU µs/event | wire B/event | DB queries/s | lost / resyncs / disconnects / decode errors | core 0 / core 1 busy | server RSS growth KiB/conn |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
}

# --- setup -----------------------------------------------------------------------------------

mkdir -p "$WORK"
log "building release binaries"
cmake --preset release >/dev/null
cmake --build --preset release -j2 --target deltacast bench_loadgen bench_writer bench_floor \
    bench_compression >/dev/null
"$ROOT/scripts/pg-cluster.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
"$ROOT/scripts/pg-cluster.sh" start "$WORK/pg" >/dev/null
# shellcheck disable=SC1091
source "$WORK/pg/env"
CONNINFO="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE"
psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/bench/schema.sql"

echo "# deltacast benchmark report"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); commit: $(git -C "$ROOT" rev-parse --short HEAD)"
echo "- machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r)"
echo "- command: bench/run.sh $ARGS (scenarios $SCENARIOS, $SECONDS_PER_RUN s per run, encodings: $ENCODINGS)"
echo "- server under test pinned to core $SERVER_CORE; load clients and writer on core $LOAD_CORE; Postgres on either"
echo

has() { [[ ",$SCENARIOS," == *",$1,"* ]]; }

# --- the floor -------------------------------------------------------------------------------
FLOOR_US=""
LIVE_FLOOR_US=""
if has floor; then
    echo "## Floor: one loopback write"
    echo
    f1=$(taskset -c "$SERVER_CORE" "$BIN/bench/bench_floor" --pairs 9000 --bytes 300 | sed -n 's/^RESULT //p')
    f4=$(taskset -c "$SERVER_CORE" "$BIN/bench/bench_floor" --pairs 9000 --bytes 300 --writev-frames 4 | sed -n 's/^RESULT //p')
    fl=$(taskset -c "$SERVER_CORE" "$BIN/bench/bench_floor" --pairs 9000 --bytes 300 --live-reader --reader-core "$LOAD_CORE" | sed -n 's/^RESULT //p')
    FLOOR_US=$(echo "$f1" | jq -r '.cpu_us_per_write')
    LIVE_FLOOR_US=$(echo "$fl" | jq -r '.cpu_us_per_write')
    echo "- \`taskset -c 0 bench_floor --pairs 9000 --bytes 300\`: **$FLOOR_US µs** CPU per 300-byte write (the issue's floor: readers drained between rounds)."
    echo "- with 4 frames per writev: $(echo "$f4" | jq -r '.cpu_us_per_write') µs per write, i.e. per 4 frames."
    echo "- \`--live-reader\` (a reader blocked in epoll_wait on core $LOAD_CORE, as a load client is): **$LIVE_FLOOR_US µs** per write: each write also wakes the reader."
    echo
fi

# --- compression memory ----------------------------------------------------------------------
if has compression; then
    echo "## Compressor settings: memory, bytes and CPU per connection"
    echo
    echo '```'
    "$BIN/bench/bench_compression" | grep -v '^RESULT'
    echo '```'
    echo
fi

# --- (e) an isolated write -------------------------------------------------------------------
if has e; then
    echo "## (e) An isolated write"
    echo
    echo "10 viewers of one chat; one token every 500 ms, nothing else happening."
    echo
    table_head
    reset_rows 1
    for enc in $ENCODINGS; do
        start_deltacast 8081 "$SERVER_CORE"
        measured_run "e-$enc" deltacast 8081 10 1 0 "$enc" "$DC_PID" 1 -- --chats 1 --interval-ms 500
        stop_pid "$DC_PID"
    done
    echo
fi

# --- (d) queries per window as viewers grow --------------------------------------------------
if has d; then
    echo "## (d) Queries per window as the viewers of one topic grow"
    echo
    echo "One chat streaming 20 tokens/s (one signal per token); viewers 1 → 10,000."
    echo
    echo "| viewers | signals | windows | queries | queries/s | queries per window | p99 ms | server core busy |"
    echo "|---|---|---|---|---|---|---|---|"
    reset_rows 1
    start_deltacast 8081 "$SERVER_CORE"
    for viewers in 1 10 100 1000 10000; do
        measured_run "d$viewers" deltacast 8081 "$viewers" 1 0 identity "$DC_PID" 1 -- \
            --chats 1 --interval-ms 50 >/dev/null
        echo "| $viewers | $RUN_SIGNALS | $RUN_WINDOWS | $RUN_QUERIES | $(calc "$RUN_QUERIES / $SECONDS_PER_RUN" 1) | $(calc "$RUN_QUERIES / ($RUN_WINDOWS > 0 ? $RUN_WINDOWS : 1)" 3) | $RUN_P99 | $RUN_CORE0% |"
    done
    stop_pid "$DC_PID"
    echo
fi

# --- (a) 10k connections over 1k chats --------------------------------------------------------
if has a; then
    echo "## (a) 10,000 connections over 1,000 chats, 100 chats streaming at 20 tokens/s"
    echo
    echo "Each connection watches one chat (10 viewers each) and one of 10 orgs; each org is poked every 2 s"
    echo "(the orgs staggered). The load client decodes every 10th connection (all viewers of 100 chats,"
    echo "10 of them streaming, and all of org 1): latency comes from those; events are scaled by 10."
    echo
    table_head
    reset_rows 1000
    for enc in $ENCODINGS; do
        start_deltacast 8081 "$SERVER_CORE"
        SAMPLE=10 measured_run "a-deltacast-$enc" deltacast 8081 10000 1000 10 "$enc" "$DC_PID" 1 -- \
            --chats 1000 --streaming 100 --interval-ms 50 --orgs 10 --poke-ms 2000
        eval "A_DC_$enc=$RUN_CPU_US A_DC_P99_$enc=$RUN_P99"
        stop_pid "$DC_PID"
    done
    if [[ $NCHAN == 1 ]]; then
        start_nchan
        SAMPLE=10 measured_run a-nchan-identity nchan "$NCHAN_PORT" 10000 1000 10 identity "$NCHAN_WORKER" 1 -- \
            --chats 1000 --streaming 100 --interval-ms 50 --orgs 10 --poke-ms 2000
        "$ROOT/bench/nchan.sh" stop "$WORK/nchan" >/dev/null
        echo
        echo "deltacast/nchan (identity; nchan cannot compress SSE): CPU per event $(calc "$A_DC_identity / $RUN_CPU_US")×, p99 $(calc "$A_DC_P99_identity / $RUN_P99")×."
    fi
    echo
fi

# --- (b) one hot chat, 10k viewers -----------------------------------------------------------
if has b; then
    echo "## (b) One hot chat with 10,000 viewers"
    echo
    echo "One chat streaming 5 tokens/s: 50,000 deliveries/s. Server pinned to one core."
    echo
    table_head
    reset_rows 1
    for enc in $ENCODINGS; do
        start_deltacast 8081 "$SERVER_CORE"
        measured_run "b-deltacast-$enc" deltacast 8081 10000 1 0 "$enc" "$DC_PID" 1 -- \
            --chats 1 --interval-ms 200
        eval "B_DC_$enc=$RUN_CPU_US B_DC_P99_$enc=$RUN_P99"
        stop_pid "$DC_PID"
    done
    if [[ $NCHAN == 1 ]]; then
        start_nchan
        for enc in identity gzip; do
            measured_run "b-nchan-$enc" nchan "$NCHAN_PORT" 10000 1 0 "$enc" "$NCHAN_WORKER" 1 -- \
                --chats 1 --interval-ms 200
            eval "B_NC_$enc=$RUN_CPU_US B_NC_P99_$enc=$RUN_P99"
        done
        "$ROOT/bench/nchan.sh" stop "$WORK/nchan" >/dev/null
    fi
    echo
    if [[ -n $FLOOR_US ]]; then
        for base in "the floor:$FLOOR_US" "the live-reader floor:$LIVE_FLOOR_US"; do
            line="CPU per event against ${base%%:*} (${base##*:} µs): deltacast"
            for enc in $ENCODINGS; do
                v=B_DC_$enc
                line+=" $enc $(calc "${!v} / ${base##*:}")×,"
            done
            [[ $NCHAN == 1 ]] && line+=" nchan identity $(calc "$B_NC_identity / ${base##*:}")×"
            echo "${line%,}."
        done
    fi
    if [[ $NCHAN == 1 ]]; then
        echo "deltacast/nchan (identity): CPU per event $(calc "$B_DC_identity / $B_NC_identity")×, p99 $(calc "$B_DC_P99_identity / $B_NC_P99_identity")×."
    fi
    echo
fi

# --- (c) capacity ----------------------------------------------------------------------------
if has c; then
    echo "## (c) Capacity: idle connections and memory"
    echo
    echo "19,000 connections on one process (1,000 chats, 10 orgs). RSS when they are connected and idle,"
    echo "then again after 5 s in which every chat streams a token per second."
    echo
    echo "| server | encoding | connections | RSS empty MiB | RSS idle MiB | KiB per idle connection | RSS after tokens MiB | KiB per connection after tokens |"
    echo "|---|---|---|---|---|---|---|---|"
    reset_rows 1000
    for enc in $ENCODINGS; do
        start_deltacast 8081 "$SERVER_CORE"
        capacity_row "c-$enc" deltacast 8081 "$DC_PID" "$enc"
        stop_pid "$DC_PID"
    done
    if [[ $NCHAN == 1 ]]; then
        start_nchan
        capacity_row c-nchan nchan "$NCHAN_PORT" "$NCHAN_WORKER" identity
        "$ROOT/bench/nchan.sh" stop "$WORK/nchan" >/dev/null
    fi
    echo
    if [[ $RUN_REPLICAS == 1 ]]; then
        echo "### Five replicas on one Postgres, 95,000 connections"
        echo
        echo "Replicas on ports 8081-8085 (not pinned), one load process of 19,000 connections each."
        echo "Every one of the 1,000 chats streams one token every 5 s for ${SECONDS_PER_RUN} s; 10 orgs are poked every 5 s."
        echo
        declare -a REPLICAS=()
        for i in 1 2 3 4 5; do
            start_deltacast $((8080 + i)) 0-1
            REPLICAS+=("$DC_PID")
        done
        for i in 1 2 3 4 5; do
            taskset -c 0-1 true
            LOAD_CORE=0-1 start_load "c5-$i" deltacast $((8080 + i)) 19000 1000 10 identity 1
            eval "C5_PIDS_$i=\"${LOAD_PIDS[*]}\""
        done
        total_rss=0
        for pid in "${REPLICAS[@]}"; do total_rss=$((total_rss + $(rss_kib "$pid"))); done
        w=$(writer deltacast "$SECONDS_PER_RUN" --chats 1000 --interval-ms 5000 --orgs 10 --poke-ms 5000)
        sleep 2
        echo "| replica | connected | min events per connection | lost versions | resyncs | disconnects | p99 ms |"
        echo "|---|---|---|---|---|---|---|"
        for i in 1 2 3 4 5; do
            eval "LOAD_PIDS=(\$C5_PIDS_$i)"
            stop_load "c5-$i"
            lat=($(latency "c5-$i"))
            echo "| $i | $(load_sum "c5-$i" established) | $(load_min "c5-$i" upserts_per_conn_min) | $(load_sum "c5-$i" lost_versions) | $(load_sum "c5-$i" resyncs) | $(load_sum "c5-$i" disconnects) | ${lat[2]} |"
        done
        echo
        echo "Writer: $w"
        echo "Total RSS of the 5 replicas with 95k connections: $(calc "$total_rss / 1024" 0) MiB."
        for pid in "${REPLICAS[@]}"; do stop_pid "$pid"; done
        echo
    fi
fi

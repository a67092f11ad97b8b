#!/usr/bin/env bash
# bench/profile.sh: scenario (b) - one hot chat, 10,000 viewers, 5 tokens/s - under
# `perf record` (cpu-clock sampling with call graphs: these VMs have no hardware counters), to
# see where the server's CPU goes. Prints CPU per delivered event and the top symbols.
#
#   bench/profile.sh [--deltacast PATH] [--encoding identity|gzip|br] [--seconds 10]
#                    [-- extra deltacast flags, e.g. --fanout.brotli_quality=4]
#
# The server is pinned to core 0, everything else to core 1; a 4 s warm-up runs before the
# profiled phase. perf.data stays in the work directory (/tmp/deltacast-profile) for
# `perf report -i /tmp/deltacast-profile/perf.data`.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/build/release
DELTACAST=$BIN/deltacast
ENCODING=identity
SECONDS_PROFILED=10
WORK=/tmp/deltacast-profile
while [[ $# -gt 0 ]]; do
    case $1 in
    --deltacast) DELTACAST=$2; shift 2 ;;
    --encoding) ENCODING=$2; shift 2 ;;
    --seconds) SECONDS_PROFILED=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [--deltacast PATH] [--encoding E] [--seconds N] [-- deltacast flags]" >&2; exit 2 ;;
    esac
done

mkdir -p "$WORK"
rm -f "$WORK"/load.ready "$WORK"/load.stop
declare -a PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    "$ROOT/scripts/pg-cluster.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$ROOT/scripts/pg-cluster.sh" start "$WORK/pg" >/dev/null
# shellcheck disable=SC1091
source "$WORK/pg/env"
CONNINFO="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE"
psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/bench/schema.sql"
"$BIN/bench/bench_writer" --conninfo "$CONNINFO" --reset --chats 1 >/dev/null

taskset -c 0 "$DELTACAST" --config "$ROOT/bench/deltacast-bench.toml" \
    --server.listen=127.0.0.1:8099 --postgres.conninfo="$CONNINFO" "$@" >"$WORK/deltacast.log" 2>&1 &
SERVER=$!
PIDS+=("$SERVER")
for _ in $(seq 100); do curl -sf http://127.0.0.1:8099/readyz >/dev/null && break; sleep 0.1; done

taskset -c 1 "$BIN/bench/bench_loadgen" --port 8099 --connections 10000 --chats 1 \
    --encoding "$ENCODING" --ready-file "$WORK/load.ready" --stop-file "$WORK/load.stop" \
    --conninfo "$CONNINFO" >"$WORK/load.out" 2>&1 &
LOAD=$!
PIDS+=("$LOAD")
while [[ ! -f $WORK/load.ready ]]; do sleep 0.2; done

write() { taskset -c 1 "$BIN/bench/bench_writer" --conninfo "$CONNINFO" --chats 1 --interval-ms 200 --duration-s "$1" | sed -n 's/^RESULT //p'; }
write 4 >/dev/null
kill -USR1 "$LOAD"
sleep 0.5
perf record -e cpu-clock -g -p "$SERVER" -o "$WORK/perf.data" -- sleep "$SECONDS_PROFILED" >/dev/null 2>&1 &
PERF=$!
ticks_before=$(awk '{ print $14 + $15 }' "/proc/$SERVER/stat")
write "$SECONDS_PROFILED" >/dev/null
wait "$PERF" || true
ticks_after=$(awk '{ print $14 + $15 }' "/proc/$SERVER/stat")
touch "$WORK/load.stop"
wait "$LOAD" || true

result=$(sed -n 's/^RESULT //p' "$WORK/load.out")
mark=$(sed -n 's/^COUNTS //p' "$WORK/load.out")
events=$(($(echo "$result" | jq '.upserts') - $(echo "$mark" | jq '.upserts')))
echo "encoding=$ENCODING events=$events server_cpu_s=$(awk -v t=$((ticks_after - ticks_before)) -v hz="$(getconf CLK_TCK)" 'BEGIN { print t / hz }')" \
    "cpu_us_per_event=$(awk -v t=$((ticks_after - ticks_before)) -v hz="$(getconf CLK_TCK)" -v e="$events" 'BEGIN { printf "%.2f", t / hz * 1e6 / e }')"
echo "$result" | jq -c '{lat_p50_ms, lat_p99_ms, lost_versions, coalesced}'
echo "--- CPU by object (perf report --sort dso)"
perf report -i "$WORK/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -6
echo "--- top symbols"
perf report -i "$WORK/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -20

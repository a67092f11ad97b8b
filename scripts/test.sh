#!/usr/bin/env bash
# test.sh: builds a preset and runs every test against a throwaway PostgreSQL 15.
#
#   scripts/test.sh [--preset dev|asan|release]     (default: asan)
#
# Steps: cmake configure + build; start a cluster in a temp dir (stopped on exit); load
# sql/deltacast.sql and sql/example_chat.sql; run ctest (labels unit and pg) with the
# cluster's PG* variables; then the web client when web-client/ exists: npm ci, npm test
# (vitest unit tests) and npm run e2e (headless chromium against this preset's deltacast and
# deltacast-agent, the demo server and the same cluster).
# With the asan preset (the default, what CI runs) two more steps follow the ctest step: the
# integration tests again under ThreadSanitizer (preset tsan; they run the server's threads
# against real sockets and Postgres), and each libFuzzer target for a bounded time
# (scripts/fuzz.sh, clang; DELTACAST_FUZZ_SECONDS per target, default 30).
# The test binaries see PGHOST=127.0.0.1 PGPORT=<random> PGUSER=deltacast
# PGDATABASE=deltacast_test, DELTACAST_SOURCE_DIR (the repo) and DELTACAST_BINARY_DIR
# (build/<preset>); DATABASE_URL is unset so that it cannot point them elsewhere.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo"

preset=asan
while [[ $# -gt 0 ]]; do
    case $1 in
        --preset) [[ $# -ge 2 ]] || { echo "test.sh: --preset needs a value" >&2; exit 2; }
                  preset=$2; shift 2 ;;
        --preset=*) preset=${1#--preset=}; shift ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "test.sh: unknown argument $1 (usage: $0 [--preset dev|asan|release])" >&2
           exit 2 ;;
    esac
done
case $preset in
    dev|asan|release) ;;
    *) echo "test.sh: unknown preset '$preset' (dev, asan or release)" >&2; exit 2 ;;
esac

step=setup
pg_dir=
started=$SECONDS

on_exit() {
    local rc=$?
    if [[ -n $pg_dir ]]; then
        if [[ $rc -ne 0 && -f $pg_dir/postgres.log ]]; then
            echo "test.sh: last lines of the PostgreSQL log:" >&2
            tail -n 20 "$pg_dir/postgres.log" >&2 || true
        fi
        scripts/pg-cluster.sh stop "$pg_dir" 2>/dev/null || true
        rm -rf "$pg_dir"
    fi
    if [[ $rc -ne 0 ]]; then
        echo "test.sh: FAILED during '$step' (preset $preset, exit $rc)" >&2
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

log() { echo "==> test.sh: $*"; }

step="configure ($preset)"
log "$step"
cmake --preset "$preset"

step="build ($preset)"
log "$step"
cmake --build --preset "$preset"

step="start PostgreSQL"
log "$step"
pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/deltacast-test.XXXXXX")
scripts/pg-cluster.sh start "$pg_dir"
# shellcheck source=/dev/null
source "$pg_dir/env"
unset DATABASE_URL
export DELTACAST_SOURCE_DIR=$repo
export DELTACAST_BINARY_DIR=$repo/build/$preset
export DELTACAST_TEST_PG_DIR=$pg_dir

step="load SQL"
log "$step"
PGOPTIONS='-c client_min_messages=warning' \
    psql -X -q -v ON_ERROR_STOP=1 -f sql/deltacast.sql -f sql/example_chat.sql

step="ctest ($preset)"
log "$step (PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER PGDATABASE=$PGDATABASE)"
ctest_log=$pg_dir/ctest.log
ctest_rc=0
ctest --preset "$preset" --output-on-failure --no-tests=error -j "$(nproc)" 2>&1 |
    tee "$ctest_log" || ctest_rc=${PIPESTATUS[0]}
# "100% tests passed, 0 tests failed out of 57"
read -r ctest_failed ctest_total < <(sed -nE \
    's/.*tests passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1 \2/p' "$ctest_log" | tail -n 1) ||
    true
ctest_failed=${ctest_failed:-0}
ctest_total=${ctest_total:-0}
if [[ $ctest_rc -ne 0 ]]; then
    echo "summary: $((ctest_total - ctest_failed)) passed, $ctest_failed failed"
    exit "$ctest_rc"
fi

passed=$((ctest_total - ctest_failed))
failed=$ctest_failed

# Adds a gtest binary's "[  PASSED  ] N tests." / "[  FAILED  ] N tests," counts to the totals.
count_gtest() {
    local n
    n=$(sed -nE 's/^\[  PASSED  \] ([0-9]+) tests?\..*/\1/p' "$1" | tail -n 1)
    passed=$((passed + ${n:-0}))
    n=$(sed -nE 's/^\[  FAILED  \] ([0-9]+) tests?, listed below.*/\1/p' "$1" | tail -n 1)
    failed=$((failed + ${n:-0}))
}

if [[ $preset == asan ]]; then
    step="build (tsan)"
    log "$step"
    cmake --preset tsan >/dev/null
    cmake --build --preset tsan --target pg_tests deltacast
    step="integration tests under ThreadSanitizer"
    log "$step"
    tsan_log=$pg_dir/tsan.log
    tsan_rc=0
    DELTACAST_BINARY_DIR=$repo/build/tsan TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
        build/tsan/tests/pg_tests >"$tsan_log" 2>&1 || tsan_rc=$?
    grep -E '^\[ +(OK|FAILED) +\]' "$tsan_log" || true
    count_gtest "$tsan_log"
    if [[ $tsan_rc -ne 0 ]]; then
        if grep -q 'WARNING: ThreadSanitizer' "$tsan_log"; then
            grep -A60 'WARNING: ThreadSanitizer' "$tsan_log" | head -n 150 >&2
        else
            grep -B2 -A12 'Failure$' "$tsan_log" | head -n 150 >&2 || tail -n 60 "$tsan_log" >&2
        fi
        [[ $failed -gt 0 ]] || failed=1  # halted by a report: no gtest summary line
        echo "summary: $passed passed, $failed failed"
        exit "$tsan_rc"
    fi

    step="fuzz (scripts/fuzz.sh)"
    log "$step"
    fuzz_log=$pg_dir/fuzz.log
    fuzz_rc=0
    scripts/fuzz.sh --seconds "${DELTACAST_FUZZ_SECONDS:-30}" 2>&1 | tee "$fuzz_log" ||
        fuzz_rc=${PIPESTATUS[0]}
    passed=$((passed + $(grep -c '^fuzz: .* ok ' "$fuzz_log" || true)))
    failed=$((failed + $(grep -c '^fuzz: .* FAILED ' "$fuzz_log" || true)))
    if [[ $fuzz_rc -ne 0 ]]; then
        [[ $failed -gt 0 ]] || failed=1
        echo "summary: $passed passed, $failed failed"
        exit "$fuzz_rc"
    fi
fi

# Runs one vitest command in web-client/ and adds its counts ("Tests  3 failed | 41 passed
# (44)") to the totals; returns the command's status.
run_vitest() {
    local out=$pg_dir/vitest.log rc=0 line n
    (cd web-client && "$@") 2>&1 | tee "$out" || rc=${PIPESTATUS[0]}
    line=$(sed -E 's/\x1b\[[0-9;]*m//g' "$out" | grep -E '^ *Tests +[0-9]' | tail -n 1) || true
    n=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+') || n=0
    passed=$((passed + n))
    n=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+') || n=0
    failed=$((failed + n))
    if [[ $rc -ne 0 && -z $line ]]; then failed=$((failed + 1)); fi
    return "$rc"
}

on_web_failure() {
    echo "summary: $passed passed, $failed failed"
    exit 1
}

web=skipped
if [[ -f web-client/package.json ]]; then
    step="web-client npm ci"
    log "$step (node $(node --version), npm $(npm --version))"
    (cd web-client && npm ci --no-audit --no-fund)
    step="web-client unit tests (npm test)"
    log "$step"
    run_vitest npm test || on_web_failure
    step="web-client browser tests (npm run e2e)"
    log "$step"
    run_vitest npm run e2e || on_web_failure
    web=passed
fi

log "preset=$preset ctest=$((ctest_total - ctest_failed))/$ctest_total web-client=$web" \
    "time=$((SECONDS - started))s"
echo "summary: $passed passed, $failed failed"

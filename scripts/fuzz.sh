#!/usr/bin/env bash
# fuzz.sh: builds the `fuzz` preset (clang++, libFuzzer, ASan + UBSan) and runs every fuzz
# target for a bounded time on a throwaway copy of its seed corpus (fuzz/corpus/<target>/, plus
# fuzz/<target>.dict when present). Generated inputs never land in the repository.
#
#   scripts/fuzz.sh [--seconds N] [--target NAME]...   (default: 60 s each, every target)
#
# Prints one summary line per target (runs, exec/s) and exits non-zero when a target crashes,
# leaks, hangs or does not build; the failing target's log and crash input are kept in the
# printed temp dir. Needs clang and libclang-rt-14-dev (scripts/deps.sh installs them).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo"

seconds=60
targets=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --seconds) [[ $# -ge 2 ]] || { echo "fuzz.sh: --seconds needs a value" >&2; exit 2; }
                   seconds=$2; shift 2 ;;
        --seconds=*) seconds=${1#--seconds=}; shift ;;
        --target) [[ $# -ge 2 ]] || { echo "fuzz.sh: --target needs a value" >&2; exit 2; }
                  targets+=("$2"); shift 2 ;;
        --target=*) targets+=("${1#--target=}"); shift ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "fuzz.sh: unknown argument $1 (usage: $0 [--seconds N] [--target NAME]...)" >&2
           exit 2 ;;
    esac
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --seconds must be a positive integer" >&2
                                      exit 2; }
if [[ ${#targets[@]} -eq 0 ]]; then
    for dir in fuzz/corpus/*/; do
        targets+=("$(basename "$dir")")
    done
fi

echo "==> fuzz.sh: configure + build (preset fuzz)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

work=$(mktemp -d "${TMPDIR:-/tmp}/deltacast-fuzz.XXXXXX")
keep=0
cleanup() { if [[ $keep -eq 0 ]]; then rm -rf "$work"; fi; }
trap cleanup EXIT

failed=0
for target in "${targets[@]}"; do
    bin=build/fuzz/fuzz/$target
    [[ -x $bin && -d fuzz/corpus/$target ]] || { echo "fuzz.sh: no target $target" >&2; exit 2; }
    mkdir -p "$work/$target/corpus"
    cp fuzz/corpus/"$target"/* "$work/$target/corpus/"
    args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
          -artifact_prefix="$work/$target/")
    if [[ -f fuzz/$target.dict ]]; then
        args+=(-dict="fuzz/$target.dict")
    fi
    log=$work/$target/fuzz.log
    echo "==> fuzz.sh: $target for ${seconds}s"
    rc=0
    "$bin" "${args[@]}" "$work/$target/corpus" >"$log" 2>&1 || rc=$?
    runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n 1)
    rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$log" | tail -n 1)
    if [[ $rc -eq 0 ]]; then
        echo "fuzz: $target ok runs=${runs:-?} exec/s=${rate:-?}"
    else
        failed=$((failed + 1))
        keep=1
        echo "fuzz: $target FAILED (exit $rc) runs=${runs:-?} exec/s=${rate:-?} log=$log"
        grep -E 'ERROR|FUZZ_CHECK|SUMMARY|Test unit written|what\(\)' "$log" | head -n 20 >&2 || true
    fi
done
if [[ $failed -ne 0 ]]; then
    echo "fuzz.sh: $failed target(s) failed; inputs and logs kept in $work" >&2
    exit 1
fi

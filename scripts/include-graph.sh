#!/usr/bin/env bash
# include-graph.sh: the folder-level include graph of src/ ("a -> b": a file in src/a includes
# a header of src/b), then a check that it has no cycle and that every edge goes down the
# allowed order written in the README's architecture paragraph:
#
#   util, config, auth, wire, pg, topics, listen, delta, sse, rooms, streams, app
#
# a folder may include only folders listed before it. Exits 1 on a cycle or a forbidden edge.
#
#   scripts/include-graph.sh [REPO]      (default: this checkout; e.g. a worktree of an old commit)
set -euo pipefail

repo=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)}
order=(util config auth wire pg topics listen delta sse rooms streams app)

rank() {
    local i
    for i in "${!order[@]}"; do
        [[ ${order[$i]} == "$1" ]] && { echo "$i"; return; }
    done
    echo -1
}

edges=$(cd "$repo/src" &&
    grep -rHoE '^#include "[a-z_]+/' --include='*.hpp' --include='*.cpp' . |
    sed -E 's#^\./([a-z_]+)/[^:]*:\#include "([a-z_]+)/#\1 \2#' |
    awk '$1 != $2' | sort -u)

echo "folder-level includes under src/ (a -> b: a includes b):"
while read -r from; do
    echo "  $from -> $(awk -v f="$from" '$1 == f { printf "%s ", $2 }' <<<"$edges")"
done < <(awk '{ print $1 }' <<<"$edges" | sort -u)

status=0
if ! cycle=$(tsort <<<"$edges" 2>&1 >/dev/null) || [[ -n $cycle ]]; then
    echo "CYCLE: $cycle"
    status=1
fi
while read -r from to; do
    [[ -z $from ]] && continue
    if (($(rank "$from") < 0 || $(rank "$to") < 0)); then
        echo "UNKNOWN FOLDER in edge $from -> $to (add it to the order in $0 and the README)"
        status=1
    elif (($(rank "$to") >= $(rank "$from"))); then
        echo "FORBIDDEN: $from -> $to (allowed order: ${order[*]})"
        status=1
    fi
done <<<"$edges"
if ((status == 0)); then
    echo "no cycle; every include goes down the order: ${order[*]}"
fi
exit "$status"

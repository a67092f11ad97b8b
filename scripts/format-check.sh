#!/usr/bin/env bash
# format-check.sh: every .cpp/.hpp under src/ is as clang-format (.clang-format) writes it.
# Exits 1 and names the files that drift; fix them with
#   git ls-files 'src/*.cpp' 'src/*.hpp' | xargs clang-format -i
#
#   scripts/format-check.sh [REPO]      (default: this checkout)
set -euo pipefail

repo=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)}
command -v clang-format >/dev/null || { echo "format-check: clang-format not found (scripts/deps.sh installs it)" >&2; exit 1; }

drift=()
while IFS= read -r -d '' file; do
    if ! clang-format --style=file --dry-run --Werror "$file" >/dev/null 2>&1; then
        drift+=("${file#"$repo"/}")
    fi
done < <(find "$repo/src" -type f \( -name '*.cpp' -o -name '*.hpp' \) -print0 | sort -z)

if ((${#drift[@]})); then
    echo "format-check: ${#drift[@]} file(s) differ from clang-format:" >&2
    printf '  %s\n' "${drift[@]}" >&2
    exit 1
fi
echo "format-check: src/ is clang-format clean ($(clang-format --version))"

#!/usr/bin/env bash
# deps.sh: installs every Debian 12 package that the build, the tests, the fuzzers (clang,
# libFuzzer) and the demo need.
#
#   scripts/deps.sh           apt-get update + install (uses sudo when not root)
#   scripts/deps.sh --check   prints the missing packages; exit 1 when any is missing
#   scripts/deps.sh --list    prints the package list
set -euo pipefail

PACKAGES=(
    build-essential cmake ninja-build pkg-config git ca-certificates
    libboost-dev libpq-dev libbrotli-dev zlib1g-dev libzstd-dev nlohmann-json3-dev libspdlog-dev
    libtoml11-dev libcpp-httplib-dev libgtest-dev libgmock-dev libssl-dev
    postgresql-15 postgresql-client-15 curl
    clang libclang-rt-14-dev clang-format
    chromium nodejs nginx-light
)
# The web client needs Node >= 20.19 with npm. These machines run NodeSource's nodejs 20,
# which bundles npm and conflicts with Debian's npm package (apt would refuse, or replace
# Node 20 by Debian's 18): ask for Debian's npm only where no npm is installed at all.
if ! command -v npm >/dev/null 2>&1; then
    PACKAGES+=(npm)
fi

missing_packages() {
    local pkg
    for pkg in "${PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            echo "$pkg"
        fi
    done
}

case ${1:-install} in
    --list)
        printf '%s\n' "${PACKAGES[@]}"
        ;;
    --check)
        command -v dpkg-query >/dev/null || { echo "deps: not a Debian system; cannot check" >&2; exit 1; }
        missing=$(missing_packages | tr '\n' ' ')
        if [[ -n $missing ]]; then
            echo "deps: missing Debian packages: $missing" >&2
            echo "deps: install them with scripts/deps.sh" >&2
            exit 1
        fi
        ;;
    install)
        sudo=()
        if [[ $EUID -ne 0 ]]; then
            command -v sudo >/dev/null || { echo "deps: run as root or install sudo" >&2; exit 1; }
            sudo=(sudo)
        fi
        export DEBIAN_FRONTEND=noninteractive
        echo "deps: apt-get update" >&2
        "${sudo[@]}" apt-get update -q
        echo "deps: apt-get install ${PACKAGES[*]}" >&2
        "${sudo[@]}" apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
        ;;
    *)
        echo "usage: $0 [--check | --list]" >&2
        exit 2
        ;;
esac

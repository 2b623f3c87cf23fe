#!/bin/bash
# deps.sh: makes sure the Debian packages a job needs are installed.
# As root it installs what is missing (apt-get); otherwise it names exactly
# what is missing and how to install it, and fails.
#   scripts/deps.sh build|test|demo|browser|bench
set -euo pipefail

job=${1:-build}
pkgs=(build-essential cmake pkg-config libpcre2-dev libutf8proc-dev libjansson-dev
      libevent-dev libcurl4-openssl-dev libsqlite3-dev libsodium-dev libssl-dev libsystemd-dev
      python3 sqlite3 curl)
case "$job" in
build) ;;
demo) ;;
test) pkgs+=(clang libclang-rt-14-dev systemd man-db) ;;
browser) pkgs+=(chromium nodejs) ;;
# the benchmarks' fake platform runs on PyPy: its CPU is not the daemon's
bench) pkgs+=(pypy3) ;;
*) echo "usage: $0 build|test|demo|browser|bench" >&2; exit 64 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing+=("$p")
	fi
done
# nodejs may come from another repository that also ships npm in it
if [[ "$job" == browser ]] && ! command -v npm >/dev/null 2>&1; then
	missing+=(npm)
fi
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
	echo "missing Debian packages: ${missing[*]}" >&2
	echo "install them as root: apt-get update && apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

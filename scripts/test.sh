#!/bin/bash
# test.sh: builds and runs every test, the way CI does.
#   1. a normal build with -Wall -Wextra -Werror, full ctest suite
#   2. the same suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   3. every libFuzzer harness for a bounded time (NQ_FUZZ_SECONDS, default 20)
#   4. the systemd unit's exposure (systemd-analyze security --offline)
# The last line is "N passed, M failed" over all of these.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/deps.sh test || exit 1
jobs=$(nproc)
fuzz_seconds=${NQ_FUZZ_SECONDS:-20}
passed=0
failed=0
failures=()

count_ctest() {	# $1 = label, $2 = ctest log
	local p f
	p=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* +Passed' "$2" || true)
	f=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*(\*\*\*|Failed|Not Run|Timeout)' "$2" || true)
	passed=$((passed + p))
	failed=$((failed + f))
	[[ $f -gt 0 ]] && failures+=("$1: $f failed")
	return 0
}

run_suite() {	# $1 = label, $2 = build dir, rest = cmake options
	local label=$1 dir=$2
	shift 2
	echo "=== $label: configure and build ($dir)"
	if ! cmake -S . -B "$dir" -DNQ_WERROR=ON "$@" >"$dir.configure.log" 2>&1 ||
	   ! cmake --build "$dir" -j"$jobs" >"$dir.build.log" 2>&1; then
		cat "$dir.configure.log" "$dir.build.log" 2>/dev/null | tail -n 60
		failed=$((failed + 1))
		failures+=("$label: build failed")
		return
	fi
	echo "=== $label: ctest"
	ctest --test-dir "$dir" --output-on-failure -j2 --timeout 1200 2>&1 | tee "$dir.ctest.log"
	count_ctest "$label" "$dir.ctest.log"
}

mkdir -p build build-asan
run_suite "release" build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite "asan+ubsan" build-asan -DCMAKE_BUILD_TYPE=Debug -DNQ_SANITIZE=ON

echo "=== fuzzers: ${fuzz_seconds}s each under ASan + UBSan"
mkdir -p build-fuzz
if CC=clang cmake -S . -B build-fuzz -DNQ_FUZZ=ON -DNQ_SANITIZE=ON -DNQ_WERROR=ON \
	-DCMAKE_BUILD_TYPE=Debug >build-fuzz.configure.log 2>&1 &&
   cmake --build build-fuzz -j"$jobs" >build-fuzz.build.log 2>&1; then
	for fz in build-fuzz/tests/fuzz_*; do
		[[ -x "$fz" ]] || continue
		name=$(basename "$fz")
		corpus="$root/tests/fuzz/corpus/${name#fuzz_}"
		work=$(mktemp -d)
		[[ -d "$corpus" ]] && cp -r "$corpus"/. "$work"/ 2>/dev/null
		if "$fz" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -timeout=10 \
			-artifact_prefix="build-fuzz/$name-" "$work" >"build-fuzz/$name.log" 2>&1; then
			echo "fuzz $name: ok ($(grep -Eo 'Done [0-9]+ runs' "build-fuzz/$name.log" | head -1))"
			passed=$((passed + 1))
		else
			echo "fuzz $name: FAILED"; tail -40 "build-fuzz/$name.log"
			failed=$((failed + 1)); failures+=("fuzz $name")
		fi
		rm -rf "$work"
	done
else
	tail -n 60 build-fuzz.configure.log build-fuzz.build.log
	failed=$((failed + 1)); failures+=("fuzz build failed")
fi

if [[ -f systemd/netiquetted.service ]] && command -v systemd-analyze >/dev/null; then
	echo "=== systemd-analyze security --offline=true"
	out=$(systemd-analyze security --offline=true systemd/netiquetted.service 2>&1)
	echo "$out" | tail -3
	score=$(echo "$out" | grep -Eo 'Overall exposure level for netiquetted.service: [0-9.]+' | grep -Eo '[0-9.]+$')
	if [[ -n "$score" ]] && awk -v s="$score" 'BEGIN{exit !(s <= 1.5)}'; then
		passed=$((passed + 1))
	else
		echo "exposure ${score:-unknown} > 1.5"; failed=$((failed + 1)); failures+=("systemd exposure")
	fi
fi

for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

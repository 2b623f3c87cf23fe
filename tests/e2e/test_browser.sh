#!/bin/bash
# test_browser.sh: the web UI in a real browser (tests/browser/*.test.mjs):
# headless Debian chromium driven by playwright-core, against netiquetted
# and the fake Mastodon server.  As root it installs what is missing
# (scripts/deps.sh browser: chromium, nodejs; npm ci for playwright-core);
# otherwise it says what is missing and fails.
set -euo pipefail

SRC=${NQ_SOURCE_DIR:?NQ_SOURCE_DIR not set}
BUILD=${NQ_BUILD_DIR:?NQ_BUILD_DIR not set}
CHROMIUM=${NQ_CHROMIUM:-/usr/bin/chromium}
DIR=$SRC/tests/browser

if [[ ! -x $CHROMIUM ]] || ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	if ! bash "$SRC/scripts/deps.sh" browser; then
		echo "test_browser: chromium and nodejs are needed: run scripts/deps.sh browser as root" >&2
		exit 1
	fi
fi
if [[ ! -x $CHROMIUM ]]; then
	echo "test_browser: $CHROMIUM is missing (Debian package chromium; scripts/deps.sh browser)" >&2
	exit 1
fi
for f in "$BUILD/netiquetted" "$BUILD/netiquettectl"; do
	if [[ ! -x $f ]]; then
		echo "test_browser: $f is missing: build first" >&2
		exit 1
	fi
done
if [[ ! -d $DIR/node_modules/playwright-core ]]; then
	echo "test_browser: installing playwright-core (npm ci)" >&2
	npm ci --prefix "$DIR" --no-audit --no-fund >&2
fi

echo "test_browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium), node $(node --version)"
cd "$DIR"
export NQ_SOURCE_DIR=$SRC NQ_BUILD_DIR=$BUILD NQ_CHROMIUM=$CHROMIUM
# One file at a time: each starts its own daemon, fake server and browser.
exec node --test --test-concurrency=1 --test-reporter=spec "$@"

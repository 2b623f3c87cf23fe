#!/bin/bash
# test_install.sh: `cmake --install` puts binaries, the systemd unit with its
# sysusers and tmpfiles files, the rules, the web UI, the man pages and an
# example configuration in their FHS places, and what is installed works:
# the installed rules check, and the example configuration parses.
set -euo pipefail
src=${NQ_SOURCE_DIR:?}
build=${NQ_BUILD_DIR:?}
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

DESTDIR="$dest" cmake --install "$build" >/dev/null
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
root="$dest$prefix"
for f in bin/netiquettectl sbin/netiquetted \
	lib/systemd/system/netiquetted.service lib/sysusers.d/netiquetted.conf \
	lib/tmpfiles.d/netiquetted.conf share/netiquetted/rules/insult.rules \
	share/netiquetted/ui/index.html share/man/man1/netiquettectl.1 \
	share/man/man5/netiquette.rules.5 share/man/man5/netiquetted.conf.5 \
	share/man/man8/netiquetted.8 share/doc/netiquetted/examples/netiquetted.conf.example; do
	[[ -e "$root/$f" ]] || fail "not installed: $prefix/$f"
done
out=$("$root/bin/netiquettectl" rules check "$root/share/netiquetted/rules" 2>/dev/null) ||
	fail "installed rules do not check"
[[ "$out" == "rules OK: "* ]] || fail "unexpected: $out"
for m in "$root"/share/man/man*/*; do
	man -l "$m" >/dev/null 2>&1 || fail "man page does not render: $m"
done
# the example configuration is valid (with a token where the unit puts it)
creds=$(mktemp -d)
echo "example-token" >"$creds/mastodon.token"
{ echo "rules-dir = $root/share/netiquetted/rules"
  grep -v "^rules-dir" "$root/share/doc/netiquetted/examples/netiquetted.conf.example"
} >"$creds/conf"
CREDENTIALS_DIRECTORY=$creds "$root/sbin/netiquetted" -n -f "$creds/conf" | tail -1 |
	grep -q "^configuration OK" || fail "example configuration does not parse"
# a rules-dir that does not exist refuses the check, naming it
{ echo "rules-dir = $root/share/netiquetted/rules"
  echo "rules-dir = $creds/rules.lokal"
  grep -v "^rules-dir" "$root/share/doc/netiquetted/examples/netiquetted.conf.example"
} >"$creds/conf2"
if err=$(CREDENTIALS_DIRECTORY=$creds "$root/sbin/netiquetted" -n -f "$creds/conf2" 2>&1); then
	fail "a missing rules-dir passed the check"
fi
grep -q "error: .*rules-dir $creds/rules.lokal: No such file" <<<"$err" ||
	fail "missing rules-dir not named: $err"
rm -rf "$creds"
echo "1 passed, 0 failed"

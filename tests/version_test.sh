#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# One version, written in VERSION: `bindguard --version`, the man page and the
# Debian changelog must say the same. No root.
# Usage: version_test.sh BINDGUARD. Prints PASS/FAIL lines, then
# "version: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
BG=${1:?usage: version_test.sh BINDGUARD}
passed=0 failed=0
check() {
	if [ "$2" = "$3" ]; then
		passed=$((passed + 1))
		echo "PASS version $1"
	else
		failed=$((failed + 1))
		echo "FAIL version $1: expected '$2' (VERSION), got '$3'"
	fi
}
v=$(cat "$root/VERSION")
check "bindguard --version" "bindguard $v" "$("$BG" --version)"
check "man page .TH" "bindguard $v" "$(awk -F'"' '/^\.TH/ { print $4; exit }' "$root/docs/bindguard.8")"
# The package's version: VERSION, or VERSION-REVISION.
check "debian/changelog" "$v" "$(sed -n '1s/^bindguard (\([^-)]*\)\(-[^)]*\)\?).*/\1/p' "$root/debian/changelog")"
# The image's label: the build argument make image passes, as the label's value.
check "image label (make image)" "$v" "$(make -s -C "$root" -n image 2>/dev/null |
	sed -n 's/.*podman build .*--build-arg VERSION=\([^ ]*\) .*/\1/p')"
check "image label (Containerfile)" "$v" "$(VERSION=$v sh -c 'sed -n "s/.*org.opencontainers.image.version=\"\${VERSION}\".*/$VERSION/p" "$1"' sh "$root/Containerfile")"
echo "version: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Integration tests against the running kernel (root). Each test_* function in the
# t_*.sh files is one test; it sets $why on failure or calls skip itself.
# Usage: BINDGUARD=... BGPROBE=... tests/integration/run.sh [NAME-FILTER]
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP integration: needs root"
	echo "integration: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
if [ -z "$CG2" ]; then
	echo "SKIP integration: no cgroup v2 mount"
	echo "integration: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
if ! "$BG" check >/dev/null 2>&1; then
	echo "SKIP integration: bindguard check says this kernel lacks what bindguard needs:"
	"$BG" check 2>&1 | sed 's/^/  /'
	echo "integration: 0 passed, 0 failed, 1 skipped"
	exit 0
fi

# State the suite creates itself is removed at the end (see finish()).
[ -e "$PIN" ] && PIN_EXISTED=1 || PIN_EXISTED=0
finish() {
	cleanup
	# Only while no policy is in force (checked under bindguard's lock).
	if [ "$PIN_EXISTED" = 0 ] && [ -e "$PIN" ]; then
		"$BG" detach --all --if-unused >/dev/null
	fi
}
trap finish EXIT
trap 'exit 130' INT TERM
mkdir "$CG2/$TOP" || exit 1

for f in "$here"/t_*.sh; do
	. "$f"
done

# NAME-FILTER: run the tests whose name holds it; NAME,NAME...: holds any of them.
filter=${1:-}
IFS=, read -r -a filters <<<"$filter"
wanted() {
	local f
	[ ${#filters[@]} -eq 0 ] && return 0
	for f in "${filters[@]}"; do [[ $1 == *$f* ]] && return 0; done
	return 1
}
for t in $(declare -F | awk '{ print $3 }' | grep '^test_'); do
	wanted "$t" || continue
	current=${t#test_}
	why=""
	result=""
	t0=$(date +%s%N)
	$t
	# BG_TEST_TIMES=1 (the kernel matrix sets it): how long each test took.
	[ -n "${BG_TEST_TIMES:-}" ] && echo "TIME $current $((($(date +%s%N) - t0) / 1000000)) ms"
	if [ "$result" = skip ]; then
		continue
	elif [ -z "$why" ]; then
		pass
	else
		fail "$why"
	fi
done

finish
trap - EXIT
# What this suite made must be gone.
if [ -d "$CG2/$TOP" ]; then
	current=cleanup why="test cgroups left under $CG2/$TOP"
	fail "$why"
fi
echo "integration: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

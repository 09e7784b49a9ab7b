#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The bash completion (dist/bash-completion/bindguard) through bash's own
# machinery: COMP_WORDS in, COMPREPLY out. No root. Usage: completion_test.sh
# BINDGUARD. Prints PASS/FAIL lines and "completion: N passed, N failed".
set -u
bg=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../dist/bash-completion/bindguard"
passed=0 failed=0 skipped=0

# complete WORD...: the completions of the last word, sorted, on one line.
complete_words() {
	COMP_WORDS=("$bg" "$@")
	COMP_CWORD=$#
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	_bindguard
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

expect() {
	local name=$1 want=$2 got
	shift 2
	got=$(complete_words "$@")
	if [ "$got" = "$want" ]; then
		passed=$((passed + 1))
		echo "PASS completion $name"
	else
		failed=$((failed + 1))
		echo "FAIL completion $name: expected '$want', got '$got'"
	fi
}

expect "commands" "deny-wildcard detach" de
expect "every command" "$("$bg" --help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }' | sort | tr '\n' ' ' | sed 's/ $//')" ""
expect "global options" "--json" --js
expect "a command's options" "--mode" loopback-only --mo
expect "options from its --help" "--container --count-allowed" loopback-only --co
expect "mode values" "audit enforce rewrite" loopback-only --mode ""
expect "udp-autobind values" "allow audit" loopback-only --udp-autobind a
expect "detach options" "--missing-ok" detach --mi
expect "oci-hook stages" "createRuntime" oci-hook --stage c
expect "run leftovers" "kill wait" run --leftovers ""
expect "status formats" "json prom text" status --format ""
got=$(complete_words run --loopback-only -- tru)
if [[ " $got " == *" true "* ]]; then
	passed=$((passed + 1))
	echo "PASS completion run's command after --"
else
	failed=$((failed + 1))
	echo "FAIL completion run's command after --: expected true among '$got'"
fi
mnt=$(_bindguard_cgroup_mount)
first=$([ -n "$mnt" ] && cd "$mnt" && ls -d -- */ 2>/dev/null | head -n 1)
if [ -n "$first" ]; then
	expect "cgroup paths" "/$first" loopback-only --cgroup "/${first%/}"
else
	skipped=$((skipped + 1))
	echo "SKIP completion cgroup paths: no cgroup v2 mount, or no cgroup below it to complete"
fi
echo "completion: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The GitHub Action's steps (action.yml), also runnable by hand or in tests:
#   action.sh install   build and install bindguard from this checkout unless
#                       `bindguard` is on PATH already
#   action.sh run       run INPUT_RUN under the policy the INPUT_* variables
#                       name; exits with its status
# Inputs (as the runner passes them): INPUT_POLICY, INPUT_MODE, INPUT_ALLOW
# (one rule per line), INPUT_RUN, INPUT_USER, INPUT_EVENTS_FILE,
# INPUT_SUGGEST_FILE. BINDGUARD overrides the binary (tests).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# sudo resets PATH: what setup-* actions added would vanish for the job.
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -E env PATH="$PATH" "$@"; fi; }
die() { echo "bindguard action: $*" >&2; exit 2; }

install() {
	if [ -n "${BINDGUARD:-}" ] || command -v bindguard >/dev/null; then
		echo "bindguard action: using $(command -v "${BINDGUARD:-bindguard}")"
		return
	fi
	as_root "$top/tests/install-deps.sh"
	make -C "$top" -j"$(nproc)" bindguard
	as_root make -C "$top" install PREFIX=/usr/local
}

run() {
	local bg=${BINDGUARD:-bindguard} policy=${INPUT_POLICY:-loopback-only} mode=${INPUT_MODE:-enforce}
	local user=${INPUT_USER:-} events=${INPUT_EVENTS_FILE:-bindguard-events.jsonl}
	local sugg=${INPUT_SUGGEST_FILE:-} allowfile args=()
	case "$policy" in loopback-only | deny-wildcard) ;; *) die "policy: $policy: expected loopback-only or deny-wildcard" ;; esac
	case "$mode" in enforce | audit | rewrite) ;; *) die "mode: $mode: expected enforce, audit or rewrite" ;; esac
	[ -n "${INPUT_RUN:-}" ] || die "run: nothing to run"
	# The job runs as the runner's own user (bindguard itself needs root).
	[ -n "$user" ] || user=${SUDO_USER:-$(id -un)}
	# The rules go through a file: no shell quoting of [::] or *.
	allowfile=$(mktemp)
	# shellcheck disable=SC2064 # the path, now: the variable is local
	trap "rm -f '$allowfile'" EXIT
	printf '%s\n' "${INPUT_ALLOW:-}" >"$allowfile"
	args=(--"$policy" --mode "$mode" --allow-from "$allowfile" --user "$user" --events "$events")
	[ -n "$sugg" ] && args+=(--suggest="$sugg")
	[ -n "${GITHUB_OUTPUT:-}" ] && echo "events-file=$events" >>"$GITHUB_OUTPUT"
	set +e
	as_root "$bg" run "${args[@]}" -- bash -eo pipefail -c "$INPUT_RUN"
	local rc=$?
	set -e
	# The events file belongs to the job's user, for the artifact upload.
	[ -f "$events" ] && as_root chown "$(id -u):$(id -g)" "$events" 2>/dev/null
	return $rc
}

case "${1:-}" in
install) install ;;
run) run ;;
*) die "usage: action.sh install|run" ;;
esac

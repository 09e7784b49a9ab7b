# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Shared helpers of the integration suite (sourced by run.sh).
#
# Safety: every cgroup a test uses is created below one uniquely named parent
# ($TOP) that this suite makes; only processes the suite starts are moved into
# them; cleanup() detaches every policy, ends every process it started (by pid)
# and removes every cgroup, also when a test fails or the suite is interrupted.

BG=${BINDGUARD:?BINDGUARD must point at the bindguard binary}
PROBE=${BGPROBE:?BGPROBE must point at the bgprobe helper}
# The differential test's helper, built beside bgprobe.
DECIDE=${BGDECIDE:-$(dirname "$PROBE")/bgdecide}
PIN=/sys/fs/bpf/bindguard

CG2=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break; if ($(i + 1) == "cgroup2") { print $5; exit } }' /proc/self/mountinfo)
TOP="bgtest.$$.$RANDOM"
WORK=$(mktemp -d /tmp/bgtest.XXXXXX)
PIDS=()
NETNS=()
RUNCG=()
passed=0 failed=0 skipped=0
current=""

pass() { passed=$((passed + 1)); echo "PASS $current"; }
fail() { failed=$((failed + 1)); echo "FAIL $current: $*"; }
skip() { skipped=$((skipped + 1)); echo "SKIP $current: $*"; }

# check DESCRIPTION EXPECTED ACTUAL: records the first mismatch of a test.
check() {
	if [ "$2" != "$3" ]; then
		[ -z "$why" ] && why="$1: expected '$2', got '$3'"
	fi
}
checkcmd() { # check that a command succeeds
	local d=$1
	shift
	"$@" >/dev/null 2>&1 || { [ -z "$why" ] && why="$d: '$*' failed"; }
}

# Make a test cgroup below $TOP; prints its path relative to the mount.
mkcg() {
	local rel="/$TOP/$1"
	mkdir -p "$CG2$rel" && echo "$rel"
}

# Run bgprobe inside a test cgroup (relative path): probe CG ARGS...
probe() {
	local cg=$1
	shift
	"$PROBE" --cgroup "$CG2$cg" "$@" 2>&1
}

# Start bgprobe in the background in a cgroup; its stdout goes to FILE.
# bg_probe FILE CG ARGS... ; sets BGPID
bg_probe() {
	local out=$1 cg=$2
	shift 2
	# Emptied here, not only by the child's redirection: a caller waiting for
	# a line must not find an earlier run's (the child may not have opened
	# the file yet).
	: >"$out"
	"$PROBE" --cgroup "$CG2$cg" "$@" >"$out" 2>&1 </dev/null &
	BGPID=$!
	PIDS+=("$BGPID")
}

stop_pid() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# Wait until FILE contains PATTERN (up to ~5 s).
wait_for() {
	for _ in $(seq 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# A port free on the wildcard right now (bound and released outside any policy).
free_port() {
	"$PROBE" --family "${1:-4}" bind "$([ "${1:-4}" = 6 ] && echo :: || echo 0.0.0.0)" 0 |
		awk '{ print $2 }'
}

cgid() { stat -c %i "$CG2$1"; }

# JSON query on stdin: jq PYTHON_EXPR, with the document bound to d.
jq_py() {
	python3 -c "import json, sys
d = json.load(sys.stdin)
print($1)"
}

policy_field() { # policy_field CG EXPR (EXPR uses p for the policy object)
	"$BG" --json status | python3 -c "import json, sys
d = json.load(sys.stdin)
ps = [p for p in d['policies'] if p['cgroup'] == '$1']
p = ps[0] if ps else None
print($2)"
}

# How many programs bindguard attaches per policed cgroup here (the LSM one
# only where BPF LSM loads): the pinned program count.
nprogs() {
	ls "$PIN" 2>/dev/null | grep -cxE 'bind4|bind6|sockops|setsockopt|sendmsg4|sendmsg6|sock_create|ingress|lsm_listen'
}

# Does this kernel have io_uring IORING_OP_LISTEN (6.11+)? Asked in a fresh
# network namespace, where a wildcard listener reaches nobody.
uring_listen_supported() {
	[ "$(unshare -n timeout 1 "$PROBE" --family 4 uring-listen 2>&1 | awk '{ print $1; exit }')" = listening ]
}

# Does this kernel have UDP-Lite (Debian's 7.3 builds it out)? Asked outside
# any policy, on loopback.
udplite_supported() {
	[ "$("$PROBE" --proto udplite bind 127.0.0.1 0 2>&1 | awk '{ print $1; exit }')" != EPROTONOSUPPORT ]
}

links_of() { ls "$PIN/links" 2>/dev/null | grep -c "^$(cgid "$1")-"; }

# The events reader, in the background; EVPID, output in FILE. Any number
# can run at once (a --backlog reader waits for another one to stop).
start_events() {
	local out=$1
	shift
	for _ in $(seq 30); do
		# A message of an earlier reader must not pass for this one's.
		rm -f "$out.err"
		"$BG" events --json "$@" >"$out" 2>"$out.err" &
		EVPID=$!
		PIDS+=("$EVPID")
		wait_for "$out.err" 'following\|one at a time' || return 1
		grep -q following "$out.err" && return 0
		wait "$EVPID" 2>/dev/null
		sleep 0.5
	done
	return 1
}
stop_events() {
	kill -INT "$EVPID" 2>/dev/null
	wait "$EVPID" 2>/dev/null
	EVPID=""
}

cleanup() {
	local p d ns
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	# Containers first (t_containers.sh): they live in the test's namespaces.
	declare -F ct_cleanup >/dev/null && ct_cleanup
	declare -F k8s_cleanup >/dev/null && k8s_cleanup
	declare -F img_cleanup >/dev/null && img_cleanup
	for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	# Runs a test killed on purpose: end what is left in their cgroups.
	for d in "${RUNCG[@]}"; do
		# Only ever a transient run cgroup: never the root or anything else.
		[[ $d == /bindguard.run/run-* ]] || continue
		if [ -f "$CG2$d/cgroup.kill" ]; then echo 1 >"$CG2$d/cgroup.kill" 2>/dev/null; fi
		for _ in $(seq 50); do grep -q 'populated 0' "$CG2$d/cgroup.events" 2>/dev/null && break; sleep 0.1; done
		"$BG" detach --cgroup "$d" >/dev/null 2>&1
		rmdir "$CG2$d" 2>/dev/null
	done
	if [ -d "$CG2/$TOP" ]; then
		# Deepest first: detach policies, then remove the directories.
		while read -r d; do
			"$BG" detach --cgroup "$d" >/dev/null 2>&1
		done < <(find "$CG2/$TOP" -depth -type d)
		while read -r d; do
			# Processes still inside (none should be) go back to the root.
			if [ -s "$d/cgroup.procs" ]; then
				while read -r p; do echo "$p" >"$CG2/cgroup.procs" 2>/dev/null; done <"$d/cgroup.procs"
			fi
			rmdir "$d" 2>/dev/null
		done < <(find "$CG2/$TOP" -depth -type d)
	fi
	# Status also drops state of removed cgroups.
	"$BG" status >/dev/null 2>&1
	rm -rf "$WORK"
}

# Inside a test: report a skip with its reason (the runner counts it).
skip_test() {
	skip "$*"
	result=skip
}

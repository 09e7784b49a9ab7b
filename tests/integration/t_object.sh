# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Which BPF object runs: chosen by loading (the preferred one, then the
# fallback), forced by BINDGUARD_OBJECT, and refused cleanly. The tests that
# need a state of their own run in a private mount namespace with a fresh
# bpffs: the suite's pinned state is not touched, and whatever the namespace
# pins dies with it.

# in_private_bpffs SCRIPT [FILE]: run bash SCRIPT with its own empty bpffs at
# /sys/fs/bpf ($BG, $CG2, $PROBE exported; $0 is FILE, a scratch path), with
# the default choice of object (the suite may run under BINDGUARD_OBJECT).
in_private_bpffs() {
	BG=$BG CG2=$CG2 PROBE=$PROBE env -u BINDGUARD_OBJECT unshare -m --propagation private bash -c \
		'mount -t bpf bpf /sys/fs/bpf || { echo rc=97; exit 97; }; '"$1" "${2:-$WORK/private}"
}

test_object_variable_validated() {
	local cg out rc
	cg=$(mkcg objenv)
	for v in bogus Full "full,compat"; do
		out=$(BINDGUARD_OBJECT=$v "$BG" loopback-only --cgroup "$cg" 2>&1)
		rc=$?
		check "BINDGUARD_OBJECT=$v exit code" 2 "$rc"
		check "BINDGUARD_OBJECT=$v: one line" 1 "$(printf '%s\n' "$out" | wc -l)"
		case $out in *"BINDGUARD_OBJECT must be full or compat"*) ;;
		*) why=${why:-"BINDGUARD_OBJECT=$v: unclear message: $out"} ;; esac
	done
	check "no policy applied" 0 "$("$BG" --json status | jq_py "sum(p['cgroup'] == '$cg' for p in d['policies'])")"
	check "no links" 0 "$(links_of "$cg")"
}

# The preferred object made to fail for real (BG_TEST_BREAK_OBJECT loads its
# bind4 program as a socket filter, which the verifier refuses): the fallback
# loads, says so once, enforces, and check and status name it.
test_fallback_object_enforces_and_reports() {
	local cg out
	cg=$(mkcg objfallback)
	out=$(in_private_bpffs '
		export BG_TEST_BREAK_OBJECT=full
		"$BG" loopback-only --cgroup "'"$cg"'" >/dev/null 2>"$0.err" || { echo "apply rc=$?"; cat "$0.err"; exit 1; }
		echo "note: $(grep -c "refuses the full BPF object" "$0.err") $(grep -c "running the compat object" "$0.err")"
		echo "status: $("$BG" --json status | python3 -c "import json,sys; print(json.load(sys.stdin)[\"object\"])")"
		echo "check: $("$BG" check | awk "\$1 == \"bpf-object\" { print \$2, \$3 }")"
		echo "bind: $("$PROBE" --cgroup "$CG2'"$cg"'" bind 0.0.0.0 0 | cut -d" " -f1)"
		echo "loopback: $("$PROBE" --cgroup "$CG2'"$cg"'" bind 127.0.0.1 0 | cut -d" " -f1)"
		"$BG" detach --cgroup "'"$cg"'" >/dev/null
		"$BG" detach --all' "$WORK/fallback" 2>&1)
	case $out in *"rc=97"* | "") skip_test "cannot mount a private bpffs: $out"; return ;; esac
	check "note names the refusal and the fallback" "note: 1 1" "$(grep '^note:' <<<"$out")"
	check "status --json object" "status: compat" "$(grep '^status:' <<<"$out")"
	check "check bpf-object" "check: compat fallback:" "$(grep '^check:' <<<"$out")"
	check "wildcard bind under the fallback" "bind: EPERM" "$(grep '^bind:' <<<"$out")"
	check "loopback bind under the fallback" "loopback: ok" "$(grep '^loopback:' <<<"$out")"
	[ -n "$why" ] && why="$why; output: $(tr '\n' '|' <<<"$out")"
	# Nothing of it outlives the namespace: the cgroup is unpoliced.
	expect_bind "$cg" ok bind 0.0.0.0 0
}

# BINDGUARD_OBJECT forces one object (the suite runs whole under each); state
# made by the other object is replaced in place by the next change.
test_forced_object_replaces_the_other() {
	local cg out
	cg=$(mkcg objforce)
	out=$(in_private_bpffs '
		"$BG" loopback-only --cgroup "'"$cg"'" >/dev/null 2>&1 || exit 1
		first=$("$BG" --json status | python3 -c "import json,sys; print(json.load(sys.stdin)[\"object\"])")
		other=$([ "$first" = full ] && echo compat || echo full)
		if ! BINDGUARD_OBJECT=$other "$BG" check >/dev/null 2>&1; then
			echo "refused: this kernel refuses the $other object"
			"$BG" detach --all
			exit 0
		fi
		BINDGUARD_OBJECT=$other "$BG" loopback-only --cgroup "'"$cg"'" --allow 198.51.100.9 >/dev/null 2>&1 || { echo "forced apply failed"; exit 1; }
		echo "object: $("$BG" --json status | python3 -c "import json,sys; print(json.load(sys.stdin)[\"object\"])") want $other"
		echo "check: $(BINDGUARD_OBJECT=$other "$BG" check | awk "\$1 == \"bpf-object\" { print \$2, \$3 }") want $other"
		echo "bind: $("$PROBE" --cgroup "$CG2'"$cg"'" bind 0.0.0.0 0 | cut -d" " -f1)"
		"$BG" detach --all' 2>&1)
	case $out in *"rc=97"* | "") skip_test "cannot mount a private bpffs: $out"; return ;; esac
	case $out in "refused: "*) skip_test "${out#refused: } (nothing to force here)"; return ;; esac
	grep -q '^object: \(full want full\|compat want compat\)$' <<<"$out" || why="forced object not running: $(tr '\n' '|' <<<"$out")"
	grep -q '^check: \(full chosen want full\|compat chosen want compat\)$' <<<"$out" || why=${why:-"check does not name the forced object: $(tr '\n' '|' <<<"$out")"}
	check "wildcard bind under the forced object" "bind: EPERM" "$(grep '^bind:' <<<"$out")"
}

# A kernel that refuses every object: exit 3, the verifier's reason, a hint,
# and nothing left in bpffs.
test_refused_objects_leave_nothing() {
	local cg out
	cg=$(mkcg objrefused)
	out=$(in_private_bpffs '
		export BG_TEST_BREAK_OBJECT=full,compat
		"$BG" loopback-only --cgroup "'"$cg"'" >/dev/null 2>"$0.err"
		echo "rc: $?"
		echo "lines: $(wc -l <"$0.err")"
		echo "err: $(cat "$0.err")"
		echo "left: $(find /sys/fs/bpf -mindepth 1 ! -name "*.debug" | wc -l)"
		"$BG" check >/dev/null 2>&1
		echo "check rc: $?"' "$WORK/refused" 2>&1)
	case $out in *"rc=97"* | "") skip_test "cannot mount a private bpffs: $out"; return ;; esac
	check "exit code" "rc: 3" "$(grep '^rc:' <<<"$out")"
	check "one line" "lines: 1" "$(grep '^lines:' <<<"$out")"
	check "nothing left in bpffs" "left: 0" "$(grep '^left:' <<<"$out")"
	check "check exit code" "check rc: 3" "$(grep '^check rc:' <<<"$out")"
	# A kernel without the full object's kfunc refuses it in libbpf, before
	# its verifier runs: then libbpf's reason stands in for the verifier's.
	grep -q '^err: .*full object ([a-z].*; the compat object (bg_bind4: .*-v check' <<<"$out" ||
		why=${why:-"no verifier reason or hint: $(grep '^err:' <<<"$out")"}
	check "no links" 0 "$(links_of "$cg")"
	expect_bind "$cg" ok bind 0.0.0.0 0
}

# Sockets made before the first policy existed (nothing per socket is
# needed): a listener started, the policy applied, then more binds from the
# same process, on a socket made before and one made after.
test_sockets_made_before_the_policy() {
	local cg out
	cg=$(mkcg early)
	mkfifo "$WORK/early.go"
	python3 - "$CG2$cg" "$WORK/early.go" >"$WORK/early.out" 2>&1 <<'PY' &
import os, socket, sys
with open(os.path.join(sys.argv[1], "cgroup.procs"), "w") as f:
    f.write(str(os.getpid()))
lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lst.bind(("0.0.0.0", 0))
lst.listen()
early = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
early6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
print("ready", flush=True)
open(sys.argv[2]).read()  # the policy is applied meanwhile
def try_bind(s, addr):
    try:
        s.bind((addr, 0))
        return "ok"
    except OSError as e:
        return {1: "EPERM"}.get(e.errno, str(e.errno))
late = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print("early", try_bind(early, "0.0.0.0"))
print("early6", try_bind(early6, "::"))
print("late", try_bind(late, "0.0.0.0"))
print("loopback", try_bind(socket.socket(), "127.0.0.1"))
PY
	local pid=$!
	PIDS+=("$pid")
	wait_for "$WORK/early.out" ready || { why="helper did not start: $(cat "$WORK/early.out")"; return; }
	# The listener bound before is reported (t_existing.sh): exit status 4.
	"$BG" loopback-only --cgroup "$cg" >/dev/null 2>&1
	check "apply over a refused listener" 4 "$?"
	echo go >"$WORK/early.go"
	wait "$pid"
	out=$(tr '\n' ' ' <"$WORK/early.out")
	check "socket made before the policy ($out)" 1 "$(grep -c '^early EPERM$' "$WORK/early.out")"
	check "IPv6 socket made before the policy ($out)" 1 "$(grep -c '^early6 EPERM$' "$WORK/early.out")"
	check "socket made after ($out)" 1 "$(grep -c '^late EPERM$' "$WORK/early.out")"
	check "loopback ($out)" 1 "$(grep -c '^loopback ok$' "$WORK/early.out")"
}

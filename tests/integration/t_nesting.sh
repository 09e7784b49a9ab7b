# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Nesting: the nearest policed cgroup governs; children inherit; a child's own
# policy wins; the socket's creation cgroup counts, not the task's.

test_nesting() {
	local parent child port
	parent=$(mkcg nest)
	port=$(free_port)
	"$BG" loopback-only --cgroup "$parent" >/dev/null || { why="apply parent failed"; return; }
	# A cgroup created after the policy inherits it, however deep.
	mkcg nest/later/deeper/deepest >/dev/null
	expect_bind "$parent/later" EPERM bind 0.0.0.0 0
	expect_bind "$parent/later/deeper/deepest" EPERM bind 0.0.0.0 0
	expect_bind "$parent/later/deeper/deepest" ok bind 127.0.0.1 0
	# A child's own policy with one more exception takes precedence.
	child=$(mkcg nest/child)
	"$BG" loopback-only --cgroup "$child" --allow "0.0.0.0:$port" >/dev/null ||
		{ why="apply child failed"; return; }
	expect_bind "$child" ok bind 0.0.0.0 "$port"
	expect_bind "$child" EPERM bind 0.0.0.0 0
	expect_bind "$parent" EPERM bind 0.0.0.0 "$port"
	mkcg nest/child/grand >/dev/null
	expect_bind "$parent/child/grand" ok bind 0.0.0.0 "$port"
	# Only the top-most policed cgroup holds links; the child is covered.
	check "parent links" "$(nprogs)" "$(links_of "$parent")"
	check "child links" 0 "$(links_of "$child")"
	check "child link kind" ancestor "$(policy_field "$child" "p['link']")"
	# Detaching the parent gives the child its own links first.
	"$BG" detach --cgroup "$parent" >/dev/null || { why="detach parent failed"; return; }
	check "child links after parent detach" "$(nprogs)" "$(links_of "$child")"
	expect_bind "$child" EPERM bind 0.0.0.0 0
	expect_bind "$parent/later" ok bind 0.0.0.0 0
}

# Nested policies of different presets and exceptions: each bind is decided
# by the nearest policy, whichever link runs the program, and a refusal is
# counted on the policy that refused.
test_nested_policies_decide_each_bind() {
	local top child denied cdenied
	top=$(mkcg nestdec)
	"$BG" deny-wildcard --cgroup "$top" >/dev/null || { why="apply top failed"; return; }
	expect_bind "$top" EADDRNOTAVAIL bind 198.51.100.27 0
	expect_bind "$top" EADDRNOTAVAIL --family 6 bind fd12::27 0
	expect_bind "$top" EPERM bind 0.0.0.0 0
	expect_bind "$top" EPERM --family 6 bind :: 0
	expect_bind "$top" EPERM --family 6 --v6only 0 bind ::ffff:0.0.0.0 0
	# A loopback-only child refuses the specific addresses its parent admits.
	child=$(mkcg nestdec/lo)
	"$BG" loopback-only --cgroup "$child" >/dev/null || { why="apply child failed"; return; }
	expect_bind "$child" EPERM bind 198.51.100.27 0
	expect_bind "$child" EPERM --family 6 bind fd12::27 0
	expect_bind "$top" EADDRNOTAVAIL bind 198.51.100.27 0
	# A child that counts its allows sees them.
	"$BG" deny-wildcard --cgroup "$child" --count-allowed >/dev/null ||
		{ why="re-apply child counting failed"; return; }
	expect_bind "$child" EADDRNOTAVAIL bind 198.51.100.27 0
	check "child's allow counted" 1 "$(policy_field "$child" "p['counters']['allowed']")"
	# The top turns loopback-only with exceptions; the child has others.
	"$BG" loopback-only --cgroup "$top" --allow 198.51.100.27 --allow '[fd12::27]:80' >/dev/null ||
		{ why="re-apply top failed"; return; }
	"$BG" loopback-only --cgroup "$child" --allow 198.51.100.29 >/dev/null ||
		{ why="re-apply child failed"; return; }
	denied=$(policy_field "$top" "p['counters']['denied']")
	cdenied=$(policy_field "$child" "p['counters']['denied']")
	expect_bind "$top" ok bind 127.0.0.1 0
	expect_bind "$top" EADDRNOTAVAIL bind 198.51.100.27 0
	expect_bind "$top" EADDRNOTAVAIL --family 6 bind fd12::27 80
	expect_bind "$top" EADDRNOTAVAIL --family 6 --v6only 0 bind ::ffff:198.51.100.27 0
	expect_bind "$top" EPERM --family 6 bind fd12::27 81
	expect_bind "$top" EPERM bind 198.51.100.29 0
	expect_bind "$child" EPERM bind 198.51.100.27 0
	expect_bind "$child" EADDRNOTAVAIL bind 198.51.100.29 0
	check "top's refusals counted on the top" $((denied + 2)) "$(policy_field "$top" "p['counters']['denied']")"
	check "child's refusal counted on the child" $((cdenied + 1)) "$(policy_field "$child" "p['counters']['denied']")"
	# Detached, the child falls back to the top's policy at once.
	"$BG" detach --cgroup "$child" >/dev/null || { why="detach child failed"; return; }
	expect_bind "$child" EADDRNOTAVAIL bind 198.51.100.27 0
	expect_bind "$child" EPERM bind 198.51.100.29 0
	# Leave no exceptions behind for the tests that count them.
	"$BG" detach --cgroup "$top" >/dev/null || why=${why:-"detach top failed"}
}

test_moving_into_new_child_does_not_escape() {
	local parent out pid
	parent=$(mkcg move)
	"$BG" loopback-only --cgroup "$parent" >/dev/null || { why="apply failed"; return; }
	out="$WORK/move.out"
	# A process in the policed cgroup makes a new child and moves itself in.
	sh -c 'echo $$ > "$1/cgroup.procs" && mkdir "$1/escape" &&
		echo $$ > "$1/escape/cgroup.procs" && exec "$2" bind 0.0.0.0 0' \
		sh "$CG2$parent" "$PROBE" >"$out" 2>&1 </dev/null &
	pid=$!
	PIDS+=("$pid")
	wait "$pid"
	check "bind after moving into a new child" EPERM "$(awk '{ print $1 }' "$out")"
}

test_socket_cgroup_governs() {
	local cg
	cg=$(mkcg sockcg)
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	# A child forked inside binds: policed. Threads share the cgroup too.
	check "forked child" EPERM "$(probe "$cg" fork-bind 0.0.0.0 0 | awk '{ print $1 }')"
	check "thread" EPERM "$(python3 -c "
import socket, threading
open('$CG2$cg/cgroup.procs', 'w').write('0')
out = []
def bind():
    try:
        socket.socket().bind(('0.0.0.0', 0))
        out.append('ok')
    except PermissionError:
        out.append('EPERM')
t = threading.Thread(target=bind)
t.start()
t.join()
print(out[0])" 2>&1)"
	# A socket created outside the policed cgroup and bound by a task that then
	# joined it escapes: the kernel rule, documented as a known gap.
	check "socket created outside" ok "$(python3 -c "
import socket
s = socket.socket()
open('$CG2$cg/cgroup.procs', 'w').write('0')
s.bind(('0.0.0.0', 0))
print('ok')" 2>&1)"
}

# Several cgroups in one command: one change, all or nothing.
test_many_cgroups_in_one_call() {
	local a b c sleeper out rc links_before
	a=$(mkcg many/a)
	b=$(mkcg many/b)
	c=$(mkcg many/b/c)
	sleep 60 &
	sleeper=$!
	PIDS+=("$sleeper")
	echo "$sleeper" >"$CG2$a/cgroup.procs"
	# A cgroup named twice (here by path and by a process in it) is refused.
	out=$("$BG" loopback-only --cgroup "$a" --pid "$sleeper" 2>&1)
	check "named twice: exit code" 2 "$?"
	[[ $out == *"named twice"* ]] || why="${why:-named twice: $out}"
	# One bad target refuses the whole command before anything is applied.
	out=$("$BG" loopback-only --cgroup "$b" --cgroup "$b/none" 2>&1)
	check "bad target: exit code" 2 "$?"
	check "bad target: nothing applied" None "$(policy_field "$b" "p and p['policy']")"
	# Three cgroups, one of them below another: all policed, links on the
	# top-most ones only, one JSON object per cgroup.
	out=$("$BG" --json loopback-only --pid "$sleeper" --cgroup "$b" --cgroup "$c")
	check "apply three: exit code" 0 "$?"
	check "apply three: JSON lines" 3 "$(printf '%s\n' "$out" | grep -c '"policy":"loopback-only"')"
	for cg in "$a" "$b" "$c"; do
		check "policy of $cg" loopback-only "$(policy_field "$cg" "p['policy']")"
	done
	check "links of a" "$(nprogs)" "$(links_of "$a")"
	check "links of b" "$(nprogs)" "$(links_of "$b")"
	check "links of c (below b)" 0 "$(links_of "$c")"
	expect_bind "$a" EPERM bind 0.0.0.0 0
	expect_bind "$c" EPERM bind 0.0.0.0 0
	# Detach refuses the whole list when one cgroup has no policy.
	links_before=$(ls "$PIN/links" | wc -l)
	out=$("$BG" detach --cgroup "$a" --cgroup "$(dirname "$a")" 2>&1)
	rc=$?
	check "detach with an unpoliced one: exit code" 2 "$rc"
	[[ $out == *"no bindguard policy"* ]] || why="${why:-detach message: $out}"
	check "a keeps its policy" loopback-only "$(policy_field "$a" "p['policy']")"
	check "links unchanged" "$links_before" "$(ls "$PIN/links" | wc -l)"
	# Detach b and a together: c, below b, gets its own links first.
	"$BG" detach --cgroup "$b" --pid "$sleeper" || { why="${why:-detach two failed}"; return; }
	check "links of c after b went" "$(nprogs)" "$(links_of "$c")"
	check "links of a after detach" 0 "$(links_of "$a")"
	expect_bind "$a" ok bind 0.0.0.0 0
	expect_bind "$b" ok bind 0.0.0.0 0
	expect_bind "$c" EPERM bind 0.0.0.0 0
}

# One command's cgroups share one set of exceptions: detaching or replacing
# one of them leaves the others' exceptions whole, and the last user of a set
# takes it with it.
test_shared_exceptions_follow_their_users() {
	local a b
	a=$(mkcg shared/a)
	b=$(mkcg shared/b)
	"$BG" loopback-only --cgroup "$a" --cgroup "$b" --allow 198.51.100.0/24:80 \
		--allow 198.51.100.7 >/dev/null || { why="apply failed"; return; }
	check "shared entries" 1 "$(trie_entries_for 198.51.100.7)"
	"$BG" detach --cgroup "$a" >/dev/null || { why="detach a failed"; return; }
	expect_bind "$b" EADDRNOTAVAIL bind 198.51.100.3 80
	expect_bind "$b" EPERM bind 198.51.100.3 81
	expect_bind "$b" EADDRNOTAVAIL bind 198.51.100.7 81
	check "b's exceptions listed" "198.51.100.0/24:80,198.51.100.7" \
		"$(policy_field "$b" "','.join(p['allow'])")"
	check "entries kept for b" 1 "$(trie_entries_for 198.51.100.7)"
	"$BG" loopback-only --cgroup "$b" --allow 198.51.100.8 >/dev/null || { why="re-apply b failed"; return; }
	check "old shared entries gone" 0 "$(trie_entries_for 198.51.100.7)"
	expect_bind "$b" EPERM bind 198.51.100.3 80
	expect_bind "$b" EADDRNOTAVAIL bind 198.51.100.8 80
}

# A cgroup without a policy of its own is governed by its nearest policed
# ancestor: every change reaches it at once, and its events name both cgroups.
# Each check binds twice (earlier builds cached the first bind's resolution;
# nothing may be remembered from one bind to the next).
test_inherited_policy_follows_every_change() {
	local parent child port out
	parent=$(mkcg inh)
	child=$(mkcg inh/kid)
	port=$(free_port)
	out="$WORK/inh.events"
	"$BG" loopback-only --cgroup "$parent" >/dev/null || { why="apply parent failed"; return; }
	start_events "$out" || { why="events reader did not start"; return; }
	expect_bind "$child" EPERM bind 0.0.0.0 "$port"
	expect_bind "$child" EPERM bind 0.0.0.0 "$port"
	sleep 0.3
	stop_events
	python3 - "$out" "$(cgid "$child")" "$(cgid "$parent")" "$child" "$parent" <<'PY' || why="events of the child's two binds: $(tr '\n' ' ' <"$out")"
import json, sys
out, cid, pid_, child, parent = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
ev = [e for e in map(json.loads, open(out)) if e.get("cgroup_id") == cid]
ok = len(ev) == 2 and all(e["cgroup"] == child and e["policy_cgroup_id"] == pid_ and
                          e["policy_cgroup"] == parent for e in ev)
sys.exit(0 if ok else 1)
PY
	[ -z "$why" ] || return
	# A replaced policy (no cgroup added or removed) reaches the copy.
	"$BG" loopback-only --cgroup "$parent" --allow "0.0.0.0:$port" >/dev/null ||
		{ why="re-apply parent failed"; return; }
	expect_bind "$child" ok bind 0.0.0.0 "$port"
	expect_bind "$child" ok bind 0.0.0.0 "$port"
	expect_bind "$child" EPERM bind 198.51.100.1 0
	# The child's own policy replaces the copy, and its detach brings the
	# parent's back.
	"$BG" deny-wildcard --cgroup "$child" >/dev/null || { why="apply child failed"; return; }
	expect_bind "$child" EPERM bind 0.0.0.0 "$port"
	expect_bind "$child" EADDRNOTAVAIL bind 198.51.100.1 0
	expect_bind "$child" EADDRNOTAVAIL bind 198.51.100.1 0
	"$BG" detach --cgroup "$child" >/dev/null || { why="detach child failed"; return; }
	expect_bind "$child" EPERM bind 198.51.100.1 0
	expect_bind "$child" EPERM bind 198.51.100.1 0
	expect_bind "$child" ok bind 0.0.0.0 "$port"
	# A policy applied between the child and the parent governs at once.
	mkcg inh/mid >/dev/null
	mkcg inh/mid/kid >/dev/null
	expect_bind "$parent/mid/kid" EPERM bind 198.51.100.1 0
	"$BG" deny-wildcard --cgroup "$parent/mid" >/dev/null || { why="apply mid failed"; return; }
	expect_bind "$parent/mid/kid" EADDRNOTAVAIL bind 198.51.100.1 0
	expect_bind "$parent/mid/kid" EADDRNOTAVAIL bind 198.51.100.1 0
	# Detached, the parent no longer governs its children.
	"$BG" detach --cgroup "$parent/mid" --cgroup "$parent" >/dev/null || { why="detach failed"; return; }
	expect_bind "$child" ok bind 0.0.0.0 0
	expect_bind "$child" ok bind 0.0.0.0 0
}

# The policy governing cgroup CG, by two binds: none, dw (deny-wildcard) or lo
# (loopback-only).
governing() {
	case "$(probe "$1" bind 0.0.0.0 0 | awk '{ print $1 }') $(probe "$1" bind 198.51.100.1 0 | awk '{ print $1 }')" in
	"ok EADDRNOTAVAIL") echo none ;;
	"EPERM EADDRNOTAVAIL") echo dw ;;
	"EPERM EPERM") echo lo ;;
	*) echo "unclear" ;;
	esac
}

# The cgroups of fast_path_links_match_full_pass (names in $fp) that hold
# links: "a e", a partial set of links shown with its count, "a(3)".
fp_holders() {
	local n k out=()
	for n in $fp; do
		k=$(links_of "${fpcg[$n]}")
		[ "$k" = 0 ] && continue
		[ "$k" = "$(nprogs)" ] && out+=("$n") || out+=("$n($k)")
	done
	echo "${out[*]}"
}

# fp_change WHAT HOLDERS VERDICTS ARGS...: bindguard ARGS must take the fast
# path; after it the cgroups holding links must be HOLDERS, and still be after
# a full pass (status), and each cgroup be governed as VERDICTS says ("c=lo
# d=dw"; the others by no policy).
fp_change() {
	local what=$1 holders=$2 verdicts=$3 out n want
	shift 3
	[ -z "$why" ] || return
	out=$(env -u BG_FULL_PASS "$BG" -v "$@" 2>&1) || { why="$what: bindguard $* failed: $out"; return; }
	[[ $out == *"debug: the fast path"* ]] || why="$what: the fast path did not run: $out"
	check "$what: cgroups with links" "$holders" "$(fp_holders)"
	"$BG" status >/dev/null
	check "$what: cgroups with links after a full pass" "$holders" "$(fp_holders)"
	for n in $fp; do
		want=none
		[[ " $verdicts " == *" $n=lo "* ]] && want=lo
		[[ " $verdicts " == *" $n=dw "* ]] && want=dw
		check "$what: policy governing $n" "$want" "$(governing "${fpcg[$n]}")"
	done
}

# A change within 30 s of the last full pass takes the fast path: it reads no
# cgroup paths and no pins, and moves links only around the cgroups it names
# (src/topology.c). In nested layouts, each change must leave the links the
# full pass lays out (on the top-most policed cgroups) and each bind decided
# by the nearest policy.
test_fast_path_links_match_full_pass() {
	local fp="a b c d e f" out
	local -A fpcg
	fpcg=([a]=/a [b]=/a/b [c]=/a/b/c [d]=/a/d [e]=/e [f]=/e/f)
	for n in $fp; do fpcg[$n]=$(mkcg "fastpath${fpcg[$n]}"); done
	# BG_FULL_PASS makes a change take the full pass (the suite's hook); this
	# one also makes the state if there is none.
	out=$(BG_FULL_PASS=1 "$BG" -v loopback-only --cgroup "${fpcg[c]}" 2>&1)
	[[ $out == *"debug: the full pass"* ]] || { why="BG_FULL_PASS: the full pass did not run: $out"; return; }
	"$BG" detach --cgroup "${fpcg[c]}" >/dev/null || { why="detach c failed"; return; }
	"$BG" status >/dev/null # a full pass now: the changes below are within 30 s of it
	fp_change "a child first" "c" "c=lo" loopback-only --cgroup "${fpcg[c]}"
	fp_change "a sibling subtree" "c f" "c=lo f=lo" loopback-only --cgroup "${fpcg[f]}"
	fp_change "the parent after the child" "a f" "a=lo b=lo c=lo d=lo f=lo" \
		loopback-only --cgroup "${fpcg[a]}"
	fp_change "a child after the parent" "a f" "a=lo b=dw c=lo d=lo f=lo" \
		deny-wildcard --cgroup "${fpcg[b]}"
	fp_change "another child after the parent" "a f" "a=lo b=dw c=lo d=dw f=lo" \
		deny-wildcard --cgroup "${fpcg[d]}"
	fp_change "a re-apply of the link holder" "a f" "a=lo b=dw c=lo d=dw f=lo" \
		loopback-only --cgroup "${fpcg[a]}" --allow 198.51.100.2
	fp_change "detach of a link holder with policed descendants" "b d f" "b=dw c=lo d=dw f=lo" \
		detach --cgroup "${fpcg[a]}"
	fp_change "a parent above a policed child, beside others" "b d e" "b=dw c=lo d=dw e=dw f=lo" \
		deny-wildcard --cgroup "${fpcg[e]}"
	fp_change "detach of two link holders" "c d f" "c=lo d=dw f=lo" \
		detach --cgroup "${fpcg[b]}" --cgroup "${fpcg[e]}"
	fp_change "one call: new nested cgroups above policed ones" "a f" "a=lo b=lo c=lo d=dw f=lo" \
		loopback-only --cgroup "${fpcg[b]}" --cgroup "${fpcg[a]}"
	fp_change "detach of a covered cgroup above a policed one" "a f" "a=lo b=lo c=lo d=dw f=lo" \
		detach --cgroup "${fpcg[b]}"
	fp_change "a covered cgroup again" "a f" "a=lo b=dw c=lo d=dw f=lo" \
		deny-wildcard --cgroup "${fpcg[b]}"
	fp_change "one call: nested detach" "c d f" "c=lo d=dw f=lo" \
		detach --cgroup "${fpcg[a]}" --cgroup "${fpcg[b]}"
	fp_change "one call: a new parent and its re-applied child" "c d e" "c=lo d=dw e=lo f=lo" \
		loopback-only --cgroup "${fpcg[f]}" --cgroup "${fpcg[e]}"
	fp_change "one call: detach of everything" "" "" \
		detach --cgroup "${fpcg[c]}" --cgroup "${fpcg[d]}" --cgroup "${fpcg[e]}" --cgroup "${fpcg[f]}"
}

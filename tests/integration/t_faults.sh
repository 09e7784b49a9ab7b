# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Faults (issue 7): killed commands, hand-removed pins, vanished cgroups, full
# disks, hostile sockaddrs. docs/FAULTS.md lists each guarantee with its test.

# The policy of cg in one word: "none", or its allow list.
policy_word() { policy_field "$1" "'none' if p is None else ','.join(p['allow']) or '-'"; }

test_sigkill_mid_change_never_unprotected() {
	local cg out pid i w seen_old=0 seen_new=0
	cg=$(mkcg killed)
	"$BG" loopback-only --cgroup "$cg" --allow 10.0.0.1 >/dev/null || { why="apply failed"; return; }
	out="$WORK/killed.loop"
	bg_probe "$out" "$cg" loop 0.0.0.0 0 8
	pid=$BGPID
	for i in $(seq 2 31); do
		# Re-apply, detach and apply anew, each killed at a random instant.
		"$BG" loopback-only --cgroup "$cg" --allow "10.0.0.$i" >/dev/null 2>&1 &
		local c=$!
		sleep "0.0$((RANDOM % 10))"
		kill -KILL $c 2>/dev/null
		wait $c 2>/dev/null
		w=$(policy_word "$cg")
		case $w in
		10.0.0.$((i - 1))) seen_old=$((seen_old + 1)) ;;
		10.0.0.$i) seen_new=$((seen_new + 1)) ;;
		*) why="${why:-after a killed re-apply the policy is '$w'}" ;;
		esac
		# Whatever state it was left in, it is whole: restore the expected one.
		"$BG" loopback-only --cgroup "$cg" --allow "10.0.0.$i" >/dev/null ||
			why="${why:-the next command failed after a kill}"
		check "links after kill $i" "$(nprogs)" "$(links_of "$cg")"
	done
	wait "$pid"
	check "binds through during 30 killed re-applies ($(cat "$out"))" 0 "$(sed -n 's/.*ok=\([0-9]*\).*/\1/p' "$out")"
	# Killed detach: either still fully policed or fully detached.
	for i in $(seq 10); do
		"$BG" detach --cgroup "$cg" >/dev/null 2>&1 &
		local c=$!
		sleep "0.0$((RANDOM % 10))"
		kill -KILL $c 2>/dev/null
		wait $c 2>/dev/null
		"$BG" status >/dev/null || why="${why:-status failed after a killed detach}"
		w=$(policy_word "$cg")
		if [ "$w" = none ]; then
			check "detached: binds allowed" ok "$(probe "$cg" bind 0.0.0.0 0 | awk '{ print $1 }')"
			check "detached: no links" 0 "$(links_of "$cg")"
		else
			check "still policed: binds denied" EPERM "$(probe "$cg" bind 0.0.0.0 0)"
			check "still policed: links" "$(nprogs)" "$(links_of "$cg")"
		fi
		"$BG" loopback-only --cgroup "$cg" >/dev/null || why="${why:-re-apply after a killed detach failed}"
	done
}

test_pins_removed_by_hand_recover() {
	local cg
	cg=$(mkcg pins)
	"$BG" loopback-only --cgroup "$cg" --allow 10.0.0.9 >/dev/null || { why="apply failed"; return; }
	rm "$PIN/bg_rules" "$PIN/bg_policies"
	# Reading commands refuse clearly; enforcement continues meanwhile.
	"$BG" status >/dev/null 2>"$WORK/pins.err"
	check "status with missing pins" 1 "$?"
	grep -q "incomplete (missing: bg_policies bg_rules)" "$WORK/pins.err" || why="${why:-unclear: $(cat "$WORK/pins.err")}"
	check "still enforced" EPERM "$(probe "$cg" bind 0.0.0.0 0)"
	# The next change re-pins the live maps: policy and exceptions intact.
	"$BG" loopback-only --cgroup "$(mkcg pins2)" >/dev/null 2>"$WORK/pins2.err" || { why="repair failed: $(cat "$WORK/pins2.err")"; return; }
	check "exceptions kept" "10.0.0.9" "$(policy_word "$cg")"
	check "exception still works (the trie kept)" EADDRNOTAVAIL "$(probe "$cg" bind 10.0.0.9 0)"
	check "trie pin back" 1 "$(ls "$PIN/bg_rules" >/dev/null 2>&1 && echo 1)"
	# A program pin removed: reloaded, links re-pointed, never a gap. The
	# reloaded programs reuse the pinned maps, the trie with its entries
	# included: cg's exception, not re-applied, holds.
	rm "$PIN/bind6"
	"$BG" loopback-only --cgroup "$(mkcg pins3)" >/dev/null 2>&1 || { why="${why:-repair of a program failed}"; return; }
	check "bind6 pin back" 1 "$(ls "$PIN/bind6" >/dev/null 2>&1 && echo 1)"
	check "exception kept across the reload" EADDRNOTAVAIL "$(probe "$cg" bind 10.0.0.9 0)"
	check "others still refused" EPERM "$(probe "$cg" bind 10.0.0.10 0)"
	check "IPv6 still enforced" EPERM "$(probe "$cg" --family 6 bind :: 0)"
}

test_removed_cgroup_with_queued_events() {
	local cg id out
	cg=$(mkcg queued)
	id=$(cgid "$cg")
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	for _ in 1 2 3; do probe "$cg" bind 0.0.0.0 0 >/dev/null; done
	rmdir "$CG2$cg" || { why="rmdir failed"; return; }
	out="$WORK/queued.events"
	# Queued before any reader: the shared stream's backlog has them.
	start_events "$out" --backlog || { why="events reader did not start"; return; }
	sleep 0.5
	stop_events
	check "events of the removed cgroup, cgroup null" "3 None" "$(python3 -c "import json
es = [e for e in map(json.loads, open('$out')) if e.get('cgroup_id') == $id]
print(len(es), es[0]['cgroup'] if es else '-')")"
	check "policy gone" 0 "$("$BG" --json status | jq_py "sum(p['cgroup_id'] == $id for p in d['policies'])")"
}

test_full_disk_and_closed_pipe() {
	local cg rc
	cg=$(mkcg fulldisk)
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	"$BG" events >/dev/full 2>"$WORK/full.err" &
	local p=$!
	wait_for "$WORK/full.err" following
	probe "$cg" bind 0.0.0.0 0 >/dev/null
	for _ in $(seq 50); do kill -0 $p 2>/dev/null || break; sleep 0.1; done
	kill -INT $p 2>/dev/null
	wait $p
	rc=$?
	check "events to a full disk: exit code" 1 "$rc"
	grep -q "events: write: No space left on device" "$WORK/full.err" || why="${why:-message: $(cat "$WORK/full.err")}"
	"$BG" run --loopback-only --events /dev/full -- "$PROBE" bind 0.0.0.0 0 >/dev/null 2>"$WORK/runfull.err"
	rc=$?
	[ "$rc" -ne 0 ] || why="${why:-run with a full events file exited 0}"
	grep -q "writing events: No space left on device" "$WORK/runfull.err" || why="${why:-run message: $(cat "$WORK/runfull.err")}"
}

test_hostile_sockaddrs_never_get_through() {
	local cg
	cg=$(mkcg hostile)
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	local res
	res=$(probe "$cg" fuzzbind 30000 "$RANDOM")
	[[ $res == *"escaped=0" ]] || why="a bind got through: $res"
	[[ $res == *" ok=0 "* ]] && why="${why:-no bind succeeded at all (the test proves nothing): $res}"
	check "policy still whole" "-" "$(policy_word "$cg")"
}

test_valgrind_event_path() {
	local cg rc
	command -v valgrind >/dev/null || { skip_test "valgrind not installed"; return; }
	ldd "$BG" 2>/dev/null | grep -q libasan && { skip_test "ASan build: valgrind and ASan do not mix (the plain build runs this)"; return; }
	cg=$(mkcg valgrind)
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	# libbpf 1.1 false positives are suppressed (see the file for why).
	valgrind -q --error-exitcode=9 --suppressions="$here/../valgrind.supp" \
		--leak-check=full --errors-for-leak-kinds=definite,indirect \
		"$BG" events --json >"$WORK/vg.out" 2>"$WORK/vg.err" &
	local p=$!
	wait_for "$WORK/vg.err" following || { why="events under valgrind did not start: $(cat "$WORK/vg.err")"; kill $p; return; }
	for _ in 1 2 3; do probe "$cg" bind 0.0.0.0 0 >/dev/null; done
	sleep 1.5
	kill -INT $p
	wait $p
	rc=$?
	check "valgrind exit code ($(grep -v following "$WORK/vg.err" | head -3))" 0 "$rc"
	check "events seen under valgrind" 3 "$(grep -c '"cgroup_id":'"$(cgid "$cg")" "$WORK/vg.out")"
}

# Applying exceptions writes the rule table through a shared mapping of a BPF
# map, and detaching frees its entries: both under valgrind, clean.
test_valgrind_apply_and_detach() {
	local cg rc
	command -v valgrind >/dev/null || { skip_test "valgrind not installed"; return; }
	ldd "$BG" 2>/dev/null | grep -q libasan && { skip_test "ASan build: valgrind and ASan do not mix (the plain build runs this)"; return; }
	cg=$(mkcg vgapply)
	local vg=(valgrind -q --error-exitcode=9 --suppressions="$here/../valgrind.supp"
		--leak-check=full --errors-for-leak-kinds=definite,indirect)
	"${vg[@]}" "$BG" loopback-only --cgroup "$cg" --allow 198.51.100.9 --allow 10.0.0.0/8:80 \
		>/dev/null 2>"$WORK/vgapply.err"
	rc=$?
	check "apply under valgrind ($(grep -v '^bindguard: note' "$WORK/vgapply.err" | head -3))" 0 "$rc"
	check "the table decides" EADDRNOTAVAIL "$(probe "$cg" bind 198.51.100.9 0)"
	"${vg[@]}" "$BG" detach --cgroup "$cg" >/dev/null 2>"$WORK/vgdetach.err"
	rc=$?
	check "detach under valgrind ($(head -3 "$WORK/vgdetach.err"))" 0 "$rc"
}

test_bpffs_unmounted_is_reported() {
	local out rc
	# In a private mount namespace only: the host keeps its bpffs.
	out=$(unshare -m sh -c 'umount -l /sys/fs/bpf 2>/dev/null; "$1" status' sh "$BG" 2>&1)
	rc=$?
	check "status without bpffs: exit code" 1 "$rc"
	[[ $out == *"no bpffs mounted at /sys/fs/bpf"* ]] || why="${why:-message: $out}"
}

# After a killed apply of loopback-only --allow RULE on CG: no policy and no
# links (binds allowed), or the whole policy with its links.
check_whole() {
	local cg=$1 rule=$2 w
	w=$(policy_word "$cg")
	if [ "$w" = none ]; then
		check "$cg no policy: binds allowed" ok "$(probe "$cg" bind 0.0.0.0 0 | awk '{ print $1 }')"
		check "$cg no policy: inert links removed" 0 "$(links_of "$cg")"
	else
		check "$cg whole policy" "$rule" "$w"
		check "$cg whole policy: denied" EPERM "$(probe "$cg" --family 6 bind :: 0)"
		check "$cg whole policy: links" "$(nprogs)" "$(links_of "$cg")"
	fi
}

test_sigkill_fresh_apply_all_or_nothing() {
	local cg i
	cg=$(mkcg killed-fresh)
	for i in $(seq 15); do
		"$BG" loopback-only --cgroup "$cg" --allow "10.0.1.$i" >/dev/null 2>&1 &
		local c=$!
		sleep "0.0$((RANDOM % 10))"
		kill -KILL $c 2>/dev/null
		wait $c 2>/dev/null
		"$BG" status >/dev/null || why="${why:-status failed after a killed apply}"
		check_whole "$cg" "10.0.1.$i"
		"$BG" detach --cgroup "$cg" >/dev/null 2>&1
	done
}

# One command for several cgroups, killed at any instant: each cgroup is whole
# (no policy and no links, or the whole policy with links); only the set may be
# mixed.
test_sigkill_many_cgroups_each_whole() {
	local cgs=() i cg args
	for i in 1 2 3; do cgs+=("$(mkcg killed-many/c$i)"); done
	for i in $(seq 12); do
		args=()
		for cg in "${cgs[@]}"; do args+=(--cgroup "$cg"); done
		"$BG" loopback-only "${args[@]}" --allow "10.0.2.$i" >/dev/null 2>&1 &
		local c=$!
		sleep "0.0$((RANDOM % 10))"
		kill -KILL $c 2>/dev/null
		wait $c 2>/dev/null
		"$BG" status >/dev/null || why="${why:-status failed after a killed apply}"
		for cg in "${cgs[@]}"; do check_whole "$cg" "10.0.2.$i"; done
		for cg in "${cgs[@]}"; do "$BG" detach --cgroup "$cg" >/dev/null 2>&1; done
	done
}

test_incompatible_state_refused() {
	local value orig out rc
	"$BG" loopback-only --cgroup "$(mkcg incompat)" >/dev/null || { why="apply failed"; return; }
	orig=$(bpftool map lookup pinned $PIN/bg_cfg key 0 0 0 0 -j | jq_py "' '.join(d['value'])")
	value=$(echo "$orig" | awk '{ $1 = "0x63"; print }') # abi 99
	# shellcheck disable=SC2086
	bpftool map update pinned $PIN/bg_cfg key 0 0 0 0 value $value || { why="map update failed"; return; }
	out=$("$BG" status 2>&1)
	rc=$?
	# shellcheck disable=SC2086
	bpftool map update pinned $PIN/bg_cfg key 0 0 0 0 value $orig
	check "status on ABI 99 state: exit code" 1 "$rc"
	[[ $out == *"has ABI 99"*"detach --all"* ]] || why="${why:-message: $out}"
	"$BG" status >/dev/null || why="${why:-status failed after restoring the ABI}"
}

# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# State: persistence, atomic re-apply, detach, removed cgroups, concurrency,
# other programs on the same cgroup, --pid.

test_persistence_after_cli_exits() {
	local cg
	cg=$(mkcg persist)
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	# The CLI has exited; the pinned links keep enforcing.
	check "links pinned" "$(nprogs)" "$(links_of "$cg")"
	expect_bind "$cg" EPERM bind 0.0.0.0 0
	check "bpftool sees the programs" "$(nprogs)" "$(bpftool cgroup show "$CG2$cg" | grep -c bg_)"
}

test_atomic_reapply_under_bind_loop() {
	local cg out i
	cg=$(mkcg atomic)
	"$BG" loopback-only --cgroup "$cg" --allow 10.0.0.1 >/dev/null || { why="apply failed"; return; }
	out="$WORK/atomic.out"
	bg_probe "$out" "$cg" loop 0.0.0.0 0 6
	local pid=$BGPID
	# Every policy below denies 0.0.0.0:0; none may let it through mid-change.
	for i in $(seq 30); do
		"$BG" loopback-only --cgroup "$cg" --allow "10.0.0.$((i % 5 + 2))" >/dev/null
		"$BG" deny-wildcard --cgroup "$cg" --allow "10.9.0.0/16:$((1000 + i))" >/dev/null
		"$BG" loopback-only --cgroup "$cg" --proto tcp >/dev/null
	done
	wait "$pid"
	local res
	res=$(cat "$out")
	check "binds that got through during 90 re-applies ($res)" 0 \
		"$(sed -n 's/.*ok=\([0-9]*\).*/\1/p' "$out")"
	[ "$(sed -n 's/.*denied=\([0-9]*\).*/\1/p' "$out")" -gt 100 ] ||
		why="${why:-the bind loop made too few attempts: $res}"
	check "rule entries of old policies removed" 1 "$(policy_field "$cg" "len(p['allow']) + 1")"
}

# Entries of the exceptions trie for one IPv4 address (as a /32).
trie_entries_for() {
	bpftool map dump pinned $PIN/bg_rules -j | jq_py "sum(e['formatted']['key']['prefixlen'] == 160 and bytes(e['formatted']['key']['addr'][12:]) == bytes(map(int, '$1'.split('.'))) for e in d)"
}

test_detach_leaves_nothing() {
	local cg id
	cg=$(mkcg detach)
	id=$(cgid "$cg")
	"$BG" loopback-only --cgroup "$cg" --allow 10.77.0.1 --allow 10.78.0.0/16 >/dev/null ||
		{ why="apply failed"; return; }
	check "exception entry stored" 1 "$(trie_entries_for 10.77.0.1)"
	# A bind from a child cgroup (earlier builds cached its resolution).
	mkcg detach/child >/dev/null
	expect_bind "$cg/child" EPERM bind 0.0.0.0 0
	"$BG" detach --cgroup "$cg" >/dev/null || { why="detach failed"; return; }
	check "link pins" 0 "$(links_of "$cg")"
	check "attached programs" 0 "$(bpftool cgroup show "$CG2$cg" | grep -c bg_)"
	check "listed in status" 0 "$("$BG" --json status | jq_py "sum(p['cgroup_id'] == $id for p in d['policies'])")"
	check "policy map entries" 0 "$(bpftool map dump pinned $PIN/bg_policies -j |
		jq_py "sum(e['formatted']['key'] == $id for e in d)")"
	check "exception entries" 0 "$(trie_entries_for 10.77.0.1)"
	# Policies live in the policies map alone: no cache or copy to purge.
	check "no resolution caches pinned" 0 "$(ls "$PIN" | grep -Ec '^(bg_resolve|bg_pol_store)$')"
	expect_bind "$cg" ok bind 0.0.0.0 0
	# Detaching again is a clear error.
	"$BG" detach --cgroup "$cg" >/dev/null 2>"$WORK/detach.err"
	check "second detach exit code" 2 "$?"
	grep -q "no bindguard policy" "$WORK/detach.err" || why="${why:-no clear message on second detach}"
}

test_removed_cgroup_leaves_no_state() {
	local cg id
	cg=$(mkcg removed)
	id=$(cgid "$cg")
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	rmdir "$CG2$cg" || { why="rmdir failed"; return; }
	"$BG" status >/dev/null
	check "link pins of the removed cgroup" 0 "$(ls $PIN/links | grep -c "^$id-")"
	check "listed in status" 0 "$("$BG" --json status | jq_py "sum(p['cgroup_id'] == $id for p in d['policies'])")"
}

test_concurrent_commands() {
	local i cgs=() pids=()
	for i in $(seq 8); do cgs+=("$(mkcg "conc$i")"); done
	for i in $(seq 8); do
		"$BG" loopback-only --cgroup "${cgs[$((i - 1))]}" >/dev/null &
		pids+=($!)
		"$BG" deny-wildcard --cgroup "${cgs[0]}" --allow "10.0.0.$i" >/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || why="${why:-a concurrent command failed}"; done
	for i in $(seq 8); do
		check "links of conc$i" "$(nprogs)" "$(links_of "${cgs[$((i - 1))]}")"
		check "programs on conc$i" "$(nprogs)" "$(bpftool cgroup show "$CG2${cgs[$((i - 1))]}" | grep -c bg_)"
	done
	check "conc1 holds one whole policy" ok "$(policy_field "${cgs[0]}" \
		"'ok' if (p['policy'], len(p['allow'])) in (('loopback-only', 0), ('deny-wildcard', 1)) else p")"
	for i in $(seq 100); do
		"$BG" loopback-only --cgroup "${cgs[1]}" --allow "10.0.$((i / 200)).$((i % 200 + 1))" >/dev/null ||
			why="${why:-apply $i of 100 failed}"
	done
	check "after 100 re-applies" "['10.0.0.101']" "$(policy_field "${cgs[1]}" "p['allow']")"
	local want got
	want=$("$BG" --json status | jq_py "sum(len(p['allow']) for p in d['policies'])")
	got=$(bpftool map dump pinned $PIN/bg_rule_src -j | python3 -c "import json, sys; print(len(json.load(sys.stdin)))")
	check "stored exceptions match the policies (no leftovers)" "$want" "$got"
}

test_other_programs_keep_working_and_exclusive_is_refused() {
	local cg ex
	cg=$(mkcg multi)
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	# Another multi-attach program on the same cgroup (bindguard's own bind4,
	# attached a second time by bpftool) runs alongside.
	bpftool cgroup attach "$CG2$cg" bind4 pinned $PIN/bind4 multi || { why="bpftool attach failed"; return; }
	check "programs on the cgroup" "$(($(nprogs) + 1))" "$(bpftool cgroup show "$CG2$cg" | grep -c bg_)"
	expect_bind "$cg" ok bind 127.0.0.1 0
	bpftool cgroup detach "$CG2$cg" bind4 pinned $PIN/bind4 multi
	# A legacy exclusive attachment makes bindguard fail clearly, changing nothing.
	ex=$(mkcg exclusive)
	bpftool cgroup attach "$CG2$ex" bind6 pinned $PIN/bind6 || { why="bpftool attach failed"; return; }
	"$BG" loopback-only --cgroup "$ex" >/dev/null 2>"$WORK/excl.err"
	check "exit code with an exclusive program" 1 "$?"
	grep -q "non-multi" "$WORK/excl.err" || why="${why:-unclear error: $(cat "$WORK/excl.err")}"
	check "nothing left applied" 0 "$(links_of "$ex")"
	check "not listed" None "$(policy_field "$ex" p)"
	bpftool cgroup detach "$CG2$ex" bind6 pinned $PIN/bind6
}

test_pid_target() {
	local cg out pid
	cg=$(mkcg bypid)
	out="$WORK/pid.out"
	bg_probe "$out" "$cg" serve 127.0.0.1 0
	pid=$BGPID
	wait_for "$out" listening || { why="helper did not start"; return; }
	"$BG" loopback-only --pid "$pid" >/dev/null || { why="apply by pid failed"; return; }
	check "policy on the pid's cgroup" loopback-only "$(policy_field "$cg" "p['policy']")"
	stop_pid "$pid"
}

test_upgrade_replaces_programs_in_place() {
	local cg other ex wild out before after value port
	cg=$(mkcg upgrade)
	other=$(mkcg upgrade-other)
	ex=$(mkcg upgrade-exceptions)
	wild=$(mkcg upgrade-wildcard-exception)
	port=$(free_port)
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	"$BG" loopback-only --cgroup "$ex" --allow 198.51.100.7 >/dev/null || { why="apply exceptions failed"; return; }
	"$BG" loopback-only --cgroup "$wild" --allow "0.0.0.0:$port" >/dev/null || { why="apply wildcard exception failed"; return; }
	# Older builds kept wildcard-only exceptions in the policy value, not in
	# the trie (helpers of t_address.sh): the upgrade compiles them into the
	# trie from the source rules.
	check "trie entries of the wildcard exception, removed" 0 \
		"$(delete_ruleset_entries bg_rules 4 "$(policy_value "$wild" ruleset)")"
	expect_bind "$wild" EPERM bind 0.0.0.0 "$port"
	bpftool map create "$PIN/bg_rules_exact" type hash key 20 value 68 entries 16 \
		name bg_rules_exact || { why="create an old exact-match map failed"; return; }
	before=$(bpftool link show pinned "$PIN/links/$(cgid "$cg")-bind4" -j | jq_py "d['prog_id']")
	# Pretend the pinned programs came from another build.
	value=$(bpftool map lookup pinned $PIN/bg_cfg key 0 0 0 0 -j |
		jq_py "' '.join(d['value'][:16] + ['0x00'] * 8)")
	# shellcheck disable=SC2086
	bpftool map update pinned $PIN/bg_cfg key 0 0 0 0 value $value || { why="map update failed"; return; }
	# Older builds also pinned a walk cache and extra bind programs (for
	# deny-wildcard subtrees, and frozen pairs under frozen/; stand-ins
	# here), which this one drops.
	bpftool map create "$PIN/bg_resolve" type lru_hash key 8 value 16 entries 16 \
		name bg_resolve || { why="create an old walk cache failed"; return; }
	bpftool prog pin id "$before" "$PIN/bind4_dw" || { why="pin an old _dw program failed"; return; }
	mkdir -p "$PIN/frozen" && bpftool prog pin id "$before" "$PIN/frozen/0123-bind4" ||
		{ why="pin an old frozen program failed"; return; }
	out="$WORK/upgrade.out"
	bg_probe "$out" "$cg" loop 0.0.0.0 0 2
	local pid=$BGPID
	sleep 0.5
	# The next change loads this build's programs and re-points every link.
	"$BG" loopback-only --cgroup "$other" >/dev/null || { why="apply after upgrade failed"; return; }
	wait "$pid"
	after=$(bpftool link show pinned "$PIN/links/$(cgid "$cg")-bind4" -j | jq_py "d['prog_id']")
	[ "$before" != "$after" ] || why="link still runs program $before"
	check "program pin matches the link" "$after" \
		"$(bpftool prog show pinned $PIN/bind4 -j | jq_py "d['id']")"
	check "binds through during the upgrade ($(cat "$out"))" 0 "$(sed -n 's/.*ok=\([0-9]*\).*/\1/p' "$out")"
	check "the other link runs the new program" "$after" \
		"$(bpftool link show pinned "$PIN/links/$(cgid "$ex")-bind4" -j | jq_py "d['prog_id']")"
	expect_bind "$ex" EADDRNOTAVAIL bind 198.51.100.7 0
	expect_bind "$ex" EPERM bind 198.51.100.8 0
	expect_bind "$wild" ok bind 0.0.0.0 "$port"
	expect_bind "$wild" EPERM bind 0.0.0.0 0
	check "old pins removed" 0 "$(ls "$PIN" | grep -Ec '^(bg_resolve|bg_rules_exact|bind4_dw|frozen)$')"
	check "build recorded" 1 "$(bpftool map lookup pinned $PIN/bg_cfg key 0 0 0 0 -j | jq_py "int(d['formatted']['value']['build'] != 0)")"
}

# A state written by an older build that had one hook fewer (here: the
# backstop's ingress, its program and links unpinned, the build hash cleared)
# is an upgrade, not damage: status reads it with a note, and the next policy
# command loads this build's programs and links the new hook to every policy.
test_upgrade_from_a_build_without_a_hook() {
	local cg other value out rc
	cg=$(mkcg uphook)
	other=$(mkcg uphook2)
	"$BG" loopback-only --cgroup "$cg" >/dev/null 2>&1 || { why="apply failed"; return; }
	value=$(bpftool map lookup pinned $PIN/bg_cfg key 0 0 0 0 -j |
		jq_py "' '.join(d['value'][:16] + ['0x00'] * 8)")
	# shellcheck disable=SC2086
	bpftool map update pinned $PIN/bg_cfg key 0 0 0 0 value $value || { why="map update failed"; return; }
	rm -f "$PIN/ingress" "$PIN/links/$(cgid "$cg")-ingress"
	out="$WORK/uphook.err"
	"$BG" status >/dev/null 2>"$out"
	rc=$?
	check "status on the older state: exit status" 0 "$rc"
	check "status says where the programs come from" 1 "$(grep -c 'older bindguard build (no ingress)' "$out")"
	"$BG" loopback-only --cgroup "$other" >/dev/null 2>"$out" || { why="apply after the upgrade: $(cat "$out")"; return; }
	check "no repair message" 0 "$(grep -c 'incomplete' "$out")"
	check "the older policy got the new hook" "$(nprogs)" "$(links_of "$cg")"
	check "the new program is pinned" 1 "$(ls "$PIN" | grep -cx ingress)"
}

# detach --all --if-unused removes the state only while no policy is in force
# (for cleanup scripts: the demo's, the suite's own), and exits 0 either way.
test_detach_all_if_unused() {
	local cg
	cg=$(mkcg ifunused)
	"$BG" loopback-only --cgroup "$cg" >/dev/null 2>&1 || { why="apply failed"; return; }
	"$BG" detach --all --if-unused 2>"$WORK/ifunused.err"
	check "exit with a policy in force" 0 "$?"
	check "policy kept" loopback-only "$(policy_field "$cg" "p and p['policy']")"
	check "says why it kept the state" yes "$(grep -q 'policies are in force' "$WORK/ifunused.err" && echo yes)"
	"$BG" detach --cgroup "$cg" >/dev/null
	if [ "$("$BG" --json status | jq_py "len(d['policies'])")" = 0 ]; then
		"$BG" detach --all --if-unused
		check "exit without policies" 0 "$?"
		check "state removed" no "$([ -e "$PIN" ] && echo yes || echo no)"
	fi
	"$BG" detach --cgroup "$cg" --if-unused 2>/dev/null
	check "--if-unused without --all" 2 "$?"
}

# detach says what it did, in text and JSON; a cgroup without a policy is a
# usage error that changes nothing, unless --missing-ok skips it.
test_detach_output_and_missing_ok() {
	local a b out
	a=$(mkcg detach-out-a)
	b=$(mkcg detach-out-b)
	"$BG" loopback-only --cgroup "$a" >/dev/null 2>&1 || { why="apply failed"; return; }
	"$BG" detach --cgroup "$a" --cgroup "$b" >/dev/null 2>"$WORK/dout.err"
	check "detach with one unpoliced: exit" 2 "$?"
	check "nothing changed" loopback-only "$(policy_field "$a" "p and p['policy']")"
	out=$("$BG" --json detach --cgroup "$a" --cgroup "$b" --missing-ok)
	check "--missing-ok exit" 0 "$?"
	check "--missing-ok JSON" "[('$a', True), ('$b', False)]" "$(python3 -c "import json, sys
print([(d['cgroup'], d['detached']) for d in map(json.loads, sys.stdin.read().splitlines())])" <<<"$out")"
	check "detached" None "$(policy_field "$a" "p")"
	"$BG" loopback-only --cgroup "$a" >/dev/null 2>&1
	check "text" "$a: detached" "$("$BG" detach --cgroup "$a")"
}

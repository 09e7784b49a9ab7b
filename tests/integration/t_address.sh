# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Address classes under both presets, TCP and UDP, v6only and dual-stack.

# expect_bind CG WANT PROBE-ARGS...: WANT is ok or an errno name.
expect_bind() {
	local cg=$1 want=$2 got
	shift 2
	got=$(probe "$cg" "$@" | awk '{ print $1 }')
	check "bind $* in $cg" "$want" "$got"
}

# The result of the same bind outside any policy (EADDRNOTAVAIL for an
# address this host does not have): a policy must turn it into EPERM.
baseline() { "$PROBE" "$@" | awk '{ print $1 }'; }

test_loopback_only_address_classes() {
	local cg p
	cg=$(mkcg lo-classes)
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	for p in tcp udp; do
		expect_bind "$cg" ok --proto $p bind 127.0.0.1 0
		expect_bind "$cg" ok --proto $p bind 127.1.2.3 0
		expect_bind "$cg" ok --proto $p --family 6 bind ::1 0
		expect_bind "$cg" ok --proto $p --family 6 --v6only 0 bind ::ffff:127.0.0.1 0
		expect_bind "$cg" EPERM --proto $p bind 0.0.0.0 0
		expect_bind "$cg" EPERM --proto $p bind 0.0.0.0 "$(free_port)"
		expect_bind "$cg" EPERM --proto $p --family unspec bind 0.0.0.0 0
		expect_bind "$cg" EPERM --proto $p --family 6 --v6only 0 bind :: 0
		expect_bind "$cg" EPERM --proto $p --family 6 --v6only 1 bind :: 0
		expect_bind "$cg" EPERM --proto $p --family 6 --v6only 0 bind ::ffff:0.0.0.0 0
		# Specific non-loopback addresses (this host has none of these).
		check "baseline 10.1.2.3" EADDRNOTAVAIL "$(baseline --proto $p bind 10.1.2.3 0)"
		expect_bind "$cg" EPERM --proto $p bind 10.1.2.3 0
		expect_bind "$cg" EPERM --proto $p bind 192.168.77.1 0
		expect_bind "$cg" EPERM --proto $p --family 6 bind fd00::1 0
		expect_bind "$cg" EPERM --proto $p --family 6 --v6only 0 bind ::ffff:10.1.2.3 0
		expect_bind "$cg" EPERM --proto $p --family 6 bind ::127.0.0.1 0
	done
	expect_bind "$cg" ok --proto udplite bind 127.0.0.1 0
	expect_bind "$cg" EPERM --proto udplite bind 0.0.0.0 0
	expect_bind "$cg" ok --proto mptcp bind 127.0.0.1 0
	expect_bind "$cg" EPERM --proto mptcp bind 0.0.0.0 0
	expect_bind "$cg" EPERM --proto mptcp --family 6 bind :: 0
}

test_deny_wildcard_address_classes() {
	local cg p
	cg=$(mkcg dw-classes)
	"$BG" deny-wildcard --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	for p in tcp udp; do
		expect_bind "$cg" ok --proto $p bind 127.0.0.1 0
		expect_bind "$cg" ok --proto $p --family 6 bind ::1 0
		expect_bind "$cg" EPERM --proto $p bind 0.0.0.0 0
		expect_bind "$cg" EPERM --proto $p bind 0.0.0.0 "$(free_port)"
		expect_bind "$cg" EPERM --proto $p --family unspec bind 0.0.0.0 0
		expect_bind "$cg" EPERM --proto $p --family 6 --v6only 0 bind :: 0
		expect_bind "$cg" EPERM --proto $p --family 6 --v6only 1 bind :: 0
		expect_bind "$cg" EPERM --proto $p --family 6 --v6only 0 bind ::ffff:0.0.0.0 0
		# A specific address passes the policy; the kernel then refuses it
		# because this host does not have it.
		expect_bind "$cg" EADDRNOTAVAIL --proto $p bind 10.1.2.3 0
	done
	expect_bind "$cg" EPERM --proto mptcp bind 0.0.0.0 0
}

test_exceptions() {
	local cg port other port6
	cg=$(mkcg exceptions)
	port=$(free_port)
	other=$(free_port)
	port6=$(free_port 6)
	"$BG" loopback-only --cgroup "$cg" --allow "0.0.0.0:$port" --allow 10.1.2.3 \
		--allow 192.168.0.0/16:8000-8099 --allow "[::]:$port6" --allow '[fd00::/8]' \
		>/dev/null || { why="apply failed"; return; }
	expect_bind "$cg" ok bind 0.0.0.0 "$port"
	expect_bind "$cg" EPERM bind 0.0.0.0 "$other"
	expect_bind "$cg" EPERM bind 0.0.0.0 0
	expect_bind "$cg" EADDRNOTAVAIL bind 10.1.2.3 0
	expect_bind "$cg" EADDRNOTAVAIL bind 10.1.2.3 4444
	expect_bind "$cg" EPERM bind 10.1.2.4 0
	expect_bind "$cg" EADDRNOTAVAIL bind 192.168.44.5 8050
	expect_bind "$cg" EPERM bind 192.168.44.5 8100
	expect_bind "$cg" EPERM bind 192.169.0.1 8050
	expect_bind "$cg" ok --family 6 --v6only 0 bind :: "$port6"
	expect_bind "$cg" EPERM --family 6 bind :: "$other"
	expect_bind "$cg" EADDRNOTAVAIL --family 6 bind fd12::1 0
	expect_bind "$cg" EPERM --family 6 bind fe80::1 0
	# An IPv4 rule covers the same address bound IPv4-mapped.
	expect_bind "$cg" EADDRNOTAVAIL --family 6 --v6only 0 bind ::ffff:10.1.2.3 0
	check "status allow list" \
		"['0.0.0.0:$port', '10.1.2.3', '192.168.0.0/16:8000-8099', '[::]:$port6', '[fd00::/8]']" \
		"$(policy_field "$cg" "p['allow']")"
}

test_any_address_exception() {
	local cg port
	cg=$(mkcg any-exception)
	port=$(free_port)
	"$BG" deny-wildcard --cgroup "$cg" --allow "*:$port" >/dev/null || { why="apply failed"; return; }
	expect_bind "$cg" ok bind 0.0.0.0 "$port"
	expect_bind "$cg" EPERM bind 0.0.0.0 0
}

# Up to four exact-address exceptions travel in the policy itself (no rule map
# read); a fifth sends the policy to the maps. Both must decide alike.
test_exact_exceptions_inline_and_in_maps() {
	local small big port rules
	small=$(mkcg exact-inline)
	big=$(mkcg exact-maps)
	port=$(free_port)
	rules=(--allow 198.51.100.1:1000 --allow 198.51.100.1:2000-2001 --allow 198.51.100.2
		--allow '[2001:db8::1]:3000' --allow "0.0.0.0:$port")
	"$BG" loopback-only --cgroup "$small" "${rules[@]}" >/dev/null || { why="apply small failed"; return; }
	"$BG" loopback-only --cgroup "$big" "${rules[@]}" --allow 198.51.100.3 >/dev/null ||
		{ why="apply big failed"; return; }
	for cg in "$small" "$big"; do
		expect_bind "$cg" EADDRNOTAVAIL bind 198.51.100.1 1000
		expect_bind "$cg" EADDRNOTAVAIL bind 198.51.100.1 2001
		expect_bind "$cg" EPERM bind 198.51.100.1 1001
		expect_bind "$cg" EPERM bind 198.51.100.1 1999
		expect_bind "$cg" EADDRNOTAVAIL bind 198.51.100.2 4242
		expect_bind "$cg" EPERM bind 198.51.100.9 1000
		expect_bind "$cg" EADDRNOTAVAIL --family 6 bind 2001:db8::1 3000
		expect_bind "$cg" EPERM --family 6 bind 2001:db8::1 3001
		expect_bind "$cg" EPERM --family 6 bind 2001:db8::2 3000
		expect_bind "$cg" ok bind 0.0.0.0 "$port"
		expect_bind "$cg" EPERM bind 0.0.0.0 0
	done
	expect_bind "$small" EPERM bind 198.51.100.3 0
	expect_bind "$big" EADDRNOTAVAIL bind 198.51.100.3 0
	# Only the policy whose exceptions do not fit has map entries.
	check "exact map entries (big only)" 1 "$(exact_entries_for 198.51.100.2)"
}

# Beyond what the table holds, the policy still carries its decision for the
# wildcards (every spelling), computed over all the rules; other addresses go
# to the maps. Both must decide as the rules say, whatever the rule count.
test_wildcards_decided_in_the_policy() {
	local cg port port6 rules=() i id
	cg=$(mkcg wild-inline)
	port=$(free_port)
	port6=$(free_port 6)
	for i in $(seq 1 40); do rules+=(--allow "198.51.$i.0/24:8000-8099"); done
	"$BG" loopback-only --cgroup "$cg" --allow "*:$port" --allow "[::]:$port6" "${rules[@]}" \
		>/dev/null || { why="apply failed"; return; }
	id=$(cgid "$cg")
	# Two wildcards carried; the maps hold exact entries and prefixes.
	check "wildcard decisions carried (count, flags)" "2 6" \
		"$(bpftool map dump pinned $PIN/bg_policies -j | jq_py "' '.join(str(v[k]) for v in
			[e['formatted']['value'] for e in d if e['formatted']['key'] == $id] for k in ('ninline', 'inl_flags'))")"
	expect_bind "$cg" ok bind 0.0.0.0 "$port"
	expect_bind "$cg" ok --family 6 bind ::ffff:0.0.0.0 "$port"
	expect_bind "$cg" EPERM bind 0.0.0.0 0
	expect_bind "$cg" ok --family 6 bind :: "$port6"
	expect_bind "$cg" EPERM --family 6 bind :: 0
	# "*:PORT" covers [::] too.
	expect_bind "$cg" ok --family 6 bind :: "$port"
	# Specific addresses: the maps decide.
	expect_bind "$cg" EADDRNOTAVAIL bind 198.51.7.1 8050
	expect_bind "$cg" EPERM bind 198.51.7.1 8100
	expect_bind "$cg" EADDRNOTAVAIL bind 198.51.100.1 "$port"
	# The programs take the wildcard's decision from the policy, not the maps:
	# with this ruleset's "*" trie entry gone, 0.0.0.0:PORT still binds while an
	# address only that entry admitted no longer does.
	local key
	key=$(bpftool map dump pinned $PIN/bg_policies -j | jq_py "' '.join(str(b) for b in
		(32).to_bytes(4, 'little') + [e['formatted']['value']['ruleset'] for e in d
		if e['formatted']['key'] == $id][0].to_bytes(4, 'little') + bytes(16))")
	bpftool map delete pinned $PIN/bg_rules key $key || { why="delete the trie entry failed"; return; }
	expect_bind "$cg" EPERM bind 198.51.100.1 "$port"
	expect_bind "$cg" ok bind 0.0.0.0 "$port"
	expect_bind "$cg" ok --family 6 bind :: "$port"
	# A wildcard no rule covers is decided in the policy too: refused.
	"$BG" deny-wildcard --cgroup "$cg" "${rules[@]}" >/dev/null || { why="re-apply failed"; return; }
	expect_bind "$cg" EPERM bind 0.0.0.0 8050
	expect_bind "$cg" EPERM --family 6 bind :: 8050
	expect_bind "$cg" EADDRNOTAVAIL bind 198.51.100.1 0
}

# Loopback binds are allowed before any map is read, so the allowed counter
# counts only the binds the policy decided (here, one exception).
test_allowed_counts_policy_decisions() {
	local cg
	cg=$(mkcg counted)
	"$BG" loopback-only --cgroup "$cg" --allow 192.0.2.1 >/dev/null || { why="apply failed"; return; }
	check "loopback bind" ok "$(probe "$cg" bind 127.0.0.1 0 | awk '{ print $1 }')"
	check "loopback binds not counted" 0 "$(policy_field "$cg" "p['counters']['allowed']")"
	# 192.0.2.1 is on no interface: the kernel refuses it after the hook allowed it.
	check "exception bind passes the hook" EADDRNOTAVAIL "$(probe "$cg" bind 192.0.2.1 0 | awk '{ print $1 }')"
	check "policy-decided allow counted" 1 "$(policy_field "$cg" "p['counters']['allowed']")"
}

test_proto_selection() {
	local cg
	cg=$(mkcg proto-tcp)
	"$BG" loopback-only --cgroup "$cg" --proto tcp >/dev/null || { why="apply failed"; return; }
	expect_bind "$cg" EPERM --proto tcp bind 0.0.0.0 0
	expect_bind "$cg" EPERM --proto mptcp bind 0.0.0.0 0
	expect_bind "$cg" ok --proto udp bind 0.0.0.0 0
	"$BG" loopback-only --cgroup "$cg" --proto udp >/dev/null || { why="re-apply failed"; return; }
	expect_bind "$cg" ok --proto tcp bind 0.0.0.0 0
	expect_bind "$cg" EPERM --proto udp bind 0.0.0.0 0
	expect_bind "$cg" EPERM --proto udplite bind 0.0.0.0 0
	check "status proto" udp "$(policy_field "$cg" "p['proto']")"
}

test_audit_mode() {
	local cg out
	cg=$(mkcg audit)
	"$BG" loopback-only --cgroup "$cg" --mode audit >/dev/null || { why="apply failed"; return; }
	out="$WORK/audit.events"
	start_events "$out" --cgroup "$cg" || { why="events reader did not start"; return; }
	expect_bind "$cg" ok bind 0.0.0.0 0
	sleep 0.3
	stop_events
	check "audit event" "audit 0.0.0.0 wildcard" "$(python3 -c "import json
for l in open('$out'):
    e = json.loads(l)
    if e['type'] == 'bind':
        print(e['verdict'], e['addr'], e['reason'])" | head -1)"
	check "audited counter" 1 "$(policy_field "$cg" "p['counters']['audited']")"
	check "denied counter" 0 "$(policy_field "$cg" "p['counters']['denied']")"
}

test_rewrite_mode() {
	local cg port out
	cg=$(mkcg rewrite)
	"$BG" loopback-only --cgroup "$cg" --mode rewrite >/dev/null || { why="apply failed"; return; }
	check "0.0.0.0 -> 127.0.0.1" "ok 127.0.0.1" "$(probe "$cg" bind 0.0.0.0 0 | awk '{ print $1, $3 }')"
	# AF_UNSPEC is only valid with INADDR_ANY: not rewritable, so denied.
	check "AF_UNSPEC any" EPERM "$(probe "$cg" --family unspec bind 0.0.0.0 0)"
	check "::ffff:0.0.0.0 -> ::ffff:127.0.0.1" "ok ::ffff:127.0.0.1" \
		"$(probe "$cg" --family 6 --v6only 0 bind ::ffff:0.0.0.0 0 | awk '{ print $1, $3 }')"
	check "v6only :: -> ::1" "ok ::1" "$(probe "$cg" --family 6 --v6only 1 bind :: 0 | awk '{ print $1, $3 }')"
	check "specific address still denied" EPERM "$(probe "$cg" bind 10.1.2.3 0)"
	check "udp 0.0.0.0 -> 127.0.0.1" "ok 127.0.0.1" "$(probe "$cg" --proto udp bind 0.0.0.0 0 | awk '{ print $1, $3 }')"
	# Dual-stack :: keeps its address, tied to lo: both loopback families reach it.
	out="$WORK/rewrite.serve"
	port=$(free_port 6)
	bg_probe "$out" "$cg" --family 6 --v6only 0 serve :: "$port"
	wait_for "$out" listening || { why="dual-stack listener did not start: $(cat "$out")"; return; }
	check "dual-stack listener tied to lo" "dev=1" "$(awk '/listening/ { print $4 }' "$out")"
	check "IPv4 loopback client" ok "$("$PROBE" connect 127.0.0.1 "$port")"
	check "IPv6 loopback client" ok "$("$PROBE" connect ::1 "$port")"
	stop_pid "$BGPID"
	out="$WORK/rewrite4.serve"
	bg_probe "$out" "$cg" serve 0.0.0.0 0
	wait_for "$out" listening || { why="IPv4 listener did not start"; return; }
	port=$(awk '{ print $2 }' "$out")
	check "IPv4 listener" "127.0.0.1:$port" "$(ss -ltnH "sport = :$port" | awk '{ print $4 }')"
	check "IPv4 loopback client" ok "$("$PROBE" connect 127.0.0.1 "$port")"
	stop_pid "$BGPID"
	check "rewritten counter" 6 "$(policy_field "$cg" "p['counters']['rewritten']")"
	check "denied counter" 2 "$(policy_field "$cg" "p['counters']['denied']")"
}

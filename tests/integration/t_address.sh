# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Address classes under both presets, TCP and UDP, v6only and dual-stack.

# expect_bind CG WANT PROBE-ARGS...: WANT is ok or an errno name.
expect_bind() {
	local cg=$1 want=$2 got
	shift 2
	got=$(probe "$cg" "$@" | awk '{ print $1 }')
	check "bind $* in $cg" "$want" "$got"
}

# Fields of the policy value stored for cgroup CG, space-separated:
# policy_value CG FIELD...
policy_value() {
	local id
	id=$(cgid "$1")
	shift
	bpftool map dump pinned $PIN/bg_policies -j | jq_py "' '.join(str(v[k]) for v in
		[e['formatted']['value'] for e in d if e['formatted']['key'] == $id] for k in '$*'.split())"
}

# Delete from MAP every entry of ruleset RS, which its key holds at byte OFF
# (the rule maps of bindguard's state, as a test of what reads them).
delete_ruleset_entries() { # delete_ruleset_entries MAP OFF RS; prints how many are left
	local map=$1 off=$2 rs=$3 k
	local sel="[e['key'] for e in d if int.from_bytes(bytes(int(x, 16) for x in e['key'][$off:$off + 4]), 'little') == $rs]"
	while read -r k; do
		[ -n "$k" ] && bpftool map delete pinned "$PIN/$map" key $k
	done < <(bpftool map dump pinned "$PIN/$map" -j |
		jq_py "'\\n'.join(' '.join(str(int(x, 16)) for x in k) for k in $sel)")
	bpftool map dump pinned "$PIN/$map" -j | jq_py "len($sel)"
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
	if udplite_supported; then
		expect_bind "$cg" ok --proto udplite bind 127.0.0.1 0
		expect_bind "$cg" EPERM --proto udplite bind 0.0.0.0 0
	else
		echo "NOTE $current: this kernel has no UDP-Lite (EPROTONOSUPPORT): not checked"
	fi
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
	expect_bind "$cg" ok --family 6 bind :: "$port"
	expect_bind "$cg" EPERM bind 0.0.0.0 0
	# Wildcards only, IPv4: :: is no longer admitted.
	"$BG" deny-wildcard --cgroup "$cg" --allow "0.0.0.0:$port" >/dev/null || { why="re-apply failed"; return; }
	expect_bind "$cg" ok bind 0.0.0.0 "$port"
	expect_bind "$cg" ok --family 6 bind ::ffff:0.0.0.0 "$port"
	expect_bind "$cg" EPERM --family 6 bind :: "$port"
	expect_bind "$cg" EPERM bind 0.0.0.0 0
	"$BG" status | grep -q "exceptions looked up in" && why="${why:-status still names an exception tier}"
}

# Exact addresses and prefixes of several lengths, few or many: one trie
# lookup decides them all alike.
test_exact_and_prefix_exceptions() {
	local small big port rules
	small=$(mkcg exact-few)
	big=$(mkcg exact-many)
	port=$(free_port)
	rules=(--allow 198.51.100.1:1000 --allow 198.51.100.1:2000-2001 --allow 198.51.100.2
		--allow '[2001:db8::1]:3000' --allow "0.0.0.0:$port")
	"$BG" loopback-only --cgroup "$small" "${rules[@]}" >/dev/null || { why="apply small failed"; return; }
	"$BG" loopback-only --cgroup "$big" "${rules[@]}" --allow 198.51.100.3 \
		--allow 203.0.113.0/24:1 --allow 203.0.113.0/25:1 --allow 203.0.113.0/26:1 \
		--allow 203.0.113.0/27:1 >/dev/null || { why="apply big failed"; return; }
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
	expect_bind "$big" EADDRNOTAVAIL bind 203.0.113.9 1
	expect_bind "$big" EPERM bind 203.0.113.9 2
}

# The wildcards in every spelling, among many rules: decided by the trie like
# any address. "*:PORT" is one entry (::/0) whose ports every longer entry
# carries too (compile merges them): with it deleted, both the wildcard and
# an address only it admitted are refused, while :: keeps its own entry.
test_wildcards_among_many_rules() {
	local cg port port6 rules=() i key
	cg=$(mkcg wild-many)
	port=$(free_port)
	port6=$(free_port 6)
	for i in $(seq 1 40); do rules+=(--allow "198.51.$i.0/24:8000-8099"); done
	"$BG" loopback-only --cgroup "$cg" --allow "*:$port" --allow "[::]:$port6" "${rules[@]}" \
		--allow 203.0.113.0/25:1 --allow 203.0.113.0/26:1 \
		>/dev/null || { why="apply failed"; return; }
	expect_bind "$cg" ok bind 0.0.0.0 "$port"
	expect_bind "$cg" ok --family 6 bind ::ffff:0.0.0.0 "$port"
	expect_bind "$cg" EPERM bind 0.0.0.0 0
	expect_bind "$cg" ok --family 6 bind :: "$port6"
	expect_bind "$cg" EPERM --family 6 bind :: 0
	expect_bind "$cg" ok --family 6 bind :: "$port" # "*:PORT" covers [::] too
	expect_bind "$cg" EADDRNOTAVAIL bind 198.51.7.1 8050
	expect_bind "$cg" EPERM bind 198.51.7.1 8100
	expect_bind "$cg" EADDRNOTAVAIL bind 198.51.100.1 "$port"
	key=$(python3 -c "import sys
print(' '.join(map(str, (32).to_bytes(4, 'little') + int(sys.argv[1]).to_bytes(4, 'little') + bytes(16))))" \
		"$(policy_value "$cg" ruleset)")
	bpftool map delete pinned $PIN/bg_rules key $key || { why="delete the trie entry failed"; return; }
	expect_bind "$cg" EPERM bind 198.51.100.1 "$port"
	expect_bind "$cg" EPERM bind 0.0.0.0 "$port"
	expect_bind "$cg" ok --family 6 bind :: "$port" # [::]:port6's entry carries "*"'s ports
	expect_bind "$cg" EADDRNOTAVAIL bind 198.51.7.1 8050
	# A wildcard no rule covers: refused.
	"$BG" deny-wildcard --cgroup "$cg" "${rules[@]}" >/dev/null || { why="re-apply failed"; return; }
	expect_bind "$cg" EPERM bind 0.0.0.0 8050
	expect_bind "$cg" EPERM --family 6 bind :: 8050
	expect_bind "$cg" EADDRNOTAVAIL bind 198.51.100.1 0
}

# The trie is the only place the programs look for exceptions: with this
# policy's entries deleted from it, every address its rules admitted is
# refused, and no other rule map exists.
test_exceptions_only_in_the_trie() {
	local cg port rules=() i rs
	cg=$(mkcg trie-only)
	port=$(free_port)
	for i in $(seq 1 30); do rules+=(--allow "198.51.$i.0/24:8000-8099"); done
	"$BG" loopback-only --cgroup "$cg" --allow 198.51.100.71 --allow "198.51.100.81:$port" \
		--allow '[2001:db8::5]:443' --allow '[2001:db8:1::/48]:53' --allow "0.0.0.0:$port" \
		"${rules[@]}" >/dev/null || { why="apply failed"; return; }
	expect_bind "$cg" EADDRNOTAVAIL bind 198.51.100.71 4242
	expect_bind "$cg" EADDRNOTAVAIL bind 198.51.17.9 8099
	expect_bind "$cg" EADDRNOTAVAIL --family 6 bind 2001:db8:1:2::9 53
	expect_bind "$cg" ok bind 0.0.0.0 "$port"
	check "rule maps pinned" "bg_rule_src bg_rules" "$(echo $(ls "$PIN" | grep -E '^bg_rule'))"
	rs=$(policy_value "$cg" ruleset)
	check "trie entries left" 0 "$(delete_ruleset_entries bg_rules 4 "$rs")"
	expect_bind "$cg" EPERM bind 198.51.100.71 4242
	expect_bind "$cg" EPERM bind 198.51.100.81 "$port"
	expect_bind "$cg" EPERM bind 198.51.17.9 8099
	expect_bind "$cg" EPERM --family 6 bind 2001:db8::5 443
	expect_bind "$cg" EPERM --family 6 bind 2001:db8:1:2::9 53
	expect_bind "$cg" EPERM bind 0.0.0.0 "$port"
	"$BG" detach --cgroup "$cg" >/dev/null || why="${why:-detach failed}"
}

# Nested prefixes: the longest match decides, with the ports of every rule
# that contains it.
test_nested_prefixes() {
	local cg2
	cg2=$(mkcg nested-prefixes)
	"$BG" loopback-only --cgroup "$cg2" --allow 198.51.100.71 --allow 198.51.0.0/16:80 \
		--allow 198.0.0.0/8:81 --allow 198.51.100.0/24:82 --allow 198.51.100.0/25:83 \
		>/dev/null || { why="apply failed"; return; }
	expect_bind "$cg2" EADDRNOTAVAIL bind 198.51.100.71 9
	expect_bind "$cg2" EADDRNOTAVAIL bind 198.51.100.9 83
	expect_bind "$cg2" EADDRNOTAVAIL bind 198.51.100.200 82
	expect_bind "$cg2" EPERM bind 198.51.100.200 83
	expect_bind "$cg2" EADDRNOTAVAIL bind 198.9.9.9 81
	expect_bind "$cg2" EPERM bind 198.9.9.9 80
	expect_bind "$cg2" EADDRNOTAVAIL bind 198.51.100.9 81 # /8's ports, merged into the /25
	# Other tests count exception entries by address: leave none behind.
	"$BG" detach --cgroup "$cg2" >/dev/null || why="${why:-detach failed}"
}

# Loopback binds are allowed before any map is read, so the allowed counter
# counts only the binds the policy decided (here, one exception); and only
# when asked: without --count-allowed nothing is counted (null, "-").
test_allowed_counts_policy_decisions() {
	local cg quiet
	cg=$(mkcg counted)
	quiet=$(mkcg not-counted)
	"$BG" loopback-only --cgroup "$quiet" --allow 192.0.2.1 >/dev/null || { why="apply failed"; return; }
	check "not counted: exception bind passes" EADDRNOTAVAIL "$(probe "$quiet" bind 192.0.2.1 0 | awk '{ print $1 }')"
	check "not counted: JSON" None "$(policy_field "$quiet" "p['counters']['allowed']")"
	check "not counted: text" "-" "$("$BG" status | awk -v c="$quiet" '$1 == c { print $6 }')"
	check "apply says it counts" True "$("$BG" --json loopback-only --cgroup "$cg" --allow 192.0.2.1 \
		--count-allowed | jq_py "d['count_allowed']")"
	check "loopback bind" ok "$(probe "$cg" bind 127.0.0.1 0 | awk '{ print $1 }')"
	check "loopback binds not counted" 0 "$(policy_field "$cg" "p['counters']['allowed']")"
	# 192.0.2.1 is on no interface: the kernel refuses it after the hook allowed it.
	check "exception bind passes the hook" EADDRNOTAVAIL "$(probe "$cg" bind 192.0.2.1 0 | awk '{ print $1 }')"
	check "policy-decided allow counted" 1 "$(policy_field "$cg" "p['counters']['allowed']")"
}

# status --format prom (issue 22): what promtool accepts, with the counters
# status shows. The second cgroup's name needs escaping (a quote, a
# backslash) and its policy counts allowed binds: it has an allowed series.
test_status_prometheus_metrics() {
	local cg odd out
	if ! command -v promtool >/dev/null; then
		skip_test "promtool not installed (Debian package prometheus: make deps-test)"
		return
	fi
	cg=$(mkcg prom)
	odd=$(mkcg 'prom "odd\name')
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	"$BG" deny-wildcard --cgroup "$odd" --mode audit --count-allowed >/dev/null ||
		{ why="apply to $odd failed"; return; }
	expect_bind "$cg" EPERM bind 0.0.0.0 0
	expect_bind "$odd" ok bind 0.0.0.0 0
	out="$WORK/status.prom"
	"$BG" status --format prom >"$out" || { why="status --format prom failed"; return; }
	promtool check metrics <"$out" >"$WORK/promtool.out" 2>&1 ||
		{ why="promtool check metrics: $(tr '\n' ' ' <"$WORK/promtool.out")"; return; }
	python3 - "$out" "$cg" "$odd" >"$WORK/prom.why" <<'PY' || why=$(cat "$WORK/prom.why")
import re, sys
out, cg, odd = sys.argv[1:]
esc = lambda s: s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
samples = {}
for line in open(out, encoding="utf-8"):
    if not line.startswith("#"):
        name, value = line.rsplit(" ", 1)
        samples[name] = float(value)
def series(c, policy, mode, verdict):
    return (f'bindguard_binds_total{{cgroup="{esc(c)}",policy="{policy}",mode="{mode}",'
            f'verdict="{verdict}"}}')
problems = []
denied = samples.get(series(cg, "loopback-only", "enforce", "denied"))
if denied is None or denied < 1:
    problems.append(f"denied counter of {cg}: {denied}")
if series(cg, "loopback-only", "enforce", "allowed") in samples:
    problems.append("an allowed series without --count-allowed")
if samples.get(series(odd, "deny-wildcard", "audit", "audited"), 0) < 1:
    problems.append(f"audited counter of {odd} (escaped) missing or 0")
if series(odd, "deny-wildcard", "audit", "allowed") not in samples:
    problems.append(f"no allowed series for {odd} (--count-allowed)")
if samples.get("bindguard_policies", 0) < 2:
    problems.append(f"bindguard_policies: {samples.get('bindguard_policies')}")
for name in ("bindguard_policies_max", "bindguard_events_lost_total",
             "bindguard_build_info{version="):
    if not any(k.startswith(name) for k in samples):
        problems.append(f"no {name}")
print("; ".join(problems))
sys.exit(1 if problems else 0)
PY
	# The other forms are there by name too; --json is --format json.
	check "--format json" "$("$BG" --json status | jq_py "len(d['policies'])")" \
		"$("$BG" status --format json | jq_py "len(d['policies'])")"
	check "--format text" "$("$BG" status | head -1)" "$("$BG" status --format text | head -1)"
	"$BG" detach --cgroup "$odd" >/dev/null
	rmdir "$CG2$odd"
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
	udplite_supported && expect_bind "$cg" EPERM --proto udplite bind 0.0.0.0 0
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
	check "rewritten counter in text (REWRITTEN)" 6 "$("$BG" status | awk -v c="$cg" '$1 == c { print $9 }')"
	check "denied counter" 2 "$(policy_field "$cg" "p['counters']['denied']")"
}

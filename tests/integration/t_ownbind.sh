# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Sockets with a bind of their own (issue 19): ICMP ping sockets are tied to lo
# unless --ping allow; other such protocols (SCTP, L2TP/IP) are refused unless
# --other-protocols allow. Judged by traffic with a second network namespace.

# ping_from CG DST...: from a ping socket made in CG (in namespace A), an echo
# request to each DST: "DST reply", "DST noreply" (none in three tries) or
# "DST ERRNO" (the socket could not be made, or the send failed).
ping_from() {
	local cg=$1
	shift
	sh -c 'cg=$1; shift; echo $$ >"$cg/cgroup.procs" && exec ip netns exec "$@"' sh "$CG2$cg" \
		"$EXA" python3 -c '
import errno, select, socket, struct, sys
def ping(dst):
    six = ":" in dst
    try:
        s = socket.socket(socket.AF_INET6 if six else socket.AF_INET, socket.SOCK_DGRAM,
                          socket.IPPROTO_ICMPV6 if six else socket.IPPROTO_ICMP)
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
    # Three tries: a fresh veth may drop the first (neighbour discovery).
    for seq in range(1, 4):
        try:
            s.sendto(struct.pack("!BBHHH", 128 if six else 8, 0, 0, 0, seq) + b"bgping", (dst, 0))
            if select.select([s], [], [], 1)[0]:
                s.recv(100)
                return "reply"
            r = "noreply"
        except OSError as e:
            r = errno.errorcode.get(e.errno, str(e.errno))
    return r
print(" ".join(d + " " + ping(d) for d in sys.argv[1:]))' "$@"
}

# Not a reply: the confined socket reaches no other host (an error or silence).
no_reply() { [[ $1 != *reply || $1 == *noreply ]] && echo none || echo "$1"; }

test_ping_sockets_confined() {
	local cg out r
	existing_ready || return
	# Ping sockets for every group in A (systemd hosts set this range).
	ip netns exec "$EXA" sysctl -qw net.ipv4.ping_group_range="0 2147483647" ||
		{ skip_test "cannot allow ping sockets in a test namespace"; return; }
	cg=$(mkcg ping)
	check "unpoliced: ping B" "10.213.9.2 reply fd00:bd9::2 reply" "$(ping_from "$cg" 10.213.9.2 fd00:bd9::2)"
	out="$WORK/ping.events"
	start_events "$out" --cgroup "$cg" || { why="events reader did not start"; return; }
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	r=$(ping_from "$cg" 10.213.9.2 fd00:bd9::2 127.0.0.1 ::1)
	check "confined: IPv4 to B ($r)" none "$(no_reply "$(echo "$r" | awk '{ print $1, $2 }')")"
	check "confined: IPv6 to B ($r)" none "$(no_reply "$(echo "$r" | awk '{ print $3, $4 }')")"
	check "confined: loopback" "127.0.0.1 reply ::1 reply" "$(echo "$r" | awk '{ print $5, $6, $7, $8 }')"
	check "status" confine "$(policy_field "$cg" "p['ping']")"
	# deny-wildcard confines them too: a ping socket is on the wildcard.
	"$BG" deny-wildcard --cgroup "$cg" >/dev/null || { why="apply deny-wildcard failed"; return; }
	r=$(ping_from "$cg" 10.213.9.2)
	check "deny-wildcard: IPv4 to B ($r)" none "$(no_reply "$r")"
	"$BG" loopback-only --cgroup "$cg" --ping allow >/dev/null || { why="apply --ping allow failed"; return; }
	check "--ping allow: ping B" "10.213.9.2 reply fd00:bd9::2 reply" "$(ping_from "$cg" 10.213.9.2 fd00:bd9::2)"
	"$BG" loopback-only --cgroup "$cg" --mode audit >/dev/null || { why="apply audit failed"; return; }
	check "audit: ping B" "10.213.9.2 reply" "$(ping_from "$cg" 10.213.9.2)"
	sleep 0.3
	stop_events
	check "events (confine x5, audit)" "confine confine confine confine confine audit" "$(python3 -c "import json
print(' '.join(e['verdict'] for l in open('$out') if (e := json.loads(l))['type'] == 'socket' and e['reason'] == 'ping-socket'))")"
}

# SCTP and L2TP/IP where the kernel has them (modules in Debian's kernels; not
# built into this host's): refused by default, allowed with the option.
test_other_protocols_refused() {
	local cg r tried=0 proto name
	cg=$(mkcg other-proto)
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	for proto in "132 stream sctp" "132 seqpacket sctp" "115 dgram l2tp-ip"; do
		read -r num type name <<<"$proto"
		# Outside any policy first: does this kernel have it?
		r=$(python3 -c "import socket, sys
t = {'stream': socket.SOCK_STREAM, 'dgram': socket.SOCK_DGRAM, 'seqpacket': socket.SOCK_SEQPACKET}['$type']
for fam in (socket.AF_INET, socket.AF_INET6):
    try:
        socket.socket(fam, t, $num); print('ok', end=' ')
    except OSError as e: print(e.errno, end=' ')" 2>&1)
		[ "$r" = "ok ok " ] || continue
		tried=$((tried + 1))
		r=$(sh -c 'echo $$ >"$1/cgroup.procs" && exec python3 -c "import socket, sys
t = {\"stream\": socket.SOCK_STREAM, \"dgram\": socket.SOCK_DGRAM, \"seqpacket\": socket.SOCK_SEQPACKET}[sys.argv[1]]
for fam in (socket.AF_INET, socket.AF_INET6):
    try:
        socket.socket(fam, t, int(sys.argv[2])); print(\"ok\", end=\" \")
    except OSError as e: print(\"EPERM\" if e.errno == 1 else e.errno, end=\" \")" "$2" "$3"' sh "$CG2$cg" "$type" "$num")
		check "$name ($type) in a policed cgroup" "EPERM EPERM " "$r"
	done
	check "TCP and UDP unaffected" ok "$(probe "$cg" bind 127.0.0.1 0 | awk '{ print $1 }')"
	[ "$tried" = 0 ] && { skip_test "this kernel has neither SCTP nor L2TP/IP sockets"; return; }
	"$BG" loopback-only --cgroup "$cg" --other-protocols allow >/dev/null || { why="apply allow failed"; return; }
	check "status" allow "$(policy_field "$cg" "p['other_protocols']")"
	check "--other-protocols allow: l2tp-ip or sctp" "ok ok " "$(sh -c 'echo $$ >"$1/cgroup.procs" && exec python3 -c "import socket
for num, t in ((132, socket.SOCK_STREAM), (115, socket.SOCK_DGRAM)):
    try:
        socket.socket(socket.AF_INET, t, num).close(); socket.socket(socket.AF_INET6, t, num).close(); print(\"ok ok\", end=\" \"); break
    except OSError: pass"' sh "$CG2$cg")"
}

# check lists what the backstop covers, and warns about the host's own
# route_localnet: set here in a network namespace of the test's own, where
# `check` reads its /proc/sys/net/ipv4/conf.
test_check_lists_the_backstop() {
	local ns=bgrl$$ st
	st=$("$BG" check --json | jq_py "' '.join(c['name'] + '=' + c['status'] for c in d['checks'] if c['name'] in ('udp-early-fail', 'route-localnet', 'compat-setsockopt'))")
	check "check lists the backstop's items" 1 "$(grep -Ec '^udp-early-fail=enforced route-localnet=(enforced|warn) compat-setsockopt=(ok|enforced)$' <<<"$st")"
	ip netns add "$ns" && NETNS+=("$ns") || { check "create netns $ns" 0 1; return; }
	ip netns exec "$ns" ip link add bgrl0 type veth peer name bgrl1
	check "route-localnet unset: enforced (the backstop)" enforced "$(ip netns exec "$ns" "$BG" check --json | jq_py "[c['status'] for c in d['checks'] if c['name'] == 'route-localnet'][0]")"
	ip netns exec "$ns" sysctl -qw net.ipv4.conf.bgrl0.route_localnet=1
	st=$(ip netns exec "$ns" "$BG" check --json | jq_py "[c['status'] + ' ' + c['detail'] for c in d['checks'] if c['name'] == 'route-localnet'][0]")
	check "route-localnet set on an interface: warn, naming it" "warn bgrl0" "$(awk '{ print $1 }' <<<"$st") $(grep -o 'bgrl0' <<<"$st")"
	ip netns del "$ns"
}

# rx_start CG SPEC...: a receiver in cgroup CG, network namespace A; each SPEC
# one UDP socket: oob4 / oob6 (unbound, then a sendto() that fails before
# cgroup/sendmsg runs, MSG_OOB for IPv4, port 0 for IPv6, autobinding it to the
# wildcard), sent4 (unbound, then a sendto() that succeeds) or lo4 (bound to
# 127.0.0.1). Prints "ports P..." then "got SPEC TEXT" per datagram; sets
# SRVPID, SRVOUT, PORTS (a_start; from_b_udp reads them).
rx_start() {
	local cg=$1
	shift
	cat >"$WORK/rx_srv.py" <<'PY'
import errno, select, socket, sys
socks, ports = {}, []
for spec in sys.argv[1:]:
    six = spec.endswith('6')
    s = socket.socket(socket.AF_INET6 if six else socket.AF_INET, socket.SOCK_DGRAM)
    if spec == 'lo4':
        s.bind(('127.0.0.1', 0))
    elif spec == 'sent4':
        s.sendto(b'x', ('10.213.9.2', 9))  # an autobind cgroup/sendmsg sees
    else:
        # IPv4 checks MSG_OOB before the hook, IPv6 after it: port 0 there.
        try:
            if six:
                s.sendto(b'x', ('fd00:bd9::2', 0))
            else:
                s.sendto(b'x', socket.MSG_OOB, ('10.213.9.2', 9))
            print('early-failing send succeeded', flush=True)
        except OSError as e:
            if e.errno != (errno.EINVAL if six else errno.EOPNOTSUPP):
                print('early-failing send:', errno.errorcode[e.errno], flush=True)
    ports.append(str(s.getsockname()[1]))
    socks[s.fileno()] = (spec, s)
print('ports', ' '.join(ports), flush=True)
while True:
    for fd in select.select(list(socks), [], [])[0]:
        spec, s = socks[fd]
        data, peer = s.recvfrom(100)
        print('got', spec, data.decode(), flush=True)
PY
	a_start "$cg" python3 -u "$WORK/rx_srv.py" "$@"
}

# A sendto() that fails before cgroup/sendmsg runs (EOPNOTSUPP, EINVAL) has
# autobound its socket to the wildcard, which nothing admitted: the backstop
# drops what host B sends it (and says so once), under deny and audit alike.
# An autobind the hook saw is admitted under audit (the default) and allow: a
# client hears its replies.
test_backstop_udp_early_fail() {
	command -v ip >/dev/null || { skip_test "no ip(8)"; return; }
	existing_hosts || { skip_test "cannot create network namespaces with a veth"; return; }
	local cg ca
	cg=$(mkcg rxdeny)
	ca=$(mkcg rxaudit)
	"$BG" loopback-only --cgroup "$cg" --udp-autobind deny >/dev/null 2>&1 || { check "apply deny" 0 1; return; }
	"$BG" loopback-only --cgroup "$ca" >/dev/null 2>&1 || { check "apply audit" 0 1; return; }
	rx_start "$cg" oob4 oob6 || return
	grep -q "early-failing send" "$SRVOUT" && why="${why:-the send did not fail early: $(cat "$SRVOUT")}"
	check "deny: udp4 autobound by a failed send, from B" silent "$(from_b_udp 10.213.9.1 "${PORTS[0]}" deny4)"
	check "deny: udp6 autobound by a failed send, from B" silent "$(from_b_udp fd00:bd9::1 "${PORTS[1]}" deny6)"
	check "deny: reported once per socket" 2 "$(policy_field "$cg" "p['counters']['denied']")"
	check "deny: still reachable from this host" ok "$(ip netns exec "$EXA" python3 -c "import socket, sys
s = socket.socket(); s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b'local4', ('127.0.0.1', int(sys.argv[1])))" "${PORTS[0]}"; wait_for "$SRVOUT" 'got oob4 local4$' && echo ok || echo silent)"
	rx_start "$ca" oob4 sent4 || return
	check "audit (default): early-failed autobind, from B" silent "$(from_b_udp 10.213.9.1 "${PORTS[0]}" audit4)"
	check "audit (default): autobind seen at a send, from B" ok "$(from_b_udp 10.213.9.1 "${PORTS[1]}" seen4)"
	ca=$(mkcg rxallow)
	"$BG" loopback-only --cgroup "$ca" --udp-autobind allow >/dev/null 2>&1 || { check "apply allow" 0 1; return; }
	rx_start "$ca" oob4 sent4 || return
	check "allow: early-failed autobind, from B" silent "$(from_b_udp 10.213.9.1 "${PORTS[0]}" allow4)"
	check "allow: autobind seen at a send, from B" ok "$(from_b_udp 10.213.9.1 "${PORTS[1]}" allowseen4)"
}

# route_localnet=1 on A's interface routes 127.0.0.0/8 in from the network: a
# socket bound to 127.0.0.1 hears host B (shown first, without a policy); under
# a policy the backstop drops it.
test_backstop_route_localnet() {
	command -v ip >/dev/null || { skip_test "no ip(8)"; return; }
	existing_hosts || { skip_test "cannot create network namespaces with a veth"; return; }
	local cg dev
	dev=$(ip -n "$EXB" -o link show type veth | awk -F': ' '{ print $2 }' | cut -d@ -f1)
	ip netns exec "$EXA" sh -c 'for f in /proc/sys/net/ipv4/conf/*/route_localnet; do echo 1 >"$f"; done'
	ip netns exec "$EXB" sh -c 'for f in /proc/sys/net/ipv4/conf/*/route_localnet; do echo 1 >"$f"; done'
	# B sends 127.0.0.1 to A: a rule before the local table's.
	ip -n "$EXB" rule add pref 100 lookup local && ip -n "$EXB" rule del pref 0 &&
		ip -n "$EXB" route add 127.0.0.1/32 via 10.213.9.1 dev "$dev" table 100 &&
		ip -n "$EXB" rule add pref 10 to 127.0.0.1 lookup 100 ||
		{ skip_test "cannot route 127.0.0.1 from B to A"; return; }
	cg=$(mkcg rxlocalnet)
	rx_start "$cg" lo4 || return
	if [ "$(from_b_udp 127.0.0.1 "${PORTS[0]}" before)" != ok ]; then
		skip_test "route_localnet does not carry 127.0.0.1 from B to A on this kernel"
		return
	fi
	"$BG" loopback-only --cgroup "$cg" >/dev/null 2>&1 || { check "apply" 0 1; return; }
	check "route_localnet: 127.0.0.1 from B under loopback-only" silent "$(from_b_udp 127.0.0.1 "${PORTS[0]}" after)"
	check "route_localnet: reported" 1 "$(policy_field "$cg" "p['counters']['denied']")"
	"$BG" detach --cgroup "$cg" >/dev/null 2>&1
	check "route_localnet: policy detached, heard again" ok "$(from_b_udp 127.0.0.1 "${PORTS[0]}" detached)"
}

# A 32-bit setsockopt(SO_BINDTODEVICE, "") skips cgroup/setsockopt: it unties a
# listener that bindguard tied to lo (rewrite mode keeps a dual-stack :: on its
# address, tied to lo: the same with BPF LSM or without). The backstop still
# drops host B's SYN, over IPv6 and IPv4. Only where the kernel runs 32-bit
# system calls (the matrix's Debian kernels).
test_backstop_compat_setsockopt() {
	local cg out st d0
	st=$("$BG" check --json | jq_py "[c['status'] for c in d['checks'] if c['name'] == 'compat-setsockopt'][0]")
	[ "$st" = ok ] && { skip_test "this kernel runs no 32-bit system calls (check: compat-setsockopt ok)"; return; }
	command -v ip >/dev/null || { skip_test "no ip(8)"; return; }
	existing_hosts || { skip_test "cannot create network namespaces with a veth"; return; }
	cg=$(mkcg rxcompat)
	"$BG" loopback-only --cgroup "$cg" --mode rewrite >/dev/null 2>&1 || { check "apply" 0 1; return; }
	out="$WORK/untie32.out"
	sh -c 'cg=$1; shift; echo $$ >"$cg/cgroup.procs" && exec ip netns exec "$@"' \
		sh "$CG2$cg" "$EXA" "$PROBE" --family 6 --v6only 0 serve-untie32 :: >"$out" 2>&1 </dev/null &
	PIDS+=("$!")
	wait_for "$out" '^listening' || { why="listener did not start: $(cat "$out")"; return; }
	if grep -q 'untie=EPERM' "$out"; then
		skip_test "this kernel runs the setsockopt guard for 32-bit calls too: nothing is untied"
		return
	fi
	check "the 32-bit setsockopt untied the listener (the hook did not run)" "dev=0 untie=ok" \
		"$(awk '{ print $4, $5 }' "$out")"
	d0=$(policy_field "$cg" "p['counters']['denied']")
	check "untied listener, from B over IPv6: dropped" timeout "$(from_b_connect fd00:bd9::1 "$(awk '{ print $2 }' "$out")")"
	check "untied listener, from B over IPv4: dropped" timeout "$(from_b_connect 10.213.9.1 "$(awk '{ print $2 }' "$out")")"
	check "reported once" 1 "$(($(policy_field "$cg" "p['counters']['denied']") - d0))"
}

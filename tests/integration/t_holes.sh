# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The holes the bind hooks leave (issue 3): listen() without bind(), unconfining
# socket options, unconnected UDP, raw sockets.

# serve_unbound OUT CG ARGS...: start a listener that never called bind(); sets
# BGPID and PORT.
serve_unbound() {
	local out=$1 cg=$2
	shift 2
	bg_probe "$out" "$cg" "$@"
	wait_for "$out" listening || { why="${why:-listener did not start: $(cat "$out")}"; return 1; }
	PORT=$(awk '/listening/ { print $2 }' "$out")
}


lsm_enforces() {
	"$BG" check --json | jq_py "[c['status'] for c in d['checks'] if c['name'] == 'listen-autobind'][0]"
}

test_listen_without_bind_denied_by_lsm() {
	local cg v out
	if [ "$(lsm_enforces)" != enforced ]; then
		skip_test "BPF LSM does not refuse listen() on this kernel ($(uname -r)); bindguard check: $("$BG" check | awk '$1 == "bpf-lsm" { $1 = ""; print }')"
		return
	fi
	cg=$(mkcg listen-lsm)
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	out="$WORK/lsm.events"
	start_events "$out" --cgroup "$cg" || { why="events reader did not start"; return; }
	local variants=("--family 4 serve - 0" "--family 6 serve - 0" "--proto mptcp --family 4 serve - 0")
	uring_listen_supported && variants+=("--family 4 uring-listen")
	for v in "${variants[@]}"; do
		# shellcheck disable=SC2086
		# A listen() the LSM did not refuse would serve until killed.
		check "$v under LSM" EPERM "$(timeout 10 "$PROBE" --cgroup "$CG2$cg" $v 2>&1 | awk '{ print $1 }')"
	done
	check "bound listeners still work" listening "$(timeout 1 "$PROBE" --cgroup "$CG2$cg" serve 127.0.0.1 0 | awk '{ print $1 }')"
	sleep 0.3
	stop_events
	check "listen deny events" ${#variants[@]} "$(grep -c '"type":"listen","ts":"[^"]*","verdict":"deny"' "$out")"
}

test_listen_without_bind_is_confined() {
	local cg variant out ss_dev=0
	if [ "$(lsm_enforces)" = enforced ]; then
		skip_test "BPF LSM denies listen() here (listen_without_bind_denied_by_lsm)"
		return
	fi
	cg=$(mkcg listen)
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	out="$WORK/listen.events"
	start_events "$out" --cgroup "$cg" || { why="events reader did not start"; return; }
	local variants=("--family 4 serve - 0" "--family 6 --v6only 0 serve - 0"
		"--family 6 --v6only 1 serve - 0" "--proto mptcp --family 4 serve - 0"
		"--proto mptcp --family 6 serve - 0")
	uring_listen_supported && variants+=("--family 4 uring-listen" "--family 6 uring-listen")
	for variant in "${variants[@]}"; do
		# shellcheck disable=SC2086
		serve_unbound "$WORK/listen.out" "$cg" $variant || break
		if [[ $variant != *mptcp* ]]; then
			# The device as the socket has it.
			check "$variant: listener tied to lo" dev=1 "$(awk '/listening/ { print $4 }' "$WORK/listen.out")"
			# Does ss show devices here (Debian's 6.1 shows none)?
			[[ $(ss -ltnH "sport = :$PORT" | awk '{ print $4 }') == *%lo:"$PORT" ]] && ss_dev=1
		elif [ "${ss_dev:-0}" = 1 ]; then
			# MPTCP: the MPTCP socket keeps no device; its TCP subflow
			# listener is the one tied to lo, and only ss sees it.
			case $(ss -ltnH "sport = :$PORT" | awk '{ print $4 }' | head -n 1) in
			*%lo:"$PORT") ;;
			*) why="${why:-$variant: subflow listener not tied to lo: $(ss -ltnH "sport = :$PORT")}" ;;
			esac
		else
			echo "NOTE $current: $variant: ss shows no devices on this kernel, the MPTCP subflow's device is not checked"
		fi
		[[ $variant == *"v6only 1"* ]] ||
			check "$variant: loopback IPv4 client" ok "$("$PROBE" connect 127.0.0.1 "$PORT")"
		[[ $variant == *"--family 6"* ]] &&
			check "$variant: loopback IPv6 client" ok "$("$PROBE" connect ::1 "$PORT")"
		stop_pid "$BGPID"
	done
	sleep 0.3
	stop_events
	check "listen events (confine)" ${#variants[@]} "$(python3 -c "import json
print(sum(1 for l in open('$out') if (e := json.loads(l))['type'] == 'listen' and e['verdict'] == 'confine' and e['reason'] == 'wildcard'))")"
}

test_listen_confinement_seen_from_another_host() {
	local cg a b out port ctl n=$RANDOM
	command -v ip >/dev/null || { skip_test "no ip(8)"; return; }
	[ "$(lsm_enforces)" = enforced ] && { skip_test "LSM denies listen() here; nothing to reach"; return; }
	a="bgtA$n" b="bgtB$n"
	ip netns add "$a" && NETNS+=("$a") && ip netns add "$b" && NETNS+=("$b") ||
		{ skip_test "cannot create network namespaces"; return; }
	ip link add "bgva$n" netns "$a" type veth peer name "bgvb$n" netns "$b" || { why="veth failed"; return; }
	ip -n "$a" addr add 10.213.7.1/30 dev "bgva$n" && ip -n "$b" addr add 10.213.7.2/30 dev "bgvb$n" &&
		ip -n "$a" link set "bgva$n" up && ip -n "$b" link set "bgvb$n" up &&
		ip -n "$a" link set lo up && ip -n "$b" link set lo up || { why="netns setup failed"; return; }
	cg=$(mkcg reach)
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	# The host under test is netns A; the policed service listens without bind.
	# Join the cgroup first: `ip netns exec` mounts another /sys.
	out="$WORK/reach.out"
	sh -c 'echo $$ >"$1/cgroup.procs" && exec ip netns exec "$2" "$3" --family 4 serve - 0' \
		sh "$CG2$cg" "$a" "$PROBE" >"$out" 2>&1 </dev/null &
	PIDS+=($!)
	local srv=$!
	wait_for "$out" listening || { why="listener did not start: $(cat "$out")"; return; }
	port=$(awk '{ print $2 }' "$out")
	# An unpoliced control listener in the same namespace.
	ip netns exec "$a" "$PROBE" --family 4 serve 0.0.0.0 0 >"$WORK/ctl.out" 2>&1 </dev/null &
	PIDS+=($!)
	local ctlpid=$!
	wait_for "$WORK/ctl.out" listening || { why="control listener did not start"; return; }
	ctl=$(awk '{ print $2 }' "$WORK/ctl.out")
	check "control listener reachable from host B" ok "$(ip netns exec "$b" "$PROBE" connect 10.213.7.1 "$ctl")"
	check "confined listener from host B" ECONNREFUSED "$(ip netns exec "$b" "$PROBE" connect 10.213.7.1 "$port")"
	check "confined listener from A's loopback" ok "$(ip netns exec "$a" "$PROBE" connect 127.0.0.1 "$port")"
	stop_pid "$srv"
	stop_pid "$ctlpid"
}

test_allowed_wildcard_listener_not_confined() {
	local cg port
	cg=$(mkcg listen-allowed)
	port=$(free_port)
	"$BG" deny-wildcard --cgroup "$cg" --allow "0.0.0.0:$port" >/dev/null || { why="apply failed"; return; }
	bg_probe "$WORK/allowed.out" "$cg" serve 0.0.0.0 "$port"
	wait_for "$WORK/allowed.out" listening || { why="listener did not start"; return; }
	check "explicitly allowed listener" "0.0.0.0 dev=0" "$(awk '/listening/ { print $3, $4 }' "$WORK/allowed.out")"
	stop_pid "$BGPID"
	# In audit mode a listen() autobind is reported, not confined.
	"$BG" loopback-only --cgroup "$cg" --mode audit >/dev/null || { why="re-apply failed"; return; }
	serve_unbound "$WORK/audit-listen.out" "$cg" --family 4 serve - 0 || return
	check "audit mode listener" "0.0.0.0 dev=0" "$(awk '/listening/ { print $3, $4 }' "$WORK/audit-listen.out")"
	stop_pid "$BGPID"
}

test_no_unconfining_even_as_root() {
	local cg
	cg=$(mkcg unconfine)
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	check "SO_BINDTODEVICE \"\" (unbind)" EPERM "$(probe "$cg" bindtodevice '')"
	check "SO_BINDTODEVICE lo" ok "$(probe "$cg" bindtodevice lo)"
	check "SO_BINDTOIFINDEX 1 (lo)" ok "$(probe "$cg" bindtodevice ifindex:1)"
	check "SO_BINDTOIFINDEX 0 (unbind)" EPERM "$(probe "$cg" bindtodevice ifindex:0)"
	check "SO_BINDTOIFINDEX 2" EPERM "$(probe "$cg" bindtodevice ifindex:2)"
	check "SO_BINDTODEVICE eth0" EPERM "$(probe "$cg" bindtodevice eth0)"
	# A device binding is no way around the address policy.
	check "bind 0.0.0.0 on device lo" EPERM "$(probe "$cg" --device lo bind 0.0.0.0 0 | awk '{ print $1 }')"
	# Outside the policy the options work (the guard is per cgroup).
	check "unpoliced SO_BINDTODEVICE \"\"" ok "$("$PROBE" bindtodevice '')"
}

test_udp_autobind_choices() {
	local cg out
	cg=$(mkcg udp)
	out="$WORK/udp.events"
	start_events "$out" --cgroup "$cg" || { why="events reader did not start"; return; }
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	check "default (audit): sendto" ok "$(probe "$cg" sendto 127.0.0.1 9 | awk '{ print $1 }')"
	check "default policy says audit" audit "$(policy_field "$cg" "p['udp_autobind']")"
	"$BG" loopback-only --cgroup "$cg" --udp-autobind deny >/dev/null || { why="apply deny failed"; return; }
	# Refused, and the socket the kernel autobound is tied to lo.
	check "deny: sendto" "EPERM dev=lo" "$(probe "$cg" sendto 127.0.0.1 9)"
	check "deny: IPv6 sendto" "EPERM dev=lo" "$(probe "$cg" --family 6 sendto ::1 9)"
	check "deny: bound socket unaffected" ok "$(python3 -c "
import socket
open('$CG2$cg/cgroup.procs', 'w').write('0')
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
s.sendto(b'x', ('127.0.0.1', 9))
print('ok')" 2>&1 | tail -1)"
	"$BG" loopback-only --cgroup "$cg" --udp-autobind allow >/dev/null || { why="apply allow failed"; return; }
	check "allow: sendto" ok "$(probe "$cg" sendto 127.0.0.1 9 | awk '{ print $1 }')"
	sleep 0.3
	stop_events
	check "udp events (audit, deny, deny)" "audit deny deny" "$(python3 -c "import json
print(' '.join(e['verdict'] for l in open('$out') if (e := json.loads(l))['type'] == 'udp-autobind'))")"
}

test_raw_socket_choice() {
	local cg
	cg=$(mkcg raw)
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	check "default: raw socket" ok "$(probe "$cg" raw)"
	"$BG" loopback-only --cgroup "$cg" --raw deny >/dev/null || { why="apply failed"; return; }
	check "--raw deny: raw socket" EPERM "$(probe "$cg" raw)"
	check "--raw deny: raw IPv6 socket" EPERM "$(probe "$cg" --family 6 raw)"
	check "--raw deny: ordinary socket" ok "$(probe "$cg" bind 127.0.0.1 0 | awk '{ print $1 }')"
	check "status raw" deny "$(policy_field "$cg" "p['raw']")"
	check "status listen backend" "$( [ "$(lsm_enforces)" = enforced ] && echo deny || echo confine)" \
		"$(policy_field "$cg" "p['listen']")"
}

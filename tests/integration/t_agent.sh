# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Policy files, `bindguard apply --config` and the agent (issue 22).

# Write a policy file: conf_file DIR NAME CGROUP PRESET [KEY=VALUE...]
conf_file() {
	local dir=$1 name=$2 cg=$3 preset=$4 kv
	shift 4
	{
		echo "[Policy]"
		echo "Cgroup=$cg"
		echo "Preset=$preset"
		for kv in "$@"; do echo "$kv"; done
	} >"$dir/$name"
}

# The record apply keeps for a configuration directory (reconcile.h): gone
# with the test.
conf_forget() {
	local d rec
	for d in "$@"; do
		rec=$("$BG" apply --config "$d" --dry-run --json 2>/dev/null | jq_py "d['record']")
		[[ $rec == /run/bindguard/config/*.json ]] && rm -f "$rec"
	done
	return 0
}

has_policy() { [ "$(policy_field "$1" "p is not None")" = True ]; }

test_apply_config_plans_then_applies_all_or_nothing() {
	local d a x y out
	d="$WORK/conf-apply"
	mkdir -p "$d"
	a=$(mkcg cfg-a)
	x=$(mkcg cfg-svc/x.service)
	y=$(mkcg cfg-svc/y.service)
	mkcg cfg-svc/other >/dev/null
	conf_file "$d" 10-a.conf "$a" loopback-only Allow=0.0.0.0:8080
	conf_file "$d" 20-svc.conf "/$TOP/cfg-svc/*.service" deny-wildcard Mode=enforce
	# A glob below a directory that is not there (the other kubelet cgroup
	# driver's layout) matches nothing; it does not fail the plan.
	conf_file "$d" 30-absent.conf "/$TOP/no-such-dir/pod*" deny-wildcard
	# The plan changes nothing.
	out=$("$BG" apply --config "$d" --dry-run --json) || { why="dry run failed"; return; }
	check "dry-run plan" "add $a,add $x,add $y" \
		"$(echo "$out" | jq_py "','.join(i['op'] + ' ' + i['cgroup'] for i in d['plan'])")"
	has_policy "$a" && { why="--dry-run applied a policy"; return; }
	# A broken file: one FILE:LINE line, exit 2, nothing applied.
	echo "Mode=loud" >>"$d/20-svc.conf"
	out=$("$BG" apply --config "$d" 2>&1)
	check "broken file exit" 2 "$?"
	check "broken file message" \
		"bindguard: apply: $d/20-svc.conf:5: Mode=loud: expected enforce, audit or rewrite; nothing was changed" \
		"$out"
	has_policy "$a" && { why="a broken file still applied the other file's policy"; return; }
	conf_file "$d" 20-svc.conf "/$TOP/cfg-svc/*.service" deny-wildcard
	"$BG" apply --config "$d" >"$WORK/apply.out" 2>&1 || { why="apply failed: $(cat "$WORK/apply.out")"; return; }
	expect_bind "$a" EPERM bind 0.0.0.0 0
	expect_bind "$a" ok bind 127.0.0.1 0
	expect_bind "$x" EPERM bind 0.0.0.0 0
	expect_bind "$y" ok bind 127.0.0.1 0
	has_policy "/$TOP/cfg-svc/other" && why="the glob policed a cgroup it does not match"
	# Applied again: nothing to do.
	out=$("$BG" apply --config "$d" --json)
	check "second apply" "0 0 0 3" "$(echo "$out" | jq_py "d['added'], d['changed'], d['removed'], d['kept']" |
		tr -d '(),')"
	conf_forget "$d"
}

# What an apply made and the files no longer name goes; a policy made by
# hand stays, whatever the files say.
test_apply_config_removes_only_what_it_made() {
	local d a b h out
	d="$WORK/conf-own"
	mkdir -p "$d"
	a=$(mkcg own-a)
	b=$(mkcg own-b)
	h=$(mkcg own-hand)
	"$BG" deny-wildcard --cgroup "$h" >/dev/null || { why="hand-made policy failed"; return; }
	conf_file "$d" a.conf "$a" loopback-only
	conf_file "$d" b.conf "$b" loopback-only
	"$BG" apply --config "$d" >/dev/null || { why="first apply failed"; return; }
	rm "$d/b.conf"
	out=$("$BG" apply --config "$d" --dry-run --json)
	check "plan after a file went" "keep $a,remove $b" \
		"$(echo "$out" | jq_py "','.join(i['op'] + ' ' + i['cgroup'] for i in d['plan'])")"
	"$BG" apply --config "$d" >/dev/null || { why="second apply failed"; return; }
	has_policy "$b" && why="the policy the files no longer name is still there"
	has_policy "$a" || why="the policy still named was removed"
	has_policy "$h" || why="a hand-made policy was removed"
	expect_bind "$h" EPERM bind 0.0.0.0 0
	expect_bind "$b" ok bind 0.0.0.0 0
	conf_forget "$d"
}

# The agent in the background: start_agent DIR [ARGS...]; AGPID, its stderr
# in $WORK/agent.err, events in $WORK/agent.events.
start_agent() {
	local d=$1
	shift
	: >"$WORK/agent.err"
	"$BG" agent --config "$d" --events "$WORK/agent.events" "$@" 2>"$WORK/agent.err" &
	AGPID=$!
	PIDS+=("$AGPID")
	wait_for "$WORK/agent.err" "watching the cgroup tree\|agent:" &&
		grep -q "watching the cgroup tree" "$WORK/agent.err"
}

# From mkdir to the first refused bind of a process inside, in ms (or "never").
recreate_window() {
	local us
	us=$(python3 "$here/recreate_window.py" "$CG2$1")
	[ "$us" = never ] && echo never || awk -v us="$us" 'BEGIN { printf "%.1f\n", us / 1000 }'
}

test_agent_keeps_policies_applied() {
	local d r g ms second
	if [ -e /run/bindguard/agent.lock ] && ! flock -n /run/bindguard/agent.lock true; then
		skip_test "a bindguard agent already runs on this machine (one per machine)"
		return
	fi
	d="$WORK/conf-agent"
	mkdir -p "$d"
	r=$(mkcg ag-r)
	mkcg ag-g >/dev/null
	conf_file "$d" r.conf "$r" loopback-only
	conf_file "$d" g.conf "/$TOP/ag-g/*.service" loopback-only
	start_agent "$d" || { why="agent did not start: $(cat "$WORK/agent.err")"; return; }
	expect_bind "$r" EPERM bind 0.0.0.0 0
	# One agent per machine.
	second=$("$BG" agent --config "$d" 2>&1)
	check "second agent exit" 1 "$?"
	[[ $second == *"another bindguard agent is running (pid $AGPID)"* ]] ||
		why="second agent: '$second'"
	# A cgroup removed and made again (a service restart) gets its policy back.
	ms=$(recreate_window "$r")
	[ "$ms" = never ] && { why="the recreated cgroup never got its policy back"; return; }
	echo "NOTE $current: a recreated cgroup was policed again after $ms ms (mkdir to the first refused bind)"
	# A new cgroup that matches the glob is policed.
	g=$(mkcg ag-g/new.service)
	for _ in $(seq 50); do has_policy "$g" && break; sleep 0.1; done
	expect_bind "$g" EPERM bind 0.0.0.0 0
	# Denials reach the events file as JSON Lines.
	wait_for "$WORK/agent.events" '"verdict":"deny"' ||
		why="no deny event in the agent's events: $(head -c 300 "$WORK/agent.events")"
	python3 -c 'import json, sys
for l in open(sys.argv[1]): json.loads(l)' "$WORK/agent.events" || why="events are not JSON Lines"
	# SIGHUP with a broken file: the old policies stay and it says why; the
	# old configuration keeps being applied to new cgroups.
	echo "Preset=bogus" >>"$d/g.conf"
	kill -HUP "$AGPID"
	wait_for "$WORK/agent.err" "SIGHUP: the policy files are broken" ||
		why="no message for the broken file: $(tail -3 "$WORK/agent.err")"
	grep -q "g.conf:4: Preset=bogus" "$WORK/agent.err" || why="the message does not name g.conf:4"
	has_policy "$r" || why="a broken file on SIGHUP removed a policy"
	g=$(mkcg ag-g/after-broken.service)
	for _ in $(seq 50); do has_policy "$g" && break; sleep 0.1; done
	has_policy "$g" || why="after a broken reload, a new cgroup matching the old glob was not policed"
	# SIGHUP with a good file: applied; and the events file, moved away as
	# logrotate does, is opened anew.
	mv "$WORK/agent.events" "$WORK/agent.events.1"
	conf_file "$d" g.conf "/$TOP/ag-g/*.service" deny-wildcard
	kill -HUP "$AGPID"
	wait_for "$WORK/agent.err" "reloaded" || why="no reload after a fixed file"
	for _ in $(seq 50); do [ "$(policy_field "$g" "p['policy']")" = deny-wildcard ] && break; sleep 0.1; done
	check "policy after reload" deny-wildcard "$(policy_field "$g" "p['policy']")"
	expect_bind "$g" EPERM bind 0.0.0.0 0
	wait_for "$WORK/agent.events" '"verdict":"deny"' ||
		why="${why:-after SIGHUP, no events in a new --events file}"
	kill -0 "$AGPID" 2>/dev/null || why="the agent exited"
	# SIGKILL: nothing is detached, enforcement goes on.
	kill -KILL "$AGPID"
	wait "$AGPID" 2>/dev/null
	expect_bind "$r" EPERM bind 0.0.0.0 0
	has_policy "$g" || why="policies went with the agent"
	# So does a clean stop (SIGTERM).
	start_agent "$d" || { why="agent did not start again: $(cat "$WORK/agent.err")"; return; }
	kill -TERM "$AGPID"
	wait "$AGPID"
	check "agent exit on SIGTERM" 0 "$?"
	grep -q "every policy stays in force" "$WORK/agent.err" || why="no stop message"
	expect_bind "$r" EPERM bind 0.0.0.0 0
	# --wait-lock (a rolling update's new pod): waits while another runs,
	# takes over when it stops.
	start_agent "$d" || { why="agent did not start again: $(cat "$WORK/agent.err")"; return; }
	local waiter
	"$BG" agent --config "$d" --events none --wait-lock 2>"$WORK/waiter.err" &
	waiter=$!
	PIDS+=("$waiter")
	wait_for "$WORK/waiter.err" "waiting for it to stop" ||
		why="--wait-lock: no waiting line: $(cat "$WORK/waiter.err")"
	grep -q "watching the cgroup tree" "$WORK/waiter.err" && why="--wait-lock: started beside another agent"
	kill -TERM "$AGPID"
	wait "$AGPID"
	wait_for "$WORK/waiter.err" "watching the cgroup tree" ||
		why="--wait-lock: did not take over: $(tail -n 2 "$WORK/waiter.err")"
	kill -TERM "$waiter"
	wait "$waiter"
	check "--wait-lock agent exit on SIGTERM" 0 "$?"
	conf_forget "$d"
}

test_agent_input_is_checked_before_anything() {
	local out d
	d="$WORK/conf-bad"
	mkdir -p "$d"
	out=$("$BG" agent --config "$d" --metrics-address 0.0.0.0:9100 2>&1)
	check "wildcard metrics address exit" 2 "$?"
	[[ $out == *"is not a loopback address"* ]] || why="wildcard --metrics-address: '$out'"
	out=$("$BG" agent --config "$WORK/nonexistent" 2>&1)
	check "missing config dir exit" 2 "$?"
	check "missing config dir message" \
		"bindguard: agent: $WORK/nonexistent: No such file or directory" "$out"
	out=$("$BG" agent --config "$d" --interval 0 2>&1)
	check "interval 0 exit" 2 "$?"
	out=$("$BG" agent --config "$d" --textfile-dir "$WORK/nonexistent" 2>&1)
	check "missing textfile dir exit" 2 "$?"
}

# The metrics the agent writes: a textfile node-exporter serves, and
# /metrics on loopback, both accepted by promtool.
test_agent_metrics_textfile_and_http() {
	local d t cg port nport nepid
	if [ -e /run/bindguard/agent.lock ] && ! flock -n /run/bindguard/agent.lock true; then
		skip_test "a bindguard agent already runs on this machine (one per machine)"
		return
	fi
	if ! command -v curl >/dev/null; then
		skip_test "curl not installed"
		return
	fi
	d="$WORK/conf-metrics"
	t="$WORK/textfile"
	mkdir -p "$d" "$t"
	cg=$(mkcg metrics)
	conf_file "$d" m.conf "$cg" loopback-only
	port=$(free_port)
	start_agent "$d" --textfile-dir "$t" --interval 1 --metrics-address "127.0.0.1:$port" ||
		{ why="agent did not start: $(cat "$WORK/agent.err")"; return; }
	expect_bind "$cg" EPERM bind 0.0.0.0 0
	for _ in $(seq 30); do
		grep -q "cgroup=\"$cg\".*verdict=\"denied\"} 1" "$t/bindguard.prom" 2>/dev/null && break
		sleep 0.2
	done
	grep -q "cgroup=\"$cg\".*verdict=\"denied\"} 1" "$t/bindguard.prom" ||
		why="the textfile has no denied bind of $cg"
	ls -a "$t" | grep -q '^\.bindguard' && why="a temporary file was left in the textfile directory"
	curl -sf "http://127.0.0.1:$port/metrics" >"$WORK/scrape" || why="GET /metrics failed"
	grep -q '^bindguard_build_info{version="' "$WORK/scrape" || why="/metrics has no build info"
	check "/other" 404 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/other")"
	if command -v promtool >/dev/null; then
		promtool check metrics <"$t/bindguard.prom" >/dev/null 2>&1 || why="promtool rejects the textfile"
		promtool check metrics <"$WORK/scrape" >/dev/null 2>&1 || why="promtool rejects /metrics"
	else
		echo "NOTE $current: promtool not installed: the format is not checked"
	fi
	if command -v prometheus-node-exporter >/dev/null; then
		nport=$(free_port)
		prometheus-node-exporter --web.listen-address="127.0.0.1:$nport" \
			--collector.disable-defaults --collector.textfile \
			--collector.textfile.directory="$t" >"$WORK/ne.log" 2>&1 &
		nepid=$!
		PIDS+=("$nepid")
		for _ in $(seq 50); do
			curl -sf "http://127.0.0.1:$nport/metrics" >"$WORK/ne.scrape" 2>/dev/null && break
			sleep 0.1
		done
		grep -q "^bindguard_binds_total{cgroup=\"$cg\"" "$WORK/ne.scrape" ||
			why="node-exporter does not serve the agent's textfile: $(grep -i textfile "$WORK/ne.scrape" | head -3)"
		grep -q 'node_textfile_scrape_error 0' "$WORK/ne.scrape" || why="node-exporter reports a textfile error"
		stop_pid "$nepid"
	else
		echo "NOTE $current: prometheus-node-exporter not installed: the textfile is not scraped"
	fi
	kill -TERM "$AGPID"
	wait "$AGPID"
	conf_forget "$d"
}

# A service listening before the files are applied: apply lists its socket
# and exits 4; --close-existing closes it (host B can no longer connect).
test_apply_config_reports_then_closes_existing_sockets() {
	local d cg out rc
	existing_ready || return
	d="$WORK/conf-existing"
	mkdir -p "$d"
	cg=$(mkcg cfg-existing)
	existing_start "$cg" tcp4:0.0.0.0 tcp4:127.0.0.1 || return
	local t4=${PORTS[0]}
	check "before: from B" ok "$(from_b_connect 10.213.9.1 "$t4")"
	conf_file "$d" e.conf "$cg" loopback-only
	out=$("$BG" apply --config "$d" 2>&1 >/dev/null)
	rc=$?
	check "apply with a refused socket open: exit" 4 "$rc"
	[[ $out == *"bindguard: existing socket: tcp 0.0.0.0:$t4 pid "*" in $cg: deny (wildcard) by loopback-only@$cg, still open"* ]] ||
		why="${why:-no existing socket line: $out}"
	check "policy applied all the same" loopback-only "$(policy_field "$cg" "p['policy']")"
	"$BG" apply --config "$d" --keep-existing >/dev/null 2>&1
	check "--keep-existing exit" 0 "$?"
	# A changed policy is checked again, and now closed.
	conf_file "$d" e.conf "$cg" loopback-only Mode=enforce Proto=tcp
	if "$BG" check --json | grep -q '"name":"close-existing","status":"ok"'; then
		"$BG" apply --config "$d" --close-existing >/dev/null 2>"$WORK/close.err"
		check "--close-existing exit" 0 "$?"
		check "after: from B" ECONNREFUSED "$(from_b_connect 10.213.9.1 "$t4")"
	else
		echo "NOTE $current: this kernel cannot close sockets: --close-existing not tried"
	fi
	conf_forget "$d"
}

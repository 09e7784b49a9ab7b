# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# bindguard run: transient cgroup, exit status, signals, --user, cleanup, fail
# closed on SIGKILL, rewrite, events, --suggest.

run_cgroups() { ls -d "$CG2/bindguard.run" "$CG2/bindguard.run"/run-* 2>/dev/null | wc -l; }

test_run_exit_status_and_cleanup() {
	local before rc
	before=$(run_cgroups)
	"$BG" run --loopback-only -- sh -c 'exit 7' 2>/dev/null
	check "exit status" 7 "$?"
	"$BG" run --loopback-only -- sh -c 'kill -TERM $$' 2>/dev/null
	check "killed by SIGTERM" 143 "$?"
	"$BG" run --loopback-only -- /nonexistent/cmd 2>/dev/null
	check "command not found" 127 "$?"
	"$PROBE" bind 127.0.0.1 0 >/dev/null # warm
	out=$("$BG" run --loopback-only -- "$PROBE" bind 0.0.0.0 0 2>"$WORK/run.err")
	rc=$?
	check "denied inside run" "EPERM 1" "$out $rc"
	grep -q "deny bind pid=[0-9]* uid=0 comm=\"bgprobe\" cgroup=/bindguard.run/run-" "$WORK/run.err" ||
		why="${why:-no event line on stderr: $(cat "$WORK/run.err")}"
	grep -q "bindguard: run: exit status 1; 1 denied, 0 confined to lo, 0 rewritten, 0 audited, 0 lost" "$WORK/run.err" ||
		why="${why:-no summary: $(cat "$WORK/run.err")}"
	check "transient cgroups left" "$before" "$(run_cgroups)"
	check "run policies left" 0 "$("$BG" --json status | jq_py "sum(p['cgroup'].startswith('/bindguard.run/') for p in d['policies'])")"
	check "invalid policy option changes nothing" 2 "$("$BG" run --loopback-only --allow 1.2.3.4/40 -- true 2>/dev/null; echo $?)"
	check "no preset" 2 "$("$BG" run -- true 2>/dev/null; echo $?)"
	check "no command" 2 "$("$BG" run --loopback-only 2>/dev/null; echo $?)"
	check "unknown user" 2 "$("$BG" run --loopback-only --user no-such-user-bg -- true 2>/dev/null; echo $?)"
	check "transient cgroups left after bad input" "$before" "$(run_cgroups)"
}

test_run_forwards_signals() {
	local pid rc
	"$BG" run --loopback-only -- sh -c 'trap "exit 42" TERM; echo ready; while :; do sleep 0.05; done' \
		>"$WORK/sig.out" 2>/dev/null &
	pid=$!
	PIDS+=("$pid")
	wait_for "$WORK/sig.out" ready || { why="command did not start"; return; }
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	check "status after SIGTERM to run (the command's trap exits 42)" 42 "$rc"
}

test_run_user_drops_privileges() {
	local u=nobody
	id "$u" >/dev/null 2>&1 || { skip_test "no user $u"; return; }
	check "id -u" "$(id -u $u)" "$("$BG" run --loopback-only --user $u -- id -u 2>/dev/null)"
	check "id -g" "$(id -g $u)" "$("$BG" run --loopback-only --user $u -- id -g 2>/dev/null)"
	check "HOME" "$(getent passwd $u | cut -d: -f6)" "$("$BG" run --loopback-only --user $u -- sh -c 'echo $HOME' 2>/dev/null)"
	check "bind below 1024" EACCES "$("$BG" run --loopback-only --user $u -- "$PROBE" bind 127.0.0.1 80 2>/dev/null)"
	check "numeric uid" 65534 "$("$BG" run --loopback-only --user 65534 -- id -u 2>/dev/null)"
}

test_run_sigkill_stays_policed() {
	local pid cgs d out="$WORK/kill.out"
	"$BG" run --loopback-only -- sh -c 'echo ready; sleep 1; "$1" bind 0.0.0.0 0; sleep 30' sh "$PROBE" \
		>"$out" 2>/dev/null &
	pid=$!
	wait_for "$out" ready || { why="command did not start"; return; }
	# run names its cgroup after itself: run-<pid>-<start time>.
	d=$(cd "$CG2" && ls -d bindguard.run/run-"$pid"-* 2>/dev/null)
	[[ $d == bindguard.run/run-"$pid"-* ]] || { why="no run cgroup for pid $pid"; kill "$pid"; return; }
	d="/$d"
	RUNCG+=("$d")
	# Its private event ring holds a slot, pinned under rings/.
	local slot
	slot=$(bpftool map dump pinned $PIN/bg_policies -j |
		jq_py "[e['formatted']['value']['ring'] for e in d if e['formatted']['key'] == $(cgid "$d")][0]")
	[ -e "$PIN/rings/$slot" ] || why="no pin for the run's ring slot '$slot'"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	wait_for "$out" EPERM || why="bind after run was killed was not denied: $(cat "$out")"
	"$BG" status >/dev/null
	check "orphaned run still policed" loopback-only "$(policy_field "$d" "p['policy'] if p else None")"
	check "its events now go to the shared ring" 0 "$(bpftool map dump pinned $PIN/bg_policies -j |
		jq_py "[e['formatted']['value']['ring'] for e in d if e['formatted']['key'] == $(cgid "$d")][0]")"
	[ -e "$PIN/rings/$slot" ] && why="${why:-ring slot $slot of the dead run was not freed}"
	# Once the last process is gone, the next command removes it all.
	echo 1 >"$CG2$d/cgroup.kill"
	for _ in $(seq 50); do grep -q 'populated 0' "$CG2$d/cgroup.events" && break; sleep 0.1; done
	"$BG" status >/dev/null
	[ -d "$CG2$d" ] && why="${why:-orphaned run cgroup not removed}"
	check "orphaned policy removed" None "$(policy_field "$d" p)"
}

test_run_rewrite_keeps_clients_working() {
	local port out pid
	port=$(free_port 6)
	out="$WORK/rw.out"
	"$BG" run --loopback-only --mode rewrite -- "$PROBE" --family 6 --v6only 0 serve :: "$port" \
		>"$out" 2>"$WORK/rw.err" &
	pid=$!
	PIDS+=("$pid")
	wait_for "$out" listening || { why="server did not start: $(cat "$WORK/rw.err")"; return; }
	check "IPv4 client" ok "$("$PROBE" connect 127.0.0.1 "$port")"
	check "IPv6 client" ok "$("$PROBE" connect ::1 "$port")"
	check "listener tied to lo" dev=1 "$(awk '/listening/ { print $4 }' "$out")"
	kill -TERM "$pid"
	wait "$pid"
	grep -q "rewrite bind .* tcp inet6 \[::\]:$port" "$WORK/rw.err" || why="${why:-no rewrite event: $(cat "$WORK/rw.err")}"
	# A program that binds 0.0.0.0 by default keeps working, reachable locally.
	port=$(free_port)
	"$BG" run --loopback-only --mode rewrite -- python3 -m http.server "$port" --directory "$WORK" \
		>/dev/null 2>"$WORK/http.err" &
	pid=$!
	PIDS+=("$pid")
	local ok=""
	for _ in $(seq 50); do
		python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/', timeout=1)" 2>/dev/null && { ok=1; break; }
		sleep 0.1
	done
	[ -n "$ok" ] || why="${why:-http.server under rewrite not reachable on 127.0.0.1}"
	check "http.server bound" "127.0.0.1:$port" "$(ss -ltnH "sport = :$port" | awk '{ print $4 }')"
	kill -TERM "$pid"
	wait "$pid"
}

test_run_events_file_and_json() {
	"$BG" run --loopback-only --quiet --events "$WORK/run.jsonl" -- "$PROBE" bind 0.0.0.0 0 >/dev/null 2>"$WORK/q.err"
	check "quiet: no event line" 0 "$(grep -c ' deny bind ' "$WORK/q.err")"
	check "events file" "bind deny bgprobe" "$(jq_py "d['type'] + ' ' + d['verdict'] + ' ' + d['comm']" <"$WORK/run.jsonl")"
	"$BG" run --loopback-only --json -- "$PROBE" bind 0.0.0.0 0 >/dev/null 2>"$WORK/j.err"
	check "json on stderr" deny "$(grep '^{' "$WORK/j.err" | head -n 1 | jq_py "d['verdict']")"
	check "json summary on stderr" "summary 1 1 0" "$(grep '^{' "$WORK/j.err" | tail -n 1 | jq_py "'%s %d %d %d' % (d['type'], d['exit'], d['denied'], d['confined'])")"
	check "unwritable events file" 2 "$("$BG" run --loopback-only --events /nonexistent/dir/x -- true 2>/dev/null; echo $?)"
}

test_run_concurrent_runs_keep_their_events() {
	local p1 p2
	"$BG" run --loopback-only -- sh -c 'sleep 0.3; for i in 1 2 3; do "$1" bind 0.0.0.0 0; done' sh "$PROBE" \
		>/dev/null 2>"$WORK/c1.err" &
	p1=$!
	"$BG" run --loopback-only -- sh -c 'sleep 0.3; for i in 1 2; do "$1" --family 6 bind :: 0; done' sh "$PROBE" \
		>/dev/null 2>"$WORK/c2.err" &
	p2=$!
	wait $p1
	wait $p2
	check "first run's events" 3 "$(grep -c ' deny bind .* inet 0.0.0.0' "$WORK/c1.err")"
	check "second run's events" 2 "$(grep -c ' deny bind .* inet6 \[::\]' "$WORK/c2.err")"
	check "no crossing" 0 "$(grep -c 'inet6' "$WORK/c1.err")"
}

test_run_suggest_round_trip() {
	local p1 p2 workload
	p1=$(free_port)
	p2=$(free_port 6)
	workload="set -e; \"$PROBE\" bind 0.0.0.0 $p1; \"$PROBE\" --family 6 --v6only 0 bind :: $p2; \"$PROBE\" bind 0.0.0.0 0; \"$PROBE\" bind 0.0.0.0 $p1; \"$PROBE\" bind 127.0.0.1 0"
	"$BG" run --loopback-only -- sh -c "$workload" >/dev/null 2>&1
	check "enforce without exceptions fails" 1 "$?"
	"$BG" run --loopback-only --mode audit --suggest="$WORK/sugg.txt" -- sh -c "$workload" >/dev/null 2>&1
	check "audit run passes" 0 "$?"
	# The fewest specific rules, each once, in the order seen.
	check "suggestions" "0.0.0.0:$p1 [::]:$p2 0.0.0.0:0" "$(grep -v '^#' "$WORK/sugg.txt" | awk '{ print $1 }' | tr '\n' ' ' | sed 's/ $//')"
	check "each with why" 3 "$(grep -c '^[^#].*# bind() ' "$WORK/sugg.txt")"
	"$BG" run --loopback-only --allow-from "$WORK/sugg.txt" -- sh -c "$workload" >/dev/null 2>&1
	check "enforce run with the suggestions read back passes" 0 "$?"
	# To stdout, and as JSON Lines.
	"$BG" run --loopback-only --mode audit --suggest --json -- sh -c "$workload" 2>/dev/null >"$WORK/sugg.json"
	check "JSON suggestions" "['0.0.0.0:$p1', '[::]:$p2', '0.0.0.0:0']" "$(python3 -c "import json, sys
print([json.loads(l)['allow'] for l in open(sys.argv[1]) if l.startswith('{')])" "$WORK/sugg.json")"
	check "unwritable --suggest file" 2 "$("$BG" run --loopback-only --suggest=/nonexistent/dir/x -- true 2>/dev/null; echo $?)"
	# listen() without bind(): any port of the address, with why; it passes back.
	workload="python3 -c 'import socket; s = socket.socket(); s.listen()'"
	"$BG" run --loopback-only --mode audit --suggest="$WORK/sugg2.txt" -- sh -c "$workload" >/dev/null 2>&1
	check "listen suggestion" "0.0.0.0" "$(grep -v '^#' "$WORK/sugg2.txt" | awk '{ print $1 }')"
	check "listen suggestion says why" 1 "$(grep -c 'binding first' "$WORK/sugg2.txt")"
	"$BG" run --loopback-only --allow-from "$WORK/sugg2.txt" -- sh -c "$workload" >/dev/null 2>&1
	check "listen workload with its suggestion" 0 "$?"
}

# The summary tells a confined listener (listen() worked, tied to lo) from a
# denial, and names the leftover processes it stops.
test_run_summary_confined_and_leftovers() {
	local err="$WORK/conf.err"
	"$BG" run --loopback-only -- sh -c "sleep 30 & python3 -c 'import socket; s = socket.socket(); s.listen(); print(\"listening\")'" >"$WORK/conf.out" 2>"$err"
	check "listen() without bind() worked or was refused" 1 "$(grep -c '^listening$\|PermissionError' "$WORK/conf.out" "$err" | awk -F: '{ s += $2 } END { print (s > 0) }')"
	if grep -q '^listening$' "$WORK/conf.out"; then
		check "confined counted apart" 1 "$(grep -c '; 0 denied, 1 confined to lo,' "$err")"
	else
		check "refused counted as denied" 1 "$(grep -c '; 1 denied, 0 confined to lo,' "$err")"
	fi
	check "leftover named" 1 "$(grep -c 'stopping 1 process CMD left in .*: [0-9]* (sleep)' "$err")"
}

test_run_crashed_before_policy_is_cleaned_up() {
	local d pid
	# A run that died between creating its cgroup and applying the policy
	# (simulated: the directory of a run whose process is gone).
	sleep 30 &
	pid=$!
	d="/bindguard.run/run-$pid-$(awk '{ print $22 }' /proc/$pid/stat)"
	mkdir -p "$CG2$d"
	kill "$pid"
	wait "$pid" 2>/dev/null
	RUNCG+=("$d")
	"$BG" status >/dev/null
	[ -d "$CG2$d" ] && why="empty orphaned run cgroup not removed"
	return 0
}

# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The event stream: content, counting of what cannot be delivered, fairness,
# one reader at a time.

test_event_json_fields() {
	local cg out port id pid
	cg=$(mkcg events)
	id=$(cgid "$cg")
	port=$(free_port)
	out="$WORK/fields.events"
	# The reader starts before this cgroup has a policy.
	start_events "$out" || { why="events reader did not start"; return; }
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	bg_probe "$WORK/fields.probe" "$cg" --proto udp bind 0.0.0.0 "$port"
	pid=$BGPID
	wait "$pid"
	sleep 0.3
	stop_events
	python3 - "$out" "$cg" "$id" "$pid" "$port" <<'PY' || why=$(cat "$WORK/fields.why" 2>/dev/null || echo "event check failed")
import json, sys, re
out, cg, cgid, pid, port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
want_keys = {"type", "ts", "verdict", "pid", "tid", "uid", "gid", "comm", "cgroup", "cgroup_id",
             "family", "proto", "addr", "port", "reason", "policy", "policy_cgroup", "policy_cgroup_id"}
events = [json.loads(l) for l in open(out)]
mine = [e for e in events if e.get("cgroup_id") == cgid]
def bad(msg):
    open(out.replace("fields.events", "fields.why"), "w").write(msg)
    sys.exit(1)
if len(mine) != 1:
    bad(f"expected 1 event for the cgroup, got {len(mine)}: {mine}")
e = mine[0]
if set(e) != want_keys:
    bad(f"keys {sorted(e)}")
expect = {"type": "bind", "verdict": "deny", "pid": pid, "tid": pid, "uid": 0, "gid": 0,
          "comm": "bgprobe", "cgroup": cg, "family": "inet", "proto": "udp", "addr": "0.0.0.0",
          "port": port, "reason": "wildcard", "policy": "loopback-only", "policy_cgroup": cg,
          "policy_cgroup_id": cgid}
for k, v in expect.items():
    if e[k] != v:
        bad(f"{k}: expected {v!r}, got {e[k]!r}")
if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", e["ts"]):
    bad(f"ts {e['ts']}")
PY
}

test_text_events_and_filter() {
	local a b out
	a=$(mkcg ev-a)
	b=$(mkcg ev-b)
	"$BG" loopback-only --cgroup "$a" >/dev/null && "$BG" loopback-only --cgroup "$b" >/dev/null ||
		{ why="apply failed"; return; }
	out="$WORK/text.events"
	"$BG" events --cgroup "$a" >"$out" 2>"$out.err" &
	EVPID=$!
	PIDS+=("$EVPID")
	wait_for "$out.err" following || { why="events reader did not start"; return; }
	probe "$a" --family 6 bind :: 0 >/dev/null
	probe "$b" bind 0.0.0.0 0 >/dev/null
	sleep 0.3
	stop_events
	# Lost-event notices are global; bind lines are filtered.
	check "bind lines for the filtered cgroup only" 1 "$(grep -c ' bind ' "$out")"
	grep -q "deny bind pid=[0-9]* uid=0 comm=\"bgprobe\" cgroup=$a tcp inet6 \[::\]:0 reason=wildcard policy=loopback-only@$a" "$out" ||
		why="${why:-unexpected text line: $(cat "$out")}"
}

test_lost_events_counted_exactly() {
	local cg id out n=300000 denied lost delivered
	cg=$(mkcg storm)
	id=$(cgid "$cg")
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	# Nobody reads while the storm runs: the 4 MiB ring fills, the rest is lost.
	check "storm" "denied=$n ok=0 other=0" "$(probe "$cg" storm 0.0.0.0 0 $n)"
	denied=$(policy_field "$cg" "p['counters']['denied']")
	lost=$(policy_field "$cg" "p['counters']['lost']")
	check "denied counter" "$n" "$denied"
	[ "$lost" -gt 0 ] || why="${why:-no loss counted after a storm of $n with no reader}"
	out="$WORK/storm.events"
	start_events "$out" || { why="events reader did not start"; return; }
	sleep 1.5
	stop_events
	delivered=$(python3 -c "import json
print(sum(1 for l in open('$out') if json.loads(l).get('cgroup_id') == $id))")
	check "delivered ($delivered) + lost ($lost) = denied" "$n" "$((delivered + lost))"
	python3 -c "import json
ls = [json.loads(l) for l in open('$out') if json.loads(l)['type'] == 'lost']
assert ls and ls[-1]['lost_total'] >= $lost, ls" 2>/dev/null || why="${why:-no lost line in the stream}"
	check "status lost_total covers it" 1 "$("$BG" --json status | jq_py "int(d['lost_total'] >= $lost)")"
}

test_storm_does_not_starve_quiet_cgroup() {
	local loud quiet out i qid pids=()
	loud=$(mkcg loud)
	quiet=$(mkcg quiet)
	qid=$(cgid "$quiet")
	"$BG" loopback-only --cgroup "$loud" >/dev/null && "$BG" loopback-only --cgroup "$quiet" >/dev/null ||
		{ why="apply failed"; return; }
	out="$WORK/fair.events"
	start_events "$out" || { why="events reader did not start"; return; }
	for i in 1 2 3; do
		bg_probe "$WORK/loud$i" "$loud" storm 0.0.0.0 0 400000
		pids+=("$BGPID")
	done
	for i in $(seq 40); do
		probe "$quiet" bind 0.0.0.0 0 >/dev/null
		sleep 0.02
	done
	for i in "${pids[@]}"; do wait "$i"; done
	sleep 1
	stop_events
	check "quiet cgroup's events delivered during a storm" 40 "$(python3 -c "import json
print(sum(1 for l in open('$out') if json.loads(l).get('cgroup_id') == $qid))")"
}

test_single_reader() {
	local out
	out="$WORK/reader1"
	start_events "$out" || { why="events reader did not start"; return; }
	"$BG" events >/dev/null 2>"$WORK/reader2.err"
	check "second reader exit code" 1 "$?"
	grep -q "one reader at a time" "$WORK/reader2.err" || why="${why:-unclear error: $(cat "$WORK/reader2.err")}"
	# A reader killed outright releases the stream: the next one starts.
	kill -KILL "$EVPID"
	wait "$EVPID" 2>/dev/null
	start_events "$out" || why="${why:-no reader could start after one was SIGKILLed}"
	stop_events
}

test_events_end_cleanly() {
	local cg rc
	cg=$(mkcg ev-pipe)
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	# A closed pipe ends the reader with status 0.
	( "$BG" events --json 2>"$WORK/pipe.err" | head -n 1 >/dev/null; echo "${PIPESTATUS[0]}" >"$WORK/pipe.rc" ) &
	local sub=$!
	wait_for "$WORK/pipe.err" following
	probe "$cg" bind 0.0.0.0 0 >/dev/null
	probe "$cg" bind 0.0.0.0 0 >/dev/null
	wait "$sub"
	check "reader status after the pipe closed" 0 "$(cat "$WORK/pipe.rc")"
	# SIGTERM ends it with status 0 too.
	"$BG" events >/dev/null 2>"$WORK/term.err" &
	local p=$!
	wait_for "$WORK/term.err" following
	kill -TERM $p
	wait $p
	rc=$?
	check "reader status after SIGTERM" 0 "$rc"
}

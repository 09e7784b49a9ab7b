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
	# Queued before any reader: the shared stream's backlog has them.
	start_events "$out" --backlog || { why="events reader did not start"; return; }
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

# Readers do not take events from each other: each has its own stream from
# its start, filters choose only what it prints, a SIGKILLed reader's ring is
# freed by the next full pass, and --backlog (the shared stream) stays one
# reader at a time.
test_many_readers() {
	local cg other r1="$WORK/reader1" r2="$WORK/reader2" r3="$WORK/reader3" p1 p2 id n
	cg=$(mkcg readers)
	other=$(mkcg readers-other)
	id=$(cgid "$cg")
	"$BG" loopback-only --cgroup "$cg" >/dev/null && "$BG" loopback-only --cgroup "$other" --mode audit >/dev/null ||
		{ why="apply failed"; return; }
	start_events "$r1" || { why="reader 1 did not start"; return; }
	p1=$EVPID
	start_events "$r2" --cgroup "$other" --verdict audit || { why="reader 2 did not start"; return; }
	p2=$EVPID
	probe "$cg" bind 0.0.0.0 0 >/dev/null
	probe "$other" bind 0.0.0.0 0 >/dev/null
	wait_for "$r1" '"verdict":"audit"' || true
	start_events "$r3" --policy "$cg" || { why="reader 3 did not start"; return; }
	probe "$cg" bind 0.0.0.0 0 >/dev/null
	sleep 0.5
	for p in "$p1" "$p2" "$EVPID"; do kill -INT "$p"; wait "$p" 2>/dev/null; done
	n() { python3 -c "import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get('type') == 'bind'))" "$1"; }
	check "reader 1 saw every event" 3 "$(n "$r1")"
	check "reader 2 saw its filter's (audit in $other)" 1 "$(n "$r2")"
	check "reader 3 saw the event after its start only" 1 "$(n "$r3")"
	check "reader 3's filter (policy $cg)" "[$id]" "$(python3 -c "import json, sys
print(sorted({json.loads(l)['policy_cgroup_id'] for l in open(sys.argv[1]) if json.loads(l).get('type') == 'bind'}))" "$r3")"
	check "no reader entry left" 0 "$(ls "$PIN/rings" 2>/dev/null | wc -l)"
	# A reader killed outright: its ring goes at the next full pass.
	start_events "$r1" || { why="reader did not start"; return; }
	kill -KILL "$EVPID"
	wait "$EVPID" 2>/dev/null
	check "killed reader's ring pinned" 1 "$(ls "$PIN/rings" 2>/dev/null | wc -l)"
	"$BG" status >/dev/null
	check "killed reader's ring freed by status" 0 "$(ls "$PIN/rings" 2>/dev/null | wc -l)"
	# The shared stream: one --backlog reader at a time.
	start_events "$r1" --backlog || { why="backlog reader did not start"; return; }
	"$BG" events --backlog >/dev/null 2>"$WORK/backlog2.err"
	check "second --backlog reader exit code" 1 "$?"
	check "says so" 1 "$(grep -c 'one at a time' "$WORK/backlog2.err")"
	stop_events
}

# A reader that does not read loses events on its own ring and counts them;
# the other reader, reading, gets them all.
test_reader_lost_count_is_its_own() {
	local cg id slow="$WORK/slow" fast="$WORK/fast" ps pf n=15000 got lost fgot flost
	cg=$(mkcg reader-lost)
	id=$(cgid "$cg")
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	start_events "$slow" || { why="reader did not start"; return; }
	ps=$EVPID
	start_events "$fast" || { why="reader did not start"; return; }
	pf=$EVPID
	kill -STOP "$ps"
	# Paced so that the reading reader keeps up; 15000 events outgrow the
	# stopped one's 1 MiB ring.
	for _ in $(seq 30); do probe "$cg" storm 0.0.0.0 0 $((n / 30)) >/dev/null; sleep 0.1; done
	kill -CONT "$ps"
	sleep 1.5
	for p in "$ps" "$pf"; do kill -INT "$p"; wait "$p" 2>/dev/null; done
	read -r got lost <<<"$(python3 -c "import json, sys
es = [json.loads(l) for l in open(sys.argv[1])]
got = sum(1 for e in es if e.get('cgroup_id') == $id)
lost = max([e['lost_total'] for e in es if e['type'] == 'lost'] or [0])
print(got, lost)" "$slow")"
	[ "$lost" -gt 0 ] || why="${why:-the stopped reader counted no loss (got $got)}"
	check "stopped reader: delivered ($got) + lost ($lost)" "$n" "$((got + lost))"
	read -r fgot flost <<<"$(python3 -c "import json, sys
es = [json.loads(l) for l in open(sys.argv[1])]
print(sum(1 for e in es if e.get('cgroup_id') == $id), max([e['lost_total'] for e in es if e['type'] == 'lost'] or [0]))" "$fast")"
	check "reading reader: delivered ($fgot) + lost ($flost)" "$n" "$((fgot + flost))"
	[ "$fgot" -gt "$got" ] || why="${why:-the reading reader got $fgot, no more than the stopped one ($got)}"
}

test_events_end_cleanly() {
	local cg rc
	cg=$(mkcg ev-pipe)
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	# A closed pipe ends the reader with status 0, at its next write: denials
	# until it is gone (two could both be written before head exits, and the
	# reader would wait for a third).
	( timeout -s KILL 20 "$BG" events --json 2>"$WORK/pipe.err" | head -n 1 >/dev/null; echo "${PIPESTATUS[0]}" >"$WORK/pipe.rc" ) &
	local sub=$!
	wait_for "$WORK/pipe.err" following
	for _ in $(seq 50); do
		kill -0 "$sub" 2>/dev/null || break
		probe "$cg" bind 0.0.0.0 0 >/dev/null
		sleep 0.1
	done
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

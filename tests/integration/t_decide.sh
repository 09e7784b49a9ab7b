# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The differential test: every case of the corpus (tests/unit/corpus.h: each
# preset and mode, each --allow form, IPv4 / IPv6 / IPv4-mapped / AF_UNSPEC,
# port 0 / inside / outside the rules' range, TCP and UDP, the policed cgroup
# and a sub-cgroup) decided by real binds in real cgroups and by the pure
# decision of include/bg_decide.h. Both must agree on every case; the
# policies' counters must count exactly the refusals, audits and rewrites
# the pure side predicts.

# A base port whose range (base .. base+60) nothing on this host uses.
decide_base() {
	local b used=""
	# Without ss (a minimal guest), a random range: the corpus's ports are
	# then very unlikely to be in use there.
	command -v ss >/dev/null && used=$(ss -Htanu | awk '{ n = split($5, a, ":"); print a[n] }')
	for _ in $(seq 20); do
		b=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if ! echo "$used" | awk -v lo="$b" -v hi="$((b + 60))" '$1 >= lo && $1 <= hi { f = 1 } END { exit !f }'; then
			echo "$b"
			return
		fi
	done
	return 1
}

test_real_binds_agree_with_the_pure_decision() {
	[ -x "$DECIDE" ] || { skip_test "bgdecide not built next to bgprobe ($DECIDE)"; return; }
	local base npol pol cg preset mode allow args r exp obs bad=0 total=0 want got
	base=$(decide_base) || { why="no free port range"; return; }
	"$DECIDE" cases "$base" >"$WORK/cases" || { why="bgdecide cases failed"; return; }
	npol=$(awk '{ print $2 }' "$WORK/cases" | sort -un | wc -l)
	for pol in $(seq 0 $((npol - 1))); do
		read -r preset mode allow < <(awk -v p="$pol" '$2 == p { print $3, $4, $5; exit }' "$WORK/cases")
		cg=$(mkcg "decide$pol")
		mkcg "decide$pol/child" >/dev/null
		args=(--cgroup "$cg" --mode "$mode")
		if [ "$allow" != - ]; then
			IFS=, read -ra rules <<<"$allow"
			for r in "${rules[@]}"; do args+=(--allow "$r"); done
		fi
		"$BG" "$preset" "${args[@]}" >/dev/null 2>"$WORK/apply.err" ||
			{ why="apply policy $pol ($preset $mode $allow): $(cat "$WORK/apply.err")"; return; }
		awk -v p="$pol" '$2 == p && $6 == "self"' "$WORK/cases" |
			"$DECIDE" --cgroup "$CG2$cg" bind >"$WORK/obs" || { why="bgdecide bind failed"; return; }
		awk -v p="$pol" '$2 == p && $6 == "child"' "$WORK/cases" |
			"$DECIDE" --cgroup "$CG2$cg/child" bind >>"$WORK/obs" || { why="bgdecide bind failed"; return; }
		# Join on the case id: pure verdict (audit is allowed) against the outcome.
		while read -r line; do
			echo "DISAGREE $line"
			bad=$((bad + 1))
		done < <(awk -v p="$pol" 'NR == FNR { if ($2 == p) { v = $NF; if (v == "audit") v = "allow"; want[$1] = v; c[$1] = $0 } next }
			{ total++; if (!($1 in want)) { print "unknown case " $0; next }
			  if (want[$1] != $2) print "case " c[$1] " | real: " $2 " " $3 " " $4; seen[$1] = 1 }
			END { for (k in want) if (!(k in seen)) print "case without an outcome " c[k] }' \
			"$WORK/cases" "$WORK/obs")
		total=$((total + $(wc -l <"$WORK/obs")))
		# The counters: every refusal, audit and rewrite counted, nothing else.
		want=$(awk -v p="$pol" '$2 == p { n[$NF]++ } END { printf "%d %d %d", n["deny"], n["audit"], n["rewrite"] }' "$WORK/cases")
		got=$(policy_field "$cg" "'%d %d %d' % (p['counters']['denied'], p['counters']['audited'], p['counters']['rewritten'])")
		check "counters of policy $pol ($preset $mode $allow): denied audited rewritten" "$want" "$got"
		"$BG" detach --cgroup "$cg" >/dev/null || { why="detach policy $pol failed"; return; }
	done
	check "cases decided" "$(wc -l <"$WORK/cases")" "$total"
	check "disagreements between real binds and bg_decide.h" 0 "$bad"
}

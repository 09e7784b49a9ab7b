# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# No pointer reached by walking a struct field goes to a helper or kfunc
# (docs/DESIGN.md). Strict kernels refuse one (untrusted_ptr_); lenient ones
# (Debian's 6.12 and 7.3, mainline) accept it as the deprecated plain ptr_ and
# the program loads anyway, so the proof is the verifier's log: bgverlog loads
# every program of an object on its own with the log on (nothing attached or
# pinned) and tests/verifier_ptrs.py reads each log, the logs of refused
# programs included. Needs BGVERLOG (the Makefile passes it).

VERIFIER_PTRS=$here/../verifier_ptrs.py

# The object bindguard runs on this kernel ("full", "compat", "" if unknown).
verifier_chosen() {
	[ -n "${VERIFIER_CHOSEN+set}" ] && { echo "$VERIFIER_CHOSEN"; return; }
	VERIFIER_CHOSEN=$("$BG" --json check 2>/dev/null |
		jq_py "next((c['status'] for c in d['checks'] if c['name'] == 'bpf-object'), '')" 2>/dev/null)
	echo "$VERIFIER_CHOSEN"
}

# verifier_object OBJ: one object's programs and their logs.
verifier_object() {
	local obj=$1 dir=$WORK/verifier-$1 out n_loaded refused findings rc chosen n
	if [ -z "${BGVERLOG:-}" ] || [ ! -x "$BGVERLOG" ]; then
		skip_test "BGVERLOG does not name the bgverlog helper (make integration sets it)"
		return
	fi
	if [ ! -r "$VERIFIER_PTRS" ]; then
		skip_test "$VERIFIER_PTRS is missing"
		return
	fi
	mkdir -p "$dir"
	if ! out=$("$BGVERLOG" "$dir" "$obj" 2>&1); then
		why="bgverlog failed: $(tail -n 3 <<<"$out" | tr '\n' '|')"
		return
	fi
	# "full: 11 loaded, 0 refused, 1 not-loadable"
	n_loaded=$(sed -n "s/^$obj: \([0-9]*\) loaded, .*/\1/p" <<<"$out")
	if [ -z "$n_loaded" ]; then
		why="bgverlog printed no summary for $obj: $(tail -n 3 <<<"$out" | tr '\n' '|')"
		return
	fi
	refused=$(sed -n "s/^$obj \([^ ]*\) refused: /\1: /p" <<<"$out")
	findings=$(python3 "$VERIFIER_PTRS" "$dir"/*.log 2>&1)
	rc=$?
	if [ $rc -eq 1 ]; then
		# "full-bg_bind4: insn 17: call ...": program and instruction first.
		why="$(wc -l <<<"$findings") helper/kfunc argument(s) from walked pointers:"
		why+=" $(head -n 3 <<<"$findings" | tr '\n' '|')"
		return
	elif [ $rc -ne 0 ]; then
		why="verifier_ptrs.py failed ($rc): $(tail -n 2 <<<"$findings" | tr '\n' '|')"
		return
	fi
	rm -rf "$dir" # clean logs of a whole object are large
	chosen=$(verifier_chosen)
	if [ -n "$refused" ]; then
		if [ "$chosen" = "$obj" ]; then
			why="bindguard runs the $obj object, but this kernel refuses $(head -n 1 <<<"$refused")"
		else
			n=$(wc -l <<<"$refused")
			skip_test "this kernel refuses the $obj object (bindguard runs ${chosen:-which?}):" \
				"$(head -n 1 <<<"$refused")$([ "$n" -gt 1 ] && echo " (and $((n - 1)) more)")"
		fi
	elif [ "$n_loaded" = 0 ]; then
		skip_test "no program of the $obj object loads here: $(grep "^$obj " <<<"$out" | head -n 1)"
	fi
}

test_verifier_full_no_walked_pointer_to_helpers() { verifier_object full; }
test_verifier_compat_no_walked_pointer_to_helpers() { verifier_object compat; }

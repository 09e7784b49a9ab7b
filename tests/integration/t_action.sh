# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The GitHub Action (action.yml, dist/github/action.sh) run as the runner runs
# it: its steps with the INPUT_* variables; and the YAML in the repository.

# action_run VAR=VALUE...: the action's run step with those inputs; its stdout
# and stderr in $WORK/action.out, its exit status returned.
action_run() {
	env -i PATH="$PATH" HOME=/root BINDGUARD="$BG" "$@" \
		"$here/../../dist/github/action.sh" run >"$WORK/action.out" 2>&1
}

test_github_action_steps() {
	local port ev="$WORK/action-events.jsonl" bindpy
	[ -x "$here/../../dist/github/action.sh" ] || { skip_test "no dist/github/action.sh here (the kernel matrix's guests carry the tests only)"; return; }
	port=$(free_port)
	bindpy="python3 -c 'import socket; socket.socket().bind((\"0.0.0.0\", $port)); print(\"bound\")'"
	# A step that binds the wildcard: EPERM, its status passed through, the event.
	action_run INPUT_POLICY=loopback-only INPUT_RUN="$bindpy" INPUT_EVENTS_FILE="$ev" \
		INPUT_USER=nobody
	check "wildcard bind: exit status passed through" 1 "$?"
	check "wildcard bind: EPERM" 1 "$(grep -c 'PermissionError' "$WORK/action.out")"
	check "events file" "bind deny python3 $port" "$(jq_py "' '.join([d['type'], d['verdict'], d['comm'], str(d['port'])])" <"$ev")"
	check "events file user" "$(id -u)" "$(stat -c %u "$ev")"
	# The exception, given as the action's multi-line input.
	action_run INPUT_POLICY=loopback-only INPUT_RUN="$bindpy" INPUT_EVENTS_FILE="$ev" \
		INPUT_ALLOW="$(printf '# the web port\n0.0.0.0:%s\n[::]:%s' "$port" "$port")"
	check "with the allow input" 0 "$?"
	check "with the allow input: bound" 1 "$(grep -c '^bound$' "$WORK/action.out")"
	action_run INPUT_RUN="exit 3" INPUT_EVENTS_FILE="$ev"
	check "exit status 3" 3 "$?"
	action_run INPUT_POLICY=loopback-only INPUT_MODE=audit INPUT_RUN="$bindpy" \
		INPUT_EVENTS_FILE="$ev" INPUT_SUGGEST_FILE="$WORK/action-sugg.txt"
	check "audit mode" 0 "$?"
	check "audit suggestion" "0.0.0.0:$port" "$(grep -v '^#' "$WORK/action-sugg.txt" | awk '{ print $1 }')"
	action_run INPUT_POLICY=open INPUT_RUN=true
	check "bad policy input" 2 "$?"
	check "bad policy input says" 1 "$(grep -c 'policy: open: expected' "$WORK/action.out")"
}

# action.yml and every YAML example in docs/CI.md are yamllint-clean.
test_yaml_is_lint_clean() {
	local top="$here/../.." f
	command -v yamllint >/dev/null || { skip_test "yamllint is not installed (make deps-test installs it)"; return; }
	[ -f "$top/action.yml" ] || { skip_test "no action.yml here (the kernel matrix's guests carry the tests only)"; return; }
	yamllint -c "$top/.yamllint" "$top/action.yml" >"$WORK/yl.out" 2>&1 || why="action.yml: $(head -3 "$WORK/yl.out")"
	mkdir -p "$WORK/ciyaml"
	python3 - "$top/docs/CI.md" "$WORK/ciyaml" <<'PY'
import re, sys
for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", open(sys.argv[1]).read(), re.S)):
    open(f"{sys.argv[2]}/example{i}.yml", "w").write(block)
PY
	check "docs/CI.md has YAML examples" yes "$(ls "$WORK/ciyaml" | grep -q . && echo yes)"
	for f in "$WORK/ciyaml"/*.yml; do
		yamllint -c "$top/.yamllint" "$f" >"$WORK/yl.out" 2>&1 ||
			why="${why:-docs/CI.md example $(basename "$f"): $(head -3 "$WORK/yl.out")}"
	done
}

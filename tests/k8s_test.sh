#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The Kubernetes manifests in deploy/kubernetes, offline: yamllint-clean, every
# document valid against kubernetes-models' schemas, the DaemonSet as the agent
# needs it (tests/k8s/validate.mjs), and the DaemonSet's pod converted to a Pod
# (tests/k8s/pod-from-daemonset.mjs, for podman kube play). No root, no cluster.
# The npm packages go to BG_NPM_CACHE (default /var/cache/bindguard-test/npm),
# outside the tree, installed once and reused.
# Usage: k8s_test.sh. Prints PASS/FAIL lines, then
# "k8s-manifests: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
deploy=$root/deploy/kubernetes
npm_dir=${BG_NPM_CACHE:-/var/cache/bindguard-test/npm}
export BG_NPM_CACHE=$npm_dir
work=$(mktemp -d /tmp/bgk8s.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

pass() { passed=$((passed + 1)); echo "PASS k8s-manifests $1"; }
fail() { failed=$((failed + 1)); echo "FAIL k8s-manifests $1: $2"; }
finish() {
	echo "k8s-manifests: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}
# node_checks NAME SCRIPT ARGS...: a script printing PASS/FAIL lines; its lines
# are counted, and a failure that printed no FAIL line is one.
node_checks() {
	local name=$1 out=$work/node.out
	shift
	node "$@" >"$out" 2>"$work/node.err"
	local rc=$?
	cat "$out"
	passed=$((passed + $(grep -c '^PASS ' "$out")))
	failed=$((failed + $(grep -c '^FAIL ' "$out")))
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
		fail "$name" "node exited $rc: $(tail -n 3 "$work/node.err" | tr '\n' ' ')"
	fi
}

# 1. yamllint (Debian package yamllint; make deps-test installs it).
if ! command -v yamllint >/dev/null; then
	fail "yamllint" "yamllint is not installed (make deps-test installs it)"
elif yamllint -s -c "$here/k8s/yamllint.yaml" "$deploy" >"$work/yl.out" 2>&1; then
	pass "yamllint -s deploy/kubernetes"
else
	fail "yamllint" "$(head -n 5 "$work/yl.out" | tr '\n' ' ')"
fi

# 2. node and the npm packages (make deps-test installs node and npm).
have=1
for tool in node npm; do
	if ! command -v "$tool" >/dev/null; then
		fail "$tool" "$tool is not installed (make deps-test installs it)"
		have=0
	fi
done
[ "$have" = 1 ] || finish
if [ ! -e "$npm_dir/node_modules/kubernetes-models/package.json" ] ||
	[ ! -e "$npm_dir/node_modules/yaml/package.json" ]; then
	if ! { mkdir -p "$npm_dir" &&
		npm install --no-audit --no-fund --loglevel=error --prefix "$npm_dir" \
			kubernetes-models@5.1.0 yaml@2; } >"$work/npm.out" 2>&1; then
		fail "npm install" "into $npm_dir (BG_NPM_CACHE names a writable one): $(tail -n 5 "$work/npm.out" | tr '\n' ' ')"
		finish
	fi
	pass "npm install kubernetes-models@5.1.0 yaml@2 into $npm_dir"
fi

# 3. The schemas and the DaemonSet's settings.
node_checks "validate.mjs manifests" "$here/k8s/validate.mjs" manifests "$deploy" "$(cat "$root/VERSION")"

# 4. The DaemonSet's pod as a Pod of its own.
pod=$work/pod.yaml
if node "$here/k8s/pod-from-daemonset.mjs" "$deploy/daemonset.yaml" "$pod" \
	--image localhost/bindguard:test --name bindguard-test \
	--host-path /run/bindguard="$work/run" \
	--arg agent /etc/bindguard/policies.d="$work/policies" >"$work/conv.out" 2>&1; then
	pass "pod-from-daemonset.mjs converts daemonset.yaml"
	node_checks "validate.mjs pod" "$here/k8s/validate.mjs" pod "$pod" "$work/run"
	if grep -q -- "- $work/policies\$" "$pod" && ! grep -q 'priorityClassName' "$pod"; then
		pass "converted Pod: --arg replaced the agent's argument, priorityClassName dropped"
	else
		fail "converted Pod" "--arg or the dropped fields: $(grep -n 'policies\|priorityClassName' "$pod" | tr '\n' ' ')"
	fi
else
	fail "pod-from-daemonset.mjs" "$(tr '\n' ' ' <"$work/conv.out")"
fi
finish

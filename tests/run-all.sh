#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `make test`: the unit tests, then the integration tests (root), then one closing
# line that sums both: "N passed, N failed, N skipped".
set -u
unit=$1 bindguard=$2 bgprobe=$3 bgverlog=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
P=0 F=0 S=0 status=0

# add_counts FILE: add the suite's closing line to the totals.
add_counts() {
	local line
	line=$(grep -E '^[a-z0-9-]+: [0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		echo "run-all: $2 printed no closing line" >&2
		F=$((F + 1))
		status=1
		return
	fi
	P=$((P + $(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line")))
	F=$((F + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")))
	if [[ $line == *skipped* ]]; then
		S=$((S + $(sed -E 's/.* ([0-9]+) skipped.*/\1/' <<<"$line")))
	fi
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# bindguard state the tests create is removed at the end, unless it was here before.
[ -e /sys/fs/bpf/bindguard ] && had_state=1 || had_state=0

"$unit" | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
add_counts "$log" "unit tests"

# Crash inputs the fuzzers once found, replayed (needs clang's libFuzzer).
make -s -C "$here/.." fuzz-regress 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
add_counts "$log" "fuzz regressions"

# The verifier-log checker against its fixtures (no root, no kernel).
python3 "$here/verifier_ptrs_test.py" | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
add_counts "$log" "verifier-ptrs"

# Every command's usage line, the man page's SYNOPSIS and the README agree.
python3 "$here/docs_agree.py" "$bindguard" | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
add_counts "$log" "docs-agree"

# The bash completion, through compgen.
"$here/completion_test.sh" "$bindguard" | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
add_counts "$log" "completion"

# The agent's systemd unit as make install writes it (systemd-analyze verify; no root).
"$here/systemd_test.sh" | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
add_counts "$log" "systemd-unit"

# VERSION, --version, the man page and debian/changelog agree (no root).
"$here/version_test.sh" "$bindguard" | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
add_counts "$log" "version"

# The Kubernetes manifests: yamllint, their schemas, the DaemonSet (node, npm; no root).
"$here/k8s_test.sh" | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
add_counts "$log" "k8s-manifests"

# An ASan build (CI's second pass) leaves the steps that build their own
# binaries, and the benchmark, to the plain pass.
ldd "$bindguard" 2>/dev/null | grep -q libasan && asan=1 || asan=0
# plain_only NAME CMD...: CMD once, in the plain pass; PASS, or FAIL (status 1)
# with the last lines of its output; SKIP in the ASan pass.
plain_only() {
	local name=$1
	shift
	if [ "$asan" = 1 ]; then
		echo "SKIP $name: an ASan build (the plain build's make test runs it)"
		S=$((S + 1))
	elif "$@" >"$log.step" 2>&1; then
		echo "PASS $name"
		P=$((P + 1))
	else
		tail -n 20 "$log.step"
		echo "FAIL $name"
		F=$((F + 1))
		status=1
		rm -f "$log.step"
		return 1
	fi
	rm -f "$log.step"
}

if [ "$(id -u)" -eq 0 ]; then
	# The static build, for the image tests (t_image.sh).
	if plain_only "make static" make -s -C "$here/.." -j2 static && [ "$asan" = 0 ]; then
		export BGSTATIC="$here/../bindguard-static"
	fi
	BINDGUARD=$bindguard BGPROBE=$bgprobe BGVERLOG=$bgverlog "$here/integration/run.sh" | tee "$log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
	add_counts "$log" "integration tests"
	# The benchmark must build and run; its figures come from `make bench`.
	plain_only "bench-quick (make bench BENCH_QUICK=1)" make -s -C "$here/.." bench BENCH_QUICK=1
	# The Debian package: built, linted, installed, removed, purged. Once, as
	# the benchmark: the package builds its own binary, not the ASan one.
	if [ "$asan" = 1 ]; then
		echo "SKIP package: an ASan build (the plain build's make test runs it)"
		S=$((S + 1))
	else
		"$here/package_test.sh" "$bindguard" | tee "$log"
		[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
		add_counts "$log" "package"
	fi
else
	echo "SKIP integration: not root (run sudo make test)"
	S=$((S + 1))
fi

if [ "$had_state" = 0 ] && [ -e /sys/fs/bpf/bindguard ]; then
	"$bindguard" detach --all --if-unused >/dev/null
fi

echo "$P passed, $F failed, $S skipped"
[ "$F" -eq 0 ] && exit $status
exit 1

# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Bad input is refused with one clear line and changes nothing in the kernel.

# The suite's own state (other users of this machine may change theirs).
state_snapshot() {
	local ids
	ids=$(find "$CG2/$TOP" -type d -exec stat -c %i {} + | sort | tr '\n' '|')
	{ "$BG" --json status | jq_py "sorted((p['cgroup'], p['policy'], p['mode'], p['proto'], p['allow']) for p in d['policies'] if p['cgroup'].startswith('/$TOP/'))"
	  ls "$PIN/links" 2>/dev/null | grep -E "^(${ids%|})-"; } | md5sum
}

# refuse CODE ARGS...: bindguard ARGS must exit CODE with one line on stderr
# starting "bindguard: " and leave the state as it was.
refuse() {
	local want=$1 rc before after lines
	shift
	before=$(state_snapshot)
	"$BG" "$@" >/dev/null 2>"$WORK/refuse.err"
	rc=$?
	after=$(state_snapshot)
	check "exit code of: bindguard $*" "$want" "$rc"
	check "state unchanged by: bindguard $*" "$before" "$after"
	lines=$(grep -c . "$WORK/refuse.err")
	check "stderr lines of: bindguard $*" 1 "$lines"
	grep -q "^bindguard: " "$WORK/refuse.err" || check "error prefix of: bindguard $*" "bindguard: ..." "$(head -1 "$WORK/refuse.err")"
}

test_bad_input_changes_nothing() {
	local cg
	cg=$(mkcg input)
	"$BG" loopback-only --cgroup "$cg" --allow 10.0.0.1 >/dev/null || { why="apply failed"; return; }
	refuse 2 loopback-only --cgroup "$cg" --allow 10.1.2.3/8
	refuse 2 loopback-only --cgroup "$cg" --allow 1.2.3.4/33
	refuse 2 loopback-only --cgroup "$cg" --allow 1.2.3.4:70000
	refuse 2 loopback-only --cgroup "$cg" --allow 300.1.1.1
	refuse 2 loopback-only --cgroup "$cg" --allow '[::1'
	refuse 2 loopback-only --cgroup "$cg" --allow 1.2.3.4:90-80
	refuse 2 loopback-only --cgroup "$cg" --allow ''
	# Option errors are one line of ours too, not getopt's.
	refuse 2 loopback-only --cgroup
	refuse 2 status --json=1
	refuse 2 status --format yaml
	refuse 2 status --format
	refuse 2 --frobnicate status
	refuse 2 loopback-onyl --cgroup "$cg"
	refuse 2 detach -x
	# An address and a port, or an address? Brackets say; without them, refused.
	refuse 2 loopback-only --cgroup "$cg" --allow fd00::2:80
	# Exceptions that would leave the policy nothing to refuse.
	refuse 2 loopback-only --cgroup "$cg" --allow '*'
	refuse 2 deny-wildcard --cgroup "$cg" --allow 0.0.0.0/0
	refuse 2 deny-wildcard --cgroup "$cg" --allow '[::/0]'
	refuse 2 run --loopback-only --allow '*' -- true
	refuse 2 loopback-only --cgroup "$cg" --mode block
	refuse 2 loopback-only --cgroup "$cg" --proto sctp
	refuse 2 loopback-only --cgroup "$cg" --udp-autobind maybe
	refuse 2 loopback-only --cgroup "$cg" --raw sometimes
	refuse 2 loopback-only
	refuse 2 loopback-only --cgroup "/$TOP/does-not-exist"
	refuse 2 loopback-only --cgroup "$cg/cgroup.procs"
	refuse 2 loopback-only --cgroup /../../etc
	# Several targets: one bad one refuses them all (never --pid 1 here: on
	# most hosts its cgroup is not the root, and not ours).
	refuse 2 loopback-only --cgroup "$cg" --pid 999999999
	refuse 2 loopback-only --cgroup "$cg" --cgroup "$cg"
	refuse 2 detach --cgroup "$cg" --cgroup "/$TOP"
	# Exceptions that cannot be compiled are refused before the kernel is
	# touched: not even the config map (its next ruleset id) changes. Its
	# bytes 8-15, the time of the last full pass, are status's to write
	# (refuse runs it).
	local cfg_before
	cfg_before=$(bpftool map lookup pinned "$PIN/bg_cfg" key 0 0 0 0 -j | jq_py "d['value'][:8] + d['value'][16:]")
	refuse 2 loopback-only --cgroup "$cg" --allow 10.0.0.0/8:1 --allow 10.0.0.0/8:3 \
		--allow 10.0.0.0/8:5 --allow 10.0.0.0/8:7 --allow 10.0.0.0/8:9 --allow 10.0.0.0/8:11 \
		--allow 10.0.0.0/8:13 --allow 10.0.0.0/8:15 --allow 10.0.0.0/8:17 --allow 10.0.0.0/8:19 \
		--allow 10.0.0.0/8:21 --allow 10.0.0.0/8:23 --allow 10.0.0.0/8:25 --allow 10.0.0.0/8:27 \
		--allow 10.0.0.0/8:29 --allow 10.0.0.0/8:31 --allow 10.0.0.0/8:33
	refuse 2 run --loopback-only --allow 10.0.0.0/8:1 --allow 10.0.0.0/8:3 \
		--allow 10.0.0.0/8:5 --allow 10.0.0.0/8:7 --allow 10.0.0.0/8:9 --allow 10.0.0.0/8:11 \
		--allow 10.0.0.0/8:13 --allow 10.0.0.0/8:15 --allow 10.0.0.0/8:17 --allow 10.0.0.0/8:19 \
		--allow 10.0.0.0/8:21 --allow 10.0.0.0/8:23 --allow 10.0.0.0/8:25 --allow 10.0.0.0/8:27 \
		--allow 10.0.0.0/8:29 --allow 10.0.0.0/8:31 --allow 10.0.0.0/8:33 -- true
	check "config map untouched by refused exceptions" "$cfg_before" \
		"$(bpftool map lookup pinned "$PIN/bg_cfg" key 0 0 0 0 -j | jq_py "d['value'][:8] + d['value'][16:]")"
	refuse 2 loopback-only --pid 999999999
	refuse 2 loopback-only --pid abc
	refuse 2 loopback-only --cgroup "$cg" extra-argument
	refuse 2 loopback-only --cgroup "$cg" --bogus
	refuse 2 loopback-onl --cgroup "$cg"
	refuse 2 detach
	refuse 2 detach --cgroup "$cg" --all
	refuse 2 events --cgroup "/$TOP/nope"
	# The root cgroup is the whole host: refused without --host-wide.
	refuse 2 loopback-only --cgroup /
	refuse 2 deny-wildcard --cgroup "$CG2"
	check "policy kept" "['10.0.0.1']" "$(policy_field "$cg" "p['allow']")"
	grep -q "host-wide" "$WORK/refuse.err" || why="${why:-root refusal does not name --host-wide}"
}

test_help_and_version() {
	local c
	for c in loopback-only deny-wildcard detach status events check; do
		"$BG" $c --help | grep -q EXAMPLES || why="${why:-$c --help has no EXAMPLES}"
	done
	"$BG" --version | grep -q '^bindguard ' || why="${why:-no version}"
	"$BG" >/dev/null 2>&1
	check "no command" 2 "$?"
}

test_check_reports_coverage() {
	local j
	j=$("$BG" check --json) || { why="check failed"; return; }
	check "bind" enforced "$(echo "$j" | jq_py "[c['status'] for c in d['checks'] if c['name'] == 'bind'][0]")"
	local lsm
	lsm=$(echo "$j" | jq_py "[c['status'] for c in d['checks'] if c['name'] == 'bpf-lsm'][0]")
	check "listen backend (bpf-lsm $lsm)" "$([ "$lsm" = ok ] && echo enforced || echo confined)" \
		"$(echo "$j" | jq_py "[c['status'] for c in d['checks'] if c['name'] == 'listen-autobind'][0]")"
	check "setsockopt guard" enforced "$(echo "$j" | jq_py "[c['status'] for c in d['checks'] if c['name'] == 'setsockopt-guard'][0]")"
	check "created outside" not-covered "$(echo "$j" | jq_py "[c['status'] for c in d['checks'] if c['name'] == 'created-outside'][0]")"
	# The policy limit: what check announces is what status enforces.
	local limit
	limit=$(echo "$j" | jq_py "[c['detail'] for c in d['checks'] if c['name'] == 'policy-limit'][0].split()[2]")
	check "policy limit in check and status" "$limit" "$("$BG" --json status | jq_py "d['max_policies']")"
	[ "$limit" -ge 4095 ] 2>/dev/null || why="${why:-policy limit: $limit}"
}

test_environment_errors() {
	local out rc
	# Not root: one line naming what is missing, exit 1, nothing touched.
	if command -v setpriv >/dev/null; then
		out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$BG" status 2>&1)
		rc=$?
		check "unprivileged status exit code" 1 "$rc"
		[[ $out == "bindguard: status: needs root"* ]] || why="${why:-unprivileged message: $out}"
	fi
	# No cgroup v2 (in a private mount namespace): exit 3.
	out=$(unshare -m sh -c 'umount -l "$1" && "$2" status' sh "$CG2" "$BG" 2>&1)
	rc=$?
	check "status without cgroup v2: exit code" 3 "$rc"
	[[ $out == *"no cgroup v2 mount"* ]] || why="${why:-no-cgroup2 message: $out}"
	# No BTF (hidden in a private mount namespace): exit 3.
	out=$(unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && "$1" check' sh "$BG" 2>&1)
	rc=$?
	check "check without BTF: exit code" 3 "$rc"
	[[ $out == *"kernel has no BTF"* ]] || why="${why:-no-BTF message: $out}"
}

test_make_install_honours_prefix_and_destdir() {
	local root dest
	root=$(cd "$here/../.." && pwd)
	[ -f "$root/Makefile" ] || { skip_test "no source tree at $root"; return; }
	dest="$WORK/destdir"
	make -s -C "$root" install DESTDIR="$dest" PREFIX=/opt/bg >/dev/null 2>&1 || { why="make install failed"; return; }
	[ -x "$dest/opt/bg/sbin/bindguard" ] || why="binary not in DESTDIR/PREFIX/sbin"
	[ -f "$dest/opt/bg/share/man/man8/bindguard.8" ] || why="${why:-man page not installed}"
	[ -f "$dest/opt/bg/share/bash-completion/completions/bindguard" ] || why="${why:-bash completion not installed}"
	check "hooks.d file names the installed binary" /opt/bg/sbin/bindguard \
		"$(jq_py "d['hook']['path']" <"$dest/opt/bg/share/containers/oci/hooks.d/bindguard.json" 2>&1)"
	check "hooks.d file stages" "['createRuntime', 'poststop']" \
		"$(jq_py "d['stages']" <"$dest/opt/bg/share/containers/oci/hooks.d/bindguard.json" 2>&1)"
}

# First-hour messages: a misspelled command gets a suggestion (never run), a
# /sys path outside the cgroup v2 mount says so, values take any case.
test_first_hour_messages() {
	local cg
	cg=$(mkcg firsthour)
	"$BG" loopback-onyl --cgroup "$cg" 2>"$WORK/fh.err"
	check "misspelled command exit" 2 "$?"
	check "misspelled command says" yes "$(grep -q 'did you mean loopback-only?' "$WORK/fh.err" && echo yes)"
	check "misspelled command changed nothing" None "$(policy_field "$cg" "p")"
	if [ "$CG2" != /sys/fs/cgroup ]; then
		"$BG" loopback-only --cgroup "/sys/fs/cgroup/bgtest-nowhere-$$" 2>"$WORK/fh.err"
		check "path outside the mount exit" 2 "$?"
		check "path outside the mount says" yes \
			"$(grep -q "outside the cgroup v2 mount at $CG2 (did you mean $CG2/bgtest-nowhere-$$?)" "$WORK/fh.err" && echo yes)"
	fi
	"$BG" loopback-only --cgroup "$cg" --proto TCP --mode Audit --raw DENY >/dev/null 2>&1
	check "values in capitals" "tcp audit deny" "$(policy_field "$cg" "p and '%s %s %s' % (p['proto'], p['mode'], p['raw'])")"
}

# Under --json a failure is also one JSON object on stdout (the man page's
# DESCRIPTION); the stderr line stays.
test_json_errors() {
	local out
	out=$("$BG" --json detach --cgroup "/$TOP/nonexistent" 2>"$WORK/je.err")
	check "exit" 2 "$?"
	check "error object" "2 True" "$(python3 -c "import json, sys
d = json.loads(sys.argv[1])
print(d['exit'], d['error'].startswith('detach: cgroup /$TOP/nonexistent does not exist'))" "$out" 2>&1)"
	check "stderr line" 1 "$(grep -c '^bindguard: detach: ' "$WORK/je.err")"
	out=$("$BG" --json loopback-onyl 2>/dev/null)
	check "unknown command as JSON" 2 "$(python3 -c "import json, sys; print(json.loads(sys.argv[1])['exit'])" "$out" 2>&1)"
	out=$("$BG" status --bogus 2>/dev/null)
	check "no object without --json" "" "$out"
	# check's report is its JSON even when it exits 3 (no cgroup v2 in a fresh
	# mount namespace): no error object after it.
	out=$(unshare -m sh -c 'umount -l "$1" 2>/dev/null; "$2" --json check' sh "$CG2" "$BG" 2>/dev/null)
	check "check --json without cgroup v2: one document" ok "$(python3 -c "import json, sys
d = json.loads(sys.argv[1])
print('ok' if [c for c in d['checks'] if c['name'] == 'cgroup-v2'][0]['status'] == 'missing' else d)" "$out" 2>&1)"
}

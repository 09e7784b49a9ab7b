# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The static build and the agent's image (make static, Containerfile): the
# static binary runs in an empty root; the image, FROM scratch with that binary
# alone, runs the agent under podman (runc), which polices a cgroup of this
# host from the host's bpffs, cgroup mount and /run/bindguard; exposure is
# judged from network namespace B. Runs only where BGSTATIC names the static
# binary (tests/run-all.sh builds it for the plain host pass).
#
# Safety: the image and container are named after $TOP and removed by
# img_cleanup (called from cleanup()), also on failure; the policy is on a
# cgroup under $TOP only.

IMG_NAME="localhost/bgtest-agent:$TOP"
IMG_BUILT=no
IMG_CTS=()

img_ready() {
	if [ -z "${BGSTATIC:-}" ]; then
		IMG_WHY="no static build given (BGSTATIC; tests/run-all.sh builds one with make static)"
		return 1
	fi
	[ -x "$BGSTATIC" ] || { IMG_WHY="BGSTATIC=$BGSTATIC is not an executable"; return 1; }
}

# podman as the tests here run it (KERNEL-NOTES: runc, the ulimits).
img_podman_run() {
	podman --runtime runc --cgroup-manager cgroupfs run --ulimit nofile=1024:1024 \
		--ulimit nproc=1024:1024 --pull never "$@"
}

img_cleanup() {
	local n
	for n in "${IMG_CTS[@]}"; do podman rm -f -t 0 "$n" >/dev/null 2>&1; done
	[ "$IMG_BUILT" = yes ] && podman rmi -f "$IMG_NAME" >/dev/null 2>&1
	# The agent's record of what it applied (reconcile.h), for this suite's cgroups.
	grep -l "/$TOP/" /run/bindguard/config/*.json 2>/dev/null | xargs -r rm -f
	[ "${IMG_PARENT_EXISTED:-1}" = 0 ] && podman_parent_remove
	IMG_CTS=()
	return 0
}

test_static_binary_runs_in_an_empty_root() {
	img_ready || { skip_test "$IMG_WHY"; return; }
	local root="$WORK/emptyroot" v
	check "no shared libraries" "not a dynamic executable" \
		"$(LC_ALL=C ldd "$BGSTATIC" 2>&1 | sed 's/^[[:space:]]*//')"
	mkdir -p "$root"
	cp "$BGSTATIC" "$root/bindguard"
	v=$(cat "$here/../../VERSION")
	check "--version in an empty root" "bindguard $v" "$(chroot "$root" /bindguard --version 2>&1)"
	# Input checked before anything: one line, exit 2, in the empty root too.
	chroot "$root" /bindguard loopback-only --cgroup /x --mode loud >"$WORK/empty.out" 2>&1
	check "bad input in an empty root: exit status" 2 "$?"
	check "bad input in an empty root: one line" 1 "$(wc -l <"$WORK/empty.out")"
	# check runs and says what is missing (no /proc, /sys in the root): exit 3.
	chroot "$root" /bindguard check >"$WORK/empty.check" 2>&1
	check "check in an empty root: exit status" 3 "$?"
	check "check in an empty root: no cgroup2" missing \
		"$(awk '$1 == "cgroup-v2" { print $2 }' "$WORK/empty.check")"
	check "the root holds the binary alone" bindguard "$(ls -A "$root")"
}

test_image_agent_polices_a_host_cgroup() {
	img_ready || { skip_test "$IMG_WHY"; return; }
	if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
		skip_test "podman or runc is not installed (tests/install-deps.sh installs them)"
		return
	fi
	if [ -e /run/bindguard/agent.lock ] && ! flock -n /run/bindguard/agent.lock true; then
		skip_test "a bindguard agent already runs on this machine (one per machine)"
		return
	fi
	existing_ready || return
	local ctx="$WORK/image" conf="$WORK/image-conf" v cg name port lbl
	v=$(cat "$here/../../VERSION")
	mkdir -p "$ctx" "$conf"
	cp "$BGSTATIC" "$ctx/bindguard-static" && cp "$here/../../Containerfile" "$ctx/"
	if ! podman build -q --layers=false --build-arg "VERSION=$v" -t "$IMG_NAME" "$ctx" >"$WORK/build.out" 2>&1; then
		why="podman build failed: $(tail -n 3 "$WORK/build.out")"
		return
	fi
	IMG_BUILT=yes
	# podman makes its parent cgroup for the agent's container: removed at the
	# end when this suite made it.
	[ -n "${IMG_PARENT_EXISTED:-}" ] || { [ -d "$CG2/libpod_parent" ] && IMG_PARENT_EXISTED=1 || IMG_PARENT_EXISTED=0; }
	lbl=$(podman image inspect -f '{{index .Labels "org.opencontainers.image.version"}}' "$IMG_NAME")
	check "image label version" "$v" "$lbl"
	check "image command" "[/usr/sbin/bindguard] [agent]" \
		"$(podman image inspect -f '{{.Config.Entrypoint}} {{.Config.Cmd}}' "$IMG_NAME")"
	check "image files" "usr/sbin/bindguard" \
		"$(podman image save "$IMG_NAME" 2>/dev/null | tar -xO --wildcards '*.tar' 2>/dev/null | tar -t 2>/dev/null | grep -v '/$' | sort | tr '\n' ' ' | sed 's/ $//')"

	cg=$(mkcg image)
	existing_start "$cg" tcp4:0.0.0.0 || return
	check "before: wildcard listener from B" ok "$(from_b_connect 10.213.9.1 "${PORTS[0]}")"
	stop_pid "$SRVPID"
	conf_file "$conf" image.conf "$cg" loopback-only Mode=rewrite

	# The host's bpffs must be mounted for the container to use it.
	grep -q ' /sys/fs/bpf [^ ]* [^-]*- bpf ' /proc/self/mountinfo || mount -t bpf bpf /sys/fs/bpf
	mkdir -p /run/bindguard
	name="bgtest-agent-$RANDOM$RANDOM"
	IMG_CTS+=("$name")
	port=$(free_port)
	img_podman_run -d --name "$name" --privileged --pid host --cgroupns host --network host \
		-v /sys/fs/bpf:/sys/fs/bpf -v "$CG2:$CG2" -v /run/bindguard:/run/bindguard \
		-v "$conf:/etc/bindguard/policies.d:ro" \
		"$IMG_NAME" agent --metrics-address "127.0.0.1:$port" >"$WORK/ct.out" 2>&1 ||
		{ why="podman run failed: $(cat "$WORK/ct.out")"; return; }
	for _ in $(seq 50); do
		[ "$(policy_field "$cg" "p and p['policy']")" = loopback-only ] && break
		sleep 0.1
	done
	check "the agent in the container applied the file" loopback-only "$(policy_field "$cg" "p and p['policy']")"
	existing_start "$cg" tcp4:0.0.0.0 || { why="${why:-} (agent log: $(podman logs "$name" 2>&1 | tail -3))"; return; }
	check "wildcard listener from B (rewritten to loopback)" ECONNREFUSED "$(from_b_connect 10.213.9.1 "${PORTS[0]}")"
	check "the same listener from A's loopback" ok "$(ip netns exec "$EXA" "$PROBE" connect 127.0.0.1 "${PORTS[0]}")"
	stop_pid "$SRVPID"
	if command -v curl >/dev/null; then
		curl -sf "http://127.0.0.1:$port/metrics" >"$WORK/img.scrape" 2>&1
		check "the static agent serves /metrics" "bindguard_build_info{version=\"$v\"} 1" \
			"$(grep '^bindguard_build_info' "$WORK/img.scrape")"
	fi
	# Stopping the container stops the agent, not the policy (pins on the host).
	podman stop -t 10 "$name" >/dev/null 2>&1
	check "agent exit status" 0 "$(podman inspect -f '{{.State.ExitCode}}' "$name")"
	check "policy after the container stopped" loopback-only "$(policy_field "$cg" "p and p['policy']")"
	existing_start "$cg" tcp4:0.0.0.0 || return
	check "after: wildcard listener from B" ECONNREFUSED "$(from_b_connect 10.213.9.1 "${PORTS[0]}")"
	stop_pid "$SRVPID"
}

# Without the host's bpffs mounted in, the image's agent refuses to mount one
# of its own (it would vanish with the container, and the policies with it).
test_image_refuses_a_bpffs_of_its_own() {
	img_ready || { skip_test "$IMG_WHY"; return; }
	[ "$IMG_BUILT" = yes ] || { skip_test "the image was not built (test_image_agent_polices_a_host_cgroup)"; return; }
	local conf="$WORK/image-conf2" cg name rc
	mkdir -p "$conf" /run/bindguard
	cg=$(mkcg image-nobpf)
	conf_file "$conf" nobpf.conf "$cg" loopback-only
	name="bgtest-agent-$RANDOM$RANDOM"
	IMG_CTS+=("$name")
	timeout 60 podman --runtime runc --cgroup-manager cgroupfs run --ulimit nofile=1024:1024 \
		--ulimit nproc=1024:1024 --pull never --name "$name" --privileged --pid host \
		--cgroupns host --network none -v "$CG2:$CG2" -v /run/bindguard:/run/bindguard \
		-v "$conf:/etc/bindguard/policies.d:ro" "$IMG_NAME" >"$WORK/nobpf.out" 2>&1
	rc=$?
	check "agent exit status" 1 "$rc"
	grep -q "/sys/fs/bpf is not a bpffs" "$WORK/nobpf.out" || why="${why:-no reason given: $(cat "$WORK/nobpf.out")}"
	check "no policy" False "$(policy_field "$cg" "p is not None")"
}

# A container that sees no cgroup2 mount (a tmpfs over /sys/fs/cgroup, as a
# hybrid host's runtime may give it only v1 hierarchies): the image's agent
# mounts cgroup2 in a mount namespace of its own and polices the host's
# cgroup; the host's mounts are as they were.
test_image_mounts_cgroup2_when_none_is_visible() {
	img_ready || { skip_test "$IMG_WHY"; return; }
	[ "$IMG_BUILT" = yes ] || { skip_test "the image was not built (test_image_agent_polices_a_host_cgroup)"; return; }
	if [ -e /run/bindguard/agent.lock ] && ! flock -n /run/bindguard/agent.lock true; then
		skip_test "a bindguard agent already runs on this machine (one per machine)"
		return
	fi
	local conf="$WORK/image-conf3" cg name mounts
	mkdir -p "$conf" /run/bindguard
	cg=$(mkcg image-nocg2)
	conf_file "$conf" nocg2.conf "$cg" deny-wildcard
	grep -q ' /sys/fs/bpf [^ ]* [^-]*- bpf ' /proc/self/mountinfo || mount -t bpf bpf /sys/fs/bpf
	mounts=$(grep -c . /proc/self/mountinfo)
	name="bgtest-agent-$RANDOM$RANDOM"
	IMG_CTS+=("$name")
	img_podman_run -d --name "$name" --privileged --pid host --cgroupns host --network none \
		--mount type=tmpfs,destination=/sys/fs/cgroup -v /sys/fs/bpf:/sys/fs/bpf \
		-v /run/bindguard:/run/bindguard -v "$conf:/etc/bindguard/policies.d:ro" \
		"$IMG_NAME" agent >"$WORK/nocg2.out" 2>&1 || { why="podman run failed: $(cat "$WORK/nocg2.out")"; return; }
	for _ in $(seq 50); do
		[ "$(policy_field "$cg" "p and p['policy']")" = deny-wildcard ] && break
		sleep 0.1
	done
	check "the agent without a visible cgroup2 applied the file" deny-wildcard \
		"$(policy_field "$cg" "p and p['policy']")"
	expect_bind "$cg" EPERM bind 0.0.0.0 0
	# The status command in the same container (the liveness probe) mounts its own too.
	podman exec "$name" /usr/sbin/bindguard status >"$WORK/nocg2.status" 2>&1
	check "status in the container" 0 "$?"
	grep -q "$cg" "$WORK/nocg2.status" || why="${why:-status does not name $cg: $(head -n 3 "$WORK/nocg2.status")}"
	podman stop -t 10 "$name" >/dev/null 2>&1
	check "host mounts unchanged" "$mounts" "$(grep -c . /proc/self/mountinfo)"
	[ -z "$why" ] || why="$why; agent: $(podman logs "$name" 2>&1 | tail -n 3 | tr '\n' ' ')"
}

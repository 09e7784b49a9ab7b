# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Containers with real runtimes: the OCI hook under podman (with runc) and
# under plain runc, and --container. Each container runs in network namespace
# A of existing_hosts (t_existing.sh); reachability is judged from B.
#
# Safety: the image, the containers and the runc cgroups are named after this
# suite's $TOP and removed by ct_cleanup (called from cleanup()), also on
# failure; podman puts its containers in their own new cgroups
# (/libpod_parent/libpod-ID), which only the hook under test polices.

CT_IMAGE="localhost/bgtest-busybox:$TOP"
CT_NAMES=()
CT_RUNC=()
CT_READY=""
# An HTTP GET of 127.0.0.1:8081 inside a container (busybox-static's wget
# crashes on a static build's name service lookups; nc does not look up).
CT_GET='printf "GET / HTTP/1.0\r\n\r\n" | nc 127.0.0.1 8081'

# Is podman (with runc) usable here? Builds the image and the hooks dir once.
# Sets CT_WHY when not.
ct_podman_ready() {
	[ -n "$CT_READY" ] && { [ "$CT_READY" = yes ]; return; }
	CT_READY=no
	# podman makes its parent cgroup in every hierarchy; removed at the end when
	# this suite made it.
	[ -d "$CG2/libpod_parent" ] && CT_PARENT_EXISTED=1 || CT_PARENT_EXISTED=0
	if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
		CT_WHY="podman or runc is not installed (tests/install-deps.sh installs them)"
		return 1
	fi
	ct_rootfs || { CT_WHY="cannot build a busybox root file system (busybox-static)"; return 1; }
	if ! tar -C "$WORK/ctroot" -cf "$WORK/ctroot.tar" . ||
		! podman import "$WORK/ctroot.tar" "$CT_IMAGE" >"$WORK/ctimport.out" 2>&1; then
		CT_WHY="podman import failed: $(tail -n 1 "$WORK/ctimport.out")"
		return 1
	fi
	mkdir -p "$WORK/hooks" &&
		sed "s|@SBINDIR@/bindguard|$BG|" "$here/../../dist/oci/bindguard.json.in" \
			>"$WORK/hooks/bindguard.json" || { CT_WHY="cannot write the hooks dir"; return 1; }
	if ! ct_podman run --rm --network none "$CT_IMAGE" echo works >"$WORK/ctprobe.out" 2>&1 ||
		! grep -qx works "$WORK/ctprobe.out"; then
		CT_WHY="podman --runtime runc cannot run a container here: $(tail -n 1 "$WORK/ctprobe.out")"
		return 1
	fi
	CT_READY=yes
}

# A root file system: busybox-static and the applets the tests use.
ct_rootfs() {
	[ -d "$WORK/ctroot" ] && return 0
	# busybox-static's binary: it needs no libraries in the container.
	local bb=/bin/busybox
	mkdir -p "$WORK/ctroot/bin" "$WORK/ctroot/www" "$WORK/ctroot/tmp" "$WORK/ctroot/proc" \
		"$WORK/ctroot/sys" "$WORK/ctroot/dev" "$WORK/ctroot/etc" &&
		cp "$bb" "$WORK/ctroot/bin/busybox" || return 1
	for a in sh httpd nc sleep cat echo printf grep tail; do ln -sf busybox "$WORK/ctroot/bin/$a"; done
	echo served >"$WORK/ctroot/www/index.html"
}

# podman with the runtime, hooks and limits that work here (KERNEL-NOTES);
# CT_HOOKS picks another hooks dir.
ct_podman() {
	local sub=$1 extra=()
	shift
	[ "$sub" = run ] && extra=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --pull never)
	podman --runtime runc --hooks-dir "${CT_HOOKS:-$WORK/hooks}" --cgroup-manager cgroupfs \
		"$sub" "${extra[@]}" "$@"
}

# ct_run NAME ARGS...: a detached podman container in network namespace A.
ct_run() {
	local name=$1
	shift
	CT_NAMES+=("$name")
	ct_podman run -d --name "$name" --network "ns:/run/netns/$EXA" "$@" >"$WORK/ct.$name.out" 2>&1
}

ct_cleanup() {
	local n
	for n in "${CT_NAMES[@]}"; do podman rm -f -t 0 "$n" >/dev/null 2>&1; done
	for n in "${CT_RUNC[@]}"; do runc delete -f "$n" >/dev/null 2>&1; done
	[ "$CT_READY" = yes ] && podman rmi -f "$CT_IMAGE" >/dev/null 2>&1
	# --cgroup-parent below $TOP: runc made the path in each v1 hierarchy too.
	for n in /sys/fs/cgroup/*/"$TOP"; do
		[ -d "$n" ] && [ "$n" != "$CG2/$TOP" ] || continue
		find "$n" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	[ "${CT_PARENT_EXISTED:-1}" = 0 ] && podman_parent_remove
	CT_NAMES=() CT_RUNC=()
	return 0
}

# podman's parent cgroup (cgroupfs manager), in v2 and each v1 hierarchy, with
# the conmon cgroup it makes in it: for a suite that made it, once its
# containers are gone (rmdir refuses a cgroup still in use).
podman_parent_remove() {
	local n
	for n in "$CG2/libpod_parent" /sys/fs/cgroup/*/libpod_parent; do
		[ -d "$n/conmon" ] && rmdir "$n/conmon" 2>/dev/null
		[ -d "$n" ] && rmdir "$n" 2>/dev/null
	done
	return 0
}

# The cgroup (relative to the mount) of a running podman container.
ct_cgroup() {
	local pid
	pid=$(podman inspect --type container --format '{{.State.Pid}}' "$1") &&
		awk -F'::' '/^0::/ { print $2 }' "/proc/$pid/cgroup"
}

# Until a container's log shows PATTERN (up to ~5 s).
ct_wait_log() {
	for _ in $(seq 50); do
		podman logs "$1" 2>&1 | grep -q "$2" && return 0
		sleep 0.1
	done
	return 1
}

# An annotated podman container: its wildcard listener fails with EPERM before
# anything listens, nothing is reachable from B, its loopback listener works,
# the events name its cgroup; when it is removed, its policy and pins go.
test_container_podman_hook() {
	ct_podman_ready || { skip_test "$CT_WHY"; return; }
	existing_hosts || { skip_test "cannot create network namespaces with a veth"; return; }
	local out="$WORK/ct.events" name="bgt-$RANDOM$RANDOM" cg id left
	start_events "$out" || { why="events reader did not start"; return; }
	ct_run "$name" --annotation io.bindguard.policy=loopback-only "$CT_IMAGE" sh -c \
		'httpd -f -p 8080; echo "wildcard exit $?"; httpd -f -h /www -p 127.0.0.1:8081' ||
		{ why="podman run failed: $(cat "$WORK/ct.$name.out")"; return; }
	ct_wait_log "$name" 'wildcard exit' || { why="the container did not start: $(podman logs "$name" 2>&1)"; return; }
	check "httpd's wildcard bind" yes "$(podman logs "$name" 2>&1 | grep -q 'Operation not permitted' && echo yes)"
	check "wildcard port from B" ECONNREFUSED "$(from_b_connect 10.213.9.1 8080)"
	check "loopback port from B" ECONNREFUSED "$(from_b_connect 10.213.9.1 8081)"
	sleep 0.3
	check "loopback listener inside" served "$(podman exec "$name" sh -c "$CT_GET" 2>&1 | tail -n 1)"
	cg=$(ct_cgroup "$name")
	cid=$(cgid "$cg")
	id=$(podman inspect --type container --format '{{.Id}}' "$name")
	check "container cgroup" "libpod-$id" "$(basename "$cg")"
	check "policy on the container's cgroup" loopback-only "$(policy_field "$cg" "p and p['policy']")"
	check "the socket listing by --container" yes \
		"$("$BG" --json sockets --container "$name" >/dev/null 2>&1 && echo yes)"
	wait_for "$out" '"port":8080' || true
	stop_events
	check "deny event naming the container's cgroup" 1 "$(python3 -c "import json, sys
n = 0
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get('cgroup') == sys.argv[2] and e.get('verdict') == 'deny' and e.get('port') == 8080:
        n += 1
print(min(n, 1))" "$out" "$cg")"
	podman rm -f -t 0 "$name" >/dev/null 2>&1
	check "policy after the container is removed" None "$(policy_field "$cg" "p")"
	check "link pins after the container is removed" 0 "$(ls "$PIN/links" 2>/dev/null | grep -c "^$cid-")"
	check "hook record after removal" no "$([ -e "/run/bindguard/oci/$id" ] && echo yes || echo no)"
	check "status lists no policy of a gone cgroup" 0 "$("$BG" --json status | jq_py \
		"len([p for p in d['policies'] if 'libpod-' in p['cgroup']])")"
}

# The Kubernetes spelling (bindguard.io/..., a pod's annotations as CRI-O and
# containerd pass them on): the hooks.d file's rule runs the hook for it, and
# the policy holds from the first bind.
test_container_kubernetes_annotations() {
	ct_podman_ready || { skip_test "$CT_WHY"; return; }
	existing_hosts || { skip_test "cannot create network namespaces with a veth"; return; }
	local name="bgt-$RANDOM$RANDOM" cg
	ct_run "$name" --annotation bindguard.io/policy=loopback-only \
		--annotation "bindguard.io/allow=*:8082" "$CT_IMAGE" sh -c \
		'httpd -f -p 8080; echo "wildcard exit $?"; httpd -f -h /www -p 8082' ||
		{ why="podman run failed: $(cat "$WORK/ct.$name.out")"; return; }
	ct_wait_log "$name" 'wildcard exit' || { why="the container did not start: $(podman logs "$name" 2>&1)"; return; }
	check "httpd's wildcard bind" yes "$(podman logs "$name" 2>&1 | grep -q 'Operation not permitted' && echo yes)"
	check "wildcard port from B" ECONNREFUSED "$(from_b_connect 10.213.9.1 8080)"
	sleep 0.3
	check "allowed port from B" ok "$(from_b_connect 10.213.9.1 8082)"
	cg=$(ct_cgroup "$name")
	check "policy on the container's cgroup" loopback-only "$(policy_field "$cg" "p and p['policy']")"
	podman rm -f -t 0 "$name" >/dev/null 2>&1
	check "policy after the container is removed" None "$(policy_field "$cg" "p")"
	# Both spellings on one container: the hook refuses it, so podman does not start it.
	name="bgt-$RANDOM$RANDOM"
	ct_run "$name" --annotation bindguard.io/policy=loopback-only \
		--annotation io.bindguard.policy=loopback-only "$CT_IMAGE" sleep 30
	check "both spellings: not started" yes \
		"$(grep -q 'both prefixes' "$WORK/ct.$name.out" && echo yes || cat "$WORK/ct.$name.out")"
}

# Without the annotation the hook leaves a container alone: its wildcard
# listener is reachable from B. --container then polices it while it runs,
# and detach --container lifts that again.
test_container_unannotated_and_by_name() {
	ct_podman_ready || { skip_test "$CT_WHY"; return; }
	existing_hosts || { skip_test "cannot create network namespaces with a veth"; return; }
	local name="bgt-$RANDOM$RANDOM" cg r
	ct_run "$name" "$CT_IMAGE" sh -c 'httpd -f -h /www -p 8080 & sleep 1000' ||
		{ why="podman run failed: $(cat "$WORK/ct.$name.out")"; return; }
	for _ in $(seq 30); do [ "$(from_b_connect 10.213.9.1 8080)" = ok ] && break; sleep 0.1; done
	check "unannotated wildcard listener from B" ok "$(from_b_connect 10.213.9.1 8080)"
	cg=$(ct_cgroup "$name")
	check "no policy on the unannotated container" None "$(policy_field "$cg" "p")"
	# Policed by name: the listener that was there is reported (exit 4), a new one fails.
	"$BG" loopback-only --container "$name" >"$WORK/ct.apply" 2>&1
	r=$?
	check "loopback-only --container (existing listener reported)" 4 "$r"
	check "policy by --container" loopback-only "$(policy_field "$cg" "p and p['policy']")"
	check "a new wildcard listener" yes "$(podman exec "$name" sh -c 'httpd -f -p 8082; echo $?' 2>&1 |
		grep -q 'Operation not permitted' && echo yes)"
	"$BG" detach --container "$name" >/dev/null 2>&1
	check "detach --container" None "$(policy_field "$cg" "p")"
	podman stop -t 0 "$name" >/dev/null 2>&1
	"$BG" loopback-only --container "$name" >"$WORK/ct.stopped" 2>&1
	r=$?
	check "--container of a stopped container exits" 2 "$r"
	check "--container of a stopped container says" yes \
		"$(grep -q "not running" "$WORK/ct.stopped" && echo yes)"
	"$BG" loopback-only --container "bgt-none-$RANDOM" >"$WORK/ct.none" 2>&1
	check "--container of an unknown name says" yes \
		"$(grep -q "no such container" "$WORK/ct.none" && echo yes)"
}

# The parent-cgroup pattern, for runtimes without hooks: a policy on a
# parent cgroup polices every container started below it, from its start.
test_container_parent_cgroup() {
	ct_podman_ready || { skip_test "$CT_WHY"; return; }
	local parent name="bgt-$RANDOM$RANDOM" out
	parent=$(mkcg ctparent)
	"$BG" loopback-only --cgroup "$parent" >/dev/null 2>&1 || { why="apply failed"; return; }
	CT_NAMES+=("$name")
	out=$(ct_podman run --rm --name "$name" --network none --cgroup-parent "$parent" "$CT_IMAGE" \
		sh -c 'cat /proc/self/cgroup; httpd -f -p 8080; echo "wildcard exit $?"' 2>&1)
	check "container below the policed parent" yes "$(grep -q "^0::$parent/" <<<"$out" && echo yes)"
	check "its wildcard listener" yes "$(grep -q 'Operation not permitted' <<<"$out" && echo yes)"
	check "its wildcard exit" yes "$(grep -q 'wildcard exit 1' <<<"$out" && echo yes)"
	[ -z "$why" ] || why="$why; podman said: $(tr '\n' ' ' <<<"$out" | cut -c1-300)"
}

# A bad annotation or a failing hook keeps the container from starting.
test_container_bad_annotation_refused() {
	ct_podman_ready || { skip_test "$CT_WHY"; return; }
	local name ann out
	for ann in "io.bindguard.policy=open-all" "io.bindguard.allow=fd00::/129" \
		"io.bindguard.mode=loose" "io.bindguard.alow=127.0.0.1"; do
		name="bgt-$RANDOM$RANDOM"
		CT_NAMES+=("$name")
		out=$(ct_podman run --rm --name "$name" --network none \
			--annotation io.bindguard.policy=loopback-only --annotation "$ann" \
			"$CT_IMAGE" echo started 2>&1)
		check "container with $ann started" no "$(grep -qx started <<<"$out" && echo yes || echo no)"
		check "the runtime relays the hook's line for $ann" yes \
			"$(grep -q 'bindguard: oci-hook: container' <<<"$out" && echo yes)"
	done
	# Without a policy annotation too: the hooks.d file runs the hook for any
	# of ours, so a misspelt policy name or options alone are not unseen.
	for ann in "bindguard.io/polcy=loopback-only" "io.bindguard.mode=audit"; do
		name="bgt-$RANDOM$RANDOM"
		CT_NAMES+=("$name")
		out=$(ct_podman run --rm --name "$name" --network none --annotation "$ann" \
			"$CT_IMAGE" echo started 2>&1)
		check "container with $ann alone started" no "$(grep -qx started <<<"$out" && echo yes || echo no)"
		check "the hook's line for $ann alone" yes \
			"$(grep -q 'bindguard: oci-hook: container' <<<"$out" && echo yes)"
	done
	# A hook that fails for any other reason fails closed too: here bindguard
	# refuses its environment (a hooks.d env entry naming no BPF object).
	mkdir -p "$WORK/badhooks" && python3 -c "import json, sys
h = json.load(open(sys.argv[1]))
h['hook']['env'] = ['BINDGUARD_OBJECT=none']
json.dump(h, open(sys.argv[2], 'w'))" "$WORK/hooks/bindguard.json" "$WORK/badhooks/bindguard.json"
	name="bgt-$RANDOM$RANDOM"
	CT_NAMES+=("$name")
	out=$(CT_HOOKS="$WORK/badhooks" ct_podman run --rm --name "$name" --network none \
		--annotation io.bindguard.policy=loopback-only "$CT_IMAGE" echo started 2>&1)
	check "container with a failing hook started" no "$(grep -qx started <<<"$out" && echo yes || echo no)"
	check "the runtime relays the failing hook's line" yes \
		"$(grep -q 'BINDGUARD_OBJECT' <<<"$out" && echo yes)"
	check "policies left by refused containers" 0 "$("$BG" --json status 2>/dev/null | jq_py \
		"len([p for p in d['policies'] if 'libpod-' in p['cgroup']])" 2>/dev/null || echo 0)"
}

# Plain runc: a bundle whose config.json carries the hooks and annotations.
test_container_runc_bundle() {
	command -v runc >/dev/null || { skip_test "runc is not installed (tests/install-deps.sh installs it)"; return; }
	ct_rootfs || { skip_test "cannot build a busybox root file system"; return; }
	existing_hosts || { skip_test "cannot create network namespaces with a veth"; return; }
	local b="$WORK/bundle" id="bgt-runc-$RANDOM$RANDOM" out cgp
	cgp="/$TOP.runc.$RANDOM"
	mkdir -p "$b" && (cd "$b" && runc spec) ||
		{ why="runc spec failed"; return; }
	python3 - "$b/config.json" "$BG" "/run/netns/$EXA" "$cgp" "$WORK/ctroot" <<'PY' || { why="config.json edit failed"; return; }
import json, sys
path, bg, netns, cg, root = sys.argv[1:6]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", "httpd -f -p 8080; echo wildcard exit $?; "
                        "httpd -f -h /www -p 127.0.0.1:8081 & sleep 0.3; "
                        "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 8081; kill $!"]
c["root"] = {"path": root, "readonly": False}
c["annotations"] = {"io.bindguard.policy": "deny-wildcard", "io.bindguard.allow": "127.0.0.1:8081"}
hook = {"path": bg, "args": ["bindguard", "oci-hook"]}
c["hooks"] = {"createRuntime": [hook], "poststop": [hook]}
c["linux"]["cgroupsPath"] = cg
c["linux"]["namespaces"] = [n if n["type"] != "network" else {"type": "network", "path": netns}
                            for n in c["linux"]["namespaces"]]
json.dump(c, open(path, "w"))
PY
	CT_RUNC+=("$id")
	out=$(cd "$b" && timeout 20 runc run "$id" </dev/null 2>&1)
	check "runc: wildcard bind refused" yes "$(grep -q 'Operation not permitted' <<<"$out" && echo yes)"
	check "runc: wildcard exit" yes "$(grep -q 'wildcard exit 1' <<<"$out" && echo yes)"
	check "runc: loopback listener inside" yes "$(grep -qx served <<<"$out" && echo yes)"
	check "runc: no policy left after the container" 0 "$("$BG" --json status | jq_py \
		"len([p for p in d['policies'] if p['cgroup'] == '$cgp'])")"
	check "runc: no record left" no "$([ -e "/run/bindguard/oci/$id" ] && echo yes || echo no)"
	[ -z "$why" ] || why="$why; runc said: $(tr '\n' ' ' <<<"$out" | cut -c1-300)"
}

# The hook's own input handling, without a runtime: hostile or incomplete
# state JSON is one line and exit 1; a container without annotations is
# not its business (exit 0, no state made).
test_oci_hook_input() {
	local in r lines
	for in in '' 'null' '[]' '{"id":"x"}' '{"id":"../x","status":"creating","pid":1}' \
		'{"id":"x","status":"creating","pid":-3,"annotations":{"io.bindguard.policy":"loopback-only"}}' \
		'{"id":"x","status":"creating","annotations":{"io.bindguard.policy":"loopback-only"}}' \
		'{"id":"x","status":"creating","pid":1,"annotations":{"io.bindguard.policy":"loopback-only","io.bindguard.policy":"deny-wildcard"}}' \
		'{"id":"x","status":"running","pid":1,"annotations":{"io.bindguard.policy":"loopback-only"}}' \
		'{"id":"x","status":"creating","pid":1,"annotations":{"io.bindguard.mode":"audit"}}' \
		'{"id":"x","status":"creating","pid":1,"annotations":{"io.bindguard.policy":["loopback-only"]}}'; do
		"$BG" oci-hook <<<"$in" >"$WORK/oci.out" 2>"$WORK/oci.err"
		r=$?
		lines=$(wc -l <"$WORK/oci.err")
		check "oci-hook exit for '$in'" 1 "$r"
		check "oci-hook lines for '$in'" 1 "$lines"
	done
	# pid 1 is in the root cgroup here or in another one: never policed by a hook
	# whose container process is in the root cgroup.
	if grep -qx '0::/' /proc/1/cgroup; then
		"$BG" oci-hook <<<'{"id":"x","status":"creating","pid":1,"annotations":{"io.bindguard.policy":"loopback-only"}}' 2>"$WORK/oci.err"
		check "oci-hook on a process of the root cgroup" 1 "$?"
		check "says why" yes "$(grep -q 'root cgroup' "$WORK/oci.err" && echo yes)"
	fi
	"$BG" oci-hook <<<'{"id":"x","status":"creating","pid":1,"annotations":{"other":"y"}}'
	check "oci-hook without bindguard annotations" 0 "$?"
	"$BG" oci-hook --stage poststop <<<'{"id":"x","status":"stopped"}'
	check "oci-hook poststop without annotations" 0 "$?"
	"$BG" oci-hook --stage later <<<'{}' 2>/dev/null
	check "oci-hook --stage later" 2 "$?"
}

# The hook's whole cycle without a runtime, on a test cgroup that outlives the
# "container" (as a runtime that keeps the cgroup would): createRuntime
# polices the cgroup of the pid it is given, poststop finds it through the
# record and removes the policy. Under valgrind where it is installed.
test_oci_hook_cycle_keeps_the_cgroup() {
	local cg pid id="bgt-cycle-$RANDOM" state vg=() rc
	if command -v valgrind >/dev/null && ! ldd "$BG" 2>/dev/null | grep -q libasan; then
		vg=(valgrind -q --error-exitcode=9 --suppressions="$here/../valgrind.supp"
			--leak-check=full --errors-for-leak-kinds=definite,indirect)
	fi
	# The state exists first: creating it under valgrind is covered elsewhere.
	"$BG" loopback-only --cgroup "$(mkcg ocicycle-pre)" >/dev/null 2>&1 || { why="apply failed"; return; }
	cg=$(mkcg ocicycle)
	sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 60' sh "$CG2$cg" &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 50); do grep -q "::$cg\$" "/proc/$pid/cgroup" 2>/dev/null && break; sleep 0.05; done
	state='{"ociVersion":"1.0.2","id":"'$id'","status":"creating","pid":'$pid',"bundle":"/nonexistent",
		"annotations":{"io.bindguard.policy":"deny-wildcard","io.bindguard.allow":"0.0.0.0:8080",
		"io.bindguard.mode":"audit"}}'
	"${vg[@]}" "$BG" oci-hook <<<"$state" 2>"$WORK/cycle.err"
	rc=$?
	check "createRuntime ($(head -3 "$WORK/cycle.err"))" 0 "$rc"
	check "policy from the annotations" "deny-wildcard audit ['0.0.0.0:8080']" \
		"$(policy_field "$cg" "p and '%s %s %s' % (p['policy'], p['mode'], p['allow'])")"
	check "record" "$(cgid "$cg")" "$(awk '{ print $1 }' "/run/bindguard/oci/$id" 2>/dev/null)"
	# A record whose poststop never came, of a cgroup that is gone: swept.
	local gone stale="bgt-stale-$RANDOM"
	gone=$(mkcg ocigone)
	echo "$(cgid "$gone") $gone" >"/run/bindguard/oci/$stale"
	rmdir "$CG2$gone"
	"${vg[@]}" "$BG" oci-hook <<<'{"id":"'$id'","status":"stopped","annotations":{"io.bindguard.policy":"deny-wildcard"}}' \
		2>"$WORK/cycle.err"
	rc=$?
	check "poststop ($(head -3 "$WORK/cycle.err"))" 0 "$rc"
	check "policy after poststop" None "$(policy_field "$cg" "p")"
	check "links after poststop" 0 "$(links_of "$cg")"
	check "record after poststop" no "$([ -e "/run/bindguard/oci/$id" ] && echo yes || echo no)"
	check "stale record after poststop" no "$([ -e "/run/bindguard/oci/$stale" ] && echo yes || echo no)"
	rm -f "/run/bindguard/oci/$stale"
	# A second poststop (a runtime retrying) finds nothing to do.
	"$BG" oci-hook --stage poststop <<<'{"id":"'$id'","status":"stopped","annotations":{"io.bindguard.policy":"x"}}'
	check "second poststop" 0 "$?"
	stop_pid "$pid"
}

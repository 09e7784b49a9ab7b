# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Kubernetes without a cluster: the DaemonSet's pod template (deploy/kubernetes)
# runs as a Pod under `podman kube play` (runc), with the test's ConfigMap. Its
# hook container installs the hook; runc containers of a synthetic kubepods
# tree (both kubelet cgroup drivers' layouts, under $TOP) start with pod
# annotations and the installed hook, as the runtime would run it; the agent
# polices a QoS class by glob; exposure is judged from network namespace B.
# Then the Pod goes (the hook is removed), a container starts without a hook,
# and an agent that starts again polices it from runc's state and forgets the
# policy of a container deleted meanwhile.
#
# The runc state and bundles are at containerd's paths (/run/containerd/runc/
# k8s.io, /run/containerd/io.containerd.runtime.v2.task/k8s.io), which the Pod
# mounts as the DaemonSet does: only where no containerd runs (/run/containerd
# absent), and removed at the end. podman 4.3's kube play ignores hostPID, so
# the agent that rescans runs as the image with --pid host (podman run).
#
# Safety: the Pod, image, containers and cgroups are named after $TOP and
# removed by k8s_cleanup (called from cleanup()), also on failure; the hook is
# installed into $WORK only.

K8S_IMAGE="localhost/bgtest-k8s:$TOP"
K8S_POD=""
K8S_CTS=()
K8S_RUNC=()
K8S_RUNROOT=/run/containerd/runc/k8s.io
K8S_BUNDLES=/run/containerd/io.containerd.runtime.v2.task/k8s.io
K8S_MADE_CONTAINERD=no
K8S_IMAGE_BUILT=no

# The Pod, and the cgroup podman made for it (pod rm leaves it).
k8s_pod_rm() {
	local id n
	[ -n "$K8S_POD" ] || return 0
	id=$(podman pod inspect --format '{{.Id}}' "$K8S_POD" 2>/dev/null)
	podman pod rm -f -t 0 "$K8S_POD" >/dev/null 2>&1
	for n in /sys/fs/cgroup/*/libpod_parent/"$id" "$CG2/libpod_parent/$id"; do
		[ -n "$id" ] && [ -d "$n" ] && find "$n" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	K8S_POD=""
	return 0
}

k8s_cleanup() {
	local n
	k8s_pod_rm
	for n in "${K8S_CTS[@]}"; do podman rm -f -t 0 "$n" >/dev/null 2>&1; done
	for n in "${K8S_RUNC[@]}"; do
		runc --root "$K8S_RUNROOT" kill "$n" KILL >/dev/null 2>&1
		runc --root "$K8S_RUNROOT" delete -f "$n" >/dev/null 2>&1
		rm -f "/run/bindguard/oci/$n"
	done
	[ "$K8S_IMAGE_BUILT" = yes ] && podman rmi -f "$K8S_IMAGE" >/dev/null 2>&1
	# The pause image kube play builds, when it was not here before.
	[ "${K8S_PAUSE_EXISTED:-1}" = 0 ] && podman rmi -f "$(podman images -q localhost/podman-pause)" >/dev/null 2>&1
	[ "$K8S_MADE_CONTAINERD" = yes ] && rm -rf /run/containerd
	grep -l "/$TOP/" /run/bindguard/config/*.json 2>/dev/null | xargs -r rm -f
	[ "${K8S_PARENT_EXISTED:-1}" = 0 ] && podman_parent_remove
	K8S_POD="" K8S_CTS=() K8S_RUNC=() K8S_MADE_CONTAINERD=no K8S_IMAGE_BUILT=no
	return 0
}

k8s_ready() {
	K8S_WHY=""
	[ -n "${BGSTATIC:-}" ] && [ -x "$BGSTATIC" ] ||
		{ K8S_WHY="no static build given (BGSTATIC; tests/run-all.sh builds one with make static)"; return 1; }
	command -v podman >/dev/null && command -v runc >/dev/null ||
		{ K8S_WHY="podman or runc is not installed (tests/install-deps.sh installs them)"; return 1; }
	command -v node >/dev/null ||
		{ K8S_WHY="node is not installed (tests/install-deps.sh test installs it)"; return 1; }
	[ -e "${BG_NPM_CACHE:-/var/cache/bindguard-test/npm}/node_modules/yaml/package.json" ] ||
		{ K8S_WHY="the npm package yaml is not in BG_NPM_CACHE (tests/k8s_test.sh installs it)"; return 1; }
	[ -e /run/containerd ] &&
		{ K8S_WHY="/run/containerd exists (a containerd of this machine): its paths are not the test's to use"; return 1; }
	if [ -e /run/bindguard/agent.lock ] && ! flock -n /run/bindguard/agent.lock true; then
		K8S_WHY="a bindguard agent already runs on this machine (one per machine)"
		return 1
	fi
	ct_rootfs || { K8S_WHY="cannot build a busybox root file system (busybox-static)"; return 1; }
	return 0
}

# k8s_runc ID CGROUP SCRIPT [ANNOTATIONS-JSON [HOOKS-FILE]]: a detached runc
# container in network namespace A, in CGROUP (made by runc), running SCRIPT,
# with the hooks of HOOKS-FILE (a hooks.d file) at its stages, as CRI-O and
# the NRI hook-injector put them in the spec.
k8s_runc() {
	local id=$1 cg=$2 script=$3 ann=${4:-"{}"} hooks=${5:-} b="$K8S_BUNDLES/$1"
	mkdir -p "$b" && (cd "$b" && runc spec) || return 1
	python3 - "$b/config.json" "/run/netns/$EXA" "$cg" "$WORK/ctroot" "$script" "$ann" "$hooks" <<'PY' || return 1
import json, sys
path, netns, cg, root, script, ann, hooks = sys.argv[1:8]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", script]
c["root"] = {"path": root, "readonly": False}
c["annotations"] = json.loads(ann)
if hooks:
    h = json.load(open(hooks))
    hook = {"path": h["hook"]["path"], "args": h["hook"]["args"]}
    c["hooks"] = {s: [hook] for s in h["stages"]}
c["linux"]["cgroupsPath"] = cg
c["linux"]["namespaces"] = [n if n["type"] != "network" else {"type": "network", "path": netns}
                            for n in c["linux"]["namespaces"]]
json.dump(c, open(path, "w"))
PY
	K8S_RUNC+=("$id")
	(cd "$b" && runc --root "$K8S_RUNROOT" run -d "$id" </dev/null >"$WORK/runc.$id.out" 2>&1)
}

k8s_runc_log() { cat "$WORK/runc.$1.out" 2>/dev/null; }

# The suite's cleanup runs at its end only: this test's agents (event
# readers, whose rings a later test counts), containers and Pod go when it
# ends, whatever its result; the agents by SIGTERM, so they unregister.
test_kubernetes_daemonset_pod_polices_a_kubepods_tree() {
	local n
	k8s_pod_test
	for n in "${K8S_CTS[@]}"; do podman stop -t 10 "$n" >/dev/null 2>&1; done
	[ -n "$K8S_POD" ] && podman pod stop -t 20 "$K8S_POD" >/dev/null 2>&1
	k8s_cleanup
}

k8s_pod_test() {
	k8s_ready || { skip_test "$K8S_WHY"; return; }
	existing_ready || return
	local K="$WORK/k8s" v cg_sd cg_fs uid1 uid2 uid3 hookfile agentlog out
	v=$(cat "$here/../../VERSION")
	mkdir -p "$K/ctx" "$K/hooks.d" "$K/bin" || { why="mkdir"; return; }
	[ -d "$CG2/libpod_parent" ] && K8S_PARENT_EXISTED=1 || K8S_PARENT_EXISTED=0
	[ -n "$(podman images -q localhost/podman-pause)" ] && K8S_PAUSE_EXISTED=1 || K8S_PAUSE_EXISTED=0
	cp "$BGSTATIC" "$K/ctx/bindguard-static" && cp "$here/../../Containerfile" "$K/ctx/"
	podman build -q --layers=false --build-arg "VERSION=$v" -t "$K8S_IMAGE" "$K/ctx" >"$K/build.out" 2>&1 ||
		{ why="podman build failed: $(tail -n 3 "$K/build.out")"; return; }
	K8S_IMAGE_BUILT=yes
	mkdir -p "$K8S_RUNROOT" "$K8S_BUNDLES" && K8S_MADE_CONTAINERD=yes
	grep -q ' /sys/fs/bpf [^ ]* [^-]*- bpf ' /proc/self/mountinfo || mount -t bpf bpf /sys/fs/bpf
	mkdir -p /run/bindguard

	# The synthetic tree: kubelet makes the QoS and pod cgroups, runc the
	# containers'. systemd driver: best-effort pod 1; cgroupfs driver:
	# best-effort pod 2 and burstable pod 3.
	uid1=0a1b2c3d_4e5f_6071_8293_a4b5c6d7e8f9 uid2=1b2c3d4e-5f60-7182-93a4-b5c6d7e8f9a0
	uid3=2c3d4e5f-6071-8293-a4b5-c6d7e8f9a0b1
	cg_sd="/$TOP/kubepods.slice/kubepods-besteffort.slice"
	cg_fs="/$TOP/kubepods"
	mkdir -p "$CG2$cg_sd" "$CG2$cg_fs/besteffort" "$CG2$cg_fs/burstable" || { why="mkdir cgroups"; return; }

	# The ConfigMap: every best-effort pod, in both layouts, by glob.
	mkdir -p "$K/policies"
	printf '[Policy]\nCgroup=%s\nPreset=deny-wildcard\n[Policy]\nCgroup=%s\nPreset=deny-wildcard\n' \
		"$cg_sd/kubepods-besteffort-pod*.slice" "$cg_fs/besteffort/pod*" >"$K/policies/besteffort.conf"
	{
		printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bindguard-policies\n'
		printf '  namespace: bindguard\ndata:\n  besteffort.conf: |\n'
		sed 's/^/    /' "$K/policies/besteffort.conf"
	} >"$K/configmap.yaml"
	K8S_POD="bgk8s-$RANDOM$RANDOM"
	node "$here/../k8s/pod-from-daemonset.mjs" "$here/../../deploy/kubernetes/daemonset.yaml" \
		"$K/pod.yaml" --name "$K8S_POD" --image "$K8S_IMAGE" \
		--host-path "/etc/containers/oci/hooks.d=$K/hooks.d" --host-path "/opt/bindguard/bin=$K/bin" \
		--arg hook "/opt/bindguard/bin=$K/bin" --mount-path hook "/host/opt/bindguard/bin=/host$K/bin" \
		>"$K/conv.out" 2>&1 || { why="pod-from-daemonset: $(cat "$K/conv.out")"; return; }
	printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n' >"$K/containers.conf"
	CONTAINERS_CONF="$K/containers.conf" podman --runtime runc --cgroup-manager cgroupfs kube play \
		--network none --configmap "$K/configmap.yaml" "$K/pod.yaml" >"$K/play.out" 2>&1 ||
		{ why="podman kube play failed: $(tail -n 3 "$K/play.out")"; return; }
	agentlog="$K/agent.log"
	hookfile="$K/hooks.d/bindguard-kubernetes.json"
	for _ in $(seq 100); do
		podman logs "$K8S_POD-agent" >"$agentlog" 2>&1
		[ -e "$hookfile" ] && grep -q "watching the cgroup tree" "$agentlog" && break
		sleep 0.1
	done
	check "the hook container installed the hook file" yes "$([ -e "$hookfile" ] && echo yes)"
	check "... naming the binary it installed" "$K/bin/bindguard" \
		"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hook"]["path"])' "$hookfile" 2>&1)"
	check "the agent runs" yes "$(grep -q "watching the cgroup tree" "$agentlog" && echo yes)"
	[ -z "$why" ] || { why="$why; agent: $(tail -n 3 "$agentlog")"; return; }

	# kubelet makes the pod cgroups: the agent's globs police the best-effort ones.
	mkdir "$CG2$cg_sd/kubepods-besteffort-pod$uid1.slice" "$CG2$cg_fs/besteffort/pod$uid2" \
		"$CG2$cg_fs/burstable/pod$uid3"
	for _ in $(seq 50); do
		[ "$(policy_field "$cg_fs/besteffort/pod$uid2" "p and p['policy']")" = deny-wildcard ] && break
		sleep 0.1
	done
	check "glob: systemd-driver best-effort pod" deny-wildcard \
		"$(policy_field "$cg_sd/kubepods-besteffort-pod$uid1.slice" "p and p['policy']")"
	check "glob: cgroupfs-driver best-effort pod" deny-wildcard \
		"$(policy_field "$cg_fs/besteffort/pod$uid2" "p and p['policy']")"
	check "glob: burstable pod untouched" None "$(policy_field "$cg_fs/burstable/pod$uid3" "p")"

	# Containers start in them, as containerd names them.
	local serve='httpd -f -p 8080; echo "wildcard exit $?"; httpd -f -h /www -p 10.213.9.1:8082'
	k8s_runc c-sd "$cg_sd/kubepods-besteffort-pod$uid1.slice/cri-containerd-c-sd.scope" "$serve" \
		'{"io.kubernetes.cri.sandbox-namespace":"web"}' "$hookfile" ||
		{ why="runc c-sd: $(k8s_runc_log c-sd)"; return; }
	# An annotated pod of another class: the hook polices it, loopback only.
	k8s_runc c-fs "$cg_fs/burstable/pod$uid3/c-fs" \
		'httpd -f -p 8080; echo "wildcard exit $?"; httpd -f -h /www -p 10.213.9.1:8083; echo "address exit $?"; sleep 1000' \
		'{"bindguard.io/policy":"loopback-only","io.kubernetes.cri.sandbox-namespace":"web"}' "$hookfile" ||
		{ why="runc c-fs: $(k8s_runc_log c-fs)"; return; }
	# The agent's namespace is exempt: a bad annotation neither stops it nor polices it.
	k8s_runc c-ex "$cg_fs/burstable/pod$uid3/c-ex" 'httpd -f -p 8084' \
		'{"bindguard.io/policy":"bogus","io.kubernetes.cri.sandbox-namespace":"bindguard"}' "$hookfile" ||
		{ why="runc c-ex (exempt) did not start: $(k8s_runc_log c-ex)"; return; }
	sleep 1
	check "best-effort (glob): wildcard 8080 from B" ECONNREFUSED "$(from_b_connect 10.213.9.1 8080)"
	check "best-effort (glob): its own address from B" ok "$(from_b_connect 10.213.9.1 8082)"
	check "annotated: policy on its container cgroup" loopback-only \
		"$(policy_field "$cg_fs/burstable/pod$uid3/c-fs" "p and p['policy']")"
	check "annotated: 8083 (not loopback) from B" ECONNREFUSED "$(from_b_connect 10.213.9.1 8083)"
	check "annotated: both binds refused" yes \
		"$(grep -q 'wildcard exit 1' "$WORK/runc.c-fs.out" && grep -q 'address exit 1' "$WORK/runc.c-fs.out" && echo yes)"
	check "exempt namespace: wildcard 8084 from B" ok "$(from_b_connect 10.213.9.1 8084)"
	check "exempt namespace: no policy" None "$(policy_field "$cg_fs/burstable/pod$uid3/c-ex" "p")"
	[ -z "$why" ] || return

	# Uninstall: the Pod goes, and its hook container takes the hook and binary with it.
	podman pod stop -t 20 "$K8S_POD" >/dev/null 2>&1
	podman logs "$K8S_POD-hook" >"$K/hook.log" 2>&1
	check "uninstall: hook file removed" no "$([ -e "$hookfile" ] && echo yes || echo no)"
	check "uninstall: binary removed" "" "$(ls -A "$K/bin")"
	check "uninstall: the hook container said so" yes \
		"$(grep -q 'removed the hook and the binary' "$K/hook.log" && echo yes)"
	k8s_pod_rm

	# While no hook runs: an annotated container starts unpoliced, and the
	# policed one is deleted (its poststop hook is gone with the binary).
	k8s_runc c-late "$cg_fs/burstable/pod$uid3/c-late" 'httpd -f -p 8086 & sleep 1000' \
		'{"bindguard.io/policy":"deny-wildcard","io.kubernetes.cri.sandbox-namespace":"web"}' ||
		{ why="runc c-late: $(k8s_runc_log c-late)"; return; }
	check "without a hook: no policy yet" None "$(policy_field "$cg_fs/burstable/pod$uid3/c-late" "p")"
	sleep 0.5
	check "without a hook: its wildcard listener from B" ok "$(from_b_connect 10.213.9.1 8086)"
	runc --root "$K8S_RUNROOT" kill c-fs KILL >/dev/null 2>&1
	sleep 0.5
	runc --root "$K8S_RUNROOT" delete -f c-fs >/dev/null 2>&1
	check "deleted meanwhile: record left behind" yes "$([ -e /run/bindguard/oci/c-fs ] && echo yes)"

	# The agent starts again (hostPID: podman run --pid host) and reconciles.
	local name="bgtest-k8s-agent-$RANDOM$RANDOM"
	K8S_CTS+=("$name")
	podman --runtime runc --cgroup-manager cgroupfs run -d --name "$name" --ulimit nofile=1024:1024 \
		--ulimit nproc=1024:1024 --pull never --privileged --pid host --network none \
		-v /sys/fs/bpf:/sys/fs/bpf -v /sys/fs/cgroup:/sys/fs/cgroup:ro -v /run/bindguard:/run/bindguard \
		-v /run/containerd:/run/containerd:ro -v "$K/policies:/etc/bindguard/policies.d:ro" \
		"$K8S_IMAGE" agent --config /etc/bindguard/policies.d --oci-root "$K8S_RUNROOT" \
		--exempt-namespace bindguard >"$K/agent2.out" 2>&1 ||
		{ why="podman run agent: $(cat "$K/agent2.out")"; return; }
	for _ in $(seq 100); do
		[ "$(policy_field "$cg_fs/burstable/pod$uid3/c-late" "p and p['policy']")" = deny-wildcard ] && break
		sleep 0.1
	done
	podman logs "$name" >"$K/agent2.log" 2>&1
	check "restart: the hookless container is policed" deny-wildcard \
		"$(policy_field "$cg_fs/burstable/pod$uid3/c-late" "p and p['policy']")"
	check "restart: the listener it opened before is reported" yes \
		"$(grep -q 'agent: existing socket: tcp .*:8086 .*/c-late: deny (wildcard) by deny-wildcard' "$K/agent2.log" && echo yes)"
	runc --root "$K8S_RUNROOT" exec c-late httpd -f -p 8085 >"$K/exec.out" 2>&1 &
	PIDS+=($!)
	sleep 0.5
	check "restart: its wildcard listener from B" ECONNREFUSED "$(from_b_connect 10.213.9.1 8085)"
	check "restart: the deleted container's record is gone" no \
		"$([ -e /run/bindguard/oci/c-fs ] && echo yes || echo no)"
	check "restart: the deleted container's policy is gone" 0 "$("$BG" --json status | jq_py \
		"len([p for p in d['policies'] if p['cgroup'].endswith('/c-fs')])")"
	check "restart: the exempt container stays unpoliced" None \
		"$(policy_field "$cg_fs/burstable/pod$uid3/c-ex" "p")"
	[ -z "$why" ] || why="$why; agent: $(tail -n 3 "$K/agent2.log" | tr '\n' ' ')"
}

# A rolling update without a gap: the new pod's installer takes the hook over
# before the old one stops, and the old one then leaves it in place; the last
# one removes it. What goes missing meanwhile is put back. (No Pod: the hook
# container's command, on the host, into $WORK.)
test_kubernetes_hook_install_survives_a_rolling_update() {
	local R="$WORK/hostroot" hooks bin old new
	hooks="$R/etc/containers/oci/hooks.d" bin="$R/opt/bindguard/bin"
	mkdir -p "$hooks" "$bin"
	# Bad input: one line, exit 2, nothing written.
	"$BG" install-hook --host-root "$R" --exempt-namespace Not_A_Name >"$WORK/ih.out" 2>&1
	check "bad namespace: exit status" 2 "$?"
	check "bad namespace: nothing written" "" "$(ls -A "$hooks" "$bin" | grep -v ':$' | grep .)"
	BG_HOLD_CHECK_S=1 "$BG" install-hook --hold --host-root "$R" --owner pod-old \
		--exempt-namespace bindguard 2>"$WORK/ih.old" &
	old=$!
	PIDS+=("$old")
	wait_for "$WORK/ih.old" "holding until SIGTERM" || { why="the first installer did not hold"; return; }
	check "the hook file names the host's path of the binary" /opt/bindguard/bin/bindguard \
		"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hook"]["path"])' "$hooks/bindguard-kubernetes.json")"
	check "the installed binary runs" "$("$BG" --version)" "$("$bin/bindguard" --version)"
	rm -f "$hooks/bindguard-kubernetes.json"
	wait_for "$WORK/ih.old" "went missing: installing again" || why="a missing hook file was not put back"
	sleep 0.2
	check "put back" yes "$([ -e "$hooks/bindguard-kubernetes.json" ] && echo yes)"
	BG_HOLD_CHECK_S=1 "$BG" install-hook --hold --host-root "$R" --owner pod-new \
		--exempt-namespace bindguard 2>"$WORK/ih.new" &
	new=$!
	PIDS+=("$new")
	wait_for "$WORK/ih.new" "holding until SIGTERM" || { why="the second installer did not hold"; return; }
	kill -TERM "$old"
	wait "$old"
	check "old installer exit" 0 "$?"
	check "old installer left the new one's hook" yes \
		"$(grep -q 'a newer installer owns the hook; left in place' "$WORK/ih.old" && [ -e "$hooks/bindguard-kubernetes.json" ] && [ -x "$bin/bindguard" ] && echo yes)"
	check "owner" pod-new "$(cat "$bin/owner")"
	kill -TERM "$new"
	wait "$new"
	check "last installer exit" 0 "$?"
	check "nothing left" "" "$(ls -A "$hooks" "$bin" | grep -v ':$' | grep .)"
}

# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Nesting: the nearest policed cgroup governs; children inherit; a child's own
# policy wins; the socket's creation cgroup counts, not the task's.

test_nesting() {
	local parent child port
	parent=$(mkcg nest)
	port=$(free_port)
	"$BG" loopback-only --cgroup "$parent" >/dev/null || { why="apply parent failed"; return; }
	# A cgroup created after the policy inherits it, however deep.
	mkcg nest/later/deeper/deepest >/dev/null
	expect_bind "$parent/later" EPERM bind 0.0.0.0 0
	expect_bind "$parent/later/deeper/deepest" EPERM bind 0.0.0.0 0
	expect_bind "$parent/later/deeper/deepest" ok bind 127.0.0.1 0
	# A child's own policy with one more exception takes precedence.
	child=$(mkcg nest/child)
	"$BG" loopback-only --cgroup "$child" --allow "0.0.0.0:$port" >/dev/null ||
		{ why="apply child failed"; return; }
	expect_bind "$child" ok bind 0.0.0.0 "$port"
	expect_bind "$child" EPERM bind 0.0.0.0 0
	expect_bind "$parent" EPERM bind 0.0.0.0 "$port"
	mkcg nest/child/grand >/dev/null
	expect_bind "$parent/child/grand" ok bind 0.0.0.0 "$port"
	# Only the top-most policed cgroup holds links; the child is covered.
	check "parent links" "$(nprogs)" "$(links_of "$parent")"
	check "child links" 0 "$(links_of "$child")"
	check "child link kind" ancestor "$(policy_field "$child" "p['link']")"
	# Detaching the parent gives the child its own links first.
	"$BG" detach --cgroup "$parent" >/dev/null || { why="detach parent failed"; return; }
	check "child links after parent detach" "$(nprogs)" "$(links_of "$child")"
	expect_bind "$child" EPERM bind 0.0.0.0 0
	expect_bind "$parent/later" ok bind 0.0.0.0 0
}

test_moving_into_new_child_does_not_escape() {
	local parent out pid
	parent=$(mkcg move)
	"$BG" loopback-only --cgroup "$parent" >/dev/null || { why="apply failed"; return; }
	out="$WORK/move.out"
	# A process in the policed cgroup makes a new child and moves itself in.
	sh -c 'echo $$ > "$1/cgroup.procs" && mkdir "$1/escape" &&
		echo $$ > "$1/escape/cgroup.procs" && exec "$2" bind 0.0.0.0 0' \
		sh "$CG2$parent" "$PROBE" >"$out" 2>&1 </dev/null &
	pid=$!
	PIDS+=("$pid")
	wait "$pid"
	check "bind after moving into a new child" EPERM "$(awk '{ print $1 }' "$out")"
}

test_socket_cgroup_governs() {
	local cg
	cg=$(mkcg sockcg)
	"$BG" loopback-only --cgroup "$cg" >/dev/null || { why="apply failed"; return; }
	# A child forked inside binds: policed. Threads share the cgroup too.
	check "forked child" EPERM "$(probe "$cg" fork-bind 0.0.0.0 0 | awk '{ print $1 }')"
	check "thread" EPERM "$(python3 -c "
import socket, threading
open('$CG2$cg/cgroup.procs', 'w').write('0')
out = []
def bind():
    try:
        socket.socket().bind(('0.0.0.0', 0))
        out.append('ok')
    except PermissionError:
        out.append('EPERM')
t = threading.Thread(target=bind)
t.start()
t.join()
print(out[0])" 2>&1)"
	# A socket created outside the policed cgroup and bound by a task that then
	# joined it escapes: the kernel rule, documented as a known gap.
	check "socket created outside" ok "$(python3 -c "
import socket
s = socket.socket()
open('$CG2$cg/cgroup.procs', 'w').write('0')
s.bind(('0.0.0.0', 0))
print('ok')" 2>&1)"
}

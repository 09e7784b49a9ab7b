#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Install what bindguard needs on Debian 12, skipping what is there.
#   install-deps.sh        to build and run bindguard (make deps)
#   install-deps.sh test   that, and what the tests, the kernel matrix and the
#                          benchmarks use (make deps-test; .ci/run)
set -euo pipefail

pkgs=(make gcc clang pkg-config libbpf-dev libelf-dev zlib1g-dev libnl-3-dev libjansson-dev libinih-dev libmicrohttpd-dev
      bpftool iproute2
      python3)  # make demo's web server
case "${1:-}" in
"") ;;
test)
	pkgs+=(valgrind yamllint
	       systemd  # systemd-analyze verify of the agent's unit (a container may lack it)
	       podman runc  # the container tests (the OCI hook, --container)
	       catatonit  # podman kube play's pause image (the Kubernetes test)
	       qemu-system-x86 busybox-static cpio xz-utils  # make test-kernels (busybox-static: containers too)
	       prometheus  # promtool: status --format prom must pass `promtool check metrics`
	       prometheus-node-exporter  # serves the agent's textfile in its test
	       dpkg-dev debhelper lintian git  # the Debian package's test (dpkg-buildpackage, lintian)
	       nginx-light wrk)  # make bench's workloads
	# node and npm: the Kubernetes manifests' offline validation (tests/k8s_test.sh).
	# Only when missing: a node installed otherwise stays (NodeSource's nodejs
	# package carries npm and conflicts with Debian's npm, which would replace it).
	command -v node >/dev/null || pkgs+=(nodejs)
	command -v npm >/dev/null || pkgs+=(npm)
	;;
*)
	echo "usage: install-deps.sh [test]" >&2
	exit 2
	;;
esac
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all present (${pkgs[*]})"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing ${missing[*]}; run as root (sudo make deps${1:+-$1})" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# nginx's and prometheus's packages start their services (on ports 80 and
# 9090 of every address) unless the machine's policy-rc.d says no: while
# installing, it does, unless the machine already has a policy of its own.
policy=/usr/sbin/policy-rc.d
if [ ! -e $policy ]; then
	trap 'rm -f $policy' EXIT
	printf '#!/bin/sh\n# bindguard install-deps: no service starts while it installs\nexit 101\n' >$policy
	chmod 755 $policy
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

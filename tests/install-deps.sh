#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Install what bindguard needs to build and test on Debian 12, skipping what is there.
set -euo pipefail

pkgs=(make gcc clang pkg-config libbpf-dev libelf-dev zlib1g-dev libmnl-dev bpftool
      iproute2 python3 valgrind
      qemu-system-x86 busybox-static cpio xz-utils)  # the last four: make test-kernels
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
	echo "deps: missing ${missing[*]}; run as root (sudo make deps)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# bindguard build. `make help` lists the targets.

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
# Where podman and CRI-O look for hooks (oci-hooks(5)): /usr/share/... and
# /etc/containers/oci/hooks.d by default; a PREFIX of /usr/local needs
# their hooks_dir setting (docs/CONTAINERS.md).
HOOKSDIR ?= $(PREFIX)/share/containers/oci/hooks.d
COMPLETIONSDIR ?= $(PREFIX)/share/bash-completion/completions
# The agent's unit. systemd reads /usr/local/lib/systemd/system ("System units
# installed by the administrator") as well as /usr/lib/systemd/system: systemd.unit(5),
# "Unit File Load Path" (systemd 252, Debian 12; `systemd-analyze unit-paths` lists it).
# Any other PREFIX needs UNITDIR=/etc/systemd/system or a link there.
UNITDIR ?= $(PREFIX)/lib/systemd/system
# The agent's policy directories: the admin's (SYSCONFDIR, /etc whatever the PREFIX)
# and the vendor one (PREFIX/lib/bindguard/policies.d: /usr/lib/... for a
# package), which bindguard is built to read after the admin's.
SYSCONFDIR ?= /etc
POLICYDIR := $(SYSCONFDIR)/bindguard/policies.d
VENDORPOLICYDIR := $(PREFIX)/lib/bindguard/policies.d
DOCDIR ?= $(PREFIX)/share/doc/bindguard
DESTDIR ?=

CC ?= cc
CLANG ?= clang
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
ARCH := x86
OUT := .output

PKG_CFLAGS := $(shell pkg-config --cflags libbpf 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf)

CFLAGS ?= -O2 -g
# The one place the version is written: --version, the man page, the .deb and
# the image label are checked against it (tests/version_test.sh).
VERSION := $(shell cat VERSION)
CFLAGS += -DBG_VERSION='"$(VERSION)"'
# dpkg-buildflags' CPPFLAGS (_FORTIFY_SOURCE) when the package build sets them.
CFLAGS += $(CPPFLAGS)
CFLAGS += -DBG_SYSCONF_POLICYDIR='"$(POLICYDIR)"' -DBG_VENDOR_POLICYDIR='"$(VENDORPOLICYDIR)"'
CFLAGS += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Isrc -I$(OUT) $(PKG_CFLAGS)
CFLAGS += $(shell pkg-config --cflags libnl-3.0)
NL_LIBS := $(shell pkg-config --libs libnl-3.0 2>/dev/null || echo -lnl-3)
JANSSON_LIBS := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
INIH_LIBS := $(shell pkg-config --libs inih 2>/dev/null || echo -linih)
MHD_LIBS := $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
LDLIBS += $(PKG_LIBS) -lelf -lz $(NL_LIBS) $(JANSSON_LIBS) $(INIH_LIBS) $(MHD_LIBS)

# make SANITIZE=1: userspace under ASan+UBSan (used by `make test SANITIZE=1`).
BIN := bindguard
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
OUT := .output-san
BIN := $(OUT)/bindguard
endif

# make static (STATIC=1 inside): one binary with no shared libraries but libc's
# own, in .output-static: Debian's .a of libbpf, libelf, zlib, libnl-3, jansson
# and inih, and libmicrohttpd built without TLS from Debian's source package
# (dist/static/deps.sh: Debian's .a needs gnutls, whose p11-kit has no .a).
ifeq ($(STATIC),1)
OUT := .output-static
BIN := bindguard-static
STATIC_MHD := $(OUT)/deps/lib/libmicrohttpd.a
CFLAGS += -I$(OUT)/deps/include
LDFLAGS += -static
LDLIBS = $(shell pkg-config --static --libs libbpf libnl-3.0 jansson inih) $(STATIC_MHD) -lpthread
endif

BPF_CFLAGS := -g -O2 -mcpu=v3 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) \
	-Iinclude -Ivmlinux/$(ARCH) -idirafter /usr/include/x86_64-linux-gnu

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.PRECIOUS: $(OUT)/%.bpf.o $(OUT)/%.tmp.bpf.o $(OUT)/%.skel.h
.PHONY: all static image clean test test-kernels unit integration install uninstall deps deps-test vmlinux demo help format

# No libbpf: linked into the unit tests too (cgroup.c for its pure parsers).
PURE_SRCS := src/abi.c src/addr.c src/policy.c src/json.c src/event.c src/cgroup.c src/topology.c src/object.c \
	src/existing.c src/diag.c src/sockout.c src/owners.c src/hostnet.c src/oci.c src/runcstate.c \
	src/container.c src/suggest.c src/conf.c src/prom.c
# Everything that talks to the kernel.
KERN_SRCS := src/log.c src/pins.c src/load.c src/state.c src/stats.c src/rings.c \
	src/snapshot.c src/rules.c src/links.c src/gc.c src/control.c \
	src/cmd_policy.c src/status.c src/metrics.c src/cmd_status.c src/consumer.c src/cmd_events.c src/cmd_check.c \
	src/cmd_run.c src/netns.c src/sockets.c src/cmd_sockets.c src/hostview.c src/ocipolice.c src/ociscan.c src/cmd_oci.c src/cmd_hook.c \
	src/reconcile.c src/cmd_apply.c src/metrics_http.c src/cmd_agent.c src/main.c
SRCS := $(PURE_SRCS) $(KERN_SRCS)
OBJS := $(patsubst src/%.c,$(OUT)/%.o,$(SRCS))
PURE_OBJS := $(patsubst src/%.c,$(OUT)/%.o,$(PURE_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c) tests/unit/json_valid.c tests/unit/corpus.c
UNIT_BIN := $(OUT)/unit-tests
HELPER_BINS := $(OUT)/bgprobe $(OUT)/bgverlog $(OUT)/bgdecide

all: $(BIN) $(HELPER_BINS)

help:
	@echo "make            build bindguard (and the test helpers)"
	@echo "make deps       install what building and running needs on Debian 12 (root)"
	@echo "make deps-test  that and what the tests, the kernel matrix and the benchmarks need (root)"
	@echo "make demo       build, then run the loopback-only demo (root)"
	@echo "make test       unit tests, then integration tests against this kernel (root)"
	@echo "make unit       unit tests only (no root)"
	@echo "make test-kernels  the kernel matrix: the integration suite in Debian's 6.1, 6.12 and 7.3 kernels under qemu,"
	@echo "                   and on this host with each BPF object forced (root; KERNELS=\"6.1 host-full\" picks rows)"
	@echo "make install    install to \$$DESTDIR\$$PREFIX (PREFIX=$(PREFIX)): the binary, the man page, the bash"
	@echo "                completion, the OCI hook's hooks.d file, the agent's systemd unit (UNITDIR=$(UNITDIR)),"
	@echo "                empty policy directories ($(POLICYDIR), $(VENDORPOLICYDIR))"
	@echo "                and an example policy file in $(DOCDIR)"
	@echo "make static     bindguard-static: the same, linked statically (fetches Debian's libmicrohttpd source)"
	@echo "make image      the agent's container image FROM scratch with bindguard-static (podman; IMAGE=$(IMAGE))"
	@echo "make vmlinux    regenerate vmlinux/$(ARCH)/vmlinux.h from this kernel's BTF"
	@echo "make test SANITIZE=1   the same under ASan+UBSan"
	@echo "make fuzz       run the libFuzzer harnesses (FUZZ_SECONDS=20 each)"
	@echo "make fuzz-regress  replay the fuzz seed corpus and saved crash inputs (part of make test)"
	@echo "make integration   integration tests only (root)"
	@echo "make bench      benchmarks (root): writes docs/BENCHMARKS.md; BENCH_QUICK=1 for a quick check"
	@echo "make format     clang-format the C sources in place"
	@echo "make uninstall  remove what make install installed (a policy directory only if it is empty)"
	@echo "make clean      remove the build output (.output, .output-san, .output-static, bindguard, bindguard-static)"

deps:
	./tests/install-deps.sh

deps-test:
	./tests/install-deps.sh test

$(OUT):
	$(Q)mkdir -p $@

# --- BPF -----------------------------------------------------------------------
# Two objects from one source: the full one (Linux 6.2+) and the compat one
# (-DBG_COMPAT: no bpf_cast_to_kern_ctx, no cgroup local storage; Linux 6.1).
# bindguard carries both and loads the one the running kernel supports.
$(OUT)/bindguard.tmp.bpf.o: bpf/bindguard.bpf.c | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(OUT)/bindguard_compat.tmp.bpf.o: bpf/bindguard.bpf.c | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DBG_COMPAT -MMD -MP -c $< -o $@

$(OUT)/%.bpf.o: $(OUT)/%.tmp.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# --- userspace -----------------------------------------------------------------
$(OUT)/load.o: $(OUT)/bindguard.skel.h $(OUT)/bindguard_compat.skel.h

$(OUT)/%.o: src/%.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BIN): $(OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/bgprobe: tests/helpers/bgprobe.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP $< $(LDFLAGS) -o $@

# The differential test's two sides: the corpus's pure verdicts, and real binds.
$(OUT)/bgdecide: tests/helpers/bgdecide.c tests/helpers/join.h tests/unit/corpus.c \
		tests/unit/corpus.h $(PURE_OBJS) | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit tests/helpers/bgdecide.c tests/unit/corpus.c $(PURE_OBJS) \
		$(LDFLAGS) $(NL_LIBS) $(JANSSON_LIBS) $(INIH_LIBS) -o $@

# The verifier's log of each program of both objects (the bytes bindguard embeds).
$(OUT)/bgverlog: tests/helpers/bgverlog.c $(OUT)/bindguard.skel.h $(OUT)/bindguard_compat.skel.h \
		| $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP $< $(LDFLAGS) $(LDLIBS) -o $@

$(UNIT_BIN): $(UNIT_SRCS) tests/unit/unit.h tests/unit/corpus.h $(PURE_OBJS) | $(OUT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $(UNIT_SRCS) $(PURE_OBJS) $(LDFLAGS) $(NL_LIBS) $(JANSSON_LIBS) $(INIH_LIBS) -o $@

# --- tests ---------------------------------------------------------------------
unit: $(UNIT_BIN)
	$(UNIT_BIN)

integration: $(BIN) $(HELPER_BINS)
	BINDGUARD=$(CURDIR)/$(BIN) BGPROBE=$(CURDIR)/$(OUT)/bgprobe BGVERLOG=$(CURDIR)/$(OUT)/bgverlog \
		tests/integration/run.sh

test: $(UNIT_BIN) $(BIN) $(HELPER_BINS)
	tests/run-all.sh $(UNIT_BIN) $(CURDIR)/$(BIN) $(CURDIR)/$(OUT)/bgprobe $(CURDIR)/$(OUT)/bgverlog

# The kernel matrix (tests/vm/kernels): Debian's kernels under qemu, and host
# rows that run the integration suite here with BINDGUARD_OBJECT forced (the
# same environment as `integration`). BG_VM_JOBS=N: qemu rows at a time.
test-kernels: $(BIN) $(HELPER_BINS)
	BINDGUARD=$(CURDIR)/$(BIN) BGPROBE=$(CURDIR)/$(OUT)/bgprobe BGVERLOG=$(CURDIR)/$(OUT)/bgverlog \
		$(if $(BG_VM_JOBS),BG_VM_JOBS=$(BG_VM_JOBS)) tests/vm/run.sh $(KERNELS)

# The static binary (see STATIC above); the agent's image, FROM scratch, holds it
# alone (Containerfile). IMAGE names it.
IMAGE ?= localhost/bindguard:$(VERSION)
static:
	$(Q)$(MAKE) --no-print-directory STATIC=1 bindguard-static

ifeq ($(STATIC),1)
$(STATIC_MHD):
	$(Q)dist/static/deps.sh $(OUT)/deps
$(OUT)/metrics_http.o $(BIN): $(STATIC_MHD)
endif

image: static
	$(call msg,IMAGE,$(IMAGE))
	$(Q)rm -rf .output-static/image && mkdir -p .output-static/image && \
		cp bindguard-static Containerfile .output-static/image/ && \
		podman build -q --layers=false --build-arg VERSION=$(VERSION) -t $(IMAGE) .output-static/image

demo: bindguard
	./tests/demo.sh ./bindguard

# --- maintenance ---------------------------------------------------------------
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

format:
	clang-format -i src/*.c src/*.h include/*.h bpf/*.c tests/unit/*.c tests/unit/*.h tests/helpers/*.c \
		bench/*.c

install: bindguard
	install -D -m 0755 bindguard $(DESTDIR)$(SBINDIR)/bindguard
	install -D -m 0644 docs/bindguard.8 $(DESTDIR)$(MANDIR)/man8/bindguard.8
	# The OCI hook's hooks.d file names the installed binary (this SBINDIR).
	install -d $(DESTDIR)$(HOOKSDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|' dist/oci/bindguard.json.in >$(DESTDIR)$(HOOKSDIR)/bindguard.json
	chmod 0644 $(DESTDIR)$(HOOKSDIR)/bindguard.json
	install -D -m 0644 dist/bash-completion/bindguard \
		$(DESTDIR)$(COMPLETIONSDIR)/bindguard
	# The agent's unit names the installed binary (this SBINDIR), as the hooks.d file does.
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|' dist/systemd/bindguard.service.in >$(DESTDIR)$(UNITDIR)/bindguard.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/bindguard.service
	# Policy directories, left empty: an example in policies.d would police a cgroup.
	install -d -m 0755 $(DESTDIR)$(POLICYDIR) $(DESTDIR)$(VENDORPOLICYDIR)
	install -D -m 0644 dist/config/example.conf.sample $(DESTDIR)$(DOCDIR)/example.conf.sample

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/bindguard $(DESTDIR)$(MANDIR)/man8/bindguard.8 \
		$(DESTDIR)$(HOOKSDIR)/bindguard.json $(DESTDIR)$(COMPLETIONSDIR)/bindguard \
		$(DESTDIR)$(UNITDIR)/bindguard.service $(DESTDIR)$(DOCDIR)/example.conf.sample
	# Directories go only when empty: a policy file someone wrote stays, with its directory.
	@for d in $(DESTDIR)$(POLICYDIR) $(DESTDIR)$(SYSCONFDIR)/bindguard \
		$(DESTDIR)$(VENDORPOLICYDIR) $(DESTDIR)$(PREFIX)/lib/bindguard $(DESTDIR)$(DOCDIR); do \
		rmdir "$$d" 2>/dev/null || true; \
	done
	@for d in $(DESTDIR)$(POLICYDIR) $(DESTDIR)$(VENDORPOLICYDIR); do \
		if [ -d "$$d" ]; then echo "uninstall: kept $$d: it is not empty"; fi; \
	done

clean:
	rm -rf .output .output-san .output-static bindguard bindguard-static

-include $(wildcard $(OUT)/*.d)

# --- fuzzing (libFuzzer, clang) -----------------------------------------------------
# make fuzz                 each harness for FUZZ_SECONDS (default 20) from the seed corpus
# make fuzz FUZZ_SECONDS=3600   longer; new inputs go to tests/fuzz/out/<harness>/
# make fuzz-regress         replay the seed corpus and every saved regression input
FUZZ_SECONDS ?= 20
FUZZERS := rule event mountinfo diag oci conf runc
FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -Itests/unit \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(shell pkg-config --cflags libnl-3.0)
FUZZ_SRCS := src/addr.c src/policy.c src/json.c src/event.c src/cgroup.c src/diag.c src/existing.c \
	src/sockout.c src/owners.c src/oci.c src/runcstate.c src/conf.c tests/unit/json_valid.c

.PHONY: fuzz fuzz-build fuzz-regress
fuzz-build: $(patsubst %,.output/fuzz_%,$(FUZZERS))

.output/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRCS) | .output
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(FUZZ_SRCS) $(NL_LIBS) $(JANSSON_LIBS) $(INIH_LIBS) -o $@

fuzz: fuzz-build
	@for f in $(FUZZERS); do \
		mkdir -p tests/fuzz/out/$$f; \
		echo "fuzz: $$f for $(FUZZ_SECONDS) s"; \
		if ! .output/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
			-artifact_prefix=tests/fuzz/out/$$f- tests/fuzz/out/$$f tests/fuzz/corpus/$$f \
			>tests/fuzz/out/$$f.log 2>&1; then \
			tail -n 20 tests/fuzz/out/$$f.log; \
			echo "fuzz: $$f found a crash: add the input to tests/fuzz/regressions/$$f/"; \
			exit 1; \
		fi; \
		tail -n 1 tests/fuzz/out/$$f.log; \
	done

# Replays the seed corpus and the saved crash inputs; `make test` runs it.
fuzz-regress: fuzz-build
	@p=0; f=0; for h in $(FUZZERS); do \
		inputs=$$(ls -d tests/fuzz/corpus/$$h/* tests/fuzz/regressions/$$h/* 2>/dev/null); \
		if .output/fuzz_$$h $$inputs >/dev/null 2>&1; then \
			echo "PASS fuzz-regress $$h ($$(echo $$inputs | wc -w) inputs)"; p=$$((p + 1)); \
		else echo "FAIL fuzz-regress $$h"; f=$$((f + 1)); fi; \
	done; echo "fuzz-regress: $$p passed, $$f failed"; [ $$f -eq 0 ]

# --- benchmarks ----------------------------------------------------------------
# make bench (root): per-bind hook cost, scale, event pipeline, control plane;
# bench/run.sh writes docs/BENCHMARKS.md and docs/benchmarks.json.
# BENCH_QUICK=1: a tiny run (seconds) that writes to $(OUT)/bench-quick/ instead.
# BENCH_MAX=1: also fill bindguard to its policy limit (slow). BENCH_OUT=DIR: output.
.PHONY: bench
BENCH_BINS := $(OUT)/bindbench $(OUT)/workload $(OUT)/bench_empty.bpf.o

$(OUT)/bindbench: bench/bindbench.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP $< $(LDFLAGS) -o $@

$(OUT)/workload: bench/workload.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP $< $(LDFLAGS) -o $@

$(OUT)/bench_empty.bpf.o: bench/empty.bpf.c | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

bench: $(BIN) $(BENCH_BINS)
	BINDGUARD=$(CURDIR)/$(BIN) BINDBENCH=$(CURDIR)/$(OUT)/bindbench \
	WORKLOAD=$(CURDIR)/$(OUT)/workload \
	BENCH_EMPTY_OBJ=$(CURDIR)/$(OUT)/bench_empty.bpf.o BPFTOOL=$(BPFTOOL) \
		bench/run.sh $(if $(filter 1,$(BENCH_QUICK)),--quick) \
		$(if $(filter 1,$(BENCH_MAX)),--max-policies) $(if $(BENCH_OUT),--out $(BENCH_OUT))

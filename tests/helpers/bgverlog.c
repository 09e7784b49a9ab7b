// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bgverlog: the verifier's log of every program of bindguard's two BPF
 * objects (the bytes built into this binary, as bindguard carries them), for
 * tests/verifier_ptrs.py. Nothing is pinned or attached.
 *
 *   bgverlog [-v] [-l LEVEL] DIR [full|compat]...
 *
 * Each program is loaded on its own (one object instance each: libbpf stops
 * an object's load at its first refused program) with the verifier's log on,
 * and its log is written to DIR/<object>-<program>.log. The level is 2 unless
 * -l says otherwise: at level 1 the kernel rewinds the log over every path
 * that verified (only a refused path stays, and a program that loads leaves
 * just its "processed" line); level 2 keeps every path. One line per program:
 *
 *   <object> <program> loaded (N insns processed)
 *   <object> <program> refused: <the verifier's (or libbpf's) first error line>
 *   <object> <program> not-loadable: <why> (a trampoline program refused
 *                      before verification, as lsm_cgroup is on some kernels)
 *
 * then "<object>: N loaded, N refused, N not-loadable". -v: libbpf's own
 * messages on stderr. Exit status: 0 when it ran (whatever loaded), 1 on an
 * I/O error, 2 on usage.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "bindguard.h" /* before the skeletons: their .bss holds bindguard.h types */
#include "bindguard.skel.h"
#include "bindguard_compat.skel.h"

#define STATS_ENTRIES 64	      /* bg_stats: any valid size verifies the same code */
#define LOG_START     (16u << 20)     /* level 2 prints every processed instruction */
#define LOG_MAX	      (UINT_MAX >> 2) /* the largest log_size the kernel takes */

struct object {
	const char *name;
	const void *(*bytes)(size_t *n);
};

static const struct object objects[] = {
	{ "full", bindguard_bpf__elf_bytes },
	{ "compat", bindguard_compat_bpf__elf_bytes },
};

static bool verbose;
static unsigned log_level = 2;
static char libbpf_msg[512]; /* libbpf's first warning of the current load */

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[sizeof(libbpf_msg) - 16];
	va_list aq;

	va_copy(aq, ap);
	if (verbose)
		vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_WARN && !libbpf_msg[0]) {
		vsnprintf(line, sizeof(line), fmt, aq);
		/* The log dump repeats what the log file holds. */
		if (!strstr(line, "PROG LOAD LOG")) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(libbpf_msg, sizeof(libbpf_msg), "%s%s",
				 strncmp(line, "libbpf: ", 8) ? "libbpf: " : "", line);
		}
	}
	va_end(aq);
	return 0;
}

/* Programs that go through a BPF trampoline: some kernels refuse every one of
 * them with EPERM before the verifier runs (this project's 6.18 machines do). */
static bool trampoline_type(enum bpf_prog_type t)
{
	return t == BPF_PROG_TYPE_LSM || t == BPF_PROG_TYPE_TRACING || t == BPF_PROG_TYPE_EXT;
}

/* The first line of a failed log that says why: the first one after the last
 * instruction line ("N: (op) ...") that is not the "processed" summary. */
static void error_line(const char *log, char *out, size_t len)
{
	const char *p = log, *after = log;

	out[0] = '\0';
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		unsigned idx;
		char op[3];

		if (sscanf(p, "%u: (%2[0-9a-f])", &idx, op) == 2)
			after = e ? e + 1 : p + n;
		p += n + (e != NULL);
	}
	for (p = after; *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n && strncmp(p, "processed ", 10) && strncmp(p, "verification time", 17)) {
			snprintf(out, len, "%.*s", (int)n, p);
			return;
		}
		p += n + (e != NULL);
	}
}

static int write_log(const char *path, const char *log)
{
	FILE *f = fopen(path, "w");
	int r;

	if (!f) {
		fprintf(stderr, "bgverlog: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	r = fputs(log, f) == EOF;
	if (fclose(f) || r) {
		fprintf(stderr, "bgverlog: write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

enum outcome { LOADED, REFUSED, NOT_LOADABLE, FAILED };

/* Open a fresh instance of the object with only program `want` to load. */
static struct bpf_object *open_one(const struct object *o, const char *want, char *buf, size_t size)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "bindguard");
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	const void *bytes;
	size_t n;
	int r = 0;

	bytes = o->bytes(&n);
	obj = bpf_object__open_mem(bytes, n, &opts);
	if (!obj)
		return NULL;
	bpf_object__for_each_program (prog, obj) {
		bool me = !strcmp(bpf_program__name(prog), want);

		bpf_program__set_autoload(prog, me);
		if (me) {
			bpf_program__set_log_level(prog, log_level);
			bpf_program__set_log_buf(prog, buf, size);
		}
	}
	map = bpf_object__find_map_by_name(obj, "bg_stats");
	if (map)
		r = bpf_map__set_max_entries(map, STATS_ENTRIES);
	if (r) {
		fprintf(stderr, "bgverlog: %s %s: prepare: %s\n", o->name, want, strerror(-r));
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

static enum outcome load_one(const struct object *o, const char *name, const char *dir)
{
	char path[4096], why[512];
	struct bpf_object *obj;
	struct bpf_program *prog;
	enum bpf_prog_type type;
	size_t size = LOG_START;
	bool verified;
	char *buf;
	int r;

	for (;;) {
		buf = calloc(1, size);
		if (!buf) {
			fprintf(stderr, "bgverlog: no memory for a %zu-byte log\n", size);
			return FAILED;
		}
		libbpf_msg[0] = '\0';
		obj = open_one(o, name, buf, size);
		if (!obj) {
			free(buf);
			return FAILED;
		}
		prog = bpf_object__find_program_by_name(obj, name);
		type = bpf_program__type(prog);
		r = bpf_object__load(obj);
		bpf_object__close(obj);
		/* A full log fails the load (ENOSPC): again with more room. */
		if (r != -ENOSPC || size >= LOG_MAX)
			break;
		free(buf);
		size = size > LOG_MAX / 4 ? LOG_MAX : size * 4;
	}
	snprintf(path, sizeof(path), "%s/%s-%s.log", dir, o->name, name);
	verified = buf[0] != '\0';
	/* Refused before the verifier ran: keep libbpf's reason in the file. */
	if (r && !verified && libbpf_msg[0])
		snprintf(buf, size, "%s\n", libbpf_msg);
	if (write_log(path, buf)) {
		free(buf);
		return FAILED;
	}
	if (!r) {
		const char *p = strstr(buf, "processed ");
		unsigned long insns = 0;

		if (p)
			sscanf(p, "processed %lu", &insns);
		printf("%s %s loaded (%lu insns processed)\n", o->name, name, insns);
		free(buf);
		return LOADED;
	}
	if (r == -EPERM && !verified && trampoline_type(type)) {
		printf("%s %s not-loadable: %s before verification (%s program: this kernel "
		       "refuses BPF trampolines)\n",
		       o->name, name, strerror(-r), libbpf_bpf_prog_type_str(type));
		free(buf);
		return NOT_LOADABLE;
	}
	error_line(buf, why, sizeof(why));
	if (!why[0])
		snprintf(why, sizeof(why), "%s", strerror(-r));
	printf("%s %s refused: %s\n", o->name, name, why);
	free(buf);
	return REFUSED;
}

static int run_object(const struct object *o, const char *dir)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "bindguard");
	int count[FAILED + 1] = { 0 }, nprogs = 0, failed = 0;
	struct bpf_object *obj;
	struct bpf_program *prog;
	char **names;
	const void *bytes;
	size_t n;

	bytes = o->bytes(&n);
	obj = bpf_object__open_mem(bytes, n, &opts);
	if (!obj) {
		fprintf(stderr, "bgverlog: open the %s object: %s\n", o->name, strerror(errno));
		return 1;
	}
	bpf_object__for_each_program (prog, obj)
		nprogs++;
	names = calloc(nprogs ? nprogs : 1, sizeof(*names));
	nprogs = 0;
	bpf_object__for_each_program (prog, obj)
		names[nprogs++] = strdup(bpf_program__name(prog));
	bpf_object__close(obj);

	for (int i = 0; i < nprogs; i++) {
		count[load_one(o, names[i], dir)]++;
		free(names[i]);
	}
	free(names);
	printf("%s: %d loaded, %d refused, %d not-loadable\n", o->name, count[LOADED],
	       count[REFUSED], count[NOT_LOADABLE]);
	failed = count[FAILED];
	return failed ? 1 : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: bgverlog [-v] [-l LEVEL] DIR [full|compat]...\n");
	return 2;
}

int main(int argc, char **argv)
{
	bool want[2] = { false, false };
	const char *dir;
	struct stat st;
	int i = 1, status = 0;

	for (; i < argc && argv[i][0] == '-'; i++) {
		char *end;

		if (!strcmp(argv[i], "-v")) {
			verbose = true;
		} else if (!strcmp(argv[i], "-l") && i + 1 < argc) {
			log_level = strtoul(argv[++i], &end, 10);
			if (*end || log_level < 1 || log_level > 2)
				return usage();
		} else {
			return usage();
		}
	}
	if (i >= argc)
		return usage();
	dir = argv[i++];
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "bgverlog: %s is not a directory\n", dir);
		return 2;
	}
	for (; i < argc; i++) {
		int k;

		for (k = 0; k < 2 && strcmp(argv[i], objects[k].name); k++)
			;
		if (k == 2)
			return usage();
		want[k] = true;
	}
	if (!want[0] && !want[1])
		want[0] = want[1] = true;
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	libbpf_set_print(print_libbpf);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int k = 0; k < 2; k++)
		if (want[k] && run_object(&objects[k], dir))
			status = 1;
	return status;
}

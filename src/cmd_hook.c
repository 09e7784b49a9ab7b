// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * install-hook, uninstall-hook: put the OCI hook on a node from the agent's
 * image (deploy/kubernetes): this binary copied to the host, and the
 * hooks.d file that runs it, which CRI-O, podman and containerd's NRI
 * hook-injector read. With --hold the installer stays until SIGTERM, puts
 * back what goes missing meanwhile, and then removes both, unless a newer
 * installer (a rolling update's new pod) owns them by then: the owner file
 * names the last installer, and the lock orders installers. The binary is
 * in place before the hooks.d file names it and outlives it on removal, so
 * a runtime never runs a hook that is not there.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include "commands.h"
#include "log.h"
#include "oci.h"

#define HOOK_FILE    "bindguard-kubernetes.json"
#define HOLD_CHECK_S 10
#define OWNER_MAX    128

struct hook_paths {
	char bin[PATH_MAX];	/* the binary as the host names it (in the hooks.d file) */
	char bin_at[PATH_MAX];	/* ... and as we reach it (under --host-root) */
	char hook_at[PATH_MAX]; /* the hooks.d file */
	char owner_at[PATH_MAX];
	char lock_at[PATH_MAX];
	char bindir_at[PATH_MAX];
	char hooksdir_at[PATH_MAX];
};

static void hook_usage(FILE *f, bool install)
{
	if (install)
		fprintf(f,
			"usage: bindguard install-hook [--hold] [--host-root DIR] [--hooks-dir "
			"DIR]\n"
			"                              [--bin-dir DIR] [--owner TOKEN] "
			"[--exempt-namespace NS]...\n"
			"\n"
			"Install the OCI hook on this host: copy this binary to BIN-DIR/bindguard\n"
			"and write HOOKS-DIR/" HOOK_FILE " (oci-hooks(5)), which runs it for\n"
			"containers with a bindguard policy annotation. Both paths are the "
			"host's;\n"
			"from a container with the host's directories mounted under DIR, give\n"
			"--host-root DIR.\n"
			"\n"
			"  --hold              stay until SIGTERM, putting back what goes "
			"missing,\n"
			"                      then uninstall (unless a newer installer owns it)\n"
			"  --host-root DIR     where the host's / is (default /)\n"
			"  --hooks-dir DIR     default /etc/containers/oci/hooks.d\n"
			"  --bin-dir DIR       default /opt/bindguard/bin\n"
			"  --owner TOKEN       who installs (default: $POD_UID, else a random "
			"one)\n"
			"  --exempt-namespace NS\n"
			"                      the hook leaves Kubernetes namespace NS alone\n"
			"                      (repeatable; give the agent's own)\n");
	else
		fprintf(f,
			"usage: bindguard uninstall-hook [--host-root DIR] [--hooks-dir DIR] "
			"[--bin-dir DIR]\n"
			"                                [--owner TOKEN]\n"
			"\n"
			"Remove what install-hook installed: the hooks.d file, then the binary.\n"
			"With --owner, only while TOKEN is the last installer's.\n");
}

/* An absolute path without what would need quoting or could climb. */
static bool good_path(const char *p)
{
	if (p[0] != '/' || strstr(p, "/../") || strstr(p, "/./") ||
	    (strlen(p) >= 3 && !strcmp(p + strlen(p) - 3, "/..")))
		return false;
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
			return false;
	return true;
}

static bool good_owner(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < OWNER_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

static int make_paths(struct hook_paths *p, const char *root, const char *hooks, const char *bin)
{
	const char *r = strcmp(root, "/") ? root : "";

	if (snprintf(p->bin, sizeof(p->bin), "%s/bindguard", bin) >= (int)sizeof(p->bin) ||
	    snprintf(p->bin_at, sizeof(p->bin_at), "%s%s", r, p->bin) >= (int)sizeof(p->bin_at) ||
	    snprintf(p->bindir_at, sizeof(p->bindir_at), "%s%s", r, bin) >=
		    (int)sizeof(p->bindir_at) ||
	    snprintf(p->hooksdir_at, sizeof(p->hooksdir_at), "%s%s", r, hooks) >=
		    (int)sizeof(p->hooksdir_at) ||
	    snprintf(p->hook_at, sizeof(p->hook_at), "%s/" HOOK_FILE, p->hooksdir_at) >=
		    (int)sizeof(p->hook_at) ||
	    snprintf(p->owner_at, sizeof(p->owner_at), "%s/owner", p->bindir_at) >=
		    (int)sizeof(p->owner_at) ||
	    snprintf(p->lock_at, sizeof(p->lock_at), "%s/lock", p->bindir_at) >=
		    (int)sizeof(p->lock_at))
		return -1;
	return 0;
}

/* Write len bytes to path through a temporary file and a rename. */
static int write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX + 8];
	const char *b = data;
	int fd, e = 0;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	while (len && !e) {
		ssize_t k = write(fd, b, len);

		if (k < 0 && errno != EINTR)
			e = errno;
		if (k > 0) {
			b += k;
			len -= (size_t)k;
		}
	}
	if (!e && (fchmod(fd, mode) || fsync(fd)))
		e = errno;
	if (close(fd) && !e)
		e = errno;
	if (!e && rename(tmp, path))
		e = errno;
	if (e)
		unlink(tmp);
	return -e;
}

/* This binary, whole. */
static char *read_self(size_t *len)
{
	struct stat st;
	char *buf;
	size_t n = 0;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) || st.st_size <= 0 || st.st_size > (256 << 20)) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size);
	while (buf && n < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);

		if (k <= 0 && !(k < 0 && errno == EINTR)) {
			free(buf);
			buf = NULL;
		} else if (k > 0) {
			n += (size_t)k;
		}
	}
	close(fd);
	*len = n;
	return buf;
}

static void read_owner(const struct hook_paths *p, char *buf, size_t len)
{
	FILE *f = fopen(p->owner_at, "re");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, (int)len, f))
			buf[0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

/* The lock, held. uninstall removes the lock file while holding it: one
 * that got it after that holds a file no longer there, and tries again. */
static int lock_dir(const struct hook_paths *p)
{
	for (int tries = 0; tries < 100; tries++) {
		int fd = open(p->lock_at, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		struct stat held, now;

		if (fd < 0 || flock(fd, LOCK_EX) || fstat(fd, &held)) {
			bg_err("install-hook: %s: %s", p->lock_at, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		if (!stat(p->lock_at, &now) && now.st_ino == held.st_ino &&
		    now.st_dev == held.st_dev)
			return fd;
		close(fd);
	}
	bg_err("install-hook: %s: keeps being removed", p->lock_at);
	return -1;
}

/* Binary, owner, then the hooks.d file that names the binary. Unless
 * taking over: only while owner is still the owner (checked under the lock;
 * 0 and nothing done otherwise). */
static int install(const struct hook_paths *p, const char *owner, const char *const *exempt,
		   int nexempt, bool take_over)
{
	char cur[OWNER_MAX];
	char *self = NULL, *json = NULL;
	const char *what;
	size_t len = 0;
	int r, lock;

	json = bg_oci_hooks_file(p->bin, exempt, nexempt);
	self = read_self(&len);
	if (!json || !self) {
		bg_err("install-hook: %s", !json ? "out of memory" : "cannot read /proc/self/exe");
		free(json);
		free(self);
		return BG_EXIT_FAIL;
	}
	lock = lock_dir(p);
	if (lock < 0) {
		free(json);
		free(self);
		return BG_EXIT_FAIL;
	}
	read_owner(p, cur, sizeof(cur));
	if (!take_over && cur[0] && strcmp(cur, owner)) {
		close(lock);
		free(json);
		free(self);
		return BG_EXIT_OK;
	}
	what = p->bin_at;
	r = write_atomic(what, self, len, 0755);
	if (!r)
		r = write_atomic(what = p->owner_at, owner, strlen(owner), 0644);
	if (!r)
		r = write_atomic(what = p->hook_at, json, strlen(json), 0644);
	if (r)
		bg_err("install-hook: %s: %s", what, strerror(-r));
	close(lock);
	free(json);
	free(self);
	return r ? BG_EXIT_FAIL : BG_EXIT_OK;
}

/* The hooks.d file first, so no runtime is sent to a binary that is gone.
 * 1 removed, 0 left to a newer owner, -1 failed. */
static int uninstall(const struct hook_paths *p, const char *owner)
{
	char cur[OWNER_MAX];
	int lock, r = 1;

	lock = lock_dir(p);
	if (lock < 0)
		return -1;
	read_owner(p, cur, sizeof(cur));
	if (owner && cur[0] && strcmp(cur, owner)) {
		close(lock);
		return 0;
	}
	if ((unlink(p->hook_at) && errno != ENOENT) || (unlink(p->bin_at) && errno != ENOENT) ||
	    (unlink(p->owner_at) && errno != ENOENT)) {
		bg_err("uninstall-hook: %s", strerror(errno));
		r = -1;
	}
	if (r > 0)
		unlink(p->lock_at);
	close(lock);
	return r;
}

/* Still ours and something went missing: put it back. */
static void keep_installed(const struct hook_paths *p, const char *owner, const char *const *exempt,
			   int nexempt)
{
	char cur[OWNER_MAX];
	struct stat st;

	read_owner(p, cur, sizeof(cur));
	if (cur[0] && strcmp(cur, owner))
		return; /* a newer installer's now */
	if (!stat(p->hook_at, &st) && !stat(p->bin_at, &st) && cur[0])
		return;
	fprintf(stderr, "bindguard: install-hook: %s or %s went missing: installing again\n",
		p->hook_at, p->bin_at);
	install(p, owner, exempt, nexempt, false);
}

static int hold(const struct hook_paths *p, const char *owner, const char *const *exempt,
		int nexempt)
{
	struct timespec ts = { HOLD_CHECK_S, 0 };
	const char *t = getenv("BG_HOLD_CHECK_S"); /* tests: check sooner */
	sigset_t set;
	int sig, r;

	/* Blocked since before the install (hook_cmd). */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (t && atoi(t) > 0 && atoi(t) < 3600)
		ts.tv_sec = atoi(t);
	fprintf(stderr, "bindguard: install-hook: installed %s (owner %s); holding until SIGTERM\n",
		p->hook_at, owner);
	while ((sig = sigtimedwait(&set, NULL, &ts)) < 0) {
		if (errno == EAGAIN)
			keep_installed(p, owner, exempt, nexempt);
	}
	r = uninstall(p, owner);
	if (r > 0)
		fprintf(stderr, "bindguard: install-hook: %s: removed the hook and the binary\n",
			strsignal(sig));
	else if (r == 0)
		fprintf(stderr,
			"bindguard: install-hook: %s: a newer installer owns the hook; "
			"left in place\n",
			strsignal(sig));
	return r < 0 ? BG_EXIT_FAIL : BG_EXIT_OK;
}

static int hook_cmd(int argc, char **argv, bool installing)
{
	static const struct option opts[] = {
		{ "hold", no_argument, NULL, 'H' },
		{ "host-root", required_argument, NULL, 'r' },
		{ "hooks-dir", required_argument, NULL, 'k' },
		{ "bin-dir", required_argument, NULL, 'b' },
		{ "owner", required_argument, NULL, 'o' },
		{ "exempt-namespace", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *cmd = installing ? "install-hook" : "uninstall-hook";
	const char *root = "/", *hooks = "/etc/containers/oci/hooks.d", *bin = "/opt/bindguard/bin";
	const char *owner = NULL, *exempt[BG_OCI_EXEMPT_MAX];
	char gen[40];
	struct hook_paths p;
	struct stat st;
	bool holding = false;
	int c, nexempt = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
		case 'x':
			if (!installing) {
				bg_err("%s: --%s is an option of install-hook", cmd,
				       c == 'H' ? "hold" : "exempt-namespace");
				return BG_EXIT_USAGE;
			}
			if (c == 'H') {
				holding = true;
				break;
			}
			if (!bg_exempt_option(cmd, optarg, exempt, &nexempt))
				return BG_EXIT_USAGE;
			break;
		case 'r':
		case 'k':
		case 'b':
			if (!good_path(optarg)) {
				bg_err("%s: --%s %s: expected an absolute path without . or .. "
				       "parts, quotes or backslashes",
				       cmd,
				       c == 'r'	  ? "host-root"
				       : c == 'k' ? "hooks-dir"
						  : "bin-dir",
				       optarg);
				return BG_EXIT_USAGE;
			}
			*(c == 'r' ? &root : c == 'k' ? &hooks : &bin) = optarg;
			break;
		case 'o':
			if (!good_owner(optarg)) {
				bg_err("%s: --owner %s: expected 1 to 127 of A-Z a-z 0-9 - _ .",
				       cmd, optarg);
				return BG_EXIT_USAGE;
			}
			owner = optarg;
			break;
		case 'h':
			hook_usage(stdout, installing);
			return BG_EXIT_OK;
		default:
			bg_option_error(cmd, argv, "h", opts);
			return BG_EXIT_USAGE;
		}
	}
	if (bg_no_more_args(cmd, argc, argv))
		return BG_EXIT_USAGE;
	if (!owner && getenv("POD_UID") && good_owner(getenv("POD_UID")))
		owner = getenv("POD_UID");
	if (make_paths(&p, root, hooks, bin)) {
		bg_err("%s: a path is too long", cmd);
		return BG_EXIT_USAGE;
	}
	/* Both directories must be there: a typo must not install nowhere. */
	for (int i = 0; i < 2; i++) {
		const char *d = i ? p.bindir_at : p.hooksdir_at;
		int e = stat(d, &st) ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;

		if (e) {
			bg_err("%s: %s: %s", cmd, d, strerror(e));
			return BG_EXIT_USAGE;
		}
	}
	if (!installing) {
		int r = uninstall(&p, owner);

		if (r == 0)
			fprintf(stderr, "bindguard: uninstall-hook: owned by another installer; "
					"left in place\n");
		return r < 0 ? BG_EXIT_FAIL : BG_EXIT_OK;
	}
	if (holding) {
		/* A SIGTERM from here on is the end of the hold, never of the
		 * process with the hook installed and nobody to remove it. */
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGINT);
		sigprocmask(SIG_BLOCK, &set, NULL);
	}
	if (!owner) {
		unsigned char rnd[8];

		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
			bg_err("%s: getrandom: %s", cmd, strerror(errno));
			return BG_EXIT_FAIL;
		}
		snprintf(gen, sizeof(gen), "%d-%02x%02x%02x%02x%02x%02x%02x%02x", getpid(), rnd[0],
			 rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
		owner = gen;
	}
	if (install(&p, owner, exempt, nexempt, true))
		return BG_EXIT_FAIL;
	if (!holding) {
		printf("installed %s (runs %s)\n", p.hook_at, p.bin);
		return BG_EXIT_OK;
	}
	return hold(&p, owner, exempt, nexempt);
}

int cmd_install_hook(int argc, char **argv, struct bg_global *g)
{
	(void)g;
	return hook_cmd(argc, argv, true);
}

int cmd_uninstall_hook(int argc, char **argv, struct bg_global *g)
{
	(void)g;
	return hook_cmd(argc, argv, false);
}

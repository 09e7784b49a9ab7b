// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The agent's rescan of runc's state directories (ociscan.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgroup.h"
#include "log.h"
#include "ocipolice.h"
#include "ociscan.h"
#include "runcstate.h"
#include "sockets.h"
#include "sockout.h"
#include "state.h"

/* Containers whose failure was said already: said again only after they
 * went away and came back, not at every scan. */
static char **said;
static size_t nsaid;

static bool said_before(const char *id)
{
	for (size_t i = 0; i < nsaid; i++)
		if (!strcmp(said[i], id))
			return true;
	return false;
}

static void note_said(const char *id)
{
	char **n = realloc(said, (nsaid + 1) * sizeof(*n));

	if (!n)
		return;
	said = n;
	said[nsaid] = strdup(id);
	if (said[nsaid])
		nsaid++;
}

/* Forget what was said of containers this scan did not see fail. */
static void keep_said(char **failed, size_t nfailed)
{
	size_t w = 0;

	for (size_t i = 0; i < nsaid; i++) {
		bool keep = false;

		for (size_t j = 0; j < nfailed && !keep; j++)
			keep = !strcmp(said[i], failed[j]);
		if (keep)
			said[w++] = said[i];
		else
			free(said[i]);
	}
	nsaid = w;
}

/* A whole file of at most BG_RUNC_FILE_MAX bytes, or NULL with errno. */
static char *read_file(const char *path, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t k;

		if (n == cap || !buf) {
			char *more = cap >= BG_RUNC_FILE_MAX ? NULL : realloc(buf, cap *= 2);

			if (!more) {
				free(buf);
				close(fd);
				errno = EFBIG;
				return NULL;
			}
			buf = more;
		}
		k = read(fd, buf + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int e = errno;

			close(fd);
			if (k < 0) {
				free(buf);
				errno = e;
				return NULL;
			}
			*len = n;
			return buf;
		}
		n += (size_t)k;
	}
}

/* One container: 1 policed now (*cgid its cgroup), 0 nothing to do, -1
 * failed (err says why, or the lines bg_oci_police printed: none when
 * quiet). */
static int scan_one(const char *root, const char *id, const char *const *exempt, int nexempt,
		    bool quiet, bool *ours, __u64 *cgid, char *err, size_t errlen)
{
	char path[PATH_MAX * 2];
	struct bg_runc_state rs;
	struct bg_oci_state os;
	struct bg_policy_spec *spec;
	char *buf;
	size_t len;
	int r;

	*ours = false;
	*cgid = 0;
	snprintf(path, sizeof(path), "%s/%s/state.json", root, id);
	buf = read_file(path, &len);
	if (!buf)
		return 0; /* not (or no longer) a container */
	r = bg_runc_state_parse(buf, len, &rs, err, errlen);
	free(buf);
	/* Stopped, or the pid is another process's now. */
	if (r || bg_process_start_time(rs.pid) != rs.start)
		return 0;
	snprintf(path, sizeof(path), "%s/config.json", rs.bundle);
	buf = read_file(path, &len);
	if (!buf) {
		snprintf(err, errlen, "read %.200s: %s", path, strerror(errno));
		return -1;
	}
	r = bg_runc_oci_state(id, rs.pid, buf, len, &os, err, errlen);
	free(buf);
	if (r || !os.nann || bg_oci_exempt(&os, exempt, nexempt)) {
		*ours = r != 0;
		bg_oci_free(&os);
		return r ? -1 : 0;
	}
	*ours = true;
	spec = calloc(1, sizeof(*spec));
	r = spec ? bg_oci_policy(&os, spec, err, errlen) : -1;
	if (r > 0) {
		/* Its own lines (bg_err) say why it failed. */
		err[0] = '\0';
		bg_err_quiet = quiet;
		r = bg_oci_police(&os, spec, "agent", true, cgid) ? -1 : *cgid != 0;
		bg_err_quiet = 0;
	}
	bg_oci_free(&os);
	free(spec);
	return r;
}

/* The sockets the containers policed now had bound before, that their
 * policies refuse: one scan of the machine for all of them. */
static void report_existing(const __u64 *cgids, size_t n)
{
	struct bg_scan_filter f = { .refused_only = true, .pcgids = cgids, .npcgids = n };
	struct bg_state st;
	struct bg_scan sc;

	if (!n)
		return;
	if (bg_state_open(&st, 0) == 0 && bg_scan_sockets(&st, &f, &sc, "agent") == 0) {
		for (size_t i = 0; i < sc.n; i++) {
			fputs("bindguard: agent: existing socket: ", stderr);
			bg_open_text(stderr, &sc, &sc.v[i]);
		}
		bg_scan_free(&sc);
	}
	bg_state_close(&st);
}

void bg_oci_scan(const char *const *roots, int nroots, const char *const *exempt, int nexempt,
		 struct bg_oci_scan_result *res)
{
	char **failed = NULL;
	size_t nfailed = 0, npoliced = 0;
	__u64 *policed = NULL;

	memset(res, 0, sizeof(*res));
	for (int i = 0; i < nroots; i++) {
		DIR *d = opendir(roots[i]);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			char err[BG_ERRLEN] = "";
			bool ours;
			__u64 cgid;
			int r;

			if (e->d_name[0] == '.')
				continue;
			r = scan_one(roots[i], e->d_name, exempt, nexempt, said_before(e->d_name),
				     &ours, &cgid, err, sizeof(err));
			res->seen += ours;
			if (r > 0) {
				__u64 *more = realloc(policed, (npoliced + 1) * sizeof(*more));

				if (more) {
					policed = more;
					policed[npoliced++] = cgid;
				}
				res->policed++;
				fprintf(stderr,
					"bindguard: agent: container %s (%s) had no policy: "
					"policed now from its annotations\n",
					e->d_name, roots[i]);
			} else if (r < 0) {
				char **n = realloc(failed, (nfailed + 1) * sizeof(*n));

				res->failed++;
				if (!said_before(e->d_name) && err[0])
					bg_err("agent: container %s (%s): %s", e->d_name, roots[i],
					       err);
				if (!said_before(e->d_name))
					note_said(e->d_name);
				if (n) {
					failed = n;
					failed[nfailed] = strdup(e->d_name);
					nfailed += failed[nfailed] != NULL;
				}
			}
		}
		if (d)
			closedir(d);
	}
	report_existing(policed, npoliced);
	free(policed);
	keep_said(failed, nfailed);
	for (size_t i = 0; i < nfailed; i++)
		free(failed[i]);
	free(failed);
	bg_oci_sweep_records();
}

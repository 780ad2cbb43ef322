/*
 * engine/fds.c - the descriptors engines hold in the driver process, so
 * that a process the engine forks closes every one of them.
 *
 * DESIGN
 * All of them are close-on-exec, which covers exec.  A fork without exec
 * is the other case: the supervisor of a second engine in the same
 * process would otherwise inherit the first engine's control pipe (whose
 * EOF is how that engine's supervisor learns the driver is gone) and its
 * arena lock (whose release is how a stale arena is recognised).  So each
 * engine registers its driver-side descriptors here, and a freshly forked
 * supervisor closes them all before anything else.  The host's own descriptors
 * (a listening socket, say) are the host's business unless it asks a
 * worker to close them (close_inherited_fds: rsw__fd_close_inherited).
 *
 * The table is a fixed array of words claimed by CAS: lock-free, so a
 * child forked while another thread registers never inherits a held
 * lock; a descriptor registered concurrently with a fork in another
 * thread may be missed by that child (open engines from one thread at a
 * time, as engine.h asks, and this cannot happen).
 */
#include <ck_pr.h>
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

#define OWNED_MAX 1024

/* fd + 1 of each registered descriptor; 0 = free entry. */
static uint32_t owned[OWNED_MAX];

void
rsw__fd_own(int fd)
{
	if (fd < 0)
		return;
	for (int i = 0; i < OWNED_MAX; i++)
		/* CAS: threads of one process may open engines concurrently;
		 * a lost race just moves on to the next entry. */
		if (ck_pr_cas_32(&owned[i], 0, (uint32_t)fd + 1))
			return;
	/* Full: the descriptor stays close-on-exec, only not closed in
	 * forked children (a supervisor's close may then wait its grace). */
}

void
rsw__fd_close(int fd)
{
	if (fd < 0)
		return;
	for (int i = 0; i < OWNED_MAX; i++)
		if (ck_pr_cas_32(&owned[i], (uint32_t)fd + 1, 0))
			break;
	close(fd);
}

void
rsw__fd_close_all_owned(void)
{
	/* In a child right after fork: single-threaded, the table is a
	 * snapshot; relaxed loads see every entry written before fork. */
	for (int i = 0; i < OWNED_MAX; i++) {
		uint32_t v = ck_pr_load_32(&owned[i]);

		if (v != 0) {
			close((int)v - 1);
			ck_pr_store_32(&owned[i], 0);
		}
	}
}

int
rsw__fd_close_inherited(const int *keep, uint32_t nkeep)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *ent;
	int *fds = NULL, n = 0, cap = 0;

	if (d == NULL)
		return -1;
	/* Listed first, closed after: closing while reading the directory
	 * would change what it lists (and one entry is its own descriptor). */
	while ((ent = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(ent->d_name, &end, 10);
		int kept = *end != '\0' || fd <= 2 || fd == dirfd(d);

		for (uint32_t i = 0; !kept && i < nkeep; i++)
			kept = keep[i] == fd;
		if (kept)
			continue;
		if (n == cap) {
			int *grown = realloc(fds, (size_t)(cap = cap ? 2 * cap : 64) *
							  sizeof *fds);

			if (grown == NULL) {
				free(fds);
				closedir(d);
				return -1;
			}
			fds = grown;
		}
		fds[n++] = (int)fd;
	}
	closedir(d);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return 0;
}

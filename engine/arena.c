/*
 * engine/arena.c - create, attach to, validate and remove the shared-memory
 * arena; sweep away arenas left behind by SIGKILLed drivers.
 *
 * DESIGN
 * Creation: shm_open(O_CREAT|O_EXCL, 0600) under an unpredictable name
 * (pid + 64 random bits), posix_fallocate to reserve every page now (a full
 * /dev/shm fails here with RSW_ENOSPC instead of SIGBUS in a worker later),
 * mmap, MADV_DONTFORK (a process the objective forks must not inherit it;
 * our own processes attach by name) and MADV_DONTDUMP (a crashing worker
 * must not dump it).  The header is written last except for the magic,
 * which is written after the checksum: an attacher that sees the magic sees
 * a complete header.
 *
 * Attach never trusts the object: size from fstat, owner uid, magic,
 * version, checksum, and every offset recomputed from the header's own
 * parameters must match.
 */
#include "arena.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

static uint64_t
align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static uint64_t
header_checksum(const struct rsw_arena_header *h)
{
	const unsigned char *p = (const unsigned char *)h;
	uint64_t x = 1469598103934665603ull;

	/* The magic is excluded: it is stored last, after the checksum. */
	for (size_t i = sizeof h->magic;
	     i < offsetof(struct rsw_arena_header, checksum); i++)
		x = (x ^ p[i]) * 1099511628211ull;
	return x;
}

static uint32_t
next_pow2(uint32_t x)
{
	uint32_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

/* Fills every layout field of h from the parameters in h. */
static void
compute_layout(struct rsw_arena_header *h)
{
	uint64_t off = sizeof(*h);

	h->header_size = sizeof(*h);
	/* A result ring never fills: it holds more entries than there can be
	 * tasks in flight (ck rings hold capacity - 1). */
	h->result_capacity = next_pow2(h->max_inflight + 1);
	h->death_capacity = 256;
	h->task_slot_size = (uint32_t)align_up(
	    sizeof(struct rsw_task_slot) +
		sizeof(double) * (h->max_params + h->max_metrics) +
		h->max_message,
	    RSW_CACHELINE);
	h->off_task_ring = off;
	off += sizeof(struct rsw_ring);
	h->off_task_buf = off;
	off = align_up(off + (uint64_t)h->ring_capacity *
				 sizeof(struct rsw_task_desc), RSW_CACHELINE);
	h->off_task_slots = off;
	off += (uint64_t)h->max_inflight * h->task_slot_size;
	h->off_workers = off;
	off += (uint64_t)h->nslots * sizeof(struct rsw_worker_slot);
	h->off_results = off;
	h->result_stride = align_up(sizeof(struct rsw_ring) +
					(uint64_t)h->result_capacity *
					    sizeof(struct rsw_result_desc),
				    RSW_CACHELINE);
	off += h->nslots * h->result_stride;
	h->off_death_ring = off;
	off += sizeof(struct rsw_ring);
	h->off_death_buf = off;
	off += (uint64_t)h->death_capacity * sizeof(struct rsw_death_desc);
	h->total_size = align_up(off, 4096);
}

static int
random_name(char *out, size_t n)
{
	uint64_t r;

	if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
		return RSW_ESYS;
	snprintf(out, n, RSW_ARENA_PREFIX "%d-%016llx", (int)getpid(),
		 (unsigned long long)r);
	return 0;
}

static int
lock_whole(int fd, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };

	return fcntl(fd, F_OFD_SETLK, &fl);
}

static void
advise(void *p, size_t size)
{
	/* Both are best-effort hardening: failure changes no behaviour we
	 * rely on, since our processes map the arena by name after fork. */
	(void)madvise(p, size, MADV_DONTFORK);
	(void)madvise(p, size, MADV_DONTDUMP);
}

int
rsw__arena_create(rsw_arena *a, const rsw_arena_params *p)
{
	struct rsw_arena_header tmp;
	int fd = -1, rc;
	void *map;

	memset(a, 0, sizeof *a);
	a->lock_fd = -1;
	memset(&tmp, 0, sizeof tmp);
	tmp.version = RSW_ARENA_VERSION;
	tmp.nworkers = p->nworkers;
	tmp.nslots = p->nslots;
	tmp.ring_capacity = p->ring_capacity;
	tmp.max_inflight = p->max_inflight;
	tmp.max_params = p->max_params;
	tmp.max_metrics = p->max_metrics;
	tmp.max_message = p->max_message;
	tmp.idle = p->idle;
	tmp.timeout_ns = p->timeout_ns;
	compute_layout(&tmp);

	for (int tries = 0; tries < 8; tries++) {
		if ((rc = random_name(a->name, sizeof a->name)) != 0)
			return rc;
		fd = shm_open(a->name, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0)
		return RSW_ESHM;
	/* Locked at once, before anything can kill us half-way: an arena
	 * whose lock is free and whose header was never published is one a
	 * start-up left behind (see unborn_and_abandoned). */
	if (lock_whole(fd, F_WRLCK) != 0) {
		close(fd);
		shm_unlink(a->name);
		return RSW_ESHM;
	}
	rc = posix_fallocate(fd, 0, (off_t)tmp.total_size);
	if (rc != 0) {
		close(fd);
		shm_unlink(a->name);
		return rc == ENOSPC ? RSW_ENOSPC : RSW_ESHM;
	}
	map = mmap(NULL, tmp.total_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_POPULATE, fd, 0);
	/* The owner keeps the object open with an OFD write lock for its
	 * whole life: the kernel drops the lock when the owner dies, however
	 * it dies, which is how a later start knows an arena is stale (no
	 * pid test, so no confusion by pid reuse or pid namespaces). */
	if (map == MAP_FAILED) {
		if (map != MAP_FAILED)
			munmap(map, tmp.total_size);
		close(fd);
		shm_unlink(a->name);
		return RSW_ESHM;
	}
	a->lock_fd = fd;
	rsw__fd_own(fd);
	advise(map, tmp.total_size);
	a->hdr = map;
	a->size = tmp.total_size;
	a->owner = 1;

	struct rsw_arena_header *h = a->hdr;
	memcpy(h, &tmp, sizeof tmp);
	h->magic = 0;
	h->created_ns = rsw__realtime_ns();
	h->owner_pid = (uint32_t)getpid();
	h->owner_uid = (uint32_t)getuid();
	snprintf(h->objective, sizeof h->objective, "%s",
		 p->objective ? p->objective : "");
	snprintf(h->objective_arg, sizeof h->objective_arg, "%s",
		 p->objective_arg ? p->objective_arg : "");
	a->layout = *h;
	ck_ring_init(rsw__task_ring(a), h->ring_capacity);
	for (uint32_t w = 0; w < h->nslots; w++)
		ck_ring_init(rsw__result_ring(a, w), h->result_capacity);
	ck_ring_init(rsw__death_ring(a), h->death_capacity);
	ck_ec32_init(&h->task_ec, 0);
	ck_ec32_init(&h->result_ec, 0);
	h->next_incarnation = 1;
	h->checksum = header_checksum(h);
	a->layout = *h;
	a->layout.magic = RSW_ARENA_MAGIC;
	/* Publish the magic last: whoever sees it sees a complete header. */
	ck_pr_fence_store();
	ck_pr_store_64(&h->magic, RSW_ARENA_MAGIC);
	return 0;
}

static int
validate(const struct rsw_arena_header *h, size_t size)
{
	struct rsw_arena_header want;

	if (size < sizeof(*h))
		return RSW_ECORRUPT;
	if (h->magic != RSW_ARENA_MAGIC)
		return RSW_EARENA;
	if (h->version != RSW_ARENA_VERSION ||
	    h->header_size != sizeof(*h))
		return RSW_EVERSION;
	if (h->checksum != header_checksum(h))
		return RSW_ECORRUPT;
	if (h->total_size != size)
		return RSW_ECORRUPT;
	if (h->owner_uid != (uint32_t)getuid())
		return RSW_EPERM;
	if (h->nslots == 0 || h->nslots > 4096 || h->nworkers > h->nslots ||
	    h->max_params > RSW_MAX_PARAMS_LIMIT ||
	    h->max_metrics > RSW_MAX_METRICS_LIMIT ||
	    h->max_message > RSW_MAX_MESSAGE_LIMIT ||
	    h->ring_capacity < 2 || (h->ring_capacity & (h->ring_capacity - 1)) ||
	    h->max_inflight < 2 || (h->max_inflight & (h->max_inflight - 1)) ||
	    h->max_inflight > (1u << 24) || h->ring_capacity > (1u << 24))
		return RSW_ECORRUPT;
	memset(&want, 0, sizeof want);
	want.nworkers = h->nworkers;
	want.nslots = h->nslots;
	want.ring_capacity = h->ring_capacity;
	want.max_inflight = h->max_inflight;
	want.max_params = h->max_params;
	want.max_metrics = h->max_metrics;
	want.max_message = h->max_message;
	compute_layout(&want);
	if (want.total_size != h->total_size ||
	    want.task_slot_size != h->task_slot_size ||
	    want.result_capacity != h->result_capacity ||
	    want.death_capacity != h->death_capacity ||
	    want.off_task_ring != h->off_task_ring ||
	    want.off_task_buf != h->off_task_buf ||
	    want.off_task_slots != h->off_task_slots ||
	    want.off_workers != h->off_workers ||
	    want.off_results != h->off_results ||
	    want.result_stride != h->result_stride ||
	    want.off_death_ring != h->off_death_ring ||
	    want.off_death_buf != h->off_death_buf)
		return RSW_ECORRUPT;
	return 0;
}

int
rsw__arena_attach(rsw_arena *a, const char *name, int read_only)
{
	struct stat st;
	void *map;
	int fd, rc;

	memset(a, 0, sizeof *a);
	a->lock_fd = -1;
	if (name == NULL || name[0] != '/' || strlen(name) >= sizeof a->name ||
	    strchr(name + 1, '/') != NULL)
		return RSW_EINVAL;
	fd = shm_open(name, read_only ? O_RDONLY : O_RDWR, 0);
	if (fd < 0)
		return errno == ENOENT ? RSW_ENOENT :
		       errno == EACCES ? RSW_EPERM : RSW_ESHM;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return RSW_ESHM;
	}
	if (st.st_uid != getuid()) {
		close(fd);
		return RSW_EPERM;
	}
	if ((size_t)st.st_size < sizeof(struct rsw_arena_header)) {
		close(fd);
		return st.st_size == 0 ? RSW_EARENA : RSW_ECORRUPT;
	}
	/* A worker populates its page tables up front: otherwise its first
	 * pass over the slots and result ring takes a minor fault every few
	 * dozen tasks (seen as a 10 us p99 in `ringsweep bench ipc`). */
	map = mmap(NULL, (size_t)st.st_size,
		   read_only ? PROT_READ : PROT_READ | PROT_WRITE,
		   read_only ? MAP_SHARED : MAP_SHARED | MAP_POPULATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return RSW_ESHM;
	rc = validate(map, (size_t)st.st_size);
	if (rc != 0) {
		munmap(map, (size_t)st.st_size);
		return rc;
	}
	advise(map, (size_t)st.st_size);
	a->hdr = map;
	a->layout = *a->hdr;
	a->size = (size_t)st.st_size;
	snprintf(a->name, sizeof a->name, "%s", name);
	return 0;
}

void
rsw__arena_detach(rsw_arena *a)
{
	if (a->hdr != NULL)
		munmap(a->hdr, a->size);
	a->hdr = NULL;
}

void
rsw__arena_destroy(rsw_arena *a)
{
	if (a->owner && a->name[0] != '\0')
		shm_unlink(a->name);
	a->owner = 0;
	rsw__fd_close(a->lock_fd);
	a->lock_fd = -1;
	rsw__arena_detach(a);
}

/* The owner's OFD write lock is gone: it died (or closed the engine). */
static int
owner_is_dead(const char *name)
{
	int fd = shm_open(name, O_RDONLY, 0), dead;

	if (fd < 0)
		return 0;
	dead = lock_whole(fd, F_RDLCK) == 0;
	close(fd);
	return dead;
}

/* An arena whose creator died before it published its header (a SIGKILL
 * during start-up): nobody can attach to it, and nobody owns it.  It is
 * removed when it is ours (our uid), its header is unpublished (too short,
 * or magic 0), its lock is free, the creator its name carries is gone,
 * and it is old enough (UNBORN_AGE_S) that no start-up can still be
 * writing it. */
#define UNBORN_AGE_S 2

static int
unborn_and_abandoned(const char *name)
{
	int fd = shm_open(name, O_RDONLY, 0), abandoned = 0;
	uint64_t magic = 0;
	struct stat sb;
	long pid;

	if (fd < 0)
		return 0;
	pid = strtol(name + strlen(RSW_ARENA_PREFIX), NULL, 10);
	if (fstat(fd, &sb) == 0 && sb.st_uid == getuid() &&
	    time(NULL) - sb.st_mtime >= UNBORN_AGE_S &&
	    ((size_t)sb.st_size < sizeof(struct rsw_arena_header) ||
	     (pread(fd, &magic, sizeof magic, 0) == (ssize_t)sizeof magic &&
	      magic == 0)) &&
	    lock_whole(fd, F_RDLCK) == 0 && pid > 0 &&
	    kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		abandoned = 1;
	close(fd);
	return abandoned;
}

/* /proc/PID/stat's state and start time (field 22).  0, or -1 with errno
 * (ENOENT/ESRCH: no such process; anything else: it could not be read). */
static int
proc_stat(pid_t pid, char *state, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0) {
		if (n == 0)
			errno = ESRCH; /* it went between the open and the read */
		return -1;
	}
	buf[n] = '\0';
	/* The command name may hold spaces and ')': skip to the last ')'.
	 * Fields after it start at 3 (state); starttime is field 22. */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %c", state) != 1) {
		errno = EINVAL;
		return -1;
	}
	for (int field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%llu", start) != 1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

uint64_t
rsw__proc_start_time(pid_t pid)
{
	unsigned long long start;
	char state;

	return proc_stat(pid, &state, &start) == 0 ? start : 0;
}

int
rsw__proc_alive(pid_t pid, uint64_t start)
{
	unsigned long long begun;
	char state;

	if (proc_stat(pid, &state, &begun) != 0)
		return errno == ENOENT || errno == ESRCH ? 0 : -1;
	if (state == 'Z' || state == 'X')
		return 0; /* exited, not yet reaped */
	return begun == start;
}

int
rsw_arena_reap_stale(void)
{
	char name[300];
	struct dirent *de;
	int removed = 0;
	DIR *d;

	d = opendir("/dev/shm");
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		rsw_arena a;

		if (strncmp(de->d_name, &RSW_ARENA_PREFIX[1],
			    strlen(RSW_ARENA_PREFIX) - 1) != 0)
			continue;
		snprintf(name, sizeof name, "/%s", de->d_name);
		if (rsw__arena_attach(&a, name, 1) == 0) {
			if (owner_is_dead(name) && shm_unlink(name) == 0)
				removed++;
			rsw__arena_detach(&a);
		} else if (unborn_and_abandoned(name) && shm_unlink(name) == 0) {
			removed++;
		}
	}
	closedir(d);
	return removed;
}

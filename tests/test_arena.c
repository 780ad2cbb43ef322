/*
 * tests/test_arena.c - arena creation and the validation that refuses
 * foreign, truncated, corrupt and incompatible objects; removal of arenas
 * left by a SIGKILLed owner.
 */
#include <criterion/criterion.h>
#include <sys/stat.h>

#include "arena.h"
#include "helpers.h"

static rsw_arena_params
small_params(void)
{
	rsw_arena_params p = { 0 };

	p.nworkers = 2;
	p.nslots = 3;
	p.ring_capacity = 64;
	p.max_inflight = 128;
	p.max_params = 4;
	p.max_metrics = 2;
	p.objective = "sphere";
	return p;
}

Test(arena, create_attach_and_layout, .timeout = 10)
{
	rsw_arena_params p = small_params();
	rsw_arena a, b;
	struct stat st;
	int fd;

	cr_assert_eq(rsw__arena_create(&a, &p), 0);
	cr_assert_eq(strncmp(a.name, RSW_ARENA_PREFIX, strlen(RSW_ARENA_PREFIX)), 0);
	fd = shm_open(a.name, O_RDONLY, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "arena must be private to its user");
	close(fd);
	cr_assert_eq(rsw__arena_attach(&b, a.name, 0), 0);
	cr_assert_eq(b.hdr->nslots, 3);
	cr_assert_eq(b.hdr->owner_pid, (uint32_t)getpid());
	cr_assert_str_eq(b.hdr->objective, "sphere");
	cr_assert_eq(b.hdr->off_task_ring % RSW_CACHELINE, 0);
	cr_assert_eq(b.hdr->off_results % RSW_CACHELINE, 0);
	cr_assert_eq(b.hdr->result_stride % RSW_CACHELINE, 0);
	/* Position independence: both mappings see the same ring. */
	cr_assert_eq(ck_ring_capacity(rsw__task_ring(&b)), 64);
	rsw__arena_detach(&b);
	rsw__arena_destroy(&a);
	cr_assert_not(shm_exists(a.name), "destroy removes the name");
}

/* Copies a real arena's bytes into `name`, applies `damage`, and returns
 * what attach says. */
static int
attach_damaged(void (*damage)(struct rsw_arena_header *, size_t *))
{
	rsw_arena_params p = small_params();
	rsw_arena a, b;
	char name[64];
	size_t size;
	void *copy;
	int rc;

	cr_assert_eq(rsw__arena_create(&a, &p), 0);
	size = a.size;
	copy = malloc(size);
	memcpy(copy, a.hdr, size);
	rsw__arena_destroy(&a);
	damage(copy, &size);
	snprintf(name, sizeof name, "/ringsweep-test-%d", (int)getpid());
	cr_assert_eq(make_shm_object(name, copy, size), 0);
	free(copy);
	rc = rsw__arena_attach(&b, name, 1);
	shm_unlink(name);
	return rc;
}

static void
truncate_half(struct rsw_arena_header *h, size_t *size)
{
	*size /= 2;
}

static void
flip_header_byte(struct rsw_arena_header *h, size_t *size)
{
	h->max_inflight ^= 0x40;
}

static void
bump_version(struct rsw_arena_header *h, size_t *size)
{
	h->version++;
}

static void
wrong_magic(struct rsw_arena_header *h, size_t *size)
{
	h->magic ^= 1;
}

Test(arena, refuses_truncated, .timeout = 10)
{
	cr_assert_eq(attach_damaged(truncate_half), RSW_ECORRUPT);
}

Test(arena, refuses_corrupt_header, .timeout = 10)
{
	cr_assert_eq(attach_damaged(flip_header_byte), RSW_ECORRUPT);
}

Test(arena, refuses_other_version, .timeout = 10)
{
	cr_assert_eq(attach_damaged(bump_version), RSW_EVERSION);
}

Test(arena, refuses_foreign_object, .timeout = 10)
{
	char junk[8192], name[64];
	rsw_arena b;

	cr_assert_eq(attach_damaged(wrong_magic), RSW_EARENA);
	memset(junk, 'x', sizeof junk);
	snprintf(name, sizeof name, "/ringsweep-foreign-%d", (int)getpid());
	cr_assert_eq(make_shm_object(name, junk, sizeof junk), 0);
	cr_assert_eq(rsw__arena_attach(&b, name, 1), RSW_EARENA);
	cr_assert_eq(make_shm_object(name, junk, 10), 0);
	cr_assert_eq(rsw__arena_attach(&b, name, 1), RSW_ECORRUPT);
	shm_unlink(name);
	cr_assert_eq(rsw__arena_attach(&b, name, 1), RSW_ENOENT);
	cr_assert_eq(rsw__arena_attach(&b, "no-slash", 1), RSW_EINVAL);
}

Test(arena, stale_arena_of_killed_owner_is_removed, .timeout = 20)
{
	int pipefd[2];
	char name[64] = { 0 };
	pid_t pid;

	cr_assert_eq(pipe(pipefd), 0);
	pid = fork();
	if (pid == 0) {
		rsw_arena_params p = small_params();
		rsw_arena a;

		if (rsw__arena_create(&a, &p) != 0)
			_exit(1);
		if (write(pipefd[1], a.name, sizeof a.name) != sizeof a.name)
			_exit(1);
		for (;;)
			pause();
	}
	cr_assert_eq(read(pipefd[0], name, sizeof name), (ssize_t)sizeof name);
	cr_assert(shm_exists(name));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert(shm_exists(name), "a SIGKILLed owner cannot clean up");
	cr_assert_geq(rsw_arena_reap_stale(), 1);
	cr_assert_not(shm_exists(name), "the next start removes it");
}

/* An arena made as a start-up is SIGKILLed before it published its header
 * (magic 0, no lock, its creator gone): nobody can attach to it, and the
 * next start removes it once it is old enough that no start-up can still
 * be writing it.  One whose creator lives, or one just made, is left. */
static void
unborn(const char *name, int age_s)
{
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	struct timespec t[2];

	cr_assert_geq(fd, 0, "%s", name);
	cr_assert_eq(ftruncate(fd, 65536), 0);
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= age_s;
	t[1] = t[0];
	cr_assert_eq(futimens(fd, t), 0);
	close(fd);
}

Test(arena, unborn_arena_of_a_dead_start_up_is_removed, .timeout = 20)
{
	char dead[64], alive[64], young[64];
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	snprintf(dead, sizeof dead, RSW_ARENA_PREFIX "%d-00000000000000aa", (int)pid);
	snprintf(alive, sizeof alive, RSW_ARENA_PREFIX "%d-00000000000000bb",
		 (int)getpid());
	snprintf(young, sizeof young, RSW_ARENA_PREFIX "%d-00000000000000cc", (int)pid);
	unborn(dead, 60);
	unborn(alive, 60);
	unborn(young, 0);
	cr_assert_geq(rsw_arena_reap_stale(), 1);
	cr_assert_not(shm_exists(dead), "the dead start-up's arena is removed");
	cr_assert(shm_exists(alive), "a live creator's is left");
	cr_assert(shm_exists(young), "one just made is left");
	shm_unlink(alive);
	shm_unlink(young);
}

/*
 * tests/helpers.h - what the test files share: deterministic objectives
 * with injectable faults, process helpers that wait on real events
 * (pidfds), and a runner for the ringsweep command.
 */
#ifndef RSW_TESTS_HELPERS_H
#define RSW_TESTS_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>
#include <sqlite3.h>

#include "arena.h"
#include "ringsweep/ringsweep.h"

extern char **environ;

/* The value every fault-free evaluation of `x` must produce. */
static inline double
expected_value(const double *x, uint32_t n)
{
	double v = 0;

	for (uint32_t i = 0; i < n; i++)
		v += x[i] * (double)(i + 1) + sin(x[i]);
	return v;
}

static inline void
busy_wait_ns(uint64_t ns)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ull +
			 (uint64_t)(b.tv_nsec - a.tv_nsec) < ns);
}

/* Fault plan read by faulty_eval; set before rsw_engine_open (workers
 * inherit it through fork). */
struct fault_plan {
	uint64_t busy_ns;     /* work per task */
	uint64_t crash_mod;   /* crash when seq % crash_mod == crash_rem ... */
	uint64_t crash_rem;
	uint32_t crash_until; /* ... and attempt <= crash_until (0: never) */
	int crash_signal;
	uint64_t hang_mod;    /* hang when seq % hang_mod == 0 ... */
	uint32_t hang_until;  /* ... and attempt <= hang_until */
	uint64_t error_mod;   /* return an error when seq % error_mod == */
	uint64_t error_rem;   /* error_rem ... */
	uint32_t error_until; /* ... and attempt <= error_until */
};

static inline int
faulty_eval(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	    rsw_eval_out *out)
{
	const struct fault_plan *p = ctx;

	if (p != NULL) {
		if (p->crash_until && t->seq % p->crash_mod == p->crash_rem &&
		    t->attempt <= p->crash_until)
			raise(p->crash_signal ? p->crash_signal : SIGSEGV);
		if (p->hang_until && t->seq % p->hang_mod == 0 &&
		    t->attempt <= p->hang_until)
			for (;;)
				pause();
		if (p->error_until && t->seq % p->error_mod == p->error_rem &&
		    t->attempt <= p->error_until) {
			out->error_code = 42;
			if (out->message != NULL)
				snprintf(out->message, out->message_max,
					 "no good: seq %llu attempt %u",
					 (unsigned long long)t->seq, t->attempt);
			return -1;
		}
		if (p->busy_ns)
			busy_wait_ns(p->busy_ns);
	}
	out->value = expected_value(x, n);
	return 0;
}

/* Parameters of task `seq` in the tests' sweeps. */
static inline void
params_of_seq(uint64_t seq, double *x, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		x[i] = (double)((seq * 2654435761u + i * 40503u) % 10007) / 7.0;
}

static inline int
pidfd_of(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Waits (event-driven, on a pidfd) until pid has exited; returns the
 * milliseconds it took, or -1 if it was still alive after limit_ms. */
static inline long
wait_exit_ms(pid_t pid, int limit_ms)
{
	struct timespec a, b;
	struct pollfd p;
	int fd = pidfd_of(pid);

	if (fd < 0)
		return errno == ESRCH ? 0 : -1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	p.fd = fd;
	p.events = POLLIN;
	if (poll(&p, 1, limit_ms) != 1) {
		close(fd);
		return -1;
	}
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
}

static inline int
shm_exists(const char *name)
{
	int fd = shm_open(name, O_RDONLY, 0);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* Runs the ringsweep command with argv (NULL-terminated, argv[0] ignored),
 * stdout and stderr captured to files; returns the exit status (or 128 +
 * signal). */
/* Runs PROGRAM ARGS... (NULL-terminated) with stdout and stderr in the
 * given files (NULL: /dev/null); its exit status, 128 + signal, or -1. */
/* The longest a program a test runs may take: past it, its whole process
 * group is killed and its arena removed, and the call fails, so that a
 * hung run fails its test instead of outliving it.  Below the suites'
 * usual 60 s timeout, so it is this limit that fires; a test Criterion
 * times out first still takes its child along (PR_SET_PDEATHSIG). */
#define RSW_TEST_RUN_LIMIT_MS 50000

static inline void
redirect(int fd, const char *path)
{
	int f = open(path != NULL ? path : "/dev/null",
		     O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (f < 0 || dup2(f, fd) < 0)
		_exit(127);
	close(f);
}

static inline int
run_program_limited(const char *dir, const char *program,
		    const char *const *args, const char *out_path,
		    const char *err_path, int limit_ms)
{
	const char *argv[64];
	pid_t pid, parent = getpid();
	int n = 0, status;

	argv[n++] = program;
	for (int i = 0; args[i] != NULL && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		/* Its own process group (the unit killed on a time-out), and
		 * it dies with this test process, however that one ends (a
		 * Criterion time-out included). */
		setpgid(0, 0);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
			_exit(127);
		redirect(1, out_path);
		redirect(2, err_path);
		if (dir != NULL && chdir(dir) != 0)
			_exit(127);
		execve(program, (char *const *)argv, environ);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	setpgid(pid, pid); /* also here: whichever runs first */
	if (wait_exit_ms(pid, limit_ms) < 0) {
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		rsw_arena_reap_stale(); /* its driver is dead: the arena goes */
		return -1;
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static inline int
run_program_in(const char *dir, const char *program, const char *const *args,
	       const char *out_path, const char *err_path)
{
	return run_program_limited(dir, program, args, out_path, err_path,
				   RSW_TEST_RUN_LIMIT_MS);
}

static inline int
run_program(const char *program, const char *const *args, const char *out_path,
	    const char *err_path)
{
	return run_program_in(NULL, program, args, out_path, err_path);
}

static inline int
run_cli(const char *const *args, const char *out_path, const char *err_path)
{
	return run_program(RSW_CLI_PATH, args, out_path, err_path);
}

/* The same, with the command's working directory `dir`. */
static inline int
run_cli_in(const char *dir, const char *const *args, const char *out_path,
	   const char *err_path)
{
	return run_program_in(dir, RSW_CLI_PATH, args, out_path, err_path);
}

/* n zeroed bytes the forks made after this share with the test (worker
 * processes count into them); munmap when done. */
static inline void *
shared_zeroed(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);

	cr_assert_neq(p, MAP_FAILED);
	return p; /* anonymous mappings start zeroed */
}

/* Creates (or replaces) a POSIX shared-memory object holding `bytes`. */
static inline int
make_shm_object(const char *name, const void *bytes, size_t n)
{
	int fd = shm_open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = write(fd, bytes, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

/* Cuts every line of a CSV text to its first n fields, in place (the
 * deterministic columns of an export come first). */
static inline char *
keep_fields(char *text, int n)
{
	char *r = text, *w = text;

	while (*r) {
		int field = 0;

		while (*r && *r != '\n') {
			if (*r == ',' && ++field == n) {
				while (*r && *r != '\n')
					r++;
				break;
			}
			*w++ = *r++;
		}
		if (*r == '\n')
			*w++ = *r++;
	}
	*w = '\0';
	return text;
}

/* A fresh directory per test (Criterion runs each test in its own
 * process, so these statics start empty every time). */
static char rsw_test_dir[64];

static inline void
make_test_dir(void)
{
	snprintf(rsw_test_dir, sizeof rsw_test_dir, "/tmp/rsw-test-XXXXXX");
	if (mkdtemp(rsw_test_dir) == NULL)
		abort(); /* test set-up, not user input */
}

/* The path of `leaf` in the test's directory: one stable buffer per leaf
 * name, because argument arrays keep these pointers while later calls ask
 * for more. */
static inline const char *
in_test_dir(const char *leaf)
{
	static char leaves[32][64], paths[32][256];
	static int n;

	for (int i = 0; i < n; i++)
		if (strcmp(leaves[i], leaf) == 0)
			return paths[i];
	if (n == 32)
		abort(); /* a test asking for more than 32 paths */
	snprintf(leaves[n], sizeof leaves[n], "%s", leaf);
	snprintf(paths[n], sizeof paths[n], "%s/%s", rsw_test_dir, leaf);
	return paths[n++];
}

/* Rows in a results store, as a fresh connection sees them (0 when it
 * cannot be read yet). */
static inline uint64_t
store_row_count(const char *db)
{
	sqlite3 *h;
	sqlite3_stmt *s = NULL;
	uint64_t n = 0;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_busy_timeout(h, 1000);
		if (sqlite3_prepare_v2(h, "SELECT count(*) FROM results", -1, &s,
				       NULL) == SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW)
			n = (uint64_t)sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	sqlite3_close(h);
	return n;
}

/* Waits (up to ~10 s: a store filling in another process is only seen by
 * reading it) until `db` holds at least n rows; the rows it holds then. */
static inline uint64_t
wait_store_rows(const char *db, uint64_t n)
{
	uint64_t rows = 0;

	for (int tries = 0; tries < 20000 && (rows = store_row_count(db)) < n; tries++)
		usleep(500);
	return rows;
}

/* Cuts a results store back to its first `keep` rows, as a kill would
 * have left it (the outcome says so too). */
static inline void
cut_store(const char *db, int keep)
{
	char sql[96];
	sqlite3 *h;

	snprintf(sql, sizeof sql, "DELETE FROM results WHERE seq >= %d", keep);
	if (sqlite3_open(db, &h) != SQLITE_OK ||
	    sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(h, "UPDATE sweep SET value = 'interrupted' WHERE key = "
			 "'outcome'", NULL, NULL, NULL) != SQLITE_OK)
		abort(); /* test set-up on a file the test just wrote */
	sqlite3_close(h);
}

/* The median of n values (sorts them in place). */
static inline int
cmp_double_(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline double
median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double_);
	return v[n / 2];
}

/* Whole file into a malloc'd string (NUL-terminated), or NULL. */
static inline char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf != NULL)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The command refuses args (a non-zero exit), saying `says` on stderr
 * (kept in the test directory's file "err"; make_test_dir first). */
static inline void
assert_refused(const char *const *args, const char *says)
{
	char *err;

	cr_assert_neq(run_cli(args, NULL, in_test_dir("err")), 0, "accepted: want '%s'",
		      says);
	err = slurp(in_test_dir("err"));
	cr_assert(err != NULL && strstr(err, says) != NULL, "want '%s', got: %s", says,
		  err != NULL ? err : "(nothing)");
	free(err);
}

/* Reads the pids of a running CLI sweep's supervisor and workers from its
 * arena (read-only attach). */
static inline int
find_sweep_of(pid_t driver, char *name, size_t n, pid_t *sup, pid_t *w, int nw)
{
	char prefix[64];

	snprintf(prefix, sizeof prefix, "ringsweep-%d-", (int)driver);
	for (int tries = 0; tries < 10000; tries++) {
		DIR *d = opendir("/dev/shm");
		struct dirent *de;
		int found = 0;

		while (d != NULL && (de = readdir(d)) != NULL) {
			rsw_arena a;

			if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
				continue;
			if (strlen(de->d_name) + 2 > n)
				continue;
			name[0] = '/';
			memcpy(name + 1, de->d_name, strlen(de->d_name) + 1);
			if (rsw__arena_attach(&a, name, 1) != 0)
				continue;
			*sup = (pid_t)ck_pr_load_32(&a.hdr->supervisor_pid);
			found = *sup > 0;
			for (int i = 0; i < nw; i++) {
				w[i] = (pid_t)ck_pr_load_32(&rsw__worker_slot(&a, i)->pid);
				found &= w[i] > 0;
			}
			rsw__arena_detach(&a);
		}
		if (d != NULL)
			closedir(d);
		if (found)
			return 0;
		usleep(1000);
	}
	return -1;
}

/*
 * The determinism promise through the command: runs `algo_args` (NULL-
 * terminated, "--algo NAME" first) over a mixed space (a float with a
 * step, an int, a log float -- log integers for grid --, a category) once serially with sphere, with crashy on 1, 2
 * and 7 workers (sphere, but the first attempt of seqs 13 mod 97 dies of
 * SIGSEGV; --retries 2 brings it back), and with sphere on 3 worker
 * threads (--threads), and asserts the results CSVs are byte-identical.
 * Serial and thread mode have no crash isolation, hence sphere there.
 * Returns the reference CSV (free it).
 */
static inline char *
assert_same_results_at_any_worker_count(const char *const *algo_args)
{
	/* Grid needs a step everywhere: log-scale integers there. */
	int grid = strcmp(algo_args[1], "grid") == 0;
	const char *space[] = { "a=float:-3:3:0.5", "b=int:-5:5",
				grid ? "c=logint:1:8" : "c=log:0.01:10",
				"d=cat:x,y,z" };
	const char *modes[] = { "serial", "1", "2", "7", "3" };
	char dir[] = "/tmp/rsw-det-XXXXXX", csv[128], summary[128];
	char *reference = NULL;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(csv, sizeof csv, "%s/r.csv", dir);
	snprintf(summary, sizeof summary, "%s/summary.json", dir);
	for (int m = 0; m < 5; m++) {
		const char *argv[64];
		int isolated = m > 0 && m < 4; /* worker processes */
		int n = 0;
		char *got;

		argv[n++] = "run";
		argv[n++] = "--objective";
		argv[n++] = isolated ? "crashy" : "sphere";
		for (int i = 0; i < 4; i++) {
			argv[n++] = "--param";
			argv[n++] = space[i];
		}
		for (int i = 0; algo_args[i] != NULL && n < 52; i++)
			argv[n++] = algo_args[i];
		argv[n++] = "--retries";
		argv[n++] = "2";
		argv[n++] = "--db";
		argv[n++] = "none";
		argv[n++] = "--json";
		argv[n++] = "--results";
		argv[n++] = csv;
		if (m == 0) {
			argv[n++] = "--serial";
		} else {
			if (m == 4)
				argv[n++] = "--threads";
			argv[n++] = "-j";
			argv[n++] = modes[m];
		}
		argv[n] = NULL;
		cr_assert_eq(run_cli(argv, summary, NULL), 0, "%s, -j %s", algo_args[1],
			     modes[m]);
		if (isolated) { /* the crashes happened, and were retried */
			char *json = slurp(summary), *at = strstr(json, "\"retries\":");
			long retries = 0;

			cr_assert(at != NULL && sscanf(at, "\"retries\": %ld", &retries) == 1,
				  "%s", json);
			cr_assert_gt(retries, 0, "%s, -j %s: no crash was retried",
				     algo_args[1], modes[m]);
			free(json);
		}
		got = slurp(csv);
		cr_assert_not_null(got);
		if (reference == NULL) {
			reference = got;
			continue;
		}
		cr_assert_str_eq(got, reference, "%s: %s-j %s differs from serial",
				 algo_args[1], m == 4 ? "--threads " : "", modes[m]);
		free(got);
	}
	unlink(csv);
	unlink(summary);
	rmdir(dir);
	return reference;
}

/* Appends "--param xI=float:LO:HI" for I = 1 .. count at argv[n], with
 * LO:HI = ranges[(I - 1) % nranges]; specs holds the strings.  Returns the
 * new n. */
static inline int
add_box_params(const char **argv, int n, char (*specs)[32], int count,
	       const char *const *ranges, int nranges)
{
	for (int i = 0; i < count; i++) {
		snprintf(specs[i], sizeof specs[i], "x%d=float:%s", i + 1,
			 ranges[i % nranges]);
		argv[n++] = "--param";
		argv[n++] = specs[i];
	}
	return n;
}

/* Runs `ringsweep run ARGS --db none -q` (ARGS NULL-terminated) and
 * returns the best value it reports. */
static inline double
cli_best(const char *const *args)
{
	char out[] = "/tmp/rsw-best-XXXXXX";
	const char *argv[64];
	int n = 0, fd = mkstemp(out);
	char *text;
	double v;

	close(fd);
	argv[n++] = "run";
	for (int i = 0; args[i] != NULL; i++) {
		cr_assert_lt(n, 60, "cli_best: more arguments than its argv holds");
		argv[n++] = args[i];
	}
	argv[n++] = "--db";
	argv[n++] = "none";
	argv[n++] = "-q";
	argv[n] = NULL;
	cr_assert_eq(run_cli(argv, out, NULL), 0, "%s %s", args[0], args[1]);
	text = slurp(out);
	cr_assert_eq(sscanf(text, "best: %lf", &v), 1, "%s", text);
	free(text);
	unlink(out);
	return v;
}

/* The best value of `ringsweep run --objective OBJECTIVE --algo ALGO
 * --evals EVALS --seed SEED --serial` over `count` float parameters, the
 * I-th on ranges[(I - 1) % nranges] (add_box_params). */
static inline double
cli_algo_best(const char *objective, const char *algo, int count,
	      const char *const *ranges, int nranges, const char *evals, int seed)
{
	char specs[16][32], seed_s[16];
	const char *argv[48] = { "--objective", objective };
	int n;

	cr_assert_leq(count, 16, "cli_algo_best: %d parameters, room for 16", count);
	n = add_box_params(argv, 2, specs, count, ranges, nranges);

	snprintf(seed_s, sizeof seed_s, "%d", seed);
	argv[n++] = "--algo";
	argv[n++] = algo;
	argv[n++] = "--evals";
	argv[n++] = evals;
	argv[n++] = "--seed";
	argv[n++] = seed_s;
	argv[n++] = "--serial";
	argv[n] = NULL;
	return cli_best(argv);
}

/* A parameter space from NULL-terminated specs, each of which must parse. */
static inline rsw_space
space_of(const char *const *specs)
{
	rsw_space s;
	char err[256];

	rsw_space_init(&s);
	for (int i = 0; specs[i] != NULL; i++)
		cr_assert_eq(rsw_space_add(&s, specs[i], err, sizeof err), 0,
			     "%s: %s", specs[i], err);
	return s;
}

/* Runs `algo` to its end on `obj` through a real engine (workers 0:
 * serial, in this process) and asserts that the run succeeded. */
static inline void
run_algorithm(rsw_algorithm *algo, rsw_objective obj, int workers,
	      const rsw_run_options *ro)
{
	rsw_config c;
	rsw_engine *e;

	rsw_config_init(&c);
	c.workers = workers;
	c.max_params = algo->nparams;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	cr_assert_eq(rsw_run(e, algo, ro), 0, "%s", algo->name);
	rsw_engine_close(e);
}

/* A whole file, binary or not; *len receives its size. */
static inline char *
file_bytes(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	buf = malloc(*len + 1);
	if (buf != NULL && fread(buf, 1, *len, f) != *len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

#endif

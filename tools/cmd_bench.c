/*
 * tools/cmd_bench.c - `ringsweep bench ipc|latency|scaling|suggest|store`: the
 * dispatch, and what the benchmarks' printers share (gnuplot, the
 * machine in JSON).  The measurements are in bench/; each benchmark's
 * options and output are in tools/bench_NAME.c.
 */
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_cli.h"
#include "cli.h"

extern char **environ;

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} benches[] = {
	{ "ipc", rsw_bench_ipc_main },
	{ "latency", rsw_bench_latency_main },
	{ "scaling", rsw_bench_scaling_main },
	{ "suggest", rsw_bench_suggest_main },
	{ "store", rsw_bench_store_main },
};

static int
have_gnuplot(void)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (path == NULL)
		path = "/usr/bin:/bin";
	for (const char *p = path; *p;) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		snprintf(buf, sizeof buf, "%.*s/gnuplot", (int)len, p);
		if (access(buf, X_OK) == 0)
			return 1;
		p += len + (end ? 1 : 0);
	}
	return 0;
}

int
rsw_bench_check_plot(const char *png)
{
	FILE *f;

	if (png == NULL)
		return 0;
	if (!have_gnuplot()) {
		rsw_cli_errorf("--plot needs gnuplot, which is not installed "
			       "(Debian: apt-get install gnuplot-nox)");
		return -1;
	}
	f = fopen(png, "a");
	if (f == NULL) {
		rsw_cli_errorf("--plot '%s': cannot write there: %m", png);
		return -1;
	}
	fclose(f);
	return 0;
}

int
rsw_plot_begin(struct rsw_plot_job *j)
{
	int dfd, sfd;

	snprintf(j->data_path, sizeof j->data_path, "/tmp/rsw-plot-XXXXXX");
	snprintf(j->script_path, sizeof j->script_path, "/tmp/rsw-gp-XXXXXX");
	dfd = mkstemp(j->data_path);
	sfd = mkstemp(j->script_path);
	j->data = dfd >= 0 ? fdopen(dfd, "w") : NULL;
	j->script = sfd >= 0 ? fdopen(sfd, "w") : NULL;
	if (j->data != NULL && j->script != NULL)
		return 0;
	if (j->data != NULL)
		fclose(j->data);
	if (j->script != NULL)
		fclose(j->script);
	if (dfd >= 0)
		unlink(j->data_path);
	if (sfd >= 0)
		unlink(j->script_path);
	return -1;
}

/* Closes both files, runs gnuplot on the script, removes both; returns 0
 * when gnuplot succeeded. */
int
rsw_plot_finish(struct rsw_plot_job *j)
{
	char *argv[] = { "gnuplot", j->script_path, NULL };
	int status, rc = -1;
	pid_t pid;

	fclose(j->data);
	fclose(j->script);
	if (posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ) == 0 &&
	    waitpid(pid, &status, 0) == pid)
		rc = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
	unlink(j->data_path);
	unlink(j->script_path);
	return rc;
}

void
rsw_bench_machine_json(void)
{
	struct utsname u;
	char model[128] = "unknown";
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
			snprintf(model, sizeof model, "%s", colon + 2);
			model[strcspn(model, "\n\"\\")] = '\0';
			break;
		}
	}
	if (f != NULL)
		fclose(f);
	uname(&u);
	printf("  \"machine\": {\"cpus\": %ld, \"cpu\": \"%s\", \"kernel\": \"%s\"},\n",
	       sysconf(_SC_NPROCESSORS_ONLN), model, u.release);
}

/* JSON has no NaN: unmeasured figures become null. */
void
rsw_bench_json_num(const char *key, double v, const char *sep)
{
	if (isfinite(v))
		printf("\"%s\": %.1f%s", key, v, sep);
	else
		printf("\"%s\": null%s", key, sep);
}


int
rsw_cmd_bench(int argc, char **argv)
{
	size_t n = sizeof benches / sizeof benches[0];

	for (size_t i = 0; argc >= 2 && i < n; i++)
		if (strcmp(argv[1], benches[i].name) == 0)
			return benches[i].run(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		puts("usage: ringsweep bench ipc|latency|scaling|suggest|store [OPTIONS]  "
		     "(--help for each)");
		return RSW_EXIT_OK;
	}
	rsw_cli_errorf("ringsweep bench needs 'ipc', 'scaling', 'suggest' or "
		       "'store'%s%s%s", argc >= 2 ? ", got '" : "",
		       argc >= 2 ? argv[1] : "", argc >= 2 ? "'" : "");
	return RSW_EXIT_USAGE;
}

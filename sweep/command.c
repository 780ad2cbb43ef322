/*
 * sweep/command.c - `--cmd 'prog --fast {fast} --slow {slow}'`: an
 * external command as the objective, so a sweep can drive a backtest
 * written in any language.
 *
 * The template is split into words once, at start (single and double
 * quotes group, backslash escapes; no shell: write `sh -c '...'` for one),
 * and every {name} (a name of letters, digits and '_' in braces) must be a
 * parameter, or the sweep does not start; other braces are literal, so a
 * JSON text in the template needs no escaping.  The program is looked up
 * once, at start (in PATH, or relative to the working directory), so a
 * missing one is refused before anything runs.  Per task the worker forks
 * the command in the working directory, in a new process group, registered
 * with the engine (rsw_worker_set_child_group) so that a deadline kill or
 * a worker crash takes the command and all its children with it.
 *
 * The score is the last non-empty line of stdout: a number, or a JSON
 * object whose "value" is the score and whose fields named by --metrics are
 * the metrics (numbers, each of them present).  Non-zero exit, death by
 * signal or unparsable output is a failed task (status error; detail: the
 * exit code, 128 + signal, or 74 = EBADMSG for output that is not a score,
 * explained once per worker on stderr).
 *
 * Intermediate values (for --prune): a line `step N VALUE` (N = 0, 1, ...)
 * is reported as it arrives; when the pruner answers stop, the command's
 * process group is killed and the task is pruned.  Such lines are not the
 * score: the score line comes last.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define MAX_WORDS 256
#define OUTPUT_KEEP 65536
#define STDERR_KEEP 1024 /* of a failed command's stderr, kept */

struct word {
	char *text;	/* with {name} placeholders */
};

struct rsw__cmd {
	int nwords;
	struct word words[MAX_WORDS];
	const rsw_space *space;
	uint32_t nmetrics;
	char metric_names[RSW_MAX_METRICS_LIMIT][64];
	char workdir[PATH_MAX];	/* absolute; the command runs there */
	char program[PATH_MAX];	/* absolute: what is executed */
	char cant_run[PATH_MAX + 64]; /* the child's message if exec fails */
};

/* Splits a template into words: quotes group, backslash escapes. */
static int
split(struct rsw__cmd *c, const char *tmpl, char *err, size_t errlen)
{
	const char *p = tmpl;

	while (*p) {
		char buf[4096];
		size_t n = 0;
		char quote = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		while (*p && (quote || (*p != ' ' && *p != '\t'))) {
			if (quote && *p == quote) {
				quote = 0;
			} else if (!quote && (*p == '\'' || *p == '"')) {
				quote = *p;
			} else {
				if (*p == '\\' && quote != '\'' && p[1])
					p++;
				if (n + 1 >= sizeof buf) {
					snprintf(err, errlen, "--cmd: a word is longer "
						 "than %zu characters", sizeof buf);
					return -1;
				}
				buf[n++] = *p;
			}
			p++;
		}
		if (quote) {
			snprintf(err, errlen, "--cmd: unterminated %c quote", quote);
			return -1;
		}
		if (c->nwords == MAX_WORDS) {
			snprintf(err, errlen, "--cmd: more than %d words", MAX_WORDS);
			return -1;
		}
		buf[n] = '\0';
		c->words[c->nwords++].text = strdup(buf);
	}
	if (c->nwords == 0) {
		snprintf(err, errlen, "--cmd: empty command");
		return -1;
	}
	return 0;
}

/* Length of the placeholder name at p (just past a '{') when it is
 * {identifier}; 0 when this brace is literal. */
static size_t
placeholder(const char *p)
{
	size_t n = 0;

	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
	       (p[n] >= '0' && p[n] <= '9') || p[n] == '_')
		n++;
	return n > 0 && p[n] == '}' ? n : 0;
}

static int
param_index(const rsw_space *s, const char *name, size_t len)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (strlen(s->params[i].name) == len &&
		    strncmp(s->params[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* The task's own placeholders, after the parameters' (a parameter of the
 * same name wins): {seq}, {attempt}, {worker}. */
enum { TASK_SEQ = -2, TASK_ATTEMPT = -3, TASK_WORKER = -4, NOT_A_NAME = -1 };

static int
placeholder_index(const rsw_space *s, const char *name, size_t len)
{
	static const struct {
		const char *name;
		int index;
	} task[] = { { "seq", TASK_SEQ }, { "attempt", TASK_ATTEMPT },
		     { "worker", TASK_WORKER } };
	int i = param_index(s, name, len);

	for (size_t t = 0; i < 0 && t < sizeof task / sizeof task[0]; t++)
		if (strlen(task[t].name) == len && strncmp(task[t].name, name, len) == 0)
			i = task[t].index;
	return i;
}

static int
executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

/* Finds the program as execvp would, once, so that a missing one is an
 * error before the sweep starts rather than a failure per task; fills
 * c->program with its absolute path. */
static int
resolve_program(rsw__cmd *c, const char *prog, char *err, size_t errlen)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX * 2];

	if (strchr(prog, '/') != NULL) {
		snprintf(buf, sizeof buf, "%s%s%s", prog[0] == '/' ? "" : c->workdir,
			 prog[0] == '/' ? "" : "/", prog);
		if (!executable_file(buf) || realpath(buf, c->program) == NULL) {
			snprintf(err, errlen, "--cmd: program '%s' is not an "
				 "executable file", prog);
			return -1;
		}
		return 0;
	}
	for (const char *d = path != NULL ? path : "/usr/bin:/bin"; *d;) {
		size_t len = strcspn(d, ":");

		/* An empty entry is the current directory, as for execvp. */
		snprintf(buf, sizeof buf, "%.*s/%s", len ? (int)len : 1,
			 len ? d : ".", prog);
		if (executable_file(buf) && realpath(buf, c->program) != NULL)
			return 0;
		d += len + (d[len] == ':');
	}
	snprintf(err, errlen, "--cmd: program '%s' not found in PATH", prog);
	return -1;
}

rsw__cmd *
rsw__cmd_parse(const char *tmpl, const rsw_space *space, const char *metrics,
	       const char *workdir, char *err, size_t errlen)
{
	rsw__cmd *c = calloc(1, sizeof *c);

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->space = space;
	if (workdir == NULL ? getcwd(c->workdir, sizeof c->workdir) == NULL :
			      realpath(workdir, c->workdir) == NULL) {
		snprintf(err, errlen, "--cmd: working directory '%s': %s",
			 workdir != NULL ? workdir : ".", strerror(errno));
		rsw__cmd_free(c);
		return NULL;
	}
	if (split(c, tmpl, err, errlen) != 0) {
		rsw__cmd_free(c);
		return NULL;
	}
	for (int w = 0; w < c->nwords; w++) {
		for (const char *p = strchr(c->words[w].text, '{'); p != NULL;
		     p = strchr(p + 1, '{')) {
			size_t len = placeholder(p + 1);

			if (len > 0 && placeholder_index(space, p + 1, len) == NOT_A_NAME) {
				snprintf(err, errlen, "--cmd: '{%.*s}' is not a parameter "
					 "(placeholders are {name} of a --param, {seq}, "
					 "{attempt} and {worker})", (int)len, p + 1);
				rsw__cmd_free(c);
				return NULL;
			}
		}
	}
	if (metrics != NULL) {
		char buf[1024], *save = NULL;

		snprintf(buf, sizeof buf, "%s", metrics);
		for (char *t = strtok_r(buf, ",", &save); t != NULL;
		     t = strtok_r(NULL, ",", &save)) {
			if (c->nmetrics == RSW_MAX_METRICS_LIMIT || strlen(t) >= 64) {
				snprintf(err, errlen, "--metrics: too many, or '%s' too "
					 "long", t);
				rsw__cmd_free(c);
				return NULL;
			}
			snprintf(c->metric_names[c->nmetrics++], 64, "%s", t);
		}
	}
	/* A program given by a placeholder is only known per task. */
	if (strchr(c->words[0].text, '{') == NULL &&
	    resolve_program(c, c->words[0].text, err, errlen) != 0) {
		rsw__cmd_free(c);
		return NULL;
	}
	snprintf(c->cant_run, sizeof c->cant_run,
		 "ringsweep: --cmd: cannot run '%s'\n", c->words[0].text);
	return c;
}

const char *
rsw__cmd_program(const rsw__cmd *c)
{
	return c->program;
}

const char *
rsw__cmd_workdir(const rsw__cmd *c)
{
	return c->workdir;
}

void
rsw__cmd_free(rsw__cmd *c)
{
	if (c == NULL)
		return;
	for (int w = 0; w < c->nwords; w++)
		free(c->words[w].text);
	free(c);
}

uint32_t
rsw__cmd_metrics(const rsw__cmd *c, const char **names)
{
	for (uint32_t i = 0; i < c->nmetrics; i++)
		names[i] = c->metric_names[i];
	return c->nmetrics;
}

/* One word with its placeholders replaced (malloc'd). */
static char *
expand(const rsw__cmd *c, const char *text, const double *x,
       const rsw_task_info *task)
{
	size_t cap = strlen(text) + 64, n = 0;
	char *out = malloc(cap);

	for (const char *p = text; out != NULL && *p;) {
		char num[64];
		const char *piece = p, *end;
		size_t len = 1;

		if (*p == '{' && placeholder(p + 1) > 0) {
			int i = placeholder_index(c->space, p + 1, placeholder(p + 1));

			end = p + 1 + placeholder(p + 1);
			if (i >= 0)
				rsw_param_format(&c->space->params[i], x[i], num, sizeof num);
			else if (i == TASK_SEQ)
				snprintf(num, sizeof num, "%llu", (unsigned long long)task->seq);
			else if (i == TASK_ATTEMPT)
				snprintf(num, sizeof num, "%u", task->attempt);
			else
				snprintf(num, sizeof num, "%d", task->worker);
			piece = num;
			len = strlen(num);
			p = end + 1;
		} else {
			p++;
		}
		if (n + len + 1 > cap) {
			char *bigger = realloc(out, cap = 2 * (n + len + 1));

			if (bigger == NULL) {
				free(out);
				return NULL;
			}
			out = bigger;
		}
		memcpy(out + n, piece, len);
		n += len;
	}
	if (out != NULL)
		out[n] = '\0';
	return out;
}

const char rsw__cmd_infeasible[] = "infeasible";

/* Parses the last non-empty line of the output into value and metrics;
 * returns NULL, or why it is no score (into why). */
const char *
rsw__cmd_parse_score(const rsw__cmd *c, char *buf, size_t n, int cut_mid_line,
		     rsw_eval_out *out, char *why, size_t whylen)
{
	char *line, *end;

	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
			 buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	line = strrchr(buf, '\n');
	/* A last line whose head was dropped with the output kept would be
	 * read as its tail ("1" + 70,000 spaces + "7" as 7). */
	if (line == NULL && cut_mid_line) {
		snprintf(why, whylen, "its last line is longer than %d bytes",
			 OUTPUT_KEEP / 2);
		return why;
	}
	line = line ? line + 1 : buf;
	while (*line == ' ' || *line == '\t')
		line++;
	if (strcmp(line, RSW__CMD_INFEASIBLE) == 0)
		return RSW__CMD_INFEASIBLE;
	if (*line == '{') {
		json_t *o = json_loads(line, 0, NULL), *v;

		if (!json_is_object(o) || !json_is_number(v = json_object_get(o, "value"))) {
			json_decref(o);
			return "its last line is a JSON object without a number "
			       "\"value\"";
		}
		out->value = json_number_value(v);
		if (!isfinite(out->value)) {
			json_decref(o);
			return "its \"value\" is not finite";
		}
		out->nmetrics = c->nmetrics;
		for (uint32_t i = 0; i < c->nmetrics; i++) {
			json_t *m = json_object_get(o, c->metric_names[i]);

			if (!json_is_number(m)) {
				snprintf(why, whylen, "its score line has no number "
					 "'%s' (named by --metrics)",
					 c->metric_names[i]);
				json_decref(o);
				return why;
			}
			out->metrics[i] = json_number_value(m);
		}
		json_decref(o);
		return NULL;
	}
	errno = 0;
	out->value = strtod(line, &end);
	if (end != line && *end == '\0' && errno == 0 && isfinite(out->value))
		return c->nmetrics == 0 ? NULL :
		       "its last line is a number, but --metrics needs a JSON object";
	return "its last line is neither a number nor a JSON object";
}

/* The last STDERR_KEEP bytes a command wrote to stderr. */
struct stderr_tail {
	char text[STDERR_KEEP];
	size_t n;
};

/* Reads what is there of the command's stderr: passes it on to ours and
 * keeps its tail.  0 at EOF (or an error), else 1. */
static int
take_stderr(int fd, struct stderr_tail *t)
{
	char chunk[4096];
	ssize_t r = read(fd, chunk, sizeof chunk);
	size_t len, keep;

	if (r < 0 && errno == EINTR)
		return 1;
	if (r <= 0)
		return 0;
	len = (size_t)r;
	for (size_t done = 0; done < len;) {
		ssize_t w = write(STDERR_FILENO, chunk + done, len - done);

		if (w <= 0 && errno != EINTR)
			break;
		done += w > 0 ? (size_t)w : 0;
	}
	if (len >= STDERR_KEEP) {
		memcpy(t->text, chunk + len - STDERR_KEEP, STDERR_KEEP);
		t->n = STDERR_KEEP;
		return 1;
	}
	keep = t->n + len > STDERR_KEEP ? STDERR_KEEP - len : t->n;
	memmove(t->text, t->text + t->n - keep, keep);
	memcpy(t->text + keep, chunk, len);
	t->n = keep + len;
	return 1;
}

/* Reports the complete `step N VALUE` lines of buf[*from .. n); 1 when
 * the pruner said stop.  *from moves past the complete lines. */
static int
report_steps(const rsw_task_info *task, const char *buf, size_t n, size_t *from)
{
	const char *nl;

	while (*from < n && (nl = memchr(buf + *from, '\n', n - *from)) != NULL) {
		const char *line = buf + *from;
		unsigned long long step;
		double value;
		char tail;

		*from = (size_t)(nl - buf) + 1;
		if (strncmp(line, "step ", 5) == 0 &&
		    sscanf(line, "step %llu %lf%c", &step, &value, &tail) == 3 &&
		    (tail == '\n' || tail == ' ' || tail == '\r') && step <= UINT32_MAX &&
		    rsw_task_report(task, (uint32_t)step, value))
			return 1;
	}
	return 0;
}

/* A failed task's message (when the sweep keeps them): why its output is
 * no score, if that is the reason, then the tail of its stderr. */
static void
keep_message(rsw_eval_out *out, const char *why, const struct stderr_tail *t)
{
	size_t n, from = 0, len = t->n;

	if (out->message == NULL || out->message_max < 2)
		return;
	n = (size_t)snprintf(out->message, out->message_max, "%s%s",
			     why != NULL ? why : "",
			     why != NULL && len > 0 ? "\n" : "");
	if (n >= out->message_max - 1)
		return;
	if (len > out->message_max - 1 - n)
		from = len - (out->message_max - 1 - n);
	for (size_t i = from; i < len; i++)
		out->message[n++] = t->text[i] != '\0' ? t->text[i] : '?';
	out->message[n] = '\0';
}

int
rsw__cmd_eval(void *ctx, const double *x, uint32_t nparams,
	     const rsw_task_info *task, rsw_eval_out *out)
{
	const rsw__cmd *c = ctx;
	char *argv[MAX_WORDS + 1];
	/* Per call: thread-mode workers run this concurrently, and 64 KiB
	 * of thread-local storage would come out of every thread's stack
	 * (a malloc is nothing beside the fork and exec of a task). */
	char *buf = malloc(OUTPUT_KEEP + 1);
	int cut_mid_line = 0;
	char whybuf[160];
	const char *why;
	size_t n = 0, scanned = 0;
	int fds[2], errs[2], status = 0, reaped = 0, rc = 0, stopped = 0;
	struct stderr_tail tail = { .n = 0 };
	pid_t pid;

	for (int w = 0; w < c->nwords; w++)
		argv[w] = expand(c, c->words[w].text, x, task);
	argv[c->nwords] = NULL;
	if (buf == NULL) {
		out->error_code = ENOMEM;
		rc = -1;
		goto out;
	}
	if (pipe2(fds, O_CLOEXEC) != 0) {
		out->error_code = errno;
		rc = -1;
		goto out;
	}
	if (pipe2(errs, O_CLOEXEC) != 0) {
		out->error_code = errno;
		close(fds[0]);
		close(fds[1]);
		rc = -1;
		goto out;
	}
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		sigset_t none;
		ssize_t ignored;

		/* Its own process group (the unit a timeout kills), and it
		 * dies with this worker.  No terminal input: in a background
		 * group, a read would stop it (SIGTTIN) forever. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* A mask and an ignored signal survive exec: a thread-mode
		 * worker blocks the asynchronous signals and the supervisor
		 * ignores SIGINT; the command is a program of its own. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGINT, SIG_DFL);
		if (devnull >= 0 && dup2(devnull, STDIN_FILENO) >= 0 &&
		    devnull != STDIN_FILENO)
			close(devnull);
		dup2(fds[1], STDOUT_FILENO);
		dup2(errs[1], STDERR_FILENO);
		if (chdir(c->workdir) == 0) {
			if (c->program[0] != '\0')
				execv(c->program, argv);
			else
				execvp(argv[0], argv);
		}
		/* write(), not stdio: a lock held at fork time stays held. */
		ignored = write(STDERR_FILENO, c->cant_run, strlen(c->cant_run));
		(void)ignored;
		_exit(127);
	}
	close(fds[1]);
	close(errs[1]);
	if (pid < 0) {
		close(fds[0]);
		close(errs[0]);
		out->error_code = errno;
		rc = -1;
		goto out;
	}
	setpgid(pid, pid); /* also here: whichever runs first */
	rsw_worker_set_child_group(pid);
	/* Read until the command exits, not until EOF: a background child
	 * it left holding stdout must not keep the task open.  Its stderr
	 * goes on to ours as it comes, and its last STDERR_KEEP bytes are
	 * kept: a failed task's message. */
	for (int exited = 0, err_open = 1;;) {
		struct pollfd pf[2] = { { .fd = fds[0], .events = POLLIN },
					{ .fd = err_open ? errs[0] : -1, .events = POLLIN } };
		ssize_t r;

		if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
			exited = reaped = 1;
			/* Its leftovers die with the task; the pipes then
			 * reach EOF once drained. */
			kill(-pid, SIGKILL);
		}
		if (poll(pf, 2, exited ? 0 : 50) <= 0) {
			if (exited)
				break;
			continue;
		}
		if (pf[1].revents != 0 && !take_stderr(errs[0], &tail))
			err_open = 0;
		if (pf[0].revents == 0)
			continue;
		if (n == OUTPUT_KEEP) {
			/* Keep the tail: the score is on the last line.  Whether
			 * the kept part starts a line is remembered: if the last
			 * line turns out to start there, its head was lost. */
			cut_mid_line = buf[OUTPUT_KEEP / 2 - 1] != '\n';
			memmove(buf, buf + OUTPUT_KEEP / 2, OUTPUT_KEEP / 2);
			n = OUTPUT_KEEP / 2;
			scanned = scanned > n ? scanned - n : 0;
		}
		r = read(fds[0], buf + n, OUTPUT_KEEP - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!exited) {
				pid_t got;

				while ((got = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
					;
				reaped = got == pid;
				kill(-pid, SIGKILL);
			}
			/* What it wrote to stderr before it ended. */
			while (err_open && poll(&pf[1], 1, 0) == 1 &&
			       take_stderr(errs[0], &tail))
				;
			break;
		}
		n += (size_t)r;
		buf[n] = '\0'; /* sscanf reads a string: the room for it is there */
		if (task->report != NULL && report_steps(task, buf, n, &scanned)) {
			/* The pruner said stop: the command and its children
			 * end here. */
			kill(-pid, SIGKILL);
			if (!exited)
				while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
					;
			reaped = stopped = 1;
			break;
		}
	}
	close(fds[0]);
	close(errs[0]);
	rsw_worker_set_child_group(0);
	if (stopped) {
		rc = RSW_EVAL_PRUNED;
	} else if (!reaped) {
		/* Reaped by someone else (a host that ignores SIGCHLD, in
		 * thread mode): how it ended is not known. */
		out->error_code = ECHILD;
		rc = -1;
	} else if (WIFSIGNALED(status)) {
		out->error_code = 128 + WTERMSIG(status);
		keep_message(out, NULL, &tail);
		rc = -1;
	} else if (WEXITSTATUS(status) != 0) {
		out->error_code = WEXITSTATUS(status);
		keep_message(out, NULL, &tail);
		rc = -1;
	} else if ((why = rsw__cmd_parse_score(c, buf, n, cut_mid_line, out, whybuf,
				      sizeof whybuf)) == RSW__CMD_INFEASIBLE) {
		rc = RSW_EVAL_INFEASIBLE;
	} else if (why != NULL) {
		/* Once per worker: the same reason would repeat for every
		 * task, and the status column already says "error 74". */
		static __thread int explained;

		if (!explained++)
			fprintf(stderr, "ringsweep: --cmd: task %llu failed: %s\n",
				(unsigned long long)task->seq, why);
		out->error_code = EBADMSG;
		keep_message(out, why, &tail);
		rc = -1;
	}
out:
	for (int w = 0; w < c->nwords; w++)
		free(argv[w]);
	free(buf);
	return rc;
}

/*
 * engine/procs.c - the process tree under a supervisor and its workers:
 * who is whose child, what a task left behind, which process groups may
 * be killed.
 *
 * The supervisor is a child subreaper (PR_SET_CHILD_SUBREAPER): a process
 * a task started that detached itself (setsid, a double fork) is
 * reparented to it, never to init, once its parent exits; so it can be
 * found, as a child that is no worker, and killed.  Children are found in the kernel's list of them
 * (/proc/self/task/TID/children), not by reading every process's stat:
 * the cost does not grow with what else runs on the machine.  A process
 * group named in shared memory (a worker slot's child_pgid) is killed only
 * when its leader is one of those children.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* /proc/PID/stat's parent and process group; -1 when it cannot be read. */
static int
stat_of(pid_t pid, pid_t *parent, pid_t *group)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;
	char state;
	long ppid, pgrp;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command name may hold spaces and ')': skip to the last ')'. */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %c %ld %ld", &state, &ppid, &pgrp) != 3 ||
	    state == 'Z')
		return -1;
	*parent = (pid_t)ppid;
	*group = (pid_t)pgrp;
	return 0;
}

int
rsw__group_of_worker(pid_t pgid, pid_t worker)
{
	pid_t parent, group;

	return pgid > 1 && stat_of(pgid, &parent, &group) == 0 && group == pgid &&
	       ((worker > 0 && parent == worker) || parent == getpid());
}

static int
kept(pid_t pid, const pid_t *keep, uint32_t nkeep)
{
	for (uint32_t i = 0; i < nkeep; i++)
		if (keep[i] == pid)
			return 1;
	return 0;
}

/* SIGKILLs one child and reaps it if it is gone already: one stuck in
 * uninterruptible sleep (a dead NFS server) must not stall the caller; it
 * is a zombie for the next sweep to reap. */
static void
kill_child(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, WNOHANG) < 0 && errno == EINTR)
		;
}

/* The children the kernel lists for each of our threads
 * (/proc/self/task/TID/children): no scan of every process on the
 * machine.  -1 when the kernel has no such list (CONFIG_PROC_CHILDREN). */
static int
kill_listed_children(const pid_t *keep, uint32_t nkeep)
{
	struct dirent *de;
	int killed = 0, listed = 0;
	DIR *d = opendir("/proc/self/task");

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char path[300];
		long pid;
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/children", de->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		listed = 1;
		while (fscanf(f, "%ld", &pid) == 1)
			if (pid > 0 && !kept((pid_t)pid, keep, nkeep)) {
				kill_child((pid_t)pid);
				killed++;
			}
		fclose(f);
	}
	closedir(d);
	return listed ? killed : -1;
}

int
rsw__kill_children(const pid_t *keep, uint32_t nkeep)
{
	pid_t self = getpid();
	struct dirent *de;
	int killed = kill_listed_children(keep, nkeep);
	DIR *d;

	if (killed >= 0)
		return killed;
	killed = 0;
	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		pid_t pid = (pid_t)strtol(de->d_name, NULL, 10), parent, group;

		if (pid <= 0 || kept(pid, keep, nkeep))
			continue;
		/* A zombie child has no readable parent here: waitpid below
		 * collects it (WNOHANG: it is not ours if it fails). */
		if (stat_of(pid, &parent, &group) != 0) {
			if (waitpid(pid, NULL, WNOHANG) == pid)
				killed++;
			continue;
		}
		if (parent != self)
			continue;
		kill_child(pid);
		killed++;
	}
	closedir(d);
	return killed;
}

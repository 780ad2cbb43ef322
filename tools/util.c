/*
 * tools/util.c - messages, strict number parsing and small listings for
 * the command line.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int g_silent;

void
rsw_cli_silence(int on)
{
	g_silent = on;
}

void
rsw_cli_errorf(const char *fmt, ...)
{
	va_list ap;

	if (g_silent)
		return;
	fputs("ringsweep: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
rsw_cli_warnf(const char *fmt, ...)
{
	va_list ap;

	if (g_silent)
		return;
	fputs("ringsweep: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
rsw_cli_parse_i64(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || errno == ERANGE || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int
rsw_cli_parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || errno == ERANGE || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* "512M", "2G", "1048576": bytes, at least 16 MiB (less cannot even hold
 * a worker). */
int
rsw_cli_parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v;
	uint64_t mult = 1;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !(v > 0))
		return -1;
	if (*end == 'K' || *end == 'k')
		mult = 1ull << 10;
	else if (*end == 'M' || *end == 'm')
		mult = 1ull << 20;
	else if (*end == 'G' || *end == 'g')
		mult = 1ull << 30;
	else if (*end != '\0')
		return -1;
	if (*end != '\0' && end[1] != '\0' && strcmp(end + 1, "iB") != 0 &&
	    strcmp(end + 1, "B") != 0)
		return -1;
	if (v * (double)mult < 16.0 * (1 << 20) || v * (double)mult > 1e18)
		return -1;
	*out = (uint64_t)(v * (double)mult);
	return 0;
}

void
rsw_cli_list_builtins(FILE *f)
{
	size_t n;
	const rsw_builtin_info *b = rsw_builtin_list(&n);

	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-10s %s\n", b[i].name, b[i].help);
	fprintf(f, "  %-10s %s\n", "PATH.so", "a plugin (include/ringsweep/objective.h)");
}

uint64_t
rsw_cli_proc_status_kb(long pid, const char *key)
{
	char path[64], line[256];
	size_t keylen = strlen(key);
	unsigned long long kb = 0;
	FILE *f;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	f = fopen(path, "r");
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, key, keylen) == 0 && line[keylen] == ':' &&
		    sscanf(line + keylen + 1, " %llu kB", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

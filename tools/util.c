/*
 * tools/util.c - messages and strict number parsing for the command line.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void
rsw_cli_errorf(const char *fmt, ...)
{
	va_list ap;

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

void
rsw_cli_csv_field(FILE *f, const char *text)
{
	/* RFC 4180: quote a field holding a comma, a quote or a line
	 * break, doubling its quotes; leave every other field bare. */
	if (strpbrk(text, ",\"\r\n") == NULL) {
		fputs(text, f);
		return;
	}
	fputc('"', f);
	for (const char *c = text; *c; c++) {
		if (*c == '"')
			fputc('"', f);
		fputc(*c, f);
	}
	fputc('"', f);
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

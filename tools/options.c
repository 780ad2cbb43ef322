/*
 * tools/options.c - the option-table engine (options.h): getopt_long
 * driven by the table, values checked against the table's ranges, and
 * messages and help written from the same numbers.
 */
#include "options.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_OPTS 96

/* "fail|skip" -> index of `value`, or -1. */
static int
word_index(const char *words, const char *value)
{
	size_t len = strlen(value);
	int i = 0;

	for (const char *w = words; *w; i++) {
		size_t wl = strcspn(w, "|");

		if (wl == len && strncmp(w, value, len) == 0)
			return i;
		w += wl + (w[wl] == '|');
	}
	return -1;
}

/* "fail or skip" / "auto, bar, lines or none". */
static void
word_list(const char *words, char *buf, size_t n)
{
	size_t len = 0;
	int count = 1, i = 0;

	for (const char *c = words; *c; c++)
		count += *c == '|';
	buf[0] = '\0';
	for (const char *w = words; *w && len < n; i++) {
		size_t wl = strcspn(w, "|");

		len += (size_t)snprintf(buf + len, n - len, "%s%.*s",
					i == 0 ? "" : i + 1 == count ? " or " : ", ",
					(int)wl, w);
		w += wl + (w[wl] == '|');
	}
}

/* The integer range in words, for messages and help. */
static void
int_range(const rsw_opt *o, char *buf, size_t n)
{
	if (o->hi == LLONG_MAX && o->lo == 1)
		snprintf(buf, n, "a positive integer");
	else if (o->hi == LLONG_MAX)
		snprintf(buf, n, "an integer of at least %lld", o->lo);
	else
		snprintf(buf, n, "an integer from %lld to %lld", o->lo, o->hi);
}

static int
set_value(const rsw_opt *o, void *args, const char *value)
{
	char *field = (char *)args + o->offset, what[96], flag[64];
	long long v;
	double d;
	int w;

	snprintf(flag, sizeof flag, "--%s", o->name);
	switch (o->kind) {
	case RSW_OPT_FLAG:
		*(int *)field = o->value;
		return 0;
	case RSW_OPT_INT:
		if (rsw_cli_parse_i64(value, o->lo, o->hi, &v) == 0) {
			*(long long *)field = v;
			return 0;
		}
		int_range(o, what, sizeof what);
		rsw_cli_errorf("%s needs %s, got '%s'", flag, what, value);
		return -1;
	case RSW_OPT_SECONDS:
		if (rsw_cli_parse_double(value, 0, (double)o->hi, &d) == 0 && d > 0) {
			*(double *)field = d;
			return 0;
		}
		rsw_cli_errorf("%s needs a positive number of seconds (at most "
			       "%lld), got '%s'", flag, o->hi, value);
		return -1;
	case RSW_OPT_REAL:
		if (rsw_cli_parse_double(value, o->rlo, o->rhi, &d) == 0) {
			*(double *)field = d;
			return 0;
		}
		rsw_cli_errorf("%s needs a number from %g to %g, got '%s'", flag,
			       o->rlo, o->rhi, value);
		return -1;
	case RSW_OPT_SIZE:
		if (rsw_cli_parse_size(value, (uint64_t *)field) == 0)
			return 0;
		rsw_cli_errorf("%s needs a size like 512M or 2G (at least 16M), "
			       "got '%s'", flag, value);
		return -1;
	case RSW_OPT_WORD:
		if ((w = word_index(o->words, value)) >= 0) {
			*(int *)field = w;
			return 0;
		}
		word_list(o->words, what, sizeof what);
		rsw_cli_errorf("%s must be %s, got '%s'", flag, what, value);
		return -1;
	case RSW_OPT_STRING:
		*(const char **)field = value;
		return 0;
	default: {
		char err[1024];

		if (o->call(args, value, err, sizeof err) == 0)
			return 0;
		rsw_cli_errorf("%s", err);
		return -1;
	}
	}
}

int
rsw_opt_parse(const char *command, const rsw_opt *opts, size_t n, int argc,
	      char **argv, void *args, unsigned *given)
{
	struct option longopts[MAX_OPTS + 1];
	char shorts[2 * MAX_OPTS + 2] = ":";
	size_t ns = 1;
	int c, index;

	if (n > MAX_OPTS)
		return -1;
	for (size_t i = 0; i < n; i++) {
		longopts[i].name = opts[i].name;
		longopts[i].has_arg = opts[i].kind == RSW_OPT_FLAG ? no_argument :
				      opts[i].optional_value ? optional_argument :
							       required_argument;
		longopts[i].flag = NULL;
		longopts[i].val = 256 + (int)i;
		if (opts[i].short_name != 0) {
			shorts[ns++] = opts[i].short_name;
			if (opts[i].kind != RSW_OPT_FLAG)
				shorts[ns++] = ':';
		}
		if (given != NULL)
			given[i] = 0;
	}
	memset(&longopts[n], 0, sizeof longopts[0]);
	shorts[ns] = '\0';
	opterr = 0;
	optind = 0; /* 0, not 1: glibc's getopt then starts afresh */
	while ((c = getopt_long(argc, argv, shorts, longopts, &index)) != -1) {
		size_t i = n;

		if (c == ':') {
			rsw_cli_errorf("option '%s' needs a value", argv[optind - 1]);
			return -1;
		}
		if (c >= 256)
			i = (size_t)(c - 256);
		for (size_t k = 0; i == n && k < n; k++)
			if (opts[k].short_name == c)
				i = k;
		if (i == n) {
			rsw_cli_errorf("unknown option '%s' (see ringsweep %s --help)",
				       argv[optind - 1], command);
			return -1;
		}
		/* getopt takes an optional value only after '=': a next word
		 * that is not an option is the value too. */
		if (opts[i].optional_value && optarg == NULL && optind < argc &&
		    argv[optind][0] != '-')
			optarg = argv[optind++];
		if (set_value(&opts[i], args, optarg) != 0)
			return -1;
		if (given != NULL)
			given[i]++;
	}
	if (optind < argc) {
		rsw_cli_errorf("unexpected argument '%s'", argv[optind]);
		return -1;
	}
	return 0;
}

int
rsw_opt_parse_or_help(const char *command, const char *about,
		      const rsw_opt *opts, size_t n, int argc, char **argv,
		      void *args, const int *help)
{
	if (rsw_opt_parse(command, opts, n, argc, argv, args, NULL) != 0)
		return RSW_EXIT_USAGE;
	if (!*help)
		return -1;
	printf("usage: ringsweep %s [OPTIONS]\n\n%s\n\noptions:\n", command, about);
	rsw_opt_help(stdout, opts, n);
	return RSW_EXIT_OK;
}

void
rsw_opt_help(FILE *f, const rsw_opt *opts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const rsw_opt *o = &opts[i];
		char left[64], range[96] = "";

		if (o->short_name != 0)
			snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name,
				 o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		if (o->kind == RSW_OPT_INT && o->hi != LLONG_MAX)
			snprintf(range, sizeof range, " [%lld..%lld]", o->lo, o->hi);
		fprintf(f, "  %-30s %s%s\n", left, o->help, range);
	}
}

void
rsw_opt_help_resume(FILE *f, const rsw_opt *opts, size_t n)
{
	fputs("\nWith --resume FILE only these may be given (they never change "
	      "what a\nsweep computes):", f);
	for (size_t i = 0, col = 80; i < n; i++) {
		if (opts[i].cls == RSW_OPT_SWEEP || opts[i].cls == RSW_OPT_BUDGET ||
		    opts[i].cls == RSW_OPT_RECORDED)
			continue;
		if (col + strlen(opts[i].name) + 4 > 76) {
			fputs("\n ", f);
			col = 1;
		}
		col += (size_t)fprintf(f, " --%s", opts[i].name);
	}
	fputs("\nand, to extend a finished or interrupted sweep, a larger budget:", f);
	for (size_t i = 0; i < n; i++)
		if (opts[i].cls == RSW_OPT_BUDGET)
			fprintf(f, " --%s", opts[i].name);
	fputs("\nand, not needed (the file holds them) but accepted when the same "
	      "as\nrecorded:", f);
	for (size_t i = 0; i < n; i++)
		if (opts[i].cls == RSW_OPT_RECORDED)
			fprintf(f, " --%s", opts[i].name);
	fputc('\n', f);
}

/*
 * tools/options.h - command-line options as data (curl's tool_getparam.c
 * is the model): one table entry per option carries its name, argument
 * kind, range, the field it sets and its class; parsing, validation
 * messages, help and the --resume rules are all generated from it, so
 * they cannot drift apart.
 */
#ifndef RSW_TOOLS_OPTIONS_H
#define RSW_TOOLS_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum rsw_opt_kind {
	RSW_OPT_FLAG,	/* no value; stores `value` in an int */
	RSW_OPT_INT,	/* long long in [lo, hi] */
	RSW_OPT_SECONDS, /* double in (0, hi] */
	RSW_OPT_REAL,	/* double in [lo, hi] (a fraction, seconds, ...) */
	RSW_OPT_SIZE,	/* uint64_t bytes: 512M, 2G, ... (>= 16 MiB) */
	RSW_OPT_WORD,	/* one of `words` ("a|b|c"): its index, in an int */
	RSW_OPT_STRING, /* const char *, as given */
	RSW_OPT_CALL,	/* call(args, value, err): the option's own parser */
};

enum rsw_opt_class {
	RSW_OPT_SWEEP,	 /* defines the sweep: refused with --resume */
	RSW_OPT_EXEC,	 /* how it runs, never what it computes: may change */
	RSW_OPT_DISPLAY, /* what the command prints */
	RSW_OPT_BUDGET,	 /* defines the sweep, but --resume may raise it */
	RSW_OPT_RECORDED, /* defines the sweep; --resume takes it again only
			     as recorded (the library compares) */
};

typedef struct rsw_opt {
	const char *name;	/* long name, without "--" */
	char short_name;	/* 0: none */
	int kind;		/* enum rsw_opt_kind */
	int cls;		/* enum rsw_opt_class */
	const char *arg;	/* the value's name in the help ("N", "SEC") */
	size_t offset;		/* of the field it sets in the args struct */
	long long lo, hi;	/* RSW_OPT_INT range; RSW_OPT_SECONDS: hi */
	double rlo, rhi;	/* RSW_OPT_REAL range */
	const char *words;	/* RSW_OPT_WORD */
	int value;		/* RSW_OPT_FLAG */
	int (*call)(void *args, const char *value, char *err, size_t errlen);
	uint32_t algo_option;	/* the rsw_algo_option it sets, if any */
	int needs_workers;	/* means nothing with --serial (warned) */
	int optional_value;	/* RSW_OPT_CALL: the value may be left out
				   (--opt, --opt=V, or --opt V when V does
				   not start with '-'); call gets NULL */
	const char *help;
} rsw_opt;

/*
 * Parses argv (argv[0] is the subcommand, `command` its full name for
 * messages: "run", "bench ipc") into args; given[i] (given may be NULL)
 * counts how often option i appeared.  Errors are printed (one line naming the option and
 * the bad value); returns 0 or -1.
 */
int rsw_opt_parse(const char *command, const rsw_opt *opts, size_t n,
		  int argc, char **argv, void *args, unsigned *given);

/*
 * A subcommand's whole command line: parses it, and with --help prints
 * "usage: ringsweep COMMAND [OPTIONS]", `about` and the option list.
 * Returns -1 to go on, or the exit code to end with (0 after the help,
 * 2 after an error).  *help is the field --help sets.
 */
int rsw_opt_parse_or_help(const char *command, const char *about,
			  const rsw_opt *opts, size_t n, int argc, char **argv,
			  void *args, const int *help);

/* One help line per option, with its range. */
void rsw_opt_help(FILE *f, const rsw_opt *opts, size_t n);

/* The --resume rule, from the classes: which options may be given with
 * it (run's help ends with this). */
void rsw_opt_help_resume(FILE *f, const rsw_opt *opts, size_t n);


#endif

/* test_baseline.c - the names `run --baseline` and `baseline --to` take (a migration's name,
 * file or key as the format compares keys; an unknown one refused naming the closest), and
 * the options' parsing (--to and --force belong to the baseline command). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"
#include "cli.h"
#include "err.h"
#include "exitcode.h"
#include "format.h"
#include "migration.h"
#include "unit.h"

struct find_case {
	const char *name; /* what the user gives */
	int rc;
	int idx;             /* on EXIT_DONE */
	const char *message; /* on an error: a substring of msg or detail */
};

/* clang-format off */
static const struct find_case find_cases[] = {
	{"0002_m2", EXIT_DONE, 1, NULL},
	{"0002_m2.sql", EXIT_DONE, 1, NULL},
	{"2", EXIT_DONE, 1, NULL},             /* plain compares versions as numbers */
	{"0002", EXIT_DONE, 1, NULL},
	{"3", EXIT_DONE, 2, NULL},
	{"0010_m10", EXIT_DONE, 3, NULL},
	{"m2", EXIT_USAGE, 0, "Closest: \"0002_m2\""},      /* a part of a name is not a name */
	{"0002_m9", EXIT_USAGE, 0, "Closest: \"0002_m2\""}, /* its key is a prefix */
	{"0004", EXIT_USAGE, 0, "names no migration"},
	{"nope", EXIT_USAGE, 0, "\"0010_m10\""}, /* nothing close: the newest */
};
/* clang-format on */

static bool write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	bool ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

static void find_tests(void)
{
	char dir[] = "/tmp/dbready-unit-baseline.XXXXXX";
	if (!mkdtemp(dir))
		return;
	bool built = write_file(dir, "0001_m1.sql", "SELECT 1;\n") &&
	             write_file(dir, "0002_m2.sql", "SELECT 2;\n") &&
	             write_file(dir, "0003_m3.sql", "SELECT 3;\n") &&
	             write_file(dir, "0010_m10.sql", "SELECT 10;\n");
	struct migset set;
	memset(&set, 0, sizeof set);
	struct err e;
	memset(&e, 0, sizeof e);
	int loaded = built ? format_load(dir, format_find("plain"), &set, &e) : -1;
	for (size_t i = 0; i < sizeof find_cases / sizeof *find_cases; i++) {
		const struct find_case *c = &find_cases[i];
		if (!unit_begin("baseline/find \"%s\"", c->name))
			continue;
		EXPECT(loaded == EXIT_DONE && set.n == 4, "the folder did not load: %s", e.msg);
		if (loaded == EXIT_DONE) {
			struct err fe;
			memset(&fe, 0, sizeof fe);
			int idx = -1;
			int rc = baseline_find(&set, c->name, "--baseline", &idx, &fe);
			EXPECT_INT(rc, c->rc);
			if (c->rc == EXIT_DONE) {
				EXPECT_INT(idx, c->idx);
			} else {
				char both[sizeof fe.msg + sizeof fe.detail + 2];
				snprintf(both, sizeof both, "%s\n%s", fe.msg, fe.detail);
				EXPECT_CONTAINS(both, c->message);
				EXPECT_CONTAINS(fe.msg, "--baseline");
			}
		}
		unit_end();
	}
	if (loaded == EXIT_DONE)
		migset_free(&set);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

struct opt_case {
	const char *name;
	const char *env;
	const char *args;
	int rc;
	const char *want; /* EXIT_DONE: "cmd|baseline|to|force"; else a substring of err */
};

/* clang-format off */
static const struct opt_case opt_cases[] = {
	{"baseline_to", NULL, "baseline --to 0002_m2", EXIT_DONE, "baseline|(null)|0002_m2|0"},
	{"baseline_to_eq_force", NULL, "baseline --to=2 --force", EXIT_DONE,
	 "baseline|(null)|2|1"},
	{"run_baseline_flag", NULL, "run --baseline=0001_init", EXIT_DONE, "run|0001_init|(null)|0"},
	{"run_baseline_env", "DBREADY_BASELINE=0001_init", "run", EXIT_DONE,
	 "run|0001_init|(null)|0"},
	{"flag_beats_env", "DBREADY_BASELINE=a", "run --baseline b", EXIT_DONE, "run|b|(null)|0"},
	{"baseline_needs_to", NULL, "baseline", EXIT_USAGE, "needs --to NAME"},
	{"to_without_baseline", NULL, "run --to x", EXIT_USAGE, "belongs to the baseline command"},
	{"force_without_baseline", NULL, "status --force", EXIT_USAGE,
	 "\"--force\" belongs to the baseline command"},
	{"empty_baseline", NULL, "run --baseline=", EXIT_USAGE, "--baseline"},
	{"force_not_bool", NULL, "baseline --to x --force=maybe", EXIT_USAGE, "invalid boolean"},
};
/* clang-format on */

static void opt_tests(void)
{
	for (size_t i = 0; i < sizeof opt_cases / sizeof *opt_cases; i++) {
		const struct opt_case *c = &opt_cases[i];
		if (!unit_begin("baseline/options %s", c->name))
			continue;
		unit_env_set(c->env);
		char buf[512], *argv[16], err[1024] = "";
		int argc = unit_split_args(c->args, buf, sizeof buf, argv, 16);
		struct config cfg;
		int rc = cli_parse(argc, argv, &cfg, err, sizeof err);
		EXPECT(rc == c->rc, "rc = %d, want %d (err: %s)", rc, c->rc, err);
		if (rc == EXIT_DONE && c->rc == EXIT_DONE) {
			char got[512];
			snprintf(got, sizeof got, "%s|%s|%s|%d", cli_command_name(cfg.cmd),
			         cfg.baseline ? cfg.baseline : "(null)",
			         cfg.baseline_to ? cfg.baseline_to : "(null)", cfg.force);
			EXPECT_STR(got, c->want);
		} else if (c->rc != EXIT_DONE) {
			EXPECT_CONTAINS(err, c->want);
		}
		unit_end();
	}
}

void suite_baseline(void)
{
	find_tests();
	opt_tests();
}

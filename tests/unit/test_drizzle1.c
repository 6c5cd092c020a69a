/* test_drizzle1.c - drizzle-1's upgrade of a drizzle-orm 0.x history table, as drizzle-orm
 * 1.0.0-rc.5's up-migrations/pg.js (upToV1) matches rows to folders: the one folder of the
 * row's created_at second, the hash between several (none: unmatched), else the last folder
 * with the row's hash; the second as node computes it from the bigint's text; the refusal of
 * an unmatched row; the statements and their array parameters. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "format.h"
#include "migration.h"
#include "unit.h"

struct upgrade_case {
	const char *name;
	/* the folders: "name when hash" separated by '|' (when in ms, as format_to_millis) */
	const char *folders;
	/* the table's rows: "id hash created_at" separated by '|'; "~" is NULL */
	const char *rows;
	int want_rc;
	/* rc 0: "id=name" per row, space-separated; else a text the error's detail holds */
	const char *want;
};

/* clang-format off */
static const struct upgrade_case cases[] = {
	{"one folder in the row's second: matched whatever the hash",
	 "20250101000000_a 1735689600000 h1|20250101000001_b 1735689601000 h2",
	 "1 edited 1735689600123|2 h2 1735689601999", 0, "1=20250101000000_a 2=20250101000001_b"},
	{"several folders in one second: the hash decides",
	 "20250101000000_a 1735689600000 h1|20250101000000_b 1735689600000 h2",
	 "1 h2 1735689600500|2 h1 1735689600000", 0, "1=20250101000000_b 2=20250101000000_a"},
	{"several in one second and no hash among them: unmatched (not by hash elsewhere)",
	 "20250101000000_a 1735689600000 h1|20250101000000_b 1735689600000 h2|20250102000000_c "
	 "1735776000000 h3",
	 "7 h3 1735689600000", 6, "id 7 (created_at 1735689600000, hash h3)"},
	{"no folder in the second: the last folder with the hash (by millis, then name)",
	 "20250101000000_a 1735689600000 same|20250103000000_c 1735862400000 same|20250102000000_b "
	 "1735776000000 other",
	 "1 same 42000", 0, "1=20250103000000_c"},
	{"created_at NULL: by the hash", "20250101000000_a 1735689600000 h1", "1 h1 ~", 0,
	 "1=20250101000000_a"},
	{"created_at NULL and no hash: unmatched", "20250101000000_a 1735689600000 h1", "3 hx ~", 6,
	 "id 3 (created_at NULL, hash hx)"},
	{"created_at of three digits or fewer is second 0", "19700101000000_zero 0 h0",
	 "1 x 999|2 y 5", 0, "1=19700101000000_zero 2=19700101000000_zero"},
	{"a negative created_at is cut as text (-1234 -> -1000, -123 -> -0)",
	 "19691231235959_neg -1000 hn|19700101000000_zero 0 h0", "1 x -1234|2 y -123", 0,
	 "1=19691231235959_neg 2=19700101000000_zero"},
	{"a created_at of 20 digits is beyond every folder: by the hash",
	 "20250101000000_a 1735689600000 h1", "1 h1 17356896000001234567", 0,
	 "1=20250101000000_a"},
	{"two rows may take one folder", "20250101000000_a 1735689600000 h1",
	 "1 h1 1735689600000|2 h1 1735689600001", 0, "1=20250101000000_a 2=20250101000000_a"},
	{"every unmatched row is named", "20250101000000_a 1735689600000 h1",
	 "1 h1 1735689600000|2 zz 5000|3 yy 6000", 6, "id 2 (created_at 5000, hash zz); id 3 "
	 "(created_at 6000, hash yy)"},
	{"an empty table: the columns only", "20250101000000_a 1735689600000 h1", "", 0, ""},
};
/* clang-format on */

/* split s on sep into at most max tokens (in buf); returns their number */
static int split(const char *s, char sep, char *buf, size_t cap, char **tok, int max)
{
	snprintf(buf, cap, "%s", s);
	int n = 0;
	char *p = buf;
	while (*p && n < max) {
		tok[n++] = p;
		char *q = strchr(p, sep);
		if (!q)
			break;
		*q = '\0';
		p = q + 1;
	}
	return n;
}

static void run_case(const void *arg)
{
	const struct upgrade_case *c = arg;
	const struct format *f = format_find("drizzle-1");
	EXPECT(f && f->upgrade && f->upgrade->build, "no drizzle-1 upgrade");
	if (!f || !f->upgrade)
		return;
	struct migset set = {.format = f};
	set.dir = strdup("/m");
	char fbuf[1024], *ftok[16];
	int nf = split(c->folders, '|', fbuf, sizeof fbuf, ftok, 16);
	for (int i = 0; i < nf; i++) {
		char name[129], hash[65];
		long long when;
		if (sscanf(ftok[i], "%128s %lld %64s", name, &when, hash) != 3)
			abort();
		struct migration *m = migset_add(&set);
		m->name = strdup(name);
		m->when = when;
		snprintf(m->key, sizeof m->key, "%s", name);
		snprintf(m->hash, sizeof m->hash, "%s", hash);
	}
	char rbuf[1024], *rtok[16];
	int nr = *c->rows ? split(c->rows, '|', rbuf, sizeof rbuf, rtok, 16) : 0;
	const char *v[48];
	char cells[16][3][64];
	for (int r = 0; r < nr; r++) {
		if (sscanf(rtok[r], "%63s %63s %63s", cells[r][0], cells[r][1], cells[r][2]) != 3)
			abort();
		for (int k = 0; k < 3; k++)
			v[r * 3 + k] = strcmp(cells[r][k], "~") == 0 ? NULL : cells[r][k];
	}
	struct fupgrade_rows rows = {nr, 3, v};
	struct fupgrade up;
	memset(&up, 0, sizeof up);
	struct err e;
	memset(&e, 0, sizeof e);
	int rc = f->upgrade->build("\"drizzle\".\"__drizzle_migrations\"", &rows, &set, &up, &e);
	EXPECT_INT(rc, c->want_rc);
	if (rc == 0) {
		char got[512] = "";
		for (int i = 0; i < up.nchanges; i++) {
			size_t n = strlen(got);
			snprintf(got + n, sizeof got - n, "%s%s=%s", i ? " " : "",
			         up.changes[i].id, up.changes[i].key);
		}
		EXPECT_STR(got, c->want);
		EXPECT_INT(up.sql.n, nr ? 3 : 2);
		EXPECT_CONTAINS(up.sql.s[0].text, "ADD COLUMN IF NOT EXISTS \"name\" text");
		EXPECT_CONTAINS(up.sql.s[1].text,
		                "ADD COLUMN IF NOT EXISTS \"applied_at\" timestamp "
		                "with time zone DEFAULT now()");
		if (nr) {
			EXPECT_CONTAINS(up.sql.s[2].text, "\"applied_at\" = NULL");
			EXPECT_INT(up.sql.s[2].nparams, 2);
			/* the rows' hashes stay: the plan reads (name, hash) once upgraded */
			EXPECT_STR(up.changes[0].hash, v[1] ? v[1] : "");
		}
	} else {
		EXPECT_INT(up.sql.n, 0);
		EXPECT_CONTAINS(e.detail, c->want);
		EXPECT_CONTAINS(e.msg, "match");
		EXPECT_CONTAINS(e.hint, "Nothing was changed");
	}
	fupgrade_free(&up);
	migset_free(&set);
}

static void array_tests(void)
{
	const struct format *f = format_find("drizzle-1");
	if (unit_begin("drizzle-1/upgrade: ids and names go in array parameters, escaped")) {
		struct migset set = {.format = f};
		struct migration *m = migset_add(&set);
		m->name = strdup("20250101000000_a \"q\" \\b,{c}");
		m->when = 1735689600000;
		snprintf(m->hash, sizeof m->hash, "h");
		const char *v[6] = {"1", "h", "1735689600000", "22", "h", NULL};
		struct fupgrade_rows rows = {2, 3, v};
		struct fupgrade up;
		memset(&up, 0, sizeof up);
		struct err e;
		memset(&e, 0, sizeof e);
		EXPECT_INT(f->upgrade->build("\"s\".\"t\"", &rows, &set, &up, &e), 0);
		if (up.sql.n == 3) {
			EXPECT_STR(up.sql.s[2].params[0], "{\"1\",\"22\"}");
			EXPECT_STR(up.sql.s[2].params[1],
			           "{\"20250101000000_a \\\"q\\\" \\\\b,{c}\","
			           "\"20250101000000_a \\\"q\\\" \\\\b,{c}\"}");
			EXPECT_CONTAINS(up.sql.s[2].text, "UPDATE \"s\".\"t\" AS t SET");
			EXPECT_CONTAINS(up.sql.s[2].text, "unnest($1::bigint[], $2::text[])");
		}
		EXPECT_CONTAINS(up.nchanges == 2 ? up.changes[1].says : "",
		                "matched by the hash: created_at NULL");
		fupgrade_free(&up);
		migset_free(&set);
		unit_end();
	}
	if (unit_begin("drizzle-1/upgrade: detect and read as drizzle-orm 1.x")) {
		EXPECT_CONTAINS(f->upgrade->detect_sql, "a.attname = 'name'");
		EXPECT_STR(f->upgrade->rows_sql,
		           "SELECT id, hash, created_at FROM %s ORDER BY id ASC");
		unit_end();
	}
}

void suite_drizzle1(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (unit_begin("drizzle-1/upgrade: %s", cases[i].name)) {
			unit_isolated(run_case, &cases[i]);
			unit_end();
		}
	array_tests();
}

/* test_flyway.c - Flyway's checksum, lock number and version order (format_flyway*.c) against
 * values computed independently of src/.
 *
 * Source of the rules: github.com/flyway/flyway, commit
 * c5e20fc77341d4117e7a291214e23f89c1371516:
 *   flyway-core/src/main/java/org/flywaydb/core/internal/resolver/ChecksumCalculator.java:
 *     a CRC32 updated with line.getBytes(UTF_8) for each BufferedReader.readLine() line,
 *     BomFilter.FilterBomFromString() on the first; (int) crc32.getValue()
 *   flyway-database/flyway-database-postgresql/src/main/java/org/flywaydb/database/
 *     postgresql/PostgreSQLAdvisoryLockTemplate.java: LOCK_MAGIC_NUM = 0x466C79776179,
 *     lockNum = LOCK_MAGIC_NUM + discriminator; PostgreSQLConnection.java lock():
 *     discriminator = table.toString().hashCode(); flyway-core .../database/base/
 *     SchemaObject.java toString() = database.quote(schema, name) = "schema"."table"
 *   flyway-core/src/main/java/org/flywaydb/core/api/MigrationVersion.java: "_" read as ".",
 *     parts compared as BigIntegers, missing parts as 0
 *
 * The checksums of tests/fixtures/flyway-checksum/ are python3's, computed as Flyway reads
 * the files (text = bytes.decode('utf-8'); lines = re.split(r'\r\n|\r|\n', text) without the
 * empty string after a final line end; the first line without a leading U+FEFF;
 * crc = zlib.crc32(line.encode('utf-8'), crc) line after line; signed 32-bit):
 *   V1__lf.sql -279898995            V2__crlf.sql 914031549
 *   V3__bom.sql -2102380136          V4__non_ascii.sql -1874310321
 *   V5__no_final_newline.sql 408157322  V6__mixed_endings.sql -1402362693
 *   V7__empty.sql 0
 * The lock numbers are python3's Java String.hashCode (h = 31*h + c over the UTF-16 code
 * units, mod 2^32, signed) plus 0x466C79776179:
 *   "public"."flyway_schema_history" -> 77433833903597 (formats.md gives the same)
 *   "ops"."my_history"               -> 77429916882164
 *   "sch""ema"."t"                   -> 77431290725338
 *   "café"."😀"                      -> 77432611851909 */
#define _POSIX_C_SOURCE 200809L
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dialect.h"
#include "format.h"
#include "format_flyway.h"
#include "history.h"
#include "migration.h"
#include "plan.h"
#include "unit.h"

static char fixtures[4096];

static bool find_fixtures(void)
{
	static const char rel[] = "tests/fixtures/flyway-checksum";
	if (access(rel, R_OK) == 0) {
		snprintf(fixtures, sizeof fixtures, "%s", rel);
		return true;
	}
	char exe[2048];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0 || (size_t)n >= sizeof exe - 1)
		return false;
	exe[n] = '\0';
	snprintf(fixtures, sizeof fixtures, "%s/../%s", dirname(exe), rel);
	return access(fixtures, R_OK) == 0;
}

static const struct {
	const char *file;
	int32_t want;
} sums[] = {
        {"V1__lf.sql", -279898995},
        {"V2__crlf.sql", 914031549},
        {"V3__bom.sql", -2102380136},
        {"V4__non_ascii.sql", -1874310321},
        {"V5__no_final_newline.sql", 408157322},
        {"V6__mixed_endings.sql", -1402362693},
        {"V7__empty.sql", 0},
};

static void checksum_tests(void)
{
	bool found = find_fixtures();
	for (size_t i = 0; i < sizeof sums / sizeof *sums; i++) {
		if (!unit_begin("flyway/checksum %s", sums[i].file))
			continue;
		EXPECT(found, "tests/fixtures/flyway-checksum not found");
		char path[8192];
		snprintf(path, sizeof path, "%s/%s", fixtures, sums[i].file);
		FILE *f = found ? fopen(path, "rb") : NULL;
		char buf[4096];
		size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
		if (f)
			fclose(f);
		EXPECT(f != NULL, "cannot read %s", path);
		int32_t got = 12345;
		EXPECT(flyway_checksum(buf, n, &got), "out of memory");
		EXPECT_INT(got, sums[i].want);
		unit_end();
	}
	/* the whole folder through the loader: m->hash is the decimal checksum, the order is
	 * Flyway's */
	if (unit_begin("flyway/checksum through format_load")) {
		const struct format *fmt = format_find("flyway");
		EXPECT(fmt != NULL, "no flyway format");
		struct migset set;
		memset(&set, 0, sizeof set);
		struct err e;
		memset(&e, 0, sizeof e);
		if (fmt && found) {
			EXPECT_INT(format_load(fixtures, fmt, &set, &e), 0);
			EXPECT_INT(set.n, 7);
			for (int i = 0; i < set.n && i < 7; i++) {
				char want[16];
				snprintf(want, sizeof want, "%d", (int)sums[i].want);
				EXPECT_STR(set.m[i].file, sums[i].file);
				EXPECT_STR(set.m[i].hash, want);
			}
			if (set.n >= 4)
				EXPECT_STR(set.m[3].name, "non ascii");
			migset_free(&set);
		}
		unit_end();
	}
}

static void lock_tests(void)
{
	static const struct {
		const char *schema, *table;
		long long want;
	} c[] = {
	        {"public", "flyway_schema_history", 77433833903597LL},
	        {"ops", "my_history", 77429916882164LL},
	        {"sch\"ema", "t", 77431290725338LL},
	        {"caf\xC3\xA9", "\xF0\x9F\x98\x80", 77432611851909LL},
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		if (!unit_begin("flyway/lock %s.%s", c[i].schema, c[i].table))
			continue;
		EXPECT_INT(flyway_lock_number(c[i].schema, c[i].table), c[i].want);
		const struct format *f = format_find("flyway");
		struct lock_names names = {"db", c[i].schema, c[i].table};
		long long key = 0;
		EXPECT(f && f->tool_lock && f->tool_lock(&names, &key), "no tool_lock");
		EXPECT_INT(key, c[i].want);
		unit_end();
	}
	if (unit_begin("flyway/java hashCode")) {
		/* "hello".hashCode() == 99162322, "".hashCode() == 0 (Java's documentation) */
		EXPECT_INT(flyway_java_hash("hello"), 99162322);
		EXPECT_INT(flyway_java_hash(""), 0);
		unit_end();
	}
}

static void version_tests(void)
{
	static const struct {
		const char *a, *b;
		int want;
	} c[] = {
	        {"1.10", "1.9", 1},
	        {"1.9", "1.10", -1},
	        {"2", "1.10", 1},
	        {"1.0", "1", 0},
	        {"1_1", "1.1", 0},
	        {"01.2", "1.2", 0},
	        {"1.2.3", "1.2", 1},
	        {"10", "9", 1},
	        {"20240101120000", "3", 1},
	        /* trailing zero parts are insignificant (getOrZero), parts are BigIntegers of
	         * any length */
	        {"1.0.0", "1", 0},
	        {"1.10.0", "1.10", 0},
	        {"1.0.1", "1", 1},
	        {"2.0", "1.10", 1},
	        {"1.9.9", "1.10", -1},
	        {"123456789012345678901234567890", "123456789012345678901234567889", 1},
	        {"1.00000000000000000000000000000000000001", "1.1", 0},
	};
	if (unit_begin("flyway/version order")) {
		for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
			int got = flyway_version_cmp(c[i].a, c[i].b);
			EXPECT(got == c[i].want, "cmp(%s, %s) = %d, want %d", c[i].a, c[i].b, got,
			       c[i].want);
		}
		unit_end();
	}
	static const struct {
		const char *v;
		bool ok;
	} valid[] = {{"1", true},    {"1.2", true}, {"1_10", true},  {"1.2.3_4", true},
	             {"", false},    {"1.", false}, {"1..2", false}, {"a", false},
	             {"1.x", false}, {".1", false}, {"1__2", false}};
	if (unit_begin("flyway/version validity")) {
		for (size_t i = 0; i < sizeof valid / sizeof *valid; i++)
			EXPECT(flyway_version_valid(valid[i].v, strlen(valid[i].v)) == valid[i].ok,
			       "valid(\"%s\") != %d", valid[i].v, valid[i].ok);
		unit_end();
	}
}

/* The plan orders history rows by the format's key_cmp: with 1 and 1.10 applied, V2 is
 * pending (MigrationVersion: 2 > 1.10), V1.9 is out of order; a numeric comparison of the
 * text would take "1.10" for the newest and call V2 out of order. */
static void plan_order_tests(void)
{
	if (!unit_begin("flyway/key_cmp is MigrationVersion.compareTo"))
		return;
	const struct format *f = format_find("flyway");
	EXPECT(f && f->key_cmp, "flyway has no key_cmp");
	if (f && f->key_cmp) {
		EXPECT(f->key_cmp("2", "1.10") > 0, "2 <= 1.10");
		EXPECT(f->key_cmp("1.10", "1.9") > 0, "1.10 <= 1.9");
		EXPECT(f->key_cmp("1.0", "1") == 0, "1.0 != 1");
	}
	unit_end();
	if (!unit_begin("flyway/plan: 2 is newer than 1.10, 1.9 is older"))
		return;
	struct hrow rows[2] = {{.key = "1", .hash = "11"}, {.key = "1.10", .hash = "110"}};
	struct history h;
	memset(&h, 0, sizeof h);
	h.format = f;
	h.rows = rows;
	h.n = 2;
	struct migration m[4];
	memset(m, 0, sizeof m);
	const char *keys[4] = {"1.0", "1.9", "1.10", "2"}, *hashes[4] = {"11", "19", "110", "2"};
	for (int i = 0; i < 4; i++) {
		snprintf(m[i].key, sizeof m[i].key, "%s", keys[i]);
		snprintf(m[i].hash, sizeof m[i].hash, "%s", hashes[i]);
		m[i].name = m[i].file = (char *)keys[i];
	}
	struct migset set = {.format = f, .m = m, .n = 4};
	struct plan p;
	EXPECT(f && plan_build(&set, &h, &p), "plan_build failed");
	EXPECT_STR(plan_state_name(m[0].state), "applied"); /* 1.0 is 1 */
	EXPECT_STR(plan_state_name(m[1].state), "out-of-order");
	EXPECT_STR(plan_state_name(m[2].state), "applied");
	EXPECT_STR(plan_state_name(m[3].state), "pending");
	EXPECT_INT(p.pending, 1);
	EXPECT_INT(p.out_of_order, 1);
	plan_free(&p);
	unit_end();
}

/* The history check's keys: a versioned migration by its version, a repeatable one by its
 * checksum and description (format_flyway.c guard_sql compares "<checksum> <description>"
 * with the newest row of that description) */
static void guard_key_tests(void)
{
	if (!unit_begin("flyway/guard keys: \"<checksum> <description>\" for a repeatable"))
		return;
	struct migration v, r;
	memset(&v, 0, sizeof v);
	memset(&r, 0, sizeof r);
	snprintf(v.key, sizeof v.key, "1.2");
	snprintf(r.key, sizeof r.key, "R__my_view");
	snprintf(r.hash, sizeof r.hash, "-12345");
	r.name = "my \"view\"";
	r.repeatable = true;
	struct migration *ms[2] = {&v, &r};
	char *a = history_keys_array(ms, 2);
	EXPECT(a != NULL, "out of memory");
	if (a)
		EXPECT_STR(a, "{\"1.2\",\"-12345 my \\\"view\\\"\"}");
	free(a);
	unit_end();
}

/* Flyway's configuration through the generic dialect (format_flyway.c's settings):
 * FLYWAY_DEFAULT_SCHEMA beats FLYWAY_SCHEMAS' first (Flyway: defaultSchema, else schemas[0]);
 * pgjdbc's currentSchema is the session's search_path; FLYWAY_LOCATIONS names the folder */
static void dialect_tests(void)
{
	const struct format *f = format_find("flyway");
	if (unit_begin("flyway/dialect: FLYWAY_SCHEMAS' first, FLYWAY_DEFAULT_SCHEMA first")) {
		struct dialect d;
		memset(&d, 0, sizeof d);
		char spec[512], why[256];
		setenv("FLYWAY_SCHEMAS", " sales , other", 1);
		EXPECT(dialect_history_table(f, &d, spec, sizeof spec, why, sizeof why), "none");
		EXPECT_STR(spec, "\"sales\".\"flyway_schema_history\"");
		setenv("FLYWAY_DEFAULT_SCHEMA", "ops", 1);
		EXPECT(dialect_history_table(f, &d, spec, sizeof spec, why, sizeof why), "none");
		EXPECT_STR(spec, "\"ops\".\"flyway_schema_history\"");
		unsetenv("FLYWAY_SCHEMAS");
		unsetenv("FLYWAY_DEFAULT_SCHEMA");
		unit_end();
	}
	if (unit_begin("flyway/dialect: currentSchema is the search_path")) {
		struct dialect d;
		memset(&d, 0, sizeof d);
		char *out = NULL, why[256], spec[512], from[256];
		EXPECT_INT(dialect_take("jdbc:postgresql://h/db?currentSchema=cur,public&x=1", f,
		                        &out, &d, why, sizeof why),
		           0);
		EXPECT_STR(out ? out : "(null)", "postgresql://h/db?x=1");
		EXPECT_STR(d.search_path ? d.search_path : "(null)", "cur,public");
		EXPECT(dialect_history_table(f, &d, spec, sizeof spec, from, sizeof from), "none");
		EXPECT_STR(spec, "\"cur\".\"flyway_schema_history\"");
		free(out);
		dialect_free(&d);
		unit_end();
	}
	static const struct {
		const char *v;
		int rc;
		const char *dir_or_why;
	} loc[] = {
	        {"filesystem:/flyway/sql", 1, "/flyway/sql"},
	        {" FILESYSTEM:db/migration ", 1, "db/migration"},
	        {"classpath:db/migration", -1, "is not a filesystem: location"},
	        {"db/migration", -1, "a location without a prefix is a classpath: one"},
	        {"filesystem:a,filesystem:b", -1, "names more than one location"},
	        {"filesystem:sql/*", -1, "has a wildcard"},
	};
	for (size_t i = 0; i < sizeof loc / sizeof *loc; i++) {
		if (!unit_begin("flyway/dialect: FLYWAY_LOCATIONS=%s", loc[i].v))
			continue;
		setenv("FLYWAY_LOCATIONS", loc[i].v, 1);
		const char *dir = NULL, *name = NULL;
		char why[512] = "";
		int rc = dialect_dir(&dir, &name, why, sizeof why);
		EXPECT_INT(rc, loc[i].rc);
		if (rc == 1)
			EXPECT_STR(dir, loc[i].dir_or_why);
		else
			EXPECT(strstr(why, loc[i].dir_or_why) != NULL, "why: %s", why);
		unsetenv("FLYWAY_LOCATIONS");
		unit_end();
	}
}

/* Baseline on migrate: the migrations at or below the baseline are "baselined" (neither
 * pending nor out of order), the newer ones pending; a baseline row is no unknown row */
static void baseline_plan_tests(void)
{
	const struct format *f = format_find("flyway");
	struct migration m[4];
	memset(m, 0, sizeof m);
	const char *keys[4] = {"1", "1.5", "2", "3"};
	for (int i = 0; i < 4; i++) {
		snprintf(m[i].key, sizeof m[i].key, "%s", keys[i]);
		snprintf(m[i].hash, sizeof m[i].hash, "%d", i);
		m[i].name = m[i].file = (char *)keys[i];
	}
	struct migset set = {.format = f, .m = m, .n = 4};
	if (unit_begin("flyway/plan: baseline on migrate at 2, table absent, schema not empty")) {
		struct history h;
		memset(&h, 0, sizeof h);
		h.format = f;
		h.schema_objects = 2;
		h.baseline_key = "2";
		struct plan p;
		EXPECT(history_baselining(&h), "not baselining");
		EXPECT(plan_build(&set, &h, &p), "plan_build failed");
		EXPECT_STR(plan_state_name(m[0].state), "baselined");
		EXPECT_STR(plan_state_name(m[1].state), "baselined");
		EXPECT_STR(plan_state_name(m[2].state), "baselined");
		EXPECT_STR(plan_state_name(m[3].state), "pending");
		EXPECT(p.baseline_upto == &m[2], "baseline_upto is not V2");
		struct err e;
		memset(&e, 0, sizeof e);
		EXPECT_INT(plan_check(&set, &p, false, &e), 0); /* not refused: baselined */
		h.baseline_key = NULL;                          /* without it: refused */
		plan_free(&p);
		EXPECT(plan_build(&set, &h, &p), "plan_build failed");
		EXPECT_INT(plan_check(&set, &p, false, &e), 6);
		EXPECT_STR(e.event, "schema_not_empty");
		plan_free(&p);
		unit_end();
	}
	if (unit_begin("flyway/plan: a BASELINE row at 1.5 and V2 applied")) {
		struct hrow rows[2] = {{.key = "1.5", .hash = "", .baseline = true},
		                       {.key = "2", .hash = "2"}};
		struct history h;
		memset(&h, 0, sizeof h);
		h.format = f;
		h.exists = true;
		h.rows = rows;
		h.n = 2;
		struct plan p;
		EXPECT(plan_build(&set, &h, &p), "plan_build failed");
		EXPECT_STR(plan_state_name(m[0].state), "baselined");
		EXPECT_STR(plan_state_name(m[1].state), "baselined");
		EXPECT_STR(plan_state_name(m[2].state), "applied");
		EXPECT_STR(plan_state_name(m[3].state), "pending");
		EXPECT_INT(p.nunknown, 0);
		EXPECT_INT(p.out_of_order, 0);
		plan_free(&p);
		unit_end();
	}
}

void suite_flyway(void)
{
	baseline_plan_tests();
	dialect_tests();
	guard_key_tests();
	plan_order_tests();
	checksum_tests();
	lock_tests();
	version_tests();
}

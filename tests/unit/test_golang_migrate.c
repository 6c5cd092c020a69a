/* test_golang_migrate.c - CRC-32 (IEEE), golang-migrate's advisory lock key, and which files
 * of a folder golang-migrate's rules read. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checksum.h"
#include "err.h"
#include "format.h"
#include "migration.h"
#include "unit.h"

/* ---------- checksum_crc32 ---------- */

struct crc_case {
	const char *data;
	size_t len;
	uint32_t want;
};

/* The values of python3's zlib.crc32(data) (an implementation independent of src/):
 *   zlib.crc32(b'')                                            == 0
 *   zlib.crc32(b'123456789')                                   == 0xCBF43926 (the check
 *                                                                 value of CRC-32/ISO-HDLC)
 *   zlib.crc32(b'The quick brown fox jumps over the lazy dog') == 0x414FA339
 *   zlib.crc32(b'public\x00schema_migrations\x00/postgres')    == 0x990FACC1
 *   zlib.crc32(b'\x00')                                        == 0xD202EF8D
 *   zlib.crc32(b'\xff' * 4)                                    == 0xFFFFFFFF */
/* clang-format off */
static const struct crc_case crc_cases[] = {
	{"", 0, 0x00000000u},
	{"123456789", 9, 0xCBF43926u},
	{"The quick brown fox jumps over the lazy dog", 43, 0x414FA339u},
	{"public\0schema_migrations\0/postgres", 34, 0x990FACC1u},
	{"\0", 1, 0xD202EF8Du},
	{"\xff\xff\xff\xff", 4, 0xFFFFFFFFu},
};
/* clang-format on */

static void crc_tests(void)
{
	for (size_t i = 0; i < sizeof crc_cases / sizeof *crc_cases; i++) {
		const struct crc_case *c = &crc_cases[i];
		if (!unit_begin("crc32/%zu bytes #%zu", c->len, i))
			continue;
		uint32_t got = checksum_crc32(c->data, c->len);
		EXPECT(got == c->want, "crc32 = 0x%08X, want 0x%08X", (unsigned)got,
		       (unsigned)c->want);
		unit_end();
	}
	/* a long input: 1 MiB of the bytes 0..255 repeated;
	 * zlib.crc32(bytes(range(256)) * 4096) == 0x04D0E435 (python3) */
	if (unit_begin("crc32/1 MiB")) {
		size_t n = 1u << 20;
		unsigned char *b = malloc(n);
		EXPECT(b != NULL, "out of memory");
		if (b) {
			for (size_t i = 0; i < n; i++)
				b[i] = (unsigned char)i;
			uint32_t got = checksum_crc32(b, n);
			EXPECT(got == 0x04D0E435u, "crc32 = 0x%08X, want 0x04D0E435",
			       (unsigned)got);
			free(b);
		}
		unit_end();
	}
}

/* ---------- golang-migrate's lock key ---------- */

struct lock_case {
	const char *database, *schema, *table;
	long long want;
};

/* database/util.go (golang-migrate/migrate, commit 18966c755f83de2b250dd8e766bad8b769cd0e25):
 *   GenerateAdvisoryLockId(databaseName, schema, table) =
 *       crc32.ChecksumIEEE(schema + "\x00" + table + "\x00" + databaseName) * 1486364155
 * in uint32, with databaseName the URL's path ("/postgres", database/postgres/postgres.go
 * Open). Computed independently with python3:
 *   zlib.crc32(b'public\x00schema_migrations\x00/postgres') * 1486364155 % 2**32
 *       == 3280485947
 *   zlib.crc32(b'public\x00schema_migrations\x00/dbready_gm') * 1486364155 % 2**32
 *       == 1265041132
 *   zlib.crc32(b'app\x00my.migrations\x00/shop') * 1486364155 % 2**32 == 1563534153 */
/* clang-format off */
static const struct lock_case lock_cases[] = {
	{"postgres", "public", "schema_migrations", 3280485947LL},
	{"dbready_gm", "public", "schema_migrations", 1265041132LL},
	{"shop", "app", "my.migrations", 1563534153LL},
};
/* clang-format on */

static void lock_tests(void)
{
	const struct format *f = format_find("golang-migrate");
	for (size_t i = 0; i < sizeof lock_cases / sizeof *lock_cases; i++) {
		const struct lock_case *c = &lock_cases[i];
		if (!unit_begin("golang-migrate/lock %s %s.%s", c->database, c->schema, c->table))
			continue;
		EXPECT(f && f->tool_lock, "no golang-migrate format with a tool_lock");
		if (f && f->tool_lock) {
			struct lock_names n = {c->database, c->schema, c->table};
			long long key = -1;
			EXPECT(f->tool_lock(&n, &key), "tool_lock returned false");
			EXPECT(key == c->want, "key = %lld, want %lld", key, c->want);
		}
		unit_end();
	}
}

/* ---------- which files are migrations ---------- */

struct load_case {
	const char *name;
	const char *files;  /* names separated by '|' */
	int want_rc;        /* exit code of format_load */
	const char *loaded; /* "key:file" of each migration, in order, separated by ' ' */
};

/* clang-format off */
static const struct load_case load_cases[] = {
	{"numeric order, not padded", "10_c.up.sql|2_b.up.sql|1_a.up.sql", 0,
	 "1:1_a.up.sql 2:2_b.up.sql 10:10_c.up.sql"},
	{"down files are not run", "1_a.up.sql|1_a.down.sql|2_b.up.sql|2_b.down.sql", 0,
	 "1:1_a.up.sql 2:2_b.up.sql"},
	{"a version with only a down file is recorded", "1_a.up.sql|2_b.down.sql", 0,
	 "1:1_a.up.sql 2:2_b.down.sql"},
	{"any extension (parse.go's (.*))", "1_a.up.txt|2_b.up.|3_c.up.sql.orig", 0,
	 "1:1_a.up.txt 2:2_b.up. 3:3_c.up.sql.orig"},
	{"the last .up./.down. decides", "1_x.up.y.down.sql|2_x.down.y.up.sql", 0,
	 "1:1_x.up.y.down.sql 2:2_x.down.y.up.sql"},
	{"an empty title", "1_.up.sql", 0, "1:1_.up.sql"},
	{"leading zeros dropped from the key", "0001_a.up.sql|0010_b.up.sql", 0,
	 "1:0001_a.up.sql 10:0010_b.up.sql"},
	{"version 0", "0_zero.up.sql|1_a.up.sql", 0, "0:0_zero.up.sql 1:1_a.up.sql"},
	{"other files ignored", "1_a.up.sql|README.md|1.up.sql|a_1.up.sql|1_a.sql|1_a.upx.sql", 0,
	 "1:1_a.up.sql"},
	{"the largest bigint", "9223372036854775807_max.up.sql", 0,
	 "9223372036854775807:9223372036854775807_max.up.sql"},
	{"beyond bigint", "9223372036854775808_big.up.sql", 6, ""},
	{"two up files of a version", "1_a.up.sql|01_b.up.sql", 6, ""},
	{"two down files of a version", "1_a.up.sql|1_a.down.sql|1_b.down.sql", 6, ""},
	{"up.sql and up.sql.bak", "1_a.up.sql|1_a.up.sql.bak", 6, ""},
	{"an empty folder", "", 0, ""},
};
/* clang-format on */

static bool write_files(const char *dir, const char *files)
{
	char *copy = strdup(files), *save = NULL;
	bool ok = copy != NULL;
	for (char *tok = copy ? strtok_r(copy, "|", &save) : NULL; tok && ok;
	     tok = strtok_r(NULL, "|", &save)) {
		char path[512];
		snprintf(path, sizeof path, "%s/%s", dir, tok);
		FILE *f = fopen(path, "w");
		ok = f && fputs("SELECT 1;\n", f) >= 0;
		if (f)
			ok = fclose(f) == 0 && ok;
	}
	free(copy);
	return ok;
}

static void remove_files(const char *dir, const char *files)
{
	char *copy = strdup(files), *save = NULL;
	for (char *tok = copy ? strtok_r(copy, "|", &save) : NULL; tok;
	     tok = strtok_r(NULL, "|", &save)) {
		char path[512];
		snprintf(path, sizeof path, "%s/%s", dir, tok);
		unlink(path);
	}
	free(copy);
	rmdir(dir);
}

static void load_tests(void)
{
	const struct format *f = format_find("golang-migrate");
	for (size_t i = 0; i < sizeof load_cases / sizeof *load_cases; i++) {
		const struct load_case *c = &load_cases[i];
		if (!unit_begin("golang-migrate/load %s", c->name))
			continue;
		char dir[] = "/tmp/dbready-unit-gm.XXXXXX";
		EXPECT(f != NULL, "no golang-migrate format");
		EXPECT(mkdtemp(dir) != NULL, "mkdtemp failed");
		struct migset set;
		memset(&set, 0, sizeof set);
		if (f && write_files(dir, c->files)) {
			struct err e;
			memset(&e, 0, sizeof e);
			int rc = format_load(dir, f, &set, &e);
			EXPECT_INT(rc, c->want_rc);
			char got[1024] = "";
			for (int m = 0; rc == 0 && m < set.n; m++) {
				size_t o = strlen(got);
				snprintf(got + o, sizeof got - o, "%s%s:%s", m ? " " : "",
				         set.m[m].key, set.m[m].file);
			}
			if (rc == 0)
				EXPECT(strcmp(got, c->loaded) == 0, "loaded \"%s\", want \"%s\"",
				       got, c->loaded);
			/* a down-only version is recorded with nothing to run */
			for (int m = 0; rc == 0 && m < set.n; m++)
				if (strlen(set.m[m].file) > 9 &&
				    strcmp(set.m[m].file + strlen(set.m[m].file) - 9,
				           ".down.sql") == 0)
					EXPECT(set.m[m].text_len == 0 && set.m[m].stmts.n == 0,
					       "%s: the down file was read", set.m[m].file);
		}
		if (f)
			migset_free(&set);
		remove_files(dir, c->files);
		unit_end();
	}
}

void suite_golang_migrate(void)
{
	crc_tests();
	lock_tests();
	load_tests();
}

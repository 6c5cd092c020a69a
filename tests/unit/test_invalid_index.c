/* test_invalid_index.c - what a CONCURRENTLY statement names (invalid_index.c, behaviour.md §7):
 * quoted, schema-qualified, IF NOT EXISTS, ONLY, unnamed, REINDEX, and what is not one. */
#include <string.h>

#include "invalid_index.h"
#include "unit.h"

struct name_case {
	const char *sql;
	bool ok;
	enum ii_kind kind;
	const char *name, *schema, *table;
};

/* clang-format off */
static const struct name_case name_cases[] = {
	{"CREATE INDEX CONCURRENTLY items_sku_idx ON items (sku)", true, II_CREATE_INDEX,
	 "items_sku_idx", "", "items"},
	{"create unique index concurrently Items_SKU_key on Items(sku)", true, II_CREATE_INDEX,
	 "items_sku_key", "", "items"},
	{"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"Sku Key\" ON \"App\".\"Items\" (sku)",
	 true, II_CREATE_INDEX, "Sku Key", "App", "Items"},
	{"CREATE INDEX CONCURRENTLY \"a\"\"b\" ON s.t (c)", true, II_CREATE_INDEX, "a\"b", "s", "t"},
	{"CREATE INDEX CONCURRENTLY IF NOT EXISTS x ON ONLY public.t (c)", true, II_CREATE_INDEX,
	 "x", "public", "t"},
	{"CREATE INDEX CONCURRENTLY ON t (c)", true, II_CREATE_INDEX, "", "", "t"},
	{"CREATE INDEX CONCURRENTLY ON ONLY \"S\".t USING btree (c)", true, II_CREATE_INDEX, "", "S",
	 "t"},
	{"CREATE INDEX CONCURRENTLY x ON db.s.t (c)", true, II_CREATE_INDEX, "x", "s", "t"},
	{"CREATE /* c */ INDEX -- c\n CONCURRENTLY /* a /* nested */ one */ x ON t(c)", true,
	 II_CREATE_INDEX, "x", "", "t"},
	{"CREATE INDEX CONCURRENTLY \"on\" ON t (c)", true, II_CREATE_INDEX, "on", "", "t"},
	/* identifiers are cut to 63 bytes as the server cuts them */
	{"CREATE INDEX CONCURRENTLY a123456789012345678901234567890123456789012345678901234567890"
	 "12345 ON t (c)", true, II_CREATE_INDEX,
	 "a12345678901234567890123456789012345678901234567890123456789012", "", "t"},
	/* a quoted name cut at a character boundary: the 2-byte \u00e9 would straddle byte 63 */
	{"CREATE INDEX CONCURRENTLY \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "\xc3\xa9" "b\" ON t (c)", true, II_CREATE_INDEX,
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "", "t"},
	/* not a CONCURRENTLY build, or not readable for sure */
	{"CREATE INDEX x ON t (c)", false, II_NONE, "", "", ""},
	{"CREATE INDEX CONCURRENTLY IF NOT EXISTS ON t (c)", false, II_NONE, "", "", ""},
	{"CREATE INDEX CONCURRENTLY U&\"d\\0061t\" ON t (c)", false, II_NONE, "", "", ""},
	{"CREATE TABLE t (c int)", false, II_NONE, "", "", ""},
	{"DROP INDEX CONCURRENTLY x", false, II_NONE, "", "", ""},
	{"SELECT 'CREATE INDEX CONCURRENTLY x ON t (c)'", false, II_NONE, "", "", ""},
	/* REINDEX */
	{"REINDEX INDEX CONCURRENTLY s.\"Idx\"", true, II_REINDEX_INDEX, "Idx", "s", ""},
	{"REINDEX (VERBOSE) TABLE CONCURRENTLY items", true, II_REINDEX_TABLE, "", "", "items"},
	{"REINDEX (CONCURRENTLY) TABLE app.items", true, II_REINDEX_TABLE, "", "app", "items"},
	{"REINDEX (CONCURRENTLY false) TABLE items", false, II_NONE, "", "", ""},
	{"REINDEX SCHEMA CONCURRENTLY App", true, II_REINDEX_SCHEMA, "app", "", ""},
	{"REINDEX DATABASE CONCURRENTLY", true, II_REINDEX_DATABASE, "", "", ""},
	{"REINDEX TABLE items", false, II_NONE, "", "", ""},
};
/* clang-format on */

struct quote_case {
	const char *schema, *name, *want;
};

static const struct quote_case quote_cases[] = {
        {"public", "items_sku_key", "\"public\".\"items_sku_key\""},
        {"App", "a\"b", "\"App\".\"a\"\"b\""},
        {"", "t", "\"t\""},
};

void suite_invalid_index(void)
{
	for (size_t i = 0; i < sizeof name_cases / sizeof *name_cases; i++) {
		const struct name_case *c = &name_cases[i];
		if (!unit_begin("invalid_index: parse %s", c->sql))
			continue;
		struct ii_target t;
		bool ok = ii_parse(c->sql, strlen(c->sql), &t);
		EXPECT_INT(ok, c->ok);
		EXPECT_INT(t.kind, c->kind);
		EXPECT_STR(t.name, c->name);
		EXPECT_STR(t.schema, c->schema);
		EXPECT_STR(t.table, c->table);
		unit_end();
	}
	for (size_t i = 0; i < sizeof quote_cases / sizeof *quote_cases; i++) {
		const struct quote_case *c = &quote_cases[i];
		if (!unit_begin("invalid_index: quote %s.%s", c->schema, c->name))
			continue;
		char out[300];
		EXPECT(ii_quote_qualified(c->schema, c->name, out, sizeof out), "does not fit");
		EXPECT_STR(out, c->want);
		unit_end();
	}
	if (unit_begin("invalid_index: quote does not fit")) {
		char out[8];
		EXPECT(!ii_quote_qualified("public", "items", out, sizeof out), "claims to fit");
		EXPECT_STR(out, "");
		unit_end();
	}
}

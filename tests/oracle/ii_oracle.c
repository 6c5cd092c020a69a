/* ii_oracle.c - PostgreSQL's own parser (libpg_query 15) as the oracle for the names
 * src/invalid_index.c reads from CREATE INDEX / REINDEX CONCURRENTLY statements.
 *
 *   build/ii-oracle [FILE-OR-DIR...]
 *
 * For its own table of statements, and for every statement of the .sql files given (found with
 * src/sqlsplit.c, as dbready finds them) whose first word is CREATE or REINDEX, it compares
 * ii_parse() with the parse tree: IndexStmt idxname, relation schemaname/relname, concurrent;
 * ReindexStmt kind, relation or name, CONCURRENTLY among the options. ii_parse() must read
 * exactly the names the grammar does (identifiers folded and cut to 63 bytes by the scanner)
 * or, for a statement it cannot read for sure, nothing. One line per mismatch, then
 * "ii-oracle: N statements, M mismatches"; exit 1 on a mismatch.
 */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <dirent.h>
#include <pg_query.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "invalid_index.h"
#include "sqlsplit.h"

static int nstmts, nbad;

static const char *const table[] = {
        "CREATE INDEX CONCURRENTLY items_sku_idx ON items (sku)",
        "create unique index concurrently Items_SKU_key on Items(sku)",
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"Sku Key\" ON \"App\".\"Items\" (sku)",
        "CREATE INDEX CONCURRENTLY \"a\"\"b\" ON s.t (c)",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS x ON ONLY public.t (c)",
        "CREATE INDEX CONCURRENTLY ON t (c)",
        "CREATE INDEX CONCURRENTLY ON ONLY \"S\".t USING btree (c)",
        "CREATE INDEX CONCURRENTLY x ON db.s.t (c)",
        "CREATE /* c */ INDEX -- c\n CONCURRENTLY /* a /* nested */ one */ x ON t(c)",
        "CREATE INDEX CONCURRENTLY \"on\" ON t (c)",
        "CREATE INDEX CONCURRENTLY a1234567890123456789012345678901234567890123456789012345678901"
        "2345 ON t (c)",
        "CREATE INDEX CONCURRENTLY \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "\xc3\xa9"
        "b\" ON t (c)",
        "CREATE INDEX CONCURRENTLY ÄÖ ON Ü (c)",
        "CREATE INDEX x ON t (c)",
        "CREATE INDEX CONCURRENTLY U&\"d\\0061t\" ON t (c)",
        "CREATE TABLE t (c int)",
        "CREATE INDEX CONCURRENTLY i ON t USING gin (to_tsvector('english', c)) WHERE c <> ''",
        "REINDEX INDEX CONCURRENTLY s.\"Idx\"",
        "REINDEX (VERBOSE) TABLE CONCURRENTLY items",
        "REINDEX (CONCURRENTLY) TABLE app.items",
        "REINDEX (CONCURRENTLY false) TABLE items",
        "REINDEX (VERBOSE, CONCURRENTLY true) INDEX i",
        "REINDEX SCHEMA CONCURRENTLY App",
        "REINDEX TABLE items",
        "REINDEX INDEX i",
};

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static bool flag(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* CONCURRENTLY among ReindexStmt.params: a DefElem without an argument, or with true/on/1 */
static bool reindex_concurrently(const cJSON *stmt)
{
	const cJSON *p;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(stmt, "params"))
	{
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(p, "DefElem");
		if (!d || strcmp(str(d, "defname"), "concurrently") != 0)
			continue;
		const cJSON *arg = cJSON_GetObjectItemCaseSensitive(d, "arg");
		if (!arg)
			return true;
		char *t = cJSON_PrintUnformatted(arg);
		bool off = t && (strstr(t, "\"false\"") || strstr(t, "\"off\"") ||
		                 strstr(t, "\"ival\":0") || strstr(t, "{\"Integer\":{}}"));
		free(t);
		return !off;
	}
	return false;
}

/* What the grammar says the statement names, in ii_target's terms; false: not one */
static bool expected(const cJSON *stmt, struct ii_target *t)
{
	memset(t, 0, sizeof *t);
	const cJSON *ix = cJSON_GetObjectItemCaseSensitive(stmt, "IndexStmt");
	if (ix) {
		if (!flag(ix, "concurrent"))
			return false;
		const cJSON *rel = cJSON_GetObjectItemCaseSensitive(ix, "relation");
		t->kind = II_CREATE_INDEX;
		snprintf(t->name, sizeof t->name, "%s", str(ix, "idxname"));
		snprintf(t->schema, sizeof t->schema, "%s", str(rel, "schemaname"));
		snprintf(t->table, sizeof t->table, "%s", str(rel, "relname"));
		return true;
	}
	const cJSON *rx = cJSON_GetObjectItemCaseSensitive(stmt, "ReindexStmt");
	if (!rx || !reindex_concurrently(rx))
		return false;
	const char *kind = str(rx, "kind");
	const cJSON *rel = cJSON_GetObjectItemCaseSensitive(rx, "relation");
	if (strcmp(kind, "REINDEX_OBJECT_INDEX") == 0) {
		t->kind = II_REINDEX_INDEX;
		snprintf(t->name, sizeof t->name, "%s", str(rel, "relname"));
		snprintf(t->schema, sizeof t->schema, "%s", str(rel, "schemaname"));
	} else if (strcmp(kind, "REINDEX_OBJECT_TABLE") == 0) {
		t->kind = II_REINDEX_TABLE;
		snprintf(t->table, sizeof t->table, "%s", str(rel, "relname"));
		snprintf(t->schema, sizeof t->schema, "%s", str(rel, "schemaname"));
	} else if (strcmp(kind, "REINDEX_OBJECT_SCHEMA") == 0) {
		t->kind = II_REINDEX_SCHEMA;
		snprintf(t->name, sizeof t->name, "%s", str(rx, "name"));
	} else if (strcmp(kind, "REINDEX_OBJECT_DATABASE") == 0) {
		t->kind = II_REINDEX_DATABASE;
	} else {
		return false;
	}
	return true;
}

static void show(const struct ii_target *t, char *out, size_t cap)
{
	snprintf(out, cap, "kind=%d name=\"%s\" schema=\"%s\" table=\"%s\"", (int)t->kind, t->name,
	         t->schema, t->table);
}

/* Compare one statement; where = a label for the mismatch line */
static void one(const char *sql, size_t len, const char *where)
{
	char *text = strndup(sql, len);
	if (!text)
		return;
	PgQueryParseResult r = pg_query_parse(text);
	struct ii_target want, got;
	bool have_want = false;
	if (!r.error) {
		cJSON *doc = cJSON_Parse(r.parse_tree);
		const cJSON *stmts = cJSON_GetObjectItemCaseSensitive(doc, "stmts");
		const cJSON *first = cJSON_GetArrayItem(stmts, 0);
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(first, "stmt");
		have_want = st && expected(st, &want);
		cJSON_Delete(doc);
	}
	bool have_got = ii_parse(sql, len, &got);
	/* ii_parse may decline what it cannot read for sure (U&"..."), never read wrongly */
	bool unreadable = strstr(text, "U&\"") || strstr(text, "u&\"");
	bool bad;
	if (r.error)
		bad = false; /* the server would refuse it: nothing to name */
	else if (have_got != have_want)
		bad = !(have_want && !have_got && unreadable);
	else
		bad = have_got && memcmp(&got, &want, sizeof got) != 0;
	nstmts++;
	if (bad) {
		char a[400], b[400];
		show(&want, a, sizeof a);
		show(&got, b, sizeof b);
		if (!have_want)
			snprintf(a, sizeof a, "(names nothing)");
		if (!have_got)
			snprintf(b, sizeof b, "(names nothing)");
		printf("mismatch %s: %.200s\n  parser:   %s\n  ii_parse: %s\n", where, text, a, b);
		nbad++;
	}
	pg_query_free_parse_result(r);
	free(text);
}

static void file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	char *buf = NULL;
	size_t cap = 0, n = 0, k;
	char chunk[65536];
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (n + k + 1 > cap) {
			cap = (n + k + 1) * 2;
			char *nb = realloc(buf, cap);
			if (!nb)
				break;
			buf = nb;
		}
		memcpy(buf + n, chunk, k);
		n += k;
	}
	fclose(f);
	if (!buf)
		return;
	struct sql_split s;
	if (sql_split(buf, n, &s) && !s.unterminated) {
		for (int i = 0; i < s.n; i++) {
			const char *p = buf + s.stmts[i].start;
			size_t len = s.stmts[i].len;
			if ((len >= 6 && strncasecmp(p, "create", 6) == 0) ||
			    (len >= 7 && strncasecmp(p, "reindex", 7) == 0))
				one(p, len, path);
		}
	}
	sql_split_free(&s);
	free(buf);
}

static void walk(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	if (S_ISREG(st.st_mode)) {
		size_t l = strlen(path);
		if (l > 4 && strcmp(path + l - 4, ".sql") == 0)
			file(path);
		return;
	}
	if (!S_ISDIR(st.st_mode))
		return;
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		size_t l = strlen(path) + strlen(e->d_name) + 2;
		char *sub = malloc(l);
		if (!sub)
			break;
		snprintf(sub, l, "%s/%s", path, e->d_name);
		walk(sub);
		free(sub);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
		char where[32];
		snprintf(where, sizeof where, "table[%zu]", i);
		one(table[i], strlen(table[i]), where);
	}
	for (int i = 1; i < argc; i++)
		walk(argv[i]);
	printf("ii-oracle: %d statements, %d mismatches\n", nstmts, nbad);
	return nbad ? 1 : 0;
}

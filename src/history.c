/* history.c - reading and writing the migration tool's own history table. */
#define _POSIX_C_SOURCE 200809L
#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "exitcode.h"
#include "pipeline.h"

/* PostgreSQL cuts identifiers at NAMEDATALEN - 1 bytes (with a NOTICE): a longer name would
 * silently refer to another table, so it is refused. A quoted part then takes at most
 * 2 * 63 + 2 bytes (every quote doubled), and "schema"."table" at most 2 * 128 + 1. */
#define IDENT_MAX  63
#define QUOTED_MAX (2 * IDENT_MAX + 2 + 1)
_Static_assert(sizeof((struct history *)0)->schema > IDENT_MAX, "schema holds a name");
_Static_assert(sizeof((struct history *)0)->qname >= 2 * QUOTED_MAX, "qname holds both");

/* out must hold QUOTED_MAX bytes; in is at most IDENT_MAX bytes (parse_table_name). */
static void quote_ident(const char *in, char out[QUOTED_MAX])
{
	size_t o = 0;
	out[o++] = '"';
	for (; *in; in++) {
		if (*in == '"')
			out[o++] = '"';
		out[o++] = *in;
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* Split "schema.table" as SQL reads it: a part in double quotes may hold dots and (doubled)
 * quotes and keeps its case; an unquoted part is taken as written, as drizzle-orm quotes its
 * migrationsSchema/migrationsTable options as given. No schema: schema is set to "". */
static int parse_table_name(const char *spec, char *schema, char *table, size_t cap)
{
	char part[2][IDENT_MAX + 1];
	int n = 0;
	const char *p = spec;
	for (;;) {
		size_t o = 0;
		if (*p == '"') {
			for (p++;; p++) {
				if (!*p)
					return -1;
				if (*p == '"' && p[1] == '"')
					p++;
				else if (*p == '"')
					break;
				if (o + 1 >= sizeof part[0])
					return -1;
				part[n][o++] = *p;
			}
			p++;
		} else {
			while (*p && *p != '.') {
				if (o + 1 >= sizeof part[0] || *p == '"')
					return -1;
				part[n][o++] = *p++;
			}
		}
		part[n][o] = '\0';
		if (o == 0)
			return -1;
		n++;
		if (!*p)
			break;
		if (*p != '.' || n == 2)
			return -1;
		p++;
	}
	snprintf(schema, cap, "%s", n == 2 ? part[0] : "");
	snprintf(table, cap, "%s", part[n - 1]);
	return 0;
}

/* The quoted name and the lock keys of h->schema.h->table. */
static void bind_names(struct history *h)
{
	char qs[QUOTED_MAX], qt[QUOTED_MAX];
	quote_ident(h->schema, qs);
	quote_ident(h->table, qt);
	snprintf(h->qname, sizeof h->qname, "%s.%s", qs, qt);
	/* one key per history table: runners of the same folder meet on it */
	char keytext[sizeof "dbready:" + sizeof h->qname], hex[65];
	snprintf(keytext, sizeof keytext, "dbready:%s", h->qname);
	checksum_sha256(keytext, strlen(keytext), hex);
	hex[16] = '\0'; /* the first 64 bits */
	uint64_t k = strtoull(hex, NULL, 16);
	h->lock_key = (int64_t)(k >> 1); /* positive, so it reads the same everywhere */
	long long tk = 0;
	struct lock_names ln = {h->database, h->schema, h->table};
	h->has_tool_lock = h->format->tool_lock && h->format->tool_lock(&ln, &tk);
	h->tool_lock_key = tk;
}

int history_init(struct history *h, const struct format *fmt, const char *spec, struct err *e)
{
	memset(h, 0, sizeof *h);
	h->format = fmt;
	const char *schema = fmt->schema ? fmt->schema : "";
	const char *table = fmt->table;
	char sbuf[IDENT_MAX + 1], tbuf[IDENT_MAX + 1];
	if (spec && parse_table_name(spec, sbuf, tbuf, sizeof sbuf) != 0)
		return err_set(
		        e, EXIT_USAGE, "usage",
		        "Write --history-table=schema.table, with double quotes around a part "
		        "that holds a dot or a quote (\"My Schema\".hist); quotes are doubled "
		        "inside them. Each part is at most 63 bytes: PostgreSQL cuts longer "
		        "names, which would then name another table.",
		        NULL, "invalid history table \"%s\"", spec);
	if (spec) {
		if (*sbuf)
			schema = sbuf;
		table = tbuf;
	}
	snprintf(h->schema, sizeof h->schema, "%s", schema);
	snprintf(h->table, sizeof h->table, "%s", table);
	/* the current schema (and database) are known once connected: history_read binds
	 * again then */
	if (*h->schema) {
		bind_names(h);
	} else { /* shown unqualified, as the tool names it, until bound */
		char qt[QUOTED_MAX];
		quote_ident(h->table, qt);
		snprintf(h->qname, sizeof h->qname, "%s", qt);
	}
	return EXIT_DONE;
}

void history_free_rows(struct history *h)
{
	for (int i = 0; i < h->n; i++) {
		free(h->rows[i].key);
		free(h->rows[i].hash);
		free(h->rows[i].name);
		free(h->rows[i].failed);
	}
	free(h->rows);
	h->rows = NULL;
	h->n = 0;
	h->nfailed = 0;
	free(h->schema_sample);
	h->schema_sample = NULL;
	h->schema_objects = 0;
	h->needs_upgrade = false;
	fupgrade_free(&h->upgrade);
}

static int query_error(struct err *e, PGresult *res, PGconn *conn, const char *what)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	err_set(e, EXIT_APPLY, "history_failed",
	        "Check that the role may read and create the history table (USAGE and CREATE on "
	        "its schema).",
	        msg ? msg : PQerrorMessage(conn), "could not %s", what);
	snprintf(e->sqlstate, sizeof e->sqlstate, "%s", st ? st : "");
	return e->code;
}

/* The session's search_path becomes "schema",<what it was>, unless it starts with the schema
 * already (format.h schema_leads_search_path; Flyway's changeCurrentSchemaTo). */
static int lead_search_path(PGconn *conn, const char *schema, const char *path, struct err *e)
{
	size_t sl = strlen(schema);
	if (strcmp(path, schema) == 0 || (strncmp(path, schema, sl) == 0 && path[sl] == ','))
		return EXIT_DONE;
	char qs[QUOTED_MAX];
	quote_ident(schema, qs);
	char *sp = malloc(strlen(qs) + 1 + strlen(path) + 1);
	if (!sp)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	sprintf(sp, "%s%s%s", qs, *path ? "," : "", path);
	const char *params[1] = {sp};
	PGresult *res;
	struct pipe_outcome o;
	bool ok = pipeline_query(conn, "SELECT set_config('search_path', $1, false)", params, 1,
	                         &res, &o);
	free(sp);
	if (!ok) {
		if (!res)
			return pipeline_no_answer(conn, &o, "trying to set the search_path", e);
		query_error(e, res, conn, "set the search_path");
	}
	PQclear(res);
	return ok ? EXIT_DONE : e->code;
}

/* The session's database and current schema: the tool's lock key needs the one, a format
 * whose table lives in the current schema the other. */
static int bind(PGconn *conn, struct history *h, struct err *e)
{
	PGresult *res;
	struct pipe_outcome o;
	if (!pipeline_query(conn,
	                    "SELECT current_database(), current_schema(), "
	                    "current_setting('search_path')",
	                    NULL, 0, &res, &o)) {
		if (!res)
			return pipeline_no_answer(conn, &o, "trying to look up the current schema",
			                          e);
		query_error(e, res, conn, "look up the current schema");
		PQclear(res);
		return e->code;
	}
	snprintf(h->database, sizeof h->database, "%s", PQgetvalue(res, 0, 0));
	if (!*h->schema) {
		if (PQgetisnull(res, 0, 1)) {
			PQclear(res);
			return err_set(e, EXIT_APPLY, "history_failed",
			               "Create the schema the search_path names first, or set "
			               "search_path "
			               "(in the URL or with ALTER ROLE ... SET search_path) to an "
			               "existing "
			               "one.",
			               "The history table lives in the current schema, and no "
			               "schema in the "
			               "search_path exists.",
			               "could not place the %s history table %s", h->format->name,
			               h->table);
		}
		const char *cs = PQgetvalue(res, 0, 1);
		if (strlen(cs) > IDENT_MAX) { /* the server's names are at most 63 bytes */
			PQclear(res);
			return err_set(e, EXIT_APPLY, "history_failed", NULL, NULL,
			               "the current schema's name is too long");
		}
		snprintf(h->schema, sizeof h->schema, "%s", cs);
	}
	int rc = h->format->schema_leads_search_path
	                 ? lead_search_path(conn, h->schema, PQgetvalue(res, 0, 2), e)
	                 : EXIT_DONE;
	PQclear(res);
	if (rc != EXIT_DONE)
		return rc;
	bind_names(h);
	h->bound = true;
	return EXIT_DONE;
}

/* The objects a schema holds that its user made: tables, views, sequences (but not a serial
 * or identity column's own), types, domains, functions and procedures, not an extension's.
 * $1 = the schema: (how many, the first three named). */
static const char SCHEMA_OBJECTS_SQL[] =
        "WITH o(kind, name) AS ("
        " SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'"
        "  WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table' ELSE 'table' END,"
        "  c.relname::text"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
        "  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
        "   AND d.objid = c.oid AND d.deptype IN ('e', 'i', 'a'))"
        " UNION ALL"
        " SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, t.typname::text"
        " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
        " LEFT JOIN pg_class r ON r.oid = t.typrelid"
        " WHERE n.nspname = $1 AND (t.typtype IN ('e', 'd', 'r', 'm')"
        "   OR (t.typtype = 'c' AND r.relkind = 'c'))"
        "  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_type'::regclass"
        "   AND d.objid = t.oid AND d.deptype = 'e')"
        " UNION ALL"
        " SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,"
        "  p.proname::text"
        " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = $1"
        "  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass"
        "   AND d.objid = p.oid AND d.deptype = 'e'))"
        " SELECT count(*), (SELECT string_agg(format('%s %I', kind, name), ', ')"
        "  FROM (SELECT * FROM o ORDER BY kind, name LIMIT 3) s) FROM o";

/* The table is absent: what its schema holds, for a format whose tool refuses a non-empty
 * schema (format.h nonempty_hint). */
static int read_schema_objects(PGconn *conn, struct history *h, struct err *e)
{
	const char *params[1] = {h->schema};
	PGresult *res;
	struct pipe_outcome o;
	if (!pipeline_query(conn, SCHEMA_OBJECTS_SQL, params, 1, &res, &o)) {
		if (!res)
			return pipeline_no_answer(conn, &o, "trying to look into the schema", e);
		query_error(e, res, conn, "look into the schema");
		PQclear(res);
		return e->code;
	}
	h->schema_objects = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	if (h->schema_objects > 0 && !(h->schema_sample = strdup(PQgetvalue(res, 0, 1)))) {
		PQclear(res);
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	}
	PQclear(res);
	return EXIT_DONE;
}

int history_upgrade_build(PGconn *conn, const struct history *h, const struct migset *set,
                          struct fupgrade *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	char sql[HISTORY_SQL_MAX];
	snprintf(sql, sizeof sql, h->format->upgrade->rows_sql, h->qname);
	PGresult *res;
	struct pipe_outcome o;
	if (!pipeline_query(conn, sql, NULL, 0, &res, &o)) {
		if (!res)
			return pipeline_no_answer(conn, &o, "trying to read the history table", e);
		query_error(e, res, conn, "read the history table");
		PQclear(res);
		return e->code;
	}
	int n = PQntuples(res), nc = PQnfields(res);
	size_t cells = (size_t)n * (size_t)nc;
	const char **v = calloc(cells ? cells : 1, sizeof *v);
	if (!v) {
		PQclear(res);
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	}
	for (int i = 0; i < n; i++)
		for (int c = 0; c < nc; c++)
			v[i * nc + c] = PQgetisnull(res, i, c) ? NULL : PQgetvalue(res, i, c);
	struct fupgrade_rows rows = {n, nc, v};
	int rc = h->format->upgrade->build(h->qname, &rows, set, out, e);
	free(v);
	PQclear(res);
	if (rc != EXIT_DONE)
		fupgrade_free(out);
	return rc;
}

/* Whether the table is in the format's older shape (the format's detect_sql). */
static int shape_is_old(PGconn *conn, const struct history *h, bool *old, struct err *e)
{
	const char *params[1] = {h->qname};
	PGresult *res;
	struct pipe_outcome o;
	if (!pipeline_query(conn, h->format->upgrade->detect_sql, params, 1, &res, &o)) {
		if (!res)
			return pipeline_no_answer(conn, &o, "trying to look at the history table",
			                          e);
		query_error(e, res, conn, "look at the history table's columns");
		PQclear(res);
		return e->code;
	}
	*old = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return EXIT_DONE;
}

/* The rows the table will hold once upgraded: status and --dry-run plan against them. */
static int rows_after_upgrade(struct history *h, struct err *e)
{
	int n = h->upgrade.nchanges;
	h->rows = calloc((size_t)(n ? n : 1), sizeof *h->rows);
	if (!h->rows)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	for (int i = 0; i < n; i++) {
		struct hrow *r = &h->rows[h->n++];
		r->key = strdup(h->upgrade.changes[i].key);
		r->hash = strdup(h->upgrade.changes[i].hash);
		if (!r->key || !r->hash)
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	}
	return EXIT_DONE;
}

int history_read(PGconn *conn, struct history *h, const struct migset *set, struct err *e)
{
	history_free_rows(h);
	if (!h->bound) {
		int rc = bind(conn, h, e);
		if (rc != EXIT_DONE)
			return rc;
	}
	const char *params[1] = {h->qname};
	PGresult *res;
	struct pipe_outcome o;
	if (!pipeline_query(conn, "SELECT to_regclass($1) IS NOT NULL", params, 1, &res, &o)) {
		if (!res)
			return pipeline_no_answer(conn, &o, "trying to look up the history table",
			                          e);
		query_error(e, res, conn, "look up the history table");
		PQclear(res);
		return e->code;
	}
	h->exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!h->exists)
		return h->format->nonempty_hint || h->baseline_key
		               ? read_schema_objects(conn, h, e)
		               : EXIT_DONE;
	if (h->format->upgrade) {
		int rc = shape_is_old(conn, h, &h->needs_upgrade, e);
		if (rc == EXIT_DONE && h->needs_upgrade)
			rc = history_upgrade_build(conn, h, set, &h->upgrade, e);
		if (rc != EXIT_DONE || h->needs_upgrade)
			return rc == EXIT_DONE ? rows_after_upgrade(h, e) : rc;
	}
	char sql[HISTORY_SQL_MAX];
	snprintf(sql, sizeof sql, h->format->read_sql, h->qname);
	if (!pipeline_query(conn, sql, NULL, 0, &res, &o)) {
		if (!res)
			return pipeline_no_answer(conn, &o, "trying to read the history table", e);
		query_error(e, res, conn, "read the history table");
		PQclear(res);
		return e->code;
	}
	int n = PQntuples(res);
	h->rows = calloc((size_t)(n ? n : 1), sizeof *h->rows);
	if (!h->rows) {
		PQclear(res);
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	}
	for (int i = 0; i < n; i++) {
		struct hrow *r = &h->rows[h->n++];
		r->key = strdup(PQgetvalue(res, i, 0));
		r->hash = strdup(PQgetvalue(res, i, 1));
		r->name = PQgetisnull(res, i, 2) ? NULL : strdup(PQgetvalue(res, i, 2));
		r->failed = PQgetisnull(res, i, 3) ? NULL : strdup(PQgetvalue(res, i, 3));
		r->baseline = PQnfields(res) > 4 && !PQgetisnull(res, i, 4);
		h->nfailed += !PQgetisnull(res, i, 3);
		if (!r->key || !r->hash || (!PQgetisnull(res, i, 3) && !r->failed)) {
			PQclear(res);
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		}
	}
	PQclear(res);
	return EXIT_DONE;
}

const char *history_create_schema_sql(const struct history *h, char *buf, size_t cap)
{
	char qs[QUOTED_MAX];
	quote_ident(h->schema, qs);
	snprintf(buf, cap, "CREATE SCHEMA IF NOT EXISTS %s", qs);
	return buf;
}

bool history_baselining(const struct history *h)
{
	return !h->exists && h->baseline_key && h->schema_objects > 0 && h->format->baseline_sql;
}

void history_create_table_sql(const struct history *h, struct fsql_list *out)
{
	out->n = 0;
	h->format->create_sql(h->qname, out);
	if (history_baselining(h))
		h->format->baseline_sql(h->qname, h->baseline_key, h->baseline_upto, out);
}

const char *history_guard_sql(const struct history *h, bool exists, char *buf, size_t cap)
{
	if (exists)
		snprintf(buf, cap, h->format->guard_sql, h->qname);
	else
		snprintf(buf, cap, "SELECT to_regclass($1) IS NOT NULL");
	return buf;
}

char *history_keys_array(struct migration *const *m, int n)
{
	/* every element quoted, '"' and '\\' escaped (fsql_array): a key may be a name
	 * (drizzle 1.x's folder name) with commas, braces, spaces or quotes; digits read the same
	 * either way. A repeatable migration is applied again whenever its hash changes, so what
	 * says that it was applied meanwhile is its hash and its name: "<hash> <name>" */
	size_t cap = (size_t)(n > 0 ? n : 1);
	const char **v = calloc(cap, sizeof *v);
	char **own = calloc(cap, sizeof *own);
	bool ok = v && own;
	for (int i = 0; ok && i < n; i++) {
		if (!m[i]->repeatable) {
			v[i] = m[i]->key;
			continue;
		}
		size_t len = strlen(m[i]->hash) + 1 + strlen(m[i]->name) + 1;
		ok = (own[i] = malloc(len)) != NULL;
		if (ok)
			snprintf(own[i], len, "%s %s", m[i]->hash, m[i]->name);
		v[i] = own[i];
	}
	char *out = ok ? fsql_array(v, n) : NULL;
	for (int i = 0; own && i < n; i++)
		free(own[i]);
	free(own);
	free(v);
	return out;
}

void history_record_sql(const struct history *h, const struct migration *m, const char *applied_by,
                        const char *duration_ms, struct fsql_list *out)
{
	out->n = 0;
	h->format->record_sql(h->qname, m, applied_by, duration_ms, out);
}

void history_started_sql(const struct history *h, const struct migration *m, struct fsql_list *out)
{
	out->n = 0;
	if (h->format->started_sql)
		h->format->started_sql(h->qname, m, out);
}

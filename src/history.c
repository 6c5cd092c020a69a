/* history.c - reading and writing the migration tool's own history table. */
#define _POSIX_C_SOURCE 200809L
#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "exitcode.h"

static void quote_ident(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	if (cap < 3)
		return;
	out[o++] = '"';
	for (; *in && o + 3 < cap; in++) {
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
	char part[2][128];
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

int history_init(struct history *h, enum mig_format fmt, const char *spec, struct err *e)
{
	memset(h, 0, sizeof *h);
	h->format = fmt;
	const char *schema = fmt == FORMAT_DRIZZLE ? "drizzle" : "public";
	const char *table = fmt == FORMAT_DRIZZLE ? "__drizzle_migrations" : "dbready_migrations";
	char sbuf[128], tbuf[128];
	if (spec && parse_table_name(spec, sbuf, tbuf, sizeof sbuf) != 0)
		return err_set(
		        e, EXIT_USAGE, "usage",
		        "Write --history-table=schema.table, with double quotes around a part "
		        "that holds a dot or a quote (\"My Schema\".hist); quotes are doubled "
		        "inside them.",
		        NULL, "invalid history table \"%s\"", spec);
	if (spec) {
		if (*sbuf)
			schema = sbuf;
		table = tbuf;
	}
	snprintf(h->schema, sizeof h->schema, "%s", schema);
	snprintf(h->table, sizeof h->table, "%s", table);
	char qs[140], qt[140];
	quote_ident(h->schema, qs, sizeof qs);
	quote_ident(h->table, qt, sizeof qt);
	snprintf(h->qname, sizeof h->qname, "%s.%s", qs, qt);
	/* one key per history table: runners of the same folder meet on it */
	char keytext[400], hex[65];
	snprintf(keytext, sizeof keytext, "dbready:%s", h->qname);
	checksum_sha256(keytext, strlen(keytext), hex);
	hex[16] = '\0'; /* the first 64 bits */
	uint64_t k = strtoull(hex, NULL, 16);
	h->lock_key = (int64_t)(k >> 1); /* positive, so it reads the same everywhere */
	return EXIT_DONE;
}

void history_free_rows(struct history *h)
{
	for (int i = 0; i < h->n; i++) {
		free(h->rows[i].key);
		free(h->rows[i].hash);
		free(h->rows[i].name);
	}
	free(h->rows);
	h->rows = NULL;
	h->n = 0;
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

int history_read(PGconn *conn, struct history *h, struct err *e)
{
	history_free_rows(h);
	const char *params[1] = {h->qname};
	PGresult *res = PQexecParams(conn, "SELECT to_regclass($1) IS NOT NULL", 1, NULL, params,
	                             NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		query_error(e, res, conn, "look up the history table");
		PQclear(res);
		return e->code;
	}
	h->exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!h->exists)
		return EXIT_DONE;
	char sql[512];
	if (h->format == FORMAT_DRIZZLE)
		snprintf(sql, sizeof sql,
		         "SELECT coalesce(created_at::text, ''), hash, NULL FROM %s ORDER BY id",
		         h->qname);
	else
		snprintf(sql, sizeof sql,
		         "SELECT version, checksum, name FROM %s ORDER BY version", h->qname);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
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
		if (!r->key || !r->hash) {
			PQclear(res);
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		}
	}
	PQclear(res);
	return EXIT_DONE;
}

const char *history_create_sql(const struct history *h, char *buf, size_t cap)
{
	char qs[140];
	quote_ident(h->schema, qs, sizeof qs);
	if (h->format == FORMAT_DRIZZLE)
		/* drizzle-orm's pg-core migrator, statement for statement */
		snprintf(buf, cap,
		         "CREATE SCHEMA IF NOT EXISTS %s;\n"
		         "CREATE TABLE IF NOT EXISTS %s (\n"
		         "\t\t\tid SERIAL PRIMARY KEY,\n"
		         "\t\t\thash text NOT NULL,\n"
		         "\t\t\tcreated_at bigint\n"
		         "\t\t)",
		         qs, h->qname);
	else
		snprintf(buf, cap,
		         "CREATE SCHEMA IF NOT EXISTS %s;\n"
		         "CREATE TABLE IF NOT EXISTS %s (\n"
		         "\tversion text PRIMARY KEY,\n"
		         "\tname text NOT NULL,\n"
		         "\tchecksum text NOT NULL,\n"
		         "\tapplied_at timestamptz NOT NULL DEFAULT now(),\n"
		         "\tduration_ms integer NOT NULL,\n"
		         "\tapplied_by text NOT NULL\n"
		         ")",
		         qs, h->qname);
	return buf;
}

const char *history_guard_sql(const struct history *h, struct migration *const *m, int n,
                              char *buf, size_t cap)
{
	/* keys are digits only (created_at or a version), so they can be inlined safely */
	char list[8192] = "";
	for (int i = 0; i < n; i++) {
		size_t len = strlen(list);
		snprintf(list + len, sizeof list - len, "%s%s%s%s", i ? "," : "",
		         h->format == FORMAT_PLAIN ? "'" : "", m[i]->key,
		         h->format == FORMAT_PLAIN ? "'" : "");
	}
	const char *col = h->format == FORMAT_DRIZZLE ? "created_at" : "version";
	char lit[700]; /* qname as a string literal's contents */
	size_t o = 0;
	for (const char *q = h->qname; *q && o + 2 < sizeof lit; q++) {
		if (*q == '\'')
			lit[o++] = '\'';
		lit[o++] = *q;
	}
	lit[o] = '\0';
	/* a dollar-quote tag that the body (which names the table) cannot contain */
	char tag[32] = "dbready";
	for (int i = 0; strstr(h->qname, tag); i++)
		snprintf(tag, sizeof tag, "dbready%d", i);
	snprintf(buf, cap,
	         "DO $%s$BEGIN\n"
	         "IF NOT pg_try_advisory_xact_lock(%lld) THEN\n"
	         "  RAISE EXCEPTION 'dbready: migration lock busy' USING ERRCODE = "
	         "'" SQLSTATE_LOCK_BUSY "';\n"
	         "END IF;\n"
	         "IF to_regclass('%s') IS NOT NULL THEN\n"
	         "  IF EXISTS (SELECT 1 FROM %s WHERE %s IN (%s)) THEN\n"
	         "    RAISE EXCEPTION 'dbready: already applied' USING ERRCODE = "
	         "'" SQLSTATE_ALREADY_APPLIED "';\n"
	         "  END IF;\n"
	         "END IF;\n"
	         "END$%s$",
	         tag, (long long)h->lock_key, lit, h->qname, col, n ? list : "NULL", tag);
	return buf;
}

const char *history_insert_sql(const struct history *h, const struct migration *m,
                               const char *applied_by, const char *duration_ms,
                               const char **params, int *nparams)
{
	static char sql[512];
	if (h->format == FORMAT_DRIZZLE) {
		/* the row drizzle-orm writes: hash and the journal's "when" */
		params[0] = m->hash;
		params[1] = m->key;
		*nparams = 2;
		snprintf(sql, sizeof sql,
		         "INSERT INTO %s (\"hash\", \"created_at\") VALUES ($1, $2)", h->qname);
	} else {
		params[0] = m->version;
		params[1] = m->name;
		params[2] = m->hash;
		params[3] = applied_by;
		params[4] = duration_ms;
		*nparams = duration_ms ? 5 : 4;
		/* duration: the transaction's age when its last statement runs */
		snprintf(
		        sql, sizeof sql,
		        "INSERT INTO %s (version, name, checksum, duration_ms, applied_by) VALUES "
		        "($1, $2, $3, %s, $4)",
		        h->qname,
		        duration_ms ? "$5::integer"
		                    : "(extract(epoch FROM clock_timestamp() - now()) * "
		                      "1000)::integer");
	}
	return sql;
}

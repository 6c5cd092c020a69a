/* invalid_index.c - find, report and drop invalid indexes a no-transaction migration names
 * (see invalid_index.h). */
#define _POSIX_C_SOURCE 200809L
#include "invalid_index.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "log.h"
#include "pipeline.h"
#include "sqlsplit.h"

/* ---------- reading one statement's tokens ---------- */

enum tok_type { TK_END, TK_WORD, TK_QUOTED, TK_UNREADABLE, TK_CHAR, TK_OTHER };

struct tok {
	enum tok_type type;
	char text[II_NAME_MAX + 1]; /* TK_WORD folded to lower case, TK_QUOTED unquoted; cut
	                             * as the server cuts identifiers */
	char ch;                    /* TK_CHAR */
};

struct lexer {
	const char *s;
	size_t len, i;
};

/* Cut an identifier of n bytes to II_NAME_MAX at a UTF-8 character boundary, as the server
 * does (truncate_identifier, pg_mbcliplen): the catalog holds the cut name. */
static void put_ident(struct tok *t, const char *s, size_t n, bool fold)
{
	if (n > II_NAME_MAX) {
		n = II_NAME_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	for (size_t k = 0; k < n; k++) {
		char c = s[k];
		/* downcase_identifier: ASCII only in a multi-byte encoding */
		t->text[k] = fold && c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	t->text[n] = '\0';
}

static bool ident_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

/* The next token of the statement: white space and comments skipped (the splitter has
 * already checked that strings and comments end inside the statement). */
static void next_tok(struct lexer *lx, struct tok *t)
{
	const char *s = lx->s;
	size_t len = lx->len, i = lx->i;
	memset(t, 0, sizeof *t);
	for (;;) {
		while (i < len && isspace((unsigned char)s[i]))
			i++;
		if (i + 1 < len && s[i] == '-' && s[i + 1] == '-') {
			while (i < len && s[i] != '\n' && s[i] != '\r')
				i++;
			continue;
		}
		if (i + 1 < len && s[i] == '/' && s[i + 1] == '*') {
			int depth = 1;
			i += 2;
			while (i < len && depth > 0) {
				if (i + 1 < len && s[i] == '/' && s[i + 1] == '*') {
					depth++;
					i += 2;
				} else if (i + 1 < len && s[i] == '*' && s[i + 1] == '/') {
					depth--;
					i += 2;
				} else {
					i++;
				}
			}
			continue;
		}
		break;
	}
	if (i >= len) {
		t->type = TK_END;
		lx->i = len;
		return;
	}
	unsigned char c = (unsigned char)s[i];
	if ((c == 'U' || c == 'u') && i + 2 < len && s[i + 1] == '&' && s[i + 2] == '"') {
		/* U&"d\0061t\+000061": escapes this reader does not decode; say so */
		t->type = TK_UNREADABLE;
		lx->i = len;
		return;
	}
	if (c == '"') {
		/* a quoted identifier: "" stands for one quote; kept as written, not folded.
		 * buf holds more than the 63 bytes the cut keeps, and the byte after them,
		 * which says where the character boundary is; the rest is not needed */
		char buf[4 * (II_NAME_MAX + 1)];
		size_t n = 0, k = i + 1;
		bool closed = false;
		while (k < len) {
			bool doubled = s[k] == '"' && k + 1 < len && s[k + 1] == '"';
			if (s[k] == '"' && !doubled) {
				closed = true;
				k++;
				break;
			}
			if (n < sizeof buf)
				buf[n++] = s[k];
			k += doubled ? 2 : 1;
		}
		lx->i = k;
		if (!closed || n == 0) {
			t->type = TK_UNREADABLE;
			return;
		}
		t->type = TK_QUOTED;
		put_ident(t, buf, n, false);
		return;
	}
	if (ident_start(c)) {
		size_t k = i;
		while (k < len && (ident_start((unsigned char)s[k]) ||
		                   isdigit((unsigned char)s[k]) || s[k] == '$'))
			k++;
		lx->i = k;
		t->type = TK_WORD;
		put_ident(t, s + i, k - i, true);
		return;
	}
	if (c == '\'' || c == '$' || isdigit(c)) {
		/* a string, dollar quote or number: never part of what is read here, and it
		 * ends the reading (nothing after it is looked at) */
		t->type = TK_OTHER;
		lx->i = len;
		return;
	}
	t->type = TK_CHAR;
	t->ch = (char)c;
	lx->i = i + 1;
}

static bool kw(const struct tok *t, const char *word)
{
	return t->type == TK_WORD && strcmp(t->text, word) == 0;
}

static bool is_name(const struct tok *t)
{
	return t->type == TK_WORD || t->type == TK_QUOTED;
}

/* [catalog.][schema.]name starting at t (already read): the last two parts into schema and
 * name. Leaves t at the token after the name. False when it is not a name. */
static bool qualified(struct lexer *lx, struct tok *t, char *schema, char *name)
{
	char parts[3][II_NAME_MAX + 1];
	int n = 0;
	for (;;) {
		if (!is_name(t) || n == 3)
			return false;
		memcpy(parts[n++], t->text, sizeof parts[0]);
		next_tok(lx, t);
		if (t->type != TK_CHAR || t->ch != '.')
			break;
		next_tok(lx, t);
	}
	memcpy(name, parts[n - 1], II_NAME_MAX + 1);
	if (n >= 2)
		memcpy(schema, parts[n - 2], II_NAME_MAX + 1);
	else
		schema[0] = '\0';
	return true;
}

/* CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] [name] ON [ONLY] table (gram.y
 * IndexStmt: the name cannot be qualified; the index goes to the table's schema) */
static bool parse_create(struct lexer *lx, struct tok *t, struct ii_target *out)
{
	next_tok(lx, t);
	if (kw(t, "unique"))
		next_tok(lx, t);
	if (!kw(t, "index"))
		return false;
	next_tok(lx, t);
	if (!kw(t, "concurrently"))
		return false; /* in a transaction: a failure rolls the index back */
	next_tok(lx, t);
	bool ine = false;
	if (kw(t, "if")) {
		next_tok(lx, t);
		if (!kw(t, "not"))
			return false;
		next_tok(lx, t);
		if (!kw(t, "exists"))
			return false;
		next_tok(lx, t);
		ine = true;
	}
	if (!kw(t, "on")) { /* ON is reserved: anything else is the name */
		if (!is_name(t))
			return false;
		memcpy(out->name, t->text, sizeof out->name);
		next_tok(lx, t);
		if (!kw(t, "on"))
			return false;
	} else if (ine) {
		return false; /* IF NOT EXISTS needs a name: a syntax error */
	}
	next_tok(lx, t);
	if (kw(t, "only"))
		next_tok(lx, t);
	if (!qualified(lx, t, out->schema, out->table))
		return false;
	out->kind = II_CREATE_INDEX;
	return true;
}

/* REINDEX [(options)] {INDEX|TABLE|SCHEMA|DATABASE} [CONCURRENTLY] name, CONCURRENTLY
 * either after the kind or among the options (PostgreSQL 14) */
static bool parse_reindex(struct lexer *lx, struct tok *t, struct ii_target *out)
{
	bool conc = false;
	next_tok(lx, t);
	if (t->type == TK_CHAR && t->ch == '(') {
		int depth = 1;
		while (depth > 0) {
			next_tok(lx, t);
			if (t->type == TK_END || t->type == TK_UNREADABLE)
				return false;
			if (t->type == TK_OTHER) /* CONCURRENTLY 'off' and the like */
				return false;
			if (t->type == TK_CHAR && t->ch == '(')
				depth++;
			else if (t->type == TK_CHAR && t->ch == ')')
				depth--;
			else if (kw(t, "concurrently"))
				conc = true;
			else if (conc && (kw(t, "false") || kw(t, "off")))
				conc = false;
		}
		next_tok(lx, t);
	}
	enum ii_kind kind = kw(t, "index")      ? II_REINDEX_INDEX
	                    : kw(t, "table")    ? II_REINDEX_TABLE
	                    : kw(t, "schema")   ? II_REINDEX_SCHEMA
	                    : kw(t, "database") ? II_REINDEX_DATABASE
	                                        : II_NONE;
	if (kind == II_NONE)
		return false;
	next_tok(lx, t);
	if (kw(t, "concurrently")) {
		conc = true;
		next_tok(lx, t);
	}
	if (!conc)
		return false;
	out->kind = kind;
	if (kind == II_REINDEX_DATABASE)
		return true;
	if (kind == II_REINDEX_SCHEMA) {
		if (!is_name(t))
			return false;
		memcpy(out->name, t->text, sizeof out->name);
		return true;
	}
	char *name = kind == II_REINDEX_INDEX ? out->name : out->table;
	if (!qualified(lx, t, out->schema, name)) {
		out->kind = II_NONE;
		return false;
	}
	return true;
}

bool ii_parse(const char *sql, size_t len, struct ii_target *t)
{
	memset(t, 0, sizeof *t);
	struct lexer lx = {sql, len, 0};
	struct tok k;
	next_tok(&lx, &k);
	bool ok = false;
	if (kw(&k, "create"))
		ok = parse_create(&lx, &k, t);
	else if (kw(&k, "reindex"))
		ok = parse_reindex(&lx, &k, t);
	if (!ok)
		memset(t, 0, sizeof *t);
	return ok;
}

/* Whether sql is DROP INDEX ... naming schema.name (an unqualified name in the list matches
 * any schema: it is resolved through the search path, which this reader does not know). */
static bool drops(const char *sql, size_t len, const char *schema, const char *name)
{
	struct lexer lx = {sql, len, 0};
	struct tok t;
	next_tok(&lx, &t);
	if (!kw(&t, "drop"))
		return false;
	next_tok(&lx, &t);
	if (!kw(&t, "index"))
		return false;
	next_tok(&lx, &t);
	if (kw(&t, "concurrently"))
		next_tok(&lx, &t);
	if (kw(&t, "if")) {
		next_tok(&lx, &t);
		next_tok(&lx, &t);
	}
	for (;;) {
		char s[II_NAME_MAX + 1], n[II_NAME_MAX + 1];
		if (!qualified(&lx, &t, s, n))
			return false;
		if (strcmp(n, name) == 0 && (!s[0] || strcmp(s, schema) == 0))
			return true;
		if (t.type != TK_CHAR || t.ch != ',')
			return false;
		next_tok(&lx, &t);
	}
}

bool ii_quote_qualified(const char *schema, const char *name, char *out, size_t cap)
{
	size_t n = 0;
	const char *parts[2] = {schema, name};
	for (int p = 0; p < 2; p++) {
		if (!parts[p][0] && p == 0)
			continue; /* no schema: a bare quoted name */
		if (n && n < cap)
			out[n++] = '.';
		if (n < cap)
			out[n++] = '"';
		for (const char *c = parts[p]; *c; c++) {
			if (*c == '"' && n < cap)
				out[n++] = '"';
			if (n < cap)
				out[n++] = *c;
		}
		if (n < cap)
			out[n++] = '"';
	}
	if (n >= cap) {
		if (cap)
			out[0] = '\0';
		return false;
	}
	out[n] = '\0';
	return true;
}

/* ---------- looking at the catalog ---------- */

struct found {
	char schema[II_NAME_MAX + 1], name[II_NAME_MAX + 1], table[II_NAME_MAX + 1];
	bool ready;
};

struct found_list {
	struct found *v;
	int n, cap;
};

/* a quoted name is at most 2 * 63 bytes, two quotes */
#define QNAME_MAX (2 * (2 * II_NAME_MAX + 2) + 2)

static const char find_head[] = "SELECT n.nspname, c.relname, t.relname, i.indisready "
                                "FROM pg_catalog.pg_index i "
                                "JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
                                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                                "JOIN pg_catalog.pg_class t ON t.oid = i.indrelid "
                                "WHERE NOT (i.indisvalid AND i.indisready) AND ";

/* The condition that picks the indexes target names, and its parameters (a statement with
 * a parameter it does not use would be an error in the server's log). */
static int target_query(const struct ii_target *tg, char *sql, size_t cap, char *p1,
                        const char **params)
{
	const char *cond = NULL;
	int np = 0;
	switch (tg->kind) {
	case II_CREATE_INDEX:
		ii_quote_qualified(tg->schema, tg->table, p1, QNAME_MAX);
		params[0] = p1;
		if (tg->name[0]) {
			cond = "i.indrelid = pg_catalog.to_regclass($1) AND c.relname = $2";
			params[1] = tg->name;
			np = 2;
		} else {
			cond = "i.indrelid = pg_catalog.to_regclass($1)";
			np = 1;
		}
		break;
	case II_REINDEX_INDEX:
		/* index_concurrently_create_copy names the copy <name>_ccnew[N]; the swap
		 * renames the old one <name>_ccold[N]: those are what a failure leaves */
		ii_quote_qualified(tg->schema, tg->name, p1, QNAME_MAX);
		params[0] = p1;
		params[1] = tg->name;
		cond = "i.indrelid = (SELECT x.indrelid FROM pg_catalog.pg_index x "
		       "WHERE x.indexrelid = pg_catalog.to_regclass($1)) "
		       "AND pg_catalog.left(c.relname, pg_catalog.length($2)) = $2 "
		       "AND pg_catalog.substr(c.relname, pg_catalog.length($2) + 1) "
		       "~ '^_cc(new|old)[0-9]*$'";
		np = 2;
		break;
	case II_REINDEX_TABLE:
		/* REINDEX TABLE CONCURRENTLY skips the table's invalid indexes (a WARNING) */
		ii_quote_qualified(tg->schema, tg->table, p1, QNAME_MAX);
		params[0] = p1;
		cond = "i.indrelid = pg_catalog.to_regclass($1)";
		np = 1;
		break;
	case II_REINDEX_SCHEMA:
		params[0] = tg->name;
		cond = "n.nspname = $1";
		np = 1;
		break;
	case II_REINDEX_DATABASE:
		cond = "n.nspname <> 'pg_catalog'";
		break;
	case II_NONE:
		return -1;
	}
	snprintf(sql, cap, "%s%s ORDER BY 1, 2", find_head, cond);
	return np;
}

/* e for a query that failed or got no answer */
static int query_failed(PGconn *conn, PGresult *res, const struct pipe_outcome *o,
                        const char *what, struct err *e)
{
	if (res) {
		err_set(e, EXIT_APPLY, "invalid_index", NULL,
		        PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL), "could not %s: %s", what,
		        PQresultErrorMessage(res));
		PQclear(res);
		return e->code;
	}
	char doing[96];
	snprintf(doing, sizeof doing, "trying to %s", what);
	return pipeline_no_answer(conn, o, doing, e);
}

static bool add_found(struct found_list *fl, PGresult *r, int row)
{
	const char *s = PQgetvalue(r, row, 0), *n = PQgetvalue(r, row, 1);
	for (int k = 0; k < fl->n; k++)
		if (strcmp(fl->v[k].schema, s) == 0 && strcmp(fl->v[k].name, n) == 0)
			return true;
	if (fl->n == fl->cap) {
		int nc = fl->cap ? fl->cap * 2 : 4;
		struct found *v = realloc(fl->v, (size_t)nc * sizeof *v);
		if (!v)
			return false;
		fl->v = v;
		fl->cap = nc;
	}
	struct found *f = &fl->v[fl->n++];
	/* catalog names are at most 63 bytes */
	snprintf(f->schema, sizeof f->schema, "%s", s);
	snprintf(f->name, sizeof f->name, "%s", n);
	snprintf(f->table, sizeof f->table, "%s", PQgetvalue(r, row, 2));
	f->ready = strcmp(PQgetvalue(r, row, 3), "t") == 0;
	return true;
}

/* Whether statement s of m is preceded in m by a DROP INDEX of f (the file drops it first:
 * it is not in the way). */
static bool dropped_before(const struct migration *m, int s, const struct found *f)
{
	for (int k = 0; k < s; k++) {
		const struct sql_stmt *st = &m->stmts.stmts[k];
		if (drops(m->text + st->start, st->len, f->schema, f->name))
			return true;
	}
	return false;
}

/* Invalid indexes named by statements 0..upto of m into fl; before: leave out those the
 * file drops before the statement that names them. EXIT_DONE or an exit code with e. */
static int find(PGconn *conn, const struct migration *m, int upto, bool before,
                struct found_list *fl, struct err *e)
{
	for (int s = 0; s <= upto && s < m->stmts.n; s++) {
		const struct sql_stmt *st = &m->stmts.stmts[s];
		struct ii_target tg;
		if (!ii_parse(m->text + st->start, st->len, &tg))
			continue;
		char sql[sizeof find_head + 512], p1[QNAME_MAX];
		const char *params[2] = {NULL, NULL};
		int np = target_query(&tg, sql, sizeof sql, p1, params);
		PGresult *r = NULL;
		struct pipe_outcome o;
		if (!pipeline_query(conn, sql, params, np, &r, &o))
			return query_failed(conn, r, &o, "look for invalid indexes", e);
		for (int row = 0; row < PQntuples(r); row++) {
			struct found f;
			snprintf(f.schema, sizeof f.schema, "%s", PQgetvalue(r, row, 0));
			snprintf(f.name, sizeof f.name, "%s", PQgetvalue(r, row, 1));
			if (before && dropped_before(m, s, &f))
				continue;
			if (!add_found(fl, r, row)) {
				PQclear(r);
				return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL,
				               "out of memory");
			}
		}
		PQclear(r);
	}
	return EXIT_DONE;
}

/* The list as `"s"."n"` names and as DROP statements (malloc'd; NULL when out of memory). */
static char *describe(const struct found_list *fl, bool drops_too)
{
	size_t cap = 64 + (size_t)fl->n * (QNAME_MAX + 48), n = 0;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (int k = 0; k < fl->n; k++) {
		char q[QNAME_MAX];
		ii_quote_qualified(fl->v[k].schema, fl->v[k].name, q, sizeof q);
		n += (size_t)snprintf(out + n, cap - n,
		                      drops_too ? "%sDROP INDEX CONCURRENTLY IF EXISTS %s;"
		                                : "%s%s",
		                      k ? (drops_too ? " " : ", ") : "", q);
	}
	return out;
}

int invalid_index_before(PGconn *conn, const struct migration *m, bool drop, struct err *e)
{
	struct found_list fl = {NULL, 0, 0};
	int rc = find(conn, m, m->stmts.n - 1, true, &fl, e);
	if (rc != EXIT_DONE || fl.n == 0)
		goto out;
	if (!drop) {
		char *names = describe(&fl, false), *stmts = describe(&fl, true);
		char *hint = stmts ? log_dupf("Drop %s, then run dbready again: %s Or run with "
		                              "--drop-invalid-indexes, which drops %s first.",
		                              fl.n == 1 ? "it" : "them", stmts,
		                              fl.n == 1 ? "it" : "them")
		                   : NULL;
		if (!names || !hint) {
			rc = err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		} else {
			const char *them = fl.n == 1 ? "it" : "them";
			char *detail = log_dupf(
			        "A CREATE INDEX or REINDEX CONCURRENTLY that failed or was "
			        "stopped "
			        "left %s behind, marked invalid (pg_index.indisvalid = false): "
			        "the "
			        "server keeps %s up to date but never uses %s, and CREATE INDEX "
			        "CONCURRENTLY IF NOT EXISTS would skip %s and succeed. Nothing of "
			        "\"%s\" ran.",
			        them, them, them, them, m->name);
			rc = err_set(e, EXIT_MIGRATIONS, "invalid_index", hint,
			             detail ? detail : "(out of memory)",
			             "migration \"%s\" names invalid index%s %s", m->name,
			             fl.n == 1 ? "" : "es", names);
			free(detail);
			snprintf(e->migration, sizeof e->migration, "%s", m->name);
		}
		free(names);
		free(stmts);
		free(hint);
		goto out;
	}
	for (int k = 0; k < fl.n; k++) {
		char q[QNAME_MAX], sql[QNAME_MAX + 48];
		ii_quote_qualified(fl.v[k].schema, fl.v[k].name, q, sizeof q);
		snprintf(sql, sizeof sql, "DROP INDEX CONCURRENTLY IF EXISTS %s", q);
		log_info("dropping invalid index %s on \"%s\" before \"%s\" "
		         "(--drop-invalid-indexes): %s",
		         q, fl.v[k].table, m->name, sql);
		PGresult *r = NULL;
		struct pipe_outcome o;
		if (!pipeline_query(conn, sql, NULL, 0, &r, &o)) {
			char what[QNAME_MAX + 48];
			snprintf(what, sizeof what, "drop invalid index %s", q);
			rc = query_failed(conn, r, &o, what, e);
			goto out;
		}
		PQclear(r);
	}
out:
	free(fl.v);
	return rc;
}

int invalid_index_after(PGconn *conn, const struct migration *m, struct err *e)
{
	struct found_list fl = {NULL, 0, 0};
	int rc = find(conn, m, m->stmts.n - 1, false, &fl, e);
	if (rc != EXIT_DONE || fl.n == 0)
		goto out;
	char *names = describe(&fl, false), *stmts = describe(&fl, true);
	char *hint = stmts ? log_dupf("Drop %s (%s), then run dbready again, or run it with "
	                              "--drop-invalid-indexes.",
	                              fl.n == 1 ? "it" : "them", stmts)
	                   : NULL;
	if (!names || !hint) {
		rc = err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	} else {
		rc = err_set(
		        e, EXIT_APPLY, "invalid_index", hint,
		        "Every statement succeeded, yet the index is invalid: CREATE INDEX "
		        "CONCURRENTLY IF NOT EXISTS skipped an invalid index of that name, or "
		        "another session is building it. The statements stay committed.",
		        "migration \"%s\" left invalid index%s %s; it is not recorded as "
		        "applied",
		        m->name, fl.n == 1 ? "" : "es", names);
		snprintf(e->migration, sizeof e->migration, "%s", m->name);
	}
	free(names);
	free(stmts);
	free(hint);
out:
	free(fl.v);
	return rc;
}

int invalid_index_dry_run(PGconn *conn, const struct migset *set, bool allow_ooo, bool drop)
{
	int total = 0;
	for (int i = 0; i < set->n; i++) {
		const struct migration *m = &set->m[i];
		if (!(m->state == MIG_PENDING || (m->state == MIG_OUT_OF_ORDER && allow_ooo)))
			continue;
		struct found_list fl = {NULL, 0, 0};
		struct err e;
		memset(&e, 0, sizeof e);
		if (find(conn, m, m->stmts.n - 1, true, &fl, &e) != EXIT_DONE) {
			log_warn("dry run: could not look for invalid indexes \"%s\" names: %s",
			         m->name, e.msg);
		} else if (fl.n > 0) {
			char *stmts = describe(&fl, true);
			bool one = fl.n == 1;
			log_warn("dry run: migration \"%s\" names %d invalid index%s; run would "
			         "%s: %s",
			         m->name, fl.n, one ? "" : "es",
			         drop ? (one ? "drop it first (--drop-invalid-indexes)"
			                     : "drop them first (--drop-invalid-indexes)")
			              : (one ? "refuse it (exit 6) until it is dropped"
			                     : "refuse it (exit 6) until they are dropped"),
			         stmts ? stmts : "(out of memory)");
			free(stmts);
			total += fl.n;
		}
		free(fl.v);
	}
	return total;
}

void invalid_index_note_failure(PGconn *conn, const struct migration *m, struct err *e)
{
	if (PQstatus(conn) != CONNECTION_OK || PQtransactionStatus(conn) != PQTRANS_IDLE)
		return;
	struct found_list fl = {NULL, 0, 0};
	struct err fe;
	memset(&fe, 0, sizeof fe);
	if (find(conn, m, m->stmts.n - 1, false, &fl, &fe) == EXIT_DONE && fl.n > 0) {
		char *stmts = describe(&fl, true);
		char *hint = stmts ? log_dupf("%s%sThe failed build left %s behind, invalid: %s "
		                              "(or run again with --drop-invalid-indexes).",
		                              e->hint, e->hint[0] ? " " : "",
		                              fl.n == 1 ? "an index" : "indexes", stmts)
		                   : NULL;
		if (hint)
			log_cut_copy(e->hint, sizeof e->hint, hint);
		free(stmts);
		free(hint);
	}
	free(fl.v);
}

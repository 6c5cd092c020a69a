/* apply.c - apply pending migrations exactly once, and report what the server observed. */
#define _POSIX_C_SOURCE 200809L
#include "apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backoff.h"
#include "exitcode.h"
#include "failure.h"
#include "invalid_index.h"
#include "lockwatch.h"
#include "log.h"
#include "pipeline.h"
#include "signals.h"
#include "version.h"

/* ---------- how a migration runs ---------- */

const char *apply_no_tx_reason(const struct format *f, const struct migration *m,
                               int server_version)
{
	if (m->directive_no_tx)
		return f->no_tx_says ? f->no_tx_says : "the file says -- dbready:no-transaction";
	for (int i = 0; i < m->stmts.n; i++) {
		const char *why = sql_needs_no_transaction(&m->stmts.stmts[i], server_version);
		if (why)
			return why;
	}
	return NULL;
}

/* The first top-level BEGIN/COMMIT/ROLLBACK of m, or NULL. */
static const struct sql_stmt *own_tx_control(const struct migration *m)
{
	for (int i = 0; i < m->stmts.n; i++)
		if (m->stmts.stmts[i].kind == SQL_KIND_TX_CONTROL)
			return &m->stmts.stmts[i];
	return NULL;
}

/* Migrations that cannot join dbready's transaction run in one session under a session lock:
 * statements PostgreSQL refuses in a transaction block, and files with their own BEGIN and
 * COMMIT (a COMMIT would end dbready's transaction, and its lock, half-way). */
static bool needs_session(const struct format *f, const struct migration *m, int server_version)
{
	return apply_no_tx_reason(f, m, server_version) || own_tx_control(m);
}

/* ---------- the context ---------- */

struct apply_ctx {
	PGconn *conn;
	const struct config *cfg;
	struct migset *set;
	struct history *h;
	char applied_by[300];         /* a host name (at most 255 bytes) and the version */
	char lock_key[24];            /* h->lock_key as text */
	char tool_lock_key[24];       /* h->tool_lock_key as text (h->has_tool_lock) */
	char set_timeout[64];         /* SET LOCAL statement_timeout = ... */
	char set_session_timeout[64]; /* SET statement_timeout = ... */
	int server_version;
	struct backoff lock_backoff;
	struct lockwatch watch;
	struct apply_summary *sum;
};

static void note(struct apply_ctx *c, struct migration *m, int64_t ms)
{
	m->state = MIG_APPLIED;
	m->applied_now = true;
	m->apply_ms = ms;
	struct apply_summary *sum = c->sum;
	if (!sum->first)
		sum->first = m->name;
	sum->last = m->name;
	sum->applied++;
	if (ms >= 0) {
		struct log_fields lf = LOG_FIELDS_INIT;
		lf.event = "migration_applied";
		lf.migration = m->name;
		lf.duration_ms = ms;
		log_emit(LOG_INFO, &lf, "applied %s in %lld ms", m->name, (long long)ms);
	}
}

/* ---------- one transaction: its items ---------- */

/*
 * A transaction is opened by [BEGIN ISOLATION LEVEL READ COMMITTED, SET LOCAL
 * statement_timeout, the try-lock, the history check] and a Sync: pg_try_advisory_xact_lock
 * takes the lock without waiting, and the check (history_guard_sql), a statement of its own
 * so that its snapshot is taken after the lock is held, says whether the history changed
 * since it was read. (In one statement, the snapshot would predate the lock: a runner whose
 * try-lock succeeds just after another runner committed would not see that commit and apply
 * the same migration again.) Only then is the body sent: [CREATE SCHEMA, CREATE TABLE] when
 * the history table is new, every statement of every migration followed by its history row,
 * COMMIT - and, when another migration follows, the next transaction's opening, all before
 * one Sync. So a run of n migrations costs n + 1 round trips, and a runner that loses the race
 * rolls back a transaction that did nothing: no statement ever fails on purpose, and the
 * server logs no error.
 */
enum item_kind {
	IT_BEGIN,
	IT_TIMEOUT,
	IT_LOCK,
	IT_GUARD,
	IT_SCHEMA,
	IT_TABLE,
	IT_STMT,
	IT_ROW,
	IT_COMMIT
};

/* the opening: BEGIN, SET LOCAL statement_timeout, the try-lock, the history check */
#define OPEN_ITEMS 4

struct guard {
	bool open;    /* a transaction is open with its guard answered */
	bool locked;  /* the guard took the lock */
	bool changed; /* the history changed since it was read */
};

struct txgen {
	struct apply_ctx *c;
	const int *idx; /* the body's migrations (n = 0: only an opening) */
	int n;
	bool create; /* the body creates the history table */
	/* strings the items point to while they are sent */
	char *keys; /* the opening guard's $2 */
	const char *lock_params[2];
	const char *guard_params[1];
	char guard_sql[HISTORY_SQL_MAX];
	char schema_sql[HISTORY_SQL_MAX];
	struct fsql_list table; /* the statements that create the history table */
	int nrow;               /* statements that record one migration */
	struct fsql_list row;   /* those of row_mig */
	int row_mig;            /* the body migration row holds, -1 = none yet */
	PGresult *lock_res, *guard_res, *commit_res;
	/* where locate() last found a migration: items are asked for in order, so the walk
	 * goes on from there (a run of n migrations in one transaction stays linear) */
	int cur_mig;  /* a body migration, from 0 */
	int cur_base; /* the body-relative item index of its first statement */
};

/* the history table's creation: CREATE SCHEMA, then the format's statements */
static int create_items(const struct txgen *g)
{
	return g->create ? 1 + g->table.n : 0;
}

static int body_items(const struct txgen *g)
{
	if (g->n == 0)
		return 0;
	int k = create_items(g);
	for (int i = 0; i < g->n; i++)
		k += g->c->set->m[g->idx[i]].stmts.n + g->nrow;
	return k + 1;
}

/* Map item i to what it is (and its migration and statement; for IT_TABLE and IT_ROW,
 * *stmt is the history statement's index). */
static enum item_kind locate(struct txgen *g, int i, int *mig, int *stmt)
{
	*mig = *stmt = -1;
	if (g->n > 0) {
		int nc = create_items(g);
		if (i < nc) {
			*stmt = i - 1;
			return i == 0 ? IT_SCHEMA : IT_TABLE;
		}
		i -= nc;
		if (i < g->cur_base) /* asked out of order (a failure's item): walk again */
			g->cur_mig = g->cur_base = 0;
		for (int k = g->cur_mig; k < g->n; k++) {
			int ns = g->c->set->m[g->idx[k]].stmts.n;
			if (i - g->cur_base < ns + g->nrow) {
				int at = i - g->cur_base;
				g->cur_mig = k;
				*mig = k;
				*stmt = at < ns ? at : at - ns;
				return at < ns ? IT_STMT : IT_ROW;
			}
			g->cur_base += ns + g->nrow;
		}
		g->cur_mig = g->n;
		i -= g->cur_base;
		if (i == 0)
			return IT_COMMIT;
		i--;
	}
	return i == 0 ? IT_BEGIN : i == 1 ? IT_TIMEOUT : i == 2 ? IT_LOCK : IT_GUARD;
}

static void gen_item(void *ctx, int i, struct pipe_item *it)
{
	struct txgen *g = ctx;
	struct apply_ctx *c = g->c;
	int mig, stmt;
	switch (locate(g, i, &mig, &stmt)) {
	case IT_BEGIN:
		/* READ COMMITTED whatever default_transaction_isolation says: the history check
		 * must take its snapshot after the lock is held, which a REPEATABLE READ
		 * transaction (its snapshot taken at the try-lock) would not */
		it->sql = "BEGIN ISOLATION LEVEL READ COMMITTED";
		break;
	case IT_LOCK:
		/* the tool's own lock beside dbready's: a pod still running the tool and one
		 * running dbready never apply the same migration (formats.md) */
		it->sql = c->h->has_tool_lock ? "SELECT pg_try_advisory_xact_lock($1::bigint) AND "
		                                "pg_try_advisory_xact_lock($2::bigint)"
		                              : "SELECT pg_try_advisory_xact_lock($1::bigint)";
		it->params = g->lock_params;
		it->nparams = c->h->has_tool_lock ? 2 : 1;
		it->keep = &g->lock_res;
		break;
	case IT_TIMEOUT:
		it->sql = c->set_timeout;
		break;
	case IT_GUARD:
		it->sql = g->guard_sql;
		it->params = g->guard_params;
		it->nparams = 1;
		it->keep = &g->guard_res;
		break;
	case IT_SCHEMA:
		it->sql = g->schema_sql;
		break;
	case IT_TABLE:
		it->sql = g->table.s[stmt].text;
		it->params = g->table.s[stmt].params;
		it->nparams = g->table.s[stmt].nparams;
		break;
	case IT_STMT: {
		struct migration *m = &c->set->m[g->idx[mig]];
		const struct sql_stmt *st = &m->stmts.stmts[stmt];
		it->sql = m->text + st->start;
		it->len = st->len;
		/* the byte after a statement is its ';' or the text's terminating NUL */
		it->nul_at = m->text + st->start + st->len;
		return;
	}
	case IT_ROW: {
		if (g->row_mig != mig) {
			history_record_sql(c->h, &c->set->m[g->idx[mig]], c->applied_by, NULL,
			                   &g->row);
			g->row_mig = mig;
		}
		it->sql = g->row.s[stmt].text;
		it->params = g->row.s[stmt].params;
		it->nparams = g->row.s[stmt].nparams;
		break;
	}
	case IT_COMMIT:
		it->sql = "COMMIT";
		it->keep = &g->commit_res;
		break;
	}
	it->len = strlen(it->sql);
}

/* Set up the opening items for migrations idx[0..n) (the guard's SQL and parameters).
 * exists: whether the history table exists when the guard runs. */
static bool gen_opening(struct txgen *g, const int *idx, int n, bool exists)
{
	struct apply_ctx *c = g->c;
	history_guard_sql(c->h, exists, g->guard_sql, sizeof g->guard_sql);
	g->lock_params[0] = c->lock_key;
	g->lock_params[1] = c->tool_lock_key;
	if (exists) {
		struct migration **ms = malloc((size_t)(n ? n : 1) * sizeof *ms);
		if (!ms)
			return false;
		for (int i = 0; i < n; i++)
			ms[i] = &c->set->m[idx[i]];
		g->keys = history_keys_array(ms, n);
		free(ms);
		if (!g->keys)
			return false;
		g->guard_params[0] = g->keys;
	} else {
		g->guard_params[0] = c->h->qname;
	}
	return true;
}

static void gen_free(struct txgen *g)
{
	free(g->keys);
	PQclear(g->lock_res);
	PQclear(g->guard_res);
	PQclear(g->commit_res);
	memset(g, 0, sizeof *g);
}

/* Read the opening's answers (the try-lock's and the history check's) into gd. */
static void read_guard(PGresult *lock, PGresult *check, struct guard *gd)
{
	gd->open = lock && check && PQresultStatus(lock) == PGRES_TUPLES_OK &&
	           PQntuples(lock) == 1 && PQresultStatus(check) == PGRES_TUPLES_OK &&
	           PQntuples(check) == 1;
	gd->locked = gd->open && strcmp(PQgetvalue(lock, 0, 0), "t") == 0;
	gd->changed = gd->open && strcmp(PQgetvalue(check, 0, 0), "t") == 0;
}

static const char *plural(int n)
{
	return n == 1 ? "" : "s";
}

/* Open a transaction for idx[0..n): BEGIN, timeout, guard, Sync. */
static int open_tx(struct apply_ctx *c, const int *idx, int n, struct guard *gd, struct err *e)
{
	struct txgen g = {.c = c, .n = 0};
	memset(gd, 0, sizeof *gd);
	if (!gen_opening(&g, idx, n, c->h->exists)) {
		gen_free(&g);
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	}
	struct pipe_source src = {OPEN_ITEMS, gen_item, &g};
	struct pipe_outcome o;
	pipeline_run(c->conn, &src, NULL, &o);
	int rc = EXIT_DONE;
	if (o.failed >= 0) {
		const char *st = PQresultErrorField(o.failed_res, PG_DIAG_SQLSTATE);
		rc = err_set(e, EXIT_APPLY, "history_failed",
		             "Check that the role may read the history table and create in its "
		             "schema (USAGE and CREATE).",
		             PQresultErrorField(o.failed_res, PG_DIAG_MESSAGE_DETAIL),
		             "could not start the transaction of \"%s\": %s",
		             c->set->m[idx[0]].name, PQresultErrorMessage(o.failed_res));
		snprintf(e->sqlstate, sizeof e->sqlstate, "%s", st ? st : "");
		PQclear(o.failed_res);
	} else if (o.broken || !g.lock_res || !g.guard_res) {
		rc = pipeline_no_answer(c->conn, &o, "taking the migration lock", e);
	}
	if (rc == EXIT_DONE)
		read_guard(g.lock_res, g.guard_res, gd);
	gen_free(&g);
	if (rc != EXIT_DONE || !gd->locked || gd->changed)
		pipeline_rollback(c->conn);
	if (rc == EXIT_DONE && signals_caught()) {
		pipeline_rollback(c->conn);
		int sig = signals_caught();
		rc = err_set(e, EXIT_SIGNAL_BASE + sig, "signal", NULL, NULL,
		             "stopped by %s before \"%s\" started", signals_name(sig),
		             c->set->m[idx[0]].name);
	}
	if (rc != EXIT_DONE)
		memset(gd, 0, sizeof *gd);
	return rc;
}

/* The body of the open transaction: idx[0..n), COMMIT, and the opening of next[0..nnext)
 * when next is not NULL (gd then describes that transaction). EXIT_DONE when it committed. */
static int body_tx(struct apply_ctx *c, const int *idx, int n, const int *next, int nnext,
                   struct guard *gd, struct err *e)
{
	struct txgen g = {.c = c, .idx = idx, .n = n, .create = !c->h->exists, .row_mig = -1};
	if (g.create) {
		/* created under the lock: concurrent CREATE TABLE IF NOT EXISTS can collide */
		history_create_schema_sql(c->h, g.schema_sql, sizeof g.schema_sql);
		history_create_table_sql(c->h, &g.table);
	}
	/* a format writes the same number of statements for every migration */
	history_record_sql(c->h, &c->set->m[idx[0]], c->applied_by, NULL, &g.row);
	g.nrow = g.row.n;
	g.row_mig = 0;
	/* once this commits the table exists, so the next guard looks at its rows */
	if (next && !gen_opening(&g, next, nnext, true)) {
		gen_free(&g);
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	}
	int nbody = body_items(&g);
	struct pipe_source src = {nbody + (next ? OPEN_ITEMS : 0), gen_item, &g};
	struct pipe_outcome o;
	pipeline_run(c->conn, &src, lockwatch_start(&c->watch, c->conn, c->set->m[idx[0]].name),
	             &o);
	memset(gd, 0, sizeof *gd);
	const struct migration *m0 = &c->set->m[idx[0]];
	bool committed = g.commit_res && strcmp(PQcmdStatus(g.commit_res), "COMMIT") == 0;
	int rc = EXIT_DONE;
	const char *what = n == 1 ? "it was rolled back: nothing of it remains"
	                          : "the one transaction of every pending migration was rolled "
	                            "back: nothing of them remains";
	if (committed) {
		c->h->exists = true;
		read_guard(g.lock_res, g.guard_res, gd);
		if (next && !gd->open)
			pipeline_rollback(c->conn); /* the next opening did not finish */
	} else if (o.failed >= 0 && o.failed < nbody) {
		int mig, stmt;
		enum item_kind k = locate(&g, o.failed, &mig, &stmt);
		const char *st = PQresultErrorField(o.failed_res, PG_DIAG_SQLSTATE);
		int sig = signals_caught();
		char after[256];
		snprintf(after, sizeof after, "The migration is not recorded; %s.", what);
		bool session_gone =
		        PQstatus(c->conn) == CONNECTION_BAD ||
		        (st && (strncmp(st, "57P0", 4) == 0 || strncmp(st, "08", 2) == 0));
		if (session_gone) {
			/* the server ended the session (pg_terminate_backend, a shutdown): an
			 * error before the COMMIT ran means the transaction did not commit */
			const char *msg =
			        PQresultErrorField(o.failed_res, PG_DIAG_MESSAGE_PRIMARY);
			rc = err_set(
			        e, EXIT_APPLY, "connection_lost",
			        "The server ended the session (pg_terminate_backend, a restart or "
			        "a failover); run dbready again.",
			        "The server ended the session before the COMMIT ran, so the "
			        "transaction did not commit: nothing of it remains.",
			        "lost the connection while applying \"%s\": %s",
			        mig >= 0 ? c->set->m[idx[mig]].name : m0->name,
			        msg ? msg : PQresultErrorMessage(o.failed_res));
			snprintf(e->sqlstate, sizeof e->sqlstate, "%s", st ? st : "");
		} else if (o.signalled && sig && st && strcmp(st, "57014") == 0) {
			rc = err_set(e, EXIT_SIGNAL_BASE + sig, "signal",
			             "Run dbready again: it applies what is not recorded.", NULL,
			             "stopped by %s while applying \"%s\"; %s", signals_name(sig),
			             mig >= 0 ? c->set->m[idx[mig]].name : m0->name, what);
		} else if (k == IT_STMT) {
			const struct migration *m = &c->set->m[idx[mig]];
			rc = failure_report(m, &m->stmts.stmts[stmt], o.failed_res, c->conn, after,
			                    e);
		} else if (k == IT_COMMIT && n == 1) {
			rc = failure_report(m0, NULL, o.failed_res, c->conn, after, e);
		} else {
			const char *part = k == IT_ROW      ? "recording it in the history table"
			                   : k == IT_COMMIT ? "COMMIT"
			                                    : "creating the history table";
			const char *msg =
			        PQresultErrorField(o.failed_res, PG_DIAG_MESSAGE_PRIMARY);
			rc = err_set(e, EXIT_APPLY,
			             k == IT_COMMIT ? "migration_failed" : "history_failed",
			             k == IT_COMMIT ? "A deferred constraint or trigger was "
			                              "checked at COMMIT; "
			                              "fix the migration, then run again."
			                            : "Check the role's privileges on the history "
			                              "table and its "
			                              "schema (USAGE and CREATE).",
			             what, "%s of \"%s\" failed at %s: %s",
			             n == 1 ? "the transaction" : "the --tx=all transaction",
			             mig >= 0 ? c->set->m[idx[mig]].name : m0->name, part,
			             msg ? msg : PQresultErrorMessage(o.failed_res));
			snprintf(e->sqlstate, sizeof e->sqlstate, "%s", st ? st : "");
			log_cut_copy(e->migration, sizeof e->migration,
			             mig >= 0 ? c->set->m[idx[mig]].name : m0->name);
		}
		pipeline_rollback(c->conn);
	} else if (o.broken) {
		/* what is known: the COMMIT was sent or not; its answer never came */
		bool commit_sent = o.sent >= nbody;
		int sig = signals_caught();
		const char *known =
		        commit_sent
		                ? "Its COMMIT had been sent but no answer came, so whether it "
		                  "committed is unknown; the next run reads the history, which "
		                  "commits together with the migration, and applies it only if it "
		                  "is not recorded."
		                : "Its COMMIT was never sent, so it did not commit: the server "
		                  "rolls "
		                  "it back when the connection closes.";
		if (o.signalled && sig)
			rc = err_set(e, EXIT_SIGNAL_BASE + sig, "signal",
			             "Run dbready again: it applies what is not recorded.", known,
			             "stopped by %s while applying \"%s\" (%s)", signals_name(sig),
			             m0->name, o.broken);
		else
			rc = err_set(e, EXIT_APPLY, "connection_lost",
			             "The server may have restarted or the network dropped the "
			             "connection; run dbready again.",
			             known, "lost the connection while applying \"%s\": %s",
			             m0->name, o.conn_error[0] ? o.conn_error : o.broken);
	} else {
		/* a signal stopped the sending before the COMMIT */
		int sig = signals_caught();
		pipeline_rollback(c->conn);
		rc = err_set(e, EXIT_SIGNAL_BASE + (sig ? sig : 15), "signal",
		             "Run dbready again: it applies what is not recorded.", NULL,
		             "stopped by %s while applying \"%s\"; %s", signals_name(sig),
		             m0->name, what);
	}
	PQclear(o.failed_res);
	gen_free(&g);
	return rc;
}

/* ---------- waiting for the lock ---------- */

/* Sleep before the next try-lock; EXIT_DONE, EXIT_LOCK at the deadline, or 128+n. */
static int wait_lock(struct apply_ctx *c, int64_t deadline, bool *logged, struct err *e)
{
	if (!*logged) {
		log_info("waiting for the migration lock: another runner is applying migrations");
		*logged = true;
	}
	int64_t left = deadline - clock_ms();
	if (left <= 0) {
		char hint[512];
		uint64_t k = (uint64_t)c->h->lock_key;
		snprintf(
		        hint, sizeof hint,
		        "Another dbready, or a session that died holding the lock, has it: SELECT "
		        "pid, state, query FROM pg_stat_activity WHERE pid IN (SELECT pid FROM "
		        "pg_locks WHERE locktype = 'advisory' AND classid = %u AND objid = %u). "
		        "Raise --lock-timeout if a long migration is running.",
		        (unsigned)(k >> 32), (unsigned)(k & 0xffffffffu));
		return err_set(e, EXIT_LOCK, "lock_timeout", hint, NULL,
		               "could not take the migration lock within %lld ms",
		               (long long)c->cfg->lock_timeout_ms);
	}
	int sig = signals_sleep(backoff_next(&c->lock_backoff, left));
	if (sig)
		return err_set(e, EXIT_SIGNAL_BASE + sig, "signal", NULL, NULL,
		               "stopped by %s while waiting for the migration lock",
		               signals_name(sig));
	return EXIT_DONE;
}

/* ---------- a migration in its own session ---------- */

/* One query through the pipeline; false with e filled when it failed or got no answer. */
static bool query(struct apply_ctx *c, const char *sql, const char *const *params, int np,
                  PGresult **res, const char *what, struct err *e)
{
	struct pipe_outcome o;
	if (pipeline_query(c->conn, sql, params, np, res, &o))
		return true;
	if (*res) {
		const char *st = PQresultErrorField(*res, PG_DIAG_SQLSTATE);
		err_set(e, EXIT_APPLY, "history_failed",
		        "Check the role's privileges on the history table and its schema.",
		        PQresultErrorField(*res, PG_DIAG_MESSAGE_DETAIL), "could not %s: %s", what,
		        PQresultErrorMessage(*res));
		snprintf(e->sqlstate, sizeof e->sqlstate, "%s", st ? st : "");
		PQclear(*res);
		*res = NULL;
	} else {
		char doing[160];
		snprintf(doing, sizeof doing, "trying to %s", what);
		pipeline_no_answer(c->conn, &o, doing, e);
	}
	return false;
}

/* Run the statements of l in order, in one transaction when there are several (a tool that
 * records a migration in two statements, TRUNCATE and INSERT, never leaves the first alone);
 * what says what they do for an error. */
static bool query_list(struct apply_ctx *c, const struct fsql_list *l, const char *what,
                       struct err *e)
{
	PGresult *r = NULL;
	bool tx = l->n > 1;
	if (tx && !query(c, "BEGIN", NULL, 0, &r, what, e))
		return false;
	PQclear(r);
	for (int i = 0; i < l->n; i++) {
		if (!query(c, l->s[i].text, l->s[i].params, l->s[i].nparams, &r, what, e)) {
			pipeline_rollback(c->conn);
			return false;
		}
		PQclear(r);
	}
	r = NULL;
	if (tx && !query(c, "COMMIT", NULL, 0, &r, what, e))
		return false;
	PQclear(r);
	return true;
}

static bool query_bool(struct apply_ctx *c, const char *sql, const char *const *params, int np,
                       bool *out, const char *what, struct err *e)
{
	PGresult *r;
	if (!query(c, sql, params, np, &r, what, e))
		return false;
	*out = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return true;
}

/* A pooler that multiplexes sessions (PgBouncer, Supavisor, RDS Proxy) answers the startup
 * with a cancel key of its own, so the backend pid libpq was told differs from the pid of
 * the backend that runs our statements. (Comparing pg_backend_pid() across two statements
 * is not enough: an idle pool often hands the same server connection back.) */
static int check_session(struct apply_ctx *c, const struct migration *m, const char *why,
                         struct err *e)
{
	PGresult *r;
	if (!query(c, "SELECT pg_backend_pid()", NULL, 0, &r, "look at the session", e))
		return e->code;
	bool pooled = atoi(PQgetvalue(r, 0, 0)) != PQbackendPID(c->conn);
	PQclear(r);
	if (!pooled)
		return EXIT_DONE;
	return err_set(e, EXIT_CONFIG, "pooler",
	               "Give dbready the database's direct endpoint (port 5432, not the "
	               "pooler's), which keeps one session.",
	               "The connection goes through a pooler (its cancel key is not the "
	               "server's): behind transaction pooling, the statements, the file's own "
	               "transactions and the session lock that guards them could land in "
	               "different server sessions.",
	               "migration \"%s\" must run in one session (%s)", m->name, why);
}

/* What of a migration run statement by statement remains, as observed: `ran` statements
 * succeeded, the first `committed` of them were committed (the session was outside any
 * transaction after them). */
/* out holds REMAINS_MAX: the fixed text is under 400 bytes, the rest are numbers */
#define REMAINS_MAX 768
static void remains(const struct migration *m, int ran, int committed, char *out, size_t cap)
{
	char range[48];
	if (committed == 1)
		snprintf(range, sizeof range, "statement 1 stays");
	else
		snprintf(range, sizeof range, "statements 1-%d stay", committed);
	if (committed == 0)
		snprintf(out, cap, "The migration is not recorded; nothing of it was committed.");
	else if (committed == ran)
		snprintf(out, cap,
		         "The migration is not recorded, but %d of its %d statements ran and "
		         "committed (outside a transaction, or by the file's own COMMIT): %s "
		         "applied. Undo that by hand, or make it idempotent (IF NOT EXISTS), "
		         "before running again.",
		         ran, m->stmts.n, range);
	else
		snprintf(out, cap,
		         "The migration is not recorded, but %d of its %d statements ran: %s "
		         "applied (committed outside a transaction, or by the file's own COMMIT); "
		         "statements %d-%d ran in the file's own transaction, which was rolled "
		         "back. Undo the committed part by hand, or make it idempotent, before "
		         "running again.",
		         ran, m->stmts.n, range, committed + 1, ran);
}

/* Run m statement by statement in this session: the file's own BEGIN/COMMIT decide what is
 * one transaction, as psql -f would run it; dbready adds none. */
static int run_statements(struct apply_ctx *c, const struct migration *m, struct err *e)
{
	int ran = 0, committed = 0;
	char after[REMAINS_MAX];
	for (int s = 0; s < m->stmts.n; s++) {
		const struct sql_stmt *st = &m->stmts.stmts[s];
		PGresult *res = NULL;
		struct pipe_outcome o;
		char *sql = strndup(m->text + st->start, st->len);
		if (!sql)
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		bool ok = pipeline_query(c->conn, sql, NULL, 0, &res, &o);
		free(sql);
		if (ok) {
			PQclear(res);
			ran++;
			if (PQtransactionStatus(c->conn) == PQTRANS_IDLE)
				committed = ran;
			if (signals_caught()) {
				pipeline_rollback(c->conn);
				remains(m, ran, committed, after, sizeof after);
				int sig = signals_caught();
				return err_set(e, EXIT_SIGNAL_BASE + sig, "signal", NULL, after,
				               "stopped by %s after statement %d of \"%s\"",
				               signals_name(sig), s + 1, m->name);
			}
			continue;
		}
		bool in_own_tx = PQstatus(c->conn) == CONNECTION_OK &&
		                 PQtransactionStatus(c->conn) != PQTRANS_IDLE;
		if (in_own_tx)
			pipeline_rollback(c->conn);
		remains(m, ran, committed, after, sizeof after);
		int sig = signals_caught();
		int rc;
		if (res && !(o.signalled && sig)) {
			rc = failure_report(m, st, res, c->conn, after, e);
		} else if (o.signalled && sig) {
			rc = err_set(e, EXIT_SIGNAL_BASE + sig, "signal", NULL, after,
			             "stopped by %s in statement %d of \"%s\"", signals_name(sig),
			             s + 1, m->name);
		} else {
			char known[REMAINS_MAX + 64]; /* after and a sentence with a number */
			snprintf(known, sizeof known,
			         "Whether statement %d took effect is unknown. %s", s + 1, after);
			rc = err_set(e, EXIT_APPLY, "connection_lost",
			             "The server may have restarted; check the schema, then run "
			             "dbready again.",
			             known, "lost the connection in statement %d of \"%s\": %s",
			             s + 1, m->name, o.conn_error[0] ? o.conn_error : o.broken);
		}
		PQclear(res);
		return rc;
	}
	if (PQtransactionStatus(c->conn) != PQTRANS_IDLE) {
		/* the file began a transaction it never ended: psql would roll it back too */
		pipeline_rollback(c->conn);
		remains(m, ran, committed, after, sizeof after);
		return err_set(
		        e, EXIT_APPLY, "migration_failed",
		        "End the file's transaction with COMMIT, or remove its BEGIN.", after,
		        "migration \"%s\" ends inside a transaction it began; it was rolled "
		        "back",
		        m->name);
	}
	return EXIT_DONE;
}

/* Apply m in this session under the session-scoped advisory lock, which survives the file's
 * own COMMITs. *changed: the history changed while waiting (the caller re-plans). */
static int run_session(struct apply_ctx *c, struct migration *m, const char *why, bool *changed,
                       struct err *e)
{
	*changed = false;
	int rc = check_session(c, m, why, e);
	if (rc != EXIT_DONE)
		return rc;
	/* dbready's key, and the tool's own beside it (formats.md); both are session locks
	 * here, which survive the file's own COMMITs */
	const char *kp[2] = {c->lock_key, c->tool_lock_key};
	int nk = c->h->has_tool_lock ? 2 : 1;
	int64_t deadline = clock_ms() + c->cfg->lock_timeout_ms;
	bool logged = false, locked = false;
	for (;;) {
		PGresult *lr = NULL;
		if (!query(c,
		           nk == 2 ? "SELECT pg_try_advisory_lock($1::bigint), "
		                     "pg_try_advisory_lock($2::bigint)"
		                   : "SELECT pg_try_advisory_lock($1::bigint), true",
		           kp, nk, &lr, "take the migration lock", e))
			return e->code;
		bool mine = strcmp(PQgetvalue(lr, 0, 0), "t") == 0;
		bool tools = strcmp(PQgetvalue(lr, 0, 1), "t") == 0;
		PQclear(lr);
		locked = mine && tools;
		if (locked)
			break;
		/* one of the two: let it go before waiting, so neither side holds half */
		if (mine || (tools && nk == 2)) {
			const char *one[1] = {mine ? kp[0] : kp[1]};
			if (!query(c, "SELECT pg_advisory_unlock($1::bigint)", one, 1, &lr,
			           "release the migration lock", e))
				return e->code;
			PQclear(lr);
		}
		if ((rc = wait_lock(c, deadline, &logged, e)) != EXIT_DONE)
			return rc;
	}
	char sql[HISTORY_SQL_MAX];
	PGresult *r = NULL;
	if (!c->h->exists) {
		const char *qn[1] = {c->h->qname};
		bool there;
		if (!query_bool(c, "SELECT to_regclass($1) IS NOT NULL", qn, 1, &there,
		                "look up the history table", e)) {
			rc = e->code;
			goto unlock;
		}
		if (there) { /* another runner created it meanwhile */
			*changed = true;
			goto unlock;
		}
		struct fsql_list create;
		history_create_table_sql(c->h, &create);
		if (!query(c, history_create_schema_sql(c->h, sql, sizeof sql), NULL, 0, &r,
		           "create the history table's schema", e) ||
		    (PQclear(r), !query_list(c, &create, "create the history table", e))) {
			rc = e->code;
			goto unlock;
		}
		c->h->exists = true;
	}
	struct migration *one[1] = {m};
	char *keys = history_keys_array(one, 1);
	const char *kk[1] = {keys};
	bool recorded = false;
	if (!keys)
		rc = err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	else if (!query_bool(c, history_guard_sql(c->h, true, sql, sizeof sql), kk, 1, &recorded,
	                     "read the history table", e))
		rc = e->code;
	free(keys);
	if (rc != EXIT_DONE || recorded) {
		*changed = recorded;
		goto unlock;
	}
	if (!query(c, c->set_session_timeout, NULL, 0, &r, "set the statement timeout", e)) {
		rc = e->code;
		goto unlock;
	}
	PQclear(r);
	/* invalid indexes the migration names, left by an earlier failed CONCURRENTLY build:
	 * refused (6) or dropped (--drop-invalid-indexes) before anything of it runs */
	if ((rc = invalid_index_before(c->conn, m, c->cfg->drop_invalid_indexes, e)) != EXIT_DONE)
		goto reset;
	/* the tool's "started" mark (golang-migrate: dirty = true), committed first: a crash
	 * half-way leaves the state the tool's users recognise */
	struct fsql_list rec;
	history_started_sql(c->h, m, &rec);
	if (rec.n && !query_list(c, &rec, "mark the migration as started", e)) {
		rc = e->code;
		goto reset;
	}
	int64_t t0 = clock_ms();
	rc = run_statements(c, m, e);
	if (rc != EXIT_DONE) {
		invalid_index_note_failure(c->conn, m, e);
		goto reset;
	}
	/* never recorded as applied over an invalid index (IF NOT EXISTS skipped one) */
	if ((rc = invalid_index_after(c->conn, m, e)) != EXIT_DONE)
		goto reset;
	char dur[32];
	snprintf(dur, sizeof dur, "%lld", (long long)(clock_ms() - t0));
	history_record_sql(c->h, m, c->applied_by, dur, &rec);
	struct err re;
	memset(&re, 0, sizeof re);
	if (!query_list(c, &rec, "record the migration", &re))
		rc = err_set(e, EXIT_APPLY, "history_failed",
		             "Its statements ran and were committed; record it by hand, or make "
		             "them idempotent and run again.",
		             re.msg, "migration \"%s\" ran but could not be recorded", m->name);
reset:
	if (PQstatus(c->conn) == CONNECTION_OK) {
		struct pipe_outcome ro;
		pipeline_query(c->conn, "RESET statement_timeout", NULL, 0, &r, &ro);
		PQclear(r);
	}
unlock:
	if (PQstatus(c->conn) == CONNECTION_OK) {
		struct pipe_outcome uo;
		pipeline_query(c->conn, "SELECT pg_advisory_unlock($1::bigint)", kp, 1, &r, &uo);
		PQclear(r);
		if (nk == 2 && PQstatus(c->conn) == CONNECTION_OK) {
			pipeline_query(c->conn, "SELECT pg_advisory_unlock($1::bigint)", kp + 1, 1,
			               &r, &uo);
			PQclear(r);
		}
	}
	return rc;
}

/* ---------- the whole run ---------- */

static bool wanted(const struct config *cfg, const struct migration *m)
{
	return m->state == MIG_PENDING ||
	       (m->state == MIG_OUT_OF_ORDER && cfg->allow_out_of_order);
}

/* A signal between migrations: stop, saying what this run did and did not do. */
static int stopped_between(struct apply_ctx *c, const int *idx, int pos, int n, struct err *e)
{
	int sig = signals_caught();
	char detail[512];
	if (c->sum->applied)
		snprintf(detail, sizeof detail,
		         "This run applied %d migration%s (the last one committed before the stop "
		         "took effect); %d not started.",
		         c->sum->applied, plural(c->sum->applied), n - pos);
	else
		snprintf(detail, sizeof detail, "Nothing was applied; %d not started.", n - pos);
	return err_set(e, EXIT_SIGNAL_BASE + sig, "signal",
	               "Run dbready again: it applies what is not recorded.", detail,
	               "stopped by %s before applying \"%s\"", signals_name(sig),
	               c->set->m[idx[pos]].name);
}

static int run_all(struct apply_ctx *c, const int *idx, int n, struct err *e)
{
	bool all = c->cfg->tx == TX_ALL;
	if (all)
		for (int i = 0; i < n; i++) {
			const struct migration *m = &c->set->m[idx[i]];
			const char *why = apply_no_tx_reason(c->set->format, m, c->server_version);
			if (!why && own_tx_control(m))
				why = "it has its own BEGIN/COMMIT";
			if (why)
				return err_set(e, EXIT_MIGRATIONS, "no_transaction",
				               "Run without --tx=all: dbready then runs that "
				               "migration on its "
				               "own, in its own session.",
				               NULL,
				               "migration \"%s\" cannot run inside a transaction "
				               "(%s), and "
				               "--tx=all puts every migration in one",
				               m->name, why);
		}
	struct guard gd = {0};
	int64_t deadline = clock_ms() + c->cfg->lock_timeout_ms;
	bool logged = false;
	int pos = 0, rc = EXIT_DONE, announced = -1;
	while (pos < n) {
		if (signals_caught()) {
			rc = stopped_between(c, idx, pos, n, e);
			break;
		}
		struct migration *m = &c->set->m[idx[pos]];
		int bn = all ? n : 1;
		const char *why =
		        all ? NULL : apply_no_tx_reason(c->set->format, m, c->server_version);
		const struct sql_stmt *own = all ? NULL : own_tx_control(m);
		if (announced != pos) { /* once per migration, not per try of the lock */
			announced = pos;
			struct log_fields lf = LOG_FIELDS_INIT;
			lf.event = "migration_start";
			lf.migration = m->name;
			if (all)
				log_info("applying %d migration%s in one transaction (--tx=all)",
				         n, plural(n));
			else if (why)
				log_emit(LOG_INFO, &lf, "applying %s outside a transaction (%s)",
				         m->name, why);
			else if (own)
				log_emit(LOG_INFO, &lf,
				         "applying %s in its own session, with the file's own "
				         "transactions (%.*s at line %d)",
				         m->name, (int)(own->len < 20 ? own->len : 20),
				         m->text + own->start,
				         failure_position(m, own->start).line);
			else
				log_emit(LOG_INFO, &lf, "applying %s", m->name);
		}
		if (why || own) {
			char reason[160];
			if (why)
				snprintf(reason, sizeof reason, "%s", why);
			else
				snprintf(reason, sizeof reason, "it has its own %.*s at line %d",
				         (int)(own->len < 20 ? own->len : 20),
				         m->text + own->start,
				         failure_position(m, own->start).line);
			pipeline_rollback(c->conn);
			gd.open = false;
			bool changed;
			int64_t t0 = clock_ms();
			if ((rc = run_session(c, m, reason, &changed, e)) != EXIT_DONE)
				break;
			if (changed) {
				c->sum->replan = true;
				break;
			}
			note(c, m, clock_ms() - t0);
			pos++;
			continue;
		}
		int64_t t0 = clock_ms();
		if (!gd.open && (rc = open_tx(c, &idx[pos], bn, &gd, e)) != EXIT_DONE)
			break;
		if (!gd.locked) {
			/* an opening sent after the previous COMMIT may have lost the lock to
			 * another runner: end that transaction before waiting */
			pipeline_rollback(c->conn);
			gd.open = false;
			if ((rc = wait_lock(c, deadline, &logged, e)) != EXIT_DONE)
				break;
			continue;
		}
		if (gd.changed) {
			/* another runner applied some of these meanwhile: re-read, re-plan */
			pipeline_rollback(c->conn);
			c->sum->replan = true;
			break;
		}
		/* open the next migration's transaction in the same round trip */
		const int *next = NULL;
		if (!all && pos + 1 < n &&
		    !needs_session(c->set->format, &c->set->m[idx[pos + 1]], c->server_version))
			next = &idx[pos + 1];
		if ((rc = body_tx(c, &idx[pos], bn, next, next ? 1 : 0, &gd, e)) != EXIT_DONE)
			break;
		for (int i = 0; i < bn; i++)
			note(c, &c->set->m[idx[pos + i]], all ? -1 : clock_ms() - t0);
		if (all)
			log_info("applied %d migration%s in %lld ms", n, plural(n),
			         (long long)(clock_ms() - t0));
		pos += bn;
		deadline = clock_ms() + c->cfg->lock_timeout_ms;
		logged = false;
	}
	if (PQstatus(c->conn) == CONNECTION_OK)
		pipeline_rollback(c->conn); /* an opened transaction that was not needed */
	return rc;
}

void apply_applied_by(char *out, size_t cap)
{
	char host[256] = "unknown";
	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = '\0';
	snprintf(out, cap, "%s dbready/%s", host, DBREADY_VERSION);
}

static void ctx_init(struct apply_ctx *c, PGconn *conn, const struct config *cfg,
                     const struct dburl *u, struct migset *set, struct history *h,
                     struct apply_summary *sum)
{
	memset(c, 0, sizeof *c);
	c->conn = conn;
	c->cfg = cfg;
	c->set = set;
	c->h = h;
	c->sum = sum;
	c->watch.u = u;
	apply_applied_by(c->applied_by, sizeof c->applied_by);
	snprintf(c->lock_key, sizeof c->lock_key, "%lld", (long long)h->lock_key);
	snprintf(c->tool_lock_key, sizeof c->tool_lock_key, "%lld", (long long)h->tool_lock_key);
	/* at most INT_MAX ms (cli.c refuses more): the text fits */
	snprintf(c->set_timeout, sizeof c->set_timeout, "SET LOCAL statement_timeout = %lld",
	         (long long)cfg->statement_timeout_ms);
	snprintf(c->set_session_timeout, sizeof c->set_session_timeout,
	         "SET statement_timeout = %lld", (long long)cfg->statement_timeout_ms);
	c->server_version = PQserverVersion(conn);
	backoff_init(&c->lock_backoff, cfg->backoff_base_ms, cfg->backoff_cap_ms, 0);
}

int apply_pending(PGconn *conn, const struct config *cfg, const struct dburl *u,
                  struct migset *set, struct history *h, struct apply_summary *sum, struct err *e)
{
	sum->replan = false;
	int64_t start = clock_ms();
	struct apply_ctx c;
	ctx_init(&c, conn, cfg, u, set, h, sum);
	int *idx = malloc((size_t)(set->n ? set->n : 1) * sizeof *idx);
	int n = 0, rc = EXIT_DONE;
	if (!idx) {
		rc = err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	} else {
		for (int i = 0; i < set->n; i++)
			if (wanted(cfg, &set->m[i]))
				idx[n++] = i;
		if (n)
			rc = run_all(&c, idx, n, e);
	}
	lockwatch_end(&c.watch);
	free(idx);
	sum->elapsed_ms += clock_ms() - start;
	return rc;
}

/* ---------- a history table in an older shape ---------- */

/* Open a transaction holding dbready's lock (and the tool's): EXIT_DONE with *locked, or an
 * error; not locked: the transaction is rolled back. what: what the transaction is for. */
static int try_lock_tx(struct apply_ctx *c, const char *what, bool *locked, struct err *e)
{
	PGresult *r = NULL;
	const char *kp[2] = {c->lock_key, c->tool_lock_key};
	*locked = false;
	/* READ COMMITTED: the history is looked at again after the lock, in a snapshot taken
	 * then (as the guard of a migration's transaction) */
	if (!query(c, "BEGIN ISOLATION LEVEL READ COMMITTED", NULL, 0, &r, what, e))
		return e->code;
	PQclear(r);
	if (!query(c, c->set_timeout, NULL, 0, &r, "set the statement timeout", e)) {
		pipeline_rollback(c->conn);
		return e->code;
	}
	PQclear(r);
	if (!query_bool(c,
	                c->h->has_tool_lock ? "SELECT pg_try_advisory_xact_lock($1::bigint) AND "
	                                      "pg_try_advisory_xact_lock($2::bigint)"
	                                    : "SELECT pg_try_advisory_xact_lock($1::bigint)",
	                kp, c->h->has_tool_lock ? 2 : 1, locked, "take the migration lock", e)) {
		pipeline_rollback(c->conn);
		return e->code;
	}
	if (!*locked)
		pipeline_rollback(c->conn);
	return EXIT_DONE;
}

/* try_lock_tx until it holds the locks, waiting as a migration's transaction waits (up to
 * --lock-timeout): EXIT_DONE with the transaction open, or an error (rolled back). */
static int lock_tx(struct apply_ctx *c, const char *what, struct err *e)
{
	int64_t deadline = clock_ms() + c->cfg->lock_timeout_ms;
	bool logged = false, locked = false;
	for (;;) {
		int rc = try_lock_tx(c, what, &locked, e);
		if (rc != EXIT_DONE || locked)
			return rc;
		if ((rc = wait_lock(c, deadline, &logged, e)) != EXIT_DONE)
			return rc;
	}
}

int apply_lock_tx(PGconn *conn, const struct config *cfg, struct history *h, const char *what,
                  struct err *e)
{
	struct apply_summary sum = {0};
	struct apply_ctx c;
	ctx_init(&c, conn, cfg, NULL, NULL, h, &sum);
	return lock_tx(&c, what, e);
}

bool apply_query(PGconn *conn, const char *sql, const char *const *params, int np, PGresult **res,
                 const char *what, struct err *e)
{
	struct apply_ctx c = {.conn = conn};
	return query(&c, sql, params, np, res, what, e);
}

int apply_upgrade(PGconn *conn, const struct config *cfg, const struct dburl *u,
                  struct migset *set, struct history *h, struct err *e)
{
	struct apply_summary sum = {0};
	struct apply_ctx c;
	ctx_init(&c, conn, cfg, u, set, h, &sum);
	const struct fupgrade_spec *spec = h->format->upgrade;
	int rc = lock_tx(&c, "start the history table's upgrade", e);
	if (rc != EXIT_DONE)
		return rc;
	/* a statement of its own, after the lock: another runner may have upgraded it */
	const char *qn[1] = {h->qname};
	bool old = false;
	if (!query_bool(&c, spec->detect_sql, qn, 1, &old, "look at the history table's columns",
	                e)) {
		pipeline_rollback(conn);
		return e->code;
	}
	if (!old) {
		pipeline_rollback(conn);
		log_info("%s was upgraded by another runner meanwhile; reading it again",
		         h->qname);
		return EXIT_DONE;
	}
	struct fupgrade up;
	if ((rc = history_upgrade_build(conn, h, set, &up, e)) != EXIT_DONE) {
		pipeline_rollback(conn);
		return rc;
	}
	int64_t t0 = clock_ms();
	PGresult *r = NULL;
	for (int i = 0; i < up.sql.n; i++) {
		const struct fsql *st = &up.sql.s[i];
		if (!query(&c, st->text, st->params, st->nparams, &r, "upgrade the history table",
		           e)) {
			pipeline_rollback(conn);
			fupgrade_free(&up);
			return e->code;
		}
		PQclear(r);
	}
	if (signals_caught()) {
		pipeline_rollback(conn);
		fupgrade_free(&up);
		int sig = signals_caught();
		return err_set(e, EXIT_SIGNAL_BASE + sig, "signal",
		               "Run dbready again: it upgrades the table first.",
		               "The upgrade was rolled back.", "stopped by %s while upgrading %s",
		               signals_name(sig), h->qname);
	}
	if (!query(&c, "COMMIT", NULL, 0, &r, "commit the history table's upgrade", e)) {
		fupgrade_free(&up);
		return e->code;
	}
	PQclear(r);
	for (int i = 0; i < up.nchanges; i++)
		log_info("upgraded %s row id %s: %s", h->qname, up.changes[i].id,
		         up.changes[i].says);
	log_info("upgraded %s from %s: %d row%s, in %lld ms", h->qname, spec->shape, up.nchanges,
	         plural(up.nchanges), (long long)(clock_ms() - t0));
	fupgrade_free(&up);
	return EXIT_DONE;
}

/* ---------- a history write of its own (resolve, repair) ---------- */

int apply_locked(PGconn *conn, const struct config *cfg, const struct dburl *u, struct migset *set,
                 struct history *h, apply_locked_fn work, void *arg,
                 struct apply_locked_result *out, struct err *e)
{
	struct apply_summary sum = {0};
	struct apply_ctx c;
	ctx_init(&c, conn, cfg, u, set, h, &sum);
	memset(out, 0, sizeof *out);
	int rc = lock_tx(&c, "start the history table's change", e);
	if (rc != EXIT_DONE)
		return rc;
	/* under the lock, in a snapshot taken after it: what work reads is what it changes */
	struct fsql_list sql = {0};
	if ((rc = work(conn, arg, &sql, e)) != EXIT_DONE || sql.n == 0) {
		pipeline_rollback(conn);
		return rc;
	}
	PGresult *r = NULL;
	for (int i = 0; i < sql.n; i++) {
		const struct fsql *st = &sql.s[i];
		if (!query(&c, st->text, st->params, st->nparams, &r, "write the history table",
		           e)) {
			pipeline_rollback(conn);
			return e->code;
		}
		snprintf(out->tag[i], sizeof out->tag[i], "%s", PQcmdStatus(r));
		out->rows[i] = atoll(PQcmdTuples(r));
		PQclear(r);
	}
	if (signals_caught()) {
		pipeline_rollback(conn);
		int sig = signals_caught();
		return err_set(e, EXIT_SIGNAL_BASE + sig, "signal", NULL, "Nothing was written.",
		               "stopped by %s while writing %s", signals_name(sig), h->qname);
	}
	if (!query(&c, "COMMIT", NULL, 0, &r, "commit the history table's change", e))
		return e->code;
	PQclear(r);
	out->sql = sql;
	out->n = sql.n;
	return EXIT_DONE;
}

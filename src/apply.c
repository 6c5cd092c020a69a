/* apply.c - run migrations in pipelined transactions with a lock and a history re-check. */
#define _POSIX_C_SOURCE 200809L
#include "apply.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backoff.h"
#include "checksum.h"
#include "connect.h"
#include "exitcode.h"
#include "log.h"
#include "signals.h"
#include "version.h"

#define BREAKPOINT      "--> statement-breakpoint"
#define CANCEL_GRACE_MS 1500

/* ---------- statements ---------- */

static bool append_split(struct sql_split *dst, const struct sql_split *src, size_t offset)
{
	if (src->n == 0)
		return true;
	struct sql_stmt *g = realloc(dst->stmts, (size_t)(dst->n + src->n) * sizeof *g);
	if (!g)
		return false;
	dst->stmts = g;
	for (int i = 0; i < src->n; i++) {
		dst->stmts[dst->n] = src->stmts[i];
		dst->stmts[dst->n].start += offset;
		dst->n++;
	}
	if (src->unterminated && !dst->unterminated) {
		dst->unterminated = true;
		dst->unterminated_at = src->unterminated_at + offset;
	}
	return true;
}

bool apply_statements(const struct migration *m, enum mig_format fmt, struct sql_split *out)
{
	if (fmt != FORMAT_DRIZZLE)
		return sql_split(m->text, m->text_len, out);
	memset(out, 0, sizeof *out);
	size_t at = 0;
	for (;;) {
		const char *next = strstr(m->text + at, BREAKPOINT);
		size_t end = next ? (size_t)(next - m->text) : m->text_len;
		struct sql_split part;
		if (!sql_split(m->text + at, end - at, &part))
			return false;
		bool ok = append_split(out, &part, at);
		sql_split_free(&part);
		if (!ok)
			return false;
		if (!next)
			return true;
		at = end + strlen(BREAKPOINT);
	}
}

const char *apply_no_tx_reason(const struct migration *m, const struct sql_split *stmts,
                               int server_version)
{
	if (m->directive_no_tx)
		return "the file says -- dbready:no-transaction";
	for (int i = 0; i < stmts->n; i++) {
		const char *why = sql_needs_no_transaction(&stmts->stmts[i], server_version);
		if (why)
			return why;
	}
	return NULL;
}

/* ---------- where in the file ---------- */

struct position {
	int line, col;
};

static struct position file_position(const struct migration *m, size_t off)
{
	struct position p = {1, 1};
	size_t line_start = 0;
	for (size_t i = 0; i < off && i < m->text_len; i++)
		if (m->text[i] == '\n') {
			p.line++;
			line_start = i + 1;
		}
	p.col = (int)utf8_chars(m->text + line_start, off - line_start) + 1;
	return p;
}

/* Up to two lines before and after the error line, numbered, with a caret under it. */
static void excerpt(const struct migration *m, struct position at, char *out, size_t cap)
{
	out[0] = '\0';
	size_t len = 0;
	int line = 1;
	const char *p = m->text, *end = m->text + m->text_len;
	while (p < end && len + 200 < cap) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (line >= at.line - 2 && line <= at.line + 2) {
			size_t shown = n > 160 ? 160 : n;
			len += (size_t)snprintf(out + len, cap - len, "%s%c %4d | %.*s",
			                        len ? "\n" : "", line == at.line ? '>' : ' ', line,
			                        (int)shown, p);
			if (line == at.line && len + 200 < cap) {
				len += (size_t)snprintf(out + len, cap - len, "\n       | ");
				for (int c = 1; c < at.col && len + 2 < cap && c < 170; c++)
					out[len++] = ' ';
				len += (size_t)snprintf(out + len, cap - len, "^");
			}
		}
		if (line > at.line + 2 || !nl)
			break;
		p = nl + 1;
		line++;
	}
}

/* Fill e from a failed statement's result: SQLSTATE, message, detail, hint, and the file
 * position of the error (or of the statement's start). */
static int report_failure(const struct migration *m, const struct sql_stmt *st, PGresult *res,
                          PGconn *conn, struct err *e)
{
	const char *sqlstate = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *sdetail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *shint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
	const char *spos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	const char *ctx = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	size_t off = st ? st->start : 0;
	if (st && spos && atoi(spos) > 0)
		off = st->start +
		      utf8_offset(m->text + st->start, st->len, (size_t)atoi(spos) - 1);
	struct position at = file_position(m, off);
	char ex[2048], detail[4096];
	excerpt(m, at, ex, sizeof ex);
	snprintf(detail, sizeof detail, "%s%s%s%s%s", sdetail ? sdetail : "", sdetail ? "\n" : "",
	         ctx ? "CONTEXT: " : "", ctx ? ctx : "", ctx ? "\n" : "");
	size_t dl = strlen(detail);
	snprintf(detail + dl, sizeof detail - dl, "%s", ex);
	char hint[1024];
	if (shint)
		snprintf(hint, sizeof hint, "%s", shint);
	else if (sqlstate && strcmp(sqlstate, "57014") == 0)
		snprintf(hint, sizeof hint,
		         "The statement ran into the statement timeout or was cancelled; if it "
		         "waited for a lock held by another session, look at pg_stat_activity and "
		         "pg_locks, or raise --statement-timeout.");
	else if (sqlstate && (strcmp(sqlstate, "42P07") == 0 || strcmp(sqlstate, "42710") == 0 ||
	                      strcmp(sqlstate, "42701") == 0))
		snprintf(
		        hint, sizeof hint,
		        "The object exists already: the schema was probably changed outside the "
		        "migrations (drizzle-kit push, a manual fix). Make the database match the "
		        "migrations, or make the statement idempotent (IF NOT EXISTS).");
	else
		snprintf(hint, sizeof hint,
		         "Fix the migration (it was rolled back and nothing of it remains), then "
		         "run "
		         "again.");
	err_set(e, EXIT_APPLY, "migration_failed", hint, detail,
	        "migration \"%s\" failed at %s:%d:%d: %s", m->name, m->file, at.line, at.col,
	        primary ? primary : PQerrorMessage(conn));
	snprintf(e->sqlstate, sizeof e->sqlstate, "%s", sqlstate ? sqlstate : "");
	snprintf(e->migration, sizeof e->migration, "%s", m->name);
	return EXIT_APPLY;
}

/* ---------- the pipeline ---------- */

struct item {
	char *sql; /* owned */
	const char *params[5];
	int nparams;
	int mig;  /* index into the set, -1 for dbready's own statements */
	int stmt; /* index into that migration's statements, -1 for its history row */
};

struct items {
	struct item *v;
	int n, cap;
};

static bool items_add(struct items *it, const char *sql, size_t len, int mig, int stmt)
{
	if (it->n == it->cap) {
		int ncap = it->cap ? it->cap * 2 : 64;
		struct item *g = realloc(it->v, (size_t)ncap * sizeof *g);
		if (!g)
			return false;
		it->v = g;
		it->cap = ncap;
	}
	struct item *x = &it->v[it->n];
	memset(x, 0, sizeof *x);
	x->sql = strndup(sql, len);
	if (!x->sql)
		return false;
	x->mig = mig;
	x->stmt = stmt;
	it->n++;
	return true;
}

static void items_free(struct items *it)
{
	for (int i = 0; i < it->n; i++)
		free(it->v[i].sql);
	free(it->v);
	memset(it, 0, sizeof *it);
}

enum pipe_result { PIPE_OK, PIPE_ERROR, PIPE_BROKEN, PIPE_SIGNALED };

/* A migration that runs long is usually waiting for a lock some other session holds (an
 * idle-in-transaction app connection, a long report). After WATCH_FIRST_MS, and then every
 * WATCH_EVERY_MS, dbready looks from a second connection and says who blocks it. */
#define WATCH_FIRST_MS 5000
#define WATCH_EVERY_MS 15000

struct watch {
	const struct dburl *u;
	PGconn *side; /* opened on first use */
	int backend_pid;
	const char *name; /* the migration running */
	int64_t started, next;
};

static void watch_start(struct watch *w, PGconn *conn, const char *name)
{
	w->backend_pid = PQbackendPID(conn);
	w->name = name;
	w->started = clock_ms();
	w->next = w->started + WATCH_FIRST_MS;
}

static void watch_report(struct watch *w)
{
	w->next += WATCH_EVERY_MS;
	int64_t secs = (clock_ms() - w->started) / 1000;
	if (!w->side && w->u) {
		struct attempt a;
		w->side = db_connect(w->u, 3000, &a);
		if (!w->side)
			w->u = NULL; /* no second look: just say it is still running */
	}
	char pid[16];
	snprintf(pid, sizeof pid, "%d", w->backend_pid);
	const char *params[1] = {pid};
	PGresult *r =
	        w->side ? PQexecParams(
	                          w->side,
	                          "SELECT b.pid, coalesce(b.usename, ''), "
	                          "coalesce(b.application_name, ''), coalesce(b.state, ''), "
	                          "coalesce(extract(epoch FROM now() - b.xact_start)::int, 0) "
	                          "FROM pg_stat_activity b WHERE b.pid = ANY "
	                          "(pg_blocking_pids($1::int)) ORDER BY b.xact_start LIMIT 1",
	                          1, NULL, params, NULL, NULL, 0)
	                : NULL;
	struct log_fields lf = LOG_FIELDS_INIT;
	lf.migration = w->name;
	lf.duration_ms = secs * 1000;
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		char detail[512];
		/* not its query text: another session's SQL may hold anybody's secrets */
		snprintf(detail, sizeof detail,
		         "Blocking session: pid %s, user \"%s\", application \"%s\", %s, in its "
		         "transaction for %s s.",
		         PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
		         PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 4));
		lf.event = "migration_blocked";
		lf.detail = detail;
		lf.hint = "Let that transaction finish or end it (SELECT "
		          "pg_terminate_backend(pid)); "
		          "the migration goes on by itself. --statement-timeout bounds the wait.";
		log_emit(LOG_WARN, &lf, "%s has waited %lld s for a lock held by another session",
		         w->name, (long long)secs);
	} else {
		lf.event = "migration_running";
		log_emit(LOG_INFO, &lf, "%s still running after %lld s", w->name, (long long)secs);
	}
	PQclear(r);
}

static void watch_end(struct watch *w)
{
	if (w->side)
		PQfinish(w->side);
	w->side = NULL;
}

/* Send every item and a Sync, read every result. On PIPE_ERROR *failed is the index of the
 * failing item and *failed_res its result (caller PQclear()s it). */
static enum pipe_result pipeline_run(PGconn *conn, const struct items *it, int *failed,
                                     PGresult **failed_res, struct watch *w)
{
	*failed = -1;
	*failed_res = NULL;
	if (PQsetnonblocking(conn, 1) != 0 || !PQenterPipelineMode(conn))
		return PIPE_BROKEN;
	for (int i = 0; i < it->n; i++)
		if (!PQsendQueryParams(conn, it->v[i].sql, it->v[i].nparams, NULL, it->v[i].params,
		                       NULL, NULL, 0))
			return PIPE_BROKEN;
	if (!PQpipelineSync(conn))
		return PIPE_BROKEN;

	enum pipe_result pr = PIPE_OK;
	int idx = 0;
	bool cancelled = false;
	int64_t cancel_deadline = 0;
	for (;;) {
		int f = PQflush(conn);
		if (f < 0)
			return PIPE_BROKEN;
		bool synced = false;
		while (!PQisBusy(conn)) {
			PGresult *r = PQgetResult(conn);
			if (!r) {
				idx++;
				continue;
			}
			ExecStatusType s = PQresultStatus(r);
			if (s == PGRES_PIPELINE_SYNC) {
				PQclear(r);
				synced = true;
				break;
			}
			if ((s == PGRES_FATAL_ERROR || s == PGRES_NONFATAL_ERROR) && *failed < 0) {
				*failed = idx < it->n ? idx : it->n - 1;
				*failed_res = r;
				if (pr == PIPE_OK)
					pr = PIPE_ERROR;
				continue;
			}
			PQclear(r);
		}
		if (synced)
			break;
		if (signals_caught() && !cancelled) {
			/* cancel the running statement; the transaction then rolls back */
			PGcancel *c = PQgetCancel(conn);
			char ebuf[256];
			if (c) {
				PQcancel(c, ebuf, sizeof ebuf);
				PQfreeCancel(c);
			}
			cancelled = true;
			cancel_deadline = clock_ms() + CANCEL_GRACE_MS;
			pr = PIPE_SIGNALED;
		}
		int64_t wait_ms = cancelled ? cancel_deadline - clock_ms() : 60000;
		if (cancelled && wait_ms <= 0)
			return PIPE_SIGNALED; /* give up: closing the connection rolls back */
		if (w && !cancelled) {
			if (clock_ms() >= w->next)
				watch_report(w);
			if (w->next - clock_ms() < wait_ms)
				wait_ms = w->next - clock_ms() > 0 ? w->next - clock_ms() : 0;
		}
		struct pollfd p[2] = {
		        {.fd = PQsocket(conn), .events = (short)(POLLIN | (f == 1 ? POLLOUT : 0))},
		        {.fd = cancelled ? -1 : signals_fd(), .events = POLLIN}};
		int rc = poll(p, 2, (int)(wait_ms > 60000 ? 60000 : wait_ms));
		if (rc < 0 && errno != EINTR)
			return PIPE_BROKEN;
		if (rc > 0 && (p[0].revents & (POLLIN | POLLERR | POLLHUP)) &&
		    !PQconsumeInput(conn))
			return PIPE_BROKEN;
	}
	PQexitPipelineMode(conn);
	PQsetnonblocking(conn, 0);
	if (pr == PIPE_SIGNALED && *failed_res) {
		PQclear(*failed_res);
		*failed_res = NULL;
	}
	return pr;
}

/* After a failure inside BEGIN, the transaction stays aborted until ROLLBACK. */
static void rollback_if_needed(PGconn *conn)
{
	if (PQtransactionStatus(conn) == PQTRANS_INERROR ||
	    PQtransactionStatus(conn) == PQTRANS_INTRANS)
		PQclear(PQexec(conn, "ROLLBACK"));
}

/* ---------- one transaction ---------- */

struct apply_ctx {
	PGconn *conn;
	const struct config *cfg;
	struct migset *set;
	struct history *h;
	char applied_by[300];
	int server_version;
	struct backoff lock_backoff;
	struct watch watch;
};

/* Items common to every transaction: BEGIN, the timeout, the guard, the history table. */
static bool begin_items(struct apply_ctx *c, struct items *it, struct migration *const *ms, int n)
{
	char buf[16384];
	snprintf(buf, sizeof buf, "SET LOCAL statement_timeout = %lld",
	         (long long)c->cfg->statement_timeout_ms);
	if (!items_add(it, "BEGIN", 5, -1, 0) || !items_add(it, buf, strlen(buf), -1, 0))
		return false;
	history_guard_sql(c->h, ms, n, buf, sizeof buf);
	if (!items_add(it, buf, strlen(buf), -1, 0))
		return false;
	if (!c->h->exists) {
		/* created under the lock: concurrent CREATE TABLE IF NOT EXISTS can collide */
		history_create_sql(c->h, buf, sizeof buf);
		char *semi = strchr(buf, ';');
		if (!items_add(it, buf, (size_t)(semi - buf), -1, 0) ||
		    !items_add(it, semi + 1, strlen(semi + 1), -1, 0))
			return false;
	}
	return true;
}

static bool migration_items(struct apply_ctx *c, struct items *it, int mi,
                            const struct sql_split *stmts)
{
	struct migration *m = &c->set->m[mi];
	for (int s = 0; s < stmts->n; s++)
		if (!items_add(it, m->text + stmts->stmts[s].start, stmts->stmts[s].len, mi, s))
			return false;
	const char *params[5];
	int np;
	const char *sql = history_insert_sql(c->h, m, c->applied_by, NULL, params, &np);
	if (!items_add(it, sql, strlen(sql), mi, -1))
		return false;
	struct item *x = &it->v[it->n - 1];
	memcpy(x->params, params, sizeof params);
	x->nparams = np;
	return true;
}

enum tx_outcome { TX_DONE, TX_ALREADY, TX_BUSY, TX_FAILED };

/* Run one transaction made of migrations idx[0..n). */
static enum tx_outcome run_tx(struct apply_ctx *c, const int *idx, int n, struct sql_split *splits,
                              int *rc, struct err *e)
{
	struct items it = {0};
	struct migration *ms[4096];
	int nm = n < 4096 ? n : 4096;
	for (int i = 0; i < nm; i++)
		ms[i] = &c->set->m[idx[i]];
	bool ok = begin_items(c, &it, ms, nm);
	for (int i = 0; ok && i < n; i++)
		ok = migration_items(c, &it, idx[i], &splits[i]);
	ok = ok && items_add(&it, "COMMIT", 6, -1, 0);
	if (!ok) {
		items_free(&it);
		*rc = err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		return TX_FAILED;
	}
	int failed;
	PGresult *res;
	watch_start(&c->watch, c->conn, c->set->m[idx[0]].name);
	enum pipe_result pr = pipeline_run(c->conn, &it, &failed, &res, &c->watch);
	enum tx_outcome out = TX_DONE;
	if (pr == PIPE_OK) {
		c->h->exists = true;
	} else if (pr == PIPE_ERROR) {
		const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (st && strcmp(st, SQLSTATE_LOCK_BUSY) == 0) {
			out = TX_BUSY;
		} else if (st && strcmp(st, SQLSTATE_ALREADY_APPLIED) == 0) {
			out = TX_ALREADY;
		} else {
			const struct item *x = &it.v[failed];
			if (x->mig >= 0) {
				int k = 0;
				while (k < n && idx[k] != x->mig)
					k++;
				*rc = report_failure(&c->set->m[x->mig],
				                     x->stmt >= 0 ? &splits[k].stmts[x->stmt]
				                                  : NULL,
				                     res, c->conn, e);
				if (x->stmt < 0)
					snprintf(
					        e->msg, sizeof e->msg,
					        "migration \"%s\" could not be recorded in %s: %s",
					        c->set->m[x->mig].name, c->h->qname,
					        PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
			} else {
				*rc = err_set(e, EXIT_APPLY, "transaction_failed",
				              "Check the role's privileges on the history table's "
				              "schema.",
				              PQresultErrorMessage(res), "%s failed: %s",
				              strncmp(x->sql, "COMMIT", 6) == 0
				                      ? "COMMIT"
				                      : "dbready's own statement",
				              PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
				snprintf(e->sqlstate, sizeof e->sqlstate, "%s", st ? st : "");
			}
			out = TX_FAILED;
		}
		PQclear(res);
		rollback_if_needed(c->conn);
	} else if (pr == PIPE_SIGNALED) {
		int sig = signals_caught();
		if (PQstatus(c->conn) == CONNECTION_OK && !PQisBusy(c->conn))
			rollback_if_needed(c->conn);
		*rc = err_set(e, EXIT_SIGNAL_BASE + sig, "signal",
		              "Nothing of the interrupted migration remains; run dbready again.",
		              NULL, "stopped by %s while applying \"%s\"; it was rolled back",
		              signals_name(sig), c->set->m[idx[0]].name);
		out = TX_FAILED;
	} else {
		*rc = err_set(e, EXIT_APPLY, "connection_lost",
		              "The server may have restarted; run dbready again: nothing of the "
		              "interrupted migration was committed.",
		              PQerrorMessage(c->conn), "lost the connection while applying \"%s\"",
		              c->set->m[idx[0]].name);
		out = TX_FAILED;
	}
	items_free(&it);
	return out;
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
		        "pg_locks "
		        "WHERE locktype = 'advisory' AND classid = %u AND objid = %u). Raise "
		        "--lock-timeout if a long migration is running.",
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

/* One statement (or any SQL) with signal handling; PIPE_* result, res on error. */
static enum pipe_result exec_one(PGconn *conn, const char *sql, size_t len, const char **params,
                                 int nparams, PGresult **res, struct watch *w)
{
	struct items it = {0};
	int failed;
	if (!items_add(&it, sql, len, -1, 0))
		return PIPE_BROKEN;
	if (nparams > 0)
		memcpy(it.v[0].params, params, (size_t)nparams * sizeof *params);
	it.v[0].nparams = nparams;
	enum pipe_result pr = pipeline_run(conn, &it, &failed, res, w);
	items_free(&it);
	return pr;
}

static bool exec_bool(PGconn *conn, const char *sql, const char **params, int nparams, bool *out)
{
	PGresult *r = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
	if (ok)
		*out = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return ok;
}

/* A pooler that multiplexes sessions (PgBouncer, Supavisor, RDS Proxy) answers the startup
 * with a cancel key of its own, so the backend pid libpq was told differs from the pid of
 * the backend that runs our statements. (Comparing pg_backend_pid() across two statements
 * is not enough: an idle pool often hands the same server connection back.) */
static bool behind_pooler(PGconn *conn)
{
	PGresult *r = PQexec(conn, "SELECT pg_backend_pid()");
	bool pooled = PQresultStatus(r) == PGRES_TUPLES_OK &&
	              atoi(PQgetvalue(r, 0, 0)) != PQbackendPID(conn);
	PQclear(r);
	return pooled;
}

/* ---------- a migration outside any transaction ---------- */

static int run_no_tx(struct apply_ctx *c, int mi, const struct sql_split *stmts, bool *already,
                     struct err *e)
{
	struct migration *m = &c->set->m[mi];
	char lockkey[32];
	snprintf(lockkey, sizeof lockkey, "%lld", (long long)c->h->lock_key);
	const char *kp[1] = {lockkey};
	*already = false;
	if (behind_pooler(c->conn))
		return err_set(
		        e, EXIT_CONFIG, "pooler",
		        "Give dbready the database's direct endpoint (port 5432, not the "
		        "pooler's), which keeps one session.",
		        "The connection goes through a pooler (its cancel key is not the "
		        "server's): behind transaction pooling, the statements and the session "
		        "lock that guards them could land in different server sessions.",
		        "migration \"%s\" must run outside a transaction, which needs a session",
		        m->name);
	int64_t deadline = clock_ms() + c->cfg->lock_timeout_ms;
	bool logged = false, locked = false;
	for (;;) {
		if (!exec_bool(c->conn, "SELECT pg_try_advisory_lock($1::bigint)", kp, 1, &locked))
			return err_set(e, EXIT_APPLY, "lock_failed", NULL, PQerrorMessage(c->conn),
			               "could not take the migration lock");
		if (locked)
			break;
		int rc = wait_lock(c, deadline, &logged, e);
		if (rc != EXIT_DONE)
			return rc;
	}
	int rc = EXIT_DONE;
	PGresult *res = NULL;
	char buf[2048];
	if (!c->h->exists) {
		history_create_sql(c->h, buf, sizeof buf);
		PGresult *r = PQexec(c->conn, buf);
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			rc = err_set(e, EXIT_APPLY, "history_failed", NULL,
			             PQresultErrorMessage(r),
			             "could not create the history table %s", c->h->qname);
		PQclear(r);
		if (!ok)
			goto unlock;
		c->h->exists = true;
	}
	snprintf(buf, sizeof buf, "SELECT EXISTS (SELECT 1 FROM %s WHERE %s = $1)", c->h->qname,
	         c->h->format == FORMAT_DRIZZLE ? "created_at::text" : "version");
	const char *kk[1] = {m->key};
	if (!exec_bool(c->conn, buf, kk, 1, already)) {
		rc = err_set(e, EXIT_APPLY, "history_failed", NULL, PQerrorMessage(c->conn),
		             "could not read the history table %s", c->h->qname);
		goto unlock;
	}
	if (*already)
		goto unlock;
	snprintf(buf, sizeof buf, "SET statement_timeout = %lld",
	         (long long)c->cfg->statement_timeout_ms);
	PQclear(PQexec(c->conn, buf));
	int64_t t0 = clock_ms();
	watch_start(&c->watch, c->conn, m->name);
	for (int s = 0; s < stmts->n; s++) {
		const struct sql_stmt *st = &stmts->stmts[s];
		enum pipe_result pr =
		        exec_one(c->conn, m->text + st->start, st->len, NULL, 0, &res, &c->watch);
		if (pr == PIPE_OK)
			continue;
		char ran[256];
		snprintf(ran, sizeof ran,
		         "%d of its %d statements ran before (outside a transaction, they stay "
		         "applied); the migration is not recorded.",
		         s, stmts->n);
		if (pr == PIPE_ERROR) {
			rc = report_failure(m, st, res, c->conn, e);
			PQclear(res);
		} else if (pr == PIPE_SIGNALED) {
			int sig = signals_caught();
			rc = err_set(e, EXIT_SIGNAL_BASE + sig, "signal", NULL, NULL,
			             "stopped by %s in statement %d of \"%s\"", signals_name(sig),
			             s + 1, m->name);
		} else {
			rc = err_set(
			        e, EXIT_APPLY, "connection_lost", NULL, PQerrorMessage(c->conn),
			        "lost the connection in statement %d of \"%s\"", s + 1, m->name);
		}
		size_t dl = strlen(e->detail);
		snprintf(e->detail + dl, sizeof e->detail - dl, "%s%s", dl ? "\n" : "", ran);
		goto unlock;
	}
	char dur[32];
	snprintf(dur, sizeof dur, "%lld", (long long)(clock_ms() - t0));
	const char *params[5];
	int np;
	const char *sql = history_insert_sql(c->h, m, c->applied_by, dur, params, &np);
	PGresult *r = PQexecParams(c->conn, sql, np, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = err_set(
		        e, EXIT_APPLY, "history_failed",
		        "Its statements ran; record it by hand or make them idempotent and run "
		        "again.",
		        PQresultErrorMessage(r), "migration \"%s\" ran but could not be recorded",
		        m->name);
	PQclear(r);
unlock:
	if (PQstatus(c->conn) == CONNECTION_OK) {
		PQclear(PQexec(c->conn, "RESET statement_timeout"));
		PQclear(PQexecParams(c->conn, "SELECT pg_advisory_unlock($1::bigint)", 1, NULL, kp,
		                     NULL, NULL, 0));
	}
	return rc;
}

/* ---------- the whole run ---------- */

static void log_applied(const struct migration *m, int64_t ms)
{
	struct log_fields lf = LOG_FIELDS_INIT;
	lf.event = "migration_applied";
	lf.migration = m->name;
	lf.duration_ms = ms;
	log_emit(LOG_INFO, &lf, "applied %s in %lld ms", m->name, (long long)ms);
}

static void note(struct apply_summary *sum, struct migration *m, int64_t ms)
{
	m->state = MIG_APPLIED;
	m->applied_now = true;
	m->apply_ms = ms;
	if (!sum->first)
		sum->first = m->name;
	sum->last = m->name;
	sum->applied++;
}

static bool wanted(const struct config *cfg, const struct migration *m)
{
	return m->state == MIG_PENDING ||
	       (m->state == MIG_OUT_OF_ORDER && cfg->allow_out_of_order);
}

static int apply_all_in_one(struct apply_ctx *c, int *idx, int n, struct sql_split *splits,
                            struct apply_summary *sum, struct err *e)
{
	for (int i = 0; i < n; i++) {
		const char *why =
		        apply_no_tx_reason(&c->set->m[idx[i]], &splits[i], c->server_version);
		if (why)
			return err_set(
			        e, EXIT_MIGRATIONS, "no_transaction",
			        "Run without --tx=all: dbready then runs that migration on its "
			        "own, outside a transaction.",
			        NULL,
			        "migration \"%s\" cannot run inside a transaction (%s), and "
			        "--tx=all puts every migration in one",
			        c->set->m[idx[i]].name, why);
	}
	int64_t deadline = clock_ms() + c->cfg->lock_timeout_ms;
	bool logged = false;
	for (;;) {
		int64_t t0 = clock_ms();
		int rc = EXIT_DONE;
		log_info("applying %d migration%s in one transaction (--tx=all)", n,
		         n == 1 ? "" : "s");
		enum tx_outcome out = run_tx(c, idx, n, splits, &rc, e);
		if (out == TX_DONE) {
			for (int i = 0; i < n; i++)
				note(sum, &c->set->m[idx[i]], -1);
			log_info("applied %d migration%s in %lld ms", n, n == 1 ? "" : "s",
			         (long long)(clock_ms() - t0));
			return EXIT_DONE;
		}
		if (out == TX_FAILED)
			return rc;
		if (out == TX_ALREADY) {
			/* another runner got there first: it applied the same folder */
			log_info("another runner applied these migrations meanwhile");
			for (int i = 0; i < n; i++)
				c->set->m[idx[i]].state = MIG_APPLIED;
			sum->skipped += n;
			return EXIT_DONE;
		}
		if ((rc = wait_lock(c, deadline, &logged, e)) != EXIT_DONE)
			return rc;
	}
}

int apply_pending(PGconn *conn, const struct config *cfg, const struct dburl *u,
                  struct migset *set, struct history *h, struct apply_summary *sum, struct err *e)
{
	memset(sum, 0, sizeof *sum);
	int64_t start = clock_ms();
	struct apply_ctx c = {.conn = conn, .cfg = cfg, .set = set, .h = h, .watch = {.u = u}};
	char host[256] = "unknown";
	gethostname(host, sizeof host - 1);
	snprintf(c.applied_by, sizeof c.applied_by, "%s dbready/%s", host, DBREADY_VERSION);
	c.server_version = PQserverVersion(conn);
	backoff_init(&c.lock_backoff, cfg->backoff_base_ms, cfg->backoff_cap_ms, 0);

	int *idx = calloc((size_t)(set->n ? set->n : 1), sizeof *idx);
	struct sql_split *splits = calloc((size_t)(set->n ? set->n : 1), sizeof *splits);
	int n = 0, rc = EXIT_DONE;
	if (!idx || !splits) {
		rc = err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		goto out;
	}
	for (int i = 0; i < set->n; i++) {
		if (!wanted(cfg, &set->m[i]))
			continue;
		if (!apply_statements(&set->m[i], set->format, &splits[n])) {
			rc = err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
			goto out;
		}
		idx[n++] = i;
	}
	if (n && cfg->tx == TX_ALL) {
		rc = apply_all_in_one(&c, idx, n, splits, sum, e);
		goto out;
	}
	for (int k = 0; k < n && rc == EXIT_DONE; k++) {
		struct migration *m = &set->m[idx[k]];
		const char *why = apply_no_tx_reason(m, &splits[k], c.server_version);
		struct log_fields lf = LOG_FIELDS_INIT;
		lf.event = "migration_start";
		lf.migration = m->name;
		log_emit(LOG_INFO, &lf, "applying %s%s%s%s", m->name,
		         why ? " outside a transaction (" : "", why ? why : "", why ? ")" : "");
		int64_t t0 = clock_ms();
		bool already = false;
		if (why) {
			rc = run_no_tx(&c, idx[k], &splits[k], &already, e);
		} else {
			int64_t deadline = clock_ms() + cfg->lock_timeout_ms;
			bool logged = false;
			for (;;) {
				enum tx_outcome out = run_tx(&c, &idx[k], 1, &splits[k], &rc, e);
				if (out == TX_BUSY) {
					if ((rc = wait_lock(&c, deadline, &logged, e)) !=
					    EXIT_DONE)
						break;
					continue;
				}
				already = out == TX_ALREADY;
				break;
			}
		}
		if (rc != EXIT_DONE)
			break;
		if (already) {
			log_info("%s was applied meanwhile by another runner", m->name);
			m->state = MIG_APPLIED;
			sum->skipped++;
			continue;
		}
		int64_t ms = clock_ms() - t0;
		log_applied(m, ms);
		note(sum, m, ms);
	}
out:
	watch_end(&c.watch);
	if (splits)
		for (int i = 0; i < n; i++)
			sql_split_free(&splits[i]);
	free(splits);
	free(idx);
	sum->elapsed_ms = clock_ms() - start;
	return rc;
}

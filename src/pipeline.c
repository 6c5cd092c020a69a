/* pipeline.c - statements in libpq's pipeline mode, streamed, with every result observed. */
#define _POSIX_C_SOURCE 200809L
#include "pipeline.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "log.h"
#include "signals.h"

/* Send at most this much before asking the socket to take it (PQflush): libpq's output
 * buffer then holds at most about this plus one statement. */
#define SEND_BATCH_BYTES (256 * 1024)

/* A NUL-terminated copy of the statement being sent (libpq wants one); grown to the longest
 * statement, so nothing is ever cut. */
struct scratch {
	char *buf;
	size_t cap;
};

static const char *terminated(struct scratch *s, const char *sql, size_t len)
{
	if (len + 1 > s->cap) {
		size_t ncap = s->cap ? s->cap : 4096;
		while (ncap < len + 1)
			ncap *= 2;
		char *g = realloc(s->buf, ncap);
		if (!g)
			return NULL;
		s->buf = g;
		s->cap = ncap;
	}
	memcpy(s->buf, sql, len);
	s->buf[len] = '\0';
	return s->buf;
}

static void set_broken(PGconn *conn, struct pipe_outcome *out, const char *why)
{
	if (out->broken)
		return;
	out->broken = why;
	const char *m = PQerrorMessage(conn);
	size_t n = strlen(m);
	if (n >= sizeof out->conn_error) {
		n = sizeof out->conn_error - 1;
		while (n > 0 && ((unsigned char)m[n] & 0xC0) == 0x80)
			n--; /* not inside a character */
	}
	memcpy(out->conn_error, m, n);
	out->conn_error[n] = '\0';
	while (n > 0 && (out->conn_error[n - 1] == '\n' || out->conn_error[n - 1] == ' '))
		out->conn_error[--n] = '\0';
}

static void cancel_running(PGconn *conn)
{
	PGcancel *c = PQgetCancel(conn);
	char ebuf[256];
	if (c) {
		PQcancel(c, ebuf, sizeof ebuf);
		PQfreeCancel(c);
	}
}

/* Take one result that PQgetResult() returned. Returns false when the pipeline is over (the
 * Sync arrived). */
enum copy_state { COPY_NONE, COPY_ENDING, COPY_DRAINING };

static bool take(PGresult *r, const struct pipe_source *src, bool *have_result,
                 enum copy_state *copy, PGresult **keep, struct pipe_outcome *out)
{
	ExecStatusType s = PQresultStatus(r);
	switch (s) {
	case PGRES_PIPELINE_SYNC:
		PQclear(r);
		out->synced = true;
		return false;
	case PGRES_COPY_IN:
		/* COPY ... FROM STDIN (the loader refuses it; the server may still start one):
		 * end it as failed, so the server answers with an error */
		*copy = COPY_ENDING;
		PQclear(r);
		return true;
	case PGRES_COPY_OUT:
	case PGRES_COPY_BOTH:
		/* drain what the server streams; its own result follows */
		*copy = COPY_DRAINING;
		PQclear(r);
		return true;
	case PGRES_FATAL_ERROR:
	case PGRES_NONFATAL_ERROR:
	case PGRES_BAD_RESPONSE:
		*have_result = true;
		if (out->failed < 0) {
			out->failed = out->done < src->n ? out->done : src->n - 1;
			out->failed_res = r;
		} else {
			PQclear(r);
		}
		return true;
	case PGRES_PIPELINE_ABORTED:
		*have_result = true;
		PQclear(r);
		return true;
	default: /* COMMAND_OK, TUPLES_OK, EMPTY_QUERY, single rows */
		*have_result = true;
		if (keep && !*keep)
			*keep = r;
		else
			PQclear(r);
		return true;
	}
}

bool pipeline_run(PGconn *conn, const struct pipe_source *src, struct pipe_ticker *tick,
                  struct pipe_outcome *out)
{
	memset(out, 0, sizeof *out);
	out->failed = -1;
	struct scratch sc = {0};
	/* a pipeline started after a signal (a ROLLBACK, an unlock) gets the grace period */
	bool cancelled = signals_caught() != 0;
	int64_t deadline = cancelled ? clock_ms() + CANCEL_GRACE_MS : 0;
	out->signalled = cancelled;
	PGresult ***keeps = NULL; /* each sent item's keep pointer, by item */
	int keeps_cap = 0;
	bool sync_sent = false, have_result = false;
	bool stop = false; /* a signal arrived during this pipeline: send nothing more */
	enum copy_state copy = COPY_NONE;

	if (PQsetnonblocking(conn, 1) != 0 || !PQenterPipelineMode(conn)) {
		set_broken(conn, out, "could not enter pipeline mode");
		goto done;
	}
	for (;;) {
		/* send while the socket keeps up; stop after a failure or a signal */
		size_t batch = 0;
		bool flush_pending = false;
		while (!sync_sent && !flush_pending) {
			if (out->sent < src->n && out->failed < 0 && !stop) {
				struct pipe_item it = {0};
				src->item(src->ctx, out->sent, &it);
				int k = out->sent;
				if (k >= keeps_cap) {
					int ncap = keeps_cap ? keeps_cap * 2 : 64;
					PGresult ***ng = realloc(keeps, (size_t)ncap * sizeof *ng);
					if (!ng) {
						set_broken(conn, out, "out of memory");
						goto done;
					}
					keeps = ng;
					keeps_cap = ncap;
				}
				keeps[k] = it.keep;
				char saved = 0;
				const char *sql = it.sql;
				if (it.nul_at && it.nul_at == it.sql + it.len) {
					saved = *it.nul_at; /* put back right after the send */
					*it.nul_at = '\0';
				} else {
					sql = terminated(&sc, it.sql, it.len);
				}
				if (!sql) {
					set_broken(conn, out, "out of memory");
					goto done;
				}
				int sent_ok = PQsendQueryParams(conn, sql, it.nparams, NULL,
				                                (const char *const *)it.params,
				                                NULL, NULL, 0);
				if (it.nul_at && sql == it.sql)
					*it.nul_at = saved;
				if (!sent_ok) {
					set_broken(conn, out, "the connection failed");
					goto done;
				}
				out->sent++;
				batch += it.len + 64;
				if (batch >= SEND_BATCH_BYTES || (out->sent & 63) == 0) {
					int f = PQflush(conn);
					if (f < 0) {
						set_broken(conn, out, "the connection failed");
						goto done;
					}
					flush_pending = f == 1;
					batch = 0;
				}
			} else {
				if (!PQpipelineSync(conn)) {
					set_broken(conn, out, "the connection failed");
					goto done;
				}
				sync_sent = true;
			}
		}
		int f = PQflush(conn);
		if (f < 0) {
			set_broken(conn, out, "the connection failed");
			goto done;
		}
		/* read what has arrived; a COPY the server started is ended without spinning */
		while (copy != COPY_NONE) {
			if (copy == COPY_ENDING) {
				int e = PQputCopyEnd(conn, "dbready sends no COPY data");
				if (e < 0) {
					set_broken(conn, out, "the connection failed");
					goto done;
				}
				if (e == 0)
					break; /* would block: poll for POLLOUT */
				copy = COPY_NONE;
			} else {
				char *buf = NULL;
				int got = PQgetCopyData(conn, &buf, 1);
				if (got > 0) {
					PQfreemem(buf);
					continue;
				}
				if (got == 0)
					break; /* more to come: poll */
				if (got == -2) {
					set_broken(conn, out, "the connection failed");
					goto done;
				}
				copy = COPY_NONE;
			}
		}
		while (copy == COPY_NONE && !PQisBusy(conn)) {
			PGresult *r = PQgetResult(conn);
			if (!r) {
				if (!have_result)
					break; /* nothing outstanding has answered yet */
				have_result = false;
				out->done++;
				continue;
			}
			PGresult **keep = out->done < out->sent ? keeps[out->done] : NULL;
			if (!take(r, src, &have_result, &copy, keep, out))
				goto done; /* synced */
		}
		if (!cancelled && signals_caught()) {
			/* cancel the running statement and send nothing more: the results that
			 * come back still say what ran */
			out->signalled = true;
			cancelled = stop = true;
			deadline = clock_ms() + CANCEL_GRACE_MS;
			cancel_running(conn);
			continue;
		}
		int64_t now = clock_ms();
		int64_t wait_ms = 60000;
		if (cancelled) {
			wait_ms = deadline - now;
			if (wait_ms <= 0) {
				set_broken(conn, out, "no answer after the cancel");
				goto done;
			}
		} else if (tick && tick->tick) {
			if (now >= tick->next) {
				tick->tick(tick->ctx);
				tick->next = clock_ms() + tick->every;
			}
			int64_t t = tick->next - clock_ms();
			if (t < wait_ms)
				wait_ms = t > 0 ? t : 0;
		}
		struct pollfd p[2] = {
		        {.fd = PQsocket(conn),
		         .events = (short)(POLLIN | (f == 1 || flush_pending || copy == COPY_ENDING
		                                             ? POLLOUT
		                                             : 0))},
		        {.fd = cancelled ? -1 : signals_fd(), .events = POLLIN}};
		int rc = poll(p, 2, (int)(wait_ms > 60000 ? 60000 : wait_ms));
		if (rc < 0 && errno != EINTR) {
			set_broken(conn, out, "poll failed");
			goto done;
		}
		if (rc > 0 && (p[0].revents & (POLLIN | POLLERR | POLLHUP)) &&
		    !PQconsumeInput(conn)) {
			set_broken(conn, out, "the connection was lost");
			goto done;
		}
	}
done:
	if (out->synced) {
		PQexitPipelineMode(conn);
		PQsetnonblocking(conn, 0);
	}
	free(keeps);
	free(sc.buf);
	return out->failed < 0 && !out->broken && out->synced;
}

struct one {
	const char *sql;
	const char *const *params;
	int nparams;
	PGresult **res;
};

static void one_item(void *ctx, int i, struct pipe_item *it)
{
	(void)i;
	const struct one *o = ctx;
	it->sql = o->sql;
	it->len = strlen(o->sql);
	it->params = o->params;
	it->nparams = o->nparams;
	it->keep = o->res;
}

bool pipeline_query(PGconn *conn, const char *sql, const char *const *params, int nparams,
                    PGresult **res, struct pipe_outcome *out)
{
	*res = NULL;
	struct one o = {sql, params, nparams, res};
	struct pipe_source src = {1, one_item, &o};
	bool ok = pipeline_run(conn, &src, NULL, out);
	if (!ok && out->failed_res && !*res) {
		*res = out->failed_res; /* the caller owns it either way */
		out->failed_res = NULL;
	}
	return ok;
}

void pipeline_rollback(PGconn *conn)
{
	if (PQstatus(conn) != CONNECTION_OK)
		return;
	PGTransactionStatusType ts = PQtransactionStatus(conn);
	if (ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR)
		return;
	PGresult *r;
	struct pipe_outcome o;
	pipeline_query(conn, "ROLLBACK", NULL, 0, &r, &o);
	PQclear(r);
	PQclear(o.failed_res);
}

int pipeline_no_answer(PGconn *conn, const struct pipe_outcome *o, const char *doing,
                       struct err *e)
{
	int sig = signals_caught();
	if (o->signalled && sig)
		return err_set(e, EXIT_SIGNAL_BASE + sig, "signal", NULL, NULL,
		               "stopped by %s while %s", signals_name(sig), doing);
	return err_set(e, EXIT_APPLY, "connection_lost",
	               "The server may have restarted or the network dropped the connection; run "
	               "dbready again.",
	               o->conn_error[0] ? o->conn_error : PQerrorMessage(conn),
	               "lost the connection while %s", doing);
}

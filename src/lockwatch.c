/* lockwatch.c - name the session that blocks a long-running migration (lockwatch.h). */
#define _POSIX_C_SOURCE 200809L
#include "lockwatch.h"

#include <stdio.h>

#include "connect.h"
#include "log.h"

static void report(void *ctx)
{
	struct lockwatch *w = ctx;
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
	PGresult *r = NULL;
	if (w->side) {
		struct pipe_outcome o;
		pipeline_query(w->side,
		               "SELECT b.pid, coalesce(b.usename, ''), "
		               "coalesce(b.application_name, ''), coalesce(b.state, ''), "
		               "coalesce(extract(epoch FROM now() - b.xact_start)::int, 0) "
		               "FROM pg_stat_activity b WHERE b.pid = ANY "
		               "(pg_blocking_pids($1::int)) ORDER BY b.xact_start LIMIT 1",
		               params, 1, &r, &o);
		if (o.broken) {
			PQfinish(w->side);
			w->side = NULL;
			w->u = NULL;
		}
	}
	struct log_fields lf = LOG_FIELDS_INIT;
	lf.migration = w->name;
	lf.duration_ms = secs * 1000;
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		/* user and application names are at most 63 bytes (NAMEDATALEN), the rest are
		 * numbers and a state word: the detail fits */
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

struct pipe_ticker *lockwatch_start(struct lockwatch *w, PGconn *conn, const char *name)
{
	w->backend_pid = PQbackendPID(conn);
	w->name = name;
	w->started = clock_ms();
	w->ticker.next = w->started + LOCKWATCH_FIRST_MS;
	w->ticker.every = LOCKWATCH_EVERY_MS;
	w->ticker.tick = report;
	w->ticker.ctx = w;
	return &w->ticker;
}

void lockwatch_end(struct lockwatch *w)
{
	if (w->side)
		PQfinish(w->side);
	w->side = NULL;
}

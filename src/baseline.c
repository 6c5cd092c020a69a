/* baseline.c - record the migrations up to one as applied without running them. */
#define _POSIX_C_SOURCE 200809L
#include "baseline.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "exitcode.h"
#include "format.h"
#include "log.h"
#include "report.h"
#include "pipeline.h"
#include "plan.h"
#include "signals.h"

/* ---------- which migration NAME names ---------- */

static bool names(const struct format *f, const struct migration *m, const char *name)
{
	if (m->repeatable)
		return false;
	if (strcmp(m->name, name) == 0 || (m->file && strcmp(m->file, name) == 0))
		return true;
	return f->key_equal ? f->key_equal(name, m->key) : strcmp(name, m->key) == 0;
}

int baseline_find(const struct migset *set, const char *name, const char *what, int *idx,
                  struct err *e)
{
	for (int i = set->n - 1; i >= 0; i--)
		if (names(set->format, &set->m[i], name)) {
			*idx = i;
			return EXIT_DONE;
		}
	/* close names: those that contain it or that it contains (a prefix typed in full, a
	 * name with a typo in its tail), else the newest few */
	char detail[2048] = "";
	size_t dl = 0;
	int shown = 0;
	for (int pass = 0; pass < 2 && !shown; pass++)
		for (int i = set->n - 1; i >= 0 && shown < 5; i--) {
			const struct migration *m = &set->m[i];
			size_t kl = strlen(m->key);
			bool close = strstr(m->name, name) || strstr(name, m->key) ||
			             (kl && strncmp(name, m->name, kl) == 0);
			if (m->repeatable || (pass == 0 && !close))
				continue;
			if (dl + 300 < sizeof detail)
				dl += (size_t)snprintf(
				        detail + dl, sizeof detail - dl, "%s\"%s\" (key %s)",
				        shown ? ", " : "Closest: ", m->name, m->key);
			shown++;
		}
	return err_set(e, EXIT_USAGE, "baseline_unknown",
	               "Give a migration's name, its file name or its key, as `dbready status` "
	               "lists them.",
	               set->n ? detail : "The folder holds no migrations.",
	               "%s \"%s\" names no migration in %s", what, name, set->dir);
}

/* ---------- one statement ---------- */

static bool exec(PGconn *conn, const char *sql, const char *const *params, int np,
                 const char *what, struct err *e)
{
	PGresult *r = NULL;
	bool ok = apply_query(conn, sql, params, np, &r, what, e);
	PQclear(r);
	return ok;
}

/* Relations in the session's schema and the history table's, the history table aside: a
 * schema holding none is a new database, not one to adopt. */
static int schema_relations(PGconn *conn, const struct history *h, long long *n, struct err *e)
{
	const char *p[2] = {h->schema, h->qname};
	PGresult *r = NULL;
	if (!apply_query(
	            conn,
	            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
	            "c.relnamespace "
	            "WHERE n.nspname IN ($1, current_schema()) AND c.relkind IN ('r', 'p', 'v', "
	            "'m', 'f') AND c.oid IS DISTINCT FROM to_regclass($2)",
	            p, 2, &r, "look into the schema", e))
		return e->code;
	*n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return EXIT_DONE;
}

/* ---------- what to record ---------- */

/* The migrations at or below upto that the plan does not count as recorded, into r. */
static int choose(struct migset *set, const struct history *h, int upto, struct baseline_result *r,
                  struct err *e)
{
	r->n = 0;
	r->m = malloc((size_t)(upto + 1) * sizeof *r->m);
	if (!r->m)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	for (int i = 0; i <= upto; i++) {
		const struct migration *m = &set->m[i];
		if (!m->repeatable && (m->state == MIG_PENDING || m->state == MIG_OUT_OF_ORDER))
			r->m[r->n++] = m;
	}
	/* a table that records only the newest version records the baseline in one row */
	if (h->format->watermark && r->n > 1) {
		r->m[0] = r->m[r->n - 1];
		r->n = 1;
	}
	/* a tool with a baseline row of its own records that one row, at upto */
	if (h->format->baseline_sql && r->n) {
		r->m[0] = &set->m[upto];
		r->n = 1;
	}
	return EXIT_DONE;
}

/* Whether the history's rows let a baseline go ahead: EXIT_DONE with *go, or exit 6. */
static int judge(const struct history *h, const char *to, bool force, bool refuse,
                 struct baseline_result *r, bool *go, struct err *e)
{
	*go = true;
	r->history_rows = h->n;
	if (h->nfailed)
		return err_set(e, EXIT_MIGRATIONS, "baseline_failed_rows",
		               "Resolve the failed migration first (see `dbready status`).", NULL,
		               "%s records a failed migration: no baseline is written over it",
		               h->qname);
	if (h->n == 0)
		return EXIT_DONE;
	if (force && h->format->baseline_sql)
		return err_set(e, EXIT_MIGRATIONS, "baseline_not_empty",
		               "Flyway baselines only an empty history: record the missing "
		               "migrations with `dbready resolve --applied`, or empty the table.",
		               NULL, "%s already has %d row%s", h->qname, h->n,
		               h->n == 1 ? "" : "s");
	if (force)
		return EXIT_DONE;
	*go = false;
	if (refuse)
		return err_set(
		        e, EXIT_MIGRATIONS, "baseline_not_empty",
		        "A baseline adopts a database with no history. To record the missing "
		        "migrations up to it anyway, add --force (after checking the schema "
		        "holds what they create).",
		        NULL, "%s already has %d row%s: not baselined at \"%s\"", h->qname, h->n,
		        h->n == 1 ? "" : "s", to);
	r->skipped = "the history table already has rows";
	log_info("--baseline=%s does nothing: %s has %d row%s (a baseline only adopts a database "
	         "with no history)",
	         to, h->qname, h->n, h->n == 1 ? "" : "s");
	return EXIT_DONE;
}

/* A table in an older shape of the tool's (format.h struct fupgrade_spec) gets no rows
 * written into it: with rows (and no --force) judge decides as for any history; else the
 * table is upgraded first, by a run without a baseline. */
static int upgrade_first(const struct history *h, bool force, struct err *e)
{
	if (!h->needs_upgrade || (h->n > 0 && !force))
		return EXIT_DONE;
	return err_set(e, EXIT_MIGRATIONS, "baseline_upgrade_first",
	               "Run dbready once without a baseline (it upgrades the table as the tool "
	               "does), then baseline.",
	               NULL, "%s is in %s: no baseline is written into it", h->qname,
	               h->format->upgrade->shape);
}

static void log_row(const struct history *h, const struct migration *m, bool dry)
{
	if (h->format->baseline_sql)
		log_info("%s %s baseline row at version %s (\"%s\" and every migration before it "
		         "count as applied)",
		         dry ? "would write" : "wrote", h->format->name, m->key, m->name);
	else
		log_info("%s \"%s\" (%s %s) as applied without running it (baseline)",
		         dry ? "would record" : "recorded", m->name, h->format->key_label, m->key);
}

/* The rows of r into the open transaction: the table first when absent. */
static int write_rows(PGconn *conn, const struct history *h, const struct baseline_result *r,
                      struct err *e)
{
	char by[300], buf[HISTORY_SQL_MAX];
	apply_applied_by(by, sizeof by);
	const struct format *f = h->format;
	struct fsql_list l = {.n = 0};
	if (!h->exists) {
		if (!exec(conn, history_create_schema_sql(h, buf, sizeof buf), NULL, 0,
		          "create the history table's schema", e))
			return e->code;
		f->create_sql(h->qname, &l);
		for (int i = 0; i < l.n; i++)
			if (!exec(conn, l.s[i].text, l.s[i].params, l.s[i].nparams,
			          "create the history table", e))
				return e->code;
		log_info("created %s", h->qname);
	}
	for (int k = 0; k < r->n; k++) {
		const struct migration *m = r->m[k];
		l.n = 0;
		if (f->baseline_sql)
			f->baseline_sql(h->qname, m->key, m, &l);
		else if (f->resolved_sql)
			f->resolved_sql(h->qname, m, by, &l);
		else
			f->record_sql(h->qname, m, by, "0", &l);
		for (int i = 0; i < l.n; i++)
			if (!exec(conn, l.s[i].text, l.s[i].params, l.s[i].nparams,
			          "record the baseline", e))
				return e->code;
	}
	return EXIT_DONE;
}

int baseline_record(PGconn *conn, const struct config *cfg, struct migset *set, struct history *h,
                    int upto, bool force, bool refuse, bool only_nonempty,
                    struct baseline_result *r, struct err *e)
{
	memset(r, 0, sizeof *r);
	const char *to = set->m[upto].name;
	bool go;
	int rc;
	if (cfg->dry_run) {
		if ((rc = upgrade_first(h, force, e)) != EXIT_DONE)
			return rc;
		if ((rc = judge(h, to, force, refuse, r, &go, e)) != EXIT_DONE || !go)
			return rc;
		long long objs = 1;
		if (only_nonempty && !h->exists &&
		    (rc = schema_relations(conn, h, &objs, e)) != EXIT_DONE)
			return rc;
		if (!objs) {
			r->skipped = "the schema holds no tables";
			log_info("--baseline=%s would do nothing: the schema holds no tables, so "
			         "every "
			         "migration would be applied",
			         to);
			return EXIT_DONE;
		}
		if ((rc = choose(set, h, upto, r, e)) != EXIT_DONE)
			return rc;
		for (int k = 0; k < r->n; k++)
			log_row(h, r->m[k], true);
		return EXIT_DONE;
	}
	if ((rc = apply_lock_tx(conn, cfg, h, "start the baseline", e)) != EXIT_DONE)
		return rc;
	/* under the lock: what the history holds now (another runner may have written it) */
	struct plan p = {0};
	long long objs = 1;
	if ((rc = history_read(conn, h, set, e)) != EXIT_DONE)
		goto out;
	if ((rc = upgrade_first(h, force, e)) != EXIT_DONE)
		goto out;
	if (!plan_build(set, h, &p)) {
		rc = err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		goto out;
	}
	if ((rc = judge(h, to, force, refuse, r, &go, e)) != EXIT_DONE || !go)
		goto out;
	if (only_nonempty && !h->exists && (rc = schema_relations(conn, h, &objs, e)) != EXIT_DONE)
		goto out;
	if (!objs) {
		r->skipped = "the schema holds no tables";
		log_info(
		        "--baseline=%s does nothing: the schema holds no tables (a new database): "
		        "every migration is applied",
		        to);
		goto out;
	}
	if ((rc = choose(set, h, upto, r, e)) != EXIT_DONE || !r->n)
		goto out;
	if ((rc = write_rows(conn, h, r, e)) != EXIT_DONE)
		goto out;
	if (signals_caught()) {
		int sig = signals_caught();
		rc = err_set(e, EXIT_SIGNAL_BASE + sig, "signal", NULL, "Nothing was recorded.",
		             "stopped by %s while recording the baseline", signals_name(sig));
		goto out;
	}
	if (!exec(conn, "COMMIT", NULL, 0, "commit the baseline", e)) {
		rc = e->code;
		goto out;
	}
	for (int k = 0; k < r->n; k++)
		log_row(h, r->m[k], false);
out:
	plan_free(&p);
	pipeline_rollback(conn); /* nothing when committed */
	return rc;
}

void baseline_print_json(const struct config *cfg, const struct migset *set,
                         const struct history *h, const char *to, const struct baseline_result *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "command", "baseline");
	cJSON_AddStringToObject(o, "format", set->format->name);
	cJSON_AddStringToObject(o, "history_table", h->qname);
	cJSON_AddStringToObject(o, "to", to);
	cJSON_AddBoolToObject(o, "dry_run", cfg->dry_run);
	cJSON_AddBoolToObject(o, "force", cfg->force);
	cJSON_AddNumberToObject(o, "history_rows_before", r->history_rows);
	cJSON *a = cJSON_AddArrayToObject(o, "recorded");
	for (int k = 0; k < r->n; k++) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "name", r->m[k]->name);
		cJSON_AddStringToObject(m, "key", r->m[k]->key);
		cJSON_AddStringToObject(m, "row",
		                        h->format->baseline_sql ? "baseline" : "applied");
		cJSON_AddItemToArray(a, m);
	}
	if (r->skipped)
		cJSON_AddStringToObject(o, "skipped", r->skipped);
	else
		cJSON_AddNullToObject(o, "skipped");
	report_json_print(o);
}

/* ---------- the hint at the first "already exists" ---------- */

void baseline_hint(struct err *e, const struct migset *set, int applied)
{
	static const char *const exists[] = {"42P07", "42701", "42710", "42723"};
	bool match = false;
	for (size_t i = 0; i < sizeof exists / sizeof exists[0]; i++)
		match = match || strcmp(e->sqlstate, exists[i]) == 0;
	if (e->code != EXIT_APPLY || !match || !e->migration[0])
		return;
	const struct migration *m = NULL;
	for (int i = 0; i < set->n && !m; i++)
		if (strcmp(set->m[i].name, e->migration) == 0)
			m = &set->m[i];
	if (!m)
		return;
	/* the server's words, as failure_report put them after "failed at FILE:L:C: " */
	const char *said = strstr(e->msg, " failed at ");
	said = said ? strstr(said, ": ") : NULL;
	said = said ? said + 2 : "the object exists";
	const char *key = m->name;
	if (applied)
		snprintf(e->hint, sizeof e->hint,
		         "Observed: %s, created by \"%s\", and the history was empty before this "
		         "run: the schema was made without the migrations (drizzle-kit push, a "
		         "restored dump). Check the schema matches the migrations first; then "
		         "record the ones it already holds with `dbready baseline --to NAME "
		         "--force` (NAME: the newest of them, at least \"%s\"; see "
		         "docs/adopting.md) and run again.",
		         said, m->name, key);
	else
		snprintf(
		        e->hint, sizeof e->hint,
		        "Observed: %s, created by \"%s\", and the history is empty: the schema "
		        "was "
		        "made without the migrations (drizzle-kit push, a restored dump). Check "
		        "the schema matches the migrations first; then adopt it with "
		        "--baseline=NAME (DBREADY_BASELINE), NAME the newest migration the schema "
		        "already holds, at least --baseline=%s: those are recorded as applied "
		        "without running, the rest is applied (docs/adopting.md).",
		        said, m->name, key);
}

/* recover.c - dbready resolve and dbready repair: change one history row, as the tool does. */
#define _POSIX_C_SOURCE 200809L
#include "recover.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "exitcode.h"
#include "format.h"
#include "history.h"
#include "log.h"
#include "plan.h"
#include "report.h"
#include "run.h"
#include "wait.h"

struct job {
	const struct config *cfg;
	bool repair; /* repair --accept-changed (else resolve) */
	const char *name;
	struct migset set;
	struct history h;
	const struct migration *m, *prev;
	/* what decide() found, pointing into h's rows (valid until they are read again) */
	const char *row_key;
	const char *was; /* the failed row's text, or the recorded checksum */
	bool nothing;    /* repair: the row already carries the file's checksum */
};

static const char *what(const struct job *j)
{
	return j->repair ? "checksum" : j->cfg->resolve_applied ? "applied" : "rolled back";
}

/* NAME: a migration's name, its file, or its key (version, created_at) as the format
 * compares keys; the first match on disk. */
static int find_migration(struct job *j, struct err *e)
{
	const struct format *f = j->set.format;
	const struct migration *prev = NULL;
	for (int i = 0; i < j->set.n; i++) {
		const struct migration *m = &j->set.m[i];
		if (strcmp(m->name, j->name) == 0 || strcmp(m->file, j->name) == 0 ||
		    (!m->repeatable && f->key_equal && f->key_equal(j->name, m->key))) {
			j->m = m;
			j->prev = prev;
			return EXIT_DONE;
		}
		if (!m->repeatable)
			prev = m;
	}
	return err_set(e, EXIT_USAGE, "usage",
	               "Give the name of a migration as `dbready status` lists it (or its file, "
	               "or its key).",
	               NULL, "no migration \"%s\" in %s", j->name, j->set.dir);
}

/* The row of j->m that resolve or repair changes. */
static int find_row(struct job *j, struct err *e)
{
	const struct history *h = &j->h;
	const struct format *f = h->format;
	const struct migration *m = j->m;
	const struct hrow *row = NULL, *other = NULL;
	for (int i = 0; i < h->n && !row; i++) {
		const struct hrow *r = &h->rows[i];
		bool mine = !r->baseline && *r->key && f->key_equal(r->key, m->key);
		if (mine && (j->repair ? !r->failed : r->failed != NULL))
			row = r;
		else if (!other && r->failed)
			other = r;
	}
	if (row) {
		j->row_key = row->key;
		j->was = j->repair ? row->hash : row->failed;
		j->nothing = j->repair && plan_hash_match(row->hash, m);
		return EXIT_DONE;
	}
	char detail[1024];
	if (j->repair)
		return err_set(
		        e, EXIT_MIGRATIONS, "not_applied",
		        "Nothing is to be accepted: `dbready run` applies it as the file is.",
		        NULL, "migration \"%s\" is not applied: %s has no row for %s %s", m->name,
		        h->qname, f->key_label, m->key);
	if (other)
		snprintf(detail, sizeof detail, "The failed row is %s %s (%s).", f->key_label,
		         *other->key ? other->key : "NULL", other->failed);
	else
		snprintf(detail, sizeof detail, "%s records no failed migration.", h->qname);
	return err_set(e, EXIT_MIGRATIONS, "no_failed_row",
	               other ? "Name the failed migration." : "Nothing is to be resolved.", detail,
	               "migration \"%s\" has no failed row in %s", m->name, h->qname);
}

/* Read the history and build what to write into sql (nothing when nothing is to change). */
static int decide(PGconn *conn, struct job *j, struct fsql_list *sql, struct err *e)
{
	const struct format *f = j->set.format;
	memset(sql, 0, sizeof *sql);
	int rc = history_read(conn, &j->h, &j->set, e);
	if (rc != EXIT_DONE)
		return rc;
	if (j->h.needs_upgrade)
		return err_set(e, EXIT_MIGRATIONS, "needs_upgrade",
		               "Run `dbready run` first: it upgrades the table, as the tool does.",
		               NULL, "%s is in %s", j->h.qname, f->upgrade->shape);
	if (!j->h.exists)
		return err_set(e, EXIT_MIGRATIONS, j->repair ? "not_applied" : "no_failed_row",
		               j->repair ? "Nothing is to be accepted: `dbready run` applies it."
		                         : "Nothing is to be resolved.",
		               NULL, "the history table %s does not exist", j->h.qname);
	if ((rc = find_row(j, e)) != EXIT_DONE || j->nothing)
		return rc;
	if (j->repair)
		f->accept_changed_sql(j->h.qname, j->row_key, j->m, sql);
	else
		f->resolve_sql(j->h.qname, j->row_key, j->m, j->prev, j->cfg->resolve_applied,
		               sql);
	return EXIT_DONE;
}

static int locked_work(PGconn *conn, void *arg, struct fsql_list *sql, struct err *e)
{
	return decide(conn, arg, sql, e);
}

/* "SQL ($1 = 'a', $2 = 'b')" for the log, malloc'd (NULL: out of memory) */
static char *statement_text(const struct fsql *s)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	if (!f)
		return NULL;
	fputs(s->text, f);
	for (int i = 0; i < s->nparams; i++)
		fprintf(f, "%s$%d = '%s'", i ? ", " : " (", i + 1, s->params[i]);
	if (s->nparams)
		fputc(')', f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static void print_json(const struct job *j, const struct apply_locked_result *res, bool dry)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "command", j->repair ? "repair" : "resolve");
	cJSON_AddStringToObject(o, "format", j->set.format->name);
	cJSON_AddStringToObject(o, "history_table", j->h.qname);
	cJSON_AddStringToObject(o, "migration", j->m->name);
	cJSON_AddStringToObject(o, "key", j->m->key);
	cJSON_AddStringToObject(o, "record",
	                        j->repair                 ? "checksum"
	                        : j->cfg->resolve_applied ? "applied"
	                                                  : "rolled_back");
	cJSON_AddStringToObject(o, "was", j->was ? j->was : "");
	if (j->repair)
		cJSON_AddStringToObject(o, "checksum", j->m->hash);
	cJSON_AddBoolToObject(o, "dry_run", dry);
	cJSON_AddBoolToObject(o, "changed", !dry && res->n > 0);
	cJSON *arr = cJSON_AddArrayToObject(o, "statements");
	for (int i = 0; arr && i < res->sql.n; i++) {
		const struct fsql *s = &res->sql.s[i];
		cJSON *st = cJSON_CreateObject();
		cJSON_AddStringToObject(st, "sql", s->text);
		cJSON *p = cJSON_AddArrayToObject(st, "params");
		for (int k = 0; p && k < s->nparams; k++)
			cJSON_AddItemToArray(p, cJSON_CreateString(s->params[k]));
		if (!dry) {
			cJSON_AddStringToObject(st, "result", res->tag[i]);
			cJSON_AddNumberToObject(st, "rows", (double)res->rows[i]);
		}
		cJSON_AddItemToArray(arr, st);
	}
	report_json_print(o);
}

/* One log line per statement: what it is to do (dry run) or what the server did. */
static int report(const struct job *j, const struct apply_locked_result *res, bool dry,
                  struct err *e)
{
	for (int i = 0; i < res->sql.n; i++) {
		char *t = statement_text(&res->sql.s[i]);
		if (!t)
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		struct log_fields lf = LOG_FIELDS_INIT;
		lf.event = dry ? "would_write" : "history_written";
		lf.migration = j->m->name;
		if (dry)
			log_emit(LOG_INFO, &lf, "dry run: would run on %s: %s", j->h.qname, t);
		else
			log_emit(LOG_INFO, &lf, "%s: %s (%lld row%s): %s", j->h.qname, res->tag[i],
			         res->rows[i], res->rows[i] == 1 ? "" : "s", t);
		free(t);
	}
	if (j->cfg->json)
		print_json(j, res, dry);
	struct log_fields lf = LOG_FIELDS_INIT;
	lf.event = "done";
	lf.migration = j->m->name;
	lf.exit_code = EXIT_DONE;
	if (j->nothing) {
		log_emit(LOG_INFO, &lf,
		         "%s already records the checksum of \"%s\": nothing to change",
		         j->h.qname, j->m->name);
		termlog_write("ok: \"%s\" already recorded with its file's checksum", j->m->name);
	} else if (dry) {
		log_emit(LOG_INFO, &lf, "dry run: \"%s\" would be recorded as %s; nothing written",
		         j->m->name, what(j));
		termlog_write("ok: dry run, \"%s\" would be recorded as %s", j->m->name, what(j));
	} else if (j->repair) {
		log_emit(LOG_INFO, &lf, "recorded the edited file of \"%s\": checksum %s (was %s)",
		         j->m->name, j->m->hash, j->was);
		termlog_write("ok: recorded the checksum of \"%s\"", j->m->name);
	} else {
		log_emit(LOG_INFO, &lf, "recorded the failed migration \"%s\" as %s (was: %s)",
		         j->m->name, what(j), j->was);
		termlog_write("ok: recorded \"%s\" as %s", j->m->name, what(j));
	}
	return EXIT_DONE;
}

/* The format records no such row at all: nothing dbready or the tool could change. */
static int unsupported(const struct job *j, struct err *e)
{
	const struct format *f = j->set.format;
	if (j->repair)
		return err_set(
		        e, EXIT_USAGE, "usage",
		        "Nothing is to be accepted: dbready runs what the file says when the "
		        "migration is pending, and never looks at an applied file again.",
		        NULL,
		        "the %s history table records no checksum, so an edited migration "
		        "is never \"changed\"",
		        f->name);
	return err_set(e, EXIT_USAGE, "usage",
	               "Undo by hand what the failed migration left (or make it idempotent, e.g. "
	               "IF NOT EXISTS), then run dbready again: it applies the migration.",
	               "A migration that fails is not recorded: it stays pending.",
	               "the %s history table never records a failed migration: there is nothing "
	               "to resolve",
	               f->name);
}

int cmd_recover(const struct config *cfg, const struct dburl *u)
{
	struct job j;
	memset(&j, 0, sizeof j);
	j.cfg = cfg;
	j.repair = cfg->cmd == CMD_REPAIR;
	j.name = j.repair ? cfg->accept_changed : cfg->resolve_name;
	struct err e;
	memset(&e, 0, sizeof e);
	PGconn *conn = NULL;
	int rc = run_load(cfg, u, &j.set, &j.h, &e);
	if (rc == EXIT_DONE &&
	    (j.repair ? !j.set.format->accept_changed_sql : !j.set.format->resolve_sql))
		rc = unsupported(&j, &e);
	if (rc == EXIT_DONE)
		rc = find_migration(&j, &e);
	if (rc == EXIT_DONE && j.repair && j.m->repeatable)
		rc = err_set(&e, EXIT_USAGE, "usage",
		             "Nothing is to be accepted: `dbready run` applies it again.", NULL,
		             "\"%s\" is repeatable: it is applied again whenever its file changes",
		             j.m->name);
	if (rc == EXIT_DONE) {
		struct wait_result wr;
		wait_for_database(cfg, u, false, &conn, &wr);
		if (wr.exit_code != EXIT_DONE) {
			termlog_write("error (exit %d): %s: %s", wr.exit_code, wait_failure(&wr),
			              wr.last.reason);
			rc = wr.exit_code;
			goto out; /* wait has logged it */
		}
	}
	struct apply_locked_result res;
	memset(&res, 0, sizeof res);
	/* first without the lock: what the history holds now, and what would change (this
	 * read also binds the table and the lock keys); a refusal here takes no lock */
	if (rc == EXIT_DONE)
		rc = decide(conn, &j, &res.sql, &e);
	if (rc == EXIT_DONE && (cfg->dry_run || j.nothing)) {
		rc = report(&j, &res, cfg->dry_run, &e);
	} else if (rc == EXIT_DONE) {
		/* again under the lock, where the row is read and written in one transaction */
		rc = apply_locked(conn, cfg, u, &j.set, &j.h, locked_work, &j, &res, &e);
		if (rc == EXIT_DONE)
			rc = report(&j, &res, false, &e);
	}
	if (rc != EXIT_DONE && e.msg[0]) {
		err_log(&e);
		if (rc > EXIT_SIGNAL_BASE)
			termlog_write("stopped (exit %d): %s", rc, e.msg);
		else
			termlog_write("error (exit %d): %s", rc, e.msg);
	}
out:
	if (conn)
		PQfinish(conn);
	history_free_rows(&j.h);
	migset_free(&j.set);
	return rc;
}

/* run.c - the commands that touch migrations: run, migrate, status, await, probe, check. */
#define _POSIX_C_SOURCE 200809L
#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "backoff.h"
#include "baseline.h"
#include "depwait.h"
#include "dialect.h"
#include "exitcode.h"
#include "history.h"
#include "invalid_index.h"
#include "log.h"
#include "notify.h"
#include "plan.h"
#include "report.h"
#include "signals.h"
#include "format.h"
#include "wait.h"

static int fail(const struct err *e)
{
	err_log(e);
	if (e->code > EXIT_SIGNAL_BASE)
		termlog_write("stopped (exit %d): %s", e->code, e->msg);
	else
		termlog_write("error (exit %d): %s", e->code, e->msg);
	return e->code;
}

/* Say what became of each of the tools' URL parameters now that the format is known: read
 * by this format, dropped (it tunes only the tool's client), or ignored (another tool's). */
static void note_dialect(const struct config *cfg, const struct format *f, const struct dialect *d)
{
	for (int i = 0; i < d->n; i++) {
		const char *name = d->p[i].name;
		const struct fsetting *s = f->url_params;
		while (s && s->name && strcmp(s->name, name) != 0)
			s++;
		const struct format *owner = dialect_owner(name);
		const char *who = owner ? owner->name : "another migration tool";
		if (strcmp(name, "search_path") == 0)
			log_debug("URL parameter search_path: sent to the server as a run-time "
			          "parameter, as the Go drivers do");
		else if (s && s->name && s->kind == FSET_CLIENT)
			log_debug("URL parameter %s: tunes only %s's own client; dropped", name,
			          f->name);
		else if (s && s->name)
			log_debug("URL parameter %s: read as %s reads it", name, f->name);
		else
			log_warn("URL parameter %s is %s's, and the migrations are read as %s's "
			         "(%s): ignored; give --format=%s if they are %s's, or remove it "
			         "from the URL",
			         name, who, f->name,
			         cfg->format ? "--format" : "the folder's shape", who, who);
	}
}

/* The folder's tool's baseline on migrate (FSET_BASELINE_ON_MIGRATE, FSET_BASELINE_KEY)
 * into h: the key a baseline takes when the history table is created in a schema that is not
 * empty. */
static int baseline_config(const struct format *f, struct history *h, struct err *e)
{
	const char *name, *kname = NULL;
	const char *v = dialect_env_of(f, FSET_BASELINE_ON_MIGRATE, &name);
	bool on = false;
	if (v && !cli_parse_bool(v, &on))
		return err_set(e, EXIT_USAGE, "usage", "Use true or false.", NULL,
		               "invalid boolean \"%s\" for %s", v, name);
	if (!on)
		return EXIT_DONE;
	const char *key = dialect_env_of(f, FSET_BASELINE_KEY, &kname);
	if (!f->baseline_sql)
		return err_set(e, EXIT_CONFIG, "baseline_unsupported",
		               "Unset it, or baseline the database with the tool once.", NULL,
		               "%s=%s, but dbready cannot write a %s baseline", name, v, f->name);
	h->baseline_key = key ? key : f->baseline_default;
	log_debug("%s=%s: a schema that is not empty and has no history table is baselined at "
	          "%s (%s)",
	          name, v, h->baseline_key, kname ? kname : "the default");
	return EXIT_DONE;
}

/* Validate the files before any network (behaviour.md §1: check stops here). The history
 * table: --history-table, else what the tool's own configuration names, else the format's. */
static int load(const struct config *cfg, const struct dburl *u, struct migset *set,
                struct history *h, struct err *e)
{
	int rc = format_load(cfg->dir, cfg->format, set, e);
	if (rc != EXIT_DONE)
		return rc;
	if (cfg->dir_origin && strncmp(cfg->dir_origin, "DBREADY_", 8) != 0 &&
	    cfg->dir_origin[0] != '-')
		log_debug("migrations directory from %s", cfg->dir_origin);
	const char *spec = cfg->history_table;
	char tool_spec[1024], why[256];
	static const struct dialect none;
	const struct dialect *d = u ? &u->dialect : &none;
	if (u)
		note_dialect(cfg, set->format, d);
	if (!spec &&
	    dialect_history_table(set->format, d, tool_spec, sizeof tool_spec, why, sizeof why)) {
		spec = tool_spec;
		log_debug("history table %s (from %s)", spec, why);
	}
	if ((rc = history_init(h, set->format, spec, e)) != EXIT_DONE)
		return rc;
	return baseline_config(set->format, h, e);
}

static void wait_termlog(const struct wait_result *r)
{
	if (r->exit_code > EXIT_SIGNAL_BASE)
		termlog_write("stopped (exit %d): %s while waiting for the database", r->exit_code,
		              signals_name(r->exit_code - EXIT_SIGNAL_BASE));
	else
		termlog_write("error (exit %d): %s: %s", r->exit_code, wait_failure(r),
		              r->last.reason);
}

/* The --wait-for targets first, then the database, within one --timeout (README: "Waiting
 * for other services"); db gets cfg with the deadline that is left. status looks at the
 * database alone. depwait_run logs its failure and writes the termination log. */
static int wait_dependencies(const struct config *cfg, bool retry, struct config *db)
{
	*db = *cfg;
	if (!cfg->deps || cfg->deps->n == 0 || cfg->cmd == CMD_STATUS)
		return EXIT_DONE;
	int64_t deadline = retry && cfg->timeout_ms ? clock_ms() + cfg->timeout_ms : -1;
	if (deadline >= 0)
		db->wait_deadline_ms = deadline;
	return depwait_run(cfg->deps, cfg, retry, deadline);
}

/* What run, status and await share: the files, the history, the plan, the connection. */
struct session {
	struct migset set;
	struct history h;
	struct plan p;
	PGconn *conn;
	bool planned; /* the plan holds the database's view (for the outcome webhook) */
	struct err e; /* e.msg empty: nothing (more) to report */
};

/* (Re-)read the history and plan against it. */
static int replan(struct session *s)
{
	plan_free(&s->p);
	int rc = history_read(s->conn, &s->h, &s->set, &s->e);
	if (rc == EXIT_DONE && !plan_build(&s->set, &s->h, &s->p))
		rc = err_set(&s->e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	s->h.baseline_upto = s->p.baseline_upto;
	s->planned = rc == EXIT_DONE;
	return rc;
}

/* Load the files (before any network), connect (waiting or not), read the history, plan. */
static int session_open(struct session *s, const struct config *cfg, const struct dburl *u,
                        bool retry)
{
	memset(s, 0, sizeof *s);
	int rc = load(cfg, u, &s->set, &s->h, &s->e);
	if (rc != EXIT_DONE)
		return rc;
	struct config db;
	if ((rc = wait_dependencies(cfg, retry, &db)) != EXIT_DONE)
		return rc;
	struct wait_result wr;
	wait_for_database(&db, u, retry, &s->conn, &wr);
	if (wr.exit_code != EXIT_DONE) {
		wait_termlog(&wr); /* wait has logged it */
		return wr.exit_code;
	}
	return replan(s);
}

/* Report s->e if it holds an error, release everything, return rc. */
static int session_close(struct session *s, int rc)
{
	if (rc != EXIT_DONE && s->e.msg[0])
		fail(&s->e);
	if (s->planned)
		notify_note_migrations(&s->set);
	if (s->conn)
		PQfinish(s->conn);
	plan_free(&s->p);
	history_free_rows(&s->h);
	migset_free(&s->set);
	return rc;
}

/* The end of run, migrate, wait and await: post the outcome webhook, then with --stay keep
 * running until SIGTERM. */
static int stay(const struct config *cfg, int rc)
{
	rc = notify_outcome(cfg, rc);
	if (!cfg->stay || rc != EXIT_DONE)
		return rc;
	log_info("staying up until SIGTERM (--stay)");
	while (!signals_sleep(24 * 3600 * 1000LL))
		;
	log_info("stopped by %s after success", signals_name(signals_caught()));
	return EXIT_DONE;
}

int cmd_wait(const struct config *cfg, const struct dburl *u)
{
	PGconn *conn;
	struct wait_result r;
	struct config db;
	int rc = wait_dependencies(cfg, true, &db);
	if (rc != EXIT_DONE)
		return stay(cfg, rc);
	wait_for_database(&db, u, true, &conn, &r);
	if (conn)
		PQfinish(conn);
	if (r.exit_code == EXIT_DONE)
		termlog_write("ok: database ready after %d attempt%s in %lld ms", r.attempts,
		              r.attempts == 1 ? "" : "s", (long long)r.elapsed_ms);
	else
		wait_termlog(&r);
	return stay(cfg, r.exit_code);
}

int cmd_check(const struct config *cfg, const struct dburl *u)
{
	struct migset set;
	struct history h;
	struct err e = {0};
	int rc = load(cfg, u, &set, &h, &e);
	if (rc != EXIT_DONE) {
		migset_free(&set);
		return fail(&e);
	}
	report_check(cfg, u, &set, &h);
	termlog_write("ok: configuration valid, %d migration%s in %s", set.n,
	              set.n == 1 ? "" : "s", cfg->dir);
	migset_free(&set);
	return EXIT_DONE;
}

static void report_applied(const struct apply_summary *sum, int total)
{
	struct log_fields lf = LOG_FIELDS_INIT;
	lf.event = "done";
	lf.duration_ms = sum->elapsed_ms;
	lf.exit_code = EXIT_DONE;
	if (sum->applied) {
		const char *sep = sum->applied == 1 ? "" : "..";
		const char *last = sum->applied == 1 ? "" : sum->last;
		log_emit(LOG_INFO, &lf, "applied %d migration%s (%s%s%s) in %lld ms", sum->applied,
		         sum->applied == 1 ? "" : "s", sum->first, sep, last,
		         (long long)sum->elapsed_ms);
		termlog_write("ok: applied %d migration%s (%s%s%s) in %lld ms", sum->applied,
		              sum->applied == 1 ? "" : "s", sum->first, sep, last,
		              (long long)sum->elapsed_ms);
	} else {
		log_emit(LOG_INFO, &lf, "nothing to apply: %d migration%s applied", total,
		         total == 1 ? " is" : "s are");
		termlog_write("ok: nothing to apply, %d migration%s already applied", total,
		              total == 1 ? "" : "s");
	}
}

/* await/probe: exit 9 naming what is still pending */
static int pending_error(struct session *s, int left, bool retry)
{
	char detail[2048] = "";
	size_t dl = 0;
	for (int i = 0; i < s->set.n && dl + 300 < sizeof detail; i++) {
		const struct migration *m = &s->set.m[i];
		if (m->state == MIG_PENDING || m->state == MIG_OUT_OF_ORDER)
			dl += (size_t)snprintf(detail + dl, sizeof detail - dl, "%s%s",
			                       dl ? ", " : "Not applied: ", m->name);
	}
	return err_set(&s->e, EXIT_PENDING, "pending",
	               "The migrating Job or pod has not finished: check its logs (kubectl logs "
	               "job/...), or raise --timeout.",
	               detail, "%d migration%s still pending%s", left, left == 1 ? "" : "s",
	               retry ? " at the deadline" : "");
}

/* The history table is in an older shape of the tool's: upgrade it as the tool does (under
 * the lock; another runner may do it first), then read it again and check the plan. */
static int upgrade(struct session *s, const struct config *cfg, const struct dburl *u)
{
	int rc = apply_upgrade(s->conn, cfg, u, &s->set, &s->h, &s->e);
	if (rc == EXIT_DONE)
		rc = replan(s);
	if (rc == EXIT_DONE && s->h.needs_upgrade)
		rc = err_set(&s->e, EXIT_APPLY, "history_unstable",
		             "Look for another process that writes the history table.", NULL,
		             "%s is still in %s after its upgrade", s->h.qname,
		             s->h.format->upgrade->shape);
	if (rc == EXIT_DONE)
		rc = plan_check(&s->set, &s->p, cfg->allow_out_of_order, &s->e);
	return rc;
}

/* run --baseline=NAME (baseline.c): with no history, record the migrations up to NAME first
 * (a dry run marks them "baselined" in the plan), then plan again */
static int run_baseline(struct session *s, const struct config *cfg)
{
	int upto;
	struct baseline_result r;
	int rc = baseline_find(&s->set, cfg->baseline, "--baseline", &upto, &s->e);
	if (rc == EXIT_DONE)
		rc = baseline_record(s->conn, cfg, &s->set, &s->h, upto, false, false, true, &r,
		                     &s->e);
	if (rc != EXIT_DONE)
		return rc;
	if (r.n && cfg->dry_run) {
		for (int i = 0; i <= upto; i++) {
			struct migration *m = &s->set.m[i];
			if (!m->repeatable && m->state == MIG_PENDING) {
				m->state = MIG_BASELINED;
				s->p.pending--;
				s->p.baselined++;
			}
		}
	} else if (!cfg->dry_run) {
		rc = replan(s);
	}
	free(r.m);
	return rc;
}

int cmd_baseline(const struct config *cfg, const struct dburl *u)
{
	struct session s;
	struct baseline_result r = {0};
	int upto;
	int rc = session_open(&s, cfg, u, false);
	if (rc == EXIT_DONE)
		rc = baseline_find(&s.set, cfg->baseline_to, "--to", &upto, &s.e);
	if (rc == EXIT_DONE)
		rc = baseline_record(s.conn, cfg, &s.set, &s.h, upto, cfg->force, true, false, &r,
		                     &s.e);
	if (rc == EXIT_DONE) {
		if (cfg->json)
			baseline_print_json(cfg, &s.set, &s.h, cfg->baseline_to, &r);
		if (cfg->dry_run)
			termlog_write("ok: dry run, %d row%s to record up to \"%s\"", r.n,
			              r.n == 1 ? "" : "s", s.set.m[upto].name);
		else
			log_info("baseline at \"%s\": %d row%s recorded", s.set.m[upto].name, r.n,
			         r.n == 1 ? "" : "s");
		if (!cfg->dry_run)
			termlog_write("ok: baseline at \"%s\", %d row%s recorded",
			              s.set.m[upto].name, r.n, r.n == 1 ? "" : "s");
	}
	free(r.m);
	return session_close(&s, rc);
}

int cmd_run(const struct config *cfg, const struct dburl *u, bool retry)
{
	struct session s;
	int rc = session_open(&s, cfg, u, retry);
	if (rc == EXIT_DONE && cfg->baseline)
		rc = run_baseline(&s, cfg);
	if (rc == EXIT_DONE) {
		report_unknown(&s.h, &s.p);
		rc = plan_check(&s.set, &s.p, cfg->allow_out_of_order, &s.e);
	}
	if (rc == EXIT_DONE && cfg->dry_run) {
		int n = s.p.pending + (cfg->allow_out_of_order ? s.p.out_of_order : 0);
		report_plan(cfg, &s.set, &s.h, &s.p, PQserverVersion(s.conn));
		invalid_index_dry_run(s.conn, &s.set, cfg->allow_out_of_order,
		                      cfg->drop_invalid_indexes);
		termlog_write("ok: dry run, %d migration%s to apply", n, n == 1 ? "" : "s");
	} else if (rc == EXIT_DONE) {
		struct apply_summary sum = {0};
		/* a tool's statement timeout (x-statement-timeout) unless dbready's is given */
		struct config acfg = *cfg;
		long long tool_ms = dialect_timeout_ms(s.set.format, &u->dialect);
		if (!cfg->statement_timeout_set && tool_ms >= 0)
			acfg.statement_timeout_ms = tool_ms;
		/* the history was absent or empty: an "already exists" names --baseline */
		bool fresh = !s.h.exists || (s.h.n == 0 && !s.h.needs_upgrade);
		if (s.h.needs_upgrade)
			rc = upgrade(&s, &acfg, u);
		/* another runner may change the history while this one waits for the lock: the
		 * plan is then made again from what is recorded (every round applies or learns
		 * something, so the bound is never reached in practice) */
		for (int round = 0; rc == EXIT_DONE; round++) {
			rc = apply_pending(s.conn, &acfg, u, &s.set, &s.h, &sum, &s.e);
			if (rc != EXIT_DONE || !sum.replan)
				break;
			log_info("the history changed while waiting for the migration lock: "
			         "another "
			         "runner applied migrations; reading it again");
			if (round > s.set.n + 16) {
				rc = err_set(
				        &s.e, EXIT_APPLY, "history_unstable",
				        "Look for another process that writes the history table.",
				        NULL, "the history table keeps changing under the lock");
				break;
			}
			rc = replan(&s);
			if (rc == EXIT_DONE && s.h.needs_upgrade)
				rc = upgrade(&s, &acfg, u);
			else if (rc == EXIT_DONE)
				rc = plan_check(&s.set, &s.p, cfg->allow_out_of_order, &s.e);
		}
		if (rc == EXIT_APPLY && fresh)
			baseline_hint(&s.e, &s.set, sum.applied);
		if (rc == EXIT_DONE)
			report_applied(&sum, s.set.n);
	}
	return stay(cfg, session_close(&s, rc));
}

int cmd_status(const struct config *cfg, const struct dburl *u)
{
	struct session s;
	int rc = session_open(&s, cfg, u, false);
	if (rc == EXIT_DONE) {
		report_status(cfg, u, &s.set, &s.h, &s.p);
		termlog_write(
		        "ok: %d applied, %d pending, %d changed, %d out of order, %d unknown",
		        s.p.applied, s.p.pending, s.p.changed, s.p.out_of_order, s.p.nunknown);
	}
	return session_close(&s, rc);
}

/* await (retry) and probe (one look): ready when every migration on disk is applied */
int cmd_await(const struct config *cfg, const struct dburl *u, bool retry)
{
	int64_t start = clock_ms();
	struct session s;
	int rc = session_open(&s, cfg, u, retry);
	struct backoff b;
	backoff_init(&b, cfg->backoff_base_ms, cfg->backoff_cap_ms, 0);
	bool logged = false;
	while (rc == EXIT_DONE) {
		if (s.p.changed) {
			rc = plan_check(&s.set, &s.p, true, &s.e);
			break;
		}
		int left = s.p.pending + s.p.out_of_order;
		if (left == 0) {
			log_info("all %d migrations are applied", s.set.n);
			termlog_write("ok: all %d migrations applied", s.set.n);
			break;
		}
		int64_t remaining = cfg->timeout_ms ? start + cfg->timeout_ms - clock_ms() : -1;
		if (!retry || (cfg->timeout_ms && remaining <= 0)) {
			rc = pending_error(&s, left, retry);
			break;
		}
		if (!logged) {
			log_info("waiting for %d pending migration%s to be applied by another "
			         "runner",
			         left, left == 1 ? "" : "s");
			logged = true;
		}
		int sig = signals_sleep(backoff_next(&b, remaining));
		if (sig) {
			rc = err_set(&s.e, EXIT_SIGNAL_BASE + sig, "signal", NULL, NULL,
			             "stopped by %s while waiting for migrations",
			             signals_name(sig));
			break;
		}
		rc = replan(&s);
	}
	rc = session_close(&s, rc);
	return retry ? stay(cfg, rc) : rc;
}

int run_load(const struct config *cfg, const struct dburl *u, struct migset *set,
             struct history *h, struct err *e)
{
	return load(cfg, u, set, h, e);
}

/* main.c - glue: parse the command line, validate, dispatch to the command, exit. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dburl.h"
#include "exitcode.h"
#include "log.h"
#include "signals.h"
#include "source.h"
#include "wait.h"

/* The first error finding, for the termination log. */
static const struct finding *first_error(const struct dburl *u)
{
	for (int i = 0; i < u->nfindings; i++)
		if (u->findings[i].level == LOG_ERROR)
			return &u->findings[i];
	return NULL;
}

static int cmd_check(const struct config *cfg, const struct dburl *u)
{
	struct migset set;
	struct err e;
	int rc = source_load(cfg->dir, cfg->format, &set, &e);
	if (rc != EXIT_DONE) {
		err_log(&e);
		termlog_write("error (exit %d): %s", rc, e.msg);
		migset_free(&set);
		return rc;
	}
	if (cfg->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "target", u->redacted);
		cJSON_AddStringToObject(o, "dir", cfg->dir);
		cJSON *files = cJSON_AddArrayToObject(o, "migrations");
		for (int i = 0; i < set.n; i++)
			cJSON_AddItemToArray(files, cJSON_CreateString(set.m[i].name));
		char *text = cJSON_Print(o);
		if (text) {
			puts(text);
			cJSON_free(text);
		}
		cJSON_Delete(o);
	} else {
		printf("target:     %s\n", u->redacted);
		printf("migrations: %s (%d)\n", cfg->dir, set.n);
		for (int i = 0; i < set.n; i++)
			printf("  %s\n", set.m[i].name);
	}
	termlog_write("ok: configuration valid, %d migration%s in %s", set.n, set.n == 1 ? "" : "s",
		      cfg->dir);
	migset_free(&set);
	return EXIT_DONE;
}

/* Native-sidecar mode: stay up after success until told to stop. */
static int stay(const struct config *cfg, int rc)
{
	if (!cfg->stay || rc != EXIT_DONE)
		return rc;
	log_info("staying up until SIGTERM (--stay)");
	while (!signals_sleep(24 * 3600 * 1000LL))
		;
	log_info("stopped by %s after success", signals_name(signals_caught()));
	return EXIT_DONE;
}

static int cmd_wait(const struct config *cfg, const struct dburl *u)
{
	PGconn *conn;
	struct wait_result r;
	wait_for_database(cfg, u, true, &conn, &r);
	if (conn)
		PQfinish(conn);
	if (r.exit_code == EXIT_DONE)
		termlog_write("ok: database ready after %d attempt%s in %lld ms", r.attempts,
			      r.attempts == 1 ? "" : "s", (long long)r.elapsed_ms);
	else if (r.exit_code > EXIT_SIGNAL_BASE)
		termlog_write("stopped (exit %d): %s while waiting for the database", r.exit_code,
			      signals_name(r.exit_code - EXIT_SIGNAL_BASE));
	else
		termlog_write("error (exit %d): %s: %s", r.exit_code,
			      r.exit_code == EXIT_REFUSED ? "the database refused the connection"
							  : "database not reachable",
			      r.last.reason);
	return stay(cfg, r.exit_code);
}

int main(int argc, char **argv)
{
	struct config cfg;
	char err[1024];
	if (signals_install() != 0) {
		fprintf(stderr, "dbready: error: could not install signal handlers\n");
		return EXIT_INTERNAL;
	}
	int rc = cli_parse(argc, argv, &cfg, err, sizeof err);
	if (rc != EXIT_DONE) {
		/* no secret can be in err: only option names and non-secret values are quoted,
		 * and --url's value is never checked here */
		fprintf(stderr, "dbready: error: %s\n", err);
		return rc;
	}
	if (cfg.cmd == CMD_HELP) {
		cli_print_help();
		return EXIT_DONE;
	}
	if (cfg.cmd == CMD_VERSION) {
		cli_print_version();
		return EXIT_DONE;
	}
	log_setup(cfg.log_level, cfg.log_format);
	termlog_setup(cfg.termination_log, cfg.termination_log_explicit);

	struct dburl u;
	rc = dburl_load(&cfg, &u);
	dburl_log_findings(&u);
	if (rc != EXIT_DONE) {
		const struct finding *f = first_error(&u);
		termlog_write("error (exit %d): %s", rc, f ? f->msg : "invalid configuration");
		goto out;
	}
	log_debug("target %s (from %s)", u.redacted, u.origin);

	switch (cfg.cmd) {
	case CMD_CHECK:
		rc = cmd_check(&cfg, &u);
		break;
	case CMD_WAIT:
		rc = cmd_wait(&cfg, &u);
		break;
	default: {
		struct log_fields lf = LOG_FIELDS_INIT;
		lf.hint = "Use \"dbready wait\" to wait for the database; applying migrations "
			  "arrives in a later release.";
		lf.exit_code = EXIT_INTERNAL;
		log_emit(LOG_ERROR, &lf, "not yet implemented: migrations (command \"%s\")",
			 cli_command_name(cfg.cmd));
		termlog_write("error (exit %d): not yet implemented: migrations", EXIT_INTERNAL);
		rc = EXIT_INTERNAL;
		break;
	}
	}
out:
	dburl_free(&u);
	log_forget_secrets();
	if (fflush(stdout) != 0 && rc == EXIT_DONE) {
		fprintf(stderr, "dbready: error: could not write to standard output\n");
		rc = EXIT_INTERNAL;
	}
	return rc;
}

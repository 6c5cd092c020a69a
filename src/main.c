/* main.c - glue: parse the command line, validate, dispatch to the command, exit. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cloudauth.h"
#include "dburl.h"
#include "err.h"
#include "depwait.h"
#include "http.h"
#include "notify.h"
#include "exitcode.h"
#include "log.h"
#include "signals.h"
#include "recover.h"
#include "run.h"

/* The first error finding, for the termination log. */
static const struct finding *first_error(const struct dburl *u)
{
	for (int i = 0; i < u->nfindings; i++)
		if (u->findings[i].level == LOG_ERROR)
			return &u->findings[i];
	return NULL;
}

/* A usage error in the log format and to the termination log that the environment and the
 * flags before the bad one asked for. err is "message" or "message\nHINT: hint"; no secret
 * can be in it: it quotes option names and values, --url's is never checked, and URLs are
 * quoted redacted. */
static int report_usage(const struct config *cfg, int rc, char *err)
{
	log_setup(cfg->log_level, cfg->log_format);
	termlog_setup(cfg->termination_log, cfg->termination_log_explicit);
	char *hint = strstr(err, "\nHINT: ");
	if (hint) {
		*hint = '\0';
		hint += strlen("\nHINT: ");
	}
	struct log_fields lf = LOG_FIELDS_INIT;
	lf.event = "usage";
	lf.hint = hint;
	lf.exit_code = rc;
	log_emit(LOG_ERROR, &lf, "%s", err);
	termlog_write("error (exit %d): %s", rc, err);
	return rc;
}

/* The HTTP side of the configuration, offline: the CA file, the --wait-for targets (into
 * deps) and the webhook URL. Returns EXIT_DONE or the exit code, having reported it. */
static int setup_http(const struct config *cfg, struct dep_list *deps)
{
	char err[1024]; /* depwait_parse cuts a longer message visibly, keeping its HINT */
	int rc = depwait_parse(cfg->wait_for, cfg->nwait_for, deps, err, sizeof err);
	if (rc == EXIT_USAGE)
		return report_usage(cfg, rc, err);
	if (rc != EXIT_DONE) {
		log_error("out of memory");
		return rc;
	}
	struct err e;
	rc = notify_setup(cfg, &e);
	if (rc == EXIT_DONE && cfg->http_ca_file && access(cfg->http_ca_file, R_OK) != 0)
		rc = err_set(&e, EXIT_CONFIG, "http_ca_file_unreadable",
		             "Check the path and that the ConfigMap or Secret holding the CA "
		             "certificates is mounted there.",
		             strerror(errno), "could not read the HTTP CA file \"%s\"",
		             cfg->http_ca_file);
	if (rc != EXIT_DONE) {
		err_log(&e);
		termlog_write("error (exit %d): %s", rc, e.msg);
		return rc;
	}
	if (!http_set_ca_file(cfg->http_ca_file)) {
		log_error("out of memory");
		return EXIT_INTERNAL;
	}
	if (http_global_init() != 0) {
		log_error("could not initialise libcurl");
		return EXIT_INTERNAL;
	}
	return EXIT_DONE;
}

int main(int argc, char **argv)
{
	struct config cfg;
	char err[1024]; /* cli_parse cuts a longer message visibly (cli.c) */
	if (signals_install() != 0) {
		fprintf(stderr, "dbready: error: could not install signal handlers\n");
		return EXIT_INTERNAL;
	}
	int rc = cli_parse(argc, argv, &cfg, err, sizeof err);
	if (rc != EXIT_DONE)
		return report_usage(&cfg, rc, err);
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
	memset(&u, 0, sizeof u);
	struct dep_list deps = {0};
	rc = setup_http(&cfg, &deps);
	if (rc != EXIT_DONE)
		goto out;
	cfg.deps = &deps;
	/* the folder's format decides the URL's dialect and which URL variable wins */
	cli_resolve_format(&cfg);
	rc = dburl_load(&cfg, &u);
	dburl_log_findings(&u);
	notify_note_target(u.redacted);
	if (rc != EXIT_DONE) {
		const struct finding *f = first_error(&u);
		termlog_write("error (exit %d): %s", rc, f ? f->msg : "invalid configuration");
		rc = notify_outcome(&cfg, rc);
		goto out;
	}
	log_debug("target %s (from %s)", u.redacted, u.origin);
	/* --auth=azure|gcp: which token endpoint, as whom (offline; exit 3 when it cannot be) */
	struct cloudauth ca;
	struct err ce;
	rc = cloudauth_load(&cfg, &u, &ca, &ce);
	if (rc != EXIT_DONE) {
		err_log(&ce);
		termlog_write("error (exit %d): %s", rc, ce.msg);
		rc = notify_outcome(&cfg, rc);
		goto out;
	}
	if (cfg.auth != AUTH_PASSWORD)
		u.auth = &ca;

	switch (cfg.cmd) {
	case CMD_CHECK:
		rc = cmd_check(&cfg, &u);
		break;
	case CMD_WAIT:
		rc = cmd_wait(&cfg, &u);
		break;
	case CMD_RUN:
	case CMD_MIGRATE:
		rc = cmd_run(&cfg, &u, cfg.cmd == CMD_RUN);
		break;
	case CMD_STATUS:
		rc = cmd_status(&cfg, &u);
		break;
	case CMD_AWAIT:
	case CMD_PROBE:
		rc = cmd_await(&cfg, &u, cfg.cmd == CMD_AWAIT);
		break;
	case CMD_BASELINE:
		rc = cmd_baseline(&cfg, &u);
		break;
	case CMD_RESOLVE:
	case CMD_REPAIR:
		rc = cmd_recover(&cfg, &u);
		break;
	default:
		rc = EXIT_INTERNAL;
		break;
	}
	/* run, wait and await have posted before --stay; this covers the rest */
	rc = notify_outcome(&cfg, rc);
out:
	dburl_free(&u);
	depwait_free(&deps);
	notify_free();
	http_global_cleanup();
	log_forget_secrets();
	if (fflush(stdout) != 0 && rc == EXIT_DONE) {
		fprintf(stderr, "dbready: error: could not write to standard output\n");
		rc = EXIT_INTERNAL;
	}
	return rc;
}

/* main.c - glue: parse the command line, validate, dispatch to the command, exit. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dburl.h"
#include "exitcode.h"
#include "log.h"
#include "signals.h"
#include "run.h"

/* The first error finding, for the termination log. */
static const struct finding *first_error(const struct dburl *u)
{
	for (int i = 0; i < u->nfindings; i++)
		if (u->findings[i].level == LOG_ERROR)
			return &u->findings[i];
	return NULL;
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
		/* Report it as every other error: in the log format and to the termination log
		 * that the environment and the flags before the bad one asked for. No secret can
		 * be in err: it quotes option names and values, and --url's is never checked. */
		log_setup(cfg.log_level, cfg.log_format);
		termlog_setup(cfg.termination_log, cfg.termination_log_explicit);
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
	default:
		rc = EXIT_INTERNAL;
		break;
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

/* cli.h - the command line and environment, resolved into one struct config.
 *
 * cli_parse() does no work: it resolves flag > environment > default for every option and
 * returns EXIT_DONE or EXIT_USAGE (with the message in err). Strings in struct config point
 * into argv or the environment and are never freed.
 */
#ifndef DBREADY_CLI_H
#define DBREADY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

enum command {
	CMD_RUN,
	CMD_CHECK,
	CMD_WAIT,
	CMD_MIGRATE,
	CMD_STATUS,
	CMD_AWAIT,
	CMD_PROBE,
	CMD_VERSION,
	CMD_HELP,
};

enum mig_format { FORMAT_AUTO, FORMAT_DRIZZLE, FORMAT_PLAIN };
enum tx_mode { TX_PER_MIGRATION, TX_ALL };

struct config {
	enum command cmd;
	const char *url;        /* --url or DATABASE_URL (secret) */
	const char *url_origin; /* "--url" or "DATABASE_URL", for messages */
	const char *url_file;   /* --url-file or DATABASE_URL_FILE */
	const char *url_file_origin;
	const char *dir;
	enum mig_format format;
	int64_t timeout_ms; /* 0 = forever */
	int64_t backoff_base_ms;
	int64_t backoff_cap_ms;
	int64_t connect_timeout_ms;
	int64_t lock_timeout_ms;
	int64_t statement_timeout_ms; /* 0 = none */
	enum tx_mode tx;
	const char *history_table; /* NULL = per format */
	bool allow_out_of_order;
	bool dry_run;
	bool stay;
	bool json;
	enum log_format log_format;
	enum log_level log_level;
	const char *termination_log; /* NULL = default */
	bool termination_log_explicit;
};

/* Parse argv (and the environment) into cfg. Returns EXIT_DONE or EXIT_USAGE; on
 * EXIT_USAGE err holds a message in PostgreSQL style naming the flag or variable. */
int cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errcap);

/* Parse a duration: a number with an optional ms, s, m or h suffix (bare = seconds).
 * Returns false for anything else, negative values and overflow. */
bool cli_parse_duration(const char *text, int64_t *out_ms);

/* Parse a boolean environment value: 1/0, true/false, yes/no, on/off (any case). */
bool cli_parse_bool(const char *text, bool *out);

const char *cli_command_name(enum command cmd);
void cli_print_help(void);
void cli_print_version(void);

#endif

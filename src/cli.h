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

struct dep_list;

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
	CMD_BASELINE,
	CMD_RESOLVE, /* resolve --applied NAME | --rolled-back NAME (recover.c) */
	CMD_REPAIR,  /* repair --accept-changed NAME (recover.c) */
};

struct format;
enum tx_mode { TX_PER_MIGRATION, TX_ALL };
enum notify_format { NOTIFY_JSON, NOTIFY_SLACK };
/* --auth: where the database password comes from (cloudauth.h) */
enum auth_mode { AUTH_PASSWORD, AUTH_AZURE, AUTH_GCP };

/* --wait-for may be given this many times (each value is a list of targets) */
#define CLI_MAX_WAIT_FOR 16

struct config {
	enum command cmd;
	const char *url;        /* --url or DATABASE_URL (secret) */
	const char *url_origin; /* "--url" or "DATABASE_URL", for messages */
	const char *url_file;   /* --url-file or DATABASE_URL_FILE */
	const char *url_file_origin;
	/* a tool's user and password variables, beside its URL variable (FLYWAY_USER,
	 * FLYWAY_PASSWORD): used when the URL names none; NULL = not set */
	const char *url_user;
	const char *url_password; /* secret */
	const char *url_password_origin;
	enum auth_mode auth; /* --auth or DBREADY_AUTH */
	const char *dir;
	const char *dir_origin; /* "--dir", "DBREADY_DIR", a tool's variable, NULL = default */
	const struct format *format; /* --format; NULL = auto (from the folder) */
	/* the format the URL is read for: --format, else the folder's (cli_resolve_format);
	 * NULL = not known (no folder yet: the URL is read in no tool's dialect) */
	const struct format *tool_format;
	int64_t timeout_ms; /* 0 = forever */
	int64_t backoff_base_ms;
	int64_t backoff_cap_ms;
	int64_t connect_timeout_ms;
	int64_t lock_timeout_ms;
	int64_t statement_timeout_ms; /* 0 = none */
	bool statement_timeout_set;   /* given (else a tool's URL may set it) */
	enum tx_mode tx;
	const char *history_table; /* NULL = per format */
	bool allow_out_of_order;
	bool allow_out_of_order_set; /* given (else a tool's variable may set it) */
	bool drop_invalid_indexes;   /* drop invalid indexes a no-tx migration names first */
	bool dry_run;
	bool stay;
	bool json;
	enum log_format log_format;
	enum log_level log_level;
	const char *termination_log; /* NULL = default */
	bool termination_log_explicit;
	/* HTTP: dependency waits (depwait.c) and the outcome webhook (notify.c) */
	const char *http_ca_file;               /* NULL = libcurl's default CA bundle */
	const char *wait_for[CLI_MAX_WAIT_FOR]; /* target lists, parsed by depwait_parse() */
	int nwait_for;
	bool wait_for_flag;     /* a --wait-for flag replaced DBREADY_WAIT_FOR */
	const char *notify_url; /* --notify-url or DBREADY_NOTIFY_URL (secret) */
	const char *notify_url_origin;
	const char *notify_url_file; /* --notify-url-file or DBREADY_NOTIFY_URL_FILE */
	const char *notify_url_file_origin;
	enum notify_format notify_format;
	bool notify_required;
	/* baseline (baseline.c): run --baseline (DBREADY_BASELINE), baseline --to, --force */
	const char *baseline;    /* NULL = none */
	const char *baseline_to; /* baseline --to NAME */
	bool force;
	/* set after parsing, not by cli_parse */
	struct dep_list *deps; /* the parsed --wait-for targets (main.c); NULL = none */
	/* clock_ms() deadline of the whole wait when the database wait follows the dependency
	 * wait (run.c); 0 = from --timeout */
	int64_t wait_deadline_ms;
	/* resolve and repair (recover.c): the migration named, and what to record */
	const char *resolve_name;   /* --applied or --rolled-back NAME */
	bool resolve_applied;       /* --applied (else --rolled-back) */
	const char *accept_changed; /* --accept-changed NAME */
};

/* Parse argv (and the environment) into cfg. Returns EXIT_DONE or EXIT_USAGE; on
 * EXIT_USAGE err holds a message in PostgreSQL style naming the flag or variable. */
int cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errcap);

/* Parse a duration: a number with an optional ms, s, m or h suffix (bare = seconds).
 * Returns false for anything else, negative values and overflow. */
/* Once the migrations are there to look at: the format the URL is read for (--format, else
 * the folder's shape, quietly: loading the folder reports its errors later), and the URL that
 * format prefers over DATABASE_URL and DATABASE_URL_FILE (FSET_URL_FIRST: Prisma's
 * DIRECT_URL), unless --url or --url-file is given. Logs which variable it took. */
void cli_resolve_format(struct config *cfg);

bool cli_parse_duration(const char *text, int64_t *out_ms);

/* PostgreSQL's statement_timeout is an int of milliseconds: --statement-timeout (sent to the
 * server) is refused above it at parse time (exit 2). */
#define CLI_STATEMENT_TIMEOUT_MAX_MS 2147483647

/* Parse a boolean environment value: 1/0, true/false, yes/no, on/off (any case). */
bool cli_parse_bool(const char *text, bool *out);

const char *cli_command_name(enum command cmd);
void cli_print_help(void);
void cli_print_version(void);

#endif

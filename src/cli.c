/* cli.c - commands, options and environment variables resolved into struct config. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <libpq-fe.h>
#include <openssl/opensslv.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dialect.h"
#include "format.h"
#include "exitcode.h"
#include "log.h"
#include "version.h"

enum opt_id {
	OPT_URL,
	OPT_URL_FILE,
	OPT_AUTH,
	OPT_DIR,
	OPT_FORMAT,
	OPT_TIMEOUT,
	OPT_BACKOFF_BASE,
	OPT_BACKOFF_CAP,
	OPT_CONNECT_TIMEOUT,
	OPT_LOCK_TIMEOUT,
	OPT_STATEMENT_TIMEOUT,
	OPT_TX,
	OPT_HISTORY_TABLE,
	OPT_ALLOW_OOO,
	OPT_DRY_RUN,
	OPT_LOG_FORMAT,
	OPT_LOG_LEVEL,
	OPT_TERMINATION_LOG,
	OPT_STAY,
	OPT_JSON,
	OPT_HTTP_CA_FILE,
	OPT_WAIT_FOR,
	OPT_NOTIFY_URL,
	OPT_NOTIFY_URL_FILE,
	OPT_NOTIFY_FORMAT,
	OPT_NOTIFY_REQUIRED,
	OPT_DROP_INVALID_INDEXES,
	OPT_BASELINE,
	OPT_BASELINE_TO,
	OPT_FORCE,
	OPT_APPLIED,
	OPT_ROLLED_BACK,
	OPT_ACCEPT_CHANGED,
};

struct opt {
	enum opt_id id;
	const char *flag;
	const char *env; /* NULL: flag only */
	bool is_bool;
};

static const struct opt opts[] = {
        {OPT_URL, "--url", "DATABASE_URL", false},
        {OPT_URL_FILE, "--url-file", "DATABASE_URL_FILE", false},
        {OPT_AUTH, "--auth", "DBREADY_AUTH", false},
        {OPT_DIR, "--dir", "DBREADY_DIR", false},
        {OPT_FORMAT, "--format", "DBREADY_FORMAT", false},
        {OPT_TIMEOUT, "--timeout", "DBREADY_TIMEOUT", false},
        {OPT_BACKOFF_BASE, "--backoff-base", "DBREADY_BACKOFF_BASE", false},
        {OPT_BACKOFF_CAP, "--backoff-cap", "DBREADY_BACKOFF_CAP", false},
        {OPT_CONNECT_TIMEOUT, "--connect-timeout", "DBREADY_CONNECT_TIMEOUT", false},
        {OPT_LOCK_TIMEOUT, "--lock-timeout", "DBREADY_LOCK_TIMEOUT", false},
        {OPT_STATEMENT_TIMEOUT, "--statement-timeout", "DBREADY_STATEMENT_TIMEOUT", false},
        {OPT_TX, "--tx", "DBREADY_TX", false},
        {OPT_HISTORY_TABLE, "--history-table", "DBREADY_HISTORY_TABLE", false},
        {OPT_ALLOW_OOO, "--allow-out-of-order", "DBREADY_ALLOW_OUT_OF_ORDER", true},
        {OPT_DRY_RUN, "--dry-run", "DBREADY_DRY_RUN", true},
        {OPT_LOG_FORMAT, "--log-format", "DBREADY_LOG_FORMAT", false},
        {OPT_LOG_LEVEL, "--log-level", "DBREADY_LOG_LEVEL", false},
        {OPT_TERMINATION_LOG, "--termination-log", "DBREADY_TERMINATION_LOG", false},
        {OPT_STAY, "--stay", "DBREADY_STAY", true},
        {OPT_JSON, "--json", NULL, true},
        {OPT_HTTP_CA_FILE, "--http-ca-file", "DBREADY_HTTP_CA_FILE", false},
        {OPT_WAIT_FOR, "--wait-for", "DBREADY_WAIT_FOR", false},
        {OPT_NOTIFY_URL, "--notify-url", "DBREADY_NOTIFY_URL", false},
        {OPT_NOTIFY_URL_FILE, "--notify-url-file", "DBREADY_NOTIFY_URL_FILE", false},
        {OPT_NOTIFY_FORMAT, "--notify-format", "DBREADY_NOTIFY_FORMAT", false},
        {OPT_NOTIFY_REQUIRED, "--notify-required", "DBREADY_NOTIFY_REQUIRED", true},
        {OPT_DROP_INVALID_INDEXES, "--drop-invalid-indexes", "DBREADY_DROP_INVALID_INDEXES", true},
        {OPT_BASELINE, "--baseline", "DBREADY_BASELINE", false},
        {OPT_BASELINE_TO, "--to", NULL, false},
        {OPT_FORCE, "--force", NULL, true},
        {OPT_APPLIED, "--applied", NULL, false},
        {OPT_ROLLED_BACK, "--rolled-back", NULL, false},
        {OPT_ACCEPT_CHANGED, "--accept-changed", NULL, false},
};

#define NOPTS (sizeof opts / sizeof opts[0])

static const char *const command_names[] = {
        [CMD_RUN] = "run",           [CMD_CHECK] = "check",     [CMD_WAIT] = "wait",
        [CMD_MIGRATE] = "migrate",   [CMD_STATUS] = "status",   [CMD_AWAIT] = "await",
        [CMD_PROBE] = "probe",       [CMD_VERSION] = "version", [CMD_HELP] = "help",
        [CMD_BASELINE] = "baseline", [CMD_RESOLVE] = "resolve", [CMD_REPAIR] = "repair",
};

const char *cli_command_name(enum command cmd)
{
	return command_names[cmd];
}

/* A usage error into err: formatted whole, scrubbed, then cut visibly at a character
 * boundary (a value quoted from the command line may be long). */
static void usage_msg(char *err, size_t errcap, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void usage_msg(char *err, size_t errcap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vformat_scrubbed(err, errcap, fmt, ap);
	va_end(ap);
}

bool cli_parse_duration(const char *text, int64_t *out_ms)
{
	if (!text || !isdigit((unsigned char)*text))
		return false;
	errno = 0;
	char *end;
	unsigned long long n = strtoull(text, &end, 10);
	if (errno == ERANGE)
		return false;
	int64_t mult;
	if (*end == '\0' || strcmp(end, "s") == 0)
		mult = 1000;
	else if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "m") == 0)
		mult = 60 * 1000;
	else if (strcmp(end, "h") == 0)
		mult = 3600 * 1000;
	else
		return false;
	/* a year is far beyond any sensible deadline; refusing more also rules out overflow */
	if (n > (unsigned long long)366 * 24 * 3600 * 1000 / (unsigned long long)mult)
		return false;
	*out_ms = (int64_t)n * mult;
	return true;
}

bool cli_parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* Apply one option value; `source` names the flag or variable for the message. */
static int set_option(struct config *cfg, const struct opt *o, const char *value,
                      const char *source, char *err, size_t errcap)
{
	int64_t ms;
	bool b;
	switch (o->id) {
	case OPT_APPLIED:
	case OPT_ROLLED_BACK:
		if (cfg->resolve_name && cfg->resolve_applied != (o->id == OPT_APPLIED)) {
			usage_msg(err, errcap,
			          "--applied and --rolled-back exclude each other\n"
			          "HINT: Say whether the failed migration is now fully applied or "
			          "fully undone.");
			return EXIT_USAGE;
		}
		cfg->resolve_name = value;
		cfg->resolve_applied = o->id == OPT_APPLIED;
		return EXIT_DONE;
	case OPT_ACCEPT_CHANGED:
		cfg->accept_changed = value;
		return EXIT_DONE;
	case OPT_URL:
		cfg->url = value;
		cfg->url_origin = source;
		return EXIT_DONE;
	case OPT_URL_FILE:
		cfg->url_file = value;
		cfg->url_file_origin = source;
		return EXIT_DONE;
	case OPT_AUTH:
		if (strcmp(value, "password") == 0)
			cfg->auth = AUTH_PASSWORD;
		else if (strcmp(value, "azure") == 0)
			cfg->auth = AUTH_AZURE;
		else if (strcmp(value, "gcp") == 0)
			cfg->auth = AUTH_GCP;
		else {
			usage_msg(
			        err, errcap,
			        "invalid value \"%s\" for %s\nHINT: Use password (the URL's own), "
			        "azure (Entra ID token: managed identity or workload identity) or "
			        "gcp "
			        "(Cloud SQL IAM token from the metadata server); AWS RDS IAM is "
			        "not "
			        "supported yet.",
			        value, source);
			return EXIT_USAGE;
		}
		return EXIT_DONE;
	case OPT_DIR:
		if (!*value)
			goto bad;
		cfg->dir = value;
		cfg->dir_origin = source;
		return EXIT_DONE;
	case OPT_FORMAT:
		if (strcmp(value, "auto") == 0)
			cfg->format = NULL;
		else if (!(cfg->format = format_find(value))) {
			usage_msg(err, errcap, "invalid value \"%s\" for %s\nHINT: Use auto, %s.",
			          value, source, format_names());
			return EXIT_USAGE;
		}
		return EXIT_DONE;
	case OPT_TIMEOUT:
	case OPT_BACKOFF_BASE:
	case OPT_BACKOFF_CAP:
	case OPT_CONNECT_TIMEOUT:
	case OPT_LOCK_TIMEOUT:
	case OPT_STATEMENT_TIMEOUT:
		if (!cli_parse_duration(value, &ms)) {
			usage_msg(err, errcap,
			          "invalid duration \"%s\" for %s\n"
			          "HINT: Write a whole number with an optional unit: 500ms, 30s, "
			          "5m, "
			          "1h (a bare number means seconds).",
			          value, source);
			return EXIT_USAGE;
		}
		/* sent to the server as statement_timeout, an int of milliseconds: the server
		 * would refuse more only once the first migration runs. --lock-timeout and the
		 * others are kept by dbready itself (a monotonic deadline), up to a year. */
		if (o->id == OPT_STATEMENT_TIMEOUT && ms > CLI_STATEMENT_TIMEOUT_MAX_MS) {
			usage_msg(err, errcap,
			          "duration \"%s\" for %s is longer than PostgreSQL's maximum "
			          "statement_timeout of %d ms (about 24.8 days)\n"
			          "HINT: Use at most 596h, or 0 for no limit.",
			          value, source, CLI_STATEMENT_TIMEOUT_MAX_MS);
			return EXIT_USAGE;
		}
		if (o->id == OPT_TIMEOUT)
			cfg->timeout_ms = ms;
		else if (o->id == OPT_BACKOFF_BASE)
			cfg->backoff_base_ms = ms;
		else if (o->id == OPT_BACKOFF_CAP)
			cfg->backoff_cap_ms = ms;
		else if (o->id == OPT_CONNECT_TIMEOUT)
			cfg->connect_timeout_ms = ms;
		else if (o->id == OPT_LOCK_TIMEOUT)
			cfg->lock_timeout_ms = ms;
		else {
			cfg->statement_timeout_ms = ms;
			cfg->statement_timeout_set = true;
		}
		return EXIT_DONE;
	case OPT_TX:
		if (strcmp(value, "per-migration") == 0)
			cfg->tx = TX_PER_MIGRATION;
		else if (strcmp(value, "all") == 0)
			cfg->tx = TX_ALL;
		else {
			usage_msg(err, errcap,
			          "invalid value \"%s\" for %s\nHINT: Use per-migration or all.",
			          value, source);
			return EXIT_USAGE;
		}
		return EXIT_DONE;
	case OPT_HISTORY_TABLE:
		if (!*value)
			goto bad;
		cfg->history_table = value;
		return EXIT_DONE;
	case OPT_BASELINE:
	case OPT_BASELINE_TO:
		if (!*value)
			goto bad;
		if (o->id == OPT_BASELINE)
			cfg->baseline = value;
		else
			cfg->baseline_to = value;
		return EXIT_DONE;
	case OPT_FORCE:
		if (!cli_parse_bool(value, &cfg->force)) {
			usage_msg(err, errcap,
			          "invalid boolean \"%s\" for %s\nHINT: Use true or false.", value,
			          source);
			return EXIT_USAGE;
		}
		return EXIT_DONE;
	case OPT_ALLOW_OOO:
	case OPT_DRY_RUN:
	case OPT_STAY:
	case OPT_JSON:
	case OPT_NOTIFY_REQUIRED:
	case OPT_DROP_INVALID_INDEXES:
		if (!cli_parse_bool(value, &b)) {
			usage_msg(err, errcap,
			          "invalid boolean \"%s\" for %s\nHINT: Use true or false.", value,
			          source);
			return EXIT_USAGE;
		}
		if (o->id == OPT_ALLOW_OOO) {
			cfg->allow_out_of_order = b;
			cfg->allow_out_of_order_set = true;
		} else if (o->id == OPT_DRY_RUN)
			cfg->dry_run = b;
		else if (o->id == OPT_STAY)
			cfg->stay = b;
		else if (o->id == OPT_NOTIFY_REQUIRED)
			cfg->notify_required = b;
		else if (o->id == OPT_DROP_INVALID_INDEXES)
			cfg->drop_invalid_indexes = b;
		else
			cfg->json = b;
		return EXIT_DONE;
	case OPT_LOG_FORMAT:
		if (strcmp(value, "text") == 0)
			cfg->log_format = LOG_TEXT;
		else if (strcmp(value, "json") == 0)
			cfg->log_format = LOG_JSON;
		else {
			usage_msg(err, errcap,
			          "invalid value \"%s\" for %s\nHINT: Use text or json.", value,
			          source);
			return EXIT_USAGE;
		}
		return EXIT_DONE;
	case OPT_LOG_LEVEL:
		if (strcmp(value, "error") == 0)
			cfg->log_level = LOG_ERROR;
		else if (strcmp(value, "warn") == 0 || strcmp(value, "warning") == 0)
			cfg->log_level = LOG_WARN;
		else if (strcmp(value, "info") == 0)
			cfg->log_level = LOG_INFO;
		else if (strcmp(value, "debug") == 0)
			cfg->log_level = LOG_DEBUG;
		else {
			usage_msg(err, errcap,
			          "invalid value \"%s\" for %s\nHINT: Use error, warn, info or "
			          "debug.",
			          value, source);
			return EXIT_USAGE;
		}
		return EXIT_DONE;
	case OPT_TERMINATION_LOG:
		/* an empty value turns the termination log off */
		cfg->termination_log = *value ? value : NULL;
		cfg->termination_log_explicit = true;
		return EXIT_DONE;
	case OPT_HTTP_CA_FILE:
		if (!*value)
			goto bad;
		cfg->http_ca_file = value;
		return EXIT_DONE;
	case OPT_WAIT_FOR:
		/* the first flag replaces the environment's list, further flags add to it */
		if (source[0] == '-' && !cfg->wait_for_flag) {
			cfg->nwait_for = 0;
			cfg->wait_for_flag = true;
		}
		if (cfg->nwait_for == CLI_MAX_WAIT_FOR) {
			usage_msg(err, errcap,
			          "too many %s options (at most %d)\n"
			          "HINT: Put several targets in one value, separated by commas.",
			          source, CLI_MAX_WAIT_FOR);
			return EXIT_USAGE;
		}
		cfg->wait_for[cfg->nwait_for++] = value;
		return EXIT_DONE;
	case OPT_NOTIFY_URL:
		cfg->notify_url = value;
		cfg->notify_url_origin = source;
		return EXIT_DONE;
	case OPT_NOTIFY_URL_FILE:
		if (!*value)
			goto bad;
		cfg->notify_url_file = value;
		cfg->notify_url_file_origin = source;
		return EXIT_DONE;
	case OPT_NOTIFY_FORMAT:
		if (strcmp(value, "json") == 0)
			cfg->notify_format = NOTIFY_JSON;
		else if (strcmp(value, "slack") == 0)
			cfg->notify_format = NOTIFY_SLACK;
		else {
			usage_msg(err, errcap,
			          "invalid value \"%s\" for %s\nHINT: Use json or slack.", value,
			          source);
			return EXIT_USAGE;
		}
		return EXIT_DONE;
	}
bad:
	usage_msg(err, errcap, "empty value for %s", source);
	return EXIT_USAGE;
}

static const struct opt *find_flag(const char *name, size_t len)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (strlen(opts[i].flag) == len && strncmp(opts[i].flag, name, len) == 0)
			return &opts[i];
	return NULL;
}

/* resolve takes one of --applied NAME and --rolled-back NAME, repair takes
 * --accept-changed NAME, and no other command takes them */
static int recover_args(const struct config *cfg, char *err, size_t errcap)
{
	bool resolve = cfg->cmd == CMD_RESOLVE, repair = cfg->cmd == CMD_REPAIR;
	const char *stray = !resolve && cfg->resolve_name
	                            ? (cfg->resolve_applied ? "--applied" : "--rolled-back")
	                    : !repair && cfg->accept_changed ? "--accept-changed"
	                                                     : NULL;
	if (stray) {
		const char *owner = strcmp(stray, "--accept-changed") == 0 ? "repair" : "resolve";
		usage_msg(err, errcap,
		          "%s is an option of \"dbready %s\" only\n"
		          "HINT: Run \"dbready %s %s NAME\".",
		          stray, owner, owner, stray);
		return EXIT_USAGE;
	}
	if (resolve && (!cfg->resolve_name || !*cfg->resolve_name)) {
		usage_msg(err, errcap,
		          "resolve needs --applied NAME or --rolled-back NAME\n"
		          "HINT: After fixing the database by hand, say whether the failed "
		          "migration NAME is now fully applied (--applied) or fully undone "
		          "(--rolled-back).");
		return EXIT_USAGE;
	}
	if (repair && (!cfg->accept_changed || !*cfg->accept_changed)) {
		usage_msg(err, errcap,
		          "repair needs --accept-changed NAME\n"
		          "HINT: Name the applied migration whose edited file is to be taken as "
		          "it is now.");
		return EXIT_USAGE;
	}
	return EXIT_DONE;
}

static void set_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->cmd = CMD_RUN;
	cfg->dir = "/migrations";
	cfg->format = NULL;
	cfg->timeout_ms = 60 * 1000;
	cfg->backoff_base_ms = 100;
	cfg->backoff_cap_ms = 500;
	cfg->connect_timeout_ms = 5 * 1000;
	cfg->lock_timeout_ms = 5 * 60 * 1000;
	cfg->statement_timeout_ms = 0;
	cfg->tx = TX_PER_MIGRATION;
	cfg->log_format = LOG_TEXT;
	cfg->log_level = LOG_INFO;
	cfg->termination_log = "/dev/termination-log";
}

int cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errcap)
{
	set_defaults(cfg);
	int rc;

	/* environment first, so that flags override it */
	for (size_t i = 0; i < NOPTS; i++) {
		const char *v = opts[i].env ? getenv(opts[i].env) : NULL;
		if (!v)
			continue;
		/* DATABASE_URL is passed on as it is: validation explains an empty one */
		if (!*v && opts[i].id != OPT_URL && opts[i].id != OPT_TERMINATION_LOG)
			continue;
		if ((rc = set_option(cfg, &opts[i], v, opts[i].env, err, errcap)) != EXIT_DONE)
			return rc;
	}

	bool have_cmd = false;
	int verbosity = 0;
	bool level_flag = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cfg->cmd = CMD_HELP;
			return EXIT_DONE;
		}
		if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			cfg->cmd = CMD_VERSION;
			return EXIT_DONE;
		}
		if (a[0] == '-' && a[1] != '-' && a[1] != '\0') {
			/* bundled short flags: -q, -v, -qq, -vv */
			for (const char *p = a + 1; *p; p++) {
				if (*p == 'q')
					verbosity--;
				else if (*p == 'v')
					verbosity++;
				else {
					usage_msg(err, errcap,
					          "unknown option \"-%c\"\n"
					          "HINT: Run \"dbready --help\" for the options.",
					          *p);
					return EXIT_USAGE;
				}
			}
			continue;
		}
		if (strncmp(a, "--", 2) == 0) {
			const char *eq = strchr(a, '=');
			size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
			const struct opt *o = find_flag(a, nlen);
			if (!o) {
				usage_msg(err, errcap,
				          "unknown option \"%.*s\"\n"
				          "HINT: Run \"dbready --help\" for the options.",
				          (int)nlen, a);
				return EXIT_USAGE;
			}
			const char *value;
			if (eq)
				value = eq + 1;
			else if (o->is_bool)
				value = "true";
			else if (i + 1 < argc)
				value = argv[++i];
			else {
				usage_msg(err, errcap, "option \"%s\" needs a value", o->flag);
				return EXIT_USAGE;
			}
			if (o->id == OPT_LOG_LEVEL)
				level_flag = true;
			if ((rc = set_option(cfg, o, value, o->flag, err, errcap)) != EXIT_DONE)
				return rc;
			continue;
		}
		if (have_cmd) {
			usage_msg(err, errcap,
			          "unexpected argument \"%s\"\n"
			          "HINT: dbready takes one command; options start with \"--\".",
			          a);
			return EXIT_USAGE;
		}
		bool found = false;
		for (size_t c = 0; c < sizeof command_names / sizeof command_names[0]; c++) {
			if (strcmp(a, command_names[c]) == 0) {
				cfg->cmd = (enum command)c;
				found = true;
				break;
			}
		}
		if (!found) {
			usage_msg(err, errcap,
			          "unknown command \"%s\"\n"
			          "HINT: Commands are run, check, wait, migrate, status, await, "
			          "probe, baseline, resolve, repair, "
			          "version and help.",
			          a);
			return EXIT_USAGE;
		}
		have_cmd = true;
	}
	if ((cfg->cmd == CMD_BASELINE) != (cfg->baseline_to != NULL)) {
		usage_msg(err, errcap,
		          cfg->baseline_to
		                  ? "option \"--to\" belongs to the baseline command"
		                  : "the baseline command needs --to NAME\n"
		                    "HINT: Name the newest migration the database already "
		                    "holds, e.g. dbready baseline --to 0002_add_posts.");
		return EXIT_USAGE;
	}
	if (cfg->force && cfg->cmd != CMD_BASELINE) {
		usage_msg(err, errcap, "option \"--force\" belongs to the baseline command");
		return EXIT_USAGE;
	}
	/* -q/-v move the level from the environment's (or the default), unless --log-level */
	if (!level_flag && verbosity) {
		int l = (int)cfg->log_level + verbosity;
		cfg->log_level = (enum log_level)(l < LOG_ERROR   ? LOG_ERROR
		                                  : l > LOG_DEBUG ? LOG_DEBUG
		                                                  : l);
	}
	if (cfg->backoff_base_ms == 0) {
		usage_msg(err, errcap,
		          "invalid duration 0 for the backoff base\n"
		          "HINT: Use at least 1ms, e.g. --backoff-base=100ms.");
		return EXIT_USAGE;
	}
	if (cfg->backoff_cap_ms < cfg->backoff_base_ms) {
		usage_msg(err, errcap,
		          "the backoff cap (%lld ms) is smaller than the backoff base (%lld ms)\n"
		          "HINT: Raise --backoff-cap or lower --backoff-base.",
		          (long long)cfg->backoff_cap_ms, (long long)cfg->backoff_base_ms);
		return EXIT_USAGE;
	}
	if (cfg->connect_timeout_ms == 0) {
		usage_msg(err, errcap,
		          "connect timeout 0 would let one attempt hang forever\n"
		          "HINT: Use a value such as 5s; --timeout=0 waits forever across "
		          "attempts.");
		return EXIT_USAGE;
	}
	if ((rc = recover_args(cfg, err, errcap)) != EXIT_DONE)
		return rc;
	/* the migration tools' own variables when dbready's are not set (formats.md: a team
	 * swaps the image and keeps the Secret): GOOSE_DBSTRING, DBMATE_MIGRATIONS_DIR, ... */
	const char *name;
	const char *v;
	const struct format *tool;
	if (!cfg->url && !cfg->url_file &&
	    ((v = dialect_env(FSET_URL, &name, &tool)) ||
	     (v = dialect_env(FSET_URL_FIRST, &name, &tool)))) {
		cfg->url = v;
		cfg->url_origin = name;
		/* that tool's user and password variables go with its URL (FLYWAY_USER) */
		cfg->url_user = dialect_env_of(tool, FSET_USER, &name);
		cfg->url_password = dialect_env_of(tool, FSET_PASSWORD, &cfg->url_password_origin);
	}
	char why[512];
	int found = cfg->dir_origin ? 0 : dialect_dir(&v, &name, why, sizeof why);
	if (found < 0) {
		usage_msg(err, errcap, "%s", why);
		return EXIT_CONFIG;
	}
	if (found) {
		cfg->dir = v;
		cfg->dir_origin = name;
	}
	/* a tool's own out-of-order switch (FLYWAY_OUT_OF_ORDER) when dbready's is not given */
	bool ooo;
	if (!cfg->allow_out_of_order_set && (v = dialect_env(FSET_OUT_OF_ORDER, &name, NULL))) {
		if (!cli_parse_bool(v, &ooo)) {
			usage_msg(err, errcap,
			          "invalid boolean \"%s\" for %s\nHINT: Use true or false.", v,
			          name);
			return EXIT_USAGE;
		}
		cfg->allow_out_of_order = ooo;
	}
	return EXIT_DONE;
}

void cli_resolve_format(struct config *cfg)
{
	cfg->tool_format = cfg->format ? cfg->format : format_guess(cfg->dir);
	const struct format *f = cfg->tool_format;
	const char *name, *v = f ? dialect_env_of(f, FSET_URL_FIRST, &name) : NULL;
	if (!v || v == cfg->url)
		return; /* not set, or already the URL (nothing else was) */
	const char *flag = cfg->url && strcmp(cfg->url_origin, "--url") == 0 ? "--url"
	                   : cfg->url_file && strcmp(cfg->url_file_origin, "--url-file") == 0
	                           ? "--url-file"
	                           : NULL;
	if (flag) {
		log_debug("%s is set, and %s wins over it", name, flag);
		return;
	}
	const char *was = cfg->url ? cfg->url_origin : cfg->url_file_origin;
	if (!was)
		was = "the PG* variables";
	log_info("connection string from %s, not %s: %s prefers it (the direct, non-pooled "
	         "URL its migrations use)",
	         name, was, f->name);
	cfg->url = v;
	cfg->url_origin = name;
	cfg->url_file = NULL;
	cfg->url_file_origin = NULL;
	/* that tool's user and password variables go with its URL */
	cfg->url_user = dialect_env_of(f, FSET_USER, &name);
	cfg->url_password = dialect_env_of(f, FSET_PASSWORD, &cfg->url_password_origin);
}

/* One line of settings: "env: A, B" (a kind filter: -1 = all), from the format table. */
static void print_settings(const char *label, const struct fsetting *s)
{
	if (!s || !s->name)
		return;
	int col = printf("\n      %s:", label) - 1;
	for (int i = 0; s[i].name; i++) {
		/* what a setting means where it is not what its name says */
		const char *note = s[i].kind == FSET_URL_FIRST ? " (before DATABASE_URL)"
		                   : s[i].kind == FSET_CA_FILE ? " (its CA file: sslrootcert)"
		                                               : "";
		/* wrapped below 92 columns, continued under the label */
		if (i && col + 2 + (int)(strlen(s[i].name) + strlen(note)) > 92)
			col = printf(",\n        ") - 2;
		else if (i)
			col += printf(",");
		col += printf(" %s%s", s[i].name, note);
	}
}

/* The formats, generated from the table so the help cannot fall behind it. */
static void print_formats(void)
{
	printf("Formats (--format; auto picks one from the folder's shape, -v says why):\n");
	for (size_t i = 0; format_at(i); i++) {
		const struct format *f = format_at(i);
		printf("  %-15s history table %s%s%s%s", f->name, f->schema ? f->schema : "",
		       f->schema ? "." : "(current schema).", f->table,
		       f->records_checksum
		               ? ""
		               : ",\n                  no checksums (an edited file goes unseen)");
		print_settings("its variables", f->env);
		print_settings("its URL parameters (read by dbready, not by libpq)",
		               f->url_params);
		if (f->url_schemes && *f->url_schemes) {
			printf("\n      its URL schemes:");
			for (int k = 0; f->url_schemes[k]; k++)
				printf("%s %s://", k ? "," : "", f->url_schemes[k]);
		}
		printf("\n");
	}
	printf("A tool's variables are read when dbready's own (DATABASE_URL, DBREADY_DIR,\n"
	       "DBREADY_HISTORY_TABLE) are not set, but one \"before DATABASE_URL\" wins over\n"
	       "DATABASE_URL(_FILE) when the format (--format, or the folder's) is its tool's\n"
	       "(--url and --url-file still win); search_path in a URL is sent to the server.\n");
}

void cli_print_help(void)
{
	fputs("dbready - make a PostgreSQL database ready before an application starts\n"
	      "\n"
	      "Usage: dbready [COMMAND] [OPTIONS]\n"
	      "\n"
	      "Commands:\n"
	      "  run (default)  validate, wait for a real login, apply pending migrations\n"
	      "  check          validate the configuration and the migration files (offline)\n"
	      "  wait           validate, then wait until a login and SELECT 1 succeed\n"
	      "  migrate        like run, but one connection attempt, no waiting\n"
	      "  status         list applied, pending, changed and unknown migrations\n"
	      "  await          wait until every migration on disk is applied (apply nothing)\n"
	      "  probe          one attempt of await (exec probes, healthchecks)\n"
	      "  baseline       --to NAME [--force] [--dry-run] [--json]: record the migrations "
	      "up to NAME\n"
	      "                 as applied without running them (an existing database; "
	      "docs/adopting.md)\n"
	      "  resolve --applied NAME | --rolled-back NAME\n"
	      "                 record the failed migration NAME as applied or as rolled back,\n"
	      "                 as its tool does, once the database was fixed by hand\n"
	      "  repair --accept-changed NAME\n"
	      "                 record the edited file of the applied migration NAME as it is\n"
	      "                 now (its checksum), where the format records checksums\n"
	      "  version, help  print and exit\n"
	      "\n"
	      "Options (flag beats environment, environment beats default):\n"
	      "  --url URL                 DATABASE_URL               libpq URI or key=value "
	      "conninfo\n"
	      "  --url-file PATH           DATABASE_URL_FILE          read the URL from a file\n"
	      "  --auth MODE               DBREADY_AUTH               password, azure or gcp "
	      "[password]\n"
	      "  --dir DIR                 DBREADY_DIR                migrations directory "
	      "[/migrations]\n"
	      "  --format F                DBREADY_FORMAT             auto or a format below "
	      "[auto]\n"
	      "  --timeout D               DBREADY_TIMEOUT            overall wait deadline, 0 = "
	      "forever [60s]\n"
	      "  --backoff-base D          DBREADY_BACKOFF_BASE       first retry delay bound "
	      "[100ms]\n"
	      "  --backoff-cap D           DBREADY_BACKOFF_CAP        largest retry delay bound "
	      "[500ms]\n"
	      "  --connect-timeout D       DBREADY_CONNECT_TIMEOUT    per attempt, when the URL "
	      "sets none [5s]\n"
	      "  --lock-timeout D          DBREADY_LOCK_TIMEOUT       wait for the migration lock "
	      "[5m]\n"
	      "  --statement-timeout D     DBREADY_STATEMENT_TIMEOUT  for migration SQL, 0 = "
	      "none, "
	      "at most 596h [0]\n"
	      "  --tx MODE                 DBREADY_TX                 per-migration or all "
	      "[per-migration]; files with their\n"
	      "                                                       own BEGIN/COMMIT run in one "
	      "session, not in --tx=all\n"
	      "  --history-table S.T       DBREADY_HISTORY_TABLE      history table [per format]; "
	      "parts of at most 63 bytes\n"
	      "  --allow-out-of-order      DBREADY_ALLOW_OUT_OF_ORDER apply migrations older than "
	      "the newest\n"
	      "  --drop-invalid-indexes    DBREADY_DROP_INVALID_INDEXES\n"
	      "                                                       drop the invalid indexes "
	      "a migration names\n"
	      "                                                       (left by a failed "
	      "CONCURRENTLY build) first\n"
	      "  --dry-run                 DBREADY_DRY_RUN            print the plan, change "
	      "nothing\n"
	      "  --baseline NAME           DBREADY_BASELINE           run: history absent or "
	      "empty: record up to NAME\n"
	      "                                                       (name, key or file) as "
	      "applied, then apply the rest\n"
	      "  --to NAME, --force                                   baseline: the newest "
	      "migration the schema holds;\n"
	      "                                                       --force: also when the "
	      "history has rows\n"
	      "  --log-format F            DBREADY_LOG_FORMAT         text or json [text]\n"
	      "  --log-level L, -q, -v     DBREADY_LOG_LEVEL          error, warn, info, debug "
	      "[info]\n"
	      "  --termination-log PATH    DBREADY_TERMINATION_LOG    one-line outcome "
	      "[/dev/termination-log]\n"
	      "  --stay                    DBREADY_STAY               after success, run until "
	      "SIGTERM\n"
	      "  --json                                               status/check/baseline/"
	      "resolve/repair: JSON on stdout\n"
	      "  --wait-for LIST           DBREADY_WAIT_FOR           also wait for tcp://, "
	      "http://, https://\n"
	      "                                                       targets (comma-separated; "
	      "repeatable)\n"
	      "  --http-ca-file PATH       DBREADY_HTTP_CA_FILE       CA bundle for HTTPS "
	      "[libcurl's]\n"
	      "  --notify-url URL          DBREADY_NOTIFY_URL         POST the outcome as JSON (a "
	      "webhook)\n"
	      "  --notify-url-file PATH    DBREADY_NOTIFY_URL_FILE    read the webhook URL from a "
	      "file\n"
	      "  --notify-format F         DBREADY_NOTIFY_FORMAT      json or slack [json]\n"
	      "  --notify-required         DBREADY_NOTIFY_REQUIRED    a failed webhook fails the "
	      "run (10)\n"
	      "  -h, --help    -V, --version\n"
	      "\n"
	      "Durations take ms, s, m or h; a bare number means seconds. Without a URL, libpq's\n"
	      "PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE... are used, but only when PGHOST "
	      "is set.\n"
	      "Booleans in the environment: true/false, 1/0, yes/no, on/off.\n"
	      "Wait-for targets: tcp://HOST:PORT, http(s)://HOST[:PORT]/PATH with optional\n"
	      "#status=CODE, #body=TEXT, #timeout=D (joined by &), e.g. "
	      "http://auth:8080/healthz#status=204.\n"
	      "--auth=azure|gcp: before every connection attempt, fetch a fresh access token and "
	      "log in\n"
	      "with it as the password (never logged, never cached; the URL holds no password).\n"
	      "  azure: AKS workload identity when AZURE_FEDERATED_TOKEN_FILE is set (with\n"
	      "  AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_AUTHORITY_HOST), else the managed "
	      "identity from\n"
	      "  IMDS (AZURE_CLIENT_ID: a user-assigned one; DBREADY_AZURE_IMDS_ENDPOINT,\n"
	      "  DBREADY_AZURE_RESOURCE). gcp: the metadata server (GCE_METADATA_HOST); the user "
	      "is the\n"
	      "  service account's email without .gserviceaccount.com. Token endpoint not "
	      "answering\n"
	      "  until the deadline or not answering with a token: 10; identity refused: 5.\n"
	      "  AWS RDS IAM is not supported yet.\n"
	      "\n",
	      stdout);
	print_formats();
	fputs("\n"
	      "Exit codes:\n"
	      "  0    done: the database is reachable (and every migration is applied)\n"
	      "  1    internal error\n"
	      "  2    usage error: unknown command or flag, bad option value; resolve/repair:\n"
	      "       NAME is no migration, or the format has no failed rows/checksums\n"
	      "  3    configuration error: URL missing, malformed or unsafe; directory "
	      "unreadable\n"
	      "  4    database not reachable before the deadline (only transient failures seen)\n"
	      "  5    database refused us for good: authentication, role or database missing, "
	      "TLS;\n"
	      "       --auth: the token endpoint refused the identity\n"
	      "  6    migration files invalid or diverged from the history table; the history\n"
	      "       records a failed migration; the tool refuses a non-empty schema;\n"
	      "       a no-transaction migration names an invalid index "
	      "(docs/invalid-indexes.md)\n"
	      "       resolve/repair: the migration has no row to change\n"
	      "  7    a migration failed to apply (the message says what of it remains)\n"
	      "  8    the migration lock was not acquired before --lock-timeout\n"
	      "  9    await/probe: migrations still pending at the deadline\n"
	      "  10   an HTTP dependency, hook or --auth token endpoint failed\n"
	      "  128+n stopped by signal n (130 SIGINT, 143 SIGTERM)\n",
	      stdout);
}

void cli_print_version(void)
{
	printf("dbready %s (libpq %d, %s, libcurl %s, cJSON %d.%d.%d)\n", DBREADY_VERSION,
	       PQlibVersion(), OPENSSL_VERSION_TEXT, LIBCURL_VERSION, CJSON_VERSION_MAJOR,
	       CJSON_VERSION_MINOR, CJSON_VERSION_PATCH);
	/* what the linked libcurl can speak (the static build: http and https only), so that
	 * an image's contents can be checked without looking inside the binary */
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	printf("libcurl protocols:");
	for (const char *const *p = cv ? cv->protocols : NULL; p && *p; p++)
		printf(" %s", *p);
	printf("\n");
}

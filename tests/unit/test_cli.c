/* test_cli.c - durations, booleans and flag > environment > default resolution (cli.md). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "format.h"
#include "exitcode.h"
#include "unit.h"

/* ---------- cli_parse_duration ---------- */

struct duration_case {
	const char *text;
	bool ok;
	int64_t ms;
};

/* clang-format off */
static const struct duration_case duration_cases[] = {
	{"0", true, 0},
	{"5", true, 5000},
	{"5s", true, 5000},
	{"100ms", true, 100},
	{"0ms", true, 0},
	{"2m", true, 120000},
	{"1h", true, 3600000},
	{"60s", true, 60000},
	{"90", true, 90000},
	{"1.5s", false, 0},
	{"-1", false, 0},
	{"-5s", false, 0},
	{"+5", false, 0},
	{"", false, 0},
	{"5x", false, 0},
	{"5 s", false, 0},
	{" 5", false, 0},
	{"5s ", false, 0},
	{"s", false, 0},
	{"ms", false, 0},
	{"5sec", false, 0},
	{"1d", false, 0},
	{"99999999999999999999", false, 0},
	{"18446744073709551616ms", false, 0},
	{"9223372036854775807ms", false, 0},
	{"9223372036854775807h", false, 0},
	{"2562047788015216h", false, 0},
	{"0x10", false, 0},
};
/* clang-format on */

static void test_durations(void)
{
	for (size_t i = 0; i < sizeof duration_cases / sizeof duration_cases[0]; i++) {
		const struct duration_case *c = &duration_cases[i];
		if (!unit_begin("cli/duration \"%s\"", c->text))
			continue;
		int64_t ms = -12345;
		bool ok = cli_parse_duration(c->text, &ms);
		EXPECT_INT(ok, c->ok);
		if (c->ok)
			EXPECT_INT(ms, c->ms);
		else
			EXPECT_INT(ms, -12345); /* untouched on failure */
		unit_end();
	}
}

/* ---------- cli_parse_bool ---------- */

struct bool_case {
	const char *text;
	bool ok;
	bool value;
};

/* clang-format off */
static const struct bool_case bool_cases[] = {
	{"1", true, true},     {"true", true, true},   {"TRUE", true, true},
	{"Yes", true, true},   {"on", true, true},     {"0", true, false},
	{"false", true, false}, {"No", true, false},   {"OFF", true, false},
	{"", false, false},    {"2", false, false},    {"y", false, false},
	{"enable", false, false}, {"truee", false, false}, {" true", false, false},
};
/* clang-format on */

static void test_bools(void)
{
	for (size_t i = 0; i < sizeof bool_cases / sizeof bool_cases[0]; i++) {
		const struct bool_case *c = &bool_cases[i];
		if (!unit_begin("cli/bool \"%s\"", c->text))
			continue;
		/* start from the opposite so that a missing store is caught */
		bool v = !c->value;
		EXPECT_INT(cli_parse_bool(c->text, &v), c->ok);
		EXPECT_INT(v, c->ok ? c->value : !c->value);
		unit_end();
	}
}

/* ---------- cli_parse ---------- */

struct parse_case {
	const char *name;
	const char *env;  /* "NAME=value ..." */
	const char *args; /* after "dbready", split on spaces */
	int rc;
	const char *field; /* compared on EXIT_DONE (see field_text) */
	const char *want;  /* the field as text, or on EXIT_USAGE a substring of err */
};

/* clang-format off */
static const struct parse_case parse_cases[] = {
	/* defaults (cli.md) */
	{"default_cmd", NULL, NULL, EXIT_DONE, "cmd", "run"},
	{"default_timeout", NULL, NULL, EXIT_DONE, "timeout_ms", "60000"},
	{"default_backoff_base", NULL, NULL, EXIT_DONE, "backoff_base_ms", "100"},
	{"default_backoff_cap", NULL, NULL, EXIT_DONE, "backoff_cap_ms", "500"},
	{"default_connect_timeout", NULL, NULL, EXIT_DONE, "connect_timeout_ms", "5000"},
	{"default_lock_timeout", NULL, NULL, EXIT_DONE, "lock_timeout_ms", "300000"},
	{"default_statement_timeout", NULL, NULL, EXIT_DONE, "statement_timeout_ms", "0"},
	{"default_dir", NULL, NULL, EXIT_DONE, "dir", "/migrations"},
	{"default_format", NULL, NULL, EXIT_DONE, "format", "auto"},
	{"default_tx", NULL, NULL, EXIT_DONE, "tx", "per-migration"},
	{"default_log_format", NULL, NULL, EXIT_DONE, "log_format", "text"},
	{"default_log_level", NULL, NULL, EXIT_DONE, "log_level", "info"},
	{"default_url", NULL, NULL, EXIT_DONE, "url", "(null)"},
	{"default_stay", NULL, NULL, EXIT_DONE, "stay", "false"},
	{"default_dry_run", NULL, NULL, EXIT_DONE, "dry_run", "false"},
	/* environment beats default, flag beats environment */
	/* statement_timeout is an int of milliseconds on the server: more is refused here */
	{"statement_timeout_max", NULL, "--statement-timeout=2147483647ms", EXIT_DONE,
	 "statement_timeout_ms", "2147483647"},
	{"statement_timeout_596h", NULL, "--statement-timeout=596h", EXIT_DONE,
	 "statement_timeout_ms", "2145600000"},
	{"statement_timeout_600h", NULL, "--statement-timeout=600h", EXIT_USAGE, NULL,
	 "longer than PostgreSQL's maximum statement_timeout of 2147483647 ms"},
	{"statement_timeout_over_by_1ms", NULL, "--statement-timeout=2147483648ms", EXIT_USAGE,
	 NULL, "--statement-timeout"},
	{"statement_timeout_env_600h", "DBREADY_STATEMENT_TIMEOUT=600h", NULL, EXIT_USAGE, NULL,
	 "DBREADY_STATEMENT_TIMEOUT"},
	/* the lock timeout is dbready's own deadline: a long one is fine */
	{"lock_timeout_600h", NULL, "--lock-timeout=600h", EXIT_DONE, "lock_timeout_ms",
	 "2160000000"},
	{"env_timeout", "DBREADY_TIMEOUT=2m", NULL, EXIT_DONE, "timeout_ms", "120000"},
	{"flag_timeout_beats_env", "DBREADY_TIMEOUT=2m", "--timeout=30s", EXIT_DONE, "timeout_ms",
	 "30000"},
	{"flag_timeout_space_form", "DBREADY_TIMEOUT=2m", "--timeout 45", EXIT_DONE, "timeout_ms",
	 "45000"},
	{"flag_timeout_zero_forever", NULL, "--timeout=0", EXIT_DONE, "timeout_ms", "0"},
	{"env_log_format", "DBREADY_LOG_FORMAT=json", NULL, EXIT_DONE, "log_format", "json"},
	{"flag_log_format_beats_env", "DBREADY_LOG_FORMAT=json", "--log-format=text", EXIT_DONE,
	 "log_format", "text"},
	{"flag_log_format_space", NULL, "--log-format json", EXIT_DONE, "log_format", "json"},
	{"env_dir", "DBREADY_DIR=/app/migrations", NULL, EXIT_DONE, "dir", "/app/migrations"},
	{"flag_dir_beats_env", "DBREADY_DIR=/app/migrations", "--dir ./db", EXIT_DONE, "dir",
	 "./db"},
	{"flag_dir_equals", "DBREADY_DIR=/app/migrations", "--dir=/m", EXIT_DONE, "dir", "/m"},
	{"env_backoff_cap", "DBREADY_BACKOFF_CAP=2s", NULL, EXIT_DONE, "backoff_cap_ms", "2000"},
	{"flag_backoff_base_beats_env", "DBREADY_BACKOFF_BASE=50ms", "--backoff-base=200ms",
	 EXIT_DONE, "backoff_base_ms", "200"},
	{"env_connect_timeout", "DBREADY_CONNECT_TIMEOUT=10", NULL, EXIT_DONE,
	 "connect_timeout_ms", "10000"},
	{"env_lock_timeout", "DBREADY_LOCK_TIMEOUT=30s", "--lock-timeout=1m", EXIT_DONE,
	 "lock_timeout_ms", "60000"},
	{"env_statement_timeout", "DBREADY_STATEMENT_TIMEOUT=15m", NULL, EXIT_DONE,
	 "statement_timeout_ms", "900000"},
	{"env_format", "DBREADY_FORMAT=drizzle", NULL, EXIT_DONE, "format", "drizzle"},
	{"flag_format_beats_env", "DBREADY_FORMAT=drizzle", "--format plain", EXIT_DONE, "format",
	 "plain"},
	{"env_tx", "DBREADY_TX=all", NULL, EXIT_DONE, "tx", "all"},
	{"env_history_table", "DBREADY_HISTORY_TABLE=ops.history", NULL, EXIT_DONE,
	 "history_table", "ops.history"},
	{"env_url", "DATABASE_URL=postgres://a@db/x", NULL, EXIT_DONE, "url", "postgres://a@db/x"},
	{"env_url_origin", "DATABASE_URL=postgres://a@db/x", NULL, EXIT_DONE, "url_origin",
	 "DATABASE_URL"},
	{"env_url_empty_kept", "DATABASE_URL=", NULL, EXIT_DONE, "url", ""},
	{"flag_url_beats_env", "DATABASE_URL=postgres://a@db/x", "--url=postgres://b@db/y",
	 EXIT_DONE, "url", "postgres://b@db/y"},
	{"flag_url_origin", "DATABASE_URL=postgres://a@db/x", "--url postgres://b@db/y", EXIT_DONE,
	 "url_origin", "--url"},
	{"env_url_file", "DATABASE_URL_FILE=/run/secrets/db", NULL, EXIT_DONE, "url_file",
	 "/run/secrets/db"},
	{"flag_url_file_origin", "DATABASE_URL_FILE=/a", "--url-file=/b", EXIT_DONE,
	 "url_file_origin", "--url-file"},
	/* booleans */
	{"env_stay_yes", "DBREADY_STAY=yes", NULL, EXIT_DONE, "stay", "true"},
	{"flag_stay_bare", NULL, "--stay", EXIT_DONE, "stay", "true"},
	{"flag_stay_false_beats_env", "DBREADY_STAY=1", "--stay=false", EXIT_DONE, "stay", "false"},
	{"env_dry_run_on", "DBREADY_DRY_RUN=ON", NULL, EXIT_DONE, "dry_run", "true"},
	{"flag_allow_ooo", NULL, "--allow-out-of-order", EXIT_DONE, "allow_out_of_order", "true"},
	{"flag_json", NULL, "status --json", EXIT_DONE, "json", "true"},
	{"drop_invalid_default", NULL, NULL, EXIT_DONE, "drop_invalid_indexes", "false"},
	{"flag_drop_invalid", NULL, "--drop-invalid-indexes", EXIT_DONE, "drop_invalid_indexes",
	 "true"},
	{"env_drop_invalid", "DBREADY_DROP_INVALID_INDEXES=true", NULL, EXIT_DONE,
	 "drop_invalid_indexes", "true"},
	{"drop_invalid_bad", "DBREADY_DROP_INVALID_INDEXES=maybe", NULL, EXIT_USAGE, NULL,
	 "invalid boolean \"maybe\" for DBREADY_DROP_INVALID_INDEXES"},
	/* termination log */
	{"termlog_default", NULL, NULL, EXIT_DONE, "termination_log", "/dev/termination-log"},
	{"termlog_flag", NULL, "--termination-log=/tmp/t", EXIT_DONE, "termination_log", "/tmp/t"},
	{"termlog_empty_disables", "DBREADY_TERMINATION_LOG=", NULL, EXIT_DONE, "termination_log",
	 "(null)"},
	/* log level: -q/-v move it, --log-level sets it */
	{"level_q", NULL, "-q", EXIT_DONE, "log_level", "warn"},
	{"level_qq", NULL, "-qq", EXIT_DONE, "log_level", "error"},
	{"level_q_q_q_clamped", NULL, "-q -q -q", EXIT_DONE, "log_level", "error"},
	{"level_v", NULL, "-v", EXIT_DONE, "log_level", "debug"},
	{"level_vv_clamped", NULL, "-vv", EXIT_DONE, "log_level", "debug"},
	{"level_env", "DBREADY_LOG_LEVEL=warn", NULL, EXIT_DONE, "log_level", "warn"},
	{"level_env_plus_v", "DBREADY_LOG_LEVEL=error", "-v", EXIT_DONE, "log_level", "warn"},
	{"level_flag_beats_v", NULL, "-v --log-level=warn", EXIT_DONE, "log_level", "warn"},
	{"level_flag_beats_env", "DBREADY_LOG_LEVEL=debug", "--log-level error", EXIT_DONE,
	 "log_level", "error"},
	/* commands */
	{"cmd_check", NULL, "check", EXIT_DONE, "cmd", "check"},
	{"cmd_wait_after_flag", NULL, "--timeout=5s wait", EXIT_DONE, "cmd", "wait"},
	{"cmd_migrate", NULL, "migrate", EXIT_DONE, "cmd", "migrate"},
	{"cmd_status", NULL, "status", EXIT_DONE, "cmd", "status"},
	{"cmd_await", NULL, "await", EXIT_DONE, "cmd", "await"},
	{"cmd_probe", NULL, "probe", EXIT_DONE, "cmd", "probe"},
	{"cmd_version_word", NULL, "version", EXIT_DONE, "cmd", "version"},
	{"cmd_help_word", NULL, "help", EXIT_DONE, "cmd", "help"},
	{"flag_help", NULL, "--help", EXIT_DONE, "cmd", "help"},
	{"flag_h", NULL, "wait -h", EXIT_DONE, "cmd", "help"},
	{"flag_version", NULL, "--version", EXIT_DONE, "cmd", "version"},
	{"flag_V", NULL, "-V", EXIT_DONE, "cmd", "version"},
	/* usage errors name the flag, variable or word at fault */
	{"unknown_flag", NULL, "--bogus", EXIT_USAGE, NULL, "--bogus"},
	{"unknown_flag_with_value", NULL, "--timout=5s", EXIT_USAGE, NULL, "--timout"},
	{"unknown_short_flag", NULL, "-x", EXIT_USAGE, NULL, "-x"},
	{"unknown_command", NULL, "frobnicate", EXIT_USAGE, NULL, "frobnicate"},
	{"two_commands", NULL, "wait check", EXIT_USAGE, NULL, "check"},
	{"missing_value", NULL, "--timeout", EXIT_USAGE, NULL, "--timeout"},
	{"bad_flag_duration", NULL, "--timeout=abc", EXIT_USAGE, NULL, "--timeout"},
	{"bad_env_timeout", "DBREADY_TIMEOUT=abc", NULL, EXIT_USAGE, NULL, "DBREADY_TIMEOUT"},
	{"bad_env_timeout_value", "DBREADY_TIMEOUT=abc", NULL, EXIT_USAGE, NULL, "\"abc\""},
	{"bad_env_fraction", "DBREADY_CONNECT_TIMEOUT=1.5s", NULL, EXIT_USAGE, NULL,
	 "DBREADY_CONNECT_TIMEOUT"},
	{"bad_env_log_format", "DBREADY_LOG_FORMAT=yaml", NULL, EXIT_USAGE, NULL,
	 "DBREADY_LOG_FORMAT"},
	{"bad_env_bool", "DBREADY_STAY=maybe", NULL, EXIT_USAGE, NULL, "DBREADY_STAY"},
	{"bad_env_log_level", "DBREADY_LOG_LEVEL=verbose", NULL, EXIT_USAGE, NULL,
	 "DBREADY_LOG_LEVEL"},
	{"bad_format", NULL, "--format=liquibase", EXIT_USAGE, NULL, "--format"},
	{"bad_tx", NULL, "--tx=each", EXIT_USAGE, NULL, "--tx"},
	{"bad_log_level", NULL, "--log-level=loud", EXIT_USAGE, NULL, "--log-level"},
	{"empty_dir", NULL, "--dir=", EXIT_USAGE, NULL, "--dir"},
	{"backoff_cap_below_base", NULL, "--backoff-cap=50ms", EXIT_USAGE, NULL, "backoff cap"},
	{"backoff_cap_below_base_env", "DBREADY_BACKOFF_BASE=2s DBREADY_BACKOFF_CAP=1s", NULL,
	 EXIT_USAGE, NULL, "backoff cap"},
	{"backoff_base_zero", NULL, "--backoff-base=0", EXIT_USAGE, NULL, "backoff"},
	{"connect_timeout_zero", NULL, "--connect-timeout=0", EXIT_USAGE, NULL, "connect timeout"},
};
/* clang-format on */

/* The named config field as text. */
static void field_text(const struct config *c, const char *field, char *out, size_t cap)
{
	static const char *const levels[] = {"error", "warn", "info", "debug"};
#define STR(f)  snprintf(out, cap, "%s", c->f ? c->f : "(null)")
#define NUM(f)  snprintf(out, cap, "%lld", (long long)c->f)
#define BOOL(f) snprintf(out, cap, "%s", c->f ? "true" : "false")
	if (strcmp(field, "cmd") == 0)
		snprintf(out, cap, "%s", cli_command_name(c->cmd));
	else if (strcmp(field, "timeout_ms") == 0)
		NUM(timeout_ms);
	else if (strcmp(field, "backoff_base_ms") == 0)
		NUM(backoff_base_ms);
	else if (strcmp(field, "backoff_cap_ms") == 0)
		NUM(backoff_cap_ms);
	else if (strcmp(field, "connect_timeout_ms") == 0)
		NUM(connect_timeout_ms);
	else if (strcmp(field, "lock_timeout_ms") == 0)
		NUM(lock_timeout_ms);
	else if (strcmp(field, "statement_timeout_ms") == 0)
		NUM(statement_timeout_ms);
	else if (strcmp(field, "dir") == 0)
		STR(dir);
	else if (strcmp(field, "url") == 0)
		STR(url);
	else if (strcmp(field, "url_origin") == 0)
		STR(url_origin);
	else if (strcmp(field, "url_file") == 0)
		STR(url_file);
	else if (strcmp(field, "url_file_origin") == 0)
		STR(url_file_origin);
	else if (strcmp(field, "history_table") == 0)
		STR(history_table);
	else if (strcmp(field, "termination_log") == 0)
		STR(termination_log);
	else if (strcmp(field, "format") == 0)
		snprintf(out, cap, "%s", c->format ? c->format->name : "auto");
	else if (strcmp(field, "tx") == 0)
		snprintf(out, cap, "%s", c->tx == TX_ALL ? "all" : "per-migration");
	else if (strcmp(field, "log_format") == 0)
		snprintf(out, cap, "%s", c->log_format == LOG_JSON ? "json" : "text");
	else if (strcmp(field, "log_level") == 0)
		snprintf(out, cap, "%s", levels[c->log_level]);
	else if (strcmp(field, "stay") == 0)
		BOOL(stay);
	else if (strcmp(field, "dry_run") == 0)
		BOOL(dry_run);
	else if (strcmp(field, "json") == 0)
		BOOL(json);
	else if (strcmp(field, "allow_out_of_order") == 0)
		BOOL(allow_out_of_order);
	else if (strcmp(field, "drop_invalid_indexes") == 0)
		BOOL(drop_invalid_indexes);
	else
		snprintf(out, cap, "unknown field %s", field);
#undef STR
#undef NUM
#undef BOOL
}

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		const struct parse_case *c = &parse_cases[i];
		if (!unit_begin("cli/parse_%s", c->name))
			continue;
		unit_env_set(c->env);
		char buf[512], *argv[16], err[1024] = "";
		int argc = unit_split_args(c->args, buf, sizeof buf, argv, 16);
		struct config cfg;
		int rc = cli_parse(argc, argv, &cfg, err, sizeof err);
		EXPECT(rc == c->rc, "rc = %d, want %d (err: %s)", rc, c->rc, err);
		if (rc == EXIT_DONE && c->rc == EXIT_DONE) {
			char got[512];
			field_text(&cfg, c->field, got, sizeof got);
			EXPECT(strcmp(got, c->want) == 0, "%s = \"%s\", want \"%s\"", c->field,
			       got, c->want);
		} else if (c->rc != EXIT_DONE) {
			EXPECT_CONTAINS(err, c->want);
		}
		unit_end();
	}
}

/* The command names round-trip through cli_command_name and cli_parse. */
static void test_command_names(void)
{
	static const enum command cmds[] = {CMD_RUN,     CMD_CHECK,   CMD_WAIT,
	                                    CMD_MIGRATE, CMD_STATUS,  CMD_AWAIT,
	                                    CMD_PROBE,   CMD_VERSION, CMD_HELP};
	static const char *const names[] = {"run",   "check", "wait",    "migrate", "status",
	                                    "await", "probe", "version", "help"};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if (!unit_begin("cli/command_name %s", names[i]))
			continue;
		EXPECT_STR(cli_command_name(cmds[i]), names[i]);
		char buf[64], *argv[4], err[256] = "";
		int argc = unit_split_args(names[i], buf, sizeof buf, argv, 4);
		struct config cfg;
		EXPECT_INT(cli_parse(argc, argv, &cfg, err, sizeof err), EXIT_DONE);
		EXPECT_INT(cfg.cmd, cmds[i]);
		unit_end();
	}
}

void suite_cli(void)
{
	test_durations();
	test_bools();
	test_parse();
	test_command_names();
}

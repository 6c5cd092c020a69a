/* test_connect.c - SQLSTATE extraction from verbose libpq errors and failure classification. */
#include <string.h>

#include "connect.h"
#include "unit.h"

/* ---------- connect_parse_verbose ---------- */

#define LOC(f) "LOCATION:  " f "\n"

struct verbose_case {
	const char *name;
	const char *msg; /* PQerrorMessage() of a connection with PQERRORS_VERBOSE */
	bool found;
	const char *state; /* "" when none */
	const char *out;   /* exact: the message without SQLSTATE and LOCATION lines */
};

/* clang-format off */
static const struct verbose_case verbose_cases[] = {
	{"28P01_password",
	 "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  28P01: password "
	 "authentication failed for user \"app\"\n" LOC("auth_failed, auth.c:334"),
	 true, "28P01",
	 "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  password "
	 "authentication failed for user \"app\""},
	{"28000_pg_hba",
	 "connection to server at \"db\" (10.0.0.5), port 5432 failed: FATAL:  28000: no "
	 "pg_hba.conf entry for host \"10.0.0.7\", user \"app\", database \"app\", no encryption\n"
	 LOC("ClientAuthentication, auth.c:540"),
	 true, "28000",
	 "connection to server at \"db\" (10.0.0.5), port 5432 failed: FATAL:  no pg_hba.conf "
	 "entry for host \"10.0.0.7\", user \"app\", database \"app\", no encryption"},
	{"3D000_database_missing",
	 "connection to server at \"db\" (10.0.0.5), port 5432 failed: FATAL:  3D000: database "
	 "\"appp\" does not exist\n" LOC("InitPostgres, postinit.c:941"),
	 true, "3D000",
	 "connection to server at \"db\" (10.0.0.5), port 5432 failed: FATAL:  database \"appp\" "
	 "does not exist"},
	{"57P03_starting_up",
	 "connection to server at \"db\" (10.0.0.5), port 5432 failed: FATAL:  57P03: the "
	 "database system is starting up\n" LOC("ProcessStartupPacket, postmaster.c:2436"),
	 true, "57P03",
	 "connection to server at \"db\" (10.0.0.5), port 5432 failed: FATAL:  the database "
	 "system is starting up"},
	{"57P03_recovery_detail_kept",
	 "connection to server at \"db\" (10.0.0.5), port 5432 failed: FATAL:  57P03: the "
	 "database system is not yet accepting connections\nDETAIL:  Consistent recovery state "
	 "has not been yet reached.\n" LOC("ProcessStartupPacket, postmaster.c:2450"),
	 true, "57P03",
	 "connection to server at \"db\" (10.0.0.5), port 5432 failed: FATAL:  the database "
	 "system is not yet accepting connections\nDETAIL:  Consistent recovery state has not "
	 "been yet reached."},
	{"53300_too_many",
	 "connection to server at \"db\" (10.0.0.5), port 5432 failed: FATAL:  53300: sorry, too "
	 "many clients already\n" LOC("InitProcess, proc.c:359"),
	 true, "53300",
	 "connection to server at \"db\" (10.0.0.5), port 5432 failed: FATAL:  sorry, too many "
	 "clients already"},
	{"57P01_admin_shutdown",
	 "server closed the connection unexpectedly: FATAL:  57P01: terminating connection due "
	 "to administrator command\n" LOC("ProcessInterrupts, postgres.c:3197"),
	 true, "57P01",
	 "server closed the connection unexpectedly: FATAL:  terminating connection due to "
	 "administrator command"},
	{"refused_no_sqlstate",
	 "connection to server at \"db\" (10.0.0.5), port 5432 failed: Connection refused\n"
	 "\tIs the server running on that host and accepting TCP/IP connections?\n",
	 false, "",
	 "connection to server at \"db\" (10.0.0.5), port 5432 failed: Connection refused\n"
	 "\tIs the server running on that host and accepting TCP/IP connections?"},
	{"non_verbose_no_sqlstate",
	 "connection to server at \"db\" (10.0.0.5), port 5432 failed: FATAL:  password "
	 "authentication failed for user \"app\"\n",
	 false, "",
	 "connection to server at \"db\" (10.0.0.5), port 5432 failed: FATAL:  password "
	 "authentication failed for user \"app\""},
	{"tls_no_sqlstate",
	 "connection to server at \"db\" (10.0.0.5), port 5432 failed: server does not support "
	 "SSL, but SSL was required\n",
	 false, "",
	 "connection to server at \"db\" (10.0.0.5), port 5432 failed: server does not support "
	 "SSL, but SSL was required"},
	{"multihost_last_counts",
	 "connection to server at \"h1\" (10.0.0.1), port 5432 failed: FATAL:  57P03: the "
	 "database system is starting up\n" LOC("ProcessStartupPacket, postmaster.c:2436")
	 "connection to server at \"h2\" (10.0.0.2), port 5432 failed: FATAL:  28P01: password "
	 "authentication failed for user \"app\"\n" LOC("auth_failed, auth.c:334"),
	 true, "28P01",
	 "connection to server at \"h1\" (10.0.0.1), port 5432 failed: FATAL:  the database "
	 "system is starting up\nconnection to server at \"h2\" (10.0.0.2), port 5432 failed: "
	 "FATAL:  password authentication failed for user \"app\""},
	{"multihost_refused_then_server",
	 "connection to server at \"h1\" (10.0.0.1), port 5432 failed: Connection refused\n"
	 "\tIs the server running on that host and accepting TCP/IP connections?\n"
	 "connection to server at \"h2\" (10.0.0.2), port 5432 failed: FATAL:  3D000: database "
	 "\"x\" does not exist\n" LOC("InitPostgres, postinit.c:941"),
	 true, "3D000",
	 "connection to server at \"h1\" (10.0.0.1), port 5432 failed: Connection refused\n"
	 "\tIs the server running on that host and accepting TCP/IP connections?\n"
	 "connection to server at \"h2\" (10.0.0.2), port 5432 failed: FATAL:  database \"x\" "
	 "does not exist"},
	{"error_severity",
	 "ERROR:  42501: permission denied for database app\n" LOC("aclcheck_error, aclchk.c:3650"),
	 true, "42501", "ERROR:  permission denied for database app"},
	{"empty", "", false, "", ""},
};
/* clang-format on */

static void test_verbose(void)
{
	for (size_t i = 0; i < sizeof verbose_cases / sizeof verbose_cases[0]; i++) {
		const struct verbose_case *c = &verbose_cases[i];
		if (!unit_begin("connect/verbose %s", c->name))
			continue;
		char state[6] = "XXXXX", out[2048];
		memset(out, 'X', sizeof out);
		EXPECT_INT(connect_parse_verbose(c->msg, state, out, sizeof out), c->found);
		EXPECT_STR(state, c->state);
		EXPECT_STR(out, c->out);
		unit_end();
	}
}

/* A small output buffer is filled, NUL-terminated and not overrun. */
struct trunc_case {
	size_t cap;
	const char *out;
};

/* clang-format off */
static const struct trunc_case trunc_cases[] = {
	{1, ""}, {2, "F"}, {8, "FATAL:"}, {12, "FATAL:  pas"}, {20, "FATAL:  password au"},
};
/* clang-format on */

static void test_truncation(void)
{
	static const char msg[] = "FATAL:  28P01: password authentication failed\n" LOC("a.c:1");
	for (size_t i = 0; i < sizeof trunc_cases / sizeof trunc_cases[0]; i++) {
		const struct trunc_case *c = &trunc_cases[i];
		if (!unit_begin("connect/verbose_truncated cap %zu", c->cap))
			continue;
		char state[6], out[64];
		memset(out, '#', sizeof out);
		connect_parse_verbose(msg, state, out, c->cap);
		EXPECT_STR(out, c->out);
		for (size_t k = c->cap; k < sizeof out; k++)
			EXPECT(out[k] == '#', "wrote past cap %zu at %zu", c->cap, k);
		unit_end();
	}
}

/* ---------- sqlstate_is_transient ---------- */

struct state_case {
	const char *state;
	bool transient;
};

/* clang-format off */
static const struct state_case state_cases[] = {
	{"57P03", true},  {"57P01", true},  {"57P02", true},  {"53300", true},
	{"08006", true},  {"08001", true},  {"08004", true},  {"08P01", true},
	{"28P01", false}, {"28000", false}, {"3D000", false}, {"42501", false},
	{"0A000", false}, {"42P01", false}, {"3F000", false}, {"22023", false},
};
/* clang-format on */

static void test_states(void)
{
	for (size_t i = 0; i < sizeof state_cases / sizeof state_cases[0]; i++) {
		const struct state_case *c = &state_cases[i];
		if (!unit_begin("connect/sqlstate %s %s", c->state,
		                c->transient ? "transient" : "permanent"))
			continue;
		EXPECT_INT(sqlstate_is_transient(c->state), c->transient);
		unit_end();
	}
}

/* ---------- connect_classify_stage ---------- */

struct stage_case {
	const char *name;
	ConnStatusType stage;
	bool needs_password;
	enum failure_kind kind;
};

/* clang-format off */
static const struct stage_case stage_cases[] = {
	{"ssl_startup_tls", CONNECTION_SSL_STARTUP, false, FAIL_TLS},
	{"started_network", CONNECTION_STARTED, false, FAIL_NETWORK},
	{"needed_network", CONNECTION_NEEDED, false, FAIL_NETWORK},
	{"awaiting_response_closed", CONNECTION_AWAITING_RESPONSE, false, FAIL_CLOSED},
	{"auth_ok_closed", CONNECTION_AUTH_OK, false, FAIL_CLOSED},
	{"needs_password_awaiting", CONNECTION_AWAITING_RESPONSE, true, FAIL_NO_PASSWORD},
	{"needs_password_started", CONNECTION_STARTED, true, FAIL_NO_PASSWORD},
	{"needs_password_ssl", CONNECTION_SSL_STARTUP, true, FAIL_NO_PASSWORD},
};
/* clang-format on */

static void test_stages(void)
{
	for (size_t i = 0; i < sizeof stage_cases / sizeof stage_cases[0]; i++) {
		const struct stage_case *c = &stage_cases[i];
		if (!unit_begin("connect/stage %s", c->name))
			continue;
		EXPECT_INT(connect_classify_stage(c->stage, c->needs_password), c->kind);
		unit_end();
	}
}

void suite_connect(void)
{
	test_verbose();
	test_truncation();
	test_states();
	test_stages();
}

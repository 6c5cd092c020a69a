/* test_dialect.c - the migration tools' URL parameters and variables (dialect.c). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dburl.h"
#include "dialect.h"
#include "exitcode.h"
#include "log.h"
#include "unit.h"

static const struct {
	const char *name, *in;
	const char *out;    /* the URL libpq gets; NULL = unchanged */
	const char *taken;  /* "name=value" of the first parameter taken, or NULL */
	int n;              /* parameters taken */
	const char *format; /* the format the URL is read for; NULL = not known */
} take_cases[] = {
        {"no parameters", "postgres://app@db/app", NULL, NULL, 0, NULL},
        {"libpq's own only", "postgres://app@db/app?sslmode=require&application_name=x", NULL,
         NULL, 0, NULL},
        {"search_path, decoded", "postgres://app@db/app?search_path=a%2Cb&sslmode=require",
         "postgres://app@db/app?sslmode=require", "search_path=a,b", 1, NULL},
        {"last parameter taken", "postgres://app@db/app?sslmode=require&search_path=s",
         "postgres://app@db/app?sslmode=require", "search_path=s", 1, NULL},
        {"golang-migrate's table", "postgres://app@db/app?x-migrations-table=my.hist",
         "postgres://app@db/app", "x-migrations-table=my.hist", 1, NULL},
        {"golang-migrate's scheme",
         "pgx5://app@db:5432/app?x-multi-statement=true&sslmode=disable",
         "postgres://app@db:5432/app?sslmode=disable", "x-multi-statement=true", 1, NULL},
        {"a '?' in an encoded password stays", "postgres://app:p%3Fw@db/app?search_path=s",
         "postgres://app:p%3Fw@db/app", "search_path=s", 1, NULL},
        {"key=value pairs are libpq's", "host=db search_path=s", NULL, NULL, 0, NULL},
        /* sslcert is libpq's client certificate, and Prisma's CA file: the format decides */
        {"sslcert, no format known: libpq's", "postgres://db/app?sslcert=c.pem", NULL, NULL, 0,
         NULL},
        {"sslcert, plain: libpq's", "postgres://db/app?sslcert=c.pem", NULL, NULL, 0, "plain"},
        {"sslcert, prisma: the CA file", "postgres://db/app?sslcert=%2Fca%20dir%2Fca.pem&x=1",
         "postgres://db/app?x=1", "sslcert=/ca dir/ca.pem", 1, "prisma"},
        {"sslaccept and sslidentity are Prisma's in any case",
         "postgres://db/app?sslaccept=strict&sslidentity=id.p12", "postgres://db/app",
         "sslaccept=strict", 2, "plain"},
        {"Prisma's lifetimes are its client's",
         "postgres://db/app?max_connection_lifetime=5&max_idle_connection_lifetime=0",
         "postgres://db/app", "max_connection_lifetime=5", 2, "prisma"},
};

static void take(void)
{
	for (size_t i = 0; i < sizeof take_cases / sizeof *take_cases; i++) {
		if (!unit_begin("dialect/take %s", take_cases[i].name))
			continue;
		const struct format *fmt =
		        take_cases[i].format ? format_find(take_cases[i].format) : NULL;
		EXPECT(!take_cases[i].format || fmt, "no format %s", take_cases[i].format);
		struct dialect d;
		memset(&d, 0, sizeof d);
		char *out = NULL, why[256] = "";
		EXPECT_INT(dialect_take(take_cases[i].in, fmt, &out, &d, why, sizeof why), 0);
		if (take_cases[i].out)
			EXPECT(out && strcmp(out, take_cases[i].out) == 0, "out = %s",
			       out ? out : "NULL");
		else
			EXPECT(out == NULL, "out = %s, want unchanged", out);
		EXPECT_INT(d.n, take_cases[i].n);
		if (take_cases[i].taken && d.n) {
			char nv[512];
			snprintf(nv, sizeof nv, "%s=%s", d.p[0].name, d.p[0].value);
			EXPECT_STR(nv, take_cases[i].taken);
		}
		free(out);
		dialect_free(&d);
		unit_end();
	}
	if (unit_begin("dialect/take refuses a parameter given twice")) {
		struct dialect d;
		memset(&d, 0, sizeof d);
		char *out = NULL, why[256] = "";
		EXPECT_INT(dialect_take("postgres://db/app?search_path=a&search_path=b", NULL,
		                        &out, &d, why, sizeof why),
		           -1);
		EXPECT(strstr(why, "search_path is given twice") != NULL, "why = %s", why);
		EXPECT(out == NULL, "out set");
		dialect_free(&d);
		unit_end();
	}
}

static void options(void)
{
	static const struct {
		const char *base, *sp, *want;
	} cases[] = {
	        {NULL, "app", "-c search_path=app"},
	        {"-c work_mem=4MB", "a, b", "-c work_mem=4MB -c search_path=a,\\ b"},
	        {NULL, "we\\ird", "-c search_path=we\\\\ird"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		if (!unit_begin("dialect/options %zu", i))
			continue;
		char *got = dialect_options(cases[i].base, cases[i].sp);
		EXPECT_STR(got, cases[i].want);
		free(got);
		unit_end();
	}
}

/* the history table each tool's configuration names, as --history-table spells it */
static void history_table(void)
{
	static const struct {
		const char *format, *url, *env, *want; /* want NULL: none named */
	} cases[] = {
	        {"golang-migrate", "postgres://db/app?x-migrations-table=my.hist", NULL,
	         "\"my.hist\""},
	        {"golang-migrate",
	         "postgres://db/app?x-migrations-table=%22ops%22.%22hist%22&"
	         "x-migrations-table-quoted=1",
	         NULL, "\"ops\".\"hist\""},
	        {"golang-migrate", "postgres://db/app?search_path=ops", NULL, NULL},
	        {"dbmate", "postgres://db/app?search_path=ops,public", NULL,
	         "\"ops\".\"schema_migrations\""},
	        {"dbmate", "postgres://db/app", "DBMATE_MIGRATIONS_TABLE=hist", "hist"},
	        {"goose", "postgres://db/app", "GOOSE_TABLE=ops.goose_hist", "ops.goose_hist"},
	        {"goose", "postgres://db/app?x-migrations-table=nope", NULL, NULL},
	        {"plain", "postgres://db/app?search_path=ops", NULL, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		if (!unit_begin("dialect/history_table %s %zu", cases[i].format, i))
			continue;
		unit_env_set(cases[i].env);
		const struct format *f = format_find(cases[i].format);
		struct dialect d;
		memset(&d, 0, sizeof d);
		char *out = NULL, why[256] = "", spec[1024] = "";
		EXPECT(f != NULL, "no format %s", cases[i].format);
		EXPECT_INT(dialect_take(cases[i].url, f, &out, &d, why, sizeof why), 0);
		bool named = f && dialect_history_table(f, &d, spec, sizeof spec, why, sizeof why);
		if (cases[i].want)
			EXPECT(named && strcmp(spec, cases[i].want) == 0, "spec = %s (named %d)",
			       spec, named);
		else
			EXPECT(!named, "named %s", spec);
		free(out);
		dialect_free(&d);
		unit_end();
	}
}

static void env(void)
{
	if (unit_begin("dialect/env GOOSE_DBSTRING")) {
		unit_env_set("GOOSE_DBSTRING=postgres://db/goose");
		const char *name = NULL;
		const char *v = dialect_env(FSET_URL, &name, NULL);
		EXPECT(v && strcmp(v, "postgres://db/goose") == 0, "v = %s", v ? v : "NULL");
		EXPECT(name && strcmp(name, "GOOSE_DBSTRING") == 0, "name = %s",
		       name ? name : "NULL");
		unit_end();
	}
	if (unit_begin("dialect/env DBMATE_MIGRATIONS_DIR")) {
		unit_env_set("DBMATE_MIGRATIONS_DIR=/db/migrations");
		const char *name = NULL;
		const char *v = dialect_env(FSET_DIR, &name, NULL);
		EXPECT(v && strcmp(v, "/db/migrations") == 0, "v = %s", v ? v : "NULL");
		unit_end();
	}
	if (unit_begin("dialect/env none set")) {
		const char *name = NULL;
		EXPECT(dialect_env(FSET_URL, &name, NULL) == NULL, "found %s", name);
		unit_end();
	}
}

/* the kinds no format of this issue reads yet (Prisma's ?schema=, FLYWAY_USER and
 * FLYWAY_PASSWORD come with their formats): a format made up for the test */
static const struct fsetting fake_env[] = {
        {"DBREADY_TEST_SCHEMA", FSET_SCHEMA},
        {"DBREADY_TEST_USER", FSET_USER},
        {"DBREADY_TEST_PASSWORD", FSET_PASSWORD},
        {NULL, 0},
};
static const struct format fake = {.name = "fake", .env = fake_env, .table = "hist"};

static void schema_user_password(void)
{
	if (unit_begin("dialect/schema variable names the history table's schema")) {
		unit_env_set("DBREADY_TEST_SCHEMA=My\"App");
		struct dialect d;
		memset(&d, 0, sizeof d);
		char spec[1024] = "", why[256] = "";
		EXPECT(dialect_history_table(&fake, &d, spec, sizeof spec, why, sizeof why),
		       "no table named");
		EXPECT_STR(spec, "\"My\"\"App\".\"hist\"");
		EXPECT_STR(why, "DBREADY_TEST_SCHEMA");
		unit_end();
	}
	if (unit_begin("dialect/a schema longer than 63 bytes is passed on to be refused")) {
		char long_env[200];
		snprintf(long_env, sizeof long_env, "DBREADY_TEST_SCHEMA=%0150d", 7);
		unit_env_set(long_env);
		struct dialect d;
		memset(&d, 0, sizeof d);
		char spec[1024] = "", why[256] = "";
		EXPECT(dialect_history_table(&fake, &d, spec, sizeof spec, why, sizeof why),
		       "no table named");
		EXPECT_INT(strlen(spec), 150);
		unit_end();
	}
	if (unit_begin("dialect/the tool's user and password go with its URL, as secrets")) {
		unit_env_set("DBREADY_TEST_USER=flyuser DBREADY_TEST_PASSWORD=Canary-fly-Pw9");
		struct config cfg;
		memset(&cfg, 0, sizeof cfg);
		cfg.url = "jdbc:postgresql://db:5432/app?sslmode=require";
		cfg.url_origin = "FLYWAY_URL";
		const char *name;
		cfg.url_user = dialect_env_of(&fake, FSET_USER, &name);
		cfg.url_password = dialect_env_of(&fake, FSET_PASSWORD, &cfg.url_password_origin);
		static struct dburl u;
		EXPECT_INT(dburl_load(&cfg, &u), EXIT_DONE);
		EXPECT_STR(u.redacted, "postgres://flyuser:***@db:5432/app?sslmode=require");
		EXPECT_STR(u.password_origin, "DBREADY_TEST_PASSWORD");
		char *shown = log_scrubbed_dup("it was Canary-fly-Pw9");
		EXPECT(shown && !strstr(shown, "Canary-fly-Pw9"), "the password shows: %s", shown);
		free(shown);
		dburl_free(&u);
		unit_end();
	}
	if (unit_begin("dialect/the URL's own user and password win")) {
		unit_env_set("DBREADY_TEST_USER=flyuser DBREADY_TEST_PASSWORD=Canary-fly-Pw9");
		struct config cfg;
		memset(&cfg, 0, sizeof cfg);
		cfg.url = "postgres://app:Canary-url-Pw9@db/app";
		cfg.url_origin = "FLYWAY_URL";
		const char *name;
		cfg.url_user = dialect_env_of(&fake, FSET_USER, &name);
		cfg.url_password = dialect_env_of(&fake, FSET_PASSWORD, &cfg.url_password_origin);
		static struct dburl u;
		EXPECT_INT(dburl_load(&cfg, &u), EXIT_DONE);
		EXPECT_STR(u.redacted, "postgres://app:***@db:5432/app");
		EXPECT_STR(u.password_origin, "FLYWAY_URL");
		dburl_free(&u);
		unit_end();
	}
}

/* Prisma's ?schema= is the session's search_path for Prisma, and for no other format */
static void schema_owner(void)
{
	static const struct {
		const char *format; /* NULL: not known */
		const char *want;   /* the search_path sent; NULL: none */
	} cases[] = {{"prisma", "\"app\""}, {NULL, "\"app\""}, {"goose", NULL}};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		if (!unit_begin("dialect/?schema= with format %s",
		                cases[i].format ? cases[i].format : "unknown"))
			continue;
		struct dialect d;
		memset(&d, 0, sizeof d);
		char *out = NULL, why[256] = "";
		const struct format *f = cases[i].format ? format_find(cases[i].format) : NULL;
		EXPECT_INT(
		        dialect_take("postgres://db/app?schema=app", f, &out, &d, why, sizeof why),
		        0);
		if (cases[i].want)
			EXPECT(d.search_path && strcmp(d.search_path, cases[i].want) == 0,
			       "search_path = %s", d.search_path ? d.search_path : "NULL");
		else
			EXPECT(!d.search_path, "search_path = %s", d.search_path);
		EXPECT_STR(dialect_owner("schema") ? dialect_owner("schema")->name : "none",
		           "prisma");
		free(out);
		dialect_free(&d);
		unit_end();
	}
}

/* Prisma's TLS parameters as libpq's (quaint postgres/url.rs and native/mod.rs) */
static void tls(void)
{
	static const struct {
		const char *query;
		int rc;
		const char *ca; /* the CA file for sslrootcert, NULL: none */
		bool skipped, verify_full;
	} cases[] = {
	        {"", 0, NULL, false, false},
	        {"sslcert=ca.pem", 0, "ca.pem", false, false},
	        {"sslcert=ca.pem&sslaccept=strict", 0, "ca.pem", false, true},
	        {"sslaccept=strict", 0, NULL, false, true},
	        /* quaint: an unknown value is strict */
	        {"sslaccept=Strict", 0, NULL, false, true},
	        {"sslcert=ca.pem&sslaccept=accept_invalid_certs", 0, NULL, true, false},
	        {"sslidentity=id.p12&sslpassword=Canary-p12-Pw9", -1, NULL, false, false},
	};
	const struct format *f = format_find("prisma");
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		if (!unit_begin("dialect/tls prisma ?%s", cases[i].query))
			continue;
		char url[256];
		snprintf(url, sizeof url, "postgres://db/app?%s", cases[i].query);
		struct dialect d;
		memset(&d, 0, sizeof d);
		char *out = NULL, why[512] = "", hint[1024] = "";
		EXPECT(f != NULL, "no prisma format");
		EXPECT_INT(dialect_take(url, f, &out, &d, why, sizeof why), 0);
		struct dialect_tls t;
		int rc = f ? dialect_tls(f, &d, &t, why, sizeof why, hint, sizeof hint) : -2;
		EXPECT_INT(rc, cases[i].rc);
		if (rc == 0) {
			EXPECT_STR(t.ca_file ? t.ca_file : "NULL",
			           cases[i].ca ? cases[i].ca : "NULL");
			EXPECT_INT(t.ca_skipped, cases[i].skipped);
			EXPECT_INT(t.verify_full, cases[i].verify_full);
		} else {
			EXPECT_CONTAINS(why, "PKCS#12");
			EXPECT_CONTAINS(hint, "openssl pkcs12");
			EXPECT(!strstr(why, "Canary") && !strstr(hint, "Canary"),
			       "the password shows");
		}
		free(out);
		dialect_free(&d);
		unit_end();
	}
}

void suite_dialect(void)
{
	schema_owner();
	tls();
	schema_user_password();
	take();
	options();
	history_table();
	env();
}

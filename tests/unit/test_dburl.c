/* test_dburl.c - DATABASE_URL checks: findings, exit codes, redaction and secret safety. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "dburl.h"
#include "exitcode.h"
#include "log.h"
#include "unit.h"

#define PW   "Canary-Pw-7f3a"
#define K8S  "KUBERNETES_SERVICE_HOST=10.96.0.1"
#define OKRE "postgres://app:***@db:5432/app?sslmode=require"

struct want {
	int rc;
	const char *code;     /* the finding expected, NULL = no finding at all */
	const char *needle;   /* in that finding's msg, detail or hint: names the fault */
	const char *redacted; /* exact u.redacted, NULL = not checked */
	const char *secrets;  /* '|'-separated secrets that must not show; NULL = PW */
};

struct url_case {
	const char *name;
	const char *url;
	const char *env; /* "NAME=value ..." for the case */
	struct want w;
};

/* clang-format off */
static const struct url_case url_cases[] = {
	/* accepted as they are */
	{"ok_basic", "postgres://app:" PW "@db:5432/app?sslmode=require", NULL, {0, NULL, NULL, OKRE, NULL}},
	{"ok_postgresql_scheme", "postgresql://app:" PW "@db/app?sslmode=require", NULL,
	 {0, NULL, NULL, OKRE, NULL}},
	{"ok_encoded_at", "postgres://app:Canary%40Pw-7f3a@db:5432/app?sslmode=require", NULL,
	 {0, NULL, NULL, OKRE, "Canary%40Pw-7f3a|Canary@Pw-7f3a"}},
	{"ok_p40ss", "postgres://app:p%40ss@db/app?sslmode=require", NULL,
	 {0, NULL, NULL, OKRE, "p%40ss|p@ss"}},
	{"ok_encoded_all_reserved", "postgres://app:Canary%2FPw%23x%3F%25y@db/app?sslmode=require",
	 NULL, {0, NULL, NULL, OKRE, "Canary%2FPw%23x%3F%25y|Canary/Pw#x?%y"}},
	{"ok_colon_in_password", "postgres://app:Canary:Pw-7f3a@db/app?sslmode=require", NULL,
	 {0, NULL, NULL, OKRE, "Canary:Pw-7f3a"}},
	{"ok_no_password", "postgres://app@db:5432/app?sslmode=require", NULL,
	 {0, NULL, NULL, "postgres://app@db:5432/app?sslmode=require", NULL}},
	{"ok_dbname_defaults_to_user", "postgres://app:" PW "@db:5432?sslmode=require", NULL,
	 {0, NULL, NULL, OKRE, NULL}},
	{"ok_ipv6_loopback", "postgres://app:" PW "@[::1]:5432/app", NULL,
	 {0, NULL, NULL, "postgres://app:***@[::1]:5432/app", NULL}},
	{"ok_ipv6_port", "postgres://app:" PW "@[2001:db8::1]:5433/app?sslmode=require", NULL,
	 {0, NULL, NULL, "postgres://app:***@[2001:db8::1]:5433/app?sslmode=require", NULL}},
	{"ok_multihost", "postgres://app:" PW "@h1:5432,h2:5433/app?sslmode=require", NULL,
	 {0, NULL, NULL, "postgres://app:***@h1:5432,h2:5433/app?sslmode=require", NULL}},
	{"ok_multihost_last_port", "postgres://app:" PW "@h1,h2:5433/app?sslmode=require", NULL,
	 {0, NULL, NULL, "postgres://app:***@h1:5432,h2:5433/app?sslmode=require", NULL}},
	{"ok_multihost_tsa",
	 "postgres://app:" PW "@h1,h2/app?sslmode=require&target_session_attrs=read-write", NULL,
	 {0, NULL, NULL,
	  "postgres://app:***@h1:5432,h2:5432/app?sslmode=require&target_session_attrs=read-write", NULL}},
	{"ok_socket_encoded", "postgres://app:" PW "@%2Fvar%2Frun%2Fpostgresql/app", NULL,
	 {0, NULL, NULL, "postgres://app:***@%2Fvar%2Frun%2Fpostgresql:5432/app", NULL}},
	{"ok_socket_cloudsql", "postgres://app:" PW "@/app?host=/cloudsql/proj:eu:db", NULL,
	 {0, NULL, NULL, "postgres://app:***@%2Fcloudsql%2Fproj%3Aeu%3Adb:5432/app", NULL}},
	{"ok_conninfo", "host=db port=5432 user=app password=" PW " dbname=app sslmode=require",
	 NULL, {0, NULL, NULL, OKRE, NULL}},
	{"ok_conninfo_quoted_password",
	 "host=db user=app password='Canary Pw 7f3a' dbname=app sslmode=require", NULL,
	 {0, NULL, NULL, OKRE, "Canary Pw 7f3a"}},
	{"ok_conninfo_hostaddr",
	 "host=db hostaddr=10.0.0.5 user=app password=" PW " dbname=app sslmode=require", NULL,
	 {0, NULL, NULL, "postgres://app:***@db:5432/app?hostaddr=10.0.0.5&sslmode=require", NULL}},
	{"ok_password_in_query", "postgres://db/app?user=app&password=" PW "&sslmode=require", NULL,
	 {0, NULL, NULL, OKRE, NULL}},
	{"ok_sslpassword_masked",
	 "postgres://app@db/app?sslmode=require&sslcert=/c.pem&sslkey=/k.pem&sslpassword=" PW,
	 NULL,
	 {0, NULL, NULL,
	  "postgres://app@db:5432/app?sslmode=require&sslcert=%2Fc.pem&sslkey=%2Fk.pem&"
	  "sslpassword=***", NULL}},
	{"ok_options_search_path",
	 "postgres://app:" PW "@db/app?options=-csearch_path%3Dmyschema&sslmode=require", NULL,
	 {0, NULL, NULL, "postgres://app:***@db:5432/app?options=-csearch_path%3Dmyschema&"
			 "sslmode=require", NULL}},
	{"ok_verify_full_rootcert",
	 "postgres://app:" PW "@db.example.com/app?sslmode=verify-full&sslrootcert=/run/ca.pem",
	 NULL,
	 {0, NULL, NULL,
	  "postgres://app:***@db.example.com:5432/app?sslmode=verify-full&"
	  "sslrootcert=%2Frun%2Fca.pem", NULL}},
	{"ok_localhost_outside_k8s", "postgres://app:" PW "@localhost:5432/app", NULL,
	 {0, NULL, NULL, "postgres://app:***@localhost:5432/app", NULL}},
	{"ok_disable_to_localhost", "postgres://app:" PW "@localhost/app?sslmode=disable", NULL,
	 {0, NULL, NULL, "postgres://app:***@localhost:5432/app?sslmode=disable", NULL}},
	{"ok_disable_to_127", "postgres://app:" PW "@127.0.0.1:5432/app?sslmode=disable", NULL,
	 {0, NULL, NULL, NULL, NULL}},
	{"ok_pguser_pgpassword_env", "postgres://db/app?sslmode=require", "PGUSER=app PGPASSWORD=" PW,
	 {0, NULL, NULL, OKRE, NULL}},
	{"ok_pgsslmode_env", "postgres://app:" PW "@db/app", "PGSSLMODE=require", {0, NULL, NULL, NULL, NULL}},
	{"ok_kubernetes_service_name",
	 "postgres://app:" PW "@postgres.prod.svc.cluster.local:5432/app?sslmode=verify-full&"
	 "sslrootcert=/ca.pem",
	 K8S, {0, NULL, NULL, NULL, NULL}},
	/* empty, quoted, white space */
	{"empty", "", NULL, {3, "url_empty", "empty", NULL, NULL}},
	{"whitespace_only", "   ", NULL, {3, "url_empty", "empty", NULL, NULL}},
	{"newline_only", "\n", NULL, {3, "url_empty", "empty", NULL, NULL}},
	{"double_quoted", "\"postgres://app:" PW "@db:5432/app\"", NULL, {3, "url_quoted", "quote", NULL, NULL}},
	{"single_quoted", "'postgres://app:" PW "@db:5432/app'", NULL, {3, "url_quoted", "quote", NULL, NULL}},
	{"trailing_newline", "postgres://app:" PW "@db:5432/app\n", NULL,
	 {3, "url_trailing_newline", "newline", NULL, NULL}},
	{"trailing_crlf", "postgres://app:" PW "@db:5432/app\r\n", NULL,
	 {3, "url_trailing_newline", "newline", NULL, NULL}},
	{"trailing_space", "postgres://app:" PW "@db:5432/app ", NULL,
	 {3, "url_whitespace", "white space", NULL, NULL}},
	{"leading_space", " postgres://app:" PW "@db:5432/app", NULL,
	 {3, "url_whitespace", "white space", NULL, NULL}},
	{"trailing_tab", "postgres://app:" PW "@db:5432/app\t", NULL,
	 {3, "url_whitespace", "white space", NULL, NULL}},
	/* ${VAR} nobody expanded */
	{"unexpanded_host", "postgres://app:" PW "@${DB_HOST}:5432/app", NULL,
	 {3, "url_unexpanded_variable", "${DB_HOST}", NULL, NULL}},
	{"unexpanded_user", "postgres://${DB_USER}:" PW "@db:5432/app", NULL,
	 {3, "url_unexpanded_variable", "${DB_USER}", NULL, NULL}},
	{"unexpanded_password", "postgres://app:${DB_PASSWORD}@db:5432/app", NULL,
	 {3, "url_unexpanded_variable", "password", NULL, "${DB_PASSWORD}|DB_PASSWORD"}},
	{"unexpanded_password_part", "postgres://app:Canary-${PW_SUFFIX_X}@db:5432/app", NULL,
	 {3, "url_unexpanded_variable", "password", NULL, "Canary-${PW_SUFFIX_X}|PW_SUFFIX_X"}},
	{"unexpanded_whole", "${DATABASE_URL}", NULL,
	 {3, "url_unexpanded_variable", "${DATABASE_URL}", NULL, NULL}},
	/* schemes libpq does not take */
	/* a JDBC URL (Flyway's FLYWAY_URL) is read as the postgresql:// URL inside it */
	{"scheme_jdbc", "jdbc:postgresql://db:5432/app?user=app&password=" PW "&sslmode=require",
	 NULL, {0, NULL, NULL, "postgres://app:***@db:5432/app?sslmode=require", NULL}},
	{"scheme_jdbc_mysql", "jdbc:mysql://db:3306/app", NULL, {3, "url_scheme", "jdbc:", NULL, NULL}},
	{"scheme_psycopg2", "postgres+psycopg2://app:" PW "@db:5432/app", NULL,
	 {3, "url_scheme", "SQLAlchemy", NULL, NULL}},
	{"scheme_asyncpg", "postgresql+asyncpg://app:" PW "@db:5432/app", NULL,
	 {3, "url_scheme", "SQLAlchemy", NULL, NULL}},
	{"scheme_mysql", "mysql://root:" PW "@db:3306/app", NULL, {3, "url_scheme", "MySQL", NULL, NULL}},
	{"scheme_wss", "wss://ep-cool-name.eu-central-1.aws.neon.tech/v2", NULL,
	 {3, "url_scheme", "WebSocket", NULL, NULL}},
	{"scheme_https", "https://db.example.com/sql?key=" PW, NULL, {3, "url_scheme", "HTTP", NULL, NULL}},
	{"scheme_prisma", "prisma://accelerate.prisma-data.net/?api_key=" PW, NULL,
	 {3, "url_scheme", "directUrl", NULL, NULL}},
	{"scheme_uppercase", "POSTGRES://app:" PW "@db:5432/app", NULL,
	 {3, "url_scheme", "lower case", NULL, NULL}},
	{"scheme_capitalised", "Postgresql://app:" PW "@db:5432/app", NULL,
	 {3, "url_scheme", "lower case", NULL, NULL}},
	{"scheme_postgis", "postgis://app:" PW "@db:5432/app", NULL, {3, "url_scheme", "postgis", NULL, NULL}},
	{"scheme_redis", "redis://:" PW "@cache:6379/0", NULL, {3, "url_scheme", "postgres://", NULL, NULL}},
	{"not_a_url_host_port", "db.example.com:5432", NULL, {3, "url_not_a_url", "postgres://", NULL, NULL}},
	{"not_a_url_password_only", PW, NULL, {3, "url_not_a_url", "key=value", NULL, NULL}},
	{"not_a_url_one_slash", "postgres:/app:" PW "@db/app", NULL,
	 {3, "url_not_a_url", "postgres://", NULL, NULL}},
	{"whole_env_line", "DATABASE_URL=postgres://app:" PW "@db/app", NULL,
	 {3, "param_unknown", "DATABASE_URL", NULL, NULL}},
	/* reserved characters in the password */
	{"password_at", "postgres://app:Canary@Pw-7f3a@db:5432/app", NULL,
	 {3, "password_unencoded_at", "%40", NULL, "Canary@Pw-7f3a"}},
	{"password_two_at", "postgres://app:Canary@Pw@7f3a-Xyz@db:5432/app", NULL,
	 {3, "password_unencoded_at", "%40", NULL, "Canary@Pw@7f3a-Xyz"}},
	{"password_slash", "postgres://app:Canary/Pw-7f3a@db:5432/app", NULL,
	 {3, "password_unencoded_slash", "%2F", NULL, "Canary/Pw-7f3a"}},
	{"password_at_then_slash", "postgres://app:Canary@Pw-7f3a/Xyz-9b1@db:5432/app", NULL,
	 {3, "password_unencoded_at", "%2F", NULL, "Canary@Pw-7f3a/Xyz-9b1"}},
	{"password_slash_then_at", "postgres://app:Canary/Pw-7f3a@Xyz-9b1@db:5432/app", NULL,
	 {3, "password_unencoded_at", "%2F", NULL, "Canary/Pw-7f3a@Xyz-9b1"}},
	{"password_base64", "postgres://app:Canary+Pw/7f3a==@db:5432/app", NULL,
	 {3, "password_unencoded_slash", "%2F", NULL, "Canary+Pw/7f3a=="}},
	{"password_hash", "postgres://app:Canary#Pw-7f3a@db:5432/app?sslmode=require", NULL,
	 {0, "password_unencoded_hash", "%23", OKRE, "Canary#Pw-7f3a"}},
	{"password_qmark", "postgres://app:Canary?Pw-7f3a@db:5432/app?sslmode=require", NULL,
	 {0, "password_unencoded_qmark", "%3F", OKRE, "Canary?Pw-7f3a"}},
	{"password_percent", "postgres://app:Canary%Pw-7f3a@db:5432/app", NULL,
	 {3, "password_bad_percent", "%25", NULL, "Canary%Pw-7f3a"}},
	{"password_percent_end", "postgres://app:Canary-Pw-7f3a%@db:5432/app", NULL,
	 {3, "password_bad_percent", "%25", NULL, "Canary-Pw-7f3a%"}},
	{"password_percent_one_hex", "postgres://app:Canary-Pw-7f3a%4@db:5432/app", NULL,
	 {3, "password_bad_percent", "%25", NULL, "Canary-Pw-7f3a%4"}},
	{"password_percent_00", "postgres://app:Canary%00Pw-7f3a@db:5432/app", NULL,
	 {3, "url_malformed", "%00", NULL, "Canary%00Pw-7f3a"}},
	{"password_unencoded_space_conninfo",
	 "host=db user=app password=Canary-Pw-7f3a Xyz-9b1-q dbname=app", NULL,
	 {3, "url_malformed", "password", NULL, "Canary-Pw-7f3a Xyz-9b1-q"}},
	/* query parameters libpq does not know */
	{"param_foo", "postgres://app:" PW "@db:5432/app?foo=bar", NULL,
	 {3, "param_unknown", "\"foo\"", NULL, NULL}},
	{"ssl_true_is_sslmode_require", "postgres://app:" PW "@db:5432/app?ssl=true", NULL,
	 {0, NULL, NULL, OKRE, NULL}},
	{"param_ssl_1", "postgres://app:" PW "@db:5432/app?ssl=1", NULL,
	 {3, "param_unknown", "sslmode=require", NULL, NULL}},
	/* Prisma's parameters are its format's dialect (format_prisma.c): read, never passed
	 * to libpq, never refused */
	{"param_schema_public", "postgres://app:" PW "@db:5432/app?schema=public", NULL,
	 {0, "tls_not_required", "prefer", NULL, NULL}},
	{"param_pgbouncer", "postgres://app:" PW "@db:6543/app?pgbouncer=true", NULL,
	 {0, "pooler_endpoint", "6543", NULL, NULL}},
	/* pgjdbc's currentSchema is Flyway's dialect (format_flyway.c): the session's
	 * search_path */
	{"param_current_schema", "postgres://app:" PW "@db/app?currentSchema=app", NULL,
	 {0, "tls_not_required", "prefer", NULL, NULL}},
	{"param_sslaccept", "postgres://app:" PW "@db/app?sslaccept=strict", NULL,
	 {0, "tls_not_required", "prefer", NULL, NULL}},
	{"param_connection_limit", "postgres://app:" PW "@db/app?connection_limit=5", NULL,
	 {0, "tls_not_required", "prefer", NULL, NULL}},
	/* in key=value form libpq names them: the hint says where dbready reads them */
	{"param_schema_conninfo", "host=db user=app password=" PW " dbname=app schema=app", NULL,
	 {3, "param_unknown", "--format=prisma", NULL, NULL}},
	{"param_pgbouncer_conninfo", "host=db user=app password=" PW " dbname=app pgbouncer=true",
	 NULL, {3, "param_unknown", "directUrl", NULL, NULL}},
	{"param_conninfo_unknown", "host=db user=app password=" PW " dbname=app foo=bar", NULL,
	 {3, "param_unknown", "\"foo\"", NULL, NULL}},
	{"param_no_equals", "postgres://app:" PW "@db:5432/app?sslmode", NULL,
	 {3, "url_malformed", "separator", NULL, NULL}},
	{"param_options_unencoded_eq", "postgres://app:" PW "@db/app?options=-csearch_path=app",
	 NULL, {3, "url_malformed", "separator", NULL, NULL}},
	/* values libpq would reject at connect time */
	{"sslmode_bogus", "postgres://app:" PW "@db/app?sslmode=bogus", NULL,
	 {3, "param_invalid", "sslmode", NULL, NULL}},
	{"sslmode_capitalised", "postgres://app:" PW "@db/app?sslmode=Require", NULL,
	 {3, "param_invalid", "verify-full", NULL, NULL}},
	{"pgsslmode_env_bogus", "postgres://app:" PW "@db/app", "PGSSLMODE=bogus",
	 {3, "param_invalid", "PGSSLMODE", NULL, NULL}},
	{"tsa_bogus", "postgres://app:" PW "@h1,h2/app?target_session_attrs=bogus", NULL,
	 {3, "param_invalid", "target_session_attrs", NULL, NULL}},
	{"gssencmode_bogus", "postgres://app:" PW "@db/app?gssencmode=yes", NULL,
	 {3, "param_invalid", "gssencmode", NULL, NULL}},
	{"connect_timeout_abc", "postgres://app:" PW "@db/app?connect_timeout=abc", NULL,
	 {3, "param_invalid", "connect_timeout", NULL, NULL}},
	{"connect_timeout_unit", "postgres://app:" PW "@db/app?connect_timeout=10s", NULL,
	 {3, "param_invalid", "\"10s\"", NULL, NULL}},
	{"connect_timeout_negative", "postgres://app:" PW "@db/app?connect_timeout=-5", NULL,
	 {3, "param_invalid", "connect_timeout", NULL, NULL}},
	{"keepalives_idle_bad", "postgres://app:" PW "@db/app?keepalives_idle=1m", NULL,
	 {3, "param_invalid", "keepalives_idle", NULL, NULL}},
	/* hosts and ports */
	{"port_word", "postgres://app:" PW "@db:abc/app", NULL, {3, "port_invalid", "\"abc\"", NULL, NULL}},
	{"port_template", "postgres://user:password@host:port/database", NULL,
	 {3, "port_invalid", "\"port\"", NULL, "password"}},
	{"port_zero", "postgres://app:" PW "@db:0/app", NULL, {3, "port_invalid", "\"0\"", NULL, NULL}},
	{"port_too_big", "postgres://app:" PW "@db:70000/app", NULL,
	 {3, "port_invalid", "65535", NULL, NULL}},
	{"pgport_env_bad", "postgres://app:" PW "@db/app", "PGPORT=abc", {3, "port_invalid", "abc", NULL, NULL}},
	{"ports_mismatch", "postgres://app:" PW "@h1,h2/app?port=5432,5433,5434", NULL,
	 {3, "hosts_mismatch", "3 ports", NULL, NULL}},
	{"ports_mismatch_conninfo", "host=h1,h2 port=1,2,3 user=app password=" PW, NULL,
	 {3, "hosts_mismatch", "3 ports", NULL, NULL}},
	{"hostaddr_mismatch", "host=h1,h2 hostaddr=10.0.0.1 user=app password=" PW, NULL,
	 {3, "hosts_mismatch", "host addresses", NULL, NULL}},
	{"ipv6_unclosed", "postgres://app:" PW "@[::1/app", NULL, {3, "url_malformed", "]", NULL, NULL}},
	/* user and host */
	{"user_missing", "postgres://db:5432/app?sslmode=require", NULL,
	 {3, "user_missing", "user name", NULL, NULL}},
	{"user_missing_with_password", "postgres://:" PW "@db:5432/app?sslmode=require", NULL,
	 {3, "user_missing", "PGUSER", NULL, NULL}},
	{"user_missing_conninfo", "host=db dbname=app sslmode=require", NULL,
	 {3, "user_missing", "user", NULL, NULL}},
	{"host_missing", "postgres:///app?user=app&password=" PW, NULL,
	 {0, "host_missing", "/var/run/postgresql", NULL, NULL}},
	{"host_missing_pguser", "postgres:///app", "PGUSER=app", {0, "host_missing", "host", NULL, NULL}},
	{"pghost_fills_host", "postgres:///app?user=app", "PGHOST=db.internal",
	 {0, "tls_not_required", "prefer", "postgres://app@db.internal:5432/app", NULL}},
	/* Kubernetes, poolers, TLS */
	{"k8s_localhost", "postgres://app:" PW "@localhost:5432/app", K8S,
	 {0, "localhost_in_kubernetes", "Service", NULL, NULL}},
	{"k8s_127", "postgres://app:" PW "@127.0.0.1:5432/app", K8S,
	 {0, "localhost_in_kubernetes", "127.0.0.1", NULL, NULL}},
	{"k8s_ipv6_loopback", "postgres://app:" PW "@[::1]:5432/app", K8S,
	 {0, "localhost_in_kubernetes", "::1", NULL, NULL}},
	{"k8s_localhost_conninfo", "host=localhost user=app password=" PW, K8S,
	 {0, "localhost_in_kubernetes", "localhost", NULL, NULL}},
	{"k8s_socket_no_warning", "postgres://app:" PW "@%2Fvar%2Frun%2Fpostgresql/app", K8S, {0, NULL, NULL, NULL, NULL}},
	{"pooler_port_6543",
	 "postgres://app:" PW "@aws-0-eu-central-1.pooler.supabase.com:6543/postgres?sslmode=require",
	 NULL, {0, "pooler_endpoint", "6543", NULL, NULL}},
	{"pooler_host",
	 "postgres://app:" PW "@ep-cool-123456-pooler.eu-central-1.aws.neon.tech/neondb?sslmode=require",
	 NULL, {0, "pooler_endpoint", "-pooler", NULL, NULL}},
	{"tls_disable_remote", "postgres://app:" PW "@db.example.com:5432/app?sslmode=disable", NULL,
	 {0, "tls_not_required", "sslmode=disable", NULL, NULL}},
	{"tls_default_prefer_remote", "postgres://app:" PW "@db:5432/app", NULL,
	 {0, "tls_not_required", "prefer", "postgres://app:***@db:5432/app", NULL}},
	{"tls_allow_remote", "postgres://app:" PW "@10.0.0.5/app?sslmode=allow", NULL,
	 {0, "tls_not_required", "sslmode=allow", NULL, NULL}},
	{"tls_pgsslmode_disable_remote", "postgres://app:" PW "@db/app", "PGSSLMODE=disable",
	 {0, "tls_not_required", "sslmode=disable", NULL, NULL}},
};
/* clang-format on */

/* Neither the secret nor any run of [A-Za-z0-9_-] in it 6 or more long may show in a
 * finding or in the redacted target. */
static void expect_lacks_piece(const struct dburl *u, const char *piece)
{
	for (int f = 0; f < u->nfindings; f++) {
		const struct finding *fd = &u->findings[f];
		EXPECT(!strstr(fd->msg, piece), "%s msg shows secret \"%s\": %s", fd->code, piece,
		       fd->msg);
		EXPECT(!strstr(fd->detail, piece), "%s detail shows secret \"%s\": %s", fd->code,
		       piece, fd->detail);
		EXPECT(!strstr(fd->hint, piece), "%s hint shows secret \"%s\": %s", fd->code,
		       piece, fd->hint);
	}
	EXPECT(!strstr(u->redacted, piece), "redacted shows secret \"%s\": %s", piece,
	       u->redacted);
}

static void expect_lacks_secret(const struct dburl *u, const char *s)
{
	static const char word[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
	expect_lacks_piece(u, s);
	for (const char *p = s; *p;) {
		size_t len = strspn(p, word);
		if (len >= 6 && len < strlen(s)) {
			char piece[256];
			snprintf(piece, sizeof piece, "%.*s", (int)len, p);
			expect_lacks_piece(u, piece);
		}
		p += len ? len : 1;
	}
}

static void expect_outcome(const struct dburl *u, int rc, const struct want *w)
{
	EXPECT_INT(rc, w->rc);
	EXPECT(w->rc == EXIT_DONE ? u->nerrors == 0 : u->nerrors > 0, "nerrors = %d with rc %d",
	       u->nerrors, rc);
	if (!w->code) {
		EXPECT(u->nfindings == 0, "unexpected finding %s: %s | %s", u->findings[0].code,
		       u->findings[0].msg, u->findings[0].detail);
	} else {
		const struct finding *f = dburl_find(u, w->code);
		char have[512] = "";
		for (int i = 0; i < u->nfindings; i++)
			snprintf(have + strlen(have), sizeof have - strlen(have), " %s",
			         u->findings[i].code);
		if (!f) {
			unit_fail(__FILE__, __LINE__, "no finding %s (have:%s; first: %s | %s)",
			          w->code, have, u->nfindings ? u->findings[0].msg : "",
			          u->nfindings ? u->findings[0].detail : "");
		} else {
			EXPECT_INT(f->level, w->rc == EXIT_CONFIG ? LOG_ERROR : LOG_WARN);
			EXPECT(strstr(f->msg, w->needle) || strstr(f->detail, w->needle) ||
			               strstr(f->hint, w->needle),
			       "%s does not mention \"%s\": %s | %s | %s", f->code, w->needle,
			       f->msg, f->detail, f->hint);
		}
	}
	if (w->redacted)
		EXPECT_STR(u->redacted, w->redacted);
	char list[512];
	snprintf(list, sizeof list, "%s", w->secrets ? w->secrets : PW);
	char *save = NULL;
	for (char *s = strtok_r(list, "|", &save); s; s = strtok_r(NULL, "|", &save))
		expect_lacks_secret(u, s);
}

/* ---------- what the parse leaves in struct dburl ---------- */

struct field_case {
	const char *name;
	const char *url;
	const char *env;
	const char *user, *dbname, *sslmode;
	int nhosts;
	const char *host0, *port0;
	bool socket0;
	int64_t connect_timeout_ms;
};

/* clang-format off */
static const struct field_case field_cases[] = {
	{"fields_basic", "postgres://app:" PW "@db:5433/orders?sslmode=require&connect_timeout=10",
	 NULL, "app", "orders", "require", 1, "db", "5433", false, 10000},
	{"fields_timeout_min_2s", "postgres://app@db/app?connect_timeout=1", NULL, "app", "app",
	 "prefer", 1, "db", "5432", false, 2000},
	{"fields_pgconnect_timeout", "postgres://app@db/app", "PGCONNECT_TIMEOUT=7", "app", "app",
	 "prefer", 1, "db", "5432", false, 7000},
	{"fields_socket", "postgres://app@%2Fvar%2Frun%2Fpostgresql/app", NULL, "app", "app",
	 "prefer", 1, "/var/run/postgresql", "5432", true, 0},
	{"fields_multihost", "postgres://app@h1:5432,h2:5433/app?sslmode=require", NULL, "app",
	 "app", "require", 2, "h1", "5432", false, 0},
	{"fields_ipv6", "postgres://app@[2001:db8::1]:5433/app", NULL, "app", "app", "prefer", 1,
	 "2001:db8::1", "5433", false, 0},
	{"fields_conninfo", "host=db port=6432 user=app dbname=x sslmode=verify-ca sslrootcert=/c",
	 NULL, "app", "x", "verify-ca", 1, "db", "6432", false, 0},
	{"fields_pg_env_defaults", "postgres://db", "PGUSER=u1 PGDATABASE=d1 PGSSLMODE=require",
	 "u1", "d1", "require", 1, "db", "5432", false, 0},
};
/* clang-format on */

static void run_field_case(const struct field_case *c)
{
	if (!unit_begin("dburl/%s", c->name))
		return;
	unit_env_set(c->env);
	struct dburl u;
	memset(&u, 0, sizeof u);
	EXPECT_INT(dburl_check_string(c->url, "DATABASE_URL", &u), EXIT_DONE);
	EXPECT_STR(u.user, c->user);
	EXPECT_STR(u.dbname, c->dbname);
	EXPECT_STR(u.sslmode, c->sslmode);
	EXPECT_INT(u.nhosts, c->nhosts);
	if (u.nhosts > 0) {
		EXPECT_STR(u.hosts[0].name, c->host0);
		EXPECT_STR(u.hosts[0].port, c->port0);
		EXPECT_INT(u.hosts[0].is_socket, c->socket0);
	}
	EXPECT_INT(u.connect_timeout_ms, c->connect_timeout_ms);
	EXPECT_STR(u.keywords[u.nparams], NULL);
	dburl_free(&u);
	unit_end();
}

/* verify-full without sslrootcert: the image's CA bundle is passed on, or it is an error */
static void run_verify_full_default_ca(void)
{
	if (!unit_begin("dburl/verify_full_default_ca"))
		return;
	struct dburl u;
	memset(&u, 0, sizeof u);
	int rc = dburl_check_string("postgres://app:" PW "@db.example.com/app?sslmode=verify-full",
	                            "DATABASE_URL", &u);
	if (access(DBURL_CA_BUNDLE, R_OK) == 0) {
		EXPECT_INT(rc, EXIT_DONE);
		const char *rootcert = NULL;
		for (int i = 0; i < u.nparams; i++)
			if (strcmp(u.keywords[i], "sslrootcert") == 0)
				rootcert = u.values[i];
		EXPECT_STR(rootcert, DBURL_CA_BUNDLE);
	} else {
		EXPECT_INT(rc, EXIT_CONFIG);
		EXPECT(dburl_find(&u, "tls_no_ca") != NULL, "no tls_no_ca finding");
	}
	dburl_free(&u);
	unit_end();
}

/* ---------- dburl_load: where the URL comes from ---------- */

enum file_kind { F_NONE, F_REGULAR, F_MISSING, F_DIR };

struct load_case {
	const char *name;
	const char *env;  /* @FILE is replaced by the temp file's path */
	const char *args; /* argv after "dbready" */
	enum file_kind kind;
	const char *content;
	const char *origin; /* exact u.origin (after @FILE), NULL = not checked */
	struct want w;
};

#define URL_OK "postgres://app:" PW "@db:5432/app?sslmode=require"
#define URL_MY "mysql://root:" PW "@db:3306/app"

/* clang-format off */
static const struct load_case load_cases[] = {
	{"file_trailing_newline", "DATABASE_URL_FILE=@FILE", NULL, F_REGULAR, URL_OK "\n",
	 "the URL in @FILE", {0, NULL, NULL, OKRE, NULL}},
	{"file_crlf", "DATABASE_URL_FILE=@FILE", NULL, F_REGULAR, URL_OK "\r\n", NULL,
	 {0, NULL, NULL, OKRE, NULL}},
	{"file_no_newline", "DATABASE_URL_FILE=@FILE", NULL, F_REGULAR, URL_OK, NULL,
	 {0, NULL, NULL, OKRE, NULL}},
	{"file_missing", "DATABASE_URL_FILE=@FILE", NULL, F_MISSING, NULL, NULL,
	 {3, "url_file_unreadable", "No such file", NULL, NULL}},
	{"file_missing_names_path", "DATABASE_URL_FILE=@FILE", NULL, F_MISSING, NULL, NULL,
	 {3, "url_file_unreadable", "/nonexistent-dbready-unit/url", NULL, NULL}},
	{"file_is_directory", "DATABASE_URL_FILE=@FILE", NULL, F_DIR, NULL, NULL,
	 {3, "url_file_unreadable", "directory", NULL, NULL}},
	{"file_empty", "DATABASE_URL_FILE=@FILE", NULL, F_REGULAR, "", NULL,
	 {3, "url_empty", "empty", NULL, NULL}},
	{"file_only_newline", "DATABASE_URL_FILE=@FILE", NULL, F_REGULAR, "\n", NULL,
	 {3, "url_empty", "empty", NULL, NULL}},
	{"file_quoted", "DATABASE_URL_FILE=@FILE", NULL, F_REGULAR, "\"" URL_OK "\"\n",
	 "the URL in @FILE", {3, "url_quoted", "quote", NULL, NULL}},
	{"file_trailing_space", "DATABASE_URL_FILE=@FILE", NULL, F_REGULAR, URL_OK " \n", NULL,
	 {3, "url_whitespace", "white space", NULL, NULL}},
	{"file_password_at", "DATABASE_URL_FILE=@FILE", NULL, F_REGULAR,
	 "postgres://app:Canary@Pw-7f3a@db/app\n", NULL,
	 {3, "password_unencoded_at", "%40", NULL, "Canary@Pw-7f3a"}},
	{"url_file_flag", NULL, "--url-file=@FILE", F_REGULAR, URL_OK "\n", "the URL in @FILE",
	 {0, NULL, NULL, OKRE, NULL}},
	{"url_file_flag_space", NULL, "wait --url-file @FILE", F_REGULAR, URL_OK, NULL,
	 {0, NULL, NULL, OKRE, NULL}},
	{"env_url", "DATABASE_URL=" URL_OK, NULL, F_NONE, NULL, "DATABASE_URL",
	 {0, NULL, NULL, OKRE, NULL}},
	{"env_url_empty", "DATABASE_URL=", NULL, F_NONE, NULL, NULL, {3, "url_empty", "empty", NULL, NULL}},
	{"url_and_file_env", "DATABASE_URL=" URL_OK " DATABASE_URL_FILE=@FILE", NULL, F_REGULAR,
	 URL_OK, NULL, {3, "url_twice", "DATABASE_URL_FILE", NULL, NULL}},
	{"url_and_file_flags", NULL, "--url=" URL_OK " --url-file=@FILE", F_REGULAR, URL_OK, NULL,
	 {3, "url_twice", "--url-file", NULL, NULL}},
	{"url_flag_beats_env", "DATABASE_URL=" URL_MY, "--url=" URL_OK, F_NONE, NULL, "--url",
	 {0, NULL, NULL, OKRE, NULL}},
	{"url_flag_beats_file_env", "DATABASE_URL_FILE=@FILE", "--url " URL_OK, F_REGULAR, URL_MY,
	 "--url", {0, NULL, NULL, OKRE, NULL}},
	{"file_flag_beats_url_env", "DATABASE_URL=" URL_MY, "--url-file=@FILE", F_REGULAR, URL_OK,
	 "the URL in @FILE", {0, NULL, NULL, OKRE, NULL}},
	{"url_missing", NULL, NULL, F_NONE, NULL, NULL, {3, "url_missing", "DATABASE_URL", NULL, NULL}},
	{"url_missing_pghost_empty", "PGHOST= PGUSER=app", NULL, F_NONE, NULL, NULL,
	 {3, "url_missing", "PGHOST", NULL, NULL}},
	{"url_missing_pg_without_host", "PGUSER=app PGPASSWORD=" PW " PGDATABASE=app", NULL, F_NONE,
	 NULL, NULL, {3, "url_missing", "PGHOST", NULL, NULL}},
	{"pg_env", "PGHOST=db PGUSER=app PGPASSWORD=" PW " PGDATABASE=app PGSSLMODE=require", NULL,
	 F_NONE, NULL, "the PG* environment", {0, NULL, NULL, OKRE, NULL}},
	{"pg_env_port", "PGHOST=db PGPORT=5433 PGUSER=app PGSSLMODE=require", NULL, F_NONE, NULL,
	 NULL, {0, NULL, NULL, "postgres://app@db:5433/app?sslmode=require", NULL}},
	{"pg_env_socket", "PGHOST=/var/run/postgresql PGUSER=app", NULL, F_NONE, NULL, NULL,
	 {0, NULL, NULL, "postgres://app@%2Fvar%2Frun%2Fpostgresql:5432/app", NULL}},
	{"pg_env_user_missing", "PGHOST=db PGPASSWORD=" PW " PGSSLMODE=require", NULL, F_NONE, NULL,
	 NULL, {3, "user_missing", "PGUSER", NULL, NULL}},
	{"pg_env_localhost_k8s", "PGHOST=localhost PGUSER=app " K8S, NULL, F_NONE, NULL, NULL,
	 {0, "localhost_in_kubernetes", "localhost", NULL, NULL}},
	{"pg_env_bad_port", "PGHOST=db PGUSER=app PGPORT=abc", NULL, F_NONE, NULL, NULL,
	 {3, "port_invalid", "abc", NULL, NULL}},
	{"pg_env_bad_sslmode", "PGHOST=db PGUSER=app PGSSLMODE=bogus", NULL, F_NONE, NULL, NULL,
	 {3, "param_invalid", "bogus", NULL, NULL}},
	{"pg_env_no_tls", "PGHOST=db.example.com PGUSER=app PGPASSWORD=" PW, NULL, F_NONE, NULL,
	 NULL, {0, "tls_not_required", "prefer", NULL, NULL}},
};
/* clang-format on */

/* Copy in to out with every "@FILE" replaced by path. */
static void subst(const char *in, const char *path, char *out, size_t cap)
{
	out[0] = '\0';
	if (!in)
		return;
	const char *at;
	size_t o = 0;
	while ((at = strstr(in, "@FILE")) != NULL && o < cap) {
		o += (size_t)snprintf(out + o, cap - o, "%.*s%s", (int)(at - in), in, path);
		in = at + 5;
	}
	if (o < cap)
		snprintf(out + o, cap - o, "%s", in);
}

static void run_load_case(const struct load_case *c)
{
	if (!unit_begin("dburl/load_%s", c->name))
		return;
	char path[256] = "/nonexistent-dbready-unit/url";
	if (c->kind == F_REGULAR) {
		snprintf(path, sizeof path, "/tmp/dbready-unit-XXXXXX");
		int fd = mkstemp(path);
		EXPECT(fd >= 0, "mkstemp failed");
		if (fd >= 0) {
			size_t n = strlen(c->content);
			EXPECT(write(fd, c->content, n) == (ssize_t)n, "write failed");
			close(fd);
		}
	} else if (c->kind == F_DIR) {
		snprintf(path, sizeof path, "/tmp/dbready-unit-XXXXXX");
		EXPECT(mkdtemp(path) != NULL, "mkdtemp failed");
	}
	char env[1024], args[1024], origin[512], argbuf[1024];
	subst(c->env, path, env, sizeof env);
	subst(c->args, path, args, sizeof args);
	subst(c->origin, path, origin, sizeof origin);
	unit_env_set(c->env ? env : NULL);
	char *argv[16];
	int argc = unit_split_args(args, argbuf, sizeof argbuf, argv, 16);
	struct config cfg;
	char err[512] = "";
	int crc = cli_parse(argc, argv, &cfg, err, sizeof err);
	EXPECT(crc == EXIT_DONE, "cli_parse: %d %s", crc, err);
	if (crc == EXIT_DONE) {
		struct dburl u;
		int rc = dburl_load(&cfg, &u);
		expect_outcome(&u, rc, &c->w);
		if (c->origin)
			EXPECT_STR(u.origin, origin);
		dburl_free(&u);
	}
	if (c->kind == F_REGULAR)
		unlink(path);
	else if (c->kind == F_DIR)
		rmdir(path);
	unit_end();
}

void suite_dburl(void)
{
	for (size_t i = 0; i < sizeof url_cases / sizeof url_cases[0]; i++) {
		const struct url_case *c = &url_cases[i];
		if (!unit_begin("dburl/%s", c->name))
			continue;
		unit_env_set(c->env);
		struct dburl u;
		memset(&u, 0, sizeof u);
		int rc = dburl_check_string(c->url, "DATABASE_URL", &u);
		expect_outcome(&u, rc, &c->w);
		dburl_free(&u);
		unit_end();
	}
	for (size_t i = 0; i < sizeof field_cases / sizeof field_cases[0]; i++)
		run_field_case(&field_cases[i]);
	run_verify_full_default_ca();
	for (size_t i = 0; i < sizeof load_cases / sizeof load_cases[0]; i++)
		run_load_case(&load_cases[i]);
}

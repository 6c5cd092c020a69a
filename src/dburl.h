/* dburl.h - DATABASE_URL: loaded, parsed by libpq, checked offline, redacted.
 *
 * dburl_load() finds the configuration (--url, --url-file, DATABASE_URL, DATABASE_URL_FILE or
 * libpq's PG* variables when PGHOST is set), parses it with PQconninfoParse and records every
 * finding (errors and warnings, each with a DETAIL and a HINT) in the struct. It opens no
 * connection. Every secret it sees is registered with log_add_secret() before any message
 * can be printed. dburl_free() releases everything it owns.
 */
#ifndef DBREADY_DBURL_H
#define DBREADY_DBURL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dialect.h"
#include "log.h"

#define DBURL_MAX_FINDINGS 16
#define DBURL_MAX_PARAMS   64
#define DBURL_MAX_HOSTS    16

struct finding {
	enum log_level level; /* LOG_ERROR or LOG_WARN */
	char code[32];        /* stable name for tests and JSON, e.g. "password_unencoded_at" */
	/* texts are scrubbed whole, then cut visibly ("... (cut, N more bytes)") */
	char msg[1024];
	char detail[2048];
	char hint[2048];
};

struct dbhost {
	char *name; /* host name, IP address or socket directory (owned) */
	char *port; /* owned */
	bool is_socket;
	bool has_hostaddr; /* hostaddr given: libpq does no name lookup */
};

struct cloudauth;

struct dburl {
	const char *origin; /* where the configuration came from, e.g. "DATABASE_URL" */
	bool from_pg_env;   /* PG* variables only (PGHOST set, no URL) */
	/* connection parameters for PQconnectStartParams (NULL-terminated; values are secret) */
	const char *keywords[DBURL_MAX_PARAMS + 1];
	const char *values[DBURL_MAX_PARAMS + 1];
	int nparams;
	struct dbhost hosts[DBURL_MAX_HOSTS];
	int nhosts;
	char redacted[4096]; /* postgres://user:***@host:port/db?params (cut visibly) */
	char user[256];
	char dbname[256];
	char sslmode[32];
	const char *password_origin;  /* u->origin or "PGPASSWORD"; NULL = no password given */
	const struct cloudauth *auth; /* --auth=azure|gcp: a token per attempt; NULL = password */
	int64_t connect_timeout_ms;   /* the URL's connect_timeout, 0 = not set */
	struct finding findings[DBURL_MAX_FINDINGS];
	int nfindings;
	int nerrors;
	void *conninfo; /* PQconninfoOption array the keywords/values point into */
	char *text;     /* the URL read from a file (owned, secret) */
	/* the format whose dialect the URL is read in (--format, else the folder's), or NULL */
	const struct format *format;
	/* the migration tools' URL parameters, taken out of the URL (dialect.h) */
	struct dialect dialect;
	char *rewritten; /* the URL without them, as libpq parses it (owned, secret) */
	char *options;   /* libpq's options with the search_path added (owned) */
	/* a tool's user and password variables (FLYWAY_USER, FLYWAY_PASSWORD): used when the
	 * URL names none (borrowed; the password is a secret) */
	const char *tool_user, *tool_password, *tool_password_origin;
	const char *text_start; /* the string being checked (borrowed) */
};

struct config;

/* Load and check the configuration. Returns EXIT_DONE, or EXIT_CONFIG when any finding is
 * an error (the findings say why; log them with dburl_log_findings). */
int dburl_load(const struct config *cfg, struct dburl *u);

/* Check one URL or conninfo string (the part of dburl_load that unit tests drive). */
int dburl_check_string(const char *url, const char *origin, struct dburl *u);

void dburl_log_findings(const struct dburl *u);
const struct finding *dburl_find(const struct dburl *u, const char *code);
void dburl_free(struct dburl *u);

/* The CA bundle a scratch image carries; used for verify-ca/verify-full without sslrootcert. */
#define DBURL_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

#endif

/* dialect.h - the migration tools' own configuration, read as the tool reads it.
 *
 * formats.md: "The tool's own configuration works unchanged": a team swaps the container
 * image and keeps the Secret. The dialects are data in the format table (struct fsetting):
 * environment variables (GOOSE_DBSTRING, DBMATE_MIGRATIONS_DIR, ...) read when dbready's own
 * are not set, and URL parameters libpq does not know (x-migrations-table, search_path, ...),
 * taken out of the URL before libpq parses it and translated: search_path is sent to the
 * server (options=-c search_path=...), a history table name becomes the history table of the
 * format that reads that parameter, a client-only tuning knob is dropped with a debug line.
 * Nothing here is a secret: passwords stay in the URL libpq parses.
 */
#ifndef DBREADY_DIALECT_H
#define DBREADY_DIALECT_H

#include <stdbool.h>
#include <stddef.h>

#include "format.h"

#define DIALECT_MAX 16 /* URL parameters of the tools' dialects in one URL */

struct dialect_param {
	char *name;  /* as written in the URL (owned) */
	char *value; /* percent-decoded (owned) */
};

struct dialect {
	struct dialect_param p[DIALECT_MAX];
	int n;
	/* sent to the server: the URL's search_path, decoded, else a tool's schema parameter
	 * as a quoted identifier (owned), or NULL */
	char *search_path;
};

/* Take the tools' parameters out of url, read for format f (NULL: not known yet), and read
 * a tool's scheme (pgx5://, or a JDBC URL's jdbc:postgresql://) as postgres://. A parameter
 * of another format than f is taken out too (run.c warns that it is ignored); its schema
 * is not sent (a CA file parameter, libpq's own name, is libpq's then: url_param).
 * *out is a new URL for libpq (malloc'd; NULL when url needs no change). Returns 0, or -1
 * with why filled (a parameter given twice, more than DIALECT_MAX, out of memory). */
int dialect_take(const char *url, const struct format *f, char **out, struct dialect *d, char *why,
                 size_t cap);
void dialect_free(struct dialect *d);

/* The first tool variable of this kind that is set and not empty (FSET_URL, FSET_DIR),
 * across the table in order; *name says which, *f (when not NULL) whose. NULL when none is. */
const char *dialect_env(enum fsetting_kind kind, const char **name, const struct format **f);

/* The migrations folder a tool's variable names (FSET_DIR: the value; FSET_LOCATIONS: the
 * path of its one location, its prefix taken off), the first set across the table in order;
 * *name says which. Returns 1 (*dir set; a location's path is kept in a static buffer), 0
 * when none is set, or -1 with why filled ("message\nHINT: ...": more than one location, or
 * one of another kind, such as classpath:). */
int dialect_dir(const char **dir, const char **name, char *why, size_t cap);

/* f's own variable of this kind (FSET_USER, FSET_PASSWORD), or NULL. */
const char *dialect_env_of(const struct format *f, enum fsetting_kind kind, const char **name);

/* The history table that f's own configuration names (its URL parameters in d, then its
 * environment variables), as --history-table spells it, into spec; false when it names
 * none. why says where it came from ("x-migrations-table in the URL"). */
bool dialect_history_table(const struct format *f, const struct dialect *d, char *spec, size_t cap,
                           char *why, size_t wcap);

/* The format whose dialect names this URL parameter (its first), or NULL. */
const struct format *dialect_owner(const char *name);

/* What f's TLS parameters ask of libpq (Prisma's sslcert, sslaccept, sslidentity). */
struct dialect_tls {
	const char *ca_file;     /* the CA file for sslrootcert (borrowed from d), or NULL */
	const char *ca_name;     /* the parameter that names it ("sslcert") */
	bool ca_skipped;         /* a CA file given, but the URL asks for no check */
	bool verify_full;        /* check the certificate and host name: sslmode=verify-full */
	const char *accept_name; /* the parameter that says so ("sslaccept"), or NULL */
};
/* Fill t from f's parameters in d. Returns 0, or -1 with why (a DETAIL) and hint filled when
 * they ask for what libpq cannot do (a PKCS#12 identity). */
int dialect_tls(const struct format *f, const struct dialect *d, struct dialect_tls *t, char *why,
                size_t wcap, char *hint, size_t hcap);

/* f's statement timeout from its URL parameters (FSET_TIMEOUT_MS), or -1. */
long long dialect_timeout_ms(const struct format *f, const struct dialect *d);

/* libpq's options value with search_path added to base (NULL: none), malloc'd. */
char *dialect_options(const char *base, const char *search_path);

#endif

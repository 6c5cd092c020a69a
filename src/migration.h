/* migration.h - one migration as read from disk, and the set a source produced.
 *
 * A migration set owns everything in it; migset_free() releases it. Files are read once,
 * when the set is loaded.
 */
#ifndef DBREADY_MIGRATION_H
#define DBREADY_MIGRATION_H

#include <stdbool.h>
#include <stddef.h>

#include "sqlsplit.h"

struct format;

enum mig_state {
	MIG_PENDING,      /* not applied, newer than everything applied */
	MIG_APPLIED,      /* history row matches the file */
	MIG_CHANGED,      /* history row's checksum differs from the file's */
	MIG_OUT_OF_ORDER, /* not applied, older than the newest applied one */
	MIG_BASELINED,    /* at or below a baseline: the schema held it before the history */
};

struct migration {
	char *name;     /* drizzle: the journal tag; plain: "<version>_<name>" */
	char *file;     /* file name inside the directory, e.g. "0003_add_x.sql" */
	char *version;  /* plain: the digits as written; drizzle: NULL */
	long long when; /* drizzle: the journal's "when" (created_at); plain: 0 */
	/* the history key as text (drizzle: created_at; the others: the version's digits); at
	 * most 128 bytes (dbmate's varchar(128)): loaders refuse longer ones */
	char key[129];
	char hash[65]; /* lowercase hex SHA-256 as the format's history records it */
	/* other hashes the tool takes as this file unchanged ("" when none): Prisma's of the
	 * file with its line endings converted, so a checkout with CRLF is not "changed" */
	char alt_hash[5][65];
	char *text; /* SQL to send, BOM removed, no NUL byte: plain: the file's bytes as they are
	             * (the server judges their encoding); drizzle: decoded as drizzle-orm
	             * decodes it (invalid UTF-8 as U+FFFD) */
	size_t text_len;
	size_t bom;           /* bytes of byte-order mark removed from the start (0 or 3) */
	bool directive_no_tx; /* first line "-- dbready:no-transaction", or the format's own
	                       * directive (goose NO TRANSACTION, dbmate transaction:false) */
	/* applied again whenever its hash changes (Flyway's R__ files): applied when the
	 * newest history row with an empty key and its name carries its hash, else pending;
	 * never changed or out of order */
	bool repeatable;
	/* the statements as they are sent (offsets into text): drizzle files are cut at
	 * "--> statement-breakpoint" first, as drizzle-orm does, then split */
	struct sql_split stmts;
	/* filled by the plan */
	enum mig_state state;
	char recorded_hash[65]; /* MIG_CHANGED: the hash in the history table */
	/* filled by apply (state becomes MIG_APPLIED also when another runner applied it) */
	bool applied_now;   /* this run applied it */
	long long apply_ms; /* how long that took; -1 = together with others (--tx=all) */
};

struct migset {
	const struct format *format; /* the folder's format (format.h) */
	char *dir;
	struct migration *m;
	int n;
	int cap;
};

void migset_free(struct migset *s);
struct migration *migset_add(struct migset *s);

#endif

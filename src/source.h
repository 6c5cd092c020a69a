/* source.h - the folder reader: the migrations directory as mounted, listed and read once.
 *
 * A Kubernetes ConfigMap volume holds files as symlinks through a hidden "..data" directory:
 * entries are followed with stat() (never d_type) and names starting with "." are skipped.
 * It lies below the format files (format_*.c), which call it to list and read their folders;
 * errors come back as a struct err with exit code 3 (directory unusable) or 6 (files
 * invalid). A migration file is at most MIGRATION_FILE_MAX bytes and is
 * read whole, once; only regular files are read (a FIFO would block open() or read() forever).
 */
#ifndef DBREADY_SOURCE_H
#define DBREADY_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "err.h"
#include "migration.h"

#define MIGRATION_FILE_MAX (64 * 1024 * 1024)

struct source_dir {
	char *path;
	char **files; /* regular files (after symlinks), sorted by name */
	int nfiles;
	char **subdirs; /* visible subdirectories (e.g. drizzle's meta/), sorted */
	int nsubdirs;
	/* visible entries that are neither: a dangling symlink, a symlink loop, a FIFO, a
	 * socket, a device; odd_why[i] says which, as a sentence ("It is a FIFO (named pipe).") */
	char **odd;
	char **odd_why;
	int nodd;
};

int source_list(const char *dir, struct source_dir *out, struct err *e);
void source_free(struct source_dir *d);
bool source_has_file(const struct source_dir *d, const char *name);
/* Why the entry name is neither a regular file nor a directory (d->odd_why), or NULL. */
const char *source_odd_why(const struct source_dir *d, const char *name);

/* Entries that are neither a file nor a directory (d->odd): one that is_migration() says the
 * format would load cannot be skipped (later migrations may depend on it): exit 6 naming
 * what it is; anything else is ignored with a warning. */
int source_check_odd(const struct source_dir *d, bool (*is_migration)(const char *name),
                     struct err *e);

/* Read dir/name whole into a new NUL-terminated buffer. EXIT_DONE or an err: code 6 when it
 * is missing, not a regular file (named with what it is) or larger than MIGRATION_FILE_MAX,
 * code 3 when it cannot be opened (permissions). Never blocks on a FIFO. */
int source_read(const char *dir, const char *name, char **buf, size_t *len, struct err *e);

/* Read dir/m->file (once) and fill m's hash, text, bom, directive and statements from its
 * bytes. Plain files are sent as their bytes (the server judges their encoding); drizzle
 * files as drizzle-orm decodes them (invalid UTF-8 as U+FFFD). One copy of the text is kept.
 * A file with COPY ... FROM STDIN or TO STDOUT is refused (exit 6): dbready sends statements
 * only, never a COPY data stream. */
int source_prepare(const char *dir, struct migration *m, bool decode_utf8, const char *breakpoint,
                   struct err *e);

/* source_prepare() for a text the format already read (and cut to the section its tool runs):
 * text (malloc'd, NUL-terminated, len bytes) becomes m's. */
int source_prepare_text(struct migration *m, char *text, size_t len, bool decode_utf8,
                        const char *breakpoint, struct err *e);

/* What dir/rel is: 1 something stat() sees (source_read() then judges whether it is a
 * regular file), 0 nothing there, -1 a dangling symbolic link, a loop or another entry
 * stat() cannot follow (why: a sentence saying which). */
int source_probe(const char *dir, const char *rel, char *why, size_t cap);

/* Compare versions as numbers of any length ("10" > "9", "0010" == "10"). */
int source_version_cmp(const char *a, const char *b);

#endif

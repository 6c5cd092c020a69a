/* source.h - the migrations directory as mounted: listed, its format detected, read once.
 *
 * A Kubernetes ConfigMap volume holds files as symlinks through a hidden "..data" directory:
 * entries are followed with stat() (never d_type) and names starting with "." are skipped.
 * source_load() fills a migset (see migration.h) or a struct err with exit code 3 (directory
 * unusable) or 6 (files invalid).
 */
#ifndef DBREADY_SOURCE_H
#define DBREADY_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "err.h"
#include "migration.h"

struct source_dir {
	char *path;
	char **files; /* regular files (after symlinks), sorted by name */
	int nfiles;
	char **subdirs; /* visible subdirectories (e.g. drizzle's meta/), sorted */
	int nsubdirs;
};

int source_list(const char *dir, struct source_dir *out, struct err *e);
void source_free(struct source_dir *d);
bool source_has_file(const struct source_dir *d, const char *name);

/* Read dir/name whole into a new NUL-terminated buffer. EXIT_DONE or an err (code 6). */
int source_read(const char *dir, const char *name, char **buf, size_t *len, struct err *e);

/* Read dir/m->file (once) and fill m's hash, text, bom and directive from its bytes. */
int source_prepare(const char *dir, struct migration *m, enum mig_format fmt, struct err *e);

/* List, detect (fmt FORMAT_AUTO) and load every migration. */
int source_load(const char *dir, enum mig_format fmt, struct migset *set, struct err *e);

/* Compare plain versions as numbers of any length ("10" > "9", "0010" == "10"). */
int plain_version_cmp(const char *a, const char *b);

/* The format loaders (source_drizzle.c, source_plain.c). */
int source_drizzle_load(const struct source_dir *d, struct migset *set, struct err *e);
int source_plain_load(const struct source_dir *d, struct migset *set, struct err *e);

#endif

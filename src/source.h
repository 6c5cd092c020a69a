/* source.h - the migrations directory as mounted: checked and listed, read once.
 *
 * A Kubernetes ConfigMap volume holds files as symlinks through a hidden "..data" directory:
 * entries are followed with stat() (never d_type) and names starting with "." are skipped.
 */
#ifndef DBREADY_SOURCE_H
#define DBREADY_SOURCE_H

#include <stddef.h>

struct source_entry {
	char *name; /* file name, owned */
};

struct source_dir {
	char *path;
	struct source_entry *files; /* regular files (after symlinks), sorted by name */
	int nfiles;
	int nsubdirs; /* visible subdirectories (e.g. drizzle's meta/) */
};

/* Open and list dir. Returns EXIT_DONE, or EXIT_CONFIG with msg/detail/hint filled. */
int source_list(const char *dir, struct source_dir *out, char *msg, size_t msgcap, char *detail,
		size_t detailcap, char *hint, size_t hintcap);
void source_free(struct source_dir *d);

#endif

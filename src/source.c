/* source.c - list the migrations directory (symlinks followed, hidden entries skipped). */
#define _POSIX_C_SOURCE 200809L
#include "source.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcode.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct source_entry *)a)->name, ((const struct source_entry *)b)->name);
}

void source_free(struct source_dir *d)
{
	for (int i = 0; i < d->nfiles; i++)
		free(d->files[i].name);
	free(d->files);
	free(d->path);
	memset(d, 0, sizeof *d);
}

int source_list(const char *dir, struct source_dir *out, char *msg, size_t msgcap, char *detail,
		size_t detailcap, char *hint, size_t hintcap)
{
	memset(out, 0, sizeof *out);
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		int e = errno;
		snprintf(msg, msgcap, "migrations directory \"%s\" %s", dir,
			 e == ENOENT ? "does not exist" : "is not usable");
		snprintf(detail, detailcap, "%s.",
			 S_ISDIR(st.st_mode) || e != 0 ? strerror(e) : "It is not a directory");
		snprintf(hint, hintcap,
			 "Mount the migrations there (a ConfigMap, image volume or bind mount), or "
			 "point --dir/DBREADY_DIR at them.");
		return EXIT_CONFIG;
	}
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(msg, msgcap, "could not open migrations directory \"%s\"", dir);
		snprintf(detail, detailcap, "%s.", strerror(errno));
		snprintf(hint, hintcap,
			 "Make it readable by this user (uid %d): check the volume's defaultMode "
			 "and fsGroup.",
			 (int)geteuid());
		return EXIT_CONFIG;
	}
	int rc = EXIT_DONE;
	int cap = 0;
	struct dirent *de;
	out->path = strdup(dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue; /* ., .., and a ConfigMap's ..data / ..2026_... entries */
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0)
			continue; /* a dangling symlink: nothing to read */
		if (S_ISDIR(st.st_mode)) {
			out->nsubdirs++;
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (out->nfiles == cap) {
			cap = cap ? cap * 2 : 64;
			struct source_entry *n = realloc(out->files, (size_t)cap * sizeof *n);
			if (!n) {
				rc = EXIT_INTERNAL;
				break;
			}
			out->files = n;
		}
		out->files[out->nfiles].name = strdup(de->d_name);
		if (!out->files[out->nfiles].name) {
			rc = EXIT_INTERNAL;
			break;
		}
		out->nfiles++;
	}
	closedir(d);
	if (rc == EXIT_DONE && out->nfiles > 1)
		qsort(out->files, (size_t)out->nfiles, sizeof *out->files, by_name);
	if (rc != EXIT_DONE)
		snprintf(msg, msgcap, "out of memory listing \"%s\"", dir);
	return rc;
}

/* source.c - list the migrations directory, detect its format, read each file once. */
#define _POSIX_C_SOURCE 200809L
#include "source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checksum.h"
#include "exitcode.h"
#include "log.h"

#define MIGRATION_FILE_MAX (64 * 1024 * 1024)

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void source_free(struct source_dir *d)
{
	for (int i = 0; i < d->nfiles; i++)
		free(d->files[i]);
	for (int i = 0; i < d->nsubdirs; i++)
		free(d->subdirs[i]);
	free(d->files);
	free(d->subdirs);
	free(d->path);
	memset(d, 0, sizeof *d);
}

bool source_has_file(const struct source_dir *d, const char *name)
{
	return d->nfiles > 0 &&
	       bsearch(&name, d->files, (size_t)d->nfiles, sizeof *d->files, by_name) != NULL;
}

static bool append(char ***arr, int *n, const char *name)
{
	if ((*n & (*n - 1)) == 0) { /* grow at powers of two */
		char **g = realloc(*arr, (size_t)(*n ? *n * 2 : 16) * sizeof **arr);
		if (!g)
			return false;
		*arr = g;
	}
	char *copy = strdup(name);
	if (!copy)
		return false;
	(*arr)[(*n)++] = copy;
	return true;
}

int source_list(const char *dir, struct source_dir *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		int errnum = errno;
		bool missing = errnum == ENOENT;
		char detail[512];
		snprintf(detail, sizeof detail, "%s.",
		         !missing && S_ISDIR(st.st_mode) == 0 && errnum == 0
		                 ? "It is not a directory"
		                 : strerror(errnum));
		return err_set(e, EXIT_CONFIG, "dir_unusable",
		               "Mount the migrations there (a ConfigMap, image volume or bind "
		               "mount), or point --dir/DBREADY_DIR at them.",
		               detail, "migrations directory \"%s\" %s", dir,
		               missing ? "does not exist" : "is not usable");
	}
	DIR *d = opendir(dir);
	if (!d) {
		char hint[256];
		snprintf(hint, sizeof hint,
		         "Make it readable by this user (uid %d): check the volume's defaultMode "
		         "and "
		         "the pod's fsGroup.",
		         (int)geteuid());
		return err_set(e, EXIT_CONFIG, "dir_unusable", hint, strerror(errno),
		               "could not open migrations directory \"%s\"", dir);
	}
	out->path = strdup(dir);
	bool ok = out->path != NULL;
	struct dirent *de;
	while (ok && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue; /* ., .., and a ConfigMap's ..data / ..2026_... entries */
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0)
			continue; /* a dangling symlink: nothing to read */
		if (S_ISDIR(st.st_mode))
			ok = append(&out->subdirs, &out->nsubdirs, de->d_name);
		else if (S_ISREG(st.st_mode))
			ok = append(&out->files, &out->nfiles, de->d_name);
	}
	closedir(d);
	if (!ok)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory listing \"%s\"",
		               dir);
	/* qsort() wants a valid pointer even for zero elements */
	if (out->nfiles > 1)
		qsort(out->files, (size_t)out->nfiles, sizeof *out->files, by_name);
	if (out->nsubdirs > 1)
		qsort(out->subdirs, (size_t)out->nsubdirs, sizeof *out->subdirs, by_name);
	return EXIT_DONE;
}

int source_read(const char *dir, const char *name, char **buf, size_t *len, struct err *e)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	*buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		int errnum = errno;
		if (fd >= 0)
			close(fd);
		return err_set(e, errnum == ENOENT ? EXIT_MIGRATIONS : EXIT_CONFIG,
		               "file_unreadable",
		               "Check that the file is mounted and readable by this user.",
		               strerror(errnum), "could not read \"%s\"", path);
	}
	if (st.st_size > MIGRATION_FILE_MAX) {
		close(fd);
		return err_set(e, EXIT_MIGRATIONS, "file_too_large", NULL, NULL,
		               "\"%s\" is larger than %d MiB", path, MIGRATION_FILE_MAX >> 20);
	}
	char *b = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (b && got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!b)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory reading \"%s\"",
		               path);
	b[got] = '\0';
	*buf = b;
	*len = got;
	return EXIT_DONE;
}

int source_prepare(const char *dir, struct migration *m, enum mig_format fmt, struct err *e)
{
	char *raw;
	size_t len;
	int rc = source_read(dir, m->file, &raw, &len, e);
	if (rc != EXIT_DONE)
		return rc;
	/* drizzle-orm hashes the text it decoded; the plain format hashes the bytes */
	size_t tlen;
	char *text = utf8_sanitize(raw, len, &tlen);
	if (!text) {
		free(raw);
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	}
	bool ok = fmt == FORMAT_DRIZZLE ? checksum_sha256(text, tlen, m->hash)
	                                : checksum_sha256(raw, len, m->hash);
	free(raw);
	if (!ok) {
		free(text);
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "SHA-256 failed");
	}
	/* PostgreSQL rejects a byte-order mark as a syntax error: not sent, still hashed */
	m->bom = tlen >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	if (m->bom)
		memmove(text, text + 3, tlen - 3 + 1);
	m->text = text;
	m->text_len = tlen - m->bom;
	static const char directive[] = "-- dbready:no-transaction";
	size_t first = strcspn(text, "\r\n");
	m->directive_no_tx = first >= sizeof directive - 1 &&
	                     strncmp(text, directive, sizeof directive - 1) == 0;
	return EXIT_DONE;
}

void migset_free(struct migset *s)
{
	for (int i = 0; i < s->n; i++) {
		free(s->m[i].name);
		free(s->m[i].file);
		free(s->m[i].version);
		free(s->m[i].text);
	}
	free(s->m);
	free(s->dir);
	memset(s, 0, sizeof *s);
}

struct migration *migset_add(struct migset *s)
{
	if (s->n == s->cap) {
		int ncap = s->cap ? s->cap * 2 : 32;
		struct migration *g = realloc(s->m, (size_t)ncap * sizeof *g);
		if (!g)
			return NULL;
		s->m = g;
		s->cap = ncap;
	}
	struct migration *m = &s->m[s->n++];
	memset(m, 0, sizeof *m);
	return m;
}

/* Prisma keeps one folder per migration with a migration.sql inside. */
static bool looks_like_prisma(const struct source_dir *d)
{
	for (int i = 0; i < d->nsubdirs; i++) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s/migration.sql", d->path, d->subdirs[i]);
		if (stat(path, &st) == 0)
			return true;
	}
	return false;
}

int source_load(const char *dir, enum mig_format fmt, struct migset *set, struct err *e)
{
	memset(set, 0, sizeof *set);
	struct source_dir d;
	int rc = source_list(dir, &d, e);
	if (rc != EXIT_DONE) {
		source_free(&d);
		return rc;
	}
	char journal[4096];
	struct stat st;
	snprintf(journal, sizeof journal, "%s/meta/_journal.json", dir);
	bool has_journal = stat(journal, &st) == 0;
	if (fmt == FORMAT_AUTO) {
		bool prisma = looks_like_prisma(&d);
		if (has_journal && prisma) {
			source_free(&d);
			return err_set(
			        e, EXIT_CONFIG, "format_ambiguous",
			        "Say which one with --format=drizzle or --format=plain.",
			        "It has a drizzle journal (meta/_journal.json) and Prisma-style "
			        "folders with migration.sql.",
			        "the folder \"%s\" matches more than one migration format", dir);
		}
		if (prisma) {
			source_free(&d);
			return err_set(
			        e, EXIT_CONFIG, "format_unsupported",
			        "dbready reads drizzle and plain numbered folders today; Prisma's "
			        "layout is a later format.",
			        NULL, "the folder \"%s\" looks like a Prisma migrations folder",
			        dir);
		}
		fmt = has_journal ? FORMAT_DRIZZLE : FORMAT_PLAIN;
		log_debug("migrations in %s: %s format (%s)", dir,
		          fmt == FORMAT_DRIZZLE ? "drizzle" : "plain",
		          has_journal ? "meta/_journal.json found" : "no drizzle journal");
	}
	set->format = fmt;
	set->dir = strdup(dir);
	rc = fmt == FORMAT_DRIZZLE ? source_drizzle_load(&d, set, e)
	                           : source_plain_load(&d, set, e);
	source_free(&d);
	return rc;
}

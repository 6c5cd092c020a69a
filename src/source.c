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
	for (int i = 0; i < d->nodd; i++) {
		free(d->odd[i]);
		free(d->odd_why[i]);
	}
	free(d->files);
	free(d->subdirs);
	free(d->odd);
	free(d->odd_why);
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

/* Why path is not a regular file, as a DETAIL sentence. errnum is stat()'s errno, or 0 when
 * stat() succeeded and filled st. Returns false when it is a regular file after all. */
static bool why_odd(const char *path, int errnum, const struct stat *st, char *why, size_t size)
{
	struct stat lst;
	if (errnum == 0) {
		if (S_ISREG(st->st_mode))
			return false;
		snprintf(why, size, "It is %s, not a regular file.",
		         log_file_type_name(st->st_mode));
	} else if (errnum == ELOOP) {
		snprintf(why, size, "It is a symbolic link that loops (%s).", strerror(errnum));
	} else if ((errnum == ENOENT || errnum == ENOTDIR) && lstat(path, &lst) == 0 &&
	           S_ISLNK(lst.st_mode)) {
		char target[1024], esc[1024];
		ssize_t n = readlink(path, target, sizeof target - 1);
		target[n > 0 ? n : 0] = '\0';
		utf8_escape(target, esc, sizeof esc);
		snprintf(
		        why, size,
		        "It is a symbolic link to \"%s\", which does not exist (a dangling link).",
		        esc);
	} else {
		snprintf(why, size, "%s.", strerror(errnum));
	}
	return true;
}

static bool append_odd(struct source_dir *d, const char *name, const char *why)
{
	int n = d->nodd; /* both arrays grow together, at the same count */
	if (!append(&d->odd_why, &n, why))
		return false;
	if (!append(&d->odd, &d->nodd, name)) {
		free(d->odd_why[n - 1]);
		return false;
	}
	return true;
}

const char *source_odd_why(const struct source_dir *d, const char *name)
{
	for (int i = 0; i < d->nodd; i++)
		if (strcmp(d->odd[i], name) == 0)
			return d->odd_why[i];
	return NULL;
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
		int errnum = stat(path, &st) == 0 ? 0 : errno;
		struct stat lst;
		if (errnum == ENOENT && lstat(path, &lst) != 0)
			continue; /* removed since readdir() saw it */
		char why[1536];
		if (errnum == 0 && S_ISDIR(st.st_mode))
			ok = append(&out->subdirs, &out->nsubdirs, de->d_name);
		else if (!why_odd(path, errnum, &st, why, sizeof why))
			ok = append(&out->files, &out->nfiles, de->d_name);
		else /* the loaders decide: a migration that cannot be read is an error */
			ok = append_odd(out, de->d_name, why);
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
	/* O_NONBLOCK: open() on a FIFO would wait for a writer forever (a regular file ignores
	 * the flag); what it is gets checked on the descriptor itself, then it is read */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	int errnum = fd < 0 || fstat(fd, &st) != 0 ? errno : 0;
	if (errnum == ENXIO) /* open() on a socket */
		errnum = stat(path, &st) == 0 ? 0 : errno;
	struct stat lst;
	if (errnum == ENOENT && lstat(path, &lst) != 0)
		return err_set(e, EXIT_MIGRATIONS, "file_unreadable",
		               "Check that the file is mounted and readable by this user.",
		               strerror(errnum), "could not read \"%s\"", path);
	char why[1536];
	if ((errnum == 0 || errnum == ELOOP || errnum == ENOENT || errnum == ENOTDIR) &&
	    why_odd(path, errnum, &st, why, sizeof why)) {
		if (fd >= 0)
			close(fd);
		return err_set(e, EXIT_MIGRATIONS, "file_not_regular",
		               "Replace it with a regular file (or a symbolic link to one), or "
		               "remove it.",
		               why, "\"%s\" is not a regular file", path);
	}
	if (errnum != 0) {
		if (fd >= 0)
			close(fd);
		return err_set(e, EXIT_CONFIG, "file_unreadable",
		               "Check that the file is mounted and readable by this user.",
		               strerror(errnum), "could not read \"%s\"", path);
	}
	if (st.st_size > MIGRATION_FILE_MAX) {
		close(fd);
		char detail[256];
		snprintf(detail, sizeof detail, "It has %lld bytes.", (long long)st.st_size);
		return err_set(e, EXIT_MIGRATIONS, "file_too_large",
		               "Split it into several migrations, or load bulk data outside "
		               "migrations (psql's \\copy, pg_restore).",
		               detail, "\"%s\" is larger than %d MiB", path,
		               MIGRATION_FILE_MAX >> 20);
	}
	char *b = malloc((size_t)st.st_size + 1);
	if (!b) {
		close(fd);
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory reading \"%s\"",
		               path);
	}
	size_t got = 0;
	errnum = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			errnum = errno;
		if (r <= 0)
			break; /* an error, or the file shrank since fstat() */
		got += (size_t)r;
	}
	close(fd);
	if (errnum != 0) {
		free(b);
		return err_set(e, EXIT_CONFIG, "file_unreadable",
		               "Check the volume the migrations are mounted from.",
		               strerror(errnum), "could not read \"%s\"", path);
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	return EXIT_DONE;
}

/* Move src's statements (offsets shifted by offset) to the end of dst; src is left empty. The
 * first part's array is taken over as it is: a file of a million statements costs one array
 * of offsets, not two. */
static bool append_split(struct sql_split *dst, struct sql_split *src, size_t offset)
{
	if (src->unterminated && !dst->unterminated) {
		dst->unterminated = true;
		dst->unterminated_at = src->unterminated_at + offset;
	}
	if (src->n == 0)
		return true;
	for (int i = 0; i < src->n; i++)
		src->stmts[i].start += offset;
	if (dst->n == 0) {
		free(dst->stmts);
		dst->stmts = src->stmts;
		dst->n = src->n;
		src->stmts = NULL;
		src->n = 0;
		return true;
	}
	struct sql_stmt *g = realloc(dst->stmts, (size_t)(dst->n + src->n) * sizeof *g);
	if (!g)
		return false;
	dst->stmts = g;
	memcpy(dst->stmts + dst->n, src->stmts, (size_t)src->n * sizeof *g);
	dst->n += src->n;
	return true;
}

/* The statements of m as they are sent: drizzle files are cut at "--> statement-breakpoint"
 * first, as drizzle-orm does, then split. */
static bool split_statements(const struct migration *m, const char *breakpoint,
                             struct sql_split *out)
{
	if (!breakpoint)
		return sql_split(m->text, m->text_len, out);
	memset(out, 0, sizeof *out);
	size_t at = 0;
	for (;;) {
		const char *next = strstr(m->text + at, breakpoint);
		size_t end = next ? (size_t)(next - m->text) : m->text_len;
		struct sql_split part;
		if (!sql_split(m->text + at, end - at, &part))
			return false;
		bool ok = append_split(out, &part, at);
		sql_split_free(&part);
		if (!ok)
			return false;
		if (!next)
			return true;
		at = end + strlen(breakpoint);
	}
}

/* line:column (1-based, the column in characters) of a byte offset in text */
static void line_col(const char *text, size_t off, int *line, int *col)
{
	size_t start = 0;
	*line = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			start = i + 1;
		}
	}
	*col = (int)utf8_chars(text + start, off - start) + 1;
}

/* A NUL byte ends the statement libpq sends: the rest of it would silently not run. */
static int refuse_nul(const struct migration *m, const char *nul, struct err *e)
{
	int line, col;
	line_col(m->text, (size_t)(nul - m->text), &line, &col);
	bool utf16 = m->text_len >= 2 && ((m->text[0] == '\xFF' && m->text[1] == '\xFE') ||
	                                  (m->text[0] == '\xFE' && m->text[1] == '\xFF'));
	char detail[512];
	snprintf(detail, sizeof detail,
	         "Byte %zu of the file is 0x00. A statement is sent as a C string, so it would "
	         "end there "
	         "and the rest of it would not run%s.",
	         (size_t)(nul - m->text) + m->bom + 1,
	         utf16 ? "; the file starts with a UTF-16 byte-order mark" : "");
	return err_set(e, EXIT_MIGRATIONS, "file_nul_byte",
	               "Save the file as UTF-8 text (SQL files never hold NUL bytes; UTF-16 "
	               "files do).",
	               detail, "migration \"%s\" has a NUL byte at %s:%d:%d", m->name, m->file,
	               line, col);
}

/* COPY ... FROM STDIN needs its data streamed by the client (psql sends the lines after it),
 * COPY ... TO STDOUT sends rows nobody reads: dbready sends SQL statements only. Refused when
 * the folder is loaded, so that `check` catches it and nothing of the folder is applied. */
static int refuse_copy(const struct migration *m, const struct sql_stmt *st, struct err *e)
{
	int line, col;
	line_col(m->text, st->start, &line, &col);
	bool in = st->kind == SQL_KIND_COPY_STDIN;
	return err_set(
	        e, EXIT_MIGRATIONS, "copy_unsupported",
	        in ? "Write the rows as INSERT statements (pg_dump --inserts or "
	             "--column-inserts writes them), or load the data outside migrations: "
	             "psql's \\copy, or COPY ... FROM '/a/path/on/the/server'."
	           : "Remove the statement from the migration; export data outside migrations "
	             "(psql's \\copy ... TO, or COPY ... TO '/a/path/on/the/server').",
	        in ? "COPY ... FROM STDIN takes its rows from the client: psql streams the data "
	             "lines that follow it in the file. dbready sends SQL statements only, so "
	             "there is nobody to send the rows, and the data lines are not SQL."
	           : "COPY ... TO STDOUT sends rows to the client, and a migration has no use "
	             "for them: dbready sends SQL statements only and reads no COPY data.",
	        "migration \"%s\" has COPY ... %s at %s:%d:%d, which dbready cannot run", m->name,
	        in ? "FROM STDIN" : "TO STDOUT", m->file, line, col);
}

int source_check_odd(const struct source_dir *d, bool (*is_migration)(const char *name),
                     struct err *e)
{
	for (int i = 0; i < d->nodd; i++) {
		char name[768];
		utf8_escape(d->odd[i], name, sizeof name);
		if (is_migration(d->odd[i]))
			return err_set(
			        e, EXIT_MIGRATIONS, "file_not_regular",
			        "Replace it with a regular file (or a symbolic link to one), "
			        "or remove it.",
			        d->odd_why[i], "migration file \"%s\" in \"%s\" cannot be read",
			        name, d->path);
		log_warn("\"%s\" in the migrations folder \"%s\" is ignored: %s", name, d->path,
		         d->odd_why[i]);
	}
	return EXIT_DONE;
}

int source_prepare(const char *dir, struct migration *m, bool decode_utf8, const char *breakpoint,
                   struct err *e)
{
	char *text;
	size_t len;
	int rc = source_read(dir, m->file, &text, &len, e);
	if (rc != EXIT_DONE)
		return rc;
	return source_prepare_text(m, text, len, decode_utf8, breakpoint, e);
}

int source_prepare_text(struct migration *m, char *text, size_t len, bool decode_utf8,
                        const char *breakpoint, struct err *e)
{
	/* drizzle-orm decodes the file as UTF-8 (invalid bytes become U+FFFD) and hashes and
	 * sends that text; the plain format hashes and sends the bytes as they are, and the
	 * server judges their encoding (as with psql -f). Either way one copy is kept. */
	if (decode_utf8 && !utf8_sanitize(&text, &len)) {
		free(text);
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	}
	if (!checksum_sha256(text, len, m->hash)) {
		free(text);
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "SHA-256 failed");
	}
	/* PostgreSQL rejects a byte-order mark as a syntax error: not sent, still hashed */
	m->bom = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	if (m->bom)
		memmove(text, text + 3, len - 3 + 1);
	m->text = text;
	m->text_len = len - m->bom;
	const char *nul = memchr(m->text, '\0', m->text_len);
	if (nul)
		return refuse_nul(m, nul, e);
	static const char directive[] = "-- dbready:no-transaction";
	size_t first = strcspn(text, "\r\n");
	m->directive_no_tx = first >= sizeof directive - 1 &&
	                     strncmp(text, directive, sizeof directive - 1) == 0;
	if (!split_statements(m, breakpoint, &m->stmts))
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	for (int i = 0; i < m->stmts.n; i++)
		if (m->stmts.stmts[i].kind == SQL_KIND_COPY_STDIN ||
		    m->stmts.stmts[i].kind == SQL_KIND_COPY_STDOUT)
			return refuse_copy(m, &m->stmts.stmts[i], e);
	return EXIT_DONE;
}

void migset_free(struct migset *s)
{
	for (int i = 0; i < s->n; i++) {
		free(s->m[i].name);
		free(s->m[i].file);
		free(s->m[i].version);
		free(s->m[i].text);
		sql_split_free(&s->m[i].stmts);
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

/* Compare two digit strings as numbers of any length ("10" > "9", "0010" == "10"). */
int source_version_cmp(const char *a, const char *b)
{
	while (*a == '0' && a[1])
		a++;
	while (*b == '0' && b[1])
		b++;
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

int source_probe(const char *dir, const char *rel, char *why, size_t cap)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, rel) >= sizeof path) {
		snprintf(why, cap, "The path is longer than %zu bytes.", sizeof path - 1);
		return -1;
	}
	struct stat st;
	if (stat(path, &st) == 0)
		return 1; /* source_read() judges what it is */
	int errnum = errno;
	if (errnum == ENOTDIR || (errnum == ENOENT && lstat(path, &st) != 0))
		return 0; /* not there at all (a dangling link is there) */
	why_odd(path, errnum, &st, why, cap);
	return -1;
}

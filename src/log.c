/* log.c - text and JSON diagnostics on stderr, secret scrubbing and the termination log. */
#define _POSIX_C_SOURCE 200809L
#include "log.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MSG_CAP     4096
#define DETAIL_CAP  16384
#define TERMLOG_CAP 4096

static enum log_level cur_level = LOG_INFO;
static enum log_format cur_format = LOG_TEXT;
/* the registered secrets, longest first (so that a short secret inside a longer one cannot
 * break the longer one's match); the list grows as needed */
static char **secrets;
static int nsecrets, secrets_cap;
/* a secret could not be registered (out of memory): fail closed, every scrubbed text
 * becomes "***" */
static bool scrub_broken;
static char *transient[LOG_TRANSIENT_SLOTS];
static const char *termlog_path;
static bool termlog_explicit;
static char termlog_line[TERMLOG_CAP]; /* the last outcome line, also without a file */

void log_setup(enum log_level level, enum log_format format)
{
	cur_level = level;
	cur_format = format;
}

bool log_enabled(enum log_level level)
{
	return level <= cur_level;
}

void log_add_secret(const char *secret)
{
	if (!secret || strlen(secret) < 3)
		return;
	for (int i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i], secret) == 0)
			return;
	if (nsecrets == secrets_cap) {
		int ncap = secrets_cap ? secrets_cap * 2 : 16;
		char **n = realloc(secrets, (size_t)ncap * sizeof *n);
		if (!n) {
			scrub_broken = true;
			return;
		}
		secrets = n;
		secrets_cap = ncap;
	}
	char *copy = strdup(secret);
	if (!copy) {
		scrub_broken = true;
		return;
	}
	/* keep the list sorted by length, longest first */
	size_t len = strlen(copy);
	int at = nsecrets;
	while (at > 0 && strlen(secrets[at - 1]) < len) {
		secrets[at] = secrets[at - 1];
		at--;
	}
	secrets[at] = copy;
	nsecrets++;
}

void log_fail_closed(void)
{
	scrub_broken = true;
}

static void wipe(char *s, size_t n)
{
	volatile char *p = s;
	while (n--)
		*p++ = 0;
}

/* wipe before freeing: the heap may be dumped in a core file */
void log_wipe_free(char *s)
{
	if (!s)
		return;
	wipe(s, strlen(s));
	free(s);
}

void log_forget_secrets(void)
{
	for (int i = 0; i < nsecrets; i++)
		log_wipe_free(secrets[i]);
	free(secrets);
	secrets = NULL;
	nsecrets = secrets_cap = 0;
	for (int i = 0; i < LOG_TRANSIENT_SLOTS; i++) {
		log_wipe_free(transient[i]);
		transient[i] = NULL;
	}
}

void log_set_transient_secret(int slot, const char *secret)
{
	if (slot < 0 || slot >= LOG_TRANSIENT_SLOTS)
		return;
	log_wipe_free(transient[slot]);
	transient[slot] = secret && strlen(secret) >= 3 ? strdup(secret) : NULL;
	if (secret && strlen(secret) >= 3 && !transient[slot])
		scrub_broken = true;
}

/* Replace every occurrence of secret in buf by "***". */
static void scrub_one(char *buf, const char *secret)
{
	static const char mask[] = "***";
	size_t slen = strlen(secret);
	char *hit;
	char *from = buf;
	while ((hit = strstr(from, secret)) != NULL) {
		size_t tail = strlen(hit + slen);
		/* the mask is never longer than a secret (secrets have >= 3 bytes) */
		memmove(hit + 3, hit + slen, tail + 1);
		memcpy(hit, mask, 3);
		from = hit + 3;
	}
}

void log_scrub(char *buf, size_t cap)
{
	if (scrub_broken) {
		snprintf(buf, cap, "***");
		return;
	}
	/* every secret, fixed or transient, longest first: a short one inside a longer one
	 * (a password inside a token, say) must not break the longer one's match */
	bool done[LOG_TRANSIENT_SLOTS] = {false};
	for (int i = 0; i <= nsecrets; i++) {
		size_t flen = i < nsecrets ? strlen(secrets[i]) : 0;
		for (;;) {
			int best = -1;
			for (int t = 0; t < LOG_TRANSIENT_SLOTS; t++)
				if (transient[t] && !done[t] && strlen(transient[t]) >= flen &&
				    (best < 0 || strlen(transient[t]) > strlen(transient[best])))
					best = t;
			if (best < 0)
				break;
			scrub_one(buf, transient[best]);
			done[best] = true;
		}
		if (i < nsecrets)
			scrub_one(buf, secrets[i]);
	}
}

char *log_scrubbed_dup(const char *text)
{
	size_t len = strlen(text ? text : "");
	char *copy = strdup(text ? text : "");
	if (copy) {
		log_scrub(copy, len + 1);
		/* the bytes past the shortened text may hold what the secrets were shifted over */
		size_t sl = strlen(copy);
		wipe(copy + sl, len - sl);
	}
	return copy;
}

/* ---------- UTF-8 and cutting ---------- */

/* Length of the well-formed UTF-8 sequence at s (at most avail bytes), 0 if there is none:
 * overlong forms, surrogates and code points past U+10FFFF are not well-formed (RFC 3629). */
size_t log_utf8_len(const char *str, size_t avail)
{
	const unsigned char *s = (const unsigned char *)str;
	if (avail == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	size_t n;
	unsigned char lo = 0x80, hi = 0xBF;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3;
		if (s[0] == 0xE0)
			lo = 0xA0;
		else if (s[0] == 0xED)
			hi = 0x9F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4;
		if (s[0] == 0xF0)
			lo = 0x90;
		else if (s[0] == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

size_t log_utf8_floor(const char *s, size_t n)
{
	/* step back over continuation bytes: at most 3, then the cut is before a lead byte */
	size_t cut = n;
	for (int i = 0; i < 3 && cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80; i++)
		cut--;
	return cut;
}

char *log_utf8_dup(const char *s)
{
	size_t len = strlen(s), o = 0;
	/* each invalid byte becomes the 3-byte U+FFFD */
	char *out = malloc(len * 3 + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = log_utf8_len(s + i, len - i);
		if (n) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

char *log_json_dup(const char *json)
{
	char *valid = log_utf8_dup(json);
	if (!valid)
		return NULL;
	size_t len = strlen(valid), o = 0;
	/* an escaped character grows from 1 (DEL), 2 or 3 bytes to 6 ("\u0085") */
	char *out = malloc(len * 6 + 1);
	if (!out) {
		free(valid);
		return NULL;
	}
	for (size_t i = 0; i < len;) {
		const unsigned char *p = (const unsigned char *)valid + i;
		if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) {
			o += (size_t)sprintf(out + o, "\\u%04x", p[1]);
			i += 2;
		} else if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
			o += (size_t)sprintf(out + o, "\\u%04x", 0x2000 + p[2] - 0x80);
			i += 3;
		} else if (p[0] == 0x7F) {
			o += (size_t)sprintf(out + o, "\\u007f");
			i++;
		} else {
			out[o++] = (char)p[0];
			i++;
		}
	}
	out[o] = '\0';
	free(valid);
	return out;
}

/* The longest cut mark: "… (cut, " + 20 digits + " more bytes)". */
#define CUT_MARK_MAX 48
_Static_assert(CUT_MARK_MAX >= sizeof "\xE2\x80\xA6 (cut, 18446744073709551615 more bytes)",
               "room for the longest cut mark");

void log_cut_copy(char *out, size_t cap, const char *full)
{
	if (cap == 0)
		return;
	size_t len = strlen(full);
	if (len < cap) {
		memcpy(out, full, len + 1);
		return;
	}
	if (cap <= 2 * CUT_MARK_MAX) {
		/* too small for a mark: cut at a character boundary all the same */
		size_t keep = log_utf8_floor(full, cap - 1);
		memcpy(out, full, keep);
		out[keep] = '\0';
		return;
	}
	size_t keep = log_utf8_floor(full, cap - 1 - CUT_MARK_MAX);
	memcpy(out, full, keep);
	snprintf(out + keep, cap - keep, "\xE2\x80\xA6 (cut, %zu more bytes)", len - keep);
}

/* Format into a heap buffer as long as the text, scrub it whole, then copy what fits into
 * out, cut visibly: a secret is never cut by truncation before it could be recognised. */
void log_vformat_scrubbed(char *out, size_t cap, const char *fmt, va_list ap)
{
	char *full = log_vformat_scrubbed_dup(fmt, ap);
	log_cut_copy(out, cap, full ? full : "***");
	log_wipe_free(full);
}

/* A malloc'd vsnprintf as long as the text; *len its length. NULL when out of memory. */
static char *vdupf(const char *fmt, va_list ap, size_t *len)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (!s)
		return NULL;
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	*len = (size_t)n;
	return s;
}

char *log_vformat_scrubbed_dup(const char *fmt, va_list ap)
{
	size_t n;
	char *full = vdupf(fmt, ap, &n);
	if (!full)
		return NULL;
	log_scrub(full, (size_t)n + 1);
	/* wipe the rest: scrubbing shortened the text, and the bytes past its end may still
	 * hold what the secrets were shifted over */
	size_t sl = strlen(full);
	wipe(full + sl, (size_t)n + 1 - sl);
	return full;
}

int64_t clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *level_name(enum log_level level)
{
	switch (level) {
	case LOG_ERROR:
		return "error";
	case LOG_WARN:
		return "warning";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void log_rfc3339_now(char *out, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, cap - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* How escaped_dup() treats line breaks. */
enum esc_mode {
	ESC_PRIMARY,  /* a primary message is one line: "\n" is written as the two characters \n */
	ESC_CONTINUE, /* DETAIL/HINT keep their lines, each further one indented by a tab */
	ESC_ONELINE,  /* the termination log: line breaks become spaces */
};

/* A copy of text that cannot forge a log line or break a terminal: invalid UTF-8 becomes
 * U+FFFD, control characters (C0, DEL, C1) are written as \n, \r, \xNN or \u00NN escapes
 * (but for a tab, and line breaks as mode says). NULL when out of memory. */
static char *escaped_dup(const char *text, enum esc_mode mode)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&buf, &size);
	if (!m)
		return NULL;
	size_t len = strlen(text);
	/* trailing line breaks end the text, they start no continuation line */
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)text[i];
		size_t n = log_utf8_len(text + i, len - i);
		if (n == 0) {
			fputs("\xEF\xBF\xBD", m);
			i++;
			continue;
		}
		if (n == 2 && c == 0xC2 && (unsigned char)text[i + 1] < 0xA0) {
			fprintf(m, "\\u%04x", (unsigned char)text[i + 1]);
		} else if (n > 1 || (c >= 0x20 && c != 0x7F) || c == '\t') {
			fwrite(text + i, 1, n, m);
		} else if (c == '\n' && mode == ESC_CONTINUE) {
			fputc('\n', m);
			if (text[i + 1] != '\t')
				fputc('\t', m);
		} else if ((c == '\n' || c == '\r') && mode == ESC_ONELINE) {
			fputc(' ', m);
		} else if (c == '\n') {
			fputs("\\n", m);
		} else if (c == '\r') {
			fputs("\\r", m);
		} else {
			fprintf(m, "\\x%02x", c);
		}
		i += n;
	}
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* One field of a record: scrubbed whole, then cut visibly to cap (a malloc'd copy; NULL stays
 * NULL, "***" when out of memory: the caller frees with release()). */
static const char oom_text[] = "***";
static char *prepared(const char *src, size_t cap)
{
	if (!src)
		return NULL;
	char *full = log_scrubbed_dup(src);
	if (!full)
		return (char *)oom_text;
	if (strlen(full) >= cap) {
		char *cut = malloc(cap);
		if (cut)
			log_cut_copy(cut, cap, full);
		log_wipe_free(full);
		return cut ? cut : (char *)oom_text;
	}
	return full;
}

static void release(char *s)
{
	if (s != oom_text)
		log_wipe_free(s);
}

char *log_escape_dup(const char *text)
{
	return escaped_dup(text, ESC_PRIMARY);
}

static void put_line(FILE *out, const char *label, const char *text, enum esc_mode mode)
{
	char *esc = escaped_dup(text, mode);
	fprintf(out, "%s%s\n", label, esc ? esc : "***");
	free(esc);
}

static void emit_text(enum log_level level, const char *msg, const char *detail, const char *hint)
{
	char label[32];
	snprintf(label, sizeof label, "dbready: %s: ", level_name(level));
	put_line(stderr, label, msg, ESC_PRIMARY);
	if (detail && *detail)
		put_line(stderr, "DETAIL: ", detail, ESC_CONTINUE);
	if (hint && *hint)
		put_line(stderr, "HINT: ", hint, ESC_CONTINUE);
	fflush(stderr);
}

/* The fields of one record, each scrubbed and cut (see prepared()). */
struct prepared_fields {
	char *msg, *detail, *hint, *target, *migration;
};

static void emit_json(enum log_level level, const struct log_fields *f,
                      const struct prepared_fields *p)
{
	char ts[40];
	log_rfc3339_now(ts, sizeof ts);
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return;
	cJSON_AddStringToObject(o, "ts", ts);
	cJSON_AddStringToObject(o, "level", level_name(level));
	cJSON_AddStringToObject(o, "msg", p->msg);
	if (f && f->event)
		cJSON_AddStringToObject(o, "event", f->event);
	if (p->detail && *p->detail)
		cJSON_AddStringToObject(o, "detail", p->detail);
	if (p->hint && *p->hint)
		cJSON_AddStringToObject(o, "hint", p->hint);
	if (f) {
		if (p->target)
			cJSON_AddStringToObject(o, "target", p->target);
		if (p->migration)
			cJSON_AddStringToObject(o, "migration", p->migration);
		if (f->attempt > 0)
			cJSON_AddNumberToObject(o, "attempt", f->attempt);
		if (f->sqlstate && *f->sqlstate)
			cJSON_AddStringToObject(o, "sqlstate", f->sqlstate);
		if (f->duration_ms >= 0)
			cJSON_AddNumberToObject(o, "duration_ms", (double)f->duration_ms);
		if (f->exit_code >= 0)
			cJSON_AddNumberToObject(o, "exit_code", f->exit_code);
	}
	char *line = cJSON_PrintUnformatted(o);
	/* cJSON copies bytes >= 0x80 as they are: a server message or a file name may not be
	 * UTF-8, and a JSON text must be (RFC 8259 §8.1) */
	char *valid = line ? log_json_dup(line) : NULL;
	if (valid) {
		fprintf(stderr, "%s\n", valid);
		fflush(stderr);
	}
	free(valid);
	if (line)
		cJSON_free(line);
	cJSON_Delete(o);
}

void log_emit(enum log_level level, const struct log_fields *f, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	struct prepared_fields p = {0};
	va_list ap;
	va_start(ap, fmt);
	char *full = log_vformat_scrubbed_dup(fmt, ap);
	va_end(ap);
	p.msg = prepared(full ? full : oom_text, MSG_CAP);
	log_wipe_free(full);
	if (f) {
		p.detail = prepared(f->detail, DETAIL_CAP);
		p.hint = prepared(f->hint, MSG_CAP);
		p.target = prepared(f->target, MSG_CAP);
		p.migration = prepared(f->migration, MSG_CAP);
	}
	if (cur_format == LOG_JSON)
		emit_json(level, f, &p);
	else
		emit_text(level, p.msg, p.detail, p.hint);
	release(p.msg);
	if (p.detail)
		release(p.detail);
	if (p.hint)
		release(p.hint);
	if (p.target)
		release(p.target);
	if (p.migration)
		release(p.migration);
}

void termlog_setup(const char *path, bool explicit)
{
	termlog_path = path;
	termlog_explicit = explicit;
}

const char *termlog_last(void)
{
	return termlog_line;
}

const char *log_file_type_name(mode_t m)
{
	return S_ISDIR(m)    ? "a directory"
	       : S_ISFIFO(m) ? "a FIFO (named pipe)"
	       : S_ISSOCK(m) ? "a socket"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISREG(m)  ? "a regular file"
	                     : "not a regular file";
}

/* Open the termination log without ever blocking: O_NONBLOCK, so that a FIFO with no reader
 * cannot hang open() (SA_RESTART would restart it after SIGTERM), then only a regular file
 * or a character device (/dev/null, a terminal) is written. Returns the fd, or -1 with why
 * (a sentence) in why. */
static int termlog_open(char *why, size_t cap)
{
	struct stat st;
	if (stat(termlog_path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
		snprintf(why, cap, "It is %s, not a regular file.",
		         log_file_type_name(st.st_mode));
		return -1;
	}
	/* Kubernetes creates /dev/termination-log; elsewhere only a named file is created */
	int flags = O_WRONLY | O_CLOEXEC | O_NONBLOCK | (termlog_explicit ? O_CREAT : 0);
	int fd = open(termlog_path, flags, 0644);
	if (fd < 0) {
		snprintf(why, cap, "%s.", strerror(errno));
		return -1;
	}
	/* the path may have changed since stat(): decide on what was opened */
	if (fstat(fd, &st) != 0 || (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))) {
		snprintf(why, cap, "It is %s, not a regular file.",
		         log_file_type_name(st.st_mode));
		close(fd);
		return -1;
	}
	if (S_ISREG(st.st_mode) && ftruncate(fd, 0) != 0) {
		snprintf(why, cap, "%s.", strerror(errno));
		close(fd);
		return -1;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

static void termlog_failed(const char *why)
{
	if (!termlog_explicit)
		return;
	const char *p = termlog_path;
	termlog_path = NULL; /* report once, and do not recurse */
	struct log_fields lf = LOG_FIELDS_INIT;
	lf.event = "termination_log_failed";
	lf.detail = why;
	lf.hint = "Give --termination-log (DBREADY_TERMINATION_LOG) a regular file, e.g. "
	          "/dev/termination-log in Kubernetes, or an empty value to turn it off.";
	log_emit(LOG_WARN, &lf, "could not write termination log \"%s\"", p);
}

void termlog_write(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *full = log_vformat_scrubbed_dup(fmt, ap);
	va_end(ap);
	/* one line: a relayed server message's line breaks become spaces, control characters
	 * and invalid UTF-8 are escaped; then cut at a character boundary, visibly */
	char *esc = full ? escaped_dup(full, ESC_ONELINE) : NULL;
	log_wipe_free(full);
	log_cut_copy(termlog_line, sizeof termlog_line - 1, esc ? esc : oom_text);
	log_wipe_free(esc);
	if (!termlog_path)
		return;
	char why[256];
	int fd = termlog_open(why, sizeof why);
	if (fd < 0) {
		termlog_failed(why);
		return;
	}
	/* TERMLOG_CAP - 2 bytes at most, and the newline: Kubernetes reads 4096 */
	size_t len = strlen(termlog_line);
	bool ok = write(fd, termlog_line, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
	if (!ok)
		snprintf(why, sizeof why, "%s.", strerror(errno));
	close(fd);
	if (!ok)
		termlog_failed(why);
}

char *log_dupf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t n;
	char *s = vdupf(fmt, ap, &n);
	va_end(ap);
	return s;
}

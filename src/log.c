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
#include <time.h>
#include <unistd.h>

#define MSG_CAP     4096
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
	char *copy = strdup(text ? text : "");
	if (copy)
		log_scrub(copy, strlen(copy) + 1);
	return copy;
}

/* Format into a heap buffer as long as the text, scrub it whole, then copy what fits into
 * out: a secret is never cut by truncation before it could be recognised. */
void log_vformat_scrubbed(char *out, size_t cap, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	char *full = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (!full) {
		snprintf(out, cap, "***");
		return;
	}
	vsnprintf(full, (size_t)n + 1, fmt, ap);
	log_scrub(full, (size_t)n + 1);
	snprintf(out, cap, "%s", full);
	/* wipe all of it: scrubbing shortened the text, and the bytes past its end may still
	 * hold what the secrets were shifted over */
	wipe(full, (size_t)n + 1);
	free(full);
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

/* Copy src into a scrubbed buffer; NULL stays NULL. */
static const char *scrubbed(const char *src, char *buf, size_t cap)
{
	if (!src)
		return NULL;
	char *full = log_scrubbed_dup(src);
	snprintf(buf, cap, "%s", full ? full : "***");
	free(full);
	return buf;
}

/* Text continuation lines (DETAIL/HINT) keep multi-line values readable: each further line
 * is indented by a tab, as psql prints libpq's messages. */
static void put_labelled(FILE *out, const char *label, const char *text)
{
	fprintf(out, "%s: ", label);
	for (const char *p = text; *p; p++) {
		fputc(*p, out);
		if (*p == '\n' && p[1] && p[1] != '\t')
			fputc('\t', out);
	}
	if (*text && text[strlen(text) - 1] != '\n')
		fputc('\n', out);
}

static void emit_text(enum log_level level, const struct log_fields *f, const char *msg,
                      const char *detail, const char *hint)
{
	fprintf(stderr, "dbready: %s: %s\n", level_name(level), msg);
	if (detail && *detail)
		put_labelled(stderr, "DETAIL", detail);
	if (hint && *hint)
		put_labelled(stderr, "HINT", hint);
	(void)f;
	fflush(stderr);
}

static void emit_json(enum log_level level, const struct log_fields *f, const char *msg,
                      const char *detail, const char *hint)
{
	char ts[40];
	log_rfc3339_now(ts, sizeof ts);
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return;
	cJSON_AddStringToObject(o, "ts", ts);
	cJSON_AddStringToObject(o, "level", level_name(level));
	cJSON_AddStringToObject(o, "msg", msg);
	if (f && f->event)
		cJSON_AddStringToObject(o, "event", f->event);
	if (detail && *detail)
		cJSON_AddStringToObject(o, "detail", detail);
	if (hint && *hint)
		cJSON_AddStringToObject(o, "hint", hint);
	if (f) {
		char buf[1024];
		if (f->target)
			cJSON_AddStringToObject(o, "target", scrubbed(f->target, buf, sizeof buf));
		if (f->migration)
			cJSON_AddStringToObject(o, "migration", f->migration);
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
	if (line) {
		fprintf(stderr, "%s\n", line);
		fflush(stderr);
		cJSON_free(line);
	}
	cJSON_Delete(o);
}

void log_emit(enum log_level level, const struct log_fields *f, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	char msg[MSG_CAP], detail[MSG_CAP], hint[MSG_CAP];
	va_list ap;
	va_start(ap, fmt);
	log_vformat_scrubbed(msg, sizeof msg, fmt, ap);
	va_end(ap);
	const char *d = f ? scrubbed(f->detail, detail, sizeof detail) : NULL;
	const char *h = f ? scrubbed(f->hint, hint, sizeof hint) : NULL;
	if (cur_format == LOG_JSON)
		emit_json(level, f, msg, d, h);
	else
		emit_text(level, f, msg, d, h);
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

void termlog_write(const char *fmt, ...)
{
	char line[TERMLOG_CAP];
	va_list ap;
	va_start(ap, fmt);
	log_vformat_scrubbed(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	/* one line: fold any newline of a relayed server message into a space */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	snprintf(termlog_line, sizeof termlog_line, "%s", line);
	if (!termlog_path)
		return;
	strcat(line, "\n");
	/* Kubernetes creates /dev/termination-log; elsewhere only a named file is created */
	int flags = O_WRONLY | O_TRUNC | O_CLOEXEC | (termlog_explicit ? O_CREAT : 0);
	int fd = open(termlog_path, flags, 0644);
	if (fd < 0) {
		if (termlog_explicit) {
			const char *p = termlog_path;
			termlog_path = NULL; /* report once, and do not recurse */
			log_warn("could not write termination log \"%s\": %s", p, strerror(errno));
		}
		return;
	}
	size_t len = strlen(line);
	if (write(fd, line, len) != (ssize_t)len && termlog_explicit)
		log_warn("could not write termination log \"%s\": %s", termlog_path,
		         strerror(errno));
	close(fd);
}

/* log.h - diagnostics on stderr (text or JSON lines), secret scrubbing, the termination log.
 *
 * Every line dbready writes about its work goes through log_emit(), which replaces each
 * registered secret (log_add_secret) by "***" in the message, detail and hint before
 * anything is cut or written. Text lines cannot be forged: the primary message is one line
 * (control characters escaped as \n, \r, \xNN), DETAIL/HINT continuation lines are indented
 * by a tab; JSON lines are valid UTF-8 (invalid bytes become U+FFFD). Strings passed in are
 * borrowed; nothing is retained but secrets, which are copied.
 */
#ifndef DBREADY_LOG_H
#define DBREADY_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };
enum log_format { LOG_TEXT = 0, LOG_JSON = 1 };

/* Optional structured fields of one log record; zero/NULL fields are left out. */
struct log_fields {
	const char *event;     /* machine-readable event name, e.g. "attempt_failed" */
	const char *detail;    /* what was observed (a full sentence) */
	const char *hint;      /* what to do (a full sentence) */
	const char *sqlstate;  /* five-character SQLSTATE */
	const char *migration; /* migration name */
	const char *target;    /* redacted connection target */
	int attempt;           /* attempt number, 0 = none */
	int64_t duration_ms;   /* -1 = none */
	int exit_code;         /* -1 = none */
};

#define LOG_FIELDS_INIT                                                                           \
	{                                                                                         \
		.duration_ms = -1, .exit_code = -1                                                \
	}

void log_setup(enum log_level level, enum log_format format);
bool log_enabled(enum log_level level);

/* Register a secret (copied) that must never appear in any output; short ones (<3) are
 * ignored because masking them would mangle ordinary text. */
void log_add_secret(const char *secret);
void log_forget_secrets(void);
/* A secret could not be registered (out of memory): from now on every scrubbed text is
 * "***" (fail closed). */
void log_fail_closed(void);

/* Overwrite a NUL-terminated secret with zeros, then free it (NULL: nothing). */
void log_wipe_free(char *s);

/* Secrets that change during a run (cloud access tokens, federated assertions: a new one per
 * connection attempt) live in LOG_TRANSIENT_SLOTS slots instead of the fixed list, which they
 * would fill up: setting a slot wipes and replaces what it held, NULL empties it. Scrubbed
 * like the others; log_forget_secrets() empties the slots too. */
#define LOG_TRANSIENT_SLOTS 2
void log_set_transient_secret(int slot, const char *secret);

/* Replace every registered secret in buf (NUL-terminated, capacity cap) by "***". */
void log_scrub(char *buf, size_t cap);

/* A malloc'd copy of text with every registered secret replaced ("***" when a secret could
 * not be registered); NULL when out of memory. Scrub a whole text before cutting it: a
 * secret cut in half is no longer recognised. */
char *log_scrubbed_dup(const char *text);

/* vsnprintf into out, scrubbed as a whole before it is cut to cap (visibly, as
 * log_cut_copy does; "***" when out of memory). */
void log_vformat_scrubbed(char *out, size_t cap, const char *fmt, va_list ap);
/* The same, whole, malloc'd (free with log_wipe_free); NULL when out of memory. */
char *log_vformat_scrubbed_dup(const char *fmt, va_list ap);

/* What a file of mode m is, for a DETAIL ("a FIFO (named pipe)", "a socket", ...). */
const char *log_file_type_name(mode_t m);

/* A malloc'd printf, as long as the text (not scrubbed: scrub or cut it where it is shown);
 * NULL when out of memory. Messages that quote user input are built whole this way, then cut
 * visibly where they are shown, never silently by a fixed buffer. */
char *log_dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copy full into out (capacity cap). What does not fit is cut at a UTF-8 character boundary
 * and the cut is marked: "... (cut, N more bytes)" (an ellipsis character). Scrub first. */
void log_cut_copy(char *out, size_t cap, const char *full);

/* Length of the well-formed UTF-8 character at s (at most avail bytes), 0 if invalid. */
size_t log_utf8_len(const char *s, size_t avail);
/* The largest cut position <= n (n < strlen(s) + 1) that does not split a character. */
size_t log_utf8_floor(const char *s, size_t n);
/* A malloc'd copy of s with every byte that is not part of well-formed UTF-8 replaced by
 * U+FFFD (JSON documents must be UTF-8); NULL when out of memory. */
char *log_utf8_dup(const char *s);
/* A serialised JSON text made safe for line-oriented readers: log_utf8_dup(), then C1
 * controls, DEL, U+2028 and U+2029 (line breaks to some readers) written as \uXXXX escapes
 * (only string contents can hold them, so the document stays the same); NULL when out of
 * memory. */
char *log_json_dup(const char *json);
/* A malloc'd one-line copy of text for text output: control characters escaped (\n, \r,
 * \xNN), invalid UTF-8 replaced by U+FFFD, so that a file name cannot forge a line; NULL
 * when out of memory. */
char *log_escape_dup(const char *text);

void log_emit(enum log_level level, const struct log_fields *f, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#define log_error(...) log_emit(LOG_ERROR, NULL, __VA_ARGS__)
#define log_warn(...)  log_emit(LOG_WARN, NULL, __VA_ARGS__)
#define log_info(...)  log_emit(LOG_INFO, NULL, __VA_ARGS__)
#define log_debug(...) log_emit(LOG_DEBUG, NULL, __VA_ARGS__)

/* The termination log (behaviour.md §4): path NULL disables it; explicit = the user named
 * the file (then failure to write it is reported), otherwise it is written only when it
 * already exists and is writable (Kubernetes' /dev/termination-log). */
void termlog_setup(const char *path, bool explicit);
/* Write the one-line outcome (scrubbed, control characters escaped, valid UTF-8, at most
 * 4 KiB, cut visibly). Later calls replace earlier ones. The file is opened without blocking
 * and written only when it is a regular file or a character device (/dev/null): a FIFO,
 * socket or directory is refused (a warning when explicit). */
void termlog_write(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last line termlog_write() was given (scrubbed, no newline; "" before any), kept also
 * when there is no termination log file: the outcome webhook's message (notify.c). */
const char *termlog_last(void);

/* The current time as RFC 3339 UTC with milliseconds ("2026-11-26T10:28:17.123Z"). */
void log_rfc3339_now(char *out, size_t cap);

/* Milliseconds of the monotonic clock, for durations and deadlines. */
int64_t clock_ms(void);

#endif

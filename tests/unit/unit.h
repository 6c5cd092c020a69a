/* unit.h - a tiny table-driven test framework: one "ok"/"not ok" line per case. */
#ifndef DBREADY_UNIT_H
#define DBREADY_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Start a case; returns false (and the caller skips it) when argv[1]'s filter does not
 * match the name. Clears every variable dbready and libpq read, and forgets secrets. */
bool unit_begin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Record a failure of the current case (the first reason is reported). */
void unit_fail(const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Print "ok - name" or "not ok - name: why" and restore the environment. */
void unit_end(void);

/* Set variables from "NAME=value NAME2=value2" (NULL = none); every name must be one of
 * those the runner saves and restores. */
void unit_env_set(const char *assignments);

/* Run fn(arg) in a child process, so that a crash or a sanitizer abort fails the case
 * instead of the whole run. */
void unit_isolated(void (*fn)(const void *), const void *arg);

/* Split s on spaces into argv (argv[0] = "dbready"); returns argc. Tokens live in buf. */
int unit_split_args(const char *s, char *buf, size_t cap, char **argv, int max);

#define EXPECT(cond, ...)                                                                         \
	do {                                                                                      \
		if (!(cond))                                                                      \
			unit_fail(__FILE__, __LINE__, __VA_ARGS__);                               \
	} while (0)

#define EXPECT_INT(got, want)                                                                     \
	do {                                                                                      \
		long long got_ = (long long)(got), want_ = (long long)(want);                     \
		if (got_ != want_)                                                                \
			unit_fail(__FILE__, __LINE__, "%s = %lld, want %lld", #got, got_, want_); \
	} while (0)

#define EXPECT_STR(got, want)                                                                     \
	do {                                                                                      \
		const char *gots_ = (got), *wants_ = (want);                                      \
		if (!gots_ || !wants_ ? gots_ != wants_ : strcmp(gots_, wants_) != 0)             \
			unit_fail(__FILE__, __LINE__, "%s = \"%s\", want \"%s\"", #got,           \
			          gots_ ? gots_ : "(null)", wants_ ? wants_ : "(null)");          \
	} while (0)

#define EXPECT_CONTAINS(hay, needle)                                                              \
	do {                                                                                      \
		const char *hay_ = (hay), *needle_ = (needle);                                    \
		if (!hay_ || !strstr(hay_, needle_))                                              \
			unit_fail(__FILE__, __LINE__, "%s = \"%s\" lacks \"%s\"", #hay,           \
			          hay_ ? hay_ : "(null)", needle_);                               \
	} while (0)

void suite_dburl(void);
void suite_baseline(void);
void suite_cli(void);
void suite_backoff(void);
void suite_connect(void);
void suite_http(void);
void suite_depwait(void);
void suite_notify(void);
void suite_cloudauth(void);
void suite_buffers(void);
void suite_log(void);
void suite_dialect(void);
void suite_golang_migrate(void);
void suite_goose(void);
void suite_flyway(void);
void suite_prisma(void);
void suite_drizzle1(void);
void suite_invalid_index(void);

#endif

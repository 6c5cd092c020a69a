/* main.c - the unit test runner: runs every suite, prints one line per case and a total. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "unit.h"

/* Every variable a case may set: cleared before and restored after each case. */
/* clang-format off */
static const char *const env_names[] = {
	"DATABASE_URL", "DATABASE_URL_FILE", "PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER",
	"PGPASSWORD", "PGPASSFILE", "PGDATABASE", "PGSSLMODE", "PGSSLROOTCERT", "PGSSLCERT",
	"PGSSLKEY", "PGREQUIRESSL", "PGCONNECT_TIMEOUT", "PGTARGETSESSIONATTRS", "PGGSSENCMODE",
	"PGCHANNELBINDING", "PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGAPPNAME",
	"KUBERNETES_SERVICE_HOST", "DBREADY_DIR", "DBREADY_FORMAT", "DBREADY_TIMEOUT",
	"DBREADY_BACKOFF_BASE", "DBREADY_BACKOFF_CAP", "DBREADY_CONNECT_TIMEOUT",
	"DBREADY_LOCK_TIMEOUT", "DBREADY_STATEMENT_TIMEOUT", "DBREADY_TX",
	"DBREADY_HISTORY_TABLE", "DBREADY_ALLOW_OUT_OF_ORDER", "DBREADY_DRY_RUN", "DBREADY_BASELINE",
	"DBREADY_LOG_FORMAT", "DBREADY_LOG_LEVEL", "DBREADY_TERMINATION_LOG", "DBREADY_STAY",
	"DBREADY_DROP_INVALID_INDEXES",
	/* --auth=azure|gcp (cloudauth.c) */
	"DBREADY_AUTH", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE",
	"AZURE_AUTHORITY_HOST", "DBREADY_AZURE_IMDS_ENDPOINT", "DBREADY_AZURE_RESOURCE",
	"GCE_METADATA_HOST",
	/* the migration tools' own variables (dialect.c) */
	"GOOSE_DBSTRING", "GOOSE_MIGRATION_DIR", "GOOSE_TABLE", "GOOSE_DRIVER",
	"DBMATE_MIGRATIONS_DIR", "DBMATE_MIGRATIONS_TABLE", "DIRECT_URL",
	/* a made-up tool's variables (test_dialect.c) */
	"DBREADY_TEST_SCHEMA", "DBREADY_TEST_USER", "DBREADY_TEST_PASSWORD",
};
/* clang-format on */
#define NENV (sizeof env_names / sizeof env_names[0])

static char *env_saved[NENV];
static const char *filter;
static char cur_name[256];
static char cur_why[1024];
static int cur_failures;
static bool in_case;
static int npassed, nfailed;
static int child_fd = -1; /* in an isolated child: where failures are reported */

static void env_clear(void)
{
	for (size_t i = 0; i < NENV; i++)
		unsetenv(env_names[i]);
}

static void env_restore(void)
{
	for (size_t i = 0; i < NENV; i++) {
		if (env_saved[i])
			setenv(env_names[i], env_saved[i], 1);
		else
			unsetenv(env_names[i]);
	}
}

bool unit_begin(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cur_name, sizeof cur_name, fmt, ap);
	va_end(ap);
	if (filter && !strstr(cur_name, filter))
		return false;
	cur_why[0] = '\0';
	cur_failures = 0;
	in_case = true;
	env_clear();
	log_forget_secrets();
	return true;
}

static void record(const char *why)
{
	if (child_fd >= 0) {
		/* the parent reports it; a short write only truncates the reason */
		ssize_t w = write(child_fd, why, strlen(why) + 1);
		(void)w;
		return;
	}
	if (cur_failures++ == 0)
		snprintf(cur_why, sizeof cur_why, "%s", why);
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	char why[sizeof cur_why];
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	int n = snprintf(why, sizeof why, "%s:%d: ", base, line);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why + n, sizeof why - (size_t)n, fmt, ap);
	va_end(ap);
	record(why);
}

void unit_end(void)
{
	if (!in_case)
		return;
	in_case = false;
	if (cur_failures == 0) {
		printf("ok - %s\n", cur_name);
		npassed++;
	} else {
		/* one line per case: show line breaks in the reason as \n */
		for (char *p = cur_why; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = '|';
		if (cur_failures > 1)
			printf("not ok - %s: %s (and %d more)\n", cur_name, cur_why,
			       cur_failures - 1);
		else
			printf("not ok - %s: %s\n", cur_name, cur_why);
		nfailed++;
	}
	fflush(stdout);
	env_restore();
	log_forget_secrets();
}

void unit_env_set(const char *assignments)
{
	if (!assignments)
		return;
	char buf[2048];
	snprintf(buf, sizeof buf, "%s", assignments);
	char *save = NULL;
	for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq) {
			unit_fail(__FILE__, __LINE__, "bad environment assignment \"%s\"", tok);
			continue;
		}
		*eq = '\0';
		bool known = false;
		for (size_t i = 0; i < NENV; i++)
			known = known || strcmp(env_names[i], tok) == 0;
		if (!known)
			unit_fail(__FILE__, __LINE__, "%s is not restored by the runner", tok);
		else
			setenv(tok, eq + 1, 1);
	}
}

void unit_isolated(void (*fn)(const void *), const void *arg)
{
	int p[2];
	fflush(stdout);
	fflush(stderr);
	if (pipe(p) != 0) {
		unit_fail(__FILE__, __LINE__, "pipe failed");
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		unit_fail(__FILE__, __LINE__, "fork failed");
		return;
	}
	if (pid == 0) {
		close(p[0]);
		child_fd = p[1];
		fn(arg);
		_exit(0);
	}
	close(p[1]);
	char buf[sizeof cur_why];
	size_t got = 0;
	ssize_t r;
	while ((r = read(p[0], buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)r;
	close(p[0]);
	buf[got] = '\0';
	int status = 0;
	waitpid(pid, &status, 0);
	if (got > 0)
		record(buf); /* the child's first reason (each one ends in a NUL) */
	if (WIFSIGNALED(status))
		unit_fail(__FILE__, __LINE__, "crashed with signal %d", WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		unit_fail(__FILE__, __LINE__, "aborted with exit status %d (sanitizer?)",
		          WEXITSTATUS(status));
}

int unit_split_args(const char *s, char *buf, size_t cap, char **argv, int max)
{
	int argc = 0;
	argv[argc++] = "dbready";
	if (!s)
		s = "";
	snprintf(buf, cap, "%s", s);
	char *save = NULL;
	for (char *tok = strtok_r(buf, " ", &save); tok && argc < max - 1;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return argc;
}

int main(int argc, char **argv)
{
	filter = argc > 1 ? argv[1] : NULL;
	for (size_t i = 0; i < NENV; i++) {
		const char *v = getenv(env_names[i]);
		env_saved[i] = v ? strdup(v) : NULL;
	}
	suite_dburl();
	suite_cli();
	suite_backoff();
	suite_connect();
	suite_http();
	suite_depwait();
	suite_notify();
	suite_cloudauth();
	suite_buffers();
	suite_log();
	suite_dialect();
	suite_golang_migrate();
	suite_goose();
	suite_flyway();
	suite_prisma();
	suite_drizzle1();
	suite_invalid_index();
	suite_baseline();
	env_restore();
	for (size_t i = 0; i < NENV; i++)
		free(env_saved[i]);
	log_forget_secrets();
	printf("unit: %d passed, %d failed\n", npassed, nfailed);
	return nfailed ? 1 : 0;
}

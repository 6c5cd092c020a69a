/* wait.c - retry connection attempts with full-jitter backoff until the deadline. */
#define _POSIX_C_SOURCE 200809L
#include "wait.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "cloudauth.h"
#include "exitcode.h"
#include "log.h"
#include "signals.h"

/* The hint wait_hint() formatted last: malloc'd and sized to the text (a host name, user or
 * database name is quoted whole), replaced by the next call. */
static char *hint_buf;

static const char *hintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *hintf(const char *fmt, ...)
{
	free(hint_buf);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	hint_buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (!hint_buf)
		return NULL; /* out of memory: no hint rather than a cut one */
	va_start(ap, fmt);
	vsnprintf(hint_buf, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return hint_buf;
}

const char *wait_hint(const struct attempt *a, const struct dburl *u)
{
	const char *host = u->nhosts ? u->hosts[0].name : "?";
	const char *port = u->nhosts ? u->hosts[0].port : "5432";
	switch (a->kind) {
	case FAIL_DNS:
		return hintf(
		        "Check the host name \"%s\": in Kubernetes, the Service name and "
		        "namespace "
		        "(SERVICE.NAMESPACE.svc.cluster.local) and that the Service exists; in "
		        "compose, the service name. If the database is still being created, raise "
		        "--timeout.",
		        host);
	case FAIL_DNS_TIMEOUT:
		return "The DNS server did not answer: check the cluster DNS (CoreDNS) and any "
		       "NetworkPolicy that blocks egress to port 53.";
	case FAIL_NETWORK:
		return hintf(
		        "Is the server running and listening on \"%s\" port %s? Check the port, "
		        "the "
		        "server's listen_addresses, and that the Service has ready endpoints.",
		        host, port);
	case FAIL_TIMEOUT:
		return "Nothing answered in time: a NetworkPolicy, security group or firewall may "
		       "drop the packets, or the host is wrong. Raise --connect-timeout if the "
		       "network is only slow.";
	case FAIL_CLOSED:
		return "The server closed the connection during login: it may be restarting, or a "
		       "proxy in between dropped the connection.";
	case FAIL_TLS:
		return "Check TLS on both sides: sslmode=require needs ssl=on on the server; "
		       "verify-ca and verify-full need the server's certificate to chain to "
		       "sslrootcert (default: the image's CA bundle), and verify-full needs it to "
		       "name the host in the URL.";
	case FAIL_NO_PASSWORD:
		return "The server asks for a password: put it in the URL "
		       "(postgres://user:PASSWORD@host/db) or set PGPASSWORD.";
	case FAIL_TOKEN:
	case FAIL_TOKEN_TIMEOUT:
		return cloudauth_hint(u->auth, CLOUDAUTH_TRANSIENT);
	case FAIL_TOKEN_REFUSED:
		return cloudauth_hint(u->auth, CLOUDAUTH_REFUSED);
	case FAIL_TOKEN_BAD:
		return cloudauth_hint(u->auth, CLOUDAUTH_BAD);
	case FAIL_SERVER:
		break;
	default:
		return NULL;
	}
	const char *s = a->sqlstate;
	if (strcmp(s, "28P01") == 0 && u->auth)
		return cloudauth_login_hint(u->auth, u->user);
	if (strcmp(s, "28P01") == 0)
		return hintf(
		        "Check the password of user \"%s\" in the URL (and the Secret it comes "
		        "from); after a password rotation, restart with the new one.",
		        u->user);
	if (strcmp(s, "28000") == 0)
		return hintf("Check that role \"%s\" exists and that a pg_hba.conf rule lets it "
		             "connect "
		             "to database \"%s\" from this address (with TLS if the rule says "
		             "hostssl).",
		             u->user, u->dbname);
	if (strcmp(s, "3D000") == 0)
		return hintf(
		        "Create the database (CREATE DATABASE \"%s\"), or fix the database name "
		        "at "
		        "the end of the URL.",
		        u->dbname);
	if (strcmp(s, "42501") == 0)
		return hintf(
		        "Let the role connect: GRANT CONNECT ON DATABASE \"%s\" TO \"%s\", and "
		        "check "
		        "that it has LOGIN.",
		        u->dbname, u->user);
	if (strcmp(s, "57P03") == 0)
		return "The server is starting up, shutting down or in recovery.";
	if (strcmp(s, "53300") == 0)
		return "All connection slots are taken: raise max_connections, or lower the "
		       "application's pool size.";
	return NULL;
}

/* The server version as text ("16.4", "9.6.24"): three ints and two dots at most. */
#define VERSION_TEXT_MAX sizeof "-2147483648.-2147483648.-2147483648"
static void format_version(int v, char *out, size_t cap)
{
	if (v >= 100000)
		snprintf(out, cap, "%d.%d", v / 10000, v % 10000);
	else
		snprintf(out, cap, "%d.%d.%d", v / 10000, v / 100 % 100, v % 100);
}

static void finish_signal(struct wait_result *r, int sig, const struct dburl *u)
{
	struct log_fields lf = LOG_FIELDS_INIT;
	lf.event = "signal";
	lf.target = u->redacted;
	lf.exit_code = EXIT_SIGNAL_BASE + sig;
	lf.attempt = r->attempts;
	log_emit(LOG_WARN, &lf, "stopped by %s while waiting for the database", signals_name(sig));
	r->exit_code = EXIT_SIGNAL_BASE + sig;
}

static bool token_kind(enum failure_kind k)
{
	return k == FAIL_TOKEN || k == FAIL_TOKEN_TIMEOUT || k == FAIL_TOKEN_REFUSED ||
	       k == FAIL_TOKEN_BAD;
}

const char *wait_failure(const struct wait_result *r)
{
	switch (r->last.kind) {
	case FAIL_TOKEN:
	case FAIL_TOKEN_TIMEOUT:
	case FAIL_TOKEN_BAD:
		return "no access token";
	case FAIL_TOKEN_REFUSED:
		return "access token refused";
	default:
		return r->exit_code == EXIT_REFUSED ? "the database refused the connection"
		                                    : "database not reachable";
	}
}

static void finish_unreachable(const struct config *cfg, const struct dburl *u, bool retry,
                               struct log_fields *lf, struct wait_result *r)
{
	if (token_kind(r->last.kind) && u->auth) {
		/* the token endpoint is an HTTP dependency of the login (cli.md: exit 10) */
		lf->event = "token_unavailable";
		lf->exit_code = EXIT_HTTP;
		lf->detail = r->last.reason;
		lf->hint = wait_hint(&r->last, u);
		if (retry)
			log_emit(LOG_ERROR, lf,
			         "no access token from %s for %s within %lld ms (%d attempts)",
			         u->auth->name, u->redacted, (long long)cfg->timeout_ms,
			         r->attempts);
		else
			log_emit(LOG_ERROR, lf, "no access token from %s for %s", u->auth->name,
			         u->redacted);
		r->exit_code = EXIT_HTTP;
		return;
	}
	lf->event = "unreachable";
	lf->exit_code = EXIT_UNREACHABLE;
	lf->detail = r->last.reason;
	lf->hint = wait_hint(&r->last, u);
	if (retry)
		log_emit(LOG_ERROR, lf, "database %s not reachable within %lld ms (%d attempts)",
		         u->redacted, (long long)cfg->timeout_ms, r->attempts);
	else
		log_emit(LOG_ERROR, lf, "database %s not reachable", u->redacted);
	r->exit_code = EXIT_UNREACHABLE;
}

void wait_for_database(const struct config *cfg, const struct dburl *u, bool retry,
                       PGconn **conn_out, struct wait_result *r)
{
	memset(r, 0, sizeof *r);
	*conn_out = NULL;
	int64_t start = clock_ms();
	int64_t deadline = (retry && cfg->timeout_ms) ? start + cfg->timeout_ms : -1;
	if (deadline >= 0 && cfg->wait_deadline_ms)
		deadline = cfg->wait_deadline_ms; /* the --wait-for targets had their share */
	int64_t per_attempt =
	        u->connect_timeout_ms ? u->connect_timeout_ms : cfg->connect_timeout_ms;
	struct backoff b;
	backoff_init(&b, cfg->backoff_base_ms, cfg->backoff_cap_ms, 0);

	struct log_fields lf = LOG_FIELDS_INIT;
	lf.target = u->redacted;
	lf.event = "wait_start";
	if (retry)
		log_emit(LOG_DEBUG, &lf,
		         "waiting for %s (timeout %lld ms, connect timeout %lld ms)", u->redacted,
		         (long long)cfg->timeout_ms, (long long)per_attempt);

	for (;;) {
		int64_t now = clock_ms();
		int64_t budget = per_attempt;
		bool truncated = false;
		if (deadline >= 0 && deadline - now < budget) {
			budget = deadline - now > 0 ? deadline - now : 1;
			truncated = true;
		}
		r->attempts++;
		struct attempt cur;
		PGconn *conn = db_connect(u, budget, &cur);
		/* an attempt the deadline cut short says "timed out", which is not why the
		 * database is unreachable: keep the previous attempt's reason for the report */
		bool cut_short = truncated && r->attempts > 1 && cur.cls == ATTEMPT_TRANSIENT &&
		                 (cur.kind == FAIL_TIMEOUT || cur.kind == FAIL_DNS_TIMEOUT ||
		                  cur.kind == FAIL_TOKEN_TIMEOUT);
		if (!cut_short)
			r->last = cur;
		struct attempt *a = &r->last;
		r->elapsed_ms = clock_ms() - start;

		lf = (struct log_fields)LOG_FIELDS_INIT;
		lf.target = u->redacted;
		lf.attempt = r->attempts;
		lf.sqlstate = a->sqlstate;
		if (a->cls == ATTEMPT_OK) {
			char ver[VERSION_TEXT_MAX];
			format_version(a->server_version, ver, sizeof ver);
			lf.event = "ready";
			lf.duration_ms = r->elapsed_ms;
			log_emit(LOG_INFO, &lf,
			         "database ready: %s (PostgreSQL %s%s) after %d attempt%s in %lld "
			         "ms",
			         u->redacted, ver, a->tls ? ", TLS" : "", r->attempts,
			         r->attempts == 1 ? "" : "s", (long long)r->elapsed_ms);
			*conn_out = conn;
			r->exit_code = EXIT_DONE;
			return;
		}
		if (a->cls == ATTEMPT_SIGNALED) {
			finish_signal(r, signals_caught(), u);
			return;
		}
		lf.detail = a->reason;
		lf.hint = wait_hint(a, u);
		if (a->cls == ATTEMPT_PERMANENT && token_kind(a->kind) && u->auth) {
			/* refused: the identity is wrong, as a wrong password is (exit 5); an
			 * answer that is no token: the HTTP dependency is broken (exit 10) */
			bool refused = a->kind == FAIL_TOKEN_REFUSED;
			lf.event = refused ? "token_refused" : "token_invalid";
			lf.exit_code = refused ? EXIT_REFUSED : EXIT_HTTP;
			log_emit(LOG_ERROR, &lf,
			         refused ? "%s refused to issue an access token for %s"
			                 : "%s did not answer with an access token for %s",
			         u->auth->name, u->redacted);
			r->exit_code = lf.exit_code;
			return;
		}
		if (a->cls == ATTEMPT_PERMANENT) {
			lf.event = "refused";
			lf.exit_code = EXIT_REFUSED;
			log_emit(LOG_ERROR, &lf, "the database refused the connection to %s",
			         u->redacted);
			r->exit_code = EXIT_REFUSED;
			return;
		}
		now = clock_ms();
		int64_t remaining = deadline < 0 ? -1 : deadline - now;
		if (!retry || (deadline >= 0 && remaining <= 0)) {
			finish_unreachable(cfg, u, retry, &lf, r);
			return;
		}
		int64_t sleep = backoff_next(&b, remaining);
		/* the first line of a possibly multi-line libpq message, whole (reason is bounded
		 * by struct attempt; the final report's DETAIL has every line) */
		int line_len = (int)strcspn(a->reason, "\n");
		_Static_assert(sizeof a->reason <= INT_MAX, "a line length fits an int");
		struct log_fields af = lf;
		af.event = "attempt_failed";
		af.detail = NULL;
		af.hint = NULL;
		af.duration_ms = a->duration_ms;
		log_emit(LOG_WARN, &af, "attempt %d: %s not ready: %.*s; next try in %lld ms",
		         r->attempts, u->redacted, line_len, a->reason, (long long)sleep);
		int sig = signals_sleep(sleep);
		if (sig) {
			r->elapsed_ms = clock_ms() - start;
			finish_signal(r, sig, u);
			return;
		}
		if (deadline >= 0 && clock_ms() >= deadline) {
			r->elapsed_ms = clock_ms() - start;
			finish_unreachable(cfg, u, retry, &lf, r);
			return;
		}
	}
}
